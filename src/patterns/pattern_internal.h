/* The compiled form of a filter pattern, shared by the parsers and the evaluator of
 * the patterns stage. Not a public header. */
#ifndef TRAILHOUND_PATTERNS_PATTERN_INTERNAL_H
#define TRAILHOUND_PATTERNS_PATTERN_INTERNAL_H

#include "patterns/aws_regex.h"
#include "patterns/pattern.h"

#include <stdbool.h>
#include <stddef.h>

/* A value a condition compares against. */
enum literal_kind {
    LITERAL_ANY,    /* * or "*": any string or number */
    LITERAL_STRING, /* exact text, optionally with a leading and/or trailing wildcard */
    LITERAL_NUMBER, /* a numeric literal, compared numerically */
    LITERAL_REGEX,  /* %regex%: a search inside the value */
};

struct literal {
    enum literal_kind kind;
    char *text; /* STRING: the text without its wildcard stars; NUMBER: as written */
    size_t length;
    bool leading_wildcard;
    bool trailing_wildcard;
    double number;
    struct aws_regex *regex;
};

enum comparison {
    COMPARE_EQUAL,
    COMPARE_NOT_EQUAL,
    COMPARE_LESS,
    COMPARE_GREATER,
    COMPARE_LESS_EQUAL,
    COMPARE_GREATER_EQUAL,
    COMPARE_IS_NULL,
    COMPARE_IS_TRUE,
    COMPARE_IS_FALSE,
    COMPARE_NOT_EXISTS,
};

struct condition {
    size_t selector; /* index into pattern->selectors */
    enum comparison comparison;
    struct literal literal;
};

enum json_node_kind { JSON_NODE_AND, JSON_NODE_OR, JSON_NODE_CONDITION };

/* The JSON expression as a tree stored in an array; children precede parents. */
struct json_node {
    enum json_node_kind kind;
    size_t left, right; /* AND / OR: node indices */
    size_t condition;   /* CONDITION: index into pattern->conditions */
};

enum term_kind { TERM_REQUIRED, TERM_OPTIONAL, TERM_EXCLUDED };

struct term {
    enum term_kind kind;
    char *text;
    size_t length;
};

/* Space-delimited patterns: an entry's conditions are an OR of AND-clauses. */
struct field_condition {
    enum comparison comparison;
    struct literal literal;
};

struct field_clause {
    struct field_condition *conditions;
    size_t condition_count;
};

enum field_entry_kind { FIELD_ENTRY_FIELD, FIELD_ENTRY_ELLIPSIS };

struct field_entry {
    enum field_entry_kind kind;
    char *name; /* "$name", or NULL for an unnamed field */
    struct field_clause *clauses;
    size_t clause_count; /* 0: no condition */
};

struct selector_storage {
    struct selector_step *steps;
    char *text;
};

struct pattern {
    enum pattern_kind kind;

    struct term *terms;
    size_t term_count;
    bool only_optional_terms; /* OR semantics; otherwise ? terms are ignored (spec §3.3) */

    struct aws_regex *regex;

    struct json_node *nodes;
    size_t node_count;
    size_t root;
    struct condition *conditions;
    size_t condition_count;
    struct selector *selectors;
    struct selector_storage *selector_storage;
    size_t selector_count;

    struct field_entry *entries;
    size_t entry_count;
    size_t ellipsis; /* entry index of "...", or SIZE_MAX */

    size_t regex_count;
    size_t wildcard_selector_count;
};

/* Where one field of a space-delimited message lies: raw includes quotes/brackets. */
struct message_field {
    size_t raw_start, raw_end;
    size_t value_start, value_end;
};

struct extracted_field {
    struct pattern_field field;
    char number_name[24]; /* "$7" for unnamed fields */
};

struct pattern_match {
    struct message_field *fields;
    size_t field_count, field_capacity;
    struct extracted_field *extracted;
    size_t extracted_count, extracted_capacity;
};

/* The parser's position in the pattern text and the first error it met. */
struct pattern_parser {
    const char *text;
    size_t length;
    size_t position;
    struct pattern *pattern;
    bool failed;
    size_t error_offset;
    char error_message[200];
};

/* Shared parser helpers (pattern_compile.c). */
bool parser_fail(struct pattern_parser *parser, size_t offset, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
bool parser_out_of_memory(struct pattern_parser *parser);
void parser_skip_blanks(struct pattern_parser *parser);
bool parser_at_end(const struct pattern_parser *parser);
char parser_peek(const struct pattern_parser *parser);
bool parser_accept(struct pattern_parser *parser, const char *token);
bool parser_grow(struct pattern_parser *parser, void **items, size_t *capacity, size_t count,
                 size_t item_size);
char *parser_copy(struct pattern_parser *parser, const char *text, size_t length);
bool parser_read_quoted(struct pattern_parser *parser, char **text, size_t *length);
bool parser_read_regex(struct pattern_parser *parser, struct literal *literal);
void literal_set_string(struct literal *literal, char *text, size_t length);
void literal_set_bare(struct literal *literal, char *text, size_t length);
/* A "quoted" value as a string literal; false with the parser's error. */
bool parser_read_quoted_literal(struct pattern_parser *parser, struct literal *literal);
/* The unquoted value from `start` to the parser's position as a literal (literal_set_bare);
 * false when out of memory. */
bool parser_take_bare_literal(struct pattern_parser *parser, size_t start, struct literal *literal);
/* = != < > <= >=; false (nothing consumed but blanks) when none follows. */
bool parser_accept_operator(struct pattern_parser *parser, enum comparison *comparison,
                            const char **text);
/* < > <= >= need a number. */
bool parser_check_ordering_value(struct pattern_parser *parser, enum comparison comparison,
                                 const struct literal *literal, size_t value_start,
                                 const char *operator_text);
void literal_free(struct literal *literal);

/* A number in the pattern grammar: [+-] (digits [. digits] | . digits) [eE [+-] digits]. */
bool number_parse(const char *text, size_t length, double *value);

/* The parsers of each kind; each fills parser->pattern or fails. */
bool terms_parse(struct pattern_parser *parser);
bool json_pattern_parse(struct pattern_parser *parser);
bool space_delimited_parse(struct pattern_parser *parser);

/* Evaluation helpers (pattern_evaluate.c, pattern_space_delimited.c). */
bool literal_matches_text(struct literal *literal, const char *text, size_t length);
bool space_delimited_evaluate(struct pattern *pattern, const struct event *event,
                              struct pattern_match *match);
void space_delimited_free(struct pattern *pattern);

#endif
