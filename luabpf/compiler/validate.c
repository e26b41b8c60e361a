/* lbc_validate: does a plan keep what bpf/interp.h relies on? Every
 * field of every op is checked as the op table (LB_OPS in bpf/plan.h)
 * says it is used, against the maps, slots and formats the plan refers
 * to. It runs after every compile and again before every load, when the
 * runtime has patched the plan (slot ids, syscall mask, printf ids). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "compiler.h"

#define LBC_OPINFO(code, nm, d, a_, b_, o, i, l, lo, hi, al)                                       \
	[LB_OP_##code] = {.name = nm,                                                              \
			  .dst = LB_O_##d,                                                         \
			  .a = LB_O_##a_,                                                          \
			  .b = LB_O_##b_,                                                          \
			  .off = LB_O_##o,                                                         \
			  .imm = LB_O_##i,                                                         \
			  .len = LB_L_##l,                                                         \
			  .min = lo,                                                               \
			  .max = hi,                                                               \
			  .align = al},
const struct lbc_opinfo lbc_ops[LB_OP_NCODES] = {LB_OPS(LBC_OPINFO)};
#undef LBC_OPINFO

#define LBC_ONE(...) +1
_Static_assert(0 LB_OPS(LBC_ONE) == LB_OP_NCODES, "one op table row per opcode");
#undef LBC_ONE
_Static_assert(LB_OP_NCODES <= 256, "lb_op.code is a byte");
_Static_assert(LB_OP_GE - LB_OP_ADD == 15, "the binary operators, in the compiler's order");

struct vstate {
	char *err;
	size_t errlen;
	unsigned pc;
};

__attribute__((format(printf, 2, 3))) static int bad(struct vstate *v, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (v->errlen) {
		if (v->pc != ~0u)
			snprintf(v->err, v->errlen, "op %u: %s", v->pc, msg);
		else
			snprintf(v->err, v->errlen, "%s", msg);
	}
	return -1;
}

/* [at, at + n) inside lim bytes */
static int inside(long long at, unsigned long long n, unsigned long long lim)
{
	return at >= 0 && (unsigned long long)at <= lim && n <= lim - (unsigned long long)at;
}

static int check_fmts(struct vstate *v, const struct lbc_links *l, unsigned ss)
{
	if (l->nfmts < 0 || (l->nfmts && !l->fmts))
		return bad(v, "bad format table");
	for (int i = 0; i < l->nfmts; i++) {
		const struct lb_fmt *f = &l->fmts[i];
		if (!memchr(f->fmt, 0, sizeof f->fmt))
			return bad(v, "format %d not NUL terminated", i);
		if (f->nargs < 0 || f->nargs > LB_MAX_ARGS)
			return bad(v, "format %d: %d arguments", i, f->nargs);
		if (f->len < 8 || f->len % 8 || f->len > ss)
			return bad(v, "format %d: record length %u", i, f->len);
		for (int k = 0; k < f->nargs; k++) {
			/* times: their strftime format; join: its delimiter */
			int withaux = f->type[k] == LB_ARG_TIME || f->type[k] == LB_ARG_NOW ||
				      f->type[k] == LB_ARG_JOIN;
			size_t a = f->aux[k];
			if (f->off[k] < 8 || f->off[k] % 8 || !f->size[k] ||
			    f->off[k] + f->size[k] > f->len)
				return bad(v, "format %d: argument %d outside its record", i, k);
			if (withaux != (a != 0))
				return bad(v, "format %d: aux string on the wrong argument", i);
			if (a && (a <= strlen(f->fmt) || a >= sizeof f->fmt ||
				  !memchr(f->fmt + a, 0, sizeof f->fmt - a)))
				return bad(v, "format %d: aux string outside the format", i);
		}
	}
	return 0;
}

static int check_slots(struct vstate *v, const struct lb_plan *p, const struct lbc_links *l)
{
	if (l->nslots < 0 || l->nslots > LB_MAX_MAPS || (l->nslots && !l->slot_map))
		return bad(v, "%d map slots", l->nslots);
	if (l->nmaps < 0 || l->nmaps > LB_MAX_SESSION_MAPS || (l->nmaps && !l->maps))
		return bad(v, "bad map table");
	for (int i = 0; i < l->nslots; i++) {
		int m = l->slot_map[i];
		if (m < 0 || m >= l->nmaps)
			return bad(v, "slot %d is map %d of %d", i, m, l->nmaps);
		for (int k = 0; k < i; k++)
			if (l->slot_map[k] == m)
				return bad(v, "slots %d and %d are one map", k, i);
		if (!l->maps[m].nkeys && l->maps[m].key_size)
			return bad(v, "slot %d: map layout not fixed", i);
		if (p->slot_ids[i] != (__u32)m) /* the compiler fills them */
			return bad(v, "slot %d: slot_ids says map %u, the slot map %d", i,
				   p->slot_ids[i], m);
		const struct lb_mapdesc *d = &l->maps[m];
		if (p->slot_cell[i] &&
		    (!d->percpu || d->nkeys != 1 || d->keytype[0] != LB_KEY_NONE ||
		     p->slot_cell[i] != (d->value_size + 7u) / 8 * 8))
			return bad(v, "slot %d: a cell's word at %u of a map that is not one", i,
				   p->slot_cell[i]);
	}
	for (int i = l->nslots; i < LB_MAX_MAPS; i++)
		if (p->slot_cell[i])
			return bad(v, "slot %d: unused, with a cell", i);
	return 0;
}

/* The value kinds each map op works on (bpf/interp.h reads them so). */
static int valkind_ok(int code, const struct lb_mapdesc *d)
{
	switch (code) {
	case LB_OP_MAP_ADD:
	case LB_OP_UNWIND_ADD: return d->valkind == LB_VAL_SUM;
	case LB_OP_MAP_READ:
	case LB_OP_MAP_SET:
	case LB_OP_MAP_XADD: return d->valkind == LB_VAL_INT;
	case LB_OP_MAP_MIN: return d->valkind == LB_VAL_MIN && d->value_size == 16;
	case LB_OP_MAP_MAX: return d->valkind == LB_VAL_MAX && d->value_size == 16;
	case LB_OP_MAP_AVG:
		return (d->valkind == LB_VAL_AVG || d->valkind == LB_VAL_STATS) &&
		       d->value_size == 16;
	case LB_OP_MAP_BUCKET: return d->valkind == LB_VAL_HIST || d->valkind == LB_VAL_LHIST;
	case LB_OP_MAP_GETSTR:
	case LB_OP_MAP_SETSTR: return d->valkind == LB_VAL_STR || d->valkind == LB_VAL_ARRAY;
	}
	return 1; /* MAP_DELETE: any */
}

static int check_opnd(struct vstate *v, const struct lb_plan *p, const struct lbc_links *l,
		      int kind, const char *field, long long x)
{
	switch (kind) {
	case LB_O_REG:
		if (x >= LB_NREGS)
			return bad(v, "%s: register %lld", field, x);
		break;
	case LB_O_SLOT:
		if (x >= l->nslots)
			return bad(v, "%s: map slot %lld of %d", field, x, l->nslots);
		break;
	case LB_O_FLAG:
	case LB_O_MEM:
		if (x != 0 && x != 1)
			return bad(v, "%s: %lld is not 0 or 1", field, x);
		break;
	case LB_O_PC:
		if (x <= v->pc || x >= p->nops)
			return bad(v, "jump to %lld: not forward inside the plan", x);
		break;
	case LB_O_CTXID:
		if (x < LB_CTX_PID || x > LB_CTX_ELAPSED)
			return bad(v, "no builtin %lld", x);
		break;
	case LB_O_BITS:
		if (x < 0 || x > LB_HIST_MAXBITS)
			return bad(v, "%lld hist sub-bucket bits", x);
		break;
	case LB_O_USDT:
		if (x < 0 || x >= LB_USDT_ARGS)
			return bad(v, "USDT argument %lld", x);
		break;
	case LB_O_DIVSITE:
		if (x < -1 || x >= LB_DIV_SITES)
			return bad(v, "division counter %lld", x);
		break;
	}
	return 0;
}

/* Registers read before any path wrote them: the kernel lets only root
 * read uninitialised stack. Jumps go forward, so one pass sees every
 * way into an op before the op: in[pc] is what all of them wrote. */
static int check_defined(struct vstate *v, const struct lb_plan *p)
{
	static const __u16 ALL = 0xffff;
	__u16 in[LB_MAX_OPS];
	unsigned char reach[LB_MAX_OPS];
	_Static_assert(LB_NREGS <= 16, "register sets are 16 bits");
	memset(reach, 0, sizeof reach);
	for (unsigned i = 0; i < p->nops; i++)
		in[i] = ALL;
	in[0] = 0;
	reach[0] = 1;
	for (unsigned i = 0; i < p->nops; i++) {
		const struct lb_op *o = &p->ops[i];
		const struct lbc_opinfo *d = &lbc_ops[o->code];
		__u16 have = in[i], out;
		v->pc = i;
		if (!reach[i])
			continue;
		/* MAP_READ writes its a (the presence); every other a is read */
		int ra = d->a == LB_O_REG && o->code != LB_OP_MAP_READ, rb = d->b == LB_O_REG;
		if (ra && !(have >> o->a & 1))
			return bad(v, "r%u read before it is set", o->a);
		if (rb && !(have >> o->b & 1))
			return bad(v, "r%u read before it is set", o->b);
		out = have;
		if (d->dst == LB_O_REG)
			out |= (__u16)(1u << o->dst);
		if (o->code == LB_OP_MAP_READ)
			out |= (__u16)(1u << o->a);
		if (d->off == LB_O_PC) {
			in[o->off] = reach[o->off] ? in[o->off] & out : out;
			reach[o->off] = 1;
		}
		if (o->code != LB_OP_JMP && o->code != LB_OP_END && i + 1 < p->nops) {
			in[i + 1] = reach[i + 1] ? in[i + 1] & out : out;
			reach[i + 1] = 1;
		}
	}
	return 0;
}

int lbc_validate(const struct lb_plan *p, const struct lbc_links *l, char *err, size_t errlen)
{
	struct vstate v = {err, errlen, ~0u};
	unsigned ss = p->scratch_size;
	int stacks = 0, records = 0, unwinds = 0;
	unsigned long long top = 0; /* end of the scratch bytes ops use */

	if (errlen)
		err[0] = 0;
	if (p->nops < 1 || p->nops > LB_MAX_OPS)
		return bad(&v, "%u ops", p->nops);
	if (p->ops[p->nops - 1].code != LB_OP_END)
		return bad(&v, "the last op is not END");
	if (ss < 1024 || ss > LB_SCRATCH || (ss & (ss - 1)))
		return bad(&v, "scratch_size %u is not a power of two in [1024, LB_SCRATCH]", ss);
	if (p->ctx_copy > ss || p->ctx_copy % 8)
		return bad(&v, "ctx_copy %u", p->ctx_copy);
	if (p->sysmode > LB_SYS_EXIT)
		return bad(&v, "sysmode %u", p->sysmode);
	int mask = 0;
	for (int i = 0; i < LB_SYSMASK; i++)
		mask |= p->sysmask[i] != 0;
	/* the compiler copies the probe's mask (s:compile and the driver may
	 * give none); what loads has one exactly when sysmode asks */
	if (l->loading ? mask != (p->sysmode != LB_SYS_NONE) : mask && p->sysmode == LB_SYS_NONE)
		return bad(&v, "sysmode %u with %s syscall mask", p->sysmode,
			   mask ? "a" : "an empty");
	if (check_slots(&v, p, l) || check_fmts(&v, l, ss))
		return -1;
	for (unsigned i = 0; i < p->nops; i++) {
		const struct lb_op *o = &p->ops[i];
		unsigned len = o->len, n = len;
		long long imm = o->imm;
		const struct lb_mapdesc *m = NULL;
		v.pc = i;
		if (o->code >= LB_OP_NCODES)
			return bad(&v, "no opcode %u", o->code);
		const struct lbc_opinfo *d = &lbc_ops[o->code];
		if (check_opnd(&v, p, l, d->dst, "dst", o->dst) ||
		    check_opnd(&v, p, l, d->a, "a", o->a) ||
		    check_opnd(&v, p, l, d->b, "b", o->b) ||
		    check_opnd(&v, p, l, d->off, "off", o->off) ||
		    check_opnd(&v, p, l, d->imm, "imm", imm))
			return -1;
		switch (d->len) { /* n: the bytes at off */
		case LB_L_NONE: break;
		case LB_L_WORD:
			if (len != 1 && len != 2 && len != 4 && len != 8)
				return bad(&v, "%s of %u bytes", d->name, len);
			break;
		case LB_L_STACK:
			n = len & 0xff;
			if (len >> LB_STACK_MODE_SHIFT > LB_STACK_RAW)
				return bad(&v, "stack mode %u", len >> LB_STACK_MODE_SHIFT);
			break;
		case LB_L_JOIN: n = len * LB_JOIN_ARGS; break;
		}
		if (d->len == LB_L_STACK ? n < d->min || n > d->max
		    : d->len		 ? len < d->min || len > d->max || len % d->align
					 : len != 0)
			return bad(&v, "%s with len %u", d->name, len);
		if (d->dst == LB_O_SLOT)
			m = &l->maps[l->slot_map[o->dst]];
		else if (d->b == LB_O_SLOT)
			m = &l->maps[l->slot_map[o->b]];
		if (m) {
			if (!valkind_ok(o->code, m))
				return bad(&v, "%s on a map of value kind %u", d->name, m->valkind);
			if (o->code == LB_OP_MAP_BUCKET && m->value_size != 8 * (len + 1))
				return bad(&v, "%u buckets and a sum in a %u-byte value", len,
					   m->value_size);
			if ((o->code == LB_OP_MAP_GETSTR || o->code == LB_OP_MAP_SETSTR) &&
			    len != m->value_size)
				return bad(&v, "%u bytes of a %u-byte value", len, m->value_size);
			if (o->code == LB_OP_UNWIND_ADD && len != m->key_size)
				return bad(&v, "a %u-byte key of a map of %u", len, m->key_size);
			if (d->len != LB_L_BYTES)
				n = m->key_size; /* the key at off */
		}
		switch (d->off) {
		case LB_O_CTX:
			if (!inside(o->off, n, p->ctx_copy))
				return bad(&v, "ctx[%u..+%u) beyond the %u-byte ctx copy", o->off,
					   n, p->ctx_copy);
			break;
		case LB_O_KEY:
		case LB_O_SCR:
			if (!inside(o->off, n, ss))
				return bad(&v, "scratch[%u..+%u) beyond scratch_size %u", o->off, n,
					   ss);
			if (o->off + n > top)
				top = o->off + n;
			break;
		}
		switch (d->imm) {
		case LB_O_SCR:
		case LB_O_TMP:
			if (!inside(imm, len, ss))
				return bad(&v, "scratch[%lld..+%u) beyond scratch_size %u", imm,
					   len, ss);
			if ((unsigned long long)imm + len > top)
				top = (unsigned long long)imm + len;
			break;
		case LB_O_POOL:
			if (imm % 8 || !inside(imm, len, LB_POOL))
				return bad(&v, "pool[%lld..+%u) unaligned or beyond LB_POOL", imm,
					   len);
			break;
		case LB_O_KEYAT:
			if (imm % 8 || !inside(imm, 8, len))
				return bad(&v, "a stack at %lld of a %u-byte key", imm, len);
			break;
		}
		switch (o->code) {
		case LB_OP_USDT_ARG:
			if (l->loading && !l->usdt)
				return bad(&v, "a USDT argument outside the usdt template");
			break;
		case LB_OP_STACK: stacks = 1; break;
		case LB_OP_UNWIND_ADD: stacks = records = unwinds = 1; break;
		case LB_OP_EMIT: {
			unsigned kind = (unsigned)(imm & 0xffffffff),
				 id = (unsigned)((unsigned long long)imm >> 32);
			records = 1;
			if (kind == LB_REC_PRINTF) {
				if ((int)id >= l->nfmts)
					return bad(&v, "printf format %u of %d", id, l->nfmts);
				if (l->fmts[id].len != len)
					return bad(&v, "a %u-byte record of a %u-byte format", len,
						   l->fmts[id].len);
			} else if (kind == LB_REC_PRINT) {
				if ((int)id >= l->nmaps)
					return bad(&v, "print of map %u of %d", id, l->nmaps);
			} else if (kind != LB_REC_EXIT) {
				return bad(&v, "record kind %u", kind);
			}
			if (o->b) { /* a printf record with a DWARF stack */
				unsigned at = (o->dst | (unsigned)o->a << 8) * 8;
				stacks = unwinds = 1;
				if (kind != LB_REC_PRINTF || len > LB_MAX_KEY || at + 16 > len)
					return bad(&v, "a user stack at %u of a %u-byte record", at,
						   len);
			}
			break;
		}
		}
	}
	v.pc = ~0u;
	if (l->scratch_top)
		*l->scratch_top = (unsigned)(top > p->ctx_copy ? top : p->ctx_copy);
	if (unwinds && (ss != LB_SCRATCH || top > LB_UNWIND_AT))
		return bad(&v, "scratch up to %llu of %u beside a DWARF stack record", top, ss);
	if (l->uses_stacks >= 0 && stacks != !!l->uses_stacks)
		return bad(&v, "uses_stacks is %d, the ops say %d", l->uses_stacks, stacks);
	if (l->uses_records >= 0 && records != !!l->uses_records)
		return bad(&v, "uses_records is %d, the ops say %d", l->uses_records, records);
	return check_defined(&v, p);
}

int lbc_validate_output(const struct lbc_output *o, const struct lb_mapdesc *maps, int nmaps,
			char *err, size_t errlen)
{
	struct lbc_links l = {
	    .maps = maps,
	    .nmaps = nmaps,
	    .slot_map = o->slot_map,
	    .nslots = o->nslots,
	    .fmts = o->fmts,
	    .nfmts = o->nfmts,
	    .uses_stacks = o->uses_stacks,
	    .uses_records = o->uses_records,
	};
	return lbc_validate(&o->plan, &l, err, errlen);
}
