/* ELF files, through libelf: the helpers of elf.h shared by user symbols
 * (symbols.c), uprobe offsets (binary.c) and the listings (USDT notes and
 * function symbols for uprobes), and where a file's separate debug file
 * may be (by GNU build id, then by .gnu_debuglink). */

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
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

/* Call fn for each note of e's note sections in file order, with its
 * name and descriptor (within the section), until it returns nonzero:
 * returns that, or 0. */
static int
each_elf_note(Elf *e, int (*fn)(void *ud, const GElf_Nhdr *nh, const char *name, const char *desc),
	      void *ud)
{
	Elf_Scn *scn = NULL;
	int rc;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t off = 0, noff, doff;
		GElf_Nhdr nh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		if (!(d = elf_getdata(scn, NULL)) || !d->d_buf)
			continue;
		while ((off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0)
			if (doff + nh.n_descsz <= d->d_size &&
			    (rc = fn(ud, &nh, (const char *)d->d_buf + noff,
				     (const char *)d->d_buf + doff)))
				return rc;
	}
	return 0;
}

struct hex {
	char *s;
	size_t len;
};

static int gnu_build_id(void *ud, const GElf_Nhdr *nh, const char *name, const char *desc)
{
	struct hex *h = ud;

	if (nh->n_type != NT_GNU_BUILD_ID || nh->n_namesz != 4 || memcmp(name, "GNU", 4) ||
	    nh->n_descsz > 64 || nh->n_descsz * 2 + 1 > h->len)
		return 0;
	for (size_t i = 0; i < nh->n_descsz; i++)
		snprintf(h->s + 2 * i, 3, "%02x", (unsigned char)desc[i]);
	return 1;
}

/* The GNU build id as lower-case hex, or "" */
static void build_id(Elf *e, char *hex, size_t len)
{
	struct hex h = {hex, len};

	hex[0] = 0;
	each_elf_note(e, gnu_build_id, &h);
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

static const char *file_kind(mode_t m)
{
	return S_ISDIR(m)    ? "a directory"
	       : S_ISCHR(m)  ? "a character device"
	       : S_ISBLK(m)  ? "a block device"
	       : S_ISFIFO(m) ? "a FIFO"
	       : S_ISSOCK(m) ? "a socket"
			     : "not a regular file";
}

/* Whether every header and section of e lies within the file's size. */
static int whole(Elf *e, off_t size)
{
	GElf_Ehdr eh;
	Elf_Scn *scn = NULL;
	size_t nph, nsh;

	if (!gelf_getehdr(e, &eh) || elf_getphdrnum(e, &nph) || elf_getshdrnum(e, &nsh) ||
	    eh.e_phoff + (uint64_t)nph * eh.e_phentsize > (uint64_t)size ||
	    eh.e_shoff + (uint64_t)nsh * eh.e_shentsize > (uint64_t)size)
		return 0;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_NOBITS && sh.sh_offset + sh.sh_size > (uint64_t)size))
			return 0;
	}
	return 1;
}

int lb_elf_open(const char *path, struct lb_elf *h, char *err, size_t errlen)
{
	struct stat st;
	char magic[4];

	h->fd = -1;
	h->e = NULL;
	if (elf_version(EV_CURRENT) == EV_NONE) {
		snprintf(err, errlen, "libelf: %s", elf_errmsg(-1));
		return -1;
	}
	/* stat first: opening a FIFO would block, a device read forever */
	if (stat(path, &st) ||
	    (S_ISREG(st.st_mode) && (h->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || fstat(h->fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: %s, not an ELF file", path, file_kind(st.st_mode));
		lb_elf_close(h);
		return -1;
	}
	if (!(h->e = lb_elf_begin(h->fd)) || !whole(h->e, st.st_size)) {
		if (pread(h->fd, magic, 4, 0) == 4 && !memcmp(magic, ELFMAG, 4))
			snprintf(err, errlen, "%s: truncated or corrupt ELF file (%lld bytes)",
				 path, (long long)st.st_size);
		else
			snprintf(err, errlen, "%s: not an ELF file", path);
		lb_elf_close(h);
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
	h->e = NULL;
	h->fd = -1;
}

int lb_elf_file_offset(Elf *e, uint64_t vaddr, int exec, uint64_t *off)
{
	size_t nph;

	if (elf_getphdrnum(e, &nph))
		return -1;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD &&
		    (!exec || (ph.p_flags & PF_X)) && vaddr >= ph.p_vaddr &&
		    vaddr < ph.p_vaddr + ph.p_filesz) {
			*off = vaddr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -1;
}

struct lookup {
	const char *name;
	size_t len;
	GElf_Sym *sym;
};

static int lookup(void *ud, const GElf_Sym *sym, const char *name)
{
	struct lookup *l = ud;

	if (sym->st_shndx == SHN_UNDEF || strncmp(name, l->name, l->len) ||
	    (name[l->len] && name[l->len] != '@'))
		return 0;
	*l->sym = *sym;
	return 1;
}

int lb_elf_lookup(Elf *e, const char *name, GElf_Sym *sym)
{
	struct lookup l = {name, strlen(name), sym};

	if (lb_elf_symbols(e, SHT_SYMTAB, lookup, &l) || lb_elf_symbols(e, SHT_DYNSYM, lookup, &l))
		return 0;
	return -1;
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

/* USDT notes */

/* One .note.stapsdt note: where the probe is (its pc moved with the file
 * if prelink moved .stapsdt.base), its semaphore, names and arguments. */
struct sdt_note {
	uint64_t pc, sema;
	const char *provider, *name, *args;
};

struct sdt_walk {
	uint64_t base; /* .stapsdt.base's address, or 0 */
	size_t asz;    /* address size */
	int (*fn)(void *ud, const struct sdt_note *n);
	void *ud;
};

static int sdt_note(void *ud, const GElf_Nhdr *nh, const char *name, const char *desc)
{
	struct sdt_walk *w = ud;
	const char *end = desc + nh->n_descsz;
	uint64_t a[3] = {0, 0, 0};
	struct sdt_note n;

	if (nh->n_type != 3 || nh->n_namesz != 8 || memcmp(name, "stapsdt", 8) ||
	    nh->n_descsz < 3 * w->asz + 3)
		return 0;
	for (int k = 0; k < 3; k++)
		memcpy(&a[k], desc + k * w->asz, w->asz); /* little-endian */
	n.provider = desc + 3 * w->asz;
	if (!(n.name = memchr(n.provider, 0, (size_t)(end - n.provider))) || ++n.name >= end ||
	    !(n.args = memchr(n.name, 0, (size_t)(end - n.name))) || ++n.args >= end ||
	    !memchr(n.args, 0, (size_t)(end - n.args)))
		return 0;
	n.pc = a[0] + (w->base ? w->base - a[1] : 0);
	n.sema = a[2] && w->base ? a[2] + w->base - a[1] : a[2];
	return w->fn(w->ud, &n);
}

/* Call fn for each stapsdt note of e in file order until it returns
 * nonzero: returns that, or 0. */
static int each_note(Elf *e, int (*fn)(void *ud, const struct sdt_note *n), void *ud)
{
	struct sdt_walk w = {0, gelf_getclass(e) == ELFCLASS32 ? 4 : 8, fn, ud};
	GElf_Shdr base;

	if (section_named(e, ".stapsdt.base", &base))
		w.base = base.sh_addr;
	return each_elf_note(e, sdt_note, &w);
}

static int by_probe(const void *a, const void *b)
{
	const struct lb_usdt_probe *x = a, *y = b;
	char bx[130], by[130];

	snprintf(bx, sizeof bx, "%s:%s", x->provider, x->name);
	snprintf(by, sizeof by, "%s:%s", y->provider, y->name);
	return strcmp(bx, by);
}

/* "8@%rdi -4@-12(%rbp) 4@$5": arguments are separated by blanks; the
 * next one from *s into buf, or 0 at the end. */
static int next_arg(const char **s, char *buf, size_t len)
{
	size_t n;

	*s += strspn(*s, " \t");
	if (!**s)
		return 0;
	n = strcspn(*s, " \t");
	snprintf(buf, len, "%.*s", (int)n, *s);
	*s += n;
	return 1;
}

struct probes {
	struct lb_usdt_probe *v;
	int n, cap;
};

static int add_probe(void *ud, const struct sdt_note *note)
{
	struct probes *p = ud;
	struct lb_usdt_probe *u;
	const char *a = note->args;
	char arg[256];

	if (strlen(note->provider) >= sizeof u->provider || strlen(note->name) >= sizeof u->name)
		return 0;
	if (p->n >= LB_MAX_LIST)
		return 1;
	if (p->n == p->cap) {
		int c = p->cap ? p->cap * 2 : 16;
		struct lb_usdt_probe *nv = realloc(p->v, (size_t)c * sizeof *nv);

		if (!nv)
			return -1;
		p->v = nv;
		p->cap = c;
	}
	u = &p->v[p->n++];
	memset(u, 0, sizeof *u);
	snprintf(u->provider, sizeof u->provider, "%s", note->provider);
	snprintf(u->name, sizeof u->name, "%s", note->name);
	while (next_arg(&a, arg, sizeof arg))
		u->nargs++;
	return 0;
}

int lb_usdt_probes(const char *path, struct lb_usdt_probe **out, int *n, char *err, size_t errlen)
{
	struct lb_elf h;
	struct probes p = {NULL, 0, 0};
	int j = 0;

	*out = NULL;
	*n = 0;
	if (lb_elf_open(path, &h, err, errlen))
		return -1;
	if (each_note(h.e, add_probe, &p) < 0) {
		free(p.v);
		lb_elf_close(&h);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	lb_elf_close(&h);
	/* one entry per provider:name (a probe may sit at several places),
	 * sorted like bpftrace's listing */
	if (p.n)
		qsort(p.v, (size_t)p.n, sizeof *p.v, by_probe);
	for (int i = 0; i < p.n; i++)
		if (!j || by_probe(&p.v[i], &p.v[j - 1]))
			p.v[j++] = p.v[i];
	*out = p.v;
	*n = j;
	return 0;
}

struct sites {
	Elf *e;
	const char *path, *provider, *name;
	struct lb_usdt_site *v;
	int n;
	char *err;
	size_t errlen;
};

/* Decode one argument of a site; a %rip-relative one becomes relative to
 * the probe's ip, which the uprobe sees at the note's pc. */
static int site_arg(struct sites *S, struct lb_usdt_site *site, int i, const char *text)
{
	struct lb_usdt_operand *o = &site->ops[i];
	GElf_Sym sym;
	size_t n;

	n = (size_t)snprintf(S->err, S->errlen, "%s: USDT probe %s:%s at 0x%llx: ", S->path,
			     S->provider, S->name, (unsigned long long)site->pc);
	if (n >= S->errlen)
		n = 0;
	if (lb_usdt_parse(text, o, S->err + n, S->errlen - n))
		return -1;
	snprintf(site->text[i], sizeof site->text[i], "%.127s", text);
	site->args[i] = o->a;
	if (!o->sym[0])
		return 0;
	if (lb_elf_lookup(S->e, o->sym, &sym)) {
		snprintf(S->err + n, S->errlen - n,
			 "argument %d '%s': no symbol %s in the file (stripped?)", i, text, o->sym);
		return -1;
	}
	site->args[i].val += (__s64)(sym.st_value - site->pc);
	return 0;
}

static int add_site(void *ud, const struct sdt_note *note)
{
	struct sites *S = ud;
	struct lb_usdt_site *site, *nv;
	const char *a = note->args;
	char arg[256];

	if (strcmp(note->provider, S->provider) || strcmp(note->name, S->name))
		return 0;
	if (!(nv = lb_append(S->v, (size_t)S->n, sizeof *nv))) {
		snprintf(S->err, S->errlen, "out of memory");
		return -1;
	}
	S->v = nv;
	site = &nv[S->n++];
	site->pc = note->pc;
	while (next_arg(&a, arg, sizeof arg)) {
		if (site->nargs == LB_USDT_ARGS) {
			snprintf(S->err, S->errlen, "%s: USDT probe %s:%s has over %d arguments",
				 S->path, S->provider, S->name, LB_USDT_ARGS);
			return -1;
		}
		if (site_arg(S, site, site->nargs++, arg))
			return -1;
	}
	if (lb_elf_file_offset(S->e, site->pc, 1, &site->offset) ||
	    (note->sema && lb_elf_file_offset(S->e, note->sema, 0, &site->sema_offset))) {
		snprintf(S->err, S->errlen,
			 "%s: USDT probe %s:%s at 0x%llx: its %s is not in a loaded segment",
			 S->path, S->provider, S->name, (unsigned long long)site->pc,
			 note->sema ? "address or semaphore" : "address");
		return -1;
	}
	return 0;
}

/* "a:b, c:d" (the file's probes), or "" */
static void probe_names(const char *path, char *buf, size_t len)
{
	struct lb_usdt_probe *u;
	size_t used = 0;
	int n;

	buf[0] = 0;
	if (lb_usdt_probes(path, &u, &n, NULL, 0))
		return;
	for (int i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s:%s", i ? ", " : "",
					 u[i].provider, u[i].name);
	free(u);
}

int lb_usdt_sites(const char *path, const char *provider, const char *name,
		  struct lb_usdt_site **out, int *n, char *err, size_t errlen)
{
	struct sites S = {NULL, path, provider, name, NULL, 0, err, errlen};
	struct lb_elf h;
	char names[512];
	int rc;

	*out = NULL;
	*n = 0;
	if (lb_elf_open(path, &h, err, errlen))
		return -1;
	S.e = h.e;
	rc = each_note(h.e, add_site, &S);
	lb_elf_close(&h);
	if (!rc && S.n > LB_USDT_SITES) {
		snprintf(err, errlen, "%s: USDT probe %s:%s has %d call sites, luabpf takes %d",
			 path, provider, name, S.n, LB_USDT_SITES);
		rc = -1;
	} else if (!rc && !S.n) {
		probe_names(path, names, sizeof names);
		snprintf(err, errlen, "%s has no USDT probe %s:%s (%s%s)", path, provider, name,
			 names[0] ? "its probes: " : "it has no USDT probes", names);
		rc = -1;
	}
	if (rc) {
		free(S.v);
		return -1;
	}
	*out = S.v;
	*n = S.n;
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

/* The separate debug file of e (at path) as bcc looks for it: by build
 * id, else by .gnu_debuglink next to path, in its .debug directory or
 * under /usr/lib/debug; the first there. 0 with dh open, or -1. */
int lb_elf_open_debug(Elf *e, const char *path, struct lb_elf *dh)
{
	static const char *const links[] = {"%s/%s", "%s/.debug/%s", "/usr/lib/debug%s/%s", NULL};
	char dbg[LB_ELF_DEBUG_PATHS][LB_ELF_PATH];
	int nd = lb_elf_debug_paths(e, path, links, dbg), i;

	for (i = 0; i < nd && access(dbg[i], R_OK); i++)
		;
	return i < nd ? lb_elf_open(dbg[i], dh, NULL, 0) : -1;
}

int lb_elf_functions(const char *path, const char *glob, char ***out, int *n, int *is_static,
		     char *err, size_t errlen)
{
	struct lb_elf h;
	size_t nph = 0;
	char **v = NULL;
	int cap = 0;

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
	{
		struct lb_elf dh;

		if (!lb_elf_open_debug(h.e, path, &dh)) {
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
