/* UTC calendar fields of an instant for any stage that formats times, clamped to years
 * 1–9999 so every calendar computation stays defined and four-digit years stay four
 * digits. */
#ifndef TRAILHOUND_BASE_UTC_TIME_H
#define TRAILHOUND_BASE_UTC_TIME_H

#include <stdint.h>
#include <time.h>

#define UTC_FIRST_SECOND INT64_C(-62135596800) /* 0001-01-01T00:00:00Z */
#define UTC_LAST_SECOND INT64_C(253402300799)  /* 9999-12-31T23:59:59Z */

/* Seconds since the epoch clamped to [UTC_FIRST_SECOND, UTC_LAST_SECOND]; times 1000 it
 * cannot overflow. */
int64_t utc_clamp_seconds(int64_t seconds);

struct utc_instant {
    struct tm fields;
    int millis; /* 0-999 */
};

/* The UTC fields of milliseconds since the epoch (before 1970 too). An instant before year
 * 1 is its first millisecond, one after 9999 its last. */
struct utc_instant utc_instant_from_ms(int64_t milliseconds);

#endif
