/* Statements: locals, assignments, if/else, and the final placement of the scratch areas. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lbc.h"

#define N(i) (&C->nodes[i])

static void block(struct lbc *C, int b);

static struct local *findlocal(struct lbc *C, const struct node *x)
{
	for (int i = C->nlocals - 1; i >= 0; i--)
		if (C->locals[i].n == x->n && !memcmp(C->locals[i].name, x->s, x->n))
			return &C->locals[i];
	return NULL;
}

/* The most string bytes the statements from b on assign to local x (0:
 * none do); blocks nested in them too, until a local of that name hides it. */
static int reassigned(struct lbc *C, int b, const struct node *x)
{
	int most = 0, k, m;
	for (; b; b = N(b)->next) {
		const struct node *s = N(b), *t = N(s->a);
		m = 0;
		switch (s->k) {
		case S_ASSIGN:
			if (t->k == X_NAME && t->n == x->n && !memcmp(t->s, x->s, x->n))
				m = lbc_strbound(C, s->b, &k);
			break;
		case S_IF: /* else and elseif are one S_DO or S_IF node */
			m = reassigned(C, s->b, x);
			if ((k = reassigned(C, s->c, x)) > m)
				m = k;
			break;
		case S_DO: m = reassigned(C, s->a, x); break;
		case S_LOCAL:
			for (int nm = s->a; nm; nm = N(nm)->next)
				if (N(nm)->n == x->n && !memcmp(N(nm)->s, x->s, x->n))
					return most;
			break;
		}
		most = m > most ? m : most;
	}
	return most;
}

static void assign(struct lbc *C, int s)
{
	int t = N(s)->a, rhs = N(s)->b;
	const struct node *x = N(t);
	if (x->next || N(rhs)->next)
		lbc_error(C, N(s)->tok, NULL,
			  "multiple assignment is not supported in kernel handlers");
	if (x->k == X_INDEX) {
		struct val b = lbc_expr(C, x->a);
		if (b.t == T_MAP) {
			lbc_mapassign(C, &b, t, rhs);
			return;
		}
		if (b.t == T_VARS) {
			struct val m = lbc_varmap(C, t);
			lbc_mapassign(C, &m, t, rhs);
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
		lbc_error(C, x->tok, NULL, "attempt to assign to const variable '%.*s'", (int)x->n,
			  x->s);
	if (l->alias)
		lbc_error(C, x->tok, NULL,
			  "local '%.*s' holds %s and cannot be reassigned in a kernel handler",
			  (int)x->n, x->s, lbc_tname(l->v.t));
	int save = C->regtop;
	lbc_uncache(C, -1, x->s, x->n); /* keys naming it change */
	if (l->v.t == T_DSTR) {		/* a string variable (see local()) */
		struct val v = lbc_tostr(C, lbc_expr(C, rhs));
		char b[128];
		if (!lbc_isstr(&v))
			lbc_error(C, N(rhs)->tok, NULL,
				  "local '%.*s' holds a string; cannot assign %s to it", (int)x->n,
				  x->s, lbc_vname(&v, b, sizeof b));
		C->curtok = N(rhs)->tok;
		if (v.t != T_DSTR || v.sk != DS_TMP || v.sarg != l->v.sarg)
			lbc_strput(C, &v, A_TMP, l->v.sarg, l->v.ssize, 1);
		C->regtop = save;
		return;
	}
	if (N(rhs)->k == X_NIL && l->v.pres) {
		lbc_emit(C, LB_OP_IMM, l->v.reg, 0, 0, 0, 0, 0);
		lbc_emit(C, LB_OP_IMM, l->v.pres - 1, 0, 0, 0, 0, 0);
		return;
	}
	struct val v = lbc_expr(C, rhs);
	if (v.t != l->v.t)
		lbc_error(C, N(rhs)->tok, NULL, "local '%.*s' holds %s; cannot assign %s to it",
			  (int)x->n, x->s, lbc_tname(l->v.t), lbc_tname(v.t));
	if (v.sk != l->v.sk)
		lbc_error(C, N(rhs)->tok, "a local keeps what it was declared with",
			  "local '%.*s' holds %s; cannot assign %s to it", (int)x->n, x->s,
			  l->v.sk ? "a char * field (a string where one is needed)" : "a number",
			  v.sk ? "a char * field" : "a plain number");
	if (l->v.btf && v.btf && v.btf != l->v.btf) {
		char t1[64], t2[64];
		lbc_error(C, N(rhs)->tok,
			  "a local keeps the type it was declared with; use another local",
			  "local '%.*s' holds a %s; cannot assign a %s to it", (int)x->n, x->s,
			  lbc_ktname(C, l->v.btf, t1, sizeof t1),
			  lbc_ktname(C, v.btf, t2, sizeof t2));
	}
	if (v.pres && !l->v.pres)
		lbc_error(
		    C, N(rhs)->tok, "give it a default: m[k] or 0",
		    "local '%.*s' holds a number that is never nil; a map value may be missing",
		    (int)x->n, x->s);
	C->curtok = N(rhs)->tok;
	if (v.isconst)
		lbc_emit(C, LB_OP_IMM, l->v.reg, 0, 0, 0, 0, v.i);
	else if (v.reg != l->v.reg)
		lbc_emit(C, LB_OP_MOV, l->v.reg, v.reg, 0, 0, 0, 0);
	if (l->v.pres && v.pres != l->v.pres)
		lbc_emit(C, v.pres ? LB_OP_MOV : LB_OP_IMM, l->v.pres - 1, v.pres ? v.pres - 1 : 0,
			 0, 0, 0, v.pres ? 0 : 1);
	C->regtop = save;
}

static void local(struct lbc *C, int s)
{
	int nm = N(s)->a, e = N(s)->b, first = C->nlocals;
	for (; nm; nm = N(nm)->next, e = e ? N(e)->next : 0) {
		const struct node *x = N(nm);
		if (x->attr == 2)
			lbc_error(C, x->tok, NULL,
				  "to-be-closed locals are not supported in kernel handlers");
		if (!e)
			lbc_error(C, x->tok, "nil values are not supported",
				  "local '%.*s' needs a value", (int)(x->n > 64 ? 64 : x->n), x->s);
		if (C->nlocals == LBC_MAX_LOCALS)
			lbc_error(C, x->tok, NULL, "too many locals (limit %d)", LBC_MAX_LOCALS);
		int save = C->regtop;
		C->kobjok = 1; /* local q = e.args.dentry.d_name: q.name later */
		struct val v = lbc_expr(C, e);
		struct local *l = &C->locals[C->nlocals];
		C->regtop = save;
		l->alias = 0;
		int most = lbc_isstr(&v) ? reassigned(C, N(s)->next, x) : 0;
		if (most) {
			/* a string variable: its own zero padded temporary, big
			 * enough for every string assigned to it */
			int size = lbc_slot(lbc_strsize(&v) > most ? lbc_strsize(&v) : most);
			C->curtok = x->tok;
			int off = lbc_stmp(C, size);
			lbc_strput(C, &v, A_TMP, off, size, 1);
			C->spin = C->stop; /* keep it */
			v = (struct val){.t = T_DSTR, .sk = DS_TMP, .sarg = off, .ssize = size};
			v.fname = lbc_names(C, "%.*s", (int)x->n, x->s);
		} else if (v.t == T_INT || v.t == T_BOOL || v.t == T_PROBE || v.t == T_KSTACK ||
			   v.t == T_USTACK || v.t == T_KSYM || v.t == T_USYM) {
			C->curtok = x->tok;
			int r = lbc_tmp(C);
			if (v.isconst)
				lbc_emit(C, LB_OP_IMM, r, 0, 0, 0, 0, v.i);
			else if (v.reg != r)
				lbc_emit(C, LB_OP_MOV, r, v.reg, 0, 0, 0, 0);
			if (v.pres) {
				/* a map value: its presence too, for `if x then` */
				int p = lbc_tmp(C);
				if (v.pres - 1 != p)
					lbc_emit(C, LB_OP_MOV, p, v.pres - 1, 0, 0, 0, 0);
				v.pres = p + 1;
			}
			v.isconst = 0;
			v.reg = r;
		} else if (v.t == T_DSTR) {
			C->curtok = x->tok;
			if (v.sk == DS_PTR || v.sk == DS_LOC) {
				int r = lbc_tmp(C);
				if (v.reg != r)
					lbc_emit(C, LB_OP_MOV, r, v.reg, 0, 0, 0, 0);
				v.reg = r;
			}
			if (v.pres) {
				int p = lbc_tmp(C);
				if (v.pres - 1 != p)
					lbc_emit(C, LB_OP_MOV, p, v.pres - 1, 0, 0, 0, 0);
				v.pres = p + 1;
			}
			if (v.sk == DS_TMP)
				C->spin = C->stop; /* keep its temporary */
			l->alias = 1;
		} else if (v.t == T_KOBJ) {
			/* a kernel struct: its address, kept in a register */
			C->curtok = x->tok;
			int r = lbc_tmp(C);
			if (v.reg != r)
				lbc_emit(C, LB_OP_MOV, r, v.reg, 0, 0, 0, 0);
			v.reg = r;
			l->alias = 1;
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
		lbc_uncache(C, -1, N(nm)->s, N(nm)->n); /* keys naming it mean it now */
	}
}

static void ifstat(struct lbc *C, int s)
{
	int done = LBC_NOJ, rt = C->regtop, nc = C->ncache;
	for (;;) {
		int f = LBC_NOJ, cond = N(s)->a;
		C->rdidx = 0;
		lbc_jump(C, cond, 0, &f);
		/* if m[k] then: the block reuses the value and presence read
		 * (registers kept only when it reads m[k] again) */
		if (!C->nocache && N(cond)->k == X_INDEX && C->rdidx == cond &&
		    C->ncache < LBC_MAX_CACHE && C->rdreg >= rt && C->rdpres >= rt &&
		    lbc_purekey(C, N(cond)->b, 0) && lbc_rereads(C, N(s)->b, cond, 0)) {
			struct mcache *e = &C->cache[C->ncache++];
			e->map = C->rdmap;
			e->key = N(cond)->b;
			e->reg = C->rdreg;
			e->pres = C->rdpres;
			C->regtop = (e->reg > e->pres ? e->reg : e->pres) + 1; /* keep them */
			C->cached = 1;
		}
		block(C, N(s)->b);
		C->ncache = nc;
		C->regtop = rt;
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
	int nl = C->nlocals, rt = C->regtop, saved = C->depth, st = C->stop, sp = C->spin;
	C->spin = C->stop;
	for (; b; b = N(b)->next) {
		C->stop = C->spin; /* temps of the last statement are dead */
		lbc_enter(C, N(b)->tok);
		C->curtok = N(b)->tok;
		switch (N(b)->k) {
		case S_LOCAL: local(C, b); break;
		case S_ASSIGN: assign(C, b); break;
		case S_IF: ifstat(C, b); break;
		case S_DO: block(C, N(b)->a); break;
		case S_CALL: lbc_callstmt(C, N(b)->a); break;
		case S_RETURN:
			if (N(b)->a)
				lbc_error(C, N(N(b)->a)->tok, NULL,
					  "kernel handlers cannot return values");
			lbc_emit(C, LB_OP_END, 0, 0, 0, 0, 0, 0);
			break;
		default: lbc_error(C, N(b)->tok, NULL, "internal: bad statement");
		}
		C->depth = saved;
	}
	C->nlocals = nl;
	C->regtop = rt;
	C->stop = st;
	C->spin = sp;
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
	C->maxstr = C->in->max_strlen ? C->in->max_strlen : LB_STR_DEFAULT;
	if (C->maxstr < 1 || C->maxstr > LB_MAX_STR)
		lbc_error(C, C->ftok, NULL, "max_strlen is %d: it must be from 1 to %d",
			  C->in->max_strlen, LB_MAX_STR);
	/* per session map, keyless maps added while compiling included */
	C->intuse = calloc(LB_MAX_SESSION_MAPS, 1);
	C->struse = calloc(LB_MAX_SESSION_MAPS, 1);
	C->ptruse = calloc(LB_MAX_SESSION_MAPS, 1);
	if (!C->intuse || !C->struse || !C->ptruse)
		lbc_error(C, C->ftok, NULL, "out of memory");
	lbc_prepass(C);
	block(C, body);
}

void lbc_finish(struct lbc *C)
{
	struct lb_plan *P = C->plan;
	C->curtok = C->fend;
	lbc_emit(C, LB_OP_END, 0, 0, 0, 0, 0, 0);
	unsigned kbase = (P->ctx_copy + 7) & ~7u;
	unsigned sbase = kbase + (((unsigned)C->kneed + 7) & ~7u);
	unsigned total = sbase + (unsigned)C->sneed;
	if (total > LB_SCRATCH)
		lbc_error(C, C->ftok, NULL,
			  "handler needs %u bytes of scratch space (context copy, keys, strings "
			  "and records), more than LB_SCRATCH (%d)",
			  total, LB_SCRATCH);
	unsigned base[3] = {0, kbase, sbase};
	for (unsigned i = 0; i < P->nops; i++) {
		P->ops[i].off = (__u16)(P->ops[i].off + base[C->rel[i] & 3]);
		P->ops[i].imm += base[(C->rel[i] >> 2) & 3];
	}
	if (C->unwinds && total > LB_UNWIND_AT)
		lbc_error(C, C->ftok, NULL,
			  "handler needs %u bytes of scratch space, more than the %d left beside a "
			  "DWARF stack record",
			  total, (int)LB_UNWIND_AT);
	P->scratch_size = C->unwinds ? LB_SCRATCH : 1024;
	while (P->scratch_size < total)
		P->scratch_size *= 2;
	if (C->in->probe) {
		P->probe_id = C->in->probe->probe_id;
		P->sysmode = C->in->probe->sysmode;
		if (C->in->probe->sysmask)
			memcpy(P->sysmask, C->in->probe->sysmask, sizeof P->sysmask);
		for (int i = 0; i < C->in->probe->nusdt && i < LB_USDT_SITES; i++)
			memcpy(P->usdt[i], C->in->probe->usdt[i], sizeof P->usdt[i]);
	}
	for (int i = 0; i < C->nslots; i++) /* drops are counted per session map */
		P->slot_ids[i] = (__u32)C->slot_map[i];
}
