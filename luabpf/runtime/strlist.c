/* Growing lists: sortable lists of strings (tracepoint, function and
 * probe names for wildcards and listings), and arrays grown one element
 * at a time. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "strlist.h"

void *lb_append(void *v, size_t n, size_t size)
{
	char *nv;

	if (n >= SIZE_MAX / size - 1 || !(nv = realloc(v, (n + 1) * size)))
		return NULL;
	memset(nv + n * size, 0, size);
	return nv;
}

int lb_strings_push(char ***v, int *n, int *cap, const char *s)
{
	if (*n >= LB_MAX_LIST)
		return -1;
	if (*n == *cap) {
		int c = *cap ? *cap * 2 : 64;
		char **nv = realloc(*v, (size_t)c * sizeof *nv);

		if (!nv)
			return -1;
		*v = nv;
		*cap = c;
	}
	if (!((*v)[*n] = strdup(s)))
		return -1;
	(*n)++;
	return 0;
}

void lb_free_strings(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void lb_strings_sort_uniq(char **v, int *n)
{
	int j = 0;

	if (!*n)
		return;
	qsort(v, (size_t)*n, sizeof *v, by_str);
	for (int i = 0; i < *n; i++) {
		if (j && !strcmp(v[i], v[j - 1]))
			free(v[i]);
		else
			v[j++] = v[i];
	}
	*n = j;
}
