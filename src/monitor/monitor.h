/* monitor: alarms run against the store. It defines alarms in the store (with their
 * configuration history), evaluates one alarm at one instant — its slots read from the
 * store's data points, its new state and history written in one transaction — and replays
 * a span of time evaluation by evaluation, as `scan` does on event time. The daemon drives
 * the same calls on the wall clock. Time is always passed in. */
#ifndef TRAILHOUND_MONITOR_MONITOR_H
#define TRAILHOUND_MONITOR_MONITOR_H

#include "alarms/alarms.h"
#include "notify/notify.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct monitor_error {
    char message[640];
};

/* What ARNs carry and how far back an evaluation reads. */
struct monitor_settings {
    const char *region;
    const char *account_id;
    int evaluation_range; /* 0: AWS's default (alarm_range_slots) */
};

/* A change of state. */
struct monitor_transition {
    const char *alarm_name;
    int64_t time_ms; /* the evaluation instant */
    enum alarm_state from, to;
    const char *reason;
    const char *reason_data;
    /* the matches behind the evaluated range (its buckets' evidence merged); NULL when the
     * store holds none */
    const struct metric_evidence *evidence;
};

/* Creates or updates an alarm in the store at `now_ms`: a new alarm starts in
 * INSUFFICIENT_DATA ("Unchecked: Initial alarm creation"); an update keeps its state. A
 * ConfigurationUpdate history item is written when the definition is new or differs from
 * the stored one. */
bool monitor_put_alarm(struct store *store, const struct alarm_definition *alarm,
                       const struct monitor_settings *settings, int64_t now_ms,
                       struct monitor_error *error);

/* Evaluates `alarm` at `now_ms` against the store's data points. On a change of state the
 * new state and a StateUpdate history item are written in one transaction and
 * `on_transition` (may be NULL) is called inside it, so what it writes (a notification)
 * commits with the state; it returning false rolls everything back. */
bool monitor_evaluate_alarm(struct store *store, const struct alarm_definition *alarm,
                            const struct monitor_settings *settings, int64_t now_ms,
                            bool (*on_transition)(void *context,
                                                  const struct monitor_transition *transition),
                            void *context, struct monitor_error *error);

/* The instant of the first evaluation at or after `time_ms` (evaluations fall on the
 * minute, or on 10 s for periods under a minute). */
int64_t monitor_next_evaluation(const struct alarm_definition *alarm, int64_t time_ms);

/* Evaluates `alarm` at every evaluation instant from `from_ms` up to `until_ms`
 * (inclusive). Stretches where no data point can be in the evaluation range are judged
 * once and then skipped: the outcome cannot change until a point enters the range. */
bool monitor_replay(struct store *store, const struct alarm_definition *alarm,
                    const struct monitor_settings *settings, int64_t from_ms, int64_t until_ms,
                    bool (*on_transition)(void *context,
                                          const struct monitor_transition *transition),
                    void *context, struct monitor_error *error);

/* monitor_replay reading a scan's data points (`points`, as filter_scan_take_datapoints
 * leaves them, of one resolution) and their evidence instead of the store's: what `scan`
 * without --db replays, so its buckets need not be written to the store first. The alarm's
 * state and history are still the store's. A transition's evidence is each cited bucket's
 * passed through its JSON, as the store would hand it back. */
bool monitor_replay_points(struct store *store, const struct alarm_definition *alarm,
                           const struct monitor_settings *settings,
                           const struct metric_datapoint_list *points, int64_t from_ms,
                           int64_t until_ms,
                           bool (*on_transition)(void *context,
                                                 const struct monitor_transition *transition),
                           void *context, struct monitor_error *error);

/* A new alarm's state as monitor_put_alarm stores it (INSUFFICIENT_DATA,
 * STORE_INITIAL_STATE_REASON, at `now_ms`); false on out of memory. */
bool monitor_initial_status(int64_t now_ms, struct alarm_status *status);

/* monitor_replay_points without a store, for a replay whose state and history nobody keeps
 * (scan without --db or --notify): `status` is the alarm's state before and after (owned by
 * the caller, as far as the replay went on failure), transitions only go to `on_transition`
 * (its returning false stops the replay), and only those into ALARM carry evidence. Touches nothing
 * but its arguments, so alarms may be replayed on several threads at once. */
bool monitor_replay_in_memory(const struct alarm_definition *alarm,
                              const struct monitor_settings *settings,
                              const struct metric_datapoint_list *points, int64_t from_ms,
                              int64_t until_ms, struct alarm_status *status,
                              bool (*on_transition)(void *context,
                                                    const struct monitor_transition *transition),
                              void *context, struct monitor_error *error);

/* Whether `--early` may fire `alarm` the moment its running value crosses: a value that only
 * grows (Sum or SampleCount of non-negative samples) compared with >= or > crosses for good
 * once it crosses (serve fires such alarms early; scan --early replays them so). */
bool monitor_fires_early(const struct alarm_definition *alarm);

/* How long after its last data point `alarm` can still change state: the evaluation range
 * (slots × period) plus one evaluation step, in milliseconds. */
int64_t monitor_drain_ms(const struct alarm_definition *alarm,
                         const struct monitor_settings *settings);

/* ---- notifications: alarm actions into the outbox ---- */

struct monitor_notify_settings {
    const struct notify_topic_list *topics;
    const char *region, *account_id;
    const char *public_base_url; /* for UnsubscribeURL and SigningCertURL */
    const struct notify_signing_key *signing_key;
};

/* For a transition of `alarm` (ActionsEnabled), writes one outbox message per confirmed
 * subscription of each topic the new state's action list names, rendered for its protocol
 * (e-mail text, SNS envelope, Slack, PagerDuty, …), in the caller's transaction — call it
 * from monitor_evaluate_alarm's transition hook so the messages commit with the state. A
 * named topic that does not exist gets a failed Action history item, as AWS records. A
 * subscription with a grouping window holds its first message of an alarm until the window
 * ends, and a later change inside it replaces that message (store_outbox_replace_pending)
 * with the latest change rendered as standing for all of them. */
bool monitor_enqueue_notifications(struct store *store, const struct alarm_definition *alarm,
                                   const struct monitor_transition *transition,
                                   const struct monitor_notify_settings *settings,
                                   int64_t configuration_updated_ms, struct monitor_error *error);

/* A delivery that failed for good is itself an alert: writes one message per confirmed
 * subscription of `fallback` saying which message, to which subscription (endpoint
 * redacted), after how many attempts, and why — in the caller's transaction
 * (monitor_deliver_due's enqueue_failure calls it). */
bool monitor_enqueue_failure_alert(struct store *store, const struct store_outbox_message *failed,
                                   const struct notify_topic *fallback,
                                   const struct monitor_notify_settings *settings, int64_t now_ms,
                                   struct store_error *error);

/* SNS's Publish: one outbox message per confirmed subscription of `topic` (pending ones get
 * nothing), rendered for its protocol as the failure alerts are (the text for e-mail and
 * exec, a signed Notification envelope for http/https/email-json, Slack's and
 * PagerDuty's JSON), in the caller's transaction. Each row has its own message id (the
 * outbox's idempotency key); `message_id` is the first one, or a fresh one when the topic
 * has no confirmed subscription. */
bool monitor_publish(struct store *store, const struct notify_topic *topic, const char *subject,
                     const char *message, const struct monitor_notify_settings *settings,
                     int64_t now_ms, char message_id[37], struct store_error *error);

/* A text message (Publish's, a failure alert's, `notify test`'s) as `subscription`
 * receives it (owned; NULL when out of memory): the text for e-mail, exec and SNS, a signed
 * Notification envelope for http/https/email-json (UnsubscribeURL and SigningCertURL under
 * settings->public_base_url, its trailing '/' dropped, the ARN percent-escaped), Slack's
 * JSON, and a PagerDuty trigger (severity error, the text cut to 1024 characters as its
 * summary, dedup key MONITOR_TEXT_DEDUP_PREFIX + `message_id`, routing key "": the worker
 * puts it in). Only settings->public_base_url and ->signing_key are read. */
#define MONITOR_TEXT_DEDUP_PREFIX "trailhound-delivery-"
char *monitor_render_text(const struct monitor_notify_settings *settings,
                          const struct notify_topic *topic,
                          const struct notify_subscription *subscription, const char *subject,
                          const char *text, const char *message_id, int64_t now_ms);

/* The PagerDuty resolve of the trigger monitor_render_text made with `message_id` (owned;
 * NULL when out of memory). */
char *monitor_render_text_resolve(const char *message_id);

/* The SNS signing key pair and certificate, kept in the store's settings and created on
 * first use. */
bool monitor_signing_key(struct store *store, struct notify_signing_key *key,
                         struct monitor_error *error);

/* ---- topics and subscriptions (SNS's model) ----
 * Topics and subscriptions come from two places: the configuration file (its subscriptions
 * count as confirmed) and the API, which keeps them in the store and follows SNS's
 * confirmation flow: a new subscription waits, pending, until the token sent to its endpoint
 * comes back through ConfirmSubscription. The callback URLs the messages carry point at
 * the public base URL, where the API's HTTP server answers them:
 *   BASE/?Action=ConfirmSubscription&TopicArn=…&Token=…   SubscribeURL (http, https, e-mail
 *                                                         JSON): confirms, or restores
 *   BASE/confirmation.html?TopicArn=…&Token=…[&Endpoint=…] the link of the e-mail and
 *                                                         Slack confirmation requests
 *   BASE/?Action=Unsubscribe&SubscriptionArn=…            UnsubscribeURL
 *   BASE/unsubscribe.html?SubscriptionArn=…&Endpoint=…    the alarm mail's footer link
 *   BASE/SimpleNotificationService-trailhound.pem         SigningCertURL
 * Each call is one transaction, joining the caller's when one is open: an internal error
 * rolls it back; a refusal writes nothing but the purge of expired tokens and leaves it
 * usable. */

/* What a Subscribe, ConfirmSubscription or Unsubscribe came to, as SNS's API answers it. */
enum monitor_sns_status {
    MONITOR_SNS_OK,
    MONITOR_SNS_INVALID_PARAMETER, /* SNS's InvalidParameter, HTTP 400 */
    MONITOR_SNS_NOT_FOUND,         /* SNS's NotFound, HTTP 404 */
    MONITOR_SNS_INTERNAL_ERROR,    /* the store, memory or random bytes failed: HTTP 500 */
};

/* What Subscribe answers instead of an ARN while the subscription waits for its token. */
#define MONITOR_PENDING_CONFIRMATION "pending confirmation"
/* How long a confirmation token stays valid: three days, as SNS's. */
#define MONITOR_TOKEN_LIFETIME_MS (INT64_C(3) * 24 * 3600 * 1000)

struct monitor_subscription_settings {
    const struct notify_topic_list *configured; /* the configuration file's topics; NULL: none */
    const char *public_base_url;                /* where the callback URLs point */
    /* signs the confirmations (monitor_signing_key) */
    const struct notify_signing_key *signing_key;
    /* exec runs a command on this host, so the API may not subscribe one unless allowed */
    bool allow_exec;
};

/* Subscribe: `endpoint` kept as given (a secret reference stays a reference),
 * `attributes_json` (NULL: none) a JSON object of strings as SNS names them —
 * RawMessageDelivery (http/https), DeliveryPolicy, and our ResolveOnInsufficientData
 * (pagerduty). email, email-json, http, https and slack subscriptions start pending, and
 * their confirmation request is queued in the outbox in the same transaction (signed
 * SubscriptionConfirmation envelope, SNS's confirmation mail, or a Slack message);
 * `subscription_arn` is then "pending confirmation". pagerduty, sns and exec (when allowed)
 * are confirmed at once, and `subscription_arn` is the new ARN (docs/notification-decisions.md
 * says why). Subscribing an endpoint again returns the confirmed subscription's ARN, or sends
 * a pending one a new token. `subscription_arn` is malloc'ed, set only with MONITOR_SNS_OK. */
enum monitor_sns_status monitor_subscribe(struct store *store,
                                          const struct monitor_subscription_settings *settings,
                                          const char *topic_arn, const char *protocol,
                                          const char *endpoint, const char *attributes_json,
                                          int64_t now_ms, char **subscription_arn,
                                          struct monitor_error *error);

/* ConfirmSubscription: the subscription to `topic_arn` that was sent `token` becomes
 * confirmed (or, with an UnsubscribeConfirmation's token, is restored); `subscription_arn`
 * (malloc'ed) names it. An unknown or expired token is SNS's "Invalid parameter: Token". */
enum monitor_sns_status monitor_confirm_subscription(struct store *store, const char *topic_arn,
                                                     const char *token, int64_t now_ms,
                                                     char **subscription_arn,
                                                     struct monitor_error *error);

/* Unsubscribe: removes the subscription; a confirmed http/https one is sent SNS's
 * UnsubscribeConfirmation (notifications.md §4.4), whose SubscribeURL restores it for three
 * days. NOT_FOUND for an ARN no subscription has (SNS answers that call with success: the
 * API decides); a subscription of the configuration file cannot be removed here. */
enum monitor_sns_status monitor_unsubscribe(struct store *store,
                                            const struct monitor_subscription_settings *settings,
                                            const char *subscription_arn, int64_t now_ms,
                                            struct monitor_error *error);

/* The topics alarm actions deliver to (monitor_notify_settings.topics): copies of the
 * configured ones and the store's topics, each with the store's subscriptions to its ARN
 * added after the configured ones, `confirmed` from their state — so pending subscriptions
 * get nothing. A store topic with a configured topic's ARN merges into it (the file's
 * attributes win). `topics` is initialised; free it with notify_topic_list_free. */
bool monitor_topics_load(struct store *store, const struct notify_topic_list *configured,
                         struct notify_topic_list *topics, struct monitor_error *error);

/* ---- metric statistics (GetMetricStatistics) ---- */

#define MONITOR_MAX_STATISTICS 16
/* AWS's limit on data points one GetMetricStatistics call returns. */
#define MONITOR_MAX_DATAPOINTS 1440

struct monitor_statistics_query {
    const struct metric_identity *metric; /* dimensions sorted */
    const char *unit;                     /* NULL: every unit */
    int64_t start, end;                   /* seconds; [start, end) */
    int period;                           /* seconds: 1, 5, 10, 30 or a multiple of 60 */
    struct metric_statistic statistics[MONITOR_MAX_STATISTICS];
    size_t statistic_count;
};

/* One period that holds data. */
struct monitor_statistics_point {
    int64_t timestamp; /* period start, seconds */
    double sample_count;
    double values[MONITOR_MAX_STATISTICS];
    bool available[MONITOR_MAX_STATISTICS]; /* false: e.g. a percentile over negatives */
};

/* The periods of [start, end) that hold data, oldest first (malloc'ed array), and the
 * unit to report: the query's, else the metric's only unit, else "None". */
bool monitor_metric_statistics(struct store *store, const struct monitor_statistics_query *query,
                               struct monitor_statistics_point **points, size_t *count,
                               char unit[64], struct monitor_error *error);

/* ---- the notification outbox worker ---- */

/* An outbox message's attributes_json is a JSON object; every key is optional and unknown
 * keys are ignored:
 *   "messageType"      x-amz-sns-message-type, default "Notification"
 *   "topicArn"         x-amz-sns-topic-arn, default the message's topic_arn
 *   "subscriptionArn"  x-amz-sns-subscription-arn, default the message's subscription_arn
 *   "raw"              true: raw message delivery (notifications.md §4.7), default false
 * A value of the wrong type fails the message at once: retrying cannot mend it. */

struct monitor_delivery_settings {
    /* e-mail protocols: the SMTP server (NULL url: none configured). The password is a
     * secret like an endpoint: inline, env:NAME or file:PATH, resolved at each attempt. */
    const char *smtp_url, *smtp_from, *smtp_username, *smtp_password;
    bool smtp_starttls;
    const char *pagerduty_url; /* NULL: https://events.pagerduty.com/v2/enqueue */
    const char *sns_endpoint;  /* NULL: https://sns.REGION.amazonaws.com */
    const char *sns_region;
    long timeout_seconds; /* 0: 15, as SNS */
    const char *ca_file;  /* extra CA certificates (PEM) for TLS; NULL: the system's */

    /* libcurl as the command loaded it (notify_curl_load), handed to each delivery; NULL:
     * attempts over the protocols that need it are retried, saying so */
    const struct notify_curl *curl;
    /* One attempt; NULL: notify_deliver. Tests inject outcomes here. */
    void (*deliver)(void *context, const struct notify_delivery *delivery,
                    struct notify_result *result);
    void *deliver_context;
    /* A value in [0, 1) for the retry policy's jitter; NULL: one derived from the message id
     * and attempt number (stable, and different for each message). */
    double (*random)(void *context);
    void *random_context;

    /* A message parked as failed is itself an alert. When fallback_topic_arn is set and
     * the failed message was not for that topic, enqueue_failure is called inside the
     * transaction that marks it failed (`failed` shows it so: state "failed", its attempts
     * and last_error) and writes, with store_outbox_add, one message per subscription of the
     * fallback topic, rendered as the caller likes. It returning false keeps no alert: the
     * message is still parked and monitor_deliver_due fails with the callback's error. */
    const char *fallback_topic_arn;
    bool (*enqueue_failure)(void *context, struct store *store,
                            const struct store_outbox_message *failed, int64_t now_ms,
                            struct store_error *error);
    void *enqueue_context;
    /* Called after each failed attempt is recorded (retried or parked as failed); NULL:
     * none. The daemon counts them for its delivery-failure alarm (a failure alert's own
     * failures, subject MONITOR_FAILURE_ALERT_SUBJECT, it leaves out: no cascade). */
    void (*on_failed_attempt)(void *context, const struct store_outbox_message *message);
    void *failed_attempt_context;
};

/* The subject of the alert a failed delivery sends to settings.fallbackTopic. */
#define MONITOR_FAILURE_ALERT_SUBJECT "trailhound: a notification could not be delivered"

struct monitor_delivery_report {
    size_t delivered; /* attempts that delivered */
    size_t retried;   /* attempts that failed and were scheduled again */
    size_t failed;    /* messages parked as failed (permanent error or policy spent) */
    size_t alerts;    /* failed messages handed to enqueue_failure */
    /* the first failure of the call: "message <id> to <subscription arn>: <reason>"; "" */
    char first_failure[640];
};

/* Delivers the outbox's due messages (store_outbox_due at `now_ms`), at most `limit`
 * attempts in all (0: until nothing is due), in rounds, so the next message of a
 * (subscription, alarm) line is tried in the same call once the one before it is settled.
 * Per message: the endpoint's secret is resolved for this attempt only (never stored
 * resolved), the attempt is made, and its outcome recorded in one transaction:
 *  - delivered: state "delivered";
 *  - retryable: the message's retry policy (notify_retry_next, counted from its first
 *    attempt; a Retry-After later than that wins) schedules it again, or when the policy
 *    is spent parks it "failed" with "gave up after N attempts over D: <last error>";
 *  - permanent: "failed" at once.
 * A message about an alarm that ends delivered or failed gets an Action history item
 * (alarms.md §7): summary "Successfully executed action <topic arn>" or "Failed to execute
 * action <topic arn>. Reason: <reason>", data {"actionState":"Succeeded"|"Failed",
 * "stateUpdateTimestamp":<created_ms, the transition's instant>,"notificationResource":
 * "<topic arn>","subscriptionArn":…,"messageId":…,"publishedMessage":"<body, at most 1024
 * bytes>"} (publishedMessage left out for pagerduty, whose body may carry the routing key).
 * Failures to deliver are counted in `report` (reset first), not errors: false means the
 * store failed, or the settings are inconsistent. A message whose outcome could not be
 * recorded is tried again later: receivers are idempotent on its message id. `now_ms` is
 * the time of every attempt of the call, so keep `limit` small. */
bool monitor_deliver_due(struct store *store, const struct monitor_delivery_settings *settings,
                         int64_t now_ms, size_t limit, struct monitor_delivery_report *report,
                         struct monitor_error *error);

/* ---- delivery as the configuration file says ---- */

struct config_settings; /* config/config.h */

/* What a failed message's alert is rendered with; the delivery settings point at it, so it
 * must live as long as they are used. */
struct monitor_fallback {
    const struct notify_topic *topic; /* NULL: fallbackTopic unset */
    const struct monitor_notify_settings *notify;
};

/* The outbox's delivery as the configuration's settings say, one rule for `scan --notify`
 * and `serve`: SMTP (`smtp_url`, when not NULL, instead of the settings' — the --smtp-url
 * flag; sender trailhound@localhost by default), PagerDuty, SNS and TLS from `settings`,
 * and a message failed for good alerting the subscribers of fallbackTopic, found among
 * notify's topics and rendered with `notify` (monitor_enqueue_failure_alert). */
struct monitor_delivery_settings
monitor_configured_delivery(const struct config_settings *settings, const char *smtp_url,
                            const struct monitor_notify_settings *notify,
                            struct monitor_fallback *fallback);

#endif
