/* The plan: a handler compiled to a short list of fat ops.
 * Shared by the BPF templates (which interpret it from frozen .rodata,
 * so the verifier sees every op as a constant and prunes the rest) and
 * by the compiler in luabpf/compiler (which writes it).
 * Types are spelled with __u8.. so the header builds on both sides. */
#ifndef LUABPF_PLAN_H
#define LUABPF_PLAN_H

#define LB_MAX_OPS 1024	       /* ops per handler */
#define LB_NREGS 16	       /* u64 registers, r[0..15] */
#define LB_MAX_MAPS 8	       /* map slots per probe program */
#define LB_MAX_SESSION_MAPS 64 /* maps per session */
/* the session's dropped-updates counters (one per map) end with one for
 * handler runs stopped by an integer division by zero */
#define LB_DIVZERO_SLOT LB_MAX_SESSION_MAPS
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
	LB_OP_NOT,  /* r[dst] = !r[a] */
	LB_OP_NEG,  /* r[dst] = -r[a] */
	LB_OP_BNOT, /* r[dst] = ~r[a] */
	LB_OP_MOV,  /* r[dst] = r[a] */
	LB_OP_JMP,  /* pc = off */
	LB_OP_JZ,   /* if r[a] == 0: pc = off */
	LB_OP_JNZ,  /* if r[a] != 0: pc = off */
	/* Aggregations into map slot dst, key at scratch[off], per-CPU values. */
	LB_OP_MAP_ADD, /* value += r[a]  (count is ADD of 1, m[k] = m[k] + x too) */
	/* Plain values (LB_VAL_INT maps, not per-CPU): map slot b, key at
	 * scratch[off]. */
	LB_OP_MAP_READ,	  /* r[dst] = value, or 0 if absent; r[a] = present (0/1) */
	LB_OP_MAP_SET,	  /* value = r[a] */
	LB_OP_MAP_DELETE, /* delete the key (any map kind: the compiler emits it
			     for m[k] = nil on aggregate maps too, and after a
			     JZ on the presence of x for m[k] = x when x is a
			     map read that may be missing) */
	LB_OP_MAP_XADD,	  /* value += r[a] atomically, inserting r[a] if absent */
	/* More aggregations, per-CPU, map slot dst, key at scratch[off]: */
	LB_OP_MAP_MIN,	  /* {v, set}: v = min(v, r[a]) (value_size 16) */
	LB_OP_MAP_MAX,	  /* {v, set}: v = max(v, r[a]) */
	LB_OP_MAP_AVG,	  /* {count, sum}: count += 1, sum += r[a]: avg and stats */
	LB_OP_MAP_BUCKET, /* {u64[len] buckets, s64 sum}: value[min(r[a], len - 1)]
			     += 1 and value[len] += r[b] (the observed value:
			     exporters need a real sum): hist, lhist (len:
			     LB_HIST_NBUCKETS(k) after LOG2; after LINEAR its
			     len, at most 1000 buckets) */
	LB_OP_LOG2,	  /* r[dst] = hist bucket of r[a] with imm = k sub-bucket
			     bits (bpftrace's hist(x, k)): 0 if < 0, x + 1 if
			     x < 2^k, else (l + 1) << k | the k bits after
			     the top one, plus 1 (l: top bit's position - k);
			     at k = 0: floor(log2(r[a])) + 2 */
	LB_OP_LINEAR,	  /* r[dst] = lhist bucket of r[a], min imm, step r[b],
			     len buckets: 0 below min, len - 1 at or above
			     min + (len - 2) * step, else (r[a] - min) / step + 1 */
	/* Output through the session's ring buffer. */
	LB_OP_EMIT,  /* record scratch[off .. off+len): its first 8 bytes
			are set to imm (LB_REC_*, id) first; len % 8 == 0.
			The compiler builds records in the key area (just
			after the ctx copy), like keys: off + len <=
			LB_SCRATCH and len < LB_SCRATCH. Printf arguments
			follow the header in order, 8-byte aligned;
			ustack/usym arguments and keys are {value, pid}
			with the pid from LB_CTX_PID. b = 1: a printf
			record (len <= LB_MAX_KEY) with a user stack to
			unwind at offset (dst | a << 8) * 8: it goes out
			as LB_REC_UNWIND_PRINTF with the registers and
			stack (struct lb_unwind_rec). */
	LB_OP_STACK, /* r[dst] = stack id | len << 32 (len: frames to show,
			1..LB_STACK_DEPTH, e.kstack/e.ustack use all; and
			the lb_stackmode << LB_STACK_MODE_SHIFT);
			imm = 0 kernel or 1 user stack; id 0xffffffff when
			the stack could not be taken. A user stack also
			announces its process the first time (LB_REC_PROC) */
	/* Strings, into scratch[off .. off+len), always NUL terminated: */
	LB_OP_STR,     /* from address r[a]: imm 0 kernel, 1 user memory;
			  b != 0: zero the bytes after the string too (keys
			  and compares need them zero; printf does not) */
	LB_OP_DATALOC, /* from the tracepoint record's __data_loc field whose
			  u32 is in r[a] (offset low 16 bits, length high 16),
			  zero filled like LB_OP_STR with b != 0 */
	LB_OP_COPY,    /* scratch[off .. off+len) = scratch[imm .. imm+len)
			  (char[N] fields of the ctx copy, string values) */
	LB_OP_SCMP,    /* r[dst] = scratch[off .. off+len) == scratch[imm ..
			  imm+len); len % 8 == 0, len <= LB_POOL */
	/* String values in plain maps (LB_VAL_STR), slot b, key at scratch[off]: */
	LB_OP_MAP_GETSTR, /* scratch[imm .. imm+len) = the value, or zeros;
			     r[dst] = present (0/1) */
	LB_OP_MAP_SETSTR, /* the value = scratch[imm .. imm+len) */
	/* Typed kernel memory: pointer chains (e.args.dentry.d_parent). */
	LB_OP_KREAD,	  /* r[dst] = len bytes (1, 2, 4, 8) at kernel address
			     r[a] + imm, sign-extended when b != 0; 0 if the
			     read faults */
	LB_OP_USDT_ARG,	  /* r[dst] = USDT argument imm as plan.usdt says for the
			     site the probe fired at (usdt template only) */
	LB_OP_UNWIND_ADD, /* map slot dst, key at scratch[off .. off+len): value +=
			     r[a] in user space, after it unwound the user stack
			     whose 8 bytes are at key offset imm through DWARF
			     CFI: the record (struct lb_unwind_rec) carries the
			     user registers and the top of the user stack */
	LB_OP_JOIN,	  /* bpf.join(argv): for i < LB_JOIN_ARGS, scratch[off +
			     i * len ..) = the string at the i-th pointer of
			     the NULL-terminated array at r[a] (imm 0 kernel,
			     1 user memory), cut to len bytes; the slot after
			     the last string starts with a NUL */
	LB_OP_NCODES
};

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
#define LB_UNWIND_REGS 21     /* the user pt_regs, in words: sp is 19, ip 16 */
#define LB_UNWIND_STACK 16384 /* user stack bytes copied from sp at most */
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
	/* luabpf -c: task_struct's real_parent and tgid offsets (the runtime
	   fills them from BTF): filter_pid's descendants pass the filter too */
	__u32 task_parent_off, task_tgid_off;
	char pool[LB_POOL];
	struct lb_op ops[LB_MAX_OPS];
	/* usdt template: argument specs per site (the runtime fills them) */
	struct lb_usdt_arg usdt[LB_USDT_SITES][LB_USDT_ARGS];
};

#endif
