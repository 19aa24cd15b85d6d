/* Silence is an alarm too. Three kinds of source are watched: log groups, accounts (an
 * event's recipientAccountId, else userIdentity.accountId) and regions (awsRegion). Every
 * commit that brought events adds their count to the heartbeat metric
 * Trailhound/IncomingEvents {LogGroup | Account | Region} at the wall-clock minute, in the
 * same transaction; once a source has delivered events, its alarm
 * "trailhound-silence:GROUP", "trailhound-silence:account:ID" or
 * "trailhound-silence:region:NAME" (log group names cannot hold ':', so the names never
 * collide) watches that metric — Sum < 1 over one period of silenceAfterMinutes (or
 * accountSilenceAfterMinutes / regionSilenceAfterMinutes), its ALARM and OK actions the
 * silenceTopic (else fallbackTopic) — and every minute the daemon adds a 0 to the
 * heartbeat of each such source. So a quiet minute is a real data point, not missing data (which
 * CloudWatch's rules would judge only once the last real point left the look-back), and the alarm
 * fires when a whole period had no events; while the daemon is down, data is missing and the alarm
 * goes to INSUFFICIENT_DATA. It is an ordinary stored alarm, so the minute's evaluation and the
 * outbox handle it; a source that never delivered raises nothing.
 *
 * Accounts and regions are read from each event (event_origin.h: raw bytes, else the
 * project's extractor), tallied in memory until the run is committed: one thread ingests,
 * so what was tallied since the last commit belongs to the run being committed, as the
 * filter scan's data points do. At most SILENCE_MAX_ACCOUNTS accounts and
 * SILENCE_MAX_REGIONS regions are watched (more are logged once and not watched); an account
 * that is not 12 digits or a region that is not 1..32 of [a-z0-9-] is ignored. */
#include "base/hash.h"
#include "daemon/daemon_internal.h"
#include "daemon/event_origin.h"
#include "monitor/monitor.h"

#include <stdlib.h>
#include <string.h>

#define SILENCE_PREFIX "trailhound-silence:"
#define SILENCE_MAX_ACCOUNTS 1000
#define SILENCE_MAX_REGIONS 64
#define SILENCE_MAX_REGION_LENGTH 32

enum silence_kind { SILENCE_LOG_GROUP, SILENCE_ACCOUNT, SILENCE_REGION, SILENCE_KIND_COUNT };

static const struct {
    const char *dimension; /* of the heartbeat metric */
    const char *infix;     /* after SILENCE_PREFIX in the alarm's name */
    const char *noun;      /* in the alarm's description and the log */
    size_t limit;          /* sources of the kind watched at most */
} kinds[SILENCE_KIND_COUNT] = {
    {"LogGroup", "", "log group", SIZE_MAX},
    {"Account", "account:", "account", SILENCE_MAX_ACCOUNTS},
    {"Region", "region:", "region", SILENCE_MAX_REGIONS},
};

struct silence_source {
    enum silence_kind kind;
    char *name;
    uint64_t pending; /* events tallied since the last commit */
    bool defined;     /* its alarm was put by this run (or this configuration) */
};

struct daemon_silence {
    struct silence_source *sources;
    size_t count, capacity;
    size_t per_kind[SILENCE_KIND_COUNT];
    bool over_limit_logged[SILENCE_KIND_COUNT];
    /* Open addressing over the sources (index + 1; 0: empty), at most half full: events of
     * an organization's trail interleave hundreds of accounts. */
    size_t *slots;
    size_t slot_count;                   /* a power of two */
    struct event_origin_reader *origins; /* NULL until the first event */
};

/* The daemon's silence state, made when first needed; NULL on out of memory. */
static struct daemon_silence *silence_of(struct daemon *daemon)
{
    if (!daemon->silence)
        daemon->silence = calloc(1, sizeof *daemon->silence);
    return daemon->silence;
}

static void heartbeat_identity(enum silence_kind kind, const char *name,
                               struct metric_identity *identity,
                               struct metric_dimension_value *dimension)
{
    *dimension = (struct metric_dimension_value){.name = (char *)kinds[kind].dimension,
                                                 .value = (char *)name};
    *identity = (struct metric_identity){.namespace_name = "Trailhound",
                                         .metric_name = "IncomingEvents",
                                         .dimensions = dimension,
                                         .dimension_count = 1};
}

static bool add_heartbeat(struct daemon *daemon, enum silence_kind kind, const char *name,
                          uint64_t events, struct store_error *error)
{
    struct metric_dimension_value dimension;
    struct metric_datapoint point = {.unit = "Count",
                                     .resolution = METRIC_RESOLUTION_STANDARD,
                                     .timestamp = daemon_now_ms() / 60000 * 60};
    heartbeat_identity(kind, name, &point.identity, &dimension);
    metric_aggregate_init(&point.aggregate);
    bool ok = metric_aggregate_add(&point.aggregate, (double)events, 1) &&
              store_datapoints_add(daemon->store, &point, 1, error);
    metric_aggregate_free(&point.aggregate);
    return ok;
}

bool daemon_silence_heartbeat(struct daemon *daemon, const char *log_group, uint64_t events,
                              struct store_error *error)
{
    return add_heartbeat(daemon, SILENCE_LOG_GROUP, log_group, events, error);
}

const char *daemon_silence_topic_arn(const struct config *config)
{
    const char *name = config->settings.silence_topic ? config->settings.silence_topic
                                                      : config->settings.fallback_topic;
    const struct notify_topic *topic = notify_topic_find(&config->topics, name);
    return topic ? topic->arn : NULL;
}

bool daemon_silence_set_actions(const struct config *config, struct alarm_definition *alarm)
{
    const char *arn = daemon_silence_topic_arn(config);
    if (!arn)
        return true;
    alarm->alarm_actions.items[0] = strdup(arn);
    alarm->ok_actions.items[0] = strdup(arn);
    alarm->alarm_actions.count = alarm->alarm_actions.items[0] ? 1 : 0;
    alarm->ok_actions.count = alarm->ok_actions.items[0] ? 1 : 0;
    return alarm->alarm_actions.count == 1 && alarm->ok_actions.count == 1;
}

/* silenceAfterMinutes, or the account's or region's own setting when given. */
static int silence_minutes(const struct config_settings *settings, enum silence_kind kind)
{
    int own = kind == SILENCE_ACCOUNT  ? settings->account_silence_after_minutes
              : kind == SILENCE_REGION ? settings->region_silence_after_minutes
                                       : 0;
    return own > 0 ? own : settings->silence_after_minutes;
}

static char *describe(const struct daemon *daemon, const struct silence_source *source)
{
    int minutes = silence_minutes(&daemon->config.settings, source->kind);
    const char *format = "trailhound: %s %s delivered no events for %d minute%s; the quiet "
                         "period began at the reason's data point";
    int size = snprintf(NULL, 0, format, kinds[source->kind].noun, source->name, minutes,
                        minutes == 1 ? "" : "s");
    char *text = size > 0 ? malloc((size_t)size + 1) : NULL;
    if (text)
        snprintf(text, (size_t)size + 1, format, kinds[source->kind].noun, source->name, minutes,
                 minutes == 1 ? "" : "s");
    return text;
}

static bool silence_alarm(const struct daemon *daemon, const struct silence_source *source,
                          struct alarm_definition *alarm)
{
    alarm_definition_init(alarm);
    const char *infix = kinds[source->kind].infix;
    size_t size = strlen(SILENCE_PREFIX) + strlen(infix) + strlen(source->name) + 1;
    struct metric_dimension_value dimension;
    struct metric_identity identity;
    heartbeat_identity(source->kind, source->name, &identity, &dimension);
    bool ok = (alarm->alarm_name = malloc(size)) && (alarm->statistic = strdup("Sum")) &&
              (alarm->alarm_description = describe(daemon, source)) &&
              (alarm->origin = strdup("serve")) && metric_identity_copy(&alarm->metric, &identity);
    if (ok)
        snprintf(alarm->alarm_name, size, "%s%s%s", SILENCE_PREFIX, infix, source->name);
    alarm->period = silence_minutes(&daemon->config.settings, source->kind) * 60;
    alarm->evaluation_periods = 1;
    alarm->threshold = 1;
    alarm->comparison = ALARM_LESS_THAN_THRESHOLD;
    alarm->treat_missing = ALARM_TREAT_MISSING_MISSING;
    return ok && daemon_silence_set_actions(&daemon->config, alarm);
}

static size_t hash_of(enum silence_kind kind, const char *name, size_t length)
{
    return (size_t)fnv1a_64_continue(FNV1A_64_BASIS ^ (uint64_t)kind, name, length);
}

static bool is_source(const struct silence_source *source, enum silence_kind kind, const char *name,
                      size_t length)
{
    return source->kind == kind && strncmp(source->name, name, length) == 0 &&
           source->name[length] == '\0';
}

/* The slot holding the source, or the empty slot where it would go. */
static size_t *slot_for(const struct daemon_silence *silence, enum silence_kind kind,
                        const char *name, size_t length)
{
    size_t mask = silence->slot_count - 1;
    for (size_t at = hash_of(kind, name, length) & mask;; at = (at + 1) & mask) {
        size_t *slot = &silence->slots[at];
        if (*slot == 0 || is_source(&silence->sources[*slot - 1], kind, name, length))
            return slot;
    }
}

/* Doubles the slots (and places every source again) when they would be over half full. */
static bool make_room(struct daemon_silence *silence)
{
    if ((silence->count + 1) * 2 <= silence->slot_count)
        return true;
    size_t count = silence->slot_count ? silence->slot_count * 2 : 64;
    size_t *slots = calloc(count, sizeof *slots);
    if (!slots)
        return false;
    free(silence->slots);
    silence->slots = slots;
    silence->slot_count = count;
    for (size_t i = 0; i < silence->count; i++) {
        const struct silence_source *source = &silence->sources[i];
        *slot_for(silence, source->kind, source->name, strlen(source->name)) = i + 1;
    }
    return true;
}

/* The source, added when new; NULL on out of memory or beyond the kind's limit (logged
 * once). */
static struct silence_source *remember(struct daemon *daemon, enum silence_kind kind,
                                       const char *name, size_t length)
{
    struct daemon_silence *silence = silence_of(daemon);
    if (!silence)
        return NULL;
    if (!make_room(silence))
        return NULL;
    size_t *slot = slot_for(silence, kind, name, length);
    if (*slot)
        return &silence->sources[*slot - 1];
    if (silence->per_kind[kind] >= kinds[kind].limit) {
        if (!silence->over_limit_logged[kind])
            daemon_log(daemon, "warn", "silence_limit", "kind=%s limit=%zu unwatched=%.*s",
                       kinds[kind].noun, kinds[kind].limit, (int)length, name);
        silence->over_limit_logged[kind] = true;
        return NULL;
    }
    if (silence->count == silence->capacity) {
        size_t capacity = silence->capacity ? silence->capacity * 2 : 16;
        struct silence_source *grown = realloc(silence->sources, capacity * sizeof *grown);
        if (!grown)
            return NULL;
        silence->sources = grown;
        silence->capacity = capacity;
    }
    char *copy = strndup(name, length);
    if (!copy)
        return NULL;
    silence->sources[silence->count] = (struct silence_source){.kind = kind, .name = copy};
    silence->per_kind[kind]++;
    *slot = ++silence->count;
    return &silence->sources[silence->count - 1];
}

/* ---- reading accounts and regions from events ---- */

static bool all_of(const char *text, size_t length, const char *allowed)
{
    for (size_t i = 0; i < length; i++)
        if (!text[i] || !strchr(allowed, text[i]))
            return false;
    return true;
}

bool daemon_silence_valid_account(const char *text, size_t length)
{
    return length == 12 && all_of(text, length, "0123456789");
}

bool daemon_silence_valid_region(const char *text, size_t length)
{
    return length >= 1 && length <= SILENCE_MAX_REGION_LENGTH &&
           all_of(text, length, "abcdefghijklmnopqrstuvwxyz0123456789-");
}

static void tally(struct daemon *daemon, enum silence_kind kind, const char *name, size_t length)
{
    struct silence_source *source = remember(daemon, kind, name, length);
    if (source)
        source->pending++;
}

void daemon_silence_note_event(struct daemon *daemon, const char *message, size_t length)
{
    if (daemon->options.exit_when_idle)
        return; /* bounded runs write no heartbeat */
    struct daemon_silence *silence = silence_of(daemon);
    if (silence && !silence->origins)
        silence->origins = event_origin_reader_create();
    struct event_origin origin;
    if (!silence || !silence->origins ||
        !event_origin_read(silence->origins, message, length, &origin))
        return;
    if (origin.account && daemon_silence_valid_account(origin.account, origin.account_length))
        tally(daemon, SILENCE_ACCOUNT, origin.account, origin.account_length);
    if (origin.region && daemon_silence_valid_region(origin.region, origin.region_length))
        tally(daemon, SILENCE_REGION, origin.region, origin.region_length);
}

/* ---- committing and defining ---- */

bool daemon_silence_commit(struct daemon *daemon, const char *log_group, uint64_t events,
                           struct store_error *error)
{
    if (events > 0 && !add_heartbeat(daemon, SILENCE_LOG_GROUP, log_group, events, error))
        return false;
    struct daemon_silence *silence = daemon->silence;
    for (size_t i = 0; silence && i < silence->count; i++)
        if (silence->sources[i].pending > 0 &&
            !add_heartbeat(daemon, silence->sources[i].kind, silence->sources[i].name,
                           silence->sources[i].pending, error))
            return false;
    return daemon_failures_write(daemon, error);
}

/* Defines the source's silence alarm once per run (an unchanged definition writes nothing:
 * monitor_put_alarm compares). */
static void watch(struct daemon *daemon, struct silence_source *source)
{
    if (source->defined)
        return;
    source->defined = true;
    struct alarm_definition alarm;
    struct monitor_error error = {.message = "out of memory"};
    struct monitor_settings settings = {.region = daemon->config.settings.region,
                                        .account_id = daemon->config.settings.account_id};
    if (!silence_alarm(daemon, source, &alarm) ||
        !monitor_put_alarm(daemon->store, &alarm, &settings, daemon_now_ms(), &error))
        daemon_log(daemon, "error", "silence_alarm_failed", "%s=%s error=\"%s\"",
                   kinds[source->kind].dimension, source->name, error.message);
    alarm_definition_free(&alarm);
}

void daemon_silence_settle(struct daemon *daemon, const char *log_group, uint64_t events,
                           bool committed)
{
    daemon_failures_settle(daemon, committed);
    if (committed && events > 0) {
        struct silence_source *group =
            remember(daemon, SILENCE_LOG_GROUP, log_group, strlen(log_group));
        if (group)
            watch(daemon, group);
    }
    struct daemon_silence *silence = daemon->silence;
    for (size_t i = 0; silence && i < silence->count; i++) {
        if (committed && silence->sources[i].pending > 0)
            watch(daemon, &silence->sources[i]);
        silence->sources[i].pending = 0; /* not committed: the events are read again */
    }
}

static bool remember_stored(void *context, const char *name, const char *definition_json,
                            const struct store_alarm_state *state)
{
    (void)definition_json;
    (void)state;
    if (strncmp(name, SILENCE_PREFIX, strlen(SILENCE_PREFIX)) != 0)
        return true;
    name += strlen(SILENCE_PREFIX);
    enum silence_kind kind = SILENCE_LOG_GROUP;
    for (int k = SILENCE_ACCOUNT; k < SILENCE_KIND_COUNT; k++)
        if (strncmp(name, kinds[k].infix, strlen(kinds[k].infix)) == 0)
            kind = (enum silence_kind)k;
    name += strlen(kinds[kind].infix);
    remember(context, kind, name, strlen(name));
    return true;
}

/* Every known source's alarm put again: the topic or a period may have changed since it
 * was defined (unchanged definitions write nothing). */
static void define_all(struct daemon *daemon)
{
    struct daemon_silence *silence = daemon->silence;
    for (size_t i = 0; silence && i < silence->count; i++) {
        silence->sources[i].defined = false;
        watch(daemon, &silence->sources[i]);
    }
    daemon_failures_watch(daemon);
}

void daemon_silence_load(struct daemon *daemon)
{
    struct store_error error;
    if (!store_alarm_list(daemon->store, remember_stored, daemon, &error))
        daemon_log(daemon, "error", "silence_load_failed", "error=\"%s\"", error.message);
    define_all(daemon);
}

void daemon_silence_reload(struct daemon *daemon)
{
    define_all(daemon);
}

/* Each minute, in one transaction: a 0 for every watched source, and the failure counts. */
void daemon_silence_tick(struct daemon *daemon)
{
    struct store_error error = {.message = "out of memory"};
    struct daemon_silence *silence = daemon->silence;
    bool began = store_begin(daemon->store, &error), ok = began;
    for (size_t i = 0; ok && silence && i < silence->count; i++)
        ok = add_heartbeat(daemon, silence->sources[i].kind, silence->sources[i].name, 0, &error);
    ok = ok && daemon_failures_write(daemon, &error) && store_commit(daemon->store, &error);
    if (began && !ok)
        store_rollback(daemon->store);
    daemon_failures_settle(daemon, ok);
    if (!ok) {
        daemon_failure_count(daemon, DAEMON_FAILURE_INGEST);
        daemon_log(daemon, "error", "heartbeat_failed", "error=\"%s\"", error.message);
    }
}

void daemon_silence_free(struct daemon *daemon)
{
    struct daemon_silence *silence = daemon->silence;
    if (!silence)
        return;
    for (size_t i = 0; i < silence->count; i++)
        free(silence->sources[i].name);
    free(silence->sources);
    free(silence->slots);
    event_origin_reader_free(silence->origins);
    free(silence);
    daemon->silence = NULL;
}
