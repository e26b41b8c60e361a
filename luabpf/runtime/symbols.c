/* Kernel and user symbols, and stacks laid out like bpftrace 0.17's.
 *
 * Kernel: /proc/kallsyms without data symbols (like bcc; of aliases, the
 * last listed, like bcc), read once per
 * lb_syms on first use, sorted; an address belongs to the nearest symbol
 * at or below it.
 * User: per pid the file mappings of /proc/PID/maps (re-read, at
 * most once per call, when an address is outside all of them and its page
 * was not already outside them at the last read); per ELF
 * file (device, inode, mtime, size) its sized function and object
 * symbols: .symtab, else the .symtab of its separate debug file
 * (/usr/lib/debug/.build-id/xx/yyyy.debug or .gnu_debuglink), else
 * .dynsym. A runtime address becomes a file offset through its mapping,
 * then an ELF virtual address through the PT_LOAD segment holding that
 * offset (PIE, shared libraries, non-PIE and static executables alike).
 * Files are opened through /proc/PID/map_files, then /proc/PID/root, then
 * the path itself, checked against the mapping's inode.
 * Processes that exit: the kernel announces a process the first time one
 * of its user stacks is taken (LB_REC_PROC); lb_syms_keep then reads its
 * mappings and loads the symbols of its code at once, and a mapping list
 * is never replaced by an empty one (the process has gone), so stacks
 * printed after it exited still find their files (by device and inode,
 * then by path checked against the inode).
 * Unknown addresses print as bpftrace prints them: "0x7f..." ("0" for 0).
 * Everything is bounded and lives in struct lb_syms. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include "symbols.h"
#include "../../bpf/plan.h"
#include "syms_impl.h"

/* Symbol tables */

static void tab_free(struct symtab *t)
{
	free(t->v);
	free(t->maxend);
	free(t->names);
	memset(t, 0, sizeof *t);
}

static int tab_add(struct symtab *t, uint64_t start, uint64_t size, const char *name, uint64_t rank)
{
	size_t nl = strlen(name) + 1;

	if (t->n >= SYMS_PER_FILE || t->nnames + nl > SYMS_NAMES_MAX)
		return -1;
	if (t->n == t->cap) {
		size_t c = t->cap ? t->cap * 2 : 1024;
		struct sym *nv = realloc(t->v, c * sizeof *nv);

		if (!nv)
			return -1;
		t->v = nv;
		t->cap = c;
	}
	if (t->nnames + nl > t->capnames) {
		size_t c = t->capnames ? t->capnames : 16384;
		char *nn;

		while (c < t->nnames + nl)
			c *= 2;
		if (!(nn = realloc(t->names, c)))
			return -1;
		t->names = nn;
		t->capnames = c;
	}
	memcpy(t->names + t->nnames, name, nl);
	t->v[t->n].start = start;
	t->v[t->n].size = size;
	t->v[t->n].name = (uint32_t)t->nnames;
	t->v[t->n].rank = rank;
	t->nnames += nl;
	t->n++;
	return 0;
}

static int sym_cmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name;
}

/* Sort; keep one symbol per address (the best ranked, then the first
 * seen); compute maxend for sized look-ups. */
static int tab_finish(struct symtab *t, int sized)
{
	size_t j = 0;

	if (!t->n)
		return 0;
	qsort(t->v, t->n, sizeof *t->v, sym_cmp);
	for (size_t i = 0; i < t->n; i++)
		if (!j || t->v[i].start != t->v[j - 1].start)
			t->v[j++] = t->v[i];
	t->n = j;
	if (sized) {
		if (!(t->maxend = malloc(t->n * sizeof *t->maxend)))
			return -1;
		for (size_t i = 0; i < t->n; i++) {
			uint64_t e = t->v[i].start + t->v[i].size;

			t->maxend[i] = i && t->maxend[i - 1] > e ? t->maxend[i - 1] : e;
		}
	}
	return 0;
}

/* Index of the last symbol starting at or below addr, or -1. */
static long tab_below(const struct symtab *t, uint64_t addr)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->v[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (long)lo - 1;
}

/* The sized symbol holding addr (innermost), or NULL. */
static const struct sym *tab_find_sized(const struct symtab *t, uint64_t addr)
{
	long i = tab_below(t, addr);

	for (int k = 0; i >= 0 && k < SYMS_WALK; i--, k++) {
		if (t->maxend[i] <= addr)
			break;
		if (addr < t->v[i].start + t->v[i].size)
			return &t->v[i];
	}
	return NULL;
}

/* Output */

static size_t put_hex(uint64_t addr, char *buf, size_t len)
{
	int n;

	if (!len)
		return 0;
	/* like C++'s ostream << (void *)addr, which bpftrace uses */
	n = addr ? snprintf(buf, len, "0x%llx", (unsigned long long)addr) : snprintf(buf, len, "0");
	return n < 0 ? 0 : strnlen(buf, len - 1);
}

static size_t put_sym(const char *name, uint64_t off, int with_offset, char *buf, size_t len)
{
	int n;

	if (!len)
		return 0;
	n = with_offset ? snprintf(buf, len, "%s+%llu", name, (unsigned long long)off)
			: snprintf(buf, len, "%s", name);
	return n < 0 ? 0 : strnlen(buf, len - 1);
}

/* Kernel */

/* bcc (so bpftrace 0.17) skips data symbols (b B d D r R) and keeps the
 * rest, weak objects (V) and absolute symbols (A) too, above
 * 0xffffffff00000000: a global lock such as misc_mtx (d) prints as the
 * nearest such symbol below it, as bpftrace prints it. */
static int ktype_kept(char t, unsigned long long a)
{
	return !strchr("bBdDrR", t) && a >= 0xffffffff00000000ULL;
}

static void kload(struct lb_syms *s)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	uint32_t order = 0;
	long seen = 0;

	s->kloaded = 1;
	if (!(f = fopen("/proc/kallsyms", "re")))
		return;
	while (getline(&line, &cap, f) > 0) {
		char *end, *name, *nl;
		unsigned long long a = strtoull(line, &end, 16);

		if (end == line || end[0] != ' ' || !end[1] || end[2] != ' ')
			continue;
		seen++;
		if (!a || !ktype_kept(end[1], a))
			continue;
		name = end + 3;
		nl = name + strcspn(name, "\t\n ");
		*nl = 0;
		if (!*name)
			continue;
		/* of aliases bcc (so bpftrace) shows the last one listed:
		 * __pi_memcpy, not memcpy */
		if (tab_add(&s->k, a, 0, name, UINT32_MAX - order++))
			break;
	}
	free(line);
	fclose(f);
	/* the kernel shows addresses only with CAP_SYSLOG (kptr_restrict,
	 * perf_event_paranoid > 1): it lists names at 0 */
	s->khidden = seen > 0 && s->k.n == 0;
	if (tab_finish(&s->k, 0))
		tab_free(&s->k);
}

int lb_syms_kernel_hidden(const struct lb_syms *s)
{
	return s && s->kloaded && s->khidden;
}

size_t lb_ksym(struct lb_syms *s, uint64_t addr, int with_offset, char *buf, size_t len)
{
	long i;

	if (!s)
		return put_hex(addr, buf, len);
	if (!s->kloaded)
		kload(s);
	i = tab_below(&s->k, addr);
	if (i < 0 || !addr)
		return put_hex(addr, buf, len);
	return put_sym(s->k.names + s->k.v[i].name, addr - s->k.v[i].start, with_offset, buf, len);
}

/* ELF files */

static void elffile_free(struct elffile *f)
{
	if (!f)
		return;
	tab_free(&f->tab);
	free(f);
}

/* Of aliases (one address, e.g. libc's open, open64, __open,
 * __GI___libc_open), show functions before data, then global before weak
 * before local, then the fewest leading underscores, then the shortest
 * name, then the first listed: "open". (bcc picks whichever its unstable
 * sort leaves last, __GI___libc_open for this one.) */
static uint64_t sym_rank(const GElf_Sym *sym, const char *name, uint32_t order)
{
	int t = GELF_ST_TYPE(sym->st_info), b = GELF_ST_BIND(sym->st_info);
	uint64_t r = t == STT_FUNC || t == STT_GNU_IFUNC ? 0 : 4;
	size_t us = strspn(name, "_"), len = strlen(name);

	r += b == STB_GLOBAL ? 0 : b == STB_WEAK ? 1 : 2;
	return r << 56 | (uint64_t)(us > 255 ? 255 : us) << 48 |
	       (uint64_t)(len > 0xffff ? 0xffff : len) << 32 | order;
}

struct added {
	struct symtab *t;
	uint32_t *order;
	long n;
};

static int add_symbol(void *ud, const GElf_Sym *sym, const char *name)
{
	struct added *a = ud;
	int type = GELF_ST_TYPE(sym->st_info);

	if (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_OBJECT && type != STT_NOTYPE)
		return 0;
	if (!sym->st_size || sym->st_shndx == SHN_UNDEF || sym->st_shndx == SHN_ABS ||
	    sym->st_shndx == SHN_COMMON || !*name)
		return 0;
	if (tab_add(a->t, sym->st_value, sym->st_size, name, sym_rank(sym, name, *a->order)))
		return -1;
	(*a->order)++;
	a->n++;
	return 0;
}

/* Add the sized symbols of section type want (SHT_SYMTAB/SHT_DYNSYM).
 * Returns how many were added, -1 on error. */
static long read_symbols(Elf *e, Elf32_Word want, struct symtab *t, uint32_t *order)
{
	struct added a = {t, order, 0};

	return lb_elf_symbols(e, (int)want, add_symbol, &a) ? -1 : a.n;
}

static int has_section(Elf *e, Elf32_Word want)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(e, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == want)
			return 1;
	return 0;
}

int lb_open_checked(const char *path, ino_t want_ino)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (want_ino && st.st_ino != want_ino)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Symbols from the separate debug file, found by build id or debuglink
 * under root ("" or "/proc/PID/root"). */
static long read_debug_file(Elf *e, const char *root, const char *path, struct symtab *t,
			    uint32_t *order)
{
	static const char *const links[] = {"/usr/lib/debug%s/%s", "%s/.debug/%s", NULL};
	char cands[LB_ELF_DEBUG_PATHS][LB_ELF_PATH], p[SYMS_PATH];
	int nc = lb_elf_debug_paths(e, path, links, cands);
	long got = -1;

	for (int i = 0; i < nc && got <= 0; i++) {
		int fd;
		Elf *de;

		fd = -1;
		if (snprintf(p, sizeof p, "%s%s", root, cands[i]) < (int)sizeof p)
			fd = lb_open_checked(p, 0);
		if (fd < 0 && root[0])
			fd = lb_open_checked(cands[i], 0);
		if (fd < 0)
			continue;
		if ((de = lb_elf_begin(fd))) {
			if (has_section(de, SHT_SYMTAB))
				got = read_symbols(de, SHT_SYMTAB, t, order);
			elf_end(de);
		}
		close(fd);
	}
	return got;
}

/* Read the ELF file open on fd (path as the process sees it). */
static struct elffile *elffile_load(int fd, const struct stat *st, const char *root,
				    const char *path)
{
	struct elffile *f = calloc(1, sizeof *f);
	Elf *e;
	GElf_Ehdr eh;
	size_t nph;
	uint32_t order = 0;
	long got = 0;

	if (!f)
		return NULL;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->mtime = st->st_mtim;
	f->fsize = st->st_size;
	if (!(e = lb_elf_begin(fd)))
		goto fail;
	if (!gelf_getehdr(e, &eh) || elf_getphdrnum(e, &nph))
		goto fail_elf;
	f->etype = eh.e_type;
	for (size_t i = 0; i < nph && f->nsegs < SYMS_SEGS; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		f->segs[f->nsegs].off = ph.p_offset;
		f->segs[f->nsegs].vaddr = ph.p_vaddr;
		f->segs[f->nsegs].filesz = ph.p_filesz;
		f->nsegs++;
	}
	if (has_section(e, SHT_SYMTAB))
		got = read_symbols(e, SHT_SYMTAB, &f->tab, &order);
	else
		got = read_debug_file(e, root, path, &f->tab, &order);
	if (got <= 0) {
		tab_free(&f->tab);
		order = 0;
		got = read_symbols(e, SHT_DYNSYM, &f->tab, &order);
	}
	if (got < 0 || tab_finish(&f->tab, 1))
		tab_free(&f->tab);
	elf_end(e);
	return f;
fail_elf:
	elf_end(e);
fail:
	free(f);
	return NULL;
}

static struct elffile *file_by_serial(struct lb_syms *s, uint64_t serial)
{
	for (int i = 0; i < s->nfiles; i++)
		if (s->files[i]->serial == serial) {
			s->files[i]->used = ++s->clock;
			return s->files[i];
		}
	return NULL;
}

/* Find or load the symbols of mapping m of process pid. */
static struct elffile *map_file(struct lb_syms *s, pid_t pid, struct lb_umap *m)
{
	char root[64];
	int fd = -1, slot;
	struct stat st;
	struct elffile *f;

	if (m->failed)
		return NULL;
	if (m->file && (f = file_by_serial(s, m->file)))
		return f;
	snprintf(root, sizeof root, "/proc/%d/root", (int)pid);
	fd = lb_syms_open(pid, m);
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		m->failed = 1;
		return NULL;
	}
	for (int i = 0; i < s->nfiles; i++) {
		f = s->files[i];
		if (f->dev == st.st_dev && f->ino == st.st_ino && f->fsize == st.st_size &&
		    f->mtime.tv_sec == st.st_mtim.tv_sec &&
		    f->mtime.tv_nsec == st.st_mtim.tv_nsec) {
			close(fd);
			f->used = ++s->clock;
			m->file = f->serial;
			return f;
		}
	}
	f = elffile_load(fd, &st, root, m->path);
	close(fd);
	if (!f) {
		m->failed = 1;
		return NULL;
	}
	f->serial = ++s->serial;
	f->used = ++s->clock;
	if (s->nfiles < SYMS_FILES) {
		slot = s->nfiles++;
	} else {
		slot = 0;
		for (int i = 1; i < s->nfiles; i++)
			if (s->files[i]->used < s->files[slot]->used)
				slot = i;
		elffile_free(s->files[slot]);
	}
	s->files[slot] = f;
	m->file = f->serial;
	return f;
}

static size_t usym_lookup(struct lb_syms *s, pid_t pid, uint64_t addr, int with_offset, char *buf,
			  size_t len, const char **module)
{
	struct proc *p;
	struct lb_umap *m;
	struct elffile *f;
	const struct sym *sym;
	uint64_t off, vaddr;
	int seg = -1;

	if (!addr || pid <= 0 || !s->elf_ok)
		return put_hex(addr, buf, len);
	p = lb_proc_get(s, pid);
	if (!(m = lb_proc_find(p, addr)) && p->gen != s->gen && !lb_proc_missed(p, addr)) {
		lb_proc_read(s, p);
		if (!(m = lb_proc_find(p, addr)))
			p->missed[p->nmissed++ % 16] = addr >> 12;
	}
	if (!m || !(f = map_file(s, pid, m)) || !f->tab.n)
		return put_hex(addr, buf, len);
	off = addr - m->start + m->off;
	for (int i = 0; i < f->nsegs; i++)
		if (off >= f->segs[i].off && off - f->segs[i].off < f->segs[i].filesz) {
			seg = i;
			break;
		}
	if (seg >= 0)
		vaddr = off - f->segs[seg].off + f->segs[seg].vaddr;
	else
		vaddr = f->etype == ET_EXEC ? addr : off;
	if (!(sym = tab_find_sized(&f->tab, vaddr)))
		return put_hex(addr, buf, len);
	if (module)
		*module = m->path;
	return put_sym(f->tab.names + sym->name, vaddr - sym->start, with_offset, buf, len);
}

void lb_syms_keep(struct lb_syms *s, pid_t pid)
{
	struct proc *p;

	if (!s || pid <= 0 || !s->elf_ok)
		return;
	if ((p = lb_proc_find_pid(s, pid)))
		lb_proc_read(s, p); /* now, while it lives (kept if it does not) */
	else
		p = lb_proc_get(s, pid);
	p->kept = 1;
	for (int i = 0; i < p->nmaps; i++)
		if (p->maps[i].exec)
			map_file(s, pid, &p->maps[i]);
}

size_t lb_usym(struct lb_syms *s, pid_t pid, uint64_t addr, int with_offset, char *buf, size_t len)
{
	if (!s)
		return put_hex(addr, buf, len);
	s->gen++;
	return usym_lookup(s, pid, addr, with_offset, buf, len, NULL);
}

/* Stacks */

/* One frame's line in a stack mode (without the newline): bpftrace's
 * "<indent>sym+off", perf's "\t<hex> sym+off (module)" (user frames; an
 * unknown one "\t<hex> 0x<hex> ([unknown])"), raw's "<hex>", or the
 * name alone for folded stacks. */
static size_t frame_line(struct lb_syms *s, uint64_t ip, pid_t pid, int user, int mode, int indent,
			 char *buf, size_t len)
{
	const char *module = NULL;
	char sym[1024];
	size_t k;
	int n;

	if (mode == LB_STACK_RAW)
		n = snprintf(buf, len, "%llx", (unsigned long long)ip);
	else {
		int offset = mode != LB_STACK_NAMES;

		k = user ? (s ? usym_lookup(s, pid, ip, offset, sym, sizeof sym, &module)
			      : put_hex(ip, sym, sizeof sym))
			 : lb_ksym(s, ip, offset, sym, sizeof sym);
		if (mode == LB_STACK_PERF && user)
			n = snprintf(buf, len, "\t%llx %.*s (%s)", (unsigned long long)ip, (int)k,
				     sym, module ? module : "[unknown]");
		else if (mode == LB_STACK_PERF)
			n = snprintf(buf, len, "\t%llx %.*s", (unsigned long long)ip, (int)k, sym);
		else
			n = snprintf(buf, len, "%*s%.*s", mode == LB_STACK_NAMES ? 0 : indent, "",
				     (int)k, sym);
	}
	return n < 0 ? 0 : (size_t)n;
}

size_t lb_stack_format(struct lb_syms *s, const uint64_t *ips, int n, pid_t pid, int user, int mode,
		       int indent, char *buf, size_t len)
{
	size_t used = 0;
	char line[1024 + SYMS_PATH + 64]; /* sym, module path, address */

	if (!len)
		return 0;
	buf[0] = 0;
	if (indent < 0)
		indent = 0;
	if (indent > 64)
		indent = 64;
	if (s)
		s->gen++;
	if (len < 2)
		return 0;
	if (mode != LB_STACK_NAMES)
		buf[used++] = '\n';
	buf[used] = 0;
	for (int i = 0; i < n && ips[i]; i++) {
		size_t k = frame_line(s, ips[i], pid, user, mode, indent, line, sizeof line);

		if (k >= sizeof line || used + k + 2 > len)
			break;
		memcpy(buf + used, line, k);
		used += k;
		buf[used++] = '\n';
		buf[used] = 0;
	}
	return used;
}

size_t lb_stack_text_indent(struct lb_syms *s, const int stack_fds[2], uint64_t value, pid_t pid,
			    int user, int indent, char *buf, size_t len)
{
	uint32_t id = (uint32_t)value;
	uint64_t frames = (value >> 32) & 0xff;
	int mode = (int)(value >> (32 + LB_STACK_MODE_SHIFT)) & 0xff;
	uint64_t ips[LB_STACK_DEPTH];
	int fd = stack_fds[id >= LB_STACK_ENTRIES]; /* the second map's ids are offset */

	if (len)
		buf[0] = 0;
	if (id == 0xffffffffu || id >= 2 * LB_STACK_ENTRIES || fd < 0)
		return 0;
	id %= LB_STACK_ENTRIES;
	memset(ips, 0, sizeof ips);
	if (bpf_map_lookup_elem(fd, &id, ips))
		return 0; /* bpftrace prints nothing for a stack it cannot read */
	if (!frames || frames > LB_STACK_DEPTH)
		frames = LB_STACK_DEPTH;
	return lb_stack_format(s, ips, (int)frames, pid, user, mode, indent, buf, len);
}

size_t lb_stack_text(struct lb_syms *s, const int stack_fds[2], uint64_t value, pid_t pid, int user,
		     char *buf, size_t len)
{
	return lb_stack_text_indent(s, stack_fds, value, pid, user, 8, buf, len);
}

/* Life */

struct lb_syms *lb_syms_new(void)
{
	struct lb_syms *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	s->elf_ok = elf_version(EV_CURRENT) != EV_NONE;
	return s;
}

void lb_syms_free(struct lb_syms *s)
{
	if (!s)
		return;
	tab_free(&s->k);
	for (int i = 0; i < s->nprocs; i++)
		lb_proc_clear(&s->procs[i]);
	for (int i = 0; i < s->nfiles; i++)
		elffile_free(s->files[i]);
	free(s);
}
