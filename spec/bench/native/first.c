/* first tp|raw: start-up to the first event and exit, natively.  Opens,
 * loads and attaches one program (tp: perf-event tracepoint; raw: raw
 * tracepoint), polls every 1 ms until the first getppid() of the comm
 * "benchmark", detaches and exits.  Prints on stdout, in ms:
 * "load L attach A first F detach D" (F from the start of main). */
#include <sys/syscall.h>
#include <time.h>
#include "native.h"
#include "first.skel.h"

static double ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	struct timespec tick = {0, 1000000};
	struct bpf_program *prog;
	struct first_bpf *skel;
	struct bpf_link *link;
	double t0 = ms(), t1, t2, t3, t4;
	int raw;

	if (argc != 2 || (strcmp(argv[1], "tp") && strcmp(argv[1], "raw")))
		NATIVE_DIE("usage: first tp|raw");
	raw = !strcmp(argv[1], "raw");
	if (!(skel = first_bpf__open()))
		NATIVE_DIE("first: cannot open");
	skel->rodata->targ_nr = SYS_getppid;
	bpf_program__set_autoload(raw ? skel->progs.first_tp : skel->progs.first_raw, false);
	if (first_bpf__load(skel))
		NATIVE_DIE("first: cannot load: %s", strerror(errno));
	t1 = ms();
	prog = raw ? skel->progs.first_raw : skel->progs.first_tp;
	if (!(link = bpf_program__attach(prog)))
		NATIVE_DIE("first: cannot attach: %s", strerror(errno));
	t2 = ms();
	while (!skel->bss->hit)
		nanosleep(&tick, NULL);
	t3 = ms();
	bpf_link__destroy(link);
	t4 = ms();
	printf("load %.1f attach %.1f first %.1f detach %.1f\n", t1 - t0, t2 - t1, t3 - t0,
	       t4 - t3);
	first_bpf__destroy(skel);
	return 0;
}
