/* The YAML configuration loader (src/config/config.c): every field of a valid file, one
 * invalid file per rule with its exact "FILE:LINE: FIELD:" prefix, all-or-nothing loading,
 * and the shipped example. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "config/config.h"
#include "metrics/metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_DIR TESTS_DATA_DIR "/config/"
#define EXAMPLE_PATH TESTS_DATA_DIR "/../../examples/trailhound.yaml"

#define CIS_4_1_PATTERN                                                                            \
    "{ ($.errorCode =\"*UnauthorizedOperation\") || ($.errorCode =\"AccessDenied*\") && "          \
    "($.sourceIPAddress!=\"delivery.logs.amazonaws.com\") && ($.eventName!=\"HeadBucket\") }"

static struct metric_filter_list load_ok(const char *path)
{
    struct metric_filter_list list = {0};
    struct config_error error;
    if (!config_load_file(path, &list, &error))
        fail_msg("%s did not load: %s", path, error.message);
    return list;
}

static void valid_file_fills_every_field(void **state)
{
    (void)state;
    struct metric_filter_list list = load_ok(CONFIG_DIR "valid.yaml");
    assert_int_equal(list.count, 3);

    const struct metric_filter_definition *json = &list.items[0];
    assert_string_equal(json->filter_name, "access_denied_by_source");
    assert_string_equal(json->filter_pattern,
                        "{ $.errorCode = \"AccessDenied*\" && $.responseElements.bytes > 0 }");
    assert_string_equal(json->log_group_name, "CloudTrail/DefaultLogGroup");
    assert_string_equal(json->transformation.metric_name, "DeniedBytes");
    assert_string_equal(json->transformation.metric_namespace, "Trailhound/Test");
    assert_string_equal(json->transformation.metric_value, "$.responseElements.bytes");
    assert_false(json->transformation.has_default_value);
    assert_string_equal(json->transformation.unit, "Bytes");
    assert_int_equal(json->transformation.dimension_count, 3);
    assert_string_equal(json->transformation.dimensions[0].name, "eventSource");
    assert_string_equal(json->transformation.dimensions[0].reference, "$.eventSource");
    assert_string_equal(json->transformation.dimensions[1].name, "region");
    assert_string_equal(json->transformation.dimensions[1].reference, "$.awsRegion");
    assert_string_equal(json->transformation.dimensions[2].name, "user");
    assert_string_equal(json->transformation.dimensions[2].reference, "$.userIdentity['userName']");
    assert_null(json->cis_id);
    assert_false(json->alarm.present);
    assert_string_equal(json->origin, CONFIG_DIR "valid.yaml:3");

    const struct metric_filter_definition *space = &list.items[1];
    assert_string_equal(space->filter_name, "large_responses");
    assert_string_equal(space->filter_pattern,
                        "[ip, user, timestamp, request, status_code = 2*, size > 1000]");
    assert_null(space->log_group_name);
    assert_string_equal(space->transformation.metric_name, "ResponseBytes");
    assert_string_equal(space->transformation.metric_namespace, "Web");
    assert_string_equal(space->transformation.metric_value, "$size");
    assert_false(space->transformation.has_default_value);
    assert_null(space->transformation.unit);
    assert_int_equal(space->transformation.dimension_count, 2);
    assert_string_equal(space->transformation.dimensions[0].name, "status");
    assert_string_equal(space->transformation.dimensions[0].reference, "$status_code");
    assert_string_equal(space->transformation.dimensions[1].name, "first");
    assert_string_equal(space->transformation.dimensions[1].reference, "$1");
    assert_string_equal(space->origin, CONFIG_DIR "valid.yaml:16");

    const struct metric_filter_definition *term = &list.items[2];
    assert_string_equal(term->filter_name, "errors");
    assert_string_equal(term->filter_pattern, "ERROR -DEBUG");
    assert_string_equal(term->log_group_name, "app/logs#1");
    assert_string_equal(term->transformation.metric_name, "ErrorCount");
    assert_string_equal(term->transformation.metric_namespace, "App");
    assert_string_equal(term->transformation.metric_value, "2.5");
    assert_true(term->transformation.has_default_value);
    assert_true(term->transformation.default_value == 0.0);
    assert_string_equal(term->transformation.unit, "Count");
    assert_int_equal(term->transformation.dimension_count, 0);
    assert_string_equal(term->origin, CONFIG_DIR "valid.yaml:26");

    metric_filter_list_free(&list);
}

static void empty_list_is_valid(void **state)
{
    (void)state;
    struct metric_filter_list list = load_ok(CONFIG_DIR "valid_empty_list.yaml");
    assert_int_equal(list.count, 0);
    metric_filter_list_free(&list);
}

struct invalid_case {
    const char *file;
    const char *location; /* "LINE: FIELD:" */
    const char *message;  /* a substring of what follows */
};

static const struct invalid_case invalid_cases[] = {
    /* the file as a whole */
    {"invalid_empty_file.yaml", "1: metricFilters:", "no metricFilters"},
    {"invalid_no_metric_filters.yaml", "2: metricFilters:", "no metricFilters"},
    {"invalid_top_level_list.yaml", "1: metricFilters:", "top level must be a mapping"},
    {"invalid_metric_filters_not_list.yaml", "2: metricFilters:", "expected a list"},
    {"invalid_unknown_top_level.yaml",
     "2: (top level):", "unknown field 'metricfilters'; did you mean 'metricFilters'?"},
    {"invalid_syntax.yaml", "4: YAML:", "syntax error: found unexpected end of stream"},
    {"invalid_alias.yaml", "4: YAML:", "aliases (*shared) are not supported"},
    {"invalid_anchor.yaml", "4: YAML:", "anchors (&shared) are not supported"},
    {"invalid_two_documents.yaml", "2: YAML:", "only one document"},
    {"invalid_too_deep.yaml", "2: YAML:", "nested deeper than"},
    /* a filter */
    {"invalid_filter_not_mapping.yaml", "2: metricFilters[0]:", "expected a mapping"},
    {"invalid_unknown_filter_field.yaml", "4: metricFilters[0]:", "unknown field 'logGroup'"},
    {"invalid_duplicate_key.yaml", "4: metricFilters[0]:", "'filterPattern' is given twice"},
    {"invalid_filter_name_missing.yaml", "2: metricFilters[0].filterName:", "missing"},
    {"invalid_filter_name_empty.yaml", "2: metricFilters[0].filterName:", "1 to 512 characters"},
    {"invalid_filter_name_too_long.yaml", "2: metricFilters[0].filterName:", "is 513"},
    {"invalid_filter_name_colon.yaml", "2: metricFilters[0].filterName:", "must not contain ':'"},
    {"invalid_filter_name_star.yaml", "2: metricFilters[0].filterName:", "must not contain '*'"},
    {"invalid_duplicate_filter_name.yaml",
     "6: metricFilters[1].filterName:", "duplicate filterName 'errors'"},
    {"invalid_filter_pattern_missing.yaml", "2: metricFilters[0].filterPattern:", "missing"},
    {"invalid_filter_pattern_syntax.yaml", "3: metricFilters[0].filterPattern:",
     "invalid filter pattern at column 17: expected a value after '='"},
    {"invalid_filter_pattern_unquoted.yaml",
     "3: metricFilters[0].filterPattern:", "found a mapping (quote patterns"},
    {"invalid_filter_pattern_null.yaml", "3: metricFilters[0].filterPattern:", "found nothing"},
    {"invalid_log_group_name.yaml", "4: metricFilters[0].logGroupName:", "found ' '"},
    {"invalid_transformations_missing.yaml",
     "2: metricFilters[0].metricTransformations:", "missing"},
    {"invalid_transformations_not_list.yaml",
     "5: metricFilters[0].metricTransformations:", "expected a list"},
    {"invalid_transformations_empty.yaml",
     "4: metricFilters[0].metricTransformations:", "exactly one transformation"},
    {"invalid_transformations_two.yaml", "6: metricFilters[0].metricTransformations:",
     "exactly one transformation (AWS allows one per filter), found 2"},
    /* its transformation */
    {"invalid_unknown_transformation_field.yaml", "5: metricFilters[0].metricTransformations[0]:",
     "unknown field 'metricname'; did you mean 'metricName'?"},
    {"invalid_metric_name_missing.yaml",
     "5: metricFilters[0].metricTransformations[0].metricName:", "missing"},
    {"invalid_metric_name_too_long.yaml",
     "5: metricFilters[0].metricTransformations[0].metricName:",
     "1 to 255 characters long, is 256"},
    {"invalid_metric_name_dollar.yaml",
     "5: metricFilters[0].metricTransformations[0].metricName:", "must not contain '$'"},
    {"invalid_metric_namespace_missing.yaml",
     "5: metricFilters[0].metricTransformations[0].metricNamespace:", "missing"},
    {"invalid_metric_namespace_colon.yaml",
     "6: metricFilters[0].metricTransformations[0].metricNamespace:", "must not contain ':'"},
    {"invalid_metric_namespace_star.yaml",
     "6: metricFilters[0].metricTransformations[0].metricNamespace:", "must not contain '*'"},
    {"invalid_metric_value_missing.yaml",
     "5: metricFilters[0].metricTransformations[0].metricValue:", "missing"},
    {"invalid_metric_value_too_long.yaml",
     "7: metricFilters[0].metricTransformations[0].metricValue:",
     "1 to 100 characters long, is 101"},
    {"invalid_metric_value_bare_name.yaml",
     "7: metricFilters[0].metricTransformations[0].metricValue:",
     "neither a number nor a reference starting with '$'"},
    {"invalid_metric_value_reference_term.yaml",
     "7: metricFilters[0].metricTransformations[0].metricValue:",
     "a term pattern extracts no values"},
    {"invalid_metric_value_field_in_json.yaml",
     "7: metricFilters[0].metricTransformations[0].metricValue:",
     "'$bytes' is not a JSON selector"},
    {"invalid_metric_value_selector_in_space_delimited.yaml",
     "7: metricFilters[0].metricTransformations[0].metricValue:",
     "'$.size' is not a field reference"},
    {"invalid_default_value.yaml",
     "8: metricFilters[0].metricTransformations[0].defaultValue:", "'zero' is not a number"},
    {"invalid_dimensions_term.yaml", "9: metricFilters[0].metricTransformations[0].dimensions:",
     "The specified filter pattern does not support dimensions"},
    {"invalid_dimensions_regex.yaml", "9: metricFilters[0].metricTransformations[0].dimensions:",
     "The specified filter pattern does not support dimensions"},
    {"invalid_dimensions_too_many.yaml",
     "12: metricFilters[0].metricTransformations[0].dimensions:", "at most 3 dimensions"},
    {"invalid_dimensions_with_default.yaml",
     "10: metricFilters[0].metricTransformations[0].defaultValue:",
     "dimensions cannot have a defaultValue"},
    {"invalid_dimension_not_reference.yaml",
     "9: metricFilters[0].metricTransformations[0].dimensions.source:",
     "must be a reference starting with '$'"},
    {"invalid_dimension_name_too_long.yaml",
     "9: metricFilters[0].metricTransformations[0].dimensions:", "1 to 255 characters long"},
    {"invalid_unit.yaml",
     "8: metricFilters[0].metricTransformations[0].unit:", "'Requests' is not a CloudWatch unit"},
    {"invalid_unit_case.yaml",
     "8: metricFilters[0].metricTransformations[0].unit:", "did you mean 'Bytes/Second'?"},
};

static void assert_refused(const struct invalid_case *test)
{
    char path[512], prefix[768];
    snprintf(path, sizeof path, CONFIG_DIR "%s", test->file);
    snprintf(prefix, sizeof prefix, "%s:%s ", path, test->location);
    struct metric_filter_list list = {0};
    struct config_error error;
    bool loaded = config_load_file(path, &list, &error);
    if (loaded)
        fail_msg("%s loaded", test->file);
    if (strncmp(error.message, prefix, strlen(prefix)) != 0 ||
        !strstr(error.message, test->message))
        fail_msg("%s:\n  got      '%s'\n  expected '%s...%s...'", test->file, error.message, prefix,
                 test->message);
    assert_int_equal(list.count, 0);
    assert_null(list.items);
}

static void invalid_files_name_line_and_field(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof invalid_cases / sizeof invalid_cases[0]; i++)
        assert_refused(&invalid_cases[i]);
}

static void error_leaves_filters_unchanged(void **state)
{
    (void)state;
    struct metric_filter_list list = {0};
    assert_true(metrics_cis_pack(&list));
    size_t count = list.count;
    struct metric_filter_definition *items = list.items;
    struct config_error error;
    /* the first filter is valid, the second is not: nothing may be appended */
    assert_false(config_load_file(CONFIG_DIR "invalid_duplicate_filter_name.yaml", &list, &error));
    assert_int_equal(list.count, count);
    assert_ptr_equal(list.items, items);
    assert_string_equal(list.items[count - 1].cis_id, "4.15");
    metric_filter_list_free(&list);
}

static void appends_after_existing_filters(void **state)
{
    (void)state;
    struct metric_filter_list list = {0};
    assert_true(metrics_cis_pack(&list));
    struct config_error error;
    assert_true(config_load_file(CONFIG_DIR "valid.yaml", &list, &error));
    assert_int_equal(list.count, 18);
    assert_string_equal(list.items[14].origin, "cis");
    assert_string_equal(list.items[15].filter_name, "access_denied_by_source");
    assert_string_equal(list.items[17].filter_name, "errors");
    metric_filter_list_free(&list);
}

static void loads_the_shipped_example(void **state)
{
    (void)state;
    struct metric_filter_list list = load_ok(EXAMPLE_PATH);
    assert_int_equal(list.count, 1);
    const struct metric_filter_definition *filter = &list.items[0];
    assert_string_equal(filter->filter_name, "unauthorized_api_calls_metric");
    assert_string_equal(filter->filter_pattern, CIS_4_1_PATTERN);
    assert_string_equal(filter->log_group_name, "CloudTrail/DefaultLogGroup");
    assert_string_equal(filter->transformation.metric_name, "unauthorized_api_calls_metric");
    assert_string_equal(filter->transformation.metric_namespace, "CISBenchmark");
    assert_string_equal(filter->transformation.metric_value, "1");
    assert_int_equal(filter->transformation.dimension_count, 0);
    metric_filter_list_free(&list);
}

/* The example's commented-out filter with dimensions, uncommented, must load too: lines
 * "  # - ..." and "  #   ..." are YAML, the other comments are prose. */
static void example_commented_filter_is_valid(void **state)
{
    (void)state;
    FILE *file = fopen(EXAMPLE_PATH, "r");
    assert_non_null(file);
    char text[8192] = "", line[512];
    while (fgets(line, sizeof line, file)) {
        bool is_yaml = strncmp(line, "  # - ", 6) == 0 || strncmp(line, "  #   ", 6) == 0;
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s%s", is_yaml ? "  " : "",
                 is_yaml ? line + 4 : line);
    }
    fclose(file);
    struct metric_filter_list list = {0};
    struct config_error error;
    if (!config_load_buffer("uncommented.yaml", text, strlen(text), &list, &error))
        fail_msg("%s", error.message);
    assert_int_equal(list.count, 2);
    const struct metric_transformation *metric = &list.items[1].transformation;
    assert_int_equal(metric->dimension_count, 2);
    assert_string_equal(metric->dimensions[0].reference, "$.eventSource");
    metric_filter_list_free(&list);
}

static void loads_from_memory(void **state)
{
    (void)state;
    /* not NUL-terminated: the trailing 'X' lies beyond `length` */
    static const char text[] = "metricFilters:\n"
                               "  - filterName: n\n"
                               "    filterPattern: ''\n"
                               "    metricTransformations:\n"
                               "      - {metricName: m, metricNamespace: ns, metricValue: 1e3}\n"
                               "X";
    struct metric_filter_list list = {0};
    struct config_error error;
    if (!config_load_buffer("inline.yaml", text, sizeof text - 2, &list, &error))
        fail_msg("%s", error.message);
    assert_int_equal(list.count, 1);
    assert_string_equal(list.items[0].filter_pattern, "");
    assert_string_equal(list.items[0].transformation.metric_value, "1e3");
    assert_string_equal(list.items[0].origin, "inline.yaml:2");
    metric_filter_list_free(&list);

    assert_false(config_load_buffer("inline.yaml", text, sizeof text - 1, &list, &error));
    assert_non_null(strstr(error.message, "inline.yaml:"));
}

static void refuses_oversized_and_unreadable_input(void **state)
{
    (void)state;
    struct metric_filter_list list = {0};
    struct config_error error;
    size_t length = 16u * 1024 * 1024 + 1;
    char *big = calloc(length, 1);
    assert_non_null(big);
    assert_false(config_load_buffer("big.yaml", big, length, &list, &error));
    assert_non_null(strstr(error.message, "big.yaml:1: larger than"));
    free(big);

    assert_false(config_load_file(CONFIG_DIR "does-not-exist.yaml", &list, &error));
    assert_string_equal(error.message,
                        CONFIG_DIR "does-not-exist.yaml: cannot open: No such file or directory");
    assert_false(config_load_file(CONFIG_DIR, &list, &error));
    assert_non_null(strstr(error.message, "cannot read"));
    assert_int_equal(list.count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_file_fills_every_field),
        cmocka_unit_test(empty_list_is_valid),
        cmocka_unit_test(invalid_files_name_line_and_field),
        cmocka_unit_test(error_leaves_filters_unchanged),
        cmocka_unit_test(appends_after_existing_filters),
        cmocka_unit_test(loads_the_shipped_example),
        cmocka_unit_test(example_commented_filter_is_valid),
        cmocka_unit_test(loads_from_memory),
        cmocka_unit_test(refuses_oversized_and_unreadable_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
