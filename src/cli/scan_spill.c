/* The spill of a scan's data points: see scan_spill.h. */
#include "cli/scan_spill.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct scan_spill {
    pthread_mutex_t lock;
    struct store *temporary; /* owned; opened at the first spill */
    struct scan_spill_summary summary;
    bool failed; /* a spill failed: its points are lost, the scan will fail */
};

struct scan_spill *scan_spill_create(void)
{
    struct scan_spill *spill = calloc(1, sizeof *spill);
    if (!spill)
        return NULL;
    if (pthread_mutex_init(&spill->lock, NULL) != 0) {
        free(spill);
        return NULL;
    }
    spill->summary.first = INT64_MAX;
    spill->summary.last = INT64_MIN;
    return spill;
}

void scan_spill_free(struct scan_spill *spill)
{
    if (!spill)
        return;
    store_close(spill->temporary);
    pthread_mutex_destroy(&spill->lock);
    free(spill);
}

static bool store_buckets(struct store *store, const struct metric_datapoint *points, size_t count,
                          struct store_error *error)
{
    return store_datapoints_add(store, points, count, error) &&
           store_evidence_add(store, points, count, error);
}

bool scan_store_datapoints(struct store *store, const struct metric_datapoint *points, size_t count,
                           char *error, size_t error_size)
{
    struct store_error store_error;
    if (!store_buckets(store, points, count, &store_error)) {
        snprintf(error, error_size, "storing data points: %s", store_error.message);
        return false;
    }
    struct metric_datapoint *minutes = calloc(count + 1, sizeof *minutes);
    if (!minutes) {
        snprintf(error, error_size, "out of memory");
        return false;
    }
    size_t minute_count = 0;
    for (size_t i = 0; i < count; i++) {
        if (points[i].resolution != METRIC_RESOLUTION_HIGH)
            continue;
        minutes[minute_count] = points[i]; /* shallow: the store only reads it */
        minutes[minute_count].resolution = METRIC_RESOLUTION_STANDARD;
        minutes[minute_count].timestamp -= ((minutes[minute_count].timestamp % 60) + 60) % 60;
        minute_count++;
    }
    bool ok = minute_count == 0 || store_buckets(store, minutes, minute_count, &store_error);
    free(minutes);
    if (!ok)
        snprintf(error, error_size, "storing data points: %s", store_error.message);
    return ok;
}

/* The temporary store, opened at the first spill. */
static struct store *spill_target(struct scan_spill *spill, struct store_error *error)
{
    if (!spill->temporary)
        spill->temporary = store_open_temporary(error);
    return spill->temporary;
}

static void note_points(struct scan_spill_summary *summary, const struct metric_datapoint *points,
                        size_t count)
{
    summary->used = true;
    summary->points += count;
    for (size_t i = 0; i < count; i++) {
        if (points[i].timestamp < summary->first)
            summary->first = points[i].timestamp;
        if (points[i].timestamp > summary->last)
            summary->last = points[i].timestamp;
    }
}

static bool spill_fail(struct metrics_error *error, const char *message)
{
    snprintf(error->message, sizeof error->message, "spilling data points: %.400s", message);
    return false;
}

/* One transaction per call (no journal, so commits are cheap). */
static bool spill_points(struct scan_spill *spill, const struct metric_datapoint *points,
                         size_t count, struct metrics_error *error)
{
    struct store_error store_error = {"out of memory"};
    struct store *store = spill_target(spill, &store_error);
    if (!store || !store_begin(store, &store_error))
        return spill_fail(error, store_error.message);
    char message[sizeof error->message];
    if (!scan_store_datapoints(store, points, count, message, sizeof message)) {
        store_rollback(store);
        return spill_fail(error, message);
    }
    if (!store_commit(store, &store_error))
        return spill_fail(error, store_error.message);
    note_points(&spill->summary, points, count);
    return true;
}

bool scan_spill_write(void *context, const struct metric_datapoint *points, size_t count,
                      struct metrics_error *error)
{
    struct scan_spill *spill = context;
    pthread_mutex_lock(&spill->lock);
    bool ok = spill_points(spill, points, count, error);
    spill->failed = spill->failed || !ok;
    pthread_mutex_unlock(&spill->lock);
    return ok;
}

bool scan_spill_failed(struct scan_spill *spill)
{
    if (!spill)
        return false;
    pthread_mutex_lock(&spill->lock);
    bool failed = spill->failed;
    pthread_mutex_unlock(&spill->lock);
    return failed;
}

struct scan_spill_summary scan_spill_summary(const struct scan_spill *spill)
{
    return spill ? spill->summary : (struct scan_spill_summary){0};
}

struct store *scan_spill_store(struct scan_spill *spill)
{
    return spill && spill->summary.used ? spill->temporary : NULL;
}

/* ---- copying into --db ---- */

/* Points read back from the temporary store, written to --db a chunk at a time. */
#define COPY_CHUNK_POINTS 256

struct spill_copy {
    struct store *from, *into;
    const struct metric_identity *metric;
    const char *unit;
    int resolution;
    int64_t last; /* the latest spilled bucket */
    struct metric_datapoint chunk[COPY_CHUNK_POINTS];
    size_t count;
    struct store_error error;
    /* the first failure: the store's walks stop when a callback returns false and may then
     * say only "out of memory", so the reason is kept here */
    bool failed;
    char reason[sizeof(struct store_error)];
};

static bool copy_fail(struct spill_copy *copy, const char *reason)
{
    if (!copy->failed)
        snprintf(copy->reason, sizeof copy->reason, "%s", reason);
    copy->failed = true;
    return false;
}

/* Frees the chunk's points (written or not). */
static void copy_chunk_clear(struct spill_copy *copy)
{
    while (copy->count > 0)
        metric_datapoint_free(&copy->chunk[--copy->count]);
}

static bool copy_flush(struct spill_copy *copy)
{
    bool ok = store_buckets(copy->into, copy->chunk, copy->count, &copy->error) ||
              copy_fail(copy, copy->error.message);
    copy_chunk_clear(copy);
    return ok;
}

/* One bucket of the temporary store, with its evidence, into the chunk. */
static bool copy_bucket(void *context, int64_t start, const struct metric_aggregate *bucket)
{
    struct spill_copy *copy = context;
    struct metric_datapoint *point = &copy->chunk[copy->count++];
    *point = (struct metric_datapoint){.resolution = copy->resolution, .timestamp = start};
    metric_aggregate_init(&point->aggregate);
    bool ok = metric_identity_copy(&point->identity, copy->metric) &&
              (point->unit = strdup(copy->unit)) != NULL &&
              metric_aggregate_merge(&point->aggregate, bucket) &&
              (point->evidence = malloc(sizeof *point->evidence)) != NULL;
    if (!ok)
        return copy_fail(copy, "out of memory");
    if (!store_evidence_read(copy->from, copy->metric, copy->unit, copy->resolution, start,
                             start + copy->resolution, point->evidence, &copy->error))
        return copy_fail(copy, copy->error.message);
    return copy->count < COPY_CHUNK_POINTS || copy_flush(copy);
}

/* Every bucket of one metric (and unit), both resolutions. */
static bool copy_metric(void *context, const struct metric_identity *metric, const char *unit)
{
    struct spill_copy *copy = context;
    static const int resolutions[] = {METRIC_RESOLUTION_STANDARD, METRIC_RESOLUTION_HIGH};
    copy->metric = metric;
    copy->unit = unit;
    for (size_t i = 0; i < sizeof resolutions / sizeof resolutions[0]; i++) {
        copy->resolution = resolutions[i];
        bool found = false;
        int64_t first = 0;
        if (!store_datapoints_next(copy->from, metric, unit, resolutions[i], INT64_MIN / 2, &found,
                                   &first, &copy->error))
            return copy_fail(copy, copy->error.message);
        /* the spilled span bounds every bucket (minute rollups start at most 59 s before) */
        if (found && !store_datapoints_each(copy->from, metric, unit, resolutions[i], first,
                                            copy->last + 61, copy_bucket, copy, &copy->error))
            return copy_fail(copy, copy->error.message); /* keeps the first reason */
        if (copy->count > 0 && !copy_flush(copy))
            return false;
    }
    return true;
}

bool scan_spill_copy(struct scan_spill *spill, struct store *into, char *error, size_t error_size)
{
    struct store *from = scan_spill_store(spill);
    if (!from)
        return true;
    struct spill_copy *copy = calloc(1, sizeof *copy);
    if (!copy) {
        snprintf(error, error_size, "out of memory");
        return false;
    }
    copy->from = from;
    copy->into = into;
    copy->last = spill->summary.last;
    bool ok = (store_metrics_list(from, copy_metric, copy, &copy->error) ||
               copy_fail(copy, copy->error.message)) &&
              !copy->failed;
    if (!ok)
        snprintf(error, error_size, "copying spilled data points: %.400s", copy->reason);
    copy_chunk_clear(copy);
    free(copy);
    return ok;
}
