/* A PagerDuty Events API v2 event for an alarm change (notifications.md §7).
 *
 * → ALARM triggers, → OK resolves, ALARM → INSUFFICIENT_DATA resolves when the
 * subscription asks for it, and other changes into INSUFFICIENT_DATA send nothing. The
 * dedup key is the alarm ARN (its SHA-256 when longer than PagerDuty's 255 characters), the
 * same for trigger and resolve, so OK closes what ALARM opened. Keys in §7's order; a
 * resolve carries only routing_key, event_action and dedup_key. No `links`: the engine has
 * no console URL of its own to give yet. Severity is always `critical` (§7's default for
 * CIS alarms; alarms carry no severity setting). */
#include "notify/notify_message_internal.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define DEDUP_KEY_LIMIT 255
#define SUMMARY_LIMIT 1024

static const char *or_empty(const char *string)
{
    return string ? string : "";
}

enum pagerduty_action { PAGERDUTY_SKIP, PAGERDUTY_TRIGGER, PAGERDUTY_RESOLVE };

static enum pagerduty_action action_for(const struct notify_alarm_change *change,
                                        bool resolve_on_insufficient)
{
    switch (change->new_state) {
    case ALARM_STATE_ALARM:
        return PAGERDUTY_TRIGGER;
    case ALARM_STATE_OK:
        return PAGERDUTY_RESOLVE;
    default:
        return change->old_state == ALARM_STATE_ALARM && resolve_on_insufficient ? PAGERDUTY_RESOLVE
                                                                                 : PAGERDUTY_SKIP;
    }
}

/* The ARN itself, or "sha256-" + the hex SHA-256 of it when it is too long. */
static void append_dedup_key(struct alarm_text *text, const char *arn)
{
    if (notify_utf8_characters(arn, strlen(arn)) <= DEDUP_KEY_LIMIT) {
        alarm_text_append_json_string(text, arn);
        return;
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!EVP_Digest(arn, strlen(arn), digest, &length, EVP_sha256(), NULL)) {
        text->failed = true;
        return;
    }
    alarm_text_append_string(text, "\"sha256-");
    for (unsigned int i = 0; i < length; i++)
        alarm_text_appendf(text, "%02x", digest[i]);
    alarm_text_append(text, "\"", 1);
}

/* `{NEW}: "{name}" in {Region} — {reason}`, cut to 1024 characters ending with "…". */
static void append_summary(struct alarm_text *text, const struct notify_alarm_change *change)
{
    char *subject = notify_full_subject(change);
    struct alarm_text summary = {0};
    summary.failed = !subject;
    alarm_text_appendf(&summary, "%s \xE2\x80\x94 %s", or_empty(subject),
                       or_empty(change->reason)); /* — */
    free(subject);
    notify_text_limit(&summary, SUMMARY_LIMIT);
    char *value = alarm_text_finish(&summary);
    if (!value) {
        text->failed = true;
        return;
    }
    alarm_text_append_json_string(text, value);
    free(value);
}

static void append_member(struct alarm_text *text, const char *key, const char *value)
{
    alarm_text_append(text, ",", 1);
    alarm_text_append_json_key(text, key);
    alarm_text_append_json_string(text, value);
}

static void append_payload(struct alarm_text *text, const struct notify_alarm_change *change,
                           const char *arn, const char *message)
{
    const struct alarm_definition *alarm = change->alarm;
    char timestamp[32];
    notify_format_offset_time(change->change_ms, timestamp);
    alarm_text_append_string(text, ",\"payload\":{\"summary\":");
    append_summary(text, change);
    append_member(text, "source", arn);
    append_member(text, "severity", "critical");
    append_member(text, "timestamp", timestamp);
    append_member(text, "component", or_empty(alarm->metric.metric_name));
    append_member(text, "group", or_empty(alarm->metric.namespace_name));
    alarm_text_append_string(text, ",\"class\":");
    if (alarm->cis_id) {
        struct alarm_text class_name = {0};
        alarm_text_appendf(&class_name, "CIS %s", alarm->cis_id);
        char *value = alarm_text_finish(&class_name);
        text->failed = text->failed || !value;
        alarm_text_append_json_string(text, or_empty(value));
        free(value);
    } else {
        alarm_text_append_json_string(text, "CloudWatch alarm");
    }
    /* the §2.2 message is our own valid JSON: embedded as the object it is */
    alarm_text_append_string(text, ",\"custom_details\":");
    alarm_text_append_string(text, message);
    alarm_text_append(text, "}", 1);
}

char *notify_pagerduty_event(const struct notify_alarm_change *change, const char *routing_key,
                             bool resolve_on_insufficient, bool *skip)
{
    enum pagerduty_action action = action_for(change, resolve_on_insufficient);
    *skip = action == PAGERDUTY_SKIP;
    if (*skip)
        return NULL;
    char *arn = alarm_arn(change->alarm, or_empty(change->region), or_empty(change->account_id));
    char *message = action == PAGERDUTY_TRIGGER ? notify_alarm_message(change) : NULL;
    struct alarm_text text = {0};
    text.failed = !arn || (action == PAGERDUTY_TRIGGER && !message);
    alarm_text_append_string(&text, "{\"routing_key\":");
    alarm_text_append_json_string(&text, or_empty(routing_key));
    append_member(&text, "event_action", action == PAGERDUTY_TRIGGER ? "trigger" : "resolve");
    alarm_text_append_string(&text, ",\"dedup_key\":");
    append_dedup_key(&text, or_empty(arn));
    if (action == PAGERDUTY_TRIGGER && message)
        append_payload(&text, change, or_empty(arn), message);
    alarm_text_append(&text, "}", 1);
    free(arn);
    free(message);
    return alarm_text_finish(&text);
}
