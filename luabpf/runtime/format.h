/* printf for records from the kernel, and the symbols they may carry.
 * User formats never reach the C library's printf unchecked: they are
 * checked at compile time (lb_fmt_check) and rendered one conversion at
 * a time with a format rebuilt from the parsed conversion. */
#ifndef LUABPF_FORMAT_H
#define LUABPF_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include "compiler/compiler.h"

/* Check fmt against the argument types: conversions %d %i %u %x %X %o
 * %c %s %p %% with flags "-+ #0", width, precision, and bpftrace's length
 * modifiers (hh h l ll z j t: accepted, values are 64-bit anyway); %s
 * takes strings, stacks, symbols and probe names, the others integers.
 * Too few or too many arguments, %n, '*' widths, unknown conversions:
 * -1 with a message naming the conversion (1-based) in err. */
int lb_fmt_check(const char *fmt, const __u8 *types, int nargs, char *err, size_t errlen);

/* Text for arguments that need the session (stacks, symbols, probes). */
struct lb_render {
	void *ud;
	/* write the text of arg (type LB_ARG_PROBE/KSTACK/USTACK/KSYM/USYM)
	 * into buf (NUL terminated, truncated to len); returns its length */
	size_t (*text)(void *ud, int type, const void *arg, char *buf, size_t len);
};

/* Render one LB_REC_PRINTF record with its checked format into a growing
 * buffer *out (malloc'd, *outlen bytes used, NUL terminated). 0 or -1
 * (out of memory, record shorter than f->len). */
int lb_fmt_render(const struct lb_fmt *f, const void *rec, size_t reclen,
		  const struct lb_render *r, char **out, size_t *outlen);

/* Decode the C escapes of a printf format as Lua already did: nothing to
 * do; kept here so that the compiler and runtime agree on "%%". */

#endif
