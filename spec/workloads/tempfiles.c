/* tempfiles: the lab's temp-file opener, plus plain opens of known paths.
 *
 * usage: tempfiles [--count N] [--period-ms P] [--path PATH] [--comm NAME]
 *                  [--wait-signal] [--open PATH:K]... [--open-dir PATH:K]...
 *                  [--sys-open PATH:K]... [--cold-open PATH:K]...
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
 *        --cold-open PATH:K open(PATH, O_RDONLY) with PATH read from a page
 *                           the process has never touched: a file holding
 *                           PATH, mmapped afresh for each open (and
 *                           unmapped after), so at sys_enter_openat the
 *                           string is not paged in and a BPF read of it
 *                           fails; the kernel faults it in during the call
 *                           (its temp file is made before step 1; then K
 *                           mmap/munmap pairs)
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
#include <sys/mman.h>
#include <sys/syscall.h>

#include "workload.h"

enum kind { OPEN, OPEN_DIR, SYS_OPEN, COLD_OPEN };

struct plain {
	enum kind kind;
	char *path;
	long times;
	int file; /* COLD_OPEN: made before the rename (mkstemp opens) */
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

static void opt_cold_open(char *arg)
{
	add_plain(COLD_OPEN, arg);
}

/* A file holding path and its NUL, already unlinked. */
static int cold_file(const char *path)
{
	char name[] = "/tmp/tempfiles-cold.XXXXXX";
	int fd = mkstemp(name);

	if (fd < 0 || unlink(name) < 0 || write(fd, path, strlen(path) + 1) < 0)
		exit(1);
	return fd;
}

/* open(path) with path in a page mapped just now and never touched */
static int cold_open(int file)
{
	char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, file, 0);
	int fd;

	if (p == MAP_FAILED)
		exit(1);
	fd = open(p, O_RDONLY);
	munmap(p, 4096);
	return fd;
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
	    WL_OPT_FN("--cold-open", opt_cold_open),
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
		 "                 [--sys-open PATH:K]... [--cold-open PATH:K]...\n");

	for (a = 0; a < nplains; a++)
		plains[a].file = plains[a].kind == COLD_OPEN ? cold_file(plains[a].path) : -1;
	wl_start(comm, wait_signal);

	for (a = 0; a < nplains; a++) {
		int file = plains[a].file;

		for (j = 0; j < plains[a].times; j++) {
			switch (plains[a].kind) {
			case OPEN: fd = open(plains[a].path, O_RDONLY); break;
			case OPEN_DIR: fd = open(plains[a].path, O_RDONLY | O_DIRECTORY); break;
			case COLD_OPEN: fd = cold_open(file); break;
			default: fd = (int)syscall(SYS_open, plains[a].path, O_RDONLY); break;
			}
			if (fd >= 0)
				close(fd);
			opens++;
		}
		if (file >= 0)
			close(file);
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
