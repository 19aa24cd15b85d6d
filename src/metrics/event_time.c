/* ISO 8601 timestamps as CloudTrail writes them, parsed by hand: strptime and timegm depend
 * on the locale and the TZ environment, and this runs for every event with data points on. */
#include "metrics/event_time.h"

#include <stdbool.h>

/* Reads exactly `digits` decimal digits at text[*at], advancing; false when one is not. */
static bool read_digits(const char *text, size_t length, size_t *at, int digits, int *value)
{
    if (*at + (size_t)digits > length)
        return false;
    *value = 0;
    for (int i = 0; i < digits; i++) {
        char character = text[*at + (size_t)i];
        if (character < '0' || character > '9')
            return false;
        *value = *value * 10 + (character - '0');
    }
    *at += (size_t)digits;
    return true;
}

static bool expect(const char *text, size_t length, size_t *at, char character)
{
    if (*at >= length || text[*at] != character)
        return false;
    (*at)++;
    return true;
}

static bool is_leap_year(int year)
{
    return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return month == 2 && is_leap_year(year) ? 29 : days[month - 1];
}

/* Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int year, int month, int day)
{
    int64_t shifted_year = month <= 2 ? year - 1 : year;
    int64_t era = (shifted_year >= 0 ? shifted_year : shifted_year - 399) / 400;
    int64_t year_of_era = shifted_year - era * 400;
    int64_t day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

/* 'Z' or ±HH:MM, ending the text; `offset` is in seconds east of UTC. */
static bool read_zone(const char *text, size_t length, size_t *at, int64_t *offset)
{
    *offset = 0;
    if (expect(text, length, at, 'Z'))
        return *at == length;
    if (*at >= length || (text[*at] != '+' && text[*at] != '-'))
        return false;
    int sign = text[(*at)++] == '-' ? -1 : 1, hours, minutes;
    if (!read_digits(text, length, at, 2, &hours) || !expect(text, length, at, ':') ||
        !read_digits(text, length, at, 2, &minutes) || hours > 23 || minutes > 59)
        return false;
    *offset = sign * (int64_t)(hours * 3600 + minutes * 60);
    return *at == length;
}

/* ".123…": at least one digit, all dropped. */
static bool skip_fraction(const char *text, size_t length, size_t *at)
{
    if (!expect(text, length, at, '.'))
        return true;
    size_t first = *at;
    while (*at < length && text[*at] >= '0' && text[*at] <= '9')
        (*at)++;
    return *at > first;
}

bool event_time_parse(const char *text, size_t length, int64_t *seconds)
{
    size_t at = 0;
    int year, month, day, hour, minute, second;
    int64_t offset;
    bool read = read_digits(text, length, &at, 4, &year) && expect(text, length, &at, '-') &&
                read_digits(text, length, &at, 2, &month) && expect(text, length, &at, '-') &&
                read_digits(text, length, &at, 2, &day) && expect(text, length, &at, 'T') &&
                read_digits(text, length, &at, 2, &hour) && expect(text, length, &at, ':') &&
                read_digits(text, length, &at, 2, &minute) && expect(text, length, &at, ':') &&
                read_digits(text, length, &at, 2, &second) && skip_fraction(text, length, &at) &&
                read_zone(text, length, &at, &offset);
    if (!read || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
        hour > 23 || minute > 59 || second > 59)
        return false;
    int64_t days = days_from_civil(year, month, day);
    *seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset;
    return true;
}

int64_t event_time_bucket(int64_t seconds, int resolution)
{
    int64_t remainder = seconds % resolution;
    return seconds - (remainder < 0 ? remainder + resolution : remainder);
}
