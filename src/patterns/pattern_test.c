/* TestMetricFilter's test of log events, shared by the API and `trailhound test-pattern`:
 * each event is its text, with the pattern's JSON selectors resolved when it is a JSON
 * pattern, and a match's extracted values are its fields. */
#include "patterns/pattern.h"

#include <jansson.h>
#include <stdlib.h>

struct pattern_tester {
    struct pattern *pattern; /* the caller's */
    struct pattern_match *match;
    struct event_extractor *extractor;
    const struct selector *selectors;
    size_t selector_count;
};

struct pattern_tester *pattern_tester_create(struct pattern *pattern)
{
    struct pattern_tester *tester = calloc(1, sizeof *tester);
    if (!tester)
        return NULL;
    tester->pattern = pattern;
    tester->match = pattern_match_create();
    tester->extractor = event_extractor_create();
    if (!tester->match || !tester->extractor) {
        pattern_tester_free(tester);
        return NULL;
    }
    tester->selectors = pattern_selectors(pattern, &tester->selector_count);
    return tester;
}

void pattern_tester_free(struct pattern_tester *tester)
{
    if (!tester)
        return;
    event_extractor_free(tester->extractor);
    pattern_match_free(tester->match);
    free(tester);
}

const struct pattern_match *pattern_tester_test(struct pattern_tester *tester, const char *message,
                                                size_t length)
{
    struct event event = event_from_text(message, length);
    if (pattern_kind(tester->pattern) == PATTERN_JSON)
        event_extract_json(tester->extractor, message, length, tester->selectors,
                           tester->selector_count, &event, NULL);
    return pattern_evaluate(tester->pattern, &event, tester->match) ? tester->match : NULL;
}

json_t *pattern_match_extracted_values(const struct pattern_match *match)
{
    json_t *values = json_object();
    for (size_t i = 0; values && i < pattern_match_field_count(match); i++) {
        const struct pattern_field *field = pattern_match_field(match, i);
        json_object_set_new(values, field->name, json_stringn(field->value, field->value_length));
    }
    return values;
}
