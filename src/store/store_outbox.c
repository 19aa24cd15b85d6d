/* The notification outbox (schema 4): messages written in the transaction of the state
 * change that causes them, handed out in id order per (subscription, alarm), and kept with
 * their outcome once delivered or parked as failed. */
#include "store/store.h"
#include "store/store_internal.h"

#include <stdint.h>

#define OUTBOX_COLUMNS                                                                             \
    "id, message_id, alarm_name, topic_arn, subscription_arn, protocol, endpoint, subject, "       \
    "body, attributes_json, policy, state, attempts, created_ms, first_attempt_ms, "               \
    "next_attempt_ms, last_error"

/* A pending message is next in line when no older message for the same subscription and
 * alarm is pending. `IS` so that messages without an alarm (NULL) queue together too. */
#define OUTBOX_HEAD_OF_LINE                                                                        \
    "o.state = 'pending' AND NOT EXISTS (SELECT 1 FROM outbox AS earlier "                         \
    "WHERE earlier.subscription_arn = o.subscription_arn AND earlier.alarm_name IS o.alarm_name "  \
    "AND earlier.state = 'pending' AND earlier.id < o.id)"

/* SQLite reads a negative LIMIT as "no limit". */
static int64_t sql_limit(size_t limit)
{
    return limit == 0 || limit > INT64_MAX ? -1 : (int64_t)limit;
}

/* A column's text, NULL when it is NULL. */
static const char *column_text_or_null(sqlite3_stmt *statement, int column)
{
    return (const char *)sqlite3_column_text(statement, column);
}

static bool bind_message(sqlite3_stmt *statement, const struct store_outbox_message *message)
{
    return store_bind_text(statement, 1, message->message_id) &&
           store_bind_text(statement, 2, message->alarm_name) &&
           store_bind_text(statement, 3, message->topic_arn) &&
           store_bind_text(statement, 4, message->subscription_arn) &&
           store_bind_text(statement, 5, message->protocol) &&
           store_bind_text(statement, 6, message->endpoint) &&
           store_bind_text(statement, 7, message->subject) &&
           store_bind_text(statement, 8, message->body) &&
           store_bind_text(statement, 9, message->attributes_json) &&
           store_bind_text(statement, 10, message->policy) &&
           sqlite3_bind_int64(statement, 11, message->created_ms) == SQLITE_OK &&
           sqlite3_bind_int64(statement, 12, message->next_attempt_ms) == SQLITE_OK;
}

bool store_outbox_add(struct store *store, struct store_outbox_message *message,
                      struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_OUTBOX_ADD,
        "INSERT INTO outbox (message_id, alarm_name, topic_arn, subscription_arn, protocol, "
        "endpoint, subject, body, attributes_json, policy, state, attempts, created_ms, "
        "first_attempt_ms, next_attempt_ms, last_error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
        "?8, ?9, ?10, 'pending', 0, ?11, NULL, ?12, NULL)",
        error);
    if (!statement || !store_begin(store, error))
        return false;
    bool ok = store_run(store, statement, bind_message(statement, message),
                        "cannot add the message to the outbox", error);
    if (ok)
        message->id = sqlite3_last_insert_rowid(store->db);
    return store_end(store, ok, error);
}

struct outbox_walk {
    bool (*each)(void *context, const struct store_outbox_message *message);
    void *context;
};

static bool visit_message(void *context, sqlite3_stmt *row)
{
    const struct outbox_walk *walk = context;
    struct store_outbox_message message = {
        .id = sqlite3_column_int64(row, 0),
        .message_id = store_column_text(row, 1),
        .alarm_name = column_text_or_null(row, 2),
        .topic_arn = store_column_text(row, 3),
        .subscription_arn = store_column_text(row, 4),
        .protocol = store_column_text(row, 5),
        .endpoint = store_column_text(row, 6),
        .subject = column_text_or_null(row, 7),
        .body = store_column_text(row, 8),
        .attributes_json = store_column_text(row, 9),
        .policy = store_column_text(row, 10),
        .state = store_column_text(row, 11),
        .attempts = sqlite3_column_int(row, 12),
        .created_ms = sqlite3_column_int64(row, 13),
        .first_attempt_ms = sqlite3_column_int64(row, 14), /* NULL reads as 0: none yet */
        .next_attempt_ms = sqlite3_column_int64(row, 15),
        .last_error = column_text_or_null(row, 16),
    };
    return walk->each(walk->context, &message);
}

bool store_outbox_due(struct store *store, int64_t now_ms, size_t limit,
                      bool (*each)(void *context, const struct store_outbox_message *message),
                      void *context, struct store_error *error)
{
    sqlite3_stmt *statement =
        store_statement(store, STATEMENT_OUTBOX_DUE,
                        "SELECT " OUTBOX_COLUMNS
                        " FROM outbox AS o WHERE o.next_attempt_ms <= ?1 AND " OUTBOX_HEAD_OF_LINE
                        " ORDER BY o.id LIMIT ?2",
                        error);
    if (!statement)
        return false;
    if (sqlite3_bind_int64(statement, 1, now_ms) != SQLITE_OK ||
        sqlite3_bind_int64(statement, 2, sql_limit(limit)) != SQLITE_OK)
        return store_fail_sqlite(store, error, "cannot read the due messages");
    struct outbox_walk walk = {each, context};
    return store_walk(store, statement, visit_message, &walk, "cannot read the due messages",
                      error);
}

bool store_outbox_record(struct store *store, int64_t id, const char *state, int attempts,
                         int64_t first_attempt_ms, int64_t next_attempt_ms, const char *last_error,
                         struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_OUTBOX_RECORD,
        "UPDATE outbox SET state = ?2, attempts = ?3, first_attempt_ms = nullif(?4, 0), "
        "next_attempt_ms = ?5, last_error = ?6 WHERE id = ?1",
        error);
    if (!statement || !store_begin(store, error))
        return false;
    bool bound = sqlite3_bind_int64(statement, 1, id) == SQLITE_OK &&
                 store_bind_text(statement, 2, state) &&
                 sqlite3_bind_int(statement, 3, attempts) == SQLITE_OK &&
                 sqlite3_bind_int64(statement, 4, first_attempt_ms) == SQLITE_OK &&
                 sqlite3_bind_int64(statement, 5, next_attempt_ms) == SQLITE_OK &&
                 store_bind_text(statement, 6, last_error);
    bool ok = store_run(store, statement, bound, "cannot record the delivery attempt", error);
    if (ok && sqlite3_changes(store->db) == 0)
        ok = store_fail(error, "cannot record the delivery attempt: no outbox message %lld",
                        (long long)id);
    return store_end(store, ok, error);
}

bool store_outbox_list(struct store *store, const char *state, size_t limit,
                       bool (*each)(void *context, const struct store_outbox_message *message),
                       void *context, struct store_error *error)
{
    sqlite3_stmt *statement =
        store_statement(store, STATEMENT_OUTBOX_LIST,
                        "SELECT " OUTBOX_COLUMNS " FROM outbox AS o "
                        "WHERE ?1 IS NULL OR o.state = ?1 ORDER BY o.id DESC LIMIT ?2",
                        error);
    if (!statement)
        return false;
    if (!store_bind_text(statement, 1, state) ||
        sqlite3_bind_int64(statement, 2, sql_limit(limit)) != SQLITE_OK)
        return store_fail_sqlite(store, error, "cannot list the outbox");
    struct outbox_walk walk = {each, context};
    return store_walk(store, statement, visit_message, &walk, "cannot list the outbox", error);
}

bool store_outbox_next_due(struct store *store, bool *found, int64_t *next_ms,
                           struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_OUTBOX_NEXT_DUE,
        "SELECT min(o.next_attempt_ms) FROM outbox AS o WHERE " OUTBOX_HEAD_OF_LINE, error);
    *found = false;
    if (!statement)
        return false;
    int status = sqlite3_step(statement);
    bool ok = status == SQLITE_ROW;
    if (!ok)
        store_fail_sqlite(store, error, "cannot read the next due message");
    else if (sqlite3_column_type(statement, 0) != SQLITE_NULL) {
        *found = true;
        *next_ms = sqlite3_column_int64(statement, 0);
    }
    sqlite3_reset(statement);
    return ok;
}

bool store_outbox_find_held(struct store *store, const char *subscription_arn,
                            const char *alarm_name, int64_t now_ms,
                            bool (*each)(void *context, const struct store_outbox_message *message),
                            void *context, struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_OUTBOX_FIND_HELD,
        "SELECT " OUTBOX_COLUMNS " FROM outbox AS o WHERE o.subscription_arn = ?1 AND "
        "o.alarm_name IS ?2 AND o.state = 'pending' AND o.attempts = 0 AND "
        "o.next_attempt_ms > ?3 ORDER BY o.id DESC LIMIT 1",
        error);
    if (!statement)
        return false;
    if (!store_bind_text(statement, 1, subscription_arn) ||
        !store_bind_text(statement, 2, alarm_name) ||
        sqlite3_bind_int64(statement, 3, now_ms) != SQLITE_OK)
        return store_fail_sqlite(store, error, "cannot look for a held message");
    struct outbox_walk walk = {each, context};
    return store_walk(store, statement, visit_message, &walk, "cannot look for a held message",
                      error);
}

bool store_outbox_replace_pending(struct store *store, int64_t id, const char *subject,
                                  const char *body, const char *attributes_json,
                                  int64_t next_attempt_ms, bool *replaced,
                                  struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_OUTBOX_REPLACE_PENDING,
        "UPDATE outbox SET subject = ?2, body = ?3, attributes_json = ?4, next_attempt_ms = ?5 "
        "WHERE id = ?1 AND state = 'pending' AND attempts = 0",
        error);
    *replaced = false;
    if (!statement || !store_begin(store, error))
        return false;
    bool bound = sqlite3_bind_int64(statement, 1, id) == SQLITE_OK &&
                 store_bind_text(statement, 2, subject) && store_bind_text(statement, 3, body) &&
                 store_bind_text(statement, 4, attributes_json) &&
                 sqlite3_bind_int64(statement, 5, next_attempt_ms) == SQLITE_OK;
    bool ok = store_run(store, statement, bound, "cannot replace the held message", error);
    *replaced = ok && sqlite3_changes(store->db) == 1;
    return store_end(store, ok, error);
}
