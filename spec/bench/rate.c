/* rate: paced getppid() load for the printf-throughput benchmark of
 * spec/bench/run.
 *
 *   rate --comm NAME --per-sec R --seconds S
 *
 * Sets its comm to NAME (default "benchrec"), then for S seconds makes
 * getppid() calls with syscall(2) at R calls per second: in 1 ms ticks, it
 * catches up to R * elapsed calls, then sleeps (clock_nanosleep,
 * TIMER_ABSTIME) to the next tick. If the calls themselves are too slow
 * (a tracer that slows each call down), it falls behind and makes fewer
 * calls than R * S; it stops at S seconds in any case. Prints
 * "CALLS SECONDS" on stdout: the calls made and the time they took.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define TICK_NS 1000000L

static long long ns(const struct timespec *t)
{
	return t->tv_sec * 1000000000LL + t->tv_nsec;
}

int main(int argc, char **argv)
{
	const char *comm = "benchrec";
	double per_sec = 0, seconds = 0;
	struct timespec t0, now, next;
	long long end, due, calls = 0;
	int i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--comm"))
			comm = argv[i + 1];
		else if (!strcmp(argv[i], "--per-sec"))
			per_sec = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds"))
			seconds = atof(argv[i + 1]);
		else
			break;
	}
	if (i != argc || per_sec <= 0 || seconds <= 0) {
		fprintf(stderr, "usage: rate --comm NAME --per-sec R --seconds S\n");
		return 2;
	}
	prctl(PR_SET_NAME, comm, 0, 0, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	end = ns(&t0) + (long long)(seconds * 1e9);
	next = t0;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ns(&now) >= end)
			break;
		/* calls due by now; at most one tick's worth per check of the
		 * clock, so that a slow tracer cannot make us overrun S */
		due = (long long)((ns(&now) - ns(&t0)) * per_sec / 1e9) + 1;
		if (due - calls > (long long)(per_sec * TICK_NS / 1e9) + 1)
			due = calls + (long long)(per_sec * TICK_NS / 1e9) + 1;
		while (calls < due) {
			syscall(SYS_getppid);
			calls++;
		}
		next.tv_nsec += TICK_NS;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		if (ns(&next) > ns(&now))
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		else
			next = now;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	printf("%lld %.3f\n", calls, (ns(&now) - ns(&t0)) / 1e9);
	return 0;
}
