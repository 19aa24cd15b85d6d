/* The two time formats of AWS's alarm texts (alarms.md §8.1, §8.3), always UTC:
 * `dd/MM/yy HH:mm:ss` inside StateReason and `yyyy-MM-dd'T'HH:mm:ss.SSS+0000` in
 * StateReasonData and history data. Instants outside years 1–9999 are clamped to that
 * range: every calendar computation stays defined and four-digit years stay four digits. */
#include "alarms/alarm_internal.h"

#include <stdio.h>
#include <time.h>

#define FIRST_SECOND INT64_C(-62135596800) /* 0001-01-01T00:00:00Z */
#define LAST_SECOND INT64_C(253402300799)  /* 9999-12-31T23:59:59Z */

static void utc_fields(int64_t seconds, struct tm *fields)
{
    if (seconds < FIRST_SECOND)
        seconds = FIRST_SECOND;
    if (seconds > LAST_SECOND)
        seconds = LAST_SECOND;
    time_t instant = (time_t)seconds;
    if (!gmtime_r(&instant, fields))
        *fields = (struct tm){.tm_mday = 1, .tm_year = 70};
}

void alarm_format_reason_time(int64_t seconds, char *out, size_t size)
{
    if (size == 0)
        return;
    struct tm fields;
    utc_fields(seconds, &fields);
    snprintf(out, size, "%02d/%02d/%02d %02d:%02d:%02d", fields.tm_mday, fields.tm_mon + 1,
             (fields.tm_year + 1900) % 100, fields.tm_hour, fields.tm_min, fields.tm_sec);
}

void alarm_format_iso_time(int64_t milliseconds, char *out, size_t size)
{
    if (size == 0)
        return;
    int64_t seconds = alarm_floor_div(milliseconds, 1000);
    int millis = (int)(milliseconds % 1000); /* seconds * 1000 may not fit */
    if (millis < 0)
        millis += 1000;
    if (seconds < FIRST_SECOND) {
        seconds = FIRST_SECOND;
        millis = 0;
    } else if (seconds > LAST_SECOND) {
        seconds = LAST_SECOND;
        millis = 999;
    }
    struct tm fields;
    utc_fields(seconds, &fields);
    snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03d+0000", fields.tm_year + 1900,
             fields.tm_mon + 1, fields.tm_mday, fields.tm_hour, fields.tm_min, fields.tm_sec,
             millis);
}

void alarm_format_iso_seconds(int64_t seconds, char *out, size_t size)
{
    /* clamp first: seconds * 1000 must not overflow */
    if (seconds < FIRST_SECOND)
        seconds = FIRST_SECOND;
    if (seconds > LAST_SECOND)
        seconds = LAST_SECOND;
    alarm_format_iso_time(seconds * 1000, out, size);
}
