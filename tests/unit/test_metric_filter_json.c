/* Metric filter definitions to and from JSON in PutMetricFilter's shape: exact text, round
 * trips (including the whole CIS pack) and the refusals of the strict reader. */
#include "metrics/metrics.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void assert_same_text(const char *a, const char *b)
{
    if (a || b) {
        assert_non_null(a);
        assert_non_null(b);
        assert_string_equal(a, b);
    }
}

static void assert_same_definition(const struct metric_filter_definition *a,
                                   const struct metric_filter_definition *b)
{
    assert_same_text(a->filter_name, b->filter_name);
    assert_same_text(a->filter_pattern, b->filter_pattern);
    assert_same_text(a->log_group_name, b->log_group_name);
    assert_same_text(a->cis_id, b->cis_id);
    assert_same_text(a->origin, b->origin);
    const struct metric_transformation *x = &a->transformation, *y = &b->transformation;
    assert_same_text(x->metric_name, y->metric_name);
    assert_same_text(x->metric_namespace, y->metric_namespace);
    assert_same_text(x->metric_value, y->metric_value);
    assert_same_text(x->unit, y->unit);
    assert_int_equal(x->has_default_value, y->has_default_value);
    if (x->has_default_value)
        assert_true(x->default_value == y->default_value);
    assert_int_equal(x->dimension_count, y->dimension_count);
    for (size_t i = 0; i < x->dimension_count; i++) {
        assert_string_equal(x->dimensions[i].name, y->dimensions[i].name);
        assert_string_equal(x->dimensions[i].reference, y->dimensions[i].reference);
    }
}

static void round_trip(const struct metric_filter_definition *definition)
{
    char *text = metric_filter_to_json(definition);
    assert_non_null(text);
    struct metric_filter_definition read;
    struct metrics_error error = {{0}};
    if (!metric_filter_from_json(text, &read, &error))
        fail_msg("%s: %s", text, error.message);
    assert_same_definition(definition, &read);
    metric_filter_definition_free(&read);
    free(text);
}

static void minimal_definition_text(void **state)
{
    (void)state;
    struct metric_filter_definition definition = {
        .filter_name = "root",
        .filter_pattern = "{ $.userIdentity.type = \"Root\" }",
        .transformation = {.metric_name = "RootUsage",
                           .metric_namespace = "CIS",
                           .metric_value = "1"},
    };
    char *text = metric_filter_to_json(&definition);
    assert_string_equal(text, "{\"filterName\":\"root\","
                              "\"filterPattern\":\"{ $.userIdentity.type = \\\"Root\\\" }\","
                              "\"metricTransformations\":[{\"metricName\":\"RootUsage\","
                              "\"metricNamespace\":\"CIS\",\"metricValue\":\"1\"}]}");
    free(text);
    round_trip(&definition);
}

static void full_definition_text_and_round_trip(void **state)
{
    (void)state;
    struct metric_filter_definition definition = {
        .filter_name = "bytes",
        .filter_pattern = "{ $.bytes > 0 }",
        .log_group_name = "/aws/cloudtrail",
        .transformation = {.metric_name = "Bytes",
                           .metric_namespace = "Traffic",
                           .metric_value = "$.bytes",
                           .dimensions = {{"Account", "$.recipientAccountId"},
                                          {"Region", "$.awsRegion"}},
                           .dimension_count = 2,
                           .unit = "Bytes"},
        .cis_id = "9.9",
        .origin = "trailhound.yaml:12",
    };
    char *text = metric_filter_to_json(&definition);
    assert_string_equal(
        text, "{\"filterName\":\"bytes\",\"filterPattern\":\"{ $.bytes > 0 }\","
              "\"logGroupName\":\"/aws/cloudtrail\",\"metricTransformations\":[{"
              "\"metricName\":\"Bytes\",\"metricNamespace\":\"Traffic\",\"metricValue\":"
              "\"$.bytes\",\"dimensions\":{\"Account\":\"$.recipientAccountId\",\"Region\":"
              "\"$.awsRegion\"},\"unit\":\"Bytes\"}],\"trailhoundCisId\":\"9.9\","
              "\"trailhoundOrigin\":\"trailhound.yaml:12\"}");
    free(text);
    round_trip(&definition);
}

static void default_value_round_trips(void **state)
{
    (void)state;
    struct metric_filter_definition definition = {
        .filter_name = "denied",
        .filter_pattern = "{ $.errorCode = \"AccessDenied\" }",
        .transformation = {.metric_name = "Denied",
                           .metric_namespace = "CIS",
                           .metric_value = "1",
                           .has_default_value = true,
                           .default_value = 0},
    };
    char *text = metric_filter_to_json(&definition);
    assert_non_null(strstr(text, "\"defaultValue\":0.0"));
    free(text);
    round_trip(&definition);
    definition.transformation.default_value = -2.5;
    round_trip(&definition);
    /* an integer in the text is a number too */
    struct metric_filter_definition read;
    struct metrics_error error;
    assert_true(metric_filter_from_json(
        "{\"filterName\":\"f\",\"filterPattern\":\"\",\"metricTransformations\":[{"
        "\"metricName\":\"m\",\"metricNamespace\":\"n\",\"metricValue\":\"1\","
        "\"defaultValue\":3}]}",
        &read, &error));
    assert_true(read.transformation.has_default_value);
    assert_true(read.transformation.default_value == 3);
    assert_string_equal(read.filter_pattern, "");
    metric_filter_definition_free(&read);
}

static void cis_pack_round_trips(void **state)
{
    (void)state;
    struct metric_filter_list pack = {0};
    assert_true(metrics_cis_pack(&pack));
    assert_int_equal(pack.count, 15);
    for (size_t i = 0; i < pack.count; i++)
        round_trip(&pack.items[i]);
    metric_filter_list_free(&pack);
}

static void unicode_round_trips(void **state)
{
    (void)state;
    struct metric_filter_definition definition = {
        .filter_name = "caf\xc3\xa9 \xf0\x9f\x94\x92",
        .filter_pattern = "\"tab\there\"",
        .transformation = {.metric_name = "m", .metric_namespace = "n", .metric_value = "1"},
    };
    round_trip(&definition);
    /* text that is not UTF-8 cannot be written */
    definition.filter_name = "bad \xff";
    assert_null(metric_filter_to_json(&definition));
}

static void assert_refused(const char *text, const char *why)
{
    struct metric_filter_definition read;
    struct metrics_error error = {{0}};
    if (metric_filter_from_json(text, &read, &error))
        fail_msg("accepted: %s", text);
    if (!strstr(error.message, why))
        fail_msg("%s: \"%s\" does not say \"%s\"", text, error.message, why);
    assert_null(read.filter_name);
    assert_null(read.transformation.metric_name);
    assert_int_equal(read.transformation.dimension_count, 0);
}

#define FILTER_HEAD "{\"filterName\":\"f\",\"filterPattern\":\"p\","
#define METRIC_HEAD "\"metricName\":\"m\",\"metricNamespace\":\"n\",\"metricValue\":\"1\""

static void malformed_definitions_are_refused(void **state)
{
    (void)state;
    assert_refused("", "line 1");
    assert_refused("{\"filterName\":", "metric filter JSON");
    assert_refused("[]", "must be a JSON object");
    assert_refused(FILTER_HEAD "\"metricTransformations\":[{" METRIC_HEAD "}],\"extra\":1}",
                   "unknown key \"extra\"");
    assert_refused(FILTER_HEAD "\"filterName\":\"g\",\"metricTransformations\":[{" METRIC_HEAD
                               "}]}",
                   "duplicate");
    assert_refused("{\"filterPattern\":\"p\",\"metricTransformations\":[{" METRIC_HEAD "}]}",
                   "\"filterName\" is required");
    assert_refused(
        "{\"filterName\":\"\",\"filterPattern\":\"p\",\"metricTransformations\":[{" METRIC_HEAD
        "}]}",
        "\"filterName\" must not be empty");
    assert_refused(
        "{\"filterName\":1,\"filterPattern\":\"p\",\"metricTransformations\":[{" METRIC_HEAD "}]}",
        "\"filterName\" must be a string");
    assert_refused(FILTER_HEAD "\"metricTransformations\":[]}", "exactly one object");
    assert_refused(FILTER_HEAD "\"metricTransformations\":[{" METRIC_HEAD "},{" METRIC_HEAD "}]}",
                   "exactly one object");
    assert_refused(FILTER_HEAD "\"metricTransformations\":{}}", "exactly one object");
    assert_refused("{\"filterName\":\"f\",\"filterPattern\":\"p\"}",
                   "\"metricTransformations\" is required");
    assert_refused(FILTER_HEAD "\"metricTransformations\":[{\"metricName\":\"m\","
                               "\"metricNamespace\":\"n\"}]}",
                   "\"metricValue\" is required");
    assert_refused(FILTER_HEAD "\"metricTransformations\":[{" METRIC_HEAD ",\"unit\":5}]}",
                   "\"unit\" must be a string");
    assert_refused(FILTER_HEAD "\"metricTransformations\":[{" METRIC_HEAD
                               ",\"defaultValue\":\"0\"}]}",
                   "\"defaultValue\" must be a number");
    assert_refused(FILTER_HEAD "\"metricTransformations\":[{" METRIC_HEAD
                               ",\"dimensions\":[\"a\"]}]}",
                   "\"dimensions\" must be an object");
    assert_refused(FILTER_HEAD "\"metricTransformations\":[{" METRIC_HEAD
                               ",\"dimensions\":{\"a\":1}}]}",
                   "dimension \"a\" must be a field reference");
    assert_refused(FILTER_HEAD "\"metricTransformations\":[{" METRIC_HEAD
                               ",\"dimensions\":{\"a\":\"$.a\",\"b\":\"$.b\",\"c\":\"$.c\","
                               "\"d\":\"$.d\"}}]}",
                   "at most 3 dimensions");
    assert_refused(FILTER_HEAD "\"metricTransformations\":[{" METRIC_HEAD
                               ",\"dimensions\":{\"a\":\"$.a\"},\"defaultValue\":0}]}",
                   "cannot have a defaultValue");
    assert_refused(FILTER_HEAD "\"metricTransformations\":[{" METRIC_HEAD ",\"other\":1}]}",
                   "metricTransformations[0]: unknown key \"other\"");
    assert_refused(FILTER_HEAD "\"metricTransformations\":[{" METRIC_HEAD
                               "}],\"trailhoundCisId\":null}",
                   "\"trailhoundCisId\" must be a string");
    /* a NUL byte cannot hide in a name */
    assert_refused("{\"filterName\":\"a\\u0000b\",\"filterPattern\":\"p\","
                   "\"metricTransformations\":[{" METRIC_HEAD "}]}",
                   "metric filter JSON");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(minimal_definition_text),
        cmocka_unit_test(full_definition_text_and_round_trip),
        cmocka_unit_test(default_value_round_trips),
        cmocka_unit_test(cis_pack_round_trips),
        cmocka_unit_test(unicode_round_trips),
        cmocka_unit_test(malformed_definitions_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
