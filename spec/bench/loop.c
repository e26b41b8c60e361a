/* loop: benchmark load for spec/bench/run.
 *
 *   loop N            make N getppid() calls with syscall(2) and print the
 *                     mean cost in ns/call (CLOCK_MONOTONIC), e.g. "123.4"
 *   loop --openat N   the same with N openat(AT_FDCWD, OPEN_PATH, O_RDONLY)
 *                     calls; OPEN_PATH does not exist, so each call fails
 *                     fast (ENOENT) after the kernel has read the string
 *   loop --uprobe N   the same with N calls of bench_uprobe_target(), an
 *                     empty user function (the uprobe benchmark's probe)
 *   loop --tick US    forever: one getppid() call, then sleep US microseconds
 *                     (the background load of the start-up benchmark)
 *
 * The comm is always "benchmark" (the start-up probes filter on it).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define OPEN_PATH "/nonexistent/luabpf-bench"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* not inlined and not elided: a uprobe needs a real call to fire on */
__attribute__((noinline)) void bench_uprobe_target(long i)
{
	__asm__ volatile("" : : "r"(i) : "memory");
}

int main(int argc, char **argv)
{
	prctl(PR_SET_NAME, "benchmark", 0, 0, 0);
	if (argc == 2 && !strcmp(argv[1], "--now")) { /* the clock of e.nsecs */
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		printf("%lld\n", (long long)ts.tv_sec * 1000000000 + ts.tv_nsec);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "--tick")) {
		long us = atol(argv[2]);
		struct timespec ts = {us / 1000000, (us % 1000000) * 1000};

		for (;;) {
			syscall(SYS_getppid);
			nanosleep(&ts, NULL);
		}
	}
	if (argc == 2 ||
	    (argc == 3 && (!strcmp(argv[1], "--openat") || !strcmp(argv[1], "--uprobe")))) {
		long n = atol(argv[argc - 1]), i;
		int openat_mode = argc == 3 && !strcmp(argv[1], "--openat");
		int uprobe_mode = argc == 3 && !strcmp(argv[1], "--uprobe");
		double t0, t1;

		if (n <= 0)
			return 2;
		if (uprobe_mode) {
			for (i = 0; i < n / 100 + 1; i++) /* warm up */
				bench_uprobe_target(i);
			t0 = now_ns();
			for (i = 0; i < n; i++)
				bench_uprobe_target(i);
			t1 = now_ns();
		} else if (openat_mode) {
			for (i = 0; i < n / 100 + 1; i++) /* warm up */
				syscall(SYS_openat, AT_FDCWD, OPEN_PATH, O_RDONLY);
			t0 = now_ns();
			for (i = 0; i < n; i++)
				syscall(SYS_openat, AT_FDCWD, OPEN_PATH, O_RDONLY);
			t1 = now_ns();
		} else {
			for (i = 0; i < n / 100 + 1; i++) /* warm up */
				syscall(SYS_getppid);
			t0 = now_ns();
			for (i = 0; i < n; i++)
				syscall(SYS_getppid);
			t1 = now_ns();
		}
		printf("%.1f\n", (t1 - t0) / n);
		return 0;
	}
	fprintf(stderr, "usage: loop N | loop --openat N | loop --uprobe N | loop --tick US\n");
	return 2;
}
