/* Lua 5.4 lexer over the whole chunk. The chunk was accepted by Lua, but
 * we may be handed anything (a changed file, a fuzzer), so every error is
 * reported, never assumed away. */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <langinfo.h>
#include "lbc.h"

/* in token order (TK_AND ...), with their lengths */
static const struct {
	const char *s;
	size_t n;
} kwords[] = {
    {"and", 3},	  {"break", 5}, {"do", 2},	 {"else", 4},  {"elseif", 6}, {"end", 3},
    {"false", 5}, {"for", 3},	{"function", 8}, {"goto", 4},  {"if", 2},     {"in", 2},
    {"local", 5}, {"nil", 3},	{"not", 3},	 {"or", 2},    {"repeat", 6}, {"return", 6},
    {"then", 4},  {"true", 4},	{"until", 5},	 {"while", 5},
};
static const char *const opnames[] = {
    "//", "..", "...", "==", ">=", "<=", "~=", "<<", ">>", "::",
};

/* TK_NAME, or the keyword's token: keywords are 2..8 lowercase letters,
 * which rules out most names before any comparison */
static int keyword(const char *s, size_t n)
{
	if (n < 2 || n > 8 || s[0] < 'a' || s[0] > 'w')
		return TK_NAME;
	for (size_t k = 0; k < sizeof kwords / sizeof *kwords; k++)
		if (kwords[k].n == n && kwords[k].s[0] == s[0] && !memcmp(kwords[k].s, s, n))
			return TK_AND + (int)k;
	return TK_NAME;
}

const char *lbc_tokname(int t, char *buf, size_t len)
{
	if (t < 256) {
		snprintf(buf, len, "'%c'", t);
		return buf;
	}
	switch (t) {
	case TK_EOS: return "<eof>";
	case TK_NAME: return "<name>";
	case TK_INT:
	case TK_FLT: return "<number>";
	case TK_STR: return "<string>";
	}
	if (t >= TK_AND && t <= TK_WHILE)
		snprintf(buf, len, "'%s'", kwords[t - TK_AND].s);
	else
		snprintf(buf, len, "'%s'", opnames[t - TK_IDIV]);
	return buf;
}

struct lx {
	struct lbc *C;
	const char *s;
	size_t n, i, linestart;
	int line;
};

#define CUR(L) ((L)->i < (L)->n ? (unsigned char)(L)->s[(L)->i] : -1)
#define AT(L, k) ((L)->i + (k) < (L)->n ? (unsigned char)(L)->s[(L)->i + (k)] : -1)

static int isalpha_(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static int isdigit_(int c)
{
	return c >= '0' && c <= '9';
}
static int isxdigit_(int c)
{
	return isdigit_(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static int xval(int c)
{
	return isdigit_(c) ? c - '0' : (c | 0x20) - 'a' + 10;
}

static void lxerr(struct lx *L, const char *msg)
{
	lbc_error_at(L->C, L->line, (int)(L->i - L->linestart) + 1, NULL, "%s", msg);
}

/* \n, \r, \r\n and \n\r each count as one line break, as in Lua */
static void newline(struct lx *L)
{
	int c = CUR(L);
	L->i++;
	if ((CUR(L) == '\n' || CUR(L) == '\r') && CUR(L) != c)
		L->i++;
	L->line++;
	L->linestart = L->i;
}

/* At '[': the level of a long bracket [==[, -1 for a lone '[',
 * -2 for '[=' without its second '[' (Lua's skip_sep). Moves nothing. */
static int longlevel(struct lx *L)
{
	size_t k = 1;
	while (AT(L, k) == '=')
		k++;
	if (AT(L, k) == '[')
		return (int)k - 1;
	return k > 1 ? -2 : -1;
}

static void longstring(struct lx *L, int level, struct tok *t)
{
	char *out = t ? L->C->sbuf + L->C->sused : NULL;
	size_t o = 0;
	L->i += level + 2;
	if (CUR(L) == '\r' || CUR(L) == '\n')
		newline(L);
	for (;;) {
		int c = CUR(L);
		if (c < 0)
			lxerr(L, t ? "unfinished long string" : "unfinished long comment");
		if (c == ']') {
			int k = 1;
			while (AT(L, k) == '=')
				k++;
			if (k - 1 == level && AT(L, k) == ']') {
				L->i += k + 1;
				break;
			}
			L->i++;
			if (out)
				out[o++] = ']';
		} else if (c == '\n' || c == '\r') {
			newline(L);
			if (out)
				out[o++] = '\n';
		} else {
			L->i++;
			if (out)
				out[o++] = (char)c;
		}
	}
	if (t) {
		t->t = TK_STR;
		t->s = out;
		t->n = o;
		L->C->sused += o;
	}
}

static size_t utf8(char *out, unsigned long x)
{
	char buf[8];
	int n = 1;
	if (x < 0x80) {
		out[0] = (char)x;
		return 1;
	}
	unsigned mfb = 0x3f;
	do {
		buf[8 - n++] = (char)(0x80 | (x & 0x3f));
		x >>= 6;
		mfb >>= 1;
	} while (x > mfb);
	buf[8 - n] = (char)((~mfb << 1) | x);
	memcpy(out, buf + 8 - n, n);
	return n;
}

static void shortstring(struct lx *L, struct tok *t)
{
	int del = CUR(L);
	char *out = L->C->sbuf + L->C->sused;
	size_t o = 0;
	L->i++;
	for (;;) {
		int c = CUR(L);
		if (c < 0 || c == '\n' || c == '\r')
			lxerr(L, "unfinished string");
		if (c == del) {
			L->i++;
			break;
		}
		if (c != '\\') {
			out[o++] = (char)c;
			L->i++;
			continue;
		}
		L->i++;
		c = CUR(L);
		switch (c) {
		case 'a':
			out[o++] = '\a';
			L->i++;
			break;
		case 'b':
			out[o++] = '\b';
			L->i++;
			break;
		case 'f':
			out[o++] = '\f';
			L->i++;
			break;
		case 'n':
			out[o++] = '\n';
			L->i++;
			break;
		case 'r':
			out[o++] = '\r';
			L->i++;
			break;
		case 't':
			out[o++] = '\t';
			L->i++;
			break;
		case 'v':
			out[o++] = '\v';
			L->i++;
			break;
		case '\\':
		case '"':
		case '\'':
			out[o++] = (char)c;
			L->i++;
			break;
		case '\n':
		case '\r':
			newline(L);
			out[o++] = '\n';
			break;
		case 'x':
			if (!isxdigit_(AT(L, 1)) || !isxdigit_(AT(L, 2)))
				lxerr(L, "hexadecimal digit expected");
			out[o++] = (char)(xval(AT(L, 1)) * 16 + xval(AT(L, 2)));
			L->i += 3;
			break;
		case 'z':
			L->i++;
			for (;;) {
				c = CUR(L);
				if (c == '\n' || c == '\r')
					newline(L);
				else if (c == ' ' || c == '\t' || c == '\v' || c == '\f')
					L->i++;
				else
					break;
			}
			break;
		case 'u': {
			unsigned long x = 0;
			int k = 2;
			if (AT(L, 1) != '{' || !isxdigit_(AT(L, 2)))
				lxerr(L, "missing '{' or hexadecimal digit in \\u{xxxx}");
			/* leading zeros are free; the value may not pass 2^31 - 1 */
			while (isxdigit_(AT(L, k))) {
				x = x * 16 + (unsigned long)xval(AT(L, k));
				k++;
				if (x > 0x7fffffffUL)
					lxerr(L, "UTF-8 value too large");
			}
			if (AT(L, k) != '}')
				lxerr(L, "missing '}' in \\u{xxxx}");
			L->i += k + 1;
			o += utf8(out + o, x);
			break;
		}
		default:
			if (c < 0) /* Lua reports the string, not the escape */
				lxerr(L, "unfinished string");
			if (!isdigit_(c))
				lxerr(L, "invalid escape sequence");
			{
				int x = 0, k = 0;
				while (k < 3 && isdigit_(CUR(L))) {
					x = x * 10 + CUR(L) - '0';
					L->i++;
					k++;
				}
				if (x > 255)
					lxerr(L, "decimal escape too large");
				out[o++] = (char)x;
			}
		}
	}
	t->t = TK_STR;
	t->s = out;
	t->n = o;
	L->C->sused += o;
}

/* Lua's read_numeral decides the extent; the value follows lua_stringtonumber:
 * hex integers wrap, decimal integers that overflow become floats, anything
 * with a '.' or an exponent is a float (strtod, hex floats included). */
static void numeral(struct lx *L, struct tok *t)
{
	const char *expo = "Ee";
	size_t start = L->i;
	if (CUR(L) == '0' && (AT(L, 1) == 'x' || AT(L, 1) == 'X')) {
		expo = "Pp";
		L->i += 2;
	}
	for (;;) {
		int c = CUR(L);
		if (c >= 0 && (c == expo[0] || c == expo[1])) {
			L->i++;
			if (CUR(L) == '+' || CUR(L) == '-')
				L->i++;
		} else if (isxdigit_(c) || c == '.') {
			L->i++;
		} else {
			break;
		}
	}
	if (isalpha_(CUR(L)))
		lxerr(L, "malformed number");
	/* Lua takes numerals of any length, so the NUL-terminated copy strtod
	 * needs goes to the free end of the string buffer: decoded strings
	 * never outgrow their source, so the room left there is at least the
	 * numeral's length plus one. Not kept: sused does not move. */
	size_t len = L->i - start;
	char *buf = L->C->sbuf + L->C->sused;
	memcpy(buf, L->s + start, len);
	buf[len] = 0;
	int hex = expo[0] == 'P';
	if (!strpbrk(buf + (hex ? 2 : 0), hex ? ".pP" : ".eE")) {
		uint64_t v = 0;
		int ovf = 0;
		const char *p = buf + (hex ? 2 : 0);
		if (!*p)
			lxerr(L, "malformed number");
		for (; *p; p++) {
			if (hex) {
				v = v * 16 + (uint64_t)xval(*p);
			} else {
				if (!isdigit_(*p))
					lxerr(L, "malformed number");
				if (v > (UINT64_MAX - 9) / 10 ||
				    v * 10 + (uint64_t)(*p - '0') > (uint64_t)INT64_MAX)
					ovf = 1;
				v = v * 10 + (uint64_t)(*p - '0');
			}
		}
		if (!ovf) {
			t->t = TK_INT;
			t->i = (int64_t)v;
			return;
		}
	}
	char *end;
	double d = strtod(buf, &end);
	if (*end && end != buf) {
		/* a host that set LC_NUMERIC: Lua retries with its decimal point
		 * (nl_langinfo, unlike localeconv, is safe in threads) */
		char *dot = strchr(buf, '.');
		const char *lp = nl_langinfo(RADIXCHAR);
		if (dot && lp[0] && !lp[1] && lp[0] != '.') {
			*dot = lp[0];
			d = strtod(buf, &end);
		}
	}
	if (*end || end == buf)
		lxerr(L, "malformed number");
	t->t = TK_FLT;
	t->d = d;
}

/* room for one more token: the array grows with the tokens, not the bytes */
static struct tok *newtok(struct lx *L, size_t *cap)
{
	struct lbc *C = L->C;
	if ((size_t)C->ntoks == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		struct tok *nt = realloc(C->toks, ncap * sizeof *nt);
		if (!nt)
			lxerr(L, "out of memory");
		C->toks = nt;
		*cap = ncap;
	}
	struct tok *t = &C->toks[C->ntoks++];
	memset(t, 0, sizeof *t);
	return t;
}

/* The text luaL_loadfile reads: a UTF-8 byte-order mark is dropped, and a
 * first line starting with '#' (after it) is skipped up to its '\n' alone
 * (a '\r' does not end it), the '\n' still counted as line 1's end. Chunks
 * Lua loaded from a string cannot start with either, so this is safe for
 * every chunk. */
static void skip_prefix(struct lx *L)
{
	if (L->n >= 3 && !memcmp(L->s, "\xEF\xBB\xBF", 3))
		L->i = L->linestart = 3;
	if (CUR(L) == '#')
		while (L->i < L->n && L->s[L->i] != '\n')
			L->i++;
}

void lbc_lex(struct lbc *C)
{
	struct lx L = {C, C->in->source, C->in->source_len, 0, 0, 1};
	size_t cap = 0;
	C->toks = NULL;
	C->ntoks = 0;
	C->sbuf = malloc(L.n + 1);
	if (!C->sbuf)
		lbc_error_at(C, 1, 1, NULL, "out of memory");
	skip_prefix(&L);
	for (;;) {
		int c = CUR(&L);
		if (c == '\n' || c == '\r') {
			newline(&L);
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\v' || c == '\f') {
			L.i++;
			continue;
		}
		if (c == '-' && AT(&L, 1) == '-') {
			L.i += 2;
			/* "--[==" without its second '[' is a short comment */
			if (CUR(&L) == '[') {
				int lv = longlevel(&L);
				if (lv >= 0) {
					longstring(&L, lv, NULL);
					continue;
				}
			}
			while (L.i < L.n && L.s[L.i] != '\n' && L.s[L.i] != '\r')
				L.i++;
			continue;
		}
		struct tok *t = newtok(&L, &cap);
		t->line = L.line;
		t->col = (int)(L.i - L.linestart) + 1;
		t->pos = L.i;
		if (c < 0) {
			t->t = TK_EOS;
			t->end = L.i;
			break;
		}
		int c1 = AT(&L, 1), c2 = AT(&L, 2);
		switch (c) {
		case '[': {
			int lv = longlevel(&L);
			if (lv == -2)
				lxerr(&L, "invalid long string delimiter");
			if (lv >= 0)
				longstring(&L, lv, t);
			else
				t->t = '[', L.i++;
			break;
		}
		case '"':
		case '\'': shortstring(&L, t); break;
		case '=':
			t->t = c1 == '=' ? TK_EQ : '=';
			L.i += c1 == '=' ? 2 : 1;
			break;
		case '<':
			t->t = c1 == '<' ? TK_SHL : c1 == '=' ? TK_LE : '<';
			L.i += t->t == '<' ? 1 : 2;
			break;
		case '>':
			t->t = c1 == '>' ? TK_SHR : c1 == '=' ? TK_GE : '>';
			L.i += t->t == '>' ? 1 : 2;
			break;
		case '/':
			t->t = c1 == '/' ? TK_IDIV : '/';
			L.i += c1 == '/' ? 2 : 1;
			break;
		case '~':
			t->t = c1 == '=' ? TK_NE : '~';
			L.i += c1 == '=' ? 2 : 1;
			break;
		case ':':
			t->t = c1 == ':' ? TK_DBCOLON : ':';
			L.i += c1 == ':' ? 2 : 1;
			break;
		case '.':
			if (c1 == '.') {
				t->t = c2 == '.' ? TK_DOTS : TK_CONCAT;
				L.i += c2 == '.' ? 3 : 2;
			} else if (isdigit_(c1)) {
				numeral(&L, t);
			} else {
				t->t = '.';
				L.i++;
			}
			break;
		case '+':
		case '-':
		case '*':
		case '%':
		case '^':
		case '#':
		case '&':
		case '|':
		case '(':
		case ')':
		case '{':
		case '}':
		case ']':
		case ';':
		case ',':
			t->t = c;
			L.i++;
			break;
		default:
			if (isdigit_(c)) {
				numeral(&L, t);
			} else if (isalpha_(c)) {
				size_t s = L.i;
				while (isalpha_(CUR(&L)) || isdigit_(CUR(&L)))
					L.i++;
				t->t = TK_NAME;
				t->s = L.s + s;
				t->n = L.i - s;
				t->t = keyword(t->s, t->n);
			} else {
				lxerr(&L, c >= 32 && c < 127 ? "unexpected symbol"
							     : "unexpected byte in source");
			}
		}
		t->end = L.i;
	}
}
