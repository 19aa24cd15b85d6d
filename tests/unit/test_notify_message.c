/* Alarm notifications as text (../shared/spec/notifications.md): region names (§2.5), the
 * CloudWatch → SNS message (§2.2, byte for byte against §2.3's complete example) and its
 * Trailhound key, the subject (§2.1), the e-mail SNS renders (§3) and its evidence section,
 * the Slack payload (§6, against its example) and PagerDuty events (§7, against its pair).
 * Alarms are made from PutMetricAlarm JSON, as the store and the API make them. */
#include "alarms/alarms.h"
#include "notify/notify.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "../support/alarm_fixtures.h"

/* ---- fixtures ---- */

/* The CIS 4.1 alarm of §2.3 as PutMetricAlarm's request (plus our CIS id). */
static const char cis_alarm_json[] =
    "{\"AlarmName\":\"unauthorized_api_calls_alarm\",\"MetricName\":"
    "\"unauthorized_api_calls_metric\",\"Namespace\":\"CISBenchmark\",\"Statistic\":\"Sum\","
    "\"Period\":300,\"EvaluationPeriods\":1,\"Threshold\":1,\"ComparisonOperator\":"
    "\"GreaterThanOrEqualToThreshold\",\"AlarmActions\":"
    "[\"arn:aws:sns:us-east-1:123456789012:cis-alarms\"],\"TrailhoundCisId\":\"4.1\"}";

static const char example_reason[] = "Threshold Crossed: 1 datapoint [2.0 (26/11/26 10:05:00)] "
                                     "was greater than or equal to the threshold (1.0).";

static void load_alarm(struct alarm_definition *alarm, const char *json)
{
    struct alarm_error error;
    if (!alarm_definition_from_json(json, alarm, &error))
        fail_msg("alarm: %s", error.message);
}

/* §2.3's change: INSUFFICIENT_DATA -> ALARM at 2026-11-26T10:10:51.290Z in us-east-1. */
static struct notify_alarm_change example_change(const struct alarm_definition *alarm)
{
    return (struct notify_alarm_change){
        .alarm = alarm,
        .account_id = "123456789012",
        .region = "us-east-1",
        .old_state = ALARM_STATE_INSUFFICIENT_DATA,
        .new_state = ALARM_STATE_ALARM,
        .reason = example_reason,
        .change_ms = utc_ms(2026, 11, 26, 10, 10, 51, 290),
        .configuration_updated_ms = utc_ms(2026, 11, 26, 9, 58, 12, 114),
    };
}

/* The CIS 4.1 alarm loaded into `alarm` (freed by the caller) and §2.3's change of it. */
static struct notify_alarm_change load_example(struct alarm_definition *alarm)
{
    load_alarm(alarm, cis_alarm_json);
    return example_change(alarm);
}

/* Three matches by two principals, with two samples (one pretty-printed, to be compacted). */
static struct metric_evidence example_evidence(void)
{
    struct metric_evidence evidence = {
        .events = 3,
        .first_seen_ms = utc_ms(2026, 11, 26, 10, 1, 2, 0),
        .last_seen_ms = utc_ms(2026, 11, 26, 10, 4, 59, 0),
        .samples = {"{\"eventTime\": \"2026-11-26T10:01:02Z\",\n \"eventName\":"
                    "\"DescribeInstances\", \"errorCode\":\"Client.UnauthorizedOperation\"}",
                    "{\"eventTime\":\"2026-11-26T10:04:59Z\",\"eventName\":\"GetObject\","
                    "\"errorCode\":\"AccessDenied\",\"errorMessage\":\"a <b> & c\"}"},
        .sample_count = 2,
    };
    static const struct {
        enum metric_evidence_field field;
        const char *value;
        uint64_t count;
    } values[] = {
        {METRIC_EVIDENCE_PRINCIPAL, "arn:aws:iam::123456789012:user/alice", 2},
        {METRIC_EVIDENCE_PRINCIPAL, "arn:aws:iam::123456789012:user/bob", 1},
        {METRIC_EVIDENCE_SOURCE_IP, "203.0.113.7", 3},
        {METRIC_EVIDENCE_EVENT_NAME, "DescribeInstances", 2},
        {METRIC_EVIDENCE_EVENT_NAME, "GetObject", 1},
        {METRIC_EVIDENCE_ERROR_CODE, "AccessDenied", 2},
        {METRIC_EVIDENCE_ERROR_CODE, "Client.UnauthorizedOperation", 1},
        {METRIC_EVIDENCE_ACCOUNT, "123456789012", 3},
        {METRIC_EVIDENCE_REGION, "us-east-1", 3},
        {METRIC_EVIDENCE_DENIAL, "no identity-based policy allows the action", 2},
    };
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        size_t *count = &evidence.top_count[values[i].field];
        evidence.top[values[i].field][*count] =
            (struct metric_evidence_value){(char *)values[i].value, values[i].count};
        (*count)++;
    }
    return evidence;
}

/* §2.3, verbatim. */
static const char example_message[] =
    "{\"AlarmName\":\"unauthorized_api_calls_alarm\",\"AlarmDescription\":null,\"AWSAccountId\":"
    "\"123456789012\",\"AlarmConfigurationUpdatedTimestamp\":\"2026-11-26T09:58:12.114+0000\","
    "\"NewStateValue\":\"ALARM\",\"NewStateReason\":\"Threshold Crossed: 1 datapoint [2.0 "
    "(26/11/26 10:05:00)] was greater than or equal to the threshold (1.0).\","
    "\"StateChangeTime\":\"2026-11-26T10:10:51.290+0000\",\"Region\":\"US East (N. "
    "Virginia)\",\"AlarmArn\":\"arn:aws:cloudwatch:us-east-1:123456789012:alarm:unauthorized_"
    "api_calls_alarm\",\"OldStateValue\":\"INSUFFICIENT_DATA\",\"OKActions\":[],"
    "\"AlarmActions\":[\"arn:aws:sns:us-east-1:123456789012:cis-alarms\"],"
    "\"InsufficientDataActions\":[],\"Trigger\":{\"MetricName\":\"unauthorized_api_calls_"
    "metric\",\"Namespace\":\"CISBenchmark\",\"StatisticType\":\"Statistic\",\"Statistic\":"
    "\"SUM\",\"Unit\":null,\"Dimensions\":[],\"Period\":300,\"EvaluationPeriods\":1,"
    "\"ComparisonOperator\":\"GreaterThanOrEqualToThreshold\",\"Threshold\":1.0,"
    "\"TreatMissingData\":\"\",\"EvaluateLowSampleCountPercentile\":\"\"}}";

/* The Trailhound key for example_evidence() on the CIS 4.1 alarm. */
static const char example_trailhound[] =
    ",\"Trailhound\":{\"events\":3,\"firstSeen\":\"2026-11-26T10:01:02Z\",\"lastSeen\":"
    "\"2026-11-26T10:04:59Z\",\"principals\":[{\"value\":\"arn:aws:iam::123456789012:user/"
    "alice\",\"count\":2},{\"value\":\"arn:aws:iam::123456789012:user/bob\",\"count\":1}],"
    "\"sourceIPs\":[{\"value\":\"203.0.113.7\",\"count\":3}],\"eventNames\":[{\"value\":"
    "\"DescribeInstances\",\"count\":2},{\"value\":\"GetObject\",\"count\":1}],\"errorCodes\":"
    "[{\"value\":\"AccessDenied\",\"count\":2},{\"value\":\"Client.UnauthorizedOperation\","
    "\"count\":1}],\"accounts\":[{\"value\":\"123456789012\",\"count\":3}],\"regions\":"
    "[{\"value\":\"us-east-1\",\"count\":3}],\"denials\":[{\"value\":\"no identity-based policy "
    "allows the action\",\"count\":2}],\"samples\":[{\"eventTime\":\"2026-11-26T10:01:02Z\","
    "\"eventName\":\"DescribeInstances\",\"errorCode\":\"Client.UnauthorizedOperation\"},"
    "{\"eventTime\":\"2026-11-26T10:04:59Z\",\"eventName\":\"GetObject\",\"errorCode\":"
    "\"AccessDenied\",\"errorMessage\":\"a <b> & c\"}],\"cis\":\"4.1\"}";

/* `lines`, each ended by CRLF (§3: real mail uses CRLF). */
static char *crlf_text(const char *const *lines, size_t count)
{
    size_t size = 1;
    for (size_t i = 0; i < count; i++)
        size += strlen(lines[i]) + 2;
    char *text = malloc(size);
    assert_non_null(text);
    text[0] = '\0';
    for (size_t i = 0; i < count; i++) {
        strcat(text, lines[i]);
        strcat(text, "\r\n");
    }
    return text;
}

#define CRLF_TEXT(lines) crlf_text(lines, sizeof lines / sizeof lines[0])

static void assert_text_equal(const char *actual, const char *expected)
{
    assert_non_null(actual);
    if (strcmp(actual, expected) != 0) {
        size_t at = 0;
        while (actual[at] && actual[at] == expected[at])
            at++;
        fail_msg("texts differ at byte %zu:\n  got:  %.80s\n  want: %.80s", at, actual + at,
                 expected + at);
    }
}

/* ---- §2.5 ---- */

static void region_names_are_cloudwatchs(void **state)
{
    (void)state;
    /* [obs] */
    assert_string_equal(notify_region_long_name("us-east-1"), "US East (N. Virginia)");
    assert_string_equal(notify_region_long_name("us-west-2"), "US West (Oregon)");
    assert_string_equal(notify_region_long_name("us-west-1"), "US West (N. California)");
    assert_string_equal(notify_region_long_name("eu-west-1"), "EU (Ireland)");
    assert_string_equal(notify_region_long_name("ap-northeast-1"), "Asia Pacific (Tokyo)");
    assert_string_equal(notify_region_long_name("ap-northeast-2"), "Asia Pacific (Seoul)");
    assert_string_equal(notify_region_long_name("ap-southeast-2"), "Asia Pacific (Sydney)");
    assert_string_equal(notify_region_long_name("ca-central-1"), "Canada (Central)");
    /* [inf] */
    assert_string_equal(notify_region_long_name("us-east-2"), "US East (Ohio)");
    assert_string_equal(notify_region_long_name("eu-central-1"), "EU (Frankfurt)");
    assert_string_equal(notify_region_long_name("eu-west-2"), "EU (London)");
    assert_string_equal(notify_region_long_name("eu-west-3"), "EU (Paris)");
    assert_string_equal(notify_region_long_name("eu-north-1"), "EU (Stockholm)");
    assert_string_equal(notify_region_long_name("ap-southeast-1"), "Asia Pacific (Singapore)");
    assert_string_equal(notify_region_long_name("ap-south-1"), "Asia Pacific (Mumbai)");
    assert_string_equal(notify_region_long_name("sa-east-1"), "South America (Sao Paulo)");
    /* unknown: the code itself */
    assert_string_equal(notify_region_long_name("me-central-1"), "me-central-1");
    assert_string_equal(notify_region_long_name(""), "");
}

/* ---- §2.2 / §2.3 ---- */

/* §2.3's change rendered by `render` is `expected`, byte for byte. */
static void assert_example_renders_as(char *(*render)(const struct notify_alarm_change *),
                                      const char *expected)
{
    struct alarm_definition alarm;
    struct notify_alarm_change change = load_example(&alarm);
    char *text = render(&change);
    assert_text_equal(text, expected);
    free(text);
    alarm_definition_free(&alarm);
}

static void message_is_the_complete_example(void **state)
{
    (void)state;
    assert_example_renders_as(notify_alarm_message, example_message);
}

static void message_ends_with_the_evidence(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    struct notify_alarm_change change = load_example(&alarm);
    struct metric_evidence evidence = example_evidence();
    change.evidence = &evidence;
    char expected[sizeof example_message + sizeof example_trailhound];
    snprintf(expected, sizeof expected, "%.*s%s}", (int)strlen(example_message) - 1,
             example_message, example_trailhound);
    char *message = notify_alarm_message(&change);
    assert_text_equal(message, expected);
    /* valid JSON, and still the single line of §2.2 */
    json_t *parsed = json_loads(message, 0, NULL);
    assert_non_null(parsed);
    assert_null(strchr(message, '\n'));
    json_decref(parsed);
    free(message);

    /* not a CIS alarm: no "cis"; no events: no times */
    free(alarm.cis_id);
    alarm.cis_id = NULL;
    struct metric_evidence none = {0};
    change.evidence = &none;
    message = notify_alarm_message(&change);
    assert_non_null(strstr(message,
                           ",\"Trailhound\":{\"events\":0,\"firstSeen\":null,\"lastSeen\":null,"
                           "\"principals\":[],\"sourceIPs\":[],\"eventNames\":[],\"errorCodes\":[],"
                           "\"accounts\":[],\"regions\":[],\"denials\":[],\"samples\":[]}}"));
    free(message);
    alarm_definition_free(&alarm);
}

static void samples_that_are_not_objects_are_strings(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    struct notify_alarm_change change = load_example(&alarm);
    struct metric_evidence evidence = {
        .events = 1, .samples = {"{\"cut\":\"off", "[1,2]"}, .sample_count = 2};
    change.evidence = &evidence;
    char *message = notify_alarm_message(&change);
    assert_non_null(strstr(message, "\"samples\":[\"{\\\"cut\\\":\\\"off\",\"[1,2]\"]"));
    free(message);
    alarm_definition_free(&alarm);
}

static void trigger_covers_every_optional_key(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    load_alarm(&alarm,
               "{\"AlarmName\":\"p99 \\\"latency\\\"\",\"AlarmDescription\":\"ünïcode\\nline\","
               "\"MetricName\":\"Latency\",\"Namespace\":\"App\",\"ExtendedStatistic\":\"p99\","
               "\"Unit\":\"Milliseconds\",\"Dimensions\":[{\"Name\":\"Service\",\"Value\":"
               "\"api\"},{\"Name\":\"Az\",\"Value\":\"a\"}],\"Period\":60,"
               "\"EvaluationPeriods\":5,\"DatapointsToAlarm\":3,\"Threshold\":2.147483648E10,"
               "\"ComparisonOperator\":\"LessThanThreshold\",\"TreatMissingData\":\"breaching\","
               "\"EvaluateLowSampleCountPercentile\":\"ignore\",\"OKActions\":[\"arn:a\","
               "\"arn:b\"]}");
    struct notify_alarm_change change = example_change(&alarm);
    change.region = "eu-west-1";
    change.account_id = "111122223333";
    change.old_state = ALARM_STATE_ALARM;
    change.new_state = ALARM_STATE_OK;
    change.reason = "r";
    char *message = notify_alarm_message(&change);
    assert_text_equal(
        message,
        "{\"AlarmName\":\"p99 \\\"latency\\\"\",\"AlarmDescription\":\"ünïcode\\nline\","
        "\"AWSAccountId\":\"111122223333\",\"AlarmConfigurationUpdatedTimestamp\":"
        "\"2026-11-26T09:58:12.114+0000\",\"NewStateValue\":\"OK\",\"NewStateReason\":\"r\","
        "\"StateChangeTime\":\"2026-11-26T10:10:51.290+0000\",\"Region\":\"EU (Ireland)\","
        "\"AlarmArn\":\"arn:aws:cloudwatch:eu-west-1:111122223333:alarm:p99 \\\"latency\\\"\","
        "\"OldStateValue\":\"ALARM\",\"OKActions\":[\"arn:a\",\"arn:b\"],\"AlarmActions\":[],"
        "\"InsufficientDataActions\":[],\"Trigger\":{\"MetricName\":\"Latency\",\"Namespace\":"
        "\"App\",\"StatisticType\":\"ExtendedStatistic\",\"ExtendedStatistic\":\"p99\","
        "\"Unit\":\"Milliseconds\",\"Dimensions\":[{\"value\":\"a\",\"name\":\"Az\"},"
        "{\"value\":\"api\",\"name\":\"Service\"}],\"Period\":60,\"EvaluationPeriods\":5,"
        "\"DatapointsToAlarm\":3,\"ComparisonOperator\":\"LessThanThreshold\",\"Threshold\":"
        "2.147483648E10,\"TreatMissingData\":\"breaching\",\"EvaluateLowSampleCountPercentile\":"
        "\"ignore\"}}");
    free(message);
    alarm_definition_free(&alarm);
}

static void statistics_are_upper_snake_case(void **state)
{
    (void)state;
    static const struct {
        const char *statistic, *expected;
    } cases[] = {
        {"Sum", "\"Statistic\":\"SUM\""},
        {"Average", "\"Statistic\":\"AVERAGE\""},
        {"Maximum", "\"Statistic\":\"MAXIMUM\""},
        {"Minimum", "\"Statistic\":\"MINIMUM\""},
        {"SampleCount", "\"Statistic\":\"SAMPLE_COUNT\""}, /* [inf] §8 open point */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct alarm_definition alarm;
        struct notify_alarm_change change = load_example(&alarm);
        free(alarm.statistic);
        alarm.statistic = strdup(cases[i].statistic);
        char *message = notify_alarm_message(&change);
        assert_non_null(strstr(message, cases[i].expected));
        free(message);
        alarm_definition_free(&alarm);
    }
}

static void treat_missing_data_is_empty_for_the_default(void **state)
{
    (void)state;
    static const struct {
        enum alarm_treat_missing treat;
        const char *expected;
    } cases[] = {
        /* `missing` is the default, read as "never set" */
        {ALARM_TREAT_MISSING_MISSING, "\"TreatMissingData\":\"\""},
        {ALARM_TREAT_MISSING_IGNORE, "\"TreatMissingData\":\"ignore\""},
        {ALARM_TREAT_MISSING_BREACHING, "\"TreatMissingData\":\"breaching\""},
        {ALARM_TREAT_MISSING_NOT_BREACHING, "\"TreatMissingData\":\"notBreaching\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct alarm_definition alarm;
        struct notify_alarm_change change = load_example(&alarm);
        alarm.treat_missing = cases[i].treat;
        char *message = notify_alarm_message(&change);
        assert_non_null(strstr(message, cases[i].expected));
        free(message);
        alarm_definition_free(&alarm);
    }
}

/* ---- §2.1 ---- */

static void subject_names_state_alarm_and_region(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    struct notify_alarm_change change = load_example(&alarm);
    char *subject = notify_alarm_subject(&change);
    assert_string_equal(subject,
                        "ALARM: \"unauthorized_api_calls_alarm\" in US East (N. Virginia)");
    free(subject);
    change.new_state = ALARM_STATE_INSUFFICIENT_DATA;
    change.region = "ap-southeast-2";
    subject = notify_alarm_subject(&change);
    assert_string_equal(
        subject, "INSUFFICIENT_DATA: \"unauthorized_api_calls_alarm\" in Asia Pacific (Sydney)");
    free(subject);
    alarm_definition_free(&alarm);
}

static void long_subjects_cut_the_name(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    struct notify_alarm_change change = load_example(&alarm);
    free(alarm.alarm_name);
    alarm.alarm_name = malloc(256);
    memset(alarm.alarm_name, 'n', 255);
    alarm.alarm_name[255] = '\0';
    change.new_state = ALARM_STATE_INSUFFICIENT_DATA;
    char *subject = notify_alarm_subject(&change);
    /* 99 characters: prefix, as much name as fits, "...", the region */
    assert_int_equal(strlen(subject), 99);
    assert_memory_equal(subject, "INSUFFICIENT_DATA: \"nnn", 23);
    assert_string_equal(subject + 99 - strlen("...\" in US East (N. Virginia)"),
                        "...\" in US East (N. Virginia)");
    free(subject);

    /* Java counts a character above U+FFFF as two: 😀 (4 bytes) weighs 2 of the 99 */
    free(alarm.alarm_name);
    alarm.alarm_name = malloc(4 * 60 + 1);
    alarm.alarm_name[0] = '\0';
    for (int i = 0; i < 60; i++)
        strcat(alarm.alarm_name, "\xF0\x9F\x98\x80");
    change.new_state = ALARM_STATE_OK;
    subject = notify_alarm_subject(&change);
    /* 'OK: "' 5 + '..." in US East (N. Virginia)' 29 leave 65 units: 32 emoji */
    assert_int_equal(strlen(subject), 5 + 32 * 4 + 29);
    assert_string_equal(subject + 5 + 32 * 4, "...\" in US East (N. Virginia)");
    free(subject);

    /* exactly 99 characters: kept whole */
    free(alarm.alarm_name);
    alarm.alarm_name = malloc(100);
    memset(alarm.alarm_name, 'x', 99 - 34);
    alarm.alarm_name[99 - 34] = '\0';
    change.new_state = ALARM_STATE_ALARM; /* 'ALARM: "' 8 + '" in US East (N. Virginia)' 26 */
    subject = notify_alarm_subject(&change);
    assert_int_equal(strlen(subject), 99);
    assert_null(strstr(subject, "..."));
    free(subject);
    /* one more: cut, 62 x then "..." */
    strcat(alarm.alarm_name, "y");
    subject = notify_alarm_subject(&change);
    assert_int_equal(strlen(subject), 99);
    assert_memory_equal(subject + 8 + 62, "...\"", 4);
    free(subject);
    /* a region code too long for any name: the whole subject is cut */
    char region[120];
    memset(region, 'r', sizeof region - 1);
    region[sizeof region - 1] = '\0';
    change.region = region;
    subject = notify_alarm_subject(&change);
    assert_int_equal(strlen(subject), 99);
    assert_memory_equal(subject, "ALARM: \"xxx", 11);
    free(subject);
    alarm_definition_free(&alarm);
}

/* ---- §3 ---- */

static const char *const example_mail[] = {
    "You are receiving this email because your Amazon CloudWatch Alarm "
    "\"unauthorized_api_calls_alarm\" in the US East (N. Virginia) region has entered the ALARM "
    "state, because \"Threshold Crossed: 1 datapoint [2.0 (26/11/26 10:05:00)] was greater than "
    "or equal to the threshold (1.0).\" at \"Thursday 26 November, 2026 10:10:51 UTC\".",
    "",
    "View this alarm in the AWS Management Console:",
    ("https://us-east-1.console.aws.amazon.com/cloudwatch/deeplink.js?region=us-east-1"
     "#alarmsV2:alarm/unauthorized_api_calls_alarm"),
    "",
    "Alarm Details:",
    "- Name:                       unauthorized_api_calls_alarm",
    "- Description:                ",
    "- State Change:               INSUFFICIENT_DATA -> ALARM",
    ("- Reason for State Change:    Threshold Crossed: 1 datapoint [2.0 (26/11/26 10:05:00)] was "
     "greater than or equal to the threshold (1.0)."),
    "- Timestamp:                  Thursday 26 November, 2026 10:10:51 UTC",
    "- AWS Account:                123456789012",
    "- Alarm Arn:                  "
    "arn:aws:cloudwatch:us-east-1:123456789012:alarm:unauthorized_api_calls_alarm",
    "",
    "Threshold:",
    ("- The alarm is in the ALARM state when the metric is GreaterThanOrEqualToThreshold 1.0 for "
     "at least 1 of the last 1 period(s) of 300 seconds."),
    "",
    "Monitored Metric:",
    "- MetricNamespace:                     CISBenchmark",
    "- MetricName:                          unauthorized_api_calls_metric",
    "- Dimensions:                          ",
    "- Period:                              300 seconds",
    "- Statistic:                           Sum",
    "- Unit:                                not specified",
    "",
    "",
    "State Change Actions:",
    "- OK: ",
    "- ALARM: [arn:aws:sns:us-east-1:123456789012:cis-alarms]",
    "- INSUFFICIENT_DATA: ",
    "",
    "",
    "--",
    ("If you wish to stop receiving notifications from this topic, please click or visit the "
     "link below to unsubscribe:"),
    ("https://sns.us-east-1.amazonaws.com/unsubscribe.html?SubscriptionArn=arn:aws:sns:us-east-"
     "1:123456789012:cis-alarms:7e0d2c4a-1b6f-4c3e-9a8d-5f2e1c0b3a97&Endpoint=secops@example.com"),
    "",
    ("Please do not reply directly to this email. If you have any questions or comments "
     "regarding this email, please contact us at https://aws.amazon.com/support"),
};

static const char subscription_arn[] =
    "arn:aws:sns:us-east-1:123456789012:cis-alarms:7e0d2c4a-1b6f-4c3e-9a8d-5f2e1c0b3a97";

static void mail_is_what_sns_renders(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    struct notify_alarm_change change = load_example(&alarm);
    char *mail = notify_alarm_email(&change, subscription_arn, "secops@example.com", NULL);
    char *expected = CRLF_TEXT(example_mail);
    assert_text_equal(mail, expected);
    /* the columns of §3: values at 30 and 39, counting from 0 */
    assert_int_equal(
        strstr(mail, "unauthorized_api_calls_alarm\r\n- Descr") - strstr(mail, "- Name:"), 30);
    assert_int_equal(strstr(mail, "CISBenchmark\r\n") - strstr(mail, "- MetricNamespace:"), 39);
    free(expected);
    free(mail);
    alarm_definition_free(&alarm);
}

static void mail_shows_every_optional_line(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    load_alarm(&alarm,
               "{\"AlarmName\":\"big spender\",\"AlarmDescription\":\"Spend & more\","
               "\"MetricName\":\"Cost\",\"Namespace\":\"Billing\",\"Statistic\":\"Maximum\","
               "\"Unit\":\"Count\",\"Dimensions\":[{\"Name\":\"Service\",\"Value\":\"api\"},"
               "{\"Name\":\"Az\",\"Value\":\"a\"}],\"Period\":60,\"EvaluationPeriods\":5,"
               "\"DatapointsToAlarm\":3,\"Threshold\":21.5,\"ComparisonOperator\":"
               "\"GreaterThanThreshold\",\"TreatMissingData\":\"notBreaching\","
               "\"OKActions\":[\"arn:ok\"],\"AlarmActions\":[\"arn:a1\",\"arn:a2\"]}");
    struct notify_alarm_change change = example_change(&alarm);
    change.region = "eu-west-1";
    change.change_ms = utc_ms(2019, 8, 5, 17, 4, 3, 0); /* §3's TS example */
    char *mail = notify_alarm_email(&change, "arn:sub", "me@example.com",
                                    "https://trailhound.example/unsubscribe?v=1");
    static const char *const expected_parts[] = {
        "at \"Monday 05 August, 2019 17:04:03 UTC\".\r\n",
        "deeplink.js?region=eu-west-1#alarmsV2:alarm/big%20spender\r\n",
        "- Description:                Spend & more\r\n",
        "- The alarm is in the ALARM state when the metric is GreaterThanThreshold 21.5 for at "
        "least 3 of the last 5 period(s) of 60 seconds.\r\n",
        "- Dimensions:                          [Az = a] [Service = api]\r\n",
        "- Period:                              60 seconds\r\n",
        "- Statistic:                           Maximum\r\n",
        "- Unit:                                Count\r\n"
        "- TreatMissingData:                    notBreaching\r\n\r\n\r\nState Change Actions:\r\n"
        "- OK: [arn:ok]\r\n- ALARM: [arn:a1, arn:a2]\r\n- INSUFFICIENT_DATA: \r\n",
        "https://trailhound.example/unsubscribe?v=1&SubscriptionArn=arn:sub&Endpoint="
        "me@example.com\r\n",
    };
    for (size_t i = 0; i < sizeof expected_parts / sizeof expected_parts[0]; i++)
        if (!strstr(mail, expected_parts[i]))
            fail_msg("missing from the mail: %s", expected_parts[i]);
    free(mail);
    alarm_definition_free(&alarm);
}

static void mail_ends_with_the_evidence(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    struct notify_alarm_change change = load_example(&alarm);
    struct metric_evidence evidence = example_evidence();
    evidence.top[METRIC_EVIDENCE_PRINCIPAL][1].count = 12; /* counts right-aligned */
    evidence.top[METRIC_EVIDENCE_PRINCIPAL][1].value = "bob\r\n- Forged: line";
    change.evidence = &evidence;
    char *mail = notify_alarm_email(&change, subscription_arn, "secops@example.com", NULL);
    static const char *const evidence_lines[] = {
        "",
        "",
        "Evidence (trailhound):",
        "- Matching events:            3",
        "- First seen:                 Thursday 26 November, 2026 10:01:02 UTC",
        "- Last seen:                  Thursday 26 November, 2026 10:04:59 UTC",
        "- By principal:                2 arn:aws:iam::123456789012:user/alice",
        "                              12 bob  - Forged: line",
        "- By source IP:               3 203.0.113.7",
        "- By event name:              2 DescribeInstances",
        "                              1 GetObject",
        "- By error code:              2 AccessDenied",
        "                              1 Client.UnauthorizedOperation",
        "- By account:                 3 123456789012",
        "- By region:                  3 us-east-1",
        "- By denial kind:             2 no identity-based policy allows the action",
        "- Sample events:              2 of 3",
        ("  {\"eventTime\":\"2026-11-26T10:01:02Z\",\"eventName\":\"DescribeInstances\","
         "\"errorCode\":\"Client.UnauthorizedOperation\"}"),
        ("  {\"eventTime\":\"2026-11-26T10:04:59Z\",\"eventName\":\"GetObject\",\"errorCode\":"
         "\"AccessDenied\",\"errorMessage\":\"a <b> & c\"}"),
    };
    char *aws_part = CRLF_TEXT(example_mail);
    char *our_part = CRLF_TEXT(evidence_lines);
    char *expected = malloc(strlen(aws_part) + strlen(our_part) + 1);
    strcpy(expected, aws_part);
    strcat(expected, our_part);
    assert_text_equal(mail, expected);
    free(expected);
    free(aws_part);
    free(our_part);
    free(mail);
    alarm_definition_free(&alarm);
}

/* ---- §6 ---- */

/* §6's example with its whitespace between tokens removed. */
static const char example_slack[] =
    "{\"text\":\"ALARM: \\\"unauthorized_api_calls_alarm\\\" in US East (N. Virginia)\","
    "\"attachments\":[{\"color\":\"#D00000\",\"blocks\":[{\"type\":\"header\",\"text\":"
    "{\"type\":\"plain_text\",\"text\":\"🔴 ALARM: unauthorized_api_calls_alarm\"}},"
    "{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":\"Threshold Crossed: 1 "
    "datapoint [2.0 (26/11/26 10:05:00)] was greater than or equal to the threshold (1.0).\"}},"
    "{\"type\":\"section\",\"fields\":[{\"type\":\"mrkdwn\",\"text\":\"*State*\\n"
    "INSUFFICIENT_DATA → ALARM\"},{\"type\":\"mrkdwn\",\"text\":\"*Account / Region*\\n"
    "123456789012 · us-east-1\"},{\"type\":\"mrkdwn\",\"text\":\"*Metric*\\nCISBenchmark / "
    "unauthorized_api_calls_metric\"},{\"type\":\"mrkdwn\",\"text\":\"*Condition*\\nSum ≥ 1.0 "
    "for 1 of 1 × 300 s\"}]},{\"type\":\"context\",\"elements\":[{\"type\":\"mrkdwn\",\"text\":"
    "\"2026-11-26T10:10:51Z · CIS AWS 4.1\"}]}]}]}";

static void slack_payload_is_the_example(void **state)
{
    (void)state;
    assert_example_renders_as(notify_slack_payload, example_slack);
}

static void slack_colours_follow_the_state(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    struct notify_alarm_change change = load_example(&alarm);
    change.new_state = ALARM_STATE_OK;
    char *payload = notify_slack_payload(&change);
    assert_non_null(strstr(payload, "\"color\":\"#2EB67D\""));
    assert_non_null(strstr(payload, "\"text\":\"🟢 OK: unauthorized_api_calls_alarm\""));
    free(payload);
    change.new_state = ALARM_STATE_INSUFFICIENT_DATA;
    payload = notify_slack_payload(&change);
    assert_non_null(strstr(payload, "\"color\":\"#9E9E9E\""));
    assert_non_null(strstr(payload, "\"text\":\"⚪ INSUFFICIENT_DATA: unauthorized_api_calls"));
    free(payload);
    alarm_definition_free(&alarm);
}

static json_t *slack_block(json_t *payload, size_t index)
{
    json_t *blocks =
        json_object_get(json_array_get(json_object_get(payload, "attachments"), 0), "blocks");
    return json_array_get(blocks, index);
}

static size_t utf8_characters(const char *text)
{
    size_t count = 0;
    for (; *text; text++)
        count += ((unsigned char)*text & 0xC0) != 0x80;
    return count;
}

static void slack_escapes_and_limits_user_text(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    struct notify_alarm_change change = load_example(&alarm);
    free(alarm.alarm_name);
    alarm.alarm_name = strdup("a<b>&c");
    free(alarm.statistic);
    alarm.statistic = strdup("Maximum");
    alarm.comparison = ALARM_LESS_THAN_THRESHOLD;
    char reason[5000];
    memset(reason, 'r', sizeof reason - 1);
    reason[sizeof reason - 1] = '\0';
    memcpy(reason + 2995, "&&&", 3); /* the cut falls inside an entity */
    change.reason = reason;
    char *text = notify_slack_payload(&change);
    json_t *payload = json_loads(text, 0, NULL);
    assert_non_null(payload);
    assert_string_equal(json_string_value(json_object_get(payload, "text")),
                        "ALARM: \"a&lt;b&gt;&amp;c\" in US East (N. Virginia)");
    /* a header is plain text: not escaped */
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(slack_block(payload, 0), "text"), "text")),
                        "🔴 ALARM: a<b>&c");
    const char *section = json_string_value(
        json_object_get(json_object_get(slack_block(payload, 1), "text"), "text"));
    assert_int_equal(utf8_characters(section), 2995 + 1);
    assert_string_equal(section + 2995, "…");
    json_t *fields = json_object_get(slack_block(payload, 2), "fields");
    assert_string_equal(json_string_value(json_object_get(json_array_get(fields, 3), "text")),
                        "*Condition*\nMaximum &lt; 1.0 for 1 of 1 × 300 s");
    json_decref(payload);
    free(text);
    alarm_definition_free(&alarm);
}

static void slack_headers_keep_150_characters(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    struct notify_alarm_change change = load_example(&alarm);
    /* "🔴 ALARM: " is 9 characters: a 141-character name fits exactly, 142 does not */
    for (size_t length = 141; length <= 142; length++) {
        free(alarm.alarm_name);
        alarm.alarm_name = malloc(length + 1);
        memset(alarm.alarm_name, 'h', length);
        alarm.alarm_name[length] = '\0';
        char *text = notify_slack_payload(&change);
        json_t *payload = json_loads(text, 0, NULL);
        const char *header = json_string_value(
            json_object_get(json_object_get(slack_block(payload, 0), "text"), "text"));
        assert_int_equal(utf8_characters(header), 150);
        if (length == 141)
            assert_null(strstr(header, "…"));
        else
            assert_string_equal(header + strlen(header) - strlen("h…"), "h…");
        json_decref(payload);
        free(text);
    }
    alarm_definition_free(&alarm);
}

static void slack_shows_the_evidence(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    struct notify_alarm_change change = load_example(&alarm);
    struct metric_evidence evidence = example_evidence();
    change.evidence = &evidence;
    char *text = notify_slack_payload(&change);
    /* the example's blocks, then two evidence sections before the context line */
    const char *context = strstr(example_slack, ",{\"type\":\"context\"");
    size_t head = (size_t)(context - example_slack);
    assert_memory_equal(text, example_slack, head);
    assert_text_equal(
        text + head,
        ",{\"type\":\"section\",\"fields\":[{\"type\":\"mrkdwn\",\"text\":\"*Matching "
        "events*\\n3\"},"
        "{\"type\":\"mrkdwn\",\"text\":\"*First / last seen*\\n2026-11-26T10:01:02Z – "
        "2026-11-26T10:04:59Z\"},{\"type\":\"mrkdwn\",\"text\":\"*Principals*\\n"
        "arn:aws:iam::123456789012:user/alice (2)\\narn:aws:iam::123456789012:user/bob (1)\"},"
        "{\"type\":\"mrkdwn\",\"text\":\"*Source IPs*\\n203.0.113.7 (3)\"},{\"type\":\"mrkdwn\","
        "\"text\":\"*Event names*\\nDescribeInstances (2)\\nGetObject (1)\"},{\"type\":\"mrkdwn\","
        "\"text\":\"*Error codes*\\nAccessDenied (2)\\nClient.UnauthorizedOperation (1)\"},"
        "{\"type\":\"mrkdwn\",\"text\":\"*Accounts*\\n123456789012 (3)\"},{\"type\":\"mrkdwn\","
        "\"text\":\"*Regions*\\nus-east-1 (3)\"},{\"type\":\"mrkdwn\",\"text\":\"*Denial kinds*\\n"
        "no identity-based policy allows the action (2)\"}]},{\"type\":\"section\",\"text\":"
        "{\"type\":\"mrkdwn\",\"text\":\"*Sample events (2 of 3)*\\n```{\\\"eventTime\\\":"
        "\\\"2026-11-26T10:01:02Z\\\",\\\"eventName\\\":\\\"DescribeInstances\\\","
        "\\\"errorCode\\\":"
        "\\\"Client.UnauthorizedOperation\\\"}\\n{\\\"eventTime\\\":\\\"2026-11-26T10:04:59Z\\\","
        "\\\"eventName\\\":\\\"GetObject\\\",\\\"errorCode\\\":\\\"AccessDenied\\\","
        "\\\"errorMessage\\\":\\\"a &lt;b&gt; &amp; c\\\"}```\"}}"
        ",{\"type\":\"context\",\"elements\":[{\"type\":\"mrkdwn\",\"text\":"
        "\"2026-11-26T10:10:51Z · CIS AWS 4.1\"}]}]}]}");
    free(text);
    alarm_definition_free(&alarm);
}

static void slack_samples_keep_their_code_fence(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    struct notify_alarm_change change = load_example(&alarm);
    char big[2000];
    snprintf(big, sizeof big, "{\"k\":\"%01980d\"}", 0);
    struct metric_evidence evidence = {.events = 5, .samples = {big, big, big}, .sample_count = 3};
    change.evidence = &evidence;
    char *text = notify_slack_payload(&change);
    json_t *payload = json_loads(text, 0, NULL);
    assert_non_null(payload);
    const char *samples = json_string_value(
        json_object_get(json_object_get(slack_block(payload, 4), "text"), "text"));
    assert_int_equal(utf8_characters(samples), 3000);
    assert_memory_equal(samples, "*Sample events (3 of 5)*\n```{", 29);
    assert_string_equal(samples + strlen(samples) - strlen("…```"), "…```");
    json_decref(payload);
    free(text);
    alarm_definition_free(&alarm);
}

/* ---- §7 ---- */

static const char example_routing_key[] = "0123456789abcdef0123456789abcdef";
static const char example_arn[] =
    "arn:aws:cloudwatch:us-east-1:123456789012:alarm:unauthorized_api_calls_alarm";

static void pagerduty_trigger_is_the_example(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    struct notify_alarm_change change = load_example(&alarm);
    bool skip = true;
    char *event = notify_pagerduty_event(&change, example_routing_key, true, &skip);
    assert_false(skip);
    /* §7's trigger, whose custom_details is the whole §2.2 message */
    char expected[4096];
    snprintf(expected, sizeof expected,
             "{\"routing_key\":\"%s\",\"event_action\":\"trigger\",\"dedup_key\":\"%s\","
             "\"payload\":{\"summary\":\"ALARM: \\\"unauthorized_api_calls_alarm\\\" in US East "
             "(N. Virginia) — Threshold Crossed: 1 datapoint [2.0 (26/11/26 10:05:00)] was "
             "greater than or equal to the threshold (1.0).\",\"source\":\"%s\",\"severity\":"
             "\"critical\",\"timestamp\":\"2026-11-26T10:10:51.290+00:00\",\"component\":"
             "\"unauthorized_api_calls_metric\",\"group\":\"CISBenchmark\",\"class\":\"CIS 4.1\","
             "\"custom_details\":%s}}",
             example_routing_key, example_arn, example_arn, example_message);
    assert_text_equal(event, expected);
    free(event);

    /* with evidence, custom_details carries the Trailhound key too */
    struct metric_evidence evidence = example_evidence();
    change.evidence = &evidence;
    event = notify_pagerduty_event(&change, example_routing_key, true, &skip);
    json_t *parsed = json_loads(event, 0, NULL);
    json_t *details = json_object_get(json_object_get(parsed, "payload"), "custom_details");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(details, "Trailhound"), "events")), 3);
    json_decref(parsed);
    free(event);
    alarm_definition_free(&alarm);
}

static void pagerduty_resolve_is_the_example(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    struct notify_alarm_change change = load_example(&alarm);
    char expected[512];
    snprintf(expected, sizeof expected,
             "{\"routing_key\":\"%s\",\"event_action\":\"resolve\",\"dedup_key\":\"%s\"}",
             example_routing_key, example_arn);
    static const struct {
        enum alarm_state from, to;
        bool resolve_on_insufficient;
        const char *action; /* NULL: skipped */
    } cases[] = {
        {ALARM_STATE_ALARM, ALARM_STATE_OK, false, "resolve"},
        {ALARM_STATE_INSUFFICIENT_DATA, ALARM_STATE_OK, false, "resolve"},
        {ALARM_STATE_ALARM, ALARM_STATE_INSUFFICIENT_DATA, true, "resolve"},
        {ALARM_STATE_ALARM, ALARM_STATE_INSUFFICIENT_DATA, false, NULL},
        {ALARM_STATE_OK, ALARM_STATE_INSUFFICIENT_DATA, true, NULL},
        {ALARM_STATE_INSUFFICIENT_DATA, ALARM_STATE_INSUFFICIENT_DATA, true, NULL},
        {ALARM_STATE_OK, ALARM_STATE_ALARM, false, "trigger"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        change.old_state = cases[i].from;
        change.new_state = cases[i].to;
        bool skip = false;
        char *event = notify_pagerduty_event(&change, example_routing_key,
                                             cases[i].resolve_on_insufficient, &skip);
        if (!cases[i].action) {
            assert_true(skip);
            assert_null(event);
            continue;
        }
        assert_false(skip);
        if (strcmp(cases[i].action, "resolve") == 0)
            assert_text_equal(event, expected);
        else
            assert_non_null(strstr(event, "\"event_action\":\"trigger\""));
        free(event);
    }
    alarm_definition_free(&alarm);
}

static void pagerduty_limits_keys_and_summaries(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    struct notify_alarm_change change = load_example(&alarm);
    free(alarm.alarm_name);
    alarm.alarm_name = malloc(256);
    memset(alarm.alarm_name, 'a', 255);
    alarm.alarm_name[255] = '\0';
    free(alarm.cis_id);
    alarm.cis_id = NULL;
    char reason[2000];
    memset(reason, 'r', sizeof reason - 1);
    reason[sizeof reason - 1] = '\0';
    change.reason = reason;
    bool skip;
    char *text = notify_pagerduty_event(&change, example_routing_key, false, &skip);
    json_t *event = json_loads(text, 0, NULL);
    assert_non_null(event);
    /* dedup_key: "sha256-" + the hex digest of the 303-character ARN (sha256sum of it) */
    assert_string_equal(json_string_value(json_object_get(event, "dedup_key")),
                        "sha256-2e1c1675396ee9a5205ec9f5cf1a80367bc24ee95151093e466822d740c0cb2e");
    json_t *payload = json_object_get(event, "payload");
    const char *summary = json_string_value(json_object_get(payload, "summary"));
    assert_int_equal(utf8_characters(summary), 1024);
    assert_string_equal(summary + strlen(summary) - strlen("r…"), "r…");
    assert_string_equal(json_string_value(json_object_get(payload, "class")), "CloudWatch alarm");
    json_decref(event);
    free(text);
    alarm_definition_free(&alarm);
}

/* Grouping: the message keeps AWS's keys and gains "grouped" and "groupingWindowSeconds" as
 * the Trailhound key's last members (the whole key when there is no evidence); the mail and
 * Slack's text start with the count; suppressed matches are counted after "events". */
static void grouped_and_suppressed_changes(void **state)
{
    (void)state;
    struct alarm_definition alarm;
    struct notify_alarm_change change = load_example(&alarm);
    change.grouped = 3;
    change.grouping_window_seconds = 600;
    char *message = notify_alarm_message(&change);
    char expected[sizeof example_message + 128];
    snprintf(expected, sizeof expected, "%.*s%s}", (int)strlen(example_message) - 1,
             example_message, ",\"Trailhound\":{\"grouped\":3,\"groupingWindowSeconds\":600}");
    assert_text_equal(message, expected);
    free(message);

    struct metric_evidence evidence = example_evidence();
    evidence.suppressed = 1;
    change.evidence = &evidence;
    message = notify_alarm_message(&change);
    assert_non_null(strstr(message, ",\"Trailhound\":{\"events\":3,\"suppressed\":1,"));
    assert_non_null(strstr(message, "\"cis\":\"4.1\",\"grouped\":3,"
                                    "\"groupingWindowSeconds\":600}}"));
    free(message);

    char *mail = notify_alarm_email(&change, subscription_arn, "secops@example.com", NULL);
    const char start[] = "3 state changes in 600 s; latest: INSUFFICIENT_DATA -> ALARM.\r\n\r\n"
                         "You are receiving this email";
    assert_memory_equal(mail, start, sizeof start - 1);
    assert_non_null(strstr(mail, "- Matching events:            3\r\n"
                                 "- Of which suppressed:        1 (by suppression rules)\r\n"));
    free(mail);

    char *payload = notify_slack_payload(&change);
    json_t *parsed = json_loads(payload, 0, NULL);
    assert_non_null(parsed);
    assert_string_equal(json_string_value(json_object_get(parsed, "text")),
                        "3 state changes in 600 s; latest: INSUFFICIENT_DATA -&gt; ALARM: "
                        "ALARM: \"unauthorized_api_calls_alarm\" in US East (N. Virginia)");
    json_decref(parsed);
    free(payload);

    change.grouped = 1; /* one change: nothing says so */
    change.evidence = NULL;
    message = notify_alarm_message(&change);
    assert_text_equal(message, example_message);
    free(message);
    alarm_definition_free(&alarm); /* example_evidence() borrows static text */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(region_names_are_cloudwatchs),
        cmocka_unit_test(grouped_and_suppressed_changes),
        cmocka_unit_test(message_is_the_complete_example),
        cmocka_unit_test(message_ends_with_the_evidence),
        cmocka_unit_test(samples_that_are_not_objects_are_strings),
        cmocka_unit_test(trigger_covers_every_optional_key),
        cmocka_unit_test(statistics_are_upper_snake_case),
        cmocka_unit_test(treat_missing_data_is_empty_for_the_default),
        cmocka_unit_test(subject_names_state_alarm_and_region),
        cmocka_unit_test(long_subjects_cut_the_name),
        cmocka_unit_test(mail_is_what_sns_renders),
        cmocka_unit_test(mail_shows_every_optional_line),
        cmocka_unit_test(mail_ends_with_the_evidence),
        cmocka_unit_test(slack_payload_is_the_example),
        cmocka_unit_test(slack_colours_follow_the_state),
        cmocka_unit_test(slack_escapes_and_limits_user_text),
        cmocka_unit_test(slack_headers_keep_150_characters),
        cmocka_unit_test(slack_shows_the_evidence),
        cmocka_unit_test(slack_samples_keep_their_code_fence),
        cmocka_unit_test(pagerduty_trigger_is_the_example),
        cmocka_unit_test(pagerduty_resolve_is_the_example),
        cmocka_unit_test(pagerduty_limits_keys_and_summaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
