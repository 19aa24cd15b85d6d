/* The built-in CIS AWS Foundations v3.0.0 section-4 pack (src/metrics/cis_pack.c): its
 * fields, that every pattern compiles as a JSON pattern, that each is the benchmark's
 * text (checked against ../shared/spec/cis-section4.md when it is there), and that each
 * tells a matching CloudTrail event from a near miss. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "events/event.h"
#include "metrics/metrics.h"
#include "patterns/pattern.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CIS_COUNT 15
#define CIS_SPEC_PATH SHARED_DIR "/spec/cis-section4.md"

static const struct {
    const char *metric_name;
    const char *alarm_name;
} expected_names[CIS_COUNT] = {
    {"unauthorized_api_calls_metric", "unauthorized_api_calls_alarm"},
    {"no_mfa_console_signin_metric", "no_mfa_console_signin_alarm"},
    {"root_usage_metric", "root_usage_alarm"},
    {"iam_changes_metric", "iam_changes_alarm"},
    {"cloudtrail_cfg_changes_metric", "cloudtrail_cfg_changes_alarm"},
    {"console_signin_failure_metric", "console_signin_failure_alarm"},
    {"disable_or_delete_cmk_changes_metric", "disable_or_delete_cmk_changes_alarm"},
    {"s3_bucket_policy_changes_metric", "s3_bucket_policy_changes_alarm"},
    {"aws_config_changes_metric", "aws_config_changes_alarm"},
    {"security_group_changes_metric", "security_group_changes_alarm"},
    {"nacl_changes_metric", "nacl_changes_alarm"},
    {"network_gw_changes_metric", "network_gw_changes_alarm"},
    {"route_table_changes_metric", "route_table_changes_alarm"},
    {"vpc_changes_metric", "vpc_changes_alarm"},
    {"organizations_changes", "organizations_changes"},
};

static int pack_setup(void **state)
{
    struct metric_filter_list *list = calloc(1, sizeof *list);
    if (!list || !metrics_cis_pack(list)) {
        free(list);
        return -1;
    }
    *state = list;
    return 0;
}

static int pack_teardown(void **state)
{
    metric_filter_list_free(*state);
    free(*state);
    return 0;
}

static void has_fifteen_recommendations_in_order(void **state)
{
    const struct metric_filter_list *list = *state;
    assert_int_equal(list->count, CIS_COUNT);
    for (size_t i = 0; i < CIS_COUNT; i++) {
        const struct metric_filter_definition *filter = &list->items[i];
        char id[8];
        snprintf(id, sizeof id, "4.%zu", i + 1);
        assert_string_equal(filter->cis_id, id);
        assert_string_equal(filter->origin, "cis");
        assert_string_equal(filter->filter_name, expected_names[i].metric_name);
        assert_null(filter->log_group_name);
        const struct metric_transformation *metric = &filter->transformation;
        assert_string_equal(metric->metric_name, expected_names[i].metric_name);
        assert_string_equal(metric->metric_namespace, "CISBenchmark");
        assert_string_equal(metric->metric_value, "1");
        assert_false(metric->has_default_value);
        assert_int_equal(metric->dimension_count, 0);
        assert_null(metric->unit);
        const struct metric_alarm_defaults *alarm = &filter->alarm;
        assert_true(alarm->present);
        assert_string_equal(alarm->alarm_name, expected_names[i].alarm_name);
        assert_string_equal(alarm->statistic, "Sum");
        assert_int_equal(alarm->period, 300);
        assert_int_equal(alarm->evaluation_periods, 1);
        assert_true(alarm->threshold == 1.0);
        assert_string_equal(alarm->comparison_operator, "GreaterThanOrEqualToThreshold");
    }
}

static void patterns_compile_as_json(void **state)
{
    const struct metric_filter_list *list = *state;
    for (size_t i = 0; i < list->count; i++) {
        const char *text = list->items[i].filter_pattern;
        struct pattern_error error;
        struct pattern *pattern = pattern_compile(text, strlen(text), &error);
        if (!pattern)
            fail_msg("%s: column %zu: %s", list->items[i].cis_id, error.column, error.message);
        assert_int_equal(pattern_kind(pattern), PATTERN_JSON);
        pattern_free(pattern);
    }
}

static void metric_names_are_distinct(void **state)
{
    const struct metric_filter_list *list = *state;
    for (size_t i = 0; i < list->count; i++)
        for (size_t j = i + 1; j < list->count; j++)
            assert_string_not_equal(list->items[i].transformation.metric_name,
                                    list->items[j].transformation.metric_name);
}

/* ---- comparison with the spec's text ------------------------------------------------- */

/* Runs of whitespace become one space, none at the ends: the spec's copies come from PDF
 * extractions whose line wraps are the least certain part. */
static void whitespace_normalise(char *text)
{
    char *out = text;
    bool pending_space = false;
    for (const char *in = text; *in; in++) {
        if (isspace((unsigned char)*in)) {
            pending_space = out != text;
            continue;
        }
        if (pending_space)
            *out++ = ' ';
        pending_space = false;
        *out++ = *in;
    }
    *out = '\0';
}

static char *file_read_all(FILE *file)
{
    size_t capacity = 1 << 16, used = 0;
    char *text = malloc(capacity + 1);
    while (text) {
        used += fread(text + used, 1, capacity - used, file);
        if (used < capacity)
            break;
        capacity *= 2;
        char *grown = realloc(text, capacity + 1);
        if (!grown)
            free(text);
        text = grown;
    }
    if (text)
        text[used] = '\0';
    return text;
}

/* The first ``` block of section "### 4.N " in `markdown`, normalised; NULL if absent. */
static char *spec_pattern(const char *markdown, size_t number)
{
    char heading[16];
    int heading_length = snprintf(heading, sizeof heading, "\n### 4.%zu ", number);
    const char *section = strstr(markdown, heading);
    if (!section)
        return NULL;
    const char *next_section = strstr(section + heading_length, "\n### ");
    const char *fence = strstr(section, "\n```\n");
    if (!fence || (next_section && fence > next_section))
        return NULL;
    const char *start = fence + 5;
    const char *end = strstr(start, "\n```");
    if (!end)
        return NULL;
    char *block = strndup(start, (size_t)(end - start));
    if (block)
        whitespace_normalise(block);
    return block;
}

static void patterns_equal_the_spec(void **state)
{
    const struct metric_filter_list *list = *state;
    FILE *file = fopen(CIS_SPEC_PATH, "r");
    if (!file) {
        print_message("skipping: %s is not there, so the patterns cannot be compared with "
                      "the spec's text\n",
                      CIS_SPEC_PATH);
        skip();
    }
    char *markdown = file_read_all(file);
    fclose(file);
    assert_non_null(markdown);
    for (size_t i = 0; i < list->count; i++) {
        char *expected = spec_pattern(markdown, i + 1);
        if (!expected)
            fail_msg("no pattern block for 4.%zu in %s", i + 1, CIS_SPEC_PATH);
        char *actual = strdup(list->items[i].filter_pattern);
        assert_non_null(actual);
        whitespace_normalise(actual);
        if (strcmp(actual, expected) != 0)
            fail_msg("4.%zu differs from the spec:\n  ours: %s\n  spec: %s", i + 1, actual,
                     expected);
        free(actual);
        free(expected);
    }
    free(markdown);
}

/* ---- behaviour on CloudTrail events -------------------------------------------------- */

static const struct {
    const char *matching;
    const char *not_matching;
} cis_events[CIS_COUNT] = {
    /* 4.1: UnauthorizedOperation counts unconditionally; AccessDenied only outside the
     * exclusions (&& binds tighter than ||) */
    {"{\"errorCode\":\"Client.UnauthorizedOperation\",\"eventName\":\"RunInstances\","
     "\"sourceIPAddress\":\"delivery.logs.amazonaws.com\"}",
     "{\"errorCode\":\"AccessDenied\",\"eventName\":\"PutObject\","
     "\"sourceIPAddress\":\"delivery.logs.amazonaws.com\"}"},
    /* 4.2 */
    {"{\"eventName\":\"ConsoleLogin\",\"additionalEventData\":{\"MFAUsed\":\"No\"}}",
     "{\"eventName\":\"ConsoleLogin\",\"additionalEventData\":{\"MFAUsed\":\"Yes\"}}"},
    /* 4.3 */
    {"{\"userIdentity\":{\"type\":\"Root\"},\"eventType\":\"AwsApiCall\"}",
     "{\"userIdentity\":{\"type\":\"Root\",\"invokedBy\":\"support.amazonaws.com\"},"
     "\"eventType\":\"AwsApiCall\"}"},
    /* 4.4 */
    {"{\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"PutUserPolicy\"}",
     "{\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"GetUserPolicy\"}"},
    /* 4.5 */
    {"{\"eventSource\":\"cloudtrail.amazonaws.com\",\"eventName\":\"StopLogging\"}",
     "{\"eventSource\":\"cloudtrail.amazonaws.com\",\"eventName\":\"LookupEvents\"}"},
    /* 4.6 */
    {"{\"eventName\":\"ConsoleLogin\",\"errorMessage\":\"Failed authentication\"}",
     "{\"eventName\":\"ConsoleLogin\",\"responseElements\":{\"ConsoleLogin\":\"Success\"}}"},
    /* 4.7 */
    {"{\"eventSource\":\"kms.amazonaws.com\",\"eventName\":\"ScheduleKeyDeletion\"}",
     "{\"eventSource\":\"kms.amazonaws.com\",\"eventName\":\"Decrypt\"}"},
    /* 4.8 */
    {"{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"PutBucketPolicy\"}",
     "{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetBucketPolicy\"}"},
    /* 4.9: the right event name from another service does not count */
    {"{\"eventSource\":\"config.amazonaws.com\",\"eventName\":\"StopConfigurationRecorder\"}",
     "{\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"StopConfigurationRecorder\"}"},
    /* 4.10: ModifySecurityGroupRules is the benchmark's known gap */
    {"{\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"AuthorizeSecurityGroupIngress\"}",
     "{\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"ModifySecurityGroupRules\"}"},
    /* 4.11 */
    {"{\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"CreateNetworkAclEntry\"}",
     "{\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"DescribeNetworkAcls\"}"},
    /* 4.12 */
    {"{\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"AttachInternetGateway\"}",
     "{\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"CreateNatGateway\"}"},
    /* 4.13 */
    {"{\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"ReplaceRoute\"}",
     "{\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"DescribeRouteTables\"}"},
    /* 4.14 */
    {"{\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"CreateVpcPeeringConnection\"}",
     "{\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"DescribeVpcs\"}"},
    /* 4.15 */
    {"{\"eventSource\":\"organizations.amazonaws.com\",\"eventName\":\"LeaveOrganization\"}",
     "{\"eventSource\":\"organizations.amazonaws.com\",\"eventName\":\"ListAccounts\"}"},
};

static bool pattern_matches_event(struct pattern *pattern, const char *message)
{
    struct event_extractor *extractor = event_extractor_create();
    struct pattern_match *match = pattern_match_create();
    assert_non_null(extractor);
    assert_non_null(match);
    size_t selector_count;
    const struct selector *selectors = pattern_selectors(pattern, &selector_count);
    struct event event = event_from_text(message, strlen(message));
    struct event_json_error error;
    if (!event_extract_json(extractor, message, strlen(message), selectors, selector_count, &event,
                            &error))
        fail_msg("test event is not JSON at offset %zu: %s", error.offset, error.reason);
    bool matched = pattern_evaluate(pattern, &event, match);
    pattern_match_free(match);
    event_extractor_free(extractor);
    return matched;
}

static void patterns_tell_events_apart(void **state)
{
    const struct metric_filter_list *list = *state;
    for (size_t i = 0; i < list->count; i++) {
        const char *text = list->items[i].filter_pattern;
        struct pattern_error error;
        struct pattern *pattern = pattern_compile(text, strlen(text), &error);
        assert_non_null(pattern);
        if (!pattern_matches_event(pattern, cis_events[i].matching))
            fail_msg("4.%zu did not match %s", i + 1, cis_events[i].matching);
        if (pattern_matches_event(pattern, cis_events[i].not_matching))
            fail_msg("4.%zu matched %s", i + 1, cis_events[i].not_matching);
        pattern_free(pattern);
    }
}

static void appending_twice_makes_independent_copies(void **state)
{
    (void)state;
    /* the pack appends after whatever the list already holds, and copies are independent */
    struct metric_filter_list list = {0};
    assert_true(metrics_cis_pack(&list));
    assert_true(metrics_cis_pack(&list));
    assert_int_equal(list.count, 2 * CIS_COUNT);
    assert_string_equal(list.items[CIS_COUNT].cis_id, "4.1");
    assert_ptr_not_equal(list.items[0].filter_pattern, list.items[CIS_COUNT].filter_pattern);
    metric_filter_list_free(&list);
    assert_int_equal(list.count, 0);
    assert_null(list.items);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(has_fifteen_recommendations_in_order, pack_setup,
                                        pack_teardown),
        cmocka_unit_test_setup_teardown(patterns_compile_as_json, pack_setup, pack_teardown),
        cmocka_unit_test_setup_teardown(metric_names_are_distinct, pack_setup, pack_teardown),
        cmocka_unit_test_setup_teardown(patterns_equal_the_spec, pack_setup, pack_teardown),
        cmocka_unit_test_setup_teardown(patterns_tell_events_apart, pack_setup, pack_teardown),
        cmocka_unit_test(appending_twice_makes_independent_copies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
