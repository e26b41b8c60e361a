/* Kernel and user symbols, and stacks laid out like bpftrace's. */
#ifndef LUABPF_SYMBOLS_H
#define LUABPF_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct lb_syms; /* per session: kallsyms, per-process maps, ELF symtabs */

struct lb_syms *lb_syms_new(void);
void lb_syms_free(struct lb_syms *s);

/* "func+0x1f"-less names like bpftrace's ksym()/usym(): the symbol name
 * only (offset when with_offset, as "name+31" in decimal like bpftrace's
 * stacks), or the address in hex "0x..." when unknown. Returns length. */
size_t lb_ksym(struct lb_syms *s, uint64_t addr, int with_offset, char *buf, size_t len);
size_t lb_usym(struct lb_syms *s, pid_t pid, uint64_t addr, int with_offset, char *buf,
	       size_t len);

/* A stack from the stack-trace map fd (value: LB_OP_STACK's id | frames
 * << 32) as bpftrace prints it: "\n" then one frame per line, indented
 * 8 spaces, "sym+off" (user frames need pid; "[unknown]" when no
 * symbol). Returns length. */
size_t lb_stack_text(struct lb_syms *s, int stack_fd, uint64_t value, pid_t pid, int user,
		     char *buf, size_t len);

#endif
