/* Evidence as JSON text, for the store (one document per bucket) and for messages:
 * {"events":N,"firstSeen":"…Z"|null,"lastSeen":"…Z"|null,"principals":[{"value":"…",
 * "count":N}],"sourceIPs":[…],"eventNames":[…],"errorCodes":[…],"accounts":[…],
 * "regions":[…],"denials":[…],"samples":[{…}]}. Reading is strict — every key required,
 * unknown or duplicate keys, wrong types and the limits refused — so a damaged record is
 * noticed, not half-read. */
#include "events/event.h"
#include "metrics/event_time.h"
#include "metrics/evidence_internal.h"
#include "metrics/metrics.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writing ----
 *
 * By hand, not through a jansson tree: a scan writes one document per bucket, and building
 * and dumping the tree cost ten times more than the text. Strings are escaped exactly as
 * jansson's compact dump escapes them, so what from_json reads back is written again byte
 * for byte. */

static bool append_text(struct evidence_text *out, const char *text)
{
    return evidence_text_append(out, text, strlen(text));
}

static bool append_count(struct evidence_text *out, uint64_t count)
{
    char digits[24];
    size_t at = sizeof digits;
    if (count > INT64_MAX) /* JSON readers hold 64-bit signed integers */
        count = INT64_MAX;
    do {
        digits[--at] = (char)('0' + count % 10);
        count /= 10;
    } while (count > 0);
    return evidence_text_append(out, digits + at, sizeof digits - at);
}

static bool append_time(struct evidence_text *out, const char *key, int64_t milliseconds,
                        bool known)
{
    char text[EVENT_TIME_TEXT_SIZE];
    if (!append_text(out, key))
        return false;
    if (!known)
        return append_text(out, "null");
    return event_time_format_ms(milliseconds, text) && evidence_text_append(out, "\"", 1) &&
           append_text(out, text) && evidence_text_append(out, "\"", 1);
}

static bool append_list(struct evidence_text *out, const struct metric_evidence *evidence,
                        size_t field)
{
    bool written = evidence_text_append(out, ",\"", 2) &&
                   append_text(out, metric_evidence_field_key(field)) &&
                   evidence_text_append(out, "\":[", 3);
    for (size_t i = 0; written && i < evidence->top_count[field]; i++) {
        const struct metric_evidence_value *value = &evidence->top[field][i];
        written = append_text(out, i ? ",{\"value\":" : "{\"value\":") &&
                  evidence_text_append_string(out, value->value, strlen(value->value)) &&
                  append_text(out, ",\"count\":") && append_count(out, value->count) &&
                  evidence_text_append(out, "}", 1);
    }
    return written && evidence_text_append(out, "]", 1);
}

/* Samples are kept as text: one JSON object by the extractor's rules (strict RFC 8259 and
 * UTF-8, nesting at most EVENT_JSON_MAX_DEPTH), checked on the way in and out. */
static bool is_json_object(struct event_extractor *extractor, const char *sample)
{
    struct event event;
    return sample[0] == '{' &&
           event_extract_json(extractor, sample, strlen(sample), NULL, 0, &event, NULL);
}

static bool append_sample(struct evidence_text *out, struct event_extractor *extractor,
                          const char *sample)
{
    return is_json_object(extractor, sample) && append_text(out, sample);
}

static bool append_samples(struct evidence_text *out, const struct metric_evidence *evidence)
{
    struct event_extractor *extractor = event_extractor_create();
    bool written = extractor && append_text(out, ",\"samples\":[");
    for (size_t i = 0; written && i < evidence->sample_count; i++)
        written = (i == 0 || evidence_text_append(out, ",", 1)) &&
                  append_sample(out, extractor, evidence->samples[i]);
    event_extractor_free(extractor);
    return written && evidence_text_append(out, "]", 1);
}

char *metric_evidence_to_json(const struct metric_evidence *evidence)
{
    bool known = evidence->first_seen_ms <= evidence->last_seen_ms;
    struct evidence_text out = {0};
    bool written = append_text(&out, "{\"events\":") && append_count(&out, evidence->events) &&
                   /* only when some are: evidence without suppressions reads as before */
                   (evidence->suppressed == 0 || (append_text(&out, ",\"suppressed\":") &&
                                                  append_count(&out, evidence->suppressed))) &&
                   append_time(&out, ",\"firstSeen\":", evidence->first_seen_ms, known) &&
                   append_time(&out, ",\"lastSeen\":", evidence->last_seen_ms, known);
    for (size_t field = 0; written && field < METRIC_EVIDENCE_FIELD_COUNT; field++)
        written = append_list(&out, evidence, field);
    written = written && append_samples(&out, evidence) && evidence_text_append(&out, "}", 1);
    if (!written)
        evidence_text_free(&out);
    return out.text;
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

/* A sample is kept as jansson's compact text of it. */
static bool read_sample(json_t *sample, size_t index, struct event_extractor *extractor,
                        struct metric_evidence *evidence, struct metrics_error *error)
{
    if (!json_is_object(sample))
        return fail(error, "samples[%zu] must be an object", index);
    char *text = json_dumps(sample, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text)
        return fail(error, "out of memory");
    evidence->samples[evidence->sample_count++] = text;
    if (strlen(text) > METRIC_EVIDENCE_SAMPLE_MAX)
        return fail(error, "samples[%zu] is longer than %d bytes", index,
                    METRIC_EVIDENCE_SAMPLE_MAX);
    if (!is_json_object(extractor, text))
        return fail(error, "samples[%zu] is not strict JSON of at most %d levels", index,
                    EVENT_JSON_MAX_DEPTH);
    return true;
}

static bool read_samples(json_t *object, struct metric_evidence *evidence,
                         struct metrics_error *error)
{
    json_t *list = json_object_get(object, "samples");
    if (!json_is_array(list) || json_array_size(list) > METRIC_EVIDENCE_SAMPLES)
        return fail(error, "samples must be a list of at most %d objects", METRIC_EVIDENCE_SAMPLES);
    struct event_extractor *extractor = event_extractor_create();
    if (!extractor)
        return fail(error, "out of memory");
    bool read = true;
    for (size_t i = 0; read && i < json_array_size(list); i++)
        read = read_sample(json_array_get(list, i), i, extractor, evidence, error);
    event_extractor_free(extractor);
    return read;
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
    if (json_object_size(object) != 4 + METRIC_EVIDENCE_FIELD_COUNT + optional)
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

/* ---- the round trip without the parse ----
 *
 * A replay in memory hands a transition its buckets' evidence as the store would: through
 * the JSON text. jansson's parse of that text is most of the replay's cost, and where the
 * text reads back as the evidence it was written from, it can be skipped: the checks below
 * are what from_json refuses or changes, and anything they do not vouch for takes the parse.
 * Samples must be as jansson's compact dump writes them (from_json keeps that dump of each):
 * no space outside strings, its escapes only, only objects, arrays and strings (no number or
 * literal, whose dump may differ), no key twice in an object. */

#define SAMPLE_CHECK_MAX_DEPTH 8
#define SAMPLE_CHECK_MAX_KEYS 32

static bool is_upper_hex(char digit)
{
    return (digit >= '0' && digit <= '9') || (digit >= 'A' && digit <= 'F');
}

/* The end of the string starting at the quote `at` when jansson would write it the same,
 * NULL when not (or not sure). */
static const char *dumped_string_end(const char *at)
{
    for (at++; *at != '"'; at++) {
        unsigned char byte = (unsigned char)*at;
        if (byte < 0x20) /* the end of the text, or a raw control character */
            return NULL;
        if (byte != '\\')
            continue;
        char next = at[1];
        if (next != '\0' && strchr("\"\\bfnrt", next)) {
            at++;
            continue;
        }
        /* \u00XX for control characters without a two-character form */
        if (next != 'u' || at[2] != '0' || at[3] != '0' || (at[4] != '0' && at[4] != '1') ||
            !is_upper_hex(at[5]))
            return NULL;
        int value = (at[4] - '0') * 16 + (at[5] <= '9' ? at[5] - '0' : at[5] - 'A' + 10);
        if (value == 0 || value == '\b' || value == '\f' || value == '\n' || value == '\r' ||
            value == '\t') /* jansson refuses \u0000 */
            return NULL;
        at += 5;
    }
    return at + 1;
}

static const char *dumped_value_end(const char *at, int depth);

/* Escapes are canonical, so equal keys are equal bytes. */
static bool key_seen(const char *const *keys, const size_t *lengths, size_t count, const char *key,
                     size_t length)
{
    for (size_t i = 0; i < count; i++)
        if (lengths[i] == length && memcmp(keys[i], key, length) == 0)
            return true;
    return false;
}

static const char *dumped_object_end(const char *at, int depth)
{
    const char *keys[SAMPLE_CHECK_MAX_KEYS];
    size_t lengths[SAMPLE_CHECK_MAX_KEYS], count = 0;
    if (*++at == '}')
        return at + 1;
    for (;;) {
        const char *key_end = *at == '"' ? dumped_string_end(at) : NULL;
        if (!key_end || *key_end != ':' || count == SAMPLE_CHECK_MAX_KEYS ||
            key_seen(keys, lengths, count, at, (size_t)(key_end - at)))
            return NULL;
        keys[count] = at;
        lengths[count++] = (size_t)(key_end - at);
        at = dumped_value_end(key_end + 1, depth);
        if (!at || (*at != ',' && *at != '}'))
            return NULL;
        if (*at++ == '}')
            return at;
    }
}

static const char *dumped_array_end(const char *at, int depth)
{
    if (*++at == ']')
        return at + 1;
    for (;;) {
        at = dumped_value_end(at, depth);
        if (!at || (*at != ',' && *at != ']'))
            return NULL;
        if (*at++ == ']')
            return at;
    }
}

static const char *dumped_value_end(const char *at, int depth)
{
    if (*at == '"')
        return dumped_string_end(at);
    if (depth >= SAMPLE_CHECK_MAX_DEPTH)
        return NULL;
    if (*at == '{')
        return dumped_object_end(at, depth + 1);
    if (*at == '[')
        return dumped_array_end(at, depth + 1);
    return NULL;
}

static bool sample_as_dumped(const char *sample)
{
    const char *end = sample[0] == '{' ? dumped_value_end(sample, 0) : NULL;
    return end && *end == '\0' && (size_t)(end - sample) <= METRIC_EVIDENCE_SAMPLE_MAX;
}

static bool list_reads_back(const struct metric_evidence *evidence, size_t field)
{
    for (size_t i = 0; i < evidence->top_count[field]; i++) {
        const struct metric_evidence_value *entry = &evidence->top[field][i];
        if (entry->count < 1 || entry->count > INT64_MAX ||
            strlen(entry->value) > METRIC_EVIDENCE_VALUE_MAX)
            return false;
        for (size_t j = 0; j < i; j++)
            if (strcmp(evidence->top[field][j].value, entry->value) == 0)
                return false;
    }
    return true;
}

/* Whether from_json reads the text written of `evidence` back as `evidence` itself (but for
 * the order, which evidence_sort gives): true only when sure. */
static bool reads_back(const struct metric_evidence *evidence)
{
    bool known = evidence->first_seen_ms <= evidence->last_seen_ms;
    if (!known && (evidence->first_seen_ms != INT64_MAX || evidence->last_seen_ms != INT64_MIN))
        return false; /* written as null, read as unknown */
    if (evidence->events > INT64_MAX || evidence->suppressed > evidence->events ||
        evidence->sample_count > METRIC_EVIDENCE_SAMPLES)
        return false;
    for (size_t field = 0; field < METRIC_EVIDENCE_FIELD_COUNT; field++)
        if (evidence->top_count[field] > METRIC_EVIDENCE_TOP || !list_reads_back(evidence, field))
            return false;
    for (size_t i = 0; i < evidence->sample_count; i++)
        if (!sample_as_dumped(evidence->samples[i]))
            return false;
    return true;
}

bool metric_evidence_round_trip(struct metric_evidence *evidence, struct metrics_error *error)
{
    char *text = metric_evidence_to_json(evidence);
    if (!text)
        return fail(error, "cannot be written as JSON");
    /* written (strings are UTF-8, samples strict JSON, times in years 0-9999): the checks
     * left are from_json's own */
    bool as_is = reads_back(evidence);
    struct metric_evidence read;
    bool ok = as_is || metric_evidence_from_json(text, &read, error);
    free(text);
    if (!ok)
        return false;
    if (as_is) {
        evidence_sort(evidence);
    } else {
        metric_evidence_free(evidence);
        *evidence = read;
    }
    return true;
}
