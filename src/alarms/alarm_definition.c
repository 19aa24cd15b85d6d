/* Ownership of alarm definitions: every string a definition points at is its own. */
#include "alarms/alarm_internal.h"

#include <stdlib.h>

void alarm_definition_init(struct alarm_definition *alarm)
{
    /* PutMetricAlarm's defaults (alarms.md §3); treat_missing's zero is "missing" */
    *alarm = (struct alarm_definition){
        .actions_enabled = true,
        .treat_missing = ALARM_TREAT_MISSING_MISSING,
        .evaluate_low_sample_count_percentile = true,
    };
}

static void action_list_free(struct alarm_action_list *list)
{
    for (size_t i = 0; i < list->count && i < ALARM_MAX_ACTIONS; i++)
        free(list->items[i]);
    *list = (struct alarm_action_list){0};
}

void alarm_definition_free(struct alarm_definition *alarm)
{
    if (!alarm)
        return;
    free(alarm->alarm_name);
    free(alarm->alarm_description);
    action_list_free(&alarm->ok_actions);
    action_list_free(&alarm->alarm_actions);
    action_list_free(&alarm->insufficient_data_actions);
    metric_identity_free(&alarm->metric);
    free(alarm->statistic);
    free(alarm->extended_statistic);
    free(alarm->unit);
    free(alarm->cis_id);
    free(alarm->origin);
    alarm_definition_init(alarm);
}

static bool action_list_copy(struct alarm_action_list *into, const struct alarm_action_list *from)
{
    *into = (struct alarm_action_list){0};
    size_t count = from->count < ALARM_MAX_ACTIONS ? from->count : ALARM_MAX_ACTIONS;
    for (; into->count < count; into->count++)
        if (!alarm_string_copy(&into->items[into->count], from->items[into->count]))
            return false;
    return true;
}

bool alarm_definition_copy(struct alarm_definition *into, const struct alarm_definition *from)
{
    *into = *from;
    /* nothing of `from` may be freed twice: clear every pointer before copying it */
    into->alarm_name = into->alarm_description = into->statistic = into->extended_statistic =
        into->unit = into->cis_id = into->origin = NULL;
    into->ok_actions = into->alarm_actions = into->insufficient_data_actions =
        (struct alarm_action_list){0};
    into->metric = (struct metric_identity){0};
    bool copied =
        alarm_string_copy(&into->alarm_name, from->alarm_name) &&
        alarm_string_copy(&into->alarm_description, from->alarm_description) &&
        action_list_copy(&into->ok_actions, &from->ok_actions) &&
        action_list_copy(&into->alarm_actions, &from->alarm_actions) &&
        action_list_copy(&into->insufficient_data_actions, &from->insufficient_data_actions) &&
        metric_identity_copy(&into->metric, &from->metric) &&
        alarm_string_copy(&into->statistic, from->statistic) &&
        alarm_string_copy(&into->extended_statistic, from->extended_statistic) &&
        alarm_string_copy(&into->unit, from->unit) &&
        alarm_string_copy(&into->cis_id, from->cis_id) &&
        alarm_string_copy(&into->origin, from->origin);
    if (!copied)
        alarm_definition_free(into);
    return copied;
}

void alarm_status_free(struct alarm_status *status)
{
    if (!status)
        return;
    free(status->reason);
    free(status->reason_data);
    *status = (struct alarm_status){0};
}

void alarm_evaluation_free(struct alarm_evaluation *evaluation)
{
    if (!evaluation)
        return;
    free(evaluation->reason);
    free(evaluation->reason_data);
    *evaluation = (struct alarm_evaluation){0};
}
