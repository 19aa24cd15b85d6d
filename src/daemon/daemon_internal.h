/* The daemon's state and the functions its files share. Internal to the daemon stage. */
#ifndef TRAILHOUND_DAEMON_DAEMON_INTERNAL_H
#define TRAILHOUND_DAEMON_DAEMON_INTERNAL_H

#include "api/api.h"
#include "config/config.h"
#include "daemon/daemon.h"
#include "metrics/metrics.h"
#include "notify/notify.h"
#include "store/store.h"

/* A compiled filter set for one log group: the configuration's filters with its
 * logGroupName or none, and the filters PutMetricFilter put on the group. */
struct daemon_scan {
    char *log_group;
    struct metric_filter_list filters;
    struct filter_scan *scan;
    uint64_t *matches_counted; /* daemon_stats: per filter, the matches already accounted for */
    char *api_filters; /* the API's filters it was built with, as text: changed means stale */
};

/* What trailhound itself failed to do (daemon_failures.c). */
enum daemon_failure { DAEMON_FAILURE_INGEST, DAEMON_FAILURE_DELIVERY, DAEMON_FAILURE_KIND_COUNT };

struct daemon_failures {
    uint64_t pending[DAEMON_FAILURE_KIND_COUNT]; /* counted, not yet in the store */
    uint64_t written[DAEMON_FAILURE_KIND_COUNT]; /* in the open transaction */
};

struct daemon_silence; /* daemon_silence.c */

/* One inotify watch: a watched directory or one of its subdirectories. */
struct daemon_watched_dir {
    int descriptor;
    char *path;
    const char *log_group; /* the option's */
};

struct daemon {
    struct daemon_options options;
    struct config config;
    struct store *store;
    char *db_path;
    int signal_fd, inotify_fd;
    struct daemon_scan *scans;
    size_t scan_count;
    struct daemon_watched_dir *dirs;
    size_t dir_count, dir_capacity;
    struct notify_signing_key signing_key;
    /* The API reads its own copy of the configuration, loaded once: SIGHUP replaces the
     * daemon's while request threads may be reading, so they never share it. */
    struct api_server *api;
    struct config api_config;
    struct api_credentials api_credentials;
    bool api_config_loaded;
    bool stopping, reload_requested, retry_pending, stdin_open;
    int64_t started_ms, next_evaluation_ms, next_prune_ms, retry_at_ms;
    char *stdin_buffer; /* bytes of standard input after its last complete line */
    size_t stdin_length, stdin_capacity;
    uint64_t events_ingested, commits_failed;
    struct daemon_stats *stats;     /* /metrics and /healthz; read by the API's threads */
    struct daemon_silence *silence; /* sources whose silence is watched; NULL: none yet */
    struct daemon_failures failures;
    struct daemon_log_queue *log_queue; /* PutLogEvents' hand-off (daemon_log_events.c) */
};

/* ---- log (daemon_log.c): "TIME LEVEL what key=value ..." on one line ---- */
__attribute__((format(printf, 4, 5))) void daemon_log(struct daemon *daemon, const char *level,
                                                      const char *what, const char *format, ...);
int64_t daemon_now_ms(void);

/* ---- the API's access keys (daemon_credentials.c) ---- */
/* --credentials FILE, settings.apiAccessKeyId/apiSecretAccessKey and the stored generated
 * key; with none of them (and auth on), generates one: store + 0600 file beside the db. */
bool daemon_credentials_gather(struct daemon *daemon, struct daemon_error *error);

/* ---- configuration (daemon_config.c) ---- */
bool daemon_config_load(const struct daemon_options *options, struct config *config,
                        struct daemon_error *error);
/* Builds one filter scan per log group the sources use; frees the old ones. */
bool daemon_scans_build(struct daemon *daemon, struct daemon_error *error);
void daemon_scans_free(struct daemon *daemon);
struct daemon_scan *daemon_scan_for(struct daemon *daemon, const char *log_group);
/* The log group's scan, built (or rebuilt) when the API's filters for it changed since it
 * was built; NULL with `error` when building fails (the previous scan, if any, stays). */
struct daemon_scan *daemon_scan_current(struct daemon *daemon, const char *log_group,
                                        struct daemon_error *error);
/* For files and standard input: daemon_scan_current, or (logged) the scan as it was. */
struct daemon_scan *daemon_scan_fresh(struct daemon *daemon, const char *log_group);
/* Puts the configuration's filters and alarms into the store; deletes alarms an earlier
 * configuration defined that this one does not. */
bool daemon_config_apply(struct daemon *daemon, struct daemon_error *error);
bool daemon_reload(struct daemon *daemon);

/* ---- ingestion (daemon_ingest.c) ---- */
/* What one chunk of one source brought, before it is committed. */
struct daemon_ingest_run {
    struct daemon *daemon;
    struct daemon_scan *scan;
    const char *path; /* for log lines: a file, "-", or the API's group/stream */
    uint64_t events, malformed;
    /* Run inside the commit's transaction (e.g. storing PutLogEvents' events); NULL: none. */
    bool (*also_commit)(void *context, struct store *store, struct store_error *error);
    void *also_context;
};

/* The data points' time comes from the event's eventTime (CloudTrail), not a timestamp. */
#define DAEMON_EVENT_TIME INT64_MIN

/* Tests one event against the run's filters; `timestamp_ms` (a log event's timestamp) or
 * DAEMON_EVENT_TIME says which time its data points get. False when it is malformed: not
 * JSON with DAEMON_EVENT_TIME; with a timestamp a message that is not JSON is tested as
 * text (filter_scan_event_at), so only running out of memory. */
bool daemon_ingest_event(struct daemon_ingest_run *run, const char *message, size_t length,
                         int64_t timestamp_ms);
/* The data points of what `run` read and the source's new offset, in one transaction.
 * `identity` NULL (standard input, the API) records no offset. On failure nothing is kept,
 * the offset does not move (the bytes are read again at the next retry) and false. */
bool daemon_commit_run(struct daemon_ingest_run *run, const char *identity, uint64_t offset);
bool daemon_watches_start(struct daemon *daemon, struct daemon_error *error);
/* Reads every file of every watched directory as far as it has grown. */
void daemon_ingest_all(struct daemon *daemon);
void daemon_ingest_inotify(struct daemon *daemon);
/* Reads what standard input has; false at end of input. */
bool daemon_ingest_stdin(struct daemon *daemon);

/* ---- PutLogEvents (daemon_log_events.c) ---- */
/* The hand-off queue and its eventfd; before the API starts. */
bool daemon_log_events_open(struct daemon *daemon, struct daemon_error *error);
/* Sets the API's on_log_events to the hand-off. */
void daemon_log_events_connect(struct daemon *daemon, struct api_settings *settings);
/* The eventfd the loop polls; -1 when there is no queue. */
int daemon_log_events_fd(const struct daemon *daemon);
/* The writer's turn: each queued batch in its own transaction (events, data points,
 * evidence, digest), then early alarms, then the waiting requests are answered. */
void daemon_log_events_process(struct daemon *daemon, int64_t *next_delivery);
/* Fails every queued and later batch at once (before api_server_stop, which waits). */
void daemon_log_events_close(struct daemon *daemon);
void daemon_log_events_free(struct daemon *daemon);

/* ---- silence (daemon_silence.c): log groups, accounts and regions ---- */
/* Adds `events` to the log group's heartbeat metric, in the caller's transaction. */
bool daemon_silence_heartbeat(struct daemon *daemon, const char *log_group, uint64_t events,
                              struct store_error *error);
/* Tallies the event's account and region (until the next commit); nothing in bounded runs. */
void daemon_silence_note_event(struct daemon *daemon, const char *message, size_t length);
/* In the commit's transaction: the log group's heartbeat (when `events` > 0), the tallied
 * accounts' and regions', and the failure counts (daemon_failures_write). */
bool daemon_silence_commit(struct daemon *daemon, const char *log_group, uint64_t events,
                           struct store_error *error);
/* After the commit: when `committed`, the silence alarms of what delivered are defined
 * (once per run); either way the tally starts again (uncommitted bytes are read again). */
void daemon_silence_settle(struct daemon *daemon, const char *log_group, uint64_t events,
                           bool committed);
/* At start: the sources an earlier run saw delivering (their stored silence alarms); their
 * alarms and the failure alarms are defined with the configuration's topic and periods. */
void daemon_silence_load(struct daemon *daemon);
/* After SIGHUP: the same with the new configuration. */
void daemon_silence_reload(struct daemon *daemon);
/* Each minute: a 0 heartbeat for every watched source and the failure counts. */
void daemon_silence_tick(struct daemon *daemon);
void daemon_silence_free(struct daemon *daemon);
/* silenceTopic's ARN, else fallbackTopic's; NULL when neither is configured. */
const char *daemon_silence_topic_arn(const struct config *config);
/* That topic as the alarm's ALARM and OK actions (none when there is none); false on out of
 * memory. */
bool daemon_silence_set_actions(const struct config *config, struct alarm_definition *alarm);
/* What is watched: 12 digits; 1..32 of [a-z0-9-]. */
bool daemon_silence_valid_account(const char *text, size_t length);
bool daemon_silence_valid_region(const char *text, size_t length);

/* ---- trailhound's own failures (daemon_failures.c) ---- */
void daemon_failure_count(struct daemon *daemon, enum daemon_failure kind);
/* The counts not yet stored, in the caller's transaction; daemon_failures_settle after it. */
bool daemon_failures_write(struct daemon *daemon, struct store_error *error);
void daemon_failures_settle(struct daemon *daemon, bool committed);
/* The counts not yet stored, in a transaction of their own (after a delivery turn). */
void daemon_failures_flush(struct daemon *daemon);
/* Defines trailhound-ingest-failures and trailhound-delivery-failures (when a silence or
 * fallback topic is configured). */
void daemon_failures_watch(struct daemon *daemon);
/* monitor_delivery_settings.on_failed_attempt: counts a failed delivery attempt, except of
 * the delivery-failure alarm's own messages (no cascade). */
void daemon_failures_on_failed_attempt(void *context, const struct store_outbox_message *message);

/* ---- operations statistics (daemon_stats.c), read by the API's threads ---- */
struct daemon_stats;
struct daemon_stats *daemon_stats_create(int64_t now_ms);
void daemon_stats_free(struct daemon_stats *stats);
/* One commit, as counted: `filters`/`matches` the matches per filter it brought. */
struct daemon_stats_commit {
    const char *log_group;
    const char *source_kind; /* "file", "stdin", "api" */
    bool committed;          /* false: rolled back, nothing of it counts */
    uint64_t events, malformed;
    const char *const *filters;
    const uint64_t *matches;
    size_t filter_count;
};
void daemon_stats_record(struct daemon_stats *stats, const struct daemon_stats_commit *commit,
                         int64_t now_ms);
/* Counts `run`'s commit (called by daemon_commit_run, kept or not); a rolled-back chunk's
 * matches are marked accounted for, so its bytes read again count once. */
void daemon_stats_commit(struct daemon_stats *stats, struct daemon_ingest_run *run,
                         const char *identity, bool committed);
/* The daemon's part of /metrics; false when memory ran out. */
bool daemon_stats_write(struct daemon_stats *stats, int64_t now_ms, struct api_buffer *out);
/* False with a reason when commits have been failing for 60 s or more (ingestion stuck). */
/* Nothing is waiting to be committed again (a retry found nothing left to read, e.g. the
 * file is gone): ingestion is not stuck, whatever failed before. */
void daemon_stats_retries_settled(struct daemon_stats *stats);
bool daemon_stats_healthy(struct daemon_stats *stats, int64_t now_ms, char *reason, size_t size);
/* api_settings' write_metrics and check_health; `context` is the daemon. */
bool daemon_metrics_write(void *context, int64_t now_ms, struct api_buffer *out);
bool daemon_health_check(void *context, int64_t now_ms, char *reason, size_t size);

/* ---- alarms and delivery (daemon_alarms.c) ---- */
/* Evaluates every stored alarm at `instant_ms`; `early_only`: only >=/> Sum and SampleCount
 * alarms, and only transitions into ALARM are kept. */
void daemon_evaluate_alarms(struct daemon *daemon, int64_t instant_ms, bool early_only);
/* Replays every alarm over the span of the stored data (event time), as `scan` does. */
void daemon_replay_alarms(struct daemon *daemon);
/* Delivers what is due; the time of the next due message (INT64_MAX when none). */
int64_t daemon_deliver(struct daemon *daemon);
void daemon_prune(struct daemon *daemon);

#endif
