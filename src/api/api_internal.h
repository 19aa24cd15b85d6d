/* api internals: the request as received, the text buffer, the form and SigV4 parsers, the
 * response being built, and the operation tables of each service. */
#ifndef TRAILHOUND_API_API_INTERNAL_H
#define TRAILHOUND_API_API_INTERNAL_H

#include "api/api.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Request bodies above this are refused with a 413-shaped AWS error (PutLogEvents' 1 MiB
 * batch, JSON-escaped, fits). */
#define API_MAX_BODY_BYTES (2u * 1024u * 1024u)
/* At most this many headers and form fields are kept per request. */
#define API_MAX_HEADERS 64
#define API_MAX_FORM_FIELDS 4096
/* AWS's clock-skew window. */
#define API_MAX_SKEW_MS (INT64_C(15) * 60 * 1000)

/* ---- the text buffer (struct api_buffer and its appends: api.h) ---- */
void api_buffer_append_xml(struct api_buffer *buffer, const char *text); /* escaped */
/* <name>escaped text</name> */
void api_buffer_append_element(struct api_buffer *buffer, const char *name, const char *text);
/* The text (NUL-terminated, never NULL unless failed); the buffer gives it up. */
char *api_buffer_take(struct api_buffer *buffer);

/* ---- the request as received ---- */
struct api_header {
    char *name; /* lower case */
    char *value;
};

struct api_request {
    const char *method;
    const char *path;  /* without the query */
    const char *query; /* the raw query string ("" when none) */
    struct api_header headers[API_MAX_HEADERS];
    size_t header_count;
    const char *body;
    size_t body_length;
};

/* The value of a header (joined with "," when repeated, as SigV4 wants) into `out`; false
 * when absent or too long. */
bool api_request_header(const struct api_request *request, const char *lower_name, char *out,
                        size_t size);

/* ---- application/x-www-form-urlencoded (query protocol and callback URLs) ---- */
struct api_form_field {
    char *name, *value; /* decoded: '+' is a space, %XX a byte; NUL bytes refused */
};

struct api_form {
    struct api_form_field *fields;
    size_t count;
};

/* Parses `length` bytes; false (form left empty) on a bad %-escape, a NUL byte or more than
 * API_MAX_FORM_FIELDS fields. */
bool api_form_parse(const char *text, size_t length, struct api_form *form);
void api_form_free(struct api_form *form);
/* The last value of `name`, or NULL. */
const char *api_form_get(const struct api_form *form, const char *name);

/* ---- SigV4 (aws-api.md §8) ---- */
struct api_sigv4_authorization {
    char access_key[129];
    char date[9]; /* yyyymmdd */
    char region[33];
    char service[33];
    char signed_headers[1024];
    char signature[65];
};

/* Parses an Authorization header value; false when malformed. */
bool api_sigv4_parse(const char *header, struct api_sigv4_authorization *authorization);

enum api_auth_status {
    API_AUTH_OK,
    API_AUTH_MISSING,    /* no Authorization header */
    API_AUTH_INCOMPLETE, /* malformed header, X-Amz-Date missing or not matching the scope */
    API_AUTH_UNKNOWN_KEY,
    API_AUTH_MISMATCH,
    API_AUTH_EXPIRED, /* outside the 15-minute window */
    API_AUTH_INTERNAL,
};

struct api_auth_result {
    enum api_auth_status status;
    char service[33]; /* the credential scope's service, when parsed */
    char message[256];
};

/* Lower-case hex of the SHA-256 of `length` bytes into `out` (65 bytes). */
void api_sha256_hex(const void *bytes, size_t length, char out[65]);
/* The signature of `string_to_sign` for (secret, date, region, service), hex into `out`. */
bool api_sigv4_signature(const char *secret, const char *date, const char *region,
                         const char *service, const char *string_to_sign, char out[65]);
/* Builds the canonical request of `request` for the signed headers listed; false when one
 * of them is missing. malloc'ed into *out. */
bool api_sigv4_canonical_request(const struct api_request *request, const char *signed_headers,
                                 char **out);
/* Verifies the request's signature against `credentials` at `now_ms`. */
void api_sigv4_verify(const struct api_request *request, const struct api_credentials *credentials,
                      int64_t now_ms, struct api_auth_result *result);

/* ---- one API call ---- */
#include <jansson.h>

enum api_protocol {
    API_PROTOCOL_LOGS_JSON,       /* JSON 1.1, Logs_20140328 */
    API_PROTOCOL_MONITORING_JSON, /* JSON 1.0, GraniteServiceVersion20100801 */
    API_PROTOCOL_MONITORING_QUERY,
    API_PROTOCOL_SNS_QUERY,
};

struct api_call {
    const struct api_settings *settings;
    struct store *store;
    enum api_protocol protocol;
    const char *operation;
    char request_id[37];
    int64_t now_ms;
    const char *account_id, *region;
    /* the input: JSON requests as sent; query requests turned into the same JSON shape */
    json_t *input;
    const struct api_form *form; /* query requests: the fields as sent */
    /* the answer */
    int status;
    char *body; /* malloc'ed; NULL: empty */
    const char *content_type;
    char query_error[160]; /* x-amzn-query-error for JSON 1.0 errors, "" when none */
};

/* Answers with an AWS error in the call's protocol shape. */
void api_fail(struct api_call *call, int status, const char *code, const char *message);
/* The error every handler gives when the store or memory fails. */
void api_fail_internal(struct api_call *call, const char *detail);
/* Answers with `output` (stolen; NULL: no output) — JSON protocols as the object, query
 * protocols as <OpResponse><OpResult>…</OpResult><ResponseMetadata>… with lists as
 * <member> and real numbers under keys holding "Timestamp"/"Date"/"Time" as ISO 8601. */
void api_reply(struct api_call *call, json_t *output);

/* Query form fields as the JSON request shape: dotted keys nested, X.member.N and
 * X.entry.N as arrays, numbers, booleans and timestamps (epoch seconds) by member name. */
json_t *api_form_to_json(const struct api_form *form);

/* Input readers: NULL / false when absent or of another type. */
const char *api_input_string(const json_t *input, const char *name);

/* Each service's operations; false when `call->operation` is not one of them. */
bool api_monitoring_dispatch(struct api_call *call);
bool api_sns_dispatch(struct api_call *call);
bool api_logs_dispatch(struct api_call *call);
/* PutMetricData, GetMetricStatistics, ListMetrics, GetMetricData. */
bool api_metrics_dispatch(struct api_call *call);
/* CreateLogGroup, DescribeLogGroups, CreateLogStream, PutLogEvents, FilterLogEvents. */
bool api_log_groups_dispatch(struct api_call *call);
/* /metrics and /healthz (GET, unsigned, api_prometheus.c): false when `path` is neither or
 * /metrics is turned off. */
bool api_operations_answer(struct api_call *call, const char *path);
/* Paging by position (api_page.c): the items of `all` from the NextToken's index, at most
 * `page_size`, into output[list_name], and "NextToken" when more remain. False with the
 * error answered (`invalid_token_code`, 400) when the token is not an index. */
bool api_page(struct api_call *call, json_t *all, size_t page_size, const char *list_name,
              const char *invalid_token_code, json_t *output);
/* SNS's callback URLs (GET, unsigned): false when `path` is none of them. */
bool api_callback_answer(struct api_call *call, const char *path, const struct api_form *query);

#endif
