/* Internal to notify's delivery: one attempt per transport, the HTTP POST they share, the
 * result helpers, and the AWS credentials SNS Publish signs with.
 *
 * libcurl is loaded and initialised by the command (notify_curl_load, notify/notify_curl.h)
 * before any delivery; notify_deliver hands its functions to the transports that use it.
 * Every attempt uses its own easy handle. */
#ifndef TRAILHOUND_NOTIFY_TRANSPORT_H
#define TRAILHOUND_NOTIFY_TRANSPORT_H

#include "notify/notify.h"

#include "notify/notify_curl.h"

#include <curl/curl.h>

enum { NOTIFY_DEFAULT_TIMEOUT_SECONDS = 15 };

long notify_timeout_seconds(const struct notify_delivery *delivery);

void notify_deliver_smtp(const struct notify_curl *library, const struct notify_delivery *delivery,
                         struct notify_result *result);
void notify_deliver_http(const struct notify_curl *library, const struct notify_delivery *delivery,
                         struct notify_result *result);
void notify_deliver_slack(const struct notify_curl *library, const struct notify_delivery *delivery,
                          struct notify_result *result);
void notify_deliver_pagerduty(const struct notify_curl *library,
                              const struct notify_delivery *delivery, struct notify_result *result);
void notify_deliver_exec(const struct notify_delivery *delivery, struct notify_result *result);
void notify_deliver_sns(const struct notify_curl *library, const struct notify_delivery *delivery,
                        struct notify_result *result);

/* ---- results ---- */

void notify_result_set(struct notify_result *result, enum notify_outcome outcome, long status,
                       const char *format, ...) __attribute__((format(printf, 4, 5)));
/* Appends `text` (any bytes) to the detail as printable UTF-8: control characters become
 * spaces, invalid bytes '?', and a character cut by the end is dropped. */
void notify_result_append_excerpt(struct notify_result *result, const char *text, size_t length);
/* Replaces every occurrence of `secret` in the detail by "…" — a last guard for texts we
 * do not write ourselves (a server's answer, a library's error). Short secrets are skipped:
 * they would blank out ordinary words. */
void notify_result_scrub(struct notify_result *result, const char *secret);
/* Scrubs what a URL may hide: its user information, its password, its path and query. */
void notify_result_scrub_url(struct notify_result *result, const char *url);

/* ---- growing text: alarms/alarm_text.h ---- */
#include "alarms/alarm_text.h"

/* ---- e-mail ---- */

/* The RFC 5322 message for an e-mail delivery: headers (Subject RFC 2047-encoded when it
 * is not plain ASCII), CRLF line ends, 7bit or quoted-printable body. `now` is the Date;
 * `unique` makes the Message-ID when the delivery has no message_id. NULL: out of memory. */
char *notify_smtp_message(const struct notify_delivery *delivery, int64_t now_seconds,
                          const char *unique);

/* ---- HTTP POST ---- */

struct notify_http_request {
    const struct notify_curl *library;
    const char *url;
    const char *shown_url; /* redacted, for the detail */
    const char *body;
    size_t body_length;
    struct curl_slist *headers;
    long timeout_seconds;
    const char *sigv4;         /* CURLOPT_AWS_SIGV4, NULL: unsigned */
    const char *user_password; /* "KEY:SECRET" for SigV4 */
    bool url_credentials;      /* Basic/Digest from the URL (CURLAUTH_ANY) */
    const char *ca_file;       /* NULL: the system's CA store */
};

struct notify_http_response {
    CURLcode code;
    long status;
    int64_t retry_after_ms;
    char body[1024]; /* the first bytes of the answer, NUL-terminated */
    size_t body_length;
    char error[CURL_ERROR_SIZE];
};

/* One POST with its own easy handle; false when libcurl could not even be set up (the
 * result is then filled as a retry). A transfer error is a response with `code` set. */
bool notify_http_post(const struct notify_http_request *request,
                      struct notify_http_response *response, struct notify_result *result);
/* Fills the result for a transfer that got no HTTP answer: always a retry. */
void notify_result_transfer_failed(struct notify_result *result,
                                   const struct notify_http_request *request,
                                   const struct notify_http_response *response);

/* ---- AWS credentials (SNS Publish) ---- */

struct notify_aws_credentials {
    char *access_key_id;
    char *secret_access_key;
    char *session_token; /* NULL when none */
};

/* Reads `profile` from the text of an AWS shared credentials file (INI: `[profile]`
 * sections, `key = value`, `#`/`;` comments, keys case-insensitive). False with an error
 * naming the line or the missing key; the error never quotes a value. */
bool notify_aws_credentials_parse(const char *text, size_t length, const char *profile,
                                  struct notify_aws_credentials *credentials,
                                  struct notify_error *error);
/* AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else the profile
 * AWS_PROFILE (or "default") of AWS_SHARED_CREDENTIALS_FILE (or ~/.aws/credentials). */
bool notify_aws_credentials_load(struct notify_aws_credentials *credentials,
                                 struct notify_error *error);
void notify_aws_credentials_free(struct notify_aws_credentials *credentials);

#endif
