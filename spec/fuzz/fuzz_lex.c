/* libFuzzer target: luabpf's lexer (luabpf/compiler/lex.c) against Lua 5.4's
 * own, on the same bytes.
 *
 *   make fuzz-lex [FUZZ_SECONDS=300]   build/fuzz/fuzz_lex on spec/fuzz/corpus_lex
 *   make fuzz-smoke                    both fuzzers, briefly (part of make test)
 *   build/fuzz/fuzz_lex FILE           replay one input
 *
 * Input: a script file's bytes, as is (no header). Seeds: sh spec/fuzz/mklexcorpus.sh.
 *
 * Lua's side is luaL_loadfilex on those bytes (through a memfd), so the
 * byte-order mark and '#' first line are skipped exactly as for a script.
 * luabpf's side is lbc_lex on the same bytes. Lua's lexer is not reachable
 * alone through its API, so its tokens are compared through the parser:
 * luabpf's tokens are written back as canonical text (each on the line it
 * started, numbers as 0x... integers or %a hex floats, strings as \ddd
 * escapes with \z line breaks to end on the line the original ended,
 * keywords and operators spelled from their kind, names as they are), and
 * that text must load to the same bytecode (lua_dump, with line info) as
 * the original. abort() when:
 *   - Lua loads the file and luabpf's lexer rejects it;
 *   - Lua loads the file and the canonical text does not load, or loads to
 *     different bytecode (a number's value or kind, a string's bytes, a
 *     token split or joined differently, a line number);
 *   - Lua's lexer rejects the file ("malformed number", "unfinished
 *     string", ...) and luabpf's accepts it, or rejects it at another line
 *     or with another message;
 *   - Lua's parser rejects the file at line L and luabpf's lexer rejects
 *     a line before L (Lua read past it), or accepts the file but its
 *     canonical text does not give the same syntax error at line L. */
#define _GNU_SOURCE
#include <lauxlib.h>
#include <lua.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "compiler/lbc.h"

enum { R_LOADED, R_LEX, R_SYNTAX, R_OTHER };

struct res {
	int kind, line;
	char msg[256]; /* without "chunk:line: " and " near ..." */
};

struct buf {
	char *p;
	size_t n, cap;
};

static lua_State *LS;
static int mfd = -1;
static char path[64], chunk[80];

/* llex.c's messages (5.4), as prefixes: they tell a lexical error from a
 * syntax error in what load() returns */
static const char *const LUA_LEX[] = {
    "malformed number",
    "unfinished string",
    "unfinished long string",
    "unfinished long comment",
    "invalid long string delimiter",
    "invalid escape sequence",
    "hexadecimal digit expected",
    "missing '{'",
    "missing '}'",
    "UTF-8 value too large",
    "decimal escape too large",
    "lexical element too long",
    "chunk has too many lines",
};

static void put(struct buf *b, const void *s, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 256;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static int writer(lua_State *L, const void *p, size_t sz, void *ud)
{
	(void)L;
	put(ud, p, sz);
	return 0;
}

/* the outcome of a load: R_LOADED with the bytecode in *dump, or the error */
static void outcome(int rc, struct res *r, struct buf *dump)
{
	memset(r, 0, sizeof *r);
	if (rc == LUA_OK) {
		r->kind = R_LOADED;
		dump->n = 0;
		if (lua_dump(LS, writer, dump, 0))
			abort();
		lua_pop(LS, 1);
		return;
	}
	const char *e = lua_tostring(LS, -1);
	size_t cl = strlen(path);
	r->kind = R_OTHER;
	if (rc == LUA_ERRSYNTAX && e && !strncmp(e, path, cl) && e[cl] == ':') {
		char *end;
		r->line = (int)strtol(e + cl + 1, &end, 10);
		if (end[0] == ':' && end[1] == ' ') {
			snprintf(r->msg, sizeof r->msg, "%s", end + 2);
			char *near = strstr(r->msg, " near ");
			if (near)
				*near = 0;
			r->kind = R_SYNTAX;
			for (size_t k = 0; k < sizeof LUA_LEX / sizeof *LUA_LEX; k++)
				if (!strncmp(r->msg, LUA_LEX[k], strlen(LUA_LEX[k])))
					r->kind = R_LEX;
		}
	}
	lua_pop(LS, 1);
}

/* luabpf's lexer; on error r holds its line and message */
static struct lbc *blex(const uint8_t *d, size_t n, struct lbc_input *in, struct res *r)
{
	static char err[4096];
	struct lbc *C = calloc(1, sizeof *C);
	if (!C)
		abort();
	memset(in, 0, sizeof *in);
	in->source = (const char *)d;
	in->source_len = n;
	in->chunkname = "@fuzz.lua";
	C->in = in;
	C->err = err;
	C->errlen = sizeof err;
	snprintf(C->file, sizeof C->file, "fuzz.lua");
	memset(r, 0, sizeof *r);
	if (setjmp(C->jb)) {
		int col, k = 0;
		if (sscanf(err, "fuzz.lua:%d:%d: %n", &r->line, &col, &k) != 2 || !k)
			abort(); /* every lexer error has a position */
		snprintf(r->msg, sizeof r->msg, "%.*s", (int)strcspn(err + k, "\n"), err + k);
		r->kind = strncmp(r->msg, "unexpected ", 11) ? R_LEX : R_SYNTAX;
		if (!strcmp(r->msg, "out of memory"))
			r->kind = R_OTHER;
		return C;
	}
	lbc_lex(C);
	r->kind = R_LOADED;
	return C;
}

static void bfree(struct lbc *C)
{
	free(C->toks);
	free(C->sbuf);
	free(C);
}

/* line breaks in s[a, b), \r\n and \n\r counting once, as the lexer does */
static int breaks(const char *s, size_t a, size_t b)
{
	int k = 0;
	for (size_t i = a; i < b; i++)
		if (s[i] == '\n' || s[i] == '\r') {
			if (i + 1 < b && (s[i + 1] == '\n' || s[i + 1] == '\r') && s[i + 1] != s[i])
				i++;
			k++;
		}
	return k;
}

/* luabpf's tokens as a text Lua must read as the same tokens on the same lines */
static void render(const struct lbc *C, struct buf *o)
{
	const char *src = C->in->source;
	int line = 1;
	char tmp[64];
	o->n = 0;
	for (int i = 0; i < C->ntoks; i++) {
		const struct tok *t = &C->toks[i];
		for (; line < t->line; line++)
			put(o, "\n", 1);
		switch (t->t) {
		case TK_EOS: break;
		case TK_INT:
			snprintf(tmp, sizeof tmp, "0x%llx", (unsigned long long)t->i);
			puts_(o, tmp);
			break;
		case TK_FLT:
			if (isinf(t->d))
				snprintf(tmp, sizeof tmp, "1e9999");
			else
				snprintf(tmp, sizeof tmp, "%a", t->d);
			puts_(o, tmp);
			break;
		case TK_STR: {
			put(o, "\"", 1);
			for (size_t k = 0; k < t->n; k++) {
				snprintf(tmp, sizeof tmp, "\\%03u", (unsigned char)t->s[k]);
				puts_(o, tmp);
			}
			int nl = breaks(src, t->pos, t->end);
			if (nl)
				puts_(o, "\\z");
			for (; nl > 0; nl--, line++)
				put(o, "\n", 1);
			put(o, "\"", 1);
			break;
		}
		case TK_NAME: put(o, src + t->pos, t->end - t->pos); break;
		default: { /* keywords and operators by their kind, not their text */
			const char *q = lbc_tokname(t->t, tmp, sizeof tmp);
			put(o, q + 1, strlen(q) - 2);
		}
		}
		put(o, " ", 1);
	}
}

/* does luabpf's lexical message name Lua's? */
static int same_lexmsg(const char *ours, const char *lua)
{
	size_t a = strlen(ours), b = strlen(lua);
	if (!strncmp(ours, lua, a < b ? a : b))
		return 1;
	/* one message of ours covers two of Lua's: "\u" without "{" + digit */
	return !strncmp(ours, "missing '{' or hexadecimal digit", 32) &&
	       !strcmp(lua, "hexadecimal digit expected");
}

static void fail(const char *what, const struct res *a, const struct res *b, const struct buf *text)
{
	fprintf(stderr,
		"fuzz_lex: %s\n  lua:    kind %d line %d: %s\n  luabpf: kind %d line %d: %s\n",
		what, a->kind, a->line, a->msg, b->kind, b->line, b->msg);
	if (text)
		fprintf(stderr, "  canonical text:\n%.*s\n", (int)text->n, text->p);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	LS = luaL_newstate();
	mfd = memfd_create("fuzz_lex", 0);
	if (!LS || mfd < 0)
		abort();
	snprintf(path, sizeof path, "/proc/self/fd/%d", mfd);
	snprintf(chunk, sizeof chunk, "@%s", path);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct buf dump1, dump2, text;
	struct res a, b, c;
	struct lbc_input in;

	if (ftruncate(mfd, 0) || pwrite(mfd, d, n, 0) != (ssize_t)n)
		abort();
	outcome(luaL_loadfilex(LS, path, "t"), &a, &dump1);
	if (a.kind == R_OTHER) /* a binary chunk, out of memory */
		return 0;
	struct lbc *C = blex(d, n, &in, &b);
	if (b.kind == R_OTHER)
		goto out;

	switch (a.kind) {
	case R_LOADED:
		if (b.kind != R_LOADED)
			fail("Lua loads it, luabpf's lexer rejects it", &a, &b, NULL);
		render(C, &text);
		outcome(luaL_loadbufferx(LS, text.p, text.n, chunk, "t"), &c, &dump2);
		if (c.kind != R_LOADED)
			fail("the canonical text of luabpf's tokens does not load", &c, &b, &text);
		if (dump1.n != dump2.n || memcmp(dump1.p, dump2.p, dump1.n))
			fail("luabpf's tokens load to different bytecode", &a, &b, &text);
		break;
	case R_LEX:
		if (b.kind != R_LEX || b.line != a.line || !same_lexmsg(b.msg, a.msg))
			fail("a lexical error in Lua, not the same in luabpf", &a, &b, NULL);
		break;
	case R_SYNTAX:
		if (b.kind != R_LOADED) {
			if (b.line < a.line)
				fail("luabpf's lexer stops before Lua's parser", &a, &b, NULL);
			break;
		}
		render(C, &text);
		outcome(luaL_loadbufferx(LS, text.p, text.n, chunk, "t"), &c, &dump2);
		if (c.kind != R_SYNTAX || c.line != a.line || strcmp(c.msg, a.msg))
			fail("the canonical text does not fail as the file does", &a, &c, &text);
		break;
	}
out:
	bfree(C);
	/* free this input's garbage now: libFuzzer runs a (slow) leak check
	 * after every input whose mallocs and frees do not balance */
	lua_gc(LS, LUA_GCCOLLECT);
	return 0;
}
