/* CloudWatch alarms over query/XML and JSON 1.0 (aws-api.md §6.2): PutMetricAlarm,
 * DescribeAlarms, DeleteAlarms, SetAlarmState, DescribeAlarmHistory. Inputs arrive as
 * PutMetricAlarm-shaped JSON (api_form_to_json for query), outputs are built as one tree
 * that api_reply writes in either protocol. */
#include "api/api_internal.h"

#include "alarms/alarms.h"
#include "monitor/monitor.h"
#include "notify/notify.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DESCRIBE_ALARMS_MAX_RECORDS 100

static json_t *seconds_value(int64_t ms)
{
    return json_real((double)ms / 1000.0);
}

static void fail_parameter(struct api_call *call, const char *message)
{
    api_fail(call, 400, "InvalidParameterValue", message);
}

static void fail_missing(struct api_call *call, const char *name)
{
    char message[160];
    snprintf(message, sizeof message, "The parameter %s is required.", name);
    api_fail(call, 400, "MissingParameter", message);
}

static void put_metric_alarm(struct api_call *call)
{
    static const char *const REQUIRED[] = {"AlarmName", "EvaluationPeriods", "ComparisonOperator"};
    for (size_t i = 0; i < 3; i++) {
        if (!json_object_get(call->input, REQUIRED[i]))
            return fail_missing(call, REQUIRED[i]);
    }
    char *text = json_dumps(call->input, JSON_COMPACT);
    struct alarm_definition alarm;
    struct alarm_error alarm_error;
    bool parsed = text && alarm_definition_from_json(text, &alarm, &alarm_error);
    free(text);
    if (!parsed)
        return fail_parameter(call, alarm_error.message);
    if (!alarm.origin)
        alarm.origin = strdup("api");
    struct monitor_settings settings = {.region = call->region, .account_id = call->account_id};
    struct monitor_error error;
    bool ok = monitor_put_alarm(call->store, &alarm, &settings, call->now_ms, &error);
    alarm_definition_free(&alarm);
    if (!ok)
        return api_fail_internal(call, error.message);
    api_reply(call, NULL);
}

/* ---- DescribeAlarms ---- */

struct describe_filter {
    const json_t *names; /* AlarmNames, NULL: any */
    const char *prefix, *state, *action_prefix;
};

static bool listed_name(const json_t *names, const char *name)
{
    size_t index;
    json_t *item;
    json_array_foreach(names, index, item)
    {
        if (json_is_string(item) && strcmp(json_string_value(item), name) == 0)
            return true;
    }
    return false;
}

static bool has_action_prefix(const struct alarm_definition *alarm, const char *prefix)
{
    const struct alarm_action_list *lists[] = {&alarm->ok_actions, &alarm->alarm_actions,
                                               &alarm->insufficient_data_actions};
    for (size_t i = 0; i < 3; i++) {
        for (size_t j = 0; j < lists[i]->count; j++) {
            if (strncmp(lists[i]->items[j], prefix, strlen(prefix)) == 0)
                return true;
        }
    }
    return false;
}

static json_t *action_array(const struct alarm_action_list *list)
{
    json_t *array = json_array();
    for (size_t i = 0; i < list->count; i++)
        json_array_append_new(array, json_string(list->items[i]));
    return array;
}

static json_t *dimension_array(const struct metric_identity *metric)
{
    json_t *array = json_array();
    for (size_t i = 0; i < metric->dimension_count; i++)
        json_array_append_new(array, json_pack("{s:s, s:s}", "Name", metric->dimensions[i].name,
                                               "Value", metric->dimensions[i].value));
    return array;
}

static void set_optional_string(json_t *object, const char *name, const char *value)
{
    if (value)
        json_object_set_new(object, name, json_string(value));
}

/* The newest ConfigurationUpdate of the alarm, or `fallback`. */
static bool newest_configuration(void *context, const struct store_history_item *item)
{
    *(int64_t *)context = item->timestamp_ms;
    return false;
}

static int64_t configuration_updated_ms(struct api_call *call, const char *name, int64_t fallback)
{
    int64_t updated = fallback;
    struct store_history_query query = {
        .alarm_name = name, .type = "ConfigurationUpdate", .end_ms = INT64_MAX, .limit = 1};
    struct store_error error;
    store_history_list(call->store, &query, newest_configuration, &updated, &error);
    return updated;
}

static json_t *alarm_member(struct api_call *call, const struct alarm_definition *alarm,
                            const struct store_alarm_state *state)
{
    json_t *member = json_object();
    char *arn = alarm_arn(alarm, call->region, call->account_id);
    json_object_set_new(member, "AlarmName", json_string(alarm->alarm_name));
    json_object_set_new(member, "AlarmArn", json_string(arn ? arn : ""));
    free(arn);
    set_optional_string(member, "AlarmDescription", alarm->alarm_description);
    json_object_set_new(
        member, "AlarmConfigurationUpdatedTimestamp",
        seconds_value(configuration_updated_ms(call, alarm->alarm_name, state->updated_ms)));
    json_object_set_new(member, "ActionsEnabled", json_boolean(alarm->actions_enabled));
    json_object_set_new(member, "OKActions", action_array(&alarm->ok_actions));
    json_object_set_new(member, "AlarmActions", action_array(&alarm->alarm_actions));
    json_object_set_new(member, "InsufficientDataActions",
                        action_array(&alarm->insufficient_data_actions));
    json_object_set_new(member, "StateValue", json_string(state->state));
    set_optional_string(member, "StateReason", state->reason);
    set_optional_string(member, "StateReasonData", state->reason_data);
    json_object_set_new(member, "StateUpdatedTimestamp", seconds_value(state->updated_ms));
    json_object_set_new(member, "MetricName", json_string(alarm->metric.metric_name));
    json_object_set_new(member, "Namespace", json_string(alarm->metric.namespace_name));
    set_optional_string(member, "Statistic", alarm->statistic);
    set_optional_string(member, "ExtendedStatistic", alarm->extended_statistic);
    json_object_set_new(member, "Dimensions", dimension_array(&alarm->metric));
    json_object_set_new(member, "Period", json_integer(alarm->period));
    set_optional_string(member, "Unit", alarm->unit);
    json_object_set_new(member, "EvaluationPeriods", json_integer(alarm->evaluation_periods));
    if (alarm->datapoints_to_alarm > 0)
        json_object_set_new(member, "DatapointsToAlarm", json_integer(alarm->datapoints_to_alarm));
    json_object_set_new(member, "Threshold", json_real(alarm->threshold));
    json_object_set_new(member, "ComparisonOperator",
                        json_string(alarm_comparison_name(alarm->comparison)));
    if (alarm->treat_missing != ALARM_TREAT_MISSING_MISSING)
        json_object_set_new(member, "TreatMissingData",
                            json_string(alarm_treat_missing_name(alarm->treat_missing)));
    json_object_set_new(member, "StateTransitionedTimestamp",
                        seconds_value(state->transitioned_ms));
    return member;
}

struct describe_context {
    struct api_call *call;
    const struct describe_filter *filter;
    json_t *alarms;
    bool failed;
};

static bool passes(const struct describe_filter *filter, const char *name,
                   const struct store_alarm_state *state)
{
    if (filter->names && !listed_name(filter->names, name))
        return false;
    if (filter->prefix && strncmp(name, filter->prefix, strlen(filter->prefix)) != 0)
        return false;
    return !filter->state || strcmp(filter->state, state->state) == 0;
}

static bool describe_one(void *context, const char *name, const char *definition_json,
                         const struct store_alarm_state *state)
{
    struct describe_context *describe = context;
    if (!passes(describe->filter, name, state))
        return true;
    struct alarm_definition alarm;
    struct alarm_error error;
    if (!alarm_definition_from_json(definition_json, &alarm, &error)) {
        describe->failed = true;
        return false;
    }
    if (!describe->filter->action_prefix ||
        has_action_prefix(&alarm, describe->filter->action_prefix))
        json_array_append_new(describe->alarms, alarm_member(describe->call, &alarm, state));
    alarm_definition_free(&alarm);
    return true;
}

static bool wants_metric_alarms(const json_t *types)
{
    return !json_is_array(types) || json_array_size(types) == 0 ||
           listed_name(types, "MetricAlarm");
}

/* MaxRecords/NextToken: the token is the index of the next alarm ("<n>"). */
static bool page(struct api_call *call, json_t *alarms, json_t *output)
{
    json_t *max = json_object_get(call->input, "MaxRecords");
    const char *token = api_input_string(call->input, "NextToken");
    long long limit = json_is_integer(max) ? json_integer_value(max) : DESCRIBE_ALARMS_MAX_RECORDS;
    char *end = NULL;
    long long start = token ? strtoll(token, &end, 10) : 0;
    if (limit < 1 || limit > DESCRIBE_ALARMS_MAX_RECORDS || (token && (*end || start < 0))) {
        api_fail(call, 400,
                 token && (*end || start < 0) ? "InvalidNextToken" : "InvalidParameterValue",
                 token && (*end || start < 0) ? "The service returned an invalid NextToken."
                                              : "MaxRecords must be between 1 and 100.");
        return false;
    }
    json_t *slice = json_array();
    size_t total = json_array_size(alarms);
    for (size_t i = (size_t)start; i < total && i < (size_t)(start + limit); i++)
        json_array_append(slice, json_array_get(alarms, i));
    json_object_set_new(output, "MetricAlarms", slice);
    json_object_set_new(output, "CompositeAlarms", json_array());
    if ((size_t)(start + limit) < total) {
        char next[32];
        snprintf(next, sizeof next, "%lld", start + limit);
        json_object_set_new(output, "NextToken", json_string(next));
    }
    return true;
}

static void describe_alarms(struct api_call *call)
{
    struct describe_filter filter = {
        .names = json_object_get(call->input, "AlarmNames"),
        .prefix = api_input_string(call->input, "AlarmNamePrefix"),
        .state = api_input_string(call->input, "StateValue"),
        .action_prefix = api_input_string(call->input, "ActionPrefix"),
    };
    if (filter.names && !json_is_array(filter.names))
        return fail_parameter(call, "AlarmNames must be a list.");
    struct describe_context context = {call, &filter, json_array(), false};
    struct store_error error;
    if (wants_metric_alarms(json_object_get(call->input, "AlarmTypes")) &&
        !store_alarm_list(call->store, describe_one, &context, &error)) {
        json_decref(context.alarms);
        return api_fail_internal(call, error.message);
    }
    if (context.failed) {
        json_decref(context.alarms);
        return api_fail_internal(call, "a stored alarm definition is unreadable");
    }
    json_t *output = json_object();
    bool ok = page(call, context.alarms, output);
    json_decref(context.alarms);
    if (!ok) {
        json_decref(output);
        return;
    }
    api_reply(call, output);
}

/* ---- DeleteAlarms ---- */

static bool alarm_exists(struct api_call *call, const char *name, bool *found)
{
    struct store_alarm_state state;
    struct store_error error;
    if (!store_alarm_get_state(call->store, name, found, &state, &error)) {
        api_fail_internal(call, error.message);
        return false;
    }
    if (*found)
        store_alarm_state_free(&state);
    return true;
}

static void fail_not_found(struct api_call *call, const char *name)
{
    char message[400];
    snprintf(message, sizeof message, "Alarm %s does not exist", name);
    api_fail(call, 404, "ResourceNotFound", message);
}

static bool delete_all(struct api_call *call, const json_t *names)
{
    size_t index;
    json_t *item;
    struct store_error error;
    bool deleted;
    json_array_foreach(names, index, item)
    {
        if (!store_alarm_delete(call->store, json_string_value(item), &deleted, &error)) {
            api_fail_internal(call, error.message);
            return false;
        }
    }
    return true;
}

static void delete_alarms(struct api_call *call)
{
    const json_t *names = json_object_get(call->input, "AlarmNames");
    if (!json_is_array(names))
        return fail_missing(call, "AlarmNames");
    size_t index;
    json_t *item;
    json_array_foreach(names, index, item)
    {
        bool found = false;
        if (!json_is_string(item))
            return fail_parameter(call, "AlarmNames must hold names.");
        if (!alarm_exists(call, json_string_value(item), &found))
            return;
        if (!found)
            return fail_not_found(call, json_string_value(item));
    }
    struct store_error error;
    if (!store_begin(call->store, &error))
        return api_fail_internal(call, error.message);
    if (!delete_all(call, names)) {
        store_rollback(call->store);
        return;
    }
    if (!store_commit(call->store, &error))
        return api_fail_internal(call, error.message);
    api_reply(call, NULL);
}

/* ---- SetAlarmState ---- */

struct stored_definition {
    const char *name;
    char *json; /* malloc'ed copy */
};

static bool copy_definition(void *context, const char *name, const char *definition_json,
                            const struct store_alarm_state *state)
{
    (void)state;
    struct stored_definition *stored = context;
    if (strcmp(name, stored->name) != 0)
        return true;
    stored->json = strdup(definition_json);
    return false;
}

/* The alarm's actions for a state set by hand, as AWS takes them (in the caller's
 * transaction): one outbox message per confirmed subscription of the topics named. */
static bool enqueue_actions(struct api_call *call, const char *name,
                            const struct monitor_transition *transition, struct store_error *error)
{
    struct stored_definition stored = {name, NULL};
    struct alarm_definition alarm;
    struct alarm_error alarm_error;
    if (!store_alarm_list(call->store, copy_definition, &stored, error))
        return false;
    bool parsed = stored.json && alarm_definition_from_json(stored.json, &alarm, &alarm_error);
    free(stored.json);
    if (!parsed) {
        snprintf(error->message, sizeof error->message, "unreadable alarm definition");
        return false;
    }
    const struct config *config = call->settings->config;
    struct notify_topic_list topics = {0};
    struct notify_signing_key key = {0};
    struct monitor_error monitor_error;
    bool ok = monitor_topics_load(call->store, config ? &config->topics : NULL, &topics,
                                  &monitor_error) &&
              monitor_signing_key(call->store, &key, &monitor_error);
    struct monitor_notify_settings settings = {
        .topics = &topics,
        .region = call->region,
        .account_id = call->account_id,
        .public_base_url = config && config->settings.public_base_url
                               ? config->settings.public_base_url
                               : "http://127.0.0.1:4566",
        .signing_key = &key,
    };
    ok = ok &&
         monitor_enqueue_notifications(call->store, &alarm, transition, &settings,
                                       configuration_updated_ms(call, name, 0), &monitor_error);
    if (!ok)
        snprintf(error->message, sizeof error->message, "%.500s", monitor_error.message);
    notify_signing_key_free(&key);
    notify_topic_list_free(&topics);
    alarm_definition_free(&alarm);
    return ok;
}

static bool write_state(struct api_call *call, const char *name,
                        const struct store_alarm_state *stored, enum alarm_state new_state,
                        const char *reason, const char *reason_data)
{
    enum alarm_state old_state = ALARM_STATE_INSUFFICIENT_DATA;
    alarm_state_parse(stored->state, &old_state);
    struct alarm_status current = {old_state, stored->reason, stored->reason_data,
                                   stored->updated_ms, stored->transitioned_ms};
    char summary[96];
    snprintf(summary, sizeof summary, "Alarm updated from %s to %s", stored->state,
             alarm_state_name(new_state));
    char *data = alarm_history_state_data(&current, new_state, reason, reason_data);
    struct store_history_item item = {name, call->now_ms, "StateUpdate", summary, data};
    struct store_error error;
    bool ok = data && store_begin(call->store, &error);
    ok = ok && store_alarm_set_state(call->store, name, alarm_state_name(new_state), reason,
                                     reason_data, call->now_ms, old_state != new_state, &error);
    ok = ok && (old_state == new_state || store_history_add(call->store, &item, &error));
    struct monitor_transition transition = {name,   call->now_ms, old_state, new_state,
                                            reason, reason_data,  NULL};
    ok = ok && (old_state == new_state || enqueue_actions(call, name, &transition, &error));
    if (ok)
        ok = store_commit(call->store, &error);
    else
        store_rollback(call->store);
    free(data);
    if (!ok)
        api_fail_internal(call, data ? error.message : "out of memory");
    return ok;
}

static void set_alarm_state(struct api_call *call)
{
    const char *name = api_input_string(call->input, "AlarmName");
    const char *value = api_input_string(call->input, "StateValue");
    const char *reason = api_input_string(call->input, "StateReason");
    const char *reason_data = api_input_string(call->input, "StateReasonData");
    enum alarm_state new_state;
    if (!name || !value || !reason)
        return fail_missing(call, !name ? "AlarmName" : !value ? "StateValue" : "StateReason");
    if (!alarm_state_parse(value, &new_state))
        return fail_parameter(call, "StateValue must be OK, ALARM or INSUFFICIENT_DATA.");
    json_t *parsed = reason_data ? json_loads(reason_data, 0, NULL) : NULL;
    bool valid = !reason_data || json_is_object(parsed);
    json_decref(parsed);
    if (!valid)
        return api_fail(call, 400, "InvalidFormat", "StateReasonData is not valid JSON.");
    struct store_alarm_state stored;
    struct store_error error;
    bool found = false;
    if (!store_alarm_get_state(call->store, name, &found, &stored, &error))
        return api_fail_internal(call, error.message);
    if (!found)
        return fail_not_found(call, name);
    bool ok = write_state(call, name, &stored, new_state, reason, reason_data);
    store_alarm_state_free(&stored);
    if (ok)
        api_reply(call, NULL);
}

/* ---- DescribeAlarmHistory ---- */

static bool history_member(void *context, const struct store_history_item *item)
{
    json_t *items = context;
    return json_array_append_new(items, json_pack("{s:s, s:s, s:o, s:s, s:s, s:s}", "AlarmName",
                                                  item->alarm_name, "AlarmType", "MetricAlarm",
                                                  "Timestamp", seconds_value(item->timestamp_ms),
                                                  "HistoryItemType", item->type, "HistorySummary",
                                                  item->summary, "HistoryData",
                                                  item->data ? item->data : "")) == 0;
}

static int64_t time_member(const json_t *input, const char *name, int64_t fallback)
{
    const json_t *value = json_object_get(input, name);
    double seconds = json_is_number(value) ? json_number_value(value) : NAN;
    /* a time beyond ±1e15 s cannot be a history bound worth converting (and converting an
     * out-of-range double is undefined): treat it as absent */
    return isfinite(seconds) && fabs(seconds) <= 1e15 ? (int64_t)(seconds * 1000.0) : fallback;
}

static void describe_alarm_history(struct api_call *call)
{
    const char *type = api_input_string(call->input, "HistoryItemType");
    if (type && strcmp(type, "ConfigurationUpdate") && strcmp(type, "StateUpdate") &&
        strcmp(type, "Action"))
        return fail_parameter(call, "HistoryItemType must be ConfigurationUpdate, StateUpdate "
                                    "or Action.");
    json_t *max = json_object_get(call->input, "MaxRecords");
    const char *scan_by = api_input_string(call->input, "ScanBy");
    struct store_history_query query = {
        .alarm_name = api_input_string(call->input, "AlarmName"),
        .type = type,
        .start_ms = time_member(call->input, "StartDate", 0),
        .end_ms = time_member(call->input, "EndDate", INT64_MAX),
        .ascending = scan_by && strcmp(scan_by, "TimestampAscending") == 0,
        .limit = json_is_integer(max) && json_integer_value(max) > 0
                     ? (size_t)json_integer_value(max)
                     : 100,
    };
    json_t *items = json_array();
    struct store_error error;
    if (!store_history_list(call->store, &query, history_member, items, &error)) {
        json_decref(items);
        return api_fail_internal(call, error.message);
    }
    api_reply(call, json_pack("{s:o}", "AlarmHistoryItems", items));
}

struct monitoring_operation {
    const char *name;
    void (*run)(struct api_call *call);
};

static const struct monitoring_operation MONITORING_OPERATIONS[] = {
    {"PutMetricAlarm", put_metric_alarm},
    {"DescribeAlarms", describe_alarms},
    {"DeleteAlarms", delete_alarms},
    {"SetAlarmState", set_alarm_state},
    {"DescribeAlarmHistory", describe_alarm_history},
};

bool api_monitoring_dispatch(struct api_call *call)
{
    for (size_t i = 0; i < sizeof MONITORING_OPERATIONS / sizeof *MONITORING_OPERATIONS; i++) {
        if (strcmp(MONITORING_OPERATIONS[i].name, call->operation) == 0) {
            MONITORING_OPERATIONS[i].run(call);
            return true;
        }
    }
    return api_metrics_dispatch(call);
}
