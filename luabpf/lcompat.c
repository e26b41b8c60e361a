/* 64-bit integers between the kernel and any Lua (see lcompat.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lcompat.h"

#if LUA_VERSION_NUM >= 503

void lb_pushint64(lua_State *L, int64_t v)
{
	lua_pushinteger(L, (lua_Integer)v);
}

int lb_toint64(lua_State *L, int idx, int64_t *v)
{
	int ok;

	*v = (int64_t)lua_tointegerx(L, idx, &ok);
	return ok;
}

#else

#define EXACT ((int64_t)1 << 53)	 /* doubles hold every integer up to here */
#define INT64_MAKER "luabpf.int64_maker" /* registry: cdata maker, or false */
#define LUA_TCDATA 10			 /* LuaJIT's type tag of FFI cdata */

/* LuaJIT: a function making an int64_t cdata from a pointer to one
 * (lightuserdata); false where there is no FFI (PUC Lua 5.1). */
static int push_maker(lua_State *L)
{
	static const char src[] = "local ok, ffi = pcall(require, 'ffi')\n"
				  "if not ok or not jit then return false end\n"
				  "local p = ffi.typeof('int64_t *')\n"
				  "return function(ud) return ffi.cast(p, ud)[0] end\n";

	lua_getfield(L, LUA_REGISTRYINDEX, INT64_MAKER);
	if (!lua_isnil(L, -1))
		return lua_toboolean(L, -1);
	lua_pop(L, 1);
	if (luaL_loadstring(L, src) || lua_pcall(L, 0, 1, 0)) {
		lua_pop(L, 1);
		lua_pushboolean(L, 0);
	}
	lua_pushvalue(L, -1);
	lua_setfield(L, LUA_REGISTRYINDEX, INT64_MAKER);
	return lua_toboolean(L, -1);
}

void lb_pushint64(lua_State *L, int64_t v)
{
	char text[24];

	if (v >= -EXACT && v <= EXACT) {
		lua_pushnumber(L, (lua_Number)v);
		return;
	}
	if (push_maker(L)) {
		lua_pushlightuserdata(L, &v);
		lua_call(L, 1, 1); /* copies *(&v) into a new cdata */
		return;
	}
	lua_pop(L, 1);
	snprintf(text, sizeof text, "%" PRId64, v);
	lua_pushstring(L, text);
}

/* "-12", "12LL", "18446744073709551615ULL" (an int64 cdata's tostring):
 * exactly, two's complement for unsigned ones past INT64_MAX. */
static int parse_int(const char *s, int64_t *v)
{
	char *end;
	int neg = s[0] == '-';

	errno = 0;
	if (neg) {
		long long x = strtoll(s, &end, 10);

		*v = x;
	} else {
		unsigned long long x = strtoull(s, &end, 10);

		*v = (int64_t)x;
	}
	if (end == s || errno || (*end && strcmp(end, "LL") && strcmp(end, "ULL")))
		return 0;
	if (*end == 'U')
		return !neg;
	return neg || *v >= 0; /* past INT64_MAX only as an unsigned cdata */
}

int lb_toint64(lua_State *L, int idx, int64_t *v)
{
	int ok = 0;

	switch (lua_type(L, idx)) {
	case LUA_TNUMBER: {
		lua_Number n = lua_tonumber(L, idx);

		if (n >= -9223372036854775808.0 && n < 9223372036854775808.0 &&
		    (lua_Number)(int64_t)n == n) {
			*v = (int64_t)n;
			return 1;
		}
		return 0;
	}
	case LUA_TSTRING: return parse_int(lua_tostring(L, idx), v);
	case LUA_TCDATA:
		if (luaL_callmeta(L, idx, "__tostring")) {
			ok = lua_type(L, -1) == LUA_TSTRING && parse_int(lua_tostring(L, -1), v);
			lua_pop(L, 1);
		}
		return ok;
	}
	return 0;
}

#endif

/* ---- a function's parameter count and string constants, from its
 * bytecode (lua_dump), in each VM's format: 5.4's and 5.3's ldump.c,
 * 5.1's, LuaJIT's lj_bcwrite.c. Only as far as the constants; any
 * surprise gives up (the compiler then goes without them). */

static int dump_writer(lua_State *L, const void *p, size_t sz, void *ud)
{
	struct lb_proto *k = ud;

	(void)L;
	if (k->len + sz > k->cap) {
		size_t cap = (k->len + sz) * 2;
		char *nd = realloc(k->dump, cap);

		if (!nd)
			return 1;
		k->dump = nd;
		k->cap = cap;
	}
	memcpy(k->dump + k->len, p, sz);
	k->len += sz;
	return 0;
}

struct reader {
	const unsigned char *p, *end;
};

static int rd_skip(struct reader *r, size_t n)
{
	if ((size_t)(r->end - r->p) < n)
		return -1;
	r->p += n;
	return 0;
}

static int rd_byte(struct reader *r, unsigned *x)
{
	if (r->p >= r->end)
		return -1;
	*x = *r->p++;
	return 0;
}

/* 5.4's sizes: most significant 7 bits first, the last byte has 0x80 */
static int rd_size54(struct reader *r, size_t *x)
{
	*x = 0;
	while (r->p < r->end) {
		unsigned char c = *r->p++;

		if (*x >> 50)
			return -1;
		*x = (*x << 7) | (c & 0x7f);
		if (c & 0x80)
			return 0;
	}
	return -1;
}

/* LuaJIT's ULEB128: least significant 7 bits first */
static int rd_uleb(struct reader *r, size_t *x)
{
	*x = 0;
	for (int shift = 0; r->p < r->end && shift < 63; shift += 7) {
		unsigned char c = *r->p++;

		*x |= (size_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
	}
	return -1;
}

/* little-endian fixed-size integers (5.1 and 5.3 dump them natively) */
static int rd_le(struct reader *r, int size, size_t *x)
{
	*x = 0;
	if ((size_t)(r->end - r->p) < (size_t)size)
		return -1;
	for (int i = size - 1; i >= 0; i--)
		*x = (*x << 8) | r->p[i];
	r->p += size;
	return 0;
}

static int add_string(struct lb_proto *k, const unsigned char *s, size_t n)
{
	if (k->count == LB_PROTO_KMAX)
		return -1;
	k->s[k->count] = (const char *)s;
	k->n[k->count++] = n;
	return 0;
}

/* Lua 5.4: header, upvalue count, source, lines, flags, code, constants */
static int read54(struct reader *r, struct lb_proto *k)
{
	size_t x, nk;

	if (rd_skip(r, 4 + 2 + 6 + 3 + 16 + 1) || rd_size54(r, &x) || rd_skip(r, x ? x - 1 : 0) ||
	    rd_size54(r, &x) || rd_size54(r, &x) || rd_skip(r, 3) || rd_size54(r, &x) ||
	    x > (size_t)(r->end - r->p) / 4 || rd_skip(r, x * 4) || rd_size54(r, &nk))
		return -1;
	for (size_t i = 0; i < nk; i++) {
		unsigned tag;

		if (rd_byte(r, &tag))
			return -1;
		if (tag == 3 || tag == 0x13) { /* integer, float */
			if (rd_skip(r, 8))
				return -1;
		} else if (tag == 4 || tag == 0x14) { /* short, long string */
			if (rd_size54(r, &x) || x == 0 || rd_skip(r, x - 1) ||
			    add_string(k, r->p - (x - 1), x - 1))
				return -1;
		} else if (tag != 0 && tag != 1 && tag != 0x11) { /* nil, false, true */
			return -1;
		}
	}
	return 0;
}

/* Lua 5.3: strings are a byte of size + 1 (0xff: a size_t follows) */
static int rd_str53(struct reader *r, size_t *n)
{
	unsigned b;

	if (rd_byte(r, &b))
		return -1;
	*n = b;
	if (b == 0xff && rd_le(r, 8, n))
		return -1;
	if (*n && rd_skip(r, *n - 1))
		return -1;
	*n = *n ? *n - 1 : 0;
	return 0;
}

static int read53(struct reader *r, struct lb_proto *k)
{
	size_t x, nk, n;
	unsigned np;

	if (rd_skip(r, 4 + 2 + 6) || r->end - r->p < 5 || memcmp(r->p, "\4\10\4\10\10", 5) ||
	    rd_skip(r, 5 + 16 + 1) || rd_str53(r, &n) || rd_skip(r, 8) || rd_byte(r, &np) ||
	    rd_skip(r, 2) || rd_le(r, 4, &x) || x > (size_t)(r->end - r->p) / 4 ||
	    rd_skip(r, x * 4) || rd_le(r, 4, &nk))
		return -1;
	k->nparams = (int)np;
	for (size_t i = 0; i < nk; i++) {
		unsigned tag;

		if (rd_byte(r, &tag))
			return -1;
		if (tag == 1) { /* boolean */
			if (rd_skip(r, 1))
				return -1;
		} else if (tag == 3 || tag == 0x13) { /* float, integer */
			if (rd_skip(r, 8))
				return -1;
		} else if (tag == 4 || tag == 0x14) {
			if (rd_str53(r, &n) || add_string(k, r->p - n, n))
				return -1;
		} else if (tag != 0) {
			return -1;
		}
	}
	return 0;
}

/* Lua 5.1: strings are a size_t of size + 1, then the bytes and a NUL */
static int read51(struct reader *r, struct lb_proto *k)
{
	size_t x, nk, n;
	unsigned np;

	if (r->end - r->p < 12 || memcmp(r->p + 5, "\0\1\4\10\4\10\0", 7) || rd_skip(r, 12) ||
	    rd_le(r, 8, &n) || rd_skip(r, n) || rd_skip(r, 8 + 1) || rd_byte(r, &np) ||
	    rd_skip(r, 2) || rd_le(r, 4, &x) || x > (size_t)(r->end - r->p) / 4 ||
	    rd_skip(r, x * 4) || rd_le(r, 4, &nk))
		return -1;
	k->nparams = (int)np;
	for (size_t i = 0; i < nk; i++) {
		unsigned tag;

		if (rd_byte(r, &tag))
			return -1;
		if (tag == 1) {
			if (rd_skip(r, 1))
				return -1;
		} else if (tag == 3) {
			if (rd_skip(r, 8))
				return -1;
		} else if (tag == 4) {
			if (rd_le(r, 8, &n) || n == 0 || rd_skip(r, n) ||
			    add_string(k, r->p - n, n - 1))
				return -1;
		} else if (tag != 0) {
			return -1;
		}
	}
	return 0;
}

/* LuaJIT: inner functions come first; the dumped function is the last
 * prototype. Its string constants are in its GC constants (kgc). */
static int readjit(struct reader *r, struct lb_proto *k)
{
	const unsigned char *last = NULL, *lend = NULL;
	size_t flags, x, nkgc, nbc;
	unsigned np, nuv;

	if (rd_skip(r, 4) || rd_uleb(r, &flags) || (flags & ~(size_t)0xf))
		return -1;
	if (!(flags & 2) && (rd_uleb(r, &x) || rd_skip(r, x))) /* chunk name */
		return -1;
	for (;;) { /* prototypes, each with its length; 0 ends */
		if (rd_uleb(r, &x))
			return -1;
		if (x == 0)
			break;
		last = r->p;
		if (rd_skip(r, x))
			return -1;
		lend = r->p;
	}
	if (!last)
		return -1;
	r->p = last;
	r->end = lend;
	if (rd_skip(r, 1) || rd_byte(r, &np) || rd_skip(r, 1) || rd_byte(r, &nuv) ||
	    rd_uleb(r, &nkgc) || rd_uleb(r, &x) || rd_uleb(r, &nbc))
		return -1;
	k->nparams = (int)np;
	if (!(flags & 2) && (rd_uleb(r, &x) || (x && (rd_uleb(r, &x) || rd_uleb(r, &x)))))
		return -1; /* debug info size, first line, line count */
	if (nbc > (size_t)(r->end - r->p) / 4 || rd_skip(r, nbc * 4) || rd_skip(r, 2 * nuv))
		return -1;
	for (size_t i = 0; i < nkgc; i++) {
		size_t tp, na, nh;

		if (rd_uleb(r, &tp))
			return -1;
		if (tp >= 5) { /* a string of tp - 5 bytes */
			if (rd_skip(r, tp - 5) || add_string(k, r->p - (tp - 5), tp - 5))
				return -1;
		} else if (tp == 2 || tp == 3 || tp == 4) { /* int64, uint64, complex */
			for (size_t j = 0; j < (tp == 4 ? 4u : 2u); j++)
				if (rd_uleb(r, &x))
					return -1;
		} else if (tp == 1) { /* a template table: its constant entries */
			if (rd_uleb(r, &na) || rd_uleb(r, &nh))
				return -1;
			for (size_t j = 0; j < na + 2 * nh; j++) {
				size_t kt;

				if (rd_uleb(r, &kt))
					return -1;
				if ((kt == 3 && rd_uleb(r, &x)) ||
				    (kt == 4 && (rd_uleb(r, &x) || rd_uleb(r, &x))) ||
				    (kt >= 5 && rd_skip(r, kt - 5)))
					return -1;
			}
		} /* 0: an inner function */
	}
	return 0;
}

int lb_proto_read(lua_State *L, int fn, struct lb_proto *k)
{
	struct reader r;
	int bad, rc = -1;

	memset(k, 0, sizeof *k);
	k->nparams = -1;
	lua_pushvalue(L, fn);
	bad = lua_dump(L, dump_writer, k, 0);
	lua_pop(L, 1);
	r.p = (const unsigned char *)k->dump;
	r.end = r.p + k->len;
	if (bad || k->len < 8)
		return -1;
	if (!memcmp(r.p, "\x1bLua\x54\x00\x19\x93\r\n\x1a\n", 12))
		rc = read54(&r, k);
	else if (!memcmp(r.p, "\x1bLua\x53\x00\x19\x93\r\n\x1a\n", 12))
		rc = read53(&r, k);
	else if (!memcmp(r.p, "\x1bLua\x51", 5))
		rc = read51(&r, k);
	else if (!memcmp(r.p, "\x1bLJ\x02", 4))
		rc = readjit(&r, k);
	if (rc)
		k->count = 0;
#if LUA_VERSION_NUM >= 502
	{
		lua_Debug ar;

		lua_pushvalue(L, fn);
		lua_getinfo(L, ">u", &ar);
		k->nparams = ar.nparams;
	}
#endif
	return rc;
}

/* fn's bytecode with its debug information, malloc'd (NULL: not dumpable) */
char *lb_dump(lua_State *L, int fn, size_t *len)
{
	struct lb_proto k;
	int bad;

	memset(&k, 0, sizeof k);
	lua_pushvalue(L, fn);
	bad = lua_dump(L, dump_writer, &k, 0);
	lua_pop(L, 1);
	if (bad || k.len < 8) {
		free(k.dump);
		return NULL;
	}
	*len = k.len;
	return k.dump;
}

/* The bytes of a dumped function that its dump inside its chunk's dump
 * repeats: everything after the header and its own source name (5.4,
 * 5.3, 5.1), or its prototypes (LuaJIT). A nested function's dump has
 * *pre (npre bytes: its empty source name) just before them. */
int lb_dump_body(const char *dump, size_t len, size_t *off, size_t *blen, const char **pre,
		 size_t *npre)
{
	struct reader r = {(const unsigned char *)dump, (const unsigned char *)dump + len};
	size_t x;

	if (len >= 12 && !memcmp(dump, "\x1bLua\x54\x00\x19\x93\r\n\x1a\n", 12)) {
		if (rd_skip(&r, 32) || rd_size54(&r, &x) || rd_skip(&r, x ? x - 1 : 0))
			return -1;
		*pre = "\x80"; /* a size of 0: no string */
		*npre = 1;
	} else if (len >= 12 && !memcmp(dump, "\x1bLua\x53\x00\x19\x93\r\n\x1a\n", 12)) {
		if (rd_skip(&r, 34) || rd_str53(&r, &x))
			return -1;
		*pre = ""; /* a byte 0: no string */
		*npre = 1;
	} else if (len >= 12 && !memcmp(dump, "\x1bLua\x51", 5)) {
		if (memcmp(dump + 5, "\0\1\4\10\4\10\0", 7) || rd_skip(&r, 12) ||
		    rd_le(&r, 8, &x) || rd_skip(&r, x))
			return -1;
		*pre = "\0\0\0\0\0\0\0"; /* a size_t 0: no string */
		*npre = 8;
	} else if (len >= 4 && !memcmp(dump, "\x1bLJ\x02", 4)) {
		if (rd_skip(&r, 4) || rd_uleb(&r, &x) || (x & ~(size_t)0xf) ||
		    (!(x & 2) && (rd_uleb(&r, &x) || rd_skip(&r, x))) || r.end == r.p ||
		    r.end[-1] != 0)
			return -1;
		r.end--; /* the 0 that ends the prototypes */
		*pre = "";
		*npre = 0;
	} else {
		return -1;
	}
	*off = (size_t)(r.p - (const unsigned char *)dump);
	*blen = (size_t)(r.end - r.p);
	return *blen ? 0 : -1;
}

void lb_proto_free(struct lb_proto *k)
{
	free(k->dump);
	k->dump = NULL;
}
