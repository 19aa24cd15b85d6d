/* Topics and subscriptions: lists, lookups, and stable ARNs for configured subscriptions. */
#include "base/hash.h"
#include "notify/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void subscription_free(struct notify_subscription *subscription)
{
    free(subscription->endpoint);
    free(subscription->arn);
    free(subscription->delivery_policy);
    free(subscription->origin);
}

static void topic_free(struct notify_topic *topic)
{
    for (size_t i = 0; i < topic->subscription_count; i++)
        subscription_free(&topic->subscriptions[i]);
    free(topic->subscriptions);
    free(topic->name);
    free(topic->arn);
    free(topic->display_name);
    free(topic->delivery_policy);
    free(topic->origin);
}

void notify_topic_list_free(struct notify_topic_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        topic_free(&list->items[i]);
    free(list->items);
    *list = (struct notify_topic_list){0};
}

void notify_topic_list_truncate(struct notify_topic_list *list, size_t count)
{
    while (list->count > count)
        topic_free(&list->items[--list->count]);
}

/* strdup that keeps NULL; *ok turns false when memory runs out. */
static char *copy_text(const char *text, bool *ok)
{
    if (!text)
        return NULL;
    char *copy = strdup(text);
    *ok = *ok && copy;
    return copy;
}

static bool subscription_copy(struct notify_subscription *into,
                              const struct notify_subscription *from)
{
    bool ok = true;
    *into = *from;
    into->endpoint = copy_text(from->endpoint, &ok);
    into->arn = copy_text(from->arn, &ok);
    into->delivery_policy = copy_text(from->delivery_policy, &ok);
    into->origin = copy_text(from->origin, &ok);
    if (!ok)
        subscription_free(into);
    return ok;
}

static bool topic_copy(struct notify_topic *into, const struct notify_topic *from)
{
    bool ok = true;
    *into = (struct notify_topic){0};
    into->name = copy_text(from->name, &ok);
    into->arn = copy_text(from->arn, &ok);
    into->display_name = copy_text(from->display_name, &ok);
    into->delivery_policy = copy_text(from->delivery_policy, &ok);
    into->origin = copy_text(from->origin, &ok);
    size_t count = from->subscription_count;
    into->subscriptions = calloc(count ? count : 1, sizeof *into->subscriptions);
    ok = ok && into->subscriptions;
    for (size_t i = 0; ok && i < count; i++) {
        ok = subscription_copy(&into->subscriptions[i], &from->subscriptions[i]);
        into->subscription_count = ok ? i + 1 : i;
    }
    if (!ok)
        topic_free(into);
    return ok;
}

bool notify_topic_list_append(struct notify_topic_list *list, const struct notify_topic *topic)
{
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 8;
        struct notify_topic *grown = realloc(list->items, capacity * sizeof *grown);
        if (!grown)
            return false;
        list->items = grown;
        list->capacity = capacity;
    }
    if (!topic_copy(&list->items[list->count], topic))
        return false;
    list->count++;
    return true;
}

static bool is_reference(const char *endpoint)
{
    return strncmp(endpoint, "env:", 4) == 0 || strncmp(endpoint, "file:", 5) == 0;
}

const char *notify_endpoint_problem(enum notify_protocol protocol, const char *endpoint)
{
    switch (protocol) {
    case NOTIFY_EMAIL:
    case NOTIFY_EMAIL_JSON:
        return strchr(endpoint, '@') && !strpbrk(endpoint, " \t\r\n<>") ? NULL
                                                                        : "an e-mail address";
    case NOTIFY_HTTP:
        return is_reference(endpoint) || strncmp(endpoint, "http://", 7) == 0 ? NULL
                                                                              : "an http:// URL";
    case NOTIFY_HTTPS:
    case NOTIFY_SLACK:
        /* http://127.… too: local test receivers */
        return is_reference(endpoint) || strncmp(endpoint, "https://", 8) == 0 ||
                       strncmp(endpoint, "http://127.", 11) == 0
                   ? NULL
                   : "an https:// URL (or env:NAME / file:PATH)";
    case NOTIFY_SNS:
        return strncmp(endpoint, "arn:aws", 7) == 0 && strstr(endpoint, ":sns:")
                   ? NULL
                   : "an SNS topic ARN";
    case NOTIFY_PAGERDUTY:
    case NOTIFY_EXEC:
        break;
    }
    return NULL;
}

bool notify_topic_add_subscription(struct notify_topic *topic,
                                   const struct notify_subscription *subscription)
{
    size_t count = topic->subscription_count;
    struct notify_subscription *grown = realloc(topic->subscriptions, (count + 1) * sizeof *grown);
    if (!grown)
        return false;
    topic->subscriptions = grown;
    if (!subscription_copy(&grown[count], subscription))
        return false;
    topic->subscription_count = count + 1;
    return true;
}

const struct notify_topic *notify_topic_find(const struct notify_topic_list *list,
                                             const char *arn_or_name)
{
    for (size_t i = 0; arn_or_name && i < list->count; i++)
        if ((list->items[i].arn && strcmp(list->items[i].arn, arn_or_name) == 0) ||
            strcmp(list->items[i].name, arn_or_name) == 0)
            return &list->items[i];
    return NULL;
}

/* FNV-1a, 64 bits, from a chosen basis: two bases give 128 bits for a UUID-shaped name. It
 * names a subscription; it protects nothing, so a cryptographic hash is not needed. */
static uint64_t fnv1a(uint64_t hash, const char *text)
{
    hash = fnv1a_64_continue(hash, text, strlen(text));
    return fnv1a_64_continue(hash, "\xff", 1); /* separates "a"+"bc" from "ab"+"c" */
}

char *notify_subscription_arn(const char *topic_arn, enum notify_protocol protocol,
                              const char *endpoint)
{
    uint64_t high = 0xcbf29ce484222325ULL, low = 0x84222325cbf29ce4ULL;
    const char *parts[] = {topic_arn, notify_protocol_name(protocol), endpoint};
    for (size_t i = 0; i < 3; i++) {
        high = fnv1a(high, parts[i] ? parts[i] : "");
        low = fnv1a(low, parts[i] ? parts[i] : "");
    }
    size_t size = strlen(topic_arn) + 38;
    char *arn = malloc(size);
    if (arn)
        snprintf(arn, size, "%s:%08x-%04x-%04x-%04x-%012llx", topic_arn, (unsigned)(high >> 32),
                 (unsigned)(high >> 16) & 0xffff, (unsigned)high & 0xffff,
                 (unsigned)(low >> 48) & 0xffff, (unsigned long long)(low & 0xffffffffffffULL));
    return arn;
}
