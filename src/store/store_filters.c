/* Metric filter definitions: PutMetricFilter JSON keyed by log group and filter name. */
#include "store/store.h"
#include "store/store_internal.h"

bool store_metric_filter_put(struct store *store, const char *log_group, const char *name,
                             const char *definition_json, struct store_error *error)
{
    sqlite3_stmt *statement =
        store_statement(store, STATEMENT_FILTER_PUT,
                        "INSERT INTO metric_filters (log_group, name, definition_json) "
                        "VALUES (?1, ?2, ?3) ON CONFLICT (log_group, name) "
                        "DO UPDATE SET definition_json = excluded.definition_json",
                        error);
    if (!statement || !store_begin(store, error))
        return false;
    bool bound = store_bind_text(statement, 1, log_group) && store_bind_text(statement, 2, name) &&
                 store_bind_text(statement, 3, definition_json);
    bool ok = store_run(store, statement, bound, "cannot store the metric filter", error);
    return store_end(store, ok, error);
}

bool store_metric_filter_delete(struct store *store, const char *log_group, const char *name,
                                bool *deleted, struct store_error *error)
{
    sqlite3_stmt *statement =
        store_statement(store, STATEMENT_FILTER_DELETE,
                        "DELETE FROM metric_filters WHERE log_group = ?1 AND name = ?2", error);
    if (!statement || !store_begin(store, error))
        return false;
    bool bound = store_bind_text(statement, 1, log_group) && store_bind_text(statement, 2, name);
    bool ok = store_run(store, statement, bound, "cannot delete the metric filter", error);
    *deleted = ok && sqlite3_changes(store->db) > 0;
    return store_end(store, ok, error);
}

struct filter_walk {
    bool (*each)(void *context, const char *log_group, const char *name,
                 const char *definition_json);
    void *context;
};

static bool visit_filter(void *context, sqlite3_stmt *row)
{
    const struct filter_walk *walk = context;
    return walk->each(walk->context, store_column_text(row, 0), store_column_text(row, 1),
                      store_column_text(row, 2));
}

bool store_metric_filter_list(struct store *store,
                              bool (*each)(void *context, const char *log_group, const char *name,
                                           const char *definition_json),
                              void *context, struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_FILTER_LIST,
        "SELECT log_group, name, definition_json FROM metric_filters ORDER BY log_group, name",
        error);
    struct filter_walk walk = {each, context};
    return statement && store_walk(store, statement, visit_filter, &walk,
                                   "cannot list the metric filters", error);
}
