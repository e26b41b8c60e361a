/* Templates for BTF-typed probes: kfunc (fentry), kretfunc (fexit) and
 * BTF raw tracepoints (tp_btf). The loader sets the attach target and
 * loads only the program it needs. ctx is the u64 array of arguments. */
#include "interp.h"

SEC("fentry")
int lb_fentry(void *ctx)
{
	return lb_run(ctx, LB_PROBE_ID(LB_PROBE_SESSION, plan.probe_id));
}

SEC("fexit")
int lb_fexit(void *ctx)
{
	return lb_run(ctx, LB_PROBE_ID(LB_PROBE_SESSION, plan.probe_id));
}

SEC("tp_btf")
int lb_tp_btf(void *ctx)
{
	return lb_run(ctx, LB_PROBE_ID(LB_PROBE_SESSION, plan.probe_id));
}
