/* The time forms of the notification texts, all UTC: SNS's envelope Timestamp (§4.3),
 * PagerDuty's ISO 8601 with a colon offset (§7), CloudTrail's whole-second form, and the
 * e-mail's `EEEE dd MMMM, yyyy HH:mm:ss 'UTC'` with English names (§3). Instants outside
 * years 1–9999 are clamped, as the alarms stage's formats do. */
#include "base/utc_time.h"
#include "notify/notify_message_internal.h"

#include <stdio.h>
#include <time.h>

/* "yyyy-MM-ddTHH:mm:ss" */
static int format_date_time(const struct tm *fields, char *out, size_t size)
{
    return snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d", fields->tm_year + 1900,
                    fields->tm_mon + 1, fields->tm_mday, fields->tm_hour, fields->tm_min,
                    fields->tm_sec);
}

void notify_format_sns_time(int64_t milliseconds, char out[32])
{
    struct utc_instant instant = utc_instant_from_ms(milliseconds);
    int length = format_date_time(&instant.fields, out, 32);
    snprintf(out + length, 32 - (size_t)length, ".%03dZ", instant.millis);
}

void notify_format_offset_time(int64_t milliseconds, char out[32])
{
    struct utc_instant instant = utc_instant_from_ms(milliseconds);
    int length = format_date_time(&instant.fields, out, 32);
    snprintf(out + length, 32 - (size_t)length, ".%03d+00:00", instant.millis);
}

void notify_format_second_time(int64_t milliseconds, char out[32])
{
    struct utc_instant instant = utc_instant_from_ms(milliseconds);
    int length = format_date_time(&instant.fields, out, 32);
    snprintf(out + length, 32 - (size_t)length, "Z");
}

void notify_format_mail_time(int64_t milliseconds, char out[64])
{
    static const char *const days[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                       "Thursday", "Friday", "Saturday"};
    static const char *const months[] = {"January",   "February", "March",    "April",
                                         "May",       "June",     "July",     "August",
                                         "September", "October",  "November", "December"};
    struct utc_instant instant = utc_instant_from_ms(milliseconds);
    const struct tm *fields = &instant.fields;
    snprintf(out, 64, "%s %02d %s, %04d %02d:%02d:%02d UTC", days[fields->tm_wday % 7],
             fields->tm_mday, months[fields->tm_mon % 12], fields->tm_year + 1900, fields->tm_hour,
             fields->tm_min, fields->tm_sec);
}
