/* What btf.c (types, arguments) and btflist.c (listings) share. */
#ifndef LUABPF_BTF_IMPL_H
#define LUABPF_BTF_IMPL_H

#include <stdarg.h>
#include <bpf/btf.h>
#include "btf.h"

#define MOD_SHIFT 24
#define MAX_MODS 127	      /* module BTFs kept */
#define MAX_CHAIN 64	      /* typedef / modifier links followed */
#define MAX_NEST 32	      /* anonymous members searched through */
#define MAX_TEXT (256u << 20) /* bytes of one dump */

struct btfmod {
	char name[64];
	struct btf *btf;
	struct btf_dump *dump; /* for type names, made on first use */
};

struct strbuf {
	char *p;
	size_t n, cap;
	int failed; /* out of memory or over MAX_TEXT */
};

struct lb_btf {
	struct btf *vm;
	__u32 vm_cnt; /* btf__type_cnt(vm): ids below are vmlinux's */
	struct btf_dump *vm_dump;
	struct btfmod mods[MAX_MODS];
	int nmods;
	int mods_loaded;
	struct strbuf name; /* type names from the dumps above */
	struct lbc_types types;
};

void lb_sb_putn(struct strbuf *s, const char *p, size_t n);
void lb_sb_puts(struct strbuf *s, const char *p);
void lb_sb_vprintf(struct strbuf *s, const char *fmt, va_list ap);
void lb_sb_dump_printf(void *ctx, const char *fmt, va_list ap);
void lb_sb_free(struct strbuf *s);
__u32 lb_btf_find_named(struct lb_btf *b, const char *qname, int kind, int *mod);
struct btf *lb_btf_mod(struct lb_btf *b, int mod);

#endif
