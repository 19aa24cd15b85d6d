/* Metric filter definitions as JSON text in PutMetricFilter's shape, for the store:
 * {"filterName", "filterPattern", "logGroupName"?, "metricTransformations": [{"metricName",
 * "metricNamespace", "metricValue", "defaultValue"?, "dimensions"? {name: "$.ref"},
 * "unit"?}], "trailhoundCisId"?, "trailhoundOrigin"?}. The two trailhound keys are ours
 * and written only when set. Reading is strict (unknown or duplicate keys, wrong types and
 * what PutMetricFilter refuses are errors) so a damaged record is noticed, not half-read.
 * The alarm defaults of the built-in pack are not part of this shape and are not kept. */
#include "metrics/metrics.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writing ---- */

/* Sets `key` to a new value; false (nothing leaked) when `value` is NULL or memory runs out. */
static bool set_new(json_t *object, const char *key, json_t *value)
{
    return value && json_object_set_new(object, key, value) == 0;
}

/* A NULL text is left out. */
static bool set_optional_string(json_t *object, const char *key, const char *text)
{
    return !text || set_new(object, key, json_string(text));
}

static json_t *dimensions_to_json(const struct metric_transformation *transformation)
{
    json_t *dimensions = json_object();
    for (size_t i = 0; dimensions && i < transformation->dimension_count; i++) {
        const struct metric_dimension *dimension = &transformation->dimensions[i];
        if (!set_new(dimensions, dimension->name, json_string(dimension->reference))) {
            json_decref(dimensions);
            return NULL;
        }
    }
    return dimensions;
}

static json_t *transformation_to_json(const struct metric_transformation *transformation)
{
    json_t *object = json_object();
    bool built =
        object && set_new(object, "metricName", json_string(transformation->metric_name)) &&
        set_new(object, "metricNamespace", json_string(transformation->metric_namespace)) &&
        set_new(object, "metricValue", json_string(transformation->metric_value)) &&
        (!transformation->has_default_value ||
         set_new(object, "defaultValue", json_real(transformation->default_value))) &&
        (transformation->dimension_count == 0 ||
         set_new(object, "dimensions", dimensions_to_json(transformation))) &&
        set_optional_string(object, "unit", transformation->unit);
    if (!built) {
        json_decref(object);
        return NULL;
    }
    return object;
}

static json_t *definition_to_json(const struct metric_filter_definition *definition)
{
    json_t *object = json_object(), *transformations = json_array();
    bool built = object && transformations &&
                 json_array_append_new(transformations,
                                       transformation_to_json(&definition->transformation)) == 0 &&
                 set_new(object, "filterName", json_string(definition->filter_name)) &&
                 set_new(object, "filterPattern", json_string(definition->filter_pattern)) &&
                 set_optional_string(object, "logGroupName", definition->log_group_name) &&
                 set_new(object, "metricTransformations", json_incref(transformations)) &&
                 set_optional_string(object, "trailhoundCisId", definition->cis_id) &&
                 set_optional_string(object, "trailhoundOrigin", definition->origin);
    json_decref(transformations);
    if (!built) {
        json_decref(object);
        return NULL;
    }
    return object;
}

char *metric_filter_to_json(const struct metric_filter_definition *definition)
{
    json_t *object = definition_to_json(definition);
    if (!object)
        return NULL;
    char *text = json_dumps(object, JSON_COMPACT);
    json_decref(object);
    return text;
}

/* ---- reading ---- */

static bool read_fail(struct metrics_error *error, const char *format, ...)
{
    if (error) {
        va_list arguments;
        va_start(arguments, format);
        vsnprintf(error->message, sizeof error->message, format, arguments);
        va_end(arguments);
    }
    return false;
}

/* Refuses keys of `object` that are not in `known` (NULL-terminated). */
static bool check_keys(const json_t *object, const char *const *known, const char *where,
                       struct metrics_error *error)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)object, key, value)
    {
        size_t i = 0;
        while (known[i] && strcmp(known[i], key) != 0)
            i++;
        if (!known[i])
            return read_fail(error, "%s: unknown key \"%.64s\"", where, key);
    }
    return true;
}

/* Copies the string member `key` into *target (NULL when absent and not `required`). */
static bool read_string(const json_t *object, const char *key, bool required, bool non_empty,
                        char **target, struct metrics_error *error)
{
    const json_t *value = json_object_get(object, key);
    if (!value)
        return !required || read_fail(error, "\"%s\" is required", key);
    if (!json_is_string(value))
        return read_fail(error, "\"%s\" must be a string", key);
    if (non_empty && json_string_length(value) == 0)
        return read_fail(error, "\"%s\" must not be empty", key);
    *target = strdup(json_string_value(value));
    return *target || read_fail(error, "out of memory");
}

static bool read_dimensions(const json_t *object, struct metric_transformation *transformation,
                            struct metrics_error *error)
{
    const json_t *dimensions = json_object_get(object, "dimensions");
    if (!dimensions)
        return true;
    if (!json_is_object(dimensions))
        return read_fail(error, "\"dimensions\" must be an object of name: field reference");
    if (json_object_size(dimensions) > METRIC_FILTER_MAX_DIMENSIONS)
        return read_fail(error, "at most %d dimensions are allowed, found %zu",
                         METRIC_FILTER_MAX_DIMENSIONS, json_object_size(dimensions));
    const char *name;
    json_t *reference;
    json_object_foreach((json_t *)dimensions, name, reference)
    {
        if (!json_is_string(reference) || json_string_length(reference) == 0)
            return read_fail(error, "dimension \"%.64s\" must be a field reference string", name);
        struct metric_dimension *dimension =
            &transformation->dimensions[transformation->dimension_count++];
        dimension->name = strdup(name);
        dimension->reference = strdup(json_string_value(reference));
        if (!dimension->name || !dimension->reference)
            return read_fail(error, "out of memory");
    }
    return true;
}

static bool read_default_value(const json_t *object, struct metric_transformation *transformation,
                               struct metrics_error *error)
{
    const json_t *value = json_object_get(object, "defaultValue");
    if (!value)
        return true;
    if (!json_is_number(value))
        return read_fail(error, "\"defaultValue\" must be a number");
    transformation->has_default_value = true;
    transformation->default_value = json_number_value(value);
    return true;
}

static bool read_transformation(const json_t *definition,
                                struct metric_transformation *transformation,
                                struct metrics_error *error)
{
    static const char *const known[] = {
        "metricName", "metricNamespace", "metricValue", "defaultValue", "dimensions", "unit", NULL};
    const json_t *list = json_object_get(definition, "metricTransformations");
    if (!list)
        return read_fail(error, "\"metricTransformations\" is required");
    if (!json_is_array(list) || json_array_size(list) != 1 ||
        !json_is_object(json_array_get(list, 0)))
        return read_fail(error, "\"metricTransformations\" must be an array of exactly one object");
    const json_t *object = json_array_get(list, 0);
    if (!check_keys(object, known, "metricTransformations[0]", error) ||
        !read_string(object, "metricName", true, true, &transformation->metric_name, error) ||
        !read_string(object, "metricNamespace", true, true, &transformation->metric_namespace,
                     error) ||
        !read_string(object, "metricValue", true, true, &transformation->metric_value, error) ||
        !read_default_value(object, transformation, error) ||
        !read_dimensions(object, transformation, error) ||
        !read_string(object, "unit", false, true, &transformation->unit, error))
        return false;
    if (transformation->has_default_value && transformation->dimension_count > 0)
        return read_fail(error, "a metric with dimensions cannot have a defaultValue");
    return true;
}

static bool read_definition(const json_t *object, struct metric_filter_definition *definition,
                            struct metrics_error *error)
{
    static const char *const known[] = {"filterName",
                                        "filterPattern",
                                        "logGroupName",
                                        "metricTransformations",
                                        "trailhoundCisId",
                                        "trailhoundOrigin",
                                        NULL};
    if (!json_is_object(object))
        return read_fail(error, "a metric filter must be a JSON object");
    return check_keys(object, known, "metric filter", error) &&
           read_string(object, "filterName", true, true, &definition->filter_name, error) &&
           read_string(object, "filterPattern", true, false, &definition->filter_pattern, error) &&
           read_string(object, "logGroupName", false, true, &definition->log_group_name, error) &&
           read_transformation(object, &definition->transformation, error) &&
           read_string(object, "trailhoundCisId", false, true, &definition->cis_id, error) &&
           read_string(object, "trailhoundOrigin", false, true, &definition->origin, error);
}

bool metric_filter_from_json(const char *text, struct metric_filter_definition *definition,
                             struct metrics_error *error)
{
    *definition = (struct metric_filter_definition){0};
    json_error_t json_error;
    json_t *object = json_loads(text, JSON_REJECT_DUPLICATES, &json_error);
    if (!object)
        return read_fail(error, "metric filter JSON, line %d column %d: %s", json_error.line,
                         json_error.column, json_error.text);
    bool read = read_definition(object, definition, error);
    json_decref(object);
    if (!read)
        metric_filter_definition_free(definition);
    return read;
}
