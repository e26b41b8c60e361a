/* core: the lab's five busy threads, with exact syscall counts.
 *
 * usage: core [--seconds S | --rounds R] [--calls C] [--seed X]
 *             [--wait-signal]
 *
 * Defaults: --seconds 0 (run until killed, like the lab's program)
 *           --calls 100 --seed 1.
 *
 * Order of events:
 *   1. five threads are started; each takes the name sysCallTH<k>
 *      (k = 1..5, prctl(PR_SET_NAME)) and publishes its tid;
 *   2. one line on stdout, flushed:
 *          pid=<pid> tids=<tid of sysCallTH1>,...,<tid of sysCallTH5>
 *   3. with --wait-signal, the threads wait (futex-free: a pipe read)
 *      until the process gets SIGUSR1;
 *   4. each thread, round after round: C gettid() calls through
 *      syscall(2) (no libc caching), then a sleep of 50-550 ms chosen
 *      by a deterministic pseudo-random sequence (per thread, from the
 *      seed); with --rounds R each thread makes exactly R rounds, with
 *      --seconds S it stops starting rounds after S seconds;
 *   5. the main thread joins them, prints `rounds=<r1>,...,<r5>` (the
 *      rounds each thread made) and exits 0.
 *
 * Each thread learns its own tid before it takes its name, so under
 * comm sysCallTH<k> the thread makes exactly C x r<k> gettid calls: with
 * --rounds R, C x R each, 5 x C x R in all.  The main thread keeps the
 * program's name ("core"); the 5 gettid calls made under comm "core"
 * are the threads' own, before they take their names (step 1).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/syscall.h>

#include "workload.h"

#define NTHREADS 5

static long seconds, rounds = -1, calls = 100, seed = 1;
static int wait_signal;
static int gate[2]; /* a byte per thread opens the gate */
static struct timespec start;

struct worker {
	int k;
	pid_t tid;
	long rounds;
	pthread_t th;
	int ready[2];
};

static double elapsed(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	char name[16];
	unsigned long x = (unsigned long)seed * 2654435761UL + (unsigned long)w->k * 40503UL;
	long r, c;

	w->tid = (pid_t)syscall(SYS_gettid); /* before the name: not counted */
	snprintf(name, sizeof(name), "sysCallTH%d", w->k);
	wl_set_comm(name);
	if (write(w->ready[1], "r", 1) != 1)
		return NULL;
	if (wait_signal) {
		char b;

		if (read(gate[0], &b, 1) != 1)
			return NULL;
	}
	for (r = 0; rounds >= 0 ? r < rounds : (seconds == 0 || elapsed() < seconds); r++) {
		long ms;

		for (c = 0; c < calls; c++)
			syscall(SYS_gettid);
		w->rounds = r + 1;
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		ms = 50 + (long)((x >> 33) % 501);
		wl_sleep_ms(ms);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static struct worker w[NTHREADS];
	pid_t tids[NTHREADS];
	sigset_t set;
	int i;
	const struct wl_opt opts[] = {
	    WL_OPT_FLAG("--wait-signal", &wait_signal),
	    WL_OPT_NUM("--seconds", &seconds),
	    WL_OPT_NUM("--rounds", &rounds),
	    WL_OPT_NUM("--calls", &calls),
	    WL_OPT_NUM("--seed", &seed),
	    WL_OPT_END,
	};

	wl_parse(argc, argv, opts, NULL,
		 "usage: core [--seconds S | --rounds R] [--calls C] "
		 "[--seed X] [--wait-signal]\n");

	wl_sigusr1(&set, 1); /* threads inherit the mask */
	if (pipe(gate) < 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &start);

	for (i = 0; i < NTHREADS; i++) {
		char b;

		w[i].k = i + 1;
		if (pipe(w[i].ready) < 0 || pthread_create(&w[i].th, NULL, run, &w[i]) != 0)
			return 1;
		if (read(w[i].ready[0], &b, 1) != 1)
			return 1;
	}

	for (i = 0; i < NTHREADS; i++)
		tids[i] = w[i].tid;
	wl_print_pid_tids(getpid(), tids, NTHREADS);

	if (wait_signal) {
		wl_wait_sigusr1(&set);
		clock_gettime(CLOCK_MONOTONIC, &start); /* before the gate opens */
		if (write(gate[1], "ggggg", NTHREADS) != NTHREADS)
			return 1;
	}

	for (i = 0; i < NTHREADS; i++)
		pthread_join(w[i].th, NULL);
	printf("rounds=");
	for (i = 0; i < NTHREADS; i++)
		printf("%s%ld", i ? "," : "", w[i].rounds);
	printf("\n");
	return 0;
}
