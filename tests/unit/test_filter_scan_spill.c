/* A scan's data points spilled beyond a memory bound (filter_scan_set_spill): what is
 * spilled plus what the scan still holds adds up exactly to the data points of the same scan
 * without a bound (per metric, dimensions and timestamp: samples, Sum, evidence events); a
 * spill that fails is kept with its message, the points held are dropped, later events are
 * still safe; filter_scan_merge carries the spilled count and a failure. */
#include "metrics/metrics.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define EVENT_COUNT 240

/* Per bucket, what the points of it held, added up (a bucket spilled twice adds twice). */
struct bucket_total {
    char key[160]; /* metric name, dimensions, resolution, timestamp */
    double sample_count, sum;
    uint64_t events;
};

struct collector {
    struct bucket_total buckets[2 * EVENT_COUNT];
    size_t count;
    uint64_t points; /* handed to the spill */
    size_t calls;
    const char *refuse; /* a message: the spill fails with it */
};

static void collect(struct collector *collector, const struct metric_datapoint *point)
{
    char key[160];
    int length = snprintf(key, sizeof key, "%s|%d|%lld", point->identity.metric_name,
                          point->resolution, (long long)point->timestamp);
    for (size_t i = 0; i < point->identity.dimension_count; i++)
        length += snprintf(key + length, sizeof key - (size_t)length, "|%s=%s",
                           point->identity.dimensions[i].name, point->identity.dimensions[i].value);
    assert_true(length < (int)sizeof key);
    size_t i = 0;
    while (i < collector->count && strcmp(collector->buckets[i].key, key) != 0)
        i++;
    if (i == collector->count) {
        assert_true(collector->count < sizeof collector->buckets / sizeof *collector->buckets);
        strcpy(collector->buckets[collector->count++].key, key);
    }
    assert_non_null(point->evidence); /* exported, not left as the scan's tally */
    collector->buckets[i].sample_count += point->aggregate.sample_count;
    collector->buckets[i].sum += point->aggregate.sum;
    collector->buckets[i].events += point->evidence->events;
}

static bool spill_collect(void *context, const struct metric_datapoint *points, size_t count,
                          struct metrics_error *error)
{
    struct collector *collector = context;
    collector->calls++;
    if (collector->refuse) {
        snprintf(error->message, sizeof error->message, "%s", collector->refuse);
        return false;
    }
    assert_true(count > 0 && count <= 256);
    collector->points += count;
    for (size_t i = 0; i < count; i++)
        collect(collector, &points[i]);
    return true;
}

/* The points the scan still holds, added to `collector`; how many. */
static size_t collect_taken(struct collector *collector, struct filter_scan *scan)
{
    struct metric_datapoint_list points = {0};
    assert_true(filter_scan_take_datapoints(scan, &points));
    for (size_t i = 0; i < points.count; i++)
        collect(collector, &points.items[i]);
    size_t count = points.count;
    metric_datapoint_list_free(&points);
    return count;
}

static size_t taken_count(struct filter_scan *scan)
{
    struct metric_datapoint_list points = {0};
    assert_true(filter_scan_take_datapoints(scan, &points));
    size_t count = points.count;
    metric_datapoint_list_free(&points);
    return count;
}

/* Denied calls counted, and their bytes per user (a dimension); 1-minute or 1-second. */
static struct filter_scan *create_scan(int resolution)
{
    struct metric_filter_list filters = {0};
    struct metric_filter_definition denied = {
        .filter_name = "denied",
        .filter_pattern = "{ $.errorCode = \"AccessDenied*\" }",
        .transformation = {.metric_name = "DeniedCount",
                           .metric_namespace = "Security",
                           .metric_value = "1"},
    };
    struct metric_filter_definition bytes = {
        .filter_name = "bytes",
        .filter_pattern = "{ $.size > 0 }",
        .transformation = {.metric_name = "Bytes",
                           .metric_namespace = "Security",
                           .metric_value = "$.size",
                           .dimension_count = 1},
    };
    bytes.transformation.dimensions[0] =
        (struct metric_dimension){(char *)"User", (char *)"$.userIdentity.userName"};
    assert_true(metric_filter_list_append(&filters, &denied));
    assert_true(metric_filter_list_append(&filters, &bytes));
    struct metrics_error error;
    struct filter_scan *scan = filter_scan_create(&filters, true, &error);
    assert_non_null(scan);
    metric_filter_list_free(&filters);
    if (!filter_scan_enable_datapoints(scan, resolution, &error) ||
        !filter_scan_enable_evidence(scan, &error))
        fail_msg("%s", error.message);
    return scan;
}

/* Events `first` to `last` - 1 of a fixed sequence: over 40 minutes, out of time order, four
 * users, sizes 0 to 6 (0 does not match "bytes"), every fifth not denied. */
static void scan_events(struct filter_scan *scan, int first, int last)
{
    for (int i = first; i < last; i++) {
        int second = (i * 37) % 2400;
        char text[512];
        snprintf(text, sizeof text,
                 "{\"eventTime\":\"2024-03-01T10:%02d:%02dZ\",\"eventName\":\"GetObject\","
                 "\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"u%d\"},"
                 "\"sourceIPAddress\":\"192.0.2.%d\",\"size\":%d%s}",
                 second / 60, second % 60, i % 4, i % 9, i % 7,
                 i % 5 == 4 ? "" : ",\"errorCode\":\"AccessDenied\"");
        struct event_json_error error;
        if (!filter_scan_event(scan, text, strlen(text), &error))
            fail_msg("invalid at %zu: %s", error.offset, error.reason);
    }
}

static void assert_same_totals(const struct collector *expected, const struct collector *actual)
{
    assert_int_equal(expected->count, actual->count);
    for (size_t i = 0; i < expected->count; i++) {
        const struct bucket_total *want = &expected->buckets[i];
        size_t j = 0;
        while (j < actual->count && strcmp(actual->buckets[j].key, want->key) != 0)
            j++;
        if (j == actual->count)
            fail_msg("bucket %s missing", want->key);
        const struct bucket_total *got = &actual->buckets[j];
        if (got->sample_count != want->sample_count || got->sum != want->sum ||
            got->events != want->events)
            fail_msg("bucket %s: %g samples, Sum %g, %llu events; expected %g, %g, %llu", want->key,
                     got->sample_count, got->sum, (unsigned long long)got->events,
                     want->sample_count, want->sum, (unsigned long long)want->events);
    }
}

/* The totals of the scan without a bound, which nothing is spilled from. */
static struct collector *unbounded_totals(int resolution)
{
    struct collector *totals = calloc(1, sizeof *totals);
    assert_non_null(totals);
    struct filter_scan *scan = create_scan(resolution);
    scan_events(scan, 0, EVENT_COUNT);
    assert_int_equal(filter_scan_spilled(scan), 0);
    collect_taken(totals, scan);
    filter_scan_free(scan);
    return totals;
}

/* `held`: whether points are still held at the end (not spilled since the last event). */
static void spilled_plus_held_is_the_whole(int resolution, size_t limit_bytes, bool held)
{
    struct collector *expected = unbounded_totals(resolution);
    assert_true(expected->count > 50); /* many buckets, several metrics */
    struct collector *actual = calloc(1, sizeof *actual);
    assert_non_null(actual);
    struct filter_scan *scan = create_scan(resolution);
    filter_scan_set_spill(scan, limit_bytes, spill_collect, actual);
    scan_events(scan, 0, EVENT_COUNT);
    assert_true(filter_scan_spilled(scan) > 0 && actual->calls > 1);
    assert_int_equal(filter_scan_spilled(scan), actual->points);
    struct metrics_error error;
    assert_false(filter_scan_spill_failed(scan, &error));
    assert_int_equal(collect_taken(actual, scan) > 0, held);
    assert_same_totals(expected, actual);
    filter_scan_free(scan);
    free(expected);
    free(actual);
}

/* A bound of 1 byte: spilled after every event, each bucket many times over. */
static void spilled_after_every_event(void **state)
{
    (void)state;
    spilled_plus_held_is_the_whole(METRIC_RESOLUTION_STANDARD, 1, false);
}

/* A bound some tens of buckets wide: spilled now and then, the rest still held at the end. */
static void spilled_now_and_then(void **state)
{
    (void)state;
    spilled_plus_held_is_the_whole(METRIC_RESOLUTION_STANDARD, 40000, true);
}

/* 1-second buckets: a few hundred, spilled once they outgrow the bound. */
static void spilled_high_resolution(void **state)
{
    (void)state;
    spilled_plus_held_is_the_whole(METRIC_RESOLUTION_HIGH, 200000, true);
}

/* filter_scan_spill at the end hands over the rest: nothing is held afterwards. */
static void spill_rest_at_the_end(void **state)
{
    (void)state;
    struct collector *expected = unbounded_totals(METRIC_RESOLUTION_STANDARD);
    struct collector *actual = calloc(1, sizeof *actual);
    assert_non_null(actual);
    struct filter_scan *scan = create_scan(METRIC_RESOLUTION_STANDARD);
    filter_scan_set_spill(scan, 1u << 30, spill_collect, actual);
    scan_events(scan, 0, EVENT_COUNT);
    assert_int_equal(filter_scan_spilled(scan), 0); /* within the bound */
    struct metrics_error error;
    assert_true(filter_scan_spill(scan, &error));
    assert_int_equal(filter_scan_spilled(scan), expected->count);
    assert_int_equal(taken_count(scan), 0);
    assert_same_totals(expected, actual);
    filter_scan_free(scan);
    free(expected);
    free(actual);
}

static struct filter_scan *failed_scan(struct collector *refusing)
{
    struct filter_scan *scan = create_scan(METRIC_RESOLUTION_STANDARD);
    filter_scan_set_spill(scan, 1, spill_collect, refusing);
    scan_events(scan, 0, 10);
    return scan;
}

static void failed_spill_is_kept(void **state)
{
    (void)state;
    struct collector refusing = {.refuse = "the disk is on fire"};
    struct filter_scan *scan = failed_scan(&refusing);
    assert_true(refusing.calls > 0);
    struct metrics_error error = {""};
    assert_true(filter_scan_spill_failed(scan, &error));
    assert_string_equal(error.message, "the disk is on fire");
    assert_true(filter_scan_spill_failed(scan, NULL));
    /* the points are gone, not held on past the bound */
    assert_int_equal(taken_count(scan), 0);
    /* later events are safe and kept nowhere; the failure stays */
    scan_events(scan, 10, EVENT_COUNT);
    assert_int_equal(taken_count(scan), 0);
    memset(&error, 0, sizeof error);
    assert_false(filter_scan_spill(scan, &error));
    assert_string_equal(error.message, "the disk is on fire");
    filter_scan_free(scan);
}

static void merge_carries_spills(void **state)
{
    (void)state;
    struct collector *spilled = calloc(1, sizeof *spilled);
    assert_non_null(spilled);
    struct filter_scan *ok = create_scan(METRIC_RESOLUTION_STANDARD);
    filter_scan_set_spill(ok, 1, spill_collect, spilled);
    scan_events(ok, 0, 50);
    uint64_t ok_spilled = filter_scan_spilled(ok);
    assert_true(ok_spilled > 0);

    struct filter_scan *into = create_scan(METRIC_RESOLUTION_STANDARD);
    scan_events(into, 50, 60);
    assert_true(filter_scan_merge(into, ok));
    assert_int_equal(filter_scan_spilled(into), ok_spilled);
    assert_false(filter_scan_spill_failed(into, NULL));

    struct collector refusing = {.refuse = "first failure"};
    struct filter_scan *failed = failed_scan(&refusing);
    uint64_t failed_spilled = filter_scan_spilled(failed);
    assert_true(filter_scan_merge(into, failed));
    assert_int_equal(filter_scan_spilled(into), ok_spilled + failed_spilled);
    struct metrics_error error = {""};
    assert_true(filter_scan_spill_failed(into, &error));
    assert_string_equal(error.message, "first failure");

    /* a later failure does not replace the first */
    struct collector other = {.refuse = "second failure"};
    struct filter_scan *failed_again = failed_scan(&other);
    assert_true(filter_scan_merge(into, failed_again));
    assert_true(filter_scan_spill_failed(into, &error));
    assert_string_equal(error.message, "first failure");

    filter_scan_free(failed_again);
    filter_scan_free(failed);
    filter_scan_free(into);
    filter_scan_free(ok);
    free(spilled);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spilled_after_every_event), cmocka_unit_test(spilled_now_and_then),
        cmocka_unit_test(spilled_high_resolution),   cmocka_unit_test(spill_rest_at_the_end),
        cmocka_unit_test(failed_spill_is_kept),      cmocka_unit_test(merge_carries_spills),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
