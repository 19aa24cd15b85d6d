/* Evidence gathered by a scan (filter_scan_enable_evidence): per bucket, the six fields and
 * the denial kind counted, first and last seen, the earliest trimmed samples; the same result
 * whatever way the events are split between scans that are merged; nothing when it is off.
 * Expectations are worked out by hand in the comments. */
#include "metrics/metrics.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* 2024-03-01T10:00:00Z: 2024-01-01 is 1704067200, then 31 + 29 days and 10 hours. */
#define T_10_00 (1704067200LL + 60 * 86400LL + 10 * 3600LL)

#define NO_IDENTITY_POLICY                                                                         \
    "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: "                      \
    "ec2:GetPasswordData on resource: arn:aws:ec2:us-east-1:111122223333:instance/i-0abc "         \
    "because no identity-based policy allows the ec2:GetPasswordData action"

/* Written as CloudTrail writes them; `time` is the seconds of 10:MM:SS. */
static char *event(const char *time, const char *user, const char *ip, const char *name,
                   const char *code, const char *message)
{
    char *text = malloc(2048);
    assert_non_null(text);
    snprintf(text, 2048,
             "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":"
             "\"arn:aws:iam::111122223333:user/%s\",\"accountId\":\"111122223333\"},"
             "\"eventTime\":\"2024-03-01T10:%sZ\",\"eventSource\":\"ec2.amazonaws.com\","
             "\"eventName\":\"%s\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"%s\","
             "\"recipientAccountId\":\"111122223333\",\"errorCode\":\"%s\","
             "\"errorMessage\":\"%s\"}",
             user, time, name, ip, code, message);
    return text;
}

static struct filter_scan *denied_scan(bool evidence, int resolution)
{
    struct metric_filter_list filters = {0};
    struct metric_filter_definition definition = {
        .filter_name = "denied",
        .filter_pattern =
            "{ ($.errorCode = \"*UnauthorizedOperation\") || ($.errorCode = \"AccessDenied*\") }",
        .transformation = {.metric_name = "DeniedCount",
                           .metric_namespace = "Security",
                           .metric_value = "1",
                           .unit = "Count"},
    };
    assert_true(metric_filter_list_append(&filters, &definition));
    struct metrics_error error;
    struct filter_scan *scan = filter_scan_create(&filters, true, &error);
    assert_non_null(scan);
    metric_filter_list_free(&filters);
    if (!filter_scan_enable_datapoints(scan, resolution, &error) ||
        (evidence && !filter_scan_enable_evidence(scan, &error)))
        fail_msg("%s", error.message);
    return scan;
}

static void scan_text(struct filter_scan *scan, char *text)
{
    struct event_json_error error;
    if (!filter_scan_event(scan, text, strlen(text), &error))
        fail_msg("invalid at %zu: %s", error.offset, error.reason);
    free(text);
}

static char *point_json(const struct metric_datapoint *point)
{
    assert_non_null(point->evidence);
    char *text = metric_evidence_to_json(point->evidence);
    assert_non_null(text);
    return text;
}

#define ALICE_SAMPLE                                                                               \
    "{\"eventTime\":\"2024-03-01T10:00:10Z\",\"eventName\":\"DescribeInstances\","                 \
    "\"eventSource\":\"ec2.amazonaws.com\",\"errorCode\":\"Client.UnauthorizedOperation\","        \
    "\"errorMessage\":\"You are not authorized to perform this operation.\","                      \
    "\"sourceIPAddress\":\"203.0.113.7\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":"          \
    "\"arn:aws:iam::111122223333:user/alice\"},\"awsRegion\":\"us-east-1\","                       \
    "\"recipientAccountId\":\"111122223333\"}"
/* its errorMessage cut at 200 characters (of 225) */
#define BOB_SAMPLE(time)                                                                           \
    "{\"eventTime\":\"2024-03-01T10:" time "Z\",\"eventName\":\"GetPasswordData\","                \
    "\"eventSource\":\"ec2.amazonaws.com\",\"errorCode\":\"AccessDenied\",\"errorMessage\":\""     \
    "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: "                      \
    "ec2:GetPasswordData on resource: arn:aws:ec2:us-east-1:111122223333:instance/i-0abc "         \
    "because no identity-based policy allows the e\","                                             \
    "\"sourceIPAddress\":\"198.51.100.9\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":"         \
    "\"arn:aws:iam::111122223333:user/bob\"},\"awsRegion\":\"us-east-1\","                         \
    "\"recipientAccountId\":\"111122223333\"}"

static void scan_denied_events(struct filter_scan *scan)
{
    scan_text(scan, event("00:50", "bob", "198.51.100.9", "GetPasswordData", "AccessDenied",
                          NO_IDENTITY_POLICY));
    scan_text(scan, event("00:10", "alice", "203.0.113.7", "DescribeInstances",
                          "Client.UnauthorizedOperation",
                          "You are not authorized to perform this operation."));
    scan_text(scan, event("00:20", "bob", "198.51.100.9", "GetPasswordData", "AccessDenied",
                          NO_IDENTITY_POLICY));
    scan_text(scan, event("01:05", "bob", "198.51.100.9", "GetPasswordData", "AccessDenied",
                          "Access Denied"));
    /* no errorCode: not a match */
    scan_text(scan, strdup("{\"eventTime\":\"2024-03-01T10:00:30Z\",\"eventName\":\"X\"}"));
}

/* Bucket 10:00 holds three matches: bob twice (AccessDenied, a no-identity-policy denial),
 * alice once (not an AccessDenied code, so no denial kind); samples by time :10, :20, :50.
 * Bucket 10:01 holds bob's "Access Denied", which names no kind. */
static void evidence_per_bucket(void **state)
{
    (void)state;
    struct filter_scan *scan = denied_scan(true, METRIC_RESOLUTION_STANDARD);
    scan_denied_events(scan);
    struct metric_datapoint_list points = {0};
    assert_true(filter_scan_take_datapoints(scan, &points));
    assert_int_equal(points.count, 2);
    assert_int_equal(points.items[0].timestamp, T_10_00);
    char *text = point_json(&points.items[0]);
    assert_string_equal(
        text,
        "{\"events\":3,\"firstSeen\":\"2024-03-01T10:00:10Z\",\"lastSeen\":\"2024-03-01T10:00:"
        "50Z\","
        "\"principals\":[{\"value\":\"arn:aws:iam::111122223333:user/bob\",\"count\":2},"
        "{\"value\":\"arn:aws:iam::111122223333:user/alice\",\"count\":1}],"
        "\"sourceIPs\":[{\"value\":\"198.51.100.9\",\"count\":2},{\"value\":\"203.0.113.7\","
        "\"count\":1}],\"eventNames\":[{\"value\":\"GetPasswordData\",\"count\":2},{\"value\":"
        "\"DescribeInstances\",\"count\":1}],\"errorCodes\":[{\"value\":\"AccessDenied\","
        "\"count\":2},{\"value\":\"Client.UnauthorizedOperation\",\"count\":1}],\"accounts\":"
        "[{\"value\":\"111122223333\",\"count\":3}],\"regions\":[{\"value\":\"us-east-1\","
        "\"count\":3}],\"denials\":[{\"value\":\"no identity-based policy allows the action\","
        "\"count\":2}],\"samples\":[" ALICE_SAMPLE
        "," BOB_SAMPLE("00:20") "," BOB_SAMPLE("00:50") "]}");
    free(text);
    assert_int_equal(points.items[1].timestamp, T_10_00 + 60);
    assert_int_equal(points.items[1].evidence->events, 1);
    assert_int_equal(points.items[1].evidence->top_count[METRIC_EVIDENCE_DENIAL], 0);
    metric_datapoint_list_free(&points);
    filter_scan_free(scan);
}

/* Seven matches at :30, :10, :50, :20, :40, :00, :05 keep :00, :05, :10, :20, :30. */
static void earliest_five_samples(void **state)
{
    (void)state;
    struct filter_scan *scan = denied_scan(true, METRIC_RESOLUTION_STANDARD);
    const char *seconds[] = {"30", "10", "50", "20", "40", "00", "05"};
    for (size_t i = 0; i < 7; i++) {
        char time[8];
        snprintf(time, sizeof time, "00:%s", seconds[i]);
        scan_text(scan, event(time, "bob", "198.51.100.9", "GetPasswordData", "AccessDenied", "x"));
    }
    struct metric_datapoint_list points = {0};
    assert_true(filter_scan_take_datapoints(scan, &points));
    const struct metric_evidence *evidence = points.items[0].evidence;
    assert_int_equal(evidence->events, 7);
    assert_int_equal(evidence->first_seen_ms, T_10_00 * 1000);
    assert_int_equal(evidence->last_seen_ms, (T_10_00 + 50) * 1000);
    assert_int_equal(evidence->sample_count, 5);
    const char *kept[] = {"00", "05", "10", "20", "30"};
    for (size_t i = 0; i < 5; i++) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "{\"eventTime\":\"2024-03-01T10:00:%sZ\"", kept[i]);
        assert_int_equal(strncmp(evidence->samples[i], prefix, strlen(prefix)), 0);
    }
    metric_datapoint_list_free(&points);
    filter_scan_free(scan);
}

/* errorMessage keeps 200 characters (here two-byte ones: 400 bytes); control characters are
 * escaped as jansson escapes them, so the sample survives the JSON round trip byte for byte;
 * a value holding NUL is cut there. */
static void samples_are_trimmed(void **state)
{
    (void)state;
    struct filter_scan *scan = denied_scan(true, METRIC_RESOLUTION_STANDARD);
    char message[1024] = "";
    for (int i = 0; i < 250; i++)
        strcat(message, "\xc3\xa9");
    scan_text(scan, event("00:01", "bob\\n\\u0001", "198.51.100.9\\u0000junk", "Get",
                          "AccessDenied", message));
    struct metric_datapoint_list points = {0};
    assert_true(filter_scan_take_datapoints(scan, &points));
    const struct metric_evidence *evidence = points.items[0].evidence;
    const char *sample = evidence->samples[0];
    const char *start = strstr(sample, "\"errorMessage\":\"") + 16;
    assert_int_equal(strchr(start, '"') - start, 400);
    assert_non_null(strstr(sample, "\"arn\":\"arn:aws:iam::111122223333:user/bob\\n\\u0001\""));
    assert_non_null(strstr(sample, "\"sourceIPAddress\":\"198.51.100.9\","));
    assert_string_equal(evidence->top[METRIC_EVIDENCE_SOURCE_IP][0].value, "198.51.100.9");
    char *text = metric_evidence_to_json(evidence);
    struct metric_evidence read;
    struct metrics_error error;
    assert_true(metric_evidence_from_json(text, &read, &error));
    assert_string_equal(read.samples[0], sample);
    char *again = metric_evidence_to_json(&read);
    assert_string_equal(again, text);
    free(again);
    free(text);
    metric_evidence_free(&read);
    metric_datapoint_list_free(&points);
    filter_scan_free(scan);
}

/* Eight matches in one second and one bucket, with different event names: the samples kept
 * are the five smallest texts, whether one scan reads them all or three scans share them and
 * are merged (as the threads of `scan --threads` are). */
static void merged_scans_agree(void **state)
{
    (void)state;
    const char *names[] = {"H", "C", "F", "A", "G", "B", "E", "D"};
    struct filter_scan *whole = denied_scan(true, METRIC_RESOLUTION_STANDARD);
    struct filter_scan *parts[3];
    for (size_t p = 0; p < 3; p++)
        parts[p] = denied_scan(true, METRIC_RESOLUTION_STANDARD);
    for (size_t i = 0; i < 8; i++) {
        scan_text(whole, event("00:07", "bob", "198.51.100.9", names[i], "AccessDenied", "m"));
        scan_text(parts[i % 3], event("00:07", i < 4 ? "bob" : "eve", "198.51.100.9", names[i],
                                      "AccessDenied", "m"));
    }
    assert_true(filter_scan_merge(parts[0], parts[1]));
    assert_true(filter_scan_merge(parts[0], parts[2]));
    struct metric_datapoint_list one = {0}, merged = {0};
    assert_true(filter_scan_take_datapoints(whole, &one));
    assert_true(filter_scan_take_datapoints(parts[0], &merged));
    const struct metric_evidence *evidence = merged.items[0].evidence;
    assert_int_equal(evidence->events, 8);
    for (size_t i = 0; i < 5; i++) {
        /* the samples differ first at eventName: A, B, C, D, E */
        char name[32];
        snprintf(name, sizeof name, "\"eventName\":\"%c\"", 'A' + (int)i);
        assert_non_null(strstr(one.items[0].evidence->samples[i], name));
        assert_non_null(strstr(evidence->samples[i], name));
    }
    /* principals: bob 4, eve 4 in the merged scans (tie: bytes), bob 8 in the whole */
    assert_string_equal(evidence->top[METRIC_EVIDENCE_PRINCIPAL][0].value,
                        "arn:aws:iam::111122223333:user/bob");
    assert_int_equal(evidence->top[METRIC_EVIDENCE_PRINCIPAL][1].count, 4);
    metric_datapoint_list_free(&one);
    metric_datapoint_list_free(&merged);
    filter_scan_free(whole);
    for (size_t p = 0; p < 3; p++)
        filter_scan_free(parts[p]);
}

/* A crowded bucket: 40 other users and addresses once each, beside bob from 203.0.113.7
 * ten times. Beyond 32 distinct values a list evicts its least counted (short values kept
 * in the list's items, long ones allocated: both are freed); the heavy hitter stays exact. */
static void crowded_bucket_keeps_its_heavy_hitter(void **state)
{
    (void)state;
    struct filter_scan *scan = denied_scan(true, METRIC_RESOLUTION_STANDARD);
    for (size_t i = 0; i < 50; i++) {
        char user[64], ip[32];
        bool heavy = i % 5 == 0;
        snprintf(user, sizeof user, heavy ? "bob" : "someone-with-a-long-name-%02zu", i);
        snprintf(ip, sizeof ip, heavy ? "203.0.113.7" : "198.51.100.%zu", i);
        scan_text(scan, event("00:07", user, ip, "Get", "AccessDenied", "m"));
    }
    struct metric_datapoint_list points = {0};
    assert_true(filter_scan_take_datapoints(scan, &points));
    assert_int_equal(points.count, 1);
    const struct metric_evidence *evidence = points.items[0].evidence;
    assert_int_equal(evidence->events, 50);
    assert_int_equal(evidence->top_count[METRIC_EVIDENCE_PRINCIPAL], METRIC_EVIDENCE_TOP);
    assert_string_equal(evidence->top[METRIC_EVIDENCE_PRINCIPAL][0].value,
                        "arn:aws:iam::111122223333:user/bob");
    assert_int_equal(evidence->top[METRIC_EVIDENCE_PRINCIPAL][0].count, 10);
    assert_int_equal(evidence->top_count[METRIC_EVIDENCE_SOURCE_IP], METRIC_EVIDENCE_TOP);
    assert_string_equal(evidence->top[METRIC_EVIDENCE_SOURCE_IP][0].value, "203.0.113.7");
    assert_int_equal(evidence->top[METRIC_EVIDENCE_SOURCE_IP][0].count, 10);
    /* the others all count 1, or what they inherited from an evicted value */
    assert_true(evidence->top[METRIC_EVIDENCE_SOURCE_IP][1].count < 10);
    metric_datapoint_list_free(&points);
    filter_scan_free(scan);
}

/* A bucket (10:00, 10:01) only one thread saw is moved into the merged scan with its evidence
 * (counts, top values, samples) as that thread gathered it, the same as one scan's. */
static void moved_evidence_is_kept(void **state)
{
    (void)state;
    const char *names[] = {"H", "C", "F", "A", "G", "B", "E", "D"};
    struct filter_scan *whole = denied_scan(true, METRIC_RESOLUTION_STANDARD);
    struct filter_scan *parts[2] = {denied_scan(true, METRIC_RESOLUTION_STANDARD),
                                    denied_scan(true, METRIC_RESOLUTION_STANDARD)};
    for (size_t i = 0; i < 8; i++) {
        for (size_t copy = 0; copy < 2; copy++)
            scan_text(copy ? parts[i % 2] : whole,
                      event(i % 2 ? "01:07" : "00:07", i < 4 ? "bob" : "eve", "198.51.100.9",
                            names[i], "AccessDenied", "m"));
    }
    assert_true(filter_scan_merge_take(parts[0], parts[1]));
    struct metric_datapoint_list one = {0}, merged = {0}, left = {0};
    assert_true(filter_scan_take_datapoints(whole, &one));
    assert_true(filter_scan_take_datapoints(parts[0], &merged));
    assert_true(filter_scan_take_datapoints(parts[1], &left));
    assert_int_equal(left.count, 0); /* handed over */
    assert_int_equal(one.count, 2);
    assert_int_equal(merged.count, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(merged.items[i].evidence->events, 4);
        char *expected = metric_evidence_to_json(one.items[i].evidence);
        char *actual = metric_evidence_to_json(merged.items[i].evidence);
        assert_non_null(expected);
        assert_non_null(actual);
        assert_string_equal(actual, expected);
        free(expected);
        free(actual);
    }
    metric_datapoint_list_free(&one);
    metric_datapoint_list_free(&merged);
    metric_datapoint_list_free(&left);
    filter_scan_free(whole);
    filter_scan_free(parts[0]);
    filter_scan_free(parts[1]);
}

/* Two filters on one metric: the bucket's evidence counts both matches. */
static void filters_sharing_a_metric(void **state)
{
    (void)state;
    struct metric_filter_list filters = {0};
    const char *patterns[] = {"{ $.errorCode = \"AccessDenied\" }", "{ $.eventName = \"Get\" }"};
    for (size_t i = 0; i < 2; i++) {
        struct metric_filter_definition definition = {
            .filter_name = i ? "b" : "a",
            .filter_pattern = (char *)patterns[i],
            .transformation = {.metric_name = "Shared",
                               .metric_namespace = "T",
                               .metric_value = "1"},
        };
        assert_true(metric_filter_list_append(&filters, &definition));
    }
    struct metrics_error error;
    struct filter_scan *scan = filter_scan_create(&filters, false, &error);
    assert_non_null(scan);
    metric_filter_list_free(&filters);
    assert_true(filter_scan_enable_datapoints(scan, METRIC_RESOLUTION_STANDARD, &error));
    assert_true(filter_scan_enable_evidence(scan, &error));
    scan_text(scan, event("00:01", "bob", "198.51.100.9", "Get", "AccessDenied", "m"));
    struct metric_datapoint_list points = {0};
    assert_true(filter_scan_take_datapoints(scan, &points));
    assert_int_equal(points.count, 1);
    assert_int_equal(points.items[0].aggregate.sample_count, 2);
    assert_int_equal(points.items[0].evidence->events, 2);
    assert_int_equal(points.items[0].evidence->top[METRIC_EVIDENCE_EVENT_NAME][0].count, 2);
    /* one event, one sample text: both matches offered it, the merge kept both */
    assert_int_equal(points.items[0].evidence->sample_count, 2);
    assert_string_equal(points.items[0].evidence->samples[0], points.items[0].evidence->samples[1]);
    metric_datapoint_list_free(&points);
    filter_scan_free(scan);
}

static void evidence_off_and_misuse(void **state)
{
    (void)state;
    struct filter_scan *scan = denied_scan(false, METRIC_RESOLUTION_HIGH);
    scan_denied_events(scan);
    struct metric_datapoint_list points = {0};
    assert_true(filter_scan_take_datapoints(scan, &points));
    assert_int_equal(points.count, 4); /* 1-second buckets: 10:00:10, :20, :50, 10:01:05 */
    for (size_t i = 0; i < points.count; i++)
        assert_null(points.items[i].evidence);
    metric_datapoint_list_free(&points);
    struct metrics_error error = {{0}};
    assert_true(filter_scan_enable_evidence(scan, &error));
    assert_false(filter_scan_enable_evidence(scan, &error));
    filter_scan_free(scan);

    struct metric_filter_list filters = {0};
    struct filter_scan *bare = filter_scan_create(&filters, false, &error);
    assert_non_null(bare);
    error.message[0] = '\0';
    assert_false(filter_scan_enable_evidence(bare, &error));
    assert_non_null(strstr(error.message, "data points"));
    filter_scan_free(bare);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(evidence_per_bucket),
        cmocka_unit_test(earliest_five_samples),
        cmocka_unit_test(samples_are_trimmed),
        cmocka_unit_test(merged_scans_agree),
        cmocka_unit_test(moved_evidence_is_kept),
        cmocka_unit_test(crowded_bucket_keeps_its_heavy_hitter),
        cmocka_unit_test(filters_sharing_a_metric),
        cmocka_unit_test(evidence_off_and_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
