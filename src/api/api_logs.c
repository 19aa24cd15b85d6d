/* CloudWatch Logs over JSON 1.1 (aws-api.md §6.1): metric filters (PutMetricFilter,
 * DescribeMetricFilters, DeleteMetricFilter) in the store, and TestMetricFilter on the
 * pattern engine. A filter's creationTime is kept in the store's settings under
 * "api.metricFilterCreated.<group>/<name>" (the definition JSON keeps AWS's request shape). */
#include "api/api_internal.h"

#include "metrics/metrics.h"
#include "patterns/pattern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_NAME_MAX 512
#define TEST_MESSAGES_MAX 50
#define DESCRIBE_FILTERS_LIMIT 50

static void fail_invalid(struct api_call *call, const char *message)
{
    api_fail(call, 400, "InvalidParameterException", message);
}

static bool valid_log_group_name(const char *name)
{
    static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "0123456789._-/#";
    size_t length = strlen(name);
    return length > 0 && length <= LOG_NAME_MAX && strspn(name, allowed) == length;
}

static bool valid_filter_name(const char *name)
{
    size_t length = strlen(name);
    return length > 0 && length <= LOG_NAME_MAX && !strchr(name, ':') && !strchr(name, '*');
}

static void creation_key(char *out, size_t size, const char *group, const char *name)
{
    snprintf(out, size, "api.metricFilterCreated.%s/%s", group, name);
}

/* Compiles the pattern and each reference, as the configuration file's loader does. */
static bool check_filter(struct api_call *call, const struct metric_filter_definition *filter)
{
    struct pattern_error error;
    struct pattern *pattern =
        pattern_compile(filter->filter_pattern, strlen(filter->filter_pattern), &error);
    if (!pattern) {
        char message[300];
        snprintf(message, sizeof message, "Invalid metric filter pattern at column %zu: %s",
                 error.column, error.message);
        fail_invalid(call, message);
        return false;
    }
    pattern_free(pattern);
    const char *value = filter->transformation.metric_value;
    if (value[0] == '$' && value[1] == '.') {
        struct pattern *reference = pattern_compile_reference(value, &error);
        if (!reference) {
            fail_invalid(call, "Invalid metric value: not a selector of the log event");
            return false;
        }
        pattern_free(reference);
    }
    return true;
}

/* The request without logGroupName, as metric_filter_from_json reads it. */
static bool parse_filter(struct api_call *call, struct metric_filter_definition *filter)
{
    json_t *copy = json_deep_copy(call->input);
    json_object_del(copy, "logGroupName");
    char *text = copy ? json_dumps(copy, JSON_COMPACT) : NULL;
    json_decref(copy);
    struct metrics_error error;
    bool ok = text && metric_filter_from_json(text, filter, &error);
    free(text);
    if (!ok)
        fail_invalid(call, error.message);
    return ok;
}

static void put_metric_filter(struct api_call *call)
{
    const char *group = api_input_string(call->input, "logGroupName");
    const char *name = api_input_string(call->input, "filterName");
    if (!group || !valid_log_group_name(group))
        return fail_invalid(call, "logGroupName is missing or invalid.");
    if (!name || !valid_filter_name(name))
        return fail_invalid(call, "filterName is missing or invalid.");
    if (!api_input_string(call->input, "filterPattern"))
        return fail_invalid(call, "filterPattern is required.");
    struct metric_filter_definition filter;
    if (!parse_filter(call, &filter))
        return;
    bool valid = check_filter(call, &filter);
    char *stored = valid ? metric_filter_to_json(&filter) : NULL;
    metric_filter_definition_free(&filter);
    if (!valid)
        return;
    char key[1200], created[32];
    creation_key(key, sizeof key, group, name);
    snprintf(created, sizeof created, "%lld", (long long)call->now_ms);
    struct store_error error;
    char *existing = NULL;
    bool ok = stored && store_begin(call->store, &error) &&
              store_setting_get(call->store, key, &existing, &error) &&
              store_metric_filter_put(call->store, group, name, stored, &error) &&
              (existing || store_setting_set(call->store, key, created, &error));
    if (ok)
        ok = store_commit(call->store, &error);
    else
        store_rollback(call->store);
    free(existing);
    free(stored);
    if (!ok)
        return api_fail_internal(call, stored ? error.message : "out of memory");
    api_reply(call, NULL);
}

struct describe_filters {
    struct api_call *call;
    const char *group, *prefix, *metric_name, *metric_namespace;
    json_t *filters;
    bool failed;
};

static bool filter_selected(const struct describe_filters *describe, const char *group,
                            const char *name, const json_t *definition)
{
    if (describe->group && strcmp(describe->group, group) != 0)
        return false;
    if (describe->prefix && strncmp(name, describe->prefix, strlen(describe->prefix)) != 0)
        return false;
    const json_t *transformation =
        json_array_get(json_object_get(definition, "metricTransformations"), 0);
    const char *metric = api_input_string(transformation, "metricName");
    const char *space = api_input_string(transformation, "metricNamespace");
    if (describe->metric_name && (!metric || strcmp(metric, describe->metric_name) != 0))
        return false;
    return !describe->metric_namespace || (space && strcmp(space, describe->metric_namespace) == 0);
}

static int64_t filter_creation_ms(struct api_call *call, const char *group, const char *name)
{
    char key[1200];
    creation_key(key, sizeof key, group, name);
    char *value = NULL;
    struct store_error error;
    int64_t created = 0;
    if (store_setting_get(call->store, key, &value, &error) && value)
        created = strtoll(value, NULL, 10);
    free(value);
    return created;
}

static bool describe_filter(void *context, const char *group, const char *name,
                            const char *definition_json)
{
    struct describe_filters *describe = context;
    json_t *definition = json_loads(definition_json, 0, NULL);
    if (!json_is_object(definition)) {
        json_decref(definition);
        describe->failed = true;
        return false;
    }
    if (filter_selected(describe, group, name, definition)) {
        json_t *member =
            json_pack("{s:s, s:O, s:O, s:I}", "filterName", name, "filterPattern",
                      json_object_get(definition, "filterPattern"), "metricTransformations",
                      json_object_get(definition, "metricTransformations"), "creationTime",
                      (json_int_t)filter_creation_ms(describe->call, group, name));
        if (member && *group)
            json_object_set_new(member, "logGroupName", json_string(group));
        describe->failed = !member || json_array_append_new(describe->filters, member) != 0;
    }
    json_decref(definition);
    return !describe->failed;
}

static void describe_metric_filters(struct api_call *call)
{
    struct describe_filters describe = {
        .call = call,
        .group = api_input_string(call->input, "logGroupName"),
        .prefix = api_input_string(call->input, "filterNamePrefix"),
        .metric_name = api_input_string(call->input, "metricName"),
        .metric_namespace = api_input_string(call->input, "metricNamespace"),
        .filters = json_array(),
    };
    struct store_error error;
    bool ok = store_metric_filter_list(call->store, describe_filter, &describe, &error);
    if (!ok || describe.failed) {
        json_decref(describe.filters);
        return api_fail_internal(call, ok ? "a stored metric filter is unreadable" : error.message);
    }
    api_reply(call, json_pack("{s:o}", "metricFilters", describe.filters));
}

static void delete_metric_filter(struct api_call *call)
{
    const char *group = api_input_string(call->input, "logGroupName");
    const char *name = api_input_string(call->input, "filterName");
    if (!group || !name)
        return fail_invalid(call, "logGroupName and filterName are required.");
    struct store_error error;
    bool deleted = false;
    if (!store_metric_filter_delete(call->store, group, name, &deleted, &error))
        return api_fail_internal(call, error.message);
    if (!deleted)
        return api_fail(call, 400, "ResourceNotFoundException",
                        "The specified metric filter does not exist.");
    api_reply(call, NULL);
}

/* ---- TestMetricFilter ---- */

static bool test_message(struct pattern_tester *tester, const char *message, size_t number,
                         json_t *matches)
{
    const struct pattern_match *match = pattern_tester_test(tester, message, strlen(message));
    if (!match)
        return true;
    return json_array_append_new(matches,
                                 json_pack("{s:I, s:s, s:o}", "eventNumber", (json_int_t)number,
                                           "eventMessage", message, "extractedValues",
                                           pattern_match_extracted_values(match))) == 0;
}

static void run_pattern_test(struct api_call *call, struct pattern *pattern, const json_t *messages)
{
    json_t *matches = json_array();
    struct pattern_tester *tester = pattern_tester_create(pattern);
    bool ok = matches && tester;
    size_t index;
    json_t *message;
    json_array_foreach(messages, index, message)
    {
        ok = ok && test_message(tester, json_string_value(message), index + 1, matches);
    }
    pattern_tester_free(tester);
    if (!ok) {
        json_decref(matches);
        return api_fail_internal(call, "out of memory");
    }
    api_reply(call, json_pack("{s:o}", "matches", matches));
}

static void test_metric_filter(struct api_call *call)
{
    const char *text = api_input_string(call->input, "filterPattern");
    const json_t *messages = json_object_get(call->input, "logEventMessages");
    if (!text || !json_is_array(messages))
        return fail_invalid(call, "filterPattern and logEventMessages are required.");
    size_t count = json_array_size(messages);
    if (count < 1 || count > TEST_MESSAGES_MAX)
        return fail_invalid(call, "logEventMessages must hold 1 to 50 messages.");
    for (size_t i = 0; i < count; i++) {
        if (!json_is_string(json_array_get(messages, i)))
            return fail_invalid(call, "logEventMessages must hold strings.");
    }
    struct pattern_error error;
    struct pattern *pattern = pattern_compile(text, strlen(text), &error);
    if (!pattern) {
        char message[300];
        snprintf(message, sizeof message, "Invalid metric filter pattern at column %zu: %s",
                 error.column, error.message);
        return fail_invalid(call, message);
    }
    run_pattern_test(call, pattern, messages);
    pattern_free(pattern);
}

struct logs_operation {
    const char *name;
    void (*run)(struct api_call *call);
};

static const struct logs_operation LOGS_OPERATIONS[] = {
    {"PutMetricFilter", put_metric_filter},
    {"DescribeMetricFilters", describe_metric_filters},
    {"DeleteMetricFilter", delete_metric_filter},
    {"TestMetricFilter", test_metric_filter},
};

bool api_logs_dispatch(struct api_call *call)
{
    for (size_t i = 0; i < sizeof LOGS_OPERATIONS / sizeof *LOGS_OPERATIONS; i++) {
        if (strcmp(LOGS_OPERATIONS[i].name, call->operation) == 0) {
            LOGS_OPERATIONS[i].run(call);
            return true;
        }
    }
    return api_log_groups_dispatch(call);
}
