/* Replaying alarms after a scan: data points and definitions into the store, then each
 * alarm evaluated minute by minute on event time (monitor_replay). */
#include "cli/scan_alarms.h"

#include "monitor/monitor.h"
#include "store/store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

__attribute__((format(printf, 3, 4))) static bool fail(char *error, size_t size, const char *format,
                                                       ...)
{
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(error, size, format, arguments);
    va_end(arguments);
    return false;
}

/* ---- times ---------------------------------------------------------------------------- */

static bool parse_digits(const char **text, int count, int *value)
{
    *value = 0;
    for (int i = 0; i < count; i++, (*text)++) {
        if (**text < '0' || **text > '9')
            return false;
        *value = *value * 10 + (**text - '0');
    }
    return true;
}

static bool parse_clock(const char **p, struct tm *fields, int *milliseconds)
{
    if (!parse_digits(p, 2, &fields->tm_hour) || *(*p)++ != ':' ||
        !parse_digits(p, 2, &fields->tm_min) || *(*p)++ != ':' ||
        !parse_digits(p, 2, &fields->tm_sec))
        return false;
    if (**p == '.') {
        (*p)++;
        int digits = 0;
        for (; **p >= '0' && **p <= '9'; (*p)++, digits++)
            if (digits < 3)
                *milliseconds = *milliseconds * 10 + (**p - '0');
        if (digits == 0)
            return false;
        for (; digits < 3; digits++)
            *milliseconds *= 10;
    }
    return strcmp(*p, "Z") == 0 || strcmp(*p, "+00:00") == 0 || strcmp(*p, "+0000") == 0;
}

bool scan_parse_time(const char *text, int64_t *milliseconds)
{
    struct tm fields = {0};
    int year, month, day, fraction = 0;
    const char *p = text;
    if (!parse_digits(&p, 4, &year) || *p++ != '-' || !parse_digits(&p, 2, &month) || *p++ != '-' ||
        !parse_digits(&p, 2, &day))
        return false;
    if (*p != '\0' && (*p++ != 'T' || !parse_clock(&p, &fields, &fraction)))
        return false;
    if (month < 1 || month > 12 || day < 1 || day > 31 || fields.tm_hour > 23 ||
        fields.tm_min > 59 || fields.tm_sec > 60)
        return false;
    fields.tm_year = year - 1900;
    fields.tm_mon = month - 1;
    fields.tm_mday = day;
    *milliseconds = (int64_t)timegm(&fields) * 1000 + fraction;
    return true;
}

/* ---- into the store --------------------------------------------------------------------- */

/* Buckets and the evidence behind them, in the caller's transaction. */
static bool store_buckets(struct store *store, const struct metric_datapoint *points, size_t count,
                          struct store_error *error)
{
    return store_datapoints_add(store, points, count, error) &&
           store_evidence_add(store, points, count, error);
}

/* High-resolution buckets are stored as they are and rolled up into 1-minute buckets, which
 * alarms with periods of a minute or more read. */
static bool store_points(struct store *store, const struct metric_datapoint_list *points,
                         char *error, size_t error_size)
{
    struct store_error store_error;
    if (!store_buckets(store, points->items, points->count, &store_error))
        return fail(error, error_size, "storing data points: %s", store_error.message);
    struct metric_datapoint *minutes = calloc(points->count + 1, sizeof *minutes);
    if (!minutes)
        return fail(error, error_size, "out of memory");
    size_t count = 0;
    for (size_t i = 0; i < points->count; i++) {
        if (points->items[i].resolution != METRIC_RESOLUTION_HIGH)
            continue;
        minutes[count] = points->items[i]; /* shallow: the store only reads it */
        minutes[count].resolution = METRIC_RESOLUTION_STANDARD;
        minutes[count].timestamp -= ((minutes[count].timestamp % 60) + 60) % 60;
        count++;
    }
    bool ok = count == 0 || store_buckets(store, minutes, count, &store_error);
    free(minutes);
    return ok || fail(error, error_size, "storing data points: %s", store_error.message);
}

static bool store_filters(struct store *store, const struct metric_filter_list *filters,
                          char *error, size_t error_size)
{
    for (size_t i = 0; i < filters->count; i++) {
        const struct metric_filter_definition *filter = &filters->items[i];
        char *json = metric_filter_to_json(filter);
        struct store_error store_error = {.message = "out of memory"};
        bool ok = json && store_metric_filter_put(
                              store, filter->log_group_name ? filter->log_group_name : "",
                              filter->filter_name, json, &store_error);
        free(json);
        if (!ok)
            return fail(error, error_size, "storing filter %s: %s", filter->filter_name,
                        store_error.message);
    }
    return true;
}

static bool store_counted_files(struct store *store, const struct scan_counted_files *files,
                                char *error, size_t error_size)
{
    struct store_error store_error;
    for (size_t i = 0; i < files->count; i++)
        if (!store_source_set(store, files->items[i].key, files->items[i].size, &store_error))
            return fail(error, error_size, "recording %s: %s", files->items[i].key,
                        store_error.message);
    return true;
}

void scan_counted_files_free(struct scan_counted_files *files)
{
    for (size_t i = 0; i < files->count; i++)
        free(files->items[i].key);
    free(files->items);
    *files = (struct scan_counted_files){0};
}

/* What the scan read, all or nothing: data points, the files they came from, filters. */
static bool store_scan(struct store *store, const struct config *config,
                       const struct metric_datapoint_list *points,
                       const struct scan_counted_files *files, char *error, size_t error_size)
{
    struct store_error store_error;
    if (!store_begin(store, &store_error))
        return fail(error, error_size, "%s", store_error.message);
    bool ok = store_points(store, points, error, error_size) &&
              store_counted_files(store, files, error, error_size) &&
              store_filters(store, &config->filters, error, error_size);
    if (ok && !store_commit(store, &store_error))
        ok = fail(error, error_size, "%s", store_error.message);
    if (!ok)
        store_rollback(store);
    return ok;
}

/* ---- the replay --------------------------------------------------------------------------- */

/* A copy of the evidence of a transition into ALARM, the one the report shows it for. */
static bool copy_alarm_evidence(const struct monitor_transition *transition,
                                struct metric_evidence **copy)
{
    *copy = NULL;
    if (transition->to != ALARM_STATE_ALARM || !transition->evidence)
        return true;
    if (!(*copy = malloc(sizeof **copy)))
        return false;
    metric_evidence_init(*copy);
    if (metric_evidence_merge(*copy, transition->evidence))
        return true;
    free(*copy);
    *copy = NULL;
    return false;
}

static bool record_transition(void *context, const struct monitor_transition *transition)
{
    struct scan_alarm_result *result = context;
    if (result->transition_count == result->transition_capacity) {
        size_t capacity = result->transition_capacity ? result->transition_capacity * 2 : 8;
        struct scan_alarm_transition *grown =
            realloc(result->transitions, capacity * sizeof *grown);
        if (!grown)
            return false;
        result->transitions = grown;
        result->transition_capacity = capacity;
    }
    char *reason = strdup(transition->reason ? transition->reason : "");
    struct metric_evidence *evidence = NULL;
    if (reason && !copy_alarm_evidence(transition, &evidence)) {
        free(reason);
        reason = NULL;
    }
    if (!reason)
        return false;
    result->transitions[result->transition_count++] =
        (struct scan_alarm_transition){.time_ms = transition->time_ms,
                                       .from = transition->from,
                                       .to = transition->to,
                                       .reason = reason,
                                       .evidence = evidence};
    return true;
}

static bool read_final_state(struct store *store, struct scan_alarm_result *result, char *error,
                             size_t error_size)
{
    struct store_alarm_state state = {0};
    struct store_error store_error;
    bool found = false;
    bool ok = store_alarm_get_state(store, result->alarm->alarm_name, &found, &state, &store_error);
    if (!ok)
        return fail(error, error_size, "%s", store_error.message);
    ok = found && alarm_state_parse(state.state, &result->final_state);
    store_alarm_state_free(&state);
    return ok || fail(error, error_size, "alarm %s: no readable state", result->alarm->alarm_name);
}

/* The span of the scan's own data, in milliseconds. */
static bool data_span(const struct metric_datapoint_list *points, int64_t *first_ms,
                      int64_t *last_ms)
{
    if (points->count == 0)
        return false;
    int64_t first = points->items[0].timestamp, last = first;
    for (size_t i = 1; i < points->count; i++) {
        if (points->items[i].timestamp < first)
            first = points->items[i].timestamp;
        if (points->items[i].timestamp > last)
            last = points->items[i].timestamp;
    }
    *first_ms = first * 1000;
    *last_ms = last * 1000;
    return true;
}

static bool replay_all(struct store *store, const struct config *config,
                       const struct scan_alarm_options *options, int64_t last_data_ms,
                       struct scan_alarm_replay *out, char *error, size_t error_size)
{
    struct monitor_settings settings = {.region = config->settings.region,
                                        .account_id = config->settings.account_id,
                                        .evaluation_range =
                                            config->settings.alarm_evaluation_range};
    out->until_ms = out->from_ms;
    for (size_t i = 0; i < out->count; i++) {
        struct scan_alarm_result *result = &out->results[i];
        struct monitor_error monitor_error;
        int64_t until = options->has_until
                            ? options->until_ms
                            : last_data_ms + monitor_drain_ms(result->alarm, &settings);
        if (until > out->until_ms)
            out->until_ms = until;
        if (!monitor_put_alarm(store, result->alarm, &settings, out->from_ms, &monitor_error) ||
            (out->has_data && !monitor_replay(store, result->alarm, &settings, out->from_ms, until,
                                              record_transition, result, &monitor_error)))
            return fail(error, error_size, "%s", monitor_error.message);
        if (!read_final_state(store, result, error, error_size))
            return false;
    }
    return true;
}

/* Retention in a --db store, measured back from its latest data point (event time: a
 * replay of last year's logs must not prune what it just wrote by the wall clock). */
static bool apply_retention(struct store *store, const struct config_settings *settings,
                            char *error, size_t error_size)
{
    struct store_error store_error;
    bool found = false;
    int64_t first = 0, last = 0;
    if (!store_datapoints_span(store, &found, &first, &last, &store_error))
        return fail(error, error_size, "%s", store_error.message);
    if (!found)
        return true;
    int64_t datapoints_before = last - (int64_t)settings->datapoint_retention_days * 86400;
    int64_t history_before_ms = (last - (int64_t)settings->history_retention_days * 86400) * 1000;
    return store_prune(store, datapoints_before, history_before_ms, &store_error) ||
           fail(error, error_size, "pruning: %s", store_error.message);
}

bool scan_alarms_replay(struct store *store, const struct config *config,
                        const struct metric_datapoint_list *points,
                        const struct scan_counted_files *files,
                        const struct scan_alarm_options *options, struct scan_alarm_replay *out,
                        char *error, size_t error_size)
{
    *out = (struct scan_alarm_replay){0};
    out->results = calloc(config->alarms.count + 1, sizeof *out->results);
    if (!out->results)
        return fail(error, error_size, "out of memory");
    out->count = config->alarms.count;
    for (size_t i = 0; i < out->count; i++)
        out->results[i].alarm = &config->alarms.items[i];
    int64_t first_ms = 0, last_ms = 0;
    bool has_points = data_span(points, &first_ms, &last_ms);
    out->has_data = has_points || options->has_since;
    out->from_ms = options->has_since ? options->since_ms : first_ms;
    if (!has_points)
        last_ms = out->from_ms;
    out->datapoints = points->count;
    return store_scan(store, config, points, files, error, error_size) &&
           replay_all(store, config, options, last_ms, out, error, error_size) &&
           (!options->db_path || apply_retention(store, &config->settings, error, error_size));
}

void scan_alarm_replay_free(struct scan_alarm_replay *replay)
{
    for (size_t i = 0; i < replay->count; i++) {
        for (size_t t = 0; t < replay->results[i].transition_count; t++) {
            struct scan_alarm_transition *transition = &replay->results[i].transitions[t];
            free(transition->reason);
            metric_evidence_free(transition->evidence);
            free(transition->evidence);
        }
        free(replay->results[i].transitions);
    }
    free(replay->results);
    *replay = (struct scan_alarm_replay){0};
}
