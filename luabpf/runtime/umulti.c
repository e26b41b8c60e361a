/* uprobe_multi links: a uprobe wildcard through one program. libbpf 1.1
 * predates them, so BPF_LINK_CREATE is made here with the kernel's
 * layout of its attributes. */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include "runtime.h"
#include "umulti.h"

/* union bpf_attr's link_create as Linux 6.6 has it for uprobe_multi;
 * the rest of the union stays zero, which the kernel checks. */
union umulti_attr {
	struct {
		__u32 prog_fd, target_fd, attach_type, flags;
		__u64 path, offsets, ref_ctr_offsets, cookies;
		__u32 cnt, multi_flags, pid;
	} l;
	char size[128];
};

static int link_create(int prog_fd, const char *path, const uint64_t *offs, const uint64_t *cookies,
		       int n, int ret, int pid)
{
	union umulti_attr a;

	memset(&a, 0, sizeof a);
	a.l.prog_fd = (__u32)prog_fd;
	a.l.attach_type = LB_TRACE_UPROBE_MULTI;
	a.l.path = (__u64)(uintptr_t)path;
	a.l.offsets = (__u64)(uintptr_t)offs;
	a.l.cookies = (__u64)(uintptr_t)cookies;
	a.l.cnt = (__u32)n;
	a.l.multi_flags = ret ? LB_F_UPROBE_MULTI_RETURN : 0;
	a.l.pid = pid > 0 ? (__u32)pid : 0;
	return (int)syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof a);
}

int lb_uprobe_multi_supported(void)
{
	static int known = -1;
	const struct bpf_insn ret0[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o,
		    .expected_attach_type = (enum bpf_attach_type)LB_TRACE_UPROBE_MULTI);
	uint64_t off = 0;
	const char *force = getenv("LUABPF_UPROBE_MULTI");
	int prog, link;

	if (force && !strcmp(force, "0"))
		return 0; /* the per-function path, for comparison and its specs */
	if (known >= 0)
		return known;
	/* a kernel that has them checks the file first: "/" is a directory,
	 * EBADF; one without refuses the attach type (EINVAL) */
	prog = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", ret0, 2, &o);
	if (prog < 0)
		return 0; /* no privilege: not known yet, the attach will say */
	link = link_create(prog, "/", &off, NULL, 1, 0, 0);
	known = link < 0 && errno == EBADF;
	if (link >= 0)
		close(link);
	close(prog);
	return known;
}

struct attach {
	struct lb_prog *pr;
	int prog_fd, pid, cap;
	const char *name;
	char *err;
	size_t errlen;
};

static int keep_fd(struct attach *a, int fd)
{
	struct lb_prog *pr = a->pr;

	if (pr->nmfds == a->cap) {
		int *nv =
		    realloc(pr->mfds, (size_t)(a->cap = a->cap ? 2 * a->cap : 16) * sizeof *nv);

		if (!nv) {
			close(fd);
			snprintf(a->err, a->errlen, "out of memory");
			return -1;
		}
		pr->mfds = nv;
	}
	pr->mfds[pr->nmfds++] = fd;
	return 0;
}

/* Functions [i, i + n) in one link. A link the kernel refuses because a
 * function cannot be probed is split in 16 and each piece tried again,
 * until the refused ones are alone: a refused attempt costs ~0.1 s here
 * (the kernel waits for a grace period to take back the probes it had
 * made), a made one ~5 ms per 1,000 functions, so few, wide splits. */
static int attach_range(struct attach *a, int i, int n)
{
	struct lb_prog *pr = a->pr;
	int fd, cap = pr->nrefused, piece;

	if (lb_stop_pending())
		return 1;
	fd = link_create(a->prog_fd, pr->binary, pr->offsets + i, pr->cookies + i, n,
			 pr->kind == LB_PROG_URETPROBE, a->pid);
	if (fd >= 0)
		return keep_fd(a, fd);
	if (errno != LB_ENOTSUPP) {
		int e = errno;

		snprintf(a->err, a->errlen, "cannot attach to %s: %s%s", a->name,
			 e == EPERM || e == EACCES ? "Permission denied" : strerror(e),
			 e == EPERM || e == EACCES ? lb_lacks2(CAP_PERFMON, CAP_SYS_ADMIN) : "");
		return -1;
	}
	if (n == 1) {
		/* left out of the links: the rest is attached without it */
		if (lb_strings_push(&pr->refused, &pr->nrefused, &cap, pr->funcs[i])) {
			snprintf(a->err, a->errlen, "out of memory");
			return -1;
		}
		return 0;
	}
	piece = (n + 15) / 16;
	for (int j = i; j < i + n; j += piece) {
		int r = attach_range(a, j, i + n - j < piece ? i + n - j : piece);

		if (r)
			return r;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int lb_attach_uprobe_multi(struct lb_prog *pr, int prog_fd, int pid, const char *name, char *err,
			   size_t errlen)
{
	struct attach a = {pr, prog_fd, pid, pr->nmfds, name, err, errlen};
	int chunk = 64;

	for (int i = 0; i < pr->nfuncs;) {
		int n = pr->nfuncs - i < chunk ? pr->nfuncs - i : chunk, r;
		double t0 = now_s(), dt;

		if ((r = attach_range(&a, i, n))) {
			if (r > 0)
				snprintf(err, errlen, "%s: interrupted while attaching", name);
			return r;
		}
		i += n;
		/* each function is a uprobe put into every process that maps
		 * the file: the time per link follows how many there are */
		dt = now_s() - t0;
		if (dt < 0.05 && chunk < 8192)
			chunk *= 2;
		else if (dt > 0.15 && chunk > 1)
			chunk /= 2;
	}
	return 0;
}
