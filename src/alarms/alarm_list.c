/* Lists of alarm definitions, and the CIS pack's alarms (the remediation's defaults). */
#include "alarms/alarms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void alarm_list_free(struct alarm_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        alarm_definition_free(&list->items[i]);
    free(list->items);
    *list = (struct alarm_list){0};
}

bool alarm_list_append(struct alarm_list *list, const struct alarm_definition *alarm)
{
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 16;
        struct alarm_definition *grown = realloc(list->items, capacity * sizeof *grown);
        if (!grown)
            return false;
        list->items = grown;
        list->capacity = capacity;
    }
    if (!alarm_definition_copy(&list->items[list->count], alarm))
        return false;
    list->count++;
    return true;
}

long alarm_list_find(const struct alarm_list *list, const char *name)
{
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->items[i].alarm_name, name) == 0)
            return (long)i;
    return -1;
}

static enum alarm_comparison comparison_of(const char *name)
{
    enum alarm_comparison comparison = ALARM_GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
    if (name)
        alarm_comparison_parse(name, &comparison);
    return comparison;
}

/* cis-section4.md §2: Sum, 300 s, 1 period, >= 1, no DatapointsToAlarm, no
 * TreatMissingData (missing), no dimensions, no OK actions. */
bool alarms_cis_pack(const struct metric_filter_list *filters, struct alarm_list *list)
{
    for (size_t i = 0; i < filters->count; i++) {
        const struct metric_filter_definition *filter = &filters->items[i];
        if (!filter->alarm.present)
            continue;
        struct alarm_definition alarm;
        alarm_definition_init(&alarm);
        alarm.alarm_name = filter->alarm.alarm_name;
        alarm.metric.namespace_name = filter->transformation.metric_namespace;
        alarm.metric.metric_name = filter->transformation.metric_name;
        alarm.statistic = filter->alarm.statistic;
        alarm.period = filter->alarm.period;
        alarm.evaluation_periods = filter->alarm.evaluation_periods;
        alarm.threshold = filter->alarm.threshold;
        alarm.comparison = comparison_of(filter->alarm.comparison_operator);
        alarm.cis_id = filter->cis_id;
        alarm.origin = "cis";
        /* the definition borrows the filter's strings; the list keeps its own copies */
        if (!alarm_list_append(list, &alarm))
            return false;
    }
    return true;
}

/* The CIS alarm of `filter` on its tuned metric, appended unless `list` has the name. */
static bool append_tuned(const struct metric_filter_definition *filter, struct alarm_list *list)
{
    char name[512], description[640];
    snprintf(name, sizeof name, "%s" ALARM_TUNED_SUFFIX, filter->alarm.alarm_name);
    if (alarm_list_find(list, name) >= 0)
        return true;
    snprintf(description, sizeof description,
             "CIS %s with suppressions applied: counts the matches of %s that no suppression "
             "rule names. The CIS alarm %s is unchanged.",
             filter->cis_id ? filter->cis_id : "-", filter->filter_name, filter->alarm.alarm_name);
    char *metric = metric_tuned_name(filter->transformation.metric_name);
    if (!metric)
        return false;
    struct alarm_definition alarm;
    alarm_definition_init(&alarm);
    alarm.alarm_name = name;
    alarm.alarm_description = description;
    alarm.metric.namespace_name = filter->transformation.metric_namespace;
    alarm.metric.metric_name = metric;
    alarm.statistic = filter->alarm.statistic;
    alarm.period = filter->alarm.period;
    alarm.evaluation_periods = filter->alarm.evaluation_periods;
    alarm.threshold = filter->alarm.threshold;
    alarm.comparison = comparison_of(filter->alarm.comparison_operator);
    alarm.origin = "cis-tuned";
    /* borrowed strings; the list keeps its own copies */
    bool appended = alarm_list_append(list, &alarm);
    free(metric);
    return appended;
}

bool alarms_cis_tuned_pack(const struct metric_filter_list *filters,
                           const struct suppression_rule_list *rules, struct alarm_list *list)
{
    for (size_t i = 0; i < filters->count; i++) {
        const struct metric_filter_definition *filter = &filters->items[i];
        if (filter->alarm.present && suppression_rules_apply(rules, filter->filter_name) &&
            !append_tuned(filter, list))
            return false;
    }
    return true;
}
