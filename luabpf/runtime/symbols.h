/* Kernel and user symbols, and stacks laid out like bpftrace's. */
#ifndef LUABPF_SYMBOLS_H
#define LUABPF_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "elffile.h" /* the ELF helpers symbols.c reads files with */

struct lb_syms; /* per session: kallsyms, per-process maps, ELF symtabs */

struct lb_syms *lb_syms_new(void);
void lb_syms_free(struct lb_syms *s);

/* Names like bpftrace's ksym()/usym(): the symbol name only, or with
 * with_offset "name+31" (decimal offset, as in bpftrace's stacks); the
 * address as bpftrace prints an unknown one, "0x7f12..." ("0" for 0),
 * when there is no symbol. Kernel: nearest text symbol of /proc/kallsyms
 * at or below addr. User: the sized symbol holding addr in the ELF file
 * mapped there in process pid (stripped files: .dynsym, else unknown).
 * buf is NUL terminated, truncated to len; returns strlen(buf). */
size_t lb_ksym(struct lb_syms *s, uint64_t addr, int with_offset, char *buf, size_t len);
size_t lb_usym(struct lb_syms *s, pid_t pid, uint64_t addr, int with_offset, char *buf, size_t len);

/* A stack from the stack-trace map fd (value: LB_OP_STACK's id | frames
 * << 32 | lb_stackmode << 40; frames 0 shows all) as bpftrace 0.17 prints
 * it in printf: "\n", then one frame per line, "sym+off\n" indented 8
 * spaces:
 *   "\n        do_sys_openat2+5\n        __x64_sys_openat+85\n"
 * (user frames need pid; unknown frames print as "0x55d1c2c7130"); in
 * perf mode "\n\tffffffff8139b5a5 do_sys_openat2+5\n" (user frames with
 * " (/path/of/file)"), in raw mode "\nffffffff8139b5a5\n"; in
 * LB_STACK_NAMES mode "do_sys_openat2\n__x64_sys_openat\n" (no leading
 * newline, no offsets). A stack that cannot be read (id 0xffffffff,
 * lookup error) prints as "". Lines that do not fit in len are left out.
 * Returns strlen(buf). */
size_t lb_stack_text(struct lb_syms *s, int stack_fd, uint64_t value, pid_t pid, int user,
		     char *buf, size_t len);
/* The same with another indentation: bpftrace indents stacks in map keys
 * by 4 ("@[\n    sym+off\n]: 3"). */
size_t lb_stack_text_indent(struct lb_syms *s, int stack_fd, uint64_t value, pid_t pid, int user,
			    int indent, char *buf, size_t len);
/* The layout of lb_stack_text for n addresses (ending early at a 0). */
size_t lb_stack_format(struct lb_syms *s, const uint64_t *ips, int n, pid_t pid, int user, int mode,
		       int indent, char *buf, size_t len);

#endif
