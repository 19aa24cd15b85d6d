/* PutMetricAlarm's rules for a single-metric static-threshold alarm (alarms.md §3). Each
 * message starts with the field as AWS spells it. Lengths count characters (Unicode code
 * points, as AWS's API model counts them), and every text must be valid UTF-8. */
#include "alarms/alarm_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_NAME_CHARACTERS 255
#define MAX_DESCRIPTION_CHARACTERS 1024
#define MAX_ACTION_CHARACTERS 1024
#define MAX_DIMENSION_VALUE_CHARACTERS 1024
#define MAX_PERIOD_TIMES_PERIODS 604800      /* 7 days */
#define MAX_SHORT_PERIOD_TIMES_PERIODS 86400 /* 1 day, when Period < 3600 */

bool alarm_fail(struct alarm_error *error, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(error->message, sizeof error->message, format, arguments);
    va_end(arguments);
    return false;
}

/* The number of code points of a UTF-8 text, or -1 when it is not well-formed. */
static long utf8_characters(const char *text)
{
    const unsigned char *at = (const unsigned char *)text;
    long characters = 0;
    while (*at) {
        if (*at < 0x80) {
            at++;
        } else {
            struct utf8_lead lead = utf8_lead_for(*at);
            if (lead.length == 0 || at[1] < lead.second_low || at[1] > lead.second_high)
                return -1;
            for (unsigned i = 2; i < lead.length; i++)
                if (at[i] < 0x80 || at[i] > 0xbf)
                    return -1;
            at += lead.length;
        }
        characters++;
    }
    return characters;
}

/* A required text of `minimum`..`maximum` characters. */
static bool check_text(const char *field, const char *text, long minimum, long maximum,
                       struct alarm_error *error)
{
    if (!text)
        return minimum == 0 || alarm_fail(error, "%s: required", field);
    long characters = utf8_characters(text);
    if (characters < 0)
        return alarm_fail(error, "%s: not valid UTF-8", field);
    if (characters < minimum || characters > maximum)
        return alarm_fail(error, "%s: must be %ld to %ld characters (got %ld)", field, minimum,
                          maximum, characters);
    return true;
}

static bool check_alarm_name(const char *name, struct alarm_error *error)
{
    if (!check_text("AlarmName", name, 1, MAX_NAME_CHARACTERS, error))
        return false;
    for (const unsigned char *at = (const unsigned char *)name; *at; at++)
        if (*at < 0x20 || *at == 0x7f)
            return alarm_fail(error,
                              "AlarmName: must not contain control characters (found 0x%02X)", *at);
    return true;
}

static bool check_actions(const char *field, const struct alarm_action_list *actions,
                          struct alarm_error *error)
{
    if (actions->count > ALARM_MAX_ACTIONS)
        return alarm_fail(error, "%s: at most %d actions (got %zu)", field, ALARM_MAX_ACTIONS,
                          actions->count);
    for (size_t i = 0; i < actions->count; i++)
        if (!check_text(field, actions->items[i], 1, MAX_ACTION_CHARACTERS, error))
            return false;
    return true;
}

static bool check_namespace(const char *name, struct alarm_error *error)
{
    if (!check_text("Namespace", name, 1, MAX_NAME_CHARACTERS, error))
        return false;
    bool blank = true;
    for (const unsigned char *at = (const unsigned char *)name; *at; at++) {
        if (*at < 0x20 || *at > 0x7e)
            return alarm_fail(error, "Namespace: must be printable ASCII (found 0x%02X)", *at);
        blank = blank && *at == ' ';
    }
    if (blank)
        return alarm_fail(error, "Namespace: must contain a character other than a space");
    if (name[0] == ':') /* the API model's pattern is [^:].* */
        return alarm_fail(error, "Namespace: must not start with ':'");
    return true;
}

static bool check_dimensions(const struct metric_identity *metric, struct alarm_error *error)
{
    if (metric->dimension_count > ALARM_MAX_DIMENSIONS)
        return alarm_fail(error, "Dimensions: at most %d dimensions (got %zu)",
                          ALARM_MAX_DIMENSIONS, metric->dimension_count);
    for (size_t i = 0; i < metric->dimension_count; i++) {
        const struct metric_dimension_value *dimension = &metric->dimensions[i];
        if (!check_text("Dimensions.Name", dimension->name, 1, MAX_NAME_CHARACTERS, error) ||
            !check_text("Dimensions.Value", dimension->value, 1, MAX_DIMENSION_VALUE_CHARACTERS,
                        error))
            return false;
        for (size_t j = 0; j < i; j++)
            if (strcmp(metric->dimensions[j].name, dimension->name) == 0)
                return alarm_fail(error, "Dimensions: the name \"%s\" is given twice",
                                  dimension->name);
    }
    return true;
}

/* [inf] §1.4: PutMetricAlarm documents the parenthesised TC/TM/TS/WM forms only as
 * (X%:X%) with X between 10 and 90 inclusive; we hold them to exactly that. */
static bool check_alarm_bounds(const struct metric_statistic *statistic, struct alarm_error *error)
{
    bool bounded = statistic->kind == METRIC_STATISTIC_TRIMMED_MEAN ||
                   statistic->kind == METRIC_STATISTIC_WINSORIZED_MEAN ||
                   statistic->kind == METRIC_STATISTIC_TRIMMED_COUNT ||
                   statistic->kind == METRIC_STATISTIC_TRIMMED_SUM;
    if (!bounded || !strchr(statistic->name, '('))
        return true;
    if (!statistic->bounds_are_percent || !statistic->has_lower || !statistic->has_upper ||
        statistic->lower < 10 || statistic->lower > 90 || statistic->upper < 10 ||
        statistic->upper > 90)
        return alarm_fail(
            error,
            "ExtendedStatistic: alarms take %.2s(X%%:X%%) with both bounds between 10 "
            "and 90 (got \"%s\")",
            statistic->name, statistic->name);
    return true;
}

static bool check_statistic(const struct alarm_definition *alarm, struct alarm_error *error)
{
    if (alarm->statistic && alarm->extended_statistic)
        return alarm_fail(error, "Statistic, ExtendedStatistic: give one of them, not both");
    if (!alarm->statistic && !alarm->extended_statistic)
        return alarm_fail(error, "Statistic: required (or ExtendedStatistic)");
    bool extended = alarm->extended_statistic != NULL;
    struct metric_statistic statistic;
    struct metrics_error parse_error = {{0}};
    if (!metric_statistic_parse(extended ? alarm->extended_statistic : alarm->statistic, extended,
                                &statistic, &parse_error))
        return alarm_fail(error, "%s: %s", extended ? "ExtendedStatistic" : "Statistic",
                          parse_error.message);
    return check_alarm_bounds(&statistic, error);
}

static bool check_unit(const char *unit, struct alarm_error *error)
{
    if (!unit || metric_unit_is_valid(unit))
        return true;
    return alarm_fail(
        error,
        "Unit: \"%.64s\" is not a CloudWatch unit (Seconds, Microseconds, Milliseconds, "
        "Bytes, Kilobytes, ..., Percent, Count, Bytes/Second, ..., Count/Second, None)",
        unit);
}

static bool check_periods(const struct alarm_definition *alarm, struct alarm_error *error)
{
    int period = alarm->period;
    if (period <= 0 || (period != 10 && period != 20 && period != 30 && period % 60 != 0))
        return alarm_fail(error, "Period: must be 10, 20, 30 or a multiple of 60 (got %d)", period);
    int periods = alarm->evaluation_periods;
    if (periods < 1)
        return alarm_fail(error, "EvaluationPeriods: must be at least 1 (got %d)", periods);
    if (alarm->datapoints_to_alarm < 0)
        return alarm_fail(error, "DatapointsToAlarm: must be at least 1 (got %d)",
                          alarm->datapoints_to_alarm);
    if (alarm->datapoints_to_alarm > periods)
        return alarm_fail(error,
                          "DatapointsToAlarm: must not exceed EvaluationPeriods (got %d > %d)",
                          alarm->datapoints_to_alarm, periods);
    int64_t span = (int64_t)period * periods;
    if (span > MAX_PERIOD_TIMES_PERIODS)
        return alarm_fail(error,
                          "EvaluationPeriods: Period x EvaluationPeriods must be at most 604800 "
                          "seconds (got %lld)",
                          (long long)span);
    if (period < 3600 && span > MAX_SHORT_PERIOD_TIMES_PERIODS)
        return alarm_fail(error,
                          "EvaluationPeriods: Period x EvaluationPeriods must be at most 86400 "
                          "seconds when Period is under 3600 (got %lld)",
                          (long long)span);
    return true;
}

static bool check_decision(const struct alarm_definition *alarm, struct alarm_error *error)
{
    if (!isfinite(alarm->threshold))
        return alarm_fail(error, "Threshold: must be a finite number");
    if ((unsigned)alarm->comparison > ALARM_LESS_THAN_OR_EQUAL_TO_THRESHOLD)
        return alarm_fail(error, "ComparisonOperator: not a known operator");
    if ((unsigned)alarm->treat_missing > ALARM_TREAT_MISSING_NOT_BREACHING)
        return alarm_fail(error, "TreatMissingData: not a known value");
    return true;
}

bool alarm_definition_validate(const struct alarm_definition *alarm, struct alarm_error *error)
{
    return check_alarm_name(alarm->alarm_name, error) &&
           check_text("AlarmDescription", alarm->alarm_description, 0, MAX_DESCRIPTION_CHARACTERS,
                      error) &&
           check_actions("OKActions", &alarm->ok_actions, error) &&
           check_actions("AlarmActions", &alarm->alarm_actions, error) &&
           check_actions("InsufficientDataActions", &alarm->insufficient_data_actions, error) &&
           check_text("MetricName", alarm->metric.metric_name, 1, MAX_NAME_CHARACTERS, error) &&
           check_namespace(alarm->metric.namespace_name, error) &&
           check_dimensions(&alarm->metric, error) && check_statistic(alarm, error) &&
           check_unit(alarm->unit, error) && check_periods(alarm, error) &&
           check_decision(alarm, error);
}
