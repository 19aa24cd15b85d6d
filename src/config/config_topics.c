/* The configuration file's `topics`: SNS topics with their subscriptions, spelled as SNS
 * spells them (Name, DisplayName, DeliveryPolicy, Subscriptions of Protocol and Endpoint).
 * Subscriptions declared here count as confirmed. Endpoints may be secret references
 * (env:NAME, file:PATH); they are kept as written and resolved only when a message is sent.
 * ARNs are made once every file is read (config_finish), from the account and region.
 * GroupingWindowSeconds (ours, on a topic or a subscription; the subscription's wins) makes
 * the state changes of one alarm within the window share one message. */
#include "config/config_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SNS's topic names: 1-256 of letters, digits, '-' and '_'. */
static bool check_topic_name(struct config_loader *loader, const struct config_node *node,
                             const char *path)
{
    char field[FIELD_PATH_SIZE];
    config_field_path(field, path, "Name");
    if (!config_expect_name(loader, node, field, 256, ""))
        return false;
    size_t clean = strspn(node->text, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                      "0123456789-_");
    if (clean < node->length)
        return config_fail(loader, node->line, field,
                           "may hold only letters, digits, '-' and '_' (found '%c')",
                           node->text[clean] < 0x20 ? '?' : node->text[clean]);
    return true;
}

/* DeliveryPolicy: a policy name, or SNS's delivery-policy JSON as a string. */
static bool load_policy(struct config_loader *loader, const struct config_node *mapping,
                        const char *path, char **out)
{
    char field[FIELD_PATH_SIZE];
    const struct config_node *node = config_optional_field(mapping, path, "DeliveryPolicy", field);
    if (!node)
        return true;
    if (!config_expect_text(loader, node, field))
        return false;
    struct notify_retry_policy policy;
    struct notify_error error;
    if (!notify_retry_policy_parse(node->text, &policy, &error))
        return config_fail(loader, node->line, field, "%s", error.message);
    *out = node->text;
    return true;
}

/* Grouping windows: whole seconds, up to a day (a longer hold would delay alerts too long). */
#define GROUPING_WINDOW_MAX_SECONDS 86400

/* GroupingWindowSeconds; `out` is left as it is when the key is absent. */
static bool load_grouping_window(struct config_loader *loader, const struct config_node *mapping,
                                 const char *path, int *out)
{
    char field[FIELD_PATH_SIZE];
    const struct config_node *node =
        config_optional_field(mapping, path, "GroupingWindowSeconds", field);
    if (!node)
        return true;
    double value;
    if (!config_expect_number(loader, node, field, &value))
        return false;
    /* Range first: converting a double beyond int's range is undefined behaviour. */
    if (!(value >= 0 && value <= GROUPING_WINDOW_MAX_SECONDS) || value != floor(value))
        return config_fail(loader, node->line, field,
                           "must be a whole number of seconds from 0 (no grouping) to %d",
                           GROUPING_WINDOW_MAX_SECONDS);
    *out = (int)value;
    return true;
}

static bool check_endpoint(struct config_loader *loader, const struct config_node *node,
                           const char *field, enum notify_protocol protocol)
{
    const char *expected = notify_endpoint_problem(protocol, node->text);
    return !expected || config_fail(loader, node->line, field, "must be %s", expected);
}

static bool load_subscription(struct config_loader *loader, const struct config_node *node,
                              const char *path, struct notify_subscription *out)
{
    static const char *const known[] = {"Protocol",           "Endpoint",
                                        "RawMessageDelivery", "ResolveOnInsufficientData",
                                        "DeliveryPolicy",     "GroupingWindowSeconds"};
    if (node->kind != NODE_MAPPING)
        return config_fail(loader, node->line, path,
                           "expected a mapping with Protocol and Endpoint, found %s",
                           config_node_kind_name(node));
    if (!config_mapping_check_keys(loader, node, path, known, sizeof known / sizeof known[0]))
        return false;
    const struct config_node *protocol = config_required(loader, node, path, "Protocol");
    const struct config_node *endpoint = config_required(loader, node, path, "Endpoint");
    char field[FIELD_PATH_SIZE];
    if (!protocol || !endpoint ||
        !config_expect_text(loader, protocol, config_field_path(field, path, "Protocol")))
        return false;
    if (!notify_protocol_parse(protocol->text, &out->protocol))
        return config_fail(loader, protocol->line, field,
                           "'%s' is not one of email, email-json, http, https, slack, "
                           "pagerduty, exec, sns",
                           config_quoted((char[64]){0}, protocol->text, protocol->length));
    config_field_path(field, path, "Endpoint");
    if (!config_expect_name(loader, endpoint, field, 2048, "") ||
        !check_endpoint(loader, endpoint, field, out->protocol))
        return false;
    out->endpoint = endpoint->text;
    out->confirmed = true;
    out->resolve_on_insufficient_data = true;
    out->origin = NULL;
    return config_optional_flag(loader, node, path, "RawMessageDelivery",
                                &out->raw_message_delivery) &&
           config_optional_flag(loader, node, path, "ResolveOnInsufficientData",
                                &out->resolve_on_insufficient_data) &&
           load_policy(loader, node, path, &out->delivery_policy) &&
           load_grouping_window(loader, node, path, &out->grouping_window_seconds);
}

static bool load_subscriptions(struct config_loader *loader, const struct config_node *topic,
                               const char *path, int topic_window, struct notify_topic *out)
{
    const struct config_node *list = config_mapping_get_optional(topic, "Subscriptions");
    if (!list)
        return true;
    char field[FIELD_PATH_SIZE];
    config_field_path(field, path, "Subscriptions");
    if (list->kind != NODE_SEQUENCE)
        return config_fail(loader, list->line, field, "expected a list, found %s",
                           config_node_kind_name(list));
    out->subscriptions = calloc(list->count ? list->count : 1, sizeof *out->subscriptions);
    if (!out->subscriptions)
        return config_fail(loader, list->line, field, "out of memory");
    for (size_t i = 0; i < list->count; i++) {
        char item[FIELD_PATH_SIZE];
        config_item_path(item, field, i);
        out->subscriptions[i].grouping_window_seconds = topic_window; /* unless it names its own */
        if (!load_subscription(loader, &list->children[i], item, &out->subscriptions[i]))
            return false;
        out->subscription_count = i + 1;
    }
    return true;
}

static bool load_topic_fields(struct config_loader *loader, const struct config_node *node,
                              const char *path, struct notify_topic *out)
{
    static const char *const known[] = {"Name", "DisplayName", "DeliveryPolicy", "Subscriptions",
                                        "GroupingWindowSeconds"};
    if (node->kind != NODE_MAPPING)
        return config_fail(loader, node->line, path,
                           "expected a mapping with Name and Subscriptions, found %s",
                           config_node_kind_name(node));
    if (!config_mapping_check_keys(loader, node, path, known, sizeof known / sizeof known[0]))
        return false;
    const struct config_node *name = config_required(loader, node, path, "Name");
    if (!name || !check_topic_name(loader, name, path))
        return false;
    out->name = name->text;
    const struct config_node *display = config_mapping_get_optional(node, "DisplayName");
    char field[FIELD_PATH_SIZE];
    if (display && !config_expect_name(loader, display,
                                       config_field_path(field, path, "DisplayName"), 100, ""))
        return false;
    out->display_name = display ? display->text : NULL;
    int window = 0;
    return load_policy(loader, node, path, &out->delivery_policy) &&
           load_grouping_window(loader, node, path, &window) &&
           load_subscriptions(loader, node, path, window, out);
}

static bool load_topic(struct config_loader *loader, const struct config_node *node, size_t index,
                       struct notify_topic_list *loaded)
{
    char path[64];
    snprintf(path, sizeof path, "topics[%zu]", index);
    struct notify_topic topic = {0};
    bool ok = load_topic_fields(loader, node, path, &topic);
    if (ok && notify_topic_find(loaded, topic.name)) {
        char field[FIELD_PATH_SIZE];
        ok = config_fail(loader, config_mapping_get(node, "Name")->line,
                         config_field_path(field, path, "Name"), "duplicate topic Name '%s'",
                         topic.name);
    }
    char origin[FIELD_PATH_SIZE + 32];
    snprintf(origin, sizeof origin, "%s:%zu", loader->name, node->line);
    topic.origin = origin;
    /* the topic borrows the tree's strings; the list keeps deep copies */
    ok = ok && (notify_topic_list_append(loaded, &topic) ||
                config_fail(loader, node->line, path, "out of memory"));
    free(topic.subscriptions);
    return ok;
}

bool config_load_topics(struct config_loader *loader, const struct config_node *list,
                        struct notify_topic_list *loaded)
{
    if (list->kind == NODE_MAPPING && list->count == 0)
        return true; /* `topics: {}` as older files reserved it */
    if (list->kind != NODE_SEQUENCE)
        return config_fail(loader, list->line, "topics", "expected a list, found %s",
                           config_node_kind_name(list));
    for (size_t i = 0; i < list->count; i++)
        if (!load_topic(loader, &list->children[i], i, loaded))
            return false;
    return true;
}
