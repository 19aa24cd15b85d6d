/* The configuration file's `alarms` (PutMetricAlarm's fields) and `settings`: every field
 * read, PutMetricAlarm's rules applied with messages naming file, line and field, files
 * combined, and the CIS pack's alarms. */
#include "config/config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#define CONFIG_DIR TESTS_DATA_DIR "/config/"

static void valid_file_fills_every_field(void **state)
{
    (void)state;
    struct config config;
    assert_true(config_init(&config));
    struct config_error error;
    if (!config_load(CONFIG_DIR "valid_alarms.yaml", &config, &error))
        fail_msg("%s", error.message);
    assert_int_equal(config.filters.count, 1);
    assert_int_equal(config.alarms.count, 2);
    const struct alarm_definition *first = &config.alarms.items[0];
    assert_string_equal(first->alarm_name, "console-signin-failures");
    assert_string_equal(first->alarm_description, "Three failed console sign-ins in 15 minutes");
    assert_true(first->actions_enabled);
    assert_int_equal(first->alarm_actions.count, 1);
    assert_string_equal(first->alarm_actions.items[0],
                        "arn:aws:sns:us-east-1:123456789012:security-alerts");
    assert_int_equal(first->ok_actions.count, 0);
    assert_string_equal(first->metric.metric_name, "ConsoleSigninFailureCount");
    assert_string_equal(first->metric.namespace_name, "Security");
    assert_string_equal(first->statistic, "Sum");
    assert_null(first->extended_statistic);
    assert_int_equal(first->period, 300);
    assert_int_equal(first->evaluation_periods, 3);
    assert_int_equal(first->datapoints_to_alarm, 2);
    assert_true(first->threshold == 3.0);
    assert_int_equal(first->comparison, ALARM_GREATER_THAN_OR_EQUAL_TO_THRESHOLD);
    assert_int_equal(first->treat_missing, ALARM_TREAT_MISSING_NOT_BREACHING);
    assert_string_equal(first->origin, CONFIG_DIR "valid_alarms.yaml:11");

    const struct alarm_definition *second = &config.alarms.items[1];
    assert_null(second->statistic);
    assert_string_equal(second->extended_statistic, "p99");
    assert_string_equal(second->unit, "Milliseconds");
    assert_int_equal(second->datapoints_to_alarm, 0); /* not given: M = N, classic reasons */
    assert_true(second->threshold == 250.5);
    assert_int_equal(second->comparison, ALARM_GREATER_THAN_THRESHOLD);
    assert_int_equal(second->treat_missing, ALARM_TREAT_MISSING_MISSING); /* AWS's default */
    assert_false(second->evaluate_low_sample_count_percentile);
    assert_false(second->actions_enabled);
    /* dimensions are sorted by name, so equal sets are one metric */
    assert_int_equal(second->metric.dimension_count, 2);
    assert_string_equal(second->metric.dimensions[0].name, "Env");
    assert_string_equal(second->metric.dimensions[1].value, "api");

    assert_string_equal(config.settings.account_id, "123456789012");
    assert_string_equal(config.settings.region, "eu-west-1");
    assert_int_equal(config.settings.alarm_evaluation_range, 10);
    assert_int_equal(config.settings.datapoint_retention_days, 90);
    assert_int_equal(config.settings.history_retention_days, 14); /* default kept */
    config_free(&config);
}

static void defaults_without_settings(void **state)
{
    (void)state;
    struct config config;
    assert_true(config_init(&config));
    assert_string_equal(config.settings.account_id, "000000000000");
    assert_string_equal(config.settings.region, "us-east-1");
    assert_int_equal(config.settings.alarm_evaluation_range, 0);
    config_free(&config);
}

struct invalid_alarm {
    const char *yaml;
    const char *message; /* the whole "NAME:LINE: FIELD: ..." prefix, or a substring */
};

#define ALARM_ITEM "  - AlarmName: a\n    MetricName: m\n    Namespace: n\n"
#define ALARM_HEAD "alarms:\n" ALARM_ITEM

static const struct invalid_alarm invalid_alarms[] = {
    {ALARM_HEAD "    Statistic: Sum\n    Period: 45\n    EvaluationPeriods: 1\n"
                "    Threshold: 1\n    ComparisonOperator: GreaterThanThreshold\n",
     "inline.yaml:6: alarms[0]: Period"},
    {ALARM_HEAD "    Statistic: Total\n    Period: 60\n    EvaluationPeriods: 1\n"
                "    Threshold: 1\n    ComparisonOperator: GreaterThanThreshold\n",
     "inline.yaml:5: alarms[0]: Statistic"},
    {ALARM_HEAD "    Statistic: Sum\n    ExtendedStatistic: p99\n    Period: 60\n"
                "    EvaluationPeriods: 1\n    Threshold: 1\n"
                "    ComparisonOperator: GreaterThanThreshold\n",
     "inline.yaml:"},
    {ALARM_HEAD "    Statistic: Sum\n    Period: 60\n    EvaluationPeriods: 2\n"
                "    DatapointsToAlarm: 3\n    Threshold: 1\n"
                "    ComparisonOperator: GreaterThanThreshold\n",
     "inline.yaml:8: alarms[0]: DatapointsToAlarm"},
    {ALARM_HEAD "    Statistic: Sum\n    Period: 60\n    EvaluationPeriods: 1\n"
                "    Threshold: 1\n    ComparisonOperator: GreaterThanUpperThreshold\n",
     "inline.yaml:9: alarms[0].ComparisonOperator: 'GreaterThanUpperThreshold' needs an "
     "anomaly-detection band"},
    {ALARM_HEAD "    Statistic: Sum\n    Period: 60\n    EvaluationPeriods: 1\n"
                "    Threshold: 1\n    ComparisonOperator: Above\n",
     "inline.yaml:9: alarms[0].ComparisonOperator: 'Above' is not one of"},
    /* null where text is required: refused, not read as absent (fuzz_config: UBSan) */
    {ALARM_HEAD "    Statistic: Sum\n    Period: 60\n    EvaluationPeriods: 1\n"
                "    Threshold: 1\n    ComparisonOperator:\n",
     "inline.yaml:9: alarms[0].ComparisonOperator: required, found null"},
    {"alarms:\n  - AlarmName: ~\n    MetricName: m\n    Namespace: n\n",
     "inline.yaml:2: alarms[0].AlarmName: required, found null"},
    {ALARM_HEAD "    Statistic: Sum\n    Period: 60\n    EvaluationPeriods: 1\n"
                "    Threshold: 1\n    ComparisonOperator: GreaterThanThreshold\n"
                "    TreatMissingData: zero\n",
     "inline.yaml:10: alarms[0].TreatMissingData: 'zero' is not one of"},
    {ALARM_HEAD "    Statistic: Sum\n    Period: 60\n    EvaluationPeriods: 1\n"
                "    ComparisonOperator: GreaterThanThreshold\n",
     "inline.yaml:2: alarms[0].Threshold: missing (required)"},
    {ALARM_HEAD "    Statistic: Sum\n    Period: 60\n    EvaluationPeriods: one\n"
                "    Threshold: 1\n    ComparisonOperator: GreaterThanThreshold\n",
     "inline.yaml:7: alarms[0].EvaluationPeriods: 'one' is not a number"},
    {ALARM_HEAD "    Statistic: Sum\n    Period: 60\n    EvaluationPeriods: 1\n"
                "    Threshold: 1\n    ComparisonOperator: GreaterThanThreshold\n"
                "    Metrics: []\n",
     "inline.yaml:10: alarms[0].Metrics: metric-math"},
    {ALARM_HEAD "    statistic: Sum\n",
     "inline.yaml:5: alarms[0]: unknown field 'statistic'; did you mean 'Statistic'?"},
    {ALARM_HEAD "    Statistic: Sum\n    Period: 60\n    EvaluationPeriods: 1\n"
                "    Threshold: 1\n    ComparisonOperator: GreaterThanThreshold\n"
                "    ActionsEnabled: yes\n",
     "inline.yaml:10: alarms[0].ActionsEnabled: must be true or false"},
    {ALARM_HEAD "    Statistic: Sum\n    Period: 60\n    EvaluationPeriods: 1\n"
                "    Threshold: 1\n    ComparisonOperator: GreaterThanThreshold\n"
                "    AlarmActions: [a, b, c, d, e, f]\n",
     "inline.yaml:10: alarms[0].AlarmActions: at most 5 actions, found 6"},
    {ALARM_HEAD "    Statistic: Sum\n    Period: 60\n    EvaluationPeriods: 1\n"
                "    Threshold: 1\n    ComparisonOperator: GreaterThanThreshold\n"
                "    Dimensions:\n      - Name: x\n        Value: 1\n"
                "      - Name: x\n        Value: 2\n",
     "inline.yaml:13: alarms[0].Dimensions[1]: dimension 'x' is given twice"},
    {ALARM_HEAD "    Statistic: Sum\n    Period: 60\n    EvaluationPeriods: 1\n"
                "    Threshold: 1\n    ComparisonOperator: GreaterThanThreshold\n" ALARM_ITEM
                "    Statistic: Sum\n    Period: 60\n    EvaluationPeriods: 1\n"
                "    Threshold: 1\n    ComparisonOperator: GreaterThanThreshold\n",
     "alarms[1].AlarmName: duplicate AlarmName 'a'"},
    {"alarms: {}\n", "inline.yaml:1: alarms: expected a list"},
    {"alarms: []\nsettings:\n  accountId: 12345\n",
     "inline.yaml:3: settings.accountId: must be 12 digits"},
    {"alarms: []\nsettings:\n  region: US East\n", "inline.yaml:3: settings.region:"},
    {"alarms: []\nsettings:\n  alarmEvaluationRange: 0\n",
     "inline.yaml:3: settings.alarmEvaluationRange: must be a whole number from 1"},
    {"alarms: []\nsettings:\n  colour: blue\n", "inline.yaml:3: settings: unknown field"},
};

static void invalid_alarms_name_line_and_field(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof invalid_alarms / sizeof invalid_alarms[0]; i++) {
        struct config config;
        assert_true(config_init(&config));
        struct config_error error;
        const char *yaml = invalid_alarms[i].yaml;
        if (config_load_text("inline.yaml", yaml, strlen(yaml), &config, &error))
            fail_msg("case %zu loaded; expected %s", i, invalid_alarms[i].message);
        if (!strstr(error.message, invalid_alarms[i].message))
            fail_msg("case %zu: got '%s', expected '%s'", i, error.message,
                     invalid_alarms[i].message);
        assert_int_equal(config.alarms.count, 0); /* nothing half-loaded */
        config_free(&config);
    }
}

static void a_name_defined_in_two_files_is_an_error(void **state)
{
    (void)state;
    struct config config;
    assert_true(config_init(&config));
    struct config_error error;
    assert_true(config_load(CONFIG_DIR "valid_alarms.yaml", &config, &error));
    assert_false(config_load(CONFIG_DIR "valid_alarms.yaml", &config, &error));
    assert_non_null(strstr(error.message, "filterName 'console_signin_failures'"));
    assert_non_null(strstr(error.message, "is already defined at"));
    assert_int_equal(config.alarms.count, 2);
    config_free(&config);
}

static void cis_pack_alarms_follow_the_remediation(void **state)
{
    (void)state;
    struct config config;
    assert_true(config_init(&config));
    assert_true(metrics_cis_pack(&config.filters));
    assert_true(alarms_cis_pack(&config.filters, &config.alarms));
    assert_int_equal(config.alarms.count, 15);
    for (size_t i = 0; i < config.alarms.count; i++) {
        const struct alarm_definition *alarm = &config.alarms.items[i];
        struct alarm_error error;
        if (!alarm_definition_validate(alarm, &error))
            fail_msg("%s: %s", alarm->alarm_name, error.message);
        /* cis-section4.md §2: Sum, 300 s, 1 period, >= 1, no M, missing, no dimensions */
        assert_string_equal(alarm->statistic, "Sum");
        assert_int_equal(alarm->period, 300);
        assert_int_equal(alarm->evaluation_periods, 1);
        assert_int_equal(alarm->datapoints_to_alarm, 0);
        assert_true(alarm->threshold == 1.0);
        assert_int_equal(alarm->comparison, ALARM_GREATER_THAN_OR_EQUAL_TO_THRESHOLD);
        assert_int_equal(alarm->treat_missing, ALARM_TREAT_MISSING_MISSING);
        assert_string_equal(alarm->metric.namespace_name, "CISBenchmark");
        assert_string_equal(alarm->metric.metric_name,
                            config.filters.items[i].transformation.metric_name);
        assert_int_equal(alarm->metric.dimension_count, 0);
    }
    assert_string_equal(config.alarms.items[0].alarm_name, "unauthorized_api_calls_alarm");
    assert_string_equal(config.alarms.items[0].cis_id, "4.1");
    assert_string_equal(config.alarms.items[14].alarm_name, "organizations_changes");
    config_free(&config);
}

/* scan --cis --config FILE: the file may repeat a name of the pack; its alarm replaces the
 * pack's (as a later PutMetricAlarm of the same name would), its filter is scanned beside. */
static void a_file_may_replace_a_cis_alarm(void **state)
{
    (void)state;
    static const char yaml[] = "alarms:\n"
                               "  - AlarmName: unauthorized_api_calls_alarm\n"
                               "    MetricName: unauthorized_api_calls_metric\n"
                               "    Namespace: CISBenchmark\n"
                               "    Statistic: Sum\n"
                               "    Period: 300\n"
                               "    EvaluationPeriods: 1\n"
                               "    Threshold: 5\n"
                               "    ComparisonOperator: GreaterThanOrEqualToThreshold\n"
                               "    TreatMissingData: notBreaching\n";
    struct config config;
    assert_true(config_init(&config));
    assert_true(metrics_cis_pack(&config.filters));
    assert_true(alarms_cis_pack(&config.filters, &config.alarms));
    struct config_error error;
    if (!config_load_text("mine.yaml", yaml, sizeof yaml - 1, &config, &error))
        fail_msg("%s", error.message);
    assert_int_equal(config.alarms.count, 15);
    long found = alarm_list_find(&config.alarms, "unauthorized_api_calls_alarm");
    assert_int_equal(found, 14); /* the file's, last */
    assert_true(config.alarms.items[found].threshold == 5.0);
    assert_string_equal(config.alarms.items[found].origin, "mine.yaml:2");
    /* but two files may not define the same alarm */
    assert_false(config_load_text("again.yaml", yaml, sizeof yaml - 1, &config, &error));
    assert_non_null(strstr(error.message, "is already defined at mine.yaml:2"));
    config_free(&config);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_file_fills_every_field),
        cmocka_unit_test(defaults_without_settings),
        cmocka_unit_test(invalid_alarms_name_line_and_field),
        cmocka_unit_test(a_name_defined_in_two_files_is_an_error),
        cmocka_unit_test(cis_pack_alarms_follow_the_remediation),
        cmocka_unit_test(a_file_may_replace_a_cis_alarm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
