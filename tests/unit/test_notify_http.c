/* HTTP deliveries against a real local HTTP receiver (tests/support/http_receiver.py):
 * SNS's HTTP/S protocol (§4.1 headers, §4.6 outcomes, URL credentials with Basic and
 * Digest, the timeout), Slack webhooks (§6) and PagerDuty Events v2 (§7). */
#include "notify/notify.h"
#include "notify/notify_curl.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "../support/closed_port.h"
#include "../support/receivers.h"

#define TOPIC "arn:aws:sns:eu-west-1:111122223333:cis-alarms"
#define SUBSCRIPTION TOPIC ":7e0d2c4a-1b6f-4c3e-9a8d-5f2e1c0b3a97"
#define ROUTING_KEY "0123456789abcdef0123456789abcdef"

/* libcurl as a command loads it (the group setup), for every delivery */
static struct notify_curl *curl;

static struct receiver receiver;

static int start_receiver(void **state)
{
    (void)state;
    struct notify_error curl_error; /* as the commands that deliver do */
    if (!(curl = notify_curl_load(&curl_error))) {
        print_error("%s\n", curl_error.message);
        return -1;
    }
    return receiver_start(&receiver, "http_receiver.py", NULL) ? 0 : -1;
}

static int stop_receiver(void **state)
{
    (void)state;
    receiver_stop(&receiver);
    notify_curl_unload(curl);
    curl = NULL;
    return 0;
}

static char url_buffer[512];

static const char *receiver_url(const char *path)
{
    snprintf(url_buffer, sizeof url_buffer, "%s%s", receiver.base_url, path);
    return url_buffer;
}

static struct notify_delivery sns_http(const char *url)
{
    return (struct notify_delivery){
        .curl = curl,
        .protocol = NOTIFY_HTTP,
        .endpoint = url,
        .body = "{\"Type\":\"Notification\",\"Message\":\"caf\xc3\xa9\"}",
        .message_type = "Notification",
        .message_id = "5b3e1d52-8c1e-5f0a-b7a4-9d2c6e0f4a11",
        .topic_arn = TOPIC,
        .subscription_arn = SUBSCRIPTION,
    };
}

/* The last request the receiver logged; the log array is returned for json_decref. */
static json_t *last_request(json_t **log)
{
    *log = receiver_log(&receiver);
    size_t count = json_array_size(*log);
    assert_true(count > 0);
    return json_array_get(*log, count - 1);
}

static void notification_carries_sns_headers(void **state)
{
    (void)state;
    struct notify_delivery delivery = sns_http(receiver_url("/status/200"));
    struct notify_result result;
    notify_deliver(&delivery, &result);
    assert_int_equal(result.outcome, NOTIFY_DELIVERED);
    assert_int_equal(result.status, 200);
    json_t *log, *request = last_request(&log);
    assert_string_equal(receiver_string(request, "method"), "POST");
    assert_string_equal(receiver_string(request, "path"), "/status/200");
    assert_string_equal(receiver_string(request, "body"), delivery.body);
    assert_string_equal(receiver_header(request, "Content-Type"), "text/plain; charset=UTF-8");
    assert_string_equal(receiver_header(request, "User-Agent"),
                        "Amazon Simple Notification Service Agent");
    assert_string_equal(receiver_header(request, "x-amz-sns-message-type"), "Notification");
    assert_string_equal(receiver_header(request, "x-amz-sns-message-id"), delivery.message_id);
    assert_string_equal(receiver_header(request, "x-amz-sns-topic-arn"), TOPIC);
    assert_string_equal(receiver_header(request, "x-amz-sns-subscription-arn"), SUBSCRIPTION);
    assert_null(receiver_header(request, "x-amz-sns-rawdelivery"));
    json_decref(log);
}

static void confirmation_has_no_subscription_arn(void **state)
{
    (void)state;
    struct notify_delivery delivery = sns_http(receiver_url("/status/200"));
    delivery.message_type = "SubscriptionConfirmation";
    struct notify_result result;
    notify_deliver(&delivery, &result);
    assert_int_equal(result.outcome, NOTIFY_DELIVERED);
    json_t *log, *request = last_request(&log);
    assert_string_equal(receiver_header(request, "x-amz-sns-message-type"),
                        "SubscriptionConfirmation");
    assert_null(receiver_header(request, "x-amz-sns-subscription-arn"));
    json_decref(log);
}

static void raw_delivery_is_flagged(void **state)
{
    (void)state;
    struct notify_delivery delivery = sns_http(receiver_url("/status/200"));
    delivery.raw_delivery = true;
    delivery.body = "{\"AlarmName\":\"root_usage_alarm\"}";
    struct notify_result result;
    notify_deliver(&delivery, &result);
    assert_int_equal(result.outcome, NOTIFY_DELIVERED);
    json_t *log, *request = last_request(&log);
    assert_string_equal(receiver_header(request, "x-amz-sns-rawdelivery"), "true");
    assert_string_equal(receiver_string(request, "body"), delivery.body);
    json_decref(log);
}

/* §4.6: 200–499 delivered (4xx is not retried), 5xx retried. */
static void sns_status_classes(void **state)
{
    (void)state;
    const struct {
        int status;
        enum notify_outcome outcome;
    } cases[] = {{200, NOTIFY_DELIVERED}, {204, NOTIFY_DELIVERED}, {301, NOTIFY_DELIVERED},
                 {400, NOTIFY_DELIVERED}, {404, NOTIFY_DELIVERED}, {499, NOTIFY_DELIVERED},
                 {500, NOTIFY_RETRY},     {503, NOTIFY_RETRY},     {599, NOTIFY_RETRY}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[64];
        snprintf(path, sizeof path, "/status/%d", cases[i].status);
        struct notify_delivery delivery = sns_http(receiver_url(path));
        struct notify_result result;
        notify_deliver(&delivery, &result);
        if (result.outcome != cases[i].outcome || result.status != cases[i].status)
            fail_msg("HTTP %d: outcome %d status %ld (%s)", cases[i].status, (int)result.outcome,
                     result.status, result.detail);
    }
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (now.tv_nsec - start->tv_nsec) / 1e9;
}

static void slow_endpoint_times_out_and_is_retried(void **state)
{
    (void)state;
    struct notify_delivery delivery = sns_http(receiver_url("/delay/4"));
    delivery.timeout_seconds = 1;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    struct notify_result result;
    notify_deliver(&delivery, &result);
    assert_int_equal(result.outcome, NOTIFY_RETRY);
    assert_true(seconds_since(&start) < 3.0);
    if (!strstr(result.detail, "within 1 s"))
        fail_msg("%s", result.detail);
}

static void refused_connection_is_retried(void **state)
{
    (void)state;
    char url[64];
    int port = closed_loopback_port();
    assert_true(port > 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    struct notify_delivery delivery = sns_http(url);
    struct notify_result result;
    notify_deliver(&delivery, &result);
    assert_int_equal(result.outcome, NOTIFY_RETRY);
    assert_int_equal(result.status, 0);
    if (!strstr(result.detail, "http://127.0.0.1:"))
        fail_msg("%s", result.detail);
}

static void scheme_must_match_protocol(void **state)
{
    (void)state;
    struct notify_delivery delivery = sns_http(receiver_url("/status/200"));
    delivery.protocol = NOTIFY_HTTPS;
    struct notify_result result;
    notify_deliver(&delivery, &result);
    assert_int_equal(result.outcome, NOTIFY_PERMANENT);
    assert_string_equal(result.detail, "a https subscription needs a https:// URL");
}

/* §4.1: credentials in the URL answer a 401 challenge, Basic or Digest; they never show. */
static void url_credentials_answer_challenge(const char *scheme)
{
    char url[256];
    snprintf(url, sizeof url, "http://user:password@127.0.0.1:%d/auth/%s", receiver.port, scheme);
    struct notify_delivery delivery = sns_http(url);
    struct notify_result result;
    notify_deliver(&delivery, &result);
    assert_int_equal(result.outcome, NOTIFY_DELIVERED);
    assert_int_equal(result.status, 200);
    json_t *log = receiver_log(&receiver);
    size_t count = json_array_size(log);
    assert_true(count >= 2);
    json_t *challenged = json_array_get(log, count - 2), *answered = json_array_get(log, count - 1);
    assert_true(json_is_true(json_object_get(challenged, "challenged")));
    assert_true(json_is_false(json_object_get(answered, "challenged")));
    assert_string_equal(receiver_string(answered, "body"), delivery.body);
    assert_null(strstr(result.detail, "password"));
    json_decref(log);
}

static void basic_credentials_from_url(void **state)
{
    (void)state;
    url_credentials_answer_challenge("basic");
}

static void digest_credentials_from_url(void **state)
{
    (void)state;
    url_credentials_answer_challenge("digest");
}

/* A refused login is a 4xx: delivered as far as SNS is concerned; the detail hides it. */
static void wrong_credentials_are_a_delivered_401(void **state)
{
    (void)state;
    char url[256];
    snprintf(url, sizeof url, "http://user:hunter22@127.0.0.1:%d/auth/basic", receiver.port);
    struct notify_delivery delivery = sns_http(url);
    struct notify_result result;
    notify_deliver(&delivery, &result);
    assert_int_equal(result.outcome, NOTIFY_DELIVERED);
    assert_int_equal(result.status, 401);
    assert_null(strstr(result.detail, "hunter22"));
    assert_null(strstr(result.detail, "user:"));
}

/* ---- Slack ---- */

static struct notify_result deliver_slack(const char *path)
{
    struct notify_delivery delivery = {
        .curl = curl,
        .protocol = NOTIFY_SLACK,
        .endpoint = receiver_url(path),
        .body = "{\"text\":\"ALARM: \\\"root_usage_alarm\\\" in EU (Ireland)\"}",
    };
    struct notify_result result;
    notify_deliver(&delivery, &result);
    return result;
}

static void slack_ok(void **state)
{
    (void)state;
    struct notify_result result = deliver_slack("/status/200/body/ok/services/T0/B0/KEYKEYKEY");
    assert_int_equal(result.outcome, NOTIFY_DELIVERED);
    json_t *log, *request = last_request(&log);
    assert_string_equal(receiver_header(request, "Content-Type"), "application/json");
    assert_string_equal(receiver_string(request, "body"),
                        "{\"text\":\"ALARM: \\\"root_usage_alarm\\\" in EU (Ireland)\"}");
    assert_null(strstr(result.detail, "KEYKEYKEY"));
    assert_non_null(strstr(result.detail, "http://127.0.0.1:"));
    json_decref(log);
}

static void slack_refusals_are_permanent_with_reason(void **state)
{
    (void)state;
    struct notify_result result = deliver_slack("/status/400/body/invalid_payload");
    assert_int_equal(result.outcome, NOTIFY_PERMANENT);
    assert_int_equal(result.status, 400);
    assert_non_null(strstr(result.detail, ": invalid_payload"));
    result = deliver_slack("/status/404/body/channel_not_found");
    assert_int_equal(result.outcome, NOTIFY_PERMANENT);
    assert_non_null(strstr(result.detail, "channel_not_found"));
    result = deliver_slack("/status/410/body/channel_is_archived");
    assert_int_equal(result.outcome, NOTIFY_PERMANENT);
}

static void slack_rate_limit_and_errors_are_retried(void **state)
{
    (void)state;
    struct notify_result result = deliver_slack("/status/429/retry-after/7");
    assert_int_equal(result.outcome, NOTIFY_RETRY);
    assert_int_equal(result.retry_after_ms, 7000);
    result = deliver_slack("/status/500/body/rollup_error");
    assert_int_equal(result.outcome, NOTIFY_RETRY);
    assert_int_equal(result.retry_after_ms, 0);
}

/* ---- PagerDuty ---- */

static struct notify_result deliver_pagerduty(const char *path)
{
    struct notify_delivery delivery = {
        .curl = curl,
        .protocol = NOTIFY_PAGERDUTY,
        .endpoint = ROUTING_KEY,
        .pagerduty_url = receiver_url(path),
        .body = "{\"routing_key\":\"" ROUTING_KEY "\",\"event_action\":\"trigger\"}",
    };
    struct notify_result result;
    notify_deliver(&delivery, &result);
    return result;
}

static void pagerduty_outcomes(void **state)
{
    (void)state;
    struct notify_result result = deliver_pagerduty("/status/202");
    assert_int_equal(result.outcome, NOTIFY_DELIVERED);
    json_t *log, *request = last_request(&log);
    assert_string_equal(receiver_header(request, "Content-Type"), "application/json");
    assert_non_null(strstr(receiver_string(request, "body"), ROUTING_KEY));
    json_decref(log);
    assert_int_equal(deliver_pagerduty("/status/200").outcome, NOTIFY_DELIVERED);
    assert_int_equal(deliver_pagerduty("/status/400").outcome, NOTIFY_PERMANENT);
    result = deliver_pagerduty("/status/429/retry-after/60");
    assert_int_equal(result.outcome, NOTIFY_RETRY);
    assert_int_equal(result.retry_after_ms, 60000);
    assert_int_equal(deliver_pagerduty("/status/502").outcome, NOTIFY_RETRY);
}

/* The routing key is a secret even when the server echoes it back. */
static void pagerduty_key_never_in_detail(void **state)
{
    (void)state;
    struct notify_result result = deliver_pagerduty("/status/400/body/bad%20key%20" ROUTING_KEY);
    assert_int_equal(result.outcome, NOTIFY_PERMANENT);
    assert_non_null(strstr(result.detail, "bad key"));
    assert_null(strstr(result.detail, ROUTING_KEY));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(notification_carries_sns_headers),
        cmocka_unit_test(confirmation_has_no_subscription_arn),
        cmocka_unit_test(raw_delivery_is_flagged),
        cmocka_unit_test(sns_status_classes),
        cmocka_unit_test(slow_endpoint_times_out_and_is_retried),
        cmocka_unit_test(refused_connection_is_retried),
        cmocka_unit_test(scheme_must_match_protocol),
        cmocka_unit_test(basic_credentials_from_url),
        cmocka_unit_test(digest_credentials_from_url),
        cmocka_unit_test(wrong_credentials_are_a_delivered_401),
        cmocka_unit_test(slack_ok),
        cmocka_unit_test(slack_refusals_are_permanent_with_reason),
        cmocka_unit_test(slack_rate_limit_and_errors_are_retried),
        cmocka_unit_test(pagerduty_outcomes),
        cmocka_unit_test(pagerduty_key_never_in_detail),
    };
    return cmocka_run_group_tests(tests, start_receiver, stop_receiver);
}
