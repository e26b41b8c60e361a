/* lat: native enter/exit latency histogram of getppid(); prints the
 * power-of-two histogram at SIGINT in bpftrace's layout. */
#include "native.h"
#include "lat.skel.h"

#define NBUCKETS 66

static void range(char *b, size_t n, unsigned k)
{
	static const char *unit[] = {"", "K", "M", "G", "T", "P", "E"};
	unsigned long long v = 1ULL << k;
	int u = 0;

	while (v >= 1024 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	snprintf(b, n, "%llu%s", v, unit[u]);
}

int main(void)
{
	unsigned long long h[NBUCKETS], max = 0;
	struct lat_bpf *skel;
	int fd, lo = -1, hi = -1;

	native_init();
	if (!(skel = lat_bpf__open()))
		NATIVE_DIE("lat: cannot open");
	skel->rodata->self_pid = getpid();
	if (lat_bpf__load(skel) || lat_bpf__attach(skel))
		NATIVE_DIE("lat: cannot load or attach: %s", strerror(errno));
	native_ready(2);
	native_wait();
	fd = bpf_map__fd(skel->maps.hist);
	for (unsigned i = 0; i < NBUCKETS; i++) {
		h[i] = native_percpu_sum(fd, &i);
		if (h[i]) {
			hi = i;
			lo = lo < 0 ? (int)i : lo;
			max = h[i] > max ? h[i] : max;
		}
	}
	printf("@h: \n");
	for (int i = lo; lo >= 0 && i <= hi; i++) {
		char a[24], b[24], r[64], bar[53] = "";
		int w = max ? (int)(h[i] * 52 / max) : 0;

		if (i == 0)
			snprintf(r, sizeof r, "(..., 0)");
		else if (i == 1)
			snprintf(r, sizeof r, "[0]");
		else if (i == 2)
			snprintf(r, sizeof r, "[1]");
		else {
			range(a, sizeof a, i - 2);
			range(b, sizeof b, i - 1);
			snprintf(r, sizeof r, "[%s, %s)", a, b);
		}
		memset(bar, '@', w);
		bar[w] = 0;
		printf("%-20s%8llu |%-52s|\n", r, h[i], bar);
	}
	lat_bpf__destroy(skel);
	return 0;
}
