/* The handler compiler: Lua source of one function -> struct lb_plan.
 * Pure C, no Lua state: the runtime (luabpf/core.c) finds the source and
 * the upvalues with the debug library and answers name look-ups through
 * a callback, so the compiler can be tested and fuzzed on its own. */
#ifndef LUABPF_COMPILER_H
#define LUABPF_COMPILER_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "../../bpf/plan.h"

#define LB_MAX_KEYS 8     /* fields of a tuple key */
#define LB_NAME_MAX 64

/* The layout of one session map, fixed by the first handler that uses it
 * and checked against by every later one. */
enum lb_keytype {
	LB_KEY_INT = 1, /* 8 bytes, signed 64-bit */
	LB_KEY_STR,     /* keysize[i] bytes, NUL padded (comm: 16) */
	LB_KEY_PROBE,   /* 8 bytes, an e.probe value (see LB_PROBE_*) */
};

enum lb_valkind {
	LB_VAL_NONE = 0, /* not used by a handler yet */
	LB_VAL_SUM,      /* per-CPU s64 summed on read: count(), sum(x), m[k] + x */
};

struct lb_mapdesc {
	char name[LB_NAME_MAX]; /* printed as @name; "" prints as @ */
	int named;              /* name given by bpf.map "name": keep it */
	__u8 nkeys;             /* 0: layout not fixed yet */
	__u8 keytype[LB_MAX_KEYS];
	__u16 keysize[LB_MAX_KEYS]; /* multiple of 8 */
	__u16 key_size;             /* sum of keysize */
	__u16 value_size;
	__u8 valkind;
	__u8 percpu;
};

/* A value the handler refers to by name: an upvalue or a global. */
enum lbc_vkind {
	LBC_V_NIL = 0,
	LBC_V_INT,     /* also a float with an integral value */
	LBC_V_STR,
	LBC_V_BOOL,
	LBC_V_MAP,     /* a session map: .map is its index */
	LBC_V_MODULE,  /* the luabpf module table (bpf.count, ...) */
	LBC_V_BUILTIN, /* one of its functions: .builtin names it ("count") */
	LBC_V_OTHER,   /* anything else: .type_name says what, for errors */
};

struct lbc_value {
	int kind;
	int64_t i;            /* INT, BOOL */
	const char *s;        /* STR bytes (may hold NULs), BUILTIN name */
	size_t len;           /* STR length */
	int map;              /* MAP index into the maps array */
	const char *type_name; /* OTHER: "function", "table", "float" ... */
};

/* Look up `name` as upvalue (global == 0) or global (global == 1, through
 * the function's _ENV). Returns 0 if there is no such upvalue. */
typedef int (*lbc_resolve_fn)(void *ud, const char *name, int global,
			      struct lbc_value *out);

/* A tracepoint format field (e.args.NAME). */
struct lbc_field {
	const char *name;
	__u16 off, size;
	__u8 is_signed;
	__u8 is_string; /* char[N] or __data_loc char[]: not numeric in v1 */
};

/* What `e` offers in this probe. */
struct lbc_probe {
	const char *name;   /* "tracepoint:syscalls:sys_enter_write", the
			       pattern for a wildcard: e.probe of a plain probe */
	__u32 probe_id;     /* session probe table index (LB_PROBE_SESSION) */
	__u32 sysmode;      /* enum lb_sysmode */
	const struct lbc_field *fields; /* NULL when args are not known */
	int nfields;
};

struct lbc_input {
	const char *source; /* the whole chunk the function is defined in */
	size_t source_len;
	const char *chunkname; /* Lua's: "@file.lua", "=stdin" or the source */
	int linedefined, lastlinedefined;
	int nparams;
	const char *const *upvalues; /* upvalue names, Lua's order */
	int nupvalues;
	/* The function's string constants, from its bytecode (NULL if not
	 * known): they tell apart handlers that share a line and upvalues. */
	const char *const *kstrings;
	const size_t *klens;
	int nkstrings;
	lbc_resolve_fn resolve;
	void *ud;
	const struct lbc_probe *probe;
	struct lb_mapdesc *maps; /* session maps; layouts are fixed in place */
	int nmaps;
};

struct lbc_output {
	struct lb_plan plan;
	int slot_map[LB_MAX_MAPS]; /* plan map slot -> session map index */
	int nslots;
};

/* Compile. Returns 0, or -1 with a message in err:
 *   file:line:col: message
 *   <the source line>
 *   <spaces>^
 *   hint: ...            (when there is one)
 * On error the maps are left exactly as they were. */
int lbc_compile(const struct lbc_input *in, struct lbc_output *out,
		char *err, size_t errlen);

/* Human-readable listing of a plan, one op per line (golden specs, -v). */
size_t lbc_dump(const struct lb_plan *plan, char *buf, size_t buflen);

#endif
