/* lbc_dump: a stable listing of a plan for golden specs and -v. */
#include <stdio.h>
#include <string.h>
#include "compiler.h"

struct out {
	char *buf;
	size_t len, n;
};

#include <stdarg.h>

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	char tmp[512];
	va_start(ap, fmt);
	int w = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (w < 0)
		return;
	if ((size_t)w >= sizeof tmp)
		w = sizeof tmp - 1;
	for (int i = 0; i < w; i++, o->n++)
		if (o->n + 1 < o->len)
			o->buf[o->n] = tmp[i];
}

static const char *const sym[] = {
    "+", "-", "*", "//", "%", "&", "|", "~", "<<", ">>", "==", "~=", "<", "<=", ">", ">=",
};
static const char *const ctxname[] = {
    "?", "pid", "tid", "uid", "gid", "cpu", "nsecs", "probe", "cpid", "elapsed",
};
_Static_assert(sizeof sym / sizeof *sym == LB_OP_GE - LB_OP_ADD + 1, "a symbol per operator");
_Static_assert(sizeof ctxname / sizeof *ctxname == LB_CTX_ELAPSED + 1, "a name per builtin");

/* pool bytes as a Lua string, trailing NULs dropped */
static void str(struct out *o, const struct lb_plan *p, long off, long len)
{
	if (off < 0 || len < 0 || off + len > LB_POOL) {
		put(o, " pool[%ld] (out of range)", off);
		return;
	}
	while (len > 0 && !p->pool[off + len - 1])
		len--;
	put(o, " \"");
	for (long i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p->pool[off + i];
		if (c == '"' || c == '\\')
			put(o, "\\%c", c);
		else if (c < 32 || c >= 127)
			put(o, "\\x%02x", c);
		else
			put(o, "%c", c);
	}
	put(o, "\"");
}

size_t lbc_dump(const struct lb_plan *p, char *buf, size_t buflen)
{
	struct out o = {buf, buflen, 0};
	unsigned n = p->nops > LB_MAX_OPS ? LB_MAX_OPS : p->nops;
	put(&o, "plan nops=%u ctx_copy=%u scratch=%u sysmode=%u probe_id=%u", p->nops, p->ctx_copy,
	    p->scratch_size, p->sysmode, p->probe_id);
	for (int i = 0; i < LB_SYSMASK; i++)
		if (p->sysmask[i]) {
			put(&o, " sysmask=");
			for (int k = 0; k < LB_SYSMASK; k++)
				put(&o, "%s%llx", k ? ":" : "", (unsigned long long)p->sysmask[k]);
			break;
		}
	put(&o, "\n");
	for (unsigned i = 0; i < n; i++) {
		const struct lb_op *x = &p->ops[i];
		const char *nm = x->code < LB_OP_NCODES ? lbc_ops[x->code].name : "?";
		put(&o, "%3u  %s", i, nm);
		if (x->code != LB_OP_END && strlen(nm) < 8)
			put(&o, "%*s", (int)(8 - strlen(nm)), "");
		switch (x->code) {
		case LB_OP_END: break;
		case LB_OP_IMM: put(&o, " r%u = %lld", x->dst, (long long)x->imm); break;
		case LB_OP_CTX:
			put(&o, " r%u = %s", x->dst,
			    x->imm > 0 && x->imm <= LB_CTX_ELAPSED ? ctxname[x->imm] : "?");
			break;
		case LB_OP_FIELD:
			put(&o, " r%u = ctx[%u] len=%u%s", x->dst, x->off, x->len,
			    x->a ? " signed" : "");
			break;
		case LB_OP_COMM: put(&o, " scratch[%u..%u)", x->off, x->off + LB_COMM_LEN); break;
		case LB_OP_STRCPY:
			put(&o, " scratch[%u..%u) = pool[%lld]", x->off, x->off + x->len,
			    (long long)x->imm);
			str(&o, p, (long)x->imm, x->len);
			break;
		case LB_OP_STREQ:
			put(&o, " r%u = scratch[%u..%u) == pool[%lld]", x->dst, x->off,
			    x->off + x->len, (long long)x->imm);
			str(&o, p, (long)x->imm, x->len);
			break;
		case LB_OP_PUT: put(&o, " scratch[%u] = r%u", x->off, x->a); break;
		case LB_OP_NOT: put(&o, " r%u = !r%u", x->dst, x->a); break;
		case LB_OP_NEG: put(&o, " r%u = -r%u", x->dst, x->a); break;
		case LB_OP_BNOT: put(&o, " r%u = ~r%u", x->dst, x->a); break;
		case LB_OP_MOV: put(&o, " r%u = r%u", x->dst, x->a); break;
		case LB_OP_JMP: put(&o, " -> %u", x->off); break;
		case LB_OP_JZ:
		case LB_OP_JNZ: put(&o, " r%u -> %u", x->a, x->off); break;
		case LB_OP_MAP_ADD:
		case LB_OP_MAP_MIN:
		case LB_OP_MAP_MAX:
		case LB_OP_MAP_AVG: put(&o, " slot=%u key@%u r%u", x->dst, x->off, x->a); break;
		case LB_OP_MAP_BUCKET:
			put(&o, " slot=%u key@%u r%u len=%u sum+=r%u", x->dst, x->off, x->a, x->len,
			    x->b);
			break;
		case LB_OP_MAP_READ:
			put(&o, " r%u = slot=%u key@%u, r%u = present", x->dst, x->b, x->off, x->a);
			break;
		case LB_OP_MAP_SET:
		case LB_OP_MAP_XADD: put(&o, " slot=%u key@%u r%u", x->b, x->off, x->a); break;
		case LB_OP_MAP_DELETE: put(&o, " slot=%u key@%u", x->b, x->off); break;
		case LB_OP_UNWIND_ADD:
			put(&o, " slot=%u key@%u..%u r%u ustack@%lld", x->dst, x->off,
			    x->off + x->len, x->a, (long long)x->imm);
			break;
		case LB_OP_LOG2: put(&o, " r%u = log2(r%u)", x->dst, x->a); break;
		case LB_OP_LINEAR:
			put(&o, " r%u = linear(r%u) min=%lld step=r%u len=%u", x->dst, x->a,
			    (long long)x->imm, x->b, x->len);
			break;
		case LB_OP_STACK:
			put(&o, " r%u = %s len=%u", x->dst,
			    x->imm == 1	  ? "ustack"
			    : x->imm == 0 ? "kstack"
					  : "?",
			    x->len & 0xff);
			if (x->len >> LB_STACK_MODE_SHIFT)
				put(&o, " mode=%u", x->len >> LB_STACK_MODE_SHIFT);
			break;
		case LB_OP_STR:
			put(&o, " scratch[%u..%u) = %s r%u%s", x->off, x->off + x->len,
			    x->imm == 1	  ? "user"
			    : x->imm == 0 ? "kernel"
					  : "?",
			    x->a, x->b ? " padded" : "");
			break;
		case LB_OP_DATALOC:
			put(&o, " scratch[%u..%u) = ctx loc r%u%s", x->off, x->off + x->len, x->a,
			    x->b ? " padded" : "");
			break;
		case LB_OP_COPY:
			put(&o, " scratch[%u..%u) = scratch[%lld..%lld)", x->off, x->off + x->len,
			    (long long)x->imm, (long long)x->imm + x->len);
			break;
		case LB_OP_SCMP:
			put(&o, " r%u = scratch[%u..%u) == scratch[%lld..%lld)", x->dst, x->off,
			    x->off + x->len, (long long)x->imm, (long long)x->imm + x->len);
			break;
		case LB_OP_MAP_GETSTR:
			put(&o, " scratch[%lld..%lld) = slot=%u key@%u, r%u = present",
			    (long long)x->imm, (long long)x->imm + x->len, x->b, x->off, x->dst);
			break;
		case LB_OP_MAP_SETSTR:
			put(&o, " slot=%u key@%u scratch[%lld..%lld)", x->b, x->off,
			    (long long)x->imm, (long long)x->imm + x->len);
			break;
		case LB_OP_KREAD:
			put(&o, " r%u = kernel[r%u + %lld] len=%u%s", x->dst, x->a,
			    (long long)x->imm, x->len, x->b ? " signed" : "");
			break;
		case LB_OP_JOIN:
			put(&o, " scratch[%u..%u) = %d strings of %s r%u", x->off,
			    x->off + LB_JOIN_ARGS * x->len, LB_JOIN_ARGS,
			    x->imm == 1	  ? "user"
			    : x->imm == 0 ? "kernel"
					  : "?",
			    x->a);
			break;
		case LB_OP_USDT_ARG:
			put(&o, " r%u = usdt arg %lld len=%u%s", x->dst, (long long)x->imm, x->len,
			    x->a ? " signed" : "");
			break;
		case LB_OP_EMIT: {
			unsigned long long k = (unsigned long long)x->imm & 0xffffffffu;
			unsigned long long id = (unsigned long long)x->imm >> 32;
			put(&o, " scratch[%u..%u) ", x->off, x->off + x->len);
			if (k == LB_REC_PRINTF)
				put(&o, "printf fmt=%llu", id);
			else if (k == LB_REC_PRINT)
				put(&o, "print map=%llu", id);
			else if (k == LB_REC_EXIT)
				put(&o, "exit");
			else
				put(&o, "kind=%llu id=%llu", k, id);
			break;
		}
		default:
			if (x->code >= LB_OP_ADD && x->code <= LB_OP_GE)
				put(&o, " r%u = r%u %s r%u", x->dst, x->a, sym[x->code - LB_OP_ADD],
				    x->b);
			else
				put(&o, " code=%u dst=%u a=%u b=%u off=%u len=%u imm=%lld", x->code,
				    x->dst, x->a, x->b, x->off, x->len, (long long)x->imm);
		}
		put(&o, "\n");
	}
	if (buflen)
		buf[o.n < buflen ? o.n : buflen - 1] = 0;
	return o.n;
}
