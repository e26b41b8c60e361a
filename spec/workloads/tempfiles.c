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
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum kind { OPEN, OPEN_DIR, SYS_OPEN };

struct plain {
	enum kind kind;
	char *path;
	long times;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: tempfiles [--count N] [--period-ms P] [--path PATH] "
		"[--comm NAME]\n"
		"                 [--wait-signal] [--open PATH:K]... "
		"[--open-dir PATH:K]...\n"
		"                 [--sys-open PATH:K]...\n");
	exit(2);
}

static long num(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < 0)
		usage();
	return v;
}

static void pause_ms(long ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000L,
	};

	if (ms <= 0)
		return;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* PATH:K, split at the last colon (PATH may hold colons). */
static void parse_plain(struct plain *p, enum kind kind, char *arg)
{
	char *colon = strrchr(arg, ':');

	if (!colon || colon == arg)
		usage();
	*colon = '\0';
	p->kind = kind;
	p->path = arg;
	p->times = num(colon + 1);
}

int main(int argc, char **argv)
{
	const char *comm = "tempfiles", *path = "/bilbo/baggins/";
	long count = 0, period = 5000, i, j, opens = 0;
	struct plain *plains;
	int nplains = 0, wait_signal = 0, a, fd;
	sigset_t set;
	char line[64];

	plains = calloc(argc, sizeof(*plains));
	if (!plains)
		return 1;
	for (a = 1; a < argc; a++) {
		const char *o = argv[a];

		if (!strcmp(o, "--wait-signal")) {
			wait_signal = 1;
			continue;
		}
		if (a + 1 >= argc)
			usage();
		if (!strcmp(o, "--count"))
			count = num(argv[++a]);
		else if (!strcmp(o, "--period-ms"))
			period = num(argv[++a]);
		else if (!strcmp(o, "--path"))
			path = argv[++a];
		else if (!strcmp(o, "--comm"))
			comm = argv[++a];
		else if (!strcmp(o, "--open"))
			parse_plain(&plains[nplains++], OPEN, argv[++a]);
		else if (!strcmp(o, "--open-dir"))
			parse_plain(&plains[nplains++], OPEN_DIR, argv[++a]);
		else if (!strcmp(o, "--sys-open"))
			parse_plain(&plains[nplains++], SYS_OPEN, argv[++a]);
		else
			usage();
	}

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	if (wait_signal)
		sigprocmask(SIG_BLOCK, &set, NULL);

	printf("pid=%d\n", (int)getpid());
	fflush(stdout);

	prctl(PR_SET_NAME, comm, 0, 0, 0);

	if (wait_signal) {
		int sig;

		while (sigwait(&set, &sig) != 0)
			;
	}

	for (a = 0; a < nplains; a++) {
		for (j = 0; j < plains[a].times; j++) {
			switch (plains[a].kind) {
			case OPEN:
				fd = open(plains[a].path, O_RDONLY);
				break;
			case OPEN_DIR:
				fd = open(plains[a].path, O_RDONLY | O_DIRECTORY);
				break;
			default:
				fd = (int)syscall(SYS_open, plains[a].path, O_RDONLY);
				break;
			}
			if (fd >= 0)
				close(fd);
			opens++;
		}
	}

	for (i = 0; count == 0 || i < count; i++) {
		if (i > 0)
			pause_ms(period);
		fd = open(path, O_TMPFILE | O_RDWR, 0600);
		if (fd >= 0)
			close(fd);
	}

	snprintf(line, sizeof(line), "tmpfiles=%ld opens=%ld\n", count, opens);
	if (write(1, line, strlen(line)) < 0)
		return 1;
	return 0;
}
