/* scan_spill: where `scan` keeps its data points once they outgrow memory (a year of
 * matched minutes does): a private temporary SQLite store on disk, which every scan thread
 * writes under one lock. With --db the spilled buckets are copied into that store at the
 * end, in the transaction that stores the scan's results, so the --db store is locked only
 * then (a daemon may be writing to it) and a crash leaves no half-counted scan. */
#ifndef TRAILHOUND_CLI_SCAN_SPILL_H
#define TRAILHOUND_CLI_SCAN_SPILL_H

#include "metrics/metrics.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The memory all of a scan's threads may hold in data points before spilling;
 * TRAILHOUND_SCAN_SPILL_BYTES replaces it (tests make it small). */
#define SCAN_SPILL_DEFAULT_BYTES (16u << 20)

struct scan_spill;

/* The temporary store is opened at the first spill. NULL on out of memory. */
struct scan_spill *scan_spill_create(void);
/* Closes the temporary store (SQLite deletes it). */
void scan_spill_free(struct scan_spill *spill);

/* The filter_scan_spill_fn: writes the points (context: the scan_spill). */
bool scan_spill_write(void *context, const struct metric_datapoint *points, size_t count,
                      struct metrics_error *error);

/* What was spilled: whether anything, how many points (a bucket spilled twice counts
 * twice), the span of their timestamps (seconds). */
struct scan_spill_summary {
    bool used;
    uint64_t points;
    int64_t first, last;
};
struct scan_spill_summary scan_spill_summary(const struct scan_spill *spill);
/* Whether a spill has failed (safe while threads spill): the scan will fail, so it need not
 * read more files. */
bool scan_spill_failed(struct scan_spill *spill);
/* The temporary store holding the spilled points; NULL when nothing was spilled. */
struct store *scan_spill_store(struct scan_spill *spill);
/* Copies every spilled bucket, with its evidence, into `into` (the --db store, within the
 * caller's transaction), merging with what it holds as scan_store_datapoints does. Both
 * resolutions are copied as they are (the minute rollups are already there). */
bool scan_spill_copy(struct scan_spill *spill, struct store *into, char *error, size_t error_size);

/* Stores data points, with their evidence, rolling 1-second points up into minutes too
 * (alarms of a minute or more read those). */
bool scan_store_datapoints(struct store *store, const struct metric_datapoint *points, size_t count,
                           char *error, size_t error_size);

#endif
