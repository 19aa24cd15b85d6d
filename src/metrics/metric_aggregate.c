/* Aggregates (the statistic set plus the value→count map of one bucket or alarm slot) and
 * the ownership of metric identities and data points. */
#include "metrics/evidence_internal.h"
#include "metrics/metrics.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void metric_aggregate_init(struct metric_aggregate *aggregate)
{
    *aggregate = (struct metric_aggregate){0};
}

void metric_aggregate_free(struct metric_aggregate *aggregate)
{
    if (!aggregate)
        return;
    free(aggregate->values);
    metric_aggregate_init(aggregate);
}

/* Index of the first entry whose value is >= `value` (binary search). */
static size_t value_position(const struct metric_aggregate *aggregate, double value)
{
    size_t low = 0, high = aggregate->value_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (aggregate->values[middle].value < value)
            low = middle + 1;
        else
            high = middle;
    }
    return low;
}

static bool values_reserve(struct metric_aggregate *aggregate, size_t needed)
{
    if (needed <= aggregate->value_capacity)
        return true;
    size_t capacity = aggregate->value_capacity ? aggregate->value_capacity : 4;
    while (capacity < needed) {
        if (capacity > SIZE_MAX / 2 / sizeof *aggregate->values)
            return false;
        capacity *= 2;
    }
    struct metric_value_count *values = realloc(aggregate->values, capacity * sizeof *values);
    if (!values)
        return false;
    aggregate->values = values;
    aggregate->value_capacity = capacity;
    return true;
}

/* Folds `count` samples whose extremes are `minimum` and `maximum` and whose total is `sum`
 * into the statistic set. */
static void statistics_add(struct metric_aggregate *aggregate, double minimum, double maximum,
                           double sum, double count)
{
    if (aggregate->sample_count == 0 || minimum < aggregate->minimum)
        aggregate->minimum = minimum;
    if (aggregate->sample_count == 0 || maximum > aggregate->maximum)
        aggregate->maximum = maximum;
    aggregate->sum += sum;
    aggregate->sample_count += count;
}

/* CloudWatch refuses NaN and infinite values; a count must be a positive number. */
static bool sample_is_valid(double value, double count)
{
    return isfinite(value) && isfinite(count) && count > 0;
}

bool metric_aggregate_add(struct metric_aggregate *aggregate, double value, double count)
{
    if (!sample_is_valid(value, count))
        return true;
    size_t position = value_position(aggregate, value);
    if (position < aggregate->value_count && aggregate->values[position].value == value) {
        aggregate->values[position].count += count;
    } else {
        if (!values_reserve(aggregate, aggregate->value_count + 1))
            return false;
        /* insertion keeps the map sorted; buckets hold few distinct values in practice */
        memmove(&aggregate->values[position + 1], &aggregate->values[position],
                (aggregate->value_count - position) * sizeof *aggregate->values);
        aggregate->values[position] = (struct metric_value_count){value, count};
        aggregate->value_count++;
    }
    statistics_add(aggregate, value, value, value * count, count);
    return true;
}

/* Merges two sorted value maps into `merged` (room for both), adding equal values' counts.
 * Returns the merged length. */
static size_t values_merge(const struct metric_value_count *left, size_t left_count,
                           const struct metric_value_count *right, size_t right_count,
                           struct metric_value_count *merged)
{
    size_t i = 0, j = 0, length = 0;
    while (i < left_count || j < right_count) {
        if (j == right_count || (i < left_count && left[i].value < right[j].value)) {
            merged[length++] = left[i++];
        } else if (i == left_count || right[j].value < left[i].value) {
            merged[length++] = right[j++];
        } else {
            merged[length] = left[i++];
            merged[length++].count += right[j++].count;
        }
    }
    return length;
}

bool metric_aggregate_merge(struct metric_aggregate *into, const struct metric_aggregate *from)
{
    if (from->sample_count <= 0)
        return true;
    if (from->value_count > 0) {
        size_t total = into->value_count + from->value_count;
        if (total > SIZE_MAX / sizeof *into->values)
            return false;
        struct metric_value_count *merged = malloc(total * sizeof *merged);
        if (!merged)
            return false;
        size_t length =
            values_merge(into->values, into->value_count, from->values, from->value_count, merged);
        free(into->values);
        into->values = merged;
        into->value_count = length;
        into->value_capacity = total;
    }
    statistics_add(into, from->minimum, from->maximum, from->sum, from->sample_count);
    return true;
}

void metric_aggregate_merge_statistics(struct metric_aggregate *into,
                                       const struct metric_aggregate *from)
{
    if (from->sample_count > 0)
        statistics_add(into, from->minimum, from->maximum, from->sum, from->sample_count);
}

/* ---- identities and data points ---- */

void metric_identity_free(struct metric_identity *identity)
{
    if (!identity)
        return;
    free(identity->namespace_name);
    free(identity->metric_name);
    for (size_t i = 0; i < identity->dimension_count; i++) {
        free(identity->dimensions[i].name);
        free(identity->dimensions[i].value);
    }
    free(identity->dimensions);
    *identity = (struct metric_identity){0};
}

static bool string_copy(char **target, const char *source)
{
    *target = NULL;
    if (!source)
        return true;
    *target = strdup(source);
    return *target != NULL;
}

bool metric_identity_copy(struct metric_identity *into, const struct metric_identity *from)
{
    *into = (struct metric_identity){0};
    bool copied = string_copy(&into->namespace_name, from->namespace_name) &&
                  string_copy(&into->metric_name, from->metric_name);
    if (copied && from->dimension_count > 0) {
        into->dimensions = calloc(from->dimension_count, sizeof *into->dimensions);
        copied = into->dimensions != NULL;
    }
    for (size_t i = 0; copied && i < from->dimension_count; i++) {
        /* counted first so a half-copied dimension is still freed */
        into->dimension_count = i + 1;
        copied = string_copy(&into->dimensions[i].name, from->dimensions[i].name) &&
                 string_copy(&into->dimensions[i].value, from->dimensions[i].value);
    }
    if (!copied)
        metric_identity_free(into);
    return copied;
}

/* NULL compares as the empty string. */
static int text_compare(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

static int dimension_compare(const void *a, const void *b)
{
    const struct metric_dimension_value *left = a, *right = b;
    int by_name = text_compare(left->name, right->name);
    return by_name ? by_name : text_compare(left->value, right->value);
}

void metric_identity_sort(struct metric_identity *identity)
{
    if (identity->dimension_count > 1)
        qsort(identity->dimensions, identity->dimension_count, sizeof *identity->dimensions,
              dimension_compare);
}

int metric_identity_compare(const struct metric_identity *a, const struct metric_identity *b)
{
    int order = text_compare(a->namespace_name, b->namespace_name);
    if (order == 0)
        order = text_compare(a->metric_name, b->metric_name);
    size_t shared =
        a->dimension_count < b->dimension_count ? a->dimension_count : b->dimension_count;
    for (size_t i = 0; order == 0 && i < shared; i++)
        order = dimension_compare(&a->dimensions[i], &b->dimensions[i]);
    if (order == 0 && a->dimension_count != b->dimension_count)
        order = a->dimension_count < b->dimension_count ? -1 : 1;
    return order;
}

void metric_datapoint_free(struct metric_datapoint *datapoint)
{
    if (!datapoint)
        return;
    metric_identity_free(&datapoint->identity);
    free(datapoint->unit);
    metric_aggregate_free(&datapoint->aggregate);
    metric_evidence_free(datapoint->evidence);
    free(datapoint->evidence);
    evidence_tally_free(datapoint->tally);
    *datapoint = (struct metric_datapoint){0};
}

uint64_t metric_datapoint_evidence_events(const struct metric_datapoint *datapoint)
{
    if (datapoint->evidence)
        return datapoint->evidence->events;
    return datapoint->tally ? evidence_tally_events(datapoint->tally) : 0;
}

bool metric_datapoint_evidence(const struct metric_datapoint *datapoint,
                               struct metric_evidence *out)
{
    if (datapoint->evidence)
        return metric_evidence_merge(out, datapoint->evidence);
    return !datapoint->tally || evidence_tally_export_copy(datapoint->tally, out);
}

void metric_datapoint_list_free(struct metric_datapoint_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        metric_datapoint_free(&list->items[i]);
    free(list->items);
    *list = (struct metric_datapoint_list){0};
}
