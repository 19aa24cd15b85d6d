/* Ownership of metric filter definitions: every string a definition points at is its own,
 * so lists can be filled from parsed files or built-in tables alike. */
#include "metrics/metrics.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void metric_filter_definition_free(struct metric_filter_definition *definition)
{
    if (!definition)
        return;
    struct metric_transformation *transformation = &definition->transformation;
    free(definition->filter_name);
    free(definition->filter_pattern);
    free(definition->log_group_name);
    free(transformation->metric_name);
    free(transformation->metric_namespace);
    free(transformation->metric_value);
    for (size_t i = 0; i < transformation->dimension_count && i < METRIC_FILTER_MAX_DIMENSIONS;
         i++) {
        free(transformation->dimensions[i].name);
        free(transformation->dimensions[i].reference);
    }
    free(transformation->unit);
    free(definition->cis_id);
    free(definition->alarm.alarm_name);
    free(definition->alarm.statistic);
    free(definition->alarm.comparison_operator);
    free(definition->origin);
    *definition = (struct metric_filter_definition){0};
}

void metric_filter_list_free(struct metric_filter_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        metric_filter_definition_free(&list->items[i]);
    free(list->items);
    *list = (struct metric_filter_list){0};
}

/* Copies `source` into `*target`; NULL stays NULL. False when memory runs out. */
static bool string_copy(char **target, const char *source)
{
    *target = NULL;
    if (!source)
        return true;
    *target = strdup(source);
    return *target != NULL;
}

static bool transformation_copy(struct metric_transformation *target,
                                const struct metric_transformation *source)
{
    *target = *source;
    target->metric_name = target->metric_namespace = target->metric_value = target->unit = NULL;
    target->dimension_count = 0;
    bool copied = string_copy(&target->metric_name, source->metric_name) &&
                  string_copy(&target->metric_namespace, source->metric_namespace) &&
                  string_copy(&target->metric_value, source->metric_value) &&
                  string_copy(&target->unit, source->unit);
    for (size_t i = 0; copied && i < source->dimension_count; i++) {
        struct metric_dimension *dimension = &target->dimensions[i];
        /* counted first so a half-copied dimension is still freed */
        target->dimension_count = i + 1;
        copied = string_copy(&dimension->name, source->dimensions[i].name) &&
                 string_copy(&dimension->reference, source->dimensions[i].reference);
    }
    return copied;
}

static bool alarm_defaults_copy(struct metric_alarm_defaults *target,
                                const struct metric_alarm_defaults *source)
{
    *target = *source;
    target->alarm_name = target->statistic = target->comparison_operator = NULL;
    return string_copy(&target->alarm_name, source->alarm_name) &&
           string_copy(&target->statistic, source->statistic) &&
           string_copy(&target->comparison_operator, source->comparison_operator);
}

/* Deep copy; on failure `target` holds only what was copied, ready to be freed. */
static bool definition_copy(struct metric_filter_definition *target,
                            const struct metric_filter_definition *source)
{
    *target = (struct metric_filter_definition){0};
    return string_copy(&target->filter_name, source->filter_name) &&
           string_copy(&target->filter_pattern, source->filter_pattern) &&
           string_copy(&target->log_group_name, source->log_group_name) &&
           transformation_copy(&target->transformation, &source->transformation) &&
           string_copy(&target->cis_id, source->cis_id) &&
           alarm_defaults_copy(&target->alarm, &source->alarm) &&
           string_copy(&target->origin, source->origin);
}

static bool list_reserve_one(struct metric_filter_list *list)
{
    if (list->count < list->capacity)
        return true;
    size_t capacity = list->capacity ? list->capacity * 2 : 16;
    if (capacity > SIZE_MAX / sizeof *list->items)
        return false;
    struct metric_filter_definition *items = realloc(list->items, capacity * sizeof *items);
    if (!items)
        return false;
    list->items = items;
    list->capacity = capacity;
    return true;
}

bool metric_filter_list_append(struct metric_filter_list *list,
                               const struct metric_filter_definition *definition)
{
    /* more dimensions than the array holds is a caller's bug; refuse rather than overrun */
    if (definition->transformation.dimension_count > METRIC_FILTER_MAX_DIMENSIONS)
        return false;
    if (!list_reserve_one(list))
        return false;
    struct metric_filter_definition *copy = &list->items[list->count];
    if (!definition_copy(copy, definition)) {
        metric_filter_definition_free(copy);
        return false;
    }
    list->count++;
    return true;
}
