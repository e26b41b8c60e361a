/* Syscall numbers <-> names, from the system headers at build time. */
#include <stdio.h>
#include <string.h>
#include "runtime.h"

static const struct {
	unsigned nr;
	const char *name;
} table[] = {
#define LB_SYSCALL(nr, name) {nr, name},
#include "syscalls.h"
#undef LB_SYSCALL
};

static int by_header_name(const char *name)
{
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		if (strcmp(table[i].name, name) == 0)
			return (int)table[i].nr;
	return -1;
}

/* A tracepoint's name differs from the header's for a few syscalls:
 * newstat (stat), sendfile64 (sendfile), umount (umount2). */
int lb_syscall_nr(const char *tp)
{
	char buf[64];
	size_t n = strlen(tp);
	int nr;

	if ((nr = by_header_name(tp)) >= 0)
		return nr;
	if (strncmp(tp, "new", 3) == 0 && (nr = by_header_name(tp + 3)) >= 0)
		return nr;
	if (n > 2 && n < sizeof buf && strcmp(tp + n - 2, "64") == 0) {
		memcpy(buf, tp, n - 2);
		buf[n - 2] = 0;
		if ((nr = by_header_name(buf)) >= 0)
			return nr;
	}
	if (snprintf(buf, sizeof buf, "%s2", tp) < (int)sizeof buf &&
	    (nr = by_header_name(buf)) >= 0)
		return nr;
	return -1;
}
