/* Listings of kernel types, byte for byte as bpftrace 0.17 prints them
 * (see btf.c's header for how): `luabpf -lv 'kfunc:...'`, 'struct ...'. */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "strlist.h"
#include "btf_impl.h"

/* Listings */

int lb_btf_describe_func(struct lb_btf *b, const char *func, char **text, char *err, size_t errlen)
{
	int mod = 0;
	__u32 id = lb_btf_find_named(b, func, BTF_KIND_FUNC, &mod);
	const struct btf *btf = lb_btf_mod(b, mod);
	const struct btf_type *t, *proto;
	const struct btf_param *p;
	struct strbuf out = {0}, decl = {0};
	struct btf_dump *d;
	LIBBPF_OPTS(btf_dump_emit_type_decl_opts, o, .field_name = "");
	int rc = -1;

	*text = NULL;
	if (!id) {
		snprintf(err, errlen, "kernel function %s not found in BTF", func);
		return -1;
	}
	t = btf__type_by_id(btf, id);
	proto = t ? btf__type_by_id(btf, t->type) : NULL;
	if (!proto || !btf_is_func_proto(proto)) {
		snprintf(err, errlen, "%s is not a function in BTF", func);
		return -1;
	}
	d = btf_dump__new(btf, lb_sb_dump_printf, &decl, NULL);
	if (!d || libbpf_get_error(d)) {
		snprintf(err, errlen, "cannot dump BTF types");
		return -1;
	}
	lb_sb_puts(&out, "kfunc:");
	lb_sb_puts(&out, mod ? b->mods[mod - 1].name : "vmlinux");
	lb_sb_puts(&out, ":");
	lb_sb_puts(&out, btf__name_by_offset(btf, t->name_off));
	lb_sb_puts(&out, "\n");
	p = btf_params(proto);
	for (int i = 0; i <= btf_vlen(proto); i++) {
		__u32 tid = i < btf_vlen(proto) ? p[i].type : proto->type;
		const char *an =
		    i < btf_vlen(proto) ? btf__name_by_offset(btf, p[i].name_off) : "retval";

		if (i == btf_vlen(proto) && !tid)
			break; /* void: no retval line */
		decl.n = 0;
		lb_sb_puts(&decl, "");
		if (btf_dump__emit_type_decl(d, tid, &o)) {
			snprintf(err, errlen, "cannot write the type of %s", an ? an : "?");
			goto out;
		}
		lb_sb_puts(&out, "    ");
		lb_sb_puts(&out, decl.p ? decl.p : "");
		lb_sb_puts(&out, " ");
		lb_sb_puts(&out, an ? an : "");
		lb_sb_puts(&out, "\n");
	}
	if (out.failed || decl.failed) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	*text = out.p;
	out.p = NULL;
	rc = 0;
out:
	btf_dump__free(d);
	lb_sb_free(&decl);
	lb_sb_free(&out);
	return rc;
}

/* bpftrace's wildcard match: '*' only, tokens found left to right, the
 * first anchored at the start unless the pattern starts with '*', the
 * end anchored unless it ends with '*'. */
static int wildcard_match(const char *str, const char *pat)
{
	size_t plen = strlen(pat), slen = strlen(str), next = 0;
	int start_wild, end_wild, first = 1;
	const char *p = pat;

	if (!plen)
		return 0;
	start_wild = pat[0] == '*';
	end_wild = pat[plen - 1] == '*';
	while (*p) {
		const char *star = strchr(p, '*');
		size_t tl = star ? (size_t)(star - p) : strlen(p);

		if (tl) {
			char tok[512];
			const char *f;

			if (tl >= sizeof tok)
				return 0;
			memcpy(tok, p, tl);
			tok[tl] = 0;
			f = strstr(str + next, tok);
			if (!f || (first && !start_wild && f != str + next))
				return 0;
			first = 0;
			next = (size_t)(f - str) + tl;
		}
		p += tl;
		if (*p == '*')
			p++;
	}
	return end_wild || next == slen;
}

struct structs {
	const char *pattern;
	struct strbuf line, def;
	int in_def;
	char **v;
	int n, cap, failed;
};

static void structs_line(struct structs *s, const char *line, size_t len)
{
	if (s->in_def) {
		lb_sb_putn(&s->def, line, len);
		lb_sb_putn(&s->def, "\n", 1);
		if (len == 2 && !memcmp(line, "};", 2)) {
			if (s->def.failed)
				s->failed = 1;
			else if (wildcard_match(s->def.p, s->pattern) &&
				 lb_strings_push(&s->v, &s->n, &s->cap, s->def.p))
				s->failed = 1;
			s->def.n = 0;
			s->in_def = 0;
		}
	} else if (len && line[len - 1] == '{') {
		s->def.n = 0;
		lb_sb_putn(&s->def, line, len);
		lb_sb_putn(&s->def, "\n", 1);
		s->in_def = 1;
	}
}

static void structs_printf(void *ctx, const char *fmt, va_list ap)
{
	struct structs *s = ctx;
	size_t start = 0;

	lb_sb_vprintf(&s->line, fmt, ap);
	if (s->line.failed) {
		s->failed = 1;
		return;
	}
	for (size_t i = 0; i < s->line.n; i++)
		if (s->line.p[i] == '\n') {
			structs_line(s, s->line.p + start, i - start);
			start = i + 1;
		}
	if (start) {
		memmove(s->line.p, s->line.p + start, s->line.n - start);
		s->line.n -= start;
		s->line.p[s->line.n] = 0;
	}
}

int lb_btf_describe_struct(struct lb_btf *b, const char *name, char **text, char *err,
			   size_t errlen)
{
	struct structs s = {0};
	struct strbuf out = {0};
	struct btf_dump *d;
	char pattern[512];
	int rc = -1;

	*text = NULL;
	if (snprintf(pattern, sizeof pattern, "%s *{*}*", name) >= (int)sizeof pattern) {
		snprintf(err, errlen, "name too long");
		return -1;
	}
	s.pattern = pattern;
	d = btf_dump__new(b->vm, structs_printf, &s, NULL);
	if (!d || libbpf_get_error(d)) {
		snprintf(err, errlen, "cannot dump BTF types");
		return -1;
	}
	for (__u32 id = 1; id < b->vm_cnt && !s.failed; id++) {
		const struct btf_type *t = btf__type_by_id(b->vm, id);
		const char *tn;

		if (!t || !(btf_is_struct(t) || btf_is_union(t) || btf_kind(t) == BTF_KIND_ENUM))
			continue;
		tn = btf__name_by_offset(b->vm, t->name_off);
		if (!tn || !*tn)
			continue;
		if (btf_dump__dump_type(d, id)) {
			snprintf(err, errlen, "cannot dump BTF type %u", id);
			goto out;
		}
	}
	if (s.failed) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	lb_strings_sort_uniq(s.v, &s.n);
	lb_sb_puts(&out, "");
	for (int i = 0; i < s.n; i++) {
		lb_sb_puts(&out, s.v[i]);
		lb_sb_puts(&out, "\n");
	}
	if (out.failed) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	*text = out.p;
	out.p = NULL;
	rc = 0;
out:
	btf_dump__free(d);
	lb_free_strings(s.v, s.n);
	lb_sb_free(&s.line);
	lb_sb_free(&s.def);
	lb_sb_free(&out);
	return rc;
}
