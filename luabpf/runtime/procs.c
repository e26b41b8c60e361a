/* Processes and their file mappings, for user symbols and DWARF
 * unwinding: read from /proc/PID/maps, or told by the kernel's mmap
 * records (mmapwatch.c); kept when the process exits once it was
 * announced (its stacks were taken). Bounded: SYMS_PROCS processes, the
 * ones never announced, then the exited, then the least recently used
 * giving their place first. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "strlist.h"
#include "syms_impl.h"

void lb_proc_clear(struct proc *p)
{
	for (int i = 0; i < p->nmaps; i++)
		free(p->maps[i].path);
	free(p->maps);
	p->maps = NULL;
	p->nmaps = 0;
}

/* (Re-)read the file mappings of p->pid (code and data). */
void lb_proc_read(struct lb_syms *s, struct proc *p)
{
	char path[64];
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	struct lb_umap *v = NULL;
	int n = 0, c = 0;

	p->gen = s->gen;
	snprintf(path, sizeof path, "/proc/%d/maps", (int)p->pid);
	if (!(f = fopen(path, "re")))
		return; /* gone: keep what was read while it lived */
	while (getline(&line, &cap, f) > 0 && n < SYMS_MAPS) {
		unsigned long long start, end, off, ino;
		char perms[8];
		int pos = 0;
		char *name, *nl;

		if (sscanf(line, "%llx-%llx %7s %llx %*x:%*x %llu %n", &start, &end, perms, &off,
			   &ino, &pos) < 5 ||
		    !pos)
			continue;
		name = line + pos;
		if ((nl = strchr(name, '\n')))
			*nl = 0;
		/* files, and the vDSO (its code unwinds through its CFI) */
		if (!(ino && name[0] == '/') && strcmp(name, LB_VDSO))
			continue;
		if (n == c) {
			int nc = c ? c * 2 : 16;
			struct lb_umap *nv = realloc(v, (size_t)nc * sizeof *nv);

			if (!nv)
				break;
			v = nv;
			c = nc;
		}
		memset(&v[n], 0, sizeof v[n]);
		v[n].start = start;
		v[n].end = end;
		v[n].off = off;
		v[n].ino = ino;
		v[n].exec = perms[2] == 'x';
		if (!(v[n].path = strdup(name)))
			break;
		n++;
	}
	free(line);
	fclose(f);
	if (!n) { /* exited (a zombie has no mappings): keep the old ones */
		free(v);
		return;
	}
	lb_proc_clear(p);
	p->maps = v;
	p->nmaps = n;
	p->nmissed = 0;
}

struct proc *lb_proc_find_pid(struct lb_syms *s, pid_t pid)
{
	if (s->lastproc < s->nprocs && s->procs[s->lastproc].pid == pid) {
		s->procs[s->lastproc].used = ++s->clock;
		return &s->procs[s->lastproc];
	}
	int h = s->hint[(unsigned)pid % (SYMS_PROCS * 4)] - 1;

	if (h >= 0 && h < s->nprocs && s->procs[h].pid == pid) {
		s->procs[h].used = ++s->clock;
		s->lastproc = h;
		return &s->procs[h];
	}
	for (int i = 0; i < s->nprocs; i++)
		if (s->procs[i].pid == pid) {
			s->procs[i].used = ++s->clock;
			s->lastproc = i;
			s->hint[(unsigned)pid % (SYMS_PROCS * 4)] = (int16_t)(i + 1);
			return &s->procs[i];
		}
	return NULL;
}

/* Which process gives its slot: one never announced before one that
 * was, an exited one before a live one, then the least recently used. */
static int proc_worse(const struct proc *a, const struct proc *b)
{
	if (a->kept != b->kept)
		return a->kept < b->kept;
	if (a->dead != b->dead)
		return a->dead > b->dead;
	return a->used < b->used;
}

/* A new entry for pid, its mappings not read. */
static struct proc *proc_new(struct lb_syms *s, pid_t pid)
{
	struct proc *p;
	int slot;

	if (s->nprocs < SYMS_PROCS) {
		slot = s->nprocs++;
	} else {
		slot = 0;
		for (int i = 1; i < s->nprocs; i++)
			if (proc_worse(&s->procs[i], &s->procs[slot]))
				slot = i;
		lb_proc_clear(&s->procs[slot]);
	}
	p = &s->procs[slot];
	s->lastproc = slot;
	s->hint[(unsigned)pid % (SYMS_PROCS * 4)] = (int16_t)(slot + 1);
	memset(p, 0, sizeof *p);
	p->pid = pid;
	p->used = ++s->clock;
	return p;
}

struct proc *lb_proc_get(struct lb_syms *s, pid_t pid)
{
	struct proc *p = lb_proc_find_pid(s, pid);

	if (!p) {
		p = proc_new(s, pid);
		lb_proc_read(s, p);
	}
	return p;
}

struct lb_umap *lb_proc_find(struct proc *p, uint64_t addr)
{
	for (int i = 0; i < p->nmaps; i++)
		if (addr >= p->maps[i].start && addr < p->maps[i].end)
			return &p->maps[i];
	return NULL;
}

int lb_proc_missed(const struct proc *p, uint64_t addr)
{
	for (unsigned i = 0; i < p->nmissed && i < 16; i++)
		if (p->missed[i] == addr >> 12)
			return 1;
	return 0;
}

/* *module, when asked, is the path of the file holding a symbol found. */
void lb_syms_map_add(struct lb_syms *s, pid_t pid, uint64_t start, uint64_t end, uint64_t off,
		     uint64_t ino, const char *path)
{
	struct proc *p;
	struct lb_umap *v;
	int j = 0;

	if (!s || pid <= 0 || start >= end)
		return;
	if (!(p = lb_proc_find_pid(s, pid)))
		p = proc_new(s, pid);
	/* a new mapping replaces what it covers */
	for (int i = 0; i < p->nmaps; i++) {
		if (p->maps[i].start < end && p->maps[i].end > start) {
			free(p->maps[i].path);
			continue;
		}
		p->maps[j++] = p->maps[i];
	}
	p->nmaps = j;
	if (p->nmaps >= SYMS_MAPS || !(v = lb_append(p->maps, (size_t)p->nmaps, sizeof *v)))
		return;
	p->maps = v;
	v[p->nmaps].start = start;
	v[p->nmaps].end = end;
	v[p->nmaps].off = off;
	v[p->nmaps].ino = ino;
	v[p->nmaps].exec = 1;
	if ((v[p->nmaps].path = strdup(path)))
		p->nmaps++;
	p->nmissed = 0;
}

void lb_syms_scan(struct lb_syms *s, pid_t only)
{
	DIR *d;
	struct dirent *e;
	int n = 0;

	if (!s)
		return;
	if (only > 0) {
		if (!lb_proc_find_pid(s, only))
			lb_proc_get(s, only);
		return;
	}
	if (!(d = opendir("/proc")))
		return;
	while ((e = readdir(d)) && n < SYMS_PROCS / 2) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end || pid <= 0 || lb_proc_find_pid(s, (pid_t)pid))
			continue;
		lb_proc_get(s, (pid_t)pid);
		n++;
	}
	closedir(d);
}

void lb_syms_fork(struct lb_syms *s, pid_t ppid, pid_t pid)
{
	struct proc *pp, *p;
	int n;

	if (!s || !(pp = lb_proc_find_pid(s, ppid)) || !pp->nmaps)
		return;
	n = pp->nmaps;
	if (!(p = lb_proc_find_pid(s, pid)))
		p = proc_new(s, pid);
	else
		lb_proc_clear(p);
	pp = lb_proc_find_pid(s, ppid); /* proc_new may have taken its slot */
	if (!pp || !(p->maps = calloc((size_t)n, sizeof *p->maps)))
		return;
	for (int i = 0; i < n; i++) {
		p->maps[i] = pp->maps[i];
		p->maps[i].file = 0;
		p->maps[i].failed = 0;
		if (!(p->maps[i].path = strdup(pp->maps[i].path)))
			break;
		p->nmaps = i + 1;
	}
	p->dead = 0;
}

void lb_syms_exec(struct lb_syms *s, pid_t pid)
{
	struct proc *p = s ? lb_proc_find_pid(s, pid) : NULL;

	if (p) {
		lb_proc_clear(p);
		p->dead = 0;
	}
}

void lb_syms_exit(struct lb_syms *s, pid_t pid)
{
	struct proc *p = s ? lb_proc_find_pid(s, pid) : NULL;

	if (p)
		p->dead = 1;
}

const struct lb_umap *lb_syms_mappings(struct lb_syms *s, pid_t pid, int reread, int *n)
{
	struct proc *p;

	*n = 0;
	if (!s || pid <= 0)
		return NULL;
	p = lb_proc_get(s, pid);
	if (reread)
		lb_proc_read(s, p);
	*n = p->nmaps;
	return p->maps;
}

int lb_syms_open(pid_t pid, const struct lb_umap *m)
{
	char p[SYMS_PATH];
	int fd;

	if (m->path[0] != '/')
		return -1; /* the vDSO */

	snprintf(p, sizeof p, "/proc/%d/map_files/%llx-%llx", (int)pid,
		 (unsigned long long)m->start, (unsigned long long)m->end);
	fd = lb_open_checked(p, (ino_t)m->ino);
	if (fd < 0 && snprintf(p, sizeof p, "/proc/%d/root%s", (int)pid, m->path) < (int)sizeof p)
		fd = lb_open_checked(p, (ino_t)m->ino);
	if (fd < 0)
		fd = lb_open_checked(m->path, (ino_t)m->ino);
	return fd;
}
