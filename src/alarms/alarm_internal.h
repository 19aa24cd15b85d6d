/* Internal to the alarms stage: the growable text buffer (alarm_text.h) for the JSON and
 * reason texts we build by hand (numbers must come out as Java prints them, which no JSON
 * library does), and small helpers shared by the stage's modules. */
#ifndef TRAILHOUND_ALARMS_ALARM_INTERNAL_H
#define TRAILHOUND_ALARMS_ALARM_INTERNAL_H

#include "alarms/alarm_text.h"
#include "alarms/alarms.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fills `error` with the formatted message; returns false. */
bool alarm_fail(struct alarm_error *error, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* `,"key":"value"` (NULL written as ""), and `,"key":["action",...]`: the members of the
 * JSON texts written by hand (alarm_json.c, alarm_history.c). */
void alarm_json_append_string_member(struct alarm_text *text, const char *key, const char *value);
void alarm_json_append_actions_member(struct alarm_text *text, const char *key,
                                      const struct alarm_action_list *actions);

/* alarm_format_iso_time for a whole second (a slot start). */
void alarm_format_iso_seconds(int64_t seconds, char *out, size_t size);

/* floor(value / divisor) for divisor > 0, correct for negative values too. */
int64_t alarm_floor_div(int64_t value, int64_t divisor);

/* strdup that keeps NULL as NULL; false when memory runs out. */
bool alarm_string_copy(char **into, const char *from);

#endif
