/* tracefs: where tracepoints are listed and described. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/capability.h>
#include "runtime.h"

#define TRACEFS "/sys/kernel/tracing"
#define TRACEFS_MAGIC 0x74726163

/* Mount tracefs when it is missing (we are root when we can use it). */
const char *lb_tracefs(char *err, size_t errlen)
{
	struct statfs st;

	if (statfs(TRACEFS, &st) == 0 && st.f_type == TRACEFS_MAGIC)
		return TRACEFS;
	if (mount("tracefs", TRACEFS, "tracefs", 0, NULL) == 0)
		return TRACEFS;
	snprintf(err, errlen, "tracefs is not mounted at %s and mounting it failed: %s%s", TRACEFS,
		 strerror(errno), errno == EPERM ? lb_lacks(CAP_SYS_ADMIN) : "");
	return NULL;
}

int lb_tracepoints(const char *pattern, char ***out, int *n, char *err, size_t errlen)
{
	const char *root = lb_tracefs(err, errlen), *colon = strchr(pattern, ':');
	char catpat[256], path[512], name[512];
	DIR *top, *sub;
	struct dirent *c, *e;
	int cap = 0;

	*out = NULL;
	*n = 0;
	if (!root)
		return -1;
	if (!colon || (size_t)(colon - pattern) >= sizeof catpat || strchr(colon + 1, ':')) {
		snprintf(err, errlen, "tracepoint '" LB_CLIP_FMT "' must be category:name",
			 LB_CLIP(pattern));
		return -1;
	}
	memcpy(catpat, pattern, colon - pattern);
	catpat[colon - pattern] = 0;
	snprintf(path, sizeof path, "%s/events", root);
	if (!(top = opendir(path))) {
		int e = errno;

		/* tracefs is root's alone (mode 0700) */
		snprintf(err, errlen, "cannot list %s: %s%s", path, strerror(e),
			 e == EACCES || e == EPERM ? lb_lacks(CAP_DAC_READ_SEARCH) : "");
		return -1;
	}
	while ((c = readdir(top))) {
		/* ftrace's own events cannot take BPF programs (bpftrace hides them) */
		if (c->d_name[0] == '.' || fnmatch(catpat, c->d_name, 0) ||
		    strcmp(c->d_name, "ftrace") == 0)
			continue;
		snprintf(path, sizeof path, "%s/events/%s", root, c->d_name);
		if (!(sub = opendir(path)))
			continue;
		while ((e = readdir(sub))) {
			if (e->d_type != DT_DIR || e->d_name[0] == '.' ||
			    fnmatch(colon + 1, e->d_name, 0))
				continue;
			snprintf(name, sizeof name, "%s:%s", c->d_name, e->d_name);
			if (lb_strings_push(out, n, &cap, name)) {
				closedir(sub);
				closedir(top);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
		}
		closedir(sub);
	}
	closedir(top);
	lb_strings_sort_uniq(*out, n);
	return 0;
}

/* Kernel functions a kprobe can take (tracefs available_filter_functions,
 * as bpftrace lists them: a module's functions by name alone), matching a
 * glob, sorted, each once. */
int lb_kprobe_funcs(const char *glob, char ***out, int *n, char *err, size_t errlen)
{
	const char *root = lb_tracefs(err, errlen);
	char path[512], *line = NULL;
	size_t cap = 0;
	int vcap = 0, rc = 0;
	FILE *f;

	*out = NULL;
	*n = 0;
	if (!root)
		return -1;
	snprintf(path, sizeof path, "%s/available_filter_functions", root);
	if (!(f = fopen(path, "re"))) {
		int e = errno;

		snprintf(err, errlen, "cannot list kernel functions: %s: %s%s", path, strerror(e),
			 e == ENOENT || (e == EPERM && geteuid() == 0)
			     ? " (this kernel has no function tracing: no kprobes to list)"
			 : e == EACCES || e == EPERM ? lb_lacks(CAP_DAC_READ_SEARCH)
						     : "");
		return -1;
	}
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, " \t\n")] = 0; /* "name [module]" */
		if (!*line || fnmatch(glob, line, 0))
			continue;
		if (lb_strings_push(out, n, &vcap, line)) {
			snprintf(err, errlen, "more than %d kernel functions match '%s'",
				 LB_MAX_LIST, glob);
			rc = -1;
			break;
		}
	}
	free(line);
	fclose(f);
	if (rc) {
		lb_free_strings(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	lb_strings_sort_uniq(*out, n);
	return 0;
}

void lb_clear_field(struct lbc_field *f)
{
	free((char *)f->name);
	free((char *)f->ctype);
}

void lb_free_fields(struct lbc_field *f, int n)
{
	for (int i = 0; i < n; i++)
		lb_clear_field(&f[i]);
	free(f);
}

/* A field declared with a one-word type that is not a C base type
 * (pid_t pid, umode_t mode): keep the name, so a handler that reads the
 * field can take its size and sign from BTF (lbc_probe.int_type). */
static int keep_ctype(const char *decl, const char *name, struct lbc_field *f)
{
	const char *end = name;

	if (!strncmp(decl, "const ", 6))
		decl += 6;
	while (end > decl && end[-1] == ' ')
		end--;
	if (end == decl || end - decl >= 64 || memchr(decl, ' ', end - decl))
		return 0; /* empty, too long, or several words: a C base type */
	return (f->ctype = strndup(decl, end - decl)) ? 0 : -1;
}

static int stars(const char *s, const char *end)
{
	int n = 0;
	for (; s < end; s++)
		n += *s == '*';
	return n;
}

/* A format line: "\tfield:unsigned int fd;\toffset:16;\tsize:8;\tsigned:0;".
 * user: pointers in this tracepoint point into user memory (syscalls). */
static int parse_field(const char *line, int user, struct lbc_field *f)
{
	const char *decl = strstr(line, "field:"), *semi, *p;
	unsigned off, size, sign;
	const char *name_end, *name;
	int is_array;

	if (!decl)
		return 0;
	decl += 6;
	if (!(semi = strchr(decl, ';')))
		return 0;
	if (!(p = strstr(semi, "offset:")) || sscanf(p, "offset:%u;", &off) != 1 ||
	    !(p = strstr(semi, "size:")) || sscanf(p, "size:%u;", &size) != 1 ||
	    !(p = strstr(semi, "signed:")) || sscanf(p, "signed:%u;", &sign) != 1)
		return 0;
	name_end = semi;
	is_array = name_end > decl && name_end[-1] == ']';
	if (is_array)
		while (name_end > decl && *name_end != '[')
			name_end--;
	name = name_end;
	while (name > decl &&
	       (name[-1] == '_' || (name[-1] >= 'a' && name[-1] <= 'z') ||
		(name[-1] >= 'A' && name[-1] <= 'Z') || (name[-1] >= '0' && name[-1] <= '9')))
		name--;
	if (name == name_end || strncmp(name, "common_", 7) == 0)
		return 0;
	memset(f, 0, sizeof *f);
	if (!(f->name = strndup(name, name_end - name)))
		return -1;
	f->off = off;
	f->size = size;
	f->is_signed = sign;
	/* syscall args are stored as unsigned longs whatever their C type: an
	 * int is its low half, signed (openat's dfd AT_FDCWD is -100) */
	if (size == 8 &&
	    (strncmp(decl, "int ", 4) == 0 || strncmp(decl, "unsigned int ", 13) == 0)) {
		f->size = 4;
		f->is_signed = decl[0] == 'i';
	}
	f->is_string = LB_FSTR_NONE;
	if (is_array) {
		unsigned long n = strtoul(name_end + 1, NULL, 10);
		if (n > 0 && n <= size && size % n == 0 && n < 65536)
			f->nelem = (__u16)n;
	}
	f->is_ptr = !is_array && memchr(decl, '*', (size_t)(name - decl)) != NULL;
	if (!is_array && !f->is_ptr && keep_ctype(decl, name, f))
		return -1;
	if (strstr(decl, "char") && (size_t)(name - decl) < (size_t)(semi - decl)) {
		if (strncmp(decl, "__data_loc", 10) == 0)
			f->is_string = LB_FSTR_DATALOC;
		else if (is_array)
			f->is_string = LB_FSTR_ARRAY;
		else if (stars(decl, name) == 1) /* not char **, char *const * (argv) */
			f->is_string = user ? LB_FSTR_UPTR : LB_FSTR_KPTR;
	}
	return 1;
}

/* The C type of a field as the format declares it: "const char * filename"
 * -> "const char *" (for listings). */
static void field_type(const char *line, char *buf, size_t len)
{
	const char *decl = strstr(line, "field:"), *semi, *name;

	buf[0] = 0;
	if (!decl || !(semi = strchr(decl += 6, ';')))
		return;
	name = semi;
	if (name > decl && name[-1] == ']')
		while (name > decl && *name != '[')
			name--;
	while (name > decl && name[-1] != ' ' && name[-1] != '*')
		name--;
	while (name > decl && name[-1] == ' ')
		name--;
	snprintf(buf, len, "%.*s", (int)(name - decl), decl);
}

/* A tracepoint's tracefs format file, or NULL with a message. */
static FILE *open_format(const char *cat, const char *event, char *err, size_t errlen)
{
	const char *root = lb_tracefs(err, errlen);
	char path[512];
	FILE *f;

	if (!root)
		return NULL;
	snprintf(path, sizeof path, "%s/events/%s/%s/format", root, cat, event);
	if (!(f = fopen(path, "r")))
		snprintf(err, errlen, "tracepoint %s:%s does not exist", cat, event);
	return f;
}

int lb_tp_fields(const char *cat, const char *event, struct lbc_field **out, int *n, char *err,
		 size_t errlen)
{
	char line[512];
	FILE *f;
	int r = 0;

	*out = NULL;
	*n = 0;
	if (!(f = open_format(cat, event, err, errlen)))
		return -1;
	while (fgets(line, sizeof line, f)) {
		struct lbc_field fld, *nv;

		if ((r = parse_field(line, strcmp(cat, "syscalls") == 0, &fld)) <= 0) {
			if (r < 0)
				break;
			continue;
		}
		if (!(nv = lb_append(*out, (size_t)*n, sizeof *nv))) {
			free((char *)fld.name);
			r = -1;
			break;
		}
		*out = nv;
		nv[(*n)++] = fld;
		r = 0;
	}
	fclose(f);
	if (r < 0) {
		lb_free_fields(*out, *n);
		*out = NULL;
		*n = 0;
		snprintf(err, errlen, "out of memory");
	}
	return r < 0 ? -1 : 0;
}

/* `luabpf -lv`: the fields of a tracepoint as bpftrace lists them:
 * "    const char * filename" per line (common_ fields left out). */
int lb_tp_describe(const char *cat, const char *event, char **out, char *err, size_t errlen)
{
	char line[512], type[256];
	size_t used = 0, cap = 0;
	FILE *f;

	*out = NULL;
	if (!(f = open_format(cat, event, err, errlen)))
		return -1;
	while (fgets(line, sizeof line, f)) {
		struct lbc_field fld;
		char entry[512];
		int n;

		if (parse_field(line, 0, &fld) <= 0)
			continue;
		field_type(line, type, sizeof type);
		{ /* arrays keep their dimension: "char comm[16]" */
			const char *semi = strchr(strstr(line, "field:"), ';');
			const char *br = semi;

			while (br > line && semi[-1] == ']' && *br != '[')
				br--;
			n = snprintf(entry, sizeof entry, "    %s %s%.*s\n", type, fld.name,
				     semi[-1] == ']' ? (int)(semi - br) : 0, br);
		}
		free((char *)fld.name);
		if (n < 0 || (size_t)n >= sizeof entry)
			continue;
		if (used + (size_t)n + 1 > cap) {
			char *nv = realloc(*out, cap = (used + (size_t)n + 1) * 2);

			if (!nv) {
				fclose(f);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			*out = nv;
		}
		memcpy(*out + used, entry, (size_t)n + 1);
		used += (size_t)n;
	}
	fclose(f);
	return 0;
}
