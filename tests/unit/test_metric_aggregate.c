/* Aggregates (statistic set + sorted value→count map), identities and data point ownership. */
#include "metrics/metrics.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void assert_values(const struct metric_aggregate *aggregate, const double *values,
                          const double *counts, size_t count)
{
    assert_int_equal(aggregate->value_count, count);
    for (size_t i = 0; i < count; i++) {
        assert_true(aggregate->values[i].value == values[i]);
        assert_true(aggregate->values[i].count == counts[i]);
    }
}

static void init_is_empty(void **state)
{
    (void)state;
    struct metric_aggregate aggregate;
    metric_aggregate_init(&aggregate);
    assert_true(aggregate.sample_count == 0);
    assert_true(aggregate.sum == 0);
    assert_int_equal(aggregate.value_count, 0);
    assert_null(aggregate.values);
    metric_aggregate_free(&aggregate);
}

static void add_keeps_values_sorted_and_distinct(void **state)
{
    (void)state;
    struct metric_aggregate aggregate;
    metric_aggregate_init(&aggregate);
    /* 5, 1, 3, 5, 1 (x2), 10, -2 */
    assert_true(metric_aggregate_add(&aggregate, 5, 1));
    assert_true(metric_aggregate_add(&aggregate, 1, 1));
    assert_true(metric_aggregate_add(&aggregate, 3, 1));
    assert_true(metric_aggregate_add(&aggregate, 5, 1));
    assert_true(metric_aggregate_add(&aggregate, 1, 2));
    assert_true(metric_aggregate_add(&aggregate, 10, 1));
    assert_true(metric_aggregate_add(&aggregate, -2, 1));
    const double values[] = {-2, 1, 3, 5, 10};
    const double counts[] = {1, 3, 1, 2, 1};
    assert_values(&aggregate, values, counts, 5);
    /* 8 samples: -2 + 1*3 + 3 + 5*2 + 10 = 24 */
    assert_true(aggregate.sample_count == 8);
    assert_true(aggregate.sum == 24);
    assert_true(aggregate.minimum == -2);
    assert_true(aggregate.maximum == 10);
    metric_aggregate_free(&aggregate);
    assert_null(aggregate.values);
}

static void add_grows_past_initial_capacity(void **state)
{
    (void)state;
    struct metric_aggregate aggregate;
    metric_aggregate_init(&aggregate);
    /* descending insertions: every one goes to the front */
    for (int i = 100; i >= 1; i--)
        assert_true(metric_aggregate_add(&aggregate, i, 1));
    assert_int_equal(aggregate.value_count, 100);
    for (size_t i = 0; i < 100; i++)
        assert_true(aggregate.values[i].value == (double)(i + 1));
    assert_true(aggregate.sum == 5050);
    assert_true(aggregate.minimum == 1);
    assert_true(aggregate.maximum == 100);
    metric_aggregate_free(&aggregate);
}

static void add_ignores_invalid_samples(void **state)
{
    (void)state;
    struct metric_aggregate aggregate;
    metric_aggregate_init(&aggregate);
    assert_true(metric_aggregate_add(&aggregate, NAN, 1));
    assert_true(metric_aggregate_add(&aggregate, INFINITY, 1));
    assert_true(metric_aggregate_add(&aggregate, 1, 0));
    assert_true(metric_aggregate_add(&aggregate, 1, -1));
    assert_true(aggregate.sample_count == 0);
    assert_int_equal(aggregate.value_count, 0);
    /* the first valid sample sets both extremes, even when positive */
    assert_true(metric_aggregate_add(&aggregate, 7, 1));
    assert_true(aggregate.minimum == 7);
    assert_true(aggregate.maximum == 7);
    metric_aggregate_free(&aggregate);
}

static void merge_adds_counts_and_statistics(void **state)
{
    (void)state;
    struct metric_aggregate left, right;
    metric_aggregate_init(&left);
    metric_aggregate_init(&right);
    metric_aggregate_add(&left, 1, 1);
    metric_aggregate_add(&left, 4, 2);
    metric_aggregate_add(&right, 0, 1);
    metric_aggregate_add(&right, 4, 1);
    metric_aggregate_add(&right, 9, 3);
    assert_true(metric_aggregate_merge(&left, &right));
    const double values[] = {0, 1, 4, 9};
    const double counts[] = {1, 1, 3, 3};
    assert_values(&left, values, counts, 4);
    /* left: 1 + 8 = 9 over 3; right: 0 + 4 + 27 = 31 over 5 */
    assert_true(left.sample_count == 8);
    assert_true(left.sum == 40);
    assert_true(left.minimum == 0);
    assert_true(left.maximum == 9);
    /* the source is unchanged */
    assert_true(right.sample_count == 5);
    assert_int_equal(right.value_count, 3);
    metric_aggregate_free(&left);
    metric_aggregate_free(&right);
}

static void merge_into_empty_and_from_empty(void **state)
{
    (void)state;
    struct metric_aggregate empty, full;
    metric_aggregate_init(&empty);
    metric_aggregate_init(&full);
    metric_aggregate_add(&full, 3, 2);
    assert_true(metric_aggregate_merge(&full, &empty));
    assert_true(full.sample_count == 2);
    assert_int_equal(full.value_count, 1);
    assert_true(metric_aggregate_merge(&empty, &full));
    assert_true(empty.sample_count == 2);
    assert_true(empty.sum == 6);
    assert_true(empty.minimum == 3);
    assert_true(empty.maximum == 3);
    assert_int_equal(empty.value_count, 1);
    /* and the merged map can still take samples */
    assert_true(metric_aggregate_add(&empty, 2, 1));
    assert_int_equal(empty.value_count, 2);
    assert_true(empty.values[0].value == 2);
    metric_aggregate_free(&empty);
    metric_aggregate_free(&full);
}

static struct metric_dimension_value dimension(const char *name, const char *value)
{
    return (struct metric_dimension_value){(char *)name, (char *)value};
}

static void identity_sort_and_compare(void **state)
{
    (void)state;
    struct metric_dimension_value first[] = {dimension("Region", "eu-west-1"),
                                             dimension("Account", "111")};
    struct metric_dimension_value second[] = {dimension("Account", "111"),
                                              dimension("Region", "eu-west-1")};
    struct metric_identity a = {"CIS", "RootUsage", first, 2};
    struct metric_identity b = {"CIS", "RootUsage", second, 2};
    metric_identity_sort(&a);
    assert_string_equal(a.dimensions[0].name, "Account");
    assert_int_equal(metric_identity_compare(&a, &b), 0);

    struct metric_identity fewer = {"CIS", "RootUsage", second, 1};
    assert_true(metric_identity_compare(&fewer, &b) < 0);
    assert_true(metric_identity_compare(&b, &fewer) > 0);

    struct metric_identity other_name = {"CIS", "Aaa", second, 2};
    assert_true(metric_identity_compare(&other_name, &b) < 0);
    struct metric_identity other_namespace = {"ZZZ", "Aaa", NULL, 0};
    assert_true(metric_identity_compare(&other_namespace, &b) > 0);

    struct metric_dimension_value third[] = {dimension("Account", "222"),
                                             dimension("Region", "eu-west-1")};
    struct metric_identity c = {"CIS", "RootUsage", third, 2};
    assert_true(metric_identity_compare(&b, &c) < 0);
}

static void identity_copy_is_deep(void **state)
{
    (void)state;
    struct metric_dimension_value dimensions[] = {dimension("Account", "111")};
    struct metric_identity from = {"CIS", "RootUsage", dimensions, 1};
    struct metric_identity copy;
    assert_true(metric_identity_copy(&copy, &from));
    assert_int_equal(metric_identity_compare(&copy, &from), 0);
    assert_ptr_not_equal(copy.namespace_name, from.namespace_name);
    assert_ptr_not_equal(copy.dimensions, from.dimensions);
    assert_ptr_not_equal(copy.dimensions[0].value, from.dimensions[0].value);
    metric_identity_free(&copy);
    assert_null(copy.dimensions);
    assert_int_equal(copy.dimension_count, 0);

    struct metric_identity bare = {"N", "M", NULL, 0};
    assert_true(metric_identity_copy(&copy, &bare));
    assert_null(copy.dimensions);
    assert_string_equal(copy.metric_name, "M");
    metric_identity_free(&copy);
}

static void datapoint_list_free_releases_everything(void **state)
{
    (void)state;
    struct metric_datapoint_list list = {0};
    list.items = calloc(2, sizeof *list.items);
    assert_non_null(list.items);
    list.capacity = 2;
    struct metric_dimension_value dimensions[] = {dimension("Account", "111")};
    struct metric_identity identity = {"CIS", "RootUsage", dimensions, 1};
    for (size_t i = 0; i < 2; i++) {
        struct metric_datapoint *point = &list.items[list.count++];
        assert_true(metric_identity_copy(&point->identity, &identity));
        point->unit = strdup("Count");
        point->resolution = METRIC_RESOLUTION_STANDARD;
        point->timestamp = 60 * (int64_t)i;
        metric_aggregate_init(&point->aggregate);
        assert_true(metric_aggregate_add(&point->aggregate, 1, 1));
    }
    metric_datapoint_list_free(&list); /* the sanitizer build checks nothing leaks */
    assert_null(list.items);
    assert_int_equal(list.count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(init_is_empty),
        cmocka_unit_test(add_keeps_values_sorted_and_distinct),
        cmocka_unit_test(add_grows_past_initial_capacity),
        cmocka_unit_test(add_ignores_invalid_samples),
        cmocka_unit_test(merge_adds_counts_and_statistics),
        cmocka_unit_test(merge_into_empty_and_from_empty),
        cmocka_unit_test(identity_sort_and_compare),
        cmocka_unit_test(identity_copy_is_deep),
        cmocka_unit_test(datapoint_list_free_releases_everything),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
