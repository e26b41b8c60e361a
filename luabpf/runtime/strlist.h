/* Growing, sortable lists of strings (strlist.c). */
#ifndef LUABPF_STRLIST_H
#define LUABPF_STRLIST_H

#define LB_MAX_LIST (1 << 20) /* names in one list */

int lb_strings_push(char ***v, int *n, int *cap, const char *s);
void lb_strings_sort_uniq(char **v, int *n); /* sort, drop repeats */
void lb_free_strings(char **v, int n);

#endif
