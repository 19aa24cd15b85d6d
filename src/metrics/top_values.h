/* top_values: the most frequent values of a stream (principals, source IPs, ...) in
 * bounded memory: Space-Saving (Metwally et al.) over at most `capacity` distinct values,
 * exact while the distinct values fit. Internal to the metrics stage. */
#ifndef TRAILHOUND_METRICS_TOP_VALUES_H
#define TRAILHOUND_METRICS_TOP_VALUES_H

#include "metrics/metrics.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct top_values;

struct top_values *top_values_create(size_t capacity);
void top_values_free(struct top_values *top);

/* Counts `count` more occurrences of the value; false only when memory runs out. */
bool top_values_add(struct top_values *top, const char *value, size_t length, uint64_t count);

/* Adds every counted value of `from` into `into`. */
bool top_values_merge(struct top_values *into, const struct top_values *from);

/* True while no value was ever evicted: the counts are exact. */
bool top_values_exact(const struct top_values *top);

/* The `max` most frequent values, by count descending then value ascending; returns how
 * many were written. Pointers stay valid until the next change to `top`. */
size_t top_values_list(const struct top_values *top, struct top_value *out, size_t max);

#endif
