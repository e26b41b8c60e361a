/* writer: write known byte counts to known file descriptors.
 *
 * usage: writer [--comm NAME] [--wait-signal] [--pause-ms M] [--text] SPEC...
 *   SPEC is FD:SIZExCOUNT, e.g. `writer 5:100x7 6:4096x3`
 *
 * Order of events:
 *   1. the comm is set to NAME (default "writer") with prctl(PR_SET_NAME);
 *   2. `pid=<pid>` is printed on stdout and flushed (one write(2) on fd 1);
 *   3. /dev/null is opened and dup2'ed onto every FD of the specs (so an FD
 *      of 1 or 2 is fine: it is redirected only after the pid line);
 *   4. with --wait-signal, the program blocks until SIGUSR1;
 *   5. for each SPEC in command-line order: COUNT calls of
 *      write(FD, buf, SIZE), each writing SIZE bytes (/dev/null accepts
 *      all), with --pause-ms M (default 0) of sleep after each write;
 *   6. exit 0.
 * So FD receives exactly COUNT writes and SIZE*COUNT bytes per SPEC (specs
 * naming the same FD twice add up).  No other write(2) is made after step 2.
 *
 * The bytes written are 'w's, except with --text: then every write is one
 * text line, SIZE - 1 characters cycling through "0123456789" followed by
 * '\n', and the buffer holds a NUL just after those SIZE bytes (not
 * written), so that a tracer's str(args->buf) reads exactly the line.
 * E.g. `writer --text 2:20480x1` writes one 20 KiB line to fd 2.
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

struct spec {
	int fd;
	long size;
	long count;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: writer [--comm NAME] [--wait-signal] [--pause-ms M] "
		"FD:SIZExCOUNT...\n");
	exit(2);
}

static long num(const char *s, char **end)
{
	long v;

	errno = 0;
	v = strtol(s, end, 10);
	if (errno || *end == s || v < 0)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	const char *comm = "writer";
	int wait_signal = 0, text = 0;
	long pause_ms = 0, maxsize = 1;
	struct spec *specs;
	int nspecs = 0, i, nullfd;
	char *buf, *end;
	sigset_t set;
	long j;

	specs = calloc(argc, sizeof(*specs));
	if (!specs)
		return 1;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--wait-signal")) {
			wait_signal = 1;
		} else if (!strcmp(a, "--text")) {
			text = 1;
		} else if (!strcmp(a, "--comm")) {
			if (++i >= argc)
				usage();
			comm = argv[i];
		} else if (!strcmp(a, "--pause-ms")) {
			if (++i >= argc)
				usage();
			pause_ms = num(argv[i], &end);
			if (*end)
				usage();
		} else {
			struct spec *s = &specs[nspecs++];

			s->fd = (int)num(a, &end);
			if (*end != ':')
				usage();
			s->size = num(end + 1, &end);
			if (*end != 'x')
				usage();
			s->count = num(end + 1, &end);
			if (*end)
				usage();
			if (s->size > maxsize)
				maxsize = s->size;
		}
	}
	if (nspecs == 0)
		usage();

	buf = malloc(maxsize + 1);
	if (!buf)
		return 1;
	memset(buf, 'w', maxsize);
	buf[maxsize] = '\0';

	/* Block SIGUSR1 before the pid is printed: a tracer may send it as
	 * soon as it reads the pid. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	if (wait_signal)
		sigprocmask(SIG_BLOCK, &set, NULL);

	prctl(PR_SET_NAME, comm, 0, 0, 0);
	printf("pid=%d\n", (int)getpid());
	fflush(stdout);

	nullfd = open("/dev/null", O_WRONLY);
	if (nullfd < 0) {
		perror("writer: /dev/null");
		return 1;
	}
	for (i = 0; i < nspecs; i++) {
		if (specs[i].fd != nullfd && dup2(nullfd, specs[i].fd) < 0) {
			perror("writer: dup2");
			return 1;
		}
	}

	if (wait_signal) {
		int sig;

		while (sigwait(&set, &sig) != 0)
			;
	}

	for (i = 0; i < nspecs; i++) {
		if (text && specs[i].size > 0) {
			for (j = 0; j < specs[i].size - 1; j++)
				buf[j] = (char)('0' + j % 10);
			buf[specs[i].size - 1] = '\n';
			buf[specs[i].size] = '\0';
		}
		for (j = 0; j < specs[i].count; j++) {
			ssize_t n = write(specs[i].fd, buf, specs[i].size);

			if (n != specs[i].size) {
				fprintf(stderr, "writer: short write on fd %d\n",
					specs[i].fd);
				return 1;
			}
			if (pause_ms > 0) {
				struct timespec ts = {
					.tv_sec = pause_ms / 1000,
					.tv_nsec = (pause_ms % 1000) * 1000000L,
				};

				while (nanosleep(&ts, &ts) == -1 &&
				       errno == EINTR)
					;
			}
		}
	}
	return 0;
}
