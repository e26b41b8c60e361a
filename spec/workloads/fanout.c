/* fanout: getppid() calls from many distinct call paths, for flame graphs.
 *
 * usage: fanout [--calls N] [--depth D] [--threads T] [--comm NAME]
 *               [--wait-signal] [--hold]
 *
 * Defaults: --calls 16 --depth 4 --threads 1. Prints "pid=<pid>" first;
 * with --wait-signal, starts the threads on SIGUSR1. Each thread makes N
 * getppid() calls: call i descends D levels below fanout_thread, at
 * level j through fan_a when bit j of i is set, else through fan_b, and
 * fan_leaf makes the syscall (inline assembly). So a thread's calls
 * i < 2^D come from 2^D distinct user stacks: fan_leaf, D frames of
 * fan_a / fan_b (the innermost for bit D-1), fanout_thread.
 * The fan functions are built without optimisation: each keeps its frame
 * (frame pointers) and no call becomes a jump. With --hold it prints
 * "done" when every thread has finished and waits for SIGUSR1 again, so
 * its mappings can be read while the stacks are printed. */
#define _GNU_SOURCE
#include <pthread.h>

#include "workload.h"

#define FAN __attribute__((noinline, optimize("O0")))

static long calls = 16, depth = 4;

FAN long fan_leaf(void)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(110 /* getppid */) : "rcx", "r11", "memory");
	return ret;
}

FAN long fan_a(long i, long level);
FAN long fan_b(long i, long level);

/* One level down: bit `level` of i picks the next function. */
#define FAN_DOWN(i, level)                                                                         \
	((level) == depth	? fan_leaf()                                                       \
	 : ((i) >> (level)) & 1 ? fan_a(i, (level) + 1)                                            \
				: fan_b(i, (level) + 1))

FAN long fan_a(long i, long level)
{
	return FAN_DOWN(i, level) + 1;
}

FAN long fan_b(long i, long level)
{
	return FAN_DOWN(i, level) + 1;
}

FAN void *fanout_thread(void *arg)
{
	(void)arg;
	for (long i = 0; i < calls; i++)
		FAN_DOWN(i, 0);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *comm = "fanout";
	long threads = 1;
	int wait = 0, hold = 0;
	const struct wl_opt opts[] = {
	    WL_OPT_NUM("--calls", &calls),
	    WL_OPT_NUM("--depth", &depth),
	    WL_OPT_NUM("--threads", &threads),
	    WL_OPT_STR("--comm", &comm),
	    WL_OPT_FLAG("--wait-signal", &wait),
	    WL_OPT_FLAG("--hold", &hold),
	    WL_OPT_END,
	};
	pthread_t tid[64];
	sigset_t usr1;

	wl_parse(argc, argv, opts, NULL,
		 "usage: fanout [--calls N] [--depth D] [--threads T] [--comm NAME] "
		 "[--wait-signal] [--hold]\n");
	if (threads < 1 || threads > 64 || depth < 1 || depth > 62)
		wl_usage();
	wl_sigusr1(&usr1, 1);
	wl_print_pid();
	wl_set_comm(comm); /* the threads inherit it */
	if (wait)
		wl_wait_sigusr1(&usr1);
	for (long t = 0; t < threads; t++)
		pthread_create(&tid[t], NULL, fanout_thread, NULL);
	for (long t = 0; t < threads; t++)
		pthread_join(tid[t], NULL);
	if (hold) {
		printf("done\n");
		fflush(stdout);
		wl_wait_sigusr1(&usr1);
	}
	return 0;
}
