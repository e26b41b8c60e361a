/* Template for tracepoints, and for syscall wildcards through
 * raw_syscalls:sys_enter/sys_exit filtered by syscall number: one
 * attach instead of hundreds (each syscalls:* attach costs an RCU wait). */
#include "interp.h"

SEC("tracepoint")
int lb_tracepoint(void *ctx)
{
	__u64 probe = LB_PROBE_ID(LB_PROBE_SESSION, plan.probe_id);

	if (plan.sysmode) {
		/* raw_syscalls record: long id at 8, then args[6] / ret at 16,
		 * the same offsets as the syscalls:* records. */
		__u64 nr = *(long *)(ctx + 8);

		if (nr >= LB_SYSMASK * 64 || !(plan.sysmask[nr / 64] & (1ULL << (nr % 64))))
			return 0;
		probe = LB_PROBE_ID((__u64)plan.sysmode, nr);
	}
	return lb_run(ctx, probe);
}
