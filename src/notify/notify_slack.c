/* A Slack incoming-webhook payload for an alarm change (notifications.md §6).
 *
 * `text` is the SNS subject (Slack's notification and fallback text); one attachment
 * carries the state's colour bar and the blocks of §6's mapping: a header, the reason, the
 * State / Account / Region / Metric / Condition fields and a context line. With evidence,
 * two blocks go before the context line: a section whose fields are the match count, the
 * first and last times and each non-empty top list ("*Principals*\nalice (2)\nbob (1)",
 * five values at most), and a section with the samples in a code block. A grouped change
 * (notify_grouped_line) says so at the start of `text` and of the reason.
 *
 * Every user-derived text is mrkdwn-escaped (& < > as &amp; &lt; &gt;) and then held to
 * Block Kit's limits: 150 characters for a header, 2000 for a field, 3000 for a section
 * text; a cut text ends with "…" and never splits a character or an entity. */
#include "notify/notify_message_internal.h"

#include <stdlib.h>
#include <string.h>

#define HEADER_LIMIT 150
#define FIELD_LIMIT 2000
#define SECTION_LIMIT 3000
#define LIST_VALUES 5
#define CODE_FENCE "```"

struct slack_state_style {
    const char *color;
    const char *emoji;
};

static struct slack_state_style state_style(enum alarm_state state)
{
    switch (state) {
    case ALARM_STATE_ALARM:
        return (struct slack_state_style){"#D00000", "\xF0\x9F\x94\xB4"}; /* 🔴 */
    case ALARM_STATE_OK:
        return (struct slack_state_style){"#2EB67D", "\xF0\x9F\x9F\xA2"}; /* 🟢 */
    default:
        return (struct slack_state_style){"#9E9E9E", "\xE2\x9A\xAA"}; /* ⚪ */
    }
}

static const char *or_empty(const char *string)
{
    return string ? string : "";
}

/* ---- mrkdwn texts ---- */

static void append_escaped(struct alarm_text *text, const char *value)
{
    const char *run = value;
    for (const char *at = value; *at; at++) {
        const char *entity = *at == '&' ? "&amp;" : *at == '<' ? "&lt;" : *at == '>' ? "&gt;" : 0;
        if (!entity)
            continue;
        alarm_text_append(text, run, (size_t)(at - run));
        alarm_text_append_string(text, entity);
        run = at + 1;
    }
    alarm_text_append_string(text, run);
}

/* The offset of the last '&' among the first `length` bytes, or `length` when none. */
static size_t last_ampersand(const char *text, size_t length)
{
    for (size_t at = length; at > 0; at--)
        if (text[at - 1] == '&')
            return at - 1;
    return length;
}

/* The text `builder` holds, cut to `limit` characters with "…"; malloc'ed, NULL when
 * memory ran out. The builder is emptied. Every '&' in our texts starts an entity (user
 * text is escaped), so a cut after an '&' with no ';' behind it would split one: it moves
 * back before the '&'. */
static char *finish_mrkdwn(struct alarm_text *builder, size_t limit)
{
    const char *text = builder->data;
    if (!builder->failed && text && notify_utf8_characters(text, builder->length) > limit) {
        size_t keep = notify_utf8_prefix(text, limit - 1);
        size_t ampersand = last_ampersand(text, keep);
        if (ampersand < keep && !memchr(text + ampersand, ';', keep - ampersand))
            keep = ampersand;
        notify_text_cut(builder, keep);
    }
    return alarm_text_finish(builder);
}

/* {"type":"mrkdwn","text":…} with what `builder` holds, cut to `limit`. */
static void append_mrkdwn_object(struct alarm_text *json, struct alarm_text *builder, size_t limit)
{
    char *value = finish_mrkdwn(builder, limit);
    if (!value) {
        json->failed = true;
        return;
    }
    alarm_text_append_string(json, "{\"type\":\"mrkdwn\",\"text\":");
    alarm_text_append_json_string(json, value);
    alarm_text_append(json, "}", 1);
    free(value);
}

/* ---- blocks ---- */

static void append_header(struct alarm_text *json, const struct notify_alarm_change *change)
{
    struct alarm_text header = {0};
    alarm_text_appendf(&header, "%s %s: %s", state_style(change->new_state).emoji,
                       alarm_state_name(change->new_state), or_empty(change->alarm->alarm_name));
    notify_text_limit(&header, HEADER_LIMIT);
    char *value = alarm_text_finish(&header);
    if (!value) {
        json->failed = true;
        return;
    }
    alarm_text_append_string(json, "{\"type\":\"header\",\"text\":{\"type\":\"plain_text\","
                                   "\"text\":");
    alarm_text_append_json_string(json, value);
    alarm_text_append_string(json, "}}");
    free(value);
}

static void append_reason(struct alarm_text *json, const struct notify_alarm_change *change)
{
    struct alarm_text reason = {0};
    char *grouped = notify_grouped_line(change);
    if (grouped) {
        alarm_text_append(&reason, "*", 1);
        append_escaped(&reason, grouped);
        alarm_text_append_string(&reason, "*\n");
    }
    free(grouped);
    append_escaped(&reason, or_empty(change->reason));
    alarm_text_append_string(json, ",{\"type\":\"section\",\"text\":");
    append_mrkdwn_object(json, &reason, SECTION_LIMIT);
    alarm_text_append(json, "}", 1);
}

static const char *comparison_symbol(enum alarm_comparison comparison)
{
    switch (comparison) {
    case ALARM_GREATER_THAN_OR_EQUAL_TO_THRESHOLD:
        return "\xE2\x89\xA5"; /* ≥ */
    case ALARM_GREATER_THAN_THRESHOLD:
        return "&gt;";
    case ALARM_LESS_THAN_THRESHOLD:
        return "&lt;";
    default:
        return "\xE2\x89\xA4"; /* ≤ */
    }
}

/* One field: a bold title, a line break, then what `builder` holds. */
static void append_field(struct alarm_text *json, const char *title, struct alarm_text *builder,
                         bool first)
{
    struct alarm_text field = {0};
    alarm_text_appendf(&field, "*%s*\n", title);
    alarm_text_append(&field, builder->data ? builder->data : "", builder->length);
    field.failed = field.failed || builder->failed;
    alarm_text_discard(builder);
    if (!first)
        alarm_text_append(json, ",", 1);
    append_mrkdwn_object(json, &field, FIELD_LIMIT);
}

static void append_alarm_fields(struct alarm_text *json, const struct notify_alarm_change *change)
{
    const struct alarm_definition *alarm = change->alarm;
    struct alarm_text value = {0};
    alarm_text_append_string(json, ",{\"type\":\"section\",\"fields\":[");
    alarm_text_appendf(&value, "%s \xE2\x86\x92 %s", alarm_state_name(change->old_state),
                       alarm_state_name(change->new_state)); /* → */
    append_field(json, "State", &value, true);
    append_escaped(&value, or_empty(change->account_id));
    alarm_text_append_string(&value, " \xC2\xB7 "); /* · */
    append_escaped(&value, or_empty(change->region));
    append_field(json, "Account / Region", &value, false);
    append_escaped(&value, or_empty(alarm->metric.namespace_name));
    alarm_text_append_string(&value, " / ");
    append_escaped(&value, or_empty(alarm->metric.metric_name));
    append_field(json, "Metric", &value, false);
    append_escaped(&value, notify_alarm_statistic(alarm));
    alarm_text_appendf(&value, " %s ", comparison_symbol(alarm->comparison));
    alarm_text_append_number(&value, alarm->threshold);
    alarm_text_appendf(&value, " for %d of %d \xC3\x97 %d s", notify_datapoints_to_alarm(alarm),
                       alarm->evaluation_periods, alarm->period); /* × */
    append_field(json, "Condition", &value, false);
    alarm_text_append_string(json, "]}");
}

/* ---- evidence ---- */

static const char *const list_titles[METRIC_EVIDENCE_FIELD_COUNT] = {
    "Principals", "Source IPs", "Event names", "Error codes", "Accounts", "Regions", "Denial kinds",
};

static void append_evidence_list(struct alarm_text *json, const struct metric_evidence *evidence,
                                 enum metric_evidence_field field)
{
    size_t count = evidence->top_count[field];
    if (count == 0)
        return;
    struct alarm_text value = {0};
    for (size_t i = 0; i < count && i < LIST_VALUES && i < METRIC_EVIDENCE_TOP; i++) {
        if (i)
            alarm_text_append(&value, "\n", 1);
        append_escaped(&value, or_empty(evidence->top[field][i].value));
        alarm_text_appendf(&value, " (%llu)", (unsigned long long)evidence->top[field][i].count);
    }
    if (count > LIST_VALUES)
        alarm_text_appendf(&value, "\n%zu more", count - LIST_VALUES);
    append_field(json, list_titles[field], &value, false);
}

static void append_evidence_fields(struct alarm_text *json, const struct metric_evidence *evidence)
{
    struct alarm_text value = {0};
    alarm_text_append_string(json, ",{\"type\":\"section\",\"fields\":[");
    alarm_text_appendf(&value, "%llu", (unsigned long long)evidence->events);
    append_field(json, "Matching events", &value, true);
    if (evidence->events > 0) {
        char first[32], last[32];
        notify_format_second_time(evidence->first_seen_ms, first);
        notify_format_second_time(evidence->last_seen_ms, last);
        alarm_text_appendf(&value, "%s \xE2\x80\x93 %s", first, last); /* – */
        append_field(json, "First / last seen", &value, false);
    }
    for (int field = 0; field < METRIC_EVIDENCE_FIELD_COUNT; field++)
        append_evidence_list(json, evidence, (enum metric_evidence_field)field);
    alarm_text_append_string(json, "]}");
}

/* "*Sample events (2 of 3)*" and a code block of one compact JSON line per sample, held to
 * the section limit with the block's closing fence kept. */
static void append_evidence_samples(struct alarm_text *json, const struct metric_evidence *evidence)
{
    size_t count = evidence->sample_count;
    if (count > METRIC_EVIDENCE_SAMPLES)
        count = METRIC_EVIDENCE_SAMPLES;
    if (count == 0)
        return;
    struct alarm_text section = {0}, body = {0};
    alarm_text_appendf(&section, "*Sample events (%zu of %llu)*\n" CODE_FENCE, count,
                       (unsigned long long)evidence->events);
    for (size_t i = 0; i < count; i++) {
        char *line = notify_sample_line(or_empty(evidence->samples[i]));
        body.failed = body.failed || !line;
        append_escaped(&body, i ? "\n" : "");
        append_escaped(&body, line ? line : "");
        free(line);
    }
    size_t frame = notify_utf8_characters(section.data ? section.data : "", section.length) +
                   strlen(CODE_FENCE);
    char *cut = finish_mrkdwn(&body, SECTION_LIMIT - frame);
    section.failed = section.failed || !cut;
    alarm_text_append_string(&section, cut ? cut : "");
    alarm_text_append_string(&section, CODE_FENCE);
    free(cut);
    alarm_text_append_string(json, ",{\"type\":\"section\",\"text\":");
    append_mrkdwn_object(json, &section, SIZE_MAX);
    alarm_text_append(json, "}", 1);
}

static void append_context(struct alarm_text *json, const struct notify_alarm_change *change)
{
    char time[32];
    notify_format_second_time(change->change_ms, time);
    struct alarm_text value = {0};
    alarm_text_append_string(&value, time);
    if (change->alarm->cis_id) {
        alarm_text_append_string(&value, " \xC2\xB7 CIS AWS "); /* · */
        append_escaped(&value, change->alarm->cis_id);
    }
    alarm_text_append_string(json, ",{\"type\":\"context\",\"elements\":[");
    append_mrkdwn_object(json, &value, SECTION_LIMIT);
    alarm_text_append_string(json, "]}");
}

char *notify_slack_payload(const struct notify_alarm_change *change)
{
    char *subject = notify_alarm_subject(change);
    if (!subject)
        return NULL;
    struct alarm_text json = {0}, text = {0};
    char *grouped = notify_grouped_line(change);
    if (grouped) {
        append_escaped(&text, grouped);
        alarm_text_append_string(&text, ": ");
    }
    free(grouped);
    append_escaped(&text, subject);
    free(subject);
    char *fallback = finish_mrkdwn(&text, SIZE_MAX);
    json.failed = !fallback;
    alarm_text_append_string(&json, "{\"text\":");
    alarm_text_append_json_string(&json, fallback ? fallback : "");
    free(fallback);
    alarm_text_appendf(&json, ",\"attachments\":[{\"color\":\"%s\",\"blocks\":[",
                       state_style(change->new_state).color);
    append_header(&json, change);
    append_reason(&json, change);
    append_alarm_fields(&json, change);
    if (change->evidence) {
        append_evidence_fields(&json, change->evidence);
        append_evidence_samples(&json, change->evidence);
    }
    append_context(&json, change);
    alarm_text_append_string(&json, "]}]}");
    return alarm_text_finish(&json);
}

/* The e-mail's confirmation request (notify_subscription_confirmation_email) as a Slack
 * message: someone in the channel confirms by following the link, as a mail reader does. */
char *notify_slack_subscription_confirmation(const char *topic_arn, const char *confirm_url)
{
    struct alarm_text text = {0}, json = {0};
    alarm_text_append_string(&text, "You have chosen to subscribe to the topic ");
    append_escaped(&text, or_empty(topic_arn));
    alarm_text_append_string(&text, ".\nTo confirm this subscription, click or visit the link "
                                    "below (If this was in error no action is necessary):\n<");
    append_escaped(&text, or_empty(confirm_url));
    alarm_text_append_string(&text, "|Confirm subscription>");
    char *mrkdwn = alarm_text_finish(&text);
    if (!mrkdwn)
        return NULL;
    alarm_text_append_string(&json, "{\"text\":");
    alarm_text_append_json_string(&json, mrkdwn);
    alarm_text_append_string(&json, "}");
    free(mrkdwn);
    return alarm_text_finish(&json);
}
