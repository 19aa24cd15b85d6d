/* store (internal): the handle and the helpers the store's files share. */
#ifndef TRAILHOUND_STORE_STORE_INTERNAL_H
#define TRAILHOUND_STORE_STORE_INTERNAL_H

#include "store/store.h"

#include <sqlite3.h>

/* Every statement the store runs more than once, prepared on first use and kept. */
enum store_statement {
    STATEMENT_FILTER_PUT,
    STATEMENT_FILTER_DELETE,
    STATEMENT_FILTER_LIST,
    STATEMENT_ALARM_INSERT,
    STATEMENT_ALARM_UPDATE,
    STATEMENT_ALARM_STATE_INSERT,
    STATEMENT_ALARM_DELETE,
    STATEMENT_ALARM_LIST,
    STATEMENT_ALARM_GET_STATE,
    STATEMENT_ALARM_SET_STATE,
    STATEMENT_HISTORY_ADD,
    STATEMENT_HISTORY_ALL_ASCENDING,
    STATEMENT_HISTORY_ALL_DESCENDING,
    STATEMENT_HISTORY_ALARM_ASCENDING,
    STATEMENT_HISTORY_ALARM_DESCENDING,
    STATEMENT_METRIC_FIND,
    STATEMENT_METRIC_INSERT,
    STATEMENT_METRICS_LIST,
    STATEMENT_DATAPOINT_MERGE,
    STATEMENT_DATAPOINT_VALUE_MERGE,
    STATEMENT_DATAPOINTS_READ_UNIT,
    STATEMENT_DATAPOINTS_READ_ALL_UNITS,
    STATEMENT_DATAPOINTS_SPAN,
    STATEMENT_DATAPOINTS_NEXT_UNIT,
    STATEMENT_DATAPOINTS_NEXT_ALL_UNITS,
    STATEMENT_SOURCE_GET,
    STATEMENT_SOURCE_SET,
    STATEMENT_SETTING_GET,
    STATEMENT_SETTING_SET,
    STATEMENT_OUTBOX_ADD,
    STATEMENT_OUTBOX_DUE,
    STATEMENT_OUTBOX_RECORD,
    STATEMENT_OUTBOX_LIST,
    STATEMENT_OUTBOX_NEXT_DUE,
    STATEMENT_OUTBOX_FIND_HELD,
    STATEMENT_OUTBOX_REPLACE_PENDING,
    STATEMENT_TOPIC_INSERT,
    STATEMENT_TOPIC_UPDATE,
    STATEMENT_TOPIC_DELETE,
    STATEMENT_TOPIC_DELETE_SUBSCRIPTIONS,
    STATEMENT_TOPIC_LIST,
    STATEMENT_SUBSCRIPTION_SUPERSEDE,
    STATEMENT_SUBSCRIPTION_INSERT,
    STATEMENT_SUBSCRIPTION_LIST,
    STATEMENT_SUBSCRIPTION_LIST_ALL,
    STATEMENT_SUBSCRIPTION_GET,
    STATEMENT_SUBSCRIPTION_DELETE,
    STATEMENT_SUBSCRIPTION_RENEW_TOKEN,
    STATEMENT_SUBSCRIPTION_UNSUBSCRIBE,
    STATEMENT_SUBSCRIPTION_FIND_TOKEN,
    STATEMENT_SUBSCRIPTION_CONFIRM,
    STATEMENT_SUBSCRIPTION_PURGE,
    STATEMENT_PRUNE_DATAPOINTS,
    STATEMENT_PRUNE_METRICS,
    STATEMENT_PRUNE_HISTORY,
    STATEMENT_PRUNE_OUTBOX,
    STATEMENT_EVIDENCE_GET,
    STATEMENT_EVIDENCE_PUT,
    STATEMENT_EVIDENCE_READ_UNIT,
    STATEMENT_EVIDENCE_READ_ALL_UNITS,
    STATEMENT_LOG_GROUP_CREATE,
    STATEMENT_LOG_GROUP_LIST,
    STATEMENT_LOG_GROUP_EXISTS,
    STATEMENT_LOG_STREAM_CREATE,
    STATEMENT_LOG_STREAM_EXISTS,
    STATEMENT_LOG_EVENT_ADD,
    STATEMENT_LOG_EVENT_LIST,
    STATEMENT_LOG_BATCH_SEEN,
    STATEMENT_LOG_BATCH_ADD,
    STATEMENT_PRUNE_LOG_BATCHES,
    STATEMENT_PRUNE_LOG_EVENTS,
    STATEMENT_COUNT,
};

struct store {
    sqlite3 *db;
    sqlite3_stmt *statements[STATEMENT_COUNT];
    int schema_version;
    /* store_begin nesting: only the outermost level talks to SQLite. `rolled_back` marks a
     * transaction a nested level rolled back, so the outer levels cannot commit half of it. */
    int transaction_depth;
    bool rolled_back;
};

/* Fills `error` (may be NULL) with "what: <SQLite's message>". Returns false. */
bool store_fail_sqlite(struct store *store, struct store_error *error, const char *what);
/* Fills `error` (may be NULL) with a formatted message. Returns false. */
__attribute__((format(printf, 2, 3))) bool store_fail(struct store_error *error, const char *format,
                                                      ...);

/* The cached statement `which` (prepared from `sql` on first use), reset and with its
 * bindings cleared; NULL with `error` filled when it cannot be prepared or is still running
 * (a callback calling back into the walk it is called from). */
sqlite3_stmt *store_statement(struct store *store, enum store_statement which, const char *sql,
                              struct store_error *error);
/* Runs a statement whose rows, if any, are not needed, and resets it. `bound` is whether
 * binding its parameters succeeded (if not, SQLite's message says why). */
bool store_run(struct store *store, sqlite3_stmt *statement, bool bound, const char *what,
               struct store_error *error);

/* Steps `statement`, calling `row` for each row until it returns false, then resets it.
 * `what` names the walk for the message when SQLite fails. */
bool store_walk(struct store *store, sqlite3_stmt *statement,
                bool (*row)(void *context, sqlite3_stmt *statement), void *context,
                const char *what, struct store_error *error);

/* Binds text, or NULL when `text` is NULL. */
bool store_bind_text(sqlite3_stmt *statement, int index, const char *text);
/* A column's text, "" when it is NULL. */
const char *store_column_text(sqlite3_stmt *statement, int column);

/* Ends a write that began with store_begin: commits when `ok`, else rolls back. Returns
 * whether it committed. */
bool store_end(struct store *store, bool ok, struct store_error *error);

/* A dimension set as canonical JSON text, the metrics table's dimensions_json: an object
 * with keys sorted by byte value (malloc'ed). NULL with `error` filled when a dimension has
 * no name or value, a name is there twice, or memory runs out. */
char *store_dimensions_json(const struct metric_identity *identity, struct store_error *error);
/* Binds a metric's row in the metrics table: ?1 its namespace, ?2 its name, ?3 `dimensions`
 * (store_dimensions_json) and, when `unit` is not NULL, ?4 the unit. */
bool store_bind_metric(sqlite3_stmt *statement, const struct metric_identity *metric,
                       const char *unit, const char *dimensions);

/* Applies every migration the database lacks (store_schema.c). */
bool store_schema_migrate(struct store *store, struct store_error *error);

/* Milliseconds since the epoch. */
int64_t store_now_ms(void);

#endif
