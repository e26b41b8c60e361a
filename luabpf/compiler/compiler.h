/* The handler compiler: Lua source of one function -> struct lb_plan.
 * Pure C, no Lua state and no callbacks into one: the binding
 * (luabpf/lcompile.c) resolves the handler's free names into a table
 * before compiling, so compiling runs no Lua code and can be tested and
 * fuzzed on its own. */
#ifndef LUABPF_COMPILER_H
#define LUABPF_COMPILER_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "../../bpf/plan.h"
#include "../../bpf/printf.h"

#define LB_MAX_KEYS 8 /* fields of a tuple key */
#define LB_NAME_MAX 64

/* The layout of one session map, fixed by the first handler that uses it
 * and checked against by every later one. */
enum lb_keytype {
	LB_KEY_INT = 1, /* 8 bytes, signed 64-bit */
	LB_KEY_STR,	/* keysize[i] bytes, NUL padded (comm: 16) */
	LB_KEY_PROBE,	/* 8 bytes, an e.probe value (see LB_PROBE_*) */
	LB_KEY_KSTACK,	/* 8 bytes: LB_OP_STACK's value (id | frames << 32 | mode << 40) */
	LB_KEY_USTACK,	/* 16 bytes: LB_OP_STACK's value, then the pid */
	LB_KEY_NONE,	/* 8 zero bytes: the one key of a keyless map (bpf.vars) */
	LB_KEY_PTR,	/* 8 bytes, an address: printed in hex */
	LB_KEY_KSYM,	/* 8 bytes, a kernel address: printed as its symbol */
	LB_KEY_USYM,	/* 16 bytes, a user address, then the pid */
	LB_KEY_INET,	/* 24 bytes, bpf.ntop(): u64 family, then 16 address bytes */
	LB_KEY_ARRAY,	/* keysize bytes (zero padded) of a fixed-size array field;
			   keymode: element size | LB_ELEM_SIGNED | the padding
			   bytes << LB_ELEM_PADSHIFT */
};
#define LB_ELEM_SIGNED 0x10 /* array elements: size 1, 2, 4 or 8, | this if signed */
#define LB_ELEM_PADSHIFT 5

/* Values. Per-CPU kinds are combined over CPUs when read. */
enum lb_valkind {
	LB_VAL_NONE = 0, /* not used by a handler yet */
	LB_VAL_SUM,	 /* per-CPU s64 summed on read: count(), sum(x), m[k] + x */
	LB_VAL_INT,	 /* plain s64 (not per-CPU): m[k] = x, read in handlers */
	LB_VAL_MIN,	 /* per-CPU {s64 v, u64 set}: min(x) */
	LB_VAL_MAX,	 /* per-CPU {s64 v, u64 set}: max(x) */
	LB_VAL_AVG,	 /* per-CPU {u64 count, s64 sum}: avg(x) */
	LB_VAL_STATS,	 /* per-CPU {u64 count, s64 sum}: stats(x) */
	LB_VAL_HIST,	 /* per-CPU u64[LB_HIST_NBUCKETS(hist_bits)]: hist(x, k) */
	LB_VAL_LHIST,	 /* per-CPU u64[(max - min) / step + 2]: lhist(x, min, max, step) */
	LB_VAL_STR,	 /* plain string of value_size bytes: m[k] = e.args.filename */
	LB_VAL_ARRAY,	 /* plain bytes of a fixed-size array field (value_size,
			    zero padded; elem: element size | LB_ELEM_SIGNED) */
};

struct lb_mapdesc {
	char name[LB_NAME_MAX]; /* printed as @name; "" prints as @ */
	int named;		/* name given by bpf.map "name": keep it */
	__u8 nkeys;		/* 0: layout not fixed yet */
	__u8 keytype[LB_MAX_KEYS];
	__u16 keysize[LB_MAX_KEYS]; /* multiple of 8 */
	__u16 key_size;		    /* sum of keysize */
	__u16 value_size;
	__u8 valkind;
	__u8 percpu;
	__s64 lhist_min, lhist_max, lhist_step; /* LB_VAL_LHIST */
	__u8 hist_bits;				/* LB_VAL_HIST: k of hist(x, k) */
	__u8 keymode[LB_MAX_KEYS];		/* stack parts: their lb_stackmode */
	__u8 elem;				/* LB_VAL_ARRAY: element size | LB_ELEM_SIGNED */
	__u16 vlen; /* LB_VAL_ARRAY: the array's bytes (value_size rounds it up) */
};

/* A value the handler refers to by name: an upvalue or a global. */
enum lbc_vkind {
	LBC_V_NIL = 0,
	LBC_V_INT, /* also a float with an integral value */
	LBC_V_STR,
	LBC_V_BOOL,
	LBC_V_MAP,     /* a session map: .map is its index */
	LBC_V_MODULE,  /* the luabpf module table (bpf.count, ...) */
	LBC_V_BUILTIN, /* one of its functions: .builtin names it ("count") */
	LBC_V_VARS,    /* bpf.vars(): its fields are keyless maps */
	LBC_V_BITLIB,  /* LuaJIT's bit or 5.2's bit32: band ... are operators */
	LBC_V_OTHER,   /* anything else: .type_name says what, for errors */
	LBC_V_META,    /* a global only a metamethod could give (an __index
			  function, an environment that is no table):
			  .type_name says which; compiling never calls it */
};

struct lbc_value {
	int kind;
	int64_t i;	       /* INT, BOOL */
	const char *s;	       /* STR bytes (may hold NULs), BUILTIN name */
	size_t len;	       /* STR length */
	int map;	       /* MAP index into the maps array */
	const char *type_name; /* OTHER: "function", "table", "float" ... */
};

/* A free name of the handler and what it holds: an upvalue (global ==
 * 0) or a global (global == 1, through the function's _ENV). Names not
 * in the table are nil. */
struct lbc_name {
	const char *name;
	int global;
	struct lbc_value v;
};

/* A tracepoint format field (e.args.NAME). */
struct lbc_field {
	const char *name;
	__u16 off, size;
	__u8 is_signed;
	__u8 is_string;	   /* enum lb_fstr: how the field holds a string */
	int btf_type;	   /* kernel BTF type id of the field (kfunc, tp_btf
			      args): pointer chains follow it; 0 = untyped */
	__u8 usdt;	   /* a USDT argument: read with LB_OP_USDT_ARG, index
			      in off (size and sign from the note) */
	__u8 is_ptr;	   /* declared as a pointer: printed in hex as a key */
	__u16 nelem;	   /* an array (not of char) of nelem elements: size /
			      nelem bytes each, signed as is_signed; 0: none */
	const char *ctype; /* a one-word type that may be an integer typedef
			      (pid_t): its size and sign come from the probe's
			      int_type when a handler reads the field */
};

/* Kernel types from BTF, for typed args and pointer chains such as
 * e.args.dentry.d_parent.d_name.name. Typedefs, const and volatile are
 * already looked through. */
enum lbc_tkind {
	LBC_T_INT = 1, /* also enums and bools */
	LBC_T_PTR,
	LBC_T_STRUCT, /* and unions */
	LBC_T_ARRAY,
	LBC_T_OTHER, /* functions, floats, void ... */
};

struct lbc_type {
	int kind;      /* enum lbc_tkind */
	__u32 size;    /* bytes: INT, STRUCT, ARRAY (whole), PTR (8) */
	int is_signed; /* INT */
	int is_char;   /* INT of one byte named char / unsigned char:
			  char * and char[N] are strings */
	int elem;      /* PTR: pointee id; ARRAY: element id */
	__u32 nelem;   /* ARRAY */
	char name[64]; /* for messages: "struct dentry *", "int" */
};

struct lbc_types {
	void *ud;
	int (*type)(void *ud, int id, struct lbc_type *out); /* 0 ok */
	/* a member of struct/union id, found through anonymous members:
	 * its byte offset and type id; -1 if none, -2 if a bitfield */
	int (*member)(void *ud, int id, const char *name, __u32 *off, int *type);
	/* the struct's member names, ", " separated, for error hints */
	size_t (*members)(void *ud, int id, char *buf, size_t len);
};

/* Probe kinds: what `e` offers beyond pid, tid, comm ... */
enum lbc_kind {
	LBC_TRACEPOINT = 0, /* e.args.NAME from the format */
	LBC_TYPED,	    /* kfunc/kretfunc/tp_btf: e.args.NAME typed (BTF),
			       e.retval for kretfunc */
	LBC_REGS,	    /* kprobe/uprobe (and ret): e.arg0..argN, e.retval */
	LBC_USDT,	    /* e.arg0..argN from the note's specs */
	LBC_PROFILE,	    /* nothing more */
};

/* How a tracepoint field holds a string. */
enum lb_fstr {
	LB_FSTR_NONE = 0, /* a number */
	LB_FSTR_UPTR,	  /* char * into user memory (every syscalls:* pointer) */
	LB_FSTR_KPTR,	  /* char * into kernel memory */
	LB_FSTR_ARRAY,	  /* char[size] inside the record */
	LB_FSTR_DATALOC,  /* __data_loc char[]: u32 offset | length << 16 */
};

/* What `e` offers in this probe. */
struct lbc_probe {
	const char *name;		/* "tracepoint:syscalls:sys_enter_write", the
					   pattern for a wildcard: e.probe of a plain probe */
	__u32 probe_id;			/* session probe table index (LB_PROBE_SESSION) */
	__u32 sysmode;			/* enum lb_sysmode */
	const __u64 *sysmask;		/* LB_SYSMASK words: the syscall numbers a
					   raw_syscalls program passes (NULL: none) */
	const struct lbc_field *fields; /* NULL when args are not known */
	int nfields;
	int kind; /* enum lbc_kind */
	/* e.arg0 .. e.argN and e.retval: fields named "arg0".., "retval"
	 * (ctx copy offsets: pt_regs for LBC_REGS, the u64 args array for
	 * LBC_TYPED; usdt set for LBC_USDT); NULL when the probe has none */
	const struct lbc_field *regs;
	int nregs;
	const struct lbc_types *types; /* for fields with btf_type */
	/* a field's ctype as an integer: 0 with its size and sign, else -1
	 * (NULL: fields are read as the format says) */
	int (*int_type)(void *ud, const char *ctype, int *size, int *is_signed);
	void *int_type_ud;
	/* LBC_USDT: the argument specs of each call site (the program's
	   plan.usdt; the attach cookie is the site's row) */
	const struct lb_usdt_arg (*usdt)[LB_USDT_ARGS];
	int nusdt;
	const char *func; /* e.func: the probed function (kprobe, uprobe,
			     kfunc; each match of a wildcard is a probe
			     of its own); NULL elsewhere */
};

/* What one pass over a chunk's text tells every compile of its handlers
 * (lbc_scan), so that each compile lexes only its handler's lines. */
struct lbc_scan {
	uint32_t len;	 /* of the text it was made from */
	uint32_t nlines; /* lines 1..nlines */
	uint32_t nstrs;
	/* nlines + 1 pairs {pos, line}: pair l is where lexing starts for a
	 * handler defined on line l (a line no token or comment spans the
	 * start of, at or before the 'function' whose '(' is on l; pair 0
	 * unused); then nstrs pairs {pos, len}: the names m of str(m[...])
	 * in the chunk */
	uint32_t v[];
};

/* The scan of a text: malloc'ed, *size bytes, no pointers inside (it may
 * be copied); NULL on a text the lexer refuses or out of memory. */
struct lbc_scan *lbc_scan(const char *src, size_t len, size_t *size);

struct lbc_input {
	int ustack_dwarf;   /* e.ustack, bpf.ustack(n): unwound in user space
			       through DWARF CFI (LB_OP_UNWIND_ADD) */
	int max_strlen;	    /* size of strings read by handlers, bytes incl. the NUL
			       (bpftrace's max_strlen; 0: LB_STR_DEFAULT) */
	const char *source; /* the whole chunk the function is defined in */
	size_t source_len;
	/* lbc_scan of source, or NULL: then the whole chunk is lexed, each
	 * compile in time and memory proportional to it */
	const struct lbc_scan *scan;
	const char *chunkname; /* Lua's: "@file.lua", "=stdin" or the source */
	int linedefined, lastlinedefined;
	int nparams;		     /* -1: not known */
	const char *const *upvalues; /* upvalue names, Lua's order */
	int nupvalues;
	int fenv_globals; /* globals live in the function's environment (Lua
			     5.1, LuaJIT), not in an _ENV upvalue (5.2 on) */
	/* The function's string constants, from its bytecode (NULL if not
	 * known): they tell apart handlers that share a line and upvalues. */
	const char *const *kstrings;
	const size_t *klens;
	int nkstrings;
	const struct lbc_name *names; /* the free names, resolved beforehand */
	int nnames;
	int globals_unknown; /* the caller could not list the globals: a nil
				global may be one it never looked up */
	const struct lbc_probe *probe;
	const struct lb_mapdesc *maps; /* session maps as they are: only read */
	int nmaps;
	int maxmaps; /* room for maps: bpf.vars() fields used for the first
			time are appended as keyless maps (0: none may be) */
	/* where the layouts this handler proposes go on success (maxmaps of
	   room, may be maps itself): the maps with the layouts its first uses
	   fix, then the appended keyless ones (out->nmaps in all); NULL: not
	   wanted. Committing them is the caller's business. */
	struct lb_mapdesc *proposed;
};

#define LBC_MAX_FMTS 16
#define LBC_MAX_DIVSITES 16
struct lbc_output {
	struct lb_plan plan;
	int slot_map[LB_MAX_MAPS]; /* plan map slot -> session map index */
	int nslots;
	/* printf/print formats: an EMIT op of LB_REC_PRINTF has id = index
	 * here; the runtime registers them and rewrites the ids */
	struct lb_fmt fmts[LBC_MAX_FMTS];
	int nfmts;
	int uses_stacks; /* LB_OP_STACK present: needs the stack map */
	int uses_func;	 /* e.func is read: the plan holds the function's name */
	/* set when compiling failed on an e.args field the probe does not
	 * have: the runtime then tries the tracepoints of a wildcard one by
	 * one, to say which of them lack it */
	char missing_field[LB_NAME_MAX];
	int uses_records; /* LB_OP_EMIT present: needs the ring buffer */
	int nmaps;	  /* maps in the proposed layouts: more than in->nmaps
			     when keyless maps were appended */
	/* integer divisions and modulos by a value that may be zero: a DIV
	 * or MOD op's imm is its index here (-1 past LBC_MAX_DIVSITES); the
	 * runtime gives each site a counter and rewrites the imm, so a run
	 * stopped by a zero is reported at file:line:col */
	char file[128]; /* the chunk, as compile errors name it */
	struct {
		int line, col;
	} divsites[LBC_MAX_DIVSITES];
	int ndivsites;
};

/* Compile. Returns 0, or -1 with a message in err:
 *   file:line:col: message
 *   <the source line>
 *   <spaces>^
 *   hint: ...            (when there is one)
 * Nothing but out and in->proposed (on success) is written. */
int lbc_compile(const struct lbc_input *in, struct lbc_output *out, char *err, size_t errlen);

/* Human-readable listing of a plan, one op per line (golden specs, -v). */
size_t lbc_dump(const struct lb_plan *plan, char *buf, size_t buflen);

/* The op table (LB_OPS in bpf/plan.h) as data, indexed by opcode. */
struct lbc_opinfo {
	const char *name;
	__u8 dst, a, b, off, imm; /* enum lb_opnd */
	__u8 len;		  /* enum lb_lenk */
	__u32 min, max, align;	  /* len's bounds */
};
extern const struct lbc_opinfo lbc_ops[LB_OP_NCODES];

/* What a plan refers to outside itself, for lbc_validate. */
struct lbc_links {
	const struct lb_mapdesc *maps; /* session maps, layouts fixed */
	int nmaps;
	const int *slot_map; /* plan map slot -> session map index */
	int nslots;
	const struct lb_fmt *fmts; /* what LB_REC_PRINTF ids index */
	int nfmts;
	int uses_stacks, uses_records; /* as the compiler said (-1: unchecked) */
	/* the plan as it loads (link_plan's): the syscall mask set exactly
	 * when sysmode asks */
	int loading;
	/* with loading: the plan is for the usdt template, the only one that
	 * runs LB_OP_USDT_ARG (the others end the run there) */
	int usdt;
	/* if set: where the scratch bytes the ops use end (the ctx copy
	   included), for a loader that keeps a small scratch on the stack */
	unsigned *scratch_top;
};

/* Does the plan keep what bpf/interp.h relies on (every field of every
 * op as the op table says, registers set before they are read, ranges
 * inside scratch, ctx copy and pool, slots, formats)? 0, or -1 with
 * "op N: what" in err. */
int lbc_validate(const struct lb_plan *plan, const struct lbc_links *links, char *err,
		 size_t errlen);
/* The same for a compiler's output against the maps it was compiled with. */
int lbc_validate_output(const struct lbc_output *out, const struct lb_mapdesc *maps, int nmaps,
			char *err, size_t errlen);

/* The reference interpreter (refrun.c): a plan run in user space on a
 * synthetic event as bpf/interp.h runs it in the kernel, with maps kept
 * per slot for one CPU (what the kernel sums over CPUs is one value
 * here). Ops that read the running kernel or process (strings through
 * pointers, typed memory, stacks, USDT arguments, DWARF records) are
 * refused. */
struct lbc_refmap {
	unsigned key_size, value_size;
	int n, cap;
	unsigned char *ents; /* n entries: key_size bytes of key, then the value */
};

struct lbc_event {
	const unsigned char *ctx; /* the probe's record, where the ctx copy comes from */
	size_t ctx_len;
	__u64 ctxv[LB_CTX_ELAPSED + 1]; /* e.pid ... by LB_CTX_* (PROBE: e.probe) */
	char comm[LB_COMM_LEN];
};

struct lbc_refvm {
	const struct lbc_output *out; /* slots and formats of the plan */
	const struct lb_mapdesc *maps;
	int nmaps;
	struct lbc_refmap slots[LB_MAX_MAPS];
	unsigned char *records; /* LB_OP_EMIT's records, one after another */
	size_t nrecords, reccap;
	__u64 divzero; /* runs stopped by a division by zero */
	unsigned char scratch[LB_SCRATCH];
};

enum { LBC_RUN_END = 0, LBC_RUN_DIVZERO = 1 };
int lbc_refinit(struct lbc_refvm *vm, const struct lbc_output *out, const struct lb_mapdesc *maps,
		int nmaps);
/* LBC_RUN_END, LBC_RUN_DIVZERO (the run stopped there, as in the kernel),
 * or -1 with the reason in err (an invalid plan, an op it cannot run) */
int lbc_refrun(struct lbc_refvm *vm, const struct lb_plan *plan, const struct lbc_event *ev,
	       char *err, size_t errlen);
/* A linked plan as BPF instructions (bpfgen.c), for a program that runs
 * it without the interpreter. The maps are the fds it refers to; e.probe
 * is the plan's probe id, the attach cookie (uprobe_multi) or the
 * syscall number (raw_syscalls, sysmode). */
enum lbc_probesrc { LBC_PROBE_PLAN = 0, LBC_PROBE_COOKIE, LBC_PROBE_SYSNR };
struct lbc_bpfenv {
	int probe; /* enum lbc_probesrc */
	int slot_fd[LB_MAX_MAPS];
	int scratch_fd, zeros_fd, events_fd, lost_fd, dropped_fd, upids_fd, procs_fd;
	int stacks_fd[2];
	/* > 0: the plan's scratch bytes (lbc_links.scratch_top, at most
	   LBC_STACK_SCRATCH) live on the BPF stack, not in scratch_fd */
	int stack_scratch;
	int ncpus; /* possible CPUs: a cell's copies */
	/* a perf-event tracepoint: its record can be read in place (at 8
	   and above, aligned), so fields need not be copied first */
	int tp_record;
};
#define LBC_STACK_SCRATCH 128
struct bpf_insn;
/* 0 and the instructions in *out (malloc'd), 1 when the plan needs the
 * interpreter (why says what), -1 out of memory */
int lbc_bpfgen(const struct lb_plan *plan, const struct lbc_bpfenv *env, struct bpf_insn **out,
	       int *nout, char *why, size_t whylen);

unsigned char *lbc_refget(const struct lbc_refmap *m, const void *key);
void lbc_reffree(struct lbc_refvm *vm);

#endif
