/* printf: native `printf("%d %d\n", tid, pid)` on getppid() of the comm
 * benchrec: ring buffer records printed as "TID PID" lines on stdout;
 * records the kernel could not queue are reported on stderr as
 * "Lost N events", as luabpf and bpftrace do. */
#include "native.h"
#include "printf.skel.h"

struct rec {
	unsigned tid, pid;
};

static int on_rec(void *ctx, void *data, size_t size)
{
	const struct rec *r = data;

	(void)ctx;
	if (size >= sizeof *r)
		printf("%u %u\n", r->tid, r->pid);
	return 0;
}

int main(void)
{
	unsigned long long lost;
	struct printf_bpf *skel;
	struct ring_buffer *rb;
	unsigned zero = 0;

	native_init();
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (!(skel = printf_bpf__open()))
		NATIVE_DIE("printf: cannot open");
	if (printf_bpf__load(skel) || printf_bpf__attach(skel))
		NATIVE_DIE("printf: cannot load or attach: %s", strerror(errno));
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_rec, NULL, NULL);
	if (!rb)
		NATIVE_DIE("printf: cannot map the ring buffer");
	native_ready(1);
	while (!native_stop) {
		if (ring_buffer__poll(rb, 100) == 0)
			fflush(stdout);
	}
	ring_buffer__consume(rb);
	fflush(stdout);
	lost = native_percpu_sum(bpf_map__fd(skel->maps.lost), &zero);
	if (lost)
		fprintf(stderr, "Lost %llu events\n", lost);
	ring_buffer__free(rb);
	printf_bpf__destroy(skel);
	return 0;
}
