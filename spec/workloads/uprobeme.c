/* uprobeme: the lab's user-probe target: plain functions to count and a
 * function with string arguments to dump.
 *
 * usage: uprobeme [--calls N] [--contacts M] [--seed S] [--period-ms P]
 *                 [--wait-signal]
 *
 * Defaults: --calls 10 --contacts 10 --seed 1 --period-ms 0.
 * Built as a PIE (the compiler's default here), with frame pointers.
 *
 * Order of events:
 *   1. `pid=<pid>` is printed on stdout and flushed;
 *   2. with --wait-signal, block until SIGUSR1;
 *   3. N times: foo(), then bar() (so N calls of each, alternating,
 *      foo first); sleep P ms after each pair (not after the last);
 *   4. M times: add_contact(first, last, number), where first and last
 *      are strings of 1-100 lowercase letters and number is in
 *      0..999999, all from a deterministic pseudo-random sequence seeded
 *      by S; add_contact prints `contact <first> <last> <number>` on
 *      stdout and returns strlen(first) + strlen(last); sleep P ms after
 *      each (not after the last);
 *   5. one line: `foo=<N> bar=<N> contacts=<M> first=<sum of the first
 *      lengths> last=<sum of the last lengths> total=<sum of the return
 *      values>`, and exit 0.
 *
 * foo, bar and add_contact are global, noinline and not optimised away
 * (each has a side effect), so each call is one entry into the symbol of
 * that name: `uprobe:PATH:foo` fires exactly N times, add_contact M times.
 */
#define _GNU_SOURCE
#include "workload.h"

volatile long foo_calls, bar_calls;

__attribute__((noinline)) void foo(void)
{
	foo_calls++;
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void bar(void)
{
	bar_calls++;
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) int add_contact(const char *first, const char *last, int number)
{
	printf("contact %s %s %d\n", first, last, number);
	__asm__ volatile("" ::: "memory");
	return (int)(strlen(first) + strlen(last));
}

static unsigned long rng;

static unsigned long next(unsigned long n)
{
	rng = rng * 6364136223846793005UL + 1442695040888963407UL;
	return (rng >> 33) % n;
}

static void random_name(char *s)
{
	unsigned long len = 1 + next(100), i;

	for (i = 0; i < len; i++)
		s[i] = (char)('a' + next(26));
	s[len] = '\0';
}

int main(int argc, char **argv)
{
	long calls = 10, contacts = 10, seed = 1, period = 0, i;
	long sum_first = 0, sum_last = 0, total = 0;
	int wait_signal = 0;
	sigset_t set;
	char first[101], last[101];
	const struct wl_opt opts[] = {
	    WL_OPT_FLAG("--wait-signal", &wait_signal), WL_OPT_NUM("--calls", &calls),
	    WL_OPT_NUM("--contacts", &contacts),	WL_OPT_NUM("--seed", &seed),
	    WL_OPT_NUM("--period-ms", &period),		WL_OPT_END,
	};

	wl_parse(argc, argv, opts, NULL,
		 "usage: uprobeme [--calls N] [--contacts M] [--seed S] "
		 "[--period-ms P] [--wait-signal]\n");
	rng = (unsigned long)seed;

	wl_sigusr1(&set, wait_signal);

	wl_print_pid();

	if (wait_signal)
		wl_wait_sigusr1(&set);

	for (i = 0; i < calls; i++) {
		if (i > 0)
			wl_pause_ms(period);
		foo();
		bar();
	}

	for (i = 0; i < contacts; i++) {
		int number;

		if (i > 0)
			wl_pause_ms(period);
		random_name(first);
		random_name(last);
		number = (int)next(1000000);
		sum_first += (long)strlen(first);
		sum_last += (long)strlen(last);
		total += add_contact(first, last, number);
		fflush(stdout);
	}

	printf("foo=%ld bar=%ld contacts=%ld first=%ld last=%ld total=%ld\n", (long)foo_calls,
	       (long)bar_calls, contacts, sum_first, sum_last, total);
	return 0;
}
