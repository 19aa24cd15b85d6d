/* The YAML configuration file. libyaml's event API feeds a small tree of our own (so
 * aliases, anchors, nesting and size can be refused before anything is built), and the
 * tree is then checked field by field against PutMetricFilter's rules. Every message is
 * "FILE:LINE: FIELD: what is wrong", LINE being 1-based. */
#include "config/config.h"

#include "patterns/pattern.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

/* Limits that keep hostile or fuzzed input cheap; real files are far below them. */
#define CONFIG_MAX_BYTES (16u * 1024 * 1024)
#define CONFIG_MAX_DEPTH 32
#define CONFIG_MAX_NODES 100000

/* AWS's limits for PutMetricFilter (filter-patterns.md §7). */
#define FILTER_NAME_MAX_CHARACTERS 512
#define LOG_GROUP_NAME_MAX_CHARACTERS 512
#define METRIC_NAME_MAX_CHARACTERS 255
#define METRIC_VALUE_MAX_CHARACTERS 100
#define DIMENSION_MAX_CHARACTERS 255

/* Room for a field path such as metricFilters[12].metricTransformations[0].dimensions.x */
#define FIELD_PATH_SIZE 320

enum config_node_kind { NODE_SCALAR, NODE_SEQUENCE, NODE_MAPPING };

/* A YAML node. Mappings keep their entries as key, value, key, value... */
struct config_node {
    enum config_node_kind kind;
    size_t line;  /* 1-based */
    bool is_null; /* !!null, or an untagged plain scalar spelling null: "", ~, null */
    char *text;   /* scalars: NUL-terminated copy (may also hold NUL bytes) */
    size_t length;
    struct config_node *children;
    size_t count, capacity;
};

struct loader {
    const char *name; /* the file, for messages */
    const char *text;
    size_t length;
    struct config_error *error;
    struct config_node root;
    bool has_root;
    size_t node_count;
};

/* ---- messages ------------------------------------------------------------------------ */

/* "NAME:LINE: FIELD: what" (FIELD left out when NULL). Always returns false. */
__attribute__((format(printf, 4, 5))) static bool fail(struct loader *loader, size_t line,
                                                       const char *field, const char *format, ...)
{
    char what[400];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(what, sizeof what, format, arguments);
    va_end(arguments);
    char *out = loader->error->message;
    size_t size = sizeof loader->error->message;
    if (field)
        snprintf(out, size, "%s:%zu: %s: %s", loader->name, line, field, what);
    else
        snprintf(out, size, "%s:%zu: %s", loader->name, line, what);
    return false;
}

/* User text made safe to quote in a message: control bytes become '?', long text is cut. */
static const char *quoted(char out[64], const char *text, size_t length)
{
    size_t limit = 48, used = 0;
    for (size_t i = 0; i < length && used < limit; i++)
        out[used++] = (unsigned char)text[i] < 0x20 || text[i] == 0x7f ? '?' : text[i];
    if (length > limit)
        memcpy(out + used, "...", 4);
    else
        out[used] = '\0';
    return out;
}

/* "path.key"; a path cut short by the buffer still points the way. */
static const char *field_path(char out[FIELD_PATH_SIZE], const char *path, const char *key)
{
    if (snprintf(out, FIELD_PATH_SIZE, "%s.%s", path, key) >= FIELD_PATH_SIZE)
        memcpy(out + FIELD_PATH_SIZE - 4, "...", 4);
    return out;
}

static const char *node_kind_name(const struct config_node *node)
{
    if (node->kind == NODE_MAPPING)
        return "a mapping";
    if (node->kind == NODE_SEQUENCE)
        return "a list";
    return node->is_null ? "nothing (null)" : "text";
}

/* ---- building the tree from libyaml's events ---------------------------------------- */

static void node_free(struct config_node *node)
{
    for (size_t i = 0; i < node->count; i++)
        node_free(&node->children[i]);
    free(node->children);
    free(node->text);
}

static size_t line_of_offset(const struct loader *loader, size_t offset)
{
    size_t line = 1;
    for (size_t i = 0; i < offset && i < loader->length; i++)
        line += loader->text[i] == '\n';
    return line;
}

static bool fail_syntax(struct loader *loader, const yaml_parser_t *parser)
{
    if (parser->error == YAML_MEMORY_ERROR)
        return fail(loader, 1, NULL, "out of memory");
    const char *problem = parser->problem ? parser->problem : "unknown problem";
    if (parser->error == YAML_READER_ERROR)
        return fail(loader, line_of_offset(loader, parser->problem_offset), "YAML",
                    "syntax error: %s", problem);
    size_t line = parser->problem_mark.line + 1;
    if (parser->context)
        return fail(loader, line, "YAML", "syntax error: %s (%s that starts on line %zu)", problem,
                    parser->context, parser->context_mark.line + 1);
    return fail(loader, line, "YAML", "syntax error: %s", problem);
}

static bool scalar_spells_null(const yaml_event_t *event)
{
    static const char *const spellings[] = {"", "~", "null", "Null", "NULL"};
    const char *tag = (const char *)event->data.scalar.tag;
    if (tag)
        return strcmp(tag, YAML_NULL_TAG) == 0;
    if (event->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++)
        if (strcmp((const char *)event->data.scalar.value, spellings[i]) == 0)
            return true;
    return false;
}

/* A new node for `event`, appended to `parent` (or made the root); NULL on error. */
static struct config_node *node_add(struct loader *loader, struct config_node *parent,
                                    const yaml_event_t *event, enum config_node_kind kind)
{
    size_t line = event->start_mark.line + 1;
    if (++loader->node_count > CONFIG_MAX_NODES) {
        fail(loader, line, "YAML", "more than %d nodes", CONFIG_MAX_NODES);
        return NULL;
    }
    struct config_node *node = &loader->root;
    if (parent) {
        if (parent->count == parent->capacity) {
            size_t capacity = parent->capacity ? parent->capacity * 2 : 8;
            void *children = realloc(parent->children, capacity * sizeof *parent->children);
            if (!children) {
                fail(loader, line, NULL, "out of memory");
                return NULL;
            }
            parent->children = children;
            parent->capacity = capacity;
        }
        node = &parent->children[parent->count++];
    } else {
        loader->has_root = true;
    }
    *node = (struct config_node){.kind = kind, .line = line};
    return node;
}

static bool scalar_add(struct loader *loader, struct config_node *parent, const yaml_event_t *event)
{
    struct config_node *node = node_add(loader, parent, event, NODE_SCALAR);
    if (!node)
        return false;
    size_t length = event->data.scalar.length;
    node->text = malloc(length + 1);
    if (!node->text)
        return fail(loader, node->line, NULL, "out of memory");
    memcpy(node->text, event->data.scalar.value, length);
    node->text[length] = '\0';
    node->length = length;
    node->is_null = scalar_spells_null(event);
    return true;
}

static const yaml_char_t *event_anchor(const yaml_event_t *event)
{
    if (event->type == YAML_SCALAR_EVENT)
        return event->data.scalar.anchor;
    if (event->type == YAML_SEQUENCE_START_EVENT)
        return event->data.sequence_start.anchor;
    if (event->type == YAML_MAPPING_START_EVENT)
        return event->data.mapping_start.anchor;
    return NULL;
}

struct tree_builder {
    struct config_node *stack[CONFIG_MAX_DEPTH];
    size_t depth;
    bool document_seen;
    bool done;
};

static bool collection_start(struct loader *loader, struct tree_builder *builder,
                             const yaml_event_t *event, enum config_node_kind kind)
{
    if (builder->depth == CONFIG_MAX_DEPTH)
        return fail(loader, event->start_mark.line + 1, "YAML", "nested deeper than %d levels",
                    CONFIG_MAX_DEPTH);
    struct config_node *parent = builder->depth ? builder->stack[builder->depth - 1] : NULL;
    struct config_node *node = node_add(loader, parent, event, kind);
    if (!node)
        return false;
    builder->stack[builder->depth++] = node;
    return true;
}

static bool event_apply(struct loader *loader, struct tree_builder *builder,
                        const yaml_event_t *event)
{
    size_t line = event->start_mark.line + 1;
    /* Aliases could expand a small file exponentially (billion laughs); we need none. */
    if (event->type == YAML_ALIAS_EVENT)
        return fail(loader, line, "YAML", "aliases (*%.40s) are not supported",
                    (const char *)event->data.alias.anchor);
    if (event_anchor(event))
        return fail(loader, line, "YAML", "anchors (&%.40s) are not supported",
                    (const char *)event_anchor(event));
    switch (event->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (builder->document_seen)
            return fail(loader, line, "YAML", "only one document is allowed");
        builder->document_seen = true;
        return true;
    case YAML_SCALAR_EVENT:
        return scalar_add(loader, builder->depth ? builder->stack[builder->depth - 1] : NULL,
                          event);
    case YAML_SEQUENCE_START_EVENT:
        return collection_start(loader, builder, event, NODE_SEQUENCE);
    case YAML_MAPPING_START_EVENT:
        return collection_start(loader, builder, event, NODE_MAPPING);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        builder->depth -= builder->depth > 0;
        return true;
    case YAML_STREAM_END_EVENT:
        builder->done = true;
        return true;
    default:
        return true;
    }
}

static bool tree_build(struct loader *loader)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return fail(loader, 1, NULL, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)loader->text, loader->length);
    struct tree_builder builder = {0};
    bool ok = true;
    while (ok && !builder.done) {
        yaml_event_t event;
        if (!yaml_parser_parse(&parser, &event)) {
            ok = fail_syntax(loader, &parser);
            break;
        }
        ok = event_apply(loader, &builder, &event);
        yaml_event_delete(&event);
    }
    yaml_parser_delete(&parser);
    return ok;
}

/* ---- reading nodes ------------------------------------------------------------------- */

static size_t utf8_characters(const char *text, size_t length)
{
    size_t count = 0;
    for (size_t i = 0; i < length; i++)
        count += ((unsigned char)text[i] & 0xc0) != 0x80;
    return count;
}

static const struct config_node *mapping_get(const struct config_node *mapping, const char *key)
{
    for (size_t i = 0; i + 1 < mapping->count; i += 2) {
        const struct config_node *name = &mapping->children[i];
        if (name->kind == NODE_SCALAR && strcmp(name->text, key) == 0 &&
            strlen(key) == name->length)
            return &mapping->children[i + 1];
    }
    return NULL;
}

/* An optional field: absent or written as null. */
static const struct config_node *mapping_get_optional(const struct config_node *mapping,
                                                      const char *key)
{
    const struct config_node *value = mapping_get(mapping, key);
    return value && value->kind == NODE_SCALAR && value->is_null ? NULL : value;
}

static bool fail_unknown_key(struct loader *loader, const struct config_node *key, const char *path,
                             const char *const *known, size_t known_count)
{
    char text[64];
    quoted(text, key->text, key->length);
    for (size_t i = 0; i < known_count; i++)
        if (key->length == strlen(known[i]) && strcasecmp(key->text, known[i]) == 0)
            return fail(loader, key->line, path, "unknown field '%s'; did you mean '%s'?", text,
                        known[i]);
    char list[256] = "";
    for (size_t i = 0; i < known_count; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", known[i]);
    return fail(loader, key->line, path, "unknown field '%s' (expected one of: %s)", text, list);
}

/* Every key is a scalar from `known`, written once. */
static bool mapping_check_keys(struct loader *loader, const struct config_node *mapping,
                               const char *path, const char *const *known, size_t known_count)
{
    for (size_t i = 0; i + 1 < mapping->count; i += 2) {
        const struct config_node *key = &mapping->children[i];
        if (key->kind != NODE_SCALAR)
            return fail(loader, key->line, path, "keys must be plain names, found %s",
                        node_kind_name(key));
        bool is_known = false;
        for (size_t k = 0; k < known_count && !is_known; k++)
            is_known = key->length == strlen(known[k]) && strcmp(key->text, known[k]) == 0;
        if (!is_known)
            return fail_unknown_key(loader, key, path, known, known_count);
        if (mapping_get(mapping, key->text) != &mapping->children[i + 1])
            return fail(loader, key->line, path, "field '%s' is given twice", key->text);
    }
    return true;
}

/* A non-null scalar without NUL bytes. */
static bool expect_text(struct loader *loader, const struct config_node *node, const char *path)
{
    if (node->kind != NODE_SCALAR || node->is_null)
        return fail(loader, node->line, path, "expected text, found %s", node_kind_name(node));
    if (memchr(node->text, '\0', node->length))
        return fail(loader, node->line, path, "must not contain NUL characters");
    return true;
}

/* Text of 1..max characters containing none of `forbidden`. */
static bool expect_name(struct loader *loader, const struct config_node *node, const char *path,
                        size_t max_characters, const char *forbidden)
{
    if (!expect_text(loader, node, path))
        return false;
    size_t characters = utf8_characters(node->text, node->length);
    if (characters == 0 || characters > max_characters)
        return fail(loader, node->line, path, "must be 1 to %zu characters long, is %zu",
                    max_characters, characters);
    size_t clean = strcspn(node->text, forbidden);
    if (clean < node->length)
        return fail(loader, node->line, path, "must not contain '%c'", node->text[clean]);
    return true;
}

static const struct config_node *required(struct loader *loader, const struct config_node *mapping,
                                          const char *path, const char *key)
{
    const struct config_node *value = mapping_get(mapping, key);
    if (!value) {
        char field[FIELD_PATH_SIZE];
        field_path(field, path, key);
        fail(loader, mapping->line, field, "missing (required)");
    }
    return value;
}

/* A JSON-style number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool is_number_literal(const char *text)
{
    const char *p = text + (*text == '-');
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        p += strspn(p, "0123456789");
    else
        return false;
    if (*p == '.') {
        size_t digits = strspn(p + 1, "0123456789");
        if (digits == 0)
            return false;
        p += 1 + digits;
    }
    if (*p == 'e' || *p == 'E') {
        p += 1 + (p[1] == '+' || p[1] == '-');
        size_t digits = strspn(p, "0123456789");
        if (digits == 0)
            return false;
        p += digits;
    }
    return *p == '\0';
}

static bool expect_number(struct loader *loader, const struct config_node *node, const char *path,
                          double *value)
{
    if (!expect_text(loader, node, path))
        return false;
    char text[64];
    if (!is_number_literal(node->text))
        return fail(loader, node->line, path, "'%s' is not a number",
                    quoted(text, node->text, node->length));
    *value = strtod(node->text, NULL);
    if (!isfinite(*value))
        return fail(loader, node->line, path, "'%s' is out of range",
                    quoted(text, node->text, node->length));
    return true;
}

/* ---- metric filters ------------------------------------------------------------------ */

static const char *pattern_kind_name(enum pattern_kind kind)
{
    switch (kind) {
    case PATTERN_MATCH_ALL:
        return "an empty (match-everything)";
    case PATTERN_TERMS:
        return "a term";
    case PATTERN_REGEX:
        return "a regex";
    case PATTERN_JSON:
        return "a JSON";
    case PATTERN_SPACE_DELIMITED:
        return "a space-delimited";
    }
    return "this";
}

static bool pattern_has_fields(const struct pattern *pattern)
{
    enum pattern_kind kind = pattern_kind(pattern);
    return kind == PATTERN_JSON || kind == PATTERN_SPACE_DELIMITED;
}

/* Is `text` exactly one JSON selector without wildcards? The pattern engine decides, so
 * references use the same selector syntax as patterns; a wildcard would name several
 * values where a metric needs one. */
static bool is_single_json_selector(const char *text)
{
    struct pattern_error error;
    struct pattern *reference = pattern_compile_reference(text, &error);
    if (!reference)
        return false;
    size_t count;
    const struct selector *selector = pattern_selectors(reference, &count);
    bool single = count == 1;
    for (size_t i = 0; single && i < selector->step_count; i++)
        single = selector->steps[i].kind == SELECTOR_STEP_MEMBER ||
                 selector->steps[i].kind == SELECTOR_STEP_INDEX;
    pattern_free(reference);
    return single;
}

/* $name or $N (N >= 1), as space-delimited patterns name their fields. */
static bool is_field_reference(const char *text)
{
    static const char digits[] = "0123456789";
    const char *name = text + 1;
    size_t length = strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789");
    if (length == 0 || name[length] != '\0')
        return false;
    bool is_position = strspn(name, digits) == length;
    return !is_position || name[0] != '0';
}

/* A '$' reference to a value the pattern extracts, in the form its kind uses. */
static bool check_reference(struct loader *loader, const struct config_node *node, const char *path,
                            const struct pattern *pattern)
{
    char text[64];
    quoted(text, node->text, node->length);
    switch (pattern_kind(pattern)) {
    case PATTERN_JSON:
        /* the engine would skip trailing blanks, which are not part of a selector */
        if (isspace((unsigned char)node->text[node->length - 1]) ||
            !is_single_json_selector(node->text))
            return fail(loader, node->line, path,
                        "'%s' is not a JSON selector without wildcards such as $.bytes", text);
        return true;
    case PATTERN_SPACE_DELIMITED:
        if (!is_field_reference(node->text))
            return fail(loader, node->line, path,
                        "'%s' is not a field reference such as $size or $7", text);
        return true;
    default:
        return fail(loader, node->line, path,
                    "%s pattern extracts no values to refer to; use a number",
                    pattern_kind_name(pattern_kind(pattern)));
    }
}

static bool check_metric_value(struct loader *loader, const struct config_node *node,
                               const char *path, const struct pattern *pattern)
{
    if (!expect_text(loader, node, path))
        return false;
    size_t characters = utf8_characters(node->text, node->length);
    if (characters == 0 || characters > METRIC_VALUE_MAX_CHARACTERS)
        return fail(loader, node->line, path, "must be 1 to %d characters long, is %zu",
                    METRIC_VALUE_MAX_CHARACTERS, characters);
    if (node->text[0] == '$')
        return check_reference(loader, node, path, pattern);
    double value;
    if (!is_number_literal(node->text)) {
        char text[64];
        return fail(loader, node->line, path,
                    "'%s' is neither a number nor a reference starting with '$'",
                    quoted(text, node->text, node->length));
    }
    return expect_number(loader, node, path, &value);
}

static bool check_unit(struct loader *loader, const struct config_node *node, const char *path)
{
    static const char *const units[] = {
        "Seconds",
        "Microseconds",
        "Milliseconds",
        "Bytes",
        "Kilobytes",
        "Megabytes",
        "Gigabytes",
        "Terabytes",
        "Bits",
        "Kilobits",
        "Megabits",
        "Gigabits",
        "Terabits",
        "Percent",
        "Count",
        "Bytes/Second",
        "Kilobytes/Second",
        "Megabytes/Second",
        "Gigabytes/Second",
        "Terabytes/Second",
        "Bits/Second",
        "Kilobits/Second",
        "Megabits/Second",
        "Gigabits/Second",
        "Terabits/Second",
        "Count/Second",
        "None",
    };
    size_t count = sizeof units / sizeof units[0];
    if (!expect_text(loader, node, path))
        return false;
    for (size_t i = 0; i < count; i++)
        if (strcmp(node->text, units[i]) == 0)
            return true;
    char text[64];
    quoted(text, node->text, node->length);
    for (size_t i = 0; i < count; i++)
        if (strcasecmp(node->text, units[i]) == 0)
            return fail(loader, node->line, path,
                        "'%s' is not a CloudWatch unit; did you mean '%s'?", text, units[i]);
    return fail(loader, node->line, path,
                "'%s' is not a CloudWatch unit (Seconds, Bytes, Count, Count/Second, None, ...)",
                text);
}

static bool load_dimensions(struct loader *loader, const struct config_node *node, const char *path,
                            const struct pattern *pattern,
                            struct metric_transformation *transformation)
{
    if (node->kind != NODE_MAPPING)
        return fail(loader, node->line, path, "expected a mapping of name: $reference, found %s",
                    node_kind_name(node));
    size_t count = node->count / 2;
    if (count > 0 && !pattern_has_fields(pattern))
        return fail(loader, node->line, path,
                    "The specified filter pattern does not support dimensions (%s pattern)",
                    pattern_kind_name(pattern_kind(pattern)));
    if (count > METRIC_FILTER_MAX_DIMENSIONS)
        return fail(loader, node->children[2 * METRIC_FILTER_MAX_DIMENSIONS].line, path,
                    "at most %d dimensions are allowed, found %zu", METRIC_FILTER_MAX_DIMENSIONS,
                    count);
    for (size_t i = 0; i < count; i++) {
        const struct config_node *name = &node->children[2 * i];
        const struct config_node *reference = &node->children[2 * i + 1];
        if (!expect_name(loader, name, path, DIMENSION_MAX_CHARACTERS, ""))
            return false;
        char field[FIELD_PATH_SIZE], text[64];
        field_path(field, path, quoted(text, name->text, name->length));
        if (mapping_get(node, name->text) != reference)
            return fail(loader, name->line, field, "dimension given twice");
        if (!expect_name(loader, reference, field, DIMENSION_MAX_CHARACTERS, ""))
            return false;
        if (reference->text[0] != '$')
            return fail(loader, reference->line, field,
                        "a dimension's value must be a reference starting with '$'");
        if (!check_reference(loader, reference, field, pattern))
            return false;
        transformation->dimensions[i] = (struct metric_dimension){name->text, reference->text};
    }
    transformation->dimension_count = count;
    return true;
}

static bool load_default_value(struct loader *loader, const struct config_node *transformation,
                               const char *path, struct metric_transformation *out)
{
    const struct config_node *node = mapping_get_optional(transformation, "defaultValue");
    if (!node)
        return true;
    char field[FIELD_PATH_SIZE];
    field_path(field, path, "defaultValue");
    if (out->dimension_count > 0)
        return fail(loader, node->line, field,
                    "a metric with dimensions cannot have a defaultValue");
    out->has_default_value = true;
    return expect_number(loader, node, field, &out->default_value);
}

static bool load_string_field(struct loader *loader, const struct config_node *mapping,
                              const char *path, const char *key, size_t max_characters, char **out)
{
    const struct config_node *node = required(loader, mapping, path, key);
    if (!node)
        return false;
    char field[FIELD_PATH_SIZE];
    field_path(field, path, key);
    if (!expect_name(loader, node, field, max_characters, ":*$"))
        return false;
    *out = node->text;
    return true;
}

static bool load_transformation(struct loader *loader, const struct config_node *node,
                                const char *path, const struct pattern *pattern,
                                struct metric_transformation *out)
{
    static const char *const known[] = {"metricName",   "metricNamespace", "metricValue",
                                        "defaultValue", "dimensions",      "unit"};
    if (node->kind != NODE_MAPPING)
        return fail(loader, node->line, path,
                    "expected a mapping with metricName, metricNamespace and metricValue, "
                    "found %s",
                    node_kind_name(node));
    if (!mapping_check_keys(loader, node, path, known, sizeof known / sizeof known[0]) ||
        !load_string_field(loader, node, path, "metricName", METRIC_NAME_MAX_CHARACTERS,
                           &out->metric_name) ||
        !load_string_field(loader, node, path, "metricNamespace", METRIC_NAME_MAX_CHARACTERS,
                           &out->metric_namespace))
        return false;
    char field[FIELD_PATH_SIZE];
    const struct config_node *value = required(loader, node, path, "metricValue");
    field_path(field, path, "metricValue");
    if (!value || !check_metric_value(loader, value, field, pattern))
        return false;
    out->metric_value = value->text;
    const struct config_node *dimensions = mapping_get_optional(node, "dimensions");
    field_path(field, path, "dimensions");
    if (dimensions && !load_dimensions(loader, dimensions, field, pattern, out))
        return false;
    if (!load_default_value(loader, node, path, out))
        return false;
    const struct config_node *unit = mapping_get_optional(node, "unit");
    field_path(field, path, "unit");
    if (unit && !check_unit(loader, unit, field))
        return false;
    out->unit = unit ? unit->text : NULL;
    return true;
}

static bool load_transformations(struct loader *loader, const struct config_node *filter,
                                 const char *path, const struct pattern *pattern,
                                 struct metric_transformation *out)
{
    const struct config_node *list = required(loader, filter, path, "metricTransformations");
    if (!list)
        return false;
    char field[FIELD_PATH_SIZE];
    field_path(field, path, "metricTransformations");
    if (list->kind != NODE_SEQUENCE)
        return fail(loader, list->line, field, "expected a list of one transformation, found %s",
                    node_kind_name(list));
    if (list->count != 1)
        return fail(loader, list->count ? list->children[1].line : list->line, field,
                    "must hold exactly one transformation (AWS allows one per filter), found %zu",
                    list->count);
    field_path(field, path, "metricTransformations[0]");
    return load_transformation(loader, &list->children[0], field, pattern, out);
}

static bool load_filter_pattern(struct loader *loader, const struct config_node *filter,
                                const char *path, struct pattern **pattern, char **out)
{
    const struct config_node *node = required(loader, filter, path, "filterPattern");
    if (!node)
        return false;
    char field[FIELD_PATH_SIZE];
    field_path(field, path, "filterPattern");
    if (node->kind != NODE_SCALAR || node->is_null)
        return fail(loader, node->line, field,
                    "expected the pattern as text, found %s (quote patterns starting with "
                    "'{' or '[', and write \"\" for an empty pattern)",
                    node_kind_name(node));
    struct pattern_error error;
    *pattern = pattern_compile(node->text, node->length, &error);
    if (!*pattern)
        return fail(loader, node->line, field, "invalid filter pattern at column %zu: %s",
                    error.column, error.message);
    *out = node->text;
    return true;
}

static bool load_log_group_name(struct loader *loader, const struct config_node *filter,
                                const char *path, char **out)
{
    const struct config_node *node = mapping_get_optional(filter, "logGroupName");
    if (!node)
        return true;
    char field[FIELD_PATH_SIZE];
    field_path(field, path, "logGroupName");
    if (!expect_name(loader, node, field, LOG_GROUP_NAME_MAX_CHARACTERS, ""))
        return false;
    static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "0123456789._-/#";
    size_t clean = strspn(node->text, allowed);
    if (clean < node->length)
        return fail(loader, node->line, field,
                    "may hold only letters, digits and . _ - / # (found '%c')",
                    node->text[clean] < 0x20 ? '?' : node->text[clean]);
    *out = node->text;
    return true;
}

static bool check_unique_name(struct loader *loader, const struct metric_filter_list *loaded,
                              const struct config_node *filter, const char *path)
{
    const struct config_node *name = mapping_get(filter, "filterName");
    for (size_t i = 0; i < loaded->count; i++)
        if (strcmp(loaded->items[i].filter_name, name->text) == 0) {
            char field[FIELD_PATH_SIZE], text[64];
            field_path(field, path, "filterName");
            return fail(loader, name->line, field, "duplicate filterName '%s' (first at %s)",
                        quoted(text, name->text, name->length), loaded->items[i].origin);
        }
    return true;
}

static bool load_filter_fields(struct loader *loader, const struct config_node *filter,
                               const char *path, struct metric_filter_definition *definition,
                               struct pattern **pattern)
{
    static const char *const known[] = {"filterName", "filterPattern", "logGroupName",
                                        "metricTransformations"};
    if (filter->kind != NODE_MAPPING)
        return fail(loader, filter->line, path,
                    "expected a mapping with filterName, filterPattern and "
                    "metricTransformations, found %s",
                    node_kind_name(filter));
    if (!mapping_check_keys(loader, filter, path, known, sizeof known / sizeof known[0]))
        return false;
    const struct config_node *name = required(loader, filter, path, "filterName");
    char field[FIELD_PATH_SIZE];
    field_path(field, path, "filterName");
    if (!name || !expect_name(loader, name, field, FILTER_NAME_MAX_CHARACTERS, ":*"))
        return false;
    definition->filter_name = name->text;
    return load_filter_pattern(loader, filter, path, pattern, &definition->filter_pattern) &&
           load_log_group_name(loader, filter, path, &definition->log_group_name) &&
           load_transformations(loader, filter, path, *pattern, &definition->transformation);
}

static bool load_filter(struct loader *loader, const struct config_node *filter, size_t index,
                        struct metric_filter_list *loaded)
{
    char path[64];
    snprintf(path, sizeof path, "metricFilters[%zu]", index);
    struct metric_filter_definition definition = {0};
    struct pattern *pattern = NULL;
    bool ok = load_filter_fields(loader, filter, path, &definition, &pattern) &&
              check_unique_name(loader, loaded, filter, path);
    pattern_free(pattern);
    if (!ok)
        return false;
    size_t origin_size = strlen(loader->name) + 24;
    definition.origin = malloc(origin_size);
    if (!definition.origin)
        return fail(loader, filter->line, path, "out of memory");
    snprintf(definition.origin, origin_size, "%s:%zu", loader->name, filter->line);
    /* the definition borrows the tree's strings; the list keeps its own copies */
    ok = metric_filter_list_append(loaded, &definition);
    free(definition.origin);
    return ok || fail(loader, filter->line, path, "out of memory");
}

/* ---- the file ------------------------------------------------------------------------ */

static bool load_metric_filters(struct loader *loader, struct metric_filter_list *loaded)
{
    /* alarms, topics and settings are reserved for the versions that define them: accepted
     * and ignored today so files written for those versions still load. */
    static const char *const known[] = {"metricFilters", "alarms", "topics", "settings"};
    const struct config_node *root = &loader->root;
    if (!loader->has_root || (root->kind == NODE_SCALAR && root->is_null))
        return fail(loader, 1, "metricFilters", "no metricFilters (the file is empty)");
    if (root->kind != NODE_MAPPING)
        return fail(loader, root->line, "metricFilters",
                    "the top level must be a mapping holding metricFilters, found %s",
                    node_kind_name(root));
    if (!mapping_check_keys(loader, root, "(top level)", known, sizeof known / sizeof known[0]))
        return false;
    const struct config_node *filters = mapping_get(root, "metricFilters");
    if (!filters)
        return fail(loader, root->line, "metricFilters", "no metricFilters in the file");
    if (filters->kind != NODE_SEQUENCE)
        return fail(loader, filters->line, "metricFilters", "expected a list, found %s",
                    node_kind_name(filters));
    for (size_t i = 0; i < filters->count; i++)
        if (!load_filter(loader, &filters->children[i], i, loaded))
            return false;
    return true;
}

/* Appends all of `loaded` or, when memory runs out, nothing. */
static bool append_all(struct loader *loader, struct metric_filter_list *filters,
                       const struct metric_filter_list *loaded)
{
    size_t count_before = filters->count;
    for (size_t i = 0; i < loaded->count; i++)
        if (!metric_filter_list_append(filters, &loaded->items[i])) {
            while (filters->count > count_before)
                metric_filter_definition_free(&filters->items[--filters->count]);
            return fail(loader, 1, NULL, "out of memory");
        }
    return true;
}

bool config_load_buffer(const char *name, const char *text, size_t length,
                        struct metric_filter_list *filters, struct config_error *error)
{
    struct loader loader = {.name = name, .text = text, .length = length, .error = error};
    error->message[0] = '\0';
    if (length > CONFIG_MAX_BYTES)
        return fail(&loader, 1, NULL, "larger than %u bytes", CONFIG_MAX_BYTES);
    struct metric_filter_list loaded = {0};
    bool ok = tree_build(&loader) && load_metric_filters(&loader, &loaded) &&
              append_all(&loader, filters, &loaded);
    metric_filter_list_free(&loaded);
    if (loader.has_root)
        node_free(&loader.root);
    return ok;
}

/* The whole file, at most CONFIG_MAX_BYTES + 1 bytes of it (one more shows it is too big). */
static char *file_read(const char *path, size_t *length, struct config_error *error)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        snprintf(error->message, sizeof error->message, "%s: cannot open: %s", path,
                 strerror(errno));
        return NULL;
    }
    size_t capacity = 64 * 1024, used = 0;
    char *text = malloc(capacity);
    while (text) {
        used += fread(text + used, 1, capacity - used, file);
        if (used < capacity || capacity > CONFIG_MAX_BYTES)
            break;
        size_t grown_capacity =
            capacity * 2 > CONFIG_MAX_BYTES ? CONFIG_MAX_BYTES + 1 : capacity * 2;
        char *grown = realloc(text, grown_capacity);
        if (!grown)
            free(text);
        text = grown;
        capacity = grown_capacity;
    }
    bool failed = !text || ferror(file);
    int saved_errno = errno;
    fclose(file);
    if (failed) {
        snprintf(error->message, sizeof error->message, "%s: cannot read: %s", path,
                 text ? strerror(saved_errno) : "out of memory");
        free(text);
        return NULL;
    }
    *length = used;
    return text;
}

bool config_load_file(const char *path, struct metric_filter_list *filters,
                      struct config_error *error)
{
    size_t length;
    char *text = file_read(path, &length, error);
    if (!text)
        return false;
    bool ok = config_load_buffer(path, text, length, filters, error);
    free(text);
    return ok;
}
