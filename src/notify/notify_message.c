/* The CloudWatch → SNS alarm message (notifications.md §2.2) and its subject (§2.1).
 *
 * The JSON is written by hand: AWS's key order, Java-formatted numbers and Jackson's
 * escaping are the contract, and no JSON library gives all three. After AWS's keys comes
 * one of ours, "Trailhound", with the evidence behind the change:
 *   {"events":3,"firstSeen":"2026-11-26T10:01:02Z","lastSeen":"…Z",
 *    "principals":[{"value":"arn:…","count":2}],"sourceIPs":[…],"eventNames":[…],
 *    "errorCodes":[…],"accounts":[…],"regions":[…],"denials":[…],
 *    "samples":[{…the trimmed event…}],"cis":"4.1"}
 * Every list is present (possibly []); times are CloudTrail's eventTime form, null when
 * there were no events; "cis" only for alarms of the CIS pack. Consumers that parse AWS's
 * keys ignore unknown ones, so the extra key costs them nothing. */
#include "events/event.h"
#include "notify/notify_message_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* SNS subjects must be under 100 characters (§2.1); Java counts UTF-16 units. */
#define SUBJECT_MAX_UNITS 99
#define SUBJECT_CUT_MARK "..."

static const char *or_empty(const char *string)
{
    return string ? string : "";
}

void notify_upper_statistic(const char *statistic, char *out, size_t size)
{
    size_t length = 0;
    for (const char *at = statistic; *at && length + 2 < size; at++) {
        bool word_starts =
            at != statistic && isupper((unsigned char)*at) && islower((unsigned char)at[-1]);
        if (word_starts)
            out[length++] = '_';
        out[length++] = (char)toupper((unsigned char)*at);
    }
    out[length] = '\0';
}

int notify_datapoints_to_alarm(const struct alarm_definition *alarm)
{
    return alarm->datapoints_to_alarm > 0 ? alarm->datapoints_to_alarm : alarm->evaluation_periods;
}

const char *notify_alarm_statistic(const struct alarm_definition *alarm)
{
    return alarm->statistic ? alarm->statistic : or_empty(alarm->extended_statistic);
}

/* ---- evidence ---- */

static const char *const evidence_keys[METRIC_EVIDENCE_FIELD_COUNT] = {
    "principals", "sourceIPs", "eventNames", "errorCodes", "accounts", "regions", "denials",
};
static const char *const evidence_labels[METRIC_EVIDENCE_FIELD_COUNT] = {
    "principal", "source IP", "event name", "error code", "account", "region", "denial kind",
};

const char *notify_evidence_key(enum metric_evidence_field field)
{
    return (size_t)field < METRIC_EVIDENCE_FIELD_COUNT ? evidence_keys[field] : "";
}

const char *notify_evidence_label(enum metric_evidence_field field)
{
    return (size_t)field < METRIC_EVIDENCE_FIELD_COUNT ? evidence_labels[field] : "";
}

static bool is_json_object(const char *sample, size_t length)
{
    struct event_extractor *extractor = event_extractor_create();
    if (!extractor)
        return false;
    struct event event;
    bool valid = event_extract_json(extractor, sample, length, NULL, 0, &event, NULL);
    event_extractor_free(extractor);
    size_t start = strspn(sample, " \t\r\n");
    return valid && sample[start] == '{';
}

/* A valid JSON text without the whitespace between its tokens. */
static void append_compact_json(struct alarm_text *text, const char *json)
{
    bool in_string = false;
    const char *run = json;
    for (const char *at = json; *at; at++) {
        if (in_string) {
            if (*at == '\\')
                at++; /* the escaped byte cannot end the string */
            else if (*at == '"')
                in_string = false;
            continue;
        }
        if (*at == '"') {
            in_string = true;
        } else if (*at == ' ' || *at == '\t' || *at == '\n' || *at == '\r') {
            alarm_text_append(text, run, (size_t)(at - run));
            run = at + 1;
        }
    }
    alarm_text_append_string(text, run);
}

void notify_append_sample_json(struct alarm_text *text, const char *sample)
{
    if (is_json_object(sample, strlen(sample)))
        append_compact_json(text, sample);
    else
        alarm_text_append_json_string(text, sample);
}

char *notify_sample_line(const char *sample)
{
    struct alarm_text text = {0};
    notify_append_sample_json(&text, sample);
    return alarm_text_finish(&text);
}

static void append_evidence_list(struct alarm_text *text, const struct metric_evidence *evidence,
                                 enum metric_evidence_field field)
{
    alarm_text_append_json_key(text, notify_evidence_key(field));
    alarm_text_append(text, "[", 1);
    size_t count = evidence->top_count[field];
    for (size_t i = 0; i < count && i < METRIC_EVIDENCE_TOP; i++) {
        const struct metric_evidence_value *item = &evidence->top[field][i];
        alarm_text_append_string(text, i ? ",{" : "{");
        alarm_text_append_json_key(text, "value");
        alarm_text_append_json_string(text, or_empty(item->value));
        alarm_text_appendf(text, ",\"count\":%llu}", (unsigned long long)item->count);
    }
    alarm_text_append(text, "]", 1);
}

static void append_seen(struct alarm_text *text, const char *key, bool known, int64_t ms)
{
    alarm_text_append_json_key(text, key);
    if (!known) {
        alarm_text_append_string(text, "null");
        return;
    }
    char time[32];
    notify_format_second_time(ms, time);
    alarm_text_append_json_string(text, time);
}

static bool is_grouped(const struct notify_alarm_change *change)
{
    return change->grouped > 1;
}

/* Grouping's keys, last in the Trailhound object. */
static void append_grouped(struct alarm_text *text, const struct notify_alarm_change *change)
{
    alarm_text_appendf(text, "\"grouped\":%u,\"groupingWindowSeconds\":%d", change->grouped,
                       change->grouping_window_seconds);
}

static void append_trailhound(struct alarm_text *text, const struct notify_alarm_change *change,
                              const char *cis_id)
{
    const struct metric_evidence *evidence = change->evidence;
    if (!evidence) {
        alarm_text_append_string(text, ",\"Trailhound\":{");
        append_grouped(text, change);
        alarm_text_append(text, "}", 1);
        return;
    }
    alarm_text_appendf(text, ",\"Trailhound\":{\"events\":%llu",
                       (unsigned long long)evidence->events);
    if (evidence->suppressed)
        alarm_text_appendf(text, ",\"suppressed\":%llu", (unsigned long long)evidence->suppressed);
    alarm_text_append(text, ",", 1);
    append_seen(text, "firstSeen", evidence->events > 0, evidence->first_seen_ms);
    alarm_text_append(text, ",", 1);
    append_seen(text, "lastSeen", evidence->events > 0, evidence->last_seen_ms);
    for (int field = 0; field < METRIC_EVIDENCE_FIELD_COUNT; field++) {
        alarm_text_append(text, ",", 1);
        append_evidence_list(text, evidence, (enum metric_evidence_field)field);
    }
    alarm_text_append_string(text, ",\"samples\":[");
    for (size_t i = 0; i < evidence->sample_count && i < METRIC_EVIDENCE_SAMPLES; i++) {
        if (i)
            alarm_text_append(text, ",", 1);
        notify_append_sample_json(text, or_empty(evidence->samples[i]));
    }
    alarm_text_append(text, "]", 1);
    if (cis_id) {
        alarm_text_append_string(text, ",\"cis\":");
        alarm_text_append_json_string(text, cis_id);
    }
    if (is_grouped(change)) {
        alarm_text_append(text, ",", 1);
        append_grouped(text, change);
    }
    alarm_text_append(text, "}", 1);
}

/* ---- AWS's keys ---- */

static void append_string_member(struct alarm_text *text, const char *key, const char *value,
                                 bool first)
{
    if (!first)
        alarm_text_append(text, ",", 1);
    alarm_text_append_json_key(text, key);
    alarm_text_append_json_string_or_null(text, value);
}

static void append_actions(struct alarm_text *text, const char *key,
                           const struct alarm_action_list *actions)
{
    alarm_text_append(text, ",", 1);
    alarm_text_append_json_key(text, key);
    alarm_text_append(text, "[", 1);
    for (size_t i = 0; i < actions->count && i < ALARM_MAX_ACTIONS; i++) {
        if (i)
            alarm_text_append(text, ",", 1);
        alarm_text_append_json_string(text, or_empty(actions->items[i]));
    }
    alarm_text_append(text, "]", 1);
}

/* [{"value":"…","name":"…"}]: lower-case keys, value first, as AWS writes them. */
static void append_dimensions(struct alarm_text *text, const struct metric_identity *metric)
{
    alarm_text_append_string(text, ",\"Dimensions\":[");
    for (size_t i = 0; i < metric->dimension_count; i++) {
        const struct metric_dimension_value *dimension = &metric->dimensions[i];
        alarm_text_append_string(text, i ? ",{" : "{");
        append_string_member(text, "value", or_empty(dimension->value), true);
        append_string_member(text, "name", or_empty(dimension->name), false);
        alarm_text_append(text, "}", 1);
    }
    alarm_text_append(text, "]", 1);
}

static void append_statistic(struct alarm_text *text, const struct alarm_definition *alarm)
{
    if (alarm->statistic) {
        char upper[64];
        notify_upper_statistic(alarm->statistic, upper, sizeof upper);
        append_string_member(text, "StatisticType", "Statistic", false);
        append_string_member(text, "Statistic", upper, false);
    } else {
        append_string_member(text, "StatisticType", "ExtendedStatistic", false);
        append_string_member(text, "ExtendedStatistic", or_empty(alarm->extended_statistic), false);
    }
}

/* TreatMissingData is "" when the alarm never set it. The definition keeps only the enum,
 * whose default is `missing`, so `missing` is read as "never set": an alarm that spells
 * out `missing` is written as "" too (both behave the same way). */
static const char *treat_missing_text(const struct alarm_definition *alarm)
{
    if (alarm->treat_missing == ALARM_TREAT_MISSING_MISSING)
        return "";
    return alarm_treat_missing_name(alarm->treat_missing);
}

static void append_trigger(struct alarm_text *text, const struct alarm_definition *alarm)
{
    const struct metric_identity *metric = &alarm->metric;
    alarm_text_append_string(text, ",\"Trigger\":{");
    append_string_member(text, "MetricName", or_empty(metric->metric_name), true);
    append_string_member(text, "Namespace", or_empty(metric->namespace_name), false);
    append_statistic(text, alarm);
    append_string_member(text, "Unit", alarm->unit, false);
    append_dimensions(text, metric);
    alarm_text_appendf(text, ",\"Period\":%d,\"EvaluationPeriods\":%d", alarm->period,
                       alarm->evaluation_periods);
    if (alarm->datapoints_to_alarm > 0)
        alarm_text_appendf(text, ",\"DatapointsToAlarm\":%d", alarm->datapoints_to_alarm);
    append_string_member(text, "ComparisonOperator", alarm_comparison_name(alarm->comparison),
                         false);
    alarm_text_append_string(text, ",\"Threshold\":");
    alarm_text_append_number(text, alarm->threshold);
    append_string_member(text, "TreatMissingData", treat_missing_text(alarm), false);
    append_string_member(text, "EvaluateLowSampleCountPercentile",
                         alarm->evaluate_low_sample_count_percentile ? "" : "ignore", false);
    alarm_text_append(text, "}", 1);
}

static void append_head(struct alarm_text *text, const struct notify_alarm_change *change,
                        const char *arn)
{
    const struct alarm_definition *alarm = change->alarm;
    char updated[40], changed[40];
    alarm_format_iso_time(change->configuration_updated_ms, updated, sizeof updated);
    alarm_format_iso_time(change->change_ms, changed, sizeof changed);
    alarm_text_append(text, "{", 1);
    append_string_member(text, "AlarmName", or_empty(alarm->alarm_name), true);
    append_string_member(text, "AlarmDescription", alarm->alarm_description, false);
    append_string_member(text, "AWSAccountId", or_empty(change->account_id), false);
    append_string_member(text, "AlarmConfigurationUpdatedTimestamp", updated, false);
    append_string_member(text, "NewStateValue", alarm_state_name(change->new_state), false);
    append_string_member(text, "NewStateReason", or_empty(change->reason), false);
    append_string_member(text, "StateChangeTime", changed, false);
    append_string_member(text, "Region", notify_region_long_name(or_empty(change->region)), false);
    append_string_member(text, "AlarmArn", arn, false);
    append_string_member(text, "OldStateValue", alarm_state_name(change->old_state), false);
}

char *notify_alarm_message(const struct notify_alarm_change *change)
{
    const struct alarm_definition *alarm = change->alarm;
    char *arn = alarm_arn(alarm, or_empty(change->region), or_empty(change->account_id));
    if (!arn)
        return NULL;
    struct alarm_text text = {0};
    append_head(&text, change, arn);
    append_actions(&text, "OKActions", &alarm->ok_actions);
    append_actions(&text, "AlarmActions", &alarm->alarm_actions);
    append_actions(&text, "InsufficientDataActions", &alarm->insufficient_data_actions);
    append_trigger(&text, alarm);
    if (change->evidence || is_grouped(change))
        append_trailhound(&text, change, alarm->cis_id);
    alarm_text_append(&text, "}", 1);
    free(arn);
    return alarm_text_finish(&text);
}

char *notify_grouped_line(const struct notify_alarm_change *change)
{
    if (!is_grouped(change))
        return NULL;
    struct alarm_text text = {0};
    alarm_text_appendf(&text, "%u state changes in %d s; latest: %s -> %s", change->grouped,
                       change->grouping_window_seconds, alarm_state_name(change->old_state),
                       alarm_state_name(change->new_state));
    return alarm_text_finish(&text);
}

/* ---- subject ---- */

char *notify_full_subject(const struct notify_alarm_change *change)
{
    struct alarm_text text = {0};
    alarm_text_appendf(&text, "%s: \"%s\" in %s", alarm_state_name(change->new_state),
                       or_empty(change->alarm->alarm_name),
                       notify_region_long_name(or_empty(change->region)));
    return alarm_text_finish(&text);
}

/* Control characters are not allowed in a subject (§2.1); alarm names cannot hold them,
 * but a region code is the caller's text. */
static void replace_controls(char *subject)
{
    for (char *at = subject; *at; at++)
        if ((unsigned char)*at < 0x20 || *at == 0x7F)
            *at = ' ';
}

/* Under 100 characters: the name is cut and marked with "...", the prefix and the region
 * kept (§2.1 [inf]); when even they do not fit, the whole subject is cut. */
char *notify_alarm_subject(const struct notify_alarm_change *change)
{
    char *full = notify_full_subject(change);
    if (!full)
        return NULL;
    replace_controls(full);
    size_t full_units = notify_utf16_units(full, strlen(full));
    if (full_units <= SUBJECT_MAX_UNITS)
        return full;
    const char *name = or_empty(change->alarm->alarm_name);
    size_t name_units = notify_utf16_units(name, strlen(name));
    size_t frame_units = full_units - name_units + strlen(SUBJECT_CUT_MARK);
    if (frame_units >= SUBJECT_MAX_UNITS) {
        full[notify_utf16_prefix(full, SUBJECT_MAX_UNITS)] = '\0';
        return full;
    }
    size_t keep = notify_utf16_prefix(name, SUBJECT_MAX_UNITS - frame_units);
    struct alarm_text text = {0};
    alarm_text_appendf(&text, "%s: \"%.*s%s\" in %s", alarm_state_name(change->new_state),
                       (int)keep, name, SUBJECT_CUT_MARK,
                       notify_region_long_name(or_empty(change->region)));
    free(full);
    char *subject = alarm_text_finish(&text);
    if (subject)
        replace_controls(subject);
    return subject;
}
