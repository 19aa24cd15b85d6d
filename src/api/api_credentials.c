/* The access keys the API accepts: every profile of an AWS shared-credentials file, read as
 * botocore reads it (`key = value` or `key: value`, key names case-insensitive, whole-line
 * `#`/`;` comments, the last value of a key in a profile winning). */
#include "api/api_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* Where the reader is: a line number for errors, and whether a [section] has begun. */
struct reader_state {
    size_t line_number;
    bool in_section;
};

/* A key line: the name is up to the first '=' or ':' (botocore's configparser takes
 * either) and matched case-insensitively, as configparser lowercases option names. */
static bool read_entry(struct profile_pair *pair, const char *text, struct reader_state *state,
                       struct api_error *error)
{
    const char *delimiter = text + strcspn(text, "=:");
    if (!*delimiter) {
        set_error(error, "line %zu: expected 'key = value' or 'key: value'", state->line_number);
        return false;
    }
    if (!state->in_section) {
        set_error(error, "line %zu: a key before any [section]", state->line_number);
        return false;
    }
    char *name = trimmed_copy(text, delimiter);
    char *value = trimmed_copy(delimiter + 1, text + strlen(text));
    bool allocated = name && value;
    char **slot = NULL;
    if (name && strcasecmp(name, "aws_access_key_id") == 0)
        slot = &pair->key;
    else if (name && strcasecmp(name, "aws_secret_access_key") == 0)
        slot = &pair->secret;
    if (slot && value && *value) {
        free(*slot);
        *slot = value;
        value = NULL;
    }
    if (!allocated)
        set_error(error, "out of memory");
    free(name);
    free(value);
    return allocated;
}

/* One line. A line botocore would refuse (no delimiter, a section header without ']', a key
 * before any section) refuses the whole file, naming the line: the AWS CLI refuses such a
 * file too, and keys silently missing would surface only as rejected requests. */
static bool read_line(struct api_credentials *credentials, struct profile_pair *pair,
                      const char *line, const char *end, struct reader_state *state,
                      struct api_error *error)
{
    char *text = trimmed_copy(line, end);
    if (!text) {
        set_error(error, "out of memory");
        return false;
    }
    size_t length = strlen(text);
    bool ok = true;
    if (length == 0 || text[0] == '#' || text[0] == ';') {
        /* blank or a comment */
    } else if (text[0] == '[') {
        ok = text[length - 1] == ']';
        if (!ok)
            set_error(error, "line %zu: a section header needs a closing ']'", state->line_number);
        else if (!(ok = flush_pair(credentials, pair)))
            set_error(error, "out of memory");
        state->in_section = true;
    } else {
        ok = read_entry(pair, text, state, error);
    }
    memset(text, 0, length);
    free(text);
    return ok;
}

static bool parse_text(const char *text, struct api_credentials *credentials,
                       struct api_error *error)
{
    struct profile_pair pair = {0};
    struct reader_state state = {0};
    const char *line = text;
    while (*line) {
        const char *end = line + strcspn(line, "\n");
        state.line_number++;
        if (!read_line(credentials, &pair, line, end, &state, error)) {
            free(pair.key);
            free(pair.secret);
            return false;
        }
        line = *end ? end + 1 : end;
    }
    if (flush_pair(credentials, &pair))
        return true;
    set_error(error, "out of memory");
    return false;
}

bool api_credentials_parse(const char *text, size_t length, struct api_credentials *credentials,
                           struct api_error *error)
{
    *credentials = (struct api_credentials){0};
    char *copy = memchr(text, '\0', length) ? NULL : strndup(text, length);
    bool copied = copy != NULL;
    bool ok = copied && parse_text(copy, credentials, error);
    if (copied) {
        memset(copy, 0, length);
        free(copy);
    }
    if (!copied)
        set_error(error, "a NUL byte, or out of memory");
    else if (ok && credentials->count == 0)
        set_error(error, "no aws_access_key_id/aws_secret_access_key pair");
    if (!ok || credentials->count == 0) {
        api_credentials_free(credentials);
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
