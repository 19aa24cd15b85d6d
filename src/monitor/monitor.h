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
 * named topic that does not exist gets a failed Action history item, as AWS records. */
bool monitor_enqueue_notifications(struct store *store, const struct alarm_definition *alarm,
                                   const struct monitor_transition *transition,
                                   const struct monitor_notify_settings *settings,
                                   int64_t configuration_updated_ms, struct monitor_error *error);

/* The SNS signing key pair and certificate, kept in the store's settings and created on
 * first use. */
bool monitor_signing_key(struct store *store, struct notify_signing_key *key,
                         struct monitor_error *error);

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

#endif
