/* The floor of the per-syscall benchmark: an empty program on
 * tracepoint raw_syscalls:sys_enter (the attach point of bpftrace's
 * `tracepoint:raw_syscalls:sys_enter` and of luabpf's syscall fast path). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tracepoint/raw_syscalls/sys_enter")
int empty(void *ctx)
{
	(void)ctx;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
