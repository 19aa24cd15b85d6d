/* ISO 8601 timestamps as CloudTrail writes them, parsed by hand: strptime and timegm depend
 * on the locale and the TZ environment, and this runs for every event with data points on. */
#include "metrics/event_time.h"

#include <stdbool.h>
#include <stdio.h>

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

/* The fraction's first three digits as milliseconds ("" → 0, ".5" → 500, ".1239" → 123). */
static int64_t fraction_ms(const char *text, size_t length)
{
    const size_t fraction_at = 19; /* after YYYY-MM-DDTHH:MM:SS, as event_time_parse read it */
    int64_t value = 0, scale = 100;
    if (length <= fraction_at || text[fraction_at] != '.')
        return 0;
    for (size_t at = fraction_at + 1; at < length && scale > 0; at++, scale /= 10) {
        if (text[at] < '0' || text[at] > '9')
            break;
        value += (text[at] - '0') * scale;
    }
    return value;
}

bool event_time_parse_ms(const char *text, size_t length, int64_t *milliseconds)
{
    int64_t seconds;
    if (!event_time_parse(text, length, &seconds))
        return false;
    *milliseconds = seconds * 1000 + fraction_ms(text, length);
    return true;
}

/* The date of a day count from 1970-01-01 (H. Hinnant's civil_from_days). */
static void civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t day_of_era = days - era * 146097;
    int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t month_index = (5 * day_of_year + 2) / 153;
    *day = (int)(day_of_year - (153 * month_index + 2) / 5 + 1);
    *month = (int)(month_index < 10 ? month_index + 3 : month_index - 9);
    *year = year_of_era + era * 400 + (*month <= 2);
}

static int64_t floor_divide(int64_t value, int64_t divisor)
{
    int64_t quotient = value / divisor;
    return value % divisor < 0 ? quotient - 1 : quotient;
}

bool event_time_format_ms(int64_t milliseconds, char *out)
{
    int64_t seconds = floor_divide(milliseconds, 1000);
    int fraction = (int)(milliseconds - seconds * 1000);
    int64_t days = floor_divide(seconds, 86400);
    int of_day = (int)(seconds - days * 86400);
    int64_t year;
    int month, day;
    civil_from_days(days, &year, &month, &day);
    if (year < 0 || year > 9999)
        return false;
    int written = snprintf(out, EVENT_TIME_TEXT_SIZE, "%04d-%02d-%02dT%02d:%02d:%02d", (int)year,
                           month, day, of_day / 3600, of_day / 60 % 60, of_day % 60);
    if (fraction)
        snprintf(out + written, EVENT_TIME_TEXT_SIZE - (size_t)written, ".%03dZ", fraction);
    else
        snprintf(out + written, EVENT_TIME_TEXT_SIZE - (size_t)written, "Z");
    return true;
}

int64_t event_time_bucket(int64_t seconds, int resolution)
{
    int64_t remainder = seconds % resolution;
    return seconds - (remainder < 0 ? remainder + resolution : remainder);
}
