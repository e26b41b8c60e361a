/* printf for records from the kernel: render a record whose format the
 * compiler checked (compiler/printf.c). The user's format never reaches
 * the C library: every conversion is parsed by lb_fmt_walk and rendered
 * by a format rebuilt from the parsed parts ("%" flags "*.*ll"
 * conversion). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include "format.h"

#define FMT_TEXT_MAX 65536 /* text of a stack, symbol or probe name */

/* Time */

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts))
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

size_t lb_strftime(const char *fmt, int now, uint64_t ns, char *buf, size_t len)
{
	char f[2 * LB_TIMEFMT_MAX];
	int64_t wall;
	time_t secs;
	struct tm tm;
	size_t k = 0, n;
	long usec;

	if (!len)
		return 0;
	buf[0] = 0;
	/* bpftrace's: ns since boot plus the time of boot, from the clocks now */
	wall = now ? clock_ns(CLOCK_REALTIME)
		   : clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME) + (int64_t)ns;
	secs = (time_t)(wall / 1000000000);
	usec = (long)(wall % 1000000000 / 1000);
	if (usec < 0)
		secs--, usec += 1000000;
	if (!localtime_r(&secs, &tm))
		return 0;
	/* %f: microseconds, six digits (bpftrace's addition to strftime) */
	for (const char *p = fmt; *p && k + 8 < sizeof f; p++) {
		if (p[0] == '%' && p[1] == 'f') {
			k += (size_t)snprintf(f + k, sizeof f - k, "%06ld", usec);
			p++;
		} else if (p[0] == '%' && p[1]) {
			f[k++] = *p++;
			f[k++] = *p;
		} else {
			f[k++] = *p;
		}
	}
	f[k] = 0;
	if (!k)
		return 0;
	n = strftime(buf, len, f, &tm);
	if (!n) /* too long, or an empty result: as bpftrace prints it */
		n = (size_t)snprintf(buf, len, "(?)");
	return n < len ? n : len - 1;
}

/* Addresses and arrays */

size_t lb_inet_text(const void *v, char *buf, size_t len)
{
	uint64_t af;
	char text[INET6_ADDRSTRLEN];

	memcpy(&af, v, 8);
	if (!len)
		return 0;
	buf[0] = 0;
	if ((af != AF_INET && af != AF_INET6) ||
	    !inet_ntop((int)af, (const char *)v + 8, text, sizeof text))
		return (size_t)snprintf(buf, len, "(family %llu)", (unsigned long long)af);
	snprintf(buf, len, "%s", text);
	return strlen(buf);
}

size_t lb_array_text(const void *v, size_t size, int elem, char *buf, size_t len)
{
	size_t es = (size_t)(elem & 0xf), k = 0;
	const unsigned char *p = v;

	if (len < 2) {
		if (len)
			buf[0] = 0;
		return 0;
	}
	if (es != 1 && es != 2 && es != 4 && es != 8)
		es = 1;
	buf[k++] = '[';
	buf[k] = 0;
	for (size_t i = 0; i + es <= size && k < len; i += es) {
		uint64_t u = 0;
		int64_t s;

		memcpy(&u, p + i, es); /* little-endian: the low bytes */
		s = es == 8 ? (int64_t)u : (int64_t)(u << (64 - 8 * es)) >> (64 - 8 * es);
		k += (size_t)snprintf(buf + k, len - k, "%s", i ? "," : "");
		if (k < len)
			k += (size_t)(elem & LB_ELEM_SIGNED
					  ? snprintf(buf + k, len - k, "%lld", (long long)s)
					  : snprintf(buf + k, len - k, "%llu",
						     (unsigned long long)u));
	}
	if (k < len)
		k += (size_t)snprintf(buf + k, len - k, "]");
	return k < len ? k : len - 1;
}

/* Rendering */

struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

static int sb_reserve(struct sbuf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (b->oom)
		return -1;
	if (need > b->cap) {
		size_t c = b->cap ? b->cap : 256;
		char *np;

		while (c < need)
			c *= 2;
		if (!(np = realloc(b->p, c))) {
			b->oom = 1;
			return -1;
		}
		b->p = np;
		b->cap = c;
	}
	return 0;
}

static int sb_add(void *ud, const char *s, size_t n)
{
	struct sbuf *b = ud;

	if (sb_reserve(b, n))
		return -1;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
	return 0;
}

/* Append one conversion printed with our own rebuilt format; the piece
 * ends at its first NUL (a %c of 0 prints nothing, like bpftrace). */
static int sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || sb_reserve(b, (size_t)n))
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += strlen(b->p + b->len);
	return 0;
}

struct render_state {
	const struct lb_fmt *f;
	const unsigned char *rec;
	size_t reclen;
	const struct lb_render *r;
	struct sbuf out;
	char *text; /* FMT_TEXT_MAX + 1, for %s arguments */
};

static int render_lit(void *ud, const char *s, size_t n)
{
	struct render_state *st = ud;

	return sb_add(&st->out, s, n);
}

static int render_conv(void *ud, const struct lb_conv *c, int index)
{
	struct render_state *st = ud;
	const struct lb_fmt *f = st->f;
	int i = index - 1, t;
	size_t off, size;
	char fmt[32];
	int k = 0;
	int width = c->width >= 0 ? c->width : 0;
	int prec = c->prec;

	if (i >= f->nargs)
		return -1;
	t = f->type[i];
	off = f->off[i];
	size = f->size[i];
	if (off < 8 || off + size > st->reclen || off + size > f->len)
		return -1;
	fmt[k++] = '%';
	for (const char *fl = c->flags; *fl; fl++)
		fmt[k++] = *fl;
	if (c->conv == 's') {
		const char *s;
		size_t n;

		if (!st->text && !(st->text = malloc(FMT_TEXT_MAX + 1)))
			return -1;
		if (t == LB_ARG_STR) {
			s = (const char *)st->rec + off;
			n = strnlen(s, size);
			if (n > FMT_TEXT_MAX)
				n = FMT_TEXT_MAX;
			memcpy(st->text, s, n);
		} else if (t == LB_ARG_TIME || t == LB_ARG_NOW) {
			uint64_t v;
			size_t a = f->aux[i];

			if (a == 0 || a >= sizeof f->fmt ||
			    !memchr(f->fmt + a, 0, sizeof f->fmt - a) || size < 8)
				return -1;
			memcpy(&v, st->rec + off, 8);
			n = lb_strftime(f->fmt + a, t == LB_ARG_NOW, v, st->text, FMT_TEXT_MAX + 1);
		} else if (t == LB_ARG_JOIN) {
			size_t a = f->aux[i], per = size / LB_JOIN_ARGS, dl;
			const char *d = f->fmt + a;

			if (a == 0 || a >= sizeof f->fmt || !memchr(d, 0, sizeof f->fmt - a) ||
			    !per)
				return -1;
			dl = strlen(d);
			n = 0;
			for (int j = 0; j < LB_JOIN_ARGS; j++) {
				const char *e = (const char *)st->rec + off + (size_t)j * per;
				size_t el = strnlen(e, per);

				if (!el) /* bpftrace stops at the first empty string */
					break;
				if (j && n + dl <= FMT_TEXT_MAX)
					memcpy(st->text + n, d, dl), n += dl;
				if (n + el > FMT_TEXT_MAX)
					el = FMT_TEXT_MAX - n;
				memcpy(st->text + n, e, el);
				n += el;
			}
		} else if (t == LB_ARG_INET) {
			if (size < 24)
				return -1;
			n = lb_inet_text(st->rec + off, st->text, FMT_TEXT_MAX + 1);
		} else if (lb_arg_is_text(t)) {
			st->text[0] = 0;
			if (size < 8)
				return -1;
			if (st->r && st->r->text) {
				n = st->r->text(st->r->ud, t, st->rec + off, st->text,
						FMT_TEXT_MAX + 1);
				if (n > FMT_TEXT_MAX)
					n = FMT_TEXT_MAX;
				n = strnlen(st->text, n);
			} else {
				uint64_t v;

				memcpy(&v, st->rec + off, 8);
				n = (size_t)snprintf(st->text, FMT_TEXT_MAX, "0x%llx",
						     (unsigned long long)v);
			}
		} else {
			return -1;
		}
		st->text[n] = 0;
		memcpy(fmt + k, "*.*s", 5);
		return sb_printf(&st->out, fmt, width, prec, st->text);
	}
	if (t != LB_ARG_INT || size < 8)
		return -1;
	{
		int64_t v;

		memcpy(&v, st->rec + off, 8);
		switch (c->conv) {
		case 'c':
			memcpy(fmt + k, "*c", 3);
			return sb_printf(&st->out, fmt, width, (int)(unsigned char)v);
		case 'p':
			memcpy(fmt + k, "*p", 3);
			return sb_printf(&st->out, fmt, width, (void *)(uintptr_t)(uint64_t)v);
		case 'd':
		case 'i':
			if (c->len == LB_LEN_HH)
				v = (signed char)v;
			else if (c->len == LB_LEN_H)
				v = (short)v;
			fmt[k++] = '*', fmt[k++] = '.', fmt[k++] = '*';
			fmt[k++] = 'l', fmt[k++] = 'l', fmt[k++] = c->conv, fmt[k] = 0;
			return sb_printf(&st->out, fmt, width, prec, (long long)v);
		default: { /* u x X o */
			uint64_t u = (uint64_t)v;

			if (c->len == LB_LEN_HH)
				u = (unsigned char)u;
			else if (c->len == LB_LEN_H)
				u = (unsigned short)u;
			fmt[k++] = '*', fmt[k++] = '.', fmt[k++] = '*';
			fmt[k++] = 'l', fmt[k++] = 'l', fmt[k++] = c->conv, fmt[k] = 0;
			return sb_printf(&st->out, fmt, width, prec, (unsigned long long)u);
		}
		}
	}
}

int lb_fmt_render(const struct lb_fmt *f, const void *rec, size_t reclen, const struct lb_render *r,
		  char **out, size_t *outlen)
{
	struct render_state st;
	char err[256];
	int n, rc = -1;

	if (!f || !rec || !out || !outlen || reclen < f->len || f->nargs < 0 ||
	    f->nargs > LB_MAX_ARGS || !memchr(f->fmt, 0, sizeof f->fmt))
		return -1;
	memset(&st, 0, sizeof st);
	st.f = f;
	st.rec = rec;
	st.reclen = reclen;
	st.r = r;
	n = lb_fmt_walk(f->fmt, render_conv, render_lit, &st, err, sizeof err);
	if (n == f->nargs && !st.out.oom) {
		size_t used = *out ? *outlen : 0;
		char *np = realloc(*out, used + st.out.len + 1);

		if (np) {
			if (st.out.len)
				memcpy(np + used, st.out.p, st.out.len);
			np[used + st.out.len] = 0;
			*out = np;
			*outlen = used + st.out.len;
			rc = 0;
		}
	}
	free(st.out.p);
	free(st.text);
	return rc;
}
