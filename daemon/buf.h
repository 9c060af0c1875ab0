/* buf.h: growable byte buffers for connection input and output. */
#ifndef EM_BUF_H
#define EM_BUF_H

#include <stddef.h>

#include "conn.h"

/* Bytes not yet consumed. */
static inline size_t buf_pending(const struct buf *b)
{
    return b->len - b->off;
}

/* Makes room for at least n more bytes after len, compacting first. */
void buf_reserve(struct buf *b, size_t n);

void buf_append(struct buf *b, const void *data, size_t n);

/* Marks n bytes consumed; resets to empty when everything is. */
void buf_consume(struct buf *b, size_t n);

/* Frees memory beyond `keep` bytes of capacity when the buffer is empty,
 * so idle connections stay small. */
void buf_shrink(struct buf *b, size_t keep);

void buf_free(struct buf *b);

/* msgpack_packer write callback over a struct buf. */
int buf_msgpack_write(void *data, const char *bytes, size_t len);

#endif
