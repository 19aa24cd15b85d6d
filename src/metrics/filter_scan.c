/* Scanning events with a set of metric filters: each event is read once for the union of
 * the selectors every filter, metric value and evidence field needs; each filter then sees
 * its own selectors through an index map (events/event.h contract).
 *
 * With data points on, the union also holds $.eventTime and the dimension references, and
 * each match files one sample in a hash table keyed by (filter, bucket, dimension values);
 * with them off, the per-event path is the same as without them but for one test. With
 * evidence on too, the union holds the sample fields (errorMessage, eventSource,
 * userIdentity.type) and each filed sample also counts in its bucket's evidence tally.
 *
 * With suppressions, a filter some rule applies to also publishes a tuned metric: a second
 * definition (metricName + "Tuned") appended to `definitions`, whose samples are filed
 * under its own index there, for the matches no rule suppresses. */
#include "metrics/datapoint_table.h"
#include "metrics/event_time.h"
#include "metrics/evidence_internal.h"
#include "metrics/metrics.h"
#include "metrics/prefilter.h"
#include "metrics/top_values.h"
#include "patterns/pattern.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Evidence is read from these selectors, in this order. */
enum evidence_selector {
    EVIDENCE_ARN,
    EVIDENCE_PRINCIPAL_ID,
    EVIDENCE_INVOKED_BY,
    EVIDENCE_SOURCE_IP_ADDRESS,
    EVIDENCE_EVENT_NAME_FIELD,
    EVIDENCE_ERROR_CODE_FIELD,
    EVIDENCE_RECIPIENT_ACCOUNT,
    EVIDENCE_IDENTITY_ACCOUNT,
    EVIDENCE_AWS_REGION,
    EVIDENCE_SELECTOR_COUNT,
};

static const char *const evidence_references[EVIDENCE_SELECTOR_COUNT] = {
    "$.userIdentity.arn",
    "$.userIdentity.principalId",
    "$.userIdentity.invokedBy",
    "$.sourceIPAddress",
    "$.eventName",
    "$.errorCode",
    "$.recipientAccountId",
    "$.userIdentity.accountId",
    "$.awsRegion",
};

enum value_source { VALUE_CONSTANT, VALUE_SELECTOR, VALUE_FIELD };

struct compiled_filter {
    struct pattern *pattern;
    size_t *selector_map; /* pattern selector -> union selector */
    struct event_selection *view;
    size_t selector_count;
    enum value_source value_source;
    double constant;
    size_t value_selector;           /* VALUE_SELECTOR: union index */
    struct pattern *value_reference; /* VALUE_SELECTOR: owns the selector's steps */
    char *value_field;               /* VALUE_FIELD: "$size" */
    uint64_t matches, suppressed;
    double value_sum;
    struct top_values *top[EVIDENCE_FIELD_COUNT];
};

/* Where a dimension's value is read: a JSON selector or a space-delimited field. */
struct dimension_source {
    enum value_source source;  /* VALUE_SELECTOR or VALUE_FIELD */
    size_t selector;           /* VALUE_SELECTOR: union index */
    struct pattern *reference; /* VALUE_SELECTOR: owns the selector's steps */
    const char *field;         /* VALUE_FIELD: "$user", the definition's text */
};

struct scan_datapoints {
    int resolution;
    struct pattern *time_reference; /* $.eventTime */
    size_t time_selector;
    struct dimension_source (*dimensions)[METRIC_FILTER_MAX_DIMENSIONS]; /* per filter */
    struct datapoint_table table;
    uint64_t untimed, undimensioned;
    bool samples_lost; /* memory ran out while filing a sample or its evidence */
    /* filter_scan_set_spill: beyond `spill_limit` bytes the table goes to `spill` */
    size_t spill_limit;
    filter_scan_spill_fn spill;
    void *spill_context;
    uint64_t spilled; /* points handed to `spill` */
    bool spill_failed;
    struct metrics_error spill_error;
};

/* Evidence per bucket (filter_scan_enable_evidence). */
struct scan_evidence {
    struct pattern *references[SAMPLE_FIELD_COUNT]; /* own the selectors' steps */
    size_t selectors[SAMPLE_FIELD_COUNT];           /* union indexes */
    struct evidence_text sample;                    /* the sample being written */
};

/* Suppressions (filter_scan_enable_suppressions). */
struct scan_suppressions {
    struct suppression_set *set;
    struct pattern *user_agent_reference; /* owns the selector's steps */
    size_t user_agent_selector;
    size_t *tuned; /* per filter: its tuned definition's index, SIZE_MAX when none */
};

struct filter_scan {
    struct compiled_filter *filters;
    size_t filter_count;
    struct metric_filter_list definitions;  /* copies: the metric each filter publishes */
    struct scan_datapoints *datapoints;     /* NULL: data points off */
    struct scan_evidence *evidence;         /* NULL: evidence off */
    struct scan_suppressions *suppressions; /* NULL: no rules */
    struct selector *selectors;             /* the union; steps belong to the patterns below */
    size_t selector_count, selector_capacity;
    struct pattern *references[EVIDENCE_SELECTOR_COUNT];
    size_t evidence_selector[EVIDENCE_SELECTOR_COUNT];
    struct event_extractor *extractor;
    struct pattern_match *match;
    struct prefilter *prefilter; /* NULL: every event is decoded */
    uint64_t unvalidated;
};

const char *evidence_field_name(enum evidence_field field)
{
    static const char *const names[EVIDENCE_FIELD_COUNT] = {
        "principals", "source_ips", "event_names", "error_codes", "accounts", "regions",
    };
    return field < EVIDENCE_FIELD_COUNT ? names[field] : "unknown";
}

static bool fail(struct metrics_error *error, const char *format, const char *a, const char *b)
{
    snprintf(error->message, sizeof error->message, format, a, b);
    return false;
}

/* The union index of `selector`, adding it when new. */
static bool union_add(struct filter_scan *scan, const struct selector *selector, size_t *index)
{
    for (size_t i = 0; i < scan->selector_count; i++) {
        if (selector_equal(&scan->selectors[i], selector)) {
            *index = i;
            return true;
        }
    }
    if (scan->selector_count == scan->selector_capacity) {
        size_t capacity = scan->selector_capacity ? scan->selector_capacity * 2 : 16;
        struct selector *grown = realloc(scan->selectors, capacity * sizeof *grown);
        if (!grown)
            return false;
        scan->selectors = grown;
        scan->selector_capacity = capacity;
    }
    scan->selectors[scan->selector_count] = *selector;
    *index = scan->selector_count++;
    return true;
}

static bool reference_selector(struct filter_scan *scan, struct pattern *reference, size_t *index)
{
    size_t count;
    const struct selector *selectors = pattern_selectors(reference, &count);
    return union_add(scan, &selectors[0], index);
}

static bool compile_evidence(struct filter_scan *scan, struct metrics_error *error)
{
    for (size_t i = 0; i < EVIDENCE_SELECTOR_COUNT; i++) {
        struct pattern_error pattern_error;
        scan->references[i] = pattern_compile_reference(evidence_references[i], &pattern_error);
        if (!scan->references[i] ||
            !reference_selector(scan, scan->references[i], &scan->evidence_selector[i]))
            return fail(error, "cannot compile %s%s", evidence_references[i], "");
    }
    return true;
}

static bool parse_number(const char *text, size_t length, double *value)
{
    char buffer[64];
    if (length == 0 || length >= sizeof buffer)
        return false;
    memcpy(buffer, text, length);
    buffer[length] = '\0';
    char *end;
    *value = strtod(buffer, &end);
    return end == buffer + length;
}

/* metricValue: a number, a JSON selector ($.bytes) or a space-delimited field ($size). */
static bool compile_value(struct filter_scan *scan, struct compiled_filter *filter,
                          const struct metric_filter_definition *definition,
                          struct metrics_error *error)
{
    const char *value = definition->transformation.metric_value;
    if (!value || parse_number(value, strlen(value), &filter->constant)) {
        filter->value_source = VALUE_CONSTANT;
        if (!value)
            filter->constant = 1;
        return true;
    }
    if (strncmp(value, "$.", 2) == 0 || strncmp(value, "$[", 2) == 0) {
        struct pattern_error pattern_error;
        filter->value_reference = pattern_compile_reference(value, &pattern_error);
        if (!filter->value_reference)
            return fail(error, "filter %s: metricValue: %s", definition->filter_name,
                        pattern_error.message);
        filter->value_source = VALUE_SELECTOR;
        return reference_selector(scan, filter->value_reference, &filter->value_selector);
    }
    filter->value_source = VALUE_FIELD;
    filter->value_field = strdup(value);
    return filter->value_field || fail(error, "out of memory%s%s", "", "");
}

static bool compile_filter(struct filter_scan *scan, struct compiled_filter *filter,
                           const struct metric_filter_definition *definition,
                           struct metrics_error *error)
{
    struct pattern_error pattern_error;
    const char *text = definition->filter_pattern ? definition->filter_pattern : "";
    filter->pattern = pattern_compile(text, strlen(text), &pattern_error);
    if (!filter->pattern) {
        snprintf(error->message, sizeof error->message,
                 "filter %s: invalid filter pattern at column %zu: %s", definition->filter_name,
                 pattern_error.column, pattern_error.message);
        return false;
    }
    const struct selector *selectors = pattern_selectors(filter->pattern, &filter->selector_count);
    size_t slots = filter->selector_count ? filter->selector_count : 1;
    filter->selector_map = calloc(slots, sizeof *filter->selector_map);
    filter->view = calloc(slots, sizeof *filter->view);
    if (!filter->selector_map || !filter->view)
        return fail(error, "out of memory%s%s", "", "");
    for (size_t i = 0; i < filter->selector_count; i++)
        if (!union_add(scan, &selectors[i], &filter->selector_map[i]))
            return fail(error, "out of memory%s%s", "", "");
    for (size_t i = 0; i < EVIDENCE_FIELD_COUNT; i++)
        if (!(filter->top[i] = top_values_create(FILTER_SCAN_TOP_CAPACITY)))
            return fail(error, "out of memory%s%s", "", "");
    return compile_value(scan, filter, definition, error);
}

/* The pre-test is possible only when every filter requires some literal. */
static bool build_prefilter(struct filter_scan *scan, struct metrics_error *error)
{
    struct prefilter *prefilter = prefilter_create();
    bool possible = prefilter && scan->filter_count > 0, built = prefilter != NULL;
    for (size_t i = 0; possible && built && i < scan->filter_count; i++) {
        struct pattern_literal_clause *clauses;
        size_t count;
        possible = pattern_required_literals(scan->filters[i].pattern, &clauses, &count);
        if (possible && count == 0) {
            pattern_literal_clauses_free(clauses, count);
            possible = false; /* requires nothing after all */
        }
        if (possible) {
            built = prefilter_add_filter(prefilter, clauses, count);
            pattern_literal_clauses_free(clauses, count);
        }
    }
    if (possible && built) {
        scan->prefilter = prefilter;
        return true;
    }
    prefilter_free(prefilter);
    return built || fail(error, "out of memory%s%s", "", "");
}

struct filter_scan *filter_scan_create(const struct metric_filter_list *filters, bool pre_test,
                                       struct metrics_error *error)
{
    struct filter_scan *scan = calloc(1, sizeof *scan);
    if (!scan) {
        fail(error, "out of memory%s%s", "", "");
        return NULL;
    }
    scan->filters = calloc(filters->count ? filters->count : 1, sizeof *scan->filters);
    scan->extractor = event_extractor_create();
    scan->match = pattern_match_create();
    bool ready = scan->filters && scan->extractor && scan->match;
    if (!ready)
        fail(error, "out of memory%s%s", "", "");
    ready = ready && compile_evidence(scan, error);
    for (size_t i = 0; ready && i < filters->count; i++) {
        ready = compile_filter(scan, &scan->filters[i], &filters->items[i], error);
        scan->filter_count = i + 1;
        if (ready && !metric_filter_list_append(&scan->definitions, &filters->items[i]))
            ready = fail(error, "out of memory%s%s", "", "");
    }
    ready = ready && (!pre_test || build_prefilter(scan, error));
    if (!ready) {
        filter_scan_free(scan);
        return NULL;
    }
    return scan;
}

static void datapoints_free(struct scan_datapoints *datapoints, size_t filter_count)
{
    if (!datapoints)
        return;
    pattern_free(datapoints->time_reference);
    for (size_t i = 0; datapoints->dimensions && i < filter_count; i++)
        for (size_t d = 0; d < METRIC_FILTER_MAX_DIMENSIONS; d++)
            pattern_free(datapoints->dimensions[i][d].reference);
    free(datapoints->dimensions);
    datapoint_table_free(&datapoints->table);
    free(datapoints);
}

static void evidence_free(struct scan_evidence *evidence)
{
    if (!evidence)
        return;
    for (size_t i = 0; i < SAMPLE_FIELD_COUNT; i++)
        pattern_free(evidence->references[i]);
    evidence_text_free(&evidence->sample);
    free(evidence);
}

static void suppressions_free(struct scan_suppressions *suppressions)
{
    if (!suppressions)
        return;
    suppression_set_free(suppressions->set);
    pattern_free(suppressions->user_agent_reference);
    free(suppressions->tuned);
    free(suppressions);
}

void filter_scan_free(struct filter_scan *scan)
{
    if (!scan)
        return;
    suppressions_free(scan->suppressions);
    evidence_free(scan->evidence);
    datapoints_free(scan->datapoints, scan->filter_count);
    metric_filter_list_free(&scan->definitions);
    for (size_t i = 0; i < scan->filter_count; i++) {
        struct compiled_filter *filter = &scan->filters[i];
        pattern_free(filter->pattern);
        pattern_free(filter->value_reference);
        free(filter->value_field);
        free(filter->selector_map);
        free(filter->view);
        for (size_t field = 0; field < EVIDENCE_FIELD_COUNT; field++)
            top_values_free(filter->top[field]);
    }
    for (size_t i = 0; i < EVIDENCE_SELECTOR_COUNT; i++)
        pattern_free(scan->references[i]);
    free(scan->filters);
    free(scan->selectors);
    event_extractor_free(scan->extractor);
    pattern_match_free(scan->match);
    prefilter_free(scan->prefilter);
    free(scan);
}

/* The first string or number a selector found, as text. */
static bool first_text(const struct event *event, size_t selector, const char **text,
                       size_t *length)
{
    const struct event_selection *selection = &event->selections[selector];
    for (size_t i = 0; i < selection->count; i++) {
        const struct event_value *value = &selection->values[i];
        if (value->kind == EVENT_VALUE_STRING || value->kind == EVENT_VALUE_NUMBER) {
            *text = value->text;
            *length = value->length;
            return true;
        }
    }
    return false;
}

struct evidence {
    const char *text[EVIDENCE_FIELD_COUNT];
    size_t length[EVIDENCE_FIELD_COUNT];
    bool found[EVIDENCE_FIELD_COUNT];
};

static void read_evidence(const struct filter_scan *scan, const struct event *event,
                          struct evidence *evidence)
{
    static const struct {
        enum evidence_field field;
        enum evidence_selector first, last; /* alternatives, in order of preference */
    } sources[] = {
        {EVIDENCE_PRINCIPAL, EVIDENCE_ARN, EVIDENCE_INVOKED_BY},
        {EVIDENCE_SOURCE_IP, EVIDENCE_SOURCE_IP_ADDRESS, EVIDENCE_SOURCE_IP_ADDRESS},
        {EVIDENCE_EVENT_NAME, EVIDENCE_EVENT_NAME_FIELD, EVIDENCE_EVENT_NAME_FIELD},
        {EVIDENCE_ERROR_CODE, EVIDENCE_ERROR_CODE_FIELD, EVIDENCE_ERROR_CODE_FIELD},
        {EVIDENCE_ACCOUNT, EVIDENCE_RECIPIENT_ACCOUNT, EVIDENCE_IDENTITY_ACCOUNT},
        {EVIDENCE_REGION, EVIDENCE_AWS_REGION, EVIDENCE_AWS_REGION},
    };
    for (size_t i = 0; i < sizeof sources / sizeof sources[0]; i++) {
        enum evidence_field field = sources[i].field;
        evidence->found[field] = false;
        for (int s = sources[i].first; s <= (int)sources[i].last && !evidence->found[field]; s++)
            evidence->found[field] = first_text(event, scan->evidence_selector[s],
                                                &evidence->text[field], &evidence->length[field]);
    }
}

static bool metric_value(const struct filter_scan *scan, const struct compiled_filter *filter,
                         const struct event *event, double *value)
{
    const char *text;
    size_t length;
    switch (filter->value_source) {
    case VALUE_CONSTANT:
        *value = filter->constant;
        return true;
    case VALUE_SELECTOR:
        return first_text(event, filter->value_selector, &text, &length) &&
               parse_number(text, length, value);
    case VALUE_FIELD:
        for (size_t i = 0; i < pattern_match_field_count(scan->match); i++) {
            const struct pattern_field *field = pattern_match_field(scan->match, i);
            if (strcmp(field->name, filter->value_field) == 0)
                return parse_number(field->value, field->value_length, value);
        }
        return false;
    }
    return false;
}

static void record_match(struct filter_scan *scan, struct compiled_filter *filter,
                         const struct event *event, struct evidence *evidence, bool *have_evidence)
{
    double value;
    filter->matches++;
    if (metric_value(scan, filter, event, &value))
        filter->value_sum += value;
    if (!*have_evidence) {
        read_evidence(scan, event, evidence);
        *have_evidence = true;
    }
    for (size_t field = 0; field < EVIDENCE_FIELD_COUNT; field++)
        if (evidence->found[field])
            top_values_add(filter->top[field], evidence->text[field], evidence->length[field], 1);
}

/* Does the filter match? It sees its own selectors through its index map. */
static bool evaluate_filter(struct filter_scan *scan, struct compiled_filter *filter,
                            const struct event *event)
{
    for (size_t s = 0; s < filter->selector_count; s++)
        filter->view[s] = event->selections[filter->selector_map[s]];
    struct event view = *event;
    view.selections = filter->view;
    view.selection_count = filter->selector_count;
    return pattern_evaluate(filter->pattern, &view, scan->match);
}

/* ---- suppressions while scanning ---- */

static size_t tuned_index(const struct filter_scan *scan, size_t filter)
{
    return scan->suppressions ? scan->suppressions->tuned[filter] : SIZE_MAX;
}

/* Does a rule suppress this match? Reads the fields record_match read, plus the user agent;
 * counts the suppressed ones. */
static bool match_suppressed(struct filter_scan *scan, size_t filter_index,
                             const struct event *event, const struct evidence *fields)
{
    const struct scan_suppressions *suppressions = scan->suppressions;
    if (!suppression_set_applies(suppressions->set, filter_index))
        return false;
    static const struct {
        enum suppression_field to;
        enum evidence_field from;
    } shared[] = {
        {SUPPRESSION_PRINCIPAL, EVIDENCE_PRINCIPAL},
        {SUPPRESSION_SOURCE_IP, EVIDENCE_SOURCE_IP},
        {SUPPRESSION_EVENT_NAME, EVIDENCE_EVENT_NAME},
        {SUPPRESSION_ERROR_CODE, EVIDENCE_ERROR_CODE},
        {SUPPRESSION_ACCOUNT, EVIDENCE_ACCOUNT},
    };
    struct suppression_event values = {0};
    for (size_t i = 0; i < sizeof shared / sizeof shared[0]; i++) {
        if (fields->found[shared[i].from]) {
            values.values[shared[i].to] = fields->text[shared[i].from];
            values.lengths[shared[i].to] = fields->length[shared[i].from];
        }
    }
    if (!first_text(event, suppressions->user_agent_selector,
                    &values.values[SUPPRESSION_USER_AGENT],
                    &values.lengths[SUPPRESSION_USER_AGENT]))
        values.values[SUPPRESSION_USER_AGENT] = NULL;
    bool suppressed = suppression_matches(suppressions->set, filter_index, &values);
    scan->filters[filter_index].suppressed += suppressed;
    return suppressed;
}

/* ---- data points while scanning ---- */

/* The event's bucket, read once per event and only when some filter needs it. */
struct event_clock {
    bool read, timed;
    int64_t time_ms, bucket;
};

static bool event_bucket(const struct filter_scan *scan, const struct event *event,
                         struct event_clock *clock)
{
    if (!clock->read) {
        const struct scan_datapoints *datapoints = scan->datapoints;
        const struct event_selection *selection = &event->selections[datapoints->time_selector];
        clock->read = true;
        clock->timed = selection->count > 0 && selection->values[0].kind == EVENT_VALUE_STRING &&
                       event_time_parse_ms(selection->values[0].text, selection->values[0].length,
                                           &clock->time_ms);
        if (clock->timed) {
            /* floor: the fraction of a second never moves an event to another bucket */
            int64_t seconds = clock->time_ms / 1000 - (clock->time_ms % 1000 < 0);
            clock->bucket = event_time_bucket(seconds, datapoints->resolution);
        }
    }
    return clock->timed;
}

/* A dimension's value in this event: the first string or number the selector found, or the
 * space-delimited field the last match extracted. Empty counts as missing (CloudWatch
 * dimension values have at least one character). */
static bool dimension_value(const struct filter_scan *scan, const struct dimension_source *source,
                            const struct event *event, const char **text, size_t *length)
{
    bool found = false;
    if (source->source == VALUE_SELECTOR) {
        found = first_text(event, source->selector, text, length);
    } else {
        for (size_t i = 0; !found && i < pattern_match_field_count(scan->match); i++) {
            const struct pattern_field *field = pattern_match_field(scan->match, i);
            if (strcmp(field->name, source->field) == 0) {
                *text = field->value;
                *length = field->value_length;
                found = true;
            }
        }
    }
    return found && *length > 0;
}

/* The entry the sample went to; NULL when memory ran out. */
static struct datapoint_entry *file_sample(struct scan_datapoints *datapoints,
                                           const struct datapoint_key *key, double value)
{
    struct datapoint_entry *entry = datapoint_table_entry(&datapoints->table, key);
    if (!entry) {
        datapoints->samples_lost = true;
        return NULL;
    }
    size_t capacity = entry->aggregate.value_capacity;
    if (!metric_aggregate_add(&entry->aggregate, value, 1)) {
        datapoints->samples_lost = true;
        return NULL;
    }
    datapoints->table.bytes +=
        (entry->aggregate.value_capacity - capacity) * sizeof *entry->aggregate.values;
    return entry;
}

/* A match publishes its metric value, when it is a number (alarms.md §2.8), at the event's
 * bucket with the filter's dimensions. Our choice where AWS says nothing: a match whose
 * eventTime cannot be read, or that lacks a dimension's field, publishes nothing and is
 * counted (filter_scan_untimed, filter_scan_undimensioned). False when it publishes
 * nothing; else `key` and `value` say what to file (key values point into the event). */
static bool match_key(struct filter_scan *scan, size_t filter_index, const struct event *event,
                      struct event_clock *clock, struct datapoint_key *key, double *value)
{
    struct scan_datapoints *datapoints = scan->datapoints;
    if (!metric_value(scan, &scan->filters[filter_index], event, value))
        return false;
    if (!event_bucket(scan, event, clock)) {
        datapoints->untimed++;
        return false;
    }
    const struct metric_transformation *transformation =
        &scan->definitions.items[filter_index].transformation;
    *key = (struct datapoint_key){.filter = filter_index,
                                  .bucket = clock->bucket,
                                  .value_count = transformation->dimension_count};
    for (size_t d = 0; d < key->value_count; d++) {
        if (!dimension_value(scan, &datapoints->dimensions[filter_index][d], event, &key->values[d],
                             &key->lengths[d])) {
            datapoints->undimensioned++;
            return false;
        }
    }
    return true;
}

/* A filter with a defaultValue publishes it once for every timed event it does not match
 * (alarms.md §2.2); such a filter has no dimensions. */
static void datapoints_add_default(struct filter_scan *scan, size_t filter_index,
                                   const struct event *event, struct event_clock *clock)
{
    if (filter_index == SIZE_MAX)
        return; /* no tuned metric */
    const struct metric_transformation *transformation =
        &scan->definitions.items[filter_index].transformation;
    if (!transformation->has_default_value || !event_bucket(scan, event, clock))
        return;
    struct datapoint_key key = {.filter = filter_index, .bucket = clock->bucket};
    file_sample(scan->datapoints, &key, transformation->default_value);
}

/* ---- evidence per bucket while scanning ---- */

/* What one event gives the evidence of the buckets it is filed in, worked out at its first
 * filed match and reused by the others. */
struct event_evidence {
    bool ready, sample_ready, sample_written;
    struct evidence_match match;
};

/* An errorMessage says what denied an AccessDenied* call. */
static void read_denial(const struct filter_scan *scan, const struct event *event,
                        struct evidence_match *match)
{
    static const char prefix[] = "AccessDenied";
    const char *code = match->values[METRIC_EVIDENCE_ERROR_CODE], *message;
    size_t message_length;
    if (!code || match->lengths[METRIC_EVIDENCE_ERROR_CODE] < sizeof prefix - 1 ||
        memcmp(code, prefix, sizeof prefix - 1) != 0 ||
        !first_text(event, scan->evidence->selectors[SAMPLE_ERROR_MESSAGE], &message,
                    &message_length))
        return;
    const char *kind = metric_denial_kind(message, message_length);
    if (kind) {
        match->values[METRIC_EVIDENCE_DENIAL] = kind;
        match->lengths[METRIC_EVIDENCE_DENIAL] = strlen(kind);
    }
}

/* The six fields record_match read, plus the denial and the time. */
static void prepare_match(const struct filter_scan *scan, const struct event *event,
                          const struct event_clock *clock, const struct evidence *fields,
                          struct evidence_match *match)
{
    *match = (struct evidence_match){.time_ms = clock->time_ms};
    for (size_t field = 0; field < EVIDENCE_FIELD_COUNT; field++) {
        /* enum evidence_field and enum metric_evidence_field share their first six */
        match->values[field] = fields->found[field] ? fields->text[field] : NULL;
        match->lengths[field] = fields->found[field] ? fields->length[field] : 0;
    }
    read_denial(scan, event, match);
}

static bool write_sample(struct filter_scan *scan, const struct event *event)
{
    struct evidence_sample sample;
    for (size_t field = 0; field < SAMPLE_FIELD_COUNT; field++) {
        if (!first_text(event, scan->evidence->selectors[field], &sample.values[field],
                        &sample.lengths[field])) {
            sample.values[field] = NULL;
            sample.lengths[field] = 0;
        }
    }
    return evidence_sample_write(&sample, &scan->evidence->sample);
}

/* Counts a filed match in its bucket's evidence, with a sample while the bucket wants one.
 * Running out of memory loses evidence, reported as lost samples. */
static void file_evidence(struct filter_scan *scan, struct datapoint_entry *entry,
                          const struct event *event, const struct event_clock *clock,
                          const struct evidence *fields, struct event_evidence *cache,
                          bool suppressed)
{
    bool created = !entry->evidence;
    if (created && !(entry->evidence = evidence_tally_create())) {
        scan->datapoints->samples_lost = true;
        return;
    }
    size_t bytes = created ? 0 : evidence_tally_bytes(entry->evidence);
    if (!cache->ready) {
        prepare_match(scan, event, clock, fields, &cache->match);
        cache->ready = true;
    }
    cache->match.suppressed = suppressed;
    bool filed = evidence_tally_add(entry->evidence, &cache->match);
    if (evidence_tally_wants_sample(entry->evidence, clock->time_ms)) {
        if (!cache->sample_ready) {
            cache->sample_written = write_sample(scan, event);
            cache->sample_ready = true;
        }
        const struct evidence_text *sample = &scan->evidence->sample;
        filed = filed && cache->sample_written &&
                evidence_tally_add_sample(entry->evidence, clock->time_ms, sample->text,
                                          sample->length);
    }
    if (!filed)
        scan->datapoints->samples_lost = true;
    scan->datapoints->table.bytes += evidence_tally_bytes(entry->evidence) - bytes;
}

/* What one event's evaluation carries from filter to filter. */
struct event_pass {
    const struct event *event;
    struct evidence fields;
    bool have_fields;
    struct event_clock clock;
    struct event_evidence evidence;
};

/* Files a sample under `key` and the match in the bucket's evidence. */
static void file_match(struct filter_scan *scan, const struct datapoint_key *key, double value,
                       struct event_pass *pass, bool suppressed)
{
    struct datapoint_entry *entry = file_sample(scan->datapoints, key, value);
    /* a value that is not finite publishes no sample (metric_aggregate_add ignores it, as
     * CloudWatch refuses it), so it is no evidence of what the metric counted either */
    if (entry && scan->evidence && isfinite(value))
        file_evidence(scan, entry, pass->event, &pass->clock, &pass->fields, &pass->evidence,
                      suppressed);
}

/* A match: the filter's own metric gets it, suppressed or not (marked in the evidence);
 * the tuned metric only when no rule suppresses it, and otherwise treats it as an event the
 * filter did not match (its defaultValue, if any). */
static void publish_match(struct filter_scan *scan, size_t filter_index, struct event_pass *pass)
{
    bool suppressed =
        scan->suppressions && match_suppressed(scan, filter_index, pass->event, &pass->fields);
    struct datapoint_key key;
    double value;
    /* before the next filter's evaluation replaces the extracted fields */
    if (!match_key(scan, filter_index, pass->event, &pass->clock, &key, &value))
        return;
    file_match(scan, &key, value, pass, suppressed);
    size_t tuned = tuned_index(scan, filter_index);
    if (tuned != SIZE_MAX && !suppressed) {
        key.filter = tuned;
        file_match(scan, &key, value, pass, false);
    } else if (tuned != SIZE_MAX) {
        datapoints_add_default(scan, tuned, pass->event, &pass->clock);
    }
}

static void spill_when_full(struct filter_scan *scan);

/* `clock`: unread (the bucket comes from eventTime) or already set (a log event's time). */
static void evaluate_with_datapoints(struct filter_scan *scan, const struct event *event,
                                     const struct event_clock *clock)
{
    struct event_pass pass = {.event = event, .clock = *clock};
    for (size_t i = 0; i < scan->filter_count; i++) {
        struct compiled_filter *filter = &scan->filters[i];
        if (evaluate_filter(scan, filter, event)) {
            record_match(scan, filter, event, &pass.fields, &pass.have_fields);
            publish_match(scan, i, &pass);
        } else {
            datapoints_add_default(scan, i, event, &pass.clock);
            if (scan->suppressions)
                datapoints_add_default(scan, tuned_index(scan, i), event, &pass.clock);
        }
    }
    spill_when_full(scan);
}

/* Without data points: the totals only. */
static void evaluate_totals(struct filter_scan *scan, const struct event *event)
{
    struct evidence evidence;
    bool have_evidence = false;
    for (size_t i = 0; i < scan->filter_count; i++) {
        if (evaluate_filter(scan, &scan->filters[i], event)) {
            record_match(scan, &scan->filters[i], event, &evidence, &have_evidence);
            if (scan->suppressions)
                match_suppressed(scan, i, event, &evidence);
        }
    }
}

bool filter_scan_event(struct filter_scan *scan, const char *message, size_t length,
                       struct event_json_error *error)
{
    /* A line cut short (the usual damage) does not end with '}': decode it so it is
     * reported even when the pre-test would set it aside. */
    bool looks_whole = length >= 2 && message[length - 1] == '}';
    if (scan->prefilter && looks_whole && !prefilter_may_match(scan->prefilter, message, length)) {
        scan->unvalidated++;
        return true;
    }
    struct event event;
    if (!event_extract_json(scan->extractor, message, length, scan->selectors, scan->selector_count,
                            &event, error))
        return false;
    if (scan->datapoints)
        evaluate_with_datapoints(scan, &event, &(struct event_clock){0});
    else
        evaluate_totals(scan, &event);
    return true;
}

bool filter_scan_event_at(struct filter_scan *scan, const char *message, size_t length,
                          int64_t timestamp_ms, struct event_json_error *error)
{
    struct event_json_error ignored;
    if (!error)
        error = &ignored;
    *error = (struct event_json_error){0};
    bool looks_whole = length >= 2 && message[length - 1] == '}';
    if (scan->prefilter && looks_whole && !prefilter_may_match(scan->prefilter, message, length)) {
        scan->unvalidated++;
        return true;
    }
    struct event event;
    /* not JSON: `event` is its text with every selection empty, which term, regex and
     * space-delimited patterns read and JSON patterns never match */
    if (!event_extract_json(scan->extractor, message, length, scan->selectors, scan->selector_count,
                            &event, error) &&
        error->offset == SIZE_MAX)
        return false;
    if (!scan->datapoints) {
        evaluate_totals(scan, &event);
        return true;
    }
    /* floor: the fraction of a second never moves an event to another bucket */
    int64_t seconds = timestamp_ms / 1000 - (timestamp_ms % 1000 < 0);
    struct event_clock clock = {.read = true,
                                .timed = true,
                                .time_ms = timestamp_ms,
                                .bucket = event_time_bucket(seconds, scan->datapoints->resolution)};
    evaluate_with_datapoints(scan, &event, &clock);
    return true;
}

/* Both scans gather data points at the same resolution, or neither does: adds the counts
 * of `from`'s data points into `into`'s, and says whether their tables can be merged. */
static bool datapoints_merge_counts(struct filter_scan *into, const struct filter_scan *from)
{
    struct scan_datapoints *target = into->datapoints;
    const struct scan_datapoints *source = from->datapoints;
    if (!source)
        return true;
    if (!target || target->resolution != source->resolution)
        return false;
    target->untimed += source->untimed;
    target->undimensioned += source->undimensioned;
    target->samples_lost = target->samples_lost || source->samples_lost;
    target->spilled += source->spilled;
    if (source->spill_failed && !target->spill_failed) {
        target->spill_failed = true;
        target->spill_error = source->spill_error;
    }
    return true;
}

static bool totals_merge(struct filter_scan *into, const struct filter_scan *from)
{
    into->unvalidated += from->unvalidated;
    for (size_t i = 0; i < into->filter_count && i < from->filter_count; i++) {
        into->filters[i].matches += from->filters[i].matches;
        into->filters[i].suppressed += from->filters[i].suppressed;
        into->filters[i].value_sum += from->filters[i].value_sum;
        for (size_t field = 0; field < EVIDENCE_FIELD_COUNT; field++)
            if (!top_values_merge(into->filters[i].top[field], from->filters[i].top[field]))
                return false;
    }
    return true;
}

bool filter_scan_merge(struct filter_scan *into, const struct filter_scan *from)
{
    if (!datapoints_merge_counts(into, from) ||
        (from->datapoints &&
         !datapoint_table_merge(&into->datapoints->table, &from->datapoints->table)))
        return false;
    return totals_merge(into, from);
}

bool filter_scan_merge_take(struct filter_scan *into, struct filter_scan *from)
{
    if (!datapoints_merge_counts(into, from) ||
        (from->datapoints &&
         !datapoint_table_merge_take(&into->datapoints->table, &from->datapoints->table)))
        return false;
    return totals_merge(into, from);
}

size_t filter_scan_filter_count(const struct filter_scan *scan)
{
    return scan->filter_count;
}

uint64_t filter_scan_unvalidated(const struct filter_scan *scan)
{
    return scan->unvalidated;
}

uint64_t filter_scan_matches(const struct filter_scan *scan, size_t filter)
{
    return scan->filters[filter].matches;
}

uint64_t filter_scan_suppressed(const struct filter_scan *scan, size_t filter)
{
    return scan->filters[filter].suppressed;
}

bool filter_scan_is_tuned(const struct filter_scan *scan, size_t filter)
{
    return tuned_index(scan, filter) != SIZE_MAX;
}

double filter_scan_value_sum(const struct filter_scan *scan, size_t filter)
{
    return scan->filters[filter].value_sum;
}

size_t filter_scan_top(const struct filter_scan *scan, size_t filter, enum evidence_field field,
                       struct top_value *out, size_t max)
{
    return top_values_list(scan->filters[filter].top[field], out, max);
}

/* ---- enabling and taking data points ---- */

static bool is_selector_reference(const char *reference)
{
    return strncmp(reference, "$.", 2) == 0 || strncmp(reference, "$[", 2) == 0;
}

static bool compile_dimension(struct filter_scan *scan, struct dimension_source *source,
                              const char *filter_name, const struct metric_dimension *dimension,
                              struct metrics_error *error)
{
    const char *reference = dimension->reference ? dimension->reference : "";
    if (!is_selector_reference(reference)) {
        source->source = VALUE_FIELD;
        source->field = reference;
        if (reference[0] == '$' && reference[1] != '\0')
            return true;
        snprintf(error->message, sizeof error->message,
                 "filter %s: dimension %s: \"%s\" is not a field reference ($.field or $field)",
                 filter_name, dimension->name ? dimension->name : "", reference);
        return false;
    }
    struct pattern_error pattern_error;
    source->source = VALUE_SELECTOR;
    source->reference = pattern_compile_reference(reference, &pattern_error);
    if (!source->reference) {
        snprintf(error->message, sizeof error->message, "filter %s: dimension %s: %s", filter_name,
                 dimension->name ? dimension->name : "", pattern_error.message);
        return false;
    }
    return reference_selector(scan, source->reference, &source->selector) ||
           fail(error, "out of memory%s%s", "", "");
}

static bool compile_filter_dimensions(struct filter_scan *scan, size_t filter_index,
                                      struct metrics_error *error)
{
    const struct metric_filter_definition *definition = &scan->definitions.items[filter_index];
    const struct metric_transformation *transformation = &definition->transformation;
    if (transformation->has_default_value && transformation->dimension_count > 0)
        return fail(error, "filter %s: a metric with dimensions cannot have a defaultValue%s",
                    definition->filter_name, "");
    for (size_t d = 0; d < transformation->dimension_count; d++)
        if (!compile_dimension(scan, &scan->datapoints->dimensions[filter_index][d],
                               definition->filter_name, &transformation->dimensions[d], error))
            return false;
    return true;
}

static bool compile_datapoints(struct filter_scan *scan, struct metrics_error *error)
{
    struct scan_datapoints *datapoints = scan->datapoints;
    struct pattern_error pattern_error;
    datapoints->time_reference = pattern_compile_reference("$.eventTime", &pattern_error);
    datapoints->dimensions =
        calloc(scan->filter_count ? scan->filter_count : 1, sizeof *datapoints->dimensions);
    if (!datapoints->time_reference || !datapoints->dimensions ||
        !reference_selector(scan, datapoints->time_reference, &datapoints->time_selector))
        return fail(error, "out of memory%s%s", "", "");
    for (size_t i = 0; i < scan->filter_count; i++)
        if (!compile_filter_dimensions(scan, i, error))
            return false;
    return true;
}

static bool any_default_value(const struct filter_scan *scan)
{
    for (size_t i = 0; i < scan->definitions.count; i++)
        if (scan->definitions.items[i].transformation.has_default_value)
            return true;
    return false;
}

bool filter_scan_enable_datapoints(struct filter_scan *scan, int resolution,
                                   struct metrics_error *error)
{
    if (resolution != METRIC_RESOLUTION_STANDARD && resolution != METRIC_RESOLUTION_HIGH) {
        snprintf(error->message, sizeof error->message,
                 "data point resolution must be 60 or 1 seconds, not %d", resolution);
        return false;
    }
    if (scan->datapoints)
        return fail(error, "data points are already enabled%s%s", "", "");
    scan->datapoints = calloc(1, sizeof *scan->datapoints);
    if (!scan->datapoints)
        return fail(error, "out of memory%s%s", "", "");
    scan->datapoints->resolution = resolution;
    datapoint_table_init(&scan->datapoints->table);
    /* selectors added for data points point into patterns freed on failure: drop them too */
    size_t selector_count = scan->selector_count;
    if (!compile_datapoints(scan, error)) {
        datapoints_free(scan->datapoints, scan->filter_count);
        scan->datapoints = NULL;
        scan->selector_count = selector_count;
        return false;
    }
    if (any_default_value(scan)) {
        /* a defaultValue sample needs every event decoded, even those no filter can match */
        prefilter_free(scan->prefilter);
        scan->prefilter = NULL;
    }
    return true;
}

static bool compile_evidence_selectors(struct filter_scan *scan, struct metrics_error *error)
{
    struct scan_evidence *evidence = scan->evidence;
    for (size_t i = 0; i < SAMPLE_FIELD_COUNT; i++) {
        struct pattern_error pattern_error;
        evidence->references[i] =
            pattern_compile_reference(evidence_sample_references[i], &pattern_error);
        if (!evidence->references[i] ||
            !reference_selector(scan, evidence->references[i], &evidence->selectors[i]))
            return fail(error, "cannot compile %s%s", evidence_sample_references[i], "");
    }
    return true;
}

bool filter_scan_enable_evidence(struct filter_scan *scan, struct metrics_error *error)
{
    if (!scan->datapoints)
        return fail(error, "evidence is kept per data point: enable data points first%s%s", "", "");
    if (scan->evidence)
        return fail(error, "evidence is already enabled%s%s", "", "");
    if (!(scan->evidence = calloc(1, sizeof *scan->evidence)))
        return fail(error, "out of memory%s%s", "", "");
    /* selectors added here point into patterns freed on failure: drop them too */
    size_t selector_count = scan->selector_count;
    if (!compile_evidence_selectors(scan, error)) {
        evidence_free(scan->evidence);
        scan->evidence = NULL;
        scan->selector_count = selector_count;
        return false;
    }
    return true;
}

/* A copy of the filter's definition that publishes metricName + "Tuned", appended to the
 * scan's definitions; its index is where the tuned samples are filed. */
static bool append_tuned(struct filter_scan *scan, size_t filter, struct metrics_error *error)
{
    struct metric_filter_definition tuned = scan->definitions.items[filter]; /* borrowed */
    char *name = metric_tuned_name(tuned.transformation.metric_name);
    tuned.transformation.metric_name = name;
    size_t index = scan->definitions.count;
    bool appended = name && metric_filter_list_append(&scan->definitions, &tuned);
    free(name);
    if (!appended)
        return fail(error, "out of memory%s%s", "", "");
    scan->suppressions->tuned[filter] = index;
    return true;
}

static bool compile_suppressions(struct filter_scan *scan,
                                 const struct suppression_rule_list *rules,
                                 struct metrics_error *error)
{
    struct scan_suppressions *suppressions = scan->suppressions;
    /* the scan's own filters, without tuned definitions */
    struct metric_filter_list filters = {scan->definitions.items, scan->filter_count,
                                         scan->filter_count};
    if (!(suppressions->set = suppression_set_compile(rules, &filters, error)))
        return false;
    suppressions->tuned =
        malloc((scan->filter_count ? scan->filter_count : 1) * sizeof *suppressions->tuned);
    struct pattern_error pattern_error;
    suppressions->user_agent_reference = pattern_compile_reference("$.userAgent", &pattern_error);
    if (!suppressions->tuned || !suppressions->user_agent_reference ||
        !reference_selector(scan, suppressions->user_agent_reference,
                            &suppressions->user_agent_selector))
        return fail(error, "out of memory%s%s", "", "");
    for (size_t i = 0; i < scan->filter_count; i++)
        suppressions->tuned[i] = SIZE_MAX;
    for (size_t i = 0; i < scan->filter_count; i++)
        if (suppression_set_applies(suppressions->set, i) && !append_tuned(scan, i, error))
            return false;
    return true;
}

bool filter_scan_enable_suppressions(struct filter_scan *scan,
                                     const struct suppression_rule_list *rules,
                                     struct metrics_error *error)
{
    if (scan->suppressions)
        return fail(error, "suppressions are already enabled%s%s", "", "");
    if (!(scan->suppressions = calloc(1, sizeof *scan->suppressions)))
        return fail(error, "out of memory%s%s", "", "");
    /* what this adds points into what is freed on failure: drop it too */
    size_t selector_count = scan->selector_count;
    if (!compile_suppressions(scan, rules, error)) {
        suppressions_free(scan->suppressions);
        scan->suppressions = NULL;
        scan->selector_count = selector_count;
        while (scan->definitions.count > scan->filter_count)
            metric_filter_definition_free(&scan->definitions.items[--scan->definitions.count]);
        return false;
    }
    return true;
}

static bool copy_bytes(char **target, const char *bytes, size_t length)
{
    *target = malloc(length + 1);
    if (!*target)
        return false;
    memcpy(*target, bytes, length);
    (*target)[length] = '\0';
    return true;
}

/* The entry's evidence, reported (the tally is sorted on the way). */
static bool describe_evidence(struct datapoint_entry *entry, struct metric_datapoint *out)
{
    if (!entry->evidence)
        return true;
    if (!(out->evidence = malloc(sizeof *out->evidence)))
        return false;
    metric_evidence_init(out->evidence);
    if (evidence_tally_export(entry->evidence, out->evidence))
        return true;
    free(out->evidence);
    out->evidence = NULL;
    return false;
}

/* The identity and unit an entry publishes to, its aggregate still empty, its evidence
 * reported. A dimension value holding a NUL byte is cut there (identities are C strings);
 * such values then share one metric. */
static bool datapoint_describe(const struct filter_scan *scan, struct datapoint_entry *entry,
                               bool deferred, struct metric_datapoint *out)
{
    const struct metric_transformation *transformation =
        &scan->definitions.items[entry->key.filter].transformation;
    *out = (struct metric_datapoint){.resolution = scan->datapoints->resolution,
                                     .timestamp = entry->key.bucket};
    struct metric_identity *identity = &out->identity;
    identity->namespace_name = strdup(transformation->metric_namespace);
    identity->metric_name = strdup(transformation->metric_name);
    out->unit = strdup(transformation->unit ? transformation->unit : "None");
    bool built = identity->namespace_name && identity->metric_name && out->unit;
    if (built && entry->key.value_count > 0) {
        identity->dimensions = calloc(entry->key.value_count, sizeof *identity->dimensions);
        built = identity->dimensions != NULL;
    }
    for (size_t d = 0; built && d < entry->key.value_count; d++) {
        identity->dimension_count = d + 1;
        identity->dimensions[d].name = strdup(transformation->dimensions[d].name);
        built =
            identity->dimensions[d].name &&
            copy_bytes(&identity->dimensions[d].value, entry->key.values[d], entry->key.lengths[d]);
    }
    metric_identity_sort(identity);
    return built && (deferred || describe_evidence(entry, out));
}

static int datapoint_order(const void *a, const void *b)
{
    const struct metric_datapoint *left = a, *right = b;
    int order = metric_identity_compare(&left->identity, &right->identity);
    if (order == 0)
        order = strcmp(left->unit, right->unit);
    if (order == 0 && left->timestamp != right->timestamp)
        order = left->timestamp < right->timestamp ? -1 : 1;
    return order;
}

/* A deferred point's tally exported into its evidence (merging needs the exported form). */
static bool export_tally(struct metric_datapoint *point)
{
    if (!point->tally)
        return true;
    if (!(point->evidence = malloc(sizeof *point->evidence)))
        return false;
    metric_evidence_init(point->evidence);
    if (!evidence_tally_export(point->tally, point->evidence)) {
        free(point->evidence);
        point->evidence = NULL;
        return false;
    }
    evidence_tally_free(point->tally);
    point->tally = NULL;
    return true;
}

/* Merges the evidence of two points of one bucket into `into`'s. */
static bool merge_point_evidence(struct metric_datapoint *into, struct metric_datapoint *from)
{
    if (!export_tally(into) || !export_tally(from))
        return false;
    if (!from->evidence)
        return true;
    if (!into->evidence) {
        into->evidence = from->evidence;
        from->evidence = NULL;
        return true;
    }
    return metric_evidence_merge(into->evidence, from->evidence);
}

/* Sorts the points from `first` on and merges those of one metric, unit and bucket (two
 * filters may publish to the same metric). False when a merge ran out of memory; the
 * points are then kept apart. */
static bool datapoints_sort_and_merge(struct metric_datapoint_list *list, size_t first)
{
    if (list->count - first < 2)
        return true; /* nothing to order, and items may still be NULL */
    qsort(list->items + first, list->count - first, sizeof *list->items, datapoint_order);
    bool merged = true;
    size_t kept = first;
    for (size_t i = first; i < list->count; i++) {
        struct metric_datapoint *previous = kept > first ? &list->items[kept - 1] : NULL;
        bool same = previous && datapoint_order(previous, &list->items[i]) == 0;
        if (same && metric_aggregate_merge(&previous->aggregate, &list->items[i].aggregate)) {
            if (!merge_point_evidence(previous, &list->items[i]))
                merged = false; /* this point's evidence is lost, its samples are not */
            metric_datapoint_free(&list->items[i]);
            continue;
        }
        if (same)
            merged = false;
        list->items[kept++] = list->items[i];
    }
    list->count = kept;
    return merged;
}

static bool list_reserve(struct metric_datapoint_list *list, size_t more)
{
    if (list->capacity - list->count >= more)
        return true;
    size_t capacity = list->count + more;
    if (capacity < list->count || capacity > SIZE_MAX / sizeof *list->items)
        return false;
    struct metric_datapoint *items = realloc(list->items, capacity * sizeof *items);
    if (!items)
        return false;
    list->items = items;
    list->capacity = capacity;
    return true;
}

/* Describes every entry first, so running out of memory leaves the table as it was. */
static bool describe_all(const struct filter_scan *scan, bool deferred,
                         struct metric_datapoint_list *out)
{
    struct datapoint_table *table = &scan->datapoints->table;
    size_t first = out->count;
    for (size_t i = 0; i < table->capacity; i++) {
        if (!table->entries[i].used)
            continue;
        struct metric_datapoint *point = &out->items[out->count++];
        if (!datapoint_describe(scan, &table->entries[i], deferred, point)) {
            while (out->count > first)
                metric_datapoint_free(&out->items[--out->count]);
            return false;
        }
    }
    return true;
}

static bool take_datapoints(struct filter_scan *scan, bool deferred,
                            struct metric_datapoint_list *out)
{
    struct scan_datapoints *datapoints = scan->datapoints;
    if (!datapoints)
        return true;
    struct datapoint_table *table = &datapoints->table;
    size_t first = out->count;
    if (!list_reserve(out, table->count) || !describe_all(scan, deferred, out))
        return false;
    /* the same order as describe_all: move each aggregate (and deferred, tally) into its
     * point */
    size_t next = first;
    for (size_t i = 0; i < table->capacity; i++) {
        if (table->entries[i].used) {
            struct metric_datapoint *point = &out->items[next++];
            point->aggregate = table->entries[i].aggregate;
            metric_aggregate_init(&table->entries[i].aggregate);
            if (deferred) {
                point->tally = table->entries[i].evidence;
                table->entries[i].evidence = NULL;
            }
        }
    }
    datapoint_table_free(table);
    bool complete = !datapoints->samples_lost;
    datapoints->samples_lost = false;
    return datapoints_sort_and_merge(out, first) && complete;
}

bool filter_scan_take_datapoints(struct filter_scan *scan, struct metric_datapoint_list *out)
{
    return take_datapoints(scan, false, out);
}

bool filter_scan_take_datapoints_deferred(struct filter_scan *scan,
                                          struct metric_datapoint_list *out)
{
    return take_datapoints(scan, true, out);
}

/* ---- spilling (filter_scan_set_spill) ---- */

/* Points handed to the spill at a time: spilling needs little more memory than the table. */
#define SPILL_CHUNK_POINTS 256

void filter_scan_set_spill(struct filter_scan *scan, size_t limit_bytes, filter_scan_spill_fn spill,
                           void *context)
{
    if (!scan->datapoints)
        return;
    scan->datapoints->spill_limit = limit_bytes;
    scan->datapoints->spill = spill;
    scan->datapoints->spill_context = context;
}

static void spill_free_chunk(struct metric_datapoint *chunk, size_t *count)
{
    while (*count > 0)
        metric_datapoint_free(&chunk[--*count]);
}

/* Moves an entry into a point with its evidence exported; the entry keeps only its key. */
static bool spill_describe(struct filter_scan *scan, struct datapoint_entry *entry,
                           struct metric_datapoint *point)
{
    if (!datapoint_describe(scan, entry, false, point)) {
        metric_datapoint_free(point);
        return false;
    }
    point->aggregate = entry->aggregate;
    metric_aggregate_init(&entry->aggregate);
    evidence_tally_free(entry->evidence);
    entry->evidence = NULL;
    return true;
}

static bool spill_fail(struct scan_datapoints *datapoints, const char *message)
{
    datapoints->spill_failed = true;
    snprintf(datapoints->spill_error.message, sizeof datapoints->spill_error.message, "%s",
             message);
    return false;
}

/* Orders entries by filter, dimension values and bucket: the store's key order, so a
 * spill appends to each metric's rows rather than writing all over its B-trees. */
static int spill_order(const void *a, const void *b)
{
    const struct datapoint_key *left = &(*(struct datapoint_entry *const *)a)->key;
    const struct datapoint_key *right = &(*(struct datapoint_entry *const *)b)->key;
    if (left->filter != right->filter)
        return left->filter < right->filter ? -1 : 1;
    for (size_t i = 0; i < left->value_count && i < right->value_count; i++) {
        size_t shorter =
            left->lengths[i] < right->lengths[i] ? left->lengths[i] : right->lengths[i];
        int order = memcmp(left->values[i], right->values[i], shorter);
        if (order == 0 && left->lengths[i] != right->lengths[i])
            order = left->lengths[i] < right->lengths[i] ? -1 : 1;
        if (order != 0)
            return order;
    }
    if (left->bucket != right->bucket)
        return left->bucket < right->bucket ? -1 : 1;
    return 0;
}

/* The table's entries in spill_order; NULL on out of memory. */
static struct datapoint_entry **spill_sorted(struct datapoint_table *table)
{
    struct datapoint_entry **sorted = malloc((table->count + 1) * sizeof *sorted);
    if (!sorted)
        return NULL;
    size_t count = 0;
    for (size_t i = 0; i < table->capacity; i++)
        if (table->entries[i].used)
            sorted[count++] = &table->entries[i];
    qsort(sorted, count, sizeof *sorted, spill_order);
    return sorted;
}

static bool spill_chunk(struct scan_datapoints *datapoints, struct metric_datapoint *chunk,
                        size_t *count)
{
    struct metrics_error error = {"the data points could not be kept"};
    bool ok = datapoints->spill(datapoints->spill_context, chunk, *count, &error) ||
              spill_fail(datapoints, error.message);
    datapoints->spilled += *count;
    spill_free_chunk(chunk, count);
    return ok;
}

/* Hands every entry to the spill, a chunk at a time, and empties the table. After a failure
 * the points are dropped (the failure is kept for filter_scan_spill_failed). */
static bool spill_table(struct filter_scan *scan)
{
    struct scan_datapoints *datapoints = scan->datapoints;
    struct datapoint_table *table = &datapoints->table;
    struct metric_datapoint *chunk = calloc(SPILL_CHUNK_POINTS, sizeof *chunk);
    struct datapoint_entry **sorted = chunk ? spill_sorted(table) : NULL;
    size_t count = 0;
    bool ok = !datapoints->spill_failed && (sorted || spill_fail(datapoints, "out of memory"));
    for (size_t i = 0; ok && i < table->count; i++) {
        if (!spill_describe(scan, sorted[i], &chunk[count]))
            ok = spill_fail(datapoints, "out of memory");
        else if (++count == SPILL_CHUNK_POINTS)
            ok = spill_chunk(datapoints, chunk, &count);
    }
    if (ok && count > 0)
        ok = spill_chunk(datapoints, chunk, &count);
    spill_free_chunk(chunk, &count);
    free(chunk);
    free(sorted);
    datapoint_table_free(table);
    return ok;
}

static void spill_when_full(struct filter_scan *scan)
{
    struct scan_datapoints *datapoints = scan->datapoints;
    if (datapoints->spill && datapoints->table.bytes > datapoints->spill_limit)
        spill_table(scan);
}

bool filter_scan_spill(struct filter_scan *scan, struct metrics_error *error)
{
    struct scan_datapoints *datapoints = scan->datapoints;
    if (!datapoints || !datapoints->spill)
        return true;
    if (datapoints->table.count > 0)
        spill_table(scan);
    return !filter_scan_spill_failed(scan, error);
}

uint64_t filter_scan_spilled(const struct filter_scan *scan)
{
    return scan->datapoints ? scan->datapoints->spilled : 0;
}

bool filter_scan_spill_failed(const struct filter_scan *scan, struct metrics_error *error)
{
    if (!scan->datapoints || !scan->datapoints->spill_failed)
        return false;
    if (error)
        *error = scan->datapoints->spill_error;
    return true;
}

uint64_t filter_scan_untimed(const struct filter_scan *scan)
{
    return scan->datapoints ? scan->datapoints->untimed : 0;
}

uint64_t filter_scan_undimensioned(const struct filter_scan *scan)
{
    return scan->datapoints ? scan->datapoints->undimensioned : 0;
}
