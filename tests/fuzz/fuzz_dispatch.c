/* fuzz_dispatch.c: libFuzzer harness for request dispatch: envelopes,
 * auth states, role and scope checks, kiosk badges, every method's
 * argument validation and its handling of the store's answers, through
 * the real connection (fuzz_box.c) with the store stubbed at its
 * interface (store_stub.c).
 *
 * Input layout (tests/fuzz/make_corpus.py writes it):
 *   byte 0      bit 7: the store is corrupted (any bytes as records);
 *               bits 0-6: identity (enum box_identity, modulo their count)
 *   byte 1      largest chunk the stream is sent in (0: all at once)
 *   byte 2      seed of the chunk sizes
 *   byte 3      n, the length of the store script
 *   n bytes     the store script: how the stub answers each command
 *   the rest    the byte stream the client sends */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz_box.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    box_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    enum box_identity who =
        (enum box_identity)((data[0] & 0x7f) % BOX_NIDENTITIES);
    bool sane_store = !(data[0] & 0x80);
    unsigned max_chunk = data[1];
    uint32_t seed = data[2];
    size_t n = data[3];
    data += 4;
    size -= 4;
    if (n > size)
        n = size;
    box_run(who, sane_store, data, n, data + n, size - n, max_chunk, seed);
    return 0;
}
