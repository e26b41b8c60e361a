/* floor: load OBJ (default empty.bpf.o), attach all its programs by their
 * SEC() names, print "Attaching N probes..." and "ready" on stdout, and
 * wait for SIGINT/SIGTERM; then detach and exit 0.
 *
 * build: cc -O2 -g -Wall -Wextra floor.c -o floor -lbpf -lelf -lz */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "empty.bpf.o";
	struct bpf_link *links[64];
	struct bpf_program *prog;
	struct bpf_object *obj;
	int n = 0, i;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	obj = bpf_object__open_file(path, NULL);
	if (!obj || libbpf_get_error(obj)) {
		fprintf(stderr, "floor: cannot open %s\n", path);
		return 1;
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "floor: cannot load %s\n", path);
		return 1;
	}
	bpf_object__for_each_program(prog, obj)
	{
		if (n == 64)
			break;
		links[n] = bpf_program__attach(prog);
		if (!links[n] || libbpf_get_error(links[n])) {
			fprintf(stderr, "floor: cannot attach %s\n", bpf_program__name(prog));
			return 1;
		}
		n++;
	}
	printf("Attaching %d probes...\nready\n", n);
	fflush(stdout);
	while (!stop)
		pause();
	for (i = 0; i < n; i++)
		bpf_link__destroy(links[i]);
	bpf_object__close(obj);
	return 0;
}
