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
 * aws_secret_access_key), every profile's pair accepted. */
bool api_credentials_load(const char *path, struct api_credentials *credentials,
                          struct api_error *error);
void api_credentials_free(struct api_credentials *credentials);

struct api_settings {
    const char *listen;          /* "127.0.0.1:4566" */
    const char *db_path;         /* the store every request opens its own handle on */
    const struct config *config; /* account, region, public base URL, configured topics */
    const struct api_credentials *credentials; /* NULL or empty: every request is refused */
    /* Log events a PutLogEvents call brought, handed to the daemon's ingestion, which stores
     * them with their data points in one transaction, before the call is answered
     * (acknowledged = committed); false answers ServiceUnavailableException. Called on the
     * request's thread. NULL: the API stores the events itself. */
    bool (*on_log_events)(void *context, const char *log_group, const char *log_stream,
                          const char *const *messages, const int64_t *timestamps_ms, size_t count,
                          struct api_error *error);
    void *context;
    /* The clock (tests inject one); NULL: the wall clock. */
    int64_t (*now_ms)(void *context);
};

struct api_server;

/* Starts serving on settings->listen (threads owned by libmicrohttpd); NULL with `error`
 * when the address cannot be bound or the settings are unusable. */
struct api_server *api_server_start(const struct api_settings *settings, struct api_error *error);
/* The port actually bound (for listen addresses ending in ":0"). */
int api_server_port(const struct api_server *server);
/* Stops accepting, waits for requests in flight, frees. */
void api_server_stop(struct api_server *server);

#endif
