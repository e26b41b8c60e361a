/* Probes on kernel and user functions: kfunc/kretfunc and BTF raw
 * tracepoints (typed by BTF), kprobes, uprobes and USDT (arguments from
 * registers or the USDT note). Compiled when added, attached at start. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lua.h>
#include <lauxlib.h>
#include "lcore.h"
#include "runtime/btf.h"

/* pt_regs words of the first arguments (bpf/arch.h) */
static const int arg_words[LB_NARG_REGS] = LB_ARG_REGS;

static const struct {
	const char *name;
	int prog, lbc;
	int ret; /* e.retval */
} kinds[] = {
    {"kfunc", LB_PROG_KFUNC, LBC_TYPED, 0},	    {"kretfunc", LB_PROG_KRETFUNC, LBC_TYPED, 1},
    {"rawtracepoint", LB_PROG_TPBTF, LBC_TYPED, 0}, {"kprobe", LB_PROG_KPROBE, LBC_REGS, 0},
    {"kretprobe", LB_PROG_KRETPROBE, LBC_REGS, 1},  {"uprobe", LB_PROG_UPROBE, LBC_REGS, 0},
    {"uretprobe", LB_PROG_URETPROBE, LBC_REGS, 1},  {"usdt", LB_PROG_USDT, LBC_USDT, 0},
};

struct target {
	char probe[1300]; /* e.probe: "kfunc:vfs_read" */
	char event[400], binary[400], category[400];
	uint64_t offset;
	struct lbc_field regs[LB_USDT_ARGS + 1], *fields;
	char regnames[LB_USDT_ARGS + 1][16];
	int nregs, nfields;
	struct lb_usdt_site *sites; /* usdt: handed to the program */
	int nsites;
	int wild;     /* one function of a wildcard: skipped if it has no address */
	int resolved; /* uprobe: offset is known already */
};

static void add_reg(struct target *t, const char *name, __u16 off, int btf_type, int usdt)
{
	struct lbc_field *f = &t->regs[t->nregs];

	snprintf(t->regnames[t->nregs], sizeof t->regnames[0], "%s", name);
	memset(f, 0, sizeof *f);
	f->name = t->regnames[t->nregs++];
	f->off = off;
	f->size = 8;
	f->btf_type = btf_type;
	f->usdt = (__u8)usdt;
}

/* Fill what `e` offers for one target of kind k. */
/* A uprobe (or uretprobe: both trap the instruction there) on an AVX-512
 * (EVEX, 0x62) instruction: the kernel accepts it, but the traced
 * process loses the instruction's result when it is stepped over
 * (Lua's string.format("%d") printed "%lld" with one on strchrnul).
 * Wildcards leave such functions out with a warning (drop_evex); one
 * named alone is refused. */
static int evex_at(const struct target *t, char *err, size_t errlen)
{
	unsigned char first;
	char why[64];

	if (lb_file_bytes(t->binary, &t->offset, 1, &first, why, sizeof why) || first != 0x62)
		return 0; /* unreadable: attaching says why */
	snprintf(err, errlen,
		 "%s: it starts with an AVX-512 (EVEX) instruction, whose result uprobes lose "
		 "when they step over it (the traced program would go wrong): probe a "
		 "function that calls it instead",
		 t->probe);
	return -1;
}

static int describe(struct lb_session *s, int k, struct target *t, char *err, size_t errlen)
{
	char name[16];
	int ret_type = 0;

	switch (kinds[k].lbc) {
	case LBC_TYPED: {
		struct lb_btf *b = lb_session_btf(s, err, errlen);
		int rc;

		if (!b)
			return -1;
		rc = kinds[k].prog == LB_PROG_TPBTF
			 ? lb_btf_tp_args(b, t->event, &t->fields, &t->nfields, err, errlen)
			 : lb_btf_func_args(b, t->event, &t->fields, &t->nfields, &ret_type, err,
					    errlen);
		if (rc)
			return -1;
		for (int i = 0; i < t->nfields && i < 8; i++) {
			snprintf(name, sizeof name, "arg%d", i);
			add_reg(t, name, t->fields[i].off, t->fields[i].btf_type, 0);
		}
		if (kinds[k].ret)
			add_reg(t, "retval", (__u16)(8 * t->nfields), ret_type, 0);
		return 0;
	}
	case LBC_REGS:
		if ((kinds[k].prog == LB_PROG_UPROBE || kinds[k].prog == LB_PROG_URETPROBE) &&
		    !t->resolved &&
		    lb_elf_func_offset(t->binary, t->event, &t->offset, err, errlen))
			return t->wild ? 1 : -1; /* an IFUNC a wildcard matched: skip it */
		if ((kinds[k].prog == LB_PROG_UPROBE || kinds[k].prog == LB_PROG_URETPROBE) &&
		    !t->wild && evex_at(t, err, errlen))
			return -1;
		for (int i = 0; i < 6; i++) {
			snprintf(name, sizeof name, "arg%d", i);
			add_reg(t, name, arg_words[i] * 8, 0, 0);
		}
		if (kinds[k].ret)
			add_reg(t, "retval", LB_RET_REG * 8, 0, 0);
		return 0;
	case LBC_USDT: {
		int nargs = 0;

		if (lb_usdt_sites(t->binary, t->category, t->event, &t->sites, &t->nsites, err,
				  errlen))
			return -1;
		for (int i = 0; i < t->nsites; i++)
			if (t->sites[i].nargs > nargs)
				nargs = t->sites[i].nargs;
		for (int i = 0; i < nargs; i++) {
			snprintf(name, sizeof name, "arg%d", i);
			add_reg(t, name, (__u16)i, 0, 1);
		}
		return 0;
	}
	}
	return 0;
}

static int add_target(lua_State *L, struct lb_session *s, struct lb_txn *txn, struct lb_probe *p,
		      int k, struct target *t, char *err, size_t errlen)
{
	struct lb_usdt_arg usdt[LB_USDT_SITES][LB_USDT_ARGS];
	struct lbc_probe probe;
	struct lb_prog *pr;
	int id, rc;

	if ((rc = describe(s, k, t, err, errlen)))
		return rc;
	if ((id = lb_session_add_name(s, t->probe)) < 0 || !(pr = lb_probe_add_prog(p)) ||
	    !(pr->event = strdup(t->event)) || !(pr->category = strdup(t->category)) ||
	    !(pr->binary = strdup(t->binary))) {
		lb_free_fields(t->fields, t->nfields);
		free(t->sites);
		t->sites = NULL;
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pr->kind = kinds[k].prog;
	pr->offset = t->offset;
	pr->wild = t->wild;
	pr->sites = t->sites; /* the program's now; its args fill plan.usdt */
	pr->nsites = t->nsites;
	t->sites = NULL;
	memset(&probe, 0, sizeof probe);
	probe.name = t->probe;
	probe.probe_id = (__u32)id;
	probe.kind = kinds[k].lbc;
	probe.fields = kinds[k].lbc == LBC_TYPED ? t->fields : NULL;
	probe.nfields = kinds[k].lbc == LBC_TYPED ? t->nfields : 0;
	probe.regs = t->regs;
	probe.nregs = t->nregs;
	probe.types = s->btf ? lb_btf_types(s->btf) : NULL;
	probe.func = kinds[k].lbc != LBC_USDT && kinds[k].prog != LB_PROG_TPBTF ? t->event : NULL;
	for (int i = 0; i < pr->nsites && i < LB_USDT_SITES; i++)
		memcpy(usdt[i], pr->sites[i].args, sizeof usdt[i]);
	probe.usdt = usdt;
	probe.nusdt = pr->nsites < LB_USDT_SITES ? pr->nsites : LB_USDT_SITES;
	rc = lb_compile_probe(L, s, txn, 4, &probe, &pr->code, err, errlen); /* s, kind, spec, fn */
	lb_free_fields(t->fields, t->nfields);
	t->fields = NULL;
	t->nfields = 0;
	return rc;
}

static void drop_last_prog(struct lb_probe *p)
{
	struct lb_prog *pr = &p->progs[--p->nprogs];

	free(pr->event);
	free(pr->category);
	free(pr->binary);
	free(pr->sites);
	free(pr->offsets);
	free(pr->cookies);
	lb_free_strings(pr->funcs, pr->nfuncs);
}

/* Has the session a probe name starting with prefix? */
static int have_prefix(const struct lb_session *s, const char *prefix)
{
	size_t n = strlen(prefix);

	for (int i = 0; i < s->nnames; i++)
		if (!strncmp(s->names[i], prefix, n))
			return 1;
	return 0;
}

/* A uprobe wildcard on a kernel with uprobe_multi links: one program for
 * all its functions, compiled once; each function's cookie is its
 * e.probe index. 0 (*skipped: functions with no address to probe); 2 if
 * the handler reads e.func, a constant of each function's own plan, or
 * no function has an address: then the caller takes them one by one;
 * -1 with why in err. */
static int add_multi(lua_State *L, struct lb_session *s, struct lb_txn *txn, struct lb_probe *p,
		     int k, struct target *t, const char *pattern, char **names,
		     const uint64_t *offs, int nnames, int *skipped, char *err, size_t errlen)
{
	char prefix[900], *probe = NULL;
	struct lb_prog *pr;
	int first = -1, rc, n = 0, cap = 0, fresh;
	size_t longest = 0;

	for (int i = 0; i < nnames && first < 0; i++)
		if (offs[i])
			first = i;
	if (first < 0)
		return 2;
	snprintf(t->event, sizeof t->event, "%s", names[first]);
	snprintf(t->probe, sizeof t->probe, "%s:%s:%s", kinds[k].name, t->binary, t->event);
	snprintf(prefix, sizeof prefix, "%s:%s:", kinds[k].name, t->binary);
	fresh = !have_prefix(s, prefix);
	t->offset = offs[first];
	t->resolved = 1;
	t->nregs = 0;
	rc = add_target(L, s, txn, p, k, t, err, errlen);
	t->resolved = 0;
	if (rc)
		return rc;
	pr = &p->progs[p->nprogs - 1];
	if (pr->code.uses_func) {
		drop_last_prog(p);
		return 2;
	}
	free(pr->event);
	pr->event = strdup(pattern); /* messages: "uprobe:/lib/libc.so.6:* (N functions)" */
	pr->offsets = malloc((size_t)nnames * sizeof *pr->offsets);
	pr->cookies = malloc((size_t)nnames * sizeof *pr->cookies);
	for (int i = 0; i < nnames; i++)
		if (strlen(names[i]) > longest)
			longest = strlen(names[i]);
	probe = malloc(strlen(prefix) + longest + 1);
	rc = !pr->event || !pr->offsets || !pr->cookies || !probe ? -1 : 0;
	for (int i = 0; rc == 0 && i < nnames; i++) {
		int id;

		if (!offs[i]) {
			(*skipped)++;
			continue;
		}
		sprintf(probe, "%s%s", prefix, names[i]);
		id = i == first || !fresh ? lb_session_add_name(s, probe)
					  : lb_session_append_name(s, probe);
		if (id < 0 || lb_strings_push(&pr->funcs, &pr->nfuncs, &cap, names[i]))
			rc = -1;
		pr->offsets[n] = offs[i];
		pr->cookies[n++] = (uint64_t)id;
	}
	free(probe);
	if (rc)
		snprintf(err, errlen, "out of memory");
	return rc;
}

/* A wildcard's functions whose first instruction is AVX-512 (EVEX, its
 * 0x62 prefix: BOUND is no instruction in 64-bit code) are taken out of
 * names and offs into *evex: Linux 6.18 accepts a uprobe there, but the
 * traced process loses the instruction's result when the kernel steps
 * over it (libc's strchrnul then misses the '%' of "%lld": Lua's
 * string.format prints "%lld"). 0, or -1 with why. */
static int drop_evex(const char *path, char **names, uint64_t *offs, int *n, char ***evex,
		     int *nevex, char *err, size_t errlen)
{
	unsigned char *first = malloc((size_t)*n + 1);
	int cap = 0, m = 0;

	if (!first || lb_file_bytes(path, offs, *n, first, err, errlen)) {
		if (!first)
			snprintf(err, errlen, "out of memory");
		free(first);
		return -1;
	}
	for (int i = 0; i < *n; i++) {
		if (offs[i] && first[i] == 0x62) {
			if (lb_strings_push(evex, nevex, &cap, names[i])) {
				free(first);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			free(names[i]);
			continue;
		}
		names[m] = names[i];
		offs[m++] = offs[i];
	}
	*n = m;
	free(first);
	return 0;
}

/* Split "kind:a:b:c" after the kind prefix (optional) into parts. */
static int split(const char *spec, const char *kind, char parts[3][400])
{
	size_t kl = strlen(kind);
	int n = 0;

	if (strncmp(spec, kind, kl) == 0 && spec[kl] == ':')
		spec += kl + 1;
	while (n < 3) {
		const char *c = strchr(spec, ':');
		size_t len = c ? (size_t)(c - spec) : strlen(spec);

		if (len >= 400)
			return -1;
		memcpy(parts[n], spec, len);
		parts[n++][len] = 0;
		if (!c)
			break;
		spec = c + 1;
	}
	return n;
}

/* s:probe(kind, spec, fn) */
int lb_l_probe(lua_State *L)
{
	struct lb_session *s = lb_check_session(L, 1);
	const char *kname = luaL_checkstring(L, 2), *spec = luaL_checkstring(L, 3);
	char parts[3][400], err[LB_ERR * 2], **names = NULL, **evex = NULL;
	uint64_t *offs = NULL;
	int nevex = 0;
	struct lb_txn *txn;
	struct target *t;
	struct lb_probe *p;
	int k, n, nnames = 0, rc = 0, skipped = 0;

	luaL_checktype(L, 4, LUA_TFUNCTION);
	for (k = 0; k < (int)(sizeof kinds / sizeof *kinds); k++)
		if (strcmp(kinds[k].name, kname) == 0)
			break;
	if (k == (int)(sizeof kinds / sizeof *kinds))
		return luaL_error(L, "unknown probe kind '%s'", kname);
	if ((n = split(spec, kname, parts)) < 0)
		return luaL_error(L, "%s: a part of the probe name is longer than 399 bytes",
				  kname);
	if (!(t = calloc(1, sizeof *t)))
		return luaL_error(L, "out of memory");
	if (kinds[k].lbc != LBC_USDT &&
	    (kinds[k].lbc != LBC_REGS || kinds[k].prog == LB_PROG_KPROBE ||
	     kinds[k].prog == LB_PROG_KRETPROBE) &&
	    (!parts[n - 1][0] || parts[n - 1][0] == '+')) {
		free(t);
		return luaL_error(L, "%s '%s' must name a %s (e.g. \"%s\")", kname, spec,
				  kinds[k].prog == LB_PROG_TPBTF ? "raw tracepoint"
								 : "kernel function",
				  kinds[k].prog == LB_PROG_TPBTF ? "sched_switch" : "vfs_read");
	}
	if (!(p = lb_start_probe(L, s, spec, &txn))) {
		free(t);
		return luaL_error(L, "out of memory");
	}
	err[0] = 0;
	switch (kinds[k].lbc) {
	case LBC_TYPED: {
		const char *fn = parts[n - 1]; /* kfunc:vmlinux:vfs_read too */
		struct lb_btf *b = lb_session_btf(s, err, sizeof err);

		if (!b) {
			rc = -1;
			break;
		}
		if (kinds[k].prog != LB_PROG_TPBTF && strpbrk(fn, "*?[")) {
			lb_btf_funcs(b, fn, &names, &nnames);
			if (nnames == 0) {
				snprintf(err, sizeof err, "no kernel function matches '%s'", fn);
				rc = -1;
			}
		}
		for (int i = 0; rc == 0 && i < (names ? nnames : 1); i++) {
			snprintf(t->event, sizeof t->event, "%s", names ? names[i] : fn);
			snprintf(t->probe, sizeof t->probe, "%s:%s", kname, t->event);
			t->nregs = 0;
			rc = add_target(L, s, txn, p, k, t, err, sizeof err);
		}
		break;
	}
	case LBC_REGS:
		if (kinds[k].prog == LB_PROG_KPROBE || kinds[k].prog == LB_PROG_KRETPROBE) {
			char *plus = strchr(parts[n - 1], '+');

			if (plus) {
				*plus = 0;
				t->offset = strtoull(plus + 1, NULL, 0);
			}
			if (!plus && strpbrk(parts[n - 1], "*?[")) {
				if ((rc = lb_kprobe_funcs(parts[n - 1], &names, &nnames, err,
							  sizeof err)))
					break;
				if (nnames == 0) {
					snprintf(err, sizeof err,
						 "no kernel function matches '%s' (luabpf -l "
						 "'kprobe:PATTERN' lists them)",
						 parts[n - 1]);
					rc = -1;
				}
			}
			for (int i = 0; rc == 0 && i < (names ? nnames : 1); i++) {
				snprintf(t->event, sizeof t->event, "%s",
					 names ? names[i] : parts[n - 1]);
				snprintf(t->probe, sizeof t->probe, "%s:%s%s%.30s", kname, t->event,
					 plus ? "+" : "", plus ? plus + 1 : "");
				t->nregs = 0;
				rc = add_target(L, s, txn, p, k, t, err, sizeof err);
			}
			break;
		}
		if (n != 2 || !parts[0][0] || !parts[1][0]) {
			snprintf(err, sizeof err,
				 "%s '%s' must be BINARY:FUNCTION (a path or a "
				 "library name such as libc)",
				 kname, spec);
			rc = -1;
			break;
		}
		if ((rc = lb_resolve_binary(parts[0], s->pid, t->binary, sizeof t->binary, err,
					    sizeof err)))
			break;
		if (strpbrk(parts[1], "*?[")) {
			int st;

			if ((rc = lb_elf_functions(t->binary, parts[1], &names, &nnames, &st, err,
						   sizeof err)))
				break;
			if (nnames == 0) {
				snprintf(err, sizeof err, "no function of %s matches '%s'",
					 t->binary, parts[1]);
				rc = -1;
				break;
			}
		}
		t->wild = names != NULL;
		if (names && rc == 0) {
			if (!(offs = calloc((size_t)nnames, sizeof *offs)) ||
			    lb_elf_func_offsets(t->binary, names, nnames, offs, err, sizeof err) ||
			    drop_evex(t->binary, names, offs, &nnames, &evex, &nevex, err,
				      sizeof err)) {
				if (!offs)
					snprintf(err, sizeof err, "out of memory");
				rc = -1;
				break;
			}
			if (nnames == 0) {
				snprintf(err, sizeof err,
					 "every function of %s matching '%s' starts with an "
					 "AVX-512 instruction, which uprobes cannot step over "
					 "safely",
					 t->binary, parts[1]);
				rc = -1;
				break;
			}
		}
		if (names && lb_uprobe_multi_supported() &&
		    (rc = add_multi(L, s, txn, p, k, t, parts[1], names, offs, nnames, &skipped,
				    err, sizeof err)) != 2)
			break;
		rc = 0;
		for (int i = 0; rc == 0 && i < (names ? nnames : 1); i++) {
			snprintf(t->event, sizeof t->event, "%s", names ? names[i] : parts[1]);
			snprintf(t->probe, sizeof t->probe, "%s:%s:%s", kname, t->binary, t->event);
			t->nregs = 0;
			t->offset = offs ? offs[i] : 0;
			t->resolved = t->offset != 0; /* else describe() says why not */
			if ((rc = add_target(L, s, txn, p, k, t, err, sizeof err)) == 1) {
				skipped++;
				rc = 0;
			}
		}
		if (rc == 0 && names && skipped == nnames) {
			size_t used = strlen(err);

			snprintf(err + used, sizeof err - used,
				 " (no function matching '%s' can be probed)", parts[1]);
			rc = -1;
		}
		break;
	case LBC_USDT:
		if (n != 3 || !parts[0][0] || !parts[1][0] || !parts[2][0]) {
			snprintf(err, sizeof err, "usdt '%s' must be BINARY:PROVIDER:NAME", spec);
			rc = -1;
			break;
		}
		if ((rc = lb_resolve_binary(parts[0], s->pid, t->binary, sizeof t->binary, err,
					    sizeof err)))
			break;
		snprintf(t->category, sizeof t->category, "%s", parts[1]);
		snprintf(t->event, sizeof t->event, "%s", parts[2]);
		snprintf(t->probe, sizeof t->probe, "usdt:%s:%s:%s", t->binary, t->category,
			 t->event);
		rc = add_target(L, s, txn, p, k, t, err, sizeof err);
		break;
	}
	lb_free_strings(names, nnames);
	free(offs);
	free(t);
	if (rc)
		lb_free_strings(evex, nevex);
	lb_finish_probe(L, s, txn, rc, err, sizeof err);
	lua_pushinteger(L, skipped);  /* functions of a wildcard with no address */
	lua_createtable(L, nevex, 0); /* and those left out for their AVX-512 */
	for (int i = 0; i < nevex; i++) {
		lua_pushstring(L, evex[i]);
		lua_rawseti(L, -2, i + 1);
	}
	lb_free_strings(evex, nevex);
	return 3;
}
