/* progstat: the kernel's own per-program run time (bpf_stats), the least
 * noisy figure for what a tracer's BPF code costs per event.
 *
 *   progstat hold    enable run-time statistics (BPF_ENABLE_STATS; they
 *                    stay on while this process lives, and go back to
 *                    what they were when it exits), print "ready", wait
 *                    for SIGINT/SIGTERM
 *   progstat PID...  for each BPF program PID holds a descriptor of (the
 *                    program, or a link to it), one line
 *                    "ID RUN_CNT RUN_TIME_NS NAME"
 *
 * build: cc -O2 -Wall -Wextra progstat.c -o progstat -lbpf */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int seen(const unsigned *ids, int n, unsigned id)
{
	for (int i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

/* program ids from the fdinfo of PID's descriptors, appended to ids */
static int pid_progs(const char *pid, unsigned *ids, int n, int max)
{
	char path[64], line[128];
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof path, "/proc/%s/fdinfo", pid);
	if (!(dir = opendir(path)))
		return n;
	while ((d = readdir(dir)) && n < max) {
		FILE *f;
		unsigned id;

		snprintf(path, sizeof path, "/proc/%s/fdinfo/%.20s", pid, d->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		while (fgets(line, sizeof line, f))
			if (sscanf(line, "prog_id: %u", &id) == 1 && !seen(ids, n, id) && n < max)
				ids[n++] = id;
		fclose(f);
	}
	closedir(dir);
	return n;
}

int main(int argc, char **argv)
{
	unsigned ids[1024];
	int n = 0;

	if (argc == 2 && !strcmp(argv[1], "hold")) {
		int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

		if (fd < 0) {
			fprintf(stderr, "progstat: cannot enable BPF run-time statistics\n");
			return 1;
		}
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		printf("ready\n");
		fflush(stdout);
		while (!stop)
			pause();
		return 0;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: progstat hold | progstat PID...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++)
		n = pid_progs(argv[i], ids, n, 1024);
	for (int i = 0; i < n; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof info;
		int fd = bpf_prog_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			printf("%u %llu %llu %s\n", ids[i], (unsigned long long)info.run_cnt,
			       (unsigned long long)info.run_time_ns, info.name);
		close(fd);
	}
	return 0;
}
