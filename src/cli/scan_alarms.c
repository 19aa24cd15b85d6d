/* Replaying alarms after a scan: data points and definitions into the store, then each
 * alarm evaluated minute by minute on event time (monitor_replay). */
#include "cli/scan_alarms.h"

#include "monitor/monitor.h"
#include "store/store.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

__attribute__((format(printf, 3, 4))) static bool fail(char *error, size_t size, const char *format,
                                                       ...)
{
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(error, size, format, arguments);
    va_end(arguments);
    return false;
}

/* ---- times ---------------------------------------------------------------------------- */

static bool parse_digits(const char **text, int count, int *value)
{
    *value = 0;
    for (int i = 0; i < count; i++, (*text)++) {
        if (**text < '0' || **text > '9')
            return false;
        *value = *value * 10 + (**text - '0');
    }
    return true;
}

static bool parse_clock(const char **p, struct tm *fields, int *milliseconds)
{
    if (!parse_digits(p, 2, &fields->tm_hour) || *(*p)++ != ':' ||
        !parse_digits(p, 2, &fields->tm_min) || *(*p)++ != ':' ||
        !parse_digits(p, 2, &fields->tm_sec))
        return false;
    if (**p == '.') {
        (*p)++;
        int digits = 0;
        for (; **p >= '0' && **p <= '9'; (*p)++, digits++)
            if (digits < 3)
                *milliseconds = *milliseconds * 10 + (**p - '0');
        if (digits == 0)
            return false;
        for (; digits < 3; digits++)
            *milliseconds *= 10;
    }
    return strcmp(*p, "Z") == 0 || strcmp(*p, "+00:00") == 0 || strcmp(*p, "+0000") == 0;
}

bool scan_parse_time(const char *text, int64_t *milliseconds)
{
    struct tm fields = {0};
    int year, month, day, fraction = 0;
    const char *p = text;
    if (!parse_digits(&p, 4, &year) || *p++ != '-' || !parse_digits(&p, 2, &month) || *p++ != '-' ||
        !parse_digits(&p, 2, &day))
        return false;
    if (*p != '\0' && (*p++ != 'T' || !parse_clock(&p, &fields, &fraction)))
        return false;
    if (month < 1 || month > 12 || day < 1 || day > 31 || fields.tm_hour > 23 ||
        fields.tm_min > 59 || fields.tm_sec > 60)
        return false;
    fields.tm_year = year - 1900;
    fields.tm_mon = month - 1;
    fields.tm_mday = day;
    *milliseconds = (int64_t)timegm(&fields) * 1000 + fraction;
    return true;
}

/* ---- into the store --------------------------------------------------------------------- */

/* Buckets and the evidence behind them, in the caller's transaction. */
static bool store_filters(struct store *store, const struct metric_filter_list *filters,
                          char *error, size_t error_size)
{
    for (size_t i = 0; i < filters->count; i++) {
        const struct metric_filter_definition *filter = &filters->items[i];
        char *json = metric_filter_to_json(filter);
        struct store_error store_error = {.message = "out of memory"};
        bool ok = json && store_metric_filter_put(
                              store, filter->log_group_name ? filter->log_group_name : "",
                              filter->filter_name, json, &store_error);
        free(json);
        if (!ok)
            return fail(error, error_size, "storing filter %s: %s", filter->filter_name,
                        store_error.message);
    }
    return true;
}

static bool store_counted_files(struct store *store, const struct scan_counted_files *files,
                                char *error, size_t error_size)
{
    struct store_error store_error;
    for (size_t i = 0; i < files->count; i++)
        if (!store_source_set(store, files->items[i].key, files->items[i].size, &store_error))
            return fail(error, error_size, "recording %s: %s", files->items[i].key,
                        store_error.message);
    return true;
}

void scan_counted_files_free(struct scan_counted_files *files)
{
    for (size_t i = 0; i < files->count; i++)
        free(files->items[i].key);
    free(files->items);
    *files = (struct scan_counted_files){0};
}

/* What the scan read, all or nothing: data points (NULL: the replay reads them from the
 * scan's list), those it spilled when `spilled` is given (--db: copied in from the
 * temporary store), the files they came from, filters. */
static bool store_scan(struct store *store, const struct config *config,
                       const struct metric_datapoint_list *points, struct scan_spill *spilled,
                       const struct scan_counted_files *files, char *error, size_t error_size)
{
    struct store_error store_error;
    if (!store_begin(store, &store_error))
        return fail(error, error_size, "%s", store_error.message);
    bool ok = (!points ||
               scan_store_datapoints(store, points->items, points->count, error, error_size)) &&
              (!spilled || scan_spill_copy(spilled, store, error, error_size)) &&
              store_counted_files(store, files, error, error_size) &&
              store_filters(store, &config->filters, error, error_size);
    if (ok && !store_commit(store, &store_error))
        ok = fail(error, error_size, "%s", store_error.message);
    if (!ok)
        store_rollback(store);
    return ok;
}

/* ---- the replay --------------------------------------------------------------------------- */

/* A copy of the evidence of a transition into ALARM, the one the report shows it for: as
 * `render` renders it when given, else as it is. */
static bool copy_alarm_evidence(const struct monitor_transition *transition,
                                char *(*render)(const struct metric_evidence *),
                                struct metric_evidence **copy, char **text)
{
    *copy = NULL;
    *text = NULL;
    if (transition->to != ALARM_STATE_ALARM || !transition->evidence)
        return true;
    if (render) /* the evidence was written and read back already: NULL is out of memory */
        return (*text = render(transition->evidence)) != NULL;
    if (!(*copy = malloc(sizeof **copy)))
        return false;
    metric_evidence_init(*copy);
    if (metric_evidence_merge(*copy, transition->evidence))
        return true;
    free(*copy);
    *copy = NULL;
    return false;
}

/* What the transition hook needs: the result to append to and, with --notify, what to
 * queue the alarm's actions with (in the transition's transaction). */
struct transition_sink {
    struct scan_alarm_result *result;
    bool early; /* --early and the alarm fires early */
    char *(*render_evidence)(const struct metric_evidence *evidence);
    struct store *store;
    const struct monitor_notify_settings *notify; /* NULL: no --notify */
    int64_t configuration_updated_ms;
    struct monitor_error *error;
};

static bool append_transition(struct scan_alarm_result *result,
                              const struct monitor_transition *transition,
                              char *(*render_evidence)(const struct metric_evidence *));

static bool record_transition(void *context, const struct monitor_transition *transition)
{
    struct transition_sink *sink = context;
    if (!append_transition(sink->result, transition, sink->render_evidence))
        return false;
    struct scan_alarm_result *result = sink->result;
    result->transitions[result->transition_count - 1].early =
        sink->early && transition->to == ALARM_STATE_ALARM;
    if (!sink->notify)
        return true;
    return monitor_enqueue_notifications(sink->store, sink->result->alarm, transition, sink->notify,
                                         sink->configuration_updated_ms, sink->error);
}

static void transition_free(struct scan_alarm_transition *transition)
{
    free(transition->reason);
    metric_evidence_free(transition->evidence);
    free(transition->evidence);
    free(transition->evidence_text);
}

/* Frees all but the latest `keep` transitions. */
static void keep_latest_transitions(struct scan_alarm_result *result, size_t keep)
{
    if (result->transition_count <= keep)
        return;
    size_t drop = result->transition_count - keep;
    for (size_t t = 0; t < drop; t++)
        transition_free(&result->transitions[t]);
    memmove(result->transitions, result->transitions + drop, keep * sizeof *result->transitions);
    result->transition_count = keep;
}

static bool append_transition(struct scan_alarm_result *result,
                              const struct monitor_transition *transition,
                              char *(*render_evidence)(const struct metric_evidence *))
{
    /* bounded: the oldest half goes once twice the listed number are held */
    if (result->transition_count == 2 * SCAN_ALARM_TRANSITIONS_LISTED)
        keep_latest_transitions(result, SCAN_ALARM_TRANSITIONS_LISTED);
    if (result->transition_count == result->transition_capacity) {
        size_t capacity = result->transition_capacity ? result->transition_capacity * 2 : 8;
        struct scan_alarm_transition *grown =
            realloc(result->transitions, capacity * sizeof *grown);
        if (!grown)
            return false;
        result->transitions = grown;
        result->transition_capacity = capacity;
    }
    char *reason = strdup(transition->reason ? transition->reason : "");
    struct metric_evidence *evidence = NULL;
    char *evidence_text = NULL;
    if (reason && !copy_alarm_evidence(transition, render_evidence, &evidence, &evidence_text)) {
        free(reason);
        reason = NULL;
    }
    if (!reason)
        return false;
    result->transitions_total++;
    result->transitions[result->transition_count++] =
        (struct scan_alarm_transition){.time_ms = transition->time_ms,
                                       .from = transition->from,
                                       .to = transition->to,
                                       .reason = reason,
                                       .evidence = evidence,
                                       .evidence_text = evidence_text};
    return true;
}

static bool read_final_state(struct store *store, struct scan_alarm_result *result, char *error,
                             size_t error_size)
{
    struct store_alarm_state state = {0};
    struct store_error store_error;
    bool found = false;
    bool ok = store_alarm_get_state(store, result->alarm->alarm_name, &found, &state, &store_error);
    if (!ok)
        return fail(error, error_size, "%s", store_error.message);
    ok = found && alarm_state_parse(state.state, &result->final_state);
    store_alarm_state_free(&state);
    return ok || fail(error, error_size, "alarm %s: no readable state", result->alarm->alarm_name);
}

/* The span of the scan's own data, in milliseconds. */
static bool data_span(const struct metric_datapoint_list *points, int64_t *first_ms,
                      int64_t *last_ms)
{
    if (points->count == 0)
        return false;
    int64_t first = points->items[0].timestamp, last = first;
    for (size_t i = 1; i < points->count; i++) {
        if (points->items[i].timestamp < first)
            first = points->items[i].timestamp;
        if (points->items[i].timestamp > last)
            last = points->items[i].timestamp;
    }
    *first_ms = first * 1000;
    *last_ms = last * 1000;
    return true;
}

/* Without --db the store is private to this run: the replay reads the scan's data points
 * and evidence where they are instead of writing every bucket to the store first. Not
 * with 1-second points: alarms of a minute or more read the store's minute rollups. */
static bool replays_from_points(const struct scan_alarm_options *options,
                                const struct metric_datapoint_list *points)
{
    if (options->db_path)
        return false;
    for (size_t i = 0; i < points->count; i++)
        if (points->items[i].resolution != METRIC_RESOLUTION_STANDARD)
            return false;
    return true;
}

static bool replay_one(struct store *store, const struct alarm_definition *alarm,
                       const struct monitor_settings *settings,
                       const struct metric_datapoint_list *points, int64_t from_ms,
                       int64_t until_ms, struct transition_sink *sink, struct monitor_error *error)
{
    return points ? monitor_replay_points(store, alarm, settings, points, from_ms, until_ms,
                                          record_transition, sink, error)
                  : monitor_replay(store, alarm, settings, from_ms, until_ms, record_transition,
                                   sink, error);
}

/* `points`: the scan's, when the replay reads them instead of the store's. */
static bool replay_all(struct store *store, const struct config *config,
                       const struct metric_datapoint_list *points,
                       const struct scan_alarm_options *options, int64_t last_data_ms,
                       const struct monitor_notify_settings *notify, struct scan_alarm_replay *out,
                       char *error, size_t error_size)
{
    struct monitor_settings settings = {.region = config->settings.region,
                                        .account_id = config->settings.account_id,
                                        .evaluation_range =
                                            config->settings.alarm_evaluation_range};
    out->until_ms = out->from_ms;
    for (size_t i = 0; i < out->count; i++) {
        struct scan_alarm_result *result = &out->results[i];
        struct monitor_error monitor_error;
        int64_t until = options->has_until
                            ? options->until_ms
                            : last_data_ms + monitor_drain_ms(result->alarm, &settings);
        if (until > out->until_ms)
            out->until_ms = until;
        struct transition_sink sink = {.result = result,
                                       .early =
                                           options->early && monitor_fires_early(result->alarm),
                                       .render_evidence = options->render_evidence,
                                       .store = store,
                                       .notify = notify,
                                       .configuration_updated_ms = out->from_ms,
                                       .error = &monitor_error};
        if (!monitor_put_alarm(store, result->alarm, &settings, out->from_ms, &monitor_error) ||
            (out->has_data && !replay_one(store, result->alarm, &settings, points, out->from_ms,
                                          until, &sink, &monitor_error)))
            return fail(error, error_size, "%s", monitor_error.message);
        keep_latest_transitions(result, SCAN_ALARM_TRANSITIONS_LISTED);
        if (!read_final_state(store, result, error, error_size))
            return false;
    }
    return true;
}

/* ---- the replay in memory --------------------------------------------------------------- */

/* Without --db or --notify nobody reads the alarms' state or history afterwards: each alarm
 * is replayed in memory (monitor_replay_in_memory) and, as alarms are independent, on up to
 * options->threads threads, each taking the next alarm not yet taken. */
struct memory_replay {
    const struct metric_datapoint_list *points;
    const struct monitor_settings *settings;
    const struct scan_alarm_options *options;
    struct scan_alarm_replay *out;
    const int64_t *until_ms;      /* per alarm */
    struct monitor_error *errors; /* per alarm */
    bool *failed;                 /* per alarm */
    atomic_size_t next;           /* the next alarm to take */
};

static void replay_in_memory(struct memory_replay *replay, size_t index)
{
    struct scan_alarm_result *result = &replay->out->results[index];
    struct monitor_error *error = &replay->errors[index];
    struct alarm_status status;
    if (!monitor_initial_status(replay->out->from_ms, &status)) {
        snprintf(error->message, sizeof error->message, "alarm %s: out of memory",
                 result->alarm->alarm_name);
        replay->failed[index] = true;
        return;
    }
    struct transition_sink sink = {.result = result,
                                   .early =
                                       replay->options->early && monitor_fires_early(result->alarm),
                                   .render_evidence = replay->options->render_evidence,
                                   .error = error};
    replay->failed[index] =
        replay->out->has_data &&
        !monitor_replay_in_memory(result->alarm, replay->settings, replay->points,
                                  replay->out->from_ms, replay->until_ms[index], &status,
                                  record_transition, &sink, error);
    keep_latest_transitions(result, SCAN_ALARM_TRANSITIONS_LISTED);
    result->final_state = status.state;
    alarm_status_free(&status);
}

static void *replay_worker(void *context)
{
    struct memory_replay *replay = context;
    for (size_t index; (index = atomic_fetch_add(&replay->next, 1)) < replay->out->count;)
        replay_in_memory(replay, index);
    return NULL;
}

/* Runs the workers, the calling thread one of them: every alarm is replayed even when no
 * other thread can start. */
static void run_workers(struct memory_replay *replay, size_t threads)
{
    pthread_t workers[SCAN_ALARM_MAX_THREADS];
    size_t started = 0;
    if (threads > replay->out->count)
        threads = replay->out->count;
    if (threads > SCAN_ALARM_MAX_THREADS)
        threads = SCAN_ALARM_MAX_THREADS;
    while (started + 1 < threads &&
           pthread_create(&workers[started], NULL, replay_worker, replay) == 0)
        started++; /* a thread that cannot start leaves its alarms to the others */
    replay_worker(replay);
    for (size_t i = 0; i < started; i++)
        pthread_join(workers[i], NULL);
}

static bool replay_all_in_memory(const struct config *config,
                                 const struct metric_datapoint_list *points,
                                 const struct scan_alarm_options *options, int64_t last_data_ms,
                                 struct scan_alarm_replay *out, char *error, size_t error_size)
{
    struct monitor_settings settings = {.region = config->settings.region,
                                        .account_id = config->settings.account_id,
                                        .evaluation_range =
                                            config->settings.alarm_evaluation_range};
    size_t count = out->count + 1;
    int64_t *until_ms = calloc(count, sizeof *until_ms);
    struct monitor_error *errors = calloc(count, sizeof *errors);
    bool *failed = calloc(count, sizeof *failed);
    bool ok = until_ms && errors && failed;
    out->until_ms = out->from_ms;
    for (size_t i = 0; ok && i < out->count; i++) {
        until_ms[i] = options->has_until
                          ? options->until_ms
                          : last_data_ms + monitor_drain_ms(out->results[i].alarm, &settings);
        if (until_ms[i] > out->until_ms)
            out->until_ms = until_ms[i];
    }
    struct memory_replay replay = {.points = points,
                                   .settings = &settings,
                                   .options = options,
                                   .out = out,
                                   .until_ms = until_ms,
                                   .errors = errors,
                                   .failed = failed};
    atomic_init(&replay.next, 0);
    if (ok)
        run_workers(&replay, options->threads ? options->threads : 1);
    else
        fail(error, error_size, "out of memory");
    for (size_t i = 0; ok && i < out->count; i++) /* the first failure in the alarms' order */
        if (failed[i])
            ok = fail(error, error_size, "%s", errors[i].message);
    free(until_ms);
    free(errors);
    free(failed);
    return ok;
}

/* ---- --notify: delivering the outbox ------------------------------------------------------- */

static bool count_message(void *context, const struct store_outbox_message *message)
{
    (void)message;
    (*(size_t *)context)++;
    return true;
}

static size_t count_outbox(struct store *store, const char *state)
{
    size_t count = 0;
    struct store_error error;
    store_outbox_list(store, state, 0, count_message, &count, &error);
    return count;
}

static int64_t wall_clock_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Delivers what is due, waiting for retries up to the deadline; what is still pending then
 * stays in a --db store for the next run and is reported. */
static bool deliver_outbox(struct store *store, const struct monitor_delivery_settings *delivery,
                           int wait_seconds, struct scan_notifications *report, char *error,
                           size_t error_size)
{
    int64_t deadline = wall_clock_ms() + (int64_t)wait_seconds * 1000;
    for (;;) {
        struct monitor_delivery_report round;
        struct monitor_error monitor_error;
        if (!monitor_deliver_due(store, delivery, wall_clock_ms(), 0, &round, &monitor_error))
            return fail(error, error_size, "delivering: %s", monitor_error.message);
        report->delivered += round.delivered;
        report->retried += round.retried;
        report->failed += round.failed;
        report->alerts += round.alerts;
        if (!report->first_failure[0] && round.first_failure[0])
            snprintf(report->first_failure, sizeof report->first_failure, "%s",
                     round.first_failure);
        bool found = false;
        int64_t next = 0;
        struct store_error store_error;
        if (!store_outbox_next_due(store, &found, &next, &store_error))
            return fail(error, error_size, "%s", store_error.message);
        if (!found || next > deadline)
            break;
        int64_t pause = next - wall_clock_ms();
        if (pause > 0)
            nanosleep(&(struct timespec){pause / 1000, (pause % 1000) * 1000000}, NULL);
    }
    report->pending = count_outbox(store, "pending");
    return true;
}

static bool send_notifications(struct store *store, const struct config *config,
                               const struct scan_alarm_options *options,
                               const struct monitor_notify_settings *notify,
                               struct scan_notifications *report, char *error, size_t error_size)
{
    struct monitor_fallback fallback;
    struct monitor_delivery_settings delivery =
        monitor_configured_delivery(&config->settings, options->smtp_url, notify, &fallback);
    delivery.curl = options->curl;
    return deliver_outbox(store, &delivery, options->notify_wait_seconds, report, error,
                          error_size);
}

/* Retention in a --db store, measured back from its latest data point (event time: a
 * replay of last year's logs must not prune what it just wrote by the wall clock). */
static bool apply_retention(struct store *store, const struct config_settings *settings,
                            char *error, size_t error_size)
{
    struct store_error store_error;
    bool found = false;
    int64_t first = 0, last = 0;
    if (!store_datapoints_span(store, &found, &first, &last, &store_error))
        return fail(error, error_size, "%s", store_error.message);
    if (!found)
        return true;
    int64_t datapoints_before = last - (int64_t)settings->datapoint_retention_days * 86400;
    int64_t history_before_ms = (last - (int64_t)settings->history_retention_days * 86400) * 1000;
    return store_prune(store, datapoints_before, history_before_ms, &store_error) ||
           fail(error, error_size, "pruning: %s", store_error.message);
}

static bool replay_in_store(struct store *store, const struct config *config,
                            const struct metric_datapoint_list *points,
                            const struct metric_datapoint_list *read_points,
                            struct scan_spill *spill, const struct scan_counted_files *files,
                            const struct scan_alarm_options *options, int64_t last_ms,
                            struct scan_alarm_replay *out, char *error, size_t error_size);

/* The span of the scan's data points, spilled ones included, in milliseconds. */
static bool scan_span(const struct metric_datapoint_list *points,
                      const struct scan_spill_summary *spilled, int64_t *first_ms, int64_t *last_ms)
{
    bool has_points = data_span(points, first_ms, last_ms);
    if (!spilled->used)
        return has_points;
    if (!has_points || spilled->first * 1000 < *first_ms)
        *first_ms = spilled->first * 1000;
    if (!has_points || spilled->last * 1000 > *last_ms)
        *last_ms = spilled->last * 1000;
    return true;
}

bool scan_alarms_replay(struct store *store, const struct config *config,
                        const struct metric_datapoint_list *points, struct scan_spill *spill,
                        const struct scan_counted_files *files,
                        const struct scan_alarm_options *options, struct scan_alarm_replay *out,
                        char *error, size_t error_size)
{
    *out = (struct scan_alarm_replay){0};
    out->results = calloc(config->alarms.count + 1, sizeof *out->results);
    if (!out->results)
        return fail(error, error_size, "out of memory");
    out->count = config->alarms.count;
    for (size_t i = 0; i < out->count; i++)
        out->results[i].alarm = &config->alarms.items[i];
    struct scan_spill_summary spilled = scan_spill_summary(spill);
    int64_t first_ms = 0, last_ms = 0;
    bool has_points = scan_span(points, &spilled, &first_ms, &last_ms);
    out->has_data = has_points || options->has_since;
    out->from_ms = options->has_since ? options->since_ms : first_ms;
    if (!has_points)
        last_ms = out->from_ms;
    out->datapoints = points->count + spilled.points;
    const struct metric_datapoint_list *read_points =
        !spilled.used && replays_from_points(options, points) ? points : NULL;
    if (read_points && !options->notify)
        return replay_all_in_memory(config, read_points, options, last_ms, out, error, error_size);
    if (spilled.used && !store)
        store = scan_spill_store(spill); /* the temporary one, which holds them */
    struct store_error store_error;
    struct store *memory = store ? NULL : store_open(":memory:", &store_error);
    if (!store && !memory)
        return fail(error, error_size, "%s", store_error.message);
    bool ok = replay_in_store(store ? store : memory, config, points, read_points, spill, files,
                              options, last_ms, out, error, error_size);
    store_close(memory);
    return ok;
}

/* The replay through `store` (the --db file or a private one in memory), with --notify's
 * deliveries and --db's retention; `read_points` as for replay_all. */
static bool replay_in_store(struct store *store, const struct config *config,
                            const struct metric_datapoint_list *points,
                            const struct metric_datapoint_list *read_points,
                            struct scan_spill *spill, const struct scan_counted_files *files,
                            const struct scan_alarm_options *options, int64_t last_ms,
                            struct scan_alarm_replay *out, char *error, size_t error_size)
{
    struct notify_signing_key key = {0};
    struct notify_topic_list topics = {0}; /* the file's and the API's, with their states */
    struct monitor_notify_settings notify = {
        .topics = &topics,
        .region = config->settings.region,
        .account_id = config->settings.account_id,
        .public_base_url = config->settings.public_base_url ? config->settings.public_base_url
                                                            : "http://127.0.0.1:4566",
        .signing_key = &key,
    };
    struct monitor_error monitor_error;
    out->notifications.enabled = options->notify;
    if (options->notify &&
        (!monitor_signing_key(store, &key, &monitor_error) ||
         !monitor_topics_load(store, &config->topics, &topics, &monitor_error))) {
        notify_signing_key_free(&key);
        return fail(error, error_size, "%s", monitor_error.message);
    }
    size_t outbox_before = options->notify ? count_outbox(store, NULL) : 0;
    /* --db: what was spilled joins the store with the rest, in one transaction */
    struct scan_spill *copy = store != scan_spill_store(spill) ? spill : NULL;
    bool ok =
        store_scan(store, config, read_points ? NULL : points, copy, files, error, error_size) &&
        replay_all(store, config, read_points, options, last_ms, options->notify ? &notify : NULL,
                   out, error, error_size);
    if (ok && options->notify) {
        out->notifications.queued = count_outbox(store, NULL) - outbox_before;
        ok = send_notifications(store, config, options, &notify, &out->notifications, error,
                                error_size);
    }
    notify_signing_key_free(&key);
    notify_topic_list_free(&topics);
    return ok &&
           (!options->db_path || apply_retention(store, &config->settings, error, error_size));
}

void scan_alarm_replay_free(struct scan_alarm_replay *replay)
{
    for (size_t i = 0; i < replay->count; i++) {
        for (size_t t = 0; t < replay->results[i].transition_count; t++)
            transition_free(&replay->results[i].transitions[t]);
        free(replay->results[i].transitions);
    }
    free(replay->results);
    *replay = (struct scan_alarm_replay){0};
}
