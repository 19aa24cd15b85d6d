/* libFuzzer target: load the input as a trailhound YAML configuration. A failure must say
 * why, a success must hand back complete definitions, and a failed load must leave the
 * list it was given untouched. */
#include "config/config.h"
#include "metrics/metrics.h"

#include <stddef.h>
#include <stdint.h>
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
    return 0;
}
