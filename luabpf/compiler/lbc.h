/* Private state of one compilation. Everything lives in struct lbc so
 * several sessions may compile at once; errors longjmp back to
 * lbc_compile, which owns every allocation. */
#ifndef LUABPF_LBC_H
#define LUABPF_LBC_H

#include <setjmp.h>
#include "compiler.h"

#define LBC_MAX_DEPTH 200 /* syntactic and code generation nesting */
#define LBC_MAX_SOURCE (64u << 20)
#define LBC_MAX_CANDS 64 /* functions starting on one line */
#define LBC_MAX_LOCALS 200
#define LBC_NOJ 0xffff	 /* end of a pending jump list */
#define LBC_MAX_CACHE 16 /* map reads kept for reuse (nested ifs) */

enum {
	/* single-byte tokens use their character */
	TK_EOS = 256,
	TK_NAME,
	TK_INT,
	TK_FLT,
	TK_STR,
	TK_AND,
	TK_BREAK,
	TK_DO,
	TK_ELSE,
	TK_ELSEIF,
	TK_END,
	TK_FALSE,
	TK_FOR,
	TK_FUNCTION,
	TK_GOTO,
	TK_IF,
	TK_IN,
	TK_LOCAL,
	TK_NIL,
	TK_NOT,
	TK_OR,
	TK_REPEAT,
	TK_RETURN,
	TK_THEN,
	TK_TRUE,
	TK_UNTIL,
	TK_WHILE,
	TK_IDIV,
	TK_CONCAT,
	TK_DOTS,
	TK_EQ,
	TK_GE,
	TK_LE,
	TK_NE,
	TK_SHL,
	TK_SHR,
	TK_DBCOLON,
};

struct tok {
	int t;
	int line, col;
	size_t pos, end; /* source bytes [pos, end) */
	int64_t i;	 /* TK_INT */
	double d;	 /* TK_FLT */
	const char *s;	 /* TK_STR: decoded; TK_NAME: into the source */
	size_t n;
};

/* AST node kinds */
enum {
	X_NIL = 1,
	X_TRUE,
	X_FALSE,
	X_INT,
	X_FLT,
	X_STR,
	X_DOTS,
	X_FUNC,
	X_NAME,	  /* s/n */
	X_INDEX,  /* a[b]; op = 1 for a.name */
	X_CALL,	  /* a(b...) */
	X_METHOD, /* a:s(b...) */
	X_TABLE,  /* items at a */
	X_ITEM,	  /* op 0: [b]; 1: name = b; 2: [a] = b */
	X_BIN,	  /* a op b, op is the operator token */
	X_UN,	  /* op a */
	S_LOCAL,  /* names (X_NAME list) at a, values at b */
	S_ASSIGN, /* targets at a, values at b */
	S_CALL,	  /* a */
	S_IF,	  /* if a then b else c (c: S_IF for elseif, S_DO for else) */
	S_DO,	  /* block at a */
	S_RETURN, /* values at a */
};

struct node {
	int k, op;
	int tok;     /* where errors point */
	int a, b, c; /* children, 0 = none */
	int next;    /* next in a list, 0 = end */
	int64_t i;
	double d;
	const char *s;
	size_t n;
	int attr; /* S_LOCAL names: 1 <const>, 2 <close> */
};

/* Value types during code generation */
enum {
	T_NIL = 1,
	T_INT,
	T_BOOL,
	T_STR,
	T_COMM,
	T_PROBE,
	T_MAP,
	T_MODULE,
	T_BUILTIN,
	T_EVENT,
	T_ARGS,
	T_OTHER,
	T_KSTACK,
	T_USTACK, /* LB_OP_STACK values in a register */
	T_KSYM,
	T_USYM,	  /* bpf.ksym(x) / bpf.usym(x): printf arguments */
	T_DSTR,	  /* a string read in the kernel (see DS_*) */
	T_VARS,	  /* bpf.vars(): fields are keyless maps (lbc_varmap) */
	T_BITLIB, /* bit / bit32: bit.band(a, b) is a & b */
	T_KOBJ,	  /* a kernel struct or array in memory, at address
		     reg + koff, BTF type btf: only its members
		     (or elements) can be used */
	T_TIME,	  /* bpf.strftime(fmt, ns): ns in reg, fmt at s/n; a printf
		     argument (i = 1: bpf.time's "now", no register) */
	T_ARR,	  /* a fixed-size array field: ssize bytes at ctx copy
		     offset sarg; i: element size | LB_ELEM_SIGNED */
	T_JOIN,	  /* bpf.join(p): the pointer array at reg (sarg 1: user
		     memory), joined by s/n */
	T_INET,	  /* bpf.ntop(): family in reg; the address: an array
		     (sarg, ssize 4 or 16, as T_ARR) or, sarg < 0, the
		     IPv4 u32 in register koff */
};

/* Where a T_DSTR string is, or comes from. It is written to its place
 * (a key field, a printf argument, a temporary) only when used there. */
enum {
	DS_PTR = 1, /* address in reg, sarg: 1 user / 0 kernel memory */
	DS_LOC,	    /* __data_loc u32 in reg */
	DS_CTX,	    /* char[ssize] at ctx copy offset sarg */
	DS_TMP,	    /* ssize bytes (a multiple of 8, zero padded) at temp sarg */
};

/* Scratch areas an op's off or imm refers to (relocated by lbc_finish;
 * which field is in which: the op table, LB_OPS in bpf/plan.h) */
enum { A_ABS = 0, A_KEY = 1, A_TMP = 2 };

struct val {
	int t;
	int isconst; /* T_INT/T_BOOL: i holds it; else reg */
	int reg;
	int64_t i;
	const char *s; /* T_STR bytes, T_BUILTIN name, T_OTHER type name */
	size_t n;
	int map;  /* T_MAP: session map index */
	int pres; /* T_INT read from a map: 1 + the register holding
		     its presence (0/1); 0 when always present */
	/* strings: T_INT with sk = LB_FSTR_UPTR/KPTR is a char * field, a
	 * number that is a string where a string is needed; T_DSTR: sk is
	 * DS_*, sarg as there */
	int sk, sarg;
	int ssize;	   /* string size, bytes with the NUL */
	const char *fname; /* where it comes from, for messages: "e.args.buf",
			      "e.arg0", "e.args.dentry.d_name.name"; or NULL */
	int viastr;	   /* T_DSTR made by bpf.str() from a number */
	int btf;	   /* T_INT: a typed kernel pointer, its BTF type id
			      (members can be followed); T_KOBJ: its type */
	int koff;	   /* T_KOBJ: offset from the address in reg */
	int isptr;	   /* T_INT: an address as declared (printed in hex) */
	int dwarf;	   /* T_USTACK: unwound in user space (frames << 32) */
	int smode;	   /* T_KSTACK, T_USTACK: the lb_stackmode */
};

/* `if m[k] then ... end`: inside the block, m[k] reuses the condition's
 * value and presence registers (kept reserved) while the key is pure and
 * nothing wrote m or rebound a name of the key (map < 0: invalidated). */
struct mcache {
	int map, key; /* session map index, key node */
	int reg, pres;
};

struct local {
	const char *name;
	size_t n;
	struct val v;
	int alias; /* not in a register: cannot be reassigned */
};

struct lbc {
	const struct lbc_input *in;
	char *err;
	size_t errlen;
	jmp_buf jb;
	char file[128];

	struct tok *toks;
	int ntoks;
	char *sbuf; /* decoded strings */
	size_t sused;

	int ftok, fbody, fend; /* the handler: 'function', first body token, 'end' */
	int nparams;
	int params[8]; /* token indices of the first parameters */

	struct node *nodes;
	int nnodes, capnodes;
	int p; /* parser cursor */
	int depth;

	/* code generation */
	struct lb_plan *plan;
	struct lb_mapdesc *maps; /* working copy, committed on success */
	int nmaps;		 /* in it: in->nmaps, then keyless maps added */
	int slot_map[LB_MAX_MAPS];
	int nslots;
	struct local locals[LBC_MAX_LOCALS];
	int nlocals;
	int regtop;
	int pool_used;
	int kneed;		       /* bytes of the key/record area after the ctx copy */
	int stop, sneed;	       /* temporary strings: in use, most ever (after keys) */
	int spin;		       /* temps below this hold locals: kept to block end */
	int maxstr;		       /* in->max_strlen or LB_STR_DEFAULT */
	int dwarf_at;		       /* key_put: 1 + the key offset of a DWARF stack in it */
	int dwarf_ok;		       /* key_put: the update can take one (count, sum) */
	int unwinds;		       /* LB_OP_UNWIND_ADD present: scratch ends in its record */
	unsigned char rel[LB_MAX_OPS]; /* op off area | imm area << 2 (A_*) */
	unsigned char *struse;	       /* per session map: gets strings in this handler */
	unsigned char *ptruse;	       /* per session map: read with bpf.str(m[k]) somewhere
					  in the chunk, so char * fields stored in it keep
					  their address (the string is read there) */
	int wantstr;		       /* the expression being evaluated is used as a string:
					  a map read of a map without a value kind yet
					  makes it a string map */
	int curtok;		       /* for errors raised while emitting */
	char hint[512];
	int nosrc;		/* errors without a source line */
	struct lbc_output *out; /* formats, uses_stacks, uses_records */
	unsigned char *intuse;	/* per session map: read or set in this
				   handler, so m[k] = m[k] + x is MAP_XADD */
	int kobjok;		/* the expression being evaluated may be a
				   T_KOBJ (an index base, a local's value) */
	char names[8192];	/* value names for messages (val.fname) */
	int nnames;
	struct mcache cache[LBC_MAX_CACHE]; /* see struct mcache */
	int ncache;
	int nocache, cached;		 /* no reuse (a retry); registers were kept for one */
	int rdidx, rdmap, rdreg, rdpres; /* the last plain map read (node, map,
					    value and presence registers) */
};

/* a constant, and a value in a register */
static inline struct val mkint(int t, int64_t i)
{
	struct val v = {.t = t, .isconst = 1, .i = i};
	return v;
}

static inline struct val inreg(int t, int reg)
{
	struct val v = {.t = t, .reg = reg};
	return v;
}

/* lex.c */
void lbc_lex(struct lbc *C);
const char *lbc_tokname(int t, char *buf, size_t len);

/* compile.c */
void lbc_error_at(struct lbc *C, int line, int col, const char *hint, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 5, 6)));
void lbc_error(struct lbc *C, int tok, const char *hint, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));
void lbc_find(struct lbc *C);

/* parse.c */
int lbc_parse(struct lbc *C); /* returns the body block */

/* gen.c */
struct val lbc_expr(struct lbc *C, int n);
int lbc_emit(struct lbc *C, int code, int dst, int a, int b, int off, int len, int64_t imm);
/* the scratch areas (A_*) of the op at pc's off and imm, where the op
 * table lets the compiler choose (LB_O_SCR) */
void lbc_rel(struct lbc *C, int pc, int offarea, int immarea);
void lbc_patch(struct lbc *C, int list, int target);
int lbc_tmp(struct lbc *C);
int lbc_reg(struct lbc *C, struct val *v);
struct val lbc_name(struct lbc *C, int n);
const char *lbc_tname(int t);
void lbc_enter(struct lbc *C, int tok);
int lbc_pool(struct lbc *C, const char *s, size_t n, size_t size);

int lbc_builtin(struct lbc *C, int call, const char **name, size_t *n);
int lbc_isname(const char *s, size_t n, const char *name);
const char *lbc_names(struct lbc *C, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* types.c: probe arguments and typed kernel values */
const char *lbc_ktname(struct lbc *C, int id, char *buf, size_t len); /* "struct dentry *" */
struct val lbc_kmember(struct lbc *C, int n, struct val b, const struct node *k, int save);
struct val lbc_kindex(struct lbc *C, int n, struct val b, int save);
int lbc_isregname(const char *s, size_t n);
struct val lbc_regfield(struct lbc *C, int n, const struct node *k);
struct val lbc_regcall(struct lbc *C, int call);
struct val lbc_argfield(struct lbc *C, int n, const struct node *k);
void lbc_evhint(struct lbc *C);
void lbc_kobjerr(struct lbc *C, int tok, const struct val *v);

/* ops.c: operators and conditions */
struct val lbc_binary(struct lbc *C, int n);
struct val lbc_unary(struct lbc *C, int n);
/* bit.band(a, b ...) and friends (name without "bit."): the operators */
struct val lbc_bitcall(struct lbc *C, int call, const char *name, size_t n);
void lbc_jump(struct lbc *C, int n, int sense, int *list);

/* stmt.c */
void lbc_gen(struct lbc *C, int block);
void lbc_finish(struct lbc *C);

/* maps.c: map keys, reads and updates */
struct val lbc_mapread(struct lbc *C, const struct val *m, int index);
struct val lbc_varmap(struct lbc *C, int index);
void lbc_mapassign(struct lbc *C, const struct val *m, int target, int rhs);
void lbc_prepass(struct lbc *C);
int lbc_purekey(struct lbc *C, int n, int depth);
int lbc_rereads(struct lbc *C, int n, int x, int depth);
void lbc_uncache(struct lbc *C, int map, const char *name, size_t n);

/* str.c: strings */
int lbc_slot(int size);
int lbc_stmp(struct lbc *C, int size);
int lbc_isstr(const struct val *v);		   /* T_STR, T_COMM, T_DSTR */
struct val lbc_tostr(struct lbc *C, struct val v); /* a char * field as a string */
int lbc_strsize(const struct val *v);
int lbc_usermem(struct lbc *C); /* pointers of this probe point into user memory */
int lbc_strbound(struct lbc *C, int n, int *konst);
void lbc_strput(struct lbc *C, const struct val *v, int area, int off, int size, int zero);
int lbc_streq(struct lbc *C, int n, struct val l, struct val r, int save);
struct val lbc_strcall(struct lbc *C, int call);
const char *lbc_vname(const struct val *v, char *buf, size_t len);
void lbc_zero(struct lbc *C, int area, int off, int len);

/* emit.c: printf, print, exit, stacks and symbols */
#define DWARF_HINT                                                                                 \
	"with bpf.config{ustack = \"dwarf\"}, user stacks are unwound in user space: "             \
	"they can key bpf.count() and bpf.sum() updates (m[e.ustack] = bpf.count()) and be "       \
	"printed"
struct val lbc_dwarfstack(struct lbc *C, int reg, int frames, int mode);
void lbc_callstmt(struct lbc *C, int call);
int lbc_stringy(struct lbc *C, int n);
void lbc_strconvs(const char *f, size_t n, unsigned char *isstr, int max);
/* bpf.ntop()'s 24 bytes and an array field's, at off in area (A_*) */
void lbc_inetput(struct lbc *C, const struct val *v, int area, int off);
void lbc_arrput(struct lbc *C, const struct val *v, int area, int off, int size);
struct val lbc_valcall(struct lbc *C, int call, const char *name, size_t n);

#endif
