/* CloudWatch statistics: the name grammar and every family computed over hand-built
 * aggregates, with the expected values worked out by hand in the comments.
 *
 * Percentiles are nearest-rank (the value of rank ceil(p/100 × N)): AWS does not publish its
 * interpolation, so this definition is our inference (alarms.md §1.4 [inf]). Percent bounds
 * cut floor(a/100 × N) samples from the bottom and floor((100 − b)/100 × N) from the top. */
#include "metrics/metrics.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

/* ---- parsing ---- */

static struct metric_statistic parsed(const char *name, bool extended)
{
    struct metric_statistic statistic;
    struct metrics_error error = {{0}};
    if (!metric_statistic_parse(name, extended, &statistic, &error))
        fail_msg("%s: %s", name, error.message);
    assert_string_equal(statistic.name, name);
    return statistic;
}

static void assert_rejected(const char *name, bool extended, const char *why)
{
    struct metric_statistic statistic;
    struct metrics_error error = {{0}};
    if (metric_statistic_parse(name, extended, &statistic, &error))
        fail_msg("\"%s\" was accepted", name);
    if (!strstr(error.message, why))
        fail_msg("\"%s\": \"%s\" does not say \"%s\"", name, error.message, why);
}

static void simple_names_parse_exactly(void **state)
{
    (void)state;
    assert_int_equal(parsed("SampleCount", false).kind, METRIC_STATISTIC_SAMPLE_COUNT);
    assert_int_equal(parsed("Sum", false).kind, METRIC_STATISTIC_SUM);
    assert_int_equal(parsed("Average", false).kind, METRIC_STATISTIC_AVERAGE);
    assert_int_equal(parsed("Minimum", false).kind, METRIC_STATISTIC_MINIMUM);
    assert_int_equal(parsed("Maximum", false).kind, METRIC_STATISTIC_MAXIMUM);
    assert_rejected("sum", false, "must be one of SampleCount, Sum");
    assert_rejected("Sum ", false, "must be one of");
    assert_rejected("p99", false, "must be one of");
    assert_rejected("", false, "must be one of");
    /* and the simple names are not extended statistics */
    assert_rejected("Sum", true, "not an extended one");
}

static void percentiles_parse(void **state)
{
    (void)state;
    struct metric_statistic p99 = parsed("p99", true);
    assert_int_equal(p99.kind, METRIC_STATISTIC_PERCENTILE);
    assert_true(p99.percentile == 99);
    assert_true(parsed("p95.0123456789", true).percentile == 95.0123456789);
    assert_true(parsed("p100", true).percentile == 100);
    assert_true(parsed("p0", true).percentile == 0);
    assert_true(parsed("p99.9", true).percentile == 99.9);
    assert_rejected("p101", true, "between 0 and 100");
    assert_rejected("p100.5", true, "between 0 and 100");
    assert_rejected("p95.01234567891", true, "more than 10 decimals");
    assert_rejected("p", true, "a number is expected");
    assert_rejected("p99.", true, "a digit is expected after the decimal point");
    assert_rejected("p-1", true, "a number is expected");
    assert_rejected("p 99", true, "a number is expected");
    assert_rejected("p99x", true, "unexpected characters");
    assert_rejected("P99", true, "not a statistic name");
}

static void shorthands_parse_as_upper_percent_bounds(void **state)
{
    (void)state;
    const char *names[] = {"tm90", "wm98", "tc90", "ts99.5"};
    enum metric_statistic_kind kinds[] = {
        METRIC_STATISTIC_TRIMMED_MEAN, METRIC_STATISTIC_WINSORIZED_MEAN,
        METRIC_STATISTIC_TRIMMED_COUNT, METRIC_STATISTIC_TRIMMED_SUM};
    double uppers[] = {90, 98, 90, 99.5};
    for (size_t i = 0; i < 4; i++) {
        struct metric_statistic statistic = parsed(names[i], true);
        assert_int_equal(statistic.kind, kinds[i]);
        assert_false(statistic.has_lower);
        assert_true(statistic.has_upper);
        assert_true(statistic.bounds_are_percent);
        assert_true(statistic.upper == uppers[i]);
    }
    assert_true(parsed("tm100", true).upper == 100);
    assert_rejected("tm101", true, "between 0 and 100");
    assert_rejected("tm", true, "a number is expected");
    assert_rejected("tm(10%:90%)", true, "parenthesised forms are uppercase");
    assert_rejected("pr(1:2)", true, "a number is expected");
    assert_rejected("TM90", true, "'(' is expected");
    assert_rejected("xx90", true, "not a statistic name");
}

static void parenthesised_forms_parse(void **state)
{
    (void)state;
    struct metric_statistic percent = parsed("TM(10%:90%)", true);
    assert_int_equal(percent.kind, METRIC_STATISTIC_TRIMMED_MEAN);
    assert_true(percent.has_lower && percent.has_upper && percent.bounds_are_percent);
    assert_true(percent.lower == 10 && percent.upper == 90);

    struct metric_statistic absolute = parsed("TS(150:1000)", true);
    assert_int_equal(absolute.kind, METRIC_STATISTIC_TRIMMED_SUM);
    assert_false(absolute.bounds_are_percent);
    assert_true(absolute.lower == 150 && absolute.upper == 1000);

    struct metric_statistic upper_only = parsed("WM(:99.5%)", true);
    assert_int_equal(upper_only.kind, METRIC_STATISTIC_WINSORIZED_MEAN);
    assert_false(upper_only.has_lower);
    assert_true(upper_only.bounds_are_percent && upper_only.upper == 99.5);

    struct metric_statistic lower_only = parsed("TC(0.0000000001:)", true);
    assert_int_equal(lower_only.kind, METRIC_STATISTIC_TRIMMED_COUNT);
    assert_true(lower_only.has_lower && !lower_only.has_upper);
    assert_true(lower_only.lower == 1e-10);

    struct metric_statistic rank = parsed("PR(:300)", true);
    assert_int_equal(rank.kind, METRIC_STATISTIC_PERCENTILE_RANK);
    assert_true(!rank.has_lower && rank.upper == 300 && !rank.bounds_are_percent);
    assert_true(parsed("PR(100:2000)", true).lower == 100);

    struct metric_statistic iqm = parsed("IQM", true);
    assert_int_equal(iqm.kind, METRIC_STATISTIC_TRIMMED_MEAN);
    assert_true(iqm.bounds_are_percent && iqm.lower == 25 && iqm.upper == 75);
}

static void malformed_parenthesised_forms_are_rejected(void **state)
{
    (void)state;
    assert_rejected("TM(:)", true, "at least one bound");
    assert_rejected("TM(90%:10%)", true, "lower bound must be below the upper");
    assert_rejected("TM(5:5)", true, "lower bound must be below the upper");
    assert_rejected("TM(10%:90)", true, "both bounds must be percentages or both absolute");
    assert_rejected("TM(10%:101%)", true, "between 0 and 100");
    assert_rejected("PR(10%:90%)", true, "PR takes absolute bounds");
    assert_rejected("TM(10%:90%", true, "')' is expected");
    assert_rejected("TM(10%:90%)x", true, "')' is expected");
    assert_rejected("TM(10%;90%)", true, "':' is expected");
    assert_rejected("TM(1.12345678901:2)", true, "more than 10 decimals");
    assert_rejected("TM(-1:2)", true, "a number is expected");
    assert_rejected("TM(1e3:2e3)", true, "':' is expected");
    assert_rejected("XX(1:2)", true, "not a statistic name");
    assert_rejected("iqm", true, "not a statistic name");
    assert_rejected("IQM(25%:75%)", true, "not a statistic name");
    assert_rejected("", true, "not a statistic name");
    char long_name[80];
    memset(long_name, '1', sizeof long_name);
    long_name[0] = 'p';
    long_name[sizeof long_name - 1] = '\0';
    assert_rejected(long_name, true, "too long");
}

/* ---- computing ---- */

static void aggregate_of(struct metric_aggregate *aggregate, const double *values,
                         const double *counts, size_t count)
{
    metric_aggregate_init(aggregate);
    for (size_t i = 0; i < count; i++)
        assert_true(metric_aggregate_add(aggregate, values[i], counts ? counts[i] : 1));
}

static void assert_statistic(const struct metric_aggregate *aggregate, const char *name,
                             double expected)
{
    struct metric_statistic statistic =
        parsed(name, name[0] != 'S' && name[0] != 'A' && name[0] != 'M');
    double value = NAN;
    if (!metric_statistic_compute(&statistic, aggregate, &value))
        fail_msg("%s is unavailable", name);
    if (fabs(value - expected) > 1e-9)
        fail_msg("%s = %.12g, expected %.12g", name, value, expected);
}

static void assert_unavailable(const struct metric_aggregate *aggregate, const char *name)
{
    struct metric_statistic statistic =
        parsed(name, name[0] != 'S' && name[0] != 'A' && name[0] != 'M');
    double value;
    if (metric_statistic_compute(&statistic, aggregate, &value))
        fail_msg("%s = %g, expected unavailable", name, value);
}

static const double one_to_ten[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

static void simple_statistics(void **state)
{
    (void)state;
    struct metric_aggregate aggregate;
    aggregate_of(&aggregate, one_to_ten, NULL, 10);
    assert_statistic(&aggregate, "SampleCount", 10);
    assert_statistic(&aggregate, "Sum", 55);
    assert_statistic(&aggregate, "Average", 5.5);
    assert_statistic(&aggregate, "Minimum", 1);
    assert_statistic(&aggregate, "Maximum", 10);
    metric_aggregate_free(&aggregate);
}

static void percentiles_are_nearest_rank(void **state)
{
    (void)state;
    struct metric_aggregate aggregate;
    aggregate_of(&aggregate, one_to_ten, NULL, 10);
    assert_statistic(&aggregate, "p50", 5);   /* rank ceil(5) = 5 */
    assert_statistic(&aggregate, "p90", 9);   /* rank 9 */
    assert_statistic(&aggregate, "p91", 10);  /* rank ceil(9.1) = 10 */
    assert_statistic(&aggregate, "p10", 1);   /* rank 1 */
    assert_statistic(&aggregate, "p10.5", 2); /* rank ceil(1.05) = 2 */
    assert_statistic(&aggregate, "p0", 1);    /* rank 0 is taken as 1: the minimum */
    assert_statistic(&aggregate, "p100", 10);
    assert_statistic(&aggregate, "p95.0123456789", 10); /* rank ceil(9.501…) = 10 */
    metric_aggregate_free(&aggregate);

    /* counts weigh: ranks 1 1 1 2 10 10 10 10 100 100 */
    const double values[] = {1, 2, 10, 100}, counts[] = {3, 1, 4, 2};
    aggregate_of(&aggregate, values, counts, 4);
    assert_statistic(&aggregate, "p30", 1);   /* rank 3 */
    assert_statistic(&aggregate, "p31", 2);   /* rank ceil(3.1) = 4 */
    assert_statistic(&aggregate, "p50", 10);  /* rank 5 */
    assert_statistic(&aggregate, "p80", 10);  /* rank 8 */
    assert_statistic(&aggregate, "p85", 100); /* rank ceil(8.5) = 9 */
    metric_aggregate_free(&aggregate);
}

static void ranks_survive_floating_point_rounding(void **state)
{
    (void)state;
    /* 7 / 100 × 100 is 7.000000000000001 in doubles; the rank must still be 7 */
    struct metric_aggregate aggregate;
    metric_aggregate_init(&aggregate);
    for (int i = 1; i <= 100; i++)
        assert_true(metric_aggregate_add(&aggregate, i, 1));
    assert_statistic(&aggregate, "p7", 7);
    /* cut 7 at each end: ranks 8..93, sum (8 + 93) × 86 / 2 = 4343, mean 50.5 */
    assert_statistic(&aggregate, "TC(7%:93%)", 86);
    assert_statistic(&aggregate, "TS(7%:93%)", 4343);
    assert_statistic(&aggregate, "TM(7%:93%)", 50.5);
    metric_aggregate_free(&aggregate);
}

static void trimmed_family_with_percent_bounds(void **state)
{
    (void)state;
    struct metric_aggregate aggregate;
    aggregate_of(&aggregate, one_to_ten, NULL, 10);
    /* cut floor(1) = 1 low and floor(1) = 1 high: 2..9, sum 44 over 8 */
    assert_statistic(&aggregate, "TM(10%:90%)", 5.5);
    assert_statistic(&aggregate, "TC(10%:90%)", 8);
    assert_statistic(&aggregate, "TS(10%:90%)", 44);
    /* tm90 = TM(:90%): 1..9, sum 45 over 9 */
    assert_statistic(&aggregate, "tm90", 5);
    assert_statistic(&aggregate, "tc90", 9);
    assert_statistic(&aggregate, "ts90", 45);
    assert_statistic(&aggregate, "TM(:90%)", 5);
    /* TM(30%:): 4..10, sum 49 over 7 */
    assert_statistic(&aggregate, "TM(30%:)", 7);
    /* IQM: cut floor(2.5) = 2 at each end: 3..8, sum 33 over 6 */
    assert_statistic(&aggregate, "IQM", 5.5);
    /* wm80: 1..8 kept (36), the top 2 become the highest kept value 8: (36 + 16) / 10 */
    assert_statistic(&aggregate, "wm80", 5.2);
    assert_statistic(&aggregate, "tm100", 5.5);
    /* tm0 keeps nothing: the mean is unavailable, the count and sum are 0 */
    assert_unavailable(&aggregate, "tm0");
    assert_statistic(&aggregate, "tc0", 0);
    assert_statistic(&aggregate, "ts0", 0);
    assert_unavailable(&aggregate, "wm0");
    metric_aggregate_free(&aggregate);

    /* 1..15: TM(10%:90%) cuts floor(1.5) = 1 at each end: 2..14, sum 104 over 13 */
    metric_aggregate_init(&aggregate);
    for (int i = 1; i <= 15; i++)
        assert_true(metric_aggregate_add(&aggregate, i, 1));
    assert_statistic(&aggregate, "TM(10%:90%)", 8);
    assert_statistic(&aggregate, "TC(10%:90%)", 13);
    /* tm90: 1..14, sum 105 over 14 */
    assert_statistic(&aggregate, "tm90", 7.5);
    assert_statistic(&aggregate, "p90", 14); /* rank ceil(13.5) = 14 */
    metric_aggregate_free(&aggregate);
}

static void trimmed_family_counts_weigh(void **state)
{
    (void)state;
    /* ranks 1 1 1 2 10 10 10 10 100 100; sum 245 */
    const double values[] = {1, 2, 10, 100}, counts[] = {3, 1, 4, 2};
    struct metric_aggregate aggregate;
    aggregate_of(&aggregate, values, counts, 4);
    /* cut 1 and 1: ranks 2..9 = 1 1 2 10 10 10 10 100, sum 144 over 8 */
    assert_statistic(&aggregate, "TM(10%:90%)", 18);
    assert_statistic(&aggregate, "TC(10%:90%)", 8);
    assert_statistic(&aggregate, "TS(10%:90%)", 144);
    /* cut 2 and 3: ranks 3..7 = 1 2 10 10 10, sum 33 over 5 */
    assert_statistic(&aggregate, "TM(20%:70%)", 6.6);
    /* WM: the 2 below become rank 3's value 1, the 3 above rank 7's 10: (33 + 2 + 30) / 10 */
    assert_statistic(&aggregate, "WM(20%:70%)", 6.5);
    /* tm70: ranks 1..7 = 1 1 1 2 10 10 10, sum 35 over 7 */
    assert_statistic(&aggregate, "tm70", 5);
    /* IQM: cut 2 and 2: ranks 3..8 = 1 2 10 10 10 10, sum 43 over 6 */
    assert_statistic(&aggregate, "IQM", 43.0 / 6);
    metric_aggregate_free(&aggregate);
}

static void trimmed_family_with_absolute_bounds(void **state)
{
    (void)state;
    struct metric_aggregate aggregate;
    aggregate_of(&aggregate, one_to_ten, NULL, 10);
    /* 2 < v <= 8: 3..8, sum 33 over 6 */
    assert_statistic(&aggregate, "TM(2:8)", 5.5);
    assert_statistic(&aggregate, "TC(2:8)", 6);
    assert_statistic(&aggregate, "TS(2:8)", 33);
    assert_statistic(&aggregate, "TM(:3)", 2);   /* 1, 2, 3 */
    assert_statistic(&aggregate, "TM(8:)", 9.5); /* 9, 10 */
    /* WM clamps into [2, 8]: 2 2 3 4 5 6 7 8 8 8 = 53 */
    assert_statistic(&aggregate, "WM(2:8)", 5.3);
    assert_statistic(&aggregate, "WM(:5.5)", 4.25); /* 1..5 + 5 × 5.5 = 42.5 */
    /* nothing in (95, 100] */
    assert_unavailable(&aggregate, "TM(95:100)");
    assert_statistic(&aggregate, "TC(95:100)", 0);
    assert_statistic(&aggregate, "TS(95:100)", 0);
    assert_statistic(&aggregate, "WM(95:100)", 95); /* every value clamped up to 95 */
    metric_aggregate_free(&aggregate);

    /* ranks 1 1 1 2 10 10 10 10 100 100 */
    const double values[] = {1, 2, 10, 100}, counts[] = {3, 1, 4, 2};
    aggregate_of(&aggregate, values, counts, 4);
    assert_statistic(&aggregate, "TM(1:10)", 8.4); /* 2 + 4 × 10 = 42 over 5 */
    assert_statistic(&aggregate, "WM(1:10)", 6.5); /* 3 + 2 + 40 + 2 × 10 = 65 */
    metric_aggregate_free(&aggregate);
}

static void percentile_rank(void **state)
{
    (void)state;
    struct metric_aggregate aggregate;
    aggregate_of(&aggregate, one_to_ten, NULL, 10);
    assert_statistic(&aggregate, "PR(:3)", 30);  /* 1 2 3 */
    assert_statistic(&aggregate, "PR(2:8)", 60); /* 3..8: lower exclusive, upper inclusive */
    assert_statistic(&aggregate, "PR(10:)", 0);  /* nothing above 10 */
    assert_statistic(&aggregate, "PR(0:10)", 100);
    assert_statistic(&aggregate, "PR(:0.5)", 0);
    metric_aggregate_free(&aggregate);

    const double values[] = {1, 2, 10, 100}, counts[] = {3, 1, 4, 2};
    aggregate_of(&aggregate, values, counts, 4);
    assert_statistic(&aggregate, "PR(1:10)", 50); /* 2, 10 × 4 */
    metric_aggregate_free(&aggregate);
}

static const char *const extended_names[] = {"p50",  "tm90",        "wm90",       "tc90",
                                             "ts90", "TM(10%:90%)", "WM(1:5)",    "TC(:5)",
                                             "IQM",  "PR(1:5)",     "TS(10%:90%)"};

static void unavailable_without_samples(void **state)
{
    (void)state;
    struct metric_aggregate empty;
    metric_aggregate_init(&empty);
    const char *simple[] = {"SampleCount", "Sum", "Average", "Minimum", "Maximum"};
    for (size_t i = 0; i < 5; i++)
        assert_unavailable(&empty, simple[i]);
    for (size_t i = 0; i < sizeof extended_names / sizeof extended_names[0]; i++)
        assert_unavailable(&empty, extended_names[i]);
}

static void percentile_family_unavailable_with_negative_values(void **state)
{
    (void)state;
    const double values[] = {-1, 5};
    struct metric_aggregate aggregate;
    aggregate_of(&aggregate, values, NULL, 2);
    for (size_t i = 0; i < sizeof extended_names / sizeof extended_names[0]; i++)
        assert_unavailable(&aggregate, extended_names[i]);
    assert_statistic(&aggregate, "Sum", 4);
    assert_statistic(&aggregate, "Minimum", -1);
    metric_aggregate_free(&aggregate);
}

static void percentile_family_needs_raw_values(void **state)
{
    (void)state;
    /* a statistic set of 1, 2, 3: no raw values */
    struct metric_aggregate set = {.sample_count = 3, .sum = 6, .minimum = 1, .maximum = 3};
    for (size_t i = 0; i < sizeof extended_names / sizeof extended_names[0]; i++)
        assert_unavailable(&set, extended_names[i]);
    assert_statistic(&set, "Sum", 6);
    assert_statistic(&set, "Average", 2);

    /* a statistic set whose samples are all 5 serves them (alarms.md §1.4) */
    struct metric_aggregate constant = {.sample_count = 4, .sum = 20, .minimum = 5, .maximum = 5};
    assert_statistic(&constant, "p50", 5);
    assert_statistic(&constant, "TM(10%:90%)", 5);
    assert_statistic(&constant, "TC(:90%)", 4); /* floor(0.4) = 0 cut */
    assert_statistic(&constant, "PR(4:5)", 100);

    /* raw values that account for only some of the samples */
    struct metric_aggregate partial;
    aggregate_of(&partial, one_to_ten, NULL, 2);
    partial.sample_count += 1;
    partial.sum += 3;
    partial.maximum = 3;
    assert_unavailable(&partial, "p50");
    assert_unavailable(&partial, "IQM");
    metric_aggregate_free(&partial);
}

static bool low_sample(const char *name, double count)
{
    struct metric_statistic statistic = parsed(name, name[0] != 'S');
    return metric_statistic_low_sample(&statistic, count);
}

static void low_sample_rule(void **state)
{
    (void)state;
    /* p >= 0.5: 10 / (1 − p); p99 needs 1000 samples, p50 needs 20 */
    assert_true(low_sample("p99", 999));
    assert_false(low_sample("p99", 1000));
    assert_true(low_sample("p50", 19));
    assert_false(low_sample("p50", 20));
    assert_true(low_sample("p90", 99.5));
    assert_false(low_sample("p90", 100));
    /* p < 0.5: 10 / p; p10 needs 100, p49.5 needs 20.2 */
    assert_true(low_sample("p10", 99));
    assert_false(low_sample("p10", 100));
    assert_true(low_sample("p49.5", 20));
    assert_false(low_sample("p49.5", 21));
    /* p0 and p100 (the extremes) and the other statistics are never low */
    assert_false(low_sample("p0", 1));
    assert_false(low_sample("p100", 1));
    assert_false(low_sample("tm99", 1));
    assert_false(low_sample("Sum", 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(simple_names_parse_exactly),
        cmocka_unit_test(percentiles_parse),
        cmocka_unit_test(shorthands_parse_as_upper_percent_bounds),
        cmocka_unit_test(parenthesised_forms_parse),
        cmocka_unit_test(malformed_parenthesised_forms_are_rejected),
        cmocka_unit_test(simple_statistics),
        cmocka_unit_test(percentiles_are_nearest_rank),
        cmocka_unit_test(ranks_survive_floating_point_rounding),
        cmocka_unit_test(trimmed_family_with_percent_bounds),
        cmocka_unit_test(trimmed_family_counts_weigh),
        cmocka_unit_test(trimmed_family_with_absolute_bounds),
        cmocka_unit_test(percentile_rank),
        cmocka_unit_test(unavailable_without_samples),
        cmocka_unit_test(percentile_family_unavailable_with_negative_values),
        cmocka_unit_test(percentile_family_needs_raw_values),
        cmocka_unit_test(low_sample_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
