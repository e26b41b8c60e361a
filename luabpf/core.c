/* luabpf.core: the Lua binding of the runtime and the compiler.
 * Sessions and maps are full userdata; everything a session owns lives
 * in its struct, nothing in C globals. Registry keys below. */
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include "lcore.h"

struct lb_session *lb_check_session(lua_State *L, int i)
{
	struct lb_session *s = luaL_checkudata(L, i, SESSION_MT);

	if (s->ncpus <= 0)
		luaL_error(L, "session is closed");
	return s;
}

struct lmap *lb_check_map(lua_State *L, int i)
{
	struct lmap *m = luaL_testudata(L, i, MAP_MT);

	if (!m)
		luaL_error(L, "a map made by bpf.map() expected, got %s", luaL_typename(L, i));
	if (m->s->ncpus <= 0)
		luaL_error(L, "@%s: its session is closed", m->s->maps[m->idx].name);
	return m;
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
	struct lb_session *s = lb_check_session(L, 1);
	char err[LB_ERR];

	int r = lb_session_start(s, err, sizeof err);

	if (r < 0)
		return luaL_error(L, "%s", err);
	if (r > 0) { /* interrupted: 0 attached, and why */
		lua_pushinteger(L, 0);
		lua_pushstring(L, err);
		return 2;
	}
	if (lb_session_fd(s) < 0) /* a host may already wait on it */
		return luaL_error(L, "cannot poll the ring buffer: %s", strerror(errno));
	lua_pushinteger(L, lb_count_attached(s));
	return 1;
}

/* s:refused(): {{spec =, funcs = {...}}, ...}: functions of wildcards the
 * kernel refused to probe (and skipped) since the last call. */
static int l_session_refused(lua_State *L)
{
	struct lb_session *s = lb_check_session(L, 1);
	int n = 0;

	lua_newtable(L);
	for (int i = 0; i < s->nprobes; i++) {
		struct lb_probe *p = &s->probes[i];
		int m = 0;

		for (int j = 0; j < p->nprogs; j++) {
			struct lb_prog *pr = &p->progs[j];

			if (pr->refused_told || !pr->nrefused)
				continue;
			if (!m) {
				lua_createtable(L, 0, 2);
				lua_pushstring(L, p->spec);
				lua_setfield(L, -2, "spec");
				lua_newtable(L);
			}
			for (int f = 0; f < pr->nrefused; f++) {
				lua_pushstring(L, pr->refused[f]);
				lua_rawseti(L, -2, ++m);
			}
			pr->refused_told = 1;
		}
		if (m) {
			lua_setfield(L, -2, "funcs");
			lua_rawseti(L, -2, ++n);
		}
	}
	return 1;
}

static int l_session_attached(lua_State *L)
{
	lua_pushinteger(L, lb_count_attached(lb_check_session(L, 1)));
	return 1;
}

/* A map object for session map idx; the session is at index 1. */
static int push_map(lua_State *L, struct lb_session *s, int idx)
{
	struct lmap *m = lua_newuserdatauv(L, sizeof *m, 1);

	m->s = s;
	m->idx = idx;
	lua_pushvalue(L, 1); /* the map keeps its session alive */
	lua_setiuservalue(L, -2, 1);
	luaL_setmetatable(L, MAP_MT);
	return 1;
}

/* s:map(name, max_entries, lru): a new map, its layout fixed by the
 * first handler that uses it. */
static int l_session_map(lua_State *L)
{
	struct lb_session *s = lb_check_session(L, 1);
	const char *name = luaL_optstring(L, 2, NULL);
	lua_Number fmax = luaL_optnumber(L, 3, 0);
	lua_Integer max;
	int idx;

	if (!(fmax >= 0 && fmax <= (1 << 24)))
		return luaL_error(L, "bpf.map: max_entries must be between 1 and %d", 1 << 24);
	max = (lua_Integer)fmax;
	if (s->nmaps == LB_MAX_SESSION_MAPS)
		return luaL_error(L, "too many maps (at most %d)", LB_MAX_SESSION_MAPS);
	if (name && strlen(name) >= LB_NAME_MAX) {
		lua_pushlstring(L, name, 40); /* (void in Lua 5.1) */
		return luaL_error(L, "bpf.map: the name '%s...' is longer than %d bytes",
				  lua_tostring(L, -1), LB_NAME_MAX - 1);
	}
	idx = s->nmaps++;
	s->mapopts[idx].max_entries = (uint32_t)max;
	s->mapopts[idx].lru = lua_toboolean(L, 4);
	if (name) {
		strcpy(s->maps[idx].name, name);
		s->maps[idx].named = 1;
	}
	return push_map(L, s, idx);
}

/* s:maps_since(n) -> {map, ...}: objects for the maps compiling added
 * after the first n (bpf.vars() fields), and their names. */
static int l_session_maps_since(lua_State *L)
{
	struct lb_session *s = lb_check_session(L, 1);
	int from = (int)luaL_checkinteger(L, 2), k = 0;

	lua_newtable(L);
	for (int i = from < 0 ? 0 : from; i < s->nmaps; i++) {
		push_map(L, s, i);
		lua_rawseti(L, -2, ++k);
	}
	return 1;
}

/* s:mark_vars(t): t is this session's bpf.vars() table for the compiler */
static int l_session_mark_vars(lua_State *L)
{
	lb_check_session(L, 1);
	luaL_checktype(L, 2, LUA_TTABLE);
	lua_getfield(L, LUA_REGISTRYINDEX, MARKS);
	lua_pushvalue(L, 2);
	lua_pushvalue(L, 1);
	lua_rawset(L, -3);
	return 0;
}

/* s:poll(timeout_ms) -> signal number or false, events: wait for records
 * or a signal; events lists what the kernel said, in order:
 * {type = "printf", text = ...}, {type = "print", map = index},
 * {type = "exit"}, {type = "lost", count = n}. */
static int l_session_poll(lua_State *L)
{
	struct lb_session *s = lb_check_session(L, 1);
	int sig = lb_session_poll(s, (int)luaL_optinteger(L, 2, 0));

	if (sig < 0)
		return luaL_error(L, "poll: %s", strerror(errno));
	if (sig)
		lua_pushinteger(L, sig);
	else
		lua_pushboolean(L, 0);
	lua_createtable(L, s->nevents, 0);
	for (int i = 0; i < s->nevents; i++) {
		const struct lb_event *ev = &s->events[i];

		lua_createtable(L, 0, 2);
		switch (ev->kind) {
		case LB_EV_PRINTF:
			lua_pushliteral(L, "printf");
			lua_pushlstring(L, ev->text, ev->len);
			lua_setfield(L, -3, "text");
			break;
		case LB_EV_PRINT:
			lua_pushliteral(L, "print");
			lua_pushinteger(L, ev->id);
			lua_setfield(L, -3, "map");
			break;
		case LB_EV_LOST:
			lua_pushliteral(L, "lost");
			lb_pushint64(L, (int64_t)ev->n);
			lua_setfield(L, -3, "count");
			break;
		case LB_EV_SCRAPE: /* answered with s:metrics_respond */
			lua_pushliteral(L, "scrape");
			lua_pushinteger(L, (lua_Integer)ev->n);
			lua_setfield(L, -3, "request");
			break;
		default: lua_pushliteral(L, "exit");
		}
		lua_setfield(L, -2, "type");
		lua_rawseti(L, -2, i + 1);
	}
	lb_session_clear_events(s);
	return 2;
}

/* s:merge_printf(on): consecutive printf records come as one event. */
static int l_session_merge_printf(lua_State *L)
{
	lb_check_session(L, 1)->merge_printf = lua_toboolean(L, 2);
	return 0;
}

/* s:detach(): every probe stops; maps and queued records stay. */
static int l_session_detach(lua_State *L)
{
	lb_session_detach(lb_check_session(L, 1));
	return 0;
}

static int l_session_watch_signals(lua_State *L)
{
	if (lb_session_watch_signals(lb_check_session(L, 1)))
		return luaL_error(L, "cannot watch signals: %s", strerror(errno));
	return 0;
}

/* s:config{max_strlen = N, ustack = "dwarf"}: settings for the handlers compiled after it
 * (bpftrace's config block). */
static int l_session_config(lua_State *L)
{
	struct lb_session *s = lb_check_session(L, 1);

	if (!lua_istable(L, 2))
		return luaL_error(L,
				  "config takes a table of settings, e.g. config{max_strlen = "
				  "128}, not %s",
				  luaL_typename(L, 2));
	lua_pushnil(L);
	while (lua_next(L, 2)) {
		const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;

		if (!k)
			return luaL_error(L,
					  "config: setting names are strings (known: max_strlen, "
					  "ustack), not %s",
					  luaL_typename(L, -2));

		if (strcmp(k, "max_strlen") == 0) {
			int isint;
			lua_Integer n = lua_tointegerx(L, -1, &isint);

			if (!isint || n < 1 || n > LB_MAX_STR)
				return luaL_error(L,
						  "max_strlen must be an integer between 1 and %d",
						  LB_MAX_STR);
			s->max_strlen = (int)n;
		} else if (strcmp(k, "ustack") == 0) {
			const char *m = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "";

			if (strcmp(m, "dwarf") && strcmp(m, "fp"))
				return luaL_error(L, "ustack must be \"fp\" (frame pointers, "
						     "the default) or \"dwarf\"");
			s->ustack_dwarf = m[0] == 'd';
		} else {
			return luaL_error(
			    L, "config: unknown setting '%s' (known: max_strlen, ustack)",
			    lb_clip(L, k));
		}
		lua_pop(L, 1);
	}
	return 0;
}

/* s:target_pid(pid [, child]): probes see only this process (luabpf -p);
 * child: it is luabpf -c's command, e.cpid, seen with its descendants. */
static int l_session_target_pid(lua_State *L)
{
	struct lb_session *s = lb_check_session(L, 1);
	char err[LB_ERR];

	if (lb_session_target(s, (int)luaL_checkinteger(L, 2), lua_toboolean(L, 3), err,
			      sizeof err))
		return luaL_error(L, "%s", err);
	return 0;
}

/* s:trace_self(on): probes fire in this process too (by default every
 * probe skips the process that loaded it). */
static int l_session_trace_self(lua_State *L)
{
	lb_check_session(L, 1)->trace_self = lua_toboolean(L, 2);
	return 0;
}

/* s:verbose(on): the whole verifier log of a refused program. */
static int l_session_verbose(lua_State *L)
{
	lb_check_session(L, 1)->verbose = lua_toboolean(L, 2);
	return 0;
}

/* s:fd(): a descriptor that becomes readable when poll has work. */
static int l_session_fd(lua_State *L)
{
	int fd = lb_session_fd(lb_check_session(L, 1));

	if (fd < 0)
		return luaL_error(L, "cannot make the session's descriptor: %s", strerror(errno));
	lua_pushinteger(L, fd);
	return 1;
}

/* s:divzero() -> n, {{"file:line:col", n}, ...}: handler runs a division
 * by zero stopped so far, all of them and at each site that stopped some */
static int l_session_divzero(lua_State *L)
{
	struct lb_session *s = lb_check_session(L, 1);
	int k = 0;

	lua_pushinteger(L, (lua_Integer)lb_map_dropped(s, LB_DIVZERO_SLOT));
	lua_newtable(L);
	for (int i = 0; i < s->ndivsites; i++) {
		uint64_t n = lb_map_dropped(s, LB_DIVZERO_SLOT + 1 + i);

		if (!n)
			continue;
		lua_createtable(L, 2, 0);
		lua_pushstring(L, s->divsites[i]);
		lua_rawseti(L, -2, 1);
		lua_pushinteger(L, (lua_Integer)n);
		lua_rawseti(L, -2, 2);
		lua_rawseti(L, -2, ++k);
	}
	return 2;
}

/* s:set_timer(due_ns): the descriptor is readable from then (0: never). */
static int l_session_set_timer(lua_State *L)
{
	lua_Integer due = luaL_checkinteger(L, 2);

	if (lb_session_set_timer(lb_check_session(L, 1), due > 0 ? (uint64_t)due : 0))
		return luaL_error(L, "cannot arm the interval timer: %s", strerror(errno));
	return 0;
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

/* A table of the strings v, which are freed. */
const char *lb_clip(lua_State *L, const char *s)
{
	size_t n = strlen(s);

	lua_pushlstring(L, s, n > 64 ? 64 : n);
	if (n > 64) {
		lua_pushliteral(L, "...");
		lua_concat(L, 2);
	}
	return lua_tostring(L, -1);
}

void lb_push_strings(lua_State *L, char **v, int n)
{
	lua_createtable(L, n, 0);
	for (int i = 0; i < n; i++) {
		lua_pushstring(L, v[i]);
		lua_rawseti(L, -2, i + 1);
	}
	lb_free_strings(v, n);
}

/* tracepoints("cat:name" glob) -> { "cat:name", ... } sorted */
static int l_tracepoints(lua_State *L)
{
	char **v, err[LB_ERR];
	int n;

	if (lb_tracepoints(luaL_checkstring(L, 1), &v, &n, err, sizeof err))
		return luaL_error(L, "%s", err);
	lb_push_strings(L, v, n);
	return 1;
}

/* kprobe_functions(glob) -> { "name", ... } sorted */
static int l_kprobe_functions(lua_State *L)
{
	char **v, err[LB_ERR];
	int n;

	if (lb_kprobe_funcs(luaL_checkstring(L, 1), &v, &n, err, sizeof err))
		return luaL_error(L, "%s", err);
	lb_push_strings(L, v, n);
	return 1;
}

/* tracepoint_fields("cat", "name") -> "    type name\n..." */
static int l_tracepoint_fields(lua_State *L)
{
	char *text, err[LB_ERR];

	if (lb_tp_describe(luaL_checkstring(L, 1), luaL_checkstring(L, 2), &text, err, sizeof err))
		return luaL_error(L, "%s", err);
	lua_pushstring(L, text ? text : "");
	free(text);
	return 1;
}

static int l_now(lua_State *L)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	lua_pushinteger(L, (lua_Integer)ts.tv_sec * 1000000000 + ts.tv_nsec);
	return 1;
}

/* core.period_ns("10s" | "5hz" | ...) -> nanoseconds, or nil, why,
 * "year" if it is longer than one (the caller adds its usage hint). */
static int l_period_ns(lua_State *L)
{
	uint64_t freq, ns;
	char err[LB_ERR];
	int rc = lb_parse_period("period", luaL_checkstring(L, 1), &freq, &ns, err, sizeof err);

	if (rc) {
		lua_pushnil(L);
		lua_pushstring(L, err);
		lua_pushboolean(L, rc == -2);
		return 3;
	}
	lua_pushinteger(L, (lua_Integer)(freq ? 1000000000 / freq : ns));
	return 1;
}

static void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
}

/* What block_signals changed, to put back. */
struct saved_signals {
	sigset_t mask;
	struct sigaction act[2];
	int restored;
};

static int l_restore_signals(lua_State *L)
{
	struct saved_signals *v = lua_touserdata(L, lua_upvalueindex(1));

	if (!v->restored) {
		v->restored = 1;
		sigaction(SIGINT, &v->act[0], NULL);
		sigaction(SIGTERM, &v->act[1], NULL);
		sigprocmask(SIG_SETMASK, &v->mask, NULL);
	}
	return 0;
}

/* block_signals() -> restore(): SIGINT/SIGTERM taken synchronously, blocked
 * from before attaching (an interrupt never lands half-way) and read by
 * the session's poll; restore() gives the host back its mask and handlers. */
static int l_block_signals(lua_State *L)
{
	struct saved_signals *v = lua_newuserdatauv(L, sizeof *v, 0);
	struct sigaction dfl;
	sigset_t set;

	memset(v, 0, sizeof *v);
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	stop_signals(&set);
	/* a shell starts background jobs with SIGINT ignored: undo that, or
	 * the blocked signal would be discarded instead of kept pending */
	if (sigprocmask(SIG_BLOCK, &set, &v->mask) || sigaction(SIGINT, NULL, &v->act[0]) ||
	    sigaction(SIGTERM, NULL, &v->act[1]))
		return luaL_error(L, "cannot block SIGINT and SIGTERM: %s", strerror(errno));
	for (int i = 0; i < 2; i++)
		if (v->act[i].sa_handler == SIG_IGN)
			sigaction(i ? SIGTERM : SIGINT, &dfl, NULL);
	lua_pushcclosure(L, l_restore_signals, 1);
	return 1;
}

/* A Lua hook for user handlers (BEGIN, END, interval): with SIGINT and
 * SIGTERM blocked, `while true do end` in one would never end; the hook
 * takes a pending one and raises an error instead. A host's own hook is
 * left alone. */
static void interrupt_hook(lua_State *L, lua_Debug *ar)
{
	sigset_t set;
	struct timespec zero = {0, 0};
	int sig;

	if (!lb_stop_pending())
		return;
	stop_signals(&set);
	sig = sigtimedwait(&set, NULL, &zero);
	if (lua_getstack(L, 0, ar) && lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
		lua_pushfstring(L, "%s:%d: ", ar->short_src, ar->currentline);
	else
		lua_pushliteral(L, "");
	lua_pushfstring(L, "interrupted by %s", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	lua_concat(L, 2);
	lua_error(L);
}

/* interruptible(on): set or clear interrupt_hook on this thread. */
static int l_interruptible(lua_State *L)
{
	lua_Hook h = lua_gethook(L);

	if (lua_toboolean(L, 1) && !h)
		lua_sethook(L, interrupt_hook, LUA_MASKCOUNT, 10000);
	else if (!lua_toboolean(L, 1) && h == interrupt_hook)
		lua_sethook(L, NULL, 0, 0);
	return 0;
}

/* hold_std_fds(): descriptors 0-2 that are closed get /dev/null opened
 * the wrong way round, so a BPF map never lands on fd 1 and writes to a
 * closed stdout fail (EBADF) instead of vanishing. Raises the soft limit
 * of open files to the hard one: every probe takes a few descriptors. */
static int l_prepare_process(lua_State *L)
{
	struct rlimit rl;

	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF &&
		    open("/dev/null", fd == 0 ? O_WRONLY : O_RDONLY) != fd)
			return luaL_error(L, "cannot reserve descriptor %d: %s", fd,
					  strerror(errno));
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	return 0;
}

/* s:drop_caps(): every capability dropped (lb_session_drop_caps). */
static int l_session_drop_caps(lua_State *L)
{
	char err[LB_ERR];

	if (lb_session_drop_caps(lb_check_session(L, 1), err, sizeof err))
		return luaL_error(L, "%s", err);
	return 0;
}

/* s:ksyms_hidden(): why kernel frames printed as addresses, or nil. */
static int l_session_ksyms_hidden(lua_State *L)
{
	const char *why = lb_ksyms_hidden(lb_check_session(L, 1));

	if (!why)
		return 0;
	lua_pushstring(L, why);
	return 1;
}

static const luaL_Reg session_methods[] = {
    {"map", l_session_map},
    {"tracepoint", lb_l_tracepoint},
    {"profile", lb_l_profile},
    {"probe", lb_l_probe},
    {"poll", l_session_poll},
    {"watch_signals", l_session_watch_signals},
    {"detach", l_session_detach},
    {"verbose", l_session_verbose},
    {"trace_self", l_session_trace_self},
    {"drop_caps", l_session_drop_caps},
    {"ksyms_hidden", l_session_ksyms_hidden},
    {"merge_printf", l_session_merge_printf},
    {"maps_since", l_session_maps_since},
    {"mark_vars", l_session_mark_vars},
    {"config", l_session_config},
    {"target_pid", l_session_target_pid},
    {"fd", l_session_fd},
    {"set_timer", l_session_set_timer},
    {"divzero", l_session_divzero},
    {"compile", lb_l_compile},
    {"start", l_session_start},
    {"attached", l_session_attached},
    {"refused", l_session_refused},
    {"close", l_session_close},
    {NULL, NULL},
};

static const luaL_Reg functions[] = {
    {"session", l_session},
    {"mark", l_mark},
    {"now", l_now},
    {"period_ns", l_period_ns},
    {"tracepoints", l_tracepoints},
    {"kprobe_functions", l_kprobe_functions},
    {"tracepoint_fields", l_tracepoint_fields},
    {"block_signals", l_block_signals},
    {"interruptible", l_interruptible},
    {"prepare_process", l_prepare_process},
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
	lb_open_metrics(L);

	luaL_newmetatable(L, MAP_MT);
	lua_pushcfunction(L, lb_map_index);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, lb_map_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pop(L, 1);

	lua_newtable(L);
	lua_newtable(L); /* weak keys: marks do not keep values alive */
	lua_pushliteral(L, "k");
	lua_setfield(L, -2, "__mode");
	lua_setmetatable(L, -2);
	lua_setfield(L, LUA_REGISTRYINDEX, MARKS);
	lua_newtable(L);
	lua_setfield(L, LUA_REGISTRYINDEX, SOURCES);

	luaL_newlib(L, functions);
	lb_open_format(L);
	lb_open_list(L);
	lb_open_source(L);
	lb_open_child(L);
	lua_newtable(L); /* bpf.maps: functions of a map, never shadowing its keys */
	luaL_setfuncs(L, lb_map_methods, 0);
	lua_setfield(L, -2, "map_methods");
	lua_pushcfunction(L, lb_map_clear_l);
	lua_setfield(L, -2, "map_clear");
	lua_pushinteger(L, LB_MAP_ENTRIES);
	lua_setfield(L, -2, "map_entries_max");
	luaL_getmetatable(L, MAP_MT);
	lua_setfield(L, -2, "map_mt");
	return 1;
}
