/* Internal to the alarms stage: a growable text buffer for the JSON and reason texts we
 * build by hand (numbers must come out as Java prints them, which no JSON library does),
 * and small helpers shared by the stage's modules. */
#ifndef TRAILHOUND_ALARMS_ALARM_INTERNAL_H
#define TRAILHOUND_ALARMS_ALARM_INTERNAL_H

#include "alarms/alarms.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
/* A double as Java prints it (alarm_format_number). */
void alarm_text_append_number(struct alarm_text *text, double value);
/* A JSON string literal, escaped as Jackson escapes (", \, control characters). */
void alarm_text_append_json_string(struct alarm_text *text, const char *string);
/* `"key":` */
void alarm_text_append_json_key(struct alarm_text *text, const char *key);
/* The finished NUL-terminated text (the caller owns it), or NULL when memory ran out. */
char *alarm_text_finish(struct alarm_text *text);
void alarm_text_discard(struct alarm_text *text);

/* alarm_format_iso_time for a whole second (a slot start). */
void alarm_format_iso_seconds(int64_t seconds, char *out, size_t size);

/* floor(value / divisor) for divisor > 0, correct for negative values too. */
int64_t alarm_floor_div(int64_t value, int64_t divisor);

/* strdup that keeps NULL as NULL; false when memory runs out. */
bool alarm_string_copy(char **into, const char *from);

#endif
