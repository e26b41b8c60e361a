/* printf formats: the conversion parser the compiler checks formats with
 * and the runtime renders records with (one parser: what is checked is
 * what prints). The record layout is in bpf/printf.h. */
#ifndef LUABPF_COMPILER_PRINTF_H
#define LUABPF_COMPILER_PRINTF_H

#include <stddef.h>
#include "../../bpf/printf.h"

/* Check fmt against the argument types: conversions %d %i %u %x %X %o
 * %c %s %p %% with flags "-+ #0", width and precision (at most 1000),
 * and the length modifiers hh h l ll z j t. Values are 64-bit: %d %i
 * signed, %u %x %X %o unsigned, with or without l/ll/j/z/t; hh and h
 * cut the value to a char or short as C (and bpftrace) do. %c prints the
 * low byte, %p like glibc (0x1000, 0 as "(nil)"), %% a '%'. %s takes
 * strings, stacks, symbols and probe names, the others integers.
 * Too few or too many arguments, %n, '*' widths, '$', unknown
 * conversions, a '%' at the end: -1 with a message in err naming the
 * conversion (1-based) as written, e.g.
 *   printf: conversion 2 (%s) needs a string, got an integer
 *   printf: conversion 1 (%n): %n is not supported
 *   printf: 3 conversions but 2 arguments */
int lb_fmt_check(const char *fmt, const __u8 *types, int nargs, char *err, size_t errlen);

/* One parsed conversion. */
enum { LB_LEN_NONE = 0, LB_LEN_HH, LB_LEN_H, LB_LEN_L, LB_LEN_LL, LB_LEN_J, LB_LEN_Z, LB_LEN_T };
struct lb_conv {
	const char *start; /* the '%' */
	size_t speclen;	   /* '%' through the conversion character */
	char flags[8];	   /* each of "-+ #0" at most once, NUL terminated */
	int width;	   /* -1: none */
	int prec;	   /* -1: none */
	int len;	   /* LB_LEN_* */
	char conv;	   /* d i u x X o c s p */
};

/* Walk the format: for each conversion call fn (if any); "%%" and plain
 * text are passed as literal runs through lit. Returns the number of
 * conversions, or -1 with a message in err. */
typedef int (*lb_conv_fn)(void *ud, const struct lb_conv *c, int index);
typedef int (*lb_lit_fn)(void *ud, const char *s, size_t n);
int lb_fmt_walk(const char *fmt, lb_conv_fn fn, lb_lit_fn lit, void *ud, char *err, size_t errlen);

/* Arguments printed by %s (strings, stacks, symbols ...), not numbers. */
static inline int lb_arg_is_text(int t)
{
	return t >= LB_ARG_STR && t <= LB_ARG_JOIN;
}

#endif
