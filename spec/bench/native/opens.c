/* opens: native `@[str(args->filename)] = count()` on sys_enter_open and
 * sys_enter_openat; prints "@[PATH]: N" per path at SIGINT. */
#include "native.h"
#include "opens.skel.h"

#define PATH_LEN 64

int main(void)
{
	char key[PATH_LEN], next[PATH_LEN];
	struct opens_bpf *skel;
	int fd;

	native_init();
	if (!(skel = opens_bpf__open()))
		NATIVE_DIE("opens: cannot open");
	skel->rodata->self_pid = getpid();
	/* kernels without open(2) have no sys_enter_open */
	if (opens_bpf__load(skel))
		NATIVE_DIE("opens: cannot load: %s", strerror(errno));
	if (!bpf_program__attach(skel->progs.opens_openat) ||
	    !bpf_program__attach(skel->progs.opens_open))
		NATIVE_DIE("opens: cannot attach: %s", strerror(errno));
	native_ready(2);
	native_wait();
	fd = bpf_map__fd(skel->maps.counts);
	for (int more = !bpf_map_get_next_key(fd, NULL, next); more;
	     more = !bpf_map_get_next_key(fd, key, next)) {
		memcpy(key, next, sizeof key);
		printf("@[%.*s]: %llu\n", PATH_LEN, key, native_percpu_sum(fd, key));
	}
	opens_bpf__destroy(skel);
	return 0;
}
