/* The printf record format: what the compiler writes beside a plan for
 * each bpf.printf and the runtime renders records of. Shared by both
 * (the compiler checks, the runtime prints) so neither includes the
 * other's headers. User space only: the BPF side sees just the record. */
#ifndef LUABPF_PRINTF_H
#define LUABPF_PRINTF_H

#include <linux/types.h>

/* A printf format, checked at compile time against its arguments
 * (compiler/printf.c), rendered by the runtime (runtime/format.c). The
 * record is LB_REC(LB_REC_PRINTF, id), then the arguments at their
 * offsets (8-byte aligned): ints 8 bytes, strings size bytes NUL padded,
 * stacks as in LB_KEY_KSTACK / LB_KEY_USTACK, usym 16 (addr, pid). */
#define LB_MAX_ARGS 16
enum lb_argtype {
	LB_ARG_INT = 1, /* s64 */
	LB_ARG_STR,	/* size bytes */
	LB_ARG_PROBE,	/* u64 e.probe value, printed as its name */
	LB_ARG_KSTACK,
	LB_ARG_USTACK,
	LB_ARG_KSYM, /* u64 kernel address, printed as its symbol */
	LB_ARG_USYM, /* u64 address, u64 pid */
	LB_ARG_TIME, /* u64 ns since boot, printed by strftime(aux) */
	LB_ARG_NOW,  /* u64 unused: the time when printed, by strftime(aux) */
	LB_ARG_INET, /* bpf.ntop(): u64 family, 16 address bytes */
	LB_ARG_JOIN, /* bpf.join(): LB_JOIN_ARGS strings of size / LB_JOIN_ARGS
			bytes (LB_OP_JOIN), joined by the string at fmt + aux */
};

struct lb_fmt {
	char fmt[512]; /* the format, as written (escapes already decoded) */
	int nargs;
	__u8 type[LB_MAX_ARGS];
	__u16 off[LB_MAX_ARGS]; /* from the start of the record (>= 8) */
	__u16 size[LB_MAX_ARGS];
	__u16 len; /* record length, header included */
	/* LB_ARG_TIME, LB_ARG_NOW: the strftime format of argument i is at
	 * fmt + aux[i], after the printf format's NUL; LB_ARG_JOIN: the
	 * delimiter */
	__u16 aux[LB_MAX_ARGS];
};

/* bytes of a strftime format (bpf.strftime, bpf.time), NUL included */
#define LB_TIMEFMT_MAX 256

#endif
