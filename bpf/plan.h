/* The plan: a handler compiled to a short list of fat ops.
 * Shared by the BPF templates (which interpret it from frozen .rodata,
 * so the verifier sees every op as a constant and prunes the rest) and
 * by the compiler in luabpf/compiler (which writes it).
 * Types are spelled with __u8.. so the header builds on both sides. */
#ifndef LUABPF_PLAN_H
#define LUABPF_PLAN_H

#include "arch.h"

#define LB_MAX_OPS 1024	       /* ops per handler */
#define LB_NREGS 16	       /* u64 registers, r[0..15] */
#define LB_MAX_MAPS 8	       /* map slots per probe program */
#define LB_MAX_SESSION_MAPS 64 /* maps per session */
/* the session's dropped-updates counters (one per map) end with one for
 * handler runs stopped by an integer division by zero, then one per
 * division site of the session (LB_OP_DIV/MOD's imm, when >= 0) */
#define LB_DIVZERO_SLOT LB_MAX_SESSION_MAPS
#define LB_DIV_SITES 64
#define LB_DROPPED_SLOTS (LB_DIVZERO_SLOT + 1 + LB_DIV_SITES)
#define LB_SCRATCH                                                                                 \
	65536		  /* scratch bytes per CPU at most: ctx copy, keys,                        \
			     strings, records (plan.scratch_size: how many                         \
			     this plan uses; a power of two for the masks) */
#define LB_MAX_KEY 512	  /* the kernel's limit on hash map keys */
#define LB_MAX_STR 32768  /* longest string a handler can read */
#define LB_STR_DEFAULT 64 /* default string size (bpftrace's max_strlen) */
#define LB_POOL 256	  /* constant string bytes in the plan */
#define LB_SYSMASK 8	  /* u64 words of the syscall-number filter (512 nrs) */
#define LB_COMM_LEN 16
#define LB_HIST_BUCKETS 66 /* hist(): (..,0), [0], [1], [2,4) .. [2^63, ..) */
#define LB_HIST_MAXBITS 5  /* hist(x, k): 2^k buckets per power of two, k <= 5 */
#define LB_HIST_NBUCKETS(k) (((64 - (k)) << (k)) + 2) /* LB_HIST_BUCKETS at k = 0 */
#define LB_JOIN_ARGS 16	      /* bpf.join(): strings (bpftrace 0.17's join) */
#define LB_JOIN_STR 1024      /* bpf.join(): bytes per string, NUL included */
#define LB_STACK_DEPTH 127    /* frames kept per stack (PERF_MAX_STACK_DEPTH) */
#define LB_STACK_ENTRIES 4096 /* per stack map; the second's ids are offset by it */
#define LB_TREE_DEPTH 16      /* luabpf -c: generations of descendants followed */
/* How a stack prints, bpftrace's kstack(perf): LB_OP_STACK's len carries
 * it above the frame count, so it travels in the stack's value to
 * wherever the stack is printed (printf records, map keys). */
enum lb_stackmode {
	LB_STACK_BPFTRACE = 0, /* "sym+off" lines, indented */
	LB_STACK_PERF,	       /* "\t<hex addr> sym+off (module)" lines */
	LB_STACK_RAW,	       /* "<hex addr>" lines */
	LB_STACK_NAMES,	       /* user space only: "sym" lines (folded stacks) */
};
#define LB_STACK_MODE_SHIFT 8 /* len = frames | mode << LB_STACK_MODE_SHIFT */
#define LB_ZEROS                                                                                   \
	16384 /* largest per-CPU aggregate value: lhist and hist(x, 5)                             \
		 have at most LB_ZEROS / 8 - 1 buckets (and their sum) */

/* e.probe values: kind in the high 32 bits. */
#define LB_PROBE_SESSION 0ULL	/* low bits: index in the session's probe table */
#define LB_PROBE_SYS_ENTER 1ULL /* low bits: syscall number */
#define LB_PROBE_SYS_EXIT 2ULL
#define LB_PROBE_ID(kind, x) (((kind) << 32) | (x))

/* What an op's fields hold: the op table's columns (LB_OPS). Scratch
 * offsets are bytes into the per-CPU scratch space; the compiler lays it
 * out as the ctx copy, then keys and records (the key area), then
 * string temporaries (the temporary area). */
enum lb_opnd {
	LB_O_NONE = 0, /* unused */
	LB_O_REG,      /* a register, < LB_NREGS */
	LB_O_SLOT,     /* a map slot of the plan, < LB_MAX_MAPS */
	LB_O_FLAG,     /* 0 or 1 */
	LB_O_BYTE,     /* a byte of a wider number (LB_OP_EMIT's stack offset) */
	LB_O_PC,       /* off: a jump target, forward, < nops */
	LB_O_CTX,      /* off: bytes of the ctx copy, [off, off + len) < ctx_copy */
	LB_O_KEY,      /* scratch, in the key area: a key (its map's key_size
			  bytes) or a record */
	LB_O_SCR,      /* scratch, in an area the compiler picks per op (the
			  key area unless it says otherwise), len bytes */
	LB_O_TMP,      /* imm: scratch, in the temporary area, len bytes */
	LB_O_POOL,     /* imm: pool bytes [imm, imm + len), imm % 8 == 0 */
	LB_O_INT,      /* imm: any number */
	LB_O_CTXID,    /* imm: an enum lb_ctx builtin */
	LB_O_MEM,      /* imm: 0 kernel, 1 user memory */
	LB_O_REC,      /* imm: a record head, LB_REC(kind, id) */
	LB_O_BITS,     /* imm: hist sub-bucket bits, 0..LB_HIST_MAXBITS */
	LB_O_USDT,     /* imm: a USDT argument index, < LB_USDT_ARGS */
	LB_O_KEYAT,    /* imm: an 8-byte-aligned offset in the key, < len */
	LB_O_DIVSITE,  /* imm: a division's counter, < LB_DIV_SITES, or -1 */
};

/* What an op's len counts (LB_OPS' len column). */
enum lb_lenk {
	LB_L_NONE = 0, /* unused */
	LB_L_BYTES,    /* bytes at off (and at imm when it is scratch or pool) */
	LB_L_WORD,     /* a number's bytes: 1, 2, 4 or 8 */
	LB_L_COUNT,    /* buckets */
	LB_L_STACK,    /* frames | lb_stackmode << LB_STACK_MODE_SHIFT; the
			  frames within the bounds */
	LB_L_JOIN,     /* bytes of each of LB_JOIN_ARGS strings at off */
};

/* The op table, one row per opcode in code order: the opcodes (enum
 * lb_opcode), the compiler's names, relocations and plan checks
 * (luabpf/compiler: lbc_dump, lbc_emit, lbc_validate) and the reference
 * interpreter (lbc_refrun) come from it; bpf/interp.h gives each its
 * meaning in the kernel.
 *   X(CODE, name, dst, a, b, off, imm, len, min, max, align)
 * dst .. imm: enum lb_opnd; len: enum lb_lenk, in [min, max] and a
 * multiple of align. Unless said otherwise, registers are signed 64-bit
 * and arithmetic is Lua's where BPF allows. */
#define LB_OPS(X)                                                                                  \
	/* return 0 */                                                                             \
	X(END, "end", NONE, NONE, NONE, NONE, NONE, NONE, 0, 0, 1)                                 \
	/* r[dst] = imm */                                                                         \
	X(IMM, "imm", REG, NONE, NONE, NONE, INT, NONE, 0, 0, 1)                                   \
	/* r[dst] = builtin imm (LB_CTX_*) */                                                      \
	X(CTX, "ctx", REG, NONE, NONE, NONE, CTXID, NONE, 0, 0, 1)                                 \
	/* r[dst] = ctx field at scratch[off], sign-extended when a != 0 */                        \
	X(FIELD, "field", REG, FLAG, NONE, CTX, NONE, WORD, 1, 8, 1)                               \
	/* scratch[off .. off+16) = current comm, zero padded */                                   \
	X(COMM, "comm", NONE, NONE, NONE, SCR, NONE, BYTES, LB_COMM_LEN, LB_COMM_LEN, 1)           \
	/* scratch[off .. off+len) = pool[imm .. imm+len) */                                       \
	X(STRCPY, "strcpy", NONE, NONE, NONE, SCR, POOL, BYTES, 8, LB_POOL, 8)                     \
	/* r[dst] = scratch[off .. off+len) == pool[imm .. imm+len), both sides                    \
	   zero padded */                                                                          \
	X(STREQ, "streq", REG, NONE, NONE, SCR, POOL, BYTES, 8, LB_POOL, 8)                        \
	/* scratch[off .. off+8) = r[a] (a key field) */                                           \
	X(PUT, "put", NONE, REG, NONE, SCR, NONE, BYTES, 8, 8, 8)                                  \
	/* r[dst] = r[a] OP r[b]; division by zero stops the run (Lua raises                       \
	   an error there), counted in LB_DIVZERO_SLOT and in the site's                           \
	   counter imm (unless -1); comparisons give 0/1 */                                        \
	X(ADD, "add", REG, REG, REG, NONE, NONE, NONE, 0, 0, 1)                                    \
	X(SUB, "sub", REG, REG, REG, NONE, NONE, NONE, 0, 0, 1)                                    \
	X(MUL, "mul", REG, REG, REG, NONE, NONE, NONE, 0, 0, 1)                                    \
	X(DIV, "div", REG, REG, REG, NONE, DIVSITE, NONE, 0, 0, 1)                                 \
	X(MOD, "mod", REG, REG, REG, NONE, DIVSITE, NONE, 0, 0, 1)                                 \
	X(BAND, "band", REG, REG, REG, NONE, NONE, NONE, 0, 0, 1)                                  \
	X(BOR, "bor", REG, REG, REG, NONE, NONE, NONE, 0, 0, 1)                                    \
	X(BXOR, "bxor", REG, REG, REG, NONE, NONE, NONE, 0, 0, 1)                                  \
	X(SHL, "shl", REG, REG, REG, NONE, NONE, NONE, 0, 0, 1)                                    \
	X(SHR, "shr", REG, REG, REG, NONE, NONE, NONE, 0, 0, 1)                                    \
	X(EQ, "eq", REG, REG, REG, NONE, NONE, NONE, 0, 0, 1)                                      \
	X(NE, "ne", REG, REG, REG, NONE, NONE, NONE, 0, 0, 1)                                      \
	X(LT, "lt", REG, REG, REG, NONE, NONE, NONE, 0, 0, 1)                                      \
	X(LE, "le", REG, REG, REG, NONE, NONE, NONE, 0, 0, 1)                                      \
	X(GT, "gt", REG, REG, REG, NONE, NONE, NONE, 0, 0, 1)                                      \
	X(GE, "ge", REG, REG, REG, NONE, NONE, NONE, 0, 0, 1)                                      \
	/* r[dst] = !r[a], -r[a], ~r[a], r[a] */                                                   \
	X(NOT, "not", REG, REG, NONE, NONE, NONE, NONE, 0, 0, 1)                                   \
	X(NEG, "neg", REG, REG, NONE, NONE, NONE, NONE, 0, 0, 1)                                   \
	X(BNOT, "bnot", REG, REG, NONE, NONE, NONE, NONE, 0, 0, 1)                                 \
	X(MOV, "mov", REG, REG, NONE, NONE, NONE, NONE, 0, 0, 1)                                   \
	/* pc = off; if r[a] == 0: pc = off; if r[a] != 0: pc = off */                             \
	X(JMP, "jmp", NONE, NONE, NONE, PC, NONE, NONE, 0, 0, 1)                                   \
	X(JZ, "jz", NONE, REG, NONE, PC, NONE, NONE, 0, 0, 1)                                      \
	X(JNZ, "jnz", NONE, REG, NONE, PC, NONE, NONE, 0, 0, 1)                                    \
	/* Per-CPU aggregations into map slot dst, key at scratch[off]:                            \
	   value += r[a] (count is ADD of 1, m[k] = m[k] + x too) */                               \
	X(MAP_ADD, "map_add", SLOT, REG, NONE, KEY, NONE, NONE, 0, 0, 1)                           \
	/* Plain values (LB_VAL_INT maps, not per-CPU), map slot b, key at                         \
	   scratch[off]: r[dst] = value, or 0 if absent; r[a] = present (0/1) */                   \
	X(MAP_READ, "map_read", REG, REG, SLOT, KEY, NONE, NONE, 0, 0, 1)                          \
	/* value = r[a] */                                                                         \
	X(MAP_SET, "map_set", NONE, REG, SLOT, KEY, NONE, NONE, 0, 0, 1)                           \
	/* delete the key (any map kind: the compiler emits it for m[k] = nil                      \
	   on aggregate maps too, and after a JZ on the presence of x for                          \
	   m[k] = x when x is a map read that may be missing) */                                   \
	X(MAP_DELETE, "map_delete", NONE, NONE, SLOT, KEY, NONE, NONE, 0, 0, 1)                    \
	/* value += r[a] atomically, inserting r[a] if absent */                                   \
	X(MAP_XADD, "map_xadd", NONE, REG, SLOT, KEY, NONE, NONE, 0, 0, 1)                         \
	/* Per-CPU, map slot dst, key at scratch[off]: {v, set}: v = min(v,                        \
	   r[a]) or max (value_size 16); {count, sum}: count += 1, sum += r[a]                     \
	   (avg and stats) */                                                                      \
	X(MAP_MIN, "map_min", SLOT, REG, NONE, KEY, NONE, NONE, 0, 0, 1)                           \
	X(MAP_MAX, "map_max", SLOT, REG, NONE, KEY, NONE, NONE, 0, 0, 1)                           \
	X(MAP_AVG, "map_avg", SLOT, REG, NONE, KEY, NONE, NONE, 0, 0, 1)                           \
	/* {u64[len] buckets, s64 sum}: value[min(r[a], len - 1)] += 1 and                         \
	   value[len] += r[b] (the observed value: exporters need a real sum):                     \
	   hist, lhist (len: LB_HIST_NBUCKETS(k) after LOG2; after LINEAR its                      \
	   len) */                                                                                 \
	X(MAP_BUCKET, "map_bucket", SLOT, REG, REG, KEY, NONE, COUNT, 1, LB_ZEROS / 8 - 1, 1)      \
	/* r[dst] = hist bucket of r[a] with imm = k sub-bucket bits                               \
	   (bpftrace's hist(x, k)): 0 if < 0, x + 1 if x < 2^k, else (l + 1)                       \
	   << k | the k bits after the top one, plus 1 (l: top bit's position                      \
	   - k); at k = 0: floor(log2(r[a])) + 2 */                                                \
	X(LOG2, "log2", REG, REG, NONE, NONE, BITS, NONE, 0, 0, 1)                                 \
	/* r[dst] = lhist bucket of r[a], min imm, step r[b], len buckets: 0                       \
	   below min, len - 1 at or above min + (len - 2) * step, else (r[a] -                     \
	   min) / step + 1 */                                                                      \
	X(LINEAR, "linear", REG, REG, REG, NONE, INT, COUNT, 2, LB_ZEROS / 8 - 1, 1)               \
	/* Output through the session's ring buffer: record scratch[off ..                         \
	   off+len), its first 8 bytes set to imm (LB_REC_*, id) first. The                        \
	   compiler builds records in the key area, like keys. Printf                              \
	   arguments follow the header in order, 8-byte aligned; ustack/usym                       \
	   arguments and keys are {value, pid} with the pid from LB_CTX_PID.                       \
	   b = 1: a printf record (len <= LB_MAX_KEY) with a user stack to                         \
	   unwind at offset (dst | a << 8) * 8: it goes out as                                     \
	   LB_REC_UNWIND_PRINTF with the registers and stack (struct                               \
	   lb_unwind_rec). */                                                                      \
	X(EMIT, "emit", BYTE, BYTE, FLAG, KEY, REC, BYTES, 8, LB_SCRATCH - 8, 8)                   \
	/* r[dst] = stack id | len << 32 (len: frames to show, e.kstack and                        \
	   e.ustack use all; and the lb_stackmode << LB_STACK_MODE_SHIFT);                         \
	   imm 0 kernel or 1 user stack; id 0xffffffff when the stack could                        \
	   not be taken. A user stack also announces its process the first                         \
	   time (LB_REC_PROC) */                                                                   \
	X(STACK, "stack", REG, NONE, NONE, NONE, MEM, STACK, 1, LB_STACK_DEPTH, 1)                 \
	/* Strings, into scratch[off .. off+len), always NUL terminated: from                      \
	   address r[a] (imm 0 kernel, 1 user memory); b = 1: zero the bytes                       \
	   after the string too (keys and compares need them zero; printf                          \
	   does not) */                                                                            \
	X(STR, "str", NONE, REG, FLAG, SCR, MEM, BYTES, 1, LB_MAX_STR, 1)                          \
	/* from the tracepoint record's __data_loc field whose u32 is in r[a]                      \
	   (offset low 16 bits, length high 16), zero filled like STR */                           \
	X(DATALOC, "dataloc", NONE, REG, FLAG, SCR, NONE, BYTES, 1, LB_MAX_STR, 1)                 \
	/* scratch[off .. off+len) = scratch[imm .. imm+len) (char[N] fields                       \
	   of the ctx copy, string values) */                                                      \
	X(COPY, "copy", NONE, NONE, NONE, SCR, SCR, BYTES, 1, LB_SCRATCH, 1)                       \
	/* r[dst] = scratch[off .. off+len) == scratch[imm .. imm+len) */                          \
	X(SCMP, "scmp", REG, NONE, NONE, SCR, SCR, BYTES, 8, LB_POOL, 8)                           \
	/* String values in plain maps (LB_VAL_STR), slot b, key at                                \
	   scratch[off]: scratch[imm .. imm+len) = the value, or zeros;                            \
	   r[dst] = present (0/1) */                                                               \
	X(MAP_GETSTR, "map_getstr", REG, NONE, SLOT, KEY, TMP, BYTES, 1, LB_MAX_STR, 1)            \
	/* the value = scratch[imm .. imm+len) */                                                  \
	X(MAP_SETSTR, "map_setstr", NONE, NONE, SLOT, KEY, TMP, BYTES, 1, LB_MAX_STR, 1)           \
	/* Typed kernel memory (e.args.dentry.d_parent): r[dst] = len bytes at                     \
	   kernel address r[a] + imm, sign-extended when b != 0; 0 if the read                     \
	   faults */                                                                               \
	X(KREAD, "kread", REG, REG, FLAG, NONE, INT, WORD, 1, 8, 1)                                \
	/* r[dst] = USDT argument imm as plan.usdt says for the site the probe                     \
	   fired at (usdt template only; a and len: the note's sign and size) */                   \
	X(USDT_ARG, "usdt_arg", REG, FLAG, NONE, NONE, USDT, WORD, 1, 8, 1)                        \
	/* map slot dst, key at scratch[off .. off+len): value += r[a] in user                     \
	   space, after it unwound the user stack whose 8 bytes are at key                         \
	   offset imm through DWARF CFI: the record (struct lb_unwind_rec)                         \
	   carries the user registers and the top of the user stack */                             \
	X(UNWIND_ADD, "unwind_add", SLOT, REG, NONE, KEY, KEYAT, BYTES, 8, LB_MAX_KEY, 8)          \
	/* bpf.join(argv): for i < LB_JOIN_ARGS, scratch[off + i * len ..) = the                   \
	   string at the i-th pointer of the NULL-terminated array at r[a]                         \
	   (imm 0 kernel, 1 user memory), cut to len bytes; the slot after                         \
	   the last string starts with a NUL */                                                    \
	X(JOIN, "join", NONE, REG, NONE, KEY, MEM, JOIN, 1, LB_JOIN_STR, 1)

#define LB_OP_ENUM(code, ...) LB_OP_##code,
enum lb_opcode { LB_OPS(LB_OP_ENUM) LB_OP_NCODES };
#undef LB_OP_ENUM

enum lb_ctx {
	LB_CTX_PID = 1,
	LB_CTX_TID,
	LB_CTX_UID,
	LB_CTX_GID,
	LB_CTX_CPU,
	LB_CTX_NSECS,
	LB_CTX_PROBE,	/* see LB_PROBE_* */
	LB_CTX_CPID,	/* plan.cpid */
	LB_CTX_ELAPSED, /* ns since plan.start_ns (bpftrace's elapsed) */
};

/* Ring buffer records: the first u64 is LB_REC(kind, id). */
#define LB_REC(kind, id) ((__u64)(kind) | ((__u64)(id) << 32))
enum lb_rec {
	LB_REC_PRINTF = 1,    /* id: session format; args follow (struct lb_fmt) */
	LB_REC_PRINT,	      /* id: session map index: print the whole map */
	LB_REC_EXIT,	      /* bpf.exit() from a kernel handler */
	LB_REC_PROC,	      /* a process's first user stack: {head, pid}, in the
				 procs ring; user space keeps its mappings from
				 now on, so its stacks print with symbols after
				 it exits */
	LB_REC_UNWIND,	      /* id: session map index; struct lb_unwind_rec */
	LB_REC_UNWIND_PRINTF, /* struct lb_unwind_rec whose key is a printf
				 record (LB_OP_EMIT with b = 1) */
};

/* LB_OP_UNWIND_ADD's record (x86-64). */
#define LB_UNWIND_REGS LB_REG_WORDS /* the user pt_regs, in words (bpf/arch.h) */
#define LB_UNWIND_STACK 16384	    /* user stack bytes copied from sp at most */
/* Ring bytes waiting that wake user space for these records; with fewer
 * they wait for its next turn (at most 1 s, or a printf). */
#define LB_UNWIND_WAKE (512 << 10)
/* LB_OP_STACK value ids of stacks unwound in user space */
#define LB_USTACK_UNWOUND 0x80000000u
struct lb_unwind_rec {
	__u64 head;  /* LB_REC(LB_REC_UNWIND, session map index) */
	__s64 value; /* added to the element */
	__u32 pid, tid;
	__u16 key_len;	 /* bytes of key */
	__u16 stack_at;	 /* where in the key the stack value goes */
	__u32 stack_len; /* bytes of stack copied (0: no user context) */
	__u64 regs[LB_UNWIND_REGS];
	char key[LB_MAX_KEY];
	char stack[LB_UNWIND_STACK];
};

/* Where the record is built: the end of the scratch space, which a plan
 * with LB_OP_UNWIND_ADD has whole (its own use ends below). */
#define LB_UNWIND_AT (LB_SCRATCH - ((sizeof(struct lb_unwind_rec) + 7) & ~7))

struct lb_op {
	__u8 code;
	__u8 dst;
	__u8 a;
	__u8 b;
	__u16 off;
	__u16 len;
	__s64 imm;
};

/* USDT arguments: the runtime decodes each call site's operands from
 * its .note.stapsdt note ("-4@%eax", "8@-20(%rbp,%rdx,8)", "-4@$5") and
 * the usdt template reads them from the user pt_regs. One program serves
 * every site of a probe: the site's index is its link's attach cookie.
 * Registers are pt_regs words (byte offset / 8, x86-64). */
#define LB_USDT_ARGS 12	  /* <sys/sdt.h> probes take at most 12 */
#define LB_USDT_SITES 16  /* call sites of one probe */
#define LB_USDT_NOREG 255 /* no base or index register */
enum lb_usdt_kind {
	LB_USDT_NONE = 0, /* no such argument at this site: reads 0 */
	LB_USDT_CONST,	  /* val */
	LB_USDT_REG,	  /* register base, shifted right by shift (%ah: 8) */
	LB_USDT_MEM,	  /* user memory at base + index * scale + val */
};
struct lb_usdt_arg {
	__s64 val;
	__u8 kind; /* enum lb_usdt_kind */
	__u8 size; /* 1, 2, 4 or 8 bytes */
	__u8 is_signed;
	__u8 base, index, scale, shift;
	__u8 pad;
};

/* Syscall modes of the tracepoint template. */
enum lb_sysmode {
	LB_SYS_NONE = 0,  /* a plain tracepoint */
	LB_SYS_ENTER = 1, /* raw_syscalls:sys_enter filtered by sysmask */
	LB_SYS_EXIT = 2,  /* raw_syscalls:sys_exit filtered by sysmask */
};

struct lb_plan {
	__u32 nops;
	__u32 ctx_copy;	    /* bytes of the ctx record copied to scratch[0..) first */
	__u32 scratch_size; /* scratch bytes used: a power of two, >= 1024 */
	__u32 sysmode;	    /* enum lb_sysmode */
	__u32 probe_id;	    /* e.probe of a plain probe: LB_PROBE_ID(SESSION, probe_id) */
	__u32 filter_pid;   /* only this process (luabpf -p / -c), 0: all; the
			       runtime fills it */
	__u32 cpid;	    /* e.cpid: the pid of luabpf -c's command, 0 without
			       one; the runtime fills it */
	__u32 skip_pid;	    /* never this process, 0: none (the process that
			       loaded it unless s:trace_self(): a uprobe on
			       malloc that prints would feed itself without
			       end); the runtime fills it */
	__u64 start_ns;	    /* e.elapsed counts from here (CLOCK_MONOTONIC, the
			       clock of bpf_ktime_get_ns): the session's start;
			       the runtime fills it */
	__u64 sysmask[LB_SYSMASK];
	__u32 slot_ids[LB_MAX_MAPS]; /* session map index of each slot (the
					compiler fills them; drops are counted
					per session map) */
	/* a slot whose map is a cell (a keyless per-CPU aggregate kept in a
	   one-entry per-CPU array, key 0): the offset of the word after the
	   value that an update sets to 1; 0: a hash map. The runtime fills
	   them. A cell is never deleted by the interpreter. */
	__u16 slot_cell[LB_MAX_MAPS];
	/* luabpf -c: task_struct's real_parent and tgid offsets (the runtime
	   fills them from BTF): filter_pid's descendants pass the filter too */
	__u32 task_parent_off, task_tgid_off;
	char pool[LB_POOL];
	struct lb_op ops[LB_MAX_OPS];
	/* usdt template: argument specs per site (the runtime fills them) */
	struct lb_usdt_arg usdt[LB_USDT_SITES][LB_USDT_ARGS];
};

#endif
