/* ELF files (libelf), one way for user symbols (symbols.c), uprobe
 * offsets (binary.c) and the USDT and uprobe function listings. Defined
 * in elf.c. */
#ifndef LUABPF_ELF_H
#define LUABPF_ELF_H

#include <stddef.h>
#include <stdint.h>
#include <gelf.h>
#include "usdt.h"

#define LB_ELF_PATH 4096
#define LB_ELF_DEBUG_PATHS 4 /* build id, and up to 3 by .gnu_debuglink */

struct lb_elf {
	int fd;
	Elf *e;
};

/* Open ELF file path for reading: 0, or -1 with a message in err (may be
 * NULL): "PATH: No such file or directory", "PATH: not an ELF file",
 * "PATH: a directory, not an ELF file" (anything but a regular file is
 * refused before it is opened), "PATH: truncated or corrupt ELF file (N
 * bytes)". lb_elf_close takes either outcome. */
int lb_elf_open(const char *path, struct lb_elf *h, char *err, size_t errlen);
void lb_elf_close(struct lb_elf *h);
/* The ELF file open on fd (which stays the caller's), or NULL if it is
 * not one; elf_end it. */
Elf *lb_elf_begin(int fd);

/* The file offset of address vaddr: in a loadable segment's file bytes,
 * an executable one if exec. 0, or -1 if none holds it. */
int lb_elf_file_offset(Elf *e, uint64_t vaddr, int exec, uint64_t *off);

/* The defined symbol name (or name@VERSION) of .symtab, else .dynsym:
 * 0, or -1 if there is none. */
int lb_elf_lookup(Elf *e, const char *name, GElf_Sym *sym);

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
/* Open the separate debug file of e (the file at path): 0, or -1. */
int lb_elf_open_debug(Elf *e, const char *path, struct lb_elf *dh);

/* USDT probes of an ELF file from its .note.stapsdt notes:
 * "provider:name" and the argument count of each. */
struct lb_usdt_probe {
	char provider[64], name[64];
	int nargs;
};
int lb_usdt_probes(const char *path, struct lb_usdt_probe **out, int *n, char *err, size_t errlen);

/* One call site of a USDT probe (one note), to attach a uprobe to. */
struct lb_usdt_site {
	uint64_t pc;	      /* the note's address */
	uint64_t offset;      /* its file offset: the uprobe's */
	uint64_t sema_offset; /* the semaphore's file offset (0: none) */
	int nargs;
	char text[LB_USDT_ARGS][128];		  /* the note's "-4@-20(%rbp)" */
	struct lb_usdt_operand ops[LB_USDT_ARGS]; /* decoded */
	struct lb_usdt_arg args[LB_USDT_ARGS];	  /* %rip symbols resolved */
};
/* The call sites of probe provider:name in path, in note order: 0, or -1
 * with why in err (a bad argument; no such probe: the file's are named). */
int lb_usdt_sites(const char *path, const char *provider, const char *name,
		  struct lb_usdt_site **out, int *n, char *err, size_t errlen);

/* Function symbols of an ELF file matching a glob (uprobe listing), and
 * whether the file is statically linked (no PT_INTERP / no .dynamic). */
int lb_elf_functions(const char *path, const char *glob, char ***out, int *n, int *is_static,
		     char *err, size_t errlen);

#endif
