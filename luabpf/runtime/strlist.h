/* Growing lists (strlist.c): sortable lists of strings, and arrays grown
 * one element at a time. */
#ifndef LUABPF_STRLIST_H
#define LUABPF_STRLIST_H

#include <stddef.h>

#define LB_MAX_LIST (1 << 20) /* names in one list */

/* The array v of n elements of size bytes with one more at its end,
 * zeroed, or NULL (v as it was). One realloc per element: for the short
 * lists of a session (probes, programs, links, names, fields, sites);
 * the caller stores the array and counts the element in once it is set. */
void *lb_append(void *v, size_t n, size_t size);

int lb_strings_push(char ***v, int *n, int *cap, const char *s);
void lb_strings_sort_uniq(char **v, int *n); /* sort, drop repeats */
void lb_free_strings(char **v, int n);

#endif
