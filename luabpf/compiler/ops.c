/* Operators and conditions: arithmetic, constant folding, comparisons, and/or/not. */
#include <stdio.h>
#include <string.h>
#include "lbc.h"

#define N(i) (&C->nodes[i])

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
	if (x->k == X_INDEX && N(x->a)->k == X_NAME) {
		int t = lbc_name(C, x->a).t;
		return t == T_MAP || t == T_VARS;
	}
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

/* --- values chosen by condition: c and x or y ------------------------- */

/* Is node n a truth value (so `a and b or c` of it is a boolean)? */
static int boolish(struct lbc *C, int n)
{
	const struct node *x = N(n);
	switch (x->k) {
	case X_TRUE:
	case X_FALSE:
	case X_NIL: return 1;
	case X_UN: return x->op == TK_NOT;
	case X_BIN: return x->op == TK_AND || x->op == TK_OR || arith_code(x->op) >= LB_OP_EQ;
	case X_NAME: return lbc_name(C, n).t == T_BOOL;
	}
	return 0;
}

/* `c and x or y`, `c1 and x or c2 and y or z`: a value, not a truth */
static int ischoice(struct lbc *C, int n)
{
	const struct node *x = N(n), *l = N(x->a);
	if (x->k != X_BIN || x->op != TK_OR)
		return 0;
	if (l->k == X_BIN && l->op == TK_AND)
		return !boolish(C, l->b);
	return ischoice(C, x->a);
}

/* where the chosen value goes: register reg, or a zero padded string
 * temporary (allocated by the first string) */
struct choice {
	int t; /* T_INT or T_DSTR once known, 0 before */
	int reg, off, size;
	int strs; /* a value is a string constant: char * fields are strings */
};

static void choose(struct lbc *C, int n, struct choice *ch, const struct val *pv)
{
	struct val v = *pv;
	char b[128];
	if (v.t == T_INT && v.sk && (ch->t == T_DSTR || (!ch->t && ch->strs)))
		v = lbc_tostr(C, v);
	int t = lbc_isstr(&v) ? T_DSTR : v.t == T_INT ? T_INT : 0;
	if (!t)
		lbc_error(C, N(n)->tok, "its values must be numbers or strings",
			  "`c and x or y` cannot choose %s", lbc_vname(&v, b, sizeof b));
	if (ch->t && t != ch->t)
		lbc_error(C, N(n)->tok, "both values must be numbers, or both strings",
			  "`c and x or y` cannot choose between a string and a number");
	C->curtok = N(n)->tok;
	if (t == T_DSTR) {
		if (!ch->t)
			ch->off = lbc_stmp(C, ch->size);
		lbc_strput(C, &v, A_TMP, ch->off, ch->size, 1);
	} else if (v.isconst) {
		lbc_emit(C, LB_OP_IMM, ch->reg, 0, 0, 0, 0, v.i);
	} else if (v.reg != ch->reg) {
		lbc_emit(C, LB_OP_MOV, ch->reg, v.reg, 0, 0, 0, 0);
	}
	ch->t = t;
}

/* One alternative of the chain: when it holds, its value into ch and a
 * jump to *done; else fall through. A missing map value does not hold. */
static void alternative(struct lbc *C, int n, struct choice *ch, int *done)
{
	const struct node *x = N(n);
	int skip = LBC_NOJ, val = n;
	if (x->k == X_BIN && x->op == TK_OR) {
		alternative(C, x->a, ch, done);
		alternative(C, x->b, ch, done);
		return;
	}
	if (x->k == X_BIN && x->op == TK_AND) {
		lbc_jump(C, x->a, 0, &skip);
		val = x->b;
	}
	struct val v = lbc_expr(C, val);
	C->curtok = N(val)->tok;
	if (v.pres) {
		int j = lbc_emit(C, LB_OP_JZ, 0, v.pres - 1, 0, 0, 0, 0);
		C->plan->ops[j].off = (__u16)skip;
		skip = j;
	}
	choose(C, val, ch, &v);
	C->regtop = ch->reg + 1;
	int j = lbc_emit(C, LB_OP_JMP, 0, 0, 0, 0, 0, 0);
	C->plan->ops[j].off = (__u16)*done;
	*done = j;
	lbc_patch(C, skip, (int)C->plan->nops);
}

static struct val choice(struct lbc *C, int n)
{
	const struct node *x = N(n);
	int save = C->regtop, done = LBC_NOJ;
	struct choice ch = {.reg = lbc_tmp(C)};
	ch.size = lbc_slot(lbc_strbound(C, n, &ch.strs));
	alternative(C, x->a, &ch, &done);
	struct val v = lbc_expr(C, x->b); /* the last one: always taken */
	choose(C, x->b, &ch, &v);
	lbc_patch(C, done, (int)C->plan->nops);
	if (ch.t == T_INT) {
		C->regtop = ch.reg + 1;
		return inreg(T_INT, ch.reg);
	}
	C->regtop = save;
	struct val s = {.t = T_DSTR, .sk = DS_TMP, .sarg = ch.off, .ssize = ch.size};
	s.fname = "`c and x or y`";
	return s;
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

/* A division or modulo whose divisor may be zero: its index among the
 * handler's sites (the op's imm), the same for one position twice. */
static int64_t divsite(struct lbc *C, int tok, int code)
{
	struct lbc_output *out = C->out;
	const struct tok *t = &C->toks[tok];
	int i;

	if (code != LB_OP_DIV && code != LB_OP_MOD)
		return 0;
	for (i = 0; i < out->ndivsites; i++)
		if (out->divsites[i].line == t->line && out->divsites[i].col == t->col)
			return i;
	if (i == LBC_MAX_DIVSITES)
		return -1;
	out->divsites[i].line = t->line;
	out->divsites[i].col = t->col;
	out->ndivsites++;
	return i;
}

/* l OP r for integers (op: a token, as in X_BIN); node n for messages */
static struct val arith(struct lbc *C, int n, int op, struct val l, struct val r, int save)
{
	const struct node *x = N(n);
	int code = arith_code(op);
	need(C, &l, T_INT, n, "do arithmetic on");
	need(C, &r, T_INT, n, "do arithmetic on");
	if (l.isconst && r.isconst)
		return mkint(T_INT, fold(C, n, op, l.i, r.i));
	if (r.isconst && r.i == 0 && (code == LB_OP_DIV || code == LB_OP_MOD))
		lbc_error(C, x->tok, NULL, "division by zero");
	int a = lbc_reg(C, &l), b = lbc_reg(C, &r);
	C->regtop = save;
	int d = lbc_tmp(C);
	lbc_emit(C, code, d, a, b, 0, 0, r.isconst ? -1 : divsite(C, x->tok, code));
	return inreg(T_INT, d);
}

/* bit.band(a, b, ...), bor, bxor (one or more arguments), bnot(a),
 * lshift(a, n), rshift(a, n), arshift(a, n): 64-bit, as 5.3's & | ~ <<
 * >> and an arithmetic shift, which has no operator: for negative a,
 * the complement shifted and complemented back. */
struct val lbc_bitcall(struct lbc *C, int call, const char *name, size_t len)
{
	static const struct {
		const char *name;
		int op, nargs; /* -1: one or more */
	} fns[] = {
	    {"band", '&', -1},	   {"bor", '|', -1},	  {"bxor", '~', -1}, {"bnot", 0, 1},
	    {"lshift", TK_SHL, 2}, {"rshift", TK_SHR, 2}, {"arshift", 0, 2},
	};
	int save = C->regtop, nargs = 0, k = 0;
	for (int a = N(call)->b; a; a = N(a)->next)
		nargs++;
	while (k < (int)(sizeof fns / sizeof *fns) - 1 && !lbc_isname(name, len, fns[k].name))
		k++;
	if (nargs == 0 || (fns[k].nargs > 0 && nargs != fns[k].nargs))
		lbc_error(C, N(call)->tok, NULL, "bit.%s() takes %s", fns[k].name,
			  fns[k].nargs == 1   ? "one argument"
			  : fns[k].nargs == 2 ? "two arguments, a value and a shift count"
					      : "one or more arguments");
	int a = N(call)->b;
	struct val v = lbc_expr(C, a);
	need(C, &v, T_INT, a, "do arithmetic on");
	if (fns[k].nargs == 1) {
		if (v.isconst)
			return mkint(T_INT, ~v.i);
		int r = lbc_reg(C, &v);
		C->regtop = save;
		int d = lbc_tmp(C);
		lbc_emit(C, LB_OP_BNOT, d, r, 0, 0, 0, 0);
		return inreg(T_INT, d);
	}
	if (fns[k].op == 0) { /* arshift */
		struct val cnt = lbc_expr(C, N(a)->next);
		need(C, &cnt, T_INT, N(a)->next, "do arithmetic on");
		if (v.isconst && cnt.isconst) {
			/* as the ops below compute it: shr by a negative count
			 * shifts left, by 64 or more gives 0 */
			uint64_t m = v.i < 0 ? ~(uint64_t)0 : 0;
			int64_t c = cnt.i == INT64_MIN ? 64 : cnt.i;
			return mkint(T_INT, (int64_t)((uint64_t)shl((uint64_t)v.i ^ m, -c) ^ m));
		}
		/* m = 0 - (a >> 63), all ones when a < 0; then ((a ^ m) >> n) ^ m */
		int x = lbc_reg(C, &v), c = lbc_reg(C, &cnt);
		int m = lbc_tmp(C), t = lbc_tmp(C);
		lbc_emit(C, LB_OP_IMM, t, 0, 0, 0, 0, 63);
		lbc_emit(C, LB_OP_SHR, m, x, t, 0, 0, 0);
		lbc_emit(C, LB_OP_NEG, m, m, 0, 0, 0, 0);
		lbc_emit(C, LB_OP_BXOR, t, x, m, 0, 0, 0);
		lbc_emit(C, LB_OP_SHR, t, t, c, 0, 0, 0);
		lbc_emit(C, LB_OP_BXOR, t, t, m, 0, 0, 0);
		C->regtop = save;
		int d = lbc_tmp(C);
		if (d != t)
			lbc_emit(C, LB_OP_MOV, d, t, 0, 0, 0, 0);
		return inreg(T_INT, d);
	}
	for (a = N(a)->next; a; a = N(a)->next)
		v = arith(C, call, fns[k].op, v, lbc_expr(C, a), save);
	return v;
}

struct val lbc_binary(struct lbc *C, int n)
{
	const struct node *x = N(n);
	int op = x->op, save = C->regtop;
	if (op == TK_OR && maybe_nil(C, x->a))
		return valor(C, n);
	if (op == TK_OR && ischoice(C, n))
		return choice(C, n);
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
	return arith(C, n, op, l, r, save);
}

struct val lbc_unary(struct lbc *C, int n)
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

static void addjump(struct lbc *C, int *list, int pc)
{
	C->plan->ops[pc].off = (__u16)*list;
	*list = pc;
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
