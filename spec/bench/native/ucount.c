/* ucount PATH FUNC: native `uprobe:PATH:FUNC { @ = count(); }`; prints
 * "@: N" at SIGINT. */
#include "native.h"
#include "ucount.skel.h"

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts);
	struct ucount_bpf *skel;
	unsigned zero = 0;

	if (argc != 3)
		NATIVE_DIE("usage: ucount PATH FUNC");
	native_init();
	if (!(skel = ucount_bpf__open()))
		NATIVE_DIE("ucount: cannot open");
	skel->rodata->self_pid = getpid();
	if (ucount_bpf__load(skel))
		NATIVE_DIE("ucount: cannot load: %s", strerror(errno));
	opts.func_name = argv[2];
	skel->links.ucount =
	    bpf_program__attach_uprobe_opts(skel->progs.ucount, -1, argv[1], 0, &opts);
	if (!skel->links.ucount)
		NATIVE_DIE("ucount: cannot attach to %s:%s: %s", argv[1], argv[2], strerror(errno));
	native_ready(1);
	native_wait();
	printf("@: %llu\n", native_percpu_sum(bpf_map__fd(skel->maps.calls), &zero));
	ucount_bpf__destroy(skel);
	return 0;
}
