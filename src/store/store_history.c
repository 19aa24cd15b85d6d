/* Alarm history (alarms.md §7): items outlive their alarm, so they are keyed by name
 * only, not by a reference to the alarms table. */
#include "store/store.h"
#include "store/store_internal.h"

#include <stdint.h>

bool store_history_add(struct store *store, const struct store_history_item *item,
                       struct store_error *error)
{
    sqlite3_stmt *statement =
        store_statement(store, STATEMENT_HISTORY_ADD,
                        "INSERT INTO alarm_history (alarm_name, timestamp_ms, type, summary, "
                        "data) VALUES (?1, ?2, ?3, ?4, ?5)",
                        error);
    if (!statement || !store_begin(store, error))
        return false;
    bool bound = store_bind_text(statement, 1, item->alarm_name) &&
                 sqlite3_bind_int64(statement, 2, item->timestamp_ms) == SQLITE_OK &&
                 store_bind_text(statement, 3, item->type) &&
                 store_bind_text(statement, 4, item->summary) &&
                 store_bind_text(statement, 5, item->data);
    bool ok = store_run(store, statement, bound, "cannot store the alarm history item", error);
    return store_end(store, ok, error);
}

/* One statement per (name filter, direction), so each can use its index: by alarm and time
 * (alarm_history_by_alarm) or by time (alarm_history_by_time). Equal timestamps keep the
 * order items were added in (their id). */
#define HISTORY_SELECT "SELECT alarm_name, timestamp_ms, type, summary, data FROM alarm_history "
#define HISTORY_FILTERS "timestamp_ms >= ?1 AND timestamp_ms < ?2 AND (?3 IS NULL OR type = ?3) "
#define HISTORY_ASCENDING "ORDER BY timestamp_ms, id LIMIT ?4"
#define HISTORY_DESCENDING "ORDER BY timestamp_ms DESC, id DESC LIMIT ?4"

static sqlite3_stmt *history_statement(struct store *store, const struct store_history_query *query,
                                       struct store_error *error)
{
    if (query->alarm_name && query->ascending)
        return store_statement(
            store, STATEMENT_HISTORY_ALARM_ASCENDING,
            HISTORY_SELECT "WHERE alarm_name = ?5 AND " HISTORY_FILTERS HISTORY_ASCENDING, error);
    if (query->alarm_name)
        return store_statement(
            store, STATEMENT_HISTORY_ALARM_DESCENDING,
            HISTORY_SELECT "WHERE alarm_name = ?5 AND " HISTORY_FILTERS HISTORY_DESCENDING, error);
    if (query->ascending)
        return store_statement(store, STATEMENT_HISTORY_ALL_ASCENDING,
                               HISTORY_SELECT "WHERE " HISTORY_FILTERS HISTORY_ASCENDING, error);
    return store_statement(store, STATEMENT_HISTORY_ALL_DESCENDING,
                           HISTORY_SELECT "WHERE " HISTORY_FILTERS HISTORY_DESCENDING, error);
}

static bool bind_history_query(sqlite3_stmt *statement, const struct store_history_query *query)
{
    /* SQLite reads a negative LIMIT as "no limit". */
    int64_t limit = query->limit == 0 || query->limit > INT64_MAX ? -1 : (int64_t)query->limit;
    return sqlite3_bind_int64(statement, 1, query->start_ms) == SQLITE_OK &&
           sqlite3_bind_int64(statement, 2, query->end_ms) == SQLITE_OK &&
           store_bind_text(statement, 3, query->type) &&
           sqlite3_bind_int64(statement, 4, limit) == SQLITE_OK &&
           (!query->alarm_name || store_bind_text(statement, 5, query->alarm_name));
}

struct history_walk {
    bool (*each)(void *context, const struct store_history_item *item);
    void *context;
};

static bool visit_history_item(void *context, sqlite3_stmt *row)
{
    const struct history_walk *walk = context;
    struct store_history_item item = {
        .alarm_name = store_column_text(row, 0),
        .timestamp_ms = sqlite3_column_int64(row, 1),
        .type = store_column_text(row, 2),
        .summary = store_column_text(row, 3),
        .data = store_column_text(row, 4),
    };
    return walk->each(walk->context, &item);
}

bool store_history_list(struct store *store, const struct store_history_query *query,
                        bool (*each)(void *context, const struct store_history_item *item),
                        void *context, struct store_error *error)
{
    sqlite3_stmt *statement = history_statement(store, query, error);
    if (!statement)
        return false;
    if (!bind_history_query(statement, query))
        return store_fail_sqlite(store, error, "cannot list the alarm history");
    struct history_walk walk = {each, context};
    return store_walk(store, statement, visit_history_item, &walk, "cannot list the alarm history",
                      error);
}
