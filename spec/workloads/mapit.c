/* mapit: the lab's mmap load generator, with an exact number of mmaps.
 *
 * usage: mapit [--passes N] [--pause-ms M] [--comm NAME] [--wait-signal]
 *
 * Defaults: --passes 0 (loop until killed, like the lab's program)
 *           --pause-ms 1000 --comm mapit.
 *
 * Order of events:
 *   1. setup: parse flags, block SIGUSR1 (--wait-signal), print
 *      `pid=<pid>` on stdout and flush it (stdout's buffer is allocated
 *      here, before the rename);
 *   2. the comm is set to NAME with prctl(PR_SET_NAME);
 *   3. with --wait-signal, block until SIGUSR1 (one rt_sigtimedwait);
 *   4. each pass: for i = 0 .. 9999, one mmap(NULL, ((i % 10) + 1) * 4096,
 *      PROT_READ|PROT_WRITE, MAP_ANONYMOUS | (i % 4 != 0 ? MAP_SHARED
 *      : MAP_PRIVATE), -1, 0); sleep M ms; munmap all 10,000; sleep M ms;
 *   5. exit 0 (exit_group).
 *
 * So under comm NAME, a run of N passes makes exactly 10,000 x N mmap
 * syscalls and no other: 1,000 x N of each length 4, 8, ..., 40 KiB
 * (4096 x k bytes), 7,500 x N with MAP_SHARED and 2,500 x N with
 * MAP_PRIVATE (flags are exactly MAP_SHARED|MAP_ANONYMOUS = 0x21 or
 * MAP_PRIVATE|MAP_ANONYMOUS = 0x22).  The mappings are never touched.
 * After the rename the program makes only mmap, munmap, nanosleep (when
 * M > 0), rt_sigtimedwait (--wait-signal) and exit_group: no stdio, no
 * malloc (the addresses live in a static array).  Before main, the
 * dynamic loader makes a few mmaps under the exec name "mapit": a tracer
 * that filters on the default comm gets exact counts only if it attaches
 * after them, i.e. with --wait-signal (or give another --comm).
 */
#define _GNU_SOURCE
#include <sys/mman.h>

#include "workload.h"

#define MAPS_PER_PASS 10000
#define PAGE 4096L

static void *addrs[MAPS_PER_PASS];

static size_t length(int i)
{
	return (size_t)((i % 10) + 1) * PAGE;
}

int main(int argc, char **argv)
{
	const char *comm = "mapit";
	long passes = 0, pause = 1000, pass;
	int wait_signal = 0, i;
	const struct wl_opt opts[] = {
	    WL_OPT_FLAG("--wait-signal", &wait_signal),
	    WL_OPT_NUM("--passes", &passes),
	    WL_OPT_NUM("--pause-ms", &pause),
	    WL_OPT_STR("--comm", &comm),
	    WL_OPT_END,
	};

	wl_parse(argc, argv, opts, NULL,
		 "usage: mapit [--passes N] [--pause-ms M] [--comm NAME] "
		 "[--wait-signal]\n");

	wl_start(comm, wait_signal);

	for (pass = 0; passes == 0 || pass < passes; pass++) {
		for (i = 0; i < MAPS_PER_PASS; i++) {
			int share = i % 4 != 0 ? MAP_SHARED : MAP_PRIVATE;

			addrs[i] = mmap(NULL, length(i), PROT_READ | PROT_WRITE,
					share | MAP_ANONYMOUS, -1, 0);
			if (addrs[i] == MAP_FAILED) {
				/* only after the counted calls can go wrong;
				 * report and stop (exit status 1) */
				perror("mapit: mmap");
				return 1;
			}
		}
		wl_pause_ms(pause);
		for (i = 0; i < MAPS_PER_PASS; i++)
			munmap(addrs[i], length(i));
		wl_pause_ms(pause);
	}
	return 0;
}
