/* luabpf.core: the Lua binding of the runtime and the compiler.
 * Sessions and maps are full userdata; everything a session owns lives
 * in its struct, nothing in C globals. Registry keys below. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include "runtime/runtime.h"

#define SESSION_MT "luabpf.session"
#define MAP_MT "luabpf.map"
#define MAP_METHODS "luabpf.map.methods" /* the Lua face adds print, ... */
#define MARKS "luabpf.marks"             /* module table / builtin fn -> name */
#define SOURCES "luabpf.sources"         /* chunkname -> source, for -e */

struct lmap {
	struct lb_session *s;
	int idx;
};

static struct lb_session *check_session(lua_State *L, int i)
{
	struct lb_session *s = luaL_checkudata(L, i, SESSION_MT);

	if (s->ncpus <= 0)
		luaL_error(L, "session is closed");
	return s;
}

static struct lmap *check_map(lua_State *L, int i)
{
	return luaL_checkudata(L, i, MAP_MT);
}

/* ---- sessions ---- */

static int l_session(lua_State *L)
{
	struct lb_session *s = lua_newuserdatauv(L, sizeof *s, 1);

	lb_session_init(s);
	if (s->ncpus <= 0)
		return luaL_error(L, "cannot count CPUs: %s", strerror(-s->ncpus));
	luaL_setmetatable(L, SESSION_MT);
	return 1;
}

static int l_session_close(lua_State *L)
{
	struct lb_session *s = luaL_checkudata(L, 1, SESSION_MT);

	if (s->ncpus > 0)
		lb_session_close(s);
	s->ncpus = 0;
	return 0;
}

static int l_session_start(lua_State *L)
{
	struct lb_session *s = check_session(L, 1);
	char err[LB_ERR];

	if (lb_session_start(s, err, sizeof err))
		return luaL_error(L, "%s", err);
	lua_pushinteger(L, lb_count_attached(s));
	return 1;
}

static int l_session_attached(lua_State *L)
{
	lua_pushinteger(L, lb_count_attached(check_session(L, 1)));
	return 1;
}

static int l_session_map(lua_State *L)
{
	struct lb_session *s = check_session(L, 1);
	const char *name = luaL_optstring(L, 2, NULL);
	struct lmap *m;

	if (s->nmaps == LB_MAX_SESSION_MAPS)
		return luaL_error(L, "too many maps (at most %d)", LB_MAX_SESSION_MAPS);
	if (name && strlen(name) >= LB_NAME_MAX)
		return luaL_error(L, "map name '%s' is longer than %d bytes", name,
				  LB_NAME_MAX - 1);
	m = lua_newuserdatauv(L, sizeof *m, 1);
	m->s = s;
	m->idx = s->nmaps++;
	if (name) {
		strcpy(s->maps[m->idx].name, name);
		s->maps[m->idx].named = 1;
	}
	lua_pushvalue(L, 1); /* the map keeps its session alive */
	lua_setiuservalue(L, -2, 1);
	luaL_setmetatable(L, MAP_MT);
	return 1;
}

/* ---- compiling a handler ---- */

struct resolver {
	lua_State *L;
	int fn;     /* stack index of the handler */
	struct lb_session *s;
};

static void classify(lua_State *L, int i, struct lb_session *s, struct lbc_value *v)
{
	i = lua_absindex(L, i);
	memset(v, 0, sizeof *v);
	switch (lua_type(L, i)) {
	case LUA_TNIL: v->kind = LBC_V_NIL; return;
	case LUA_TBOOLEAN: v->kind = LBC_V_BOOL; v->i = lua_toboolean(L, i); return;
	case LUA_TNUMBER:
		if (lua_isinteger(L, i) || (lua_Number)(lua_Integer)lua_tonumber(L, i) ==
						   lua_tonumber(L, i)) {
			v->kind = LBC_V_INT;
			v->i = lua_isinteger(L, i) ? lua_tointeger(L, i)
						   : (lua_Integer)lua_tonumber(L, i);
		} else {
			v->kind = LBC_V_OTHER;
			v->type_name = "float";
		}
		return;
	case LUA_TSTRING: v->kind = LBC_V_STR; v->s = lua_tolstring(L, i, &v->len); return;
	case LUA_TUSERDATA: {
		struct lmap *m = luaL_testudata(L, i, MAP_MT);

		if (m && m->s == s) {
			v->kind = LBC_V_MAP;
			v->map = m->idx;
			return;
		}
		v->kind = LBC_V_OTHER;
		v->type_name = m ? "map of another session" : "userdata";
		return;
	}
	}
	lua_getfield(L, LUA_REGISTRYINDEX, MARKS);
	lua_pushvalue(L, i);
	lua_rawget(L, -2);
	if (lua_isstring(L, -1)) {
		v->s = lua_tostring(L, -1); /* anchored in the registry */
		v->kind = strcmp(v->s, "module") == 0 ? LBC_V_MODULE : LBC_V_BUILTIN;
	} else {
		v->kind = LBC_V_OTHER;
		v->type_name = luaL_typename(L, i);
	}
	lua_pop(L, 2);
}

static int resolve(void *ud, const char *name, int global, struct lbc_value *out)
{
	struct resolver *r = ud;
	lua_State *L = r->L;
	const char *n;

	for (int i = 1; (n = lua_getupvalue(L, r->fn, i)); i++) {
		int want = global ? strcmp(n, "_ENV") == 0 : strcmp(n, name) == 0;

		if (!want) {
			lua_pop(L, 1);
			continue;
		}
		if (global) {
			if (!lua_istable(L, -1)) {
				lua_pop(L, 1);
				return 0;
			}
			lua_pushstring(L, name);
			lua_rawget(L, -2); /* no metamethods: compiling runs no code */
			lua_remove(L, -2);
		}
		classify(L, -1, r->s, out);
		lua_pop(L, 1); /* values stay alive: the closure or _ENV holds them */
		return 1;
	}
	return 0;
}

/* The handler's chunk source: the file of an "@file" chunk, a registered
 * source for "=name" (the runner's -e), else the string itself. */
static const char *chunk_source(lua_State *L, const char *source, size_t *len)
{
	if (source[0] == '@') {
		luaL_Buffer b;
		FILE *f = fopen(source + 1, "rb");
		char chunk[4096];
		size_t n;

		if (!f)
			return NULL;
		luaL_buffinit(L, &b);
		while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
			luaL_addlstring(&b, chunk, n);
		fclose(f);
		luaL_pushresult(&b);
		return lua_tolstring(L, -1, len);
	}
	if (source[0] == '=') {
		lua_getfield(L, LUA_REGISTRYINDEX, SOURCES);
		lua_getfield(L, -1, source);
		lua_remove(L, -2);
		return lua_isstring(L, -1) ? lua_tolstring(L, -1, len) : NULL;
	}
	lua_pushstring(L, source);
	return lua_tolstring(L, -1, len);
}

/* ---- a function's string constants, from its bytecode ----
 * Lua 5.4's dump format (ldump.c): header, upvalue count, then the main
 * function: source, lines, flags, code, constants. Only as far as the
 * constants; any surprise gives up (the compiler then goes without). */

#define KMAX 256

struct kstrings {
	const char *s[KMAX];
	size_t n[KMAX];
	int count;
	char *dump; /* the bytecode; s[] point into it */
	size_t len, cap;
};

static int dump_writer(lua_State *L, const void *p, size_t sz, void *ud)
{
	struct kstrings *k = ud;

	(void)L;
	if (k->len + sz > k->cap) {
		size_t cap = (k->len + sz) * 2;
		char *nd = realloc(k->dump, cap);

		if (!nd)
			return 1;
		k->dump = nd;
		k->cap = cap;
	}
	memcpy(k->dump + k->len, p, sz);
	k->len += sz;
	return 0;
}

struct reader {
	const unsigned char *p, *end;
};

static int rd_size(struct reader *r, size_t *x)
{
	*x = 0;
	while (r->p < r->end) {
		unsigned char c = *r->p++;

		if (*x >> 50)
			return -1;
		*x = (*x << 7) | (c & 0x7f);
		if (c & 0x80)
			return 0;
	}
	return -1;
}

static int rd_skip(struct reader *r, size_t n)
{
	if ((size_t)(r->end - r->p) < n)
		return -1;
	r->p += n;
	return 0;
}

/* The caller frees k->dump. */
static int function_constants(lua_State *L, int fn, struct kstrings *k)
{
	static const char sig[] = "\x1bLua\x54\x00\x19\x93\r\n\x1a\n";
	struct reader r;
	size_t x, nk;
	int bad;

	memset(k, 0, sizeof *k);
	lua_pushvalue(L, fn);
	bad = lua_dump(L, dump_writer, k, 1);
	lua_pop(L, 1);
	r.p = (const unsigned char *)k->dump;
	r.end = r.p + k->len;
	if (bad || k->len < sizeof sig + 19 || memcmp(r.p, sig, sizeof sig - 1))
		return -1;
	/* header: sizes of Instruction, Integer, Number; check int and float */
	if (rd_skip(&r, sizeof sig - 1 + 3 + 16 + 1)) /* + upvalue count */
		return -1;
	if (rd_size(&r, &x) || rd_skip(&r, x ? x - 1 : 0) || /* source */
	    rd_size(&r, &x) || rd_size(&r, &x) || rd_skip(&r, 3) || /* lines, flags */
	    rd_size(&r, &x) || x > (size_t)(r.end - r.p) / 4 || rd_skip(&r, x * 4) ||
	    rd_size(&r, &nk))
		return -1;
	for (size_t i = 0; i < nk; i++) {
		int tag;

		if (r.p >= r.end)
			return -1;
		tag = *r.p++;
		if (tag == 3 || tag == 0x13) { /* integer, float */
			if (rd_skip(&r, 8))
				return -1;
		} else if (tag == 4 || tag == 0x14) { /* short, long string */
			if (rd_size(&r, &x) || x == 0 || rd_skip(&r, x - 1))
				return -1;
			if (k->count == KMAX)
				return -1;
			k->s[k->count] = (const char *)r.p - (x - 1);
			k->n[k->count++] = x - 1;
		} else if (tag != 0 && tag != 1 && tag != 0x11) { /* nil, false, true */
			return -1;
		}
	}
	return 0;
}

/* Compile the function at stack index fn for probe. Leaves the stack as
 * it found it; on error returns -1 with the compiler's message in err. */
static int compile(lua_State *L, struct lb_session *s, int fn,
		   const struct lbc_probe *probe, struct lbc_output *out, char *err,
		   size_t errlen)
{
	lua_Debug ar;
	struct resolver r = {L, fn, s};
	struct lbc_input in;
	struct kstrings ks;
	const char *names[256], *src;
	size_t len = 0;
	int top = lua_gettop(L), n = 0, rc;

	lua_pushvalue(L, fn);
	lua_getinfo(L, ">Su", &ar);
	if (ar.what[0] == 'C') {
		snprintf(err, errlen, "a handler must be a Lua function, not a C function");
		return -1;
	}
	while (n < 256 && (names[n] = lua_getupvalue(L, fn, n + 1))) {
		lua_pop(L, 1);
		n++;
	}
	src = chunk_source(L, ar.source, &len);
	memset(&in, 0, sizeof in);
	in.source = src ? src : "";
	in.source_len = src ? len : 0;
	in.chunkname = ar.source;
	in.linedefined = ar.linedefined;
	in.lastlinedefined = ar.lastlinedefined;
	in.nparams = ar.nparams;
	in.upvalues = names;
	in.nupvalues = n;
	if (function_constants(L, fn, &ks) == 0) {
		in.kstrings = ks.s;
		in.klens = ks.n;
		in.nkstrings = ks.count;
	}
	in.resolve = resolve;
	in.ud = &r;
	in.probe = probe;
	in.maps = s->maps;
	in.nmaps = s->nmaps;
	rc = lbc_compile(&in, out, err, errlen);
	free(ks.dump);
	lua_settop(L, top);
	return rc;
}

static int is_syscall_wildcard(const char *pattern)
{
	return strncmp(pattern, "syscalls:", 9) == 0 && strpbrk(pattern + 9, "*?[");
}

static const char *strip_kind(const char *spec)
{
	if (strncmp(spec, "tracepoint:", 11) == 0)
		return spec + 11;
	if (strncmp(spec, "t:", 2) == 0)
		return spec + 2;
	return spec;
}

static int split_target(struct lb_prog *pr, const char *target)
{
	const char *colon = strchr(target, ':');

	pr->category = strndup(target, colon - target);
	pr->event = strdup(colon + 1);
	return pr->category && pr->event ? 0 : -1;
}

/* One program for one tracepoint, compiled with its format's fields. */
static int add_tracepoint(lua_State *L, struct lb_session *s, struct lb_probe *p,
			  const char *target, int fn, char *err, size_t errlen)
{
	char name[300];
	struct lbc_field *fields;
	struct lbc_probe probe;
	struct lb_prog *pr;
	int nfields, id, rc;

	snprintf(name, sizeof name, "tracepoint:%s", target);
	if ((id = lb_session_add_name(s, name)) < 0 || !(pr = lb_probe_add_prog(p)) ||
	    split_target(pr, target)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (lb_tp_fields(pr->category, pr->event, &fields, &nfields, err, errlen))
		return -1;
	memset(&probe, 0, sizeof probe);
	probe.name = name;
	probe.probe_id = id;
	probe.fields = fields;
	probe.nfields = nfields;
	rc = compile(L, s, fn, &probe, &pr->code, err, errlen);
	lb_free_fields(fields, nfields);
	return rc;
}

/* syscalls:sys_enter_* and friends: one program on raw_syscalls per
 * direction, filtered by a bitmap of the matched syscall numbers. Names
 * that map to no number (none on x86_64 today) are attached one by one. */
static int add_syscalls(lua_State *L, struct lb_session *s, struct lb_probe *p,
			char **targets, int n, int fn, char *err, size_t errlen)
{
	static const char *dirs[] = {"syscalls:sys_enter_", "syscalls:sys_exit_"};
	char name[300];

	for (int d = 0; d < 2; d++) {
		size_t plen = strlen(dirs[d]);
		int raw = -1; /* index, not pointer: add_tracepoint reallocates */

		for (int i = 0; i < n; i++) {
			const char *t = targets[i];
			struct lb_prog *pr;
			int nr;

			if (strncmp(t, dirs[d], plen) != 0)
				continue;
			nr = lb_syscall_nr(t + plen);
			if (nr < 0 || nr >= LB_SYSMASK * 64) {
				if (add_tracepoint(L, s, p, t, fn, err, errlen))
					return -1;
				continue;
			}
			if (raw < 0) {
				struct lbc_probe probe;

				if (!(pr = lb_probe_add_prog(p)) ||
				    split_target(pr, d ? "raw_syscalls:sys_exit"
						       : "raw_syscalls:sys_enter")) {
					snprintf(err, errlen, "out of memory");
					return -1;
				}
				raw = p->nprogs - 1;
				memset(&probe, 0, sizeof probe);
				snprintf(name, sizeof name, "tracepoint:%s", strip_kind(p->spec));
				probe.name = name;
				probe.sysmode = d ? LB_SYS_EXIT : LB_SYS_ENTER;
				if (compile(L, s, fn, &probe, &pr->code, err, errlen))
					return -1;
			}
			pr = &p->progs[raw];
			pr->code.plan.sysmask[nr / 64] |= 1ULL << (nr % 64);
			if (!s->sysname[nr] && !(s->sysname[nr] = strdup(t + plen))) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
		}
	}
	/* the rest of "syscalls:*" (none today) one by one */
	for (int i = 0; i < n; i++)
		if (strncmp(targets[i], dirs[0], strlen(dirs[0])) &&
		    strncmp(targets[i], dirs[1], strlen(dirs[1])) &&
		    add_tracepoint(L, s, p, targets[i], fn, err, errlen))
			return -1;
	return 0;
}

/* s:tracepoint(spec, fn): compile now, attach at start (or now, if the
 * session runs). A failure leaves the session as it was. */
static int l_session_tracepoint(lua_State *L)
{
	struct lb_session *s = check_session(L, 1);
	const char *spec = luaL_checkstring(L, 2), *pattern = strip_kind(spec);
	struct lb_mapdesc *saved;
	struct lb_probe *p;
	char **targets, err[LB_ERR * 2];
	int n, rc = -1;

	luaL_checktype(L, 3, LUA_TFUNCTION);
	if (lb_tracepoints(pattern, &targets, &n, err, sizeof err))
		return luaL_error(L, "%s", err);
	if (n == 0) {
		lb_free_strings(targets, n);
		return luaL_error(L, "no tracepoint matches '%s'", pattern);
	}
	saved = malloc(sizeof s->maps);
	if (!saved || !(p = lb_session_add_probe(s, spec))) {
		free(saved);
		lb_free_strings(targets, n);
		return luaL_error(L, "out of memory");
	}
	memcpy(saved, s->maps, sizeof s->maps);
	if (is_syscall_wildcard(pattern))
		rc = add_syscalls(L, s, p, targets, n, 3, err, sizeof err);
	else
		for (int i = 0; i < n; i++)
			if ((rc = add_tracepoint(L, s, p, targets[i], 3, err, sizeof err)))
				break;
	lb_free_strings(targets, n);
	if (rc == 0 && s->started) {
		for (int i = 0; rc == 0 && i < s->nmaps; i++)
			rc = lb_map_create(s, i, err, sizeof err);
		for (int j = 0; rc == 0 && j < p->nprogs; j++)
			rc = lb_prog_attach(s, &p->progs[j], err, sizeof err);
	}
	if (rc) {
		memcpy(s->maps, saved, sizeof s->maps);
		free(saved);
		lb_session_drop_probe(s);
		return luaL_error(L, "%s", err);
	}
	free(saved);
	lua_pushinteger(L, p->nprogs);
	return 1;
}

/* s:compile(spec, fn [, fields]) -> listing: the plan a handler compiles
 * to, without the kernel (fields: {{name=, off=, size=, signed=}...}). */
static int l_session_compile(lua_State *L)
{
	struct lb_session *s = check_session(L, 1);
	const char *spec = luaL_checkstring(L, 2);
	struct lbc_field fields[64];
	struct lbc_probe probe;
	struct lbc_output out;
	char err[LB_ERR * 2];
	luaL_Buffer b;
	int n = 0;

	luaL_checktype(L, 3, LUA_TFUNCTION);
	memset(&probe, 0, sizeof probe);
	probe.name = spec;
	if (is_syscall_wildcard(strip_kind(spec)))
		probe.sysmode = strstr(spec, "sys_exit") ? LB_SYS_EXIT : LB_SYS_ENTER;
	if (lua_istable(L, 4)) {
		for (; n < 64 && lua_rawgeti(L, 4, n + 1) == LUA_TTABLE; n++) {
			lua_getfield(L, -1, "name");
			lua_getfield(L, -2, "off");
			lua_getfield(L, -3, "size");
			lua_getfield(L, -4, "signed");
			lua_getfield(L, -5, "string");
			fields[n].name = luaL_checkstring(L, -5);
			fields[n].off = luaL_checkinteger(L, -4);
			fields[n].size = luaL_optinteger(L, -3, 8);
			fields[n].is_signed = lua_toboolean(L, -2);
			fields[n].is_string = lua_toboolean(L, -1);
			lua_pop(L, 5); /* the names stay in the table */
		}
		probe.fields = fields;
		probe.nfields = n;
	}
	if (compile(L, s, 3, &probe, &out, err, sizeof err)) {
		lua_pushstring(L, err);
		return lua_error(L);
	}
	luaL_buffinit(L, &b);
	{
		char *text = luaL_prepbuffsize(&b, 16384);

		luaL_addsize(&b, lbc_dump(&out.plan, text, 16384));
	}
	luaL_pushresult(&b);
	return 1;
}

/* ---- maps ---- */

static void push_key(lua_State *L, struct lb_session *s, const struct lb_mapdesc *d,
		     const char *key)
{
	size_t off = 0;

	if (d->nkeys > 1)
		lua_createtable(L, d->nkeys, 0);
	for (int i = 0; i < d->nkeys; i++) {
		const char *k = key + off;
		char name[300];

		switch (d->keytype[i]) {
		case LB_KEY_STR: lua_pushlstring(L, k, strnlen(k, d->keysize[i])); break;
		case LB_KEY_PROBE:
			lb_session_probe_name(s, *(uint64_t *)k, name, sizeof name);
			lua_pushstring(L, name);
			break;
		default: lua_pushinteger(L, *(int64_t *)k); break;
		}
		if (d->nkeys > 1)
			lua_rawseti(L, -2, i + 1);
		off += d->keysize[i];
	}
}

/* Lua key (a value, or a table for a tuple) -> key bytes; 0 if it cannot
 * be a key of this map (a wrong type simply finds nothing). */
static int encode_key(lua_State *L, int idx, struct lb_session *s,
		      const struct lb_mapdesc *d, char *key)
{
	size_t off = 0;

	memset(key, 0, d->key_size);
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
			const char *str = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : 0;

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

static int map_index(lua_State *L)
{
	struct lmap *m = check_map(L, 1);
	const struct lb_mapdesc *d = &m->s->maps[m->idx];
	char key[LB_SCRATCH];
	int64_t v;

	if (lua_type(L, 2) == LUA_TSTRING) {
		lua_getfield(L, LUA_REGISTRYINDEX, MAP_METHODS);
		if (lua_getfield(L, -1, lua_tostring(L, 2)) != LUA_TNIL)
			return 1;
		lua_pop(L, 2);
	}
	if (m->s->ncpus <= 0 || !encode_key(L, 2, m->s, d, key) ||
	    lb_map_read(m->s, m->idx, key, &v))
		return 0;
	lua_pushinteger(L, v);
	return 1;
}

static int map_newindex(lua_State *L)
{
	return luaL_error(L, "maps are written by kernel handlers; from Lua use "
			     ":delete(key) or :clear()");
}

static int map_delete(lua_State *L)
{
	struct lmap *m = check_map(L, 1);
	char key[LB_SCRATCH];

	if (m->s->ncpus > 0 && encode_key(L, 2, m->s, &m->s->maps[m->idx], key) &&
	    lb_map_delete(m->s, m->idx, key))
		return luaL_error(L, "cannot delete from @%s: %s", m->s->maps[m->idx].name,
				  strerror(errno));
	return 0;
}

static int map_clear(lua_State *L)
{
	struct lmap *m = check_map(L, 1);

	if (m->s->ncpus > 0 && lb_map_clear(m->s, m->idx))
		return luaL_error(L, "cannot clear @%s: %s", m->s->maps[m->idx].name,
				  strerror(errno));
	return 0;
}

/* m:entries() -> { {key, value}, ... } in the kernel's order. */
static int map_entries(lua_State *L)
{
	struct lmap *m = check_map(L, 1);
	const struct lb_mapdesc *d = &m->s->maps[m->idx];
	void *keys = NULL;
	size_t n = 0, k;
	int row = 0;

	if (m->s->ncpus > 0 && lb_map_keys(m->s, m->idx, &keys, &n))
		return luaL_error(L, "cannot read @%s: %s", d->name, strerror(errno));
	lua_createtable(L, (int)n, 0);
	for (k = 0; k < n; k++) {
		const char *key = (char *)keys + k * d->key_size;
		int64_t v;

		if (lb_map_read(m->s, m->idx, key, &v))
			continue; /* deleted meanwhile */
		lua_createtable(L, 2, 0);
		push_key(L, m->s, d, key);
		lua_rawseti(L, -2, 1);
		lua_pushinteger(L, v);
		lua_rawseti(L, -2, 2);
		lua_rawseti(L, -2, ++row);
	}
	free(keys);
	return 1;
}

static int map_name(lua_State *L)
{
	struct lmap *m = check_map(L, 1);

	lua_pushstring(L, m->s->maps[m->idx].name);
	return 1;
}

/* ---- module ---- */

/* registry[table][arg 1] = arg 2 (a string) */
static int registry_set(lua_State *L, const char *table)
{
	luaL_checkany(L, 1);
	luaL_checkstring(L, 2);
	lua_getfield(L, LUA_REGISTRYINDEX, table);
	lua_pushvalue(L, 1);
	lua_pushvalue(L, 2);
	lua_rawset(L, -3);
	return 0;
}

/* mark(value, "module" | builtin name): what the compiler recognises */
static int l_mark(lua_State *L)
{
	return registry_set(L, MARKS);
}

/* register_source(chunkname, source): the text of a "=name" chunk */
static int l_register_source(lua_State *L)
{
	luaL_checkstring(L, 1);
	return registry_set(L, SOURCES);
}

static int l_tracefs(lua_State *L)
{
	char err[LB_ERR];
	const char *p = lb_tracefs(err, sizeof err);

	if (!p)
		return luaL_error(L, "%s", err);
	lua_pushstring(L, p);
	return 1;
}

static int l_now(lua_State *L)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	lua_pushinteger(L, (lua_Integer)ts.tv_sec * 1000000000 + ts.tv_nsec);
	return 1;
}

static void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
}

/* The runner takes SIGINT/SIGTERM synchronously: blocked from before
 * attaching (an interrupt never lands half-way), collected by wait(). */
static int l_block_signals(lua_State *L)
{
	sigset_t set;

	stop_signals(&set);
	/* a shell starts background jobs with SIGINT ignored: undo that, or
	 * the blocked signal would be discarded instead of kept pending */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	lua_pushboolean(L, sigprocmask(SIG_BLOCK, &set, NULL) == 0);
	return 1;
}

/* wait(ms) -> signal number, or nil when the time ran out. */
static int l_wait(lua_State *L)
{
	lua_Integer ms = luaL_checkinteger(L, 1);
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	sigset_t set;
	int sig;

	stop_signals(&set);
	if (ms < 0)
		ts.tv_sec = ts.tv_nsec = 0;
	sig = sigtimedwait(&set, NULL, &ts);
	if (sig < 0)
		return 0;
	lua_pushinteger(L, sig);
	return 1;
}

static const luaL_Reg session_methods[] = {
	{"map", l_session_map},
	{"tracepoint", l_session_tracepoint},
	{"compile", l_session_compile},
	{"start", l_session_start},
	{"attached", l_session_attached},
	{"close", l_session_close},
	{NULL, NULL},
};

static const luaL_Reg map_methods[] = {
	{"entries", map_entries},
	{"delete", map_delete},
	{"clear", map_clear},
	{"name", map_name},
	{NULL, NULL},
};

static const luaL_Reg functions[] = {
	{"session", l_session},
	{"mark", l_mark},
	{"register_source", l_register_source},
	{"tracefs", l_tracefs},
	{"now", l_now},
	{"block_signals", l_block_signals},
	{"wait", l_wait},
	{NULL, NULL},
};

int luaopen_luabpf_core(lua_State *L)
{
	luaL_newmetatable(L, SESSION_MT);
	luaL_newlib(L, session_methods);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, l_session_close);
	lua_setfield(L, -2, "__gc");
	lua_pushcfunction(L, l_session_close);
	lua_setfield(L, -2, "__close");
	lua_pop(L, 1);

	luaL_newmetatable(L, MAP_MT);
	lua_pushcfunction(L, map_index);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, map_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pop(L, 1);
	luaL_newlib(L, map_methods);
	lua_setfield(L, LUA_REGISTRYINDEX, MAP_METHODS);

	lua_newtable(L);
	lua_newtable(L); /* weak keys: marks do not keep values alive */
	lua_pushliteral(L, "k");
	lua_setfield(L, -2, "__mode");
	lua_setmetatable(L, -2);
	lua_setfield(L, LUA_REGISTRYINDEX, MARKS);
	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, SOURCES);

	luaL_newlib(L, functions);
	lua_getfield(L, LUA_REGISTRYINDEX, MAP_METHODS);
	lua_setfield(L, -2, "map_methods");
	luaL_getmetatable(L, MAP_MT);
	lua_setfield(L, -2, "map_mt");
	return 1;
}
