/* The YAML tree: libyaml's event API feeds a small tree of our own, so aliases, anchors,
 * nesting and size are refused before anything is built; and the helpers that read its
 * nodes and word the messages. */
#include "config/config_internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

/* ---- messages ------------------------------------------------------------------------ */

/* "NAME:LINE: FIELD: what" (FIELD left out when NULL). Always returns false. */
bool config_fail(struct config_loader *loader, size_t line, const char *field, const char *format,
                 ...)
{
    char what[768];
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
const char *config_quoted(char out[64], const char *text, size_t length)
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
const char *config_field_path(char out[FIELD_PATH_SIZE], const char *path, const char *key)
{
    if (snprintf(out, FIELD_PATH_SIZE, "%s.%s", path, key) >= FIELD_PATH_SIZE)
        memcpy(out + FIELD_PATH_SIZE - 4, "...", 4);
    return out;
}

/* "path[index]", cut short like config_field_path. */
const char *config_item_path(char out[FIELD_PATH_SIZE], const char *path, size_t index)
{
    if (snprintf(out, FIELD_PATH_SIZE, "%s[%zu]", path, index) >= FIELD_PATH_SIZE)
        memcpy(out + FIELD_PATH_SIZE - 4, "...", 4);
    return out;
}

const char *config_node_kind_name(const struct config_node *node)
{
    if (node->kind == NODE_MAPPING)
        return "a mapping";
    if (node->kind == NODE_SEQUENCE)
        return "a list";
    return node->is_null ? "nothing (null)" : "text";
}

/* ---- building the tree from libyaml's events ---------------------------------------- */

void config_node_free(struct config_node *node)
{
    for (size_t i = 0; i < node->count; i++)
        config_node_free(&node->children[i]);
    free(node->children);
    free(node->text);
}

static size_t line_of_offset(const struct config_loader *loader, size_t offset)
{
    size_t line = 1;
    for (size_t i = 0; i < offset && i < loader->length; i++)
        line += loader->text[i] == '\n';
    return line;
}

static bool fail_syntax(struct config_loader *loader, const yaml_parser_t *parser)
{
    if (parser->error == YAML_MEMORY_ERROR)
        return config_fail(loader, 1, NULL, "out of memory");
    const char *problem = parser->problem ? parser->problem : "unknown problem";
    if (parser->error == YAML_READER_ERROR)
        return config_fail(loader, line_of_offset(loader, parser->problem_offset), "YAML",
                           "syntax error: %s", problem);
    size_t line = parser->problem_mark.line + 1;
    if (parser->context)
        return config_fail(loader, line, "YAML", "syntax error: %s (%s that starts on line %zu)",
                           problem, parser->context, parser->context_mark.line + 1);
    return config_fail(loader, line, "YAML", "syntax error: %s", problem);
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
static struct config_node *node_add(struct config_loader *loader, struct config_node *parent,
                                    const yaml_event_t *event, enum config_node_kind kind)
{
    size_t line = event->start_mark.line + 1;
    if (++loader->node_count > CONFIG_MAX_NODES) {
        config_fail(loader, line, "YAML", "more than %d nodes", CONFIG_MAX_NODES);
        return NULL;
    }
    struct config_node *node = &loader->root;
    if (parent) {
        if (parent->count == parent->capacity) {
            size_t capacity = parent->capacity ? parent->capacity * 2 : 8;
            void *children = realloc(parent->children, capacity * sizeof *parent->children);
            if (!children) {
                config_fail(loader, line, NULL, "out of memory");
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

static bool scalar_add(struct config_loader *loader, struct config_node *parent,
                       const yaml_event_t *event)
{
    struct config_node *node = node_add(loader, parent, event, NODE_SCALAR);
    if (!node)
        return false;
    size_t length = event->data.scalar.length;
    node->text = malloc(length + 1);
    if (!node->text)
        return config_fail(loader, node->line, NULL, "out of memory");
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

static bool collection_start(struct config_loader *loader, struct tree_builder *builder,
                             const yaml_event_t *event, enum config_node_kind kind)
{
    if (builder->depth == CONFIG_MAX_DEPTH)
        return config_fail(loader, event->start_mark.line + 1, "YAML",
                           "nested deeper than %d levels", CONFIG_MAX_DEPTH);
    struct config_node *parent = builder->depth ? builder->stack[builder->depth - 1] : NULL;
    struct config_node *node = node_add(loader, parent, event, kind);
    if (!node)
        return false;
    builder->stack[builder->depth++] = node;
    return true;
}

static bool event_apply(struct config_loader *loader, struct tree_builder *builder,
                        const yaml_event_t *event)
{
    size_t line = event->start_mark.line + 1;
    /* Aliases could expand a small file exponentially (billion laughs); we need none. */
    if (event->type == YAML_ALIAS_EVENT)
        return config_fail(loader, line, "YAML", "aliases (*%.40s) are not supported",
                           (const char *)event->data.alias.anchor);
    if (event_anchor(event))
        return config_fail(loader, line, "YAML", "anchors (&%.40s) are not supported",
                           (const char *)event_anchor(event));
    switch (event->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (builder->document_seen)
            return config_fail(loader, line, "YAML", "only one document is allowed");
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

bool config_tree_build(struct config_loader *loader)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return config_fail(loader, 1, NULL, "out of memory");
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

size_t config_utf8_characters(const char *text, size_t length)
{
    size_t count = 0;
    for (size_t i = 0; i < length; i++)
        count += ((unsigned char)text[i] & 0xc0) != 0x80;
    return count;
}

const struct config_node *config_mapping_get(const struct config_node *mapping, const char *key)
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
const struct config_node *config_mapping_get_optional(const struct config_node *mapping,
                                                      const char *key)
{
    const struct config_node *value = config_mapping_get(mapping, key);
    return value && value->kind == NODE_SCALAR && value->is_null ? NULL : value;
}

static bool fail_unknown_key(struct config_loader *loader, const struct config_node *key,
                             const char *path, const char *const *known, size_t known_count)
{
    char text[64];
    config_quoted(text, key->text, key->length);
    for (size_t i = 0; i < known_count; i++)
        if (key->length == strlen(known[i]) && strcasecmp(key->text, known[i]) == 0)
            return config_fail(loader, key->line, path, "unknown field '%s'; did you mean '%s'?",
                               text, known[i]);
    char list[512] = "";
    for (size_t i = 0; i < known_count; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", known[i]);
    return config_fail(loader, key->line, path, "unknown field '%s' (expected one of: %s)", text,
                       list);
}

/* Every key is a scalar from `known`, written once. */
bool config_mapping_check_keys(struct config_loader *loader, const struct config_node *mapping,
                               const char *path, const char *const *known, size_t known_count)
{
    for (size_t i = 0; i + 1 < mapping->count; i += 2) {
        const struct config_node *key = &mapping->children[i];
        if (key->kind != NODE_SCALAR)
            return config_fail(loader, key->line, path, "keys must be plain names, found %s",
                               config_node_kind_name(key));
        bool is_known = false;
        for (size_t k = 0; k < known_count && !is_known; k++)
            is_known = key->length == strlen(known[k]) && strcmp(key->text, known[k]) == 0;
        if (!is_known)
            return fail_unknown_key(loader, key, path, known, known_count);
        if (config_mapping_get(mapping, key->text) != &mapping->children[i + 1])
            return config_fail(loader, key->line, path, "field '%s' is given twice", key->text);
    }
    return true;
}

/* A non-null scalar without NUL bytes. */
bool config_expect_text(struct config_loader *loader, const struct config_node *node,
                        const char *path)
{
    if (node->kind != NODE_SCALAR || node->is_null)
        return config_fail(loader, node->line, path, "expected text, found %s",
                           config_node_kind_name(node));
    if (memchr(node->text, '\0', node->length))
        return config_fail(loader, node->line, path, "must not contain NUL characters");
    return true;
}

/* Text of 1..max characters containing none of `forbidden`. */
bool config_expect_name(struct config_loader *loader, const struct config_node *node,
                        const char *path, size_t max_characters, const char *forbidden)
{
    if (!config_expect_text(loader, node, path))
        return false;
    size_t characters = config_utf8_characters(node->text, node->length);
    if (characters == 0 || characters > max_characters)
        return config_fail(loader, node->line, path, "must be 1 to %zu characters long, is %zu",
                           max_characters, characters);
    size_t clean = strcspn(node->text, forbidden);
    if (clean < node->length)
        return config_fail(loader, node->line, path, "must not contain '%c'", node->text[clean]);
    return true;
}

const struct config_node *config_required(struct config_loader *loader,
                                          const struct config_node *mapping, const char *path,
                                          const char *key)
{
    const struct config_node *value = config_mapping_get(mapping, key);
    if (!value) {
        char field[FIELD_PATH_SIZE];
        config_field_path(field, path, key);
        config_fail(loader, mapping->line, field, "missing (required)");
    }
    return value;
}

/* A JSON-style number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
bool config_is_number_literal(const char *text)
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

bool config_expect_number(struct config_loader *loader, const struct config_node *node,
                          const char *path, double *value)
{
    if (!config_expect_text(loader, node, path))
        return false;
    char text[64];
    if (!config_is_number_literal(node->text))
        return config_fail(loader, node->line, path, "'%s' is not a number",
                           config_quoted(text, node->text, node->length));
    *value = strtod(node->text, NULL);
    if (!isfinite(*value))
        return config_fail(loader, node->line, path, "'%s' is out of range",
                           config_quoted(text, node->text, node->length));
    return true;
}

const struct config_node *config_optional_field(const struct config_node *mapping, const char *path,
                                                const char *key, char field[FIELD_PATH_SIZE])
{
    config_field_path(field, path, key);
    return config_mapping_get_optional(mapping, key);
}

bool config_optional_text(struct config_loader *loader, const struct config_node *mapping,
                          const char *path, const char *key, char **out)
{
    char field[FIELD_PATH_SIZE];
    const struct config_node *node = config_optional_field(mapping, path, key, field);
    if (node && !config_expect_text(loader, node, field))
        return false;
    *out = node ? node->text : NULL;
    return true;
}

bool config_optional_flag(struct config_loader *loader, const struct config_node *mapping,
                          const char *path, const char *key, bool *out)
{
    char field[FIELD_PATH_SIZE];
    const struct config_node *node = config_optional_field(mapping, path, key, field);
    if (!node)
        return true;
    if (!config_expect_text(loader, node, field))
        return false;
    if (strcmp(node->text, "true") != 0 && strcmp(node->text, "false") != 0)
        return config_fail(loader, node->line, field, "must be true or false");
    *out = strcmp(node->text, "true") == 0;
    return true;
}

bool config_optional_whole_number(struct config_loader *loader, const struct config_node *mapping,
                                  const char *path, const char *key, int minimum, int maximum,
                                  int *out)
{
    char field[FIELD_PATH_SIZE];
    const struct config_node *node = config_optional_field(mapping, path, key, field);
    if (!node)
        return true;
    double value;
    if (!config_expect_number(loader, node, field, &value))
        return false;
    if (value != floor(value) || value < minimum || value > maximum) {
        if (maximum == CONFIG_WHOLE_NUMBER_UNBOUNDED)
            return config_fail(loader, node->line, field, "must be a whole number from %d up",
                               minimum);
        return config_fail(loader, node->line, field, "must be a whole number from %d to %d",
                           minimum, maximum);
    }
    *out = (int)value;
    return true;
}
