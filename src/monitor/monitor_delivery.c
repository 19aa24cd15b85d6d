/* From an outbox row to one notify_delivery: attributes_json read (the keys are listed in
 * monitor.h), the endpoint and SMTP password resolved from their references for the attempt
 * and wiped after it, so a resolved secret lives only in memory and only while it is used. */
#include "monitor/monitor_internal.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNS_TIMEOUT_SECONDS 15

__attribute__((format(printf, 3, 4))) static void
set_result(struct notify_result *result, enum notify_outcome outcome, const char *format, ...)
{
    result->outcome = outcome;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(result->detail, sizeof result->detail, format, arguments);
    va_end(arguments);
}

/* ---- attributes_json ------------------------------------------------------------------ */

struct message_attributes {
    const char *message_type, *topic_arn, *subscription_arn; /* borrowed from the JSON */
    bool raw;
};

static bool read_string_attribute(json_t *root, const char *key, const char **value,
                                  struct notify_result *result)
{
    json_t *member = json_object_get(root, key);
    if (!member)
        return true;
    if (!json_is_string(member)) {
        set_result(result, NOTIFY_PERMANENT, "attributes_json: %s must be a string", key);
        return false;
    }
    *value = json_string_value(member);
    return true;
}

static bool read_raw_attribute(json_t *root, bool *raw, struct notify_result *result)
{
    json_t *member = json_object_get(root, "raw");
    if (!member)
        return true;
    if (!json_is_boolean(member)) {
        set_result(result, NOTIFY_PERMANENT, "attributes_json: raw must be true or false");
        return false;
    }
    *raw = json_is_true(member);
    return true;
}

/* Fills `attributes` (defaults from the row) with strings that live as long as `*root`,
 * which the caller releases with json_decref. */
static bool read_attributes(const struct store_outbox_message *message, json_t **root,
                            struct message_attributes *attributes, struct notify_result *result)
{
    *attributes = (struct message_attributes){.message_type = "Notification",
                                              .topic_arn = message->topic_arn,
                                              .subscription_arn = message->subscription_arn};
    json_error_t json_error;
    *root = json_loads(message->attributes_json, JSON_REJECT_DUPLICATES, &json_error);
    if (!*root || !json_is_object(*root)) {
        set_result(result, NOTIFY_PERMANENT, "attributes_json is not a JSON object: %s",
                   *root ? "another kind of value" : json_error.text);
        return false;
    }
    return read_string_attribute(*root, "messageType", &attributes->message_type, result) &&
           read_string_attribute(*root, "topicArn", &attributes->topic_arn, result) &&
           read_string_attribute(*root, "subscriptionArn", &attributes->subscription_arn, result) &&
           read_raw_attribute(*root, &attributes->raw, result);
}

/* ---- secrets -------------------------------------------------------------------------- */

struct attempt_secrets {
    char *endpoint;      /* resolved */
    char *smtp_password; /* resolved; NULL when none */
};

static void wipe_secret(char *secret)
{
    if (!secret)
        return;
    explicit_bzero(secret, strlen(secret));
    free(secret);
}

static void wipe_secrets(struct attempt_secrets *secrets)
{
    wipe_secret(secrets->endpoint);
    wipe_secret(secrets->smtp_password);
    *secrets = (struct attempt_secrets){0};
}

/* A secret that cannot be read now may be readable later (a file being rotated), so the
 * attempt is retried under the message's policy. The message never holds the secret. */
static char *resolve_secret(const char *what, const char *reference, struct notify_result *result)
{
    struct notify_error error = {{0}};
    char *value = notify_secret_resolve(reference, &error);
    if (!value)
        set_result(result, NOTIFY_RETRY, "%s: %s", what, error.message);
    return value;
}

static bool is_email(enum notify_protocol protocol)
{
    return protocol == NOTIFY_EMAIL || protocol == NOTIFY_EMAIL_JSON;
}

static bool resolve_secrets(const struct monitor_delivery_settings *settings,
                            enum notify_protocol protocol,
                            const struct store_outbox_message *message,
                            struct attempt_secrets *secrets, struct notify_result *result)
{
    secrets->endpoint = resolve_secret("endpoint", message->endpoint, result);
    if (!secrets->endpoint)
        return false;
    if (!is_email(protocol) || !settings->smtp_url || !settings->smtp_password)
        return true;
    secrets->smtp_password = resolve_secret("SMTP password", settings->smtp_password, result);
    return secrets->smtp_password != NULL;
}

/* ---- the attempt ---------------------------------------------------------------------- */

static void deliver_with_notify(void *context, const struct notify_delivery *delivery,
                                struct notify_result *result)
{
    (void)context;
    notify_deliver(delivery, result);
}

static void deliver(const struct monitor_delivery_settings *settings,
                    const struct notify_delivery *delivery, struct notify_result *result)
{
    if (settings->deliver)
        settings->deliver(settings->deliver_context, delivery, result);
    else
        deliver_with_notify(NULL, delivery, result);
}

static void deliver_resolved(const struct monitor_delivery_settings *settings,
                             enum notify_protocol protocol,
                             const struct store_outbox_message *message,
                             const struct message_attributes *attributes,
                             const struct attempt_secrets *secrets, struct notify_result *result)
{
    struct notify_smtp_settings smtp = {.url = settings->smtp_url,
                                        .from = settings->smtp_from,
                                        .username = settings->smtp_username,
                                        .password = secrets->smtp_password,
                                        .starttls = settings->smtp_starttls};
    struct notify_delivery delivery = {
        .protocol = protocol,
        .endpoint = secrets->endpoint,
        .subject = message->subject,
        .body = message->body,
        .message_type = attributes->message_type,
        .message_id = message->message_id,
        .topic_arn = attributes->topic_arn,
        .subscription_arn = attributes->subscription_arn,
        .raw_delivery = attributes->raw,
        .smtp = settings->smtp_url ? &smtp : NULL,
        .pagerduty_url = settings->pagerduty_url,
        .sns_endpoint = settings->sns_endpoint,
        .sns_region = settings->sns_region,
        .timeout_seconds =
            settings->timeout_seconds > 0 ? settings->timeout_seconds : SNS_TIMEOUT_SECONDS,
        .ca_file = settings->ca_file,
        .curl = settings->curl,
    };
    deliver(settings, &delivery, result);
    result->detail[sizeof result->detail - 1] = '\0'; /* whatever the deliverer wrote */
}

void monitor_attempt_delivery(const struct monitor_delivery_settings *settings,
                              const struct store_outbox_message *message,
                              struct notify_result *result)
{
    *result = (struct notify_result){.outcome = NOTIFY_PERMANENT};
    enum notify_protocol protocol;
    if (!notify_protocol_parse(message->protocol, &protocol)) {
        set_result(result, NOTIFY_PERMANENT, "unknown protocol \"%s\"", message->protocol);
        return;
    }
    json_t *root = NULL;
    struct message_attributes attributes;
    struct attempt_secrets secrets = {0};
    if (read_attributes(message, &root, &attributes, result) &&
        resolve_secrets(settings, protocol, message, &secrets, result))
        deliver_resolved(settings, protocol, message, &attributes, &secrets, result);
    wipe_secrets(&secrets);
    json_decref(root);
}
