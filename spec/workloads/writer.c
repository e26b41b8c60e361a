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
#include <fcntl.h>

#include "workload.h"

struct spec {
	int fd;
	long size;
	long count;
};

static const char *comm = "writer";
static int wait_signal, text;
static long pause_ms, maxsize = 1;
static struct spec *specs;
static int nspecs;

/* FD:SIZExCOUNT */
static void add_spec(char *a)
{
	struct spec *s = &specs[nspecs++];
	char *end;

	s->fd = (int)wl_num_prefix(a, &end);
	if (*end != ':')
		wl_usage();
	s->size = wl_num_prefix(end + 1, &end);
	if (*end != 'x')
		wl_usage();
	s->count = wl_num_prefix(end + 1, &end);
	if (*end)
		wl_usage();
	if (s->size > maxsize)
		maxsize = s->size;
}

static const struct wl_opt opts[] = {
    WL_OPT_FLAG("--wait-signal", &wait_signal),
    WL_OPT_FLAG("--text", &text),
    WL_OPT_STR("--comm", &comm),
    WL_OPT_NUM("--pause-ms", &pause_ms),
    WL_OPT_END,
};

int main(int argc, char **argv)
{
	int i, nullfd;
	sigset_t set;
	char *buf;
	long j;

	specs = calloc(argc, sizeof(*specs));
	if (!specs)
		return 1;
	wl_parse(argc, argv, opts, add_spec,
		 "usage: writer [--comm NAME] [--wait-signal] [--pause-ms M] "
		 "FD:SIZExCOUNT...\n");
	if (nspecs == 0)
		wl_usage();

	buf = malloc(maxsize + 1);
	if (!buf)
		return 1;
	memset(buf, 'w', maxsize);
	buf[maxsize] = '\0';

	/* Block SIGUSR1 before the pid is printed: a tracer may send it as
	 * soon as it reads the pid. */
	wl_sigusr1(&set, wait_signal);

	wl_set_comm(comm);
	wl_print_pid();

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

	if (wait_signal)
		wl_wait_sigusr1(&set);

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
				fprintf(stderr, "writer: short write on fd %d\n", specs[i].fd);
				return 1;
			}
			wl_pause_ms(pause_ms);
		}
	}
	return 0;
}
