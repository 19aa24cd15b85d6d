/* libFuzzer target: read the input as a metric filter definition in JSON. A refusal must say
 * why and leave the definition empty; an accepted definition must be written back and read
 * again to the very same definition. */
#include "fuzz_text.h"
#include "metrics/metrics.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool same_transformation(const struct metric_transformation *a,
                                const struct metric_transformation *b)
{
    bool same = same_text(a->metric_name, b->metric_name) &&
                same_text(a->metric_namespace, b->metric_namespace) &&
                same_text(a->metric_value, b->metric_value) && same_text(a->unit, b->unit) &&
                a->has_default_value == b->has_default_value &&
                (!a->has_default_value || a->default_value == b->default_value) &&
                a->dimension_count == b->dimension_count;
    for (size_t i = 0; same && i < a->dimension_count; i++)
        same = same_text(a->dimensions[i].name, b->dimensions[i].name) &&
               same_text(a->dimensions[i].reference, b->dimensions[i].reference);
    return same;
}

static bool same_definition(const struct metric_filter_definition *a,
                            const struct metric_filter_definition *b)
{
    return same_text(a->filter_name, b->filter_name) &&
           same_text(a->filter_pattern, b->filter_pattern) &&
           same_text(a->log_group_name, b->log_group_name) && same_text(a->cis_id, b->cis_id) &&
           same_text(a->origin, b->origin) &&
           same_transformation(&a->transformation, &b->transformation);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    if (!text)
        return 0;
    struct metric_filter_definition first, second;
    struct metrics_error error = {{0}};
    if (!metric_filter_from_json(text, &first, &error)) {
        if (error.message[0] == '\0' || first.filter_name || first.transformation.metric_name)
            __builtin_trap();
        free(text);
        return 0;
    }
    char *written = metric_filter_to_json(&first);
    if (!written || !metric_filter_from_json(written, &second, &error) ||
        !same_definition(&first, &second))
        __builtin_trap();
    metric_filter_definition_free(&second);
    metric_filter_definition_free(&first);
    free(written);
    free(text);
    return 0;
}
