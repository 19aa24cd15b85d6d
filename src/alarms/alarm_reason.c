/* StateReason and StateReasonData as AWS writes them (alarms.md §8.2, §8.3). */
#include "alarms/alarm_evaluate.h"

static const char *operator_words(enum alarm_comparison comparison)
{
    switch (comparison) {
    case ALARM_GREATER_THAN_OR_EQUAL_TO_THRESHOLD:
        return "greater than or equal to";
    case ALARM_GREATER_THAN_THRESHOLD:
        return "greater than";
    case ALARM_LESS_THAN_THRESHOLD:
        return "less than";
    case ALARM_LESS_THAN_OR_EQUAL_TO_THRESHOLD:
        return "less than or equal to";
    }
    return "";
}

static const char *plural(size_t count)
{
    return count == 1 ? "" : "s";
}

static const char *was_were(size_t count)
{
    return count == 1 ? "was" : "were";
}

/* [inf] §8.2: slots filled under `missing` and `ignore` count as not breaching, so they
 * carry the notBreaching label. */
static const char *fill_label(const struct alarm_definition *alarm)
{
    return alarm->treat_missing == ALARM_TREAT_MISSING_BREACHING ? "Breaching" : "NonBreaching";
}

/* The judged real points that agree with the new state, newest first:
 * `[v1 (t1), v2 (t2)]`. Returns how many were listed. */
static size_t append_point_list(struct alarm_text *text, const struct alarm_range *range,
                                const struct alarm_judgement *judgement, bool breaching)
{
    size_t listed = 0;
    alarm_text_append(text, "[", 1);
    for (size_t i = 0; i < judgement->count; i++) {
        size_t index = judgement->judged[i];
        const struct alarm_slot *slot = &range->slots[index];
        if (!slot->has_data || range->breaching[index] != breaching)
            continue;
        char time[32];
        alarm_format_reason_time(slot->start, time, sizeof time);
        if (listed++ > 0)
            alarm_text_append(text, ", ", 2);
        alarm_text_append_number(text, slot->value);
        alarm_text_appendf(text, " (%s)", time);
    }
    alarm_text_append(text, "]", 1);
    return listed;
}

static size_t agreeing_points(const struct alarm_range *range,
                              const struct alarm_judgement *judgement, bool breaching)
{
    size_t count = 0;
    for (size_t i = 0; i < judgement->count; i++) {
        size_t index = judgement->judged[i];
        count += range->slots[index].has_data && range->breaching[index] == breaching;
    }
    return count;
}

/* What follows the threshold: the fill clause and form (B)'s minimum. */
static void append_threshold_suffix(struct alarm_text *text, const struct alarm_definition *alarm,
                                    const struct alarm_judgement *judgement, bool to_alarm)
{
    /* [inf] §8.2 (G): a premature alarm counts its missing slots nowhere; [inf] form (A)
     * carries the fill clause the same way form (B) does */
    if (judgement->filled > 0 && judgement->form == ALARM_JUDGEMENT_THRESHOLD)
        alarm_text_appendf(text, " and %zu missing datapoint%s %s treated as [%s]",
                           judgement->filled, plural(judgement->filled),
                           was_were(judgement->filled), fill_label(alarm));
    if (alarm->datapoints_to_alarm > 0) {
        /* "OK -> ALARM" even from INSUFFICIENT_DATA [obs]; [inf] likewise "ALARM -> OK" */
        size_t minimum =
            (size_t)(to_alarm ? alarm->datapoints_to_alarm
                              : alarm->evaluation_periods - alarm->datapoints_to_alarm + 1);
        alarm_text_appendf(text, " (minimum %zu datapoint%s for %s transition)", minimum,
                           plural(minimum), to_alarm ? "OK -> ALARM" : "ALARM -> OK");
    }
    alarm_text_append(text, ".", 1);
}

/* Forms (A), (B) and (G). The list holds only the real points that agree with the new
 * state: AWS's classic form too (an N = 3 alarm going OK listed the one point that was
 * "not less than" the threshold, its two breaching points left out). */
static void append_threshold_crossed(struct alarm_text *text, const struct alarm_definition *alarm,
                                     const struct alarm_range *range,
                                     const struct alarm_judgement *judgement)
{
    bool to_alarm = judgement->state == ALARM_STATE_ALARM;
    size_t agreeing = agreeing_points(range, judgement, to_alarm);
    if (alarm->datapoints_to_alarm > 0)
        alarm_text_appendf(text, "Threshold Crossed: %zu out of the last %d datapoints ", agreeing,
                           alarm->evaluation_periods);
    else
        alarm_text_appendf(text, "Threshold Crossed: %zu datapoint%s ", agreeing, plural(agreeing));
    append_point_list(text, range, judgement, to_alarm);
    alarm_text_appendf(text, " %s %s%s the threshold (", was_were(agreeing), to_alarm ? "" : "not ",
                       operator_words(alarm->comparison));
    alarm_text_append_number(text, alarm->threshold);
    alarm_text_append(text, ")", 1);
    append_threshold_suffix(text, alarm, judgement, to_alarm);
}

/* Forms (C) and (D): nothing in the whole range. */
static void append_all_missing(struct alarm_text *text, const struct alarm_definition *alarm,
                               const struct alarm_judgement *judgement)
{
    size_t periods = (size_t)alarm->evaluation_periods;
    if (judgement->state == ALARM_STATE_INSUFFICIENT_DATA) {
        alarm_text_appendf(text, "Insufficient Data: %zu datapoint%s %s unknown.", periods,
                           plural(periods), was_were(periods));
        return;
    }
    alarm_text_appendf(text,
                       "Threshold Crossed: no datapoints were received for %zu period%s and "
                       "%zu missing datapoint%s %s treated as [%s].",
                       periods, plural(periods), periods, plural(periods), was_were(periods),
                       fill_label(alarm));
}

char *alarm_reason_text(const struct alarm_definition *alarm, const struct alarm_range *range,
                        const struct alarm_judgement *judgement)
{
    struct alarm_text text = {0};
    if (judgement->form == ALARM_JUDGEMENT_ALL_MISSING)
        append_all_missing(&text, alarm, judgement);
    else
        append_threshold_crossed(&text, alarm, range, judgement);
    return alarm_text_finish(&text);
}

static void append_iso_member(struct alarm_text *text, const char *key, const char *time)
{
    alarm_text_appendf(text, ",\"%s\":\"%s\"", key, time);
}

/* The oldest judged real slot, or NULL. */
static const struct alarm_slot *oldest_judged_real(const struct alarm_range *range,
                                                   const struct alarm_judgement *judgement)
{
    for (size_t i = judgement->count; i-- > 0;)
        if (range->slots[judgement->judged[i]].has_data)
            return &range->slots[judgement->judged[i]];
    return NULL;
}

/* recentDatapoints: the judged real values, oldest first [inf] (§8.3; one capture with
 * three points agrees). */
static void append_recent_datapoints(struct alarm_text *text, const struct alarm_range *range,
                                     const struct alarm_judgement *judgement)
{
    alarm_text_append_string(text, ",\"recentDatapoints\":[");
    bool first = true;
    for (size_t i = judgement->count; i-- > 0;) {
        const struct alarm_slot *slot = &range->slots[judgement->judged[i]];
        if (!slot->has_data)
            continue;
        if (!first)
            alarm_text_append(text, ",", 1);
        alarm_text_append_number(text, slot->value);
        first = false;
    }
    alarm_text_append(text, "]", 1);
}

/* evaluatedDatapoints: every judged slot, newest first; a missing one only its timestamp. */
static void append_evaluated_datapoints(struct alarm_text *text, const struct alarm_range *range,
                                        const struct alarm_judgement *judgement)
{
    alarm_text_append_string(text, ",\"evaluatedDatapoints\":[");
    for (size_t i = 0; i < judgement->count; i++) {
        const struct alarm_slot *slot = &range->slots[judgement->judged[i]];
        char time[40];
        alarm_format_iso_seconds(slot->start, time, sizeof time);
        alarm_text_appendf(text, "%s{\"timestamp\":\"%s\"", i > 0 ? "," : "", time);
        if (slot->has_data) {
            alarm_text_append_string(text, ",\"sampleCount\":");
            alarm_text_append_number(text, slot->sample_count);
            alarm_text_append_string(text, ",\"value\":");
            alarm_text_append_number(text, slot->value);
        }
        alarm_text_append(text, "}", 1);
    }
    alarm_text_append(text, "]", 1);
}

char *alarm_reason_data(const struct alarm_definition *alarm, const struct alarm_range *range,
                        const struct alarm_judgement *judgement, int64_t now_ms)
{
    struct alarm_text text = {0};
    alarm_text_append_string(&text, "{\"version\":\"1.0\"");
    char time[40];
    alarm_format_iso_time(now_ms, time, sizeof time);
    append_iso_member(&text, "queryDate", time);
    const struct alarm_slot *oldest = oldest_judged_real(range, judgement);
    if (oldest) {
        alarm_format_iso_seconds(oldest->start, time, sizeof time);
        append_iso_member(&text, "startDate", time);
    }
    if (alarm->unit) {
        alarm_text_append_string(&text, ",\"unit\":");
        alarm_text_append_json_string(&text, alarm->unit);
    }
    /* [inf] §8.3: extendedStatistic for percentile alarms, not observed */
    alarm_text_append_string(&text, alarm->extended_statistic ? ",\"extendedStatistic\":"
                                                              : ",\"statistic\":");
    alarm_text_append_json_string(&text, alarm->extended_statistic ? alarm->extended_statistic
                                         : alarm->statistic        ? alarm->statistic
                                                                   : "");
    alarm_text_appendf(&text, ",\"period\":%d", alarm->period);
    append_recent_datapoints(&text, range, judgement);
    alarm_text_append_string(&text, ",\"threshold\":");
    alarm_text_append_number(&text, alarm->threshold);
    append_evaluated_datapoints(&text, range, judgement);
    alarm_text_append(&text, "}", 1);
    return alarm_text_finish(&text);
}
