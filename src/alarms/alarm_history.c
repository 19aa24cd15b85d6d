/* The alarm's ARN and the HistoryData texts of DescribeAlarmHistory (alarms.md §7).
 *
 * The ConfigurationUpdate shape follows a captured AWS item (2022): alarmName,
 * alarmDescription, alarmArn, alarmConfigurationUpdatedTimestamp, namespace, metricName,
 * statistic, period, dimensions [{value, name}], threshold, comparisonOperator,
 * evaluationPeriods, stateValue, stateUpdatedTimestamp, actionsEnabled, alarmActions,
 * insufficientDataActions, okactions — spelled so, Jackson's name for getOKActions. Absent
 * fields are left out, as that capture leaves out its unset ones. */
#include "alarms/alarm_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

char *alarm_arn(const struct alarm_definition *alarm, const char *region, const char *account)
{
    if (!alarm->alarm_name)
        return NULL;
    struct alarm_text text = {0};
    alarm_text_appendf(&text, "arn:aws:cloudwatch:%s:%s:alarm:", region ? region : "",
                       account ? account : "");
    alarm_text_append_string(&text, alarm->alarm_name);
    return alarm_text_finish(&text);
}

static void append_dimensions_member(struct alarm_text *text, const struct metric_identity *metric)
{
    alarm_text_append_string(text, ",\"dimensions\":[");
    for (size_t i = 0; i < metric->dimension_count; i++) {
        alarm_text_append_string(text, i > 0 ? ",{\"value\":" : "{\"value\":");
        alarm_text_append_json_string(text, metric->dimensions[i].value);
        alarm_text_append_string(text, ",\"name\":");
        alarm_text_append_json_string(text, metric->dimensions[i].name);
        alarm_text_append(text, "}", 1);
    }
    alarm_text_append(text, "]", 1);
}

/* The metric and threshold members, namespace through evaluationPeriods. */
static void append_metric_members(struct alarm_text *text, const struct alarm_definition *alarm)
{
    alarm_json_append_string_member(text, "namespace", alarm->metric.namespace_name);
    alarm_json_append_string_member(text, "metricName", alarm->metric.metric_name);
    /* [inf] extendedStatistic where statistic would be */
    if (alarm->extended_statistic)
        alarm_json_append_string_member(text, "extendedStatistic", alarm->extended_statistic);
    else
        alarm_json_append_string_member(text, "statistic", alarm->statistic);
    alarm_text_appendf(text, ",\"period\":%d", alarm->period);
    if (alarm->unit) /* [inf] placed after period */
        alarm_json_append_string_member(text, "unit", alarm->unit);
    append_dimensions_member(text, &alarm->metric);
    alarm_text_append_string(text, ",\"threshold\":");
    alarm_text_append_number(text, alarm->threshold);
    alarm_json_append_string_member(text, "comparisonOperator",
                                    alarm_comparison_name(alarm->comparison));
    alarm_text_appendf(text, ",\"evaluationPeriods\":%d", alarm->evaluation_periods);
}

/* [inf] Fields newer than the capture, after its last member and only when they differ
 * from what an alarm without them does. */
static void append_newer_members(struct alarm_text *text, const struct alarm_definition *alarm)
{
    if (alarm->datapoints_to_alarm > 0)
        alarm_text_appendf(text, ",\"datapointsToAlarm\":%d", alarm->datapoints_to_alarm);
    if (alarm->treat_missing != ALARM_TREAT_MISSING_MISSING)
        alarm_json_append_string_member(text, "treatMissingData",
                                        alarm_treat_missing_name(alarm->treat_missing));
    if (!alarm->evaluate_low_sample_count_percentile)
        alarm_json_append_string_member(text, "evaluateLowSampleCountPercentile", "ignore");
}

char *alarm_history_configuration_data_with_state(const struct alarm_definition *alarm,
                                                  const char *arn, bool created, int64_t now_ms,
                                                  const struct alarm_status *status)
{
    struct alarm_text text = {0};
    char time[40];
    alarm_text_appendf(&text, "{\"version\":\"1.0\",\"type\":\"%s\",\"%s\":{\"alarmName\":",
                       created ? "Create" : "Update", created ? "createdAlarm" : "updatedAlarm");
    alarm_text_append_json_string(&text, alarm->alarm_name ? alarm->alarm_name : "");
    if (alarm->alarm_description)
        alarm_json_append_string_member(&text, "alarmDescription", alarm->alarm_description);
    alarm_json_append_string_member(&text, "alarmArn", arn);
    alarm_format_iso_time(now_ms, time, sizeof time);
    alarm_json_append_string_member(&text, "alarmConfigurationUpdatedTimestamp", time);
    append_metric_members(&text, alarm);
    if (status || created) {
        /* a new alarm is INSUFFICIENT_DATA from this instant (§3) */
        enum alarm_state state = status ? status->state : ALARM_STATE_INSUFFICIENT_DATA;
        alarm_format_iso_time(status ? status->updated_ms : now_ms, time, sizeof time);
        alarm_json_append_string_member(&text, "stateValue", alarm_state_name(state));
        alarm_json_append_string_member(&text, "stateUpdatedTimestamp", time);
    }
    alarm_text_appendf(&text, ",\"actionsEnabled\":%s", alarm->actions_enabled ? "true" : "false");
    alarm_json_append_actions_member(&text, "alarmActions", &alarm->alarm_actions);
    alarm_json_append_actions_member(&text, "insufficientDataActions",
                                     &alarm->insufficient_data_actions);
    alarm_json_append_actions_member(&text, "okactions", &alarm->ok_actions);
    append_newer_members(&text, alarm);
    alarm_text_append_string(&text, "}}");
    return alarm_text_finish(&text);
}

char *alarm_history_configuration_data(const struct alarm_definition *alarm, const char *arn,
                                       bool created, int64_t now_ms)
{
    return alarm_history_configuration_data_with_state(alarm, arn, created, now_ms, NULL);
}

/* StateReasonData is embedded as the JSON it is ([obs]); [inf] text that is not JSON
 * (never ours; SetAlarmState refuses it) is embedded as a string instead. */
static void append_reason_data_member(struct alarm_text *text, const char *reason_data)
{
    alarm_text_append_string(text, ",\"stateReasonData\":");
    json_t *parsed = json_loads(reason_data, JSON_DECODE_ANY, NULL);
    if (parsed)
        alarm_text_append_string(text, reason_data);
    else
        alarm_text_append_json_string(text, reason_data);
    json_decref(parsed);
}

static void append_state(struct alarm_text *text, const char *key, enum alarm_state state,
                         const char *reason, const char *reason_data)
{
    alarm_text_appendf(text, ",\"%s\":{\"stateValue\":\"%s\"", key, alarm_state_name(state));
    alarm_json_append_string_member(text, "stateReason", reason);
    if (reason_data)
        append_reason_data_member(text, reason_data);
    alarm_text_append(text, "}", 1);
}

char *alarm_history_state_data(const struct alarm_status *old_status, enum alarm_state new_state,
                               const char *new_reason, const char *new_reason_data)
{
    struct alarm_text text = {0};
    alarm_text_append_string(&text, "{\"version\":\"1.0\"");
    append_state(&text, "oldState", old_status->state, old_status->reason, old_status->reason_data);
    append_state(&text, "newState", new_state, new_reason, new_reason_data);
    alarm_text_append(&text, "}", 1);
    return alarm_text_finish(&text);
}
