/* The floor of the opens benchmark: empty programs on
 * syscalls:sys_enter_open and syscalls:sys_enter_openat, the attach points
 * of scripts/opens.lua and its bpftrace equivalent (floor.c loads and
 * attaches both). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_open")
int empty_open(void *ctx)
{
	(void)ctx;
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int empty_openat(void *ctx)
{
	(void)ctx;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
