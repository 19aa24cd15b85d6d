/* libFuzzer target: the AWS shared credentials file parser. Input: the profile name up to
 * the first '\n', then the file text (any bytes). An accepted profile has a key id and a
 * secret, trimmed and on one line; a refusal says why and leaves nothing allocated. */
#include "notify/notify_transport.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_value(const char *value, bool required)
{
    if (!value) {
        if (required)
            __builtin_trap();
        return;
    }
    size_t length = strlen(value);
    if (length == 0 || strpbrk(value, "\n") || value[0] == ' ' || value[0] == '\t' ||
        value[length - 1] == ' ' || value[length - 1] == '\t' || value[length - 1] == '\r')
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *newline = memchr(data, '\n', size);
    size_t profile_length = newline ? (size_t)(newline - data) : size;
    char profile[64];
    if (profile_length >= sizeof profile)
        return 0;
    memcpy(profile, data, profile_length);
    profile[profile_length] = '\0';
    const char *text = newline ? (const char *)newline + 1 : "";
    size_t length = newline ? size - profile_length - 1 : 0;

    struct notify_aws_credentials credentials;
    struct notify_error error = {{0}};
    if (notify_aws_credentials_parse(text, length, profile, &credentials, &error)) {
        check_value(credentials.access_key_id, true);
        check_value(credentials.secret_access_key, true);
        check_value(credentials.session_token, false);
        notify_aws_credentials_free(&credentials);
    } else if (error.message[0] == '\0' || credentials.access_key_id ||
               credentials.secret_access_key || credentials.session_token) {
        __builtin_trap();
    }
    return 0;
}
