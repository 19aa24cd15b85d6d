/* trailhound's own failures are alarms too. A failure to ingest (a commit that failed, a
 * file or directory that could not be read or vanished, a watch that could not be set, the
 * minute's heartbeat that could not be written; malformed input is not one) or to deliver
 * (an outbox attempt that failed, retried or given up) is counted in memory and written as
 * Trailhound/IngestFailures or Trailhound/DeliveryFailures (Sum, no dimension) at the
 * wall-clock minute with the next transaction that succeeds — a failed commit may mean the
 * store cannot be written, so the count waits in memory rather than being lost with the
 * transaction. The alarms "trailhound-ingest-failures" and "trailhound-delivery-failures"
 * (Sum >= 1 over 60 s, missing data not breaching) send to silenceTopic, else
 * fallbackTopic; with neither, they are not defined (the metrics are written all the same).
 *
 * No cascade: a failed delivery of a message about "trailhound-delivery-failures" itself is
 * logged but not counted. Otherwise a broken topic would keep that alarm flipping — its
 * ALARM message fails, which is a failure, which keeps it in ALARM; its OK message fails,
 * which brings it back — one failing message per flip, forever. */
#include "daemon/daemon_internal.h"
#include "monitor/monitor.h"

#include <stdlib.h>
#include <string.h>

static const struct {
    const char *metric_name, *alarm_name, *description;
} failure_kinds[DAEMON_FAILURE_KIND_COUNT] = {
    {"IngestFailures", "trailhound-ingest-failures",
     "trailhound could not ingest: a commit failed (disk full, a read-only or locked store), "
     "a file or directory could not be read or vanished, or a watch could not be set; see "
     "the daemon's log (commit_failed, *_failed)"},
    {"DeliveryFailures", "trailhound-delivery-failures",
     "trailhound could not deliver a notification: an attempt failed (retried) or was given "
     "up; see the daemon's log (delivered ... failed=) and the alarms' history"},
};

void daemon_failure_count(struct daemon *daemon, enum daemon_failure kind)
{
    daemon->failures.pending[kind]++;
}

bool daemon_failures_write(struct daemon *daemon, struct store_error *error)
{
    for (int kind = 0; kind < DAEMON_FAILURE_KIND_COUNT; kind++) {
        uint64_t count = daemon->failures.pending[kind];
        if (count == 0)
            continue;
        struct metric_datapoint point = {
            .identity = {.namespace_name = "Trailhound",
                         .metric_name = (char *)failure_kinds[kind].metric_name},
            .unit = "Count",
            .resolution = METRIC_RESOLUTION_STANDARD,
            .timestamp = daemon_now_ms() / 60000 * 60};
        metric_aggregate_init(&point.aggregate);
        bool ok = metric_aggregate_add(&point.aggregate, (double)count, 1) &&
                  store_datapoints_add(daemon->store, &point, 1, error);
        metric_aggregate_free(&point.aggregate);
        if (!ok)
            return false;
        daemon->failures.written[kind] = count;
    }
    return true;
}

void daemon_failures_settle(struct daemon *daemon, bool committed)
{
    for (int kind = 0; kind < DAEMON_FAILURE_KIND_COUNT; kind++) {
        if (committed)
            daemon->failures.pending[kind] -= daemon->failures.written[kind];
        daemon->failures.written[kind] = 0;
    }
}

void daemon_failures_flush(struct daemon *daemon)
{
    const uint64_t *pending = daemon->failures.pending;
    if (daemon->options.exit_when_idle ||
        (pending[DAEMON_FAILURE_INGEST] == 0 && pending[DAEMON_FAILURE_DELIVERY] == 0))
        return;
    struct store_error error;
    bool began = store_begin(daemon->store, &error);
    bool ok = began && daemon_failures_write(daemon, &error) && store_commit(daemon->store, &error);
    if (began && !ok)
        store_rollback(daemon->store);
    daemon_failures_settle(daemon, ok); /* not written: kept for the next transaction */
}

static bool failure_alarm(const struct daemon *daemon, enum daemon_failure kind,
                          struct alarm_definition *alarm)
{
    alarm_definition_init(alarm);
    struct metric_identity identity = {.namespace_name = "Trailhound",
                                       .metric_name = (char *)failure_kinds[kind].metric_name};
    bool ok = (alarm->alarm_name = strdup(failure_kinds[kind].alarm_name)) &&
              (alarm->statistic = strdup("Sum")) &&
              (alarm->alarm_description = strdup(failure_kinds[kind].description)) &&
              (alarm->origin = strdup("serve")) && metric_identity_copy(&alarm->metric, &identity);
    alarm->period = 60;
    alarm->evaluation_periods = 1;
    alarm->threshold = 1;
    alarm->comparison = ALARM_GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
    alarm->treat_missing = ALARM_TREAT_MISSING_NOT_BREACHING;
    return ok && daemon_silence_set_actions(&daemon->config, alarm);
}

void daemon_failures_watch(struct daemon *daemon)
{
    if (daemon->options.exit_when_idle || !daemon_silence_topic_arn(&daemon->config))
        return;
    struct monitor_settings settings = {.region = daemon->config.settings.region,
                                        .account_id = daemon->config.settings.account_id};
    for (int kind = 0; kind < DAEMON_FAILURE_KIND_COUNT; kind++) {
        struct alarm_definition alarm;
        struct monitor_error error = {.message = "out of memory"};
        if (!failure_alarm(daemon, (enum daemon_failure)kind, &alarm) ||
            !monitor_put_alarm(daemon->store, &alarm, &settings, daemon_now_ms(), &error))
            daemon_log(daemon, "error", "failure_alarm_failed", "alarm=%s error=\"%s\"",
                       failure_kinds[kind].alarm_name, error.message);
        alarm_definition_free(&alarm);
    }
}

void daemon_failures_on_failed_attempt(void *context, const struct store_outbox_message *message)
{
    struct daemon *daemon = context;
    bool about_delivery_failures =
        message->alarm_name &&
        strcmp(message->alarm_name, failure_kinds[DAEMON_FAILURE_DELIVERY].alarm_name) == 0;
    bool failure_alert = !message->alarm_name && message->subject &&
                         strcmp(message->subject, MONITOR_FAILURE_ALERT_SUBJECT) == 0;
    if (about_delivery_failures || failure_alert)
        return; /* no cascade (see above): failures about failures are not counted */
    daemon_failure_count(daemon, DAEMON_FAILURE_DELIVERY);
}
