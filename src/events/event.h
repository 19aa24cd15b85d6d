/* events: the event as the pattern engine sees it, and the JSON extractor that fills it.
 *
 * A compiled pattern never walks a JSON tree. It names the selectors it reads
 * (pattern_selectors), and evaluation takes, for each of them, the values that
 * selector resolved to in one event, plus the raw message text for term, regex
 * and space-delimited patterns. Whoever reads events (the extractor below, or
 * the streaming reader of the sources stage) fills an `struct event` for the
 * selectors in the order the pattern listed them. docs/design.md explains why. */
#ifndef TRAILHOUND_EVENTS_EVENT_H
#define TRAILHOUND_EVENTS_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Deepest JSON nesting the extractor accepts; deeper documents are an error. */
#define EVENT_JSON_MAX_DEPTH 64

enum selector_step_kind {
    SELECTOR_STEP_MEMBER,     /* .name or .['name'] */
    SELECTOR_STEP_INDEX,      /* [n] */
    SELECTOR_STEP_ANY_MEMBER, /* .* : every member of an object, one level */
    SELECTOR_STEP_ANY_INDEX,  /* [*] : every element of an array */
};

struct selector_step {
    enum selector_step_kind kind;
    const char *name; /* MEMBER: the decoded property name (not NUL-terminated) */
    size_t name_length;
    size_t index; /* INDEX: zero-based */
};

/* A JSON selector such as $.userIdentity.type, as a path of steps from the root. */
struct selector {
    const struct selector_step *steps;
    size_t step_count;
    const char *text; /* the selector as written, NUL-terminated, for messages */
};

enum event_value_kind {
    EVENT_VALUE_STRING,
    EVENT_VALUE_NUMBER,
    EVENT_VALUE_TRUE,
    EVENT_VALUE_FALSE,
    EVENT_VALUE_NULL,
    EVENT_VALUE_OBJECT,
    EVENT_VALUE_ARRAY,
};

struct event_value {
    enum event_value_kind kind;
    /* STRING: the decoded UTF-8 bytes (escapes and surrogate pairs resolved; may hold
     * NUL bytes). NUMBER: the literal exactly as written in the message. Else NULL. */
    const char *text;
    size_t length;
    double number; /* NUMBER: the value; integers beyond 2^53 are rounded */
};

/* What one selector found in one event. count == 0: the selector found nothing. */
struct event_selection {
    const struct event_value *values;
    size_t count;
};

struct event {
    const char *message; /* the raw log event message, not NUL-terminated */
    size_t message_length;
    bool is_json; /* the message is exactly one well-formed JSON value */
    /* One entry per selector of the pattern being evaluated, in its order.
     * Ignored when is_json is false. */
    const struct event_selection *selections;
    size_t selection_count;
};

/* Why a message is not valid JSON: the byte offset where reading stopped, and why. */
struct event_json_error {
    size_t offset;
    char reason[128];
};

/* Reusable scratch for extraction; one per thread. Values it returns stay valid
 * until the next call on the same extractor. */
struct event_extractor;

struct event_extractor *event_extractor_create(void);
void event_extractor_free(struct event_extractor *extractor);

/* Read `message` as one JSON value (strict RFC 8259, UTF-8 validated, nesting at most
 * EVENT_JSON_MAX_DEPTH) and resolve `selectors` against it, filling `out`. Returns true
 * when the message is valid JSON. When it is not, `out->is_json` is false, every selection
 * is empty, and `error` (when not NULL) says where and why. Returns false with
 * error->offset == SIZE_MAX when memory runs out. */
bool event_extract_json(struct event_extractor *extractor, const char *message,
                        size_t message_length, const struct selector *selectors,
                        size_t selector_count, struct event *out, struct event_json_error *error);

/* Do two selectors name the same path? ($.a.b and $.['a'].b do.) */
bool selector_equal(const struct selector *a, const struct selector *b);

/* ---- JSON text primitives, shared by every reader of JSON text ---- */

/* UTF-8 well-formedness by lead byte (Unicode Table 3-7, "Well-Formed UTF-8 Byte
 * Sequences"): the allowed range of the second byte and the sequence length. */
struct utf8_lead {
    unsigned char second_low;
    unsigned char second_high;
    unsigned char length; /* 0: never a lead byte */
};
struct utf8_lead utf8_lead_for(unsigned char byte);

/* Writes the UTF-8 encoding of a code point (at most U+10FFFF) to out; returns its length. */
size_t json_utf8_encode(uint32_t code_point, unsigned char out[4]);

/* Decodes the body of a JSON string (the bytes between its quotes) that is already known
 * to be valid into `out`, which may be `body` itself (decoding never lengthens); returns
 * the decoded length. */
size_t event_json_unescape(const unsigned char *body, size_t length, unsigned char *out);

/* An event that is only raw text (for patterns that read no selectors). */
struct event event_from_text(const char *message, size_t message_length);

#endif
