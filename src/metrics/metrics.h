/* metrics: metric filters — a pattern plus the metric it publishes — applied to events,
 * and what a one-pass scan learns from them (match counts, value sums, top values).
 *
 * Definitions use the fields of CloudWatch Logs' PutMetricFilter, spelled as AWS spells
 * them. The CIS AWS Foundations v3.0.0 section-4 pack is built in. */
#ifndef TRAILHOUND_METRICS_METRICS_H
#define TRAILHOUND_METRICS_METRICS_H

#include "events/event.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define METRIC_FILTER_MAX_DIMENSIONS 3

struct metric_dimension {
    char *name;      /* dimension name */
    char *reference; /* "$.selector" or "$field" */
};

/* One metricTransformations entry (AWS allows exactly one per filter). */
struct metric_transformation {
    char *metric_name;
    char *metric_namespace;
    char *metric_value; /* a number ("1") or a reference ("$.bytes", "$size") */
    bool has_default_value;
    double default_value;
    struct metric_dimension dimensions[METRIC_FILTER_MAX_DIMENSIONS];
    size_t dimension_count;
    char *unit; /* NULL: "None" */
};

/* Alarm defaults a definition suggests (the CIS remediation's: Sum, 300 s, 1 period, >= 1). */
struct metric_alarm_defaults {
    bool present;
    char *alarm_name;
    char *statistic;
    int period;
    int evaluation_periods;
    double threshold;
    char *comparison_operator;
};

struct metric_filter_definition {
    char *filter_name;
    char *filter_pattern;
    char *log_group_name; /* NULL: applies to every log group */
    struct metric_transformation transformation;
    char *cis_id; /* "4.1" for the built-in pack, NULL otherwise */
    struct metric_alarm_defaults alarm;
    /* where it was defined, for messages: "cis" or "file.yaml:12" */
    char *origin;
};

struct metric_filter_list {
    struct metric_filter_definition *items;
    size_t count, capacity;
};

void metric_filter_definition_free(struct metric_filter_definition *definition);
void metric_filter_list_free(struct metric_filter_list *list);
/* Appends a deep copy; false when memory runs out. */
bool metric_filter_list_append(struct metric_filter_list *list,
                               const struct metric_filter_definition *definition);

/* The CIS AWS Foundations v3.0.0 section-4 pack: 4.1-4.15 with the benchmark's exact
 * patterns (4.2 in its first form), metric names in namespace CISBenchmark, metric value
 * 1, and the remediation's alarm defaults. Appends to `list`; false on out of memory. */
bool metrics_cis_pack(struct metric_filter_list *list);

/* ---- scanning events with a set of filters ---- */

struct metrics_error {
    char message[512];
};

/* A counted value and how often it was seen. */
struct top_value {
    const char *value;
    size_t length;
    uint64_t count;
};

/* What a match is attributed to. The principal is userIdentity.arn, else
 * userIdentity.principalId, else userIdentity.invokedBy; the account is
 * recipientAccountId, else userIdentity.accountId. */
enum evidence_field {
    EVIDENCE_PRINCIPAL,
    EVIDENCE_SOURCE_IP,
    EVIDENCE_EVENT_NAME,
    EVIDENCE_ERROR_CODE,
    EVIDENCE_ACCOUNT,
    EVIDENCE_REGION,
    EVIDENCE_FIELD_COUNT,
};

/* "principals", "source_ips", "event_names", "error_codes", "accounts", "regions" */
const char *evidence_field_name(enum evidence_field field);

/* Distinct values each top list counts exactly; beyond it counts are Space-Saving bounds. */
#define FILTER_SCAN_TOP_CAPACITY 4096

/* A compiled set of filters and its running totals. One per thread: merge at the end. */
struct filter_scan;

/* With `pre_test`, events that cannot match any filter (judged from their raw bytes, see
 * pattern_required_literals) are counted but not decoded, so not validated either; without
 * it (scan --strict) every event is decoded and validated. */
struct filter_scan *filter_scan_create(const struct metric_filter_list *filters, bool pre_test,
                                       struct metrics_error *error);
void filter_scan_free(struct filter_scan *scan);

/* Tests one event message (a CloudTrail event as JSON) against every filter. Returns false
 * when the message is not valid JSON; `error` says where and why, and the event counts
 * toward nothing. */
bool filter_scan_event(struct filter_scan *scan, const char *message, size_t length,
                       struct event_json_error *error);

/* Adds the totals of `from` (built from the same filter list) into `into`. */
bool filter_scan_merge(struct filter_scan *into, const struct filter_scan *from);

size_t filter_scan_filter_count(const struct filter_scan *scan);
/* Events the pre-test set aside without decoding them. */
uint64_t filter_scan_unvalidated(const struct filter_scan *scan);
uint64_t filter_scan_matches(const struct filter_scan *scan, size_t filter);
/* Sum of the metric values of the matches (events whose value is missing or not a number
 * publish no data point and add nothing). */
double filter_scan_value_sum(const struct filter_scan *scan, size_t filter);
/* The `max` most frequent values of one evidence field among a filter's matches. */
size_t filter_scan_top(const struct filter_scan *scan, size_t filter, enum evidence_field field,
                       struct top_value *out, size_t max);

#endif
