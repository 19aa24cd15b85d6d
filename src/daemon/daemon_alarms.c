/* Alarms on the wall clock, the outbox worker and retention. Every stored alarm (the
 * configuration's and the API's) is evaluated; a transition queues its notifications in
 * its own transaction (monitor_enqueue_notifications in the hook). */
#include "daemon/daemon_internal.h"
#include "monitor/monitor.h"

#include <stdlib.h>
#include <string.h>

struct evaluation_round {
    struct daemon *daemon;
    struct notify_topic_list topics;
    struct monitor_notify_settings notify;
    struct monitor_settings settings;
    int64_t instant_ms;
    bool early_only, replay;
    bool vetoed; /* an early evaluation's transition other than into ALARM was refused */
    const struct alarm_definition *alarm;
    size_t transitions;
};

static bool on_transition(void *context, const struct monitor_transition *transition)
{
    struct evaluation_round *round = context;
    if (round->early_only && transition->to != ALARM_STATE_ALARM) {
        round->vetoed = true; /* early firing never clears or suspends: the minute does */
        return false;
    }
    /* an early transition is stamped with the minute it anticipates, but its message is
     * due now: that is the point of firing early */
    struct monitor_transition sent = *transition;
    if (round->early_only)
        sent.time_ms = daemon_now_ms();
    struct monitor_error error;
    if (!monitor_enqueue_notifications(round->daemon->store, round->alarm, &sent, &round->notify,
                                       round->daemon->started_ms, &error)) {
        daemon_log(round->daemon, "error", "enqueue_failed", "alarm=%s error=\"%s\"",
                   transition->alarm_name, error.message);
        return false;
    }
    round->transitions++;
    char at[40];
    alarm_format_iso_time(transition->time_ms, at, sizeof at);
    daemon_log(round->daemon, "info", "alarm_state",
               "alarm=%s from=%s to=%s at=%s early=%s reason=\"%s\"", transition->alarm_name,
               alarm_state_name(transition->from), alarm_state_name(transition->to), at,
               round->early_only ? "true" : "false", transition->reason ? transition->reason : "");
    return true;
}

/* The replay's span: from the first data point (or where the alarm's state was last
 * written, so a second run does not replay what the first judged) until the look-back has
 * passed the last data point, never past now. */
static bool replay_span(struct evaluation_round *round, const struct alarm_definition *alarm,
                        int64_t updated_ms, int64_t *from, int64_t *until, bool *found)
{
    int64_t first = 0, last = 0;
    struct store_error error;
    if (!store_datapoints_span(round->daemon->store, found, &first, &last, &error))
        return false;
    *from = first * 1000 > updated_ms ? first * 1000 : updated_ms;
    *until = last * 1000 + monitor_drain_ms(alarm, &round->settings);
    if (*until > daemon_now_ms())
        *until = daemon_now_ms();
    *found = *found && *from <= *until;
    return true;
}

static void evaluate_one(struct evaluation_round *round, const struct alarm_definition *alarm,
                         int64_t updated_ms)
{
    struct monitor_error error;
    round->alarm = alarm;
    round->vetoed = false;
    bool ok;
    if (round->replay) {
        bool found = false;
        int64_t from = 0, until = 0;
        ok = replay_span(round, alarm, updated_ms, &from, &until, &found) &&
             (!found || monitor_replay(round->daemon->store, alarm, &round->settings, from, until,
                                       on_transition, round, &error));
    } else {
        int64_t instant = round->early_only ? monitor_next_evaluation(alarm, round->instant_ms)
                                            : round->instant_ms;
        /* An early fire judges the next minute's instant ahead of time; the minute's own
         * evaluation of the instant before it (due a few seconds later) must not undo it:
         * an instant older than the state's last judgement is left alone. */
        ok = instant < updated_ms ||
             monitor_evaluate_alarm(round->daemon->store, alarm, &round->settings, instant,
                                    on_transition, round, &error);
    }
    if (!ok && !round->vetoed)
        daemon_log(round->daemon, "error", "evaluation_failed", "alarm=%s error=\"%s\"",
                   alarm->alarm_name, error.message);
}

/* Definitions first, then evaluations: an evaluation writes, which a walk forbids. */
struct stored_alarms {
    struct alarm_list list;
    int64_t *updated_ms; /* per alarm, when its state was last written */
};

static bool collect_alarm(void *context, const char *name, const char *definition_json,
                          const struct store_alarm_state *state)
{
    (void)name;
    struct stored_alarms *alarms = context;
    struct alarm_definition alarm;
    struct alarm_error error;
    if (!alarm_definition_from_json(definition_json, &alarm, &error))
        return true;
    int64_t *grown =
        realloc(alarms->updated_ms, (alarms->list.count + 1) * sizeof *alarms->updated_ms);
    if (grown) {
        alarms->updated_ms = grown;
        /* a never-evaluated alarm is replayed from the first data point */
        bool judged = !state->reason || strncmp(state->reason, "Unchecked:", 10) != 0;
        grown[alarms->list.count] = judged ? state->updated_ms : INT64_MIN;
        alarm_list_append(&alarms->list, &alarm);
    }
    alarm_definition_free(&alarm);
    return true;
}

static void run_round(struct evaluation_round *round)
{
    struct daemon *daemon = round->daemon;
    struct monitor_error error;
    struct store_error store_error;
    if (!monitor_topics_load(daemon->store, &daemon->config.topics, &round->topics, &error)) {
        daemon_log(daemon, "error", "topics_unreadable", "error=\"%s\"", error.message);
        return;
    }
    const struct config_settings *settings = &daemon->config.settings;
    round->notify = (struct monitor_notify_settings){
        .topics = &round->topics,
        .region = settings->region,
        .account_id = settings->account_id,
        .public_base_url =
            settings->public_base_url ? settings->public_base_url : "http://127.0.0.1:4566",
        .signing_key = &daemon->signing_key};
    round->settings =
        (struct monitor_settings){.region = settings->region,
                                  .account_id = settings->account_id,
                                  .evaluation_range = settings->alarm_evaluation_range};
    struct stored_alarms alarms = {0};
    if (!store_alarm_list(daemon->store, collect_alarm, &alarms, &store_error))
        daemon_log(daemon, "error", "alarms_unreadable", "error=\"%s\"", store_error.message);
    for (size_t i = 0; i < alarms.list.count && !daemon->stopping; i++)
        if (!round->early_only || monitor_fires_early(&alarms.list.items[i]))
            evaluate_one(round, &alarms.list.items[i], alarms.updated_ms[i]);
    alarm_list_free(&alarms.list);
    free(alarms.updated_ms);
    notify_topic_list_free(&round->topics);
}

void daemon_evaluate_alarms(struct daemon *daemon, int64_t instant_ms, bool early_only)
{
    struct evaluation_round round = {
        .daemon = daemon, .instant_ms = instant_ms, .early_only = early_only};
    run_round(&round);
}

void daemon_replay_alarms(struct daemon *daemon)
{
    struct evaluation_round round = {.daemon = daemon, .replay = true};
    run_round(&round);
}

static void log_delivery(struct daemon *daemon, const struct monitor_delivery_report *report)
{
    if (report->delivered || report->retried || report->failed)
        daemon_log(daemon, report->failed ? "warn" : "info", "delivered",
                   "delivered=%zu retried=%zu failed=%zu alerts=%zu first_failure=\"%s\"",
                   report->delivered, report->retried, report->failed, report->alerts,
                   report->first_failure);
}

int64_t daemon_deliver(struct daemon *daemon)
{
    const struct config_settings *settings = &daemon->config.settings;
    struct notify_topic_list topics = {0};
    struct monitor_error error;
    if (!monitor_topics_load(daemon->store, &daemon->config.topics, &topics, &error))
        return daemon_now_ms() + 10000;
    struct monitor_notify_settings notify = {.topics = &topics,
                                             .region = settings->region,
                                             .account_id = settings->account_id,
                                             .public_base_url = settings->public_base_url
                                                                    ? settings->public_base_url
                                                                    : "http://127.0.0.1:4566",
                                             .signing_key = &daemon->signing_key};
    struct monitor_fallback fallback;
    struct monitor_delivery_settings delivery =
        monitor_configured_delivery(settings, daemon->options.smtp_url, &notify, &fallback);
    delivery.curl = daemon->options.curl;
    if (!daemon->options.exit_when_idle) { /* trailhound's own failures: daemon_failures.c */
        delivery.on_failed_attempt = daemon_failures_on_failed_attempt;
        delivery.failed_attempt_context = daemon;
    }
    struct monitor_delivery_report report;
    if (!monitor_deliver_due(daemon->store, &delivery, daemon_now_ms(), 16, &report, &error)) {
        daemon_failure_count(daemon, DAEMON_FAILURE_DELIVERY);
        daemon_log(daemon, "error", "delivery_failed", "error=\"%s\"", error.message);
    }
    log_delivery(daemon, &report);
    daemon_failures_flush(daemon);
    notify_topic_list_free(&topics);
    bool found = false;
    int64_t next = INT64_MAX;
    struct store_error store_error;
    if (!store_outbox_next_due(daemon->store, &found, &next, &store_error))
        return daemon_now_ms() + 10000;
    return found ? next : INT64_MAX;
}

/* Retention counts back from now, or from the latest data point when that is older (a
 * bounded run over last year's logs must not prune what it reads, as `scan --db`). A
 * running daemon writes its heartbeat metric at the current minute, so there it is now:
 * ingesting an archive older than dataPointRetentionDays needs a longer retention. */
/* How long a PutLogEvents batch digest is kept: long enough for any client's retries. */
#define LOG_BATCH_DIGEST_SECONDS (24 * 3600)

void daemon_prune(struct daemon *daemon)
{
    const struct config_settings *settings = &daemon->config.settings;
    int64_t now = daemon_now_ms() / 1000, first = 0, last = 0;
    bool found = false;
    struct store_error error;
    bool ok = store_datapoints_span(daemon->store, &found, &first, &last, &error);
    int64_t reference = found && last < now ? last : now;
    ok = ok &&
         store_prune(daemon->store, reference - (int64_t)settings->datapoint_retention_days * 86400,
                     (reference - (int64_t)settings->history_retention_days * 86400) * 1000,
                     &error) &&
         store_log_events_prune(daemon->store,
                                (now - (int64_t)settings->log_event_retention_days * 86400) * 1000,
                                &error) &&
         store_log_batches_prune(daemon->store, (now - LOG_BATCH_DIGEST_SECONDS) * 1000, &error);
    if (!ok)
        daemon_log(daemon, "error", "prune_failed", "error=\"%s\"", error.message);
}
