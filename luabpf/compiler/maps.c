/* Maps in handlers: key layouts, reads, updates and aggregations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lbc.h"

#define N(i) (&C->nodes[i])

static const char *const ktname[] = {"?",    "int",	"string", "probe", "kstack",  "ustack",
				     "none", "pointer", "ksym",	  "usym",  "address", "array"};

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

struct key {
	struct keyf k[LB_MAX_KEYS];
	int nk;
};

static void keytypes(char *buf, size_t len, const __u8 *t, const __u8 *mode, int n)
{
	static const char *const modes[] = {"", "(perf)", "(raw)"};
	size_t o = snprintf(buf, len, "(");
	for (int i = 0; i < n && o < len; i++)
		o += snprintf(buf + o, len - o, "%s%s%s", i ? ", " : "",
			      ktname[t[i] <= LB_KEY_ARRAY ? t[i] : 0],
			      t[i] == LB_KEY_KSTACK || t[i] == LB_KEY_USTACK
				  ? modes[mode[i] < 3 ? mode[i] : 0]
				  : "");
	if (o < len)
		snprintf(buf + o, len - o, ")");
}

static int slot(struct lbc *C, int map, int tok)
{
	for (int i = 0; i < C->nslots; i++)
		if (C->slot_map[i] == map)
			return i;
	if (C->nslots == LB_MAX_MAPS)
		lbc_error(C, tok, NULL, "a handler can use at most %d maps (LB_MAX_MAPS)",
			  LB_MAX_MAPS);
	C->slot_map[C->nslots] = map;
	return C->nslots++;
}

/* the map's name for messages */
static const char *mapname(struct lbc *C, const struct val *m, char *buf, size_t len)
{
	const struct lb_mapdesc *d = &C->maps[m->map];
	if (d->name[0])
		snprintf(buf, len, "%.*s", LB_NAME_MAX - 1, d->name);
	else
		snprintf(buf, len, "%.*s", (int)(m->n < LB_NAME_MAX ? m->n : LB_NAME_MAX - 1),
			 m->s);
	return buf;
}

static const char *kindname(int k)
{
	switch (k) {
	case LB_VAL_SUM: return "count/sum aggregates";
	case LB_VAL_INT: return "plain values";
	case LB_VAL_MIN: return "min() aggregates";
	case LB_VAL_MAX: return "max() aggregates";
	case LB_VAL_AVG: return "avg() aggregates";
	case LB_VAL_STATS: return "stats() aggregates";
	case LB_VAL_HIST: return "hist() aggregates";
	case LB_VAL_LHIST: return "lhist() aggregates";
	case LB_VAL_STR: return "strings";
	case LB_VAL_ARRAY: return "arrays";
	}
	return "values";
}

struct lh {
	int64_t min, max, step, n;
	int bits; /* hist(x, k): k */
};

/* Fix the map's value kind on its first use; later uses must agree. */
static void fixkind(struct lbc *C, const struct val *m, int tok, int kind, const struct lh *lh)
{
	struct lb_mapdesc *d = &C->maps[m->map];
	char mname[LB_NAME_MAX + 2];
	if (d->valkind == LB_VAL_NONE) {
		d->valkind = (__u8)kind;
		d->percpu = kind != LB_VAL_INT && kind != LB_VAL_STR && kind != LB_VAL_ARRAY;
		switch (kind) {
		case LB_VAL_STR: d->value_size = (__u16)lh->n; break;
		case LB_VAL_ARRAY:
			d->value_size = (__u16)lbc_slot((int)lh->n);
			d->vlen = (__u16)lh->n;
			d->elem = (__u8)lh->bits;
			break;
		case LB_VAL_SUM:
		case LB_VAL_INT: d->value_size = 8; break;
		case LB_VAL_HIST:
			d->value_size = (__u16)(8 * (LB_HIST_NBUCKETS(lh->bits) + 1)); /* + sum */
			d->hist_bits = (__u8)lh->bits;
			break;
		case LB_VAL_LHIST:
			d->value_size = (__u16)(8 * (lh->n + 1));
			d->lhist_min = lh->min;
			d->lhist_max = lh->max;
			d->lhist_step = lh->step;
			break;
		default: d->value_size = 16;
		}
		return;
	}
	if (d->valkind != kind)
		lbc_error(C, tok, NULL, "map '%s' holds %s elsewhere; it cannot also hold %s",
			  mapname(C, m, mname, sizeof mname), kindname(d->valkind), kindname(kind));
	if (kind == LB_VAL_ARRAY && (d->vlen != lh->n || d->elem != lh->bits))
		lbc_error(C, tok, NULL, "map '%s' holds arrays of another type elsewhere",
			  mapname(C, m, mname, sizeof mname));
	if (kind == LB_VAL_HIST && d->hist_bits != lh->bits)
		lbc_error(C, tok, "every hist() into one map needs the same k",
			  "map '%s' is a hist(x, %d) elsewhere, not hist(x, %d)",
			  mapname(C, m, mname, sizeof mname), d->hist_bits, lh->bits);
	if (kind == LB_VAL_LHIST &&
	    (d->lhist_min != lh->min || d->lhist_max != lh->max || d->lhist_step != lh->step))
		lbc_error(C, tok, "every lhist() into one map needs the same min, max and step",
			  "map '%s' is an lhist(x, %lld, %lld, %lld) elsewhere, not lhist(x, %lld, "
			  "%lld, %lld)",
			  mapname(C, m, mname, sizeof mname), (long long)d->lhist_min,
			  (long long)d->lhist_max, (long long)d->lhist_step, (long long)lh->min,
			  (long long)lh->max, (long long)lh->step);
}

static int keyless(const struct lb_mapdesc *d)
{
	return d->nkeys == 1 && d->keytype[0] == LB_KEY_NONE;
}

/* at.total, at["total"] (at = bpf.vars()): bpftrace's @total, a keyless
 * map of that name, added to the working copy on first use. n is the
 * X_INDEX node; no code. */
struct val lbc_varmap(struct lbc *C, int n)
{
	const struct node *x = N(n), *k = N(x->b);
	struct val m = {.t = T_MAP};
	if (x->op != 1 && k->k != X_STR)
		lbc_error(C, x->tok, "e.g. at.total = bpf.count(), or a map: m[key] = bpf.count()",
			  "bpf.vars() fields are named by a constant");
	if (k->n == 0 || k->n >= LB_NAME_MAX || memchr(k->s, 0, k->n))
		lbc_error(C, k->tok, NULL, "a bpf.vars() field name has 1 to %d bytes",
			  LB_NAME_MAX - 1);
	m.s = k->s;
	m.n = k->n;
	for (m.map = 0; m.map < C->nmaps; m.map++)
		if (keyless(&C->maps[m.map]) && strlen(C->maps[m.map].name) == k->n &&
		    !memcmp(C->maps[m.map].name, k->s, k->n))
			return m;
	if (C->nmaps >= C->in->maxmaps)
		lbc_error(C, k->tok, NULL, "too many maps for bpf.vars() field '%.*s' (at most %d)",
			  (int)k->n, k->s, C->in->maxmaps);
	struct lb_mapdesc *d = &C->maps[C->nmaps];
	memset(d, 0, sizeof *d);
	memcpy(d->name, k->s, k->n);
	d->named = 1;
	d->nkeys = 1;
	d->keytype[0] = LB_KEY_NONE;
	d->keysize[0] = 8;
	d->key_size = 8;
	m.map = C->nmaps++;
	return m;
}

/* Evaluate the key's fields (into registers where they need one). */
static void key_eval(struct lbc *C, const struct val *m, int target, struct key *K)
{
	struct keyf *k = K->k;
	int nk = 0, kn = N(target)->b;
	if (keyless(&C->maps[m->map])) {
		k[0].node = kn;
		k[0].v = mkint(T_INT, 0);
		k[0].type = LB_KEY_NONE;
		k[0].size = 8;
		lbc_reg(C, &k[0].v);
		K->nk = 1;
		return;
	}
	if (N(kn)->k == X_TABLE) {
		for (int it = N(kn)->a; it; it = N(it)->next) {
			if (N(it)->op != 0)
				lbc_error(C, N(it)->tok, "a tuple key lists values: m[{a, b}]",
					  "named fields cannot be part of a map key");
			if (nk == LB_MAX_KEYS)
				lbc_error(C, N(it)->tok, NULL,
					  "a map key has at most %d fields (LB_MAX_KEYS)",
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
		if (v.t == T_INT && v.sk) /* a char * field: the string */
			v = lbc_tostr(C, v);
		k[i].v = v;
		switch (v.t) {
		case T_DSTR:
			k[i].type = LB_KEY_STR;
			k[i].size = lbc_slot(v.ssize);
			break;
		case T_INT:
			k[i].type = v.isptr ? LB_KEY_PTR : LB_KEY_INT;
			k[i].size = 8;
			lbc_reg(C, &k[i].v);
			break;
		case T_PROBE:
		case T_KSYM:
		case T_KSTACK: /* 8 bytes from a register */
			k[i].type = v.t == T_PROBE  ? LB_KEY_PROBE
				    : v.t == T_KSYM ? LB_KEY_KSYM
						    : LB_KEY_KSTACK;
			k[i].size = 8;
			break;
		case T_USYM:
		case T_USTACK: /* user addresses need their pid: 16 bytes */
			k[i].type = v.t == T_USYM ? LB_KEY_USYM : LB_KEY_USTACK;
			k[i].size = 16;
			break;
		case T_COMM:
			k[i].type = LB_KEY_STR;
			k[i].size = LB_COMM_LEN;
			break;
		case T_INET:
			k[i].type = LB_KEY_INET;
			k[i].size = 24;
			break;
		case T_ARR: /* the element kind travels in keymode, as stack modes do */
			k[i].type = LB_KEY_ARRAY;
			k[i].size = lbc_slot(v.ssize);
			k[i].v.smode = (int)v.i | (k[i].size - v.ssize) << LB_ELEM_PADSHIFT;
			break;
		case T_STR:
			if (memchr(v.s, 0, v.n))
				lbc_error(C, N(k[i].node)->tok, NULL,
					  "string keys cannot contain NUL bytes");
			if (v.n >= LB_POOL)
				lbc_error(C, N(k[i].node)->tok, NULL,
					  "string key too long (at most %d bytes)", LB_POOL - 1);
			k[i].type = LB_KEY_STR;
			k[i].size = (int)((v.n + 1 + 7) & ~(size_t)7);
			if (k[i].size < LB_COMM_LEN)
				k[i].size = LB_COMM_LEN;
			break;
		case T_BOOL: lbc_error(C, N(k[i].node)->tok, NULL, "a boolean cannot be a map key");
		default:
			lbc_error(C, N(k[i].node)->tok, NULL, "%s cannot be a map key",
				  lbc_tname(v.t));
		}
	}
	K->nk = nk;
}

/* Check the key against the map's layout, or fix the layout if this is
 * the map's first use; then write it to scratch[0..) (key area). */
static void key_put(struct lbc *C, const struct val *m, int tok, struct key *K)
{
	struct lb_mapdesc *d = &C->maps[m->map];
	struct keyf *k = K->k;
	int nk = K->nk;
	char mname[LB_NAME_MAX + 2];
	mapname(C, m, mname, sizeof mname);
	if (d->nkeys) {
		int ok = d->nkeys == nk;
		for (int i = 0; ok && i < nk; i++)
			ok = d->keytype[i] == k[i].type && d->keymode[i] == k[i].v.smode &&
			     (k[i].type != LB_KEY_ARRAY || d->keysize[i] == k[i].size);
		if (!ok) {
			__u8 here[LB_MAX_KEYS], mode[LB_MAX_KEYS];
			char a[160], b[160];
			for (int i = 0; i < nk; i++) {
				here[i] = (__u8)k[i].type;
				mode[i] = (__u8)k[i].v.smode;
			}
			keytypes(a, sizeof a, here, mode, nk);
			keytypes(b, sizeof b, d->keytype, d->keymode,
				 d->nkeys > LB_MAX_KEYS ? LB_MAX_KEYS : d->nkeys);
			lbc_error(C, tok, NULL, "map '%s' is keyed by %s here but by %s elsewhere",
				  mname, a, b);
		}
		for (int i = 0; i < nk; i++) {
			if (k[i].type != LB_KEY_STR)
				continue;
			int size = d->keysize[i];
			if (k[i].v.t == T_COMM && size < LB_COMM_LEN)
				lbc_error(C, N(k[i].node)->tok, NULL,
					  "map '%s' keeps strings of at most %d bytes here; e.comm "
					  "needs %d",
					  mname, size - 1, LB_COMM_LEN - 1);
			if (k[i].v.t == T_STR && (int)k[i].v.n > size - 1)
				lbc_error(C, N(k[i].node)->tok, NULL,
					  "string key too long: map '%s' keeps strings of at most "
					  "%d bytes",
					  mname, size - 1);
			k[i].size = size;
		}
	} else {
		int total = 0;
		for (int i = 0; i < nk; i++)
			total += k[i].size;
		if (total > LB_MAX_KEY)
			lbc_error(C, tok,
				  "the kernel limits hash map keys; read shorter strings with "
				  "bpf.str(p, n)",
				  "map key too large: %d bytes, more than LB_MAX_KEY (%d)", total,
				  LB_MAX_KEY);
		d->nkeys = (__u8)nk;
		for (int i = 0; i < nk; i++) {
			d->keytype[i] = (__u8)k[i].type;
			d->keymode[i] = (__u8)k[i].v.smode;
			d->keysize[i] = (__u16)k[i].size;
		}
		d->key_size = (__u16)total;
		if (!d->name[0] && !d->named)
			snprintf(d->name, sizeof d->name, "%.*s", LB_NAME_MAX - 1, mname);
	}
	int off = 0;
	for (int i = 0; i < nk; i++) {
		C->curtok = N(k[i].node)->tok;
		switch (k[i].v.t) {
		case T_INT:
		case T_PROBE:
		case T_KSYM:
		case T_KSTACK: lbc_emit(C, LB_OP_PUT, 0, k[i].v.reg, 0, off, 8, 0); break;
		case T_USYM:
		case T_USTACK: {
			int save = C->regtop, r;
			if (k[i].v.dwarf && !C->dwarf_ok)
				lbc_error(C, N(k[i].node)->tok, DWARF_HINT,
					  "a DWARF-unwound user stack can only key an update by "
					  "bpf.count() or bpf.sum()");
			if (k[i].v.dwarf)
				C->dwarf_at = off + 1;
			lbc_emit(C, LB_OP_PUT, 0, k[i].v.reg, 0, off, 8, 0);
			r = lbc_tmp(C);
			lbc_emit(C, LB_OP_CTX, r, 0, 0, 0, 0, LB_CTX_PID);
			lbc_emit(C, LB_OP_PUT, 0, r, 0, off + 8, 8, 0);
			C->regtop = save;
			break;
		}
		case T_COMM:
		case T_STR:
		case T_DSTR: lbc_strput(C, &k[i].v, A_KEY, off, k[i].size, 1); break;
		case T_INET: lbc_inetput(C, &k[i].v, A_KEY, off); break;
		case T_ARR: lbc_arrput(C, &k[i].v, A_KEY, off, k[i].size); break;
		}
		off += k[i].size;
	}
	if (off > C->kneed)
		C->kneed = off;
	C->curtok = tok;
}

/* Does node n mention the name s/len (as a name, anywhere)? */
static int mentions(const struct lbc *C, int n, const char *s, size_t len, int depth)
{
	if (!n || depth > LBC_MAX_DEPTH)
		return !!n; /* too deep: say yes */
	const struct node *x = &C->nodes[n];
	if (x->k == X_NAME && x->n == len && !memcmp(x->s, s, len))
		return 1;
	return mentions(C, x->a, s, len, depth + 1) || mentions(C, x->b, s, len, depth + 1) ||
	       mentions(C, x->c, s, len, depth + 1) ||
	       (depth > 0 && mentions(C, x->next, s, len, depth + 1));
}

/* Does the code at node n (and its siblings) read x again, by syntax? */
int lbc_rereads(struct lbc *C, int n, int x, int depth)
{
	for (; n; n = N(n)->next) {
		if (depth > LBC_MAX_DEPTH)
			return 1; /* too deep: say yes */
		const struct node *y = N(n);
		if ((y->k == X_INDEX && same(C, n, x, 0)) || lbc_rereads(C, y->a, x, depth + 1) ||
		    lbc_rereads(C, y->b, x, depth + 1) || lbc_rereads(C, y->c, x, depth + 1))
			return 1;
	}
	return 0;
}

/* Forget cached reads of map `map` (>= 0), or whose key mentions the
 * name s/n (s != NULL). */
void lbc_uncache(struct lbc *C, int map, const char *s, size_t n)
{
	for (int i = 0; i < C->ncache; i++) {
		struct mcache *e = &C->cache[i];
		if (e->map >= 0 &&
		    ((map >= 0 && e->map == map) || (s && mentions(C, e->key, s, n, 0))))
			e->map = -1;
	}
}

static const struct local *findloc(const struct lbc *C, const struct node *x)
{
	for (int i = C->nlocals - 1; i >= 0; i--)
		if (C->locals[i].n == x->n && !memcmp(C->locals[i].name, x->s, x->n))
			return &C->locals[i];
	return NULL;
}

/* Is x the event (the handler's first parameter)? */
static int isevent(struct lbc *C, const struct node *x)
{
	const struct local *l;
	return x->k == X_NAME && (l = findloc(C, x)) && l->v.t == T_EVENT;
}

/* Is key node n pure: the same value each time it is evaluated in this
 * run of the handler, as long as the locals it names are not assigned?
 * Constants, upvalues, e.pid/tid/uid/gid/cpu/comm/probe, numeric
 * e.args fields (the ctx copy), plain number locals, tuples and
 * arithmetic of those. Not e.nsecs, stacks, calls or map reads.
 * Call only on code that compiled (no errors, no code). */
int lbc_purekey(struct lbc *C, int n, int depth)
{
	static const char *const ev[] = {"pid", "tid", "uid", "gid", "cpu", "comm", "probe"};
	const struct node *x = N(n);
	if (!n || depth > 32)
		return 0;
	switch (x->k) {
	case X_INT:
	case X_FLT:
	case X_STR:
	case X_TRUE:
	case X_FALSE: return 1;
	case X_TABLE:
		for (int it = x->a; it; it = N(it)->next)
			if (N(it)->op != 0 || !lbc_purekey(C, N(it)->b, depth + 1))
				return 0;
		return 1;
	case X_BIN:
		if (x->op == TK_AND || x->op == TK_OR || x->op == TK_CONCAT)
			return 0;
		return lbc_purekey(C, x->a, depth + 1) && lbc_purekey(C, x->b, depth + 1);
	case X_UN: return x->op != TK_NOT && lbc_purekey(C, x->a, depth + 1);
	case X_NAME: {
		const struct local *l = findloc(C, x);
		if (l)
			return !l->alias && !l->v.sk &&
			       (l->v.t == T_INT || l->v.t == T_BOOL || l->v.t == T_PROBE);
		struct val v = lbc_name(C, n); /* an upvalue or global constant */
		return v.t == T_STR || ((v.t == T_INT || v.t == T_BOOL) && v.isconst);
	}
	case X_INDEX: {
		const struct node *k = N(x->b), *b = N(x->a);
		if (k->k != X_STR)
			return 0;
		if (isevent(C, b)) {
			for (size_t i = 0; i < sizeof ev / sizeof *ev; i++)
				if (lbc_isname(k->s, k->n, ev[i]))
					return 1;
			return 0;
		}
		/* e.args.NAME: a number in the ctx copy */
		const struct lbc_probe *pr = C->in->probe;
		if (b->k != X_INDEX || N(b->b)->k != X_STR ||
		    !lbc_isname(N(b->b)->s, N(b->b)->n, "args") || !isevent(C, N(b->a)) || !pr ||
		    !pr->fields)
			return 0;
		for (int i = 0; i < pr->nfields; i++) {
			const struct lbc_field *f = &pr->fields[i];
			if (f->name && lbc_isname(k->s, k->n, f->name))
				return !f->is_string && !f->usdt;
		}
		return 0;
	}
	}
	return 0;
}

/* m[k] in an expression: LB_OP_MAP_READ, value and presence */
struct val lbc_mapread(struct lbc *C, const struct val *m, int index)
{
	struct key K;
	struct lb_mapdesc *d = &C->maps[m->map];
	int save = C->regtop, tok = N(index)->tok, ws = C->wantstr;
	char mname[LB_NAME_MAX + 2];
	C->wantstr = 0;
	if (d->valkind == LB_VAL_INT)
		for (int i = C->ncache - 1; i >= 0; i--) {
			const struct mcache *e = &C->cache[i];
			if (e->map == m->map && same(C, e->key, N(index)->b, 0)) {
				struct val r = {.t = T_INT, .reg = e->reg, .pres = e->pres + 1};
				return r;
			}
		}
	key_eval(C, m, index, &K);
	C->curtok = tok;
	if (d->valkind == LB_VAL_STR || (d->valkind == LB_VAL_NONE && (C->struse[m->map] || ws))) {
		struct lh sz = {.n = lbc_slot(C->maxstr)};
		fixkind(C, m, tok, LB_VAL_STR, &sz);
		key_put(C, m, tok, &K);
		C->regtop = save;
		int p = lbc_tmp(C), vs = d->value_size, t = lbc_stmp(C, vs);
		lbc_emit(C, LB_OP_MAP_GETSTR, p, 0, slot(C, m->map, tok), 0, vs, t);
		struct val r = {.t = T_DSTR, .sk = DS_TMP, .sarg = t, .ssize = vs, .pres = p + 1};
		return r;
	}
	if (d->valkind == LB_VAL_ARRAY)
		lbc_error(C, tok, "arrays are printed with the map, or read from Lua",
			  "map '%s' holds arrays: a handler cannot read them",
			  mapname(C, m, mname, sizeof mname));
	if (d->valkind != LB_VAL_NONE && d->valkind != LB_VAL_INT) {
		if (d->valkind == LB_VAL_SUM)
			snprintf(C->hint, sizeof C->hint,
				 "to read it back, keep plain values: "
				 "m[k] = (m[k] or 0) + 1, m[k] = x");
		else
			snprintf(C->hint, sizeof C->hint,
				 "aggregates are combined over CPUs "
				 "when the map is printed or read from Lua");
		lbc_error(C, tok, C->hint, "map '%s' holds %s (per-CPU): a handler cannot read it",
			  mapname(C, m, mname, sizeof mname), kindname(d->valkind));
	}
	fixkind(C, m, tok, LB_VAL_INT, NULL);
	key_put(C, m, tok, &K);
	C->regtop = save;
	int v = lbc_tmp(C), p = lbc_tmp(C);
	lbc_emit(C, LB_OP_MAP_READ, v, p, slot(C, m->map, tok), 0, 0, 0);
	C->rdidx = index;
	C->rdmap = m->map;
	C->rdreg = v;
	C->rdpres = p;
	struct val r = {.t = T_INT, .reg = v, .pres = p + 1};
	return r;
}

static int keepsaddr(struct lbc *C, int mi, int rhs);

/* the kinds of map element updates */
enum { U_COUNT, U_SUM, U_XADD, U_MIN, U_MAX, U_AVG, U_STATS, U_HIST, U_LHIST, U_SET, U_DELETE };

static const struct {
	const char *name;
	int kind, code;
} upd[] = {
    [U_COUNT] = {"count", LB_VAL_SUM, LB_OP_MAP_ADD},
    [U_SUM] = {"sum", LB_VAL_SUM, LB_OP_MAP_ADD},
    [U_XADD] = {NULL, LB_VAL_INT, LB_OP_MAP_XADD},
    [U_MIN] = {"min", LB_VAL_MIN, LB_OP_MAP_MIN},
    [U_MAX] = {"max", LB_VAL_MAX, LB_OP_MAP_MAX},
    [U_AVG] = {"avg", LB_VAL_AVG, LB_OP_MAP_AVG},
    [U_STATS] = {"stats", LB_VAL_STATS, LB_OP_MAP_AVG},
    [U_HIST] = {"hist", LB_VAL_HIST, LB_OP_MAP_BUCKET},
    [U_LHIST] = {"lhist", LB_VAL_LHIST, LB_OP_MAP_BUCKET},
    [U_SET] = {NULL, LB_VAL_INT, LB_OP_MAP_SET},
    [U_DELETE] = {NULL, LB_VAL_INT, LB_OP_MAP_DELETE},
};

/* an integer constant argument: lhist()'s min, max, step, hist()'s k */
static int64_t const_arg(struct lbc *C, int n, const char *what, const char *hint)
{
	struct val v = lbc_expr(C, n);
	if (v.t != T_INT || !v.isconst)
		lbc_error(C, N(n)->tok, hint, "%s must be an integer constant", what);
	return v.i;
}
#define LHIST_HINT "e.g. bpf.lhist(x, 0, 100, 10)"

#define LHIST_MAX 1000 /* buckets */
/* buckets and their sum must fit the template's zero value */
_Static_assert(LHIST_MAX + 1 <= LB_ZEROS / 8, "lhist too big for the zero value");
_Static_assert(LB_HIST_NBUCKETS(LB_HIST_MAXBITS) + 1 <= LB_ZEROS / 8, "hist too big");

/* m[key] = s, a string: LB_VAL_STR, the value zero padded in a temp */
static void strset(struct lbc *C, const struct val *m, int target, struct key *K, struct val v,
		   int vnode)
{
	struct lb_mapdesc *d = &C->maps[m->map];
	int tok = N(target)->tok;
	char mname[LB_NAME_MAX + 2];
	if (v.t == T_INT)
		v = lbc_tostr(C, v);
	if (d->valkind == LB_VAL_INT && v.fname && !v.viastr) {
		snprintf(C->hint, sizeof C->hint,
			 "%s is a string here; to keep its address, "
			 "store %s + 0",
			 v.fname, v.fname);
		lbc_error(C, tok, C->hint,
			  "map '%s' holds plain values elsewhere; it cannot also hold strings",
			  mapname(C, m, mname, sizeof mname));
	}
	struct lh sz = {.n = lbc_slot(lbc_strsize(&v))};
	if (sz.n < lbc_slot(C->maxstr) && v.t != T_DSTR)
		sz.n = lbc_slot(C->maxstr); /* constants and e.comm: room for others */
	fixkind(C, m, tok, LB_VAL_STR, &sz);
	int vs = d->value_size;
	C->curtok = N(vnode)->tok;
	if ((v.t == T_STR && (int)v.n + 1 > vs) || (v.t == T_COMM && vs < LB_COMM_LEN))
		lbc_error(C, N(vnode)->tok, NULL,
			  "map '%s' keeps strings of at most %d bytes; %s needs %d",
			  mapname(C, m, mname, sizeof mname), vs - 1,
			  v.t == T_COMM ? "e.comm" : "this string",
			  v.t == T_COMM ? LB_COMM_LEN - 1 : (int)v.n);
	if (v.t == T_STR && memchr(v.s, 0, v.n))
		lbc_error(C, N(vnode)->tok, NULL, "string values cannot contain NUL bytes");
	C->curtok = tok;
	key_put(C, m, tok, K);
	int t;
	C->curtok = N(vnode)->tok;
	if (v.t == T_DSTR && v.sk == DS_TMP && v.ssize == vs) {
		t = v.sarg;
	} else {
		t = lbc_stmp(C, vs);
		lbc_strput(C, &v, A_TMP, t, vs, 1);
	}
	C->curtok = tok;
	int s = slot(C, m->map, tok), j = -1, e = -1;
	if (v.pres) /* m[k] = other[k]: a missing value deletes, as nil would */
		j = lbc_emit(C, LB_OP_JZ, 0, v.pres - 1, 0, 0, 0, 0);
	lbc_emit(C, LB_OP_MAP_SETSTR, 0, 0, s, 0, vs, t);
	if (v.pres) {
		e = lbc_emit(C, LB_OP_JMP, 0, 0, 0, 0, 0, 0);
		C->plan->ops[j].off = (__u16)C->plan->nops;
		lbc_emit(C, LB_OP_MAP_DELETE, 0, 0, s, 0, 0, 0);
		C->plan->ops[e].off = (__u16)C->plan->nops;
	}
}

/* m[key] = an array field: LB_VAL_ARRAY, its bytes zero padded in a temp */
static void arrset(struct lbc *C, const struct val *m, int target, struct key *K, struct val v)
{
	struct lb_mapdesc *d = &C->maps[m->map];
	int tok = N(target)->tok;
	struct lh a = {.n = v.ssize, .bits = (int)v.i};
	fixkind(C, m, tok, LB_VAL_ARRAY, &a);
	key_put(C, m, tok, K);
	int vs = d->value_size, t = lbc_stmp(C, vs);
	lbc_arrput(C, &v, A_TMP, t, vs);
	lbc_emit(C, LB_OP_MAP_SETSTR, 0, 0, slot(C, m->map, tok), 0, vs, t);
}

/* m[key] = <update u>, with value node vnode (negated if neg) */
static void update(struct lbc *C, const struct val *m, int target, int u, int vnode, int neg,
		   int call)
{
	struct key K;
	struct lh lh = {0};
	int save = C->regtop, tok = N(target)->tok, vreg = 0, pres = 0, obs = 0;
	lbc_uncache(C, m->map, NULL, 0); /* later reads see the update */
	key_eval(C, m, target, &K);
	C->curtok = tok;
	if (u == U_COUNT) {
		vreg = lbc_tmp(C);
		lbc_emit(C, LB_OP_IMM, vreg, 0, 0, 0, 0, 1);
	} else if (u != U_DELETE) {
		struct val v = lbc_expr(C, vnode);
		if (u == U_SET && (lbc_isstr(&v) || (v.t == T_INT && v.sk && !v.viastr &&
						     !keepsaddr(C, m->map, vnode)))) {
			strset(C, m, target, &K, v, vnode);
			C->regtop = save;
			return;
		}
		if (u == U_SET && v.t == T_ARR) {
			arrset(C, m, target, &K, v);
			C->regtop = save;
			return;
		}
		if (v.t != T_INT) {
			if (u == U_SET)
				lbc_error(
				    C, N(vnode)->tok, NULL,
				    "a map element can hold a number, a string or an array, not %s",
				    lbc_tname(v.t));

			if (u != U_SUM && u != U_XADD)
				lbc_error(C, N(vnode)->tok, NULL, "bpf.%s() takes a number, not %s",
					  upd[u].name, lbc_tname(v.t));
			lbc_error(C, N(vnode)->tok, NULL,
				  "can only add a number to a map element, not %s", lbc_tname(v.t));
		}
		int k = v.isconst;
		if (neg && k)
			v.i = (int64_t)(0 - (uint64_t)v.i);
		vreg = lbc_reg(C, &v);
		if (neg && !k) {
			int r = lbc_tmp(C);
			lbc_emit(C, LB_OP_NEG, r, vreg, 0, 0, 0, 0);
			vreg = r;
		}
		if (u == U_SET)
			pres = v.pres;
	}
	if (u == U_HIST) {
		int k = N(vnode)->next, r;
		if (k) {
			int64_t b = const_arg(C, k, "hist() k", "2^k buckets per power of two");
			if (b < 0 || b > LB_HIST_MAXBITS)
				lbc_error(C, N(k)->tok, "2^k buckets per power of two",
					  "hist() k must be from 0 to %d", LB_HIST_MAXBITS);
			lh.bits = (int)b;
		}
		C->curtok = tok;
		r = lbc_tmp(C);
		lbc_emit(C, LB_OP_LOG2, r, vreg, 0, 0, 0, lh.bits);
		obs = vreg; /* summed beside the buckets */
		vreg = r;
	} else if (u == U_LHIST) {
		int a = N(call)->b, mn = N(a)->next, mx = N(mn)->next, st = N(mx)->next;
		lh.min = const_arg(C, mn, "lhist() min", LHIST_HINT);
		lh.max = const_arg(C, mx, "lhist() max", LHIST_HINT);
		lh.step = const_arg(C, st, "lhist() step", LHIST_HINT);
		C->curtok = tok;
		if (lh.step <= 0)
			lbc_error(C, N(st)->tok, NULL, "lhist() step must be positive");
		if (lh.max <= lh.min)
			lbc_error(C, N(mx)->tok, NULL, "lhist() max must be greater than min");
		/* (max - min) / step + 2, without overflow */
		uint64_t span = (uint64_t)lh.max - (uint64_t)lh.min;
		if (span / (uint64_t)lh.step > LHIST_MAX - 2)
			lbc_error(C, N(call)->tok, "use a larger step or a narrower range",
				  "lhist() would need more than %d buckets", LHIST_MAX);
		lh.n = (int64_t)(span / (uint64_t)lh.step) + 2;
		C->curtok = N(call)->tok;
		int b = lbc_tmp(C), r = lbc_tmp(C);
		lbc_emit(C, LB_OP_IMM, b, 0, 0, 0, 0, lh.step);
		lbc_emit(C, LB_OP_LINEAR, r, vreg, b, 0, (int)lh.n, lh.min);
		obs = vreg;
		vreg = r;
	}
	C->curtok = tok;
	/* deleting works on any map; on a new one it fixes plain values */
	if (u != U_DELETE || C->maps[m->map].valkind == LB_VAL_NONE)
		fixkind(C, m, tok, upd[u].kind, &lh);
	C->dwarf_at = 0;
	C->dwarf_ok = u == U_COUNT || u == U_SUM;
	key_put(C, m, tok, &K);
	C->dwarf_ok = 0;
	int s = slot(C, m->map, tok), code = upd[u].code;
	if (C->dwarf_at) { /* the kernel cannot unwind it: user space will */
		lbc_emit(C, LB_OP_UNWIND_ADD, s, vreg, 0, 0, C->maps[m->map].key_size,
			 C->dwarf_at - 1);
		C->regtop = save;
		return;
	}
	switch (u) {
	case U_SET:
	case U_XADD:
	case U_DELETE:
		if (pres) {
			/* m[k] = other[k]: a missing value deletes, as nil would */
			int j = lbc_emit(C, LB_OP_JZ, 0, pres - 1, 0, 0, 0, 0);
			lbc_emit(C, LB_OP_MAP_SET, 0, vreg, s, 0, 0, 0);
			int e = lbc_emit(C, LB_OP_JMP, 0, 0, 0, 0, 0, 0);
			C->plan->ops[j].off = (__u16)C->plan->nops;
			lbc_emit(C, LB_OP_MAP_DELETE, 0, 0, s, 0, 0, 0);
			C->plan->ops[e].off = (__u16)C->plan->nops;
		} else {
			lbc_emit(C, code, 0, vreg, s, 0, 0, 0);
		}
		break;
	case U_HIST: lbc_emit(C, code, s, vreg, obs, 0, LB_HIST_NBUCKETS(lh.bits), 0); break;
	case U_LHIST: lbc_emit(C, code, s, vreg, obs, 0, (int)lh.n, 0); break;
	default: lbc_emit(C, code, s, vreg, 0, 0, 0, 0);
	}
	C->regtop = save;
}

static int nargs(struct lbc *C, int call)
{
	int k = 0;
	for (int a = N(call)->b; a; a = N(a)->next)
		k++;
	return k;
}

/* m[k] = m[k] + x, m[k] = x + m[k], m[k] = m[k] - x: the node of x, or 0 */
static int selfadd(struct lbc *C, int target, int rhs, int *neg, int *self)
{
	const struct node *r = N(rhs);
	*neg = 0;
	if (r->k != X_BIN || (r->op != '+' && r->op != '-'))
		return 0;
	if (same(C, r->a, target, 0)) {
		*neg = r->op == '-';
		*self = r->a;
		return r->b;
	}
	if (r->op == '+' && same(C, r->b, target, 0)) {
		*self = r->b;
		return r->a;
	}
	return 0;
}

/* m[k] = (m[k] or 0) + x, m[k] = x + (m[k] or 0): the node of x, or 0 */
static int oradd(struct lbc *C, int target, int rhs)
{
	const struct node *r = N(rhs);
	if (r->k != X_BIN || r->op != '+')
		return 0;
	for (int i = 0; i < 2; i++) {
		const struct node *o = N(i ? r->b : r->a);
		if (o->k == X_BIN && o->op == TK_OR && same(C, o->a, target, 0) &&
		    N(o->b)->k == X_INT && N(o->b)->i == 0)
			return i ? r->a : r->b;
	}
	return 0;
}

static int aggcall(struct lbc *C, int rhs)
{
	const char *s;
	size_t n;
	if (!lbc_builtin(C, rhs, &s, &n))
		return -1;
	for (int u = 0; u <= U_LHIST; u++)
		if (upd[u].name && lbc_isname(s, n, upd[u].name))
			return u;
	return -1;
}

void lbc_mapassign(struct lbc *C, const struct val *m, int target, int rhs)
{
	const struct node *r = N(rhs);
	int u, x, neg, self;
	if (r->k == X_NIL) {
		update(C, m, target, U_DELETE, 0, 0, 0);
		return;
	}
	if ((u = aggcall(C, rhs)) >= 0) {
		int na = nargs(C, rhs), want = u == U_COUNT ? 0 : u == U_LHIST ? 4 : 1;
		if (na != want && !(u == U_HIST && na == 2)) {
			if (u == U_COUNT)
				lbc_error(C, r->tok, NULL, "count() takes no arguments");
			if (u == U_LHIST)
				lbc_error(C, r->tok, NULL,
					  "lhist() takes four arguments: lhist(x, min, max, step)");
			if (u == U_HIST)
				lbc_error(C, r->tok, NULL,
					  "hist() takes one or two arguments: hist(x [, k])");
			lbc_error(C, r->tok, NULL, "%s() takes one argument", upd[u].name);
		}
		update(C, m, target, u, N(rhs)->b, 0, rhs);
		return;
	}
	if ((x = selfadd(C, target, rhs, &neg, &self))) {
		int vk = C->maps[m->map].valkind;
		int xadd = vk == LB_VAL_INT || (vk == LB_VAL_NONE && C->intuse[m->map]);
		update(C, m, target, xadd ? U_XADD : U_SUM, x, neg, 0);
		return;
	}
	if ((x = oradd(C, target, rhs))) {
		update(C, m, target, U_XADD, x, 0, 0);
		return;
	}
	update(C, m, target, U_SET, rhs, 0, 0);
}

/* the session map X_INDEX node i reads or writes, or -1; no code */
/* the upvalue or global called s[0 .. n): what it holds */
static int outer(struct lbc *C, const char *s, size_t n, struct lbc_value *lv)
{
	char name[LB_NAME_MAX];
	if (n >= sizeof name)
		return 0;
	memcpy(name, s, n);
	name[n] = 0;
	return lbc_lookup(C->in, name, lv);
}

static int mapof(struct lbc *C, int i)
{
	const struct node *x = N(N(i)->a);
	struct lbc_value lv;
	if (x->k != X_NAME || x->n >= LB_NAME_MAX)
		return -1;
	for (int i = C->nlocals - 1; i >= 0; i--)
		if (C->locals[i].n == x->n && !memcmp(C->locals[i].name, x->s, x->n))
			return C->locals[i].v.t == T_MAP ? C->locals[i].v.map : -1;
	if (!outer(C, x->s, x->n, &lv))
		return -1;
	if (lv.kind == LBC_V_VARS) {
		const struct node *k = N(N(i)->b);
		if ((N(i)->op == 1 || k->k == X_STR) && k->n > 0 && k->n < LB_NAME_MAX &&
		    !memchr(k->s, 0, k->n))
			return lbc_varmap(C, i).map;
		return -1;
	}
	if (lv.kind != LBC_V_MAP || lv.map < 0 || lv.map >= C->in->nmaps)
		return -1;
	return lv.map;
}

/* Is node n a string, by its syntax: a constant, x.comm, bpf.str(...),
 * e.args.NAME of a string field? (No code, no errors.) */
int lbc_stringy(struct lbc *C, int n)
{
	const struct node *x = N(n);
	const struct lbc_probe *pr = C->in->probe;
	if (x->k == X_STR)
		return 1;
	if (x->k == X_CALL) {
		const struct node *f = N(x->a);
		return (f->k == X_NAME && lbc_isname(f->s, f->n, "str")) ||
		       (f->k == X_INDEX && f->op == 1 && lbc_isname(N(f->b)->s, N(f->b)->n, "str"));
	}
	if (x->k != X_INDEX || x->op != 1)
		return 0;
	if (lbc_isname(N(x->b)->s, N(x->b)->n, "comm"))
		return 1;
	const struct node *a = N(x->a);
	if (a->k != X_INDEX || a->op != 1 || !lbc_isname(N(a->b)->s, N(a->b)->n, "args") || !pr ||
	    !pr->fields)
		return 0;
	for (int i = 0; i < pr->nfields; i++)
		if (pr->fields[i].name && lbc_isname(N(x->b)->s, N(x->b)->n, pr->fields[i].name))
			return pr->fields[i].is_string != 0;
	return 0;
}

static int isstrcall(struct lbc *C, const struct node *x)
{
	const struct node *f = N(x->a);
	return x->k == X_CALL && x->b &&
	       ((f->k == X_NAME && lbc_isname(f->s, f->n, "str")) ||
		(f->k == X_INDEX && f->op == 1 && lbc_isname(N(f->b)->s, N(f->b)->n, "str")));
}

/* Maps whose values some handler of the chunk reads with bpf.str(m[k])
 * keep char * fields as addresses: opensnoop's pattern, the pointer
 * saved at sys_enter and read at sys_exit, once the kernel has paged the
 * string in. Other handlers are seen in the chunk's tokens (`str ( m [`,
 * m an upvalue or global of this one), this one in its tree. */
static void ptrmaps(struct lbc *C)
{
	const struct tok *t = C->toks;
	const struct lbc_scan *sc = C->in->scan;
	struct lbc_value lv;
	if (sc && sc->len != C->in->source_len) /* not this text's: lbc_lex ignored it */
		sc = NULL;
	if (sc) { /* the tokens are only the handler's: the chunk's str(m[ from the scan */
		const uint32_t *m = sc->v + 2 * (sc->nlines + 1);
		for (uint32_t k = 0; k < sc->nstrs; k++, m += 2)
			if ((m[0] < t[C->ftok].pos || m[0] >= t[C->fend].end) &&
			    m[0] + m[1] <= C->in->source_len &&
			    outer(C, C->in->source + m[0], m[1], &lv) && lv.kind == LBC_V_MAP &&
			    lv.map >= 0 && lv.map < C->in->nmaps)
				C->ptruse[lv.map] = 1;
	}
	for (int i = 0; !sc && i + 3 < C->ntoks; i++) {
		if (i >= C->ftok && i <= C->fend)
			continue;
		if (t[i].t == TK_NAME && lbc_isname(t[i].s, t[i].n, "str") && t[i + 1].t == '(' &&
		    t[i + 2].t == TK_NAME && t[i + 3].t == '[' &&
		    outer(C, t[i + 2].s, t[i + 2].n, &lv) && lv.kind == LBC_V_MAP && lv.map >= 0 &&
		    lv.map < C->in->nmaps)
			C->ptruse[lv.map] = 1;
	}
	for (int i = 1; i < C->nnodes; i++) {
		const struct node *x = N(i);
		int mi;
		if (isstrcall(C, x) && N(x->b)->k == X_INDEX && (mi = mapof(C, x->b)) >= 0)
			C->ptruse[mi] = 1;
	}
}

/* a char * field (not bpf.str() of one) stored into a map of addresses */
static int keepsaddr(struct lbc *C, int mi, int rhs)
{
	return C->ptruse[mi] && C->maps[mi].valkind != LB_VAL_STR && !isstrcall(C, N(rhs)) &&
	       lbc_stringy(C, rhs);
}

/* Which maps does the handler read or set (not only aggregate)? There
 * m[k] = m[k] + x must be an atomic add of a plain value. Which get
 * strings? A read before the first such set then reads a string. */
void lbc_prepass(struct lbc *C)
{
	unsigned char *skip = calloc((size_t)C->nnodes + 1, 1);
	if (!skip)
		lbc_error(C, C->ftok, NULL, "out of memory");
	ptrmaps(C);
	for (int i = 1; i < C->nnodes; i++) {
		const struct node *s = N(i);
		int t = s->a, neg, self = 0, mi;
		if (s->k != S_ASSIGN || !t || N(t)->k != X_INDEX || (mi = mapof(C, t)) < 0 || !s->b)
			continue;
		skip[t] = 1;
		if (lbc_stringy(C, s->b) && !keepsaddr(C, mi, s->b))
			C->struse[mi] = 1;
		/* a value or nil (calls are aggregations, or errors) */
		if (N(s->b)->k != X_CALL && !selfadd(C, t, s->b, &neg, &self))
			C->intuse[mi] = 1;
		if (self)
			skip[self] = 1;
	}
	for (int i = 1; i < C->nnodes; i++) {
		int mi;
		if (N(i)->k == X_INDEX && !skip[i] && (mi = mapof(C, i)) >= 0)
			C->intuse[mi] = 1;
		/* m[k] read as a string: a printf %s argument, compared with a string */
		const struct node *x = N(i);
		if (x->k == X_BIN && (x->op == TK_EQ || x->op == TK_NE)) {
			for (int side = 0; side < 2; side++) {
				int a = side ? x->b : x->a, o = side ? x->a : x->b;
				if (N(a)->k == X_INDEX && (mi = mapof(C, a)) >= 0 &&
				    lbc_stringy(C, o))
					C->struse[mi] = 1;
			}
		}
		if (x->k == X_CALL && N(x->a)->k == X_INDEX && N(x->a)->op == 1 &&
		    lbc_isname(N(N(x->a)->b)->s, N(N(x->a)->b)->n, "printf") && x->b &&
		    N(x->b)->k == X_STR) {
			unsigned char isstr[LB_MAX_ARGS] = {0};
			int k = 0;
			lbc_strconvs(N(x->b)->s, N(x->b)->n, isstr, LB_MAX_ARGS);
			for (int a = N(x->b)->next; a && k < LB_MAX_ARGS; a = N(a)->next, k++)
				if (isstr[k] && N(a)->k == X_INDEX && (mi = mapof(C, a)) >= 0)
					C->struse[mi] = 1;
		}
	}
	free(skip);
}
