/* syscaller: make an exact number of one syscall from known threads.
 *
 * usage: syscaller [--comm NAME] [--calls N] [--threads T]
 *                  [--syscall getppid|getpid|gettid|close_bad]
 *                  [--wait-signal] [--linger-ms M]
 *
 * Defaults: --comm syscaller --calls 1000 --threads 1 --syscall getppid
 *           --linger-ms 0.
 *
 * Prints exactly one line on stdout (flushed) before any counted call:
 *     pid=<pid> tids=<tid1>,<tid2>,...
 * listing the threads that make the calls.  With --threads 1 (the default)
 * the main thread makes the calls (tids = pid).  With --threads T > 1, T
 * worker threads make the calls and the main thread only waits for them.
 * Every calling thread's comm is NAME (all of them: specs that key on comm
 * see a single key).  With --wait-signal the calls start only after SIGUSR1
 * is received (start a tracer on the printed pid, then `kill -USR1 pid`).
 * Each calling thread then makes exactly N calls through syscall(2) (no
 * libc caching), the process sleeps --linger-ms and exits 0.
 *
 * Syscall hygiene (specs count with a small slack): every gettid/getpid the
 * program needs for itself is made BEFORE the thread takes the name NAME, so
 * under comm NAME the only calls of the chosen syscall are the N per thread.
 * close_bad is close(1000), an fd that is never open, so every call fails
 * with EBADF.  Between the printed line and the calls: with
 * --wait-signal one rt_sigtimedwait, then (T > 1) one futex wake; workers
 * are already blocked in futex wait.  After the calls: thread exits, futex
 * joins, optional nanosleep, exit_group.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>

#include "workload.h"

#define BAD_FD 1000
#define MAX_THREADS 1024

static const char *comm = "syscaller";
static long calls = 1000;
static long nthreads = 1;
static long sysno = SYS_getppid;
static int close_bad;
static int wait_signal;
static long linger_ms;

static pid_t tids[MAX_THREADS];
static atomic_int ready; /* workers that published their tid */
static atomic_int go;	 /* 0 until the calls may start */

static void futex_wait(atomic_int *addr, int val)
{
	syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(atomic_int *addr)
{
	syscall(SYS_futex, addr, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

static void make_calls(void)
{
	long i;

	if (close_bad) {
		for (i = 0; i < calls; i++)
			syscall(SYS_close, BAD_FD);
	} else {
		for (i = 0; i < calls; i++)
			syscall(sysno);
	}
}

static void *worker(void *arg)
{
	long idx = (long)arg;
	int v;

	tids[idx] = (pid_t)syscall(SYS_gettid); /* before the rename */
	wl_set_comm(comm);
	atomic_fetch_add(&ready, 1);
	futex_wake(&ready);
	while ((v = atomic_load(&go)) == 0)
		futex_wait(&go, v);
	make_calls();
	return NULL;
}

static void opt_syscall(char *s)
{
	if (!strcmp(s, "getppid"))
		sysno = SYS_getppid;
	else if (!strcmp(s, "getpid"))
		sysno = SYS_getpid;
	else if (!strcmp(s, "gettid"))
		sysno = SYS_gettid;
	else if (!strcmp(s, "close_bad"))
		close_bad = 1;
	else
		wl_usage();
}

static const struct wl_opt opts[] = {
    WL_OPT_FLAG("--wait-signal", &wait_signal),
    WL_OPT_STR("--comm", &comm),
    WL_OPT_NUM("--calls", &calls),
    WL_OPT_NUM("--threads", &nthreads),
    WL_OPT_NUM("--linger-ms", &linger_ms),
    WL_OPT_FN("--syscall", opt_syscall),
    WL_OPT_END,
};

int main(int argc, char **argv)
{
	pthread_t th[MAX_THREADS];
	sigset_t set;
	pid_t pid;
	long i;
	int r;

	wl_parse(argc, argv, opts, NULL,
		 "usage: syscaller [--comm NAME] [--calls N] [--threads T]\n"
		 "                 [--syscall getppid|getpid|gettid|close_bad]\n"
		 "                 [--wait-signal] [--linger-ms M]\n");
	if (nthreads < 1 || nthreads > MAX_THREADS)
		wl_usage();

	/* Block SIGUSR1 everywhere (threads inherit the mask) so that the
	 * main thread can sigwait for it. */
	wl_sigusr1(&set, 1);

	pid = (pid_t)syscall(SYS_getpid); /* before the rename */

	if (nthreads == 1) {
		tids[0] = pid;
	} else {
		for (i = 0; i < nthreads; i++) {
			r = pthread_create(&th[i], NULL, worker, (void *)i);
			if (r) {
				fprintf(stderr, "syscaller: pthread_create: %s\n", strerror(r));
				return 1;
			}
		}
		while ((r = atomic_load(&ready)) < nthreads)
			futex_wait(&ready, r);
	}
	wl_set_comm(comm);

	wl_print_pid_tids(pid, tids, nthreads);

	if (wait_signal)
		wl_wait_sigusr1(&set);

	if (nthreads == 1) {
		make_calls();
	} else {
		atomic_store(&go, 1);
		futex_wake(&go);
		for (i = 0; i < nthreads; i++)
			pthread_join(th[i], NULL);
	}

	wl_pause_ms(linger_ms);
	return 0;
}
