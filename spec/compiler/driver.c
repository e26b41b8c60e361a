/* Standalone driver for the handler compiler (development and fuzzing).
 *
 *   lbc_driver FILE FIRST LAST [options] [UPVALUE...]
 *
 * UPVALUE is NAME=SPEC (an upvalue, in Lua's order), @NAME=SPEC (a
 * global) or _ENV. SPEC: module | map:I | int:N | str:TEXT | bool:0/1 |
 * nil | builtin:NAME | other:TYPE.
 * Options: --field NAME:OFF:SIZE[:s][:str|:uptr|:kptr|:array|:dataloc][:btf=TYPE]
 *          --reg NAME:OFF:SIZE[:s][:usdt][:btf=TYPE]  (e.arg0.., e.retval)
 *          --kind tracepoint|typed|regs|usdt|profile
 *          --probe NAME  --probe-id N  --sysmode N  --nparams N
 *          --chunk NAME  --maps N  --max-strlen N
 * TYPE names one of a few fake kernel types (see ktypes below): int,
 * long, u32, char*, dentry*, task*, mm*, void*, or a number.
 * (str is uptr: a char * into user memory, as in syscalls:*)
 * Also prints the printf formats (type@offset:size per argument) and
 * whether the plan uses stacks or records.
 *   lbc_driver --plan PATTERN
 *
 * plans a tracepoint probe (runtime/tpplan.c) on this machine's tracefs:
 * one line per program, "TARGET sysmode=N members=N fields=N[ nrs=A,B..]".
 * Build: cc -Iluabpf -Ibpf -Ibuild/gen spec/compiler/driver.c luabpf/compiler/[a-z]*.c
 *        luabpf/runtime/{format,tpplan,tracefs,syscalls,strlist}.c -o lbc_driver
 * Prints the dump and the map layouts, or the error (exit 1) and the
 * missing e.args field if the error is about one. Compiles
 * twice and complains if the plans differ.
 * --run OFF=VAL[,OFF=VAL...] (repeatable): then runs the plan in the
 * reference interpreter (lbc_refrun) on an event whose record has these
 * 8-byte values at these offsets (--comm NAME, --pid N: its e.comm and
 * e.pid), one run per --run, maps kept between them; prints
 * "run I: end|divzero|error ..." per run and each map's entries in key
 * order, "ref map M [KEY] = VALUE" (numbers when 8 bytes, else hex).
 * --poke PC:FIELD=VALUE (repeatable; FIELD code, dst, a, b, off, len or
 * imm): changes the compiled plan before it runs, so the interpreter's
 * lbc_validate meets a plan the compiler would not make. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compiler/compiler.h"
#include "runtime/tpplan.h"

struct sym {
	char name[LB_NAME_MAX];
	int global;
	struct lbc_value v;
};

struct env {
	struct sym syms[64];
	int n;
};

/* A few kernel types, as BTF would give them (offsets as in x86-64 6.x
 * kernels where it matters little): dentry, qstr, task_struct, mm_struct. */
struct kmember {
	const char *name;
	__u32 off;
	int type;
	int bitfield;
};
struct ktype {
	struct lbc_type t;
	const char *alias;
	struct kmember m[8];
};
enum {
	K_INT = 1,
	K_U32,
	K_CHAR,
	K_UCHAR,
	K_DENTRY,
	K_DENTRYP,
	K_QSTR,
	K_UCHARP,
	K_CHAR32,
	K_TASK,
	K_TASKP,
	K_CHAR16,
	K_MM,
	K_MMP,
	K_LONG,
	K_VOIDP,
	K_VOID,
	K_CHARP,
	K_LONG4,
	K_FUNCP,
	K_NTYPES
};
static const struct ktype ktypes[K_NTYPES] = {
    [K_INT] = {{LBC_T_INT, 4, 1, 0, 0, 0, "int"}, "int"},
    [K_U32] = {{LBC_T_INT, 4, 0, 0, 0, 0, "u32"}, "u32"},
    [K_CHAR] = {{LBC_T_INT, 1, 1, 1, 0, 0, "char"}, "char"},
    [K_UCHAR] = {{LBC_T_INT, 1, 0, 1, 0, 0, "unsigned char"}, "uchar"},
    [K_DENTRY] = {{LBC_T_STRUCT, 192, 0, 0, 0, 0, "struct dentry"},
		  "dentry",
		  {{"d_flags", 0, K_U32},
		   {"d_parent", 24, K_DENTRYP},
		   {"d_name", 32, K_QSTR},
		   {"d_inode", 48, K_VOIDP},
		   {"d_iname", 56, K_CHAR32}}},
    [K_DENTRYP] = {{LBC_T_PTR, 8, 0, 0, K_DENTRY, 0, "struct dentry *"}, "dentry*"},
    [K_QSTR] = {{LBC_T_STRUCT, 16, 0, 0, 0, 0, "struct qstr"},
		"qstr",
		{{"hash", 0, K_U32}, {"len", 4, K_U32}, {"name", 8, K_UCHARP}}},
    [K_UCHARP] = {{LBC_T_PTR, 8, 0, 0, K_UCHAR, 0, "const unsigned char *"}, "uchar*"},
    [K_CHAR32] = {{LBC_T_ARRAY, 32, 0, 0, K_CHAR, 32, "char[32]"}, "char[32]"},
    [K_TASK] = {{LBC_T_STRUCT, 9792, 0, 0, 0, 0, "struct task_struct"},
		"task",
		{{"in_execve", 2392, K_U32, 1},
		 {"mm", 2400, K_MMP},
		 {"pid", 2456, K_INT},
		 {"comm", 3016, K_CHAR16},
		 {"sample", 3032, K_LONG4},
		 {"fn", 3064, K_FUNCP}}},
    [K_TASKP] = {{LBC_T_PTR, 8, 0, 0, K_TASK, 0, "struct task_struct *"}, "task*"},
    [K_CHAR16] = {{LBC_T_ARRAY, 16, 0, 0, K_CHAR, 16, "char[16]"}, "char[16]"},
    [K_MM] = {{LBC_T_STRUCT, 1216, 0, 0, 0, 0, "struct mm_struct"},
	      "mm",
	      {{"owner", 936, K_TASKP}}},
    [K_MMP] = {{LBC_T_PTR, 8, 0, 0, K_MM, 0, "struct mm_struct *"}, "mm*"},
    [K_LONG] = {{LBC_T_INT, 8, 1, 0, 0, 0, "long"}, "long"},
    [K_VOIDP] = {{LBC_T_PTR, 8, 0, 0, K_VOID, 0, "void *"}, "void*"},
    [K_VOID] = {{LBC_T_OTHER, 0, 0, 0, 0, 0, "void"}, "void"},
    [K_CHARP] = {{LBC_T_PTR, 8, 0, 0, K_CHAR, 0, "const char *"}, "char*"},
    [K_LONG4] = {{LBC_T_ARRAY, 32, 0, 0, K_LONG, 4, "long[4]"}, "long[4]"},
    [K_FUNCP] = {{LBC_T_OTHER, 8, 0, 0, 0, 0, "void (*)(void)"}, "func"},
};

static int ktype_of(const char *s)
{
	for (int i = 1; i < K_NTYPES; i++)
		if (!strcmp(ktypes[i].alias, s))
			return i;
	return atoi(s);
}

static int kt_type(void *ud, int id, struct lbc_type *out)
{
	(void)ud;
	if (id <= 0 || id >= K_NTYPES)
		return -1;
	*out = ktypes[id].t;
	return 0;
}

static int kt_member(void *ud, int id, const char *name, __u32 *off, int *type)
{
	(void)ud;
	if (id <= 0 || id >= K_NTYPES)
		return -1;
	for (const struct kmember *m = ktypes[id].m; m < ktypes[id].m + 8 && m->name; m++)
		if (!strcmp(m->name, name)) {
			if (m->bitfield)
				return -2;
			*off = m->off;
			*type = m->type;
			return 0;
		}
	return -1;
}

static size_t kt_members(void *ud, int id, char *buf, size_t len)
{
	size_t o = 0;
	(void)ud;
	if (len)
		buf[0] = 0;
	if (id <= 0 || id >= K_NTYPES)
		return 0;
	for (const struct kmember *m = ktypes[id].m; m < ktypes[id].m + 8 && m->name; m++)
		if (o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", m->name);
	return o;
}

static const struct lbc_types ktypes_cb = {NULL, kt_type, kt_member, kt_members};

/* NAME:OFF:SIZE[:flags] */
static void field_parse(struct lbc_field *fl, char *s)
{
	char *p;
	fl->name = strtok(s, ":");
	fl->off = (__u16)atoi((p = strtok(NULL, ":")) ? p : "0");
	fl->size = (__u16)atoi((p = strtok(NULL, ":")) ? p : "8");
	while ((p = strtok(NULL, ":"))) {
		if (!strcmp(p, "s"))
			fl->is_signed = 1;
		if (!strcmp(p, "str") || !strcmp(p, "uptr"))
			fl->is_string = LB_FSTR_UPTR;
		if (!strcmp(p, "kptr"))
			fl->is_string = LB_FSTR_KPTR;
		if (!strcmp(p, "array"))
			fl->is_string = LB_FSTR_ARRAY;
		if (!strcmp(p, "dataloc"))
			fl->is_string = LB_FSTR_DATALOC;
		if (!strcmp(p, "usdt"))
			fl->usdt = 1;
		if (!strncmp(p, "btf=", 4))
			fl->btf_type = ktype_of(p + 4);
	}
}

static void spec(struct lbc_value *v, char *s)
{
	memset(v, 0, sizeof *v);
	if (!strcmp(s, "module"))
		v->kind = LBC_V_MODULE;
	else if (!strncmp(s, "map:", 4))
		v->kind = LBC_V_MAP, v->map = atoi(s + 4);
	else if (!strncmp(s, "int:", 4))
		v->kind = LBC_V_INT, v->i = strtoll(s + 4, NULL, 0);
	else if (!strncmp(s, "str:", 4))
		v->kind = LBC_V_STR, v->s = s + 4, v->len = strlen(s + 4);
	else if (!strncmp(s, "bool:", 5))
		v->kind = LBC_V_BOOL, v->i = atoi(s + 5);
	else if (!strncmp(s, "builtin:", 8))
		v->kind = LBC_V_BUILTIN, v->s = s + 8;
	else if (!strncmp(s, "other:", 6))
		v->kind = LBC_V_OTHER, v->type_name = s + 6;
	else if (!strcmp(s, "nil"))
		v->kind = LBC_V_NIL;
	else {
		fprintf(stderr, "bad spec %s\n", s);
		exit(2);
	}
}

struct runspec {
	unsigned char rec[512];
	size_t len;
};

static void run_parse(struct runspec *r, char *s)
{
	for (char *t = strtok(s, ","); t; t = strtok(NULL, ",")) {
		unsigned long off = strtoul(t, &t, 0);
		long long v;
		if (*t != '=' || off + 8 > sizeof r->rec) {
			fprintf(stderr, "bad --run %s\n", t);
			exit(2);
		}
		v = strtoll(t + 1, NULL, 0);
		memcpy(r->rec + off, &v, 8);
		if (off + 8 > r->len)
			r->len = off + 8;
	}
}

static void hex(const unsigned char *p, unsigned n)
{
	printf("0x");
	for (unsigned i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static int keycmp(const void *a, const void *b, void *n)
{
	return memcmp(a, b, *(unsigned *)n);
}

/* every entry of every slot's map, in key order (keys compared as
 * numbers when they are one) */
static void refmaps_print(struct lbc_refvm *vm)
{
	for (int i = 0; i < vm->out->nslots; i++) {
		struct lbc_refmap *m = &vm->slots[i];
		unsigned w = m->key_size + m->value_size, ks = m->key_size;
		for (int a = 1; a < m->n; a++) /* insertion sort: few entries */
			for (int b = a; b > 0; b--) {
				unsigned char *x = m->ents + (b - 1) * w, *y = m->ents + b * w,
					      t[4096];
				long long kx, ky;
				int gt;
				if (ks == 8) {
					memcpy(&kx, x, 8);
					memcpy(&ky, y, 8);
					gt = kx > ky;
				} else {
					gt = keycmp(x, y, &ks) > 0;
				}
				if (!gt || w > sizeof t)
					break;
				memcpy(t, x, w);
				memcpy(x, y, w);
				memcpy(y, t, w);
			}
		for (int e = 0; e < m->n; e++) {
			const unsigned char *k = m->ents + e * w, *v = k + ks;
			long long n;
			printf("ref map %d [", vm->out->slot_map[i]);
			if (ks == 8) {
				memcpy(&n, k, 8);
				printf("%lld", n);
			} else {
				hex(k, ks);
			}
			printf("] = ");
			if (m->value_size == 8) {
				memcpy(&n, v, 8);
				printf("%lld", n);
			} else {
				hex(v, m->value_size);
			}
			printf("\n");
		}
	}
}

static void maps_print(const struct lb_mapdesc *m, int n)
{
	static const char *kt[] = {"?", "int", "str", "probe", "kstack", "ustack"};
	for (int i = 0; i < n; i++) {
		if (!m[i].nkeys)
			continue;
		printf("map %d @%s keys=", i, m[i].name);
		for (int k = 0; k < m[i].nkeys && k < LB_MAX_KEYS; k++)
			printf("%s%s:%u", k ? "," : "",
			       kt[m[i].keytype[k] <= 5 ? m[i].keytype[k] : 0], m[i].keysize[k]);
		printf(" key_size=%u value_size=%u valkind=%u percpu=%u", m[i].key_size,
		       m[i].value_size, m[i].valkind, m[i].percpu);
		if (m[i].valkind == LB_VAL_LHIST)
			printf(" lhist=%lld,%lld,%lld", (long long)m[i].lhist_min,
			       (long long)m[i].lhist_max, (long long)m[i].lhist_step);
		printf("\n");
	}
}

static void fmts_print(const struct lbc_output *o)
{
	static const char *at[] = {"?", "int", "str", "probe", "kstack", "ustack", "ksym", "usym"};
	for (int i = 0; i < o->nfmts; i++) {
		const struct lb_fmt *f = &o->fmts[i];
		printf("fmt %d \"", i);
		for (const char *c = f->fmt; *c; c++)
			if (*c == '\n')
				printf("\\n");
			else if (*c == '"' || *c == '\\')
				printf("\\%c", *c);
			else
				putchar(*c);
		printf("\" len=%u", f->len);
		for (int k = 0; k < f->nargs && k < LB_MAX_ARGS; k++)
			printf(" %s@%u:%u", at[f->type[k] <= 7 ? f->type[k] : 0], f->off[k],
			       f->size[k]);
		printf("\n");
	}
	if (o->uses_stacks || o->uses_records)
		printf("uses%s%s\n", o->uses_stacks ? " stacks" : "",
		       o->uses_records ? " records" : "");
}

/* --plan PATTERN: what a tracepoint probe on PATTERN would attach. */
static int plan_main(const char *pattern)
{
	struct lb_tpplan pl;
	char err[4096];

	if (lb_tpplan(pattern, &pl, err, sizeof err)) {
		printf("error: %s\n", err);
		return 1;
	}
	printf("targets=%d programs=%d\n", pl.ntargets, pl.ngroups);
	for (int i = 0; i < pl.ngroups; i++) {
		const struct lb_tpgroup *g = &pl.groups[i];
		const char *sep = " nrs=";

		printf("%s sysmode=%d members=%d fields=%d", g->target, g->sysmode, g->nmembers,
		       g->nfields);
		for (int nr = 0; g->sysmode && nr < LB_SYSMASK * 64; nr++)
			if (g->sysmask[nr / 64] >> (nr % 64) & 1) {
				printf("%s%d", sep, nr);
				sep = ",";
			}
		printf("\n");
	}
	lb_tpplan_free(&pl);
	return 0;
}

int main(int argc, char **argv)
{
	static struct env env;
	static struct lbc_field fields[64], regs[64];
	static struct lb_mapdesc maps[LB_MAX_MAPS * 2], maps0[LB_MAX_MAPS * 2];
	static struct lbc_output out, out2;
	static char err[4096], dump[65536], chunk[4200];
	const char *upv[64];
	static struct runspec runs[64];
	static struct lbc_refvm vm;
	struct lbc_event ev = {.ctxv = {0}};
	int nup = 0, nf = 0, nr = 0, nmaps = LB_MAX_MAPS, nruns = 0, npokes = 0;
	char *pokes[16];
	struct lbc_probe probe = {.name = "tracepoint:test:probe", .types = &ktypes_cb};
	struct lbc_input in = {0};

	if (argc == 3 && !strcmp(argv[1], "--plan"))
		return plan_main(argv[2]);
	if (argc < 4) {
		fprintf(stderr, "usage: %s FILE FIRST LAST [options] [UPVALUE...]\n", argv[0]);
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	size_t cap = 1 << 16, len = 0;
	char *src = malloc(cap);
	for (size_t r; (r = fread(src + len, 1, cap - len, f)) > 0;) {
		len += r;
		if (len == cap)
			src = realloc(src, cap *= 2);
	}
	fclose(f);
	snprintf(chunk, sizeof chunk, "@%s", argv[1]);
	in.source = src;
	in.source_len = len;
	in.chunkname = chunk;
	in.linedefined = atoi(argv[2]);
	in.lastlinedefined = atoi(argv[3]);
	in.nparams = 1;
	for (int i = 4; i < argc; i++) {
		char *a = argv[i];
		if (!strcmp(a, "--field") && i + 1 < argc && nf < 64) {
			field_parse(&fields[nf++], argv[++i]);
			probe.fields = fields;
			probe.nfields = nf;
		} else if (!strcmp(a, "--reg") && i + 1 < argc && nr < 64) {
			field_parse(&regs[nr++], argv[++i]);
			probe.regs = regs;
			probe.nregs = nr;
		} else if (!strcmp(a, "--kind") && i + 1 < argc) {
			static const char *kinds[] = {"tracepoint", "typed", "regs", "usdt",
						      "profile"};
			char *k = argv[++i];
			probe.kind = atoi(k);
			for (int j = 0; j < 5; j++)
				if (!strcmp(k, kinds[j]))
					probe.kind = j;
		} else if (!strcmp(a, "--probe") && i + 1 < argc) {
			probe.name = argv[++i];
		} else if (!strcmp(a, "--probe-id") && i + 1 < argc) {
			probe.probe_id = (__u32)atoi(argv[++i]);
		} else if (!strcmp(a, "--sysmode") && i + 1 < argc) {
			probe.sysmode = (__u32)atoi(argv[++i]);
		} else if (!strcmp(a, "--nparams") && i + 1 < argc) {
			in.nparams = atoi(argv[++i]);
		} else if (!strcmp(a, "--chunk") && i + 1 < argc) {
			in.chunkname = argv[++i];
		} else if (!strcmp(a, "--max-strlen") && i + 1 < argc) {
			in.max_strlen = atoi(argv[++i]);
		} else if (!strcmp(a, "--maps") && i + 1 < argc) {
			nmaps = atoi(argv[++i]);
		} else if (!strcmp(a, "--run") && i + 1 < argc && nruns < 64) {
			run_parse(&runs[nruns++], argv[++i]);
		} else if (!strcmp(a, "--poke") && i + 1 < argc && npokes < 16) {
			pokes[npokes++] = argv[++i];
		} else if (!strcmp(a, "--comm") && i + 1 < argc) {
			strncpy(ev.comm, argv[++i], sizeof ev.comm - 1);
		} else if (!strcmp(a, "--pid") && i + 1 < argc) {
			ev.ctxv[LB_CTX_PID] = ev.ctxv[LB_CTX_TID] = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(a, "--nofields")) {
			probe.fields = NULL;
		} else if (!strcmp(a, "_ENV")) {
			upv[nup++] = "_ENV";
		} else {
			char *eq = strchr(a, '=');
			if (!eq || env.n == 64) {
				fprintf(stderr, "bad argument %s\n", a);
				return 2;
			}
			*eq = 0;
			struct sym *s = &env.syms[env.n++];
			s->global = a[0] == '@';
			snprintf(s->name, sizeof s->name, "%s", a + s->global);
			spec(&s->v, eq + 1);
			if (!s->global)
				upv[nup++] = s->name;
		}
	}
	in.upvalues = upv;
	in.nupvalues = nup;
	static struct lbc_name names[64];
	for (int i = 0; i < env.n; i++)
		names[i] = (struct lbc_name){env.syms[i].name, env.syms[i].global, env.syms[i].v};
	in.names = names;
	in.nnames = env.n;
	in.probe = &probe;
	in.maps = maps;
	in.proposed = maps;
	in.nmaps = nmaps;
	memcpy(maps0, maps, sizeof maps);
	if (lbc_compile(&in, &out, err, sizeof err)) {
		printf("%s\n", err);
		if (out.missing_field[0])
			printf("missing field: %s\n", out.missing_field);
		if (memcmp(maps0, maps, sizeof maps))
			printf("BUG: maps changed on error\n");
		free(src);
		return 1;
	}
	lbc_dump(&out.plan, dump, sizeof dump);
	fputs(dump, stdout);
	printf("slots:");
	for (int i = 0; i < out.nslots; i++)
		printf(" %d->%d", i, out.slot_map[i]);
	printf("\n");
	maps_print(maps, nmaps);
	fmts_print(&out);
	/* again, with the layouts now fixed and only the handler's lines
	 * lexed (lbc_scan, as the binding does): must give the same plan */
	size_t scansize;
	struct lbc_scan *scan = lbc_scan(src, len, &scansize);
	in.scan = scan;
	if (lbc_compile(&in, &out2, err, sizeof err) ||
	    memcmp(&out.plan, &out2.plan, sizeof out.plan))
		printf("BUG: second compile differs: %s\n", err);
	in.scan = NULL;
	free(scan);
	for (int i = 0; i < npokes; i++) {
		char field[8];
		unsigned pc;
		long long v;
		if (sscanf(pokes[i], "%u:%7[a-z]=%lli", &pc, field, &v) != 3 || pc >= LB_MAX_OPS) {
			fprintf(stderr, "bad --poke %s\n", pokes[i]);
			return 2;
		}
		struct lb_op *o = &out.plan.ops[pc];
		if (!strcmp(field, "code"))
			o->code = (__u8)v;
		else if (!strcmp(field, "dst"))
			o->dst = (__u8)v;
		else if (!strcmp(field, "a"))
			o->a = (__u8)v;
		else if (!strcmp(field, "b"))
			o->b = (__u8)v;
		else if (!strcmp(field, "off"))
			o->off = (__u16)v;
		else if (!strcmp(field, "len"))
			o->len = (__u16)v;
		else
			o->imm = v;
	}
	if (nruns) {
		lbc_refinit(&vm, &out, maps, nmaps);
		for (int i = 0; i < nruns; i++) {
			ev.ctx = runs[i].rec;
			ev.ctx_len = runs[i].len;
			int rc = lbc_refrun(&vm, &out.plan, &ev, err, sizeof err);
			printf("run %d: %s%s\n", i,
			       rc == LBC_RUN_END       ? "end"
			       : rc == LBC_RUN_DIVZERO ? "divzero"
						       : "error ",
			       rc < 0 ? err : "");
		}
		refmaps_print(&vm);
		lbc_reffree(&vm);
	}
	free(src);
	return 0;
}
