/* Evidence (metrics.h): merging (top lists summed and cut to the heaviest, samples cut to the
 * earliest, ties broken by bytes), its JSON form both ways with every refusal, the denial
 * kinds of AWS's access denied wordings, and the eventTime text it writes. Expectations are
 * worked out by hand in the comments. */
#include "events/event.h"
#include "metrics/event_time.h"
#include "metrics/metrics.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* 2024-03-01T10:00:00Z: 2024-01-01 is 1704067200, then 31 + 29 days and 10 hours. */
#define MS_10_00 ((1704067200LL + 60 * 86400LL + 10 * 3600LL) * 1000)

static void add_value(struct metric_evidence *evidence, enum metric_evidence_field field,
                      const char *value, uint64_t count)
{
    size_t at = evidence->top_count[field]++;
    evidence->top[field][at] = (struct metric_evidence_value){strdup(value), count};
}

static void add_sample(struct metric_evidence *evidence, const char *sample)
{
    evidence->samples[evidence->sample_count++] = strdup(sample);
}

static void assert_json(const struct metric_evidence *evidence, const char *expected)
{
    char *text = metric_evidence_to_json(evidence);
    assert_non_null(text);
    assert_string_equal(text, expected);
    free(text);
}

static void field_keys(void **state)
{
    (void)state;
    const char *expected[] = {"principals", "sourceIPs", "eventNames", "errorCodes",
                              "accounts",   "regions",   "denials"};
    for (int field = 0; field < METRIC_EVIDENCE_FIELD_COUNT; field++)
        assert_string_equal(metric_evidence_field_key(field), expected[field]);
    assert_string_equal(metric_evidence_field_key(METRIC_EVIDENCE_FIELD_COUNT), "unknown");
}

#define EMPTY_LISTS                                                                                \
    "\"principals\":[],\"sourceIPs\":[],\"eventNames\":[],\"errorCodes\":[],\"accounts\":[],"      \
    "\"regions\":[],\"denials\":[]"

static void empty_evidence_as_json(void **state)
{
    (void)state;
    struct metric_evidence evidence;
    metric_evidence_init(&evidence);
    assert_json(&evidence, "{\"events\":0,\"firstSeen\":null,\"lastSeen\":null," EMPTY_LISTS
                           ",\"samples\":[]}");
    metric_evidence_free(&evidence);
}

static void evidence_as_json(void **state)
{
    (void)state;
    struct metric_evidence evidence;
    metric_evidence_init(&evidence);
    evidence.events = 2;
    evidence.first_seen_ms = MS_10_00 + 10000;
    evidence.last_seen_ms = MS_10_00 + 50500; /* a fraction: written to the millisecond */
    add_value(&evidence, METRIC_EVIDENCE_PRINCIPAL, "arn:aws:iam::111122223333:user/bob", 2);
    add_value(&evidence, METRIC_EVIDENCE_DENIAL, "no identity-based policy allows the action", 1);
    add_sample(&evidence, "{\"eventTime\":\"2024-03-01T10:00:10Z\",\"eventName\":\"Get\"}");
    assert_json(&evidence,
                "{\"events\":2,\"firstSeen\":\"2024-03-01T10:00:10Z\",\"lastSeen\":\"2024-03-"
                "01T10:00:50.500Z\",\"principals\":[{\"value\":\"arn:aws:iam::111122223333:user/"
                "bob\",\"count\":2}],\"sourceIPs\":[],\"eventNames\":[],\"errorCodes\":[],"
                "\"accounts\":[],\"regions\":[],\"denials\":[{\"value\":\"no identity-based "
                "policy allows the action\",\"count\":1}],\"samples\":[{\"eventTime\":\"2024-03-"
                "01T10:00:10Z\",\"eventName\":\"Get\"}]}");
    metric_evidence_free(&evidence);
}

/* into {a:3, b:2} + from {b:2, c:5}: b sums to 4, so c 5, b 4, a 3. */
static void merge_sums_equal_values(void **state)
{
    (void)state;
    struct metric_evidence into, from;
    metric_evidence_init(&into);
    metric_evidence_init(&from);
    into.events = 5;
    into.first_seen_ms = MS_10_00 + 2000;
    into.last_seen_ms = MS_10_00 + 3000;
    add_value(&into, METRIC_EVIDENCE_SOURCE_IP, "a", 3);
    add_value(&into, METRIC_EVIDENCE_SOURCE_IP, "b", 2);
    from.events = 7;
    from.first_seen_ms = MS_10_00 + 1000;
    from.last_seen_ms = MS_10_00 + 2500;
    add_value(&from, METRIC_EVIDENCE_SOURCE_IP, "b", 2);
    add_value(&from, METRIC_EVIDENCE_SOURCE_IP, "c", 5);
    add_value(&from, METRIC_EVIDENCE_REGION, "us-east-1", 7);
    assert_true(metric_evidence_merge(&into, &from));
    assert_int_equal(into.events, 12);
    assert_int_equal(into.first_seen_ms, MS_10_00 + 1000);
    assert_int_equal(into.last_seen_ms, MS_10_00 + 3000);
    assert_int_equal(into.top_count[METRIC_EVIDENCE_SOURCE_IP], 3);
    const char *values[] = {"c", "b", "a"};
    const uint64_t counts[] = {5, 4, 3};
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(into.top[METRIC_EVIDENCE_SOURCE_IP][i].value, values[i]);
        assert_int_equal(into.top[METRIC_EVIDENCE_SOURCE_IP][i].count, counts[i]);
    }
    assert_int_equal(into.top_count[METRIC_EVIDENCE_REGION], 1);
    assert_int_equal(from.top_count[METRIC_EVIDENCE_SOURCE_IP], 2); /* from is untouched */
    metric_evidence_free(&into);
    metric_evidence_free(&from);
}

/* into holds v00…v15 once each, from adds "a" once and "w" twice: 18 values; w (2) leads,
 * then the ties by bytes: a, v00, …, v13 — v14 and v15 drop. */
static void merge_keeps_the_heaviest(void **state)
{
    (void)state;
    struct metric_evidence into, from;
    metric_evidence_init(&into);
    metric_evidence_init(&from);
    for (int i = 0; i < METRIC_EVIDENCE_TOP; i++) {
        char value[8];
        snprintf(value, sizeof value, "v%02d", i);
        add_value(&into, METRIC_EVIDENCE_EVENT_NAME, value, 1);
    }
    add_value(&from, METRIC_EVIDENCE_EVENT_NAME, "w", 2);
    add_value(&from, METRIC_EVIDENCE_EVENT_NAME, "a", 1);
    assert_true(metric_evidence_merge(&into, &from));
    const struct metric_evidence_value *top = into.top[METRIC_EVIDENCE_EVENT_NAME];
    assert_int_equal(into.top_count[METRIC_EVIDENCE_EVENT_NAME], METRIC_EVIDENCE_TOP);
    assert_string_equal(top[0].value, "w");
    assert_int_equal(top[0].count, 2);
    assert_string_equal(top[1].value, "a");
    assert_string_equal(top[2].value, "v00");
    assert_string_equal(top[15].value, "v13");
    metric_evidence_free(&into);
    metric_evidence_free(&from);
}

#define SAMPLE(seconds, name) "{\"eventTime\":\"2024-03-01T10:00:" seconds "Z\",\"n\":\"" name "\"}"

/* Six samples, :00 to :05, split across both sides; the five earliest stay. At one time,
 * the text decides ("A" < "B"). */
static void merge_keeps_the_earliest_samples(void **state)
{
    (void)state;
    struct metric_evidence into, from;
    metric_evidence_init(&into);
    metric_evidence_init(&from);
    add_sample(&into, SAMPLE("01", "x"));
    add_sample(&into, SAMPLE("03", "B"));
    add_sample(&into, SAMPLE("05", "x"));
    add_sample(&from, SAMPLE("00", "x"));
    add_sample(&from, SAMPLE("03", "A"));
    add_sample(&from, SAMPLE("04", "x"));
    assert_true(metric_evidence_merge(&into, &from));
    const char *expected[] = {SAMPLE("00", "x"), SAMPLE("01", "x"), SAMPLE("03", "A"),
                              SAMPLE("03", "B"), SAMPLE("04", "x")};
    assert_int_equal(into.sample_count, METRIC_EVIDENCE_SAMPLES);
    for (size_t i = 0; i < METRIC_EVIDENCE_SAMPLES; i++)
        assert_string_equal(into.samples[i], expected[i]);
    metric_evidence_free(&into);
    metric_evidence_free(&from);
}

/* A sample whose eventTime is not first, or missing, is still ordered (missing: last). */
static void samples_without_leading_time(void **state)
{
    (void)state;
    struct metric_evidence into, from;
    metric_evidence_init(&into);
    metric_evidence_init(&from);
    add_sample(&into, "{\"n\":1}");
    add_sample(&from, "{\"n\":2,\"eventTime\":\"2024-03-01T10:00:09Z\"}");
    assert_true(metric_evidence_merge(&into, &from));
    assert_string_equal(into.samples[0], "{\"n\":2,\"eventTime\":\"2024-03-01T10:00:09Z\"}");
    assert_string_equal(into.samples[1], "{\"n\":1}");
    metric_evidence_free(&into);
    metric_evidence_free(&from);
}

static void merge_into_empty_copies(void **state)
{
    (void)state;
    struct metric_evidence source, copy;
    metric_evidence_init(&source);
    metric_evidence_init(&copy);
    source.events = 1;
    source.first_seen_ms = source.last_seen_ms = MS_10_00;
    add_value(&source, METRIC_EVIDENCE_ACCOUNT, "111122223333", 1);
    add_sample(&source, SAMPLE("00", "x"));
    assert_true(metric_evidence_merge(&copy, &source));
    char *expected = metric_evidence_to_json(&source);
    metric_evidence_free(&source); /* the copy owns its own strings */
    assert_json(&copy, expected);
    free(expected);
    metric_evidence_free(&copy);
}

/* Lists and samples come back in their order, whatever the text's. */
static void json_round_trip_sorts(void **state)
{
    (void)state;
    const char *text =
        "{\"events\":3,\"firstSeen\":\"2024-03-01T10:00:00Z\",\"lastSeen\":"
        "\"2024-03-01T10:00:02.25Z\",\"principals\":[{\"value\":\"b\",\"count\":1},"
        "{\"value\":\"c\",\"count\":2},{\"value\":\"a\",\"count\":1}],"
        "\"sourceIPs\":[],\"eventNames\":[],\"errorCodes\":[],\"accounts\":[],"
        "\"regions\":[],\"denials\":[],\"samples\":[" SAMPLE("02", "x") "," SAMPLE("00", "y") "]}";
    struct metric_evidence evidence;
    struct metrics_error error;
    if (!metric_evidence_from_json(text, &evidence, &error))
        fail_msg("%s", error.message);
    assert_int_equal(evidence.events, 3);
    assert_int_equal(evidence.last_seen_ms, MS_10_00 + 2250);
    assert_json(&evidence, "{\"events\":3,\"firstSeen\":\"2024-03-01T10:00:00Z\",\"lastSeen\":"
                           "\"2024-03-01T10:00:02.250Z\",\"principals\":[{\"value\":\"c\","
                           "\"count\":2},{\"value\":\"a\",\"count\":1},{\"value\":\"b\","
                           "\"count\":1}],\"sourceIPs\":[],\"eventNames\":[],\"errorCodes\":[],"
                           "\"accounts\":[],\"regions\":[],\"denials\":[],\"samples\":[" SAMPLE(
                               "00", "y") "," SAMPLE("02", "x") "]}");
    metric_evidence_free(&evidence);
}

#define DOCUMENT(lists, samples)                                                                   \
    "{\"events\":1,\"firstSeen\":null,\"lastSeen\":null," lists ",\"samples\":" samples "}"
#define PRINCIPALS(list)                                                                           \
    "\"principals\":" list ",\"sourceIPs\":[],\"eventNames\":[],\"errorCodes\":[],"                \
    "\"accounts\":[],\"regions\":[],\"denials\":[]"

static void assert_refused(const char *text, const char *why)
{
    struct metric_evidence evidence;
    struct metrics_error error = {{0}};
    if (metric_evidence_from_json(text, &evidence, &error))
        fail_msg("%s: accepted %s", why, text);
    assert_int_equal(strncmp(error.message, "evidence: ", 10), 0);
    assert_int_equal(evidence.events, 0);
    assert_int_equal(evidence.top_count[METRIC_EVIDENCE_PRINCIPAL], 0);
    assert_int_equal(evidence.sample_count, 0);
}

static void json_refusals(void **state)
{
    (void)state;
    struct {
        const char *text, *why;
    } cases[] = {
        {"{\"events\":1}", "missing keys"},
        {DOCUMENT(EMPTY_LISTS, "[],\"extra\":1"), "unknown key"},
        {DOCUMENT(EMPTY_LISTS, "[],\"samples\":[]"), "duplicate key"},
        {DOCUMENT(EMPTY_LISTS, "{}"), "samples not a list"},
        {DOCUMENT(EMPTY_LISTS, "[1]"), "sample not an object"},
        {DOCUMENT(EMPTY_LISTS, "[{},{},{},{},{},{}]"), "six samples"},
        {DOCUMENT(PRINCIPALS("[{\"value\":\"a\",\"count\":0}]"), "[]"), "count 0"},
        {DOCUMENT(PRINCIPALS("[{\"value\":\"a\",\"count\":1.5}]"), "[]"), "count not integer"},
        {DOCUMENT(PRINCIPALS("[{\"value\":1,\"count\":1}]"), "[]"), "value not text"},
        {DOCUMENT(PRINCIPALS("[{\"value\":\"a\",\"count\":1,\"x\":1}]"), "[]"), "extra key"},
        {DOCUMENT(PRINCIPALS("[{\"value\":\"a\",\"count\":1},{\"value\":\"a\",\"count\":1}]"),
                  "[]"),
         "value twice"},
        {DOCUMENT(PRINCIPALS("\"a\""), "[]"), "list not a list"},

        {DOCUMENT(PRINCIPALS("[{\"value\":\"a\",\"count\":1}]"), "[{\"a\":[{\"b\":1}]}]}"),
         "not JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_refused(cases[i].text, cases[i].why);
    /* 17 values; a value one byte too long */
    char list[1024] = "[", text[4096];
    for (int i = 0; i <= METRIC_EVIDENCE_TOP; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list),
                 "%s{\"value\":\"v%d\",\"count\":1}", i ? "," : "", i);
    strcat(list, "]");
    snprintf(text, sizeof text, DOCUMENT(PRINCIPALS("%s"), "[]"), list);
    assert_refused(text, "17 values");
    char value[METRIC_EVIDENCE_VALUE_MAX + 2];
    memset(value, 'x', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    snprintf(text, sizeof text, DOCUMENT(PRINCIPALS("[{\"value\":\"%s\",\"count\":1}]"), "[]"),
             value);
    assert_refused(text, "value too long");
    value[sizeof value - 2] = '\0'; /* exactly the limit */
    snprintf(text, sizeof text, DOCUMENT(PRINCIPALS("[{\"value\":\"%s\",\"count\":1}]"), "[]"),
             value);
    struct metric_evidence evidence;
    struct metrics_error error;
    assert_true(metric_evidence_from_json(text, &evidence, &error));
    metric_evidence_free(&evidence);
    /* a sample of 65537 bytes: {"x":"…"} is 8 bytes around the text */
    size_t size = METRIC_EVIDENCE_SAMPLE_MAX + 256;
    char *big = malloc(size), *filler = malloc(METRIC_EVIDENCE_SAMPLE_MAX);
    assert_non_null(big);
    assert_non_null(filler);
    memset(filler, 'x', METRIC_EVIDENCE_SAMPLE_MAX - 7);
    filler[METRIC_EVIDENCE_SAMPLE_MAX - 7] = '\0';
    snprintf(big, size, DOCUMENT(EMPTY_LISTS, "[{\"x\":\"%s\"}]"), filler);
    assert_refused(big, "sample too long");
    filler[METRIC_EVIDENCE_SAMPLE_MAX - 8] = '\0';
    snprintf(big, size, DOCUMENT(EMPTY_LISTS, "[{\"x\":\"%s\"}]"), filler);
    assert_true(metric_evidence_from_json(big, &evidence, &error));
    assert_int_equal(strlen(evidence.samples[0]), METRIC_EVIDENCE_SAMPLE_MAX);
    metric_evidence_free(&evidence);
    free(filler);
    free(big);
}

/* What to_json cannot write it refuses (NULL): a sample that is not one JSON object, a value
 * that is not UTF-8. Samples deeper than the extractor reads are refused on the way in. */
static void unwritable_evidence(void **state)
{
    (void)state;
    const char *samples[] = {"[]", "{\"a\":1", "{} {}", "{\"a\":\"\xff\"}"};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        struct metric_evidence evidence;
        metric_evidence_init(&evidence);
        add_sample(&evidence, samples[i]);
        char *text = metric_evidence_to_json(&evidence);
        if (text)
            fail_msg("wrote %s", text);
        metric_evidence_free(&evidence);
    }
    struct metric_evidence evidence;
    metric_evidence_init(&evidence);
    add_value(&evidence, METRIC_EVIDENCE_REGION, "us-east-\xc0\xaf", 1); /* overlong '/' */
    assert_null(metric_evidence_to_json(&evidence));
    metric_evidence_free(&evidence);

    char deep[256] = "";
    for (int i = 0; i < EVENT_JSON_MAX_DEPTH + 1; i++)
        strcat(deep, "[");
    for (int i = 0; i < EVENT_JSON_MAX_DEPTH + 1; i++)
        strcat(deep, "]");
    char text[1024];
    snprintf(text, sizeof text, DOCUMENT(EMPTY_LISTS, "[{\"a\":%s}]"), deep);
    assert_refused(text, "sample nested 66 deep");
    deep[EVENT_JSON_MAX_DEPTH - 1] = '\0'; /* 63 arrays in the object: 64 levels */
    char closing[128] = "";
    for (int i = 0; i < EVENT_JSON_MAX_DEPTH - 1; i++)
        strcat(closing, "]");
    snprintf(text, sizeof text, DOCUMENT(EMPTY_LISTS, "[{\"a\":%s%s}]"), deep, closing);
    struct metrics_error error;
    if (!metric_evidence_from_json(text, &evidence, &error))
        fail_msg("%s", error.message);
    char *written = metric_evidence_to_json(&evidence);
    assert_non_null(written);
    free(written);
    metric_evidence_free(&evidence);
}

/* metric_evidence_round_trip gives what from_json gives of to_json's text, parse or not:
 * the text read back as written (lists and samples sorted), samples jansson dumps otherwise
 * (an escape it writes differently, a number, a space), what from_json refuses (\u0000, a
 * key twice, a count of 0, a value twice or too long) and what to_json changes (unknown
 * times, a count over 2^63 - 1). */
static void build_round_trip_case(size_t which, struct metric_evidence *evidence)
{
    static const char *const samples[] = {
        "{\"eventTime\":\"2024-03-01T10:00:02Z\",\"a\":\"q\\\"b\\\\c\\n\\u001F\xc3\xa9/\"}",
        "{\"eventTime\":\"2024-03-01T10:00:01Z\",\"a\":\"\\u0000\"}",
        "{\"eventTime\":\"2024-03-01T10:00:01Z\",\"a\":\"\\/\\u0041\\u001f\"}",
        "{\"eventTime\":\"2024-03-01T10:00:01Z\",\"n\":1.50,\"t\":true}",
        "{\"eventTime\":\"2024-03-01T10:00:01Z\", \"a\":{\"b\":[]}}",
        "{\"eventTime\":\"2024-03-01T10:00:01Z\",\"a\":{\"b\":\"1\",\"b\":\"2\"}}",
        "{\"eventTime\":\"2024-03-01T10:00:01Z\",\"a\":{\"b\":[\"x\",{}],\"c\":\"\\t\"}}",
    };
    metric_evidence_init(evidence);
    evidence->events = which == 9 ? UINT64_MAX : 7;
    evidence->first_seen_ms = which == 8 ? 5 : MS_10_00 + 250;
    evidence->last_seen_ms = which == 8 ? INT64_MIN : MS_10_00 + 2000;
    add_value(evidence, METRIC_EVIDENCE_PRINCIPAL, "b", 1);
    add_value(evidence, METRIC_EVIDENCE_PRINCIPAL, "\xc3\xa9t\xc3\xa9", 3);
    add_value(evidence, METRIC_EVIDENCE_PRINCIPAL, which == 7 ? "b" : "a", which == 6 ? 0 : 1);
    if (which == 10) {
        char long_value[METRIC_EVIDENCE_VALUE_MAX + 2];
        memset(long_value, 'v', sizeof long_value - 1);
        long_value[sizeof long_value - 1] = '\0';
        add_value(evidence, METRIC_EVIDENCE_REGION, long_value, 1);
    }
    add_sample(evidence, samples[0]);
    if (which >= 1 && which <= 6)
        add_sample(evidence, samples[which]);
    if (which == 11)
        add_sample(evidence, samples[6]);
}

static void assert_same_evidence(const struct metric_evidence *a, const struct metric_evidence *b)
{
    assert_int_equal(a->events, b->events);
    assert_int_equal(a->first_seen_ms, b->first_seen_ms);
    assert_int_equal(a->last_seen_ms, b->last_seen_ms);
    for (size_t field = 0; field < METRIC_EVIDENCE_FIELD_COUNT; field++) {
        assert_int_equal(a->top_count[field], b->top_count[field]);
        for (size_t i = 0; i < a->top_count[field]; i++) {
            assert_string_equal(a->top[field][i].value, b->top[field][i].value);
            assert_int_equal(a->top[field][i].count, b->top[field][i].count);
        }
    }
    assert_int_equal(a->sample_count, b->sample_count);
    for (size_t i = 0; i < a->sample_count; i++)
        assert_string_equal(a->samples[i], b->samples[i]);
}

static void round_trip_as_from_json(void **state)
{
    (void)state;
    for (size_t which = 0; which < 12; which++) {
        struct metric_evidence written, read, skipped;
        struct metrics_error error;
        build_round_trip_case(which, &written);
        char *text = metric_evidence_to_json(&written);
        assert_non_null(text);
        bool parsed = metric_evidence_from_json(text, &read, &error);
        free(text);
        build_round_trip_case(which, &skipped);
        bool kept = metric_evidence_round_trip(&skipped, &error);
        if (parsed != kept)
            fail_msg("case %zu: from_json %d, round trip %d", which, parsed, kept);
        /* refused: cases 1 (\u0000), 5 (key twice), 6 (count 0), 7 (value twice), 10 (long) */
        assert_int_equal(parsed,
                         which != 1 && which != 5 && which != 6 && which != 7 && which != 10);
        if (parsed)
            assert_same_evidence(&read, &skipped);
        if (parsed)
            metric_evidence_free(&read);
        metric_evidence_free(&written);
        metric_evidence_free(&skipped);
    }
}

static void json_time_refusals(void **state)
{
    (void)state;
    const char *times[] = {
        "\"firstSeen\":\"2024-03-01T10:00:00Z\",\"lastSeen\":null",
        "\"firstSeen\":\"2024-03-01T10:00:01Z\",\"lastSeen\":\"2024-03-01T10:00:00Z\"",
        "\"firstSeen\":\"2024-03-01\",\"lastSeen\":\"2024-03-01T10:00:00Z\"",
        "\"firstSeen\":1,\"lastSeen\":1",
        "\"firstSeen\":\"0000-01-01T00:00:00+00:01\",\"lastSeen\":\"2024-03-01T10:00:00Z\"",
    };
    for (size_t i = 0; i < sizeof times / sizeof times[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "{\"events\":1,%s," EMPTY_LISTS ",\"samples\":[]}", times[i]);
        struct metric_evidence evidence;
        struct metrics_error error;
        if (metric_evidence_from_json(text, &evidence, &error))
            fail_msg("accepted %s", text);
        assert_int_equal(evidence.first_seen_ms, INT64_MAX);
    }
    struct metric_evidence evidence;
    struct metrics_error error;
    assert_false(metric_evidence_from_json("[]", &evidence, &error));
    assert_false(metric_evidence_from_json("{", &evidence, &error));
    assert_false(metric_evidence_from_json(
        "{\"events\":-1,\"firstSeen\":null,\"lastSeen\":null," EMPTY_LISTS ",\"samples\":[]}",
        &evidence, &error));
}

/* The wordings of IAM's access denied messages, each with the kind it states. */
static void denial_kinds(void **state)
{
    (void)state;
    const char *user = "User: arn:aws:iam::111122223333:user/bob is not authorized to perform: "
                       "ec2:GetPasswordData on resource: arn:aws:ec2:us-east-1:111122223333:"
                       "instance/i-0abc ";
    struct {
        const char *context, *kind;
    } cases[] = {
        {"with an explicit deny in a service control policy",
         "explicit deny in a service control policy"},
        {"with an explicit deny in a service control policy: arn:aws:organizations::"
         "999999999999:policy/o-a/service_control_policy/p-b",
         "explicit deny in a service control policy"},
        {"due to an explicit deny in a Service Control Policy",
         "explicit deny in a service control policy"},
        {"with an explicit deny in a resource control policy",
         "explicit deny in a resource control policy"},
        {"with an explicit deny in a permissions boundary",
         "explicit deny in a permissions boundary"},
        {"with an explicit deny in an identity-based policy",
         "explicit deny in an identity-based policy"},
        {"with an explicit deny in a resource-based policy",
         "explicit deny in a resource-based policy"},
        {"with an explicit deny in a session policy", "explicit deny in a session policy"},
        {"with an explicit deny in a VPC endpoint policy",
         "explicit deny in a VPC endpoint policy"},
        {"with an explicit deny", "explicit deny"},
        {"because no identity-based policy allows the ec2:GetPasswordData action",
         "no identity-based policy allows the action"},
        {"because no resource-based policy allows the ec2:GetPasswordData action",
         "no resource-based policy allows the action"},
        {"because no session policy allows the ec2:GetPasswordData action",
         "no session policy allows the action"},
        {"because no permissions boundary allows the ec2:GetPasswordData action",
         "no permissions boundary allows the action"},
        {"because no service control policy allows the ec2:GetPasswordData action",
         "no service control policy allows the action"},
        {"because no resource control policy allows the ec2:GetPasswordData action",
         "no resource control policy allows the action"},
        {"because no VPC endpoint policy allows the ec2:GetPasswordData action",
         "no VPC endpoint policy allows the action"},
        {"", NULL},
        {"because the session policy has no identity-based policy", NULL},
        {"with an explicit deny in a custom policy", "explicit deny"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char message[512];
        snprintf(message, sizeof message, "%s%s", user, cases[i].context);
        const char *kind = metric_denial_kind(message, strlen(message));
        if (!cases[i].kind ? kind != NULL : !kind || strcmp(kind, cases[i].kind) != 0)
            fail_msg("\"%s\": %s, expected %s", cases[i].context, kind ? kind : "NULL",
                     cases[i].kind ? cases[i].kind : "NULL");
    }
    assert_null(metric_denial_kind("You are not authorized to perform this operation.", 50));
    /* the length bounds the text */
    assert_string_equal(metric_denial_kind("with an explicit deny in a session policy", 30),
                        "explicit deny");
    assert_string_equal(metric_denial_kind("no session policy allows", 24),
                        "no session policy allows the action");
    assert_null(metric_denial_kind("xno session policy allows", 25)); /* "no" starts a word */
}

static void event_times_to_the_millisecond(void **state)
{
    (void)state;
    struct {
        int64_t milliseconds;
        const char *text;
    } cases[] = {
        {0, "1970-01-01T00:00:00Z"},
        {-1, "1969-12-31T23:59:59.999Z"},
        {MS_10_00 + 50500, "2024-03-01T10:00:50.500Z"},
        {MS_10_00 + 7, "2024-03-01T10:00:00.007Z"},
        {-62167219200000LL, "0000-01-01T00:00:00Z"},
        {253402300799999LL, "9999-12-31T23:59:59.999Z"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[EVENT_TIME_TEXT_SIZE];
        assert_true(event_time_format_ms(cases[i].milliseconds, text));
        assert_string_equal(text, cases[i].text);
        int64_t read = 0;
        assert_true(event_time_parse_ms(text, strlen(text), &read));
        assert_int_equal(read, cases[i].milliseconds);
    }
    char text[EVENT_TIME_TEXT_SIZE];
    assert_false(event_time_format_ms(253402300800000LL, text)); /* year 10000 */
    assert_false(event_time_format_ms(-62167219200001LL, text)); /* year -1 */
    int64_t read;
    assert_true(event_time_parse_ms("2024-03-01T10:00:00.1239Z", 25, &read));
    assert_int_equal(read, MS_10_00 + 123);
    assert_true(event_time_parse_ms("2024-03-01T10:00:00.5-01:00", 27, &read));
    assert_int_equal(read, MS_10_00 + 3600000 + 500);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(field_keys),
        cmocka_unit_test(empty_evidence_as_json),
        cmocka_unit_test(evidence_as_json),
        cmocka_unit_test(merge_sums_equal_values),
        cmocka_unit_test(merge_keeps_the_heaviest),
        cmocka_unit_test(merge_keeps_the_earliest_samples),
        cmocka_unit_test(samples_without_leading_time),
        cmocka_unit_test(merge_into_empty_copies),
        cmocka_unit_test(json_round_trip_sorts),
        cmocka_unit_test(json_refusals),
        cmocka_unit_test(json_time_refusals),
        cmocka_unit_test(unwritable_evidence),
        cmocka_unit_test(round_trip_as_from_json),
        cmocka_unit_test(denial_kinds),
        cmocka_unit_test(event_times_to_the_millisecond),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
