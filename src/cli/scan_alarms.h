/* scan_alarms: what `trailhound scan` does with alarms once the events are read — the data
 * points go into a store (in memory, or the --db file), the alarms are defined there, and
 * each alarm is replayed on event time with a simulated clock, every transition kept for
 * the report. Internal to the cli. */
#ifndef TRAILHOUND_CLI_SCAN_ALARMS_H
#define TRAILHOUND_CLI_SCAN_ALARMS_H

#include "alarms/alarms.h"
#include "cli/scan_spill.h"
#include "config/config.h"
#include "metrics/metrics.h"
#include "store/store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct scan_alarm_transition {
    int64_t time_ms; /* the evaluation instant */
    enum alarm_state from, to;
    char *reason;
    /* owned; the matches behind a transition into ALARM, NULL for others or when none, and
     * with options.render_evidence (then `evidence_text` holds it) */
    struct metric_evidence *evidence;
    /* owned; with options.render_evidence, that evidence as it renders it: written on the
     * replay's threads, not by the report after them (NULL: it could not be written) */
    char *evidence_text;
    /* --early: a transition into ALARM that `serve --early` sends as the crossing event is
     * read (a >=/> Sum or SampleCount alarm); stamped, as serve stamps it, at this minute */
    bool early;
};

/* The report lists at most this many transitions per alarm, the latest. A flapping alarm
 * over a year of logs changes state tens of thousands of times and each transition into
 * ALARM carries its evidence (kilobytes), so memory would grow with the span; the count of
 * all of them is kept, and a --db store's alarm history holds every one. */
#define SCAN_ALARM_TRANSITIONS_LISTED 500

struct scan_alarm_result {
    const struct alarm_definition *alarm; /* borrowed from the configuration */
    enum alarm_state final_state;
    /* the latest SCAN_ALARM_TRANSITIONS_LISTED at most, oldest first (up to twice as many
     * while the replay runs) */
    struct scan_alarm_transition *transitions;
    size_t transition_count, transition_capacity;
    uint64_t transitions_total; /* every transition of the replay, listed or not */
};

/* What `--notify` did: messages queued by the replay's transitions, and how delivery went. */
struct scan_notifications {
    bool enabled;
    size_t queued, delivered, retried, failed, alerts, pending;
    char first_failure[640];
};

struct scan_alarm_replay {
    struct scan_alarm_result *results; /* one per alarm, in configuration order */
    size_t count;
    struct scan_notifications notifications;
    bool has_data;             /* false: no data point, nothing was replayed */
    int64_t from_ms, until_ms; /* the simulated clock's span */
    uint64_t datapoints;       /* buckets taken from the scan (a bucket spilled twice: twice) */
};

struct scan_alarm_options {
    const char *db_path; /* NULL: a private in-memory store */
    bool has_since, has_until;
    int64_t since_ms, until_ms;
    bool notify;          /* run the alarms' actions: send to their topics' subscriptions */
    const char *smtp_url; /* --smtp: replaces settings.smtp.url */
    const struct notify_curl *curl; /* with notify: libcurl as the command loaded it */
    int notify_wait_seconds;        /* how long to keep retrying before reporting what is pending */
    bool early;                     /* mark the transitions `serve --early` fires as values cross */
    size_t threads; /* without --db or --notify, replay up to this many alarms at once */
    /* NULL: transitions keep their evidence as it is; else as this renders it (the JSON
     * report's: metric_evidence_to_json; NULL when it cannot be written) */
    char *(*render_evidence)(const struct metric_evidence *evidence);
};

/* The most threads a replay uses (as many as a scan's pool). */
#define SCAN_ALARM_MAX_THREADS 64

/* A file whose events this scan counted, to be recorded with its data points so a later
 * `scan --db` does not count it again. */
struct scan_counted_file {
    char *key; /* "file:" + its real path */
    uint64_t size;
};

struct scan_counted_files {
    struct scan_counted_file *items;
    size_t count, capacity;
};

void scan_counted_files_free(struct scan_counted_files *files);

/* Writes `points` (with their evidence), the counted files and the configuration's filters
 * to `store` in one transaction, then defines and replays every alarm. `store` is the --db
 * file, or NULL: then a private store in memory is used when one is needed (--notify, or
 * 1-second data points), else each alarm is replayed in memory from `points`, on up to
 * options->threads threads. When the scan spilled data points (`spill` used), they are
 * with the rest in the spill's store (--db's, or a temporary one), `points` joins them
 * there and the replay reads them from it. False with `error` on a store or evaluation
 * failure. */
bool scan_alarms_replay(struct store *store, const struct config *config,
                        const struct metric_datapoint_list *points, struct scan_spill *spill,
                        const struct scan_counted_files *files,
                        const struct scan_alarm_options *options, struct scan_alarm_replay *out,
                        char *error, size_t error_size);
void scan_alarm_replay_free(struct scan_alarm_replay *replay);

/* "2024-10-26T18:59:00Z", "2024-10-26T18:59:00.123+00:00" or "2024-10-26" (UTC) to
 * milliseconds since the epoch. */
bool scan_parse_time(const char *text, int64_t *milliseconds);

#endif
