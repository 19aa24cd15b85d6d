/* libFuzzer target: an event's account and region (daemon/event_origin). Whatever the raw
 * read answers lies within the input or the decoder's scratch; when the input is valid JSON
 * and the decoding finds a top-level awsRegion string, the raw read gives the same bytes (it
 * may only differ where the top level has none), and likewise recipientAccountId when no
 * userIdentity could supply the account. */
#define _GNU_SOURCE /* memmem */
#include "daemon/event_origin.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool same(const char *a, size_t a_length, const char *b, size_t b_length)
{
    return a && b && a_length == b_length && memcmp(a, b, a_length) == 0;
}

/* Both results are copied: the second read reuses the scratch the first pointed into. */
static char *copy(const char *text, size_t length)
{
    char *out = text ? malloc(length + 1) : NULL;
    if (out) {
        memcpy(out, text, length);
        out[length] = '\0';
    }
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct event_origin_reader *reader;
    if (!reader && !(reader = event_origin_reader_create()))
        return 0;
    const char *message = (const char *)data;
    struct event_origin read, decoded;
    if (!event_origin_read(reader, message, size, &read))
        return 0;
    char *account = copy(read.account, read.account_length);
    char *region = copy(read.region, read.region_length);
    if (event_origin_decode(reader, message, size, &decoded)) {
        if (decoded.region &&
            !same(region, read.region_length, decoded.region, decoded.region_length))
            __builtin_trap();
        bool identity_possible = memmem(message, size, "userIdentity", 12) != NULL ||
                                 memmem(message, size, "\\u", 2) != NULL;
        if (decoded.account && !identity_possible &&
            !same(account, read.account_length, decoded.account, decoded.account_length))
            __builtin_trap();
    }
    free(account);
    free(region);
    return 0;
}
