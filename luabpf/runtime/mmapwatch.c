/* The kernel's record of executable mappings, as perf keeps it: one
 * dummy software perf event per CPU with mmap2, comm (exec) and task
 * (fork, exit) records, read from its ring at each poll into lb_syms.
 * So a process that starts, takes a user stack and exits before user
 * space hears of it still has its mappings known (by path, device and
 * inode) when its stacks are printed or unwound; /proc/PID/maps covers
 * the processes that were already running. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "mmapwatch.h"
#include "symbols.h"

#define WATCH_PAGES 64 /* data pages per CPU (256 KiB: ~2500 mmap records) */

struct lb_mmapwatch {
	int n;
	int *fds;
	char **rings; /* metadata page, then the data pages */
	size_t page, size;
};

void lb_mmapwatch_free(struct lb_mmapwatch *w)
{
	if (!w)
		return;
	for (int i = 0; i < w->n; i++) {
		if (w->rings[i])
			munmap(w->rings[i], w->page + w->size);
		if (w->fds[i] >= 0)
			close(w->fds[i]);
	}
	free(w->fds);
	free(w->rings);
	free(w);
}

struct lb_mmapwatch *lb_mmapwatch_open(int ncpus, char *err, size_t errlen)
{
	struct lb_mmapwatch *w = calloc(1, sizeof *w);
	struct perf_event_attr a;

	if (!w || !(w->fds = calloc((size_t)ncpus, sizeof *w->fds)) ||
	    !(w->rings = calloc((size_t)ncpus, sizeof *w->rings))) {
		lb_mmapwatch_free(w);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->page = (size_t)sysconf(_SC_PAGESIZE);
	w->size = WATCH_PAGES * w->page;
	memset(&a, 0, sizeof a);
	a.type = PERF_TYPE_SOFTWARE;
	a.size = sizeof a;
	a.config = PERF_COUNT_SW_DUMMY;
	a.mmap = a.mmap2 = a.comm = a.comm_exec = a.task = 1;
	/* every record ends in its time: the rings are per CPU, and a process
	 * that moved between CPUs must have its exec applied before the
	 * mappings that follow it, not after */
	a.sample_id_all = 1;
	a.sample_type = PERF_SAMPLE_TIME;
	a.watermark = 1;
	a.wakeup_watermark = (unsigned)(w->size / 2); /* read at each poll anyway */
	for (int i = 0; i < ncpus; i++)
		w->fds[i] = -1;
	for (int i = 0; i < ncpus; i++, w->n++) {
		int fd = (int)syscall(SYS_perf_event_open, &a, -1, i, -1, PERF_FLAG_FD_CLOEXEC);
		void *r;

		if (fd < 0) {
			if (errno == ENODEV) /* a possible CPU that is not online */
				continue;
			snprintf(err, errlen, "cannot watch mappings (perf_event_open): %s",
				 strerror(errno));
			lb_mmapwatch_free(w);
			return NULL;
		}
		w->fds[i] = fd;
		r = mmap(NULL, w->page + w->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (r == MAP_FAILED) {
			snprintf(err, errlen, "cannot map the mapping watch: %s", strerror(errno));
			w->n++;
			lb_mmapwatch_free(w);
			return NULL;
		}
		w->rings[i] = r;
	}
	return w;
}

int lb_mmapwatch_fd(const struct lb_mmapwatch *w, int i)
{
	return w && i < w->n ? w->fds[i] : -1;
}

int lb_mmapwatch_count(const struct lb_mmapwatch *w)
{
	return w ? w->n : 0;
}

static void apply(struct lb_syms *s, const struct perf_event_header *h, const char *rec, int only)
{
	const uint32_t *u = (const uint32_t *)rec;

	if (only > 0 && u[0] != (uint32_t)only)
		return; /* luabpf -p / -c: the others are never sampled */

	switch (h->type) {
	case PERF_RECORD_MMAP2: {
		/* pid, tid, addr, len, pgoff, maj, min, ino, ino_generation,
		 * prot, flags, filename */
		uint64_t addr, len, pgoff, ino;
		const char *name = rec + 8 + 8 * 3 + 4 * 2 + 8 * 2 + 4 * 2;

		if (h->size < sizeof *h + (name - rec) + 1)
			return;
		memcpy(&addr, rec + 8, 8);
		memcpy(&len, rec + 16, 8);
		memcpy(&pgoff, rec + 24, 8);
		memcpy(&ino, rec + 40, 8);
		if (name[0] == '/' || !strcmp(name, LB_VDSO))
			lb_syms_map_add(s, (pid_t)u[0], addr, addr + len, pgoff, ino, name);
		break;
	}
	case PERF_RECORD_FORK: /* pid, ppid, tid, ptid: a new process if pid != ppid */
		if (u[0] != u[1] && u[0] == u[2])
			lb_syms_fork(s, (pid_t)u[1], (pid_t)u[0]);
		break;
	case PERF_RECORD_COMM: /* pid, tid, comm */
		if (h->misc & PERF_RECORD_MISC_COMM_EXEC)
			lb_syms_exec(s, (pid_t)u[0]);
		break;
	case PERF_RECORD_EXIT: /* pid, ppid, tid, ptid */
		if (u[0] == u[2])
			lb_syms_exit(s, (pid_t)u[0]);
		break;
	}
}

/* A record taken out of a ring, to be applied in time order. */
struct rec {
	uint64_t time;
	struct perf_event_header h;
	char *body; /* NUL-terminated copy */
};

static int by_time(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;

	return x->time < y->time ? -1 : x->time > y->time;
}

void lb_mmapwatch_read(struct lb_mmapwatch *w, struct lb_syms *s, int only)
{
	struct rec *v = NULL;
	size_t nv = 0, cap = 0;

	for (int i = 0; w && i < w->n; i++) {
		struct perf_event_mmap_page *m = (void *)w->rings[i];
		const char *data;
		uint64_t head, tail;

		if (!m)
			continue;
		data = w->rings[i] + w->page;
		head = __atomic_load_n(&m->data_head, __ATOMIC_ACQUIRE);
		tail = m->data_tail;
		while (tail + sizeof(struct perf_event_header) <= head) {
			struct perf_event_header h;
			size_t at = tail % w->size, n;
			char *body;

			for (size_t k = 0; k < sizeof h; k++)
				((char *)&h)[k] = data[(at + k) % w->size];
			if (h.size < sizeof h || tail + h.size > head)
				break;
			tail += h.size;
			n = h.size - sizeof h;
			if (!s || n < 8)
				continue;
			if (nv == cap) {
				struct rec *nvv =
				    realloc(v, (cap = cap ? cap * 2 : 64) * sizeof *v);

				if (!nvv)
					break;
				v = nvv;
			}
			if (!(body = malloc(n + 1)))
				break;
			for (size_t k = 0; k < n; k++)
				body[k] = data[(at + sizeof h + k) % w->size];
			body[n] = 0;
			memcpy(&v[nv].time, body + n - 8, 8); /* sample_id: the time */
			v[nv].h = h;
			v[nv++].body = body;
		}
		__atomic_store_n(&m->data_tail, tail, __ATOMIC_RELEASE);
	}
	if (nv)
		qsort(v, nv, sizeof *v, by_time);
	for (size_t k = 0; k < nv; k++) {
		apply(s, &v[k].h, v[k].body, only);
		free(v[k].body);
	}
	free(v);
}
