/* libFuzzer target: every alarm-message rendering (notifications.md §2, §3, §6, §7) over
 * arbitrary texts. The input is cut at 0x01 bytes into the texts an alarm change carries
 * (name, description, reason, region, account, namespace, metric, a dimension, an evidence
 * value, two samples); its first byte picks states, statistic and options. Checked: with
 * valid UTF-8 texts the message, the PagerDuty event and the Slack payload are valid JSON
 * (strict RFC 8259, our reader), Slack's texts keep Block Kit's limits, and the subject
 * keeps SNS's 100-character limit with no control characters. */
#include "events/event.h"
#include "notify/notify.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum {
    NAME,
    DESCRIPTION,
    REASON,
    REGION,
    ACCOUNT,
    NAMESPACE,
    METRIC,
    DIMENSION,
    VALUE,
    SAMPLE_1,
    SAMPLE_2,
    TEXT_COUNT
};

static bool valid_utf8(const char *text)
{
    const unsigned char *at = (const unsigned char *)text;
    while (*at) {
        struct utf8_lead lead = utf8_lead_for(*at);
        if (lead.length == 0)
            return false;
        if (lead.length > 1 && (at[1] < lead.second_low || at[1] > lead.second_high))
            return false;
        for (size_t i = 2; i < lead.length; i++)
            if ((at[i] & 0xC0) != 0x80)
                return false;
        at += lead.length;
    }
    return true;
}

static bool strict_json(const char *text)
{
    struct event_extractor *extractor = event_extractor_create();
    struct event event;
    bool valid =
        extractor && event_extract_json(extractor, text, strlen(text), NULL, 0, &event, NULL);
    event_extractor_free(extractor);
    return valid;
}

static size_t characters(const char *text)
{
    size_t count = 0;
    for (const unsigned char *at = (const unsigned char *)text; *at; at++)
        count += (*at & 0xC0) != 0x80;
    return count;
}

static void check_texts(json_t *value, size_t limit)
{
    const char *text = json_string_value(json_object_get(value, "text"));
    if (text && characters(text) > limit)
        __builtin_trap();
}

static void check_slack(const char *payload)
{
    json_t *root = json_loads(payload, 0, NULL);
    if (!root)
        __builtin_trap();
    json_t *blocks =
        json_object_get(json_array_get(json_object_get(root, "attachments"), 0), "blocks");
    size_t index;
    json_t *block;
    json_array_foreach(blocks, index, block)
    {
        const char *type = json_string_value(json_object_get(block, "type"));
        check_texts(json_object_get(block, "text"), strcmp(type, "header") == 0 ? 150 : 3000);
        size_t field_index;
        json_t *field;
        json_array_foreach(json_object_get(block, "fields"), field_index, field)
            check_texts(field, 2000);
    }
    json_decref(root);
}

static void check_subject(const char *subject)
{
    size_t units = 0;
    for (const unsigned char *at = (const unsigned char *)subject; *at; at++) {
        if (*at < 0x20 || *at == 0x7F)
            __builtin_trap();
        units += (*at & 0xC0) != 0x80;
        units += *at >= 0xF0; /* a character above U+FFFF is two in Java */
    }
    if (units > 99)
        __builtin_trap();
}

static void render(const struct notify_alarm_change *change, bool checked)
{
    char *message = notify_alarm_message(change);
    if (checked && message && !strict_json(message))
        __builtin_trap();
    char *subject = notify_alarm_subject(change);
    if (checked && subject)
        check_subject(subject);
    char *mail = notify_alarm_email(change, "arn:sub", "a@b", NULL);
    char *slack = notify_slack_payload(change);
    if (checked && slack)
        check_slack(slack);
    bool skip;
    char *pagerduty = notify_pagerduty_event(change, "key", true, &skip);
    if (checked && pagerduty && !strict_json(pagerduty))
        __builtin_trap();
    free(message);
    free(subject);
    free(mail);
    free(slack);
    free(pagerduty);
}

/* Deep samples would push the message past the reader's nesting limit: kept shallow. */
static char *shallow(char *sample)
{
    size_t opened = 0;
    for (const char *at = sample; *at; at++)
        opened += *at == '{' || *at == '[';
    return opened > 32 ? "{}" : sample;
}

static void run(char **texts, uint8_t options, bool checked)
{
    static const char *const statistics[] = {"Sum", "SampleCount", "Average", NULL};
    struct metric_dimension_value dimension = {texts[DIMENSION], texts[VALUE]};
    struct alarm_definition alarm = {
        .alarm_name = texts[NAME],
        .alarm_description = options & 0x80 ? NULL : texts[DESCRIPTION],
        .alarm_actions = {{texts[VALUE], texts[REGION]}, options & 1 ? 2 : 0},
        .metric = {texts[NAMESPACE], texts[METRIC], &dimension, options & 2 ? 1 : 0},
        .statistic = (char *)statistics[options >> 2 & 3],
        .extended_statistic = texts[VALUE],
        .period = 60,
        .evaluation_periods = 3,
        .datapoints_to_alarm = options & 0x10 ? 2 : 0,
        .threshold = 1.5,
        .comparison = (enum alarm_comparison)(options >> 4 & 3),
        .treat_missing = (enum alarm_treat_missing)(options >> 5 & 3),
        .evaluate_low_sample_count_percentile = options & 0x40,
        .cis_id = options & 0x20 ? texts[VALUE] : NULL,
    };
    struct metric_evidence evidence = {
        .events = options,
        .samples = {shallow(texts[SAMPLE_1]), shallow(texts[SAMPLE_2])},
        .sample_count = 2,
    };
    for (int field = 0; field < METRIC_EVIDENCE_FIELD_COUNT; field++) {
        evidence.top[field][0] = (struct metric_evidence_value){texts[VALUE], options};
        evidence.top_count[field] = (size_t)(field + options) % 3;
    }
    struct notify_alarm_change change = {
        .alarm = &alarm,
        .account_id = texts[ACCOUNT],
        .region = texts[REGION],
        .old_state = (enum alarm_state)(options % 3),
        .new_state = (enum alarm_state)(options / 3 % 3),
        .reason = texts[REASON],
        .change_ms = (int64_t)options * 1000003,
        .evidence = options & 8 ? &evidence : NULL,
    };
    render(&change, checked);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    char *copy = malloc(size);
    if (!copy)
        return 0;
    memcpy(copy, data + 1, size - 1);
    copy[size - 1] = '\0';
    char *texts[TEXT_COUNT];
    char *at = copy;
    bool checked = true;
    for (int i = 0; i < TEXT_COUNT; i++) {
        texts[i] = at;
        char *end = strchr(at, '\x01');
        if (end) {
            *end = '\0';
            at = end + 1;
        } else {
            at += strlen(at);
        }
        checked = checked && valid_utf8(texts[i]);
    }
    run(texts, data[0], checked);
    free(copy);
    return 0;
}
