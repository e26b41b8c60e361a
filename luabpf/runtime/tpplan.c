/* Planning a tracepoint probe: which programs a pattern becomes. A
 * wildcard groups the sys_enter_ and sys_exit_ tracepoints it matches onto
 * raw_syscalls with a mask of the matched numbers, with the fields they
 * all share at the same place; everything else is one program each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime.h"
#include "tpplan.h"

static struct lb_tpgroup *add_group(struct lb_tpplan *pl, const char *target)
{
	struct lb_tpgroup *v = lb_append(pl->groups, (size_t)pl->ngroups, sizeof *v);

	if (!v)
		return NULL;
	pl->groups = v;
	v += pl->ngroups;
	if (!(v->target = strdup(target)))
		return NULL;
	pl->ngroups++;
	return v;
}

static int fields_of(const char *target, struct lbc_field **out, int *n, char *err, size_t errlen)
{
	const char *colon = strchr(target, ':');
	char cat[64];

	snprintf(cat, sizeof cat, "%.*s", (int)(colon - target), target);
	return lb_tp_fields(cat, colon + 1, out, n, err, errlen);
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

/* The fields every member has, at the same place. */
static int common_fields(const struct lb_tpplan *pl, struct lb_tpgroup *g, char *err, size_t errlen)
{
	if (fields_of(pl->targets[g->members[0]], &g->fields, &g->nfields, err, errlen))
		return -1;
	for (int t = 1; t < g->nmembers && g->nfields > 0; t++) {
		struct lbc_field *f;
		int nf, kept = 0;

		if (fields_of(pl->targets[g->members[t]], &f, &nf, err, errlen))
			return -1;
		for (int i = 0; i < g->nfields; i++) {
			if (has_field(f, nf, &g->fields[i]))
				g->fields[kept++] = g->fields[i];
			else
				lb_clear_field(&g->fields[i]);
		}
		g->nfields = kept;
		lb_free_fields(f, nf);
	}
	return 0;
}

static int add_single(struct lb_tpplan *pl, int i, char *err, size_t errlen)
{
	struct lb_tpgroup *g = add_group(pl, pl->targets[i]);

	if (!g || !(g->members = malloc(sizeof *g->members))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	g->members[0] = i;
	g->nmembers = 1;
	return fields_of(pl->targets[i], &g->fields, &g->nfields, err, errlen);
}

static int plan_syscalls(struct lb_tpplan *pl, char *err, size_t errlen)
{
	static const char *dirs[] = {"syscalls:sys_enter_", "syscalls:sys_exit_"};
	static const char *raw[] = {"raw_syscalls:sys_enter", "raw_syscalls:sys_exit"};

	for (int d = 0; d < 2; d++) {
		size_t plen = strlen(dirs[d]);
		int *idx = malloc(sizeof *idx * (size_t)pl->ntargets), m = 0;
		struct lb_tpgroup *g;

		if (!idx) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		for (int i = 0; i < pl->ntargets; i++) {
			int nr;

			if (strncmp(pl->targets[i], dirs[d], plen) != 0)
				continue;
			nr = lb_syscall_nr(pl->targets[i] + plen);
			if (nr >= 0 && nr < LB_SYSMASK * 64)
				idx[m++] = i;
			else if (add_single(pl, i, err, errlen)) { /* no number known */
				free(idx);
				return -1;
			}
		}
		if (m == 0) {
			free(idx);
			continue;
		}
		if (!(g = add_group(pl, raw[d]))) {
			free(idx);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		g->sysmode = d ? LB_SYS_EXIT : LB_SYS_ENTER;
		g->prefix_len = (int)plen;
		g->members = idx;
		g->nmembers = m;
		for (int j = 0; j < m; j++) {
			int nr = lb_syscall_nr(pl->targets[idx[j]] + plen);

			g->sysmask[nr / 64] |= 1ULL << (nr % 64);
		}
		if (common_fields(pl, g, err, errlen))
			return -1;
	}
	/* the rest of the matches one by one */
	for (int i = 0; i < pl->ntargets; i++)
		if (strncmp(pl->targets[i], dirs[0], strlen(dirs[0])) &&
		    strncmp(pl->targets[i], dirs[1], strlen(dirs[1])) &&
		    add_single(pl, i, err, errlen))
			return -1;
	return 0;
}

int lb_tpplan_syscalls(const char *pattern)
{
	return strncmp(pattern, "syscalls:", 9) == 0 && strpbrk(pattern + 9, "*?[");
}

int lb_tpplan(const char *pattern, struct lb_tpplan *pl, char *err, size_t errlen)
{
	memset(pl, 0, sizeof *pl);
	if (lb_tracepoints(pattern, &pl->targets, &pl->ntargets, err, errlen))
		return -1;
	if (pl->ntargets == 0) {
		snprintf(err, errlen, "no tracepoint matches '" LB_CLIP_FMT "'", LB_CLIP(pattern));
		goto fail;
	}
	/* any wildcard ("*:*" too) groups the syscalls it matches: 700
	 * perf-event tracepoints would take ~35 s to release */
	if (strpbrk(pattern, "*?[")) {
		pl->syscalls = lb_tpplan_syscalls(pattern);
		if (plan_syscalls(pl, err, errlen))
			goto fail;
		return 0;
	}
	for (int i = 0; i < pl->ntargets; i++)
		if (add_single(pl, i, err, errlen))
			goto fail;
	return 0;
fail:
	lb_tpplan_free(pl);
	return -1;
}

int lb_tpplan_split(struct lb_tpplan *pl, int g, char *err, size_t errlen)
{
	struct lb_tpgroup old = pl->groups[g], *tail;
	int n = old.nmembers, base, rc = 0;

	memmove(&pl->groups[g], &pl->groups[g + 1],
		(size_t)(pl->ngroups - g - 1) * sizeof *pl->groups);
	pl->ngroups--;
	base = pl->ngroups;
	for (int j = 0; j < n && rc == 0; j++)
		rc = add_single(pl, old.members[j], err, errlen);
	free(old.target);
	free(old.members);
	lb_free_fields(old.fields, old.nfields);
	if (rc)
		return -1;
	/* in g's place, so programs keep the order the targets have */
	if (!(tail = malloc((size_t)n * sizeof *tail))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(tail, &pl->groups[base], (size_t)n * sizeof *tail);
	memmove(&pl->groups[g + n], &pl->groups[g], (size_t)(base - g) * sizeof *tail);
	memcpy(&pl->groups[g], tail, (size_t)n * sizeof *tail);
	free(tail);
	return 0;
}

int lb_tpplan_lacking(const struct lb_tpplan *pl, const struct lb_tpgroup *g, const char *field,
		      char *err, size_t errlen)
{
	size_t used = strlen(err);
	int lack = 0, have = 0, n = g ? g->nmembers : pl->ntargets;

	for (int t = 0; t < n; t++) {
		const char *target = pl->targets[g ? g->members[t] : t];
		struct lbc_field *f;
		char e2[8];
		int nf, found = 0;

		if (fields_of(target, &f, &nf, e2, sizeof e2))
			continue;
		for (int i = 0; i < nf && !found; i++)
			found = strcmp(f[i].name, field) == 0;
		lb_free_fields(f, nf);
		if (found) {
			have++;
			continue;
		}
		if (used + 1 < errlen)
			used += snprintf(
			    err + used, errlen - used, "%s%s",
			    lack++ ? ", " : "\nthese matched tracepoints lack it: ", target);
	}
	if (lack == 0 && have == 0)
		return 0;
	if (lack && used + 1 < errlen)
		snprintf(err + used, errlen - used, " (%d of %d)", lack, n);
	return have;
}

void lb_tpplan_free(struct lb_tpplan *pl)
{
	for (int i = 0; i < pl->ngroups; i++) {
		free(pl->groups[i].target);
		free(pl->groups[i].members);
		lb_free_fields(pl->groups[i].fields, pl->groups[i].nfields);
	}
	free(pl->groups);
	lb_free_strings(pl->targets, pl->ntargets);
	memset(pl, 0, sizeof *pl);
}
