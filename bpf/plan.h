/* The plan: a handler compiled to a short list of fat ops.
 * Shared by the BPF templates (which interpret it from frozen .rodata,
 * so the verifier sees every op as a constant and prunes the rest) and
 * by the compiler in luabpf/compiler (which writes it).
 * Types are spelled with __u8.. so the header builds on both sides. */
#ifndef LUABPF_PLAN_H
#define LUABPF_PLAN_H

#define LB_MAX_OPS 128   /* ops per handler */
#define LB_NREGS 16      /* u64 registers, r[0..15] */
#define LB_MAX_MAPS 8    /* map slots per probe program */
#define LB_SCRATCH 1024  /* per-CPU scratch bytes: ctx copy, keys, strings */
#define LB_POOL 256      /* constant string bytes in the plan */
#define LB_SYSMASK 8     /* u64 words of the syscall-number filter (512 nrs) */
#define LB_COMM_LEN 16

/* e.probe values: kind in the high 32 bits. */
#define LB_PROBE_SESSION 0ULL   /* low bits: index in the session's probe table */
#define LB_PROBE_SYS_ENTER 1ULL /* low bits: syscall number */
#define LB_PROBE_SYS_EXIT 2ULL
#define LB_PROBE_ID(kind, x) (((kind) << 32) | (x))

enum lb_opcode {
	LB_OP_END = 0, /* return 0 */
	LB_OP_IMM,     /* r[dst] = imm */
	LB_OP_CTX,     /* r[dst] = builtin number imm (LB_CTX_*) */
	LB_OP_FIELD,   /* r[dst] = ctx field at scratch[off], len 1/2/4/8 bytes,
	                  sign-extended when a != 0 (needs plan.ctx_copy) */
	LB_OP_COMM,    /* scratch[off .. off+16) = current comm, zero padded */
	LB_OP_STRCPY,  /* scratch[off .. off+len) = pool[imm .. imm+len); len % 8 == 0 */
	LB_OP_STREQ,   /* r[dst] = scratch[off .. off+len) == pool[imm .. imm+len);
	                  len % 8 == 0, both sides zero padded */
	LB_OP_PUT,     /* scratch[off .. off+8) = r[a] (a key field) */
	/* r[dst] = r[a] OP r[b]; signed 64-bit, Lua semantics where BPF allows
	 * (division by zero gives 0). Comparisons give 0 or 1. */
	LB_OP_ADD,
	LB_OP_SUB,
	LB_OP_MUL,
	LB_OP_DIV,
	LB_OP_MOD,
	LB_OP_BAND,
	LB_OP_BOR,
	LB_OP_BXOR,
	LB_OP_SHL,
	LB_OP_SHR,
	LB_OP_EQ,
	LB_OP_NE,
	LB_OP_LT,
	LB_OP_LE,
	LB_OP_GT,
	LB_OP_GE,
	LB_OP_NOT,     /* r[dst] = !r[a] */
	LB_OP_NEG,     /* r[dst] = -r[a] */
	LB_OP_BNOT,    /* r[dst] = ~r[a] */
	LB_OP_MOV,     /* r[dst] = r[a] */
	LB_OP_JMP,     /* pc = off */
	LB_OP_JZ,      /* if r[a] == 0: pc = off */
	LB_OP_JNZ,     /* if r[a] != 0: pc = off */
	/* Aggregations into map slot dst, key at scratch[off], per-CPU values. */
	LB_OP_MAP_ADD, /* value += r[a]  (count is ADD of 1, m[k] = m[k] + x too) */
	LB_OP_NCODES
};

enum lb_ctx {
	LB_CTX_PID = 1,
	LB_CTX_TID,
	LB_CTX_UID,
	LB_CTX_GID,
	LB_CTX_CPU,
	LB_CTX_NSECS,
	LB_CTX_PROBE, /* see LB_PROBE_* */
};

struct lb_op {
	__u8 code;
	__u8 dst;
	__u8 a;
	__u8 b;
	__u16 off;
	__u16 len;
	__s64 imm;
};

/* Syscall modes of the tracepoint template. */
enum lb_sysmode {
	LB_SYS_NONE = 0,  /* a plain tracepoint */
	LB_SYS_ENTER = 1, /* raw_syscalls:sys_enter filtered by sysmask */
	LB_SYS_EXIT = 2,  /* raw_syscalls:sys_exit filtered by sysmask */
};

struct lb_plan {
	__u32 nops;
	__u32 ctx_copy; /* bytes of the ctx record copied to scratch[0..) first */
	__u32 sysmode;  /* enum lb_sysmode */
	__u32 probe_id; /* e.probe of a plain probe: LB_PROBE_ID(SESSION, probe_id) */
	__u64 sysmask[LB_SYSMASK];
	char pool[LB_POOL];
	struct lb_op ops[LB_MAX_OPS];
};

#endif
