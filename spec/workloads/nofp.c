/* nofp: a call chain built without frame pointers, for stack specs.
 *
 * usage: nofp [--wait-signal] [--spin MS] [--clock] [--calls N] [--gap-us U]
 *             [--hold]
 *
 * Built with -O2 -fomit-frame-pointer (see the Makefile), as Debian builds
 * its binaries: main -> level1 -> level2 -> level3, each noinline, each
 * with a frame of its own (a local array) and work after its call (so no
 * tail call removes it). Prints "pid=<pid>" first (and waits for SIGUSR1
 * with --wait-signal). --spin MS: calls the chain until MS milliseconds
 * have passed, level3 spinning on the CPU (~1 ms per call, main only
 * checks the clock between calls), for profiles. --calls N: calls the
 * chain exactly N times (level3 does a few microseconds of work), sleeping
 * U microseconds before each call with --gap-us, for uprobes. With
 * --clock, level3 reads the clock (clock_gettime, in the vDSO) in its
 * loop, so samples land in the vDSO's code. Then exits, or prints "done"
 * and waits for SIGUSR1 with --hold. */
#include "workload.h"

static volatile unsigned long sink;
static int use_clock;

__attribute__((noinline)) unsigned long level3(unsigned long n)
{
	volatile unsigned long v[8];
	unsigned long x = n;

	for (unsigned long i = 0; i < n; i++) {
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		v[i & 7] = x;
		if (use_clock && !(i & 15)) {
			struct timespec ts;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			x += (unsigned long)ts.tv_nsec;
		}
	}
	return x ^ v[n & 7];
}

__attribute__((noinline)) unsigned long level2(unsigned long n)
{
	volatile unsigned long v[4] = {n, n + 1, n + 2, n + 3};
	unsigned long r = level3(v[n & 3]);

	sink = r;
	return r + v[1];
}

__attribute__((noinline)) unsigned long level1(unsigned long n)
{
	volatile unsigned long v[6] = {n, n, n, n, n, n};
	unsigned long r = level2(v[n % 6]);

	sink = r;
	return r * 3 + v[2];
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	int spin = 0, calls = 0, gap_us = 0, wait = 0, hold = 0;
	sigset_t set;

	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : "0";

		if (!strcmp(argv[i], "--spin"))
			spin = atoi(v), i++;
		else if (!strcmp(argv[i], "--calls"))
			calls = atoi(v), i++;
		else if (!strcmp(argv[i], "--gap-us"))
			gap_us = atoi(v), i++;
		else if (!strcmp(argv[i], "--wait-signal"))
			wait = 1;
		else if (!strcmp(argv[i], "--clock"))
			use_clock = 1;
		else if (!strcmp(argv[i], "--hold"))
			hold = 1;
		else {
			fprintf(stderr, "nofp: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	wl_sigusr1(&set, 1);
	wl_print_pid();
	if (wait)
		wl_wait_sigusr1(&set);
	if (spin) {
		double end = now_ms() + spin;

		while (now_ms() < end)
			sink += level1(400000);
	}
	for (int i = 0; i < calls; i++) {
		struct timespec ts = {0, gap_us * 1000L};

		if (gap_us)
			nanosleep(&ts, NULL);
		sink += level1(1000);
	}
	if (hold) {
		printf("done\n");
		fflush(stdout);
		wl_wait_sigusr1(&set);
	}
	return 0;
}
