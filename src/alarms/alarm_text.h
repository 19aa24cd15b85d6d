/* The alarms stage's growing text buffer, with JSON escaping as AWS's Java serializer
 * (Jackson) does it. Internal to the alarms stage and shared with the notify stage (which
 * depends on alarms) for the messages it writes: one buffer serves both. */
#ifndef TRAILHOUND_ALARMS_ALARM_TEXT_H
#define TRAILHOUND_ALARMS_ALARM_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Text under construction. An allocation failure sets `failed` and turns every later
 * append into a no-op, so callers check once, at the end (alarm_text_finish). */
struct alarm_text {
    char *data;
    size_t length, capacity;
    bool failed;
};

void alarm_text_append(struct alarm_text *text, const char *bytes, size_t length);
void alarm_text_append_string(struct alarm_text *text, const char *string);
void alarm_text_appendf(struct alarm_text *text, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
/* `count` spaces. */
void alarm_text_pad(struct alarm_text *text, size_t count);
/* A double as Java's Double.toString prints it (alarm_format_number). */
void alarm_text_append_number(struct alarm_text *text, double value);
/* A JSON string literal escaped as AWS's serializer (Jackson) escapes: `"`, `\`, control
 * characters as \b \t \n \f \r or \u00XX (upper-case hex); UTF-8 kept as is. */
void alarm_text_append_json_bytes(struct alarm_text *text, const char *bytes, size_t length);
void alarm_text_append_json_string(struct alarm_text *text, const char *string);
/* The string, or `null` for NULL. */
void alarm_text_append_json_string_or_null(struct alarm_text *text, const char *string);
/* `"key":` (compact JSON). */
void alarm_text_append_json_key(struct alarm_text *text, const char *key);
/* The finished NUL-terminated text (the caller owns it), or NULL when memory ran out. */
char *alarm_text_finish(struct alarm_text *text);
void alarm_text_discard(struct alarm_text *text);
/* Marks the text failed (out of memory) and frees it. */
void alarm_text_fail(struct alarm_text *text);

#endif
