/* Alarm actions into the outbox: for each topic the new state's actions name, one message
 * per confirmed subscription, rendered for its protocol at the moment of the transition and
 * written in the transition's transaction (notifications.md §1). Secrets are not resolved
 * here: the outbox keeps endpoints as written.
 *
 * Grouping (a subscription's GroupingWindowSeconds W > 0): the first message of an alarm is
 * held until W seconds after its change; a change inside that time replaces the held
 * message with a rendering of the latest change that says how many it stands for, keeping
 * its message id and due time. The count rides in attributes_json ("grouped"). */
#include "monitor/monitor_internal.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct alarm_action_list *actions_for(const struct alarm_definition *alarm,
                                                   enum alarm_state state)
{
    if (state == ALARM_STATE_ALARM)
        return &alarm->alarm_actions;
    if (state == ALARM_STATE_OK)
        return &alarm->ok_actions;
    return &alarm->insufficient_data_actions;
}

/* What one subscription receives. All owned. */
struct rendered {
    char *subject;
    char *body;
    const char *message_type;
};

static void rendered_free(struct rendered *rendered)
{
    free(rendered->subject);
    free(rendered->body);
}

static char *url_with(const char *base, const char *format, const char *value)
{
    char *escaped = NULL;
    size_t size = strlen(base) + strlen(format) + strlen(value) * 3 + 8;
    char *url = malloc(size);
    if (!url)
        return NULL;
    int length = snprintf(url, size, "%s", base);
    while (length > 0 && url[length - 1] == '/')
        url[--length] = '\0';
    escaped = malloc(strlen(value) * 3 + 1);
    if (!escaped) {
        free(url);
        return NULL;
    }
    char *out = escaped;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++)
        out +=
            strchr("-_.~", *p) || (*p >= '0' && *p <= '9') || ((*p | 32) >= 'a' && (*p | 32) <= 'z')
                ? sprintf(out, "%c", *p)
                : sprintf(out, "%%%02X", *p);
    snprintf(url + length, size - (size_t)length, format, escaped);
    free(escaped);
    return url;
}

/* The SNS Notification envelope (§4.3) around the alarm message, signed. */
static char *signed_envelope(const struct monitor_notify_settings *settings,
                             const struct notify_topic *topic,
                             const struct notify_subscription *subscription, const char *subject,
                             const char *message, const char *message_id, int64_t now_ms)
{
    char *unsubscribe = url_with(settings->public_base_url,
                                 "/?Action=Unsubscribe&SubscriptionArn=%s", subscription->arn);
    char *certificate = url_with(settings->public_base_url, "/%s", MONITOR_SIGNING_CERT_NAME);
    struct notify_envelope envelope = {.type = NOTIFY_ENVELOPE_NOTIFICATION,
                                       .message_id = message_id,
                                       .topic_arn = topic->arn,
                                       .subject = subject,
                                       .message = message,
                                       .unsubscribe_url = unsubscribe,
                                       .signing_cert_url = certificate,
                                       .timestamp_ms = now_ms,
                                       .signature_version = 2};
    struct notify_error error;
    char *json = unsubscribe && certificate
                     ? notify_envelope_json(&envelope, settings->signing_key, &error)
                     : NULL;
    free(unsubscribe);
    free(certificate);
    return json;
}

static bool render(const struct monitor_notify_settings *settings, const struct notify_topic *topic,
                   const struct notify_subscription *subscription,
                   const struct notify_alarm_change *change, const char *message_id, int64_t now_ms,
                   struct rendered *out, bool *skip)
{
    *out = (struct rendered){.message_type = "Notification"};
    *skip = false;
    out->subject = notify_alarm_subject(change);
    char *message = notify_alarm_message(change);
    bool ok = out->subject && message;
    switch (subscription->protocol) {
    case NOTIFY_EMAIL: {
        /* SNS's mail footer link: BASE/unsubscribe.html?SubscriptionArn=…&Endpoint=… — the
         * renderer adds the query */
        char *unsubscribe = url_with(settings->public_base_url, "/%s", "unsubscribe.html");
        out->body = unsubscribe ? notify_alarm_email(change, subscription->arn,
                                                     subscription->endpoint, unsubscribe)
                                : NULL;
        free(unsubscribe);
        break;
    }
    case NOTIFY_EMAIL_JSON:
    case NOTIFY_HTTP:
    case NOTIFY_HTTPS:
        out->body =
            subscription->raw_message_delivery && subscription->protocol != NOTIFY_EMAIL_JSON
                ? strdup(message)
                : signed_envelope(settings, topic, subscription, out->subject, message, message_id,
                                  now_ms);
        break;
    case NOTIFY_SLACK:
        out->body = notify_slack_payload(change);
        break;
    case NOTIFY_PAGERDUTY:
        /* the routing key is a secret: the worker puts it in when it sends */
        out->body =
            notify_pagerduty_event(change, "", subscription->resolve_on_insufficient_data, skip);
        break;
    case NOTIFY_EXEC:
    case NOTIFY_SNS:
        out->body = strdup(message);
        break;
    }
    free(message);
    return *skip || (ok && out->body);
}

/* `grouped` > 0: the state changes the message stands for, kept for the next one. */
static char *attributes_json(const char *message_type, const struct notify_topic *topic,
                             const struct notify_subscription *subscription, unsigned grouped)
{
    json_t *object =
        json_pack("{s:s,s:s,s:s,s:b}", "messageType", message_type, "topicArn", topic->arn,
                  "subscriptionArn", subscription->arn, "raw", subscription->raw_message_delivery);
    if (object && grouped > 0 && json_object_set_new(object, "grouped", json_integer(grouped)))
        json_object_clear(object);
    char *text = object ? json_dumps(object, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(object);
    return text;
}

/* A message waiting in its grouping window, copied out of the store's walk. */
struct held_message {
    bool found;
    int64_t id, next_attempt_ms;
    char message_id[37];
    unsigned grouped;
};

static unsigned grouped_count(const char *attributes)
{
    json_t *root = json_loads(attributes, 0, NULL);
    json_t *grouped = json_object_get(root, "grouped");
    json_int_t count = json_is_integer(grouped) ? json_integer_value(grouped) : 1;
    json_decref(root);
    return count >= 1 && count < 1000000 ? (unsigned)count : 1;
}

static bool note_held(void *context, const struct store_outbox_message *message)
{
    struct held_message *held = context;
    held->found = strlen(message->message_id) < sizeof held->message_id;
    snprintf(held->message_id, sizeof held->message_id, "%s", message->message_id);
    held->id = message->id;
    held->next_attempt_ms = message->next_attempt_ms;
    held->grouped = grouped_count(message->attributes_json);
    return true;
}

static const char *policy_of(const struct notify_topic *topic,
                             const struct notify_subscription *subscription)
{
    return subscription->delivery_policy ? subscription->delivery_policy
           : topic->delivery_policy      ? topic->delivery_policy
                                         : "trailhound-default";
}

/* Writes the rendered message: over the held one, or as a new row due at `due_ms`. */
static bool store_rendered(struct store *store, const struct notify_subscription *subscription,
                           const struct held_message *held,
                           const struct store_outbox_message *message, struct monitor_error *error)
{
    struct store_error store_error = {.message = "out of memory"};
    struct store_outbox_message row = *message;
    if (!held->found)
        return store_outbox_add(store, &row, &store_error) ||
               monitor_fail(error, "outbox: %s", store_error.message);
    bool replaced = false;
    if (!store_outbox_replace_pending(store, held->id, message->subject, message->body,
                                      message->attributes_json, held->next_attempt_ms, &replaced,
                                      &store_error))
        return monitor_fail(error, "outbox: %s", store_error.message);
    /* found and replaced in one transaction: nothing can attempt it in between */
    return replaced ||
           monitor_fail(error, "outbox: held message %lld for %s changed while being grouped",
                        (long long)held->id, subscription->arn);
}

static bool enqueue_one(struct store *store, const struct monitor_notify_settings *settings,
                        const struct notify_topic *topic,
                        const struct notify_subscription *subscription,
                        const struct notify_alarm_change *change, int64_t now_ms,
                        struct monitor_error *error)
{
    int window = subscription->grouping_window_seconds;
    struct held_message held = {0};
    struct store_error store_error = {.message = "out of memory"};
    if (window > 0 && !store_outbox_find_held(store, subscription->arn, change->alarm->alarm_name,
                                              now_ms, note_held, &held, &store_error))
        return monitor_fail(error, "outbox: %s", store_error.message);
    struct notify_alarm_change grouped = *change;
    grouped.grouped = held.found ? held.grouped + 1 : 1;
    grouped.grouping_window_seconds = window;
    char message_id[37];
    if (held.found)
        memcpy(message_id, held.message_id, sizeof message_id);
    else if (!notify_uuid(message_id))
        return monitor_fail(error, "no source of random bytes for a message id");
    struct rendered rendered;
    bool skip;
    if (!render(settings, topic, subscription, &grouped, message_id, now_ms, &rendered, &skip)) {
        rendered_free(&rendered);
        return monitor_fail(error, "cannot render the notification for %s", subscription->arn);
    }
    /* a change that sends nothing (PagerDuty's) leaves a held message as it is */
    char *attributes = skip ? NULL
                            : attributes_json(rendered.message_type, topic, subscription,
                                              window > 0 ? grouped.grouped : 0);
    struct store_outbox_message message = {
        .message_id = message_id,
        .alarm_name = change->alarm->alarm_name,
        .topic_arn = topic->arn,
        .subscription_arn = subscription->arn,
        .protocol = notify_protocol_name(subscription->protocol),
        .endpoint = subscription->endpoint,
        .subject = rendered.subject,
        .body = rendered.body,
        .attributes_json = attributes,
        .policy = policy_of(topic, subscription),
        .created_ms = now_ms,
        /* the first message of a window waits for the window's later changes */
        .next_attempt_ms = now_ms + (int64_t)window * 1000,
    };
    bool ok = skip || (attributes ? store_rendered(store, subscription, &held, &message, error)
                                  : monitor_fail(error, "out of memory"));
    free(attributes);
    rendered_free(&rendered);
    return ok;
}

static bool record_missing_topic(struct store *store, const struct alarm_definition *alarm,
                                 const char *arn, int64_t now_ms, struct monitor_error *error)
{
    char summary[1400];
    snprintf(summary, sizeof summary,
             "Failed to execute action %s. Reason: no topic of the configuration has this ARN",
             arn);
    json_t *data = json_pack("{s:s,s:s,s:s}", "actionState", "Failed", "notificationResource", arn,
                             "error", "no topic of the configuration has this ARN");
    char *text = data ? json_dumps(data, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(data);
    struct store_history_item item = {.alarm_name = alarm->alarm_name,
                                      .timestamp_ms = now_ms,
                                      .type = "Action",
                                      .summary = summary,
                                      .data = text ? text : "{}"};
    struct store_error store_error;
    bool ok = store_history_add(store, &item, &store_error);
    free(text);
    return ok || monitor_fail(error, "%s", store_error.message);
}

bool monitor_enqueue_notifications(struct store *store, const struct alarm_definition *alarm,
                                   const struct monitor_transition *transition,
                                   const struct monitor_notify_settings *settings,
                                   int64_t configuration_updated_ms, struct monitor_error *error)
{
    if (!alarm->actions_enabled)
        return true; /* state and history change; no action runs (alarms.md §6) */
    struct notify_alarm_change change = {.alarm = alarm,
                                         .account_id = settings->account_id,
                                         .region = settings->region,
                                         .old_state = transition->from,
                                         .new_state = transition->to,
                                         .reason = transition->reason,
                                         .reason_data = transition->reason_data,
                                         .change_ms = transition->time_ms,
                                         .configuration_updated_ms = configuration_updated_ms,
                                         .evidence = transition->evidence};
    const struct alarm_action_list *actions = actions_for(alarm, transition->to);
    for (size_t i = 0; i < actions->count; i++) {
        const struct notify_topic *topic = notify_topic_find(settings->topics, actions->items[i]);
        if (!topic) {
            if (!record_missing_topic(store, alarm, actions->items[i], transition->time_ms, error))
                return false;
            continue;
        }
        for (size_t s = 0; s < topic->subscription_count; s++)
            if (topic->subscriptions[s].confirmed &&
                !enqueue_one(store, settings, topic, &topic->subscriptions[s], &change,
                             transition->time_ms, error))
                return false;
    }
    return true;
}

/* ---- failed deliveries ------------------------------------------------------------------ */

static char *failure_text(const struct store_outbox_message *failed)
{
    enum notify_protocol protocol = NOTIFY_EXEC;
    notify_protocol_parse(failed->protocol, &protocol);
    char *shown = notify_redact(protocol, failed->endpoint);
    size_t size = 1024 + strlen(failed->subscription_arn) + (shown ? strlen(shown) : 0) +
                  (failed->last_error ? strlen(failed->last_error) : 0);
    char *text = malloc(size);
    if (text)
        snprintf(text, size,
                 "trailhound could not deliver a notification%s%s: message %s to %s (%s %s) "
                 "failed after %d attempt%s: %s",
                 failed->alarm_name ? " for alarm " : "",
                 failed->alarm_name ? failed->alarm_name : "", failed->message_id,
                 failed->subscription_arn, failed->protocol, shown ? shown : "…", failed->attempts,
                 failed->attempts == 1 ? "" : "s",
                 failed->last_error ? failed->last_error : "unknown error");
    free(shown);
    return text;
}

/* At most `limit` bytes of `text`, cut before a UTF-8 sequence rather than inside one
 * (jansson refuses a cut sequence, and the message would not render at all). */
static size_t utf8_prefix_length(const char *text, size_t limit)
{
    size_t length = strlen(text);
    if (length <= limit)
        return length;
    while (limit > 0 && ((unsigned char)text[limit] & 0xC0) == 0x80)
        limit--;
    return limit;
}

char *monitor_render_text(const struct monitor_notify_settings *settings,
                          const struct notify_topic *topic,
                          const struct notify_subscription *subscription, const char *subject,
                          const char *text, const char *message_id, int64_t now_ms)
{
    json_t *object = NULL;
    switch (subscription->protocol) {
    case NOTIFY_SLACK:
        object = json_pack("{s:s}", "text", text);
        break;
    case NOTIFY_PAGERDUTY:
        object = json_pack("{s:s,s:s,s:s+,s:{s:s%,s:s,s:s}}", "routing_key", "", "event_action",
                           "trigger", "dedup_key", MONITOR_TEXT_DEDUP_PREFIX, message_id, "payload",
                           "summary", text, utf8_prefix_length(text, 1024), "source", "trailhound",
                           "severity", "error");
        break;
    case NOTIFY_HTTP:
    case NOTIFY_HTTPS:
    case NOTIFY_EMAIL_JSON:
        return signed_envelope(settings, topic, subscription, subject, text, message_id, now_ms);
    case NOTIFY_EMAIL:
    case NOTIFY_EXEC:
    case NOTIFY_SNS:
        return strdup(text);
    }
    char *body = object ? json_dumps(object, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(object);
    return body;
}

char *monitor_render_text_resolve(const char *message_id)
{
    json_t *object = json_pack("{s:s,s:s,s:s+}", "routing_key", "", "event_action", "resolve",
                               "dedup_key", MONITOR_TEXT_DEDUP_PREFIX, message_id);
    char *body = object ? json_dumps(object, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(object);
    return body;
}

/* One outbox message per confirmed subscription of `topic` (nothing reaches a subscription
 * before it is confirmed), `text` rendered for each protocol by monitor_render_text, in the
 * caller's transaction; `first_id` is the first row's message id, "" when none. */
static bool enqueue_to_confirmed(struct store *store, const struct notify_topic *topic,
                                 const char *subject, const char *text,
                                 const struct monitor_notify_settings *settings, int64_t now_ms,
                                 char first_id[37], struct store_error *error)
{
    first_id[0] = '\0';
    for (size_t i = 0; i < topic->subscription_count; i++) {
        const struct notify_subscription *subscription = &topic->subscriptions[i];
        if (!subscription->confirmed)
            continue;
        char message_id[37];
        if (!notify_uuid(message_id)) {
            snprintf(error->message, sizeof error->message,
                     "no source of random bytes for a message id");
            return false;
        }
        char *body =
            monitor_render_text(settings, topic, subscription, subject, text, message_id, now_ms);
        char *attributes = attributes_json("Notification", topic, subscription, 0);
        struct store_outbox_message message = {
            .message_id = message_id,
            .topic_arn = topic->arn,
            .subscription_arn = subscription->arn,
            .protocol = notify_protocol_name(subscription->protocol),
            .endpoint = subscription->endpoint,
            .subject = subject,
            .body = body,
            .attributes_json = attributes,
            .policy = policy_of(topic, subscription),
            .created_ms = now_ms,
            .next_attempt_ms = now_ms,
        };
        bool ok = body && attributes && store_outbox_add(store, &message, error);
        if (!body || !attributes)
            snprintf(error->message, sizeof error->message, "out of memory");
        free(body);
        free(attributes);
        if (!ok)
            return false;
        if (!first_id[0])
            memcpy(first_id, message_id, sizeof message_id);
    }
    return true;
}

bool monitor_enqueue_failure_alert(struct store *store, const struct store_outbox_message *failed,
                                   const struct notify_topic *fallback,
                                   const struct monitor_notify_settings *settings, int64_t now_ms,
                                   struct store_error *error)
{
    char *text = failure_text(failed);
    if (!text) {
        snprintf(error->message, sizeof error->message, "out of memory");
        return false;
    }
    char first_id[37];
    bool ok = enqueue_to_confirmed(store, fallback, MONITOR_FAILURE_ALERT_SUBJECT, text, settings,
                                   now_ms, first_id, error);
    free(text);
    return ok;
}

bool monitor_publish(struct store *store, const struct notify_topic *topic, const char *subject,
                     const char *message, const struct monitor_notify_settings *settings,
                     int64_t now_ms, char message_id[37], struct store_error *error)
{
    if (!enqueue_to_confirmed(store, topic, subject, message, settings, now_ms, message_id, error))
        return false;
    if (!message_id[0] && !notify_uuid(message_id)) {
        snprintf(error->message, sizeof error->message, "no source of random bytes");
        return false;
    }
    return true;
}

bool monitor_signing_key(struct store *store, struct notify_signing_key *key,
                         struct monitor_error *error)
{
    struct store_error store_error;
    *key = (struct notify_signing_key){0};
    if (!store_setting_get(store, "sns.signing_key", &key->private_key_pem, &store_error) ||
        !store_setting_get(store, "sns.signing_certificate", &key->certificate_pem, &store_error)) {
        notify_signing_key_free(key);
        return monitor_fail(error, "%s", store_error.message);
    }
    if (key->private_key_pem && key->certificate_pem)
        return true;
    notify_signing_key_free(key);
    struct notify_error notify_error;
    if (!notify_signing_key_create(key, &notify_error))
        return monitor_fail(error, "signing key: %s", notify_error.message);
    bool ok =
        store_begin(store, &store_error) &&
        store_setting_set(store, "sns.signing_key", key->private_key_pem, &store_error) &&
        store_setting_set(store, "sns.signing_certificate", key->certificate_pem, &store_error) &&
        store_commit(store, &store_error);
    if (!ok) {
        store_rollback(store);
        notify_signing_key_free(key);
        return monitor_fail(error, "%s", store_error.message);
    }
    return true;
}
