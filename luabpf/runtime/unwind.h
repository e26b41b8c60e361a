/* User stacks unwound in user space through DWARF CFI (libdw). */
#ifndef LUABPF_UNWIND_H
#define LUABPF_UNWIND_H

#include <stddef.h>
#include <stdint.h>

struct lb_session;
struct lb_unwinder; /* per session: a Dwfl per process, the unwound stacks */

/* An LB_REC_UNWIND record: unwind its stack, apply its update to the
 * session map: 0, or -1 if the record or the update is refused. With
 * printf_rec (LB_REC_UNWIND_PRINTF, room for LB_MAX_KEY bytes): the
 * printf record it carries, its stack set, copied there; its length. */
int lb_unwind_record(struct lb_session *s, const void *data, size_t size, void *printf_rec);
/* The frames of unwound stack id (LB_USTACK_UNWOUND | index), or NULL. */
const uint64_t *lb_unwound_stack(const struct lb_unwinder *w, uint32_t id, int *n);
void lb_unwinder_free(struct lb_unwinder *w);

#endif
