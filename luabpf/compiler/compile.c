/* lbc_compile: errors, finding the handler's function in the chunk, and
 * the driver of lex -> parse -> gen. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lbc.h"

/* Lua's luaO_chunkid, so our positions read like Lua's own errors */
static void chunkid(char *out, size_t cap, const char *src)
{
	if (!src || !*src) {
		snprintf(out, cap, "?");
	} else if (*src == '=' || *src == '@') {
		size_t n = strlen(src + 1);
		if (n < cap)
			snprintf(out, cap, "%s", src + 1);
		else if (*src == '=')
			snprintf(out, cap, "%.*s", (int)cap - 1, src + 1);
		else
			snprintf(out, cap, "...%s", src + 1 + n - (cap - 4));
	} else {
		const char *nl = strchr(src, '\n');
		size_t n = nl ? (size_t)(nl - src) : strlen(src);
		size_t room = 60 - 15; /* LUA_IDSIZE minus [string "..."] */
		if (!nl && n < room)
			snprintf(out, cap, "[string \"%.*s\"]", (int)n, src);
		else
			snprintf(out, cap, "[string \"%.*s...\"]", (int)(n > room ? room : n), src);
	}
}

static size_t line_start(const struct lbc *C, int line, size_t *len)
{
	const char *s = C->in->source;
	size_t n = C->in->source_len, i = 0;
	for (int l = 1; l < line && i < n; i++) {
		if (s[i] == '\n' || s[i] == '\r') {
			if (i + 1 < n && (s[i + 1] == '\n' || s[i + 1] == '\r') && s[i + 1] != s[i])
				i++;
			l++;
		}
	}
	size_t e = i;
	while (e < n && s[e] != '\n' && s[e] != '\r')
		e++;
	*len = e - i;
	return i;
}

struct ebuf {
	char *p;
	size_t left;
};

static void eput(struct ebuf *e, const char *fmt, va_list ap)
{
	int w = vsnprintf(e->p, e->left, fmt, ap);
	if (w < 0)
		w = 0;
	if ((size_t)w >= e->left)
		w = (int)e->left - 1;
	e->p += w;
	e->left -= (size_t)w;
}

static void eputf(struct ebuf *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void eputf(struct ebuf *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	eput(e, fmt, ap);
	va_end(ap);
}

static void echar(struct ebuf *e, char c)
{
	if (e->left > 1) {
		*e->p++ = c;
		*e->p = 0;
		e->left--;
	}
}

static void verror(struct lbc *C, int line, int col, const char *hint, const char *fmt, va_list ap)
    __attribute__((noreturn));
static void verror(struct lbc *C, int line, int col, const char *hint, const char *fmt, va_list ap)
{
	struct ebuf e = {C->err, C->errlen};
	eputf(&e, "%s:%d:%d: ", C->file, line, col);
	eput(&e, fmt, ap);
	if (!C->nosrc && C->in->source && C->in->source_len && line > 0) {
		size_t len, st = line_start(C, line, &len), show = len > 400 ? 400 : len;
		echar(&e, '\n');
		for (size_t i = 0; i < show; i++) {
			unsigned char c = (unsigned char)C->in->source[st + i];
			echar(&e, (c < 32 && c != '\t') || c == 127 ? '?' : (char)c);
		}
		echar(&e, '\n');
		for (int i = 0; i < col - 1 && i < 400; i++)
			echar(&e, (size_t)i < len && C->in->source[st + i] == '\t' ? '\t' : ' ');
		echar(&e, '^');
	}
	if (hint)
		eputf(&e, "\nhint: %s", hint);
	longjmp(C->jb, 1);
}

void lbc_error_at(struct lbc *C, int line, int col, const char *hint, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verror(C, line, col, hint, fmt, ap);
}

void lbc_error(struct lbc *C, int tok, const char *hint, const char *fmt, ...)
{
	va_list ap;
	const struct tok *t = &C->toks[tok < 0 ? 0 : tok];
	va_start(ap, fmt);
	verror(C, t->line, t->col, hint, fmt, ap);
}

/* --- finding the function --------------------------------------------- */

struct cand {
	int ftok, body, endtok, nparams, match;
};

static int tokeq(const struct tok *a, const struct tok *b)
{
	return a->n == b->n && !memcmp(a->s, b->s, a->n);
}

static const char *upname(const struct lbc_input *in, int k)
{
	return in->upvalues[k] ? in->upvalues[k] : "";
}

/* Is token t the start of a statement, given the previous token?
 * Used to bring `local x = ...` names into scope after their values. */
static int stmt_start(int t, int prev)
{
	switch (t) {
	case TK_LOCAL:
	case TK_IF:
	case TK_FOR:
	case TK_WHILE:
	case TK_DO:
	case TK_RETURN:
	case TK_BREAK:
	case TK_GOTO:
	case TK_END:
	case TK_ELSE:
	case TK_ELSEIF:
	case TK_UNTIL:
	case TK_REPEAT:
	case ';':
	case TK_DBCOLON:
	case TK_EOS: return 1;
	case TK_NAME:
	case '(':
	case TK_FUNCTION:
		switch (prev) {
		case TK_NAME:
		case TK_INT:
		case TK_FLT:
		case TK_STR:
		case ')':
		case ']':
		case '}':
		case TK_NIL:
		case TK_TRUE:
		case TK_FALSE:
		case TK_DOTS:
		case TK_END: return 1;
		}
	}
	return 0;
}

/* Walk one candidate over tokens: find its matching 'end', count its
 * parameters and check its free names against the upvalue list in Lua's
 * order of first use (globals stand for _ENV). No recursion; the scratch
 * arrays are sized by the token count. */
static void walk(struct lbc *C, struct cand *c, int *names, int *marks, char *brk)
{
	const struct lbc_input *in = C->in;
	const struct tok *T = C->toks;
	int i = c->ftok + 1, nn = 0, nm = 0, nb = 0, depth = 0, nup = 0;
	int pend = -1, pend_depth = 0, pend_br = 0, forpend = -1, forend = 0;
	int fhdr = 0;
	c->endtok = -1;
	c->match = 1;
	c->nparams = 0;
	/* header: [name {. name} [: name]] ( params ) */
	int self = 0;
	if (T[i].t == TK_NAME) {
		for (i++; T[i].t == '.' || T[i].t == ':'; i += 2) {
			self |= T[i].t == ':';
			if (T[i + 1].t != TK_NAME)
				return;
		}
	}
	if (T[i].t != '(')
		return;
	c->nparams = self;
	if (self)
		names[nn++] = -1;
	for (i++; T[i].t == TK_NAME || T[i].t == ','; i++)
		if (T[i].t == TK_NAME) {
			names[nn++] = i;
			c->nparams++;
		}
	if (T[i].t == TK_DOTS)
		i++;
	if (T[i].t != ')')
		return;
	c->body = ++i;
	for (; T[i].t != TK_EOS; i++) {
		int t = T[i].t, prev = T[i - 1].t;
		if (pend >= 0 && depth == pend_depth && nb == pend_br && stmt_start(t, prev)) {
			nn = pend;
			pend = -1;
		}
		switch (t) {
		case '(':
			if (fhdr) {
				fhdr = 0;
				if (T[i - 2].t == ':')
					names[nn++] = -1; /* self */
				for (i++; T[i].t == TK_NAME || T[i].t == ','; i++)
					if (T[i].t == TK_NAME)
						names[nn++] = i;
				if (T[i].t == TK_DOTS)
					i++;
				if (T[i].t != ')')
					i--;
				continue;
			}
			/* fallthrough */
		case '[':
		case '{': brk[nb++] = (char)t; continue;
		case ')':
		case ']':
		case '}':
			if (nb)
				nb--;
			continue;
		case TK_FUNCTION:
			depth++;
			marks[nm++] = nn;
			fhdr = 1;
			if (prev == TK_LOCAL && T[i + 1].t == TK_NAME)
				i++; /* its name was declared at 'local' (never
					step over TK_EOS: `local function` at the
					end of the chunk) */
			continue;
		case TK_DO:
			depth++;
			marks[nm++] = nn;
			if (forpend >= 0) {
				for (int k = forpend; k < forend; k++)
					if (T[k].t == TK_NAME)
						names[nn++] = k;
				forpend = -1;
			}
			continue;
		case TK_IF: depth++; continue;
		case TK_THEN: marks[nm++] = nn; continue;
		case TK_REPEAT:
			depth++;
			marks[nm++] = nn;
			continue;
		case TK_ELSEIF:
			if (nm)
				nn = marks[--nm];
			continue;
		case TK_ELSE:
			if (nm)
				nn = marks[nm - 1];
			continue;
		case TK_UNTIL:
		case TK_END:
			if (depth == 0) {
				if (t == TK_END) {
					c->endtok = i;
					if (nup != in->nupvalues)
						c->match = 0;
				}
				return;
			}
			depth--;
			if (nm)
				nn = marks[--nm];
			continue;
		case TK_FOR:
			forpend = i + 1;
			for (forend = i + 1; T[forend].t == TK_NAME || T[forend].t == ','; forend++)
				;
			i = forend - 1;
			continue;
		case TK_LOCAL: {
			int k = i + 1, save = nn;
			if (T[k].t == TK_FUNCTION) {
				if (T[k + 1].t == TK_NAME)
					names[nn++] = k + 1;
				continue;
			}
			while (T[k].t == TK_NAME) {
				names[nn++] = k++;
				if (T[k].t == '<' && T[k + 1].t == TK_NAME && T[k + 2].t == '>')
					k += 3;
				if (T[k].t != ',')
					break;
				k++;
			}
			i = k - 1;
			if (T[k].t == '=') {
				pend = nn;
				nn = save;
				pend_depth = depth;
				pend_br = nb;
			}
			continue;
		}
		case TK_NAME: break;
		default: continue;
		}
		/* a name: a reference unless a field, label or table key */
		if (prev == '.' || prev == ':' || prev == TK_GOTO || prev == TK_DBCOLON)
			continue;
		if (T[i + 1].t == '=' && nb && brk[nb - 1] == '{')
			continue;
		int k;
		for (k = nn - 1; k >= 0; k--)
			if (names[k] < 0 ? T[i].n == 4 && !memcmp(T[i].s, "self", 4)
					 : tokeq(&T[names[k]], &T[i]))
				break;
		if (k >= 0)
			continue;
		const char *nm_ = "_ENV";
		size_t nl = 4;
		for (k = 0; k < in->nupvalues; k++)
			if (in->upvalues[k] && strlen(in->upvalues[k]) == T[i].n &&
			    !memcmp(in->upvalues[k], T[i].s, T[i].n)) {
				nm_ = T[i].s;
				nl = T[i].n;
				break;
			}
		if (k == in->nupvalues && in->fenv_globals)
			continue; /* a global, and globals are no upvalue */
		for (k = 0; k < nup; k++)
			if (strlen(upname(in, k)) == nl && !memcmp(upname(in, k), nm_, nl))
				break;
		if (k < nup)
			continue;
		if (nup < in->nupvalues && strlen(upname(in, nup)) == nl &&
		    !memcmp(upname(in, nup), nm_, nl))
			nup++;
		else
			c->match = 0;
	}
}

static int is_constant(const struct lbc_input *in, const char *s, size_t n)
{
	for (int k = 0; k < in->nkstrings; k++)
		if (in->klens[k] == n && !memcmp(in->kstrings[k], s, n))
			return 1;
	return 0;
}

/* Does the candidate's text account for the function's string constants
 * (read from its bytecode), and they for its literals and field names?
 * Tells apart handlers on one line with the same upvalues, such as
 * m[e.pid] = count() and m[e.comm] = count(). */
static int same_constants(const struct lbc *C, const struct cand *c)
{
	const struct lbc_input *in = C->in;
	const struct tok *T = C->toks;

	for (int i = c->body; i < c->endtok; i++)
		if ((T[i].t == TK_STR ||
		     (T[i].t == TK_NAME && (T[i - 1].t == '.' || T[i - 1].t == ':'))) &&
		    !is_constant(in, T[i].s, T[i].n))
			return 0;
	for (int k = 0; k < in->nkstrings; k++) {
		int found = 0;

		for (int i = c->body; i < c->endtok && !found; i++)
			found = (T[i].t == TK_STR || T[i].t == TK_NAME) && T[i].n == in->klens[k] &&
				!memcmp(T[i].s, in->kstrings[k], T[i].n);
		if (!found)
			return 0;
	}
	return 1;
}

void lbc_find(struct lbc *C)
{
	const struct lbc_input *in = C->in;
	struct cand cs[LBC_MAX_CANDS];
	int nc = 0, ambiguous = 0, pick = -1;
	int *names = malloc(sizeof(int) * (size_t)C->ntoks * 2);
	char *brk = malloc((size_t)C->ntoks);
	if (!names || !brk) {
		free(names);
		free(brk);
		lbc_error_at(C, in->linedefined, 1, NULL, "out of memory");
	}
	for (int i = 0; i < C->ntoks; i++) {
		if (C->toks[i].t != TK_FUNCTION)
			continue;
		int l1 = C->toks[i].line, l2 = l1;
		/* Lua's linedefined is the line of '(' for function bodies */
		for (int k = i + 1; k < C->ntoks && k < i + 64; k++)
			if (C->toks[k].t == '(') {
				l2 = C->toks[k].line;
				break;
			}
		if (l1 != in->linedefined && l2 != in->linedefined)
			continue;
		if (nc == LBC_MAX_CANDS)
			break;
		cs[nc].ftok = i;
		walk(C, &cs[nc], names, names + C->ntoks, brk);
		if (cs[nc].endtok < 0 || C->toks[cs[nc].endtok].line != in->lastlinedefined)
			continue;
		if (cs[nc].match && (in->nparams < 0 || cs[nc].nparams == in->nparams) &&
		    (!in->kstrings || same_constants(C, &cs[nc]))) {
			if (pick < 0) {
				pick = nc;
			} else {
				/* identical text compiles identically: either will do */
				const struct tok *x = &C->toks[cs[pick].ftok], *y = &C->toks[i];
				size_t lx = C->toks[cs[pick].endtok].end - x->pos;
				size_t ly = C->toks[cs[nc].endtok].end - y->pos;
				if (lx != ly ||
				    memcmp(in->source + x->pos, in->source + y->pos, lx))
					ambiguous = 1;
			}
		}
		nc++;
	}
	free(names);
	free(brk);
	if (ambiguous)
		lbc_error(C, cs[pick].ftok, "put each handler on its own line",
			  "cannot tell which of the functions on line %d is the handler",
			  in->linedefined);
	if (pick < 0 && nc == 1)
		pick = 0;
	if (pick < 0 && nc > 1)
		lbc_error(C, cs[0].ftok, "put each handler on its own line",
			  "cannot tell which of the %d functions on line %d is the handler", nc,
			  in->linedefined);
	if (pick < 0)
		lbc_error_at(C, in->linedefined, 1, "has the file changed since it was loaded?",
			     "cannot find the handler (a function on lines %d-%d) in the source",
			     in->linedefined, in->lastlinedefined);
	C->ftok = cs[pick].ftok;
	C->fbody = cs[pick].body;
	C->fend = cs[pick].endtok;
}

/* --- the driver -------------------------------------------------------- */

/* One compilation; nocache: no reuse of map reads (see struct mcache).
 * Sets *cached when it kept registers for one. */
static int compile1(const struct lbc_input *in, struct lbc_output *out, char *errbuf, size_t errlen,
		    int nocache, int *cached)
{
	char *err = errbuf;
	struct lbc *C = calloc(1, sizeof *C);
	volatile int rc = -1;
	char dummy[1];
	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof dummy;
	}
	err[0] = 0;
	if (!C) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	C->in = in;
	C->nocache = nocache;
	C->err = err;
	C->errlen = errlen;
	C->plan = &out->plan;
	C->out = out;
	chunkid(C->file, sizeof C->file, in->chunkname);
	memset(out, 0, sizeof *out);
	if (setjmp(C->jb))
		goto done;
	if (!in->source || !in->source_len || (in->chunkname && !strcmp(in->chunkname, "=?"))) {
		C->nosrc = 1;
		lbc_error_at(C, in->linedefined, 1, NULL,
			     "handler source is not available (stripped chunk?)");
	}
	if (in->linedefined <= 0)
		lbc_error_at(C, 1, 1, NULL, "the handler must be a Lua function, not a main chunk");
	if (in->source_len > LBC_MAX_SOURCE)
		lbc_error_at(C, in->linedefined, 1, NULL, "source chunk is too big (over %u bytes)",
			     LBC_MAX_SOURCE);
	if (in->nmaps < 0 || (in->nmaps && !in->maps))
		lbc_error_at(C, in->linedefined, 1, NULL, "internal: bad map table");
	lbc_lex(C);
	lbc_find(C);
	if (in->nmaps > LB_MAX_SESSION_MAPS || in->maxmaps > LB_MAX_SESSION_MAPS)
		lbc_error_at(C, in->linedefined, 1, NULL, "internal: bad map table size");
	C->nmaps = in->nmaps;
	C->maps = calloc(LB_MAX_SESSION_MAPS, sizeof *C->maps);
	if (!C->maps)
		lbc_error(C, C->ftok, NULL, "out of memory");
	if (in->nmaps)
		memcpy(C->maps, in->maps, sizeof *C->maps * (size_t)in->nmaps);
	int body = lbc_parse(C);
	lbc_gen(C, body);
	lbc_finish(C);
	memcpy(out->slot_map, C->slot_map, sizeof out->slot_map);
	out->nslots = C->nslots;
	if (lbc_validate_output(out, C->maps, C->nmaps, C->hint, sizeof C->hint))
		lbc_error(C, C->ftok, NULL, "internal: the compiled plan is invalid: %s", C->hint);
	if (C->nmaps)
		memcpy(in->maps, C->maps, sizeof *C->maps * (size_t)C->nmaps);
	out->nmaps = C->nmaps;
	C->err[0] = 0;
	rc = 0;
done:
	*cached = C->cached;
	free(C->maps);
	free(C->intuse);
	free(C->struse);
	free(C->ptruse);
	free(C->nodes);
	free(C->toks);
	free(C->sbuf);
	free(C);
	return rc;
}

int lbc_compile(const struct lbc_input *in, struct lbc_output *out, char *errbuf, size_t errlen)
{
	int cached = 0;
	int rc = compile1(in, out, errbuf, errlen, 0, &cached);
	/* registers kept for a reused map read may be what the handler ran
	 * out of: then compile it as before, with that error if it fails */
	if (rc && cached)
		rc = compile1(in, out, errbuf, errlen, 1, &cached);
	return rc;
}
