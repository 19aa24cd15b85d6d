/* The JSON-pattern parser (spec §5.1): `{ or-expression }` where && binds tighter than ||,
 * conditions compare a selector with a value or test IS NULL / IS TRUE / IS FALSE /
 * NOT EXISTS. Produces the node array, the conditions and the deduplicated selectors. */
#include "patterns/pattern_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct json_parse_state {
    struct pattern_parser *parser;
    size_t node_capacity, condition_capacity, selector_capacity;
    size_t depth;
};

static bool is_name_character(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

static bool is_keyword_character(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ---- selectors ---- */

struct selector_builder {
    struct selector_step *steps;
    size_t count, capacity;
    size_t wildcards;
};

static void selector_builder_free(struct selector_builder *builder)
{
    for (size_t i = 0; i < builder->count; i++)
        free((char *)builder->steps[i].name);
    free(builder->steps);
}

static bool selector_add_step(struct pattern_parser *parser, struct selector_builder *builder,
                              struct selector_step step, size_t offset)
{
    if (step.kind == SELECTOR_STEP_ANY_MEMBER || step.kind == SELECTOR_STEP_ANY_INDEX) {
        if (++builder->wildcards > 1) {
            free((char *)step.name);
            return parser_fail(parser, offset, "a selector may contain only one wildcard");
        }
    }
    if (!parser_grow(parser, (void **)&builder->steps, &builder->capacity, builder->count,
                     sizeof *builder->steps)) {
        free((char *)step.name);
        return false;
    }
    builder->steps[builder->count++] = step;
    return true;
}

/* ['key'] or ["key"]: a property whose name holds characters a .name cannot. */
static bool selector_read_bracket_key(struct pattern_parser *parser,
                                      struct selector_builder *builder, size_t offset)
{
    char quote = parser->text[parser->position++];
    size_t start = parser->position;
    const char *close = memchr(parser->text + start, quote, parser->length - start);
    if (!close)
        return parser_fail(parser, offset, "unterminated key in selector");
    size_t length = (size_t)(close - (parser->text + start));
    if (length == 0)
        return parser_fail(parser, offset, "empty key in selector");
    parser->position = start + length + 1;
    if (!parser_accept(parser, "]"))
        return parser_fail(parser, parser->position, "expected ']' after the quoted key");
    char *name = parser_copy(parser, parser->text + start, length);
    if (!name)
        return false;
    struct selector_step step = {.kind = SELECTOR_STEP_MEMBER, .name = name, .name_length = length};
    return selector_add_step(parser, builder, step, offset);
}

static bool selector_read_index(struct pattern_parser *parser, struct selector_builder *builder,
                                size_t offset)
{
    char c = parser_peek(parser);
    if (c == '\'' || c == '"')
        return selector_read_bracket_key(parser, builder, offset);
    struct selector_step step = {.kind = SELECTOR_STEP_ANY_INDEX};
    if (parser_accept(parser, "*")) {
        if (!parser_accept(parser, "]"))
            return parser_fail(parser, parser->position, "expected ']' after '[*'");
        return selector_add_step(parser, builder, step, offset);
    }
    size_t digits = 0;
    step.kind = SELECTOR_STEP_INDEX;
    while (parser_peek(parser) >= '0' && parser_peek(parser) <= '9') {
        if (++digits > 9)
            return parser_fail(parser, offset, "array index too large");
        step.index = step.index * 10 + (size_t)(parser->text[parser->position++] - '0');
    }
    if (digits == 0)
        return parser_fail(parser, parser->position,
                           "expected an array index, '*' or a quoted key after '['");
    if (!parser_accept(parser, "]"))
        return parser_fail(parser, parser->position, "expected ']' after the array index");
    return selector_add_step(parser, builder, step, offset);
}

static bool selector_read_member(struct pattern_parser *parser, struct selector_builder *builder,
                                 size_t offset)
{
    if (parser_accept(parser, "*"))
        return selector_add_step(parser, builder,
                                 (struct selector_step){.kind = SELECTOR_STEP_ANY_MEMBER}, offset);
    if (parser_accept(parser, "["))
        return selector_read_index(parser, builder, offset);
    size_t start = parser->position;
    while (is_name_character(parser_peek(parser)))
        parser->position++;
    if (parser->position == start)
        return parser_fail(parser, start, "expected a property name after '.'");
    char *name = parser_copy(parser, parser->text + start, parser->position - start);
    if (!name)
        return false;
    struct selector_step step = {
        .kind = SELECTOR_STEP_MEMBER, .name = name, .name_length = parser->position - start};
    return selector_add_step(parser, builder, step, offset);
}

/* Stores the selector once; equal paths share one index so readers resolve them once. */
static bool selector_store(struct json_parse_state *state, struct selector_builder *builder,
                           size_t start, size_t *index)
{
    struct pattern_parser *parser = state->parser;
    struct pattern *pattern = parser->pattern;
    for (size_t i = 0; i < pattern->selector_count; i++) {
        struct selector candidate = {builder->steps, builder->count, NULL};
        if (selector_equal(&pattern->selectors[i], &candidate)) {
            selector_builder_free(builder);
            *index = i;
            return true;
        }
    }
    size_t capacity = state->selector_capacity;
    if (!parser_grow(parser, (void **)&pattern->selectors, &capacity, pattern->selector_count,
                     sizeof *pattern->selectors) ||
        !parser_grow(parser, (void **)&pattern->selector_storage, &state->selector_capacity,
                     pattern->selector_count, sizeof *pattern->selector_storage)) {
        selector_builder_free(builder);
        return false;
    }
    char *text = parser_copy(parser, parser->text + start, parser->position - start);
    if (!text) {
        selector_builder_free(builder);
        return false;
    }
    *index = pattern->selector_count++;
    pattern->selector_storage[*index] = (struct selector_storage){builder->steps, text};
    pattern->selectors[*index] = (struct selector){builder->steps, builder->count, text};
    return true;
}

static bool selector_parse(struct json_parse_state *state, size_t *index, bool *has_wildcard)
{
    struct pattern_parser *parser = state->parser;
    size_t start = parser->position;
    if (!parser_accept(parser, "$"))
        return parser_fail(parser, start, "expected a selector starting with '$.'");
    struct selector_builder builder = {0};
    for (;;) {
        size_t offset = parser->position;
        bool read = true;
        if (parser_accept(parser, "."))
            read = selector_read_member(parser, &builder, offset);
        else if (parser_accept(parser, "["))
            read = selector_read_index(parser, &builder, offset);
        else
            break;
        if (!read) {
            selector_builder_free(&builder);
            return false;
        }
    }
    if (builder.count == 0)
        return parser_fail(parser, parser->position, "expected '.' or '[' after '$'");
    *has_wildcard = builder.wildcards > 0;
    return selector_store(state, &builder, start, index);
}

/* ---- values and conditions ---- */

static bool value_parse_bare(struct pattern_parser *parser, struct literal *literal)
{
    size_t start = parser->position;
    static const char stops[] = "(){}&|=!<>\"'%";
    while (!parser_at_end(parser)) {
        char c = parser_peek(parser);
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || strchr(stops, c))
            break;
        if ((unsigned char)c >= 0x80)
            return parser_fail(parser, parser->position,
                               "non-ASCII characters in a value must be quoted");
        parser->position++;
    }
    return parser->position > start && parser_take_bare_literal(parser, start, literal);
}

static bool value_parse(struct pattern_parser *parser, struct literal *literal,
                        const char *operator_text)
{
    parser_skip_blanks(parser);
    size_t start = parser->position;
    char c = parser_peek(parser);
    if (c == '\'')
        return parser_fail(parser, start, "single-quoted values are not supported; use \"...\"");
    if (c == '%')
        return parser_read_regex(parser, literal);
    if (c == '"')
        return parser_read_quoted_literal(parser, literal);
    if (!value_parse_bare(parser, literal))
        return parser->failed
                   ? false
                   : parser_fail(parser, start, "expected a value after '%s'", operator_text);
    return true;
}

static bool keyword_read(struct pattern_parser *parser, const char **word, size_t *length)
{
    parser_skip_blanks(parser);
    size_t start = parser->position;
    while (is_keyword_character(parser_peek(parser)))
        parser->position++;
    *word = parser->text + start;
    *length = parser->position - start;
    return *length > 0;
}

static bool keyword_is(const char *word, size_t length, const char *keyword)
{
    return length == strlen(keyword) && memcmp(word, keyword, length) == 0;
}

/* IS NULL | IS TRUE | IS FALSE | NOT EXISTS; IS NOT and EXISTS do not exist in AWS. */
static bool keyword_condition_parse(struct pattern_parser *parser, struct condition *condition)
{
    const char *word, *next;
    size_t length, next_length;
    if (!keyword_read(parser, &word, &length))
        return parser_fail(parser, parser->position,
                           "expected an operator (=, !=, <, >, <=, >=, IS or NOT EXISTS) "
                           "after the selector");
    if (keyword_is(word, length, "IS")) {
        size_t after = parser->position;
        keyword_read(parser, &next, &next_length);
        if (keyword_is(next, next_length, "NULL"))
            condition->comparison = COMPARE_IS_NULL;
        else if (keyword_is(next, next_length, "TRUE"))
            condition->comparison = COMPARE_IS_TRUE;
        else if (keyword_is(next, next_length, "FALSE"))
            condition->comparison = COMPARE_IS_FALSE;
        else if (keyword_is(next, next_length, "NOT"))
            return parser_fail(parser, after + 1, "IS NOT is not supported; use != or NOT EXISTS");
        else
            return parser_fail(parser, after + 1, "expected NULL, TRUE or FALSE after IS");
        return true;
    }
    if (keyword_is(word, length, "NOT")) {
        size_t after = parser->position;
        keyword_read(parser, &next, &next_length);
        if (!keyword_is(next, next_length, "EXISTS"))
            return parser_fail(parser, after + 1, "expected EXISTS after NOT");
        condition->comparison = COMPARE_NOT_EXISTS;
        return true;
    }
    parser_skip_blanks(parser);
    if (keyword_is(word, length, "EXISTS"))
        return parser_fail(parser, (size_t)(word - parser->text),
                           "EXISTS is not supported; use = * to test presence or NOT EXISTS");
    return parser_fail(parser, (size_t)(word - parser->text),
                       "expected an operator (=, !=, <, >, <=, >=, IS or NOT EXISTS) after the "
                       "selector; keywords are upper case");
}

static bool operator_parse(struct pattern_parser *parser, struct condition *condition,
                           const char **text)
{
    if (parser_accept_operator(parser, &condition->comparison, text))
        return true;
    *text = NULL;
    return keyword_condition_parse(parser, condition);
}

static bool condition_value_parse(struct pattern_parser *parser, struct condition *condition,
                                  const char *operator_text)
{
    parser_skip_blanks(parser);
    size_t value_start = parser->position;
    return value_parse(parser, &condition->literal, operator_text) &&
           parser_check_ordering_value(parser, condition->comparison, &condition->literal,
                                       value_start, operator_text);
}

static bool node_add(struct json_parse_state *state, struct json_node node, size_t *index)
{
    struct pattern *pattern = state->parser->pattern;
    if (!parser_grow(state->parser, (void **)&pattern->nodes, &state->node_capacity,
                     pattern->node_count, sizeof *pattern->nodes))
        return false;
    *index = pattern->node_count++;
    pattern->nodes[*index] = node;
    return true;
}

static bool condition_parse(struct json_parse_state *state, size_t *node)
{
    struct pattern_parser *parser = state->parser;
    struct pattern *pattern = parser->pattern;
    struct condition condition = {0};
    bool has_wildcard = false;
    size_t selector_start = parser->position;
    if (!selector_parse(state, &condition.selector, &has_wildcard))
        return false;
    if (has_wildcard && ++pattern->wildcard_selector_count > PATTERN_MAX_WILDCARD_SELECTORS)
        return parser_fail(parser, selector_start,
                           "a filter pattern may use at most %d selectors with wildcards",
                           PATTERN_MAX_WILDCARD_SELECTORS);
    const char *operator_text = NULL;
    if (!operator_parse(parser, &condition, &operator_text))
        return false;
    if (operator_text && !condition_value_parse(parser, &condition, operator_text)) {
        literal_free(&condition.literal);
        return false;
    }
    if (!parser_grow(parser, (void **)&pattern->conditions, &state->condition_capacity,
                     pattern->condition_count, sizeof *pattern->conditions)) {
        literal_free(&condition.literal);
        return false;
    }
    size_t index = pattern->condition_count++;
    pattern->conditions[index] = condition;
    return node_add(state, (struct json_node){.kind = JSON_NODE_CONDITION, .condition = index},
                    node);
}

static bool or_parse(struct json_parse_state *state, size_t *node);

static bool primary_parse(struct json_parse_state *state, size_t *node)
{
    struct pattern_parser *parser = state->parser;
    parser_skip_blanks(parser);
    size_t open = parser->position;
    if (!parser_accept(parser, "("))
        return condition_parse(state, node);
    if (++state->depth > PATTERN_MAX_NESTING)
        return parser_fail(parser, open, "parentheses nested deeper than %d", PATTERN_MAX_NESTING);
    if (!or_parse(state, node))
        return false;
    parser_skip_blanks(parser);
    if (!parser_accept(parser, ")"))
        return parser_fail(parser, parser->position, "expected ')' to close the '(' at column %zu",
                           open + 1);
    state->depth--;
    return true;
}

static bool and_parse(struct json_parse_state *state, size_t *node)
{
    if (!primary_parse(state, node))
        return false;
    for (;;) {
        parser_skip_blanks(state->parser);
        if (!parser_accept(state->parser, "&&"))
            return true;
        size_t right;
        if (!primary_parse(state, &right))
            return false;
        struct json_node and_node = {.kind = JSON_NODE_AND, .left = *node, .right = right};
        if (!node_add(state, and_node, node))
            return false;
    }
}

static bool or_parse(struct json_parse_state *state, size_t *node)
{
    if (!and_parse(state, node))
        return false;
    for (;;) {
        parser_skip_blanks(state->parser);
        if (!parser_accept(state->parser, "||"))
            return true;
        size_t right;
        if (!and_parse(state, &right))
            return false;
        struct json_node or_node = {.kind = JSON_NODE_OR, .left = *node, .right = right};
        if (!node_add(state, or_node, node))
            return false;
    }
}

bool json_pattern_parse(struct pattern_parser *parser)
{
    struct json_parse_state state = {.parser = parser};
    parser->pattern->kind = PATTERN_JSON;
    size_t end = parser->length;
    while (end > 0 && strchr(" \t\r\n", parser->text[end - 1]))
        end--;
    if (parser->text[end - 1] != '}' || end - 1 == parser->position)
        return parser_fail(parser, end, "If a filter pattern starts with '{' it must end with '}'");
    parser->length = end - 1; /* parse the inside; the closing brace is checked above */
    parser->position++;
    if (!or_parse(&state, &parser->pattern->root))
        return false;
    parser_skip_blanks(parser);
    if (!parser_at_end(parser)) {
        char c = parser_peek(parser);
        if (c == ')')
            return parser_fail(parser, parser->position, "unbalanced ')'");
        return parser_fail(parser, parser->position, "expected && or || before '%c'", c);
    }
    return true;
}
