/* Evaluating a compiled pattern against one event: terms are substring tests on the raw
 * message (spec §3.2), JSON conditions test the values their selectors found (spec §5.3,
 * §5.5-§5.7), space-delimited patterns are in pattern_space_delimited.c. */
#define _GNU_SOURCE /* memmem */
#include "patterns/pattern_internal.h"

#include <stdlib.h>
#include <string.h>

static bool contains(const char *haystack, size_t haystack_length, const char *needle,
                     size_t needle_length)
{
    if (needle_length == 0)
        return true;
    return memmem(haystack, haystack_length, needle, needle_length) != NULL;
}

/* Equality with AWS's wildcard rule: '*' only at the ends is a wildcard (spec §5.5). */
static bool text_matches_wildcards(const struct literal *literal, const char *text, size_t length)
{
    if (literal->kind == LITERAL_ANY)
        return true;
    if (literal->leading_wildcard && literal->trailing_wildcard)
        return contains(text, length, literal->text, literal->length);
    if (length < literal->length)
        return false;
    if (literal->leading_wildcard)
        return memcmp(text + length - literal->length, literal->text, literal->length) == 0;
    if (literal->trailing_wildcard)
        return memcmp(text, literal->text, literal->length) == 0;
    return length == literal->length && memcmp(text, literal->text, length) == 0;
}

bool literal_matches_text(struct literal *literal, const char *text, size_t length)
{
    if (literal->kind == LITERAL_REGEX)
        return aws_regex_search(literal->regex, text, length);
    return text_matches_wildcards(literal, text, length);
}

enum equality { EQUALITY_SAME, EQUALITY_DIFFERENT, EQUALITY_INCOMPARABLE };

/* A number literal compares numerically with a JSON number or with a string that holds
 * one; other strings are incomparable (decision D-NUMBER-VS-STRING). Text literals compare
 * with the string, or with the number as written in the event (spec §5.6 `= 4*`). */
static enum equality literal_compare_value(struct literal *literal, const struct event_value *value)
{
    if (literal->kind == LITERAL_NUMBER) {
        double number = value->number;
        if (value->kind == EVENT_VALUE_STRING && !number_parse(value->text, value->length, &number))
            return EQUALITY_INCOMPARABLE;
        return number == literal->number ? EQUALITY_SAME : EQUALITY_DIFFERENT;
    }
    return literal_matches_text(literal, value->text, value->length) ? EQUALITY_SAME
                                                                     : EQUALITY_DIFFERENT;
}

static bool numeric_value(const struct event_value *value, double *number)
{
    if (value->kind == EVENT_VALUE_NUMBER) {
        *number = value->number;
        return true;
    }
    return value->kind == EVENT_VALUE_STRING && number_parse(value->text, value->length, number);
}

static bool compare_numbers(enum comparison comparison, double left, double right)
{
    switch (comparison) {
    case COMPARE_LESS:
        return left < right;
    case COMPARE_GREATER:
        return left > right;
    case COMPARE_LESS_EQUAL:
        return left <= right;
    case COMPARE_GREATER_EQUAL:
        return left >= right;
    default:
        return false;
    }
}

/* One selected value against a condition. Comparisons only ever hold on strings and
 * numbers: on null, booleans, objects and arrays both = and != are false (spec §5.3.4). */
static bool value_satisfies(struct condition *condition, const struct event_value *value)
{
    switch (condition->comparison) {
    case COMPARE_IS_NULL:
        return value->kind == EVENT_VALUE_NULL;
    case COMPARE_IS_TRUE:
        return value->kind == EVENT_VALUE_TRUE;
    case COMPARE_IS_FALSE:
        return value->kind == EVENT_VALUE_FALSE;
    case COMPARE_NOT_EXISTS:
        return false;
    default:
        break;
    }
    if (value->kind != EVENT_VALUE_STRING && value->kind != EVENT_VALUE_NUMBER)
        return false;
    if (condition->comparison == COMPARE_EQUAL)
        return literal_compare_value(&condition->literal, value) == EQUALITY_SAME;
    if (condition->comparison == COMPARE_NOT_EQUAL)
        return literal_compare_value(&condition->literal, value) == EQUALITY_DIFFERENT;
    double number;
    return numeric_value(value, &number) &&
           compare_numbers(condition->comparison, number, condition->literal.number);
}

/* A condition holds when at least one selected value satisfies it; a selector that found
 * nothing satisfies only NOT EXISTS (spec §5.3.3, §5.3.5). */
static bool condition_holds(struct condition *condition, const struct event *event)
{
    size_t count = 0;
    const struct event_value *values = NULL;
    if (condition->selector < event->selection_count) {
        count = event->selections[condition->selector].count;
        values = event->selections[condition->selector].values;
    }
    if (condition->comparison == COMPARE_NOT_EXISTS)
        return count == 0;
    for (size_t i = 0; i < count; i++)
        if (value_satisfies(condition, &values[i]))
            return true;
    return false;
}

static bool json_node_holds(struct pattern *pattern, size_t index, const struct event *event)
{
    const struct json_node *node = &pattern->nodes[index];
    switch (node->kind) {
    case JSON_NODE_AND:
        return json_node_holds(pattern, node->left, event) &&
               json_node_holds(pattern, node->right, event);
    case JSON_NODE_OR:
        return json_node_holds(pattern, node->left, event) ||
               json_node_holds(pattern, node->right, event);
    case JSON_NODE_CONDITION:
        return condition_holds(&pattern->conditions[node->condition], event);
    }
    return false;
}

/* Plain terms must all occur, excluded terms must not; ? terms count only when the
 * pattern has nothing else (spec §3.3). */
static bool terms_match(const struct pattern *pattern, const struct event *event)
{
    bool any_optional_found = false;
    for (size_t i = 0; i < pattern->term_count; i++) {
        const struct term *term = &pattern->terms[i];
        bool found = contains(event->message, event->message_length, term->text, term->length);
        if (term->kind == TERM_REQUIRED && !found)
            return false;
        if (term->kind == TERM_EXCLUDED && found)
            return false;
        any_optional_found = any_optional_found || (term->kind == TERM_OPTIONAL && found);
    }
    return pattern->only_optional_terms ? any_optional_found : true;
}

bool pattern_evaluate(struct pattern *pattern, const struct event *event,
                      struct pattern_match *match)
{
    if (match)
        match->extracted_count = 0;
    switch (pattern->kind) {
    case PATTERN_MATCH_ALL:
        return true;
    case PATTERN_TERMS:
        return terms_match(pattern, event);
    case PATTERN_REGEX:
        return aws_regex_search(pattern->regex, event->message, event->message_length);
    case PATTERN_JSON:
        return event->is_json && json_node_holds(pattern, pattern->root, event);
    case PATTERN_SPACE_DELIMITED:
        return space_delimited_evaluate(pattern, event, match);
    }
    return false;
}

struct pattern_match *pattern_match_create(void)
{
    return calloc(1, sizeof(struct pattern_match));
}

void pattern_match_free(struct pattern_match *match)
{
    if (!match)
        return;
    free(match->fields);
    free(match->extracted);
    free(match);
}

size_t pattern_match_field_count(const struct pattern_match *match)
{
    return match->extracted_count;
}

const struct pattern_field *pattern_match_field(const struct pattern_match *match, size_t index)
{
    return index < match->extracted_count ? &match->extracted[index].field : NULL;
}
