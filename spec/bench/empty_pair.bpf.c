/* The floor of the enter/exit latency benchmark: empty programs on
 * syscalls:sys_enter_getppid and syscalls:sys_exit_getppid, the attach
 * points of the bpftrace and luabpf latency-hist scripts (floor.c loads
 * and attaches both). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tracepoint/syscalls/sys_enter_getppid")
int empty_enter(void *ctx)
{
	(void)ctx;
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_getppid")
int empty_exit(void *ctx)
{
	(void)ctx;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
