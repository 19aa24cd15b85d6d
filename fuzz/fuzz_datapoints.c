/* libFuzzer target: scan the input's lines as events with data points and evidence on, for
 * filters with a selector value, dimensions and a defaultValue, then take the points. Every
 * point must be well formed: a bucket start, samples, a value map that accounts for them, a
 * sorted identity, and evidence (of matches only, so no more events than samples) that is
 * written as JSON and read back to the very same text. */
#include "metrics/metrics.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool add_filters(struct metric_filter_list *list)
{
    struct metric_filter_definition valued = {
        .filter_name = "valued",
        .filter_pattern = "{ $.v = * }",
        .transformation = {.metric_name = "V",
                           .metric_namespace = "F",
                           .metric_value = "$.v",
                           .dimensions = {{"B", "$.b"}, {"A", "$.a[0]"}},
                           .dimension_count = 2},
    };
    struct metric_filter_definition defaulted = {
        .filter_name = "defaulted",
        .filter_pattern = "{ $.eventName = Delete* }",
        .transformation = {.metric_name = "D",
                           .metric_namespace = "F",
                           .metric_value = "1",
                           .has_default_value = true,
                           .default_value = 0},
    };
    return metric_filter_list_append(list, &valued) && metric_filter_list_append(list, &defaulted);
}

static void check_evidence(const struct metric_datapoint *point)
{
    const struct metric_evidence *evidence = point->evidence;
    if (!evidence)
        return;
    struct metric_evidence read;
    struct metrics_error error;
    char *text = metric_evidence_to_json(evidence);
    if (!text || (double)evidence->events > point->aggregate.sample_count ||
        !metric_evidence_from_json(text, &read, &error))
        __builtin_trap();
    char *again = metric_evidence_to_json(&read);
    if (!again || strcmp(again, text) != 0)
        __builtin_trap();
    free(again);
    free(text);
    metric_evidence_free(&read);
}

static void check_point(const struct metric_datapoint *point)
{
    const struct metric_aggregate *aggregate = &point->aggregate;
    double counted = 0;
    for (size_t i = 0; i < aggregate->value_count; i++)
        counted += aggregate->values[i].count;
    bool sorted = true;
    for (size_t i = 1; i < point->identity.dimension_count; i++)
        sorted = sorted && strcmp(point->identity.dimensions[i - 1].name,
                                  point->identity.dimensions[i].name) <= 0;
    if (point->timestamp % 60 != 0 || aggregate->sample_count < 1 ||
        counted != aggregate->sample_count || !sorted || !point->unit)
        __builtin_trap();
    check_evidence(point);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct metric_filter_list list = {0};
    struct metrics_error error;
    struct filter_scan *scan = NULL;
    /* no pre-test: the defaultValue filter turns it off anyway, and building it is slow */
    if (!add_filters(&list) || !(scan = filter_scan_create(&list, false, &error)) ||
        !filter_scan_enable_datapoints(scan, METRIC_RESOLUTION_STANDARD, &error) ||
        !filter_scan_enable_evidence(scan, &error)) {
        filter_scan_free(scan);
        metric_filter_list_free(&list);
        return 0;
    }
    const char *text = (const char *)data, *end = text + size;
    while (text < end) {
        const char *newline = memchr(text, '\n', (size_t)(end - text));
        const char *line_end = newline ? newline : end;
        struct event_json_error json_error;
        filter_scan_event(scan, text, (size_t)(line_end - text), &json_error);
        text = line_end + (newline != NULL);
    }
    struct metric_datapoint_list points = {0};
    if (filter_scan_take_datapoints(scan, &points))
        for (size_t i = 0; i < points.count; i++)
            check_point(&points.items[i]);
    metric_datapoint_list_free(&points);
    filter_scan_free(scan);
    metric_filter_list_free(&list);
    return 0;
}
