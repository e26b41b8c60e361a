/* What the native baselines' user sides share: SIGINT/SIGTERM end the
 * run, "Attaching N probes..." tells spec/bench/run the tool is ready
 * (it waits for that word, as with bpftrace and luabpf), and per-CPU
 * values are summed. */
#ifndef NATIVE_H
#define NATIVE_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t native_stop;

static void native_on_signal(int sig)
{
	(void)sig;
	native_stop = 1;
}

static inline void native_init(void)
{
	struct sigaction sa = {.sa_handler = native_on_signal};

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static inline void native_ready(int probes)
{
	printf("Attaching %d probes...\n", probes);
	fflush(stdout);
}

static inline void native_wait(void)
{
	while (!native_stop)
		pause();
}

/* the sum over CPUs of a per-CPU u64 at key (0 if absent) */
static inline unsigned long long native_percpu_sum(int fd, const void *key)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	unsigned long long *v, sum = 0;

	if (ncpu <= 0 || !(v = calloc(ncpu, sizeof *v)))
		return 0;
	if (!bpf_map_lookup_elem(fd, key, v))
		for (i = 0; i < ncpu; i++)
			sum += v[i];
	free(v);
	return sum;
}

#define NATIVE_DIE(...)                                                                            \
	do {                                                                                       \
		fprintf(stderr, __VA_ARGS__);                                                      \
		fputc('\n', stderr);                                                               \
		exit(1);                                                                           \
	} while (0)

#endif
