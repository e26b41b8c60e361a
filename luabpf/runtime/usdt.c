/* USDT argument strings, as <sys/sdt.h> has the assembler write them into
 * .note.stapsdt: "SIZE@OPERAND" per argument, the operand in AT&T syntax
 * (x86-64). Decoded in user space so that any form gcc picks can be read,
 * the indexed ones libbpf 1.1 refuses included. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "usdt.h"

/* Registers by pt_regs word: the 64, 32, 16 and 8-bit names (bpf/arch.h;
 * those without an assembler name match nothing). */
static const struct {
	const char *n[4];
	__u8 word;
} gprs[] = {
#define REG(word, name, r64, r32, r16, r8) {{r64, r32, r16, r8}, word},
    LB_ARCH_REGS(REG)
#undef REG
};
#define NGPRS (sizeof gprs / sizeof *gprs)

static const char *reg_name(__u8 word)
{
	for (size_t i = 0; i < NGPRS; i++)
		if (gprs[i].word == word)
			return gprs[i].n[0];
	return "?";
}

struct parse {
	const char *s, *p; /* the argument, where we are */
	char *err;
	size_t errlen;
};

static int bad(struct parse *P, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	n = (size_t)snprintf(P->err, P->errlen, "bad USDT argument '%s': ", P->s);
	if (n < P->errlen) {
		va_start(ap, fmt);
		vsnprintf(P->err + n, P->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* "%rax", "%r8d", "%ah" after P->p: its word, and the shift of %ah..%dh */
static int reg(struct parse *P, __u8 *word, __u8 *shift)
{
	char name[8];
	size_t n = 0;

	if (*P->p != '%')
		return bad(P, "expected a register at '%s'", P->p);
	P->p++;
	while (isalnum((unsigned char)P->p[n]) && n < sizeof name - 1)
		n++;
	memcpy(name, P->p, n);
	name[n] = 0;
	P->p += n;
	*shift = 0;
	if (n == 2 && name[1] == 'h' && strchr("abcd", name[0])) {
		static const __u8 hi[] = {LB_REG_AX, LB_REG_BX, LB_REG_CX, LB_REG_DX};

		*word = hi[name[0] - 'a'];
		*shift = 8;
		return 0;
	}
	for (size_t i = 0; i < NGPRS; i++)
		for (int w = 0; w < 4; w++)
			if (gprs[i].n[w] && !strcmp(gprs[i].n[w], name)) {
				*word = gprs[i].word;
				return 0;
			}
	return bad(P, "unknown register %%%s", name);
}

/* A decimal or 0x number after P->p, no sign. */
static int number(struct parse *P, __u64 *v)
{
	char *end;

	if (!isdigit((unsigned char)*P->p))
		return bad(P, "expected a number at '%s'", P->p);
	errno = 0;
	*v = strtoull(P->p, &end, 0);
	if (errno || isalnum((unsigned char)*end) || *end == '_')
		return bad(P, "bad number at '%s'", P->p);
	P->p = end;
	return 0;
}

/* A displacement: terms joined by + and -, at most one of them a
 * symbol ("16+table", "counter-8", "-65616"). */
static int displacement(struct parse *P, struct lb_usdt_operand *o)
{
	__u64 sum = 0;
	int neg = 0;

	if (*P->p == '-' || *P->p == '+')
		neg = *P->p++ == '-';
	for (;;) {
		__u64 v;

		if (isalpha((unsigned char)*P->p) || *P->p == '_' || *P->p == '.') {
			size_t n =
			    strspn(P->p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					 "0123456789_.$@");

			if (neg || o->sym[0])
				return bad(P, "only one symbol, added, is supported");
			if (n >= sizeof o->sym)
				return bad(P, "symbol too long");
			memcpy(o->sym, P->p, n);
			o->sym[n] = 0;
			P->p += n;
		} else if (number(P, &v)) {
			return -1;
		} else {
			sum += neg ? -v : v;
		}
		if (*P->p != '+' && *P->p != '-')
			break;
		neg = *P->p++ == '-';
	}
	o->a.val = (__s64)sum;
	return 0;
}

/* "(%base)", "(%base,%index)", "(%base,%index,scale)", "(,%index,scale)" */
static int memref(struct parse *P, struct lb_usdt_arg *a)
{
	__u8 shift;
	__u64 scale = 1;

	a->kind = LB_USDT_MEM;
	a->base = a->index = LB_USDT_NOREG;
	P->p++; /* ( */
	if (*P->p != ',' &&
	    (reg(P, &a->base, &shift) || (shift && bad(P, "%%ah..%%dh as address"))))
		return -1;
	if (*P->p == ',') {
		P->p++;
		if (reg(P, &a->index, &shift))
			return -1;
		if (shift || a->index == LB_USDT_RIP || a->index == LB_REG_SP)
			return bad(P, "%%%s cannot be an index", reg_name(a->index));
		if (*P->p == ',') {
			P->p++;
			if (number(P, &scale))
				return -1;
			if (scale != 1 && scale != 2 && scale != 4 && scale != 8)
				return bad(P, "scale %llu (not 1, 2, 4 or 8)",
					   (unsigned long long)scale);
		}
	}
	if (*P->p != ')')
		return bad(P, "expected ')' at '%s'", P->p);
	P->p++;
	if (a->base == LB_USDT_NOREG && a->index == LB_USDT_NOREG)
		return bad(P, "no register in ()");
	a->scale = a->index == LB_USDT_NOREG ? 0 : (__u8)scale;
	return 0;
}

int lb_usdt_parse(const char *s, struct lb_usdt_operand *o, char *err, size_t errlen)
{
	struct parse P = {s, s, err, errlen};
	struct lb_usdt_arg *a = &o->a;
	const char *at = strchr(s, '@');

	memset(o, 0, sizeof *o);
	a->size = 8;
	a->is_signed = 1;
	if (at) {
		char *end;
		long n = strtol(s, &end, 10);

		if (end != at || !isdigit((unsigned char)s[*s == '-']))
			return bad(&P, "expected SIZE@ or -SIZE@ first");
		if (labs(n) != 1 && labs(n) != 2 && labs(n) != 4 && labs(n) != 8)
			return bad(&P, "size %ld (not 1, 2, 4 or 8 bytes)", labs(n));
		a->size = (__u8)labs(n);
		a->is_signed = n < 0;
		P.p = at + 1;
	}
	if (!*P.p)
		return bad(&P, "no operand");
	if (*P.p == '%') {
		a->kind = LB_USDT_REG;
		if (reg(&P, &a->base, &a->shift))
			return -1;
		if (a->base == LB_USDT_RIP)
			return bad(&P, "%%rip is only an address base");
	} else if (*P.p == '$') {
		int neg;
		__u64 v;

		P.p++;
		neg = *P.p == '-';
		P.p += neg;
		if (number(&P, &v))
			return -1;
		a->kind = LB_USDT_CONST;
		a->val = (__s64)(neg ? -v : v);
	} else {
		if (*P.p != '(' && displacement(&P, o))
			return -1;
		if (!*P.p)
			return bad(&P, "an absolute address (only memory at a register is "
				       "supported)");
		if (*P.p != '(')
			return bad(&P, "expected '(' at '%s'", P.p);
		if (memref(&P, a))
			return -1;
		if (o->sym[0] && a->base != LB_USDT_RIP)
			return bad(&P, "symbol %s without %%rip as base", o->sym);
		if (a->base == LB_USDT_RIP && (!o->sym[0] || a->index != LB_USDT_NOREG))
			return bad(&P, "%%rip needs a symbol and no index");
	}
	if (*P.p)
		return bad(&P, "unexpected '%s'", P.p);
	return 0;
}

void lb_usdt_describe(const struct lb_usdt_operand *o, char *buf, size_t len)
{
	const struct lb_usdt_arg *a = &o->a;
	size_t n = (size_t)snprintf(buf, len, "%sint%u ", a->is_signed ? "" : "u", a->size * 8);
	char base[136] = "", index[16] = "", disp[32] = "";

	if (n >= len)
		return;
	buf += n;
	len -= n;
	switch (a->kind) {
	case LB_USDT_CONST: snprintf(buf, len, "%lld", (long long)a->val); return;
	case LB_USDT_REG:
		snprintf(buf, len, "%%%s%s", reg_name(a->base), a->shift ? " >> 8" : "");
		return;
	case LB_USDT_MEM: break;
	default: snprintf(buf, len, "none"); return;
	}
	if (o->sym[0] || a->base != LB_USDT_NOREG)
		snprintf(base, sizeof base, o->sym[0] ? "%s" : "%%%s",
			 o->sym[0] ? o->sym : reg_name(a->base));
	if (a->index != LB_USDT_NOREG)
		snprintf(index, sizeof index, "%s%%%s*%u", base[0] ? " + " : "", reg_name(a->index),
			 a->scale);
	if (a->val)
		snprintf(disp, sizeof disp, " %c %llu", a->val < 0 ? '-' : '+',
			 (unsigned long long)(a->val < 0 ? -(__u64)a->val : (__u64)a->val));
	snprintf(buf, len, "[%s%s%s]", base, index, disp);
}
