/* SNS's HTTP/S envelopes (notifications.md §4.2–4.4), their string to sign (§4.5) and the
 * check a subscriber makes.
 *
 * Layout: real SNS sends the document its Java serializer pretty-prints (Jackson's default
 * printer): "{", one member per line indented by two spaces and written `"Key" : "value"`,
 * members joined by ",\n", and "\n}" with no line end after it. This is also the layout of
 * every sample in AWS's documentation and of §4.2–4.3, so we send exactly that. Members in
 * AWS's order (the tables below); values escaped as Jackson escapes (`/` and non-ASCII kept).
 * A Notification without a subject has no Subject member at all (§4.3). */
#include "notify/notify_fail.h"
#include "notify/notify_message_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum envelope_field {
    FIELD_TYPE,
    FIELD_MESSAGE_ID,
    FIELD_TOKEN,
    FIELD_TOPIC_ARN,
    FIELD_SUBJECT,
    FIELD_MESSAGE,
    FIELD_SUBSCRIBE_URL,
    FIELD_TIMESTAMP,
    FIELD_SIGNATURE_VERSION,
    FIELD_SIGNATURE,
    FIELD_SIGNING_CERT_URL,
    FIELD_UNSUBSCRIBE_URL,
    FIELD_COUNT,
    FIELD_END = FIELD_COUNT,
};

static const char *const field_names[FIELD_COUNT] = {
    "Type",           "MessageId",      "Token",     "TopicArn",         "Subject",
    "Message",        "SubscribeURL",   "Timestamp", "SignatureVersion", "Signature",
    "SigningCertURL", "UnsubscribeURL",
};

/* One envelope type: its members in document order and its signed fields in byte order of
 * their names (§4.5), each list ending with FIELD_END. */
struct envelope_type {
    const char *name;
    enum envelope_field document[FIELD_COUNT + 1];
    enum envelope_field signed_fields[FIELD_COUNT + 1];
};

static const struct envelope_type envelope_types[] = {
    [NOTIFY_ENVELOPE_NOTIFICATION] = {"Notification",
                                      {FIELD_TYPE, FIELD_MESSAGE_ID, FIELD_TOPIC_ARN, FIELD_SUBJECT,
                                       FIELD_MESSAGE, FIELD_TIMESTAMP, FIELD_SIGNATURE_VERSION,
                                       FIELD_SIGNATURE, FIELD_SIGNING_CERT_URL,
                                       FIELD_UNSUBSCRIBE_URL, FIELD_END},
                                      {FIELD_MESSAGE, FIELD_MESSAGE_ID, FIELD_SUBJECT,
                                       FIELD_TIMESTAMP, FIELD_TOPIC_ARN, FIELD_TYPE, FIELD_END}},
    [NOTIFY_ENVELOPE_SUBSCRIPTION_CONFIRMATION] =
        {"SubscriptionConfirmation",
         {FIELD_TYPE, FIELD_MESSAGE_ID, FIELD_TOKEN, FIELD_TOPIC_ARN, FIELD_MESSAGE,
          FIELD_SUBSCRIBE_URL, FIELD_TIMESTAMP, FIELD_SIGNATURE_VERSION, FIELD_SIGNATURE,
          FIELD_SIGNING_CERT_URL, FIELD_END},
         {FIELD_MESSAGE, FIELD_MESSAGE_ID, FIELD_SUBSCRIBE_URL, FIELD_TIMESTAMP, FIELD_TOKEN,
          FIELD_TOPIC_ARN, FIELD_TYPE, FIELD_END}},
    [NOTIFY_ENVELOPE_UNSUBSCRIBE_CONFIRMATION] =
        {"UnsubscribeConfirmation",
         {FIELD_TYPE, FIELD_MESSAGE_ID, FIELD_TOKEN, FIELD_TOPIC_ARN, FIELD_MESSAGE,
          FIELD_SUBSCRIBE_URL, FIELD_TIMESTAMP, FIELD_SIGNATURE_VERSION, FIELD_SIGNATURE,
          FIELD_SIGNING_CERT_URL, FIELD_END},
         {FIELD_MESSAGE, FIELD_MESSAGE_ID, FIELD_SUBSCRIBE_URL, FIELD_TIMESTAMP, FIELD_TOKEN,
          FIELD_TOPIC_ARN, FIELD_TYPE, FIELD_END}},
};

#define TYPE_COUNT (sizeof envelope_types / sizeof envelope_types[0])

/* The members' values (NULL: absent), with lengths: a received value may hold NUL bytes. */
struct field_values {
    const char *text[FIELD_COUNT];
    size_t length[FIELD_COUNT];
};

static void set_value(struct field_values *values, enum envelope_field field, const char *text)
{
    values->text[field] = text;
    values->length[field] = text ? strlen(text) : 0;
}

/* ---- the string to sign ---- */

/* The string to sign, and its length in `length` (received values may hold NUL bytes). */
static char *string_to_sign(const struct envelope_type *type, const struct field_values *values,
                            size_t *length, struct notify_error *error)
{
    struct alarm_text text = {0};
    for (const enum envelope_field *field = type->signed_fields; *field != FIELD_END; field++) {
        const char *name = field_names[*field];
        if (!values->text[*field]) {
            if (*field == FIELD_SUBJECT)
                continue; /* signed only when present */
            alarm_text_discard(&text);
            notify_fail(error, "%s: missing", name);
            return NULL;
        }
        alarm_text_appendf(&text, "%s\n", name);
        alarm_text_append(&text, values->text[*field], values->length[*field]);
        alarm_text_append(&text, "\n", 1);
    }
    *length = text.length;
    char *result = alarm_text_finish(&text);
    if (!result)
        notify_fail(error, "out of memory");
    return result;
}

static const struct envelope_type *envelope_type_of(enum notify_envelope_type type)
{
    return (size_t)type < TYPE_COUNT ? &envelope_types[type] : NULL;
}

/* What the envelope struct says, `timestamp` and `version` being buffers for the texts. */
static void values_of(const struct notify_envelope *envelope, const struct envelope_type *type,
                      char timestamp[32], char version[16], struct field_values *values)
{
    *values = (struct field_values){0};
    bool notification = envelope->type == NOTIFY_ENVELOPE_NOTIFICATION;
    notify_format_sns_time(envelope->timestamp_ms, timestamp);
    snprintf(version, 16, "%d", envelope->signature_version);
    set_value(values, FIELD_TYPE, type->name);
    set_value(values, FIELD_MESSAGE_ID, envelope->message_id);
    set_value(values, FIELD_TOPIC_ARN, envelope->topic_arn);
    set_value(values, FIELD_MESSAGE, envelope->message);
    set_value(values, FIELD_TIMESTAMP, timestamp);
    set_value(values, FIELD_SIGNATURE_VERSION, version);
    set_value(values, FIELD_SIGNING_CERT_URL, envelope->signing_cert_url);
    set_value(values, FIELD_SUBJECT, notification ? envelope->subject : NULL);
    set_value(values, FIELD_UNSUBSCRIBE_URL, notification ? envelope->unsubscribe_url : NULL);
    set_value(values, FIELD_TOKEN, notification ? NULL : envelope->token);
    set_value(values, FIELD_SUBSCRIBE_URL, notification ? NULL : envelope->subscribe_url);
}

/* The envelope's type, its values (their texts in `timestamp` and `version` where the
 * struct has none) and its string to sign; NULL with `error` for an unknown type. */
static char *values_to_sign(const struct notify_envelope *envelope,
                            const struct envelope_type **type, char timestamp[32], char version[16],
                            struct field_values *values, size_t *length, struct notify_error *error)
{
    *type = envelope_type_of(envelope->type);
    if (!*type) {
        notify_fail(error, "Type: unknown envelope type %d", (int)envelope->type);
        return NULL;
    }
    values_of(envelope, *type, timestamp, version, values);
    return string_to_sign(*type, values, length, error);
}

char *notify_envelope_string_to_sign(const struct notify_envelope *envelope,
                                     struct notify_error *error)
{
    const struct envelope_type *type;
    char timestamp[32], version[16];
    struct field_values values;
    size_t length;
    return values_to_sign(envelope, &type, timestamp, version, &values, &length, error);
}

/* ---- the document ---- */

static char *write_document(const struct envelope_type *type, const struct field_values *values,
                            struct notify_error *error)
{
    struct alarm_text text = {0};
    alarm_text_append_string(&text, "{\n");
    bool first = true;
    for (const enum envelope_field *field = type->document; *field != FIELD_END; field++) {
        if (!values->text[*field]) {
            if (*field == FIELD_SUBJECT)
                continue;
            alarm_text_discard(&text);
            notify_fail(error, "%s: missing", field_names[*field]);
            return NULL;
        }
        alarm_text_append_string(&text, first ? "  " : ",\n  ");
        alarm_text_append_json_string(&text, field_names[*field]);
        alarm_text_append_string(&text, " : ");
        alarm_text_append_json_bytes(&text, values->text[*field], values->length[*field]);
        first = false;
    }
    alarm_text_append_string(&text, "\n}");
    char *document = alarm_text_finish(&text);
    if (!document)
        notify_fail(error, "out of memory");
    return document;
}

char *notify_envelope_json(const struct notify_envelope *envelope,
                           const struct notify_signing_key *key, struct notify_error *error)
{
    const struct envelope_type *type;
    char timestamp[32], version[16];
    struct field_values values;
    size_t length;
    char *to_sign = values_to_sign(envelope, &type, timestamp, version, &values, &length, error);
    if (!to_sign)
        return NULL;
    char *signature = notify_sign_base64(key ? key->private_key_pem : NULL,
                                         envelope->signature_version, to_sign, length, error);
    free(to_sign);
    if (!signature)
        return NULL;
    set_value(&values, FIELD_SIGNATURE, signature);
    char *document = write_document(type, &values, error);
    free(signature);
    return document;
}

char *notify_subscription_confirmation_message(const char *topic_arn)
{
    struct alarm_text text = {0};
    alarm_text_appendf(&text,
                       "You have chosen to subscribe to the topic %s.\nTo confirm the "
                       "subscription, visit the SubscribeURL included in this message.",
                       topic_arn ? topic_arn : "");
    return alarm_text_finish(&text);
}

char *notify_unsubscribe_confirmation_message(const char *subscription_arn)
{
    struct alarm_text text = {0};
    alarm_text_appendf(&text,
                       "You have chosen to deactivate subscription %s.\nTo cancel this "
                       "operation and restore the subscription, visit the SubscribeURL "
                       "included in this message.",
                       subscription_arn ? subscription_arn : "");
    return alarm_text_finish(&text);
}

/* ---- verification ---- */

/* The member `field` as a string (NULL when absent; a Subject of null counts as absent, as
 * AWS's own validators treat it). False when it is there but not a string. */
static bool read_member(json_t *root, enum envelope_field field, struct field_values *values,
                        struct notify_error *error)
{
    json_t *member = json_object_get(root, field_names[field]);
    if (!member || (field == FIELD_SUBJECT && json_is_null(member)))
        return true;
    if (!json_is_string(member))
        return notify_fail(error, "%s: must be a string", field_names[field]);
    values->text[field] = json_string_value(member);
    values->length[field] = json_string_length(member);
    return true;
}

static const struct envelope_type *read_type(json_t *root, struct notify_error *error)
{
    const char *name = json_string_value(json_object_get(root, "Type"));
    if (!name) {
        notify_fail(error, "Type: missing or not a string");
        return NULL;
    }
    for (size_t i = 0; i < TYPE_COUNT; i++)
        if (strcmp(envelope_types[i].name, name) == 0)
            return &envelope_types[i];
    notify_fail(error, "Type: unknown type");
    return NULL;
}

/* SignatureVersion "1" or "2" as a number; 0 when it is neither. */
static int read_version(json_t *root)
{
    json_t *member = json_object_get(root, "SignatureVersion");
    const char *text = json_string_value(member);
    if (!text || json_string_length(member) != 1)
        return 0;
    return text[0] == '1' ? 1 : text[0] == '2' ? 2 : 0;
}

static bool verify_document(json_t *root, const char *certificate_pem, struct notify_error *error)
{
    const struct envelope_type *type = read_type(root, error);
    if (!type)
        return false;
    int version = read_version(root);
    if (!version)
        return notify_fail(error, "SignatureVersion: must be \"1\" or \"2\"");
    struct field_values values = {0};
    for (const enum envelope_field *field = type->signed_fields; *field != FIELD_END; field++)
        if (!read_member(root, *field, &values, error))
            return false;
    if (!read_member(root, FIELD_SIGNATURE, &values, error))
        return false;
    if (!values.text[FIELD_SIGNATURE])
        return notify_fail(error, "Signature: missing");
    size_t length;
    char *to_sign = string_to_sign(type, &values, &length, error);
    if (!to_sign)
        return false;
    bool valid =
        notify_verify_base64(certificate_pem, version, to_sign, length,
                             values.text[FIELD_SIGNATURE], values.length[FIELD_SIGNATURE], error);
    free(to_sign);
    return valid;
}

bool notify_envelope_verify(const char *json, const char *certificate_pem,
                            struct notify_error *error)
{
    json_error_t parse_error;
    /* duplicate members refused: a verifier and its caller must not read different values */
    json_t *root = json_loads(json, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &parse_error);
    if (!root)
        return notify_fail(error, "not a JSON document: %s (line %d, column %d)", parse_error.text,
                           parse_error.line, parse_error.column);
    bool valid = json_is_object(root) ? verify_document(root, certificate_pem, error)
                                      : notify_fail(error, "not a JSON object");
    json_decref(root);
    return valid;
}
