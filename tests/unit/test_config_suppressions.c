/* The configuration file's `suppressions`: every field read, each value checked with
 * FILE:LINE: FIELD messages, filter names checked once every file is read (the CIS pack's
 * included), tuned metric names checked, and the tuned CIS alarms they bring. */
#include "config/config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define CONFIG_DIR TESTS_DATA_DIR "/config/"

/* The CIS pack and its alarms, then `path`, then config_finish. */
static void load_with_cis(struct config *config, const char *path)
{
    assert_true(config_init(config));
    assert_true(metrics_cis_pack(&config->filters));
    assert_true(alarms_cis_pack(&config->filters, &config->alarms));
    struct config_error error;
    if (!config_load(path, config, &error))
        fail_msg("%s", error.message);
    char *warnings;
    if (!config_finish(config, &warnings, &error))
        fail_msg("%s", error.message);
    free(warnings);
}

static void valid_rules_fill_every_field(void **state)
{
    (void)state;
    struct config config;
    load_with_cis(&config, CONFIG_DIR "valid_suppressions.yaml");
    assert_int_equal(config.suppressions.count, 3);
    const struct suppression_rule *scanner = &config.suppressions.items[0];
    assert_string_equal(scanner->name, "security-scanner");
    assert_string_equal(scanner->reason,
                        "The weekly scanner probes every API with a read-only role");
    assert_int_equal(scanner->filter_count, 1);
    assert_string_equal(scanner->filters[0], "unauthorized_api_calls_metric");
    assert_string_equal(scanner->match[SUPPRESSION_PRINCIPAL],
                        "arn:aws:sts::*:assumed-role/SecurityScanner/*");
    assert_string_equal(scanner->match[SUPPRESSION_SOURCE_IP], "10.20.0.0/16");
    assert_null(scanner->match[SUPPRESSION_EVENT_NAME]);
    assert_string_equal(scanner->origin, CONFIG_DIR "valid_suppressions.yaml:4");
    const struct suppression_rule *delivery = &config.suppressions.items[1];
    assert_null(delivery->reason);
    assert_int_equal(delivery->filter_count, 0); /* every filter */
    assert_string_equal(delivery->match[SUPPRESSION_SOURCE_IP], "delivery.logs.amazonaws.com");
    const struct suppression_rule *every = &config.suppressions.items[2];
    assert_string_equal(every->match[SUPPRESSION_EVENT_NAME], "HeadBucket");
    assert_string_equal(every->match[SUPPRESSION_USER_AGENT], "aws-sdk-go/*");
    assert_string_equal(every->match[SUPPRESSION_ERROR_CODE], "AccessDenied*");
    assert_string_equal(every->match[SUPPRESSION_ACCOUNT], "111122223333");
    config_free(&config);
}

/* Two rules apply to every filter, so all 15 CIS alarms get a tuned companion after their
 * own 15, which stay exactly as the pack writes them. */
static void tuned_cis_alarms(void **state)
{
    (void)state;
    struct config config;
    load_with_cis(&config, CONFIG_DIR "valid_suppressions.yaml");
    assert_int_equal(config.alarms.count, 15);
    assert_true(alarms_cis_tuned_pack(&config.filters, &config.suppressions, &config.alarms));
    assert_int_equal(config.alarms.count, 30);
    const struct alarm_definition *cis = &config.alarms.items[0];
    assert_string_equal(cis->alarm_name, "unauthorized_api_calls_alarm");
    assert_string_equal(cis->metric.metric_name, "unauthorized_api_calls_metric");
    assert_string_equal(cis->cis_id, "4.1");
    const struct alarm_definition *tuned = &config.alarms.items[15];
    assert_string_equal(tuned->alarm_name, "unauthorized_api_calls_alarm_tuned");
    assert_string_equal(tuned->metric.namespace_name, "CISBenchmark");
    assert_string_equal(tuned->metric.metric_name, "unauthorized_api_calls_metricTuned");
    assert_null(tuned->cis_id);
    assert_string_equal(tuned->statistic, "Sum");
    assert_int_equal(tuned->period, 300);
    assert_int_equal(tuned->evaluation_periods, 1);
    assert_true(tuned->threshold == 1.0);
    assert_int_equal(tuned->comparison, ALARM_GREATER_THAN_OR_EQUAL_TO_THRESHOLD);
    struct alarm_error error;
    assert_true(alarm_definition_validate(tuned, &error));
    /* run again: the names are there, nothing is added twice */
    assert_true(alarms_cis_tuned_pack(&config.filters, &config.suppressions, &config.alarms));
    assert_int_equal(config.alarms.count, 30);
    config_free(&config);
}

struct invalid_rule {
    const char *yaml;
    const char *message;
};

static const struct invalid_rule invalid_rules[] = {
    {"suppressions:\n  - Reason: x\n    EventName: a\n",
     "inline.yaml:2: suppressions[0].Name: missing (required)"},
    {"suppressions:\n  - Name: empty\n    Reason: nothing to match\n",
     "inline.yaml:2: suppressions[0]: a rule must look at something: give at least one of "
     "PrincipalArn, SourceIp, EventName, UserAgent, ErrorCode, Account"},
    {"suppressions:\n  - Name: a\n    SourceIp: 10.0.0.0/33\n",
     "inline.yaml:3: suppressions[0].SourceIp: '10.0.0.0/33': the prefix length must be 0-32 "
     "for IPv4, 0-128 for IPv6"},
    {"suppressions:\n  - Name: a\n    SourceIp: 10.0.0.1/8\n",
     "inline.yaml:3: suppressions[0].SourceIp: '10.0.0.1/8' has host bits set past its prefix "
     "length"},
    {"suppressions:\n  - Name: a\n    SourceIp: 2001:db8::zz\n",
     "inline.yaml:3: suppressions[0].SourceIp: '2001:db8::zz' is not an IPv4 or IPv6 address or "
     "CIDR block"},
    {"suppressions:\n  - Name: a\n    Account: \"12345\"\n",
     "inline.yaml:3: suppressions[0].Account: must be a 12-digit account id, or a glob of "
     "digits, '*' and '?'"},
    {"suppressions:\n  - Name: a\n    Filters: []\n    EventName: x\n",
     "inline.yaml:3: suppressions[0].Filters: expected a list of filterNames, found an empty "
     "list (leave Filters out to apply the rule to every filter)"},
    {"suppressions:\n  - Name: a\n    Filters: x\n    EventName: x\n",
     "inline.yaml:3: suppressions[0].Filters: expected a list of filterNames, found text (leave "
     "Filters out to apply the rule to every filter)"},
    {"suppressions:\n  - Name: a\n    EventName: \"\"\n",
     "inline.yaml:3: suppressions[0].EventName: must be 1 to 2048 characters long, is 0"},
    {"suppressions:\n  - Name: a\n    Principal: x\n",
     "inline.yaml:3: suppressions[0]: unknown field 'Principal' (expected one of: Name, Reason, "
     "Filters, PrincipalArn, SourceIp, EventName, UserAgent, ErrorCode, Account)"},
    {"suppressions:\n  - Name: a\n    sourceip: 1.2.3.4\n",
     "inline.yaml:3: suppressions[0]: unknown field 'sourceip'; did you mean 'SourceIp'?"},
    {"suppressions:\n  - Name: a\n    EventName: x\n  - Name: a\n    EventName: y\n",
     "inline.yaml:4: suppressions[1].Name: duplicate suppression Name 'a' (first at "
     "inline.yaml:2)"},
    {"suppressions:\n  Name: a\n", "inline.yaml:2: suppressions: expected a list, found a mapping"},
};

static void invalid_rules_name_line_and_field(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof invalid_rules / sizeof invalid_rules[0]; i++) {
        struct config config;
        assert_true(config_init(&config));
        struct config_error error;
        const char *yaml = invalid_rules[i].yaml;
        if (config_load_text("inline.yaml", yaml, strlen(yaml), &config, &error))
            fail_msg("case %zu loaded; expected %s", i, invalid_rules[i].message);
        if (strcmp(error.message, invalid_rules[i].message) != 0)
            fail_msg("case %zu: got '%s', expected '%s'", i, error.message,
                     invalid_rules[i].message);
        assert_int_equal(config.suppressions.count, 0); /* nothing added */
        config_free(&config);
    }
}

/* Filter names resolve against every file and the CIS pack: a rule may name a filter a
 * later file defines, and an unknown name is an error once all are read. */
static void filter_names_checked_at_finish(void **state)
{
    (void)state;
    static const char rules[] = "suppressions:\n"
                                "  - Name: scanner\n"
                                "    Filters: [unauthorized_api_calls_metric, denied]\n"
                                "    UserAgent: scanner/*\n";
    static const char filters[] = "metricFilters:\n"
                                  "  - filterName: denied\n"
                                  "    filterPattern: '{ $.errorCode = \"AccessDenied\" }'\n"
                                  "    metricTransformations:\n"
                                  "      - metricName: Denied\n"
                                  "        metricNamespace: Security\n"
                                  "        metricValue: \"1\"\n";
    struct config config;
    struct config_error error;
    char *warnings;
    assert_true(config_init(&config));
    assert_true(metrics_cis_pack(&config.filters));
    assert_true(config_load_text("rules.yaml", rules, sizeof rules - 1, &config, &error));
    assert_true(config_load_text("filters.yaml", filters, sizeof filters - 1, &config, &error));
    if (!config_finish(&config, &warnings, &error))
        fail_msg("%s", error.message);
    free(warnings);
    config_free(&config);

    /* without the CIS pack (no --cis), its filter is unknown */
    assert_true(config_init(&config));
    assert_true(config_load_text("rules.yaml", rules, sizeof rules - 1, &config, &error));
    assert_true(config_load_text("filters.yaml", filters, sizeof filters - 1, &config, &error));
    assert_false(config_finish(&config, &warnings, &error));
    assert_string_equal(error.message,
                        "rules.yaml:2: suppressions[scanner].Filters: "
                        "'unauthorized_api_calls_metric' is not a metric filter of the "
                        "configuration (CIS filters are loaded by --cis)");
    config_free(&config);

    /* a rule defined twice across files */
    assert_true(config_init(&config));
    assert_true(config_load_text("rules.yaml", rules, sizeof rules - 1, &config, &error));
    assert_false(config_load_text("again.yaml", rules, sizeof rules - 1, &config, &error));
    assert_string_equal(error.message, "again.yaml:1: suppressions: suppression 'scanner' "
                                       "(again.yaml:2) is already defined at rules.yaml:2");
    assert_int_equal(config.suppressions.count, 1);
    config_free(&config);
}

/* The tuned metric of a filter is metricName + "Tuned": another filter may not publish it. */
static void tuned_metric_clash(void **state)
{
    (void)state;
    static const char yaml[] = "metricFilters:\n"
                               "  - filterName: denied\n"
                               "    filterPattern: '{ $.errorCode = \"AccessDenied\" }'\n"
                               "    metricTransformations:\n"
                               "      - {metricName: Denied, metricNamespace: S, metricValue: "
                               "\"1\"}\n"
                               "  - filterName: other\n"
                               "    filterPattern: '{ $.errorCode = \"X\" }'\n"
                               "    metricTransformations:\n"
                               "      - {metricName: DeniedTuned, metricNamespace: S, "
                               "metricValue: \"1\"}\n"
                               "suppressions:\n"
                               "  - Name: r\n"
                               "    Filters: [denied]\n"
                               "    EventName: x\n";
    struct config config;
    struct config_error error;
    char *warnings;
    assert_true(config_init(&config));
    assert_true(config_load_text("clash.yaml", yaml, sizeof yaml - 1, &config, &error));
    assert_false(config_finish(&config, &warnings, &error));
    assert_string_equal(error.message,
                        "clash.yaml:6: metricName: filter other publishes S/DeniedTuned, the "
                        "tuned metric of filter denied (suppressions apply to it); rename one "
                        "of them");
    config_free(&config);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_rules_fill_every_field),
        cmocka_unit_test(tuned_cis_alarms),
        cmocka_unit_test(invalid_rules_name_line_and_field),
        cmocka_unit_test(filter_names_checked_at_finish),
        cmocka_unit_test(tuned_metric_clash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
