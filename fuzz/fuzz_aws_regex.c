/* libFuzzer target for aws_regex: the input is the regex source, a NUL byte, then the
 * subject. Any source must either compile or be refused with a terminated message, and a
 * compiled regex must search any byte string (invalid UTF-8, NULs) without fault. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "patterns/aws_regex.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *input = (const char *)data;
    const char *nul = memchr(input, '\0', size);
    size_t source_length = nul ? (size_t)(nul - input) : size;
    const char *subject = nul ? nul + 1 : input + size;
    size_t subject_length = size - source_length - (nul ? 1 : 0);

    struct aws_regex_error error;
    struct aws_regex *regex = aws_regex_compile(input, source_length, &error);
    if (!regex) {
        if (!memchr(error.message, '\0', sizeof error.message) || error.message[0] == '\0' ||
            error.offset > source_length)
            abort();
        return 0;
    }
    if (!aws_regex_translation(regex))
        abort();
    (void)aws_regex_search(regex, subject, subject_length);
    aws_regex_free(regex);
    return 0;
}
