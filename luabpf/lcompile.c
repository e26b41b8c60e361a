/* Compiling handlers: from a Lua function to a plan in a probe.
 * The source, upvalues and string constants come from Lua's debug API
 * and bytecode; the compiler itself (compiler/) sees no Lua state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include "lcore.h"

struct resolver {
	lua_State *L;
	int fn; /* stack index of the handler */
	struct lb_session *s;
};

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
	} else if (lua_isstring(L, -1)) {
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

static int resolve(void *ud, const char *name, int global, struct lbc_value *out)
{
	struct resolver *r = ud;
	lua_State *L = r->L;
	const char *n = NULL;

	if (!global) {
		for (int i = 1; (n = lua_getupvalue(L, r->fn, i)) && strcmp(n, name); i++)
			lua_pop(L, 1);
		if (!n)
			return 0;
	} else if (!lb_pushenv(L, r->fn)) {
		return 0;
	}
	/* A global: raw look-ups down a chain of __index tables (the
	 * runner's -e environment falls back to _G), never a call:
	 * compiling runs no code. */
	for (int depth = 0; global && depth < 8; depth++) {
		if (!lua_istable(L, -1)) {
			lua_pop(L, 1);
			return 0;
		}
		lua_pushstring(L, name);
		lua_rawget(L, -2);
		if (!lua_isnil(L, -1) || !lua_getmetatable(L, -2)) {
			lua_remove(L, -2);
			break;
		}
		lua_getfield(L, -1, "__index"); /* t, nil, mt, __index */
		lua_replace(L, -4);
		lua_pop(L, 2);
	}
	classify(L, -1, r->s, out);
	lua_pop(L, 1); /* values stay alive: the closure or _ENV holds them */
	return 1;
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

/* Compile the function at stack index fn for probe. Leaves the stack as
 * it found it; on error returns -1 with the compiler's message in err. */
int lb_compile_probe(lua_State *L, struct lb_session *s, int fn, const struct lbc_probe *probe,
		     struct lbc_output *out, char *err, size_t errlen)
{
	lua_Debug ar;
	struct resolver r = {L, fn, s};
	struct lbc_input in;
	struct lb_proto ks;
	const char *names[256], *src;
	size_t len = 0;
	int top = lua_gettop(L), n = 0, rc;

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
	src = chunk_source(L, ar.source, &len);
	memset(&in, 0, sizeof in);
	in.source = src ? src : "";
	in.source_len = src ? len : 0;
	in.chunkname = ar.source;
	in.linedefined = ar.linedefined;
	in.lastlinedefined = ar.lastlinedefined;
	in.upvalues = names;
	in.nupvalues = n;
	in.fenv_globals = !LB_ENV_UPVALUE;
	if (lb_proto_read(L, fn, &ks) == 0) {
		in.kstrings = ks.s;
		in.klens = ks.n;
		in.nkstrings = ks.count;
	}
	in.nparams = ks.nparams;
	in.resolve = resolve;
	in.ud = &r;
	in.probe = probe;
	in.max_strlen = s->max_strlen;
	in.ustack_dwarf = s->ustack_dwarf;
	in.maps = s->maps;
	in.nmaps = s->nmaps;
	in.maxmaps = LB_MAX_SESSION_MAPS;
	rc = lbc_compile(&in, out, err, errlen);
	if (rc == 0)
		s->nmaps = out->nmaps; /* bpf.vars() fields seen first here */
	lb_proto_free(&ks);
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
	probe.int_type = lb_session_int_type;
	probe.int_type_ud = s;
	rc = lb_compile_probe(L, s, fn, &probe, &pr->code, err, errlen);
	lb_free_fields(fields, nfields);
	return rc;
}

static int has_field(const struct lbc_field *f, int n, const struct lbc_field *x)
{
	for (int i = 0; i < n; i++)
		if (strcmp(f[i].name, x->name) == 0 && f[i].off == x->off && f[i].size == x->size &&
		    f[i].is_signed == x->is_signed && f[i].is_string == x->is_string &&
		    !f[i].ctype == !x->ctype && (!x->ctype || !strcmp(f[i].ctype, x->ctype)))
			return 1;
	return 0;
}

/* The fields every one of targets[idx[..]] has, at the same place. */
static int common_fields(char **targets, const int *idx, int n, struct lbc_field **out, int *nout,
			 char *err, size_t errlen)
{
	char *colon = strchr(targets[idx[0]], ':');
	char cat[64];

	snprintf(cat, sizeof cat, "%.*s", (int)(colon - targets[idx[0]]), targets[idx[0]]);
	if (lb_tp_fields(cat, colon + 1, out, nout, err, errlen))
		return -1;
	for (int t = 1; t<n && * nout> 0; t++) {
		struct lbc_field *f;
		int nf, kept = 0;

		colon = strchr(targets[idx[t]], ':');
		if (lb_tp_fields(cat, colon + 1, &f, &nf, err, errlen))
			return -1;
		for (int i = 0; i < *nout; i++) {
			if (has_field(f, nf, &(*out)[i]))
				(*out)[kept++] = (*out)[i];
			else
				lb_clear_field(&(*out)[i]);
		}
		*nout = kept;
		lb_free_fields(f, nf);
	}
	return 0;
}

/* After "no field X" on a wildcard: say which matched tracepoints lack
 * it. Returns how many have it. */
static int lacking_note(char **targets, const int *idx, int n, const char *field, char *err,
			size_t errlen)
{
	size_t used = strlen(err);
	int lack = 0, have = 0;

	for (int t = 0; t < n; t++) {
		char *colon = strchr(targets[idx[t]], ':'), cat[64], e2[8];
		struct lbc_field *f;
		int nf, found = 0;

		snprintf(cat, sizeof cat, "%.*s", (int)(colon - targets[idx[t]]), targets[idx[t]]);
		if (lb_tp_fields(cat, colon + 1, &f, &nf, e2, sizeof e2))
			continue;
		for (int i = 0; i < nf && !found; i++)
			found = strcmp(f[i].name, field) == 0;
		lb_free_fields(f, nf);
		if (found) {
			have++;
			continue;
		}
		if (used + 1 < errlen)
			used += snprintf(err + used, errlen - used, "%s%s",
					 lack++ ? ", " : "\nthese matched tracepoints lack it: ",
					 targets[idx[t]]);
	}
	if (lack == 0 && have == 0)
		return 0;
	if (lack && used + 1 < errlen)
		snprintf(err + used, errlen - used, " (%d of %d)", lack, n);
	return have;
}

/* syscalls:sys_enter_* and friends: one program on raw_syscalls per
 * direction, filtered by a bitmap of the matched syscall numbers; its
 * args are the raw record's, at the same offsets as syscalls:* records,
 * so e.args.NAME works for every field the matched syscalls share at the
 * same place. A field that differs in place (open's filename is arg 0,
 * openat's arg 1) makes the matched syscalls attach one by one instead;
 * one that some of them lack is an error naming those. */
static int add_syscalls(lua_State *L, struct lb_session *s, struct lb_probe *p, char **targets,
			int n, int fn, char *err, size_t errlen)
{
	static const char *dirs[] = {"syscalls:sys_enter_", "syscalls:sys_exit_"};
	int *idx = malloc(sizeof *idx * (size_t)n);
	char name[300];
	int rc = 0;

	if (!idx) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int d = 0; d < 2 && rc == 0; d++) {
		size_t plen = strlen(dirs[d]);
		struct lbc_field *fields = NULL;
		struct lbc_probe probe;
		struct lb_prog *pr;
		int m = 0, nfields = 0;

		for (int i = 0; i < n; i++) {
			int nr;

			if (strncmp(targets[i], dirs[d], plen) != 0)
				continue;
			nr = lb_syscall_nr(targets[i] + plen);
			if (nr >= 0 && nr < LB_SYSMASK * 64)
				idx[m++] = i;
			else if ((rc = add_tracepoint(L, s, p, targets[i], fn, err, errlen)))
				break; /* no number known: one by one */
		}
		if (rc || m == 0)
			continue;
		if ((rc = common_fields(targets, idx, m, &fields, &nfields, err, errlen)))
			break;
		if (!(pr = lb_probe_add_prog(p)) ||
		    split_target(pr, d ? "raw_syscalls:sys_exit" : "raw_syscalls:sys_enter")) {
			lb_free_fields(fields, nfields);
			snprintf(err, errlen, "out of memory");
			rc = -1;
			break;
		}
		memset(&probe, 0, sizeof probe);
		snprintf(name, sizeof name, "tracepoint:%s", strip_kind(p->spec));
		probe.name = name;
		probe.sysmode = d ? LB_SYS_EXIT : LB_SYS_ENTER;
		probe.fields = fields;
		probe.nfields = nfields;
		probe.int_type = lb_session_int_type;
		probe.int_type_ud = s;
		pr->code.missing_field[0] = 0;
		rc = lb_compile_probe(L, s, fn, &probe, &pr->code, err, errlen);
		lb_free_fields(fields, nfields);
		if (rc && pr->code.missing_field[0] && m > 1) {
			char field[LB_NAME_MAX];
			int have;

			snprintf(field, sizeof field, "%s", pr->code.missing_field);
			have = lacking_note(targets, idx, m, field, err, errlen);
			if (have == m) { /* everywhere, but not at one place */
				free(pr->category);
				free(pr->event);
				p->nprogs--;
				fprintf(stderr,
					"luabpf: e.args.%s is not at the same place in every "
					"syscall of %s: attaching %d tracepoints one by one\n",
					field, p->spec, m);
				rc = 0;
				for (int t = 0; t < m && rc == 0; t++)
					rc = add_tracepoint(L, s, p, targets[idx[t]], fn, err,
							    errlen);
				continue;
			}
		}
		if (rc)
			break;
		for (int t = 0; t < m; t++) {
			const char *sys = targets[idx[t]] + plen;
			int nr = lb_syscall_nr(sys);

			pr->code.plan.sysmask[nr / 64] |= 1ULL << (nr % 64);
			if (!s->sysname[nr] && !(s->sysname[nr] = strdup(sys))) {
				snprintf(err, errlen, "out of memory");
				rc = -1;
				break;
			}
		}
	}
	/* the rest of "syscalls:*" (none today) one by one */
	for (int i = 0; i < n && rc == 0; i++)
		if (strncmp(targets[i], dirs[0], strlen(dirs[0])) &&
		    strncmp(targets[i], dirs[1], strlen(dirs[1])))
			rc = add_tracepoint(L, s, p, targets[i], fn, err, errlen);
	free(idx);
	return rc;
}

/* The end of adding a probe (the session's last): take its formats,
 * attach it if the session runs; on any failure (rc != 0, message in
 * err) put the maps back as they were, forget the probe and raise.
 * Returns the number of values pushed (its program count). */
int lb_finish_probe(lua_State *L, struct lb_session *s, struct lb_mapdesc *saved, int rc, char *err,
		    size_t errlen)
{
	struct lb_probe *p = &s->probes[s->nprobes - 1];

	for (int j = 0; rc == 0 && j < p->nprogs; j++)
		if (lb_session_adopt(s, &p->progs[j].code)) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
		}
	if (rc == 0 && s->started)
		for (int j = 0; rc == 0 && j < p->nprogs; j++)
			rc = lb_prog_load_attach(s, &p->progs[j], err, errlen);
	if (rc) {
		memcpy(s->maps, saved, sizeof s->maps);
		free(saved);
		lb_session_drop_probe(s);
		lua_pushstring(L, err);
		return lua_error(L);
	}
	free(saved);
	{
		int n = 0; /* probes as bpftrace counts them: each function */

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
			if ((rc = add_tracepoint(L, s, p, targets[i], 3, err, sizeof err))) {
				const char *field =
				    p->nprogs ? p->progs[p->nprogs - 1].code.missing_field : "";
				int *all =
				    n > 1 && field[0] ? malloc(sizeof *all * (size_t)n) : NULL;

				if (all) {
					for (int t = 0; t < n; t++)
						all[t] = t;
					lacking_note(targets, all, n, field, err, sizeof err);
					free(all);
				}
				break;
			}
	lb_free_strings(targets, n);
	return lb_finish_probe(L, s, saved, rc, err, sizeof err);
}

/* "99hz" / "hz:99", "10ms" / "ms:10", "us:", "s:" -> freq or period. */
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

/* "99hz", "10ms", "hz:99": 0, or -1 with why in err. */
static int parse_rate(const char *spec, struct lb_prog *pr, char *err, size_t errlen)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = {{"s", 1000000000}, {"ms", 1000000}, {"us", 1000}, {"hz", 0}};
	char unit[8] = "";
	unsigned long long n, max = max_sample_rate();
	int used = 0;
	const char *digits = spec;

	if (sscanf(spec, "%llu%7[a-z]%n", &n, unit, &used) != 2 || spec[used]) {
		used = 0;
		if (sscanf(spec, "%7[a-z]:%llu%n", unit, &n, &used) != 2 || spec[used])
			goto bad;
		digits = strchr(spec, ':') + 1;
	}
	if (*digits < '0' || *digits > '9') /* sscanf takes "-5" as a huge number */
		goto bad;
	for (size_t i = 0; i < sizeof units / sizeof *units; i++) {
		uint64_t ns = units[i].ns;

		if (strcmp(unit, units[i].unit) || n == 0)
			continue;
		/* as many samples a second as the kernel allows at most */
		if (ns && n > UINT64_MAX / ns)
			goto bad;
		if ((ns == 0 && max && n > max) || (ns && max && n * ns < 1000000000 / max)) {
			snprintf(err, errlen,
				 "profile rate '%s' is more than this kernel's %llu samples per "
				 "second (kernel.perf_event_max_sample_rate)",
				 spec, max);
			return -1;
		}
		pr->freq = ns ? 0 : n;
		pr->period_ns = ns * n;
		return 0;
	}
bad:
	snprintf(err, errlen, "bad profile rate '%s' (use e.g. \"99hz\", \"10ms\")", spec);
	return -1;
}

/* s:profile("99hz" | "10ms", fn): sample every CPU, like bpftrace's
 * profile:hz:99; compiled now, attached at start (or now, if running). */
int lb_l_profile(lua_State *L)
{
	struct lb_session *s = lb_check_session(L, 1);
	const char *spec = luaL_checkstring(L, 2), *rate = spec;
	struct lb_mapdesc *saved;
	struct lbc_probe probe;
	struct lb_probe *p;
	struct lb_prog *pr;
	char err[LB_ERR * 2], name[128];
	int id, rc;

	luaL_checktype(L, 3, LUA_TFUNCTION);
	if (strncmp(rate, "profile:", 8) == 0)
		rate += 8;
	if (!(saved = malloc(sizeof s->maps)))
		return luaL_error(L, "out of memory");
	memcpy(saved, s->maps, sizeof s->maps);
	if (!(p = lb_session_add_probe(s, spec)) || !(pr = lb_probe_add_prog(p))) {
		free(saved);
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
		else
			snprintf(name, sizeof name, "profile:us:%llu",
				 (unsigned long long)(pr->period_ns / 1000));
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
		rc = lb_compile_probe(L, s, 3, &probe, &pr->code, err, sizeof err);
	return lb_finish_probe(L, s, saved, rc, err, sizeof err);
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
	if (is_syscall_wildcard(strip_kind(spec)))
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
	if (lb_compile_probe(L, s, 3, &probe, &out, err, sizeof err)) {
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
