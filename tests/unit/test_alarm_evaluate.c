/* Evaluating alarms (alarms.md §5): the evaluation range and its alignment, every test
 * vector of AWS's tables (§5.8) under the four TreatMissingData values, the prose cases,
 * the CIS alarm's life (§5.10), and the evaluator's contract with its reader. */
#include "../support/alarm_fixtures.h"
#include "alarms/alarms.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define KEEP (-1)

static const enum alarm_state every_state[] = {ALARM_STATE_OK, ALARM_STATE_ALARM,
                                               ALARM_STATE_INSUFFICIENT_DATA};
static const enum alarm_treat_missing every_treatment[] = {
    ALARM_TREAT_MISSING_MISSING, ALARM_TREAT_MISSING_IGNORE, ALARM_TREAT_MISSING_BREACHING,
    ALARM_TREAT_MISSING_NOT_BREACHING};

/* Evaluates and returns the outcome; the evaluation must succeed. */
static struct alarm_evaluation evaluate(const struct alarm_definition *alarm,
                                        enum alarm_state current_state, int64_t now_ms,
                                        struct fake_reader *fake)
{
    struct alarm_status current = {.state = current_state};
    struct alarm_evaluation result;
    struct alarm_error error = {{0}};
    bool evaluated = alarm_evaluate(alarm, &current, now_ms, 0, fake_read, fake, &result, &error);
    if (!evaluated)
        fail_msg("alarm_evaluate: %s", error.message);
    return result;
}

/* `expected` is a state or KEEP; checked from `current_state`. */
static void assert_outcome(const struct alarm_evaluation *result, enum alarm_state current_state,
                           int expected)
{
    if (expected == KEEP) {
        assert_int_equal(result->state, current_state);
        assert_false(result->changed);
        assert_null(result->reason);
        assert_null(result->reason_data);
        return;
    }
    assert_int_equal(result->state, expected);
    assert_int_equal(result->changed, (int)current_state != expected);
    assert_non_null(result->reason);
    assert_non_null(result->reason_data);
}

/* A Sum alarm of `periods` slots of `period` seconds, breaching at >= 1. */
static void build_sum_alarm(struct alarm_definition *alarm, int period, int periods)
{
    struct alarm_spec spec = {
        .statistic = "Sum", .period = period, .periods = periods, .threshold = 1};
    alarm_build(alarm, &spec);
}

/* Evaluates and checks the outcome as assert_outcome does. */
static void assert_evaluates_to(const struct alarm_definition *alarm,
                                enum alarm_state current_state, int64_t now_ms,
                                struct fake_reader *fake, int expected)
{
    struct alarm_evaluation result = evaluate(alarm, current_state, now_ms, fake);
    assert_outcome(&result, current_state, expected);
    alarm_evaluation_free(&result);
}

/* ---- the range ---- */

static void range_is_n_plus_a_third_at_least_two(void **state)
{
    (void)state;
    assert_int_equal(alarm_range_slots(1, 0), 3); /* the field measurement of §5.2 */
    assert_int_equal(alarm_range_slots(3, 0), 5); /* AWS's documented example */
    assert_int_equal(alarm_range_slots(5, 0), 7);
    assert_int_equal(alarm_range_slots(6, 0), 8);
    assert_int_equal(alarm_range_slots(9, 0), 12);
    assert_int_equal(alarm_range_slots(20, 0), 26);
    /* a setting replaces the default only when it is larger */
    assert_int_equal(alarm_range_slots(1, 10), 10);
    assert_int_equal(alarm_range_slots(3, 4), 5);
    assert_int_equal(alarm_range_slots(3, -1), 5);
}

/* Slots end on the minute and are not aligned to the period (§5.1's AWS example). */
static void slots_slide_by_the_minute(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    build_sum_alarm(&alarm, 300, 3);
    struct fake_reader fake = {0};
    for (int minute = 0; minute < 30; minute++) /* a point every minute from 11:50 */
        fake_add(&fake, utc(2024, 2, 1, 11, 50, 0) + 60 * minute, 1.0);

    struct alarm_evaluation result =
        evaluate(&alarm, ALARM_STATE_OK, utc(2024, 2, 1, 12, 15, 0) * 1000, &fake);
    assert_int_equal(fake.first_start, utc(2024, 2, 1, 11, 50, 0));
    assert_int_equal(fake.count, 5);
    assert_non_null(
        strstr(result.reason_data,
               "\"evaluatedDatapoints\":[{\"timestamp\":\"2024-02-01T12:10:00.000+0000\""
               ",\"sampleCount\":5.0,\"value\":5.0},{\"timestamp\":\"2024-02-01T12:05:"
               "00.000+0000\",\"sampleCount\":5.0,\"value\":5.0},{\"timestamp\":\"2024-"
               "02-01T12:00:00.000+0000\""));
    alarm_evaluation_free(&result);

    result = evaluate(&alarm, ALARM_STATE_OK, utc(2024, 2, 1, 12, 16, 0) * 1000, &fake);
    assert_int_equal(fake.first_start, utc(2024, 2, 1, 11, 51, 0));
    assert_non_null(strstr(result.reason, "(01/02/24 12:11:00), 5.0 (01/02/24 12:06:00), 5.0 "
                                          "(01/02/24 12:01:00)]"));
    alarm_evaluation_free(&result);

    /* any second of the minute evaluates the same slots */
    result = evaluate(&alarm, ALARM_STATE_OK, utc(2024, 2, 1, 12, 16, 59) * 1000 + 999, &fake);
    assert_int_equal(fake.first_start, utc(2024, 2, 1, 11, 51, 0));
    alarm_evaluation_free(&result);
    alarm_definition_free(&alarm);
}

/* Periods under a minute end on the 10 seconds. */
static void short_periods_slide_by_ten_seconds(void **state)
{
    (void)state;
    const int periods[] = {10, 20, 30};
    for (size_t i = 0; i < 3; i++) {
        struct alarm_definition alarm;
        build_sum_alarm(&alarm, periods[i], 1);
        struct fake_reader fake = {0};
        struct alarm_evaluation result =
            evaluate(&alarm, ALARM_STATE_OK, utc(2024, 2, 1, 12, 0, 37) * 1000 + 500, &fake);
        assert_int_equal(fake.first_start, utc(2024, 2, 1, 12, 0, 30) - 3 * periods[i]);
        assert_int_equal(fake.count, 3);
        alarm_evaluation_free(&result);
        alarm_definition_free(&alarm);
    }
}

/* A larger configured range, capped at retention but never below the default. */
static void configured_range_stops_at_retention(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    build_sum_alarm(&alarm, 10, 1);
    struct alarm_status current = {.state = ALARM_STATE_OK};
    struct fake_reader fake = {0};
    struct alarm_evaluation result;
    struct alarm_error error;
    assert_true(alarm_evaluate(&alarm, &current, 0, 100000, fake_read, &fake, &result, &error));
    assert_int_equal(fake.count, 3 * 3600 / 10); /* 3 hours of 10-second slots */
    alarm_evaluation_free(&result);
    alarm.period = 60;
    assert_true(alarm_evaluate(&alarm, &current, 0, 100000, fake_read, &fake, &result, &error));
    assert_int_equal(fake.count, 15 * 1440); /* 15 days of minutes */
    alarm_evaluation_free(&result);
    assert_true(alarm_evaluate(&alarm, &current, 0, 7, fake_read, &fake, &result, &error));
    assert_int_equal(fake.count, 7);
    assert_int_equal(fake.calls, 3);
    alarm_evaluation_free(&result);
    alarm_definition_free(&alarm);
}

/* ---- AWS's tables ---- */

/* A 5-slot range of one-minute slots starting at `first`, oldest first: '0' a point that
 * does not breach (value 0), 'X' one that does (value 1, threshold >= 1), '-' nothing. */
static void fill_range(struct fake_reader *fake, const char *range, int64_t first)
{
    *fake = (struct fake_reader){0};
    int64_t start = first;
    for (const char *at = range; *at; at++) {
        if (*at == ' ')
            continue;
        if (*at != '-')
            fake_add(fake, start + 7, *at == 'X' ? 1.0 : 0.0);
        start += 60;
    }
}

struct table_row {
    const char *range;
    int expected[4]; /* missing, ignore, breaching, notBreaching */
};

static void run_table(int minimum, const struct table_row *rows, size_t row_count)
{
    const int64_t first = utc(2024, 9, 1, 10, 0, 0);
    const int64_t now_ms = (first + 5 * 60) * 1000 + 42000; /* range 10:00 … 10:04 */
    for (size_t row = 0; row < row_count; row++) {
        for (size_t t = 0; t < 4; t++) {
            struct alarm_spec spec = {.statistic = "Sum",
                                      .period = 60,
                                      .periods = 3,
                                      .minimum = minimum,
                                      .threshold = 1,
                                      .treat_missing = every_treatment[t]};
            struct alarm_definition alarm;
            alarm_build(&alarm, &spec);
            for (size_t s = 0; s < 3; s++) {
                struct fake_reader fake;
                fill_range(&fake, rows[row].range, first);
                struct alarm_evaluation result = evaluate(&alarm, every_state[s], now_ms, &fake);
                print_message("%s  %s  from %s\n", rows[row].range,
                              alarm_treat_missing_name(every_treatment[t]),
                              alarm_state_name(every_state[s]));
                assert_int_equal(fake.calls, 1);
                assert_int_equal(fake.first_start, first);
                assert_int_equal(fake.count, 5);
                assert_outcome(&result, every_state[s], rows[row].expected[t]);
                alarm_evaluation_free(&result);
            }
            alarm_definition_free(&alarm);
        }
    }
}

#define OK ALARM_STATE_OK
#define AL ALARM_STATE_ALARM
#define ID ALARM_STATE_INSUFFICIENT_DATA

static void table_three_out_of_three(void **state)
{
    (void)state;
    static const struct table_row rows[] = {
        {"0 - X - X", {OK, OK, OK, OK}},   {"0 - - - -", {OK, OK, OK, OK}},
        {"- - - - -", {ID, KEEP, AL, OK}}, {"0 X X - X", {AL, AL, AL, AL}},
        {"- - X - -", {AL, KEEP, AL, OK}},
    };
    run_table(3, rows, sizeof rows / sizeof rows[0]);
    run_table(0, rows, sizeof rows / sizeof rows[0]); /* M not given: M = N */
}

static void table_two_out_of_three(void **state)
{
    (void)state;
    static const struct table_row rows[] = {
        {"0 - X - X", {AL, AL, AL, AL}},   {"0 0 X 0 X", {AL, AL, AL, AL}},
        {"0 - X - -", {OK, OK, AL, OK}},   {"- - - - 0", {OK, OK, AL, OK}},
        {"- - - X -", {AL, KEEP, AL, OK}},
    };
    run_table(2, rows, sizeof rows / sizeof rows[0]);
}

/* §5.8's prose: N = M = 3, a fresh breaching point is not enough for ALARM under missing. */
static void fresh_breach_is_not_premature(void **state)
{
    (void)state;
    static const struct table_row rows[] = {
        {"- - - - X", {OK, OK, AL, OK}},
        {"- - - X -", {OK, OK, AL, OK}},
    };
    run_table(3, rows, sizeof rows / sizeof rows[0]);
}

/* §5.8's prose: breaching, `0 - - - -` stays OK, then ALARM once the 0 leaves the range. */
static void lone_good_point_ages_out_under_breaching(void **state)
{
    (void)state;
    struct alarm_spec spec = {.statistic = "Sum",
                              .period = 60,
                              .periods = 3,
                              .minimum = 3,
                              .threshold = 1,
                              .treat_missing = ALARM_TREAT_MISSING_BREACHING};
    struct alarm_definition alarm;
    alarm_build(&alarm, &spec);
    const int64_t first = utc(2024, 9, 1, 10, 0, 0);
    struct fake_reader fake;
    fill_range(&fake, "0 - - - -", first);
    struct alarm_evaluation result = evaluate(&alarm, ALARM_STATE_OK, (first + 300) * 1000, &fake);
    assert_outcome(&result, ALARM_STATE_OK, ALARM_STATE_OK);
    assert_string_equal(result.reason,
                        "Threshold Crossed: 1 out of the last 3 datapoints [0.0 (01/09/24 "
                        "10:00:00)] was not greater than or equal to the threshold (1.0) and 2 "
                        "missing datapoints were treated as [Breaching] (minimum 1 datapoint for "
                        "ALARM -> OK transition).");
    alarm_evaluation_free(&result);
    result = evaluate(&alarm, ALARM_STATE_OK, (first + 360) * 1000, &fake);
    assert_outcome(&result, ALARM_STATE_OK, ALARM_STATE_ALARM);
    assert_string_equal(result.reason, "Threshold Crossed: no datapoints were received for 3 "
                                       "periods and 3 missing datapoints were treated as "
                                       "[Breaching].");
    alarm_evaluation_free(&result);
    alarm_definition_free(&alarm);
}

/* ---- the CIS alarm's life (§5.10, §5.2's field measurement) ---- */

/* Evaluates every minute from `from` to `to` (inclusive, minutes since `base`), starting in
 * `state`, and returns the minute of each change in `changes` (ending with -1). */
static void run_minutes(const struct alarm_definition *alarm, struct fake_reader *fake,
                        int64_t base, int from, int to, int offset_ms, enum alarm_state *state,
                        int *changes, enum alarm_state *changed_to)
{
    size_t change_count = 0;
    for (int minute = from; minute <= to; minute++) {
        struct alarm_evaluation result =
            evaluate(alarm, *state, (base + 60 * minute) * 1000 + offset_ms, fake);
        if (result.changed) {
            changes[change_count] = minute;
            changed_to[change_count++] = result.state;
            *state = result.state;
        }
        alarm_evaluation_free(&result);
    }
    changes[change_count] = -1;
}

static void cis_alarm_goes_to_insufficient_data_not_ok(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    build_sum_alarm(&alarm, 300, 1);
    const int64_t noon = utc(2024, 9, 2, 12, 0, 0);
    struct fake_reader fake = {0};
    fake_add(&fake, noon + 2 * 60 + 10, 1.0); /* one matching event at 12:02:10 */
    enum alarm_state current = ALARM_STATE_INSUFFICIENT_DATA;
    int changes[8];
    enum alarm_state changed_to[8];
    run_minutes(&alarm, &fake, noon, -5, 40, 51290, &current, changes, changed_to);
    /* ALARM once the point's slot is the newest ([11:58, 12:03)), and until it leaves the
     * three-slot range ([12:03, 12:18) no longer holds it) */
    assert_int_equal(changes[0], 3);
    assert_int_equal(changed_to[0], ALARM_STATE_ALARM);
    assert_int_equal(changes[1], 18);
    assert_int_equal(changed_to[1], ALARM_STATE_INSUFFICIENT_DATA);
    assert_int_equal(changes[2], -1);

    /* with notBreaching it goes back to OK at the same minute */
    alarm.treat_missing = ALARM_TREAT_MISSING_NOT_BREACHING;
    current = ALARM_STATE_INSUFFICIENT_DATA;
    run_minutes(&alarm, &fake, noon, -5, 40, 0, &current, changes, changed_to);
    assert_int_equal(changes[0], -5);
    assert_int_equal(changed_to[0], ALARM_STATE_OK);
    assert_int_equal(changes[1], 3);
    assert_int_equal(changes[2], 18);
    assert_int_equal(changed_to[2], ALARM_STATE_OK);
    assert_int_equal(changes[3], -1);
    alarm_definition_free(&alarm);
}

/* §5.2: P = 900, N = 1, notBreaching, last point 19:50:31: OK at the 20:36 evaluation. */
static void field_measurement_of_the_range(void **state)
{
    (void)state;
    struct alarm_spec spec = {.statistic = "Sum",
                              .period = 900,
                              .periods = 1,
                              .threshold = 1,
                              .treat_missing = ALARM_TREAT_MISSING_NOT_BREACHING};
    struct alarm_definition alarm;
    alarm_build(&alarm, &spec);
    struct fake_reader fake = {0};
    fake_add(&fake, utc(2024, 9, 3, 19, 50, 31), 1.0);
    const int64_t base = utc(2024, 9, 3, 20, 0, 0);
    enum alarm_state current = ALARM_STATE_ALARM;
    int changes[4];
    enum alarm_state changed_to[4];
    run_minutes(&alarm, &fake, base, 0, 50, 51000, &current, changes, changed_to);
    assert_int_equal(changes[0], 36);
    assert_int_equal(changed_to[0], ALARM_STATE_OK);
    assert_int_equal(changes[1], -1);
    alarm_definition_free(&alarm);
}

/* ---- decisions beyond the tables ---- */

/* An unchanged state still gets its texts; `changed` follows the state value only. */
static void unchanged_state_keeps_its_texts(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    build_sum_alarm(&alarm, 60, 1);
    struct fake_reader fake = {0};
    fake_add(&fake, utc(2024, 9, 4, 0, 0, 0), 2.0);
    assert_evaluates_to(&alarm, ALARM_STATE_ALARM, utc(2024, 9, 4, 0, 1, 0) * 1000, &fake,
                        ALARM_STATE_ALARM);
    alarm_definition_free(&alarm);
}

/* §5.4 rule 2 reaches back past missing slots for the N most recent real ones. */
static void most_recent_real_points_are_judged(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    build_sum_alarm(&alarm, 60, 2);
    struct fake_reader fake;
    const int64_t first = utc(2024, 9, 5, 10, 0, 0);
    fill_range(&fake, "X - X - 0 -", first); /* range of 4: the first slot is outside */
    struct alarm_evaluation result = evaluate(&alarm, ALARM_STATE_OK, (first + 360) * 1000, &fake);
    assert_int_equal(fake.count, 4);
    assert_outcome(&result, ALARM_STATE_OK, ALARM_STATE_OK);
    assert_string_equal(result.reason, "Threshold Crossed: 1 datapoint [0.0 (05/09/24 10:04:00)] "
                                       "was not greater than or equal to the threshold (1.0).");
    assert_non_null(strstr(result.reason_data, "\"startDate\":\"2024-09-05T10:02:00.000+0000\""));
    assert_non_null(strstr(result.reason_data, "\"recentDatapoints\":[1.0,0.0]"));
    alarm_evaluation_free(&result);
    alarm_definition_free(&alarm);
}

/* [inf] §5.3: a judged low-sample percentile slot with "ignore" keeps the state. */
static void low_sample_percentile_keeps_state(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    build_sum_alarm(&alarm, 60, 1);
    free(alarm.statistic);
    alarm.statistic = NULL;
    alarm.extended_statistic = strdup("p99");
    alarm.evaluate_low_sample_count_percentile = false;
    struct fake_reader fake = {.low_sample_below = 1000};
    fake_add(&fake, utc(2024, 9, 6, 0, 0, 0), 5.0);
    int64_t now_ms = utc(2024, 9, 6, 0, 1, 0) * 1000;
    assert_evaluates_to(&alarm, ALARM_STATE_OK, now_ms, &fake, KEEP);
    /* with "evaluate" (the default) the slot counts */
    alarm.evaluate_low_sample_count_percentile = true;
    struct alarm_evaluation result = evaluate(&alarm, ALARM_STATE_OK, now_ms, &fake);
    assert_outcome(&result, ALARM_STATE_OK, ALARM_STATE_ALARM);
    assert_non_null(strstr(result.reason_data, "\"extendedStatistic\":\"p99\",\"period\":60"));
    alarm_evaluation_free(&result);
    /* enough samples: evaluated normally under "ignore" too */
    alarm.evaluate_low_sample_count_percentile = false;
    fake.low_sample_below = 1;
    assert_evaluates_to(&alarm, ALARM_STATE_OK, now_ms, &fake, ALARM_STATE_ALARM);
    alarm_definition_free(&alarm);
}

/* ---- the reader contract and failures ---- */

static bool reader_shifting_starts(void *context, const struct alarm_definition *alarm,
                                   int64_t first_start, size_t count, struct alarm_slot *slots,
                                   struct alarm_error *error)
{
    (void)context;
    (void)error;
    for (size_t i = 0; i < count; i++)
        slots[i] = (struct alarm_slot){.start = first_start + (int64_t)i * alarm->period + 1};
    return true;
}

static bool reader_of_nan(void *context, const struct alarm_definition *alarm, int64_t first_start,
                          size_t count, struct alarm_slot *slots, struct alarm_error *error)
{
    (void)context;
    (void)error;
    for (size_t i = 0; i < count; i++)
        slots[i] = (struct alarm_slot){.start = first_start + (int64_t)i * alarm->period,
                                       .has_data = true,
                                       .value = NAN,
                                       .sample_count = 1};
    return true;
}

static void reader_failures_fail_the_evaluation(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    build_sum_alarm(&alarm, 60, 1);
    struct alarm_status current = {.state = ALARM_STATE_OK};
    struct alarm_evaluation result;
    struct alarm_error error = {{0}};
    struct fake_reader fake = {.fail = true};
    assert_false(alarm_evaluate(&alarm, &current, 0, 0, fake_read, &fake, &result, &error));
    assert_string_equal(error.message, "fake store failure");
    assert_false(result.changed);
    assert_null(result.reason);
    assert_false(
        alarm_evaluate(&alarm, &current, 0, 0, reader_shifting_starts, NULL, &result, &error));
    assert_string_equal(error.message, "slot reader: slot 0 starts at -179, expected -180");
    assert_false(alarm_evaluate(&alarm, &current, 0, 0, reader_of_nan, NULL, &result, &error));
    assert_non_null(strstr(error.message, "not a finite number"));
    alarm_definition_free(&alarm);
}

static void unevaluable_alarms_are_refused(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    build_sum_alarm(&alarm, 60, 1);
    struct alarm_status current = {.state = ALARM_STATE_OK};
    struct alarm_evaluation result;
    struct alarm_error error;
    struct fake_reader fake = {0};
    alarm.period = 0;
    assert_false(alarm_evaluate(&alarm, &current, 0, 0, fake_read, &fake, &result, &error));
    assert_string_equal(error.message, "cannot evaluate alarm: Period out of range");
    alarm.period = 60;
    alarm.datapoints_to_alarm = 2;
    assert_false(alarm_evaluate(&alarm, &current, 0, 0, fake_read, &fake, &result, &error));
    assert_false(alarm_evaluate(&alarm, NULL, 0, 0, fake_read, &fake, &result, &error));
    assert_int_equal(fake.calls, 0);
    alarm_definition_free(&alarm);
}

/* Instants at the ends of int64 evaluate without overflow. */
static void extreme_instants_evaluate(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    build_sum_alarm(&alarm, 86400, 7);
    struct fake_reader fake = {0};
    assert_evaluates_to(&alarm, ALARM_STATE_OK, INT64_MIN, &fake, ALARM_STATE_INSUFFICIENT_DATA);
    assert_evaluates_to(&alarm, ALARM_STATE_OK, INT64_MAX, &fake, ALARM_STATE_INSUFFICIENT_DATA);
    alarm_definition_free(&alarm);
}

/* alarm_evaluate_transition decides exactly as alarm_evaluate, and writes the texts only
 * when the state changes. */
static void transition_only_texts(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    build_sum_alarm(&alarm, 60, 1);
    struct fake_reader fake = {0};
    fake_add(&fake, utc(2024, 2, 1, 12, 0, 10), 3.0);
    int64_t now_ms = utc(2024, 2, 1, 12, 1, 5) * 1000;
    struct alarm_error error;
    for (int from = ALARM_STATE_OK; from <= ALARM_STATE_INSUFFICIENT_DATA; from++) {
        struct alarm_status current = {.state = (enum alarm_state)from};
        struct alarm_evaluation full, quick;
        assert_true(alarm_evaluate(&alarm, &current, now_ms, 0, fake_read, &fake, &full, &error));
        assert_true(alarm_evaluate_transition(&alarm, &current, now_ms, 0, fake_read, &fake, &quick,
                                              &error));
        assert_int_equal(quick.state, ALARM_STATE_ALARM);
        assert_int_equal(quick.state, full.state);
        assert_int_equal(quick.changed, full.changed);
        if (quick.changed) {
            assert_string_equal(quick.reason, full.reason);
            assert_string_equal(quick.reason_data, full.reason_data);
        } else {
            assert_null(quick.reason);
            assert_null(quick.reason_data);
            assert_non_null(full.reason);
        }
        alarm_evaluation_free(&full);
        alarm_evaluation_free(&quick);
    }
    alarm_definition_free(&alarm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(range_is_n_plus_a_third_at_least_two),
        cmocka_unit_test(transition_only_texts),
        cmocka_unit_test(slots_slide_by_the_minute),
        cmocka_unit_test(short_periods_slide_by_ten_seconds),
        cmocka_unit_test(configured_range_stops_at_retention),
        cmocka_unit_test(table_three_out_of_three),
        cmocka_unit_test(table_two_out_of_three),
        cmocka_unit_test(fresh_breach_is_not_premature),
        cmocka_unit_test(lone_good_point_ages_out_under_breaching),
        cmocka_unit_test(cis_alarm_goes_to_insufficient_data_not_ok),
        cmocka_unit_test(field_measurement_of_the_range),
        cmocka_unit_test(unchanged_state_keeps_its_texts),
        cmocka_unit_test(most_recent_real_points_are_judged),
        cmocka_unit_test(low_sample_percentile_keeps_state),
        cmocka_unit_test(reader_failures_fail_the_evaluation),
        cmocka_unit_test(unevaluable_alarms_are_refused),
        cmocka_unit_test(extreme_instants_evaluate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
