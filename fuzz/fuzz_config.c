/* libFuzzer target: load the input as a trailhound YAML configuration. A failure must say
 * why, a success must hand back complete definitions, and a failed load must leave the
 * list it was given untouched. Loaded as a whole configuration too: suppression rules that
 * load and pass config_finish must compile against the filters. */
#include "config/config.h"
#include "metrics/metrics.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_loaded(const struct metric_filter_list *list, size_t first)
{
    for (size_t i = first; i < list->count; i++) {
        const struct metric_filter_definition *filter = &list->items[i];
        const struct metric_transformation *metric = &filter->transformation;
        if (!filter->filter_name || !filter->filter_pattern || !filter->origin ||
            !metric->metric_name || !metric->metric_namespace || !metric->metric_value ||
            metric->dimension_count > METRIC_FILTER_MAX_DIMENSIONS ||
            (metric->has_default_value && metric->dimension_count > 0))
            __builtin_trap();
    }
}

static void check_rules(const struct suppression_rule_list *rules)
{
    for (size_t i = 0; i < rules->count; i++) {
        const struct suppression_rule *rule = &rules->items[i];
        size_t given = 0;
        for (size_t field = 0; field < SUPPRESSION_FIELD_COUNT; field++)
            given += rule->match[field] != NULL;
        if (!rule->name || !rule->origin || given == 0 || (rule->filter_count && !rule->filters))
            __builtin_trap();
    }
}

/* The whole configuration: rules that pass config_finish compile; a failed load adds none. */
static void load_whole(const uint8_t *data, size_t size)
{
    struct config config;
    if (!config_init(&config))
        return;
    struct config_error error;
    if (config_load_text("fuzz.yaml", (const char *)data, size, &config, &error)) {
        check_rules(&config.suppressions);
        char *warnings = NULL;
        if (config_finish(&config, &warnings, &error)) {
            struct metrics_error metrics_error;
            struct suppression_set *set =
                suppression_set_compile(&config.suppressions, &config.filters, &metrics_error);
            if (!set)
                __builtin_trap(); /* config_finish let through what cannot compile */
            suppression_set_free(set);
        }
        free(warnings);
    } else if (strncmp(error.message, "fuzz.yaml:", 10) != 0 || config.suppressions.count != 0) {
        __builtin_trap();
    }
    config_free(&config);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* one filter already in the list, so "unchanged on error" is observable */
    struct metric_filter_list list = {0};
    struct metric_filter_definition existing = {
        .filter_name = "existing",
        .filter_pattern = "",
        .transformation = {.metric_name = "m", .metric_namespace = "n", .metric_value = "1"},
        .origin = "fuzz",
    };
    if (!metric_filter_list_append(&list, &existing))
        return 0;
    struct config_error error;
    if (config_load_buffer("fuzz.yaml", (const char *)data, size, &list, &error)) {
        check_loaded(&list, 1);
    } else {
        if (strncmp(error.message, "fuzz.yaml:", 10) != 0 || list.count != 1 ||
            strcmp(list.items[0].filter_name, "existing") != 0)
            __builtin_trap(); /* every failure says where, and changes nothing */
    }
    metric_filter_list_free(&list);
    load_whole(data, size);
    return 0;
}
