/* closeall: the lab's "close every descriptor" loop, with exact counts.
 *
 * usage: closeall [--rounds N] [--period-ms P] [--upper U] [--lower L]
 *                 [--keep K] [--comm NAME] [--wait-signal]
 *
 * Defaults: --rounds 0 (loop until killed, like the lab's program)
 *           --period-ms 5000 --upper 65535 --lower 4 --keep 0
 *           --comm closeall.
 *
 * Order of events:
 *   1. with --keep K, RLIMIT_NOFILE is raised if needed (soft to hard,
 *      hard too when allowed), then /dev/null is opened and dup2'ed onto
 *      fds L .. L+K-1 (so the first round has K closes that succeed);
 *   2. `pid=<pid>` is printed on stdout and flushed;
 *   3. the comm is set to NAME with prctl(PR_SET_NAME);
 *   4. with --wait-signal, block until SIGUSR1;
 *   5. each round: close(fd) for fd = U, U-1, ..., L (U - L + 1 closes, made
 *      with syscall(SYS_close) so each is exactly one close syscall, and
 *      counted: those that fail with EBADF, and any other outcome); then
 *      sleep P ms (not after the last round);
 *   6. one line on stdout (write(2), no stdio):
 *          closes=<total> ebadf=<failed with EBADF> ok=<succeeded> other=<other errors>
 *      and exit 0.
 *
 * Descriptors in L..U that the program inherited open are closed by the
 * first round like the --keep ones; a spec compares the tracer with the
 * printed ebadf, which counts them right either way.  With nothing open
 * in L..U, each round gives exactly U - L + 1 EBADF closes (65,532 with
 * the lab's 65535 down to 4).  Under comm NAME the only close syscalls
 * are the counted ones.  A high --lower (e.g. --lower 2001 --upper 5000)
 * picks fds no other process on the machine closes, for tracers that
 * watch the whole system.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "workload.h"

int main(int argc, char **argv)
{
	const char *comm = "closeall";
	long rounds = 0, period = 5000, upper = 65535, lower = 4, keep = 0, r, fd;
	long closes = 0, ebadf = 0, ok = 0, other = 0;
	int wait_signal = 0, nullfd;
	char line[128];
	const struct wl_opt opts[] = {
	    WL_OPT_FLAG("--wait-signal", &wait_signal),
	    WL_OPT_NUM("--rounds", &rounds),
	    WL_OPT_NUM("--period-ms", &period),
	    WL_OPT_NUM("--upper", &upper),
	    WL_OPT_NUM("--lower", &lower),
	    WL_OPT_NUM("--keep", &keep),
	    WL_OPT_STR("--comm", &comm),
	    WL_OPT_END,
	};

	wl_parse(argc, argv, opts, NULL,
		 "usage: closeall [--rounds N] [--period-ms P] [--upper U] "
		 "[--lower L]\n"
		 "                [--keep K] [--comm NAME] [--wait-signal]\n");
	if (upper > 0x7fffffffL || lower < 4 || keep > 1000000 || lower + keep - 1 > upper)
		wl_usage();

	if (keep > 0) {
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur <= (rlim_t)(lower + keep)) {
			rl.rlim_cur = rl.rlim_max;
			if (rl.rlim_max <= (rlim_t)(lower + keep)) /* root may */
				rl.rlim_cur = rl.rlim_max = (rlim_t)(lower + keep + 1);
			setrlimit(RLIMIT_NOFILE, &rl);
		}
		nullfd = open("/dev/null", O_RDONLY);
		if (nullfd < 0) {
			perror("closeall: /dev/null");
			return 1;
		}
		for (fd = lower; fd < lower + keep; fd++) {
			if (fd != nullfd && dup2(nullfd, (int)fd) < 0) {
				perror("closeall: dup2");
				return 1;
			}
		}
		if (nullfd < lower || nullfd >= lower + keep)
			close(nullfd);
	}

	wl_start(comm, wait_signal);

	for (r = 0; rounds == 0 || r < rounds; r++) {
		if (r > 0)
			wl_pause_ms(period);
		for (fd = upper; fd >= lower; fd--) {
			closes++;
			if (syscall(SYS_close, (int)fd) == 0)
				ok++;
			else if (errno == EBADF)
				ebadf++;
			else
				other++;
		}
	}

	snprintf(line, sizeof(line), "closes=%ld ebadf=%ld ok=%ld other=%ld\n", closes, ebadf, ok,
		 other);
	if (write(1, line, strlen(line)) < 0)
		return 1;
	return 0;
}
