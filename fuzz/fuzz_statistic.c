/* libFuzzer target: parse a statistic name and compute it over an aggregate built from the
 * rest of the input. Input: one flags byte (bit 0: extended grammar; bit 1: keep only the
 * statistic set, dropping the raw values), the name up to '\n', then (value, count) byte
 * pairs. A rejected name must say why; a computed value must lie where its family puts it. */
#include "metrics/metrics.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void build_aggregate(struct metric_aggregate *aggregate, const uint8_t *data, size_t size,
                            bool statistic_set_only)
{
    metric_aggregate_init(aggregate);
    for (size_t i = 0; i + 1 < size; i += 2)
        if (!metric_aggregate_add(aggregate, (int8_t)data[i] / 4.0, 1 + data[i + 1] % 4))
            __builtin_trap(); /* tiny inputs: out of memory is not expected */
    if (statistic_set_only) {
        free(aggregate->values);
        aggregate->values = NULL;
        aggregate->value_count = aggregate->value_capacity = 0;
    }
}

/* Where each family's value must lie, given the aggregate it came from. */
static void check_value(const struct metric_statistic *statistic,
                        const struct metric_aggregate *aggregate, double value)
{
    bool within_extremes = value >= aggregate->minimum && value <= aggregate->maximum;
    bool ok = isfinite(value);
    switch (statistic->kind) {
    case METRIC_STATISTIC_PERCENTILE:
    case METRIC_STATISTIC_TRIMMED_MEAN:
        ok = ok && within_extremes;
        break;
    case METRIC_STATISTIC_WINSORIZED_MEAN:
        ok = ok && (!statistic->bounds_are_percent || within_extremes);
        break;
    case METRIC_STATISTIC_TRIMMED_COUNT:
        ok = ok && value >= 0 && value <= aggregate->sample_count;
        break;
    case METRIC_STATISTIC_PERCENTILE_RANK:
        ok = ok && value >= 0 && value <= 100;
        break;
    default:
        break;
    }
    if (!ok)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t flags = data[0];
    const uint8_t *rest = data + 1, *end = data + size;
    const uint8_t *newline = memchr(rest, '\n', (size_t)(end - rest));
    const uint8_t *name_end = newline ? newline : end;
    char name[128];
    size_t name_length = (size_t)(name_end - rest);
    if (name_length >= sizeof name)
        return 0;
    memcpy(name, rest, name_length);
    name[name_length] = '\0';

    struct metric_statistic statistic;
    struct metrics_error error = {{0}};
    if (!metric_statistic_parse(name, flags & 1, &statistic, &error)) {
        if (error.message[0] == '\0')
            __builtin_trap(); /* every refusal says why */
        return 0;
    }
    if (strlen(name) == name_length && strcmp(statistic.name, name) != 0)
        __builtin_trap();

    struct metric_aggregate aggregate;
    const uint8_t *samples = newline ? newline + 1 : end;
    build_aggregate(&aggregate, samples, (size_t)(end - samples), flags & 2);
    double value;
    if (metric_statistic_compute(&statistic, &aggregate, &value))
        check_value(&statistic, &aggregate, value);
    (void)metric_statistic_low_sample(&statistic, aggregate.sample_count);
    metric_aggregate_free(&aggregate);
    return 0;
}
