/* Expressions: ops and registers, names, e.NAME, bpf.NAME, calls, and lbc_expr. */
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
static const char *const stmts[] = {"printf", "print", "exit", "time", "join", NULL};
static const char *const values[] = {"kstack", "ustack",   "ksym", "usym", "str",
				     "reg",    "strftime", "ntop", NULL};
static const char *const later[] = {
    "delete", "cat", "system", "buf", NULL,
};
#define BUILTINS                                                                                   \
	"kernel handlers can use bpf.count, sum, min, max, avg, stats, hist, "                     \
	"lhist, printf, print, exit, time, join, kstack, ustack, ksym, usym, str, reg, strftime "  \
	"and "                                                                                     \
	"ntop"
/* LuaJIT's bit (lua-bitop on 5.1) and 5.2's bit32, as the compiler sees
 * them: the operators of 5.3 (64-bit here, as all handler values) */
static const char *const bitops[] = {
    "bit.band", "bit.bor", "bit.bxor", "bit.bnot", "bit.lshift", "bit.rshift", "bit.arshift",
};
#define BITOPS "kernel handlers can use bit.band, bor, bxor, bnot, lshift, rshift and arshift"
static const char *const userside[] = {
    "map",     "tracepoint", "interval",      "run",	   "BEGIN", "END",    "profile",
    "kfunc",   "kretfunc",   "uprobe",	      "uretprobe", "usdt",  "kprobe", "kretprobe",
    "session", "compile",    "rawtracepoint", "clear",	   "maps",  "vars",   NULL,
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

/* Where the op table puts an off or imm in scratch (lbc_finish adds the
 * area's base): LB_O_SCR fields are in dflt unless lbc_rel says. */
static int area(int kind, int dflt)
{
	switch (kind) {
	case LB_O_KEY: return A_KEY;
	case LB_O_TMP: return A_TMP;
	case LB_O_SCR: return dflt;
	}
	return A_ABS;
}

/* The op at pc takes its off and imm in these areas: only fields the op
 * table lets the compiler place (LB_O_SCR) may move. */
void lbc_rel(struct lbc *C, int pc, int offarea, int immarea)
{
	const struct lbc_opinfo *d = &lbc_ops[C->plan->ops[pc].code];
	if ((d->off != LB_O_SCR && offarea != area(d->off, A_ABS)) ||
	    (d->imm != LB_O_SCR && immarea != area(d->imm, A_ABS)))
		lbc_error(C, C->curtok, NULL, "internal: %s cannot take its operands from there",
			  d->name);
	C->rel[pc] = (unsigned char)(offarea | immarea << 2);
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
	const struct lbc_opinfo *d = &lbc_ops[code];
	C->rel[P->nops] = (unsigned char)(area(d->off, A_KEY) | area(d->imm, A_ABS) << 2);
	if (code == LB_OP_EMIT || code == LB_OP_UNWIND_ADD)
		C->out->uses_records = 1;
	if (code == LB_OP_UNWIND_ADD || (code == LB_OP_EMIT && b)) /* a DWARF stack */
		C->out->uses_stacks = C->unwinds = 1;
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
	case T_VARS: return "bpf.vars()";
	case T_BITLIB: return "the bit library";
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
	case T_TIME: return "a time (bpf.strftime)";
	case T_ARR: return "an array";
	case T_JOIN: return "bpf.join()";
	case T_INET: return "an address (bpf.ntop)";
	}
	return "a user-space value";
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
	if (!lbc_lookup(in, name, &lv))
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
	case LBC_V_VARS: v.t = T_VARS; return v;
	case LBC_V_BITLIB: v.t = T_BITLIB; return v;
	case LBC_V_BUILTIN:
		v.t = T_BUILTIN;
		v.s = lv.s ? lv.s : "?";
		v.n = strlen(v.s);
		return v;
	case LBC_V_OTHER:
		if (lv.type_name && !strcmp(lv.type_name, "float"))
			lbc_error(
			    C, x->tok,
			    "convert it outside the handler, e.g. local n = math.floor(x)",
			    "%s '%s' is a float (or an integer out of range): kernel handlers "
			    "compute with 64-bit integers",
			    up ? "upvalue" : "global", name);
		v.t = T_OTHER;
		v.s = lv.type_name ? lv.type_name : "value";
		return v;
	case LBC_V_META:
		lbc_error(C, x->tok,
			  "compiling runs no Lua code: give it a plain value (rawset), or "
			  "capture it in a local",
			  "global '%s' would come from %s", name,
			  lv.type_name ? lv.type_name : "a metamethod");
	}
	if (up)
		lbc_error(C, x->tok,
			  "upvalues are read when the probe is attached; give it a value first",
			  "upvalue '%s' is nil", name);
	if (in->globals_unknown)
		lbc_error(C, x->tok, "the function's constants could not be read from its bytecode",
			  "global '%s' is not known", name);
	lbc_error(C, x->tok, "is it a typo, or a local declared after this function?",
		  "global '%s' is nil", name);
}

/* --- event fields ------------------------------------------------------- */

static const struct {
	const char *name;
	int ctx;
} efields[] = {
    {"pid", LB_CTX_PID},   {"tid", LB_CTX_TID},		{"uid", LB_CTX_UID},
    {"gid", LB_CTX_GID},   {"cpu", LB_CTX_CPU},		{"nsecs", LB_CTX_NSECS},
    {"cpid", LB_CTX_CPID}, {"elapsed", LB_CTX_ELAPSED},
};

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
			return lbc_kmember(C, n, b, k, save);
		return lbc_kindex(C, n, b, save);
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
		if (lbc_isname(k->s, k->n, "func")) {
			const struct lbc_probe *pr = C->in->probe;
			if (!pr || !pr->func)
				lbc_error(C, k->tok, "kprobe, uprobe and kfunc handlers have it",
					  "%s probes no function: it has no e.func",
					  pr && pr->name ? pr->name : "this probe");
			C->out->uses_func = 1;
			v.t = T_STR;
			v.s = pr->func;
			v.n = strlen(pr->func);
			return v;
		}
		if (k->n == 4 && !memcmp(k->s, "args", 4)) {
			v.t = T_ARGS;
			return v;
		}
		if (lbc_isname(k->s, k->n, "kstack") || lbc_isname(k->s, k->n, "ustack")) {
			int user = k->s[0] == 'u', r = lbc_tmp(C);
			if (user && C->in->ustack_dwarf)
				return lbc_dwarfstack(C, r, LB_STACK_DEPTH, 0);
			lbc_emit(C, LB_OP_STACK, r, 0, 0, 0, LB_STACK_DEPTH, user);
			return inreg(user ? T_USTACK : T_KSTACK, r);
		}
		if (lbc_isregname(k->s, k->n))
			return lbc_regfield(C, n, k);
		lbc_evhint(C);
		lbc_error(C, k->tok, C->hint, "the event has no field '%.*s'",
			  (int)(k->n > 64 ? 64 : k->n), k->s);
	case T_ARGS: strkey(C, n, "e.args"); return lbc_argfield(C, n, k);
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
	case T_BITLIB:
		strkey(C, n, "the bit library");
		for (size_t i = 0; i < sizeof bitops / sizeof *bitops; i++)
			if (lbc_isname(k->s, k->n, bitops[i] + 4)) {
				v.t = T_BUILTIN;
				v.s = bitops[i];
				v.n = strlen(bitops[i]);
				return v;
			}
		lbc_error(C, k->tok, BITOPS, "bit.%.*s is not supported in kernel handlers",
			  (int)(k->n > 64 ? 64 : k->n), k->s);
	case T_MAP: C->wantstr = ws; return lbc_mapread(C, &b, n);
	case T_VARS: {
		struct val m = lbc_varmap(C, n);
		C->wantstr = ws;
		return lbc_mapread(C, &m, n);
	}
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
	if (f.t == T_BUILTIN && f.n > 4 && !memcmp(f.s, "bit.", 4))
		return lbc_bitcall(C, n, f.s + 4, f.n - 4);
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
		lbc_error(C, x->tok,
			  "kernel handlers update maps with m[k] = bpf.count() or bpf.sum(x)",
			  "maps have no methods (m:%.*s()): m[k] is the value under k",
			  (int)(x->n > 64 ? 64 : x->n), x->s);
	lbc_error(C, x->tok, NULL, "method calls are not supported in kernel handlers");
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
	case X_BIN: v = lbc_binary(C, n); break;
	case X_UN: v = lbc_unary(C, n); break;
	default: lbc_error(C, x->tok, NULL, "internal: bad expression");
	}
	if (v.t == T_KOBJ && !kok)
		lbc_kobjerr(C, x->k == X_INDEX ? N(x->b)->tok : x->tok, &v);
	C->depth = saved;
	return v;
}
