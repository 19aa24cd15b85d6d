/* event_time: CloudTrail's eventTime ("2024-10-26T18:59:38Z") as seconds since the epoch, for
 * the bucket a data point falls in. Internal to the metrics stage. */
#ifndef TRAILHOUND_METRICS_EVENT_TIME_H
#define TRAILHOUND_METRICS_EVENT_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reads YYYY-MM-DDTHH:MM:SS, optionally with a fraction of a second (".123", dropped:
 * buckets are whole seconds), then 'Z' or an offset ±HH:MM, over exactly `length` bytes.
 * False when the text is anything else or names a date or time that does not exist. */
bool event_time_parse(const char *text, size_t length, int64_t *seconds);

/* The same with the fraction kept to the millisecond (digits beyond the third dropped), as
 * milliseconds since the epoch: evidence says when a match was first and last seen. */
bool event_time_parse_ms(const char *text, size_t length, int64_t *milliseconds);

/* Writes `milliseconds` as "2024-10-26T18:59:38Z", or "2024-10-26T18:59:38.120Z" when it
 * has a fraction, which event_time_parse_ms reads back; `out` holds at least
 * EVENT_TIME_TEXT_SIZE bytes. False when the year is outside 0000-9999. */
#define EVENT_TIME_TEXT_SIZE 32
bool event_time_format_ms(int64_t milliseconds, char *out);

/* The start of the bucket of `resolution` seconds holding `seconds` (floor, also before
 * 1970). */
int64_t event_time_bucket(int64_t seconds, int resolution);

#endif
