/* Probe arguments: e.argN, e.retval, e.args.NAME, and typed (BTF) pointer chains. */
#include <stdio.h>
#include <string.h>
#include "lbc.h"

#define N(i) (&C->nodes[i])

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
		v.isptr = 1;
		v.btf = f->btf_type;
		if (charptr(C, tok, &t, what)) {
			v.sk = LB_FSTR_KPTR;
			v.ssize = C->maxstr;
		}
	}
	return v;
}

/* b.NAME where b is a typed pointer (T_INT with btf) or a T_KOBJ struct */
struct val lbc_kmember(struct lbc *C, int n, struct val b, const struct node *k, int save)
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
struct val lbc_kindex(struct lbc *C, int n, struct val b, int save)
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

int lbc_isregname(const char *s, size_t n)
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

struct val lbc_regfield(struct lbc *C, int n, const struct node *k)
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

struct val lbc_argfield(struct lbc *C, int n, const struct node *k)
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
		} else if (f->nelem) {
			/* an array: its bytes, as a map key or value or bpf.ntop()'s */
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
		if (f->nelem) {
			v.t = T_ARR;
			v.sarg = f->off;
			v.ssize = f->size;
			v.i = (f->size / f->nelem) | (f->is_signed ? LB_ELEM_SIGNED : 0);
			return v;
		}
		int r = lbc_tmp(C), size = f->size, sign = f->is_signed, ts, tsign;
		/* syscall args are longs whatever their C type: a pid_t is
		 * the low 4 bytes, signed (kill(-26878, ...)) */
		if (f->ctype && !f->is_string && pr->int_type &&
		    pr->int_type(pr->int_type_ud, f->ctype, &ts, &tsign) == 0 && ts <= size &&
		    (ts == 1 || ts == 2 || ts == 4 || ts == 8))
			size = ts, sign = tsign;
		lbc_emit(C, LB_OP_FIELD, r, sign && !f->is_string ? 1 : 0, 0, f->off, size, 0);
		v.reg = r;
		v.ssize = C->maxstr;
		if (f->is_string == LB_FSTR_DATALOC) {
			v.t = T_DSTR;
			v.sk = DS_LOC;
			return v;
		}
		v.t = T_INT;
		v.sk = f->is_string; /* a char *: a number, or a string where one is needed */
		v.isptr = f->is_ptr;
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

/* struct pt_regs, as bpftrace's reg() names it (bpf/arch.h) */
static const struct {
	const char *name;
	int off;
} pt_regs[] = {
#define REG(word, name, ...) {name, (word)*8},
    LB_ARCH_REGS(REG)
#undef REG
};

/* bpf.reg("ip"): a register of the probed context */
struct val lbc_regcall(struct lbc *C, int call)
{
	const struct lbc_probe *pr = C->in->probe;
	const struct node *a = N(N(call)->b);
	int kind = pr ? pr->kind : -1, off = -1;
	if (!N(call)->b || a->k != X_STR || a->next)
		lbc_error(C, N(call)->tok, "e.g. bpf.reg(\"ip\")",
			  "bpf.reg() takes one argument, a register name (a string constant)");
	for (size_t i = 0; i < sizeof pt_regs / sizeof *pt_regs; i++)
		if (lbc_isname(a->s, a->n, pt_regs[i].name))
			off = pt_regs[i].off;
	if (off < 0)
		lbc_error(C, a->tok, LB_ARCH " registers: " LB_ARCH_REG_LIST,
			  "unknown register '%.*s'", (int)(a->n > 32 ? 32 : a->n), a->s);
	if (kind != LBC_REGS && kind != LBC_USDT && kind != LBC_PROFILE)
		lbc_error(C, N(call)->tok, "kprobe, uprobe, usdt and profile handlers have them",
			  "%s has no registers", pr && pr->name ? pr->name : "this probe");
	C->curtok = N(call)->tok;
	struct val v = {.t = T_INT, .fname = lbc_names(C, "bpf.reg(\"%.*s\")", (int)a->n, a->s)};
	v.reg = lbc_tmp(C);
	/* a perf event's context starts with a pointer to the registers */
	int ctxoff = kind == LBC_PROFILE ? 0 : off;
	if ((unsigned)ctxoff + 8 > C->plan->ctx_copy)
		C->plan->ctx_copy = (unsigned)ctxoff + 8;
	lbc_emit(C, LB_OP_FIELD, v.reg, 0, 0, ctxoff, 8, 0);
	if (kind == LBC_PROFILE)
		lbc_emit(C, LB_OP_KREAD, v.reg, v.reg, 0, 0, 8, off);
	return v;
}

/* what e offers in this probe, for the hint of an unknown field */
void lbc_evhint(struct lbc *C)
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

/* a struct or array in kernel memory used as a value */
void lbc_kobjerr(struct lbc *C, int tok, const struct val *v)
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
