/* printf formats at compile time: parse a format's conversions and
 * check them against the arguments' types (printf.h). The runtime
 * renders records with the same parser, so what is checked here is what
 * is printed. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "printf.h"

#define FMT_MAX_WIDTH 1000
#define FMT_MAX_PREC 1000
#define FMT_SPEC_SHOWN 24 /* characters of a conversion quoted in errors */

static const char *len_name(int len)
{
	static const char *const names[] = {"", "hh", "h", "l", "ll", "j", "z", "t"};

	return names[len];
}

static const char *type_name(int t)
{
	switch (t) {
	case LB_ARG_INT: return "an integer";
	case LB_ARG_STR: return "a string";
	case LB_ARG_PROBE: return "a probe name";
	case LB_ARG_KSTACK: return "a kernel stack";
	case LB_ARG_USTACK: return "a user stack";
	case LB_ARG_KSYM: return "a kernel symbol";
	case LB_ARG_USYM: return "a user symbol";
	case LB_ARG_TIME:
	case LB_ARG_NOW: return "a time";
	case LB_ARG_INET: return "an address (bpf.ntop)";
	case LB_ARG_JOIN: return "a joined list (bpf.join)";
	}
	return "an unknown type";
}

/* "conversion 2 (%-5s)" with the conversion cut to a readable length;
 * bytes that are not printable are shown as '?'. */
static void conv_label(const char *start, size_t n, char *buf, size_t len, int index)
{
	char spec[FMT_SPEC_SHOWN + 4];
	size_t k = n > FMT_SPEC_SHOWN ? FMT_SPEC_SHOWN : n;

	for (size_t i = 0; i < k; i++) {
		unsigned char c = (unsigned char)start[i];

		spec[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (k < n)
		memcpy(spec + k, "...", 3), k += 3;
	spec[k] = 0;
	snprintf(buf, len, "conversion %d (%s)", index, spec);
}

/* Parse the conversion at p (p[0] == '%', not "%%"). 0, or -1 with a
 * message in err. index is the 1-based conversion number. */
static int parse_conv(const char *p, struct lb_conv *c, int index, char *err, size_t errlen)
{
	const char *q = p + 1;
	int nflags = 0, width_big = 0, prec_big = 0;
	char label[FMT_SPEC_SHOWN + 40];

	memset(c, 0, sizeof *c);
	c->start = p;
	c->width = c->prec = -1;
	while (*q && strchr("-+ #0", *q)) {
		if (!memchr(c->flags, *q, (size_t)nflags))
			c->flags[nflags++] = *q;
		q++;
	}
	if (*q >= '0' && *q <= '9') {
		long w = 0;

		while (*q >= '0' && *q <= '9') {
			if (w <= FMT_MAX_WIDTH)
				w = w * 10 + (*q - '0');
			q++;
		}
		if (w > FMT_MAX_WIDTH)
			width_big = 1;
		c->width = (int)w;
	}
	if (*q == '*') {
		conv_label(p, (size_t)(q - p) + 1, label, sizeof label, index);
		snprintf(err, errlen, "printf: %s: '*' width is not supported", label);
		return -1;
	}
	if (*q == '$') {
		conv_label(p, (size_t)(q - p) + 1, label, sizeof label, index);
		snprintf(err, errlen, "printf: %s: positional arguments ('$') are not supported",
			 label);
		return -1;
	}
	if (*q == '.') {
		long pr = 0;

		q++;
		if (*q == '*') {
			conv_label(p, (size_t)(q - p) + 1, label, sizeof label, index);
			snprintf(err, errlen, "printf: %s: '*' precision is not supported", label);
			return -1;
		}
		while (*q >= '0' && *q <= '9') {
			if (pr <= FMT_MAX_PREC)
				pr = pr * 10 + (*q - '0');
			q++;
		}
		if (pr > FMT_MAX_PREC)
			prec_big = 1;
		c->prec = (int)pr;
	}
	switch (*q) {
	case 'h':
		c->len = q[1] == 'h' ? LB_LEN_HH : LB_LEN_H;
		q += q[1] == 'h' ? 2 : 1;
		break;
	case 'l':
		c->len = q[1] == 'l' ? LB_LEN_LL : LB_LEN_L;
		q += q[1] == 'l' ? 2 : 1;
		break;
	case 'j': c->len = LB_LEN_J, q++; break;
	case 'z': c->len = LB_LEN_Z, q++; break;
	case 't': c->len = LB_LEN_T, q++; break;
	case 'L':
	case 'q':
		conv_label(p, (size_t)(q - p) + 1, label, sizeof label, index);
		snprintf(err, errlen, "printf: %s: length modifier '%c' is not supported", label,
			 *q);
		return -1;
	}
	if (!*q) {
		conv_label(p, (size_t)(q - p), label, sizeof label, index);
		snprintf(err, errlen,
			 "printf: %s: the format ends before the conversion character"
			 " (write %%%% for a %%)",
			 label);
		return -1;
	}
	c->conv = *q;
	c->speclen = (size_t)(q - p) + 1;
	conv_label(p, c->speclen, label, sizeof label, index);
	if (*q == 'n') {
		snprintf(err, errlen, "printf: %s: %%n is not supported", label);
		return -1;
	}
	if (!strchr("diuxXocsp", *q)) {
		unsigned char u = (unsigned char)*q;

		if (u >= 0x20 && u < 0x7f)
			snprintf(err, errlen,
				 "printf: %s: unknown conversion '%c' (use %%d %%i %%u %%x %%X"
				 " %%o %%c %%s %%p or %%%%)",
				 label, *q);
		else
			snprintf(err, errlen,
				 "printf: %s: unknown conversion byte 0x%02x (use %%d %%i %%u"
				 " %%x %%X %%o %%c %%s %%p or %%%%)",
				 label, u);
		return -1;
	}
	if (width_big) {
		snprintf(err, errlen, "printf: %s: width is too large (at most %d)", label,
			 FMT_MAX_WIDTH);
		return -1;
	}
	if (prec_big) {
		snprintf(err, errlen, "printf: %s: precision is too large (at most %d)", label,
			 FMT_MAX_PREC);
		return -1;
	}
	if (c->len != LB_LEN_NONE && strchr("csp", *q)) {
		snprintf(err, errlen, "printf: %s: length modifier '%s' is not valid with %%%c",
			 label, len_name(c->len), *q);
		return -1;
	}
	if (c->prec >= 0 && strchr("cp", *q)) {
		snprintf(err, errlen, "printf: %s: precision is not valid with %%%c", label, *q);
		return -1;
	}
	return 0;
}

int lb_fmt_walk(const char *fmt, lb_conv_fn fn, lb_lit_fn lit, void *ud, char *err, size_t errlen)
{
	const char *p = fmt;
	int n = 0;

	while (*p) {
		const char *pct = strchr(p, '%');
		struct lb_conv c;

		if (!pct) {
			if (lit && lit(ud, p, strlen(p)))
				goto oom;
			break;
		}
		if (pct > p && lit && lit(ud, p, (size_t)(pct - p)))
			goto oom;
		if (pct[1] == '%') {
			if (lit && lit(ud, "%", 1))
				goto oom;
			p = pct + 2;
			continue;
		}
		if (n == INT32_MAX / 2) {
			snprintf(err, errlen, "printf: too many conversions");
			return -1;
		}
		if (parse_conv(pct, &c, n + 1, err, errlen))
			return -1;
		if (fn && fn(ud, &c, n + 1))
			return -1;
		n++;
		p = pct + c.speclen;
	}
	return n;
oom:
	snprintf(err, errlen, "printf: out of memory");
	return -1;
}

struct check_state {
	const __u8 *types;
	int nargs;
	char *terr; /* first type mismatch, reported if the counts agree */
	size_t terrlen;
	int has_terr;
};

static int check_conv(void *ud, const struct lb_conv *c, int index)
{
	struct check_state *st = ud;
	char label[FMT_SPEC_SHOWN + 40];
	int t, want_text;

	if (index > st->nargs || st->has_terr)
		return 0;
	t = st->types[index - 1];
	want_text = c->conv == 's';
	if (t < LB_ARG_INT || t > LB_ARG_JOIN) {
		conv_label(c->start, c->speclen, label, sizeof label, index);
		snprintf(st->terr, st->terrlen, "printf: %s: argument %d has an unknown type %d",
			 label, index, t);
		st->has_terr = 1;
	} else if (want_text != lb_arg_is_text(t)) {
		conv_label(c->start, c->speclen, label, sizeof label, index);
		snprintf(st->terr, st->terrlen, "printf: %s needs %s, got %s", label,
			 want_text ? "a string" : "an integer", type_name(t));
		st->has_terr = 1;
	}
	return 0;
}

int lb_fmt_check(const char *fmt, const __u8 *types, int nargs, char *err, size_t errlen)
{
	char terr[256];
	struct check_state st = {types, nargs, terr, sizeof terr, 0};
	int n;

	if (!fmt) {
		snprintf(err, errlen, "printf: no format");
		return -1;
	}
	if (nargs < 0 || nargs > LB_MAX_ARGS) {
		snprintf(err, errlen, "printf: %d arguments, at most %d", nargs, LB_MAX_ARGS);
		return -1;
	}
	n = lb_fmt_walk(fmt, check_conv, NULL, &st, err, errlen);
	if (n < 0)
		return -1;
	if (n != nargs) {
		snprintf(err, errlen, "printf: %d conversion%s but %d argument%s", n,
			 n == 1 ? "" : "s", nargs, nargs == 1 ? "" : "s");
		return -1;
	}
	if (st.has_terr) {
		snprintf(err, errlen, "%s", terr);
		return -1;
	}
	return 0;
}
