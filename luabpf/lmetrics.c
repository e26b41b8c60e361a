/* Session methods of the metrics listener (runtime/http.c): the runtime
 * accepts and reads scrapes, luabpf/metrics.lua renders the text. */
#include <lua.h>
#include <lauxlib.h>
#include "lcore.h"
#include "runtime/http.h"

/* s:serve_metrics(addr) -> the address bound ("127.0.0.1:9464") */
static int l_serve_metrics(lua_State *L)
{
	struct lb_session *s = lb_check_session(L, 1);
	char err[LB_ERR];

	if (lb_session_serve_metrics(s, luaL_checkstring(L, 2), err, sizeof err))
		return luaL_error(L, "%s", err);
	lua_pushstring(L, lb_http_address(s->http));
	return 1;
}

/* s:metrics_respond(request, text [, status]): answer a scrape event
 * (status 200, the default, or 500 with the error as text). */
static int l_metrics_respond(lua_State *L)
{
	struct lb_session *s = lb_check_session(L, 1);
	lua_Integer id = luaL_checkinteger(L, 2);
	size_t len;
	const char *body = luaL_checklstring(L, 3, &len);
	int status = (int)luaL_optinteger(L, 4, 200);

	if (s->http)
		lb_http_respond(s->http, (uint64_t)id, status == 200 ? 200 : 500, body, len);
	return 0;
}

static const luaL_Reg methods[] = {
    {"serve_metrics", l_serve_metrics},
    {"metrics_respond", l_metrics_respond},
    {NULL, NULL},
};

void lb_open_metrics(lua_State *L)
{
	luaL_getmetatable(L, SESSION_MT);
	lua_getfield(L, -1, "__index");
	luaL_setfuncs(L, methods, 0);
	lua_pop(L, 2);
}
