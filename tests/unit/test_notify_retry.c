/* Retry schedules (§4.6) against hand-computed tables: SNS's default, the §4.6 example,
 * each backoff function, trailhound-default's jittered doubling and its 24-hour limit, and
 * the delivery-policy JSON's refusals, each naming its field. */
#include "notify/notify.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#define T0 INT64_C(1795687851000) /* the first attempt */

static struct notify_retry_policy parse(const char *text)
{
    struct notify_retry_policy policy;
    struct notify_error error = {{0}};
    if (!notify_retry_policy_parse(text, &policy, &error))
        fail_msg("%s: %s", text, error.message);
    return policy;
}

/* The delays (ms) after failed attempts 1, 2, …, each attempt taking no time, then the
 * refusal after the last. */
static void expect_schedule(const struct notify_retry_policy *policy, const int64_t *delays,
                            int count)
{
    int64_t last = T0;
    for (int attempts = 1; attempts <= count; attempts++) {
        int64_t next = 0;
        if (!notify_retry_next(policy, attempts, T0, last, 0.0, &next))
            fail_msg("no retry after attempt %d", attempts);
        if (next - last != delays[attempts - 1])
            fail_msg("after attempt %d: %lld ms, expected %lld", attempts, (long long)(next - last),
                     (long long)delays[attempts - 1]);
        last = next;
    }
    int64_t next = -1;
    assert_false(notify_retry_next(policy, count + 1, T0, last, 0.0, &next));
    assert_int_equal(next, -1);
}

static void sns_default_policy(void **state)
{
    (void)state;
    struct notify_retry_policy policy = parse("sns-default");
    assert_int_equal(policy.num_retries, 3);
    assert_false(policy.jitter);
    const int64_t delays[] = {20000, 20000, 20000};
    expect_schedule(&policy, delays, 3);
    /* after a 15 s timeout the next attempt starts 35 s after the previous one began */
    int64_t next;
    assert_true(notify_retry_next(&policy, 1, T0, T0 + 15000, 0.7, &next));
    assert_int_equal(next - T0, 35000);
    assert_false(notify_retry_next(&policy, 0, T0, T0, 0.0, &next));
}

/* §4.6: 20 retries: 2 immediate, 3 at 5 s, 10 backoff 5→120 s, 5 at 120 s. Backoff k of 10
 * waits 5 + 115·(2^(k−1) − 1)/511 s. */
static void section_4_6_example(void **state)
{
    (void)state;
    struct notify_retry_policy policy =
        parse("{\"healthyRetryPolicy\":{\"minDelayTarget\":5,\"maxDelayTarget\":120,"
              "\"numRetries\":20,\"numNoDelayRetries\":2,\"numMinDelayRetries\":3,"
              "\"numMaxDelayRetries\":5,\"backoffFunction\":\"exponential\"},"
              "\"sicklyRetryPolicy\":null,\"throttlePolicy\":{\"maxReceivesPerSecond\":5},"
              "\"guaranteed\":false}");
    const int64_t delays[] = {0,      0,      5000,   5000,   5000,   5000,  5225,
                              5675,   6575,   8376,   11977,  19178,  33581, 62387,
                              120000, 120000, 120000, 120000, 120000, 120000};
    expect_schedule(&policy, delays, 20);
}

static void backoff_functions(void **state)
{
    (void)state;
    struct notify_retry_policy policy =
        parse("{\"healthyRetryPolicy\":{\"minDelayTarget\":10,\"maxDelayTarget\":100,"
              "\"numRetries\":10,\"backoffFunction\":\"linear\"}}");
    const int64_t linear[] = {10000, 20000, 30000, 40000, 50000,
                              60000, 70000, 80000, 90000, 100000};
    expect_schedule(&policy, linear, 10);
    /* arithmetic: increments 15, 30, 45 — 10 + 90·j(j+1)/12 */
    policy = parse("{\"healthyRetryPolicy\":{\"minDelayTarget\":10,\"maxDelayTarget\":100,"
                   "\"numRetries\":4,\"backoffFunction\":\"arithmetic\"}}");
    const int64_t arithmetic[] = {10000, 25000, 55000, 100000};
    expect_schedule(&policy, arithmetic, 4);
    /* geometric: ratio (1000/1)^(1/3) = 10 */
    policy = parse("{\"healthyRetryPolicy\":{\"minDelayTarget\":1,\"maxDelayTarget\":1000,"
                   "\"numRetries\":4,\"backoffFunction\":\"geometric\"}}");
    const int64_t geometric[] = {1000, 10000, 100000, 1000000};
    expect_schedule(&policy, geometric, 4);
    /* exponential: increments double — 10 + 70·(2^j − 1)/7 */
    policy = parse("{\"healthyRetryPolicy\":{\"minDelayTarget\":10,\"maxDelayTarget\":80,"
                   "\"numRetries\":4,\"backoffFunction\":\"EXPONENTIAL\"}}");
    const int64_t exponential[] = {10000, 20000, 40000, 80000};
    expect_schedule(&policy, exponential, 4);
    /* a one-retry backoff phase waits minDelayTarget */
    policy = parse("{\"healthyRetryPolicy\":{\"minDelayTarget\":7,\"maxDelayTarget\":9,"
                   "\"numRetries\":1}}");
    const int64_t single[] = {7000};
    expect_schedule(&policy, single, 1);
}

static void policy_forms_and_defaults(void **state)
{
    (void)state;
    struct notify_retry_policy policy = parse("{\"healthyRetryPolicy\":{\"numRetries\":5}}");
    const int64_t five[] = {20000, 20000, 20000, 20000, 20000};
    expect_schedule(&policy, five, 5);
    policy = parse("{\"http\":{\"defaultHealthyRetryPolicy\":{\"numRetries\":0},"
                   "\"disableSubscriptionOverrides\":false}}");
    expect_schedule(&policy, NULL, 0);
    policy = parse(" {\"healthyRetryPolicy\":null}");
    const int64_t sns[] = {20000, 20000, 20000};
    expect_schedule(&policy, sns, 3);
    policy = parse("{\"throttlePolicy\":{\"maxReceivesPerSecond\":1}}");
    expect_schedule(&policy, sns, 3);
}

/* 1, 2, 4 … 512 s then 600 s, with equal jitter: d·(1 + random)/2. */
static void trailhound_default_policy(void **state)
{
    (void)state;
    struct notify_retry_policy policy = parse("trailhound-default");
    assert_true(policy.jitter);
    const struct {
        int attempts;
        double random;
        int64_t delay;
    } cases[] = {{1, 0.0, 500},       {1, 0.5, 750},      {2, 0.0, 1000},
                 {4, 0.25, 5000},     {10, 0.5, 384000},  {11, 0.0, 300000},
                 {11, 0.999, 599700}, {200, 0.5, 450000}, {1, 1.5, 500}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t next;
        assert_true(notify_retry_next(&policy, cases[i].attempts, T0, T0, cases[i].random, &next));
        if (next - T0 != cases[i].delay)
            fail_msg("attempt %d random %g: %lld ms, expected %lld", cases[i].attempts,
                     cases[i].random, (long long)(next - T0), (long long)cases[i].delay);
    }
    /* it gives up once the next try would fall more than 24 h after the first attempt */
    int64_t day = INT64_C(24) * 3600 * 1000, next;
    assert_true(notify_retry_next(&policy, 150, T0, T0 + day - 500000, 0.5, &next));
    assert_int_equal(next, T0 + day - 50000);
    assert_false(notify_retry_next(&policy, 150, T0, T0 + day - 100000, 0.5, &next));
}

/* A policy built by hand still keeps SNS's 3600 s bound. */
static void hand_built_policy_bounded(void **state)
{
    (void)state;
    struct notify_retry_policy policy = {.min_delay_target = 1000,
                                         .max_delay_target = 1000,
                                         .num_retries = 5,
                                         .backoff = NOTIFY_BACKOFF_LINEAR};
    const int64_t three[] = {1000000, 1000000, 1000000};
    int64_t next;
    assert_true(notify_retry_next(&policy, 3, T0, T0, 0, &next));
    assert_false(notify_retry_next(&policy, 4, T0, T0, 0, &next));
    policy.num_retries = 3;
    expect_schedule(&policy, three, 3);
}

static void expect_refusal(const char *text, const char *message)
{
    struct notify_retry_policy policy;
    struct notify_error error = {{0}};
    if (notify_retry_policy_parse(text, &policy, &error))
        fail_msg("%s: accepted", text);
    if (strcmp(error.message, message) != 0)
        fail_msg("%s:\n  got      %s\n  expected %s", text, error.message, message);
}

static void refusals_name_the_field(void **state)
{
    (void)state;
    expect_refusal("{\"healthyRetryPolicy\":{\"minDelayTarget\":0}}",
                   "healthyRetryPolicy.minDelayTarget: 0 is out of range 1…20 (maxDelayTarget)");
    expect_refusal("{\"healthyRetryPolicy\":{\"minDelayTarget\":30}}",
                   "healthyRetryPolicy.minDelayTarget: 30 is out of range 1…20 (maxDelayTarget)");
    expect_refusal("{\"healthyRetryPolicy\":{\"maxDelayTarget\":3601}}",
                   "healthyRetryPolicy.maxDelayTarget: 3601 is out of range 1…3600");
    expect_refusal("{\"healthyRetryPolicy\":{\"numRetries\":101}}",
                   "healthyRetryPolicy.numRetries: 101 is out of range 0…100");
    expect_refusal("{\"healthyRetryPolicy\":{\"numNoDelayRetries\":-1}}",
                   "healthyRetryPolicy.numNoDelayRetries: -1 must be 0 or more");
    expect_refusal("{\"healthyRetryPolicy\":{\"numRetries\":4,\"numMinDelayRetries\":3,"
                   "\"numMaxDelayRetries\":2}}",
                   "healthyRetryPolicy.numRetries: 4 is less than numNoDelayRetries + "
                   "numMinDelayRetries + numMaxDelayRetries (5)");
    expect_refusal("{\"healthyRetryPolicy\":{\"backoffFunction\":\"cubic\"}}",
                   "healthyRetryPolicy.backoffFunction: must be arithmetic, exponential, "
                   "geometric or linear");
    expect_refusal("{\"healthyRetryPolicy\":{\"minDelayTarget\":\"5\"}}",
                   "healthyRetryPolicy.minDelayTarget: must be an integer");
    expect_refusal("{\"healthyRetryPolicy\":{\"minDelayTarget\":5.5}}",
                   "healthyRetryPolicy.minDelayTarget: must be an integer");
    expect_refusal("{\"healthyRetryPolicy\":{\"numRetries\":99999999999}}",
                   "healthyRetryPolicy.numRetries: 99999999999 is out of range");
    expect_refusal("{\"healthyRetryPolicy\":{\"minDelay\":5}}",
                   "healthyRetryPolicy.minDelay: unknown field");
    expect_refusal("{\"healthyRetryPolicy\":{\"minDelayTarget\":3600,\"maxDelayTarget\":3600,"
                   "\"numRetries\":2}}",
                   "healthyRetryPolicy: the retries wait 7200 s in all, more than 3600 s");
    expect_refusal("{\"http\":{\"defaultHealthyRetryPolicy\":{\"numRetries\":-2}}}",
                   "http.defaultHealthyRetryPolicy.numRetries: -2 is out of range 0…100");
    expect_refusal("{\"healthyRetryPolicy\":[]}", "healthyRetryPolicy: must be an object");
    expect_refusal("{\"healthyRetryPolicyy\":{}}",
                   "delivery policy: healthyRetryPolicyy: unknown field");
    expect_refusal("[1]", "delivery policy: must be a JSON object");
    expect_refusal("{\"healthyRetryPolicy\":{\"numRetries\":1,\"numRetries\":2}}",
                   "delivery policy: line 1 column 50: duplicate object key near '\"numRetries\"'");
    expect_refusal("fast", "unknown retry policy \"fast\": expected sns-default, "
                           "trailhound-default or an SNS delivery policy "
                           "({\"healthyRetryPolicy\":{…}})");
    expect_refusal(NULL, "no retry policy given");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sns_default_policy),        cmocka_unit_test(section_4_6_example),
        cmocka_unit_test(backoff_functions),         cmocka_unit_test(policy_forms_and_defaults),
        cmocka_unit_test(trailhound_default_policy), cmocka_unit_test(hand_built_policy_bounded),
        cmocka_unit_test(refusals_name_the_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
