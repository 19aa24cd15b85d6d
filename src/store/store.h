/* store: trailhound's state in SQLite — metric filter and alarm definitions (as JSON
 * documents in AWS's request shapes), metric data points in 1-minute and 1-second buckets,
 * alarm state and history, per-source read progress, and small settings such as keys.
 *
 * One writer, many readers: WAL mode, a busy timeout, and a versioned schema migrated
 * forward on open (PRAGMA user_version). Every function returns false with a message on
 * failure and leaves the database as it was. `:memory:` gives a private in-memory store. */
#ifndef TRAILHOUND_STORE_STORE_H
#define TRAILHOUND_STORE_STORE_H

#include "metrics/metrics.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

struct store_error {
    char message[512];
};

/* The schema version this build writes; older databases are migrated on open, newer ones
 * are refused. */
#define STORE_SCHEMA_VERSION 7

/* Opens (creating when absent, with its parent directory) and migrates. */
struct store *store_open(const char *path, struct store_error *error);
/* A private store on disk that SQLite deletes when it is closed (in SQLITE_TMPDIR, else
 * TMPDIR or /var/tmp or /tmp), for scratch data larger than memory: no journal and no
 * syncing, so a rollback leaves it unusable. */
struct store *store_open_temporary(struct store_error *error);
void store_close(struct store *store);
int store_schema_version(struct store *store);

/* The default database path: $TRAILHOUND_DB, else $XDG_STATE_HOME/trailhound/trailhound.db,
 * else ~/.local/state/trailhound/trailhound.db (malloc'ed). */
char *store_default_path(void);

/* Groups calls into one transaction (nested calls join the outer one). */
bool store_begin(struct store *store, struct store_error *error);
bool store_commit(struct store *store, struct store_error *error);
void store_rollback(struct store *store);

/* ---- metric filters (PutMetricFilter JSON, keyed by log group and name) ---- */

/* log_group "" stands for "every log group". */
bool store_metric_filter_put(struct store *store, const char *log_group, const char *name,
                             const char *definition_json, struct store_error *error);
bool store_metric_filter_delete(struct store *store, const char *log_group, const char *name,
                                bool *deleted, struct store_error *error);
/* Calls `each` for every filter, ordered by log group then name; `each` returning false
 * stops the walk (then the function returns true). */
bool store_metric_filter_list(struct store *store,
                              bool (*each)(void *context, const char *log_group, const char *name,
                                           const char *definition_json),
                              void *context, struct store_error *error);

/* ---- alarms ---- */

struct store_alarm_state {
    char state[32];    /* "OK", "ALARM", "INSUFFICIENT_DATA" */
    char *reason;      /* owned */
    char *reason_data; /* owned, NULL when none */
    int64_t updated_ms, transitioned_ms;
};

void store_alarm_state_free(struct store_alarm_state *state);

/* The reason of a new alarm's INSUFFICIENT_DATA state (alarms.md §3). */
#define STORE_INITIAL_STATE_REASON "Unchecked: Initial alarm creation"

/* Creates or replaces an alarm's definition. A new alarm starts in INSUFFICIENT_DATA with
 * reason STORE_INITIAL_STATE_REASON at `now_ms`; an update keeps its state
 * (alarms.md §3). `created` tells which. History is written by the caller. */
bool store_alarm_put(struct store *store, const char *name, const char *definition_json,
                     int64_t now_ms, bool *created, struct store_error *error);
/* Deletes the definition and state; history stays (§7). */
bool store_alarm_delete(struct store *store, const char *name, bool *deleted,
                        struct store_error *error);
/* Calls `each` for every alarm, ordered by name. */
bool store_alarm_list(struct store *store,
                      bool (*each)(void *context, const char *name, const char *definition_json,
                                   const struct store_alarm_state *state),
                      void *context, struct store_error *error);
bool store_alarm_get_state(struct store *store, const char *name, bool *found,
                           struct store_alarm_state *state, struct store_error *error);
/* Writes a new state. `transitioned` says whether the state value changed (then
 * transitioned_ms moves too, §4). */
bool store_alarm_set_state(struct store *store, const char *name, const char *state,
                           const char *reason, const char *reason_data, int64_t time_ms,
                           bool transitioned, struct store_error *error);

/* ---- alarm history (§7) ---- */

struct store_history_item {
    const char *alarm_name;
    int64_t timestamp_ms;
    const char *type; /* "ConfigurationUpdate", "StateUpdate", "Action" */
    const char *summary;
    const char *data; /* HistoryData JSON text */
};

bool store_history_add(struct store *store, const struct store_history_item *item,
                       struct store_error *error);

struct store_history_query {
    const char *alarm_name;   /* NULL: all */
    const char *type;         /* NULL: all */
    int64_t start_ms, end_ms; /* inclusive start, exclusive end; 0 and INT64_MAX for all */
    bool ascending;           /* default descending, as DescribeAlarmHistory */
    size_t limit;             /* 0: no limit */
};

bool store_history_list(struct store *store, const struct store_history_query *query,
                        bool (*each)(void *context, const struct store_history_item *item),
                        void *context, struct store_error *error);

/* ---- data points ---- */

/* Adds buckets, merging into those already stored (counts and sums add, min/max combine,
 * value maps merge) in one transaction. */
bool store_datapoints_add(struct store *store, const struct metric_datapoint *points, size_t count,
                          struct store_error *error);

/* Reads `count` consecutive slots of `period` seconds starting at `first_start`: each slot
 * is the merge of the metric's buckets of `resolution` (60 or 1) whose start lies in
 * [slot start, slot start + period). `unit` NULL merges every unit (§1.1). `slots` are
 * initialised by the function; the caller frees them with metric_aggregate_free. */
bool store_datapoints_read(struct store *store, const struct metric_identity *metric,
                           const char *unit, int resolution, int64_t first_start, int period,
                           size_t count, struct metric_aggregate *slots, struct store_error *error);

/* Calls `each` for every bucket of the metric at `resolution` starting in [from, to), in
 * order of unit then time (one metric can hold several units; `unit` NULL reads them all).
 * The aggregate is valid during the call. `each` returning false (out of memory) stops the
 * read with an "out of memory" error. */
bool store_datapoints_each(struct store *store, const struct metric_identity *metric,
                           const char *unit, int resolution, int64_t from, int64_t to,
                           bool (*each)(void *context, int64_t start,
                                        const struct metric_aggregate *bucket),
                           void *context, struct store_error *error);

/* The first bucket of `metric` (of `unit`, or any unit when NULL) at `resolution` that
 * starts at or after `from`; `found` false when there is none. */
bool store_datapoints_next(struct store *store, const struct metric_identity *metric,
                           const char *unit, int resolution, int64_t from, bool *found,
                           int64_t *start, struct store_error *error);

/* The earliest and latest bucket start of any metric (false `found` when none). */
bool store_datapoints_span(struct store *store, bool *found, int64_t *first, int64_t *last,
                           struct store_error *error);

/* Calls `each` for every distinct metric (identity and unit), as ListMetrics. */
bool store_metrics_list(struct store *store,
                        bool (*each)(void *context, const struct metric_identity *metric,
                                     const char *unit),
                        void *context, struct store_error *error);

/* ---- evidence per bucket (schema 3) ---- */

/* Merges each point's evidence (points without evidence are skipped) into what its bucket
 * already holds. Called after store_datapoints_add for the same points (the bucket must
 * exist), usually in the same transaction. */
bool store_evidence_add(struct store *store, const struct metric_datapoint *points, size_t count,
                        struct store_error *error);
/* The merged evidence of the metric's buckets of `resolution` starting in [from, to);
 * `unit` NULL means every unit. `evidence` is initialised by the function. */
bool store_evidence_read(struct store *store, const struct metric_identity *metric,
                         const char *unit, int resolution, int64_t from, int64_t to,
                         struct metric_evidence *evidence, struct store_error *error);

/* ---- the notification outbox (schema 4) ---- */

struct store_outbox_message {
    int64_t id;             /* set by store_outbox_add */
    const char *message_id; /* UUID: the receivers' idempotency key */
    const char *alarm_name; /* NULL for messages that are not about an alarm */
    const char *topic_arn, *subscription_arn;
    const char *protocol;        /* "email", "http", … */
    const char *endpoint;        /* as configured: a secret reference stays a reference */
    const char *subject;         /* NULL when none */
    const char *body;            /* what is sent, rendered at enqueue time */
    const char *attributes_json; /* protocol extras (message type, raw delivery, …) */
    const char *policy;          /* retry policy text (notify_retry_policy_parse) */
    const char *state;           /* "pending", "delivered", "failed" */
    int attempts;
    int64_t created_ms, first_attempt_ms, next_attempt_ms; /* first_attempt_ms 0: none yet */
    const char *last_error;                                /* NULL when none */
};

/* Adds a pending message (state, attempts, first_attempt_ms and last_error are ignored;
 * next_attempt_ms is when it is first due, usually created_ms) and sets its id. Joins the
 * caller's transaction (store_begin), so it commits with the state change that caused it and
 * goes if that is rolled back. */
bool store_outbox_add(struct store *store, struct store_outbox_message *message,
                      struct store_error *error);
/* Pending messages due at `now_ms` (next_attempt_ms <= now_ms), oldest (lowest id) first,
 * at most `limit` (0: all) — only the oldest pending message of each (subscription_arn,
 * alarm_name; NULL alarm names form one line too), so a resolve never overtakes its trigger:
 * the next message of a line becomes due once the one before it is delivered or failed.
 * The strings `each` sees belong to SQLite and live until it returns; it returning false
 * stops the walk. Deliver after the walk, not inside it: the walk holds a read transaction. */
bool store_outbox_due(struct store *store, int64_t now_ms, size_t limit,
                      bool (*each)(void *context, const struct store_outbox_message *message),
                      void *context, struct store_error *error);
/* Records an attempt: the new state ("pending" with next_attempt_ms, "delivered" or
 * "failed"), the attempt count and the last error (NULL: none). first_attempt_ms 0 stores
 * "none". Joins the caller's transaction; fails when no message has this id. */
bool store_outbox_record(struct store *store, int64_t id, const char *state, int attempts,
                         int64_t first_attempt_ms, int64_t next_attempt_ms, const char *last_error,
                         struct store_error *error);
/* Messages in `state` (NULL: all), newest (highest id) first, at most `limit` (0: all).
 * Strings as in store_outbox_due. */
bool store_outbox_list(struct store *store, const char *state, size_t limit,
                       bool (*each)(void *context, const struct store_outbox_message *message),
                       void *context, struct store_error *error);
/* Grouping: the newest pending message of the (subscription_arn, alarm_name) line that was
 * never attempted and is held past `now_ms` (next_attempt_ms > now_ms), so a later state
 * change inside its window can replace it; `each` sees it (strings as in store_outbox_due),
 * or is not called when there is none. */
bool store_outbox_find_held(struct store *store, const char *subscription_arn,
                            const char *alarm_name, int64_t now_ms,
                            bool (*each)(void *context, const struct store_outbox_message *message),
                            void *context, struct store_error *error);
/* Replaces the subject, body, attributes and next attempt of message `id` if it is still
 * pending and never attempted (`replaced` says whether it was). Joins the caller's
 * transaction. */
bool store_outbox_replace_pending(struct store *store, int64_t id, const char *subject,
                                  const char *body, const char *attributes_json,
                                  int64_t next_attempt_ms, bool *replaced,
                                  struct store_error *error);
/* The earliest next_attempt_ms of a message store_outbox_due would hand out (the head of
 * its line), so a daemon sleeping until then wakes to work; false `found` when none. */
bool store_outbox_next_due(struct store *store, bool *found, int64_t *next_ms,
                           struct store_error *error);

/* ---- topics and subscriptions made through the API (schema 5) ----
 * The configuration file's topics are not here: it is their source. A subscription may
 * belong to a configured topic's ARN as well as to a topic of this table. Each function
 * joins the caller's transaction (store_begin) when one is open. */

struct store_topic {
    const char *arn, *name;
    /* CreateTopic's Attributes, a JSON object of strings (DisplayName, DeliveryPolicy, …) */
    const char *attributes_json;
    int64_t created_ms;
};

/* Creates the topic, or replaces the attributes of the one with this ARN (its created_ms
 * kept); `created` tells which. */
bool store_topic_put(struct store *store, const struct store_topic *topic, bool *created,
                     struct store_error *error);
/* Deletes the topic and every subscription to its ARN, as DeleteTopic does; `deleted` false
 * when no topic had this ARN (its subscriptions, if any, go all the same). */
bool store_topic_delete(struct store *store, const char *arn, bool *deleted,
                        struct store_error *error);
/* Calls `each` for every topic, ordered by ARN. Strings belong to SQLite and live until
 * `each` returns; it returning false stops the walk. */
bool store_topic_list(struct store *store,
                      bool (*each)(void *context, const struct store_topic *topic), void *context,
                      struct store_error *error);

struct store_subscription {
    const char *arn; /* TOPIC_ARN:UUID */
    const char *topic_arn;
    const char *protocol; /* "email", "http", … */
    const char *endpoint; /* as given: a secret reference stays a reference */
    /* Subscribe's Attributes as SNS names them (RawMessageDelivery, DeliveryPolicy, …), a
     * JSON object of strings */
    const char *attributes_json;
    const char *state;        /* "pending" or "confirmed" */
    const char *token;        /* the confirmation token (hex); NULL when none was needed */
    int64_t token_expires_ms; /* 0 without a token */
    int64_t created_ms;
    int64_t confirmed_ms; /* 0 while pending */
};

/* Adds a subscription. A restorable row of an earlier unsubscribe of the same (topic,
 * protocol, endpoint) goes first: the new subscription supersedes it. */
bool store_subscription_add(struct store *store, const struct store_subscription *subscription,
                            struct store_error *error);
/* Calls `each` for every subscription to `topic_arn` (NULL: to any topic), oldest first,
 * those of one instant in the order they were added. Strings as in store_topic_list. */
bool store_subscription_list(struct store *store, const char *topic_arn,
                             bool (*each)(void *context,
                                          const struct store_subscription *subscription),
                             void *context, struct store_error *error);
/* Calls `each` once with the subscription of this ARN; `found` false (and no call) when
 * none. */
bool store_subscription_get(struct store *store, const char *arn, bool *found,
                            bool (*each)(void *context,
                                         const struct store_subscription *subscription),
                            void *context, struct store_error *error);
bool store_subscription_delete(struct store *store, const char *arn, bool *deleted,
                               struct store_error *error);
/* Gives a pending subscription a new token (the endpoint subscribed again). `found` false
 * when no pending subscription has this ARN. */
bool store_subscription_renew_token(struct store *store, const char *arn, const char *token,
                                    int64_t token_expires_ms, bool *found,
                                    struct store_error *error);
/* Unsubscribes a confirmed subscription but keeps it, hidden from the lists and `get`, so
 * that `token` can restore it until `token_expires_ms` (an UnsubscribeConfirmation's
 * SubscribeURL, notifications.md §4.4). `found` false when no confirmed subscription has
 * this ARN. */
bool store_subscription_unsubscribe(struct store *store, const char *arn, const char *token,
                                    int64_t token_expires_ms, bool *found,
                                    struct store_error *error);

enum store_confirm_outcome {
    STORE_CONFIRMED,     /* confirmed now, restored, or already confirmed */
    STORE_TOKEN_UNKNOWN, /* no subscription to this topic has this token */
    STORE_TOKEN_EXPIRED, /* pending or unsubscribed, and its token has expired */
};

/* ConfirmSubscription: the pending (or unsubscribed) subscription to `topic_arn` whose token
 * is `token` becomes confirmed at `now_ms`, and `subscription_arn` (malloc'ed) names it. A
 * confirmed subscription's token keeps answering its ARN (the call is idempotent). False
 * only when the store fails. */
bool store_subscription_confirm(struct store *store, const char *topic_arn, const char *token,
                                int64_t now_ms, enum store_confirm_outcome *outcome,
                                char **subscription_arn, struct store_error *error);
/* Deletes the pending and unsubscribed subscriptions whose token expired by `now_ms`:
 * nothing can confirm or restore them any more. */
bool store_subscription_purge(struct store *store, int64_t now_ms, struct store_error *error);

/* ---- log groups, streams and events made through the API (schema 6) ----
 * What CreateLogGroup, CreateLogStream and PutLogEvents keep, for DescribeLogGroups and
 * FilterLogEvents. Each function joins the caller's transaction when one is open. */

struct store_log_group {
    const char *name;
    int64_t created_ms;
    int64_t metric_filter_count; /* filters of this group (not those of every group) */
    int64_t stored_bytes;        /* the bytes of its stored messages */
};

/* `created` false when a group of this name exists (nothing changes). */
bool store_log_group_create(struct store *store, const char *name, int64_t now_ms, bool *created,
                            struct store_error *error);
bool store_log_group_exists(struct store *store, const char *name, bool *found,
                            struct store_error *error);
/* Calls `each` for every group whose name starts with `prefix` (NULL: all), by name. */
bool store_log_group_list(struct store *store, const char *prefix,
                          bool (*each)(void *context, const struct store_log_group *group),
                          void *context, struct store_error *error);
/* `created` false when the stream exists; the group must exist (the caller checks). */
bool store_log_stream_create(struct store *store, const char *group, const char *stream,
                             int64_t now_ms, bool *created, struct store_error *error);
bool store_log_stream_exists(struct store *store, const char *group, const char *stream,
                             bool *found, struct store_error *error);

struct store_log_event {
    int64_t id; /* increasing with insertion */
    const char *log_stream;
    int64_t timestamp_ms, ingestion_ms;
    const char *message;
};

/* Stores `count` events of one stream. */
bool store_log_events_add(struct store *store, const char *group, const char *stream,
                          const char *const *messages, const int64_t *timestamps_ms, size_t count,
                          int64_t ingestion_ms, struct store_error *error);

struct store_log_event_query {
    const char *log_group;
    const char *stream_prefix; /* NULL: every stream */
    int64_t start_ms, end_ms;  /* timestamps in [start, end] */
    int64_t after_id;          /* only events with a larger id (pagination) */
};

/* Calls `each` for the group's events, ordered by timestamp then id, until it returns
 * false. Strings live until `each` returns. */
bool store_log_events_list(struct store *store, const struct store_log_event_query *query,
                           bool (*each)(void *context, const struct store_log_event *event),
                           void *context, struct store_error *error);

/* PutLogEvents batches the daemon committed, by digest (hex SHA-256 of the batch): a batch
 * seen again is a client's retry of one it got no answer for. Adding joins the caller's
 * transaction; adding a digest already there changes nothing. */
bool store_log_batch_seen(struct store *store, const char *digest, bool *seen,
                          struct store_error *error);
bool store_log_batch_add(struct store *store, const char *digest, int64_t received_ms,
                         struct store_error *error);

/* ---- sources, settings, retention ---- */

/* How far a source (a file identity such as "dev:inode" or a path) has been read. */
bool store_source_get(struct store *store, const char *identity, bool *found, uint64_t *offset,
                      struct store_error *error);
bool store_source_set(struct store *store, const char *identity, uint64_t offset,
                      struct store_error *error);

/* Small named values (a signing key, the account id). `value` is malloc'ed, NULL when
 * absent. */
bool store_setting_get(struct store *store, const char *name, char **value,
                       struct store_error *error);
bool store_setting_set(struct store *store, const char *name, const char *value,
                       struct store_error *error);

/* Deletes buckets that start before `datapoints_before` (seconds), the PutLogEvents batch
 * digests received before it, and history items and
 * delivered or failed outbox messages older than `history_before_ms` (pending messages stay
 * whatever their age: they are not delivered yet). */
bool store_prune(struct store *store, int64_t datapoints_before, int64_t history_before_ms,
                 struct store_error *error);
/* Deletes the PutLogEvents batch digests received before `before_ms`: a digest only has to
 * outlive a client's retries (minutes), and an identical batch sent later is new data. */
bool store_log_batches_prune(struct store *store, int64_t before_ms, struct store_error *error);
/* Deletes the stored log events whose timestamp is before `before_ms`. */
bool store_log_events_prune(struct store *store, int64_t before_ms, struct store_error *error);

#endif
