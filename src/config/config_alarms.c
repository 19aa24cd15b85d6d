/* The configuration file's `alarms`: metric alarms in PutMetricAlarm's fields, spelled as
 * AWS spells them. The YAML is read here; the rules of PutMetricAlarm are the alarms
 * stage's (alarm_definition_validate), and their message is placed on the offending line. */
#include "config/config_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const alarm_fields[] = {
    "AlarmName",
    "AlarmDescription",
    "ActionsEnabled",
    "OKActions",
    "AlarmActions",
    "InsufficientDataActions",
    "MetricName",
    "Namespace",
    "Statistic",
    "ExtendedStatistic",
    "Dimensions",
    "Period",
    "Unit",
    "EvaluationPeriods",
    "DatapointsToAlarm",
    "Threshold",
    "ComparisonOperator",
    "TreatMissingData",
    "EvaluateLowSampleCountPercentile",
    "Metrics",
    "ThresholdMetricId",
};

/* A required text field: present and not null (`Key: ~` or `Key:` alone is null, which
 * config_optional_text reads as absent). */
static bool load_required_text(struct config_loader *loader, const struct config_node *alarm,
                               const char *path, const char *key, char **out)
{
    const struct config_node *node = config_required(loader, alarm, path, key);
    if (!node || !config_optional_text(loader, alarm, path, key, out))
        return false;
    if (*out)
        return true;
    char field[FIELD_PATH_SIZE];
    config_field_path(field, path, key);
    return config_fail(loader, node->line, field, "required, found null");
}

static bool load_actions(struct config_loader *loader, const struct config_node *alarm,
                         const char *path, const char *key, struct alarm_action_list *out)
{
    const struct config_node *list = config_mapping_get_optional(alarm, key);
    if (!list)
        return true;
    char field[FIELD_PATH_SIZE];
    config_field_path(field, path, key);
    if (list->kind != NODE_SEQUENCE)
        return config_fail(loader, list->line, field, "expected a list of ARNs, found %s",
                           config_node_kind_name(list));
    if (list->count > ALARM_MAX_ACTIONS)
        return config_fail(loader, list->line, field, "at most %d actions, found %zu",
                           ALARM_MAX_ACTIONS, list->count);
    for (size_t i = 0; i < list->count; i++) {
        char item[FIELD_PATH_SIZE];
        config_item_path(item, field, i);
        if (!config_expect_name(loader, &list->children[i], item, 1024, ""))
            return false;
        out->items[i] = list->children[i].text;
    }
    out->count = list->count;
    return true;
}

static bool load_dimension(struct config_loader *loader, const struct config_node *entry,
                           const char *path, struct metric_dimension_value *out)
{
    static const char *const known[] = {"Name", "Value"};
    if (entry->kind != NODE_MAPPING)
        return config_fail(loader, entry->line, path, "expected a mapping with Name and Value");
    if (!config_mapping_check_keys(loader, entry, path, known, 2))
        return false;
    const struct config_node *name = config_required(loader, entry, path, "Name");
    const struct config_node *value = config_required(loader, entry, path, "Value");
    char field[FIELD_PATH_SIZE];
    if (!name || !value ||
        !config_expect_name(loader, name, config_field_path(field, path, "Name"), 255, "") ||
        !config_expect_name(loader, value, config_field_path(field, path, "Value"), 1024, ""))
        return false;
    out->name = name->text;
    out->value = value->text;
    return true;
}

/* Dimensions borrow the tree's text; `storage` holds the array (freed by the caller). */
static bool load_dimensions(struct config_loader *loader, const struct config_node *alarm,
                            const char *path, struct metric_identity *metric,
                            struct metric_dimension_value **storage)
{
    const struct config_node *list = config_mapping_get_optional(alarm, "Dimensions");
    if (!list)
        return true;
    char field[FIELD_PATH_SIZE];
    config_field_path(field, path, "Dimensions");
    if (list->kind != NODE_SEQUENCE)
        return config_fail(loader, list->line, field, "expected a list of {Name, Value}, found %s",
                           config_node_kind_name(list));
    if (list->count > ALARM_MAX_DIMENSIONS)
        return config_fail(loader, list->line, field, "at most %d dimensions, found %zu",
                           ALARM_MAX_DIMENSIONS, list->count);
    *storage = calloc(list->count ? list->count : 1, sizeof **storage);
    if (!*storage)
        return config_fail(loader, list->line, field, "out of memory");
    for (size_t i = 0; i < list->count; i++) {
        char item[FIELD_PATH_SIZE];
        config_item_path(item, field, i);
        if (!load_dimension(loader, &list->children[i], item, &(*storage)[i]))
            return false;
        for (size_t j = 0; j < i; j++)
            if (strcmp((*storage)[j].name, (*storage)[i].name) == 0)
                return config_fail(loader, list->children[i].line, item,
                                   "dimension '%s' is given twice", (*storage)[i].name);
    }
    metric->dimensions = *storage;
    metric->dimension_count = list->count;
    return true;
}

static bool load_comparison(struct config_loader *loader, const struct config_node *alarm,
                            const char *path, struct alarm_definition *out)
{
    char *name;
    if (!load_required_text(loader, alarm, path, "ComparisonOperator", &name))
        return false;
    if (alarm_comparison_parse(name, &out->comparison))
        return true;
    const struct config_node *node = config_mapping_get(alarm, "ComparisonOperator");
    char field[FIELD_PATH_SIZE], text[64];
    config_field_path(field, path, "ComparisonOperator");
    if (strstr(name, "LowerThreshold") || strstr(name, "UpperThreshold"))
        return config_fail(loader, node->line, field,
                           "'%s' needs an anomaly-detection band, which trailhound does not "
                           "support; use a static threshold",
                           config_quoted(text, name, strlen(name)));
    return config_fail(loader, node->line, field,
                       "'%s' is not one of GreaterThanOrEqualToThreshold, "
                       "GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold",
                       config_quoted(text, name, strlen(name)));
}

static bool load_missing_data(struct config_loader *loader, const struct config_node *alarm,
                              const char *path, struct alarm_definition *out)
{
    char *treat, *low_sample;
    if (!config_optional_text(loader, alarm, path, "TreatMissingData", &treat) ||
        !config_optional_text(loader, alarm, path, "EvaluateLowSampleCountPercentile", &low_sample))
        return false;
    char field[FIELD_PATH_SIZE], text[64];
    if (treat && !alarm_treat_missing_parse(treat, &out->treat_missing))
        return config_fail(loader, config_mapping_get(alarm, "TreatMissingData")->line,
                           config_field_path(field, path, "TreatMissingData"),
                           "'%s' is not one of missing, ignore, breaching, notBreaching",
                           config_quoted(text, treat, strlen(treat)));
    if (low_sample && strcmp(low_sample, "evaluate") != 0 && strcmp(low_sample, "ignore") != 0)
        return config_fail(loader,
                           config_mapping_get(alarm, "EvaluateLowSampleCountPercentile")->line,
                           config_field_path(field, path, "EvaluateLowSampleCountPercentile"),
                           "'%s' is not one of evaluate, ignore",
                           config_quoted(text, low_sample, strlen(low_sample)));
    if (low_sample)
        out->evaluate_low_sample_count_percentile = strcmp(low_sample, "evaluate") == 0;
    return true;
}

static bool load_threshold(struct config_loader *loader, const struct config_node *alarm,
                           const char *path, double *threshold)
{
    const struct config_node *node = config_required(loader, alarm, path, "Threshold");
    char field[FIELD_PATH_SIZE];
    return node && config_expect_number(loader, node, config_field_path(field, path, "Threshold"),
                                        threshold);
}

static bool refuse_metric_math(struct config_loader *loader, const struct config_node *alarm,
                               const char *path)
{
    static const char *const keys[] = {"Metrics", "ThresholdMetricId"};
    for (size_t i = 0; i < 2; i++) {
        const struct config_node *node = config_mapping_get(alarm, keys[i]);
        char field[FIELD_PATH_SIZE];
        if (node)
            return config_fail(loader, node->line, config_field_path(field, path, keys[i]),
                               "metric-math and anomaly-band alarms are not supported; give "
                               "MetricName, Namespace and Statistic");
    }
    return true;
}

static bool load_alarm_fields(struct config_loader *loader, const struct config_node *alarm,
                              const char *path, struct alarm_definition *out,
                              struct metric_dimension_value **dimensions)
{
    if (alarm->kind != NODE_MAPPING)
        return config_fail(loader, alarm->line, path,
                           "expected a mapping with AlarmName, MetricName, Namespace, …, found %s",
                           config_node_kind_name(alarm));
    return config_mapping_check_keys(loader, alarm, path, alarm_fields,
                                     sizeof alarm_fields / sizeof alarm_fields[0]) &&
           refuse_metric_math(loader, alarm, path) &&
           load_required_text(loader, alarm, path, "AlarmName", &out->alarm_name) &&
           config_optional_text(loader, alarm, path, "AlarmDescription", &out->alarm_description) &&
           config_optional_flag(loader, alarm, path, "ActionsEnabled", &out->actions_enabled) &&
           load_actions(loader, alarm, path, "OKActions", &out->ok_actions) &&
           load_actions(loader, alarm, path, "AlarmActions", &out->alarm_actions) &&
           load_actions(loader, alarm, path, "InsufficientDataActions",
                        &out->insufficient_data_actions) &&
           load_required_text(loader, alarm, path, "MetricName", &out->metric.metric_name) &&
           load_required_text(loader, alarm, path, "Namespace", &out->metric.namespace_name) &&
           load_dimensions(loader, alarm, path, &out->metric, dimensions) &&
           config_optional_text(loader, alarm, path, "Statistic", &out->statistic) &&
           config_optional_text(loader, alarm, path, "ExtendedStatistic",
                                &out->extended_statistic) &&
           config_optional_text(loader, alarm, path, "Unit", &out->unit) &&
           config_required(loader, alarm, path, "Period") &&
           config_optional_whole_number(loader, alarm, path, "Period", 1,
                                        CONFIG_WHOLE_NUMBER_UNBOUNDED, &out->period) &&
           config_required(loader, alarm, path, "EvaluationPeriods") &&
           config_optional_whole_number(loader, alarm, path, "EvaluationPeriods", 1,
                                        CONFIG_WHOLE_NUMBER_UNBOUNDED, &out->evaluation_periods) &&
           config_optional_whole_number(loader, alarm, path, "DatapointsToAlarm", 1,
                                        CONFIG_WHOLE_NUMBER_UNBOUNDED, &out->datapoints_to_alarm) &&
           load_threshold(loader, alarm, path, &out->threshold) &&
           load_comparison(loader, alarm, path, out) && load_missing_data(loader, alarm, path, out);
}

/* alarm_definition_validate names the field first ("Period: …"): put the message on that
 * field's line when the alarm has it. */
static bool check_rules(struct config_loader *loader, const struct config_node *alarm,
                        const char *path, const struct alarm_definition *definition)
{
    struct alarm_error error;
    if (alarm_definition_validate(definition, &error))
        return true;
    size_t line = alarm->line;
    char key[64];
    size_t key_length = strcspn(error.message, ": ");
    if (key_length < sizeof key && error.message[key_length] == ':') {
        memcpy(key, error.message, key_length);
        key[key_length] = '\0';
        const struct config_node *node = config_mapping_get(alarm, key);
        if (node)
            line = node->line;
    }
    return config_fail(loader, line, path, "%s", error.message);
}

static bool set_origin(struct config_loader *loader, const struct config_node *alarm,
                       struct alarm_definition *definition)
{
    size_t size = strlen(loader->name) + 24;
    definition->origin = malloc(size);
    if (!definition->origin)
        return config_fail(loader, alarm->line, "alarms", "out of memory");
    snprintf(definition->origin, size, "%s:%zu", loader->name, alarm->line);
    return true;
}

static bool load_alarm(struct config_loader *loader, const struct config_node *alarm, size_t index,
                       struct alarm_list *loaded)
{
    char path[64];
    snprintf(path, sizeof path, "alarms[%zu]", index);
    struct alarm_definition definition;
    alarm_definition_init(&definition);
    struct metric_dimension_value *dimensions = NULL;
    bool ok = load_alarm_fields(loader, alarm, path, &definition, &dimensions);
    if (ok && alarm_list_find(loaded, definition.alarm_name) >= 0) {
        char text[64], field[FIELD_PATH_SIZE];
        const struct config_node *name = config_mapping_get(alarm, "AlarmName");
        ok = config_fail(loader, name->line, config_field_path(field, path, "AlarmName"),
                         "duplicate AlarmName '%s'", config_quoted(text, name->text, name->length));
    }
    /* the definition borrows the tree's strings; the list keeps sorted deep copies */
    ok = ok && set_origin(loader, alarm, &definition);
    if (ok) {
        struct alarm_definition copy;
        ok = alarm_definition_copy(&copy, &definition);
        if (ok) {
            metric_identity_sort(&copy.metric);
            ok = check_rules(loader, alarm, path, &copy) &&
                 (alarm_list_append(loaded, &copy) ||
                  config_fail(loader, alarm->line, path, "out of memory"));
            alarm_definition_free(&copy);
        } else {
            config_fail(loader, alarm->line, path, "out of memory");
        }
    }
    free(definition.origin);
    free(dimensions);
    return ok;
}

bool config_load_alarms(struct config_loader *loader, const struct config_node *list,
                        struct alarm_list *loaded)
{
    if (list->kind != NODE_SEQUENCE)
        return config_fail(loader, list->line, "alarms", "expected a list, found %s",
                           config_node_kind_name(list));
    for (size_t i = 0; i < list->count; i++)
        if (!load_alarm(loader, &list->children[i], i, loaded))
            return false;
    return true;
}
