/* Session maps: created once, shared by every probe program. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <linux/capability.h>
#include "runtime.h"

static uint32_t max_entries(const struct lb_mapopts *o)
{
	return o->max_entries ? o->max_entries : LB_MAP_ENTRIES;
}

/* A keyless per-CPU aggregate (m.calls = count(), h.lat = hist(x)) is a
 * cell: a one-entry per-CPU array whose value ends with a word handlers
 * set to 1, so an untouched or cleared one reads as absent. A handler
 * finds it without hashing a key: 35-40 ns less per event here. Its
 * set word's offset, or 0 for a map with keys. */
unsigned lb_map_cell(const struct lb_session *s, int i)
{
	const struct lb_mapdesc *d = &s->maps[i];

	if (!d->percpu || d->nkeys != 1 || d->keytype[0] != LB_KEY_NONE || s->mapopts[i].lru)
		return 0;
	return (d->value_size + 7u) / 8 * 8;
}

static enum bpf_map_type map_type(const struct lb_mapdesc *d, const struct lb_mapopts *o)
{
	if (o->lru)
		return d->percpu ? BPF_MAP_TYPE_LRU_PERCPU_HASH : BPF_MAP_TYPE_LRU_HASH;
	return d->percpu ? BPF_MAP_TYPE_PERCPU_HASH : BPF_MAP_TYPE_HASH;
}

/* Keys and values when full; the kernel's per-element overhead aside. */
uint64_t lb_map_max_bytes(const struct lb_session *s, int i)
{
	const struct lb_mapdesc *d = &s->maps[i];
	uint64_t value = (uint64_t)(d->value_size + 7) / 8 * 8 * (d->percpu ? s->ncpus : 1);

	if (lb_map_cell(s, i))
		return (uint64_t)(lb_map_cell(s, i) + 8) * s->ncpus;

	return (uint64_t)max_entries(&s->mapopts[i]) * (d->key_size + value);
}

int lb_map_create(struct lb_session *s, int i, char *err, size_t errlen)
{
	struct lb_mapdesc *d = &s->maps[i];
	const struct lb_mapopts *o = &s->mapopts[i];
	/* a big map takes memory as keys arrive (one lhist key must not
	 * cost max_entries of them); small ones are preallocated, since an
	 * allocation can fail under load where a preallocated slot cannot */
	LIBBPF_OPTS(bpf_map_create_opts, opts,
		    .map_flags = o->lru || lb_map_max_bytes(s, i) <= LB_PREALLOC_MAX
				     ? 0
				     : BPF_F_NO_PREALLOC);
	char name[16];
	int fd;

	if (s->map_fd[i] >= 0)
		return 0;
	if (d->nkeys == 0) /* no handler uses it: nothing to create */
		return 0;
	/* kernel map names: 15 chars of [A-Za-z0-9_.] */
	snprintf(name, sizeof name, "lb_%.12s", d->name);
	for (char *p = name; *p; p++)
		if (!(*p == '_' || *p == '.' || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			*p = '_';
	if (lb_map_cell(s, i)) {
		opts.map_flags = 0;
		fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, name, 4, lb_map_cell(s, i) + 8, 1,
				    &opts);
	} else {
		fd = bpf_map_create(map_type(d, o), name, d->key_size, d->value_size,
				    max_entries(o), &opts);
	}
	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "cannot create map @%s: %s%s", d->name, strerror(e),
			 e == EPERM ? lb_lacks(CAP_BPF) : "");
		return -1;
	}
	s->map_fd[i] = fd;
	return 0;
}

size_t lb_map_value_len(const struct lb_mapdesc *d)
{
	switch (d->valkind) {
	case LB_VAL_AVG:
	case LB_VAL_STATS: return 2;
	case LB_VAL_HIST:
	case LB_VAL_LHIST:
	case LB_VAL_STR:
	case LB_VAL_ARRAY: return d->value_size / 8;
	}
	return 1;
}

/* One value from its per-CPU copies (buf: cpus x words), as
 * lb_map_value says; 1 if absent. */
static int combine(const struct lb_mapdesc *d, int cpus, const int64_t *buf, size_t words,
		   int64_t *out)
{
	size_t n = lb_map_value_len(d);
	int set = 0;

	memset(out, 0, n * sizeof *out);
	for (int c = 0; c < cpus; c++) {
		const int64_t *v = buf + (size_t)c * words;

		switch (d->valkind) {
		case LB_VAL_MIN:
		case LB_VAL_MAX:
			if (v[1] &&
			    (!set || (d->valkind == LB_VAL_MIN ? v[0] < out[0] : v[0] > out[0])))
				out[0] = v[0];
			set |= v[1] != 0;
			break;
		default: /* every other kind adds up word by word */
			for (size_t w = 0; w < n; w++)
				out[w] += v[w];
			set = 1;
		}
	}
	return !set;
}

/* Every CPU's copy of a cell (ncpus x (cell / 8 + 1) words, the set word
 * last), or NULL; *set: whether some CPU's is set. */
static int64_t *cell_read(struct lb_session *s, int i, int *set)
{
	size_t words = lb_map_cell(s, i) / 8 + 1;
	int64_t *buf = calloc((size_t)s->ncpus, words * 8);
	uint32_t zero = 0;

	*set = 0;
	if (buf && bpf_map_lookup_elem(s->map_fd[i], &zero, buf)) {
		free(buf);
		return NULL;
	}
	for (int c = 0; buf && c < s->ncpus; c++)
		*set |= buf[(size_t)c * words + words - 1] != 0;
	return buf;
}

/* A cell gets buf (ncpus copies), or zeros when buf is NULL. */
static int cell_write(struct lb_session *s, int i, int64_t *buf)
{
	size_t bytes = (size_t)s->ncpus * (lb_map_cell(s, i) + 8);
	int64_t *zeros = buf ? NULL : calloc(1, bytes);
	uint32_t zero = 0;
	int r;

	if (!buf && !zeros)
		return -1;
	r = bpf_map_update_elem(s->map_fd[i], &zero, buf ? buf : zeros, BPF_ANY);
	free(zeros);
	return r ? -1 : 0;
}

int lb_map_value(struct lb_session *s, int i, const void *key, int64_t *out)
{
	const struct lb_mapdesc *d = &s->maps[i];
	size_t words = (d->value_size + 7) / 8;
	int cpus = d->percpu ? s->ncpus : 1, absent, set;
	int64_t *buf;

	if (s->map_fd[i] < 0)
		return 1;
	if (lb_map_cell(s, i)) {
		if (!(buf = cell_read(s, i, &set)))
			return 1;
		absent = !set || combine(d, cpus, buf, words + 1, out);
		free(buf);
		return absent;
	}
	if (!(buf = calloc((size_t)cpus, words * 8)))
		return 1;
	if (bpf_map_lookup_elem(s->map_fd[i], key, buf)) {
		free(buf);
		return 1;
	}
	absent = combine(d, cpus, buf, words, out);
	free(buf);
	return absent;
}

/* Key by key: for kernels without batch lookups on this map. */
static int each_by_key(struct lb_session *s, int i, lb_map_fn fn, void *ud, int64_t *out)
{
	int64_t *own = out ? NULL : calloc(lb_map_value_len(&s->maps[i]), sizeof *own);
	void *keys;
	size_t n;
	int rc = 0;

	if (!out && !(out = own))
		return -1;
	if (lb_map_keys(s, i, &keys, &n)) {
		free(own);
		return -1;
	}
	for (size_t k = 0; k < n && rc == 0; k++) {
		const char *key = (char *)keys + k * s->maps[i].key_size;

		if (lb_map_value(s, i, key, out) == 0)
			rc = fn(ud, key, out);
	}
	free(keys);
	free(own);
	return rc;
}

/* Batches of entries (keys and every CPU's value in one system call):
 * a 10,000-key map reads in a few ms instead of 20,000 calls. */
int lb_map_each(struct lb_session *s, int i, lb_map_fn fn, void *ud)
{
	const struct lb_mapdesc *d = &s->maps[i];
	size_t words = (d->value_size + 7) / 8, ks = d->key_size;
	int cpus = d->percpu ? s->ncpus : 1, rc = 0, first = 1;
	/* the kernel packs plain values at value_size, per-CPU ones at 8 */
	size_t stride = d->percpu ? (size_t)cpus * words * 8 : d->value_size;
	uint32_t chunk = (uint32_t)(1048576 / stride + 1), got;
	char *keys = NULL, *vals = NULL, *in = NULL, *out = NULL;
	int64_t *one = NULL, *value = NULL;

	if (s->map_fd[i] < 0)
		return 0;
	if (lb_map_cell(s, i)) /* one key, 8 zero bytes */
		return each_by_key(s, i, fn, ud, NULL);
	if (chunk > max_entries(&s->mapopts[i]))
		chunk = max_entries(&s->mapopts[i]);
	keys = malloc(chunk * ks);
	vals = malloc(chunk * stride);
	in = calloc(1, ks < 8 ? 8 : ks);
	out = calloc(1, ks < 8 ? 8 : ks);
	one = calloc((size_t)cpus, words * 8);
	value = calloc(lb_map_value_len(d), sizeof *value);
	if (!keys || !vals || !in || !out || !one || !value) {
		rc = -1;
		goto done;
	}
	for (;;) {
		LIBBPF_OPTS(bpf_map_batch_opts, opts);
		int e = 0;

		got = chunk;
		if (bpf_map_lookup_batch(s->map_fd[i], first ? NULL : in, out, keys, vals, &got,
					 &opts))
			e = errno;
		if (e && e != ENOENT) {
			/* no batch ops here (EINVAL, ENOTSUPP), or a hash bucket
			 * longer than the chunk (ENOSPC): one key at a time */
			if (first)
				rc = each_by_key(s, i, fn, ud, value);
			else
				rc = -1;
			goto done;
		}
		first = 0;
		for (uint32_t k = 0; k < got && rc == 0; k++) {
			memcpy(one, vals + k * stride, stride);
			if (combine(d, cpus, one, words, value) == 0)
				rc = fn(ud, keys + k * ks, value);
		}
		if (e == ENOENT || rc)
			break;
		memcpy(in, out, ks < 8 ? 8 : ks);
	}
done:
	free(keys);
	free(vals);
	free(in);
	free(out);
	free(one);
	free(value);
	return rc;
}

int lb_map_dropped_add(struct lb_session *s, int i)
{
	uint32_t k = (uint32_t)i;
	uint64_t per_cpu[s->ncpus > 0 ? s->ncpus : 1];

	memset(per_cpu, 0, sizeof per_cpu);
	if (s->dropped_fd >= 0 && !bpf_map_lookup_elem(s->dropped_fd, &k, per_cpu)) {
		per_cpu[0]++;
		bpf_map_update_elem(s->dropped_fd, &k, per_cpu, BPF_ANY);
	}
	return -1;
}

int lb_map_add(struct lb_session *s, int i, const void *key, int64_t x)
{
	const struct lb_mapdesc *d = &s->maps[i];
	size_t words = (d->value_size + 7) / 8;
	int cpus = d->percpu ? s->ncpus : 1, rc;
	int64_t *buf;

	if (s->map_fd[i] < 0)
		return -1;
	if (lb_map_cell(s, i)) { /* CPU 0's copy, set */
		int set;

		if (!(buf = cell_read(s, i, &set)))
			return -1;
		buf[0] += x;
		buf[words] = 1;
		rc = cell_write(s, i, buf);
		free(buf);
		return rc;
	}
	if (!(buf = calloc((size_t)cpus, words * 8)))
		return -1;
	if (bpf_map_lookup_elem(s->map_fd[i], key, buf))
		memset(buf, 0, (size_t)cpus * words * 8);
	buf[0] += x;
	rc = bpf_map_update_elem(s->map_fd[i], key, buf, BPF_ANY);
	free(buf);
	return rc && errno == E2BIG ? lb_map_dropped_add(s, i) : rc ? -1 : 0;
}

int lb_map_update(struct lb_session *s, int i, const void *key, const void *value)
{
	const struct lb_mapdesc *d = &s->maps[i];

	if (d->percpu) { /* the value on CPU 0, the others zero: they add up */
		unsigned cell = lb_map_cell(s, i);
		size_t w = cell ? (size_t)cell + 8 : ((size_t)d->value_size + 7) / 8 * 8;
		char *v = calloc((size_t)s->ncpus, w);
		int r;

		if (!v)
			return -1;
		memcpy(v, value, d->value_size);
		if (cell) {
			*(int64_t *)(v + cell) = 1;
			r = cell_write(s, i, (int64_t *)v);
			free(v);
			return r;
		}
		r = bpf_map_update_elem(s->map_fd[i], key, v, BPF_ANY);
		free(v);
		return r;
	}
	return bpf_map_update_elem(s->map_fd[i], key, value, BPF_ANY);
}

int lb_map_delete(struct lb_session *s, int i, const void *key)
{
	if (s->map_fd[i] < 0)
		return 0;
	if (lb_map_cell(s, i))
		return cell_write(s, i, NULL);
	return bpf_map_delete_elem(s->map_fd[i], key) && errno != ENOENT ? -1 : 0;
}

int lb_map_keys(struct lb_session *s, int i, void **keys, size_t *n)
{
	size_t ks = s->maps[i].key_size, cap = 0;
	char *v = NULL, *prev = NULL;

	*keys = NULL;
	*n = 0;
	if (s->map_fd[i] < 0)
		return 0;
	if (lb_map_cell(s, i)) {
		int set;
		int64_t *buf = cell_read(s, i, &set);

		free(buf);
		if (!buf)
			return -1;
		if (set && !(*keys = calloc(1, ks)))
			return -1;
		*n = set;
		return 0;
	}
	while (*n < max_entries(&s->mapopts[i])) { /* bounded: keys come and go meanwhile */
		if (*n == cap) {
			char *nv = realloc(v, (cap = cap ? cap * 2 : 64) * ks);

			if (!nv) {
				free(v);
				return -1;
			}
			v = nv;
		}
		prev = *n ? v + (*n - 1) * ks : NULL;
		if (bpf_map_get_next_key(s->map_fd[i], prev, v + *n * ks))
			break;
		(*n)++;
	}
	*keys = v;
	return 0;
}

int lb_map_clear(struct lb_session *s, int i)
{
	void *keys;
	size_t n;

	if (lb_map_cell(s, i))
		return s->map_fd[i] < 0 ? 0 : cell_write(s, i, NULL);
	if (lb_map_keys(s, i, &keys, &n))
		return -1;
	for (size_t k = 0; k < n; k++)
		bpf_map_delete_elem(s->map_fd[i], (char *)keys + k * s->maps[i].key_size);
	free(keys);
	return 0;
}

uint64_t lb_map_dropped(struct lb_session *s, int i)
{
	uint64_t per_cpu[s->ncpus], total = 0;
	uint32_t key = (uint32_t)i;

	memset(per_cpu, 0, sizeof per_cpu); /* valgrind cannot see the kernel fill it */
	if (s->dropped_fd < 0 || bpf_map_lookup_elem(s->dropped_fd, &key, per_cpu))
		return 0;
	for (int c = 0; c < s->ncpus; c++)
		total += per_cpu[c];
	return total;
}
