/* aws_regex: CloudWatch Logs' regular-expression dialect (the `%...%` terms of filter
 * patterns), validated exactly as AWS validates it and translated to PCRE2 with JIT.
 * Internal to the patterns stage. The dialect and its decisions: spec §4 and
 * docs/filter-pattern-decisions.md. */
#ifndef TRAILHOUND_PATTERNS_AWS_REGEX_H
#define TRAILHOUND_PATTERNS_AWS_REGEX_H

#include <stdbool.h>
#include <stddef.h>

struct aws_regex;

struct aws_regex_error {
    size_t offset; /* byte offset into the regex source (between the % signs) */
    char message[160];
};

/* Compile the text between the two % signs. Returns NULL with `error` filled when the
 * source uses a character or construct AWS rejects, or when memory runs out. */
struct aws_regex *aws_regex_compile(const char *source, size_t length,
                                    struct aws_regex_error *error);

/* Search (not full match) `subject` for the expression. Not thread-safe on one
 * compiled regex: it reuses its own match block. A subject that exhausts the match
 * limits counts as no match. */
bool aws_regex_search(struct aws_regex *regex, const char *subject, size_t length);

/* The PCRE2 source the dialect was translated to (for tests and diagnostics). */
const char *aws_regex_translation(const struct aws_regex *regex);

void aws_regex_free(struct aws_regex *regex);

#endif
