/* Handler sources: the text Lua compiled each chunk from, captured when
 * luabpf loaded it (bpf.load, bpf.loadfile, bpf.dofile, bpf.searcher,
 * the luabpf command), and the proof that a text is that one.
 *
 * A text is the source of a handler when Lua's own compiler, given it
 * and the chunk's name, produces the handler's function byte for byte:
 * its instructions, numeric and string constants, upvalues, inner
 * functions and the line of every instruction. So the compiler never
 * sees other text than the one Lua compiled, whatever happened to the
 * file since. A file luabpf did not load (Lua's own loadfile or
 * require) is read when one of its handlers is first compiled, and
 * kept only when it passes the same proof. */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include "lcore.h"

/* the texts kept per chunk name: a host that reloads a chunk under the
 * same name keeps its handlers of the last few versions compilable */
#define VERSIONS 4

/* registry SOURCES: chunkname -> { {text, dump of the text's chunk or
 * false until first needed, its lbc_scan (a userdata; false if the lexer
 * refuses the text) or nil until first needed}, ... }, newest first */
static void push_versions(lua_State *L, const char *chunk)
{
	lua_getfield(L, LUA_REGISTRYINDEX, SOURCES);
	lua_getfield(L, -1, chunk);
	if (!lua_istable(L, -1)) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setfield(L, -3, chunk);
	}
	lua_remove(L, -2);
}

/* registry PROVEN: function -> the version table of its source text,
 * once proven (weak keys) */
#define PROVEN "luabpf.proven"
static void push_proven(lua_State *L)
{
	lua_getfield(L, LUA_REGISTRYINDEX, PROVEN);
	if (lua_istable(L, -1))
		return;
	lua_pop(L, 1);
	lua_newtable(L);
	lua_newtable(L);
	lua_pushliteral(L, "k");
	lua_setfield(L, -2, "__mode");
	lua_setmetatable(L, -2);
	lua_pushvalue(L, -1);
	lua_setfield(L, LUA_REGISTRYINDEX, PROVEN);
}

/* text (stack index) becomes chunk's newest version */
static void add_version(lua_State *L, const char *chunk, int text)
{
	int n, k = 1;

	text = lua_absindex(L, text);
	push_versions(L, chunk);
	lua_createtable(L, VERSIONS, 0);
	lua_createtable(L, 2, 0);
	lua_pushvalue(L, text);
	lua_rawseti(L, -2, 1);
	lua_pushboolean(L, 0);
	lua_rawseti(L, -2, 2);
	lua_rawseti(L, -2, 1);
	n = (int)lua_rawlen(L, -2);
	for (int i = 1; i <= n && k < VERSIONS; i++) { /* the others, in order */
		lua_rawgeti(L, -2, i);
		lua_rawgeti(L, -1, 1);
		if (lua_rawequal(L, -1, text)) {
			lua_pop(L, 2);
			continue;
		}
		lua_pop(L, 1);
		lua_rawseti(L, -2, ++k);
	}
	lua_getfield(L, LUA_REGISTRYINDEX, SOURCES);
	lua_pushvalue(L, -2);
	lua_setfield(L, -2, chunk);
	lua_pop(L, 3);
}

/* add_source(chunkname, text): the text Lua just compiled under that name */
static int l_add_source(lua_State *L)
{
	const char *chunk = luaL_checkstring(L, 1);

	luaL_checktype(L, 2, LUA_TSTRING);
	add_version(L, chunk, 2);
	return 0;
}

/* source_text(chunkname) -> the newest text kept, or nil */
static int l_source_text(lua_State *L)
{
	push_versions(L, luaL_checkstring(L, 1));
	lua_rawgeti(L, -1, 1);
	if (lua_istable(L, -1))
		lua_rawgeti(L, -1, 1);
	return 1;
}

/* The text of a file as luaL_loadfile hands it to Lua's parser: without
 * a UTF-8 byte-order mark, its first line emptied when it starts with
 * '#' (the newline stays: line numbers are the file's). Pushes it, or
 * nil and "cannot open/read NAME: why". path NULL: stdin. */
static int push_file_text(lua_State *L, const char *path)
{
	FILE *f = path ? fopen(path, "rb") : stdin;
	luaL_Buffer b;
	char buf[4096];
	size_t n, len;
	const char *s;
	int err;

	if (!f) {
		lua_pushnil(L);
		lua_pushfstring(L, "cannot open %s: %s", path, strerror(errno));
		return 2;
	}
	luaL_buffinit(L, &b);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		luaL_addlstring(&b, buf, n);
	err = ferror(f) ? errno : 0;
	if (path)
		fclose(f);
	luaL_pushresult(&b);
	if (err) {
		lua_pushnil(L);
		lua_pushfstring(L, "cannot read %s: %s", path ? path : "stdin", strerror(err));
		return 2;
	}
	s = lua_tolstring(L, -1, &len);
	if (len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) {
		s += 3;
		len -= 3;
	}
	if (len && s[0] == '#') {
		const char *nl = memchr(s, '\n', len);

		lua_pushliteral(L, "\n");
		if (nl)
			lua_pushlstring(L, nl + 1, len - (size_t)(nl + 1 - s));
		else
			lua_pushliteral(L, "");
		lua_concat(L, 2);
	} else {
		lua_pushlstring(L, s, len);
	}
	lua_remove(L, -2);
	return 1;
}

/* read_chunk([path]) -> the text Lua's loadfile would parse, or nil, why */
static int l_read_chunk(lua_State *L)
{
	return push_file_text(L, luaL_optstring(L, 1, NULL));
}

/* Does Lua compile the text of version v (the table at stack index v) of
 * chunk into a chunk holding the function whose own bytes are body? */
static int compiles_to(lua_State *L, int v, const char *chunk, const char *body, size_t blen,
		       size_t off, const char *pre, size_t npre)
{
	const char *d, *p;
	size_t dlen, tlen;

	v = lua_absindex(L, v);
	lua_rawgeti(L, v, 2);
	if (!lua_isstring(L, -1)) { /* first use: Lua's compiler, once per text */
		const char *text;
		char *dump = NULL;

		lua_pop(L, 1);
		lua_rawgeti(L, v, 1);
		text = lua_tolstring(L, -1, &tlen);
		if (luaL_loadbuffer(L, text, tlen, chunk) == LUA_OK &&
		    (dump = lb_dump(L, -1, &dlen)) != NULL) {
			lua_pop(L, 2);
			lua_pushlstring(L, dump, dlen);
			free(dump);
		} else {
			lua_pop(L, 2);
			lua_pushliteral(L, ""); /* not a chunk Lua compiles: never matches */
		}
		lua_pushvalue(L, -1);
		lua_rawseti(L, v, 2);
	}
	d = lua_tolstring(L, -1, &dlen);
	for (p = memmem(d, dlen, body, blen); p;
	     p = memmem(p + 1, dlen - (size_t)(p + 1 - d), body, blen))
		if (((size_t)(p - d) >= npre && !memcmp(p - npre, pre, npre)) ||
		    ((size_t)(p - d) == off && off + blen == dlen)) { /* the main chunk */
			lua_pop(L, 1);
			return 1;
		}
	lua_pop(L, 1);
	return 0;
}

/* A text luabpf did not keep (on top of the stack): kept as chunk's
 * newest version only if it is the source; then 1, that version on top */
static int try_new(lua_State *L, const char *chunk, const char *body, size_t blen, size_t off,
		   const char *pre, size_t npre)
{
	int t = lua_gettop(L);

	lua_createtable(L, 2, 0);
	lua_pushvalue(L, t);
	lua_rawseti(L, -2, 1);
	lua_pushboolean(L, 0);
	lua_rawseti(L, -2, 2);
	if (!compiles_to(L, -1, chunk, body, blen, off, pre, npre))
		return 0;
	add_version(L, chunk, t);
	push_versions(L, chunk);
	lua_rawgeti(L, -1, 1);
	lua_rawgeti(L, t + 1, 2); /* the dump compiles_to made: not again */
	lua_rawseti(L, -2, 2);
	return 1;
}

/* The text of version v (a stack index) and, made at its first compile
 * and kept with it, its lbc_scan: each compile then lexes only its
 * handler's lines (NULL when the lexer refuses the text: compiles lex it
 * all and say why). Both live as long as the version table. */
static const char *version_text(lua_State *L, int v, size_t *len, const struct lbc_scan **scan)
{
	const char *text;

	lua_rawgeti(L, v, 1);
	text = lua_tolstring(L, -1, len);
	lua_rawgeti(L, v, 3);
	if (lua_isnil(L, -1)) {
		size_t size;
		struct lbc_scan *sc = lbc_scan(text, *len, &size);

		lua_pop(L, 1);
		if (sc) {
			memcpy(lua_newuserdata(L, size), sc, size);
			free(sc);
		} else {
			lua_pushboolean(L, 0);
		}
		lua_pushvalue(L, -1);
		lua_rawseti(L, v, 3);
	}
	*scan = lua_touserdata(L, -1);
	lua_pop(L, 2);
	return text;
}

/* Messages: where (Lua's short source and the handler's line), what
 * happened, and the way to a handler luabpf can compile. */
#define FIX_OTHERS "bpf.loadfile or bpf.dofile, or require it through bpf.searcher"
#define FIX "load it with bpf.load, " FIX_OTHERS

static void fail(char *err, size_t errlen, const lua_Debug *ar, const char *what, const char *hint)
{
	snprintf(err, errlen, "%s:%d:1: %s\nhint: %s", ar->short_src, ar->linedefined, what, hint);
}

/* The source of the Lua function at stack index fn (ar: its "S" info):
 * returned with its length and scan, the value that holds them pushed;
 * or NULL with why in err. */
const char *lb_chunk_source(lua_State *L, int fn, const lua_Debug *ar, size_t *len,
			    const struct lbc_scan **scan, char *err, size_t errlen)
{
	const char *chunk = ar->source, *pre, *body;
	size_t dlen, off, blen, npre;
	char *dump, what[512];
	int n, kept, found = 0, top = lua_gettop(L);

	if (!strcmp(chunk, "=?") || !strcmp(chunk, "?") || chunk[0] == 0x1b) {
		fail(
		    err, errlen, ar,
		    "the handler comes from stripped bytecode: luabpf compiles the source text Lua "
		    "compiled",
		    "load the chunk's source text with bpf.load, " FIX_OTHERS);
		return NULL;
	}
	fn = lua_absindex(L, fn);
	/* proven before (a wildcard compiles one handler per probe) */
	push_proven(L);
	lua_pushvalue(L, fn);
	lua_rawget(L, -2);
	if (lua_istable(L, -1)) {
		lua_replace(L, top + 1);
		lua_settop(L, top + 1);
		return version_text(L, top + 1, len, scan);
	}
	lua_settop(L, top);
	if (!(dump = lb_dump(L, fn, &dlen)) || lb_dump_body(dump, dlen, &off, &blen, &pre, &npre)) {
		free(dump);
		fail(err, errlen, ar,
		     "cannot read the handler's bytecode (an unknown Lua version?)",
		     "luabpf knows the bytecode of Lua 5.1, 5.3, 5.4 and LuaJIT 2.1");
		return NULL;
	}
	lua_pushlstring(L, dump + off, blen);
	free(dump);
	body = lua_tostring(L, top + 1); /* blen bytes, zeros included */
	push_versions(L, chunk);
	kept = n = (int)lua_rawlen(L, -1);
	for (int i = 1; i <= n && !found; i++) {
		lua_rawgeti(L, top + 2, i);
		found = compiles_to(L, -1, chunk, body, blen, off, pre, npre);
	}
	if (!found && chunk[0] != '@' && chunk[0] != '=') {
		/* load(text) without a name: the chunk's name is its text */
		lua_settop(L, top + 1);
		lua_pushstring(L, chunk);
		found = try_new(L, chunk, body, blen, off, pre, npre);
	}
	if (!found && chunk[0] == '@') {
		/* a file Lua's own loadfile or require loaded: read now, kept
		 * only if it is still the text Lua compiled */
		lua_settop(L, top + 1);
		if (push_file_text(L, chunk + 1) == 2) {
			snprintf(what, sizeof what, "luabpf did not see this chunk loaded and %s%s",
				 lua_tostring(L, -1),
				 chunk[1] != '/' ? " (relative to the current directory)" : "");
			fail(err, errlen, ar, what, FIX);
			lua_settop(L, top);
			return NULL;
		}
		found = try_new(L, chunk, body, blen, off, pre, npre);
	}
	if (found) { /* its version on top */
		push_proven(L);
		lua_pushvalue(L, fn);
		lua_pushvalue(L, -3);
		lua_rawset(L, -3);
		lua_pop(L, 1);
		lua_replace(L, top + 1);
		lua_settop(L, top + 1);
		return version_text(L, top + 1, len, scan);
	}
	if (chunk[0] == '@')
		fail(err, errlen, ar,
		     "the file changed since it was loaded: its text is not the source of this "
		     "handler",
		     FIX " (they keep the text Lua compiled)");
	else if (kept == 0) {
		char hint[400];

		snprintf(
		    what, sizeof what,
		    "luabpf did not see this chunk loaded (Lua's own load keeps no source text)");
		snprintf(hint, sizeof hint,
			 "load it with bpf.load(src, \"%.200s\"), or " FIX_OTHERS, chunk);
		fail(err, errlen, ar, what, hint);
	} else {
		fail(
		    err, errlen, ar,
		    "the source of this handler is not the text luabpf loaded under its chunk name "
		    "(was the chunk loaded again with Lua's own load?)",
		    FIX);
	}
	lua_settop(L, top);
	return NULL;
}

void lb_open_source(lua_State *L)
{
	static const luaL_Reg fns[] = {
	    {"add_source", l_add_source},
	    {"source_text", l_source_text},
	    {"read_chunk", l_read_chunk},
	    {NULL, NULL},
	};

	luaL_setfuncs(L, fns, 0);
}
