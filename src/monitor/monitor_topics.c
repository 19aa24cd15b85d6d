/* The topics alarm actions deliver to: the configuration file's, then the store's (made
 * through the API), with the store's subscriptions added to the topic of their ARN. A
 * store subscription is confirmed only in state "confirmed": monitor_enqueue_notifications
 * skips the others, so nothing reaches a subscription before its token came back. */
#include "monitor/monitor.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads an attributes object's string member; NULL when absent or not a string (the
 * writer, monitor_subscribe, stores only strings). */
static const char *attribute(json_t *attributes, const char *name)
{
    return json_string_value(json_object_get(attributes, name));
}

static bool attribute_is(json_t *attributes, const char *name, const char *value)
{
    const char *text = attribute(attributes, name);
    return text && strcmp(text, value) == 0;
}

struct topics_load {
    struct notify_topic_list *topics;
    bool out_of_memory;
};

static struct notify_topic *topic_with_arn(struct notify_topic_list *topics, const char *arn)
{
    for (size_t i = 0; i < topics->count; i++)
        if (topics->items[i].arn && strcmp(topics->items[i].arn, arn) == 0)
            return &topics->items[i];
    return NULL;
}

static bool add_store_topic(void *context, const struct store_topic *stored)
{
    struct topics_load *load = context;
    if (topic_with_arn(load->topics, stored->arn))
        return true; /* configured: the file's attributes win */
    json_t *attributes = json_loads(stored->attributes_json, 0, NULL);
    struct notify_topic topic = {
        .name = (char *)stored->name, /* the list copies what it is given */
        .arn = (char *)stored->arn,
        .display_name = (char *)attribute(attributes, "DisplayName"),
        .delivery_policy = (char *)attribute(attributes, "DeliveryPolicy"),
        .origin = "api",
    };
    load->out_of_memory = !notify_topic_list_append(load->topics, &topic);
    json_decref(attributes);
    return !load->out_of_memory;
}

static bool add_store_subscription(void *context, const struct store_subscription *stored)
{
    struct topics_load *load = context;
    struct notify_topic *topic = topic_with_arn(load->topics, stored->topic_arn);
    struct notify_subscription subscription = {0};
    if (!topic || !notify_protocol_parse(stored->protocol, &subscription.protocol))
        return true; /* its topic left the configuration file: it has nothing to receive */
    json_t *attributes = json_loads(stored->attributes_json, 0, NULL);
    subscription.endpoint = (char *)stored->endpoint;
    subscription.arn = (char *)stored->arn;
    subscription.confirmed = strcmp(stored->state, "confirmed") == 0;
    subscription.raw_message_delivery = attribute_is(attributes, "RawMessageDelivery", "true");
    subscription.resolve_on_insufficient_data =
        !attribute_is(attributes, "ResolveOnInsufficientData", "false");
    subscription.delivery_policy = (char *)attribute(attributes, "DeliveryPolicy");
    subscription.origin = "api";
    load->out_of_memory = !notify_topic_add_subscription(topic, &subscription);
    json_decref(attributes);
    return !load->out_of_memory;
}

static bool copy_configured(const struct notify_topic_list *configured,
                            struct notify_topic_list *topics)
{
    for (size_t i = 0; configured && i < configured->count; i++)
        if (!notify_topic_list_append(topics, &configured->items[i]))
            return false;
    return true;
}

bool monitor_topics_load(struct store *store, const struct notify_topic_list *configured,
                         struct notify_topic_list *topics, struct monitor_error *error)
{
    *topics = (struct notify_topic_list){0};
    struct topics_load load = {.topics = topics};
    struct store_error store_error = {.message = "out of memory"};
    bool ok = copy_configured(configured, topics) &&
              store_topic_list(store, add_store_topic, &load, &store_error) &&
              !load.out_of_memory &&
              store_subscription_list(store, NULL, add_store_subscription, &load, &store_error) &&
              !load.out_of_memory;
    if (ok)
        return true;
    notify_topic_list_free(topics);
    snprintf(error->message, sizeof error->message, "topics: %s",
             load.out_of_memory ? "out of memory" : store_error.message);
    return false;
}
