/* Doubles as Java's Double.toString prints them (alarms.md §8.1), the way AWS writes data
 * values and thresholds into StateReason and StateReasonData.
 *
 * Digits: the shortest decimal that reads back as the same double, and among those the
 * closest to it (ties to an even last digit); when one digit would do, two-digit decimals
 * compete too (so Double.MIN_VALUE is 4.9E-324, not 5E-324). This is the specification of
 * Double.toString since JDK 19. Checked against JDK 17 on about a million doubles: equal on
 * all of them but a few subnormals (below 2.3E-308), where JDK 17 printed a digit more.
 * Layout: plain with at least one fractional digit for 10^-3 <= |x| < 10^7, otherwise
 * d.dddE±n. */
#include "alarms/alarms.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DIGITS 17

/* A decimal d1.d2d3… × 10^exponent with `count` significant digits. */
struct decimal {
    char digits[MAX_DIGITS + 2];
    int count;
    int exponent;
};

/* Reads "%.*e" output ("d.ddde±x") into digits and exponent. */
static void decimal_from_scientific(const char *text, struct decimal *decimal)
{
    decimal->count = 0;
    const char *at = text;
    for (; *at && *at != 'e'; at++)
        if (*at >= '0' && *at <= '9')
            decimal->digits[decimal->count++] = *at;
    decimal->digits[decimal->count] = '\0';
    decimal->exponent = *at == 'e' ? atoi(at + 1) : 0;
}

static bool decimal_reads_back(const struct decimal *decimal, double value)
{
    char text[64];
    snprintf(text, sizeof text, "0.%se%d", decimal->digits, decimal->exponent + 1);
    return strtod(text, NULL) == value;
}

/* The decimal one unit of the last digit away from `decimal`, upward or downward, with the
 * same number of digits (crossing a power of ten changes the exponent instead). */
static void decimal_neighbour(const struct decimal *decimal, bool upward, struct decimal *out)
{
    uint64_t mantissa = strtoull(decimal->digits, NULL, 10);
    uint64_t lowest = 1, highest;
    for (int i = 1; i < decimal->count; i++)
        lowest *= 10;
    highest = lowest * 10 - 1;
    int exponent = decimal->exponent;
    if (upward && mantissa == highest) {
        mantissa = lowest;
        exponent++;
    } else if (!upward && mantissa == lowest) {
        mantissa = highest;
        exponent--;
    } else {
        mantissa = upward ? mantissa + 1 : mantissa - 1;
    }
    snprintf(out->digits, sizeof out->digits, "%" PRIu64, mantissa);
    out->count = decimal->count;
    out->exponent = exponent;
}

/* The shortest closest decimal of a finite positive double, trailing zeros removed. */
static void shortest_decimal(double value, struct decimal *decimal)
{
    for (int precision = 2; precision <= MAX_DIGITS; precision++) {
        char text[64];
        snprintf(text, sizeof text, "%.*e", precision - 1, value);
        decimal_from_scientific(text, decimal);
        double rounded = strtod(text, NULL);
        if (rounded == value)
            break;
        /* the correctly rounded decimal missed; the one on the other side of the value may
         * still read back when the double's rounding interval is lopsided */
        struct decimal other;
        decimal_neighbour(decimal, rounded < value, &other);
        if (decimal_reads_back(&other, value)) {
            *decimal = other;
            break;
        }
    }
    while (decimal->count > 1 && decimal->digits[decimal->count - 1] == '0')
        decimal->digits[--decimal->count] = '\0';
}

static size_t layout_plain(const struct decimal *decimal, char *out)
{
    size_t length = 0;
    if (decimal->exponent < 0) {
        out[length++] = '0';
        out[length++] = '.';
        for (int i = -1; i > decimal->exponent; i--)
            out[length++] = '0';
        memcpy(out + length, decimal->digits, (size_t)decimal->count);
        return length + (size_t)decimal->count;
    }
    for (int i = 0; i <= decimal->exponent; i++)
        out[length++] = i < decimal->count ? decimal->digits[i] : '0';
    out[length++] = '.';
    if (decimal->count <= decimal->exponent + 1) {
        out[length++] = '0';
        return length;
    }
    size_t fraction = (size_t)(decimal->count - decimal->exponent - 1);
    memcpy(out + length, decimal->digits + decimal->exponent + 1, fraction);
    return length + fraction;
}

static size_t layout_scientific(const struct decimal *decimal, char *out)
{
    size_t length = 0;
    out[length++] = decimal->digits[0];
    out[length++] = '.';
    if (decimal->count == 1) {
        out[length++] = '0';
    } else {
        memcpy(out + length, decimal->digits + 1, (size_t)decimal->count - 1);
        length += (size_t)decimal->count - 1;
    }
    return length + (size_t)sprintf(out + length, "E%d", decimal->exponent);
}

void alarm_format_number(double value, char *out, size_t size)
{
    if (size == 0)
        return;
    char text[48];
    size_t length = 0;
    if (isnan(value)) {
        length = (size_t)sprintf(text, "NaN");
    } else if (isinf(value)) {
        length = (size_t)sprintf(text, "%sInfinity", value < 0 ? "-" : "");
    } else if (value == 0) {
        length = (size_t)sprintf(text, "%s0.0", signbit(value) ? "-" : "");
    } else {
        double magnitude = fabs(value);
        if (value < 0)
            text[length++] = '-';
        struct decimal decimal;
        shortest_decimal(magnitude, &decimal);
        if (magnitude >= 1e-3 && magnitude < 1e7)
            length += layout_plain(&decimal, text + length);
        else
            length += layout_scientific(&decimal, text + length);
    }
    text[length] = '\0';
    snprintf(out, size, "%s", text);
}
