/* luabpf -c CMD. The command runs under a keeper process, a fork of
 * luabpf: the kernel sends the keeper SIGTERM when luabpf dies, even of
 * SIGKILL (PR_SET_PDEATHSIG), and as a child subreaper it inherits every
 * orphan of the tree, so it can always end the whole tree. A death signal
 * on the command alone would leave a shell's children running. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "child.h"

enum { GRACE_MS = 200, STEP_MS = 10 };

static void sleep_ms(int ms)
{
	struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&t, NULL);
}

/* Live processes whose parent chain reaches root, from /proc: parents
 * may exit while we look (their children then become root's, the
 * subreaper's), so callers repeat until none are left. */
static int descendants(pid_t root, pid_t **out)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t *pid = NULL, *ppid = NULL;
	char *in = NULL;
	int n = 0, cap = 0, found = 0, grew = 1;

	*out = NULL;
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char path[64], buf[512], *p, state;
		int fd, len, pp;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%d/stat", atoi(de->d_name));
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		len = (int)read(fd, buf, sizeof buf - 1);
		close(fd);
		/* "pid (comm) S ppid ...": comm may hold anything, even ')' */
		if (len <= 0 || !(buf[len] = 0, p = strrchr(buf, ')')) ||
		    sscanf(p + 1, " %c %d", &state, &pp) != 2 || state == 'Z')
			continue;
		if (n == cap) {
			pid_t *a = realloc(pid, (size_t)(cap ? 2 * cap : 256) * sizeof *pid);
			pid_t *b =
			    a ? realloc(ppid, (size_t)(cap ? 2 * cap : 256) * sizeof *ppid) : NULL;

			if (a)
				pid = a;
			if (!b)
				break;
			ppid = b;
			cap = cap ? 2 * cap : 256;
		}
		pid[n] = atoi(de->d_name);
		ppid[n++] = pp;
	}
	closedir(d);
	if (pid && ppid && (in = calloc((size_t)n + 1, 1)))
		while (grew) {
			grew = 0;
			for (int i = 0; i < n; i++) {
				if (in[i])
					continue;
				for (int j = 0; j < n && !in[i]; j++)
					in[i] = ppid[i] == root || (in[j] && pid[j] == ppid[i]);
				if (in[i])
					grew = 1, found++;
			}
		}
	for (int i = 0, k = 0; in && i < n; i++)
		if (in[i])
			pid[k++] = pid[i];
	free(ppid);
	free(in);
	if (!found)
		free(pid), pid = NULL;
	*out = pid;
	return found;
}

static int signal_tree(pid_t root, int sig)
{
	pid_t *pids;
	int n = descendants(root, &pids);

	for (int i = 0; i < n; i++)
		kill(pids[i], sig);
	free(pids);
	return n;
}

/* Reap every ended child; the command's status goes to *status. */
static void reap_all(pid_t cmd, int *status)
{
	int st;
	pid_t p;

	while ((p = waitpid(-1, &st, WNOHANG)) > 0)
		if (p == cmd)
			*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void end_tree(pid_t cmd, int *status)
{
	pid_t me = getpid();

	if (signal_tree(me, SIGTERM))
		for (int t = 0; t < GRACE_MS; t += STEP_MS) {
			sleep_ms(STEP_MS);
			reap_all(cmd, status);
			if (!signal_tree(me, 0))
				break;
		}
	/* a bounded loop: a tree forking faster than this kills is rare */
	for (int i = 0; i < 100 && signal_tree(me, SIGKILL); i++) {
		sleep_ms(1);
		reap_all(cmd, status);
	}
	reap_all(cmd, status);
}

/* The keeper's life: wait for the command's end, a request (SIGTERM
 * from luabpf) or luabpf's death (SIGTERM, the death signal). */
static void keep(pid_t cmd, const sigset_t *wait)
{
	int status = -1;

	for (;;) {
		siginfo_t si;

		if (sigwaitinfo(wait, &si) < 0)
			continue;
		reap_all(cmd, &status);
		if (si.si_signo != SIGCHLD || status >= 0)
			break;
	}
	end_tree(cmd, &status);
	_exit(status >= 0 ? status : 128 + SIGKILL);
}

/* Is pid blocked in read(2)? /proc/PID/syscall: "0 0x..." then. */
static int in_read(pid_t pid)
{
	char path[64], buf[64];
	int fd, n;

	snprintf(path, sizeof path, "/proc/%d/syscall", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = (int)read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return atoi(buf) == SYS_read && buf[0] >= '0' && buf[0] <= '9';
}

int lb_child_spawn(struct lb_child *c, char *const argv[], char *err, size_t errlen)
{
	int gate[2], info[2];
	pid_t luabpf = getpid(), cmd = -1;

	c->pid = c->keeper = c->gate = c->status = -1;
	if (pipe2(gate, O_CLOEXEC))
		return snprintf(err, errlen, "pipe: %s", strerror(errno)), -1;
	if (pipe2(info, O_CLOEXEC)) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		close(gate[0]), close(gate[1]);
		return -1;
	}
	if ((c->keeper = fork()) < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(gate[0]), close(gate[1]), close(info[0]), close(info[1]);
		return -1;
	}
	if (c->keeper == 0) {
		sigset_t wait, all;
		pid_t keeper = getpid();

		/* terminal signals reach the command, not the keeper */
		sigfillset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		signal(SIGCHLD, SIG_DFL);
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) || getppid() != luabpf ||
		    prctl(PR_SET_CHILD_SUBREAPER, 1))
			_exit(127);
		close(gate[1]), close(info[0]);
		if ((cmd = fork()) == 0) {
			sigset_t none;
			char go;

			sigemptyset(&none);
			if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != keeper)
				_exit(127);
			sigprocmask(SIG_SETMASK, &none, NULL);
			if (read(gate[0], &go, 1) != 1)
				_exit(127); /* luabpf gave up before the run */
			execvp(argv[0], argv);
			_exit(127);
		}
		(void)!write(info[1], &cmd, sizeof cmd);
		if (cmd < 0)
			_exit(127);
		/* nothing of luabpf's is kept open: a pipe luabpf writes to
		 * must see its end when luabpf and the tree have gone */
		syscall(SYS_close_range, 0, ~0U, 0);
		sigemptyset(&wait);
		sigaddset(&wait, SIGCHLD);
		sigaddset(&wait, SIGTERM);
		sigaddset(&wait, SIGHUP);
		keep(cmd, &wait);
	}
	close(gate[0]), close(info[1]);
	if (read(info[0], &cmd, sizeof cmd) != sizeof cmd || cmd <= 0) {
		int e = errno;

		close(info[0]), close(gate[1]);
		waitpid(c->keeper, NULL, 0);
		snprintf(err, errlen, "cannot start the command: %s",
			 cmd < 0 ? "fork failed" : strerror(e));
		return -1;
	}
	close(info[0]);
	c->pid = cmd;
	c->gate = gate[1];
	/* its read() of the gate is entered before anything is attached */
	for (int i = 0; i < 2000 && in_read(cmd) == 0; i++)
		sleep_ms(1);
	return 0;
}

void lb_child_go(struct lb_child *c)
{
	if (c->gate >= 0) {
		(void)!write(c->gate, "x", 1);
		close(c->gate);
		c->gate = -1;
	}
}

int lb_child_reap(struct lb_child *c)
{
	int st;

	if (c->status < 0 && c->keeper > 0 && waitpid(c->keeper, &st, WNOHANG) == c->keeper) {
		c->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		c->keeper = -1;
	}
	return c->status;
}

int lb_child_stop(struct lb_child *c)
{
	int st;

	if (c->gate >= 0) {
		close(c->gate);
		c->gate = -1;
	}
	if (c->status < 0 && c->keeper > 0) {
		kill(c->keeper, SIGTERM);
		while (waitpid(c->keeper, &st, 0) < 0 && errno == EINTR)
			;
		c->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		c->keeper = -1;
	}
	return c->status;
}

static int executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int lb_which(const char *name, char *path, size_t len)
{
	const char *dirs = getenv("PATH"), *p, *end;

	if (!*name)
		return -1;
	if (strchr(name, '/')) {
		snprintf(path, len, "%s", name);
		return executable(name) ? 0 : -1;
	}
	if (!dirs)
		dirs = "/bin:/usr/bin"; /* execvp's default */
	for (p = dirs;; p = end + 1) {
		int n;

		end = strchrnul(p, ':');
		/* an empty entry is the current directory, as for execvp */
		n = snprintf(path, len, "%.*s%s%s", (int)(end - p), p, end == p ? "" : "/", name);
		if (n > 0 && (size_t)n < len && executable(path))
			return 0;
		if (!*end)
			return -1;
	}
}
