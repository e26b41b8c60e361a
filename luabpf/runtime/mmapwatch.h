/* Executable mappings of every process as the kernel reports them
 * (perf's mmap2, exec, fork and exit records), fed to lb_syms. */
#ifndef LUABPF_MMAPWATCH_H
#define LUABPF_MMAPWATCH_H

#include <stddef.h>

struct lb_mmapwatch;
struct lb_syms;

/* One watch per CPU; NULL with why in err. */
struct lb_mmapwatch *lb_mmapwatch_open(int ncpus, char *err, size_t errlen);
void lb_mmapwatch_free(struct lb_mmapwatch *w);
/* Its descriptors, for a poll (readable when half full: read it at
 * every poll anyway). */
int lb_mmapwatch_count(const struct lb_mmapwatch *w);
int lb_mmapwatch_fd(const struct lb_mmapwatch *w, int i);
/* Take what the kernel reported into s (about process only, if > 0). */
void lb_mmapwatch_read(struct lb_mmapwatch *w, struct lb_syms *s, int only);

#endif
