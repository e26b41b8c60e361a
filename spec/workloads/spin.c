/* spin: burn CPU for a set time under a given name.
 * usage: spin [--comm NAME] [--ms M]   (defaults: spin, 1000) */
#define _GNU_SOURCE
#include "workload.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	const char *comm = "spin";
	long long ms = 1000, end;
	volatile unsigned long x = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--comm"))
			comm = argv[i + 1];
		else if (!strcmp(argv[i], "--ms"))
			ms = atoll(argv[i + 1]);
	}
	wl_set_comm(comm);
	end = now_ms() + ms;
	while (now_ms() < end)
		for (int i = 0; i < 100000; i++)
			x++;
	return 0;
}
