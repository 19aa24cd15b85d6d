/* Answers in each protocol's shape (aws-api.md §5, §7) and the query → JSON input bridge. */
#include "api/api_internal.h"

#include "alarms/alarms.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static bool is_query(const struct api_call *call)
{
    return call->protocol == API_PROTOCOL_MONITORING_QUERY ||
           call->protocol == API_PROTOCOL_SNS_QUERY;
}

static const char *xml_namespace(const struct api_call *call)
{
    return call->protocol == API_PROTOCOL_SNS_QUERY
               ? "http://sns.amazonaws.com/doc/2010-03-31/"
               : "http://monitoring.amazonaws.com/doc/2010-08-01/";
}

static const char *json_content_type(const struct api_call *call)
{
    return call->protocol == API_PROTOCOL_LOGS_JSON ? "application/x-amz-json-1.1"
                                                    : "application/x-amz-json-1.0";
}

static void set_body(struct api_call *call, int status, char *body, const char *content_type)
{
    free(call->body);
    call->status = status;
    call->body = body;
    call->content_type = content_type;
}

void api_fail(struct api_call *call, int status, const char *code, const char *message)
{
    if (is_query(call)) {
        struct api_buffer buffer = {0};
        api_buffer_append_text(&buffer, "<ErrorResponse xmlns=\"");
        api_buffer_append_text(&buffer, xml_namespace(call));
        api_buffer_append_text(&buffer, "\"><Error><Type>");
        api_buffer_append_text(&buffer, status >= 500 ? "Receiver" : "Sender");
        api_buffer_append_text(&buffer, "</Type>");
        api_buffer_append_element(&buffer, "Code", code);
        api_buffer_append_element(&buffer, "Message", message);
        api_buffer_append_text(&buffer, "</Error>");
        api_buffer_append_element(&buffer, "RequestId", call->request_id);
        api_buffer_append_text(&buffer, "</ErrorResponse>");
        set_body(call, status, api_buffer_take(&buffer), "text/xml");
        return;
    }
    json_t *error = json_pack("{s:s, s:s}", "__type", code, "message", message);
    set_body(call, status, error ? json_dumps(error, JSON_COMPACT) : NULL, json_content_type(call));
    json_decref(error);
    if (call->protocol == API_PROTOCOL_MONITORING_JSON)
        snprintf(call->query_error, sizeof call->query_error, "%s;%s", code,
                 status >= 500 ? "Receiver" : "Sender");
}

void api_fail_internal(struct api_call *call, const char *detail)
{
    fprintf(stderr, "api: %s %s: %s\n", call->operation, call->request_id, detail);
    const char *code = call->protocol == API_PROTOCOL_SNS_QUERY   ? "InternalError"
                       : call->protocol == API_PROTOCOL_LOGS_JSON ? "ServiceUnavailableException"
                                                                  : "InternalServiceError";
    api_fail(call, 500, code, "The service could not complete the request.");
}

static bool is_time_key(const char *key)
{
    return key && (strstr(key, "Timestamp") || strcmp(key, "StartDate") == 0 ||
                   strcmp(key, "EndDate") == 0 || strcmp(key, "StartTime") == 0 ||
                   strcmp(key, "EndTime") == 0);
}

static void append_xml_value(struct api_buffer *buffer, const char *key, const json_t *value);

static void append_xml_object(struct api_buffer *buffer, const json_t *object)
{
    const char *name;
    json_t *member;
    json_object_foreach((json_t *)object, name, member)
    {
        api_buffer_append_text(buffer, "<");
        api_buffer_append_text(buffer, name);
        api_buffer_append_text(buffer, ">");
        append_xml_value(buffer, name, member);
        api_buffer_append_text(buffer, "</");
        api_buffer_append_text(buffer, name);
        api_buffer_append_text(buffer, ">");
    }
}

/* A map member (the query protocol writes maps as entry/key/value). */
static void append_xml_map(struct api_buffer *buffer, const json_t *object)
{
    const char *name;
    json_t *member;
    json_object_foreach((json_t *)object, name, member)
    {
        api_buffer_append_text(buffer, "<entry>");
        api_buffer_append_element(buffer, "key", name);
        api_buffer_append_text(buffer, "<value>");
        append_xml_value(buffer, name, member);
        api_buffer_append_text(buffer, "</value></entry>");
    }
}

/* ISO 8601 UTC with milliseconds and Z, as the query protocol writes timestamps. */
static void format_iso_time(double seconds, char *out, size_t size)
{
    int64_t ms = (int64_t)floor(seconds * 1000.0 + 0.5);
    int64_t whole = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    time_t when = (time_t)whole;
    struct tm parts;
    char date[32];
    if (!gmtime_r(&when, &parts) || strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &parts) == 0)
        date[0] = '\0';
    snprintf(out, size, "%s.%03dZ", date, (int)(ms - whole * 1000));
}

static void append_xml_real(struct api_buffer *buffer, const char *key, double value)
{
    char text[64];
    if (is_time_key(key))
        format_iso_time(value, text, sizeof text);
    else
        alarm_format_number(value, text, sizeof text);
    api_buffer_append_text(buffer, text);
}

static void append_xml_value(struct api_buffer *buffer, const char *key, const json_t *value)
{
    char text[64];
    size_t index;
    json_t *item;
    switch (json_typeof(value)) {
    case JSON_OBJECT:
        if (key && strcmp(key, "ExtendedStatistics") == 0)
            append_xml_map(buffer, value);
        else
            append_xml_object(buffer, value);
        break;
    case JSON_ARRAY:
        json_array_foreach(value, index, item)
        {
            api_buffer_append_text(buffer, "<member>");
            append_xml_value(buffer, key, item);
            api_buffer_append_text(buffer, "</member>");
        }
        break;
    case JSON_STRING:
        api_buffer_append_xml(buffer, json_string_value(value));
        break;
    case JSON_INTEGER:
        snprintf(text, sizeof text, "%lld", (long long)json_integer_value(value));
        api_buffer_append_text(buffer, text);
        break;
    case JSON_REAL:
        append_xml_real(buffer, key, json_real_value(value));
        break;
    case JSON_TRUE:
        api_buffer_append_text(buffer, "true");
        break;
    case JSON_FALSE:
        api_buffer_append_text(buffer, "false");
        break;
    case JSON_NULL:
        break;
    }
}

static char *xml_reply(const struct api_call *call, const json_t *output)
{
    struct api_buffer buffer = {0};
    api_buffer_append_text(&buffer, "<");
    api_buffer_append_text(&buffer, call->operation);
    api_buffer_append_text(&buffer, "Response xmlns=\"");
    api_buffer_append_text(&buffer, xml_namespace(call));
    api_buffer_append_text(&buffer, "\">");
    if (output) {
        api_buffer_append_text(&buffer, "<");
        api_buffer_append_text(&buffer, call->operation);
        api_buffer_append_text(&buffer, "Result>");
        append_xml_object(&buffer, output);
        api_buffer_append_text(&buffer, "</");
        api_buffer_append_text(&buffer, call->operation);
        api_buffer_append_text(&buffer, "Result>");
    }
    api_buffer_append_text(&buffer, "<ResponseMetadata>");
    api_buffer_append_element(&buffer, "RequestId", call->request_id);
    api_buffer_append_text(&buffer, "</ResponseMetadata></");
    api_buffer_append_text(&buffer, call->operation);
    api_buffer_append_text(&buffer, "Response>");
    return api_buffer_take(&buffer);
}

void api_reply(struct api_call *call, json_t *output)
{
    char *body = NULL;
    if (is_query(call))
        body = xml_reply(call, output);
    else if (output)
        body = json_dumps(output, JSON_COMPACT | JSON_REAL_PRECISION(16));
    bool failed = (is_query(call) || output) && !body;
    json_decref(output);
    if (failed)
        return api_fail_internal(call, "out of memory");
    set_body(call, 200, body, is_query(call) ? "text/xml" : json_content_type(call));
}

const char *api_input_string(const json_t *input, const char *name)
{
    return json_string_value(json_object_get(input, name));
}

/* ---- query → JSON ---- */

static bool name_in(const char *name, const char *const *names)
{
    for (size_t i = 0; names[i]; i++) {
        if (strcmp(names[i], name) == 0)
            return true;
    }
    return false;
}

static const char *const INTEGER_MEMBERS[] = {
    "Period",     "EvaluationPeriods", "DatapointsToAlarm",
    "MaxRecords", "StorageResolution", "MaxDatapoints",
    NULL};
static const char *const REAL_MEMBERS[] = {"Threshold", "Value",       "Sum", "Minimum",
                                           "Maximum",   "SampleCount", NULL};
static const char *const BOOLEAN_MEMBERS[] = {"ActionsEnabled", "ReturnData",
                                              "ReturnSubscriptionArn",
                                              "EvaluateLowSampleCountPercentile_", NULL};
static const char *const TIME_MEMBERS[] = {"StartTime", "EndTime", "Timestamp",
                                           "StartDate", "EndDate", NULL};
static const char *const LIST_MEMBERS[] = {"OKActions",
                                           "AlarmActions",
                                           "InsufficientDataActions",
                                           "Dimensions",
                                           "AlarmNames",
                                           "Statistics",
                                           "ExtendedStatistics",
                                           "MetricData",
                                           "MetricDataQueries",
                                           "Tags",
                                           "AlarmTypes",
                                           "Values",
                                           "Counts",
                                           NULL};

/* ISO 8601 UTC (fraction allowed) → epoch seconds; false when malformed. */
static bool parse_iso_time(const char *text, double *seconds)
{
    struct tm parts = {0};
    int used = 0;
    if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%n", &parts.tm_year, &parts.tm_mon, &parts.tm_mday,
               &parts.tm_hour, &parts.tm_min, &parts.tm_sec, &used) != 6)
        return false;
    double fraction = 0;
    const char *rest = text + used;
    if (*rest == '.') {
        char *end;
        fraction = strtod(rest, &end);
        rest = end;
    }
    if (strcmp(rest, "Z") != 0 && strcmp(rest, "+00:00") != 0 && *rest != '\0')
        return false;
    parts.tm_year -= 1900;
    parts.tm_mon -= 1;
    time_t epoch = timegm(&parts);
    if (epoch == (time_t)-1)
        return false;
    *seconds = (double)epoch + fraction;
    return true;
}

static json_t *typed_leaf(const char *member, const char *text)
{
    char *end = NULL;
    if (name_in(member, INTEGER_MEMBERS)) {
        long long value = strtoll(text, &end, 10);
        return *text && !*end ? json_integer(value) : json_string(text);
    }
    if (name_in(member, REAL_MEMBERS)) {
        double value = strtod(text, &end);
        return *text && !*end ? json_real(value) : json_string(text);
    }
    if (name_in(member, BOOLEAN_MEMBERS) &&
        (strcmp(text, "true") == 0 || strcmp(text, "false") == 0))
        return json_boolean(strcmp(text, "true") == 0);
    double seconds;
    if (name_in(member, TIME_MEMBERS) && parse_iso_time(text, &seconds))
        return json_real(seconds);
    if (name_in(member, LIST_MEMBERS) && *text == '\0')
        return json_array();
    return json_string(text);
}

static bool is_index(const char *segment, size_t *index)
{
    if (!*segment || strlen(segment) > 6)
        return false;
    for (const char *at = segment; *at; at++) {
        if (!isdigit((unsigned char)*at))
            return false;
    }
    *index = (size_t)atoi(segment);
    return *index >= 1 && *index <= API_MAX_FORM_FIELDS;
}

/* The child of `node` for `segment`: the existing object, a new object, or `leaf` when
 * `last`. A segment that already holds a value of another kind (or any value, for a
 * leaf) is a conflict: NULL, and nothing already built is replaced or freed. */
static json_t *step_into(json_t *node, const char *segment, json_t *leaf, bool last)
{
    size_t index;
    json_t *child = NULL;
    if (json_is_array(node) && is_index(segment, &index)) {
        while (json_array_size(node) < index)
            if (json_array_append_new(node, json_null()) != 0)
                return NULL;
        child = json_array_get(node, index - 1);
        if (!json_is_null(child))
            return !last && json_is_object(child) ? child : NULL;
        child = last ? json_incref(leaf) : json_object();
        return json_array_set_new(node, index - 1, child) == 0 ? child : NULL;
    }
    if (!json_is_object(node))
        return NULL;
    child = json_object_get(node, segment);
    if (child)
        return !last && json_is_object(child) ? child : NULL;
    child = last ? json_incref(leaf) : json_object();
    return json_object_set_new(node, segment, child) == 0 ? child : NULL;
}

/* Puts one field: X.member.N and X.entry.N make X an array. */
static bool put_field(json_t *root, const char *name, const char *value)
{
    char path[512];
    if (strlen(name) >= sizeof path)
        return false;
    strcpy(path, name);
    json_t *node = root;
    char *save = NULL;
    char *segment = strtok_r(path, ".", &save);
    const char *member = segment;
    while (segment && node) {
        char *next = strtok_r(NULL, ".", &save);
        if (next && (strcmp(next, "member") == 0 || strcmp(next, "entry") == 0)) {
            json_t *list = json_is_object(node) ? json_object_get(node, segment) : NULL;
            if (!list) {
                list = json_array();
                json_t *placed = list ? step_into(node, segment, list, true) : NULL;
                json_decref(list);
                list = placed;
            }
            if (!json_is_array(list))
                return false;
            node = list;
            member = segment;
            segment = strtok_r(NULL, ".", &save);
            continue;
        }
        if (!is_index(segment, &(size_t){0}))
            member = segment;
        json_t *leaf = next ? NULL : typed_leaf(member, value);
        if (!next && !leaf)
            return false;
        json_t *child = step_into(node, segment, leaf, next == NULL);
        json_decref(leaf);
        node = child;
        segment = next;
    }
    return node != NULL;
}

static bool has_null(const json_t *node)
{
    size_t index;
    const char *key;
    json_t *item;
    if (json_is_null(node))
        return true;
    if (json_is_array(node)) {
        json_array_foreach(node, index, item)
        {
            if (has_null(item))
                return true;
        }
    }
    if (json_is_object(node)) {
        json_object_foreach((json_t *)node, key, item)
        {
            if (has_null(item))
                return true;
        }
    }
    return false;
}

json_t *api_form_to_json(const struct api_form *form)
{
    json_t *root = json_object();
    for (size_t i = 0; root && i < form->count; i++) {
        const char *name = form->fields[i].name;
        if (strcmp(name, "Action") == 0 || strcmp(name, "Version") == 0)
            continue;
        if (!put_field(root, name, form->fields[i].value)) {
            json_decref(root);
            return NULL;
        }
    }
    if (root && has_null(root)) {
        json_decref(root);
        return NULL;
    }
    return root;
}
