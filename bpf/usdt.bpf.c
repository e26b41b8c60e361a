/* Template for USDT probes: a uprobe at each of the probe's call sites,
 * the attach cookie saying which; LB_OP_USDT_ARG reads the arguments as
 * the plan's per-site specs say (interp.h: lb_usdt_arg). */
#define LB_USDT
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include "interp.h"

SEC("uprobe")
int lb_usdt(struct pt_regs *ctx)
{
	return lb_run(ctx, LB_PROBE_ID(LB_PROBE_SESSION, plan.probe_id));
}
