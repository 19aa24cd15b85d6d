/* libFuzzer target: metric_evidence_round_trip (the replay's shortcut, which checks the
 * written text itself instead of parsing it) must give exactly what
 * metric_evidence_from_json gives of metric_evidence_to_json's text: the same refusal, or
 * the same evidence. The evidence is built from the input's lines: a line starting with '{'
 * is a sample (its own small JSON checker decides whether it reads back as written), any
 * other line a top-list value whose count comes from its first byte (0 and huge included);
 * the first byte of the input chooses the times and the event count. */
#include "fuzz_text.h"
#include "metrics/metrics.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void add_line(struct metric_evidence *evidence, char *line, size_t index)
{
    if (line[0] == '{') {
        if (evidence->sample_count < METRIC_EVIDENCE_SAMPLES)
            evidence->samples[evidence->sample_count++] = strdup(line);
        return;
    }
    size_t field = index % METRIC_EVIDENCE_FIELD_COUNT;
    if (evidence->top_count[field] >= METRIC_EVIDENCE_TOP)
        return;
    uint8_t first = (uint8_t)line[0];
    uint64_t count = first == 0xff ? UINT64_MAX : first % 4; /* 0: refused on reading */
    evidence->top[field][evidence->top_count[field]++] =
        (struct metric_evidence_value){strdup(line), count};
}

/* The same evidence each time it is called with the same text. */
static void build(const char *text, struct metric_evidence *evidence)
{
    metric_evidence_init(evidence);
    uint8_t choice = (uint8_t)text[0];
    evidence->events = choice & 1 ? UINT64_MAX : 9;
    evidence->suppressed = choice & 2 ? 10 : 1;
    if (choice & 4) { /* known times; with 8 also in the wrong order */
        evidence->first_seen_ms = choice & 8 ? 1709287200000 : -62135596800000;
        evidence->last_seen_ms = 1709287201000;
        if (choice & 16)
            evidence->last_seen_ms = INT64_MIN;
    }
    char *copy = strdup(text[0] ? text + 1 : text);
    if (!copy)
        return;
    size_t index = 0;
    for (char *line = copy, *next; line && index < 64; line = next, index++) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (*line)
            add_line(evidence, line, index);
    }
    free(copy);
}

static bool same(const struct metric_evidence *a, const struct metric_evidence *b)
{
    bool equal = a->events == b->events && a->suppressed == b->suppressed &&
                 a->first_seen_ms == b->first_seen_ms && a->last_seen_ms == b->last_seen_ms &&
                 a->sample_count == b->sample_count;
    for (size_t field = 0; equal && field < METRIC_EVIDENCE_FIELD_COUNT; field++) {
        equal = a->top_count[field] == b->top_count[field];
        for (size_t i = 0; equal && i < a->top_count[field]; i++)
            equal = strcmp(a->top[field][i].value, b->top[field][i].value) == 0 &&
                    a->top[field][i].count == b->top[field][i].count;
    }
    for (size_t i = 0; equal && i < a->sample_count; i++)
        equal = strcmp(a->samples[i], b->samples[i]) == 0;
    return equal;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    if (!text)
        return 0;
    struct metric_evidence written, read, kept;
    struct metrics_error error;
    build(text, &written);
    char *json = metric_evidence_to_json(&written);
    bool parsed = json && metric_evidence_from_json(json, &read, &error);
    build(text, &kept);
    bool shortcut = metric_evidence_round_trip(&kept, &error);
    if (parsed != shortcut || (parsed && !same(&read, &kept)))
        __builtin_trap();
    if (parsed)
        metric_evidence_free(&read);
    metric_evidence_free(&kept);
    metric_evidence_free(&written);
    free(json);
    free(text);
    return 0;
}
