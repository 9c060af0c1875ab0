/* test_mpscan.c: the MessagePack frame scanner finds object ends in any
 * chunking, stops bombs and deep nesting early, and agrees with msgpack-c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <msgpack.h>

#include "mpscan.h"

#define MIB ((size_t)1 << 20)

/* xorshift32: a fixed, portable sequence so failures reproduce anywhere. */
static uint32_t rnd(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

/* Feeds obj in growing prefixes until a final result or the end of obj.
 * Each prefix is a fresh heap copy of exactly its length, so ASan catches
 * any read past buf + len. chunk == 0 means random chunk sizes of 1..17
 * from *seed; otherwise fixed chunks of that size. */
static enum mpscan_result feed_chunks(const uint8_t *obj, size_t total,
                                      size_t max_bytes, int max_depth,
                                      size_t chunk, uint32_t *seed,
                                      size_t *objlen)
{
    struct mpscan s;
    size_t len = 0;

    mpscan_reset(&s);
    for (;;) {
        size_t step = chunk ? chunk : 1 + rnd(seed) % 17;
        enum mpscan_result r;
        uint8_t *copy;

        len = total - len < step ? total : len + step;
        copy = malloc(len ? len : 1);
        assert_non_null(copy);
        if (len)
            memcpy(copy, obj, len);
        r = mpscan_feed(&s, copy, len, max_bytes, max_depth, objlen);
        free(copy);
        if (r != MPSCAN_MORE || len == total)
            return r;
    }
}

/* Feeds obj whole, from an exact-size heap copy. */
static enum mpscan_result feed_whole(const uint8_t *obj, size_t total,
                                     size_t max_bytes, int max_depth,
                                     size_t *objlen)
{
    return feed_chunks(obj, total, max_bytes, max_depth, total ? total : 1,
                       NULL, objlen);
}

/* msgpack-c's verdict on buf[0..len). */
static msgpack_unpack_return unpack(const uint8_t *buf, size_t len,
                                    size_t *used)
{
    msgpack_unpacked u;
    msgpack_unpack_return r;
    size_t off = 0;

    msgpack_unpacked_init(&u);
    r = msgpack_unpack_next(&u, (const char *)buf, len, &off);
    msgpack_unpacked_destroy(&u);
    *used = off;
    return r;
}

/* Asserts obj is one complete object of its full length, however it is
 * chunked, and that msgpack-c reads exactly that many bytes. */
static void check_object(const uint8_t *obj, size_t total)
{
    uint32_t seed = 12345;
    size_t n = 0, used = 0;

    assert_int_equal(feed_whole(obj, total, MIB, 16, &n), MPSCAN_DONE);
    assert_int_equal(n, total);
    n = 0;
    assert_int_equal(feed_chunks(obj, total, MIB, 16, 1, NULL, &n),
                     MPSCAN_DONE);
    assert_int_equal(n, total);
    for (int i = 0; i < 5; i++) {
        n = 0;
        assert_int_equal(feed_chunks(obj, total, MIB, 16, 0, &seed, &n),
                         MPSCAN_DONE);
        assert_int_equal(n, total);
    }
    assert_int_equal(unpack(obj, total, &used), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(used, total);
}

struct vec {
    const char *name;
    uint8_t b[24];
    size_t len;
};

#define V(name, ...)                                                           \
    {                                                                          \
        name, {__VA_ARGS__}, sizeof((uint8_t[]){__VA_ARGS__})                  \
    }

/* One object of every format, plus empties and nesting. */
static const struct vec formats[] = {
    V("positive fixint", 0x05),
    V("negative fixint", 0xff),
    V("nil", 0xc0),
    V("false", 0xc2),
    V("true", 0xc3),
    V("fixmap", 0x81, 0xa1, 'a', 0x01),
    V("fixarray", 0x92, 0x01, 0x02),
    V("fixstr", 0xa3, 'a', 'b', 'c'),
    V("empty fixstr", 0xa0),
    V("bin8", 0xc4, 0x03, 1, 2, 3),
    V("empty bin8", 0xc4, 0x00),
    V("bin16", 0xc5, 0x00, 0x02, 1, 2),
    V("bin32", 0xc6, 0x00, 0x00, 0x00, 0x01, 9),
    V("ext8", 0xc7, 0x02, 0x05, 1, 2),
    V("ext16", 0xc8, 0x00, 0x01, 0x05, 1),
    V("ext32", 0xc9, 0x00, 0x00, 0x00, 0x03, 0x05, 1, 2, 3),
    V("float32", 0xca, 0x3f, 0x80, 0x00, 0x00),
    V("float64", 0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0),
    V("uint8", 0xcc, 0xff),
    V("uint16", 0xcd, 0xff, 0xff),
    V("uint32", 0xce, 0xff, 0xff, 0xff, 0xff),
    V("uint64", 0xcf, 1, 2, 3, 4, 5, 6, 7, 8),
    V("int8", 0xd0, 0x80),
    V("int16", 0xd1, 0x80, 0x00),
    V("int32", 0xd2, 0x80, 0, 0, 0),
    V("int64", 0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0),
    V("fixext1", 0xd4, 0x05, 1),
    V("fixext2", 0xd5, 0x05, 1, 2),
    V("fixext4", 0xd6, 0x05, 1, 2, 3, 4),
    V("fixext8", 0xd7, 0x05, 1, 2, 3, 4, 5, 6, 7, 8),
    V("fixext16", 0xd8, 0x05, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
      16),
    V("str8", 0xd9, 0x02, 'h', 'i'),
    V("str16", 0xda, 0x00, 0x01, 'z'),
    V("str32", 0xdb, 0x00, 0x00, 0x00, 0x02, 'o', 'k'),
    V("array16", 0xdc, 0x00, 0x02, 0x01, 0x02),
    V("array32", 0xdd, 0x00, 0x00, 0x00, 0x01, 0xc0),
    V("map16", 0xde, 0x00, 0x01, 0x01, 0x02),
    V("map32", 0xdf, 0x00, 0x00, 0x00, 0x01, 0xa1, 'k', 0xc3),
    V("empty fixarray", 0x90),
    V("empty fixmap", 0x80),
    V("empty array16", 0xdc, 0x00, 0x00),
    V("empty map32", 0xdf, 0x00, 0x00, 0x00, 0x00),
    V("0xc1 inside a str payload", 0xa1, 0xc1),
    V("nested closing cascades", 0x91, 0x91, 0x91, 0x01),
    V("empty containers nested", 0x92, 0x90, 0x91, 0x80),
    V("map of containers", 0x82, 0xa1, 'a', 0x92, 0x01, 0x80, 0x90, 0xc4, 0x01,
      0x00),
};

static void test_every_format(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        print_message("  %s\n", formats[i].name);
        check_object(formats[i].b, formats[i].len);
    }
}

/* Every proper prefix of an object asks for more, never anything else. */
static void test_prefixes_ask_for_more(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        for (size_t len = 0; len < formats[i].len; len++) {
            size_t n = 0;
            assert_int_equal(feed_whole(formats[i].b, len, MIB, 16, &n),
                             MPSCAN_MORE);
        }
    }
}

static void test_back_to_back(void **state)
{
    /* ["ab", 1] then {1: nil} then 7 */
    static const uint8_t buf[] = {0x92, 0xa2, 'a',  'b', 0x01,
                                  0x81, 0x01, 0xc0, 0x07};
    size_t first = 0, second = 0, third = 0;
    (void)state;

    assert_int_equal(feed_whole(buf, sizeof(buf), MIB, 16, &first),
                     MPSCAN_DONE);
    assert_int_equal(first, 5);
    assert_int_equal(
        feed_whole(buf + first, sizeof(buf) - first, MIB, 16, &second),
        MPSCAN_DONE);
    assert_int_equal(second, 3);
    assert_int_equal(feed_whole(buf + first + second,
                                sizeof(buf) - first - second, MIB, 16, &third),
                     MPSCAN_DONE);
    assert_int_equal(third, 1);
}

/* A final result is repeated by later calls instead of scanning on. */
static void test_results_are_final(void **state)
{
    static const uint8_t buf[] = {0x91, 0x01, 0x02, 0x03};
    struct mpscan s;
    size_t n = 0;
    (void)state;

    mpscan_reset(&s);
    assert_int_equal(mpscan_feed(&s, buf, 2, MIB, 16, &n), MPSCAN_DONE);
    assert_int_equal(n, 2);
    n = 0;
    assert_int_equal(mpscan_feed(&s, buf, 4, MIB, 16, &n), MPSCAN_DONE);
    assert_int_equal(n, 2);

    mpscan_reset(&s);
    assert_int_equal(mpscan_feed(&s, (const uint8_t *)"\xc1", 1, MIB, 16, &n),
                     MPSCAN_INVALID);
    assert_int_equal(mpscan_feed(&s, buf, 4, MIB, 16, &n), MPSCAN_INVALID);
}

/* Length headers that promise more than max_bytes stop at once. */
static void test_bombs(void **state)
{
    static const struct vec bombs[] = {
        V("array32 of 4G", 0xdd, 0xff, 0xff, 0xff, 0xff),
        V("str32 of 4G", 0xdb, 0xff, 0xff, 0xff, 0xff),
        V("map32 of 4G", 0xdf, 0xff, 0xff, 0xff, 0xff),
        V("bin32 of 4G", 0xc6, 0xff, 0xff, 0xff, 0xff),
        V("ext32 of 4G", 0xc9, 0xff, 0xff, 0xff, 0xff, 0x01),
        V("array32 of 1M", 0xdd, 0x00, 0x10, 0x00, 0x00),
        V("map32 of 512K", 0xdf, 0x00, 0x08, 0x00, 0x00),
        V("str32 of 1M", 0xdb, 0x00, 0x10, 0x00, 0x00),
        V("bomb inside an array", 0x92, 0x01, 0xdd, 0xff, 0xff, 0xff, 0xff),
        V("bomb as a map key", 0x81, 0xc6, 0xff, 0xff, 0xff, 0xff),
    };
    (void)state;

    for (size_t i = 0; i < sizeof(bombs) / sizeof(bombs[0]); i++) {
        size_t n = 0;
        print_message("  %s\n", bombs[i].name);
        assert_int_equal(feed_whole(bombs[i].b, bombs[i].len, MIB, 16, &n),
                         MPSCAN_TOO_LARGE);
        /* Until the header is whole nothing is certain. */
        assert_int_equal(
            feed_chunks(bombs[i].b, bombs[i].len, MIB, 16, 1, NULL, &n),
            MPSCAN_TOO_LARGE);
        assert_int_equal(feed_whole(bombs[i].b, bombs[i].len - 1, MIB, 16, &n),
                         MPSCAN_MORE);
    }
}

/* Counts add up across levels: two arrays of 60000 each cannot fit in
 * 100000 bytes, though neither header alone says so. */
static void test_nested_counts_add_up(void **state)
{
    static const uint8_t buf[] = {0xdc, 0xea, 0x60, 0xdc, 0xea, 0x60};
    size_t n = 0;
    (void)state;

    assert_int_equal(feed_whole(buf, 3, 100000, 16, &n), MPSCAN_MORE);
    assert_int_equal(feed_whole(buf, 6, 100000, 16, &n), MPSCAN_TOO_LARGE);
    assert_int_equal(feed_whole(buf, 6, 200000, 16, &n), MPSCAN_MORE);
}

static void test_size_limit_boundaries(void **state)
{
    static const uint8_t arr[] = {0x93, 0x01, 0x02, 0x03};
    static const uint8_t str[] = {0xa3, 'a', 'b', 'c'};
    static const uint8_t bomb[] = {0xdd, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t mapbomb[] = {0xdf, 0xff, 0xff, 0xff, 0xff};
    size_t n = 0;
    (void)state;

    assert_int_equal(feed_whole(arr, 4, 4, 16, &n), MPSCAN_DONE);
    assert_int_equal(n, 4);
    assert_int_equal(feed_whole(arr, 4, 3, 16, &n), MPSCAN_TOO_LARGE);
    assert_int_equal(feed_whole(arr, 1, 3, 16, &n), MPSCAN_TOO_LARGE);
    assert_int_equal(feed_whole(str, 4, 4, 16, &n), MPSCAN_DONE);
    assert_int_equal(feed_whole(str, 1, 3, 16, &n), MPSCAN_TOO_LARGE);
    /* A header that cannot fit is over the limit even before it is whole. */
    assert_int_equal(feed_whole(bomb, 1, 4, 16, &n), MPSCAN_TOO_LARGE);
    assert_int_equal(feed_whole(bomb, 1, 0, 16, &n), MPSCAN_TOO_LARGE);
    /* With no practical limit, no arithmetic overflows. */
    assert_int_equal(feed_whole(bomb, 5, SIZE_MAX, 16, &n), MPSCAN_MORE);
    assert_int_equal(feed_whole(mapbomb, 5, SIZE_MAX, 16, &n),
                     MPSCAN_TOO_LARGE);
}

/* d nested one-element arrays around a 1. */
static size_t nest(uint8_t *buf, int d)
{
    for (int i = 0; i < d; i++)
        buf[i] = 0x91;
    buf[d] = 0x01;
    return (size_t)d + 1;
}

static void test_depth(void **state)
{
    uint8_t buf[MPSCAN_MAX_DEPTH + 2];
    size_t len, n = 0, used = 0;
    (void)state;

    len = nest(buf, 16);
    assert_int_equal(feed_whole(buf, len, MIB, 16, &n), MPSCAN_DONE);
    assert_int_equal(n, len);
    len = nest(buf, 17);
    assert_int_equal(feed_whole(buf, len, MIB, 16, &n), MPSCAN_TOO_DEEP);
    assert_int_equal(feed_chunks(buf, len, MIB, 16, 1, NULL, &n),
                     MPSCAN_TOO_DEEP);
    /* TOO_DEEP comes as soon as the 17th container opens. */
    assert_int_equal(feed_whole(buf, 17, MIB, 16, &n), MPSCAN_TOO_DEEP);

    /* A scalar is depth 0; any container, even empty, is depth 1. */
    assert_int_equal(feed_whole((const uint8_t *)"\x01", 1, MIB, 0, &n),
                     MPSCAN_DONE);
    assert_int_equal(feed_whole((const uint8_t *)"\x90", 1, MIB, 0, &n),
                     MPSCAN_TOO_DEEP);
    assert_int_equal(feed_whole((const uint8_t *)"\x91\x90", 2, MIB, 1, &n),
                     MPSCAN_TOO_DEEP);
    /* Maps nest the same way. */
    assert_int_equal(
        feed_whole((const uint8_t *)"\x81\x01\x81\x01\x02", 5, MIB, 1, &n),
        MPSCAN_TOO_DEEP);
    assert_int_equal(
        feed_whole((const uint8_t *)"\x81\x01\x81\x01\x02", 5, MIB, 2, &n),
        MPSCAN_DONE);

    /* msgpack-c takes depth 32 and no more; the scanner's ceiling is 64. */
    len = nest(buf, 32);
    assert_int_equal(feed_whole(buf, len, MIB, 32, &n), MPSCAN_DONE);
    assert_int_equal(unpack(buf, len, &used), MSGPACK_UNPACK_SUCCESS);
    len = nest(buf, 33);
    assert_int_equal(feed_whole(buf, len, MIB, 32, &n), MPSCAN_TOO_DEEP);
    len = nest(buf, MPSCAN_MAX_DEPTH);
    assert_int_equal(feed_whole(buf, len, MIB, MPSCAN_MAX_DEPTH, &n),
                     MPSCAN_DONE);
    len = nest(buf, MPSCAN_MAX_DEPTH + 1);
    assert_int_equal(feed_whole(buf, len, MIB, 1000, &n), MPSCAN_TOO_DEEP);
}

static void test_invalid_byte(void **state)
{
    size_t n = 0;
    (void)state;

    assert_int_equal(feed_whole((const uint8_t *)"\xc1", 1, MIB, 16, &n),
                     MPSCAN_INVALID);
    assert_int_equal(
        feed_whole((const uint8_t *)"\x92\x01\xc1", 3, MIB, 16, &n),
        MPSCAN_INVALID);
    assert_int_equal(
        feed_whole((const uint8_t *)"\x81\xc1\x01", 3, MIB, 16, &n),
        MPSCAN_INVALID);
}

/* A request the size of a real large one, packed by msgpack-c itself. */
static void test_large_packed_request(void **state)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    uint32_t seed = 99;
    size_t n = 0;
    (void)state;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 4);
    msgpack_pack_int(&pk, 0);
    msgpack_pack_uint32(&pk, 42);
    msgpack_pack_str_with_body(&pk, "match.search", 12);
    msgpack_pack_array(&pk, 10000);
    for (int i = 0; i < 10000; i++) {
        /* Values of every integer width. */
        int64_t v = (int64_t)(((uint64_t)rnd(&seed) << (i % 32)) >> 1);
        msgpack_pack_int64(&pk, i % 2 ? v : -v);
    }

    assert_int_equal(feed_whole((const uint8_t *)sb.data, sb.size, MIB, 16, &n),
                     MPSCAN_DONE);
    assert_int_equal(n, sb.size);
    n = 0;
    assert_int_equal(
        feed_chunks((const uint8_t *)sb.data, sb.size, MIB, 16, 0, &seed, &n),
        MPSCAN_DONE);
    assert_int_equal(n, sb.size);
    assert_int_equal(
        feed_whole((const uint8_t *)sb.data, sb.size, sb.size - 1, 16, &n),
        MPSCAN_TOO_LARGE);
    msgpack_sbuffer_destroy(&sb);
}

/* Big objects arriving a byte at a time: a scan that restarted from the
 * beginning on each call would take minutes here. */
static void test_linear_over_tiny_chunks(void **state)
{
    const size_t count = 300000;
    size_t total = 5 + count, n = 0;
    uint8_t *buf = malloc(total);
    struct mpscan s;
    enum mpscan_result r = MPSCAN_MORE;
    (void)state;

    assert_non_null(buf);
    /* An array32 of fixints, then a bin32 of the same size. */
    buf[0] = 0xdd;
    buf[1] = (uint8_t)(count >> 24);
    buf[2] = (uint8_t)(count >> 16);
    buf[3] = (uint8_t)(count >> 8);
    buf[4] = (uint8_t)count;
    memset(buf + 5, 0x07, count);
    mpscan_reset(&s);
    for (size_t len = 1; len <= total; len++) {
        r = mpscan_feed(&s, buf, len, 4 * MIB, 16, &n);
        if (len < total)
            assert_int_equal(r, MPSCAN_MORE);
    }
    assert_int_equal(r, MPSCAN_DONE);
    assert_int_equal(n, total);

    buf[0] = 0xc6;
    mpscan_reset(&s);
    for (size_t len = 1; len <= total; len++)
        r = mpscan_feed(&s, buf, len, 4 * MIB, 16, &n);
    assert_int_equal(r, MPSCAN_DONE);
    assert_int_equal(n, total);
    free(buf);
}

/* A connection's stream: many requests back to back, read in random
 * chunks, each framed and then consumed the way the daemon will do it. */
static void test_pipelined_stream(void **state)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    uint32_t seed = 7;
    size_t ends[500], got = 0, start = 0, have = 0;
    struct mpscan s;
    (void)state;

    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    for (int i = 0; i < 500; i++) {
        uint32_t k = rnd(&seed) % 40;
        msgpack_pack_array(&pk, 4);
        msgpack_pack_int(&pk, 0);
        msgpack_pack_uint32(&pk, (uint32_t)i);
        msgpack_pack_str_with_body(&pk, "ping", 4);
        msgpack_pack_map(&pk, k);
        for (uint32_t j = 0; j < k; j++) {
            msgpack_pack_str_with_body(&pk, "key", 3);
            msgpack_pack_bin_with_body(&pk, "vvvvvvvvvvvvvvvv", j % 17);
        }
        ends[i] = sb.size;
    }

    mpscan_reset(&s);
    while (got < 500) {
        size_t n = 0;
        enum mpscan_result r = mpscan_feed(&s, (const uint8_t *)sb.data + start,
                                           have - start, MIB, 16, &n);
        if (r == MPSCAN_MORE) {
            assert_true(have < sb.size);
            have += 1 + rnd(&seed) % 300;
            if (have > sb.size)
                have = sb.size;
            continue;
        }
        assert_int_equal(r, MPSCAN_DONE);
        assert_int_equal(start + n, ends[got]);
        start += n;
        got++;
        mpscan_reset(&s);
    }
    msgpack_sbuffer_destroy(&sb);
}

/* Bytes that steer random input toward containers, short strings and small
 * counts, so the fuzz loop reaches deep and complete objects often. */
static const uint8_t fuzz_bytes[] = {
    0x90, 0x91, 0x92, 0x93, 0x9f, 0x80, 0x81, 0x82, 0x8f, 0xa0,
    0xa1, 0xa2, 0xc0, 0xc1, 0xc2, 0xc4, 0xc7, 0xd4, 0xd8, 0xd9,
    0xdc, 0xde, 0x00, 0x01, 0x02, 0x7f, 0xe0, 0xff,
};

/* One fuzz case: whole and chunked feeds agree, and msgpack-c agrees.
 * max_depth stays <= 32, msgpack-c's own limit, so their verdicts match. */
static void fuzz_one(const uint8_t *buf, size_t len, int max_depth,
                     uint32_t *seed, int counts[5])
{
    size_t n1 = 0, n2 = 0, used = 0;
    enum mpscan_result r1 = feed_whole(buf, len, 4096, max_depth, &n1);
    enum mpscan_result r2 =
        feed_chunks(buf, len, 4096, max_depth, 0, seed, &n2);

    assert_int_equal(r1, r2);
    counts[r1]++;
    switch (r1) {
    case MPSCAN_DONE:
        assert_int_equal(n1, n2);
        assert_true(n1 >= 1 && n1 <= len);
        assert_int_equal(unpack(buf, n1, &used), MSGPACK_UNPACK_SUCCESS);
        assert_int_equal(used, n1);
        break;
    case MPSCAN_MORE:
        /* Counts were all within 4096 bytes, so this is safe to try. */
        assert_int_equal(unpack(buf, len, &used), MSGPACK_UNPACK_CONTINUE);
        break;
    case MPSCAN_INVALID:
        assert_int_equal(unpack(buf, len, &used), MSGPACK_UNPACK_PARSE_ERROR);
        break;
    default: break;
    }
}

static void test_fuzz_random_bytes(void **state)
{
    uint32_t seed = 2024;
    int counts[5] = {0};
    (void)state;

    for (int iter = 0; iter < 100000; iter++) {
        uint8_t buf[64];
        size_t len = rnd(&seed) % sizeof(buf);
        uint32_t mode = rnd(&seed) % 4;

        for (size_t i = 0; i < len; i++) {
            uint32_t x = rnd(&seed);
            /* Mode 0 is plain noise; the others lean on fuzz_bytes. */
            if (mode != 0 && x % 4 != 0)
                buf[i] = fuzz_bytes[(x >> 8) % sizeof(fuzz_bytes)];
            else
                buf[i] = (uint8_t)(x >> 8);
        }
        /* Random bytes rarely nest 33 deep; a shallow limit half the time
         * makes TOO_DEEP common too. */
        fuzz_one(buf, len, iter % 2 ? 32 : 3, &seed, counts);
    }
    print_message("  done %d, more %d, too large %d, too deep %d, "
                  "invalid %d\n",
                  counts[MPSCAN_DONE], counts[MPSCAN_MORE],
                  counts[MPSCAN_TOO_LARGE], counts[MPSCAN_TOO_DEEP],
                  counts[MPSCAN_INVALID]);
    /* The loop must actually reach every outcome to mean anything. */
    for (int i = 0; i < 5; i++)
        assert_true(counts[i] > 100);
}

/* Valid objects with a few bytes changed: close to real, subtly wrong. */
static void test_fuzz_mutated_objects(void **state)
{
    uint32_t seed = 77;
    int counts[5] = {0};
    (void)state;

    for (int iter = 0; iter < 20000; iter++) {
        const struct vec *v =
            &formats[rnd(&seed) % (sizeof(formats) / sizeof(formats[0]))];
        const struct vec *w =
            &formats[rnd(&seed) % (sizeof(formats) / sizeof(formats[0]))];
        uint8_t buf[64];
        size_t len = 0;

        /* An array of two known objects, then 1..3 bytes flipped. */
        buf[len++] = 0x92;
        memcpy(buf + len, v->b, v->len);
        len += v->len;
        memcpy(buf + len, w->b, w->len);
        len += w->len;
        for (uint32_t k = 1 + rnd(&seed) % 3; k > 0; k--)
            buf[rnd(&seed) % len] ^= (uint8_t)(1u << (rnd(&seed) % 8));
        fuzz_one(buf, len, 32, &seed, counts);
    }
    assert_true(counts[MPSCAN_DONE] > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_format),
        cmocka_unit_test(test_prefixes_ask_for_more),
        cmocka_unit_test(test_back_to_back),
        cmocka_unit_test(test_results_are_final),
        cmocka_unit_test(test_bombs),
        cmocka_unit_test(test_nested_counts_add_up),
        cmocka_unit_test(test_size_limit_boundaries),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_invalid_byte),
        cmocka_unit_test(test_large_packed_request),
        cmocka_unit_test(test_linear_over_tiny_chunks),
        cmocka_unit_test(test_pipelined_stream),
        cmocka_unit_test(test_fuzz_random_bytes),
        cmocka_unit_test(test_fuzz_mutated_objects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
