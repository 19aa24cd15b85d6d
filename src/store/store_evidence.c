/* Evidence per bucket (schema 3): one JSON document per bucket of bucket_evidence, merged on
 * write (read, metric_evidence_merge, write back) and merged over a window on read. A bucket's
 * evidence goes with its data point: the foreign key refuses evidence without one, and
 * pruning a bucket deletes its evidence. */
#include "store/store.h"
#include "store/store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_UNIT "None"

/* The metric's row is found by its unique key, as store_datapoints_read finds it. */
#define METRIC_MATCH "m.namespace = ?1 AND m.name = ?2 AND m.dimensions_json = ?3 AND m.unit = ?4"

static bool check_metric(const struct metric_identity *metric, int resolution, const char *what,
                         struct store_error *error)
{
    if (!metric->namespace_name || !metric->metric_name)
        return store_fail(error, "cannot %s evidence: no metric namespace or name", what);
    if (resolution != METRIC_RESOLUTION_STANDARD && resolution != METRIC_RESOLUTION_HIGH)
        return store_fail(error, "cannot %s evidence: resolution %d is neither 60 nor 1", what,
                          resolution);
    return true;
}

/* ---- writing ---- */

/* The data point's bucket: its metric (METRIC_MATCH), ?5 its resolution, ?6 its time. */
static bool bind_bucket(sqlite3_stmt *statement, const struct metric_datapoint *point,
                        const char *dimensions)
{
    return store_bind_metric(statement, &point->identity, point->unit ? point->unit : DEFAULT_UNIT,
                             dimensions) &&
           sqlite3_bind_int(statement, 5, point->resolution) == SQLITE_OK &&
           sqlite3_bind_int64(statement, 6, point->timestamp) == SQLITE_OK;
}

/* The bucket's stored evidence merged into `merged` (left as it was when there is none). */
static bool read_stored(struct store *store, const struct metric_datapoint *point,
                        const char *dimensions, struct metric_evidence *merged,
                        struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_EVIDENCE_GET,
        "SELECT e.evidence_json FROM metrics m JOIN bucket_evidence e ON e.metric_id = m.id "
        "WHERE " METRIC_MATCH " AND e.resolution = ?5 AND e.timestamp = ?6",
        error);
    if (!statement)
        return false;
    bool bound = bind_bucket(statement, point, dimensions);
    int status = bound ? sqlite3_step(statement) : SQLITE_ERROR;
    bool ok = status == SQLITE_ROW || status == SQLITE_DONE;
    if (!ok)
        store_fail_sqlite(store, error, "cannot read the stored evidence");
    if (status == SQLITE_ROW) {
        struct metric_evidence stored;
        struct metrics_error metrics_error;
        ok = metric_evidence_from_json(store_column_text(statement, 0), &stored, &metrics_error);
        if (!ok)
            store_fail(error, "stored evidence of %s at %lld: %s", point->identity.metric_name,
                       (long long)point->timestamp, metrics_error.message);
        else if (!(ok = metric_evidence_merge(merged, &stored)))
            store_fail(error, "out of memory");
        metric_evidence_free(&stored);
    }
    sqlite3_reset(statement);
    return ok;
}

static bool write_merged(struct store *store, const struct metric_datapoint *point,
                         const char *dimensions, const char *json, struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_EVIDENCE_PUT,
        "INSERT INTO bucket_evidence (metric_id, resolution, timestamp, evidence_json) "
        "SELECT m.id, ?5, ?6, ?7 FROM metrics m WHERE " METRIC_MATCH " "
        "ON CONFLICT (metric_id, resolution, timestamp) DO UPDATE SET "
        "evidence_json = excluded.evidence_json",
        error);
    if (!statement)
        return false;
    bool bound = bind_bucket(statement, point, dimensions) && store_bind_text(statement, 7, json);
    if (!store_run(store, statement, bound, "cannot store the evidence", error))
        return false;
    /* no metrics row: the data point was never stored (the foreign key covers the bucket) */
    return sqlite3_changes(store->db) == 1 ||
           store_fail(error, "cannot store the evidence of %s at %lld: no data point there",
                      point->identity.metric_name, (long long)point->timestamp);
}

static bool add_point_evidence(struct store *store, const struct metric_datapoint *point,
                               struct store_error *error)
{
    if (!check_metric(&point->identity, point->resolution, "store", error))
        return false;
    char *dimensions = store_dimensions_json(&point->identity, error);
    if (!dimensions)
        return false;
    struct metric_evidence merged;
    metric_evidence_init(&merged);
    char *json = NULL;
    bool ok = read_stored(store, point, dimensions, &merged, error);
    if (ok && !(ok = metric_evidence_merge(&merged, point->evidence)))
        store_fail(error, "out of memory");
    if (ok && !(ok = (json = metric_evidence_to_json(&merged)) != NULL))
        store_fail(error, "evidence of %s at %lld cannot be written as JSON",
                   point->identity.metric_name, (long long)point->timestamp);
    ok = ok && write_merged(store, point, dimensions, json, error);
    free(json);
    metric_evidence_free(&merged);
    free(dimensions);
    return ok;
}

bool store_evidence_add(struct store *store, const struct metric_datapoint *points, size_t count,
                        struct store_error *error)
{
    if (!store_begin(store, error))
        return false;
    bool ok = true;
    for (size_t i = 0; ok && i < count; i++)
        /* a bucket without samples is not stored (store_datapoints_add), nor its evidence */
        if (points[i].evidence && points[i].evidence->events > 0 &&
            points[i].aggregate.sample_count > 0)
            ok = add_point_evidence(store, &points[i], error);
    return store_end(store, ok, error);
}

/* ---- reading a window ---- */

#define READ_SELECT                                                                                \
    "SELECT e.evidence_json FROM metrics m JOIN bucket_evidence e ON e.metric_id = m.id "          \
    "WHERE m.namespace = ?1 AND m.name = ?2 AND m.dimensions_json = ?3 "
/* in a fixed order: a merge that cuts a list is then the same on every read */
#define READ_RANGE                                                                                 \
    "AND e.resolution = ?5 AND e.timestamp >= ?6 AND e.timestamp < ?7 ORDER BY m.unit, "           \
    "e.timestamp"

struct evidence_reader {
    struct metric_evidence *evidence;
    struct store_error *error;
    bool failed;
};

static bool merge_row(void *context, sqlite3_stmt *row)
{
    struct evidence_reader *reader = context;
    struct metric_evidence bucket;
    struct metrics_error metrics_error;
    if (!metric_evidence_from_json(store_column_text(row, 0), &bucket, &metrics_error)) {
        reader->failed = true;
        return store_fail(reader->error, "stored %s", metrics_error.message);
    }
    reader->failed = !metric_evidence_merge(reader->evidence, &bucket);
    if (reader->failed)
        store_fail(reader->error, "out of memory");
    metric_evidence_free(&bucket);
    return !reader->failed;
}

bool store_evidence_read(struct store *store, const struct metric_identity *metric,
                         const char *unit, int resolution, int64_t from, int64_t to,
                         struct metric_evidence *evidence, struct store_error *error)
{
    metric_evidence_init(evidence);
    if (!check_metric(metric, resolution, "read", error))
        return false;
    char *dimensions = store_dimensions_json(metric, error);
    if (!dimensions)
        return false;
    sqlite3_stmt *statement =
        unit ? store_statement(store, STATEMENT_EVIDENCE_READ_UNIT,
                               READ_SELECT "AND m.unit = ?4 " READ_RANGE, error)
             : store_statement(store, STATEMENT_EVIDENCE_READ_ALL_UNITS, READ_SELECT READ_RANGE,
                               error);
    struct evidence_reader reader = {evidence, error, false};
    bool ok = statement != NULL;
    if (ok && !(store_bind_metric(statement, metric, unit, dimensions) &&
                sqlite3_bind_int(statement, 5, resolution) == SQLITE_OK &&
                sqlite3_bind_int64(statement, 6, from) == SQLITE_OK &&
                sqlite3_bind_int64(statement, 7, to) == SQLITE_OK))
        ok = store_fail_sqlite(store, error, "cannot read evidence");
    ok = ok && store_walk(store, statement, merge_row, &reader, "cannot read evidence", error) &&
         !reader.failed;
    free(dimensions);
    if (!ok)
        metric_evidence_free(evidence); /* initialised again: nothing half merged */
    return ok;
}
