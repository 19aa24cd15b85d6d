/* FNV-1a, 32 and 64 bits: each byte is xored in, then multiplied by the FNV prime. */
#include "base/hash.h"

#define FNV1A_32_PRIME UINT32_C(16777619)
#define FNV1A_64_PRIME UINT64_C(1099511628211)

uint32_t fnv1a_32(const void *bytes, size_t length)
{
    const unsigned char *byte = bytes;
    uint32_t hash = FNV1A_32_BASIS;
    for (size_t i = 0; i < length; i++)
        hash = (hash ^ byte[i]) * FNV1A_32_PRIME;
    return hash;
}

uint64_t fnv1a_64_continue(uint64_t hash, const void *bytes, size_t length)
{
    const unsigned char *byte = bytes;
    for (size_t i = 0; i < length; i++)
        hash = (hash ^ byte[i]) * FNV1A_64_PRIME;
    return hash;
}

uint64_t fnv1a_64(const void *bytes, size_t length)
{
    return fnv1a_64_continue(FNV1A_64_BASIS, bytes, length);
}
