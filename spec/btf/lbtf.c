/* A test binding for luabpf/runtime/btf.c (spec/btf_spec.lua builds it):
 *   local b = lbtf.load()
 *   b:describe_func(name), b:describe_struct(name) -> text | nil, err
 *   b:func_args(name) -> { {name=, off=, size=, is_signed=, is_string=,
 *                          btf_type=}, ... }, ret_type | nil, err
 *   b:tp_args(name) -> fields | nil, err
 *   b:type(id) -> {kind=, size=, is_signed=, is_char=, elem=, nelem=, name=}
 *   b:member(id, name) -> off, type | nil, rc
 *   b:members(id) -> "a, b, c"
 *   b:funcs(glob) -> { names }
 *   lbtf.usdt_probes(path) -> { {provider=, name=, nargs=} }
 *   lbtf.elf_functions(path, glob) -> { names }, is_static */
#include <stdlib.h>
#include <lua.h>
#include <lauxlib.h>
#include "runtime/btf.h"

#define MT "lbtf.btf"

static struct lb_btf *check(lua_State *L)
{
	struct lb_btf **p = luaL_checkudata(L, 1, MT);

	if (!*p)
		luaL_error(L, "closed");
	return *p;
}

static int l_gc(lua_State *L)
{
	struct lb_btf **p = luaL_checkudata(L, 1, MT);

	lb_btf_free(*p);
	*p = NULL;
	return 0;
}

static int l_load(lua_State *L)
{
	char err[256];
	struct lb_btf **p = lua_newuserdatauv(L, sizeof *p, 0);

	*p = NULL;
	luaL_setmetatable(L, MT);
	if (!(*p = lb_btf_load(err, sizeof err))) {
		lua_pushnil(L);
		lua_pushstring(L, err);
		return 2;
	}
	return 1;
}

static int text_result(lua_State *L, int rc, char *text, const char *err)
{
	if (rc) {
		lua_pushnil(L);
		lua_pushstring(L, err);
		return 2;
	}
	lua_pushstring(L, text);
	free(text);
	return 1;
}

static int l_describe_func(lua_State *L)
{
	char err[256], *text = NULL;
	int rc = lb_btf_describe_func(check(L), luaL_checkstring(L, 2), &text, err, sizeof err);

	return text_result(L, rc, text, err);
}

static int l_describe_struct(lua_State *L)
{
	char err[256], *text = NULL;
	int rc = lb_btf_describe_struct(check(L), luaL_checkstring(L, 2), &text, err, sizeof err);

	return text_result(L, rc, text, err);
}

static void push_fields(lua_State *L, struct lbc_field *f, int n)
{
	lua_createtable(L, n, 0);
	for (int i = 0; i < n; i++) {
		lua_createtable(L, 0, 6);
		lua_pushstring(L, f[i].name);
		lua_setfield(L, -2, "name");
		lua_pushinteger(L, f[i].off);
		lua_setfield(L, -2, "off");
		lua_pushinteger(L, f[i].size);
		lua_setfield(L, -2, "size");
		lua_pushboolean(L, f[i].is_signed);
		lua_setfield(L, -2, "is_signed");
		lua_pushinteger(L, f[i].is_string);
		lua_setfield(L, -2, "is_string");
		lua_pushinteger(L, f[i].btf_type);
		lua_setfield(L, -2, "btf_type");
		lua_rawseti(L, -2, i + 1);
	}
	for (int i = 0; i < n; i++)
		free((char *)f[i].name);
	free(f);
}

static int l_func_args(lua_State *L)
{
	char err[256];
	struct lbc_field *f;
	int n, ret;

	if (lb_btf_func_args(check(L), luaL_checkstring(L, 2), &f, &n, &ret, err, sizeof err)) {
		lua_pushnil(L);
		lua_pushstring(L, err);
		return 2;
	}
	push_fields(L, f, n);
	lua_pushinteger(L, ret);
	return 2;
}

static int l_tp_args(lua_State *L)
{
	char err[256];
	struct lbc_field *f;
	int n;

	if (lb_btf_tp_args(check(L), luaL_checkstring(L, 2), &f, &n, err, sizeof err)) {
		lua_pushnil(L);
		lua_pushstring(L, err);
		return 2;
	}
	push_fields(L, f, n);
	return 1;
}

static const char *kinds[] = {"?", "int", "ptr", "struct", "array", "other"};

static int l_type(lua_State *L)
{
	const struct lbc_types *T = lb_btf_types(check(L));
	struct lbc_type t;

	if (T->type(T->ud, (int)luaL_checkinteger(L, 2), &t)) {
		lua_pushnil(L);
		return 1;
	}
	lua_createtable(L, 0, 7);
	lua_pushstring(L, t.kind >= 1 && t.kind <= 5 ? kinds[t.kind] : "?");
	lua_setfield(L, -2, "kind");
	lua_pushinteger(L, t.size);
	lua_setfield(L, -2, "size");
	lua_pushboolean(L, t.is_signed);
	lua_setfield(L, -2, "is_signed");
	lua_pushboolean(L, t.is_char);
	lua_setfield(L, -2, "is_char");
	lua_pushinteger(L, t.elem);
	lua_setfield(L, -2, "elem");
	lua_pushinteger(L, t.nelem);
	lua_setfield(L, -2, "nelem");
	lua_pushstring(L, t.name);
	lua_setfield(L, -2, "name");
	return 1;
}

static int l_member(lua_State *L)
{
	const struct lbc_types *T = lb_btf_types(check(L));
	__u32 off = 0;
	int type = 0;
	int rc =
	    T->member(T->ud, (int)luaL_checkinteger(L, 2), luaL_checkstring(L, 3), &off, &type);

	if (rc) {
		lua_pushnil(L);
		lua_pushinteger(L, rc);
		return 2;
	}
	lua_pushinteger(L, off);
	lua_pushinteger(L, type);
	return 2;
}

static int l_members(lua_State *L)
{
	const struct lbc_types *T = lb_btf_types(check(L));
	char buf[4096];

	T->members(T->ud, (int)luaL_checkinteger(L, 2), buf, sizeof buf);
	lua_pushstring(L, buf);
	return 1;
}

static void push_names(lua_State *L, char **v, int n)
{
	lua_createtable(L, n, 0);
	for (int i = 0; i < n; i++) {
		lua_pushstring(L, v[i]);
		lua_rawseti(L, -2, i + 1);
		free(v[i]);
	}
	free(v);
}

static int l_funcs(lua_State *L)
{
	char **v;
	int n;

	if (lb_btf_funcs(check(L), luaL_checkstring(L, 2), &v, &n))
		return luaL_error(L, "lb_btf_funcs failed");
	push_names(L, v, n);
	return 1;
}

static int l_usdt_probes(lua_State *L)
{
	char err[256];
	struct lb_usdt_probe *p;
	int n;

	if (lb_usdt_probes(luaL_checkstring(L, 1), &p, &n, err, sizeof err)) {
		lua_pushnil(L);
		lua_pushstring(L, err);
		return 2;
	}
	lua_createtable(L, n, 0);
	for (int i = 0; i < n; i++) {
		lua_createtable(L, 0, 3);
		lua_pushstring(L, p[i].provider);
		lua_setfield(L, -2, "provider");
		lua_pushstring(L, p[i].name);
		lua_setfield(L, -2, "name");
		lua_pushinteger(L, p[i].nargs);
		lua_setfield(L, -2, "nargs");
		lua_rawseti(L, -2, i + 1);
	}
	free(p);
	return 1;
}

static int l_elf_functions(lua_State *L)
{
	char err[256], **v;
	int n, is_static;

	if (lb_elf_functions(luaL_checkstring(L, 1), luaL_optstring(L, 2, "*"), &v, &n, &is_static,
			     err, sizeof err)) {
		lua_pushnil(L);
		lua_pushstring(L, err);
		return 2;
	}
	push_names(L, v, n);
	lua_pushboolean(L, is_static);
	return 2;
}

static const luaL_Reg methods[] = {
    {"describe_func", l_describe_func},
    {"describe_struct", l_describe_struct},
    {"func_args", l_func_args},
    {"tp_args", l_tp_args},
    {"type", l_type},
    {"member", l_member},
    {"members", l_members},
    {"funcs", l_funcs},
    {"close", l_gc},
    {NULL, NULL},
};

static const luaL_Reg funcs[] = {
    {"load", l_load},
    {"usdt_probes", l_usdt_probes},
    {"elf_functions", l_elf_functions},
    {NULL, NULL},
};

int luaopen_lbtf(lua_State *L)
{
	luaL_newmetatable(L, MT);
	lua_pushcfunction(L, l_gc);
	lua_setfield(L, -2, "__gc");
	luaL_newlib(L, methods);
	lua_setfield(L, -2, "__index");
	lua_pop(L, 1);
	luaL_newlib(L, funcs);
	return 1;
}
