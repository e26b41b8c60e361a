/* The BPF assembler bpfgen.c and bpfops.c share: instructions appended
 * to a growing program, forward and backward labels patched at the end.
 *
 * Register use: r6 the ctx, r7 the scratch space (the stack or a per-CPU
 * array), r8 and r9 kept across helper calls where an op needs them;
 * r0-r5 per op. The plan's registers live on the stack, r[i] at
 * fp - 8 (i + 1), above the slots below. */
#ifndef LUABPF_BPFASM_H
#define LUABPF_BPFASM_H

#include <stdlib.h>
#include <linux/bpf.h>
#include "compiler.h"

#define R0 BPF_REG_0
#define R1 BPF_REG_1
#define R2 BPF_REG_2
#define R3 BPF_REG_3
#define R4 BPF_REG_4
#define R5 BPF_REG_5
#define CTX BPF_REG_6
#define SCR BPF_REG_7
#define R8 BPF_REG_8
#define R9 BPF_REG_9
#define FP BPF_REG_10

/* stack slots below the plan's registers */
#define VREG(i) (-8 * ((int)(i) + 1))
#define KEY32 (-136) /* u32 keys of array maps, the pid of lb_announce */
#define VAL64 (-144) /* values for updates, words read by helpers */
#define ONE32 (-152)
#define REC16 (-168)   /* lb_announce's record */
#define PIDTGID (-176) /* bpf_get_current_pid_tgid(), when the pid filter took it */

struct fixup {
	int at, label;
};

struct gen {
	const struct lb_plan *p;
	const struct lbc_bpfenv *env;
	struct bpf_insn *v;
	int n, cap;
	int *label; /* insn index of each label, -1 until placed */
	int nlabels, labcap;
	struct fixup *fix;
	int nfix, fixcap;
	int exit;		/* the label of "return 0" */
	int pidtgid;		/* PIDTGID holds it */
	int uses_ctx, uses_pid; /* ops read the ctx after the prologue, e.pid or e.tid */
	int ctx_direct;		/* fields load from the record: no ctx copy */
	int no_scratch;		/* no op reads scratch: PUTs into it are left out */
	/* plan registers known to hold a constant since the last join: read
	   as an immediate, not back from the stack slot just stored */
	unsigned cknown;
	unsigned cpending; /* of those, the ones not stored in their slots yet */
	__s64 cval[LB_NREGS];
	int nomem;
};

/* v with room for element n (size bytes each), moved if it grew; NULL
 * (v untouched, g->nomem set) when memory ran out */
static inline void *room(struct gen *g, void *v, int n, int *cap, size_t size)
{
	int ncap = *cap ? *cap * 2 : 256;

	if (n < *cap)
		return v;
	if (!(v = realloc(v, (size_t)ncap * size))) {
		g->nomem = 1;
		return NULL;
	}
	*cap = ncap;
	return v;
}

static inline void put(struct gen *g, __u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm)
{
	struct bpf_insn *v = room(g, g->v, g->n, &g->cap, sizeof *v);

	if (!v)
		return;
	g->v = v;
	g->v[g->n++] =
	    (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

static inline int newlabel(struct gen *g)
{
	int *v = room(g, g->label, g->nlabels, &g->labcap, sizeof *v);

	if (!v)
		return 0;
	g->label = v;
	g->label[g->nlabels] = -1;
	return g->nlabels++;
}

static inline void place(struct gen *g, int l)
{
	if (!g->nomem)
		g->label[l] = g->n;
}

/* A jump to a label placed later (or earlier): its offset is patched at the end. */
static inline void jmp(struct gen *g, __u8 op, __u8 dst, __u8 src, int isreg, __s32 imm, int l)
{
	struct fixup *v = g->nomem ? NULL : room(g, g->fix, g->nfix, &g->fixcap, sizeof *v);

	if (!v)
		return;
	g->fix = v;
	g->fix[g->nfix++] = (struct fixup){g->n, l};
	put(g, BPF_JMP | op | (isreg ? BPF_X : BPF_K), dst, src, 0, imm);
}
#define JIMM(g, op, d, imm, l) jmp(g, op, d, 0, 0, imm, l)
#define JREG(g, op, d, s, l) jmp(g, op, d, s, 1, 0, l)
#define GOTO(g, l) jmp(g, BPF_JA, 0, 0, 0, 0, l)

static inline void alu(struct gen *g, __u8 op, __u8 d, __s32 imm)
{
	put(g, BPF_ALU64 | op | BPF_K, d, 0, 0, imm);
}

static inline void alur(struct gen *g, __u8 op, __u8 d, __u8 s)
{
	put(g, BPF_ALU64 | op | BPF_X, d, s, 0, 0);
}

static inline void mov(struct gen *g, __u8 d, __u8 s)
{
	alur(g, BPF_MOV, d, s);
}

/* d = (u32)d: a 32-bit move zero-extends */
static inline void zext32(struct gen *g, __u8 d)
{
	put(g, BPF_ALU | BPF_MOV | BPF_X, d, d, 0, 0);
}

static inline void imm64(struct gen *g, __u8 d, __u64 v)
{
	if ((__s64)v == (__s32)v) {
		alu(g, BPF_MOV, d, (__s32)v);
		return;
	}
	put(g, BPF_LD | BPF_DW | BPF_IMM, d, 0, 0, (__s32)(__u32)v);
	put(g, 0, 0, 0, 0, (__s32)(__u32)(v >> 32));
}

static inline void mapfd(struct gen *g, __u8 d, int fd)
{
	put(g, BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd);
	put(g, 0, 0, 0, 0, 0);
}

static inline void ldx(struct gen *g, __u8 size, __u8 d, __u8 s, __s16 off)
{
	put(g, BPF_LDX | size | BPF_MEM, d, s, off, 0);
}

static inline void stx(struct gen *g, __u8 size, __u8 d, __s16 off, __u8 s)
{
	put(g, BPF_STX | size | BPF_MEM, d, s, off, 0);
}

static inline void st(struct gen *g, __u8 size, __u8 d, __s16 off, __s32 imm)
{
	put(g, BPF_ST | size | BPF_MEM, d, 0, off, imm);
}

static inline void call(struct gen *g, int fn)
{
	put(g, BPF_JMP | BPF_CALL, 0, 0, 0, fn);
}

static inline void getreg(struct gen *g, __u8 d, int i)
{
	i &= LB_NREGS - 1;
	if (g->cknown & (1u << i))
		imm64(g, d, (__u64)g->cval[i]);
	else
		ldx(g, BPF_DW, d, FP, VREG(i));
}

/* the constants another path could read from their slots, stored */
static inline void flush(struct gen *g)
{
	for (int i = 0; i < LB_NREGS; i++)
		if (g->cpending & (1u << i)) {
			if (g->cval[i] == (__s32)g->cval[i]) {
				st(g, BPF_DW, FP, VREG(i), (__s32)g->cval[i]);
			} else {
				imm64(g, R0, (__u64)g->cval[i]); /* r1: a jump's condition */
				stx(g, BPF_DW, FP, VREG(i), R0);
			}
		}
	g->cpending = 0;
}

static inline void setreg(struct gen *g, int i, __u8 s)
{
	g->cknown &= ~(1u << (i & (LB_NREGS - 1)));
	g->cpending &= ~(1u << (i & (LB_NREGS - 1)));
	stx(g, BPF_DW, FP, VREG(i & (LB_NREGS - 1)), s);
}

/* d = the scratch address off (insn offsets are 16-bit; scratch is 64 KiB) */
static inline void scr(struct gen *g, __u8 d, __u32 off)
{
	mov(g, d, SCR);
	if (off)
		alu(g, BPF_ADD, d, (__s32)off);
}

/* A base register and an offset that reach scratch[off]: d itself when
 * off does not fit an instruction's offset field. */
static inline __s16 scrat(struct gen *g, __u8 d, __u32 off, __u8 *base)
{
	if (off <= 32767) {
		*base = SCR;
		return (__s16)off;
	}
	scr(g, d, off);
	*base = d;
	return 0;
}

static inline void fp_addr(struct gen *g, __u8 d, int off)
{
	mov(g, d, FP);
	alu(g, BPF_ADD, d, off);
}

/* the op's instructions (bpfops.c); oplabel: each op's label */
void lbc_bpfop(struct gen *g, const struct lb_op *op, const int *oplabel);

#endif
