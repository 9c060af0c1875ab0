/* fuzz_frame.c: libFuzzer harness for the decoding a connection does
 * before dispatch: the bounded frame scanner (proto/mpscan.c) resumed
 * over a stream that arrives in chunks, then msgpack-c's unpacker on each
 * frame it accepts, as conn.c and rpc.c use them.
 *
 * What must hold, besides no crash, leak or undefined behaviour:
 * - scanning in chunks finds the same frames and the same verdict as
 *   scanning all the bytes at once;
 * - a frame is never longer than the limit, nor than the bytes given;
 * - the unpacker decodes every accepted frame whole, to its last byte
 *   (with an allocation bounded by libFuzzer's malloc limit).
 *
 * Input layout (tests/fuzz/make_corpus.py writes it):
 *   byte 0      max depth, 1 + b % 32 (msgpack-c's own limit is 32)
 *   byte 1      max bytes, one of limits[] below
 *   byte 2      largest chunk (0: all at once)
 *   byte 3      seed of the chunk sizes
 *   the rest    the byte stream */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <msgpack.h>

#include "mpscan.h"
#include "fuzz_rand.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const size_t limits[] = {1, 9, 16, 64, 300, 4096, 16384, 65536};

/* The verdict on the frame starting at p when all avail bytes are there
 * at once: the reference the chunked scan must agree with. */
static enum mpscan_result scan_whole(const uint8_t *p, size_t avail,
                                     size_t max_bytes, int depth,
                                     size_t *objlen)
{
    struct mpscan s;
    mpscan_reset(&s);
    return mpscan_feed(&s, p, avail, max_bytes, depth, objlen);
}

/* A frame the scanner accepted must decode whole, and only to its end. */
static void decode(const uint8_t *p, size_t len)
{
    msgpack_zone zone;
    msgpack_zone_init(&zone, 2048);
    msgpack_object obj;
    size_t off = 0;
    msgpack_unpack_return r =
        msgpack_unpack((const char *)p, len, &off, &zone, &obj);
    if (r != MSGPACK_UNPACK_SUCCESS || off != len)
        abort();
    msgpack_zone_destroy(&zone);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    int depth = 1 + data[0] % 32;
    size_t max_bytes = limits[data[1] % (sizeof limits / sizeof limits[0])];
    unsigned max_chunk = data[2];
    uint32_t seed = data[3];
    const uint8_t *in = data + 4;
    size_t len = size - 4;

    struct mpscan s;
    mpscan_reset(&s);
    size_t start = 0, have = 0; /* frame start; bytes arrived so far */
    while (have < len) {
        size_t n = len - have;
        if (max_chunk > 0) {
            size_t want = 1 + next_rand(&seed) % max_chunk;
            if (want < n)
                n = want;
        }
        have += n;
        /* Frames complete in what has arrived, one after the other. */
        for (;;) {
            size_t objlen = 0, whole_len = 0;
            size_t avail = have - start;
            if (avail == 0)
                break;
            enum mpscan_result r =
                mpscan_feed(&s, in + start, avail, max_bytes, depth, &objlen);
            enum mpscan_result w =
                scan_whole(in + start, avail, max_bytes, depth, &whole_len);
            if (r != w)
                abort();
            if (r == MPSCAN_MORE)
                break;
            if (r != MPSCAN_DONE)
                return 0; /* the connection would answer and close */
            if (objlen != whole_len || objlen == 0 || objlen > avail ||
                objlen > max_bytes)
                abort();
            decode(in + start, objlen);
            start += objlen;
            mpscan_reset(&s);
        }
    }
    return 0;
}
