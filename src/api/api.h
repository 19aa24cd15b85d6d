/* api: trailhound's AWS-compatible HTTP face (../shared/spec/aws-api.md), served with
 * libmicrohttpd: CloudWatch Logs over JSON 1.1, CloudWatch over query/XML and JSON 1.0, SNS
 * over query/XML, every request checked with SigV4 against the configured credentials and
 * answered in the service's own response and error shapes; plus SNS's callback URLs
 * (SubscribeURL, UnsubscribeURL, the signing certificate). What the API changes is written
 * to the store at once. The daemon (`trailhound serve`) starts it; tests start it alone. */
#ifndef TRAILHOUND_API_API_H
#define TRAILHOUND_API_API_H

#include "config/config.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct api_error {
    char message[512];
};

/* One access key the API accepts (a --credentials file holds them). */
struct api_credential {
    char *access_key_id;
    char *secret_access_key;
};

struct api_credentials {
    struct api_credential *items;
    size_t count;
};

/* Reads a credentials file: AWS's INI shape ([profile] with aws_access_key_id and
 * aws_secret_access_key), every profile's pair accepted. Read as botocore reads it:
 * `key = value` or `key: value`, key names in any case; a line botocore would refuse (no
 * delimiter, an unclosed section header, a key before any section) refuses the file with
 * its line number. */
bool api_credentials_load(const char *path, struct api_credentials *credentials,
                          struct api_error *error);
/* The same for a file's text (`length` bytes, not NUL-terminated; a NUL byte is refused). */
bool api_credentials_parse(const char *text, size_t length, struct api_credentials *credentials,
                           struct api_error *error);
void api_credentials_free(struct api_credentials *credentials);
/* Adds a copy of one pair; false on out of memory. */
bool api_credentials_add(struct api_credentials *credentials, const char *access_key_id,
                         const char *secret_access_key);

/* A growable text buffer (api_buffer.c); `failed` sticks after the first allocation failure.
 * Public so the daemon can write its part of /metrics into the API's answer. */
struct api_buffer {
    char *data;
    size_t length, capacity;
    bool failed;
};

void api_buffer_append(struct api_buffer *buffer, const char *bytes, size_t length);
void api_buffer_append_text(struct api_buffer *buffer, const char *text);
void api_buffer_free(struct api_buffer *buffer);

/* /metrics in the Prometheus text format (version 0.0.4, api_prometheus.c). A family's
 * "# HELP" and "# TYPE" lines (`type` "counter" or "gauge"), then its samples. */
void api_prometheus_family(struct api_buffer *buffer, const char *name, const char *type,
                           const char *help);
/* One sample: name{label="value",...} number. `labels` holds `label_count` name/value
 * pairs (2 × label_count strings); values are escaped (backslash, double quote, newline). */
void api_prometheus_sample(struct api_buffer *buffer, const char *name, const char *const *labels,
                           size_t label_count, double value);

struct api_settings {
    const char *listen;          /* "127.0.0.1:4566" */
    const char *db_path;         /* the store every request opens its own handle on */
    const struct config *config; /* account, region, public base URL, configured topics */
    const struct api_credentials *credentials; /* NULL or empty: every request is refused */
    /* serve --insecure-no-auth, for local experiments only: requests are not checked */
    bool allow_unsigned;
    /* Log events a PutLogEvents call brought, handed to the daemon's ingestion, which stores
     * them with their data points in one transaction, before the call is answered
     * (acknowledged = committed); false answers ServiceUnavailableException. Called on the
     * request's thread. NULL: the API stores the events itself. */
    bool (*on_log_events)(void *context, const char *log_group, const char *log_stream,
                          const char *const *messages, const int64_t *timestamps_ms, size_t count,
                          struct api_error *error);
    void *context;
    /* Operations, unsigned: /healthz and /metrics. They are served on `metrics_listen` when
     * set (then not on `listen`, which may be NULL: operations only); `metrics_off`: /metrics
     * answers 404. */
    const char *metrics_listen;
    bool metrics_off;
    /* The daemon's part of /metrics, appended after the store's (NULL: none). */
    bool (*write_metrics)(void *context, int64_t now_ms, struct api_buffer *out);
    /* The daemon's part of /healthz: false with a short reason when unhealthy (NULL: healthy). */
    bool (*check_health)(void *context, int64_t now_ms, char *reason, size_t size);
    /* The clock (tests inject one); NULL: the wall clock. */
    int64_t (*now_ms)(void *context);
};

struct api_server;

/* Loads libmicrohttpd (api/api_microhttpd.h) and starts serving on settings->listen and
 * settings->metrics_listen (threads owned by libmicrohttpd); NULL with `error` when the
 * library cannot be loaded, an address cannot be bound or the settings are unusable. */
struct api_server *api_server_start(const struct api_settings *settings, struct api_error *error);
/* The port actually bound (for listen addresses ending in ":0"); 0 when `listen` is NULL. */
int api_server_port(const struct api_server *server);
/* The port of `metrics_listen`; 0 when it is not set. */
int api_server_metrics_port(const struct api_server *server);
/* Stops accepting, waits for requests in flight, frees. */
void api_server_stop(struct api_server *server);

#endif
