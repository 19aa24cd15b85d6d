/* daemon: `trailhound serve`, the always-on monitor. One thread owns the store and does all
 * writing: it ingests watched directories (inotify) and standard input, commits each chunk's
 * data points together with how far its file was read, evaluates every alarm once a minute
 * on the wall clock (and early, when a >=/> Sum or SampleCount alarm crosses), and delivers
 * the notification outbox. Signals arrive through a signalfd owned by the daemon: SIGTERM
 * and SIGINT stop it after the chunk in hand is committed, SIGHUP reloads the configuration.
 *
 * Exactly once for files: a file is known by "dev:inode"; its offset is stored in the same
 * transaction as the data points its bytes produced, so a crash at any moment either keeps
 * both or neither, and a restart resumes from the stored offset. Standard input cannot be
 * read again: what was read but not yet committed when the process dies is lost
 * (at-most-once). When a commit fails (a full disk), nothing is dropped: the chunk's offset
 * stays where it was and the file is read again at the next retry. */
#ifndef TRAILHOUND_DAEMON_DAEMON_H
#define TRAILHOUND_DAEMON_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DAEMON_DEFAULT_LOG_GROUP "CloudTrail/DefaultLogGroup"

struct daemon_error {
    char message[1024];
};

/* A watched directory and the log group its files belong to. */
struct daemon_watch {
    const char *directory;
    const char *log_group;
};

struct notify_curl;

struct daemon_options {
    const char *const *config_paths;
    size_t config_count;
    bool cis;
    const char *db_path; /* NULL: store_default_path() */
    const struct daemon_watch *watches;
    size_t watch_count;
    bool read_stdin;
    const char *stdin_log_group;
    bool backlog_now; /* first start: skip what a directory already holds */
    bool early;       /* fire >=/> Sum and SampleCount alarms as the value crosses */
    const char *smtp_url;
    /* libcurl as serve loaded it, borrowed: the outbox's deliveries go through it */
    const struct notify_curl *curl;
    int evaluation_offset_seconds; /* evaluations run at minute + offset (default 5) */
    int retry_seconds;             /* after a failed commit (default 10) */
    /* exit once the backlog and standard input are ingested, alarms replayed over the data
     * (event time, as `scan`) and the outbox delivered */
    bool exit_when_idle;
    FILE *log; /* structured log lines; NULL: stderr */
    /* the AWS-compatible HTTP API (api/api.h): started only when `listen` is set */
    const char *listen;           /* "127.0.0.1:4566"; ":0" ports are logged as bound */
    const char *credentials_path; /* AWS shared-credentials file of accepted keys */
    bool insecure_no_auth;        /* local experiments only: the API checks no signature */
    /* /metrics and /healthz (unsigned): on `listen`, or on `metrics_listen` when set (then
     * served even without `listen`); `no_metrics` turns /metrics off (404) */
    const char *metrics_listen;
    bool no_metrics;
};

struct daemon;

/* Loads the configuration, opens the store, blocks SIGTERM/SIGINT/SIGHUP into a signalfd
 * (call before any other thread starts), and sets up the watches. */
struct daemon *daemon_create(const struct daemon_options *options, struct daemon_error *error);
/* Runs until SIGTERM/SIGINT (or idle with exit_when_idle); false on a fatal error. */
bool daemon_run(struct daemon *daemon, struct daemon_error *error);
void daemon_free(struct daemon *daemon);

#endif
