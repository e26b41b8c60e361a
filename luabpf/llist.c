/* Listings for `luabpf -l/-lv` beyond tracepoints: kernel functions and
 * structs (BTF), ELF functions (uprobes), USDT notes. */
#include <stdlib.h>
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include "lcore.h"
#include "runtime/btf.h"

/* A listing's error says what it is about; where in luabpf's own Lua it
 * was asked for is nothing to the user. */
static int list_error(lua_State *L, const char *err)
{
	lua_pushstring(L, err);
	return lua_error(L);
}

/* elf_functions(path, glob) -> { names }, is_static */
static int l_elf_functions(lua_State *L)
{
	char err[LB_ERR], **v;
	int n, st;

	if (lb_elf_functions(luaL_checkstring(L, 1), luaL_optstring(L, 2, "*"), &v, &n, &st, err,
			     sizeof err))
		return list_error(L, err);
	lb_push_strings(L, v, n);
	lua_pushboolean(L, st);
	return 2;
}

/* usdt_probes(path) -> { {provider, name, nargs}, ... } */
static int l_usdt_probes(lua_State *L)
{
	struct lb_usdt_probe *u;
	char err[LB_ERR];
	int n;

	if (lb_usdt_probes(luaL_checkstring(L, 1), &u, &n, err, sizeof err))
		return list_error(L, err);
	lua_createtable(L, n, 0);
	for (int i = 0; i < n; i++) {
		lua_createtable(L, 3, 0);
		lua_pushstring(L, u[i].provider);
		lua_rawseti(L, -2, 1);
		lua_pushstring(L, u[i].name);
		lua_rawseti(L, -2, 2);
		lua_pushinteger(L, u[i].nargs);
		lua_rawseti(L, -2, 3);
		lua_rawseti(L, -2, i + 1);
	}
	free(u);
	return 1;
}

/* usdt_sites(path, provider, name) -> { {pc, offset, semaphore, {{text,
 * decoded}, ...}}, ... } (-lv), or nil and why */
static int l_usdt_sites(lua_State *L)
{
	struct lb_usdt_site *u;
	char err[LB_ERR], desc[256];
	int n;

	if (lb_usdt_sites(luaL_checkstring(L, 1), luaL_checkstring(L, 2), luaL_checkstring(L, 3),
			  &u, &n, err, sizeof err)) {
		lua_pushnil(L);
		lua_pushstring(L, err);
		return 2;
	}
	lua_createtable(L, n, 0);
	for (int i = 0; i < n; i++) {
		lua_createtable(L, 4, 0);
		lua_pushinteger(L, (lua_Integer)u[i].pc);
		lua_rawseti(L, -2, 1);
		lua_pushinteger(L, (lua_Integer)u[i].offset);
		lua_rawseti(L, -2, 2);
		lua_pushinteger(L, (lua_Integer)u[i].sema_offset);
		lua_rawseti(L, -2, 3);
		lua_createtable(L, u[i].nargs, 0);
		for (int j = 0; j < u[i].nargs; j++) {
			lb_usdt_describe(&u[i].ops[j], desc, sizeof desc);
			lua_createtable(L, 2, 0);
			lua_pushstring(L, u[i].text[j]);
			lua_rawseti(L, -2, 1);
			lua_pushstring(L, desc);
			lua_rawseti(L, -2, 2);
			lua_rawseti(L, -2, j + 1);
		}
		lua_rawseti(L, -2, 4);
		lua_rawseti(L, -2, i + 1);
	}
	free(u);
	return 1;
}

/* kernel_types(what, arg): "funcs" glob -> { names }; "func" name ->
 * text; "struct" name -> text. BTF is loaded for the call. */
static int l_kernel_types(lua_State *L)
{
	const char *what = luaL_checkstring(L, 1), *arg = luaL_checkstring(L, 2);
	char err[LB_ERR], *text = NULL, **v;
	struct lb_btf *b = lb_btf_load(err, sizeof err);
	int n, rc = 0;

	if (!b)
		return list_error(L, err);
	if (strcmp(what, "funcs") == 0) {
		rc = lb_btf_funcs(b, arg, &v, &n);
		if (rc == 0)
			lb_push_strings(L, v, n);
		else
			snprintf(err, sizeof err, "cannot list kernel functions: out of memory");
	} else {
		rc = strcmp(what, "func") == 0
			 ? lb_btf_describe_func(b, arg, &text, err, sizeof err)
			 : lb_btf_describe_struct(b, arg, &text, err, sizeof err);
		if (rc == 0)
			lua_pushstring(L, text ? text : "");
		free(text);
	}
	lb_btf_free(b);
	if (rc)
		return list_error(L, err);
	return 1;
}

void lb_open_list(lua_State *L)
{
	static const luaL_Reg fns[] = {
	    {"elf_functions", l_elf_functions},
	    {"usdt_probes", l_usdt_probes},
	    {"usdt_sites", l_usdt_sites},
	    {"kernel_types", l_kernel_types},
	    {NULL, NULL},
	};

	luaL_setfuncs(L, fns, 0);
}
