-- A version-1 trailhound database with a few rows of every kind, for the migration test
-- (tests/unit/test_store.c). make-schema-v1.sh turns it into schema-v1.sqlite.
-- The text between the BEGIN and END lines must stay equal to migration 1 in
-- src/store/store_schema.c; a test checks it.
BEGIN;
-- BEGIN migration 1
CREATE TABLE metric_filters (
    log_group TEXT NOT NULL,
    name TEXT NOT NULL,
    definition_json TEXT NOT NULL CHECK (json_valid(definition_json)),
    PRIMARY KEY (log_group, name)
);
CREATE TABLE alarms (
    name TEXT PRIMARY KEY NOT NULL,
    definition_json TEXT NOT NULL CHECK (json_valid(definition_json))
);
CREATE TABLE alarm_state (
    name TEXT PRIMARY KEY NOT NULL REFERENCES alarms (name) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (state IN ('OK', 'ALARM', 'INSUFFICIENT_DATA')),
    reason TEXT NOT NULL,
    reason_data TEXT,
    updated_ms INTEGER NOT NULL,
    transitioned_ms INTEGER NOT NULL
);
CREATE TABLE alarm_history (
    id INTEGER PRIMARY KEY,
    alarm_name TEXT NOT NULL,
    timestamp_ms INTEGER NOT NULL,
    type TEXT NOT NULL,
    summary TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX alarm_history_by_alarm ON alarm_history (alarm_name, timestamp_ms);
CREATE INDEX alarm_history_by_time ON alarm_history (timestamp_ms);
CREATE TABLE metrics (
    id INTEGER PRIMARY KEY,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    dimensions_json TEXT NOT NULL,
    unit TEXT NOT NULL,
    UNIQUE (namespace, name, dimensions_json, unit)
);
CREATE TABLE datapoints (
    metric_id INTEGER NOT NULL REFERENCES metrics (id) ON DELETE CASCADE,
    resolution INTEGER NOT NULL CHECK (resolution IN (1, 60)),
    timestamp INTEGER NOT NULL,
    sample_count REAL NOT NULL,
    sum REAL NOT NULL,
    minimum REAL NOT NULL,
    maximum REAL NOT NULL,
    PRIMARY KEY (metric_id, resolution, timestamp)
) WITHOUT ROWID;
CREATE TABLE datapoint_values (
    metric_id INTEGER NOT NULL,
    resolution INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    value REAL NOT NULL,
    count REAL NOT NULL,
    PRIMARY KEY (metric_id, resolution, timestamp, value),
    FOREIGN KEY (metric_id, resolution, timestamp)
        REFERENCES datapoints (metric_id, resolution, timestamp) ON DELETE CASCADE
) WITHOUT ROWID;
-- END migration 1
PRAGMA user_version = 1;

INSERT INTO metric_filters VALUES
    ('', 'cis-4.1', '{"filterName":"cis-4.1","filterPattern":"{ $.errorCode = \"AccessDenied*\" }"}'),
    ('CloudTrail/logs', 'root-usage', '{"filterName":"root-usage","filterPattern":"{ $.userIdentity.type = \"Root\" }"}');

INSERT INTO alarms VALUES
    ('cis-4.1-alarm', '{"AlarmName":"cis-4.1-alarm","Threshold":1}'),
    ('root-alarm', '{"AlarmName":"root-alarm","Threshold":1}');
INSERT INTO alarm_state VALUES
    ('cis-4.1-alarm', 'ALARM', 'Threshold Crossed: 1 datapoint [3.0 (14/11/23 22:14:00)] was greater than or equal to the threshold (1.0).',
     '{"version":"1.0","recentDatapoints":[3.0]}', 1700000100000, 1700000100000),
    ('root-alarm', 'INSUFFICIENT_DATA', 'Unchecked: Initial alarm creation', NULL, 1700000000000, 1700000000000);

INSERT INTO alarm_history (alarm_name, timestamp_ms, type, summary, data) VALUES
    ('cis-4.1-alarm', 1700000000000, 'ConfigurationUpdate', 'Alarm "cis-4.1-alarm" created', '{"version":"1.0","type":"Create"}'),
    ('cis-4.1-alarm', 1700000100000, 'StateUpdate', 'Alarm updated from INSUFFICIENT_DATA to ALARM', '{"version":"1.0"}'),
    ('root-alarm', 1700000000000, 'ConfigurationUpdate', 'Alarm "root-alarm" created', '{"version":"1.0","type":"Create"}');

INSERT INTO metrics VALUES
    (1, 'CISBenchmark', 'AuthorizationFailureCount', '{}', 'None'),
    (2, 'Custom', 'BytesOut', '{"Bucket":"logs","Operation":"GetObject"}', 'Bytes');
INSERT INTO datapoints VALUES
    (1, 60, 1700000040, 3, 3, 1, 1),
    (1, 60, 1700000100, 1, 1, 1, 1),
    (2, 60, 1700000100, 3, 500, 100, 200),
    (2, 1, 1700000101, 1, 5, 5, 5);
INSERT INTO datapoint_values VALUES
    (1, 60, 1700000040, 1, 3),
    (1, 60, 1700000100, 1, 1),
    (2, 60, 1700000100, 100, 1),
    (2, 60, 1700000100, 200, 2),
    (2, 1, 1700000101, 5, 1);
COMMIT;
