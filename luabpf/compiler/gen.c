/* Expressions and conditions: names, types, constant folding, and the
 * ops that compute values into registers. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "lbc.h"

#define N(i) (&C->nodes[i])

/* kernel-side builtins: aggregations (assigned to a map element),
 * statements, and values */
static const char *const aggs[] = {
    "count", "sum", "min", "max", "avg", "stats", "hist", "lhist", NULL,
};
static const char *const stmts[] = {"printf", "print", "exit", NULL};
static const char *const values[] = {"kstack", "ustack", "ksym", "usym", "str", NULL};
static const char *const later[] = {
    "delete", "time", "cat", "system", "join", "buf", "ntop", NULL,
};
#define BUILTINS                                                                                   \
	"kernel handlers can use bpf.count, sum, min, max, avg, stats, hist, "                     \
	"lhist, printf, print, exit, kstack, ustack, ksym, usym and str"
static const char *const userside[] = {
    "map",     "tracepoint", "interval", "run",	    "BEGIN",	     "END",
    "profile", "kfunc",	     "kretfunc", "uprobe",  "uretprobe",     "usdt",
    "kprobe",  "kretprobe",  "session",	 "compile", "rawtracepoint", NULL,
};

static int inlist(const char *const *l, const char *s, size_t n)
{
	for (; *l; l++)
		if (strlen(*l) == n && !memcmp(*l, s, n))
			return 1;
	return 0;
}

int lbc_isname(const char *s, size_t n, const char *name)
{
	return strlen(name) == n && !memcmp(s, name, n);
}

/* a name for messages, kept until the compilation ends; NULL when the
 * arena is full (messages then fall back to generic wording) */
const char *lbc_names(struct lbc *C, const char *fmt, ...)
{
	int room = (int)sizeof C->names - C->nnames;
	if (room <= 1)
		return NULL;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(C->names + C->nnames, (size_t)room, fmt, ap);
	va_end(ap);
	if (w < 0 || w >= room)
		return NULL;
	const char *r = C->names + C->nnames;
	/* the same name again (a field used twice): the first copy */
	for (int i = 0; i < C->nnames; i += (int)strlen(C->names + i) + 1)
		if (!strcmp(C->names + i, r))
			return C->names + i;
	C->nnames += w + 1;
	return r;
}

static int isbuiltin_name(const char *s, size_t n)
{
	return inlist(aggs, s, n) || inlist(stmts, s, n) || inlist(values, s, n);
}

/* Is call node `call` a call of a bpf builtin (bpf.NAME(...), or a name or
 * local bound to one)? Sets *name, *n. Emits no code. */
int lbc_builtin(struct lbc *C, int call, const char **name, size_t *n)
{
	int f = C->nodes[call].a;
	const struct node *x = &C->nodes[f];
	if (C->nodes[call].k != X_CALL)
		return 0;
	if (x->k == X_NAME) {
		struct val v = lbc_name(C, f);
		if (v.t != T_BUILTIN)
			return 0;
		*name = v.s;
		*n = v.n;
		return 1;
	}
	if (x->k == X_INDEX && x->op == 1 && C->nodes[x->a].k == X_NAME) {
		struct val v = lbc_name(C, x->a);
		const struct node *k = &C->nodes[x->b];
		if (v.t != T_MODULE || !isbuiltin_name(k->s, k->n))
			return 0;
		*name = k->s;
		*n = k->n;
		return 1;
	}
	return 0;
}

int lbc_emit(struct lbc *C, int code, int dst, int a, int b, int off, int len, int64_t imm)
{
	struct lb_plan *P = C->plan;
	if (P->nops >= LB_MAX_OPS - 1) /* keep room for the final END */
		lbc_error(C, C->curtok, "split the work over several handlers",
			  "handler too big: more than %d ops (LB_MAX_OPS)", LB_MAX_OPS);
	struct lb_op *o = &P->ops[P->nops];
	o->code = (__u8)code;
	o->dst = (__u8)dst;
	o->a = (__u8)a;
	o->b = (__u8)b;
	o->off = (__u16)off;
	o->len = (__u16)len;
	o->imm = imm;
	switch (code) { /* ops on the key/record area; others say so (lbc_rel) */
	case LB_OP_COMM:
	case LB_OP_STRCPY:
	case LB_OP_STREQ:
	case LB_OP_PUT:
	case LB_OP_MAP_ADD:
	case LB_OP_MAP_READ:
	case LB_OP_MAP_SET:
	case LB_OP_MAP_DELETE:
	case LB_OP_MAP_XADD:
	case LB_OP_MAP_MIN:
	case LB_OP_MAP_MAX:
	case LB_OP_MAP_AVG:
	case LB_OP_MAP_BUCKET:
	case LB_OP_EMIT: C->rel[P->nops] = A_KEY; break;
	default: C->rel[P->nops] = A_ABS;
	}
	if (code == LB_OP_EMIT)
		C->out->uses_records = 1;
	if (code == LB_OP_STACK)
		C->out->uses_stacks = 1;
	return (int)P->nops++;
}

void lbc_patch(struct lbc *C, int list, int target)
{
	while (list != LBC_NOJ) {
		int next = C->plan->ops[list].off;
		C->plan->ops[list].off = (__u16)target;
		list = next;
	}
}

static void addjump(struct lbc *C, int *list, int pc)
{
	C->plan->ops[pc].off = (__u16)*list;
	*list = pc;
}

int lbc_tmp(struct lbc *C)
{
	if (C->regtop >= LB_NREGS)
		lbc_error(C, C->curtok, "split it using locals, or simplify it",
			  "expression too complex: it needs more than %d registers", LB_NREGS);
	return C->regtop++;
}

int lbc_reg(struct lbc *C, struct val *v)
{
	if (v->isconst) {
		v->reg = lbc_tmp(C);
		v->isconst = 0;
		lbc_emit(C, LB_OP_IMM, v->reg, 0, 0, 0, 0, v->i);
	}
	return v->reg;
}

int lbc_pool(struct lbc *C, const char *s, size_t n, size_t size)
{
	char buf[LB_POOL];
	struct lb_plan *P = C->plan;
	if (size > LB_POOL || n > size)
		lbc_error(C, C->curtok, NULL, "string constant too long (the plan holds %d bytes)",
			  LB_POOL);
	memset(buf, 0, size);
	memcpy(buf, s, n);
	/* only at multiples of 8: the interpreter masks pool offsets to them */
	for (int i = 0; i + (int)size <= C->pool_used; i += 8)
		if (!memcmp(P->pool + i, buf, size))
			return i;
	if (C->pool_used + size > LB_POOL)
		lbc_error(C, C->curtok, NULL,
			  "string constants do not fit in the plan's %d-byte pool", LB_POOL);
	memcpy(P->pool + C->pool_used, buf, size);
	C->pool_used += (int)size;
	return C->pool_used - (int)size;
}

const char *lbc_tname(int t)
{
	switch (t) {
	case T_NIL: return "nil";
	case T_INT: return "a number";
	case T_BOOL: return "a boolean";
	case T_STR: return "a string";
	case T_COMM: return "e.comm (a string)";
	case T_PROBE: return "e.probe";
	case T_MAP: return "a map";
	case T_MODULE: return "the bpf module";
	case T_BUILTIN: return "a bpf builtin function";
	case T_EVENT: return "the event itself";
	case T_ARGS: return "e.args (a table of fields)";
	case T_KSTACK: return "a kernel stack";
	case T_USTACK: return "a user stack";
	case T_KSYM: return "a kernel symbol (bpf.ksym)";
	case T_USYM: return "a user symbol (bpf.usym)";
	case T_DSTR: return "a string";
	case T_KOBJ: return "a kernel struct";
	}
	return "a user-space value";
}

static struct val mkint(int t, int64_t i)
{
	struct val v = {.t = t, .isconst = 1, .i = i};
	return v;
}

static struct val inreg(int t, int reg)
{
	struct val v = {.t = t, .reg = reg};
	return v;
}

/* --- names -------------------------------------------------------------- */

struct val lbc_name(struct lbc *C, int n)
{
	const struct node *x = N(n);
	const struct lbc_input *in = C->in;
	char name[LB_NAME_MAX];
	for (int i = C->nlocals - 1; i >= 0; i--)
		if (C->locals[i].n == x->n && !memcmp(C->locals[i].name, x->s, x->n)) {
			if (C->locals[i].v.t == T_NIL)
				lbc_error(C, x->tok, "a handler receives one argument, the event",
					  "parameter '%.*s' is always nil", (int)x->n, x->s);
			return C->locals[i].v;
		}
	if (x->n >= sizeof name)
		lbc_error(C, x->tok, NULL, "name too long");
	memcpy(name, x->s, x->n);
	name[x->n] = 0;
	int up = 0;
	for (int i = 0; i < in->nupvalues; i++)
		if (in->upvalues[i] && !strcmp(in->upvalues[i], name))
			up = 1;
	struct lbc_value lv;
	memset(&lv, 0, sizeof lv);
	if (!in->resolve || !in->resolve(in->ud, name, !up, &lv))
		lv.kind = LBC_V_NIL;
	struct val v = {0};
	switch (lv.kind) {
	case LBC_V_INT: return mkint(T_INT, lv.i);
	case LBC_V_BOOL: return mkint(T_BOOL, lv.i != 0);
	case LBC_V_STR:
		v.t = T_STR;
		v.s = lv.s ? lv.s : "";
		v.n = lv.s ? lv.len : 0;
		return v;
	case LBC_V_MAP:
		if (lv.map < 0 || lv.map >= in->nmaps)
			lbc_error(C, x->tok, NULL, "internal: map '%s' has no descriptor", name);
		v.t = T_MAP;
		v.map = lv.map;
		v.s = x->s;
		v.n = x->n;
		return v;
	case LBC_V_MODULE: v.t = T_MODULE; return v;
	case LBC_V_BUILTIN:
		v.t = T_BUILTIN;
		v.s = lv.s ? lv.s : "?";
		v.n = strlen(v.s);
		return v;
	case LBC_V_OTHER:
		v.t = T_OTHER;
		v.s = lv.type_name ? lv.type_name : "value";
		return v;
	}
	if (up)
		lbc_error(C, x->tok,
			  "upvalues are read when the probe is attached; give it a value first",
			  "upvalue '%s' is nil", name);
	lbc_error(C, x->tok, "is it a typo, or a local declared after this function?",
		  "global '%s' is nil", name);
}

/* --- event fields ------------------------------------------------------- */

static const struct {
	const char *name;
	int ctx;
} efields[] = {
    {"pid", LB_CTX_PID}, {"tid", LB_CTX_TID}, {"uid", LB_CTX_UID},
    {"gid", LB_CTX_GID}, {"cpu", LB_CTX_CPU}, {"nsecs", LB_CTX_NSECS},
};

/* --- typed kernel values (BTF): e.args.dentry.d_parent.d_name.name ----- *
 * A pointer is a number (T_INT) that remembers its type (val.btf), so its
 * members can be followed: each member of a struct it points to is read
 * with LB_OP_KREAD (ints and pointers), or is a place (T_KOBJ: embedded
 * structs and arrays, no read, the offset adds up), or a string (char
 * arrays: the string at that address; char *: a string where one is
 * needed, in kernel memory). */

static void ktype(struct lbc *C, int tok, int id, struct lbc_type *t, const char *what)
{
	const struct lbc_types *T = C->in->probe ? C->in->probe->types : NULL;
	memset(t, 0, sizeof *t);
	if (!T || !T->type || id <= 0 || T->type(T->ud, id, t))
		lbc_error(C, tok, NULL, "internal: %s has kernel type %d, which is not known",
			  what ? what : "a value", id);
	t->name[sizeof t->name - 1] = 0;
}

const char *lbc_ktname(struct lbc *C, int id, char *buf, size_t len)
{
	struct lbc_type t;
	ktype(C, C->curtok, id, &t, NULL);
	snprintf(buf, len, "%s", t.name);
	return buf;
}

static int intsize(__u32 size)
{
	return size == 1 || size == 2 || size == 4 || size == 8;
}

/* is id a pointer to char? (char *: a string where one is needed) */
static int charptr(struct lbc *C, int tok, const struct lbc_type *t, const char *what)
{
	struct lbc_type e;
	if (t->kind != LBC_T_PTR || t->elem <= 0)
		return 0;
	ktype(C, tok, t->elem, &e, what);
	return e.kind == LBC_T_INT && e.is_char;
}

/* the value of type id at kernel address r[base] + off; registers from
 * save on are free to reuse (base may be one of them) */
static struct val kplace(struct lbc *C, int tok, int base, int off, int id, const char *what,
			 int save)
{
	struct lbc_type t, e;
	struct val v = {.fname = what};
	ktype(C, tok, id, &t, what);
	C->curtok = tok;
	switch (t.kind) {
	case LBC_T_INT:
	case LBC_T_PTR:
		if (!intsize(t.size))
			lbc_error(
			    C, tok, NULL,
			    "%s is %s of %u bytes: only 1, 2, 4 and 8-byte values can be read",
			    what ? what : "the value", t.name, t.size);
		C->regtop = save;
		v.t = T_INT;
		v.reg = lbc_tmp(C);
		lbc_emit(C, LB_OP_KREAD, v.reg, base, t.kind == LBC_T_INT && t.is_signed, 0,
			 (int)t.size, off);
		if (t.kind == LBC_T_PTR) {
			v.btf = id;
			if (charptr(C, tok, &t, what)) {
				v.sk = LB_FSTR_KPTR;
				v.ssize = C->maxstr;
			}
		}
		return v;
	case LBC_T_STRUCT:
		v.t = T_KOBJ;
		v.reg = base;
		v.koff = off;
		v.btf = id;
		return v;
	case LBC_T_ARRAY:
		ktype(C, tok, t.elem, &e, what);
		if (e.kind == LBC_T_INT && e.is_char) {
			/* char[N]: the string at its address */
			if (!t.size)
				lbc_error(C, tok, NULL, "%s is an empty char array",
					  what ? what : "the value");
			C->regtop = save;
			v.t = T_DSTR;
			v.sk = DS_PTR;
			v.sarg = 0;
			v.ssize = t.size > LB_MAX_STR ? LB_MAX_STR : (int)t.size;
			if (!off) {
				v.reg = lbc_tmp(C);
				if (v.reg != base)
					lbc_emit(C, LB_OP_MOV, v.reg, base, 0, 0, 0, 0);
				return v;
			}
			v.reg = lbc_tmp(C);
			int c = v.reg == base ? lbc_tmp(C) : v.reg;
			lbc_emit(C, LB_OP_IMM, c, 0, 0, 0, 0, off);
			lbc_emit(C, LB_OP_ADD, v.reg, base, c, 0, 0, 0);
			C->regtop = v.reg + 1;
			return v;
		}
		v.t = T_KOBJ;
		v.reg = base;
		v.koff = off;
		v.btf = id;
		return v;
	}
	lbc_error(C, tok, NULL, "%s is %s: handlers cannot read it", what ? what : "the value",
		  t.name);
}

/* a typed ctx field (kfunc/tp_btf args, kretfunc's retval): an int, or
 * a pointer (a number that can be followed) */
static struct val typedfield(struct lbc *C, int n, const struct lbc_field *f, const char *what)
{
	struct lbc_type t;
	int tok = N(n)->tok;
	struct val v = {.t = T_INT, .fname = what};
	ktype(C, tok, f->btf_type, &t, what);
	if (t.kind != LBC_T_INT && t.kind != LBC_T_PTR)
		lbc_error(C, tok, NULL,
			  "%s is %s: handlers cannot read it (only numbers and pointers)",
			  what ? what : f->name, t.name);
	if (!intsize(t.size) || t.size > f->size)
		lbc_error(C, tok, NULL, "%s is %s of %u bytes in a %u-byte slot",
			  what ? what : f->name, t.name, t.size, f->size);
	unsigned end = ((unsigned)f->off + t.size + 7) & ~7u;
	if (end > C->plan->ctx_copy)
		C->plan->ctx_copy = end;
	C->curtok = tok;
	v.reg = lbc_tmp(C);
	lbc_emit(C, LB_OP_FIELD, v.reg, t.kind == LBC_T_INT && t.is_signed, 0, f->off, (int)t.size,
		 0);
	if (t.kind == LBC_T_PTR) {
		v.btf = f->btf_type;
		if (charptr(C, tok, &t, what)) {
			v.sk = LB_FSTR_KPTR;
			v.ssize = C->maxstr;
		}
	}
	return v;
}

/* b.NAME where b is a typed pointer (T_INT with btf) or a T_KOBJ struct */
static struct val kmember(struct lbc *C, int n, struct val b, const struct node *k, int save)
{
	const struct lbc_types *T = C->in->probe->types;
	struct lbc_type t, st;
	int tok = k->tok, base, off, sid;
	char name[LB_NAME_MAX], what[160];
	const char *bn = b.fname ? b.fname : "the value";
	if (k->n >= sizeof name)
		lbc_error(C, tok, NULL, "name too long");
	memcpy(name, k->s, k->n);
	name[k->n] = 0;
	if (b.t == T_KOBJ) {
		sid = b.btf;
		ktype(C, tok, sid, &st, bn);
		if (st.kind == LBC_T_ARRAY) {
			snprintf(C->hint, sizeof C->hint, "index it with a constant: %s[0]", bn);
			lbc_error(C, tok, C->hint, "%s is an array (%s): it has no member '%s'", bn,
				  st.name, name);
		}
		base = b.reg;
		off = b.koff;
	} else {
		ktype(C, tok, b.btf, &t, bn);
		sid = t.elem;
		if (sid > 0)
			ktype(C, tok, sid, &st, bn);
		if (sid <= 0 || st.kind != LBC_T_STRUCT)
			lbc_error(C, tok, NULL,
				  "%s is %s, not a pointer to a struct: it has no member '%s'", bn,
				  t.name, name);
		base = lbc_reg(C, &b);
		off = 0;
	}
	__u32 moff = 0;
	int mtype = 0;
	int rc = T->member ? T->member(T->ud, sid, name, &moff, &mtype) : -1;
	if (rc == -2)
		lbc_error(C, tok, NULL,
			  "%s member '%s' is a bitfield: bitfields cannot be read yet", st.name,
			  name);
	if (rc) {
		size_t o = 0;
		if (T->members) {
			o = (size_t)snprintf(C->hint, sizeof C->hint, "members of %s: ", st.name);
			if (o < sizeof C->hint)
				T->members(T->ud, sid, C->hint + o, sizeof C->hint - o);
			C->hint[sizeof C->hint - 1] = 0;
		}
		lbc_error(C, tok, o ? C->hint : NULL, "%s has no member '%s'", st.name, name);
	}
	if ((long)off + moff > 0x7fffffff)
		lbc_error(C, tok, NULL, "internal: member offset too large");
	snprintf(what, sizeof what, "%s.%s", bn, name);
	return kplace(C, N(n)->tok, base, off + (int)moff, mtype, lbc_names(C, "%s", what), save);
}

/* b[i] where b is an array in kernel memory (T_KOBJ) or a typed pointer */
static struct val kindex(struct lbc *C, int n, struct val b, int save)
{
	const struct node *x = N(n);
	struct lbc_type t, e;
	const char *bn = b.fname ? b.fname : "the value";
	char what[160];
	int saved = C->regtop;
	struct val i = lbc_expr(C, x->b);
	C->regtop = saved;
	ktype(C, x->tok, b.btf, &t, bn);
	if (t.kind != LBC_T_ARRAY || (b.t != T_KOBJ))
		lbc_error(C, x->tok, NULL, "%s is %s: only arrays in kernel structs can be indexed",
			  bn, t.name);
	if (i.t != T_INT || !i.isconst)
		lbc_error(C, N(x->b)->tok, NULL, "%s can only be indexed with an integer constant",
			  bn);
	ktype(C, x->tok, t.elem, &e, bn);
	if (i.i < 0 || (uint64_t)i.i >= t.nelem)
		lbc_error(C, N(x->b)->tok, NULL, "index %lld is out of bounds: %s has %u elements",
			  (long long)i.i, bn, t.nelem);
	if ((int64_t)b.koff + i.i * (int64_t)e.size > 0x7fffffff)
		lbc_error(C, x->tok, NULL, "internal: element offset too large");
	snprintf(what, sizeof what, "%s[%lld]", bn, (long long)i.i);
	return kplace(C, x->tok, b.reg, b.koff + (int)(i.i * e.size), t.elem,
		      lbc_names(C, "%s", what), save);
}

/* --- e.arg0 .. e.argN, e.retval ----------------------------------------- */

static int isregname(const char *s, size_t n)
{
	if (lbc_isname(s, n, "retval"))
		return 1;
	if (n < 4 || n > 6 || memcmp(s, "arg", 3))
		return 0;
	for (size_t i = 3; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* how many of arg0, arg1 .. the probe has, in a row */
static int nargs(const struct lbc_probe *pr)
{
	int k = 0;
	for (;;) {
		char nm[16];
		snprintf(nm, sizeof nm, "arg%d", k);
		int found = 0;
		for (int i = 0; i < pr->nregs && !found; i++)
			found = pr->regs[i].name && !strcmp(pr->regs[i].name, nm);
		if (!found)
			return k;
		k++;
	}
}

static struct val regfield(struct lbc *C, int n, const struct node *k)
{
	const struct lbc_probe *pr = C->in->probe;
	int tok = k->tok;
	for (int i = 0; pr && pr->regs && i < pr->nregs; i++) {
		const struct lbc_field *f = &pr->regs[i];
		if (!f->name || !lbc_isname(k->s, k->n, f->name))
			continue;
		const char *what = lbc_names(C, "e.%s", f->name);
		C->curtok = N(n)->tok;
		if (f->usdt) {
			struct val v = {.t = T_INT, .fname = what};
			v.reg = lbc_tmp(C);
			lbc_emit(C, LB_OP_USDT_ARG, v.reg, f->is_signed, 0, 0, f->size, f->off);
			return v;
		}
		if (f->btf_type && pr->types)
			return typedfield(C, n, f, what);
		if (!intsize(f->size))
			lbc_error(C, tok, NULL,
				  "e.%s has %u bytes: only 1, 2, 4 and 8-byte values are supported",
				  f->name, f->size);
		if ((unsigned)f->off + f->size > LB_SCRATCH)
			lbc_error(C, tok, NULL,
				  "e.%s lies beyond the %d bytes of scratch space (LB_SCRATCH)",
				  f->name, LB_SCRATCH);
		unsigned end = ((unsigned)f->off + f->size + 7) & ~7u;
		if (end > C->plan->ctx_copy)
			C->plan->ctx_copy = end;
		struct val v = {.t = T_INT, .fname = what};
		v.reg = lbc_tmp(C);
		lbc_emit(C, LB_OP_FIELD, v.reg, f->is_signed != 0, 0, f->off, f->size, 0);
		return v;
	}
	int kind = pr ? pr->kind : LBC_TRACEPOINT;
	const char *hint = NULL;
	if (pr && pr->fields && pr->nfields && (kind == LBC_TRACEPOINT || kind == LBC_TYPED)) {
		size_t o = (size_t)snprintf(C->hint, sizeof C->hint, "use e.args.NAME:");
		for (int i = 0; i < pr->nfields && o < sizeof C->hint; i++)
			o +=
			    (size_t)snprintf(C->hint + o, sizeof C->hint - o, "%s %s", i ? "," : "",
					     pr->fields[i].name ? pr->fields[i].name : "?");
		hint = C->hint;
	}
	if (lbc_isname(k->s, k->n, "retval")) {
		int ret = 0;
		for (int i = 0; pr && pr->fields && i < pr->nfields; i++)
			ret |= pr->fields[i].name && !strcmp(pr->fields[i].name, "ret");
		if (ret && kind == LBC_TRACEPOINT)
			hint = "this tracepoint has e.args.ret";
		lbc_error(C, tok, hint,
			  "e.retval only exists in return probes (kretfunc, kretprobe, uretprobe)");
	}
	int na = pr && pr->regs ? nargs(pr) : 0;
	if (na == 1)
		lbc_error(C, tok, hint, "e.%.*s: this probe has one argument, arg0", (int)k->n,
			  k->s);
	if (na == 2)
		lbc_error(C, tok, hint, "e.%.*s: this probe has arguments arg0 and arg1", (int)k->n,
			  k->s);
	if (na)
		lbc_error(C, tok, hint, "e.%.*s: this probe has arguments arg0..arg%d", (int)k->n,
			  k->s, na - 1);
	if (hint)
		lbc_error(C, tok, hint, "e.%.*s: this probe's arguments have names, not numbers",
			  (int)k->n, k->s);
	lbc_error(C, tok, NULL, "e.%.*s: this probe has no arguments", (int)k->n, k->s);
}

static struct val argfield(struct lbc *C, int n, const struct node *k)
{
	const struct lbc_probe *pr = C->in->probe;
	if (!pr || !pr->fields) {
		int na = pr && pr->regs ? nargs(pr) : 0;
		if (na == 1)
			snprintf(C->hint, sizeof C->hint,
				 "its argument is e.arg0, an untyped number");
		else if (na)
			snprintf(C->hint, sizeof C->hint,
				 "its arguments are e.arg0 .. e.arg%d, untyped numbers", na - 1);
		lbc_error(C, k->tok, na ? C->hint : NULL, "this probe has no args");
	}
	for (int i = 0; i < pr->nfields; i++) {
		const struct lbc_field *f = &pr->fields[i];
		if (!f->name || strlen(f->name) != k->n || memcmp(f->name, k->s, k->n))
			continue;
		if (f->is_string > LB_FSTR_DATALOC)
			lbc_error(C, k->tok, NULL, "internal: e.args.%s has string kind %u",
				  f->name, f->is_string);
		if (f->is_string == LB_FSTR_ARRAY) {
			if (!f->size)
				lbc_error(C, k->tok, NULL, "e.args.%s is an empty char array",
					  f->name);
		} else if (f->is_string == LB_FSTR_DATALOC) {
			if (f->size != 4)
				lbc_error(C, k->tok, NULL,
					  "e.args.%s is a __data_loc field of %u bytes, not 4",
					  f->name, f->size);
		} else if (f->size != 1 && f->size != 2 && f->size != 4 && f->size != 8) {
			lbc_error(
			    C, k->tok, NULL,
			    "e.args.%s has %u bytes: only 1, 2, 4 and 8-byte fields are supported",
			    f->name, f->size);
		}
		if ((unsigned)f->off + f->size > LB_SCRATCH)
			lbc_error(
			    C, k->tok, NULL,
			    "e.args.%s lies beyond the %d bytes of scratch space (LB_SCRATCH)",
			    f->name, LB_SCRATCH);
		unsigned end = ((unsigned)f->off + f->size + 7) & ~7u;
		if (end > C->plan->ctx_copy)
			C->plan->ctx_copy = end;
		C->curtok = N(n)->tok;
		if (f->btf_type && pr->types)
			return typedfield(C, n, f, lbc_names(C, "e.args.%s", f->name));
		struct val v = {.fname = lbc_names(C, "e.args.%s", f->name)};
		if (f->is_string == LB_FSTR_ARRAY) {
			v.t = T_DSTR;
			v.sk = DS_CTX;
			v.sarg = f->off;
			v.ssize = f->size;
			return v;
		}
		int r = lbc_tmp(C);
		lbc_emit(C, LB_OP_FIELD, r, f->is_signed && !f->is_string ? 1 : 0, 0, f->off,
			 f->size, 0);
		v.reg = r;
		v.ssize = C->maxstr;
		if (f->is_string == LB_FSTR_DATALOC) {
			v.t = T_DSTR;
			v.sk = DS_LOC;
			return v;
		}
		v.t = T_INT;
		v.sk = f->is_string; /* a char *: a number, or a string where one is needed */
		return v;
	}
	snprintf(C->out->missing_field, sizeof C->out->missing_field, "%.*s",
		 (int)(k->n < LB_NAME_MAX ? k->n : LB_NAME_MAX - 1), k->s);
	size_t o = 0;
	o += snprintf(C->hint, sizeof C->hint, "available fields:");
	for (int i = 0; i < pr->nfields && o < sizeof C->hint; i++)
		o += snprintf(C->hint + o, sizeof C->hint - o, "%s %s", i ? "," : "",
			      pr->fields[i].name ? pr->fields[i].name : "?");
	if (!pr->nfields)
		snprintf(C->hint, sizeof C->hint, "this probe has no fields");
	lbc_error(C, k->tok, C->hint, "%s has no field '%.*s'", pr->name ? pr->name : "this probe",
		  (int)(k->n > 64 ? 64 : k->n), k->s);
}

/* what e offers in this probe, for the hint of an unknown field */
static void evhint(struct lbc *C)
{
	const struct lbc_probe *pr = C->in->probe;
	int kind = pr ? pr->kind : LBC_TRACEPOINT, na = pr && pr->regs ? nargs(pr) : 0, ret = 0;
	for (int i = 0; pr && pr->regs && i < pr->nregs; i++)
		ret |= pr->regs[i].name && !strcmp(pr->regs[i].name, "retval");
	if (kind == LBC_TRACEPOINT && !na && !ret) {
		snprintf(C->hint, sizeof C->hint,
			 "e offers pid, tid, uid, gid, cpu, nsecs, comm, probe, "
			 "kstack, ustack and args.NAME");
		return;
	}
	size_t o = (size_t)snprintf(
	    C->hint, sizeof C->hint,
	    "e offers pid, tid, uid, gid, cpu, nsecs, comm, probe, kstack, ustack");
	char args[32] = "";
	if (na == 1)
		snprintf(args, sizeof args, "arg0");
	else if (na)
		snprintf(args, sizeof args, "arg0..arg%d", na - 1);
	const char *more[3] = {pr && pr->fields ? "args.NAME" : NULL, na ? args : NULL,
			       ret ? "retval" : NULL};
	int last = -1;
	for (int i = 0; i < 3; i++)
		if (more[i])
			last = i;
	for (int i = 0; i < 3 && o < sizeof C->hint; i++)
		if (more[i])
			o += (size_t)snprintf(C->hint + o, sizeof C->hint - o, "%s%s",
					      i == last ? " and " : ", ", more[i]);
}

static void strkey(struct lbc *C, int n, const char *what)
{
	const struct node *k = N(N(n)->b);
	if (k->k != X_STR)
		lbc_error(C, k->tok, NULL, "index %s with a field name", what);
}

static struct val index_(struct lbc *C, int n)
{
	const struct node *x = N(n), *k = N(x->b);
	int ws = C->wantstr, save = C->regtop;
	C->wantstr = 0;
	C->kobjok = 1; /* a kernel struct: its member is wanted */
	struct val b = lbc_expr(C, x->a), v = {0};
	if ((b.t == T_INT && b.btf) || b.t == T_KOBJ) {
		if (k->k == X_STR)
			return kmember(C, n, b, k, save);
		return kindex(C, n, b, save);
	}
	if (b.t == T_INT && b.fname && k->k == X_STR)
		lbc_error(C, k->tok, NULL, "%s is %s: it has no member '%.*s'", b.fname,
			  b.sk ? "a char * (a string pointer)" : "a number",
			  (int)(k->n > 64 ? 64 : k->n), k->s);
	switch (b.t) {
	case T_EVENT:
		strkey(C, n, "the event");
		for (size_t i = 0; i < sizeof efields / sizeof *efields; i++)
			if (strlen(efields[i].name) == k->n &&
			    !memcmp(efields[i].name, k->s, k->n)) {
				int r = lbc_tmp(C);
				lbc_emit(C, LB_OP_CTX, r, 0, 0, 0, 0, efields[i].ctx);
				return inreg(T_INT, r);
			}
		if (k->n == 4 && !memcmp(k->s, "comm", 4)) {
			v.t = T_COMM;
			return v;
		}
		if (k->n == 5 && !memcmp(k->s, "probe", 5)) {
			int r = lbc_tmp(C);
			lbc_emit(C, LB_OP_CTX, r, 0, 0, 0, 0, LB_CTX_PROBE);
			return inreg(T_PROBE, r);
		}
		if (k->n == 4 && !memcmp(k->s, "args", 4)) {
			v.t = T_ARGS;
			return v;
		}
		if (lbc_isname(k->s, k->n, "kstack") || lbc_isname(k->s, k->n, "ustack")) {
			int user = k->s[0] == 'u', r = lbc_tmp(C);
			lbc_emit(C, LB_OP_STACK, r, 0, 0, 0, LB_STACK_DEPTH, user);
			return inreg(user ? T_USTACK : T_KSTACK, r);
		}
		if (isregname(k->s, k->n))
			return regfield(C, n, k);
		evhint(C);
		lbc_error(C, k->tok, C->hint, "the event has no field '%.*s'",
			  (int)(k->n > 64 ? 64 : k->n), k->s);
	case T_ARGS: strkey(C, n, "e.args"); return argfield(C, n, k);
	case T_MODULE:
		strkey(C, n, "the bpf module");
		if (isbuiltin_name(k->s, k->n) || inlist(later, k->s, k->n)) {
			v.t = T_BUILTIN;
			v.s = k->s;
			v.n = k->n;
			return v;
		}
		if (inlist(userside, k->s, k->n))
			lbc_error(
			    C, k->tok, "call it outside the handler",
			    "bpf.%.*s runs in user space; it cannot be used in a kernel handler",
			    (int)k->n, k->s);
		lbc_error(C, k->tok, BUILTINS, "unknown builtin bpf.%.*s",
			  (int)(k->n > 64 ? 64 : k->n), k->s);
	case T_MAP: C->wantstr = ws; return lbc_mapread(C, &b, n);
	case T_OTHER:
		lbc_error(
		    C, x->tok,
		    "kernel handlers can use numbers, strings and booleans captured from outside",
		    "cannot use a user-space %s in a kernel handler", b.s);
	}
	lbc_error(C, x->tok, NULL, "cannot index %s", lbc_tname(b.t));
}

/* --- calls -------------------------------------------------------------- */

static struct val call_(struct lbc *C, int n)
{
	const struct node *x = N(n);
	int root = x->a, k = 0;
	char path[128];
	while (N(root)->k == X_INDEX && N(root)->op == 1 && k++ < 8)
		root = N(root)->a;
	if (N(root)->k == X_NAME) {
		struct val r = lbc_name(C, root);
		if (r.t == T_OTHER) {
			/* the dotted name as written: print, string.format ... */
			const struct tok *a = &C->toks[N(root)->tok];
			size_t len = C->toks[N(x->a)->tok].end - a->pos;
			if (len >= sizeof path)
				len = sizeof path - 1;
			memcpy(path, C->in->source + a->pos, len);
			path[len] = 0;
			for (size_t i = 0; i < len; i++)
				if ((unsigned char)path[i] < 32)
					path[i] = '?';
			if (!strcmp(path, "print") || !strncmp(path, "string.", 7) ||
			    !strncmp(path, "io.", 3)) {
				snprintf(C->hint, sizeof C->hint,
					 "%s runs in user space; use bpf.printf or bpf.print here",
					 path);
				lbc_error(C, N(root)->tok, C->hint,
					  "cannot call %s in a kernel handler", path);
			}
			lbc_error(C, N(root)->tok,
				  "only bpf builtins run in the kernel; compute values outside and "
				  "capture them as upvalues",
				  "cannot call %s (a user-space %s) in a kernel handler", path,
				  r.s);
		}
	}
	struct val f = lbc_expr(C, x->a);
	if (f.t == T_BUILTIN) {
		if (lbc_isname(f.s, f.n, "str"))
			return lbc_strcall(C, n);
		if (inlist(values, f.s, f.n))
			return lbc_valcall(C, n, f.s, f.n);
		if (inlist(aggs, f.s, f.n)) {
			if (lbc_isname(f.s, f.n, "count"))
				snprintf(C->hint, sizeof C->hint, "e.g. m[e.comm] = bpf.count()");
			else if (lbc_isname(f.s, f.n, "lhist"))
				snprintf(C->hint, sizeof C->hint,
					 "e.g. m[e.comm] = bpf.lhist(x, 0, 100, 10)");
			else
				snprintf(C->hint, sizeof C->hint, "e.g. m[e.comm] = bpf.%.*s(x)",
					 (int)f.n, f.s);
			lbc_error(C, x->tok, C->hint,
				  "bpf.%.*s() can only be assigned to a map element", (int)f.n,
				  f.s);
		}
		if (inlist(stmts, f.s, f.n))
			lbc_error(C, x->tok, NULL,
				  "bpf.%.*s() returns nothing: call it as a statement", (int)f.n,
				  f.s);
		if (inlist(later, f.s, f.n))
			lbc_error(C, x->tok, NULL,
				  "bpf.%.*s is not supported in kernel handlers yet", (int)f.n,
				  f.s);
		lbc_error(C, x->tok, BUILTINS, "unknown builtin %.*s", (int)(f.n > 64 ? 64 : f.n),
			  f.s);
	}
	if (f.t == T_MAP)
		lbc_error(C, x->tok, "index it: m[key] = bpf.count()", "a map cannot be called");
	lbc_error(C, x->tok, NULL, "cannot call %s", lbc_tname(f.t));
}

static void methoderr(struct lbc *C, int n)
{
	const struct node *x = N(n);
	if (N(x->a)->k == X_NAME && lbc_name(C, x->a).t == T_MAP)
		lbc_error(
		    C, x->tok, "kernel handlers update maps with m[k] = bpf.count() or bpf.sum(x)",
		    "map methods (m:%.*s()) run in user space", (int)(x->n > 64 ? 64 : x->n), x->s);
	lbc_error(C, x->tok, NULL, "method calls are not supported in kernel handlers");
}

/* --- operators ---------------------------------------------------------- */

static int64_t shl(uint64_t x, int64_t y)
{
	if (y <= -64 || y >= 64)
		return 0;
	return (int64_t)(y >= 0 ? x << y : x >> -y);
}

static int arith_code(int op)
{
	switch (op) {
	case '+': return LB_OP_ADD;
	case '-': return LB_OP_SUB;
	case '*': return LB_OP_MUL;
	case '/':
	case TK_IDIV: return LB_OP_DIV;
	case '%': return LB_OP_MOD;
	case '&': return LB_OP_BAND;
	case '|': return LB_OP_BOR;
	case '~': return LB_OP_BXOR;
	case TK_SHL: return LB_OP_SHL;
	case TK_SHR: return LB_OP_SHR;
	case TK_EQ: return LB_OP_EQ;
	case TK_NE: return LB_OP_NE;
	case '<': return LB_OP_LT;
	case TK_LE: return LB_OP_LE;
	case '>': return LB_OP_GT;
	case TK_GE: return LB_OP_GE;
	}
	return -1;
}

static int64_t fold(struct lbc *C, int n, int op, int64_t a, int64_t b)
{
	uint64_t x = (uint64_t)a, y = (uint64_t)b;
	switch (op) {
	case '+': return (int64_t)(x + y);
	case '-': return (int64_t)(x - y);
	case '*': return (int64_t)(x * y);
	case '/':
	case TK_IDIV:
	case '%':
		if (b == 0)
			lbc_error(C, N(n)->tok, NULL, "division by zero");
		if (b == -1)
			return op == '%' ? 0 : (int64_t)(0 - x);
		{ /* Lua floors */
			int64_t q = a / b, r = a % b;
			if (r != 0 && (r ^ b) < 0) {
				q--;
				r += b;
			}
			return op == '%' ? r : q;
		}
	case '&': return (int64_t)(x & y);
	case '|': return (int64_t)(x | y);
	case '~': return (int64_t)(x ^ y);
	case TK_SHL: return shl(x, b);
	case TK_SHR: return b == INT64_MIN ? 0 : shl(x, -b);
	case TK_EQ: return a == b;
	case TK_NE: return a != b;
	case '<': return a < b;
	case TK_LE: return a <= b;
	case '>': return a > b;
	case TK_GE: return a >= b;
	}
	return 0;
}

/* the hint for a string used as a number */
static void strhint(struct lbc *C, const struct val *v)
{
	if (v->viastr && v->fname)
		snprintf(C->hint, sizeof C->hint,
			 "bpf.str(%s) is a string here: compare it with a string, "
			 "or use %s without bpf.str() as a number (its address)",
			 v->fname, v->fname);
	else if (v->viastr)
		snprintf(C->hint, sizeof C->hint,
			 "bpf.str(p) is a string here: compare it with a string, "
			 "or use p without bpf.str() as a number (its address)");
	else if (v->fname)
		snprintf(C->hint, sizeof C->hint,
			 "%s is a string: compare it with a string, or use it "
			 "as a map key, a printf %%s argument or a string map value",
			 v->fname);
	else
		snprintf(C->hint, sizeof C->hint,
			 "strings can be compared with == and ~=, and used as map keys, "
			 "printf %%s arguments and string map values");
}

/* a struct or array in kernel memory used as a value */
static void kobjerr(struct lbc *C, int tok, const struct val *v)
{
	struct lbc_type t;
	const struct lbc_types *T = C->in->probe ? C->in->probe->types : NULL;
	const char *name = v->fname ? v->fname : "the value";
	ktype(C, tok, v->btf, &t, name);
	if (t.kind == LBC_T_STRUCT && T && T->members) {
		size_t o = (size_t)snprintf(C->hint, sizeof C->hint, "members of %s: ", t.name);
		if (o < sizeof C->hint)
			T->members(T->ud, v->btf, C->hint + o, sizeof C->hint - o);
		C->hint[sizeof C->hint - 1] = 0;
	} else {
		snprintf(C->hint, sizeof C->hint, "index it with a constant: %s[0]", name);
	}
	lbc_error(C, tok, C->hint, "%s is %s, in kernel memory: only its %s can be used", name,
		  t.name, t.kind == LBC_T_STRUCT ? "members" : "elements");
}

static void need(struct lbc *C, const struct val *v, int t, int n, const char *what)
{
	if (v->t == t)
		return;
	if (t == T_BOOL && v->pres)
		return; /* a map value: true iff present */
	if (t == T_BOOL && v->t == T_INT)
		lbc_error(C, N(n)->tok, "compare explicitly, e.g. `x ~= 0`",
			  "a number is always true in a Lua condition (even 0)");
	if (t == T_BOOL && (v->t == T_STR || v->t == T_COMM || v->t == T_DSTR))
		lbc_error(C, N(n)->tok, NULL, "a string is always true in a Lua condition");
	if (v->t == T_DSTR) {
		char b[128];
		strhint(C, v);
		lbc_error(C, N(n)->tok, C->hint, "cannot %s %s", what, lbc_vname(v, b, sizeof b));
	}
	lbc_error(C, N(n)->tok, NULL, "cannot %s %s", what, lbc_tname(v->t));
}

/* r = (comm == s) for a comm-vs-constant comparison */
static int streq(struct lbc *C, int n, const char *s, size_t len)
{
	if (len >= LB_COMM_LEN || memchr(s, 0, len))
		lbc_error(
		    C, N(n)->tok, NULL,
		    "e.comm holds at most %d bytes and no NUL, so it never equals this string",
		    LB_COMM_LEN - 1);
	int p = lbc_pool(C, s, len, LB_COMM_LEN);
	int r = lbc_tmp(C);
	if (C->kneed < LB_COMM_LEN)
		C->kneed = LB_COMM_LEN;
	lbc_emit(C, LB_OP_COMM, 0, 0, 0, 0, LB_COMM_LEN, 0);
	lbc_emit(C, LB_OP_STREQ, r, 0, 0, 0, LB_COMM_LEN, p);
	return r;
}

static struct val compare(struct lbc *C, int n, struct val l, struct val r, int save)
{
	int op = N(n)->op, eq = op == TK_EQ || op == TK_NE;
	char b1[128], b2[128];
	/* a char * field compared with a string is the string */
	if (lbc_isstr(&l) && r.t == T_INT && r.sk)
		r = lbc_tostr(C, r);
	if (lbc_isstr(&r) && l.t == T_INT && l.sk)
		l = lbc_tostr(C, l);
	int isstr_l = lbc_isstr(&l), isstr_r = lbc_isstr(&r);
	if (l.t == T_PROBE || r.t == T_PROBE)
		lbc_error(C, N(n)->tok, NULL, "comparing e.probe is not supported yet");
	if (isstr_l && isstr_r) {
		if (!eq)
			lbc_error(C, N(n)->tok, NULL,
				  "ordering strings is not supported in kernel handlers");
		int res;
		if (l.t == T_DSTR || r.t == T_DSTR) {
			int reg = lbc_streq(C, n, l, r, save);
			if (op == TK_NE)
				lbc_emit(C, LB_OP_NOT, reg, reg, 0, 0, 0, 0);
			return inreg(T_BOOL, reg);
		}
		if (l.t == T_STR && r.t == T_STR)
			res = l.n == r.n && !memcmp(l.s, r.s, l.n);
		else if (l.t == T_COMM && r.t == T_COMM)
			res = 1;
		else {
			struct val *s = l.t == T_STR ? &l : &r;
			C->regtop = save;
			int reg = streq(C, n, s->s, s->n);
			if (op == TK_NE)
				lbc_emit(C, LB_OP_NOT, reg, reg, 0, 0, 0, 0);
			return inreg(T_BOOL, reg);
		}
		return mkint(T_BOOL, op == TK_EQ ? res : !res);
	}
	if (l.t != r.t || (l.t != T_INT && l.t != T_BOOL)) {
		if ((l.t == T_INT || l.t == T_BOOL || isstr_l) &&
		    (r.t == T_INT || r.t == T_BOOL || isstr_r)) {
			const struct val *d = l.t == T_DSTR ? &l : r.t == T_DSTR ? &r : NULL;
			if (d)
				strhint(C, d);
			lbc_error(C, N(n)->tok,
				  d    ? C->hint
				  : eq ? "in Lua they are never equal"
				       : NULL,
				  "cannot compare %s with %s", lbc_vname(&l, b1, sizeof b1),
				  lbc_vname(&r, b2, sizeof b2));
		}
		lbc_error(C, N(n)->tok, NULL, "cannot compare %s",
			  lbc_tname(l.t == T_INT || l.t == T_BOOL || isstr_l ? r.t : l.t));
	}
	if (l.t == T_BOOL && !eq)
		lbc_error(C, N(n)->tok, NULL, "cannot order two booleans");
	if (l.isconst && r.isconst)
		return mkint(T_BOOL, fold(C, n, op, l.i, r.i));
	int a = lbc_reg(C, &l), b = lbc_reg(C, &r);
	C->regtop = save;
	int d = lbc_tmp(C);
	lbc_emit(C, arith_code(op), d, a, b, 0, 0, 0);
	return inreg(T_BOOL, d);
}

static struct val logic(struct lbc *C, int n)
{
	int save = C->regtop, list = LBC_NOJ;
	lbc_jump(C, n, 0, &list);
	C->regtop = save;
	int d = lbc_tmp(C);
	lbc_emit(C, LB_OP_IMM, d, 0, 0, 0, 0, 1);
	int j = lbc_emit(C, LB_OP_JMP, 0, 0, 0, 0, 0, 0);
	lbc_patch(C, list, (int)C->plan->nops);
	lbc_emit(C, LB_OP_IMM, d, 0, 0, 0, 0, 0);
	C->plan->ops[j].off = (__u16)C->plan->nops;
	return inreg(T_BOOL, d);
}

/* Can the value of node n be missing (nil)? Map reads, locals holding
 * one, and `a or b` chains ending in one. Emits no code. */
static int maybe_nil(struct lbc *C, int n)
{
	const struct node *x = N(n);
	if (x->k == X_INDEX && N(x->a)->k == X_NAME)
		return lbc_name(C, x->a).t == T_MAP;
	if (x->k == X_NAME) {
		for (int i = C->nlocals - 1; i >= 0; i--)
			if (C->locals[i].n == x->n && !memcmp(C->locals[i].name, x->s, x->n))
				return C->locals[i].v.pres != 0;
		return 0;
	}
	if (x->k == X_BIN && x->op == TK_OR)
		return maybe_nil(C, x->a) && maybe_nil(C, x->b);
	return 0;
}

/* `a or b` where a is a map value: a if present, else b */
static struct val valor(struct lbc *C, int n)
{
	const struct node *x = N(n);
	int save = C->regtop;
	struct val l = lbc_expr(C, x->a);
	if (l.t != T_INT)
		lbc_error(C, x->tok,
			  "an absent string value reads as \"\"; test it with `if m[k] then`",
			  "`or` after %s is not supported", lbc_tname(l.t));
	int lp = l.pres - 1, rb = maybe_nil(C, x->b);
	C->regtop = save;
	int d = lbc_tmp(C), dp = -1;
	if (d == lp)
		d = lbc_tmp(C);
	if (rb)
		dp = lbc_tmp(C);
	C->curtok = x->tok;
	if (d != l.reg)
		lbc_emit(C, LB_OP_MOV, d, l.reg, 0, 0, 0, 0);
	int j = lbc_emit(C, rb ? LB_OP_JZ : LB_OP_JNZ, 0, lp, 0, 0, 0, 0), k = -1;
	if (rb) {
		lbc_emit(C, LB_OP_IMM, dp, 0, 0, 0, 0, 1);
		k = lbc_emit(C, LB_OP_JMP, 0, 0, 0, 0, 0, 0);
		C->plan->ops[j].off = (__u16)C->plan->nops;
	}
	struct val r = lbc_expr(C, x->b);
	if (r.t != T_INT)
		lbc_error(C, N(x->b)->tok, "e.g. m[k] or 0",
			  "`or` after a map value needs a number on its right, not %s",
			  lbc_tname(r.t));
	C->curtok = x->tok;
	if (r.isconst)
		lbc_emit(C, LB_OP_IMM, d, 0, 0, 0, 0, r.i);
	else if (r.reg != d)
		lbc_emit(C, LB_OP_MOV, d, r.reg, 0, 0, 0, 0);
	if (rb) {
		lbc_emit(C, LB_OP_MOV, dp, r.pres - 1, 0, 0, 0, 0);
		C->plan->ops[k].off = (__u16)C->plan->nops;
	} else {
		C->plan->ops[j].off = (__u16)C->plan->nops;
	}
	C->regtop = (dp > d ? dp : d) + 1;
	struct val v = inreg(T_INT, d);
	v.pres = rb ? dp + 1 : 0;
	return v;
}

/* x == nil, x ~= nil: presence of a map value */
static struct val cmpnil(struct lbc *C, int n)
{
	const struct node *x = N(n);
	int save = C->regtop, eq = x->op == TK_EQ;
	if (N(x->a)->k == X_NIL && N(x->b)->k == X_NIL)
		return mkint(T_BOOL, eq);
	struct val v = lbc_expr(C, N(x->a)->k == X_NIL ? x->b : x->a);
	if (!v.pres)
		return mkint(T_BOOL, !eq); /* never nil */
	C->curtok = x->tok;
	if (!eq)
		return inreg(T_BOOL, v.pres - 1);
	C->regtop = save;
	int d = lbc_tmp(C);
	lbc_emit(C, LB_OP_NOT, d, v.pres - 1, 0, 0, 0, 0);
	return inreg(T_BOOL, d);
}

static struct val binary(struct lbc *C, int n)
{
	const struct node *x = N(n);
	int op = x->op, save = C->regtop;
	if (op == TK_OR && maybe_nil(C, x->a))
		return valor(C, n);
	if (op == TK_AND || op == TK_OR)
		return logic(C, n);
	if ((op == TK_EQ || op == TK_NE) && (N(x->a)->k == X_NIL || N(x->b)->k == X_NIL))
		return cmpnil(C, n);
	if (op == '^')
		lbc_error(C, x->tok, "use * or << for powers",
			  "exponentiation (^) is a float operation in Lua and is not supported");
	if (op == TK_CONCAT)
		lbc_error(C, x->tok, NULL,
			  "string concatenation (..) is not supported in kernel handlers");
	int code = arith_code(op), cmpeq = op == TK_EQ || op == TK_NE;
	C->wantstr = cmpeq && lbc_stringy(C, x->b);
	struct val l = lbc_expr(C, x->a);
	C->wantstr = cmpeq && lbc_stringy(C, x->a);
	struct val r = lbc_expr(C, x->b);
	if (code >= LB_OP_EQ)
		return compare(C, n, l, r, save);
	need(C, &l, T_INT, n, "do arithmetic on");
	need(C, &r, T_INT, n, "do arithmetic on");
	if (l.isconst && r.isconst)
		return mkint(T_INT, fold(C, n, op, l.i, r.i));
	if (r.isconst && r.i == 0 && (code == LB_OP_DIV || code == LB_OP_MOD))
		lbc_error(C, x->tok, NULL, "division by zero");
	int a = lbc_reg(C, &l), b = lbc_reg(C, &r);
	C->regtop = save;
	int d = lbc_tmp(C);
	lbc_emit(C, code, d, a, b, 0, 0, 0);
	return inreg(T_INT, d);
}

static struct val unary(struct lbc *C, int n)
{
	const struct node *x = N(n);
	int save = C->regtop;
	if (x->op == '#')
		lbc_error(C, x->tok, NULL,
			  "the length operator # is not supported in kernel handlers");
	struct val v = lbc_expr(C, x->a);
	if (x->op == TK_NOT) {
		need(C, &v, T_BOOL, x->a, "negate");
		if (v.isconst)
			return mkint(T_BOOL, !v.i);
		if (v.pres) {
			v.t = T_BOOL;
			v.reg = v.pres - 1;
		}
	} else {
		need(C, &v, T_INT, x->a, "do arithmetic on");
		if (v.isconst)
			return mkint(T_INT, x->op == '-' ? (int64_t)(0 - (uint64_t)v.i) : ~v.i);
	}
	C->regtop = save;
	int d = lbc_tmp(C);
	lbc_emit(C,
		 x->op == TK_NOT ? LB_OP_NOT
		 : x->op == '-'	 ? LB_OP_NEG
				 : LB_OP_BNOT,
		 d, v.reg, 0, 0, 0, 0);
	return inreg(v.t, d);
}

struct val lbc_expr(struct lbc *C, int n)
{
	const struct node *x = N(n);
	struct val v = {0};
	int saved = C->depth, ws = C->wantstr, kok = C->kobjok;
	C->wantstr = 0;
	C->kobjok = 0;
	lbc_enter(C, x->tok);
	C->curtok = x->tok;
	switch (x->k) {
	case X_INT: v = mkint(T_INT, x->i); break;
	case X_TRUE: v = mkint(T_BOOL, 1); break;
	case X_FALSE: v = mkint(T_BOOL, 0); break;
	case X_FLT:
		if (!(x->d >= -0x1p63 && x->d < 0x1p63) || (double)(int64_t)x->d != x->d)
			lbc_error(C, x->tok, "BPF handlers compute with integers",
				  "float %.14g is not supported", x->d);
		v = mkint(T_INT, (int64_t)x->d);
		break;
	case X_STR:
		v.t = T_STR;
		v.s = x->s;
		v.n = x->n;
		break;
	case X_NIL: lbc_error(C, x->tok, NULL, "nil is not supported here");
	case X_DOTS: lbc_error(C, x->tok, NULL, "varargs (...) cannot be used in a kernel handler");
	case X_NAME: v = lbc_name(C, n); break;
	case X_INDEX:
		C->wantstr = ws;
		v = index_(C, n);
		break;
	case X_CALL: v = call_(C, n); break;
	case X_METHOD: methoderr(C, n); break;
	case X_TABLE:
		lbc_error(C, x->tok, "a tuple key looks like m[{a, b}]",
			  "table constructors are only allowed as map keys");
	case X_BIN: v = binary(C, n); break;
	case X_UN: v = unary(C, n); break;
	default: lbc_error(C, x->tok, NULL, "internal: bad expression");
	}
	if (v.t == T_KOBJ && !kok)
		kobjerr(C, x->k == X_INDEX ? N(x->b)->tok : x->tok, &v);
	C->depth = saved;
	return v;
}

/* Emit code that jumps (to the ops chained in *list) when the truth of
 * node n equals sense, and falls through otherwise. and/or short-circuit. */
void lbc_jump(struct lbc *C, int n, int sense, int *list)
{
	const struct node *x = N(n);
	int saved = C->depth, save = C->regtop;
	lbc_enter(C, x->tok);
	C->curtok = x->tok;
	if (x->k == X_BIN && (x->op == TK_AND || x->op == TK_OR)) {
		/* "a and b" jumps on false when either does; on true it needs both */
		int same = (x->op == TK_AND) == !sense;
		if (same) {
			lbc_jump(C, x->a, sense, list);
			lbc_jump(C, x->b, sense, list);
		} else {
			int skip = LBC_NOJ;
			lbc_jump(C, x->a, !sense, &skip);
			lbc_jump(C, x->b, sense, list);
			lbc_patch(C, skip, (int)C->plan->nops);
		}
	} else if (x->k == X_UN && x->op == TK_NOT) {
		lbc_jump(C, x->a, !sense, list);
	} else {
		struct val v = lbc_expr(C, n);
		need(C, &v, T_BOOL, n, "use as a condition");
		if (v.pres) {
			v.isconst = 0;
			v.reg = v.pres - 1;
		}
		if (v.isconst) {
			if (!!v.i == sense)
				addjump(C, list, lbc_emit(C, LB_OP_JMP, 0, 0, 0, 0, 0, 0));
		} else {
			addjump(C, list,
				lbc_emit(C, sense ? LB_OP_JNZ : LB_OP_JZ, 0, v.reg, 0, 0, 0, 0));
		}
	}
	C->regtop = save;
	C->depth = saved;
}
