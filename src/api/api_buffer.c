/* The api stage's text buffer. */
#include "api/api_internal.h"

#include <stdlib.h>
#include <string.h>

static bool buffer_reserve(struct api_buffer *buffer, size_t more)
{
    if (buffer->failed)
        return false;
    if (buffer->length + more + 1 <= buffer->capacity)
        return true;
    size_t capacity = buffer->capacity ? buffer->capacity : 256;
    while (capacity < buffer->length + more + 1)
        capacity *= 2;
    char *grown = realloc(buffer->data, capacity);
    if (!grown) {
        buffer->failed = true;
        return false;
    }
    buffer->data = grown;
    buffer->capacity = capacity;
    return true;
}

void api_buffer_append(struct api_buffer *buffer, const char *bytes, size_t length)
{
    if (!buffer_reserve(buffer, length))
        return;
    memcpy(buffer->data + buffer->length, bytes, length);
    buffer->length += length;
    buffer->data[buffer->length] = '\0';
}

void api_buffer_append_text(struct api_buffer *buffer, const char *text)
{
    api_buffer_append(buffer, text, strlen(text));
}

void api_buffer_append_xml(struct api_buffer *buffer, const char *text)
{
    for (const char *at = text; *at; at++) {
        switch (*at) {
        case '&':
            api_buffer_append_text(buffer, "&amp;");
            break;
        case '<':
            api_buffer_append_text(buffer, "&lt;");
            break;
        case '>':
            api_buffer_append_text(buffer, "&gt;");
            break;
        case '"':
            api_buffer_append_text(buffer, "&quot;");
            break;
        default:
            api_buffer_append(buffer, at, 1);
        }
    }
}

void api_buffer_append_element(struct api_buffer *buffer, const char *name, const char *text)
{
    api_buffer_append_text(buffer, "<");
    api_buffer_append_text(buffer, name);
    api_buffer_append_text(buffer, ">");
    api_buffer_append_xml(buffer, text);
    api_buffer_append_text(buffer, "</");
    api_buffer_append_text(buffer, name);
    api_buffer_append_text(buffer, ">");
}

char *api_buffer_take(struct api_buffer *buffer)
{
    if (buffer->failed || !buffer_reserve(buffer, 0)) {
        api_buffer_free(buffer);
        return NULL;
    }
    char *text = buffer->data;
    *buffer = (struct api_buffer){0};
    return text;
}

void api_buffer_free(struct api_buffer *buffer)
{
    free(buffer->data);
    *buffer = (struct api_buffer){0};
}
