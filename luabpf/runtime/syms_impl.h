/* symbols.c and procs.c's shared state: struct lb_syms and its parts.
 * Internal to the runtime's symbol code; others use symbols.h. */
#ifndef LUABPF_SYMS_IMPL_H
#define LUABPF_SYMS_IMPL_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include "symbols.h"

#define SYMS_PROCS 1024 /* processes whose maps are kept */
#define SYMS_FILES 64	/* ELF files whose symbols are kept */
#define SYMS_MAPS 16384 /* file mappings per process */
#define SYMS_PER_FILE (1u << 22)
#define SYMS_NAMES_MAX (256u << 20) /* bytes of names per table */
#define SYMS_SEGS 32		    /* PT_LOAD segments per file */
#define SYMS_WALK 64		    /* symbols tried below an address (nesting) */
#define SYMS_PATH 4096

struct sym {
	uint64_t start, size;
	uint64_t rank; /* lower wins among symbols at one address */
	uint32_t name; /* offset in names */
};

struct symtab {
	struct sym *v;
	uint64_t *maxend; /* maxend[i]: largest end of v[0..i] */
	size_t n, cap;
	char *names;
	size_t nnames, capnames;
};

struct seg {
	uint64_t off, vaddr, filesz;
};

struct elffile {
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	off_t fsize;
	uint64_t serial; /* never reused: mappings remember it */
	uint64_t used;	 /* LRU clock */
	int etype;
	int nsegs;
	struct seg segs[SYMS_SEGS];
	struct symtab tab;
};

struct proc {
	pid_t pid;
	int kept; /* announced: its stacks were taken */
	int dead; /* exited (its maps are what was known then) */
	uint64_t used;
	uint64_t gen; /* call that last read its maps */
	struct lb_umap *maps;
	int nmaps;
	/* the last pages found outside all mappings after a re-read: JIT
	 * code and the like do not re-read the maps on every stack */
	uint64_t missed[16];
	unsigned nmissed;
};

struct lb_syms {
	/* kernel */
	int kloaded;
	int khidden; /* /proc/kallsyms listed every address as 0 */
	struct symtab k;
	/* user */
	struct proc procs[SYMS_PROCS];
	int nprocs, lastproc; /* lastproc: the last one found (stacks ask per frame) */
	/* slot + 1 of a pid by its low bits, a hint checked before use: the
	 * kernel's mmap records ask for every process of the system */
	int16_t hint[SYMS_PROCS * 4];
	struct elffile *files[SYMS_FILES];
	int nfiles;
	uint64_t clock, gen, serial;
	int elf_ok;
};

/* procs.c: processes and their mappings */
void lb_proc_clear(struct proc *p);
/* (Re-)read the file mappings of p->pid; kept if it has gone. */
void lb_proc_read(struct lb_syms *s, struct proc *p);
struct proc *lb_proc_find_pid(struct lb_syms *s, pid_t pid);
/* Found, or made and read. */
struct proc *lb_proc_get(struct lb_syms *s, pid_t pid);
struct lb_umap *lb_proc_find(struct proc *p, uint64_t addr);
int lb_proc_missed(const struct proc *p, uint64_t addr);
/* symbols.c: a regular file, and the inode asked for if want_ino */
int lb_open_checked(const char *path, ino_t want_ino);

#endif
