/* Protocol names, secret references (`env:NAME`, `file:PATH`) and what may be shown of an
 * endpoint. A secret never reaches an error message: errors name the reference only. */
#include "notify/notify.h"
#include "notify/notify_fail.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* A secret file is a key or a password, never more. */
enum { SECRET_FILE_MAX_BYTES = 64 * 1024 };

static const char *const protocol_names[] = {
    [NOTIFY_EMAIL] = "email", [NOTIFY_EMAIL_JSON] = "email-json",
    [NOTIFY_HTTP] = "http",   [NOTIFY_HTTPS] = "https",
    [NOTIFY_SLACK] = "slack", [NOTIFY_PAGERDUTY] = "pagerduty",
    [NOTIFY_EXEC] = "exec",   [NOTIFY_SNS] = "sns",
};

const char *notify_protocol_name(enum notify_protocol protocol)
{
    return (size_t)protocol < COUNT(protocol_names) ? protocol_names[protocol] : "unknown";
}

bool notify_protocol_parse(const char *name, enum notify_protocol *protocol)
{
    for (size_t i = 0; name && i < COUNT(protocol_names); i++)
        if (strcmp(name, protocol_names[i]) == 0) {
            *protocol = (enum notify_protocol)i;
            return true;
        }
    return false;
}

static char *resolve_environment(const char *name, struct notify_error *error)
{
    const char *value = getenv(name);
    if (!value) {
        notify_fail(error, "secret env:%s: the environment variable is not set", name);
        return NULL;
    }
    if (!*value) {
        notify_fail(error, "secret env:%s: the environment variable is empty", name);
        return NULL;
    }
    char *copy = strdup(value);
    if (!copy)
        notify_fail(error, "secret env:%s: out of memory", name);
    return copy;
}

/* Checked on the open descriptor, so the file cannot be swapped between check and read. */
static bool secret_file_acceptable(int fd, const char *path, struct notify_error *error)
{
    struct stat status;
    if (fstat(fd, &status) != 0) {
        notify_fail(error, "secret file:%s: %s", path, strerror(errno));
        return false;
    }
    if (!S_ISREG(status.st_mode)) {
        notify_fail(error, "secret file:%s: not a regular file", path);
        return false;
    }
    if (status.st_uid != geteuid()) {
        notify_fail(error, "secret file:%s: owned by uid %ld, not by this user (uid %ld)", path,
                    (long)status.st_uid, (long)geteuid());
        return false;
    }
    if (status.st_mode & (S_IRWXG | S_IRWXO)) {
        notify_fail(error,
                    "secret file:%s: mode %04o lets others read it; make it 0600 or stricter", path,
                    (unsigned)(status.st_mode & 07777));
        return false;
    }
    if (status.st_size > SECRET_FILE_MAX_BYTES) {
        notify_fail(error, "secret file:%s: larger than %d bytes", path, SECRET_FILE_MAX_BYTES);
        return false;
    }
    return true;
}

static char *read_secret_file(int fd, const char *path, struct notify_error *error)
{
    char *text = malloc(SECRET_FILE_MAX_BYTES + 1);
    if (!text) {
        notify_fail(error, "secret file:%s: out of memory", path);
        return NULL;
    }
    size_t length = 0;
    while (length < SECRET_FILE_MAX_BYTES) {
        ssize_t got = read(fd, text + length, SECRET_FILE_MAX_BYTES - length);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            notify_fail(error, "secret file:%s: %s", path, strerror(errno));
            free(text);
            return NULL;
        }
        if (got == 0)
            break;
        length += (size_t)got;
    }
    text[length] = '\0';
    if (strlen(text) != length) {
        notify_fail(error, "secret file:%s: contains a NUL byte", path);
        free(text);
        return NULL;
    }
    if (length > 0 && text[length - 1] == '\n')
        text[--length] = '\0';
    if (length > 0 && text[length - 1] == '\r')
        text[--length] = '\0';
    return text;
}

static char *resolve_file(const char *path, struct notify_error *error)
{
    /* O_NONBLOCK: opening a FIFO must not hang; it is refused as not regular. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        notify_fail(error, "secret file:%s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = secret_file_acceptable(fd, path, error) ? read_secret_file(fd, path, error) : NULL;
    close(fd);
    return text;
}

char *notify_secret_resolve(const char *reference, struct notify_error *error)
{
    if (!reference) {
        notify_fail(error, "no secret given");
        return NULL;
    }
    if (strncmp(reference, "env:", 4) == 0)
        return resolve_environment(reference + 4, error);
    if (strncmp(reference, "file:", 5) == 0)
        return resolve_file(reference + 5, error);
    char *copy = strdup(reference);
    if (!copy)
        notify_fail(error, "secret: out of memory");
    return copy;
}

static bool is_reference(const char *endpoint)
{
    return strncmp(endpoint, "env:", 4) == 0 || strncmp(endpoint, "file:", 5) == 0;
}

/* scheme://host[:port]/… : user information, path, query and fragment may all be secret
 * (a Slack webhook's path is its key). */
static char *redact_url(const char *url)
{
    const char *separator = strstr(url, "://");
    if (!separator || separator == url || strcspn(url, "/?#@") < (size_t)(separator - url))
        return strdup("…");
    const char *authority = separator + 3;
    size_t authority_length = strcspn(authority, "/?#");
    const char *at = NULL;
    for (const char *p = authority; p < authority + authority_length; p++)
        if (*p == '@')
            at = p;
    const char *host = at ? at + 1 : authority;
    int host_length = (int)(authority + authority_length - host);
    int scheme_length = (int)(separator - url);
    size_t size = (size_t)scheme_length + (size_t)host_length + 16;
    char *text = malloc(size);
    if (text)
        snprintf(text, size, "%.*s://%.*s/…", scheme_length, url, host_length, host);
    return text;
}

/* A PagerDuty routing key: its first four characters identify it to its owner. */
static char *redact_key(const char *key)
{
    size_t length = strlen(key);
    if (length <= 8)
        return strdup("…");
    char *text = malloc(4 + sizeof "…");
    if (text)
        snprintf(text, 4 + sizeof "…", "%.4s…", key);
    return text;
}

char *notify_redact(enum notify_protocol protocol, const char *endpoint)
{
    if (!endpoint)
        return strdup("");
    if (is_reference(endpoint))
        return strdup(endpoint);
    switch (protocol) {
    case NOTIFY_HTTP:
    case NOTIFY_HTTPS:
    case NOTIFY_SLACK:
        return redact_url(endpoint);
    case NOTIFY_PAGERDUTY:
        return redact_key(endpoint);
    case NOTIFY_EMAIL:
    case NOTIFY_EMAIL_JSON:
    case NOTIFY_EXEC:
    case NOTIFY_SNS:
        return strdup(endpoint);
    }
    return strdup("…");
}
