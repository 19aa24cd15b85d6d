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

/* Whether `unit` is one of CloudWatch's units (StandardUnit: Seconds, ..., None), spelled
 * exactly. */
bool metric_unit_is_valid(const char *unit);
/* The unit `unit` spells when case is ignored ("did you mean"), or NULL. */
const char *metric_unit_suggestion(const char *unit);

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

/* Tests one log event (PutLogEvents) against every filter; its data points go to the bucket
 * of `timestamp_ms`, the log event's timestamp, as CloudWatch Logs stamps a metric filter's
 * data point (not the message's eventTime). A message that is not JSON is still tested, as
 * text: term, regex and space-delimited patterns can match it, JSON patterns cannot, and
 * selector metric values and dimensions find nothing. False only when memory ran out
 * (error->offset == SIZE_MAX); `error` (may be NULL) otherwise says why a message is not
 * JSON (reason "" when it is). */
bool filter_scan_event_at(struct filter_scan *scan, const char *message, size_t length,
                          int64_t timestamp_ms, struct event_json_error *error);

/* Adds the totals of `from` (built from the same filter list) into `into`, data points
 * included. False on out of memory, or when `from` gathers data points and `into` does not
 * or at another resolution. */
bool filter_scan_merge(struct filter_scan *into, const struct filter_scan *from);
/* The same, moving rather than copying the data points `into` lacks (a thread's scan
 * merged at the end holds mostly buckets the others never saw); `from` keeps its totals but
 * no data points it has handed over, and is only to be freed afterwards. */
bool filter_scan_merge_take(struct filter_scan *into, struct filter_scan *from);

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

/* ---- suppressions: noise control that keeps CIS intact ---- */

/* A suppression rule names matches that are noise (a scanner, a service role, a known
 * error). It never changes a filter's own metric: every match still counts there, and the
 * matches no rule suppresses also publish to the filter's tuned metric (same namespace,
 * unit and dimensions, name metricName + METRIC_TUNED_SUFFIX), which tuned alarms watch. */
#define METRIC_TUNED_SUFFIX "Tuned"

/* What a rule can look at, in the configuration's spelling (suppression_field_name):
 * PrincipalArn (userIdentity.arn, else principalId, else invokedBy), SourceIp
 * (sourceIPAddress), EventName, UserAgent, ErrorCode, Account (recipientAccountId, else
 * userIdentity.accountId). */
enum suppression_field {
    SUPPRESSION_PRINCIPAL,
    SUPPRESSION_SOURCE_IP,
    SUPPRESSION_EVENT_NAME,
    SUPPRESSION_USER_AGENT,
    SUPPRESSION_ERROR_CODE,
    SUPPRESSION_ACCOUNT,
    SUPPRESSION_FIELD_COUNT,
};

/* One rule. Every field given must match (AND); rules are OR'ed. SourceIp is an IPv4 or
 * IPv6 address, a CIDR block, or a name such as delivery.logs.amazonaws.com compared
 * exactly; the other fields are globs (`*` any run of characters, `?` one character; text
 * without them compares exactly). A field the event lacks never matches. */
struct suppression_rule {
    char *name;
    char *reason;                         /* NULL when none */
    char **filters;                       /* filterNames it applies to */
    size_t filter_count;                  /* 0: every filter */
    char *match[SUPPRESSION_FIELD_COUNT]; /* NULL: not looked at */
    char *origin;                         /* "file.yaml:12" */
};

struct suppression_rule_list {
    struct suppression_rule *items;
    size_t count, capacity;
};

void suppression_rule_free(struct suppression_rule *rule);
void suppression_rule_list_free(struct suppression_rule_list *list);
/* Appends a deep copy; false on out of memory. */
bool suppression_rule_list_append(struct suppression_rule_list *list,
                                  const struct suppression_rule *rule);
/* "PrincipalArn", "SourceIp", "EventName", "UserAgent", "ErrorCode", "Account" */
const char *suppression_field_name(enum suppression_field field);
/* Whether `text` is a valid value for `field` (only SourceIp can be invalid: an address or
 * CIDR that does not parse, or a CIDR with host bits set); false with `error` saying why. */
bool suppression_value_check(enum suppression_field field, const char *text,
                             struct metrics_error *error);
/* Whether the rule applies to the filter named `filter_name`. */
bool suppression_rule_applies(const struct suppression_rule *rule, const char *filter_name);
/* Whether any rule of `rules` applies to the filter. */
bool suppression_rules_apply(const struct suppression_rule_list *rules, const char *filter_name);
/* metricName + METRIC_TUNED_SUFFIX, malloc'ed; NULL on out of memory. */
char *metric_tuned_name(const char *metric_name);

/* Rules compiled against a filter list: per filter, the rules that apply to it. */
struct suppression_set;

/* NULL with `error` when a value does not compile or a rule names a filter not in
 * `filters`. */
struct suppression_set *suppression_set_compile(const struct suppression_rule_list *rules,
                                                const struct metric_filter_list *filters,
                                                struct metrics_error *error);
void suppression_set_free(struct suppression_set *set);
/* Whether some rule applies to filter `filter` (an index into the compiled list). */
bool suppression_set_applies(const struct suppression_set *set, size_t filter);

/* One match's values of the fields rules look at (NULL: the event lacks it), bytes. */
struct suppression_event {
    const char *values[SUPPRESSION_FIELD_COUNT];
    size_t lengths[SUPPRESSION_FIELD_COUNT];
};

/* Whether a rule that applies to `filter` matches the event. */
bool suppression_matches(const struct suppression_set *set, size_t filter,
                         const struct suppression_event *event);

/* Suppressions in a scan: compiles `rules` against the scan's filters and, for each filter
 * some rule applies to, checks its matches. Matches still count toward the filter
 * (filter_scan_matches, its data points and evidence, where suppressed ones are counted in
 * metric_evidence.suppressed); those no rule suppresses also publish to the tuned metric
 * when data points are on. Adds $.userAgent to the selectors read. Call before the first
 * event; once. */
bool filter_scan_enable_suppressions(struct filter_scan *scan,
                                     const struct suppression_rule_list *rules,
                                     struct metrics_error *error);
/* Matches of the filter that a rule suppressed (they are in filter_scan_matches too). */
uint64_t filter_scan_suppressed(const struct filter_scan *scan, size_t filter);
/* Whether the filter publishes a tuned metric (some rule applies to it). */
bool filter_scan_is_tuned(const struct filter_scan *scan, size_t filter);

/* ---- data points and statistics (CloudWatch semantics: ../shared/spec/alarms.md §1) ---- */

/* One dimension of a metric's identity. */
struct metric_dimension_value {
    char *name;
    char *value;
};

/* A metric: namespace, name and dimension set (sorted by name, so equal sets compare equal).
 * The unit is not part of the identity but partitions the data (alarms.md §1.1). */
struct metric_identity {
    char *namespace_name;
    char *metric_name;
    struct metric_dimension_value *dimensions;
    size_t dimension_count;
};

/* A distinct value and how many samples had it. */
struct metric_value_count {
    double value;
    double count;
};

/* Everything one bucket (or one alarm slot, a union of buckets) holds: the statistic set
 * and the raw values as a value→count map, sorted by value, which percentile-family
 * statistics need. A zero sample_count means "no data". */
struct metric_aggregate {
    double sample_count, sum, minimum, maximum;
    struct metric_value_count *values; /* owned; sorted ascending, values distinct */
    size_t value_count, value_capacity;
};

void metric_aggregate_init(struct metric_aggregate *aggregate);
void metric_aggregate_free(struct metric_aggregate *aggregate);
/* Adds `count` samples of `value`. False on out of memory (aggregate unchanged). A value
 * that is NaN or infinite, or a count that is not a positive number, is ignored (CloudWatch
 * refuses such data). */
bool metric_aggregate_add(struct metric_aggregate *aggregate, double value, double count);
/* Adds all of `from` into `into`. False on out of memory. */
bool metric_aggregate_merge(struct metric_aggregate *into, const struct metric_aggregate *from);
/* Adds `from`'s statistic set (sample count, sum, minimum, maximum) into `into`, not its
 * values: all the simple statistics read (metric_statistic_needs_values), and no allocation. */
void metric_aggregate_merge_statistics(struct metric_aggregate *into,
                                       const struct metric_aggregate *from);

/* Standard resolution buckets are 60 s; high resolution 1 s (for 10/20/30 s periods). */
#define METRIC_RESOLUTION_STANDARD 60
#define METRIC_RESOLUTION_HIGH 1

/* A bucket of one metric: its identity, unit ("None" when the filter names none), its
 * resolution (60 or 1) and its start (seconds since the epoch, a multiple of resolution). */
/* Who did what, from where, how often: the matching events behind a bucket (or a window
 * of buckets), kept so an alarm's notification can say who caused it. Top lists are
 * bounded (Space-Saving style merge keeps the heaviest); samples are trimmed events. */
#define METRIC_EVIDENCE_TOP 16
#define METRIC_EVIDENCE_SAMPLES 5
/* Longest value kept (bytes; longer ones are cut at a character boundary, and every value
 * at its first NUL byte); a sample's errorMessage keeps at most 200 characters. */
#define METRIC_EVIDENCE_VALUE_MAX 1024
#define METRIC_EVIDENCE_MESSAGE_CHARACTERS 200
/* Longest sample (bytes of compact JSON) metric_evidence_from_json accepts. */
#define METRIC_EVIDENCE_SAMPLE_MAX 65536

enum metric_evidence_field {
    METRIC_EVIDENCE_PRINCIPAL, /* userIdentity.arn, else principalId, else invokedBy */
    METRIC_EVIDENCE_SOURCE_IP,
    METRIC_EVIDENCE_EVENT_NAME,
    METRIC_EVIDENCE_ERROR_CODE,
    METRIC_EVIDENCE_ACCOUNT, /* recipientAccountId, else userIdentity.accountId */
    METRIC_EVIDENCE_REGION,
    METRIC_EVIDENCE_DENIAL, /* metric_denial_kind of AccessDenied* events' errorMessage */
    METRIC_EVIDENCE_FIELD_COUNT,
};

struct metric_evidence_value {
    char *value;
    uint64_t count;
};

struct metric_evidence {
    uint64_t events;                     /* matches */
    uint64_t suppressed;                 /* of those, matches a suppression rule named */
    int64_t first_seen_ms, last_seen_ms; /* eventTime of the earliest and latest (INT64_MAX
                                          * and INT64_MIN while unknown) */
    struct metric_evidence_value top[METRIC_EVIDENCE_FIELD_COUNT][METRIC_EVIDENCE_TOP];
    size_t top_count[METRIC_EVIDENCE_FIELD_COUNT]; /* sorted by count, descending */
    char *samples[METRIC_EVIDENCE_SAMPLES]; /* trimmed events (JSON objects), earliest first */
    size_t sample_count;
};

void metric_evidence_init(struct metric_evidence *evidence);
void metric_evidence_free(struct metric_evidence *evidence);
/* Adds `from` into `into`: events add, first/last seen take the min/max, equal values of a
 * top list add their counts and the METRIC_EVIDENCE_TOP heaviest stay (ties: value bytes
 * ascending), the METRIC_EVIDENCE_SAMPLES earliest samples by eventTime stay (ties: text
 * bytes). Merging into an initialised evidence copies. False on out of memory, `into`
 * unchanged. */
bool metric_evidence_merge(struct metric_evidence *into, const struct metric_evidence *from);
/* "principals", "sourceIPs", "eventNames", "errorCodes", "accounts", "regions", "denials" */
const char *metric_evidence_field_key(enum metric_evidence_field field);
/* {"events":…,"firstSeen":"…Z","lastSeen":"…Z","principals":[{"value","count"}],…,
 * "samples":[{…}]} and back (for the store and the Trailhound key of alarm messages). */
char *metric_evidence_to_json(const struct metric_evidence *evidence);
/* Every key is required; unknown or duplicate keys, wrong types, lists longer than
 * METRIC_EVIDENCE_TOP (or holding a value twice), more than METRIC_EVIDENCE_SAMPLES samples,
 * values over METRIC_EVIDENCE_VALUE_MAX bytes and unreadable times are refused with `error`
 * filled and `evidence` left initialised. Lists and samples are put in their order. */
bool metric_evidence_from_json(const char *text, struct metric_evidence *evidence,
                               struct metrics_error *error);
/* Makes `evidence` what metric_evidence_from_json gives back of metric_evidence_to_json's
 * text of it (what a store hands back), without the parse where the text is sure to read
 * back as written. False with `error` (evidence unchanged) when it cannot be written or
 * read back. */
bool metric_evidence_round_trip(struct metric_evidence *evidence, struct metrics_error *error);
/* The kind of denial an AccessDenied errorMessage states (IAM's "with an explicit deny in a
 * TYPE policy" / "because no TYPE policy allows the ACTION action", any case), one of these
 * stable strings: "explicit deny in a service control policy", "explicit deny in a resource
 * control policy", "explicit deny in a permissions boundary", "explicit deny in an
 * identity-based policy", "explicit deny in a resource-based policy", "explicit deny in a
 * session policy", "explicit deny in a VPC endpoint policy", "explicit deny" (no type
 * named), and "no service control policy allows the action", "no resource control policy
 * allows the action", "no permissions boundary allows the action", "no identity-based policy
 * allows the action", "no resource-based policy allows the action", "no session policy
 * allows the action", "no VPC endpoint policy allows the action"; NULL when it says none of
 * these. */
const char *metric_denial_kind(const char *error_message, size_t length);

struct evidence_tally; /* a bucket's evidence as a scan tallies it (evidence_tally.c) */

struct metric_datapoint {
    struct metric_identity identity;
    char *unit;
    int resolution;
    int64_t timestamp;
    struct metric_aggregate aggregate;
    struct metric_evidence *evidence; /* owned; NULL when not gathered */
    /* owned; the evidence still as the scan tallied it (filter_scan_take_datapoints_deferred,
     * then `evidence` is NULL); read it with metric_datapoint_evidence */
    struct evidence_tally *tally;
};

struct metric_datapoint_list {
    struct metric_datapoint *items;
    size_t count, capacity;
};

void metric_identity_free(struct metric_identity *identity);
/* Deep copy; false on out of memory. */
bool metric_identity_copy(struct metric_identity *into, const struct metric_identity *from);
/* Sorts the dimensions by name; two identities are equal when this compares 0. */
void metric_identity_sort(struct metric_identity *identity);
int metric_identity_compare(const struct metric_identity *a, const struct metric_identity *b);
void metric_datapoint_free(struct metric_datapoint *datapoint);
/* Events behind the point's evidence (0 when none was gathered). */
uint64_t metric_datapoint_evidence_events(const struct metric_datapoint *datapoint);
/* The point's evidence, whether exported or still tallied, copied into an initialised `out`;
 * reads the point only (replays on several threads share it). False on out of memory. */
bool metric_datapoint_evidence(const struct metric_datapoint *datapoint,
                               struct metric_evidence *out);
void metric_datapoint_list_free(struct metric_datapoint_list *list);

/* A statistic by name: SampleCount, Sum, Average, Minimum, Maximum, or an extended
 * statistic (alarms.md §1.4): pNN, tmX / TM(a:b), wmX / WM(a:b), tcX / TC(a:b),
 * tsX / TS(a:b), IQM, PR(a:b). */
enum metric_statistic_kind {
    METRIC_STATISTIC_SAMPLE_COUNT,
    METRIC_STATISTIC_SUM,
    METRIC_STATISTIC_AVERAGE,
    METRIC_STATISTIC_MINIMUM,
    METRIC_STATISTIC_MAXIMUM,
    METRIC_STATISTIC_PERCENTILE,      /* pNN */
    METRIC_STATISTIC_TRIMMED_MEAN,    /* tm, TM, IQM */
    METRIC_STATISTIC_WINSORIZED_MEAN, /* wm, WM */
    METRIC_STATISTIC_TRIMMED_COUNT,   /* tc, TC */
    METRIC_STATISTIC_TRIMMED_SUM,     /* ts, TS */
    METRIC_STATISTIC_PERCENTILE_RANK, /* PR */
};

struct metric_statistic {
    enum metric_statistic_kind kind;
    double percentile; /* pNN: NN in [0, 100] */
    /* bounds of the trimmed/winsorized/rank families; a missing bound is open */
    bool has_lower, has_upper;
    double lower, upper;
    bool bounds_are_percent; /* TM(10%:90%) as opposed to TM(10:90) */
    char name[64];           /* as written */
};

/* Parses a statistic name. `extended` selects the grammar: false for PutMetricAlarm's
 * Statistic (the five simple names), true for ExtendedStatistic. False with `error`
 * filled when the name is not valid. */
bool metric_statistic_parse(const char *name, bool extended, struct metric_statistic *statistic,
                            struct metrics_error *error);

/* Computes a statistic over an aggregate. False when it is unavailable: no samples, or a
 * percentile-family statistic over negative values or without raw values (alarms.md §1.4). */
bool metric_statistic_compute(const struct metric_statistic *statistic,
                              const struct metric_aggregate *aggregate, double *value);

/* The low-sample rule of EvaluateLowSampleCountPercentile (alarms.md §5.7): true when
 * `statistic` is a percentile and `sample_count` is below 10/(1−p) (p ≥ 0.5) or 10/p. */
bool metric_statistic_low_sample(const struct metric_statistic *statistic, double sample_count);
/* Whether computing the statistic reads an aggregate's values (percentiles and the trimmed,
 * winsorized and rank families), not only its statistic set. */
bool metric_statistic_needs_values(const struct metric_statistic *statistic);

/* Data points from a scan. Off by default; when enabled, every match of a filter adds one
 * sample (its metric value) to the bucket of the event's eventTime, with the filter's
 * dimensions read from the event, and — for a filter with a defaultValue — every other
 * decoded event adds one defaultValue sample (alarms.md §2). Events whose eventTime is
 * missing or unreadable publish nothing and are counted (filter_scan_untimed).
 * `resolution` is METRIC_RESOLUTION_STANDARD or METRIC_RESOLUTION_HIGH. A filter with a
 * defaultValue needs every event decoded, so enabling data points for such a set turns
 * the pre-test off. */
bool filter_scan_enable_datapoints(struct filter_scan *scan, int resolution,
                                   struct metrics_error *error);
/* Also gathers, per bucket, the evidence of the matches (metric_evidence: top principals,
 * source IPs, event names, error codes, accounts, regions, denial kinds, first and last
 * seen, up to 5 trimmed sample events). Call after filter_scan_enable_datapoints; reads
 * the evidence selectors and errorMessage for matches only. */
bool filter_scan_enable_evidence(struct filter_scan *scan, struct metrics_error *error);

/* Moves the data points gathered so far (merged per metric, unit and bucket) to `out`,
 * appending them sorted by identity, unit and timestamp; the scan starts over empty. False
 * on out of memory: now (nothing is moved) or while scanning (samples were lost; what was
 * gathered is moved). Nothing to do when data points are off. */
bool filter_scan_take_datapoints(struct filter_scan *scan, struct metric_datapoint_list *out);
/* The same, but each point keeps its evidence as the scan's tally (metric_datapoint.tally),
 * exported only when read: for a replay that reads the evidence of a few buckets only. The
 * store writes `evidence`, so points for it are taken with filter_scan_take_datapoints. */
bool filter_scan_take_datapoints_deferred(struct filter_scan *scan,
                                          struct metric_datapoint_list *out);
/* Bounding a long scan's memory: once the data points held take more than `limit_bytes`
 * (keys, aggregates and evidence tallies, counted as they grow), they are handed to
 * `spill` a few hundred at a time, evidence exported, in key order (filter, dimension
 * values, bucket), and the scan starts over empty. A bucket may come again in a later call, to be
 * merged with what it had (as a store merges). `spill` returns false with a message when it cannot
 * keep them: the points are then lost and filter_scan_spill_failed says so. Called on the scan's
 * own thread. */
typedef bool (*filter_scan_spill_fn)(void *context, const struct metric_datapoint *points,
                                     size_t count, struct metrics_error *error);
void filter_scan_set_spill(struct filter_scan *scan, size_t limit_bytes, filter_scan_spill_fn spill,
                           void *context);
/* Hands every point held to the spill now (at the end of a scan). False, with the first
 * failure, when any spill failed. */
bool filter_scan_spill(struct filter_scan *scan, struct metrics_error *error);
/* Points handed to the spill so far (a bucket spilled twice counts twice). */
uint64_t filter_scan_spilled(const struct filter_scan *scan);
/* Whether a spill failed, and why. */
bool filter_scan_spill_failed(const struct filter_scan *scan, struct metrics_error *error);

/* Matches that published no data point because their eventTime was missing or unreadable. */
uint64_t filter_scan_untimed(const struct filter_scan *scan);
/* Matches that published no data point because a dimension's field was missing or empty in
 * the event (our choice; AWS does not say). */
uint64_t filter_scan_undimensioned(const struct filter_scan *scan);

/* Definitions as JSON text in PutMetricFilter's shape ({"filterName":…,
 * "metricTransformations":[{…}]}), for the store, plus "trailhoundCisId" and
 * "trailhoundOrigin" when set; the alarm defaults are not kept. The text is malloc'ed; NULL
 * on out of memory, or when a required field is NULL, a string is not valid UTF-8 or the
 * defaultValue is not finite. */
char *metric_filter_to_json(const struct metric_filter_definition *definition);
/* Fills `definition` (owned by the caller afterwards) from such text. Unknown or duplicate
 * keys, wrong types, other than one metricTransformations entry, more than 3 dimensions, or
 * dimensions with a defaultValue are refused with `error` filled, `definition` left empty. */
bool metric_filter_from_json(const char *text, struct metric_filter_definition *definition,
                             struct metrics_error *error);

#endif
