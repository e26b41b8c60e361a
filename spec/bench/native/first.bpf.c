/* Native start-up baseline: the first getppid() of the comm "benchmark"
 * sets `hit`.  Two ways to attach the same work: a perf-event tracepoint
 * (syscalls:sys_enter_getppid, what luabpf and bpftrace use) and a raw
 * tracepoint (raw_syscalls:sys_enter filtered by syscall number), whose
 * release needs no RCU wait in the closing thread. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u64 targ_nr = 110; /* __NR_getppid (x86-64) */

int hit = 0;

static __always_inline int check(void)
{
	char comm[16];

	bpf_get_current_comm(comm, sizeof comm);
	if (comm[0] == 'b' && comm[1] == 'e' && comm[2] == 'n' && comm[3] == 'c' &&
	    comm[4] == 'h' && comm[5] == 'm' && comm[6] == 'a' && comm[7] == 'r' &&
	    comm[8] == 'k' && !comm[9])
		hit = 1;
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int first_tp(void *ctx)
{
	(void)ctx;
	return check();
}

SEC("raw_tracepoint/sys_enter")
int first_raw(struct bpf_raw_tracepoint_args *ctx)
{
	if (ctx->args[1] != targ_nr)
		return 0;
	return check();
}

char LICENSE[] SEC("license") = "GPL";
