/* libFuzzer target: the SigV4 Authorization header parser and the verifier. Input: the
 * header value up to the first '\n', then X-Amz-Date up to the next, then the body. A
 * parsed header has a 64-hex signature and a full scope; verifying never accepts a
 * request whose signature was not computed with the known secret (the fuzzer cannot
 * forge HMAC-SHA256), and never crashes. */
#include "api/api_internal.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char *copy_line(const uint8_t **data, size_t *size)
{
    const uint8_t *newline = memchr(*data, '\n', *size);
    size_t length = newline ? (size_t)(newline - *data) : *size;
    char *line = malloc(length + 1);
    if (!line)
        return NULL;
    memcpy(line, *data, length);
    line[length] = '\0';
    *data += newline ? length + 1 : length;
    *size -= newline ? length + 1 : length;
    return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *authorization = copy_line(&data, &size);
    char *amz_date = copy_line(&data, &size);
    if (authorization && amz_date) {
        struct api_sigv4_authorization parsed;
        if (api_sigv4_parse(authorization, &parsed) &&
            (strlen(parsed.signature) != 64 || !parsed.access_key[0] || !parsed.service[0]))
            __builtin_trap();
        struct api_request request = {.method = "POST",
                                      .path = "/",
                                      .query = "",
                                      .body = (const char *)data,
                                      .body_length = size};
        request.headers[0] = (struct api_header){"authorization", authorization};
        request.headers[1] = (struct api_header){"x-amz-date", amz_date};
        request.headers[2] = (struct api_header){"host", "127.0.0.1:4566"};
        request.headers[3] = (struct api_header){"content-type", "application/x-amz-json-1.1"};
        request.header_count = 4;
        static const struct api_credential keys[] = {{"AKIDEXAMPLE", "secret"}};
        const struct api_credentials credentials = {(struct api_credential *)keys, 1};
        struct api_auth_result result;
        api_sigv4_verify(&request, &credentials, INT64_C(1795707360000), &result);
        if (result.status == API_AUTH_OK && strstr(authorization, "AKIDEXAMPLE/") == NULL)
            __builtin_trap();
    }
    free(authorization);
    free(amz_date);
    return 0;
}
