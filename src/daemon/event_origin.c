/* event_origin: an event's account and region, raw bytes first, decoding when unsure. */
#define _GNU_SOURCE /* memmem */
#include "daemon/event_origin.h"
#include "events/event.h"
#include "patterns/pattern.h"

#include <stdlib.h>
#include <string.h>

/* In order of preference for the account; the region last. */
enum { SELECT_RECIPIENT_ACCOUNT, SELECT_IDENTITY_ACCOUNT, SELECT_REGION, SELECT_COUNT };
static const char *const select_references[SELECT_COUNT] = {
    "$.recipientAccountId", "$.userIdentity.accountId", "$.awsRegion"};

struct event_origin_reader {
    struct event_extractor *extractor;
    struct pattern *references[SELECT_COUNT]; /* own the selectors' steps */
    struct selector selectors[SELECT_COUNT];
};

struct event_origin_reader *event_origin_reader_create(void)
{
    struct event_origin_reader *reader = calloc(1, sizeof *reader);
    bool ok = reader && (reader->extractor = event_extractor_create());
    for (size_t i = 0; ok && i < SELECT_COUNT; i++) {
        struct pattern_error error;
        size_t count = 0;
        ok = (reader->references[i] = pattern_compile_reference(select_references[i], &error));
        if (ok)
            reader->selectors[i] = pattern_selectors(reader->references[i], &count)[0];
    }
    if (!ok) {
        event_origin_reader_free(reader);
        return NULL;
    }
    return reader;
}

void event_origin_reader_free(struct event_origin_reader *reader)
{
    if (!reader)
        return;
    event_extractor_free(reader->extractor);
    for (size_t i = 0; i < SELECT_COUNT; i++)
        pattern_free(reader->references[i]);
    free(reader);
}

static bool first_string(const struct event *event, size_t selector, const char **text,
                         size_t *length)
{
    const struct event_selection *selection = &event->selections[selector];
    for (size_t i = 0; i < selection->count; i++)
        if (selection->values[i].kind == EVENT_VALUE_STRING) {
            *text = selection->values[i].text;
            *length = selection->values[i].length;
            return true;
        }
    return false;
}

bool event_origin_decode(struct event_origin_reader *reader, const char *message, size_t length,
                         struct event_origin *origin)
{
    *origin = (struct event_origin){0};
    struct event event;
    if (!event_extract_json(reader->extractor, message, length, reader->selectors, SELECT_COUNT,
                            &event, NULL))
        return false;
    if (!first_string(&event, SELECT_RECIPIENT_ACCOUNT, &origin->account, &origin->account_length))
        first_string(&event, SELECT_IDENTITY_ACCOUNT, &origin->account, &origin->account_length);
    first_string(&event, SELECT_REGION, &origin->region, &origin->region_length);
    return true;
}

/* The value of `name` when the quoted name occurs exactly once, directly followed by `:"`,
 * and its value holds no escape; false otherwise. Any other occurrence of the quoted name —
 * a key in a nested object, written with spaces, or a value — leaves it to the decoding. */
static bool raw_value(const char *message, size_t length, const char *name, const char **value,
                      size_t *value_length)
{
    size_t name_length = strlen(name);
    const char *found = memmem(message, length, name, name_length);
    if (!found)
        return false;
    const char *after = found + name_length, *end = message + length;
    if (memmem(after, (size_t)(end - after), name, name_length))
        return false; /* repeated: which one is at the top is for the decoding to say */
    if (end - after < 2 || after[0] != ':' || after[1] != '"')
        return false;
    const char *start = after + 2;
    const char *quote = memchr(start, '"', (size_t)(end - start));
    if (!quote || memchr(start, '\\', (size_t)(quote - start)))
        return false;
    *value = start;
    *value_length = (size_t)(quote - start);
    return true;
}

/* memchr is vectorised; memmem with a two-byte needle is not. */
static bool has_unicode_escape(const char *message, size_t length)
{
    const char *end = message + length, *at = message;
    while ((at = memchr(at, '\\', (size_t)(end - at))) && end - at >= 2) {
        if (at[1] == 'u')
            return true;
        at += 2; /* past the escaped character: in "\\u" the u is not an escape */
    }
    return false;
}

bool event_origin_read(struct event_origin_reader *reader, const char *message, size_t length,
                       struct event_origin *origin)
{
    *origin = (struct event_origin){0};
    /* \u could spell a key the raw bytes do not show */
    if (length >= 2 && message[0] == '{' && message[length - 1] == '}' &&
        !has_unicode_escape(message, length) &&
        raw_value(message, length, "\"recipientAccountId\"", &origin->account,
                  &origin->account_length) &&
        raw_value(message, length, "\"awsRegion\"", &origin->region, &origin->region_length))
        return true;
    return event_origin_decode(reader, message, length, origin);
}
