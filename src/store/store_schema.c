/* The schema, one SQL script per version. A script is never edited once released: a change
 * is a new script appended here (and STORE_SCHEMA_VERSION raised), so every database walks
 * the same path to the current schema. */
#include "store/store_schema.h"
#include "store/store.h"
#include "store/store_internal.h"

#include <stdio.h>

/* Version 1: definitions, alarm state and history, metrics and their buckets.
 * Definitions are the JSON documents of AWS's requests (checked to be JSON, nothing more).
 * A metric row is one (identity, unit) pair: the unit partitions the data (alarms.md §1.1),
 * and dimensions_json is the canonical text of the dimension set, an object whose keys are
 * sorted, so equal sets are equal strings. Buckets and their value->count maps are keyed by
 * their start, so merging a bucket is an upsert and reading a range is an index scan. */
static const char schema_version_1[] =
    "CREATE TABLE metric_filters (\n"
    "    log_group TEXT NOT NULL,\n"
    "    name TEXT NOT NULL,\n"
    "    definition_json TEXT NOT NULL CHECK (json_valid(definition_json)),\n"
    "    PRIMARY KEY (log_group, name)\n"
    ");\n"
    "CREATE TABLE alarms (\n"
    "    name TEXT PRIMARY KEY NOT NULL,\n"
    "    definition_json TEXT NOT NULL CHECK (json_valid(definition_json))\n"
    ");\n"
    "CREATE TABLE alarm_state (\n"
    "    name TEXT PRIMARY KEY NOT NULL REFERENCES alarms (name) ON DELETE CASCADE,\n"
    "    state TEXT NOT NULL CHECK (state IN ('OK', 'ALARM', 'INSUFFICIENT_DATA')),\n"
    "    reason TEXT NOT NULL,\n"
    "    reason_data TEXT,\n"
    "    updated_ms INTEGER NOT NULL,\n"
    "    transitioned_ms INTEGER NOT NULL\n"
    ");\n"
    "CREATE TABLE alarm_history (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    alarm_name TEXT NOT NULL,\n"
    "    timestamp_ms INTEGER NOT NULL,\n"
    "    type TEXT NOT NULL,\n"
    "    summary TEXT NOT NULL,\n"
    "    data TEXT NOT NULL\n"
    ");\n"
    "CREATE INDEX alarm_history_by_alarm ON alarm_history (alarm_name, timestamp_ms);\n"
    "CREATE INDEX alarm_history_by_time ON alarm_history (timestamp_ms);\n"
    "CREATE TABLE metrics (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    namespace TEXT NOT NULL,\n"
    "    name TEXT NOT NULL,\n"
    "    dimensions_json TEXT NOT NULL,\n"
    "    unit TEXT NOT NULL,\n"
    "    UNIQUE (namespace, name, dimensions_json, unit)\n"
    ");\n"
    "CREATE TABLE datapoints (\n"
    "    metric_id INTEGER NOT NULL REFERENCES metrics (id) ON DELETE CASCADE,\n"
    "    resolution INTEGER NOT NULL CHECK (resolution IN (1, 60)),\n"
    "    timestamp INTEGER NOT NULL,\n"
    "    sample_count REAL NOT NULL,\n"
    "    sum REAL NOT NULL,\n"
    "    minimum REAL NOT NULL,\n"
    "    maximum REAL NOT NULL,\n"
    "    PRIMARY KEY (metric_id, resolution, timestamp)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE datapoint_values (\n"
    "    metric_id INTEGER NOT NULL,\n"
    "    resolution INTEGER NOT NULL,\n"
    "    timestamp INTEGER NOT NULL,\n"
    "    value REAL NOT NULL,\n"
    "    count REAL NOT NULL,\n"
    "    PRIMARY KEY (metric_id, resolution, timestamp, value),\n"
    "    FOREIGN KEY (metric_id, resolution, timestamp)\n"
    "        REFERENCES datapoints (metric_id, resolution, timestamp) ON DELETE CASCADE\n"
    ") WITHOUT ROWID;\n";

/* Version 2: the daemon's read progress per source and small settings; an index on bucket
 * starts for the span query and for pruning, which otherwise scan every bucket. */
static const char schema_version_2[] =
    "CREATE TABLE sources (\n"
    "    identity TEXT PRIMARY KEY NOT NULL,\n"
    "    offset INTEGER NOT NULL CHECK (offset >= 0),\n"
    "    updated_ms INTEGER NOT NULL\n"
    ");\n"
    "CREATE TABLE settings (\n"
    "    name TEXT PRIMARY KEY NOT NULL,\n"
    "    value TEXT NOT NULL\n"
    ");\n"
    "CREATE INDEX datapoints_by_time ON datapoints (timestamp);\n";

/* Version 3: the evidence behind each bucket (who did what, from where), merged like the
 * bucket, so an alarm's notification can say who caused it. */
static const char schema_version_3[] =
    "CREATE TABLE bucket_evidence (\n"
    "    metric_id INTEGER NOT NULL,\n"
    "    resolution INTEGER NOT NULL,\n"
    "    timestamp INTEGER NOT NULL,\n"
    "    evidence_json TEXT NOT NULL CHECK (json_valid(evidence_json)),\n"
    "    PRIMARY KEY (metric_id, resolution, timestamp),\n"
    "    FOREIGN KEY (metric_id, resolution, timestamp)\n"
    "        REFERENCES datapoints (metric_id, resolution, timestamp) ON DELETE CASCADE\n"
    ") WITHOUT ROWID;\n";

/* Version 4: the notification outbox. A message is written in the transaction of the state
 * change that causes it and stays until delivered or parked as failed; its message_id is
 * the receivers' idempotency key. Deliveries for one (subscription, alarm) go in id order. */
static const char schema_version_4[] =
    "CREATE TABLE outbox (\n"
    "    id INTEGER PRIMARY KEY,\n"
    "    message_id TEXT NOT NULL UNIQUE,\n"
    "    alarm_name TEXT,\n"
    "    topic_arn TEXT NOT NULL,\n"
    "    subscription_arn TEXT NOT NULL,\n"
    "    protocol TEXT NOT NULL,\n"
    "    endpoint TEXT NOT NULL,\n"
    "    subject TEXT,\n"
    "    body TEXT NOT NULL,\n"
    "    attributes_json TEXT NOT NULL CHECK (json_valid(attributes_json)),\n"
    "    policy TEXT NOT NULL,\n"
    "    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),\n"
    "    attempts INTEGER NOT NULL DEFAULT 0,\n"
    "    created_ms INTEGER NOT NULL,\n"
    "    first_attempt_ms INTEGER,\n"
    "    next_attempt_ms INTEGER NOT NULL,\n"
    "    last_error TEXT\n"
    ");\n"
    "CREATE INDEX outbox_due ON outbox (state, next_attempt_ms);\n"
    "CREATE INDEX outbox_order ON outbox (subscription_arn, alarm_name, state, id);\n";

/* Version 5: topics and subscriptions made through the API (the configuration file's stay
 * in the file). A subscription's topic_arn has no foreign key: it may name a configured
 * topic. A subscription waits in 'pending' until its token comes back (ConfirmSubscription);
 * 'unsubscribed' keeps an unsubscribed one, hidden, while the token of its
 * UnsubscribeConfirmation can restore it (notifications.md §4.4). Tokens are unique per
 * topic, the key ConfirmSubscription looks them up by. */
static const char schema_version_5[] =
    "CREATE TABLE topics (\n"
    "    arn TEXT PRIMARY KEY NOT NULL,\n"
    "    name TEXT NOT NULL,\n"
    "    attributes_json TEXT NOT NULL CHECK (json_valid(attributes_json)),\n"
    "    created_ms INTEGER NOT NULL\n"
    ");\n"
    "CREATE TABLE subscriptions (\n"
    "    arn TEXT PRIMARY KEY NOT NULL,\n"
    "    topic_arn TEXT NOT NULL,\n"
    "    protocol TEXT NOT NULL,\n"
    "    endpoint TEXT NOT NULL,\n"
    "    attributes_json TEXT NOT NULL CHECK (json_valid(attributes_json)),\n"
    "    state TEXT NOT NULL CHECK (state IN ('pending', 'confirmed', 'unsubscribed')),\n"
    "    token TEXT,\n"
    "    token_expires_ms INTEGER,\n"
    "    created_ms INTEGER NOT NULL,\n"
    "    confirmed_ms INTEGER,\n"
    "    CHECK (state = 'confirmed' OR (token IS NOT NULL AND token_expires_ms IS NOT NULL))\n"
    ");\n"
    "CREATE INDEX subscriptions_by_topic ON subscriptions (topic_arn, created_ms);\n"
    "CREATE UNIQUE INDEX subscriptions_by_token ON subscriptions (topic_arn, token);\n";

/* Version 6: log groups, streams and events made through the API (CreateLogGroup,
 * CreateLogStream, PutLogEvents), for DescribeLogGroups and FilterLogEvents. Events are
 * numbered in insertion order, the order FilterLogEvents pages by within one timestamp. */
static const char schema_version_6[] =
    "CREATE TABLE log_groups (\n"
    "    name TEXT PRIMARY KEY NOT NULL,\n"
    "    created_ms INTEGER NOT NULL\n"
    ");\n"
    "CREATE TABLE log_streams (\n"
    "    log_group TEXT NOT NULL REFERENCES log_groups (name) ON DELETE CASCADE,\n"
    "    name TEXT NOT NULL,\n"
    "    created_ms INTEGER NOT NULL,\n"
    "    PRIMARY KEY (log_group, name)\n"
    ");\n"
    "CREATE TABLE log_events (\n"
    "    id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "    log_group TEXT NOT NULL,\n"
    "    log_stream TEXT NOT NULL,\n"
    "    timestamp_ms INTEGER NOT NULL,\n"
    "    ingestion_ms INTEGER NOT NULL,\n"
    "    message TEXT NOT NULL,\n"
    "    FOREIGN KEY (log_group, log_stream) REFERENCES log_streams (log_group, name)\n"
    "        ON DELETE CASCADE\n"
    ");\n"
    "CREATE INDEX log_events_by_time ON log_events (log_group, timestamp_ms, id);\n";

/* Version 7: the digests of the PutLogEvents batches the daemon committed, so a client's
 * retry of a batch whose answer it never got (a crash after the commit) is recognised and
 * not counted twice; pruned with the data points' retention. */
static const char schema_version_7[] =
    "CREATE TABLE log_batches (\n"
    "    digest TEXT PRIMARY KEY NOT NULL,\n"
    "    received_ms INTEGER NOT NULL\n"
    ");\n"
    "CREATE INDEX log_batches_by_time ON log_batches (received_ms);\n";

const char *const store_migrations[STORE_SCHEMA_VERSION] = {
    schema_version_1, schema_version_2, schema_version_3, schema_version_4,
    schema_version_5, schema_version_6, schema_version_7};

static bool read_user_version(struct store *store, int *version, struct store_error *error)
{
    sqlite3_stmt *statement = NULL;
    if (sqlite3_prepare_v2(store->db, "PRAGMA user_version", -1, &statement, NULL) != SQLITE_OK)
        return store_fail_sqlite(store, error, "cannot read the schema version");
    bool ok = sqlite3_step(statement) == SQLITE_ROW;
    if (ok)
        *version = sqlite3_column_int(statement, 0);
    else
        store_fail_sqlite(store, error, "cannot read the schema version");
    sqlite3_finalize(statement);
    return ok;
}

static bool apply_migration(struct store *store, int from_version, struct store_error *error)
{
    char what[64];
    snprintf(what, sizeof what, "migrating the schema to version %d", from_version + 1);
    if (sqlite3_exec(store->db, store_migrations[from_version], NULL, NULL, NULL) != SQLITE_OK)
        return store_fail_sqlite(store, error, what);
    char bump[64];
    snprintf(bump, sizeof bump, "PRAGMA user_version = %d", from_version + 1);
    if (sqlite3_exec(store->db, bump, NULL, NULL, NULL) != SQLITE_OK)
        return store_fail_sqlite(store, error, what);
    return true;
}

/* One step: in a write transaction (so two processes opening a new file at once cannot
 * both migrate it), reads the version and applies the next migration. `current` tells
 * whether there was nothing left to do. */
static bool migrate_one_step(struct store *store, bool *current, struct store_error *error)
{
    if (!store_begin(store, error))
        return false;
    int version = 0;
    bool ok = read_user_version(store, &version, error);
    if (ok && version > STORE_SCHEMA_VERSION)
        ok = store_fail(error, "database schema version %d is newer than this trailhound (%d)",
                        version, STORE_SCHEMA_VERSION);
    else if (ok && version < 0)
        ok = store_fail(error, "database schema version %d is not a trailhound version", version);
    *current = ok && version == STORE_SCHEMA_VERSION;
    if (ok && !*current)
        ok = apply_migration(store, version, error);
    if (ok)
        store->schema_version = *current ? version : version + 1;
    return store_end(store, ok, error);
}

bool store_schema_migrate(struct store *store, struct store_error *error)
{
    /* The usual case, a current file, needs no write lock: every API request and /healthz
     * opens a handle, and must not wait behind (or hold up) the daemon's commits. */
    int version = -1;
    if (read_user_version(store, &version, error) && version == STORE_SCHEMA_VERSION) {
        store->schema_version = version;
        return true;
    }
    bool current = false;
    while (!current)
        if (!migrate_one_step(store, &current, error))
            return false;
    return true;
}
