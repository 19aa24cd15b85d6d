/* SNS's subscription flow for subscriptions made through the API (notifications.md §4.2,
 * §4.4): Subscribe stores a pending subscription with a fresh token and queues the
 * confirmation request in the same transaction; ConfirmSubscription turns the token into a
 * confirmed subscription; Unsubscribe removes it and tells an http/https endpoint, whose
 * UnsubscribeConfirmation can restore it. Error texts are SNS's where known. */
#include "monitor/monitor_internal.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ENDPOINT_MAX_LENGTH 2048

__attribute__((format(printf, 3, 4))) static enum monitor_sns_status
fail(struct monitor_error *error, enum monitor_sns_status status, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(error->message, sizeof error->message, format, arguments);
    va_end(arguments);
    return status;
}

static enum monitor_sns_status store_failed(struct monitor_error *error,
                                            const struct store_error *store_error)
{
    return fail(error, MONITOR_SNS_INTERNAL_ERROR, "%s", store_error->message);
}

/* ---- callback URLs ------------------------------------------------------------------------ */

/* RFC 3986's unreserved characters, plus ':' and '@' so ARNs and e-mail addresses read as
 * SNS writes them in its URLs. */
static bool plain_in_query(unsigned char byte)
{
    return (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
           (byte >= '0' && byte <= '9') || (byte && strchr("-._~:@", byte));
}

/* BASE (trailing slashes dropped) + `path` + `?name=value&…` from `pairs` (names and values
 * alternating, NULL-terminated), values percent-encoded. malloc'ed. */
static char *public_url(const char *base, const char *path, const char *const *pairs)
{
    size_t size = strlen(base) + strlen(path) + 2;
    for (size_t i = 0; pairs[i]; i += 2)
        size += strlen(pairs[i]) + 3 * strlen(pairs[i + 1]) + 2;
    char *url = malloc(size);
    if (!url)
        return NULL;
    size_t length = strlen(base);
    while (length > 0 && base[length - 1] == '/')
        length--;
    memcpy(url, base, length);
    length += (size_t)sprintf(url + length, "%s", path);
    for (size_t i = 0; pairs[i]; i += 2) {
        length += (size_t)sprintf(url + length, "%c%s=", i == 0 ? '?' : '&', pairs[i]);
        for (const unsigned char *at = (const unsigned char *)pairs[i + 1]; *at; at++)
            length += (size_t)(plain_in_query(*at) ? sprintf(url + length, "%c", *at)
                                                   : sprintf(url + length, "%%%02X", *at));
    }
    return url;
}

/* SubscribeURL: BASE/?Action=ConfirmSubscription&TopicArn=…&Token=… (§4.2, §4.4). */
static char *subscribe_url(const char *base, const char *topic_arn, const char *token)
{
    const char *pairs[] = {"Action", "ConfirmSubscription", "TopicArn", topic_arn, "Token", token,
                           NULL};
    return public_url(base, "/", pairs);
}

/* The link of a confirmation mail, as SNS's: BASE/confirmation.html?TopicArn=…&Token=…
 * &Endpoint=… (the endpoint left out when it is a secret, as a Slack webhook is). */
static char *confirmation_link(const char *base, const char *topic_arn, const char *token,
                               const char *email)
{
    const char *pairs[] = {"TopicArn", topic_arn, "Token", token, email ? "Endpoint" : NULL,
                           email,      NULL};
    return public_url(base, "/confirmation.html", pairs);
}

/* ---- confirmation messages into the outbox ------------------------------------------------ */

/* Who a confirmation message goes to, and what it confirms. */
struct confirmation {
    enum notify_envelope_type type;
    const char *topic_arn, *subscription_arn;
    enum notify_protocol protocol;
    const char *endpoint; /* as stored */
    const char *token;
    const char *policy; /* the retry policy a notification to it would have */
};

static char *signed_confirmation(const struct monitor_subscription_settings *settings,
                                 const struct confirmation *confirmation, const char *message_id,
                                 int64_t now_ms)
{
    char *message = confirmation->type == NOTIFY_ENVELOPE_SUBSCRIPTION_CONFIRMATION
                        ? notify_subscription_confirmation_message(confirmation->topic_arn)
                        : notify_unsubscribe_confirmation_message(confirmation->subscription_arn);
    char *url =
        subscribe_url(settings->public_base_url, confirmation->topic_arn, confirmation->token);
    const char *no_pairs[] = {NULL};
    char *certificate =
        public_url(settings->public_base_url, "/" MONITOR_SIGNING_CERT_NAME, no_pairs);
    struct notify_envelope envelope = {.type = confirmation->type,
                                       .message_id = message_id,
                                       .topic_arn = confirmation->topic_arn,
                                       .message = message,
                                       .token = confirmation->token,
                                       .subscribe_url = url,
                                       .signing_cert_url = certificate,
                                       .timestamp_ms = now_ms,
                                       .signature_version = 2};
    struct notify_error error;
    char *json = message && url && certificate
                     ? notify_envelope_json(&envelope, settings->signing_key, &error)
                     : NULL;
    free(message);
    free(url);
    free(certificate);
    return json;
}

/* The request as the protocol carries it: an SNS envelope (http, https, e-mail JSON), SNS's
 * confirmation mail, or a Slack message. */
static char *confirmation_body(const struct monitor_subscription_settings *settings,
                               const struct confirmation *confirmation, const char *message_id,
                               int64_t now_ms)
{
    if (confirmation->protocol != NOTIFY_EMAIL && confirmation->protocol != NOTIFY_SLACK)
        return signed_confirmation(settings, confirmation, message_id, now_ms);
    bool email = confirmation->protocol == NOTIFY_EMAIL;
    char *link = confirmation_link(settings->public_base_url, confirmation->topic_arn,
                                   confirmation->token, email ? confirmation->endpoint : NULL);
    char *body = !link   ? NULL
                 : email ? notify_subscription_confirmation_email(confirmation->topic_arn, link)
                         : notify_slack_subscription_confirmation(confirmation->topic_arn, link);
    free(link);
    return body;
}

static enum monitor_sns_status
queue_confirmation(struct store *store, const struct monitor_subscription_settings *settings,
                   const struct confirmation *confirmation, int64_t now_ms,
                   struct monitor_error *error)
{
    char message_id[37];
    if (!notify_uuid(message_id))
        return fail(error, MONITOR_SNS_INTERNAL_ERROR, "no source of random bytes");
    char *body = confirmation_body(settings, confirmation, message_id, now_ms);
    if (!body)
        return fail(error, MONITOR_SNS_INTERNAL_ERROR, "cannot write the confirmation message");
    bool subscribing = confirmation->type == NOTIFY_ENVELOPE_SUBSCRIPTION_CONFIRMATION;
    struct store_outbox_message message = {
        .message_id = message_id,
        .topic_arn = confirmation->topic_arn,
        .subscription_arn = confirmation->subscription_arn,
        .protocol = notify_protocol_name(confirmation->protocol),
        .endpoint = confirmation->endpoint,
        .subject = subscribing ? NOTIFY_SUBSCRIPTION_CONFIRMATION_SUBJECT : NULL,
        .body = body,
        /* the message type keeps a pending subscription's ARN out of the headers (§4.1) */
        .attributes_json = subscribing ? "{\"messageType\":\"SubscriptionConfirmation\"}"
                                       : "{\"messageType\":\"UnsubscribeConfirmation\"}",
        .policy = confirmation->policy,
        .created_ms = now_ms,
        .next_attempt_ms = now_ms,
    };
    struct store_error store_error;
    bool ok = store_outbox_add(store, &message, &store_error);
    free(body);
    return ok ? MONITOR_SNS_OK : store_failed(error, &store_error);
}

/* ---- attributes ---------------------------------------------------------------------------- */

/* SNS's subscription attributes that trailhound does not act on yet: refused, because a
 * filter policy silently ignored would deliver what the subscriber asked not to get. */
static const char *const unsupported_attributes[] = {
    "FilterPolicy", "FilterPolicyScope", "RedrivePolicy", "SubscriptionRoleArn", "ReplayPolicy",
};

static bool is_unsupported(const char *name)
{
    for (size_t i = 0; i < sizeof unsupported_attributes / sizeof *unsupported_attributes; i++)
        if (strcmp(name, unsupported_attributes[i]) == 0)
            return true;
    return false;
}

/* "true"/"false" in any case, kept in lower case as SNS stores it. */
static bool check_flag(json_t *normalised, const char *name, const char *text,
                       struct monitor_error *error)
{
    bool flag = strcasecmp(text, "true") == 0;
    if (!flag && strcasecmp(text, "false") != 0)
        return monitor_fail(error, "Invalid parameter: Attributes Reason: %s must be true or false",
                            name);
    return json_object_set_new(normalised, name, json_string(flag ? "true" : "false")) == 0 ||
           monitor_fail(error, "out of memory");
}

static bool check_policy(json_t *normalised, const char *text, struct monitor_error *error)
{
    struct notify_retry_policy policy;
    struct notify_error notify_error;
    if (!notify_retry_policy_parse(text, &policy, &notify_error))
        return monitor_fail(error, "Invalid parameter: Attributes Reason: DeliveryPolicy: %s",
                            notify_error.message);
    return json_object_set_new(normalised, "DeliveryPolicy", json_string(text)) == 0 ||
           monitor_fail(error, "out of memory");
}

/* Checks one attribute and writes it, normalised, into `normalised`. */
static bool check_attribute(json_t *normalised, const char *name, json_t *value,
                            enum notify_protocol protocol, struct monitor_error *error)
{
    const char *text = json_string_value(value);
    if (!text)
        return monitor_fail(error, "Invalid parameter: Attributes Reason: %s must be a string",
                            name);
    if (is_unsupported(name))
        return monitor_fail(error,
                            "Invalid parameter: Attributes Reason: %s is not supported by "
                            "trailhound",
                            name);
    if (strcmp(name, "RawMessageDelivery") == 0 && protocol != NOTIFY_HTTP &&
        protocol != NOTIFY_HTTPS)
        return monitor_fail(error,
                            "Invalid parameter: Attributes Reason: Delivery protocol [%s] "
                            "does not support raw message delivery",
                            notify_protocol_name(protocol));
    if (strcmp(name, "RawMessageDelivery") == 0 || strcmp(name, "ResolveOnInsufficientData") == 0)
        return check_flag(normalised, name, text, error);
    if (strcmp(name, "DeliveryPolicy") == 0)
        return check_policy(normalised, text, error);
    return monitor_fail(error, "Invalid parameter: Attributes Reason: Unknown attribute %s", name);
}

/* The attributes checked and normalised, a new JSON object (the caller's reference); NULL
 * with `error` when one is refused. */
static json_t *read_attributes(const char *attributes_json, enum notify_protocol protocol,
                               struct monitor_error *error)
{
    json_error_t json_error;
    json_t *given = attributes_json
                        ? json_loads(attributes_json, JSON_REJECT_DUPLICATES, &json_error)
                        : json_object();
    json_t *normalised = json_object();
    bool ok = normalised && (json_is_object(given) ||
                             monitor_fail(error, "Invalid parameter: Attributes Reason: not a JSON "
                                                 "object of strings"));
    const char *name;
    json_t *value;
    json_object_foreach(given, name, value)
    {
        ok = ok && check_attribute(normalised, name, value, protocol, error);
    }
    json_decref(given);
    if (ok)
        return normalised;
    json_decref(normalised);
    return NULL;
}

/* SNS's rule for a subscription that exists: every attribute given must equal its own. */
static bool same_attributes(json_t *given, const char *stored_json)
{
    json_t *stored = json_loads(stored_json, 0, NULL);
    bool same = stored != NULL;
    const char *name;
    json_t *value;
    json_object_foreach(given, name, value)
    {
        same = same && json_equal(value, json_object_get(stored, name));
    }
    json_decref(stored);
    return same;
}

/* ---- Subscribe ----------------------------------------------------------------------------- */

/* Everything one Subscribe works with. */
struct subscribe_request {
    const char *topic_arn;
    enum notify_protocol protocol;
    const char *endpoint;
    json_t *attributes;
    char *attributes_text;            /* canonical JSON */
    const struct notify_topic *topic; /* in `topics` */
    struct notify_topic_list topics;
};

static void subscribe_request_free(struct subscribe_request *request)
{
    json_decref(request->attributes);
    free(request->attributes_text);
    notify_topic_list_free(&request->topics);
}

/* A confirmation needs someone at the endpoint: an address or URL anyone can name. What
 * only reaches a credential's owner (a PagerDuty routing key, trailhound's own AWS
 * credentials) or this host (exec) is confirmed at once. */
static bool needs_confirmation(enum notify_protocol protocol)
{
    return protocol != NOTIFY_PAGERDUTY && protocol != NOTIFY_SNS && protocol != NOTIFY_EXEC;
}

static enum monitor_sns_status check_request(const struct monitor_subscription_settings *settings,
                                             const char *protocol, const char *endpoint,
                                             struct subscribe_request *request,
                                             struct monitor_error *error)
{
    if (!protocol || !notify_protocol_parse(protocol, &request->protocol))
        return fail(error, MONITOR_SNS_INVALID_PARAMETER,
                    "Invalid parameter: Amazon SNS does not support this protocol string: %s",
                    protocol ? protocol : "");
    if (request->protocol == NOTIFY_EXEC && !settings->allow_exec)
        return fail(error, MONITOR_SNS_INVALID_PARAMETER,
                    "Invalid parameter: Protocol Reason: exec subscriptions run commands on the "
                    "trailhound host and are not allowed through the API");
    if (!endpoint || !*endpoint || strlen(endpoint) > ENDPOINT_MAX_LENGTH)
        return fail(error, MONITOR_SNS_INVALID_PARAMETER,
                    "Invalid parameter: Endpoint Reason: must be 1 to %d characters",
                    ENDPOINT_MAX_LENGTH);
    const char *expected = notify_endpoint_problem(request->protocol, endpoint);
    if (expected)
        return fail(error, MONITOR_SNS_INVALID_PARAMETER,
                    "Invalid parameter: Endpoint Reason: must be %s", expected);
    request->endpoint = endpoint;
    return MONITOR_SNS_OK;
}

static const struct notify_topic *topic_with_arn(const struct notify_topic_list *topics,
                                                 const char *arn)
{
    for (size_t i = 0; topics && arn && i < topics->count; i++)
        if (topics->items[i].arn && strcmp(topics->items[i].arn, arn) == 0)
            return &topics->items[i];
    return NULL;
}

static enum monitor_sns_status load_request(struct store *store,
                                            const struct monitor_subscription_settings *settings,
                                            const char *topic_arn, const char *attributes_json,
                                            struct subscribe_request *request,
                                            struct monitor_error *error)
{
    request->attributes = read_attributes(attributes_json, request->protocol, error);
    if (!request->attributes)
        return MONITOR_SNS_INVALID_PARAMETER;
    request->attributes_text =
        json_dumps(request->attributes, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    if (!request->attributes_text)
        return fail(error, MONITOR_SNS_INTERNAL_ERROR, "out of memory");
    if (!monitor_topics_load(store, settings->configured, &request->topics, error))
        return MONITOR_SNS_INTERNAL_ERROR;
    request->topic_arn = topic_arn;
    request->topic = topic_with_arn(&request->topics, topic_arn);
    return request->topic ? MONITOR_SNS_OK
                          : fail(error, MONITOR_SNS_NOT_FOUND, "Topic does not exist");
}

static const char *policy_for(const struct subscribe_request *request)
{
    const char *own = json_string_value(json_object_get(request->attributes, "DeliveryPolicy"));
    return own                               ? own
           : request->topic->delivery_policy ? request->topic->delivery_policy
                                             : "trailhound-default";
}

static enum monitor_sns_status
send_confirmation(struct store *store, const struct monitor_subscription_settings *settings,
                  const struct subscribe_request *request, const char *subscription_arn,
                  const char *token, int64_t now_ms, struct monitor_error *error)
{
    struct confirmation confirmation = {.type = NOTIFY_ENVELOPE_SUBSCRIPTION_CONFIRMATION,
                                        .topic_arn = request->topic_arn,
                                        .subscription_arn = subscription_arn,
                                        .protocol = request->protocol,
                                        .endpoint = request->endpoint,
                                        .token = token,
                                        .policy = policy_for(request)};
    return queue_confirmation(store, settings, &confirmation, now_ms, error);
}

/* TOPIC_ARN:UUID, malloc'ed; NULL when memory or random bytes fail. */
static char *new_subscription_arn(const char *topic_arn)
{
    char uuid[37];
    size_t size = strlen(topic_arn) + sizeof uuid + 1;
    char *arn = notify_uuid(uuid) ? malloc(size) : NULL;
    if (arn)
        snprintf(arn, size, "%s:%s", topic_arn, uuid);
    return arn;
}

static enum monitor_sns_status
add_subscription(struct store *store, const struct monitor_subscription_settings *settings,
                 const struct subscribe_request *request, int64_t now_ms, char **subscription_arn,
                 struct monitor_error *error)
{
    char token[129];
    char *arn = new_subscription_arn(request->topic_arn);
    if (!arn || !notify_token(token)) {
        free(arn);
        return fail(error, MONITOR_SNS_INTERNAL_ERROR, "no memory or random bytes for an ARN");
    }
    bool pending = needs_confirmation(request->protocol);
    struct store_subscription row = {
        .arn = arn,
        .topic_arn = request->topic_arn,
        .protocol = notify_protocol_name(request->protocol),
        .endpoint = request->endpoint,
        .attributes_json = request->attributes_text,
        .state = pending ? "pending" : "confirmed",
        .token = pending ? token : NULL,
        .token_expires_ms = pending ? now_ms + MONITOR_TOKEN_LIFETIME_MS : 0,
        .created_ms = now_ms,
        .confirmed_ms = pending ? 0 : now_ms,
    };
    struct store_error store_error;
    enum monitor_sns_status status = MONITOR_SNS_OK;
    if (!store_subscription_add(store, &row, &store_error))
        status = store_failed(error, &store_error);
    else if (pending)
        status = send_confirmation(store, settings, request, arn, token, now_ms, error);
    if (status == MONITOR_SNS_OK && pending) {
        free(arn);
        arn = strdup(MONITOR_PENDING_CONFIRMATION);
        if (!arn)
            status = fail(error, MONITOR_SNS_INTERNAL_ERROR, "out of memory");
    }
    if (status == MONITOR_SNS_OK)
        *subscription_arn = arn;
    else
        free(arn);
    return status;
}

/* The subscription to the topic that already has this protocol and endpoint, if any. */
struct existing {
    const struct subscribe_request *request;
    char *arn, *attributes_json; /* malloc'ed copies; arn NULL when none */
    bool pending, out_of_memory;
};

static bool find_existing(void *context, const struct store_subscription *stored)
{
    struct existing *existing = context;
    if (strcmp(stored->protocol, notify_protocol_name(existing->request->protocol)) != 0 ||
        strcmp(stored->endpoint, existing->request->endpoint) != 0)
        return true;
    existing->arn = strdup(stored->arn);
    existing->attributes_json = strdup(stored->attributes_json);
    existing->pending = strcmp(stored->state, "pending") == 0;
    existing->out_of_memory = !existing->arn || !existing->attributes_json;
    return false;
}

/* A pending subscription subscribed again: a new token, and the request sent again (as
 * SNS does), under the retry policy its stored attributes give. */
static enum monitor_sns_status
resend_confirmation(struct store *store, const struct monitor_subscription_settings *settings,
                    const struct subscribe_request *request, const struct existing *existing,
                    int64_t now_ms, struct monitor_error *error)
{
    char token[129];
    if (!notify_token(token))
        return fail(error, MONITOR_SNS_INTERNAL_ERROR, "no source of random bytes");
    bool found = false;
    struct store_error store_error;
    if (!store_subscription_renew_token(store, existing->arn, token,
                                        now_ms + MONITOR_TOKEN_LIFETIME_MS, &found, &store_error))
        return store_failed(error, &store_error);
    struct subscribe_request as_stored = *request;
    as_stored.attributes = json_loads(existing->attributes_json, 0, NULL);
    enum monitor_sns_status status =
        send_confirmation(store, settings, &as_stored, existing->arn, token, now_ms, error);
    json_decref(as_stored.attributes);
    return status;
}

/* The same endpoint subscribed again: its ARN when confirmed; a pending one stays pending
 * and is sent a new token. */
static enum monitor_sns_status subscribe_again(struct store *store,
                                               const struct monitor_subscription_settings *settings,
                                               const struct subscribe_request *request,
                                               const struct existing *existing, int64_t now_ms,
                                               char **subscription_arn, struct monitor_error *error)
{
    if (!same_attributes(request->attributes, existing->attributes_json))
        return fail(error, MONITOR_SNS_INVALID_PARAMETER,
                    "Invalid parameter: Attributes Reason: Subscription already exists with "
                    "different attributes");
    enum monitor_sns_status status =
        existing->pending ? resend_confirmation(store, settings, request, existing, now_ms, error)
                          : MONITOR_SNS_OK;
    if (status != MONITOR_SNS_OK)
        return status;
    *subscription_arn = strdup(existing->pending ? MONITOR_PENDING_CONFIRMATION : existing->arn);
    return *subscription_arn ? MONITOR_SNS_OK
                             : fail(error, MONITOR_SNS_INTERNAL_ERROR, "out of memory");
}

/* A configured subscription with this endpoint: the file declares it, confirmed. */
static const struct notify_subscription *
configured_duplicate(const struct monitor_subscription_settings *settings,
                     const struct subscribe_request *request)
{
    const struct notify_topic *topic = topic_with_arn(settings->configured, request->topic_arn);
    for (size_t i = 0; topic && i < topic->subscription_count; i++)
        if (topic->subscriptions[i].protocol == request->protocol &&
            strcmp(topic->subscriptions[i].endpoint, request->endpoint) == 0)
            return &topic->subscriptions[i];
    return NULL;
}

static enum monitor_sns_status subscribe(struct store *store,
                                         const struct monitor_subscription_settings *settings,
                                         const struct subscribe_request *request, int64_t now_ms,
                                         char **subscription_arn, struct monitor_error *error)
{
    const struct notify_subscription *configured = configured_duplicate(settings, request);
    if (configured && json_object_size(request->attributes) > 0)
        return fail(error, MONITOR_SNS_INVALID_PARAMETER,
                    "Invalid parameter: Attributes Reason: Subscription already exists in the "
                    "configuration file; change its attributes there");
    if (configured)
        return (*subscription_arn = strdup(configured->arn))
                   ? MONITOR_SNS_OK
                   : fail(error, MONITOR_SNS_INTERNAL_ERROR, "out of memory");
    struct existing existing = {.request = request};
    struct store_error store_error;
    enum monitor_sns_status status = MONITOR_SNS_OK;
    if (!store_subscription_list(store, request->topic_arn, find_existing, &existing, &store_error))
        status = store_failed(error, &store_error);
    else if (existing.out_of_memory)
        status = fail(error, MONITOR_SNS_INTERNAL_ERROR, "out of memory");
    else if (existing.arn)
        status =
            subscribe_again(store, settings, request, &existing, now_ms, subscription_arn, error);
    else
        status = add_subscription(store, settings, request, now_ms, subscription_arn, error);
    free(existing.arn);
    free(existing.attributes_json);
    return status;
}

/* Ends the transaction `begin` opened: rolled back after an internal error, else committed.
 * A refusal comes before any write but the purge, so committing it keeps a caller's
 * enclosing transaction usable. */
static enum monitor_sns_status finish(struct store *store, enum monitor_sns_status status,
                                      struct monitor_error *error)
{
    struct store_error store_error;
    if (status == MONITOR_SNS_INTERNAL_ERROR) {
        store_rollback(store);
        return status;
    }
    return store_commit(store, &store_error) ? status : store_failed(error, &store_error);
}

/* Opens the call's transaction, first dropping the subscriptions whose token expired. */
static enum monitor_sns_status begin(struct store *store, int64_t now_ms,
                                     struct monitor_error *error)
{
    struct store_error store_error;
    if (!store_begin(store, &store_error))
        return store_failed(error, &store_error);
    if (store_subscription_purge(store, now_ms, &store_error))
        return MONITOR_SNS_OK;
    store_rollback(store);
    return store_failed(error, &store_error);
}

enum monitor_sns_status monitor_subscribe(struct store *store,
                                          const struct monitor_subscription_settings *settings,
                                          const char *topic_arn, const char *protocol,
                                          const char *endpoint, const char *attributes_json,
                                          int64_t now_ms, char **subscription_arn,
                                          struct monitor_error *error)
{
    *subscription_arn = NULL;
    struct subscribe_request request = {0};
    enum monitor_sns_status status = check_request(settings, protocol, endpoint, &request, error);
    if (status != MONITOR_SNS_OK)
        return status;
    status = begin(store, now_ms, error);
    if (status != MONITOR_SNS_OK)
        return status;
    status = load_request(store, settings, topic_arn, attributes_json, &request, error);
    if (status == MONITOR_SNS_OK)
        status = subscribe(store, settings, &request, now_ms, subscription_arn, error);
    subscribe_request_free(&request);
    status = finish(store, status, error);
    if (status != MONITOR_SNS_OK) {
        free(*subscription_arn);
        *subscription_arn = NULL;
    }
    return status;
}

/* ---- ConfirmSubscription ------------------------------------------------------------------- */

enum monitor_sns_status monitor_confirm_subscription(struct store *store, const char *topic_arn,
                                                     const char *token, int64_t now_ms,
                                                     char **subscription_arn,
                                                     struct monitor_error *error)
{
    *subscription_arn = NULL;
    if (!topic_arn || !*topic_arn)
        return fail(error, MONITOR_SNS_INVALID_PARAMETER, "Invalid parameter: Topic");
    if (!token || !*token)
        return fail(error, MONITOR_SNS_INVALID_PARAMETER, "Invalid parameter: Token");
    enum store_confirm_outcome outcome;
    struct store_error store_error;
    if (!store_subscription_confirm(store, topic_arn, token, now_ms, &outcome, subscription_arn,
                                    &store_error))
        return store_failed(error, &store_error);
    if (outcome == STORE_TOKEN_EXPIRED)
        return fail(error, MONITOR_SNS_INVALID_PARAMETER,
                    "Invalid parameter: Token Reason: the token has expired (tokens last three "
                    "days); subscribe again for a new one");
    if (outcome == STORE_TOKEN_UNKNOWN)
        return fail(error, MONITOR_SNS_INVALID_PARAMETER, "Invalid parameter: Token");
    return MONITOR_SNS_OK;
}

/* ---- Unsubscribe --------------------------------------------------------------------------- */

/* What Unsubscribe needs of the stored subscription (malloc'ed copies). */
struct stored_copy {
    char *topic_arn, *protocol, *endpoint, *attributes_json;
    bool confirmed, out_of_memory;
};

static void stored_copy_free(struct stored_copy *copy)
{
    free(copy->topic_arn);
    free(copy->protocol);
    free(copy->endpoint);
    free(copy->attributes_json);
}

static bool copy_stored(void *context, const struct store_subscription *stored)
{
    struct stored_copy *copy = context;
    copy->topic_arn = strdup(stored->topic_arn);
    copy->protocol = strdup(stored->protocol);
    copy->endpoint = strdup(stored->endpoint);
    copy->attributes_json = strdup(stored->attributes_json);
    copy->confirmed = strcmp(stored->state, "confirmed") == 0;
    copy->out_of_memory =
        !copy->topic_arn || !copy->protocol || !copy->endpoint || !copy->attributes_json;
    return true;
}

static bool is_configured(const struct notify_topic_list *configured, const char *arn)
{
    for (size_t t = 0; configured && t < configured->count; t++)
        for (size_t s = 0; s < configured->items[t].subscription_count; s++)
            if (configured->items[t].subscriptions[s].arn &&
                strcmp(configured->items[t].subscriptions[s].arn, arn) == 0)
                return true;
    return false;
}

/* The retry policy a notification to the subscription would have: its own, its topic's,
 * else trailhound's default. */
static char *stored_policy(struct store *store, const struct notify_topic_list *configured,
                           const struct stored_copy *stored, struct monitor_error *error)
{
    json_t *attributes = json_loads(stored->attributes_json, 0, NULL);
    const char *own = json_string_value(json_object_get(attributes, "DeliveryPolicy"));
    struct notify_topic_list topics = {0};
    bool loaded = own || monitor_topics_load(store, configured, &topics, error);
    const struct notify_topic *topic = topic_with_arn(&topics, stored->topic_arn);
    char *policy = !loaded ? NULL
                   : own   ? strdup(own)
                           : strdup(topic && topic->delivery_policy ? topic->delivery_policy
                                                                    : "trailhound-default");
    if (loaded && !policy)
        snprintf(error->message, sizeof error->message, "out of memory");
    notify_topic_list_free(&topics);
    json_decref(attributes);
    return policy;
}

/* A confirmed http/https subscription stays, hidden and restorable, while the
 * UnsubscribeConfirmation's token is valid (§4.4). */
static enum monitor_sns_status
unsubscribe_with_confirmation(struct store *store,
                              const struct monitor_subscription_settings *settings, const char *arn,
                              const struct stored_copy *stored, enum notify_protocol protocol,
                              int64_t now_ms, struct monitor_error *error)
{
    char token[129];
    if (!notify_token(token))
        return fail(error, MONITOR_SNS_INTERNAL_ERROR, "no source of random bytes");
    char *policy = stored_policy(store, settings->configured, stored, error);
    if (!policy)
        return MONITOR_SNS_INTERNAL_ERROR;
    struct confirmation confirmation = {.type = NOTIFY_ENVELOPE_UNSUBSCRIBE_CONFIRMATION,
                                        .topic_arn = stored->topic_arn,
                                        .subscription_arn = arn,
                                        .protocol = protocol,
                                        .endpoint = stored->endpoint,
                                        .token = token,
                                        .policy = policy};
    struct store_error store_error;
    bool found = false;
    enum monitor_sns_status status =
        store_subscription_unsubscribe(store, arn, token, now_ms + MONITOR_TOKEN_LIFETIME_MS,
                                       &found, &store_error)
            ? queue_confirmation(store, settings, &confirmation, now_ms, error)
            : store_failed(error, &store_error);
    free(policy);
    return status;
}

static enum monitor_sns_status unsubscribe(struct store *store,
                                           const struct monitor_subscription_settings *settings,
                                           const char *arn, const struct stored_copy *stored,
                                           int64_t now_ms, struct monitor_error *error)
{
    enum notify_protocol protocol = NOTIFY_EXEC;
    notify_protocol_parse(stored->protocol, &protocol);
    if (stored->confirmed && (protocol == NOTIFY_HTTP || protocol == NOTIFY_HTTPS))
        return unsubscribe_with_confirmation(store, settings, arn, stored, protocol, now_ms, error);
    bool deleted = false;
    struct store_error store_error;
    return store_subscription_delete(store, arn, &deleted, &store_error)
               ? MONITOR_SNS_OK
               : store_failed(error, &store_error);
}

static enum monitor_sns_status find_stored(struct store *store,
                                           const struct monitor_subscription_settings *settings,
                                           const char *arn, struct stored_copy *stored,
                                           struct monitor_error *error)
{
    bool found = false;
    struct store_error store_error;
    if (!store_subscription_get(store, arn, &found, copy_stored, stored, &store_error))
        return store_failed(error, &store_error);
    if (stored->out_of_memory)
        return fail(error, MONITOR_SNS_INTERNAL_ERROR, "out of memory");
    if (found)
        return MONITOR_SNS_OK;
    if (is_configured(settings->configured, arn))
        return fail(error, MONITOR_SNS_INVALID_PARAMETER,
                    "Invalid parameter: SubscriptionArn Reason: the subscription is declared in "
                    "the configuration file; remove it there");
    return fail(error, MONITOR_SNS_NOT_FOUND, "Subscription does not exist");
}

enum monitor_sns_status monitor_unsubscribe(struct store *store,
                                            const struct monitor_subscription_settings *settings,
                                            const char *subscription_arn, int64_t now_ms,
                                            struct monitor_error *error)
{
    if (!subscription_arn || !*subscription_arn)
        return fail(error, MONITOR_SNS_INVALID_PARAMETER,
                    "Invalid parameter: SubscriptionArn Reason: no value for required parameter");
    enum monitor_sns_status status = begin(store, now_ms, error);
    if (status != MONITOR_SNS_OK)
        return status;
    struct stored_copy stored = {0};
    status = find_stored(store, settings, subscription_arn, &stored, error);
    if (status == MONITOR_SNS_OK)
        status = unsubscribe(store, settings, subscription_arn, &stored, now_ms, error);
    stored_copy_free(&stored);
    return finish(store, status, error);
}
