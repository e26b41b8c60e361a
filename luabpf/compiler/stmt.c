/* Statements: locals, if/else, map updates with their key layouts, and
 * the final placement of the scratch areas. */
#include <stdio.h>
#include <string.h>
#include "lbc.h"

#define N(i) (&C->nodes[i])

static const char *const ktname[] = { "?", "int", "string", "probe" };

static void block(struct lbc *C, int b);

/* syntactic equality, for m[k] = m[k] + x */
static int same(const struct lbc *C, int a, int b, int depth)
{
	if (!a || !b)
		return a == b;
	if (depth > LBC_MAX_DEPTH)
		return 0;
	const struct node *x = &C->nodes[a], *y = &C->nodes[b];
	/* m.k and m["k"] are the same; op only tells them apart */
	if (x->k != y->k || (x->k != X_INDEX && x->op != y->op) || x->i != y->i || x->n != y->n)
		return 0;
	if (x->k == X_FLT && x->d != y->d)
		return 0;
	if ((x->k == X_NAME || x->k == X_STR || x->k == X_METHOD) && memcmp(x->s, y->s, x->n))
		return 0;
	if (!same(C, x->a, y->a, depth + 1) || !same(C, x->b, y->b, depth + 1) ||
	    !same(C, x->c, y->c, depth + 1))
		return 0;
	/* below the top, siblings are list members (tuple items, arguments) */
	return depth == 0 || same(C, x->next, y->next, depth + 1);
}

struct keyf {
	struct val v;
	int node;
	int type, size;
};

static void keytypes(char *buf, size_t len, const __u8 *t, int n)
{
	size_t o = snprintf(buf, len, "(");
	for (int i = 0; i < n && o < len; i++)
		o += snprintf(buf + o, len - o, "%s%s", i ? ", " : "", ktname[t[i] <= 3 ? t[i] : 0]);
	if (o < len)
		snprintf(buf + o, len - o, ")");
}

static int slot(struct lbc *C, int map, int tok)
{
	for (int i = 0; i < C->nslots; i++)
		if (C->slot_map[i] == map)
			return i;
	if (C->nslots == LB_MAX_MAPS)
		lbc_error(C, tok, NULL, "a handler can use at most %d maps (LB_MAX_MAPS)", LB_MAX_MAPS);
	C->slot_map[C->nslots] = map;
	return C->nslots++;
}

/* Check the key against the map's layout, or fix the layout if this is
 * the map's first use. */
static void layout(struct lbc *C, const struct val *m, int tok, struct keyf *k, int nk)
{
	struct lb_mapdesc *d = &C->maps[m->map];
	char mname[LB_NAME_MAX + 2];
	if (d->name[0])
		snprintf(mname, sizeof mname, "%.*s", LB_NAME_MAX - 1, d->name);
	else
		snprintf(mname, sizeof mname, "%.*s", (int)(m->n < LB_NAME_MAX ? m->n : LB_NAME_MAX - 1), m->s);
	if (d->valkind != LB_VAL_NONE && d->valkind != LB_VAL_SUM)
		lbc_error(C, tok, NULL, "map '%s' holds a different kind of value elsewhere", mname);
	if (d->nkeys) {
		int ok = d->nkeys == nk;
		for (int i = 0; ok && i < nk; i++)
			ok = d->keytype[i] == k[i].type;
		if (!ok) {
			__u8 here[LB_MAX_KEYS];
			char a[128], b[128];
			for (int i = 0; i < nk; i++)
				here[i] = (__u8)k[i].type;
			keytypes(a, sizeof a, here, nk);
			keytypes(b, sizeof b, d->keytype, d->nkeys > LB_MAX_KEYS ? LB_MAX_KEYS : d->nkeys);
			lbc_error(C, tok, NULL, "map '%s' is keyed by %s here but by %s elsewhere", mname, a, b);
		}
		for (int i = 0; i < nk; i++) {
			if (k[i].type != LB_KEY_STR)
				continue;
			int size = d->keysize[i];
			if (k[i].v.t == T_COMM && size < LB_COMM_LEN)
				lbc_error(C, N(k[i].node)->tok, NULL,
					  "map '%s' keeps strings of at most %d bytes here; e.comm needs %d",
					  mname, size - 1, LB_COMM_LEN - 1);
			if (k[i].v.t == T_STR && (int)k[i].v.n > size - 1)
				lbc_error(C, N(k[i].node)->tok, NULL,
					  "string key too long: map '%s' keeps strings of at most %d bytes",
					  mname, size - 1);
			k[i].size = size;
		}
	} else {
		int total = 0;
		d->nkeys = (__u8)nk;
		for (int i = 0; i < nk; i++) {
			d->keytype[i] = (__u8)k[i].type;
			d->keysize[i] = (__u16)k[i].size;
			total += k[i].size;
		}
		d->key_size = (__u16)total;
		if (!d->name[0] && !d->named)
			snprintf(d->name, sizeof d->name, "%.*s", LB_NAME_MAX - 1, mname);
	}
	if (d->valkind == LB_VAL_NONE) {
		d->valkind = LB_VAL_SUM;
		d->value_size = 8;
		d->percpu = 1;
	}
}

/* m[key] = <value in register vreg, or count when vnode is 0> */
static void mapadd(struct lbc *C, const struct val *m, int target, int vnode, int neg)
{
	struct keyf k[LB_MAX_KEYS];
	int nk = 0, save = C->regtop, kn = N(target)->b, tok = N(target)->tok;
	if (N(kn)->k == X_TABLE) {
		for (int it = N(kn)->a; it; it = N(it)->next) {
			if (N(it)->op != 0)
				lbc_error(C, N(it)->tok, "a tuple key lists values: m[{a, b}]",
					  "named fields cannot be part of a map key");
			if (nk == LB_MAX_KEYS)
				lbc_error(C, N(it)->tok, NULL, "a map key has at most %d fields (LB_MAX_KEYS)",
					  LB_MAX_KEYS);
			k[nk++].node = N(it)->b;
		}
		if (!nk)
			lbc_error(C, N(kn)->tok, NULL, "a map key needs at least one field");
	} else {
		k[nk++].node = kn;
	}
	for (int i = 0; i < nk; i++) {
		struct val v = lbc_expr(C, k[i].node);
		C->curtok = N(k[i].node)->tok;
		k[i].v = v;
		switch (v.t) {
		case T_INT:
			k[i].type = LB_KEY_INT;
			k[i].size = 8;
			lbc_reg(C, &k[i].v);
			break;
		case T_PROBE:
			k[i].type = LB_KEY_PROBE;
			k[i].size = 8;
			break;
		case T_COMM:
			k[i].type = LB_KEY_STR;
			k[i].size = LB_COMM_LEN;
			break;
		case T_STR:
			if (memchr(v.s, 0, v.n))
				lbc_error(C, N(k[i].node)->tok, NULL, "string keys cannot contain NUL bytes");
			if (v.n >= LB_POOL)
				lbc_error(C, N(k[i].node)->tok, NULL, "string key too long (at most %d bytes)",
					  LB_POOL - 1);
			k[i].type = LB_KEY_STR;
			k[i].size = (int)((v.n + 1 + 7) & ~(size_t)7);
			if (k[i].size < LB_COMM_LEN)
				k[i].size = LB_COMM_LEN;
			break;
		case T_BOOL:
			lbc_error(C, N(k[i].node)->tok, NULL, "a boolean cannot be a map key");
		default:
			lbc_error(C, N(k[i].node)->tok, NULL, "%s cannot be a map key", lbc_tname(v.t));
		}
	}
	int vreg;
	C->curtok = tok;
	if (vnode) {
		struct val v = lbc_expr(C, vnode);
		if (v.t != T_INT)
			lbc_error(C, N(vnode)->tok, NULL, "can only add a number to a map element, not %s",
				  lbc_tname(v.t));
		int k = v.isconst;
		if (neg && k)
			v.i = (int64_t)(0 - (uint64_t)v.i);
		vreg = lbc_reg(C, &v);
		if (neg && !k) {
			int r = lbc_tmp(C);
			lbc_emit(C, LB_OP_NEG, r, vreg, 0, 0, 0, 0);
			vreg = r;
		}
	} else {
		vreg = lbc_tmp(C);
		lbc_emit(C, LB_OP_IMM, vreg, 0, 0, 0, 0, 1);
	}
	layout(C, m, tok, k, nk);
	int off = 0;
	for (int i = 0; i < nk; i++) {
		C->curtok = N(k[i].node)->tok;
		switch (k[i].v.t) {
		case T_INT: case T_PROBE:
			lbc_emit(C, LB_OP_PUT, 0, k[i].v.reg, 0, off, 8, 0);
			break;
		case T_COMM:
			lbc_emit(C, LB_OP_COMM, 0, 0, 0, off, LB_COMM_LEN, 0);
			if (k[i].size > LB_COMM_LEN) {
				int z = lbc_pool(C, "", 0, (size_t)(k[i].size - LB_COMM_LEN));
				lbc_emit(C, LB_OP_STRCPY, 0, 0, 0, off + LB_COMM_LEN,
					 k[i].size - LB_COMM_LEN, z);
			}
			break;
		case T_STR: {
			int p = lbc_pool(C, k[i].v.s, k[i].v.n, (size_t)k[i].size);
			lbc_emit(C, LB_OP_STRCPY, 0, 0, 0, off, k[i].size, p);
			break;
		}
		}
		off += k[i].size;
	}
	if (off > C->kneed)
		C->kneed = off;
	C->curtok = tok;
	lbc_emit(C, LB_OP_MAP_ADD, slot(C, m->map, tok), vreg, 0, 0, 0, 0);
	C->regtop = save;
}

static int isbuiltin(struct lbc *C, int call, const char *name)
{
	int f = N(call)->a;
	size_t n = strlen(name);
	struct val v;
	if (N(f)->k == X_NAME) {
		v = lbc_name(C, f);
		return v.t == T_BUILTIN && v.n == n && !memcmp(v.s, name, n);
	}
	if (N(f)->k == X_INDEX && N(f)->op == 1 && N(N(f)->a)->k == X_NAME) {
		v = lbc_name(C, N(f)->a);
		const struct node *k = N(N(f)->b);
		return v.t == T_MODULE && k->n == n && !memcmp(k->s, name, n);
	}
	return 0;
}

static int nargs(struct lbc *C, int call)
{
	int k = 0;
	for (int a = N(call)->b; a; a = N(a)->next)
		k++;
	return k;
}

static void mapassign(struct lbc *C, const struct val *m, int target, int rhs)
{
	const struct node *r = N(rhs);
	if (r->k == X_NIL)
		lbc_error(C, r->tok, NULL, "deleting map elements (m[k] = nil) is not supported yet");
	if (r->k == X_CALL && isbuiltin(C, rhs, "count")) {
		if (nargs(C, rhs))
			lbc_error(C, r->tok, NULL, "count() takes no arguments");
		mapadd(C, m, target, 0, 0);
		return;
	}
	if (r->k == X_CALL && isbuiltin(C, rhs, "sum")) {
		if (nargs(C, rhs) != 1)
			lbc_error(C, r->tok, NULL, "sum() takes one argument");
		mapadd(C, m, target, N(rhs)->b, 0);
		return;
	}
	if (r->k == X_BIN && (r->op == '+' || r->op == '-')) {
		int self = (r->op == '+' || r->op == '-') ? r->a : 0;
		if (same(C, self, target, 0)) {
			mapadd(C, m, target, r->b, r->op == '-');
			return;
		}
		if (r->op == '+' && same(C, r->b, target, 0)) {
			mapadd(C, m, target, r->a, 0);
			return;
		}
	}
	lbc_expr(C, rhs); /* a specific complaint when there is one */
	lbc_error(C, r->tok, "use m[k] = bpf.count(), m[k] = bpf.sum(x) or m[k] = m[k] + x",
		  "a map element can only be aggregated in a kernel handler");
}

static struct local *findlocal(struct lbc *C, const struct node *x)
{
	for (int i = C->nlocals - 1; i >= 0; i--)
		if (C->locals[i].n == x->n && !memcmp(C->locals[i].name, x->s, x->n))
			return &C->locals[i];
	return NULL;
}

static void assign(struct lbc *C, int s)
{
	int t = N(s)->a, rhs = N(s)->b;
	const struct node *x = N(t);
	if (x->next || N(rhs)->next)
		lbc_error(C, N(s)->tok, NULL, "multiple assignment is not supported in kernel handlers");
	if (x->k == X_INDEX) {
		struct val b = lbc_expr(C, x->a);
		if (b.t == T_MAP) {
			mapassign(C, &b, t, rhs);
			return;
		}
		if (b.t == T_EVENT || b.t == T_ARGS)
			lbc_error(C, x->tok, NULL, "the event is read-only");
		lbc_error(C, x->tok, NULL, "cannot assign to a field of %s", lbc_tname(b.t));
	}
	if (x->k != X_NAME)
		lbc_error(C, x->tok, NULL, "cannot assign to this");
	struct local *l = findlocal(C, x);
	if (!l) {
		int up = 0;
		for (int i = 0; i < C->in->nupvalues; i++)
			if (C->in->upvalues[i] && strlen(C->in->upvalues[i]) == x->n &&
			    !memcmp(C->in->upvalues[i], x->s, x->n))
				up = 1;
		lbc_error(C, x->tok, "keep state across events in a map, e.g. m.total = bpf.sum(x)",
			  "cannot assign to %s '%.*s': it is a constant in a kernel handler",
			  up ? "upvalue" : "global", (int)(x->n > 64 ? 64 : x->n), x->s);
	}
	/* the <const> attribute is on the local's declaration, not on x */
	if (l->alias == 2)
		lbc_error(C, x->tok, NULL, "attempt to assign to const variable '%.*s'", (int)x->n, x->s);
	if (l->alias)
		lbc_error(C, x->tok, NULL, "local '%.*s' holds %s and cannot be reassigned in a kernel handler",
			  (int)x->n, x->s, lbc_tname(l->v.t));
	int save = C->regtop;
	struct val v = lbc_expr(C, rhs);
	if (v.t != l->v.t)
		lbc_error(C, N(rhs)->tok, NULL, "local '%.*s' holds %s; cannot assign %s to it",
			  (int)x->n, x->s, lbc_tname(l->v.t), lbc_tname(v.t));
	if (v.isconst)
		lbc_emit(C, LB_OP_IMM, l->v.reg, 0, 0, 0, 0, v.i);
	else if (v.reg != l->v.reg)
		lbc_emit(C, LB_OP_MOV, l->v.reg, v.reg, 0, 0, 0, 0);
	C->regtop = save;
}

static void local(struct lbc *C, int s)
{
	int nm = N(s)->a, e = N(s)->b, first = C->nlocals;
	for (; nm; nm = N(nm)->next, e = e ? N(e)->next : 0) {
		const struct node *x = N(nm);
		if (x->attr == 2)
			lbc_error(C, x->tok, NULL, "to-be-closed locals are not supported in kernel handlers");
		if (!e)
			lbc_error(C, x->tok, "nil values are not supported", "local '%.*s' needs a value",
				  (int)(x->n > 64 ? 64 : x->n), x->s);
		if (C->nlocals == LBC_MAX_LOCALS)
			lbc_error(C, x->tok, NULL, "too many locals (limit %d)", LBC_MAX_LOCALS);
		int save = C->regtop;
		struct val v = lbc_expr(C, e);
		struct local *l = &C->locals[C->nlocals];
		C->regtop = save;
		l->alias = 0;
		if (v.t == T_INT || v.t == T_BOOL || v.t == T_PROBE) {
			C->curtok = x->tok;
			int r = lbc_tmp(C);
			if (v.isconst)
				lbc_emit(C, LB_OP_IMM, r, 0, 0, 0, 0, v.i);
			else if (v.reg != r)
				lbc_emit(C, LB_OP_MOV, r, v.reg, 0, 0, 0, 0);
			v.isconst = 0;
			v.reg = r;
		} else {
			l->alias = 1;
		}
		if (x->attr == 1)
			l->alias = 2; /* <const>: never reassigned (alias 2) */
		l->v = v;
		l->name = NULL; /* in scope only after all values, as in Lua */
		l->n = 0;
		C->nlocals++;
	}
	if (e)
		lbc_error(C, N(e)->tok, NULL, "more values than names in local declaration");
	nm = N(s)->a;
	for (int i = first; i < C->nlocals; i++, nm = N(nm)->next) {
		C->locals[i].name = N(nm)->s;
		C->locals[i].n = N(nm)->n;
	}
}

static void ifstat(struct lbc *C, int s)
{
	int done = LBC_NOJ;
	for (;;) {
		int f = LBC_NOJ;
		lbc_jump(C, N(s)->a, 0, &f);
		block(C, N(s)->b);
		int e = N(s)->c;
		if (!e) {
			lbc_patch(C, f, (int)C->plan->nops);
			break;
		}
		C->curtok = N(e)->tok;
		int j = lbc_emit(C, LB_OP_JMP, 0, 0, 0, 0, 0, 0);
		C->plan->ops[j].off = (__u16)done;
		done = j;
		lbc_patch(C, f, (int)C->plan->nops);
		if (N(e)->k == S_IF) {
			s = e;
			continue;
		}
		block(C, N(e)->a);
		break;
	}
	lbc_patch(C, done, (int)C->plan->nops);
}

static void block(struct lbc *C, int b)
{
	int nl = C->nlocals, rt = C->regtop, saved = C->depth;
	for (; b; b = N(b)->next) {
		lbc_enter(C, N(b)->tok);
		C->curtok = N(b)->tok;
		switch (N(b)->k) {
		case S_LOCAL: local(C, b); break;
		case S_ASSIGN: assign(C, b); break;
		case S_IF: ifstat(C, b); break;
		case S_DO: block(C, N(b)->a); break;
		case S_CALL: lbc_expr(C, N(b)->a); break; /* always an error today */
		case S_RETURN:
			if (N(b)->a)
				lbc_error(C, N(N(b)->a)->tok, NULL, "kernel handlers cannot return values");
			lbc_emit(C, LB_OP_END, 0, 0, 0, 0, 0, 0);
			break;
		default:
			lbc_error(C, N(b)->tok, NULL, "internal: bad statement");
		}
		C->depth = saved;
	}
	C->nlocals = nl;
	C->regtop = rt;
}

void lbc_gen(struct lbc *C, int body)
{
	const struct tok *T = C->toks;
	int i = C->ftok + 1, self = 0, np = 0;
	while (i < C->fbody && T[i].t != '(') {
		self |= T[i].t == ':';
		i++;
	}
	if (self) {
		struct local *l = &C->locals[C->nlocals++];
		l->name = "self";
		l->n = 4;
		l->v.t = T_EVENT;
		l->alias = 1;
		np++;
	}
	for (; i < C->fbody; i++) {
		if (T[i].t != TK_NAME)
			continue;
		if (C->nlocals == LBC_MAX_LOCALS)
			lbc_error(C, i, NULL, "too many parameters");
		struct local *l = &C->locals[C->nlocals++];
		memset(l, 0, sizeof *l);
		l->name = T[i].s;
		l->n = T[i].n;
		l->v.t = np++ ? T_NIL : T_EVENT;
		l->alias = 1;
	}
	block(C, body);
}

void lbc_finish(struct lbc *C)
{
	struct lb_plan *P = C->plan;
	C->curtok = C->fend;
	lbc_emit(C, LB_OP_END, 0, 0, 0, 0, 0, 0);
	unsigned kbase = (P->ctx_copy + 7) & ~7u;
	if (kbase + (unsigned)C->kneed > LB_SCRATCH)
		lbc_error(C, C->ftok, NULL,
			  "handler needs %u bytes of scratch space (context copy and keys), more than LB_SCRATCH (%d)",
			  kbase + C->kneed, LB_SCRATCH);
	for (unsigned i = 0; i < P->nops; i++) {
		switch (P->ops[i].code) {
		case LB_OP_COMM: case LB_OP_STRCPY: case LB_OP_STREQ:
		case LB_OP_PUT: case LB_OP_MAP_ADD:
			P->ops[i].off = (__u16)(P->ops[i].off + kbase);
		}
	}
	if (C->in->probe) {
		P->probe_id = C->in->probe->probe_id;
		P->sysmode = C->in->probe->sysmode;
	}
}
