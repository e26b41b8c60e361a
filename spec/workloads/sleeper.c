/* sleeper: nanosleep an exact number of times from one known address.
 * usage: sleeper [--comm NAME] [--calls N] [--wait-signal]
 *
 * Prints "pid=<pid> rqtp=<address>" (flushed) before any counted call:
 * the address every nanosleep passes as its request (a static, so the
 * same for every call), for specs on pointer-typed tracepoint fields
 * (syscalls:sys_enter_nanosleep's rqtp) and on the hrtimers the sleeps
 * start (timer:hrtimer_start's function is hrtimer_wakeup). Each sleep
 * is 1 us. With --wait-signal the calls start after SIGUSR1. */
#define _GNU_SOURCE
#include "workload.h"

static struct timespec request = {0, 1000};

int main(int argc, char **argv)
{
	const char *comm = "sleeper";
	long calls = 10;
	int wait = 0;
	sigset_t usr1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--comm") && i + 1 < argc)
			comm = argv[++i];
		else if (!strcmp(argv[i], "--calls") && i + 1 < argc)
			calls = atol(argv[++i]);
		else if (!strcmp(argv[i], "--wait-signal"))
			wait = 1;
	}
	if (wait)
		wl_sigusr1(&usr1, 1);
	printf("pid=%d rqtp=%p\n", (int)getpid(), (void *)&request);
	fflush(stdout);
	if (wait)
		wl_wait_sigusr1(&usr1);
	wl_set_comm(comm);
	for (long i = 0; i < calls; i++)
		nanosleep(&request, NULL);
	return 0;
}
