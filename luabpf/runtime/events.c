/* Records from the kernel (printf, print, exit), signals, lost records:
 * queued in arrival order as the session's events; nothing is written. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "runtime.h"
#include "format.h"
#include "symbols.h"
#include "mmapwatch.h"
#include "unwind.h"
#include "http.h"

size_t lb_session_text(void *session, int type, const void *arg, char *buf, size_t len)
{
	struct lb_session *s = session;
	const uint64_t *v = arg;

	if (!s->syms && !(s->syms = lb_syms_new()))
		return (size_t)snprintf(buf, len, "[out of memory]");
	if (type == LB_ARG_USTACK || type == LB_ARG_USYM)
		/* mappings up to now (of -p's process; -c traces its command's
		 * descendants too) */
		lb_mmapwatch_read(s->mw, s->syms, s->cpid ? 0 : s->pid);
	switch (type) {
	case LB_ARG_PROBE: lb_session_probe_name(s, v[0], buf, len); return strlen(buf);
	case LB_ARG_KSTACK: return lb_stack_text(s->syms, s->stacks_fd, v[0], 0, 0, buf, len);
	case LB_ARG_USTACK:
		if ((uint32_t)v[0] != 0xffffffffu && ((uint32_t)v[0] & LB_USTACK_UNWOUND)) {
			/* unwound in user space (unwind.c); frames and mode as
			 * lb_stack_text reads them */
			int n, frames = (int)(v[0] >> 32) & 0xff;
			int mode = (int)(v[0] >> (32 + LB_STACK_MODE_SHIFT)) & 0xff;
			const uint64_t *ips = lb_unwound_stack(s->unwinder, (uint32_t)v[0], &n);

			if (frames > 0 && frames < n)
				n = frames;
			return lb_stack_format(s->syms, ips, ips ? n : 0, (pid_t)v[1], 1, mode, 8,
					       buf, len);
		}
		return lb_stack_text(s->syms, s->stacks_fd, v[0], (pid_t)v[1], 1, buf, len);
	case LB_ARG_KSYM: return lb_ksym(s->syms, v[0], 0, buf, len);
	case LB_ARG_USYM: return lb_usym(s->syms, (pid_t)v[1], v[0], 0, buf, len);
	}
	return (size_t)snprintf(buf, len, "?");
}

/* Append an event; the text (if any) passes to the queue. */
static int push_event(struct lb_session *s, const struct lb_event *ev)
{
	if (s->nevents == s->capevents) {
		int c = s->capevents ? s->capevents * 2 : 16;
		struct lb_event *nv = realloc(s->events, (size_t)c * sizeof *nv);

		if (!nv)
			return -1;
		s->events = nv;
		s->capevents = c;
	}
	s->events[s->nevents++] = *ev;
	return 0;
}

void lb_session_clear_events(struct lb_session *s)
{
	for (int i = 0; i < s->nevents; i++)
		free(s->events[i].text);
	s->nevents = 0;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct lb_session *s = ctx;
	struct lb_event ev = {0};
	uint64_t head;
	uint32_t id;

	if (size < 8)
		return 0;
	memcpy(&head, data, 8);
	ev.kind = (int)(uint32_t)head;
	id = (uint32_t)(head >> 32);
	switch (ev.kind) {
	case LB_REC_PRINTF: {
		struct lb_render r = {s, lb_session_text};

		struct lb_event *last = s->nevents ? &s->events[s->nevents - 1] : NULL;

		if (id >= (uint32_t)s->nfmts)
			return 0;
		if (s->merge_printf && last && last->kind == LB_EV_PRINTF) {
			lb_fmt_render(&s->fmts[id], data, size, &r, &last->text, &last->len);
			return 0;
		}
		ev.kind = LB_EV_PRINTF;
		if (lb_fmt_render(&s->fmts[id], data, size, &r, &ev.text, &ev.len))
			return 0;
		break;
	}
	case LB_REC_PRINT:
		ev.kind = LB_EV_PRINT;
		ev.id = (int)id;
		break;
	case LB_REC_EXIT: ev.kind = LB_EV_EXIT; break;
	case LB_REC_UNWIND: lb_unwind_record(s, data, size, NULL); return 0;
	case LB_REC_UNWIND_PRINTF: { /* a printf record with a user stack to unwind */
		char rec[LB_MAX_KEY];
		int n = lb_unwind_record(s, data, size, rec);

		return n > 0 ? on_record(ctx, rec, (size_t)n) : 0;
	}
	case LB_REC_PROC: /* a process's first user stack: keep its maps */
		if (size >= 16 && (s->syms || (s->syms = lb_syms_new())))
			lb_syms_keep(s->syms, (pid_t)((const uint64_t *)data)[1]);
		return 0;
	default: return 0;
	}
	if (push_event(s, &ev))
		free(ev.text);
	return 0;
}

static int epoll_add(struct lb_session *s, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

	if (s->epoll_fd < 0 && (s->epoll_fd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return -1;
	return epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

/* A ring buffer's manager for map fd, its descriptor in the poll. */
static int rb_open(struct lb_session *s, int fd, struct ring_buffer **rb)
{
	libbpf_print_fn_t host;

	if (fd < 0 || *rb)
		return 0;
	host = lb_libbpf_quiet();
	*rb = ring_buffer__new(fd, on_record, s, NULL);
	libbpf_set_print(host);
	return !*rb || epoll_add(s, ring_buffer__epoll_fd(*rb)) ? -1 : 0;
}

/* The session's descriptor: readable when a record, a signal or the
 * timer waits. The rings join it once the session has them: the events'
 * and the announcements' (read apart, first: see lb_session_poll). */
int lb_session_fd(struct lb_session *s)
{
	if (s->epoll_fd < 0 && (s->epoll_fd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return -1;
	if (rb_open(s, s->events_fd, &s->rb) || rb_open(s, s->procs_fd, &s->prb))
		return -1;
	return s->epoll_fd;
}

/* Make the descriptor readable at due_ns (CLOCK_MONOTONIC), 0: never. */
int lb_session_set_timer(struct lb_session *s, uint64_t due_ns)
{
	struct itimerspec it = {{0, 0},
				{(time_t)(due_ns / 1000000000), (long)(due_ns % 1000000000)}};

	if (s->timer_fd < 0) {
		if (!due_ns)
			return 0;
		s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (s->timer_fd < 0 || epoll_add(s, s->timer_fd))
			return -1;
	}
	return timerfd_settime(s->timer_fd, TFD_TIMER_ABSTIME, &it, NULL);
}

/* SIGINT and SIGTERM (blocked by the caller) arrive through the poll. */
int lb_session_watch_signals(struct lb_session *s)
{
	sigset_t set;

	if (s->signal_fd >= 0)
		return 0;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if ((s->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0)
		return -1;
	return epoll_add(s, s->signal_fd);
}

static void report_lost(struct lb_session *s)
{
	uint64_t per_cpu[s->ncpus], total = 0;
	uint32_t zero = 0;

	memset(per_cpu, 0, sizeof per_cpu); /* valgrind cannot see the kernel fill it */
	if (s->lost_fd < 0 || bpf_map_lookup_elem(s->lost_fd, &zero, per_cpu))
		return;
	for (int c = 0; c < s->ncpus; c++)
		total += per_cpu[c];
	if (total > s->lost_reported) {
		struct lb_event ev = {.kind = LB_EV_LOST, .n = total - s->lost_reported};

		if (push_event(s, &ev) == 0)
			s->lost_reported = total;
	}
}

int lb_session_serve_metrics(struct lb_session *s, const char *addr, char *err, size_t errlen)
{
	if (s->http) {
		snprintf(err, errlen, "metrics are already served on %s", lb_http_address(s->http));
		return -1;
	}
	if (lb_session_fd(s) < 0) {
		snprintf(err, errlen, "epoll: %s", strerror(errno));
		return -1;
	}
	return (s->http = lb_http_open(addr, s->epoll_fd, err, errlen)) ? 0 : -1;
}

int lb_session_poll(struct lb_session *s, int timeout_ms)
{
	struct epoll_event ev[16];
	int n, sig = 0;
	uint64_t req;

	if (lb_session_fd(s) < 0)
		return -1;
	for (int i = 0; s->mw && !s->mw_polled && i < lb_mmapwatch_count(s->mw); i++)
		if (lb_mmapwatch_fd(s->mw, i) >= 0 && epoll_add(s, lb_mmapwatch_fd(s->mw, i)))
			return -1;
	s->mw_polled = s->mw != NULL;
	n = epoll_wait(s->epoll_fd, ev, 16, timeout_ms);
	if (n < 0 && errno != EINTR)
		return -1;
	for (int i = 0; i < n; i++) {
		if (ev[i].data.fd == s->signal_fd) {
			struct signalfd_siginfo si;

			if (read(s->signal_fd, &si, sizeof si) == (ssize_t)sizeof si)
				sig = (int)si.ssi_signo;
		} else if (ev[i].data.fd == s->timer_fd) {
			uint64_t expired;

			(void)!read(s->timer_fd, &expired, sizeof expired);
		} else if (s->http) {
			lb_http_ready(s->http, ev[i].data.fd, ev[i].events);
		}
	}
	/* the announcements first (a process announced is kept whatever
	 * exits the mmap records then report), the mappings next (the stacks
	 * waiting may be of processes that have exited since), the records,
	 * and the mappings again, for exits that follow the records */
	if (s->prb)
		ring_buffer__consume(s->prb);
	if (s->mw && (s->syms || (s->syms = lb_syms_new())))
		lb_mmapwatch_read(s->mw, s->syms, s->cpid ? 0 : s->pid);
	if (s->rb)
		ring_buffer__consume(s->rb);
	if (s->mw)
		lb_mmapwatch_read(s->mw, s->syms, s->cpid ? 0 : s->pid);
	report_lost(s);
	/* after the records: a scrape sees what they said */
	while (s->http && (req = lb_http_next_request(s->http))) {
		struct lb_event e = {.kind = LB_EV_SCRAPE, .n = req};

		if (push_event(s, &e))
			break;
	}
	return sig;
}
