/* The arithmetic of plan ops that C does not give as Lua means it:
 * shared by the kernel interpreter (bpf/interp.h) and the reference
 * interpreter in user space (luabpf/compiler/refrun.c), so both compute
 * the same numbers. Pure functions of their arguments. */
#ifndef LUABPF_ARITH_H
#define LUABPF_ARITH_H

#include <linux/types.h>

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* hist(): 0 for negatives, 1 for 0, else floor(log2(x)) + 2 */
static __always_inline __u64 lb_log2(__s64 x)
{
	__u64 v = x, r = 0;

	if (x < 0)
		return 0;
	if (x == 0)
		return 1;
	if (v >> 32) {
		v >>= 32;
		r += 32;
	}
	if (v >> 16) {
		v >>= 16;
		r += 16;
	}
	if (v >> 8) {
		v >>= 8;
		r += 8;
	}
	if (v >> 4) {
		v >>= 4;
		r += 4;
	}
	if (v >> 2) {
		v >>= 2;
		r += 2;
	}
	if (v >> 1)
		r += 1;
	return r + 2;
}

/* hist(x, k), k > 0: 2^k buckets per power of two (see LB_OP_LOG2) */
static __always_inline __u64 lb_log2k(__s64 x, __u32 k)
{
	__u64 mask = (1ULL << k) - 1, l;

	if (x < 0)
		return 0;
	if ((__u64)x <= mask)
		return x + 1;
	l = lb_log2(x) - 2 - k;
	return ((l + 1) << k) + (((__u64)x >> l) & mask) + 1;
}

/* Lua's floor division and modulo; BPF has only unsigned division.
 * Unsigned arithmetic: it wraps as Lua's integers do, and C's signed
 * overflow (minint // -1) would be undefined in user space. */
static __always_inline __s64 lb_div(__s64 x, __s64 y)
{
	__u64 ux = x < 0 ? -(__u64)x : (__u64)x, uy = y < 0 ? -(__u64)y : (__u64)y;
	__u64 q = ux / uy;

	if ((x < 0) != (y < 0))
		return (__s64)(0 - q - (q * uy != ux));
	return q;
}

/* Lua's shifts: a negative count shifts the other way, 64 or more
 * gives 0 (C leaves both undefined). */
static __always_inline __u64 lb_shl(__u64 x, __s64 y)
{
	if (y <= -64 || y >= 64)
		return 0;
	return y >= 0 ? x << y : x >> -y;
}

static __always_inline __s64 lb_mod(__s64 x, __s64 y)
{
	return (__s64)((__u64)x - (__u64)lb_div(x, y) * (__u64)y);
}

#endif
