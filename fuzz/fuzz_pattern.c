/* libFuzzer target: compile a filter pattern and evaluate it. The input is the pattern,
 * a NUL byte, then one event message; without a NUL the input is only a pattern, tested
 * against a fixed CloudTrail-like event. Also checks the scan's pre-test is sound: an event
 * the pattern matches must pass the raw-bytes test built from its required literals, with
 * every way of finding them the CPU supports (AVX-512, AVX2, the portable one). */
#include "events/event.h"
#include "metrics/prefilter.h"
#include "patterns/pattern.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static const char default_event[] =
    "{\"eventName\":\"GetObject\",\"errorCode\":\"AccessDenied\",\"a\":[1,{\"b\":null}],"
    "\"sourceIPAddress\":\"203.0.113.5\",\"n\":-1.5e3,\"t\":true}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *separator = memchr(text, '\0', size);
    size_t pattern_length = separator ? (size_t)(separator - text) : size;
    const char *message = separator ? separator + 1 : default_event;
    size_t message_length = separator ? size - pattern_length - 1 : sizeof default_event - 1;

    struct pattern_error error;
    struct pattern *pattern = pattern_compile(text, pattern_length, &error);
    if (!pattern) {
        if (error.message[0] == '\0')
            __builtin_trap(); /* every failure must say why */
        return 0;
    }
    struct event_extractor *extractor = event_extractor_create();
    struct pattern_match *match = pattern_match_create();
    size_t selector_count;
    const struct selector *selectors = pattern_selectors(pattern, &selector_count);
    struct event event = event_from_text(message, message_length);
    event_extract_json(extractor, message, message_length, selectors, selector_count, &event, NULL);
    bool matched = pattern_evaluate(pattern, &event, match);
    struct pattern_literal_clause *clauses;
    size_t clause_count;
    if (matched && pattern_required_literals(pattern, &clauses, &clause_count)) {
        static const enum prefilter_method methods[] = {PREFILTER_QUOTES, PREFILTER_AVX2,
                                                        PREFILTER_AVX512};
        for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
            struct prefilter *prefilter = prefilter_create();
            if (!prefilter)
                continue;
            /* the bucket methods choose triggers after 256 sampled events: go past that */
            int rounds = !prefilter_set_method(prefilter, methods[m]) ? 0
                         : methods[m] == PREFILTER_QUOTES             ? 1
                                                                      : 300;
            if (!prefilter_add_filter(prefilter, clauses, clause_count))
                rounds = 0;
            for (int i = 0; i < rounds; i++)
                if (!prefilter_may_match(prefilter, message, message_length))
                    __builtin_trap(); /* the pre-test would have lost a match */
            prefilter_free(prefilter);
        }
        pattern_literal_clauses_free(clauses, clause_count);
    }
    if (matched) {
        size_t touched = 0;
        for (size_t i = 0; i < pattern_match_field_count(match); i++) {
            const struct pattern_field *field = pattern_match_field(match, i);
            touched += strlen(field->name);
            for (size_t j = 0; j < field->value_length; j++)
                touched += (unsigned char)field->value[j];
        }
        if (touched == SIZE_MAX)
            __builtin_trap();
    }
    pattern_match_free(match);
    event_extractor_free(extractor);
    pattern_free(pattern);
    return 0;
}
