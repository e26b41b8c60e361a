/* luabpf -c's command from Lua: spawn, reap, stop_child, which (the
 * process handling is runtime/child.c). Children are kept in the registry
 * by pid, so the runner and the session name them by pid alone. */
#include <stdlib.h>
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include "lcore.h"
#include "runtime/child.h"

#define CHILD_MT "luabpf.child"
#define CHILDREN "luabpf.children" /* pid -> child userdata */

static struct lb_child *child_of(lua_State *L, int arg)
{
	struct lb_child *c;

	lua_getfield(L, LUA_REGISTRYINDEX, CHILDREN);
	lua_rawgeti(L, -1, luaL_checkinteger(L, arg));
	c = luaL_testudata(L, -1, CHILD_MT);
	lua_pop(L, 2);
	if (!c)
		luaL_argerror(L, arg, "not a command started by spawn");
	return c;
}

static int l_go(lua_State *L)
{
	lb_child_go(lua_touserdata(L, lua_upvalueindex(1)));
	return 0;
}

/* spawn(argv) -> pid, go: argv[1] is run (execvp) when go() is called,
 * so probes are attached before it starts (luabpf -c). */
static int l_spawn(lua_State *L)
{
	int n = (int)luaL_len(L, 1);
	const char **argv;
	struct lb_child *c;
	char err[256];

	luaL_argcheck(L, n > 0, 1, "a command (argv table) is needed");
	argv = lua_newuserdatauv(L, sizeof *argv * (size_t)(n + 1), 0);
	for (int i = 0; i < n; i++) {
		lua_geti(L, 1, i + 1);
		argv[i] = luaL_checkstring(L, -1);
		lua_pop(L, 1); /* the table keeps the string alive */
	}
	argv[n] = NULL;
	c = lua_newuserdatauv(L, sizeof *c, 0);
	if (lb_child_spawn(c, (char *const *)argv, err, sizeof err))
		return luaL_error(L, "%s", err);
	luaL_setmetatable(L, CHILD_MT);
	lua_getfield(L, LUA_REGISTRYINDEX, CHILDREN);
	lua_pushvalue(L, -2);
	lua_rawseti(L, -2, c->pid);
	lua_pop(L, 1);
	lua_pushinteger(L, c->pid);
	lua_pushvalue(L, -2);
	lua_pushcclosure(L, l_go, 1);
	return 2;
}

/* reap(pid) -> the command's exit status once it has ended, else nil */
static int l_reap(lua_State *L)
{
	int st = lb_child_reap(child_of(L, 1));

	if (st < 0)
		return 0;
	lua_pushinteger(L, st);
	return 1;
}

/* stop_child(pid) -> exit status: ends the command and all it started */
static int l_stop_child(lua_State *L)
{
	lua_pushinteger(L, lb_child_stop(child_of(L, 1)));
	return 1;
}

static int l_child_gc(lua_State *L)
{
	lb_child_stop(luaL_checkudata(L, 1, CHILD_MT));
	return 0;
}

/* which(name) -> the file execvp would run, or nil */
static int l_which(lua_State *L)
{
	char path[4096];

	if (lb_which(luaL_checkstring(L, 1), path, sizeof path))
		return 0;
	lua_pushstring(L, path);
	return 1;
}

void lb_open_child(lua_State *L)
{
	static const luaL_Reg fns[] = {
	    {"spawn", l_spawn}, {"reap", l_reap}, {"stop_child", l_stop_child},
	    {"which", l_which}, {NULL, NULL},
	};

	luaL_newmetatable(L, CHILD_MT);
	lua_pushcfunction(L, l_child_gc);
	lua_setfield(L, -2, "__gc");
	lua_pop(L, 1);
	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, CHILDREN);
	luaL_setfuncs(L, fns, 0);
}
