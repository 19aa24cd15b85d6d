/* Alarm definitions as PutMetricAlarm's JSON request body, for the store and the API, plus
 * two keys of ours: TrailhoundCisId and TrailhoundOrigin. Numbers are written as Java
 * prints them (Threshold 1.0), like everything else AWS-shaped we write. */
#include "alarms/alarm_internal.h"

#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writing ---- */

void alarm_json_append_string_member(struct alarm_text *text, const char *key, const char *value)
{
    alarm_text_appendf(text, ",\"%s\":", key);
    alarm_text_append_json_string(text, value ? value : "");
}

void alarm_json_append_actions_member(struct alarm_text *text, const char *key,
                                      const struct alarm_action_list *actions)
{
    alarm_text_appendf(text, ",\"%s\":[", key);
    for (size_t i = 0; i < actions->count && i < ALARM_MAX_ACTIONS; i++) {
        if (i > 0)
            alarm_text_append(text, ",", 1);
        alarm_text_append_json_string(text, actions->items[i]);
    }
    alarm_text_append(text, "]", 1);
}

static void write_metric_members(struct alarm_text *text, const struct alarm_definition *alarm)
{
    const struct metric_identity *metric = &alarm->metric;
    alarm_json_append_string_member(text, "MetricName",
                                    metric->metric_name ? metric->metric_name : "");
    alarm_json_append_string_member(text, "Namespace",
                                    metric->namespace_name ? metric->namespace_name : "");
    if (alarm->statistic)
        alarm_json_append_string_member(text, "Statistic", alarm->statistic);
    if (alarm->extended_statistic)
        alarm_json_append_string_member(text, "ExtendedStatistic", alarm->extended_statistic);
    alarm_text_append_string(text, ",\"Dimensions\":[");
    for (size_t i = 0; i < metric->dimension_count; i++) {
        alarm_text_append_string(text, i > 0 ? ",{\"Name\":" : "{\"Name\":");
        alarm_text_append_json_string(text, metric->dimensions[i].name);
        alarm_text_append_string(text, ",\"Value\":");
        alarm_text_append_json_string(text, metric->dimensions[i].value);
        alarm_text_append(text, "}", 1);
    }
    alarm_text_append(text, "]", 1);
}

static void write_evaluation_members(struct alarm_text *text, const struct alarm_definition *alarm)
{
    alarm_text_appendf(text, ",\"Period\":%d", alarm->period);
    if (alarm->unit)
        alarm_json_append_string_member(text, "Unit", alarm->unit);
    alarm_text_appendf(text, ",\"EvaluationPeriods\":%d", alarm->evaluation_periods);
    if (alarm->datapoints_to_alarm > 0)
        alarm_text_appendf(text, ",\"DatapointsToAlarm\":%d", alarm->datapoints_to_alarm);
    alarm_text_append_string(text, ",\"Threshold\":");
    alarm_text_append_number(text, alarm->threshold);
    alarm_json_append_string_member(text, "ComparisonOperator",
                                    alarm_comparison_name(alarm->comparison));
    alarm_json_append_string_member(text, "TreatMissingData",
                                    alarm_treat_missing_name(alarm->treat_missing));
    if (alarm->extended_statistic || !alarm->evaluate_low_sample_count_percentile)
        alarm_json_append_string_member(text, "EvaluateLowSampleCountPercentile",
                                        alarm->evaluate_low_sample_count_percentile ? "evaluate"
                                                                                    : "ignore");
}

char *alarm_definition_to_json(const struct alarm_definition *alarm)
{
    struct alarm_text text = {0};
    alarm_text_append_string(&text, "{\"AlarmName\":");
    alarm_text_append_json_string(&text, alarm->alarm_name ? alarm->alarm_name : "");
    if (alarm->alarm_description)
        alarm_json_append_string_member(&text, "AlarmDescription", alarm->alarm_description);
    alarm_text_appendf(&text, ",\"ActionsEnabled\":%s", alarm->actions_enabled ? "true" : "false");
    alarm_json_append_actions_member(&text, "OKActions", &alarm->ok_actions);
    alarm_json_append_actions_member(&text, "AlarmActions", &alarm->alarm_actions);
    alarm_json_append_actions_member(&text, "InsufficientDataActions",
                                     &alarm->insufficient_data_actions);
    write_metric_members(&text, alarm);
    write_evaluation_members(&text, alarm);
    if (alarm->cis_id)
        alarm_json_append_string_member(&text, "TrailhoundCisId", alarm->cis_id);
    if (alarm->origin)
        alarm_json_append_string_member(&text, "TrailhoundOrigin", alarm->origin);
    alarm_text_append(&text, "}", 1);
    return alarm_text_finish(&text);
}

/* ---- reading ---- */

/* Which members were given, for the "required" checks validation cannot make. */
struct seen_members {
    bool period, evaluation_periods, threshold, comparison;
};

struct member_reader {
    const char *key;
    bool (*read)(json_t *value, struct alarm_definition *alarm, struct seen_members *seen,
                 struct alarm_error *error);
};

static bool out_of_memory(struct alarm_error *error)
{
    return alarm_fail(error, "out of memory");
}

static bool read_string(json_t *value, const char *key, char **into, struct alarm_error *error)
{
    if (!json_is_string(value))
        return alarm_fail(error, "%s: must be a string", key);
    free(*into);
    *into = strdup(json_string_value(value));
    return *into || out_of_memory(error);
}

static bool read_int(json_t *value, const char *key, int *into, struct alarm_error *error)
{
    if (!json_is_integer(value))
        return alarm_fail(error, "%s: must be an integer", key);
    json_int_t number = json_integer_value(value);
    if (number < INT_MIN || number > INT_MAX)
        return alarm_fail(error, "%s: out of range (got %" JSON_INTEGER_FORMAT ")", key, number);
    *into = (int)number;
    return true;
}

static bool read_actions(json_t *value, const char *key, struct alarm_action_list *list,
                         struct alarm_error *error)
{
    if (!json_is_array(value))
        return alarm_fail(error, "%s: must be an array of ARNs", key);
    if (json_array_size(value) > ALARM_MAX_ACTIONS)
        return alarm_fail(error, "%s: at most %d actions (got %zu)", key, ALARM_MAX_ACTIONS,
                          json_array_size(value));
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i]);
    *list = (struct alarm_action_list){0};
    size_t index;
    json_t *item;
    json_array_foreach(value, index, item)
    {
        if (!read_string(item, key, &list->items[list->count], error))
            return false;
        list->count++;
    }
    return true;
}

static bool read_alarm_name(json_t *value, struct alarm_definition *alarm,
                            struct seen_members *seen, struct alarm_error *error)
{
    (void)seen;
    return read_string(value, "AlarmName", &alarm->alarm_name, error);
}

static bool read_alarm_description(json_t *value, struct alarm_definition *alarm,
                                   struct seen_members *seen, struct alarm_error *error)
{
    (void)seen;
    return read_string(value, "AlarmDescription", &alarm->alarm_description, error);
}

static bool read_actions_enabled(json_t *value, struct alarm_definition *alarm,
                                 struct seen_members *seen, struct alarm_error *error)
{
    (void)seen;
    if (!json_is_boolean(value))
        return alarm_fail(error, "ActionsEnabled: must be true or false");
    alarm->actions_enabled = json_is_true(value);
    return true;
}

static bool read_ok_actions(json_t *value, struct alarm_definition *alarm,
                            struct seen_members *seen, struct alarm_error *error)
{
    (void)seen;
    return read_actions(value, "OKActions", &alarm->ok_actions, error);
}

static bool read_alarm_actions(json_t *value, struct alarm_definition *alarm,
                               struct seen_members *seen, struct alarm_error *error)
{
    (void)seen;
    return read_actions(value, "AlarmActions", &alarm->alarm_actions, error);
}

static bool read_insufficient_data_actions(json_t *value, struct alarm_definition *alarm,
                                           struct seen_members *seen, struct alarm_error *error)
{
    (void)seen;
    return read_actions(value, "InsufficientDataActions", &alarm->insufficient_data_actions, error);
}

static bool read_metric_name(json_t *value, struct alarm_definition *alarm,
                             struct seen_members *seen, struct alarm_error *error)
{
    (void)seen;
    return read_string(value, "MetricName", &alarm->metric.metric_name, error);
}

static bool read_namespace(json_t *value, struct alarm_definition *alarm, struct seen_members *seen,
                           struct alarm_error *error)
{
    (void)seen;
    return read_string(value, "Namespace", &alarm->metric.namespace_name, error);
}

static bool read_statistic(json_t *value, struct alarm_definition *alarm, struct seen_members *seen,
                           struct alarm_error *error)
{
    (void)seen;
    return read_string(value, "Statistic", &alarm->statistic, error);
}

static bool read_extended_statistic(json_t *value, struct alarm_definition *alarm,
                                    struct seen_members *seen, struct alarm_error *error)
{
    (void)seen;
    return read_string(value, "ExtendedStatistic", &alarm->extended_statistic, error);
}

static bool read_dimension(json_t *value, struct metric_dimension_value *dimension,
                           struct alarm_error *error)
{
    if (!json_is_object(value))
        return alarm_fail(error, "Dimensions: each must be an object {\"Name\", \"Value\"}");
    const char *key;
    json_t *member;
    json_object_foreach(value, key, member)
    {
        bool read = strcmp(key, "Name") == 0
                        ? read_string(member, "Dimensions.Name", &dimension->name, error)
                    : strcmp(key, "Value") == 0
                        ? read_string(member, "Dimensions.Value", &dimension->value, error)
                        : alarm_fail(error, "Dimensions: unknown member \"%s\"", key);
        if (!read)
            return false;
    }
    if (!dimension->name)
        return alarm_fail(error, "Dimensions.Name: required");
    if (!dimension->value)
        return alarm_fail(error, "Dimensions.Value: required");
    return true;
}

static bool read_dimensions(json_t *value, struct alarm_definition *alarm,
                            struct seen_members *seen, struct alarm_error *error)
{
    (void)seen;
    if (!json_is_array(value))
        return alarm_fail(error, "Dimensions: must be an array");
    size_t count = json_array_size(value);
    if (count > ALARM_MAX_DIMENSIONS)
        return alarm_fail(error, "Dimensions: at most %d dimensions (got %zu)",
                          ALARM_MAX_DIMENSIONS, count);
    struct metric_identity *metric = &alarm->metric;
    for (size_t i = 0; i < metric->dimension_count; i++) {
        free(metric->dimensions[i].name);
        free(metric->dimensions[i].value);
    }
    free(metric->dimensions);
    metric->dimension_count = 0;
    metric->dimensions = count ? calloc(count, sizeof *metric->dimensions) : NULL;
    if (count && !metric->dimensions)
        return out_of_memory(error);
    for (; metric->dimension_count < count; metric->dimension_count++)
        if (!read_dimension(json_array_get(value, metric->dimension_count),
                            &metric->dimensions[metric->dimension_count], error)) {
            metric->dimension_count++; /* so its parts are freed */
            return false;
        }
    return true;
}

static bool read_period(json_t *value, struct alarm_definition *alarm, struct seen_members *seen,
                        struct alarm_error *error)
{
    seen->period = true;
    return read_int(value, "Period", &alarm->period, error);
}

static bool read_unit(json_t *value, struct alarm_definition *alarm, struct seen_members *seen,
                      struct alarm_error *error)
{
    (void)seen;
    return read_string(value, "Unit", &alarm->unit, error);
}

static bool read_evaluation_periods(json_t *value, struct alarm_definition *alarm,
                                    struct seen_members *seen, struct alarm_error *error)
{
    seen->evaluation_periods = true;
    return read_int(value, "EvaluationPeriods", &alarm->evaluation_periods, error);
}

static bool read_datapoints_to_alarm(json_t *value, struct alarm_definition *alarm,
                                     struct seen_members *seen, struct alarm_error *error)
{
    (void)seen;
    if (!read_int(value, "DatapointsToAlarm", &alarm->datapoints_to_alarm, error))
        return false;
    /* 0 would read as "not given" */
    return alarm->datapoints_to_alarm >= 1 ||
           alarm_fail(error, "DatapointsToAlarm: must be at least 1 (got %d)",
                      alarm->datapoints_to_alarm);
}

static bool read_threshold(json_t *value, struct alarm_definition *alarm, struct seen_members *seen,
                           struct alarm_error *error)
{
    seen->threshold = true;
    if (!json_is_number(value))
        return alarm_fail(error, "Threshold: must be a number");
    alarm->threshold = json_number_value(value);
    return true;
}

static bool read_comparison(json_t *value, struct alarm_definition *alarm,
                            struct seen_members *seen, struct alarm_error *error)
{
    seen->comparison = true;
    if (!json_is_string(value))
        return alarm_fail(error, "ComparisonOperator: must be a string");
    const char *name = json_string_value(value);
    if (alarm_comparison_parse(name, &alarm->comparison))
        return true;
    if (alarm_comparison_is_anomaly(name))
        return alarm_fail(
            error,
            "ComparisonOperator: %s compares with an anomaly detection band, which is "
            "not supported",
            name);
    return alarm_fail(error,
                      "ComparisonOperator: must be GreaterThanOrEqualToThreshold, "
                      "GreaterThanThreshold, LessThanThreshold or LessThanOrEqualToThreshold "
                      "(got \"%.64s\")",
                      name);
}

static bool read_treat_missing(json_t *value, struct alarm_definition *alarm,
                               struct seen_members *seen, struct alarm_error *error)
{
    (void)seen;
    if (json_is_string(value) &&
        alarm_treat_missing_parse(json_string_value(value), &alarm->treat_missing))
        return true;
    return alarm_fail(error,
                      "TreatMissingData: must be missing, ignore, breaching or notBreaching");
}

static bool read_low_sample(json_t *value, struct alarm_definition *alarm,
                            struct seen_members *seen, struct alarm_error *error)
{
    (void)seen;
    const char *name = json_is_string(value) ? json_string_value(value) : "";
    if (strcmp(name, "evaluate") != 0 && strcmp(name, "ignore") != 0)
        return alarm_fail(error, "EvaluateLowSampleCountPercentile: must be evaluate or ignore");
    alarm->evaluate_low_sample_count_percentile = strcmp(name, "evaluate") == 0;
    return true;
}

static bool read_cis_id(json_t *value, struct alarm_definition *alarm, struct seen_members *seen,
                        struct alarm_error *error)
{
    (void)seen;
    return read_string(value, "TrailhoundCisId", &alarm->cis_id, error);
}

static bool read_origin(json_t *value, struct alarm_definition *alarm, struct seen_members *seen,
                        struct alarm_error *error)
{
    (void)seen;
    return read_string(value, "TrailhoundOrigin", &alarm->origin, error);
}

/* [inf] Tags belong to the resource, not the definition: accepted and not kept. */
static bool read_tags(json_t *value, struct alarm_definition *alarm, struct seen_members *seen,
                      struct alarm_error *error)
{
    (void)alarm;
    (void)seen;
    return json_is_array(value) || alarm_fail(error, "Tags: must be an array");
}

static const struct member_reader member_readers[] = {
    {"AlarmName", read_alarm_name},
    {"AlarmDescription", read_alarm_description},
    {"ActionsEnabled", read_actions_enabled},
    {"OKActions", read_ok_actions},
    {"AlarmActions", read_alarm_actions},
    {"InsufficientDataActions", read_insufficient_data_actions},
    {"MetricName", read_metric_name},
    {"Namespace", read_namespace},
    {"Statistic", read_statistic},
    {"ExtendedStatistic", read_extended_statistic},
    {"Dimensions", read_dimensions},
    {"Period", read_period},
    {"Unit", read_unit},
    {"EvaluationPeriods", read_evaluation_periods},
    {"DatapointsToAlarm", read_datapoints_to_alarm},
    {"Threshold", read_threshold},
    {"ComparisonOperator", read_comparison},
    {"TreatMissingData", read_treat_missing},
    {"EvaluateLowSampleCountPercentile", read_low_sample},
    {"Tags", read_tags},
    {"TrailhoundCisId", read_cis_id},
    {"TrailhoundOrigin", read_origin},
};

/* PutMetricAlarm parameters of alarms we do not evaluate. */
static const char *const unsupported_members[] = {"Metrics", "ThresholdMetricId",
                                                  "EvaluationWindow"};

static bool read_member(const char *key, json_t *value, struct alarm_definition *alarm,
                        struct seen_members *seen, struct alarm_error *error)
{
    for (size_t i = 0; i < sizeof member_readers / sizeof member_readers[0]; i++)
        if (strcmp(key, member_readers[i].key) == 0)
            return member_readers[i].read(value, alarm, seen, error);
    for (size_t i = 0; i < sizeof unsupported_members / sizeof unsupported_members[0]; i++)
        if (strcmp(key, unsupported_members[i]) == 0)
            return alarm_fail(error,
                              "%s: metric math, anomaly band and wall-clock alarms are not "
                              "supported",
                              key);
    return alarm_fail(error, "unknown parameter \"%.64s\"", key);
}

static bool check_required(const struct seen_members *seen, struct alarm_error *error)
{
    if (!seen->period)
        return alarm_fail(error, "Period: required");
    if (!seen->evaluation_periods)
        return alarm_fail(error, "EvaluationPeriods: required");
    if (!seen->threshold)
        return alarm_fail(error, "Threshold: required");
    if (!seen->comparison)
        return alarm_fail(error, "ComparisonOperator: required");
    return true;
}

static bool read_definition(json_t *root, struct alarm_definition *alarm, struct alarm_error *error)
{
    if (!json_is_object(root))
        return alarm_fail(error, "an alarm definition must be a JSON object");
    struct seen_members seen = {0};
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value)
    {
        if (!read_member(key, value, alarm, &seen, error))
            return false;
    }
    if (!check_required(&seen, error))
        return false;
    metric_identity_sort(&alarm->metric);
    return alarm_definition_validate(alarm, error);
}

bool alarm_definition_from_json(const char *text, struct alarm_definition *alarm,
                                struct alarm_error *error)
{
    alarm_definition_init(alarm);
    json_error_t parse_error;
    json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &parse_error);
    if (!root)
        return alarm_fail(error, "alarm definition: %s (line %d, column %d)", parse_error.text,
                          parse_error.line, parse_error.column);
    bool read = read_definition(root, alarm, error);
    json_decref(root);
    if (!read)
        alarm_definition_free(alarm);
    return read;
}
