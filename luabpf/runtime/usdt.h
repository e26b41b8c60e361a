/* USDT arguments: the operand strings of .note.stapsdt notes (usdt.c),
 * decoded to the specs the usdt template reads (plan.h). */
#ifndef LUABPF_USDT_H
#define LUABPF_USDT_H

#include <stddef.h>
#include <linux/types.h>
#include "../../bpf/plan.h"

#define LB_USDT_RIP LB_REG_IP /* the instruction pointer */

/* One decoded argument. A %rip-relative operand ("-4@counter(%rip)",
 * "8@16+table(%rip)") is kept as base LB_USDT_RIP, val the addend and
 * sym the symbol: the note's reader resolves it for each site. */
struct lb_usdt_operand {
	struct lb_usdt_arg a;
	char sym[128];
};

/* Decode one argument: "-4@%eax", "8@-20(%rbp)", "8@-65616(%rbp,%rdx,8)",
 * "-4@counter(%rip)", "-4@$5"; N@ is the size, -N@ signed (none: 8 bytes,
 * signed). 0, or -1 with "bad USDT argument 'S': why" in err. */
int lb_usdt_parse(const char *s, struct lb_usdt_operand *o, char *err, size_t errlen);

/* What o reads, for listings: "int32 5", "int8 %rcx", "uint8 %rax >> 8",
 * "int64 [%rbp + %rdx*8 - 65616]", "int32 [counter]". */
void lb_usdt_describe(const struct lb_usdt_operand *o, char *buf, size_t len);

#endif
