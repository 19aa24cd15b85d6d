/* UTC calendar fields of an instant, clamped to years 1–9999. */
#include "base/utc_time.h"

int64_t utc_clamp_seconds(int64_t seconds)
{
    if (seconds < UTC_FIRST_SECOND)
        return UTC_FIRST_SECOND;
    if (seconds > UTC_LAST_SECOND)
        return UTC_LAST_SECOND;
    return seconds;
}

struct utc_instant utc_instant_from_ms(int64_t milliseconds)
{
    int64_t seconds = milliseconds / 1000; /* floored below: seconds * 1000 may not fit */
    int millis = (int)(milliseconds % 1000);
    if (millis < 0) {
        millis += 1000;
        seconds--;
    }
    if (seconds < UTC_FIRST_SECOND) {
        seconds = UTC_FIRST_SECOND;
        millis = 0;
    } else if (seconds > UTC_LAST_SECOND) {
        seconds = UTC_LAST_SECOND;
        millis = 999;
    }
    struct utc_instant instant = {.millis = millis};
    time_t when = (time_t)seconds;
    if (!gmtime_r(&when, &instant.fields))
        instant.fields = (struct tm){.tm_mday = 1, .tm_year = 70};
    return instant;
}
