/* `trailhound serve`: the always-on monitor (src/daemon). This file parses the options and
 * hands them to the daemon. */
#include "cli/commands.h"
#include "daemon/daemon.h"
#include "notify/notify_curl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char serve_help[] =
    "usage: trailhound serve [--cis] [--config FILE]... [--db PATH] [--listen ADDR:PORT]\n"
    "                        [--credentials FILE] [--insecure-no-auth]\n"
    "                        [--watch DIR[=LOGGROUP]]...\n"
    "                        [--backlog all|now] [--early|--no-early] [--smtp URL]\n"
    "                        [--stdin-log-group NAME] [--evaluation-offset SECONDS]\n"
    "                        [--metrics-listen ADDR:PORT] [--no-metrics]\n"
    "                        [--exit-when-idle] [-]\n"
    "\n"
    "Monitor CloudTrail continuously: read watched directories as files arrive (delivery\n"
    "files once complete, NDJSON files as lines are appended) and standard input (-),\n"
    "evaluate every alarm once a minute on the wall clock, and send the alarms' actions.\n"
    "\n"
    "  --watch DIR[=G]   watch DIR and its subdirectories; its files belong to log group G\n"
    "                    (default CloudTrail/DefaultLogGroup). Metric filters apply per log\n"
    "                    group; a filter without logGroupName applies to all.\n"
    "  --backlog all|now on a directory's first start, read what it holds (all, default)\n"
    "                    or only what arrives from now on\n"
    "  --early           fire >=/> Sum and SampleCount alarms the moment the value crosses\n"
    "                    (default); --no-early waits for the minute's evaluation\n"
    "  --db PATH         the SQLite store (default $TRAILHOUND_DB or\n"
    "                    ~/.local/state/trailhound/trailhound.db)\n"
    "  --smtp URL        the SMTP server for e-mail, instead of settings.smtp.url\n"
    "  --evaluation-offset S  evaluate at S seconds past each minute (default 5)\n"
    "  --exit-when-idle  read the backlog and standard input, replay the alarms over the\n"
    "                    data on event time (as scan), deliver, and exit (a bounded run)\n"
    "  --listen ADDR:PORT  serve the AWS-compatible API (CloudWatch, CloudWatch Logs, SNS)\n"
    "  --credentials FILE  access keys it accepts (AWS shared-credentials format), with\n"
    "                    settings.apiAccessKeyId/apiSecretAccessKey; with neither, the\n"
    "                    first start generates a key into DB-DIRECTORY/api-credentials\n"
    "                    (mode 0600, profile [trailhound])\n"
    "  --insecure-no-auth  accept unsigned requests: INSECURE, for local experiments on a\n"
    "                    loopback --listen only\n"
    "  --metrics-listen ADDR:PORT  serve /metrics (Prometheus) and /healthz there instead\n"
    "                    of on --listen (both unsigned; /healthz answers 503 while\n"
    "                    deliveries fail or ingestion is stuck)\n"
    "  --no-metrics      do not serve /metrics (/healthz stays)\n"
    "\n"
    "Each file's read offset is committed with the data it produced: after a crash, a\n"
    "restart counts every file event exactly once. Standard input is at-most-once. Log\n"
    "lines go to standard error. SIGTERM stops after the chunk in hand; SIGHUP reloads\n"
    "the configuration files.\n";

#define MAX_ITEMS 64

struct serve_options {
    struct daemon_options daemon;
    const char *configs[MAX_ITEMS];
    struct daemon_watch watches[MAX_ITEMS];
};

static int usage_error(const char *message, const char *argument)
{
    fprintf(stderr, "trailhound: serve: %s%s\n", message, argument ? argument : "");
    fprintf(stderr, "Run 'trailhound serve --help' for usage.\n");
    return 2;
}

static int parse_watch(struct serve_options *options, char *argument)
{
    if (options->daemon.watch_count == MAX_ITEMS)
        return usage_error("too many --watch directories", NULL);
    char *equals = strchr(argument, '=');
    if (equals)
        *equals = '\0';
    const char *group = equals && equals[1] ? equals + 1 : DAEMON_DEFAULT_LOG_GROUP;
    options->watches[options->daemon.watch_count++] =
        (struct daemon_watch){.directory = argument, .log_group = group};
    return -1;
}

static int parse_value(struct serve_options *options, const char *name, char *value)
{
    struct daemon_options *daemon = &options->daemon;
    if (strcmp(name, "--config") == 0) {
        if (daemon->config_count == MAX_ITEMS)
            return usage_error("too many --config files", NULL);
        options->configs[daemon->config_count++] = value;
    } else if (strcmp(name, "--db") == 0) {
        daemon->db_path = value;
    } else if (strcmp(name, "--watch") == 0) {
        return parse_watch(options, value);
    } else if (strcmp(name, "--backlog") == 0) {
        if (strcmp(value, "all") != 0 && strcmp(value, "now") != 0)
            return usage_error("--backlog must be all or now, not ", value);
        daemon->backlog_now = strcmp(value, "now") == 0;
    } else if (strcmp(name, "--smtp") == 0) {
        daemon->smtp_url = value;
    } else if (strcmp(name, "--stdin-log-group") == 0) {
        daemon->stdin_log_group = value;
    } else if (strcmp(name, "--evaluation-offset") == 0) {
        char *end;
        long seconds = strtol(value, &end, 10);
        if (*end || seconds < 0 || seconds > 59)
            return usage_error("--evaluation-offset must be 0 to 59 seconds, not ", value);
        daemon->evaluation_offset_seconds = (int)seconds;
    } else if (strcmp(name, "--listen") == 0) {
        daemon->listen = value;
    } else if (strcmp(name, "--credentials") == 0) {
        daemon->credentials_path = value;
    } else if (strcmp(name, "--metrics-listen") == 0) {
        daemon->metrics_listen = value;
    } else {
        return usage_error("unknown option: ", name);
    }
    return -1;
}

static bool takes_value(const char *name)
{
    static const char *const names[] = {"--config",
                                        "--db",
                                        "--watch",
                                        "--backlog",
                                        "--smtp",
                                        "--stdin-log-group",
                                        "--evaluation-offset",
                                        "--listen",
                                        "--credentials",
                                        "--metrics-listen"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0)
            return true;
    return false;
}

/* Returns -1 when the options are valid, else the exit status. */
static int parse_options(int argc, char **argv, struct serve_options *options)
{
    struct daemon_options *daemon = &options->daemon;
    for (int i = 1; i < argc; i++) {
        const char *argument = argv[i];
        int status = -1;
        if (strcmp(argument, "--help") == 0 || strcmp(argument, "-h") == 0) {
            fputs(serve_help, stdout);
            return 0;
        } else if (strcmp(argument, "--cis") == 0) {
            daemon->cis = true;
        } else if (strcmp(argument, "--early") == 0 || strcmp(argument, "--no-early") == 0) {
            daemon->early = strcmp(argument, "--early") == 0;
        } else if (strcmp(argument, "--no-metrics") == 0) {
            daemon->no_metrics = true;
        } else if (strcmp(argument, "--exit-when-idle") == 0) {
            daemon->exit_when_idle = true;
        } else if (strcmp(argument, "--insecure-no-auth") == 0) {
            daemon->insecure_no_auth = true;
        } else if (strcmp(argument, "-") == 0) {
            daemon->read_stdin = true;
        } else if (takes_value(argument) && i + 1 < argc) {
            status = parse_value(options, argument, argv[++i]);
        } else {
            status = usage_error("unknown option or missing value: ", argument);
        }
        if (status >= 0)
            return status;
    }
    if (!daemon->cis && daemon->config_count == 0)
        return usage_error("nothing to look for: give --cis and/or --config FILE", NULL);
    if (daemon->watch_count == 0 && !daemon->read_stdin && !daemon->listen)
        return usage_error("nothing to read: give --watch DIR, - or --listen", NULL);
    return -1;
}

int serve_command(int argc, char **argv)
{
    struct serve_options options = {.daemon = {.early = true,
                                               .evaluation_offset_seconds = 5,
                                               .stdin_log_group = DAEMON_DEFAULT_LOG_GROUP}};
    int status = parse_options(argc, argv, &options);
    if (status >= 0)
        return status;
    options.daemon.config_paths = options.configs;
    options.daemon.watches = options.watches;
    /* before the daemon's threads: libcurl's global initialisation is not thread-safe */
    struct notify_error load_error;
    struct notify_curl *curl = notify_curl_load(&load_error);
    if (!curl) {
        fprintf(stderr, "trailhound: serve: %s\n", load_error.message);
        return 1;
    }
    options.daemon.curl = curl;
    struct daemon_error error;
    struct daemon *daemon = daemon_create(&options.daemon, &error);
    bool ok = daemon && daemon_run(daemon, &error);
    if (!ok)
        fprintf(stderr, "trailhound: serve: %s\n", error.message);
    daemon_free(daemon);
    notify_curl_unload(curl);
    return ok ? 0 : 1;
}
