/* fuzz_rand.h: the harnesses' small generator for chunk sizes (xorshift32),
 * seeded from the input so that a run repeats. */
#ifndef EM_FUZZ_RAND_H
#define EM_FUZZ_RAND_H

#include <stdint.h>

static inline uint32_t next_rand(uint32_t *s)
{
    uint32_t x = *s ? *s : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

#endif
