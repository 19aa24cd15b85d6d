/* Retry schedules (§4.6): SNS's four phases — immediate retries, pre-backoff retries at
 * minDelayTarget, backoff retries rising from minDelayTarget to maxDelayTarget along the
 * backoff function, post-backoff retries at maxDelayTarget — and trailhound's own 24-hour
 * policy. Where AWS publishes no formula (the curves), our choices are written below.
 *
 * The backoff phase's first retry waits minDelayTarget and its last maxDelayTarget (AWS:
 * the function sets "the delays of all the retry attempts between the first and last
 * retries in the backoff phase"); with t = (k−1)/(n−1) for its k-th of n retries:
 *   linear       min + (max−min)·t
 *   arithmetic   min + (max−min)·j(j+1)/(m(m+1)), j = k−1, m = n−1: the steps grow by
 *                equal amounts (an arithmetic progression of increments)
 *   geometric    min·(max/min)^t: each delay a constant ratio times the previous
 *   exponential  min + (max−min)·(2^j−1)/(2^m−1): each step twice the previous one
 * A one-retry backoff phase waits minDelayTarget.
 *
 * Delays count from the end of the previous attempt (`last_attempt_ms`), which is how SNS
 * gets "~35 s after the previous one began" for a 15 s timeout followed by a 20 s delay.
 * SNS jitters its retries; SNS-style policies here do not, so their schedules are exact.
 * trailhound-default jitters with "equal jitter": a delay d becomes d·(1 + random)/2. */
#include "notify/notify.h"
#include "notify/notify_fail.h"

#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum {
    SNS_MAX_TOTAL_SECONDS = 3600,
    SNS_MAX_RETRIES = 100,
    TRAILHOUND_MIN_DELAY_SECONDS = 1,
    TRAILHOUND_MAX_DELAY_SECONDS = 600,
};
#define TRAILHOUND_GIVE_UP_MS (24 * 3600 * INT64_C(1000))

/* SNS's default HTTP/S policy: 3 retries, 20 s apart. */
static void sns_default(struct notify_retry_policy *policy)
{
    *policy = (struct notify_retry_policy){
        .min_delay_target = 20,
        .max_delay_target = 20,
        .num_retries = 3,
        .backoff = NOTIFY_BACKOFF_LINEAR,
    };
}

/* 1 s, 2 s, 4 s … 512 s, then every 600 s, jittered, until 24 h after the first attempt. */
static void trailhound_default(struct notify_retry_policy *policy)
{
    *policy = (struct notify_retry_policy){
        .min_delay_target = TRAILHOUND_MIN_DELAY_SECONDS,
        .max_delay_target = TRAILHOUND_MAX_DELAY_SECONDS,
        .num_retries = INT_MAX,
        .backoff = NOTIFY_BACKOFF_DOUBLING,
        .give_up_after_ms = TRAILHOUND_GIVE_UP_MS,
        .jitter = true,
    };
}

/* ---- the schedule ---- */

static double backoff_delay(const struct notify_retry_policy *policy, int k, int n)
{
    double low = policy->min_delay_target, high = policy->max_delay_target;
    if (policy->backoff == NOTIFY_BACKOFF_DOUBLING)
        return k - 1 >= 30 ? high : fmin(high, low * (double)(1L << (k - 1)));
    if (n <= 1)
        return low;
    double j = k - 1, m = n - 1, t = j / m;
    switch (policy->backoff) {
    case NOTIFY_BACKOFF_ARITHMETIC:
        return low + (high - low) * (j * (j + 1)) / (m * (m + 1));
    case NOTIFY_BACKOFF_GEOMETRIC:
        return low * pow(high / low, t);
    case NOTIFY_BACKOFF_EXPONENTIAL:
        return low + (high - low) * (exp2(j) - 1) / (exp2(m) - 1);
    default:
        return low + (high - low) * t;
    }
}

static int backoff_count(const struct notify_retry_policy *policy)
{
    long long count = (long long)policy->num_retries - policy->num_no_delay_retries -
                      policy->num_min_delay_retries - policy->num_max_delay_retries;
    return count < 0 ? 0 : count > INT_MAX ? INT_MAX : (int)count;
}

/* The delay before retry number `retry` (1-based), in seconds, unjittered. */
static double retry_delay(const struct notify_retry_policy *policy, int retry)
{
    if (retry <= policy->num_no_delay_retries)
        return 0;
    retry -= policy->num_no_delay_retries;
    if (retry <= policy->num_min_delay_retries)
        return policy->min_delay_target;
    retry -= policy->num_min_delay_retries;
    int backoff = backoff_count(policy);
    if (retry <= backoff)
        return backoff_delay(policy, retry, backoff);
    return policy->max_delay_target;
}

/* The sum of the delays of retries 1…`retries`, in seconds. */
static double schedule_total(const struct notify_retry_policy *policy, int retries)
{
    double total = 0;
    for (int retry = 1; retry <= retries; retry++)
        total += retry_delay(policy, retry);
    return total;
}

bool notify_retry_next(const struct notify_retry_policy *policy, int attempts,
                       int64_t first_attempt_ms, int64_t last_attempt_ms, double random,
                       int64_t *next_ms)
{
    int retry = attempts; /* after n failed attempts comes retry number n */
    if (retry < 1 || retry > policy->num_retries)
        return false;
    /* SNS-style policies (no time limit) keep SNS's bounds even when built by hand. */
    if (policy->give_up_after_ms == 0 &&
        (retry > SNS_MAX_RETRIES || schedule_total(policy, retry) > SNS_MAX_TOTAL_SECONDS))
        return false;
    double delay_ms = retry_delay(policy, retry) * 1000.0;
    if (policy->jitter) {
        double share = random >= 0 && random < 1 ? random : 0;
        delay_ms = delay_ms * (1 + share) / 2;
    }
    int64_t next = last_attempt_ms + (int64_t)llround(delay_ms);
    if (policy->give_up_after_ms > 0 && next - first_attempt_ms > policy->give_up_after_ms)
        return false;
    *next_ms = next;
    return true;
}

/* ---- delivery-policy JSON ---- */

struct policy_field {
    const char *name;
    int *value;
};

static bool read_integer(json_t *value, const char *where, const char *name, int *out,
                         struct notify_error *error)
{
    if (!json_is_integer(value)) {
        notify_fail(error, "%s.%s: must be an integer", where, name);
        return false;
    }
    json_int_t number = json_integer_value(value);
    if (number < INT_MIN || number > INT_MAX) {
        notify_fail(error, "%s.%s: %lld is out of range", where, name, (long long)number);
        return false;
    }
    *out = (int)number;
    return true;
}

static bool read_backoff(json_t *value, const char *where, struct notify_retry_policy *policy,
                         struct notify_error *error)
{
    static const char *const names[] = {"linear", "arithmetic", "geometric", "exponential"};
    const char *text = json_string_value(value);
    for (size_t i = 0; text && i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(text, names[i]) == 0) {
            policy->backoff = (int)i; /* the enum lists them in this order */
            return true;
        }
    notify_fail(error, "%s.backoffFunction: must be arithmetic, exponential, geometric or linear",
                where);
    return false;
}

static bool read_policy_fields(json_t *object, const char *where,
                               struct notify_retry_policy *policy, struct notify_error *error)
{
    const struct policy_field fields[] = {
        {"minDelayTarget", &policy->min_delay_target},
        {"maxDelayTarget", &policy->max_delay_target},
        {"numRetries", &policy->num_retries},
        {"numNoDelayRetries", &policy->num_no_delay_retries},
        {"numMinDelayRetries", &policy->num_min_delay_retries},
        {"numMaxDelayRetries", &policy->num_max_delay_retries},
    };
    const char *key;
    json_t *value;
    json_object_foreach(object, key, value)
    {
        if (strcmp(key, "backoffFunction") == 0) {
            if (!read_backoff(value, where, policy, error))
                return false;
            continue;
        }
        size_t i = 0;
        while (i < sizeof fields / sizeof fields[0] && strcmp(key, fields[i].name) != 0)
            i++;
        if (i == sizeof fields / sizeof fields[0]) {
            notify_fail(error, "%s.%.64s: unknown field", where, key);
            return false;
        }
        if (!read_integer(value, where, key, fields[i].value, error))
            return false;
    }
    return true;
}

static bool check_delays(const struct notify_retry_policy *policy, const char *where,
                         struct notify_error *error)
{
    if (policy->max_delay_target < 1 || policy->max_delay_target > SNS_MAX_TOTAL_SECONDS) {
        notify_fail(error, "%s.maxDelayTarget: %d is out of range 1…3600", where,
                    policy->max_delay_target);
        return false;
    }
    if (policy->min_delay_target < 1 || policy->min_delay_target > policy->max_delay_target) {
        notify_fail(error, "%s.minDelayTarget: %d is out of range 1…%d (maxDelayTarget)", where,
                    policy->min_delay_target, policy->max_delay_target);
        return false;
    }
    return true;
}

static bool check_counts(const struct notify_retry_policy *policy, const char *where,
                         struct notify_error *error)
{
    if (policy->num_retries < 0 || policy->num_retries > SNS_MAX_RETRIES) {
        notify_fail(error, "%s.numRetries: %d is out of range 0…100", where, policy->num_retries);
        return false;
    }
    const struct {
        const char *name;
        int value;
    } phases[] = {{"numNoDelayRetries", policy->num_no_delay_retries},
                  {"numMinDelayRetries", policy->num_min_delay_retries},
                  {"numMaxDelayRetries", policy->num_max_delay_retries}};
    long long sum = 0;
    for (size_t i = 0; i < sizeof phases / sizeof phases[0]; i++) {
        if (phases[i].value < 0) {
            notify_fail(error, "%s.%s: %d must be 0 or more", where, phases[i].name,
                        phases[i].value);
            return false;
        }
        sum += phases[i].value;
    }
    if (sum > policy->num_retries) {
        notify_fail(error,
                    "%s.numRetries: %d is less than numNoDelayRetries + numMinDelayRetries + "
                    "numMaxDelayRetries (%lld)",
                    where, policy->num_retries, sum);
        return false;
    }
    return true;
}

static bool check_policy(const struct notify_retry_policy *policy, const char *where,
                         struct notify_error *error)
{
    if (!check_counts(policy, where, error) || !check_delays(policy, where, error))
        return false;
    double total = schedule_total(policy, policy->num_retries);
    if (total > SNS_MAX_TOTAL_SECONDS) {
        notify_fail(error, "%s: the retries wait %.0f s in all, more than 3600 s", where, total);
        return false;
    }
    return true;
}

/* The retry policy object inside a delivery policy: a subscription's healthyRetryPolicy or
 * a topic's http.defaultHealthyRetryPolicy. NULL (and *where unset) when there is none. */
static json_t *find_retry_policy(json_t *root, const char **where)
{
    json_t *policy = json_object_get(root, "healthyRetryPolicy");
    if (policy) {
        *where = "healthyRetryPolicy";
        return policy;
    }
    json_t *http = json_object_get(root, "http");
    policy = json_object_get(http, "defaultHealthyRetryPolicy");
    if (policy)
        *where = "http.defaultHealthyRetryPolicy";
    return policy;
}

/* The members SNS knows in a subscription or topic delivery policy; anything else is most
 * likely a misspelt healthyRetryPolicy, which must not silently mean "the default". */
static bool check_top_level(json_t *root, struct notify_error *error)
{
    static const char *const known[] = {"healthyRetryPolicy", "sicklyRetryPolicy", "throttlePolicy",
                                        "requestPolicy",      "guaranteed",        "http"};
    if (!json_is_object(root)) {
        notify_fail(error, "delivery policy: must be a JSON object");
        return false;
    }
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value)
    {
        size_t i = 0;
        while (i < sizeof known / sizeof known[0] && strcmp(key, known[i]) != 0)
            i++;
        if (i == sizeof known / sizeof known[0]) {
            notify_fail(error, "delivery policy: %.64s: unknown field", key);
            return false;
        }
    }
    return true;
}

static bool parse_json_policy(const char *text, struct notify_retry_policy *policy,
                              struct notify_error *error)
{
    json_error_t json_error;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &json_error);
    if (!root) {
        notify_fail(error, "delivery policy: line %d column %d: %s", json_error.line,
                    json_error.column, json_error.text);
        return false;
    }
    const char *where = "delivery policy";
    bool ok = check_top_level(root, error);
    json_t *object = ok ? find_retry_policy(root, &where) : NULL;
    sns_default(policy);
    if (ok && object && !json_is_null(object)) {
        ok = json_is_object(object);
        if (!ok)
            notify_fail(error, "%s: must be an object", where);
        ok = ok && read_policy_fields(object, where, policy, error) &&
             check_policy(policy, where, error);
    }
    json_decref(root);
    return ok;
}

bool notify_retry_policy_parse(const char *text, struct notify_retry_policy *policy,
                               struct notify_error *error)
{
    if (!text) {
        notify_fail(error, "no retry policy given");
        return false;
    }
    text += strspn(text, " \t\r\n");
    if (strcmp(text, "sns-default") == 0) {
        sns_default(policy);
        return true;
    }
    if (strcmp(text, "trailhound-default") == 0) {
        trailhound_default(policy);
        return true;
    }
    if (text[0] == '{' || text[0] == '[')
        return parse_json_policy(text, policy, error);
    notify_fail(error,
                "unknown retry policy \"%.64s\": expected sns-default, trailhound-default or an "
                "SNS delivery policy ({\"healthyRetryPolicy\":{…}})",
                text);
    return false;
}
