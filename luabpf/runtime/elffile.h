/* ELF files (libelf), one way for user symbols (symbols.c), uprobe
 * offsets (binary.c) and the USDT and uprobe function listings. Defined
 * in elf.c. */
#ifndef LUABPF_ELF_H
#define LUABPF_ELF_H

#include <stddef.h>
#include <gelf.h>

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

/* USDT probes of an ELF file from its .note.stapsdt notes:
 * "provider:name" and the argument count of each. */
struct lb_usdt_probe {
	char provider[64], name[64];
	int nargs;
};
int lb_usdt_probes(const char *path, struct lb_usdt_probe **out, int *n, char *err, size_t errlen);

/* Function symbols of an ELF file matching a glob (uprobe listing), and
 * whether the file is statically linked (no PT_INTERP / no .dynamic). */
int lb_elf_functions(const char *path, const char *glob, char ***out, int *n, int *is_static,
		     char *err, size_t errlen);

#endif
