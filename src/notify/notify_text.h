/* Internal to the notify stage: text that grows, shared by the message builders and the
 * transports. */
#ifndef TRAILHOUND_NOTIFY_NOTIFY_TEXT_H
#define TRAILHOUND_NOTIFY_NOTIFY_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Text under construction. An allocation failure sets `failed` and turns every later
 * append into a no-op, so callers check once, at the end (notify_text_finish). */
struct notify_text {
    char *data;
    size_t length, capacity;
    bool failed;
};

void notify_text_append(struct notify_text *text, const char *bytes, size_t length);
void notify_text_append_string(struct notify_text *text, const char *string);
void notify_text_appendf(struct notify_text *text, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
/* `count` spaces. */
void notify_text_pad(struct notify_text *text, size_t count);
/* A double as Java's Double.toString prints it (alarm_format_number). */
void notify_text_append_number(struct notify_text *text, double value);
/* A JSON string literal escaped as AWS's serializer (Jackson) escapes: `"`, `\`, control
 * characters as \b \t \n \f \r or \u00XX (upper-case hex); UTF-8 kept as is. */
void notify_text_append_json_bytes(struct notify_text *text, const char *bytes, size_t length);
void notify_text_append_json_string(struct notify_text *text, const char *string);
/* The string, or `null` for NULL. */
void notify_text_append_json_string_or_null(struct notify_text *text, const char *string);
/* `"key":` (compact JSON). */
void notify_text_append_json_key(struct notify_text *text, const char *key);
/* The finished NUL-terminated text (the caller owns it), or NULL when memory ran out. */
char *notify_text_finish(struct notify_text *text);
void notify_text_discard(struct notify_text *text);
/* Marks the text failed (out of memory) and frees it. */
void notify_text_fail(struct notify_text *text);

#endif
