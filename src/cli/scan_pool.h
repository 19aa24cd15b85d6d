/* scan_pool: evaluating batches of events on worker threads for `trailhound scan`.
 *
 * With one thread, batches are evaluated at once on the caller's thread. With N, each
 * batch becomes a job, which holds the source's memory its messages live in (or, where the
 * source cannot lend it, a copy of them), and is queued, so the reading thread goes on
 * reading and decompressing while N-1 workers evaluate. A plain NDJSON file is instead
 * cut into ranges that all N threads read, frame and evaluate. Results are committed in
 * submission order, so the output does not depend on N. Internal to the cli. */
#ifndef TRAILHOUND_CLI_SCAN_POOL_H
#define TRAILHOUND_CLI_SCAN_POOL_H

#include "metrics/metrics.h"
#include "sources/source.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Called on the submitting thread, in event order, for each event that is not valid JSON. */
typedef void scan_invalid_event_callback(void *context, const struct source_location *where,
                                         const char *reason);

/* Called on the submitting thread, in order, for reports beyond those a job keeps (the
 * output lists SCAN_REPORT_MAX_MALFORMED at most, so they are only counted). */
typedef void scan_unlisted_callback(void *context, uint64_t count);

/* Most threads a pool runs (scan --threads accepts 1 to this). */
#define SCAN_POOL_MAX_THREADS 64

struct scan_pool;

/* NULL with `error` filled when a filter does not compile or a thread cannot start. */
struct scan_pool *scan_pool_create(const struct metric_filter_list *filters, bool pre_test,
                                   size_t threads, scan_invalid_event_callback *on_invalid,
                                   scan_unlisted_callback *on_unlisted, void *context,
                                   struct metrics_error *error);

/* Evaluates (or queues) one batch; returns once the batch's memory is no longer needed. */
void scan_pool_submit(struct scan_pool *pool, const struct source_event *events, size_t count);

/* With N > 1 threads, splits plain NDJSON files into ranges of `range_bytes` that the
 * threads read and frame themselves (scan_pool_read_line_file), so no one thread reads for
 * all. Call before the first batch. */
bool scan_pool_enable_ranges(struct scan_pool *pool, const struct source_options *options,
                             uint64_t range_bytes, struct metrics_error *error);

/* The source_handler's read_line_file: frames and evaluates `file` in ranges on all the
 * threads, reports committed in file order with the file's line numbers; returns once it is
 * done. False (nothing read) with one thread, ranges not enabled, or a file of fewer than
 * two ranges. */
bool scan_pool_read_line_file(struct scan_pool *pool, const struct source_line_file *file,
                              struct source_range_summary *summary);

/* Waits until every submitted batch is evaluated and committed. */
void scan_pool_drain(struct scan_pool *pool);

/* Valid events evaluated so far (committed). */
uint64_t scan_pool_valid_events(const struct scan_pool *pool);

/* Has every worker gather data points (filter_scan_enable_datapoints). Call before the
 * first batch. */
bool scan_pool_enable_datapoints(struct scan_pool *pool, int resolution,
                                 struct metrics_error *error);

/* Has every worker gather evidence per data point (filter_scan_enable_evidence). Call after
 * scan_pool_enable_datapoints, before the first batch. */
bool scan_pool_enable_evidence(struct scan_pool *pool, struct metrics_error *error);

/* Bounds the workers' data points to `limit_bytes` in all (filter_scan_set_spill, an equal
 * share each). Once any worker has spilled, scan_pool_finish spills every worker's rest
 * too, so the merged scan holds no data points and the spill holds them all. */
void scan_pool_set_spill(struct scan_pool *pool, size_t limit_bytes, filter_scan_spill_fn spill,
                         void *context);

/* Has every worker check its matches against suppression rules and publish tuned metrics
 * (filter_scan_enable_suppressions). Call before the first batch. */
bool scan_pool_enable_suppressions(struct scan_pool *pool,
                                   const struct suppression_rule_list *rules,
                                   struct metrics_error *error);

/* Drains, stops the workers and returns the merged totals (owned by the pool); NULL when
 * memory ran out merging them (then no totals are complete). */
struct filter_scan *scan_pool_finish(struct scan_pool *pool);

void scan_pool_free(struct scan_pool *pool);

#endif
