/* libFuzzer target: read the input as evidence in JSON (metric_evidence_from_json). A refusal
 * must say why and leave the evidence empty; accepted evidence must be written back, read
 * again to the same text (the form is canonical), and merge into empty evidence and into
 * itself without breaking the limits or the orders. */
#include "fuzz_text.h"
#include "metrics/metrics.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool is_empty(const struct metric_evidence *evidence)
{
    size_t listed = 0;
    for (size_t field = 0; field < METRIC_EVIDENCE_FIELD_COUNT; field++)
        listed += evidence->top_count[field];
    return evidence->events == 0 && listed == 0 && evidence->sample_count == 0 &&
           evidence->first_seen_ms == INT64_MAX && evidence->last_seen_ms == INT64_MIN;
}

/* Lists sorted by count descending then bytes, within their limits. */
static bool in_order(const struct metric_evidence *evidence)
{
    bool ordered = evidence->sample_count <= METRIC_EVIDENCE_SAMPLES;
    for (size_t field = 0; ordered && field < METRIC_EVIDENCE_FIELD_COUNT; field++) {
        const struct metric_evidence_value *top = evidence->top[field];
        ordered = evidence->top_count[field] <= METRIC_EVIDENCE_TOP;
        for (size_t i = 1; ordered && i < evidence->top_count[field]; i++)
            ordered =
                top[i - 1].count > top[i].count ||
                (top[i - 1].count == top[i].count && strcmp(top[i - 1].value, top[i].value) < 0);
    }
    return ordered;
}

static void check_written(const struct metric_evidence *evidence, const char *expected)
{
    char *text = metric_evidence_to_json(evidence);
    if (!text || (expected && strcmp(text, expected) != 0) || !in_order(evidence))
        __builtin_trap();
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    if (!text)
        return 0;
    struct metric_evidence first, second;
    struct metrics_error error = {{0}};
    if (!metric_evidence_from_json(text, &first, &error)) {
        if (error.message[0] == '\0' || !is_empty(&first))
            __builtin_trap();
        free(text);
        return 0;
    }
    char *written = metric_evidence_to_json(&first);
    if (!written || !metric_evidence_from_json(written, &second, &error))
        __builtin_trap();
    check_written(&second, written);
    struct metric_evidence merged;
    metric_evidence_init(&merged);
    if (metric_evidence_merge(&merged, &first)) {
        check_written(&merged, written);
        if (metric_evidence_merge(&merged, &second))
            check_written(&merged, NULL);
    }
    metric_evidence_free(&merged);
    metric_evidence_free(&second);
    metric_evidence_free(&first);
    free(written);
    free(text);
    return 0;
}
