/* The outbox worker (monitor_deliver_due) with an injected deliverer and clock: delivered
 * once and never again; retries on the policy's schedule (sns-default: 3 retries 20 s apart,
 * then failed); Retry-After; permanent failures parked at once; restart between attempts;
 * order per (subscription, alarm); the failure alert to the fallback topic; secrets
 * resolved at each attempt and never stored resolved; attributes; Action history items;
 * the delivery settings and fallback alert wired from the configuration's settings.
 * Real delivery is tested end to end by the command-line tests. */
#define _XOPEN_SOURCE 700
#include "config/config.h"
#include "monitor/monitor.h"
#include "notify/notify.h"
#include "store/store.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../support/temp_store.h"

#define T0 INT64_C(1795687851290) /* 2026-11-26T10:10:51.290Z */
#define TOPIC "arn:aws:sns:us-east-1:123456789012:alerts"
#define FALLBACK_TOPIC "arn:aws:sns:us-east-1:123456789012:trailhound-failures"
#define SUB_A TOPIC ":aaaa"
#define SUB_B TOPIC ":bbbb"
#define FALLBACK_SUB FALLBACK_TOPIC ":ffff"
#define HOOK_VARIABLE "TRAILHOUND_TEST_OUTBOX_HOOK"
#define MAX_CALLS 24

/* ---- the injected deliverer ----------------------------------------------------------- */

struct scripted_outcome {
    enum notify_outcome outcome;
    int64_t retry_after_ms;
    const char *detail;
};

struct fake_deliverer {
    struct scripted_outcome script[MAX_CALLS]; /* past the script, the last entry repeats */
    size_t script_length;
    size_t calls;
    char seen[MAX_CALLS][1024]; /* one line per delivery */
    char bodies[MAX_CALLS][64];
};

static void fake_deliver(void *context, const struct notify_delivery *delivery,
                         struct notify_result *result)
{
    struct fake_deliverer *fake = context;
    assert_true(fake->calls < MAX_CALLS);
    size_t call = fake->calls++;
    snprintf(fake->seen[call], sizeof fake->seen[call],
             "%s|%s|%s|%s|%s|%s|%s|raw=%d|%s|timeout=%ld|smtp=%s/%s",
             notify_protocol_name(delivery->protocol), delivery->endpoint, delivery->message_id,
             delivery->message_type ? delivery->message_type : "(null)", delivery->topic_arn,
             delivery->subscription_arn, delivery->subject ? delivery->subject : "(null)",
             delivery->raw_delivery, delivery->pagerduty_url ? delivery->pagerduty_url : "(null)",
             delivery->timeout_seconds, delivery->smtp ? delivery->smtp->url : "(none)",
             delivery->smtp && delivery->smtp->password ? delivery->smtp->password : "(none)");
    snprintf(fake->bodies[call], sizeof fake->bodies[call], "%s", delivery->body);
    assert_true(fake->script_length > 0);
    const struct scripted_outcome *next =
        &fake->script[call < fake->script_length ? call : fake->script_length - 1];
    result->outcome = next->outcome;
    result->status = 0;
    result->retry_after_ms = next->retry_after_ms;
    snprintf(result->detail, sizeof result->detail, "%s", next->detail ? next->detail : "");
}

static void script(struct fake_deliverer *fake, enum notify_outcome outcome, int64_t retry_after_ms,
                   const char *detail)
{
    assert_true(fake->script_length < MAX_CALLS);
    fake->script[fake->script_length++] =
        (struct scripted_outcome){outcome, retry_after_ms, detail};
}

/* ---- fixture -------------------------------------------------------------------------- */

struct fixture {
    struct temp_store temp;
    struct fake_deliverer deliverer;
    struct monitor_delivery_settings settings;
};

static int set_up(void **state)
{
    struct fixture *fixture = calloc(1, sizeof *fixture);
    assert_non_null(fixture);
    temp_store_make(&fixture->temp, "test_monitor_outbox", "trailhound.db", true);
    fixture->settings = (struct monitor_delivery_settings){
        .deliver = fake_deliver,
        .deliver_context = &fixture->deliverer,
    };
    setenv(HOOK_VARIABLE, "https://hooks.example.com/secret-path", 1);
    *state = fixture;
    return 0;
}

static int tear_down(void **state)
{
    struct fixture *fixture = *state;
    unsetenv(HOOK_VARIABLE);
    int status = temp_store_remove(&fixture->temp);
    free(fixture);
    return status;
}

/* ---- messages ------------------------------------------------------------------------- */

static struct store_outbox_message message_of(const char *message_id, const char *subscription,
                                              const char *alarm)
{
    return (struct store_outbox_message){
        .message_id = message_id,
        .alarm_name = alarm,
        .topic_arn = TOPIC,
        .subscription_arn = subscription,
        .protocol = "https",
        .endpoint = "env:" HOOK_VARIABLE,
        .subject = "ALARM: \"root-usage\" in US East (N. Virginia)",
        .body = "{\"Type\":\"Notification\"}",
        .attributes_json = "{\"messageType\":\"Notification\"}",
        .policy = "sns-default",
        .created_ms = T0 - 290,
        .next_attempt_ms = T0 - 290,
    };
}

static int64_t add(struct store *store, struct store_outbox_message message)
{
    struct store_error error;
    if (!store_outbox_add(store, &message, &error))
        fail_msg("store_outbox_add: %s", error.message);
    return message.id;
}

static struct monitor_delivery_report deliver_at(struct fixture *fixture, int64_t now_ms,
                                                 size_t limit)
{
    struct monitor_delivery_report report;
    struct monitor_error error = {{0}};
    if (!monitor_deliver_due(fixture->temp.store, &fixture->settings, now_ms, limit, &report,
                             &error))
        fail_msg("monitor_deliver_due: %s", error.message);
    return report;
}

static void assert_report(const struct monitor_delivery_report *report, size_t delivered,
                          size_t retried, size_t failed)
{
    assert_int_equal(report->delivered, delivered);
    assert_int_equal(report->retried, retried);
    assert_int_equal(report->failed, failed);
}

/* ---- reading the store back ----------------------------------------------------------- */

#define MAX_ROWS 16

struct rows {
    char text[MAX_ROWS][2048];
    size_t count;
};

static bool collect_outcome(void *context, const struct store_outbox_message *message)
{
    struct rows *rows = context;
    assert_true(rows->count < MAX_ROWS);
    snprintf(rows->text[rows->count++], sizeof rows->text[0], "%s|%s|%s|%d|%lld|%lld|%s",
             message->message_id, message->endpoint, message->state, message->attempts,
             (long long)message->first_attempt_ms, (long long)message->next_attempt_ms,
             message->last_error ? message->last_error : "(null)");
    return true;
}

/* The message's outcome: "id|endpoint|state|attempts|first|next|last error". */
static const char *outcome_of(struct store *store, const char *message_id)
{
    static struct rows rows;
    rows = (struct rows){0};
    struct store_error error;
    assert_true(store_outbox_list(store, NULL, 0, collect_outcome, &rows, &error));
    size_t length = strlen(message_id);
    for (size_t i = 0; i < rows.count; i++)
        if (strncmp(rows.text[i], message_id, length) == 0 && rows.text[i][length] == '|')
            return rows.text[i];
    fail_msg("no outbox message %s", message_id);
    return NULL;
}

static bool collect_history(void *context, const struct store_history_item *item)
{
    struct rows *rows = context;
    assert_true(rows->count < MAX_ROWS);
    snprintf(rows->text[rows->count++], sizeof rows->text[0], "%s|%lld|%s|%s|%s", item->alarm_name,
             (long long)item->timestamp_ms, item->type, item->summary, item->data);
    return true;
}

static struct rows action_history(struct store *store)
{
    struct rows rows = {0};
    struct store_error error;
    struct store_history_query query = {.type = "Action", .end_ms = INT64_MAX, .ascending = true};
    assert_true(store_history_list(store, &query, collect_history, &rows, &error));
    return rows;
}

/* ---- delivered ------------------------------------------------------------------------ */

static void delivered_once_and_never_again(void **state)
{
    struct fixture *fixture = *state;
    script(&fixture->deliverer, NOTIFY_DELIVERED, 0, "HTTP 200");
    struct store_outbox_message message = message_of("m-1", SUB_A, "root-usage");
    message.attributes_json = "{\"messageType\":\"Notification\",\"raw\":true,\"other\":[1]}";
    add(fixture->temp.store, message);

    struct monitor_delivery_report report = deliver_at(fixture, T0, 10);
    assert_report(&report, 1, 0, 0);
    assert_string_equal(report.first_failure, "");
    assert_int_equal(fixture->deliverer.calls, 1);
    assert_string_equal(fixture->deliverer.seen[0],
                        "https|https://hooks.example.com/secret-path|m-1|Notification|" TOPIC
                        "|" SUB_A "|ALARM: \"root-usage\" in US East (N. Virginia)|raw=1|(null)|"
                        "timeout=15|smtp=(none)/(none)");
    assert_string_equal(fixture->deliverer.bodies[0], "{\"Type\":\"Notification\"}");
    assert_string_equal(outcome_of(fixture->temp.store, "m-1"),
                        "m-1|env:" HOOK_VARIABLE "|delivered|1|1795687851290|1795687851290|(null)");

    report = deliver_at(fixture, T0 + 3600 * 1000, 10);
    assert_report(&report, 0, 0, 0);
    report = deliver_at(fixture, INT64_MAX, 0);
    assert_report(&report, 0, 0, 0);
    assert_int_equal(fixture->deliverer.calls, 1);
}

/* ---- retries -------------------------------------------------------------------------- */

static void retryable_failure_follows_the_sns_default_schedule(void **state)
{
    struct fixture *fixture = *state;
    script(&fixture->deliverer, NOTIFY_RETRY, 0, "HTTP 503 Service Unavailable");
    add(fixture->temp.store, message_of("m-1", SUB_A, "root-usage"));

    const int64_t attempt_times[] = {T0, T0 + 20000, T0 + 40000};
    for (size_t i = 0; i < 3; i++) {
        struct monitor_delivery_report report = deliver_at(fixture, attempt_times[i], 10);
        assert_report(&report, 0, 1, 0);
        char expected[256];
        snprintf(expected, sizeof expected,
                 "m-1|env:" HOOK_VARIABLE "|pending|%zu|%lld|%lld|HTTP 503 Service Unavailable",
                 i + 1, (long long)T0, (long long)attempt_times[i] + 20000);
        assert_string_equal(outcome_of(fixture->temp.store, "m-1"), expected);
        /* not before its time */
        report = deliver_at(fixture, attempt_times[i] + 19999, 10);
        assert_report(&report, 0, 0, 0);
    }
    assert_int_equal(action_history(fixture->temp.store).count, 0); /* no outcome yet */

    struct monitor_delivery_report report = deliver_at(fixture, T0 + 60000, 10);
    assert_report(&report, 0, 0, 1);
    assert_int_equal(fixture->deliverer.calls, 4);
    assert_string_equal(outcome_of(fixture->temp.store, "m-1"),
                        "m-1|env:" HOOK_VARIABLE "|failed|4|1795687851290|1795687911290|gave up "
                        "after 4 attempts over 60 s: HTTP 503 Service Unavailable");
    assert_string_equal(report.first_failure,
                        "message m-1 to " SUB_A ": gave up after 4 attempts over 60 s: HTTP 503 "
                        "Service Unavailable");
    struct rows rows = action_history(fixture->temp.store);
    assert_int_equal(rows.count, 1);
    assert_non_null(strstr(rows.text[0],
                           "root-usage|1795687911290|Action|Failed to execute action " TOPIC
                           ". Reason: gave up after 4 attempts over 60 s: HTTP 503 "
                           "Service Unavailable|{\"actionState\":\"Failed\","));
    report = deliver_at(fixture, INT64_MAX, 0);
    assert_report(&report, 0, 0, 0);
}

static void retry_after_wins_when_later(void **state)
{
    struct fixture *fixture = *state;
    script(&fixture->deliverer, NOTIFY_RETRY, 120000, "HTTP 429 Too Many Requests");
    script(&fixture->deliverer, NOTIFY_RETRY, 5000, "HTTP 429 Too Many Requests");
    script(&fixture->deliverer, NOTIFY_DELIVERED, 0, "HTTP 200");
    add(fixture->temp.store, message_of("m-1", SUB_A, "root-usage"));

    struct monitor_delivery_report report = deliver_at(fixture, T0, 10);
    assert_report(&report, 0, 1, 0);
    assert_non_null(
        strstr(outcome_of(fixture->temp.store, "m-1"), "|pending|1|1795687851290|1795687971290|"));
    report = deliver_at(fixture, T0 + 119999, 10);
    assert_report(&report, 0, 0, 0);

    /* a Retry-After sooner than the policy's next time does not hurry it */
    report = deliver_at(fixture, T0 + 120000, 10);
    assert_report(&report, 0, 1, 0);
    assert_non_null(
        strstr(outcome_of(fixture->temp.store, "m-1"), "|pending|2|1795687851290|1795687991290|"));
    report = deliver_at(fixture, T0 + 140000, 10);
    assert_report(&report, 1, 0, 0);
}

static void permanent_failure_parks_at_once(void **state)
{
    struct fixture *fixture = *state;
    script(&fixture->deliverer, NOTIFY_PERMANENT, 0, "HTTP 400 Bad Request: invalid routing key");
    add(fixture->temp.store, message_of("m-1", SUB_A, "root-usage"));

    struct monitor_delivery_report report = deliver_at(fixture, T0, 10);
    assert_report(&report, 0, 0, 1);
    assert_string_equal(outcome_of(fixture->temp.store, "m-1"),
                        "m-1|env:" HOOK_VARIABLE "|failed|1|1795687851290|1795687851290|HTTP 400 "
                        "Bad Request: invalid routing key");
    assert_string_equal(report.first_failure,
                        "message m-1 to " SUB_A ": HTTP 400 Bad Request: invalid routing key");
    report = deliver_at(fixture, INT64_MAX, 0);
    assert_report(&report, 0, 0, 0);
    assert_int_equal(fixture->deliverer.calls, 1);
}

static void restart_between_attempts_resumes(void **state)
{
    struct fixture *fixture = *state;
    script(&fixture->deliverer, NOTIFY_RETRY, 0, "connection refused");
    add(fixture->temp.store, message_of("m-1", SUB_A, "root-usage"));
    for (int64_t now = T0; now <= T0 + 60000; now += 20000) {
        struct monitor_delivery_report report = deliver_at(fixture, now, 10);
        assert_int_equal(report.retried + report.failed, 1);
        store_close(fixture->temp.store);
        fixture->temp.store = temp_store_open(fixture->temp.database);
    }
    assert_int_equal(fixture->deliverer.calls, 4);
    assert_string_equal(outcome_of(fixture->temp.store, "m-1"),
                        "m-1|env:" HOOK_VARIABLE "|failed|4|1795687851290|1795687911290|gave up "
                        "after 4 attempts over 60 s: connection refused");
}

static void unreadable_policy_fails_on_the_first_retry(void **state)
{
    struct fixture *fixture = *state;
    script(&fixture->deliverer, NOTIFY_RETRY, 0, "timeout");
    struct store_outbox_message message = message_of("m-1", SUB_A, NULL);
    message.policy = "whenever";
    add(fixture->temp.store, message);
    struct monitor_delivery_report report = deliver_at(fixture, T0, 10);
    assert_report(&report, 0, 0, 1);
    const char *outcome = outcome_of(fixture->temp.store, "m-1");
    assert_non_null(strstr(outcome, "|failed|1|"));
    assert_non_null(strstr(outcome, "|retry policy: "));
    assert_non_null(strstr(outcome, "; last error: timeout"));
}

/* The injected random source gives the jitter. */
static double fixed_random(void *context)
{
    int *calls = context;
    ++*calls;
    return 0.5;
}

static void random_source_is_asked_at_each_retry(void **state)
{
    struct fixture *fixture = *state;
    int calls = 0;
    fixture->settings.random = fixed_random;
    fixture->settings.random_context = &calls;
    script(&fixture->deliverer, NOTIFY_RETRY, 0, "timeout");
    script(&fixture->deliverer, NOTIFY_DELIVERED, 0, "HTTP 200");
    struct store_outbox_message message = message_of("m-1", SUB_A, NULL);
    message.policy = "trailhound-default";
    add(fixture->temp.store, message);
    struct monitor_delivery_report report = deliver_at(fixture, T0, 10);
    assert_report(&report, 0, 1, 0);
    assert_int_equal(calls, 1);
    report = deliver_at(fixture, T0 + 24 * 3600 * 1000, 10);
    assert_report(&report, 1, 0, 0);
    assert_int_equal(calls, 1);
}

/* ---- order ---------------------------------------------------------------------------- */

/* A resolve waits for its trigger's delivery, or its failure; other alarms do not wait. */
static void resolve_waits_for_its_trigger(void **state)
{
    struct fixture *fixture = *state;
    script(&fixture->deliverer, NOTIFY_RETRY, 0, "HTTP 502");
    script(&fixture->deliverer, NOTIFY_DELIVERED, 0, "HTTP 200");
    add(fixture->temp.store, message_of("trigger", SUB_A, "root-usage"));
    add(fixture->temp.store, message_of("resolve", SUB_A, "root-usage"));
    add(fixture->temp.store, message_of("other", SUB_A, "console-login"));

    struct monitor_delivery_report report = deliver_at(fixture, T0, 0);
    assert_report(&report, 1, 1, 0);
    assert_int_equal(fixture->deliverer.calls, 2);
    assert_non_null(strstr(fixture->deliverer.seen[0], "|trigger|"));
    assert_non_null(strstr(fixture->deliverer.seen[1], "|other|"));
    assert_non_null(strstr(outcome_of(fixture->temp.store, "resolve"), "|pending|0|"));

    /* the trigger goes through, and the resolve follows in the same call */
    report = deliver_at(fixture, T0 + 20000, 0);
    assert_report(&report, 2, 0, 0);
    assert_non_null(strstr(fixture->deliverer.seen[2], "|trigger|"));
    assert_non_null(strstr(fixture->deliverer.seen[3], "|resolve|"));
}

static void resolve_follows_a_failed_trigger_and_limit_counts_attempts(void **state)
{
    struct fixture *fixture = *state;
    script(&fixture->deliverer, NOTIFY_PERMANENT, 0, "HTTP 400");
    script(&fixture->deliverer, NOTIFY_DELIVERED, 0, "HTTP 200");
    add(fixture->temp.store, message_of("trigger", SUB_A, "root-usage"));
    add(fixture->temp.store, message_of("resolve", SUB_A, "root-usage"));

    struct monitor_delivery_report report = deliver_at(fixture, T0, 1);
    assert_report(&report, 0, 0, 1);
    assert_non_null(strstr(outcome_of(fixture->temp.store, "resolve"), "|pending|0|"));
    report = deliver_at(fixture, T0, 1);
    assert_report(&report, 1, 0, 0);
    assert_non_null(strstr(fixture->deliverer.seen[1], "|resolve|"));
}

/* ---- the failure alert ---------------------------------------------------------------- */

struct alert_writer {
    int calls;
    bool refuse;
    char failed[1024];
};

static bool enqueue_failure_alert(void *context, struct store *store,
                                  const struct store_outbox_message *failed, int64_t now_ms,
                                  struct store_error *error)
{
    struct alert_writer *writer = context;
    writer->calls++;
    snprintf(writer->failed, sizeof writer->failed, "%s|%s|%d|%s", failed->message_id,
             failed->state, failed->attempts, failed->last_error);
    if (writer->refuse) {
        snprintf(error->message, sizeof error->message, "no subscription confirmed");
        return false;
    }
    char message_id[64];
    snprintf(message_id, sizeof message_id, "alert-%d", writer->calls);
    struct store_outbox_message alert = {
        .message_id = message_id,
        .topic_arn = FALLBACK_TOPIC,
        .subscription_arn = FALLBACK_SUB,
        .protocol = "email",
        .endpoint = "ops@example.com",
        .subject = "trailhound could not deliver a notification",
        .body = failed->last_error,
        .attributes_json = "{}",
        .policy = "sns-default",
        .created_ms = now_ms,
        .next_attempt_ms = now_ms,
    };
    return store_outbox_add(store, &alert, error);
}

static void failed_message_alerts_the_fallback_topic(void **state)
{
    struct fixture *fixture = *state;
    struct alert_writer writer = {0};
    fixture->settings.fallback_topic_arn = FALLBACK_TOPIC;
    fixture->settings.enqueue_failure = enqueue_failure_alert;
    fixture->settings.enqueue_context = &writer;
    fixture->settings.smtp_url = "smtp://mail.example.com:25";
    fixture->settings.smtp_password = "env:" HOOK_VARIABLE;
    script(&fixture->deliverer, NOTIFY_PERMANENT, 0, "HTTP 410 Gone");
    add(fixture->temp.store, message_of("m-1", SUB_A, "root-usage"));

    /* the alert is due at once and goes out in the same call; it fails too, but a failure
     * of the fallback topic raises no alert of its own */
    struct monitor_delivery_report report = deliver_at(fixture, T0, 0);
    assert_report(&report, 0, 0, 2);
    assert_int_equal(report.alerts, 1);
    assert_int_equal(writer.calls, 1);
    assert_string_equal(writer.failed, "m-1|failed|1|HTTP 410 Gone");
    assert_string_equal(report.first_failure, "message m-1 to " SUB_A ": HTTP 410 Gone");
    assert_int_equal(fixture->deliverer.calls, 2);
    assert_string_equal(fixture->deliverer.seen[1],
                        "email|ops@example.com|alert-1|Notification|" FALLBACK_TOPIC
                        "|" FALLBACK_SUB "|trailhound could not deliver a notification|raw=0|"
                        "(null)|timeout=15|smtp=smtp://mail.example.com:25/"
                        "https://hooks.example.com/secret-path");
    assert_string_equal(fixture->deliverer.bodies[1], "HTTP 410 Gone");
    assert_non_null(strstr(outcome_of(fixture->temp.store, "alert-1"), "|failed|1|"));
}

static void alert_that_cannot_be_queued_still_parks_the_message(void **state)
{
    struct fixture *fixture = *state;
    struct alert_writer writer = {.refuse = true};
    fixture->settings.fallback_topic_arn = FALLBACK_TOPIC;
    fixture->settings.enqueue_failure = enqueue_failure_alert;
    fixture->settings.enqueue_context = &writer;
    script(&fixture->deliverer, NOTIFY_PERMANENT, 0, "HTTP 404");
    add(fixture->temp.store, message_of("m-1", SUB_A, "root-usage"));

    struct monitor_delivery_report report;
    struct monitor_error error;
    assert_false(
        monitor_deliver_due(fixture->temp.store, &fixture->settings, T0, 0, &report, &error));
    assert_string_equal(error.message, "outbox message m-1 failed, but its alert to " FALLBACK_TOPIC
                                       " could not be queued: no subscription confirmed");
    assert_int_equal(report.failed, 1);
    assert_int_equal(report.alerts, 0);
    assert_non_null(strstr(outcome_of(fixture->temp.store, "m-1"), "|failed|1|"));
    assert_int_equal(action_history(fixture->temp.store).count, 1);
    /* not tried again */
    writer.refuse = false;
    report = deliver_at(fixture, T0 + 1000, 0);
    assert_report(&report, 0, 0, 0);
    assert_int_equal(fixture->deliverer.calls, 1);

    /* a fallback topic without the callback is refused before anything is tried */
    fixture->settings.enqueue_failure = NULL;
    assert_false(
        monitor_deliver_due(fixture->temp.store, &fixture->settings, T0, 0, &report, &error));
    assert_string_equal(error.message,
                        "outbox: a fallback topic needs the enqueue_failure callback");
}

/* ---- delivery as the configuration says ------------------------------------------------ */

/* monitor_configured_delivery, the rule `scan --notify` and `serve` share: every setting
 * reaches the delivery, the --smtp-url flag wins over the file, and a message failed for
 * good alerts the fallbackTopic's subscribers, found by name among the topics. */
static void configured_delivery_follows_the_settings(void **state)
{
    struct fixture *fixture = *state;
    struct notify_subscription operations = {.protocol = NOTIFY_EMAIL,
                                             .endpoint = "ops@example.com",
                                             .arn = FALLBACK_SUB,
                                             .confirmed = true};
    struct notify_topic topics[] = {
        {.name = "alerts", .arn = TOPIC},
        {.name = "trailhound-failures",
         .arn = FALLBACK_TOPIC,
         .subscriptions = &operations,
         .subscription_count = 1},
    };
    struct notify_topic_list list = {.items = topics, .count = 2};
    struct monitor_notify_settings notify = {.topics = &list,
                                             .region = "us-east-1",
                                             .account_id = "123456789012",
                                             .public_base_url = "http://127.0.0.1:4566"};
    struct config_settings settings = {.region = "eu-west-1",
                                       .smtp_url = "smtp://file.example.com:25",
                                       .smtp_username = "mailer",
                                       .smtp_password = "env:" HOOK_VARIABLE,
                                       .smtp_starttls = true,
                                       .pagerduty_url = "http://127.0.0.1:9/v2/enqueue",
                                       .sns_endpoint = "http://127.0.0.1:9/sns",
                                       .tls_ca_file = "/etc/trailhound/ca.pem",
                                       .fallback_topic = "trailhound-failures"};
    struct monitor_fallback fallback;
    struct monitor_delivery_settings delivery =
        monitor_configured_delivery(&settings, NULL, &notify, &fallback);
    assert_string_equal(delivery.smtp_url, "smtp://file.example.com:25");
    assert_string_equal(delivery.smtp_from, "trailhound@localhost");
    assert_string_equal(delivery.smtp_username, "mailer");
    assert_string_equal(delivery.smtp_password, "env:" HOOK_VARIABLE);
    assert_true(delivery.smtp_starttls);
    assert_string_equal(delivery.pagerduty_url, "http://127.0.0.1:9/v2/enqueue");
    assert_string_equal(delivery.sns_endpoint, "http://127.0.0.1:9/sns");
    assert_string_equal(delivery.sns_region, "eu-west-1");
    assert_string_equal(delivery.ca_file, "/etc/trailhound/ca.pem");
    assert_string_equal(delivery.fallback_topic_arn, FALLBACK_TOPIC);
    assert_ptr_equal(fallback.topic, &topics[1]);

    settings.smtp_from = "trailhound@example.com";
    delivery =
        monitor_configured_delivery(&settings, "smtp://flag.example.com:2525", &notify, &fallback);
    assert_string_equal(delivery.smtp_url, "smtp://flag.example.com:2525");
    assert_string_equal(delivery.smtp_from, "trailhound@example.com");

    /* the alert is written by monitor_enqueue_failure_alert and delivered in the same call */
    delivery.deliver = fake_deliver;
    delivery.deliver_context = &fixture->deliverer;
    fixture->settings = delivery;
    script(&fixture->deliverer, NOTIFY_PERMANENT, 0, "HTTP 410 Gone");
    add(fixture->temp.store, message_of("m-1", SUB_A, "root-usage"));
    struct monitor_delivery_report report = deliver_at(fixture, T0, 0);
    assert_report(&report, 0, 0, 2);
    assert_int_equal(report.alerts, 1);
    assert_int_equal(fixture->deliverer.calls, 2);
    assert_memory_equal(fixture->deliverer.seen[1], "email|ops@example.com|", 22);
    assert_non_null(strstr(fixture->deliverer.seen[1],
                           "|Notification|" FALLBACK_TOPIC "|" FALLBACK_SUB
                           "|trailhound: a notification could not be delivered|raw=0|"
                           "http://127.0.0.1:9/v2/enqueue|timeout=15|"
                           "smtp=smtp://flag.example.com:2525/https://hooks.example.com/"
                           "secret-path"));

    /* without fallbackTopic, or naming no topic, a failure alerts nobody */
    settings.fallback_topic = NULL;
    delivery = monitor_configured_delivery(&settings, NULL, &notify, &fallback);
    assert_null(delivery.fallback_topic_arn);
    assert_null(delivery.enqueue_failure);
    settings.fallback_topic = "missing";
    delivery = monitor_configured_delivery(&settings, NULL, &notify, &fallback);
    assert_null(delivery.fallback_topic_arn);
    assert_null(delivery.enqueue_failure);
}

/* ---- secrets and attributes ----------------------------------------------------------- */

static void secrets_are_resolved_at_each_attempt_and_never_stored(void **state)
{
    struct fixture *fixture = *state;
    script(&fixture->deliverer, NOTIFY_RETRY, 0, "HTTP 500");
    script(&fixture->deliverer, NOTIFY_DELIVERED, 0, "HTTP 200");
    add(fixture->temp.store, message_of("m-1", SUB_A, "root-usage"));

    deliver_at(fixture, T0, 0);
    setenv(HOOK_VARIABLE, "https://hooks.example.com/rotated", 1);
    deliver_at(fixture, T0 + 20000, 0);
    assert_int_equal(fixture->deliverer.calls, 2);
    assert_non_null(strstr(fixture->deliverer.seen[0], "|https://hooks.example.com/secret-path|"));
    assert_non_null(strstr(fixture->deliverer.seen[1], "|https://hooks.example.com/rotated|"));
    assert_non_null(
        strstr(outcome_of(fixture->temp.store, "m-1"), "|env:" HOOK_VARIABLE "|delivered|"));

    /* nothing in the store holds the resolved value */
    struct rows rows = action_history(fixture->temp.store);
    assert_int_equal(rows.count, 1);
    assert_null(strstr(rows.text[0], "hooks.example.com"));
}

static void unreadable_secret_is_retried_without_an_attempt(void **state)
{
    struct fixture *fixture = *state;
    script(&fixture->deliverer, NOTIFY_DELIVERED, 0, "HTTP 200");
    add(fixture->temp.store, message_of("m-1", SUB_A, "root-usage"));
    unsetenv(HOOK_VARIABLE);

    struct monitor_delivery_report report = deliver_at(fixture, T0, 0);
    assert_report(&report, 0, 1, 0);
    assert_int_equal(fixture->deliverer.calls, 0);
    const char *outcome = outcome_of(fixture->temp.store, "m-1");
    assert_non_null(strstr(outcome, "|pending|1|1795687851290|1795687871290|endpoint: "));
    assert_non_null(strstr(outcome, HOOK_VARIABLE));

    setenv(HOOK_VARIABLE, "https://hooks.example.com/back", 1);
    report = deliver_at(fixture, T0 + 20000, 0);
    assert_report(&report, 1, 0, 0);
}

static void attributes_default_to_the_row_and_bad_ones_fail(void **state)
{
    struct fixture *fixture = *state;
    script(&fixture->deliverer, NOTIFY_DELIVERED, 0, "HTTP 200");
    struct store_outbox_message message = message_of("defaults", SUB_A, NULL);
    message.attributes_json = "{}";
    message.subject = NULL;
    add(fixture->temp.store, message);
    message = message_of("overridden", SUB_B, NULL);
    message.attributes_json = "{\"messageType\":\"SubscriptionConfirmation\",\"topicArn\":"
                              "\"arn:t\",\"subscriptionArn\":\"arn:s\",\"raw\":false}";
    add(fixture->temp.store, message);
    const char *const bad[][2] = {
        {"raw-text", "{\"raw\":\"yes\"}"},
        {"type-number", "{\"messageType\":1}"},
        {"array", "[]"},
    };
    for (size_t i = 0; i < 3; i++) {
        message = message_of(bad[i][0], SUB_A, bad[i][0]);
        message.attributes_json = bad[i][1];
        add(fixture->temp.store, message);
    }
    message = message_of("carrier-pigeon", SUB_A, "pigeon");
    message.protocol = "carrier-pigeon";
    add(fixture->temp.store, message);

    struct monitor_delivery_report report = deliver_at(fixture, T0, 0);
    assert_report(&report, 2, 0, 4);
    assert_int_equal(fixture->deliverer.calls, 2);
    assert_string_equal(fixture->deliverer.seen[0],
                        "https|https://hooks.example.com/secret-path|defaults|Notification|" TOPIC
                        "|" SUB_A "|(null)|raw=0|(null)|timeout=15|smtp=(none)/(none)");
    assert_string_equal(fixture->deliverer.seen[1],
                        "https|https://hooks.example.com/secret-path|overridden|"
                        "SubscriptionConfirmation|arn:t|arn:s|ALARM: \"root-usage\" in US East "
                        "(N. Virginia)|raw=0|(null)|timeout=15|smtp=(none)/(none)");
    assert_non_null(strstr(outcome_of(fixture->temp.store, "raw-text"),
                           "|failed|1|1795687851290|1795687851290|attributes_json: raw must be "
                           "true or false"));
    assert_non_null(strstr(outcome_of(fixture->temp.store, "type-number"),
                           "|attributes_json: messageType must be a string"));
    assert_non_null(
        strstr(outcome_of(fixture->temp.store, "array"), "|attributes_json is not a JSON object"));
    assert_non_null(strstr(outcome_of(fixture->temp.store, "carrier-pigeon"),
                           "|unknown protocol \"carrier-pigeon\""));
}

static void settings_reach_the_deliverer(void **state)
{
    struct fixture *fixture = *state;
    fixture->settings.pagerduty_url = "http://127.0.0.1:9/v2/enqueue";
    fixture->settings.timeout_seconds = 3;
    script(&fixture->deliverer, NOTIFY_DELIVERED, 0, "HTTP 202");
    struct store_outbox_message message = message_of("pd", SUB_A, "root-usage");
    message.protocol = "pagerduty";
    message.endpoint = "0123456789abcdef0123456789abcdef";
    message.body = "{\"routing_key\":\"0123456789abcdef0123456789abcdef\"}";
    add(fixture->temp.store, message);
    struct monitor_delivery_report report = deliver_at(fixture, T0, 0);
    assert_report(&report, 1, 0, 0);
    assert_string_equal(fixture->deliverer.seen[0],
                        "pagerduty|0123456789abcdef0123456789abcdef|pd|Notification|" TOPIC
                        "|" SUB_A "|ALARM: \"root-usage\" in US East (N. Virginia)|raw=0|"
                        "http://127.0.0.1:9/v2/enqueue|timeout=3|smtp=(none)/(none)");
    /* the routing key stays out of the history */
    struct rows rows = action_history(fixture->temp.store);
    assert_int_equal(rows.count, 1);
    assert_null(strstr(rows.text[0], "publishedMessage"));
    assert_null(strstr(rows.text[0], "0123456789abcdef"));
}

/* ---- Action history ------------------------------------------------------------------- */

static void outcomes_write_action_history_items(void **state)
{
    struct fixture *fixture = *state;
    script(&fixture->deliverer, NOTIFY_DELIVERED, 0, "HTTP 200");
    script(&fixture->deliverer, NOTIFY_PERMANENT, 0, "550 mailbox unavailable");
    script(&fixture->deliverer, NOTIFY_DELIVERED, 0, "HTTP 200");
    add(fixture->temp.store, message_of("ok", SUB_A, "root-usage"));
    add(fixture->temp.store, message_of("bad", SUB_B, "root-usage"));
    add(fixture->temp.store, message_of("no-alarm", SUB_A, NULL));

    struct monitor_delivery_report report = deliver_at(fixture, T0, 0);
    assert_report(&report, 2, 0, 1);
    struct rows rows = action_history(fixture->temp.store);
    assert_int_equal(rows.count, 2);
    assert_string_equal(
        rows.text[0],
        "root-usage|1795687851290|Action|Successfully executed action " TOPIC
        "|{\"actionState\":\"Succeeded\",\"stateUpdateTimestamp\":1795687851000,"
        "\"notificationResource\":\"" TOPIC "\",\"subscriptionArn\":\"" SUB_A "\","
        "\"messageId\":\"ok\",\"publishedMessage\":\"{\\\"Type\\\":\\\"Notification\\\"}\"}");
    assert_string_equal(
        rows.text[1],
        "root-usage|1795687851290|Action|Failed to execute action " TOPIC
        ". Reason: 550 mailbox unavailable|{\"actionState\":\"Failed\","
        "\"stateUpdateTimestamp\":1795687851000,\"notificationResource\":\"" TOPIC "\","
        "\"subscriptionArn\":\"" SUB_B "\",\"messageId\":\"bad\",\"publishedMessage\":"
        "\"{\\\"Type\\\":\\\"Notification\\\"}\"}");
}

static void published_message_is_cut_on_a_character(void **state)
{
    struct fixture *fixture = *state;
    script(&fixture->deliverer, NOTIFY_DELIVERED, 0, "HTTP 200");
    char body[2048];
    memset(body, 'a', 1023);
    for (size_t i = 1023; i + 2 < sizeof body; i += 2)
        memcpy(body + i, "\xc3\xa9", 2); /* é from byte 1023: byte 1024 is its second half */
    body[sizeof body - 1] = '\0';
    struct store_outbox_message message = message_of("long", SUB_A, "root-usage");
    message.body = body;
    add(fixture->temp.store, message);
    deliver_at(fixture, T0, 0);

    struct rows rows = action_history(fixture->temp.store);
    assert_int_equal(rows.count, 1);
    const char *published = strstr(rows.text[0], "\"publishedMessage\":\"");
    assert_non_null(published);
    published += strlen("\"publishedMessage\":\"");
    const char *end = strchr(published, '"');
    assert_non_null(end);
    assert_int_equal(end - published, 1023);
    assert_int_equal(strspn(published, "a"), 1023);
}

int main(void)
{
#define TEST(name) cmocka_unit_test_setup_teardown(name, set_up, tear_down)
    const struct CMUnitTest tests[] = {
        TEST(delivered_once_and_never_again),
        TEST(retryable_failure_follows_the_sns_default_schedule),
        TEST(retry_after_wins_when_later),
        TEST(permanent_failure_parks_at_once),
        TEST(restart_between_attempts_resumes),
        TEST(unreadable_policy_fails_on_the_first_retry),
        TEST(random_source_is_asked_at_each_retry),
        TEST(resolve_waits_for_its_trigger),
        TEST(resolve_follows_a_failed_trigger_and_limit_counts_attempts),
        TEST(failed_message_alerts_the_fallback_topic),
        TEST(alert_that_cannot_be_queued_still_parks_the_message),
        TEST(configured_delivery_follows_the_settings),
        TEST(secrets_are_resolved_at_each_attempt_and_never_stored),
        TEST(unreadable_secret_is_retried_without_an_attempt),
        TEST(attributes_default_to_the_row_and_bad_ones_fail),
        TEST(settings_reach_the_deliverer),
        TEST(outcomes_write_action_history_items),
        TEST(published_message_is_cut_on_a_character),
    };
#undef TEST
    return cmocka_run_group_tests(tests, NULL, NULL);
}
