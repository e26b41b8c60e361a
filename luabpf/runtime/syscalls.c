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
#ifdef __x86_64__
    /* x86_64 syscalls newer than Debian 12's headers (Linux 6.1); each
     * number checked on Linux 6.18 against the tracepoint's own
     * __syscall_nr field. Header entries come first and win. */
    {335, "uretprobe"},		{336, "uprobe"},
    {451, "cachestat"},		{452, "fchmodat2"},
    {453, "map_shadow_stack"},	{454, "futex_wake"},
    {455, "futex_wait"},	{456, "futex_requeue"},
    {457, "statmount"},		{458, "listmount"},
    {459, "lsm_get_self_attr"}, {460, "lsm_set_self_attr"},
    {461, "lsm_list_modules"},	{462, "mseal"},
    {463, "setxattrat"},	{464, "getxattrat"},
    {465, "listxattrat"},	{466, "removexattrat"},
    {467, "open_tree_attr"},	{468, "file_getattr"},
    {469, "file_setattr"},
#endif
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
