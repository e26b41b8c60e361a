/* Lua 5.4 lexer over the handler's part of the chunk (its lines, from a
 * place lbc_scan found once per chunk), or over the whole chunk. The chunk
 * was accepted by Lua, but we may be handed anything (a changed file, a
 * fuzzer), so every error is reported, never assumed away. */
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

struct scanner;

struct lx {
	struct lbc *C;
	const char *s;
	size_t n, i, linestart;
	int line;
	int lastline;	    /* stop before a token on a later line (0: never) */
	size_t scap;	    /* bytes of C->sbuf */
	struct scanner *sc; /* lbc_scan's pass, else NULL */
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

/* Room for k more bytes after the o of the string being decoded at
 * sused: the buffer grows with the strings, not with the source. Tokens
 * hold offsets into it until lexing ends (it moves). */
static char *room(struct lx *L, size_t o, size_t k)
{
	struct lbc *C = L->C;
	size_t need = C->sused + o + k, ncap = L->scap ? L->scap : 256;

	if (need > L->scap) {
		while (ncap < need)
			ncap *= 2;
		char *nb = realloc(C->sbuf, ncap);
		if (!nb)
			lxerr(L, "out of memory");
		C->sbuf = nb;
		L->scap = ncap;
	}
	return C->sbuf + C->sused;
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
	char *out = NULL;
	size_t o = 0;
	L->i += level + 2;
	if (CUR(L) == '\r' || CUR(L) == '\n')
		newline(L);
	for (;;) {
		int c = CUR(L);
		if (t)
			out = room(L, o, 1);
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
		t->i = (int64_t)L->C->sused;
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
	size_t o = 0;
	L->i++;
	for (;;) {
		char *out = room(L, o, 8); /* an escape decodes to 6 bytes at most */
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
	t->i = (int64_t)L->C->sused;
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
	 * needs goes to the free end of the string buffer. Not kept: sused
	 * does not move. */
	size_t len = L->i - start;
	char *buf = room(L, 0, len + 1);
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

/* lbc_scan's pass: per line, where it starts when no token or comment
 * spans its beginning (else NOLINE), and the first line of a 'function'
 * whose '(' is on it (lbc_find takes both lines); the names m of each
 * str(m[ (maps.c's ptrmaps); the 'function' tokens of the last 64 whose
 * '(' has not come. Tokens are a ring of the last 64. */
#define NOLINE UINT32_MAX
#define RING 64
struct scanner {
	uint32_t *start, *from; /* [line], from 1 */
	size_t lcap;
	uint32_t *strs; /* pos, len of each m */
	size_t nstrs, scap;
	struct {
		int tok, line;
	} pend[RING];
	int npend;
};

/* room for one more token: the array grows with the tokens, not the bytes */
static struct tok *newtok(struct lx *L, size_t *cap)
{
	struct lbc *C = L->C;
	struct tok *t;

	if (L->sc) {
		t = &C->toks[C->ntoks++ % RING];
	} else {
		if ((size_t)C->ntoks == *cap) {
			size_t ncap = *cap ? *cap * 2 : 256;
			struct tok *nt = realloc(C->toks, ncap * sizeof *nt);
			if (!nt)
				lxerr(L, "out of memory");
			C->toks = nt;
			*cap = ncap;
		}
		t = &C->toks[C->ntoks++];
	}
	memset(t, 0, sizeof *t);
	return t;
}

/* lines up to line have their entries */
static void scan_lines(struct lx *L, int line)
{
	struct scanner *sc = L->sc;
	size_t n = sc->lcap;

	if ((size_t)line < n)
		return;
	while (n <= (size_t)line)
		n = n ? n * 2 : 1024;
	uint32_t *a = realloc(sc->start, n * sizeof *a), *b;
	if (a)
		sc->start = a;
	b = a ? realloc(sc->from, n * sizeof *b) : NULL;
	if (!b)
		lxerr(L, "out of memory");
	sc->from = b;
	for (size_t k = sc->lcap; k < n; k++) {
		sc->start[k] = NOLINE;
		sc->from[k] = (uint32_t)k;
	}
	sc->lcap = n;
}

static const struct tok *back(const struct lbc *C, int k)
{
	return &C->toks[(C->ntoks - 1 - k) % RING];
}

/* what lbc_scan keeps of token t, the last one lexed */
static void scan_tok(struct lx *L, const struct tok *t)
{
	struct scanner *sc = L->sc;
	struct lbc *C = L->C;
	int i = C->ntoks - 1, k, n;

	C->sused = 0; /* strings are not kept */
	if (t->t == TK_FUNCTION) {
		for (k = n = 0; k < sc->npend; k++) /* those out of reach go */
			if (i - sc->pend[k].tok < RING - 1)
				sc->pend[n++] = sc->pend[k];
		sc->pend[n].tok = i;
		sc->pend[n].line = t->line;
		sc->npend = n + 1;
	} else if (t->t == '(') {
		/* lbc_find looks for the '(' in the 63 tokens after 'function' */
		scan_lines(L, t->line);
		for (k = 0; k < sc->npend; k++)
			if (i - sc->pend[k].tok < RING &&
			    (uint32_t)sc->pend[k].line < sc->from[t->line])
				sc->from[t->line] = (uint32_t)sc->pend[k].line;
		sc->npend = 0;
	} else if (t->t == '[' && i >= 3 && back(C, 1)->t == TK_NAME && back(C, 2)->t == '(' &&
		   back(C, 3)->t == TK_NAME && lbc_isname(back(C, 3)->s, back(C, 3)->n, "str")) {
		if (sc->nstrs == sc->scap) {
			size_t ncap = sc->scap ? sc->scap * 2 : 16;
			uint32_t *ns = realloc(sc->strs, ncap * 2 * sizeof *ns);
			if (!ns)
				lxerr(L, "out of memory");
			sc->strs = ns;
			sc->scap = ncap;
		}
		sc->strs[2 * sc->nstrs] = (uint32_t)back(C, 1)->pos;
		sc->strs[2 * sc->nstrs + 1] = (uint32_t)back(C, 1)->n;
		sc->nstrs++;
	}
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

/* Tokens from L->i on, up to the end or to a token on a line after
 * L->lastline, then TK_EOS */
static void lexloop(struct lx *L0)
{
	struct lx L = *L0;
	size_t cap = 0;
	for (;;) {
		int c = CUR(&L);
		if (c == '\n' || c == '\r') {
			newline(&L);
			if (L.sc) {
				scan_lines(&L, L.line);
				L.sc->start[L.line] = (uint32_t)L.i;
			}
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
		if (c < 0 || (L.lastline && L.line > L.lastline)) {
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
		if (L.sc)
			scan_tok(&L, t);
	}
	*L0 = L;
}

void lbc_lex(struct lbc *C)
{
	const struct lbc_input *in = C->in;
	const struct lbc_scan *sc = in->scan;
	struct lx L = {C, in->source, in->source_len, 0, 0, 1, 0, 0, NULL};
	int ld = in->linedefined;

	C->toks = NULL;
	C->ntoks = 0;
	C->sbuf = NULL;
	C->sused = 0;
	/* only the handler's lines, from where lbc_scan says they may start */
	if (sc && sc->len == in->source_len && ld >= 1 && (uint32_t)ld <= sc->nlines &&
	    sc->v[2 * ld] <= in->source_len && sc->v[2 * ld + 1] >= 1) {
		L.i = L.linestart = sc->v[2 * ld];
		L.line = (int)sc->v[2 * ld + 1];
		L.lastline = in->lastlinedefined;
	}
	room(&L, 0, 1); /* strings point into it, empty ones too */
	if (L.i == 0)
		skip_prefix(&L);
	lexloop(&L);
	for (int i = 0; i < C->ntoks; i++)
		if (C->toks[i].t == TK_STR) {
			C->toks[i].s = C->sbuf + C->toks[i].i;
			C->toks[i].i = 0;
		}
}

/* The pass of lbc_scan: the whole text, tokens in a ring */
struct lbc_scan *lbc_scan(const char *src, size_t len, size_t *size)
{
	struct lbc_input in;
	struct lbc *C = calloc(1, sizeof *C);
	struct scanner *sc = calloc(1, sizeof *sc);
	struct lbc_scan *volatile out = NULL;
	char err[8];

	if (!C || !sc || len > LBC_MAX_SOURCE)
		goto done;
	memset(&in, 0, sizeof in);
	in.source = src;
	in.source_len = len;
	C->in = &in;
	C->err = err;
	C->errlen = sizeof err;
	C->nosrc = 1;
	if (setjmp(C->jb) == 0) {
		struct lx L = {C, src, len, 0, 0, 1, 0, 0, sc};
		uint32_t nlines, *v;

		if (!(C->toks = malloc(RING * sizeof *C->toks)))
			goto done;
		scan_lines(&L, 1);
		sc->start[1] = 0;
		room(&L, 0, 1);
		skip_prefix(&L);
		lexloop(&L);
		nlines = (uint32_t)L.line; /* where the text ended */
		scan_lines(&L, L.line);
		*size = sizeof *out + sizeof *v * 2 * (nlines + 1 + sc->nstrs);
		if (!(out = malloc(*size)))
			goto done;
		v = out->v;
		out->len = (uint32_t)len;
		out->nlines = nlines;
		out->nstrs = (uint32_t)sc->nstrs;
		/* pair l: the start of the last line at or before l that begins
		 * outside a token; then, from the last line down (an entry is
		 * read before it is written), that pair of from[l] */
		v[0] = v[1] = 0;
		for (uint32_t l = 1; l <= nlines; l++) {
			int clean = sc->start[l] != NOLINE;
			v[2 * l] = clean ? sc->start[l] : v[2 * l - 2];
			v[2 * l + 1] = clean ? l : v[2 * l - 1];
		}
		for (uint32_t l = nlines; l >= 1; l--) {
			uint32_t f = sc->from[l];
			v[2 * l] = v[2 * f];
			v[2 * l + 1] = v[2 * f + 1];
		}
		if (sc->nstrs)
			memcpy(v + 2 * (nlines + 1), sc->strs, sizeof *v * 2 * sc->nstrs);
	}
done:
	if (sc) {
		free(sc->start);
		free(sc->from);
		free(sc->strs);
	}
	if (C) {
		free(C->toks);
		free(C->sbuf);
	}
	free(C);
	free(sc);
	return out;
}
