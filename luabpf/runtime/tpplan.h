/* Tracepoint probe planning: a pattern -> the programs to compile, each
 * with its fields. Plain C (tracefs and syscall numbers only). */
#ifndef LUABPF_TPPLAN_H
#define LUABPF_TPPLAN_H

#include <stdint.h>
#include "compiler/compiler.h"

/* One program: a tracepoint, or raw_syscalls filtered by sysmask. */
struct lb_tpgroup {
	char *target;		   /* "cat:event" to attach to */
	int sysmode;		   /* 0, LB_SYS_ENTER or LB_SYS_EXIT */
	int prefix_len;		   /* syscall group: strlen("syscalls:sys_enter_") */
	__u64 sysmask[LB_SYSMASK]; /* syscall group: the members' numbers */
	int *members;		   /* indexes into the plan's targets */
	int nmembers;
	struct lbc_field *fields; /* all members have them, at the same place */
	int nfields;
};

struct lb_tpplan {
	char **targets; /* every matched "cat:event", sorted */
	int ntargets;
	struct lb_tpgroup *groups;
	int ngroups;
	int syscalls; /* a syscalls:* wildcard (its syscalls are planned by
			 number, as those of any wildcard are) */
};

/* A syscalls:* wildcard: planned onto raw_syscalls by number. */
int lb_tpplan_syscalls(const char *pattern);
/* Plan "cat:event" globs; 0, or -1 with why in err (no match included). */
int lb_tpplan(const char *pattern, struct lb_tpplan *pl, char *err, size_t errlen);
/* Group g replaced by its members, one program each, in its place. */
int lb_tpplan_split(struct lb_tpplan *pl, int g, char *err, size_t errlen);
/* After "no field X": append to err which members of g (all targets if
 * g is NULL) lack it; returns how many have it. */
int lb_tpplan_lacking(const struct lb_tpplan *pl, const struct lb_tpgroup *g, const char *field,
		      char *err, size_t errlen);
void lb_tpplan_free(struct lb_tpplan *pl);

#endif
