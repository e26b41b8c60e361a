/* Kernel and user symbols, and stacks laid out like bpftrace's. */
#ifndef LUABPF_SYMBOLS_H
#define LUABPF_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "elffile.h" /* the ELF helpers symbols.c reads files with */

struct lb_syms; /* per session: kallsyms, per-process maps, ELF symtabs */

#define LB_VDSO "[vdso]" /* the one mapping kept that is not a file */

/* A file mapping of a process, as /proc/PID/maps said (or the vDSO). */
struct lb_umap {
	uint64_t start, end, off, ino;
	char *path;
	int exec;      /* executable */
	uint64_t file; /* symbols.c's: serial of its symbols, 0 not looked up */
	int failed;    /* symbols.c's: no symbols to be had from it */
};

struct lb_syms *lb_syms_new(void);
void lb_syms_free(struct lb_syms *s);

/* Names like bpftrace's ksym()/usym(): the symbol name only, or with
 * with_offset "name+31" (decimal offset, as in bpftrace's stacks); the
 * address as bpftrace prints an unknown one, "0x7f12..." ("0" for 0),
 * when there is no symbol. Kernel: nearest text symbol of /proc/kallsyms
 * at or below addr. User: the sized symbol holding addr in the ELF file
 * mapped there in process pid (stripped files: .dynsym, else unknown).
 * buf is NUL terminated, truncated to len; returns strlen(buf). */
/* Kernel symbols were read and the kernel hid every address (no
 * CAP_SYSLOG): kstack and ksym print addresses. */
int lb_syms_kernel_hidden(const struct lb_syms *s);
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
size_t lb_stack_text(struct lb_syms *s, const int stack_fds[2], uint64_t value, pid_t pid, int user,
		     char *buf, size_t len);
/* The same with another indentation: bpftrace indents stacks in map keys
 * by 4 ("@[\n    sym+off\n]: 3"). */
size_t lb_stack_text_indent(struct lb_syms *s, const int stack_fds[2], uint64_t value, pid_t pid,
			    int user, int indent, char *buf, size_t len);
/* Keep process pid's mappings from now on (its first user stack was
 * taken): read them, and the symbols of its code, now, while it lives. */
void lb_syms_keep(struct lb_syms *s, pid_t pid);
/* What the kernel reported (mmapwatch.c): an executable file mapping of
 * pid, a new process pid forked from ppid (its mappings copied), an exec
 * (mappings forgotten), an exit (mappings kept if it was announced). */
void lb_syms_map_add(struct lb_syms *s, pid_t pid, uint64_t start, uint64_t end, uint64_t off,
		     uint64_t ino, const char *path);
/* Read the mappings of the processes running now (only pid only, if > 0),
 * as the kernel reports only those made from now on. */
void lb_syms_scan(struct lb_syms *s, pid_t only);
void lb_syms_fork(struct lb_syms *s, pid_t ppid, pid_t pid);
void lb_syms_exec(struct lb_syms *s, pid_t pid);
void lb_syms_exit(struct lb_syms *s, pid_t pid);
/* Its file mappings (read now if not known yet, or again with reread;
 * those read while it lived when it has exited). */
const struct lb_umap *lb_syms_mappings(struct lb_syms *s, pid_t pid, int reread, int *n);
/* A mapping's file, opened read-only: through /proc/PID/map_files, the
 * process's root, then the path, checked against the inode; -1 if none. */
int lb_syms_open(pid_t pid, const struct lb_umap *m);

/* The layout of lb_stack_text for n addresses (ending early at a 0). */
size_t lb_stack_format(struct lb_syms *s, const uint64_t *ips, int n, pid_t pid, int user, int mode,
		       int indent, char *buf, size_t len);

#endif
