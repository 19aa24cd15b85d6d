/* CloudWatch statistics (alarms.md §1.4): parsing a statistic name and computing it over an
 * aggregate.
 *
 * Percentiles use the nearest rank over the count-weighted sorted sample: pNN is the value
 * of rank max(1, ceil(NN/100 × N)). AWS does not publish its interpolation; this choice is
 * ours (alarms.md marks it [inf]).
 *
 * Bounded statistics (TM, WM, TC, TS, PR and their shorthands) keep a window of ranks
 * (low, high] of that sample:
 * - percent bounds TM(a%:b%) cut floor(a/100 × N) samples from the bottom and
 *   floor((100 − b)/100 × N) from the top: "removes the lowest a% and highest (100 − b)%",
 *   never more than that share, as scipy.stats.trim_mean cuts. A missing bound cuts nothing.
 * - absolute bounds TM(a:b) keep the samples with a < v <= b (AWS: lower bound exclusive,
 *   upper bound inclusive), which in a sorted sample is also a window of ranks.
 * TC is the window's size, TS its sum, TM = TS / TC (unavailable for an empty window). WM
 * replaces the samples below the window by its lowest value and those above by its highest
 * (percent bounds), or clamps every value into [a, b] (absolute bounds, "the value at the
 * edge of the boundary"). PR(a:b) is 100 × (samples with a < v <= b) / N. */
#include "metrics/metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- parsing ---- */

/* Decimals a number in a statistic name may carry (AWS: "up to 10 decimal places"). */
#define STATISTIC_MAX_DECIMALS 10
/* Integer digits of an absolute bound: plenty for any metric value, and exact in a double. */
#define STATISTIC_MAX_INTEGER_DIGITS 15

static bool parse_fail(struct metrics_error *error, const char *name, const char *why)
{
    if (error)
        snprintf(error->message, sizeof error->message, "invalid statistic \"%.64s\": %s", name,
                 why);
    return false;
}

static bool is_digit(char character)
{
    return character >= '0' && character <= '9';
}

/* Reads an unsigned decimal ("99", "95.0123456789") at *cursor and advances past it. False
 * with `why` set when there is no number or it has too many digits. */
static bool read_decimal(const char **cursor, double *value, const char **why)
{
    const char *start = *cursor, *text = start;
    while (is_digit(*text))
        text++;
    if (text == start) {
        *why = "a number is expected";
        return false;
    }
    if (text - start > STATISTIC_MAX_INTEGER_DIGITS) {
        *why = "a number has too many digits";
        return false;
    }
    if (*text == '.') {
        const char *decimals = ++text;
        while (is_digit(*text))
            text++;
        if (text == decimals) {
            *why = "a digit is expected after the decimal point";
            return false;
        }
        if (text - decimals > STATISTIC_MAX_DECIMALS) {
            *why = "a number has more than 10 decimals";
            return false;
        }
    }
    char digits[64];
    memcpy(digits, start, (size_t)(text - start));
    digits[text - start] = '\0';
    *value = strtod(digits, NULL);
    *cursor = text;
    return true;
}

/* A percentage (0 to 100) that must end the name: the NN of pNN and of tmNN. */
static bool read_final_percent(const char *text, double *value, const char **why)
{
    if (!read_decimal(&text, value, why))
        return false;
    if (*text != '\0') {
        *why = "unexpected characters after the number";
        return false;
    }
    if (*value > 100) {
        *why = "a percentage must be between 0 and 100";
        return false;
    }
    return true;
}

static const char *const simple_names[] = {"SampleCount", "Sum", "Average", "Minimum", "Maximum"};
static const enum metric_statistic_kind simple_kinds[] = {
    METRIC_STATISTIC_SAMPLE_COUNT, METRIC_STATISTIC_SUM, METRIC_STATISTIC_AVERAGE,
    METRIC_STATISTIC_MINIMUM, METRIC_STATISTIC_MAXIMUM};

/* Index into simple_names, or -1. */
static int simple_index(const char *name)
{
    for (int i = 0; i < (int)(sizeof simple_names / sizeof simple_names[0]); i++)
        if (strcmp(name, simple_names[i]) == 0)
            return i;
    return -1;
}

struct bounded_family {
    const char *prefix; /* the shorthand's; the parenthesised form is its uppercase */
    enum metric_statistic_kind kind;
};

static const struct bounded_family bounded_families[] = {
    {"tm", METRIC_STATISTIC_TRIMMED_MEAN},
    {"wm", METRIC_STATISTIC_WINSORIZED_MEAN},
    {"tc", METRIC_STATISTIC_TRIMMED_COUNT},
    {"ts", METRIC_STATISTIC_TRIMMED_SUM},
};

/* tmX: TM(:X%). */
static bool parse_shorthand(const char *text, struct metric_statistic *statistic, const char **why)
{
    for (size_t i = 0; i < sizeof bounded_families / sizeof bounded_families[0]; i++) {
        if (strncmp(text, bounded_families[i].prefix, 2) != 0)
            continue;
        statistic->kind = bounded_families[i].kind;
        statistic->has_upper = statistic->bounds_are_percent = true;
        return read_final_percent(text + 2, &statistic->upper, why);
    }
    *why = "not a statistic name";
    return false;
}

/* One optional bound of "(a:b)"; `percent` tells whether it ended with '%'. */
static bool read_bound(const char **cursor, bool *present, double *value, bool *percent,
                       const char **why)
{
    *present = *percent = false;
    if (**cursor == ':' || **cursor == ')')
        return true;
    if (!read_decimal(cursor, value, why))
        return false;
    *present = true;
    if (**cursor == '%') {
        *percent = true;
        (*cursor)++;
    }
    return true;
}

static bool check_bounds(const struct metric_statistic *statistic, bool lower_percent,
                         bool upper_percent, const char **why)
{
    if (!statistic->has_lower && !statistic->has_upper)
        *why = "at least one bound is required";
    else if (statistic->has_lower && statistic->has_upper && lower_percent != upper_percent)
        *why = "both bounds must be percentages or both absolute values";
    else if (statistic->bounds_are_percent && statistic->kind == METRIC_STATISTIC_PERCENTILE_RANK)
        *why = "PR takes absolute bounds, not percentages";
    else if (statistic->bounds_are_percent && ((statistic->has_lower && statistic->lower > 100) ||
                                               (statistic->has_upper && statistic->upper > 100)))
        *why = "a percentage must be between 0 and 100";
    else if (statistic->has_lower && statistic->has_upper && statistic->lower >= statistic->upper)
        *why = "the lower bound must be below the upper bound";
    else
        return true;
    return false;
}

/* "(a:b)" after TM, WM, TC, TS or PR. */
static bool parse_bounds(const char *text, struct metric_statistic *statistic, const char **why)
{
    if (*text++ != '(') {
        *why = "'(' is expected after the statistic's name";
        return false;
    }
    bool lower_percent, upper_percent;
    if (!read_bound(&text, &statistic->has_lower, &statistic->lower, &lower_percent, why))
        return false;
    if (*text++ != ':') {
        *why = "':' is expected between the bounds";
        return false;
    }
    if (!read_bound(&text, &statistic->has_upper, &statistic->upper, &upper_percent, why))
        return false;
    if (text[0] != ')' || text[1] != '\0') {
        *why = "')' is expected after the bounds, ending the name";
        return false;
    }
    statistic->bounds_are_percent = lower_percent || upper_percent;
    return check_bounds(statistic, lower_percent, upper_percent, why);
}

static bool parse_parenthesised(const char *text, struct metric_statistic *statistic,
                                const char **why)
{
    static const char *const uppercase[] = {"TM", "WM", "TC", "TS"};
    for (size_t i = 0; i < sizeof uppercase / sizeof uppercase[0]; i++) {
        if (strncmp(text, uppercase[i], 2) == 0) {
            statistic->kind = bounded_families[i].kind;
            return parse_bounds(text + 2, statistic, why);
        }
    }
    if (strncmp(text, "PR", 2) == 0) {
        statistic->kind = METRIC_STATISTIC_PERCENTILE_RANK;
        return parse_bounds(text + 2, statistic, why);
    }
    *why = "not a statistic name";
    return false;
}

static bool parse_extended(const char *name, struct metric_statistic *statistic, const char **why)
{
    if (simple_index(name) >= 0) {
        *why = "a simple statistic, not an extended one";
        return false;
    }
    if (strcmp(name, "IQM") == 0) {
        statistic->kind = METRIC_STATISTIC_TRIMMED_MEAN;
        statistic->has_lower = statistic->has_upper = statistic->bounds_are_percent = true;
        statistic->lower = 25;
        statistic->upper = 75;
        return true;
    }
    if (name[0] == 'p') {
        statistic->kind = METRIC_STATISTIC_PERCENTILE;
        return read_final_percent(name + 1, &statistic->percentile, why);
    }
    if (name[0] >= 'a' && name[0] <= 'z') {
        if (strchr(name, '('))
            *why = "the parenthesised forms are uppercase (TM(a:b), not tm(a:b))";
        return !strchr(name, '(') && parse_shorthand(name, statistic, why);
    }
    return parse_parenthesised(name, statistic, why);
}

bool metric_statistic_parse(const char *name, bool extended, struct metric_statistic *statistic,
                            struct metrics_error *error)
{
    *statistic = (struct metric_statistic){0};
    if (!name)
        return parse_fail(error, "", "no name");
    if (strlen(name) >= sizeof statistic->name)
        return parse_fail(error, name, "the name is too long");
    const char *why = NULL;
    if (!extended) {
        int index = simple_index(name);
        if (index < 0)
            return parse_fail(error, name,
                              "must be one of SampleCount, Sum, Average, Minimum, Maximum");
        statistic->kind = simple_kinds[index];
    } else if (!parse_extended(name, statistic, &why)) {
        *statistic = (struct metric_statistic){0};
        return parse_fail(error, name, why);
    }
    strcpy(statistic->name, name);
    return true;
}

/* ---- computing ---- */

/* The count-weighted sorted sample a bounded or percentile statistic reads. */
struct sample {
    const struct metric_value_count *values;
    size_t value_count;
    double total;                     /* N, the number of samples */
    struct metric_value_count single; /* a statistic set with one distinct value */
};

/* A statistic set without raw values still serves the percentile family when every sample
 * has the same value (alarms.md §1.4: Min = Max and Sum = Min × SampleCount). */
static bool sample_from_statistic_set(const struct metric_aggregate *aggregate,
                                      struct sample *sample)
{
    if (aggregate->minimum != aggregate->maximum ||
        aggregate->sum != aggregate->minimum * aggregate->sample_count)
        return false;
    sample->single = (struct metric_value_count){aggregate->minimum, aggregate->sample_count};
    sample->values = &sample->single;
    sample->value_count = 1;
    return true;
}

/* False when the raw values do not account for every sample or a value is negative. */
static bool sample_of(const struct metric_aggregate *aggregate, struct sample *sample)
{
    *sample = (struct sample){.values = aggregate->values,
                              .value_count = aggregate->value_count,
                              .total = aggregate->sample_count};
    if (aggregate->value_count == 0 && !sample_from_statistic_set(aggregate, sample))
        return false;
    double counted = 0;
    for (size_t i = 0; i < sample->value_count; i++)
        counted += sample->values[i].count;
    if (fabs(counted - sample->total) > 1e-9 * sample->total)
        return false;
    return sample->values[0].value >= 0;
}

/* floor and ceil of a rank computed in floating point, tolerant of the rounding error of
 * products such as 0.07 × 100, which must give exactly 7. */
static double rank_floor(double rank)
{
    return floor(rank + fabs(rank) * 1e-12);
}

static double rank_ceil(double rank)
{
    return ceil(rank - fabs(rank) * 1e-12);
}

/* The value of rank `rank` (1-based, 1 <= rank <= N). */
static double value_at_rank(const struct sample *sample, double rank)
{
    double cumulative = 0;
    for (size_t i = 0; i < sample->value_count; i++) {
        cumulative += sample->values[i].count;
        if (cumulative >= rank)
            return sample->values[i].value;
    }
    return sample->values[sample->value_count - 1].value;
}

/* Samples with a value <= `bound`. */
static double count_at_most(const struct sample *sample, double bound)
{
    double count = 0;
    for (size_t i = 0; i < sample->value_count && sample->values[i].value <= bound; i++)
        count += sample->values[i].count;
    return count;
}

static double percentile_of(const struct sample *sample, double percent)
{
    double rank = rank_ceil(percent / 100 * sample->total);
    return value_at_rank(sample, rank < 1 ? 1 : rank);
}

/* The ranks (low, high] a bounded statistic keeps. */
struct rank_window {
    double low, high;
};

static struct rank_window window_of(const struct metric_statistic *statistic,
                                    const struct sample *sample)
{
    struct rank_window window = {0, sample->total};
    if (statistic->bounds_are_percent) {
        if (statistic->has_lower)
            window.low = rank_floor(statistic->lower / 100 * sample->total);
        if (statistic->has_upper)
            window.high -= rank_floor((100 - statistic->upper) / 100 * sample->total);
    } else {
        if (statistic->has_lower)
            window.low = count_at_most(sample, statistic->lower);
        if (statistic->has_upper)
            window.high = count_at_most(sample, statistic->upper);
    }
    if (window.high < window.low)
        window.high = window.low;
    return window;
}

/* Σ value × (its samples' overlap with the window). */
static double window_sum(const struct sample *sample, struct rank_window window)
{
    double sum = 0, cumulative = 0;
    for (size_t i = 0; i < sample->value_count; i++) {
        double first = cumulative, last = cumulative + sample->values[i].count;
        cumulative = last;
        double from = first > window.low ? first : window.low;
        double to = last < window.high ? last : window.high;
        if (to > from)
            sum += sample->values[i].value * (to - from);
    }
    return sum;
}

static bool winsorized_mean(const struct metric_statistic *statistic, const struct sample *sample,
                            struct rank_window window, double *value)
{
    if (!statistic->bounds_are_percent) {
        double lower = statistic->has_lower ? statistic->lower : -INFINITY;
        double upper = statistic->has_upper ? statistic->upper : INFINITY;
        double sum = 0;
        for (size_t i = 0; i < sample->value_count; i++)
            sum += fmin(fmax(sample->values[i].value, lower), upper) * sample->values[i].count;
        *value = sum / sample->total;
        return true;
    }
    if (window.high <= window.low)
        return false;
    double below = window.low, above = sample->total - window.high;
    double sum = window_sum(sample, window) + below * value_at_rank(sample, window.low + 1) +
                 above * value_at_rank(sample, window.high);
    *value = sum / sample->total;
    return true;
}

static bool compute_bounded(const struct metric_statistic *statistic, const struct sample *sample,
                            double *value)
{
    struct rank_window window = window_of(statistic, sample);
    double kept = window.high - window.low;
    switch (statistic->kind) {
    case METRIC_STATISTIC_TRIMMED_COUNT:
        *value = kept;
        return true;
    case METRIC_STATISTIC_TRIMMED_SUM:
        *value = window_sum(sample, window);
        return true;
    case METRIC_STATISTIC_TRIMMED_MEAN:
        if (kept <= 0)
            return false;
        *value = window_sum(sample, window) / kept;
        return true;
    case METRIC_STATISTIC_PERCENTILE_RANK:
        *value = 100 * kept / sample->total;
        return true;
    case METRIC_STATISTIC_WINSORIZED_MEAN:
        return winsorized_mean(statistic, sample, window, value);
    default:
        return false;
    }
}

static bool compute_simple(enum metric_statistic_kind kind,
                           const struct metric_aggregate *aggregate, double *value)
{
    switch (kind) {
    case METRIC_STATISTIC_SAMPLE_COUNT:
        *value = aggregate->sample_count;
        return true;
    case METRIC_STATISTIC_SUM:
        *value = aggregate->sum;
        return true;
    case METRIC_STATISTIC_AVERAGE:
        *value = aggregate->sum / aggregate->sample_count;
        return true;
    case METRIC_STATISTIC_MINIMUM:
        *value = aggregate->minimum;
        return true;
    case METRIC_STATISTIC_MAXIMUM:
        *value = aggregate->maximum;
        return true;
    default:
        return false;
    }
}

bool metric_statistic_compute(const struct metric_statistic *statistic,
                              const struct metric_aggregate *aggregate, double *value)
{
    if (!(aggregate->sample_count > 0))
        return false;
    if (statistic->kind < METRIC_STATISTIC_PERCENTILE)
        return compute_simple(statistic->kind, aggregate, value);
    struct sample sample;
    if (!sample_of(aggregate, &sample))
        return false;
    if (statistic->kind == METRIC_STATISTIC_PERCENTILE) {
        *value = percentile_of(&sample, statistic->percentile);
        return true;
    }
    return compute_bounded(statistic, &sample, value);
}

bool metric_statistic_needs_values(const struct metric_statistic *statistic)
{
    return statistic->kind >= METRIC_STATISTIC_PERCENTILE;
}

/* p0 and p100 are the minimum and maximum, which any sample gives exactly: never low. */
bool metric_statistic_low_sample(const struct metric_statistic *statistic, double sample_count)
{
    if (statistic->kind != METRIC_STATISTIC_PERCENTILE)
        return false;
    double percent = statistic->percentile;
    if (percent <= 0 || percent >= 100)
        return false;
    /* 10 / (1 − p) and 10 / p with p = percent / 100, in percent so p99 needs exactly 1000 */
    double needed = percent >= 50 ? 1000 / (100 - percent) : 1000 / percent;
    return sample_count < needed;
}
