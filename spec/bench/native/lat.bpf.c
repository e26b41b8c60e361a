/* Native baseline of the enter/exit latency histogram on getppid():
 * enter stores nsecs by tid, exit adds log2(now - then) to a per-CPU
 * histogram and deletes the entry (bpftrace's hist() buckets). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define NBUCKETS 66

const volatile __u32 self_pid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NBUCKETS);
	__type(key, __u32);
	__type(value, __u64);
} hist SEC(".maps");

/* bucket 0: negative, 1: zero, 2 + floor(log2(v)) otherwise */
static __always_inline __u32 bucket(__s64 v)
{
	__u64 x = v;
	__u32 r = 0;

	if (v < 0)
		return 0;
	if (v == 0)
		return 1;
	if (x >> 32) {
		x >>= 32;
		r += 32;
	}
	if (x >> 16) {
		x >>= 16;
		r += 16;
	}
	if (x >> 8) {
		x >>= 8;
		r += 8;
	}
	if (x >> 4) {
		x >>= 4;
		r += 4;
	}
	if (x >> 2) {
		x >>= 2;
		r += 2;
	}
	if (x >> 1)
		r += 1;
	return r + 2;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int lat_enter(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), ts = bpf_ktime_get_ns();
	__u32 tid = id;

	(void)ctx;
	if (id >> 32 == self_pid)
		return 0;
	bpf_map_update_elem(&start, &tid, &ts, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_getppid")
int lat_exit(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), *then, *n;
	__u32 tid = id, b;

	(void)ctx;
	if (id >> 32 == self_pid)
		return 0;
	then = bpf_map_lookup_elem(&start, &tid);
	if (!then)
		return 0;
	b = bucket(bpf_ktime_get_ns() - *then);
	n = bpf_map_lookup_elem(&hist, &b);
	if (n)
		*n += 1;
	bpf_map_delete_elem(&start, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
