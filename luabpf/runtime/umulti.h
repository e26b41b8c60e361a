/* uprobe_multi links (Linux 6.6): one program on thousands of user
 * functions through a few links. Defined in umulti.c. */
#ifndef LUABPF_UMULTI_H
#define LUABPF_UMULTI_H

/* The kernel UAPI's numbers, newer than the headers and libbpf (1.1)
 * luabpf builds with. */
#define LB_TRACE_UPROBE_MULTI 48    /* enum bpf_attach_type */
#define LB_F_UPROBE_MULTI_RETURN 1u /* link_create.uprobe_multi.flags */
#define LB_ENOTSUPP 524		    /* kernel-internal: cannot probe there */

struct lb_prog;

/* Attach pr's functions (pr->offsets, pr->cookies) to the loaded
 * program prog_fd in pr->binary, as return probes for a uretprobe,
 * firing only in process pid if pid > 0. Links of up to a few hundred
 * functions each, sized so that one takes ~0.1 s here: SIGINT/SIGTERM
 * (held pending) are looked at between them. Functions the kernel
 * refuses (ENOTSUPP) are found by splitting the link that failed and
 * land in pr->refused. 0; 1 if interrupted; -1 with why in err (name:
 * the probe, for it). Links made stay in pr->mfds either way. */
int lb_attach_uprobe_multi(struct lb_prog *pr, int prog_fd, int pid, const char *name, char *err,
			   size_t errlen);

#endif
