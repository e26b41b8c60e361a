/* lbc_refrun: the reference interpreter. It runs a plan in user space on
 * a synthetic event, op by op as bpf/interp.h does in the kernel (the
 * same arithmetic: bpf/arith.h), with maps kept here for one CPU. What
 * needs the running kernel (memory reads through pointers, stacks, USDT
 * arguments, DWARF records) it refuses. Specs compare it with Lua
 * running the same function, and with the kernel running the plan. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compiler.h"
#include "../../bpf/arith.h"

#define SMASK (LB_SCRATCH - 1)

static int fault(char *err, size_t errlen, unsigned pc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fault(char *err, size_t errlen, unsigned pc, const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (errlen)
		snprintf(err, errlen, "op %u: %s", pc, msg);
	return -1;
}

int lbc_refinit(struct lbc_refvm *vm, const struct lbc_output *o, const struct lb_mapdesc *maps,
		int nmaps)
{
	memset(vm, 0, sizeof *vm);
	vm->out = o;
	vm->maps = maps;
	vm->nmaps = nmaps;
	for (int i = 0; i < o->nslots; i++) {
		const struct lb_mapdesc *d = &maps[o->slot_map[i]];
		vm->slots[i].key_size = d->key_size ? d->key_size : 8;
		vm->slots[i].value_size = d->value_size;
	}
	return 0;
}

void lbc_reffree(struct lbc_refvm *vm)
{
	for (int i = 0; i < LB_MAX_MAPS; i++)
		free(vm->slots[i].ents);
	free(vm->records);
	memset(vm->slots, 0, sizeof vm->slots);
	vm->records = NULL;
	vm->nrecords = vm->reccap = 0;
}

unsigned char *lbc_refget(const struct lbc_refmap *m, const void *key)
{
	size_t w = m->key_size + m->value_size;
	for (int i = 0; i < m->n; i++)
		if (!memcmp(m->ents + i * w, key, m->key_size))
			return m->ents + i * w + m->key_size;
	return NULL;
}

/* the value under key, inserted as val (zeros if NULL) when absent */
static unsigned char *insert(struct lbc_refmap *m, const void *key, const void *val)
{
	size_t w = m->key_size + m->value_size;
	unsigned char *v = lbc_refget(m, key);
	if (v)
		return v;
	if (m->n == m->cap) {
		int cap = m->cap ? m->cap * 2 : 16;
		unsigned char *nv = realloc(m->ents, (size_t)cap * w);
		if (!nv)
			return NULL;
		m->ents = nv;
		m->cap = cap;
	}
	v = m->ents + m->n++ * w;
	memcpy(v, key, m->key_size);
	if (val)
		memcpy(v + m->key_size, val, m->value_size);
	else
		memset(v + m->key_size, 0, m->value_size);
	return v + m->key_size;
}

static void delete (struct lbc_refmap *m, const void *key)
{
	size_t w = m->key_size + m->value_size;
	unsigned char *v = lbc_refget(m, key);
	if (!v)
		return;
	unsigned char *e = v - m->key_size, *last = m->ents + (m->n - 1) * w;
	if (e != last)
		memcpy(e, last, w);
	m->n--;
}

static __s64 rd64(const unsigned char *p)
{
	__s64 v;
	memcpy(&v, p, 8);
	return v;
}

static void wr64(unsigned char *p, __s64 v)
{
	memcpy(p, &v, 8);
}

/* bpf/interp.h's lb_field, without its aligned loads */
static __s64 field(const unsigned char *p, unsigned len, int sign)
{
	__u8 u8;
	__u16 u16;
	__u32 u32;
	switch (len) {
	case 1: memcpy(&u8, p, 1); return sign ? (__s8)u8 : u8;
	case 2: memcpy(&u16, p, 2); return sign ? (__s16)u16 : u16;
	case 4: memcpy(&u32, p, 4); return sign ? (__s64)(__s32)u32 : (__s64)u32;
	}
	return rd64(p);
}

static int record(struct lbc_refvm *vm, const unsigned char *r, size_t len)
{
	if (vm->nrecords + len > vm->reccap) {
		size_t cap = vm->reccap ? vm->reccap * 2 : 4096;
		while (cap < vm->nrecords + len)
			cap *= 2;
		unsigned char *nv = realloc(vm->records, cap);
		if (!nv)
			return -1;
		vm->records = nv;
		vm->reccap = cap;
	}
	memcpy(vm->records + vm->nrecords, r, len);
	vm->nrecords += len;
	return 0;
}

int lbc_refrun(struct lbc_refvm *vm, const struct lb_plan *p, const struct lbc_event *ev, char *err,
	       size_t errlen)
{
	__s64 r[LB_NREGS];
	unsigned char *s = vm->scratch;
	unsigned pc = 0;
	struct lbc_links l = {
	    .maps = vm->maps,
	    .nmaps = vm->nmaps,
	    .slot_map = vm->out->slot_map,
	    .nslots = vm->out->nslots,
	    .fmts = vm->out->fmts,
	    .nfmts = vm->out->nfmts,
	    .uses_stacks = -1,
	    .uses_records = -1,
	};

	/* what the kernel would refuse or misread, the reference refuses */
	if (lbc_validate(p, &l, err, errlen))
		return -1;
	for (int i = 0; i < LB_NREGS; i++)
		r[i] = (__s64)0x5a5a5a5a5a5a5a5aULL; /* never read: the validator says so */
	if (p->ctx_copy) {
		size_t n = ev->ctx_len < p->ctx_copy ? ev->ctx_len : p->ctx_copy;
		memcpy(s, ev->ctx, n);
		memset(s + n, 0, p->ctx_copy - n);
	}
	while (pc < p->nops) {
		const struct lb_op *op = &p->ops[pc];
		unsigned code = op->code, dst = op->dst, a = op->a, b = op->b, off = op->off,
			 len = op->len;
		__s64 imm = op->imm, x = r[a & (LB_NREGS - 1)], y = r[b & (LB_NREGS - 1)];
		struct lbc_refmap *m = NULL;
		unsigned char *v, *k = s + (off & SMASK);
		unsigned long long n = len;

		if (lbc_ops[code].dst == LB_O_SLOT)
			m = &vm->slots[dst];
		else if (lbc_ops[code].b == LB_O_SLOT)
			m = &vm->slots[b];
		if (lbc_ops[code].len == LB_L_JOIN)
			n = (unsigned long long)len * LB_JOIN_ARGS;
		if ((off & SMASK) + (m ? m->key_size : n) > LB_SCRATCH ||
		    ((lbc_ops[code].imm == LB_O_SCR || lbc_ops[code].imm == LB_O_TMP) &&
		     (imm & SMASK) + n > LB_SCRATCH))
			return fault(err, errlen, pc, "scratch range beyond LB_SCRATCH");
		pc++;
#define R(i) r[(i) & (LB_NREGS - 1)]
		switch (code) {
		case LB_OP_END: return LBC_RUN_END;
		case LB_OP_IMM: R(dst) = imm; break;
		case LB_OP_CTX:
			R(dst) = imm == LB_CTX_CPID ? p->cpid
						    : (__s64)ev->ctxv[imm % (LB_CTX_ELAPSED + 1)];
			break;
		case LB_OP_FIELD: R(dst) = field(k, len, a); break;
		case LB_OP_COMM: memcpy(k, ev->comm, LB_COMM_LEN); break;
		case LB_OP_STRCPY:
		case LB_OP_STREQ: {
			int eq = 1;
			for (unsigned j = 0; j < LB_POOL / 8 && j * 8 < len; j++) {
				const char *q = &p->pool[(imm + j * 8) & (LB_POOL - 8)];
				if (code == LB_OP_STRCPY)
					memcpy(k + j * 8, q, 8);
				else if (memcmp(k + j * 8, q, 8))
					eq = 0;
			}
			if (code == LB_OP_STREQ)
				R(dst) = eq;
			break;
		}
		case LB_OP_PUT: wr64(k, x); break;
		case LB_OP_ADD: R(dst) = (__s64)((__u64)x + (__u64)y); break;
		case LB_OP_SUB: R(dst) = (__s64)((__u64)x - (__u64)y); break;
		case LB_OP_MUL: R(dst) = (__s64)((__u64)x * (__u64)y); break;
		case LB_OP_DIV:
		case LB_OP_MOD:
			if (!y) {
				vm->divzero++;
				return LBC_RUN_DIVZERO;
			}
			R(dst) = code == LB_OP_DIV ? lb_div(x, y) : lb_mod(x, y);
			break;
		case LB_OP_BAND: R(dst) = x & y; break;
		case LB_OP_BOR: R(dst) = x | y; break;
		case LB_OP_BXOR: R(dst) = x ^ y; break;
		case LB_OP_SHL: R(dst) = (__s64)lb_shl(x, y); break;
		case LB_OP_SHR: R(dst) = (__s64)lb_shl(x, (__s64)(0 - (__u64)y)); break;
		case LB_OP_EQ: R(dst) = x == y; break;
		case LB_OP_NE: R(dst) = x != y; break;
		case LB_OP_LT: R(dst) = x < y; break;
		case LB_OP_LE: R(dst) = x <= y; break;
		case LB_OP_GT: R(dst) = x > y; break;
		case LB_OP_GE: R(dst) = x >= y; break;
		case LB_OP_NOT: R(dst) = !x; break;
		case LB_OP_NEG: R(dst) = (__s64)(0 - (__u64)x); break;
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
		case LB_OP_MAP_ADD:
		case LB_OP_MAP_XADD:
			if ((v = lbc_refget(m, k)))
				wr64(v, (__s64)((__u64)rd64(v) + (__u64)x));
			else if (!insert(m, k, &x))
				return fault(err, errlen, pc - 1, "out of memory");
			break;
		case LB_OP_MAP_READ:
			v = lbc_refget(m, k);
			R(dst) = v ? rd64(v) : 0;
			R(a) = v != NULL;
			break;
		case LB_OP_MAP_SET:
			if (!(v = insert(m, k, NULL)))
				return fault(err, errlen, pc - 1, "out of memory");
			wr64(v, x);
			break;
		case LB_OP_MAP_DELETE: delete (m, k); break;
		case LB_OP_MAP_MIN:
		case LB_OP_MAP_MAX:
		case LB_OP_MAP_AVG:
		case LB_OP_MAP_BUCKET: {
			if (!(v = insert(m, k, NULL)))
				return fault(err, errlen, pc - 1, "out of memory");
			if (code == LB_OP_MAP_AVG) {
				wr64(v, rd64(v) + 1);
				wr64(v + 8, (__s64)((__u64)rd64(v + 8) + (__u64)x));
			} else if (code == LB_OP_MAP_BUCKET) {
				__u64 i = (__u64)x < len ? (__u64)x : len - 1;
				wr64(v + i * 8, rd64(v + i * 8) + 1);
				wr64(v + len * 8, (__s64)((__u64)rd64(v + len * 8) + (__u64)y));
			} else if (!rd64(v + 8) ||
				   (code == LB_OP_MAP_MIN ? x < rd64(v) : x > rd64(v))) {
				wr64(v, x);
				wr64(v + 8, 1);
			}
			break;
		}
		case LB_OP_LOG2: R(dst) = (__s64)(imm ? lb_log2k(x, imm) : lb_log2(x)); break;
		case LB_OP_LINEAR:
			if (x < imm)
				R(dst) = 0;
			else if (y <= 0 || lb_div(x - imm, y) + 1 >= len - 1)
				R(dst) = len - 1;
			else
				R(dst) = lb_div(x - imm, y) + 1;
			break;
		case LB_OP_EMIT:
			if (b)
				return fault(err, errlen, pc - 1, "a DWARF stack needs the kernel");
			wr64(k, imm);
			if (record(vm, k, len))
				return fault(err, errlen, pc - 1, "out of memory");
			break;
		case LB_OP_DATALOC: {
			/* bpf_probe_read_kernel_str from the record: at most len
			 * bytes with the NUL; past the record it faults */
			size_t at = (size_t)(x & 0xffff), i = 0;
			if (b && len <= LB_ZEROS)
				memset(k, 0, len);
			for (; i + 1 < len; i++) {
				if (at + i >= ev->ctx_len) {
					i = 0;
					break;
				}
				if (!(k[i] = ev->ctx[at + i]))
					break;
			}
			k[i] = 0;
			break;
		}
		case LB_OP_COPY: memmove(k, s + (imm & SMASK), len); break;
		case LB_OP_SCMP: R(dst) = !memcmp(k, s + (imm & SMASK), len); break;
		case LB_OP_MAP_GETSTR:
			v = lbc_refget(m, k);
			R(dst) = v != NULL;
			if (v)
				memcpy(s + (imm & SMASK), v, len);
			else if (len <= LB_ZEROS)
				memset(s + (imm & SMASK), 0, len);
			else
				s[imm & SMASK] = 0;
			break;
		case LB_OP_MAP_SETSTR:
			if (!(v = insert(m, k, NULL)))
				return fault(err, errlen, pc - 1, "out of memory");
			memcpy(v, s + (imm & SMASK), len);
			break;
		default:
			/* STR, JOIN, KREAD, STACK, USDT_ARG, UNWIND_ADD */
			return fault(err, errlen, pc - 1, "%s reads the running kernel or process",
				     lbc_ops[code].name);
		}
#undef R
	}
	return LBC_RUN_END;
}
