/* A linked plan as BPF instructions (bpfops.c for each op), so the
 * program that runs has no op loop, no dispatch and no operands read from
 * .rodata: the prologue (syscall and process filters, the scratch
 * space, the ctx copy), the ops no path skips, and "return 0". */
#include <stdio.h>
#include <string.h>
#include "bpfasm.h"

/* VAL64 = size bytes at task r8 + off; a fault ends the run */
static void task_read(struct gen *g, __u32 off, int size)
{
	fp_addr(g, R1, VAL64);
	alu(g, BPF_MOV, R2, size);
	mov(g, R3, R8);
	alu(g, BPF_ADD, R3, (__s32)off);
	call(g, BPF_FUNC_probe_read_kernel);
	JIMM(g, BPF_JNE, R0, 0, g->exit);
}

/* the process filter of luabpf -p / -c, and luabpf's own pid skipped */
static void pid_filter(struct gen *g)
{
	const struct lb_plan *p = g->p;
	int pass = newlabel(g);

	if (!(p->filter_pid | p->skip_pid))
		return;
	call(g, BPF_FUNC_get_current_pid_tgid);
	if (g->uses_pid) { /* e.pid and e.tid need no other call */
		stx(g, BPF_DW, FP, PIDTGID, R0);
		g->pidtgid = 1;
	}
	alu(g, BPF_RSH, R0, 32);
	if (p->skip_pid)
		JIMM(g, BPF_JEQ, R0, (__s32)p->skip_pid, g->exit);
	if (p->filter_pid) {
		JIMM(g, BPF_JEQ, R0, (__s32)p->filter_pid, pass);
		if (!p->task_parent_off) {
			GOTO(g, g->exit);
		} else { /* up the parent chain, LB_TREE_DEPTH generations */
			call(g, BPF_FUNC_get_current_task);
			mov(g, R8, R0);
			for (int i = 0; i < LB_TREE_DEPTH; i++) {
				task_read(g, p->task_parent_off, 8);
				ldx(g, BPF_DW, R8, FP, VAL64);
				st(g, BPF_DW, FP, VAL64, 0);
				task_read(g, p->task_tgid_off, 4);
				ldx(g, BPF_W, R0, FP, VAL64);
				JIMM(g, BPF_JEQ, R0, (__s32)p->filter_pid, pass);
				JIMM(g, BPF_JLE, R0, 1, g->exit);
			}
			GOTO(g, g->exit);
		}
	}
	place(g, pass);
}

/* raw_syscalls: the syscall number at ctx + 8, in the plan's mask */
static void sys_filter(struct gen *g)
{
	const struct lb_plan *p = g->p;
	int test = newlabel(g);

	ldx(g, BPF_DW, R1, CTX, 8);
	JIMM(g, BPF_JGE, R1, LB_SYSMASK * 64, g->exit);
	mov(g, R2, R1);
	alu(g, BPF_RSH, R2, 6);
	alu(g, BPF_AND, R1, 63);
	for (int w = 0; w < LB_SYSMASK; w++) {
		int next = newlabel(g);

		if (!p->sysmask[w]) /* lbc_validate: some word is not */
			continue;
		JIMM(g, BPF_JNE, R2, w, next);
		imm64(g, R3, p->sysmask[w]);
		GOTO(g, test);
		place(g, next);
	}
	GOTO(g, g->exit);
	place(g, test);
	alur(g, BPF_RSH, R3, R1);
	alu(g, BPF_AND, R3, 1);
	JIMM(g, BPF_JEQ, R3, 0, g->exit);
}

static void prologue(struct gen *g)
{
	const struct lb_plan *p = g->p;

	if (g->uses_ctx || p->ctx_copy || p->sysmode) /* else r6 needs no saving */
		mov(g, CTX, R1);
	if (p->sysmode && g->env->probe == LBC_PROBE_SYSNR)
		sys_filter(g);
	pid_filter(g);
	if (g->no_scratch) {
		/* nothing to set up */
	} else if (g->env->stack_scratch >
		   0) { /* below the temporaries, zeroed past the ctx copy */
		int at = PIDTGID - ((g->env->stack_scratch + 7) & ~7);

		fp_addr(g, SCR, at);
		for (__u32 i = p->ctx_copy; i < (__u32)g->env->stack_scratch; i += 8)
			st(g, BPF_DW, SCR, (__s16)i, 0);
	} else {
		call(g, BPF_FUNC_get_smp_processor_id);
		stx(g, BPF_W, FP, KEY32, R0);
		mapfd(g, R1, g->env->scratch_fd);
		fp_addr(g, R2, KEY32);
		call(g, BPF_FUNC_map_lookup_elem);
		JIMM(g, BPF_JEQ, R0, 0, g->exit);
		mov(g, SCR, R0);
	}
	if (p->ctx_copy && !g->ctx_direct && !g->no_scratch) {
		mov(g, R1, SCR);
		alu(g, BPF_MOV, R2, (__s32)(p->ctx_copy & (LB_SCRATCH - 1)));
		mov(g, R3, CTX);
		call(g, BPF_FUNC_probe_read_kernel);
	}
}

/* 8-byte words: scratch[off ..] against the pool (imm >= 0) or scratch[imm ..] */
/* Does nothing but FIELD ops read the ctx copy, each where a tracepoint
 * record can be loaded in place (past its first 8 bytes, aligned)? */
static int direct_fields(const struct lb_plan *p, const char *live)
{
	for (__u32 i = 0; i < p->nops; i++) {
		const struct lb_op *op = &p->ops[i];
		const struct lbc_opinfo *d = &lbc_ops[op->code];

		if (!live[i])
			continue;
		if (op->code == LB_OP_FIELD) {
			if (op->off < 8 || op->off % op->len)
				return 0;
			continue;
		}
		if ((d->off == LB_O_KEY || d->off == LB_O_SCR) && op->off < p->ctx_copy)
			return 0;
		if ((d->imm == LB_O_SCR || d->imm == LB_O_TMP) && op->imm < p->ctx_copy)
			return 0;
	}
	return 1;
}

/* Is scratch never read? Keys of cells are not (their key is 0), so a
 * handler that only aggregates into cells needs no scratch at all. */
static int scratch_unread(const struct lb_plan *p, const char *live, int ctx_direct)
{
	for (__u32 i = 0; i < p->nops; i++) {
		const struct lb_op *op = &p->ops[i];
		const struct lbc_opinfo *d = &lbc_ops[op->code];

		if (!live[i] || op->code == LB_OP_PUT || (op->code == LB_OP_FIELD && ctx_direct))
			continue;
		if (d->dst == LB_O_SLOT && d->off == LB_O_KEY && op->code != LB_OP_UNWIND_ADD &&
		    p->slot_cell[op->dst & (LB_MAX_MAPS - 1)])
			continue;
		if (d->off == LB_O_KEY || d->off == LB_O_SCR || d->off == LB_O_CTX ||
		    d->imm == LB_O_SCR || d->imm == LB_O_TMP)
			return 0;
	}
	return 1;
}

int lbc_bpfgen(const struct lb_plan *plan, const struct lbc_bpfenv *env, struct bpf_insn **out,
	       int *nout, char *why, size_t whylen)
{
	struct gen g = {.p = plan, .env = env};
	int *oplabel = NULL, rc = -1;
	char *live = NULL;

	*out = NULL;
	*nout = 0;
	for (__u32 i = 0; i < plan->nops && i < LB_MAX_OPS; i++) {
		const struct lb_op *op = &plan->ops[i];

		if (op->code == LB_OP_UNWIND_ADD || (op->code == LB_OP_EMIT && op->b)) {
			snprintf(why, whylen, "op %u (%s) runs in the interpreter", i,
				 lbc_ops[op->code].name);
			return 1;
		}
	}
	if (!(oplabel = malloc((plan->nops + 1) * sizeof *oplabel)))
		goto nomem;
	g.exit = newlabel(&g);
	for (__u32 i = 0; i <= plan->nops; i++)
		oplabel[i] = newlabel(&g);
	/* the verifier refuses code no path reaches: ops after an END or a
	 * JMP that no jump targets are left out (jumps only go forward) */
	if (!(live = calloc(plan->nops + 1, 1)))
		goto nomem;
	live[0] = 1;
	for (__u32 i = 0; i < plan->nops; i++) {
		const struct lb_op *op = &plan->ops[i];

		if (!live[i])
			continue;
		if (op->code == LB_OP_JMP || op->code == LB_OP_JZ || op->code == LB_OP_JNZ)
			live[op->off <= plan->nops ? op->off : plan->nops] = 3; /* 2: a target */
		if (op->code != LB_OP_END && op->code != LB_OP_JMP)
			live[i + 1] |= 1;
	}
	for (__u32 i = 0; i < plan->nops; i++) {
		const struct lb_op *op = &plan->ops[i];

		if (!live[i])
			continue;
		g.uses_ctx |= op->code == LB_OP_STACK || op->code == LB_OP_USDT_ARG ||
			      op->code == LB_OP_DATALOC ||
			      (op->code == LB_OP_CTX && op->imm == LB_CTX_PROBE &&
			       env->probe != LBC_PROBE_PLAN);
		g.uses_pid |=
		    op->code == LB_OP_CTX && (op->imm == LB_CTX_PID || op->imm == LB_CTX_TID);
	}
	g.ctx_direct = env->tp_record && plan->ctx_copy && direct_fields(plan, live);
	g.uses_ctx |= g.ctx_direct;
	g.no_scratch = scratch_unread(plan, live, g.ctx_direct);
	prologue(&g);
	for (__u32 i = 0; i < plan->nops && !g.nomem; i++) {
		if (live[i] & 2) { /* other paths join: the registers in their slots */
			flush(&g);
			g.cknown = 0;
		}
		place(&g, oplabel[i]);
		if (live[i])
			lbc_bpfop(&g, &plan->ops[i], oplabel);
	}
	place(&g, oplabel[plan->nops]);
	place(&g, g.exit);
	alu(&g, BPF_MOV, R0, 0);
	put(&g, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	if (g.nomem)
		goto nomem;
	for (int i = 0; i < g.nfix; i++) {
		long d = (long)g.label[g.fix[i].label] - (g.fix[i].at + 1);

		if (g.label[g.fix[i].label] < 0 || d < -32768 || d > 32767) {
			snprintf(why, whylen, "a jump of the plan is out of a BPF jump's reach");
			rc = 1;
			goto out;
		}
		g.v[g.fix[i].at].off = (__s16)d;
	}
	*out = g.v;
	*nout = g.n;
	g.v = NULL;
	rc = 0;
	goto out;
nomem:
	snprintf(why, whylen, "out of memory");
	rc = -1;
out:
	free(g.v);
	free(g.label);
	free(g.fix);
	free(oplabel);
	free(live);
	return rc;
}
