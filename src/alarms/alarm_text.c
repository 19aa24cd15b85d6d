/* The text buffer behind every text the alarms and notify stages write, with JSON
 * escaping as AWS's Java serializer (Jackson) does it: `"` and `\` escaped, control
 * characters as \b \t \n \f \r or \u00XX with upper-case hex, everything else (UTF-8
 * included) as is. */
#include "alarms/alarm_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool text_reserve(struct alarm_text *text, size_t extra)
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

void alarm_text_append(struct alarm_text *text, const char *bytes, size_t length)
{
    if (!text_reserve(text, length))
        return;
    if (length)
        memcpy(text->data + text->length, bytes, length);
    text->length += length;
    text->data[text->length] = '\0';
}

void alarm_text_append_string(struct alarm_text *text, const char *string)
{
    alarm_text_append(text, string, strlen(string));
}

void alarm_text_appendf(struct alarm_text *text, const char *format, ...)
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
        alarm_text_append(text, small, (size_t)length);
        return;
    }
    if (!text_reserve(text, (size_t)length))
        return;
    va_start(arguments, format);
    vsnprintf(text->data + text->length, (size_t)length + 1, format, arguments);
    va_end(arguments);
    text->length += (size_t)length;
}

void alarm_text_pad(struct alarm_text *text, size_t count)
{
    static const char spaces[] = "                                        ";
    while (count > 0) {
        size_t chunk = count < sizeof spaces - 1 ? count : sizeof spaces - 1;
        alarm_text_append(text, spaces, chunk);
        count -= chunk;
    }
}

void alarm_text_append_number(struct alarm_text *text, double value)
{
    char number[32];
    alarm_format_number(value, number, sizeof number);
    alarm_text_append_string(text, number);
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

void alarm_text_append_json_bytes(struct alarm_text *text, const char *bytes, size_t length)
{
    alarm_text_append(text, "\"", 1);
    size_t run = 0;
    for (size_t at = 0; at < length; at++) {
        unsigned char byte = (unsigned char)bytes[at];
        const char *escape = json_short_escape(byte);
        if (!escape && byte >= 0x20)
            continue;
        alarm_text_append(text, bytes + run, at - run);
        if (escape)
            alarm_text_append_string(text, escape);
        else
            alarm_text_appendf(text, "\\u%04X", byte);
        run = at + 1;
    }
    alarm_text_append(text, bytes + run, length - run);
    alarm_text_append(text, "\"", 1);
}

void alarm_text_append_json_string(struct alarm_text *text, const char *string)
{
    alarm_text_append_json_bytes(text, string, strlen(string));
}

void alarm_text_append_json_string_or_null(struct alarm_text *text, const char *string)
{
    if (string)
        alarm_text_append_json_string(text, string);
    else
        alarm_text_append_string(text, "null");
}

void alarm_text_append_json_key(struct alarm_text *text, const char *key)
{
    alarm_text_append_json_string(text, key);
    alarm_text_append(text, ":", 1);
}

char *alarm_text_finish(struct alarm_text *text)
{
    if (!text->failed && !text->data)
        text_reserve(text, 0);
    if (text->failed) {
        alarm_text_discard(text);
        return NULL;
    }
    text->data[text->length] = '\0';
    char *data = text->data;
    *text = (struct alarm_text){0};
    return data;
}

void alarm_text_discard(struct alarm_text *text)
{
    free(text->data);
    *text = (struct alarm_text){0};
}

void alarm_text_fail(struct alarm_text *text)
{
    free(text->data);
    *text = (struct alarm_text){.failed = true};
}

int64_t alarm_floor_div(int64_t value, int64_t divisor)
{
    int64_t quotient = value / divisor;
    if (value % divisor != 0 && value < 0)
        quotient--;
    return quotient;
}

bool alarm_string_copy(char **into, const char *from)
{
    *into = NULL;
    if (!from)
        return true;
    *into = strdup(from);
    return *into != NULL;
}
