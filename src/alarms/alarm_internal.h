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

/* alarm_format_iso_time for a whole second (a slot start). */
void alarm_format_iso_seconds(int64_t seconds, char *out, size_t size);

/* floor(value / divisor) for divisor > 0, correct for negative values too. */
int64_t alarm_floor_div(int64_t value, int64_t divisor);

/* strdup that keeps NULL as NULL; false when memory runs out. */
bool alarm_string_copy(char **into, const char *from);

#endif
