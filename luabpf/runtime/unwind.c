/* User stacks unwound in user space through DWARF call-frame information
 * (.eh_frame, .debug_frame), for code built without frame pointers, as
 * `perf record --call-graph dwarf` does: the kernel sends the user
 * registers and the top of the user stack (struct lb_unwind_rec), libdw
 * (elfutils) unwinds them over the process's mappings as lb_syms knows
 * them (so after the process exited too), and the stack, interned in a
 * table of its own, keys the map element the handler updates, the update
 * made here. Its value in the key is LB_USTACK_UNWOUND | id | frames << 32,
 * where a kernel stack id would be; lb_session_text prints it like any.
 *
 * One Dwfl per process (the last UNW_PROCS), its modules the process's
 * executable file mappings; rebuilt once from a fresh read of the
 * mappings when the sampled ip is in none of them (a library loaded
 * since). */
#define _GNU_SOURCE /* memfd_create */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <unistd.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <elfutils/libdwfl.h>
#include <bpf/bpf.h>
#include "runtime.h"
#include "symbols.h"
#include "elffile.h"
#include "unwind.h"

#define UNW_PROCS 16
#define UNW_STACKS 65536      /* distinct unwound stacks kept */
#define UNW_HASH (1u << 17)   /* slots of the intern table, 2 x UNW_STACKS */
#define UNW_FRAMES (8u << 20) /* frames kept in all */

struct unw_proc {
	pid_t pid;
	uint64_t used;
	Dwfl *dwfl;
	const struct lb_unwind_rec *cur; /* the sample being unwound */
	/* pages of ips in no file mapping even after a rebuild (the vDSO,
	 * JIT code): they do not rebuild it again */
	uint64_t missed[8];
	unsigned nmissed;
};

struct lb_unwinder {
	struct unw_proc procs[UNW_PROCS];
	uint64_t clock;
	/* interned stacks: stack i is frames[off[i] .. off[i] + n[i]) */
	uint64_t *frames;
	size_t nframes, capframes;
	uint32_t *off, *n;
	uint32_t nstacks, capstacks;
	int32_t *hash; /* index + 1 of a stack, 0 empty */
};

/* The registers libdw wants, by DWARF number, as words of the pt_regs */
static const int dwarf_regs[LB_NDWARF_REGS] = LB_DWARF_REGS;

static pid_t next_thread(Dwfl *dwfl, void *arg, void **targ)
{
	struct unw_proc *p = arg;

	(void)dwfl;
	if (*targ)
		return 0;
	*targ = arg;
	return (pid_t)p->cur->tid;
}

static bool get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **targ)
{
	(void)dwfl, (void)tid;
	*targ = arg;
	return true;
}

/* Only the copied stack: saved registers and return addresses live there. */
static bool memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *out, void *arg)
{
	const struct lb_unwind_rec *u = ((struct unw_proc *)arg)->cur;
	uint64_t sp = u->regs[LB_REG_SP];

	(void)dwfl;
	if (addr < sp || addr - sp + 8 > u->stack_len)
		return false;
	memcpy(out, u->stack + (addr - sp), 8);
	return true;
}

static bool set_initial_registers(Dwfl_Thread *t, void *targ)
{
	const struct lb_unwind_rec *u = ((struct unw_proc *)targ)->cur;
	Dwarf_Word r[17];

	for (int i = 0; i < 17; i++)
		r[i] = u->regs[dwarf_regs[i]];
	return dwfl_thread_state_registers(t, 0, 17, r);
}

static const Dwfl_Thread_Callbacks thread_cbs = {
    .next_thread = next_thread,
    .get_thread = get_thread,
    .memory_read = memory_read,
    .set_initial_registers = set_initial_registers,
};

static char *debuginfo_path = NULL;
static const Dwfl_Callbacks dwfl_cbs = {
    .find_elf = dwfl_linux_proc_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .debuginfo_path = &debuginfo_path,
};

/* Where file vaddr 0 of mapping m's file is in the process: the mapping
 * holds file offset m->off at m->start, and the PT_LOAD segment holding
 * that offset says which vaddr it is. */
static int load_bias(int fd, const struct lb_umap *m, uint64_t *bias)
{
	Elf *e = lb_elf_begin(fd);
	size_t nph;
	int rc = -1;

	if (!e)
		return -1;
	if (!elf_getphdrnum(e, &nph))
		for (size_t i = 0; i < nph; i++) {
			GElf_Phdr ph;

			if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD ||
			    m->off < ph.p_offset || m->off - ph.p_offset >= ph.p_filesz)
				continue;
			*bias = m->start - (ph.p_vaddr + (m->off - ph.p_offset));
			rc = 0;
			break;
		}
	elf_end(e);
	return rc;
}

/* The vDSO is the kernel's, the same in every 64-bit process: luabpf's
 * own, copied once into a memory file, stands for any process's. */
static int vdso_fd(void)
{
	static int fd = -2;
	uint64_t at = getauxval(AT_SYSINFO_EHDR), start, end;
	char line[256];
	FILE *f;

	if (fd != -2)
		return fd >= 0 ? dup(fd) : -1;
	fd = -1;
	if (!at || !(f = fopen("/proc/self/maps", "re")))
		return -1;
	while (fgets(line, sizeof line, f))
		if (strstr(line, LB_VDSO) &&
		    sscanf(line, "%" SCNx64 "-%" SCNx64, &start, &end) == 2 && start == at) {
			int m = memfd_create("luabpf-vdso", MFD_CLOEXEC);

			if (m >= 0 &&
			    write(m, (const void *)start, end - start) == (ssize_t)(end - start))
				fd = m;
			else if (m >= 0)
				close(m);
			break;
		}
	fclose(f);
	return fd >= 0 ? dup(fd) : -1;
}

static void proc_drop(struct unw_proc *p)
{
	if (p->dwfl)
		dwfl_end(p->dwfl);
	memset(p, 0, sizeof *p);
}

/* A Dwfl over the executable mappings of pid. */
static int proc_build(struct lb_syms *syms, struct unw_proc *p, pid_t pid, int reread)
{
	int n;
	const struct lb_umap *maps = lb_syms_mappings(syms, pid, reread, &n);

	proc_drop(p);
	p->pid = pid;
	if (!maps || !(p->dwfl = dwfl_begin(&dwfl_cbs)))
		return -1;
	dwfl_report_begin(p->dwfl);
	for (int i = 0; i < n; i++) {
		const struct lb_umap *m = &maps[i];
		uint64_t bias;
		int fd, seen = 0;

		if (!m->exec)
			continue;
		for (int j = 0; j < i && !seen; j++)
			seen =
			    maps[j].exec && maps[j].ino == m->ino && !strcmp(maps[j].path, m->path);
		if (seen || (fd = strcmp(m->path, LB_VDSO) ? lb_syms_open(pid, m) : vdso_fd()) < 0)
			continue;
		if (load_bias(fd, m, &bias) ||
		    !dwfl_report_elf(p->dwfl, m->path, m->path, fd, bias, true))
			close(fd);
	}
	dwfl_report_end(p->dwfl, NULL, NULL);
	if (!dwfl_attach_state(p->dwfl, NULL, pid, &thread_cbs, p)) {
		proc_drop(p);
		return -1;
	}
	return 0;
}

static struct unw_proc *proc_for(struct lb_unwinder *w, struct lb_syms *syms, pid_t pid,
				 uint64_t ip)
{
	struct unw_proc *p = NULL;

	for (int i = 0; i < UNW_PROCS; i++)
		if (w->procs[i].dwfl && w->procs[i].pid == pid)
			p = &w->procs[i];
	if (!p) {
		p = &w->procs[0];
		for (int i = 1; i < UNW_PROCS; i++)
			if (w->procs[i].used < p->used)
				p = &w->procs[i];
		if (proc_build(syms, p, pid, 0))
			return NULL;
	}
	if (!dwfl_addrmodule(p->dwfl, ip)) {
		uint64_t missed[8];
		unsigned nmissed = p->nmissed;

		for (unsigned i = 0; i < nmissed && i < 8; i++)
			if (p->missed[i] == ip >> 12)
				goto done;
		memcpy(missed, p->missed, sizeof missed);
		if (proc_build(syms, p, pid, 1))
			return NULL;
		memcpy(p->missed, missed, sizeof missed);
		p->nmissed = nmissed;
		if (!dwfl_addrmodule(p->dwfl, ip))
			p->missed[p->nmissed++ % 8] = ip >> 12;
	}
done:
	p->used = ++w->clock;
	return p;
}

struct frames {
	uint64_t *ips;
	int n, max;
};

static int on_frame(Dwfl_Frame *f, void *arg)
{
	struct frames *fr = arg;
	Dwarf_Addr pc;

	if (!dwfl_frame_pc(f, &pc, NULL) || !pc)
		return DWARF_CB_ABORT;
	fr->ips[fr->n++] = pc;
	return fr->n < fr->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

/* Unwind u into ips; the frames found (at least the sampled ip). */
static int unwind(struct lb_unwinder *w, struct lb_syms *syms, const struct lb_unwind_rec *u,
		  uint64_t *ips, int max)
{
	struct frames fr = {ips, 0, max};
	struct unw_proc *p;

	if (!u->stack_len)
		return 0; /* no user context: an empty stack, as bpftrace's */
	if ((p = proc_for(w, syms, (pid_t)u->pid, u->regs[LB_REG_IP]))) {
		p->cur = u;
		dwfl_getthread_frames(p->dwfl, (pid_t)u->tid, on_frame, &fr);
		p->cur = NULL;
	}
	if (!fr.n)
		ips[fr.n++] = u->regs[LB_REG_IP];
	return fr.n;
}

static uint64_t hash_ips(const uint64_t *ips, int n)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)n;

	for (int i = 0; i < n; i++)
		h = (h ^ ips[i]) * 1099511628211ULL;
	return h ^ (h >> 29);
}

/* The id of stack ips[0..n), added if new; -1 when the table is full. */
static long intern(struct lb_unwinder *w, const uint64_t *ips, int n)
{
	uint32_t slot;

	if (!w->hash && !(w->hash = calloc(UNW_HASH, sizeof *w->hash)))
		return -1;
	for (slot = (uint32_t)hash_ips(ips, n) & (UNW_HASH - 1);;
	     slot = (slot + 1) & (UNW_HASH - 1)) {
		int32_t k = w->hash[slot] - 1;

		if (k < 0)
			break;
		if (w->n[k] == (uint32_t)n && !memcmp(w->frames + w->off[k], ips, n * sizeof *ips))
			return k;
	}
	if (w->nstacks >= UNW_STACKS || w->nframes + (size_t)n > UNW_FRAMES)
		return -1;
	if (w->nstacks == w->capstacks) {
		uint32_t c = w->capstacks ? w->capstacks * 2 : 256;
		uint32_t *no = realloc(w->off, c * sizeof *no), *nn;

		if (!no)
			return -1;
		w->off = no;
		if (!(nn = realloc(w->n, c * sizeof *nn)))
			return -1;
		w->n = nn;
		w->capstacks = c;
	}
	if (w->nframes + (size_t)n > w->capframes) {
		size_t c = w->capframes ? w->capframes : 4096;
		uint64_t *nf;

		while (c < w->nframes + (size_t)n)
			c *= 2;
		if (!(nf = realloc(w->frames, c * sizeof *nf)))
			return -1;
		w->frames = nf;
		w->capframes = c;
	}
	memcpy(w->frames + w->nframes, ips, (size_t)n * sizeof *ips);
	w->off[w->nstacks] = (uint32_t)w->nframes;
	w->n[w->nstacks] = (uint32_t)n;
	w->nframes += (size_t)n;
	w->hash[slot] = (int32_t)w->nstacks + 1;
	return w->nstacks++;
}

const uint64_t *lb_unwound_stack(const struct lb_unwinder *w, uint32_t id, int *n)
{
	id &= ~LB_USTACK_UNWOUND;
	*n = 0;
	if (!w || id >= w->nstacks)
		return NULL;
	*n = (int)w->n[id];
	return w->frames + w->off[id];
}

int lb_unwind_record(struct lb_session *s, const void *data, size_t size, void *printf_rec)
{
	const struct lb_unwind_rec *u = data;
	uint64_t ips[LB_STACK_DEPTH], v;
	char key[LB_MAX_KEY];
	uint32_t map = (uint32_t)(u->head >> 32);
	long id;
	int n;

	if (size < offsetof(struct lb_unwind_rec, stack) || u->stack_len > LB_UNWIND_STACK ||
	    size < offsetof(struct lb_unwind_rec, stack) + u->stack_len ||
	    u->key_len > LB_MAX_KEY || (size_t)u->stack_at + 8 > u->key_len ||
	    (!printf_rec && (map >= (uint32_t)s->nmaps || u->key_len != s->maps[map].key_size)))
		return -1;
	if (!s->unwinder && !(s->unwinder = calloc(1, sizeof *s->unwinder)))
		return -1;
	if (!s->syms && !(s->syms = lb_syms_new()))
		return -1;
	n = unwind(s->unwinder, s->syms, u, ips, LB_STACK_DEPTH);
	id = intern(s->unwinder, ips, n);
	if (id < 0 && !printf_rec)
		return lb_map_dropped_add(s, (int)map); /* reported like a full map */
	memcpy(key, u->key, u->key_len);
	memcpy(&v, key + u->stack_at, 8);
	/* a printf whose stack finds the table full prints it empty */
	v = (v & ~0xffffffffULL) | (id < 0 ? 0xffffffffULL : LB_USTACK_UNWOUND | (uint64_t)id);
	memcpy(key + u->stack_at, &v, 8);
	if (printf_rec) {
		memcpy(printf_rec, key, u->key_len);
		return u->key_len;
	}
	return lb_map_add(s, (int)map, key, u->value);
}

void lb_unwinder_free(struct lb_unwinder *w)
{
	if (!w)
		return;
	for (int i = 0; i < UNW_PROCS; i++)
		proc_drop(&w->procs[i]);
	free(w->frames);
	free(w->off);
	free(w->n);
	free(w->hash);
	free(w);
}
