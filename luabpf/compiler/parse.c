/* Parser: the handler's body tokens -> AST. It accepts Lua's expression
 * syntax in full (so the checker can point at what is not supported with
 * a precise message) and rejects statements that can never run in BPF
 * (loops, goto, nested functions) right here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lbc.h"

#define T(C) ((C)->toks[(C)->p].t)
#define TK(C, k) ((C)->toks[(C)->p + (k) < (C)->fend ? (C)->p + (k) : (C)->fend].t)

static const char loophint[] =
    "a handler runs once per event and must finish; keep state across events in a map";

void lbc_enter(struct lbc *C, int tok)
{
	if (++C->depth > LBC_MAX_DEPTH)
		lbc_error(C, tok, NULL, "nesting too deep (limit %d)", LBC_MAX_DEPTH);
}

static int mk(struct lbc *C, int k, int tok)
{
	if (C->nnodes >= C->capnodes)
		lbc_error(C, tok, NULL, "handler too complex");
	int n = C->nnodes++;
	memset(&C->nodes[n], 0, sizeof C->nodes[n]);
	C->nodes[n].k = k;
	C->nodes[n].tok = tok;
	return n;
}

static void synerr(struct lbc *C, const char *what) __attribute__((noreturn));
static void synerr(struct lbc *C, const char *what)
{
	char b[32];
	const struct tok *t = &C->toks[C->p];
	if (t->t == TK_NAME)
		lbc_error(C, C->p, NULL, "%s near '%.*s'", what, (int)(t->n > 40 ? 40 : t->n),
			  t->s);
	lbc_error(C, C->p, NULL, "%s near %s", what,
		  lbc_tokname(C->p >= C->fend ? TK_END : t->t, b, sizeof b));
}

static void expect(struct lbc *C, int t)
{
	char b[32], m[64];
	if (T(C) != t || C->p >= C->fend) {
		snprintf(m, sizeof m, "%s expected", lbc_tokname(t, b, sizeof b));
		synerr(C, m);
	}
	C->p++;
}

/* the body ends at the handler's own 'end': never read past it */
static int at_end(struct lbc *C)
{
	return C->p >= C->fend;
}

static int expr(struct lbc *C);
static int block(struct lbc *C);

static int name(struct lbc *C)
{
	if (T(C) != TK_NAME || at_end(C))
		synerr(C, "<name> expected");
	int n = mk(C, X_NAME, C->p);
	C->nodes[n].s = C->toks[C->p].s;
	C->nodes[n].n = C->toks[C->p].n;
	C->p++;
	return n;
}

static int strnode(struct lbc *C, int tok, const char *s, size_t len)
{
	int n = mk(C, X_STR, tok);
	C->nodes[n].s = s;
	C->nodes[n].n = len;
	return n;
}

static int exprlist(struct lbc *C)
{
	int first = expr(C), last = first;
	while (T(C) == ',' && !at_end(C)) {
		C->p++;
		int e = expr(C);
		C->nodes[last].next = e;
		last = e;
	}
	return first;
}

static int table(struct lbc *C)
{
	int n = mk(C, X_TABLE, C->p), last = 0;
	expect(C, '{');
	while (T(C) != '}' && !at_end(C)) {
		int it = mk(C, X_ITEM, C->p);
		if (T(C) == '[') {
			C->p++;
			C->nodes[it].op = 2;
			C->nodes[it].a = expr(C);
			expect(C, ']');
			expect(C, '=');
		} else if (T(C) == TK_NAME && TK(C, 1) == '=') {
			C->nodes[it].op = 1;
			C->nodes[it].a = strnode(C, C->p, C->toks[C->p].s, C->toks[C->p].n);
			C->p += 2;
		}
		C->nodes[it].b = expr(C);
		if (last)
			C->nodes[last].next = it;
		else
			C->nodes[n].a = it;
		last = it;
		if (T(C) != ',' && T(C) != ';')
			break;
		C->p++;
	}
	expect(C, '}');
	return n;
}

static int args(struct lbc *C, int n)
{
	switch (T(C)) {
	case TK_STR:
		C->nodes[n].b = strnode(C, C->p, C->toks[C->p].s, C->toks[C->p].n);
		C->p++;
		break;
	case '{': C->nodes[n].b = table(C); break;
	default:
		expect(C, '(');
		if (T(C) != ')')
			C->nodes[n].b = exprlist(C);
		expect(C, ')');
	}
	return n;
}

static int suffixed(struct lbc *C)
{
	int e;
	if (T(C) == '(') {
		C->p++;
		e = expr(C);
		expect(C, ')');
	} else if (T(C) == TK_NAME) {
		e = name(C);
	} else {
		synerr(C, "unexpected symbol");
	}
	for (;;) {
		if (at_end(C))
			return e;
		int n, t = C->p;
		switch (T(C)) {
		case '.':
			C->p++;
			if (T(C) != TK_NAME || at_end(C))
				synerr(C, "<name> expected");
			n = mk(C, X_INDEX, C->p);
			C->nodes[n].op = 1;
			C->nodes[n].a = e;
			C->nodes[n].b = strnode(C, C->p, C->toks[C->p].s, C->toks[C->p].n);
			C->p++;
			break;
		case '[':
			C->p++;
			n = mk(C, X_INDEX, t);
			C->nodes[n].a = e;
			C->nodes[n].b = expr(C);
			expect(C, ']');
			break;
		case ':':
			C->p++;
			if (T(C) != TK_NAME || at_end(C))
				synerr(C, "<name> expected");
			n = mk(C, X_METHOD, C->p);
			C->nodes[n].a = e;
			C->nodes[n].s = C->toks[C->p].s;
			C->nodes[n].n = C->toks[C->p].n;
			C->p++;
			args(C, n);
			break;
		case '(':
		case TK_STR:
		case '{':
			n = mk(C, X_CALL, t);
			C->nodes[n].a = e;
			args(C, n);
			break;
		default: return e;
		}
		e = n;
	}
}

static int simple(struct lbc *C)
{
	int n, t = C->p;
	const struct tok *k = &C->toks[t];
	if (at_end(C))
		synerr(C, "unexpected end of handler");
	switch (k->t) {
	case TK_INT:
		n = mk(C, X_INT, t);
		C->nodes[n].i = k->i;
		break;
	case TK_FLT:
		n = mk(C, X_FLT, t);
		C->nodes[n].d = k->d;
		break;
	case TK_STR: return C->p++, strnode(C, t, k->s, k->n);
	case TK_NIL: n = mk(C, X_NIL, t); break;
	case TK_TRUE: n = mk(C, X_TRUE, t); break;
	case TK_FALSE: n = mk(C, X_FALSE, t); break;
	case TK_DOTS: n = mk(C, X_DOTS, t); break;
	case '{': return table(C);
	case TK_FUNCTION:
		lbc_error(C, t, "define helper functions outside and capture constants instead",
			  "functions cannot be defined inside a kernel handler");
	default: return suffixed(C);
	}
	C->p++;
	return n;
}

/* Lua 5.4 priorities: {left, right} */
static int binprio(int t, int *right)
{
	int l;
	switch (t) {
	case TK_OR: l = 1; break;
	case TK_AND: l = 2; break;
	case '<':
	case '>':
	case TK_LE:
	case TK_GE:
	case TK_NE:
	case TK_EQ: l = 3; break;
	case '|': l = 4; break;
	case '~': l = 5; break;
	case '&': l = 6; break;
	case TK_SHL:
	case TK_SHR: l = 7; break;
	case TK_CONCAT: *right = 8; return 9;
	case '+':
	case '-': l = 10; break;
	case '*':
	case '/':
	case TK_IDIV:
	case '%': l = 11; break;
	case '^': *right = 13; return 14;
	default: return 0;
	}
	*right = l;
	return l;
}

#define UNARY_PRIO 12

static int subexpr(struct lbc *C, int limit)
{
	int e, t = T(C), saved = C->depth;
	lbc_enter(C, C->p);
	if ((t == TK_NOT || t == '-' || t == '#' || t == '~') && !at_end(C)) {
		int op = C->p++, a = subexpr(C, UNARY_PRIO);
		if (t == '-' && C->nodes[a].k == X_FLT) {
			/* folded, as Lua does: -9223372036854775808 is the float
			 * -2^63, an integral value (so an integer here) */
			C->nodes[a].d = -C->nodes[a].d;
			e = a;
		} else {
			e = mk(C, X_UN, op);
			C->nodes[e].op = t;
			C->nodes[e].a = a;
		}
	} else {
		e = simple(C);
	}
	int l, r = 0;
	while (!at_end(C) && (l = binprio(T(C), &r)) > limit) {
		int n = mk(C, X_BIN, C->p);
		C->nodes[n].op = T(C);
		C->p++;
		C->nodes[n].a = e;
		C->nodes[n].b = subexpr(C, r);
		e = n;
	}
	C->depth = saved;
	return e;
}

static int expr(struct lbc *C)
{
	return subexpr(C, 0);
}

static int block_end(struct lbc *C)
{
	int t = T(C);
	return at_end(C) || t == TK_ELSE || t == TK_ELSEIF || t == TK_END || t == TK_UNTIL ||
	       t == TK_EOS;
}

static int ifstat(struct lbc *C)
{
	int first = mk(C, S_IF, C->p), n = first;
	C->p++;
	for (;;) {
		C->nodes[n].a = expr(C);
		expect(C, TK_THEN);
		C->nodes[n].b = block(C);
		if (T(C) == TK_ELSEIF && !at_end(C)) {
			int e = mk(C, S_IF, C->p);
			C->p++;
			C->nodes[n].c = e;
			n = e;
			continue;
		}
		if (T(C) == TK_ELSE && !at_end(C)) {
			int e = mk(C, S_DO, C->p);
			C->p++;
			C->nodes[e].a = block(C);
			C->nodes[n].c = e;
		}
		expect(C, TK_END);
		return first;
	}
}

static int statement(struct lbc *C)
{
	int n, t = C->p;
	switch (T(C)) {
	case TK_IF: return ifstat(C);
	case TK_DO:
		n = mk(C, S_DO, t);
		C->p++;
		C->nodes[n].a = block(C);
		expect(C, TK_END);
		return n;
	case TK_WHILE:
	case TK_FOR:
	case TK_REPEAT: lbc_error(C, t, loophint, "loops cannot run in a BPF handler");
	case TK_GOTO:
	case TK_DBCOLON:
		lbc_error(C, t, loophint,
			  "goto and labels cannot be used in a BPF handler (loops cannot run in a "
			  "BPF handler)");
	case TK_BREAK: lbc_error(C, t, NULL, "break outside a loop");
	case TK_FUNCTION:
		lbc_error(C, t, "define helper functions outside the handler",
			  "functions cannot be defined inside a kernel handler");
	case TK_LOCAL: {
		C->p++;
		if (T(C) == TK_FUNCTION)
			lbc_error(C, t, "define helper functions outside the handler",
				  "functions cannot be defined inside a kernel handler");
		n = mk(C, S_LOCAL, t);
		int last = 0;
		do {
			if (last)
				C->p++;
			int v = name(C);
			if (T(C) == '<') {
				C->p++;
				if (T(C) != TK_NAME || at_end(C))
					synerr(C, "<name> expected");
				const struct tok *a = &C->toks[C->p];
				if (a->n == 5 && !memcmp(a->s, "const", 5))
					C->nodes[v].attr = 1;
				else if (a->n == 5 && !memcmp(a->s, "close", 5))
					C->nodes[v].attr = 2;
				else
					lbc_error(C, C->p, NULL, "unknown attribute '%.*s'",
						  (int)(a->n > 40 ? 40 : a->n), a->s);
				C->p++;
				expect(C, '>');
			}
			if (last)
				C->nodes[last].next = v;
			else
				C->nodes[n].a = v;
			last = v;
		} while (T(C) == ',' && !at_end(C));
		if (T(C) == '=' && !at_end(C)) {
			C->p++;
			C->nodes[n].b = exprlist(C);
		}
		return n;
	}
	case TK_RETURN:
		n = mk(C, S_RETURN, t);
		C->p++;
		if (!block_end(C) && T(C) != ';')
			C->nodes[n].a = exprlist(C);
		if (T(C) == ';' && !at_end(C))
			C->p++;
		if (!block_end(C))
			synerr(C, "'end' expected");
		return n;
	}
	int e = suffixed(C);
	if ((T(C) == '=' || T(C) == ',') && !at_end(C)) {
		int last = e;
		while (T(C) == ',' && !at_end(C)) {
			C->p++;
			int v = suffixed(C);
			C->nodes[last].next = v;
			last = v;
		}
		n = mk(C, S_ASSIGN, C->p);
		expect(C, '=');
		C->nodes[n].a = e;
		C->nodes[n].b = exprlist(C);
		return n;
	}
	if (C->nodes[e].k != X_CALL && C->nodes[e].k != X_METHOD)
		synerr(C, "syntax error");
	n = mk(C, S_CALL, t);
	C->nodes[n].a = e;
	return n;
}

static int block(struct lbc *C)
{
	int first = 0, last = 0, saved = C->depth;
	lbc_enter(C, C->p);
	while (!block_end(C)) {
		if (T(C) == ';') {
			C->p++;
			continue;
		}
		int s = statement(C);
		if (last)
			C->nodes[last].next = s;
		else
			first = s;
		last = s;
	}
	C->depth = saved;
	return first;
}

int lbc_parse(struct lbc *C)
{
	/* every node consumes at least one token, calls and items two */
	C->capnodes = 2 * (C->fend - C->fbody) + 16;
	C->nodes = calloc((size_t)C->capnodes, sizeof *C->nodes);
	if (!C->nodes)
		lbc_error(C, C->ftok, NULL, "out of memory");
	C->nnodes = 1; /* 0 means "none" */
	C->p = C->fbody;
	int b = block(C);
	if (C->p != C->fend)
		synerr(C, "'end' expected");
	return b;
}
