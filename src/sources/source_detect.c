/* Layout detection from the first bytes of content (never from the file name).
 *
 * - '{': the root object's members are read in order. A member named Records, logEvents or
 *   messageType, or Events decides an envelope layout at once (its value may be huge). Else
 *   the whole first object is read and classified: an EventBridge envelope ("detail-type",
 *   or "detail" holding an object), a lookup-events entry ("CloudTrailEvent") or an event
 *   ("eventVersion" or "eventName"). An object that sits alone on its first line means one
 *   value per line (NDJSON and the like); otherwise the values are concatenated documents.
 * - '[': an array; its first element decides what the elements are.
 * - anything else, or a first object that is not valid JSON: the first lines are tried one
 *   by one for a CloudWatch Logs export line or a one-line JSON object that classifies as
 *   above, so a file of lines whose first line is garbage is still read as lines. */
#include "sources/source_internal.h"

#include <stdio.h>
#include <string.h>

/* How many non-blank lines the line-by-line fallback looks at. */
#define DETECT_MAX_LINES 100
/* Longest member name worth decoding for comparison ("CloudTrailEvent" is the longest). */
#define DETECT_KEY_BYTES 32

enum item_kind {
    ITEM_NONE,
    ITEM_EVENT,
    ITEM_EVENTBRIDGE,
    ITEM_LOOKUP_ENTRY,
};

/* What the members of an object say about it. */
struct object_keys {
    enum frame_role envelope; /* ROLE_SKIP unless a member decided an envelope */
    bool event;
    bool eventbridge;
    bool lookup_entry;
};

enum scan_result {
    SCAN_COMPLETE, /* the whole object was read */
    SCAN_ENVELOPE, /* a member decided an envelope layout; reading stopped there */
    SCAN_NEED_MORE,
    SCAN_INVALID,
};

static enum item_kind item_kind_of(const struct object_keys *keys)
{
    if (keys->eventbridge)
        return ITEM_EVENTBRIDGE;
    if (keys->lookup_entry)
        return ITEM_LOOKUP_ENTRY;
    if (keys->event)
        return ITEM_EVENT;
    return ITEM_NONE;
}

static bool key_is(const unsigned char *key, size_t length, const char *name)
{
    return length == strlen(name) && memcmp(key, name, length) == 0;
}

/* Notes what the member named key[0, length) says; `value` is its value's first byte. */
static void classify_member(const unsigned char *key, size_t length, unsigned char value,
                            struct object_keys *keys)
{
    if (key_is(key, length, "Records"))
        keys->envelope = ROLE_RECORDS_OBJECT;
    else if (key_is(key, length, "logEvents") || key_is(key, length, "messageType"))
        keys->envelope = ROLE_SUBSCRIPTION;
    else if (key_is(key, length, "Events"))
        keys->envelope = ROLE_LOOKUP_RESPONSE;
    else if (key_is(key, length, "detail-type") || (key_is(key, length, "detail") && value == '{'))
        keys->eventbridge = true;
    else if (key_is(key, length, "CloudTrailEvent"))
        keys->lookup_entry = true;
    else if (key_is(key, length, "eventVersion") || key_is(key, length, "eventName"))
        keys->event = true;
}

static enum scan_result scan_result_of(enum json_scan status)
{
    return status == JSON_SCAN_NEED_MORE ? SCAN_NEED_MORE : SCAN_INVALID;
}

/* Reads one member (key, colon, value) at bytes[*position] and classifies it. */
static enum scan_result scan_member(const unsigned char *bytes, size_t *position, size_t limit,
                                    struct object_keys *keys, struct json_error *error)
{
    size_t start = *position;
    if (bytes[start] != '"') {
        json_fail(error, start, "expected string key");
        return SCAN_INVALID;
    }
    size_t key_end;
    bool has_escapes;
    enum json_scan status = json_skip_string(bytes, start, limit, &key_end, &has_escapes, error);
    if (status != JSON_SCAN_DONE)
        return scan_result_of(status);
    size_t colon = json_skip_whitespace(bytes, key_end, limit);
    if (colon >= limit)
        return SCAN_NEED_MORE;
    if (bytes[colon] != ':') {
        json_fail(error, colon, "expected ':' after object key");
        return SCAN_INVALID;
    }
    size_t value = json_skip_whitespace(bytes, colon + 1, limit);
    if (value >= limit)
        return SCAN_NEED_MORE;
    size_t raw_length = key_end - start - 2;
    if (raw_length <= DETECT_KEY_BYTES) {
        unsigned char key[DETECT_KEY_BYTES];
        size_t length = event_json_unescape(bytes + start + 1, raw_length, key);
        classify_member(key, length, bytes[value], keys);
        if (keys->envelope != ROLE_SKIP)
            return SCAN_ENVELOPE;
    }
    status = json_skip_value(bytes, value, limit, position, error);
    return status == JSON_SCAN_DONE ? SCAN_COMPLETE : scan_result_of(status);
}

/* Reads the object at bytes[start] ('{') member by member; *end is past it when complete. */
static enum scan_result scan_object(const unsigned char *bytes, size_t start, size_t limit,
                                    struct object_keys *keys, size_t *end, struct json_error *error)
{
    *keys = (struct object_keys){ROLE_SKIP, false, false, false};
    size_t position = json_skip_whitespace(bytes, start + 1, limit);
    if (position >= limit)
        return SCAN_NEED_MORE;
    if (bytes[position] == '}') {
        *end = position + 1;
        return SCAN_COMPLETE;
    }
    for (;;) {
        enum scan_result result = scan_member(bytes, &position, limit, keys, error);
        if (result != SCAN_COMPLETE)
            return result;
        position = json_skip_whitespace(bytes, position, limit);
        if (position >= limit)
            return SCAN_NEED_MORE;
        if (bytes[position] == '}') {
            *end = position + 1;
            return SCAN_COMPLETE;
        }
        if (bytes[position] != ',') {
            json_fail(error, position, "expected ',' or '}' after object member");
            return SCAN_INVALID;
        }
        position = json_skip_whitespace(bytes, position + 1, limit);
        if (position >= limit)
            return SCAN_NEED_MORE;
    }
}

/* ---- Results -----------------------------------------------------------------------------------
 */

static bool decide(struct layout_detection *detection, enum source_layout layout,
                   enum frame_mode mode, enum frame_role root_role)
{
    detection->layout = layout;
    detection->mode = mode;
    detection->root_role = root_role;
    return true;
}

static bool unrecognized(struct layout_detection *detection, const char *why)
{
    snprintf(detection->reason, sizeof detection->reason, "%s", why);
    return decide(detection, SOURCE_LAYOUT_UNRECOGNIZED, FRAME_UNRECOGNIZED, ROLE_SKIP);
}

static enum source_layout envelope_layout(enum frame_role envelope)
{
    switch (envelope) {
    case ROLE_SUBSCRIPTION:
        return SOURCE_LAYOUT_CLOUDWATCH_SUBSCRIPTION;
    case ROLE_LOOKUP_RESPONSE:
        return SOURCE_LAYOUT_LOOKUP_EVENTS;
    default:
        return SOURCE_LAYOUT_RECORDS;
    }
}

/* Values that are items (events, EventBridge envelopes, lookup entries), one per line or
 * as concatenated documents. */
static bool decide_items(struct layout_detection *detection, enum item_kind kind, bool lines)
{
    switch (kind) {
    case ITEM_EVENTBRIDGE:
        return decide(detection, SOURCE_LAYOUT_EVENTBRIDGE,
                      lines ? FRAME_ENVELOPE_LINES : FRAME_DOCUMENTS, ROLE_EVENTBRIDGE);
    case ITEM_LOOKUP_ENTRY:
        return decide(detection, SOURCE_LAYOUT_LOOKUP_EVENTS,
                      lines ? FRAME_ENVELOPE_LINES : FRAME_DOCUMENTS, ROLE_LOOKUP_ENTRY);
    default:
        if (lines)
            return decide(detection, SOURCE_LAYOUT_NDJSON, FRAME_EVENT_LINES, ROLE_EVENT);
        return decide(detection, SOURCE_LAYOUT_CONCATENATED, FRAME_DOCUMENTS, ROLE_EVENT);
    }
}

/* ---- Line by line ------------------------------------------------------------------------------
 */

static bool is_blank(unsigned char byte)
{
    return byte == ' ' || byte == '\t' || byte == '\r';
}

/* What a single line [start, end) (blanks trimmed) is, if it says anything. */
static bool detect_line(const unsigned char *bytes, size_t start, size_t end,
                        struct layout_detection *detection)
{
    size_t json_start;
    if (export_timestamp_prefix(bytes, start, end, &json_start) && json_start < end &&
        bytes[json_start] == '{')
        return decide(detection, SOURCE_LAYOUT_CLOUDWATCH_EXPORT, FRAME_EXPORT_LINES, ROLE_EVENT);
    if (bytes[start] != '{')
        return false;
    struct object_keys keys;
    size_t object_end;
    struct json_error error;
    enum scan_result result = scan_object(bytes, start, end, &keys, &object_end, &error);
    if (result == SCAN_ENVELOPE)
        return decide(detection, envelope_layout(keys.envelope), FRAME_ENVELOPE_LINES,
                      keys.envelope);
    if (result != SCAN_COMPLETE || object_end != end || item_kind_of(&keys) == ITEM_NONE)
        return false;
    return decide_items(detection, item_kind_of(&keys), true);
}

/* Tries the first lines one by one; `why` explains a failure. */
static bool detect_by_lines(const unsigned char *bytes, size_t start, size_t length, bool at_end,
                            struct layout_detection *detection, const char *why)
{
    size_t position = start;
    size_t lines = 0;
    while (lines < DETECT_MAX_LINES && position < length) {
        const unsigned char *newline = memchr(bytes + position, '\n', length - position);
        if (!newline && !at_end)
            return false;
        size_t line_end = newline ? (size_t)(newline - bytes) : length;
        size_t first = position;
        while (first < line_end && is_blank(bytes[first]))
            first++;
        size_t last = line_end;
        while (last > first && is_blank(bytes[last - 1]))
            last--;
        if (first < last) {
            lines++;
            if (detect_line(bytes, first, last, detection))
                return true;
        }
        position = line_end + 1;
    }
    if (lines < DETECT_MAX_LINES && !at_end)
        return false; /* the next line may tell */
    return unrecognized(detection, why);
}

/* ---- Objects and arrays
 * -------------------------------------------------------------------------- */

/* Whether only blanks follow bytes[end] up to the end of its line; -1: cannot tell yet. */
static int line_ends_after(const unsigned char *bytes, size_t end, size_t length, bool at_end)
{
    while (end < length && is_blank(bytes[end]))
        end++;
    if (end == length)
        return at_end ? 1 : -1;
    return bytes[end] == '\n';
}

static bool detect_object(const unsigned char *bytes, size_t start, size_t length, bool at_end,
                          struct layout_detection *detection)
{
    struct object_keys keys;
    size_t end = 0;
    struct json_error error = {0, 0, "unexpected end of content"};
    enum scan_result result = scan_object(bytes, start, length, &keys, &end, &error);
    if (result == SCAN_ENVELOPE)
        return decide(detection, envelope_layout(keys.envelope), FRAME_DOCUMENTS, keys.envelope);
    if (result == SCAN_NEED_MORE && !at_end)
        return false;
    enum item_kind kind = item_kind_of(&keys);
    if (result == SCAN_COMPLETE && kind != ITEM_NONE) {
        int one_line = line_ends_after(bytes, end, length, at_end);
        if (one_line < 0)
            return false;
        bool alone = one_line && !memchr(bytes + start, '\n', end - start);
        return decide_items(detection, kind, alone);
    }
    /* Not valid JSON, or not a CloudTrail object: maybe lines whose first is bad. */
    char why[SOURCE_REASON_BYTES];
    if (result == SCAN_COMPLETE)
        snprintf(why, sizeof why,
                 "a JSON object without Records, logEvents, Events, detail, eventVersion or "
                 "eventName");
    else
        snprintf(why, sizeof why, "invalid JSON (%.120s at byte %zu)", error.reason,
                 result == SCAN_NEED_MORE ? length : error.position);
    if (!detect_by_lines(bytes, start, length, at_end, detection, why))
        return false;
    /* An object with CloudTrail keys that fails validation later is a document whose
     * error the framer reports where it is. */
    if (detection->mode == FRAME_UNRECOGNIZED && kind != ITEM_NONE)
        return decide_items(detection, kind, false);
    return true;
}

static bool detect_array(const unsigned char *bytes, size_t start, size_t length, bool at_end,
                         struct layout_detection *detection)
{
    size_t element = json_skip_whitespace(bytes, start + 1, length);
    if (element >= length && !at_end)
        return false;
    if (element >= length || bytes[element] != '{') /* empty, or the framer reports it */
        return decide(detection, SOURCE_LAYOUT_ARRAY, FRAME_DOCUMENTS, ROLE_EVENT_LIST);
    struct object_keys keys;
    size_t end;
    struct json_error error;
    enum scan_result result = scan_object(bytes, element, length, &keys, &end, &error);
    if (result == SCAN_NEED_MORE && !at_end)
        return false;
    enum item_kind kind = item_kind_of(&keys);
    if (result == SCAN_ENVELOPE || (result == SCAN_COMPLETE && kind == ITEM_NONE))
        return unrecognized(detection,
                            "a JSON array whose first element is not a CloudTrail event");
    if (kind == ITEM_EVENTBRIDGE)
        return decide(detection, SOURCE_LAYOUT_EVENTBRIDGE, FRAME_DOCUMENTS, ROLE_EVENTBRIDGE_LIST);
    if (kind == ITEM_LOOKUP_ENTRY)
        return decide(detection, SOURCE_LAYOUT_LOOKUP_EVENTS, FRAME_DOCUMENTS, ROLE_LOOKUP_LIST);
    return decide(detection, SOURCE_LAYOUT_ARRAY, FRAME_DOCUMENTS, ROLE_EVENT_LIST);
}

bool detect_layout(const unsigned char *bytes, size_t length, bool at_end,
                   struct layout_detection *detection)
{
    *detection = (struct layout_detection){.layout = SOURCE_LAYOUT_EMPTY, .mode = FRAME_NOTHING};
    size_t start = json_skip_whitespace(bytes, 0, length);
    if (start >= length)
        return at_end;
    if (bytes[start] == '{')
        return detect_object(bytes, start, length, at_end, detection);
    if (bytes[start] == '[')
        return detect_array(bytes, start, length, at_end, detection);
    char described[16];
    json_describe_byte(bytes[start], described);
    char why[SOURCE_REASON_BYTES];
    snprintf(why, sizeof why,
             "neither JSON nor CloudWatch Logs export lines (first non-blank is %s at byte %zu)",
             described, start);
    return detect_by_lines(bytes, start, length, at_end, detection, why);
}

/* ---- CloudWatch Logs export timestamps ------------------------------------------------------- */

/* Reads `count` digits at bytes[*position] as a number within [low, high]. */
static bool read_field(const unsigned char *bytes, size_t *position, size_t limit, size_t count,
                       unsigned low, unsigned high)
{
    unsigned value = 0;
    for (size_t i = 0; i < count; i++) {
        if (*position >= limit || bytes[*position] < '0' || bytes[*position] > '9')
            return false;
        value = value * 10 + (unsigned)(bytes[(*position)++] - '0');
    }
    return value >= low && value <= high;
}

static bool read_byte(const unsigned char *bytes, size_t *position, size_t limit,
                      unsigned char expected)
{
    if (*position >= limit || bytes[*position] != expected)
        return false;
    (*position)++;
    return true;
}

/* Z, or an offset +HH:MM / +HHMM. */
static bool read_zone(const unsigned char *bytes, size_t *position, size_t limit)
{
    if (read_byte(bytes, position, limit, 'Z'))
        return true;
    if (*position >= limit || (bytes[*position] != '+' && bytes[*position] != '-'))
        return false;
    (*position)++;
    if (!read_field(bytes, position, limit, 2, 0, 23))
        return false;
    read_byte(bytes, position, limit, ':');
    return read_field(bytes, position, limit, 2, 0, 59);
}

bool export_timestamp_prefix(const unsigned char *bytes, size_t start, size_t limit,
                             size_t *json_start)
{
    size_t position = start;
    bool valid =
        read_field(bytes, &position, limit, 4, 0, 9999) &&
        read_byte(bytes, &position, limit, '-') && read_field(bytes, &position, limit, 2, 1, 12) &&
        read_byte(bytes, &position, limit, '-') && read_field(bytes, &position, limit, 2, 1, 31) &&
        read_byte(bytes, &position, limit, 'T') && read_field(bytes, &position, limit, 2, 0, 23) &&
        read_byte(bytes, &position, limit, ':') && read_field(bytes, &position, limit, 2, 0, 59) &&
        read_byte(bytes, &position, limit, ':') && read_field(bytes, &position, limit, 2, 0, 60);
    if (!valid)
        return false;
    if (read_byte(bytes, &position, limit, '.')) {
        size_t digits = 0;
        while (position < limit && bytes[position] >= '0' && bytes[position] <= '9' && digits < 9) {
            position++;
            digits++;
        }
        if (digits == 0)
            return false;
    }
    if (!read_zone(bytes, &position, limit) || !read_byte(bytes, &position, limit, ' '))
        return false;
    *json_start = position;
    return true;
}
