/* The texts AWS writes for alarms (alarms.md §7, §8): Java-formatted numbers, the two time
 * formats, every StateReason example of §8.2 and the StateReasonData of §8.3 reproduced
 * byte for byte from slot values, the ARN and the history data. Every reason example runs
 * twice: through the pure evaluator with a fake reader, and end to end — its samples
 * written through the SQLite store, the alarm evaluated there by monitor_evaluate_alarm at
 * the example's instant, the stored state and texts compared. */
#include "../support/alarm_fixtures.h"
#include "alarms/alarms.h"
#include "monitor/monitor.h"
#include "store/store.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

/* ---- numbers ---- */

static void assert_number(double value, const char *expected)
{
    char text[64];
    alarm_format_number(value, text, sizeof text);
    assert_string_equal(text, expected);
}

static void numbers_print_like_java(void **state)
{
    (void)state;
    /* alarms.md §8.1's examples */
    assert_number(1.0, "1.0");
    assert_number(21.5, "21.5");
    assert_number(100000.0, "100000.0");
    assert_number(2.88135593220462, "2.88135593220462");
    assert_number(0.050002640067216934, "0.050002640067216934");
    assert_number(2.147483648E10, "2.147483648E10");
    assert_number(8.3714617344E10, "8.3714617344E10");
    assert_number(1.0E-4, "1.0E-4");
    /* the rest as JDK 17 prints them */
    assert_number(0.0, "0.0");
    assert_number(-0.0, "-0.0");
    assert_number(-1.5, "-1.5");
    assert_number(0.1 + 0.2, "0.30000000000000004");
    assert_number(123456.789, "123456.789");
    assert_number(613.0, "613.0");
    assert_number(3.4666088898518357, "3.4666088898518357");
    assert_number(0.04333311112870379, "0.04333311112870379");
    assert_number(0.03166697224583412, "0.03166697224583412");
    assert_number(1.2E-4, "1.2E-4");
    assert_number(0.007, "0.007");
    assert_number(1e22, "1.0E22");
    assert_number(1e23, "1.0E23");
    assert_number(1.23456789E7, "1.23456789E7");
    assert_number(1234567.0, "1234567.0");
    assert_number(9999999.999999998, "9999999.999999998");
    assert_number(1.7976931348623157E308, "1.7976931348623157E308");
    assert_number(-2.2250738585072014E-308, "-2.2250738585072014E-308");
}

static void number_layout_switches_at_java_bounds(void **state)
{
    (void)state;
    assert_number(0.001, "0.001");
    assert_number(nextafter(0.001, 0), "9.999999999999998E-4");
    assert_number(9999999.0, "9999999.0");
    assert_number(1e7, "1.0E7");
    assert_number(-1e7, "-1.0E7");
}

static void number_specials_print_like_java(void **state)
{
    (void)state;
    assert_number(NAN, "NaN");
    assert_number(INFINITY, "Infinity");
    assert_number(-INFINITY, "-Infinity");
    /* Double.MIN_VALUE: two digits compete when one would do */
    assert_number(4.9E-324, "4.9E-324");
    char small[4];
    alarm_format_number(123.5, small, sizeof small);
    assert_string_equal(small, "123"); /* truncated, still terminated */
}

/* The significant digits of a printed number ("1.0E-4" has 1, "0.0125" has 3). */
static int significant_digits(const char *text)
{
    char digits[64];
    int count = 0;
    for (const char *at = text; *at && *at != 'E'; at++)
        if (*at >= '0' && *at <= '9' && (count > 0 || *at != '0'))
            digits[count++] = *at;
    while (count > 1 && digits[count - 1] == '0')
        count--;
    return count;
}

/* Every printed number reads back as itself, and one digit fewer would not. */
static void numbers_are_shortest_round_trips(void **state)
{
    (void)state;
    uint64_t seed = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < 20000; i++) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        double value;
        memcpy(&value, &seed, sizeof value);
        if (!isfinite(value))
            continue;
        char text[64];
        alarm_format_number(value, text, sizeof text);
        assert_true(strtod(text, NULL) == value);
        int digits = significant_digits(text);
        if (digits >= 3) {
            char shorter[64];
            snprintf(shorter, sizeof shorter, "%.*e", digits - 2, value);
            assert_true(strtod(shorter, NULL) != value);
        }
    }
}

/* ---- times ---- */

static void reason_time_is_day_month_year(void **state)
{
    (void)state;
    char text[32];
    alarm_format_reason_time(1795687500, text, sizeof text); /* 2026-11-26T10:05:00Z */
    assert_string_equal(text, "26/11/26 10:05:00");
    alarm_format_reason_time(0, text, sizeof text);
    assert_string_equal(text, "01/01/70 00:00:00");
    alarm_format_reason_time(-1, text, sizeof text);
    assert_string_equal(text, "31/12/69 23:59:59");
}

static void iso_time_has_milliseconds_and_offset(void **state)
{
    (void)state;
    char text[40];
    alarm_format_iso_time(INT64_C(1729969238853), text, sizeof text);
    assert_string_equal(text, "2024-10-26T19:00:38.853+0000");
    alarm_format_iso_time(-1, text, sizeof text);
    assert_string_equal(text, "1969-12-31T23:59:59.999+0000");
    alarm_format_iso_time(-1001, text, sizeof text);
    assert_string_equal(text, "1969-12-31T23:59:58.999+0000");
}

static void times_outside_years_1_to_9999_are_clamped(void **state)
{
    (void)state;
    char text[40];
    alarm_format_iso_time(INT64_MAX, text, sizeof text);
    assert_string_equal(text, "9999-12-31T23:59:59.999+0000");
    alarm_format_iso_time(INT64_MIN, text, sizeof text);
    assert_string_equal(text, "0001-01-01T00:00:00.000+0000");
    alarm_format_reason_time(INT64_MAX, text, sizeof text);
    assert_string_equal(text, "31/12/99 23:59:59");
    alarm_format_reason_time(INT64_MIN, text, sizeof text);
    assert_string_equal(text, "01/01/01 00:00:00");
}

/* ---- StateReason and StateReasonData through alarm_evaluate ---- */

/* The same evaluation end to end: the samples written through the SQLite store as data
 * points at their timestamps, the alarm defined there in state `from`, evaluated by
 * monitor_evaluate_alarm at `now_ms`, and the stored state and texts compared. */
static void assert_texts_through_store(const struct alarm_definition *alarm,
                                       const struct fake_reader *fake, int64_t now_ms,
                                       enum alarm_state from, enum alarm_state to,
                                       const char *reason, const char *reason_data)
{
    static const struct monitor_settings settings = {.region = "us-east-1",
                                                     .account_id = "123456789012"};
    struct store_error error;
    struct monitor_error monitor_error;
    struct store *store = store_open(":memory:", &error);
    assert_non_null(store);
    if (!monitor_put_alarm(store, alarm, &settings, 0, &monitor_error))
        fail_msg("%s", monitor_error.message);
    assert_true(store_alarm_set_state(store, alarm->alarm_name, alarm_state_name(from), "before",
                                      NULL, 0, true, &error));
    for (size_t i = 0; i < fake->sample_count; i++) {
        struct metric_datapoint point = {.identity = alarm->metric,
                                         .unit = alarm->unit ? alarm->unit : "None",
                                         .resolution = alarm->period < 60 ? 1 : 60};
        point.timestamp = fake->samples[i].time - fake->samples[i].time % point.resolution;
        metric_aggregate_init(&point.aggregate);
        assert_true(metric_aggregate_add(&point.aggregate, fake->samples[i].value, 1));
        assert_true(store_datapoints_add(store, &point, 1, &error));
        metric_aggregate_free(&point.aggregate);
    }
    if (!monitor_evaluate_alarm(store, alarm, &settings, now_ms, NULL, NULL, &monitor_error))
        fail_msg("%s", monitor_error.message);
    struct store_alarm_state stored = {0};
    bool found = false;
    assert_true(store_alarm_get_state(store, alarm->alarm_name, &found, &stored, &error));
    assert_true(found);
    assert_string_equal(stored.state, alarm_state_name(to));
    /* the store keeps the texts of transitions only (no change, nothing written) */
    assert_string_equal(stored.reason, from != to ? reason : "before");
    if (from != to && reason_data)
        assert_string_equal(stored.reason_data, reason_data);
    store_alarm_state_free(&stored);
    store_close(store);
}

/* Evaluates `spec` over `fake` at `now_ms` from `from`; checks the new state and texts,
 * through the pure evaluator and again end to end through the store. */
static void assert_texts(const struct alarm_spec *spec, struct fake_reader *fake, int64_t now_ms,
                         enum alarm_state from, enum alarm_state to, const char *reason,
                         const char *reason_data)
{
    struct alarm_definition alarm;
    alarm_build(&alarm, spec);
    struct alarm_status current = {.state = from};
    struct alarm_evaluation result;
    struct alarm_error error = {{0}};
    assert_true(alarm_evaluate(&alarm, &current, now_ms, 0, fake_read, fake, &result, &error));
    assert_int_equal(result.state, to);
    assert_int_equal(result.changed, from != to);
    assert_non_null(result.reason);
    assert_string_equal(result.reason, reason);
    if (reason_data)
        assert_string_equal(result.reason_data, reason_data);
    alarm_evaluation_free(&result);
    assert_texts_through_store(&alarm, fake, now_ms, from, to, reason, reason_data);
    alarm_definition_free(&alarm);
}

static const struct alarm_spec cis_like = {
    .statistic = "Sum", .period = 60, .periods = 1, .threshold = 1.0};

/* §8.3's first example, the evaluation of 2024-10-26T19:00:38.853 (§5.1). */
static void reason_data_of_an_alarm(void **state)
{
    (void)state;
    struct fake_reader fake = {0};
    for (int i = 0; i < 3; i++)
        fake_add(&fake, utc(2024, 10, 26, 18, 59, 10 + i), 1.0);
    struct alarm_spec spec = cis_like;
    spec.unit = "Seconds";
    assert_texts(
        &spec, &fake, INT64_C(1729969238853), ALARM_STATE_INSUFFICIENT_DATA, ALARM_STATE_ALARM,
        "Threshold Crossed: 1 datapoint [3.0 (26/10/24 18:59:00)] was greater than or equal to "
        "the threshold (1.0).",
        "{\"version\":\"1.0\",\"queryDate\":\"2024-10-26T19:00:38.853+0000\",\"startDate\":"
        "\"2024-10-26T18:59:00.000+0000\",\"unit\":\"Seconds\",\"statistic\":\"Sum\",\"period\":"
        "60,\"recentDatapoints\":[3.0],\"threshold\":1.0,\"evaluatedDatapoints\":[{\"timestamp\":"
        "\"2024-10-26T18:59:00.000+0000\",\"sampleCount\":3.0,\"value\":3.0}]}");
    /* the captured original has no unit, and then no "unit" key */
    assert_texts(
        &cis_like, &fake, INT64_C(1729969238853), ALARM_STATE_INSUFFICIENT_DATA, ALARM_STATE_ALARM,
        "Threshold Crossed: 1 datapoint [3.0 (26/10/24 18:59:00)] was greater than or equal to "
        "the threshold (1.0).",
        "{\"version\":\"1.0\",\"queryDate\":\"2024-10-26T19:00:38.853+0000\",\"startDate\":"
        "\"2024-10-26T18:59:00.000+0000\",\"statistic\":\"Sum\",\"period\":60,"
        "\"recentDatapoints\":[3.0],\"threshold\":1.0,\"evaluatedDatapoints\":[{\"timestamp\":"
        "\"2024-10-26T18:59:00.000+0000\",\"sampleCount\":3.0,\"value\":3.0}]}");
}

/* §8.3's INSUFFICIENT_DATA example (captured at 18:38:52.499) and form (D). */
static void reason_data_of_insufficient_data(void **state)
{
    (void)state;
    struct fake_reader fake = {0};
    assert_texts(&cis_like, &fake, INT64_C(1729967932499), ALARM_STATE_OK,
                 ALARM_STATE_INSUFFICIENT_DATA, "Insufficient Data: 1 datapoint was unknown.",
                 "{\"version\":\"1.0\",\"queryDate\":\"2024-10-26T18:38:52.499+0000\","
                 "\"statistic\":\"Sum\",\"period\":60,\"recentDatapoints\":[],\"threshold\":1.0,"
                 "\"evaluatedDatapoints\":[{\"timestamp\":\"2024-10-26T18:37:00.000+0000\"}]}");
    /* a captured N = 5 alarm (Average, threshold 5) at 2023-08-04T12:31:29.591 */
    struct alarm_spec five = {.statistic = "Average", .period = 60, .periods = 5, .threshold = 5};
    assert_texts(&five, &fake, INT64_C(1691152289591), ALARM_STATE_OK,
                 ALARM_STATE_INSUFFICIENT_DATA, "Insufficient Data: 5 datapoints were unknown.",
                 "{\"version\":\"1.0\",\"queryDate\":\"2023-08-04T12:31:29.591+0000\","
                 "\"statistic\":\"Average\",\"period\":60,\"recentDatapoints\":[],\"threshold\":"
                 "5.0,\"evaluatedDatapoints\":[{\"timestamp\":\"2023-08-04T12:30:00.000+0000\"},"
                 "{\"timestamp\":\"2023-08-04T12:29:00.000+0000\"},{\"timestamp\":\"2023-08-04T12:"
                 "28:00.000+0000\"},{\"timestamp\":\"2023-08-04T12:27:00.000+0000\"},{"
                 "\"timestamp\":\"2023-08-04T12:26:00.000+0000\"}]}");
}

/* Form (A), the four examples of §8.2. */
static void classic_form_examples(void **state)
{
    (void)state;
    struct fake_reader fake = {0};
    struct alarm_spec spec = {.statistic = "Sum", .period = 300, .periods = 1, .threshold = 1};
    fake_add(&fake, utc(2026, 11, 26, 10, 5, 0), 1.0);
    fake_add(&fake, utc(2026, 11, 26, 10, 7, 0), 1.0);
    assert_texts(&spec, &fake, utc(2026, 11, 26, 10, 10, 30) * 1000, ALARM_STATE_OK,
                 ALARM_STATE_ALARM,
                 "Threshold Crossed: 1 datapoint [2.0 (26/11/26 10:05:00)] was greater than or "
                 "equal to the threshold (1.0).",
                 NULL);

    fake = (struct fake_reader){0};
    spec.period = 60;
    fake_add(&fake, utc(2024, 3, 19, 17, 14, 20), 0.0);
    assert_texts(&spec, &fake, utc(2024, 3, 19, 17, 15, 40) * 1000, ALARM_STATE_ALARM,
                 ALARM_STATE_OK,
                 "Threshold Crossed: 1 datapoint [0.0 (19/03/24 17:14:00)] was not greater than "
                 "or equal to the threshold (1.0).",
                 NULL);

    fake = (struct fake_reader){0};
    spec.period = 2700;
    spec.periods = 3;
    fake_add(&fake, utc(2022, 5, 13, 11, 44, 0), 1.0);
    fake_add(&fake, utc(2022, 5, 13, 12, 29, 0), 5.0);
    fake_add(&fake, utc(2022, 5, 13, 13, 14, 0), 4.0);
    assert_texts(&spec, &fake, utc(2022, 5, 13, 13, 59, 10) * 1000, ALARM_STATE_OK,
                 ALARM_STATE_ALARM,
                 "Threshold Crossed: 3 datapoints [4.0 (13/05/22 13:14:00), 5.0 (13/05/22 "
                 "12:29:00), 1.0 (13/05/22 11:44:00)] were greater than or equal to the threshold "
                 "(1.0).",
                 NULL);

    fake = (struct fake_reader){0};
    struct alarm_spec latency = {.statistic = "Maximum",
                                 .period = 300,
                                 .periods = 3,
                                 .threshold = 60,
                                 .comparison = ALARM_GREATER_THAN_THRESHOLD};
    fake_add(&fake, utc(2022, 3, 11, 10, 48, 0), 0.03166697224583412);
    fake_add(&fake, utc(2022, 3, 11, 10, 53, 0), 0.04333311112870379);
    fake_add(&fake, utc(2022, 3, 11, 10, 58, 0), 0.050002640067216934);
    assert_texts(&latency, &fake, utc(2022, 3, 11, 11, 3, 51) * 1000, ALARM_STATE_ALARM,
                 ALARM_STATE_OK,
                 "Threshold Crossed: 3 datapoints [0.050002640067216934 (11/03/22 10:58:00), "
                 "0.04333311112870379 (11/03/22 10:53:00), 0.03166697224583412 (11/03/22 "
                 "10:48:00)] were not greater than the threshold (60.0).",
                 NULL);
}

/* A captured DescribeAlarms entry (Route 53, 2018): N = 3, Minimum < 1, points 0, 0, 1 —
 * the classic form lists only the point that agrees with OK. recentDatapoints are oldest
 * first. (AWS had no evaluatedDatapoints yet; we add them.) */
static void classic_form_lists_points_agreeing_with_the_state(void **state)
{
    (void)state;
    struct fake_reader fake = {0};
    fake_add(&fake, utc(2018, 12, 8, 19, 53, 0), 0.0);
    fake_add(&fake, utc(2018, 12, 8, 19, 54, 0), 0.0);
    fake_add(&fake, utc(2018, 12, 8, 19, 55, 0), 1.0);
    struct alarm_spec spec = {.statistic = "Minimum",
                              .period = 60,
                              .periods = 3,
                              .threshold = 1,
                              .comparison = ALARM_LESS_THAN_THRESHOLD};
    assert_texts(
        &spec, &fake, INT64_C(1544298974594), ALARM_STATE_ALARM, ALARM_STATE_OK,
        "Threshold Crossed: 1 datapoint [1.0 (08/12/18 19:55:00)] was not less than the "
        "threshold (1.0).",
        "{\"version\":\"1.0\",\"queryDate\":\"2018-12-08T19:56:14.594+0000\",\"startDate\":"
        "\"2018-12-08T19:53:00.000+0000\",\"statistic\":\"Minimum\",\"period\":60,"
        "\"recentDatapoints\":[0.0,0.0,1.0],\"threshold\":1.0,\"evaluatedDatapoints\":[{"
        "\"timestamp\":\"2018-12-08T19:55:00.000+0000\",\"sampleCount\":1.0,\"value\":1.0},{"
        "\"timestamp\":\"2018-12-08T19:54:00.000+0000\",\"sampleCount\":1.0,\"value\":0.0},{"
        "\"timestamp\":\"2018-12-08T19:53:00.000+0000\",\"sampleCount\":1.0,\"value\":0.0}]}");
}

/* Form (B), the examples of §8.2. */
static void m_of_n_form_examples(void **state)
{
    (void)state;
    struct fake_reader fake = {0};
    struct alarm_spec spec = {
        .statistic = "Sum", .period = 60, .periods = 1, .minimum = 1, .threshold = 1};
    fake_add(&fake, utc(2020, 6, 19, 18, 22, 5), 1.0);
    assert_texts(&spec, &fake, utc(2020, 6, 19, 18, 23, 51) * 1000, ALARM_STATE_OK,
                 ALARM_STATE_ALARM,
                 "Threshold Crossed: 1 out of the last 1 datapoints [1.0 (19/06/20 18:22:00)] was "
                 "greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> "
                 "ALARM transition).",
                 NULL);

    /* 3 out of 5, ALARM -> OK: M = 3, so OK needs 5 - 3 + 1 = 3 points not breaching */
    fake = (struct fake_reader){0};
    struct alarm_spec five = {.statistic = "Maximum",
                              .period = 60,
                              .periods = 5,
                              .minimum = 3,
                              .threshold = 0,
                              .comparison = ALARM_GREATER_THAN_THRESHOLD};
    const double values[] = {1, 0, 1, 0, 0}; /* 06:41 … 06:45 */
    for (int i = 0; i < 5; i++)
        fake_add(&fake, utc(2021, 12, 21, 6, 41 + i, 0), values[i]);
    assert_texts(&five, &fake, utc(2021, 12, 21, 6, 46, 20) * 1000, ALARM_STATE_ALARM,
                 ALARM_STATE_OK,
                 "Threshold Crossed: 3 out of the last 5 datapoints [0.0 (21/12/21 06:45:00), 0.0 "
                 "(21/12/21 06:44:00), 0.0 (21/12/21 06:42:00)] were not greater than the "
                 "threshold (0.0) (minimum 3 datapoints for ALARM -> OK transition).",
                 NULL);

    /* N = 20, M = 1, one point and 19 filled slots */
    fake = (struct fake_reader){0};
    struct alarm_spec twenty = {.statistic = "Sum",
                                .period = 60,
                                .periods = 20,
                                .minimum = 1,
                                .threshold = 1,
                                .treat_missing = ALARM_TREAT_MISSING_NOT_BREACHING};
    fake_add(&fake, utc(2024, 3, 16, 12, 15, 30), 613.0);
    assert_texts(&twenty, &fake, utc(2024, 3, 16, 12, 20, 51) * 1000, ALARM_STATE_OK,
                 ALARM_STATE_ALARM,
                 "Threshold Crossed: 1 out of the last 20 datapoints [613.0 (16/03/24 12:15:00)] "
                 "was greater than or equal to the threshold (1.0) and 19 missing datapoints were "
                 "treated as [NonBreaching] (minimum 1 datapoint for OK -> ALARM transition).",
                 NULL);
    /* shaped on a captured ALARM of 2024 (Maximum <= 20, P = 300, five samples in the slot);
     * the capture judged the slot of 20:44 at 20:50:27, where §5.1 gives 20:45 */
    fake = (struct fake_reader){0};
    struct alarm_spec cpu = {.statistic = "Maximum",
                             .period = 300,
                             .periods = 1,
                             .minimum = 1,
                             .threshold = 20,
                             .comparison = ALARM_LESS_THAN_OR_EQUAL_TO_THRESHOLD};
    for (int i = 0; i < 5; i++)
        fake_add(&fake, utc(2024, 4, 23, 20, 45, 0) + 60 * i, i == 2 ? 3.4666088898518357 : 1);
    assert_texts(
        &cpu, &fake, utc(2024, 4, 23, 20, 50, 27) * 1000 + 367, ALARM_STATE_OK, ALARM_STATE_ALARM,
        "Threshold Crossed: 1 out of the last 1 datapoints [3.4666088898518357 (23/04/24 "
        "20:45:00)] was less than or equal to the threshold (20.0) (minimum 1 datapoint for OK "
        "-> ALARM transition).",
        "{\"version\":\"1.0\",\"queryDate\":\"2024-04-23T20:50:27.367+0000\",\"startDate\":"
        "\"2024-04-23T20:45:00.000+0000\",\"statistic\":\"Maximum\",\"period\":300,"
        "\"recentDatapoints\":[3.4666088898518357],\"threshold\":20.0,\"evaluatedDatapoints\":[{"
        "\"timestamp\":\"2024-04-23T20:45:00.000+0000\",\"sampleCount\":5.0,\"value\":"
        "3.4666088898518357}]}");
}

/* The fill clause with breaching fills, the label from INSUFFICIENT_DATA, and missing
 * slots in the reason data. */
static void m_of_n_form_with_breaching_fills(void **state)
{
    (void)state;
    struct fake_reader fake = {0};
    struct alarm_spec spec = {.statistic = "Sum",
                              .period = 60,
                              .periods = 3,
                              .minimum = 2,
                              .threshold = 1,
                              .treat_missing = ALARM_TREAT_MISSING_BREACHING};
    fake_add(&fake, utc(2024, 1, 2, 3, 8, 0), 0.0); /* newest slot of 03:04 … 03:08 */
    assert_texts(
        &spec, &fake, utc(2024, 1, 2, 3, 9, 5) * 1000, ALARM_STATE_INSUFFICIENT_DATA,
        ALARM_STATE_ALARM,
        "Threshold Crossed: 0 out of the last 3 datapoints [] were greater than or equal to the "
        "threshold (1.0) and 2 missing datapoints were treated as [Breaching] (minimum 2 "
        "datapoints for OK -> ALARM transition).",
        "{\"version\":\"1.0\",\"queryDate\":\"2024-01-02T03:09:05.000+0000\",\"startDate\":"
        "\"2024-01-02T03:08:00.000+0000\",\"statistic\":\"Sum\",\"period\":60,"
        "\"recentDatapoints\":[0.0],\"threshold\":1.0,\"evaluatedDatapoints\":[{\"timestamp\":"
        "\"2024-01-02T03:08:00.000+0000\",\"sampleCount\":1.0,\"value\":0.0},{\"timestamp\":"
        "\"2024-01-02T03:07:00.000+0000\"},{\"timestamp\":\"2024-01-02T03:06:00.000+0000\"}]}");
}

/* Form (C): nothing in the range, filled by TreatMissingData. */
static void all_missing_filled_form(void **state)
{
    (void)state;
    struct fake_reader fake = {0};
    struct alarm_spec spec = cis_like;
    spec.treat_missing = ALARM_TREAT_MISSING_NOT_BREACHING;
    assert_texts(&spec, &fake, utc(2024, 5, 1, 0, 0, 0) * 1000, ALARM_STATE_ALARM, ALARM_STATE_OK,
                 "Threshold Crossed: no datapoints were received for 1 period and 1 missing "
                 "datapoint was treated as [NonBreaching].",
                 NULL);
    spec.treat_missing = ALARM_TREAT_MISSING_BREACHING;
    spec.periods = 3;
    assert_texts(&spec, &fake, utc(2024, 5, 1, 0, 0, 0) * 1000, ALARM_STATE_OK, ALARM_STATE_ALARM,
                 "Threshold Crossed: no datapoints were received for 3 periods and 3 missing "
                 "datapoints were treated as [Breaching].",
                 NULL);
}

/* Form (G), [inf] §8.2: the premature alarm lists its breaching points and counts its
 * missing slots nowhere. Range `- - X - -`, N = M = 3. */
static void premature_alarm_form(void **state)
{
    (void)state;
    struct fake_reader fake = {0};
    fake_add(&fake, utc(2024, 6, 1, 8, 2, 0), 4.0); /* third of 08:00 … 08:04 */
    struct alarm_spec spec = {.statistic = "Sum", .period = 60, .periods = 3, .threshold = 1};
    int64_t now_ms = utc(2024, 6, 1, 8, 5, 0) * 1000;
    assert_texts(&spec, &fake, now_ms, ALARM_STATE_INSUFFICIENT_DATA, ALARM_STATE_ALARM,
                 "Threshold Crossed: 1 datapoint [4.0 (01/06/24 08:02:00)] was greater than or "
                 "equal to the threshold (1.0).",
                 NULL);
    spec.minimum = 3;
    assert_texts(&spec, &fake, now_ms, ALARM_STATE_INSUFFICIENT_DATA, ALARM_STATE_ALARM,
                 "Threshold Crossed: 1 out of the last 3 datapoints [4.0 (01/06/24 08:02:00)] was "
                 "greater than or equal to the threshold (1.0) (minimum 3 datapoints for OK -> "
                 "ALARM transition).",
                 "{\"version\":\"1.0\",\"queryDate\":\"2024-06-01T08:05:00.000+0000\","
                 "\"startDate\":\"2024-06-01T08:02:00.000+0000\",\"statistic\":\"Sum\","
                 "\"period\":60,\"recentDatapoints\":[4.0],\"threshold\":1.0,"
                 "\"evaluatedDatapoints\":[{\"timestamp\":\"2024-06-01T08:04:00.000+0000\"},{"
                 "\"timestamp\":\"2024-06-01T08:03:00.000+0000\"},{\"timestamp\":\"2024-06-01T08:"
                 "02:00.000+0000\",\"sampleCount\":1.0,\"value\":4.0}]}");
}

/* Each operator's words, and a threshold printed the Java way. */
static void operator_words_and_negation(void **state)
{
    (void)state;
    struct fake_reader fake = {0};
    fake_add(&fake, utc(2024, 7, 1, 0, 0, 0), 5.0);
    struct alarm_spec spec = {.statistic = "Sum", .period = 60, .periods = 1, .threshold = 2e-4};
    int64_t now_ms = utc(2024, 7, 1, 0, 1, 0) * 1000;
    spec.comparison = ALARM_GREATER_THAN_THRESHOLD;
    assert_texts(&spec, &fake, now_ms, ALARM_STATE_OK, ALARM_STATE_ALARM,
                 "Threshold Crossed: 1 datapoint [5.0 (01/07/24 00:00:00)] was greater than the "
                 "threshold (2.0E-4).",
                 NULL);
    spec.comparison = ALARM_LESS_THAN_OR_EQUAL_TO_THRESHOLD;
    assert_texts(&spec, &fake, now_ms, ALARM_STATE_ALARM, ALARM_STATE_OK,
                 "Threshold Crossed: 1 datapoint [5.0 (01/07/24 00:00:00)] was not less than or "
                 "equal to the threshold (2.0E-4).",
                 NULL);
}

/* ---- ARN and history ---- */

static void alarm_arn_names_region_and_account(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    alarm_definition_init(&alarm);
    alarm.alarm_name = strdup("CIS-4.1 Unauthorized");
    char *arn = alarm_arn(&alarm, "us-east-1", "123456789012");
    assert_string_equal(arn,
                        "arn:aws:cloudwatch:us-east-1:123456789012:alarm:CIS-4.1 Unauthorized");
    free(arn);
    alarm_definition_free(&alarm);
}

static void history_alarm_build(struct alarm_definition *alarm)
{
    struct alarm_spec spec = {.statistic = "Sum", .period = 60, .periods = 1, .threshold = 1};
    alarm_build(alarm, &spec);
    alarm->alarm_description = strdup("API Alarm \"test\"");
    alarm->metric.dimensions = calloc(2, sizeof *alarm->metric.dimensions);
    alarm->metric.dimensions[0] =
        (struct metric_dimension_value){strdup("Operation"), strdup("PutItem")};
    alarm->metric.dimensions[1] = (struct metric_dimension_value){strdup("TableName"), strdup("T")};
    alarm->metric.dimension_count = 2;
    alarm->alarm_actions.items[0] = strdup("arn:aws:sns:us-east-1:123456789012:alerts");
    alarm->alarm_actions.count = 1;
}

/* The shape of a captured Create item (2022), key for key. */
static void history_of_a_creation(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    history_alarm_build(&alarm);
    char *data = alarm_history_configuration_data(
        &alarm, "arn:aws:cloudwatch:us-east-1:123456789012:alarm:test-alarm", true,
        INT64_C(1667404530959));
    assert_string_equal(
        data,
        "{\"version\":\"1.0\",\"type\":\"Create\",\"createdAlarm\":{\"alarmName\":\"test-alarm\","
        "\"alarmDescription\":\"API Alarm \\\"test\\\"\",\"alarmArn\":\"arn:aws:cloudwatch:us-"
        "east-1:123456789012:alarm:test-alarm\",\"alarmConfigurationUpdatedTimestamp\":\"2022-11-"
        "02T15:55:30.959+0000\",\"namespace\":\"CISBenchmark\",\"metricName\":"
        "\"UnauthorizedAPICalls\",\"statistic\":\"Sum\",\"period\":60,\"dimensions\":[{\"value\":"
        "\"PutItem\",\"name\":\"Operation\"},{\"value\":\"T\",\"name\":\"TableName\"}],"
        "\"threshold\":1.0,\"comparisonOperator\":\"GreaterThanOrEqualToThreshold\","
        "\"evaluationPeriods\":1,\"stateValue\":\"INSUFFICIENT_DATA\",\"stateUpdatedTimestamp\":"
        "\"2022-11-02T15:55:30.959+0000\",\"actionsEnabled\":true,\"alarmActions\":[\"arn:aws:sns:"
        "us-east-1:123456789012:alerts\"],\"insufficientDataActions\":[],\"okactions\":[]}}");
    free(data);
    alarm_definition_free(&alarm);
}

/* [inf] An update: "Update"/"updatedAlarm", the state as it stands, the newer fields last. */
static void history_of_an_update(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    history_alarm_build(&alarm);
    free(alarm.alarm_description);
    alarm.alarm_description = NULL;
    alarm.unit = strdup("Count");
    alarm.datapoints_to_alarm = 1;
    alarm.treat_missing = ALARM_TREAT_MISSING_NOT_BREACHING;
    alarm.actions_enabled = false;
    struct alarm_status status = {.state = ALARM_STATE_ALARM, .updated_ms = 1000};
    char *data = alarm_history_configuration_data_with_state(&alarm, "arn:x", false, 2000, &status);
    assert_string_equal(
        data, "{\"version\":\"1.0\",\"type\":\"Update\",\"updatedAlarm\":{\"alarmName\":\"test-"
              "alarm\",\"alarmArn\":\"arn:x\",\"alarmConfigurationUpdatedTimestamp\":\"1970-01-"
              "01T00:00:02.000+0000\",\"namespace\":\"CISBenchmark\",\"metricName\":"
              "\"UnauthorizedAPICalls\",\"statistic\":\"Sum\",\"period\":60,\"unit\":\"Count\","
              "\"dimensions\":[{\"value\":\"PutItem\",\"name\":\"Operation\"},{\"value\":\"T\","
              "\"name\":\"TableName\"}],\"threshold\":1.0,\"comparisonOperator\":"
              "\"GreaterThanOrEqualToThreshold\",\"evaluationPeriods\":1,\"stateValue\":\"ALARM\","
              "\"stateUpdatedTimestamp\":\"1970-01-01T00:00:01.000+0000\",\"actionsEnabled\":"
              "false,\"alarmActions\":[\"arn:aws:sns:us-east-1:123456789012:alerts\"],"
              "\"insufficientDataActions\":[],\"okactions\":[],\"datapointsToAlarm\":1,"
              "\"treatMissingData\":\"notBreaching\"}}");
    free(data);
    /* without a status, an update carries no state */
    data = alarm_history_configuration_data(&alarm, "arn:x", false, 2000);
    assert_null(strstr(data, "stateValue"));
    free(data);
    alarm_definition_free(&alarm);
}

/* §7's StateUpdate shape: reason data embedded as an object, left out when there is none. */
static void history_of_a_state_change(void **state)
{
    (void)state;
    struct alarm_status old_status = {.state = ALARM_STATE_ALARM, .reason = "testing purposes"};
    char *data = alarm_history_state_data(
        &old_status, ALARM_STATE_OK, "Threshold Crossed: x",
        "{\"version\":\"1.0\",\"statistic\":\"Average\",\"period\":300,\"threshold\":70.0}");
    assert_string_equal(
        data, "{\"version\":\"1.0\",\"oldState\":{\"stateValue\":\"ALARM\",\"stateReason\":"
              "\"testing purposes\"},\"newState\":{\"stateValue\":\"OK\",\"stateReason\":"
              "\"Threshold Crossed: x\",\"stateReasonData\":{\"version\":\"1.0\",\"statistic\":"
              "\"Average\",\"period\":300,\"threshold\":70.0}}}");
    free(data);
    /* [inf] reason data that is not JSON is embedded as a string */
    old_status.reason_data = "not json";
    data = alarm_history_state_data(&old_status, ALARM_STATE_OK, "line\nbreak\x01", NULL);
    assert_string_equal(
        data, "{\"version\":\"1.0\",\"oldState\":{\"stateValue\":\"ALARM\",\"stateReason\":"
              "\"testing purposes\",\"stateReasonData\":\"not json\"},\"newState\":{"
              "\"stateValue\":\"OK\",\"stateReason\":\"line\\nbreak\\u0001\"}}");
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(numbers_print_like_java),
        cmocka_unit_test(number_layout_switches_at_java_bounds),
        cmocka_unit_test(number_specials_print_like_java),
        cmocka_unit_test(numbers_are_shortest_round_trips),
        cmocka_unit_test(reason_time_is_day_month_year),
        cmocka_unit_test(iso_time_has_milliseconds_and_offset),
        cmocka_unit_test(times_outside_years_1_to_9999_are_clamped),
        cmocka_unit_test(reason_data_of_an_alarm),
        cmocka_unit_test(reason_data_of_insufficient_data),
        cmocka_unit_test(classic_form_examples),
        cmocka_unit_test(classic_form_lists_points_agreeing_with_the_state),
        cmocka_unit_test(m_of_n_form_examples),
        cmocka_unit_test(m_of_n_form_with_breaching_fills),
        cmocka_unit_test(all_missing_filled_form),
        cmocka_unit_test(premature_alarm_form),
        cmocka_unit_test(operator_words_and_negation),
        cmocka_unit_test(alarm_arn_names_region_and_account),
        cmocka_unit_test(history_of_a_creation),
        cmocka_unit_test(history_of_an_update),
        cmocka_unit_test(history_of_a_state_change),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
