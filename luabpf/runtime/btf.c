/* Kernel types (BTF) and what the listings show, through libbpf's BTF API.
 * (ELF files, USDT notes and uprobe function listings: elf.c.)
 *
 * Type ids: vmlinux ids as they are. Module BTF is split BTF on top of
 * vmlinux, and the ids of two modules overlap, so a module's own ids are
 * handed out as (module index + 1) << MOD_SHIFT | id; ids below the
 * vmlinux type count always mean vmlinux. Modules are loaded from
 * /sys/kernel/btf on the first name not found in vmlinux.
 *
 * The listings are built the way bpftrace 0.17 builds them, with the same
 * libbpf btf_dump, so the text is the same byte for byte:
 *   kfunc: "kfunc:vmlinux:NAME", then "    " + btf_dump__emit_type_decl
 *          of each parameter + " " + its name, then "    TYPE retval"
 *          unless the function returns void.
 *   struct: every named struct, union and enum of vmlinux dumped with
 *          btf_dump__dump_type, cut into definitions (from a line ending in
 *          "{" to the next line that is exactly "};"), the definitions
 *          matching "NAME *{*}*" (bpftrace's wildcard match), sorted, each
 *          followed by an empty line.
 * Everything is bounded and lives in struct lb_btf or on the stack. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "runtime.h"
#include "btf.h"

#include "btf_impl.h"

/* Strings */

void lb_sb_putn(struct strbuf *s, const char *p, size_t n)
{
	if (s->failed)
		return;
	if (s->n + n + 1 > s->cap) {
		size_t c = s->cap ? s->cap : 256;
		char *np;

		while (c < s->n + n + 1)
			c *= 2;
		if (c > MAX_TEXT || !(np = realloc(s->p, c))) {
			s->failed = 1;
			return;
		}
		s->p = np;
		s->cap = c;
	}
	memcpy(s->p + s->n, p, n);
	s->n += n;
	s->p[s->n] = 0;
}

void lb_sb_puts(struct strbuf *s, const char *p)
{
	lb_sb_putn(s, p, strlen(p));
}

void lb_sb_vprintf(struct strbuf *s, const char *fmt, va_list ap)
{
	char small[512];
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(small, sizeof small, fmt, cp);
	va_end(cp);
	if (n < 0) {
		s->failed = 1;
		return;
	}
	if ((size_t)n < sizeof small) {
		lb_sb_putn(s, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);

	if (!big) {
		s->failed = 1;
		return;
	}
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	lb_sb_putn(s, big, (size_t)n);
	free(big);
}

void lb_sb_dump_printf(void *ctx, const char *fmt, va_list ap)
{
	lb_sb_vprintf(ctx, fmt, ap);
}

void lb_sb_free(struct strbuf *s)
{
	free(s->p);
	memset(s, 0, sizeof *s);
}

/* Loading */

static void load_mods(struct lb_btf *b)
{
	DIR *d;
	struct dirent *de;
	libbpf_print_fn_t host;

	if (b->mods_loaded)
		return;
	b->mods_loaded = 1;
	if (!(d = opendir("/sys/kernel/btf")))
		return;
	host = lb_libbpf_quiet();
	while ((de = readdir(d)) && b->nmods < MAX_MODS) {
		struct btf *m;

		if (de->d_name[0] == '.' || !strcmp(de->d_name, "vmlinux") ||
		    strlen(de->d_name) >= sizeof b->mods[0].name)
			continue;
		m = btf__load_module_btf(de->d_name, b->vm);
		if (!m || libbpf_get_error(m))
			continue;
		/* module ids must fit below MOD_SHIFT */
		if (btf__type_cnt(m) >= (1u << MOD_SHIFT)) {
			btf__free(m);
			continue;
		}
		memcpy(b->mods[b->nmods].name, de->d_name, strlen(de->d_name) + 1);
		b->mods[b->nmods].btf = m;
		b->mods[b->nmods].dump = NULL;
		b->nmods++;
	}
	libbpf_set_print(host);
	closedir(d);
}

static int t_type(void *ud, int id, struct lbc_type *out);
static int t_member(void *ud, int id, const char *name, __u32 *off, int *type);
static size_t t_members(void *ud, int id, char *buf, size_t len);

struct lb_btf *lb_btf_load(char *err, size_t errlen)
{
	struct lb_btf *b = calloc(1, sizeof *b);
	libbpf_print_fn_t host;

	if (!b) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	errno = 0;
	host = lb_libbpf_quiet();
	b->vm = btf__load_vmlinux_btf();
	libbpf_set_print(host);
	if (!b->vm || libbpf_get_error(b->vm)) {
		int e = b->vm ? (int)-libbpf_get_error(b->vm) : errno;

		snprintf(err, errlen, "cannot load kernel BTF (/sys/kernel/btf/vmlinux): %s",
			 strerror(e ? e : ENOENT));
		free(b);
		return NULL;
	}
	b->vm_cnt = btf__type_cnt(b->vm);
	b->types.ud = b;
	b->types.type = t_type;
	b->types.member = t_member;
	b->types.members = t_members;
	return b;
}

void lb_btf_free(struct lb_btf *b)
{
	if (!b)
		return;
	for (int i = 0; i < b->nmods; i++) {
		btf_dump__free(b->mods[i].dump);
		btf__free(b->mods[i].btf);
	}
	btf_dump__free(b->vm_dump);
	btf__free(b->vm);
	lb_sb_free(&b->name);
	free(b);
}

const struct lbc_types *lb_btf_types(struct lb_btf *b)
{
	return b ? &b->types : NULL;
}

/* Ids */

/* mod: 0 vmlinux, else module index + 1 */
static int enc_id(const struct lb_btf *b, int mod, __u32 id)
{
	if (!mod || id < b->vm_cnt)
		return (int)id;
	return (int)((__u32)mod << MOD_SHIFT | id);
}

/* The BTF an id lives in, its local id and module; NULL if unknown. */
static struct btf *dec_id(struct lb_btf *b, int id, __u32 *local, int *mod)
{
	__u32 u = (__u32)id, m = u >> MOD_SHIFT;

	if (id <= 0)
		return NULL;
	*local = u & ((1u << MOD_SHIFT) - 1);
	*mod = (int)m;
	if (!m)
		return *local < b->vm_cnt ? b->vm : NULL;
	if ((int)m > b->nmods || *local >= btf__type_cnt(b->mods[m - 1].btf))
		return NULL;
	return b->mods[m - 1].btf;
}

struct btf *lb_btf_mod(struct lb_btf *b, int mod)
{
	return mod ? b->mods[mod - 1].btf : b->vm;
}

/* Skip typedef, const, volatile, restrict and type tags. */
static __u32 skip_mods(const struct btf *btf, __u32 id, int typedefs)
{
	for (int i = 0; i < MAX_CHAIN && id; i++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (!t)
			return 0;
		switch (btf_kind(t)) {
		case BTF_KIND_TYPEDEF:
			if (!typedefs)
				return id;
			/* fall through */
		case BTF_KIND_CONST:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG: id = t->type; break;
		default: return id;
		}
	}
	return id;
}

/* Find a type by name and kind, in vmlinux or (mod >= 1) only among the
 * module's own types. Returns the local id or 0. */
static __u32 find_kind(struct lb_btf *b, int mod, const char *name, int kind)
{
	if (!mod) {
		__s32 id = btf__find_by_name_kind(b->vm, name, (__u32)kind);

		return id > 0 ? (__u32)id : 0;
	}
	const struct btf *m = b->mods[mod - 1].btf;
	__u32 n = btf__type_cnt(m);

	for (__u32 id = b->vm_cnt; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(m, id);
		const char *tn;

		if (!t || btf_kind(t) != kind)
			continue;
		tn = btf__name_by_offset(m, t->name_off);
		if (tn && !strcmp(tn, name))
			return id;
	}
	return 0;
}

/* "mod:name" or "name": vmlinux first, then the modules. */
__u32 lb_btf_find_named(struct lb_btf *b, const char *qname, int kind, int *mod)
{
	const char *colon = strchr(qname, ':');
	char modname[64];
	__u32 id;

	if (colon) {
		size_t ml = (size_t)(colon - qname);

		if (ml >= sizeof modname)
			return 0;
		memcpy(modname, qname, ml);
		modname[ml] = 0;
		qname = colon + 1;
		if (!strcmp(modname, "vmlinux")) {
			*mod = 0;
			return find_kind(b, 0, qname, kind);
		}
		load_mods(b);
		for (int i = 0; i < b->nmods; i++)
			if (!strcmp(b->mods[i].name, modname)) {
				*mod = i + 1;
				return find_kind(b, i + 1, qname, kind);
			}
		return 0;
	}
	if ((id = find_kind(b, 0, qname, kind))) {
		*mod = 0;
		return id;
	}
	load_mods(b);
	for (int i = 0; i < b->nmods; i++)
		if ((id = find_kind(b, i + 1, qname, kind))) {
			*mod = i + 1;
			return id;
		}
	return 0;
}

/* Types for the compiler */

static struct btf_dump *name_dump(struct lb_btf *b, int mod)
{
	struct btf_dump **d = mod ? &b->mods[mod - 1].dump : &b->vm_dump;

	if (!*d) {
		*d = btf_dump__new(lb_btf_mod(b, mod), lb_sb_dump_printf, &b->name, NULL);
		if (!*d || libbpf_get_error(*d))
			*d = NULL;
	}
	return *d;
}

/* "struct dentry *", "int", "size_t" (qualifiers left out) */
static void type_name(struct lb_btf *b, int mod, __u32 id, char *out, size_t len)
{
	struct btf_dump *d = name_dump(b, mod);
	LIBBPF_OPTS(btf_dump_emit_type_decl_opts, o, .field_name = "", .strip_mods = true);

	snprintf(out, len, "type %u", id);
	if (!d)
		return;
	b->name.n = 0;
	b->name.failed = 0;
	if (b->name.p)
		b->name.p[0] = 0;
	if (btf_dump__emit_type_decl(d, id, &o) || b->name.failed || !b->name.p)
		return;
	/* anonymous structs come out whole, over several lines: "{...}" */
	char *open = strchr(b->name.p, '{'), *close = strrchr(b->name.p, '}');

	if (open && close && close > open)
		snprintf(out, len, "%.*s{...}%s", (int)(open - b->name.p), b->name.p, close + 1);
	else
		snprintf(out, len, "%s", b->name.p);
}

/* A pointer target tagged __user (kernels built with BTF type tags). */
static int user_tagged(const struct btf *btf, __u32 id)
{
	for (int i = 0; i < MAX_CHAIN && id; i++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *n;

		if (!t)
			return 0;
		switch (btf_kind(t)) {
		case BTF_KIND_TYPE_TAG:
			n = btf__name_by_offset(btf, t->name_off);
			if (n && !strcmp(n, "user"))
				return 1;
			/* fall through */
		case BTF_KIND_CONST:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_RESTRICT: id = t->type; break;
		default: return 0;
		}
	}
	return 0;
}

static int is_char_int(const struct btf *btf, const struct btf_type *t)
{
	const char *n;

	if (!btf_is_int(t) || t->size != 1)
		return 0;
	n = btf__name_by_offset(btf, t->name_off);
	return n &&
	       (!strcmp(n, "char") || !strcmp(n, "unsigned char") || !strcmp(n, "signed char"));
}

static int t_type(void *ud, int id, struct lbc_type *out)
{
	struct lb_btf *b = ud;
	__u32 local, rid, stripped;
	int mod;
	struct btf *btf = dec_id(b, id, &local, &mod);
	const struct btf_type *t;

	memset(out, 0, sizeof *out);
	if (!btf)
		return -1;
	stripped = skip_mods(btf, local, 0);
	rid = skip_mods(btf, local, 1);
	if (!(t = btf__type_by_id(btf, rid)))
		return -1;
	type_name(b, mod, stripped ? stripped : local, out->name, sizeof out->name);
	if (!rid) {
		out->kind = LBC_T_OTHER;
		snprintf(out->name, sizeof out->name, "void");
		return 0;
	}
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		out->kind = LBC_T_INT;
		out->size = t->size;
		out->is_signed = !!(btf_int_encoding(t) & BTF_INT_SIGNED);
		out->is_char = is_char_int(btf, t);
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		out->kind = LBC_T_INT;
		out->size = t->size;
		out->is_signed = btf_kflag(t);
		break;
	case BTF_KIND_PTR:
		out->kind = LBC_T_PTR;
		out->size = 8;
		out->elem = enc_id(b, mod, t->type);
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		out->kind = LBC_T_STRUCT;
		out->size = t->size;
		break;
	case BTF_KIND_ARRAY: {
		const struct btf_array *a = btf_array(t);
		__s64 sz = btf__resolve_size(btf, rid);

		out->kind = LBC_T_ARRAY;
		out->elem = enc_id(b, mod, a->type);
		out->nelem = a->nelems;
		out->size = sz > 0 && sz <= UINT32_MAX ? (__u32)sz : 0;
		break;
	}
	default:
		out->kind = LBC_T_OTHER;
		out->size = 0;
		break;
	}
	return 0;
}

/* Member name of struct/union sid, searched through anonymous members.
 * 0 found, -1 none, -2 a bitfield. */
static int find_member(const struct btf *btf, __u32 sid, const char *name, __u32 base, int depth,
		       __u32 *off, __u32 *type)
{
	const struct btf_type *t = btf__type_by_id(btf, sid);
	const struct btf_member *m;
	int vlen;

	if (!t || !btf_is_composite(t) || depth > MAX_NEST)
		return -1;
	m = btf_members(t);
	vlen = btf_vlen(t);
	/* named members first, then anonymous ones (as C finds them: names
	 * are unique across a struct and its anonymous members) */
	for (int i = 0; i < vlen; i++) {
		const char *mn = btf__name_by_offset(btf, m[i].name_off);
		__u32 bit = btf_member_bit_offset(t, (__u32)i);
		const struct btf_type *mt;
		__u32 rid;

		if (!mn || !*mn || strcmp(mn, name))
			continue;
		if (btf_member_bitfield_size(t, (__u32)i) || bit % 8)
			return -2;
		rid = skip_mods(btf, m[i].type, 1);
		mt = btf__type_by_id(btf, rid);
		if (mt && btf_is_int(mt) &&
		    (btf_int_offset(mt) || btf_int_bits(mt) != mt->size * 8))
			return -2;
		*off = base + bit / 8;
		*type = m[i].type;
		return 0;
	}
	for (int i = 0; i < vlen; i++) {
		const char *mn = btf__name_by_offset(btf, m[i].name_off);
		__u32 bit = btf_member_bit_offset(t, (__u32)i), rid;
		int rc;

		if (mn && *mn)
			continue;
		rid = skip_mods(btf, m[i].type, 1);
		rc = find_member(btf, rid, name, base + bit / 8, depth + 1, off, type);
		if (rc != -1)
			return rc;
	}
	return -1;
}

static int t_member(void *ud, int id, const char *name, __u32 *off, int *type)
{
	struct lb_btf *b = ud;
	__u32 local, mtype = 0;
	int mod, rc;
	struct btf *btf = dec_id(b, id, &local, &mod);

	if (!btf)
		return -1;
	rc = find_member(btf, skip_mods(btf, local, 1), name, 0, 0, off, &mtype);
	if (rc == 0)
		*type = enc_id(b, mod, mtype);
	return rc;
}

int lb_btf_member_offset(struct lb_btf *b, const char *sname, const char *member, __u32 *off)
{
	__u32 sid = find_kind(b, 0, sname, BTF_KIND_STRUCT), type;

	return sid && find_member(b->vm, sid, member, 0, 0, off, &type) == 0 ? 0 : -1;
}

static size_t put_members(const struct btf *btf, __u32 sid, int depth, char *buf, size_t len,
			  size_t pos)
{
	const struct btf_type *t = btf__type_by_id(btf, sid);
	const struct btf_member *m;

	if (!t || !btf_is_composite(t) || depth > MAX_NEST)
		return pos;
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++) {
		const char *mn = btf__name_by_offset(btf, m[i].name_off);

		if (!mn || !*mn) {
			pos = put_members(btf, skip_mods(btf, m[i].type, 1), depth + 1, buf, len,
					  pos);
			continue;
		}
		if (pos + 1 < len) {
			int w = snprintf(buf + pos, len - pos, "%s%s", pos ? ", " : "", mn);

			if (w > 0)
				pos += (size_t)w < len - pos ? (size_t)w : len - pos - 1;
		}
	}
	return pos;
}

static size_t t_members(void *ud, int id, char *buf, size_t len)
{
	struct lb_btf *b = ud;
	__u32 local;
	int mod;
	struct btf *btf = dec_id(b, id, &local, &mod);

	if (!len)
		return 0;
	buf[0] = 0;
	if (!btf)
		return 0;
	return put_members(btf, skip_mods(btf, local, 1), 0, buf, len, 0);
}

/* Arguments */

int lb_btf_typedef_int(struct lb_btf *b, const char *name, int *size, int *is_signed)
{
	__u32 id = find_kind(b, 0, name, BTF_KIND_TYPEDEF);
	struct lbc_type t;

	if (!id || t_type(b, (int)id, &t) || t.kind != LBC_T_INT)
		return -1;
	*size = (int)t.size;
	*is_signed = t.is_signed;
	return 0;
}

static int fill_field(struct lb_btf *b, int mod, __u32 tid, const char *name, int slot,
		      struct lbc_field *f)
{
	struct lbc_type lt;

	memset(f, 0, sizeof *f);
	if (!(f->name = strdup(name)))
		return -1;
	f->off = (__u16)(8 * slot);
	f->size = 8;
	f->btf_type = enc_id(b, mod, tid);
	if (!tid || t_type(b, f->btf_type, &lt))
		return 0;
	if (lt.kind == LBC_T_INT) {
		if (lt.size == 1 || lt.size == 2 || lt.size == 4 || lt.size == 8)
			f->size = (__u16)lt.size;
		f->is_signed = (__u8)lt.is_signed;
	} else if (lt.kind == LBC_T_PTR) {
		struct lbc_type et;

		f->is_ptr = 1;
		__u32 local, rid;
		int m;
		const struct btf *btf = dec_id(b, f->btf_type, &local, &m);
		const struct btf_type *pt;

		if (!lt.elem || t_type(b, lt.elem, &et) || et.kind != LBC_T_INT || !et.is_char)
			return 0;
		f->is_string = LB_FSTR_KPTR;
		/* char __user *: user memory */
		rid = skip_mods(btf, local, 1);
		pt = btf__type_by_id(btf, rid);
		if (pt && btf_is_ptr(pt) && user_tagged(btf, pt->type))
			f->is_string = LB_FSTR_UPTR;
	}
	return 0;
}

static void free_fields(struct lbc_field *f, int n)
{
	for (int i = 0; i < n; i++)
		free((char *)f[i].name);
	free(f);
}

/* Fields from the params of proto (skipping the first `skip`), names from
 * names_proto when given (same count), else the proto's own, else argN. */
static int proto_fields(struct lb_btf *b, int mod, const struct btf_type *proto, int skip,
			const struct btf_type *names_proto, struct lbc_field **out, int *n,
			char *err, size_t errlen)
{
	const struct btf *btf = lb_btf_mod(b, mod);
	const struct btf_param *p = btf_params(proto);
	int vlen = btf_vlen(proto), k = 0;
	struct lbc_field *f;

	*out = NULL;
	*n = 0;
	if (vlen - skip > 255) {
		snprintf(err, errlen, "too many arguments (%d)", vlen - skip);
		return -1;
	}
	if (!(f = calloc((size_t)(vlen > skip ? vlen - skip : 1), sizeof *f))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int i = skip; i < vlen; i++) {
		const char *name = NULL;
		char gen[16];

		if (!p[i].type && i == vlen - 1)
			break; /* ... */
		if (names_proto)
			name = btf__name_by_offset(btf, btf_params(names_proto)[i].name_off);
		if (!name || !*name)
			name = btf__name_by_offset(btf, p[i].name_off);
		if (!name || !*name) {
			snprintf(gen, sizeof gen, "arg%d", k);
			name = gen;
		}
		if (fill_field(b, mod, p[i].type, name, k, &f[k])) {
			free_fields(f, k);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		k++;
	}
	*out = f;
	*n = k;
	return 0;
}

int lb_btf_func_args(struct lb_btf *b, const char *func, struct lbc_field **out, int *n,
		     int *ret_type, char *err, size_t errlen)
{
	int mod = 0;
	__u32 id = lb_btf_find_named(b, func, BTF_KIND_FUNC, &mod);
	const struct btf *btf = lb_btf_mod(b, mod);
	const struct btf_type *t;

	*out = NULL;
	*n = 0;
	if (ret_type)
		*ret_type = 0;
	if (!id) {
		snprintf(err, errlen,
			 "kernel function %s not found in BTF (luabpf -l 'kfunc:PATTERN' lists "
			 "them)",
			 func);
		return -1;
	}
	t = btf__type_by_id(btf, id);
	if (!t || !(t = btf__type_by_id(btf, t->type)) || !btf_is_func_proto(t)) {
		snprintf(err, errlen, "%s is not a function in BTF", func);
		return -1;
	}
	if (proto_fields(b, mod, t, 0, NULL, out, n, err, errlen))
		return -1;
	if (ret_type)
		*ret_type = t->type ? enc_id(b, mod, t->type) : 0;
	return 0;
}

int lb_btf_tp_args(struct lb_btf *b, const char *tp, struct lbc_field **out, int *n, char *err,
		   size_t errlen)
{
	const char *ev = strrchr(tp, ':');
	char name[256];
	const char *named[] = {"__bpf_trace_", "__probestub_", "__traceiter_"};
	const struct btf_type *t, *names = NULL;
	const struct btf *btf;
	int mod = 0;
	__u32 id;

	*out = NULL;
	*n = 0;
	ev = ev ? ev + 1 : tp;
	if (snprintf(name, sizeof name, "btf_trace_%s", ev) >= (int)sizeof name ||
	    !(id = lb_btf_find_named(b, name, BTF_KIND_TYPEDEF, &mod))) {
		snprintf(err, errlen, "raw tracepoint %s not found in BTF (no btf_trace_%s)", ev,
			 ev);
		return -1;
	}
	btf = lb_btf_mod(b, mod);
	t = btf__type_by_id(btf, skip_mods(btf, id, 1));
	if (t && btf_is_ptr(t))
		t = btf__type_by_id(btf, skip_mods(btf, t->type, 1));
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 1) {
		snprintf(err, errlen, "btf_trace_%s is not a tracepoint prototype", ev);
		return -1;
	}
	/* the typedef's parameters have no names: take them from the
	 * tracepoint's BPF stub, which has the same parameters */
	for (size_t i = 0; i < sizeof named / sizeof *named && !names; i++) {
		char fn[300];
		int fmod = mod;
		__u32 fid;
		const struct btf_type *ft;

		snprintf(fn, sizeof fn, "%s%s", named[i], ev);
		if (!(fid = find_kind(b, mod, fn, BTF_KIND_FUNC)) && mod)
			fid = find_kind(b, fmod = 0, fn, BTF_KIND_FUNC);
		if (!fid || fmod != mod)
			continue;
		ft = btf__type_by_id(btf, fid);
		if (!ft || !(ft = btf__type_by_id(btf, ft->type)) || !btf_is_func_proto(ft))
			continue;
		if (btf_vlen(ft) == btf_vlen(t))
			names = ft;
	}
	return proto_fields(b, mod, t, 1, names, out, n, err, errlen);
}

int lb_btf_funcs(struct lb_btf *b, const char *glob, char ***out, int *n)
{
	char **v = NULL;
	int cap = 0;

	*out = NULL;
	*n = 0;
	for (__u32 id = 1; id < b->vm_cnt; id++) {
		const struct btf_type *t = btf__type_by_id(b->vm, id);
		const char *name;

		if (!t || !btf_is_func(t))
			continue;
		name = btf__name_by_offset(b->vm, t->name_off);
		if (!name || !*name || fnmatch(glob, name, 0))
			continue;
		if (lb_strings_push(&v, n, &cap, name)) {
			lb_free_strings(v, *n);
			*n = 0;
			return -1;
		}
	}
	lb_strings_sort_uniq(v, n);
	*out = v;
	return 0;
}
