/* Log groups, streams and events made through the API (schema 6); the digests of the
 * PutLogEvents batches the daemon counted (schema 7). */
#include "store/store.h"
#include "store/store_internal.h"

#include <string.h>

bool store_log_group_create(struct store *store, const char *name, int64_t now_ms, bool *created,
                            struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_LOG_GROUP_CREATE,
        "INSERT INTO log_groups (name, created_ms) VALUES (?1, ?2) ON CONFLICT DO NOTHING", error);
    if (!statement || !store_begin(store, error))
        return false;
    bool bound = store_bind_text(statement, 1, name) &&
                 sqlite3_bind_int64(statement, 2, now_ms) == SQLITE_OK;
    bool ok = store_run(store, statement, bound, "cannot create the log group", error);
    *created = ok && sqlite3_changes(store->db) > 0;
    return store_end(store, ok, error);
}

static bool note_found(void *context, sqlite3_stmt *row)
{
    (void)row;
    *(bool *)context = true;
    return false;
}

bool store_log_group_exists(struct store *store, const char *name, bool *found,
                            struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(store, STATEMENT_LOG_GROUP_EXISTS,
                                              "SELECT 1 FROM log_groups WHERE name = ?1", error);
    *found = false;
    return statement && store_bind_text(statement, 1, name) &&
           store_walk(store, statement, note_found, found, "cannot read the log groups", error);
}

struct group_walk {
    bool (*each)(void *context, const struct store_log_group *group);
    void *context;
};

static bool visit_group(void *context, sqlite3_stmt *row)
{
    const struct group_walk *walk = context;
    struct store_log_group group = {
        .name = store_column_text(row, 0),
        .created_ms = sqlite3_column_int64(row, 1),
        .metric_filter_count = sqlite3_column_int64(row, 2),
        .stored_bytes = sqlite3_column_int64(row, 3),
    };
    return walk->each(walk->context, &group);
}

bool store_log_group_list(struct store *store, const char *prefix,
                          bool (*each)(void *context, const struct store_log_group *group),
                          void *context, struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_LOG_GROUP_LIST,
        "SELECT g.name, g.created_ms,"
        " (SELECT count(*) FROM metric_filters f WHERE f.log_group = g.name),"
        " (SELECT coalesce(sum(length(CAST(e.message AS BLOB))), 0) FROM log_events e"
        "  WHERE e.log_group = g.name)"
        " FROM log_groups g WHERE substr(g.name, 1, length(?1)) = ?1 ORDER BY g.name",
        error);
    struct group_walk walk = {each, context};
    return statement && store_bind_text(statement, 1, prefix ? prefix : "") &&
           store_walk(store, statement, visit_group, &walk, "cannot list the log groups", error);
}

bool store_log_stream_create(struct store *store, const char *group, const char *stream,
                             int64_t now_ms, bool *created, struct store_error *error)
{
    sqlite3_stmt *statement =
        store_statement(store, STATEMENT_LOG_STREAM_CREATE,
                        "INSERT INTO log_streams (log_group, name, created_ms) VALUES (?1, ?2, ?3)"
                        " ON CONFLICT DO NOTHING",
                        error);
    if (!statement || !store_begin(store, error))
        return false;
    bool bound = store_bind_text(statement, 1, group) && store_bind_text(statement, 2, stream) &&
                 sqlite3_bind_int64(statement, 3, now_ms) == SQLITE_OK;
    bool ok = store_run(store, statement, bound, "cannot create the log stream", error);
    *created = ok && sqlite3_changes(store->db) > 0;
    return store_end(store, ok, error);
}

bool store_log_stream_exists(struct store *store, const char *group, const char *stream,
                             bool *found, struct store_error *error)
{
    sqlite3_stmt *statement =
        store_statement(store, STATEMENT_LOG_STREAM_EXISTS,
                        "SELECT 1 FROM log_streams WHERE log_group = ?1 AND name = ?2", error);
    *found = false;
    return statement && store_bind_text(statement, 1, group) &&
           store_bind_text(statement, 2, stream) &&
           store_walk(store, statement, note_found, found, "cannot read the log streams", error);
}

bool store_log_events_add(struct store *store, const char *group, const char *stream,
                          const char *const *messages, const int64_t *timestamps_ms, size_t count,
                          int64_t ingestion_ms, struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_LOG_EVENT_ADD,
        "INSERT INTO log_events (log_group, log_stream, timestamp_ms, ingestion_ms, message)"
        " VALUES (?1, ?2, ?3, ?4, ?5)",
        error);
    if (!statement || !store_begin(store, error))
        return false;
    bool ok = true;
    for (size_t i = 0; ok && i < count; i++) {
        bool bound = store_bind_text(statement, 1, group) &&
                     store_bind_text(statement, 2, stream) &&
                     sqlite3_bind_int64(statement, 3, timestamps_ms[i]) == SQLITE_OK &&
                     sqlite3_bind_int64(statement, 4, ingestion_ms) == SQLITE_OK &&
                     store_bind_text(statement, 5, messages[i]);
        ok = store_run(store, statement, bound, "cannot store the log events", error);
    }
    return store_end(store, ok, error);
}

struct event_walk {
    bool (*each)(void *context, const struct store_log_event *event);
    void *context;
};

static bool visit_event(void *context, sqlite3_stmt *row)
{
    const struct event_walk *walk = context;
    struct store_log_event event = {
        .id = sqlite3_column_int64(row, 0),
        .log_stream = store_column_text(row, 1),
        .timestamp_ms = sqlite3_column_int64(row, 2),
        .ingestion_ms = sqlite3_column_int64(row, 3),
        .message = store_column_text(row, 4),
    };
    return walk->each(walk->context, &event);
}

bool store_log_events_list(struct store *store, const struct store_log_event_query *query,
                           bool (*each)(void *context, const struct store_log_event *event),
                           void *context, struct store_error *error)
{
    sqlite3_stmt *statement =
        store_statement(store, STATEMENT_LOG_EVENT_LIST,
                        "SELECT id, log_stream, timestamp_ms, ingestion_ms, message FROM log_events"
                        " WHERE log_group = ?1 AND timestamp_ms BETWEEN ?2 AND ?3 AND id > ?4"
                        " AND substr(log_stream, 1, length(?5)) = ?5 ORDER BY timestamp_ms, id",
                        error);
    struct event_walk walk = {each, context};
    return statement && store_bind_text(statement, 1, query->log_group) &&
           sqlite3_bind_int64(statement, 2, query->start_ms) == SQLITE_OK &&
           sqlite3_bind_int64(statement, 3, query->end_ms) == SQLITE_OK &&
           sqlite3_bind_int64(statement, 4, query->after_id) == SQLITE_OK &&
           store_bind_text(statement, 5, query->stream_prefix ? query->stream_prefix : "") &&
           store_walk(store, statement, visit_event, &walk, "cannot read the log events", error);
}

bool store_log_batch_seen(struct store *store, const char *digest, bool *seen,
                          struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(store, STATEMENT_LOG_BATCH_SEEN,
                                              "SELECT 1 FROM log_batches WHERE digest = ?1", error);
    *seen = false;
    return statement && store_bind_text(statement, 1, digest) &&
           store_walk(store, statement, note_found, seen, "cannot read the log batch digests",
                      error);
}

bool store_log_batch_add(struct store *store, const char *digest, int64_t received_ms,
                         struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_LOG_BATCH_ADD,
        "INSERT INTO log_batches (digest, received_ms) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        error);
    if (!statement || !store_begin(store, error))
        return false;
    bool bound = store_bind_text(statement, 1, digest) &&
                 sqlite3_bind_int64(statement, 2, received_ms) == SQLITE_OK;
    bool ok = store_run(store, statement, bound, "cannot store the log batch digest", error);
    return store_end(store, ok, error);
}

bool store_log_events_prune(struct store *store, int64_t before_ms, struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_PRUNE_LOG_EVENTS, "DELETE FROM log_events WHERE timestamp_ms < ?1", error);
    if (!statement)
        return false;
    bool bound = sqlite3_bind_int64(statement, 1, before_ms) == SQLITE_OK;
    return store_run(store, statement, bound, "cannot prune the log events", error);
}

bool store_log_batches_prune(struct store *store, int64_t before_ms, struct store_error *error)
{
    sqlite3_stmt *statement =
        store_statement(store, STATEMENT_PRUNE_LOG_BATCHES,
                        "DELETE FROM log_batches WHERE received_ms < ?1", error);
    if (!statement)
        return false;
    bool bound = sqlite3_bind_int64(statement, 1, before_ms) == SQLITE_OK;
    return store_run(store, statement, bound, "cannot prune the log batch digests", error);
}
