/* Templates for kprobes and kretprobes: ctx is the kernel's pt_regs. */
#include "interp.h"

SEC("kprobe")
int lb_kprobe(void *ctx)
{
	return lb_run(ctx, LB_PROBE_ID(LB_PROBE_SESSION, plan.probe_id));
}

SEC("kretprobe")
int lb_kretprobe(void *ctx)
{
	return lb_run(ctx, LB_PROBE_ID(LB_PROBE_SESSION, plan.probe_id));
}
