/* Alarm actions into the outbox (monitor_enqueue_notifications): one message per confirmed
 * subscription of each topic the new state names — none before a subscription is
 * confirmed, none with ActionsEnabled false (alarms.md §6), a failed Action history item
 * for a topic that does not exist — rendered per protocol, secrets left unresolved; and the
 * failure alert, which skips unconfirmed subscriptions too. */
#include "monitor/monitor.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define TOPIC_ARN "arn:aws:sns:us-east-1:123456789012:alerts"

struct rows {
    char text[8][256];
    size_t count;
};

static bool collect(void *context, const struct store_outbox_message *message)
{
    struct rows *rows = context;
    if (rows->count < 8)
        snprintf(rows->text[rows->count++], 256, "%s %s %s", message->protocol, message->endpoint,
                 message->subject ? message->subject : "-");
    return true;
}

static struct rows outbox(struct store *store)
{
    struct rows rows = {0};
    struct store_error error;
    assert_true(store_outbox_list(store, NULL, 0, collect, &rows, &error));
    return rows;
}

static void define(struct alarm_definition *alarm, const char *action)
{
    alarm_definition_init(alarm);
    alarm->alarm_name = strdup("root-use");
    alarm->metric.namespace_name = strdup("CISBenchmark");
    alarm->metric.metric_name = strdup("root_usage_metric");
    alarm->statistic = strdup("Sum");
    alarm->period = 300;
    alarm->evaluation_periods = 1;
    alarm->threshold = 1;
    alarm->alarm_actions.items[0] = strdup(action);
    alarm->alarm_actions.count = 1;
}

struct fixture {
    struct store *store;
    struct notify_subscription subscriptions[3];
    struct notify_topic topic;
    struct notify_topic_list topics;
    struct notify_signing_key key;
    struct monitor_notify_settings settings;
};

static int set_up(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    struct store_error error;
    struct monitor_error monitor_error;
    f->store = store_open(":memory:", &error);
    assert_non_null(f->store);
    assert_true(monitor_signing_key(f->store, &f->key, &monitor_error));
    f->subscriptions[0] = (struct notify_subscription){.protocol = NOTIFY_EMAIL,
                                                       .endpoint = "soc@example.com",
                                                       .arn = TOPIC_ARN ":1",
                                                       .confirmed = true};
    f->subscriptions[1] = (struct notify_subscription){
        .protocol = NOTIFY_HTTPS, .endpoint = "https://example.com/hook", .arn = TOPIC_ARN ":2"};
    f->subscriptions[2] = (struct notify_subscription){.protocol = NOTIFY_SLACK,
                                                       .endpoint = "env:SLACK_URL",
                                                       .arn = TOPIC_ARN ":3",
                                                       .confirmed = true};
    f->topic = (struct notify_topic){.name = "alerts",
                                     .arn = TOPIC_ARN,
                                     .subscriptions = f->subscriptions,
                                     .subscription_count = 3};
    f->topics = (struct notify_topic_list){.items = &f->topic, .count = 1};
    f->settings = (struct monitor_notify_settings){.topics = &f->topics,
                                                   .region = "us-east-1",
                                                   .account_id = "123456789012",
                                                   .public_base_url = "https://th.example.com",
                                                   .signing_key = &f->key};
    *state = f;
    return 0;
}

static int tear_down(void **state)
{
    struct fixture *f = *state;
    notify_signing_key_free(&f->key);
    store_close(f->store);
    free(f);
    return 0;
}

static const struct monitor_transition to_alarm = {
    .alarm_name = "root-use",
    .time_ms = INT64_C(1795687800000),
    .from = ALARM_STATE_INSUFFICIENT_DATA,
    .to = ALARM_STATE_ALARM,
    .reason = "Threshold Crossed: 1 datapoint [1.0 (26/11/26 10:05:00)] was greater than or "
              "equal to the threshold (1.0).",
};

static void confirmed_subscriptions_only(void **state)
{
    struct fixture *f = *state;
    struct alarm_definition alarm;
    define(&alarm, TOPIC_ARN);
    struct monitor_error error;
    assert_true(
        monitor_enqueue_notifications(f->store, &alarm, &to_alarm, &f->settings, 0, &error));
    struct rows rows = outbox(f->store);
    /* the unconfirmed https subscription gets nothing; the Slack URL stays a reference */
    assert_int_equal(rows.count, 2);
    assert_string_equal(rows.text[0],
                        "slack env:SLACK_URL ALARM: \"root-use\" in US East (N. Virginia)");
    assert_string_equal(rows.text[1],
                        "email soc@example.com ALARM: \"root-use\" in US East (N. Virginia)");
    alarm_definition_free(&alarm);
}

static void disabled_actions_send_nothing(void **state)
{
    struct fixture *f = *state;
    struct alarm_definition alarm;
    define(&alarm, TOPIC_ARN);
    alarm.actions_enabled = false;
    struct monitor_error error;
    assert_true(
        monitor_enqueue_notifications(f->store, &alarm, &to_alarm, &f->settings, 0, &error));
    assert_int_equal(outbox(f->store).count, 0);
    alarm_definition_free(&alarm);
}

static bool count_failed_actions(void *context, const struct store_history_item *item)
{
    if (strcmp(item->type, "Action") == 0 && strstr(item->summary, "Failed to execute action"))
        (*(int *)context)++;
    return true;
}

static void unknown_topic_is_a_failed_action(void **state)
{
    struct fixture *f = *state;
    struct alarm_definition alarm;
    define(&alarm, "arn:aws:sns:us-east-1:123456789012:typo");
    struct monitor_error error;
    assert_true(
        monitor_enqueue_notifications(f->store, &alarm, &to_alarm, &f->settings, 0, &error));
    assert_int_equal(outbox(f->store).count, 0);
    int failed = 0;
    struct store_history_query query = {.alarm_name = "root-use", .end_ms = INT64_MAX};
    struct store_error store_error;
    assert_true(store_history_list(f->store, &query, count_failed_actions, &failed, &store_error));
    assert_int_equal(failed, 1);
    alarm_definition_free(&alarm);
}

/* A failure alert, like every message, reaches only confirmed subscriptions. */
static void failure_alert_skips_unconfirmed_subscriptions(void **state)
{
    struct fixture *f = *state;
    struct store_outbox_message failed = {.message_id = "5b3e1d52-8c1e-5f0a-b7a4-9d2c6e0f4a11",
                                          .alarm_name = "root-use",
                                          .topic_arn = "arn:aws:sns:us-east-1:123456789012:other",
                                          .subscription_arn = "arn:aws:sns:us-east-1:1:other:9",
                                          .protocol = "http",
                                          .endpoint = "http://example.com/",
                                          .state = "failed",
                                          .attempts = 4,
                                          .last_error = "HTTP 503"};
    struct store_error error;
    assert_true(monitor_enqueue_failure_alert(f->store, &failed, &f->topic, &f->settings,
                                              INT64_C(1795687800000), &error));
    struct rows rows = outbox(f->store);
    assert_int_equal(rows.count, 2); /* e-mail and Slack; not the pending https */
    assert_memory_equal(rows.text[0], "slack ", 6);
    assert_memory_equal(rows.text[1], "email ", 6);
}

/* A PagerDuty summary is cut to 1024 bytes: never inside a UTF-8 sequence, or the trigger
 * would not render (jansson refuses the cut sequence) and the alert would be lost. */
static void pagerduty_summary_cut_keeps_whole_characters(void **state)
{
    (void)state;
    char text[2100];
    size_t length = 0;
    text[length++] = 'x'; /* so 2-byte characters straddle byte 1024 */
    while (length + 2 < sizeof text) {
        text[length++] = (char)0xC3; /* é */
        text[length++] = (char)0xA9;
    }
    text[length] = '\0';
    struct notify_subscription subscription = {.protocol = NOTIFY_PAGERDUTY};
    struct monitor_notify_settings settings = {0};
    char *body = monitor_render_text(&settings, NULL, &subscription, "s", text, "id-1", 0);
    assert_non_null(body);
    const char *summary = strstr(body, "\"summary\":\"x");
    assert_non_null(summary);
    const char *end = strchr(summary + 12, '"');
    assert_non_null(end);
    assert_int_equal(end - (summary + 11), 1023); /* 'x' and 511 whole characters */
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pagerduty_summary_cut_keeps_whole_characters),
        cmocka_unit_test_setup_teardown(confirmed_subscriptions_only, set_up, tear_down),
        cmocka_unit_test_setup_teardown(disabled_actions_send_nothing, set_up, tear_down),
        cmocka_unit_test_setup_teardown(unknown_topic_is_a_failed_action, set_up, tear_down),
        cmocka_unit_test_setup_teardown(failure_alert_skips_unconfirmed_subscriptions, set_up,
                                        tear_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
