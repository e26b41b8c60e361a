/* The plan interpreter shared by every template.
 * The plan sits in frozen .rodata, so for the verifier each op's code,
 * registers and offsets are known constants: it walks only the ops this
 * handler has, and prunes every case of the switch it does not take. */
#ifndef LUABPF_INTERP_H
#define LUABPF_INTERP_H

#include <linux/bpf.h>
#include <linux/types.h>
#include <stddef.h>
#include <bpf/bpf_helpers.h>
#include "plan.h"
#include "arith.h"

char LICENSE[] SEC("license") = "GPL";

const volatile struct lb_plan plan = {};

struct lb_scratch {
	char b[LB_SCRATCH];
};

/* Per program, not per session: a profile program firing in NMI must
 * not clobber the key a tracepoint program is building on that CPU.
 * One entry per CPU (a per-CPU array caps values at 32 KiB; strings may
 * be longer); the loader sizes entries to the plan's scratch_size. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_scratch);
} scratch SEC(".maps");

/* Where new aggregate slots get their zeros from (never written). */
struct lb_zeros {
	char b[LB_ZEROS];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_zeros);
} zeros SEC(".maps");

/* Session-wide maps, shared by every program like the slots below. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1);
	__uint(key_size, 4);
	__uint(value_size, LB_STACK_DEPTH * 8);
} stacks SEC(".maps");

/* A second chance: a stack map refuses a stack whose bucket holds another
 * (-EEXIST; replacing it would change what earlier ids print), and its
 * hash seed is its own, so this map rarely collides where the first did. */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 1);
	__uint(key_size, 4);
	__uint(value_size, LB_STACK_DEPTH * 8);
} stacks2 SEC(".maps");

/* Processes whose user stacks were taken: the first one announces the
 * process (LB_REC_PROC) so that user space keeps its mappings. LRU: a
 * pid forgotten here is announced again, which costs only a re-read. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u32);
} upids SEC(".maps");

/* The announcements travel apart, in a small ring of their own: a
 * script that only keys maps by user stacks needs no events ring. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} procs SEC(".maps");

/* Records the ring buffer had no room for: reported as "Lost N events". */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* Map slots: the loader points each at a session map with
 * bpf_map__reuse_fd, which also takes the real type and sizes. */
#define LB_SLOT(n)                                                                                 \
	struct {                                                                                   \
		__uint(type, BPF_MAP_TYPE_PERCPU_HASH);                                            \
		__uint(max_entries, 1);                                                            \
		__uint(key_size, 8);                                                               \
		__uint(value_size, 8);                                                             \
	} m##n SEC(".maps")
LB_SLOT(0);
LB_SLOT(1);
LB_SLOT(2);
LB_SLOT(3);
LB_SLOT(4);
LB_SLOT(5);
LB_SLOT(6);
LB_SLOT(7);

/* A switch with the helper call in each case, never a table of map
 * addresses: libbpf cannot relocate map pointers stored in data. */
static __always_inline void *lb_lookup(__u32 slot, void *key)
{
	switch (slot) {
	case 0: return bpf_map_lookup_elem(&m0, key);
	case 1: return bpf_map_lookup_elem(&m1, key);
	case 2: return bpf_map_lookup_elem(&m2, key);
	case 3: return bpf_map_lookup_elem(&m3, key);
	case 4: return bpf_map_lookup_elem(&m4, key);
	case 5: return bpf_map_lookup_elem(&m5, key);
	case 6: return bpf_map_lookup_elem(&m6, key);
	case 7: return bpf_map_lookup_elem(&m7, key);
	}
	return 0;
}

/* Updates a full map refused: counted per session map, reported at exit. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LB_DROPPED_SLOTS); /* + divisions by zero */
	__type(key, __u32);
	__type(value, __u64);
} dropped SEC(".maps");

static __always_inline long lb_update(__u32 slot, void *key, void *val, __u64 flags)
{
	long rc = -1;

	switch (slot) {
	case 0: rc = bpf_map_update_elem(&m0, key, val, flags); break;
	case 1: rc = bpf_map_update_elem(&m1, key, val, flags); break;
	case 2: rc = bpf_map_update_elem(&m2, key, val, flags); break;
	case 3: rc = bpf_map_update_elem(&m3, key, val, flags); break;
	case 4: rc = bpf_map_update_elem(&m4, key, val, flags); break;
	case 5: rc = bpf_map_update_elem(&m5, key, val, flags); break;
	case 6: rc = bpf_map_update_elem(&m6, key, val, flags); break;
	case 7: rc = bpf_map_update_elem(&m7, key, val, flags); break;
	}
	/* no room for a new key (-E2BIG), or no memory for it (-ENOMEM, a
	 * map allocated as keys arrive, under load) */
	if (rc == -7 || rc == -12) {
		__u32 i = plan.slot_ids[slot & (LB_MAX_MAPS - 1)];
		__u64 *n = bpf_map_lookup_elem(&dropped, &i);

		if (n)
			*n += 1;
	}
	return rc;
}

static __always_inline void lb_delete(__u32 slot, void *key)
{
	switch (slot) {
	case 0: bpf_map_delete_elem(&m0, key); break;
	case 1: bpf_map_delete_elem(&m1, key); break;
	case 2: bpf_map_delete_elem(&m2, key); break;
	case 3: bpf_map_delete_elem(&m3, key); break;
	case 4: bpf_map_delete_elem(&m4, key); break;
	case 5: bpf_map_delete_elem(&m5, key); break;
	case 6: bpf_map_delete_elem(&m6, key); break;
	case 7: bpf_map_delete_elem(&m7, key); break;
	}
}

static __always_inline void lb_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&lost, &zero);

	if (n)
		*n += 1;
}

/* The first user stack of a process: tell user space to keep its maps. */
static __always_inline void lb_announce(void)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32, one = 1;
	__u64 rec[2] = {LB_REC(LB_REC_PROC, 0), pid};

	/* a lookup first: an LRU update takes a free node even when the key
	 * is there */
	if (pid && !bpf_map_lookup_elem(&upids, &pid) &&
	    !bpf_map_update_elem(&upids, &pid, &one, BPF_NOEXIST) &&
	    bpf_ringbuf_output(&procs, rec, sizeof rec, 0))
		bpf_map_delete_elem(&upids, &pid); /* announced by the next stack */
}

struct task_struct;

/* LB_OP_UNWIND_ADD: the user registers and the top of the user stack,
 * for user space to unwind. The stack is read up to a page boundary
 * (the end of the stack mapping is one) or LB_UNWIND_STACK bytes. */
static __always_inline void lb_unwind(struct lb_unwind_rec *u, const char *key, __u32 len, __u32 at,
				      __s64 x, __u64 head_rec)
{
	__u64 pt = (__u64)bpf_task_pt_regs(bpf_get_current_task_btf()), sp, head, got = 0;

	u->head = head_rec;
	u->value = x;
	u->pid = bpf_get_current_pid_tgid() >> 32;
	u->tid = (__u32)bpf_get_current_pid_tgid();
	u->key_len = len;
	u->stack_at = at;
	u->stack_len = 0;
	bpf_probe_read_kernel(u->key, len & (LB_MAX_KEY * 2 - 1), key);
	if (!pt || bpf_probe_read_kernel(u->regs, sizeof u->regs, (void *)pt) ||
	    (u->regs[17] & 3) != 3 /* cs: not user mode (a kernel thread) */)
		goto send;
	sp = u->regs[19];
	head = (4096 - (sp & 4095)) & 4095;
	for (int k = LB_UNWIND_STACK / 4096; k >= 0; k--) {
		__u64 n = head + (__u64)k * 4096;

		if (n > LB_UNWIND_STACK)
			n = LB_UNWIND_STACK;
		if (n && !bpf_probe_read_user(u->stack, n, (void *)sp)) {
			got = n;
			break;
		}
	}
	u->stack_len = got;
send: /* only the bytes of stack read: most stacks are far shorter; a
       * wake-up per map update would cost user space more than unwinding
       * (printf output is awaited: it wakes as printf does) */
	if (bpf_ringbuf_output(&events, u, offsetof(struct lb_unwind_rec, stack) + got,
			       (__u32)head_rec == LB_REC_UNWIND_PRINTF ? 0
			       : bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) > LB_UNWIND_WAKE
				   ? BPF_RB_FORCE_WAKEUP
				   : BPF_RB_NO_WAKEUP))
		lb_lost();
}

#define R(i) r[(i) & (LB_NREGS - 1)]
#define S(off) (s + ((off) & (LB_SCRATCH - 1)))

static __always_inline __u64 lb_ctx(__u32 which, __u64 probe)
{
	switch (which) {
	case LB_CTX_PID: return bpf_get_current_pid_tgid() >> 32;
	case LB_CTX_TID: return (__u32)bpf_get_current_pid_tgid();
	case LB_CTX_UID: return (__u32)bpf_get_current_uid_gid();
	case LB_CTX_GID: return bpf_get_current_uid_gid() >> 32;
	case LB_CTX_CPU: return bpf_get_smp_processor_id();
	case LB_CTX_NSECS: return bpf_ktime_get_ns();
	case LB_CTX_PROBE: return probe;
	case LB_CTX_CPID: return plan.cpid;
	case LB_CTX_ELAPSED: return bpf_ktime_get_ns() - plan.start_ns;
	}
	return 0;
}

static __always_inline __s64 lb_field(const char *p, __u32 len, int sign)
{
	switch (len) {
	case 1: return sign ? *(__s8 *)p : *(__u8 *)p;
	case 2: return sign ? *(__s16 *)p : *(__u16 *)p;
	case 4: return sign ? (__s64) * (__s32 *)p : (__s64) * (__u32 *)p; /* not u32 ?: s32 */
	}
	return *(__s64 *)p;
}

/* Compare or copy len bytes (a multiple of 8) between scratch and pool. */
static __always_inline int lb_streq(const char *a, __u32 off, __u32 len)
{
	for (__u32 j = 0; j < LB_POOL / 8; j++) {
		if (j * 8 >= len)
			break;
		if (*(__u64 *)(a + j * 8) !=
		    *(const volatile __u64 *)&plan.pool[(off + j * 8) & (LB_POOL - 8)])
			return 0;
	}
	return 1;
}

static __always_inline void lb_strcpy(char *a, __u32 off, __u32 len)
{
	for (__u32 j = 0; j < LB_POOL / 8; j++) {
		if (j * 8 >= len)
			break;
		*(__u64 *)(a + j * 8) =
		    *(const volatile __u64 *)&plan.pool[(off + j * 8) & (LB_POOL - 8)];
	}
}

/* An aggregate slot that is not there yet: insert zeros, look again. */
static __always_inline void *lb_slot_value(__u32 slot, void *key)
{
	__u32 zero = 0;
	void *v = lb_lookup(slot, key), *z;

	if (v)
		return v;
	if (!(z = bpf_map_lookup_elem(&zeros, &zero)))
		return 0;
	lb_update(slot, key, z, BPF_NOEXIST);
	return lb_lookup(slot, key);
}

/* An update makes a cell present (plan.h: slot_cell). */
static __always_inline void lb_cell_set(__u32 slot, char *v)
{
	__u32 at = plan.slot_cell[slot & (LB_MAX_MAPS - 1)];

	if (at)
		*(__u64 *)(v + (at & (2 * LB_ZEROS - 8))) = 1;
}

/* Lua raises an error on integer division by zero; a kernel handler
 * cannot, so the run stops there (as the error would stop it) and is
 * counted for the session to report. */
static __always_inline void lb_count_divzero(__s64 site)
{
	__u32 i = LB_DIVZERO_SLOT;
	__u64 *n = bpf_map_lookup_elem(&dropped, &i);

	if (n)
		*n += 1;
	if (site >= 0 && site < LB_DIV_SITES) {
		i = LB_DIVZERO_SLOT + 1 + (__u32)site;
		if ((n = bpf_map_lookup_elem(&dropped, &i)))
			*n += 1;
	}
}

#ifdef LB_USDT
/* A register of the user pt_regs by word: 0 for words past its end. */
static __always_inline __u64 lb_usdt_reg(void *ctx, __u8 word)
{
	__u64 v = 0;

	if (word < sizeof(struct pt_regs) / 8)
		bpf_probe_read_kernel(&v, 8, (__u64 *)ctx + word);
	return v;
}

/* USDT argument n where this site's note put it (plan.h: struct
 * lb_usdt_arg), sign- or zero-extended from its size; 0 if a read faults. */
static __always_inline __s64 lb_usdt_arg(void *ctx, __u64 n)
{
	__u64 site = bpf_get_attach_cookie(ctx), v = 0, addr;
	const volatile struct lb_usdt_arg *a;

	if (site >= LB_USDT_SITES || n >= LB_USDT_ARGS)
		return 0;
	a = &plan.usdt[site][n];
	switch (a->kind) {
	case LB_USDT_CONST: return a->val;
	case LB_USDT_REG: v = lb_usdt_reg(ctx, a->base) >> (a->shift & 63); break;
	case LB_USDT_MEM:
		addr = a->val + lb_usdt_reg(ctx, a->base) + lb_usdt_reg(ctx, a->index) * a->scale;
		switch (a->size) {
		case 1: bpf_probe_read_user(&v, 1, (void *)addr); break;
		case 2: bpf_probe_read_user(&v, 2, (void *)addr); break;
		case 4: bpf_probe_read_user(&v, 4, (void *)addr); break;
		default: bpf_probe_read_user(&v, 8, (void *)addr);
		}
		break;
	default: return 0;
	}
	switch (a->size) {
	case 1: return a->is_signed ? (__s64)(__s8)v : (__u8)v;
	case 2: return a->is_signed ? (__s64)(__s16)v : (__u16)v;
	case 4: return a->is_signed ? (__s64)(__s32)v : (__u32)v;
	}
	return v;
}
#endif

/* luabpf -p PID: that process; -c CMD: the command and its descendants,
 * found up the parent chain (at most LB_TREE_DEPTH generations). */
static __always_inline int lb_traced(__u32 pid)
{
	char *task;

	if (pid == plan.filter_pid)
		return 1;
	if (!plan.task_parent_off)
		return 0;
	task = (char *)bpf_get_current_task();
	for (int i = 0; i < LB_TREE_DEPTH; i++) {
		if (bpf_probe_read_kernel(&task, sizeof task, task + plan.task_parent_off) ||
		    bpf_probe_read_kernel(&pid, sizeof pid, task + plan.task_tgid_off))
			return 0;
		if (pid == plan.filter_pid)
			return 1;
		if (pid <= 1)
			return 0;
	}
	return 0;
}

static __always_inline int lb_run(void *ctx, __u64 probe)
{
	__u64 r[LB_NREGS]; /* root may read uninitialised stack; plans never do */
	__u32 zero = 0, pc = 0, cpu = bpf_get_smp_processor_id();
	char *s = bpf_map_lookup_elem(&scratch, &cpu);

	if (!s)
		return 0;
	if (plan.filter_pid | plan.skip_pid) {
		__u32 pid = bpf_get_current_pid_tgid() >> 32;

		if ((plan.filter_pid && !lb_traced(pid)) || pid == plan.skip_pid)
			return 0; /* luabpf -p PID / -c CMD; luabpf itself */
	}
	if (plan.ctx_copy)
		bpf_probe_read_kernel(s, plan.ctx_copy & (LB_SCRATCH - 1), ctx);
	do { /* plans jump only forward and end in END */
		const volatile struct lb_op *op = &plan.ops[pc & (LB_MAX_OPS - 1)];
		__u32 code = op->code, dst = op->dst, a = op->a, b = op->b;
		__u32 off = op->off, len = op->len;
		__s64 imm = op->imm, x = R(a), y = R(b);

		pc++;
		switch (code) {
		case LB_OP_END: return 0;
		case LB_OP_IMM: R(dst) = imm; break;
		case LB_OP_CTX: R(dst) = lb_ctx(imm, probe); break;
		case LB_OP_FIELD: R(dst) = lb_field(S(off), len, a); break;
		case LB_OP_COMM: bpf_get_current_comm(S(off), LB_COMM_LEN); break;
		case LB_OP_STRCPY: lb_strcpy(S(off), imm, len); break;
		case LB_OP_STREQ: R(dst) = lb_streq(S(off), imm, len); break;
		case LB_OP_PUT: *(__u64 *)S(off) = x; break;
		case LB_OP_ADD: R(dst) = x + y; break;
		case LB_OP_SUB: R(dst) = x - y; break;
		case LB_OP_MUL: R(dst) = x * y; break;
		case LB_OP_DIV:
		case LB_OP_MOD:
			if (!y) {
				lb_count_divzero(imm);
				return 0;
			}
			R(dst) = code == LB_OP_DIV ? lb_div(x, y) : lb_mod(x, y);
			break;
		case LB_OP_BAND: R(dst) = x & y; break;
		case LB_OP_BOR: R(dst) = x | y; break;
		case LB_OP_BXOR: R(dst) = x ^ y; break;
		case LB_OP_SHL: R(dst) = lb_shl(x, y); break;
		case LB_OP_SHR: R(dst) = lb_shl(x, (__s64)(0 - (__u64)y)); break;
		case LB_OP_EQ: R(dst) = x == y; break;
		case LB_OP_NE: R(dst) = x != y; break;
		case LB_OP_LT: R(dst) = x < y; break;
		case LB_OP_LE: R(dst) = x <= y; break;
		case LB_OP_GT: R(dst) = x > y; break;
		case LB_OP_GE: R(dst) = x >= y; break;
		case LB_OP_NOT: R(dst) = !x; break;
		case LB_OP_NEG: R(dst) = -x; break;
		case LB_OP_BNOT: R(dst) = ~x; break;
		case LB_OP_MOV: R(dst) = x; break;
		case LB_OP_JMP: pc = off; break;
		case LB_OP_JZ:
			if (!x)
				pc = off;
			break;
		case LB_OP_JNZ:
			if (x)
				pc = off;
			break;
		case LB_OP_MAP_ADD: {
			/* an insert racing with another CPU's fails: add then */
			__s64 *v = lb_lookup(dst, S(off));

			if (!v && lb_update(dst, S(off), &x, BPF_NOEXIST) == 0)
				break;
			if (v || (v = lb_lookup(dst, S(off)))) {
				*v += x;
				lb_cell_set(dst, (char *)v);
			}
			break;
		}
		case LB_OP_MAP_READ: {
			__s64 *v = lb_lookup(b, S(off));

			R(dst) = v ? *v : 0;
			R(a) = v != 0;
			break;
		}
		case LB_OP_MAP_SET: lb_update(b, S(off), &x, BPF_ANY); break;
		case LB_OP_MAP_DELETE: lb_delete(b, S(off)); break;
		case LB_OP_MAP_XADD: {
			__s64 *v = lb_lookup(b, S(off));

			if (!v && lb_update(b, S(off), &x, BPF_NOEXIST) == 0)
				break;
			if (v || (v = lb_lookup(b, S(off))))
				__sync_fetch_and_add(v, x);
			break;
		}
		case LB_OP_MAP_MIN:
		case LB_OP_MAP_MAX:
		case LB_OP_MAP_AVG:
		case LB_OP_MAP_BUCKET: {
			__s64 *v;

			if (!(v = lb_slot_value(dst, S(off))))
				break;
			lb_cell_set(dst, (char *)v);
			if (code == LB_OP_MAP_AVG) {
				v[0] += 1;
				v[1] += x;
			} else if (code == LB_OP_MAP_BUCKET) {
				__u64 i = (__u64)x < len ? (__u64)x : len - 1;

				v[i & (LB_ZEROS / 8 - 1)] += 1;
				v[len & (LB_ZEROS / 8 - 1)] += y;
			} else if (!v[1] || (code == LB_OP_MAP_MIN ? x < v[0] : x > v[0])) {
				v[0] = x;
				v[1] = 1;
			}
			break;
		}
		case LB_OP_LOG2: R(dst) = imm ? lb_log2k(x, imm) : lb_log2(x); break;
		case LB_OP_LINEAR:
			if (x < imm)
				R(dst) = 0;
			else if (y <= 0 || lb_div(x - imm, y) + 1 >= len - 1)
				R(dst) = len - 1;
			else
				R(dst) = lb_div(x - imm, y) + 1;
			break;
		case LB_OP_EMIT:
			*(__u64 *)S(off) = imm;
			if (b) { /* with a DWARF stack at offset (dst | a << 8) * 8 */
				lb_unwind((void *)S(LB_UNWIND_AT), S(off), len, (dst | a << 8) * 8,
					  0, LB_REC(LB_REC_UNWIND_PRINTF, 0));
				lb_announce();
			} else if (bpf_ringbuf_output(&events, S(off), len & (LB_SCRATCH - 1), 0)) {
				lb_lost();
			}
			break;
		case LB_OP_STR: {
			char *z;

			if (b && len <= LB_ZEROS && (z = bpf_map_lookup_elem(&zeros, &zero)))
				bpf_probe_read_kernel(S(off), len & (LB_ZEROS - 1), z);
			if ((imm ? bpf_probe_read_user_str(S(off), len, (void *)x)
				 : bpf_probe_read_kernel_str(S(off), len, (void *)x)) < 0)
				*S(off) = 0;
			break;
		}
		case LB_OP_DATALOC: {
			char *z;

			if (b && len <= LB_ZEROS && (z = bpf_map_lookup_elem(&zeros, &zero)))
				bpf_probe_read_kernel(S(off), len & (LB_ZEROS - 1), z);
			if (bpf_probe_read_kernel_str(S(off), len, ctx + (x & 0xffff)) < 0)
				*S(off) = 0;
			break;
		}
		case LB_OP_COPY: bpf_probe_read_kernel(S(off), len, S(imm)); break;
		case LB_OP_SCMP: {
			__u64 eq = 1;

			for (__u32 j = 0; j < LB_POOL / 8; j++) {
				if (j * 8 >= len)
					break;
				if (*(__u64 *)S(off + j * 8) != *(__u64 *)S(imm + j * 8)) {
					eq = 0;
					break;
				}
			}
			R(dst) = eq;
			break;
		}
		case LB_OP_MAP_GETSTR: {
			char *v = lb_lookup(b, S(off)), *z;

			R(dst) = v != 0;
			if (v)
				bpf_probe_read_kernel(S(imm), len, v);
			else if (len <= LB_ZEROS && (z = bpf_map_lookup_elem(&zeros, &zero)))
				bpf_probe_read_kernel(S(imm), len & (LB_ZEROS - 1), z);
			else
				*S(imm) = 0;
			break;
		}
		case LB_OP_MAP_SETSTR: lb_update(b, S(off), S(imm), BPF_ANY); break;
		case LB_OP_JOIN:
			for (__u32 j = 0; j < LB_JOIN_ARGS; j++) {
				__u64 p = 0;
				char *q = S(off + j * len);
				void *at = (void *)(x + 8 * j);

				if ((imm ? bpf_probe_read_user(&p, 8, at)
					 : bpf_probe_read_kernel(&p, 8, at)) ||
				    !p) {
					*q = 0;
					break;
				}
				if ((imm ? bpf_probe_read_user_str(q, len, (void *)p)
					 : bpf_probe_read_kernel_str(q, len, (void *)p)) < 0)
					*q = 0;
			}
			break;
		case LB_OP_KREAD: {
			__u64 v = 0;

			bpf_probe_read_kernel(&v, len & 15, (void *)(x + imm));
			switch (len) {
			case 1: R(dst) = b ? (__s64)(__s8)v : (__u8)v; break;
			case 2: R(dst) = b ? (__s64)(__s16)v : (__u16)v; break;
			case 4: R(dst) = b ? (__s64)(__s32)v : (__u32)v; break;
			default: R(dst) = v;
			}
			break;
		}
		case LB_OP_UNWIND_ADD:
			lb_unwind((void *)S(LB_UNWIND_AT), S(off), len, imm, x,
				  LB_REC(LB_REC_UNWIND, plan.slot_ids[dst & (LB_MAX_MAPS - 1)]));
			lb_announce();
			break;
#ifdef LB_USDT
		case LB_OP_USDT_ARG: R(dst) = lb_usdt_arg(ctx, imm); break;
#endif
		case LB_OP_STACK: {
			__u64 flags = imm ? BPF_F_USER_STACK : 0;
			long id = bpf_get_stackid(ctx, &stacks, flags);

			if (id == -17 /* EEXIST */) {
				id = bpf_get_stackid(ctx, &stacks2, flags);
				id = id < 0 ? id : id + LB_STACK_ENTRIES;
			}

			R(dst) = (id < 0 ? 0xffffffffULL : (__u64)id) | ((__u64)len << 32);
			if (imm)
				lb_announce();
			break;
		}
		default: return 0;
		}
	} while (pc < LB_MAX_OPS);
	return 0;
}

#endif
