/* The SQLite store: every function, persistence across a close, two handles on one file,
 * nested transactions, schema versions (a newer database refused, the committed version-1
 * fixture migrated), data point merging and slot reads, pruning. Each test works in its own
 * temporary directory, removed afterwards. */
#define _XOPEN_SOURCE 700
#include "store/store.h"
#include "store/store_schema.h"

#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../support/temp_store.h"

#define NOW_MS INT64_C(1700000000000)

/* The store's path, state/trailhound.db, is left for each test to create. */
static int make_directory(void **state)
{
    *state = temp_store_new("test_store", "state/trailhound.db", false);
    return 0;
}

static int remove_directory(void **state)
{
    return temp_store_free(*state);
}

/* Runs one SQL statement on the file directly, around the store. */
static void execute_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *message = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK)
        fail_msg("%s: %s", sql, message);
    sqlite3_close(db);
}

static int64_t count_rows(const char *path, const char *table)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *statement = NULL;
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &statement, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(statement), SQLITE_ROW);
    int64_t count = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return count;
}

/* ---- collecting what the walks report ------------------------------------------------ */

#define MAX_ROWS 16

struct rows {
    char text[MAX_ROWS][512];
    size_t count;
    size_t stop_after; /* 0: never stop */
};

static bool add_row(struct rows *rows, const char *format, ...)
{
    assert_true(rows->count < MAX_ROWS);
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(rows->text[rows->count++], sizeof rows->text[0], format, arguments);
    va_end(arguments);
    return rows->stop_after == 0 || rows->count < rows->stop_after;
}

static bool collect_filter(void *context, const char *log_group, const char *name,
                           const char *definition_json)
{
    return add_row(context, "%s|%s|%s", log_group, name, definition_json);
}

static bool collect_alarm(void *context, const char *name, const char *definition_json,
                          const struct store_alarm_state *state)
{
    return add_row(context, "%s|%s|%s|%s|%s|%lld|%lld", name, definition_json, state->state,
                   state->reason, state->reason_data ? state->reason_data : "(null)",
                   (long long)state->updated_ms, (long long)state->transitioned_ms);
}

static bool collect_history(void *context, const struct store_history_item *item)
{
    return add_row(context, "%s|%lld|%s|%s|%s", item->alarm_name, (long long)item->timestamp_ms,
                   item->type, item->summary, item->data);
}

static bool collect_metric(void *context, const struct metric_identity *metric, const char *unit)
{
    char dimensions[256] = "";
    for (size_t i = 0; i < metric->dimension_count; i++) {
        size_t used = strlen(dimensions);
        snprintf(dimensions + used, sizeof dimensions - used, "%s%s=%s", i ? "," : "",
                 metric->dimensions[i].name, metric->dimensions[i].value);
    }
    return add_row(context, "%s|%s|%s|%s", metric->namespace_name, metric->metric_name, dimensions,
                   unit);
}

static struct rows list_filters(struct store *store)
{
    struct rows rows = {0};
    struct store_error error;
    assert_true(store_metric_filter_list(store, collect_filter, &rows, &error));
    return rows;
}

static struct rows list_alarms(struct store *store)
{
    struct rows rows = {0};
    struct store_error error;
    assert_true(store_alarm_list(store, collect_alarm, &rows, &error));
    return rows;
}

static struct rows list_history(struct store *store, const struct store_history_query *query)
{
    struct rows rows = {0};
    struct store_error error;
    if (!store_history_list(store, query, collect_history, &rows, &error))
        fail_msg("store_history_list: %s", error.message);
    return rows;
}

static struct rows list_metrics(struct store *store)
{
    struct rows rows = {0};
    struct store_error error;
    if (!store_metrics_list(store, collect_metric, &rows, &error))
        fail_msg("store_metrics_list: %s", error.message);
    return rows;
}

static const struct store_history_query ALL_HISTORY = {.end_ms = INT64_MAX};

/* ---- opening, paths, versions -------------------------------------------------------- */

static void open_creates_private_directories_and_file(void **state)
{
    struct temp_store *fixture = *state;
    char path[160];
    snprintf(path, sizeof path, "%s/a/b/trailhound.db", fixture->directory);
    struct store *store = temp_store_open(path);
    assert_int_equal(store_schema_version(store), STORE_SCHEMA_VERSION);
    store_close(store);

    struct stat status;
    snprintf(path, sizeof path, "%s/a", fixture->directory);
    assert_int_equal(stat(path, &status), 0);
    assert_int_equal(status.st_mode & 0777, 0700);
    snprintf(path, sizeof path, "%s/a/b/trailhound.db", fixture->directory);
    assert_int_equal(stat(path, &status), 0);
    assert_int_equal(status.st_mode & 0777, 0600);

    /* the journal mode is persistent: a plain connection sees WAL */
    sqlite3 *db = NULL;
    sqlite3_stmt *statement = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &statement, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(statement), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(statement, 0), "wal");
    sqlite3_finalize(statement);
    sqlite3_close(db);
}

static void open_reports_what_failed(void **state)
{
    struct temp_store *fixture = *state;
    struct store_error error;
    assert_null(store_open("", &error));
    assert_string_equal(error.message, "no database path given");

    /* a file where a directory should be */
    char path[160];
    snprintf(path, sizeof path, "%s/file", fixture->directory);
    execute_sql(path, "CREATE TABLE t (x)");
    snprintf(path, sizeof path, "%s/file/sub/trailhound.db", fixture->directory);
    assert_null(store_open(path, &error));
    assert_non_null(strstr(error.message, "cannot create directory"));

    /* a file that is not a database */
    snprintf(path, sizeof path, "%s/garbage.db", fixture->directory);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs("this is not an SQLite database, not even close to one, at all\n", file);
    fclose(file);
    assert_null(store_open(path, &error));
    assert_non_null(strstr(error.message, "garbage.db"));
    assert_non_null(strstr(error.message, "not a database"));
}

static void memory_store_works(void **state)
{
    (void)state;
    struct store *store = temp_store_open(":memory:");
    assert_int_equal(store_schema_version(store), STORE_SCHEMA_VERSION);
    struct store_error error;
    assert_true(store_setting_set(store, "account", "123456789012", &error));
    char *value = NULL;
    assert_true(store_setting_get(store, "account", &value, &error));
    assert_string_equal(value, "123456789012");
    free(value);
    store_close(store);
}

static void default_path_follows_the_environment(void **state)
{
    (void)state;
    char *saved_db = getenv("TRAILHOUND_DB") ? strdup(getenv("TRAILHOUND_DB")) : NULL;
    char *saved_state = getenv("XDG_STATE_HOME") ? strdup(getenv("XDG_STATE_HOME")) : NULL;
    char *saved_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;

    setenv("TRAILHOUND_DB", "/srv/th.db", 1);
    setenv("XDG_STATE_HOME", "/state", 1);
    setenv("HOME", "/home/user", 1);
    char *path = store_default_path();
    assert_string_equal(path, "/srv/th.db");
    free(path);

    unsetenv("TRAILHOUND_DB");
    path = store_default_path();
    assert_string_equal(path, "/state/trailhound/trailhound.db");
    free(path);

    /* a relative XDG_STATE_HOME is ignored, as the XDG specification says */
    setenv("XDG_STATE_HOME", "relative", 1);
    path = store_default_path();
    assert_string_equal(path, "/home/user/.local/state/trailhound/trailhound.db");
    free(path);

    unsetenv("XDG_STATE_HOME");
    path = store_default_path();
    assert_string_equal(path, "/home/user/.local/state/trailhound/trailhound.db");
    free(path);

    /* without $HOME, the password database's home directory */
    unsetenv("HOME");
    path = store_default_path();
    assert_non_null(path);
    assert_true(path[0] == '/');
    assert_non_null(strstr(path, "/.local/state/trailhound/trailhound.db"));
    free(path);

    if (saved_db)
        setenv("TRAILHOUND_DB", saved_db, 1);
    if (saved_state)
        setenv("XDG_STATE_HOME", saved_state, 1);
    if (saved_home)
        setenv("HOME", saved_home, 1);
    else
        unsetenv("HOME");
    free(saved_db);
    free(saved_state);
    free(saved_home);
}

static void newer_schema_is_refused(void **state)
{
    struct temp_store *fixture = *state;
    store_close(temp_store_open(fixture->database));
    char pragma[64], expected[128];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", STORE_SCHEMA_VERSION + 1);
    execute_sql(fixture->database, pragma);
    struct store_error error;
    assert_null(store_open(fixture->database, &error));
    snprintf(expected, sizeof expected,
             "database schema version %d is newer than this trailhound (%d)",
             STORE_SCHEMA_VERSION + 1, STORE_SCHEMA_VERSION);
    assert_non_null(strstr(error.message, expected));
    assert_non_null(strstr(error.message, fixture->database));
}

/* ---- metric filters ------------------------------------------------------------------ */

static void metric_filters_put_list_delete(void **state)
{
    struct temp_store *fixture = *state;
    struct store *store = temp_store_open(fixture->database);
    struct store_error error;
    assert_true(store_metric_filter_put(store, "group-b", "f1", "{\"v\":1}", &error));
    assert_true(store_metric_filter_put(store, "", "f2", "{\"v\":2}", &error));
    assert_true(store_metric_filter_put(store, "group-a", "f1", "{\"v\":3}", &error));
    /* a second put replaces */
    assert_true(store_metric_filter_put(store, "group-b", "f1", "{\"v\":4}", &error));

    struct rows rows = list_filters(store);
    assert_int_equal(rows.count, 3);
    assert_string_equal(rows.text[0], "|f2|{\"v\":2}");
    assert_string_equal(rows.text[1], "group-a|f1|{\"v\":3}");
    assert_string_equal(rows.text[2], "group-b|f1|{\"v\":4}");

    /* the walk stops when asked */
    struct rows first = {.stop_after = 1};
    assert_true(store_metric_filter_list(store, collect_filter, &first, &error));
    assert_int_equal(first.count, 1);

    bool deleted = false;
    assert_true(store_metric_filter_delete(store, "group-a", "f1", &deleted, &error));
    assert_true(deleted);
    assert_true(store_metric_filter_delete(store, "group-a", "f1", &deleted, &error));
    assert_false(deleted);
    assert_int_equal(list_filters(store).count, 2);

    /* a definition must be JSON */
    assert_false(store_metric_filter_put(store, "", "bad", "{not json", &error));
    assert_non_null(strstr(error.message, "cannot store the metric filter: CHECK constraint"));
    store_close(store);
}

/* ---- alarms -------------------------------------------------------------------------- */

static void alarm_put_creates_then_keeps_state(void **state)
{
    struct temp_store *fixture = *state;
    struct store *store = temp_store_open(fixture->database);
    struct store_error error;
    bool created = false;
    assert_true(store_alarm_put(store, "a1", "{\"Threshold\":1}", NOW_MS, &created, &error));
    assert_true(created);

    bool found = false;
    struct store_alarm_state alarm_state;
    assert_true(store_alarm_get_state(store, "a1", &found, &alarm_state, &error));
    assert_true(found);
    assert_string_equal(alarm_state.state, "INSUFFICIENT_DATA");
    assert_string_equal(alarm_state.reason, "Unchecked: Initial alarm creation");
    assert_null(alarm_state.reason_data);
    assert_int_equal(alarm_state.updated_ms, NOW_MS);
    assert_int_equal(alarm_state.transitioned_ms, NOW_MS);
    store_alarm_state_free(&alarm_state);

    assert_true(store_alarm_set_state(store, "a1", "ALARM", "Threshold Crossed", "{\"x\":1}",
                                      NOW_MS + 60000, true, &error));
    /* an update without transition moves only updated_ms */
    assert_true(store_alarm_set_state(store, "a1", "ALARM", "Threshold Crossed again", "{\"x\":2}",
                                      NOW_MS + 120000, false, &error));
    /* replacing the definition keeps the state */
    assert_true(
        store_alarm_put(store, "a1", "{\"Threshold\":2}", NOW_MS + 180000, &created, &error));
    assert_false(created);

    assert_true(store_alarm_get_state(store, "a1", &found, &alarm_state, &error));
    assert_true(found);
    assert_string_equal(alarm_state.state, "ALARM");
    assert_string_equal(alarm_state.reason, "Threshold Crossed again");
    assert_string_equal(alarm_state.reason_data, "{\"x\":2}");
    assert_int_equal(alarm_state.updated_ms, NOW_MS + 120000);
    assert_int_equal(alarm_state.transitioned_ms, NOW_MS + 60000);
    store_alarm_state_free(&alarm_state);

    struct rows rows = list_alarms(store);
    assert_int_equal(rows.count, 1);
    assert_string_equal(rows.text[0], "a1|{\"Threshold\":2}|ALARM|Threshold Crossed again|"
                                      "{\"x\":2}|1700000120000|1700000060000");
    store_close(store);
}

static void alarm_list_get_delete(void **state)
{
    struct temp_store *fixture = *state;
    struct store *store = temp_store_open(fixture->database);
    struct store_error error;
    bool created, found, deleted;
    assert_true(store_alarm_put(store, "zeta", "{}", NOW_MS, &created, &error));
    assert_true(store_alarm_put(store, "alpha", "{}", NOW_MS + 1, &created, &error));
    struct rows rows = list_alarms(store);
    assert_int_equal(rows.count, 2);
    assert_string_equal(rows.text[0], "alpha|{}|INSUFFICIENT_DATA|Unchecked: Initial alarm "
                                      "creation|(null)|1700000000001|1700000000001");
    assert_non_null(strstr(rows.text[1], "zeta|"));

    struct store_alarm_state alarm_state;
    assert_true(store_alarm_get_state(store, "missing", &found, &alarm_state, &error));
    assert_false(found);
    store_alarm_state_free(&alarm_state);

    assert_false(store_alarm_set_state(store, "missing", "OK", "r", NULL, NOW_MS, true, &error));
    assert_string_equal(error.message,
                        "cannot store the state of alarm \"missing\": no such alarm");
    assert_false(store_alarm_set_state(store, "zeta", "PURPLE", "r", NULL, NOW_MS, true, &error));
    assert_non_null(strstr(error.message, "CHECK constraint failed"));

    assert_true(store_alarm_delete(store, "zeta", &deleted, &error));
    assert_true(deleted);
    assert_true(store_alarm_delete(store, "zeta", &deleted, &error));
    assert_false(deleted);
    /* the state went with the definition */
    assert_true(store_alarm_get_state(store, "zeta", &found, &alarm_state, &error));
    assert_false(found);
    assert_int_equal(count_rows(fixture->database, "alarm_state"), 1);
    assert_int_equal(list_alarms(store).count, 1);
    store_close(store);
}

static bool list_alarms_again(void *context, const char *name, const char *definition_json,
                              const struct store_alarm_state *state)
{
    (void)name, (void)definition_json, (void)state;
    struct store *store = context;
    struct store_error error;
    struct rows rows = {0};
    assert_false(store_alarm_list(store, collect_alarm, &rows, &error));
    assert_string_equal(error.message, "a store callback called back into the walk that "
                                       "called it");
    /* other functions work from a callback */
    bool found;
    struct store_alarm_state alarm_state;
    assert_true(store_alarm_get_state(store, name, &found, &alarm_state, &error));
    assert_true(found);
    store_alarm_state_free(&alarm_state);
    return true;
}

static void callback_cannot_reenter_its_walk(void **state)
{
    (void)state;
    struct store *store = temp_store_open(":memory:");
    struct store_error error;
    bool created;
    assert_true(store_alarm_put(store, "a", "{}", NOW_MS, &created, &error));
    assert_true(store_alarm_list(store, list_alarms_again, store, &error));
    store_close(store);
}

/* ---- history ------------------------------------------------------------------------- */

static void add_history(struct store *store, const char *name, int64_t time_ms, const char *type,
                        const char *summary)
{
    struct store_history_item item = {name, time_ms, type, summary, "{\"version\":\"1.0\"}"};
    struct store_error error;
    if (!store_history_add(store, &item, &error))
        fail_msg("store_history_add: %s", error.message);
}

static void history_filters_order_and_limit(void **state)
{
    struct temp_store *fixture = *state;
    struct store *store = temp_store_open(fixture->database);
    add_history(store, "a", 1000, "ConfigurationUpdate", "Alarm \"a\" created");
    add_history(store, "b", 1500, "ConfigurationUpdate", "Alarm \"b\" created");
    add_history(store, "a", 2000, "StateUpdate", "Alarm updated from INSUFFICIENT_DATA to OK");
    add_history(store, "a", 2000, "Action", "Successfully executed action arn:x");
    add_history(store, "a", 3000, "StateUpdate", "Alarm updated from OK to ALARM");

    struct rows rows = list_history(store, &ALL_HISTORY);
    assert_int_equal(rows.count, 5);
    assert_string_equal(rows.text[0], "a|3000|StateUpdate|Alarm updated from OK to ALARM|"
                                      "{\"version\":\"1.0\"}");
    /* equal timestamps: the later item first when descending */
    assert_non_null(strstr(rows.text[1], "a|2000|Action|"));
    assert_non_null(strstr(rows.text[2], "a|2000|StateUpdate|"));
    assert_non_null(strstr(rows.text[3], "b|1500|"));
    assert_non_null(strstr(rows.text[4], "a|1000|"));

    struct store_history_query query = ALL_HISTORY;
    query.ascending = true;
    rows = list_history(store, &query);
    assert_non_null(strstr(rows.text[0], "a|1000|"));
    assert_non_null(strstr(rows.text[2], "a|2000|StateUpdate|"));
    assert_non_null(strstr(rows.text[3], "a|2000|Action|"));

    query = ALL_HISTORY;
    query.alarm_name = "a";
    query.type = "StateUpdate";
    rows = list_history(store, &query);
    assert_int_equal(rows.count, 2);
    assert_non_null(strstr(rows.text[0], "a|3000|"));
    assert_non_null(strstr(rows.text[1], "a|2000|"));

    /* start inclusive, end exclusive */
    query = ALL_HISTORY;
    query.start_ms = 1500;
    query.end_ms = 3000;
    rows = list_history(store, &query);
    assert_int_equal(rows.count, 3);
    assert_non_null(strstr(rows.text[2], "b|1500|"));

    query.alarm_name = "a";
    query.ascending = true;
    query.limit = 1;
    rows = list_history(store, &query);
    assert_int_equal(rows.count, 1);
    assert_non_null(strstr(rows.text[0], "a|2000|StateUpdate|"));

    query = ALL_HISTORY;
    query.limit = 2;
    assert_int_equal(list_history(store, &query).count, 2);
    query.alarm_name = "nobody";
    assert_int_equal(list_history(store, &query).count, 0);

    /* history outlives its alarm */
    bool created, deleted;
    struct store_error error;
    assert_true(store_alarm_put(store, "a", "{}", NOW_MS, &created, &error));
    assert_true(store_alarm_delete(store, "a", &deleted, &error));
    assert_int_equal(list_history(store, &ALL_HISTORY).count, 5);

    struct store_history_item incomplete = {"a", 1, "Action", "summary", NULL};
    assert_false(store_history_add(store, &incomplete, &error));
    assert_non_null(strstr(error.message, "NOT NULL constraint failed: alarm_history.data"));
    store_close(store);
}

/* ---- sources and settings ------------------------------------------------------------ */

static void sources_and_settings(void **state)
{
    struct temp_store *fixture = *state;
    struct store *store = temp_store_open(fixture->database);
    struct store_error error;
    bool found = true;
    uint64_t offset = 0;
    assert_true(store_source_get(store, "2049:1234", &found, &offset, &error));
    assert_false(found);
    assert_true(store_source_set(store, "2049:1234", 4096, &error));
    assert_true(store_source_set(store, "2049:1234", UINT64_C(1) << 40, &error));
    assert_true(store_source_set(store, "/var/log/other.json", 0, &error));
    assert_true(store_source_get(store, "2049:1234", &found, &offset, &error));
    assert_true(found);
    assert_true(offset == UINT64_C(1) << 40);
    assert_false(store_source_set(store, "big", UINT64_MAX, &error));
    assert_non_null(strstr(error.message, "offset 18446744073709551615 of source big"));

    char *value = (char *)"not touched";
    assert_true(store_setting_get(store, "signing-key", &value, &error));
    assert_null(value);
    assert_true(store_setting_set(store, "signing-key", "k1", &error));
    assert_true(store_setting_set(store, "signing-key", "k2", &error));
    assert_true(store_setting_get(store, "signing-key", &value, &error));
    assert_string_equal(value, "k2");
    free(value);
    assert_false(store_setting_set(store, "empty", NULL, &error));
    assert_non_null(strstr(error.message, "cannot store the setting: NOT NULL"));
    store_close(store);
}

/* PutLogEvents batch digests: adding joins the caller's transaction (a rolled-back batch is
 * not remembered), another handle sees a committed one, adding twice is harmless, and
 * pruning drops those received before the cut-off. */
static void log_batch_digests_remember_committed_batches(void **state)
{
    struct temp_store *fixture = *state;
    struct store *store = temp_store_open(fixture->database);
    struct store *other = temp_store_open(fixture->database);
    struct store_error error;
    bool seen = true;
    assert_true(store_log_batch_seen(store, "aa11", &seen, &error));
    assert_false(seen);
    assert_true(store_begin(store, &error));
    assert_true(store_log_batch_add(store, "aa11", 5000, &error));
    store_rollback(store);
    assert_true(store_log_batch_seen(other, "aa11", &seen, &error));
    assert_false(seen);

    assert_true(store_begin(store, &error));
    assert_true(store_log_batch_add(store, "aa11", 5000, &error));
    assert_true(store_commit(store, &error));
    assert_true(store_log_batch_seen(other, "aa11", &seen, &error));
    assert_true(seen);
    assert_true(store_log_batch_add(store, "aa11", 7000, &error));
    assert_true(store_log_batch_add(store, "bb22", 9000, &error));
    assert_true(store_log_batch_seen(other, "bb22", &seen, &error));
    assert_true(seen);
    assert_true(store_log_batch_seen(other, "cc33", &seen, &error));
    assert_false(seen);

    /* the first received at 5000 ms (re-adding did not move it), the second at 9000 */
    assert_true(store_log_batches_prune(store, 6000, &error));
    assert_true(store_log_batch_seen(other, "aa11", &seen, &error));
    assert_false(seen);
    assert_true(store_log_batch_seen(other, "bb22", &seen, &error));
    assert_true(seen);
    store_close(other);
    store_close(store);
}

/* Retention of stored log events (settings.logEventRetentionDays): by timestamp, every group
 * and stream, the rest untouched. */
static bool collect_timestamp(void *context, const struct store_log_event *event)
{
    int64_t *list = context;
    list[++list[0]] = event->timestamp_ms;
    return list[0] < 8;
}

static void log_events_prune_by_timestamp(void **state)
{
    struct temp_store *fixture = *state;
    struct store *store = temp_store_open(fixture->database);
    struct store_error error;
    bool created = false;
    assert_true(store_log_group_create(store, "g", 1, &created, &error));
    assert_true(store_log_stream_create(store, "g", "s", 1, &created, &error));
    const char *messages[] = {"old", "edge", "new"};
    const int64_t timestamps[] = {1000, 2000, 3000};
    assert_true(store_log_events_add(store, "g", "s", messages, timestamps, 3, 5, &error));
    assert_true(store_log_events_prune(store, 2000, &error));
    int64_t kept[9] = {0};
    struct store_log_event_query query = {.log_group = "g", .start_ms = 0, .end_ms = 10000};
    assert_true(store_log_events_list(store, &query, collect_timestamp, kept, &error));
    assert_int_equal(kept[0], 2);
    assert_int_equal(kept[1], 2000);
    assert_int_equal(kept[2], 3000);
    store_close(store);
}

/* ---- transactions -------------------------------------------------------------------- */

static void nested_transactions_commit_once(void **state)
{
    struct temp_store *fixture = *state;
    struct store *writer = temp_store_open(fixture->database);
    struct store *reader = temp_store_open(fixture->database);
    struct store_error error;
    assert_true(store_begin(writer, &error));
    assert_true(store_begin(writer, &error));
    assert_true(store_metric_filter_put(writer, "", "f", "{}", &error));
    assert_true(store_commit(writer, &error));
    /* the inner commit committed nothing */
    assert_int_equal(list_filters(reader).count, 0);
    assert_true(store_setting_set(writer, "s", "v", &error));
    assert_true(store_commit(writer, &error));
    assert_int_equal(list_filters(reader).count, 1);

    assert_false(store_commit(writer, &error));
    assert_string_equal(error.message, "commit without a matching begin");
    store_close(reader);
    store_close(writer);
}

static void rollback_leaves_nothing(void **state)
{
    (void)state;
    struct store *store = temp_store_open(":memory:");
    struct store_error error;
    bool created;
    assert_true(store_begin(store, &error));
    assert_true(store_alarm_put(store, "a", "{}", NOW_MS, &created, &error));
    add_history(store, "a", NOW_MS, "ConfigurationUpdate", "Alarm \"a\" created");
    assert_true(store_source_set(store, "src", 10, &error));
    store_rollback(store);
    assert_int_equal(list_alarms(store).count, 0);
    assert_int_equal(list_history(store, &ALL_HISTORY).count, 0);
    bool found;
    uint64_t offset;
    assert_true(store_source_get(store, "src", &found, &offset, &error));
    assert_false(found);
    /* a rollback outside a transaction does nothing */
    store_rollback(store);
    assert_true(store_setting_set(store, "after", "1", &error));
    store_close(store);
}

static void nested_rollback_dooms_the_outer_transaction(void **state)
{
    (void)state;
    struct store *store = temp_store_open(":memory:");
    struct store_error error;
    assert_true(store_begin(store, &error));
    assert_true(store_metric_filter_put(store, "", "before", "{}", &error));
    assert_true(store_begin(store, &error));
    assert_true(store_metric_filter_put(store, "", "inner", "{}", &error));
    store_rollback(store);
    /* the outer level cannot go on as if nothing happened */
    assert_false(store_metric_filter_put(store, "", "after", "{}", &error));
    assert_string_equal(error.message, "cannot begin: the enclosing transaction was rolled back");
    assert_false(store_commit(store, &error));
    assert_string_equal(error.message,
                        "nothing committed: a nested call rolled the transaction back");
    assert_int_equal(list_filters(store).count, 0);
    /* and the next transaction starts clean */
    assert_true(store_metric_filter_put(store, "", "next", "{}", &error));
    assert_int_equal(list_filters(store).count, 1);

    /* a failing call inside a transaction rolls the whole of it back */
    assert_true(store_begin(store, &error));
    assert_true(store_metric_filter_put(store, "", "doomed", "{}", &error));
    assert_false(store_metric_filter_put(store, "", "bad", "{", &error));
    assert_false(store_commit(store, &error));
    assert_int_equal(list_filters(store).count, 1);
    store_close(store);
}

static void two_handles_share_committed_data(void **state)
{
    struct temp_store *fixture = *state;
    struct store *writer = temp_store_open(fixture->database);
    struct store *reader = temp_store_open(fixture->database);
    struct store_error error;
    assert_true(store_begin(writer, &error));
    assert_true(store_setting_set(writer, "k", "v1", &error));
    /* WAL: the reader is not blocked by the open write transaction and sees the last commit */
    char *value = NULL;
    assert_true(store_setting_get(reader, "k", &value, &error));
    assert_null(value);
    assert_true(store_commit(writer, &error));
    assert_true(store_setting_get(reader, "k", &value, &error));
    assert_string_equal(value, "v1");
    free(value);
    /* and the other way round */
    assert_true(store_setting_set(reader, "k", "v2", &error));
    assert_true(store_setting_get(writer, "k", &value, &error));
    assert_string_equal(value, "v2");
    free(value);
    store_close(reader);
    store_close(writer);
}

/* ---- data points --------------------------------------------------------------------- */

static struct metric_identity identity_of(char *namespace_name, char *metric_name,
                                          struct metric_dimension_value *dimensions,
                                          size_t dimension_count)
{
    return (struct metric_identity){namespace_name, metric_name, dimensions, dimension_count};
}

static struct metric_datapoint point_of(struct metric_identity identity, char *unit, int resolution,
                                        int64_t timestamp, const double *values,
                                        const double *counts, size_t count)
{
    struct metric_datapoint point = {
        .identity = identity, .unit = unit, .resolution = resolution, .timestamp = timestamp};
    metric_aggregate_init(&point.aggregate);
    for (size_t i = 0; i < count; i++)
        assert_true(metric_aggregate_add(&point.aggregate, values[i], counts[i]));
    return point;
}

static void add_points(struct store *store, struct metric_datapoint *points, size_t count)
{
    struct store_error error;
    if (!store_datapoints_add(store, points, count, &error))
        fail_msg("store_datapoints_add: %s", error.message);
    for (size_t i = 0; i < count; i++)
        metric_aggregate_free(&points[i].aggregate);
}

static void assert_slot(const struct metric_aggregate *slot, double sample_count, double sum,
                        double minimum, double maximum, const double *values, const double *counts,
                        size_t value_count)
{
    assert_true(slot->sample_count == sample_count);
    assert_true(slot->sum == sum);
    if (sample_count > 0) {
        assert_true(slot->minimum == minimum);
        assert_true(slot->maximum == maximum);
    }
    assert_int_equal(slot->value_count, value_count);
    for (size_t i = 0; i < value_count; i++) {
        assert_true(slot->values[i].value == values[i]);
        assert_true(slot->values[i].count == counts[i]);
    }
}

static void free_slots(struct metric_aggregate *slots, size_t count)
{
    for (size_t i = 0; i < count; i++)
        metric_aggregate_free(&slots[i]);
}

static struct metric_dimension_value BUCKET_OPERATION[] = {{"Bucket", "logs"},
                                                           {"Operation", "GetObject"}};
static struct metric_dimension_value OPERATION_BUCKET[] = {{"Operation", "GetObject"},
                                                           {"Bucket", "logs"}};

/* Failures (unit Count) in 60 s buckets 1140..1440, one 1 s bucket, the same metric in
 * Bytes at 1200, and BytesOut with two dimensions given in either order. */
static void add_sample_points(struct store *store)
{
    struct metric_identity failures = identity_of("CISBenchmark", "Failures", NULL, 0);
    const double one[] = {1}, two[] = {2}, ones_and_three[] = {1, 3}, five[] = {5},
                 hundred[] = {100}, seven[] = {7};
    const double count_one[] = {1}, count_two[] = {2}, count_ones[] = {1, 1};
    struct metric_datapoint first[] = {
        point_of(failures, "Count", 60, 1200, one, count_two, 1),
        point_of(failures, "Count", 60, 1260, five, count_one, 1),
        point_of(failures, "Count", 60, 1140, seven, count_one, 1),
        point_of(failures, "Count", 60, 1440, seven, count_one, 1),
        point_of(failures, "Count", 1, 1201, two, count_one, 1),
        point_of(failures, "Bytes", 60, 1200, hundred, count_one, 1),
    };
    add_points(store, first, sizeof first / sizeof first[0]);

    /* merged into 1200: two more samples, one of a value already there */
    struct metric_datapoint second[] = {
        point_of(failures, "Count", 60, 1200, ones_and_three, count_ones, 2),
        point_of(identity_of("Custom", "BytesOut", BUCKET_OPERATION, 2), NULL, 60, 1200, hundred,
                 count_one, 1),
        point_of(identity_of("Custom", "BytesOut", OPERATION_BUCKET, 2), NULL, 60, 1200, hundred,
                 count_two, 1),
    };
    /* a statistic set without raw values */
    struct metric_datapoint statistic_set = point_of(failures, "Count", 60, 1320, NULL, NULL, 0);
    statistic_set.aggregate =
        (struct metric_aggregate){.sample_count = 2, .sum = 10, .minimum = 4, .maximum = 6};
    add_points(store, second, sizeof second / sizeof second[0]);
    add_points(store, &statistic_set, 1);
}

static void datapoints_merge_and_read_slots(void **state)
{
    (void)state;
    struct store *store = temp_store_open(":memory:");
    add_sample_points(store);
    struct metric_identity failures = identity_of("CISBenchmark", "Failures", NULL, 0);
    struct metric_aggregate slots[3];
    struct store_error error;

    /* [1200, 1320) and [1320, 1440): 1140 and 1440 lie outside */
    assert_true(store_datapoints_read(store, &failures, "Count", 60, 1200, 120, 2, slots, &error));
    assert_slot(&slots[0], 5, 11, 1, 5, (const double[]){1, 3, 5}, (const double[]){3, 1, 1}, 3);
    assert_slot(&slots[1], 2, 10, 4, 6, NULL, NULL, 0);
    free_slots(slots, 2);

    /* every unit: the Bytes bucket joins the first slot */
    assert_true(store_datapoints_read(store, &failures, NULL, 60, 1200, 120, 2, slots, &error));
    assert_slot(&slots[0], 6, 111, 1, 100, (const double[]){1, 3, 5, 100},
                (const double[]){3, 1, 1, 1}, 4);
    assert_slot(&slots[1], 2, 10, 4, 6, NULL, NULL, 0);
    free_slots(slots, 2);

    /* a unit nothing was published in sees nothing */
    assert_true(store_datapoints_read(store, &failures, "Percent", 60, 1140, 60, 3, slots, &error));
    for (size_t i = 0; i < 3; i++)
        assert_slot(&slots[i], 0, 0, 0, 0, NULL, NULL, 0);
    free_slots(slots, 3);

    /* one bucket per slot, 1140..1260 */
    assert_true(store_datapoints_read(store, &failures, "Count", 60, 1140, 60, 3, slots, &error));
    assert_slot(&slots[0], 1, 7, 7, 7, (const double[]){7}, (const double[]){1}, 1);
    assert_slot(&slots[1], 4, 6, 1, 3, (const double[]){1, 3}, (const double[]){3, 1}, 2);
    assert_slot(&slots[2], 1, 5, 5, 5, (const double[]){5}, (const double[]){1}, 1);
    free_slots(slots, 3);

    /* high resolution: 10 s slots see only the 1 s bucket */
    assert_true(store_datapoints_read(store, &failures, "Count", 1, 1190, 10, 3, slots, &error));
    assert_slot(&slots[0], 0, 0, 0, 0, NULL, NULL, 0);
    assert_slot(&slots[1], 1, 2, 2, 2, (const double[]){2}, (const double[]){1}, 1);
    assert_slot(&slots[2], 0, 0, 0, 0, NULL, NULL, 0);
    free_slots(slots, 3);

    /* dimensions in either order name one metric; no unit given means "None" */
    struct metric_identity bytes_out = identity_of("Custom", "BytesOut", OPERATION_BUCKET, 2);
    assert_true(store_datapoints_read(store, &bytes_out, "None", 60, 1200, 60, 1, slots, &error));
    assert_slot(&slots[0], 3, 300, 100, 100, (const double[]){100}, (const double[]){3}, 1);
    free_slots(slots, 1);
    /* a subset of the dimensions is another metric */
    struct metric_identity bucket_only = identity_of("Custom", "BytesOut", BUCKET_OPERATION, 1);
    assert_true(store_datapoints_read(store, &bucket_only, NULL, 60, 1200, 60, 1, slots, &error));
    assert_slot(&slots[0], 0, 0, 0, 0, NULL, NULL, 0);
    free_slots(slots, 1);
    store_close(store);
}

static void datapoints_refuse_bad_input(void **state)
{
    (void)state;
    struct store *store = temp_store_open(":memory:");
    struct metric_identity failures = identity_of("CISBenchmark", "Failures", NULL, 0);
    const double one[] = {1};
    struct store_error error;
    struct metric_datapoint points[] = {
        point_of(failures, NULL, 60, 60, one, one, 1),
        point_of(failures, NULL, 60, 90, one, one, 1),
    };
    /* the misaligned second point fails the call, and the first is not kept either */
    assert_false(store_datapoints_add(store, points, 2, &error));
    assert_string_equal(error.message,
                        "data point of Failures: start 90 is not a multiple of 60 s");
    points[1].resolution = 5;
    assert_false(store_datapoints_add(store, points, 2, &error));
    assert_string_equal(error.message, "data point of Failures: resolution 5 is neither 60 nor 1");
    struct metric_dimension_value twice[] = {{"a", "1"}, {"a", "2"}};
    metric_aggregate_free(&points[1].aggregate);
    points[1] = point_of(identity_of("N", "M", twice, 2), NULL, 60, 60, one, one, 1);
    assert_false(store_datapoints_add(store, points, 2, &error));
    assert_string_equal(error.message, "metric M has dimension a twice");
    bool found = true;
    int64_t first, last;
    assert_true(store_datapoints_span(store, &found, &first, &last, &error));
    assert_false(found);
    metric_aggregate_free(&points[0].aggregate);
    metric_aggregate_free(&points[1].aggregate);

    struct metric_aggregate slots[1];
    assert_false(store_datapoints_read(store, &failures, NULL, 30, 0, 60, 1, slots, &error));
    assert_string_equal(error.message,
                        "cannot read data points: resolution 30 is neither 60 nor 1");
    assert_false(store_datapoints_read(store, &failures, NULL, 60, 0, 0, 1, slots, &error));
    assert_string_equal(error.message, "cannot read data points: period 0 is not positive");
    free_slots(slots, 1);
    store_close(store);
}

static void dimension_text_is_canonical(void **state)
{
    struct temp_store *fixture = *state;
    struct store *store = temp_store_open(fixture->database);
    struct metric_dimension_value awkward[] = {{"b\"q", "line\nbreak"}, {"a", "caf\xc3\xa9\\"}};
    const double one[] = {1};
    struct metric_datapoint point =
        point_of(identity_of("N", "M", awkward, 2), NULL, 60, 60, one, one, 1);
    add_points(store, &point, 1);
    store_close(store);

    sqlite3 *db = NULL;
    sqlite3_stmt *statement = NULL;
    assert_int_equal(sqlite3_open(fixture->database, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT dimensions_json FROM metrics", -1, &statement, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(statement), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(statement, 0),
                        "{\"a\":\"caf\xc3\xa9\\\\\",\"b\\\"q\":\"line\\u000abreak\"}");
    sqlite3_finalize(statement);
    sqlite3_close(db);

    /* and it reads back as the same dimensions */
    store = temp_store_open(fixture->database);
    struct rows rows = list_metrics(store);
    assert_int_equal(rows.count, 1);
    assert_string_equal(rows.text[0], "N|M|a=caf\xc3\xa9\\,b\"q=line\nbreak|None");
    store_close(store);
}

static void span_and_metrics_list(void **state)
{
    (void)state;
    struct store *store = temp_store_open(":memory:");
    struct store_error error;
    bool found = true;
    int64_t first = 0, last = 0;
    assert_true(store_datapoints_span(store, &found, &first, &last, &error));
    assert_false(found);
    assert_int_equal(list_metrics(store).count, 0);

    add_sample_points(store);
    assert_true(store_datapoints_span(store, &found, &first, &last, &error));
    assert_true(found);
    assert_int_equal(first, 1140);
    assert_int_equal(last, 1440);

    struct rows rows = list_metrics(store);
    assert_int_equal(rows.count, 3);
    assert_string_equal(rows.text[0], "CISBenchmark|Failures||Bytes");
    assert_string_equal(rows.text[1], "CISBenchmark|Failures||Count");
    assert_string_equal(rows.text[2], "Custom|BytesOut|Bucket=logs,Operation=GetObject|None");
    store_close(store);
}

static void prune_drops_old_buckets_history_and_metrics(void **state)
{
    struct temp_store *fixture = *state;
    struct store *store = temp_store_open(fixture->database);
    add_sample_points(store);
    add_history(store, "a", 1000, "StateUpdate", "old");
    add_history(store, "a", 2000, "StateUpdate", "new");
    assert_int_equal(count_rows(fixture->database, "datapoint_values"), 8);

    struct store_error error;
    assert_true(store_prune(store, 1260, 2000, &error));

    bool found;
    int64_t first, last;
    assert_true(store_datapoints_span(store, &found, &first, &last, &error));
    assert_true(found);
    assert_int_equal(first, 1260);
    assert_int_equal(last, 1440);
    /* the buckets' values went with them: 1260 and 1440 keep one each */
    assert_int_equal(count_rows(fixture->database, "datapoint_values"), 2);
    /* metrics left without buckets are gone */
    struct rows rows = list_metrics(store);
    assert_int_equal(rows.count, 1);
    assert_string_equal(rows.text[0], "CISBenchmark|Failures||Count");

    struct metric_identity failures = identity_of("CISBenchmark", "Failures", NULL, 0);
    struct metric_aggregate slots[5];
    assert_true(store_datapoints_read(store, &failures, NULL, 60, 1200, 60, 5, slots, &error));
    assert_slot(&slots[0], 0, 0, 0, 0, NULL, NULL, 0);
    assert_slot(&slots[1], 1, 5, 5, 5, (const double[]){5}, (const double[]){1}, 1);
    assert_slot(&slots[2], 2, 10, 4, 6, NULL, NULL, 0);
    assert_slot(&slots[3], 0, 0, 0, 0, NULL, NULL, 0);
    assert_slot(&slots[4], 1, 7, 7, 7, (const double[]){7}, (const double[]){1}, 1);
    free_slots(slots, 5);

    rows = list_history(store, &ALL_HISTORY);
    assert_int_equal(rows.count, 1);
    assert_non_null(strstr(rows.text[0], "|new|"));

    /* data added after a prune lands on a fresh metric row */
    add_sample_points(store);
    assert_int_equal(list_metrics(store).count, 3);
    store_close(store);
}

/* ---- persistence --------------------------------------------------------------------- */

static void reopen_keeps_everything(void **state)
{
    struct temp_store *fixture = *state;
    struct store *store = temp_store_open(fixture->database);
    struct store_error error;
    bool created;
    assert_true(store_metric_filter_put(store, "g", "f", "{\"filterName\":\"f\"}", &error));
    assert_true(store_alarm_put(store, "a", "{\"AlarmName\":\"a\"}", NOW_MS, &created, &error));
    assert_true(
        store_alarm_set_state(store, "a", "ALARM", "crossed", "{}", NOW_MS + 5, true, &error));
    add_history(store, "a", NOW_MS + 5, "StateUpdate",
                "Alarm updated from INSUFFICIENT_DATA to "
                "ALARM");
    assert_true(store_source_set(store, "dev:ino", 77, &error));
    assert_true(store_setting_set(store, "account", "123", &error));
    add_sample_points(store);
    store_close(store);

    store = temp_store_open(fixture->database);
    assert_int_equal(store_schema_version(store), STORE_SCHEMA_VERSION);
    struct rows rows = list_filters(store);
    assert_int_equal(rows.count, 1);
    assert_string_equal(rows.text[0], "g|f|{\"filterName\":\"f\"}");
    rows = list_alarms(store);
    assert_int_equal(rows.count, 1);
    assert_string_equal(rows.text[0],
                        "a|{\"AlarmName\":\"a\"}|ALARM|crossed|{}|1700000000005|1700000000005");
    rows = list_history(store, &ALL_HISTORY);
    assert_int_equal(rows.count, 1);
    assert_string_equal(rows.text[0], "a|1700000000005|StateUpdate|Alarm updated from "
                                      "INSUFFICIENT_DATA to ALARM|{\"version\":\"1.0\"}");
    bool found;
    uint64_t offset;
    assert_true(store_source_get(store, "dev:ino", &found, &offset, &error));
    assert_true(found);
    assert_int_equal(offset, 77);
    char *value = NULL;
    assert_true(store_setting_get(store, "account", &value, &error));
    assert_string_equal(value, "123");
    free(value);
    assert_int_equal(list_metrics(store).count, 3);
    struct metric_identity failures = identity_of("CISBenchmark", "Failures", NULL, 0);
    struct metric_aggregate slots[1];
    assert_true(store_datapoints_read(store, &failures, "Count", 60, 1200, 60, 1, slots, &error));
    assert_slot(&slots[0], 4, 6, 1, 3, (const double[]){1, 3}, (const double[]){3, 1}, 2);
    free_slots(slots, 1);
    store_close(store);
}

/* ---- migrating the committed version-1 database -------------------------------------- */

static char *read_file(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        fail_msg("cannot open %s", path);
    char *text = NULL;
    size_t length = 0, capacity = 0, got;
    do {
        if (length + 4096 + 1 > capacity) {
            capacity = (capacity + 4096) * 2;
            text = realloc(text, capacity);
            assert_non_null(text);
        }
        got = fread(text + length, 1, 4096, file);
        length += got;
    } while (got > 0);
    fclose(file);
    text[length] = '\0';
    return text;
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buffer[4096];
    size_t got;
    while ((got = fread(buffer, 1, sizeof buffer, in)) > 0)
        assert_int_equal(fwrite(buffer, 1, got, out), got);
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static void fixture_holds_migration_one(void **state)
{
    (void)state;
    char *sql = read_file(TESTS_DATA_DIR "/store/schema-v1.sql");
    const char *begin_marker = "-- BEGIN migration 1\n", *end_marker = "-- END migration 1\n";
    char *begin = strstr(sql, begin_marker);
    assert_non_null(begin);
    begin += strlen(begin_marker);
    char *end = strstr(begin, end_marker);
    assert_non_null(end);
    *end = '\0';
    assert_string_equal(begin, store_migrations[0]);
    free(sql);
}

/* Every table, index and trigger of a database as one text (name order), and its version. */
static char *schema_text(const char *path)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *statement = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    const char *sql = "SELECT (SELECT user_version FROM pragma_user_version) || char(10) || "
                      "group_concat(type || ' ' || name || ': ' || coalesce(sql, ''), char(10)) "
                      "FROM (SELECT * FROM sqlite_schema ORDER BY name)";
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &statement, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(statement), SQLITE_ROW);
    char *text = strdup((const char *)sqlite3_column_text(statement, 0));
    assert_non_null(text);
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return text;
}

/* Migrating the version-1 file runs every later script: the result is exactly the schema
 * a new database gets, so no migration can be forgotten or differ from a fresh install. */
static void migrated_schema_equals_a_new_one(void **state)
{
    struct temp_store *fixture = *state;
    char path[160];
    snprintf(path, sizeof path, "%s/v1.sqlite", fixture->directory);
    copy_file(TESTS_DATA_DIR "/store/schema-v1.sqlite", path);
    store_close(temp_store_open(path));
    store_close(temp_store_open(fixture->database));
    char *migrated = schema_text(path), *fresh = schema_text(fixture->database);
    assert_string_equal(migrated, fresh);
    char version_line[16];
    snprintf(version_line, sizeof version_line, "%d\n", STORE_SCHEMA_VERSION);
    assert_memory_equal(migrated, version_line, strlen(version_line));
    for (size_t i = 0; i < STORE_SCHEMA_VERSION; i++)
        assert_non_null(store_migrations[i]);
    assert_non_null(strstr(fresh, "table bucket_evidence: CREATE TABLE bucket_evidence"));
    assert_non_null(strstr(fresh, "table outbox: CREATE TABLE outbox"));
    assert_non_null(strstr(fresh, "index outbox_due: CREATE INDEX outbox_due"));
    free(migrated);
    free(fresh);
}

static void version_one_database_is_migrated(void **state)
{
    struct temp_store *fixture = *state;
    char path[160];
    snprintf(path, sizeof path, "%s/v1.sqlite", fixture->directory);
    copy_file(TESTS_DATA_DIR "/store/schema-v1.sqlite", path);
    struct store *store = temp_store_open(path);
    assert_int_equal(store_schema_version(store), STORE_SCHEMA_VERSION);

    struct rows rows = list_filters(store);
    assert_int_equal(rows.count, 2);
    assert_string_equal(rows.text[0], "|cis-4.1|{\"filterName\":\"cis-4.1\",\"filterPattern\":"
                                      "\"{ $.errorCode = \\\"AccessDenied*\\\" }\"}");
    assert_non_null(strstr(rows.text[1], "CloudTrail/logs|root-usage|"));

    rows = list_alarms(store);
    assert_int_equal(rows.count, 2);
    assert_string_equal(rows.text[0],
                        "cis-4.1-alarm|{\"AlarmName\":\"cis-4.1-alarm\",\"Threshold\":1}|ALARM|"
                        "Threshold Crossed: 1 datapoint [3.0 (14/11/23 22:14:00)] was greater "
                        "than or equal to the threshold (1.0).|{\"version\":\"1.0\","
                        "\"recentDatapoints\":[3.0]}|1700000100000|1700000100000");
    assert_string_equal(rows.text[1], "root-alarm|{\"AlarmName\":\"root-alarm\",\"Threshold\":1}|"
                                      "INSUFFICIENT_DATA|Unchecked: Initial alarm creation|"
                                      "(null)|1700000000000|1700000000000");

    rows = list_history(store, &ALL_HISTORY);
    assert_int_equal(rows.count, 3);
    assert_string_equal(rows.text[0], "cis-4.1-alarm|1700000100000|StateUpdate|Alarm updated "
                                      "from INSUFFICIENT_DATA to ALARM|{\"version\":\"1.0\"}");
    assert_non_null(strstr(rows.text[1], "root-alarm|1700000000000|ConfigurationUpdate|"));
    assert_non_null(strstr(rows.text[2], "cis-4.1-alarm|1700000000000|ConfigurationUpdate|"));

    rows = list_metrics(store);
    assert_int_equal(rows.count, 2);
    assert_string_equal(rows.text[0], "CISBenchmark|AuthorizationFailureCount||None");
    assert_string_equal(rows.text[1], "Custom|BytesOut|Bucket=logs,Operation=GetObject|Bytes");

    struct store_error error;
    struct metric_aggregate slots[2];
    struct metric_identity failures =
        identity_of("CISBenchmark", "AuthorizationFailureCount", NULL, 0);
    assert_true(
        store_datapoints_read(store, &failures, NULL, 60, 1700000040, 60, 2, slots, &error));
    assert_slot(&slots[0], 3, 3, 1, 1, (const double[]){1}, (const double[]){3}, 1);
    assert_slot(&slots[1], 1, 1, 1, 1, (const double[]){1}, (const double[]){1}, 1);
    free_slots(slots, 2);
    struct metric_identity bytes_out = identity_of("Custom", "BytesOut", OPERATION_BUCKET, 2);
    assert_true(
        store_datapoints_read(store, &bytes_out, "Bytes", 60, 1700000100, 60, 1, slots, &error));
    assert_slot(&slots[0], 3, 500, 100, 200, (const double[]){100, 200}, (const double[]){1, 2}, 2);
    free_slots(slots, 1);
    assert_true(
        store_datapoints_read(store, &bytes_out, "Bytes", 1, 1700000100, 2, 1, slots, &error));
    assert_slot(&slots[0], 1, 5, 5, 5, (const double[]){5}, (const double[]){1}, 1);
    free_slots(slots, 1);
    bool found;
    int64_t first, last;
    assert_true(store_datapoints_span(store, &found, &first, &last, &error));
    assert_true(found);
    assert_int_equal(first, 1700000040);
    assert_int_equal(last, 1700000101);

    /* the old rows take new writes, and version 2's tables work */
    const double one[] = {1};
    struct metric_datapoint point = point_of(failures, NULL, 60, 1700000040, one, one, 1);
    add_points(store, &point, 1);
    assert_true(
        store_datapoints_read(store, &failures, "None", 60, 1700000040, 60, 1, slots, &error));
    assert_slot(&slots[0], 4, 4, 1, 1, (const double[]){1}, (const double[]){4}, 1);
    free_slots(slots, 1);
    assert_true(
        store_alarm_set_state(store, "root-alarm", "OK", "fine", NULL, NOW_MS + 1, true, &error));
    assert_true(store_setting_set(store, "account", "123456789012", &error));
    assert_true(store_source_set(store, "2049:77", 1024, &error));
    store_close(store);
    /* versions 3 to 5 start empty */
    assert_int_equal(count_rows(path, "bucket_evidence"), 0);
    assert_int_equal(count_rows(path, "outbox"), 0);
    assert_int_equal(count_rows(path, "topics"), 0);
    assert_int_equal(count_rows(path, "subscriptions"), 0);

    store = temp_store_open(path);
    uint64_t offset;
    assert_true(store_source_get(store, "2049:77", &found, &offset, &error));
    assert_true(found);
    assert_int_equal(offset, 1024);
    store_close(store);
}

int main(void)
{
#define TEST(name) cmocka_unit_test_setup_teardown(name, make_directory, remove_directory)
    const struct CMUnitTest tests[] = {
        TEST(open_creates_private_directories_and_file),
        TEST(open_reports_what_failed),
        TEST(memory_store_works),
        TEST(default_path_follows_the_environment),
        TEST(newer_schema_is_refused),
        TEST(metric_filters_put_list_delete),
        TEST(alarm_put_creates_then_keeps_state),
        TEST(alarm_list_get_delete),
        TEST(callback_cannot_reenter_its_walk),
        TEST(history_filters_order_and_limit),
        TEST(sources_and_settings),
        TEST(log_batch_digests_remember_committed_batches),
        TEST(log_events_prune_by_timestamp),
        TEST(nested_transactions_commit_once),
        TEST(rollback_leaves_nothing),
        TEST(nested_rollback_dooms_the_outer_transaction),
        TEST(two_handles_share_committed_data),
        TEST(datapoints_merge_and_read_slots),
        TEST(datapoints_refuse_bad_input),
        TEST(dimension_text_is_canonical),
        TEST(span_and_metrics_list),
        TEST(prune_drops_old_buckets_history_and_metrics),
        TEST(reopen_keeps_everything),
        TEST(fixture_holds_migration_one),
        TEST(version_one_database_is_migrated),
        TEST(migrated_schema_equals_a_new_one),
    };
#undef TEST
    return cmocka_run_group_tests(tests, NULL, NULL);
}
