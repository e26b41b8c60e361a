#define _GNU_SOURCE
#include <sys/sdt.h>
#include "workload.h"

int counter = 7;		     /* rip-relative */
long table[4] = {10, 20, 30, 40};    /* rip-relative with an offset */
volatile long sink;

/* a frame large enough for a negative 5-digit displacement */
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
	signed char c = (signed char)(-i - 1);
	short s = (short)(-300 - i);
	int n = (int)(-70000 - i);
	unsigned char uc = (unsigned char)(200 + i);

	DTRACE_PROBE5(lbargs, regs, c, s, n, uc, i * 1000000000000L);
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
	long count = 3;
	const struct wl_opt opts[] = {WL_OPT_NUM("--count", &count), WL_OPT_END};

	wl_parse(argc, argv, opts, NULL, "usage: usdt_args [--count N]\n");
	for (long i = 0; i < count; i++) {
		regs(i);
		consts();
		globals();
		DTRACE_PROBE1(lbargs, site, i);
		counter++;
	}
	indexed(5, count);
	DTRACE_PROBE1(lbargs, site, -1L);
	printf("count=%ld\n", count);
	return 0;
}
