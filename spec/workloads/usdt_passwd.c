/* usdt_passwd: the lab's USDT example: scan the passwd database for a
 * user and fire a static probe when the user is found.
 *
 * usage: usdt_passwd [--user NAME] [--count N] [--period-ms P]
 *                    [--wait-signal]
 *
 * Defaults: --user root --count 0 (scan until killed, like the lab's
 *           program) --period-ms 1000.
 *
 * The binary exports one USDT probe (a .note.stapsdt note, from
 * <sys/sdt.h>, package systemtap-sdt-dev):
 *     usdt_samp1:passwdfound(const char *name, const char *homedir)
 * `bpftrace -l 'usdt:PATH:*'` lists it as usdt:PATH:usdt_samp1:passwdfound.
 *
 * Order of events:
 *   1. `pid=<pid>` is printed on stdout and flushed;
 *   2. with --wait-signal, block until SIGUSR1;
 *   3. N times: setpwent(), getpwent() until an entry's pw_name is NAME
 *      or the database ends, endpwent(); when found, fire
 *      DTRACE_PROBE2(usdt_samp1, passwdfound, pw_name, pw_dir); then
 *      sleep P ms (not after the last scan);
 *   4. one line: `scans=<N> found=<times the probe fired> home=<pw_dir
 *      or "-">`, and exit 0.
 *
 * So with a user that exists, the probe fires exactly N times with the
 * user's name and home directory; with one that does not, never.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sdt.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr, "usage: usdt_passwd [--user NAME] [--count N] "
			"[--period-ms P] [--wait-signal]\n");
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

int main(int argc, char **argv)
{
	const char *user = "root";
	long count = 0, period = 1000, i, found = 0;
	int wait_signal = 0, a;
	sigset_t set;
	char home[4096] = "-";

	for (a = 1; a < argc; a++) {
		const char *o = argv[a];

		if (!strcmp(o, "--wait-signal")) {
			wait_signal = 1;
			continue;
		}
		if (a + 1 >= argc)
			usage();
		if (!strcmp(o, "--user"))
			user = argv[++a];
		else if (!strcmp(o, "--count"))
			count = num(argv[++a]);
		else if (!strcmp(o, "--period-ms"))
			period = num(argv[++a]);
		else
			usage();
	}

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	if (wait_signal)
		sigprocmask(SIG_BLOCK, &set, NULL);

	printf("pid=%d\n", (int)getpid());
	fflush(stdout);

	if (wait_signal) {
		int sig;

		while (sigwait(&set, &sig) != 0)
			;
	}

	for (i = 0; count == 0 || i < count; i++) {
		struct passwd *pw;

		if (i > 0)
			pause_ms(period);
		setpwent();
		while ((pw = getpwent()) != NULL) {
			if (strcmp(pw->pw_name, user) == 0) {
				DTRACE_PROBE2(usdt_samp1, passwdfound,
					      pw->pw_name, pw->pw_dir);
				snprintf(home, sizeof(home), "%s", pw->pw_dir);
				found++;
				break;
			}
		}
		endpwent();
	}

	printf("scans=%ld found=%ld home=%s\n", count, found, home);
	return 0;
}
