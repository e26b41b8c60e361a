/* libbpf's messages are off only while luabpf calls into it: errors
 * reach the user through luabpf's own, and a host's print callback is
 * put back after each use, never replaced for the whole process. */
#include <stdarg.h>
#include <bpf/libbpf.h>
#include "runtime.h"

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level, (void)fmt, (void)ap;
	return 0;
}

libbpf_print_fn_t lb_libbpf_quiet(void)
{
	return libbpf_set_print(quiet);
}
