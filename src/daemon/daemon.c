/* The daemon's life: create (configuration, store, signalfd, watches), the loop, free.
 *
 * The loop is one thread polling the signalfd, the inotify descriptor and standard input,
 * with a timeout at the next due moment: the minute's evaluation (minute + offset, so
 * events of the minute that just ended have landed), the next outbox message, a retry of a
 * failed commit, the hourly pruning. Signals are blocked and read from the signalfd, which
 * the daemon owns: no handler, no global flag. */
#include "daemon/daemon_internal.h"
#include "monitor/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define MINUTE_MS 60000
#define HOUR_MS 3600000

static bool open_signals(struct daemon *daemon, struct daemon_error *error)
{
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    /* blocked in this thread and every thread started after it (libmicrohttpd's) */
    if (pthread_sigmask(SIG_BLOCK, &signals, NULL) != 0 ||
        (daemon->signal_fd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
        snprintf(error->message, sizeof error->message, "signalfd: %s", strerror(errno));
        return false;
    }
    return true;
}

static bool open_store(struct daemon *daemon, struct daemon_error *error)
{
    daemon->db_path =
        daemon->options.db_path ? strdup(daemon->options.db_path) : store_default_path();
    struct store_error store_error = {.message = "out of memory"};
    if (!daemon->db_path || !(daemon->store = store_open(daemon->db_path, &store_error))) {
        snprintf(error->message, sizeof error->message, "%s", store_error.message);
        return false;
    }
    struct monitor_error monitor_error;
    if (!monitor_signing_key(daemon->store, &daemon->signing_key, &monitor_error)) {
        snprintf(error->message, sizeof error->message, "%s", monitor_error.message);
        return false;
    }
    return true;
}

static bool is_loopback(const char *listen)
{
    return strncmp(listen, "127.", 4) == 0; /* --listen takes IPv4 addresses */
}

/* The HTTP API, on its own threads (they inherit the blocked signals) and store handles. */
static bool start_api(struct daemon *daemon, struct daemon_error *error)
{
    const struct daemon_options *options = &daemon->options;
    if (!options->listen && !options->metrics_listen)
        return true;
    struct api_error api_error = {.message = ""};
    if (options->insecure_no_auth && (!options->listen || !is_loopback(options->listen))) {
        snprintf(error->message, sizeof error->message,
                 "--insecure-no-auth is for local experiments: --listen must be a loopback "
                 "address (127.x.x.x), not %s",
                 options->listen ? options->listen : "none");
        return false;
    }
    if ((options->listen && !daemon_credentials_gather(daemon, error)) ||
        !daemon_config_load(options, &daemon->api_config, error))
        return false;
    daemon->api_config_loaded = true;
    struct api_settings settings = {.listen = options->listen,
                                    .db_path = daemon->db_path,
                                    .config = &daemon->api_config,
                                    .credentials = &daemon->api_credentials,
                                    .allow_unsigned = options->insecure_no_auth,
                                    .metrics_listen = options->metrics_listen,
                                    .metrics_off = options->no_metrics,
                                    .write_metrics = daemon_metrics_write,
                                    .check_health = daemon_health_check,
                                    .context = daemon};
    daemon_log_events_connect(daemon, &settings);
    if (!(daemon->api = api_server_start(&settings, &api_error))) {
        snprintf(error->message, sizeof error->message, "%s %s: %s",
                 options->listen ? "--listen" : "--metrics-listen",
                 options->listen ? options->listen : options->metrics_listen, api_error.message);
        return false;
    }
    if (options->metrics_listen)
        daemon_log(daemon, "info", "metrics_listening", "listen=%s port=%d",
                   options->metrics_listen, api_server_metrics_port(daemon->api));
    if (!options->listen)
        return true;
    if (options->insecure_no_auth)
        daemon_log(daemon, "warn", "api_auth_disabled",
                   "INSECURE: --insecure-no-auth accepts every request unsigned; anyone who "
                   "reaches %s can read and change filters, alarms, topics and subscriptions. "
                   "For local experiments only.",
                   options->listen);
    daemon_log(daemon, "info", "api_listening", "listen=%s port=%d", options->listen,
               api_server_port(daemon->api));
    return true;
}

struct daemon *daemon_create(const struct daemon_options *options, struct daemon_error *error)
{
    struct daemon *daemon = calloc(1, sizeof *daemon);
    if (!daemon) {
        snprintf(error->message, sizeof error->message, "out of memory");
        return NULL;
    }
    daemon->options = *options;
    daemon->signal_fd = daemon->inotify_fd = -1;
    daemon->started_ms = daemon_now_ms();
    daemon->stdin_open = options->read_stdin;
    if (!(daemon->stats = daemon_stats_create(daemon->started_ms))) {
        snprintf(error->message, sizeof error->message, "out of memory");
        free(daemon);
        return NULL;
    }
    if (!daemon_config_load(options, &daemon->config, error)) {
        daemon_stats_free(daemon->stats);
        free(daemon);
        return NULL;
    }
    if (!open_signals(daemon, error) || !open_store(daemon, error) ||
        !daemon_scans_build(daemon, error) || !daemon_config_apply(daemon, error) ||
        !daemon_watches_start(daemon, error) || !daemon_log_events_open(daemon, error) ||
        !start_api(daemon, error)) {
        daemon_free(daemon);
        return NULL;
    }
    if (options->read_stdin)
        fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
    return daemon;
}

void daemon_free(struct daemon *daemon)
{
    if (!daemon)
        return;
    daemon_log_events_close(daemon); /* requests waiting for the writer answer now */
    api_server_stop(daemon->api);    /* first: its requests use the store file and config */
    daemon_log_events_free(daemon);
    api_credentials_free(&daemon->api_credentials);
    daemon_stats_free(daemon->stats); /* after the API: its threads read them */
    if (daemon->api_config_loaded)
        config_free(&daemon->api_config);
    daemon_scans_free(daemon);
    daemon_silence_free(daemon);
    for (size_t i = 0; i < daemon->dir_count; i++)
        free(daemon->dirs[i].path);
    free(daemon->dirs);
    if (daemon->signal_fd >= 0)
        close(daemon->signal_fd);
    if (daemon->inotify_fd >= 0)
        close(daemon->inotify_fd);
    notify_signing_key_free(&daemon->signing_key);
    store_close(daemon->store);
    config_free(&daemon->config);
    free(daemon->db_path);
    free(daemon->stdin_buffer);
    free(daemon);
}

static void read_signals(struct daemon *daemon)
{
    struct signalfd_siginfo info;
    while (read(daemon->signal_fd, &info, sizeof info) == (ssize_t)sizeof info) {
        if (info.ssi_signo == SIGHUP) {
            daemon->reload_requested = true;
        } else {
            daemon->stopping = true;
            daemon_log(daemon, "info", "stopping", "signal=%s",
                       info.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
        }
    }
}

static int64_t next_minute(const struct daemon *daemon, int64_t now)
{
    int offset = daemon->options.evaluation_offset_seconds;
    return (now - offset * 1000) / MINUTE_MS * MINUTE_MS + MINUTE_MS + (int64_t)offset * 1000;
}

/* The API's request threads queue messages (Subscribe's confirmations, Publish) through
 * their own store handles, unseen by this loop: with the API on, the outbox is looked at
 * every API_OUTBOX_CHECK_MS. */
#define API_OUTBOX_CHECK_MS 1000

static void check_api_outbox(struct daemon *daemon, int64_t now, int64_t *next_delivery)
{
    bool found = false;
    int64_t due = INT64_MAX;
    struct store_error error;
    if (daemon->api && *next_delivery > now &&
        store_outbox_next_due(daemon->store, &found, &due, &error) && found && due < *next_delivery)
        *next_delivery = due;
}
static void after_ingest(struct daemon *daemon, uint64_t before, int64_t *next_delivery);

/* The minute's work when its time has come: every alarm at the minute, then retention. */
static void run_timers(struct daemon *daemon, int64_t *next_delivery)
{
    int64_t now = daemon_now_ms();
    check_api_outbox(daemon, now, next_delivery);
    if (now >= daemon->next_evaluation_ms) {
        daemon_silence_tick(daemon);
        daemon_evaluate_alarms(daemon,
                               (now - daemon->options.evaluation_offset_seconds * 1000) /
                                   MINUTE_MS * MINUTE_MS,
                               false);
        daemon->next_evaluation_ms = next_minute(daemon, now);
        *next_delivery = now;
    }
    if (now >= daemon->next_prune_ms) {
        daemon_prune(daemon);
        daemon->next_prune_ms = now + HOUR_MS;
    }
    if (daemon->retry_pending && now >= daemon->retry_at_ms) {
        uint64_t before = daemon->events_ingested;
        daemon_ingest_all(daemon);
        after_ingest(daemon, before, next_delivery); /* a retry fires early as well */
    }
    if (now >= *next_delivery)
        *next_delivery = daemon_deliver(daemon);
}

static int poll_timeout(const struct daemon *daemon, int64_t next_delivery)
{
    int64_t wake = daemon->next_evaluation_ms;
    if (next_delivery < wake)
        wake = next_delivery;
    if (daemon->next_prune_ms < wake)
        wake = daemon->next_prune_ms;
    if (daemon->retry_pending && daemon->retry_at_ms < wake)
        wake = daemon->retry_at_ms;
    int64_t now = daemon_now_ms();
    if (daemon->api && now + API_OUTBOX_CHECK_MS < wake)
        wake = now + API_OUTBOX_CHECK_MS;
    int64_t wait = wake - now;
    return wait < 0 ? 0 : wait > MINUTE_MS ? MINUTE_MS : (int)wait;
}

/* After ingesting: with --early, alarms that only grow fire as they cross. */
static void after_ingest(struct daemon *daemon, uint64_t before, int64_t *next_delivery)
{
    if (daemon->events_ingested == before || !daemon->options.early)
        return;
    daemon_evaluate_alarms(daemon, daemon_now_ms(), true);
    *next_delivery = daemon_now_ms();
}

static void handle_ready(struct daemon *daemon, struct pollfd *fds, int64_t *next_delivery)
{
    uint64_t before = daemon->events_ingested;
    if (fds[0].revents)
        read_signals(daemon);
    if (fds[1].revents && !daemon->stopping)
        daemon_ingest_inotify(daemon);
    if (fds[2].fd >= 0 && fds[2].revents && !daemon->stopping &&
        !(daemon->stdin_open = daemon_ingest_stdin(daemon)))
        daemon_log(daemon, "info", "stdin_closed", "events=%llu",
                   (unsigned long long)daemon->events_ingested);
    after_ingest(daemon, before, next_delivery);
    if (fds[3].revents && !daemon->stopping)
        daemon_log_events_process(daemon, next_delivery); /* fires its own early alarms */
    if (daemon->reload_requested && !daemon->stopping) {
        daemon->reload_requested = false;
        daemon_reload(daemon);
        daemon_ingest_all(daemon); /* a new log group's filters apply from here on */
    }
}

/* --exit-when-idle: what the backlog and standard input held is in; replay the alarms on
 * event time, deliver, and stop. */
static void finish_idle(struct daemon *daemon)
{
    daemon_replay_alarms(daemon);
    int64_t deadline = daemon_now_ms() + 30000;
    for (int64_t next = daemon_now_ms(); next != INT64_MAX && next <= deadline;) {
        int64_t wait = next - daemon_now_ms();
        if (wait > 0)
            poll(NULL, 0, (int)wait);
        next = daemon_deliver(daemon);
    }
}

bool daemon_run(struct daemon *daemon, struct daemon_error *error)
{
    (void)error;
    daemon_log(daemon, "info", "started", "db=%s watches=%zu stdin=%s early=%s", daemon->db_path,
               daemon->options.watch_count, daemon->options.read_stdin ? "true" : "false",
               daemon->options.early ? "true" : "false");
    int64_t next_delivery = 0;
    if (!daemon->options.exit_when_idle)
        daemon_silence_load(daemon);
    uint64_t before = daemon->events_ingested;
    daemon_ingest_all(daemon);
    if (!daemon->options.exit_when_idle)
        after_ingest(daemon, before, &next_delivery);
    daemon->next_evaluation_ms = next_minute(daemon, daemon_now_ms());
    daemon->next_prune_ms = daemon_now_ms();
    while (!daemon->stopping) {
        if (daemon->options.exit_when_idle && !daemon->stdin_open) {
            finish_idle(daemon);
            break;
        }
        struct pollfd fds[4] = {{daemon->signal_fd, POLLIN, 0},
                                {daemon->inotify_fd, POLLIN, 0},
                                {daemon->stdin_open ? STDIN_FILENO : -1, POLLIN, 0},
                                {daemon_log_events_fd(daemon), POLLIN, 0}};
        if (poll(fds, 4, poll_timeout(daemon, next_delivery)) < 0 && errno != EINTR)
            break;
        handle_ready(daemon, fds, &next_delivery);
        if (!daemon->stopping && !daemon->options.exit_when_idle)
            run_timers(daemon, &next_delivery);
    }
    daemon_log_events_close(daemon); /* closed before leaving: later batches fail at once */
    daemon_log(daemon, "info", "stopped", "events=%llu failed_commits=%llu",
               (unsigned long long)daemon->events_ingested,
               (unsigned long long)daemon->commits_failed);
    return true;
}
