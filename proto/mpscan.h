/* mpscan.h: finds where one MessagePack object ends, bounding its size and
 * depth before msgpack-c's unpacker (which trusts length headers) sees it. */
#ifndef EM_MPSCAN_H
#define EM_MPSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The deepest nesting the scanner can track. msgpack-c's own unpacker gives
 * up past 32 (as out-of-memory), so callers should keep max_depth <= 32. */
#define MPSCAN_MAX_DEPTH 64

enum mpscan_result {
    MPSCAN_DONE,      /* one whole object; its length is in *objlen */
    MPSCAN_MORE,      /* the object goes on past the bytes given so far */
    MPSCAN_TOO_LARGE, /* the object is, or is declared to be, over max_bytes */
    MPSCAN_TOO_DEEP,  /* containers nest deeper than max_depth */
    MPSCAN_INVALID    /* byte 0xc1, which MessagePack never uses */
};

/* Scans a byte stream for the end of one complete MessagePack object without
 * allocating, bounding size and depth, resumable across reads. */
struct mpscan {
    size_t off; /* bytes of the current object consumed so far */
    int depth;  /* containers currently open */
    uint32_t left[MPSCAN_MAX_DEPTH + 1]; /* elements still expected per open
                                          * container (maps count 2 per entry);
                                          * index 1 is the outermost */
    size_t skip;   /* payload bytes of a str/bin/ext still to skip */
    uint64_t need; /* fewest bytes past off that can still finish the object
                    * (1 per pending element, plus skip) */
    bool ended;    /* a final result was reached; later calls repeat it */
    enum mpscan_result result; /* that final result, when ended */
};

/* Prepares s for the first byte of a new object. */
void mpscan_reset(struct mpscan *s);

/* buf/len: ALL bytes of the current object received so far (the same start
 * each call; len only grows). Continues from where the last call stopped, so
 * a stream arriving in tiny chunks costs O(n) in total; never reads past
 * buf + len and never allocates.
 *
 * DONE: *objlen = total length of the object (bytes after it belong to the
 * next object; mpscan_reset before scanning that one). MORE: need more bytes.
 * TOO_LARGE: the object is longer than max_bytes, or a length header or count
 * makes that certain (each pending element needs at least one byte), checked
 * as soon as the header is complete. TOO_DEEP: nesting deeper than max_depth
 * (a top-level scalar is depth 0, [1] and [] are depth 1, [[1]] depth 2;
 * max_depth is clamped to MPSCAN_MAX_DEPTH). INVALID: byte 0xc1, or len
 * shrank below what was already consumed. DONE, TOO_LARGE, TOO_DEEP and
 * INVALID are final: calling again returns the same result.
 *
 * Once DONE, every declared count and length is backed by bytes inside
 * objlen, so msgpack_unpack_next on exactly objlen bytes allocates at most a
 * small multiple of objlen (about 24 bytes per element). */
enum mpscan_result mpscan_feed(struct mpscan *s, const uint8_t *buf, size_t len,
                               size_t max_bytes, int max_depth, size_t *objlen);

#endif
