/* The metrics stage's scan: counts, value sums and top lists per filter, evidence fields,
 * threads' totals merged, and the heavy-hitters table underneath. */
#include "metrics/metrics.h"
#include "metrics/top_values.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void top_values_are_exact_while_they_fit(void **state)
{
    (void)state;
    struct top_values *top = top_values_create(4);
    const char *stream[] = {"a", "b", "a", "c", "a", "b", "d"};
    for (size_t i = 0; i < sizeof stream / sizeof stream[0]; i++)
        assert_true(top_values_add(top, stream[i], 1, 1));
    struct top_value list[10];
    assert_int_equal(top_values_list(top, list, 10), 4);
    assert_true(top_values_exact(top));
    assert_memory_equal(list[0].value, "a", 1);
    assert_int_equal(list[0].count, 3);
    assert_memory_equal(list[1].value, "b", 1);
    assert_int_equal(list[1].count, 2);
    /* ties are ordered by value */
    assert_memory_equal(list[2].value, "c", 1);
    assert_memory_equal(list[3].value, "d", 1);
    top_values_free(top);
}

static void top_values_keep_heavy_hitters_when_full(void **state)
{
    (void)state;
    struct top_values *top = top_values_create(8);
    char value[16];
    /* a heavy value among 1000 distinct light ones stays, with a count >= its true one */
    for (int i = 0; i < 1000; i++) {
        int length = snprintf(value, sizeof value, "light-%d", i);
        assert_true(top_values_add(top, value, (size_t)length, 1));
        if (i % 4 == 0)
            assert_true(top_values_add(top, "heavy", 5, 1));
    }
    struct top_value list[1];
    assert_int_equal(top_values_list(top, list, 1), 1);
    assert_false(top_values_exact(top));
    assert_memory_equal(list[0].value, "heavy", 5);
    assert_true(list[0].count >= 250);
    top_values_free(top);
}

/* The table grows from a few entries to its limit: every count exact up to the limit
 * (values found again after each doubling), evictions only beyond it. */
static void top_values_grow_exactly_to_their_limit(void **state)
{
    (void)state;
    struct top_values *top = top_values_create(1000);
    char value[16];
    for (int round = 1; round <= 3; round++)
        for (int i = 0; i < 1000; i++) {
            int length = snprintf(value, sizeof value, "v-%d", i);
            assert_true(top_values_add(top, value, (size_t)length, (uint64_t)(i % 7 + 1)));
        }
    assert_true(top_values_exact(top));
    struct top_value list[1000];
    assert_int_equal(top_values_list(top, list, 1000), 1000);
    uint64_t total = 0;
    for (size_t i = 0; i < 1000; i++) {
        int n = atoi(list[i].value + 2);
        assert_int_equal(list[i].count, (uint64_t)(3 * (n % 7 + 1)));
        total += list[i].count;
    }
    assert_int_equal(total, 3 * (142 * 28 + (1 + 2 + 3 + 4 + 5 + 6)));
    assert_true(top_values_add(top, "one more", 8, 1)); /* the 1001st value evicts */
    assert_false(top_values_exact(top));
    top_values_free(top);
}

static void top_values_merge_adds_counts(void **state)
{
    (void)state;
    struct top_values *left = top_values_create(16), *right = top_values_create(16);
    top_values_add(left, "x", 1, 2);
    top_values_add(right, "x", 1, 3);
    top_values_add(right, "y", 1, 1);
    assert_true(top_values_merge(left, right));
    struct top_value list[4];
    assert_int_equal(top_values_list(left, list, 4), 2);
    assert_int_equal(list[0].count, 5);
    assert_int_equal(list[1].count, 1);
    top_values_free(left);
    top_values_free(right);
}

static void add_filter(struct metric_filter_list *list, const char *name, const char *pattern,
                       const char *value)
{
    struct metric_filter_definition definition = {
        .filter_name = (char *)name,
        .filter_pattern = (char *)pattern,
        .transformation = {.metric_name = (char *)name,
                           .metric_namespace = "Test",
                           .metric_value = (char *)value},
    };
    assert_true(metric_filter_list_append(list, &definition));
}

static const char *const events[] = {
    ("{\"eventName\":\"GetObject\",\"errorCode\":\"AccessDenied\",\"sourceIPAddress\":\"1.2.3.4\","
     "\"awsRegion\":\"us-east-1\",\"recipientAccountId\":\"111\",\"bytes\":10,"
     "\"userIdentity\":{\"arn\":\"arn:aws:iam::111:user/alice\",\"accountId\":\"999\"}}"),
    ("{\"eventName\":\"PutObject\",\"errorCode\":\"AccessDenied\",\"sourceIPAddress\":\"1.2.3.4\","
     "\"awsRegion\":\"eu-west-1\",\"bytes\":\"5\","
     "\"userIdentity\":{\"principalId\":\"AIDAEXAMPLE\",\"accountId\":\"222\"}}"),
    ("{\"eventName\":\"Decrypt\",\"errorCode\":\"AccessDenied\",\"sourceIPAddress\":\"kms\","
     "\"bytes\":\"many\",\"userIdentity\":{\"invokedBy\":\"kms.amazonaws.com\"}}"),
    "{\"eventName\":\"ListBuckets\"}",
};

static struct filter_scan *scan_events(struct metric_filter_list *list, size_t first, size_t last)
{
    struct metrics_error error;
    struct filter_scan *scan = filter_scan_create(list, false, &error);
    assert_non_null(scan);
    for (size_t i = first; i < last; i++) {
        struct event_json_error json_error;
        assert_true(filter_scan_event(scan, events[i], strlen(events[i]), &json_error));
    }
    return scan;
}

static void assert_top(const struct filter_scan *scan, enum evidence_field field,
                       const char *expected)
{
    struct top_value list[8];
    char text[512] = "";
    size_t count = filter_scan_top(scan, 0, field, list, 8);
    for (size_t i = 0; i < count; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%.*s=%llu;", (int)list[i].length,
                 list[i].value, (unsigned long long)list[i].count);
    assert_string_equal(text, expected);
}

static void scan_counts_and_attributes_matches(void **state)
{
    (void)state;
    struct metric_filter_list list = {0};
    add_filter(&list, "denied", "{ $.errorCode = \"AccessDenied*\" }", "$.bytes");
    add_filter(&list, "listing", "{ $.eventName = List* }", "1");
    add_filter(&list, "none", "{ $.eventName = Nothing }", "2");
    struct filter_scan *scan = scan_events(&list, 0, 4);
    assert_int_equal(filter_scan_filter_count(scan), 3);
    assert_int_equal(filter_scan_matches(scan, 0), 3);
    /* 10 + "5"; the text "many" publishes no data point */
    assert_true(filter_scan_value_sum(scan, 0) == 15.0);
    assert_int_equal(filter_scan_matches(scan, 1), 1);
    assert_true(filter_scan_value_sum(scan, 1) == 1.0);
    assert_int_equal(filter_scan_matches(scan, 2), 0);
    /* principal: arn, else principalId, else invokedBy */
    assert_top(scan, EVIDENCE_PRINCIPAL,
               "AIDAEXAMPLE=1;arn:aws:iam::111:user/alice=1;kms.amazonaws.com=1;");
    assert_top(scan, EVIDENCE_SOURCE_IP, "1.2.3.4=2;kms=1;");
    assert_top(scan, EVIDENCE_EVENT_NAME, "Decrypt=1;GetObject=1;PutObject=1;");
    assert_top(scan, EVIDENCE_ERROR_CODE, "AccessDenied=3;");
    /* account: recipientAccountId, else userIdentity.accountId */
    assert_top(scan, EVIDENCE_ACCOUNT, "111=1;222=1;");
    assert_top(scan, EVIDENCE_REGION, "eu-west-1=1;us-east-1=1;");
    filter_scan_free(scan);
    metric_filter_list_free(&list);
}

static void scans_merge_like_one(void **state)
{
    (void)state;
    struct metric_filter_list list = {0};
    add_filter(&list, "denied", "{ $.errorCode = \"AccessDenied*\" }", "1");
    struct filter_scan *first = scan_events(&list, 0, 2), *second = scan_events(&list, 2, 4);
    assert_true(filter_scan_merge(first, second));
    assert_int_equal(filter_scan_matches(first, 0), 3);
    assert_true(filter_scan_value_sum(first, 0) == 3.0);
    assert_top(first, EVIDENCE_SOURCE_IP, "1.2.3.4=2;kms=1;");
    filter_scan_free(first);
    filter_scan_free(second);
    metric_filter_list_free(&list);
}

static void invalid_json_counts_nowhere(void **state)
{
    (void)state;
    struct metric_filter_list list = {0};
    add_filter(&list, "all", "", "1");
    struct metrics_error error;
    struct filter_scan *scan = filter_scan_create(&list, false, &error);
    struct event_json_error json_error;
    assert_false(filter_scan_event(scan, "{\"a\":", 5, &json_error));
    assert_int_equal(json_error.offset, 5);
    assert_int_equal(filter_scan_matches(scan, 0), 0);
    filter_scan_free(scan);
    metric_filter_list_free(&list);
}

static void bad_definitions_are_refused(void **state)
{
    (void)state;
    struct metric_filter_list list = {0};
    add_filter(&list, "broken", "{ $.a = }", "1");
    struct metrics_error error;
    assert_null(filter_scan_create(&list, false, &error));
    assert_non_null(strstr(error.message, "filter broken: invalid filter pattern at column 9"));
    metric_filter_list_free(&list);
}

/* The pre-test may only skip events that cannot match: same counts with and without it,
 * including for an event that spells its error code with a \u escape. */
static void pre_test_changes_no_count(void **state)
{
    (void)state;
    static const char *const messages[] = {
        "{\"errorCode\":\"AccessDenied\",\"eventName\":\"GetObject\",\"sourceIPAddress\":\"a\"}",
        ("{\"errorCode\":\"\\u0041ccessDenied\",\"eventName\":\"GetObject\","
         "\"sourceIPAddress\":\"a\"}"),
        "{\"errorCode\":\"Client.UnauthorizedOperation\"}",
        "{\"eventName\":\"ConsoleLogin\",\"errorMessage\":\"Failed authentication\"}",
        "{\"eventName\":\"GetObject\"}",
        "{\"userIdentity\":{\"type\":\"Root\"},\"eventType\":\"AwsApiCall\"}",
    };
    struct metric_filter_list list = {0};
    add_filter(
        &list, "unauthorized",
        "{ ($.errorCode =\"*UnauthorizedOperation\") || ($.errorCode =\"AccessDenied*\") && "
        "($.sourceIPAddress!=\"delivery.logs.amazonaws.com\") && ($.eventName!=\"HeadBucket\") }",
        "1");
    add_filter(&list, "failed_login",
               "{ ($.eventName = ConsoleLogin) && ($.errorMessage = \"Failed authentication\") }",
               "1");
    add_filter(&list, "root",
               "{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT "
               "EXISTS && $.eventType != \"AwsServiceEvent\" }",
               "1");
    struct metrics_error error;
    struct filter_scan *plain = filter_scan_create(&list, false, &error);
    struct filter_scan *tested = filter_scan_create(&list, true, &error);
    assert_non_null(tested);
    for (size_t i = 0; i < sizeof messages / sizeof messages[0]; i++) {
        struct event_json_error json_error;
        assert_true(filter_scan_event(plain, messages[i], strlen(messages[i]), &json_error));
        assert_true(filter_scan_event(tested, messages[i], strlen(messages[i]), &json_error));
    }
    assert_int_equal(filter_scan_matches(plain, 0), 3);
    assert_int_equal(filter_scan_matches(plain, 1), 1);
    assert_int_equal(filter_scan_matches(plain, 2), 1);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(filter_scan_matches(tested, i), filter_scan_matches(plain, i));
    /* only the GetObject event without an error can be set aside */
    assert_int_equal(filter_scan_unvalidated(tested), 1);
    assert_int_equal(filter_scan_unvalidated(plain), 0);
    filter_scan_free(plain);
    filter_scan_free(tested);
    metric_filter_list_free(&list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(top_values_are_exact_while_they_fit),
        cmocka_unit_test(top_values_keep_heavy_hitters_when_full),
        cmocka_unit_test(top_values_grow_exactly_to_their_limit),
        cmocka_unit_test(top_values_merge_adds_counts),
        cmocka_unit_test(scan_counts_and_attributes_matches),
        cmocka_unit_test(scans_merge_like_one),
        cmocka_unit_test(invalid_json_counts_nowhere),
        cmocka_unit_test(bad_definitions_are_refused),
        cmocka_unit_test(pre_test_changes_no_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
