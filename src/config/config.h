/* config: trailhound's YAML configuration file, read with libyaml. Its top-level list
 * `metricFilters` holds metric filters in the fields of AWS's PutMetricFilter, spelled as
 * AWS spells them; every error names the file, the line and the field. */
#ifndef TRAILHOUND_CONFIG_CONFIG_H
#define TRAILHOUND_CONFIG_CONFIG_H

#include "metrics/metrics.h"

#include <stdbool.h>
#include <stddef.h>

struct config_error {
    char message[512]; /* "FILE:LINE: FIELD: what is wrong" */
};

/* Reads `path` and appends its metric filters to `filters`. Returns false with `error`
 * filled on the first problem; `filters` is then left as it was. */
bool config_load_file(const char *path, struct metric_filter_list *filters,
                      struct config_error *error);

/* The same for a configuration already in memory (`length` bytes, not NUL-terminated);
 * `name` stands for the file in messages and origins. */
bool config_load_buffer(const char *name, const char *text, size_t length,
                        struct metric_filter_list *filters, struct config_error *error);

#endif
