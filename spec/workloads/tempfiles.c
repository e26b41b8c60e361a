/* tempfiles: the lab's temp-file opener, plus plain opens of known paths.
 *
 * usage: tempfiles [--count N] [--period-ms P] [--path PATH] [--comm NAME]
 *                  [--wait-signal] [--open PATH:K]... [--open-dir PATH:K]...
 *                  [--sys-open PATH:K]...
 *
 * Defaults: --count 0 (loop until killed, like the lab's program)
 *           --period-ms 5000 --path /bilbo/baggins/ --comm tempfiles.
 *
 * Order of events:
 *   1. `pid=<pid>` is printed on stdout and flushed;
 *   2. the comm is set to NAME with prctl(PR_SET_NAME);
 *   3. with --wait-signal, block until SIGUSR1;
 *   4. the plain opens, in command-line order, each K times:
 *        --open PATH:K      open(PATH, O_RDONLY)             (glibc: openat)
 *        --open-dir PATH:K  open(PATH, O_RDONLY|O_DIRECTORY) (glibc: openat)
 *        --sys-open PATH:K  syscall(SYS_open, PATH, O_RDONLY) (the old open
 *                           syscall, which glibc never uses on x86-64)
 *      a successful open is closed at once;
 *   5. N times (or forever with N = 0): open(PATH, O_TMPFILE|O_RDWR, 0600)
 *      -- glibc issues openat(AT_FDCWD, PATH, O_TMPFILE|O_RDWR, 0600);
 *      on a missing directory such as /bilbo/baggins/ it fails with ENOENT
 *      and is traced all the same -- then sleep P ms (not after the last);
 *      a successful one (PATH an existing directory) is closed at once;
 *   6. `tmpfiles=<N> opens=<total of the K>` is printed on stdout, exit 0.
 *
 * So under comm NAME, PATH is opened exactly N times with O_TMPFILE (flags
 * O_TMPFILE|O_RDWR = 0x410002 on x86-64) and each plain PATH exactly K
 * times (summed when named twice), none of them with O_TMPFILE; there are
 * no other open/openat calls after the rename (the final line is written
 * with write(2), no stdio).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/syscall.h>

#include "workload.h"

enum kind { OPEN, OPEN_DIR, SYS_OPEN };

struct plain {
	enum kind kind;
	char *path;
	long times;
};

static struct plain *plains;
static int nplains;

/* PATH:K, split at the last colon (PATH may hold colons). */
static void add_plain(enum kind kind, char *arg)
{
	struct plain *p = &plains[nplains++];
	char *colon = strrchr(arg, ':');

	if (!colon || colon == arg)
		wl_usage();
	*colon = '\0';
	p->kind = kind;
	p->path = arg;
	p->times = wl_num(colon + 1);
}

static void opt_open(char *arg)
{
	add_plain(OPEN, arg);
}

static void opt_open_dir(char *arg)
{
	add_plain(OPEN_DIR, arg);
}

static void opt_sys_open(char *arg)
{
	add_plain(SYS_OPEN, arg);
}

int main(int argc, char **argv)
{
	const char *comm = "tempfiles", *path = "/bilbo/baggins/";
	long count = 0, period = 5000, i, j, opens = 0;
	int wait_signal = 0, a, fd;
	char line[64];
	const struct wl_opt opts[] = {
	    WL_OPT_FLAG("--wait-signal", &wait_signal),
	    WL_OPT_NUM("--count", &count),
	    WL_OPT_NUM("--period-ms", &period),
	    WL_OPT_STR("--path", &path),
	    WL_OPT_STR("--comm", &comm),
	    WL_OPT_FN("--open", opt_open),
	    WL_OPT_FN("--open-dir", opt_open_dir),
	    WL_OPT_FN("--sys-open", opt_sys_open),
	    WL_OPT_END,
	};

	plains = calloc(argc, sizeof(*plains));
	if (!plains)
		return 1;
	wl_parse(argc, argv, opts, NULL,
		 "usage: tempfiles [--count N] [--period-ms P] [--path PATH] "
		 "[--comm NAME]\n"
		 "                 [--wait-signal] [--open PATH:K]... "
		 "[--open-dir PATH:K]...\n"
		 "                 [--sys-open PATH:K]...\n");

	wl_start(comm, wait_signal);

	for (a = 0; a < nplains; a++) {
		for (j = 0; j < plains[a].times; j++) {
			switch (plains[a].kind) {
			case OPEN: fd = open(plains[a].path, O_RDONLY); break;
			case OPEN_DIR: fd = open(plains[a].path, O_RDONLY | O_DIRECTORY); break;
			default: fd = (int)syscall(SYS_open, plains[a].path, O_RDONLY); break;
			}
			if (fd >= 0)
				close(fd);
			opens++;
		}
	}

	for (i = 0; count == 0 || i < count; i++) {
		if (i > 0)
			wl_pause_ms(period);
		fd = open(path, O_TMPFILE | O_RDWR, 0600);
		if (fd >= 0)
			close(fd);
	}

	snprintf(line, sizeof(line), "tmpfiles=%ld opens=%ld\n", count, opens);
	if (write(1, line, strlen(line)) < 0)
		return 1;
	return 0;
}
