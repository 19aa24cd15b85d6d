/* The daemon's bookkeeping: read progress per source, small settings, and retention. */
#include "store/store.h"
#include "store/store_internal.h"

#include <stdlib.h>
#include <string.h>

bool store_source_get(struct store *store, const char *identity, bool *found, uint64_t *offset,
                      struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_SOURCE_GET, "SELECT offset FROM sources WHERE identity = ?1", error);
    *found = false;
    if (!statement)
        return false;
    int status = store_bind_text(statement, 1, identity) ? sqlite3_step(statement) : SQLITE_ERROR;
    bool ok = status == SQLITE_ROW || status == SQLITE_DONE;
    if (!ok)
        store_fail_sqlite(store, error, "cannot read the source's offset");
    if (status == SQLITE_ROW) {
        *found = true;
        *offset = (uint64_t)sqlite3_column_int64(statement, 0);
    }
    sqlite3_reset(statement);
    return ok;
}

bool store_source_set(struct store *store, const char *identity, uint64_t offset,
                      struct store_error *error)
{
    if (offset > INT64_MAX)
        return store_fail(error, "cannot store offset %llu of source %s: beyond 2^63 - 1",
                          (unsigned long long)offset, identity);
    sqlite3_stmt *statement =
        store_statement(store, STATEMENT_SOURCE_SET,
                        "INSERT INTO sources (identity, offset, updated_ms) VALUES (?1, ?2, ?3) "
                        "ON CONFLICT (identity) DO UPDATE SET offset = excluded.offset, "
                        "updated_ms = excluded.updated_ms",
                        error);
    if (!statement || !store_begin(store, error))
        return false;
    bool bound = store_bind_text(statement, 1, identity) &&
                 sqlite3_bind_int64(statement, 2, (int64_t)offset) == SQLITE_OK &&
                 sqlite3_bind_int64(statement, 3, store_now_ms()) == SQLITE_OK;
    bool ok = store_run(store, statement, bound, "cannot store the source's offset", error);
    return store_end(store, ok, error);
}

bool store_setting_get(struct store *store, const char *name, char **value,
                       struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(store, STATEMENT_SETTING_GET,
                                              "SELECT value FROM settings WHERE name = ?1", error);
    *value = NULL;
    if (!statement)
        return false;
    int status = store_bind_text(statement, 1, name) ? sqlite3_step(statement) : SQLITE_ERROR;
    bool ok = status == SQLITE_ROW || status == SQLITE_DONE;
    if (!ok)
        store_fail_sqlite(store, error, "cannot read the setting");
    if (status == SQLITE_ROW && !(*value = strdup(store_column_text(statement, 0))))
        ok = store_fail(error, "out of memory");
    sqlite3_reset(statement);
    return ok;
}

bool store_setting_set(struct store *store, const char *name, const char *value,
                       struct store_error *error)
{
    sqlite3_stmt *statement =
        store_statement(store, STATEMENT_SETTING_SET,
                        "INSERT INTO settings (name, value) VALUES (?1, ?2) "
                        "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                        error);
    if (!statement || !store_begin(store, error))
        return false;
    bool bound = store_bind_text(statement, 1, name) && store_bind_text(statement, 2, value);
    bool ok = store_run(store, statement, bound, "cannot store the setting", error);
    return store_end(store, ok, error);
}

/* Runs one DELETE, binding `before` to its parameter when it has one. */
static bool prune_step(struct store *store, enum store_statement which, const char *sql,
                       int64_t before, const char *what, struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(store, which, sql, error);
    if (!statement)
        return false;
    bool bound = sqlite3_bind_parameter_count(statement) == 0 ||
                 sqlite3_bind_int64(statement, 1, before) == SQLITE_OK;
    return store_run(store, statement, bound, what, error);
}

/* A bucket's values go with it (ON DELETE CASCADE); a metric left without buckets is
 * forgotten too, so store_metrics_list lists what the retention keeps, as ListMetrics. */
bool store_prune(struct store *store, int64_t datapoints_before, int64_t history_before_ms,
                 struct store_error *error)
{
    if (!store_begin(store, error))
        return false;
    bool ok =
        prune_step(store, STATEMENT_PRUNE_DATAPOINTS, "DELETE FROM datapoints WHERE timestamp < ?1",
                   datapoints_before, "cannot prune data points", error) &&
        prune_step(store, STATEMENT_PRUNE_METRICS,
                   "DELETE FROM metrics WHERE NOT EXISTS "
                   "(SELECT 1 FROM datapoints WHERE metric_id = metrics.id)",
                   0, "cannot prune metrics", error) &&
        prune_step(store, STATEMENT_PRUNE_HISTORY,
                   "DELETE FROM alarm_history WHERE timestamp_ms < ?1", history_before_ms,
                   "cannot prune the alarm history", error) &&
        prune_step(store, STATEMENT_PRUNE_OUTBOX,
                   "DELETE FROM outbox WHERE state != 'pending' AND created_ms < ?1",
                   history_before_ms, "cannot prune delivered notifications", error);
    return store_end(store, ok, error);
}
