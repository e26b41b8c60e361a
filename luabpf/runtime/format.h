/* printf for records from the kernel, and the symbols they may carry.
 * User formats never reach the C library's printf unchecked: they are
 * checked at compile time (lb_fmt_check, compiler/printf.h) and
 * rendered one conversion at a time with a format rebuilt from the
 * parsed conversion. */
#ifndef LUABPF_FORMAT_H
#define LUABPF_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include "compiler/compiler.h"
#include "compiler/printf.h"

/* The text of a time by strftime(3) with fmt, plus bpftrace's %f
 * (microseconds, 6 digits): now, or ns since boot (bpf_ktime_get_ns, as
 * e.nsecs) turned into the wall-clock time with the clocks at the call.
 * Returns the length written to buf (NUL terminated); "(?)" when
 * strftime gives nothing, as bpftrace prints it. */
size_t lb_strftime(const char *fmt, int now, uint64_t ns, char *buf, size_t len);

/* bpf.ntop()'s text of 24 bytes {u64 family, u8 addr[16]}: "127.0.0.1"
 * (AF_INET: the first 4 bytes), "::1" (AF_INET6), "(family N)" else. */
size_t lb_inet_text(const void *v, char *buf, size_t len);
/* A fixed-size array of size bytes as bpftrace prints arrays: "[1,2,3]";
 * elem: element size | LB_ELEM_SIGNED. */
size_t lb_array_text(const void *v, size_t size, int elem, char *buf, size_t len);

/* Text for arguments that need the session (stacks, symbols, probes). */
struct lb_render {
	void *ud;
	/* write the text of arg (type LB_ARG_PROBE/KSTACK/USTACK/KSYM/USYM)
	 * into buf (NUL terminated, truncated to len); returns its length */
	size_t (*text)(void *ud, int type, const void *arg, char *buf, size_t len);
};

/* Render one LB_REC_PRINTF record with its checked format, appending to
 * a growing buffer *out (malloc'd or NULL, *outlen bytes used, NUL
 * terminated; set *outlen = 0 to start over). 0, or -1 (out of memory,
 * record shorter than f->len, format not checked) with *out unchanged.
 * Strings end at their first NUL or their size; r may be NULL (other
 * %s arguments then print as hex). */
int lb_fmt_render(const struct lb_fmt *f, const void *rec, size_t reclen, const struct lb_render *r,
		  char **out, size_t *outlen);

#endif
