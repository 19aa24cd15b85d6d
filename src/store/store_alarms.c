/* Alarm definitions (PutMetricAlarm JSON) and their state. The state lives in its own
 * table so an update of the definition cannot touch it, and goes with the alarm on delete
 * (ON DELETE CASCADE). */
#include "store/store.h"
#include "store/store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void store_alarm_state_free(struct store_alarm_state *state)
{
    free(state->reason);
    free(state->reason_data);
    state->reason = state->reason_data = NULL;
}

/* Inserts the definition unless the name exists; `created` tells which. */
static bool insert_alarm(struct store *store, const char *name, const char *definition_json,
                         bool *created, struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_ALARM_INSERT,
        "INSERT INTO alarms (name, definition_json) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
        error);
    if (!statement)
        return false;
    bool bound =
        store_bind_text(statement, 1, name) && store_bind_text(statement, 2, definition_json);
    bool ok = store_run(store, statement, bound, "cannot store the alarm", error);
    *created = ok && sqlite3_changes(store->db) > 0;
    return ok;
}

static bool update_alarm(struct store *store, const char *name, const char *definition_json,
                         struct store_error *error)
{
    sqlite3_stmt *statement =
        store_statement(store, STATEMENT_ALARM_UPDATE,
                        "UPDATE alarms SET definition_json = ?2 WHERE name = ?1", error);
    if (!statement)
        return false;
    bool bound =
        store_bind_text(statement, 1, name) && store_bind_text(statement, 2, definition_json);
    return store_run(store, statement, bound, "cannot update the alarm", error);
}

/* Gives the alarm its initial state unless it has one (alarms.md §3). */
static bool insert_initial_state(struct store *store, const char *name, int64_t now_ms,
                                 struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_ALARM_STATE_INSERT,
        "INSERT INTO alarm_state (name, state, reason, reason_data, updated_ms, transitioned_ms) "
        "VALUES (?1, 'INSUFFICIENT_DATA', '" STORE_INITIAL_STATE_REASON "', NULL, ?2, ?2) "
        "ON CONFLICT (name) DO NOTHING",
        error);
    if (!statement)
        return false;
    bool bound = store_bind_text(statement, 1, name) &&
                 sqlite3_bind_int64(statement, 2, now_ms) == SQLITE_OK;
    return store_run(store, statement, bound, "cannot store the alarm's state", error);
}

bool store_alarm_put(struct store *store, const char *name, const char *definition_json,
                     int64_t now_ms, bool *created, struct store_error *error)
{
    if (!store_begin(store, error))
        return false;
    bool ok = insert_alarm(store, name, definition_json, created, error);
    if (ok && !*created)
        ok = update_alarm(store, name, definition_json, error);
    ok = ok && insert_initial_state(store, name, now_ms, error);
    return store_end(store, ok, error);
}

bool store_alarm_delete(struct store *store, const char *name, bool *deleted,
                        struct store_error *error)
{
    sqlite3_stmt *statement =
        store_statement(store, STATEMENT_ALARM_DELETE, "DELETE FROM alarms WHERE name = ?1", error);
    if (!statement || !store_begin(store, error))
        return false;
    bool ok = store_run(store, statement, store_bind_text(statement, 1, name),
                        "cannot delete the alarm", error);
    *deleted = ok && sqlite3_changes(store->db) > 0;
    return store_end(store, ok, error);
}

/* The state columns (state, reason, reason_data, updated_ms, transitioned_ms) from
 * `first`, the strings borrowed from the row. */
static void borrow_state(sqlite3_stmt *row, int first, struct store_alarm_state *state)
{
    snprintf(state->state, sizeof state->state, "%s", store_column_text(row, first));
    state->reason = (char *)store_column_text(row, first + 1);
    state->reason_data = (char *)sqlite3_column_text(row, first + 2);
    state->updated_ms = sqlite3_column_int64(row, first + 3);
    state->transitioned_ms = sqlite3_column_int64(row, first + 4);
}

struct alarm_walk {
    bool (*each)(void *context, const char *name, const char *definition_json,
                 const struct store_alarm_state *state);
    void *context;
};

static bool visit_alarm(void *context, sqlite3_stmt *row)
{
    const struct alarm_walk *walk = context;
    struct store_alarm_state state;
    borrow_state(row, 2, &state);
    return walk->each(walk->context, store_column_text(row, 0), store_column_text(row, 1), &state);
}

bool store_alarm_list(struct store *store,
                      bool (*each)(void *context, const char *name, const char *definition_json,
                                   const struct store_alarm_state *state),
                      void *context, struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_ALARM_LIST,
        "SELECT a.name, a.definition_json, s.state, s.reason, s.reason_data, s.updated_ms, "
        "s.transitioned_ms FROM alarms a JOIN alarm_state s ON s.name = a.name ORDER BY a.name",
        error);
    struct alarm_walk walk = {each, context};
    return statement &&
           store_walk(store, statement, visit_alarm, &walk, "cannot list the alarms", error);
}

/* Copies the borrowed strings of `borrowed` into `state`. */
static bool copy_state(const struct store_alarm_state *borrowed, struct store_alarm_state *state,
                       struct store_error *error)
{
    *state = *borrowed;
    state->reason = strdup(borrowed->reason);
    state->reason_data = borrowed->reason_data ? strdup(borrowed->reason_data) : NULL;
    if (state->reason && (state->reason_data || !borrowed->reason_data))
        return true;
    store_alarm_state_free(state);
    return store_fail(error, "out of memory");
}

bool store_alarm_get_state(struct store *store, const char *name, bool *found,
                           struct store_alarm_state *state, struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_ALARM_GET_STATE,
        "SELECT state, reason, reason_data, updated_ms, transitioned_ms FROM alarm_state "
        "WHERE name = ?1",
        error);
    *found = false;
    *state = (struct store_alarm_state){0};
    if (!statement)
        return false;
    int status = store_bind_text(statement, 1, name) ? sqlite3_step(statement) : SQLITE_ERROR;
    bool ok = status == SQLITE_ROW || status == SQLITE_DONE;
    if (!ok)
        store_fail_sqlite(store, error, "cannot read the alarm's state");
    if (status == SQLITE_ROW) {
        struct store_alarm_state borrowed;
        borrow_state(statement, 0, &borrowed);
        ok = *found = copy_state(&borrowed, state, error);
    }
    sqlite3_reset(statement);
    return ok;
}

bool store_alarm_set_state(struct store *store, const char *name, const char *state,
                           const char *reason, const char *reason_data, int64_t time_ms,
                           bool transitioned, struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_ALARM_SET_STATE,
        "UPDATE alarm_state SET state = ?2, reason = ?3, reason_data = ?4, updated_ms = ?5, "
        "transitioned_ms = CASE WHEN ?6 THEN ?5 ELSE transitioned_ms END WHERE name = ?1",
        error);
    if (!statement || !store_begin(store, error))
        return false;
    bool bound = store_bind_text(statement, 1, name) && store_bind_text(statement, 2, state) &&
                 store_bind_text(statement, 3, reason) &&
                 store_bind_text(statement, 4, reason_data) &&
                 sqlite3_bind_int64(statement, 5, time_ms) == SQLITE_OK &&
                 sqlite3_bind_int(statement, 6, transitioned) == SQLITE_OK;
    bool ok = store_run(store, statement, bound, "cannot store the alarm's state", error);
    if (ok && sqlite3_changes(store->db) == 0)
        ok = store_fail(error, "cannot store the state of alarm \"%s\": no such alarm", name);
    return store_end(store, ok, error);
}
