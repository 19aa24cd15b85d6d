/* A transition carries the evidence of the range it evaluated (monitor_evaluate_alarm):
 * data points and their evidence written through the store, the alarm evaluated by an
 * injected clock, the transition's evidence compared with what the range's buckets hold.
 *
 * Alarm: Sum >= 2 over 60 s, N = M = 1, so the range is 3 slots (alarms.md §5.2); evaluated
 * at 10:01:00 it reads [09:58, 10:01). Buckets: 09:50 (outside, before), 10:00 (2 matches:
 * alice at :10, bob at :50), 10:01 (outside, after). */
#include "alarms/alarms.h"
#include "monitor/monitor.h"
#include "store/store.h"
#include "store/store_internal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define T_10_00 INT64_C(1709287200)

static const struct monitor_settings settings = {.region = "us-east-1",
                                                 .account_id = "111122223333"};

static void define_alarm(struct alarm_definition *alarm)
{
    alarm_definition_init(alarm);
    alarm->alarm_name = strdup("denied-burst");
    alarm->metric.namespace_name = strdup("Security");
    alarm->metric.metric_name = strdup("DeniedCount");
    alarm->statistic = strdup("Sum");
    alarm->period = 60;
    alarm->evaluation_periods = 1;
    alarm->datapoints_to_alarm = 1;
    alarm->threshold = 2.0;
    alarm->comparison = ALARM_GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
    assert_true(alarm_treat_missing_parse("notBreaching", &alarm->treat_missing));
}

static void add_principal(struct metric_evidence *evidence, const char *arn, int second)
{
    size_t at = evidence->top_count[METRIC_EVIDENCE_PRINCIPAL]++;
    evidence->top[METRIC_EVIDENCE_PRINCIPAL][at] = (struct metric_evidence_value){strdup(arn), 1};
    evidence->events++;
    int64_t time_ms = (T_10_00 + second) * 1000;
    if (time_ms < evidence->first_seen_ms)
        evidence->first_seen_ms = time_ms;
    if (time_ms > evidence->last_seen_ms)
        evidence->last_seen_ms = time_ms;
}

/* A bucket of `principals` matches (metric value 1 each) with their evidence. */
static void write_bucket(struct store *store, const struct alarm_definition *alarm, int64_t start,
                         const char *const *principals, const int *seconds, size_t count)
{
    struct metric_evidence evidence;
    metric_evidence_init(&evidence);
    for (size_t i = 0; i < count; i++)
        add_principal(&evidence, principals[i], seconds[i]);
    struct metric_datapoint point = {.unit = "None",
                                     .resolution = METRIC_RESOLUTION_STANDARD,
                                     .timestamp = start,
                                     .evidence = &evidence};
    point.identity = alarm->metric;
    metric_aggregate_init(&point.aggregate);
    assert_true(metric_aggregate_add(&point.aggregate, 1, (double)count));
    struct store_error error;
    assert_true(store_begin(store, &error));
    assert_true(store_datapoints_add(store, &point, 1, &error));
    assert_true(store_evidence_add(store, &point, 1, &error));
    assert_true(store_commit(store, &error));
    metric_aggregate_free(&point.aggregate);
    metric_evidence_free(&evidence);
}

struct seen {
    size_t transitions;
    enum alarm_state to;
    bool had_evidence;
    char *evidence_json;
};

static bool remember(void *context, const struct monitor_transition *transition)
{
    struct seen *seen = context;
    seen->transitions++;
    seen->to = transition->to;
    seen->had_evidence = transition->evidence != NULL;
    free(seen->evidence_json);
    seen->evidence_json =
        transition->evidence ? metric_evidence_to_json(transition->evidence) : NULL;
    return true;
}

static struct store *store_with_alarm(struct alarm_definition *alarm)
{
    struct store_error error;
    struct store *store = store_open(":memory:", &error);
    assert_non_null(store);
    define_alarm(alarm);
    struct monitor_error monitor_error;
    assert_true(monitor_put_alarm(store, alarm, &settings, T_10_00 * 1000, &monitor_error));
    return store;
}

static void write_fixture(struct store *store, const struct alarm_definition *alarm)
{
    const char *const early[] = {"arn:aws:iam::111122223333:user/mallory"};
    const char *const burst[] = {"arn:aws:iam::111122223333:user/alice",
                                 "arn:aws:iam::111122223333:user/bob"};
    const char *const late[] = {"arn:aws:iam::111122223333:user/trent"};
    write_bucket(store, alarm, T_10_00 - 600, early, (const int[]){-590}, 1);
    write_bucket(store, alarm, T_10_00, burst, (const int[]){10, 50}, 2);
    write_bucket(store, alarm, T_10_00 + 60, late, (const int[]){61}, 1);
}

static void transition_carries_the_range_evidence(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    struct store *store = store_with_alarm(&alarm);
    write_fixture(store, &alarm);
    struct seen seen = {0};
    struct monitor_error error;
    if (!monitor_evaluate_alarm(store, &alarm, &settings, (T_10_00 + 60) * 1000, remember, &seen,
                                &error))
        fail_msg("%s", error.message);
    assert_int_equal(seen.transitions, 1);
    assert_int_equal(seen.to, ALARM_STATE_ALARM);
    assert_true(seen.had_evidence);
    assert_string_equal(
        seen.evidence_json,
        "{\"events\":2,\"firstSeen\":\"2024-03-01T10:00:10Z\",\"lastSeen\":\"2024-03-01T10:00:"
        "50Z\","
        "\"principals\":[{\"value\":\"arn:aws:iam::111122223333:user/alice\",\"count\":1},"
        "{\"value\":\"arn:aws:iam::111122223333:user/bob\",\"count\":1}],\"sourceIPs\":[],"
        "\"eventNames\":[],\"errorCodes\":[],\"accounts\":[],\"regions\":[],\"denials\":[],"
        "\"samples\":[]}");
    /* 10:01:30 stays in ALARM (same slots): no transition, no callback */
    assert_true(monitor_evaluate_alarm(store, &alarm, &settings, (T_10_00 + 90) * 1000, remember,
                                       &seen, &error));
    assert_int_equal(seen.transitions, 1);
    free(seen.evidence_json);
    alarm_definition_free(&alarm);
    store_close(store);
}

/* INSUFFICIENT_DATA -> OK at 10:00 with nothing in [09:57, 10:00): no evidence to carry. */
static void no_evidence_is_null(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    struct store *store = store_with_alarm(&alarm);
    write_fixture(store, &alarm);
    struct seen seen = {0};
    struct monitor_error error;
    assert_true(
        monitor_evaluate_alarm(store, &alarm, &settings, T_10_00 * 1000, remember, &seen, &error));
    assert_int_equal(seen.transitions, 1);
    assert_int_equal(seen.to, ALARM_STATE_OK);
    assert_false(seen.had_evidence);
    alarm_definition_free(&alarm);
    store_close(store);
}

/* A record that cannot be read leaves the transition without evidence, not undone. */
static void unreadable_evidence_does_not_stop_the_transition(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    struct store *store = store_with_alarm(&alarm);
    write_fixture(store, &alarm);
    assert_int_equal(sqlite3_exec(store->db, "UPDATE bucket_evidence SET evidence_json = '[]'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    struct seen seen = {0};
    struct monitor_error error;
    assert_true(monitor_evaluate_alarm(store, &alarm, &settings, (T_10_00 + 60) * 1000, remember,
                                       &seen, &error));
    assert_int_equal(seen.to, ALARM_STATE_ALARM);
    assert_false(seen.had_evidence);
    struct store_alarm_state stored = {0};
    struct store_error store_error;
    bool found;
    assert_true(store_alarm_get_state(store, "denied-burst", &found, &stored, &store_error));
    assert_string_equal(stored.state, "ALARM");
    store_alarm_state_free(&stored);
    alarm_definition_free(&alarm);
    store_close(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(transition_carries_the_range_evidence),
        cmocka_unit_test(no_evidence_is_null),
        cmocka_unit_test(unreadable_evidence_does_not_stop_the_transition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
