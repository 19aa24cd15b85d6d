/* libFuzzer target for the JSON extractor: any input, a fixed set of selectors of every
 * step kind, two calls on one extractor. Checks that invalid input selects nothing, that
 * every returned value is readable and well formed, and that a second call gives the same
 * answer (stale state left in the extractor would show up here). */
#include "events/event.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../tests/support/selector_builders.h"

static const struct selector selectors[] = {
    {.steps = NULL, .step_count = 0, .text = "$"},
    SELECTOR("$.a", MEMBER("a")),
    SELECTOR("$.userIdentity.type", MEMBER("userIdentity"), MEMBER("type")),
    SELECTOR("$.eventName", MEMBER("eventName")),
    SELECTOR("$.['cluster.name']", MEMBER("cluster.name")),
    SELECTOR("$.\xc3\xa9", MEMBER("\xc3\xa9")),
    SELECTOR("$[0]", INDEX(0)),
    SELECTOR("$.a[1]", MEMBER("a"), INDEX(1)),
    SELECTOR("$.coordinates[1][2]", MEMBER("coordinates"), INDEX(1), INDEX(2)),
    SELECTOR("$.*", ANY_MEMBER),
    SELECTOR("$[*]", ANY_INDEX),
    SELECTOR("$.*.*", ANY_MEMBER, ANY_MEMBER),
    SELECTOR("$.resources[*].ARN", MEMBER("resources"), ANY_INDEX, MEMBER("ARN")),
    SELECTOR("$[*][*]", ANY_INDEX, ANY_INDEX),
    SELECTOR("$.*[0].a", ANY_MEMBER, INDEX(0), MEMBER("a")),
    SELECTOR("$.a", MEMBER("a")),
};
#define SELECTOR_COUNT (sizeof selectors / sizeof selectors[0])

/* A digest of everything extracted, for comparing the two calls. Also reads every byte of
 * every returned string and number text, so ASan catches dangling or short buffers. */
static uint64_t digest_event(const struct event *event)
{
    uint64_t digest = 1469598103934665603u;
    for (size_t s = 0; s < event->selection_count; s++) {
        const struct event_selection *selection = &event->selections[s];
        digest = (digest ^ selection->count) * 1099511628211u;
        for (size_t i = 0; i < selection->count; i++) {
            const struct event_value *value = &selection->values[i];
            digest = (digest ^ (uint64_t)value->kind) * 1099511628211u;
            bool has_text = value->kind == EVENT_VALUE_STRING || value->kind == EVENT_VALUE_NUMBER;
            if (!has_text && (value->text || value->length))
                abort();
            if (value->kind == EVENT_VALUE_NUMBER && value->length == 0)
                abort();
            if (value->length && !value->text)
                abort();
            for (size_t b = 0; b < value->length; b++)
                digest = (digest ^ (unsigned char)value->text[b]) * 1099511628211u;
        }
    }
    return digest;
}

static bool check_call(struct event_extractor *extractor, const uint8_t *data, size_t size,
                       uint64_t *digest, struct event_json_error *error)
{
    struct event event;
    bool ok = event_extract_json(extractor, (const char *)data, size, selectors, SELECTOR_COUNT,
                                 &event, error);
    if (ok != event.is_json || event.message != (const char *)data || event.message_length != size)
        abort();
    if (!ok && error->offset == SIZE_MAX)
        return ok; /* out of memory: nothing else is promised */
    if (event.selection_count != SELECTOR_COUNT)
        abort();
    if (!ok) {
        if (error->offset > size || !memchr(error->reason, '\0', sizeof error->reason) ||
            error->reason[0] == '\0')
            abort();
        for (size_t s = 0; s < event.selection_count; s++)
            if (event.selections[s].count != 0)
                abort();
    } else {
        /* The root selector sees exactly the one top-level value; "$.a" is listed twice. */
        if (event.selections[0].count != 1 ||
            event.selections[1].count != event.selections[15].count)
            abort();
    }
    *digest = digest_event(&event);
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct event_extractor *extractor = event_extractor_create();
    if (!extractor)
        return 0;
    uint64_t first_digest = 0, second_digest = 0;
    struct event_json_error first_error = {0}, second_error = {0};
    bool first = check_call(extractor, data, size, &first_digest, &first_error);
    bool second = check_call(extractor, data, size, &second_digest, &second_error);
    if (first != second || first_digest != second_digest)
        abort();
    if (!first && (first_error.offset != second_error.offset ||
                   strcmp(first_error.reason, second_error.reason) != 0))
        abort();
    event_extractor_free(extractor);
    return 0;
}
