/* Capabilities: which one a refused step lacked, so its message names
 * it, and dropping them all once everything is attached (as
 * ebpf_exporter does), by the capget/capset/prctl system calls. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include "runtime.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static int caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};

	return (int)syscall(SYS_capget, &h, d);
}

const char *lb_lacks(int cap)
{
	struct __user_cap_data_struct d[2];

	/* the kernel said no for another reason: naming a capability we
	 * have would send the user the wrong way */
	if (caps_get(d) || d[cap / 32].effective & (1u << (cap % 32)))
		return "";
	switch (cap) {
	case CAP_BPF: return " (luabpf lacks CAP_BPF: run it as root or grant it)";
	case CAP_PERFMON: return " (luabpf lacks CAP_PERFMON: run it as root or grant it)";
	case CAP_SYS_ADMIN: return " (luabpf lacks CAP_SYS_ADMIN: run it as root or grant it)";
	case CAP_SYSLOG: return " (luabpf lacks CAP_SYSLOG: run it as root or grant it)";
	case CAP_DAC_READ_SEARCH:
		return " (luabpf lacks CAP_DAC_READ_SEARCH: run it as root or grant it)";
	}
	return " (luabpf lacks a capability: run it as root)";
}

const char *lb_lacks2(int cap1, int cap2)
{
	const char *m = lb_lacks(cap1);

	return *m ? m : lb_lacks(cap2);
}

static int cap_last(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int last = CAP_LAST_CAP;

	if (f) {
		if (fscanf(f, "%d", &last) != 1)
			last = CAP_LAST_CAP;
		fclose(f);
	}
	return last;
}

int lb_drop_caps(char *err, size_t errlen)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	int last = cap_last();

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL) {
		snprintf(err, errlen, "cannot clear the ambient capabilities: %s", strerror(errno));
		return -1;
	}
	/* the bounding set needs CAP_SETPCAP to shrink, so before capset;
	 * without it, nothing in this process can regain one anyway */
	if (caps_get(d) == 0 && d[CAP_SETPCAP / 32].effective & (1u << (CAP_SETPCAP % 32)))
		for (int c = 0; c <= last; c++)
			if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) && errno != EINVAL) {
				snprintf(err, errlen,
					 "cannot drop capability %d from the bounding set: %s", c,
					 strerror(errno));
				return -1;
			}
	memset(d, 0, sizeof d);
	if (syscall(SYS_capset, &h, d)) {
		snprintf(err, errlen, "cannot drop the capabilities: %s", strerror(errno));
		return -1;
	}
	return 0;
}
