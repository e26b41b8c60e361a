/* Templates for uprobes and uretprobes: ctx is the user pt_regs. */
#include "interp.h"

SEC("uprobe")
int lb_uprobe(void *ctx)
{
	return lb_run(ctx, LB_PROBE_ID(LB_PROBE_SESSION, plan.probe_id));
}

SEC("uretprobe")
int lb_uretprobe(void *ctx)
{
	return lb_run(ctx, LB_PROBE_ID(LB_PROBE_SESSION, plan.probe_id));
}
