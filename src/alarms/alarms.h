/* alarms: CloudWatch metric alarms with AWS's exact semantics (../shared/spec/alarms.md):
 * definitions in PutMetricAlarm's fields, validation, the evaluation of one alarm at one
 * instant (evaluation range, missing data, M out of N, premature alarm), and the texts AWS
 * writes: StateReason, StateReasonData and alarm-history items.
 *
 * The evaluator reads no store: the caller hands it a slot reader, so the same code serves
 * `scan`'s replay, the daemon and the tests. Time is always passed in, never read. */
#ifndef TRAILHOUND_ALARMS_ALARMS_H
#define TRAILHOUND_ALARMS_ALARMS_H

#include "metrics/metrics.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum alarm_state {
    ALARM_STATE_OK,
    ALARM_STATE_ALARM,
    ALARM_STATE_INSUFFICIENT_DATA,
};

/* "OK", "ALARM", "INSUFFICIENT_DATA"; parse returns false on anything else. */
const char *alarm_state_name(enum alarm_state state);
bool alarm_state_parse(const char *name, enum alarm_state *state);

enum alarm_comparison {
    ALARM_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    ALARM_GREATER_THAN_THRESHOLD,
    ALARM_LESS_THAN_THRESHOLD,
    ALARM_LESS_THAN_OR_EQUAL_TO_THRESHOLD,
};

enum alarm_treat_missing {
    ALARM_TREAT_MISSING_MISSING, /* AWS's default */
    ALARM_TREAT_MISSING_IGNORE,
    ALARM_TREAT_MISSING_BREACHING,
    ALARM_TREAT_MISSING_NOT_BREACHING,
};

#define ALARM_MAX_ACTIONS 5
#define ALARM_MAX_DIMENSIONS 30

struct alarm_action_list {
    char *items[ALARM_MAX_ACTIONS];
    size_t count;
};

/* A metric alarm in PutMetricAlarm's fields (those that apply to a single metric). */
struct alarm_definition {
    char *alarm_name;
    char *alarm_description; /* NULL when absent */
    bool actions_enabled;    /* default true */
    struct alarm_action_list ok_actions, alarm_actions, insufficient_data_actions;
    struct metric_identity metric; /* Namespace, MetricName, Dimensions (sorted) */
    char *statistic;               /* "Sum", … or NULL when extended_statistic is set */
    char *extended_statistic;      /* "p99", "tm90", "TM(10%:90%)", … or NULL */
    char *unit;                    /* NULL: the alarm sees every unit */
    int period;                    /* seconds: 10, 20, 30 or a multiple of 60 */
    int evaluation_periods;        /* N */
    int datapoints_to_alarm;       /* M; 0 when not given (then M = N and reasons use form A) */
    double threshold;
    enum alarm_comparison comparison;
    enum alarm_treat_missing treat_missing;
    bool evaluate_low_sample_count_percentile; /* true: "evaluate" (default); false: "ignore" */
    char *cis_id;                              /* "4.1" for the built-in pack, else NULL */
    char *origin;                              /* "cis", "file.yaml:12", "api" */
};

struct alarm_error {
    char message[512];
};

void alarm_definition_init(struct alarm_definition *alarm); /* zero + AWS defaults */
void alarm_definition_free(struct alarm_definition *alarm);
bool alarm_definition_copy(struct alarm_definition *into, const struct alarm_definition *from);

/* Checks every PutMetricAlarm rule of alarms.md §3 (name length and characters, Statistic
 * xor ExtendedStatistic and their grammar, Period values, Period × N limits, M ≤ N, unit
 * names, action counts, dimension count). The message names the field as AWS spells it. */
bool alarm_definition_validate(const struct alarm_definition *alarm, struct alarm_error *error);

/* Enum names as AWS spells them ("GreaterThanOrEqualToThreshold", "notBreaching"). */
const char *alarm_comparison_name(enum alarm_comparison comparison);
bool alarm_comparison_parse(const char *name, enum alarm_comparison *comparison);
/* True for AWS's anomaly-band operators (LessThanLowerOrGreaterThanUpperThreshold,
 * LessThanLowerThreshold, GreaterThanUpperThreshold), which alarm_comparison_parse refuses:
 * callers word their error as "not supported" rather than "invalid". */
bool alarm_comparison_is_anomaly(const char *name);
const char *alarm_treat_missing_name(enum alarm_treat_missing treat_missing);
bool alarm_treat_missing_parse(const char *name, enum alarm_treat_missing *treat_missing);

/* The definition as PutMetricAlarm's JSON request body (AlarmName, MetricName, Namespace,
 * Dimensions [{Name, Value}], …) and back, for the store and the API. malloc'ed text. */
char *alarm_definition_to_json(const struct alarm_definition *alarm);
/* from_json fills `alarm` from scratch (what it held is not freed), sorts the dimensions,
 * refuses unknown keys, wrong types and the parameters of alarms we do not evaluate
 * (Metrics, ThresholdMetricId, EvaluationWindow; Tags are accepted and not kept), then
 * validates. On failure `alarm` is left empty. */
bool alarm_definition_from_json(const char *text, struct alarm_definition *alarm,
                                struct alarm_error *error);

/* A list of alarm definitions, each a deep copy owned by the list. */
struct alarm_list {
    struct alarm_definition *items;
    size_t count, capacity;
};

void alarm_list_free(struct alarm_list *list);
bool alarm_list_append(struct alarm_list *list, const struct alarm_definition *alarm);
/* The index of the alarm named `name`, or -1. */
long alarm_list_find(const struct alarm_list *list, const char *name);

/* The alarms the CIS pack's remediation creates for its filters (those of `filters` with
 * alarm defaults: Sum, 300 s, 1 period, >= 1, namespace and metric of the filter, no
 * actions, TreatMissingData missing). Appends; false on out of memory. */
bool alarms_cis_pack(const struct metric_filter_list *filters, struct alarm_list *list);

/* The suffix of a tuned alarm's name: unauthorized_api_calls_alarm_tuned. */
#define ALARM_TUNED_SUFFIX "_tuned"

/* For each filter of `filters` with alarm defaults that a rule of `rules` applies to, the
 * same alarm on its tuned metric (metricName + METRIC_TUNED_SUFFIX), named alarm name +
 * ALARM_TUNED_SUFFIX, with no CIS id (the CIS alarm itself stays as the benchmark writes
 * it) and a description saying what it is. Names `list` already holds are left alone (a
 * configured alarm of that name wins). Appends; false on out of memory. */
bool alarms_cis_tuned_pack(const struct metric_filter_list *filters,
                           const struct suppression_rule_list *rules, struct alarm_list *list);

/* ---- evaluation ---- */

/* Slots an evaluation reads (alarms.md §5.2): N + max(2, floor(N/3)) by default. A
 * `configured` value > 0 (a setting) replaces the default when it is larger. */
size_t alarm_range_slots(int evaluation_periods, int configured);

/* One slot of the evaluation range as the reader sees it. */
struct alarm_slot {
    int64_t start;       /* seconds since the epoch */
    bool has_data;       /* false: missing */
    double value;        /* the alarm's statistic over the slot */
    double sample_count; /* for the reason data */
    bool low_sample;     /* percentile alarm with too few samples (§5.7) */
};

/* Fills `count` slots, oldest first, the first starting at `first_start`, each `period`
 * seconds long, with the alarm's statistic (and unit filter). Each slot's `start` is set
 * before the call and must be left as it is (the evaluator checks it, and that values are
 * finite). False with `error` on a failure of the reader (the store); the evaluation then
 * fails without a change. */
typedef bool (*alarm_slot_reader)(void *context, const struct alarm_definition *alarm,
                                  int64_t first_start, size_t count, struct alarm_slot *slots,
                                  struct alarm_error *error);

/* The state an alarm is in before an evaluation. */
struct alarm_status {
    enum alarm_state state;
    char *reason;      /* StateReason, owned */
    char *reason_data; /* StateReasonData JSON text, owned, NULL when none */
    int64_t updated_ms, transitioned_ms;
};

void alarm_status_free(struct alarm_status *status);

/* The outcome of one evaluation. When `changed`, `state`, `reason` and `reason_data` are
 * the new state and AWS's texts for it (§8); otherwise the state stays (the texts are
 * still filled for the last judgement, or NULL when the rules said "keep"). */
struct alarm_evaluation {
    bool changed;
    enum alarm_state state;
    char *reason;      /* owned */
    char *reason_data; /* owned JSON text */
};

void alarm_evaluation_free(struct alarm_evaluation *evaluation);

/* Evaluates `alarm` at `now_ms` (milliseconds since the epoch; the slots end at the minute
 * — or for periods under 60 s the 10 seconds — at or before it, §5.1) given its current
 * status. `range_setting` is passed to alarm_range_slots; a range it enlarges stops at
 * metric retention (15 days of slots, 3 hours for periods under 60 s). The reader is
 * called once, for the whole range. */
bool alarm_evaluate(const struct alarm_definition *alarm, const struct alarm_status *current,
                    int64_t now_ms, int range_setting, alarm_slot_reader reader, void *context,
                    struct alarm_evaluation *result, struct alarm_error *error);

/* The same, writing StateReason and StateReasonData only when the state changes — what a
 * replay or the daemon needs: they evaluate every minute, and only transitions are kept. */
bool alarm_evaluate_transition(const struct alarm_definition *alarm,
                               const struct alarm_status *current, int64_t now_ms,
                               int range_setting, alarm_slot_reader reader, void *context,
                               struct alarm_evaluation *result, struct alarm_error *error);

/* ---- texts (§7, §8) ---- */

/* A double as Java's Double.toString prints it ("1.0", "2.147483648E10", "1.0E-4"). */
void alarm_format_number(double value, char *out, size_t size);
/* "26/11/26 10:05:00" (UTC) and "2024-10-26T18:59:00.000+0000". */
void alarm_format_reason_time(int64_t seconds, char *out, size_t size);
void alarm_format_iso_time(int64_t milliseconds, char *out, size_t size);

/* The alarm's ARN: arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME (malloc'ed). */
char *alarm_arn(const struct alarm_definition *alarm, const char *region, const char *account);

/* HistoryData JSON of the history items of §7 (malloc'ed text):
 * a ConfigurationUpdate ("type":"Create" or "Update"), and a StateUpdate. The summary texts
 * are `Alarm "NAME" created|updated` and `Alarm updated from OLD to NEW`. */
char *alarm_history_configuration_data(const struct alarm_definition *alarm, const char *arn,
                                       bool created, int64_t now_ms);
/* The same with the alarm's state as it stands (stateValue, stateUpdatedTimestamp from
 * `status`); without a status a created alarm shows INSUFFICIENT_DATA at `now_ms` and an
 * updated one no state. */
char *alarm_history_configuration_data_with_state(const struct alarm_definition *alarm,
                                                  const char *arn, bool created, int64_t now_ms,
                                                  const struct alarm_status *status);
char *alarm_history_state_data(const struct alarm_status *old_status, enum alarm_state new_state,
                               const char *new_reason, const char *new_reason_data);

#endif
