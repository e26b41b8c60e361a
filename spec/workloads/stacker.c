/* stacker: system calls from known call paths, for stack specs.
 *
 * usage: stacker [--comm NAME] [--wait-signal] [--hold] [--writes N]
 *                [--closes-a A] [--closes-b B] [--sleep-us U]
 *
 * Prints "pid=<pid>" first. Then writes N times 64 bytes to /dev/null from
 * stacker_write (called through stacker_path_w), sleeping U microseconds
 * before each write when asked; then makes A close(-1) calls through
 * stacker_path_a -> stacker_close and B through stacker_path_b ->
 * stacker_close. The syscalls are made with inline assembly inside the
 * named functions, and the file is built with frame pointers, so a user
 * stack taken in the kernel starts in stacker_close / stacker_write and
 * walks up through the path functions to main. With --hold it prints
 * "done" after the calls and waits for SIGUSR1 before exiting, so that
 * its mappings can still be read when the stacks are printed. */
#define _GNU_SOURCE
#include <fcntl.h>

#include "workload.h"

static inline __attribute__((always_inline)) long raw3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

/* Built without optimisation so that even these leaf functions set up a
 * frame (gcc 12 drops leaf frames at -O2 whatever the flags say). */
#define LEAF __attribute__((noinline, optimize("O0")))

LEAF long stacker_write(int fd, const char *buf)
{
	return raw3(1 /* write */, fd, (long)buf, 64);
}

LEAF long stacker_close(int fd)
{
	return raw3(3 /* close */, fd, 0, 0);
}

__attribute__((noinline)) void stacker_path_w(int fd, int n, int sleep_us)
{
	static char buf[64];
	struct timespec ts = {0, sleep_us * 1000L};

	for (int i = 0; i < n; i++) {
		if (sleep_us)
			nanosleep(&ts, NULL);
		stacker_write(fd, buf);
	}
}

__attribute__((noinline)) void stacker_path_a(int n)
{
	for (int i = 0; i < n; i++)
		stacker_close(-1);
}

__attribute__((noinline)) void stacker_path_b(int n)
{
	for (int i = 0; i < n; i++)
		stacker_close(-1);
}

int main(int argc, char **argv)
{
	const char *comm = "stacker";
	int writes = 0, a = 0, b = 0, sleep_us = 0, wait = 0, hold = 0, fd;
	sigset_t set;

	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : "0";

		if (!strcmp(argv[i], "--comm"))
			comm = v, i++;
		else if (!strcmp(argv[i], "--writes"))
			writes = atoi(v), i++;
		else if (!strcmp(argv[i], "--closes-a"))
			a = atoi(v), i++;
		else if (!strcmp(argv[i], "--closes-b"))
			b = atoi(v), i++;
		else if (!strcmp(argv[i], "--sleep-us"))
			sleep_us = atoi(v), i++;
		else if (!strcmp(argv[i], "--wait-signal"))
			wait = 1;
		else if (!strcmp(argv[i], "--hold"))
			hold = 1;
		else {
			fprintf(stderr, "stacker: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	wl_sigusr1(&set, 1);
	if ((fd = open("/dev/null", O_WRONLY)) < 0)
		return 1;
	wl_set_comm(comm);
	wl_print_pid();
	if (wait)
		wl_wait_sigusr1(&set);
	stacker_path_w(fd, writes, sleep_us);
	stacker_path_a(a);
	stacker_path_b(b);
	if (hold) {
		printf("done\n");
		fflush(stdout);
		wl_wait_sigusr1(&set);
	}
	return 0;
}
