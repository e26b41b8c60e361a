/* Kernel and user symbols, and stacks laid out like bpftrace's. */
#ifndef LUABPF_SYMBOLS_H
#define LUABPF_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <gelf.h>

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
 * << 32; frames 0 shows all) as bpftrace 0.17 prints it in printf:
 * "\n", then one frame per line, "sym+off\n" indented 8 spaces:
 *   "\n        do_sys_openat2+5\n        __x64_sys_openat+85\n"
 * (user frames need pid; unknown frames print as "0x55d1c2c7130"). A
 * stack that cannot be read (id 0xffffffff, lookup error) prints as "".
 * Lines that do not fit in len are left out. Returns strlen(buf). */
size_t lb_stack_text(struct lb_syms *s, int stack_fd, uint64_t value, pid_t pid, int user,
		     char *buf, size_t len);
/* The same with another indentation: bpftrace indents stacks in map keys
 * by 4 ("@[\n    sym+off\n]: 3"). */
size_t lb_stack_text_indent(struct lb_syms *s, int stack_fd, uint64_t value, pid_t pid, int user,
			    int indent, char *buf, size_t len);
/* The layout of lb_stack_text for n addresses (ending early at a 0). */
size_t lb_stack_format(struct lb_syms *s, const uint64_t *ips, int n, pid_t pid, int user,
		       int indent, char *buf, size_t len);

/* ELF files (libelf), one way for user symbols (symbols.c), uprobe
 * listings (btf.c) and uprobe offsets (binary.c). Defined in btf.c, which
 * spec/btf_spec.lua builds on its own. */
#define LB_ELF_PATH 4096
#define LB_ELF_DEBUG_PATHS 4 /* build id, and up to 3 by .gnu_debuglink */

struct lb_elf {
	int fd;
	Elf *e;
};

/* Open ELF file path for reading: 0, or -1 with a message in err (may be
 * NULL): "PATH: No such file or directory", "PATH: not an ELF file".
 * lb_elf_close takes either outcome. */
int lb_elf_open(const char *path, struct lb_elf *h, char *err, size_t errlen);
void lb_elf_close(struct lb_elf *h);
/* The ELF file open on fd (which stays the caller's), or NULL if it is
 * not one; elf_end it. */
Elf *lb_elf_begin(int fd);

/* Call fn for each named symbol (after the null one) of each section of
 * type sh_type (SHT_SYMTAB, SHT_DYNSYM), in file order, until fn returns
 * nonzero: returns that, or 0. */
int lb_elf_symbols(Elf *e, int sh_type, int (*fn)(void *ud, const GElf_Sym *sym, const char *name),
		   void *ud);

/* Where the separate debug file of e (the ELF file path) may be, in the
 * order to try: by GNU build id /usr/lib/debug/.build-id/xx/yyyy.debug,
 * then by the .gnu_debuglink name in each of links (formats of the
 * directory of path, then the name, e.g. "%s/.debug/%s"; NULL ended, 3 at
 * the most), never path itself. Returns how many were written to out. */
int lb_elf_debug_paths(Elf *e, const char *path, const char *const *links, char out[][LB_ELF_PATH]);

#endif
