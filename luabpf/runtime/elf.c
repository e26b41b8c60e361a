/* ELF files, through libelf: the helpers of elf.h shared by user symbols
 * (symbols.c), uprobe offsets (binary.c) and the listings (USDT notes and
 * function symbols for uprobes), and where a file's separate debug file
 * may be (by GNU build id, then by .gnu_debuglink). */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "strlist.h"
#include "elffile.h"

/* Name lists */

/* Sections */

/* The contents of the section called name, or NULL. */
static Elf_Data *section_named(Elf *e, const char *name, GElf_Shdr *shp)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (elf_getshdrstrndx(e, &shstrndx))
		return NULL;
	while ((scn = elf_nextscn(e, scn))) {
		const char *n;

		if (!gelf_getshdr(scn, shp))
			continue;
		n = elf_strptr(e, shstrndx, shp->sh_name);
		if (n && !strcmp(n, name))
			return elf_getdata(scn, NULL);
	}
	return NULL;
}

/* The GNU build id as lower-case hex, or "" */
static void build_id(Elf *e, char *hex, size_t len)
{
	Elf_Scn *scn = NULL;

	hex[0] = 0;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t off = 0, noff, doff;
		GElf_Nhdr nh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		if (!(d = elf_getdata(scn, NULL)))
			continue;
		while ((off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
			    !memcmp((char *)d->d_buf + noff, "GNU", 4) && nh.n_descsz <= 64 &&
			    nh.n_descsz * 2 + 1 <= len) {
				const unsigned char *p = (unsigned char *)d->d_buf + doff;

				for (size_t i = 0; i < nh.n_descsz; i++)
					snprintf(hex + 2 * i, 3, "%02x", p[i]);
				return;
			}
		}
	}
}

Elf *lb_elf_begin(int fd)
{
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);

	if (e && elf_kind(e) != ELF_K_ELF) {
		elf_end(e);
		e = NULL;
	}
	return e;
}

int lb_elf_open(const char *path, struct lb_elf *h, char *err, size_t errlen)
{
	h->fd = -1;
	h->e = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		snprintf(err, errlen, "libelf: %s", elf_errmsg(-1));
		return -1;
	}
	if ((h->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!(h->e = lb_elf_begin(h->fd))) {
		snprintf(err, errlen, "%s: not an ELF file", path);
		close(h->fd);
		h->fd = -1;
		return -1;
	}
	return 0;
}

void lb_elf_close(struct lb_elf *h)
{
	if (h->e)
		elf_end(h->e);
	if (h->fd >= 0)
		close(h->fd);
}

int lb_elf_symbols(Elf *e, int sh_type, int (*fn)(void *ud, const GElf_Sym *sym, const char *name),
		   void *ud)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != (Elf64_Word)sh_type || !sh.sh_entsize)
			continue;
		if (!(d = elf_getdata(scn, NULL)))
			continue;
		n = sh.sh_size / sh.sh_entsize;
		for (size_t i = 1; i < n; i++) {
			GElf_Sym sym;
			const char *name;
			int rc;

			if (!gelf_getsym(d, (int)i, &sym))
				break;
			if (!(name = elf_strptr(e, sh.sh_link, sym.st_name)))
				continue;
			if ((rc = fn(ud, &sym, name)))
				return rc;
		}
	}
	return 0;
}

int lb_elf_debug_paths(Elf *e, const char *path, const char *const *links, char out[][LB_ELF_PATH])
{
	char id[132], dir[LB_ELF_PATH];
	const char *slash = strrchr(path, '/');
	GElf_Shdr sh;
	Elf_Data *d;
	int n = 0;

	build_id(e, id, sizeof id);
	if (id[0] && id[1] && id[2] &&
	    snprintf(out[n], LB_ELF_PATH, "/usr/lib/debug/.build-id/%.2s/%s.debug", id, id + 2) <
		LB_ELF_PATH)
		n++;
	d = section_named(e, ".gnu_debuglink", &sh);
	if (!d || !d->d_buf || d->d_size < 2 || !memchr(d->d_buf, 0, d->d_size) ||
	    !*(const char *)d->d_buf || strchr(d->d_buf, '/') || !slash ||
	    (size_t)(slash - path) >= sizeof dir)
		return n;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = 0;
	for (int i = 0; links[i] && i < LB_ELF_DEBUG_PATHS - 1; i++)
		if (snprintf(out[n], LB_ELF_PATH, links[i], dir, (const char *)d->d_buf) <
			LB_ELF_PATH &&
		    strcmp(out[n], path))
			n++;
	return n;
}

static int by_probe(const void *a, const void *b)
{
	const struct lb_usdt_probe *x = a, *y = b;
	char bx[130], by[130];

	snprintf(bx, sizeof bx, "%s:%s", x->provider, x->name);
	snprintf(by, sizeof by, "%s:%s", y->provider, y->name);
	return strcmp(bx, by);
}

/* "8@%rdi -4@-12(%rbp) 4@$5": arguments are separated by blanks */
static int count_args(const char *a, size_t len)
{
	int n = 0, in = 0;

	for (size_t i = 0; i < len && a[i]; i++) {
		int sp = isspace((unsigned char)a[i]);

		if (!sp && !in)
			n++;
		in = !sp;
	}
	return n;
}

int lb_usdt_probes(const char *path, struct lb_usdt_probe **out, int *n, char *err, size_t errlen)
{
	struct lb_elf h;
	Elf_Scn *scn = NULL;
	struct lb_usdt_probe *v = NULL;
	int cap = 0, cnt = 0, cls;

	*out = NULL;
	*n = 0;
	if (lb_elf_open(path, &h, err, errlen))
		return -1;
	cls = gelf_getclass(h.e);
	while ((scn = elf_nextscn(h.e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t off = 0, noff, doff;
		GElf_Nhdr nh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		if (!(d = elf_getdata(scn, NULL)) || !d->d_buf)
			continue;
		while ((off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			const char *desc = (const char *)d->d_buf + doff, *prov, *name, *args;
			size_t asz = cls == ELFCLASS32 ? 4 : 8, left;

			if (nh.n_type != 3 || nh.n_namesz != 8 ||
			    memcmp((const char *)d->d_buf + noff, "stapsdt", 8))
				continue;
			if (nh.n_descsz < 3 * asz + 3 || doff + nh.n_descsz > d->d_size)
				continue;
			prov = desc + 3 * asz;
			left = nh.n_descsz - 3 * asz;
			name = memchr(prov, 0, left);
			if (!name++ || (size_t)(name - prov) >= left)
				continue;
			left -= (size_t)(name - prov);
			args = memchr(name, 0, left);
			if (!args++)
				continue;
			left -= (size_t)(args - name);
			if (strlen(prov) >= sizeof v->provider || strlen(name) >= sizeof v->name)
				continue;
			if (cnt >= LB_MAX_LIST)
				break;
			if (cnt == cap) {
				int c = cap ? cap * 2 : 16;
				struct lb_usdt_probe *nv = realloc(v, (size_t)c * sizeof *nv);

				if (!nv) {
					free(v);
					lb_elf_close(&h);
					snprintf(err, errlen, "out of memory");
					return -1;
				}
				v = nv;
				cap = c;
			}
			memset(&v[cnt], 0, sizeof v[cnt]);
			snprintf(v[cnt].provider, sizeof v[cnt].provider, "%s", prov);
			snprintf(v[cnt].name, sizeof v[cnt].name, "%s", name);
			v[cnt].nargs = count_args(args, left);
			cnt++;
		}
	}
	lb_elf_close(&h);
	/* one entry per provider:name (a probe may sit at several places),
	 * sorted like bpftrace's listing */
	if (cnt) {
		int j = 0;

		qsort(v, (size_t)cnt, sizeof *v, by_probe);
		for (int i = 0; i < cnt; i++)
			if (!j || by_probe(&v[i], &v[j - 1]))
				v[j++] = v[i];
		cnt = j;
	}
	*out = v;
	*n = cnt;
	return 0;
}

struct funcs {
	const char *glob;
	char ***v;
	int *n, *cap;
};

static int add_func(void *ud, const GElf_Sym *sym, const char *name)
{
	struct funcs *f = ud;
	int type = GELF_ST_TYPE(sym->st_info);

	if ((type != STT_FUNC && type != STT_GNU_IFUNC) || !sym->st_value)
		return 0;
	/* bpftrace leaves out the ".part.N" pieces: not traceable */
	if (!*name || strstr(name, ".part.") || (f->glob && fnmatch(f->glob, name, 0)))
		return 0;
	return lb_strings_push(f->v, f->n, f->cap, name);
}

/* Function symbols (named, with an address) of .symtab and .dynsym,
 * like bcc's bcc_elf_foreach_sym (so bpftrace's listing; sorted after). */
static int elf_funcs(Elf *e, const char *glob, char ***v, int *n, int *cap)
{
	struct funcs f = {glob, v, n, cap};

	if (lb_elf_symbols(e, SHT_SYMTAB, add_func, &f))
		return -1;
	return lb_elf_symbols(e, SHT_DYNSYM, add_func, &f) ? -1 : 0;
}

static int has_needed(Elf *e)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !sh.sh_entsize ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Dyn dyn;

			if (!gelf_getdyn(d, (int)i, &dyn) || dyn.d_tag == DT_NULL)
				break;
			if (dyn.d_tag == DT_NEEDED)
				return 1;
		}
	}
	return 0;
}

int lb_elf_functions(const char *path, const char *glob, char ***out, int *n, int *is_static,
		     char *err, size_t errlen)
{
	struct lb_elf h;
	size_t nph = 0;
	static const char *const links[] = {"%s/%s", "%s/.debug/%s", "/usr/lib/debug%s/%s", NULL};
	char **v = NULL, dbg[LB_ELF_DEBUG_PATHS][LB_ELF_PATH];
	int cap = 0, nd, i;

	*out = NULL;
	*n = 0;
	if (is_static)
		*is_static = 1;
	if (lb_elf_open(path, &h, err, errlen))
		return -1;
	/* statically linked: no interpreter and nothing needed (a static PIE
	 * has .dynamic but no DT_NEEDED; a shared library has DT_NEEDED) */
	if (!elf_getphdrnum(h.e, &nph))
		for (size_t i = 0; i < nph; i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(h.e, (int)i, &ph) && ph.p_type == PT_INTERP && is_static)
				*is_static = 0;
		}
	if (is_static && *is_static && has_needed(h.e))
		*is_static = 0;
	if (elf_funcs(h.e, glob, &v, n, &cap))
		goto oom;
	/* the separate debug file as bcc looks for it: by build id, else by
	 * .gnu_debuglink next to path, in its .debug directory or under
	 * /usr/lib/debug; the first there */
	nd = lb_elf_debug_paths(h.e, path, links, dbg);
	for (i = 0; i < nd && access(dbg[i], R_OK); i++)
		;
	if (i < nd) {
		struct lb_elf dh;

		if (!lb_elf_open(dbg[i], &dh, NULL, 0)) {
			int rc = elf_funcs(dh.e, glob, &v, n, &cap);

			lb_elf_close(&dh);
			if (rc)
				goto oom;
		}
	}
	lb_elf_close(&h);
	lb_strings_sort_uniq(v, n);
	*out = v;
	return 0;
oom:
	lb_free_strings(v, *n);
	*n = 0;
	lb_elf_close(&h);
	snprintf(err, errlen, "out of memory (or over %d functions)", LB_MAX_LIST);
	return -1;
}
