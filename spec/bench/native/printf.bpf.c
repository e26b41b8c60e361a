/* Native baseline of the printf benchmark: one {tid, pid} record per
 * getppid() of the comm targ_comm through a ring buffer (user space
 * prints "TID PID"); records the ring had no room for are counted. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

const volatile char targ_comm[16] = "benchrec";

struct rec {
	__u32 tid, pid;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getppid")
int printf_enter(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	char comm[16];
	struct rec r;
	__u32 zero = 0;
	__u64 *n;

	(void)ctx;
	bpf_get_current_comm(comm, sizeof comm);
	for (int i = 0; i < 16; i++) {
		if (comm[i] != targ_comm[i])
			return 0;
		if (!comm[i])
			break;
	}
	r.tid = id;
	r.pid = id >> 32;
	if (bpf_ringbuf_output(&events, &r, sizeof r, 0) && (n = bpf_map_lookup_elem(&lost, &zero)))
		*n += 1;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
