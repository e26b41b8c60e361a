/* ifuncme: an executable with an IFUNC, for the uprobe error that names
 * its implementations.
 *
 * usage: ifuncme [--calls N]          (default 3)
 *
 * checksum is a GNU IFUNC: pick_checksum (its resolver) returns
 * checksum_fast; checksum_plain is the other implementation. Prints `checksum=<sum of N calls>`
 * and exits 0. */
#define _GNU_SOURCE
#include "workload.h"

__attribute__((noinline)) long checksum_plain(long x)
{
	return x + 1;
}

__attribute__((noinline)) long checksum_fast(long x)
{
	return x + 1;
}

static long (*pick_checksum(void))(long)
{
	return checksum_fast; /* checksum_plain: the other candidate */
}

long checksum(long x) __attribute__((ifunc("pick_checksum")));

int main(int argc, char **argv)
{
	long calls = 3, sum = 0;
	const struct wl_opt opts[] = {WL_OPT_NUM("--calls", &calls), WL_OPT_END};

	wl_parse(argc, argv, opts, NULL, "usage: ifuncme [--calls N]\n");
	for (long i = 0; i < calls; i++)
		sum += checksum(i);
	printf("checksum=%ld\n", sum);
	return 0;
}
