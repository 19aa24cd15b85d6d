/* The validating JSON skipper: finds where a value ends while checking it strictly, with no
 * tree and no allocation. Used for every event of a whole-document layout, so string bodies
 * (most of CloudTrail's bytes) are scanned eight bytes at a time. Error wording follows the
 * events stage's extractor. */
#include "base/text.h"
#include "events/event.h"
#include "sources/source_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

_Static_assert(EVENT_JSON_MAX_DEPTH <= 64, "container kinds are kept in one 64-bit word");

bool json_fail(struct json_error *error, size_t position, const char *format, ...)
{
    error->position = position;
    error->reached = position + 1;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(error->reason, sizeof error->reason, format, arguments);
    va_end(arguments);
    return false;
}

void json_describe_byte(unsigned char byte, char out[16])
{
    if (byte >= 0x20 && byte < 0x7f)
        snprintf(out, 16, "'%c'", byte);
    else
        snprintf(out, 16, "byte 0x%02x", byte);
}

static enum json_scan fail_unexpected(struct json_error *error, const unsigned char *bytes,
                                      size_t position, const char *context)
{
    char described[16];
    json_describe_byte(bytes[position], described);
    json_fail(error, position, "unexpected %s%s", described, context);
    return JSON_SCAN_ERROR;
}

size_t json_skip_whitespace(const unsigned char *bytes, size_t position, size_t limit)
{
    while (position < limit) {
        unsigned char byte = bytes[position];
        if (byte != ' ' && byte != '\n' && byte != '\r' && byte != '\t')
            break;
        position++;
    }
    return position;
}

/* ---- Strings ------------------------------------------------------------------------------ */

enum string_byte {
    STRING_BYTE_PLAIN,
    STRING_BYTE_QUOTE,
    STRING_BYTE_BACKSLASH,
    STRING_BYTE_CONTROL,
    STRING_BYTE_NON_ASCII,
};

static enum string_byte string_byte_class(unsigned char byte)
{
    if (byte == '"')
        return STRING_BYTE_QUOTE;
    if (byte == '\\')
        return STRING_BYTE_BACKSLASH;
    if (byte < 0x20)
        return STRING_BYTE_CONTROL;
    if (byte >= 0x80)
        return STRING_BYTE_NON_ASCII;
    return STRING_BYTE_PLAIN;
}

#define BYTES_OF(value) (0x0101010101010101u * (uint64_t)(value))

/* High bit set in each byte of `word` below `bound` (bound <= 0x80). The lowest flagged byte
 * is always a true one; borrows only flag bytes above it. */
static uint64_t bytes_below(uint64_t word, unsigned bound)
{
    return (word - BYTES_OF(bound)) & ~word & BYTES_OF(0x80);
}

static uint64_t bytes_equal(uint64_t word, unsigned char value)
{
    return bytes_below(word ^ BYTES_OF(value), 1);
}

/* Index of the first byte at or after `position` that is not plain printable ASCII. */
static size_t skip_plain_string_bytes(const unsigned char *bytes, size_t position, size_t limit)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (limit - position >= 8) {
        uint64_t word;
        memcpy(&word, bytes + position, sizeof word);
        uint64_t special = bytes_equal(word, '"') | bytes_equal(word, '\\') |
                           bytes_below(word, 0x20) | (word & BYTES_OF(0x80));
        if (special)
            return position + (size_t)(__builtin_ctzll(special) >> 3);
        position += 8;
    }
#endif
    while (position < limit && string_byte_class(bytes[position]) == STRING_BYTE_PLAIN)
        position++;
    return position;
}

static enum json_scan fail_utf8_second_byte(struct json_error *error, size_t position,
                                            unsigned char lead, unsigned char second)
{
    bool continuation = second >= 0x80 && second <= 0xbf;
    if (!continuation)
        json_fail(error, position, "truncated UTF-8 sequence before byte 0x%02x", second);
    else if (lead == 0xe0 || lead == 0xf0)
        json_fail(error, position, "overlong UTF-8 encoding (bytes 0x%02x 0x%02x)", lead, second);
    else if (lead == 0xed)
        json_fail(error, position, "UTF-8 encoded surrogate (bytes 0xed 0x%02x)", second);
    else
        json_fail(error, position, "UTF-8 code point above U+10FFFF (bytes 0xf4 0x%02x)", second);
    return JSON_SCAN_ERROR;
}

/* Validates the multi-byte sequence at bytes[*position] and steps over it. */
static enum json_scan skip_utf8_sequence(const unsigned char *bytes, size_t *position, size_t limit,
                                         struct json_error *error)
{
    size_t start = *position;
    unsigned char lead = bytes[start];
    struct utf8_lead rule = utf8_lead_for(lead);
    if (rule.length == 0) {
        if (lead == 0xc0 || lead == 0xc1)
            json_fail(error, start, "overlong UTF-8 encoding (byte 0x%02x)", lead);
        else
            json_fail(error, start, "invalid UTF-8 byte 0x%02x", lead);
        return JSON_SCAN_ERROR;
    }
    for (size_t i = 1; i < rule.length; i++) {
        size_t offset = start + i;
        if (offset >= limit)
            return JSON_SCAN_NEED_MORE;
        unsigned char byte = bytes[offset];
        unsigned char low = i == 1 ? rule.second_low : 0x80;
        unsigned char high = i == 1 ? rule.second_high : 0xbf;
        if (byte < low || byte > high) {
            if (i == 1)
                return fail_utf8_second_byte(error, offset, lead, byte);
            json_fail(error, offset, "truncated UTF-8 sequence before byte 0x%02x", byte);
            return JSON_SCAN_ERROR;
        }
    }
    *position = start + rule.length;
    return JSON_SCAN_DONE;
}

/* The code unit of the \uXXXX escape at bytes[start]; -1 when a digit is not hex. The
 * caller made sure the six bytes are there. */
static long unicode_escape_unit(const unsigned char *bytes, size_t start)
{
    long value = 0;
    for (size_t i = 2; i < 6; i++) {
        int digit = hex_digit_value(bytes[start + i]);
        if (digit < 0)
            return -1;
        value = value * 16 + digit;
    }
    return value;
}

/* Validates the \u escape at bytes[start] (a surrogate pair counts as one escape). */
static enum json_scan skip_unicode_escape(const unsigned char *bytes, size_t *position,
                                          size_t limit, struct json_error *error)
{
    size_t start = *position;
    if (limit - start < 6)
        return JSON_SCAN_NEED_MORE;
    long first = unicode_escape_unit(bytes, start);
    if (first < 0) {
        json_fail(error, start, "invalid \\u escape: expected 4 hex digits");
        error->reached = start + 6;
        return JSON_SCAN_ERROR;
    }
    if (first >= 0xdc00 && first <= 0xdfff) {
        json_fail(error, start, "lone surrogate \\u%04lx", first);
        error->reached = start + 6;
        return JSON_SCAN_ERROR;
    }
    if (first < 0xd800 || first > 0xdbff) {
        *position = start + 6;
        return JSON_SCAN_DONE;
    }
    size_t second_start = start + 6;
    for (size_t i = 0; i < 2; i++) {
        if (second_start + i >= limit)
            return JSON_SCAN_NEED_MORE;
        if (bytes[second_start + i] != (unsigned char)"\\u"[i]) {
            json_fail(error, start, "lone surrogate \\u%04lx", first);
            error->reached = second_start + i + 1;
            return JSON_SCAN_ERROR;
        }
    }
    if (limit - second_start < 6)
        return JSON_SCAN_NEED_MORE;
    long second = unicode_escape_unit(bytes, second_start);
    if (second < 0) {
        json_fail(error, second_start, "invalid \\u escape: expected 4 hex digits");
        error->reached = second_start + 6;
        return JSON_SCAN_ERROR;
    }
    if (second < 0xdc00 || second > 0xdfff) {
        json_fail(error, start, "lone surrogate \\u%04lx", first);
        error->reached = second_start + 6;
        return JSON_SCAN_ERROR;
    }
    *position = second_start + 6;
    return JSON_SCAN_DONE;
}

/* Validates the escape whose backslash is at bytes[*position] and steps over it. */
static enum json_scan skip_escape(const unsigned char *bytes, size_t *position, size_t limit,
                                  struct json_error *error)
{
    size_t start = *position;
    if (start + 1 >= limit)
        return JSON_SCAN_NEED_MORE;
    unsigned char kind = bytes[start + 1];
    switch (kind) {
    case '"':
    case '\\':
    case '/':
    case 'b':
    case 'f':
    case 'n':
    case 'r':
    case 't':
        *position = start + 2;
        return JSON_SCAN_DONE;
    case 'u':
        return skip_unicode_escape(bytes, position, limit, error);
    default:
        if (kind >= 0x21 && kind < 0x7f)
            json_fail(error, start, "invalid escape \\%c", kind);
        else
            json_fail(error, start, "invalid escape: byte 0x%02x after '\\'", kind);
        error->reached = start + 2;
        return JSON_SCAN_ERROR;
    }
}

enum json_scan json_skip_string(const unsigned char *bytes, size_t start, size_t limit, size_t *end,
                                bool *has_escapes, struct json_error *error)
{
    size_t position = start + 1;
    *has_escapes = false;
    for (;;) {
        position = skip_plain_string_bytes(bytes, position, limit);
        if (position >= limit)
            return JSON_SCAN_NEED_MORE;
        enum json_scan status = JSON_SCAN_DONE;
        switch (string_byte_class(bytes[position])) {
        case STRING_BYTE_QUOTE:
            *end = position + 1;
            return JSON_SCAN_DONE;
        case STRING_BYTE_BACKSLASH:
            *has_escapes = true;
            status = skip_escape(bytes, &position, limit, error);
            break;
        case STRING_BYTE_CONTROL:
            json_fail(error, position, "unescaped control character 0x%02x in string",
                      bytes[position]);
            return JSON_SCAN_ERROR;
        default:
            status = skip_utf8_sequence(bytes, &position, limit, error);
            break;
        }
        if (status != JSON_SCAN_DONE)
            return status;
    }
}

/* ---- Numbers and literals ----------------------------------------------------------------- */

static bool is_digit(unsigned char byte)
{
    return byte >= '0' && byte <= '9';
}

static size_t skip_digits(const unsigned char *bytes, size_t position, size_t limit)
{
    while (position < limit && is_digit(bytes[position]))
        position++;
    return position;
}

/* Requires at least one digit at *position, then steps over them all. */
static enum json_scan skip_required_digits(const unsigned char *bytes, size_t *position,
                                           size_t limit, const char *reason,
                                           struct json_error *error)
{
    if (*position >= limit)
        return JSON_SCAN_NEED_MORE;
    if (!is_digit(bytes[*position])) {
        json_fail(error, *position, "%s", reason);
        return JSON_SCAN_ERROR;
    }
    *position = skip_digits(bytes, *position, limit);
    return JSON_SCAN_DONE;
}

/* Validates the number at bytes[start] per RFC 8259. A number running up to `limit` might
 * go on, so it needs more bytes. */
static enum json_scan skip_number(const unsigned char *bytes, size_t start, size_t limit,
                                  size_t *end, struct json_error *error)
{
    size_t position = start;
    if (bytes[position] == '-')
        position++;
    if (position >= limit)
        return JSON_SCAN_NEED_MORE;
    enum json_scan status;
    if (bytes[position] == '0') {
        position++;
        if (position < limit && is_digit(bytes[position])) {
            json_fail(error, position, "leading zero in number");
            return JSON_SCAN_ERROR;
        }
    } else if ((status = skip_required_digits(bytes, &position, limit,
                                              "'-' must be followed by a digit", error)) !=
               JSON_SCAN_DONE) {
        return status;
    }
    if (position < limit && bytes[position] == '.') {
        position++;
        status =
            skip_required_digits(bytes, &position, limit, "fraction needs digits after '.'", error);
        if (status != JSON_SCAN_DONE)
            return status;
    }
    if (position < limit && (bytes[position] == 'e' || bytes[position] == 'E')) {
        position++;
        if (position < limit && (bytes[position] == '+' || bytes[position] == '-'))
            position++;
        status = skip_required_digits(bytes, &position, limit, "exponent needs digits", error);
        if (status != JSON_SCAN_DONE)
            return status;
    }
    if (position >= limit)
        return JSON_SCAN_NEED_MORE;
    *end = position;
    return JSON_SCAN_DONE;
}

static enum json_scan skip_literal(const unsigned char *bytes, size_t start, size_t limit,
                                   size_t *end, struct json_error *error)
{
    const char *literal = bytes[start] == 't' ? "true" : bytes[start] == 'f' ? "false" : "null";
    size_t length = strlen(literal);
    for (size_t i = 0; i < length; i++) {
        if (start + i >= limit)
            return JSON_SCAN_NEED_MORE;
        if (bytes[start + i] != (unsigned char)literal[i]) {
            json_fail(error, start, "invalid literal, expected '%s'", literal);
            error->reached = start + i + 1;
            return JSON_SCAN_ERROR;
        }
    }
    *end = start + length;
    return JSON_SCAN_DONE;
}

/* ---- Values --------------------------------------------------------------------------------- */

/* Open containers: bit d of `objects` says whether level d is an object. */
struct container_stack {
    uint64_t objects;
    unsigned depth;
};

static bool stack_top_is_object(const struct container_stack *stack)
{
    return (stack->objects >> (stack->depth - 1)) & 1u;
}

static enum json_scan push_container(struct container_stack *stack, bool object, size_t position,
                                     struct json_error *error)
{
    if (stack->depth >= EVENT_JSON_MAX_DEPTH) {
        json_fail(error, position, "nesting deeper than %d", EVENT_JSON_MAX_DEPTH);
        return JSON_SCAN_ERROR;
    }
    if (object)
        stack->objects |= (uint64_t)1 << stack->depth;
    else
        stack->objects &= ~((uint64_t)1 << stack->depth);
    stack->depth++;
    return JSON_SCAN_DONE;
}

/* Steps over an object key and its colon at bytes[*position]. */
static enum json_scan skip_member_key(const unsigned char *bytes, size_t *position, size_t limit,
                                      struct json_error *error)
{
    if (*position >= limit)
        return JSON_SCAN_NEED_MORE;
    if (bytes[*position] != '"') {
        json_fail(error, *position, "expected string key");
        return JSON_SCAN_ERROR;
    }
    bool has_escapes;
    size_t key_end;
    enum json_scan status =
        json_skip_string(bytes, *position, limit, &key_end, &has_escapes, error);
    if (status != JSON_SCAN_DONE)
        return status;
    size_t colon = json_skip_whitespace(bytes, key_end, limit);
    if (colon >= limit)
        return JSON_SCAN_NEED_MORE;
    if (bytes[colon] != ':') {
        json_fail(error, colon, "expected ':' after object key");
        return JSON_SCAN_ERROR;
    }
    *position = json_skip_whitespace(bytes, colon + 1, limit);
    return JSON_SCAN_DONE;
}

/* Steps over one scalar at bytes[*position], or opens the container there (then *opened). */
static enum json_scan skip_scalar_or_open(const unsigned char *bytes, size_t *position,
                                          size_t limit, struct container_stack *stack, bool *opened,
                                          struct json_error *error)
{
    size_t start = *position;
    bool has_escapes;
    *opened = false;
    if (start >= limit)
        return JSON_SCAN_NEED_MORE;
    switch (bytes[start]) {
    case '{':
    case '[':
        *opened = true;
        *position = start + 1;
        return push_container(stack, bytes[start] == '{', start, error);
    case '"':
        return json_skip_string(bytes, start, limit, position, &has_escapes, error);
    case 't':
    case 'f':
    case 'n':
        return skip_literal(bytes, start, limit, position, error);
    default:
        if (bytes[start] == '-' || is_digit(bytes[start]))
            return skip_number(bytes, start, limit, position, error);
        return fail_unexpected(error, bytes, start, ", expected a value");
    }
}

/* After '{' or '[' at bytes[*position - 1]: steps to the first member or element, or closes
 * an empty container (then *closed). */
static enum json_scan enter_container(const unsigned char *bytes, size_t *position, size_t limit,
                                      struct container_stack *stack, bool *closed,
                                      struct json_error *error)
{
    size_t next = json_skip_whitespace(bytes, *position, limit);
    if (next >= limit)
        return JSON_SCAN_NEED_MORE;
    bool object = stack_top_is_object(stack);
    *closed = bytes[next] == (object ? '}' : ']');
    if (*closed) {
        stack->depth--;
        *position = next + 1;
        return JSON_SCAN_DONE;
    }
    *position = next;
    return object ? skip_member_key(bytes, position, limit, error) : JSON_SCAN_DONE;
}

/* After a value inside a container: steps over ',' (and the next key) or the closer. */
static enum json_scan skip_separator(const unsigned char *bytes, size_t *position, size_t limit,
                                     struct container_stack *stack, struct json_error *error)
{
    size_t next = json_skip_whitespace(bytes, *position, limit);
    if (next >= limit)
        return JSON_SCAN_NEED_MORE;
    bool object = stack_top_is_object(stack);
    char closer = object ? '}' : ']';
    if (bytes[next] == (unsigned char)closer) {
        stack->depth--;
        *position = next + 1;
        return JSON_SCAN_DONE;
    }
    if (bytes[next] != ',') {
        json_fail(error, next, "expected ',' or '%c' after %s", closer,
                  object ? "object member" : "array element");
        return JSON_SCAN_ERROR;
    }
    next = json_skip_whitespace(bytes, next + 1, limit);
    if (next >= limit)
        return JSON_SCAN_NEED_MORE;
    if (bytes[next] == (unsigned char)closer) {
        json_fail(error, next, "trailing comma before '%c'", closer);
        return JSON_SCAN_ERROR;
    }
    *position = next;
    return object ? skip_member_key(bytes, position, limit, error) : JSON_SCAN_DONE;
}

enum json_scan json_skip_value(const unsigned char *bytes, size_t start, size_t limit, size_t *end,
                               struct json_error *error)
{
    struct container_stack stack = {0, 0};
    size_t position = start;
    for (;;) {
        /* At a value. */
        bool opened;
        enum json_scan status =
            skip_scalar_or_open(bytes, &position, limit, &stack, &opened, error);
        if (status != JSON_SCAN_DONE)
            return status;
        if (opened) {
            bool closed;
            status = enter_container(bytes, &position, limit, &stack, &closed, error);
            if (status != JSON_SCAN_DONE)
                return status;
            if (!closed)
                continue;
        }
        /* After a value: close containers until one goes on with another value. */
        for (;;) {
            if (stack.depth == 0) {
                *end = position;
                return JSON_SCAN_DONE;
            }
            unsigned depth_before = stack.depth;
            status = skip_separator(bytes, &position, limit, &stack, error);
            if (status != JSON_SCAN_DONE)
                return status;
            if (stack.depth == depth_before)
                break;
        }
        position = json_skip_whitespace(bytes, position, limit);
    }
}
