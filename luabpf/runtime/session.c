/* A session: maps, probes, programs, links; started once, closed once. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "runtime.h"

#define LOG_SIZE (1 << 20)

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level, (void)fmt, (void)ap;
	return 0; /* errors reach the user through our own messages */
}

void lb_session_init(struct lb_session *s)
{
	memset(s, 0, sizeof *s);
	for (int i = 0; i < LB_MAX_SESSION_MAPS; i++)
		s->map_fd[i] = -1;
	s->dummy_fd = -1;
	s->ncpus = libbpf_num_possible_cpus();
	libbpf_set_print(quiet);
}

void lb_prog_detach(struct lb_prog *pr)
{
	bpf_link__destroy(pr->link);
	bpf_object__close(pr->obj);
	pr->link = NULL;
	pr->obj = NULL;
}

void lb_session_close(struct lb_session *s)
{
	while (s->nprobes > 0)
		lb_session_drop_probe(s);
	free(s->probes);
	s->probes = NULL;
	s->nprobes = 0;
	for (int i = 0; i < LB_MAX_SESSION_MAPS; i++) {
		if (s->map_fd[i] >= 0)
			close(s->map_fd[i]);
		s->map_fd[i] = -1;
	}
	if (s->dummy_fd >= 0)
		close(s->dummy_fd);
	s->dummy_fd = -1;
	for (int i = 0; i < LB_SYSMASK * 64; i++) {
		free(s->sysname[i]);
		s->sysname[i] = NULL;
	}
	lb_free_strings(s->names, s->nnames);
	s->names = NULL;
	s->nnames = 0;
	s->started = 0;
}

/* Detach and forget the last probe added. */
void lb_session_drop_probe(struct lb_session *s)
{
	struct lb_probe *p = &s->probes[--s->nprobes];

	for (int j = 0; j < p->nprogs; j++) {
		lb_prog_detach(&p->progs[j]);
		free(p->progs[j].category);
		free(p->progs[j].event);
	}
	free(p->progs);
	free(p->spec);
}

int lb_session_add_name(struct lb_session *s, const char *name)
{
	char **nv;

	for (int i = 0; i < s->nnames; i++)
		if (strcmp(s->names[i], name) == 0)
			return i;
	if (!(nv = realloc(s->names, (s->nnames + 1) * sizeof *nv)))
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
					kind == LB_PROBE_SYS_ENTER ? "enter" : "exit", n), 0;
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
	struct lb_probe *nv = realloc(s->probes, (s->nprobes + 1) * sizeof *nv);

	if (!nv)
		return NULL;
	s->probes = nv;
	memset(&nv[s->nprobes], 0, sizeof *nv);
	if (!(nv[s->nprobes].spec = strdup(spec)))
		return NULL;
	return &nv[s->nprobes++];
}

struct lb_prog *lb_probe_add_prog(struct lb_probe *p)
{
	struct lb_prog *nv = realloc(p->progs, (p->nprogs + 1) * sizeof *nv);

	if (!nv)
		return NULL;
	p->progs = nv;
	memset(&nv[p->nprogs], 0, sizeof *nv);
	return &nv[p->nprogs++];
}

/* The verifier's verdict is its last lines: keep those. */
static void verifier_tail(char *err, size_t errlen, const char *log)
{
	size_t n = strlen(log), used = strlen(err);
	const char *p = log + n;
	int lines = 0;

	while (p > log && lines < 8)
		if (*--p == '\n' && p + 1 < log + n)
			lines++;
	if (used + 1 < errlen && *p)
		snprintf(err + used, errlen - used, "\nverifier log (last lines):\n%s", p);
}

static int load(struct lb_session *s, struct lb_prog *pr, char *err, size_t errlen)
{
	const struct lb_plan *plan = &pr->code.plan;
	struct bpf_object *obj;
	struct bpf_program *prog;
	struct bpf_map *m;
	char *log;
	int r;

	obj = bpf_object__open_mem(lb_tpl_tracepoint,
				   lb_tpl_tracepoint_end - lb_tpl_tracepoint, NULL);
	if (!obj) {
		snprintf(err, errlen, "cannot open the tracepoint template: %s", strerror(errno));
		return -1;
	}
	pr->obj = obj;
	bpf_object__for_each_map(m, obj) {
		const char *name = bpf_map__name(m);
		size_t n = strlen(name);
		int slot = -1;

		if (n > 7 && strcmp(name + n - 7, ".rodata") == 0) {
			if (bpf_map__set_initial_value(m, plan, sizeof *plan)) {
				snprintf(err, errlen, "template and plan sizes differ");
				return -1;
			}
			continue;
		}
		if (name[0] == 'm' && name[1] >= '0' && name[1] <= '7' && !name[2])
			slot = name[1] - '0';
		if (slot < 0)
			continue;
		r = slot < pr->code.nslots ? s->map_fd[pr->code.slot_map[slot]] : s->dummy_fd;
		if (bpf_map__reuse_fd(m, r)) {
			snprintf(err, errlen, "cannot share map slot %d: %s", slot, strerror(errno));
			return -1;
		}
	}
	prog = bpf_object__next_program(obj, NULL);
	if (!(log = malloc(LOG_SIZE))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	log[0] = 0;
	bpf_program__set_log_buf(prog, log, LOG_SIZE);
	if ((r = bpf_object__load(obj))) {
		snprintf(err, errlen, "the kernel refused the program for %s:%s: %s",
			 pr->category, pr->event, strerror(-r));
		verifier_tail(err, errlen, log);
	}
	free(log);
	return r ? -1 : 0;
}

int lb_prog_attach(struct lb_session *s, struct lb_prog *pr, char *err, size_t errlen)
{
	struct bpf_program *prog;

	if (load(s, pr, err, errlen))
		goto fail;
	prog = bpf_object__next_program(pr->obj, NULL);
	pr->link = bpf_program__attach_tracepoint(prog, pr->category, pr->event);
	if (!pr->link) {
		snprintf(err, errlen, "cannot attach to tracepoint %s:%s: %s", pr->category,
			 pr->event, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	lb_prog_detach(pr);
	return -1;
}

int lb_count_attached(const struct lb_session *s)
{
	int n = 0;

	for (int i = 0; i < s->nprobes; i++)
		for (int j = 0; j < s->probes[i].nprogs; j++)
			n += s->probes[i].progs[j].link != NULL;
	return n;
}

static void detach_all(struct lb_session *s)
{
	for (int i = 0; i < s->nprobes; i++)
		for (int j = 0; j < s->probes[i].nprogs; j++)
			lb_prog_detach(&s->probes[i].progs[j]);
}

/* Create the maps, then load and attach every program. All or nothing. */
int lb_session_start(struct lb_session *s, char *err, size_t errlen)
{
	if (s->started)
		return 0;
	if (s->dummy_fd < 0) {
		s->dummy_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "lb_unused", 8, 8, 1, NULL);
		if (s->dummy_fd < 0) {
			int e = errno;

			snprintf(err, errlen, "cannot create BPF maps: %s%s", strerror(e),
				 e == EPERM ? LB_NEEDS_PRIVILEGE : "");
			return -1;
		}
	}
	for (int i = 0; i < s->nmaps; i++)
		if (lb_map_create(s, i, err, errlen))
			return -1;
	for (int i = 0; i < s->nprobes; i++)
		for (int j = 0; j < s->probes[i].nprogs; j++)
			if (lb_prog_attach(s, &s->probes[i].progs[j], err, errlen)) {
				detach_all(s);
				return -1;
			}
	s->started = 1;
	return 0;
}
