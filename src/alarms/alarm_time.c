/* The two time formats of AWS's alarm texts (alarms.md §8.1, §8.3), always UTC:
 * `dd/MM/yy HH:mm:ss` inside StateReason and `yyyy-MM-dd'T'HH:mm:ss.SSS+0000` in
 * StateReasonData and history data. Instants outside years 1–9999 are clamped to that
 * range: every calendar computation stays defined and four-digit years stay four digits. */
#include "alarms/alarm_internal.h"
#include "base/utc_time.h"

#include <stdio.h>
#include <time.h>

void alarm_format_reason_time(int64_t seconds, char *out, size_t size)
{
    if (size == 0)
        return;
    struct tm fields = utc_instant_from_ms(utc_clamp_seconds(seconds) * 1000).fields;
    snprintf(out, size, "%02d/%02d/%02d %02d:%02d:%02d", fields.tm_mday, fields.tm_mon + 1,
             (fields.tm_year + 1900) % 100, fields.tm_hour, fields.tm_min, fields.tm_sec);
}

void alarm_format_iso_time(int64_t milliseconds, char *out, size_t size)
{
    if (size == 0)
        return;
    struct utc_instant instant = utc_instant_from_ms(milliseconds);
    const struct tm *fields = &instant.fields;
    snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03d+0000", fields->tm_year + 1900,
             fields->tm_mon + 1, fields->tm_mday, fields->tm_hour, fields->tm_min, fields->tm_sec,
             instant.millis);
}

void alarm_format_iso_seconds(int64_t seconds, char *out, size_t size)
{
    alarm_format_iso_time(utc_clamp_seconds(seconds) * 1000, out, size);
}
