/* Alarm definitions: AWS's defaults, ownership, the names of the enums, every
 * PutMetricAlarm rule of alarms.md §3, and the JSON request shape both ways. */
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

static const struct alarm_spec cis_spec = {
    .statistic = "Sum", .period = 300, .periods = 1, .threshold = 1};

static void defaults_are_aws_defaults(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    memset(&alarm, 0xa5, sizeof alarm);
    alarm_definition_init(&alarm);
    assert_true(alarm.actions_enabled);
    assert_int_equal(alarm.treat_missing, ALARM_TREAT_MISSING_MISSING);
    assert_true(alarm.evaluate_low_sample_count_percentile);
    assert_null(alarm.alarm_name);
    assert_int_equal(alarm.datapoints_to_alarm, 0);
    assert_int_equal(alarm.ok_actions.count, 0);
    alarm_definition_free(&alarm);
    alarm_definition_free(NULL);
}

static void names_parse_as_aws_spells_them(void **state)
{
    (void)state;
    enum alarm_state alarm_state;
    assert_true(alarm_state_parse("INSUFFICIENT_DATA", &alarm_state));
    assert_int_equal(alarm_state, ALARM_STATE_INSUFFICIENT_DATA);
    assert_string_equal(alarm_state_name(ALARM_STATE_OK), "OK");
    assert_false(alarm_state_parse("ok", &alarm_state));
    enum alarm_comparison comparison;
    assert_true(alarm_comparison_parse("LessThanOrEqualToThreshold", &comparison));
    assert_int_equal(comparison, ALARM_LESS_THAN_OR_EQUAL_TO_THRESHOLD);
    assert_string_equal(alarm_comparison_name(ALARM_GREATER_THAN_THRESHOLD),
                        "GreaterThanThreshold");
    /* anomaly-band operators are AWS's but not ours */
    assert_false(alarm_comparison_parse("LessThanLowerOrGreaterThanUpperThreshold", &comparison));
    assert_true(alarm_comparison_is_anomaly("LessThanLowerOrGreaterThanUpperThreshold"));
    assert_true(alarm_comparison_is_anomaly("LessThanLowerThreshold"));
    assert_true(alarm_comparison_is_anomaly("GreaterThanUpperThreshold"));
    assert_false(alarm_comparison_is_anomaly("GreaterThanThreshold"));
    assert_false(alarm_comparison_is_anomaly(NULL));
    enum alarm_treat_missing treat_missing;
    assert_true(alarm_treat_missing_parse("notBreaching", &treat_missing));
    assert_int_equal(treat_missing, ALARM_TREAT_MISSING_NOT_BREACHING);
    assert_false(alarm_treat_missing_parse("NotBreaching", &treat_missing));
    assert_string_equal(alarm_treat_missing_name(ALARM_TREAT_MISSING_IGNORE), "ignore");
}

/* A definition with every field set. */
static void full_build(struct alarm_definition *alarm)
{
    struct alarm_spec spec = {.statistic = "Sum",
                              .unit = "Count",
                              .period = 300,
                              .periods = 3,
                              .minimum = 2,
                              .threshold = 0.5,
                              .comparison = ALARM_GREATER_THAN_THRESHOLD,
                              .treat_missing = ALARM_TREAT_MISSING_NOT_BREACHING};
    alarm_build(alarm, &spec);
    alarm->alarm_description = strdup("Unauthorized \"API\" calls\n");
    alarm->actions_enabled = false;
    alarm->ok_actions.items[0] = strdup("arn:aws:sns:eu-west-1:111122223333:ok");
    alarm->ok_actions.count = 1;
    alarm->alarm_actions.items[0] = strdup("arn:aws:sns:eu-west-1:111122223333:a");
    alarm->alarm_actions.items[1] = strdup("arn:aws:sns:eu-west-1:111122223333:b");
    alarm->alarm_actions.count = 2;
    alarm->metric.dimensions = calloc(2, sizeof *alarm->metric.dimensions);
    alarm->metric.dimensions[0] =
        (struct metric_dimension_value){strdup("Account"), strdup("111122223333")};
    alarm->metric.dimensions[1] =
        (struct metric_dimension_value){strdup("Region"), strdup("eu-west-1")};
    alarm->metric.dimension_count = 2;
    alarm->cis_id = strdup("4.1");
    alarm->origin = strdup("trailhound.yaml:12");
}

static void copy_is_deep(void **state)
{
    (void)state;
    struct alarm_definition alarm, copy;
    full_build(&alarm);
    assert_true(alarm_definition_copy(&copy, &alarm));
    char *original = alarm_definition_to_json(&alarm);
    alarm_definition_free(&alarm);
    char *copied = alarm_definition_to_json(&copy);
    assert_string_equal(copied, original);
    free(original);
    free(copied);
    alarm_definition_free(&copy);
}

static const char full_json[] =
    "{\"AlarmName\":\"test-alarm\",\"AlarmDescription\":\"Unauthorized \\\"API\\\" calls\\n\","
    "\"ActionsEnabled\":false,\"OKActions\":[\"arn:aws:sns:eu-west-1:111122223333:ok\"],"
    "\"AlarmActions\":[\"arn:aws:sns:eu-west-1:111122223333:a\",\"arn:aws:sns:eu-west-1:"
    "111122223333:b\"],\"InsufficientDataActions\":[],\"MetricName\":\"UnauthorizedAPICalls\","
    "\"Namespace\":\"CISBenchmark\",\"Statistic\":\"Sum\",\"Dimensions\":[{\"Name\":\"Account\","
    "\"Value\":\"111122223333\"},{\"Name\":\"Region\",\"Value\":\"eu-west-1\"}],\"Period\":300,"
    "\"Unit\":\"Count\",\"EvaluationPeriods\":3,\"DatapointsToAlarm\":2,\"Threshold\":0.5,"
    "\"ComparisonOperator\":\"GreaterThanThreshold\",\"TreatMissingData\":\"notBreaching\","
    "\"TrailhoundCisId\":\"4.1\",\"TrailhoundOrigin\":\"trailhound.yaml:12\"}";

static void json_has_put_metric_alarm_shape(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    full_build(&alarm);
    char *text = alarm_definition_to_json(&alarm);
    assert_string_equal(text, full_json);
    free(text);
    alarm_definition_free(&alarm);

    /* the smallest alarm: no description, unit, M or extension keys */
    alarm_build(&alarm, &cis_spec);
    text = alarm_definition_to_json(&alarm);
    assert_string_equal(
        text, "{\"AlarmName\":\"test-alarm\",\"ActionsEnabled\":true,\"OKActions\":[],"
              "\"AlarmActions\":[],\"InsufficientDataActions\":[],\"MetricName\":"
              "\"UnauthorizedAPICalls\",\"Namespace\":\"CISBenchmark\",\"Statistic\":\"Sum\","
              "\"Dimensions\":[],\"Period\":300,\"EvaluationPeriods\":1,\"Threshold\":1.0,"
              "\"ComparisonOperator\":\"GreaterThanOrEqualToThreshold\",\"TreatMissingData\":"
              "\"missing\"}");
    free(text);
    alarm_definition_free(&alarm);
}

static void json_round_trips(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    struct alarm_error error = {{0}};
    if (!alarm_definition_from_json(full_json, &alarm, &error))
        fail_msg("%s", error.message);
    char *text = alarm_definition_to_json(&alarm);
    assert_string_equal(text, full_json);
    free(text);
    alarm_definition_free(&alarm);

    /* percentile alarms carry EvaluateLowSampleCountPercentile */
    const char *percentile =
        "{\"AlarmName\":\"p\",\"ActionsEnabled\":true,\"OKActions\":[],\"AlarmActions\":[],"
        "\"InsufficientDataActions\":[],\"MetricName\":\"Latency\",\"Namespace\":\"App\","
        "\"ExtendedStatistic\":\"TM(10%:90%)\",\"Dimensions\":[],\"Period\":60,"
        "\"EvaluationPeriods\":1,\"Threshold\":2.5E-4,\"ComparisonOperator\":"
        "\"LessThanThreshold\",\"TreatMissingData\":\"ignore\","
        "\"EvaluateLowSampleCountPercentile\":\"ignore\"}";
    if (!alarm_definition_from_json(percentile, &alarm, &error))
        fail_msg("%s", error.message);
    assert_false(alarm.evaluate_low_sample_count_percentile);
    assert_null(alarm.statistic);
    text = alarm_definition_to_json(&alarm);
    assert_string_equal(text, percentile);
    free(text);
    alarm_definition_free(&alarm);
}

/* Dimensions come back sorted by name (an identity), whatever order they were given in. */
static void json_dimensions_are_sorted(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    struct alarm_error error;
    assert_true(alarm_definition_from_json(
        "{\"AlarmName\":\"a\",\"MetricName\":\"m\",\"Namespace\":\"n\",\"Statistic\":\"Sum\","
        "\"Dimensions\":[{\"Value\":\"2\",\"Name\":\"Zone\"},{\"Name\":\"App\",\"Value\":\"1\"}],"
        "\"Period\":60,\"EvaluationPeriods\":1,\"Threshold\":1,\"ComparisonOperator\":"
        "\"GreaterThanThreshold\",\"Tags\":[{\"Key\":\"k\",\"Value\":\"v\"}]}",
        &alarm, &error));
    assert_string_equal(alarm.metric.dimensions[0].name, "App");
    assert_string_equal(alarm.metric.dimensions[1].value, "2");
    assert_true(alarm.threshold == 1.0);
    alarm_definition_free(&alarm);
}

static void assert_json_refused(const char *text, const char *message)
{
    struct alarm_definition alarm;
    struct alarm_error error = {{0}};
    assert_false(alarm_definition_from_json(text, &alarm, &error));
    assert_string_equal(error.message, message);
    assert_null(alarm.alarm_name); /* left empty */
    alarm_definition_free(&alarm);
}

#define BASE                                                                                       \
    "\"AlarmName\":\"a\",\"MetricName\":\"m\",\"Namespace\":\"n\",\"Statistic\":\"Sum\","          \
    "\"Period\":60,\"EvaluationPeriods\":1,\"Threshold\":1"

static void json_errors_name_the_field(void **state)
{
    (void)state;
    assert_json_refused("[]", "an alarm definition must be a JSON object");
    assert_json_refused("{", "alarm definition: string or '}' expected near end of file (line 1, "
                             "column 1)");
    assert_json_refused("{" BASE ",\"ComparisonOperator\":\"LessThanLowerThreshold\"}",
                        "ComparisonOperator: LessThanLowerThreshold compares with an anomaly "
                        "detection band, which is not supported");
    assert_json_refused("{" BASE ",\"ComparisonOperator\":\"Bigger\"}",
                        "ComparisonOperator: must be GreaterThanOrEqualToThreshold, "
                        "GreaterThanThreshold, LessThanThreshold or LessThanOrEqualToThreshold "
                        "(got \"Bigger\")");
    assert_json_refused("{" BASE "}", "ComparisonOperator: required");
    assert_json_refused("{\"AlarmName\":\"a\"}", "Period: required");
    assert_json_refused("{" BASE ",\"ComparisonOperator\":\"LessThanThreshold\",\"Period\":60}",
                        "alarm definition: duplicate object key near '\"Period\"' (line 1, "
                        "column 165)");
    assert_json_refused("{" BASE ",\"ComparisonOperator\":\"LessThanThreshold\",\"Metrics\":[]}",
                        "Metrics: metric math, anomaly band and wall-clock alarms are not "
                        "supported");
    assert_json_refused("{" BASE ",\"ComparisonOperator\":\"LessThanThreshold\",\"Foo\":1}",
                        "unknown parameter \"Foo\"");
    assert_json_refused("{\"AlarmName\":1}", "AlarmName: must be a string");
    assert_json_refused("{\"Period\":60.0}", "Period: must be an integer");
    assert_json_refused("{\"Period\":4294967296}", "Period: out of range (got 4294967296)");
    assert_json_refused("{\"Threshold\":\"1\"}", "Threshold: must be a number");
    assert_json_refused("{\"ActionsEnabled\":1}", "ActionsEnabled: must be true or false");
    assert_json_refused("{\"OKActions\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\"]}",
                        "OKActions: at most 5 actions (got 6)");
    assert_json_refused("{\"AlarmActions\":[1]}", "AlarmActions: must be a string");
    assert_json_refused("{\"DatapointsToAlarm\":0}",
                        "DatapointsToAlarm: must be at least 1 (got 0)");
    assert_json_refused("{\"TreatMissingData\":\"Missing\"}",
                        "TreatMissingData: must be missing, ignore, breaching or notBreaching");
    assert_json_refused("{\"EvaluateLowSampleCountPercentile\":true}",
                        "EvaluateLowSampleCountPercentile: must be evaluate or ignore");
    assert_json_refused("{\"Dimensions\":[{\"Name\":\"a\"}]}", "Dimensions.Value: required");
    assert_json_refused("{\"Dimensions\":[{\"Name\":\"a\",\"Value\":\"b\",\"X\":1}]}",
                        "Dimensions: unknown member \"X\"");
    assert_json_refused("{\"Dimensions\":{}}", "Dimensions: must be an array");
    assert_json_refused("{\"Tags\":{}}", "Tags: must be an array");
    /* validation runs last */
    assert_json_refused("{\"AlarmName\":\"a\",\"MetricName\":\"m\",\"Namespace\":\"n\","
                        "\"Statistic\":\"Sum\",\"Period\":45,\"EvaluationPeriods\":1,"
                        "\"Threshold\":1,\"ComparisonOperator\":\"LessThanThreshold\"}",
                        "Period: must be 10, 20, 30 or a multiple of 60 (got 45)");
}

/* ---- validation ---- */

static void assert_invalid(const struct alarm_definition *alarm, const char *message)
{
    struct alarm_error error = {{0}};
    assert_false(alarm_definition_validate(alarm, &error));
    assert_string_equal(error.message, message);
}

static void replace(char **field, const char *value)
{
    free(*field);
    *field = value ? strdup(value) : NULL;
}

static void valid_alarms_pass(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    struct alarm_error error;
    full_build(&alarm);
    assert_true(alarm_definition_validate(&alarm, &error));
    const char *extended[] = {"p99",         "p99.9",       "tm90",        "tc90",
                              "ts90",        "wm90",        "IQM",         "PR(10:300)",
                              "TM(10%:90%)", "WM(25%:75%)", "TC(10%:90%)", "TS(20%:80%)"};
    replace(&alarm.statistic, NULL);
    for (size_t i = 0; i < sizeof extended / sizeof extended[0]; i++) {
        replace(&alarm.extended_statistic, extended[i]);
        if (!alarm_definition_validate(&alarm, &error))
            fail_msg("%s: %s", extended[i], error.message);
    }
    alarm_definition_free(&alarm);
}

static void names_and_texts_are_checked(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    alarm_build(&alarm, &cis_spec);
    char long_name[300];
    memset(long_name, 'a', 256);
    long_name[256] = '\0';
    replace(&alarm.alarm_name, long_name);
    assert_invalid(&alarm, "AlarmName: must be 1 to 255 characters (got 256)");
    /* characters, not bytes: 255 two-byte characters are fine */
    char wide[600] = "";
    for (int i = 0; i < 255; i++)
        strcat(wide, "\xc3\xa9");
    replace(&alarm.alarm_name, wide);
    struct alarm_error error;
    assert_true(alarm_definition_validate(&alarm, &error));
    replace(&alarm.alarm_name, "");
    assert_invalid(&alarm, "AlarmName: must be 1 to 255 characters (got 0)");
    replace(&alarm.alarm_name, NULL);
    assert_invalid(&alarm, "AlarmName: required");
    replace(&alarm.alarm_name, "tab\there");
    assert_invalid(&alarm, "AlarmName: must not contain control characters (found 0x09)");
    replace(&alarm.alarm_name, "del\x7f");
    assert_invalid(&alarm, "AlarmName: must not contain control characters (found 0x7F)");
    replace(&alarm.alarm_name, "bad \xc3(");
    assert_invalid(&alarm, "AlarmName: not valid UTF-8");
    replace(&alarm.alarm_name, "CIS 4.1");

    char description[1030];
    memset(description, 'd', 1025);
    description[1025] = '\0';
    replace(&alarm.alarm_description, description);
    assert_invalid(&alarm, "AlarmDescription: must be 0 to 1024 characters (got 1025)");
    replace(&alarm.alarm_description, "");
    assert_true(alarm_definition_validate(&alarm, &error));

    replace(&alarm.metric.metric_name, NULL);
    assert_invalid(&alarm, "MetricName: required");
    replace(&alarm.metric.metric_name, "m");
    replace(&alarm.metric.namespace_name, "   ");
    assert_invalid(&alarm, "Namespace: must contain a character other than a space");
    replace(&alarm.metric.namespace_name, "caf\xc3\xa9");
    assert_invalid(&alarm, "Namespace: must be printable ASCII (found 0xC3)");
    replace(&alarm.metric.namespace_name, ":x");
    assert_invalid(&alarm, "Namespace: must not start with ':'");
    replace(&alarm.metric.namespace_name, "AWS/Logs");
    assert_true(alarm_definition_validate(&alarm, &error));
    alarm_definition_free(&alarm);
}

static void actions_and_dimensions_are_counted(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    alarm_build(&alarm, &cis_spec);
    alarm.insufficient_data_actions.count = 6; /* no room for more than 5: only counted */
    assert_invalid(&alarm, "InsufficientDataActions: at most 5 actions (got 6)");
    alarm.insufficient_data_actions.count = 0;
    alarm.alarm_actions.items[0] = strdup("");
    alarm.alarm_actions.count = 1;
    assert_invalid(&alarm, "AlarmActions: must be 1 to 1024 characters (got 0)");
    replace(&alarm.alarm_actions.items[0], "arn:aws:sns:us-east-1:1:t");

    alarm.metric.dimensions = calloc(31, sizeof *alarm.metric.dimensions);
    for (int i = 0; i < 31; i++) {
        char name[8];
        snprintf(name, sizeof name, "d%02d", i);
        alarm.metric.dimensions[i] = (struct metric_dimension_value){strdup(name), strdup("v")};
    }
    alarm.metric.dimension_count = 31;
    assert_invalid(&alarm, "Dimensions: at most 30 dimensions (got 31)");
    alarm.metric.dimension_count = 30;
    struct alarm_error error;
    assert_true(alarm_definition_validate(&alarm, &error));
    replace(&alarm.metric.dimensions[3].name, "d01");
    assert_invalid(&alarm, "Dimensions: the name \"d01\" is given twice");
    replace(&alarm.metric.dimensions[3].value, "");
    assert_invalid(&alarm, "Dimensions.Value: must be 1 to 1024 characters (got 0)");
    alarm.metric.dimension_count = 31; /* all freed */
    alarm_definition_free(&alarm);
}

static void statistics_are_checked(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    alarm_build(&alarm, &cis_spec);
    replace(&alarm.extended_statistic, "p99");
    assert_invalid(&alarm, "Statistic, ExtendedStatistic: give one of them, not both");
    replace(&alarm.statistic, NULL);
    replace(&alarm.extended_statistic, NULL);
    assert_invalid(&alarm, "Statistic: required (or ExtendedStatistic)");
    replace(&alarm.statistic, "avg");
    assert_invalid(&alarm, "Statistic: invalid statistic \"avg\": must be one of SampleCount, "
                           "Sum, Average, Minimum, Maximum");
    replace(&alarm.statistic, NULL);
    replace(&alarm.extended_statistic, "p101");
    assert_invalid(&alarm, "ExtendedStatistic: invalid statistic \"p101\": a percentage must be "
                           "between 0 and 100");
    replace(&alarm.extended_statistic, "Sum");
    assert_invalid(&alarm, "ExtendedStatistic: invalid statistic \"Sum\": a simple statistic, "
                           "not an extended one");
    /* alarm-only: the parenthesised trimmed family takes X%:X% with 10 <= X <= 90 */
    const char *refused[] = {"TM(5%:90%)", "TC(10%:95%)", "TS(:90%)", "WM(10%:)", "TM(10:90)"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        replace(&alarm.extended_statistic, refused[i]);
        char message[200];
        snprintf(message, sizeof message,
                 "ExtendedStatistic: alarms take %.2s(X%%:X%%) with both bounds between 10 and "
                 "90 (got \"%s\")",
                 refused[i], refused[i]);
        assert_invalid(&alarm, message);
    }
    alarm_definition_free(&alarm);
}

static void units_are_cloudwatch_units(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    struct alarm_error error;
    alarm_build(&alarm, &cis_spec);
    const char *units[] = {"Seconds",      "Bytes/Second", "Terabits/Second",
                           "Count/Second", "None",         "Percent"};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        replace(&alarm.unit, units[i]);
        assert_true(alarm_definition_validate(&alarm, &error));
    }
    replace(&alarm.unit, "seconds");
    assert_invalid(&alarm, "Unit: \"seconds\" is not a CloudWatch unit (Seconds, Microseconds, "
                           "Milliseconds, Bytes, Kilobytes, ..., Percent, Count, Bytes/Second, "
                           "..., Count/Second, None)");
    alarm_definition_free(&alarm);
}

static void periods_are_checked(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    struct alarm_error error;
    alarm_build(&alarm, &cis_spec);
    const int good[] = {10, 20, 30, 60, 120, 3600, 86400};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        alarm.period = good[i];
        assert_true(alarm_definition_validate(&alarm, &error));
    }
    alarm.period = 45;
    assert_invalid(&alarm, "Period: must be 10, 20, 30 or a multiple of 60 (got 45)");
    alarm.period = 0;
    assert_invalid(&alarm, "Period: must be 10, 20, 30 or a multiple of 60 (got 0)");
    alarm.period = -60;
    assert_invalid(&alarm, "Period: must be 10, 20, 30 or a multiple of 60 (got -60)");
    alarm.period = 90;
    assert_invalid(&alarm, "Period: must be 10, 20, 30 or a multiple of 60 (got 90)");

    alarm.period = 60;
    alarm.evaluation_periods = 0;
    assert_invalid(&alarm, "EvaluationPeriods: must be at least 1 (got 0)");
    alarm.evaluation_periods = 3;
    alarm.datapoints_to_alarm = 4;
    assert_invalid(&alarm, "DatapointsToAlarm: must not exceed EvaluationPeriods (got 4 > 3)");
    alarm.datapoints_to_alarm = -1;
    assert_invalid(&alarm, "DatapointsToAlarm: must be at least 1 (got -1)");
    alarm.datapoints_to_alarm = 3;
    assert_true(alarm_definition_validate(&alarm, &error));

    /* Period x N: one day under an hour's period, seven days otherwise */
    alarm.evaluation_periods = 1440;
    assert_true(alarm_definition_validate(&alarm, &error));
    alarm.evaluation_periods = 1441;
    assert_invalid(&alarm, "EvaluationPeriods: Period x EvaluationPeriods must be at most 86400 "
                           "seconds when Period is under 3600 (got 86460)");
    alarm.period = 3600;
    alarm.evaluation_periods = 168;
    assert_true(alarm_definition_validate(&alarm, &error));
    alarm.evaluation_periods = 169;
    assert_invalid(&alarm, "EvaluationPeriods: Period x EvaluationPeriods must be at most 604800 "
                           "seconds (got 608400)");
    alarm.period = 86400 * 30; /* no int overflow in the product */
    alarm.evaluation_periods = 1000000;
    assert_invalid(&alarm, "EvaluationPeriods: Period x EvaluationPeriods must be at most 604800 "
                           "seconds (got 2592000000000)");
    alarm_definition_free(&alarm);
}

static void decision_fields_are_checked(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    alarm_build(&alarm, &cis_spec);
    alarm.threshold = NAN;
    assert_invalid(&alarm, "Threshold: must be a finite number");
    alarm.threshold = 1;
    alarm.comparison = (enum alarm_comparison)7;
    assert_invalid(&alarm, "ComparisonOperator: not a known operator");
    alarm.comparison = ALARM_LESS_THAN_THRESHOLD;
    alarm.treat_missing = (enum alarm_treat_missing)9;
    assert_invalid(&alarm, "TreatMissingData: not a known value");
    alarm_definition_free(&alarm);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_are_aws_defaults),
        cmocka_unit_test(names_parse_as_aws_spells_them),
        cmocka_unit_test(copy_is_deep),
        cmocka_unit_test(json_has_put_metric_alarm_shape),
        cmocka_unit_test(json_round_trips),
        cmocka_unit_test(json_dimensions_are_sorted),
        cmocka_unit_test(json_errors_name_the_field),
        cmocka_unit_test(valid_alarms_pass),
        cmocka_unit_test(names_and_texts_are_checked),
        cmocka_unit_test(actions_and_dimensions_are_counted),
        cmocka_unit_test(statistics_are_checked),
        cmocka_unit_test(units_are_cloudwatch_units),
        cmocka_unit_test(periods_are_checked),
        cmocka_unit_test(decision_fields_are_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
