/* Output from kernel handlers: bpf.printf, bpf.print, bpf.exit (records
 * through the ring buffer, LB_OP_EMIT), and the values only they and map
 * keys take: stacks (LB_OP_STACK) and symbols. */
#include <stdio.h>
#include <string.h>
#include "lbc.h"
#include "runtime/format.h"

#define N(i) (&C->nodes[i])

static const char *const stackmodes[] = {"bpftrace", "perf", "raw"};

/* bpf.kstack([mode] [, n]): bpftrace's kstack(perf, 5). Returns the
 * frame count and sets *mode. */
static int frames(struct lbc *C, int call, const char *name, size_t n, int *mode)
{
	int a = N(call)->b, count = LB_STACK_DEPTH;
	*mode = LB_STACK_BPFTRACE;
	struct val v = a ? lbc_expr(C, a) : (struct val){0};
	if (a && v.t == T_STR) { /* a constant: "perf", or an upvalue holding it */
		int m = 0;
		while (m < 3 && !lbc_isname(v.s, v.n, stackmodes[m]))
			m++;
		if (m == 3)
			lbc_error(
			    C, N(a)->tok, "bpftrace's stack modes: kstack(perf), ustack(raw, 5)",
			    "bpf.%.*s() takes a stack mode, \"bpftrace\", \"perf\" or \"raw\"",
			    (int)n, name);
		*mode = m;
		if (!(a = N(a)->next))
			return count;
		v = lbc_expr(C, a);
	}
	if (!a)
		return count;
	if (N(a)->next || v.t != T_INT || !v.isconst || v.i < 1 || v.i > LB_STACK_DEPTH)
		lbc_error(C, N(a)->tok, "bpf.kstack() and bpf.ustack() keep all frames",
			  "bpf.%.*s([mode,] n) takes a frame count, an integer constant from 1 to "
			  "%d",
			  (int)n, name, LB_STACK_DEPTH);
	return (int)v.i;
}

/* a strftime format: a string constant without NULs */
static struct val timefmt(struct lbc *C, int a, const char *what)
{
	struct val f = lbc_expr(C, a);
	if (f.t != T_STR)
		lbc_error(C, N(a)->tok, "e.g. bpf.strftime(\"%H:%M:%S\", e.nsecs)",
			  "the format of %s must be a string constant, not %s", what,
			  lbc_tname(f.t));
	if (memchr(f.s, 0, f.n) || f.n + 1 > LB_TIMEFMT_MAX)
		lbc_error(C, N(a)->tok, NULL,
			  "the format of %s must be at most %d bytes, without NULs", what,
			  LB_TIMEFMT_MAX - 1);
	f.t = T_TIME;
	return f;
}

/* bpf.strftime(fmt, ns): the time ns (since boot, as e.nsecs) printed in
 * user space as strftime(fmt) of the wall-clock time */
static struct val strftime_(struct lbc *C, int call)
{
	int a = N(call)->b;
	if (!a || !N(a)->next || N(N(a)->next)->next)
		lbc_error(C, N(call)->tok, "e.g. bpf.strftime(\"%H:%M:%S\", e.nsecs)",
			  "bpf.strftime() takes a format and a time in ns");
	struct val f = timefmt(C, a, "bpf.strftime");
	struct val v = lbc_expr(C, N(a)->next);
	if (v.t != T_INT)
		lbc_error(C, N(N(a)->next)->tok, NULL,
			  "bpf.strftime() takes a time in ns (a number), not %s", lbc_tname(v.t));
	lbc_reg(C, &v);
	f.reg = v.reg;
	f.isconst = 0;
	f.i = 0;
	return f;
}

/* bpf.ntop([af,] addr): bpftrace's ntop(). addr: an IPv4 u32, or an
 * array field of 4 (IPv4) or 16 bytes (IPv6); af (AF_INET 2, AF_INET6
 * 10, may be a field) defaults to what the address is. */
static struct val ntop_(struct lbc *C, int call)
{
	int a = N(call)->b;
	if (!a || (N(a)->next && N(N(a)->next)->next))
		lbc_error(C, N(call)->tok, "e.g. bpf.ntop(e.args.family, e.args.saddr_v6)",
			  "bpf.ntop() takes an address, or a family and an address");
	int an = N(a)->next ? N(a)->next : a;
	struct val af = {0};
	if (an != a) {
		af = lbc_expr(C, a);
		if (af.t != T_INT)
			lbc_error(C, N(a)->tok, NULL,
				  "bpf.ntop(af, addr) takes a family (a number), not %s",
				  lbc_tname(af.t));
		lbc_reg(C, &af);
	}
	struct val ad = lbc_expr(C, an), v = {.t = T_INET};
	C->curtok = N(call)->tok;
	if (ad.t == T_ARR && (ad.ssize == 4 || ad.ssize == 16)) {
		v.sarg = ad.sarg;
		v.ssize = ad.ssize;
	} else if (ad.t == T_INT) {
		lbc_reg(C, &ad);
		v.sarg = -1;
		v.ssize = 4;
		v.koff = ad.reg;
	} else if (ad.t == T_ARR) {
		lbc_error(C, N(an)->tok, "IPv4: a u32 or u8[4]; IPv6: u8[16]",
			  "bpf.ntop() takes an address of 4 or 16 bytes, not an array of %d",
			  ad.ssize);
	} else {
		lbc_error(C, N(an)->tok, "IPv4: a u32 or u8[4]; IPv6: u8[16]",
			  "bpf.ntop() takes an address of 4 or 16 bytes, not %s", lbc_tname(ad.t));
	}
	if (an == a) {
		af = mkint(T_INT, v.ssize == 16 ? 10 : 2); /* AF_INET6, AF_INET */
		lbc_reg(C, &af);
	}
	v.reg = af.reg;
	v.i = an != a; /* the family is given */
	return v;
}

/* A user stack to unwind in user space (bpf.config{ustack = "dwarf"}):
 * only its frame count and mode here (LB_OP_STACK's len); user space
 * adds its id when it has unwound it (LB_OP_UNWIND_ADD). */
struct val lbc_dwarfstack(struct lbc *C, int reg, int frames, int mode)
{
	struct val v = {.t = T_USTACK, .reg = reg, .dwarf = 1, .smode = mode};
	lbc_emit(C, LB_OP_IMM, reg, 0, 0, 0, 0,
		 (int64_t)(frames | mode << LB_STACK_MODE_SHIFT) << 32);
	return v;
}

/* bpf.kstack([mode,] n), bpf.ustack([mode,] n), bpf.ksym(x), bpf.usym(x) */
struct val lbc_valcall(struct lbc *C, int call, const char *name, size_t n)
{
	struct val v = {0};
	int save = C->regtop;
	if (lbc_isname(name, n, "str"))
		return lbc_strcall(C, call);
	if (lbc_isname(name, n, "reg"))
		return lbc_regcall(C, call);
	if (lbc_isname(name, n, "strftime"))
		return strftime_(C, call);
	if (lbc_isname(name, n, "ntop"))
		return ntop_(C, call);
	if (lbc_isname(name, n, "kstack") || lbc_isname(name, n, "ustack")) {
		int user = name[0] == 'u', mode, len = frames(C, call, name, n, &mode);
		C->regtop = save;
		C->curtok = N(call)->tok;
		v.reg = lbc_tmp(C);
		if (user && C->in->ustack_dwarf)
			return lbc_dwarfstack(C, v.reg, len, mode);
		v.t = user ? T_USTACK : T_KSTACK;
		v.smode = mode;
		lbc_emit(C, LB_OP_STACK, v.reg, 0, 0, 0, len | mode << LB_STACK_MODE_SHIFT, user);
		return v;
	}
	/* ksym, usym: an address */
	int a = N(call)->b;
	if (!a || N(a)->next)
		lbc_error(C, N(call)->tok, NULL, "bpf.%.*s() takes one argument, an address",
			  (int)n, name);
	v = lbc_expr(C, a);
	if (v.t != T_INT)
		lbc_error(C, N(a)->tok, NULL, "bpf.%.*s() takes an address (a number), not %s",
			  (int)n, name, lbc_tname(v.t));
	lbc_reg(C, &v);
	v.pres = 0;
	v.t = name[0] == 'u' ? T_USYM : T_KSYM;
	return v;
}

struct arg {
	struct val v;
	int node;
	int type, size;
};

static int roundup8(size_t n)
{
	return (int)((n + 7) & ~(size_t)7);
}

void lbc_inetput(struct lbc *C, const struct val *v, int area, int off)
{
	lbc_rel(C, lbc_emit(C, LB_OP_PUT, 0, v->reg, 0, off, 8, 0), area, A_ABS);
	lbc_zero(C, area, off + 8, 16);
	if (v->sarg < 0) {
		lbc_rel(C, lbc_emit(C, LB_OP_PUT, 0, v->koff, 0, off + 8, 8, 0), area, A_ABS);
		return;
	}
	if (v->ssize == 16 && v->i) {
		/* a family given at run time: AF_INET keeps 4 of the 16 bytes, so
		 * equal addresses are equal keys (and print the same) */
		int save = C->regtop, two = lbc_tmp(C), c = lbc_tmp(C), j, e;
		lbc_emit(C, LB_OP_IMM, two, 0, 0, 0, 0, 2);
		lbc_emit(C, LB_OP_EQ, c, v->reg, two, 0, 0, 0);
		j = lbc_emit(C, LB_OP_JZ, 0, c, 0, 0, 0, 0);
		lbc_rel(C, lbc_emit(C, LB_OP_COPY, 0, 0, 0, off + 8, 4, v->sarg), area, A_ABS);
		e = lbc_emit(C, LB_OP_JMP, 0, 0, 0, 0, 0, 0);
		C->plan->ops[j].off = (__u16)C->plan->nops;
		lbc_rel(C, lbc_emit(C, LB_OP_COPY, 0, 0, 0, off + 8, 16, v->sarg), area, A_ABS);
		C->plan->ops[e].off = (__u16)C->plan->nops;
		C->regtop = save;
		return;
	}
	lbc_rel(C, lbc_emit(C, LB_OP_COPY, 0, 0, 0, off + 8, v->ssize, v->sarg), area, A_ABS);
}

void lbc_arrput(struct lbc *C, const struct val *v, int area, int off, int size)
{
	lbc_zero(C, area, off, size);
	lbc_rel(C, lbc_emit(C, LB_OP_COPY, 0, 0, 0, off, v->ssize, v->sarg), area, A_ABS);
}

/* Which conversions of fmt are %s? (The format is checked later.) */
void lbc_strconvs(const char *f, size_t n, unsigned char *isstr, int max)
{
	int k = 0;
	for (size_t i = 0; i < n && k < max; i++) {
		if (f[i] != '%')
			continue;
		if (++i < n && f[i] == '%')
			continue;
		while (i < n && strchr("-+ #0123456789.hlzjtL", f[i]))
			i++;
		if (i < n)
			isstr[k++] = f[i] == 's';
	}
}

/* Evaluate one printf argument; str: for a %s (a char * field is then
 * the string it points to, else its address). */
static void evalarg(struct lbc *C, int node, struct arg *a, int str)
{
	C->wantstr = str == 1; /* a %s: an untyped map read is a string */
	struct val v = lbc_expr(C, node);
	a->node = node;
	C->curtok = N(node)->tok;
	if (str && v.t == T_INT && v.sk)
		v = lbc_tostr(C, v);
	switch (v.t) {
	case T_DSTR:
		a->type = LB_ARG_STR;
		a->size = roundup8((size_t)v.ssize);
		break;
	case T_INT:
		a->type = LB_ARG_INT;
		a->size = 8;
		lbc_reg(C, &v);
		break;
	case T_PROBE:
		a->type = LB_ARG_PROBE;
		a->size = 8;
		break;
	case T_COMM:
		a->type = LB_ARG_STR;
		a->size = LB_COMM_LEN;
		break;
	case T_STR:
		if (v.n + 1 > LB_POOL)
			lbc_error(C, N(node)->tok, NULL,
				  "string constant too long (the plan holds %d bytes)", LB_POOL);
		a->type = LB_ARG_STR;
		a->size = roundup8(v.n + 1);
		break;
	case T_KSTACK:
		a->type = LB_ARG_KSTACK;
		a->size = 8;
		break;
	case T_USTACK:
		a->type = LB_ARG_USTACK;
		a->size = 16;
		break;
	case T_KSYM:
		a->type = LB_ARG_KSYM;
		a->size = 8;
		break;
	case T_USYM:
		a->type = LB_ARG_USYM;
		a->size = 16;
		break;
	case T_TIME:
		a->type = v.i ? LB_ARG_NOW : LB_ARG_TIME;
		a->size = 8;
		break;
	case T_INET:
		a->type = LB_ARG_INET;
		a->size = 24;
		break;
	case T_JOIN:
		a->type = LB_ARG_JOIN;
		a->size = LB_JOIN_ARGS * LB_JOIN_STR;
		break;
	case T_MAP:
		lbc_error(C, N(node)->tok, "bpf.print(m) prints a whole map",
			  "cannot printf a map");
	default: lbc_error(C, N(node)->tok, NULL, "cannot print %s", lbc_tname(v.t));
	}
	a->v = v;
}

/* Write the record (header, then the arguments) to scratch[0..) and emit
 * it; fmt checked against the arguments, errors at token fmttok. */
static void record(struct lbc *C, int fmttok, const char *fmt, size_t fmtlen, struct arg *args,
		   int nargs, int tok)
{
	struct lb_fmt f;
	char msg[256];
	struct lbc_output *out = C->out;
	memset(&f, 0, sizeof f);
	if (memchr(fmt, 0, fmtlen))
		lbc_error(C, fmttok, NULL, "the format contains a NUL byte");
	if (fmtlen >= sizeof f.fmt)
		lbc_error(C, fmttok, NULL, "format too long: %zu bytes (at most %zu)", fmtlen,
			  sizeof f.fmt - 1);
	memcpy(f.fmt, fmt, fmtlen);
	f.nargs = nargs;
	int off = 8;
	size_t aux = fmtlen + 1;
	for (int i = 0; i < nargs; i++) {
		f.type[i] = (__u8)args[i].type;
		f.off[i] = (__u16)off;
		f.size[i] = (__u16)args[i].size;
		off += args[i].size;
		if (args[i].v.t != T_TIME && args[i].v.t != T_JOIN)
			continue;
		if (aux + args[i].v.n + 1 > sizeof f.fmt)
			lbc_error(C, N(args[i].node)->tok, NULL,
				  "the formats of this printf and its times are too long: %zu "
				  "bytes (at most %zu)",
				  aux + args[i].v.n + 1, sizeof f.fmt);
		f.aux[i] = (__u16)aux;
		memcpy(f.fmt + aux, args[i].v.s, args[i].v.n);
		aux += args[i].v.n + 1;
	}
	msg[0] = 0;
	if (lb_fmt_check(f.fmt, f.type, nargs, msg, sizeof msg))
		lbc_error(C, fmttok, NULL, "%s", msg[0] ? msg : "bad format");
	if (off >= LB_SCRATCH) /* the template masks len with LB_SCRATCH - 1 */
		lbc_error(C, tok, NULL,
			  "printf record too large: %d bytes, LB_SCRATCH (%d) or more", off,
			  LB_SCRATCH);
	f.len = (__u16)off;
	int id;
	for (id = 0; id < out->nfmts; id++)
		if (!memcmp(&out->fmts[id], &f, sizeof f))
			break;
	if (id == out->nfmts) {
		if (out->nfmts == LBC_MAX_FMTS)
			lbc_error(C, tok, "split the work over several handlers",
				  "too many printf formats in one handler (at most %d)",
				  LBC_MAX_FMTS);
		out->fmts[out->nfmts++] = f;
	}
	int dwarf = 0; /* 1 + the record offset of a DWARF stack */
	for (int i = 0; i < nargs; i++) {
		struct arg *a = &args[i];
		int o = f.off[i];
		C->curtok = N(a->node)->tok;
		if (a->v.t == T_USTACK && a->v.dwarf) {
			if (dwarf)
				lbc_error(C, N(a->node)->tok, NULL,
					  "a printf can take one DWARF-unwound user stack");
			if (off > LB_MAX_KEY)
				lbc_error(C, tok,
					  "print the other arguments in a printf of their own",
					  "a printf with a DWARF-unwound user stack takes at most "
					  "%d bytes of arguments; this one takes %d",
					  LB_MAX_KEY, off);
			dwarf = o + 1;
		}
		switch (a->v.t) {
		case T_TIME:
			if (a->v.i) /* now: nothing to store */
				break;
			/* fall through */
		case T_INT:
		case T_PROBE:
		case T_KSTACK:
		case T_KSYM: lbc_emit(C, LB_OP_PUT, 0, a->v.reg, 0, o, 8, 0); break;
		case T_USTACK:
		case T_USYM: {
			int save = C->regtop, r;
			lbc_emit(C, LB_OP_PUT, 0, a->v.reg, 0, o, 8, 0);
			r = lbc_tmp(C);
			lbc_emit(C, LB_OP_CTX, r, 0, 0, 0, 0, LB_CTX_PID);
			lbc_emit(C, LB_OP_PUT, 0, r, 0, o + 8, 8, 0);
			C->regtop = save;
			break;
		}
		case T_COMM: lbc_emit(C, LB_OP_COMM, 0, 0, 0, o, LB_COMM_LEN, 0); break;
		case T_STR: {
			int p = lbc_pool(C, a->v.s, a->v.n, (size_t)a->size);
			lbc_emit(C, LB_OP_STRCPY, 0, 0, 0, o, a->size, p);
			break;
		}
		case T_DSTR: lbc_strput(C, &a->v, A_KEY, o, a->size, 0); break;
		case T_INET: lbc_inetput(C, &a->v, A_KEY, o); break;
		case T_JOIN:
			lbc_emit(C, LB_OP_JOIN, 0, a->v.reg, 0, o, LB_JOIN_STR, a->v.sarg);
			break;
		}
	}
	if (off > C->kneed)
		C->kneed = off;
	C->curtok = tok;
	/* with a DWARF stack: b = 1, the stack's offset / 8 in dst | a << 8;
	 * the record goes out with the user stack to unwind (LB_REC_UNWIND) */
	lbc_emit(C, LB_OP_EMIT, dwarf ? ((dwarf - 1) / 8) & 0xff : 0,
		 dwarf ? ((dwarf - 1) / 8) >> 8 : 0, dwarf != 0, 0, off,
		 (int64_t)LB_REC(LB_REC_PRINTF, id));
}

static void emit8(struct lbc *C, int kind, int id)
{
	if (C->kneed < 8)
		C->kneed = 8;
	lbc_emit(C, LB_OP_EMIT, 0, 0, 0, 0, 8, (int64_t)LB_REC(kind, id));
}

static void printf_(struct lbc *C, int call)
{
	struct arg args[LB_MAX_ARGS];
	unsigned char isstr[LB_MAX_ARGS] = {0};
	int a = N(call)->b, nargs = 0, save = C->regtop;
	if (!a)
		lbc_error(C, N(call)->tok, NULL, "bpf.printf() needs a format");
	struct val f = lbc_expr(C, a);
	if (f.t != T_STR)
		lbc_error(C, N(a)->tok, "e.g. bpf.printf(\"%s %d\\n\", e.comm, e.pid)",
			  "the format of bpf.printf must be a string constant, not %s",
			  lbc_tname(f.t));
	lbc_strconvs(f.s, f.n, isstr, LB_MAX_ARGS);
	for (int x = N(a)->next; x; x = N(x)->next) {
		if (nargs == LB_MAX_ARGS)
			lbc_error(C, N(x)->tok, NULL,
				  "bpf.printf takes at most %d arguments after the format",
				  LB_MAX_ARGS);
		evalarg(C, x, &args[nargs], isstr[nargs]);
		nargs++;
	}
	record(C, N(a)->tok, f.s, f.n, args, nargs, N(call)->tok);
	C->regtop = save;
}

static void print_(struct lbc *C, int call)
{
	struct arg arg;
	int a = N(call)->b, save = C->regtop;
	if (!a || N(a)->next)
		lbc_error(C, N(call)->tok, "use bpf.printf for several values",
			  "bpf.print() takes one value");
	if (N(a)->k == X_NAME) {
		struct val v = lbc_name(C, a); /* no code */
		if (v.t == T_MAP) {
			C->curtok = N(call)->tok;
			emit8(C, LB_REC_PRINT, v.map);
			return;
		}
	}
	evalarg(C, a, &arg, 2); /* a char * field prints as its string */
	if (arg.type == LB_ARG_INT)
		record(C, N(a)->tok, "%d\n", 3, &arg, 1, N(call)->tok);
	else
		record(C, N(a)->tok, "%s\n", 3, &arg, 1, N(call)->tok);
	C->regtop = save;
}

/* bpf.time([fmt]): bpftrace's time(), the time when the record is
 * printed, by strftime(fmt) (default "%H:%M:%S\n") */
static void time_(struct lbc *C, int call)
{
	struct arg arg;
	int a = N(call)->b;
	memset(&arg, 0, sizeof arg);
	if (a && N(a)->next)
		lbc_error(C, N(N(a)->next)->tok, NULL, "bpf.time() takes at most a format");
	if (a) {
		arg.v = timefmt(C, a, "bpf.time");
	} else {
		arg.v.t = T_TIME;
		arg.v.s = "%H:%M:%S\n";
		arg.v.n = strlen(arg.v.s);
	}
	arg.v.i = 1;
	arg.node = a ? a : call;
	arg.type = LB_ARG_NOW;
	arg.size = 8;
	record(C, N(a ? a : call)->tok, "%s", 2, &arg, 1, N(call)->tok);
}

/* bpf.join(argv [, delim]): bpftrace's join(), a line of the strings of
 * a NULL-terminated pointer array (execve's argv), by delim (" ") */
static void join_(struct lbc *C, int call)
{
	struct arg arg;
	int a = N(call)->b, save = C->regtop;
	memset(&arg, 0, sizeof arg);
	if (!a || (N(a)->next && N(N(a)->next)->next))
		lbc_error(C, N(call)->tok,
			  "e.g. bpf.join(e.args.argv) or bpf.join(e.args.argv, \",\")",
			  "bpf.join() takes an array of string pointers and an optional delimiter");
	struct val v = lbc_expr(C, a);
	if (v.t != T_INT)
		lbc_error(C, N(a)->tok, "e.g. bpf.join(e.args.argv)",
			  "bpf.join() takes a pointer to an array of strings, not %s",
			  lbc_tname(v.t));
	lbc_reg(C, &v);
	arg.v.t = T_JOIN;
	arg.v.reg = v.reg;
	arg.v.sarg = v.sk == LB_FSTR_UPTR ? 1 : v.sk == LB_FSTR_KPTR ? 0 : lbc_usermem(C);
	arg.v.s = " ";
	arg.v.n = 1;
	if (N(a)->next) {
		struct val d = lbc_expr(C, N(a)->next);
		if (d.t != T_STR || memchr(d.s, 0, d.n))
			lbc_error(
			    C, N(N(a)->next)->tok, NULL,
			    "the delimiter of bpf.join() must be a string constant without NULs");
		arg.v.s = d.s;
		arg.v.n = d.n;
	}
	arg.node = a;
	arg.type = LB_ARG_JOIN;
	arg.size = LB_JOIN_ARGS * LB_JOIN_STR;
	record(C, N(call)->tok, "%s\n", 3, &arg, 1, N(call)->tok);
	C->regtop = save;
}

/* A call statement: printf, print, exit; anything else is an expression
 * (errors, mostly). */
void lbc_callstmt(struct lbc *C, int call)
{
	const char *s;
	size_t n;
	if (N(call)->k == X_CALL && lbc_builtin(C, call, &s, &n)) {
		C->curtok = N(call)->tok;
		if (lbc_isname(s, n, "printf")) {
			printf_(C, call);
			return;
		}
		if (lbc_isname(s, n, "print")) {
			print_(C, call);
			return;
		}
		if (lbc_isname(s, n, "time")) {
			time_(C, call);
			return;
		}
		if (lbc_isname(s, n, "join")) {
			join_(C, call);
			return;
		}
		if (lbc_isname(s, n, "exit")) {
			if (N(call)->b)
				lbc_error(C, N(call)->tok, NULL, "bpf.exit() takes no arguments");
			emit8(C, LB_REC_EXIT, 0);
			lbc_emit(C, LB_OP_END, 0, 0, 0, 0, 0, 0);
			return;
		}
	}
	lbc_expr(C, call);
}
