/* mpscan.c: a bounded, resumable scan for the end of one MessagePack object. */
#include "mpscan.h"

/* What a format byte starts. */
enum kind {
    K_SCALAR, /* the header is the whole value */
    K_BYTES,  /* str, bin or ext: a payload of n bytes follows the header */
    K_ARRAY,  /* n elements follow */
    K_MAP,    /* n entries (2n elements) follow */
    K_INVALID
};

/* One format: its kind, header size (format byte, length field and, for ext,
 * the type byte), and where n comes from: a big-endian length field of lenw
 * bytes right after the format byte, or the constant n when lenw is 0. */
struct fmt {
    uint8_t kind;
    uint8_t hsz;
    uint8_t lenw;
    uint8_t n;
};

/* Formats 0xc0..0xdf; the fix* ranges around them are decoded by hand. */
static const struct fmt fmts[32] = {
    [0x00] = {K_SCALAR, 1, 0, 0},  /* nil */
    [0x01] = {K_INVALID, 1, 0, 0}, /* never used */
    [0x02] = {K_SCALAR, 1, 0, 0},  /* false */
    [0x03] = {K_SCALAR, 1, 0, 0},  /* true */
    [0x04] = {K_BYTES, 2, 1, 0},   /* bin8 */
    [0x05] = {K_BYTES, 3, 2, 0},   /* bin16 */
    [0x06] = {K_BYTES, 5, 4, 0},   /* bin32 */
    [0x07] = {K_BYTES, 3, 1, 0},   /* ext8: length, then type */
    [0x08] = {K_BYTES, 4, 2, 0},   /* ext16 */
    [0x09] = {K_BYTES, 6, 4, 0},   /* ext32 */
    [0x0a] = {K_SCALAR, 5, 0, 0},  /* float32 */
    [0x0b] = {K_SCALAR, 9, 0, 0},  /* float64 */
    [0x0c] = {K_SCALAR, 2, 0, 0},  /* uint8 */
    [0x0d] = {K_SCALAR, 3, 0, 0},  /* uint16 */
    [0x0e] = {K_SCALAR, 5, 0, 0},  /* uint32 */
    [0x0f] = {K_SCALAR, 9, 0, 0},  /* uint64 */
    [0x10] = {K_SCALAR, 2, 0, 0},  /* int8 */
    [0x11] = {K_SCALAR, 3, 0, 0},  /* int16 */
    [0x12] = {K_SCALAR, 5, 0, 0},  /* int32 */
    [0x13] = {K_SCALAR, 9, 0, 0},  /* int64 */
    [0x14] = {K_BYTES, 2, 0, 1},   /* fixext1: type, then 1 byte */
    [0x15] = {K_BYTES, 2, 0, 2},   /* fixext2 */
    [0x16] = {K_BYTES, 2, 0, 4},   /* fixext4 */
    [0x17] = {K_BYTES, 2, 0, 8},   /* fixext8 */
    [0x18] = {K_BYTES, 2, 0, 16},  /* fixext16 */
    [0x19] = {K_BYTES, 2, 1, 0},   /* str8 */
    [0x1a] = {K_BYTES, 3, 2, 0},   /* str16 */
    [0x1b] = {K_BYTES, 5, 4, 0},   /* str32 */
    [0x1c] = {K_ARRAY, 3, 2, 0},   /* array16 */
    [0x1d] = {K_ARRAY, 5, 4, 0},   /* array32 */
    [0x1e] = {K_MAP, 3, 2, 0},     /* map16 */
    [0x1f] = {K_MAP, 5, 4, 0},     /* map32 */
};

/* The format that byte b starts. */
static struct fmt classify(uint8_t b)
{
    if (b <= 0x7f || b >= 0xe0)
        return (struct fmt){K_SCALAR, 1, 0, 0}; /* positive/negative fixint */
    if (b <= 0x8f)
        return (struct fmt){K_MAP, 1, 0, (uint8_t)(b & 0x0f)};
    if (b <= 0x9f)
        return (struct fmt){K_ARRAY, 1, 0, (uint8_t)(b & 0x0f)};
    if (b <= 0xbf)
        return (struct fmt){K_BYTES, 1, 0, (uint8_t)(b & 0x1f)}; /* fixstr */
    return fmts[b - 0xc0];
}

/* The big-endian unsigned integer of w bytes at p. */
static uint32_t read_be(const uint8_t *p, unsigned w)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < w; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Records a final result so later calls repeat it. */
static enum mpscan_result finish(struct mpscan *s, enum mpscan_result r)
{
    s->ended = true;
    s->result = r;
    return r;
}

/* Counts one value as complete, closing every container it completes in
 * turn; true when that finishes the top-level object. */
static bool value_done(struct mpscan *s)
{
    while (s->depth > 0) {
        if (--s->left[s->depth] > 0)
            return false;
        s->depth--;
    }
    return true;
}

/* True when the object cannot fit: it already spans off bytes and needs at
 * least s->need more. Done in 64 bits since need can pass 4 GiB. */
static bool over(const struct mpscan *s, size_t max_bytes)
{
    return (uint64_t)s->off + s->need > (uint64_t)max_bytes;
}

void mpscan_reset(struct mpscan *s)
{
    /* left[] is written when a container opens, before it is read: no need
     * to clear it for every request. */
    s->off = 0;
    s->depth = 0;
    s->skip = 0;
    s->ended = false;
    s->need = 1; /* the top-level value takes at least one byte */
    s->result = MPSCAN_MORE;
}

/* Consumes the header of the value starting at s->off; MPSCAN_MORE means
 * carry on scanning (or, when the header is incomplete, wait for bytes). */
static enum mpscan_result step(struct mpscan *s, const uint8_t *buf, size_t len,
                               size_t max_bytes, int max_depth, bool *done,
                               bool *stalled)
{
    struct fmt f = classify(buf[s->off]);
    uint64_t n;

    if (f.kind == K_INVALID)
        return finish(s, MPSCAN_INVALID);
    /* The header alone may already end past the limit. */
    if ((uint64_t)s->off + f.hsz - 1 + s->need > (uint64_t)max_bytes)
        return finish(s, MPSCAN_TOO_LARGE);
    if (len - s->off < f.hsz) {
        /* Re-read from off next time: headers are at most 9 bytes, so this
         * keeps the whole scan O(n). */
        *stalled = true;
        return MPSCAN_MORE;
    }
    n = f.lenw ? read_be(buf + s->off + 1, f.lenw) : f.n;
    s->off += f.hsz;
    s->need -= 1; /* this value's byte is now accounted for by its header */

    switch (f.kind) {
    case K_SCALAR: *done = value_done(s); return MPSCAN_MORE;
    case K_BYTES:
        s->need += n;
        if (over(s, max_bytes))
            return finish(s, MPSCAN_TOO_LARGE);
        if (n == 0)
            *done = value_done(s);
        else
            s->skip = (size_t)n;
        return MPSCAN_MORE;
    default: /* K_ARRAY, K_MAP */
        /* Empty containers count too: msgpack-c nests them the same way. */
        if (s->depth >= max_depth)
            return finish(s, MPSCAN_TOO_DEEP);
        if (f.kind == K_MAP)
            n *= 2;
        s->need += n;
        /* Each element takes at least a byte, so n elements that cannot fit
         * are caught here, before any of them arrives. A count past 32 bits
         * (a map of over 2^31 entries) means an object over 4 GiB. */
        if (over(s, max_bytes) || n > UINT32_MAX)
            return finish(s, MPSCAN_TOO_LARGE);
        if (n == 0) {
            *done = value_done(s);
        } else {
            s->depth++;
            s->left[s->depth] = (uint32_t)n;
        }
        return MPSCAN_MORE;
    }
}

enum mpscan_result mpscan_feed(struct mpscan *s, const uint8_t *buf, size_t len,
                               size_t max_bytes, int max_depth, size_t *objlen)
{
    if (s->ended) {
        if (s->result == MPSCAN_DONE)
            *objlen = s->off;
        return s->result;
    }
    if (max_depth > MPSCAN_MAX_DEPTH)
        max_depth = MPSCAN_MAX_DEPTH;
    /* The caller must keep every byte it already showed us. */
    if (len < s->off)
        return finish(s, MPSCAN_INVALID);

    for (;;) {
        bool done = false, stalled = false;

        if (s->skip > 0) {
            size_t avail = len - s->off;
            size_t take = s->skip < avail ? s->skip : avail;

            s->off += take;
            s->skip -= take;
            s->need -= take;
            if (s->skip > 0)
                break;
            done = value_done(s);
        } else {
            enum mpscan_result r;

            if (s->off == len)
                break;
            r = step(s, buf, len, max_bytes, max_depth, &done, &stalled);
            if (r != MPSCAN_MORE)
                return r;
            if (stalled)
                break;
        }
        if (done) {
            *objlen = s->off;
            return finish(s, MPSCAN_DONE);
        }
    }
    /* Not done with every byte given: more than max_bytes cannot be valid.
     * The need check above normally catches this first. */
    if (len > max_bytes)
        return finish(s, MPSCAN_TOO_LARGE);
    return MPSCAN_MORE;
}
