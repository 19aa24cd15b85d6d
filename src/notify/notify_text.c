/* The text buffer behind every message the notify stage writes, with JSON escaping as
 * AWS's Java serializer (Jackson) does it, and UTF-8 counting for the length limits of
 * SNS subjects (Java characters), PagerDuty and Slack (characters). */
#include "notify/notify_message_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool text_reserve(struct notify_text *text, size_t extra)
{
    if (text->failed)
        return false;
    if (extra < text->capacity - text->length)
        return true;
    size_t capacity = text->capacity ? text->capacity : 256;
    while (extra >= capacity - text->length) {
        if (capacity > SIZE_MAX / 2) {
            text->failed = true;
            return false;
        }
        capacity *= 2;
    }
    char *data = realloc(text->data, capacity);
    if (!data) {
        text->failed = true;
        return false;
    }
    text->data = data;
    text->capacity = capacity;
    return true;
}

void notify_text_append(struct notify_text *text, const char *bytes, size_t length)
{
    if (!text_reserve(text, length))
        return;
    if (length)
        memcpy(text->data + text->length, bytes, length);
    text->length += length;
    text->data[text->length] = '\0';
}

void notify_text_append_string(struct notify_text *text, const char *string)
{
    notify_text_append(text, string, strlen(string));
}

void notify_text_appendf(struct notify_text *text, const char *format, ...)
{
    char small[128];
    va_list arguments;
    va_start(arguments, format);
    int length = vsnprintf(small, sizeof small, format, arguments);
    va_end(arguments);
    if (length < 0) {
        text->failed = true;
        return;
    }
    if ((size_t)length < sizeof small) {
        notify_text_append(text, small, (size_t)length);
        return;
    }
    if (!text_reserve(text, (size_t)length))
        return;
    va_start(arguments, format);
    vsnprintf(text->data + text->length, (size_t)length + 1, format, arguments);
    va_end(arguments);
    text->length += (size_t)length;
}

void notify_text_pad(struct notify_text *text, size_t count)
{
    static const char spaces[] = "                                        ";
    while (count > 0) {
        size_t chunk = count < sizeof spaces - 1 ? count : sizeof spaces - 1;
        notify_text_append(text, spaces, chunk);
        count -= chunk;
    }
}

void notify_text_append_number(struct notify_text *text, double value)
{
    char number[32];
    alarm_format_number(value, number, sizeof number);
    notify_text_append_string(text, number);
}

/* The escape Jackson writes for a byte that needs one, or NULL. */
static const char *json_short_escape(unsigned char byte)
{
    switch (byte) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\b':
        return "\\b";
    case '\t':
        return "\\t";
    case '\n':
        return "\\n";
    case '\f':
        return "\\f";
    case '\r':
        return "\\r";
    default:
        return NULL;
    }
}

void notify_text_append_json_bytes(struct notify_text *text, const char *bytes, size_t length)
{
    notify_text_append(text, "\"", 1);
    size_t run = 0;
    for (size_t at = 0; at < length; at++) {
        unsigned char byte = (unsigned char)bytes[at];
        const char *escape = json_short_escape(byte);
        if (!escape && byte >= 0x20)
            continue;
        notify_text_append(text, bytes + run, at - run);
        if (escape)
            notify_text_append_string(text, escape);
        else
            notify_text_appendf(text, "\\u%04X", byte);
        run = at + 1;
    }
    notify_text_append(text, bytes + run, length - run);
    notify_text_append(text, "\"", 1);
}

void notify_text_append_json_string(struct notify_text *text, const char *string)
{
    notify_text_append_json_bytes(text, string, strlen(string));
}

void notify_text_append_json_string_or_null(struct notify_text *text, const char *string)
{
    if (string)
        notify_text_append_json_string(text, string);
    else
        notify_text_append_string(text, "null");
}

void notify_text_append_json_key(struct notify_text *text, const char *key)
{
    notify_text_append_json_string(text, key);
    notify_text_append(text, ":", 1);
}

void notify_text_cut(struct notify_text *text, size_t keep)
{
    if (text->failed || keep >= text->length)
        return;
    text->length = keep;
    notify_text_append_string(text, NOTIFY_ELLIPSIS);
}

void notify_text_limit(struct notify_text *text, size_t limit)
{
    if (text->failed || !text->data || limit == 0)
        return;
    if (notify_utf8_characters(text->data, text->length) > limit)
        notify_text_cut(text, notify_utf8_prefix(text->data, limit - 1));
}

char *notify_text_finish(struct notify_text *text)
{
    if (!text->failed && !text->data)
        text_reserve(text, 0);
    if (text->failed) {
        notify_text_discard(text);
        return NULL;
    }
    text->data[text->length] = '\0';
    char *data = text->data;
    *text = (struct notify_text){0};
    return data;
}

void notify_text_discard(struct notify_text *text)
{
    free(text->data);
    *text = (struct notify_text){0};
}

/* ---- UTF-8 ---- */

static bool is_continuation(unsigned char byte)
{
    return (byte & 0xC0) == 0x80;
}

/* Bytes of the sequence starting at `at` (continuations that follow a lead byte, capped
 * by its declared length), and the UTF-16 units it stands for. */
static size_t sequence_length(const unsigned char *at, size_t available, size_t *units)
{
    size_t declared = at[0] >= 0xF0 ? 4 : at[0] >= 0xE0 ? 3 : at[0] >= 0xC0 ? 2 : 1;
    size_t length = 1;
    while (length < declared && length < available && is_continuation(at[length]))
        length++;
    *units = declared == 4 && length == 4 ? 2 : 1;
    return length;
}

static size_t count_characters(const char *bytes, size_t length, bool utf16)
{
    const unsigned char *at = (const unsigned char *)bytes;
    size_t count = 0;
    for (size_t offset = 0; offset < length;) {
        size_t units;
        offset += sequence_length(at + offset, length - offset, &units);
        count += utf16 ? units : 1;
    }
    return count;
}

size_t notify_utf8_characters(const char *bytes, size_t length)
{
    return count_characters(bytes, length, false);
}

size_t notify_utf16_units(const char *bytes, size_t length)
{
    return count_characters(bytes, length, true);
}

static size_t character_prefix(const char *string, size_t max, bool utf16)
{
    const unsigned char *at = (const unsigned char *)string;
    size_t length = strlen(string), offset = 0, count = 0;
    while (offset < length) {
        size_t units;
        size_t bytes = sequence_length(at + offset, length - offset, &units);
        size_t weight = utf16 ? units : 1;
        if (count + weight > max)
            break;
        count += weight;
        offset += bytes;
    }
    return offset;
}

size_t notify_utf8_prefix(const char *string, size_t max)
{
    return character_prefix(string, max, false);
}

size_t notify_utf16_prefix(const char *string, size_t max)
{
    return character_prefix(string, max, true);
}

void notify_text_fail(struct notify_text *text)
{
    free(text->data);
    *text = (struct notify_text){.failed = true};
}
