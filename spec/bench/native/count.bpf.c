/* Native baseline of `@[comm] = count()` on every syscall: what a
 * hand-written libbpf tool does (raw_syscalls:sys_enter, a per-CPU hash of
 * comm to count), skipping the tracer's own process as luabpf does. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile __u32 self_pid = 0;

struct comm {
	char s[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct comm);
	__type(value, __u64);
} counts SEC(".maps");

SEC("tracepoint/raw_syscalls/sys_enter")
int count_enter(void *ctx)
{
	struct comm k = {};
	__u64 one = 1, *v;

	(void)ctx;
	if (bpf_get_current_pid_tgid() >> 32 == self_pid)
		return 0;
	bpf_get_current_comm(k.s, sizeof k.s);
	v = bpf_map_lookup_elem(&counts, &k);
	if (v)
		*v += 1;
	else
		bpf_map_update_elem(&counts, &k, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
