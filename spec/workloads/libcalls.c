/* libcalls: known numbers of calls of a few libc functions, for uprobe
 * wildcards over libc.
 *
 * usage: libcalls [--calls N] [--wait-signal]
 *
 * Default --calls 100. Prints `pid=<pid>` (flushed); with --wait-signal
 * waits for SIGUSR1 (start a tracer, then `kill -USR1 pid`); then calls
 * getppid() N times, getuid() 2N times and geteuid() 3N times, through
 * libc (plain syscall wrappers nothing else in this program or in libc's
 * exit path calls), prints `done` and exits 0.
 *
 * evex_first, never called, starts with an AVX-512 (EVEX) instruction:
 * a uprobe on it must be refused whatever this CPU has. */
#define _GNU_SOURCE
#include "workload.h"

__asm__(".globl evex_first\n"
	".type evex_first, @function\n"
	"evex_first:\n"
	"\tvpxord %zmm0, %zmm0, %zmm0\n"
	"\tret\n"
	".size evex_first, . - evex_first\n");

int main(int argc, char **argv)
{
	long calls = 100;
	int wait = 0;
	const struct wl_opt opts[] = {WL_OPT_NUM("--calls", &calls),
				      WL_OPT_FLAG("--wait-signal", &wait), WL_OPT_END};

	wl_parse(argc, argv, opts, NULL, "usage: libcalls [--calls N] [--wait-signal]\n");
	wl_start("libcalls", wait);
	for (long i = 0; i < calls; i++) {
		getppid();
		getuid();
		getuid();
		geteuid();
		geteuid();
		geteuid();
	}
	printf("done\n");
	return 0;
}
