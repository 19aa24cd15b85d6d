/* GetMetricStatistics over the store: periods of the query's length from its start, each
 * the merge of the buckets inside it, with the statistics asked for. */
#include "monitor/monitor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct unit_search {
    const struct metric_identity *metric;
    char unit[64];
    size_t found;
};

static bool note_unit(void *context, const struct metric_identity *metric, const char *unit)
{
    struct unit_search *search = context;
    if (metric_identity_compare(metric, search->metric) == 0) {
        if (search->found == 0)
            snprintf(search->unit, sizeof search->unit, "%s", unit);
        search->found++;
    }
    return true;
}

static bool report_unit(struct store *store, const struct monitor_statistics_query *query,
                        char unit[64], struct monitor_error *error)
{
    if (query->unit) {
        snprintf(unit, 64, "%s", query->unit);
        return true;
    }
    struct unit_search search = {.metric = query->metric};
    struct store_error store_error;
    if (!store_metrics_list(store, note_unit, &search, &store_error)) {
        snprintf(error->message, sizeof error->message, "%s", store_error.message);
        return false;
    }
    /* several units under one metric: AWS calls the result unpredictable (alarms.md §1.1) */
    snprintf(unit, 64, "%s", search.found == 1 ? search.unit : "None");
    return true;
}

static bool check_query(const struct monitor_statistics_query *query, size_t *periods,
                        struct monitor_error *error)
{
    bool period_valid = query->period == 1 || query->period == 5 || query->period == 10 ||
                        query->period == 30 || (query->period > 0 && query->period % 60 == 0);
    if (!period_valid) {
        snprintf(error->message, sizeof error->message,
                 "Period: must be 1, 5, 10, 30 or a multiple of 60 (got %d)", query->period);
        return false;
    }
    if (query->end <= query->start) {
        snprintf(error->message, sizeof error->message, "EndTime must be after StartTime");
        return false;
    }
    int64_t wanted = (query->end - query->start + query->period - 1) / query->period;
    if (wanted > MONITOR_MAX_DATAPOINTS) {
        snprintf(error->message, sizeof error->message,
                 "%lld data points requested, more than the %d one call returns: use a longer "
                 "Period or a shorter time range",
                 (long long)wanted, MONITOR_MAX_DATAPOINTS);
        return false;
    }
    *periods = (size_t)wanted;
    return true;
}

static size_t collect(const struct monitor_statistics_query *query,
                      const struct metric_aggregate *slots, size_t periods,
                      struct monitor_statistics_point *points)
{
    size_t count = 0;
    for (size_t i = 0; i < periods; i++) {
        if (slots[i].sample_count <= 0)
            continue;
        struct monitor_statistics_point *point = &points[count++];
        point->timestamp = query->start + (int64_t)i * query->period;
        point->sample_count = slots[i].sample_count;
        for (size_t s = 0; s < query->statistic_count; s++)
            point->available[s] =
                metric_statistic_compute(&query->statistics[s], &slots[i], &point->values[s]);
    }
    return count;
}

bool monitor_metric_statistics(struct store *store, const struct monitor_statistics_query *query,
                               struct monitor_statistics_point **points, size_t *count,
                               char unit[64], struct monitor_error *error)
{
    size_t periods;
    *points = NULL;
    *count = 0;
    if (!check_query(query, &periods, error) || !report_unit(store, query, unit, error))
        return false;
    struct metric_aggregate *slots = calloc(periods, sizeof *slots);
    *points = calloc(periods, sizeof **points);
    struct store_error store_error = {.message = "out of memory"};
    int resolution = query->period < 60 ? METRIC_RESOLUTION_HIGH : METRIC_RESOLUTION_STANDARD;
    bool ok = slots && *points &&
              store_datapoints_read(store, query->metric, query->unit, resolution, query->start,
                                    query->period, periods, slots, &store_error);
    if (ok)
        *count = collect(query, slots, periods, *points);
    for (size_t i = 0; i < periods; i++) /* zeroed or filled: both free */
        metric_aggregate_free(&slots[i]);
    free(slots);
    if (!ok) {
        free(*points);
        *points = NULL;
        snprintf(error->message, sizeof error->message, "%s", store_error.message);
    }
    return ok;
}
