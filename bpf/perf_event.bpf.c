/* Template for profile probes: a perf event on every CPU. */
#include "interp.h"

SEC("perf_event")
int lb_perf_event(void *ctx)
{
	return lb_run(ctx, LB_PROBE_ID(LB_PROBE_SESSION, plan.probe_id));
}
