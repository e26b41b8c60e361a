/* A session: maps, probes, programs, links; started once, closed once. */
#include <dirent.h>
#include <errno.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "runtime.h"
#include "symbols.h"
#include "btf.h"
#include "mmapwatch.h"
#include "unwind.h"
#include "http.h"

void lb_session_init(struct lb_session *s)
{
	memset(s, 0, sizeof *s);
	for (int i = 0; i < LB_MAX_SESSION_MAPS; i++)
		s->map_fd[i] = -1;
	s->dummy_fd = s->events_fd = s->stacks_fd[0] = s->stacks_fd[1] = s->lost_fd =
	    s->dropped_fd = -1;
	s->upids_fd = s->procs_fd = -1;
	s->epoll_fd = s->signal_fd = s->timer_fd = -1;
	s->ncpus = libbpf_num_possible_cpus();
	/* to compare the two ways a plan runs (spec/engine_spec.lua) */
	s->interp = getenv("LUABPF_ENGINE") && !strcmp(getenv("LUABPF_ENGINE"), "interp");
}

/* Closing a link waits in the kernel for a grace period (~0.1 s for a
 * uprobe_multi link here, ~40 ms for a perf-event tracepoint): links close from up to LB_CLOSERS
 * threads at once, so the waits overlap and detaching 150 links takes ~0.1 s, not 15 s. */
#define LB_CLOSERS 32

struct closing {
	struct lb_prog **progs; /* each (prog, link) pair is one item */
	int nprogs;
	atomic_int next;
	int total;
};

/* Item k: links first, then uprobe_multi fds, prog by prog. */
static void close_item(struct closing *c, int k)
{
	for (int j = 0; j < c->nprogs; j++) {
		struct lb_prog *pr = c->progs[j];

		if (k < pr->nlinks) {
			bpf_link__destroy(pr->links[k]);
			return;
		}
		k -= pr->nlinks;
		if (k < pr->nmfds) {
			close(pr->mfds[k]);
			return;
		}
		k -= pr->nmfds;
	}
}

static void *closer(void *arg)
{
	struct closing *c = arg;
	int k;

	while ((k = atomic_fetch_add(&c->next, 1)) < c->total)
		close_item(c, k);
	return NULL;
}

static void close_links_of(struct lb_prog **progs, int nprogs)
{
	struct closing c = {progs, nprogs, 0, 0};
	pthread_t th[LB_CLOSERS];
	int nt = 0;

	for (int j = 0; j < nprogs; j++)
		c.total += progs[j]->nlinks + progs[j]->nmfds;
	sigset_t all, old;

	/* the threads take no signal: a host's handlers run where it expects */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	/* thread creation fails only for want of resources: then this thread
	 * does the rest alone */
	while (nt < LB_CLOSERS - 1 && nt + 1 < c.total &&
	       !pthread_create(&th[nt], NULL, closer, &c))
		nt++;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	closer(&c);
	while (nt > 0)
		pthread_join(th[--nt], NULL);
	for (int j = 0; j < nprogs; j++)
		progs[j]->nlinks = progs[j]->nmfds = 0;
}

static void close_links(struct lb_prog *pr)
{
	if (pr->nlinks + pr->nmfds > 1) {
		close_links_of(&pr, 1);
		return;
	}
	for (int i = 0; i < pr->nlinks; i++)
		bpf_link__destroy(pr->links[i]);
	pr->nlinks = 0;
	for (int i = 0; i < pr->nmfds; i++)
		close(pr->mfds[i]);
	pr->nmfds = 0;
}

void lb_prog_detach(struct lb_prog *pr)
{
	close_links(pr);
	free(pr->links);
	pr->links = NULL;
	free(pr->mfds);
	pr->mfds = NULL;
	bpf_object__close(pr->obj);
	pr->obj = NULL;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void lb_session_close(struct lb_session *s)
{
	lb_session_detach(s);
	while (s->nprobes > 0)
		lb_session_drop_probe(s);
	free(s->probes);
	s->probes = NULL;
	s->nprobes = 0;
	for (int i = 0; i < LB_MAX_SESSION_MAPS; i++)
		close_fd(&s->map_fd[i]);
	ring_buffer__free(s->rb);
	s->rb = NULL;
	ring_buffer__free(s->prb);
	s->prb = NULL;
	close_fd(&s->dummy_fd);
	close_fd(&s->events_fd);
	close_fd(&s->stacks_fd[0]);
	close_fd(&s->stacks_fd[1]);
	close_fd(&s->upids_fd);
	close_fd(&s->procs_fd);
	lb_unwinder_free(s->unwinder);
	s->unwinder = NULL;
	lb_mmapwatch_free(s->mw);
	s->mw = NULL;
	s->mw_polled = 0;
	close_fd(&s->lost_fd);
	close_fd(&s->dropped_fd);
	close_fd(&s->epoll_fd);
	close_fd(&s->signal_fd);
	close_fd(&s->timer_fd);
	lb_http_close(s->http);
	s->http = NULL;
	free(s->fmts);
	for (int i = 0; i < s->ndivsites; i++)
		free(s->divsites[i]);
	s->ndivsites = 0;
	s->fmts = NULL;
	s->nfmts = 0;
	lb_session_clear_events(s);
	free(s->events);
	s->events = NULL;
	s->capevents = 0;
	lb_syms_free(s->syms);
	s->syms = NULL;
	lb_btf_free(s->btf);
	s->btf = NULL;
	for (int i = 0; i < LB_SYSMASK * 64; i++) {
		free(s->sysname[i]);
		s->sysname[i] = NULL;
	}
	lb_free_strings(s->names, s->nnames);
	s->names = NULL;
	s->nnames = 0;
	s->started = 0;
}

struct lb_btf *lb_session_btf(struct lb_session *s, char *err, size_t errlen)
{
	if (!s->btf)
		s->btf = lb_btf_load(err, errlen);
	return s->btf;
}

int lb_session_int_type(void *session, const char *ctype, int *size, int *is_signed)
{
	char err[LB_ERR];
	struct lb_btf *b = lb_session_btf(session, err, sizeof err);

	return b ? lb_btf_typedef_int(b, ctype, size, is_signed) : -1;
}

static int task_offsets(struct lb_btf *b, __u32 off[2], char *err, size_t errlen)
{
	if (lb_btf_member_offset(b, "task_struct", "real_parent", &off[0]) ||
	    lb_btf_member_offset(b, "task_struct", "tgid", &off[1])) {
		snprintf(err, errlen, "no task_struct.real_parent or .tgid in the kernel's BTF");
		return -1;
	}
	return 0;
}

/* Parsing the kernel's BTF takes some 10 MiB for a moment: a child does
 * it and sends the two offsets back, so luabpf's peak RSS never holds it. */
static int task_offsets_apart(__u32 off[2], char *err, size_t errlen)
{
	struct {
		__u32 off[2];
		char err[256];
	} r = {{0, 0}, ""};
	int fds[2];
	ssize_t n;
	pid_t pid;

	if (pipe(fds) || (pid = fork()) < 0) {
		snprintf(err, errlen, "cannot read the kernel's BTF: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		struct lb_btf *b = lb_btf_load(r.err, sizeof r.err);

		if (b)
			task_offsets(b, r.off, r.err, sizeof r.err);
		(void)!write(fds[1], &r, sizeof r); /* < PIPE_BUF: one piece */
		_exit(0);
	}
	close(fds[1]);
	while ((n = read(fds[0], &r, sizeof r)) < 0 && errno == EINTR)
		;
	close(fds[0]);
	waitpid(pid, NULL, 0);
	if (n != (ssize_t)sizeof r || !r.off[0]) {
		snprintf(err, errlen, "%s",
			 n == (ssize_t)sizeof r ? r.err : "cannot read the kernel's BTF");
		return -1;
	}
	off[0] = r.off[0], off[1] = r.off[1];
	return 0;
}

int lb_session_target(struct lb_session *s, int pid, int child, char *err, size_t errlen)
{
	__u32 off[2] = {0, 0};

	s->pid = pid;
	s->cpid = child ? pid : 0;
	s->task_parent_off = s->task_tgid_off = 0;
	if (!child)
		return 0;
	/* the kernel's task_struct layout, for the handlers' walk up the
	 * parent chain */
	if (s->btf ? task_offsets(s->btf, off, err, errlen) : task_offsets_apart(off, err, errlen))
		return -1;
	s->task_parent_off = off[0];
	s->task_tgid_off = off[1];
	return 0;
}

const char *lb_ksyms_hidden(const struct lb_session *s)
{
	return lb_syms_kernel_hidden(s->syms) ? lb_lacks(CAP_SYSLOG) : NULL;
}

int lb_session_drop_caps(struct lb_session *s, char *err, size_t errlen)
{
	char buf[64];

	if (!s->syms && !(s->syms = lb_syms_new())) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	lb_ksym(s->syms, 0, 0, buf, sizeof buf); /* reads kallsyms */
	return lb_drop_caps(err, errlen);
}

void lb_session_detach(struct lb_session *s)
{
	struct lb_prog **all;
	int n = 0;

	for (int i = 0; i < s->nprobes; i++)
		n += s->probes[i].nprogs;
	if (!(all = malloc((size_t)(n ? n : 1) * sizeof *all))) {
		for (int i = 0; i < s->nprobes; i++)
			for (int j = 0; j < s->probes[i].nprogs; j++)
				close_links(&s->probes[i].progs[j]);
		return;
	}
	n = 0;
	for (int i = 0; i < s->nprobes; i++)
		for (int j = 0; j < s->probes[i].nprogs; j++)
			all[n++] = &s->probes[i].progs[j];
	close_links_of(all, n);
	free(all);
}

/* Detach and forget the last probe added. */
void lb_session_drop_probe(struct lb_session *s)
{
	struct lb_probe *p = &s->probes[--s->nprobes];

	for (int j = 0; j < p->nprogs; j++) {
		lb_prog_detach(&p->progs[j]);
		free(p->progs[j].category);
		free(p->progs[j].event);
		free(p->progs[j].binary);
		free(p->progs[j].sites);
		free(p->progs[j].offsets);
		free(p->progs[j].cookies);
		lb_free_strings(p->progs[j].funcs, p->progs[j].nfuncs);
		lb_free_strings(p->progs[j].refused, p->progs[j].nrefused);
	}
	free(p->progs);
	free(p->spec);
}

int lb_session_add_name(struct lb_session *s, const char *name)
{
	for (int i = 0; i < s->nnames; i++)
		if (strcmp(s->names[i], name) == 0)
			return i;
	return lb_session_append_name(s, name);
}

int lb_session_append_name(struct lb_session *s, const char *name)
{
	char **nv;

	if (!(nv = lb_append(s->names, (size_t)s->nnames, sizeof *nv)))
		return -1;
	s->names = nv;
	if (!(nv[s->nnames] = strdup(name)))
		return -1;
	return s->nnames++;
}

int lb_session_probe_name(const struct lb_session *s, uint64_t id, char *buf, size_t len)
{
	uint64_t kind = id >> 32;
	uint32_t x = (uint32_t)id;

	if (kind == LB_PROBE_SESSION && x < (uint32_t)s->nnames)
		return snprintf(buf, len, "%s", s->names[x]), 0;
	if (kind == LB_PROBE_SYS_ENTER || kind == LB_PROBE_SYS_EXIT) {
		const char *n = x < LB_SYSMASK * 64 ? s->sysname[x] : NULL;

		if (n)
			return snprintf(buf, len, "tracepoint:syscalls:sys_%s_%s",
					kind == LB_PROBE_SYS_ENTER ? "enter" : "exit", n),
			       0;
	}
	snprintf(buf, len, "probe#%llu", (unsigned long long)id);
	return -1;
}

int lb_session_probe_id(const struct lb_session *s, const char *name, uint64_t *id)
{
	const char *sys = "tracepoint:syscalls:sys_";
	int nr;

	for (int i = 0; i < s->nnames; i++)
		if (strcmp(s->names[i], name) == 0)
			return *id = LB_PROBE_ID(LB_PROBE_SESSION, (uint64_t)i), 0;
	if (strncmp(name, sys, strlen(sys)) == 0) {
		const char *rest = name + strlen(sys);
		int enter = strncmp(rest, "enter_", 6) == 0;

		if ((enter || strncmp(rest, "exit_", 5) == 0) &&
		    (nr = lb_syscall_nr(rest + (enter ? 6 : 5))) >= 0) {
			*id = LB_PROBE_ID(enter ? LB_PROBE_SYS_ENTER : LB_PROBE_SYS_EXIT,
					  (uint64_t)nr);
			return 0;
		}
	}
	return -1;
}

struct lb_probe *lb_session_add_probe(struct lb_session *s, const char *spec)
{
	struct lb_probe *nv = lb_append(s->probes, (size_t)s->nprobes, sizeof *nv);

	if (!nv)
		return NULL;
	s->probes = nv;
	if (!(nv[s->nprobes].spec = strdup(spec)))
		return NULL;
	return &nv[s->nprobes++];
}

struct lb_prog *lb_probe_add_prog(struct lb_probe *p)
{
	struct lb_prog *nv = lb_append(p->progs, (size_t)p->nprogs, sizeof *nv);

	if (!nv)
		return NULL;
	p->progs = nv;
	return &nv[p->nprogs++];
}

int lb_count_attached(const struct lb_session *s)
{
	int n = 0;

	for (int i = 0; i < s->nprobes; i++)
		for (int j = 0; j < s->probes[i].nprogs; j++) {
			const struct lb_prog *pr = &s->probes[i].progs[j];

			/* a uprobe_multi program: each function is a probe */
			if (pr->nfuncs)
				n += pr->nmfds > 0 ? pr->nfuncs - pr->nrefused : 0;
			else
				n += pr->nlinks > 0;
		}
	return n;
}

static void detach_all(struct lb_session *s)
{
	lb_session_detach(s); /* the links, all at once */
	for (int i = 0; i < s->nprobes; i++)
		for (int j = 0; j < s->probes[i].nprogs; j++)
			lb_prog_detach(&s->probes[i].progs[j]);
}

/* The shared kernel maps, in lb_txn.shared's bit order. */
static int *shared_fd(struct lb_session *s, int i)
{
	int *fds[] = {&s->dummy_fd,	&s->dropped_fd,	  &s->events_fd, &s->lost_fd,
		      &s->stacks_fd[0], &s->stacks_fd[1], &s->upids_fd,	 &s->procs_fd};

	return i < (int)(sizeof fds / sizeof *fds) ? fds[i] : NULL;
}

void lb_probe_begin(struct lb_session *s, struct lb_txn *t)
{
	memset(t, 0, sizeof *t);
	memcpy(t->maps, s->maps, sizeof t->maps);
	t->nmaps = t->old_nmaps = s->nmaps;
	t->nprobes = s->nprobes;
	t->nnames = s->nnames;
	t->nfmts = s->nfmts;
	t->ndivsites = s->ndivsites;
	for (int i = 0; i < LB_MAX_SESSION_MAPS; i++)
		if (s->map_fd[i] >= 0)
			t->fds |= 1ULL << i;
	for (int i = 0; shared_fd(s, i); i++)
		if (*shared_fd(s, i) >= 0)
			t->shared |= 1u << i;
	for (int i = 0; i < LB_SYSMASK * 64; i++)
		if (s->sysname[i])
			t->sysname[i / 64] |= 1ULL << (i % 64);
}

void lb_probe_abort(struct lb_session *s, struct lb_txn *t)
{
	while (s->nprobes > t->nprobes)
		lb_session_drop_probe(s); /* detached and unloaded */
	for (int i = 0; i < LB_MAX_SESSION_MAPS; i++)
		if (!(t->fds & (1ULL << i)))
			close_fd(&s->map_fd[i]);
	/* a ring buffer already polled stays: its manager holds it */
	for (int i = 0; shared_fd(s, i); i++)
		if (!(t->shared & (1u << i)) && !(i == 2 && s->rb) && !(i == 7 && s->prb))
			close_fd(shared_fd(s, i));
	s->nfmts = t->nfmts;
	while (s->ndivsites > t->ndivsites)
		free(s->divsites[--s->ndivsites]);
	for (int i = t->nnames; i < s->nnames; i++)
		free(s->names[i]);
	s->nnames = t->nnames;
	for (int i = 0; i < LB_SYSMASK * 64; i++)
		if (!(t->sysname[i / 64] & (1ULL << (i % 64)))) {
			free(s->sysname[i]);
			s->sysname[i] = NULL;
		}
	s->nmaps = t->old_nmaps;
}

int lb_probe_commit(struct lb_session *s, struct lb_txn *t, char *err, size_t errlen)
{
	struct lb_probe *p = &s->probes[s->nprobes - 1];
	struct lb_mapdesc *old = malloc(sizeof s->maps);
	int rc = 0;

	if (!old || s->nprobes <= t->nprobes) {
		free(old);
		snprintf(err, errlen, old ? "internal: no probe to commit" : "out of memory");
		lb_probe_abort(s, t);
		return -1;
	}
	memcpy(old, s->maps, sizeof s->maps);
	memcpy(s->maps, t->maps, sizeof s->maps);
	s->nmaps = t->nmaps;
	for (int j = 0; rc == 0 && j < p->nprogs; j++)
		if (lb_session_adopt(s, &p->progs[j])) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
		}
	/* every program past the verifier before any attaches: a refused
	 * one leaves no other running meanwhile (and changing maps) */
	if (rc == 0 && s->started)
		for (int j = 0; rc == 0 && j < p->nprogs; j++)
			rc = lb_prog_load(s, &p->progs[j], err, errlen);
	if (rc == 0 && s->started)
		for (int j = 0; rc == 0 && j < p->nprogs; j++)
			rc = lb_prog_load_attach(s, &p->progs[j], err, errlen);
	if (rc) {
		memcpy(s->maps, old, sizeof s->maps);
		lb_probe_abort(s, t);
	}
	free(old);
	return rc;
}

/* The session's counter for a division site of a program (-1: none
 * left; sites seen again, as in each match of a wildcard, share one). */
static int divsite(struct lb_session *s, const struct lbc_output *code, int i)
{
	char where[sizeof code->file + 24];

	snprintf(where, sizeof where, "%s:%d:%d", code->file, code->divsites[i].line,
		 code->divsites[i].col);
	for (int k = 0; k < s->ndivsites; k++)
		if (!strcmp(s->divsites[k], where))
			return k;
	if (s->ndivsites == LB_DIV_SITES || !(s->divsites[s->ndivsites] = strdup(where)))
		return -1;
	return s->ndivsites++;
}

/* Register the program's printf formats and division sites: its records'
 * ids and its divisions' counters are local to it, and the link step at
 * load maps them to the session's (fmt_base, divmap; see link_plan). */
int lb_session_adopt(struct lb_session *s, struct lb_prog *pr)
{
	const struct lbc_output *code = &pr->code;
	struct lb_fmt *nv;
	int base = s->nfmts;

	for (int i = 0; i < LBC_MAX_DIVSITES; i++)
		pr->divmap[i] = (signed char)(i < code->ndivsites ? divsite(s, code, i) : -1);
	if (code->nfmts == 0)
		return 0;
	if (!(nv = realloc(s->fmts, (size_t)(base + code->nfmts) * sizeof *nv)))
		return -1;
	s->fmts = nv;
	memcpy(nv + base, code->fmts, (size_t)code->nfmts * sizeof *nv);
	s->nfmts += code->nfmts;
	pr->fmt_base = base;
	return 0;
}

/* SIGINT or SIGTERM waiting while they are blocked (the runner blocks
 * them from start-up): Ctrl-C during a long attach ends it. */
int lb_stop_pending(void)
{
	sigset_t pending;

	return sigpending(&pending) == 0 &&
	       (sigismember(&pending, SIGINT) || sigismember(&pending, SIGTERM));
}

/* Descriptors an attached program keeps: its link and perf event (the
 * object, ~20 more, is closed once attached; measured with ls
 * /proc/PID/fd over uprobeme's 13 functions taken one by one). */
#define LB_FDS_PER_PROG 2
#define LB_FDS_LOADING 32 /* the object being loaded, while it is */

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3; /* ".", ".." and d's own */
}

/* Fail before attaching anything when the programs cannot all get their
 * descriptors (RLIMIT_NOFILE, raised to the hard limit at start-up). */
static int fds_fit(struct lb_session *s, int total, char *err, size_t errlen)
{
	struct rlimit rl;
	long need;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY)
		return 0;
	need = (long)total * LB_FDS_PER_PROG + LB_FDS_LOADING + open_fds();
	if (need <= (long)rl.rlim_cur)
		return 0;
	for (int i = 0; i < s->nprobes; i++)
		if (s->probes[i].nprogs > 1) {
			snprintf(err, errlen,
				 "%s: %d programs need about %ld open files, more than the "
				 "%llu this process may open (ulimit -n; hard limit %llu): "
				 "raise the limit or match fewer functions",
				 s->probes[i].spec, total, need, (unsigned long long)rl.rlim_cur,
				 (unsigned long long)rl.rlim_max);
			return -1;
		}
	snprintf(err, errlen,
		 "%d programs need about %ld open files, more than the %llu this process "
		 "may open (ulimit -n): raise the limit or attach fewer probes",
		 total, need, (unsigned long long)rl.rlim_cur);
	return -1;
}

/* Create the maps, then load and attach every program. All or nothing. */
int lb_session_start(struct lb_session *s, char *err, size_t errlen)
{
	int done = 0, total = 0, r;

	struct timespec now;

	if (s->started)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	s->start_ns = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	for (int i = 0; i < s->nprobes; i++)
		total += s->probes[i].nprogs;
	if (fds_fit(s, total, err, errlen))
		return -1;
	for (int i = 0; i < s->nprobes; i++)
		for (int j = 0; j < s->probes[i].nprogs; j++, done++) {
			if (lb_stop_pending() ||
			    (r = lb_prog_load_attach(s, &s->probes[i].progs[j], err, errlen)) > 0) {
				/* the signal stays pending for the poll */
				snprintf(err, errlen,
					 "interrupted while attaching (%d of %d programs were "
					 "attached; all are detached again)",
					 done, total);
				detach_all(s);
				return 1;
			}
			if (r) {
				detach_all(s);
				return -1;
			}
		}
	s->started = 1;
	return 0;
}
