/* Compiling handlers: from a Lua function to a plan in a probe.
 * The source is the text Lua compiled (lsource.c); upvalues and string
 * constants come from Lua's debug API and bytecode; the compiler itself (compiler/) sees no Lua
 * state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include "lcore.h"
#include "runtime/tpplan.h"

static void classify(lua_State *L, int i, struct lb_session *s, struct lbc_value *v)
{
	i = lua_absindex(L, i);
	memset(v, 0, sizeof *v);
	switch (lua_type(L, i)) {
	case LUA_TNIL: v->kind = LBC_V_NIL; return;
	case LUA_TBOOLEAN:
		v->kind = LBC_V_BOOL;
		v->i = lua_toboolean(L, i);
		return;
	case LUA_TNUMBER: {
		int isint; /* a float only when it is an integer in range (not 1e300) */
		lua_Integer n = lua_tointegerx(L, i, &isint);

		if (isint) {
			v->kind = LBC_V_INT;
			v->i = n;
		} else {
			v->kind = LBC_V_OTHER;
			v->type_name = "float";
		}
		return;
	}
	case LUA_TSTRING:
		v->kind = LBC_V_STR;
		v->s = lua_tolstring(L, i, &v->len);
		return;
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
	if (lua_type(L, -1) == LUA_TUSERDATA && lua_touserdata(L, -1) == s) {
		v->kind = LBC_V_VARS; /* marked with its session: bpf.vars() */
	} else if (lua_type(L, -1) == LUA_TSTRING) {
		v->s = lua_tostring(L, -1); /* anchored in the registry */
		v->kind = !strcmp(v->s, "module") ? LBC_V_MODULE
			  : !strcmp(v->s, "bit")  ? LBC_V_BITLIB
						  : LBC_V_BUILTIN;
	} else {
		v->kind = LBC_V_OTHER;
		v->type_name = luaL_typename(L, i);
	}
	lua_pop(L, 2);
}

/* A global down the environment's chain of __index tables (the runner's
 * -e environment falls back to _G), by raw look-ups only: one only a
 * metamethod could give is LBC_V_META, never a call. */
static void global(lua_State *L, int env, const char *name, struct lb_session *s,
		   struct lbc_value *v)
{
	memset(v, 0, sizeof *v);
	lua_pushvalue(L, env);
	for (int depth = 0;; depth++) {
		if (!lua_istable(L, -1)) {
			v->kind = LBC_V_META;
			v->type_name =
			    depth ? "an __index function" : "an environment that is no table";
			break;
		}
		lua_pushstring(L, name);
		lua_rawget(L, -2); /* returns void before 5.3 */
		if (!lua_isnil(L, -1)) {
			classify(L, -1, s, v);
			lua_pop(L, 1);
			break;
		}
		lua_pop(L, 1);
		if (!lua_getmetatable(L, -1))
			break; /* nil */
		lua_pushliteral(L, "__index");
		lua_rawget(L, -2);
		if (lua_isnil(L, -1)) {
			lua_pop(L, 2);
			break;
		}
		lua_replace(L, -3); /* t, mt, __index -> __index, mt */
		lua_pop(L, 1);
		if (depth == 8) {
			v->kind = LBC_V_META;
			v->type_name = "a chain of more than 8 __index tables";
			break;
		}
	}
	lua_pop(L, 1);
}

/* The handler's free names, resolved before compiling so the compiler
 * calls nothing back: its upvalues, and as globals every name among its
 * string constants (a global read is one). All the memory is C's,
 * allocated before the resolving starts: resolve_names runs under
 * lua_pcall, so a Lua error (out of memory) cannot leak it. */
struct names {
	struct lb_session *s;
	const struct lb_proto *ks;
	const char *const *up;
	int nup;
	struct lbc_name *v;
	int n;
	char *pool;
};

static int is_name(const char *s, size_t n)
{
	static const char *const reserved[] = {
	    "and",	"break",  "do",	  "else", "elseif", "end",  "false", "for",
	    "function", "goto",	  "if",	  "in",	  "local",  "nil",  "not",   "or",
	    "repeat",	"return", "then", "true", "until",  "while"};

	if (n == 0 || n >= LB_NAME_MAX || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return 0;
	for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
		if (strlen(reserved[i]) == n && !memcmp(reserved[i], s, n))
			return 0;
	return 1;
}

static int resolve_names(lua_State *L)
{
	struct names *r = lua_touserdata(L, 1);
	char *p = r->pool;

	for (int i = 0; i < r->nup; i++) {
		struct lbc_name *e = &r->v[r->n++];

		lua_getupvalue(L, 2, i + 1);
		e->name = r->up[i];
		e->global = 0;
		classify(L, -1, r->s, &e->v);
		lua_pop(L, 1); /* values stay alive: the closure holds them */
	}
	if (!lb_pushenv(L, 2))
		return 0;
	for (int k = 0; k < r->ks->count; k++) {
		const char *s = r->ks->s[k];
		size_t n = r->ks->n[k];
		int seen = 0;

		if (!is_name(s, n))
			continue;
		for (int i = 0; i < r->n && !seen; i++)
			seen = strlen(r->v[i].name) == n && !memcmp(r->v[i].name, s, n);
		if (seen)
			continue;
		memcpy(p, s, n);
		p[n] = 0;
		r->v[r->n].name = p;
		r->v[r->n].global = 1;
		global(L, 3, p, r->s, &r->v[r->n].v); /* _ENV holds what it finds */
		r->n++;
		p += n + 1;
	}
	return 0;
}

/* Compile the function at stack index fn for probe. Leaves the stack as
 * it found it; on error returns -1 with the compiler's message in err. */
int lb_compile_probe(lua_State *L, struct lb_session *s, struct lb_txn *t, int fn,
		     const struct lbc_probe *probe, struct lbc_output *out, char *err,
		     size_t errlen)
{
	lua_Debug ar;
	struct lbc_input in;
	struct lb_proto ks;
	struct names r;
	const char *names[256], *src;
	const struct lbc_scan *scan;
	size_t len = 0, room = 0;
	int top = lua_gettop(L), n = 0, rc = -1, known;

	fn = lua_absindex(L, fn);
	lua_pushvalue(L, fn);
	lua_getinfo(L, ">S", &ar);
	if (ar.what[0] == 'C') {
		snprintf(err, errlen, "a handler must be a Lua function, not a C function");
		return -1;
	}
	while (n < 256 && (names[n] = lua_getupvalue(L, fn, n + 1))) {
		lua_pop(L, 1);
		n++;
	}
	/* the text Lua compiled it from (lsource.c), or why not */
	if (!(src = lb_chunk_source(L, fn, &ar, &len, &scan, err, errlen))) {
		lua_settop(L, top);
		return -1;
	}
	memset(&in, 0, sizeof in);
	in.source = src;
	in.source_len = len;
	in.scan = scan;
	in.chunkname = ar.source;
	in.linedefined = ar.linedefined;
	in.lastlinedefined = ar.lastlinedefined;
	in.upvalues = names;
	in.nupvalues = n;
	in.fenv_globals = !LB_ENV_UPVALUE;
	known = lb_proto_read(L, fn, &ks) == 0;
	if (known) {
		in.kstrings = ks.s;
		in.klens = ks.n;
		in.nkstrings = ks.count;
	}
	in.globals_unknown = !known;
	in.nparams = ks.nparams;
	memset(&r, 0, sizeof r);
	r.s = s;
	r.ks = &ks;
	r.up = names;
	r.nup = n;
	for (int k = 0; k < ks.count; k++)
		room += ks.n[k] + 1;
	r.v = calloc((size_t)(n + ks.count) + 1, sizeof *r.v);
	r.pool = malloc(room + 1);
	if (!r.v || !r.pool) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	lua_pushcfunction(L, resolve_names);
	lua_pushlightuserdata(L, &r);
	lua_pushvalue(L, fn);
	if (lua_pcall(L, 2, 0, 0)) {
		snprintf(err, errlen, "resolving the handler's names: %s", lua_tostring(L, -1));
		goto done;
	}
	in.names = r.v;
	in.nnames = r.n;
	in.probe = probe;
	in.max_strlen = s->max_strlen;
	in.ustack_dwarf = s->ustack_dwarf;
	in.maps = t ? t->maps : s->maps;
	in.nmaps = t ? t->nmaps : s->nmaps;
	in.maxmaps = LB_MAX_SESSION_MAPS;
	in.proposed = t ? t->maps : NULL;
	rc = lbc_compile(&in, out, err, errlen);
	if (rc == 0 && t)
		t->nmaps = out->nmaps; /* bpf.vars() fields seen first here */
done:
	free(r.v);
	free(r.pool);
	lb_proto_free(&ks);
	lua_settop(L, top);
	return rc;
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

/* One program for group gi of the plan (runtime/tpplan.c), compiled with
 * its fields. 1: a field the syscall group's members all have but not at
 * one place; the caller splits the group. */
static int add_group(lua_State *L, struct lb_session *s, struct lb_txn *t, struct lb_probe *p,
		     struct lb_tpplan *pl, int gi, int fn, char *err, size_t errlen)
{
	struct lb_tpgroup *g = &pl->groups[gi];
	struct lbc_probe probe;
	struct lb_prog *pr;
	char name[300];
	int id = 0, rc;

	memset(&probe, 0, sizeof probe);
	if (g->sysmode)
		snprintf(name, sizeof name, "tracepoint:%s", strip_kind(p->spec));
	else
		snprintf(name, sizeof name, "tracepoint:%s", g->target);
	if ((!g->sysmode && (id = lb_session_add_name(s, name)) < 0) ||
	    !(pr = lb_probe_add_prog(p)) || split_target(pr, g->target)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	probe.name = name;
	probe.probe_id = id;
	probe.sysmode = g->sysmode;
	probe.sysmask = g->sysmode ? g->sysmask : NULL;
	probe.fields = g->fields;
	probe.nfields = g->nfields;
	probe.int_type = lb_session_int_type;
	probe.int_type_ud = s;
	pr->code.missing_field[0] = 0;
	rc = lb_compile_probe(L, s, t, fn, &probe, &pr->code, err, errlen);
	if (rc && pr->code.missing_field[0] && (g->sysmode ? g->nmembers : pl->ntargets) > 1 &&
	    (g->sysmode || !pl->syscalls)) {
		char field[LB_NAME_MAX];

		snprintf(field, sizeof field, "%s", pr->code.missing_field);
		if (lb_tpplan_lacking(pl, g->sysmode ? g : NULL, field, err, errlen) ==
			g->nmembers &&
		    g->sysmode) { /* everywhere, but not at one place */
			free(pr->category);
			free(pr->event);
			p->nprogs--;
			/* a warning for the session's events (lb_l_tracepoint) */
			snprintf(err, errlen,
				 "Warning: e.args.%s is not at the same place in every syscall of "
				 "%s: attaching %d tracepoints one by one",
				 field, p->spec, g->nmembers);
			return 1;
		}
	}
	for (int j = 0; rc == 0 && j < (g->sysmode ? g->nmembers : 0); j++) {
		const char *sys = pl->targets[g->members[j]] + g->prefix_len; /* for e.probe */
		int nr = lb_syscall_nr(sys);

		if (!s->sysname[nr] && !(s->sysname[nr] = strdup(sys))) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
		}
	}
	return rc;
}

struct lb_probe *lb_start_probe(lua_State *L, struct lb_session *s, const char *spec,
				struct lb_txn **t)
{
	struct lb_probe *p;

	(void)L;
	if (!(*t = malloc(sizeof **t)))
		return NULL;
	lb_probe_begin(s, *t);
	if (!(p = lb_session_add_probe(s, spec))) {
		lb_probe_abort(s, *t);
		free(*t);
		*t = NULL;
	}
	return p;
}

int lb_finish_probe(lua_State *L, struct lb_session *s, struct lb_txn *t, int rc, char *err,
		    size_t errlen)
{
	if (rc == 0)
		rc = lb_probe_commit(s, t, err, errlen);
	else
		lb_probe_abort(s, t);
	free(t);
	if (rc) {
		lua_pushstring(L, err);
		return lua_error(L);
	}
	{
		int n = 0; /* probes as bpftrace counts them: each function */
		const struct lb_probe *p = &s->probes[s->nprobes - 1];

		for (int j = 0; j < p->nprogs; j++)
			n += p->progs[j].nfuncs ? p->progs[j].nfuncs : 1;
		lua_pushinteger(L, n);
	}
	return 1;
}

/* s:tracepoint(spec, fn): compile now, attach at start (or now, if the
 * session runs). A failure leaves the session as it was. */
int lb_l_tracepoint(lua_State *L)
{
	struct lb_session *s = lb_check_session(L, 1);
	const char *spec = luaL_checkstring(L, 2), *pattern = strip_kind(spec);
	struct lb_tpplan pl;
	struct lb_txn *t;
	struct lb_probe *p;
	char err[LB_ERR * 2], note[LB_ERR * 2] = "";
	int rc = 0, n;

	luaL_checktype(L, 3, LUA_TFUNCTION);
	if (lb_tpplan(pattern, &pl, err, sizeof err))
		return luaL_error(L, "%s", err);
	if (!(p = lb_start_probe(L, s, spec, &t))) {
		lb_tpplan_free(&pl);
		return luaL_error(L, "out of memory");
	}
	for (int i = 0; i < pl.ngroups && rc == 0; i++)
		if ((rc = add_group(L, s, t, p, &pl, i, 3, err, sizeof err)) == 1) {
			snprintf(note, sizeof note, "%s", err);
			rc = lb_tpplan_split(&pl, i--, err, sizeof err);
		}
	lb_tpplan_free(&pl);
	n = lb_finish_probe(L, s, t, rc, err, sizeof err);
	if (note[0]) /* the probe count, then the note */
		lua_pushstring(L, note);
	return n + (note[0] != 0);
}

/* The kernel's ceiling on samples per second per CPU (0: unknown). */
static unsigned long long max_sample_rate(void)
{
	unsigned long long r = 0;
	FILE *f = fopen("/proc/sys/kernel/perf_event_max_sample_rate", "r");

	if (f) {
		if (fscanf(f, "%llu", &r) != 1)
			r = 0;
		fclose(f);
	}
	return r;
}

/* "99hz", "10ms", "hz:99": 0, or -1 with why in err; no faster than the
 * kernel samples. */
static int parse_rate(const char *spec, struct lb_prog *pr, char *err, size_t errlen)
{
	unsigned long long max = max_sample_rate();
	int rc = lb_parse_period("profile rate", spec, &pr->freq, &pr->period_ns, err, errlen);

	if (rc == -1) {
		size_t len = strlen(err);

		snprintf(err + len, errlen - len, " (use e.g. \"99hz\", \"10ms\")");
	}
	if (rc)
		return -1;
	if (max && (pr->freq ? pr->freq > max : pr->period_ns < 1000000000 / max)) {
		snprintf(err, errlen,
			 "profile rate '" LB_CLIP_FMT "' is more than this kernel's %llu samples "
			 "per second (kernel.perf_event_max_sample_rate)",
			 LB_CLIP(spec), max);
		return -1;
	}
	return 0;
}

/* s:profile("99hz" | "10ms", fn): sample every CPU, like bpftrace's
 * profile:hz:99; compiled now, attached at start (or now, if running). */
int lb_l_profile(lua_State *L)
{
	struct lb_session *s = lb_check_session(L, 1);
	const char *spec = luaL_checkstring(L, 2), *rate = spec;
	struct lb_txn *t;
	struct lbc_probe probe;
	struct lb_probe *p;
	struct lb_prog *pr;
	char err[LB_ERR * 2], name[128];
	int id, rc;

	luaL_checktype(L, 3, LUA_TFUNCTION);
	if (strncmp(rate, "profile:", 8) == 0)
		rate += 8;
	if (!(p = lb_start_probe(L, s, spec, &t)))
		return luaL_error(L, "out of memory");
	if (!(pr = lb_probe_add_prog(p))) {
		lb_probe_abort(s, t);
		free(t);
		return luaL_error(L, "out of memory");
	}
	pr->kind = LB_PROG_PROFILE;
	rc = parse_rate(rate, pr, err, sizeof err);
	if (rc == 0) {
		if (pr->freq)
			snprintf(name, sizeof name, "profile:hz:%llu",
				 (unsigned long long)pr->freq);
		else if (pr->period_ns % 1000000 == 0)
			snprintf(name, sizeof name, "profile:ms:%llu",
				 (unsigned long long)(pr->period_ns / 1000000));
		else if (pr->period_ns % 1000 == 0)
			snprintf(name, sizeof name, "profile:us:%llu",
				 (unsigned long long)(pr->period_ns / 1000));
		else
			snprintf(name, sizeof name, "profile:ns:%llu",
				 (unsigned long long)pr->period_ns);
		memset(&probe, 0, sizeof probe);
		probe.name = name;
		probe.kind = LBC_PROFILE;
		if ((id = lb_session_add_name(s, name)) < 0) {
			snprintf(err, sizeof err, "out of memory");
			rc = -1;
		}
		probe.probe_id = id;
	}
	if (rc == 0)
		rc = lb_compile_probe(L, s, t, 3, &probe, &pr->code, err, sizeof err);
	return lb_finish_probe(L, s, t, rc, err, sizeof err);
}

/* s:compile(spec, fn [, fields]) -> listing: the plan a handler compiles
 * to, without the kernel (fields: {{name=, off=, size=, signed=}...}). */
int lb_l_compile(lua_State *L)
{
	struct lb_session *s = lb_check_session(L, 1);
	const char *spec = luaL_checkstring(L, 2);
	struct lbc_field fields[64];
	struct lbc_probe probe;
	struct lbc_output out;
	char err[LB_ERR * 2];
	char *text;
	size_t len;
	int n = 0;

	luaL_checktype(L, 3, LUA_TFUNCTION);
	memset(&probe, 0, sizeof probe);
	probe.name = spec;
	if (lb_tpplan_syscalls(strip_kind(spec)))
		probe.sysmode = strstr(spec, "sys_exit") ? LB_SYS_EXIT : LB_SYS_ENTER;
	if (lua_istable(L, 4)) {
		for (; n < 64 && lua_rawgeti(L, 4, n + 1) == LUA_TTABLE; n++) {
			lua_getfield(L, -1, "name");
			lua_getfield(L, -2, "off");
			lua_getfield(L, -3, "size");
			lua_getfield(L, -4, "signed");
			lua_getfield(L, -5, "string");
			memset(&fields[n], 0, sizeof fields[n]);
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
	if (lb_compile_probe(L, s, NULL, 3, &probe, &out, err, sizeof err)) {
		lua_pushstring(L, err);
		return lua_error(L);
	}
	/* lbc_dump says how long the whole listing is, like snprintf */
	len = lbc_dump(&out.plan, NULL, 0);
	text = lua_newuserdatauv(L, len + 1, 0); /* collected with the call */
	lbc_dump(&out.plan, text, len + 1);
	lua_pushlstring(L, text, len);
	return 1;
}
