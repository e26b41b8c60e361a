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
#include <pwd.h>
#include <sys/sdt.h>

#include "workload.h"

int main(int argc, char **argv)
{
	const char *user = "root";
	long count = 0, period = 1000, i, found = 0;
	int wait_signal = 0;
	sigset_t set;
	char home[4096] = "-";
	const struct wl_opt opts[] = {
	    WL_OPT_FLAG("--wait-signal", &wait_signal),
	    WL_OPT_STR("--user", &user),
	    WL_OPT_NUM("--count", &count),
	    WL_OPT_NUM("--period-ms", &period),
	    WL_OPT_END,
	};

	wl_parse(argc, argv, opts, NULL,
		 "usage: usdt_passwd [--user NAME] [--count N] "
		 "[--period-ms P] [--wait-signal]\n");

	wl_sigusr1(&set, wait_signal);

	wl_print_pid();

	if (wait_signal)
		wl_wait_sigusr1(&set);

	for (i = 0; count == 0 || i < count; i++) {
		struct passwd *pw;

		if (i > 0)
			wl_pause_ms(period);
		setpwent();
		while ((pw = getpwent()) != NULL) {
			if (strcmp(pw->pw_name, user) == 0) {
				DTRACE_PROBE2(usdt_samp1, passwdfound, pw->pw_name, pw->pw_dir);
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
