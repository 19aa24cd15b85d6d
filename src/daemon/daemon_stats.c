/* Operations statistics: what the writer thread counts (events read, malformed inputs,
 * matches per filter, commits and their failures), kept behind a mutex because the API's
 * threads read them for /metrics and /healthz.
 *
 * Matches come from filter_scan_matches, which counts every event a scan saw, rolled-back
 * chunks included: each daemon_scan remembers how many of its matches were already
 * accounted for, so a chunk whose commit failed (and whose bytes are read again) is counted
 * once, when it is kept. A reload builds new scans (from zero); the counters here, keyed by
 * log group and filter name, keep growing across it. */
#include "daemon/daemon_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Commits failing for this long mean ingestion is stuck (/healthz). */
#define DAEMON_STUCK_MS (INT64_C(60) * 1000)

struct stats_source {
    char *log_group;
    const char *kind; /* "file", "stdin", "api": static text */
    uint64_t events, malformed;
    int64_t last_events_ms; /* the last commit that brought events; 0: none yet */
};

struct stats_filter {
    char *log_group, *filter;
    uint64_t matches;
};

struct daemon_stats {
    pthread_mutex_t lock;
    int64_t started_ms;
    struct stats_source *sources;
    size_t source_count;
    struct stats_filter *filters;
    size_t filter_count;
    uint64_t commits, commits_failed;
    int64_t failing_since_ms; /* the first failure of the current run of them; 0: none */
};

struct daemon_stats *daemon_stats_create(int64_t now_ms)
{
    struct daemon_stats *stats = calloc(1, sizeof *stats);
    if (!stats)
        return NULL;
    if (pthread_mutex_init(&stats->lock, NULL) != 0) {
        free(stats);
        return NULL;
    }
    stats->started_ms = now_ms;
    return stats;
}

void daemon_stats_free(struct daemon_stats *stats)
{
    if (!stats)
        return;
    for (size_t i = 0; i < stats->source_count; i++)
        free(stats->sources[i].log_group);
    for (size_t i = 0; i < stats->filter_count; i++) {
        free(stats->filters[i].log_group);
        free(stats->filters[i].filter);
    }
    free(stats->sources);
    free(stats->filters);
    pthread_mutex_destroy(&stats->lock);
    free(stats);
}

/* ---- recording (under the lock) -------------------------------------------------------- */

static struct stats_source *source_of(struct daemon_stats *stats, const char *log_group,
                                      const char *kind)
{
    for (size_t i = 0; i < stats->source_count; i++)
        if (strcmp(stats->sources[i].log_group, log_group) == 0 &&
            strcmp(stats->sources[i].kind, kind) == 0)
            return &stats->sources[i];
    struct stats_source *grown = realloc(stats->sources, (stats->source_count + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    stats->sources = grown;
    char *copy = strdup(log_group);
    if (!copy)
        return NULL;
    grown[stats->source_count] = (struct stats_source){.log_group = copy, .kind = kind};
    return &grown[stats->source_count++];
}

static struct stats_filter *filter_of(struct daemon_stats *stats, const char *log_group,
                                      const char *filter)
{
    for (size_t i = 0; i < stats->filter_count; i++)
        if (strcmp(stats->filters[i].log_group, log_group) == 0 &&
            strcmp(stats->filters[i].filter, filter) == 0)
            return &stats->filters[i];
    struct stats_filter *grown = realloc(stats->filters, (stats->filter_count + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    stats->filters = grown;
    struct stats_filter entry = {.log_group = strdup(log_group), .filter = strdup(filter)};
    if (!entry.log_group || !entry.filter) {
        free(entry.log_group);
        free(entry.filter);
        return NULL;
    }
    grown[stats->filter_count] = entry;
    return &grown[stats->filter_count++];
}

void daemon_stats_record(struct daemon_stats *stats, const struct daemon_stats_commit *commit,
                         int64_t now_ms)
{
    pthread_mutex_lock(&stats->lock);
    if (!commit->committed) {
        stats->commits_failed++;
        /* a refused PutLogEvents batch is its client's to retry: not "stuck" on our side */
        bool retried_here = strcmp(commit->source_kind, "api") != 0;
        if (retried_here && !stats->failing_since_ms)
            stats->failing_since_ms = now_ms;
        pthread_mutex_unlock(&stats->lock);
        return;
    }
    stats->commits++;
    stats->failing_since_ms = 0;
    struct stats_source *source = source_of(stats, commit->log_group, commit->source_kind);
    if (source) {
        source->events += commit->events;
        source->malformed += commit->malformed;
        if (commit->events)
            source->last_events_ms = now_ms;
    }
    for (size_t i = 0; i < commit->filter_count; i++) {
        struct stats_filter *filter = filter_of(stats, commit->log_group, commit->filters[i]);
        if (filter)
            filter->matches += commit->matches[i];
    }
    pthread_mutex_unlock(&stats->lock);
}

static const char *source_kind(const struct daemon_ingest_run *run, const char *identity)
{
    if (identity)
        return "file";
    return strcmp(run->path, "-") == 0 ? "stdin" : "api";
}

void daemon_stats_commit(struct daemon_stats *stats, struct daemon_ingest_run *run,
                         const char *identity, bool committed)
{
    struct daemon_scan *scan = run->scan;
    size_t count = filter_scan_filter_count(scan->scan);
    if (!scan->matches_counted && count > 0 &&
        !(scan->matches_counted = calloc(count, sizeof *scan->matches_counted)))
        return;
    const char **names = calloc(count ? count : 1, sizeof *names);
    uint64_t *matches = calloc(count ? count : 1, sizeof *matches);
    for (size_t i = 0; names && matches && i < count; i++) {
        uint64_t now = filter_scan_matches(scan->scan, i);
        names[i] = scan->filters.items[i].filter_name;
        matches[i] = now - scan->matches_counted[i]; /* kept or rolled back: accounted for */
        scan->matches_counted[i] = now;
    }
    struct daemon_stats_commit commit = {.log_group = scan->log_group,
                                         .source_kind = source_kind(run, identity),
                                         .committed = committed,
                                         .events = run->events,
                                         .malformed = run->malformed,
                                         .filters = names,
                                         .matches = matches,
                                         .filter_count = names && matches ? count : 0};
    daemon_stats_record(stats, &commit, daemon_now_ms());
    free(names);
    free(matches);
}

/* ---- reading (the API's threads) ------------------------------------------------------- */

static void write_sources(struct daemon_stats *stats, int64_t now_ms, struct api_buffer *out)
{
    api_prometheus_family(out, "trailhound_events_read_total", "counter",
                          "Events committed, per log group and source kind (file, stdin, api).");
    for (size_t i = 0; i < stats->source_count; i++) {
        const char *labels[] = {"log_group", stats->sources[i].log_group, "source",
                                stats->sources[i].kind};
        api_prometheus_sample(out, "trailhound_events_read_total", labels, 2,
                              (double)stats->sources[i].events);
    }
    api_prometheus_family(out, "trailhound_malformed_inputs_total", "counter",
                          "Inputs that were not events (bad JSON, broken files), per log group "
                          "and source kind.");
    for (size_t i = 0; i < stats->source_count; i++) {
        const char *labels[] = {"log_group", stats->sources[i].log_group, "source",
                                stats->sources[i].kind};
        api_prometheus_sample(out, "trailhound_malformed_inputs_total", labels, 2,
                              (double)stats->sources[i].malformed);
    }
    api_prometheus_family(out, "trailhound_ingestion_lag_seconds", "gauge",
                          "Seconds since events of the log group were last committed.");
    for (size_t i = 0; i < stats->source_count; i++) {
        const struct stats_source *source = &stats->sources[i];
        if (!source->last_events_ms)
            continue;
        const char *labels[] = {"log_group", source->log_group, "source", source->kind};
        api_prometheus_sample(out, "trailhound_ingestion_lag_seconds", labels, 2,
                              (double)(now_ms - source->last_events_ms) / 1000.0);
    }
}

static void write_filters(struct daemon_stats *stats, struct api_buffer *out)
{
    api_prometheus_family(out, "trailhound_filter_matches_total", "counter",
                          "Committed events each metric filter matched, per log group.");
    for (size_t i = 0; i < stats->filter_count; i++) {
        const char *labels[] = {"log_group", stats->filters[i].log_group, "filter",
                                stats->filters[i].filter};
        api_prometheus_sample(out, "trailhound_filter_matches_total", labels, 2,
                              (double)stats->filters[i].matches);
    }
}

static void write_counter(struct api_buffer *out, const char *name, const char *type,
                          const char *help, double value)
{
    api_prometheus_family(out, name, type, help);
    api_prometheus_sample(out, name, NULL, 0, value);
}

bool daemon_stats_write(struct daemon_stats *stats, int64_t now_ms, struct api_buffer *out)
{
    pthread_mutex_lock(&stats->lock);
    write_counter(out, "trailhound_start_time_seconds", "gauge",
                  "When the daemon started, seconds since the epoch.",
                  (double)stats->started_ms / 1000.0);
    write_sources(stats, now_ms, out);
    write_filters(stats, out);
    write_counter(out, "trailhound_commits_total", "counter", "Ingestion transactions committed.",
                  (double)stats->commits);
    write_counter(out, "trailhound_commit_failures_total", "counter",
                  "Ingestion transactions rolled back (their input is read again).",
                  (double)stats->commits_failed);
    write_counter(out, "trailhound_ingestion_failing_seconds", "gauge",
                  "How long commits have been failing without one succeeding (0: not failing).",
                  stats->failing_since_ms ? (double)(now_ms - stats->failing_since_ms) / 1000.0
                                          : 0.0);
    pthread_mutex_unlock(&stats->lock);
    return !out->failed;
}

bool daemon_stats_healthy(struct daemon_stats *stats, int64_t now_ms, char *reason, size_t size)
{
    pthread_mutex_lock(&stats->lock);
    int64_t since = stats->failing_since_ms;
    pthread_mutex_unlock(&stats->lock);
    if (since && now_ms - since >= DAEMON_STUCK_MS) {
        snprintf(reason, size, "ingestion stuck: commits failing for %lld s",
                 (long long)((now_ms - since) / 1000));
        return false;
    }
    return true;
}

bool daemon_metrics_write(void *context, int64_t now_ms, struct api_buffer *out)
{
    struct daemon *daemon = context;
    return daemon_stats_write(daemon->stats, now_ms, out);
}

bool daemon_health_check(void *context, int64_t now_ms, char *reason, size_t size)
{
    struct daemon *daemon = context;
    return daemon_stats_healthy(daemon->stats, now_ms, reason, size);
}

void daemon_stats_retries_settled(struct daemon_stats *stats)
{
    pthread_mutex_lock(&stats->lock);
    stats->failing_since_ms = 0;
    pthread_mutex_unlock(&stats->lock);
}
