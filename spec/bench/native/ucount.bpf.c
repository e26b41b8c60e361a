/* Native baseline of a uprobe count, `@ = count()` on a user function:
 * one per-CPU counter, skipping the tracer's own process as luabpf does.
 * The user side attaches it to targ_path:targ_func. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 self_pid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} calls SEC(".maps");

SEC("uprobe")
int ucount(void *ctx)
{
	__u32 zero = 0;
	__u64 *n;

	(void)ctx;
	if (bpf_get_current_pid_tgid() >> 32 == self_pid)
		return 0;
	n = bpf_map_lookup_elem(&calls, &zero);
	if (n)
		*n += 1;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
