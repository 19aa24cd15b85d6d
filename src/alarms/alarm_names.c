/* The enum names of PutMetricAlarm and DescribeAlarms, spelled as AWS spells them. */
#include "alarms/alarms.h"

#include <string.h>

static const char *const state_names[] = {
    [ALARM_STATE_OK] = "OK",
    [ALARM_STATE_ALARM] = "ALARM",
    [ALARM_STATE_INSUFFICIENT_DATA] = "INSUFFICIENT_DATA",
};

static const char *const comparison_names[] = {
    [ALARM_GREATER_THAN_OR_EQUAL_TO_THRESHOLD] = "GreaterThanOrEqualToThreshold",
    [ALARM_GREATER_THAN_THRESHOLD] = "GreaterThanThreshold",
    [ALARM_LESS_THAN_THRESHOLD] = "LessThanThreshold",
    [ALARM_LESS_THAN_OR_EQUAL_TO_THRESHOLD] = "LessThanOrEqualToThreshold",
};

/* Anomaly-band operators: valid in AWS, but only with a band model we do not have. */
static const char *const anomaly_comparison_names[] = {
    "LessThanLowerOrGreaterThanUpperThreshold",
    "LessThanLowerThreshold",
    "GreaterThanUpperThreshold",
};

static const char *const treat_missing_names[] = {
    [ALARM_TREAT_MISSING_MISSING] = "missing",
    [ALARM_TREAT_MISSING_IGNORE] = "ignore",
    [ALARM_TREAT_MISSING_BREACHING] = "breaching",
    [ALARM_TREAT_MISSING_NOT_BREACHING] = "notBreaching",
};

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

/* The index of `name` in `names`, or -1. */
static int name_index(const char *const *names, size_t count, const char *name)
{
    if (!name)
        return -1;
    for (size_t i = 0; i < count; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

const char *alarm_state_name(enum alarm_state state)
{
    return (size_t)state < COUNT(state_names) ? state_names[state] : "INSUFFICIENT_DATA";
}

bool alarm_state_parse(const char *name, enum alarm_state *state)
{
    int index = name_index(state_names, COUNT(state_names), name);
    if (index < 0)
        return false;
    *state = (enum alarm_state)index;
    return true;
}

const char *alarm_comparison_name(enum alarm_comparison comparison)
{
    return (size_t)comparison < COUNT(comparison_names) ? comparison_names[comparison] : "";
}

bool alarm_comparison_parse(const char *name, enum alarm_comparison *comparison)
{
    int index = name_index(comparison_names, COUNT(comparison_names), name);
    if (index < 0)
        return false;
    *comparison = (enum alarm_comparison)index;
    return true;
}

bool alarm_comparison_is_anomaly(const char *name)
{
    return name_index(anomaly_comparison_names, COUNT(anomaly_comparison_names), name) >= 0;
}

const char *alarm_treat_missing_name(enum alarm_treat_missing treat_missing)
{
    return (size_t)treat_missing < COUNT(treat_missing_names) ? treat_missing_names[treat_missing]
                                                              : "missing";
}

bool alarm_treat_missing_parse(const char *name, enum alarm_treat_missing *treat_missing)
{
    int index = name_index(treat_missing_names, COUNT(treat_missing_names), name);
    if (index < 0)
        return false;
    *treat_missing = (enum alarm_treat_missing)index;
    return true;
}
