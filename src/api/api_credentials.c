/* The access keys the API accepts: every profile of an AWS shared-credentials file. */
#include "api/api_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CREDENTIALS_MAX_BYTES (1024 * 1024)

static void set_error(struct api_error *error, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
static void set_error(struct api_error *error, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(error->message, sizeof error->message, format, arguments);
    va_end(arguments);
}

void api_credentials_free(struct api_credentials *credentials)
{
    for (size_t i = 0; i < credentials->count; i++) {
        free(credentials->items[i].access_key_id);
        if (credentials->items[i].secret_access_key) {
            memset(credentials->items[i].secret_access_key, 0,
                   strlen(credentials->items[i].secret_access_key));
            free(credentials->items[i].secret_access_key);
        }
    }
    free(credentials->items);
    *credentials = (struct api_credentials){0};
}

static char *trimmed_copy(const char *start, const char *end)
{
    while (start < end && (*start == ' ' || *start == '\t'))
        start++;
    while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    return strndup(start, (size_t)(end - start));
}

/* The profile being read: a pair joins the list when both halves are known. */
struct profile_pair {
    char *key, *secret;
};

static bool flush_pair(struct api_credentials *credentials, struct profile_pair *pair)
{
    bool ok = true;
    if (pair->key && pair->secret) {
        struct api_credential *grown =
            realloc(credentials->items, (credentials->count + 1) * sizeof *grown);
        if (grown) {
            credentials->items = grown;
            credentials->items[credentials->count++] =
                (struct api_credential){pair->key, pair->secret};
            *pair = (struct profile_pair){0};
            return true;
        }
        ok = false;
    }
    free(pair->key);
    free(pair->secret);
    *pair = (struct profile_pair){0};
    return ok;
}

bool api_credentials_add(struct api_credentials *credentials, const char *access_key_id,
                         const char *secret_access_key)
{
    struct profile_pair pair = {strdup(access_key_id), strdup(secret_access_key)};
    if (pair.key && pair.secret)
        return flush_pair(credentials, &pair);
    flush_pair(credentials, &pair); /* frees the half that was copied */
    return false;
}

static bool read_line(struct api_credentials *credentials, struct profile_pair *pair,
                      const char *line, const char *end)
{
    char *text = trimmed_copy(line, end);
    if (!text)
        return false;
    bool ok = true;
    char *equals = strchr(text, '=');
    if (text[0] == '[') {
        ok = flush_pair(credentials, pair);
    } else if (equals && text[0] != '#' && text[0] != ';') {
        char *name = trimmed_copy(text, equals);
        char *value = trimmed_copy(equals + 1, text + strlen(text));
        char **slot = NULL;
        if (name && strcmp(name, "aws_access_key_id") == 0)
            slot = &pair->key;
        else if (name && strcmp(name, "aws_secret_access_key") == 0)
            slot = &pair->secret;
        if (slot && value && *value) {
            free(*slot);
            *slot = value;
            value = NULL;
        }
        ok = name != NULL;
        free(name);
        free(value);
    }
    free(text);
    return ok;
}

static bool parse_text(const char *text, struct api_credentials *credentials)
{
    struct profile_pair pair = {0};
    const char *line = text;
    while (*line) {
        const char *end = line + strcspn(line, "\n");
        if (!read_line(credentials, &pair, line, end)) {
            flush_pair(credentials, &(struct profile_pair){0});
            free(pair.key);
            free(pair.secret);
            return false;
        }
        line = *end ? end + 1 : end;
    }
    return flush_pair(credentials, &pair);
}

bool api_credentials_parse(const char *text, size_t length, struct api_credentials *credentials,
                           struct api_error *error)
{
    *credentials = (struct api_credentials){0};
    char *copy = memchr(text, '\0', length) ? NULL : strndup(text, length);
    bool copied = copy != NULL;
    bool ok = copied && parse_text(copy, credentials);
    if (copied) {
        memset(copy, 0, length);
        free(copy);
    }
    if (!ok || credentials->count == 0) {
        api_credentials_free(credentials);
        set_error(error, "%s",
                  copied ? "no aws_access_key_id/aws_secret_access_key pair"
                         : "a NUL byte, or out of memory");
        return false;
    }
    return true;
}

bool api_credentials_load(const char *path, struct api_credentials *credentials,
                          struct api_error *error)
{
    *credentials = (struct api_credentials){0};
    FILE *file = fopen(path, "rb");
    if (!file) {
        set_error(error, "%s: %s", path, strerror(errno));
        return false;
    }
    char *text = malloc(CREDENTIALS_MAX_BYTES + 1);
    size_t length = text ? fread(text, 1, CREDENTIALS_MAX_BYTES + 1, file) : 0;
    fclose(file);
    if (!text || length > CREDENTIALS_MAX_BYTES) {
        free(text);
        set_error(error, "%s: unreadable or larger than %d bytes", path, CREDENTIALS_MAX_BYTES);
        return false;
    }
    bool ok = api_credentials_parse(text, length, credentials, error);
    memset(text, 0, length);
    free(text);
    if (!ok) {
        char reason[sizeof error->message];
        snprintf(reason, sizeof reason, "%s", error->message);
        set_error(error, "%s: %s", path, reason);
    }
    return ok;
}
