/* Compiling a filter pattern: checks common to every kind, classification by the first
 * character (spec §2), the term-pattern parser (spec §3) and the parser helpers. */
#include "patterns/pattern_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool parser_fail(struct pattern_parser *parser, size_t offset, const char *format, ...)
{
    if (parser->failed)
        return false;
    parser->failed = true;
    parser->error_offset = offset;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(parser->error_message, sizeof parser->error_message, format, arguments);
    va_end(arguments);
    return false;
}

bool parser_out_of_memory(struct pattern_parser *parser)
{
    return parser_fail(parser, SIZE_MAX, "out of memory");
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void parser_skip_blanks(struct pattern_parser *parser)
{
    while (parser->position < parser->length && is_blank(parser->text[parser->position]))
        parser->position++;
}

bool parser_at_end(const struct pattern_parser *parser)
{
    return parser->position >= parser->length;
}

char parser_peek(const struct pattern_parser *parser)
{
    return parser_at_end(parser) ? '\0' : parser->text[parser->position];
}

/* Consumes `token` when the text continues with it. */
bool parser_accept(struct pattern_parser *parser, const char *token)
{
    size_t length = strlen(token);
    if (parser->length - parser->position < length)
        return false;
    if (memcmp(parser->text + parser->position, token, length) != 0)
        return false;
    parser->position += length;
    return true;
}

bool parser_grow(struct pattern_parser *parser, void **items, size_t *capacity, size_t count,
                 size_t item_size)
{
    if (count < *capacity)
        return true;
    size_t new_capacity = *capacity ? *capacity * 2 : 4;
    void *grown = realloc(*items, new_capacity * item_size);
    if (!grown)
        return parser_out_of_memory(parser);
    *items = grown;
    *capacity = new_capacity;
    return true;
}

char *parser_copy(struct pattern_parser *parser, const char *text, size_t length)
{
    char *copy = malloc(length + 1);
    if (!copy) {
        parser_out_of_memory(parser);
        return NULL;
    }
    if (length)
        memcpy(copy, text, length);
    copy[length] = '\0';
    return copy;
}

/* A double-quoted run. Inside it \" and \\ stand for " and \; any other backslash is
 * kept as written (decision D-ESCAPES). */
bool parser_read_quoted(struct pattern_parser *parser, char **text, size_t *length)
{
    size_t open = parser->position++;
    size_t start = parser->position;
    size_t escapes = 0;
    while (!parser_at_end(parser) && parser_peek(parser) != '"') {
        char c = parser->text[parser->position];
        if (c == '\\' && parser->position + 1 < parser->length) {
            char next = parser->text[parser->position + 1];
            if (next == '"' || next == '\\') {
                escapes++;
                parser->position++;
            }
        }
        parser->position++;
    }
    if (parser_at_end(parser))
        return parser_fail(parser, open, "unterminated quoted string");
    size_t end = parser->position++;
    char *copy = malloc(end - start - escapes + 1);
    if (!copy)
        return parser_out_of_memory(parser);
    size_t written = 0;
    for (size_t i = start; i < end; i++) {
        char c = parser->text[i];
        if (c == '\\' && i + 1 < end && (parser->text[i + 1] == '"' || parser->text[i + 1] == '\\'))
            c = parser->text[++i];
        copy[written++] = c;
    }
    copy[written] = '\0';
    *text = copy;
    *length = written;
    return true;
}

/* A %regex% value: everything up to the next %, compiled in AWS's dialect. */
bool parser_read_regex(struct pattern_parser *parser, struct literal *literal)
{
    size_t open = parser->position++;
    const char *source = parser->text + parser->position;
    const char *close = memchr(source, '%', parser->length - parser->position);
    if (!close)
        return parser_fail(parser, open,
                           "unterminated regular expression: expected a closing '%%'");
    if (++parser->pattern->regex_count > PATTERN_MAX_REGEXES)
        return parser_fail(parser, open,
                           "a filter pattern may contain at most %d regular expressions",
                           PATTERN_MAX_REGEXES);
    struct aws_regex_error error;
    literal->kind = LITERAL_REGEX;
    literal->regex = aws_regex_compile(source, (size_t)(close - source), &error);
    if (!literal->regex)
        return parser_fail(parser, error.offset == SIZE_MAX ? SIZE_MAX : open + 1 + error.offset,
                           "%s", error.message);
    parser->position = (size_t)(close - parser->text) + 1;
    return true;
}

void literal_set_string(struct literal *literal, char *text, size_t length)
{
    literal->kind = LITERAL_STRING;
    literal->leading_wildcard = length > 0 && text[0] == '*';
    literal->trailing_wildcard =
        length > (literal->leading_wildcard ? 1u : 0u) && text[length - 1] == '*';
    if (literal->leading_wildcard && length == 1) {
        literal->kind = LITERAL_ANY; /* "*" alone tests that a value is there */
        literal->leading_wildcard = false;
    }
    size_t skip = literal->leading_wildcard ? 1 : 0;
    size_t keep = length - skip - (literal->trailing_wildcard ? 1 : 0);
    memmove(text, text + skip, keep);
    text[keep] = '\0';
    literal->text = text;
    literal->length = keep;
}

/* An unquoted value: a number when it reads as one (spec §5.1), else text. Takes `text`. */
void literal_set_bare(struct literal *literal, char *text, size_t length)
{
    if (number_parse(text, length, &literal->number)) {
        literal->kind = LITERAL_NUMBER;
        literal->text = text;
        literal->length = length;
    } else {
        literal_set_string(literal, text, length);
    }
}

bool parser_read_quoted_literal(struct pattern_parser *parser, struct literal *literal)
{
    char *text;
    size_t length;
    if (!parser_read_quoted(parser, &text, &length))
        return false;
    literal_set_string(literal, text, length);
    return true;
}

bool parser_take_bare_literal(struct pattern_parser *parser, size_t start, struct literal *literal)
{
    size_t length = parser->position - start;
    char *text = parser_copy(parser, parser->text + start, length);
    if (!text)
        return false;
    literal_set_bare(literal, text, length);
    return true;
}

bool parser_accept_operator(struct pattern_parser *parser, enum comparison *comparison,
                            const char **text)
{
    static const struct {
        const char *text;
        enum comparison comparison;
    } operators[] = {
        /* two-character operators first, so "<=" is not read as "<" */
        {"!=", COMPARE_NOT_EQUAL}, {"<=", COMPARE_LESS_EQUAL}, {">=", COMPARE_GREATER_EQUAL},
        {"=", COMPARE_EQUAL},      {"<", COMPARE_LESS},        {">", COMPARE_GREATER},
    };
    parser_skip_blanks(parser);
    for (size_t i = 0; i < sizeof operators / sizeof operators[0]; i++) {
        if (parser_accept(parser, operators[i].text)) {
            *comparison = operators[i].comparison;
            *text = operators[i].text;
            return true;
        }
    }
    return false;
}

bool parser_check_ordering_value(struct pattern_parser *parser, enum comparison comparison,
                                 const struct literal *literal, size_t value_start,
                                 const char *operator_text)
{
    bool ordering = comparison != COMPARE_EQUAL && comparison != COMPARE_NOT_EQUAL;
    if (ordering && literal->kind != LITERAL_NUMBER)
        return parser_fail(parser, value_start, "expected a number after '%s'", operator_text);
    return true;
}

void literal_free(struct literal *literal)
{
    free(literal->text);
    aws_regex_free(literal->regex);
}

bool number_parse(const char *text, size_t length, double *value)
{
    size_t i = 0;
    if (i < length && (text[i] == '+' || text[i] == '-'))
        i++;
    size_t integer_digits = 0, fraction_digits = 0;
    while (i < length && text[i] >= '0' && text[i] <= '9')
        i++, integer_digits++;
    if (i < length && text[i] == '.') {
        i++;
        while (i < length && text[i] >= '0' && text[i] <= '9')
            i++, fraction_digits++;
        if (fraction_digits == 0)
            return false;
    }
    if (integer_digits == 0 && fraction_digits == 0)
        return false;
    if (i < length && (text[i] == 'e' || text[i] == 'E')) {
        i++;
        if (i < length && (text[i] == '+' || text[i] == '-'))
            i++;
        size_t exponent_digits = 0;
        while (i < length && text[i] >= '0' && text[i] <= '9')
            i++, exponent_digits++;
        if (exponent_digits == 0)
            return false;
    }
    if (i != length)
        return false;
    char buffer[512];
    if (length >= sizeof buffer)
        return false; /* no number anyone writes is this long */
    memcpy(buffer, text, length);
    buffer[length] = '\0';
    *value = strtod(buffer, NULL);
    return true;
}

/* ---- term patterns (spec §3) ---- */

static bool terms_add(struct pattern_parser *parser, size_t *capacity, enum term_kind kind,
                      char *text, size_t length)
{
    struct pattern *pattern = parser->pattern;
    if (!text)
        return false;
    if (!parser_grow(parser, (void **)&pattern->terms, capacity, pattern->term_count,
                     sizeof *pattern->terms)) {
        free(text);
        return false;
    }
    pattern->terms[pattern->term_count++] = (struct term){kind, text, length};
    return true;
}

/* An unquoted word. A '-' inside it starts a new excluded term, which is why AWS finds
 * nothing for an unquoted ORDER-ITEM-1 (spec §3.4, decision D-HYPHEN). */
static bool terms_read_word(struct pattern_parser *parser, size_t *capacity, enum term_kind kind)
{
    size_t start = parser->position;
    for (;;) {
        char c = parser_peek(parser);
        if (parser_at_end(parser) || is_blank(c) || c == '-') {
            if (parser->position == start)
                return parser_fail(parser, start - 1, "expected a term after '-'");
            char *text = parser_copy(parser, parser->text + start, parser->position - start);
            if (!terms_add(parser, capacity, kind, text, parser->position - start))
                return false;
            if (c != '-')
                return true;
            kind = TERM_EXCLUDED;
            start = ++parser->position;
            continue;
        }
        if (c == '"')
            return parser_fail(parser, parser->position,
                               "unexpected '\"' inside a term; quote the whole term");
        if ((unsigned char)c >= 0x80)
            return parser_fail(parser, parser->position,
                               "non-ASCII characters in a term must be quoted");
        parser->position++;
    }
}

static bool terms_read_one(struct pattern_parser *parser, size_t *capacity)
{
    enum term_kind kind = TERM_REQUIRED;
    char prefix = parser_peek(parser);
    if (prefix == '?' || prefix == '-') {
        kind = prefix == '?' ? TERM_OPTIONAL : TERM_EXCLUDED;
        parser->position++;
        if (parser_at_end(parser) || is_blank(parser_peek(parser)))
            return parser_fail(parser, parser->position - 1, "expected a term after '%c'", prefix);
    }
    char c = parser_peek(parser);
    if (c == '%')
        return parser_fail(parser, parser->position,
                           "a regular expression must be the whole filter pattern");
    if (c == '"') {
        char *text;
        size_t length;
        if (!parser_read_quoted(parser, &text, &length))
            return false;
        if (!parser_at_end(parser) && !is_blank(parser_peek(parser))) {
            free(text);
            return parser_fail(parser, parser->position, "expected a blank after a quoted term");
        }
        return terms_add(parser, capacity, kind, text, length);
    }
    return terms_read_word(parser, capacity, kind);
}

static bool term_is_blank_phrase(const struct term *term)
{
    for (size_t i = 0; i < term->length; i++)
        if (!is_blank(term->text[i]))
            return false;
    return term->kind == TERM_REQUIRED;
}

bool terms_parse(struct pattern_parser *parser)
{
    struct pattern *pattern = parser->pattern;
    size_t capacity = 0;
    pattern->kind = PATTERN_TERMS;
    for (parser_skip_blanks(parser); !parser_at_end(parser); parser_skip_blanks(parser))
        if (!terms_read_one(parser, &capacity))
            return false;
    bool all_blank = true, any_optional = false, any_other = false;
    for (size_t i = 0; i < pattern->term_count; i++) {
        all_blank = all_blank && term_is_blank_phrase(&pattern->terms[i]);
        any_optional = any_optional || pattern->terms[i].kind == TERM_OPTIONAL;
        any_other = any_other || pattern->terms[i].kind != TERM_OPTIONAL;
    }
    if (all_blank) /* `" "` is AWS's documented match-everything form (decision D-BLANK) */
        pattern->kind = PATTERN_MATCH_ALL;
    pattern->only_optional_terms = any_optional && !any_other;
    return true;
}

/* ---- compile ---- */

/* Length of the UTF-8 sequence at text[0], or 0 when it is not valid UTF-8. */
static size_t utf8_sequence_length(const unsigned char *text, size_t available)
{
    if (text[0] < 0x80)
        return 1;
    struct utf8_lead lead = utf8_lead_for(text[0]);
    if (lead.length == 0 || lead.length > available || text[1] < lead.second_low ||
        text[1] > lead.second_high)
        return 0;
    for (size_t i = 2; i < lead.length; i++)
        if ((text[i] & 0xC0) != 0x80)
            return 0;
    return lead.length;
}

/* UTF-8, at most PATTERN_MAX_CHARACTERS characters, no control characters but blanks. */
static bool check_text(struct pattern_parser *parser)
{
    size_t characters = 0;
    for (size_t i = 0; i < parser->length;) {
        const unsigned char *at = (const unsigned char *)parser->text + i;
        size_t length = utf8_sequence_length(at, parser->length - i);
        if (length == 0)
            return parser_fail(parser, i, "the filter pattern is not valid UTF-8");
        if ((*at < 0x20 && !is_blank((char)*at)) || *at == 0x7F)
            return parser_fail(parser, i, "control character 0x%02X is not allowed", *at);
        if (++characters > PATTERN_MAX_CHARACTERS)
            return parser_fail(parser, i,
                               "filterPattern failed to satisfy constraint: Member must have "
                               "length less than or equal to %d",
                               PATTERN_MAX_CHARACTERS);
        i += length;
    }
    return true;
}

static bool parse_by_kind(struct pattern_parser *parser)
{
    parser_skip_blanks(parser);
    size_t end = parser->length;
    while (end > parser->position && is_blank(parser->text[end - 1]))
        end--;
    if (parser->position == end) {
        parser->pattern->kind = PATTERN_MATCH_ALL;
        return true;
    }
    char first = parser->text[parser->position], last = parser->text[end - 1];
    if (first == '{')
        return json_pattern_parse(parser);
    if (first == '[')
        return space_delimited_parse(parser);
    if (first == '%' && last == '%' && end - parser->position >= 2) {
        struct literal literal = {0};
        parser->pattern->kind = PATTERN_REGEX;
        parser->length = end;
        bool parsed = parser_read_regex(parser, &literal);
        parser->pattern->regex = literal.regex;
        if (parsed && parser->position != end)
            return parser_fail(parser, parser->position,
                               "a regular expression must be the whole filter pattern");
        return parsed;
    }
    return terms_parse(parser);
}

/* Column (1-based, in characters) of a byte offset. */
static size_t column_of(const char *text, size_t length, size_t offset)
{
    size_t column = 1;
    for (size_t i = 0; i < offset && i < length; i++)
        if (((unsigned char)text[i] & 0xC0) != 0x80)
            column++;
    return column;
}

struct pattern *pattern_compile(const char *text, size_t length, struct pattern_error *error)
{
    struct pattern *pattern = calloc(1, sizeof *pattern);
    if (!pattern) {
        error->column = 0;
        snprintf(error->message, sizeof error->message, "out of memory");
        return NULL;
    }
    pattern->ellipsis = SIZE_MAX;
    struct pattern_parser parser = {.text = text, .length = length, .pattern = pattern};
    if (check_text(&parser) && parse_by_kind(&parser))
        return pattern;
    error->column =
        parser.error_offset == SIZE_MAX ? 0 : column_of(text, length, parser.error_offset);
    snprintf(error->message, sizeof error->message, "%s", parser.error_message);
    pattern_free(pattern);
    return NULL;
}

void pattern_free(struct pattern *pattern)
{
    if (!pattern)
        return;
    for (size_t i = 0; i < pattern->term_count; i++)
        free(pattern->terms[i].text);
    free(pattern->terms);
    aws_regex_free(pattern->regex);
    for (size_t i = 0; i < pattern->condition_count; i++)
        literal_free(&pattern->conditions[i].literal);
    free(pattern->conditions);
    free(pattern->nodes);
    for (size_t i = 0; i < pattern->selector_count; i++) {
        struct selector_storage *storage = &pattern->selector_storage[i];
        for (size_t step = 0; step < pattern->selectors[i].step_count; step++)
            free((char *)storage->steps[step].name);
        free(storage->steps);
        free(storage->text);
    }
    free(pattern->selectors);
    free(pattern->selector_storage);
    space_delimited_free(pattern);
    free(pattern);
}

enum pattern_kind pattern_kind(const struct pattern *pattern)
{
    return pattern->kind;
}

const struct selector *pattern_selectors(const struct pattern *pattern, size_t *count)
{
    *count = pattern->selector_count;
    return pattern->selectors;
}

struct pattern *pattern_compile_reference(const char *reference, struct pattern_error *error)
{
    /* A NOT EXISTS condition reads the selector without constraining it. */
    static const char prefix[] = "{ ", suffix[] = " NOT EXISTS }";
    size_t length = strlen(reference);
    char *text = malloc(sizeof prefix + length + sizeof suffix);
    if (!text) {
        error->column = 0;
        snprintf(error->message, sizeof error->message, "out of memory");
        return NULL;
    }
    sprintf(text, "%s%s%s", prefix, reference, suffix);
    struct pattern *pattern = pattern_compile(text, strlen(text), error);
    free(text);
    bool single = pattern && pattern->condition_count == 1 && pattern->selector_count == 1;
    if (!single) {
        pattern_free(pattern);
        error->column = 1;
        snprintf(error->message, sizeof error->message, "'%s' is not a selector such as $.field",
                 reference);
        return NULL;
    }
    return pattern;
}
