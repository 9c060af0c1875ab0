/* xmalloc.h: allocation wrappers that abort on out-of-memory. Sizes taken
 * from the wire are bounded before they get here (see proto/mpscan.h). */
#ifndef EM_XMALLOC_H
#define EM_XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
/* Aligned to `align` (a power of two, a multiple of sizeof(void *)); free
 * with free(). */
void *xmalloc_aligned(size_t align, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
