/* The daemon's operations statistics: a rolled-back chunk's matches are counted once when
 * its bytes are read again and kept, commits failing for 60 s make /healthz's ingestion
 * check fail and one success clears it, and the text is Prometheus's (label values
 * escaped). */
#include "daemon/daemon_internal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

static const char DENIED[] =
    "{\"eventVersion\":\"1.08\",\"eventTime\":\"2024-01-01T00:00:00Z\",\"eventName\":"
    "\"GetObject\",\"errorCode\":\"AccessDenied\",\"eventSource\":\"s3.amazonaws.com\","
    "\"sourceIPAddress\":\"192.0.2.1\"}";

static char *written(struct daemon_stats *stats, int64_t now_ms)
{
    struct api_buffer out = {0};
    assert_true(daemon_stats_write(stats, now_ms, &out));
    char *text = strdup(out.data);
    api_buffer_free(&out);
    return text;
}

static void rolled_back_matches_count_once(void **state)
{
    (void)state;
    struct daemon_scan scan = {.log_group = "Trail/Main"};
    struct metrics_error error;
    assert_true(metrics_cis_pack(&scan.filters));
    assert_non_null(scan.scan = filter_scan_create(&scan.filters, true, &error));
    struct daemon_stats *stats = daemon_stats_create(0);
    struct daemon_ingest_run run = {.scan = &scan, .path = "-"};
    struct event_json_error json_error;
    assert_true(filter_scan_event(scan.scan, DENIED, strlen(DENIED), &json_error));
    run.events = 1;
    daemon_stats_commit(stats, &run, NULL, false); /* rolled back: read again below */
    assert_true(filter_scan_event(scan.scan, DENIED, strlen(DENIED), &json_error));
    daemon_stats_commit(stats, &run, NULL, true);
    char *text = written(stats, 1000);
    assert_non_null(strstr(text, "trailhound_filter_matches_total{log_group=\"Trail/Main\","
                                 "filter=\"unauthorized_api_calls_metric\"} 1\n"));
    assert_non_null(strstr(text, "trailhound_filter_matches_total{log_group=\"Trail/Main\","
                                 "filter=\"root_usage_metric\"} 0\n"));
    assert_non_null(strstr(
        text, "trailhound_events_read_total{log_group=\"Trail/Main\",source=\"stdin\"} 1\n"));
    assert_non_null(strstr(text, "trailhound_commits_total 1\n"));
    assert_non_null(strstr(text, "trailhound_commit_failures_total 1\n"));
    free(text);
    daemon_stats_free(stats);
    free(scan.matches_counted);
    filter_scan_free(scan.scan);
    metric_filter_list_free(&scan.filters);
}

static void failing_commits_make_ingestion_stuck(void **state)
{
    (void)state;
    struct daemon_stats *stats = daemon_stats_create(0);
    struct daemon_stats_commit failed = {.log_group = "g", .source_kind = "file"};
    struct daemon_stats_commit kept = {.log_group = "g", .source_kind = "file", .committed = true};
    char reason[128] = "";
    daemon_stats_record(stats, &failed, 1000);
    daemon_stats_record(stats, &failed, 31000); /* the streak started at 1000 */
    assert_true(daemon_stats_healthy(stats, 60999, reason, sizeof reason));
    assert_false(daemon_stats_healthy(stats, 61000, reason, sizeof reason));
    assert_string_equal(reason, "ingestion stuck: commits failing for 60 s");
    char *text = written(stats, 61000);
    assert_non_null(strstr(text, "trailhound_ingestion_failing_seconds 60\n"));
    free(text);
    daemon_stats_record(stats, &kept, 62000);
    assert_true(daemon_stats_healthy(stats, 200000, reason, sizeof reason));
    text = written(stats, 200000);
    assert_non_null(strstr(text, "trailhound_ingestion_failing_seconds 0\n"));
    free(text);
    daemon_stats_free(stats);
}

/* A refused PutLogEvents batch is retried by its client, not by the daemon: it never makes
 * ingestion "stuck"; a file failure does until a commit succeeds or the retries settle. */
static void only_retried_failures_count_as_stuck(void **state)
{
    (void)state;
    struct daemon_stats *stats = daemon_stats_create(0);
    struct daemon_stats_commit refused = {.log_group = "g", .source_kind = "api"};
    struct daemon_stats_commit failed = {.log_group = "g", .source_kind = "file"};
    char reason[128] = "";
    daemon_stats_record(stats, &refused, 1000);
    assert_true(daemon_stats_healthy(stats, 100000, reason, sizeof reason));
    daemon_stats_record(stats, &failed, 100000);
    assert_false(daemon_stats_healthy(stats, 170000, reason, sizeof reason));
    daemon_stats_retries_settled(stats);
    assert_true(daemon_stats_healthy(stats, 170000, reason, sizeof reason));
    char *text = written(stats, 170000);
    assert_non_null(strstr(text, "trailhound_commit_failures_total 2\n"));
    free(text);
    daemon_stats_free(stats);
}

static void label_values_escaped(void **state)
{
    (void)state;
    struct api_buffer out = {0};
    const char *labels[] = {"filter", "a \"b\" \\ c\nd", "log_group", "g"};
    api_prometheus_family(&out, "trailhound_x_total", "counter", "Help \\ with\nlines.");
    api_prometheus_sample(&out, "trailhound_x_total", labels, 2, 3);
    api_prometheus_sample(&out, "trailhound_x_total", NULL, 0, 0.25);
    assert_string_equal(out.data, "# HELP trailhound_x_total Help \\\\ with\\nlines.\n"
                                  "# TYPE trailhound_x_total counter\n"
                                  "trailhound_x_total{filter=\"a \\\"b\\\" \\\\ c\\nd\","
                                  "log_group=\"g\"} 3\n"
                                  "trailhound_x_total 0.25\n");
    api_buffer_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rolled_back_matches_count_once),
        cmocka_unit_test(failing_commits_make_ingestion_stuck),
        cmocka_unit_test(only_retried_failures_count_as_stuck),
        cmocka_unit_test(label_values_escaped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
