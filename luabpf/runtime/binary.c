/* Where a uprobe's binary is: a path, or a library name resolved like
 * the dynamic loader would (or through the traced process's mappings). */
#define _GNU_SOURCE /* dladdr1, struct link_map */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <gelf.h>
#include "runtime.h"
#include "symbols.h"

static int is_elf(const char *path)
{
	unsigned char m[4];
	FILE *f = fopen(path, "rb");
	int ok = f && fread(m, 1, 4, f) == 4 && !memcmp(m, "\177ELF", 4);

	if (f)
		fclose(f);
	return ok;
}

/* "libc" matches libc.so.6 and libc-2.36.so, not libcap.so */
static int lib_matches(const char *file, const char *name)
{
	size_t n = strlen(name);

	return strncmp(file, name, n) == 0 && (strncmp(file + n, ".so", 3) == 0 || file[n] == '-');
}

static int from_maps(int pid, const char *name, char *out, size_t len)
{
	char path[64], line[4096];
	FILE *f;
	int found = 0;

	snprintf(path, sizeof path, "/proc/%d/maps", pid);
	if (!(f = fopen(path, "r")))
		return 0;
	while (!found && fgets(line, sizeof line, f)) {
		char *file = strchr(line, '/'), *base;

		if (!file)
			continue;
		file[strcspn(file, "\n")] = 0;
		base = strrchr(file, '/') + 1;
		if (lib_matches(base, name) && (size_t)snprintf(out, len, "%s", file) < len)
			found = 1;
	}
	fclose(f);
	return found;
}

int lb_resolve_binary(const char *name, int pid, char *out, size_t len, char *err, size_t errlen)
{
	static const char *const dirs[] = {LB_LIB_DIRS};
	char lib[256];

	if (strchr(name, '/')) {
		if (access(name, R_OK) != 0) {
			snprintf(err, errlen, "%s: %s", name, strerror(errno));
			return -1;
		}
		snprintf(out, len, "%s", name);
		return 0;
	}
	/* "c" and "libc" both mean libc */
	snprintf(lib, sizeof lib, "%s%s", strncmp(name, "lib", 3) ? "lib" : "", name);
	if (pid > 0 && from_maps(pid, lib, out, len))
		return 0;
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *e;
		int found = 0;

		if (!d)
			continue;
		/* a versioned name first: libc.so is often a linker script */
		for (int pass = 0; pass < 2 && !found; pass++) {
			rewinddir(d);
			while (!found && (e = readdir(d))) {
				if (!lib_matches(e->d_name, lib) ||
				    (pass == 0 && !strstr(e->d_name, ".so.")))
					continue;
				snprintf(out, len, "%s/%s", dirs[i], e->d_name);
				found = is_elf(out);
			}
		}
		closedir(d);
		if (found)
			return 0;
	}
	snprintf(err, errlen,
		 "cannot find library '%s' (give its path, or -p PID of a process using it)", name);
	return -1;
}

/* An IFUNC's implementation as this process's loader picked it, when the
 * file is loaded here too (libc always is): programs started on this
 * machine pick the same one. Its address in the file: 0, or -1. */
static int ifunc_target(const char *path, const char *func, uint64_t *vaddr)
{
	void *h = dlopen(path, RTLD_LAZY | RTLD_NOLOAD), *p;
	struct link_map *lm = NULL;
	struct stat a, b;
	Dl_info di;
	int rc = -1;

	if (!h)
		return -1;
	if ((p = dlsym(h, func)) && dladdr1(p, &di, (void **)&lm, RTLD_DL_LINKMAP) && lm &&
	    lm->l_name[0] && !stat(lm->l_name, &a) && !stat(path, &b) && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino) {
		*vaddr = (uintptr_t)p - lm->l_addr;
		rc = 0;
	}
	dlclose(h);
	return rc;
}

/* Why an IFUNC cannot be probed by name, and what to probe instead: the
 * functions of the file (or its debug file) whose names hold func's. */
static void ifunc_error(const char *path, const char *func, char *err, size_t errlen)
{
	char glob[300], **v;
	size_t used;
	int n, st, shown = 0;

	used = (size_t)snprintf(err, errlen,
				"%s in %s is an IFUNC: the dynamic loader picks its "
				"implementation at run time; probe that instead",
				func, path);
	snprintf(glob, sizeof glob, "*%s?*", func);
	if (used >= errlen || lb_elf_functions(path, glob, &v, &n, &st, NULL, 0))
		return;
	for (int i = 0; i < n && shown < 8 && used < errlen; i++, shown++)
		used += (size_t)snprintf(err + used, errlen - used, "%s%s",
					 shown ? ", " : " (likely one of: ", v[i]);
	if (used < errlen)
		snprintf(err + used, errlen - used, "%s",
			 shown ? ")"
			       : " (no function named like it in the file or its debug file)");
	lb_free_strings(v, n);
}

/* func's symbol in e, else in e's debug file (a local function only the
 * debug file names, as libc6-dbg's _IO_cleanup: its address is the same
 * in path). 0, or -1. */
static int lookup_func(Elf *e, const char *path, const char *func, GElf_Sym *sym)
{
	struct lb_elf dh;
	int rc;

	if (!lb_elf_lookup(e, func, sym))
		return 0;
	if (lb_elf_open_debug(e, path, &dh))
		return -1;
	rc = lb_elf_lookup(dh.e, func, sym);
	lb_elf_close(&dh);
	return rc;
}

int lb_elf_func_offset(const char *path, const char *func, uint64_t *off, char *err, size_t errlen)
{
	struct lb_elf h;
	GElf_Sym sym;
	uint64_t addr = 0;
	int rc = -1;

	GElf_Ehdr eh;

	if (lb_elf_open(path, &h, err, errlen))
		return -1;
	if (gelf_getehdr(h.e, &eh) && eh.e_type == ET_REL)
		snprintf(err, errlen,
			 "%s: a relocatable object (.o): uprobes need an executable or a shared "
			 "library",
			 path);
	else if (lookup_func(h.e, path, func, &sym))
		snprintf(err, errlen, "no function %s in %s", func, path);
	else if (GELF_ST_TYPE(sym.st_info) == STT_GNU_IFUNC && ifunc_target(path, func, &addr))
		ifunc_error(path, func, err, errlen);
	else if (GELF_ST_TYPE(sym.st_info) != STT_FUNC &&
		 GELF_ST_TYPE(sym.st_info) != STT_GNU_IFUNC)
		snprintf(err, errlen, "%s in %s is not a function", func, path);
	else if (lb_elf_file_offset(
		     h.e, GELF_ST_TYPE(sym.st_info) == STT_FUNC ? sym.st_value : addr, 1, off))
		snprintf(err, errlen, "%s in %s is not in an executable segment", func, path);
	else
		rc = 0;
	lb_elf_close(&h);
	return rc;
}

/* Defined symbols of an ELF file (and of its debug file) by name, for
 * resolving a wildcard's thousands of functions with one opening. */
struct symidx {
	const char *name;
	size_t len; /* of the name before any "@VERSION" */
	int order;  /* lb_elf_lookup's order: .symtab, .dynsym, the debug file's */
	GElf_Sym sym;
};

struct symlist {
	struct symidx *v;
	int n, cap;
};

static int collect(void *ud, const GElf_Sym *sym, const char *name)
{
	struct symlist *l = ud;
	const char *at = strchr(name, '@');

	if (sym->st_shndx == SHN_UNDEF)
		return 0;
	if (l->n == l->cap) {
		struct symidx *nv =
		    realloc(l->v, (size_t)(l->cap = l->cap ? 2 * l->cap : 4096) * sizeof *nv);
		if (!nv)
			return -1;
		l->v = nv;
	}
	l->v[l->n] = (struct symidx){name, at ? (size_t)(at - name) : strlen(name), l->n, *sym};
	l->n++;
	return 0;
}

static int symcmp(const void *a, const void *b)
{
	const struct symidx *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->name, y->name, n);

	if (c || x->len != y->len)
		return c ? c : x->len < y->len ? -1 : 1;
	return x->order - y->order;
}

/* A name up to any "@VERSION", as bsearch looks for it */
struct basekey {
	const char *s;
	size_t len;
};

static int basecmp(const void *key, const void *b)
{
	const struct basekey *k = key;
	const struct symidx *y = b;
	size_t n = k->len < y->len ? k->len : y->len;
	int c = memcmp(k->s, y->name, n);

	return c ? c : k->len == y->len ? 0 : k->len < y->len ? -1 : 1;
}

/* func as lb_elf_lookup finds it ("name" or "name@@VERSION"): the first
 * in its order of the symbols that are func or func@... */
static const struct symidx *find_sym(const struct symlist *l, const char *func)
{
	struct basekey k = {func, strcspn(func, "@")};
	const struct symidx *x = bsearch(&k, l->v, (size_t)l->n, sizeof *l->v, basecmp);
	size_t fl = strlen(func);

	if (!x)
		return NULL;
	while (x > l->v && !basecmp(&k, x - 1))
		x--;
	for (; x < l->v + l->n && !basecmp(&k, x); x++)
		if (!strncmp(x->name, func, fl) && (!x->name[fl] || x->name[fl] == '@'))
			return x;
	return NULL;
}

int lb_elf_func_offsets(const char *path, char *const *funcs, int n, uint64_t *offs, char *err,
			size_t errlen)
{
	struct symlist l = {NULL, 0, 0};
	struct lb_elf h, dh;
	int rc = -1, have_debug;

	if (lb_elf_open(path, &h, err, errlen))
		return -1;
	have_debug = !lb_elf_open_debug(h.e, path, &dh);
	if (lb_elf_symbols(h.e, SHT_SYMTAB, collect, &l) ||
	    lb_elf_symbols(h.e, SHT_DYNSYM, collect, &l) ||
	    (have_debug && (lb_elf_symbols(dh.e, SHT_SYMTAB, collect, &l) ||
			    lb_elf_symbols(dh.e, SHT_DYNSYM, collect, &l)))) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	qsort(l.v, (size_t)l.n, sizeof *l.v, symcmp);
	for (int i = 0; i < n; i++) {
		const struct symidx *x = find_sym(&l, funcs[i]);
		uint64_t addr = 0;
		int type;

		offs[i] = 0;
		if (!x)
			continue;
		type = GELF_ST_TYPE(x->sym.st_info);
		if (type == STT_FUNC)
			addr = x->sym.st_value;
		else if (type != STT_GNU_IFUNC || ifunc_target(path, funcs[i], &addr))
			continue;
		if (lb_elf_file_offset(h.e, addr, 1, &offs[i]))
			offs[i] = 0;
	}
	rc = 0;
out:
	free(l.v);
	if (have_debug)
		lb_elf_close(&dh);
	lb_elf_close(&h);
	return rc;
}

int lb_file_bytes(const char *path, const uint64_t *offs, int n, unsigned char *out, char *err,
		  size_t errlen)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++)
		if (!offs[i] || pread(fd, &out[i], 1, (off_t)offs[i]) != 1)
			out[i] = 0;
	close(fd);
	return 0;
}
