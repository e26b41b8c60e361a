/* Every version difference of the Lua C API, in one place. The binding
 * is written against Lua 5.4; this maps what it uses onto 5.3, 5.1 and
 * LuaJIT 2.1 (5.1's API: one build serves both, told apart at run time).
 *
 * Kernel values are 64-bit integers. lb_pushint64 gives them to Lua
 * without silent precision loss: an integer on 5.3 and 5.4; on 5.1 and
 * LuaJIT a number while it is exact (|v| <= 2^53), beyond that an
 * int64_t cdata on LuaJIT and a decimal string on Lua 5.1. lb_toint64
 * takes all of these back. */
#ifndef LUABPF_LCOMPAT_H
#define LUABPF_LCOMPAT_H

#include <stdint.h>
#include <lua.h>
#include <lauxlib.h>

void lb_pushint64(lua_State *L, int64_t v);
/* 1 and *v if the value at idx is an integer (an integral number, an
 * int64 cdata, a decimal string), else 0 */
int lb_toint64(lua_State *L, int idx, int64_t *v);
/* the same, or an argument error */
static inline int64_t lb_checkint64(lua_State *L, int idx)
{
	int64_t v = 0;

	if (!lb_toint64(L, idx, &v))
		luaL_argerror(L, idx, "a 64-bit integer expected");
	return v;
}

/* A Lua function's parameter count and string constants, read from its
 * bytecode: lb_proto_read returns 0 when the constants are known;
 * nparams is -1 when unknown. lb_proto_free frees the dump s[] points
 * into. */
#define LB_PROTO_KMAX 256
struct lb_proto {
	int nparams;
	const char *s[LB_PROTO_KMAX];
	size_t n[LB_PROTO_KMAX];
	int count;
	char *dump;
	size_t len, cap;
};
int lb_proto_read(lua_State *L, int fn, struct lb_proto *k);
void lb_proto_free(struct lb_proto *k);
/* fn's bytecode (lua_dump with debug information), malloc'd, or NULL */
char *lb_dump(lua_State *L, int fn, size_t *len);
/* Where a dumped function's own bytes are (see lcompat.c): 0, or -1 for
 * a format not known here */
int lb_dump_body(const char *dump, size_t len, size_t *off, size_t *blen, const char **pre,
		 size_t *npre);

#if LUA_VERSION_NUM < 504
#define lua_newuserdatauv(L, size, nuv) lua_newuserdata(L, size)
#endif

#if LUA_VERSION_NUM == 503
/* one user value per userdata: n is always 1 here */
static inline int lbcompat_setiuservalue(lua_State *L, int i, int n)
{
	(void)n;
	lua_setuservalue(L, i);
	return 1;
}
#define lua_setiuservalue lbcompat_setiuservalue
#define lua_getiuservalue(L, idx, n) lua_getuservalue(L, idx)
#endif

#if LUA_VERSION_NUM == 501
/* The shims have names of their own (LuaJIT declares some of the 5.2
 * functions; PUC Lua 5.1 has none), mapped by macros. */
#ifndef LUA_OK
#define LUA_OK 0
#endif

static inline int lbcompat_absindex(lua_State *L, int i)
{
	return i > 0 || i <= LUA_REGISTRYINDEX ? i : lua_gettop(L) + i + 1;
}
#define lua_absindex lbcompat_absindex

static inline int lbcompat_getfield(lua_State *L, int i, const char *k)
{
	lua_getfield(L, i, k);
	return lua_type(L, -1);
}
#define lua_getfield lbcompat_getfield

static inline int lbcompat_rawgeti(lua_State *L, int i, lua_Integer n)
{
	lua_rawgeti(L, i, (int)n);
	return lua_type(L, -1);
}
#define lua_rawgeti lbcompat_rawgeti

static inline int lbcompat_geti(lua_State *L, int i, lua_Integer n)
{
	i = lbcompat_absindex(L, i);
	lua_pushinteger(L, n);
	lua_gettable(L, i);
	return lua_type(L, -1);
}
#define lua_geti lbcompat_geti

#define lua_rawlen(L, i) lua_objlen(L, i)
#define luaL_len(L, i) ((lua_Integer)lua_objlen(L, i))
#define lua_dump(L, writer, data, strip) lua_dump(L, writer, data)

static inline int lbcompat_isinteger(lua_State *L, int i)
{
	lua_Number n = lua_tonumber(L, i);

	return lua_type(L, i) == LUA_TNUMBER && n >= -9223372036854775808.0 &&
	       n < 9223372036854775808.0 && (lua_Number)(int64_t)n == n;
}
#define lua_isinteger lbcompat_isinteger

static inline lua_Integer lbcompat_tointegerx(lua_State *L, int i, int *isnum)
{
	int64_t v = 0;
	int ok = lb_toint64(L, i, &v);

	if (isnum)
		*isnum = ok;
	return ok ? (lua_Integer)v : 0;
}
#define lua_tointegerx lbcompat_tointegerx

static inline void lbcompat_setfuncs(lua_State *L, const luaL_Reg *l, int nup)
{
	for (; l->name; l++) {
		for (int i = 0; i < nup; i++)
			lua_pushvalue(L, -nup);
		lua_pushcclosure(L, l->func, nup);
		lua_setfield(L, -(nup + 2), l->name);
	}
	lua_pop(L, nup);
}
#define luaL_setfuncs lbcompat_setfuncs
#undef luaL_newlib
#define luaL_newlib(L, l) (lua_newtable(L), luaL_setfuncs(L, l, 0))

static inline void lbcompat_setmetatable(lua_State *L, const char *tname)
{
	luaL_getmetatable(L, tname);
	lua_setmetatable(L, -2);
}
#define luaL_setmetatable lbcompat_setmetatable

static inline void *lbcompat_testudata(lua_State *L, int i, const char *tname)
{
	void *p = lua_touserdata(L, i);

	if (!p || !lua_getmetatable(L, i))
		return NULL;
	luaL_getmetatable(L, tname);
	if (!lua_rawequal(L, -1, -2))
		p = NULL;
	lua_pop(L, 2);
	return p;
}
#define luaL_testudata lbcompat_testudata

/* A userdata's environment table holds its user values. */
static inline int lbcompat_setiuservalue(lua_State *L, int i, int n)
{
	i = lbcompat_absindex(L, i);
	lua_getfenv(L, i);
	if (!lua_istable(L, -1)) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setfenv(L, i);
	}
	lua_insert(L, -2);
	lua_rawseti(L, -2, n);
	lua_pop(L, 1);
	return 1;
}
#define lua_setiuservalue lbcompat_setiuservalue

static inline int lbcompat_getiuservalue(lua_State *L, int i, int n)
{
	lua_getfenv(L, i);
	if (!lua_istable(L, -1)) {
		lua_pop(L, 1);
		lua_pushnil(L);
		return LUA_TNIL;
	}
	lua_rawgeti(L, -1, n);
	lua_remove(L, -2);
	return lua_type(L, -1);
}
#define lua_getiuservalue lbcompat_getiuservalue
#endif /* 5.1 */

/* The function at idx's globals table (its _ENV upvalue from 5.2 on)
 * pushed; 0 (nothing pushed) if it has none. */
static inline int lb_pushenv(lua_State *L, int fn)
{
#if LUA_VERSION_NUM == 501
	lua_getfenv(L, fn);
	return 1;
#else
	const char *n;

	for (int i = 1; (n = lua_getupvalue(L, fn, i)); i++) {
		if (n[0] == '_' && !__builtin_strcmp(n, "_ENV"))
			return 1;
		lua_pop(L, 1);
	}
	return 0;
#endif
}

/* Do a function's globals count among its upvalues (as _ENV)? */
#define LB_ENV_UPVALUE (LUA_VERSION_NUM >= 502)

#endif
