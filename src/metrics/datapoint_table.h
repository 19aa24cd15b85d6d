/* datapoint_table: the scan's data points while it runs, one aggregate per (filter, bucket,
 * dimension values), in an open-addressing hash table so that adding a sample costs one
 * hash and one probe whatever the number of buckets. Internal to the metrics stage. */
#ifndef TRAILHOUND_METRICS_DATAPOINT_TABLE_H
#define TRAILHOUND_METRICS_DATAPOINT_TABLE_H

#include "metrics/evidence_internal.h"
#include "metrics/metrics.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a sample is filed under. Dimension values are bytes (they may hold NUL). */
struct datapoint_key {
    size_t filter;
    int64_t bucket;
    size_t value_count;
    const char *values[METRIC_FILTER_MAX_DIMENSIONS];
    size_t lengths[METRIC_FILTER_MAX_DIMENSIONS];
};

struct datapoint_entry {
    bool used;
    uint64_t hash;
    struct datapoint_key key; /* values point into `key_text`, which the entry owns */
    char *key_text;
    struct metric_aggregate aggregate;
    struct evidence_tally *evidence; /* owned; NULL until a match with evidence on */
};

struct datapoint_table {
    struct datapoint_entry *entries; /* capacity entries, a power of two */
    size_t capacity, count;
    /* What the entries and keys hold allocated; whoever grows an entry's aggregate or
     * evidence adds the difference (a scan bounds its memory by it). */
    size_t bytes;
};

void datapoint_table_init(struct datapoint_table *table);
/* Frees every entry, its key, its aggregate and its evidence. */
void datapoint_table_free(struct datapoint_table *table);

/* The entry filed under `key`, created with an empty aggregate when new. NULL when memory
 * runs out. */
struct datapoint_entry *datapoint_table_entry(struct datapoint_table *table,
                                              const struct datapoint_key *key);

/* What an entry's aggregate and evidence hold allocated (its key is counted apart). */
size_t datapoint_entry_bytes(const struct datapoint_entry *entry);

/* Adds every aggregate (and evidence) of `from` into `into`. False when memory runs out. */
bool datapoint_table_merge(struct datapoint_table *into, const struct datapoint_table *from);

/* The same, moving each entry `into` lacks (key, aggregate and evidence change owner, the
 * bytes counted with them) instead of copying it; merged entries stay in `from`. */
bool datapoint_table_merge_take(struct datapoint_table *into, struct datapoint_table *from);

#endif
