/* libFuzzer target for the handler compiler (luabpf/compiler).
 *
 *   make fuzz [FUZZ_SECONDS=300]     build/fuzz/fuzz_compile on spec/fuzz/corpus
 *   make fuzz-smoke                  the same for 15 s, then fuzz_lex for 10 s (make test)
 *   build/fuzz/fuzz_compile CRASHFILE    replay one input
 *
 * Input: a 6-byte header, then the chunk source (all remaining bytes).
 *
 *   byte 0  bits 0-1  nparams (0..3)
 *           bit  2    the probe has fields (else probe.fields = NULL:
 *                     "args not known")
 *           bit  3    maps preset: map 0 fixed as int key -> sum, map 1 as
 *                     16-byte string key -> int, map 2 as int key -> string
 *           bits 4-5  chunkname: 0 "@fuzz.lua", 1 "=stdin", 2 a source
 *                     string (not '@' or '='), 3 NULL
 *           bits 6-7  probe sysmode (0, 1, 2; 3 is 0)
 *   byte 1  upvalues present, bit i = UPV[i]: bpf m n k s count t _ENV
 *   byte 2  more upvalues, bit i = UPV[8 + i]: big neg f z hist bad o ts
 *   byte 3  bits 0-3  max_strlen: MAXSTR[] (0 is the default, 64)
 *           bits 4-6  nmaps: NMAPS[]
 *           bit  7    upvalue order: 0 by first use in the text after the
 *                     function's line (as Lua orders them), 1 table order
 *   byte 4  linedefined: 0 = auto (the first line with "function"), else
 *           1 + (b - 1) % nlines
 *   byte 5  lastlinedefined: 0 = auto (the function's own line if "end"
 *           follows "function" there, else the first later line starting
 *           with "end" indented no deeper), else linedefined +
 *           (b - 1) % (nlines - linedefined + 1)
 *
 * Seeds in spec/fuzz/corpus are made with spec/fuzz/mkcorpus.sh (header
 * bytes in octal escapes, then the Lua text).
 *
 * Globals (through _ENV, when _ENV is an upvalue): bpf (module), print
 * (function), string (table), pi (float), G (map 2), LIMIT (10), NAME
 * ("bash"), DEBUG (false); any other name is nil.
 *
 * Each input is compiled three times: A (fresh copy of the maps, 4 KiB
 * error buffer), B (fresh copy, error buffer of 1..4096 bytes taken from
 * the source length, or none), and on success C (with the maps A left).
 * abort() when:
 *   - an error leaves the maps changed, or a success changes the maps of
 *     C (they were fixed by A);
 *   - A and B differ (rc, whole output, maps; B's error text is A's cut
 *     to B's buffer), or C's plan differs from A's;
 *   - the error text is not NUL terminated, is empty, or does not start
 *     with "CHUNKID:LINE:" (then usually "COL: "); on success it is "";
 *   - the plan breaks what the BPF interpreter (bpf/interp.h) relies on
 *     (lbc_compile refuses such a plan with "internal: the compiled plan
 *     is invalid", and an op placed in a scratch area the op table does
 *     not allow with "internal: ... from there": both checked here too)
 *     (the library's lbc_validate: every op field as the op table in
 *     bpf/plan.h says, registers set before read, scratch, ctx and pool
 *     ranges, slots, record ids), or printf formats that lb_fmt_check
 *     refuses;
 *   - the reference interpreter (lbc_refrun) refuses the plan for
 *     another reason than an op that needs the running kernel;
 *   - lbc_dump is not NUL terminated, is cut short with a large buffer,
 *     or names an op "?". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "compiler/compiler.h"
#include "runtime/format.h"

#define HDR 6
#define NMAPS_MAX 16

struct upv {
	const char *name;
	struct lbc_value v;
};

static const char S_LONG[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
			     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
			     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
			     "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static const struct upv UPV[16] = {
    {"bpf", {.kind = LBC_V_MODULE}},
    {"m", {.kind = LBC_V_MAP, .map = 0}},
    {"n", {.kind = LBC_V_MAP, .map = 1}},
    {"k", {.kind = LBC_V_INT, .i = 42}},
    {"s", {.kind = LBC_V_STR, .s = "hhvm", .len = 4}},
    {"count", {.kind = LBC_V_BUILTIN, .s = "count"}},
    {"t", {.kind = LBC_V_OTHER, .type_name = "table"}},
    {"_ENV", {.kind = LBC_V_OTHER, .type_name = "table"}},
    {"big", {.kind = LBC_V_INT, .i = INT64_MAX}},
    {"neg", {.kind = LBC_V_INT, .i = INT64_MIN}},
    {"f", {.kind = LBC_V_BOOL, .i = 1}},
    {"z", {.kind = LBC_V_NIL}},
    {"hist", {.kind = LBC_V_BUILTIN, .s = "hist"}},
    {"bad", {.kind = LBC_V_MAP, .map = 99}},
    {"o", {.kind = LBC_V_MAP, .map = 2}},
    /* a 256-byte string with a NUL in it */
    {"ts", {.kind = LBC_V_STR, .s = S_LONG, .len = 256}},
};

static const struct upv GLOBALS[] = {
    {"bpf", {.kind = LBC_V_MODULE}},
    {"print", {.kind = LBC_V_OTHER, .type_name = "function"}},
    {"string", {.kind = LBC_V_OTHER, .type_name = "table"}},
    {"pi", {.kind = LBC_V_OTHER, .type_name = "float"}},
    {"G", {.kind = LBC_V_MAP, .map = 2}},
    {"LIMIT", {.kind = LBC_V_INT, .i = 10}},
    {"NAME", {.kind = LBC_V_STR, .s = "bash", .len = 4}},
    {"DEBUG", {.kind = LBC_V_BOOL, .i = 0}},
};

static const int MAXSTR[16] = {0,   1,	  8,	16,    31,    64,    100,   128,
			       256, 1000, 4096, 31744, 32768, 32769, 65536, -1};
static const int NMAPS[8] = {8, 0, 1, 2, 3, 16, 8, 8};

/* sys_enter_write-like, with every kind of string field */
static const struct lbc_field FIELDS[] = {
    {.name = "common_type", .off = 0, .size = 2, .is_signed = 0, .is_string = LB_FSTR_NONE},
    {.name = "common_flags", .off = 2, .size = 1, .is_signed = 0, .is_string = LB_FSTR_NONE},
    {.name = "common_preempt_count",
     .off = 3,
     .size = 1,
     .is_signed = 0,
     .is_string = LB_FSTR_NONE},
    {.name = "common_pid", .off = 4, .size = 4, .is_signed = 1, .is_string = LB_FSTR_NONE},
    {.name = "__syscall_nr", .off = 8, .size = 4, .is_signed = 1, .is_string = LB_FSTR_NONE},
    {.name = "fd", .off = 16, .size = 8, .is_signed = 0, .is_string = LB_FSTR_NONE},
    {.name = "buf", .off = 24, .size = 8, .is_signed = 0, .is_string = LB_FSTR_UPTR},
    {.name = "count", .off = 32, .size = 8, .is_signed = 0, .is_string = LB_FSTR_NONE},
    {.name = "filename", .off = 40, .size = 8, .is_signed = 0, .is_string = LB_FSTR_UPTR},
    {.name = "flags", .off = 48, .size = 8, .is_signed = 0, .is_string = LB_FSTR_NONE},
    {.name = "ret", .off = 56, .size = 8, .is_signed = 1, .is_string = LB_FSTR_NONE},
    {.name = "name", .off = 64, .size = 8, .is_signed = 0, .is_string = LB_FSTR_KPTR},
    {.name = "comm", .off = 72, .size = 16, .is_signed = 0, .is_string = LB_FSTR_ARRAY},
    {.name = "msg", .off = 88, .size = 4, .is_signed = 0, .is_string = LB_FSTR_DATALOC},
    {.name = "mode", .off = 92, .size = 2, .is_signed = 1, .is_string = LB_FSTR_NONE},
    {.name = "path", .off = 96, .size = 256, .is_signed = 0, .is_string = LB_FSTR_ARRAY},
    {.name = "odd", .off = 352, .size = 3, .is_signed = 0, .is_string = LB_FSTR_NONE},
    {.name = "far", .off = 65528, .size = 8, .is_signed = 0, .is_string = LB_FSTR_NONE},
    {.name = "big", .off = 4096, .size = 8192, .is_signed = 0, .is_string = LB_FSTR_ARRAY},
    {.name = "addr4", .off = 360, .size = 4, .is_signed = 0, .nelem = 4},
    {.name = "addr6", .off = 364, .size = 16, .is_signed = 0, .nelem = 16},
    {.name = "words", .off = 380, .size = 12, .is_signed = 1, .nelem = 3},
};
#define NFIELDS ((int)(sizeof FIELDS / sizeof FIELDS[0]))

static const char *const CHUNKNAMES[4] = {
    "@fuzz.lua",
    "=stdin",
    "bpf.tracepoint('x', function(e) end)",
    NULL,
};
static const char *const CHUNKIDS[4] = {
    "fuzz.lua",
    "stdin",
    "[string \"bpf.tracepoint('x', function(e) end)\"]",
    "?",
};

struct env {
	const char *upnames[16];
	int nup;
	int has_env;
};

/* The names a binding would resolve: the upvalues in use, and the
 * globals when the function has an _ENV. */
static int names(const struct env *e, struct lbc_name *out)
{
	int n = 0;
	for (int i = 0; i < e->nup; i++)
		for (int k = 0; k < 16; k++)
			if (!strcmp(UPV[k].name, e->upnames[i])) {
				out[n++] = (struct lbc_name){UPV[k].name, 0, UPV[k].v};
				break;
			}
	for (size_t i = 0; e->has_env && i < sizeof GLOBALS / sizeof GLOBALS[0]; i++)
		out[n++] = (struct lbc_name){GLOBALS[i].name, 1, GLOBALS[i].v};
	return n;
}

static void fail(const char *what, const struct lbc_output *o)
{
	static char dump[65536];
	fprintf(stderr, "INVARIANT BROKEN: %s\n", what);
	if (o) {
		lbc_dump(&o->plan, dump, sizeof dump);
		fprintf(stderr, "%s", dump);
	}
	abort();
}

static void preset(struct lb_mapdesc *m)
{
	m[0].nkeys = 1;
	m[0].keytype[0] = LB_KEY_INT;
	m[0].keysize[0] = 8;
	m[0].key_size = 8;
	m[0].value_size = 8;
	m[0].valkind = LB_VAL_SUM;
	m[0].percpu = 1;
	m[1].nkeys = 1;
	m[1].keytype[0] = LB_KEY_STR;
	m[1].keysize[0] = 16;
	m[1].key_size = 16;
	m[1].value_size = 8;
	m[1].valkind = LB_VAL_INT;
	snprintf(m[2].name, sizeof m[2].name, "hits");
	m[2].named = 1;
	m[2].nkeys = 1;
	m[2].keytype[0] = LB_KEY_INT;
	m[2].keysize[0] = 8;
	m[2].key_size = 8;
	m[2].value_size = 64;
	m[2].valkind = LB_VAL_STR;
}

static int isword(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* position of the first whole-word occurrence of w in s[from..n), or n */
static size_t findword(const char *s, size_t n, size_t from, const char *w)
{
	size_t wl = strlen(w);
	for (size_t i = from; i + wl <= n; i++)
		if (!memcmp(s + i, w, wl) && (i == 0 || !isword(s[i - 1])) &&
		    (i + wl == n || !isword(s[i + wl])))
			return i;
	return n;
}

/* line starts: ls[l - 1] is the offset of line l */
static int lines(const char *s, size_t n, size_t *ls, int max)
{
	int nl = 0;
	ls[nl++] = 0;
	for (size_t i = 0; i < n && nl < max; i++)
		if (s[i] == '\n')
			ls[nl++] = i + 1;
	return nl;
}

static void pick_lines(const char *s, size_t n, uint8_t b4, uint8_t b5, int *first, int *last,
		       size_t *fpos)
{
	static size_t ls[4096];
	int nl = lines(s, n, ls, 4096);
	int l1 = 1, l2;
	if (b4) {
		l1 = 1 + (b4 - 1) % nl;
	} else {
		size_t p = findword(s, n, 0, "function");
		for (int l = 0; l < nl; l++)
			if (ls[l] <= p)
				l1 = l + 1;
	}
	size_t st = ls[l1 - 1], en = l1 < nl ? ls[l1] : n;
	*fpos = st;
	if (b5) {
		l2 = l1 + (b5 - 1) % (nl - l1 + 1);
	} else {
		l2 = l1;
		size_t f = findword(s, en, st, "function");
		if (f == en || findword(s, en, f, "end") == en) {
			size_t ind = 0;
			while (st + ind < en && (s[st + ind] == ' ' || s[st + ind] == '\t'))
				ind++;
			for (int l = l1; l < nl; l++) {
				size_t a = ls[l], e = l + 1 < nl ? ls[l + 1] : n, i = 0;
				while (a + i < e && (s[a + i] == ' ' || s[a + i] == '\t'))
					i++;
				if (i <= ind && e - a - i >= 3 && !memcmp(s + a + i, "end", 3) &&
				    (a + i + 3 == e || !isword(s[a + i + 3]))) {
					l2 = l + 1;
					break;
				}
			}
		}
	}
	*first = l1;
	*last = l2;
}

/* What bpf/interp.h relies on is the library's lbc_validate; the formats
 * are also checked by the printer's own checker. */
static void check_plan(const struct lbc_output *o, const struct lb_mapdesc *maps, int nmaps)
{
	char err[512], what[600];
	if (lbc_validate_output(o, maps, nmaps, err, sizeof err)) {
		snprintf(what, sizeof what, "lbc_validate: %s", err);
		fail(what, o);
	}
	for (int i = 0; i < o->nfmts; i++) {
		const struct lb_fmt *f = &o->fmts[i];
		if (lb_fmt_check(f->fmt, f->type, f->nargs, err, sizeof err))
			fail("format fails lb_fmt_check", o);
	}
}

/* Run the plan in the reference interpreter, twice (maps kept), on a
 * record made of the input's bytes: it validates the plan again and must
 * run it to its end or to a division by zero, unless an op needs the
 * running kernel. ASan watches its memory. */
static void run_plan(const struct lbc_output *o, const struct lb_mapdesc *maps, int nmaps,
		     const uint8_t *data, size_t size)
{
	static struct lbc_refvm vm;
	static unsigned char rec[1024];
	struct lbc_event ev = {.ctx = rec, .ctx_len = sizeof rec};
	char err[256];
	memset(rec, 0, sizeof rec);
	memcpy(rec, data, size < sizeof rec ? size : sizeof rec);
	for (int i = 0; i <= LB_CTX_ELAPSED; i++)
		ev.ctxv[i] = (__u64)i * 1000 + size;
	memcpy(ev.comm, "fuzz", 5);
	lbc_refinit(&vm, o, maps, nmaps);
	for (int i = 0; i < 2; i++) {
		int rc = lbc_refrun(&vm, &o->plan, &ev, err, sizeof err);
		if (rc < 0 && !strstr(err, "reads the running kernel") && !strstr(err, "DWARF")) {
			fprintf(stderr, "refrun: %s\n", err);
			fail("the reference interpreter refused the plan", o);
		}
		if (rc != LBC_RUN_END && rc != LBC_RUN_DIVZERO && rc != -1)
			fail("the reference interpreter returned something else", o);
	}
	lbc_reffree(&vm);
}

static void check_err(const char *err, size_t errlen, const char *id)
{
	if (!memchr(err, 0, errlen))
		fail("error text not NUL terminated", NULL);
	if (!err[0])
		fail("error without a message", NULL);
	if (errlen < 4096)
		return; /* cut: compared with the full text instead */
	size_t n = strlen(id);
	const char *p = err + n;
	if (strncmp(err, id, n) || *p != ':' || !(p[1] >= '0' && p[1] <= '9')) {
		fprintf(stderr, "error: %s\n", err);
		fail("error text does not start with CHUNKID:LINE:", NULL);
	}
	for (p++; *p >= '0' && *p <= '9'; p++)
		;
	if (*p != ':') {
		fprintf(stderr, "error: %s\n", err);
		fail("error text does not start with CHUNKID:LINE:", NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lb_mapdesc maps0[NMAPS_MAX], mapsA[NMAPS_MAX], mapsB[NMAPS_MAX],
	    mapsC[NMAPS_MAX];
	static struct lbc_output outA, outB, outC;
	static char dump[65536], small[8];
	static size_t ls[4096];
	struct env env = {0};
	struct lbc_probe probe = {0};
	struct lbc_input in = {0};

	if (size < HDR)
		return 0;
	const uint8_t *h = data;
	const char *src0 = (const char *)data + HDR;
	size_t len = size - HDR;
	/* a copy of exactly len bytes: ASan catches reads past the end */
	char *src = malloc(len ? len : 1);
	if (!src)
		return 0;
	memcpy(src, src0, len);

	int first, last;
	size_t fpos;
	(void)ls;
	pick_lines(src, len, h[4], h[5], &first, &last, &fpos);

	/* upvalues */
	unsigned mask = h[1] | (unsigned)h[2] << 8;
	size_t pos[16];
	for (int i = 0; i < 16; i++) {
		if (!(mask & (1u << i)))
			continue;
		if (!strcmp(UPV[i].name, "_ENV"))
			env.has_env = 1;
		pos[env.nup] = h[3] & 0x80 ? (size_t)i : findword(src, len, fpos, UPV[i].name);
		if (!strcmp(UPV[i].name, "_ENV") && !(h[3] & 0x80))
			pos[env.nup] = len; /* globals are first used anywhere: last */
		env.upnames[env.nup++] = UPV[i].name;
	}
	for (int i = 1; i < env.nup; i++) /* stable insertion sort by pos */
		for (int k = i; k > 0 && pos[k - 1] > pos[k]; k--) {
			size_t tp = pos[k];
			const char *tn = env.upnames[k];
			pos[k] = pos[k - 1];
			env.upnames[k] = env.upnames[k - 1];
			pos[k - 1] = tp;
			env.upnames[k - 1] = tn;
		}

	int nmaps = NMAPS[(h[3] >> 4) & 7];
	memset(maps0, 0, sizeof maps0);
	if (h[0] & 8)
		preset(maps0);

	probe.name = "tracepoint:syscalls:sys_enter_write";
	probe.probe_id = 3;
	probe.sysmode = (h[0] >> 6) % 3;
	if (h[0] & 4) {
		probe.fields = FIELDS;
		probe.nfields = NFIELDS;
	}
	int cn = (h[0] >> 4) & 3;

	in.max_strlen = MAXSTR[h[3] & 15];
	in.source = src;
	in.source_len = len;
	in.chunkname = CHUNKNAMES[cn];
	in.linedefined = first;
	in.lastlinedefined = last;
	in.nparams = h[0] & 3;
	in.upvalues = env.upnames;
	in.nupvalues = env.nup;
	static struct lbc_name nametab[16 + sizeof GLOBALS / sizeof GLOBALS[0]];
	in.names = nametab;
	in.nnames = names(&env, nametab);
	in.probe = &probe;
	in.nmaps = nmaps;

	/* A */
	size_t errlenA = 4096;
	char *errA = malloc(errlenA);
	memset(errA, 0x55, errlenA);
	memcpy(mapsA, maps0, sizeof maps0);
	in.maps = in.proposed = nmaps ? mapsA : NULL;
	int rcA = lbc_compile(&in, &outA, errA, errlenA);
	if (rcA != 0 && rcA != -1)
		fail("rc is neither 0 nor -1", NULL);
	if (rcA) {
		check_err(errA, errlenA, CHUNKIDS[cn]);
		const char *nl = strchr(errA, '\n'),
			   *bad = strstr(errA, ": internal: the compiled plan");
		if (!bad) /* lbc_rel: an area the op table does not allow */
			bad = strstr(errA, "cannot take its operands from there");
		if (bad && (!nl || bad < nl)) { /* in the message, not the quoted source */
			fprintf(stderr, "%s\n", errA);
			fail("the compiler's own plan check refused its plan", NULL);
		}
		if (memcmp(mapsA, maps0, sizeof maps0))
			fail("maps changed on error", NULL);
		if (!memchr(outA.missing_field, 0, sizeof outA.missing_field))
			fail("missing_field not NUL terminated", NULL);
	} else {
		if (!memchr(errA, 0, errlenA) || errA[0])
			fail("success with an error text", &outA);
		if (outA.missing_field[0])
			fail("success with a missing field", &outA);
		if (nmaps < NMAPS_MAX && memcmp(mapsA + nmaps, maps0 + nmaps,
						sizeof maps0 - sizeof maps0[0] * (size_t)nmaps))
			fail("maps beyond nmaps written", &outA);
		check_plan(&outA, mapsA, nmaps);
		run_plan(&outA, mapsA, nmaps, data, size);
		size_t d = lbc_dump(&outA.plan, dump, sizeof dump);
		if (d >= sizeof dump || strlen(dump) != d)
			fail("dump cut short or not NUL terminated", &outA);
		/* op lines: "%3u  name ..."; strings in it are quoted and
		 * escaped, so no line break or op name comes from the source */
		for (const char *l = strchr(dump, '\n'); l && l[1]; l = strchr(l + 1, '\n'))
			if (strlen(l + 1) < 6 || l[6] == '?')
				fail("dump shows an unknown op", &outA);
		memset(small, 0x55, sizeof small);
		if (lbc_dump(&outA.plan, small, 5) != d || strlen(small) != 4 ||
		    memcmp(small, dump, 4) || small[5] != 0x55)
			fail("dump into a small buffer", &outA);
	}

	if (getenv("FUZZ_VERBOSE")) {
		fprintf(stderr, "lines %d-%d upvalues", first, last);
		for (int i = 0; i < env.nup; i++)
			fprintf(stderr, " %s", env.upnames[i]);
		fprintf(stderr, "\n%s\n", rcA ? errA : dump);
	}

	/* B: same input, another error buffer size, and lexing only the
	 * handler's lines from where lbc_scan says (the binding's way) */
	size_t scansize;
	struct lbc_scan *scan = lbc_scan(src, len, &scansize);
	in.scan = scan;
	size_t errlenB = len % 5 == 0	? 0
			 : len % 5 == 1 ? 1
			 : len % 5 == 2 ? 17
			 : len % 5 == 3 ? 64
					: 4096;
	char *errB = errlenB ? malloc(errlenB) : NULL;
	if (errB)
		memset(errB, 0x55, errlenB);
	memcpy(mapsB, maps0, sizeof maps0);
	in.maps = in.proposed = nmaps ? mapsB : NULL;
	int rcB = lbc_compile(&in, &outB, errB, errlenB);
	in.scan = NULL;
	free(scan);
	if (rcB != rcA)
		fail("second compile: different result", NULL);
	if (memcmp(&outA, &outB, sizeof outA))
		fail("second compile: different output", &outB);
	if (memcmp(mapsA, mapsB, sizeof mapsA))
		fail("second compile: different maps", &outB);
	if (errB) {
		if (!memchr(errB, 0, errlenB))
			fail("error text not NUL terminated (small buffer)", NULL);
		if (strncmp(errA, errB, errlenB - 1) || strlen(errB) > strlen(errA))
			fail("error text with a small buffer is not the full one cut", NULL);
	}

	/* C: again, with the layouts A fixed */
	if (rcA == 0) {
		static char errC[4096];
		memcpy(mapsC, mapsA, sizeof mapsA);
		in.maps = in.proposed = nmaps ? mapsC : NULL;
		if (lbc_compile(&in, &outC, errC, sizeof errC)) {
			fprintf(stderr, "C: %s\n", errC);
			fail("compile with the layouts fixed fails", &outA);
		}
		if (memcmp(&outA.plan, &outC.plan, sizeof outA.plan))
			fail("compile with the layouts fixed: different plan", &outC);
		if (memcmp(mapsA, mapsC, sizeof mapsA))
			fail("compile with the layouts fixed changed them", &outC);
	}
	free(errA);
	free(errB);
	free(src);
	return 0;
}
