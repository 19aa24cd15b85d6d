/* patterns: CloudWatch Logs filter patterns, compiled once and evaluated many times.
 *
 * The language is AWS's (../shared/spec/filter-patterns.md): term patterns, `%regex%`,
 * JSON patterns `{ ... }` and space-delimited patterns `[ ... ]`. A compiled pattern
 * lists the JSON selectors it reads; the caller resolves them for each event (see
 * events/event.h) and calls pattern_evaluate. Where AWS's behaviour is unknown, the
 * choice made is in docs/filter-pattern-decisions.md. */
#ifndef TRAILHOUND_PATTERNS_PATTERN_H
#define TRAILHOUND_PATTERNS_PATTERN_H

#include "events/event.h"

#include <stdbool.h>
#include <stddef.h>

/* AWS's limits (spec §8). */
#define PATTERN_MAX_CHARACTERS 1024
#define PATTERN_MAX_REGEXES 2            /* per JSON or space-delimited pattern */
#define PATTERN_MAX_WILDCARD_SELECTORS 3 /* selectors with a wildcard, per pattern */
/* Our own limit: parentheses nested deeper than this are refused. */
#define PATTERN_MAX_NESTING 64

enum pattern_kind {
    PATTERN_MATCH_ALL,       /* empty, blank, or only quoted blanks */
    PATTERN_TERMS,           /* ERROR ?WARN -DEBUG "quoted phrase" */
    PATTERN_REGEX,           /* %regex% */
    PATTERN_JSON,            /* { $.selector = value && ... } */
    PATTERN_SPACE_DELIMITED, /* [ip, user, ..., status_code = 4*, bytes] */
};

struct pattern_error {
    size_t column; /* 1-based, in characters, where the problem is */
    char message[200];
};

struct pattern;

/* Compile `text` (length bytes, UTF-8). Returns NULL with `error` filled when the
 * pattern is invalid (or memory runs out: column 0). */
struct pattern *pattern_compile(const char *text, size_t length, struct pattern_error *error);
void pattern_free(struct pattern *pattern);

enum pattern_kind pattern_kind(const struct pattern *pattern);

/* The JSON selectors the pattern reads, each listed once; the event handed to
 * pattern_evaluate carries one selection per selector in this order. */
const struct selector *pattern_selectors(const struct pattern *pattern, size_t *count);

/* Compiles a JSON selector on its own, such as a metric value or dimension reference
 * ("$.bytes"); the result is a pattern whose only selector (pattern_selectors) is it.
 * Returns NULL with `error` filled when `reference` is not exactly one selector. */
struct pattern *pattern_compile_reference(const char *reference, struct pattern_error *error);

/* A pre-test for the hot path: what the raw bytes of every JSON message the pattern can
 * match must contain, provided the message has no \u escape (an escape can spell a letter
 * without writing it). The answer is a conjunction of clauses: for every clause, at least
 * one of its literals appears. Returns false when nothing is required (NOT EXISTS,
 * match-all, regex, space-delimited and exclusion-only patterns). On true the caller owns
 * *clauses and frees it with pattern_literal_clauses_free. */
struct pattern_literal {
    char *text;
    size_t length;
    bool key;       /* a property name only: present in most events, a weak test */
    bool delimited; /* a leading or trailing '"' is a JSON string's delimiter */
};
struct pattern_literal_clause {
    struct pattern_literal *literals;
    size_t count;
};
bool pattern_required_literals(const struct pattern *pattern,
                               struct pattern_literal_clause **clauses, size_t *count);
void pattern_literal_clauses_free(struct pattern_literal_clause *clauses, size_t count);

/* A value a space-delimited pattern extracted: "$status_code" or "$7" (unnamed fields
 * are numbered from 1 by their position in the event). */
struct pattern_field {
    const char *name; /* NUL-terminated, with the leading '$' */
    const char *value;
    size_t value_length;
};

/* Per-thread scratch for evaluation, and the fields extracted by the last match. */
struct pattern_match;
struct pattern_match *pattern_match_create(void);
void pattern_match_free(struct pattern_match *match);
size_t pattern_match_field_count(const struct pattern_match *match);
const struct pattern_field *pattern_match_field(const struct pattern_match *match, size_t index);

/* Does the event match? `match` receives the extracted fields (none for term, regex and
 * JSON patterns, as TestMetricFilter returns). Not thread-safe on one pattern: regexes
 * reuse their match blocks; compile a pattern per thread. */
bool pattern_evaluate(struct pattern *pattern, const struct event *event,
                      struct pattern_match *match);

/* TestMetricFilter's test of log events (the API's and `trailhound test-pattern`'s): one
 * tester per pattern, reused for every event; the pattern stays the caller's and must
 * outlive the tester. NULL when out of memory. */
struct pattern_tester;
struct pattern_tester *pattern_tester_create(struct pattern *pattern);
void pattern_tester_free(struct pattern_tester *tester);

/* Tests one event's text (a JSON pattern reads its selectors from it): the match, whose
 * fields are the extracted values, or NULL when it does not match. The match is the
 * tester's and is overwritten by the next test. */
const struct pattern_match *pattern_tester_test(struct pattern_tester *tester, const char *message,
                                                size_t length);

/* TestMetricFilter's extractedValues: a new JSON object (jansson's json_t) of the match's
 * fields, name to value; NULL when out of memory. */
struct json_t;
struct json_t *pattern_match_extracted_values(const struct pattern_match *match);

#endif
