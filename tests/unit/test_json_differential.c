/* Differential test of the JSON extractor (src/events/event_extract.c) against jansson 2.14.
 *
 * Every input is read by event_extract_json and by json_loadb(JSON_DECODE_ANY | JSON_ALLOW_NUL).
 * The two must agree on whether it is valid JSON and, when both accept it, on the values a set
 * of selectors resolves to (kinds, decoded string bytes, numbers). The inputs are a
 * hand-written table, every file of the fuzzer corpus fuzz/corpus/event_extract/, and every
 * file (and every line of the NDJSON files) under SHARED_DIR/data/cloudtrail; the compressed
 * .json.gz files there are compared as the bytes they are (both must reject them).
 *
 * Where jansson 2.14 and event_extract_json differ
 * ------------------------------------------------
 * Each difference below is asserted as a known difference (table known_deviations), so this
 * test fails when either side changes. Any other difference fails the test.
 *
 * D-JANSSON-INTEGER-RANGE: jansson stores a number without fraction or exponent as a json_int_t
 *   (long long) and rejects the document ("too big integer", "too big negative integer") when
 *   the literal is outside [-2^63, 2^63 - 1], e.g. 9223372036854775808. RFC 8259 section 9
 *   lets a parser limit the range of numbers; event_extract_json does not: it accepts the
 *   literal, keeps its text exactly and gives the nearest double as its value.
 * D-JANSSON-REAL-OVERFLOW: jansson rejects a number whose value overflows a double ("real
 *   number overflow"), e.g. 1e400 or -1.8e308. event_extract_json accepts it with the value
 *   +inf or -inf (strtod's HUGE_VAL) and the text as written. Underflow (1e-400) is no
 *   difference: both accept it as 0 or a subnormal.
 * D-JANSSON-NEGATIVE-ZERO: jansson reads the integer literal -0 as the integer 0, losing the
 *   sign; event_extract_json keeps the text "-0" and the value -0.0. (-0.0 and -0e0 are reals
 *   in jansson and keep their sign: no difference.)
 * D-JANSSON-NUL-NEEDS-FLAG: without JSON_ALLOW_NUL jansson rejects \u0000 in a string ("\u0000
 *   is not allowed without JSON_ALLOW_NUL"). With the flag it accepts it and returns the NUL
 *   byte in the string, exactly like event_extract_json (which always accepts it).
 * D-JANSSON-NUL-IN-KEY: even with JSON_ALLOW_NUL, jansson rejects \u0000 in an object key ("NUL
 *   byte in object key not supported"). event_extract_json accepts it; a member selector
 *   matches the decoded key bytes, NUL included.
 * D-JANSSON-DEPTH: jansson's nesting limit is JSON_PARSER_MAX_DEPTH = 2048, ours is
 *   EVENT_JSON_MAX_DEPTH = 64, so documents nested 65 to 2048 levels deep are accepted by jansson
 *   and rejected by event_extract_json. jansson also counts the innermost scalar as a level:
 *   it accepts 2048 nested empty arrays but rejects 2048 nested objects around a scalar, while
 *   event_extract_json counts only containers (64 containers around a scalar are fine). Both
 *   reject anything deeper than 2048, so that part is no difference.
 * D-DUPLICATE-KEYS: the document is valid for both, but jansson keeps only the last value of a
 *   repeated key, at the position of its first occurrence ({"a":1,"b":2,"a":3} iterates as
 *   a=3, b=2), whereas event_extract_json reports every occurrence in document order
 *   ($.a gives 1 and 3; $.* gives 1, 2, 3). For a selector made of names and indices only,
 *   jansson's value is our last one; for any selector, jansson's values are among ours.
 * D-JANSSON-NUL-AFTER-TOKEN (a jansson bug): jansson silently skips one NUL byte that directly
 *   follows a number or true, false or null, so it accepts "1\0", "[1\0,2]" and
 *   {"a":true\0}; event_extract_json rejects them (a NUL byte is neither whitespace nor a
 *   token). jansson's reader marks its one-character pushback buffer as empty with a NUL byte,
 *   so when the lookahead byte it pushes back after such a token is NUL, the byte is lost. A
 *   second NUL ("[1\0\0]"), or a NUL after a string, a bracket or whitespace, is rejected by
 *   both.
 *
 * No difference, checked here because parsers often differ on them: lone, reversed or unpaired
 * surrogate escapes (jansson 2.14 rejects them: "invalid Unicode '\uD800'"); invalid UTF-8
 * (jansson also follows Unicode table 3-7: overlongs, UTF-8-encoded surrogates, code points
 * above U+10FFFF, stray continuation bytes and truncated sequences are rejected); a leading
 * UTF-8 byte order mark (both reject it, as RFC 8259 section 8.1 allows); raw control
 * characters in strings, leading zeros, '-' alone, '1.', '.5', '+1', NaN, Infinity, comments,
 * single quotes, trailing commas, trailing garbage, empty input, 2049 nested arrays (all
 * rejected by both); noncharacters such as U+FFFF, U+2028 and DEL in strings, and top-level
 * scalars (accepted by both). Whitespace is exactly space, tab, LF and CR for both (form feed,
 * vertical tab and NBSP are rejected). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "events/event.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FUZZ_CORPUS_DIR TESTS_DATA_DIR "/../../fuzz/corpus/event_extract"
#define CLOUDTRAIL_DIR SHARED_DIR "/data/cloudtrail"

/* The flags every comparison uses unless a case says otherwise. */
#define JANSSON_FLAGS (JSON_DECODE_ANY | JSON_ALLOW_NUL)

#define COUNT_OF(array) (sizeof(array) / sizeof((array)[0]))
/* A document given as a string literal, which may hold NUL bytes. */
#define DOC(literal) (literal), (sizeof(literal) - 1)

/* ---- Selectors, built by hand --------------------------------------------------------------- */

#include "../support/selector_builders.h"

static const struct selector selectors[] = {
    {.steps = NULL, .step_count = 0, .text = "$"},
    SELECTOR("$.*", ANY_MEMBER),
    SELECTOR("$[*]", ANY_INDEX),
    SELECTOR("$.*.*", ANY_MEMBER, ANY_MEMBER),
    SELECTOR("$.*[*]", ANY_MEMBER, ANY_INDEX),
    SELECTOR("$[*].*", ANY_INDEX, ANY_MEMBER),
    SELECTOR("$[*][*]", ANY_INDEX, ANY_INDEX),
    SELECTOR("$[1]", INDEX(1)),
    SELECTOR("$.a", MEMBER("a")),
    SELECTOR("$.a.b", MEMBER("a"), MEMBER("b")),
    SELECTOR("$.['']", MEMBER("")),
    SELECTOR("$.\xc3\xa9", MEMBER("\xc3\xa9")),
    SELECTOR("$.eventName", MEMBER("eventName")),
    SELECTOR("$.eventSource", MEMBER("eventSource")),
    SELECTOR("$.userIdentity.arn", MEMBER("userIdentity"), MEMBER("arn")),
    SELECTOR("$.userIdentity.sessionContext.sessionIssuer.userName", MEMBER("userIdentity"),
             MEMBER("sessionContext"), MEMBER("sessionIssuer"), MEMBER("userName")),
    SELECTOR("$.errorCode", MEMBER("errorCode")),
    SELECTOR("$.requestParameters.*", MEMBER("requestParameters"), ANY_MEMBER),
    SELECTOR("$.responseElements.*", MEMBER("responseElements"), ANY_MEMBER),
    SELECTOR("$.resources[*].ARN", MEMBER("resources"), ANY_INDEX, MEMBER("ARN")),
    SELECTOR("$.detail.eventName", MEMBER("detail"), MEMBER("eventName")),
    SELECTOR("$.Records[*].eventName", MEMBER("Records"), ANY_INDEX, MEMBER("eventName")),
    SELECTOR("$.Records[*].userIdentity.arn", MEMBER("Records"), ANY_INDEX, MEMBER("userIdentity"),
             MEMBER("arn")),
    SELECTOR("$.Records[*].requestParameters.*", MEMBER("Records"), ANY_INDEX,
             MEMBER("requestParameters"), ANY_MEMBER),
    SELECTOR("$.Records[*].resources[*].ARN", MEMBER("Records"), ANY_INDEX, MEMBER("resources"),
             ANY_INDEX, MEMBER("ARN")),
    SELECTOR("$.Records[0].eventTime", MEMBER("Records"), INDEX(0), MEMBER("eventTime")),
};

/* A selector made of names and indices only resolves to at most one value in jansson's tree. */
static bool selector_is_deterministic(const struct selector *selector)
{
    for (size_t i = 0; i < selector->step_count; i++)
        if (selector->steps[i].kind == SELECTOR_STEP_ANY_MEMBER ||
            selector->steps[i].kind == SELECTOR_STEP_ANY_INDEX)
            return false;
    return true;
}

/* ---- Known differences ---------------------------------------------------------------------- */

enum deviation {
    DEV_NONE = 0,
    DEV_INTEGER_RANGE = 1u << 0,
    DEV_REAL_OVERFLOW = 1u << 1,
    DEV_NEGATIVE_ZERO = 1u << 2,
    DEV_NUL_NEEDS_FLAG = 1u << 3,
    DEV_NUL_IN_KEY = 1u << 4,
    DEV_DEPTH = 1u << 5,
    DEV_DUPLICATE_KEYS = 1u << 6,
    DEV_NUL_AFTER_TOKEN = 1u << 7,
};
#define DEVIATION_COUNT 8

/* One way jansson 2.14 and event_extract_json differ, with a document that shows it. */
struct known_deviation {
    unsigned bit;
    const char *id;
    const char *witness;
    size_t witness_length;
    size_t jansson_flags;
    bool ours;                 /* event_extract_json accepts the witness */
    bool jansson;              /* json_loadb accepts the witness */
    const char *jansson_error; /* a part of jansson's error text, when it rejects */
};

static const struct known_deviation known_deviations[] = {
    /* Integer literals outside long long: jansson "too big integer", we accept (value rounded). */
    {DEV_INTEGER_RANGE, "D-JANSSON-INTEGER-RANGE", DOC("[9223372036854775808]"), JANSSON_FLAGS,
     true, false, "too big integer"},
    /* Numbers overflowing a double: jansson "real number overflow", we accept as +-inf. */
    {DEV_REAL_OVERFLOW, "D-JANSSON-REAL-OVERFLOW", DOC("{\"a\":1e400}"), JANSSON_FLAGS, true, false,
     "real number overflow"},
    /* The integer -0: jansson gives the integer 0, we keep the text "-0" and the value -0.0. */
    {DEV_NEGATIVE_ZERO, "D-JANSSON-NEGATIVE-ZERO", DOC("[-0]"), JANSSON_FLAGS, true, true, NULL},
    /* \u0000 in a string: jansson rejects it without JSON_ALLOW_NUL (with it, no difference). */
    {DEV_NUL_NEEDS_FLAG, "D-JANSSON-NUL-NEEDS-FLAG", DOC("[\"a\\u0000b\"]"), JSON_DECODE_ANY, true,
     false, "is not allowed without JSON_ALLOW_NUL"},
    /* \u0000 in an object key: jansson rejects it even with JSON_ALLOW_NUL; we accept it. */
    {DEV_NUL_IN_KEY, "D-JANSSON-NUL-IN-KEY", DOC("{\"a\\u0000b\":1}"), JANSSON_FLAGS, true, false,
     "NUL byte in object key not supported"},
    /* Nesting 65 to 2048 levels: jansson's limit is 2048, ours 64. */
    {DEV_DEPTH, "D-JANSSON-DEPTH",
     DOC(("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
          "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]")),
     JANSSON_FLAGS, false, true, NULL},
    /* Repeated keys: jansson keeps the last value (at the first position), we report them all. */
    {DEV_DUPLICATE_KEYS, "D-DUPLICATE-KEYS", DOC("{\"a\":1,\"b\":2,\"a\":3}"), JANSSON_FLAGS, true,
     true, NULL},
    /* One NUL byte right after a number or literal: jansson's reader drops it (a bug), we reject.
     */
    {DEV_NUL_AFTER_TOKEN, "D-JANSSON-NUL-AFTER-TOKEN", DOC("[1\0,true\0]"), JANSSON_FLAGS, false,
     true, NULL},
};

static const char *deviation_id(unsigned bit)
{
    for (size_t i = 0; i < COUNT_OF(known_deviations); i++)
        if (known_deviations[i].bit == bit)
            return known_deviations[i].id;
    return "?";
}

/* ---- Printing inputs ------------------------------------------------------------------------ */

/* The first bytes of `bytes` as a C-like escaped string, for failure messages. */
static const char *escaped(const char *bytes, size_t length)
{
    static char out[1200];
    const size_t shown_limit = 240;
    size_t used = 0;
    out[used++] = '"';
    for (size_t i = 0; i < length && i < shown_limit; i++) {
        unsigned char byte = (unsigned char)bytes[i];
        if (byte == '"' || byte == '\\')
            used += (size_t)snprintf(out + used, sizeof out - used, "\\%c", byte);
        else if (byte == '\n')
            used += (size_t)snprintf(out + used, sizeof out - used, "\\n");
        else if (byte == '\t')
            used += (size_t)snprintf(out + used, sizeof out - used, "\\t");
        else if (byte >= 0x20 && byte < 0x7f)
            out[used++] = (char)byte;
        else
            used += (size_t)snprintf(out + used, sizeof out - used, "\\x%02x", byte);
    }
    out[used++] = '"';
    if (length > shown_limit)
        used += (size_t)snprintf(out + used, sizeof out - used, "... (%zu bytes)", length);
    out[used] = '\0';
    return out;
}

/* ---- Resolving selectors in jansson's tree -------------------------------------------------- */

struct node_list {
    json_t **items;
    size_t count;
    size_t capacity;
};

static void node_list_push(struct node_list *list, json_t *node)
{
    if (list->count == list->capacity) {
        list->capacity = list->capacity ? list->capacity * 2 : 64;
        list->items = realloc(list->items, list->capacity * sizeof *list->items);
        assert_non_null(list->items);
    }
    list->items[list->count++] = node;
}

/* Appends what `selector` resolves to from `node` (at step `depth`) in jansson's order. */
static void resolve_in_tree(json_t *node, const struct selector *selector, size_t depth,
                            struct node_list *out)
{
    if (depth == selector->step_count) {
        node_list_push(out, node);
        return;
    }
    const struct selector_step *step = &selector->steps[depth];
    switch (step->kind) {
    case SELECTOR_STEP_MEMBER: {
        json_t *member = json_is_object(node) ? json_object_getn(node, step->name ? step->name : "",
                                                                 step->name_length)
                                              : NULL;
        if (member)
            resolve_in_tree(member, selector, depth + 1, out);
        break;
    }
    case SELECTOR_STEP_ANY_MEMBER:
        if (json_is_object(node))
            for (void *iterator = json_object_iter(node); iterator;
                 iterator = json_object_iter_next(node, iterator))
                resolve_in_tree(json_object_iter_value(iterator), selector, depth + 1, out);
        break;
    case SELECTOR_STEP_INDEX: {
        json_t *element = json_is_array(node) ? json_array_get(node, step->index) : NULL;
        if (element)
            resolve_in_tree(element, selector, depth + 1, out);
        break;
    }
    case SELECTOR_STEP_ANY_INDEX:
        if (json_is_array(node))
            for (size_t index = 0; index < json_array_size(node); index++)
                resolve_in_tree(json_array_get(node, index), selector, depth + 1, out);
        break;
    }
}

/* How many containers deep jansson's tree is (a scalar alone: 0). */
static size_t tree_depth(const json_t *node)
{
    size_t deepest = 0;
    if (json_is_object(node)) {
        for (void *iterator = json_object_iter((json_t *)node); iterator;
             iterator = json_object_iter_next((json_t *)node, iterator)) {
            size_t depth = tree_depth(json_object_iter_value(iterator));
            deepest = depth > deepest ? depth : deepest;
        }
        return deepest + 1;
    }
    if (json_is_array(node)) {
        for (size_t index = 0; index < json_array_size(node); index++) {
            size_t depth = tree_depth(json_array_get(node, index));
            deepest = depth > deepest ? depth : deepest;
        }
        return deepest + 1;
    }
    return 0;
}

/* ---- Comparing one value -------------------------------------------------------------------- */

enum value_match {
    VALUE_MATCH,
    VALUE_MATCH_EXCEPT_NEGATIVE_ZERO, /* D-JANSSON-NEGATIVE-ZERO */
    VALUE_MISMATCH,
};

static const char *kind_name(enum event_value_kind kind)
{
    static const char *const names[] = {"string", "number", "true", "false",
                                        "null",   "object", "array"};
    return (size_t)kind < COUNT_OF(names) ? names[kind] : "?";
}

static bool kinds_agree(enum event_value_kind ours, const json_t *theirs)
{
    switch (json_typeof(theirs)) {
    case JSON_OBJECT:
        return ours == EVENT_VALUE_OBJECT;
    case JSON_ARRAY:
        return ours == EVENT_VALUE_ARRAY;
    case JSON_STRING:
        return ours == EVENT_VALUE_STRING;
    case JSON_INTEGER:
    case JSON_REAL:
        return ours == EVENT_VALUE_NUMBER;
    case JSON_TRUE:
        return ours == EVENT_VALUE_TRUE;
    case JSON_FALSE:
        return ours == EVENT_VALUE_FALSE;
    case JSON_NULL:
        return ours == EVENT_VALUE_NULL;
    }
    return false;
}

static enum value_match compare_number(const struct event_value *ours, const json_t *theirs,
                                       char *why, size_t why_size)
{
    char *text = malloc(ours->length + 1);
    assert_non_null(text);
    memcpy(text, ours->text, ours->length);
    text[ours->length] = '\0';
    double parsed = strtod(text, NULL);
    enum value_match result = VALUE_MISMATCH;
    if (ours->number != parsed || !signbit(ours->number) != !signbit(parsed)) {
        snprintf(why, why_size, "our number %.17g is not strtod(\"%s\") = %.17g", ours->number,
                 text, parsed);
    } else if (json_is_integer(theirs)) {
        json_int_t integer = json_integer_value(theirs);
        char printed[32];
        snprintf(printed, sizeof printed, "%" JSON_INTEGER_FORMAT, integer);
        const json_int_t exact_limit = (json_int_t)1 << 53;
        if (strcmp(text, printed) == 0 &&
            (integer < -exact_limit || integer > exact_limit || parsed == (double)integer))
            result = VALUE_MATCH;
        else if (strcmp(text, "-0") == 0 && integer == 0)
            result = VALUE_MATCH_EXCEPT_NEGATIVE_ZERO;
        else
            snprintf(why, why_size, "our number \"%s\", jansson's integer %s", text, printed);
    } else {
        double real = json_real_value(theirs);
        bool has_fraction_or_exponent = strpbrk(text, ".eE") != NULL;
        if (parsed == real && !signbit(parsed) == !signbit(real) && has_fraction_or_exponent)
            result = VALUE_MATCH;
        else
            snprintf(why, why_size, "our number \"%s\" (%.17g), jansson's real %.17g", text, parsed,
                     real);
    }
    free(text);
    return result;
}

static enum value_match compare_value(const struct event_value *ours, const json_t *theirs,
                                      char *why, size_t why_size)
{
    if (!kinds_agree(ours->kind, theirs)) {
        snprintf(why, why_size, "our %s, jansson's type %d", kind_name(ours->kind),
                 (int)json_typeof(theirs));
        return VALUE_MISMATCH;
    }
    switch (ours->kind) {
    case EVENT_VALUE_STRING: {
        size_t length = json_string_length(theirs);
        if (length == ours->length &&
            (length == 0 || memcmp(ours->text, json_string_value(theirs), length) == 0))
            return VALUE_MATCH;
        snprintf(why, why_size, "our string %s", escaped(ours->text, ours->length));
        size_t used = strlen(why);
        snprintf(why + used, why_size - used, ", jansson's %s",
                 escaped(json_string_value(theirs), length));
        return VALUE_MISMATCH;
    }
    case EVENT_VALUE_NUMBER:
        return compare_number(ours, theirs, why, why_size);
    default:
        if (ours->text == NULL && ours->length == 0)
            return VALUE_MATCH;
        snprintf(why, why_size, "our %s carries text", kind_name(ours->kind));
        return VALUE_MISMATCH;
    }
}

/* ---- Checking one document ------------------------------------------------------------------ */

struct check {
    bool ours;
    struct event_json_error our_error;
    bool jansson;
    json_error_t jansson_error;
    unsigned deviations;   /* known differences seen */
    char unexplained[640]; /* not empty: a difference no known deviation explains */
};

struct checker {
    struct event_extractor *extractor;
    struct node_list nodes;
    size_t values_compared; /* jansson values compared with ours, over all documents */
};

static void unexplained(struct check *check, const char *format, ...)
{
    if (check->unexplained[0])
        return; /* keep the first reason */
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(check->unexplained, sizeof check->unexplained, format, arguments);
    va_end(arguments);
}

/* Compares the values our extraction found (in `event`) with jansson's tree `root`. */
static void compare_selections(struct checker *checker, const struct event *event, json_t *root,
                               bool duplicate_keys, struct check *check)
{
    if (duplicate_keys)
        check->deviations |= DEV_DUPLICATE_KEYS;
    for (size_t s = 0; s < COUNT_OF(selectors); s++) {
        const struct selector *selector = &selectors[s];
        const struct event_selection *ours = &event->selections[s];
        checker->nodes.count = 0;
        resolve_in_tree(root, selector, 0, &checker->nodes);
        json_t **theirs = checker->nodes.items;
        size_t their_count = checker->nodes.count;
        checker->values_compared += their_count;
        char why[512] = "";
        if (!duplicate_keys) {
            if (ours->count != their_count) {
                unexplained(check, "%s: %zu values, jansson %zu", selector->text, ours->count,
                            their_count);
                return;
            }
            for (size_t i = 0; i < their_count; i++) {
                enum value_match match =
                    compare_value(&ours->values[i], theirs[i], why, sizeof why);
                if (match == VALUE_MISMATCH) {
                    unexplained(check, "%s value %zu: %s", selector->text, i, why);
                    return;
                }
                if (match == VALUE_MATCH_EXCEPT_NEGATIVE_ZERO)
                    check->deviations |= DEV_NEGATIVE_ZERO;
            }
            continue;
        }
        /* D-DUPLICATE-KEYS: jansson's values are among ours, each matched once... */
        bool *used = calloc(ours->count + 1, sizeof *used);
        assert_non_null(used);
        for (size_t j = 0; j < their_count; j++) {
            bool found = false;
            for (size_t i = 0; i < ours->count && !found; i++) {
                if (used[i])
                    continue;
                enum value_match match =
                    compare_value(&ours->values[i], theirs[j], why, sizeof why);
                if (match != VALUE_MISMATCH) {
                    used[i] = found = true;
                    if (match == VALUE_MATCH_EXCEPT_NEGATIVE_ZERO)
                        check->deviations |= DEV_NEGATIVE_ZERO;
                }
            }
            if (!found) {
                unexplained(check, "%s: jansson's value %zu is not among our %zu values",
                            selector->text, j, ours->count);
                free(used);
                return;
            }
        }
        free(used);
        /* ...and, for a selector of names and indices, jansson's one value is our last one. */
        if (selector_is_deterministic(selector) && their_count == 1 &&
            compare_value(&ours->values[ours->count - 1], theirs[0], why, sizeof why) ==
                VALUE_MISMATCH) {
            unexplained(check, "%s: jansson's value is not our last one: %s", selector->text, why);
            return;
        }
    }
}

/* Extracts `bytes` with our reader and, when both it and jansson (`root`) accept the document,
 * compares the values. Returns our verdict. */
static bool extract_and_compare(struct checker *checker, const char *bytes, size_t length,
                                json_t *root, size_t flags, struct check *check,
                                struct event_json_error *error)
{
    struct event event;
    bool ours = event_extract_json(checker->extractor, bytes, length, selectors,
                                   COUNT_OF(selectors), &event, error);
    if (ours != event.is_json)
        unexplained(check, "event_extract_json returned %d but is_json is %d", ours, event.is_json);
    if (!ours) {
        for (size_t s = 0; s < event.selection_count; s++)
            if (event.selections[s].count)
                unexplained(check, "a rejected document has values for %s", selectors[s].text);
        if (error->offset > length)
            unexplained(check, "error offset %zu beyond the end", error->offset);
        return false;
    }
    if (event.selection_count != COUNT_OF(selectors)) {
        unexplained(check, "selection_count %zu", event.selection_count);
        return true;
    }
    if (!root)
        return true;
    json_error_t duplicate_error;
    json_t *strict = json_loadb(bytes, length, flags | JSON_REJECT_DUPLICATES, &duplicate_error);
    bool duplicate_keys = !strict && strstr(duplicate_error.text, "duplicate object key") != NULL;
    json_decref(strict);
    compare_selections(checker, &event, root, duplicate_keys, check);
    return true;
}

/* Replaces the number literal that ends at `end` (jansson's error position) by "0" and spaces,
 * after checking it really is out of jansson's range: an integer beyond long long
 * (`integer`) or a number beyond a double. */
static bool repair_number(char *bytes, size_t length, size_t end, bool integer)
{
    if (end == 0 || end > length)
        return false;
    size_t start = end;
    while (start > 0 && bytes[start - 1] != '\0' && strchr("0123456789+-.eE", bytes[start - 1]))
        start--;
    char token[512];
    size_t token_length = end - start;
    if (token_length == 0 || token_length >= sizeof token)
        return false;
    memcpy(token, bytes + start, token_length);
    token[token_length] = '\0';
    errno = 0;
    if (integer) {
        if (strpbrk(token, ".eE+"))
            return false;
        (void)strtoll(token, NULL, 10);
    } else {
        double value = strtod(token, NULL);
        if (!isinf(value))
            return false;
    }
    if (integer && errno != ERANGE)
        return false;
    bytes[start] = '0';
    memset(bytes + start + 1, ' ', token_length - 1);
    return true;
}

/* Replaces every \u0000 escape by \u0001, which changes no verdict. */
static void repair_nul_escapes(char *bytes, size_t length)
{
    for (size_t i = 0; i + 6 <= length; i++)
        if (memcmp(bytes + i, "\\u0000", 6) == 0)
            bytes[i + 5] = '1';
}

/* We accept, jansson rejects: finds the known deviations behind jansson's errors by repairing
 * what jansson objects to until it accepts, then compares the values of the repaired
 * document. */
static void explain_jansson_rejection(struct checker *checker, const char *bytes, size_t length,
                                      size_t flags, struct check *check)
{
    char *copy = malloc(length + 1);
    assert_non_null(copy);
    if (length)
        memcpy(copy, bytes, length);
    json_error_t error = check->jansson_error;
    json_t *root = NULL;
    for (int round = 0; round < 100 && !root; round++) {
        const char *text = error.text;
        size_t position = error.position < 0 ? 0 : (size_t)error.position;
        if (strstr(text, "too big integer") || strstr(text, "too big negative integer")) {
            if (!repair_number(copy, length, position, true))
                break;
            check->deviations |= DEV_INTEGER_RANGE;
        } else if (strstr(text, "real number overflow")) {
            if (!repair_number(copy, length, position, false))
                break;
            check->deviations |= DEV_REAL_OVERFLOW;
        } else if (strstr(text, "is not allowed without JSON_ALLOW_NUL") &&
                   !(flags & JSON_ALLOW_NUL)) {
            flags |= JSON_ALLOW_NUL;
            check->deviations |= DEV_NUL_NEEDS_FLAG;
        } else if (strstr(text, "NUL byte in object key not supported")) {
            repair_nul_escapes(copy, length);
            check->deviations |= DEV_NUL_IN_KEY;
        } else {
            break;
        }
        root = json_loadb(copy, length, flags, &error);
    }
    if (!root) {
        unexplained(check, "we accept, jansson rejects: \"%s\" at byte %d", error.text,
                    error.position);
    } else {
        struct check repaired = {0};
        struct event_json_error error_after_repair;
        if (!extract_and_compare(checker, copy, length, root, flags, &repaired,
                                 &error_after_repair))
            unexplained(check, "we reject the repaired document %s", escaped(copy, length));
        else if (repaired.unexplained[0])
            unexplained(check, "repaired document: %s", repaired.unexplained);
        check->deviations |= repaired.deviations;
    }
    json_decref(root);
    free(copy);
}

/* We reject, jansson accepts (its tree is `root`): either the document is nested deeper than
 * our limit, or jansson dropped NUL bytes after numbers or literals. Those NUL bytes are
 * removed one at a time, and the repaired document must then be valid for us with the same
 * values as jansson's tree. */
static void explain_our_rejection(struct checker *checker, const char *bytes, size_t length,
                                  json_t *root, size_t flags, struct check *check)
{
    char *copy = malloc(length + 1);
    assert_non_null(copy);
    if (length)
        memcpy(copy, bytes, length);
    struct event_json_error error = check->our_error;
    for (;;) {
        size_t at = error.offset;
        if (strstr(error.reason, "nesting deeper than")) {
            size_t depth = tree_depth(root);
            if (depth > EVENT_JSON_MAX_DEPTH && depth <= JSON_PARSER_MAX_DEPTH)
                check->deviations |= DEV_DEPTH;
            else
                unexplained(check, "we reject for nesting, jansson's tree is %zu deep", depth);
            break;
        }
        if (at > 0 && at < length && copy[at] == '\0' && copy[at - 1] != '\0' &&
            strchr("0123456789el", copy[at - 1])) {
            memmove(copy + at, copy + at + 1, length - at - 1);
            length--;
            check->deviations |= DEV_NUL_AFTER_TOKEN;
            struct check repaired = {0};
            bool ours = extract_and_compare(checker, copy, length, root, flags, &repaired, &error);
            if (repaired.unexplained[0])
                unexplained(check, "repaired document: %s", repaired.unexplained);
            check->deviations |= repaired.deviations;
            if (ours)
                break;
            continue;
        }
        unexplained(check, "we reject (\"%s\" at byte %zu), jansson accepts", error.reason,
                    error.offset);
        break;
    }
    free(copy);
}

static void check_document(struct checker *checker, const char *bytes, size_t length, size_t flags,
                           struct check *check)
{
    memset(check, 0, sizeof *check);
    json_t *root = json_loadb(bytes, length, flags, &check->jansson_error);
    check->jansson = root != NULL;
    check->ours =
        extract_and_compare(checker, bytes, length, root, flags, check, &check->our_error);
    if (check->ours && !root)
        explain_jansson_rejection(checker, bytes, length, flags, check);
    else if (!check->ours && root)
        explain_our_rejection(checker, bytes, length, root, flags, check);
    json_decref(root);
}

static void print_verdicts(const char *label, const char *bytes, size_t length,
                           const struct check *check)
{
    print_error("%s: input %s\n", label, escaped(bytes, length));
    if (check->ours)
        print_error("    event_extract_json: valid\n");
    else
        print_error("    event_extract_json: invalid, \"%s\" at byte %zu\n",
                    check->our_error.reason, check->our_error.offset);
    if (check->jansson)
        print_error("    jansson: valid\n");
    else
        print_error("    jansson: invalid, \"%s\" at byte %d\n", check->jansson_error.text,
                    check->jansson_error.position);
    print_error("    known differences:");
    for (unsigned bit = 1; bit < (1u << DEVIATION_COUNT); bit <<= 1)
        if (check->deviations & bit)
            print_error(" %s", deviation_id(bit));
    print_error("%s\n", check->deviations ? "" : " none");
    if (check->unexplained[0])
        print_error("    unexplained: %s\n", check->unexplained);
}

static int checker_setup(void **state)
{
    struct checker *checker = calloc(1, sizeof *checker);
    if (!checker)
        return -1;
    checker->extractor = event_extractor_create();
    if (!checker->extractor) {
        free(checker);
        return -1;
    }
    *state = checker;
    return 0;
}

static int checker_teardown(void **state)
{
    struct checker *checker = *state;
    event_extractor_free(checker->extractor);
    free(checker->nodes.items);
    free(checker);
    return 0;
}

/* ---- (a) The hand-written table ------------------------------------------------------------- */

struct hand_case {
    const char *name;
    const char *bytes;
    size_t length;
    bool ours;           /* event_extract_json accepts it */
    bool jansson;        /* json_loadb(JSON_DECODE_ANY | JSON_ALLOW_NUL) accepts it */
    unsigned deviations; /* the known differences it shows */
};

#define VALID(name, literal)                                                                       \
    {                                                                                              \
        (name), DOC(literal), true, true, DEV_NONE                                                 \
    }
#define INVALID(name, literal)                                                                     \
    {                                                                                              \
        (name), DOC(literal), false, false, DEV_NONE                                               \
    }

static const struct hand_case hand_cases[] = {
    /* Valid documents: every JSON feature. */
    VALID("empty object", "{}"),
    VALID("empty array", "[]"),
    VALID("object of every kind",
          "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"},\"f\":-2.5e-3,\"g\":\"\"}"),
    VALID("array of every kind", "[1,\"two\",3.5,true,false,null,{},[],{\"a\":[]}]"),
    VALID("whitespace everywhere", " \t\r\n{ \"a\" :\t[ 1 ,\r\n2 ] , \"b\" : { } }\n\t "),
    VALID("top-level string", "\"plain\""),
    VALID("top-level integer", "42"),
    VALID("top-level negative integer", "-17"),
    VALID("top-level true", "true"),
    VALID("top-level false", "false"),
    VALID("top-level null", "null"),
    VALID("zero", "0"),
    VALID("negative zero real", "[-0.0, -0e0, -0E-0]"),
    VALID("exponent with plus", "1E+2"),
    VALID("exponents", "[1e2, 1e-2, 1E2, 6.02214076e23, 0e0, 0.5e1, 2.5E-3]"),
    VALID("fraction", "[0.1, 3.14159, -0.000001]"),
    VALID("underflow to zero", "[1e-400, -1e-400, 4.9e-324, 2.4703282292062328e-324]"),
    VALID("largest double", "[1.7976931348623157e308, -1.7976931348623157e308]"),
    VALID("long long limits", "[9223372036854775807, -9223372036854775808]"),
    VALID("2^53 + 1 keeps its text", "[9007199254740993, -9007199254740993]"),
    VALID("many-digit real", "123456789012345678901234567890.5"),
    VALID("simple escapes", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""),
    VALID("unicode escapes", "[\"\\u00e9\\u4E2D\\uD834\\uDD1E\\u0041\", \"\\u007f\\u0080\"]"),
    VALID("raw UTF-8", "\"\xc3\xa9\xe4\xb8\xad\xf0\x9d\x84\x9e\""),
    VALID("highest surrogate pair", "\"\\uDBFF\\uDFFF\""),
    VALID("U+10FFFF raw", "\"\xf4\x8f\xbf\xbf\""),
    VALID("noncharacter U+FFFF raw", "\"\xef\xbf\xbf\""),
    VALID("U+2028 raw", "\"\xe2\x80\xa8\""),
    VALID("DEL raw", "\"\x7f\""),
    VALID("BOM inside a string", "\"\xef\xbb\xbf\""),
    VALID("escaped key matches a decoded name", "{\"\\u00e9\":1,\"b\\u00e9\":2,\"\\u0061\":3}"),
    VALID("empty key", "{\"\":0,\"a\":{\"\":1}}"),
    VALID("\\u0000 in a string, with JSON_ALLOW_NUL", "[\"a\\u0000b\", \"\\u0000\"]"),
    VALID("nested selectors", "{\"a\":{\"b\":[1,{\"c\":2}]},\"b\":[[1,2],[3]],\"c\":[]}"),
    VALID("array of arrays", "[[1,2],[\"x\",{\"y\":null}],[]]"),
    VALID("CloudTrail event",
          ("{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\","
           "\"arn\":\"arn:aws:iam::123456789012:user/alice\",\"sessionContext\":"
           "{\"sessionIssuer\":{\"userName\":\"admin\"}}},\"eventTime\":\"2023-01-01T00:00:00Z\","
           "\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"PutBucketPolicy\","
           "\"errorCode\":\"AccessDenied\",\"requestParameters\":{\"bucketName\":\"b\","
           "\"key\":\"k\\u002fx\",\"size\":12,\"acl\":null,\"tags\":[\"t\"]},"
           "\"responseElements\":null,\"resources\":[{\"ARN\":\"arn:aws:s3:::b\"},"
           "{\"type\":\"x\"},{\"ARN\":\"arn:aws:s3:::c\",\"ARN2\":1}]}")),
    VALID("CloudTrail file",
          ("{\"Records\":[{\"eventName\":\"A\",\"eventTime\":\"t0\",\"userIdentity\":"
           "{\"arn\":\"x\"},\"requestParameters\":{\"p\":1,\"q\":[2]},\"resources\":"
           "[{\"ARN\":\"r1\"}]},{\"eventName\":\"B\",\"requestParameters\":null},"
           "{\"eventName\":\"\\u0043\",\"resources\":[{\"ARN\":\"r2\"},{\"ARN\":\"r3\"}]}]}")),
    VALID("EventBridge event", "{\"detail\":{\"eventName\":\"ConsoleLogin\"}}"),
    /* Known differences on valid documents. */
    {"integer -0", DOC("-0"), true, true, DEV_NEGATIVE_ZERO},
    {"integer -0 in an array", DOC("[1,-0,2]"), true, true, DEV_NEGATIVE_ZERO},
    {"duplicate keys", DOC("{\"a\":1,\"b\":2,\"a\":3}"), true, true, DEV_DUPLICATE_KEYS},
    {"duplicate nested keys", DOC("{\"a\":{\"b\":1,\"b\":[2]},\"a\":{\"b\":3}}"), true, true,
     DEV_DUPLICATE_KEYS},
    {"duplicate keys whose last object lacks the member", DOC("{\"a\":{\"b\":1},\"a\":{}}"), true,
     true, DEV_DUPLICATE_KEYS},
    {"duplicate keys spelled differently", DOC("{\"eventName\":\"x\",\"event\\u004eame\":\"y\"}"),
     true, true, DEV_DUPLICATE_KEYS},
    {"integer above long long", DOC("9223372036854775808"), true, false, DEV_INTEGER_RANGE},
    {"integer below long long", DOC("[-9223372036854775809]"), true, false, DEV_INTEGER_RANGE},
    {"huge integer", DOC("{\"a\":99999999999999999999999999999999999999}"), true, false,
     DEV_INTEGER_RANGE},
    {"two huge integers", DOC("[99999999999999999999, 1, -99999999999999999999]"), true, false,
     DEV_INTEGER_RANGE},
    {"1e400", DOC("1e400"), true, false, DEV_REAL_OVERFLOW},
    {"-1.8e308", DOC("[-1.8e308]"), true, false, DEV_REAL_OVERFLOW},
    {"overflowing exponent", DOC("[1e99999999999999999999]"), true, false, DEV_REAL_OVERFLOW},
    {"huge integer and 1e400", DOC("[99999999999999999999, 1e400, -0]"), true, false,
     DEV_INTEGER_RANGE | DEV_REAL_OVERFLOW | DEV_NEGATIVE_ZERO},
    {"\\u0000 in a key", DOC("{\"a\\u0000b\":1}"), true, false, DEV_NUL_IN_KEY},
    /* Invalid documents: both reject. */
    INVALID("empty input", ""),
    INVALID("whitespace only", " \n\t\r "),
    INVALID("unterminated string", "\"abc"),
    INVALID("unterminated string in escape", "\"abc\\"),
    INVALID("unterminated \\u escape", "\"\\u00"),
    INVALID("bad escape \\x", "\"\\x41\""),
    INVALID("bad escape \\U", "\"\\U0041\""),
    INVALID("bad escape \\'", "\"\\'\""),
    INVALID("\\u with 3 digits", "\"\\u123\""),
    INVALID("\\u with a non-hex digit", "\"\\u12G4\""),
    INVALID("lone high surrogate", "\"\\ud800\""),
    INVALID("lone low surrogate", "\"\\udc00\""),
    INVALID("reversed surrogates", "\"\\udc00\\ud800\""),
    INVALID("high surrogate then BMP escape", "\"\\ud800\\u0041\""),
    INVALID("high surrogate then text", "\"\\ud800x\""),
    INVALID("two high surrogates", "\"\\ud800\\ud800\""),
    INVALID("overlong NUL", "\"\xc0\x80\""),
    INVALID("overlong 2-byte", "\"\xc1\xbf\""),
    INVALID("overlong 3-byte", "\"\xe0\x80\xaf\""),
    INVALID("overlong 4-byte", "\"\xf0\x8f\xbf\xbf\""),
    INVALID("UTF-8 encoded high surrogate", "\"\xed\xa0\x80\""),
    INVALID("UTF-8 encoded low surrogate", "\"\xed\xbf\xbf\""),
    INVALID("above U+10FFFF", "\"\xf4\x90\x80\x80\""),
    INVALID("lead byte 0xf5", "\"\xf5\x80\x80\x80\""),
    INVALID("stray continuation byte", "\"a\x80\""),
    INVALID("truncated sequence", "\"\xe2\x82\""),
    INVALID("byte 0xff", "\"\xff\""),
    INVALID("invalid UTF-8 outside a string", "[1]\xc3"),
    INVALID("UTF-8 byte order mark", "\xef\xbb\xbf{}"),
    INVALID("raw tab in a string", "\"a\tb\""),
    INVALID("raw newline in a string", "\"a\nb\""),
    INVALID("raw NUL in a string", "\"a\0b\""),
    INVALID("raw 0x1f in a string", "\"\x1f\""),
    INVALID("NUL after the value", "[1]\0"),
    INVALID("NUL after a string", "[\"a\"\0]"),
    INVALID("two NULs after a number", "[1\0\0]"),
    INVALID("NUL before a number", "[\0 1]"),
    {"NUL after a top-level number", DOC("1\0"), false, true, DEV_NUL_AFTER_TOKEN},
    {"NUL after numbers and literals", DOC("{\"a\":[1.5e3\0,null\0,false\0],\"b\":-0\0}"), false,
     true, DEV_NUL_AFTER_TOKEN | DEV_NEGATIVE_ZERO},
    INVALID("trailing comma in an array", "[1,]"),
    INVALID("trailing comma in an object", "{\"a\":1,}"),
    INVALID("leading comma", "[,1]"),
    INVALID("double comma", "[1,,2]"),
    INVALID("missing comma", "[1 2]"),
    INVALID("leading zero", "01"),
    INVALID("negative leading zero", "[-01]"),
    INVALID("minus alone", "-"),
    INVALID("minus then space", "[- 1]"),
    INVALID("1.", "1."),
    INVALID("1.e5", "1.e5"),
    INVALID(".5", ".5"),
    INVALID("+1", "+1"),
    INVALID("1e", "1e"),
    INVALID("1e+", "[1e+]"),
    INVALID("hexadecimal", "0x10"),
    INVALID("NaN", "NaN"),
    INVALID("Infinity", "[Infinity]"),
    INVALID("-Infinity", "-Infinity"),
    INVALID("block comment", "/* c */ 1"),
    INVALID("line comment", "[1] // c"),
    INVALID("single-quoted string", "'single'"),
    INVALID("single-quoted key", "{'a':1}"),
    INVALID("unquoted key", "{a:1}"),
    INVALID("number key", "{1:2}"),
    INVALID("key without value", "{\"a\"}"),
    INVALID("missing comma between members", "{\"a\":1 \"b\":2}"),
    INVALID("trailing garbage", "{} x"),
    INVALID("extra closer", "[1]]"),
    INVALID("two values", "1 2"),
    INVALID("truncated literal", "tru"),
    INVALID("capitalized literal", "True"),
    INVALID("literal with suffix", "nullx"),
    INVALID("unclosed array", "[1,2"),
    INVALID("unclosed object", "{\"a\":"),
    INVALID("open bracket alone", "["),
    INVALID("form feed is not whitespace", "\f1"),
    INVALID("vertical tab is not whitespace", "[\v1]"),
    INVALID("NBSP is not whitespace", "1\xc2\xa0"),
};

/* A document nested `depth` levels deep, built at run time. */
struct nesting_case {
    const char *name;
    char shape; /* 'a': arrays, 'o': objects {"a":...}, 'm': alternating */
    size_t depth;
    bool scalar_inside; /* innermost value 1 instead of an empty container */
    bool ours;
    bool jansson;
    unsigned deviations;
};

static const struct nesting_case nesting_cases[] = {
    {"64 arrays", 'a', 64, false, true, true, DEV_NONE},
    {"64 arrays around a scalar", 'a', 64, true, true, true, DEV_NONE},
    {"64 objects around a scalar", 'o', 64, true, true, true, DEV_NONE},
    {"64 alternating", 'm', 64, true, true, true, DEV_NONE},
    {"65 arrays", 'a', 65, false, false, true, DEV_DEPTH},
    {"65 objects around a scalar", 'o', 65, true, false, true, DEV_DEPTH},
    {"65 alternating", 'm', 65, false, false, true, DEV_DEPTH},
    {"1000 arrays", 'a', 1000, false, false, true, DEV_DEPTH},
    {"1000 objects around a scalar", 'o', 1000, true, false, true, DEV_DEPTH},
    {"2047 objects around a scalar", 'o', 2047, true, false, true, DEV_DEPTH},
    {"2048 arrays", 'a', 2048, false, false, true, DEV_DEPTH},
    /* jansson counts the scalar as level 2049: both reject. */
    {"2048 objects around a scalar", 'o', 2048, true, false, false, DEV_NONE},
    {"2049 arrays", 'a', 2049, false, false, false, DEV_NONE},
};

static char *build_nested(const struct nesting_case *nesting, size_t *length)
{
    char *document = malloc(nesting->depth * 6 + 8);
    assert_non_null(document);
    size_t used = 0;
    for (size_t level = 0; level < nesting->depth; level++) {
        bool object = nesting->shape == 'o' || (nesting->shape == 'm' && level % 2 == 1);
        if (object) {
            memcpy(document + used, "{\"a\":", 5);
            used += 5;
        } else {
            document[used++] = '[';
        }
    }
    if (nesting->scalar_inside)
        document[used++] = '1';
    for (size_t level = nesting->depth; level-- > 0;) {
        bool object = nesting->shape == 'o' || (nesting->shape == 'm' && level % 2 == 1);
        if (object && !nesting->scalar_inside && level == nesting->depth - 1) {
            /* an empty innermost object: drop its `"a":` */
            used -= 4;
        }
        document[used++] = object ? '}' : ']';
    }
    *length = used;
    return document;
}

static bool hand_case_holds(const char *name, const char *bytes, size_t length,
                            const struct check *check, bool ours, bool jansson, unsigned deviations)
{
    if (check->ours == ours && check->jansson == jansson && check->deviations == deviations &&
        !check->unexplained[0])
        return true;
    print_error("%s: expected event_extract_json %s, jansson %s, known differences 0x%x; got %s, "
                "%s, 0x%x\n",
                name, ours ? "valid" : "invalid", jansson ? "valid" : "invalid", deviations,
                check->ours ? "valid" : "invalid", check->jansson ? "valid" : "invalid",
                check->deviations);
    print_verdicts(name, bytes, length, check);
    return false;
}

static void hand_written_documents(void **state)
{
    struct checker *checker = *state;
    int failures = 0;
    for (size_t i = 0; i < COUNT_OF(hand_cases); i++) {
        const struct hand_case *hand = &hand_cases[i];
        struct check check;
        check_document(checker, hand->bytes, hand->length, JANSSON_FLAGS, &check);
        if (!hand_case_holds(hand->name, hand->bytes, hand->length, &check, hand->ours,
                             hand->jansson, hand->deviations))
            failures++;
    }
    for (size_t i = 0; i < COUNT_OF(nesting_cases); i++) {
        const struct nesting_case *nesting = &nesting_cases[i];
        size_t length;
        char *document = build_nested(nesting, &length);
        struct check check;
        check_document(checker, document, length, JANSSON_FLAGS, &check);
        if (!hand_case_holds(nesting->name, document, length, &check, nesting->ours,
                             nesting->jansson, nesting->deviations))
            failures++;
        free(document);
    }
    assert_int_equal(failures, 0);
}

/* Every known difference, asserted on its witness: the verdicts, jansson's error and the
 * classification, so the test fails when either side changes. */
static void known_differences(void **state)
{
    struct checker *checker = *state;
    unsigned seen = 0;
    for (size_t i = 0; i < COUNT_OF(known_deviations); i++) {
        const struct known_deviation *known = &known_deviations[i];
        struct check check;
        check_document(checker, known->witness, known->witness_length, known->jansson_flags,
                       &check);
        if (!hand_case_holds(known->id, known->witness, known->witness_length, &check, known->ours,
                             known->jansson, known->bit))
            fail();
        if (known->jansson_error)
            assert_non_null(strstr(check.jansson_error.text, known->jansson_error));
        seen |= known->bit;
    }
    assert_int_equal(seen, (1u << DEVIATION_COUNT) - 1);

    /* D-JANSSON-NUL-NEEDS-FLAG, both ways: with JSON_ALLOW_NUL jansson returns the NUL byte. */
    struct check check;
    check_document(checker, DOC("[\"a\\u0000b\"]"), JANSSON_FLAGS, &check);
    assert_true(check.ours && check.jansson && check.deviations == DEV_NONE &&
                !check.unexplained[0]);
    json_error_t error;
    json_t *root = json_loadb(DOC("[\"a\\u0000b\"]"), JANSSON_FLAGS, &error);
    assert_non_null(root);
    assert_int_equal(json_string_length(json_array_get(root, 0)), 3);
    assert_memory_equal(json_string_value(json_array_get(root, 0)), "a\0b", 3);
    json_decref(root);
}

/* D-DUPLICATE-KEYS spelled out: what each side reports for {"a":1,"b":2,"a":3}. */
static void duplicate_keys_in_detail(void **state)
{
    struct checker *checker = *state;
    static const char document[] = "{\"a\":1,\"b\":2,\"a\":3}";
    const struct selector wanted[] = {
        SELECTOR("$.*", ANY_MEMBER),
        SELECTOR("$.a", MEMBER("a")),
    };
    struct event event;
    assert_true(event_extract_json(checker->extractor, document, sizeof document - 1, wanted, 2,
                                   &event, NULL));
    assert_int_equal(event.selections[0].count, 3); /* 1, 2, 3: every member, in order */
    for (size_t i = 0; i < 3; i++)
        assert_memory_equal(event.selections[0].values[i].text, &"123"[i], 1);
    assert_int_equal(event.selections[1].count, 2); /* 1 and 3 */
    assert_memory_equal(event.selections[1].values[0].text, "1", 1);
    assert_memory_equal(event.selections[1].values[1].text, "3", 1);

    json_error_t error;
    json_t *root = json_loadb(document, sizeof document - 1, JANSSON_FLAGS, &error);
    assert_non_null(root);
    assert_int_equal(json_object_size(root), 2);
    void *iterator = json_object_iter(root); /* a first, with the last value; then b */
    assert_string_equal(json_object_iter_key(iterator), "a");
    assert_int_equal(json_integer_value(json_object_iter_value(iterator)), 3);
    iterator = json_object_iter_next(root, iterator);
    assert_string_equal(json_object_iter_key(iterator), "b");
    assert_int_equal(json_integer_value(json_object_iter_value(iterator)), 2);
    json_decref(root);
}

/* ---- (b) and (c): files ---------------------------------------------------------------------- */

struct file_stats {
    size_t values_before; /* checker->values_compared when the walk began */
    size_t inputs;
    size_t both_valid;
    size_t both_invalid;
    size_t per_deviation[DEVIATION_COUNT];
    int failures;
};

static void check_input(struct checker *checker, const char *label, const char *bytes,
                        size_t length, struct file_stats *stats)
{
    struct check check;
    check_document(checker, bytes, length, JANSSON_FLAGS, &check);
    stats->inputs++;
    if (check.ours && check.jansson)
        stats->both_valid++;
    if (!check.ours && !check.jansson)
        stats->both_invalid++;
    for (unsigned d = 0; d < DEVIATION_COUNT; d++)
        if (check.deviations & (1u << d))
            stats->per_deviation[d]++;
    if (check.unexplained[0] || (check.ours != check.jansson && !check.deviations)) {
        print_verdicts(label, bytes, length, &check);
        stats->failures++;
    }
}

static char *read_whole_file(const char *path, size_t *length)
{
    FILE *file = fopen(path, "rb");
    assert_non_null(file);
    size_t capacity = 1 << 16, used = 0;
    char *bytes = malloc(capacity);
    assert_non_null(bytes);
    for (;;) {
        if (used == capacity) {
            capacity *= 2;
            bytes = realloc(bytes, capacity);
            assert_non_null(bytes);
        }
        size_t got = fread(bytes + used, 1, capacity - used, file);
        used += got;
        if (got == 0)
            break;
    }
    assert_false(ferror(file));
    fclose(file);
    *length = used;
    return bytes;
}

static bool ends_with(const char *text, const char *suffix)
{
    size_t text_length = strlen(text), suffix_length = strlen(suffix);
    return text_length >= suffix_length && strcmp(text + text_length - suffix_length, suffix) == 0;
}

/* NDJSON: named so, or several lines of which the first is a JSON value while the whole file
 * is not. */
static bool is_ndjson(struct checker *checker, const char *path, const char *bytes, size_t length)
{
    if (ends_with(path, ".jsonl") || ends_with(path, ".ndjson"))
        return true;
    const char *newline = memchr(bytes, '\n', length);
    if (!newline || newline == bytes + length - 1)
        return false;
    struct event event;
    if (event_extract_json(checker->extractor, bytes, length, NULL, 0, &event, NULL))
        return false;
    return event_extract_json(checker->extractor, bytes, (size_t)(newline - bytes), NULL, 0, &event,
                              NULL);
}

static void check_file(struct checker *checker, const char *path, bool split_lines,
                       struct file_stats *stats)
{
    size_t length;
    char *bytes = read_whole_file(path, &length);
    check_input(checker, path, bytes, length, stats);
    if (split_lines && is_ndjson(checker, path, bytes, length)) {
        size_t line_number = 0;
        for (size_t start = 0; start < length;) {
            const char *newline = memchr(bytes + start, '\n', length - start);
            size_t end = newline ? (size_t)(newline - bytes) : length;
            char label[4200];
            snprintf(label, sizeof label, "%s line %zu", path, ++line_number);
            check_input(checker, label, bytes + start, end - start, stats);
            start = end + 1;
        }
    }
    free(bytes);
}

static int compare_names(const void *left, const void *right)
{
    return strcmp(*(char *const *)left, *(char *const *)right);
}

/* Checks every regular file under `directory` (recursively when `recurse`), in name order. */
static void check_directory(struct checker *checker, const char *directory, bool recurse,
                            bool split_lines, struct file_stats *stats)
{
    DIR *dir = opendir(directory);
    assert_non_null(dir);
    char **names = NULL;
    size_t count = 0, capacity = 0;
    for (struct dirent *entry; (entry = readdir(dir)) != NULL;) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
            continue;
        if (count == capacity) {
            capacity = capacity ? capacity * 2 : 64;
            names = realloc(names, capacity * sizeof *names);
            assert_non_null(names);
        }
        size_t name_length = strlen(entry->d_name);
        names[count] = malloc(name_length + 1);
        assert_non_null(names[count]);
        memcpy(names[count], entry->d_name, name_length + 1);
        count++;
    }
    closedir(dir);
    if (count)
        qsort(names, count, sizeof *names, compare_names);
    for (size_t i = 0; i < count; i++) {
        char path[4096];
        int written = snprintf(path, sizeof path, "%s/%s", directory, names[i]);
        assert_true(written > 0 && (size_t)written < sizeof path);
        struct stat info;
        assert_int_equal(stat(path, &info), 0);
        if (S_ISDIR(info.st_mode) && recurse)
            check_directory(checker, path, recurse, split_lines, stats);
        else if (S_ISREG(info.st_mode))
            check_file(checker, path, split_lines, stats);
        free(names[i]);
    }
    free(names);
}

static size_t print_stats(const struct checker *checker, const char *what,
                          const struct file_stats *stats)
{
    size_t values = checker->values_compared - stats->values_before;
    print_message("%s: %zu inputs, %zu valid for both (%zu values compared), %zu invalid for "
                  "both\n",
                  what, stats->inputs, stats->both_valid, values, stats->both_invalid);
    for (unsigned d = 0; d < DEVIATION_COUNT; d++)
        if (stats->per_deviation[d])
            print_message("    %s: %zu inputs\n", deviation_id(1u << d), stats->per_deviation[d]);
    return values;
}

static void fuzz_corpus(void **state)
{
    struct checker *checker = *state;
    struct file_stats stats = {.values_before = checker->values_compared};
    check_directory(checker, FUZZ_CORPUS_DIR, false, false, &stats);
    assert_true(print_stats(checker, "fuzz corpus", &stats) > 0);
    assert_true(stats.both_valid > 0 && stats.both_invalid > 0);
    assert_int_equal(stats.failures, 0);
}

static void cloudtrail_samples(void **state)
{
    struct checker *checker = *state;
    DIR *dir = opendir(CLOUDTRAIL_DIR);
    if (!dir) {
        print_message("skipping: %s is not there, so there are no CloudTrail samples to "
                      "compare on\n",
                      CLOUDTRAIL_DIR);
        skip();
    }
    closedir(dir);
    struct file_stats stats = {.values_before = checker->values_compared};
    check_directory(checker, CLOUDTRAIL_DIR, true, true, &stats);
    assert_true(print_stats(checker, "CloudTrail samples", &stats) > 0);
    assert_true(stats.both_valid > 0);
    assert_int_equal(stats.failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(hand_written_documents, checker_setup, checker_teardown),
        cmocka_unit_test_setup_teardown(known_differences, checker_setup, checker_teardown),
        cmocka_unit_test_setup_teardown(duplicate_keys_in_detail, checker_setup, checker_teardown),
        cmocka_unit_test_setup_teardown(fuzz_corpus, checker_setup, checker_teardown),
        cmocka_unit_test_setup_teardown(cloudtrail_samples, checker_setup, checker_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
