/* workload.h: the pieces every test workload repeats, as small static
 * functions.  Each workload is still one .c file compiled on its own
 * (`cc ... spec/workloads/NAME.c`); this header needs nothing else and
 * every function in it is static and marked unused, so a workload takes
 * only what it calls.
 *
 * Syscalls: these helpers make exactly the calls the workloads used to
 * make inline, no more:
 *   wl_parse, wl_num, wl_num_prefix  none (wl_usage: a write to stderr and
 *                                    exit_group(2), only on a bad command
 *                                    line);
 *   wl_set_comm                      one prctl(PR_SET_NAME);
 *   wl_print_pid, wl_print_pid_tids  stdio on stdout, then one fflush (one
 *                                    write(2) of the whole line; the first
 *                                    output also sizes stdout's buffer);
 *                                    wl_print_pid makes one getpid first;
 *   wl_sigusr1                       with block: one rt_sigprocmask;
 *   wl_wait_sigusr1                  one rt_sigtimedwait;
 *   wl_sleep_ms                      one nanosleep (more only when a signal
 *                                    handler interrupts it);
 *   wl_pause_ms                      like wl_sleep_ms, nothing when ms <= 0;
 *   wl_start                         the calls of the pieces it strings.
 */
#ifndef LUABPF_WORKLOAD_H
#define LUABPF_WORKLOAD_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define WL_FN static __attribute__((unused))

/* The usage text printed on a bad command line (set by wl_parse). */
static const char *wl_usage_text __attribute__((unused)) = "";

/* Print the usage text on stderr and exit 2. */
WL_FN __attribute__((noreturn)) void wl_usage(void)
{
	fprintf(stderr, "%s", wl_usage_text);
	exit(2);
}

/* A non-negative decimal number at the start of s (at least one digit, no
 * overflow); *end is set just after it.  Otherwise wl_usage(). */
WL_FN long wl_num_prefix(const char *s, char **end)
{
	long v;

	errno = 0;
	v = strtol(s, end, 10);
	if (errno || *end == s || v < 0)
		wl_usage();
	return v;
}

/* s, all of it, as a non-negative decimal number, or wl_usage(). */
WL_FN long wl_num(const char *s)
{
	char *end;
	long v = wl_num_prefix(s, &end);

	if (*end != '\0')
		wl_usage();
	return v;
}

/* A command-line option: a flag (sets *(int *)var to 1), or an option
 * that takes the next argument: a number (wl_num into *(long *)var), a
 * string (stored in *(const char **)var), or anything else (fn(arg)). */
enum wl_kind { WL_FLAG, WL_NUM, WL_STR, WL_FN_ARG };

struct wl_opt {
	const char *name; /* "--calls"; NULL ends the table */
	enum wl_kind kind;
	void *var;	       /* WL_FLAG, WL_NUM, WL_STR */
	void (*fn)(char *arg); /* WL_FN_ARG */
};

/* Table rows; the pointer types are checked (a mismatch is a warning). */
#define WL_OPT_FLAG(name, p)                                                                       \
	{                                                                                          \
		name, WL_FLAG, 1 ? (p) : (int *)0, NULL                                            \
	}
#define WL_OPT_NUM(name, p)                                                                        \
	{                                                                                          \
		name, WL_NUM, 1 ? (p) : (long *)0, NULL                                            \
	}
#define WL_OPT_STR(name, p)                                                                        \
	{                                                                                          \
		name, WL_STR, 1 ? (p) : (const char **)0, NULL                                     \
	}
#define WL_OPT_FN(name, fn)                                                                        \
	{                                                                                          \
		name, WL_FN_ARG, NULL, fn                                                          \
	}
#define WL_OPT_END                                                                                 \
	{                                                                                          \
		NULL, WL_FLAG, NULL, NULL                                                          \
	}

/* Parse argv[1..] against opts (ended by a NULL name).  An argument that
 * names no option goes to positional(arg), or, without one, is an error;
 * so is an option that takes an argument given last.  On any error:
 * usage (printed on stderr, exit 2). */
WL_FN void wl_parse(int argc, char **argv, const struct wl_opt *opts, void (*positional)(char *arg),
		    const char *usage)
{
	const struct wl_opt *o;
	int i;

	wl_usage_text = usage;
	for (i = 1; i < argc; i++) {
		for (o = opts; o->name && strcmp(o->name, argv[i]); o++)
			;
		if (!o->name) {
			if (!positional)
				wl_usage();
			positional(argv[i]);
			continue;
		}
		if (o->kind == WL_FLAG) {
			*(int *)o->var = 1;
			continue;
		}
		if (i + 1 >= argc)
			wl_usage();
		i++;
		if (o->kind == WL_NUM)
			*(long *)o->var = wl_num(argv[i]);
		else if (o->kind == WL_STR)
			*(const char **)o->var = argv[i];
		else
			o->fn(argv[i]);
	}
}

/* Set the calling thread's comm (prctl(PR_SET_NAME)). */
WL_FN void wl_set_comm(const char *name)
{
	prctl(PR_SET_NAME, name, 0, 0, 0);
}

/* `pid=<pid>` on stdout, flushed. */
WL_FN void wl_print_pid(void)
{
	printf("pid=%d\n", (int)getpid());
	fflush(stdout);
}

/* `pid=<pid> tids=<t1>,<t2>,...` on stdout, flushed. */
WL_FN void wl_print_pid_tids(pid_t pid, const pid_t *tids, long n)
{
	long i;

	printf("pid=%d tids=", (int)pid);
	for (i = 0; i < n; i++)
		printf("%s%d", i ? "," : "", (int)tids[i]);
	printf("\n");
	fflush(stdout);
}

/* Make *set the set {SIGUSR1}; with block, block it (threads created
 * later inherit the mask).  Block it before the pid is printed: a tracer
 * may send SIGUSR1 as soon as it reads the pid. */
WL_FN void wl_sigusr1(sigset_t *set, int block)
{
	sigemptyset(set);
	sigaddset(set, SIGUSR1);
	if (block)
		sigprocmask(SIG_BLOCK, set, NULL);
}

/* Wait until a signal of the (blocked) set arrives. */
WL_FN void wl_wait_sigusr1(const sigset_t *set)
{
	int sig;

	while (sigwait(set, &sig) != 0)
		;
}

/* The start most workloads share, in this order: with wait_signal, block
 * SIGUSR1 (before the pid is printed: a tracer may send it as soon as it
 * reads the pid); print `pid=<pid>` (flushed); take the comm NAME; with
 * wait_signal, wait for SIGUSR1.  Syscalls: [rt_sigprocmask], getpid, the
 * stdout write, prctl, [rt_sigtimedwait]. */
WL_FN void wl_start(const char *comm, int wait_signal)
{
	sigset_t set;

	wl_sigusr1(&set, wait_signal);
	wl_print_pid();
	wl_set_comm(comm);
	if (wait_signal)
		wl_wait_sigusr1(&set);
}

/* Sleep ms milliseconds (one nanosleep, resumed after an interruption). */
WL_FN void wl_sleep_ms(long ms)
{
	struct timespec ts = {
	    .tv_sec = ms / 1000,
	    .tv_nsec = (ms % 1000) * 1000000L,
	};

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* wl_sleep_ms, but no syscall at all when ms <= 0. */
WL_FN void wl_pause_ms(long ms)
{
	if (ms > 0)
		wl_sleep_ms(ms);
}

#endif
