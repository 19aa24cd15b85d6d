/* notify: what leaves trailhound when an alarm changes state (../shared/spec/notifications.md).
 *
 * Three layers, each usable alone:
 *  - messages: the CloudWatch alarm message exactly as AWS writes it (plus a last key,
 *    `Trailhound`, with the evidence behind the change), its subject, the e-mail text SNS
 *    renders, SNS's HTTP envelopes with SignatureVersion 1/2 signatures, Slack and
 *    PagerDuty payloads — pure functions of their inputs;
 *  - delivery: one attempt over the real protocol (SMTP, HTTP/S, Slack webhook, PagerDuty
 *    Events v2, exec, SNS Publish with SigV4) classified as delivered, retryable or
 *    permanent, and the retry schedules (SNS's default HTTP policy, trailhound's 24-hour
 *    exponential backoff with jitter);
 *  - topics and subscriptions (SNS's model) and secret references (`env:NAME`,
 *    `file:PATH`), redacted wherever they are shown.
 * The durable outbox that ties them to alarm transitions lives in the monitor and store. */
#ifndef TRAILHOUND_NOTIFY_NOTIFY_H
#define TRAILHOUND_NOTIFY_NOTIFY_H

#include "alarms/alarms.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct notify_error {
    char message[512];
};

/* ---- messages ---- */

/* One alarm state change, everything a message needs. Borrowed pointers. */
struct notify_alarm_change {
    const struct alarm_definition *alarm;
    const char *account_id;
    const char *region; /* "us-east-1" */
    enum alarm_state old_state, new_state;
    const char *reason;      /* NewStateReason */
    const char *reason_data; /* NULL allowed */
    int64_t change_ms;       /* StateChangeTime */
    int64_t configuration_updated_ms;
    /* the matches of the evaluated window (metrics/metrics.h); NULL: no Trailhound key */
    const struct metric_evidence *evidence;
    /* grouping: more than 1 when this message stands for that many state changes of the
     * alarm within `grouping_window_seconds`, this change the latest; 0 or 1: one change */
    unsigned grouped;
    int grouping_window_seconds;
};

/* "US East (N. Virginia)" as CloudWatch spells it (§2.5); the code itself when unknown. */
const char *notify_region_long_name(const char *region);

/* The CloudWatch → SNS message, §2.2: single-line JSON, AWS's key order, then
 * "Trailhound" when evidence is given, or the change is grouped ("grouped": N and
 * "groupingWindowSeconds" as its last keys). malloc'ed; NULL on out of memory. */
char *notify_alarm_message(const struct notify_alarm_change *change);
/* §2.1: `ALARM: "name" in US East (N. Virginia)`, under 100 characters. */
char *notify_alarm_subject(const struct notify_alarm_change *change);
/* "3 state changes in 600 s; latest: OK -> ALARM", the line grouped messages start with;
 * NULL when the change is not grouped or memory runs out. */
char *notify_grouped_line(const struct notify_alarm_change *change);
/* §3: the e-mail body SNS renders (CRLF line ends), then the evidence for a person; a
 * grouped change starts with notify_grouped_line and a blank line. The
 * footer links to `unsubscribe_url` (NULL: SNS's https://sns.REGION.amazonaws.com/
 * unsubscribe.html) followed by ?SubscriptionArn=…&Endpoint=… as SNS writes it. */
char *notify_alarm_email(const struct notify_alarm_change *change, const char *subscription_arn,
                         const char *endpoint, const char *unsubscribe_url);
/* §6: a Slack incoming-webhook payload (text + attachment blocks, evidence included). */
char *notify_slack_payload(const struct notify_alarm_change *change);
/* §7: a PagerDuty Events v2 event: trigger on ALARM, resolve on OK and on
 * ALARM -> INSUFFICIENT_DATA (`resolve_on_insufficient`); NULL with *skip true when the
 * change sends nothing. */
char *notify_pagerduty_event(const struct notify_alarm_change *change, const char *routing_key,
                             bool resolve_on_insufficient, bool *skip);

/* ---- SNS envelopes and signatures (§4) ---- */

/* An RSA key pair and a self-signed certificate, PEM text, made on first use and kept in
 * the store by the caller. */
struct notify_signing_key {
    char *private_key_pem;
    char *certificate_pem;
};

bool notify_signing_key_create(struct notify_signing_key *key, struct notify_error *error);
void notify_signing_key_free(struct notify_signing_key *key);

enum notify_envelope_type {
    NOTIFY_ENVELOPE_NOTIFICATION,
    NOTIFY_ENVELOPE_SUBSCRIPTION_CONFIRMATION,
    NOTIFY_ENVELOPE_UNSUBSCRIBE_CONFIRMATION,
};

struct notify_envelope {
    enum notify_envelope_type type;
    const char *message_id; /* UUID */
    const char *topic_arn;
    const char *subject; /* Notification only; NULL: omitted */
    const char *message;
    const char *token;           /* confirmations */
    const char *subscribe_url;   /* confirmations */
    const char *unsubscribe_url; /* Notification */
    const char *signing_cert_url;
    int64_t timestamp_ms;
    int signature_version; /* 1 (SHA1withRSA) or 2 (SHA256withRSA) */
};

/* The Message of a SubscriptionConfirmation (§4.2) and of an UnsubscribeConfirmation
 * (§4.4), as SNS words them. malloc'ed; NULL on out of memory. */
char *notify_subscription_confirmation_message(const char *topic_arn);
char *notify_unsubscribe_confirmation_message(const char *subscription_arn);
/* The string to sign of §4.5: the type's signed fields in byte order of their names, each
 * `Name\nValue\n`, values unescaped. malloc'ed; NULL with `error` when a field is missing. */
char *notify_envelope_string_to_sign(const struct notify_envelope *envelope,
                                     struct notify_error *error);
/* The JSON document SNS POSTs (§4.2–4.4), signed with `key`. malloc'ed. */
char *notify_envelope_json(const struct notify_envelope *envelope,
                           const struct notify_signing_key *key, struct notify_error *error);
/* The mail SNS sends to confirm an `email` subscription, with this subject: the topic and
 * `confirm_url`, the link that confirms (CRLF line ends). malloc'ed; NULL on out of memory. */
#define NOTIFY_SUBSCRIPTION_CONFIRMATION_SUBJECT "AWS Notification - Subscription Confirmation"
char *notify_subscription_confirmation_email(const char *topic_arn, const char *confirm_url);
/* The same request for a Slack channel (our extension): a webhook payload whose text links
 * to `confirm_url`. malloc'ed; NULL on out of memory. */
char *notify_slack_subscription_confirmation(const char *topic_arn, const char *confirm_url);
/* Checks an envelope's signature against a PEM certificate, as a subscriber does. */
bool notify_envelope_verify(const char *json, const char *certificate_pem,
                            struct notify_error *error);
/* A random version-4 UUID and a random confirmation token (hex), into `out`; false when
 * no source of random bytes answers (nothing guessable is made instead). */
bool notify_uuid(char out[37]);
bool notify_token(char out[129]);

/* ---- subscriptions and secrets ---- */

enum notify_protocol {
    NOTIFY_EMAIL,
    NOTIFY_EMAIL_JSON,
    NOTIFY_HTTP,
    NOTIFY_HTTPS,
    NOTIFY_SLACK,
    NOTIFY_PAGERDUTY,
    NOTIFY_EXEC,
    NOTIFY_SNS,
};

/* "email", "email-json", "http", "https", "slack", "pagerduty", "exec", "sns". */
const char *notify_protocol_name(enum notify_protocol protocol);
bool notify_protocol_parse(const char *name, enum notify_protocol *protocol);

/* A secret given inline or by reference: "env:NAME" reads the environment, "file:PATH" a
 * file that only its owner may read (mode 0600 or stricter; trailing newline dropped).
 * Returns the malloc'ed value, or NULL with `error` (which never contains the secret). */
char *notify_secret_resolve(const char *reference, struct notify_error *error);
/* What may be shown of an endpoint in logs, history and listings: references as written,
 * inline webhook URLs and routing keys cut to their host or first characters plus "…". */
char *notify_redact(enum notify_protocol protocol, const char *endpoint);

/* ---- topics (SNS's model; defined in the configuration file, later through the API) ---- */

struct notify_subscription {
    enum notify_protocol protocol;
    char *endpoint;            /* as written: a secret reference stays a reference */
    char *arn;                 /* TOPIC_ARN:UUID, stable for a configured (protocol, endpoint) */
    bool confirmed;            /* configured subscriptions count as confirmed */
    bool raw_message_delivery; /* http/https: POST the bare message */
    bool resolve_on_insufficient_data; /* pagerduty: ALARM -> INSUFFICIENT_DATA resolves */
    char *delivery_policy;             /* NULL: the topic's */
    /* > 0: state changes of one alarm within this many seconds share one message, held
     * until the window ends (GroupingWindowSeconds, the topic's unless the subscription
     * names its own) */
    int grouping_window_seconds;
    char *origin; /* "file.yaml:12" */
};

struct notify_topic {
    char *name;
    char *arn;             /* arn:aws:sns:REGION:ACCOUNT:NAME */
    char *display_name;    /* NULL when none */
    char *delivery_policy; /* NULL: trailhound-default */
    struct notify_subscription *subscriptions;
    size_t subscription_count;
    char *origin;
};

struct notify_topic_list {
    struct notify_topic *items;
    size_t count, capacity;
};

void notify_topic_list_free(struct notify_topic_list *list);
/* Frees the topics from position `count` on. */
void notify_topic_list_truncate(struct notify_topic_list *list, size_t count);
/* Appends a deep copy; false on out of memory. */
bool notify_topic_list_append(struct notify_topic_list *list, const struct notify_topic *topic);
/* Appends a deep copy of `subscription` to `topic`'s; false on out of memory. */
bool notify_topic_add_subscription(struct notify_topic *topic,
                                   const struct notify_subscription *subscription);
/* A configured subscription's ARN: TOPIC_ARN:UUID, the UUID derived from (protocol,
 * endpoint as written) so it is the same on every run. malloc'ed. */
char *notify_subscription_arn(const char *topic_arn, enum notify_protocol protocol,
                              const char *endpoint);
/* NULL when `endpoint` suits `protocol`; else what it must be ("an e-mail address", …).
 * A secret reference (env:NAME, file:PATH) may stand for an http, https or Slack URL and
 * for a PagerDuty routing key. */
const char *notify_endpoint_problem(enum notify_protocol protocol, const char *endpoint);
/* The topic with this ARN or name, or NULL. */
const struct notify_topic *notify_topic_find(const struct notify_topic_list *list,
                                             const char *arn_or_name);

/* ---- delivery: one attempt ---- */

struct notify_smtp_settings {
    const char *url;      /* smtp://host:port or smtps://host:port */
    const char *from;     /* the sender address */
    const char *username; /* NULL: no AUTH */
    const char *password; /* resolved secret */
    bool starttls;        /* require STARTTLS on smtp:// */
};

/* One delivery attempt. Strings borrowed; the endpoint already resolved. */
struct notify_curl;

struct notify_delivery {
    enum notify_protocol protocol;
    const char *endpoint; /* address, URL, routing key, command line, or topic ARN */
    const char *subject;  /* e-mail subject */
    const char *body;     /* what to send: mail text, JSON document, stdin for exec */
    /* http/https: the x-amz-sns-* headers */
    const char *message_type, *message_id, *topic_arn, *subscription_arn;
    bool raw_delivery;
    const struct notify_smtp_settings *smtp;
    const char *pagerduty_url; /* default https://events.pagerduty.com/v2/enqueue */
    const char *sns_endpoint;  /* NULL: https://sns.REGION.amazonaws.com */
    const char *sns_region;
    long timeout_seconds; /* 15 as SNS */
    /* PEM file of CA certificates to trust for https, smtps and STARTTLS (a private CA for
     * internal endpoints); NULL: the system's store */
    const char *ca_file;
    /* libcurl as the command loaded it (notify_curl_load, notify/notify_curl.h); NULL: the
     * protocols that need it are retried, saying it is not loaded */
    const struct notify_curl *curl;
};

enum notify_outcome {
    NOTIFY_DELIVERED,
    NOTIFY_RETRY,     /* 5xx, timeouts, connection errors, 429 */
    NOTIFY_PERMANENT, /* e.g. 400 from PagerDuty, a refused recipient */
};

struct notify_result {
    enum notify_outcome outcome;
    long status;            /* HTTP status or SMTP reply code, 0 when none */
    int64_t retry_after_ms; /* from Retry-After, 0 when none */
    char detail[512];       /* what happened, for history and logs; no secrets */
};

/* Every protocol but exec uses libcurl, which the command loads first with
 * notify_curl_load (notify/notify_curl.h; without it the attempt is a retry saying so);
 * each attempt has its own handle. exec runs `/bin/sh -c ENDPOINT` (see notify_exec.c). */
void notify_deliver(const struct notify_delivery *delivery, struct notify_result *result);

/* ---- retry schedules (§4.6) ---- */

struct notify_retry_policy {
    int min_delay_target, max_delay_target; /* seconds */
    int num_retries, num_no_delay_retries, num_min_delay_retries, num_max_delay_retries;
    /* SNS's backoffFunction values, plus DOUBLING: min, 2·min, 4·min, … capped at max
     * (trailhound-default; not an SNS value) */
    enum {
        NOTIFY_BACKOFF_LINEAR,
        NOTIFY_BACKOFF_ARITHMETIC,
        NOTIFY_BACKOFF_GEOMETRIC,
        NOTIFY_BACKOFF_EXPONENTIAL,
        NOTIFY_BACKOFF_DOUBLING
    } backoff;
    int64_t give_up_after_ms; /* 0: when the retries are spent */
    bool jitter;
};

/* "sns-default" (3 retries 20 s apart), "trailhound-default" (exponential 1 s … 10 min,
 * jitter, keep trying for 24 h), or an SNS delivery-policy JSON ({"healthyRetryPolicy":…}). */
bool notify_retry_policy_parse(const char *text, struct notify_retry_policy *policy,
                               struct notify_error *error);
/* When to try again after `attempts` failed attempts (the first attempt is number 1),
 * counted from `first_attempt_ms`; false when the policy gives up. `random` is a value in
 * [0, 1) for the jitter (injected so tests are deterministic). */
bool notify_retry_next(const struct notify_retry_policy *policy, int attempts,
                       int64_t first_attempt_ms, int64_t last_attempt_ms, double random,
                       int64_t *next_ms);

#endif
