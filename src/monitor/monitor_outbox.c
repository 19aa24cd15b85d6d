/* The outbox worker: takes the due messages out of the store, makes one attempt at each,
 * and records the outcome — next retry, delivered, or parked as failed with its Action
 * history item and the failure alert — in one transaction per message. Rows are copied out
 * of the store before any attempt, so no read transaction stays open during the network. */
#include "base/hash.h"
#include "monitor/monitor.h"
#include "monitor/monitor_internal.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PUBLISHED_MESSAGE_MAX_BYTES 1024

/* ---- due messages, copied out of the store ------------------------------------------- */

/* A message whose strings all live in `storage` (one allocation, one owner). */
struct due_message {
    struct store_outbox_message view;
    char *storage;
};

struct due_batch {
    struct due_message *items;
    size_t count, capacity;
    bool out_of_memory;
};

static size_t text_size(const char *text)
{
    return text ? strlen(text) + 1 : 0;
}

static const char *copy_text(const char *text, char **cursor)
{
    if (!text)
        return NULL;
    size_t size = strlen(text) + 1;
    char *copy = memcpy(*cursor, text, size);
    *cursor += size;
    return copy;
}

static bool copy_message(const struct store_outbox_message *from, struct due_message *to)
{
    const char *const texts[] = {from->message_id,       from->alarm_name, from->topic_arn,
                                 from->subscription_arn, from->protocol,   from->endpoint,
                                 from->subject,          from->body,       from->attributes_json,
                                 from->policy,           from->state,      from->last_error};
    size_t size = 1;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        size += text_size(texts[i]);
    char *cursor = to->storage = malloc(size);
    if (!cursor)
        return false;
    to->view = *from;
    to->view.message_id = copy_text(from->message_id, &cursor);
    to->view.alarm_name = copy_text(from->alarm_name, &cursor);
    to->view.topic_arn = copy_text(from->topic_arn, &cursor);
    to->view.subscription_arn = copy_text(from->subscription_arn, &cursor);
    to->view.protocol = copy_text(from->protocol, &cursor);
    to->view.endpoint = copy_text(from->endpoint, &cursor);
    to->view.subject = copy_text(from->subject, &cursor);
    to->view.body = copy_text(from->body, &cursor);
    to->view.attributes_json = copy_text(from->attributes_json, &cursor);
    to->view.policy = copy_text(from->policy, &cursor);
    to->view.state = copy_text(from->state, &cursor);
    to->view.last_error = copy_text(from->last_error, &cursor);
    return true;
}

static bool collect_due(void *context, const struct store_outbox_message *message)
{
    struct due_batch *batch = context;
    if (batch->count == batch->capacity) {
        size_t capacity = batch->capacity ? batch->capacity * 2 : 16;
        struct due_message *items = realloc(batch->items, capacity * sizeof *items);
        if (!items)
            return !(batch->out_of_memory = true);
        batch->items = items;
        batch->capacity = capacity;
    }
    if (!copy_message(message, &batch->items[batch->count]))
        return !(batch->out_of_memory = true);
    batch->count++;
    return true;
}

static void free_batch(struct due_batch *batch)
{
    for (size_t i = 0; i < batch->count; i++)
        free(batch->items[i].storage);
    free(batch->items);
    *batch = (struct due_batch){0};
}

static bool read_due(struct store *store, int64_t now_ms, size_t limit, struct due_batch *batch,
                     struct monitor_error *error)
{
    struct store_error store_error;
    if (!store_outbox_due(store, now_ms, limit, collect_due, batch, &store_error))
        return monitor_fail(error, "outbox: %s", store_error.message);
    if (batch->out_of_memory)
        return monitor_fail(error, "outbox: out of memory");
    return true;
}

/* ---- deciding the outcome ------------------------------------------------------------- */

struct outcome {
    const char *state; /* "pending", "delivered", "failed" */
    int attempts;
    int64_t first_attempt_ms, next_attempt_ms;
    char last_error[1024]; /* "" when delivered */
};

/* A stable value in [0, 1) from the message id and attempt: jitter that differs between
 * messages without any shared random state. */
static double derived_random(const char *message_id, int attempts)
{
    uint64_t hash = fnv1a_64(message_id, strlen(message_id));
    hash ^= (uint64_t)attempts + UINT64_C(0x9e3779b97f4a7c15); /* splitmix64's finaliser */
    hash = (hash ^ (hash >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    hash = (hash ^ (hash >> 27)) * UINT64_C(0x94d049bb133111eb);
    hash ^= hash >> 31;
    return (double)(hash >> 11) / (double)(UINT64_C(1) << 53);
}

static double draw_random(const struct monitor_delivery_settings *settings,
                          const struct store_outbox_message *message, int attempts)
{
    if (settings->random)
        return settings->random(settings->random_context);
    return derived_random(message->message_id, attempts);
}

/* "45 s", "12 min", "24 h", "2 h 5 min". */
static void format_duration(int64_t milliseconds, char *text, size_t size)
{
    long long seconds = milliseconds > 0 ? (long long)(milliseconds / 1000) : 0;
    long long hours = seconds / 3600, minutes = seconds % 3600 / 60;
    if (seconds < 120)
        snprintf(text, size, "%lld s", seconds);
    else if (seconds < 7200)
        snprintf(text, size, "%lld min", seconds / 60);
    else if (minutes == 0)
        snprintf(text, size, "%lld h", hours);
    else
        snprintf(text, size, "%lld h %lld min", hours, minutes);
}

static void give_up(const char *detail, int64_t now_ms, struct outcome *outcome)
{
    char duration[32];
    format_duration(now_ms - outcome->first_attempt_ms, duration, sizeof duration);
    outcome->state = "failed";
    snprintf(outcome->last_error, sizeof outcome->last_error,
             "gave up after %d attempt%s over %s: %s", outcome->attempts,
             outcome->attempts == 1 ? "" : "s", duration, detail);
}

static void schedule_retry(const struct monitor_delivery_settings *settings,
                           const struct store_outbox_message *message,
                           const struct notify_result *result, const char *detail, int64_t now_ms,
                           struct outcome *outcome)
{
    struct notify_retry_policy policy;
    struct notify_error policy_error = {{0}};
    if (!notify_retry_policy_parse(message->policy, &policy, &policy_error)) {
        outcome->state = "failed";
        snprintf(outcome->last_error, sizeof outcome->last_error,
                 "retry policy: %.480s; last error: %.480s", policy_error.message, detail);
        return;
    }
    int64_t next_ms = 0;
    if (!notify_retry_next(&policy, outcome->attempts, outcome->first_attempt_ms, now_ms,
                           draw_random(settings, message, outcome->attempts), &next_ms)) {
        give_up(detail, now_ms, outcome);
        return;
    }
    if (result->retry_after_ms > next_ms - now_ms) /* saturating: a server's value */
        next_ms = result->retry_after_ms > INT64_MAX - now_ms ? INT64_MAX
                                                              : now_ms + result->retry_after_ms;
    outcome->state = "pending";
    outcome->next_attempt_ms = next_ms;
    snprintf(outcome->last_error, sizeof outcome->last_error, "%s", detail);
}

static void decide(const struct monitor_delivery_settings *settings,
                   const struct store_outbox_message *message, const struct notify_result *result,
                   int64_t now_ms, struct outcome *outcome)
{
    *outcome = (struct outcome){
        .attempts = message->attempts + 1,
        .first_attempt_ms = message->first_attempt_ms ? message->first_attempt_ms : now_ms,
        .next_attempt_ms = now_ms, /* settled messages keep the time of their last attempt */
    };
    const char *detail = result->detail[0] ? result->detail : "no detail given";
    if (result->outcome == NOTIFY_DELIVERED) {
        outcome->state = "delivered";
    } else if (result->outcome == NOTIFY_RETRY) {
        schedule_retry(settings, message, result, detail, now_ms, outcome);
    } else {
        outcome->state = "failed";
        snprintf(outcome->last_error, sizeof outcome->last_error, "%s", detail);
    }
}

static bool is_state(const struct outcome *outcome, const char *state)
{
    return strcmp(outcome->state, state) == 0;
}

/* ---- the Action history item ---------------------------------------------------------- */

/* The body cut to at most `max` bytes on a UTF-8 character boundary; NULL when it is not
 * valid UTF-8. */
static json_t *published_message(const char *body, size_t max)
{
    size_t length = strlen(body);
    if (length > max) {
        length = max;
        while (length > 0 && ((unsigned char)body[length] & 0xC0) == 0x80)
            length--;
    }
    return json_stringn(body, length);
}

/* HistoryData of an Action item; the shape is documented at monitor_deliver_due. */
static char *action_history_data(const struct store_outbox_message *message, bool succeeded)
{
    json_t *data =
        json_pack("{s:s,s:I,s:s,s:s,s:s}", "actionState", succeeded ? "Succeeded" : "Failed",
                  "stateUpdateTimestamp", (json_int_t)message->created_ms, "notificationResource",
                  message->topic_arn, "subscriptionArn", message->subscription_arn, "messageId",
                  message->message_id);
    if (!data)
        return NULL;
    /* a PagerDuty event carries its routing key, a secret */
    json_t *published = strcmp(message->protocol, "pagerduty") == 0
                            ? NULL
                            : published_message(message->body, PUBLISHED_MESSAGE_MAX_BYTES);
    if (published)
        json_object_set_new(data, "publishedMessage", published);
    char *text = json_dumps(data, JSON_COMPACT);
    json_decref(data);
    return text;
}

static char *action_history_summary(const struct store_outbox_message *message,
                                    const struct outcome *outcome)
{
    bool succeeded = is_state(outcome, "delivered");
    size_t size = strlen(message->topic_arn) + strlen(outcome->last_error) + 64;
    char *summary = malloc(size);
    if (summary && succeeded)
        snprintf(summary, size, "Successfully executed action %s", message->topic_arn);
    else if (summary)
        snprintf(summary, size, "Failed to execute action %s. Reason: %s", message->topic_arn,
                 outcome->last_error);
    return summary;
}

static bool write_action_history(struct store *store, const struct store_outbox_message *message,
                                 const struct outcome *outcome, int64_t now_ms,
                                 struct store_error *error)
{
    if (!message->alarm_name || is_state(outcome, "pending"))
        return true;
    char *summary = action_history_summary(message, outcome);
    char *data = action_history_data(message, is_state(outcome, "delivered"));
    bool ok =
        monitor_history_add(store, message->alarm_name, "Action", now_ms, summary, data, error);
    free(summary);
    free(data);
    return ok;
}

/* ---- recording ------------------------------------------------------------------------ */

static bool wants_alert(const struct monitor_delivery_settings *settings,
                        const struct store_outbox_message *message, const struct outcome *outcome)
{
    return is_state(outcome, "failed") && settings->fallback_topic_arn &&
           strcmp(message->topic_arn, settings->fallback_topic_arn) != 0;
}

static bool enqueue_alert(struct store *store, const struct monitor_delivery_settings *settings,
                          const struct store_outbox_message *message, const struct outcome *outcome,
                          int64_t now_ms, struct store_error *error)
{
    struct store_outbox_message failed = *message;
    failed.state = outcome->state;
    failed.attempts = outcome->attempts;
    failed.first_attempt_ms = outcome->first_attempt_ms;
    failed.next_attempt_ms = outcome->next_attempt_ms;
    failed.last_error = outcome->last_error;
    snprintf(error->message, sizeof error->message, "the failure alert's callback failed");
    return settings->enqueue_failure(settings->enqueue_context, store, &failed, now_ms, error);
}

/* The outcome, its history item and (when `alert`) the failure alert, in one transaction.
 * `alert_failed` tells whether it was the alert that failed. */
static bool write_outcome(struct store *store, const struct monitor_delivery_settings *settings,
                          const struct store_outbox_message *message, const struct outcome *outcome,
                          int64_t now_ms, bool alert, bool *alert_failed, struct store_error *error)
{
    *alert_failed = false;
    if (!store_begin(store, error))
        return false;
    bool ok = store_outbox_record(store, message->id, outcome->state, outcome->attempts,
                                  outcome->first_attempt_ms, outcome->next_attempt_ms,
                                  outcome->last_error[0] ? outcome->last_error : NULL, error) &&
              write_action_history(store, message, outcome, now_ms, error);
    if (ok && alert)
        *alert_failed = !(ok = enqueue_alert(store, settings, message, outcome, now_ms, error));
    if (ok)
        return store_commit(store, error);
    store_rollback(store);
    return false;
}

static void count_outcome(struct monitor_delivery_report *report,
                          const struct store_outbox_message *message, const struct outcome *outcome,
                          bool alerted)
{
    if (is_state(outcome, "delivered")) {
        report->delivered++;
        return;
    }
    if (is_state(outcome, "pending")) {
        report->retried++;
        return;
    }
    if (report->failed++ == 0)
        snprintf(report->first_failure, sizeof report->first_failure,
                 "message %.64s to %.256s: %.280s", message->message_id, message->subscription_arn,
                 outcome->last_error);
    report->alerts += alerted;
}

static void report_failed_attempt(const struct monitor_delivery_settings *settings,
                                  const struct store_outbox_message *message,
                                  const struct outcome *outcome)
{
    if (settings->on_failed_attempt && !is_state(outcome, "delivered"))
        settings->on_failed_attempt(settings->failed_attempt_context, message);
}

/* The alert could not be queued: the message is parked all the same (trying it again would
 * not mend the callback), and the caller hears why. */
static bool park_without_alert(struct store *store,
                               const struct monitor_delivery_settings *settings,
                               const struct store_outbox_message *message,
                               const struct outcome *outcome, int64_t now_ms,
                               const struct store_error *alert_error,
                               struct monitor_delivery_report *report, struct monitor_error *error)
{
    bool alert_failed;
    struct store_error store_error;
    if (!write_outcome(store, settings, message, outcome, now_ms, false, &alert_failed,
                       &store_error))
        return monitor_fail(error, "outbox message %s: %s", message->message_id,
                            store_error.message);
    count_outcome(report, message, outcome, false);
    report_failed_attempt(settings, message, outcome);
    return monitor_fail(error,
                        "outbox message %s failed, but its alert to %s could not be queued: %s",
                        message->message_id, settings->fallback_topic_arn, alert_error->message);
}

static bool attempt_one(struct store *store, const struct monitor_delivery_settings *settings,
                        const struct store_outbox_message *message, int64_t now_ms,
                        struct monitor_delivery_report *report, struct monitor_error *error)
{
    struct notify_result result;
    monitor_attempt_delivery(settings, message, &result);
    struct outcome outcome;
    decide(settings, message, &result, now_ms, &outcome);
    bool alert = wants_alert(settings, message, &outcome), alert_failed;
    struct store_error store_error;
    if (write_outcome(store, settings, message, &outcome, now_ms, alert, &alert_failed,
                      &store_error)) {
        count_outcome(report, message, &outcome, alert);
        report_failed_attempt(settings, message, &outcome);
        return true;
    }
    if (alert_failed)
        return park_without_alert(store, settings, message, &outcome, now_ms, &store_error, report,
                                  error);
    return monitor_fail(error, "outbox message %s: %s", message->message_id, store_error.message);
}

/* ---- the worker ----------------------------------------------------------------------- */

/* One round: the messages due now, each attempted once. `attempted` counts them. */
static bool deliver_round(struct store *store, const struct monitor_delivery_settings *settings,
                          int64_t now_ms, size_t limit, size_t *attempted,
                          struct monitor_delivery_report *report, struct monitor_error *error)
{
    struct due_batch batch = {0};
    bool ok = read_due(store, now_ms, limit, &batch, error);
    for (size_t i = 0; ok && i < batch.count; i++)
        ok = attempt_one(store, settings, &batch.items[i].view, now_ms, report, error);
    *attempted = batch.count;
    free_batch(&batch);
    return ok;
}

bool monitor_deliver_due(struct store *store, const struct monitor_delivery_settings *settings,
                         int64_t now_ms, size_t limit, struct monitor_delivery_report *report,
                         struct monitor_error *error)
{
    *report = (struct monitor_delivery_report){0};
    if (settings->fallback_topic_arn && !settings->enqueue_failure)
        return monitor_fail(error, "outbox: a fallback topic needs the enqueue_failure callback");
    size_t total = 0;
    for (;;) {
        size_t attempted = 0;
        if (!deliver_round(store, settings, now_ms, limit ? limit - total : 0, &attempted, report,
                           error))
            return false;
        total += attempted;
        if (attempted == 0 || (limit && total >= limit))
            return true;
    }
}
