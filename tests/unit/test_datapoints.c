/* Data points from a scan (alarms.md §2): eventTime parsing and buckets, metric values,
 * dimensions, defaultValue samples, untimed and undimensioned matches, two filters on one
 * metric, taking, and merging two scans. Expected values are worked out in the comments. */
#include "metrics/event_time.h"
#include "metrics/metrics.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* 2024-10-26T18:59:38Z: 2024-01-01 is 1704067200; Oct 26 is day 299 after Jan 1 in a leap
 * year (31+29+31+30+31+30+31+31+30 = 274, + 25); 18:59:38 is 68378 s into the day. */
#define T_2024_10_26_18_59_38 (1704067200LL + 299 * 86400LL + 68378)
#define MINUTE_18_59 (T_2024_10_26_18_59_38 - 38)
#define MINUTE_19_00 (MINUTE_18_59 + 60)

static int64_t parsed_time(const char *text)
{
    int64_t seconds = 0;
    if (!event_time_parse(text, strlen(text), &seconds))
        fail_msg("%s was refused", text);
    return seconds;
}

static void event_times_parse(void **state)
{
    (void)state;
    assert_int_equal(parsed_time("2024-10-26T18:59:38Z"), T_2024_10_26_18_59_38);
    assert_int_equal(parsed_time("2024-10-26T18:59:38.123Z"), T_2024_10_26_18_59_38);
    assert_int_equal(parsed_time("2024-10-26T18:59:38.999999999Z"), T_2024_10_26_18_59_38);
    assert_int_equal(parsed_time("2024-10-26T18:59:38+00:00"), T_2024_10_26_18_59_38);
    assert_int_equal(parsed_time("2024-10-26T20:59:38+02:00"), T_2024_10_26_18_59_38);
    assert_int_equal(parsed_time("2024-10-26T13:29:38.5-05:30"), T_2024_10_26_18_59_38);
    assert_int_equal(parsed_time("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(parsed_time("1969-12-31T23:59:59Z"), -1);
    /* 2000 is a leap year: 30 years of 365 days and 7 leap days, + 31 + 28 days */
    assert_int_equal(parsed_time("2000-02-29T00:00:00Z"), (30 * 365 + 7 + 31 + 28) * 86400LL);
}

static void malformed_event_times_are_refused(void **state)
{
    (void)state;
    const char *refused[] = {
        "",
        "2024-10-26",
        "2024-10-26 18:59:38Z",
        "2024-10-26T18:59:38",
        "2024-10-26t18:59:38z",
        "2024-10-26T18:59:38.Z",
        "2024-10-26T18:59:38Zx",
        "2024-10-26T18:59:38+02",
        "2024-10-26T18:59:38+0200",
        "2024-10-26T18:59:38+24:00",
        "2024-02-30T00:00:00Z",
        "2023-02-29T00:00:00Z",
        "1900-02-29T00:00:00Z",
        "2024-13-01T00:00:00Z",
        "2024-00-01T00:00:00Z",
        "2024-10-00T00:00:00Z",
        "2024-10-26T24:00:00Z",
        "2024-10-26T18:60:00Z",
        "2024-10-26T18:59:60Z",
        "24-10-26T18:59:38Z",
        "2024-1-26T18:59:38Z",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        int64_t seconds;
        if (event_time_parse(refused[i], strlen(refused[i]), &seconds))
            fail_msg("\"%s\" was accepted", refused[i]);
    }
    /* the length bounds the text: no reading past it */
    int64_t seconds;
    assert_false(event_time_parse("2024-10-26T18:59:38Z", 19, &seconds));
}

static void buckets_floor_to_the_resolution(void **state)
{
    (void)state;
    assert_int_equal(event_time_bucket(T_2024_10_26_18_59_38, 60), MINUTE_18_59);
    assert_int_equal(event_time_bucket(MINUTE_18_59, 60), MINUTE_18_59);
    assert_int_equal(event_time_bucket(T_2024_10_26_18_59_38, 1), T_2024_10_26_18_59_38);
    assert_int_equal(event_time_bucket(-1, 60), -60);
    assert_int_equal(event_time_bucket(-60, 60), -60);
    assert_int_equal(event_time_bucket(59, 60), 0);
}

/* ---- scanning ---- */

struct test_filter {
    const char *name, *pattern, *value, *unit;
    const char *dimension_names[METRIC_FILTER_MAX_DIMENSIONS];
    const char *dimension_references[METRIC_FILTER_MAX_DIMENSIONS];
    size_t dimension_count;
    bool has_default_value;
    double default_value;
    const char *metric_name; /* NULL: the filter's name */
};

static void add_filter(struct metric_filter_list *list, const struct test_filter *filter)
{
    struct metric_filter_definition definition = {
        .filter_name = (char *)filter->name,
        .filter_pattern = (char *)filter->pattern,
        .transformation = {.metric_name =
                               (char *)(filter->metric_name ? filter->metric_name : filter->name),
                           .metric_namespace = "Test",
                           .metric_value = (char *)filter->value,
                           .has_default_value = filter->has_default_value,
                           .default_value = filter->default_value,
                           .dimension_count = filter->dimension_count,
                           .unit = (char *)filter->unit},
    };
    for (size_t i = 0; i < filter->dimension_count; i++)
        definition.transformation.dimensions[i] = (struct metric_dimension){
            (char *)filter->dimension_names[i], (char *)filter->dimension_references[i]};
    assert_true(metric_filter_list_append(list, &definition));
}

static struct filter_scan *datapoint_scan(const struct metric_filter_list *list, bool pre_test,
                                          int resolution)
{
    struct metrics_error error;
    struct filter_scan *scan = filter_scan_create(list, pre_test, &error);
    assert_non_null(scan);
    if (!filter_scan_enable_datapoints(scan, resolution, &error))
        fail_msg("%s", error.message);
    return scan;
}

static void feed(struct filter_scan *scan, const char *const *events, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        struct event_json_error error;
        if (!filter_scan_event(scan, events[i], strlen(events[i]), &error))
            fail_msg("event %zu: %s", i, error.reason);
    }
}

static void take(struct filter_scan *scan, struct metric_datapoint_list *points)
{
    *points = (struct metric_datapoint_list){0};
    assert_true(filter_scan_take_datapoints(scan, points));
}

static void assert_point(const struct metric_datapoint *point, const char *metric_name,
                         int64_t timestamp, double sample_count, double sum)
{
    assert_string_equal(point->identity.namespace_name, "Test");
    assert_string_equal(point->identity.metric_name, metric_name);
    assert_int_equal(point->timestamp, timestamp);
    if (point->aggregate.sample_count != sample_count || point->aggregate.sum != sum)
        fail_msg("%s at %lld: %g samples summing to %g, expected %g and %g", metric_name,
                 (long long)timestamp, point->aggregate.sample_count, point->aggregate.sum,
                 sample_count, sum);
}

#define LOGIN(time) "{\"eventName\":\"ConsoleLogin\",\"eventTime\":\"" time "\"}"

static void matches_fill_minute_buckets(void **state)
{
    (void)state;
    struct metric_filter_list list = {0};
    add_filter(&list, &(struct test_filter){.name = "logins",
                                            .pattern = "{ $.eventName = ConsoleLogin }",
                                            .value = "1"});
    struct filter_scan *scan = datapoint_scan(&list, true, METRIC_RESOLUTION_STANDARD);
    const char *events[] = {
        LOGIN("2024-10-26T18:59:38Z"),
        LOGIN("2024-10-26T18:59:59.999Z"),
        LOGIN("2024-10-26T21:00:01+02:00"), /* 19:00:01 UTC */
        "{\"eventName\":\"ConsoleLogin\"}",
        LOGIN("yesterday"),
        "{\"eventName\":\"ConsoleLogin\",\"eventTime\":1729969178}",
        "{\"eventName\":\"GetObject\",\"eventTime\":\"2024-10-26T18:59:40Z\"}",
    };
    feed(scan, events, 7);
    assert_int_equal(filter_scan_matches(scan, 0), 6);
    assert_int_equal(filter_scan_untimed(scan), 3); /* missing, unreadable, a number */
    struct metric_datapoint_list points;
    take(scan, &points);
    assert_int_equal(points.count, 2);
    assert_point(&points.items[0], "logins", MINUTE_18_59, 2, 2);
    assert_point(&points.items[1], "logins", MINUTE_19_00, 1, 1);
    assert_string_equal(points.items[0].unit, "None");
    assert_int_equal(points.items[0].resolution, 60);
    assert_int_equal(points.items[0].identity.dimension_count, 0);
    assert_int_equal(points.items[0].aggregate.value_count, 1);
    assert_true(points.items[0].aggregate.values[0].value == 1);
    metric_datapoint_list_free(&points);

    /* taking empties the scan */
    take(scan, &points);
    assert_int_equal(points.count, 0);
    filter_scan_free(scan);
    metric_filter_list_free(&list);
}

/* Log events (PutLogEvents): the bucket is the log event's timestamp, not the eventTime; a
 * message that is not JSON is tested as text (terms match it, JSON patterns do not). */
static void log_events_are_stamped_with_their_timestamp(void **state)
{
    (void)state;
    struct metric_filter_list list = {0};
    add_filter(&list, &(struct test_filter){.name = "logins",
                                            .pattern = "{ $.eventName = ConsoleLogin }",
                                            .value = "1"});
    add_filter(&list, &(struct test_filter){.name = "errors", .pattern = "ERROR", .value = "1"});
    struct filter_scan *scan = datapoint_scan(&list, true, METRIC_RESOLUTION_STANDARD);
    const int64_t at_19_00_30 = (MINUTE_19_00 + 30) * 1000;
    const char *const messages[] = {
        LOGIN("2024-10-26T18:59:38Z"),      /* eventTime in 18:59: the timestamp (19:00) wins */
        "{\"eventName\":\"ConsoleLogin\"}", /* no eventTime: timed all the same */
        "ERROR disk full",                  /* not JSON: a term matches its text */
        "ConsoleLogin ERROR {",             /* not JSON: the JSON pattern cannot match */
    };
    const int64_t stamps[] = {at_19_00_30, at_19_00_30 + 29999, at_19_00_30 - 30001, at_19_00_30};
    for (size_t i = 0; i < 4; i++) {
        struct event_json_error error;
        assert_true(
            filter_scan_event_at(scan, messages[i], strlen(messages[i]), stamps[i], &error));
        assert_true((i >= 2) == (error.reason[0] != '\0')); /* says why it is not JSON */
    }
    assert_int_equal(filter_scan_matches(scan, 0), 2);
    assert_int_equal(filter_scan_matches(scan, 1), 2);
    assert_int_equal(filter_scan_untimed(scan), 0);
    struct metric_datapoint_list points;
    take(scan, &points);
    assert_int_equal(points.count, 3);                            /* sorted by metric, then time */
    assert_point(&points.items[0], "errors", MINUTE_18_59, 1, 1); /* 18:59:59.999 */
    assert_point(&points.items[1], "errors", MINUTE_19_00, 1, 1);
    assert_point(&points.items[2], "logins", MINUTE_19_00, 2, 2); /* 19:00:30, 19:00:59.999 */
    metric_datapoint_list_free(&points);

    /* negative timestamps floor too: -1 ms is in the minute before the epoch */
    assert_true(filter_scan_event_at(scan, "ERROR", 5, -1, NULL));
    take(scan, &points);
    assert_int_equal(points.count, 1);
    assert_point(&points.items[0], "errors", -60, 1, 1);
    metric_datapoint_list_free(&points);
    filter_scan_free(scan);
    metric_filter_list_free(&list);
}

static void high_resolution_buckets_are_seconds(void **state)
{
    (void)state;
    struct metric_filter_list list = {0};
    add_filter(&list, &(struct test_filter){.name = "logins",
                                            .pattern = "{ $.eventName = ConsoleLogin }",
                                            .value = "1"});
    struct filter_scan *scan = datapoint_scan(&list, false, METRIC_RESOLUTION_HIGH);
    const char *events[] = {LOGIN("2024-10-26T18:59:38Z"), LOGIN("2024-10-26T18:59:38.7Z"),
                            LOGIN("2024-10-26T18:59:39Z")};
    feed(scan, events, 3);
    struct metric_datapoint_list points;
    take(scan, &points);
    assert_int_equal(points.count, 2);
    assert_point(&points.items[0], "logins", T_2024_10_26_18_59_38, 2, 2);
    assert_point(&points.items[1], "logins", T_2024_10_26_18_59_38 + 1, 1, 1);
    assert_int_equal(points.items[0].resolution, 1);
    metric_datapoint_list_free(&points);
    filter_scan_free(scan);
    metric_filter_list_free(&list);
}

static void invalid_resolution_and_second_enable_are_refused(void **state)
{
    (void)state;
    struct metric_filter_list list = {0};
    add_filter(&list, &(struct test_filter){.name = "all", .pattern = "", .value = "1"});
    struct metrics_error error;
    struct filter_scan *scan = filter_scan_create(&list, false, &error);
    assert_false(filter_scan_enable_datapoints(scan, 30, &error));
    assert_non_null(strstr(error.message, "60 or 1"));
    assert_int_equal(filter_scan_untimed(scan), 0);
    /* off: taking gives nothing */
    struct metric_datapoint_list points;
    take(scan, &points);
    assert_int_equal(points.count, 0);
    assert_true(filter_scan_enable_datapoints(scan, 60, &error));
    assert_false(filter_scan_enable_datapoints(scan, 60, &error));
    assert_non_null(strstr(error.message, "already"));
    filter_scan_free(scan);
    metric_filter_list_free(&list);
}

#define DOWNLOAD(time, bytes)                                                                      \
    "{\"eventName\":\"GetObject\",\"eventTime\":\"" time "\",\"bytes\":" bytes "}"

static void metric_values_from_a_selector(void **state)
{
    (void)state;
    struct metric_filter_list list = {0};
    add_filter(&list, &(struct test_filter){.name = "bytes",
                                            .pattern = "{ $.eventName = GetObject }",
                                            .value = "$.bytes",
                                            .unit = "Bytes"});
    struct filter_scan *scan = datapoint_scan(&list, true, METRIC_RESOLUTION_STANDARD);
    const char *events[] = {
        DOWNLOAD("2024-10-26T18:59:01Z", "10"),
        DOWNLOAD("2024-10-26T18:59:02Z", "5"),
        DOWNLOAD("2024-10-26T18:59:03Z", "10"),
        DOWNLOAD("2024-10-26T18:59:04Z", "\"2.5\""),
        DOWNLOAD("2024-10-26T18:59:05Z", "\"x\""),
        DOWNLOAD("2024-10-26T18:59:06Z", "null"),
        "{\"eventName\":\"GetObject\",\"eventTime\":\"2024-10-26T18:59:07Z\"}",
        /* no value: publishes nothing, so it is not counted as untimed either */
        "{\"eventName\":\"GetObject\",\"bytes\":\"x\"}",
    };
    feed(scan, events, 8);
    assert_int_equal(filter_scan_matches(scan, 0), 8);
    assert_int_equal(filter_scan_untimed(scan), 0);
    struct metric_datapoint_list points;
    take(scan, &points);
    assert_int_equal(points.count, 1);
    /* 10 + 5 + 10 + 2.5 ("2.5" as a string is a number, as for value sums) */
    assert_point(&points.items[0], "bytes", MINUTE_18_59, 4, 27.5);
    const struct metric_aggregate *aggregate = &points.items[0].aggregate;
    assert_true(aggregate->minimum == 2.5 && aggregate->maximum == 10);
    assert_int_equal(aggregate->value_count, 3);
    assert_true(aggregate->values[0].value == 2.5 && aggregate->values[0].count == 1);
    assert_true(aggregate->values[1].value == 5 && aggregate->values[1].count == 1);
    assert_true(aggregate->values[2].value == 10 && aggregate->values[2].count == 2);
    assert_string_equal(points.items[0].unit, "Bytes");
    metric_datapoint_list_free(&points);
    filter_scan_free(scan);
    metric_filter_list_free(&list);
}

#define DENIED(time, account, user)                                                                \
    "{\"errorCode\":\"AccessDenied\",\"eventTime\":\"" time "\",\"recipientAccountId\":\"" account \
    "\",\"userIdentity\":{\"userName\":" user "}}"

static void assert_dimension(const struct metric_datapoint *point, size_t index, const char *name,
                             const char *value)
{
    assert_true(index < point->identity.dimension_count);
    assert_string_equal(point->identity.dimensions[index].name, name);
    assert_string_equal(point->identity.dimensions[index].value, value);
}

static void dimensions_split_metrics(void **state)
{
    (void)state;
    struct metric_filter_list list = {0};
    /* declared User first: the identity sorts them by name */
    add_filter(&list,
               &(struct test_filter){
                   .name = "denied",
                   .pattern = "{ $.errorCode = AccessDenied }",
                   .value = "1",
                   .dimension_names = {"User", "Account"},
                   .dimension_references = {"$.userIdentity.userName", "$.recipientAccountId"},
                   .dimension_count = 2,
               });
    struct filter_scan *scan = datapoint_scan(&list, true, METRIC_RESOLUTION_STANDARD);
    const char *events[] = {
        DENIED("2024-10-26T18:59:01Z", "111", "\"alice\""),
        DENIED("2024-10-26T18:59:02Z", "111", "\"alice\""),
        DENIED("2024-10-26T18:59:03Z", "111", "\"bob\""),
        DENIED("2024-10-26T18:59:04Z", "222", "\"alice\""),
        DENIED("2024-10-26T19:00:00Z", "111", "\"alice\""),
        DENIED("2024-10-26T18:59:05Z", "111", "null"), /* not a string: missing */
        DENIED("2024-10-26T18:59:06Z", "111", "\"\""), /* empty: missing */
        DENIED("2024-10-26T18:59:07Z", "111", "7"),    /* a number is read as written */
    };
    feed(scan, events, 8);
    assert_int_equal(filter_scan_undimensioned(scan), 2);
    struct metric_datapoint_list points;
    take(scan, &points);
    /* sorted by identity (Account, then User), then time */
    assert_int_equal(points.count, 5);
    const char *accounts[] = {"111", "111", "111", "111", "222"};
    const char *users[] = {"7", "alice", "alice", "bob", "alice"};
    int64_t times[] = {MINUTE_18_59, MINUTE_18_59, MINUTE_19_00, MINUTE_18_59, MINUTE_18_59};
    double counts[] = {1, 2, 1, 1, 1};
    for (size_t i = 0; i < 5; i++) {
        assert_point(&points.items[i], "denied", times[i], counts[i], counts[i]);
        assert_int_equal(points.items[i].identity.dimension_count, 2);
        assert_dimension(&points.items[i], 0, "Account", accounts[i]);
        assert_dimension(&points.items[i], 1, "User", users[i]);
    }
    metric_datapoint_list_free(&points);
    filter_scan_free(scan);
    metric_filter_list_free(&list);
}

static void space_delimited_fields_give_values_and_dimensions(void **state)
{
    (void)state;
    /* a JSON message split on spaces: {"eventTime":"…",  "alice"  :  42  } */
    struct metric_filter_list list = {0};
    add_filter(&list, &(struct test_filter){.name = "sizes",
                                            .pattern = "[time, user, colon, size, close]",
                                            .value = "$size",
                                            .dimension_names = {"User"},
                                            .dimension_references = {"$user"},
                                            .dimension_count = 1});
    struct filter_scan *scan = datapoint_scan(&list, false, METRIC_RESOLUTION_STANDARD);
    const char *events[] = {
        "{\"eventTime\":\"2024-10-26T18:59:01Z\", \"alice\": 42 }",
        "{\"eventTime\":\"2024-10-26T18:59:02Z\", \"alice\": 8 }",
        "{\"eventTime\":\"2024-10-26T18:59:03Z\", \"bob\": 1 }",
        "{\"eventTime\":\"2024-10-26T18:59:04Z\", \"bob\": \"x\" }",
    };
    feed(scan, events, 4);
    assert_int_equal(filter_scan_matches(scan, 0), 4);
    struct metric_datapoint_list points;
    take(scan, &points);
    assert_int_equal(points.count, 2);
    assert_point(&points.items[0], "sizes", MINUTE_18_59, 2, 50);
    assert_dimension(&points.items[0], 0, "User", "alice");
    assert_point(&points.items[1], "sizes", MINUTE_18_59, 1, 1);
    assert_dimension(&points.items[1], 0, "User", "bob");
    metric_datapoint_list_free(&points);
    filter_scan_free(scan);
    metric_filter_list_free(&list);
}

#define EVENT(name, time) "{\"eventName\":\"" name "\",\"eventTime\":\"" time "\"}"

static void default_value_for_every_other_timed_event(void **state)
{
    (void)state;
    struct metric_filter_list list = {0};
    add_filter(&list, &(struct test_filter){.name = "deletes",
                                            .pattern = "{ $.eventName = DeleteTrail }",
                                            .value = "1",
                                            .has_default_value = true,
                                            .default_value = 0});
    /* the pre-test would set the non-matching events aside: enabling turns it off */
    struct filter_scan *scan = datapoint_scan(&list, true, METRIC_RESOLUTION_STANDARD);
    const char *events[] = {
        EVENT("DeleteTrail", "2024-10-26T18:59:01Z"),
        EVENT("GetObject", "2024-10-26T18:59:02Z"),
        EVENT("ListBuckets", "2024-10-26T18:59:03Z"),
        EVENT("GetObject", "2024-10-26T19:00:30Z"),
        "{\"eventName\":\"GetObject\"}", /* untimed and not a match: nothing, not counted */
    };
    feed(scan, events, 5);
    assert_int_equal(filter_scan_unvalidated(scan), 0);
    assert_int_equal(filter_scan_untimed(scan), 0);
    struct metric_datapoint_list points;
    take(scan, &points);
    assert_int_equal(points.count, 2);
    /* 18:59: one match (1) and two defaults (0, 0); 19:00: one default */
    assert_point(&points.items[0], "deletes", MINUTE_18_59, 3, 1);
    assert_int_equal(points.items[0].aggregate.value_count, 2);
    assert_true(points.items[0].aggregate.values[0].value == 0);
    assert_true(points.items[0].aggregate.values[0].count == 2);
    assert_point(&points.items[1], "deletes", MINUTE_19_00, 1, 0);
    metric_datapoint_list_free(&points);
    filter_scan_free(scan);
    metric_filter_list_free(&list);
}

static void pre_test_stays_without_default_values(void **state)
{
    (void)state;
    struct metric_filter_list list = {0};
    add_filter(&list, &(struct test_filter){.name = "deletes",
                                            .pattern = "{ $.eventName = DeleteTrail }",
                                            .value = "1"});
    struct filter_scan *scan = datapoint_scan(&list, true, METRIC_RESOLUTION_STANDARD);
    const char *events[] = {EVENT("DeleteTrail", "2024-10-26T18:59:01Z"),
                            EVENT("GetObject", "2024-10-26T18:59:02Z")};
    feed(scan, events, 2);
    assert_int_equal(filter_scan_unvalidated(scan), 1);
    struct metric_datapoint_list points;
    take(scan, &points);
    assert_int_equal(points.count, 1);
    assert_point(&points.items[0], "deletes", MINUTE_18_59, 1, 1);
    metric_datapoint_list_free(&points);
    filter_scan_free(scan);
    metric_filter_list_free(&list);
}

static void definitions_the_scan_cannot_publish_are_refused(void **state)
{
    (void)state;
    struct metric_filter_list list = {0};
    add_filter(&list, &(struct test_filter){.name = "both",
                                            .pattern = "",
                                            .value = "1",
                                            .dimension_names = {"A"},
                                            .dimension_references = {"$.a"},
                                            .dimension_count = 1,
                                            .has_default_value = true});
    struct metrics_error error;
    struct filter_scan *scan = filter_scan_create(&list, false, &error);
    assert_false(filter_scan_enable_datapoints(scan, 60, &error));
    assert_non_null(strstr(error.message, "cannot have a defaultValue"));
    filter_scan_free(scan);
    metric_filter_list_free(&list);

    add_filter(&list, &(struct test_filter){.name = "bad",
                                            .pattern = "",
                                            .value = "1",
                                            .dimension_names = {"A"},
                                            .dimension_references = {"a"},
                                            .dimension_count = 1});
    scan = filter_scan_create(&list, false, &error);
    assert_false(filter_scan_enable_datapoints(scan, 60, &error));
    assert_non_null(strstr(error.message, "not a field reference"));
    /* the scan still works without data points */
    const char *events[] = {EVENT("GetObject", "2024-10-26T18:59:02Z")};
    feed(scan, events, 1);
    assert_int_equal(filter_scan_matches(scan, 0), 1);
    filter_scan_free(scan);
    metric_filter_list_free(&list);
}

static void filters_on_one_metric_merge(void **state)
{
    (void)state;
    struct metric_filter_list list = {0};
    add_filter(&list, &(struct test_filter){.name = "a",
                                            .pattern = "{ $.eventName = DeleteTrail }",
                                            .value = "1",
                                            .metric_name = "Changes"});
    add_filter(&list, &(struct test_filter){.name = "b",
                                            .pattern = "{ $.eventName = StopLogging }",
                                            .value = "2",
                                            .metric_name = "Changes"});
    add_filter(&list, &(struct test_filter){.name = "c",
                                            .pattern = "{ $.eventName = StopLogging }",
                                            .value = "5",
                                            .metric_name = "Changes",
                                            .unit = "Count"});
    struct filter_scan *scan = datapoint_scan(&list, true, METRIC_RESOLUTION_STANDARD);
    const char *events[] = {EVENT("DeleteTrail", "2024-10-26T18:59:01Z"),
                            EVENT("StopLogging", "2024-10-26T18:59:02Z")};
    feed(scan, events, 2);
    struct metric_datapoint_list points;
    take(scan, &points);
    /* one metric and bucket, two units: Count (5) sorts before None (1 + 2) */
    assert_int_equal(points.count, 2);
    assert_string_equal(points.items[0].unit, "Count");
    assert_point(&points.items[0], "Changes", MINUTE_18_59, 1, 5);
    assert_string_equal(points.items[1].unit, "None");
    assert_point(&points.items[1], "Changes", MINUTE_18_59, 2, 3);
    metric_datapoint_list_free(&points);
    filter_scan_free(scan);
    metric_filter_list_free(&list);
}

/* Two scans sharing the events, merged by copying or by moving (`moving`), give one scan's
 * points; returns the two for further checks. */
static void merge_halves(struct metric_filter_list *list, bool moving, struct filter_scan **first,
                         struct filter_scan **second)
{
    add_filter(list, &(struct test_filter){.name = "bytes",
                                           .pattern = "{ $.eventName = GetObject }",
                                           .value = "$.bytes"});
    add_filter(list, &(struct test_filter){.name = "logins",
                                           .pattern = "{ $.eventName = ConsoleLogin }",
                                           .value = "1"});
    const char *events[] = {
        DOWNLOAD("2024-10-26T18:59:01Z", "10"), DOWNLOAD("2024-10-26T18:59:02Z", "5"),
        LOGIN("2024-10-26T18:59:03Z"),          DOWNLOAD("2024-10-26T19:00:03Z", "7"),
        DOWNLOAD("2024-10-26T18:59:04Z", "5"),  LOGIN("no time"),
    };
    *first = datapoint_scan(list, true, METRIC_RESOLUTION_STANDARD);
    *second = datapoint_scan(list, true, METRIC_RESOLUTION_STANDARD);
    feed(*first, events, 3);
    feed(*second, events + 3, 3);
    assert_true(moving ? filter_scan_merge_take(*first, *second)
                       : filter_scan_merge(*first, *second));
    assert_int_equal(filter_scan_untimed(*first), 1);
    struct metric_datapoint_list points;
    take(*first, &points);
    assert_int_equal(points.count, 3);
    /* bytes 18:59: 10 + 5 + 5; bytes 19:00: 7; logins 18:59: 1 */
    assert_point(&points.items[0], "bytes", MINUTE_18_59, 3, 20);
    assert_int_equal(points.items[0].aggregate.value_count, 2);
    assert_true(points.items[0].aggregate.values[0].count == 2); /* 5 twice */
    assert_point(&points.items[1], "bytes", MINUTE_19_00, 1, 7);
    assert_point(&points.items[2], "logins", MINUTE_18_59, 1, 1);
    metric_datapoint_list_free(&points);
}

/* Moving hands over the point `first` lacked (bytes 19:00) and keeps the one it merged. */
static void merged_by_moving_equal_one_scan(void **state)
{
    (void)state;
    struct metric_filter_list list = {0};
    struct filter_scan *first, *second;
    merge_halves(&list, true, &first, &second);
    struct metric_datapoint_list left;
    take(second, &left);
    assert_int_equal(left.count, 1);
    assert_point(&left.items[0], "bytes", MINUTE_18_59, 1, 5);
    metric_datapoint_list_free(&left);
    filter_scan_free(first);
    filter_scan_free(second);
    metric_filter_list_free(&list);
}

static void merged_scans_equal_one_scan(void **state)
{
    (void)state;
    struct metric_filter_list list = {0};
    struct filter_scan *first, *second;
    merge_halves(&list, false, &first, &second);
    const char *events[] = {DOWNLOAD("2024-10-26T18:59:01Z", "10")};

    /* data points cannot be merged into a scan without them, nor across resolutions */
    struct metrics_error error;
    struct filter_scan *plain = filter_scan_create(&list, true, &error);
    feed(second, events, 1);
    assert_false(filter_scan_merge(plain, second));
    assert_true(filter_scan_merge(second, plain));
    struct filter_scan *seconds = datapoint_scan(&list, true, METRIC_RESOLUTION_HIGH);
    assert_false(filter_scan_merge(seconds, second));
    filter_scan_free(seconds);
    filter_scan_free(plain);
    filter_scan_free(first);
    filter_scan_free(second);
    metric_filter_list_free(&list);
}

static void a_filter_matching_every_event_stays_linear(void **state)
{
    (void)state;
    /* 200000 events over 1000 minutes, one per 0.3 s: each bucket gets 200 samples */
    struct metric_filter_list list = {0};
    add_filter(&list, &(struct test_filter){.name = "all", .pattern = "", .value = "1"});
    struct filter_scan *scan = datapoint_scan(&list, false, METRIC_RESOLUTION_STANDARD);
    char event[128];
    for (int i = 0; i < 200000; i++) {
        int64_t second = i * 3 / 10;
        int length = snprintf(event, sizeof event, "{\"eventTime\":\"2024-10-26T%02d:%02d:%02dZ\"}",
                              (int)(second / 3600), (int)(second / 60 % 60), (int)(second % 60));
        struct event_json_error error;
        assert_true(filter_scan_event(scan, event, (size_t)length, &error));
    }
    struct metric_datapoint_list points;
    take(scan, &points);
    assert_int_equal(points.count, 1000);
    for (size_t i = 0; i < points.count; i++)
        assert_true(points.items[i].aggregate.sample_count == 200);
    assert_int_equal(points.items[1].timestamp - points.items[0].timestamp, 60);
    metric_datapoint_list_free(&points);
    filter_scan_free(scan);
    metric_filter_list_free(&list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(event_times_parse),
        cmocka_unit_test(malformed_event_times_are_refused),
        cmocka_unit_test(buckets_floor_to_the_resolution),
        cmocka_unit_test(matches_fill_minute_buckets),
        cmocka_unit_test(log_events_are_stamped_with_their_timestamp),
        cmocka_unit_test(high_resolution_buckets_are_seconds),
        cmocka_unit_test(invalid_resolution_and_second_enable_are_refused),
        cmocka_unit_test(metric_values_from_a_selector),
        cmocka_unit_test(dimensions_split_metrics),
        cmocka_unit_test(space_delimited_fields_give_values_and_dimensions),
        cmocka_unit_test(default_value_for_every_other_timed_event),
        cmocka_unit_test(pre_test_stays_without_default_values),
        cmocka_unit_test(definitions_the_scan_cannot_publish_are_refused),
        cmocka_unit_test(filters_on_one_metric_merge),
        cmocka_unit_test(merged_scans_equal_one_scan),
        cmocka_unit_test(merged_by_moving_equal_one_scan),
        cmocka_unit_test(a_filter_matching_every_event_stays_linear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
