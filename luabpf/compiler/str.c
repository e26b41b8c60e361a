/* Strings read in the kernel: char * fields and bpf.str() (LB_OP_STR),
 * __data_loc fields (LB_OP_DATALOC), char[N] fields of the ctx copy and
 * string map values (LB_OP_COPY), their comparisons (LB_OP_STREQ against
 * the pool, LB_OP_SCMP between two) and their temporaries.
 *
 * A string value (struct val T_DSTR, or a T_INT char * field used where a
 * string is needed) is not read where it is evaluated but where it is
 * used, straight into its place: a key field, a printf argument, a
 * temporary. Temporaries live in their own area after the key/record
 * area (A_TMP), so map reads of strings survive the keys built after
 * them. Strings that keys, map values and comparisons see are zero
 * padded to their slot (a multiple of 8); printf arguments need not be. */
#include <stdio.h>
#include <string.h>
#include "lbc.h"

#define N(i) (&C->nodes[i])

int lbc_slot(int size)
{
	return (size + 7) & ~7;
}

/* a temporary of size bytes (a multiple of 8), until the statement ends */
int lbc_stmp(struct lbc *C, int size)
{
	int off = C->stop;
	if (off + size > LB_SCRATCH)
		lbc_error(C, C->curtok, "read shorter strings with bpf.str(p, n)",
			  "strings need more than the %d bytes of scratch space (LB_SCRATCH)",
			  LB_SCRATCH);
	C->stop += size;
	if (C->stop > C->sneed)
		C->sneed = C->stop;
	return off;
}

int lbc_isstr(const struct val *v)
{
	return v->t == T_STR || v->t == T_COMM || v->t == T_DSTR;
}

/* a char * field (a number) as the string it points to */
struct val lbc_tostr(struct lbc *C, struct val v)
{
	(void)C;
	if (v.t != T_INT || !v.sk)
		return v;
	v.t = T_DSTR;
	v.sarg = v.sk == LB_FSTR_UPTR;
	v.sk = DS_PTR;
	v.pres = 0;
	return v;
}

/* bytes the string needs, with its NUL */
int lbc_strsize(const struct val *v)
{
	switch (v->t) {
	case T_STR: return (int)v->n + 1;
	case T_COMM: return LB_COMM_LEN;
	case T_DSTR: return v->ssize;
	case T_INT: return v->sk ? v->ssize : 8;
	}
	return 8;
}

/* The most bytes (NUL included) a string that node n evaluates to needs:
 * a constant its own, `c and x or y` its values' most, others max_strlen
 * (at least e.comm's). *konst: one of them is a string constant. */
int lbc_strbound(struct lbc *C, int n, int *konst)
{
	const struct node *x = N(n);
	struct val v;
	if (x->k == X_BIN && x->op == TK_OR) {
		int a = lbc_strbound(C, x->a, konst), b = lbc_strbound(C, x->b, konst);
		return a > b ? a : b;
	}
	if (x->k == X_BIN && x->op == TK_AND)
		return lbc_strbound(C, x->b, konst);
	if (x->k == X_STR || (x->k == X_NAME && (v = lbc_name(C, n)).t == T_STR)) {
		*konst = 1;
		return (int)(x->k == X_STR ? x->n : v.n) + 1;
	}
	return C->maxstr > LB_COMM_LEN ? C->maxstr : LB_COMM_LEN;
}

const char *lbc_vname(const struct val *v, char *buf, size_t len)
{
	if (v->t == T_DSTR && v->fname && !v->viastr)
		snprintf(buf, len, "%s (a string)", v->fname);
	else if (v->t == T_DSTR && v->fname)
		snprintf(buf, len, "bpf.str(%s) (a string)", v->fname);
	else if (v->t == T_DSTR && v->viastr)
		snprintf(buf, len, "bpf.str() (a string)");
	else if (v->t == T_DSTR && v->sk == DS_TMP)
		snprintf(buf, len, "a string map value");
	else
		snprintf(buf, len, "%s", lbc_tname(v->t));
	return buf;
}

/* zeros at scratch[off .. off+len) of area; off and len multiples of 8 */
void lbc_zero(struct lbc *C, int area, int off, int len)
{
	if (len <= 0)
		return;
	int chunk = len < 64 ? len : 64;
	int z = lbc_pool(C, "", 0, (size_t)chunk);
	for (int o = 0; o < len; o += chunk) {
		int n = len - o < chunk ? len - o : chunk;
		lbc_rel(C, lbc_emit(C, LB_OP_STRCPY, 0, 0, 0, off + o, n, z), area, A_ABS);
	}
}

/* Write string v to scratch[off .. off+size) of area (size a multiple of
 * 8, at least the string's slot for constants and e.comm: callers check).
 * Longer strings are cut to size - 1 bytes. zero: pad with zeros up to
 * size (keys, values, comparisons). */
void lbc_strput(struct lbc *C, const struct val *v, int area, int off, int size, int zero)
{
	struct val s = lbc_tostr(C, *v);
	int n = s.ssize < size ? s.ssize : size, pc;
	switch (s.t) {
	case T_STR:
		if ((int)s.n + 1 > size)
			lbc_error(C, C->curtok, NULL, "internal: string does not fit");
		if (size <= LB_COMM_LEN || (!zero && size <= LB_POOL)) {
			int p = lbc_pool(C, s.s, s.n, (size_t)size);
			lbc_rel(C, lbc_emit(C, LB_OP_STRCPY, 0, 0, 0, off, size, p), area, A_ABS);
		} else {
			int k = lbc_slot((int)s.n + 1);
			int p = lbc_pool(C, s.s, s.n, (size_t)k);
			lbc_rel(C, lbc_emit(C, LB_OP_STRCPY, 0, 0, 0, off, k, p), area, A_ABS);
			if (zero)
				lbc_zero(C, area, off + k, size - k);
		}
		return;
	case T_COMM:
		if (size < LB_COMM_LEN)
			lbc_error(C, C->curtok, NULL, "internal: e.comm does not fit");
		lbc_rel(C, lbc_emit(C, LB_OP_COMM, 0, 0, 0, off, LB_COMM_LEN, 0), area, A_ABS);
		if (zero)
			lbc_zero(C, area, off + LB_COMM_LEN, size - LB_COMM_LEN);
		return;
	case T_DSTR: break;
	default: lbc_error(C, C->curtok, NULL, "internal: not a string");
	}
	/* zeros first: the string then overwrites the word it ends in */
	if (zero)
		lbc_zero(C, area, off + (n & ~7), size - (n & ~7));
	switch (s.sk) {
	case DS_PTR:
		pc = lbc_emit(C, LB_OP_STR, 0, s.reg, zero, off, n, s.sarg);
		lbc_rel(C, pc, area, A_ABS);
		break;
	case DS_LOC:
		pc = lbc_emit(C, LB_OP_DATALOC, 0, s.reg, zero, off, n, 0);
		lbc_rel(C, pc, area, A_ABS);
		break;
	case DS_CTX:
		pc = lbc_emit(C, LB_OP_COPY, 0, 0, 0, off, n, s.sarg);
		lbc_rel(C, pc, area, A_ABS);
		break;
	case DS_TMP:
		pc = lbc_emit(C, LB_OP_COPY, 0, 0, 0, off, n, s.sarg);
		lbc_rel(C, pc, area, A_TMP);
		break;
	}
}

/* v in a zero padded temporary (or in place: temporaries, char[N] in the
 * ctx copy); *area, returns the offset; *size its zero padded bytes */
static int intemp(struct lbc *C, const struct val *v, int *area, int *size)
{
	if (v->t == T_DSTR && v->sk == DS_TMP) {
		*area = A_TMP;
		*size = v->ssize;
		return v->sarg;
	}
	if (v->t == T_DSTR && v->sk == DS_CTX && v->ssize % 8 == 0) {
		*area = A_ABS; /* a char[N] field, in place */
		*size = v->ssize;
		return v->sarg;
	}
	int sz = lbc_slot(lbc_strsize(v));
	int t = lbc_stmp(C, sz);
	lbc_strput(C, v, A_TMP, t, sz, 1);
	*area = A_TMP;
	*size = sz;
	return t;
}

/* r = (l == r) for two strings, one of them read in the kernel (T_DSTR);
 * the result register is allocated at save */
int lbc_streq(struct lbc *C, int n, struct val l, struct val r, int save)
{
	char b1[128];
	struct val *d = l.t == T_DSTR ? &l : &r, *o = l.t == T_DSTR ? &r : &l;
	int reg;
	C->curtok = N(n)->tok;
	if (o->t == T_STR) {
		int max = d->ssize - 1;
		if (o->n > (size_t)max || memchr(o->s, 0, o->n)) {
			if (d->sk == DS_PTR || d->sk == DS_LOC)
				snprintf(C->hint, sizeof C->hint,
					 "strings are read up to max_strlen bytes; read longer "
					 "ones with bpf.str(p, n)");
			lbc_error(
			    C, N(n)->tok, d->sk == DS_PTR || d->sk == DS_LOC ? C->hint : NULL,
			    "%s holds at most %d bytes and no NUL, so it never equals this string",
			    lbc_vname(d, b1, sizeof b1), max);
		}
		int len = lbc_slot((int)o->n + 1), area, off, size;
		if (d->sk == DS_CTX && len <= d->ssize) {
			/* a char[N] field: in place */
			area = A_ABS;
			off = d->sarg;
		} else {
			off = intemp(C, d, &area, &size);
		}
		int p = lbc_pool(C, o->s, o->n, (size_t)len);
		C->regtop = save;
		reg = lbc_tmp(C);
		lbc_rel(C, lbc_emit(C, LB_OP_STREQ, reg, 0, 0, off, len, p), area, A_ABS);
		return reg;
	}
	int la, ra, ls, rs;
	int lo = intemp(C, &l, &la, &ls), ro = intemp(C, &r, &ra, &rs);
	int len = ls < rs ? ls : rs;
	if (len > LB_POOL)
		lbc_error(C, N(n)->tok, "read shorter strings with bpf.str(p, n)",
			  "cannot compare strings of more than %d bytes (these have %d)", LB_POOL,
			  len);
	C->regtop = save;
	reg = lbc_tmp(C);
	lbc_rel(C, lbc_emit(C, LB_OP_SCMP, reg, 0, 0, lo, len, ro), la, ra);
	return reg;
}

/* Does the probe read user memory through plain numbers? */
int lbc_usermem(struct lbc *C)
{
	const struct lbc_probe *pr = C->in->probe;
	if (!pr)
		return 0;
	if (pr->sysmode != LB_SYS_NONE)
		return 1;
	if (pr->kind == LBC_REGS || pr->kind == LBC_USDT) {
		/* uprobe, uretprobe, usdt (and bpftrace's short names): user */
		static const char *const user[] = {
		    "uprobe:", "uretprobe:", "usdt:", "u:", "ur:", "U:", NULL,
		};
		for (int i = 0; pr->name && user[i]; i++)
			if (!strncmp(pr->name, user[i], strlen(user[i])))
				return 1;
		return pr->kind == LBC_USDT;
	}
	return pr->name && (!strncmp(pr->name, "tracepoint:syscalls:", 20) ||
			    !strncmp(pr->name, "t:syscalls:", 11));
}

/* bpf.str(p [, n]) */
struct val lbc_strcall(struct lbc *C, int call)
{
	int a = N(call)->b, size = 0;
	char b1[128];
	if (!a)
		lbc_error(C, N(call)->tok, "e.g. bpf.str(e.args.filename) or bpf.str(p, 32)",
			  "bpf.str() takes a pointer and an optional size");
	struct val v = lbc_expr(C, a);
	int na = N(a)->next;
	if (na) {
		int save = C->regtop;
		struct val s = lbc_expr(C, na);
		C->regtop = save;
		if (N(na)->next)
			lbc_error(C, N(N(na)->next)->tok, NULL,
				  "bpf.str() takes at most two arguments");
		if (s.t != T_INT || !s.isconst || s.i < 1 || s.i > LB_MAX_STR)
			lbc_error(C, N(na)->tok, "the size counts the terminating NUL",
				  "bpf.str(p, n) takes a size, an integer constant from 1 to %d",
				  LB_MAX_STR);
		size = (int)s.i;
	}
	C->curtok = N(call)->tok;
	switch (v.t) {
	case T_INT:
		lbc_reg(C, &v);
		if (v.sk) {
			v = lbc_tostr(C, v);
		} else {
			v.t = T_DSTR;
			v.sk = DS_PTR;
			v.sarg = lbc_usermem(C);
			v.ssize = C->maxstr;
			v.fname = NULL;
		}
		v.pres = 0;
		v.viastr = 1;
		if (size)
			v.ssize = size;
		return v;
	case T_DSTR:
		if (size && (v.sk == DS_PTR || v.sk == DS_LOC))
			v.ssize = size;
		return v;
	case T_STR:
	case T_COMM: return v;
	}
	lbc_error(C, N(a)->tok, NULL, "bpf.str() takes a pointer (a number), not %s",
		  lbc_vname(&v, b1, sizeof b1));
}
