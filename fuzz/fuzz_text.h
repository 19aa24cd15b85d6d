/* The fuzz input as a C string, for targets whose function reads NUL-terminated text: a
 * malloc'ed copy with a NUL after it (NULL when out of memory; free it). */
#ifndef TRAILHOUND_FUZZ_FUZZ_TEXT_H
#define TRAILHOUND_FUZZ_FUZZ_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text) {
        memcpy(text, data, size);
        text[size] = '\0';
    }
    return text;
}

#endif
