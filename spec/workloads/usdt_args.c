/* usdt_args: USDT probes whose arguments gcc writes in every x86-64
 * operand form, with values known exactly.
 *
 * usage: usdt_args [--count N]        (default 3)
 *
 * The Makefile builds it at -O2 (build/bin/usdt_args) and also at -O0
 * (usdt_args-O0: base + offset operands, "-1@-1(%rbp)") and -O1
 * (usdt_args-O1: registers of every width "-1@%cl" "-2@%ax" "-4@%edx"
 * "1@%sil", base + index * scale + offset "-8@-65536(%rbp,%rdx,8)",
 * %rip-relative "-4@counter(%rip)" "-8@16+table(%rip)"); every build
 * has constants "-4@$5" "-4@$-1". spec/usdt_spec.lua checks the notes.
 *
 * Order of events, i = 0 .. N-1 (each probe fires exactly as listed):
 *   1. `pid=<pid>` is printed on stdout and flushed;
 *   2. per i: lbargs:regs(c = -1 - i (signed char), s = -300 - i (short),
 *      n = -70000 - i (int), u = 200 + i (unsigned char), l = i * 10^12);
 *      lbargs:consts(5, -1, 0x7fffffffffff); lbargs:globals(counter,
 *      table[2]) with counter = 7 + i and table[2] = 30; lbargs:site(i)
 *      at one call site; lbargs:guarded(i) only while a tracer holds its
 *      semaphore (counted);
 *   3. indexed(5, N): lbargs:indexed(frame[5 + k], k) for k = 0 .. N-1,
 *      frame[j] = 3 * j: (15, 0), (18, 1), (21, 2), ...;
 *   4. lbargs:site(-1) at a second call site (a constant there);
 *   5. one line: `count=<N> guarded=<times lbargs:guarded fired>`, exit 0.
 */
#define _GNU_SOURCE
#define _SDT_HAS_SEMAPHORES 1
#include <sys/sdt.h>
#include "workload.h"

/* The semaphores the notes point at: the kernel counts tracers in them. */
#define SEMA(name) unsigned short lbargs_##name##_semaphore __attribute__((section(".probes")))
SEMA(regs);
SEMA(consts);
SEMA(globals);
SEMA(site);
SEMA(guarded);
SEMA(indexed);

int counter = 7;		  /* %rip-relative */
long table[4] = {10, 20, 30, 40}; /* %rip-relative with an addend */
volatile long sink;

/* A frame big enough for a 5-digit displacement off %rbp, indexed. */
__attribute__((noinline)) static void indexed(long i, long n)
{
	long frame[8192];

	for (long j = 0; j < 8192; j++)
		frame[j] = j * 3;
	sink = frame[i];
	for (long k = 0; k < n; k++)
		DTRACE_PROBE2(lbargs, indexed, frame[(i + k) & 8191], k);
}

__attribute__((noinline)) static void regs(long i)
{
	signed char c = (signed char)(-1 - i);
	short s = (short)(-300 - i);
	int n = (int)(-70000 - i);
	unsigned char u = (unsigned char)(200 + i);

	DTRACE_PROBE5(lbargs, regs, c, s, n, u, i * 1000000000000L);
}

__attribute__((noinline)) static void consts(void)
{
	DTRACE_PROBE3(lbargs, consts, 5, -1, 0x7fffffffffffL);
}

__attribute__((noinline)) static void globals(void)
{
	DTRACE_PROBE2(lbargs, globals, counter, table[2]);
}

int main(int argc, char **argv)
{
	long count = 3, guarded = 0;
	const struct wl_opt opts[] = {WL_OPT_NUM("--count", &count), WL_OPT_END};

	wl_parse(argc, argv, opts, NULL, "usage: usdt_args [--count N]\n");
	wl_print_pid();
	for (long i = 0; i < count; i++) {
		regs(i);
		consts();
		globals();
		DTRACE_PROBE1(lbargs, site, i);
		if (*(volatile unsigned short *)&lbargs_guarded_semaphore) {
			DTRACE_PROBE1(lbargs, guarded, i);
			guarded++;
		}
		counter++;
	}
	indexed(5, count);
	DTRACE_PROBE1(lbargs, site, -1L);
	printf("count=%ld guarded=%ld\n", count, guarded);
	return 0;
}
