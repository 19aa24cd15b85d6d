/* Suppression rules: the matcher (globs, SourceIp as IPv4/IPv6 address, CIDR block or
 * name, AND within a rule, OR across rules, Filters), value checks, and a scan with rules:
 * the filter's own metric unchanged, the tuned metric lower by exactly the suppressed
 * matches, the evidence of each. Expectations are worked out by hand in the comments. */
#include "metrics/metrics.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* ---- building rules and events ---- */

static struct metric_filter_list two_filters(void)
{
    struct metric_filter_list filters = {0};
    struct metric_filter_definition denied = {
        .filter_name = "denied",
        .filter_pattern = "{ $.errorCode = \"AccessDenied*\" }",
        .transformation = {.metric_name = "DeniedCount",
                           .metric_namespace = "Security",
                           .metric_value = "1"},
    };
    struct metric_filter_definition logins = {
        .filter_name = "logins",
        .filter_pattern = "{ $.eventName = \"ConsoleLogin\" }",
        .transformation = {.metric_name = "Logins",
                           .metric_namespace = "Security",
                           .metric_value = "1"},
    };
    assert_true(metric_filter_list_append(&filters, &denied));
    assert_true(metric_filter_list_append(&filters, &logins));
    return filters;
}

/* A rule from field=value pairs (NULL-terminated); `filter` NULL applies to every filter. */
static void add_rule(struct suppression_rule_list *rules, const char *name, const char *filter, ...)
{
    struct suppression_rule rule = {.name = (char *)name, .origin = "test"};
    char *filters[1] = {(char *)filter};
    if (filter) {
        rule.filters = filters;
        rule.filter_count = 1;
    }
    va_list arguments;
    va_start(arguments, filter);
    for (int field; (field = va_arg(arguments, int)) >= 0;)
        rule.match[field] = va_arg(arguments, char *);
    va_end(arguments);
    assert_true(suppression_rule_list_append(rules, &rule));
}

static struct suppression_set *compile(const struct suppression_rule_list *rules)
{
    struct metric_filter_list filters = two_filters();
    struct metrics_error error;
    struct suppression_set *set = suppression_set_compile(rules, &filters, &error);
    if (!set)
        fail_msg("%s", error.message);
    metric_filter_list_free(&filters);
    return set;
}

static struct suppression_event values(const char *principal, const char *ip, const char *name,
                                       const char *agent, const char *code, const char *account)
{
    struct suppression_event event = {
        .values = {principal, ip, name, agent, code, account},
    };
    for (size_t i = 0; i < SUPPRESSION_FIELD_COUNT; i++)
        event.lengths[i] = event.values[i] ? strlen(event.values[i]) : 0;
    return event;
}

/* Does a single rule {field: pattern} suppress a match whose field is `value`? */
static bool one_field(enum suppression_field field, const char *pattern, const char *value)
{
    struct suppression_rule_list rules = {0};
    add_rule(&rules, "r", NULL, field, pattern, -1);
    struct suppression_set *set = compile(&rules);
    struct suppression_event event = values(NULL, NULL, NULL, NULL, NULL, NULL);
    event.values[field] = value;
    event.lengths[field] = value ? strlen(value) : 0;
    bool matched = suppression_matches(set, 0, &event);
    suppression_set_free(set);
    suppression_rule_list_free(&rules);
    return matched;
}

/* ---- the matcher ---- */

static void globs(void **state)
{
    (void)state;
    const char *scanner = "arn:aws:sts::111122223333:assumed-role/scanner/i-0abc";
    assert_true(one_field(SUPPRESSION_PRINCIPAL, "arn:aws:sts::*:assumed-role/scanner/*", scanner));
    assert_true(one_field(SUPPRESSION_PRINCIPAL, scanner, scanner)); /* no wildcard: exact */
    assert_false(one_field(SUPPRESSION_PRINCIPAL, "arn:aws:sts::*:assumed-role/scanner", scanner));
    assert_false(one_field(SUPPRESSION_PRINCIPAL, "*/Scanner/*", scanner)); /* case counts */
    assert_true(one_field(SUPPRESSION_USER_AGENT, "*", ""));
    assert_true(
        one_field(SUPPRESSION_USER_AGENT, "stratus-red-team_*", "stratus-red-team_39f95f43-cd2f"));
    assert_true(one_field(SUPPRESSION_ERROR_CODE, "*UnauthorizedOperation",
                          "Client.UnauthorizedOperation"));
    assert_true(one_field(SUPPRESSION_ERROR_CODE, "Access?enied", "AccessDenied"));
    assert_false(one_field(SUPPRESSION_ERROR_CODE, "Access?enied", "AccessDDenied"));
    /* `?` is one character, not one byte: "é" is two bytes in UTF-8 */
    assert_true(one_field(SUPPRESSION_EVENT_NAME, "caf?", "caf\xc3\xa9"));
    assert_false(one_field(SUPPRESSION_EVENT_NAME, "caf??", "caf\xc3\xa9"));
    /* backtracking: the first '*b' try fails, the later one holds */
    assert_true(one_field(SUPPRESSION_EVENT_NAME, "*ab*ab", "xabyabab"));
    assert_false(one_field(SUPPRESSION_EVENT_NAME, "*ab*ab", "xabyaba"));
    assert_true(one_field(SUPPRESSION_ACCOUNT, "111122223333", "111122223333"));
    assert_false(one_field(SUPPRESSION_ACCOUNT, "111122223333", "111122223334"));
    /* a field the event lacks never matches, not even '*' */
    assert_false(one_field(SUPPRESSION_ERROR_CODE, "*", NULL));
}

static void source_addresses(void **state)
{
    (void)state;
    assert_true(one_field(SUPPRESSION_SOURCE_IP, "10.0.0.0/8", "10.255.3.4"));
    assert_false(one_field(SUPPRESSION_SOURCE_IP, "10.0.0.0/8", "11.0.0.1"));
    /* /20: 192.168.16.0 - 192.168.31.255 */
    assert_true(one_field(SUPPRESSION_SOURCE_IP, "192.168.16.0/20", "192.168.31.255"));
    assert_false(one_field(SUPPRESSION_SOURCE_IP, "192.168.16.0/20", "192.168.32.0"));
    assert_true(one_field(SUPPRESSION_SOURCE_IP, "203.0.113.7", "203.0.113.7"));
    assert_false(one_field(SUPPRESSION_SOURCE_IP, "203.0.113.7", "203.0.113.70"));
    assert_true(one_field(SUPPRESSION_SOURCE_IP, "0.0.0.0/0", "198.51.100.9"));
    assert_true(one_field(SUPPRESSION_SOURCE_IP, "2001:db8::/32", "2001:db8:ffff::1"));
    assert_false(one_field(SUPPRESSION_SOURCE_IP, "2001:db8::/32", "2001:db9::1"));
    /* /33: the top bit of the third group */
    assert_true(one_field(SUPPRESSION_SOURCE_IP, "2001:db8:8000::/33", "2001:db8:ffff::1"));
    assert_false(one_field(SUPPRESSION_SOURCE_IP, "2001:db8:8000::/33", "2001:db8:7fff::1"));
    assert_true(one_field(SUPPRESSION_SOURCE_IP, "::1", "0:0:0:0:0:0:0:1"));
    /* IPv4 rules see IPv4-mapped IPv6 addresses; IPv6 rules do not see IPv4 */
    assert_true(one_field(SUPPRESSION_SOURCE_IP, "10.0.0.0/8", "::ffff:10.1.2.3"));
    assert_false(one_field(SUPPRESSION_SOURCE_IP, "::/0", "10.1.2.3"));
    /* names compare exactly; an address rule does not match a name */
    assert_true(one_field(SUPPRESSION_SOURCE_IP, "delivery.logs.amazonaws.com",
                          "delivery.logs.amazonaws.com"));
    assert_false(one_field(SUPPRESSION_SOURCE_IP, "delivery.logs.amazonaws.com",
                           "Delivery.logs.amazonaws.com"));
    assert_true(one_field(SUPPRESSION_SOURCE_IP, "AWS Internal", "AWS Internal"));
    assert_false(one_field(SUPPRESSION_SOURCE_IP, "10.0.0.0/8", "AWS Internal"));
}

static void bad_source_values(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "10.0.0.0/33",    "10.0.0.1/8", "10.0.0.256", "10.0.0",     "2001:db8::/129",
        "2001:db8::1/32", "fe80::zz",   "10.0.0.0/",  "10.0.0.0/x", "::ffff:10.0.0.0/104"};
    struct metrics_error error;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (suppression_value_check(SUPPRESSION_SOURCE_IP, bad[i], &error))
            fail_msg("'%s' was accepted", bad[i]);
        assert_non_null(strstr(error.message, "SourceIp"));
    }
    assert_true(suppression_value_check(SUPPRESSION_SOURCE_IP, "10.0.0.0/8", &error));
    assert_true(suppression_value_check(SUPPRESSION_PRINCIPAL, "[not an address", &error));
    assert_false(suppression_value_check(SUPPRESSION_SOURCE_IP, "10.0.0.1/8", &error));
    assert_string_equal(error.message,
                        "SourceIp: '10.0.0.1/8' has host bits set past its prefix length");
}

static void and_within_or_across(void **state)
{
    (void)state;
    struct suppression_rule_list rules = {0};
    /* scanner from the office: both must hold */
    add_rule(&rules, "scanner-at-office", NULL, SUPPRESSION_PRINCIPAL, "*/scanner/*",
             SUPPRESSION_SOURCE_IP, "10.0.0.0/8", -1);
    /* any HeadBucket */
    add_rule(&rules, "head-bucket", NULL, SUPPRESSION_EVENT_NAME, "HeadBucket", -1);
    struct suppression_set *set = compile(&rules);
    const char *scanner = "arn:aws:sts::1:assumed-role/scanner/x";
    struct suppression_event both = values(scanner, "10.1.1.1", "ListBuckets", NULL, NULL, NULL);
    struct suppression_event outside = values(scanner, "8.8.8.8", "ListBuckets", NULL, NULL, NULL);
    struct suppression_event other =
        values("arn:aws:iam::1:user/bob", "10.1.1.1", "ListBuckets", NULL, NULL, NULL);
    struct suppression_event head =
        values("arn:aws:iam::1:user/bob", "8.8.8.8", "HeadBucket", NULL, NULL, NULL);
    assert_true(suppression_matches(set, 0, &both));
    assert_false(suppression_matches(set, 0, &outside));
    assert_false(suppression_matches(set, 0, &other));
    assert_true(suppression_matches(set, 0, &head));
    suppression_set_free(set);
    suppression_rule_list_free(&rules);
}

static void filters_named(void **state)
{
    (void)state;
    struct suppression_rule_list rules = {0};
    add_rule(&rules, "only-logins", "logins", SUPPRESSION_ACCOUNT, "111122223333", -1);
    struct suppression_set *set = compile(&rules);
    struct suppression_event event = values(NULL, NULL, NULL, NULL, NULL, "111122223333");
    assert_false(suppression_set_applies(set, 0));
    assert_true(suppression_set_applies(set, 1));
    assert_false(suppression_matches(set, 0, &event));
    assert_true(suppression_matches(set, 1, &event));
    assert_false(suppression_matches(set, 2, &event)); /* no such filter */
    suppression_set_free(set);
    assert_true(suppression_rules_apply(&rules, "logins"));
    assert_false(suppression_rules_apply(&rules, "denied"));

    /* a rule naming a filter that is not loaded does not compile */
    add_rule(&rules, "typo", "lgoins", SUPPRESSION_ACCOUNT, "111122223333", -1);
    struct metric_filter_list filters = two_filters();
    struct metrics_error error;
    assert_null(suppression_set_compile(&rules, &filters, &error));
    assert_string_equal(error.message, "suppression names filter 'lgoins', which is not loaded");
    metric_filter_list_free(&filters);
    suppression_rule_list_free(&rules);
}

/* ---- a scan with rules ---- */

static char *denied_event(const char *time, const char *user, const char *ip, const char *agent)
{
    char *text = malloc(1024);
    assert_non_null(text);
    snprintf(text, 1024,
             "{\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::111122223333:user/"
             "%s\"},\"eventTime\":\"2024-03-01T10:%sZ\",\"eventName\":\"GetObject\","
             "\"sourceIPAddress\":\"%s\",\"userAgent\":\"%s\",\"errorCode\":\"AccessDenied\","
             "\"recipientAccountId\":\"111122223333\"}",
             user, time, ip, agent);
    return text;
}

static void scan_text(struct filter_scan *scan, char *text)
{
    struct event_json_error error;
    if (!filter_scan_event(scan, text, strlen(text), &error))
        fail_msg("invalid at %zu: %s", error.offset, error.reason);
    free(text);
}

/* Five denied calls: 10:00:05 alice (office, console), 10:00:20 scanner (office, scanner
 * agent), 10:00:40 scanner (outside), 10:01:10 scanner (office), 10:01:30 bob (outside).
 * Rule: the scanner's user agent from 10.0.0.0/8 -> suppresses 10:00:20 and 10:01:10.
 * Own metric: 10:00 = 3, 10:01 = 2 (5 matches). Tuned: 10:00 = 2, 10:01 = 1. */
static struct filter_scan *scanned(bool with_rules, size_t *events_suppressed)
{
    struct metric_filter_list filters = two_filters();
    struct metrics_error error;
    struct filter_scan *scan = filter_scan_create(&filters, true, &error);
    assert_non_null(scan);
    metric_filter_list_free(&filters);
    struct suppression_rule_list rules = {0};
    add_rule(&rules, "scanner", "denied", SUPPRESSION_USER_AGENT, "acme-scanner/*",
             SUPPRESSION_SOURCE_IP, "10.0.0.0/8", -1);
    if (!filter_scan_enable_datapoints(scan, METRIC_RESOLUTION_STANDARD, &error) ||
        !filter_scan_enable_evidence(scan, &error) ||
        (with_rules && !filter_scan_enable_suppressions(scan, &rules, &error)))
        fail_msg("%s", error.message);
    suppression_rule_list_free(&rules);
    scan_text(scan, denied_event("00:05", "alice", "10.1.2.3", "console.amazonaws.com"));
    scan_text(scan, denied_event("00:20", "scanner", "10.9.9.9", "acme-scanner/2.1"));
    scan_text(scan, denied_event("00:40", "scanner", "198.51.100.9", "acme-scanner/2.1"));
    scan_text(scan, denied_event("01:10", "scanner", "10.9.9.9", "acme-scanner/2.1"));
    scan_text(scan, denied_event("01:30", "bob", "198.51.100.9", "aws-cli/2.15"));
    *events_suppressed = 2;
    return scan;
}

static void expect_point(const struct metric_datapoint *point, const char *metric, int minute,
                         double sum, uint64_t suppressed)
{
    /* 2024-03-01T10:00:00Z */
    int64_t ten = 1704067200LL + 60 * 86400LL + 10 * 3600LL;
    assert_string_equal(point->identity.namespace_name, "Security");
    assert_string_equal(point->identity.metric_name, metric);
    assert_int_equal(point->timestamp, ten + 60 * minute);
    assert_true(point->aggregate.sum == sum);
    assert_non_null(point->evidence);
    assert_int_equal(point->evidence->events, (uint64_t)sum);
    assert_int_equal(point->evidence->suppressed, suppressed);
}

static void own_metric_unchanged_tuned_lower(void **state)
{
    (void)state;
    size_t suppressed;
    struct filter_scan *plain = scanned(false, &suppressed);
    struct filter_scan *tuned = scanned(true, &suppressed);
    assert_int_equal(filter_scan_matches(plain, 0), 5);
    assert_int_equal(filter_scan_matches(tuned, 0), 5);
    assert_int_equal(filter_scan_suppressed(plain, 0), 0);
    assert_int_equal(filter_scan_suppressed(tuned, 0), suppressed);
    assert_true(filter_scan_is_tuned(tuned, 0));
    assert_false(filter_scan_is_tuned(tuned, 1)); /* the rule names only "denied" */
    assert_false(filter_scan_is_tuned(plain, 0));

    struct metric_datapoint_list without = {0}, with = {0};
    assert_true(filter_scan_take_datapoints(plain, &without));
    assert_true(filter_scan_take_datapoints(tuned, &with));
    /* sorted by identity: DeniedCount before DeniedCountTuned */
    assert_int_equal(without.count, 2);
    expect_point(&without.items[0], "DeniedCount", 0, 3, 0);
    expect_point(&without.items[1], "DeniedCount", 1, 2, 0);
    assert_int_equal(with.count, 4);
    /* the own metric: the same sums, its evidence marks the suppressed matches */
    expect_point(&with.items[0], "DeniedCount", 0, 3, 1);
    expect_point(&with.items[1], "DeniedCount", 1, 2, 1);
    /* the tuned metric: one fewer in each minute, none suppressed in its evidence */
    expect_point(&with.items[2], "DeniedCountTuned", 0, 2, 0);
    expect_point(&with.items[3], "DeniedCountTuned", 1, 1, 0);
    /* the scanner's office calls are not in the tuned evidence; its outside one is */
    const struct metric_evidence *evidence = with.items[2].evidence;
    assert_int_equal(evidence->top_count[METRIC_EVIDENCE_PRINCIPAL], 2);
    assert_string_equal(evidence->top[METRIC_EVIDENCE_PRINCIPAL][0].value,
                        "arn:aws:iam::111122223333:user/alice");
    assert_string_equal(evidence->top[METRIC_EVIDENCE_PRINCIPAL][1].value,
                        "arn:aws:iam::111122223333:user/scanner");
    assert_string_equal(evidence->top[METRIC_EVIDENCE_SOURCE_IP][1].value, "198.51.100.9");
    char *json = metric_evidence_to_json(with.items[0].evidence);
    assert_non_null(strstr(json, "{\"events\":3,\"suppressed\":1,\"firstSeen\""));
    struct metric_evidence back;
    struct metrics_error error;
    assert_true(metric_evidence_from_json(json, &back, &error));
    assert_int_equal(back.suppressed, 1);
    metric_evidence_free(&back);
    free(json);
    json = metric_evidence_to_json(with.items[2].evidence);
    assert_null(strstr(json, "suppressed")); /* written only when some are */
    free(json);
    metric_datapoint_list_free(&without);
    metric_datapoint_list_free(&with);
    filter_scan_free(plain);
    filter_scan_free(tuned);
}

static void merged_threads_agree(void **state)
{
    (void)state;
    size_t suppressed;
    struct filter_scan *first = scanned(true, &suppressed);
    struct filter_scan *second = scanned(true, &suppressed);
    assert_true(filter_scan_merge(first, second));
    assert_int_equal(filter_scan_matches(first, 0), 10);
    assert_int_equal(filter_scan_suppressed(first, 0), 4);
    struct metric_datapoint_list points = {0};
    assert_true(filter_scan_take_datapoints(first, &points));
    assert_int_equal(points.count, 4);
    expect_point(&points.items[0], "DeniedCount", 0, 6, 2);
    expect_point(&points.items[2], "DeniedCountTuned", 0, 4, 0);
    metric_datapoint_list_free(&points);
    filter_scan_free(first);
    filter_scan_free(second);
}

/* Without data points the counts still hold; a rule naming an unknown filter is refused and
 * leaves the scan usable without suppressions. */
static void counts_without_datapoints(void **state)
{
    (void)state;
    struct metric_filter_list filters = two_filters();
    struct metrics_error error;
    struct filter_scan *scan = filter_scan_create(&filters, true, &error);
    metric_filter_list_free(&filters);
    struct suppression_rule_list rules = {0};
    add_rule(&rules, "typo", "nope", SUPPRESSION_EVENT_NAME, "x", -1);
    assert_false(filter_scan_enable_suppressions(scan, &rules, &error));
    suppression_rule_list_free(&rules);
    add_rule(&rules, "bob", NULL, SUPPRESSION_PRINCIPAL, "*:user/bob", -1);
    assert_true(filter_scan_enable_suppressions(scan, &rules, &error));
    assert_false(filter_scan_enable_suppressions(scan, &rules, &error)); /* once */
    suppression_rule_list_free(&rules);
    scan_text(scan, denied_event("00:05", "alice", "10.1.2.3", "a"));
    scan_text(scan, denied_event("00:06", "bob", "10.1.2.3", "a"));
    assert_int_equal(filter_scan_matches(scan, 0), 2);
    assert_int_equal(filter_scan_suppressed(scan, 0), 1);
    assert_int_equal(filter_scan_suppressed(scan, 1), 0);
    filter_scan_free(scan);
}

static void tuned_names(void **state)
{
    (void)state;
    char *name = metric_tuned_name("unauthorized_api_calls_metric");
    assert_string_equal(name, "unauthorized_api_calls_metricTuned");
    free(name);
    assert_string_equal(suppression_field_name(SUPPRESSION_SOURCE_IP), "SourceIp");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(globs),
        cmocka_unit_test(source_addresses),
        cmocka_unit_test(bad_source_values),
        cmocka_unit_test(and_within_or_across),
        cmocka_unit_test(filters_named),
        cmocka_unit_test(own_metric_unchanged_tuned_lower),
        cmocka_unit_test(merged_threads_agree),
        cmocka_unit_test(counts_without_datapoints),
        cmocka_unit_test(tuned_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
