/* For spec/btf_spec.lua only: lets bpftrace 0.17 list kfunc arguments
 * (`bpftrace -lv kfunc:NAME`) on a kernel that refuses to load fentry
 * programs. bpftrace probes for kfunc support by loading one and refuses
 * to list when that fails, although listing needs only BTF. Preloaded,
 * this answers that probe (BPF_PROG_LOAD of a BPF_PROG_TYPE_TRACING
 * program) with a harmless fd; every other syscall goes through. (The
 * spec also binds a list of the functions over an unreadable
 * available_filter_functions, in a private mount namespace.) */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/bpf.h>

long syscall(long n, ...)
{
	static long (*real)(long, ...);
	va_list ap;
	long a[6];

	va_start(ap, n);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (n == __NR_bpf && a[0] == BPF_PROG_LOAD &&
	    ((union bpf_attr *)a[1])->prog_type == BPF_PROG_TYPE_TRACING)
		return open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (!real)
		real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	return real(n, a[0], a[1], a[2], a[3], a[4], a[5]);
}
