/* The access keys the API accepts, gathered from every place a user may keep them: the
 * --credentials file (AWS shared-credentials format), settings.apiAccessKeyId and
 * apiSecretAccessKey (the secret may be a reference), and the key trailhound generated on
 * a first start that had none. That key lives in the store (the API needs the secret itself
 * to check HMAC signatures; the store file is the owner's alone) and in a shared-credentials
 * file beside it, mode 0600, for the AWS CLI to read; the log names the file and the key id,
 * never the secret. It is accepted only while no other key is configured. */
#include "daemon/daemon_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GENERATED_KEY_SETTING "api.generatedAccessKey" /* "KEYID SECRET" */
#define CREDENTIALS_FILE_NAME "api-credentials"

static bool fail(struct daemon_error *error, const char *format, const char *detail)
{
    snprintf(error->message, sizeof error->message, format, detail);
    return false;
}

static bool add_configured_key(struct daemon *daemon, struct daemon_error *error)
{
    const struct config_settings *settings = &daemon->config.settings;
    if (!settings->api_access_key_id)
        return true;
    struct notify_error secret_error;
    char *secret = notify_secret_resolve(settings->api_secret_access_key, &secret_error);
    if (!secret)
        return fail(error, "settings.apiSecretAccessKey: %s", secret_error.message);
    bool added = api_credentials_add(&daemon->api_credentials, settings->api_access_key_id, secret);
    memset(secret, 0, strlen(secret));
    free(secret);
    return added || fail(error, "%s", "out of memory");
}

/* `length` characters from `alphabet`, drawn with the OS's random generator. */
static bool random_text(char *out, size_t length, const char *alphabet)
{
    unsigned char bytes[64];
    size_t size = strlen(alphabet);
    if (length > sizeof bytes || RAND_bytes(bytes, (int)length) != 1)
        return false;
    for (size_t i = 0; i < length; i++)
        out[i] = alphabet[bytes[i] % size]; /* 256 % 32 == 0 and 256 % 64 == 0: unbiased */
    out[length] = '\0';
    memset(bytes, 0, sizeof bytes);
    return true;
}

/* A shared-credentials file with profile [trailhound] and [default], created 0600. */
static bool write_credentials_file(const char *path, const char *key_id, const char *secret)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return false;
    char text[512];
    int length = snprintf(text, sizeof text,
                          "# written by trailhound serve: the API's generated access key\n"
                          "[trailhound]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
                          key_id, secret);
    bool ok = fchmod(fd, 0600) == 0 && write(fd, text, (size_t)length) == length && fsync(fd) == 0;
    memset(text, 0, sizeof text);
    return close(fd) == 0 && ok;
}

static char *credentials_file_path(const char *db_path)
{
    const char *slash = strrchr(db_path, '/');
    size_t directory = slash ? (size_t)(slash - db_path) : 1;
    char *path = malloc(directory + sizeof CREDENTIALS_FILE_NAME + 1);
    if (path)
        sprintf(path, "%.*s/%s", (int)directory, slash ? db_path : ".", CREDENTIALS_FILE_NAME);
    return path;
}

/* First start with no key anywhere: generate one, write the file, then keep it in the store
 * (in that order: a key the store keeps but no file holds would be a secret nobody has). */
static bool generate_key(struct daemon *daemon, struct daemon_error *error)
{
    char key_id[21], secret[41], value[64];
    memcpy(key_id, "THK", 3);
    if (!random_text(key_id + 3, 17, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") ||
        !random_text(secret, 40,
                     "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"))
        return fail(error, "%s", "cannot draw random bytes for an access key");
    snprintf(value, sizeof value, "%s %s", key_id, secret);
    char *path = credentials_file_path(daemon->db_path);
    struct store_error store_error;
    bool ok = path && write_credentials_file(path, key_id, secret);
    if (!ok)
        fail(error, "cannot write the generated credentials to %s",
             path ? path : "(out of memory)");
    else if (!(ok = store_setting_set(daemon->store, GENERATED_KEY_SETTING, value, &store_error)))
        fail(error, "cannot keep the generated access key: %s", store_error.message);
    if (ok)
        daemon_log(daemon, "warn", "api_credentials_generated",
                   "access_key_id=%s file=%s hint=\"AWS_SHARED_CREDENTIALS_FILE=%s aws "
                   "--profile trailhound --endpoint-url http://ADDRESS ...\"",
                   key_id, path, path);
    ok = ok && api_credentials_add(&daemon->api_credentials, key_id, secret);
    memset(secret, 0, sizeof secret);
    memset(value, 0, sizeof value);
    free(path);
    return ok;
}

/* The generated key, when an earlier start made one: accepted only while no other key is
 * configured (configuring your own retires it), its file written again if it went missing. */
static bool use_stored_key(struct daemon *daemon, struct daemon_error *error)
{
    char *value = NULL;
    struct store_error store_error;
    if (!store_setting_get(daemon->store, GENERATED_KEY_SETTING, &value, &store_error))
        return fail(error, "cannot read the generated access key: %s", store_error.message);
    char *space = value ? strchr(value, ' ') : NULL;
    bool ok = true;
    if (space && daemon->api_credentials.count > 0) {
        *space = '\0';
        daemon_log(daemon, "info", "api_generated_key_retired",
                   "access_key_id=%s reason=\"other keys are configured\"", value);
    } else if (space) {
        *space = '\0';
        char *path = credentials_file_path(daemon->db_path);
        if (path && access(path, F_OK) != 0 && write_credentials_file(path, value, space + 1))
            daemon_log(daemon, "warn", "api_credentials_rewritten", "access_key_id=%s file=%s",
                       value, path);
        free(path);
        ok = api_credentials_add(&daemon->api_credentials, value, space + 1);
    }
    if (value) {
        memset(value, 0, strlen(value) + (space ? strlen(space + 1) + 1 : 0));
        free(value);
    }
    return ok || fail(error, "%s", "out of memory");
}

bool daemon_credentials_gather(struct daemon *daemon, struct daemon_error *error)
{
    const struct daemon_options *options = &daemon->options;
    struct api_error api_error = {.message = ""};
    if (options->credentials_path &&
        !api_credentials_load(options->credentials_path, &daemon->api_credentials, &api_error)) {
        snprintf(error->message, sizeof error->message, "--credentials %s: %s",
                 options->credentials_path, api_error.message);
        return false;
    }
    if (!add_configured_key(daemon, error) || !use_stored_key(daemon, error))
        return false;
    if (daemon->api_credentials.count == 0 && !options->insecure_no_auth)
        return generate_key(daemon, error);
    return true;
}
