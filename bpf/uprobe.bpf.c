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

/* Every function of a wildcard through one program and uprobe_multi
 * links (Linux 6.6): each offset's cookie is its function's index in the
 * session's probe table, so e.probe still names the function. The
 * runtime sets the attach type before load (libbpf 1.1 has no section
 * name for it); return probes are a flag of the link. */
SEC("uprobe")
int lb_uprobe_multi(void *ctx)
{
	return lb_run(ctx, LB_PROBE_ID(LB_PROBE_SESSION, (__u32)bpf_get_attach_cookie(ctx)));
}
