/* Silence is an alarm too. Every commit that brought events also adds their count to the
 * heartbeat metric Trailhound/IncomingEvents {LogGroup} at the wall-clock minute, in the
 * same transaction; once a log group has delivered events, the alarm
 * "trailhound-silence:GROUP" watches that metric — Sum < 1 over one period of
 * silenceAfterMinutes, its ALARM and OK actions the silenceTopic (else fallbackTopic) — and
 * every minute the daemon adds a 0 to the heartbeat of each such group. So a quiet minute
 * is a real data point, not missing data (which CloudWatch's rules would judge only once
 * the last real point left the look-back), and the alarm fires when a whole period had no
 * events; while the daemon is down, data is missing and the alarm goes to
 * INSUFFICIENT_DATA. It is an ordinary stored alarm, so the minute's evaluation and the
 * outbox handle it; a log group that never delivered raises nothing. */
#include "daemon/daemon_internal.h"
#include "monitor/monitor.h"

#include <stdlib.h>
#include <string.h>

#define SILENCE_PREFIX "trailhound-silence:"

static bool heartbeat_identity(const char *log_group, struct metric_identity *identity,
                               struct metric_dimension_value *dimension)
{
    *dimension = (struct metric_dimension_value){.name = "LogGroup", .value = (char *)log_group};
    *identity = (struct metric_identity){.namespace_name = "Trailhound",
                                         .metric_name = "IncomingEvents",
                                         .dimensions = dimension,
                                         .dimension_count = 1};
    return true;
}

bool daemon_silence_heartbeat(struct daemon *daemon, const char *log_group, uint64_t events,
                              struct store_error *error)
{
    struct metric_dimension_value dimension;
    struct metric_datapoint point = {.unit = "Count",
                                     .resolution = METRIC_RESOLUTION_STANDARD,
                                     .timestamp = daemon_now_ms() / 60000 * 60};
    heartbeat_identity(log_group, &point.identity, &dimension);
    metric_aggregate_init(&point.aggregate);
    bool ok = metric_aggregate_add(&point.aggregate, (double)events, 1) &&
              store_datapoints_add(daemon->store, &point, 1, error);
    metric_aggregate_free(&point.aggregate);
    return ok;
}

static const char *silence_topic_arn(const struct config *config)
{
    const char *name = config->settings.silence_topic ? config->settings.silence_topic
                                                      : config->settings.fallback_topic;
    const struct notify_topic *topic = notify_topic_find(&config->topics, name);
    return topic ? topic->arn : NULL;
}

static bool silence_alarm(const struct daemon *daemon, const char *log_group,
                          struct alarm_definition *alarm)
{
    alarm_definition_init(alarm);
    size_t size = strlen(SILENCE_PREFIX) + strlen(log_group) + 1;
    const char *arn = silence_topic_arn(&daemon->config);
    struct metric_dimension_value dimension;
    struct metric_identity identity;
    heartbeat_identity(log_group, &identity, &dimension);
    bool ok = (alarm->alarm_name = malloc(size)) && (alarm->statistic = strdup("Sum")) &&
              (alarm->alarm_description = strdup("trailhound: this log group stopped delivering "
                                                 "events")) &&
              (alarm->origin = strdup("serve")) && metric_identity_copy(&alarm->metric, &identity);
    if (ok)
        snprintf(alarm->alarm_name, size, "%s%s", SILENCE_PREFIX, log_group);
    alarm->period = daemon->config.settings.silence_after_minutes * 60;
    alarm->evaluation_periods = 1;
    alarm->threshold = 1;
    alarm->comparison = ALARM_LESS_THAN_THRESHOLD;
    alarm->treat_missing = ALARM_TREAT_MISSING_MISSING;
    if (ok && arn) {
        ok = (alarm->alarm_actions.items[0] = strdup(arn)) &&
             (alarm->ok_actions.items[0] = strdup(arn));
        alarm->alarm_actions.count = alarm->alarm_actions.items[0] ? 1 : 0;
        alarm->ok_actions.count = alarm->ok_actions.items[0] ? 1 : 0;
    }
    return ok;
}

/* The index of `log_group` among the watched groups, added when new; -1 on out of memory. */
static long remember_group(struct daemon *daemon, const char *log_group)
{
    for (size_t i = 0; i < daemon->silence_count; i++)
        if (strcmp(daemon->silence_groups[i], log_group) == 0)
            return (long)i;
    size_t count = daemon->silence_count + 1;
    char **groups = realloc(daemon->silence_groups, count * sizeof *groups);
    if (groups)
        daemon->silence_groups = groups;
    bool *defined = groups ? realloc(daemon->silence_defined, count * sizeof *defined) : NULL;
    if (defined)
        daemon->silence_defined = defined;
    if (!defined || !(groups[count - 1] = strdup(log_group)))
        return -1;
    defined[count - 1] = false;
    daemon->silence_count = count;
    return (long)count - 1;
}

static bool remember_stored(void *context, const char *name, const char *definition_json,
                            const struct store_alarm_state *state)
{
    (void)definition_json;
    (void)state;
    if (strncmp(name, SILENCE_PREFIX, strlen(SILENCE_PREFIX)) == 0)
        remember_group(context, name + strlen(SILENCE_PREFIX));
    return true;
}

void daemon_silence_load(struct daemon *daemon)
{
    struct store_error error;
    if (!store_alarm_list(daemon->store, remember_stored, daemon, &error))
        daemon_log(daemon, "error", "silence_load_failed", "error=\"%s\"", error.message);
}

void daemon_silence_tick(struct daemon *daemon)
{
    struct store_error error;
    for (size_t i = 0; i < daemon->silence_count; i++)
        if (!daemon_silence_heartbeat(daemon, daemon->silence_groups[i], 0, &error))
            daemon_log(daemon, "error", "heartbeat_failed", "log_group=%s error=\"%s\"",
                       daemon->silence_groups[i], error.message);
}

/* Defines the log group's silence alarm once per run (an unchanged definition writes
 * nothing: monitor_put_alarm compares). */
void daemon_silence_watch(struct daemon *daemon, const char *log_group)
{
    long index = remember_group(daemon, log_group);
    if (index < 0 || daemon->silence_defined[index])
        return;
    daemon->silence_defined[index] = true;
    struct alarm_definition alarm;
    struct monitor_error error = {.message = "out of memory"};
    struct monitor_settings settings = {.region = daemon->config.settings.region,
                                        .account_id = daemon->config.settings.account_id};
    if (!silence_alarm(daemon, log_group, &alarm) ||
        !monitor_put_alarm(daemon->store, &alarm, &settings, daemon_now_ms(), &error))
        daemon_log(daemon, "error", "silence_alarm_failed", "log_group=%s error=\"%s\"", log_group,
                   error.message);
    alarm_definition_free(&alarm);
}

void daemon_silence_free(struct daemon *daemon)
{
    for (size_t i = 0; i < daemon->silence_count; i++)
        free(daemon->silence_groups[i]);
    free(daemon->silence_groups);
    free(daemon->silence_defined);
    daemon->silence_groups = NULL;
    daemon->silence_defined = NULL;
    daemon->silence_count = 0;
}
