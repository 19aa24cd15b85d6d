/* Evidence as JSON text, for the store (one document per bucket) and for messages:
 * {"events":N,"firstSeen":"…Z"|null,"lastSeen":"…Z"|null,"principals":[{"value":"…",
 * "count":N}],"sourceIPs":[…],"eventNames":[…],"errorCodes":[…],"accounts":[…],
 * "regions":[…],"denials":[…],"samples":[{…}]}. Reading is strict — every key required,
 * unknown or duplicate keys, wrong types and the limits refused — so a damaged record is
 * noticed, not half-read. */
#include "metrics/event_time.h"
#include "metrics/evidence_internal.h"
#include "metrics/metrics.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writing ---- */

static bool set_new(json_t *object, const char *key, json_t *value)
{
    return value && json_object_set_new(object, key, value) == 0;
}

static json_int_t clamp(uint64_t count)
{
    return count > INT64_MAX ? INT64_MAX : (json_int_t)count;
}

static json_t *time_json(int64_t milliseconds, bool known)
{
    char text[EVENT_TIME_TEXT_SIZE];
    if (!known)
        return json_null();
    return event_time_format_ms(milliseconds, text) ? json_string(text) : NULL;
}

static json_t *list_json(const struct metric_evidence *evidence, size_t field)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < evidence->top_count[field]; i++) {
        const struct metric_evidence_value *value = &evidence->top[field][i];
        json_t *entry = json_object();
        bool built = entry && set_new(entry, "value", json_string(value->value)) &&
                     set_new(entry, "count", json_integer(clamp(value->count)));
        if (!built || json_array_append_new(list, entry) != 0) {
            if (!built)
                json_decref(entry);
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

static json_t *samples_json(const struct metric_evidence *evidence)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < evidence->sample_count; i++) {
        json_t *sample = json_loads(evidence->samples[i], JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(sample) || json_array_append_new(list, sample) != 0) {
            if (!json_is_object(sample))
                json_decref(sample);
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

static json_t *evidence_object(const struct metric_evidence *evidence)
{
    bool known = evidence->first_seen_ms <= evidence->last_seen_ms;
    json_t *object = json_object();
    bool built = object && set_new(object, "events", json_integer(clamp(evidence->events))) &&
                 /* only when some are: evidence without suppressions reads as before */
                 (evidence->suppressed == 0 ||
                  set_new(object, "suppressed", json_integer(clamp(evidence->suppressed)))) &&
                 set_new(object, "firstSeen", time_json(evidence->first_seen_ms, known)) &&
                 set_new(object, "lastSeen", time_json(evidence->last_seen_ms, known));
    for (size_t field = 0; built && field < METRIC_EVIDENCE_FIELD_COUNT; field++)
        built = set_new(object, metric_evidence_field_key(field), list_json(evidence, field));
    built = built && set_new(object, "samples", samples_json(evidence));
    if (!built) {
        json_decref(object);
        return NULL;
    }
    return object;
}

char *metric_evidence_to_json(const struct metric_evidence *evidence)
{
    json_t *object = evidence_object(evidence);
    char *text = object ? json_dumps(object, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(object);
    return text;
}

/* ---- reading ---- */

__attribute__((format(printf, 2, 3))) static bool fail(struct metrics_error *error,
                                                       const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    int written = snprintf(error->message, sizeof error->message, "evidence: ");
    vsnprintf(error->message + written, sizeof error->message - (size_t)written, format, arguments);
    va_end(arguments);
    return false;
}

static bool read_count(json_t *value, uint64_t minimum, uint64_t *count)
{
    if (!json_is_integer(value) || json_integer_value(value) < (json_int_t)minimum)
        return false;
    *count = (uint64_t)json_integer_value(value);
    return true;
}

static bool read_times(json_t *object, struct metric_evidence *evidence,
                       struct metrics_error *error)
{
    json_t *first = json_object_get(object, "firstSeen"),
           *last = json_object_get(object, "lastSeen");
    if (json_is_null(first) && json_is_null(last))
        return true;
    const char *first_text = json_string_value(first), *last_text = json_string_value(last);
    if (!first_text || !last_text ||
        !event_time_parse_ms(first_text, strlen(first_text), &evidence->first_seen_ms) ||
        !event_time_parse_ms(last_text, strlen(last_text), &evidence->last_seen_ms)) {
        metric_evidence_init(evidence);
        return fail(error, "firstSeen and lastSeen must both be times or both null");
    }
    char written[EVENT_TIME_TEXT_SIZE];
    if (evidence->first_seen_ms > evidence->last_seen_ms ||
        !event_time_format_ms(evidence->first_seen_ms, written) ||
        !event_time_format_ms(evidence->last_seen_ms, written)) {
        metric_evidence_init(evidence);
        return fail(error, "firstSeen must be a time no later than lastSeen, in years 0-9999");
    }
    return true;
}

static bool has_value(const struct metric_evidence *evidence, size_t field, const char *value)
{
    for (size_t i = 0; i < evidence->top_count[field]; i++)
        if (strcmp(evidence->top[field][i].value, value) == 0)
            return true;
    return false;
}

static bool read_entry(json_t *entry, struct metric_evidence *evidence, size_t field,
                       struct metrics_error *error)
{
    const char *key = metric_evidence_field_key(field);
    size_t index = evidence->top_count[field];
    json_t *value = json_object_get(entry, "value");
    uint64_t count;
    if (!json_is_object(entry) || json_object_size(entry) != 2 || !json_is_string(value) ||
        !read_count(json_object_get(entry, "count"), 1, &count))
        return fail(error, "%s[%zu] must be {\"value\": text, \"count\": positive integer}", key,
                    index);
    if (json_string_length(value) > METRIC_EVIDENCE_VALUE_MAX)
        return fail(error, "%s[%zu]: value longer than %d bytes", key, index,
                    METRIC_EVIDENCE_VALUE_MAX);
    if (has_value(evidence, field, json_string_value(value)))
        return fail(error, "%s[%zu]: value listed twice", key, index);
    char *copy = strdup(json_string_value(value));
    if (!copy)
        return fail(error, "out of memory");
    evidence->top[field][index] = (struct metric_evidence_value){copy, count};
    evidence->top_count[field]++;
    return true;
}

static bool read_list(json_t *object, struct metric_evidence *evidence, size_t field,
                      struct metrics_error *error)
{
    const char *key = metric_evidence_field_key(field);
    json_t *list = json_object_get(object, key);
    if (!json_is_array(list) || json_array_size(list) > METRIC_EVIDENCE_TOP)
        return fail(error, "%s must be a list of at most %d values", key, METRIC_EVIDENCE_TOP);
    for (size_t i = 0; i < json_array_size(list); i++)
        if (!read_entry(json_array_get(list, i), evidence, field, error))
            return false;
    return true;
}

static bool read_samples(json_t *object, struct metric_evidence *evidence,
                         struct metrics_error *error)
{
    json_t *list = json_object_get(object, "samples");
    if (!json_is_array(list) || json_array_size(list) > METRIC_EVIDENCE_SAMPLES)
        return fail(error, "samples must be a list of at most %d objects", METRIC_EVIDENCE_SAMPLES);
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *sample = json_array_get(list, i);
        if (!json_is_object(sample))
            return fail(error, "samples[%zu] must be an object", i);
        char *text = json_dumps(sample, JSON_COMPACT | JSON_PRESERVE_ORDER);
        if (!text)
            return fail(error, "out of memory");
        if (strlen(text) > METRIC_EVIDENCE_SAMPLE_MAX) {
            free(text);
            return fail(error, "samples[%zu] is longer than %d bytes", i,
                        METRIC_EVIDENCE_SAMPLE_MAX);
        }
        evidence->samples[evidence->sample_count++] = text;
    }
    return true;
}

static bool check_keys(json_t *object, struct metrics_error *error)
{
    const char *key;
    json_t *value;
    json_object_foreach(object, key, value)
    {
        bool known = strcmp(key, "events") == 0 || strcmp(key, "suppressed") == 0 ||
                     strcmp(key, "firstSeen") == 0 || strcmp(key, "lastSeen") == 0 ||
                     strcmp(key, "samples") == 0;
        for (size_t field = 0; !known && field < METRIC_EVIDENCE_FIELD_COUNT; field++)
            known = strcmp(key, metric_evidence_field_key(field)) == 0;
        if (!known)
            return fail(error, "unknown key \"%.100s\"", key);
    }
    /* the four keys above and one per field, each known and none twice: all are there
     * ("suppressed" is optional) */
    size_t optional = json_object_get(object, "suppressed") != NULL;
    if (json_object_size(object) != 4 + optional + METRIC_EVIDENCE_FIELD_COUNT)
        return fail(error, "every key is required (events, firstSeen, lastSeen, principals, "
                           "sourceIPs, eventNames, errorCodes, accounts, regions, denials, "
                           "samples)");
    return true;
}

static bool read_object(json_t *object, struct metric_evidence *evidence,
                        struct metrics_error *error)
{
    if (!json_is_object(object))
        return fail(error, "not a JSON object");
    if (!check_keys(object, error))
        return false;
    if (!read_count(json_object_get(object, "events"), 0, &evidence->events))
        return fail(error, "events must be a non-negative integer");
    json_t *suppressed = json_object_get(object, "suppressed");
    if (suppressed && (!read_count(suppressed, 0, &evidence->suppressed) ||
                       evidence->suppressed > evidence->events))
        return fail(error, "suppressed must be an integer from 0 to events");
    bool read = read_times(object, evidence, error);
    for (size_t field = 0; read && field < METRIC_EVIDENCE_FIELD_COUNT; field++)
        read = read_list(object, evidence, field, error);
    return read && read_samples(object, evidence, error);
}

bool metric_evidence_from_json(const char *text, struct metric_evidence *evidence,
                               struct metrics_error *error)
{
    metric_evidence_init(evidence);
    json_error_t json_error;
    json_t *object = json_loads(text, JSON_REJECT_DUPLICATES, &json_error);
    if (!object)
        return fail(error, "invalid JSON at line %d column %d: %.200s", json_error.line,
                    json_error.column, json_error.text);
    bool read = read_object(object, evidence, error);
    json_decref(object);
    if (!read) {
        metric_evidence_free(evidence);
        return false;
    }
    evidence_sort(evidence);
    return true;
}
