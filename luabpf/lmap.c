/* Maps seen from Lua: keys and values converted by the map's layout. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <lua.h>
#include <lauxlib.h>
#include "lcore.h"
#include "runtime/format.h"
#include "runtime/symbols.h"

#define LB_STACK_TEXT 16384 /* room for one symbolized stack */

/* A stack's frames as a table of names without offsets, leaf first:
 * the stack's value with its mode set to LB_STACK_NAMES. */
static void push_frames(lua_State *L, struct lb_session *s, int type, const char *k, char *text,
			size_t cap)
{
	uint64_t v[2];
	size_t len, start = 0;
	int n = 0;

	memcpy(v, k, type == LB_ARG_USTACK ? 16 : 8);
	v[0] = (v[0] & ~(0xffull << (32 + LB_STACK_MODE_SHIFT))) |
	       (uint64_t)LB_STACK_NAMES << (32 + LB_STACK_MODE_SHIFT);
	len = lb_session_text(s, type, v, text, cap);
	if (len >= cap)
		len = cap - 1;
	lua_createtable(L, 16, 0);
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n') {
			lua_pushlstring(L, text + start, i - start);
			lua_rawseti(L, -2, ++n);
			start = i + 1;
		}
}

/* frames: stack parts as tables of frame names (push_frames), not text */
static void push_key(lua_State *L, struct lb_session *s, const struct lb_mapdesc *d,
		     const char *key, int frames)
{
	size_t off = 0;

	if (d->nkeys == 1 && d->keytype[0] == LB_KEY_NONE) {
		lua_pushnil(L); /* a keyless map's one value */
		return;
	}
	if (d->nkeys > 1)
		lua_createtable(L, d->nkeys, 0);
	for (int i = 0; i < d->nkeys; i++) {
		const char *k = key + off;
		char name[300];

		switch (d->keytype[i]) {
		case LB_KEY_KSYM:
		case LB_KEY_USYM: {
			char sym[1024];
			size_t n = lb_session_text(
			    s, d->keytype[i] == LB_KEY_KSYM ? LB_ARG_KSYM : LB_ARG_USYM, k, sym,
			    sizeof sym);

			lua_pushlstring(L, sym, n < sizeof sym ? n : sizeof sym - 1);
			break;
		}
		case LB_KEY_STR: lua_pushlstring(L, k, strnlen(k, d->keysize[i])); break;
		case LB_KEY_INET: {
			char text[64];

			lua_pushlstring(L, text, lb_inet_text(k, text, sizeof text));
			break;
		}
		case LB_KEY_ARRAY: {
			char text[LB_MAX_KEY * 5 + 3];
			size_t n = d->keysize[i] - (d->keymode[i] >> LB_ELEM_PADSHIFT);

			lua_pushlstring(L, text,
					lb_array_text(k, n, d->keymode[i], text, sizeof text));
			break;
		}
		case LB_KEY_PROBE:
			lb_session_probe_name(s, *(uint64_t *)k, name, sizeof name);
			lua_pushstring(L, name);
			break;
		case LB_KEY_KSTACK:
		case LB_KEY_USTACK: {
			char *text = malloc(LB_STACK_TEXT);
			size_t len;

			if (!text) {
				luaL_error(L, "out of memory");
				return;
			}
			if (frames) {
				push_frames(L, s,
					    d->keytype[i] == LB_KEY_KSTACK ? LB_ARG_KSTACK
									   : LB_ARG_USTACK,
					    k, text, LB_STACK_TEXT);
				free(text);
				break;
			}
			len = lb_session_text(
			    s, d->keytype[i] == LB_KEY_KSTACK ? LB_ARG_KSTACK : LB_ARG_USTACK, k,
			    text, LB_STACK_TEXT);
			lua_pushlstring(L, text, len < LB_STACK_TEXT ? len : LB_STACK_TEXT - 1);
			free(text);
			break;
		}
		default: lb_pushint64(L, *(int64_t *)k); break;
		}
		if (d->nkeys > 1)
			lua_rawseti(L, -2, i + 1);
		off += d->keysize[i];
	}
}

/* Lua key (a value, or a table for a tuple) -> key bytes; 0 if it cannot
 * be a key of this map (a wrong type simply finds nothing). */
static int encode_key(lua_State *L, int idx, struct lb_session *s, const struct lb_mapdesc *d,
		      char *key)
{
	size_t off = 0;

	memset(key, 0, d->key_size);
	if (d->nkeys == 1 && d->keytype[0] == LB_KEY_NONE)
		return 1; /* any key names a keyless map's one value */
	if (d->nkeys == 0 || (d->nkeys > 1) != lua_istable(L, idx))
		return 0;
	for (int i = 0; i < d->nkeys; i++) {
		int ok = 1;

		if (d->nkeys > 1)
			lua_rawgeti(L, idx, i + 1);
		else
			lua_pushvalue(L, idx);
		switch (d->keytype[i]) {
		case LB_KEY_STR: {
			size_t len;
			const char *str =
			    lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : 0;

			if ((ok = str && len < d->keysize[i]))
				memcpy(key + off, str, len);
			break;
		}
		case LB_KEY_PROBE: {
			uint64_t id;

			ok = lua_type(L, -1) == LUA_TSTRING &&
			     lb_session_probe_id(s, lua_tostring(L, -1), &id) == 0;
			if (ok)
				memcpy(key + off, &id, 8);
			break;
		}
		case LB_KEY_INET: { /* "127.0.0.1", "::1": as bpf.ntop() gives it */
			const char *str = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : 0;
			uint64_t af = str && strchr(str, ':') ? AF_INET6 : AF_INET;

			memcpy(key + off, &af, 8);
			ok = str && inet_pton((int)af, str, key + off + 8) == 1;
			break;
		}
		case LB_KEY_KSYM:
		case LB_KEY_USYM:
		case LB_KEY_ARRAY: ok = 0; break; /* texts are not looked up */
		default: {
			int isint;
			int64_t v = lua_tointegerx(L, -1, &isint);

			if ((ok = isint))
				memcpy(key + off, &v, 8);
		}
		}
		lua_pop(L, 1);
		if (!ok)
			return 0;
		off += d->keysize[i];
	}
	return 1;
}

/* A value as Lua sees it (v: as lb_map_value gives it): an integer, or a
 * table for stats and hists. */
static void push_combined(lua_State *L, const struct lb_mapdesc *d, const int64_t *v)
{
	size_t n = lb_map_value_len(d);

	switch (d->valkind) {
	case LB_VAL_STR: {
		const char *str = (const char *)v;

		lua_pushlstring(L, str, strnlen(str, d->value_size));
		break;
	}
	case LB_VAL_ARRAY: {
		char text[LB_ZEROS];

		lua_pushlstring(L, text, lb_array_text(v, d->vlen, d->elem, text, sizeof text));
		break;
	}
	case LB_VAL_AVG: /* bpftrace: integer division of the totals */
		lb_pushint64(L, v[0] ? v[1] / v[0] : 0);
		break;
	case LB_VAL_STATS:
		lua_createtable(L, 0, 2);
		lb_pushint64(L, v[0]);
		lua_setfield(L, -2, "count");
		lb_pushint64(L, v[1]);
		lua_setfield(L, -2, "sum");
		break;
	case LB_VAL_HIST:
	case LB_VAL_LHIST: /* the buckets, then the sum of the values seen */
		lua_createtable(L, (int)n - 1, 1);
		for (size_t i = 0; i + 1 < n; i++) {
			lb_pushint64(L, v[i]);
			lua_rawseti(L, -2, (lua_Integer)i + 1);
		}
		lb_pushint64(L, v[n - 1]);
		lua_setfield(L, -2, "sum");
		break;
	default: lb_pushint64(L, v[0]);
	}
}

static int push_value(lua_State *L, struct lmap *m, const void *key)
{
	const struct lb_mapdesc *d = &m->s->maps[m->idx];
	size_t n = lb_map_value_len(d);
	int64_t small[2], *v = n <= 2 ? small : malloc(n * sizeof *v);
	int found;

	if (!v)
		return luaL_error(L, "out of memory");
	if ((found = !lb_map_value(m->s, m->idx, key, v)))
		push_combined(L, d, v);
	if (v != small)
		free(v);
	return found;
}

int lb_map_index(lua_State *L)
{
	struct lmap *m = lb_check_map(L, 1);
	const struct lb_mapdesc *d = &m->s->maps[m->idx];
	char key[LB_SCRATCH];

	if (!encode_key(L, 2, m->s, d, key))
		return 0;
	return push_value(L, m, key);
}

/* m[k] = v for maps whose handlers store plain values (integers or
 * strings): a host's filters and tunables; m[k] = nil deletes from any. */
int lb_map_newindex(lua_State *L)
{
	struct lmap *m = lb_check_map(L, 1);
	const struct lb_mapdesc *d = &m->s->maps[m->idx];
	char key[LB_SCRATCH], value[LB_SCRATCH], err[LB_ERR];
	int isnum = 0;

	if (d->nkeys == 0)
		return luaL_error(L,
				  "@%s: no handler uses it yet, so its keys have no type: "
				  "add the handlers first",
				  d->name);
	if (!encode_key(L, 2, m->s, d, key))
		return luaL_error(L, "@%s: %s is not a key of this map", d->name,
				  luaL_typename(L, 2));
	if (lua_isnil(L, 3)) {
		if (lb_map_delete(m->s, m->idx, key))
			return luaL_error(L, "cannot delete from @%s: %s", d->name,
					  strerror(errno));
		return 0;
	}
	memset(value, 0, d->value_size);
	if (d->valkind == LB_VAL_INT) {
		lua_Integer v = lua_tointegerx(L, 3, &isnum);

		if (!isnum)
			return luaL_error(L, "@%s holds integers, not %s", d->name,
					  luaL_typename(L, 3));
		memcpy(value, &v, sizeof v);
	} else if (d->valkind == LB_VAL_STR && lua_type(L, 3) == LUA_TSTRING) {
		size_t len;
		const char *str = lua_tolstring(L, 3, &len);

		if (len >= d->value_size)
			return luaL_error(L, "@%s holds strings of at most %d bytes", d->name,
					  (int)d->value_size - 1);
		memcpy(value, str, len);
	} else {
		return luaL_error(L,
				  "@%s holds %s() values, which only its handlers update; "
				  "from Lua, maps of plain values (m[k] = v in handlers) "
				  "can be written",
				  d->name, lb_valkind_name(d->valkind));
	}
	if (lb_map_create(m->s, m->idx, err, sizeof err))
		return luaL_error(L, "%s", err);
	if (lb_map_update(m->s, m->idx, key, value))
		return luaL_error(L, "cannot write @%s: %s", d->name, strerror(errno));
	return 0;
}

/* bpf.clear(m): every key gone (bpftrace's clear(@m)). */
int lb_map_clear_l(lua_State *L)
{
	struct lmap *m = lb_check_map(L, 1);

	if (lb_map_clear(m->s, m->idx))
		return luaL_error(L, "cannot clear @%s: %s", m->s->maps[m->idx].name,
				  strerror(errno));
	return 0;
}

struct rows {
	lua_State *L;
	struct lmap *m;
	int n, frames;
};

static int add_row(void *ud, const void *key, const int64_t *v)
{
	struct rows *r = ud;
	const struct lb_mapdesc *d = &r->m->s->maps[r->m->idx];

	lua_createtable(r->L, 2, 0);
	push_key(r->L, r->m->s, d, key, r->frames);
	lua_rawseti(r->L, -2, 1);
	push_combined(r->L, d, v);
	lua_rawseti(r->L, -2, 2);
	lua_rawseti(r->L, -2, ++r->n);
	return 0;
}

/* bpf.maps.entries(m) -> { {key, value}, ... } in the kernel's order;
 * bpf.maps.entries(m, "frames"): stacks in keys as tables of frame
 * names, leaf first, without offsets (for folded stacks, flame graphs). */
static int map_entries(lua_State *L)
{
	static const char *const forms[] = {"text", "frames", NULL};
	struct lmap *m = lb_check_map(L, 1);
	struct rows r = {L, m, 0, luaL_checkoption(L, 2, "text", forms)};

	lua_newtable(L);
	if (lb_map_each(m->s, m->idx, add_row, &r))
		return luaL_error(L, "cannot read @%s: %s", m->s->maps[m->idx].name,
				  strerror(errno));
	return 1;
}

/* arrays read as their text, "[127,0,0,1]": printed as strings are */
static const char *const valkinds[] = {"none",	"sum",	"int",	 "min", "max", "avg",
				       "stats", "hist", "lhist", "str", "str"};

const char *lb_valkind_name(unsigned k)
{
	return k < sizeof valkinds / sizeof *valkinds ? valkinds[k] : "none";
}
static const char *const keytypes[] = {"?",    "int", "str",  "probe", "kstack", "ustack",
				       "none", "ptr", "ksym", "usym",  "inet",	 "array"};

static int map_kind(lua_State *L)
{
	struct lmap *m = lb_check_map(L, 1);

	lua_pushstring(L, lb_valkind_name(m->s->maps[m->idx].valkind));
	return 1;
}

/* m:key_types() -> {"int", "str", "ptr", ...}: how each key part prints */
static int map_key_types(lua_State *L)
{
	struct lmap *m = lb_check_map(L, 1);
	const struct lb_mapdesc *d = &m->s->maps[m->idx];

	lua_createtable(L, d->nkeys, 0);
	for (int i = 0; i < d->nkeys; i++) {
		unsigned t = d->keytype[i];

		lua_pushstring(L, t < sizeof keytypes / sizeof *keytypes ? keytypes[t] : "?");
		lua_rawseti(L, -2, i + 1);
	}
	return 1;
}

static int map_lhist_range(lua_State *L)
{
	const struct lb_mapdesc *d = &lb_check_map(L, 1)->s->maps[lb_check_map(L, 1)->idx];

	lb_pushint64(L, d->lhist_min);
	lb_pushint64(L, d->lhist_max);
	lb_pushint64(L, d->lhist_step);
	return 3;
}

static int map_hist_bits(lua_State *L)
{
	lua_pushinteger(L, lb_check_map(L, 1)->s->maps[lb_check_map(L, 1)->idx].hist_bits);
	return 1;
}

static int map_index_of(lua_State *L)
{
	lua_pushinteger(L, lb_check_map(L, 1)->idx);
	return 1;
}

/* m:dropped(): updates the kernel refused because the map was full. */
static int map_dropped(lua_State *L)
{
	struct lmap *m = lb_check_map(L, 1);

	lua_pushinteger(L, (lua_Integer)lb_map_dropped(m->s, m->idx));
	return 1;
}

static int map_name(lua_State *L)
{
	struct lmap *m = lb_check_map(L, 1);

	lua_pushstring(L, m->s->maps[m->idx].name);
	return 1;
}

/* bpf.maps.memory(m): the most kernel memory it can take, in bytes. */
static int map_memory(lua_State *L)
{
	struct lmap *m = lb_check_map(L, 1);

	lua_pushinteger(L, (lua_Integer)lb_map_max_bytes(m->s, m->idx));
	return 1;
}

static int map_max_entries(lua_State *L)
{
	struct lmap *m = lb_check_map(L, 1);
	uint32_t n = m->s->mapopts[m->idx].max_entries;

	lua_pushinteger(L, n ? n : LB_MAP_ENTRIES);
	return 1;
}

const luaL_Reg lb_map_methods[] = {
    {"entries", map_entries},
    {"memory", map_memory},
    {"max_entries", map_max_entries},
    {"name", map_name},
    {"dropped", map_dropped},
    {"kind", map_kind},
    {"index", map_index_of},
    {"lhist_range", map_lhist_range},
    {"hist_bits", map_hist_bits},
    {"key_types", map_key_types},
    {NULL, NULL},
};
