/* Each plan op as BPF instructions: bpf/interp.h's case for it,
 * specialised to its operands (map fds, offsets, pool strings and record
 * heads as immediates), and the helpers ops share. */
#include <string.h>
#include "bpfasm.h"

static void count(struct gen *g, int fd, __u32 idx)
{
	int skip = newlabel(g);

	st(g, BPF_W, FP, KEY32, (__s32)idx);
	mapfd(g, R1, fd);
	fp_addr(g, R2, KEY32);
	call(g, BPF_FUNC_map_lookup_elem);
	JIMM(g, BPF_JEQ, R0, 0, skip);
	ldx(g, BPF_DW, R1, R0, 0);
	alu(g, BPF_ADD, R1, 1);
	stx(g, BPF_DW, R0, 0, R1);
	place(g, skip);
}

static int slotfd(struct gen *g, int slot)
{
	return g->env->slot_fd[slot & (LB_MAX_MAPS - 1)];
}

/* the offset of a cell's set word, 0 for a hash map (plan.h: slot_cell) */
static unsigned cell(struct gen *g, int slot)
{
	return g->p->slot_cell[slot & (LB_MAX_MAPS - 1)];
}

/* r0 = the value of the key at scratch[keyoff], or of a cell's key 0 */
static void lookup(struct gen *g, int slot, __u32 keyoff)
{
	mapfd(g, R1, slotfd(g, slot));
	if (cell(g, slot)) {
		st(g, BPF_W, FP, KEY32, 0);
		fp_addr(g, R2, KEY32);
	} else {
		scr(g, R2, keyoff);
	}
	call(g, BPF_FUNC_map_lookup_elem);
}

/* an update of a cell (value at r0) makes it present */
static void cell_set(struct gen *g, int slot)
{
	if (cell(g, slot))
		st(g, BPF_DW, R0, (__s16)cell(g, slot), 1);
}

/* m.x = nil on a cell: every CPU's copy zeroed, as deleting a per-CPU
 * hash map's key drops every CPU's value */
static void cell_clear(struct gen *g, int slot)
{
	int loop = newlabel(g), next = newlabel(g), end = newlabel(g);
	unsigned size = cell(g, slot) + 8;

	alu(g, BPF_MOV, R8, 0);
	place(g, loop);
	JIMM(g, BPF_JGE, R8, g->env->ncpus, end);
	st(g, BPF_W, FP, KEY32, 0);
	mapfd(g, R1, slotfd(g, slot));
	fp_addr(g, R2, KEY32);
	mov(g, R3, R8);
	call(g, BPF_FUNC_map_lookup_percpu_elem);
	JIMM(g, BPF_JEQ, R0, 0, next);
	if (size <= 256) {
		for (unsigned i = 0; i < size; i += 8)
			st(g, BPF_DW, R0, (__s16)i, 0);
	} else {
		mov(g, R9, R0);
		st(g, BPF_W, FP, KEY32, 0);
		mapfd(g, R1, g->env->zeros_fd);
		fp_addr(g, R2, KEY32);
		call(g, BPF_FUNC_map_lookup_elem);
		JIMM(g, BPF_JEQ, R0, 0, next);
		mov(g, R3, R0);
		mov(g, R1, R9);
		alu(g, BPF_MOV, R2, (__s32)(size - 8));
		call(g, BPF_FUNC_probe_read_kernel); /* the value: LB_ZEROS at most */
		st(g, BPF_DW, R9, (__s16)(size - 8), 0);
	}
	place(g, next);
	alu(g, BPF_ADD, R8, 1);
	GOTO(g, loop);
	place(g, end);
}

/* lb_update: the value at r3, the result in r9 (0: done); refusals for
 * want of room are counted for the session map */
static void update(struct gen *g, int slot, __u32 keyoff, __u64 flags)
{
	int counted = newlabel(g), drop = newlabel(g);

	mapfd(g, R1, slotfd(g, slot));
	scr(g, R2, keyoff);
	alu(g, BPF_MOV, R4, (__s32)flags);
	call(g, BPF_FUNC_map_update_elem);
	mov(g, R9, R0);
	JIMM(g, BPF_JEQ, R9, -7 /* E2BIG */, drop);
	JIMM(g, BPF_JNE, R9, -12 /* ENOMEM */, counted);
	place(g, drop);
	count(g, g->env->dropped_fd, g->p->slot_ids[slot & (LB_MAX_MAPS - 1)]);
	place(g, counted);
}

/* zero len bytes at scratch[off]: stores for short strings, a copy of the
 * zeros map's for long ones */
static void zero_fill(struct gen *g, __u32 off, __u32 len)
{
	__u32 i = 0;
	__u8 base;
	__s16 o;

	if (len <= 256) {
		o = scrat(g, R5, off, &base);
		for (; i + 8 <= len; i += 8)
			st(g, BPF_DW, base, o + i, 0);
		for (; i < len; i++)
			st(g, BPF_B, base, o + i, 0);
		return;
	}
	if (len <= LB_ZEROS) {
		int none = newlabel(g);

		st(g, BPF_W, FP, KEY32, 0);
		mapfd(g, R1, g->env->zeros_fd);
		fp_addr(g, R2, KEY32);
		call(g, BPF_FUNC_map_lookup_elem);
		JIMM(g, BPF_JEQ, R0, 0, none);
		scr(g, R1, off);
		alu(g, BPF_MOV, R2, (__s32)len);
		mov(g, R3, R0);
		call(g, BPF_FUNC_probe_read_kernel);
		place(g, none);
	}
}

static void zero_byte(struct gen *g, __u32 off)
{
	__u8 base;
	__s16 o = scrat(g, R5, off, &base);

	st(g, BPF_B, base, o, 0);
}

/* r0 = lb_div(r1, r2), r2 != 0; r3-r5 clobbered. Without branches: a
 * branch the verifier can decide from a range marks its operands
 * precise, and precise values keep it from pruning the paths after. */
static void divide(struct gen *g)
{
	mov(g, R5, R1); /* sx = x >> 63, ux = (x ^ sx) - sx */
	alu(g, BPF_ARSH, R5, 63);
	mov(g, R3, R1);
	alur(g, BPF_XOR, R3, R5);
	alur(g, BPF_SUB, R3, R5);
	mov(g, R0, R2); /* t = sx ^ sy, uy the same way */
	alu(g, BPF_ARSH, R0, 63);
	alur(g, BPF_XOR, R5, R0);
	mov(g, R4, R2);
	alur(g, BPF_XOR, R4, R0);
	alur(g, BPF_SUB, R4, R0);
	mov(g, R0, R3); /* q = ux / uy */
	alur(g, BPF_DIV, R0, R4);
	alur(g, BPF_MUL, R4, R0); /* the remainder ux - q * uy, != 0 as 0/1 */
	alur(g, BPF_SUB, R3, R4);
	mov(g, R4, R3);
	alu(g, BPF_NEG, R4, 0);
	alur(g, BPF_OR, R3, R4);
	alu(g, BPF_RSH, R3, 63);
	alur(g, BPF_XOR, R0, R5); /* -q when the signs differ, then -1 more */
	alur(g, BPF_SUB, R0, R5);
	alur(g, BPF_AND, R3, R5);
	alur(g, BPF_SUB, R0, R3);
}

/* r0 = lb_log2(r1) (LB_OP_LOG2 at k = 0); r1-r3 clobbered */
static void log2_(struct gen *g)
{
	int done = newlabel(g);

	alu(g, BPF_MOV, R0, 0);
	JIMM(g, BPF_JSLT, R1, 0, done);
	alu(g, BPF_MOV, R0, 1);
	JIMM(g, BPF_JEQ, R1, 0, done);
	alu(g, BPF_MOV, R2, 0);
	for (int b = 32; b >= 1; b /= 2) {
		int no = newlabel(g);

		mov(g, R3, R1);
		alu(g, BPF_RSH, R3, b);
		JIMM(g, BPF_JEQ, R3, 0, no);
		mov(g, R1, R3);
		alu(g, BPF_ADD, R2, b);
		place(g, no);
	}
	mov(g, R0, R2);
	alu(g, BPF_ADD, R0, 2);
	place(g, done);
}

/* r0 = lb_log2k(r1, k); r1-r4 clobbered */
static void log2k(struct gen *g, __u32 k)
{
	int done = newlabel(g), big = newlabel(g);
	__u64 mask = (1ULL << k) - 1;

	alu(g, BPF_MOV, R0, 0);
	JIMM(g, BPF_JSLT, R1, 0, done);
	mov(g, R0, R1);
	alu(g, BPF_ADD, R0, 1);
	JIMM(g, BPF_JGT, R1, (__s32)mask, big);
	GOTO(g, done);
	place(g, big);
	mov(g, R4, R1);
	log2_(g);			     /* r0 = log2(x), x >= 2^k > 0 */
	alu(g, BPF_SUB, R0, (__s32)(2 + k)); /* l */
	mov(g, R1, R4);
	alur(g, BPF_RSH, R1, R0);
	alu(g, BPF_AND, R1, (__s32)mask);
	alu(g, BPF_ADD, R0, 1);
	alu(g, BPF_LSH, R0, (__s32)k);
	alur(g, BPF_ADD, R0, R1);
	alu(g, BPF_ADD, R0, 1);
	place(g, done);
}

/* r0 = lb_shl(r1, r2); r2 clobbered */
static void shift(struct gen *g)
{
	int done = newlabel(g), neg = newlabel(g);

	alu(g, BPF_MOV, R0, 0);
	JIMM(g, BPF_JSLE, R2, -64, done);
	JIMM(g, BPF_JSGE, R2, 64, done);
	mov(g, R0, R1);
	JIMM(g, BPF_JSLT, R2, 0, neg);
	alur(g, BPF_LSH, R0, R2);
	GOTO(g, done);
	place(g, neg);
	alu(g, BPF_NEG, R2, 0);
	alur(g, BPF_RSH, R0, R2);
	place(g, done);
}

/* lb_announce: the first user stack of a process tells user space */
static void announce(struct gen *g)
{
	int done = newlabel(g);

	call(g, BPF_FUNC_get_current_pid_tgid);
	alu(g, BPF_RSH, R0, 32);
	JIMM(g, BPF_JEQ, R0, 0, done);
	stx(g, BPF_W, FP, KEY32, R0);
	stx(g, BPF_DW, FP, REC16 + 8, R0);
	imm64(g, R1, LB_REC(LB_REC_PROC, 0));
	stx(g, BPF_DW, FP, REC16, R1);
	st(g, BPF_W, FP, ONE32, 1);
	mapfd(g, R1, g->env->upids_fd);
	fp_addr(g, R2, KEY32);
	call(g, BPF_FUNC_map_lookup_elem);
	JIMM(g, BPF_JNE, R0, 0, done);
	mapfd(g, R1, g->env->upids_fd);
	fp_addr(g, R2, KEY32);
	fp_addr(g, R3, ONE32);
	alu(g, BPF_MOV, R4, BPF_NOEXIST);
	call(g, BPF_FUNC_map_update_elem);
	JIMM(g, BPF_JNE, R0, 0, done);
	mapfd(g, R1, g->env->procs_fd);
	fp_addr(g, R2, REC16);
	alu(g, BPF_MOV, R3, 16);
	alu(g, BPF_MOV, R4, 0);
	call(g, BPF_FUNC_ringbuf_output);
	JIMM(g, BPF_JEQ, R0, 0, done);
	mapfd(g, R1, g->env->upids_fd);
	fp_addr(g, R2, KEY32);
	call(g, BPF_FUNC_map_delete_elem); /* announced by the next stack */
	place(g, done);
}

/* r1 = word w of the user pt_regs (ctx), 0 past its end (no register) */
static void usdt_reg(struct gen *g, __u8 d, __u8 w)
{
	if (w < LB_REG_WORDS)
		ldx(g, BPF_DW, d, CTX, (__s16)(w * 8));
	else
		alu(g, BPF_MOV, d, 0);
}

/* the load of a 1, 2, 4 or 8-byte number */
static const __u8 size_of[9] = {[1] = BPF_B, [2] = BPF_H, [4] = BPF_W, [8] = BPF_DW};

/* d = its low size bytes, sign- or zero-extended */
static void extend(struct gen *g, __u8 d, unsigned size, int sign)
{
	if (size >= 8 || !size)
		return;
	alu(g, BPF_LSH, d, 64 - 8 * (int)size);
	alu(g, sign ? BPF_ARSH : BPF_RSH, d, 64 - 8 * (int)size);
}

/* r1 = USDT argument n where the site the probe fired at (its link's
 * cookie) keeps it: each site's operand from its note, as constants
 * (interp.h's lb_usdt_arg) */
static void usdt_arg(struct gen *g, __u32 n)
{
	int done = newlabel(g);

	mov(g, R1, CTX);
	call(g, BPF_FUNC_get_attach_cookie);
	for (int site = 0; site < LB_USDT_SITES && n < LB_USDT_ARGS; site++) {
		const struct lb_usdt_arg *a = &g->p->usdt[site][n];
		int next = newlabel(g);

		if (a->kind != LB_USDT_CONST && a->kind != LB_USDT_REG && a->kind != LB_USDT_MEM)
			continue; /* reads 0, as past the last site */
		JIMM(g, BPF_JNE, R0, site, next);
		switch (a->kind) {
		case LB_USDT_CONST: imm64(g, R1, (__u64)a->val); break;
		case LB_USDT_REG:
			usdt_reg(g, R1, a->base);
			alu(g, BPF_RSH, R1, a->shift & 63);
			extend(g, R1, a->size, a->is_signed);
			break;
		case LB_USDT_MEM:
			usdt_reg(g, R3, a->base);
			usdt_reg(g, R4, a->index);
			alu(g, BPF_MUL, R4, a->scale);
			alur(g, BPF_ADD, R3, R4);
			imm64(g, R4, (__u64)a->val);
			alur(g, BPF_ADD, R3, R4);
			st(g, BPF_DW, FP, VAL64, 0);
			fp_addr(g, R1, VAL64);
			alu(g, BPF_MOV, R2,
			    a->size == 1 || a->size == 2 || a->size == 4 ? a->size : 8);
			call(g, BPF_FUNC_probe_read_user);
			ldx(g, BPF_DW, R1, FP, VAL64);
			extend(g, R1, a->size, a->is_signed);
			break;
		}
		GOTO(g, done);
		place(g, next);
	}
	alu(g, BPF_MOV, R1, 0);
	place(g, done);
}

static void ctx_value(struct gen *g, __s64 which)
{
	switch (which) {
	case LB_CTX_PID:
	case LB_CTX_TID:
		if (g->pidtgid)
			ldx(g, BPF_DW, R0, FP, PIDTGID);
		else
			call(g, BPF_FUNC_get_current_pid_tgid);
		if (which == LB_CTX_PID)
			alu(g, BPF_RSH, R0, 32);
		else
			zext32(g, R0);
		break;
	case LB_CTX_UID:
		call(g, BPF_FUNC_get_current_uid_gid);
		zext32(g, R0);
		break;
	case LB_CTX_GID:
		call(g, BPF_FUNC_get_current_uid_gid);
		alu(g, BPF_RSH, R0, 32);
		break;
	case LB_CTX_CPU: call(g, BPF_FUNC_get_smp_processor_id); break;
	case LB_CTX_NSECS: call(g, BPF_FUNC_ktime_get_ns); break;
	case LB_CTX_ELAPSED:
		call(g, BPF_FUNC_ktime_get_ns);
		imm64(g, R1, g->p->start_ns);
		alur(g, BPF_SUB, R0, R1);
		break;
	case LB_CTX_CPID: imm64(g, R0, g->p->cpid); break;
	case LB_CTX_PROBE:
		switch (g->env->probe) {
		case LBC_PROBE_COOKIE:
			mov(g, R1, CTX);
			call(g, BPF_FUNC_get_attach_cookie);
			zext32(g, R0);
			break;
		case LBC_PROBE_SYSNR:
			ldx(g, BPF_DW, R0, CTX, 8);
			imm64(g, R1, (__u64)g->p->sysmode << 32);
			alur(g, BPF_OR, R0, R1);
			break;
		default: imm64(g, R0, LB_PROBE_ID(LB_PROBE_SESSION, (__u64)g->p->probe_id));
		}
		break;
	default: alu(g, BPF_MOV, R0, 0);
	}
}

/* the process filter of luabpf -p / -c, and luabpf's own pid skipped */
static void words_equal(struct gen *g, const struct lb_op *op, int pool)
{
	int ne = newlabel(g), done = newlabel(g);
	__u8 base;

	for (__u32 j = 0; j < op->len; j += 8) {
		__s16 o = scrat(g, R5, op->off + j, &base);

		ldx(g, BPF_DW, R1, base, o);
		if (pool) {
			__u64 w;

			memcpy(&w, &g->p->pool[(op->imm + j) & (LB_POOL - 8)], 8);
			imm64(g, R2, w);
		} else {
			o = scrat(g, R5, (__u32)op->imm + j, &base);
			ldx(g, BPF_DW, R2, base, o);
		}
		JREG(g, BPF_JNE, R1, R2, ne);
	}
	alu(g, BPF_MOV, R0, 1);
	GOTO(g, done);
	place(g, ne);
	alu(g, BPF_MOV, R0, 0);
	place(g, done);
	setreg(g, op->dst, R0);
}

/* value at r0 of an aggregate slot, inserting zeros first (lb_slot_value);
 * to skip when there is none */
static void slot_value(struct gen *g, const struct lb_op *op, int skip)
{
	int have = newlabel(g);

	lookup(g, op->dst, op->off);
	if (cell(g, op->dst)) { /* always there */
		JIMM(g, BPF_JEQ, R0, 0, skip);
		cell_set(g, op->dst);
		return;
	}
	JIMM(g, BPF_JNE, R0, 0, have);
	st(g, BPF_W, FP, KEY32, 0);
	mapfd(g, R1, g->env->zeros_fd);
	fp_addr(g, R2, KEY32);
	call(g, BPF_FUNC_map_lookup_elem);
	JIMM(g, BPF_JEQ, R0, 0, skip);
	mov(g, R3, R0);
	update(g, op->dst, op->off, BPF_NOEXIST);
	lookup(g, op->dst, op->off);
	JIMM(g, BPF_JEQ, R0, 0, skip);
	place(g, have);
}

static void str_read(struct gen *g, __u32 off, int user)
{
	int ok = newlabel(g);

	call(g, user ? BPF_FUNC_probe_read_user_str : BPF_FUNC_probe_read_kernel_str);
	JIMM(g, BPF_JSGE, R0, 0, ok);
	zero_byte(g, off);
	place(g, ok);
}

static void binop(struct gen *g, const struct lb_op *op)
{
	/* | 1: BPF_ADD is 0 */
	static const __u8 alu_of[LB_OP_NCODES] = {
	    [LB_OP_ADD] = BPF_ADD | 1,	[LB_OP_SUB] = BPF_SUB | 1, [LB_OP_MUL] = BPF_MUL | 1,
	    [LB_OP_BAND] = BPF_AND | 1, [LB_OP_BOR] = BPF_OR | 1,  [LB_OP_BXOR] = BPF_XOR | 1,
	};
	static const __u8 jmp_of[LB_OP_NCODES] = {
	    [LB_OP_EQ] = BPF_JEQ,  [LB_OP_NE] = BPF_JNE,  [LB_OP_LT] = BPF_JSLT,
	    [LB_OP_LE] = BPF_JSLE, [LB_OP_GT] = BPF_JSGT, [LB_OP_GE] = BPF_JSGE,
	};

	getreg(g, R1, op->a);
	getreg(g, R2, op->b);
	if (alu_of[op->code]) {
		alur(g, alu_of[op->code] & ~1, R1, R2);
		setreg(g, op->dst, R1);
	} else if (jmp_of[op->code]) {
		int yes = newlabel(g);

		alu(g, BPF_MOV, R0, 1);
		JREG(g, jmp_of[op->code], R1, R2, yes);
		alu(g, BPF_MOV, R0, 0);
		place(g, yes);
		setreg(g, op->dst, R0);
	} else if (op->code == LB_OP_SHL || op->code == LB_OP_SHR) {
		if (op->code == LB_OP_SHR)
			alu(g, BPF_NEG, R2, 0);
		shift(g);
		setreg(g, op->dst, R0);
	} else { /* DIV, MOD: a zero stops the run, counted */
		int ok = newlabel(g);

		JIMM(g, BPF_JNE, R2, 0, ok);
		count(g, g->env->dropped_fd, LB_DIVZERO_SLOT);
		if (op->imm >= 0 && op->imm < LB_DIV_SITES)
			count(g, g->env->dropped_fd, LB_DIVZERO_SLOT + 1 + (__u32)op->imm);
		GOTO(g, g->exit);
		place(g, ok);
		divide(g);
		if (op->code == LB_OP_MOD) { /* x - q * y */
			alur(g, BPF_MUL, R0, R2);
			alur(g, BPF_SUB, R1, R0);
			mov(g, R0, R1);
		}
		setreg(g, op->dst, R0);
	}
}

void lbc_bpfop(struct gen *g, const struct lb_op *op, const int *oplabel)
{
	__u32 off = op->off, len = op->len;
	int done = newlabel(g);
	__u8 base;
	__s16 o;

	switch (op->code) {
	case LB_OP_END:
		GOTO(g, g->exit);
		g->cpending = 0; /* no path goes on from here */
		break;
	case LB_OP_IMM: /* stored only if a path that joins later needs it */
		g->cknown |= 1u << (op->dst & (LB_NREGS - 1));
		g->cpending |= 1u << (op->dst & (LB_NREGS - 1));
		g->cval[op->dst & (LB_NREGS - 1)] = op->imm;
		break;
	case LB_OP_CTX:
		ctx_value(g, op->imm);
		setreg(g, op->dst, R0);
		break;
	case LB_OP_FIELD:
		if (g->ctx_direct) { /* the record itself, not a copy */
			ldx(g, size_of[len & 15], R1, CTX, (__s16)off);
		} else {
			o = scrat(g, R5, off, &base);
			ldx(g, size_of[len & 15], R1, base, o);
		}
		if (op->a)
			extend(g, R1, len, 1);
		setreg(g, op->dst, R1);
		break;
	case LB_OP_COMM:
		scr(g, R1, off);
		alu(g, BPF_MOV, R2, LB_COMM_LEN);
		call(g, BPF_FUNC_get_current_comm);
		break;
	case LB_OP_STRCPY:
		for (__u32 j = 0; j < len; j += 8) {
			__u64 w;

			memcpy(&w, &g->p->pool[(op->imm + j) & (LB_POOL - 8)], 8);
			imm64(g, R1, w);
			o = scrat(g, R5, off + j, &base);
			stx(g, BPF_DW, base, o, R1);
		}
		break;
	case LB_OP_STREQ: words_equal(g, op, 1); break;
	case LB_OP_SCMP: words_equal(g, op, 0); break;
	case LB_OP_PUT: {
		int a = op->a & (LB_NREGS - 1);

		if (g->no_scratch)
			break;
		o = scrat(g, R5, off, &base);
		if ((g->cknown & (1u << a)) && g->cval[a] == (__s32)g->cval[a]) {
			st(g, BPF_DW, base, o, (__s32)g->cval[a]);
		} else {
			getreg(g, R1, a);
			stx(g, BPF_DW, base, o, R1);
		}
		break;
	}
	case LB_OP_ADD:
	case LB_OP_SUB:
	case LB_OP_MUL:
	case LB_OP_DIV:
	case LB_OP_MOD:
	case LB_OP_BAND:
	case LB_OP_BOR:
	case LB_OP_BXOR:
	case LB_OP_SHL:
	case LB_OP_SHR:
	case LB_OP_EQ:
	case LB_OP_NE:
	case LB_OP_LT:
	case LB_OP_LE:
	case LB_OP_GT:
	case LB_OP_GE: binop(g, op); break;
	case LB_OP_NOT: {
		int zero = newlabel(g);

		getreg(g, R1, op->a);
		alu(g, BPF_MOV, R0, 1);
		JIMM(g, BPF_JEQ, R1, 0, zero);
		alu(g, BPF_MOV, R0, 0);
		place(g, zero);
		setreg(g, op->dst, R0);
		break;
	}
	case LB_OP_NEG:
	case LB_OP_BNOT:
	case LB_OP_MOV:
		getreg(g, R1, op->a);
		if (op->code == LB_OP_NEG)
			alu(g, BPF_NEG, R1, 0);
		else if (op->code == LB_OP_BNOT)
			alu(g, BPF_XOR, R1, -1);
		setreg(g, op->dst, R1);
		break;
	case LB_OP_JMP:
		flush(g);
		GOTO(g, oplabel[off]);
		break;
	case LB_OP_JZ:
	case LB_OP_JNZ:
		getreg(g, R1, op->a);
		flush(g);
		JIMM(g, op->code == LB_OP_JZ ? BPF_JEQ : BPF_JNE, R1, 0, oplabel[off]);
		break;
	case LB_OP_MAP_ADD:
	case LB_OP_MAP_XADD: { /* an insert racing with another CPU's fails: add then */
		int slot = op->code == LB_OP_MAP_ADD ? op->dst : op->b, add = newlabel(g);

		lookup(g, slot, off);
		if (cell(g, slot)) { /* always there */
			JIMM(g, BPF_JEQ, R0, 0, done);
			cell_set(g, slot);
		} else {
			JIMM(g, BPF_JNE, R0, 0, add);
			getreg(g, R1, op->a);
			stx(g, BPF_DW, FP, VAL64, R1);
			fp_addr(g, R3, VAL64);
			update(g, slot, off, BPF_NOEXIST);
			JIMM(g, BPF_JEQ, R9, 0, done);
			lookup(g, slot, off);
			JIMM(g, BPF_JEQ, R0, 0, done);
		}
		place(g, add);
		getreg(g, R1, op->a);
		if (op->code == LB_OP_MAP_XADD) {
			put(g, BPF_STX | BPF_DW | BPF_ATOMIC, R0, R1, 0, BPF_ADD);
		} else {
			ldx(g, BPF_DW, R2, R0, 0);
			alur(g, BPF_ADD, R2, R1);
			stx(g, BPF_DW, R0, 0, R2);
		}
		break;
	}
	case LB_OP_MAP_READ: {
		int none = newlabel(g);

		lookup(g, op->b, off);
		alu(g, BPF_MOV, R1, 0);
		alu(g, BPF_MOV, R2, 0);
		JIMM(g, BPF_JEQ, R0, 0, none);
		ldx(g, BPF_DW, R1, R0, 0);
		alu(g, BPF_MOV, R2, 1);
		place(g, none);
		setreg(g, op->dst, R1);
		setreg(g, op->a, R2);
		break;
	}
	case LB_OP_MAP_SET:
		getreg(g, R1, op->a);
		stx(g, BPF_DW, FP, VAL64, R1);
		fp_addr(g, R3, VAL64);
		update(g, op->b, off, BPF_ANY);
		break;
	case LB_OP_MAP_SETSTR:
		scr(g, R3, (__u32)op->imm);
		update(g, op->b, off, BPF_ANY);
		break;
	case LB_OP_MAP_DELETE:
		if (cell(g, op->b)) {
			cell_clear(g, op->b);
			break;
		}
		mapfd(g, R1, slotfd(g, op->b));
		scr(g, R2, off);
		call(g, BPF_FUNC_map_delete_elem);
		break;
	case LB_OP_MAP_MIN:
	case LB_OP_MAP_MAX:
	case LB_OP_MAP_AVG:
	case LB_OP_MAP_BUCKET:
		slot_value(g, op, done);
		getreg(g, R1, op->a);
		if (op->code == LB_OP_MAP_AVG) {
			ldx(g, BPF_DW, R2, R0, 0);
			alu(g, BPF_ADD, R2, 1);
			stx(g, BPF_DW, R0, 0, R2);
			ldx(g, BPF_DW, R2, R0, 8);
			alur(g, BPF_ADD, R2, R1);
			stx(g, BPF_DW, R0, 8, R2);
		} else if (op->code == LB_OP_MAP_BUCKET) {
			int in = newlabel(g);

			JIMM(g, BPF_JLT, R1, (__s32)len, in);
			alu(g, BPF_MOV, R1, (__s32)len - 1);
			place(g, in);
			alu(g, BPF_LSH, R1, 3);
			mov(g, R3, R0);
			alur(g, BPF_ADD, R3, R1);
			ldx(g, BPF_DW, R2, R3, 0);
			alu(g, BPF_ADD, R2, 1);
			stx(g, BPF_DW, R3, 0, R2);
			getreg(g, R1, op->b);
			ldx(g, BPF_DW, R2, R0, (__s16)(len * 8));
			alur(g, BPF_ADD, R2, R1);
			stx(g, BPF_DW, R0, (__s16)(len * 8), R2);
		} else {
			int set = newlabel(g);

			ldx(g, BPF_DW, R2, R0, 8);
			JIMM(g, BPF_JEQ, R2, 0, set);
			ldx(g, BPF_DW, R2, R0, 0);
			JREG(g, op->code == LB_OP_MAP_MIN ? BPF_JSLT : BPF_JSGT, R1, R2, set);
			GOTO(g, done);
			place(g, set);
			stx(g, BPF_DW, R0, 0, R1);
			st(g, BPF_DW, R0, 8, 1);
		}
		break;
	case LB_OP_LOG2:
		getreg(g, R1, op->a);
		if (op->imm)
			log2k(g, (__u32)op->imm);
		else
			log2_(g);
		setreg(g, op->dst, R0);
		break;
	case LB_OP_LINEAR: {
		int last = newlabel(g), set = newlabel(g);

		getreg(g, R1, op->a);
		getreg(g, R2, op->b);
		alu(g, BPF_MOV, R0, 0);
		imm64(g, R3, (__u64)op->imm);
		JREG(g, BPF_JSLT, R1, R3, set);
		JIMM(g, BPF_JSLE, R2, 0, last);
		alur(g, BPF_SUB, R1, R3);
		divide(g);
		alu(g, BPF_ADD, R0, 1);
		JIMM(g, BPF_JSLT, R0, (__s32)len - 1, set);
		place(g, last);
		alu(g, BPF_MOV, R0, (__s32)len - 1);
		place(g, set);
		setreg(g, op->dst, R0);
		break;
	}
	case LB_OP_EMIT:
		imm64(g, R1, (__u64)op->imm);
		o = scrat(g, R5, off, &base);
		stx(g, BPF_DW, base, o, R1);
		mapfd(g, R1, g->env->events_fd);
		scr(g, R2, off);
		alu(g, BPF_MOV, R3, (__s32)(len & (LB_SCRATCH - 1)));
		alu(g, BPF_MOV, R4, 0);
		call(g, BPF_FUNC_ringbuf_output);
		JIMM(g, BPF_JEQ, R0, 0, done);
		count(g, g->env->lost_fd, 0);
		break;
	case LB_OP_STACK: {
		int have = newlabel(g), bad = newlabel(g), id = newlabel(g);
		__u64 flags = op->imm ? BPF_F_USER_STACK : 0;

		mov(g, R1, CTX);
		mapfd(g, R2, g->env->stacks_fd[0]);
		alu(g, BPF_MOV, R3, (__s32)flags);
		call(g, BPF_FUNC_get_stackid);
		JIMM(g, BPF_JNE, R0, -17 /* EEXIST */, have);
		mov(g, R1, CTX);
		mapfd(g, R2, g->env->stacks_fd[1]);
		alu(g, BPF_MOV, R3, (__s32)flags);
		call(g, BPF_FUNC_get_stackid);
		JIMM(g, BPF_JSLT, R0, 0, bad);
		alu(g, BPF_ADD, R0, LB_STACK_ENTRIES);
		place(g, have);
		JIMM(g, BPF_JSGE, R0, 0, id);
		place(g, bad);
		imm64(g, R0, 0xffffffffULL);
		place(g, id);
		imm64(g, R1, (__u64)len << 32);
		alur(g, BPF_OR, R0, R1);
		setreg(g, op->dst, R0);
		if (op->imm)
			announce(g);
		break;
	}
	case LB_OP_STR:
	case LB_OP_DATALOC: /* from an address, or a record's __data_loc field */
		if (op->b)
			zero_fill(g, off, len);
		scr(g, R1, off);
		alu(g, BPF_MOV, R2, (__s32)len);
		if (op->code == LB_OP_STR) {
			getreg(g, R3, op->a);
		} else {
			getreg(g, R4, op->a);
			alu(g, BPF_AND, R4, 0xffff);
			mov(g, R3, CTX);
			alur(g, BPF_ADD, R3, R4);
		}
		str_read(g, off, op->code == LB_OP_STR && op->imm != 0);
		break;
	case LB_OP_COPY:
		scr(g, R1, off);
		alu(g, BPF_MOV, R2, (__s32)len);
		scr(g, R3, (__u32)op->imm);
		call(g, BPF_FUNC_probe_read_kernel);
		break;
	case LB_OP_MAP_GETSTR: {
		int none = newlabel(g);

		lookup(g, op->b, off);
		alu(g, BPF_MOV, R1, 0);
		JIMM(g, BPF_JEQ, R0, 0, none);
		alu(g, BPF_MOV, R1, 1);
		setreg(g, op->dst, R1);
		scr(g, R1, (__u32)op->imm);
		alu(g, BPF_MOV, R2, (__s32)len);
		mov(g, R3, R0);
		call(g, BPF_FUNC_probe_read_kernel);
		GOTO(g, done);
		place(g, none);
		setreg(g, op->dst, R1);
		if (len <= LB_ZEROS)
			zero_fill(g, (__u32)op->imm, len);
		else
			zero_byte(g, (__u32)op->imm);
		break;
	}
	case LB_OP_KREAD: {
		st(g, BPF_DW, FP, VAL64, 0);
		fp_addr(g, R1, VAL64);
		alu(g, BPF_MOV, R2, (__s32)(len & 15));
		getreg(g, R3, op->a);
		imm64(g, R4, (__u64)op->imm);
		alur(g, BPF_ADD, R3, R4);
		call(g, BPF_FUNC_probe_read_kernel);
		ldx(g, size_of[len & 15], R1, FP, VAL64);
		if (op->b)
			extend(g, R1, len, 1);
		setreg(g, op->dst, R1);
		break;
	}
	case LB_OP_JOIN: {
		int user = op->imm != 0;

		getreg(g, R8, op->a);
		for (__u32 j = 0; j < LB_JOIN_ARGS; j++) {
			int stop = newlabel(g), next = newlabel(g);
			__u32 q = off + j * len;

			st(g, BPF_DW, FP, VAL64, 0);
			fp_addr(g, R1, VAL64);
			alu(g, BPF_MOV, R2, 8);
			mov(g, R3, R8);
			alu(g, BPF_ADD, R3, (__s32)(8 * j));
			call(g, user ? BPF_FUNC_probe_read_user : BPF_FUNC_probe_read_kernel);
			JIMM(g, BPF_JNE, R0, 0, stop);
			ldx(g, BPF_DW, R3, FP, VAL64);
			JIMM(g, BPF_JEQ, R3, 0, stop);
			scr(g, R1, q);
			alu(g, BPF_MOV, R2, (__s32)len);
			str_read(g, q, user);
			GOTO(g, next);
			place(g, stop);
			zero_byte(g, q);
			GOTO(g, done);
			place(g, next);
		}
		break;
	}
	case LB_OP_USDT_ARG:
		usdt_arg(g, (__u32)op->imm);
		setreg(g, op->dst, R1);
		break;
	default: break; /* UNWIND_ADD: lbc_bpfgen leaves it to the interpreter */
	}
	place(g, done);
}
