/* SNS's subscription flow (monitor_subscribe, monitor_confirm_subscription,
 * monitor_unsubscribe) delivered for real by the outbox worker to real receivers on
 * 127.0.0.1 — tests/support/http_receiver.py and Debian's aiosmtpd:
 *  - http: a signed SubscriptionConfirmation without x-amz-sns-subscription-arn; no alarm
 *    message before the token from that envelope comes back; after it, the next transition
 *    is delivered; Unsubscribe sends a signed UnsubscribeConfirmation whose token restores;
 *  - e-mail: SNS's confirmation mail whose link carries the token; email-json: the envelope;
 *  - Slack: a message with the link; pagerduty and sns confirmed at once, exec only when
 *    allowed;
 *  - refusals (SNS's wording), subscribing again, configured topics, expired tokens, the
 *    caller's transaction, and monitor_topics_load's merge of file and store. */
#define _XOPEN_SOURCE 700
#include "monitor/monitor.h"
#include "notify/notify_curl.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../support/receivers.h"
#include "../support/temp_store.h"

#define NOW INT64_C(1795687851290) /* 2026-11-26T10:10:51.290Z */
#define DAY_MS INT64_C(86400000)
#define BASE "https://trailhound.example.com"
#define ALERTS "arn:aws:sns:us-east-1:123456789012:alerts"
#define CONFIGURED "arn:aws:sns:us-east-1:123456789012:configured"
#define CONFIGURED_SUBSCRIPTION CONFIGURED ":11111111-2222-4333-8444-555555555555"
#define FROM "trailhound@example.com"

/* libcurl as a command loads it (the group setup), for every delivery */
static struct notify_curl *curl;

static struct receiver http_server, smtp_server;
static struct notify_signing_key key;

static int start_servers(void **state)
{
    (void)state;
    struct notify_error curl_error; /* as the commands that deliver do */
    if (!(curl = notify_curl_load(&curl_error))) {
        print_error("%s\n", curl_error.message);
        return -1;
    }
    struct store_error store_error;
    struct monitor_error error;
    struct store *scratch = store_open(":memory:", &store_error);
    bool ok = scratch && monitor_signing_key(scratch, &key, &error);
    store_close(scratch);
    return ok && receiver_start(&http_server, "http_receiver.py", NULL) &&
                   receiver_start(&smtp_server, "smtp_receiver.py", NULL)
               ? 0
               : -1;
}

static int stop_servers(void **state)
{
    (void)state;
    receiver_stop(&smtp_server);
    receiver_stop(&http_server);
    notify_signing_key_free(&key);
    notify_curl_unload(curl);
    curl = NULL;
    return 0;
}

/* ---- fixture ---------------------------------------------------------------------------- */

struct fixture {
    struct temp_store temp;
    struct notify_subscription configured_subscription;
    struct notify_topic configured_topic;
    struct notify_topic_list configured;
    struct monitor_subscription_settings settings;
    char smtp_url[64];
    struct monitor_delivery_settings delivery;
};

static int set_up(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    temp_store_make(&f->temp, "test_monitor_subscriptions", "trailhound.db", true);
    struct store_error error;
    struct store_topic alerts = {ALERTS, "alerts", "{}", NOW};
    bool created;
    assert_true(store_topic_put(f->temp.store, &alerts, &created, &error));
    f->configured_subscription = (struct notify_subscription){.protocol = NOTIFY_EMAIL,
                                                              .endpoint = "soc@example.com",
                                                              .arn = CONFIGURED_SUBSCRIPTION,
                                                              .confirmed = true};
    f->configured_topic = (struct notify_topic){.name = "configured",
                                                .arn = CONFIGURED,
                                                .subscriptions = &f->configured_subscription,
                                                .subscription_count = 1};
    f->configured = (struct notify_topic_list){.items = &f->configured_topic, .count = 1};
    f->settings = (struct monitor_subscription_settings){
        .configured = &f->configured, .public_base_url = BASE "/", .signing_key = &key};
    snprintf(f->smtp_url, sizeof f->smtp_url, "smtp://127.0.0.1:%d", smtp_server.port);
    f->delivery = (struct monitor_delivery_settings){
        .smtp_url = f->smtp_url, .smtp_from = FROM, .timeout_seconds = 10, .curl = curl};
    *state = f;
    return 0;
}

static int tear_down(void **state)
{
    struct fixture *f = *state;
    int status = temp_store_remove(&f->temp);
    free(f);
    return status;
}

/* ---- helpers ------------------------------------------------------------------------------- */

static char url_text[8][256];

/* A URL of the HTTP receiver; each test uses its own path, so the shared log tells them
 * apart. */
static const char *receiver_url(int slot, const char *path)
{
    snprintf(url_text[slot], sizeof url_text[slot], "%s%s", http_server.base_url, path);
    return url_text[slot];
}

/* Subscribe expected to succeed; returns what it answered (malloc'ed). */
static char *subscribe(struct fixture *f, const char *topic, const char *protocol,
                       const char *endpoint, const char *attributes)
{
    char *answer = NULL;
    struct monitor_error error = {{0}};
    enum monitor_sns_status status = monitor_subscribe(f->temp.store, &f->settings, topic, protocol,
                                                       endpoint, attributes, NOW, &answer, &error);
    if (status != MONITOR_SNS_OK)
        fail_msg("monitor_subscribe %s %s: %d %s", protocol, endpoint, status, error.message);
    assert_non_null(answer);
    return answer;
}

/* Subscribe expected to be refused with `expected` status and message. */
static void refused(struct fixture *f, const char *topic, const char *protocol,
                    const char *endpoint, const char *attributes, enum monitor_sns_status expected,
                    const char *message)
{
    char *answer = (char *)"untouched";
    struct monitor_error error = {{0}};
    enum monitor_sns_status status = monitor_subscribe(f->temp.store, &f->settings, topic, protocol,
                                                       endpoint, attributes, NOW, &answer, &error);
    assert_int_equal(status, expected);
    assert_null(answer);
    assert_string_equal(error.message, message);
}

static char *confirm(struct fixture *f, const char *topic, const char *token, int64_t now)
{
    char *arn = NULL;
    struct monitor_error error = {{0}};
    enum monitor_sns_status status =
        monitor_confirm_subscription(f->temp.store, topic, token, now, &arn, &error);
    if (status != MONITOR_SNS_OK)
        fail_msg("monitor_confirm_subscription: %d %s", status, error.message);
    return arn;
}

static bool copy_arn(void *context, const struct store_subscription *subscription)
{
    snprintf(context, 256, "%s", subscription->arn);
    return false;
}

/* The ARN of the store's only (first) subscription to `topic`. */
static const char *stored_arn(struct fixture *f, const char *topic, char arn[256])
{
    arn[0] = '\0';
    struct store_error error;
    assert_true(store_subscription_list(f->temp.store, topic, copy_arn, arn, &error));
    assert_true(arn[0] != '\0');
    return arn;
}

static void deliver(struct fixture *f, size_t expected_delivered)
{
    struct monitor_delivery_report report;
    struct monitor_error error;
    if (!monitor_deliver_due(f->temp.store, &f->delivery, NOW, 0, &report, &error))
        fail_msg("monitor_deliver_due: %s", error.message);
    if (report.delivered != expected_delivered || report.failed || report.retried)
        fail_msg("delivered %zu (expected %zu), failed %zu, retried %zu: %s", report.delivered,
                 expected_delivered, report.failed, report.retried, report.first_failure);
}

struct counted {
    const char *subscription_arn;
    size_t alarm_messages;
};

static bool count_alarm_messages(void *context, const struct store_outbox_message *message)
{
    struct counted *counted = context;
    if (message->alarm_name && strcmp(message->subscription_arn, counted->subscription_arn) == 0)
        counted->alarm_messages++;
    return true;
}

/* A transition of an alarm whose AlarmActions name `topic`, queued as scan queues it: the
 * topics loaded from the file and the store. Returns how many alarm messages the outbox
 * now holds for `subscription_arn`. */
static size_t alarm_fires(struct fixture *f, const char *topic, const char *subscription_arn)
{
    struct alarm_definition alarm;
    alarm_definition_init(&alarm);
    alarm.alarm_name = strdup("root-use");
    alarm.metric.namespace_name = strdup("CISBenchmark");
    alarm.metric.metric_name = strdup("root_usage_metric");
    alarm.statistic = strdup("Sum");
    alarm.period = 300;
    alarm.evaluation_periods = 1;
    alarm.threshold = 1;
    alarm.alarm_actions.items[0] = strdup(topic);
    alarm.alarm_actions.count = 1;
    struct monitor_transition transition = {
        .alarm_name = "root-use",
        .time_ms = NOW,
        .from = ALARM_STATE_OK,
        .to = ALARM_STATE_ALARM,
        .reason = "Threshold Crossed: 1 datapoint [1.0 (26/11/26 10:05:00)] was greater than or "
                  "equal to the threshold (1.0).",
    };
    struct notify_topic_list topics;
    struct monitor_error error;
    if (!monitor_topics_load(f->temp.store, &f->configured, &topics, &error))
        fail_msg("monitor_topics_load: %s", error.message);
    struct monitor_notify_settings settings = {.topics = &topics,
                                               .region = "us-east-1",
                                               .account_id = "123456789012",
                                               .public_base_url = BASE,
                                               .signing_key = &key};
    if (!monitor_enqueue_notifications(f->temp.store, &alarm, &transition, &settings, NOW, &error))
        fail_msg("monitor_enqueue_notifications: %s", error.message);
    notify_topic_list_free(&topics);
    alarm_definition_free(&alarm);
    struct counted counted = {subscription_arn, 0};
    struct store_error store_error;
    assert_true(
        store_outbox_list(f->temp.store, NULL, 0, count_alarm_messages, &counted, &store_error));
    return counted.alarm_messages;
}

struct stored_counts {
    size_t subscriptions, messages;
};

static bool count_message(void *context, const struct store_outbox_message *message)
{
    (void)message;
    ((struct stored_counts *)context)->messages++;
    return true;
}

static bool count_subscription(void *context, const struct store_subscription *subscription)
{
    (void)subscription;
    ((struct stored_counts *)context)->subscriptions++;
    return true;
}

/* How many subscriptions and outbox messages the store holds. */
static struct stored_counts stored(struct fixture *f)
{
    struct stored_counts counts = {0};
    struct store_error error;
    assert_true(store_subscription_list(f->temp.store, NULL, count_subscription, &counts, &error));
    assert_true(store_outbox_list(f->temp.store, NULL, 0, count_message, &counts, &error));
    return counts;
}

static void assert_stored(struct fixture *f, size_t subscriptions, size_t messages)
{
    struct stored_counts counts = stored(f);
    assert_int_equal(counts.subscriptions, subscriptions);
    assert_int_equal(counts.messages, messages);
}

/* The receiver's requests to `path`, oldest first (json_decref the array). */
static json_t *requests_to(const char *path)
{
    json_t *log = receiver_log(&http_server), *matching = json_array();
    size_t i;
    json_t *entry;
    json_array_foreach(log, i, entry)
    {
        if (strcmp(receiver_string(entry, "path"), path) == 0)
            json_array_append(matching, entry);
    }
    json_decref(log);
    return matching;
}

/* The mails to `recipient`, oldest first (json_decref the array). */
static json_t *mails_to(const char *recipient)
{
    json_t *log = receiver_log(&smtp_server), *matching = json_array();
    size_t i;
    json_t *entry;
    json_array_foreach(log, i, entry)
    {
        const char *to = json_string_value(json_array_get(json_object_get(entry, "rcpt_tos"), 0));
        if (to && strcmp(to, recipient) == 0)
            json_array_append(matching, entry);
    }
    json_decref(log);
    return matching;
}

/* The signed envelope a request or mail carried: verified against our certificate, then
 * parsed (json_decref it). */
static json_t *verified_envelope(const char *body)
{
    struct notify_error error = {{0}};
    if (!notify_envelope_verify(body, key.certificate_pem, &error))
        fail_msg("signature: %s\n%s", error.message, body);
    json_t *envelope = json_loads(body, 0, NULL);
    assert_non_null(envelope);
    return envelope;
}

static const char *member(json_t *object, const char *name)
{
    const char *value = json_string_value(json_object_get(object, name));
    if (!value)
        fail_msg("no member %s", name);
    return value;
}

static void assert_hex_token(const char *token)
{
    assert_int_equal(strlen(token), 128);
    assert_int_equal(strspn(token, "0123456789abcdef"), 128);
}

/* ---- http: confirmation, delivery, unsubscribe ------------------------------------------- */

/* Subscribes `endpoint` with `protocol`, which answers "pending confirmation", and delivers
 * its confirmation request: what `received` (requests_to or mails_to) then finds for
 * `where`, one entry (json_decref). */
static json_t *subscribe_pending(struct fixture *f, const char *protocol, const char *endpoint,
                                 json_t *(*received)(const char *), const char *where)
{
    char *answer = subscribe(f, ALERTS, protocol, endpoint, NULL);
    assert_string_equal(answer, MONITOR_PENDING_CONFIRMATION);
    free(answer);
    deliver(f, 1);
    json_t *entries = received(where);
    assert_int_equal(json_array_size(entries), 1);
    return entries;
}

/* Delivers the next message to `path` of the receiver, its second request: of SNS message
 * type `type`, for the subscription `arn`. Returns its verified envelope (json_decref). */
static json_t *deliver_second(struct fixture *f, const char *path, const char *type,
                              const char *arn)
{
    deliver(f, 1);
    json_t *requests = requests_to(path);
    assert_int_equal(json_array_size(requests), 2);
    json_t *request = json_array_get(requests, 1);
    assert_string_equal(receiver_header(request, "x-amz-sns-message-type"), type);
    assert_string_equal(receiver_header(request, "x-amz-sns-subscription-arn"), arn);
    json_t *envelope = verified_envelope(receiver_string(request, "body"));
    json_decref(requests);
    return envelope;
}

/* Subscribes `path` of the receiver over http and confirms it with the token of the
 * SubscriptionConfirmation it received; returns the subscription's ARN (malloc'ed). */
static char *subscribe_and_confirm(struct fixture *f, const char *path)
{
    json_t *requests = subscribe_pending(f, "http", receiver_url(0, path), requests_to, path);
    json_t *envelope = verified_envelope(receiver_string(json_array_get(requests, 0), "body"));
    char *arn = confirm(f, ALERTS, member(envelope, "Token"), NOW);
    json_decref(envelope);
    json_decref(requests);
    return arn;
}

static void http_confirmation_is_signed_and_names_no_subscription(void **state)
{
    struct fixture *f = *state;
    json_t *requests = subscribe_pending(f, "http", receiver_url(0, "/case/confirmation"),
                                         requests_to, "/case/confirmation");
    json_t *request = json_array_get(requests, 0);
    assert_string_equal(receiver_header(request, "x-amz-sns-message-type"),
                        "SubscriptionConfirmation");
    assert_string_equal(receiver_header(request, "x-amz-sns-topic-arn"), ALERTS);
    assert_non_null(receiver_header(request, "x-amz-sns-message-id"));
    assert_null(receiver_header(request, "x-amz-sns-subscription-arn"));
    json_t *envelope = verified_envelope(receiver_string(request, "body"));
    assert_string_equal(member(envelope, "Type"), "SubscriptionConfirmation");
    assert_string_equal(member(envelope, "MessageId"),
                        receiver_header(request, "x-amz-sns-message-id"));
    assert_string_equal(member(envelope, "TopicArn"), ALERTS);
    assert_string_equal(member(envelope, "Message"),
                        "You have chosen to subscribe to the topic " ALERTS
                        ".\nTo confirm the subscription, visit the SubscribeURL included in this "
                        "message.");
    const char *token = member(envelope, "Token");
    assert_hex_token(token);
    char expected[512];
    snprintf(expected, sizeof expected,
             BASE "/?Action=ConfirmSubscription&TopicArn=" ALERTS "&Token=%s", token);
    assert_string_equal(member(envelope, "SubscribeURL"), expected);
    assert_string_equal(member(envelope, "SigningCertURL"),
                        BASE "/SimpleNotificationService-trailhound.pem");
    assert_string_equal(member(envelope, "SignatureVersion"), "2");
    /* the store keeps the subscription pending with that token, valid three days */
    char arn[256];
    stored_arn(f, ALERTS, arn);
    assert_memory_equal(arn, ALERTS ":", strlen(ALERTS ":"));
    json_decref(envelope);
    json_decref(requests);
}

static void nothing_is_delivered_before_confirmation(void **state)
{
    struct fixture *f = *state;
    char *answer = subscribe(f, ALERTS, "http", receiver_url(0, "/case/before"), NULL);
    free(answer);
    char arn[256];
    stored_arn(f, ALERTS, arn);
    assert_int_equal(alarm_fires(f, ALERTS, arn), 0);
    deliver(f, 1); /* the confirmation only */
    json_t *requests = requests_to("/case/before");
    assert_int_equal(json_array_size(requests), 1);
    json_t *envelope = verified_envelope(receiver_string(json_array_get(requests, 0), "body"));
    /* still nothing while pending, even with the confirmation delivered */
    assert_int_equal(alarm_fires(f, ALERTS, arn), 0);
    char *confirmed = confirm(f, ALERTS, member(envelope, "Token"), NOW + 1000);
    assert_string_equal(confirmed, arn);
    /* the next transition reaches it, signed, with its ARN in the headers */
    assert_int_equal(alarm_fires(f, ALERTS, arn), 1);
    json_t *notification = deliver_second(f, "/case/before", "Notification", arn);
    assert_string_equal(member(notification, "Subject"),
                        "ALARM: \"root-use\" in US East (N. Virginia)");
    json_decref(notification);
    json_decref(envelope);
    json_decref(requests);
    free(confirmed);
}

static void unsubscribe_sends_a_confirmation_that_restores(void **state)
{
    struct fixture *f = *state;
    char *arn = subscribe_and_confirm(f, "/case/unsubscribe");
    struct monitor_error error;
    assert_int_equal(monitor_unsubscribe(f->temp.store, &f->settings, arn, NOW, &error),
                     MONITOR_SNS_OK);
    assert_int_equal(stored(f).subscriptions, 0);
    assert_int_equal(alarm_fires(f, ALERTS, arn), 0);
    json_t *envelope = deliver_second(f, "/case/unsubscribe", "UnsubscribeConfirmation", arn);
    assert_string_equal(member(envelope, "Type"), "UnsubscribeConfirmation");
    char expected[512];
    snprintf(expected, sizeof expected,
             "You have chosen to deactivate subscription %s.\nTo cancel this operation and "
             "restore the subscription, visit the SubscribeURL included in this message.",
             arn);
    assert_string_equal(member(envelope, "Message"), expected);
    const char *token = member(envelope, "Token");
    assert_hex_token(token);
    snprintf(expected, sizeof expected,
             BASE "/?Action=ConfirmSubscription&TopicArn=" ALERTS "&Token=%s", token);
    assert_string_equal(member(envelope, "SubscribeURL"), expected);
    /* visiting the SubscribeURL restores the same subscription */
    char *restored = confirm(f, ALERTS, token, NOW + DAY_MS);
    assert_string_equal(restored, arn);
    assert_int_equal(alarm_fires(f, ALERTS, arn), 1);
    json_decref(envelope);
    free(restored);
    free(arn);
}

static void pending_subscription_is_removed_without_a_message(void **state)
{
    struct fixture *f = *state;
    free(subscribe(f, ALERTS, "https", "https://hooks.example.com/x", NULL));
    char arn[256];
    stored_arn(f, ALERTS, arn);
    size_t queued = stored(f).messages;
    struct monitor_error error;
    assert_int_equal(monitor_unsubscribe(f->temp.store, &f->settings, arn, NOW, &error),
                     MONITOR_SNS_OK);
    assert_stored(f, 0, queued);
    assert_int_equal(monitor_unsubscribe(f->temp.store, &f->settings, arn, NOW, &error),
                     MONITOR_SNS_NOT_FOUND);
    assert_string_equal(error.message, "Subscription does not exist");
}

/* ---- e-mail ------------------------------------------------------------------------------- */

static void email_gets_snss_confirmation_mail(void **state)
{
    struct fixture *f = *state;
    const char *address = "ops+alerts@example.com";
    json_t *mails = subscribe_pending(f, "email", address, mails_to, address);
    json_t *mail = json_array_get(mails, 0);
    assert_string_equal(receiver_string(mail, "subject"),
                        "AWS Notification - Subscription Confirmation");
    assert_string_equal(receiver_string(mail, "mail_from"), FROM);
    const char *body = receiver_string(mail, "body");
    const char *token = strstr(body, "&Token=");
    assert_non_null(token);
    token += strlen("&Token=");
    char token_text[129] = "";
    snprintf(token_text, sizeof token_text, "%.128s", token);
    assert_hex_token(token_text);
    char expected[1024];
    snprintf(expected, sizeof expected,
             "You have chosen to subscribe to the topic:\r\n" ALERTS "\r\n\r\n"
             "To confirm this subscription, click or visit the link below (If this was in "
             "error no action is necessary):\r\n" BASE "/confirmation.html?TopicArn=" ALERTS
             "&Token=%s&Endpoint=ops%%2Balerts@example.com\r\n\r\n"
             "Please do not reply directly to this email.\r\n",
             token_text);
    assert_string_equal(body, expected);
    char arn[256];
    stored_arn(f, ALERTS, arn);
    assert_int_equal(alarm_fires(f, ALERTS, arn), 0);
    char *confirmed = confirm(f, ALERTS, token_text, NOW);
    assert_string_equal(confirmed, arn);
    assert_int_equal(alarm_fires(f, ALERTS, arn), 1);
    deliver(f, 1);
    json_decref(mails);
    mails = mails_to(address);
    assert_int_equal(json_array_size(mails), 2);
    assert_string_equal(receiver_string(json_array_get(mails, 1), "subject"),
                        "ALARM: \"root-use\" in US East (N. Virginia)");
    json_decref(mails);
    free(confirmed);
}

static void email_json_gets_the_signed_envelope(void **state)
{
    struct fixture *f = *state;
    const char *address = "robot@example.com";
    json_t *mails = subscribe_pending(f, "email-json", address, mails_to, address);
    json_t *mail = json_array_get(mails, 0);
    assert_string_equal(receiver_string(mail, "subject"),
                        "AWS Notification - Subscription Confirmation");
    /* the envelope ends with "}"; the mail's last line break is the SMTP layer's */
    char *body = strdup(receiver_string(mail, "body"));
    size_t length = strlen(body);
    while (length > 0 && (body[length - 1] == '\r' || body[length - 1] == '\n'))
        body[--length] = '\0';
    json_t *envelope = verified_envelope(body);
    assert_string_equal(member(envelope, "Type"), "SubscriptionConfirmation");
    json_decref(envelope);
    free(body);
    json_decref(mails);
}

/* ---- our protocols ------------------------------------------------------------------------ */

static void slack_gets_a_message_with_the_link(void **state)
{
    struct fixture *f = *state;
    json_t *requests = subscribe_pending(f, "slack", receiver_url(0, "/case/slack/body/ok"),
                                         requests_to, "/case/slack/body/ok");
    json_t *payload = json_loads(receiver_string(json_array_get(requests, 0), "body"), 0, NULL);
    assert_non_null(payload);
    const char *text = member(payload, "text");
    const char *token = strstr(text, "&amp;Token=");
    assert_non_null(token);
    char token_text[129];
    snprintf(token_text, sizeof token_text, "%.128s", token + strlen("&amp;Token="));
    char expected[1024];
    /* the webhook URL is a secret: the link does not carry it */
    snprintf(expected, sizeof expected,
             "You have chosen to subscribe to the topic " ALERTS
             ".\nTo confirm this subscription, click or visit the link below (If this was in "
             "error no action is necessary):\n<" BASE "/confirmation.html?TopicArn=" ALERTS
             "&amp;Token=%s|Confirm subscription>",
             token_text);
    assert_string_equal(text, expected);
    char arn[256];
    stored_arn(f, ALERTS, arn);
    assert_int_equal(alarm_fires(f, ALERTS, arn), 0);
    free(confirm(f, ALERTS, token_text, NOW));
    assert_int_equal(alarm_fires(f, ALERTS, arn), 1);
    json_decref(payload);
    json_decref(requests);
}

static void pagerduty_and_sns_are_confirmed_at_once(void **state)
{
    struct fixture *f = *state;
    char *pagerduty = subscribe(f, ALERTS, "pagerduty", "env:PD_ROUTING_KEY", NULL);
    char *sns = subscribe(f, ALERTS, "sns", "arn:aws:sns:eu-west-1:111122223333:upstream", NULL);
    assert_memory_equal(pagerduty, ALERTS ":", strlen(ALERTS ":"));
    assert_memory_equal(sns, ALERTS ":", strlen(ALERTS ":"));
    assert_int_equal(stored(f).messages, 0); /* no confirmation request */
    assert_int_equal(alarm_fires(f, ALERTS, pagerduty), 1);
    assert_int_equal(alarm_fires(f, ALERTS, sns), 2); /* two transitions so far */
    free(pagerduty);
    free(sns);
}

static void exec_only_when_allowed(void **state)
{
    struct fixture *f = *state;
    refused(f, ALERTS, "exec", "logger -t trailhound", NULL, MONITOR_SNS_INVALID_PARAMETER,
            "Invalid parameter: Protocol Reason: exec subscriptions run commands on the "
            "trailhound host and are not allowed through the API");
    f->settings.allow_exec = true;
    char *arn = subscribe(f, ALERTS, "exec", "logger -t trailhound", NULL);
    assert_memory_equal(arn, ALERTS ":", strlen(ALERTS ":"));
    assert_int_equal(alarm_fires(f, ALERTS, arn), 1);
    free(arn);
}

/* ---- refusals, again, configured topics ---------------------------------------------------- */

static void refusals_use_snss_words_and_store_nothing(void **state)
{
    struct fixture *f = *state;
    const char *hook = "https://hooks.example.com/x";
    refused(f, ALERTS ":nope", "https", hook, NULL, MONITOR_SNS_NOT_FOUND, "Topic does not exist");
    refused(f, ALERTS, "carrier-pigeon", hook, NULL, MONITOR_SNS_INVALID_PARAMETER,
            "Invalid parameter: Amazon SNS does not support this protocol string: "
            "carrier-pigeon");
    refused(f, ALERTS, "http", "ftp://example.com/", NULL, MONITOR_SNS_INVALID_PARAMETER,
            "Invalid parameter: Endpoint Reason: must be an http:// URL");
    refused(f, ALERTS, "email", "", NULL, MONITOR_SNS_INVALID_PARAMETER,
            "Invalid parameter: Endpoint Reason: must be 1 to 2048 characters");
    refused(f, ALERTS, "https", hook, "{\"FilterPolicy\":\"{}\"}", MONITOR_SNS_INVALID_PARAMETER,
            "Invalid parameter: Attributes Reason: FilterPolicy is not supported by trailhound");
    refused(f, ALERTS, "email", "a@example.com", "{\"RawMessageDelivery\":\"true\"}",
            MONITOR_SNS_INVALID_PARAMETER,
            "Invalid parameter: Attributes Reason: Delivery protocol [email] does not support "
            "raw message delivery");
    refused(f, ALERTS, "https", hook, "{\"RawMessageDelivery\":\"yes\"}",
            MONITOR_SNS_INVALID_PARAMETER,
            "Invalid parameter: Attributes Reason: RawMessageDelivery must be true or false");
    refused(f, ALERTS, "https", hook, "{\"Colour\":\"red\"}", MONITOR_SNS_INVALID_PARAMETER,
            "Invalid parameter: Attributes Reason: Unknown attribute Colour");
    refused(f, ALERTS, "https", hook, "[]", MONITOR_SNS_INVALID_PARAMETER,
            "Invalid parameter: Attributes Reason: not a JSON object of strings");
    char *answer = NULL;
    struct monitor_error error;
    assert_int_equal(monitor_subscribe(f->temp.store, &f->settings, ALERTS, "https", hook,
                                       "{\"DeliveryPolicy\":\"{\\\"healthyRetryPolicy\\\":5}\"}",
                                       NOW, &answer, &error),
                     MONITOR_SNS_INVALID_PARAMETER);
    assert_memory_equal(error.message, "Invalid parameter: Attributes Reason: DeliveryPolicy: ",
                        strlen("Invalid parameter: Attributes Reason: DeliveryPolicy: "));
    assert_stored(f, 0, 0);
}

static bool copy_row(void *context, const struct store_subscription *subscription)
{
    snprintf(context, 512, "%s|%s|%s", subscription->state, subscription->attributes_json,
             subscription->token ? subscription->token : "-");
    return false;
}

/* "state|attributes|token" of the store's first subscription to `topic`. */
static const char *stored_row(struct fixture *f, const char *topic, char row[512])
{
    struct store_error error;
    assert_true(store_subscription_list(f->temp.store, topic, copy_row, row, &error));
    return row;
}

static void subscribing_again(void **state)
{
    struct fixture *f = *state;
    const char *hook = "https://hooks.example.com/again";
    free(subscribe(f, ALERTS, "https", hook, "{\"RawMessageDelivery\":\"TRUE\"}"));
    char first[512], second[512], arn[256];
    /* kept in lower case, as SNS keeps it */
    assert_memory_equal(stored_row(f, ALERTS, first), "pending|{\"RawMessageDelivery\":\"true\"}|",
                        strlen("pending|{\"RawMessageDelivery\":\"true\"}|"));
    stored_arn(f, ALERTS, arn);
    /* pending: a new confirmation with a new token, still one subscription */
    char *answer = subscribe(f, ALERTS, "https", hook, NULL);
    assert_string_equal(answer, MONITOR_PENDING_CONFIRMATION);
    free(answer);
    assert_stored(f, 1, 2);
    assert_string_not_equal(stored_row(f, ALERTS, second), first);
    refused(f, ALERTS, "https", hook, "{\"RawMessageDelivery\":\"false\"}",
            MONITOR_SNS_INVALID_PARAMETER,
            "Invalid parameter: Attributes Reason: Subscription already exists with different "
            "attributes");
    /* the first token no longer confirms; the second does */
    char *confirmed = NULL;
    struct monitor_error error;
    assert_int_equal(monitor_confirm_subscription(f->temp.store, ALERTS, strrchr(first, '|') + 1,
                                                  NOW, &confirmed, &error),
                     MONITOR_SNS_INVALID_PARAMETER);
    assert_string_equal(error.message, "Invalid parameter: Token");
    confirmed = confirm(f, ALERTS, strrchr(second, '|') + 1, NOW);
    assert_string_equal(confirmed, arn);
    free(confirmed);
    /* confirmed: its ARN, nothing sent */
    answer = subscribe(f, ALERTS, "https", hook, "{\"RawMessageDelivery\":\"true\"}");
    assert_string_equal(answer, arn);
    free(answer);
    assert_int_equal(stored(f).messages, 2);
}

static void expired_or_unknown_tokens_are_invalid(void **state)
{
    struct fixture *f = *state;
    free(subscribe(f, ALERTS, "https", "https://hooks.example.com/late", NULL));
    char row[512];
    const char *token = strrchr(stored_row(f, ALERTS, row), '|') + 1;
    char *arn = (char *)"untouched";
    struct monitor_error error;
    assert_int_equal(
        monitor_confirm_subscription(f->temp.store, ALERTS, token, NOW + 3 * DAY_MS, &arn, &error),
        MONITOR_SNS_INVALID_PARAMETER);
    assert_null(arn);
    assert_string_equal(error.message, "Invalid parameter: Token Reason: the token has expired "
                                       "(tokens last three days); subscribe again for a new one");
    assert_int_equal(
        monitor_confirm_subscription(f->temp.store, CONFIGURED, token, NOW, &arn, &error),
        MONITOR_SNS_INVALID_PARAMETER);
    assert_string_equal(error.message, "Invalid parameter: Token");
    assert_int_equal(monitor_confirm_subscription(f->temp.store, ALERTS, "", NOW, &arn, &error),
                     MONITOR_SNS_INVALID_PARAMETER);
    /* a later Subscribe drops what can no longer be confirmed */
    char *answer = NULL;
    assert_int_equal(monitor_subscribe(f->temp.store, &f->settings, ALERTS, "https",
                                       "https://hooks.example.com/other", NULL, NOW + 3 * DAY_MS,
                                       &answer, &error),
                     MONITOR_SNS_OK);
    free(answer);
    assert_int_equal(stored(f).subscriptions, 1);
    char other[512];
    assert_string_not_equal(stored_row(f, ALERTS, other), row);
}

static void configured_topics_and_subscriptions(void **state)
{
    struct fixture *f = *state;
    /* a configured topic takes API subscriptions without a row of its own */
    char *answer = subscribe(f, CONFIGURED, "https", "https://hooks.example.com/c", NULL);
    assert_string_equal(answer, MONITOR_PENDING_CONFIRMATION);
    free(answer);
    /* its file's subscription is confirmed: subscribing it again answers its ARN */
    answer = subscribe(f, CONFIGURED, "email", "soc@example.com", NULL);
    assert_string_equal(answer, CONFIGURED_SUBSCRIPTION);
    free(answer);
    refused(f, CONFIGURED, "email", "soc@example.com", "{\"DeliveryPolicy\":\"sns-default\"}",
            MONITOR_SNS_INVALID_PARAMETER,
            "Invalid parameter: Attributes Reason: Subscription already exists in the "
            "configuration file; change its attributes there");
    struct monitor_error error;
    assert_int_equal(
        monitor_unsubscribe(f->temp.store, &f->settings, CONFIGURED_SUBSCRIPTION, NOW, &error),
        MONITOR_SNS_INVALID_PARAMETER);
    assert_string_equal(error.message, "Invalid parameter: SubscriptionArn Reason: the "
                                       "subscription is declared in the configuration file; "
                                       "remove it there");
    assert_int_equal(alarm_fires(f, CONFIGURED, CONFIGURED_SUBSCRIPTION), 1);
}

static void subscribe_joins_the_callers_transaction(void **state)
{
    struct fixture *f = *state;
    struct store_error error;
    assert_true(store_begin(f->temp.store, &error));
    free(subscribe(f, ALERTS, "https", "https://hooks.example.com/t", NULL));
    store_rollback(f->temp.store);
    /* neither the subscription nor its confirmation request */
    assert_stored(f, 0, 0);
    /* a refusal leaves the caller's transaction usable */
    assert_true(store_begin(f->temp.store, &error));
    free(subscribe(f, ALERTS, "https", "https://hooks.example.com/t", NULL));
    refused(f, ALERTS ":nope", "https", "https://hooks.example.com/u", NULL, MONITOR_SNS_NOT_FOUND,
            "Topic does not exist");
    if (!store_commit(f->temp.store, &error))
        fail_msg("store_commit: %s", error.message);
    assert_stored(f, 1, 1);
}

/* ---- the topics alarm actions deliver to -------------------------------------------------- */

static void topics_load_merges_file_and_store(void **state)
{
    struct fixture *f = *state;
    struct store_topic same = {CONFIGURED, "configured", "{\"DisplayName\":\"From the API\"}", NOW};
    struct store_topic audit = {"arn:aws:sns:us-east-1:123456789012:audit", "audit",
                                "{\"DisplayName\":\"Audit\",\"DeliveryPolicy\":\"sns-default\"}",
                                NOW};
    bool created;
    struct store_error error;
    assert_true(store_topic_put(f->temp.store, &same, &created, &error));
    assert_true(store_topic_put(f->temp.store, &audit, &created, &error));
    free(subscribe(f, CONFIGURED, "https", "https://hooks.example.com/p", NULL));
    char *raw = subscribe(f, CONFIGURED, "pagerduty", "env:PD_KEY",
                          "{\"ResolveOnInsufficientData\":\"false\",\"DeliveryPolicy\":"
                          "\"sns-default\"}");
    char *orphan = subscribe(f, ALERTS, "sns", "arn:aws:sns:eu-west-1:111122223333:up", NULL);
    bool deleted;
    assert_true(store_topic_delete(f->temp.store, ALERTS, &deleted, &error)); /* and `orphan` */

    struct notify_topic_list topics;
    struct monitor_error monitor_error;
    assert_true(monitor_topics_load(f->temp.store, &f->configured, &topics, &monitor_error));
    assert_int_equal(topics.count, 2);
    const struct notify_topic *merged = &topics.items[0];
    assert_string_equal(merged->arn, CONFIGURED);
    assert_null(merged->display_name); /* the file's attributes win */
    assert_int_equal(merged->subscription_count, 3);
    assert_string_equal(merged->subscriptions[0].arn, CONFIGURED_SUBSCRIPTION);
    assert_true(merged->subscriptions[0].confirmed);
    assert_int_equal(merged->subscriptions[1].protocol, NOTIFY_HTTPS);
    assert_false(merged->subscriptions[1].confirmed);
    assert_string_equal(merged->subscriptions[2].arn, raw);
    assert_true(merged->subscriptions[2].confirmed);
    assert_false(merged->subscriptions[2].resolve_on_insufficient_data);
    assert_string_equal(merged->subscriptions[2].delivery_policy, "sns-default");
    assert_string_equal(merged->subscriptions[2].endpoint, "env:PD_KEY");
    const struct notify_topic *stored = &topics.items[1];
    assert_string_equal(stored->name, "audit");
    assert_string_equal(stored->display_name, "Audit");
    assert_string_equal(stored->delivery_policy, "sns-default");
    assert_int_equal(stored->subscription_count, 0);
    notify_topic_list_free(&topics);
    free(raw);
    free(orphan);
}

int main(void)
{
#define TEST(name) cmocka_unit_test_setup_teardown(name, set_up, tear_down)
    const struct CMUnitTest tests[] = {
        TEST(http_confirmation_is_signed_and_names_no_subscription),
        TEST(nothing_is_delivered_before_confirmation),
        TEST(unsubscribe_sends_a_confirmation_that_restores),
        TEST(pending_subscription_is_removed_without_a_message),
        TEST(email_gets_snss_confirmation_mail),
        TEST(email_json_gets_the_signed_envelope),
        TEST(slack_gets_a_message_with_the_link),
        TEST(pagerduty_and_sns_are_confirmed_at_once),
        TEST(exec_only_when_allowed),
        TEST(refusals_use_snss_words_and_store_nothing),
        TEST(subscribing_again),
        TEST(expired_or_unknown_tokens_are_invalid),
        TEST(configured_topics_and_subscriptions),
        TEST(subscribe_joins_the_callers_transaction),
        TEST(topics_load_merges_file_and_store),
    };
#undef TEST
    return cmocka_run_group_tests(tests, start_servers, stop_servers);
}
