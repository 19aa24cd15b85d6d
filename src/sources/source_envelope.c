/* The envelope parser: the JSON structure around events (Records arrays, EventBridge
 * envelopes, subscription payloads, lookup-events output), parsed token by token with an
 * explicit stack so it can stop wherever the window ends and resume after a refill. Each
 * event, and each value the envelope does not care about, is validated in one piece by the
 * skipper, which needs it whole in the window.
 *
 * Sizes are judged per unit, never by how much the window holds: a unit that is not done
 * within its limit (max_event_bytes for events, unit_limit for anything else) is too large,
 * whatever else is wrong with it further on. */
#include "sources/source_internal.h"

#include <string.h>

/* Longest member name worth decoding for comparison. */
#define ENVELOPE_KEY_BYTES 32

/* The member of an envelope object that holds its events, and what that member is. */
struct envelope_member {
    enum frame_role object_role;
    const char *key;
    enum frame_role value_role;
    const char *what; /* for messages */
};

static const struct envelope_member envelope_members[] = {
    {ROLE_RECORDS_OBJECT, "Records", ROLE_EVENT_LIST, "\"Records\""},
    {ROLE_SUBSCRIPTION, "logEvents", ROLE_LOG_EVENT_LIST, "\"logEvents\""},
    {ROLE_LOOKUP_RESPONSE, "Events", ROLE_LOOKUP_LIST, "\"Events\""},
    {ROLE_EVENTBRIDGE, "detail", ROLE_EVENT, "\"detail\""},
    {ROLE_LOG_EVENT, "message", ROLE_EVENT_TEXT, "\"message\""},
    {ROLE_LOOKUP_ENTRY, "CloudTrailEvent", ROLE_EVENT_TEXT, "\"CloudTrailEvent\""},
};
#define ENVELOPE_MEMBER_COUNT (sizeof envelope_members / sizeof envelope_members[0])

static const struct envelope_member *member_of(enum frame_role object_role)
{
    for (size_t i = 0; i < ENVELOPE_MEMBER_COUNT; i++)
        if (envelope_members[i].object_role == object_role)
            return &envelope_members[i];
    return NULL;
}

/* What the object of `role` is called in messages. */
static const char *object_name(enum frame_role role)
{
    switch (role) {
    case ROLE_RECORDS_OBJECT:
        return "CloudTrail delivery object";
    case ROLE_SUBSCRIPTION:
        return "subscription payload";
    case ROLE_LOOKUP_RESPONSE:
        return "lookup-events output";
    case ROLE_EVENTBRIDGE:
        return "EventBridge envelope";
    case ROLE_LOG_EVENT:
        return "log event";
    default:
        return "lookup-events entry";
    }
}

static bool is_object_role(enum frame_role role)
{
    return role >= ROLE_RECORDS_OBJECT && role <= ROLE_LOOKUP_ENTRY;
}

static bool is_list_role(enum frame_role role)
{
    return role >= ROLE_EVENT_LIST && role <= ROLE_LOOKUP_LIST;
}

static enum frame_role element_role(enum frame_role list_role)
{
    switch (list_role) {
    case ROLE_EVENTBRIDGE_LIST:
        return ROLE_EVENTBRIDGE;
    case ROLE_LOG_EVENT_LIST:
        return ROLE_LOG_EVENT;
    case ROLE_LOOKUP_LIST:
        return ROLE_LOOKUP_ENTRY;
    default:
        return ROLE_EVENT;
    }
}

void envelope_start(struct envelope_parser *parser, enum frame_role root_role, bool one_document,
                    size_t max_event_bytes, size_t unit_limit)
{
    *parser = (struct envelope_parser){
        .root_role = root_role,
        .one_document = one_document,
        .max_event_bytes = max_event_bytes,
        .unit_limit = unit_limit,
        .state = EXPECT_DOCUMENT,
    };
}

/* ---- Units and their sizes ---------------------------------------------------------------- */

static bool pending_is_event(const struct envelope_parser *parser)
{
    return parser->state == EXPECT_VALUE &&
           (parser->pending_role == ROLE_EVENT || parser->pending_role == ROLE_EVENT_TEXT);
}

/* The size limit of the unit starting with `first`: an event object is delivered as
 * written, so max_event_bytes; an event string shrinks when decoded, so it is checked again
 * after decoding. */
static size_t unit_size_limit(const struct envelope_parser *parser, unsigned char first)
{
    return pending_is_event(parser) && first == '{' ? parser->max_event_bytes : parser->unit_limit;
}

static enum envelope_status fail_too_large(const struct envelope_parser *parser, size_t start,
                                           struct json_error *error)
{
    if (pending_is_event(parser))
        json_fail(error, start, "event larger than %zu bytes", parser->max_event_bytes);
    else
        json_fail(error, start, "JSON value larger than %zu bytes", parser->unit_limit);
    return ENVELOPE_ERROR;
}

/* Turns the skipper's verdict on the unit at `start` into the parser's, applying the unit's
 * size limit to how far the skipper got. */
static enum envelope_status unit_status(const struct envelope_parser *parser,
                                        const unsigned char *bytes, enum json_scan scan,
                                        size_t start, size_t reached, struct json_error *error)
{
    if (reached - start > unit_size_limit(parser, bytes[start]))
        return fail_too_large(parser, start, error);
    if (scan == JSON_SCAN_NEED_MORE)
        return ENVELOPE_NEED_MORE;
    return scan == JSON_SCAN_ERROR ? ENVELOPE_ERROR : ENVELOPE_END;
}

/* How far a scan got: its end when done, the error's position, or the limit. */
static size_t scan_reach(enum json_scan scan, size_t end, size_t limit,
                         const struct json_error *error)
{
    if (scan == JSON_SCAN_DONE)
        return end;
    return scan == JSON_SCAN_ERROR ? error->reached : limit;
}

/* ---- Containers ------------------------------------------------------------------------------ */

static void after_value(struct envelope_parser *parser)
{
    if (parser->depth == 0) {
        parser->state = EXPECT_DOCUMENT;
        parser->documents++;
    } else {
        parser->state = EXPECT_SEPARATOR;
    }
}

static void open_container(struct envelope_parser *parser, enum frame_role role)
{
    parser->frames[parser->depth++] = (struct envelope_frame){role, false, false};
    parser->state = is_object_role(role) ? EXPECT_KEY_OR_CLOSE : EXPECT_ELEMENT_OR_CLOSE;
}

static enum envelope_status close_container(struct envelope_parser *parser, size_t position,
                                            struct json_error *error)
{
    const struct envelope_frame *frame = &parser->frames[parser->depth - 1];
    if (is_object_role(frame->role) && !frame->found_target) {
        const struct envelope_member *member = member_of(frame->role);
        json_fail(error, position, "%s without %s", object_name(frame->role), member->what);
        return ENVELOPE_ERROR;
    }
    parser->depth--;
    after_value(parser);
    return ENVELOPE_END;
}

/* ---- Values ------------------------------------------------------------------------------------
 */

static enum envelope_status fail_kind(const struct envelope_parser *parser, size_t position,
                                      const char *kind, struct json_error *error)
{
    json_fail(error, position, "%s is not %s", parser->pending_name, kind);
    return ENVELOPE_ERROR;
}

/* Validates the value at bytes[*position] whole; *end is past it. */
static enum envelope_status skip_unit(const struct envelope_parser *parser,
                                      const unsigned char *bytes, size_t position, size_t limit,
                                      size_t *end, struct json_error *error)
{
    enum json_scan scan = json_skip_value(bytes, position, limit, end, error);
    return unit_status(parser, bytes, scan, position, scan_reach(scan, *end, limit, error), error);
}

static enum envelope_status deliver_object(struct envelope_parser *parser,
                                           struct event_target *target, const unsigned char *bytes,
                                           size_t *position, size_t limit, struct json_error *error)
{
    size_t end = 0;
    enum envelope_status status = skip_unit(parser, bytes, *position, limit, &end, error);
    if (status != ENVELOPE_END)
        return status;
    batch_add(target->reader, target->file, bytes + *position, end - *position, target->line,
              target->base_offset + *position);
    *position = end;
    return ENVELOPE_END;
}

/* Delivers the string at bytes[*position] decoded, as an event. */
static enum envelope_status deliver_string(struct envelope_parser *parser,
                                           struct event_target *target, const unsigned char *bytes,
                                           size_t *position, size_t limit, struct json_error *error)
{
    size_t start = *position;
    size_t end = 0;
    bool has_escapes;
    enum json_scan scan = json_skip_string(bytes, start, limit, &end, &has_escapes, error);
    enum envelope_status status =
        unit_status(parser, bytes, scan, start, scan_reach(scan, end, limit, error), error);
    if (status != ENVELOPE_END)
        return status;
    const unsigned char *body = bytes + start + 1;
    size_t length = end - start - 2;
    const unsigned char *message = body;
    if (has_escapes) {
        unsigned char *decoded = batch_reserve_text(target->reader, length);
        if (!decoded) {
            json_fail(error, start, "out of memory");
            return ENVELOPE_ERROR;
        }
        length = event_json_unescape(body, length, decoded);
        batch_commit_text(target->reader, length);
        message = decoded;
    }
    if (length > parser->max_event_bytes) {
        json_fail(error, start, "event larger than %zu bytes", parser->max_event_bytes);
        return ENVELOPE_ERROR;
    }
    batch_add(target->reader, target->file, message, length, target->line,
              target->base_offset + start + 1);
    *position = end;
    return ENVELOPE_END;
}

/* A messageType of CONTROL_MESSAGE means the payload's messages are not events. */
static enum envelope_status read_message_type(struct envelope_parser *parser,
                                              const unsigned char *bytes, size_t *position,
                                              size_t limit, struct json_error *error)
{
    size_t end = 0;
    enum envelope_status status = skip_unit(parser, bytes, *position, limit, &end, error);
    if (status != ENVELOPE_END)
        return status;
    static const char control[] = "\"CONTROL_MESSAGE\"";
    if (end - *position == sizeof control - 1 &&
        memcmp(bytes + *position, control, end - *position) == 0)
        parser->frames[0].control = true;
    *position = end;
    return ENVELOPE_END;
}

/* Reads the value of the pending role at bytes[*position] (not whitespace). */
static enum envelope_status read_value(struct envelope_parser *parser, struct event_target *target,
                                       const unsigned char *bytes, size_t *position, size_t limit,
                                       struct json_error *error)
{
    enum frame_role role = parser->pending_role;
    unsigned char first = bytes[*position];
    enum envelope_status status = ENVELOPE_END;
    size_t end = 0;
    if (role == ROLE_SKIP) {
        status = skip_unit(parser, bytes, *position, limit, &end, error);
        if (status == ENVELOPE_END)
            *position = end;
    } else if (role == ROLE_MESSAGE_TYPE) {
        status = read_message_type(parser, bytes, position, limit, error);
    } else if (role == ROLE_EVENT_TEXT && first == '"') {
        status = deliver_string(parser, target, bytes, position, limit, error);
    } else if (role == ROLE_EVENT || role == ROLE_EVENT_TEXT) {
        if (first != '{')
            return fail_kind(parser, *position,
                             role == ROLE_EVENT ? "an object" : "a string or an object", error);
        status = deliver_object(parser, target, bytes, position, limit, error);
    } else {
        bool list = is_list_role(role);
        if (first != (list ? '[' : '{'))
            return fail_kind(parser, *position, list ? "an array" : "an object", error);
        if (parser->depth == ENVELOPE_MAX_DEPTH) { /* the roles never nest deeper */
            json_fail(error, *position, "envelope nesting deeper than %d", ENVELOPE_MAX_DEPTH);
            return ENVELOPE_ERROR;
        }
        open_container(parser, role);
        (*position)++;
        return ENVELOPE_END;
    }
    if (status == ENVELOPE_END)
        after_value(parser);
    return status;
}

static bool key_is(const unsigned char *key, size_t length, const char *name)
{
    return length == strlen(name) && memcmp(key, name, length) == 0;
}

/* Reads a member name and its colon at bytes[*position] and sets up the member's value. */
static enum envelope_status read_key(struct envelope_parser *parser, const unsigned char *bytes,
                                     size_t *position, size_t limit, struct json_error *error)
{
    size_t start = *position;
    if (bytes[start] != '"') {
        json_fail(error, start, "expected string key");
        return ENVELOPE_ERROR;
    }
    size_t key_end = 0;
    bool has_escapes;
    enum json_scan scan = json_skip_string(bytes, start, limit, &key_end, &has_escapes, error);
    enum envelope_status status =
        unit_status(parser, bytes, scan, start, scan_reach(scan, key_end, limit, error), error);
    if (status != ENVELOPE_END)
        return status;
    size_t colon = json_skip_whitespace(bytes, key_end, limit);
    if (colon >= limit)
        return ENVELOPE_NEED_MORE;
    if (colon + 1 - start > parser->unit_limit) /* blanks count toward the key's unit */
        return fail_too_large(parser, start, error);
    if (bytes[colon] != ':') {
        json_fail(error, colon, "expected ':' after object key");
        return ENVELOPE_ERROR;
    }
    struct envelope_frame *frame = &parser->frames[parser->depth - 1];
    const struct envelope_member *member = member_of(frame->role);
    /* Longer names match nothing the envelopes look for, so only short ones are decoded. */
    unsigned char key[ENVELOPE_KEY_BYTES];
    size_t raw_length = key_end - start - 2;
    size_t length = 0;
    if (raw_length <= sizeof key)
        length = event_json_unescape(bytes + start + 1, raw_length, key);
    parser->pending_role = ROLE_SKIP;
    parser->pending_name = "member";
    if (key_is(key, length, member->key)) {
        frame->found_target = true;
        parser->pending_role = parser->frames[0].control ? ROLE_SKIP : member->value_role;
        parser->pending_name = member->what;
    } else if (frame->role == ROLE_SUBSCRIPTION && key_is(key, length, "messageType")) {
        parser->pending_role = ROLE_MESSAGE_TYPE;
    }
    parser->state = EXPECT_VALUE;
    *position = colon + 1;
    return ENVELOPE_END;
}

/* After a value inside a container: ',' or the container's closer. */
static enum envelope_status read_separator(struct envelope_parser *parser,
                                           const unsigned char *bytes, size_t *position,
                                           struct json_error *error)
{
    const struct envelope_frame *frame = &parser->frames[parser->depth - 1];
    bool object = is_object_role(frame->role);
    char closer = object ? '}' : ']';
    unsigned char byte = bytes[*position];
    if (byte == (unsigned char)closer) {
        (*position)++;
        return close_container(parser, *position - 1, error);
    }
    if (byte != ',') {
        json_fail(error, *position, "expected ',' or '%c' after %s", closer,
                  object ? "object member" : "array element");
        return ENVELOPE_ERROR;
    }
    (*position)++;
    parser->state = object ? EXPECT_KEY : EXPECT_ELEMENT;
    return ENVELOPE_END;
}

/* Starts the next element of the innermost list, or closes it. */
static enum envelope_status read_element_start(struct envelope_parser *parser,
                                               const unsigned char *bytes, size_t *position,
                                               struct json_error *error)
{
    if (bytes[*position] == ']') {
        if (parser->state == EXPECT_ELEMENT) {
            json_fail(error, *position, "trailing comma before ']'");
            return ENVELOPE_ERROR;
        }
        (*position)++;
        return close_container(parser, *position - 1, error);
    }
    parser->pending_role = element_role(parser->frames[parser->depth - 1].role);
    parser->pending_name = "array element";
    parser->state = EXPECT_VALUE;
    return ENVELOPE_END;
}

static enum envelope_status read_member_start(struct envelope_parser *parser,
                                              const unsigned char *bytes, size_t *position,
                                              size_t limit, struct json_error *error)
{
    if (bytes[*position] == '}') {
        if (parser->state == EXPECT_KEY) {
            json_fail(error, *position, "trailing comma before '}'");
            return ENVELOPE_ERROR;
        }
        (*position)++;
        return close_container(parser, *position - 1, error);
    }
    return read_key(parser, bytes, position, limit, error);
}

static enum envelope_status start_document(struct envelope_parser *parser, size_t position,
                                           struct json_error *error)
{
    if (parser->one_document && parser->documents > 0) {
        json_fail(error, position, "unexpected content after the JSON value");
        return ENVELOPE_ERROR;
    }
    parser->pending_role = parser->root_role;
    parser->pending_name = "top-level value";
    parser->state = EXPECT_VALUE;
    return ENVELOPE_END;
}

/* One token (or one whole value) at bytes[*position]. ENVELOPE_END means "go on". */
static enum envelope_status step(struct envelope_parser *parser, struct event_target *target,
                                 const unsigned char *bytes, size_t *position, size_t limit,
                                 struct json_error *error)
{
    switch (parser->state) {
    case EXPECT_DOCUMENT:
        return start_document(parser, *position, error);
    case EXPECT_VALUE:
        return read_value(parser, target, bytes, position, limit, error);
    case EXPECT_ELEMENT_OR_CLOSE:
    case EXPECT_ELEMENT:
        return read_element_start(parser, bytes, position, error);
    case EXPECT_KEY_OR_CLOSE:
    case EXPECT_KEY:
        return read_member_start(parser, bytes, position, limit, error);
    case EXPECT_SEPARATOR:
        return read_separator(parser, bytes, position, error);
    }
    return ENVELOPE_ERROR;
}

enum envelope_status envelope_parse(struct envelope_parser *parser, struct event_target *target,
                                    const unsigned char *bytes, size_t *position, size_t limit,
                                    bool at_end, struct json_error *error)
{
    for (;;) {
        *position = json_skip_whitespace(bytes, *position, limit);
        if (*position >= limit)
            return parser->state == EXPECT_DOCUMENT && at_end ? ENVELOPE_END : ENVELOPE_NEED_MORE;
        size_t start = *position;
        enum envelope_status status = step(parser, target, bytes, position, limit, error);
        if (status == ENVELOPE_NEED_MORE && limit - start > unit_size_limit(parser, bytes[start]))
            return fail_too_large(parser, start, error);
        if (status != ENVELOPE_END)
            return status;
    }
}
