/* Loading a template with its plan, and attaching it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "runtime.h"
#include "elffile.h"
#include "mmapwatch.h"
#include "symbols.h"
#include "umulti.h"

#define LOG_SIZE (1 << 20)
#define RINGBUF_SIZE (2 << 20)

static int map_fail(char *err, size_t errlen, const char *what)
{
	int e = errno;

	snprintf(err, errlen, "cannot create %s: %s%s", what, strerror(e),
		 e == EPERM ? lb_lacks(CAP_BPF) : "");
	return -1;
}

/* The maps every program of the session shares, made when first needed:
 * the stand-in for unused slots, the ring buffer, the stack map. */
int lb_session_shared_maps(struct lb_session *s, const struct lbc_output *code, char *err,
			   size_t errlen)
{
	if (s->dummy_fd < 0 &&
	    (s->dummy_fd = bpf_map_create(BPF_MAP_TYPE_HASH, "lb_unused", 8, 8, 1, NULL)) < 0)
		return map_fail(err, errlen, "BPF maps");
	if (s->dropped_fd < 0 &&
	    (s->dropped_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "lb_dropped", 4, 8,
					    LB_DROPPED_SLOTS, NULL)) < 0)
		return map_fail(err, errlen, "the dropped-updates counters");
	if (code->uses_records && s->events_fd < 0) {
		s->events_fd =
		    bpf_map_create(BPF_MAP_TYPE_RINGBUF, "lb_events", 0, 0, RINGBUF_SIZE, NULL);
		if (s->events_fd < 0)
			return map_fail(err, errlen, "the ring buffer");
		s->lost_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "lb_lost", 4, 8, 1, NULL);
		if (s->lost_fd < 0)
			return map_fail(err, errlen, "the lost-records counter");
	}
	if (code->uses_stacks && s->stacks_fd[0] < 0) {
		for (int i = 0; i < 2; i++) {
			s->stacks_fd[i] =
			    bpf_map_create(BPF_MAP_TYPE_STACK_TRACE, "lb_stacks", 4,
					   LB_STACK_DEPTH * 8, LB_STACK_ENTRIES, NULL);
			if (s->stacks_fd[i] < 0)
				return map_fail(err, errlen, "the stack map");
		}
		s->upids_fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, "lb_upids", 4, 4, 16384, NULL);
		if (s->upids_fd < 0)
			return map_fail(err, errlen, "the stack map");
		s->procs_fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "lb_procs", 0, 0, 65536, NULL);
		if (s->procs_fd < 0)
			return map_fail(err, errlen, "the stack map");
		/* before anything attaches: processes started from now on
		 * have all their code mappings reported (without it, where
		 * perf events are refused, a process is read when announced) */
		if (!s->mw) {
			char why[LB_ERR];

			s->mw = lb_mmapwatch_open(s->ncpus, why, sizeof why);
		}
		if (s->syms || (s->syms = lb_syms_new()))
			lb_syms_scan(s->syms, s->pid);
	}
	for (int i = 0; i < code->nslots; i++)
		if (lb_map_create(s, code->slot_map[i], err, errlen))
			return -1;
	return 0;
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
		snprintf(err + used, errlen - used,
			 "\nverifier log (last lines; all of it with -v):\n%s", p);
}

static int reuse(struct bpf_map *m, int fd, const char *name, char *err, size_t errlen)
{
	if (bpf_map__reuse_fd(m, fd) == 0)
		return 0;
	snprintf(err, errlen, "cannot share map %s: %s", name, strerror(errno));
	return -1;
}

/* The program as it runs: the compiler's plan with what only the session
 * knows when it loads it, its formats' ids and division counters
 * (registered at the probe's commit), the process filter (set up to start), the start time and
 * task_struct offsets. The one place the runtime writes into a plan;
 * pr->code stays what the compiler made. */
static void link_plan(const struct lb_session *s, const struct lb_prog *pr, struct lb_plan *plan)
{
	*plan = pr->code.plan;
	for (__u32 i = 0; i < plan->nops; i++) {
		struct lb_op *op = &plan->ops[i];

		if (op->code == LB_OP_EMIT && (op->imm & 0xffffffff) == LB_REC_PRINTF)
			op->imm = LB_REC(LB_REC_PRINTF, (op->imm >> 32) + (__u64)pr->fmt_base);
		else if (op->code == LB_OP_DIV || op->code == LB_OP_MOD)
			op->imm =
			    op->imm >= 0 && op->imm < LBC_MAX_DIVSITES ? pr->divmap[op->imm] : -1;
	}
	for (int i = 0; i < pr->code.nslots; i++)
		plan->slot_cell[i] = (__u16)lb_map_cell(s, pr->code.slot_map[i]);
	plan->filter_pid = (__u32)s->pid;
	plan->cpid = (__u32)s->cpid;
	plan->start_ns = s->start_ns;
	plan->task_parent_off = s->task_parent_off;
	plan->task_tgid_off = s->task_tgid_off;
	if (!s->trace_self && !s->pid) /* -p / -c name the process themselves */
		plan->skip_pid = (__u32)getpid();
}

/* Point the template's maps at the session's, and its .rodata at the
 * linked plan. */
static int bind_maps(struct lb_session *s, struct lb_prog *pr, const struct lb_plan *plan,
		     char *err, size_t errlen)
{
	const struct lbc_output *code = &pr->code;
	struct bpf_map *m;

	bpf_object__for_each_map(m, pr->obj)
	{
		const char *name = bpf_map__name(m);
		size_t n = strlen(name);
		int fd = -2;

		if (n > 7 && strcmp(name + n - 7, ".rodata") == 0) {
			if (bpf_map__set_initial_value(m, plan, sizeof *plan)) {
				snprintf(err, errlen, "template and plan sizes differ");
				return -1;
			}
			continue;
		}
		if (name[0] == 'm' && name[1] >= '0' && name[1] <= '7' && !name[2]) {
			int slot = name[1] - '0';

			fd = slot < code->nslots ? s->map_fd[code->slot_map[slot]] : s->dummy_fd;
		} else if (strcmp(name, "events") == 0) {
			fd = s->events_fd;
		} else if (strcmp(name, "lost") == 0) {
			fd = s->lost_fd;
		} else if (strcmp(name, "dropped") == 0) {
			fd = s->dropped_fd;
		} else if (strcmp(name, "stacks") == 0) {
			fd = s->stacks_fd[0];
		} else if (strcmp(name, "stacks2") == 0) {
			fd = s->stacks_fd[1];
		} else if (strcmp(name, "upids") == 0) {
			fd = s->upids_fd;
		} else if (strcmp(name, "procs") == 0) {
			fd = s->procs_fd;
		}
		if (strcmp(name, "scratch") == 0) {
			/* one entry per CPU, as large as the plan needs */
			__u32 size = code->plan.scratch_size ? code->plan.scratch_size : 1024;

			if (bpf_map__set_value_size(m, size) ||
			    bpf_map__set_max_entries(m, (__u32)s->ncpus)) {
				snprintf(err, errlen, "cannot size the scratch map: %s",
					 strerror(errno));
				return -1;
			}
			continue;
		}
		if (fd == -2)
			continue; /* the program's own: zeros */
		/* a shared map this plan does not use: never touched by the
		 * code the verifier keeps, so the stand-in will do */
		if (reuse(m, fd >= 0 ? fd : s->dummy_fd, name, err, errlen))
			return -1;
	}
	return 0;
}

/* Which embedded template and which of its programs a kind uses. */
static const struct {
	const char *start, *end, *prog;
} templates[] = {
    [LB_PROG_TRACEPOINT] = {lb_tpl_tracepoint, lb_tpl_tracepoint_end, "lb_tracepoint"},
    [LB_PROG_PROFILE] = {lb_tpl_perf_event, lb_tpl_perf_event_end, "lb_perf_event"},
    [LB_PROG_KFUNC] = {lb_tpl_btf, lb_tpl_btf_end, "lb_fentry"},
    [LB_PROG_KRETFUNC] = {lb_tpl_btf, lb_tpl_btf_end, "lb_fexit"},
    [LB_PROG_TPBTF] = {lb_tpl_btf, lb_tpl_btf_end, "lb_tp_btf"},
    [LB_PROG_KPROBE] = {lb_tpl_kprobe, lb_tpl_kprobe_end, "lb_kprobe"},
    [LB_PROG_KRETPROBE] = {lb_tpl_kprobe, lb_tpl_kprobe_end, "lb_kretprobe"},
    [LB_PROG_UPROBE] = {lb_tpl_uprobe, lb_tpl_uprobe_end, "lb_uprobe"},
    [LB_PROG_URETPROBE] = {lb_tpl_uprobe, lb_tpl_uprobe_end, "lb_uretprobe"},
    [LB_PROG_USDT] = {lb_tpl_usdt, lb_tpl_usdt_end, "lb_usdt"},
};

static const char *prog_of(const struct lb_prog *pr)
{
	return pr->nfuncs ? "lb_uprobe_multi" : templates[pr->kind].prog;
}

/* "kfunc:vfs_read", "uprobe:/bin/x:foo", ... for messages */
static void prog_name(const struct lb_prog *pr, char *buf, size_t len)
{
	switch (pr->kind) {
	case LB_PROG_PROFILE: snprintf(buf, len, "profile"); break;
	case LB_PROG_KFUNC: snprintf(buf, len, "kfunc:%s", pr->event); break;
	case LB_PROG_KRETFUNC: snprintf(buf, len, "kretfunc:%s", pr->event); break;
	case LB_PROG_TPBTF: snprintf(buf, len, "rawtracepoint:%s", pr->event); break;
	case LB_PROG_KPROBE:
	case LB_PROG_KRETPROBE:
		snprintf(buf, len, "%s:%s", pr->kind == LB_PROG_KPROBE ? "kprobe" : "kretprobe",
			 pr->event);
		if (pr->offset)
			snprintf(buf + strlen(buf), len - strlen(buf), "+%llu",
				 (unsigned long long)pr->offset);
		break;
	case LB_PROG_UPROBE:
	case LB_PROG_URETPROBE:
		snprintf(buf, len, "%s:%s:%s", pr->kind == LB_PROG_UPROBE ? "uprobe" : "uretprobe",
			 pr->binary, pr->event);
		if (pr->nfuncs)
			snprintf(buf + strlen(buf), len - strlen(buf), " (%d functions)",
				 pr->nfuncs);
		break;
	case LB_PROG_USDT:
		snprintf(buf, len, "usdt:%s:%s:%s", pr->binary, pr->category, pr->event);
		break;
	default: snprintf(buf, len, "tracepoint:%s:%s", pr->category, pr->event);
	}
}

/* A tracepoint whose handler reads nothing of the record (no field, no
 * stack) runs as a raw tracepoint: the same events, but releasing a raw
 * tracepoint link waits for no RCU grace period in the closing thread
 * (0.3 ms here instead of 35-80 ms per perf-event tracepoint: start-up
 * to exit and the end of a wildcard). syscalls:* are ftrace's own events
 * with no raw tracepoint of their own; raw_syscalls:sys_enter's second
 * argument is the syscall number at the record's offset 8, sys_exit's is
 * the return value, so a sys_exit number filter stays a perf event. */
static int raw_ok(const struct lb_prog *pr)
{
	const struct lb_plan *p = &pr->code.plan;

	if (pr->kind != LB_PROG_TRACEPOINT || p->ctx_copy || p->sysmode == LB_SYS_EXIT ||
	    !pr->category || !strcmp(pr->category, "syscalls"))
		return 0;
	for (__u32 i = 0; i < p->nops && i < LB_MAX_OPS; i++)
		switch (p->ops[i].code) {
		case LB_OP_DATALOC:
		case LB_OP_STACK:
		case LB_OP_UNWIND_ADD: return 0;
		case LB_OP_EMIT:
			if (p->ops[i].b)
				return 0;
			break;
		}
	return 1;
}

/* The plan as it will run (link_plan's copy): what the compiler checked
 * still holds with the session's formats and maps. */
static int check_plan(const struct lb_session *s, const struct lb_prog *pr,
		      const struct lb_plan *plan, const char *name, unsigned *top, char *err,
		      size_t errlen)
{
	char why[256];
	struct lbc_links l = {
	    .maps = s->maps,
	    .nmaps = s->nmaps,
	    .slot_map = pr->code.slot_map,
	    .nslots = pr->code.nslots,
	    .fmts = s->fmts,
	    .nfmts = s->nfmts,
	    .uses_stacks = pr->code.uses_stacks,
	    .uses_records = pr->code.uses_records,
	    .loading = 1,
	    .usdt = pr->kind == LB_PROG_USDT,
	    .scratch_top = top,
	};

	if (!lbc_validate(plan, &l, why, sizeof why))
		return 0;
	snprintf(err, errlen, "internal: the plan for %s is invalid: %s", name, why);
	return -1;
}

/* What the generated code needs of the session, and its own maps: the
 * per-CPU scratch space and, for ops that start from zeros, a zero
 * page. The program keeps them once loaded. */
static int gen_env(const struct lb_session *s, const struct lb_prog *pr, const struct lb_plan *plan,
		   unsigned top, int raw, struct lbc_bpfenv *env, char *err, size_t errlen)
{
	int zeros = 0;

	env->ncpus = s->ncpus;
	env->tp_record = pr->kind == LB_PROG_TRACEPOINT && !raw;
	env->probe = pr->nfuncs	     ? LBC_PROBE_COOKIE
		     : plan->sysmode ? LBC_PROBE_SYSNR
				     : LBC_PROBE_PLAN;
	for (int i = 0; i < pr->code.nslots; i++)
		env->slot_fd[i] = s->map_fd[pr->code.slot_map[i]];
	env->events_fd = s->events_fd;
	env->lost_fd = s->lost_fd;
	env->dropped_fd = s->dropped_fd;
	env->stacks_fd[0] = s->stacks_fd[0];
	env->stacks_fd[1] = s->stacks_fd[1];
	env->upids_fd = s->upids_fd;
	env->procs_fd = s->procs_fd;
	for (__u32 i = 0; i < plan->nops; i++)
		switch (plan->ops[i].code) {
		case LB_OP_MAP_MIN:
		case LB_OP_MAP_MAX:
		case LB_OP_MAP_AVG:
		case LB_OP_MAP_BUCKET:
		case LB_OP_STR:
		case LB_OP_DATALOC:
		case LB_OP_MAP_GETSTR: zeros = 1; break;
		case LB_OP_MAP_DELETE:
			zeros |= plan->slot_cell[plan->ops[i].b & (LB_MAX_MAPS - 1)] + 8 > 256;
		}
	/* a few bytes are cheaper to zero on the stack than to look up */
	if (top <= LBC_STACK_SCRATCH) {
		env->stack_scratch = top ? (int)top : 8;
	} else {
		env->stack_scratch = 0;
		env->scratch_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "lb_scratch", 4,
						 plan->scratch_size ? plan->scratch_size : 1024,
						 (__u32)s->ncpus, NULL);
		if (env->scratch_fd < 0)
			return map_fail(err, errlen, "the scratch map");
	}
	if (zeros && (env->zeros_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "lb_zeros", 4, LB_ZEROS, 1,
						     NULL)) < 0) {
		if (env->scratch_fd >= 0)
			close(env->scratch_fd);
		return map_fail(err, errlen, "the zeros map");
	}
	return 0;
}

/* The handler's own code into the shell of its kind (bpf/shell.bpf.c):
 * 0, 1 when the plan needs the interpreter, -1 with err. env: all -1. */
static int use_generated(struct lb_session *s, struct lb_prog *pr, const struct lb_plan *plan,
			 unsigned top, int raw, struct lbc_bpfenv *env, char *err, size_t errlen)
{
	struct bpf_insn *insns;
	struct bpf_program *prog;
	char why[256];
	int n, r;

	if (gen_env(s, pr, plan, top, raw, env, err, errlen))
		return -1;
	if ((r = lbc_bpfgen(plan, env, &insns, &n, why, sizeof why))) {
		if (r < 0)
			snprintf(err, errlen, "%s", why);
		return r;
	}
	if (!(pr->obj =
		  bpf_object__open_mem(lb_tpl_shell, lb_tpl_shell_end - lb_tpl_shell, NULL))) {
		free(insns);
		snprintf(err, errlen, "cannot open a template: %s", strerror(errno));
		return -1;
	}
	prog = bpf_object__find_program_by_name(pr->obj, prog_of(pr));
	r = prog ? bpf_program__set_insns(prog, insns, (size_t)n) : -ENOENT;
	free(insns);
	if (r) {
		snprintf(err, errlen, "cannot set a program's code: %s", strerror(-r));
		return -1;
	}
	return 0;
}

static void close_env(struct lbc_bpfenv *env)
{
	if (env->scratch_fd >= 0)
		close(env->scratch_fd);
	if (env->zeros_fd >= 0)
		close(env->zeros_fd);
}

/* One try: the generated code unless interp, else (or for a plan that
 * needs it) the interpreter's template. 0, or the kernel's -errno (-1
 * when it never got that far), with err. */
static int load_as(struct lb_session *s, struct lb_prog *pr, const struct lb_plan *plan,
		   unsigned top, int raw, int interp, const char *name, char *err, size_t errlen)
{
	struct bpf_program *prog, *p;
	struct lbc_bpfenv env;
	char *log;
	int r;

	memset(&env, -1, sizeof env);
	r = interp ? 1 : use_generated(s, pr, plan, top, raw, &env, err, errlen);
	if (r == 1) { /* the interpreter's template, the plan in its .rodata */
		for (__u32 i = 0; i < plan->nops; i++) {
			int slot = plan->ops[i].b & (LB_MAX_MAPS - 1);

			if (plan->ops[i].code == LB_OP_MAP_DELETE && plan->slot_cell[slot]) {
				/* only generated code clears a cell */
				close_env(&env);
				snprintf(err, errlen,
					 "%s: the interpreter this handler runs in (for DWARF "
					 "stacks or LUABPF_ENGINE=interp) cannot delete the "
					 "keyless map @%s",
					 name, s->maps[pr->code.slot_map[slot]].name);
				return -1;
			}
		}
		if (!(pr->obj = bpf_object__open_mem(
			  templates[pr->kind].start,
			  templates[pr->kind].end - templates[pr->kind].start, NULL))) {
			snprintf(err, errlen, "cannot open a template: %s", strerror(errno));
			r = -1;
		} else {
			r = bind_maps(s, pr, plan, err, errlen);
		}
	}
	if (r) {
		close_env(&env);
		return -1;
	}
	prog = bpf_object__find_program_by_name(pr->obj, prog_of(pr));
	bpf_object__for_each_program(p, pr->obj) bpf_program__set_autoload(p, p == prog);
	if (raw)
		bpf_program__set_type(prog, BPF_PROG_TYPE_RAW_TRACEPOINT);
	/* libbpf 1.1 knows no uprobe_multi attach type: its number, set
	 * before load as the kernel requires */
	if (pr->nfuncs)
		bpf_program__set_expected_attach_type(prog,
						      (enum bpf_attach_type)LB_TRACE_UPROBE_MULTI);
	if ((pr->kind == LB_PROG_KFUNC || pr->kind == LB_PROG_KRETFUNC ||
	     pr->kind == LB_PROG_TPBTF) &&
	    bpf_program__set_attach_target(prog, 0, pr->event)) {
		close_env(&env);
		snprintf(err, errlen, "%s: no such kernel function or BTF tracepoint", name);
		return -1;
	}
	if (!(log = malloc(LOG_SIZE))) {
		close_env(&env);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	log[0] = 0;
	bpf_program__set_log_buf(prog, log, LOG_SIZE);
	r = bpf_object__load(pr->obj);
	close_env(&env); /* the loaded program holds its maps */
	if (r) {
		if ((pr->kind == LB_PROG_KFUNC || pr->kind == LB_PROG_KRETFUNC) && r == -EPERM)
			snprintf(err, errlen,
				 "%s: this kernel does not permit kfunc (fentry/fexit) "
				 "programs, even as root; use a tracepoint, or a BTF "
				 "raw tracepoint with bpf.rawtracepoint()",
				 name);
		else /* tracing programs need CAP_PERFMON besides CAP_BPF */
			snprintf(err, errlen, "the kernel refused the program for %s: %s%s", name,
				 strerror(-r), r == -EPERM ? lb_lacks2(CAP_BPF, CAP_PERFMON) : "");
		if (s->verbose)
			fprintf(stderr, "%s\n", log);
		else if (r != -EPERM)
			verifier_tail(err, errlen, log);
	}
	free(log);
	return r;
}

static int load(struct lb_session *s, struct lb_prog *pr, int raw, char *err, size_t errlen)
{
	struct lb_plan *plan;
	unsigned top = LB_SCRATCH;
	char name[512];
	int r;

	prog_name(pr, name, sizeof name);
	if (!(plan = malloc(sizeof *plan))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	link_plan(s, pr, plan);
	if (check_plan(s, pr, plan, name, &top, err, errlen)) {
		free(plan);
		return -1;
	}
	r = load_as(s, pr, plan, top, raw, s->interp, name, err, errlen);
	/* too many paths for the verifier in straight-line code (long
	 * if/else chains): the interpreter's loop lets it merge them */
	if (r == -E2BIG && !s->interp) {
		bpf_object__close(pr->obj);
		pr->obj = NULL;
		r = load_as(s, pr, plan, top, raw, 1, name, err, errlen);
	}
	free(plan);
	return r ? -1 : 0;
}

/* Why the kernel refused a link, in words (it has no strerror for some).
 * Refused for privilege: uprobes (and USDT) need CAP_SYS_ADMIN (Linux
 * 6.18, perf_event_paranoid 2; CAP_BPF + CAP_PERFMON are not enough),
 * the rest CAP_PERFMON. */
static const char *attach_error(const struct lb_prog *pr, int e, char *buf, size_t len)
{
	int user =
	    pr->kind == LB_PROG_UPROBE || pr->kind == LB_PROG_URETPROBE || pr->kind == LB_PROG_USDT;

	switch (e) {
	case LB_ENOTSUPP:
		return "the kernel cannot probe this place (ENOTSUPP: e.g. an instruction "
		       "uprobes cannot single-step)";
	case EPERM:
	case EACCES:
		snprintf(buf, len, "Permission denied%s",
			 user ? lb_lacks2(CAP_PERFMON, CAP_SYS_ADMIN) : lb_lacks(CAP_PERFMON));
		return buf;
	case EILSEQ: return "not at an instruction boundary (EILSEQ)";
	case E2BIG: /* perf_event's BPF_TRACE_MAX_PROGS */
		return "the kernel runs at most 64 BPF programs on one probe point (E2BIG); "
		       "join handlers of the same probe into one";
	}
	return strerror(e);
}

static int add_link(struct lb_prog *pr, struct bpf_link *l)
{
	struct bpf_link **nv = lb_append(pr->links, (size_t)pr->nlinks, sizeof *nv);

	if (!nv) {
		bpf_link__destroy(l);
		return -1;
	}
	pr->links = nv;
	nv[pr->nlinks++] = l;
	return 0;
}

/* A CPU clock perf event on every online CPU, like bpftrace's profile. */
static int attach_profile(struct lb_session *s, struct lb_prog *pr, char *err, size_t errlen)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(pr->obj, prog_of(pr));

	for (int cpu = 0; cpu < s->ncpus; cpu++) {
		struct perf_event_attr attr = {
		    .type = PERF_TYPE_SOFTWARE,
		    .config = PERF_COUNT_SW_CPU_CLOCK,
		    .size = sizeof attr,
		    .freq = pr->freq != 0,
		};
		struct bpf_link *l;
		int fd;

		if (pr->freq)
			attr.sample_freq = pr->freq;
		else
			attr.sample_period = pr->period_ns;
		fd = syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0) {
			if (errno == ENODEV)
				continue; /* a possible CPU that is not online */
			snprintf(err, errlen, "cannot open a perf event on CPU %d: %s%s", cpu,
				 strerror(errno), errno == EACCES ? lb_lacks(CAP_PERFMON) : "");
			return -1;
		}
		if (!(l = bpf_program__attach_perf_event(prog, fd))) {
			snprintf(err, errlen, "cannot attach to the perf event on CPU %d: %s", cpu,
				 strerror(errno));
			close(fd);
			return -1;
		}
		if (add_link(pr, l)) { /* the link owns fd now */
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

/* kprobes need the kprobe PMU or tracefs kprobe_events: without either,
 * the kernel was built without CONFIG_KPROBES. */
static int have_kprobes(void)
{
	return access("/sys/bus/event_source/devices/kprobe/type", F_OK) == 0 ||
	       access("/sys/kernel/tracing/kprobe_events", F_OK) == 0 ||
	       access("/sys/kernel/debug/tracing/kprobe_events", F_OK) == 0;
}

/* -p PID: the kernel fires uprobes in that process only; -c CMD: in
 * every process, since the command's descendants are traced too (the
 * handlers filter). */
static int uprobe_pid(const struct lb_session *s)
{
	return s->pid && !s->cpid ? s->pid : -1;
}

/* A uprobe at each call site of a USDT probe, its semaphore counted while
 * attached (the kernel's ref_ctr_offset, as libbpf does); the cookie is
 * the site's row of plan.usdt. */
static int attach_usdt(struct lb_session *s, struct lb_prog *pr, char *err, size_t errlen)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(pr->obj, prog_of(pr));
	char name[512], why[128];

	for (int i = 0; i < pr->nsites; i++) {
		const struct lb_usdt_site *u = &pr->sites[i];
		LIBBPF_OPTS(bpf_uprobe_opts, o, .ref_ctr_offset = (size_t)u->sema_offset,
			    .bpf_cookie = (__u64)i);
		struct bpf_link *l = bpf_program__attach_uprobe_opts(
		    prog, uprobe_pid(s), pr->binary, (size_t)u->offset, &o);

		if (!l || add_link(pr, l)) {
			prog_name(pr, name, sizeof name);
			snprintf(err, errlen,
				 "cannot attach to %s at 0x%llx (file offset 0x%llx): %s", name,
				 (unsigned long long)u->pc, (unsigned long long)u->offset,
				 l ? "out of memory" : attach_error(pr, errno, why, sizeof why));
			return -1;
		}
	}
	return 0;
}

static struct bpf_link *attach(struct lb_session *s, struct lb_prog *pr, struct bpf_program *prog,
			       int raw)
{
	switch (pr->kind) {
	case LB_PROG_TRACEPOINT:
		if (raw)
			return bpf_program__attach_raw_tracepoint(prog, pr->event);
		return bpf_program__attach_tracepoint(prog, pr->category, pr->event);
	case LB_PROG_KFUNC:
	case LB_PROG_KRETFUNC:
	case LB_PROG_TPBTF: return bpf_program__attach_trace(prog);
	case LB_PROG_KPROBE:
	case LB_PROG_KRETPROBE: {
		LIBBPF_OPTS(bpf_kprobe_opts, o, .offset = pr->offset,
			    .retprobe = pr->kind == LB_PROG_KRETPROBE);

		return bpf_program__attach_kprobe_opts(prog, pr->event, &o);
	}
	case LB_PROG_UPROBE:
	case LB_PROG_URETPROBE: {
		/* by our own offset (lb_elf_func_offset): versioned names, IFUNCs */
		LIBBPF_OPTS(bpf_uprobe_opts, o, .retprobe = pr->kind == LB_PROG_URETPROBE);

		return bpf_program__attach_uprobe_opts(prog, uprobe_pid(s), pr->binary,
						       (size_t)pr->offset, &o);
	}
	}
	errno = EINVAL;
	return NULL;
}

static int load_attach(struct lb_session *s, struct lb_prog *pr, int load_only, char *err,
		       size_t errlen)
{
	struct bpf_link *l;
	char name[512], why[128];
	int raw = !pr->not_raw && raw_ok(pr);

	prog_name(pr, name, sizeof name);
	if ((pr->kind == LB_PROG_KPROBE || pr->kind == LB_PROG_KRETPROBE) && !have_kprobes()) {
		snprintf(err, errlen,
			 "%s: this kernel has no kprobes (built without "
			 "CONFIG_KPROBES); use kfunc:%s (fentry) or a tracepoint instead",
			 name, pr->event);
		return -1;
	}
again:
	if (!pr->obj &&
	    (lb_session_shared_maps(s, &pr->code, err, errlen) || load(s, pr, raw, err, errlen))) {
		if (raw)
			goto perf_event;
		goto fail;
	}
	if (load_only)
		return 0;
	if (pr->kind == LB_PROG_PROFILE) {
		if (attach_profile(s, pr, err, errlen))
			goto fail;
		return 0;
	}
	if (pr->kind == LB_PROG_USDT) {
		if (attach_usdt(s, pr, err, errlen))
			goto fail;
		return 0;
	}
	if (pr->nfuncs) {
		int r = lb_attach_uprobe_multi(
		    pr, bpf_program__fd(bpf_object__find_program_by_name(pr->obj, prog_of(pr))),
		    uprobe_pid(s), name, err, errlen);

		if (r)
			lb_prog_detach(pr);
		return r;
	}
	l = attach(s, pr, bpf_object__find_program_by_name(pr->obj, prog_of(pr)), raw);
	if (!l && raw) /* an event with no raw tracepoint of its name */
		goto perf_event;
	if (!l && errno == LB_ENOTSUPP && pr->wild) {
		/* one function of a wildcard the kernel cannot probe: skipped
		 * and named in a warning, as the uprobe_multi path does */
		int cap = 0;

		lb_prog_detach(pr);
		if (!lb_strings_push(&pr->refused, &pr->nrefused, &cap, pr->event))
			return 0;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!l && errno == EILSEQ && pr->kind == LB_PROG_KPROBE && pr->offset) {
		/* the kernel decodes the function up to the offset: a probe
		 * there would overwrite the middle of an instruction */
		snprintf(err, errlen,
			 "%s: offset %llu is inside an instruction of %s; a kprobe offset "
			 "must be where an instruction starts (see objdump -d or gdb's "
			 "disassemble of the function)",
			 name, (unsigned long long)pr->offset, pr->event);
		goto fail;
	}
	if (!l) {
		snprintf(err, errlen, "cannot attach to %s: %s", name,
			 attach_error(pr, errno, why, sizeof why));
		goto fail;
	}
	if (add_link(pr, l)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	return 0;
perf_event:
	lb_prog_detach(pr);
	pr->not_raw = 1; /* and when it attaches after loading */
	raw = 0;
	goto again;
fail:
	lb_prog_detach(pr);
	return -1;
}

int lb_prog_load(struct lb_session *s, struct lb_prog *pr, char *err, size_t errlen)
{
	libbpf_print_fn_t host = lb_libbpf_quiet();
	int r = load_attach(s, pr, 1, err, errlen);

	libbpf_set_print(host);
	return r;
}

int lb_prog_load_attach(struct lb_session *s, struct lb_prog *pr, char *err, size_t errlen)
{
	libbpf_print_fn_t host = lb_libbpf_quiet();
	int r = load_attach(s, pr, 0, err, errlen);

	/* Attached, the links hold the program: the object's descriptors
	 * (the program, its maps and the shared maps' duplicates, its BTF:
	 * ~20) and memory go, leaving ~2 per link. 7,000 functions of a
	 * wildcard taken one by one then fit in 20,000 descriptors. */
	if (r == 0) {
		bpf_object__close(pr->obj);
		pr->obj = NULL;
	}
	libbpf_set_print(host);
	return r;
}
