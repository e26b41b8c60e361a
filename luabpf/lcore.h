/* What the Lua binding's files (core.c, lcompile.c, lmap.c) share. */
#ifndef LUABPF_LCORE_H
#define LUABPF_LCORE_H

#include <lua.h>
#include "lcompat.h"
#include "runtime/runtime.h"

/* registry keys */
#define SESSION_MT "luabpf.session"
#define MAP_MT "luabpf.map"
#define MARKS "luabpf.marks"	 /* module table / builtin fn -> name */
#define SOURCES "luabpf.sources" /* chunkname -> texts Lua compiled (lsource.c) */

struct lmap {
	struct lb_session *s;
	int idx;
};

struct lb_session *lb_check_session(lua_State *L, int i);
struct lmap *lb_check_map(lua_State *L, int i);
/* A table of the strings v, which are freed (listings). */
void lb_push_strings(lua_State *L, char **v, int n);
/* s cut to its first 64 bytes and "..." (a message must not echo a huge
 * name), pushed; returns it */
const char *lb_clip(lua_State *L, const char *s);

/* lcompile.c: session methods that add probes */
int lb_l_tracepoint(lua_State *L);
int lb_l_profile(lua_State *L);
int lb_l_compile(lua_State *L);
/* Compile the handler at stack index fn for probe against t's proposed
 * layouts, which it updates (t NULL: against the session's, proposing
 * nothing); -1 with err set. */
int lb_compile_probe(lua_State *L, struct lb_session *s, struct lb_txn *t, int fn,
		     const struct lbc_probe *probe, struct lbc_output *out, char *err,
		     size_t errlen);
/* Begin adding a probe: a transaction (malloc'd) and the probe itself;
 * NULL when out of memory (nothing changed). */
struct lb_probe *lb_start_probe(lua_State *L, struct lb_session *s, const char *spec,
				struct lb_txn **t);
/* The end of adding it: commit (rc == 0) or put everything back; raises
 * err on any failure, else returns 1 (the program count pushed). */
int lb_finish_probe(lua_State *L, struct lb_session *s, struct lb_txn *t, int rc, char *err,
		    size_t errlen);

/* lprobes.c: s:probe(kind, spec, fn) for kfunc ... usdt */
int lb_l_probe(lua_State *L);

/* lmap.c */
extern const luaL_Reg lb_map_methods[];
int lb_map_index(lua_State *L);
int lb_map_newindex(lua_State *L);
int lb_map_clear_l(lua_State *L);
const char *lb_valkind_name(unsigned valkind);

/* lformat.c: fmt_check, fmt_render, ksym, usym ... into the table on top */
void lb_open_format(lua_State *L);
/* llist.c: elf_functions, usdt_probes, kernel_types (listings) */
void lb_open_list(lua_State *L);
/* lsource.c: the text Lua compiled the function at fn from (ar: its "S"
 * info) and its lbc_scan (or NULL), returned, the value holding them
 * pushed; NULL with why in err */
const char *lb_chunk_source(lua_State *L, int fn, const lua_Debug *ar, size_t *len,
			    const struct lbc_scan **scan, char *err, size_t errlen);
void lb_open_source(lua_State *L);
/* lchild.c: spawn, reap, stop_child, which (luabpf -c's command) */
void lb_open_child(lua_State *L);
/* lmetrics.c: the session's serve_metrics, metrics_respond */
void lb_open_metrics(lua_State *L);

#endif
