/* The JSON extractor: one strict, streaming pass over a message that validates it and
 * resolves a list of selectors, without building a tree.
 *
 * Selector states: a selector's next step is always its step at the current depth (each
 * step consumes one nesting level), so a live state is just a selector index. The states
 * live along the current path are kept as a stack of index sets in one reused buffer.
 *
 * Values are first recorded as (selector, value) pairs in document order; decoded strings
 * are recorded as offsets into the scratch buffer, which may move when it grows. When the
 * document turns out valid, a stable counting sort groups the pairs by selector and the
 * scratch offsets become pointers. */
#include "base/text.h"
#include "events/event.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growable byte buffer; decoded strings and temporary number copies go here. */
struct scratch {
    char *bytes;
    size_t length;
    size_t capacity;
};

/* A value found for one selector, before grouping. */
struct recorded_value {
    size_t selector;
    struct event_value value;
    size_t scratch_offset; /* SIZE_MAX: value.text is final (in the message or NULL) */
};

struct event_extractor {
    struct scratch scratch;
    size_t *live; /* stack of live selector-index sets, one set per open container */
    size_t live_capacity;
    struct recorded_value *recorded;
    size_t recorded_count;
    size_t recorded_capacity;
    struct event_value *values; /* recorded values grouped by selector */
    size_t values_capacity;
    struct event_selection *selections;
    size_t selections_capacity;
};

/* A set of live selector indices: extractor->live[begin .. begin + count). */
struct live_set {
    size_t begin;
    size_t count;
};

/* A string as scanned: either in place in the message or decoded into scratch. */
struct scanned_string {
    const char *text; /* in place; NULL when decoded into scratch */
    size_t scratch_offset;
    size_t length;
};

struct json_reader {
    struct event_extractor *extractor;
    const unsigned char *bytes;
    size_t length;
    size_t position;
    const struct selector *selectors;
    struct event_json_error error;
    bool out_of_memory;
};

/* ---- Errors ---------------------------------------------------------------------------- */

static bool reader_fail(struct json_reader *reader, size_t offset, const char *format, ...)
{
    reader->error.offset = offset;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(reader->error.reason, sizeof reader->error.reason, format, arguments);
    va_end(arguments);
    return false;
}

static bool reader_out_of_memory(struct json_reader *reader)
{
    reader->out_of_memory = true;
    return reader_fail(reader, SIZE_MAX, "out of memory");
}

static bool fail_truncated(struct json_reader *reader, const char *what)
{
    return reader_fail(reader, reader->length, "%s", what);
}

/* Names the byte at `offset` readably: 'x' when printable ASCII, else 0xNN. */
static bool fail_unexpected(struct json_reader *reader, size_t offset, const char *context)
{
    unsigned char byte = reader->bytes[offset];
    if (byte >= 0x20 && byte < 0x7f)
        return reader_fail(reader, offset, "unexpected character '%c'%s", byte, context);
    return reader_fail(reader, offset, "unexpected byte 0x%02x%s", byte, context);
}

/* ---- Memory ---------------------------------------------------------------------------- */

/* Makes room for `needed` items; buffers only grow, so the steady state allocates nothing. */
static bool ensure_capacity(void **items, size_t *capacity, size_t needed, size_t item_size)
{
    if (needed <= *capacity)
        return true;
    size_t new_capacity = *capacity ? *capacity : 16;
    while (new_capacity < needed) {
        if (new_capacity > SIZE_MAX / 2)
            return false;
        new_capacity *= 2;
    }
    if (new_capacity > SIZE_MAX / item_size)
        return false;
    void *grown = realloc(*items, new_capacity * item_size);
    if (!grown)
        return false;
    *items = grown;
    *capacity = new_capacity;
    return true;
}

static bool scratch_append(struct json_reader *reader, const void *bytes, size_t length)
{
    struct scratch *scratch = &reader->extractor->scratch;
    if (length == 0)
        return true; /* scratch->bytes may still be NULL */
    if (length > SIZE_MAX - scratch->length)
        return reader_out_of_memory(reader);
    if (!ensure_capacity((void **)&scratch->bytes, &scratch->capacity, scratch->length + length, 1))
        return reader_out_of_memory(reader);
    memcpy(scratch->bytes + scratch->length, bytes, length);
    scratch->length += length;
    return true;
}

/* ---- Whitespace and literals ------------------------------------------------------------- */

static void skip_whitespace(struct json_reader *reader)
{
    const unsigned char *bytes = reader->bytes;
    size_t position = reader->position;
    while (position < reader->length && (bytes[position] == ' ' || bytes[position] == '\n' ||
                                         bytes[position] == '\r' || bytes[position] == '\t'))
        position++;
    reader->position = position;
}

static bool reader_at_end(const struct json_reader *reader)
{
    return reader->position >= reader->length;
}

/* Reads `true`, `false` or `null`; the first byte is already known to match. */
static bool read_literal(struct json_reader *reader, const char *literal)
{
    size_t literal_length = strlen(literal);
    for (size_t i = 1; i < literal_length; i++) {
        size_t offset = reader->position + i;
        if (offset >= reader->length)
            return fail_truncated(reader, "unexpected end of input");
        if (reader->bytes[offset] != (unsigned char)literal[i])
            return reader_fail(reader, offset, "invalid literal, expected '%s'", literal);
    }
    reader->position += literal_length;
    return true;
}

/* ---- Strings ------------------------------------------------------------------------------ */

/* Byte classes inside a string: plain bytes are copied as they are. */
enum string_byte_class {
    STRING_BYTE_PLAIN,
    STRING_BYTE_QUOTE,
    STRING_BYTE_BACKSLASH,
    STRING_BYTE_CONTROL,
    STRING_BYTE_NON_ASCII,
};

#define C_ STRING_BYTE_CONTROL
#define U_ STRING_BYTE_NON_ASCII
static const unsigned char string_byte_classes[256] = {
    C_, C_, C_, C_, C_, C_, C_, C_, C_, C_, C_, C_, C_, C_, C_, C_, /* 0x00 */
    C_, C_, C_, C_, C_, C_, C_, C_, C_, C_, C_, C_, C_, C_, C_, C_, /* 0x10 */
    0,  0,  1,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 0x20: '"' */
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 0x30 */
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 0x40 */
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  2,  0,  0,  0,  /* 0x50: '\\' */
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 0x60 */
    0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  0,  /* 0x70 */
    U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, /* 0x80 */
    U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, /* 0x90 */
    U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, /* 0xa0 */
    U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, /* 0xb0 */
    U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, /* 0xc0 */
    U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, /* 0xd0 */
    U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, /* 0xe0 */
    U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, U_, /* 0xf0 */
};
#undef C_
#undef U_

/* True when any of the 8 bytes in `word` is a quote, a backslash, a control byte or
 * non-ASCII (the classic "has zero byte" bit trick, exact as a yes/no answer). */
static inline bool word_has_special_string_byte(uint64_t word)
{
    const uint64_t ones = 0x0101010101010101u;
    const uint64_t highs = 0x8080808080808080u;
    uint64_t quote = word ^ (ones * '"');
    uint64_t backslash = word ^ (ones * '\\');
    uint64_t special = ((quote - ones) & ~quote) | ((backslash - ones) & ~backslash) |
                       ((word - ones * 0x20) & ~word) | word;
    return (special & highs) != 0;
}

/* Skips the run of plain bytes from `position`, 8 at a time while it can. */
static inline size_t skip_plain_string_bytes(const unsigned char *bytes, size_t position,
                                             size_t length)
{
    while (length - position >= 8) {
        uint64_t word;
        memcpy(&word, bytes + position, sizeof word);
        if (word_has_special_string_byte(word))
            break;
        position += 8;
    }
    while (position < length && string_byte_classes[bytes[position]] == STRING_BYTE_PLAIN)
        position++;
    return position;
}

/* Explains why `second` may not follow `lead` (both known to be a lead and a byte
 * outside the allowed range). */
static bool fail_utf8_second_byte(struct json_reader *reader, size_t offset, unsigned char lead,
                                  unsigned char second)
{
    bool continuation = second >= 0x80 && second <= 0xbf;
    if (!continuation)
        return reader_fail(reader, offset, "truncated UTF-8 sequence before byte 0x%02x", second);
    if (lead == 0xe0 || lead == 0xf0)
        return reader_fail(reader, offset, "overlong UTF-8 encoding (bytes 0x%02x 0x%02x)", lead,
                           second);
    if (lead == 0xed)
        return reader_fail(reader, offset, "UTF-8 encoded surrogate (bytes 0xed 0x%02x)", second);
    return reader_fail(reader, offset, "UTF-8 code point above U+10FFFF (bytes 0xf4 0x%02x)",
                       second);
}

/* Validates the multi-byte sequence at reader->position and steps over it. */
static bool skip_utf8_sequence(struct json_reader *reader)
{
    const unsigned char *bytes = reader->bytes;
    size_t start = reader->position;
    unsigned char lead = bytes[start];
    struct utf8_lead rule = utf8_lead_for(lead);
    if (rule.length == 0) {
        if (lead == 0xc0 || lead == 0xc1)
            return reader_fail(reader, start, "overlong UTF-8 encoding (byte 0x%02x)", lead);
        return reader_fail(reader, start, "invalid UTF-8 byte 0x%02x", lead);
    }
    for (size_t i = 1; i < rule.length; i++) {
        size_t offset = start + i;
        if (offset >= reader->length)
            return fail_truncated(reader, "unterminated string");
        unsigned char byte = bytes[offset];
        unsigned char low = i == 1 ? rule.second_low : 0x80;
        unsigned char high = i == 1 ? rule.second_high : 0xbf;
        if (byte < low || byte > high) {
            if (i == 1)
                return fail_utf8_second_byte(reader, offset, lead, byte);
            return reader_fail(reader, offset, "truncated UTF-8 sequence before byte 0x%02x", byte);
        }
    }
    reader->position = start + rule.length;
    return true;
}

/* Reads the 4 hex digits of the \u escape whose backslash is at `escape_start`. */
static bool read_unicode_escape_digits(struct json_reader *reader, size_t escape_start,
                                       unsigned *code_unit)
{
    unsigned value = 0;
    for (size_t i = 2; i < 6; i++) {
        size_t offset = escape_start + i;
        if (offset >= reader->length)
            return fail_truncated(reader, "unterminated string");
        int digit = hex_digit_value(reader->bytes[offset]);
        if (digit < 0)
            return reader_fail(reader, escape_start, "invalid \\u escape: expected 4 hex digits");
        value = value * 16 + (unsigned)digit;
    }
    *code_unit = value;
    return true;
}

/* Reads a \uXXXX escape (a surrogate pair counts as one) into a code point. */
static bool read_unicode_escape(struct json_reader *reader, unsigned *code_point)
{
    size_t start = reader->position;
    unsigned first;
    if (!read_unicode_escape_digits(reader, start, &first))
        return false;
    if (first >= 0xdc00 && first <= 0xdfff)
        return reader_fail(reader, start, "lone surrogate \\u%04x", first);
    if (first < 0xd800 || first > 0xdbff) {
        reader->position = start + 6;
        *code_point = first;
        return true;
    }
    size_t second_start = start + 6;
    for (size_t i = 0; i < 2; i++) {
        if (second_start + i >= reader->length)
            return fail_truncated(reader, "unterminated string");
        if (reader->bytes[second_start + i] != (unsigned char)"\\u"[i])
            return reader_fail(reader, start, "lone surrogate \\u%04x", first);
    }
    unsigned second;
    if (!read_unicode_escape_digits(reader, second_start, &second))
        return false;
    if (second < 0xdc00 || second > 0xdfff)
        return reader_fail(reader, start, "lone surrogate \\u%04x", first);
    reader->position = second_start + 6;
    *code_point = 0x10000 + ((first - 0xd800) << 10) + (second - 0xdc00);
    return true;
}

/* Reads the escape at reader->position (a backslash) into 1 to 4 UTF-8 bytes. */
static bool read_escape(struct json_reader *reader, unsigned char decoded[4], size_t *length)
{
    size_t start = reader->position;
    if (start + 1 >= reader->length)
        return fail_truncated(reader, "unterminated string");
    unsigned char kind = reader->bytes[start + 1];
    static const char simple_escapes[] = "\"\\/bfnrt";
    static const char simple_values[] = "\"\\/\b\f\n\r\t";
    const char *found = kind ? strchr(simple_escapes, kind) : NULL;
    if (found) {
        decoded[0] = (unsigned char)simple_values[found - simple_escapes];
        *length = 1;
        reader->position = start + 2;
        return true;
    }
    if (kind == 'u') {
        unsigned code_point = 0;
        if (!read_unicode_escape(reader, &code_point))
            return false;
        *length = json_utf8_encode(code_point, decoded);
        return true;
    }
    if (kind >= 0x21 && kind < 0x7f)
        return reader_fail(reader, start, "invalid escape \\%c", kind);
    return reader_fail(reader, start, "invalid escape: byte 0x%02x after '\\'", kind);
}

/* Starts decoding into scratch: copies what was scanned in place so far. */
static bool begin_decoding(struct json_reader *reader, struct scanned_string *string,
                           size_t content_start)
{
    string->text = NULL;
    string->scratch_offset = reader->extractor->scratch.length;
    return scratch_append(reader, reader->bytes + content_start, reader->position - content_start);
}

/* Reads the string at reader->position (an opening quote), validating it. With `decode`,
 * `string` receives its text: in place when it has no escapes, else decoded into
 * scratch. Without, escapes are only validated. */
static bool read_string(struct json_reader *reader, bool decode, struct scanned_string *string)
{
    const unsigned char *bytes = reader->bytes;
    size_t content_start = reader->position + 1;
    size_t copied_until = content_start; /* when decoding into scratch */
    bool in_scratch = false;
    reader->position = content_start;
    string->text = (const char *)bytes + content_start;
    string->scratch_offset = 0;
    for (;;) {
        size_t position = skip_plain_string_bytes(bytes, reader->position, reader->length);
        reader->position = position;
        if (position >= reader->length)
            return fail_truncated(reader, "unterminated string");
        switch (string_byte_classes[bytes[position]]) {
        case STRING_BYTE_QUOTE:
            if (in_scratch &&
                !scratch_append(reader, bytes + copied_until, position - copied_until))
                return false;
            string->length = in_scratch ? reader->extractor->scratch.length - string->scratch_offset
                                        : position - content_start;
            reader->position = position + 1;
            return true;
        case STRING_BYTE_BACKSLASH: {
            if (decode && !in_scratch) {
                if (!begin_decoding(reader, string, content_start))
                    return false;
                in_scratch = true;
            } else if (in_scratch &&
                       !scratch_append(reader, bytes + copied_until, position - copied_until)) {
                return false;
            }
            unsigned char decoded[4];
            size_t decoded_length = 0;
            if (!read_escape(reader, decoded, &decoded_length))
                return false;
            if (in_scratch && !scratch_append(reader, decoded, decoded_length))
                return false;
            copied_until = reader->position;
            break;
        }
        case STRING_BYTE_CONTROL:
            return reader_fail(reader, position, "unescaped control character 0x%02x in string",
                               bytes[position]);
        default:
            if (!skip_utf8_sequence(reader))
                return false;
            break;
        }
    }
}

/* ---- Numbers ------------------------------------------------------------------------------ */

static bool is_digit(unsigned char byte)
{
    return byte >= '0' && byte <= '9';
}

static void skip_digits(struct json_reader *reader)
{
    while (reader->position < reader->length && is_digit(reader->bytes[reader->position]))
        reader->position++;
}

/* Requires at least one digit at reader->position, then skips them all. */
static bool read_required_digits(struct json_reader *reader, const char *reason)
{
    if (reader_at_end(reader))
        return fail_truncated(reader, reason);
    if (!is_digit(reader->bytes[reader->position]))
        return reader_fail(reader, reader->position, "%s", reason);
    skip_digits(reader);
    return true;
}

/* Reads a number per the RFC 8259 grammar; `*is_plain_integer` says it has no fraction
 * and no exponent. */
static bool read_number(struct json_reader *reader, bool *is_plain_integer)
{
    *is_plain_integer = true;
    if (reader->bytes[reader->position] == '-')
        reader->position++;
    if (reader_at_end(reader))
        return fail_truncated(reader, "'-' must be followed by a digit");
    if (reader->bytes[reader->position] == '0') {
        reader->position++;
        if (!reader_at_end(reader) && is_digit(reader->bytes[reader->position]))
            return reader_fail(reader, reader->position, "leading zero in number");
    } else if (!read_required_digits(reader, "'-' must be followed by a digit")) {
        return false;
    }
    if (!reader_at_end(reader) && reader->bytes[reader->position] == '.') {
        *is_plain_integer = false;
        reader->position++;
        if (!read_required_digits(reader, "fraction needs digits after '.'"))
            return false;
    }
    if (!reader_at_end(reader) &&
        (reader->bytes[reader->position] == 'e' || reader->bytes[reader->position] == 'E')) {
        *is_plain_integer = false;
        reader->position++;
        if (!reader_at_end(reader) &&
            (reader->bytes[reader->position] == '+' || reader->bytes[reader->position] == '-'))
            reader->position++;
        if (!read_required_digits(reader, "exponent needs digits"))
            return false;
    }
    return true;
}

/* The value of a validated number literal. Integers of up to 19 digits fit in 64 bits, and
 * converting those to double rounds correctly, so they skip strtod; the rest get a
 * NUL-terminated copy (the message is not terminated) in scratch, released afterwards. */
static bool number_value(struct json_reader *reader, const char *text, size_t length,
                         bool is_plain_integer, double *value)
{
    bool negative = text[0] == '-';
    size_t digit_count = length - (negative ? 1 : 0);
    if (is_plain_integer && digit_count <= 19) {
        uint64_t magnitude = 0;
        for (size_t i = negative ? 1 : 0; i < length; i++)
            magnitude = magnitude * 10 + (uint64_t)(text[i] - '0');
        *value = negative ? -(double)magnitude : (double)magnitude;
        return true;
    }
    struct scratch *scratch = &reader->extractor->scratch;
    size_t mark = scratch->length;
    if (!scratch_append(reader, text, length) || !scratch_append(reader, "", 1))
        return false;
    *value = strtod(scratch->bytes + mark, NULL);
    scratch->length = mark;
    return true;
}

/* ---- Selector states ---------------------------------------------------------------------- */

static const struct selector_step *step_at(const struct json_reader *reader, size_t selector,
                                           size_t depth)
{
    return &reader->selectors[selector].steps[depth];
}

/* True when some live selector has consumed all its steps at this value. */
static bool any_selector_completes(const struct json_reader *reader, struct live_set live,
                                   size_t depth)
{
    const size_t *selectors = reader->extractor->live; /* NULL when there are none */
    for (size_t i = live.begin; i < live.begin + live.count; i++)
        if (reader->selectors[selectors[i]].step_count == depth)
            return true;
    return false;
}

/* True when some live selector continues into an object member by name, which needs the
 * member's decoded key. */
static bool any_selector_needs_key(const struct json_reader *reader, struct live_set live,
                                   size_t depth)
{
    const size_t *selectors = reader->extractor->live;
    for (size_t i = live.begin; i < live.begin + live.count; i++)
        if (reader->selectors[selectors[i]].step_count > depth &&
            step_at(reader, selectors[i], depth)->kind == SELECTOR_STEP_MEMBER)
            return true;
    return false;
}

/* Records `value` for every live selector that completes at it. */
static bool record_value(struct json_reader *reader, struct live_set live, size_t depth,
                         const struct event_value *value, size_t scratch_offset)
{
    struct event_extractor *extractor = reader->extractor;
    for (size_t i = 0; i < live.count; i++) {
        size_t selector = extractor->live[live.begin + i];
        if (reader->selectors[selector].step_count != depth)
            continue;
        if (!ensure_capacity((void **)&extractor->recorded, &extractor->recorded_capacity,
                             extractor->recorded_count + 1, sizeof *extractor->recorded))
            return reader_out_of_memory(reader);
        extractor->recorded[extractor->recorded_count++] = (struct recorded_value){
            .selector = selector, .value = *value, .scratch_offset = scratch_offset};
    }
    return true;
}

static bool record_kind(struct json_reader *reader, struct live_set live, size_t depth,
                        enum event_value_kind kind)
{
    struct event_value value = {.kind = kind};
    return record_value(reader, live, depth, &value, SIZE_MAX);
}

/* The live set for the member `key` (NULL when not decoded) of an object at `depth`,
 * written just above `parent` on the stack. */
static struct live_set member_states(struct json_reader *reader, struct live_set parent,
                                     size_t depth, const char *key, size_t key_length)
{
    size_t *live = reader->extractor->live;
    struct live_set child = {.begin = parent.begin + parent.count, .count = 0};
    for (size_t i = 0; i < parent.count; i++) {
        size_t selector = live[parent.begin + i];
        if (reader->selectors[selector].step_count <= depth)
            continue;
        const struct selector_step *step = step_at(reader, selector, depth);
        bool matches = step->kind == SELECTOR_STEP_ANY_MEMBER ||
                       (step->kind == SELECTOR_STEP_MEMBER && step->name_length == key_length &&
                        (key_length == 0 || memcmp(step->name, key, key_length) == 0));
        if (matches)
            live[child.begin + child.count++] = selector;
    }
    return child;
}

/* The live set for element `index` of an array at `depth`. */
static struct live_set element_states(struct json_reader *reader, struct live_set parent,
                                      size_t depth, size_t index)
{
    size_t *live = reader->extractor->live;
    struct live_set child = {.begin = parent.begin + parent.count, .count = 0};
    for (size_t i = 0; i < parent.count; i++) {
        size_t selector = live[parent.begin + i];
        if (reader->selectors[selector].step_count <= depth)
            continue;
        const struct selector_step *step = step_at(reader, selector, depth);
        bool matches = step->kind == SELECTOR_STEP_ANY_INDEX ||
                       (step->kind == SELECTOR_STEP_INDEX && step->index == index);
        if (matches)
            live[child.begin + child.count++] = selector;
    }
    return child;
}

/* ---- Values ------------------------------------------------------------------------------- */

static bool read_value(struct json_reader *reader, struct live_set live, size_t depth);

/* Records an object's or array's kind and steps into it; *empty when `closer` ends it at
 * once (then stepped over too). The reader is on the opening bracket. */
static bool open_container(struct json_reader *reader, struct live_set live, size_t depth,
                           enum event_value_kind kind, char closer, bool *empty)
{
    if (!record_kind(reader, live, depth, kind))
        return false;
    if (depth >= EVENT_JSON_MAX_DEPTH)
        return reader_fail(reader, reader->position, "nesting deeper than %d",
                           EVENT_JSON_MAX_DEPTH);
    reader->position++;
    skip_whitespace(reader);
    *empty = !reader_at_end(reader) && reader->bytes[reader->position] == closer;
    if (*empty)
        reader->position++;
    return true;
}

/* After a member or an element: steps over ',' (refusing a trailing comma) and says
 * whether the container goes on. */
static bool read_separator(struct json_reader *reader, char closer, const char *what, bool *more)
{
    skip_whitespace(reader);
    if (reader_at_end(reader))
        return fail_truncated(reader, "unexpected end of input");
    unsigned char byte = reader->bytes[reader->position];
    if (byte == (unsigned char)closer) {
        reader->position++;
        *more = false;
        return true;
    }
    if (byte != ',')
        return reader_fail(reader, reader->position, "expected ',' or '%c' after %s", closer, what);
    reader->position++;
    skip_whitespace(reader);
    if (!reader_at_end(reader) && reader->bytes[reader->position] == (unsigned char)closer)
        return reader_fail(reader, reader->position, "trailing comma before '%c'", closer);
    *more = true;
    return true;
}

/* Reads one member's key and returns the live set for its value. */
static bool read_member_key(struct json_reader *reader, struct live_set live, size_t depth,
                            bool need_key, struct live_set *child)
{
    if (reader_at_end(reader))
        return fail_truncated(reader, "unexpected end of input");
    if (reader->bytes[reader->position] != '"')
        return reader_fail(reader, reader->position, "expected string key");
    struct scratch *scratch = &reader->extractor->scratch;
    size_t mark = scratch->length;
    struct scanned_string key;
    if (!read_string(reader, need_key, &key))
        return false;
    const char *key_text = key.text ? key.text : scratch->bytes + key.scratch_offset;
    *child =
        member_states(reader, live, depth, need_key ? key_text : NULL, need_key ? key.length : 0);
    scratch->length = mark; /* the key was only needed for matching */
    skip_whitespace(reader);
    if (reader_at_end(reader))
        return fail_truncated(reader, "unexpected end of input");
    if (reader->bytes[reader->position] != ':')
        return reader_fail(reader, reader->position, "expected ':' after object key");
    reader->position++;
    return true;
}

static bool read_object(struct json_reader *reader, struct live_set live, size_t depth)
{
    bool empty;
    if (!open_container(reader, live, depth, EVENT_VALUE_OBJECT, '}', &empty))
        return false;
    if (empty)
        return true;
    bool need_key = any_selector_needs_key(reader, live, depth);
    for (bool more = true; more;) {
        struct live_set child;
        if (!read_member_key(reader, live, depth, need_key, &child) ||
            !read_value(reader, child, depth + 1) ||
            !read_separator(reader, '}', "object member", &more))
            return false;
    }
    return true;
}

static bool read_array(struct json_reader *reader, struct live_set live, size_t depth)
{
    bool empty;
    if (!open_container(reader, live, depth, EVENT_VALUE_ARRAY, ']', &empty))
        return false;
    if (empty)
        return true;
    size_t index = 0;
    for (bool more = true; more; index++) {
        struct live_set child = element_states(reader, live, depth, index);
        if (!read_value(reader, child, depth + 1) ||
            !read_separator(reader, ']', "array element", &more))
            return false;
    }
    return true;
}

static bool read_string_value(struct json_reader *reader, struct live_set live, size_t depth)
{
    bool wanted = any_selector_completes(reader, live, depth);
    struct scanned_string string;
    if (!read_string(reader, wanted, &string))
        return false;
    if (!wanted)
        return true;
    struct event_value value = {
        .kind = EVENT_VALUE_STRING, .text = string.text, .length = string.length};
    return record_value(reader, live, depth, &value,
                        string.text ? SIZE_MAX : string.scratch_offset);
}

static bool read_number_value(struct json_reader *reader, struct live_set live, size_t depth)
{
    size_t start = reader->position;
    bool is_plain_integer;
    if (!read_number(reader, &is_plain_integer))
        return false;
    if (!any_selector_completes(reader, live, depth))
        return true;
    struct event_value value = {.kind = EVENT_VALUE_NUMBER,
                                .text = (const char *)reader->bytes + start,
                                .length = reader->position - start};
    if (!number_value(reader, value.text, value.length, is_plain_integer, &value.number))
        return false;
    return record_value(reader, live, depth, &value, SIZE_MAX);
}

static bool read_literal_value(struct json_reader *reader, struct live_set live, size_t depth,
                               const char *literal, enum event_value_kind kind)
{
    return read_literal(reader, literal) && record_kind(reader, live, depth, kind);
}

/* Reads the value at reader->position (after optional whitespace); `live` are the
 * selectors whose first `depth` steps led here. */
static bool read_value(struct json_reader *reader, struct live_set live, size_t depth)
{
    skip_whitespace(reader);
    if (reader_at_end(reader))
        return fail_truncated(reader,
                              reader->length == 0 ? "empty message" : "unexpected end of input");
    switch (reader->bytes[reader->position]) {
    case '{':
        return read_object(reader, live, depth);
    case '[':
        return read_array(reader, live, depth);
    case '"':
        return read_string_value(reader, live, depth);
    case 't':
        return read_literal_value(reader, live, depth, "true", EVENT_VALUE_TRUE);
    case 'f':
        return read_literal_value(reader, live, depth, "false", EVENT_VALUE_FALSE);
    case 'n':
        return read_literal_value(reader, live, depth, "null", EVENT_VALUE_NULL);
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9':
        return read_number_value(reader, live, depth);
    default:
        return fail_unexpected(reader, reader->position, "");
    }
}

static bool read_document(struct json_reader *reader, struct live_set root)
{
    if (!read_value(reader, root, 0))
        return false;
    skip_whitespace(reader);
    if (!reader_at_end(reader))
        return fail_unexpected(reader, reader->position, " after the JSON value");
    return true;
}

/* ---- Extraction --------------------------------------------------------------------------- */

/* Sizes the per-call buffers: each selector is live in at most one set per depth it can
 * reach, so the live stack never needs to grow during the walk. */
static bool prepare_buffers(struct event_extractor *extractor, const struct selector *selectors,
                            size_t selector_count)
{
    size_t live_needed = 0;
    for (size_t i = 0; i < selector_count; i++) {
        size_t steps = selectors[i].step_count;
        size_t levels = (steps < EVENT_JSON_MAX_DEPTH ? steps : EVENT_JSON_MAX_DEPTH) + 1;
        if (levels > SIZE_MAX - live_needed)
            return false;
        live_needed += levels;
    }
    if (!ensure_capacity((void **)&extractor->live, &extractor->live_capacity, live_needed,
                         sizeof *extractor->live) ||
        !ensure_capacity((void **)&extractor->selections, &extractor->selections_capacity,
                         selector_count, sizeof *extractor->selections))
        return false;
    for (size_t i = 0; i < selector_count; i++) {
        extractor->live[i] = i;
        extractor->selections[i] = (struct event_selection){.values = NULL, .count = 0};
    }
    extractor->scratch.length = 0;
    extractor->recorded_count = 0;
    return true;
}

/* Groups the recorded values by selector, keeping document order within each (a stable
 * counting sort), and turns scratch offsets into pointers now that scratch stops moving.
 * While placing, selections[i].count holds the next free slot of selector i. */
static bool group_values_by_selector(struct event_extractor *extractor, size_t selector_count)
{
    size_t count = extractor->recorded_count;
    if (!ensure_capacity((void **)&extractor->values, &extractor->values_capacity, count,
                         sizeof *extractor->values))
        return false;
    struct event_selection *selections = extractor->selections;
    for (size_t i = 0; i < count; i++)
        selections[extractor->recorded[i].selector].count++;
    size_t start = 0;
    for (size_t i = 0; i < selector_count; i++) {
        size_t selector_values = selections[i].count;
        selections[i].count = start;
        start += selector_values;
    }
    for (size_t i = 0; i < count; i++) {
        const struct recorded_value *recorded = &extractor->recorded[i];
        struct event_value *value = &extractor->values[selections[recorded->selector].count++];
        *value = recorded->value;
        if (recorded->scratch_offset != SIZE_MAX)
            value->text = extractor->scratch.bytes + recorded->scratch_offset;
    }
    /* Each count is now the end of its selector's run, which the next run starts at. */
    start = 0;
    for (size_t i = 0; i < selector_count; i++) {
        size_t end = selections[i].count;
        selections[i].values = end > start ? extractor->values + start : NULL;
        selections[i].count = end - start;
        start = end;
    }
    return true;
}

static void clear_selections(struct event_extractor *extractor, size_t selector_count)
{
    for (size_t i = 0; i < selector_count; i++)
        extractor->selections[i] = (struct event_selection){.values = NULL, .count = 0};
}

struct event_extractor *event_extractor_create(void)
{
    return calloc(1, sizeof(struct event_extractor));
}

void event_extractor_free(struct event_extractor *extractor)
{
    if (!extractor)
        return;
    free(extractor->scratch.bytes);
    free(extractor->live);
    free(extractor->recorded);
    free(extractor->values);
    free(extractor->selections);
    free(extractor);
}

static bool fail_extraction(struct event *out, struct event_json_error *error,
                            const struct event_json_error *reason)
{
    out->is_json = false;
    if (error)
        *error = *reason;
    return false;
}

bool event_extract_json(struct event_extractor *extractor, const char *message,
                        size_t message_length, const struct selector *selectors,
                        size_t selector_count, struct event *out, struct event_json_error *error)
{
    *out = event_from_text(message, message_length);
    struct json_reader reader = {.extractor = extractor,
                                 .bytes = (const unsigned char *)message,
                                 .length = message_length,
                                 .selectors = selectors};
    if (!prepare_buffers(extractor, selectors, selector_count)) {
        reader_out_of_memory(&reader);
        return fail_extraction(out, error, &reader.error);
    }
    out->selections = extractor->selections;
    out->selection_count = selector_count;
    struct live_set root = {.begin = 0, .count = selector_count};
    if (!read_document(&reader, root)) {
        clear_selections(extractor, selector_count);
        return fail_extraction(out, error, &reader.error);
    }
    if (!group_values_by_selector(extractor, selector_count)) {
        clear_selections(extractor, selector_count);
        reader_out_of_memory(&reader);
        return fail_extraction(out, error, &reader.error);
    }
    out->is_json = true;
    return true;
}

struct event event_from_text(const char *message, size_t message_length)
{
    return (struct event){.message = message,
                          .message_length = message_length,
                          .is_json = false,
                          .selections = NULL,
                          .selection_count = 0};
}
