/* Evidence per bucket in the store (schema 3): merged on write with what the bucket holds,
 * merged over a window on read (one unit or all), refused without its data point, pruned
 * with it, and a damaged record reported. Expectations are worked out in the comments. */
#define _XOPEN_SOURCE 700
#include "store/store.h"

#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../support/temp_store.h"

/* 2024-03-01T10:00:00Z */
#define T_10_00 INT64_C(1709287200)

static struct metric_identity metric = {"Security", "DeniedCount", NULL, 0};

/* `events` matches of one principal at T + `second`. */
static struct metric_evidence *evidence_of(uint64_t events, const char *principal, int second)
{
    struct metric_evidence *evidence = malloc(sizeof *evidence);
    assert_non_null(evidence);
    metric_evidence_init(evidence);
    evidence->events = events;
    evidence->first_seen_ms = evidence->last_seen_ms = (T_10_00 + second) * 1000;
    evidence->top[METRIC_EVIDENCE_PRINCIPAL][0] =
        (struct metric_evidence_value){strdup(principal), events};
    evidence->top_count[METRIC_EVIDENCE_PRINCIPAL] = 1;
    char sample[96];
    snprintf(sample, sizeof sample, "{\"eventTime\":\"2024-03-01T10:%02d:%02dZ\"}", second / 60,
             second % 60);
    evidence->samples[evidence->sample_count++] = strdup(sample);
    return evidence;
}

/* A bucket of `events` samples of 1 at `start`, its evidence owned by the point. */
static struct metric_datapoint point_at(int64_t start, const char *unit, uint64_t events,
                                        const char *principal, int second)
{
    struct metric_datapoint point = {
        .unit = (char *)unit, .resolution = METRIC_RESOLUTION_STANDARD, .timestamp = start};
    point.identity = metric;
    metric_aggregate_init(&point.aggregate);
    assert_true(metric_aggregate_add(&point.aggregate, 1, (double)events));
    point.evidence = evidence_of(events, principal, second);
    return point;
}

static void free_point(struct metric_datapoint *point)
{
    metric_aggregate_free(&point->aggregate);
    metric_evidence_free(point->evidence);
    free(point->evidence);
}

static void write_points(struct store *store, struct metric_datapoint *points, size_t count)
{
    struct store_error error;
    assert_true(store_begin(store, &error));
    if (!store_datapoints_add(store, points, count, &error) ||
        !store_evidence_add(store, points, count, &error))
        fail_msg("%s", error.message);
    assert_true(store_commit(store, &error));
    for (size_t i = 0; i < count; i++)
        free_point(&points[i]);
}

static void read_window(struct store *store, const char *unit, int64_t from, int64_t to,
                        struct metric_evidence *evidence)
{
    struct store_error error;
    if (!store_evidence_read(store, &metric, unit, METRIC_RESOLUTION_STANDARD, from, to, evidence,
                             &error))
        fail_msg("%s", error.message);
}

static struct store *open_memory(void)
{
    struct store_error error;
    struct store *store = store_open(":memory:", &error);
    assert_non_null(store);
    return store;
}

/* Buckets 10:00 (alice 2 at :10), 10:01 (bob 1 at 1:05), 10:02 (bob 4 at 2:30) in Count,
 * and 10:00 (carol 1 at :01) in Seconds. [10:00, 10:02) of Count: alice 2, bob 1, events 3,
 * first 10:00:10, last 10:01:05. All units: carol joins, first 10:00:01. */
static void windows_merge_their_buckets(void **state)
{
    (void)state;
    struct store *store = open_memory();
    struct metric_datapoint points[] = {
        point_at(T_10_00, "Count", 2, "alice", 10),
        point_at(T_10_00 + 60, "Count", 1, "bob", 65),
        point_at(T_10_00 + 120, "Count", 4, "bob", 150),
        point_at(T_10_00, "Seconds", 1, "carol", 1),
    };
    write_points(store, points, 4);
    struct metric_evidence evidence;
    read_window(store, "Count", T_10_00, T_10_00 + 120, &evidence);
    assert_int_equal(evidence.events, 3);
    assert_int_equal(evidence.first_seen_ms, (T_10_00 + 10) * 1000);
    assert_int_equal(evidence.last_seen_ms, (T_10_00 + 65) * 1000);
    assert_int_equal(evidence.top_count[METRIC_EVIDENCE_PRINCIPAL], 2);
    assert_string_equal(evidence.top[METRIC_EVIDENCE_PRINCIPAL][0].value, "alice");
    assert_int_equal(evidence.top[METRIC_EVIDENCE_PRINCIPAL][0].count, 2);
    assert_string_equal(evidence.top[METRIC_EVIDENCE_PRINCIPAL][1].value, "bob");
    assert_int_equal(evidence.sample_count, 2);
    metric_evidence_free(&evidence);

    read_window(store, NULL, T_10_00, T_10_00 + 180, &evidence);
    assert_int_equal(evidence.events, 8);
    assert_int_equal(evidence.first_seen_ms, (T_10_00 + 1) * 1000);
    assert_string_equal(evidence.top[METRIC_EVIDENCE_PRINCIPAL][0].value, "bob"); /* 5 */
    assert_string_equal(evidence.samples[0], "{\"eventTime\":\"2024-03-01T10:00:01Z\"}");
    metric_evidence_free(&evidence);

    /* nothing in the window, or another resolution: no evidence */
    read_window(store, "Count", T_10_00 + 180, T_10_00 + 600, &evidence);
    assert_int_equal(evidence.events, 0);
    assert_int_equal(evidence.first_seen_ms, INT64_MAX);
    struct store_error error;
    assert_true(store_evidence_read(store, &metric, NULL, METRIC_RESOLUTION_HIGH, 0, INT64_MAX,
                                    &evidence, &error));
    assert_int_equal(evidence.events, 0);
    store_close(store);
}

/* A second write to a bucket merges: alice 2 + alice 3 and bob 1 → alice 5, bob 1. */
static void writes_merge_into_the_bucket(void **state)
{
    (void)state;
    struct store *store = open_memory();
    struct metric_datapoint first[] = {point_at(T_10_00, "Count", 2, "alice", 10)};
    write_points(store, first, 1);
    struct metric_datapoint second[] = {point_at(T_10_00, "Count", 3, "alice", 20),
                                        point_at(T_10_00, "Count", 1, "bob", 5)};
    write_points(store, second, 2);
    struct metric_evidence evidence;
    read_window(store, "Count", T_10_00, T_10_00 + 60, &evidence);
    assert_int_equal(evidence.events, 6);
    assert_int_equal(evidence.top[METRIC_EVIDENCE_PRINCIPAL][0].count, 5);
    assert_int_equal(evidence.top[METRIC_EVIDENCE_PRINCIPAL][1].count, 1);
    assert_int_equal(evidence.first_seen_ms, (T_10_00 + 5) * 1000);
    assert_int_equal(evidence.last_seen_ms, (T_10_00 + 20) * 1000);
    assert_int_equal(evidence.sample_count, 3);
    metric_evidence_free(&evidence);
    store_close(store);
}

/* Evidence needs its bucket: without the data point the whole call is refused and nothing
 * stays; points without evidence are skipped. */
static void evidence_needs_its_data_point(void **state)
{
    (void)state;
    struct store *store = open_memory();
    struct metric_datapoint stored = point_at(T_10_00, "Count", 1, "alice", 1);
    write_points(store, &stored, 1);
    struct metric_datapoint points[] = {point_at(T_10_00, "Count", 1, "bob", 2),
                                        point_at(T_10_00 + 60, "Count", 1, "bob", 62),
                                        point_at(T_10_00, "Other", 1, "bob", 3)};
    struct store_error error = {{0}};
    assert_false(store_evidence_add(store, points, 2, &error)); /* 10:01 has no bucket */
    assert_non_null(strstr(error.message, "FOREIGN KEY"));
    assert_false(store_evidence_add(store, &points[2], 1, &error)); /* no such metric */
    assert_non_null(strstr(error.message, "no data point there"));
    struct metric_evidence evidence;
    read_window(store, NULL, 0, INT64_MAX, &evidence);
    assert_int_equal(evidence.events, 1); /* bob's 10:00 evidence was rolled back */
    metric_evidence_free(&evidence);
    for (size_t i = 0; i < 3; i++) {
        metric_evidence_free(points[i].evidence);
        free(points[i].evidence);
        points[i].evidence = NULL;
    }
    assert_true(store_evidence_add(store, points, 3, &error)); /* nothing to write */
    for (size_t i = 0; i < 3; i++)
        free_point(&points[i]);
    store_close(store);
}

static void pruned_with_its_bucket(void **state)
{
    (void)state;
    struct store *store = open_memory();
    struct metric_datapoint points[] = {point_at(T_10_00, "Count", 1, "alice", 1),
                                        point_at(T_10_00 + 60, "Count", 1, "bob", 61)};
    write_points(store, points, 2);
    struct store_error error;
    assert_true(store_prune(store, T_10_00 + 60, 0, &error));
    struct metric_evidence evidence;
    read_window(store, NULL, 0, INT64_MAX, &evidence);
    assert_int_equal(evidence.events, 1);
    assert_string_equal(evidence.top[METRIC_EVIDENCE_PRINCIPAL][0].value, "bob");
    metric_evidence_free(&evidence);
    store_close(store);
}

/* A record that is valid JSON but not evidence is reported, on read and on merge. */
static void damaged_record_is_reported(void **state)
{
    (void)state;
    struct temp_store temp;
    temp_store_make(&temp, "test_store_evidence", "t.db", false);
    const char *path = temp.database;
    struct store_error error;
    struct store *store = store_open(path, &error);
    assert_non_null(store);
    struct metric_datapoint point = point_at(T_10_00, "Count", 1, "alice", 1);
    write_points(store, &point, 1);
    store_close(store);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db, "UPDATE bucket_evidence SET evidence_json = '{}'", NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);
    store = store_open(path, &error);
    assert_non_null(store);
    struct metric_evidence evidence;
    assert_false(store_evidence_read(store, &metric, NULL, METRIC_RESOLUTION_STANDARD, 0, INT64_MAX,
                                     &evidence, &error));
    assert_non_null(strstr(error.message, "every key is required"));
    assert_int_equal(evidence.events, 0);
    point = point_at(T_10_00, "Count", 1, "bob", 2);
    assert_false(store_evidence_add(store, &point, 1, &error));
    assert_non_null(strstr(error.message, "stored evidence of DeniedCount"));
    free_point(&point);
    store_close(store);
    assert_int_equal(temp_store_remove(&temp), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(windows_merge_their_buckets),
        cmocka_unit_test(writes_merge_into_the_bucket),
        cmocka_unit_test(evidence_needs_its_data_point),
        cmocka_unit_test(pruned_with_its_bucket),
        cmocka_unit_test(damaged_record_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
