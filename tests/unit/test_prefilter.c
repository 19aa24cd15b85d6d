/* The scan's pre-test (metrics/prefilter): it may set aside only events that cannot match,
 * with every way of finding literals the CPU supports (the bucket method with AVX-512 VBMI
 * and with AVX2, the portable quote method), wherever a literal sits in the event (block edges, the
 * last bytes), with escapes, bytes above 0x7f, short literals, many filters, and after the bucket
 * method has chosen its triggers from sampled events. */
#include "metrics/prefilter.h"
#include "patterns/pattern.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static const enum prefilter_method methods[] = {PREFILTER_QUOTES, PREFILTER_AVX2, PREFILTER_AVX512};
#define METHOD_COUNT (sizeof methods / sizeof methods[0])

static bool supported(enum prefilter_method method)
{
    struct prefilter *prefilter = prefilter_create();
    assert_non_null(prefilter);
    bool result = prefilter_set_method(prefilter, method);
    prefilter_free(prefilter);
    if (!result)
        print_message("method %d: not supported by this CPU, not tested\n", (int)method);
    return result;
}

/* A pre-test for the patterns, finding literals by `method`. */
static struct prefilter *build(const char *const *patterns, size_t count,
                               enum prefilter_method method)
{
    struct prefilter *prefilter = prefilter_create();
    assert_non_null(prefilter);
    assert_true(prefilter_set_method(prefilter, method));
    for (size_t i = 0; i < count; i++) {
        struct pattern_error error;
        struct pattern *pattern = pattern_compile(patterns[i], strlen(patterns[i]), &error);
        assert_non_null(pattern);
        struct pattern_literal_clause *clauses;
        size_t clause_count;
        assert_true(pattern_required_literals(pattern, &clauses, &clause_count));
        assert_true(prefilter_add_filter(prefilter, clauses, clause_count));
        pattern_literal_clauses_free(clauses, clause_count);
        pattern_free(pattern);
    }
    return prefilter;
}

static bool may_match(struct prefilter *prefilter, const char *message)
{
    return prefilter_may_match(prefilter, message, strlen(message));
}

static const char *const cis_like[] = {
    "{ ($.errorCode =\"*UnauthorizedOperation\") || ($.errorCode =\"AccessDenied*\") && "
    "($.sourceIPAddress!=\"delivery.logs.amazonaws.com\") && ($.eventName!=\"HeadBucket\") }",
    "{ ($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||"
    "($.eventName=ScheduleKeyDeletion)) }",
    "{ ($.eventName = ConsoleLogin) && ($.errorMessage = \"Failed authentication\") }",
    "{ $.userIdentity.type = \"Root\" && $.userIdentity.invokedBy NOT EXISTS && "
    "$.eventType != \"AwsServiceEvent\" }",
};
#define CIS_LIKE_COUNT (sizeof cis_like / sizeof cis_like[0])

/* Every offset of a literal in messages long and short, up to the last byte. */
static void literals_are_found_at_every_offset(enum prefilter_method method)
{
    struct prefilter *prefilter = build(cis_like, CIS_LIKE_COUNT, method);
    char message[512];
    for (int padding = 0; padding < 200; padding++) {
        snprintf(message, sizeof message, "{\"p\":\"%*s\",\"errorCode\":\"AccessDenied\"}", padding,
                 "");
        assert_true(may_match(prefilter, message));
        snprintf(message, sizeof message,
                 "{\"p\":\"%*s\",\"errorCode\":\"Client.UnauthorizedOperation\"}", padding, "");
        assert_true(may_match(prefilter, message));
        snprintf(message, sizeof message, "{\"p\":\"%*s\",\"errorCode\":\"Throttling\"}", padding,
                 "");
        assert_false(may_match(prefilter, message));
        /* both clauses of one filter, far apart */
        snprintf(message, sizeof message,
                 "{\"eventSource\":\"kms.amazonaws.com\",\"p\":\"%*s\",\"eventName\":"
                 "\"DisableKey\"}",
                 padding, "");
        assert_true(may_match(prefilter, message));
        snprintf(message, sizeof message,
                 "{\"eventSource\":\"kms.amazonaws.com\",\"p\":\"%*s\",\"eventName\":"
                 "\"Decrypt\"}",
                 padding, "");
        assert_false(may_match(prefilter, message));
    }
    prefilter_free(prefilter);
}

static void offsets(void **state)
{
    (void)state;
    for (size_t m = 0; m < METHOD_COUNT; m++)
        if (supported(methods[m]))
            literals_are_found_at_every_offset(methods[m]);
}

/* A \u escape can spell a literal: an event with one that decodes to a character some
 * literal holds always may match; escapes of other characters (here beyond ASCII, or
 * ASCII that no literal holds) cannot hide a literal; an escaped backslash followed by u is
 * no escape; a malformed escape may (the event is then decoded and reported). */
static void unicode_escapes(enum prefilter_method method)
{
    struct prefilter *prefilter = build(cis_like, CIS_LIKE_COUNT, method);
    char message[512];
    for (int padding = 0; padding < 140; padding += 7) {
        snprintf(message, sizeof message, "{\"p\":\"%*s\",\"errorCode\":\"\\u0041ccessDenied\"}",
                 padding, "");
        assert_true(may_match(prefilter, message));
        snprintf(message, sizeof message, "{\"p\":\"%*s\",\"path\":\"C:\\\\users\"}", padding, "");
        assert_false(may_match(prefilter, message));
        snprintf(message, sizeof message, "{\"p\":\"%*s\\\\\\u0041\"}", padding, "");
        assert_true(may_match(prefilter, message));
        snprintf(message, sizeof message, "{\"p\":\"%*s\",\"name\":\"Ren\\u00e9\\u0025\"}", padding,
                 "");
        assert_false(may_match(prefilter, message));
        snprintf(message, sizeof message, "{\"p\":\"%*s\",\"name\":\"Ren\\u00g9\"}", padding, "");
        assert_true(may_match(prefilter, message));
        snprintf(message, sizeof message, "{\"p\":\"%*s\",\"type\":\"R\\u006fot\"}", padding, "");
        assert_true(may_match(prefilter, message));
    }
    prefilter_free(prefilter);
}

static void escapes(void **state)
{
    (void)state;
    for (size_t m = 0; m < METHOD_COUNT; m++)
        if (supported(methods[m]))
            unicode_escapes(methods[m]);
}

/* Literals with bytes above 0x7f, and literals shorter than the SIMD method's heads (a
 * number compares by its key, "n"). */
static void unusual_literals(enum prefilter_method method)
{
    static const char *const patterns[] = {
        "{ $.name = \"caf\xc3\xa9s\" }",
        "{ $.n = 12 }",
        "{ $.s = \"ab\" }",
    };
    struct prefilter *prefilter = build(patterns, 3, method);
    assert_true(may_match(prefilter, "{\"name\":\"caf\xc3\xa9s\"}"));
    assert_true(may_match(prefilter, "{\"name\":\"caf\\u00e9s\"}"));
    assert_false(may_match(prefilter, "{\"name\":\"caf\xc3\xa8s\"}"));
    assert_false(may_match(prefilter, "{\"name\":\"cafCs\"}"));
    assert_true(may_match(prefilter, "{\"n\":12}"));
    assert_true(may_match(prefilter, "{\"s\":\"ab\"}"));
    assert_false(may_match(prefilter, "{\"s\":\"abc\",\"m\":12}"));
    assert_false(may_match(prefilter, ""));
    prefilter_free(prefilter);
}

static void unusual(void **state)
{
    (void)state;
    for (size_t m = 0; m < METHOD_COUNT; m++)
        if (supported(methods[m]))
            unusual_literals(methods[m]);
}

/* More filters (and first bytes) than the SIMD method has buckets. */
static void many_filters(enum prefilter_method method)
{
    enum { COUNT = 300 };
    static char texts[COUNT][64];
    const char *patterns[COUNT];
    for (size_t i = 0; i < COUNT; i++) {
        snprintf(texts[i], sizeof texts[i], "{ $.eventName = \"%c%cAction%zu\" }",
                 (int)('A' + i % 26), (int)('a' + i / 26 % 26), i);
        patterns[i] = texts[i];
    }
    struct prefilter *prefilter = build(patterns, COUNT, method);
    char message[256];
    for (size_t i = 0; i < COUNT; i++) {
        snprintf(message, sizeof message, "{\"eventName\":\"%c%cAction%zu\"}", (int)('A' + i % 26),
                 (int)('a' + i / 26 % 26), i);
        assert_true(may_match(prefilter, message));
        snprintf(message, sizeof message, "{\"eventName\":\"%c%cAction%zuX\"}", (int)('A' + i % 26),
                 (int)('a' + i / 26 % 26), i);
        assert_false(may_match(prefilter, message));
    }
    prefilter_free(prefilter);
}

static void many(void **state)
{
    (void)state;
    for (size_t m = 0; m < METHOD_COUNT; m++)
        if (supported(methods[m]))
            many_filters(methods[m]);
}

/* Once triggers are chosen from a stream where one clause's literal is common, events
 * that satisfy a filter still pass and the others are still set aside. */
static void triggers_keep_every_match_with(enum prefilter_method method)
{
    struct prefilter *prefilter = build(cis_like, CIS_LIKE_COUNT, method);
    static const char *const common =
        "{\"eventSource\":\"kms.amazonaws.com\",\"eventName\":\"Decrypt\","
        "\"userIdentity\":{\"type\":\"AssumedRole\"}}";
    static const char *const matching[] = {
        "{\"eventSource\":\"kms.amazonaws.com\",\"eventName\":\"ScheduleKeyDeletion\"}",
        "{\"eventName\":\"ConsoleLogin\",\"errorMessage\":\"Failed authentication\"}",
        "{\"userIdentity\":{\"type\":\"Root\"},\"eventType\":\"AwsApiCall\"}",
        "{\"errorCode\":\"AccessDenied\"}",
    };
    static const char *const near_misses[] = {
        "{\"eventName\":\"ConsoleLogin\",\"errorMessage\":\"No username found\"}",
        "{\"eventName\":\"ScheduleKeyDeletion\",\"eventSource\":\"kms.amazon.com\"}",
    };
    for (size_t round = 0; round < 20000; round++) {
        assert_false(may_match(prefilter, common));
        if (round % 97 == 0)
            for (size_t i = 0; i < sizeof matching / sizeof matching[0]; i++)
                assert_true(may_match(prefilter, matching[i]));
        if (round % 89 == 0)
            for (size_t i = 0; i < sizeof near_misses / sizeof near_misses[0]; i++)
                assert_false(may_match(prefilter, near_misses[i]));
    }
    prefilter_free(prefilter);
}

static void triggers_keep_every_match(void **state)
{
    (void)state;
    for (size_t m = 0; m < METHOD_COUNT; m++)
        if (supported(methods[m]))
            triggers_keep_every_match_with(methods[m]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(offsets),
        cmocka_unit_test(escapes),
        cmocka_unit_test(unusual),
        cmocka_unit_test(many),
        cmocka_unit_test(triggers_keep_every_match),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
