/* FNV-1a, a fast non-cryptographic hash for any stage: in-memory table buckets and stable
 * derived values. It protects nothing; never use it where an attacker's collisions matter
 * more than a slower lookup. */
#ifndef TRAILHOUND_BASE_HASH_H
#define TRAILHOUND_BASE_HASH_H

#include <stddef.h>
#include <stdint.h>

#define FNV1A_32_BASIS UINT32_C(2166136261)
#define FNV1A_64_BASIS UINT64_C(14695981039346656037)

/* The 32-bit FNV-1a hash of [bytes, bytes+length). */
uint32_t fnv1a_32(const void *bytes, size_t length);

/* The 64-bit FNV-1a hash of [bytes, bytes+length), from FNV1A_64_BASIS. */
uint64_t fnv1a_64(const void *bytes, size_t length);

/* Goes on hashing [bytes, bytes+length) from `hash` (FNV1A_64_BASIS or an earlier result),
 * so several fields hash as one; another starting value gives an independent hash. */
uint64_t fnv1a_64_continue(uint64_t hash, const void *bytes, size_t length);

#endif
