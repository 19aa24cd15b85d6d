/* libFuzzer target: the parser of the shared-credentials file `serve --credentials` reads
 * (every profile's key pair is accepted). Input: the file text (any bytes). An accepted
 * file yields at least one pair, each half non-empty, trimmed and on one line; a refusal
 * leaves nothing allocated (LeakSanitizer). */
#include "api/api.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static void check_value(const char *value)
{
    size_t length = value ? strlen(value) : 0;
    if (length == 0 || strchr(value, '\n') || value[0] == ' ' || value[0] == '\t' ||
        value[length - 1] == ' ' || value[length - 1] == '\t' || value[length - 1] == '\r')
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct api_credentials credentials;
    struct api_error error = {{0}};
    if (api_credentials_parse((const char *)data, size, &credentials, &error)) {
        if (credentials.count == 0)
            __builtin_trap();
        for (size_t i = 0; i < credentials.count; i++) {
            check_value(credentials.items[i].access_key_id);
            check_value(credentials.items[i].secret_access_key);
        }
        api_credentials_free(&credentials);
    } else if (credentials.count != 0 || credentials.items || error.message[0] == '\0') {
        __builtin_trap();
    }
    return 0;
}
