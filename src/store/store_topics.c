/* Topics and subscriptions made through the API (schema 5): SNS's model — a topic, its
 * subscriptions, and the confirmation tokens that turn a pending subscription into a
 * confirmed one (or restore an unsubscribed one). Every write joins the caller's
 * transaction. */
#include "store/store.h"
#include "store/store_internal.h"

#include <stdlib.h>
#include <string.h>

#define SUBSCRIPTION_COLUMNS                                                                       \
    "arn, topic_arn, protocol, endpoint, attributes_json, state, token, token_expires_ms, "        \
    "created_ms, confirmed_ms"

/* A column's text, NULL when it is NULL. */
static const char *column_text_or_null(sqlite3_stmt *statement, int column)
{
    return (const char *)sqlite3_column_text(statement, column);
}

/* 0 binds NULL: "none" for the optional times. */
static bool bind_time_or_null(sqlite3_stmt *statement, int index, int64_t time_ms)
{
    return (time_ms ? sqlite3_bind_int64(statement, index, time_ms)
                    : sqlite3_bind_null(statement, index)) == SQLITE_OK;
}

/* Runs a one-statement write in its own (or the caller's) transaction; `changed` (may be
 * NULL) tells whether it touched a row. */
static bool write_one(struct store *store, sqlite3_stmt *statement, bool bound, const char *what,
                      bool *changed, struct store_error *error)
{
    if (!store_begin(store, error))
        return false;
    bool ok = store_run(store, statement, bound, what, error);
    if (ok && changed)
        *changed = sqlite3_changes(store->db) > 0;
    return store_end(store, ok, error);
}

/* ---- topics ------------------------------------------------------------------------------ */

static bool update_topic(struct store *store, const struct store_topic *topic, bool *updated,
                         struct store_error *error)
{
    sqlite3_stmt *statement =
        store_statement(store, STATEMENT_TOPIC_UPDATE,
                        "UPDATE topics SET name = ?2, attributes_json = ?3 WHERE arn = ?1", error);
    if (!statement)
        return false;
    bool bound = store_bind_text(statement, 1, topic->arn) &&
                 store_bind_text(statement, 2, topic->name) &&
                 store_bind_text(statement, 3, topic->attributes_json);
    if (!store_run(store, statement, bound, "cannot update the topic", error))
        return false;
    *updated = sqlite3_changes(store->db) > 0;
    return true;
}

static bool insert_topic(struct store *store, const struct store_topic *topic,
                         struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_TOPIC_INSERT,
        "INSERT INTO topics (arn, name, attributes_json, created_ms) VALUES (?1, ?2, ?3, ?4)",
        error);
    if (!statement)
        return false;
    bool bound = store_bind_text(statement, 1, topic->arn) &&
                 store_bind_text(statement, 2, topic->name) &&
                 store_bind_text(statement, 3, topic->attributes_json) &&
                 sqlite3_bind_int64(statement, 4, topic->created_ms) == SQLITE_OK;
    return store_run(store, statement, bound, "cannot add the topic", error);
}

bool store_topic_put(struct store *store, const struct store_topic *topic, bool *created,
                     struct store_error *error)
{
    *created = false;
    if (!store_begin(store, error))
        return false;
    bool updated = false;
    bool ok = update_topic(store, topic, &updated, error) &&
              (updated || insert_topic(store, topic, error));
    *created = ok && !updated;
    return store_end(store, ok, error);
}

bool store_topic_delete(struct store *store, const char *arn, bool *deleted,
                        struct store_error *error)
{
    *deleted = false;
    sqlite3_stmt *topic =
        store_statement(store, STATEMENT_TOPIC_DELETE, "DELETE FROM topics WHERE arn = ?1", error);
    sqlite3_stmt *subscriptions =
        store_statement(store, STATEMENT_TOPIC_DELETE_SUBSCRIPTIONS,
                        "DELETE FROM subscriptions WHERE topic_arn = ?1", error);
    if (!topic || !subscriptions || !store_begin(store, error))
        return false;
    bool ok =
        store_run(store, topic, store_bind_text(topic, 1, arn), "cannot delete the topic", error);
    if (ok)
        *deleted = sqlite3_changes(store->db) > 0;
    ok = ok && store_run(store, subscriptions, store_bind_text(subscriptions, 1, arn),
                         "cannot delete the topic's subscriptions", error);
    return store_end(store, ok, error);
}

struct topic_walk {
    bool (*each)(void *context, const struct store_topic *topic);
    void *context;
};

static bool visit_topic(void *context, sqlite3_stmt *row)
{
    const struct topic_walk *walk = context;
    struct store_topic topic = {.arn = store_column_text(row, 0),
                                .name = store_column_text(row, 1),
                                .attributes_json = store_column_text(row, 2),
                                .created_ms = sqlite3_column_int64(row, 3)};
    return walk->each(walk->context, &topic);
}

bool store_topic_list(struct store *store,
                      bool (*each)(void *context, const struct store_topic *topic), void *context,
                      struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_TOPIC_LIST,
        "SELECT arn, name, attributes_json, created_ms FROM topics ORDER BY arn", error);
    if (!statement)
        return false;
    struct topic_walk walk = {each, context};
    return store_walk(store, statement, visit_topic, &walk, "cannot list the topics", error);
}

/* ---- subscriptions ----------------------------------------------------------------------- */

/* An earlier unsubscribe of the same endpoint kept its row for restoring; a new subscription
 * replaces it, or the topic would hold the endpoint twice once the old token came back. */
static bool drop_superseded(struct store *store, const struct store_subscription *subscription,
                            struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_SUBSCRIPTION_SUPERSEDE,
        "DELETE FROM subscriptions WHERE topic_arn = ?1 AND protocol = ?2 AND endpoint = ?3 "
        "AND state = 'unsubscribed'",
        error);
    if (!statement)
        return false;
    bool bound = store_bind_text(statement, 1, subscription->topic_arn) &&
                 store_bind_text(statement, 2, subscription->protocol) &&
                 store_bind_text(statement, 3, subscription->endpoint);
    return store_run(store, statement, bound, "cannot replace the unsubscribed subscription",
                     error);
}

static bool insert_subscription(struct store *store, const struct store_subscription *subscription,
                                struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(store, STATEMENT_SUBSCRIPTION_INSERT,
                                              "INSERT INTO subscriptions (" SUBSCRIPTION_COLUMNS
                                              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                                              error);
    if (!statement)
        return false;
    bool bound = store_bind_text(statement, 1, subscription->arn) &&
                 store_bind_text(statement, 2, subscription->topic_arn) &&
                 store_bind_text(statement, 3, subscription->protocol) &&
                 store_bind_text(statement, 4, subscription->endpoint) &&
                 store_bind_text(statement, 5, subscription->attributes_json) &&
                 store_bind_text(statement, 6, subscription->state) &&
                 store_bind_text(statement, 7, subscription->token) &&
                 bind_time_or_null(statement, 8, subscription->token_expires_ms) &&
                 sqlite3_bind_int64(statement, 9, subscription->created_ms) == SQLITE_OK &&
                 bind_time_or_null(statement, 10, subscription->confirmed_ms);
    return store_run(store, statement, bound, "cannot add the subscription", error);
}

bool store_subscription_add(struct store *store, const struct store_subscription *subscription,
                            struct store_error *error)
{
    if (!store_begin(store, error))
        return false;
    bool ok = drop_superseded(store, subscription, error) &&
              insert_subscription(store, subscription, error);
    return store_end(store, ok, error);
}

struct subscription_walk {
    bool (*each)(void *context, const struct store_subscription *subscription);
    void *context;
    bool visited;
};

static bool visit_subscription(void *context, sqlite3_stmt *row)
{
    struct subscription_walk *walk = context;
    struct store_subscription subscription = {
        .arn = store_column_text(row, 0),
        .topic_arn = store_column_text(row, 1),
        .protocol = store_column_text(row, 2),
        .endpoint = store_column_text(row, 3),
        .attributes_json = store_column_text(row, 4),
        .state = store_column_text(row, 5),
        .token = column_text_or_null(row, 6),
        .token_expires_ms = sqlite3_column_int64(row, 7), /* NULL reads as 0: none */
        .created_ms = sqlite3_column_int64(row, 8),
        .confirmed_ms = sqlite3_column_int64(row, 9),
    };
    walk->visited = true;
    return walk->each(walk->context, &subscription);
}

bool store_subscription_list(struct store *store, const char *topic_arn,
                             bool (*each)(void *context,
                                          const struct store_subscription *subscription),
                             void *context, struct store_error *error)
{
    sqlite3_stmt *statement =
        topic_arn ? store_statement(store, STATEMENT_SUBSCRIPTION_LIST,
                                    "SELECT " SUBSCRIPTION_COLUMNS " FROM subscriptions "
                                    "WHERE topic_arn = ?1 AND state != 'unsubscribed' "
                                    "ORDER BY created_ms, rowid",
                                    error)
                  : store_statement(store, STATEMENT_SUBSCRIPTION_LIST_ALL,
                                    "SELECT " SUBSCRIPTION_COLUMNS " FROM subscriptions "
                                    "WHERE state != 'unsubscribed' ORDER BY created_ms, rowid",
                                    error);
    if (!statement)
        return false;
    if (topic_arn && !store_bind_text(statement, 1, topic_arn))
        return store_fail_sqlite(store, error, "cannot list the subscriptions");
    struct subscription_walk walk = {each, context, false};
    return store_walk(store, statement, visit_subscription, &walk, "cannot list the subscriptions",
                      error);
}

bool store_subscription_get(struct store *store, const char *arn, bool *found,
                            bool (*each)(void *context,
                                         const struct store_subscription *subscription),
                            void *context, struct store_error *error)
{
    *found = false;
    sqlite3_stmt *statement =
        store_statement(store, STATEMENT_SUBSCRIPTION_GET,
                        "SELECT " SUBSCRIPTION_COLUMNS
                        " FROM subscriptions WHERE arn = ?1 AND state != 'unsubscribed'",
                        error);
    if (!statement)
        return false;
    if (!store_bind_text(statement, 1, arn))
        return store_fail_sqlite(store, error, "cannot read the subscription");
    struct subscription_walk walk = {each, context, false};
    bool ok = store_walk(store, statement, visit_subscription, &walk,
                         "cannot read the subscription", error);
    *found = walk.visited;
    return ok;
}

bool store_subscription_delete(struct store *store, const char *arn, bool *deleted,
                               struct store_error *error)
{
    *deleted = false;
    sqlite3_stmt *statement = store_statement(store, STATEMENT_SUBSCRIPTION_DELETE,
                                              "DELETE FROM subscriptions WHERE arn = ?1", error);
    return statement && write_one(store, statement, store_bind_text(statement, 1, arn),
                                  "cannot delete the subscription", deleted, error);
}

bool store_subscription_renew_token(struct store *store, const char *arn, const char *token,
                                    int64_t token_expires_ms, bool *found,
                                    struct store_error *error)
{
    *found = false;
    sqlite3_stmt *statement =
        store_statement(store, STATEMENT_SUBSCRIPTION_RENEW_TOKEN,
                        "UPDATE subscriptions SET token = ?2, token_expires_ms = ?3 "
                        "WHERE arn = ?1 AND state = 'pending'",
                        error);
    if (!statement)
        return false;
    bool bound = store_bind_text(statement, 1, arn) && store_bind_text(statement, 2, token) &&
                 sqlite3_bind_int64(statement, 3, token_expires_ms) == SQLITE_OK;
    return write_one(store, statement, bound, "cannot renew the confirmation token", found, error);
}

bool store_subscription_unsubscribe(struct store *store, const char *arn, const char *token,
                                    int64_t token_expires_ms, bool *found,
                                    struct store_error *error)
{
    *found = false;
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_SUBSCRIPTION_UNSUBSCRIBE,
        "UPDATE subscriptions SET state = 'unsubscribed', token = ?2, token_expires_ms = ?3 "
        "WHERE arn = ?1 AND state = 'confirmed'",
        error);
    if (!statement)
        return false;
    bool bound = store_bind_text(statement, 1, arn) && store_bind_text(statement, 2, token) &&
                 sqlite3_bind_int64(statement, 3, token_expires_ms) == SQLITE_OK;
    return write_one(store, statement, bound, "cannot unsubscribe", found, error);
}

/* ---- confirmation ------------------------------------------------------------------------ */

/* The token's subscription: its ARN (malloc'ed), state and expiry; `arn` NULL when none. */
struct token_owner {
    char *arn;
    bool confirmed;
    int64_t expires_ms;
};

static bool find_token(struct store *store, const char *topic_arn, const char *token,
                       struct token_owner *owner, struct store_error *error)
{
    *owner = (struct token_owner){0};
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_SUBSCRIPTION_FIND_TOKEN,
        "SELECT arn, state, token_expires_ms FROM subscriptions WHERE topic_arn = ?1 AND "
        "token = ?2",
        error);
    if (!statement)
        return false;
    if (!store_bind_text(statement, 1, topic_arn) || !store_bind_text(statement, 2, token))
        return store_fail_sqlite(store, error, "cannot look the token up");
    int status = sqlite3_step(statement);
    bool ok = status == SQLITE_ROW || status == SQLITE_DONE;
    if (!ok)
        store_fail_sqlite(store, error, "cannot look the token up");
    if (status == SQLITE_ROW) {
        owner->arn = strdup(store_column_text(statement, 0));
        owner->confirmed = strcmp(store_column_text(statement, 1), "confirmed") == 0;
        owner->expires_ms = sqlite3_column_int64(statement, 2);
        ok = owner->arn || store_fail(error, "out of memory");
    }
    sqlite3_reset(statement);
    return ok;
}

static bool mark_confirmed(struct store *store, const char *arn, int64_t now_ms,
                           struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_SUBSCRIPTION_CONFIRM,
        "UPDATE subscriptions SET state = 'confirmed', confirmed_ms = ?2 WHERE arn = ?1", error);
    if (!statement)
        return false;
    bool bound =
        store_bind_text(statement, 1, arn) && sqlite3_bind_int64(statement, 2, now_ms) == SQLITE_OK;
    return store_run(store, statement, bound, "cannot confirm the subscription", error);
}

bool store_subscription_confirm(struct store *store, const char *topic_arn, const char *token,
                                int64_t now_ms, enum store_confirm_outcome *outcome,
                                char **subscription_arn, struct store_error *error)
{
    *outcome = STORE_TOKEN_UNKNOWN;
    *subscription_arn = NULL;
    if (!store_begin(store, error))
        return false;
    struct token_owner owner;
    bool ok = find_token(store, topic_arn, token, &owner, error);
    if (ok && owner.arn) {
        bool expired = !owner.confirmed && now_ms >= owner.expires_ms;
        *outcome = expired ? STORE_TOKEN_EXPIRED : STORE_CONFIRMED;
        if (!expired && !owner.confirmed)
            ok = mark_confirmed(store, owner.arn, now_ms, error);
    }
    ok = store_end(store, ok, error);
    if (ok && *outcome == STORE_CONFIRMED)
        *subscription_arn = owner.arn;
    else
        free(owner.arn);
    if (!ok)
        *outcome = STORE_TOKEN_UNKNOWN;
    return ok;
}

bool store_subscription_purge(struct store *store, int64_t now_ms, struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_SUBSCRIPTION_PURGE,
        "DELETE FROM subscriptions WHERE state != 'confirmed' AND token_expires_ms <= ?1", error);
    return statement &&
           write_one(store, statement, sqlite3_bind_int64(statement, 1, now_ms) == SQLITE_OK,
                     "cannot purge expired subscriptions", NULL, error);
}
