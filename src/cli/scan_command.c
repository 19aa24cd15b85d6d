/* `trailhound scan`: one pass over CloudTrail logs with the CIS pack and/or configured
 * metric filters, then a report of what matched, how often, and who caused it. */
#include "cli/commands.h"
#include "cli/scan_alarms.h"
#include "cli/scan_pool.h"
#include "cli/scan_report.h"
#include "config/config.h"
#include "metrics/metrics.h"
#include "notify/notify_curl.h"
#include "sources/source.h"
#include "store/store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char scan_help[] =
    "usage: trailhound scan [--cis] [--config FILE]... [--format text|json] [--threads N]\n"
    "                       [--strict] [--db PATH] [--since TIME] [--until TIME]\n"
    "                       [--early] [--notify [--smtp URL] [--notify-wait SECONDS]]\n"
    "                       PATH...\n"
    "\n"
    "Read CloudTrail logs once and report, for each metric filter, how many events matched\n"
    "and who caused them (top principals, source IPs, event names, error codes, accounts,\n"
    "regions).\n"
    "\n"
    "  PATH            a file, a directory (walked recursively, e.g. a synced S3 bucket:\n"
    "                  AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/), or - for\n"
    "                  standard input. Layouts are detected from the content: S3 delivery\n"
    "                  files, gzip, NDJSON, JSON arrays, concatenated objects, EventBridge\n"
    "                  envelopes, CloudWatch Logs subscription payloads and exports, and\n"
    "                  `aws cloudtrail lookup-events` output.\n"
    "  --cis           the CIS AWS Foundations v3.0.0 section-4 filters 4.1-4.15 and their\n"
    "                  alarms (Sum >= 1 over 300 s, 1 period)\n"
    "  --config FILE   metric filters and alarms from a YAML file (top-level lists\n"
    "                  metricFilters and alarms, in AWS's PutMetricFilter and\n"
    "                  PutMetricAlarm fields; topics; suppressions; settings)\n"
    "  --format F      text (default) or json\n"
    "  --threads N     evaluate events on N threads (default 1)\n"
    "  --strict        decode and validate every event; by default events that cannot\n"
    "                  match any filter (none of the texts the filters need appears in\n"
    "                  their raw bytes) are counted without being decoded, so a\n"
    "                  malformed event among them is not reported\n"
    "  --db PATH       keep data points, alarm state and history in this SQLite file\n"
    "                  (default: in memory, gone when the scan ends)\n"
    "  --since TIME    start the alarm replay at TIME (2024-10-26T18:00:00Z or\n"
    "                  2024-10-26) instead of the first data point\n"
    "  --until TIME    end the alarm replay at TIME instead of when every alarm's\n"
    "                  look-back has passed the last data point\n"
    "  --early         as `serve` does by default: a >=/> Sum or SampleCount alarm fires\n"
    "                  as its value crosses, stamped at the minute whose evaluation it\n"
    "                  anticipates; such transitions are marked (early)\n"
    "  --notify        run the alarms' actions: every transition of the replay is sent to\n"
    "                  the subscriptions of the topics its actions name (config `topics`),\n"
    "                  over SMTP, HTTP/S (signed SNS messages), Slack, PagerDuty, exec or\n"
    "                  SNS; failed deliveries are retried per their delivery policy\n"
    "  --smtp URL      the SMTP server for e-mail (smtp://127.0.0.1:2525), instead of\n"
    "                  settings.smtp.url\n"
    "  --notify-wait S keep retrying failed deliveries for up to S seconds (default 60);\n"
    "                  with --db what is still pending is sent by the next run\n"
    "\n"
    "With alarms loaded, each alarm is replayed on event time: a simulated clock evaluates\n"
    "it once a minute, as CloudWatch would have, and every change of state is reported\n"
    "with CloudWatch's reason text.\n"
    "\n"
    "Suppressions (config `suppressions`) never change a filter's own metric: its matches\n"
    "all count, those no rule names also go to METRICNAMETuned, and with --cis each CIS\n"
    "alarm a rule touches gets a companion ALARMNAME_tuned on that metric.\n"
    "\n"
    "Malformed input is reported (file, line or byte offset, reason) and skipped; the scan\n"
    "goes on. Exit status: 0 when the scan completed, even with malformed input; 1 when\n"
    "nothing could be read; 2 on a usage or configuration error; 4 when --notify could not\n"
    "deliver every notification (failed, or still pending after --notify-wait).\n";

struct malformed_report {
    char *file;
    uint64_t line;
    uint64_t offset;
    char *reason;
};

/* Reports kept for the output; beyond SCAN_REPORT_MAX_MALFORMED only `total` grows, so a
 * file of garbage cannot exhaust memory. */
struct malformed_list {
    struct malformed_report *items;
    size_t count, capacity;
    uint64_t total;
};

struct scan_run {
    struct config config;
    struct store *store; /* --db: open from the start, to skip files it already counted */
    struct scan_counted_files counted;
    struct scan_counted_file pending; /* the file being read, until it is done */
    uint64_t files_already_counted;
    struct scan_pool *pool;
    struct scan_spill *spill; /* where data points go beyond their memory bound */
    struct malformed_list malformed;
    struct scan_totals totals;
    bool strict;
    bool progress;
    double started, last_progress;
};

static double now_seconds(void)
{
    struct timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return (double)time.tv_sec + (double)time.tv_nsec / 1e9;
}

static void malformed_add(struct malformed_list *list, const char *file, uint64_t line,
                          uint64_t offset, const char *reason)
{
    list->total++;
    if (list->count == SCAN_REPORT_MAX_MALFORMED)
        return;
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 16;
        struct malformed_report *grown = realloc(list->items, capacity * sizeof *grown);
        if (!grown)
            return; /* out of memory: the report is lost, the count below is not */
        list->items = grown;
        list->capacity = capacity;
    }
    list->items[list->count++] =
        (struct malformed_report){strdup(file), line, offset, strdup(reason)};
}

static void malformed_free(struct malformed_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i].file);
        free(list->items[i].reason);
    }
    free(list->items);
    *list = (struct malformed_list){0};
}

static void report_progress(struct scan_run *run)
{
    double now = now_seconds();
    if (!run->progress || now - run->last_progress < 1.0)
        return;
    run->last_progress = now;
    double megabytes = (double)run->totals.bytes_decoded / 1e6;
    fprintf(stderr, "\rtrailhound: %.0f MB, %llu events, %.0f MB/s   ", megabytes,
            (unsigned long long)scan_pool_valid_events(run->pool),
            megabytes / (now - run->started));
}

static void on_events(void *context, const struct source_event *events, size_t count)
{
    struct scan_run *run = context;
    scan_pool_submit(run->pool, events, count);
    report_progress(run);
}

/* An event that is not valid JSON; reported in event order by the pool. */
static void on_invalid_event(void *context, const struct source_location *where, const char *reason)
{
    struct scan_run *run = context;
    malformed_add(&run->malformed, where->path, where->line, where->offset, reason);
}

/* Reports the output does not list; only their count matters. */
static void on_unlisted(void *context, uint64_t count)
{
    struct scan_run *run = context;
    run->malformed.total += count;
}

static bool read_line_file(void *context, const struct source_line_file *file,
                           struct source_range_summary *summary)
{
    struct scan_run *run = context;
    return scan_pool_read_line_file(run->pool, file, summary);
}

static void on_malformed(void *context, const struct source_location *where, const char *reason)
{
    struct scan_run *run = context;
    scan_pool_drain(run->pool); /* so reports stay in input order whatever the threads */
    malformed_add(&run->malformed, where->path, where->line, where->offset, reason);
}

static void on_file_done(void *context, const struct source_file_summary *summary)
{
    struct scan_run *run = context;
    run->totals.bytes_read += summary->bytes_read;
    run->totals.bytes_decoded += summary->bytes_decoded;
    if (!run->pending.key)
        return;
    struct scan_counted_files *files = &run->counted;
    if (files->count == files->capacity) {
        size_t capacity = files->capacity ? files->capacity * 2 : 64;
        struct scan_counted_file *grown = realloc(files->items, capacity * sizeof *grown);
        if (!grown) {
            free(run->pending.key); /* not recorded: a later scan would read it again */
            run->pending.key = NULL;
            return;
        }
        files->items = grown;
        files->capacity = capacity;
    }
    files->items[files->count++] = run->pending;
    run->pending.key = NULL;
}

/* With --db, a file the store has already counted is not read again, so a second scan of
 * the same logs does not count their events twice. A file that changed size since is not
 * read either, and said so: its old part is counted already. */
static bool should_read(void *context, const struct source_file_identity *file)
{
    struct scan_run *run = context;
    /* the scan fails once data points are lost: reading on would only take time */
    if (scan_spill_failed(run->spill))
        return false;
    if (!run->store)
        return true;
    char *real = realpath(file->path, NULL);
    size_t size = strlen(real ? real : file->path) + 8;
    char *key = malloc(size);
    if (key)
        snprintf(key, size, "file:%s", real ? real : file->path);
    free(real);
    bool found = false;
    uint64_t counted_size = 0;
    struct store_error error;
    if (!key || !store_source_get(run->store, key, &found, &counted_size, &error)) {
        free(key);
        return true;
    }
    if (!found) {
        free(run->pending.key);
        run->pending = (struct scan_counted_file){key, file->size};
        return true;
    }
    free(key);
    run->files_already_counted++;
    if (counted_size != file->size) {
        char reason[160];
        snprintf(reason, sizeof reason,
                 "not read: the store counted this file at %llu bytes and it has %llu now",
                 (unsigned long long)counted_size, (unsigned long long)file->size);
        on_malformed(run, &(struct source_location){file->path, 0, 0}, reason);
    }
    return false;
}

struct scan_options {
    bool cis;
    bool strict;
    const char *configs[16];
    size_t config_count;
    enum scan_format format;
    size_t threads;
    char **paths;
    size_t path_count;
    struct scan_alarm_options alarms;
};

static int usage_error(const char *message, const char *argument)
{
    fprintf(stderr, "trailhound: scan: %s%s\n", message, argument ? argument : "");
    fprintf(stderr, "Run 'trailhound scan --help' for usage.\n");
    return 2;
}

/* Parses argv; returns -1 when the options are valid, else the exit status. */
static int parse_options(int argc, char **argv, struct scan_options *options)
{
    /* paths has room for every argument; the caller frees it */
    options->paths = calloc((size_t)argc + 1, sizeof *options->paths);
    if (!options->paths)
        return 1;
    for (int i = 1; i < argc; i++) {
        const char *argument = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(argument, "--help") == 0 || strcmp(argument, "-h") == 0) {
            fputs(scan_help, stdout);
            return 0;
        } else if (strcmp(argument, "--cis") == 0) {
            options->cis = true;
        } else if (strcmp(argument, "--strict") == 0) {
            options->strict = true;
        } else if (strcmp(argument, "--config") == 0 && has_value) {
            if (options->config_count == sizeof options->configs / sizeof options->configs[0])
                return usage_error("too many --config files", NULL);
            options->configs[options->config_count++] = argv[++i];
        } else if (strcmp(argument, "--format") == 0 && has_value) {
            const char *format = argv[++i];
            if (strcmp(format, "text") == 0)
                options->format = SCAN_FORMAT_TEXT;
            else if (strcmp(format, "json") == 0)
                options->format = SCAN_FORMAT_JSON;
            else
                return usage_error("--format must be text or json, not ", format);
        } else if (strcmp(argument, "--threads") == 0 && has_value) {
            char *end;
            long threads = strtol(argv[++i], &end, 10);
            if (*end || threads < 1 || threads > SCAN_POOL_MAX_THREADS)
                return usage_error("--threads must be between 1 and 64, not ", argv[i]);
            options->threads = (size_t)threads;
            options->alarms.threads = (size_t)threads;
        } else if (strcmp(argument, "--early") == 0) {
            options->alarms.early = true;
        } else if (strcmp(argument, "--notify") == 0) {
            options->alarms.notify = true;
        } else if (strcmp(argument, "--smtp") == 0 && has_value) {
            options->alarms.smtp_url = argv[++i];
            if (strncmp(options->alarms.smtp_url, "smtp://", 7) != 0 &&
                strncmp(options->alarms.smtp_url, "smtps://", 8) != 0)
                return usage_error("--smtp must be an smtp:// or smtps:// URL, not ",
                                   options->alarms.smtp_url);
        } else if (strcmp(argument, "--notify-wait") == 0 && has_value) {
            char *end;
            long seconds = strtol(argv[++i], &end, 10);
            if (*end || seconds < 0 || seconds > 86400)
                return usage_error("--notify-wait must be 0 to 86400 seconds, not ", argv[i]);
            options->alarms.notify_wait_seconds = (int)seconds;
        } else if (strcmp(argument, "--db") == 0 && has_value) {
            options->alarms.db_path = argv[++i];
        } else if ((strcmp(argument, "--since") == 0 || strcmp(argument, "--until") == 0) &&
                   has_value) {
            bool since = strcmp(argument, "--since") == 0;
            if (!scan_parse_time(argv[++i],
                                 since ? &options->alarms.since_ms : &options->alarms.until_ms))
                return usage_error("a time must look like 2024-10-26T18:00:00Z or 2024-10-26, "
                                   "not ",
                                   argv[i]);
            *(since ? &options->alarms.has_since : &options->alarms.has_until) = true;
        } else if (strcmp(argument, "--") == 0) {
            while (++i < argc)
                options->paths[options->path_count++] = argv[i];
        } else if (argument[0] == '-' && argument[1] != '\0') {
            return usage_error("unknown option or missing value: ", argument);
        } else {
            options->paths[options->path_count++] = argv[i];
        }
    }
    if (!options->cis && options->config_count == 0)
        return usage_error("nothing to look for: give --cis and/or --config FILE", NULL);
    if (options->path_count == 0)
        return usage_error("give at least one PATH (a file, a directory, or - for stdin)", NULL);
    if (options->alarms.has_since && options->alarms.has_until &&
        options->alarms.until_ms < options->alarms.since_ms)
        return usage_error("--until is before --since", NULL);
    return -1;
}

static bool load_configuration(const struct scan_options *options, struct config *config)
{
    if (!config_init(config)) {
        fprintf(stderr, "trailhound: out of memory\n");
        return false;
    }
    char *warnings = NULL;
    struct config_error error;
    if (!config_load_all(config, options->cis, (const char *const *)options->configs,
                         options->config_count, &warnings, &error)) {
        fprintf(stderr, "trailhound: %s\n", error.message);
        free(warnings);
        return false;
    }
    if (warnings && options->alarms.notify)
        fprintf(stderr, "trailhound: warning: %s", warnings);
    free(warnings);
    return true;
}

/* Alarms need data points; so does a --db that keeps them. Periods under a minute need
 * them by the second. */
static bool wants_datapoints(const struct scan_options *options, const struct config *config,
                             int *resolution)
{
    *resolution = METRIC_RESOLUTION_STANDARD;
    for (size_t i = 0; i < config->alarms.count; i++)
        if (config->alarms.items[i].period < 60)
            *resolution = METRIC_RESOLUTION_HIGH;
    return config->alarms.count > 0 || options->alarms.db_path;
}

/* The memory the scan's data points may take before they are spilled to disk (a year of
 * matched minutes would take a gigabyte); TRAILHOUND_SCAN_SPILL_BYTES changes it so tests
 * can make a small scan spill. */
static size_t spill_bytes(void)
{
    const char *text = getenv("TRAILHOUND_SCAN_SPILL_BYTES");
    char *end;
    unsigned long long bytes = text ? strtoull(text, &end, 10) : 0;
    if (!text || *end || bytes > ((uint64_t)1 << 40))
        return SCAN_SPILL_DEFAULT_BYTES;
    return (size_t)bytes;
}

/* Data points when alarms or a --db need them, and with alarms the evidence behind each
 * bucket, which their transitions carry. */
static bool enable_gathering(struct scan_run *run, const struct scan_options *options,
                             struct metrics_error *error)
{
    int resolution;
    if (run->config.suppressions.count > 0 &&
        !scan_pool_enable_suppressions(run->pool, &run->config.suppressions, error))
        return false;
    if (!wants_datapoints(options, &run->config, &resolution))
        return true;
    if (!scan_pool_enable_datapoints(run->pool, resolution, error) ||
        (run->config.alarms.count > 0 && !scan_pool_enable_evidence(run->pool, error)))
        return false;
    if (!(run->spill = scan_spill_create())) {
        snprintf(error->message, sizeof error->message, "out of memory");
        return false;
    }
    scan_pool_set_spill(run->pool, spill_bytes(), scan_spill_write, run->spill);
    return true;
}

/* Takes the scan's data points and replays the alarms (in the --db store, else in memory);
 * false after saying why. */
static bool replay_alarms(struct filter_scan *totals, struct scan_run *run,
                          const struct scan_options *options, struct scan_alarm_replay *replay)
{
    struct metric_datapoint_list points = {0};
    char error[640] = "out of memory";
    /* replayed in memory (scan_alarms_replay): only the buckets transitions cite need their
     * evidence exported; the store writes every bucket's */
    int resolution;
    bool in_memory = !options->alarms.db_path && !options->alarms.notify &&
                     wants_datapoints(options, &run->config, &resolution) &&
                     resolution == METRIC_RESOLUTION_STANDARD &&
                     !scan_spill_summary(run->spill).used;
    struct metrics_error spill_error;
    if (filter_scan_spill_failed(totals, &spill_error)) {
        fprintf(stderr, "trailhound: alarms: %s\n", spill_error.message);
        return false;
    }
    struct scan_spill_summary spilled = scan_spill_summary(run->spill);
    if (spilled.used)
        fprintf(stderr,
                "trailhound: data points beyond %zu bytes of memory: %" PRIu64
                " written to %s and replayed from there\n",
                spill_bytes(), spilled.points,
                options->alarms.db_path ? "a temporary store, then to the --db store"
                                        : "a temporary store");
    /* the JSON report's evidence is written on the replay's threads */
    struct scan_alarm_options alarm_options = options->alarms;
    if (options->format == SCAN_FORMAT_JSON)
        alarm_options.render_evidence = metric_evidence_to_json;
    bool ok = (in_memory ? filter_scan_take_datapoints_deferred(totals, &points)
                         : filter_scan_take_datapoints(totals, &points)) &&
              scan_alarms_replay(run->store, &run->config, &points, run->spill, &run->counted,
                                 &alarm_options, replay, error, sizeof error);
    metric_datapoint_list_free(&points);
    if (!ok)
        fprintf(stderr, "trailhound: alarms: %s\n", error);
    return ok;
}

static int finish(struct scan_run *run, const struct scan_options *options)
{
    struct filter_scan *totals = scan_pool_finish(run->pool);
    if (!totals) {
        fprintf(stderr, "trailhound: out of memory merging the threads' totals\n");
        return 1;
    }
    run->totals.events = scan_pool_valid_events(run->pool);
    run->totals.seconds = now_seconds() - run->started;
    if (run->progress)
        fputs("\r\033[K", stderr);
    run->totals.files_already_counted = run->files_already_counted;
    if (run->totals.files == 0 && run->files_already_counted == 0) {
        const struct malformed_report *first = run->malformed.count ? run->malformed.items : NULL;
        fprintf(stderr, "trailhound: nothing could be read: %s%s%s\n", first ? first->file : "",
                first ? ": " : "", first ? first->reason : "no files found");
        return 1;
    }
    struct scan_alarm_replay replay = {0};
    int resolution;
    if (wants_datapoints(options, &run->config, &resolution) &&
        !replay_alarms(totals, run, options, &replay)) {
        scan_alarm_replay_free(&replay);
        return 1;
    }
    struct scan_malformed *listed = calloc(run->malformed.count + 1, sizeof *listed);
    if (!listed) {
        scan_alarm_replay_free(&replay);
        return 1;
    }
    for (size_t i = 0; i < run->malformed.count; i++) {
        struct malformed_report *item = &run->malformed.items[i];
        listed[i] = (struct scan_malformed){item->file, item->line, item->offset, item->reason};
    }
    run->totals.malformed = run->malformed.total;
    run->totals.unvalidated = filter_scan_unvalidated(totals);
    struct scan_report report = {
        .totals = run->totals,
        .scan = totals,
        .filters = &run->config.filters,
        .malformed = listed,
        .malformed_listed = run->malformed.count,
        .alarms = run->config.alarms.count ? &replay : NULL,
        .untimed = filter_scan_untimed(totals),
        .suppressions = run->config.suppressions.count > 0,
    };
    bool printed = scan_report_print(stdout, options->format, &report);
    const struct scan_notifications *sent = &replay.notifications;
    bool undelivered = sent->enabled && (sent->failed > 0 || sent->pending > 0);
    scan_alarm_replay_free(&replay);
    free(listed);
    return !printed ? 1 : undelivered ? 4 : 0;
}

/* How much of an NDJSON file one --threads job reads and frames. 2 MiB measured best (see
 * docs/benchmarks.md); TRAILHOUND_SCAN_RANGE_BYTES changes it so tests can put range
 * boundaries anywhere in small files. */
static uint64_t range_bytes(void)
{
    const char *text = getenv("TRAILHOUND_SCAN_RANGE_BYTES");
    char *end;
    unsigned long long bytes = text ? strtoull(text, &end, 10) : 0;
    if (!text || *end || bytes == 0 || bytes > ((uint64_t)1 << 30))
        return (uint64_t)2 * 1024 * 1024;
    return bytes;
}

int scan_command(int argc, char **argv)
{
    struct scan_options options = {
        .format = SCAN_FORMAT_TEXT, .threads = 1, .alarms = {.notify_wait_seconds = 60}};
    int status = parse_options(argc, argv, &options);
    if (status >= 0) {
        free(options.paths);
        return status;
    }
    struct scan_run *run = calloc(1, sizeof *run);
    if (!run)
        return 1;
    struct notify_error curl_error; /* --notify delivers with libcurl: loaded before threads */
    struct notify_curl *curl = NULL;
    if (options.alarms.notify && !(options.alarms.curl = curl = notify_curl_load(&curl_error))) {
        fprintf(stderr, "trailhound: %s\n", curl_error.message);
        free(run);
        free(options.paths);
        return 1;
    }
    struct source_options source_options = source_default_options();
    status = 2;
    run->strict = options.strict;
    struct metrics_error error;
    struct store_error store_error;
    if (options.alarms.db_path &&
        !(run->store = store_open(options.alarms.db_path, &store_error))) {
        fprintf(stderr, "trailhound: %s\n", store_error.message);
        status = 1;
    } else if (load_configuration(&options, &run->config) &&
               ((run->pool = scan_pool_create(&run->config.filters, !run->strict, options.threads,
                                              on_invalid_event, on_unlisted, run, &error)) ==
                    NULL ||
                !enable_gathering(run, &options, &error) ||
                !scan_pool_enable_ranges(run->pool, &source_options, range_bytes(), &error))) {
        fprintf(stderr, "trailhound: %s\n", error.message);
        scan_pool_free(run->pool);
        run->pool = NULL;
    }
    if (run->pool) {
        struct source_handler handler = {.context = run,
                                         .on_events = on_events,
                                         .on_malformed = on_malformed,
                                         .on_file_done = on_file_done,
                                         .should_read = should_read,
                                         .read_line_file = read_line_file};
        run->progress = isatty(STDERR_FILENO);
        run->started = run->last_progress = now_seconds();
        for (size_t i = 0; i < options.path_count; i++)
            run->totals.files += source_read_path(options.paths[i], &source_options, &handler);
        status = finish(run, &options);
    }
    scan_pool_free(run->pool);
    malformed_free(&run->malformed);
    config_free(&run->config);
    scan_spill_free(run->spill);
    store_close(run->store);
    scan_counted_files_free(&run->counted);
    free(run->pending.key);
    free(run);
    free(options.paths);
    notify_curl_unload(curl);
    return status;
}
