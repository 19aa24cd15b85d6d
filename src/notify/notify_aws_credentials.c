/* AWS credentials for SNS Publish: the environment, else a profile of the shared
 * credentials file, read by a small INI parser of our own (the file format botocore reads:
 * `[profile]` sections, `key = value` or `key: value`, whole-line `#`/`;` comments, keys
 * case-insensitive, the last value of a key winning). Errors name lines and keys, never
 * values. */
#include "notify/notify_fail.h"
#include "notify/notify_transport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { CREDENTIALS_FILE_MAX_BYTES = 1024 * 1024 };

void notify_aws_credentials_free(struct notify_aws_credentials *credentials)
{
    free(credentials->access_key_id);
    free(credentials->secret_access_key);
    free(credentials->session_token);
    *credentials = (struct notify_aws_credentials){0};
}

/* One line without its end, trimmed of blanks at both ends. */
struct ini_line {
    const char *text;
    size_t length;
};

static struct ini_line trim(const char *text, size_t length)
{
    while (length > 0 && (*text == ' ' || *text == '\t')) {
        text++;
        length--;
    }
    while (length > 0 && strchr(" \t\r", text[length - 1]))
        length--;
    return (struct ini_line){text, length};
}

static bool key_is(struct ini_line key, const char *name)
{
    return key.length == strlen(name) && strncasecmp(key.text, name, key.length) == 0;
}

/* Which field of the credentials a key fills, NULL for keys we do not use. */
static char **credential_field(struct notify_aws_credentials *credentials, struct ini_line key)
{
    if (key_is(key, "aws_access_key_id"))
        return &credentials->access_key_id;
    if (key_is(key, "aws_secret_access_key"))
        return &credentials->secret_access_key;
    if (key_is(key, "aws_session_token") || key_is(key, "aws_security_token"))
        return &credentials->session_token;
    return NULL;
}

struct ini_state {
    const char *profile;
    bool in_section, in_profile, profile_seen;
    size_t line_number;
};

static bool parse_section(struct ini_state *state, struct ini_line line, struct notify_error *error)
{
    if (line.text[line.length - 1] != ']') {
        notify_fail(error, "line %zu: a section header needs a closing ']'", state->line_number);
        return false;
    }
    struct ini_line name = trim(line.text + 1, line.length - 2);
    state->in_section = true;
    state->in_profile = name.length == strlen(state->profile) &&
                        memcmp(name.text, state->profile, name.length) == 0;
    state->profile_seen |= state->in_profile;
    return true;
}

static bool parse_entry(struct ini_state *state, struct ini_line line,
                        struct notify_aws_credentials *credentials, struct notify_error *error)
{
    size_t key_length = 0; /* up to the first delimiter; the text is not NUL-terminated */
    while (key_length < line.length && line.text[key_length] != '=' && line.text[key_length] != ':')
        key_length++;
    if (key_length >= line.length) {
        notify_fail(error, "line %zu: expected 'key = value'", state->line_number);
        return false;
    }
    if (!state->in_section) {
        notify_fail(error, "line %zu: a key before any [section]", state->line_number);
        return false;
    }
    struct ini_line key = trim(line.text, key_length);
    char **field = state->in_profile ? credential_field(credentials, key) : NULL;
    if (!field)
        return true;
    struct ini_line value = trim(line.text + key_length + 1, line.length - key_length - 1);
    free(*field);
    *field = value.length ? strndup(value.text, value.length) : NULL;
    if (value.length && !*field) {
        notify_fail(error, "out of memory reading the credentials");
        return false;
    }
    return true;
}

static bool parse_line(struct ini_state *state, const char *text, size_t length,
                       struct notify_aws_credentials *credentials, struct notify_error *error)
{
    if (memchr(text, '\0', length)) {
        notify_fail(error, "line %zu: a NUL byte", state->line_number);
        return false;
    }
    struct ini_line line = trim(text, length);
    if (line.length == 0 || line.text[0] == '#' || line.text[0] == ';')
        return true;
    if (line.text[0] == '[')
        return parse_section(state, line, error);
    return parse_entry(state, line, credentials, error);
}

static bool check_complete(const struct ini_state *state,
                           const struct notify_aws_credentials *credentials,
                           struct notify_error *error)
{
    if (!state->profile_seen) {
        notify_fail(error, "no [%s] profile", state->profile);
        return false;
    }
    if (!credentials->access_key_id || !credentials->secret_access_key) {
        notify_fail(error, "profile %s has no %s", state->profile,
                    credentials->access_key_id ? "aws_secret_access_key" : "aws_access_key_id");
        return false;
    }
    return true;
}

bool notify_aws_credentials_parse(const char *text, size_t length, const char *profile,
                                  struct notify_aws_credentials *credentials,
                                  struct notify_error *error)
{
    *credentials = (struct notify_aws_credentials){0};
    struct ini_state state = {.profile = profile};
    const char *end = text + length;
    for (const char *line = text; line < end;) {
        const char *newline = memchr(line, '\n', (size_t)(end - line));
        const char *line_end = newline ? newline : end;
        state.line_number++;
        if (!parse_line(&state, line, (size_t)(line_end - line), credentials, error)) {
            notify_aws_credentials_free(credentials);
            return false;
        }
        line = newline ? newline + 1 : end;
    }
    if (!check_complete(&state, credentials, error)) {
        notify_aws_credentials_free(credentials);
        return false;
    }
    return true;
}

static char *read_small_file(const char *path, size_t *length, struct notify_error *error)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        notify_fail(error, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = malloc(CREDENTIALS_FILE_MAX_BYTES + 1);
    *length = text ? fread(text, 1, CREDENTIALS_FILE_MAX_BYTES + 1, file) : 0;
    bool failed = !text || ferror(file) || *length > CREDENTIALS_FILE_MAX_BYTES;
    fclose(file);
    if (failed) {
        notify_fail(error, "%s: %s", path, !text ? "out of memory" : "unreadable or over 1 MiB");
        free(text);
        return NULL;
    }
    return text;
}

static const char *nonempty_env(const char *name)
{
    const char *value = getenv(name);
    return value && *value ? value : NULL;
}

static bool load_from_environment(struct notify_aws_credentials *credentials,
                                  struct notify_error *error)
{
    const char *key = nonempty_env("AWS_ACCESS_KEY_ID");
    const char *secret = nonempty_env("AWS_SECRET_ACCESS_KEY");
    const char *token = nonempty_env("AWS_SESSION_TOKEN");
    if (!key || !secret) {
        notify_fail(error, "AWS credentials: %s is set but %s is not",
                    key ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                    key ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
        return false;
    }
    credentials->access_key_id = strdup(key);
    credentials->secret_access_key = strdup(secret);
    credentials->session_token = token ? strdup(token) : NULL;
    if (!credentials->access_key_id || !credentials->secret_access_key ||
        (token && !credentials->session_token)) {
        notify_aws_credentials_free(credentials);
        notify_fail(error, "AWS credentials: out of memory");
        return false;
    }
    return true;
}

static bool load_from_file(struct notify_aws_credentials *credentials, struct notify_error *error)
{
    const char *profile = nonempty_env("AWS_PROFILE") ? nonempty_env("AWS_PROFILE") : "default";
    const char *path = nonempty_env("AWS_SHARED_CREDENTIALS_FILE");
    char home_path[4096];
    if (!path) {
        const char *home = nonempty_env("HOME");
        if (!home) {
            notify_fail(error, "no AWS credentials: neither AWS_ACCESS_KEY_ID nor HOME is set");
            return false;
        }
        snprintf(home_path, sizeof home_path, "%s/.aws/credentials", home);
        path = home_path;
    }
    size_t length;
    struct notify_error file_error = {{0}};
    char *text = read_small_file(path, &length, &file_error);
    if (!text) {
        notify_fail(error, "no AWS credentials: AWS_ACCESS_KEY_ID is not set, and %s",
                    file_error.message);
        return false;
    }
    bool ok = notify_aws_credentials_parse(text, length, profile, credentials, &file_error);
    free(text);
    if (!ok)
        notify_fail(error, "AWS credentials %s: %s", path, file_error.message);
    return ok;
}

bool notify_aws_credentials_load(struct notify_aws_credentials *credentials,
                                 struct notify_error *error)
{
    *credentials = (struct notify_aws_credentials){0};
    if (nonempty_env("AWS_ACCESS_KEY_ID") || nonempty_env("AWS_SECRET_ACCESS_KEY"))
        return load_from_environment(credentials, error);
    return load_from_file(credentials, error);
}
