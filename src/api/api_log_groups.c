/* CloudWatch Logs over JSON 1.1: log groups, streams and events (aws-api.md §6.1):
 * CreateLogGroup, DescribeLogGroups, CreateLogStream, PutLogEvents, FilterLogEvents.
 * PutLogEvents hands the events to the daemon's ingestion (settings->on_log_events), which
 * stores them together with their data points in one transaction, and answers once that
 * committed; a failed hand-over answers ServiceUnavailableException (5xx), which the CLI
 * retries, and nothing was kept. Without the daemon (on_log_events NULL) the events are
 * only stored, here. */
#include "api/api_internal.h"

#include "events/event.h"
#include "patterns/pattern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_NAME_MAX 512
#define PUT_LOG_EVENTS_MAX 10000
#define DESCRIBE_LOG_GROUPS_LIMIT 50
#define FILTER_LOG_EVENTS_LIMIT 10000

static void fail_invalid(struct api_call *call, const char *message)
{
    api_fail(call, 400, "InvalidParameterException", message);
}

static void fail_not_found(struct api_call *call, const char *what)
{
    char message[128];
    snprintf(message, sizeof message, "The specified %s does not exist.", what);
    api_fail(call, 400, "ResourceNotFoundException", message);
}

static bool valid_name(const char *name, const char *allowed_extra)
{
    size_t length = strlen(name);
    if (length == 0 || length > LOG_NAME_MAX)
        return false;
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)name[i];
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!plain && c < 0x80 && !strchr(allowed_extra, c))
            return false;
    }
    return true;
}

/* The request's group name, checked; NULL with the error answered. */
static const char *group_name(struct api_call *call)
{
    const char *name = api_input_string(call->input, "logGroupName");
    if (!name)
        name = api_input_string(call->input, "logGroupIdentifier");
    if (!name || !valid_name(name, "._-/#")) {
        fail_invalid(call, "logGroupName is missing or invalid: 1 to 512 characters among "
                           "letters, digits and . _ - / #.");
        return NULL;
    }
    return name;
}

static bool group_exists(struct api_call *call, const char *group)
{
    bool found = false;
    struct store_error error;
    if (!store_log_group_exists(call->store, group, &found, &error)) {
        api_fail_internal(call, error.message);
        return false;
    }
    if (!found)
        fail_not_found(call, "log group");
    return found;
}

static void create_log_group(struct api_call *call)
{
    const char *name = group_name(call);
    if (!name)
        return;
    bool created = false;
    struct store_error error;
    if (!store_log_group_create(call->store, name, call->now_ms, &created, &error))
        return api_fail_internal(call, error.message);
    if (!created)
        return api_fail(call, 400, "ResourceAlreadyExistsException",
                        "The specified log group already exists");
    api_reply(call, NULL);
}

struct describe_groups {
    struct api_call *call;
    json_t *groups;
    size_t skip, limit, seen;
    bool more;
};

static bool describe_group(void *context, const struct store_log_group *group)
{
    struct describe_groups *describe = context;
    if (describe->seen++ < describe->skip)
        return true;
    if (json_array_size(describe->groups) == describe->limit) {
        describe->more = true;
        return false;
    }
    char arn[700];
    snprintf(arn, sizeof arn, "arn:aws:logs:%s:%s:log-group:%s:*", describe->call->region,
             describe->call->account_id, group->name);
    return json_array_append_new(describe->groups,
                                 json_pack("{s:s, s:I, s:I, s:s, s:I}", "logGroupName", group->name,
                                           "creationTime", (json_int_t)group->created_ms,
                                           "metricFilterCount",
                                           (json_int_t)group->metric_filter_count, "arn", arn,
                                           "storedBytes", (json_int_t)group->stored_bytes)) == 0;
}

/* nextToken "<n>": the n-th item is next; limit 1..max (default max). */
static bool paging(struct api_call *call, size_t max, size_t *skip, size_t *limit)
{
    const json_t *limit_value = json_object_get(call->input, "limit");
    const char *token = api_input_string(call->input, "nextToken");
    char *end = NULL;
    long long start = token ? strtoll(token, &end, 10) : 0;
    if (token && (*end || start < 0 || !*token)) {
        fail_invalid(call, "The specified nextToken is invalid.");
        return false;
    }
    long long wanted =
        json_is_integer(limit_value) ? json_integer_value(limit_value) : (long long)max;
    if (limit_value && (!json_is_integer(limit_value) || wanted < 1 || wanted > (long long)max)) {
        fail_invalid(call, "limit is out of range.");
        return false;
    }
    *skip = (size_t)start;
    *limit = (size_t)wanted;
    return true;
}

static void set_next_token(json_t *output, size_t next)
{
    char token[32];
    snprintf(token, sizeof token, "%zu", next);
    json_object_set_new(output, "nextToken", json_string(token));
}

static void describe_log_groups(struct api_call *call)
{
    struct describe_groups describe = {.call = call, .groups = json_array()};
    if (!paging(call, DESCRIBE_LOG_GROUPS_LIMIT, &describe.skip, &describe.limit)) {
        json_decref(describe.groups);
        return;
    }
    struct store_error error;
    if (!store_log_group_list(call->store, api_input_string(call->input, "logGroupNamePrefix"),
                              describe_group, &describe, &error)) {
        json_decref(describe.groups);
        return api_fail_internal(call, error.message);
    }
    json_t *output = json_pack("{s:o}", "logGroups", describe.groups);
    if (describe.more)
        set_next_token(output, describe.skip + describe.limit);
    api_reply(call, output);
}

static void create_log_stream(struct api_call *call)
{
    const char *group = group_name(call);
    const char *stream = group ? api_input_string(call->input, "logStreamName") : NULL;
    if (group && (!stream || !valid_name(stream, "._-/#$!@%^&()+=[]{};'\",<>?|~` ") ||
                  strchr(stream, ':') || strchr(stream, '*')))
        return fail_invalid(call, "logStreamName is missing or invalid.");
    if (!stream || !group_exists(call, group))
        return;
    bool created = false;
    struct store_error error;
    if (!store_log_stream_create(call->store, group, stream, call->now_ms, &created, &error))
        return api_fail_internal(call, error.message);
    if (!created)
        return api_fail(call, 400, "ResourceAlreadyExistsException",
                        "The specified log stream already exists");
    api_reply(call, NULL);
}

/* ---- PutLogEvents ---- */

struct log_batch {
    const char **messages;
    int64_t *timestamps;
    size_t count;
};

static bool read_batch(struct api_call *call, const json_t *events, struct log_batch *batch)
{
    batch->count = json_array_size(events);
    if (!json_is_array(events) || batch->count == 0 || batch->count > PUT_LOG_EVENTS_MAX) {
        fail_invalid(call, "logEvents must hold 1 to 10000 events.");
        return false;
    }
    batch->messages = calloc(batch->count, sizeof *batch->messages);
    batch->timestamps = calloc(batch->count, sizeof *batch->timestamps);
    if (!batch->messages || !batch->timestamps) {
        api_fail_internal(call, "out of memory");
        return false;
    }
    for (size_t i = 0; i < batch->count; i++) {
        const json_t *event = json_array_get(events, i);
        const json_t *timestamp = json_object_get(event, "timestamp");
        batch->messages[i] = api_input_string(event, "message");
        if (!batch->messages[i] || !json_is_integer(timestamp) || !*batch->messages[i]) {
            fail_invalid(call, "Each log event needs a timestamp (integer milliseconds) and a "
                               "non-empty message.");
            return false;
        }
        batch->timestamps[i] = json_integer_value(timestamp);
    }
    return true;
}

static bool ingest(struct api_call *call, const char *group, const char *stream,
                   const struct log_batch *batch)
{
    const struct api_settings *settings = call->settings;
    if (settings->on_log_events) {
        struct api_error handed = {{0}};
        bool ok = settings->on_log_events(settings->context, group, stream, batch->messages,
                                          batch->timestamps, batch->count, &handed);
        if (!ok)
            api_fail_internal(call, handed.message);
        return ok;
    }
    struct store_error error;
    if (!store_log_events_add(call->store, group, stream, batch->messages, batch->timestamps,
                              batch->count, call->now_ms, &error)) {
        api_fail_internal(call, error.message);
        return false;
    }
    return true;
}

static void put_log_events(struct api_call *call)
{
    const char *group = group_name(call);
    const char *stream = group ? api_input_string(call->input, "logStreamName") : NULL;
    if (group && !stream)
        return fail_invalid(call, "logStreamName is required.");
    bool found = false;
    struct store_error error;
    if (!stream || !group_exists(call, group))
        return;
    if (!store_log_stream_exists(call->store, group, stream, &found, &error))
        return api_fail_internal(call, error.message);
    if (!found)
        return fail_not_found(call, "log stream");
    struct log_batch batch = {0};
    bool ok = read_batch(call, json_object_get(call->input, "logEvents"), &batch) &&
              ingest(call, group, stream, &batch);
    free(batch.messages);
    free(batch.timestamps);
    if (!ok)
        return;
    char token[64];
    snprintf(token, sizeof token, "4903985961398822200752500018574295389804921757%010lld",
             (long long)(call->now_ms % 10000000000LL));
    api_reply(call, json_pack("{s:s}", "nextSequenceToken", token));
}

/* ---- FilterLogEvents ---- */

struct filter_events {
    struct pattern *pattern; /* NULL: every event */
    struct pattern_match *match;
    struct event_extractor *extractor;
    const json_t *stream_names;
    json_t *events;
    size_t skip, limit, seen;
    bool more, failed;
};

static bool event_matches(struct filter_events *filter, const char *message)
{
    if (!filter->pattern)
        return true;
    size_t length = strlen(message);
    size_t count;
    const struct selector *selectors = pattern_selectors(filter->pattern, &count);
    struct event event = event_from_text(message, length);
    if (pattern_kind(filter->pattern) == PATTERN_JSON)
        event_extract_json(filter->extractor, message, length, selectors, count, &event, NULL);
    return pattern_evaluate(filter->pattern, &event, filter->match);
}

static bool stream_selected(const json_t *names, const char *stream)
{
    if (!json_is_array(names) || json_array_size(names) == 0)
        return true;
    for (size_t i = 0; i < json_array_size(names); i++) {
        const char *name = json_string_value(json_array_get(names, i));
        if (name && strcmp(name, stream) == 0)
            return true;
    }
    return false;
}

static bool filter_event(void *context, const struct store_log_event *event)
{
    struct filter_events *filter = context;
    if (!stream_selected(filter->stream_names, event->log_stream) ||
        !event_matches(filter, event->message))
        return true;
    if (filter->seen++ < filter->skip)
        return true;
    if (json_array_size(filter->events) == filter->limit) {
        filter->more = true;
        return false;
    }
    char event_id[64];
    snprintf(event_id, sizeof event_id, "%056lld", (long long)event->id);
    filter->failed =
        json_array_append_new(
            filter->events,
            json_pack("{s:s, s:I, s:s, s:I, s:s}", "logStreamName", event->log_stream, "timestamp",
                      (json_int_t)event->timestamp_ms, "message", event->message, "ingestionTime",
                      (json_int_t)event->ingestion_ms, "eventId", event_id)) != 0;
    return !filter->failed;
}

static bool compile_filter(struct api_call *call, struct filter_events *filter)
{
    const char *text = api_input_string(call->input, "filterPattern");
    filter->match = pattern_match_create();
    filter->extractor = event_extractor_create();
    if (!filter->match || !filter->extractor) {
        api_fail_internal(call, "out of memory");
        return false;
    }
    if (!text || !*text)
        return true;
    struct pattern_error error;
    filter->pattern = pattern_compile(text, strlen(text), &error);
    if (!filter->pattern) {
        char message[300];
        snprintf(message, sizeof message, "Invalid filter pattern at column %zu: %s", error.column,
                 error.message);
        fail_invalid(call, message);
    }
    return filter->pattern != NULL;
}

static void run_filter(struct api_call *call, const char *group, struct filter_events *filter)
{
    const json_t *start = json_object_get(call->input, "startTime");
    const json_t *end = json_object_get(call->input, "endTime");
    struct store_log_event_query query = {
        .log_group = group,
        .stream_prefix = api_input_string(call->input, "logStreamNamePrefix"),
        .start_ms = json_is_integer(start) ? json_integer_value(start) : INT64_MIN,
        .end_ms = json_is_integer(end) ? json_integer_value(end) : INT64_MAX,
    };
    struct store_error error;
    if (!store_log_events_list(call->store, &query, filter_event, filter, &error) || filter->failed)
        return api_fail_internal(call, filter->failed ? "out of memory" : error.message);
    json_t *output = json_pack("{s:O, s:[]}", "events", filter->events, "searchedLogStreams");
    if (filter->more)
        set_next_token(output, filter->skip + filter->limit);
    api_reply(call, output);
}

static void filter_log_events(struct api_call *call)
{
    const char *group = group_name(call);
    struct filter_events filter = {.stream_names = json_object_get(call->input, "logStreamNames"),
                                   .events = json_array()};
    if (group && group_exists(call, group) &&
        paging(call, FILTER_LOG_EVENTS_LIMIT, &filter.skip, &filter.limit) &&
        compile_filter(call, &filter))
        run_filter(call, group, &filter);
    json_decref(filter.events);
    pattern_free(filter.pattern);
    pattern_match_free(filter.match);
    event_extractor_free(filter.extractor);
}

struct log_group_operation {
    const char *name;
    void (*run)(struct api_call *call);
};

static const struct log_group_operation LOG_GROUP_OPERATIONS[] = {
    {"CreateLogGroup", create_log_group},   {"DescribeLogGroups", describe_log_groups},
    {"CreateLogStream", create_log_stream}, {"PutLogEvents", put_log_events},
    {"FilterLogEvents", filter_log_events},
};

bool api_log_groups_dispatch(struct api_call *call)
{
    for (size_t i = 0; i < sizeof LOG_GROUP_OPERATIONS / sizeof *LOG_GROUP_OPERATIONS; i++) {
        if (strcmp(LOG_GROUP_OPERATIONS[i].name, call->operation) == 0) {
            LOG_GROUP_OPERATIONS[i].run(call);
            return true;
        }
    }
    return false;
}
