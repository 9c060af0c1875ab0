/* buf.c: growable byte buffers for connection input and output. */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

void buf_reserve(struct buf *b, size_t n)
{
    if (b->cap - b->len >= n)
        return;
    /* Reclaim consumed space before growing. */
    if (b->off > 0) {
        memmove(b->p, b->p + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
        if (b->cap - b->len >= n)
            return;
    }
    size_t cap = b->cap ? b->cap : 512;
    while (cap - b->len < n)
        cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
}

void buf_append(struct buf *b, const void *data, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

void buf_consume(struct buf *b, size_t n)
{
    b->off += n;
    if (b->off >= b->len)
        b->off = b->len = 0;
}

void buf_shrink(struct buf *b, size_t keep)
{
    if (b->len != b->off || b->cap <= keep)
        return;
    free(b->p);
    b->p = NULL;
    b->cap = b->len = b->off = 0;
}

void buf_free(struct buf *b)
{
    free(b->p);
    b->p = NULL;
    b->cap = b->len = b->off = 0;
}

int buf_msgpack_write(void *data, const char *bytes, size_t len)
{
    buf_append(data, bytes, len);
    return 0;
}
