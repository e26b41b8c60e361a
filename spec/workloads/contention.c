/* contention: threads fighting over one kernel lock, so that the
 * lock:contention_begin / lock:contention_end tracepoints fire.
 *
 * usage: contention [--threads T] [--seconds S | --ms M] [--pages K]
 *                   [--comm NAME] [--wait-signal]
 *
 * Defaults: --threads 4 --seconds 5 --pages 16 --comm contention.
 *
 * All threads share one address space, so they share its mmap_lock (an
 * rw semaphore): each thread loops on mmap() of K anonymous pages
 * (takes the lock for writing), a write to every page (page faults take
 * it for reading), and munmap() (writing again).  With T >= 2 threads
 * on 2 or more CPUs the writers queue behind each other and behind the
 * faults: rwsem slow paths, each one a contention_begin/contention_end
 * pair on the same lock address (the mm's mmap_lock), hundreds to
 * thousands a second on this project's 2-CPU VM.
 *
 * Order of events:
 *   1. T threads are started, each named NAME (prctl(PR_SET_NAME)),
 *      and wait on a gate;
 *   2. one line on stdout, flushed: `pid=<pid> tids=<t1>,...,<tT>`;
 *   3. with --wait-signal, block until SIGUSR1;
 *   4. the gate opens; the threads loop for S seconds (or M ms);
 *   5. one line: `loops=<total mmap/munmap rounds of all threads>`,
 *      exit 0.
 *
 * The counts of contentions are not deterministic (they depend on the
 * scheduler); specs only rely on "more than zero, under comm NAME".
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "workload.h"

#define MAX_THREADS 256

static const char *comm = "contention";
static long nthreads = 4, duration_ms = 5000, pages = 16;
static atomic_int go, stop;
static atomic_long loops;

struct worker {
	pthread_t th;
	pid_t tid;
	atomic_int ready;
};

static void opt_seconds(char *s)
{
	duration_ms = 1000 * wl_num(s);
}

static void *run(void *arg)
{
	struct worker *w = arg;
	long page = sysconf(_SC_PAGESIZE), n = 0, p;
	size_t len = (size_t)(pages * page);

	wl_set_comm(comm);
	w->tid = (pid_t)syscall(SYS_gettid);
	atomic_store(&w->ready, 1);
	while (!atomic_load(&go))
		usleep(1000);
	while (!atomic_load(&stop)) {
		char *m =
		    mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m == MAP_FAILED)
			break;
		for (p = 0; p < pages; p++)
			m[p * page] = (char)p;
		munmap(m, len);
		n++;
	}
	atomic_fetch_add(&loops, n);
	return NULL;
}

int main(int argc, char **argv)
{
	static struct worker w[MAX_THREADS];
	static pid_t tids[MAX_THREADS];
	int wait_signal = 0, i;
	sigset_t set;
	const struct wl_opt opts[] = {
	    WL_OPT_FLAG("--wait-signal", &wait_signal),
	    WL_OPT_NUM("--threads", &nthreads),
	    WL_OPT_FN("--seconds", opt_seconds),
	    WL_OPT_NUM("--ms", &duration_ms),
	    WL_OPT_NUM("--pages", &pages),
	    WL_OPT_STR("--comm", &comm),
	    WL_OPT_END,
	};

	wl_parse(argc, argv, opts, NULL,
		 "usage: contention [--threads T] [--seconds S | --ms M] "
		 "[--pages K] [--comm NAME] [--wait-signal]\n");
	if (nthreads < 1 || nthreads > MAX_THREADS || pages < 1)
		wl_usage();

	wl_sigusr1(&set, 1);

	for (i = 0; i < nthreads; i++)
		if (pthread_create(&w[i].th, NULL, run, &w[i]) != 0)
			return 1;
	for (i = 0; i < nthreads; i++)
		while (!atomic_load(&w[i].ready))
			usleep(1000);

	for (i = 0; i < nthreads; i++)
		tids[i] = w[i].tid;
	wl_print_pid_tids(getpid(), tids, nthreads);

	if (wait_signal)
		wl_wait_sigusr1(&set);
	atomic_store(&go, 1);
	wl_sleep_ms(duration_ms);
	atomic_store(&stop, 1);
	for (i = 0; i < nthreads; i++)
		pthread_join(w[i].th, NULL);
	printf("loops=%ld\n", atomic_load(&loops));
	return 0;
}
