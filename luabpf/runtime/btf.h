/* Kernel types (BTF) for typed probes, and what the listings show:
 * kfunc arguments, BTF raw tracepoint arguments, structs. Through libbpf's
 * BTF API. The USDT and uprobe function listings are in elf.h, included
 * here for the listing callers. */
#ifndef LUABPF_BTF_H
#define LUABPF_BTF_H

#include <stddef.h>
#include "compiler/compiler.h"
#include "elffile.h"

struct lb_btf; /* vmlinux BTF, module BTF loaded when a name is not there */

struct lb_btf *lb_btf_load(char *err, size_t errlen);
void lb_btf_free(struct lb_btf *b);
/* The callbacks the compiler follows pointer chains with. */
const struct lbc_types *lb_btf_types(struct lb_btf *b);

/* Arguments of kernel function func (kfunc/kretfunc): fields named as in
 * the kernel source, off = 8 * i in the u64 args array, size 8 (or the
 * int's size), btf_type set; *ret_type the return type id (0 for void).
 * char * args are LB_FSTR_KPTR strings. -1 with a message if unknown. */
int lb_btf_func_args(struct lb_btf *b, const char *func, struct lbc_field **out, int *n,
		     int *ret_type, char *err, size_t errlen);
/* The same for a BTF raw tracepoint (tp_btf), from btf_trace_NAME: the
 * first (void *) argument is left out. */
int lb_btf_tp_args(struct lb_btf *b, const char *tp, struct lbc_field **out, int *n, char *err,
		   size_t errlen);
/* A vmlinux typedef of an integer by name (pid_t, size_t, umode_t): 0
 * with its size and sign, -1 if there is none. */
int lb_btf_typedef_int(struct lb_btf *b, const char *name, int *size, int *is_signed);
/* The byte offset of member in vmlinux's struct sname (through anonymous
 * members): 0, or -1 if there is none. */
int lb_btf_member_offset(struct lb_btf *b, const char *sname, const char *member, __u32 *off);
/* Kernel functions (BTF FUNC) matching a glob, sorted. */
int lb_btf_funcs(struct lb_btf *b, const char *glob, char ***out, int *n);

/* Listings, exactly like bpftrace -lv:
 *   kfunc:vmlinux:vfs_read (or kfunc:vfs_read, as bpftrace 0.17 prints)
 *       struct file * file
 *       ...
 *       ssize_t retval
 * and `luabpf -lv 'struct dentry'` like bpftrace's struct printing. */
int lb_btf_describe_func(struct lb_btf *b, const char *func, char **text, char *err, size_t errlen);
int lb_btf_describe_struct(struct lb_btf *b, const char *name, char **text, char *err,
			   size_t errlen);

#endif
