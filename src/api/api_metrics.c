/* CloudWatch metrics over query/XML and JSON 1.0 (aws-api.md §6.2): PutMetricData into the
 * store's buckets, GetMetricStatistics through the monitor, ListMetrics, and GetMetricData
 * for MetricStat queries (metric math is refused). */
#include "api/api_internal.h"

#include "metrics/metrics.h"
#include "monitor/monitor.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PUT_METRIC_DATA_MAX 1000
#define METRIC_DIMENSIONS_MAX 30
#define METRIC_DATA_QUERIES_MAX 500
/* ListMetrics pages as AWS does. */
#define LIST_METRICS_PAGE_SIZE 500

static void fail_parameter(struct api_call *call, const char *message)
{
    api_fail(call, 400, "InvalidParameterValue", message);
}

/* A number given as a JSON number or (query protocol) as text. */
/* Seconds since the epoch, and periods, beyond this are refused rather than converted:
 * converting a double outside the target integer's range is undefined behaviour. */
#define API_SECONDS_LIMIT 1e15

static bool number_of(const json_t *value, double *out);

/* A Period: a whole number of seconds, 1 to INT_MAX. */
static bool period_of(const json_t *value, int *out)
{
    double period = 0;
    bool ok = number_of(value, &period) && period >= 1 && period <= INT_MAX;
    if (ok)
        *out = (int)period;
    return ok;
}

static bool number_of(const json_t *value, double *out)
{
    if (json_is_number(value)) {
        *out = json_number_value(value);
        return isfinite(*out);
    }
    const char *text = json_string_value(value);
    char *end = NULL;
    if (!text || !*text)
        return false;
    *out = strtod(text, &end);
    return !*end && isfinite(*out);
}

static int compare_dimensions(const void *a, const void *b)
{
    return strcmp(((const struct metric_dimension_value *)a)->name,
                  ((const struct metric_dimension_value *)b)->name);
}

/* Fills `identity` with pointers into `metric` (Namespace, MetricName, Dimensions); the
 * dimension array is malloc'ed into identity->dimensions. */
static bool identity_of(const json_t *metric, const char *namespace_name,
                        struct metric_identity *identity)
{
    const json_t *dimensions = json_object_get(metric, "Dimensions");
    size_t count = json_array_size(dimensions);
    *identity = (struct metric_identity){
        .namespace_name =
            (char *)(namespace_name ? namespace_name : api_input_string(metric, "Namespace")),
        .metric_name = (char *)api_input_string(metric, "MetricName"),
    };
    if (!identity->namespace_name || !identity->metric_name || count > METRIC_DIMENSIONS_MAX)
        return false;
    identity->dimensions = calloc(count + 1, sizeof *identity->dimensions);
    if (!identity->dimensions)
        return false;
    for (size_t i = 0; i < count; i++) {
        const json_t *dimension = json_array_get(dimensions, i);
        identity->dimensions[i].name = (char *)api_input_string(dimension, "Name");
        identity->dimensions[i].value = (char *)api_input_string(dimension, "Value");
        if (!identity->dimensions[i].name || !identity->dimensions[i].value) {
            free(identity->dimensions);
            identity->dimensions = NULL;
            return false;
        }
    }
    identity->dimension_count = count;
    qsort(identity->dimensions, count, sizeof *identity->dimensions, compare_dimensions);
    return true;
}

static json_t *dimensions_json(const struct metric_identity *identity)
{
    json_t *array = json_array();
    for (size_t i = 0; i < identity->dimension_count; i++)
        json_array_append_new(array, json_pack("{s:s, s:s}", "Name", identity->dimensions[i].name,
                                               "Value", identity->dimensions[i].value));
    return array;
}

/* ---- PutMetricData ---- */

static bool add_values(const json_t *datum, struct metric_aggregate *aggregate)
{
    double value, count;
    const json_t *values = json_object_get(datum, "Values");
    const json_t *counts = json_object_get(datum, "Counts");
    const json_t *statistics = json_object_get(datum, "StatisticValues");
    if (number_of(json_object_get(datum, "Value"), &value))
        return metric_aggregate_add(aggregate, value, 1);
    if (json_array_size(values) > 0) {
        for (size_t i = 0; i < json_array_size(values); i++) {
            if (!number_of(json_array_get(values, i), &value))
                return false;
            if (!number_of(json_array_get(counts, i), &count))
                count = 1;
            if (!metric_aggregate_add(aggregate, value, count))
                return false;
        }
        return true;
    }
    return json_is_object(statistics) &&
           number_of(json_object_get(statistics, "SampleCount"), &aggregate->sample_count) &&
           number_of(json_object_get(statistics, "Sum"), &aggregate->sum) &&
           number_of(json_object_get(statistics, "Minimum"), &aggregate->minimum) &&
           number_of(json_object_get(statistics, "Maximum"), &aggregate->maximum) &&
           aggregate->sample_count > 0;
}

static bool datapoint_of(struct api_call *call, const char *namespace_name, const json_t *datum,
                         struct metric_datapoint *point)
{
    *point = (struct metric_datapoint){0};
    metric_aggregate_init(&point->aggregate);
    double resolution = 60, timestamp = (double)call->now_ms / 1000.0;
    if (number_of(json_object_get(datum, "StorageResolution"), &resolution) && resolution == 1)
        point->resolution = 1;
    else
        point->resolution = METRIC_RESOLUTION_STANDARD;
    number_of(json_object_get(datum, "Timestamp"), &timestamp);
    if (fabs(timestamp) > API_SECONDS_LIMIT)
        return false;
    point->timestamp = (int64_t)floor(timestamp / point->resolution) * point->resolution;
    const char *unit = api_input_string(datum, "Unit");
    point->unit = (char *)(unit ? unit : "None");
    return identity_of(datum, namespace_name, &point->identity) &&
           add_values(datum, &point->aggregate);
}

static void free_points(struct metric_datapoint *points, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(points[i].identity.dimensions);
        metric_aggregate_free(&points[i].aggregate);
    }
    free(points);
}

static void put_metric_data(struct api_call *call)
{
    const char *namespace_name = api_input_string(call->input, "Namespace");
    const json_t *data = json_object_get(call->input, "MetricData");
    size_t count = json_array_size(data);
    if (!namespace_name || count == 0)
        return api_fail(call, 400, "MissingParameter",
                        "The parameters Namespace and MetricData are required.");
    if (count > PUT_METRIC_DATA_MAX)
        return fail_parameter(call, "MetricData holds at most 1000 items.");
    struct metric_datapoint *points = calloc(count, sizeof *points);
    if (!points)
        return api_fail_internal(call, "out of memory");
    for (size_t i = 0; i < count; i++) {
        if (!datapoint_of(call, namespace_name, json_array_get(data, i), &points[i])) {
            free_points(points, i + 1);
            return fail_parameter(call, "A MetricData item lacks MetricName, a value, or has "
                                        "an invalid dimension or number.");
        }
    }
    struct store_error error;
    bool ok = store_datapoints_add(call->store, points, count, &error);
    free_points(points, count);
    if (!ok)
        return api_fail_internal(call, error.message);
    api_reply(call, NULL);
}

/* ---- GetMetricStatistics ---- */

static bool parse_statistics(struct api_call *call, struct monitor_statistics_query *query,
                             const char *member, bool extended)
{
    const json_t *names = json_object_get(call->input, member);
    for (size_t i = 0; i < json_array_size(names); i++) {
        const char *name = json_string_value(json_array_get(names, i));
        struct metrics_error error;
        if (query->statistic_count == MONITOR_MAX_STATISTICS || !name ||
            !metric_statistic_parse(name, extended, &query->statistics[query->statistic_count],
                                    &error)) {
            fail_parameter(call, "Invalid statistic.");
            return false;
        }
        query->statistic_count++;
    }
    return true;
}

static bool time_range(struct api_call *call, int64_t *start, int64_t *end)
{
    double start_seconds, end_seconds;
    if (!number_of(json_object_get(call->input, "StartTime"), &start_seconds) ||
        !number_of(json_object_get(call->input, "EndTime"), &end_seconds) ||
        fabs(start_seconds) > API_SECONDS_LIMIT || fabs(end_seconds) > API_SECONDS_LIMIT) {
        api_fail(call, 400, "MissingParameter", "StartTime and EndTime are required.");
        return false;
    }
    *start = (int64_t)floor(start_seconds);
    *end = (int64_t)ceil(end_seconds);
    if (*end <= *start) {
        fail_parameter(call, "The parameter StartTime must be less than the parameter EndTime.");
        return false;
    }
    return true;
}

static json_t *statistics_point(const struct monitor_statistics_query *query,
                                const struct monitor_statistics_point *point, const char *unit)
{
    json_t *member = json_pack("{s:f}", "Timestamp", (double)point->timestamp);
    json_t *extended = json_object();
    for (size_t i = 0; i < query->statistic_count; i++) {
        if (!point->available[i])
            continue;
        const struct metric_statistic *statistic = &query->statistics[i];
        bool simple = statistic->kind <= METRIC_STATISTIC_MAXIMUM;
        json_object_set_new(simple ? member : extended, statistic->name,
                            json_real(point->values[i]));
    }
    if (json_object_size(extended))
        json_object_set_new(member, "ExtendedStatistics", extended);
    else
        json_decref(extended);
    json_object_set_new(member, "Unit", json_string(unit));
    return member;
}

static void get_metric_statistics(struct api_call *call)
{
    struct monitor_statistics_query query = {.unit = api_input_string(call->input, "Unit")};
    struct metric_identity identity;
    if (!period_of(json_object_get(call->input, "Period"), &query.period))
        return api_fail(call, 400, "MissingParameter",
                        "The parameter Period is required (1 to 2147483647 seconds).");
    if (!time_range(call, &query.start, &query.end) ||
        !parse_statistics(call, &query, "Statistics", false) ||
        !parse_statistics(call, &query, "ExtendedStatistics", true))
        return;
    if (query.statistic_count == 0)
        return api_fail(call, 400, "MissingParameter",
                        "Statistics or ExtendedStatistics is required.");
    if (!identity_of(call->input, NULL, &identity))
        return api_fail(call, 400, "MissingParameter", "Namespace and MetricName are required.");
    query.metric = &identity;
    struct monitor_statistics_point *points = NULL;
    size_t count = 0;
    char unit[64];
    struct monitor_error error;
    bool ok = monitor_metric_statistics(call->store, &query, &points, &count, unit, &error);
    json_t *datapoints = json_array();
    for (size_t i = 0; ok && i < count; i++)
        json_array_append_new(datapoints, statistics_point(&query, &points[i], unit));
    free(points);
    json_t *output =
        json_pack("{s:s, s:o}", "Label", identity.metric_name, "Datapoints", datapoints);
    free(identity.dimensions);
    if (!ok) {
        json_decref(output);
        return fail_parameter(call, error.message);
    }
    api_reply(call, output);
}

/* ---- ListMetrics ---- */

struct list_metrics {
    const char *namespace_name, *metric_name;
    const json_t *dimension_filters;
    json_t *metrics;
    json_t *last;
};

static bool dimension_matches(const struct metric_identity *metric, const json_t *filter)
{
    const char *name = api_input_string(filter, "Name");
    const char *value = api_input_string(filter, "Value");
    for (size_t i = 0; name && i < metric->dimension_count; i++) {
        if (strcmp(metric->dimensions[i].name, name) == 0)
            return !value || strcmp(metric->dimensions[i].value, value) == 0;
    }
    return false;
}

static bool list_metric(void *context, const struct metric_identity *metric, const char *unit)
{
    (void)unit;
    struct list_metrics *list = context;
    if (list->namespace_name && strcmp(list->namespace_name, metric->namespace_name) != 0)
        return true;
    if (list->metric_name && strcmp(list->metric_name, metric->metric_name) != 0)
        return true;
    for (size_t i = 0; i < json_array_size(list->dimension_filters); i++) {
        if (!dimension_matches(metric, json_array_get(list->dimension_filters, i)))
            return true;
    }
    json_t *member = json_pack("{s:s, s:s, s:o}", "Namespace", metric->namespace_name, "MetricName",
                               metric->metric_name, "Dimensions", dimensions_json(metric));
    if (list->last && json_equal(list->last, member)) { /* another unit of the same metric */
        json_decref(member);
        return true;
    }
    list->last = member;
    return json_array_append_new(list->metrics, member) == 0;
}

static void list_metrics(struct api_call *call)
{
    struct list_metrics list = {
        .namespace_name = api_input_string(call->input, "Namespace"),
        .metric_name = api_input_string(call->input, "MetricName"),
        .dimension_filters = json_object_get(call->input, "Dimensions"),
        .metrics = json_array(),
    };
    struct store_error error;
    if (!store_metrics_list(call->store, list_metric, &list, &error)) {
        json_decref(list.metrics);
        return api_fail_internal(call, error.message);
    }
    json_t *output = json_object();
    if (api_page(call, list.metrics, LIST_METRICS_PAGE_SIZE, "Metrics", "InvalidNextToken", output))
        api_reply(call, output);
    else
        json_decref(output);
    json_decref(list.metrics);
}

/* ---- GetMetricData (MetricStat queries) ---- */

static json_t *metric_stat_result(struct api_call *call, const json_t *query, int64_t start,
                                  int64_t end, bool ascending)
{
    const json_t *stat = json_object_get(query, "MetricStat");
    const char *stat_name = api_input_string(stat, "Stat");
    struct monitor_statistics_query statistics = {
        .unit = api_input_string(stat, "Unit"), .start = start, .end = end, .statistic_count = 1};
    struct metrics_error metrics_error;
    struct metric_identity identity;
    if (!stat_name || !period_of(json_object_get(stat, "Period"), &statistics.period) ||
        (!metric_statistic_parse(stat_name, false, &statistics.statistics[0], &metrics_error) &&
         !metric_statistic_parse(stat_name, true, &statistics.statistics[0], &metrics_error)) ||
        !identity_of(json_object_get(stat, "Metric"), NULL, &identity))
        return NULL;
    statistics.metric = &identity;
    struct monitor_statistics_point *points = NULL;
    size_t count = 0;
    char unit[64];
    struct monitor_error error;
    bool ok = monitor_metric_statistics(call->store, &statistics, &points, &count, unit, &error);
    json_t *timestamps = json_array(), *values = json_array();
    for (size_t k = 0; ok && k < count; k++) {
        size_t i = ascending ? k : count - 1 - k;
        if (!points[i].available[0])
            continue;
        json_array_append_new(timestamps, json_real((double)points[i].timestamp));
        json_array_append_new(values, json_real(points[i].values[0]));
    }
    free(points);
    const char *label = api_input_string(query, "Label");
    json_t *result = json_pack("{s:s, s:s, s:o, s:o, s:s}", "Id", api_input_string(query, "Id"),
                               "Label", label ? label : identity.metric_name, "Timestamps",
                               timestamps, "Values", values, "StatusCode", "Complete");
    free(identity.dimensions);
    if (!ok) {
        json_decref(result);
        return NULL;
    }
    return result;
}

static void get_metric_data(struct api_call *call)
{
    const json_t *queries = json_object_get(call->input, "MetricDataQueries");
    size_t count = json_array_size(queries);
    int64_t start, end;
    if (count == 0)
        return api_fail(call, 400, "MissingParameter", "MetricDataQueries is required.");
    if (count > METRIC_DATA_QUERIES_MAX)
        return fail_parameter(call, "MetricDataQueries holds at most 500 queries.");
    if (!time_range(call, &start, &end))
        return;
    const char *scan_by = api_input_string(call->input, "ScanBy");
    bool ascending = scan_by && strcmp(scan_by, "TimestampAscending") == 0;
    json_t *results = json_array();
    for (size_t i = 0; i < count; i++) {
        const json_t *query = json_array_get(queries, i);
        if (!api_input_string(query, "Id") || !json_object_get(query, "MetricStat")) {
            json_decref(results);
            return fail_parameter(call, "Each query needs an Id and a MetricStat (metric math "
                                        "expressions are not supported).");
        }
        json_t *result = metric_stat_result(call, query, start, end, ascending);
        if (!result) {
            json_decref(results);
            return fail_parameter(call, "Invalid MetricStat: Metric, Period and Stat are "
                                        "required.");
        }
        json_array_append_new(results, result);
    }
    api_reply(call, json_pack("{s:o, s:[]}", "MetricDataResults", results, "Messages"));
}

struct metrics_operation {
    const char *name;
    void (*run)(struct api_call *call);
};

static const struct metrics_operation METRICS_OPERATIONS[] = {
    {"PutMetricData", put_metric_data},
    {"GetMetricStatistics", get_metric_statistics},
    {"ListMetrics", list_metrics},
    {"GetMetricData", get_metric_data},
};

bool api_metrics_dispatch(struct api_call *call)
{
    for (size_t i = 0; i < sizeof METRICS_OPERATIONS / sizeof *METRICS_OPERATIONS; i++) {
        if (strcmp(METRICS_OPERATIONS[i].name, call->operation) == 0) {
            METRICS_OPERATIONS[i].run(call);
            return true;
        }
    }
    return false;
}
