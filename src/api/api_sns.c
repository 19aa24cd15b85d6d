/* SNS over query/XML (aws-api.md §6.3): topics and subscriptions in the store, the
 * confirmation flow through the monitor. */
#include "api/api_internal.h"

#include "monitor/monitor.h"
#include "notify/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNS_TOPIC_NAME_MAX 256
/* ListTopics pages as AWS does. */
#define LIST_TOPICS_PAGE_SIZE 100

static bool valid_topic_name(const char *name)
{
    size_t length = strlen(name);
    if (length == 0 || length > SNS_TOPIC_NAME_MAX)
        return false;
    for (size_t i = 0; i < length; i++) {
        char c = name[i];
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '_';
        if (!plain && !(c == '.' && strcmp(name + i, ".fifo") == 0))
            return false;
    }
    return true;
}

/* Attributes.entry.N.key/value (a list after api_form_to_json) as a JSON object text. */
static char *attributes_text(const json_t *input)
{
    json_t *object = json_object();
    json_t *entries = json_object_get(input, "Attributes");
    size_t index;
    json_t *entry;
    json_array_foreach(entries, index, entry)
    {
        const char *key = api_input_string(entry, "key");
        const char *value = api_input_string(entry, "value");
        if (key && value)
            json_object_set_new(object, key, json_string(value));
    }
    char *text = json_object_size(object) ? json_dumps(object, JSON_COMPACT) : NULL;
    json_decref(object);
    return text;
}

static const char *required(struct api_call *call, const char *name)
{
    const char *value = api_input_string(call->input, name);
    if (!value) {
        char message[128];
        snprintf(message, sizeof message, "Invalid parameter: %s Reason: cannot be empty", name);
        api_fail(call, 400, "InvalidParameter", message);
    }
    return value;
}

static void create_topic(struct api_call *call)
{
    const char *name = required(call, "Name");
    if (!name)
        return;
    if (!valid_topic_name(name))
        return api_fail(call, 400, "InvalidParameter",
                        "Invalid parameter: Topic Name must be made up of only uppercase and "
                        "lowercase ASCII letters, numbers, underscores, and hyphens, and must "
                        "be between 1 and 256 characters long.");
    char arn[400];
    snprintf(arn, sizeof arn, "arn:aws:sns:%s:%s:%s", call->region, call->account_id, name);
    char *attributes = attributes_text(call->input);
    struct store_topic topic = {arn, name, attributes ? attributes : "{}", call->now_ms};
    struct store_error error;
    bool created;
    bool ok = store_topic_put(call->store, &topic, &created, &error);
    free(attributes);
    if (!ok)
        return api_fail_internal(call, error.message);
    api_reply(call, json_pack("{s:s}", "TopicArn", arn));
}

static bool list_topic(void *context, const struct store_topic *topic)
{
    json_t *topics = context;
    return json_array_append_new(topics, json_pack("{s:s}", "TopicArn", topic->arn)) == 0;
}

static bool has_topic(json_t *topics, const char *arn)
{
    size_t index;
    json_t *item;
    json_array_foreach(topics, index, item)
    {
        if (strcmp(api_input_string(item, "TopicArn"), arn) == 0)
            return true;
    }
    return false;
}

static json_t *all_topics(struct api_call *call)
{
    json_t *topics = json_array();
    struct store_error error;
    if (!store_topic_list(call->store, list_topic, topics, &error)) {
        json_decref(topics);
        api_fail_internal(call, error.message);
        return NULL;
    }
    const struct config *config = call->settings->config;
    for (size_t i = 0; config && i < config->topics.count; i++) {
        if (!has_topic(topics, config->topics.items[i].arn))
            json_array_append_new(topics,
                                  json_pack("{s:s}", "TopicArn", config->topics.items[i].arn));
    }
    return topics;
}

static void list_topics(struct api_call *call)
{
    json_t *topics = all_topics(call);
    json_t *output = topics ? json_object() : NULL;
    if (output &&
        api_page(call, topics, LIST_TOPICS_PAGE_SIZE, "Topics", "InvalidParameter", output))
        api_reply(call, output);
    else
        json_decref(output);
    json_decref(topics);
}

static void delete_topic(struct api_call *call)
{
    const char *arn = required(call, "TopicArn");
    if (!arn)
        return;
    struct store_error error;
    bool deleted;
    if (!store_topic_delete(call->store, arn, &deleted, &error))
        return api_fail_internal(call, error.message);
    api_reply(call, NULL); /* SNS's DeleteTopic is idempotent */
}

static void fail_sns(struct api_call *call, enum monitor_sns_status status, const char *message)
{
    switch (status) {
    case MONITOR_SNS_INVALID_PARAMETER:
        return api_fail(call, 400, "InvalidParameter", message);
    case MONITOR_SNS_NOT_FOUND:
        return api_fail(call, 404, "NotFound", message);
    default:
        return api_fail_internal(call, message);
    }
}

struct subscription_context {
    struct api_call *call;
    struct notify_signing_key key;
    struct monitor_subscription_settings settings;
};

static bool subscription_settings(struct api_call *call, struct subscription_context *context)
{
    *context = (struct subscription_context){.call = call};
    struct monitor_error error;
    if (!monitor_signing_key(call->store, &context->key, &error)) {
        api_fail_internal(call, error.message);
        return false;
    }
    const struct config *config = call->settings->config;
    context->settings = (struct monitor_subscription_settings){
        .configured = config ? &config->topics : NULL,
        .public_base_url = config && config->settings.public_base_url
                               ? config->settings.public_base_url
                               : "http://127.0.0.1:4566",
        .signing_key = &context->key,
    };
    return true;
}

struct pending_lookup {
    const char *protocol, *endpoint;
    char *arn;
};

static bool find_pending(void *context, const struct store_subscription *subscription)
{
    struct pending_lookup *lookup = context;
    if (strcmp(subscription->state, "pending") != 0 ||
        strcmp(subscription->protocol, lookup->protocol) != 0 ||
        strcmp(subscription->endpoint, lookup->endpoint) != 0)
        return true;
    free(lookup->arn);
    lookup->arn = strdup(subscription->arn);
    return true;
}

/* ReturnSubscriptionArn=true: the pending subscription's ARN instead of "pending
 * confirmation" (owned by the caller; NULL when not found). */
static char *pending_arn(struct api_call *call, const char *topic, const char *protocol,
                         const char *endpoint)
{
    struct pending_lookup lookup = {protocol, endpoint, NULL};
    struct store_error error;
    if (!store_subscription_list(call->store, topic, find_pending, &lookup, &error)) {
        free(lookup.arn);
        return NULL;
    }
    return lookup.arn;
}

static void subscribe(struct api_call *call)
{
    const char *topic = required(call, "TopicArn");
    const char *protocol = topic ? required(call, "Protocol") : NULL;
    const char *endpoint = protocol ? required(call, "Endpoint") : NULL;
    struct subscription_context context;
    if (!endpoint || !subscription_settings(call, &context))
        return;
    char *attributes = attributes_text(call->input);
    char *arn = NULL;
    struct monitor_error error;
    enum monitor_sns_status status =
        monitor_subscribe(call->store, &context.settings, topic, protocol, endpoint, attributes,
                          call->now_ms, &arn, &error);
    free(attributes);
    notify_signing_key_free(&context.key);
    if (status != MONITOR_SNS_OK)
        return fail_sns(call, status, error.message);
    if (json_is_true(json_object_get(call->input, "ReturnSubscriptionArn")) &&
        strcmp(arn, MONITOR_PENDING_CONFIRMATION) == 0) {
        char *pending = pending_arn(call, topic, protocol, endpoint);
        if (pending) {
            free(arn);
            arn = pending;
        }
    }
    api_reply(call, json_pack("{s:s}", "SubscriptionArn", arn));
    free(arn);
}

static void confirm_subscription(struct api_call *call)
{
    const char *topic = required(call, "TopicArn");
    const char *token = topic ? required(call, "Token") : NULL;
    if (!token)
        return;
    char *arn = NULL;
    struct monitor_error error;
    enum monitor_sns_status status =
        monitor_confirm_subscription(call->store, topic, token, call->now_ms, &arn, &error);
    if (status != MONITOR_SNS_OK)
        return fail_sns(call, status, error.message);
    api_reply(call, json_pack("{s:s}", "SubscriptionArn", arn));
    free(arn);
}

static void unsubscribe(struct api_call *call)
{
    const char *arn = required(call, "SubscriptionArn");
    struct subscription_context context;
    if (!arn || !subscription_settings(call, &context))
        return;
    struct monitor_error error;
    enum monitor_sns_status status =
        monitor_unsubscribe(call->store, &context.settings, arn, call->now_ms, &error);
    notify_signing_key_free(&context.key);
    if (status != MONITOR_SNS_OK && status != MONITOR_SNS_NOT_FOUND)
        return fail_sns(call, status, error.message);
    api_reply(call, NULL); /* SNS answers an unknown subscription with success */
}

static bool list_subscription(void *context, const struct store_subscription *subscription)
{
    struct api_call *call = ((void **)context)[0];
    json_t *list = ((void **)context)[1];
    bool pending = strcmp(subscription->state, "confirmed") != 0;
    return json_array_append_new(
               list, json_pack("{s:s, s:s, s:s, s:s, s:s}", "SubscriptionArn",
                               pending ? "PendingConfirmation" : subscription->arn, "Owner",
                               call->account_id, "Protocol", subscription->protocol, "Endpoint",
                               subscription->endpoint, "TopicArn", subscription->topic_arn)) == 0;
}

static void list_subscriptions_by_topic(struct api_call *call)
{
    const char *topic = required(call, "TopicArn");
    if (!topic)
        return;
    json_t *topics = all_topics(call);
    if (!topics)
        return;
    bool exists = has_topic(topics, topic);
    json_decref(topics);
    if (!exists)
        return api_fail(call, 404, "NotFound", "Topic does not exist");
    json_t *list = json_array();
    struct store_error error;
    if (!store_subscription_list(call->store, topic, list_subscription, (void *[]){call, list},
                                 &error)) {
        json_decref(list);
        return api_fail_internal(call, error.message);
    }
    api_reply(call, json_pack("{s:o}", "Subscriptions", list));
}

/* ---- Publish ---- */

#define SNS_MESSAGE_MAX_BYTES (256 * 1024)
#define SNS_SUBJECT_MAX 100

static const struct notify_topic *find_topic(const struct notify_topic_list *topics,
                                             const char *arn)
{
    for (size_t i = 0; i < topics->count; i++) {
        if (strcmp(topics->items[i].arn, arn) == 0)
            return &topics->items[i];
    }
    return NULL;
}

static bool enqueue_publish(struct api_call *call, const struct notify_topic *topic,
                            const struct subscription_context *context, const char *subject,
                            const char *message, char message_id[37])
{
    struct monitor_notify_settings settings = {
        .region = call->region,
        .account_id = call->account_id,
        .public_base_url = context->settings.public_base_url,
        .signing_key = &context->key,
    };
    struct store_error error;
    bool ok = store_begin(call->store, &error) &&
              monitor_publish(call->store, topic, subject, message, &settings, call->now_ms,
                              message_id, &error);
    if (ok)
        ok = store_commit(call->store, &error);
    else
        store_rollback(call->store);
    if (!ok)
        api_fail_internal(call, error.message);
    return ok;
}

static bool check_publish(struct api_call *call, const char *topic, const char *message,
                          const char *subject)
{
    if (!topic) {
        api_fail(call, 400, "InvalidParameter",
                 "Invalid parameter: TopicArn or TargetArn Reason: no value for required "
                 "parameter");
        return false;
    }
    if (!message || !*message || strlen(message) > SNS_MESSAGE_MAX_BYTES) {
        api_fail(call, 400, "InvalidParameter",
                 !message || !*message ? "Invalid parameter: Empty message"
                                       : "Invalid parameter: Message too long");
        return false;
    }
    if (subject && (!*subject || strlen(subject) > SNS_SUBJECT_MAX || strpbrk(subject, "\r\n"))) {
        api_fail(call, 400, "InvalidParameter", "Invalid parameter: Subject");
        return false;
    }
    return true;
}

static void publish(struct api_call *call)
{
    const char *topic_arn = api_input_string(call->input, "TopicArn");
    if (!topic_arn)
        topic_arn = api_input_string(call->input, "TargetArn");
    const char *message = api_input_string(call->input, "Message");
    const char *subject = api_input_string(call->input, "Subject");
    struct subscription_context context;
    if (!check_publish(call, topic_arn, message, subject) || !subscription_settings(call, &context))
        return;
    const struct config *config = call->settings->config;
    struct notify_topic_list topics = {0};
    struct monitor_error error;
    if (!monitor_topics_load(call->store, config ? &config->topics : NULL, &topics, &error)) {
        notify_signing_key_free(&context.key);
        return api_fail_internal(call, error.message);
    }
    const struct notify_topic *topic = find_topic(&topics, topic_arn);
    char message_id[37];
    if (!topic)
        api_fail(call, 404, "NotFound", "Topic does not exist");
    else if (enqueue_publish(call, topic, &context, subject, message, message_id))
        api_reply(call, json_pack("{s:s}", "MessageId", message_id));
    notify_topic_list_free(&topics);
    notify_signing_key_free(&context.key);
}

struct sns_operation {
    const char *name;
    void (*run)(struct api_call *call);
};

static const struct sns_operation SNS_OPERATIONS[] = {
    {"CreateTopic", create_topic},
    {"ListTopics", list_topics},
    {"DeleteTopic", delete_topic},
    {"Subscribe", subscribe},
    {"ConfirmSubscription", confirm_subscription},
    {"Unsubscribe", unsubscribe},
    {"ListSubscriptionsByTopic", list_subscriptions_by_topic},
    {"Publish", publish},
};

bool api_sns_dispatch(struct api_call *call)
{
    for (size_t i = 0; i < sizeof SNS_OPERATIONS / sizeof *SNS_OPERATIONS; i++) {
        if (strcmp(SNS_OPERATIONS[i].name, call->operation) == 0) {
            SNS_OPERATIONS[i].run(call);
            return true;
        }
    }
    return false;
}
