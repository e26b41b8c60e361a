/* Lua bindings of the printf checker/renderer and of the symbolizer, for
 * specs and for scripts that post-process addresses:
 *   fmt_check(fmt, {"int", "str", ...})         -> true | nil, message
 *   fmt_render(fmt, {"int", "str"}, {42, "x"})   -> text | nil, message
 *   strftime(fmt [, ns])                         -> "17:08:03" (ns since boot,
 *       as e.nsecs; without it, now)
 *   ntop([af,] addr)                             -> "127.0.0.1" (addr: an IPv4
 *       u32, or a string of 4 or 16 bytes, as bpf.ntop() in handlers)
 *   ksym(addr [, with_offset])                   -> "do_sys_openat2"
 *   usym(addr, pid [, with_offset])              -> "main"
 *   kstack_format({addr, ...} [, indent [, mode]]) -> "\n        sym+off\n..."
 *   ustack_format({addr, ...}, pid [, indent [, mode]])  (mode: "bpftrace",
 *       "perf", "raw" or "names": the stack modes of luabpf/runtime/symbols.h)
 * Types: int str probe kstack ustack ksym usym (fmt_render: int and str).
 * The symbolizer is one struct lb_syms per Lua state, a full userdata in
 * the registry, freed by its __gc. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <lua.h>
#include <lauxlib.h>
#include "lcore.h"
#include "lcore.h"
#include "runtime/format.h"
#include "runtime/symbols.h"

#define SYMS_MT "luabpf.syms"
#define SYMS_KEY "luabpf.syms.instance"
#define STACK_TEXT_MAX (LB_STACK_DEPTH * 1100 + 2)

static const char *const type_names[] = {"int",	   "str",  "probe", "kstack",
					 "ustack", "ksym", "usym",  NULL};

/* Types from the table at index idx into types[]; returns their number
 * (may exceed LB_MAX_ARGS: lb_fmt_check then says so). */
static int get_types(lua_State *L, int idx, __u8 *types, int cap)
{
	int n;

	luaL_checktype(L, idx, LUA_TTABLE);
	n = (int)luaL_len(L, idx);
	if (n < 0)
		n = 0;
	for (int i = 1; i <= n; i++) {
		int t = 0;
		const char *name;

		lua_geti(L, idx, i);
		name = lua_tostring(L, -1);
		while (name && type_names[t] && strcmp(type_names[t], name))
			t++;
		if (!name || !type_names[t])
			luaL_error(L,
				   "argument type %d: %s is not one of int str probe kstack"
				   " ustack ksym usym",
				   i, name ? name : luaL_typename(L, -1));
		lua_pop(L, 1);
		if (i <= cap)
			types[i - 1] = (__u8)(LB_ARG_INT + t);
	}
	return n;
}

static const char *check_format(lua_State *L, int idx, size_t *len)
{
	const char *fmt = luaL_checklstring(L, idx, len);

	if (strlen(fmt) != *len) {
		lua_pushnil(L);
		lua_pushliteral(L, "printf: the format contains a NUL byte");
		return NULL;
	}
	return fmt;
}

static int l_fmt_check(lua_State *L)
{
	size_t len;
	const char *fmt = check_format(L, 1, &len);
	__u8 types[LB_MAX_ARGS];
	char err[512];
	int n;

	if (!fmt)
		return 2;
	n = get_types(L, 2, types, LB_MAX_ARGS);
	if (lb_fmt_check(fmt, types, n, err, sizeof err)) {
		lua_pushnil(L);
		lua_pushstring(L, err);
		return 2;
	}
	lua_pushboolean(L, 1);
	return 1;
}

static int l_fmt_render(lua_State *L)
{
	size_t len, reclen = 8;
	const char *fmt = check_format(L, 1, &len);
	struct lb_fmt *f;
	char err[512];
	unsigned char *rec;
	char *out = NULL;
	size_t outlen = 0;
	int n, rc;

	if (!fmt)
		return 2;
	f = lua_newuserdatauv(L, sizeof *f, 0); /* collected with the call */
	memset(f, 0, sizeof *f);
	n = get_types(L, 2, f->type, LB_MAX_ARGS);
	luaL_checktype(L, 3, LUA_TTABLE);
	if (lb_fmt_check(fmt, f->type, n, err, sizeof err)) {
		lua_pushnil(L);
		lua_pushstring(L, err);
		return 2;
	}
	if (len >= sizeof f->fmt)
		return luaL_error(L, "fmt_render: the format is longer than %d bytes",
				  (int)sizeof f->fmt - 1);
	memcpy(f->fmt, fmt, len + 1);
	f->nargs = n;
	/* lay the record out as the compiler does: 8-byte aligned fields */
	for (int i = 0; i < n; i++) {
		size_t size = 8;

		if (f->type[i] == LB_ARG_STR) {
			size_t sl;

			lua_geti(L, 3, i + 1);
			luaL_checklstring(L, -1, &sl);
			lua_pop(L, 1);
			size = sl ? (sl + 7) / 8 * 8 : 8;
		} else if (f->type[i] != LB_ARG_INT) {
			return luaL_error(L, "fmt_render: argument %d: only int and str", i + 1);
		}
		if (reclen + size > 65535)
			return luaL_error(L, "fmt_render: the record is over 65535 bytes");
		f->off[i] = (__u16)reclen;
		f->size[i] = (__u16)size;
		reclen += size;
	}
	f->len = (__u16)reclen;
	rec = lua_newuserdatauv(L, reclen, 0);
	memset(rec, 0, reclen);
	for (int i = 0; i < n; i++) {
		lua_geti(L, 3, i + 1);
		if (f->type[i] == LB_ARG_INT) {
			int ok;
			lua_Integer v = lua_tointegerx(L, -1, &ok);

			if (!ok)
				return luaL_error(L, "fmt_render: value %d is not an integer",
						  i + 1);
			memcpy(rec + f->off[i], &v, 8);
		} else {
			size_t sl;
			const char *s = lua_tolstring(L, -1, &sl);

			memcpy(rec + f->off[i], s, sl);
		}
		lua_pop(L, 1);
	}
	rc = lb_fmt_render(f, rec, reclen, NULL, &out, &outlen);
	if (rc) {
		free(out);
		return luaL_error(L, "fmt_render: out of memory");
	}
	lua_pushlstring(L, out, outlen);
	free(out);
	return 1;
}

static int l_strftime(lua_State *L)
{
	size_t len;
	const char *fmt = luaL_checklstring(L, 1, &len);
	int now = lua_isnoneornil(L, 2);
	lua_Integer ns = now ? 0 : luaL_checkinteger(L, 2);
	char buf[4096];
	size_t n;

	if (len + 1 > LB_TIMEFMT_MAX || memchr(fmt, 0, len))
		return luaL_error(L, "the format must be at most %d bytes, without NULs",
				  LB_TIMEFMT_MAX - 1);
	n = lb_strftime(fmt, now, (uint64_t)ns, buf, sizeof buf);
	lua_pushlstring(L, buf, n);
	return 1;
}

static int l_ntop(lua_State *L)
{
	int two = !lua_isnoneornil(L, 2), ok;
	unsigned char v[24] = {0};
	char text[64];
	uint64_t af;
	lua_Integer ip;

	if (lua_type(L, two + 1) == LUA_TSTRING) {
		size_t n;
		const char *s = lua_tolstring(L, two + 1, &n);

		if (n != 4 && n != 16)
			return luaL_error(L, "bpf.ntop: an address has 4 or 16 bytes, not %d",
					  (int)n);
		memcpy(v + 8, s, n);
		af = n == 16 ? AF_INET6 : AF_INET;
	} else {
		ip = lua_tointegerx(L, two + 1, &ok);
		if (!ok)
			return luaL_error(L, "bpf.ntop: the address must be an integer (IPv4) "
					     "or a string of 4 or 16 bytes");
		memcpy(v + 8, &ip, 8);
		af = AF_INET;
	}
	if (two)
		af = (uint64_t)luaL_checkinteger(L, 1);
	memcpy(v, &af, 8);
	lua_pushlstring(L, text, lb_inet_text(v, text, sizeof text));
	return 1;
}

/* The symbolizer */

static int syms_gc(lua_State *L)
{
	struct lb_syms **p = luaL_checkudata(L, 1, SYMS_MT);

	lb_syms_free(*p);
	*p = NULL;
	return 0;
}

static struct lb_syms *get_syms(lua_State *L)
{
	struct lb_syms **p;

	lua_getfield(L, LUA_REGISTRYINDEX, SYMS_KEY);
	p = luaL_testudata(L, -1, SYMS_MT);
	lua_pop(L, 1); /* the registry keeps it alive */
	if (!p || !*p)
		luaL_error(L, "luabpf: the symbolizer is gone");
	return *p;
}

/* the address argument of bpf.ksym/usym */
static uint64_t check_addr(lua_State *L, const char *fn)
{
	int64_t v = 0;

	if (!lb_toint64(L, 1, &v))
		luaL_error(L, "bpf.%s: the address must be an integer, not %s", fn,
			   luaL_typename(L, 1));
	return (uint64_t)v;
}

static int l_ksym(lua_State *L)
{
	uint64_t addr = check_addr(L, "ksym");
	int off = lua_toboolean(L, 2);
	char buf[1024];
	size_t n = lb_ksym(get_syms(L), addr, off, buf, sizeof buf);

	lua_pushlstring(L, buf, n);
	return 1;
}

static int l_usym(lua_State *L)
{
	uint64_t addr = check_addr(L, "usym");
	int64_t pid = 0;
	int off = lua_toboolean(L, 3);
	char buf[1024];
	size_t n;

	if (!lb_toint64(L, 2, &pid) || pid <= 0 || pid > 0x7fffffff)
		return luaL_error(L, "bpf.usym: the second argument must be a process id, not %s",
				  lua_type(L, 2) == LUA_TNUMBER ? lua_tostring(L, 2)
								: luaL_typename(L, 2));
	n = lb_usym(get_syms(L), (pid_t)pid, addr, off, buf, sizeof buf);
	lua_pushlstring(L, buf, n);
	return 1;
}

static int stack_format(lua_State *L, int user)
{
	uint64_t ips[LB_STACK_DEPTH];
	lua_Integer pid = 0;
	int iarg = user ? 3 : 2, n;
	lua_Integer indent = luaL_optinteger(L, iarg, 8);
	static const char *const modes[] = {"bpftrace", "perf", "raw", "names", NULL};
	int mode = luaL_checkoption(L, iarg + 1, "bpftrace", modes);
	char *buf;
	size_t len;

	luaL_checktype(L, 1, LUA_TTABLE);
	if (user) {
		pid = luaL_checkinteger(L, 2);
		luaL_argcheck(L, pid > 0 && pid <= 0x7fffffff, 2, "not a pid");
	}
	luaL_argcheck(L, indent >= 0 && indent <= 64, iarg, "indent from 0 to 64");
	n = (int)luaL_len(L, 1);
	luaL_argcheck(L, n >= 0 && n <= LB_STACK_DEPTH, 1, "too many frames");
	for (int i = 0; i < n; i++) {
		lua_geti(L, 1, i + 1);
		ips[i] = (uint64_t)lb_checkint64(L, -1);
		lua_pop(L, 1);
	}
	buf = lua_newuserdatauv(L, STACK_TEXT_MAX, 0);
	len = lb_stack_format(get_syms(L), ips, n, (pid_t)pid, user, mode, (int)indent, buf,
			      STACK_TEXT_MAX);
	lua_pushlstring(L, buf, len);
	return 1;
}

static int l_kstack_format(lua_State *L)
{
	return stack_format(L, 0);
}

static int l_ustack_format(lua_State *L)
{
	return stack_format(L, 1);
}

void lb_open_format(lua_State *L)
{
	static const luaL_Reg fns[] = {
	    {"fmt_check", l_fmt_check},
	    {"fmt_render", l_fmt_render},
	    {"strftime", l_strftime},
	    {"ntop", l_ntop},
	    {"ksym", l_ksym},
	    {"usym", l_usym},
	    {"kstack_format", l_kstack_format},
	    {"ustack_format", l_ustack_format},
	    {NULL, NULL},
	};
	struct lb_syms **p;

	lua_getfield(L, LUA_REGISTRYINDEX, SYMS_KEY);
	if (!luaL_testudata(L, -1, SYMS_MT)) {
		p = lua_newuserdatauv(L, sizeof *p, 0);
		*p = NULL;
		if (luaL_newmetatable(L, SYMS_MT)) {
			lua_pushcfunction(L, syms_gc);
			lua_setfield(L, -2, "__gc");
		}
		lua_setmetatable(L, -2);
		if (!(*p = lb_syms_new()))
			luaL_error(L, "luabpf: out of memory");
		lua_setfield(L, LUA_REGISTRYINDEX, SYMS_KEY);
	}
	lua_pop(L, 1);
	luaL_setfuncs(L, fns, 0);
}
