/* count: native `@[comm] = count()` on every syscall; prints
 * "@[COMM]: N" per comm at SIGINT, like bpftrace. */
#include "native.h"
#include "count.skel.h"

int main(void)
{
	struct count_bpf *skel;
	char key[16], next[16];
	int fd;

	native_init();
	if (!(skel = count_bpf__open()))
		NATIVE_DIE("count: cannot open");
	skel->rodata->self_pid = getpid();
	if (count_bpf__load(skel) || count_bpf__attach(skel))
		NATIVE_DIE("count: cannot load or attach: %s", strerror(errno));
	native_ready(1);
	native_wait();
	fd = bpf_map__fd(skel->maps.counts);
	for (int more = !bpf_map_get_next_key(fd, NULL, next); more;
	     more = !bpf_map_get_next_key(fd, key, next)) {
		memcpy(key, next, sizeof key);
		printf("@[%.16s]: %llu\n", key, native_percpu_sum(fd, key));
	}
	count_bpf__destroy(skel);
	return 0;
}
