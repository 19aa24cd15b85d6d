/* Scanning events with a set of metric filters: each event is read once for the union of
 * the selectors every filter, metric value and evidence field needs; each filter then sees
 * its own selectors through an index map (events/event.h contract). */
#include "metrics/metrics.h"
#include "metrics/prefilter.h"
#include "metrics/top_values.h"
#include "patterns/pattern.h"

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
    uint64_t matches;
    double value_sum;
    struct top_values *top[EVIDENCE_FIELD_COUNT];
};

struct filter_scan {
    struct compiled_filter *filters;
    size_t filter_count;
    struct selector *selectors; /* the union; steps belong to the patterns below */
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
    }
    ready = ready && (!pre_test || build_prefilter(scan, error));
    if (!ready) {
        filter_scan_free(scan);
        return NULL;
    }
    return scan;
}

void filter_scan_free(struct filter_scan *scan)
{
    if (!scan)
        return;
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
    struct evidence evidence;
    bool have_evidence = false;
    for (size_t i = 0; i < scan->filter_count; i++) {
        struct compiled_filter *filter = &scan->filters[i];
        for (size_t s = 0; s < filter->selector_count; s++)
            filter->view[s] = event.selections[filter->selector_map[s]];
        struct event view = event;
        view.selections = filter->view;
        view.selection_count = filter->selector_count;
        if (pattern_evaluate(filter->pattern, &view, scan->match))
            record_match(scan, filter, &event, &evidence, &have_evidence);
    }
    return true;
}

bool filter_scan_merge(struct filter_scan *into, const struct filter_scan *from)
{
    into->unvalidated += from->unvalidated;
    for (size_t i = 0; i < into->filter_count && i < from->filter_count; i++) {
        into->filters[i].matches += from->filters[i].matches;
        into->filters[i].value_sum += from->filters[i].value_sum;
        for (size_t field = 0; field < EVIDENCE_FIELD_COUNT; field++)
            if (!top_values_merge(into->filters[i].top[field], from->filters[i].top[field]))
                return false;
    }
    return true;
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

double filter_scan_value_sum(const struct filter_scan *scan, size_t filter)
{
    return scan->filters[filter].value_sum;
}

size_t filter_scan_top(const struct filter_scan *scan, size_t filter, enum evidence_field field,
                       struct top_value *out, size_t max)
{
    return top_values_list(scan->filters[filter].top[field], out, max);
}
