/* Alarms against the store: definitions with their configuration history, one evaluation
 * written atomically with its history item, and the replay loop of `scan`. */
#include "monitor/monitor.h"
#include "monitor/monitor_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool monitor_fail(struct monitor_error *error, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(error->message, sizeof error->message, format, arguments);
    va_end(arguments);
    return false;
}

bool monitor_history_add(struct store *store, const char *alarm_name, const char *type,
                         int64_t now_ms, const char *summary, const char *data,
                         struct store_error *error)
{
    if (!summary || !data) {
        snprintf(error->message, sizeof error->message, "out of memory");
        return false;
    }
    struct store_history_item item = {.alarm_name = alarm_name,
                                      .timestamp_ms = now_ms,
                                      .type = type,
                                      .summary = summary,
                                      .data = data};
    return store_history_add(store, &item, error);
}

static int64_t evaluation_step_seconds(const struct alarm_definition *alarm)
{
    return alarm->period < 60 ? 10 : 60;
}

static int metric_resolution(const struct alarm_definition *alarm)
{
    return alarm->period < 60 ? METRIC_RESOLUTION_HIGH : METRIC_RESOLUTION_STANDARD;
}

/* ---- slots from the store ------------------------------------------------------------ */

static void fill_slots(const struct metric_statistic *statistic,
                       const struct metric_aggregate *aggregates, int64_t first_start, int period,
                       size_t count, struct alarm_slot *slots)
{
    for (size_t i = 0; i < count; i++) {
        struct alarm_slot *slot = &slots[i];
        *slot = (struct alarm_slot){.start = first_start + (int64_t)i * period};
        slot->sample_count = aggregates[i].sample_count;
        /* a statistic that is unavailable (percentiles over negative values) is no data */
        slot->has_data = aggregates[i].sample_count > 0 &&
                         metric_statistic_compute(statistic, &aggregates[i], &slot->value);
        slot->low_sample = metric_statistic_low_sample(statistic, slot->sample_count);
    }
}

/* A replay's copy of one metric's buckets, sorted by start (units merged), so that each
 * evaluation reads memory instead of querying the store: a replay evaluates tens of
 * thousands of minutes, and only its transitions need to be written. */
struct bucket_cache {
    int64_t *starts;
    struct metric_aggregate *buckets;
    size_t count, capacity;
    /* the buckets keep their statistic set only: the alarm's statistic reads no values, and
     * a merge then allocates nothing */
    bool statistics_only;
};

/* The data points of a scan that a replay reads instead of the store's (scan without
 * --db): those of one alarm's metric, in the order the store reads them (unit, then
 * start), as indices into the scan's list. */
struct point_selection {
    const struct metric_datapoint *points; /* borrowed: the scan's list */
    size_t *indices;                       /* owned */
    size_t count;
    /* owned, one per selected point, NULL until a transition cites it: its evidence as the
     * store would hand it back (successive transitions cite the same buckets) */
    struct metric_evidence **as_stored;
};

/* The slot reader's context: the store (or a replay's cache of it), and the span an
 * evaluation read, whose evidence a transition carries. */
struct store_slot_reader {
    struct store *store;
    const struct bucket_cache *cache;  /* NULL: read the store */
    struct point_selection *selection; /* evidence from here; NULL: the store's */
    /* the alarm's statistic, parsed once for a replay; NULL: parsed at each read */
    const struct metric_statistic *statistic;
    bool read;
    int64_t first_start;
    size_t count;
};

/* The first cached bucket starting at or after `start`. */
static size_t cache_lower_bound(const struct bucket_cache *cache, int64_t start)
{
    size_t low = 0, high = cache->count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (cache->starts[middle] < start)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

/* Merges one bucket into a slot (or a cached bucket of the same start). */
static bool cache_merge(const struct bucket_cache *cache, struct metric_aggregate *into,
                        const struct metric_aggregate *bucket)
{
    if (!cache->statistics_only)
        return metric_aggregate_merge(into, bucket);
    metric_aggregate_merge_statistics(into, bucket);
    return true;
}

/* The slots are contiguous and the cache sorted: one search, then one walk. */
static bool read_slots_from_cache(const struct bucket_cache *cache, int64_t first_start, int period,
                                  size_t count, struct metric_aggregate *slots)
{
    size_t b = cache_lower_bound(cache, first_start);
    for (size_t i = 0; i < count; i++) {
        int64_t end = first_start + (int64_t)(i + 1) * period;
        for (; b < cache->count && cache->starts[b] < end; b++)
            if (!cache_merge(cache, &slots[i], &cache->buckets[b]))
                return false;
    }
    return true;
}

/* The alarm's Statistic or ExtendedStatistic; false with `message` filled. */
static bool alarm_statistic(const struct alarm_definition *alarm,
                            struct metric_statistic *statistic, char *message, size_t size)
{
    struct metrics_error metrics_error;
    bool extended = alarm->statistic == NULL;
    const char *name = extended ? alarm->extended_statistic : alarm->statistic;
    if (name && metric_statistic_parse(name, extended, statistic, &metrics_error))
        return true;
    snprintf(message, size, "statistic: %.400s", name ? metrics_error.message : "missing");
    return false;
}

/* Whether the alarm's statistic set suffices (a cache may leave the values out). */
static bool statistics_suffice(const struct alarm_definition *alarm)
{
    struct metric_statistic statistic;
    char message[512];
    return alarm_statistic(alarm, &statistic, message, sizeof message) &&
           !metric_statistic_needs_values(&statistic);
}

/* Slots a read keeps on the stack (a range is N + max(2, N/3) periods: 3 for N = 1). */
#define SLOTS_ON_STACK 32

/* The alarm_slot_reader over the store's data points (context: a store_slot_reader). */
static bool read_slots_from_store(void *context, const struct alarm_definition *alarm,
                                  int64_t first_start, size_t count, struct alarm_slot *slots,
                                  struct alarm_error *error)
{
    struct store_slot_reader *reader = context;
    reader->read = true;
    reader->first_start = first_start;
    reader->count = count;
    struct store *store = reader->store;
    struct metric_statistic parsed;
    const struct metric_statistic *statistic = reader->statistic;
    if (!statistic) { /* the caller names the alarm */
        if (!alarm_statistic(alarm, &parsed, error->message, sizeof error->message))
            return false;
        statistic = &parsed;
    }
    struct metric_aggregate on_stack[SLOTS_ON_STACK];
    struct metric_aggregate *aggregates =
        count <= SLOTS_ON_STACK ? on_stack : calloc(count, sizeof *aggregates);
    if (!aggregates) {
        snprintf(error->message, sizeof error->message, "out of memory");
        return false;
    }
    for (size_t i = 0; i < count; i++)
        metric_aggregate_init(&aggregates[i]);
    bool ok;
    if (reader->cache) { /* no store_error to fill: a replay's reads are tens of thousands */
        ok = read_slots_from_cache(reader->cache, first_start, alarm->period, count, aggregates);
        if (!ok)
            snprintf(error->message, sizeof error->message, "out of memory");
    } else {
        struct store_error store_error = {.message = "out of memory"};
        ok = store_datapoints_read(store, &alarm->metric, alarm->unit, metric_resolution(alarm),
                                   first_start, alarm->period, count, aggregates, &store_error);
        if (!ok)
            snprintf(error->message, sizeof error->message, "%s", store_error.message);
    }
    if (ok)
        fill_slots(statistic, aggregates, first_start, alarm->period, count, slots);
    for (size_t i = 0; i < count; i++) /* zeroed or filled: both free */
        metric_aggregate_free(&aggregates[i]);
    if (aggregates != on_stack)
        free(aggregates);
    return ok;
}

/* ---- definitions ---------------------------------------------------------------------- */

struct stored_definition {
    const char *name;
    char *json; /* owned copy when found */
    bool found;
};

static bool find_definition(void *context, const char *name, const char *definition_json,
                            const struct store_alarm_state *state)
{
    (void)state;
    struct stored_definition *wanted = context;
    if (strcmp(name, wanted->name) != 0)
        return true;
    wanted->found = true;
    wanted->json = strdup(definition_json);
    return false;
}

/* The definition as JSON without where it came from, so moving an alarm in its file is
 * not a configuration change. */
static char *definition_without_origin(const struct alarm_definition *alarm)
{
    struct alarm_definition shallow = *alarm;
    shallow.origin = NULL;
    return alarm_definition_to_json(&shallow);
}

static bool write_configuration_history(struct store *store, const struct alarm_definition *alarm,
                                        const struct monitor_settings *settings, bool created,
                                        int64_t now_ms, struct store_error *error)
{
    char *arn = alarm_arn(alarm, settings->region, settings->account_id);
    char *data = arn ? alarm_history_configuration_data(alarm, arn, created, now_ms) : NULL;
    size_t summary_size = strlen(alarm->alarm_name) + 32;
    char *summary = malloc(summary_size);
    if (summary)
        snprintf(summary, summary_size, "Alarm \"%s\" %s", alarm->alarm_name,
                 created ? "created" : "updated");
    bool ok = monitor_history_add(store, alarm->alarm_name, "ConfigurationUpdate", now_ms, summary,
                                  data, error);
    free(summary);
    free(data);
    free(arn);
    return ok;
}

static bool compare_with_stored(struct store *store, const struct alarm_definition *alarm,
                                bool *changed, struct monitor_error *error)
{
    struct stored_definition stored = {.name = alarm->alarm_name};
    struct store_error store_error;
    if (!store_alarm_list(store, find_definition, &stored, &store_error))
        return monitor_fail(error, "%s", store_error.message);
    *changed = true;
    if (stored.found) {
        struct alarm_definition previous;
        struct alarm_error alarm_error;
        alarm_definition_init(&previous);
        if (stored.json && alarm_definition_from_json(stored.json, &previous, &alarm_error)) {
            char *before = definition_without_origin(&previous);
            char *after = definition_without_origin(alarm);
            *changed = !before || !after || strcmp(before, after) != 0;
            free(before);
            free(after);
        }
        alarm_definition_free(&previous);
    }
    free(stored.json);
    return true;
}

bool monitor_put_alarm(struct store *store, const struct alarm_definition *alarm,
                       const struct monitor_settings *settings, int64_t now_ms,
                       struct monitor_error *error)
{
    bool changed = true;
    if (!compare_with_stored(store, alarm, &changed, error))
        return false;
    if (!changed)
        return true;
    char *json = alarm_definition_to_json(alarm);
    if (!json)
        return monitor_fail(error, "out of memory");
    struct store_error store_error;
    bool created = false;
    bool ok = store_begin(store, &store_error) &&
              store_alarm_put(store, alarm->alarm_name, json, now_ms, &created, &store_error) &&
              write_configuration_history(store, alarm, settings, created, now_ms, &store_error) &&
              store_commit(store, &store_error);
    free(json);
    if (!ok) {
        store_rollback(store);
        return monitor_fail(error, "alarm %s: %s", alarm->alarm_name, store_error.message);
    }
    return true;
}

/* ---- evaluation ----------------------------------------------------------------------- */

static bool status_from_store(const struct store_alarm_state *stored, struct alarm_status *status)
{
    if (!alarm_state_parse(stored->state, &status->state))
        return false;
    status->reason = stored->reason;
    status->reason_data = stored->reason_data;
    status->updated_ms = stored->updated_ms;
    status->transitioned_ms = stored->transitioned_ms;
    return true;
}

static bool write_transition(struct store *store, const struct alarm_definition *alarm,
                             const struct alarm_status *current,
                             const struct alarm_evaluation *result, int64_t now_ms,
                             struct store_error *error)
{
    char summary[96];
    snprintf(summary, sizeof summary, "Alarm updated from %s to %s",
             alarm_state_name(current->state), alarm_state_name(result->state));
    char *data =
        alarm_history_state_data(current, result->state, result->reason, result->reason_data);
    if (!data) {
        snprintf(error->message, sizeof error->message, "out of memory");
        return false;
    }
    struct store_history_item item = {.alarm_name = alarm->alarm_name,
                                      .timestamp_ms = now_ms,
                                      .type = "StateUpdate",
                                      .summary = summary,
                                      .data = data};
    bool ok = store_alarm_set_state(store, alarm->alarm_name, alarm_state_name(result->state),
                                    result->reason, result->reason_data, now_ms, true, error) &&
              store_history_add(store, &item, error);
    free(data);
    return ok;
}

/* A bucket's evidence as the store would hand it back: through its JSON, so that a window
 * holds the same values and samples with or without the store (metric_evidence_round_trip
 * skips the parse where the text is sure to read back as written). Only the buckets a
 * transition cites pay for it, once. NULL on failure. */
static struct metric_evidence *as_stored(const struct metric_datapoint *point)
{
    struct metric_evidence *stored = malloc(sizeof *stored);
    struct metrics_error metrics_error;
    if (!stored)
        return NULL;
    metric_evidence_init(stored);
    bool ok;
    if (point->evidence) { /* exported already (points for the store): its text read back */
        char *json = metric_evidence_to_json(point->evidence);
        ok = json && metric_evidence_from_json(json, stored, &metrics_error);
        free(json);
    } else { /* still tallied: exported for this once */
        ok = metric_datapoint_evidence(point, stored) &&
             metric_evidence_round_trip(stored, &metrics_error);
    }
    if (!ok) {
        metric_evidence_free(stored);
        free(stored);
        return NULL;
    }
    return stored;
}

static void selection_free(struct point_selection *selection)
{
    for (size_t i = 0; selection->as_stored && i < selection->count; i++) {
        metric_evidence_free(selection->as_stored[i]);
        free(selection->as_stored[i]);
    }
    free(selection->as_stored);
    free(selection->indices);
    *selection = (struct point_selection){0};
}

static const char *point_unit(const struct metric_datapoint *point)
{
    return point->unit ? point->unit : "None"; /* as the store keeps it */
}

static const struct metric_datapoint *selected_point(const struct point_selection *selection,
                                                     size_t i)
{
    return &selection->points[selection->indices[i]];
}

/* The end of the run of selected points of the unit of point `first` (the selection is in
 * the store's order: unit, then start). */
static size_t unit_run_end(const struct point_selection *selection, size_t first)
{
    const char *unit = point_unit(selected_point(selection, first));
    size_t low = first + 1, high = selection->count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (strcmp(point_unit(selected_point(selection, middle)), unit) <= 0)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

/* The first selected point in [first, end) (one unit's run) starting at or after `from`. */
static size_t run_lower_bound(const struct point_selection *selection, size_t first, size_t end,
                              int64_t from)
{
    while (first < end) {
        size_t middle = first + (end - first) / 2;
        if (selected_point(selection, middle)->timestamp < from)
            first = middle + 1;
        else
            end = middle;
    }
    return first;
}

/* store_evidence_read over a replay's selection of the scan's points: the buckets in
 * [from, to) in the store's order, found by a search per unit. False (`evidence`
 * initialised again) when one cannot be read, as for a damaged stored record. */
static bool selection_evidence_read(struct point_selection *selection, int64_t from, int64_t to,
                                    struct metric_evidence *evidence)
{
    metric_evidence_init(evidence);
    for (size_t run = 0, end; run < selection->count; run = end) {
        end = unit_run_end(selection, run);
        for (size_t i = run_lower_bound(selection, run, end, from);
             i < end && selected_point(selection, i)->timestamp < to; i++) {
            const struct metric_datapoint *point = selected_point(selection, i);
            if (metric_datapoint_evidence_events(point) == 0)
                continue;
            if (!selection->as_stored[i])
                selection->as_stored[i] = as_stored(point);
            if (!selection->as_stored[i] ||
                !metric_evidence_merge(evidence, selection->as_stored[i])) {
                metric_evidence_free(evidence); /* initialised again */
                return false;
            }
        }
    }
    return true;
}

/* The evidence of the buckets the evaluation read: from its first slot's start to its last
 * slot's end. False when there is none — or when it cannot be read: evidence explains a
 * transition, and a damaged or missing record must not stop the alarm from changing state. */
static bool read_range_evidence(struct store *store, const struct alarm_definition *alarm,
                                const struct store_slot_reader *reader,
                                struct metric_evidence *evidence)
{
    metric_evidence_init(evidence);
    int64_t length, end;
    if (!reader->read || reader->count > INT64_MAX ||
        __builtin_mul_overflow((int64_t)reader->count, (int64_t)alarm->period, &length) ||
        __builtin_add_overflow(reader->first_start, length, &end))
        return false;
    struct store_error store_error;
    bool ok =
        reader->selection
            ? selection_evidence_read(reader->selection, reader->first_start, end, evidence)
            : store_evidence_read(store, &alarm->metric, alarm->unit, metric_resolution(alarm),
                                  reader->first_start, end, evidence, &store_error);
    return ok && evidence->events > 0;
}

static bool commit_transition(struct store *store, const struct alarm_definition *alarm,
                              const struct alarm_status *current,
                              const struct alarm_evaluation *result, int64_t now_ms,
                              const struct store_slot_reader *reader,
                              bool (*on_transition)(void *, const struct monitor_transition *),
                              void *context, struct monitor_error *error)
{
    /* in memory (scan's report) only a transition into ALARM shows its evidence */
    struct metric_evidence evidence;
    metric_evidence_init(&evidence);
    bool has_evidence = (store || result->state == ALARM_STATE_ALARM) &&
                        read_range_evidence(store, alarm, reader, &evidence);
    struct monitor_transition transition = {.alarm_name = alarm->alarm_name,
                                            .time_ms = now_ms,
                                            .from = current->state,
                                            .to = result->state,
                                            .reason = result->reason,
                                            .reason_data = result->reason_data,
                                            .evidence = has_evidence ? &evidence : NULL};
    struct store_error store_error = {.message = "the transition's consumer failed"};
    if (!store) { /* a replay in memory: the consumer is all there is */
        bool consumed = !on_transition || on_transition(context, &transition);
        metric_evidence_free(&evidence);
        return consumed ||
               monitor_fail(error, "alarm %s: %s", alarm->alarm_name, store_error.message);
    }
    bool ok = store_begin(store, &store_error) &&
              write_transition(store, alarm, current, result, now_ms, &store_error) &&
              (!on_transition || on_transition(context, &transition)) &&
              store_commit(store, &store_error);
    metric_evidence_free(&evidence);
    if (!ok) {
        store_rollback(store);
        return monitor_fail(error, "alarm %s: %s", alarm->alarm_name, store_error.message);
    }
    return true;
}

/* One evaluation with `reader` (the store, or a replay's cache) from `current`; on a change,
 * the transition is committed and *changed set. */
static bool evaluate_with(struct store *store, const struct alarm_definition *alarm,
                          const struct monitor_settings *settings, int64_t now_ms,
                          const struct alarm_status *current, struct store_slot_reader *reader,
                          bool (*on_transition)(void *, const struct monitor_transition *),
                          void *context, struct alarm_evaluation *result,
                          struct monitor_error *error)
{
    struct alarm_error alarm_error;
    *result = (struct alarm_evaluation){0};
    if (!alarm_evaluate_transition(alarm, current, now_ms, settings->evaluation_range,
                                   read_slots_from_store, reader, result, &alarm_error))
        return monitor_fail(error, "alarm %s: %s", alarm->alarm_name, alarm_error.message);
    return !result->changed || commit_transition(store, alarm, current, result, now_ms, reader,
                                                 on_transition, context, error);
}

bool monitor_evaluate_alarm(struct store *store, const struct alarm_definition *alarm,
                            const struct monitor_settings *settings, int64_t now_ms,
                            bool (*on_transition)(void *, const struct monitor_transition *),
                            void *context, struct monitor_error *error)
{
    struct store_alarm_state stored = {0};
    struct store_error store_error;
    bool found = false;
    if (!store_alarm_get_state(store, alarm->alarm_name, &found, &stored, &store_error))
        return monitor_fail(error, "alarm %s: %s", alarm->alarm_name, store_error.message);
    struct alarm_status current;
    bool ok = found && status_from_store(&stored, &current);
    if (!ok) {
        store_alarm_state_free(&stored);
        return monitor_fail(error, "alarm %s: %s", alarm->alarm_name,
                            found ? "unreadable stored state" : "not defined in the store");
    }
    struct alarm_evaluation result;
    struct store_slot_reader reader = {.store = store};
    ok = evaluate_with(store, alarm, settings, now_ms, &current, &reader, on_transition, context,
                       &result, error);
    alarm_evaluation_free(&result);
    store_alarm_state_free(&stored);
    return ok;
}

bool monitor_fires_early(const struct alarm_definition *alarm)
{
    return alarm->statistic &&
           (strcmp(alarm->statistic, "Sum") == 0 || strcmp(alarm->statistic, "SampleCount") == 0) &&
           (alarm->comparison == ALARM_GREATER_THAN_OR_EQUAL_TO_THRESHOLD ||
            alarm->comparison == ALARM_GREATER_THAN_THRESHOLD);
}

/* ---- replay --------------------------------------------------------------------------- */

int64_t monitor_next_evaluation(const struct alarm_definition *alarm, int64_t time_ms)
{
    int64_t step_ms = evaluation_step_seconds(alarm) * 1000;
    int64_t floor_ms = time_ms / step_ms * step_ms;
    if (floor_ms > time_ms)
        floor_ms -= step_ms; /* negative times round down too */
    return floor_ms == time_ms ? time_ms : floor_ms + step_ms;
}

static int64_t range_seconds(const struct alarm_definition *alarm,
                             const struct monitor_settings *settings)
{
    return (int64_t)alarm_range_slots(alarm->evaluation_periods, settings->evaluation_range) *
           alarm->period;
}

int64_t monitor_drain_ms(const struct alarm_definition *alarm,
                         const struct monitor_settings *settings)
{
    return (range_seconds(alarm, settings) + evaluation_step_seconds(alarm)) * 1000;
}

/* ---- the replay's bucket cache ---- */

static bool cache_add(void *context, int64_t start, const struct metric_aggregate *bucket)
{
    struct bucket_cache *cache = context;
    if (cache->count == cache->capacity) {
        size_t capacity = cache->capacity ? cache->capacity * 2 : 64;
        int64_t *starts = realloc(cache->starts, capacity * sizeof *starts);
        if (starts)
            cache->starts = starts;
        struct metric_aggregate *buckets =
            starts ? realloc(cache->buckets, capacity * sizeof *buckets) : NULL;
        if (!buckets)
            return false;
        cache->buckets = buckets;
        cache->capacity = capacity;
    }
    metric_aggregate_init(&cache->buckets[cache->count]);
    if (!cache_merge(cache, &cache->buckets[cache->count], bucket))
        return false;
    cache->starts[cache->count++] = start;
    return true;
}

static void cache_free(struct bucket_cache *cache)
{
    for (size_t i = 0; i < cache->count; i++)
        metric_aggregate_free(&cache->buckets[i]);
    free(cache->buckets);
    free(cache->starts);
    *cache = (struct bucket_cache){.statistics_only = cache->statistics_only};
}

/* Sorts by start (insertion sort: the store hands them sorted per unit, so runs are
 * already ordered) and merges the buckets of several units that share a start. */
static bool cache_settle(struct bucket_cache *cache)
{
    for (size_t i = 1; i < cache->count; i++)
        for (size_t j = i; j > 0 && cache->starts[j - 1] > cache->starts[j]; j--) {
            int64_t start = cache->starts[j];
            struct metric_aggregate bucket = cache->buckets[j];
            cache->starts[j] = cache->starts[j - 1];
            cache->buckets[j] = cache->buckets[j - 1];
            cache->starts[j - 1] = start;
            cache->buckets[j - 1] = bucket;
        }
    size_t kept = 0;
    for (size_t i = 0; i < cache->count; i++) {
        if (kept > 0 && cache->starts[kept - 1] == cache->starts[i]) {
            bool merged = cache_merge(cache, &cache->buckets[kept - 1], &cache->buckets[i]);
            metric_aggregate_free(&cache->buckets[i]);
            if (!merged)
                return false;
            continue;
        }
        cache->starts[kept] = cache->starts[i];
        cache->buckets[kept++] = cache->buckets[i];
    }
    cache->count = kept;
    return true;
}

static bool cache_load(struct store *store, const struct alarm_definition *alarm, int64_t from,
                       int64_t to, struct bucket_cache *cache, struct monitor_error *error)
{
    struct store_error store_error;
    *cache = (struct bucket_cache){.statistics_only = statistics_suffice(alarm)};
    if (!store_datapoints_each(store, &alarm->metric, alarm->unit, metric_resolution(alarm), from,
                               to, cache_add, cache, &store_error) ||
        !cache_settle(cache)) {
        cache_free(cache);
        return monitor_fail(error, "alarm %s: %s", alarm->alarm_name,
                            store_error.message[0] ? store_error.message : "out of memory");
    }
    return true;
}

/* ---- the replay's selection of a scan's points ---- */

/* What store_datapoints_each finds of the metric's points: the unit when the alarm names
 * one, the resolution, and a bucket that holds samples (the store keeps no other). */
static bool point_selected(const struct metric_datapoint *point,
                           const struct alarm_definition *alarm)
{
    return point->resolution == metric_resolution(alarm) && point->aggregate.sample_count > 0 &&
           (!alarm->unit || strcmp(point_unit(point), alarm->unit) == 0);
}

/* The first point whose identity is not before `metric` (`after_equal`: after it): the
 * list is sorted by identity first (filter_scan_take_datapoints), so a metric's points are
 * one run, found in log n comparisons instead of one per point for each alarm. */
static size_t identity_bound(const struct metric_datapoint_list *points,
                             const struct metric_identity *metric, bool after_equal)
{
    size_t low = 0, high = points->count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int order = metric_identity_compare(&points->items[middle].identity, metric);
        if (order < 0 || (after_equal && order == 0))
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

/* The store's order: unit, then start; the scan's order among equals. */
static bool selected_before(const struct metric_datapoint *points, size_t a, size_t b)
{
    int order = strcmp(point_unit(&points[a]), point_unit(&points[b]));
    if (order == 0)
        order = (points[a].timestamp > points[b].timestamp) -
                (points[a].timestamp < points[b].timestamp);
    return order != 0 ? order < 0 : a < b;
}

/* Insertion sort: the scan's list is sorted by unit and start already (only a missing unit,
 * "None" to the store, can be out of place), so this is one pass. */
static void selection_sort(struct point_selection *selection)
{
    for (size_t i = 1; i < selection->count; i++)
        for (size_t j = i; j > 0 && selected_before(selection->points, selection->indices[j],
                                                    selection->indices[j - 1]);
             j--) {
            size_t index = selection->indices[j];
            selection->indices[j] = selection->indices[j - 1];
            selection->indices[j - 1] = index;
        }
}

static bool selection_make(const struct metric_datapoint_list *points,
                           const struct alarm_definition *alarm, struct point_selection *selection,
                           struct monitor_error *error)
{
    *selection = (struct point_selection){.points = points->items};
    struct metric_identity metric = {0};
    if (!metric_identity_copy(&metric, &alarm->metric)) {
        metric_identity_free(&metric);
        return monitor_fail(error, "alarm %s: out of memory", alarm->alarm_name);
    }
    metric_identity_sort(&metric);
    size_t first = identity_bound(points, &metric, false);
    size_t end = identity_bound(points, &metric, true);
    metric_identity_free(&metric);
    selection->indices = malloc((end - first + 1) * sizeof *selection->indices);
    if (!selection->indices) {
        *selection = (struct point_selection){0};
        return monitor_fail(error, "alarm %s: out of memory", alarm->alarm_name);
    }
    for (size_t i = first; i < end; i++)
        if (point_selected(&points->items[i], alarm))
            selection->indices[selection->count++] = i;
    selection_sort(selection);
    selection->as_stored = calloc(selection->count + 1, sizeof *selection->as_stored);
    if (!selection->as_stored) {
        selection_free(selection);
        return monitor_fail(error, "alarm %s: out of memory", alarm->alarm_name);
    }
    return true;
}

/* cache_load over the selection: its buckets in [from, to). */
static bool cache_load_selection(const struct point_selection *selection,
                                 const struct alarm_definition *alarm, int64_t from, int64_t to,
                                 struct bucket_cache *cache, struct monitor_error *error)
{
    *cache = (struct bucket_cache){.statistics_only = statistics_suffice(alarm)};
    bool ok = true;
    for (size_t i = 0; ok && i < selection->count; i++) {
        const struct metric_datapoint *point = &selection->points[selection->indices[i]];
        if (point->timestamp >= from && point->timestamp < to)
            ok = cache_add(cache, point->timestamp, &point->aggregate);
    }
    if (!ok || !cache_settle(cache)) {
        cache_free(cache);
        return monitor_fail(error, "alarm %s: out of memory", alarm->alarm_name);
    }
    return true;
}

/* ---- the replay ---- */

/* Where the slots the evaluation at `now_ms` reads end, in seconds. */
static int64_t evaluation_range_end(const struct alarm_definition *alarm, int64_t now_ms)
{
    int64_t end = monitor_next_evaluation(alarm, now_ms) / 1000;
    if (end * 1000 > now_ms)
        end -= evaluation_step_seconds(alarm); /* slots end at floor(now) */
    return end;
}

/* The first evaluation instant that reads a bucket starting at `bucket` (seconds): the one
 * whose slots end after it. */
static int64_t first_instant_reading(const struct alarm_definition *alarm, int64_t bucket)
{
    int64_t step = evaluation_step_seconds(alarm);
    return (bucket / step * step + step) * 1000;
}

/* The next evaluation instant after `now_ms` at which a data point may be in range, or
 * INT64_MAX when no later point exists. */
static void next_instant_with_data(const struct bucket_cache *cache,
                                   const struct alarm_definition *alarm,
                                   const struct monitor_settings *settings, int64_t now_ms,
                                   int64_t *next_ms, bool *in_range)
{
    int64_t end = evaluation_range_end(alarm, now_ms);
    size_t next = cache_lower_bound(cache, end - range_seconds(alarm, settings));
    bool found = next < cache->count;
    *in_range = found && cache->starts[next] < end;
    *next_ms = found ? first_instant_reading(alarm, cache->starts[next]) : INT64_MAX;
}

/* The alarm's state as the replay keeps it between evaluations (strings owned). */
static bool status_load(struct store *store, const struct alarm_definition *alarm,
                        struct alarm_status *status, struct monitor_error *error)
{
    struct store_alarm_state stored = {0};
    struct store_error store_error;
    bool found = false;
    *status = (struct alarm_status){0};
    if (!store_alarm_get_state(store, alarm->alarm_name, &found, &stored, &store_error))
        return monitor_fail(error, "alarm %s: %s", alarm->alarm_name, store_error.message);
    bool ok = found && alarm_state_parse(stored.state, &status->state);
    status->reason = stored.reason;
    status->reason_data = stored.reason_data;
    status->updated_ms = stored.updated_ms;
    status->transitioned_ms = stored.transitioned_ms;
    stored.reason = stored.reason_data = NULL; /* now the status's */
    store_alarm_state_free(&stored);
    if (!ok) {
        alarm_status_free(status);
        return monitor_fail(error, "alarm %s: %s", alarm->alarm_name,
                            found ? "unreadable stored state" : "not defined in the store");
    }
    return true;
}

/* After a transition: the status becomes the new state and texts. */
static void status_take(struct alarm_status *status, struct alarm_evaluation *result,
                        int64_t now_ms)
{
    free(status->reason);
    free(status->reason_data);
    status->state = result->state;
    status->reason = result->reason;
    status->reason_data = result->reason_data;
    status->updated_ms = status->transitioned_ms = now_ms;
    result->reason = result->reason_data = NULL;
}

/* Where a replay is between calls of replay_cached: the next evaluation instant, and
 * whether the last one was judged without data (then instants without data are skipped). */
struct replay_cursor {
    int64_t now;
    bool judged_without_data;
};

/* Evaluates from the cursor up to `until_ms` (inclusive) over `cache`, which must hold every
 * bucket those evaluations read. */
static bool replay_cached(struct store *store, const struct alarm_definition *alarm,
                          const struct monitor_settings *settings, int64_t until_ms,
                          const struct bucket_cache *cache, struct point_selection *selection,
                          struct alarm_status *status, struct replay_cursor *cursor,
                          bool (*on_transition)(void *, const struct monitor_transition *),
                          void *context, struct monitor_error *error)
{
    int64_t step_ms = evaluation_step_seconds(alarm) * 1000;
    struct metric_statistic statistic;
    char message[512];
    /* unparsable: each read parses it again and fails, naming the alarm */
    bool parsed = alarm_statistic(alarm, &statistic, message, sizeof message);
    while (cursor->now <= until_ms) {
        int64_t now = cursor->now, next_with_data;
        bool in_range;
        next_instant_with_data(cache, alarm, settings, now, &next_with_data, &in_range);
        if (in_range || !cursor->judged_without_data) {
            struct store_slot_reader reader = {.store = store,
                                               .cache = cache,
                                               .selection = selection,
                                               .statistic = parsed ? &statistic : NULL};
            struct alarm_evaluation result;
            bool ok = evaluate_with(store, alarm, settings, now, status, &reader, on_transition,
                                    context, &result, error);
            if (ok && result.changed)
                status_take(status, &result, now);
            alarm_evaluation_free(&result);
            if (!ok)
                return false;
        }
        cursor->judged_without_data = !in_range;
        if (in_range || next_with_data <= now + step_ms)
            cursor->now = now + step_ms;
        else
            cursor->now = next_with_data;
    }
    return true;
}

/* The store's buckets for evaluations in [first_ms, last_ms]: from one range before. */
static bool cache_load_span(struct store *store, const struct alarm_definition *alarm,
                            const struct monitor_settings *settings, int64_t first_ms,
                            int64_t last_ms, struct bucket_cache *cache,
                            struct monitor_error *error)
{
    int64_t from =
        first_ms / 1000 - range_seconds(alarm, settings) - evaluation_step_seconds(alarm);
    int64_t to = last_ms / 1000 + evaluation_step_seconds(alarm);
    return cache_load(store, alarm, from, to, cache, error);
}

/* After an instant judged without data, the next instant whose range can hold a bucket:
 * found in the store, as next_instant_with_data finds it in a cache (INT64_MAX: none). */
static bool next_instant_in_store(struct store *store, const struct alarm_definition *alarm,
                                  const struct monitor_settings *settings, int64_t now_ms,
                                  int64_t *next_ms, struct monitor_error *error)
{
    int64_t end = evaluation_range_end(alarm, now_ms);
    bool found = false;
    int64_t bucket = 0;
    struct store_error store_error;
    if (!store_datapoints_next(store, &alarm->metric, alarm->unit, metric_resolution(alarm),
                               end - range_seconds(alarm, settings), &found, &bucket, &store_error))
        return monitor_fail(error, "alarm %s: %s", alarm->alarm_name, store_error.message);
    *next_ms = found ? first_instant_reading(alarm, bucket) : INT64_MAX;
    return true;
}

/* Evaluation steps per chunk of a replay from the store: a day of 1-minute evaluations. */
#define REPLAY_CHUNK_STEPS 1440

/* The replay from the store, a chunk of the span at a time, so memory holds a chunk's
 * buckets rather than the whole span's (a scan of a year's archive replays a year). Same
 * evaluations as in one go: the cursor carries over, and a skip past the chunk's end (no
 * data known beyond it) resumes at the next chunk, where the skip is decided again. */
static bool replay_store_chunks(struct store *store, const struct alarm_definition *alarm,
                                const struct monitor_settings *settings, int64_t from_ms,
                                int64_t until_ms, struct alarm_status *status,
                                bool (*on_transition)(void *, const struct monitor_transition *),
                                void *context, struct monitor_error *error)
{
    int64_t chunk_ms = evaluation_step_seconds(alarm) * 1000 * REPLAY_CHUNK_STEPS;
    struct replay_cursor cursor = {.now = monitor_next_evaluation(alarm, from_ms)};
    while (cursor.now <= until_ms) {
        /* past a span without data, go straight to the next instant with some, as the
         * replay in one go does: one query instead of a chunk a day of empty time */
        int64_t next_ms = INT64_MAX;
        if (cursor.judged_without_data) {
            if (!next_instant_in_store(store, alarm, settings, cursor.now, &next_ms, error))
                return false;
            if (next_ms > cursor.now)
                cursor.now = next_ms;
            if (cursor.now > until_ms)
                break;
        }
        int64_t start = cursor.now;
        int64_t end = until_ms - start < chunk_ms ? until_ms : start + chunk_ms - 1;
        struct bucket_cache cache;
        if (!cache_load_span(store, alarm, settings, start, end, &cache, error))
            return false;
        bool ok = replay_cached(store, alarm, settings, end, &cache, NULL, status, &cursor,
                                on_transition, context, error);
        cache_free(&cache);
        if (!ok)
            return false;
        if (cursor.now > end + 1)
            cursor.now = monitor_next_evaluation(alarm, end + 1);
    }
    return true;
}

/* The replay over the store's data points, or over a scan's (`points` not NULL); with a
 * store the alarm's state is read from and written to it, else `memory` is the state. */
static bool replay_from(struct store *store, const struct alarm_definition *alarm,
                        const struct monitor_settings *settings,
                        const struct metric_datapoint_list *points, int64_t from_ms,
                        int64_t until_ms, struct alarm_status *memory,
                        bool (*on_transition)(void *, const struct monitor_transition *),
                        void *context, struct monitor_error *error)
{
    struct alarm_status status;
    if (!points) {
        bool ok = status_load(store, alarm, &status, error) &&
                  replay_store_chunks(store, alarm, settings, from_ms, until_ms, &status,
                                      on_transition, context, error);
        alarm_status_free(&status); /* zeroed when status_load failed */
        return ok;
    }
    /* every bucket an evaluation of the span can read: from one range before its start */
    int64_t from = from_ms / 1000 - range_seconds(alarm, settings) - evaluation_step_seconds(alarm);
    int64_t to = until_ms / 1000 + evaluation_step_seconds(alarm);
    struct point_selection selection = {0};
    struct bucket_cache cache;
    if (!selection_make(points, alarm, &selection, error) ||
        !cache_load_selection(&selection, alarm, from, to, &cache, error)) {
        selection_free(&selection);
        return false;
    }
    bool ok = memory ? (status = *memory, true) : status_load(store, alarm, &status, error);
    struct replay_cursor cursor = {.now = monitor_next_evaluation(alarm, from_ms)};
    ok = ok && replay_cached(store, alarm, settings, until_ms, &cache, &selection, &status, &cursor,
                             on_transition, context, error);
    if (memory)
        *memory = status; /* as far as it went */
    else
        alarm_status_free(&status); /* zeroed when status_load failed */
    cache_free(&cache);
    selection_free(&selection);
    return ok;
}

bool monitor_replay(struct store *store, const struct alarm_definition *alarm,
                    const struct monitor_settings *settings, int64_t from_ms, int64_t until_ms,
                    bool (*on_transition)(void *, const struct monitor_transition *), void *context,
                    struct monitor_error *error)
{
    return replay_from(store, alarm, settings, NULL, from_ms, until_ms, NULL, on_transition,
                       context, error);
}

bool monitor_replay_points(struct store *store, const struct alarm_definition *alarm,
                           const struct monitor_settings *settings,
                           const struct metric_datapoint_list *points, int64_t from_ms,
                           int64_t until_ms,
                           bool (*on_transition)(void *, const struct monitor_transition *),
                           void *context, struct monitor_error *error)
{
    return replay_from(store, alarm, settings, points, from_ms, until_ms, NULL, on_transition,
                       context, error);
}

bool monitor_initial_status(int64_t now_ms, struct alarm_status *status)
{
    *status = (struct alarm_status){.state = ALARM_STATE_INSUFFICIENT_DATA,
                                    .reason = strdup(STORE_INITIAL_STATE_REASON),
                                    .updated_ms = now_ms,
                                    .transitioned_ms = now_ms};
    return status->reason != NULL;
}

bool monitor_replay_in_memory(const struct alarm_definition *alarm,
                              const struct monitor_settings *settings,
                              const struct metric_datapoint_list *points, int64_t from_ms,
                              int64_t until_ms, struct alarm_status *status,
                              bool (*on_transition)(void *, const struct monitor_transition *),
                              void *context, struct monitor_error *error)
{
    if (!points)
        return monitor_fail(error, "alarm %s: no data points to replay", alarm->alarm_name);
    return replay_from(NULL, alarm, settings, points, from_ms, until_ms, status, on_transition,
                       context, error);
}
