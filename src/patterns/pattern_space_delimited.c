/* Space-delimited patterns (spec §6): `[ip, user, ..., status_code = 4*, bytes]`. The
 * message is split into fields (quoted and bracketed runs are one field), entries bind
 * to fields from the left and, after `...`, from the right, and each entry's conditions
 * test only its own field. */
#include "patterns/pattern_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry_builder {
    struct field_entry entry;
    size_t clause_capacity;
    size_t condition_capacity;
};

static bool is_field_name_character(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static void entry_free(struct field_entry *entry)
{
    for (size_t i = 0; i < entry->clause_count; i++) {
        struct field_clause *clause = &entry->clauses[i];
        for (size_t j = 0; j < clause->condition_count; j++)
            literal_free(&clause->conditions[j].literal);
        free(clause->conditions);
    }
    free(entry->clauses);
    free(entry->name);
}

void space_delimited_free(struct pattern *pattern)
{
    for (size_t i = 0; i < pattern->entry_count; i++)
        entry_free(&pattern->entries[i]);
    free(pattern->entries);
}

/* ---- parsing ---- */

static bool sd_value_parse(struct pattern_parser *parser, struct literal *literal,
                           const char *operator_text)
{
    parser_skip_blanks(parser);
    size_t start = parser->position;
    char c = parser_peek(parser);
    if (c == '%')
        return parser_read_regex(parser, literal);
    if (c == '(' || c == ')')
        return parser_fail(parser, start,
                           "parentheses are not supported in space-delimited patterns");
    if (c == '"')
        return parser_read_quoted_literal(parser, literal);
    while (!parser_at_end(parser)) {
        c = parser_peek(parser);
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',')
            break;
        if ((c == '&' || c == '|') && parser->position + 1 < parser->length &&
            parser->text[parser->position + 1] == c)
            break;
        parser->position++;
    }
    if (parser->position == start)
        return parser_fail(parser, start, "expected a value after '%s'", operator_text);
    return parser_take_bare_literal(parser, start, literal);
}

static bool sd_operator_parse(struct pattern_parser *parser, enum comparison *comparison,
                              const char **text, const char *name)
{
    if (parser_accept_operator(parser, comparison, text))
        return true;
    return parser_fail(parser, parser->position,
                       "expected ',' or an operator (=, !=, <, >, <=, >=) after field '%s'", name);
}

static bool sd_condition_parse(struct pattern_parser *parser, struct field_condition *condition,
                               const char *name)
{
    const char *operator_text = NULL;
    if (!sd_operator_parse(parser, &condition->comparison, &operator_text, name))
        return false;
    parser_skip_blanks(parser);
    size_t value_start = parser->position;
    return sd_value_parse(parser, &condition->literal, operator_text) &&
           parser_check_ordering_value(parser, condition->comparison, &condition->literal,
                                       value_start, operator_text);
}

static bool clause_add(struct pattern_parser *parser, struct entry_builder *builder)
{
    struct field_entry *entry = &builder->entry;
    if (!parser_grow(parser, (void **)&entry->clauses, &builder->clause_capacity,
                     entry->clause_count, sizeof *entry->clauses))
        return false;
    entry->clauses[entry->clause_count++] = (struct field_clause){0};
    builder->condition_capacity = 0;
    return true;
}

static bool condition_add(struct pattern_parser *parser, struct entry_builder *builder,
                          const char *name)
{
    struct field_clause *clause = &builder->entry.clauses[builder->entry.clause_count - 1];
    if (!parser_grow(parser, (void **)&clause->conditions, &builder->condition_capacity,
                     clause->condition_count, sizeof *clause->conditions))
        return false;
    struct field_condition *condition = &clause->conditions[clause->condition_count++];
    *condition = (struct field_condition){0};
    return sd_condition_parse(parser, condition, name);
}

/* In one entry, && and || chain conditions on that same field; && binds tighter
 * (decision D-SD-PRECEDENCE). Naming another field is refused as AWS refuses it. */
static bool conditions_parse(struct pattern_parser *parser, struct entry_builder *builder,
                             const char *name, size_t name_length)
{
    if (!clause_add(parser, builder) || !condition_add(parser, builder, name))
        return false;
    for (;;) {
        parser_skip_blanks(parser);
        if (parser_accept(parser, "||")) {
            if (!clause_add(parser, builder))
                return false;
        } else if (!parser_accept(parser, "&&")) {
            return true;
        }
        parser_skip_blanks(parser);
        size_t start = parser->position;
        while (is_field_name_character(parser_peek(parser)))
            parser->position++;
        size_t length = parser->position - start;
        if (length == 0)
            return parser_fail(parser, start, "expected the field name '%s' after && or ||", name);
        if (length != name_length || memcmp(parser->text + start, name, length) != 0)
            return parser_fail(parser, start, "a condition may only test its own field '%s'", name);
        if (!condition_add(parser, builder, name))
            return false;
    }
}

static bool name_is_taken(const struct pattern *pattern, const char *name, size_t length)
{
    for (size_t i = 0; i < pattern->entry_count; i++) {
        const char *taken = pattern->entries[i].name;
        if (taken && strlen(taken + 1) == length && memcmp(taken + 1, name, length) == 0)
            return true;
    }
    return false;
}

static bool entry_named_parse(struct pattern_parser *parser, struct entry_builder *builder)
{
    size_t start = parser->position;
    while (is_field_name_character(parser_peek(parser)))
        parser->position++;
    size_t length = parser->position - start;
    if (length == 0)
        return parser_fail(parser, start, "expected a field name, '...' or ','");
    if (name_is_taken(parser->pattern, parser->text + start, length))
        return parser_fail(parser, start, "field name '%.*s' is used twice", (int)length,
                           parser->text + start);
    char *name = malloc(length + 2);
    if (!name)
        return parser_out_of_memory(parser);
    name[0] = '$';
    memcpy(name + 1, parser->text + start, length);
    name[length + 1] = '\0';
    builder->entry.name = name;
    parser_skip_blanks(parser);
    if (parser_at_end(parser) || parser_peek(parser) == ',')
        return true;
    return conditions_parse(parser, builder, name + 1, length);
}

static bool entry_parse(struct pattern_parser *parser, size_t *capacity)
{
    struct pattern *pattern = parser->pattern;
    struct entry_builder builder = {.entry = {.kind = FIELD_ENTRY_FIELD}};
    parser_skip_blanks(parser);
    size_t start = parser->position;
    bool parsed = true;
    if (parser_accept(parser, "...")) {
        if (pattern->ellipsis != SIZE_MAX)
            return parser_fail(parser, start, "only one '...' is allowed in a pattern");
        builder.entry.kind = FIELD_ENTRY_ELLIPSIS;
        pattern->ellipsis = pattern->entry_count;
    } else if (!parser_at_end(parser) && parser_peek(parser) != ',') {
        parsed = entry_named_parse(parser, &builder);
    }
    if (parsed && !parser_grow(parser, (void **)&pattern->entries, capacity, pattern->entry_count,
                               sizeof *pattern->entries))
        parsed = false;
    if (!parsed) {
        entry_free(&builder.entry);
        return false;
    }
    pattern->entries[pattern->entry_count++] = builder.entry;
    return true;
}

bool space_delimited_parse(struct pattern_parser *parser)
{
    size_t capacity = 0;
    parser->pattern->kind = PATTERN_SPACE_DELIMITED;
    size_t end = parser->length;
    while (end > 0 && strchr(" \t\r\n", parser->text[end - 1]))
        end--;
    if (parser->text[end - 1] != ']' || end - 1 == parser->position)
        return parser_fail(parser, end, "If a filter pattern starts with '[' it must end with ']'");
    parser->length = end - 1;
    parser->position++;
    parser_skip_blanks(parser);
    if (parser_at_end(parser))
        return true; /* [] matches every event and extracts every field */
    for (;;) {
        if (!entry_parse(parser, &capacity))
            return false;
        parser_skip_blanks(parser);
        if (parser_at_end(parser))
            return true;
        if (!parser_accept(parser, ","))
            return parser_fail(parser, parser->position, "expected ',' or ']' after a field");
    }
}

/* ---- evaluation ---- */

static bool is_field_separator(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The end of a quoted or bracketed run; a quote escaped with a backslash does not end it
 * (decision D-SD-SPLIT). Returns `length` when the run is unterminated. */
static size_t run_end(const char *message, size_t length, size_t start, char close)
{
    for (size_t i = start; i < length; i++) {
        if (close == '"' && message[i] == '\\') {
            i++;
            continue;
        }
        if (message[i] == close)
            return i;
    }
    return length;
}

static bool field_push(struct pattern_match *match, struct message_field field)
{
    if (match->field_count == match->field_capacity) {
        size_t capacity = match->field_capacity ? match->field_capacity * 2 : 32;
        struct message_field *grown = realloc(match->fields, capacity * sizeof *grown);
        if (!grown)
            return false;
        match->fields = grown;
        match->field_capacity = capacity;
    }
    match->fields[match->field_count++] = field;
    return true;
}

/* Fields are separated by runs of blanks; "..." and [...] are one field without their
 * delimiters (spec §6.1). */
static bool split_fields(struct pattern_match *match, const char *message, size_t length)
{
    match->field_count = 0;
    for (size_t i = 0;;) {
        while (i < length && is_field_separator(message[i]))
            i++;
        if (i >= length)
            return true;
        struct message_field field = {.raw_start = i};
        if (message[i] == '"' || message[i] == '[') {
            size_t close = run_end(message, length, i + 1, message[i] == '"' ? '"' : ']');
            field.value_start = i + 1;
            field.value_end = close;
            field.raw_end = close < length ? close + 1 : length;
        } else {
            size_t end = i;
            while (end < length && !is_field_separator(message[end]))
                end++;
            field.value_start = i;
            field.value_end = field.raw_end = end;
        }
        if (!field_push(match, field))
            return false;
        i = field.raw_end;
    }
}

static bool field_condition_holds(struct field_condition *condition, const char *text,
                                  size_t length)
{
    double number;
    if (condition->literal.kind == LITERAL_NUMBER ||
        (condition->comparison != COMPARE_EQUAL && condition->comparison != COMPARE_NOT_EQUAL)) {
        /* a field that is not a number is incomparable: every numeric test is false */
        if (!number_parse(text, length, &number))
            return false;
        switch (condition->comparison) {
        case COMPARE_EQUAL:
            return number == condition->literal.number;
        case COMPARE_NOT_EQUAL:
            return number != condition->literal.number;
        case COMPARE_LESS:
            return number < condition->literal.number;
        case COMPARE_GREATER:
            return number > condition->literal.number;
        case COMPARE_LESS_EQUAL:
            return number <= condition->literal.number;
        case COMPARE_GREATER_EQUAL:
            return number >= condition->literal.number;
        default:
            return false;
        }
    }
    bool matches = literal_matches_text(&condition->literal, text, length);
    return condition->comparison == COMPARE_EQUAL ? matches : !matches;
}

static bool entry_holds(struct field_entry *entry, const char *text, size_t length)
{
    if (entry->clause_count == 0)
        return true;
    for (size_t i = 0; i < entry->clause_count; i++) {
        struct field_clause *clause = &entry->clauses[i];
        bool all = true;
        for (size_t j = 0; j < clause->condition_count && all; j++)
            all = field_condition_holds(&clause->conditions[j], text, length);
        if (all)
            return true;
    }
    return false;
}

/* Which text an entry sees: its field's value, or, for the last entry of a pattern
 * without `...` on a longer line, the rest of the line (decision D-SD-LAST-FIELD). */
struct binding {
    size_t first_field;
    const char *text;
    size_t length;
};

static struct binding bind_entry(const struct pattern *pattern, const struct pattern_match *match,
                                 const char *message, size_t entry)
{
    size_t fields = match->field_count, entries = pattern->entry_count;
    size_t field = entry;
    if (pattern->ellipsis != SIZE_MAX && entry > pattern->ellipsis)
        field = fields - (entries - entry);
    const struct message_field *at = &match->fields[field];
    struct binding binding = {field, message + at->value_start, at->value_end - at->value_start};
    if (pattern->ellipsis == SIZE_MAX && entry == entries - 1 && fields > entries) {
        const struct message_field *last = &match->fields[fields - 1];
        binding.text = message + at->raw_start;
        binding.length = last->raw_end - at->raw_start;
    }
    return binding;
}

static bool extracted_add(struct pattern_match *match, const char *name, size_t position,
                          const char *value, size_t length)
{
    struct extracted_field *extracted = &match->extracted[match->extracted_count++];
    if (!name) {
        snprintf(extracted->number_name, sizeof extracted->number_name, "$%zu", position + 1);
        name = extracted->number_name;
    }
    extracted->field = (struct pattern_field){name, value, length};
    return true;
}

static bool extracted_reserve(struct pattern_match *match, size_t needed)
{
    if (needed <= match->extracted_capacity)
        return true;
    struct extracted_field *grown = realloc(match->extracted, needed * sizeof *grown);
    if (!grown)
        return false;
    match->extracted = grown;
    match->extracted_capacity = needed;
    return true;
}

/* Named entries come back as $name, everything else by position, in message order. */
static void extract_fields(const struct pattern *pattern, struct pattern_match *match,
                           const char *message)
{
    size_t entries = pattern->entry_count, fields = match->field_count;
    if (!extracted_reserve(match, entries + fields))
        return; /* out of memory: the match stands, without extracted values */
    size_t field = 0;
    for (size_t entry = 0; entry < entries; entry++) {
        if (pattern->entries[entry].kind == FIELD_ENTRY_ELLIPSIS) {
            size_t after = entries - entry - 1;
            for (; field < fields - after; field++) {
                const struct message_field *at = &match->fields[field];
                extracted_add(match, NULL, field, message + at->value_start,
                              at->value_end - at->value_start);
            }
            continue;
        }
        struct binding binding = bind_entry(pattern, match, message, entry);
        extracted_add(match, pattern->entries[entry].name, binding.first_field, binding.text,
                      binding.length);
        field = binding.first_field + 1;
    }
    for (; entries == 0 && field < fields; field++) {
        const struct message_field *at = &match->fields[field];
        extracted_add(match, NULL, field, message + at->value_start,
                      at->value_end - at->value_start);
    }
}

static bool bound_entries_hold(struct pattern *pattern, const struct pattern_match *match,
                               const char *message)
{
    size_t required = pattern->entry_count - (pattern->ellipsis != SIZE_MAX ? 1 : 0);
    if (match->field_count < required)
        return false;
    for (size_t entry = 0; entry < pattern->entry_count; entry++) {
        if (pattern->entries[entry].kind == FIELD_ENTRY_ELLIPSIS)
            continue;
        struct binding binding = bind_entry(pattern, match, message, entry);
        if (!entry_holds(&pattern->entries[entry], binding.text, binding.length))
            return false;
    }
    return true;
}

bool space_delimited_evaluate(struct pattern *pattern, const struct event *event,
                              struct pattern_match *match)
{
    struct pattern_match local = {0};
    struct pattern_match *scratch = match ? match : &local;
    bool matched = split_fields(scratch, event->message, event->message_length) &&
                   bound_entries_hold(pattern, scratch, event->message);
    if (matched && match)
        extract_fields(pattern, match, event->message);
    free(local.fields);
    return matched;
}
