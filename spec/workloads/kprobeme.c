/* kprobeme: the lab's kernel-probe target, a slow descriptor leak.
 *
 * usage: kprobeme [--iterations N] [--period-ms P] [--comm NAME]
 *                 [--tmpdir DIR] [--unlinkat] [--linger-ms L]
 *                 [--wait-signal]
 *
 * Defaults: --iterations 0 (loop until killed, like the lab's program)
 *           --period-ms 1000 --comm kprobeme --tmpdir /tmp --linger-ms 0.
 *
 * Order of events:
 *   1. `pid=<pid>` is printed on stdout and flushed;
 *   2. the comm is set to NAME with prctl(PR_SET_NAME); with --unlinkat
 *      DIR is opened (O_RDONLY|O_DIRECTORY) and kept open;
 *   3. with --wait-signal, block until SIGUSR1;
 *   4. iteration i = 0, 1, ..., N-1:
 *        a. fd = syscall(SYS_open, "/proc/uptime", O_RDONLY): the old open
 *           syscall (tracepoint syscalls:sys_enter_open), which glibc
 *           never uses on x86-64: under comm NAME it is the only one;
 *        b. read(fd, buf, 1024) once;
 *        c. close(fd) -- except when i % 5 == 0: that fd is leaked;
 *        d. mkstemp("DIR/kprobemeXXXXXX") (an openat), close it, and
 *           unlink it: unlink(path) (syscall unlink), or with --unlinkat
 *           unlinkat(dirfd, "kprobemeXXXXXX", 0) relative to the open DIR;
 *           then one line on stdout (write(2)): `unlinked <path>`;
 *        e. sleep P ms (not after the last iteration);
 *   5. sleep L ms (a tracer that resolves descriptors or the cwd through
 *      /proc/PID after the fact finds the process still there);
 *   6. one line on stdout: `leaked=<count> fds=<fd1>,<fd2>,...` (the
 *      descriptors of /proc/uptime still open, in the order they were
 *      leaked), and exit 0 (the leaked fds are closed by the exit).
 *
 * So with N iterations: N opens of /proc/uptime, N - ceil(N/5) closes of
 * them, ceil(N/5) leaked (exactly N/5 when 5 divides N), N unlinks, each
 * printed.  The fd pattern: the first open gets the lowest free fd (3 in
 * a shell) and leaks it; the next four reuse one fd (4), closed each time;
 * i = 5 leaks that fd, i = 6..9 get the next one, and so on: the fd
 * number climbs by one every five iterations.  (The mkstemp fd is the
 * same lowest free fd again, closed before the next iteration.)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/syscall.h>

#include "workload.h"

static void say(const char *s)
{
	size_t n = strlen(s);

	while (n > 0) {
		ssize_t w = write(1, s, n);

		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

int main(int argc, char **argv)
{
	const char *comm = "kprobeme", *tmpdir = "/tmp";
	long iterations = 0, period = 1000, linger = 0, i;
	int wait_signal = 0, use_unlinkat = 0, dirfd = -1;
	int *leaked = NULL;
	long nleaked = 0, cap = 0;
	sigset_t set;
	char buf[1024], path[4096], line[4200];
	char *out;
	size_t len;
	const struct wl_opt opts[] = {
	    WL_OPT_FLAG("--wait-signal", &wait_signal),
	    WL_OPT_FLAG("--unlinkat", &use_unlinkat),
	    WL_OPT_NUM("--iterations", &iterations),
	    WL_OPT_NUM("--period-ms", &period),
	    WL_OPT_STR("--comm", &comm),
	    WL_OPT_NUM("--linger-ms", &linger),
	    WL_OPT_STR("--tmpdir", &tmpdir),
	    WL_OPT_END,
	};

	wl_parse(argc, argv, opts, NULL,
		 "usage: kprobeme [--iterations N] [--period-ms P] "
		 "[--comm NAME]\n"
		 "                [--tmpdir DIR] [--unlinkat] "
		 "[--linger-ms L] [--wait-signal]\n");
	if (strlen(tmpdir) > 4000)
		wl_usage();

	wl_sigusr1(&set, wait_signal);

	wl_print_pid();

	wl_set_comm(comm);
	if (use_unlinkat) {
		dirfd = open(tmpdir, O_RDONLY | O_DIRECTORY);
		if (dirfd < 0) {
			perror("kprobeme: tmpdir");
			return 1;
		}
	}

	if (wait_signal)
		wl_wait_sigusr1(&set);

	for (i = 0; iterations == 0 || i < iterations; i++) {
		int fd, tfd;

		if (i > 0)
			wl_pause_ms(period);

		fd = (int)syscall(SYS_open, "/proc/uptime", O_RDONLY);
		if (fd < 0) {
			perror("kprobeme: /proc/uptime");
			return 1;
		}
		if (read(fd, buf, sizeof(buf)) < 0)
			perror("kprobeme: read");
		if (i % 5 == 0) {
			if (nleaked == cap) {
				cap = cap ? 2 * cap : 64;
				leaked = realloc(leaked, cap * sizeof(*leaked));
				if (!leaked)
					return 1;
			}
			leaked[nleaked++] = fd;
		} else {
			close(fd);
		}

		snprintf(path, sizeof(path), "%s/kprobemeXXXXXX", tmpdir);
		tfd = mkstemp(path);
		if (tfd < 0) {
			perror("kprobeme: mkstemp");
			return 1;
		}
		close(tfd);
		if (use_unlinkat)
			fd = unlinkat(dirfd, strrchr(path, '/') + 1, 0);
		else
			fd = unlink(path);
		if (fd < 0) {
			perror("kprobeme: unlink");
			return 1;
		}
		snprintf(line, sizeof(line), "unlinked %s\n", path);
		say(line);
	}

	wl_pause_ms(linger);

	/* leaked=<n> fds=a,b,... */
	len = 64 + 12 * (size_t)nleaked;
	out = malloc(len);
	if (!out)
		return 1;
	{
		size_t off = (size_t)snprintf(out, len, "leaked=%ld fds=", nleaked);
		long k;

		for (k = 0; k < nleaked; k++)
			off +=
			    (size_t)snprintf(out + off, len - off, "%s%d", k ? "," : "", leaked[k]);
		snprintf(out + off, len - off, "\n");
	}
	say(out);
	return 0;
}
