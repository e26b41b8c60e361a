/* argcaller: prctl calls with chosen argument values.
 *
 * usage: argcaller NAME A B C D [A B C D ...]
 *
 * Takes the comm NAME (one prctl(PR_SET_NAME), made under the old name),
 * then for each group of four numbers (decimal, signed 64-bit) makes
 * exactly one prctl(ARGCALLER_OPTION, A, B, C, D) through syscall(2),
 * in order. The option is no prctl option, so each call fails with
 * EINVAL and changes nothing: specs read the arguments at
 * syscalls:sys_enter_prctl (arg2 .. arg5). Exit 0. */
#define _GNU_SOURCE
#include <sys/syscall.h>

#include "workload.h"

#define ARGCALLER_OPTION 0x6c627266 /* "lbrf" */

int main(int argc, char **argv)
{
	long long v[4];

	wl_usage_text = "usage: argcaller NAME A B C D [A B C D ...]\n";
	if (argc < 6 || (argc - 2) % 4)
		wl_usage();
	for (int i = 2; i < argc; i++) { /* all parsed before the first call */
		char *end;

		errno = 0;
		strtoll(argv[i], &end, 10);
		if (errno || end == argv[i] || *end)
			wl_usage();
	}
	wl_set_comm(argv[1]);
	for (int i = 2; i + 3 < argc; i += 4) {
		for (int k = 0; k < 4; k++)
			v[k] = strtoll(argv[i + k], NULL, 10);
		syscall(SYS_prctl, ARGCALLER_OPTION, v[0], v[1], v[2], v[3]);
	}
	return 0;
}
