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
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NTHREADS 5

static long seconds, rounds = -1, calls = 100;
static unsigned long seed = 1;
static int wait_signal;
static int gate[2];              /* a byte per thread opens the gate */
static struct timespec start;

struct worker {
	int k;
	pid_t tid;
	long rounds;
	pthread_t th;
	int ready[2];
};

static void usage(void)
{
	fprintf(stderr, "usage: core [--seconds S | --rounds R] [--calls C] "
			"[--seed X] [--wait-signal]\n");
	exit(2);
}

static long num(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < 0)
		usage();
	return v;
}

static double elapsed(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start.tv_sec) +
	       (double)(now.tv_nsec - start.tv_nsec) / 1e9;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	char name[16];
	unsigned long x = seed * 2654435761UL + (unsigned long)w->k * 40503UL;
	long r, c;

	w->tid = (pid_t)syscall(SYS_gettid); /* before the name: not counted */
	snprintf(name, sizeof(name), "sysCallTH%d", w->k);
	prctl(PR_SET_NAME, name, 0, 0, 0);
	if (write(w->ready[1], "r", 1) != 1)
		return NULL;
	if (wait_signal) {
		char b;

		if (read(gate[0], &b, 1) != 1)
			return NULL;
	}
	for (r = 0; rounds >= 0 ? r < rounds : (seconds == 0 || elapsed() < seconds); r++) {
		struct timespec ts;
		long ms;

		for (c = 0; c < calls; c++)
			syscall(SYS_gettid);
		w->rounds = r + 1;
		x = x * 6364136223846793005UL + 1442695040888963407UL;
		ms = 50 + (long)((x >> 33) % 501);
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000L;
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static struct worker w[NTHREADS];
	sigset_t set;
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--wait-signal")) {
			wait_signal = 1;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (!strcmp(a, "--seconds"))
			seconds = num(argv[++i]);
		else if (!strcmp(a, "--rounds"))
			rounds = num(argv[++i]);
		else if (!strcmp(a, "--calls"))
			calls = num(argv[++i]);
		else if (!strcmp(a, "--seed"))
			seed = (unsigned long)num(argv[++i]);
		else
			usage();
	}

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL); /* threads inherit the mask */
	if (pipe(gate) < 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &start);

	for (i = 0; i < NTHREADS; i++) {
		char b;

		w[i].k = i + 1;
		if (pipe(w[i].ready) < 0 ||
		    pthread_create(&w[i].th, NULL, run, &w[i]) != 0)
			return 1;
		if (read(w[i].ready[0], &b, 1) != 1)
			return 1;
	}

	printf("pid=%d tids=", (int)getpid());
	for (i = 0; i < NTHREADS; i++)
		printf("%s%d", i ? "," : "", (int)w[i].tid);
	printf("\n");
	fflush(stdout);

	if (wait_signal) {
		int sig;

		while (sigwait(&set, &sig) != 0)
			;
	}
	if (wait_signal)
		clock_gettime(CLOCK_MONOTONIC, &start); /* before the gate opens */
	if (wait_signal && write(gate[1], "ggggg", NTHREADS) != NTHREADS)
		return 1;

	for (i = 0; i < NTHREADS; i++)
		pthread_join(w[i].th, NULL);
	printf("rounds=");
	for (i = 0; i < NTHREADS; i++)
		printf("%s%ld", i ? "," : "", w[i].rounds);
	printf("\n");
	return 0;
}
