/* The spill of a scan's data points: see scan_spill.h. */
#include "cli/scan_spill.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct scan_spill {
    pthread_mutex_t lock;
    struct store *db;        /* --db: its store, not owned */
    struct store *temporary; /* owned; opened at the first spill */
    bool transaction_open;   /* --db: begun at the first spill */
    struct scan_spill_summary summary;
};

struct scan_spill *scan_spill_create(struct store *db)
{
    struct scan_spill *spill = calloc(1, sizeof *spill);
    if (!spill)
        return NULL;
    if (pthread_mutex_init(&spill->lock, NULL) != 0) {
        free(spill);
        return NULL;
    }
    spill->db = db;
    spill->summary.first = INT64_MAX;
    spill->summary.last = INT64_MIN;
    return spill;
}

void scan_spill_free(struct scan_spill *spill)
{
    if (!spill)
        return;
    if (spill->transaction_open)
        store_rollback(spill->db);
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

/* The store to write to, opened or begun at the first spill. */
static struct store *spill_target(struct scan_spill *spill, struct store_error *error)
{
    if (spill->db) {
        if (!spill->transaction_open && !store_begin(spill->db, error))
            return NULL;
        spill->transaction_open = true;
        return spill->db;
    }
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

/* Into the temporary store: one transaction per call (no journal, so commits are cheap);
 * into --db's, within the transaction kept open. */
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
    pthread_mutex_unlock(&spill->lock);
    return ok;
}

struct scan_spill_summary scan_spill_summary(const struct scan_spill *spill)
{
    return spill ? spill->summary : (struct scan_spill_summary){0};
}

struct store *scan_spill_store(struct scan_spill *spill)
{
    return !spill || !spill->summary.used ? NULL : spill->db ? spill->db : spill->temporary;
}

bool scan_spill_commit(struct scan_spill *spill, char *error, size_t error_size)
{
    if (!spill || !spill->transaction_open)
        return true;
    spill->transaction_open = false;
    struct store_error store_error;
    if (store_commit(spill->db, &store_error))
        return true;
    snprintf(error, error_size, "%s", store_error.message);
    return false;
}
