/* Template for USDT probes, through libbpf's USDT support: the argument
 * specs come from the probe's note, bpf_usdt_arg decodes them. */
#define __TARGET_ARCH_x86
#define LB_USDT_ARG /* interp.h: LB_OP_USDT_ARG uses bpf_usdt_arg */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/ptrace.h>
#include <bpf/bpf_helpers.h>
#include <bpf/usdt.bpf.h>
#include "interp.h"

SEC("usdt")
int lb_usdt(struct pt_regs *ctx)
{
	return lb_run(ctx, LB_PROBE_ID(LB_PROBE_SESSION, plan.probe_id));
}
