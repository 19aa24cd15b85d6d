/* aws_regex: validate CloudWatch Logs' regex dialect (spec §4) and translate it to a PCRE2
 * pattern built here, never by passing the user's text through. The dialect has no groups,
 * so a regex is a list of alternatives, each a sequence of anchors and repeated atoms. */
#define PCRE2_CODE_UNIT_WIDTH 8

#include "patterns/aws_regex.h"
#include "base/text.h"

#include <pcre2.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    REPEAT_BOUND_MAX = 1000,
    /* Limits on one search. PCRE2 applies the match limit afresh at every start position,
     * so the cost of a search is bounded by (subject length x limit). A search that hits
     * a limit reports no match rather than failing the event. */
    MATCH_LIMIT = 1000000,
    DEPTH_LIMIT = 100000,
    HEAP_LIMIT_KIB = 16 * 1024,
    JIT_STACK_START = 32 * 1024,
    JIT_STACK_MAX = 1024 * 1024,
};

static const uint32_t COMPILE_OPTIONS = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOTALL |
                                        PCRE2_DOLLAR_ENDONLY | PCRE2_NO_AUTO_CAPTURE |
                                        PCRE2_NEVER_BACKSLASH_C | PCRE2_NEVER_UCP;

struct aws_regex {
    pcre2_code *code;
    pcre2_match_data *match_data;
    pcre2_match_context *match_context;
    pcre2_jit_stack *jit_stack; /* NULL when JIT is unavailable */
    char *translation;
};

/* ---- growable output text ---- */

struct text {
    char *data; /* always NUL-terminated once anything was appended */
    size_t length;
    size_t capacity;
};

static bool text_reserve(struct text *text, size_t extra)
{
    if (extra >= SIZE_MAX - text->length)
        return false;
    size_t needed = text->length + extra + 1;
    if (needed <= text->capacity)
        return true;
    size_t capacity = text->capacity ? text->capacity : 64;
    while (capacity < needed)
        capacity = capacity > SIZE_MAX / 2 ? needed : capacity * 2;
    char *data = realloc(text->data, capacity);
    if (!data)
        return false;
    text->data = data;
    text->capacity = capacity;
    return true;
}

static bool text_insert(struct text *text, size_t at, const char *bytes, size_t count)
{
    if (at > text->length || !text_reserve(text, count))
        return false;
    memmove(text->data + at + count, text->data + at, text->length - at);
    memcpy(text->data + at, bytes, count);
    text->length += count;
    text->data[text->length] = '\0';
    return true;
}

static bool text_append(struct text *text, const char *string)
{
    return text_insert(text, text->length, string, strlen(string));
}

/* ---- parser state and errors ---- */

struct parser {
    const char *source;
    size_t length;
    size_t pos;
    struct text out;
    struct aws_regex_error *error; /* may be NULL */
};

static bool fail(struct parser *parser, size_t offset, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(struct parser *parser, size_t offset, const char *format, ...)
{
    if (parser->error) {
        va_list args;
        va_start(args, format);
        parser->error->offset = offset;
        vsnprintf(parser->error->message, sizeof parser->error->message, format, args);
        va_end(args);
    }
    return false;
}

static bool emit(struct parser *parser, const char *string)
{
    if (text_append(&parser->out, string))
        return true;
    return fail(parser, parser->pos, "out of memory");
}

static bool at_end(const struct parser *parser)
{
    return parser->pos >= parser->length;
}

static char peek(const struct parser *parser)
{
    return at_end(parser) ? '\0' : parser->source[parser->pos];
}

/* ---- character set (spec §4.2) ---- */

static bool is_ascii_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_symbol_or_operator(unsigned char c)
{
    return c != '\0' && strchr(":_#=@/;,-^$?[]{}|\\*+. ", c) != NULL;
}

static bool is_allowed_character(unsigned char c)
{
    return is_ascii_alnum(c) || is_symbol_or_operator(c);
}

/* AWS refuses the whole pattern for one bad byte, before looking at any construct. */
static bool check_characters(struct parser *parser)
{
    for (size_t i = 0; i < parser->length; i++) {
        if (!is_allowed_character((unsigned char)parser->source[i]))
            return fail(parser, i, "Invalid character(s) in term");
    }
    return true;
}

/* ---- emitting literals ---- */

/* A literal byte in a form PCRE2 cannot misread, in or out of a class: a backslash before
 * any ASCII punctuation always means "this character" in PCRE2. */
static bool emit_literal(struct parser *parser, unsigned char c)
{
    char buffer[16];
    if (is_ascii_alnum(c) || c == ' ')
        snprintf(buffer, sizeof buffer, "%c", c);
    else if (c > ' ' && c < 0x7f)
        snprintf(buffer, sizeof buffer, "\\%c", c);
    else
        snprintf(buffer, sizeof buffer, "\\x{%X}", (unsigned)c);
    return emit(parser, buffer);
}

/* ---- escapes ---- */

enum escape_kind { ESCAPE_LITERAL, ESCAPE_CLASS };

struct escape {
    enum escape_kind kind;
    unsigned char value; /* LITERAL: the byte; CLASS: the letter d D s S w W */
};

/* Class escapes as PCRE2 class contents, spelled out so they do not depend on PCRE2's
 * tables or UCP; \s is exactly tab, newline and space as the AWS page lists. */
static const char *class_escape_contents(unsigned char letter)
{
    switch (letter) {
    case 'd':
        return "0-9";
    case 'D':
        return "\\x{0}-\\x{2F}\\x{3A}-\\x{10FFFF}";
    case 'w':
        return "0-9A-Z_a-z";
    case 'W':
        return "\\x{0}-\\x{2F}\\x{3A}-\\x{40}\\x{5B}-\\x{5E}\\x{60}\\x{7B}-\\x{10FFFF}";
    case 's':
        return "\\t\\n ";
    default: /* 'S' */
        return "\\x{0}-\\x{8}\\x{B}-\\x{1F}\\x{21}-\\x{10FFFF}";
    }
}

/* \xhh: exactly two hex digits naming an ASCII byte. parser->pos is on the 'x'. */
static bool parse_hex_escape(struct parser *parser, size_t start, struct escape *escape)
{
    const char *s = parser->source;
    if (parser->length - parser->pos < 3 || hex_digit_value(s[parser->pos + 1]) < 0 ||
        hex_digit_value(s[parser->pos + 2]) < 0)
        return fail(parser, start, "'\\x' must be followed by exactly two hex digits");
    int value = hex_digit_value(s[parser->pos + 1]) * 16 + hex_digit_value(s[parser->pos + 2]);
    if (value > 0x7f)
        return fail(parser, start, "'\\x%c%c' is above \\x7F (only ASCII can be escaped)",
                    s[parser->pos + 1], s[parser->pos + 2]);
    escape->kind = ESCAPE_LITERAL;
    escape->value = (unsigned char)value;
    parser->pos += 3;
    return true;
}

/* Reads one escape; parser->pos is on the backslash and ends after the escape. */
static bool parse_escape(struct parser *parser, struct escape *escape)
{
    size_t start = parser->pos++;
    if (at_end(parser))
        return fail(parser, start, "unsupported escape '\\' at end of regular expression");
    unsigned char c = (unsigned char)parser->source[parser->pos];
    if (c == 'x')
        return parse_hex_escape(parser, start, escape);
    if (c != '\0' && strchr("dDsSwW", c)) {
        escape->kind = ESCAPE_CLASS;
    } else if (is_symbol_or_operator(c)) {
        escape->kind = ESCAPE_LITERAL;
    } else {
        return fail(parser, start, "unsupported escape '\\%c' in regular expression", c);
    }
    escape->value = c;
    parser->pos++;
    return true;
}

/* ---- character classes ---- */

struct class_member {
    size_t offset;
    struct escape escape; /* a plain character is an ESCAPE_LITERAL too */
};

static bool parse_class_member(struct parser *parser, struct class_member *member)
{
    member->offset = parser->pos;
    if (peek(parser) == '\\')
        return parse_escape(parser, &member->escape);
    member->escape.kind = ESCAPE_LITERAL;
    member->escape.value = (unsigned char)parser->source[parser->pos++];
    return true;
}

static bool emit_class_member(struct parser *parser, const struct class_member *member)
{
    if (member->escape.kind == ESCAPE_CLASS)
        return emit(parser, class_escape_contents(member->escape.value));
    return emit_literal(parser, member->escape.value);
}

/* A '-' starts a range unless it is the last thing before ']'. */
static bool range_follows(const struct parser *parser)
{
    return peek(parser) == '-' && parser->pos + 1 < parser->length &&
           parser->source[parser->pos + 1] != ']';
}

static bool parse_range_end(struct parser *parser, const struct class_member *low)
{
    struct class_member high;
    if (low->escape.kind == ESCAPE_CLASS)
        return fail(parser, low->offset, "a range cannot start at '\\%c'", low->escape.value);
    parser->pos++; /* the '-' */
    if (!parse_class_member(parser, &high))
        return false;
    if (high.escape.kind == ESCAPE_CLASS)
        return fail(parser, high.offset, "a range cannot end at '\\%c'", high.escape.value);
    if (high.escape.value < low->escape.value)
        return fail(parser, low->offset, "character range is out of order (end before start)");
    return emit_class_member(parser, low) && emit(parser, "-") && emit_class_member(parser, &high);
}

/* '[' ... ']'. Inside, only ']', '\\', a leading '^' and a range '-' are special; every
 * other member is emitted escaped so PCRE2 sees no POSIX class or other syntax. */
static bool parse_class(struct parser *parser)
{
    size_t start = parser->pos++;
    if (!emit(parser, "["))
        return false;
    if (peek(parser) == '^') {
        parser->pos++;
        if (!emit(parser, "^"))
            return false;
    }
    if (!at_end(parser) && peek(parser) == ']')
        return fail(parser, start, "empty character class");
    while (!at_end(parser) && peek(parser) != ']') {
        struct class_member member;
        if (!parse_class_member(parser, &member))
            return false;
        bool ok = range_follows(parser) ? parse_range_end(parser, &member)
                                        : emit_class_member(parser, &member);
        if (!ok)
            return false;
    }
    if (at_end(parser))
        return fail(parser, start, "unterminated character class");
    parser->pos++;
    return emit(parser, "]");
}

/* ---- repetitions ---- */

struct repeat {
    unsigned min;
    unsigned max;
    bool unbounded;
};

/* Reads decimal digits, saturating just above the maximum so huge numbers cannot wrap. */
static bool parse_bound(struct parser *parser, unsigned *value)
{
    size_t start = parser->pos;
    *value = 0;
    while (!at_end(parser) && peek(parser) >= '0' && peek(parser) <= '9') {
        unsigned digit = (unsigned)(peek(parser) - '0');
        *value = *value > REPEAT_BOUND_MAX ? REPEAT_BOUND_MAX + 1 : *value * 10 + digit;
        parser->pos++;
    }
    return parser->pos > start;
}

static bool invalid_brace(struct parser *parser, size_t start)
{
    return fail(parser, start, "'{' does not start a valid repetition such as {2,5}");
}

/* {m}, {m,}, {,n} (= {0,n}) or {m,n}; parser->pos is on the '{'. */
static bool parse_braces(struct parser *parser, struct repeat *repeat)
{
    size_t start = parser->pos++;
    bool has_min = parse_bound(parser, &repeat->min);
    bool has_comma = peek(parser) == ',';
    bool has_max = false;
    repeat->max = repeat->min;
    repeat->unbounded = false;
    if (has_comma) {
        parser->pos++;
        has_max = parse_bound(parser, &repeat->max);
        repeat->unbounded = !has_max;
        if (!has_min)
            repeat->min = 0;
    }
    if (peek(parser) != '}' || (!has_min && !has_max))
        return invalid_brace(parser, start);
    parser->pos++;
    if (repeat->min > REPEAT_BOUND_MAX || (has_max && repeat->max > REPEAT_BOUND_MAX))
        return fail(parser, start, "repetition bound above the maximum of %d", REPEAT_BOUND_MAX);
    if (has_max && repeat->min > repeat->max)
        return fail(parser, start, "repetition bounds out of order: %u is above %u", repeat->min,
                    repeat->max);
    return true;
}

static bool parse_repeat(struct parser *parser, struct repeat *repeat)
{
    char c = peek(parser);
    if (c == '{')
        return parse_braces(parser, repeat);
    parser->pos++;
    repeat->min = c == '+' ? 1 : 0;
    repeat->max = 1;
    repeat->unbounded = c != '?';
    return true;
}

static bool emit_repeat(struct parser *parser, const struct repeat *repeat)
{
    char buffer[32];
    if (repeat->unbounded && repeat->min <= 1)
        snprintf(buffer, sizeof buffer, "%s", repeat->min == 0 ? "*" : "+");
    else if (repeat->unbounded)
        snprintf(buffer, sizeof buffer, "{%u,}", repeat->min);
    else if (repeat->min == 0 && repeat->max == 1)
        snprintf(buffer, sizeof buffer, "?");
    else if (repeat->min == repeat->max)
        snprintf(buffer, sizeof buffer, "{%u}", repeat->min);
    else
        snprintf(buffer, sizeof buffer, "{%u,%u}", repeat->min, repeat->max);
    return emit(parser, buffer);
}

/* A second quantifier applies to the first one's result. PCRE2 would read `*?` as lazy and
 * `*+` as possessive, so the already-repeated piece is wrapped in a non-capturing group. */
static bool apply_repeat(struct parser *parser, size_t piece_start, bool already_repeated,
                         const struct repeat *repeat)
{
    if (already_repeated) {
        if (!text_insert(&parser->out, piece_start, "(?:", 3))
            return fail(parser, parser->pos, "out of memory");
        if (!emit(parser, ")"))
            return false;
    }
    return emit_repeat(parser, repeat);
}

/* ---- alternatives and atoms ---- */

static bool is_repeat_char(char c)
{
    return c == '?' || c == '*' || c == '+' || c == '{';
}

/* One atom outside a class: '.', a class, an escape or a literal character. */
static bool parse_atom(struct parser *parser)
{
    char c = peek(parser);
    if (c == '.') {
        parser->pos++;
        return emit(parser, "."); /* DOTALL + UTF: any one code point, newline included */
    }
    if (c == '[')
        return parse_class(parser);
    if (c == '\\') {
        struct escape escape;
        if (!parse_escape(parser, &escape))
            return false;
        if (escape.kind == ESCAPE_LITERAL)
            return emit_literal(parser, escape.value);
        return emit(parser, "[") && emit(parser, class_escape_contents(escape.value)) &&
               emit(parser, "]");
    }
    /* A lone '}' or ']' is a literal: AWS accepts %}$% (conformance rows FP-133/134). */
    parser->pos++;
    return emit_literal(parser, (unsigned char)c);
}

/* Zero or more quantifiers after an atom; `repeatable` is false after an anchor, at the
 * start and after '|', where a quantifier has nothing to repeat. */
static bool parse_repeats(struct parser *parser, size_t piece_start, bool repeatable)
{
    bool repeated = false;
    while (!at_end(parser) && is_repeat_char(peek(parser))) {
        size_t offset = parser->pos;
        char c = peek(parser);
        struct repeat repeat;
        if (!parse_repeat(parser, &repeat))
            return false;
        if (!repeatable)
            return fail(parser, offset, "nothing to repeat before '%c'", c);
        if (!apply_repeat(parser, piece_start, repeated, &repeat))
            return false;
        repeated = true;
    }
    return true;
}

static bool parse_alternative(struct parser *parser)
{
    size_t start = parser->pos;
    if (!parse_repeats(parser, parser->out.length, false))
        return false;
    while (!at_end(parser) && peek(parser) != '|') {
        char c = peek(parser);
        size_t piece_start = parser->out.length;
        bool anchor = c == '^' || c == '$';
        bool ok;
        if (anchor) {
            parser->pos++;
            ok = emit(parser, c == '^' ? "\\A" : "\\z");
        } else {
            ok = parse_atom(parser);
        }
        if (!ok || !parse_repeats(parser, piece_start, !anchor))
            return false;
    }
    if (parser->pos == start)
        return fail(parser, start, "empty alternative: '|' needs an expression on both sides");
    return true;
}

static bool parse_expression(struct parser *parser)
{
    for (;;) {
        if (!parse_alternative(parser))
            return false;
        if (at_end(parser))
            return true;
        parser->pos++; /* the '|' */
        if (!emit(parser, "|"))
            return false;
        if (at_end(parser))
            return fail(parser, parser->pos - 1,
                        "empty alternative: '|' needs an expression on both sides");
    }
}

/* ---- PCRE2 objects ---- */

static bool set_up_matching(struct aws_regex *regex)
{
    regex->match_data = pcre2_match_data_create(1, NULL);
    regex->match_context = pcre2_match_context_create(NULL);
    if (!regex->match_data || !regex->match_context)
        return false;
    pcre2_set_match_limit(regex->match_context, MATCH_LIMIT);
    pcre2_set_depth_limit(regex->match_context, DEPTH_LIMIT);
    pcre2_set_heap_limit(regex->match_context, HEAP_LIMIT_KIB);
    if (pcre2_jit_compile(regex->code, PCRE2_JIT_COMPLETE) != 0)
        return true; /* no JIT here: pcre2_match interprets */
    /* A private JIT stack, larger than the default 32 KiB, for nested repetitions. */
    regex->jit_stack = pcre2_jit_stack_create(JIT_STACK_START, JIT_STACK_MAX, NULL);
    if (regex->jit_stack)
        pcre2_jit_stack_assign(regex->match_context, NULL, regex->jit_stack);
    return true;
}

static bool compile_translation(struct aws_regex *regex, struct parser *parser)
{
    int code;
    PCRE2_SIZE offset;
    regex->code = pcre2_compile((PCRE2_SPTR)regex->translation, PCRE2_ZERO_TERMINATED,
                                COMPILE_OPTIONS, &code, &offset, NULL);
    if (regex->code)
        return true;
    /* The text is valid dialect; PCRE2 refuses it only for size or nesting depth
     * (e.g. hundreds of stacked quantifiers), which has no source position. */
    PCRE2_UCHAR reason[120];
    if (pcre2_get_error_message(code, reason, sizeof reason) < 0)
        snprintf((char *)reason, sizeof reason, "error %d", code);
    return fail(parser, 0, "regular expression too large or complex: %s", (char *)reason);
}

static struct aws_regex *build_regex(struct parser *parser)
{
    struct aws_regex *regex = calloc(1, sizeof *regex);
    if (!regex) {
        fail(parser, 0, "out of memory");
        free(parser->out.data);
        return NULL;
    }
    regex->translation = parser->out.data; /* ownership moves to the regex */
    parser->out = (struct text){0};
    if (!compile_translation(regex, parser)) {
        aws_regex_free(regex);
        return NULL;
    }
    if (!set_up_matching(regex)) {
        fail(parser, 0, "out of memory");
        aws_regex_free(regex);
        return NULL;
    }
    return regex;
}

struct aws_regex *aws_regex_compile(const char *source, size_t length,
                                    struct aws_regex_error *error)
{
    struct parser parser = {.source = source, .length = length, .error = error};
    if (error) {
        error->offset = 0;
        error->message[0] = '\0';
    }
    if (length == 0 || !source) {
        fail(&parser, 0, "empty regular expression");
        return NULL;
    }
    if (!check_characters(&parser) || !parse_expression(&parser)) {
        free(parser.out.data);
        return NULL;
    }
    return build_regex(&parser);
}

bool aws_regex_search(struct aws_regex *regex, const char *subject, size_t length)
{
    if (!regex || (!subject && length > 0))
        return false;
    PCRE2_SPTR text = subject ? (PCRE2_SPTR)subject : (PCRE2_SPTR) "";
    int rc = pcre2_match(regex->code, text, length, 0, 0, regex->match_data, regex->match_context);
    /* The JIT stack is bounded; the interpreter keeps its frames on the heap instead. */
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT)
        rc = pcre2_match(regex->code, text, length, 0, PCRE2_NO_JIT, regex->match_data,
                         regex->match_context);
    /* Any other negative code, including a match, depth or heap limit, is no match. */
    return rc >= 0;
}

const char *aws_regex_translation(const struct aws_regex *regex)
{
    return regex ? regex->translation : NULL;
}

void aws_regex_free(struct aws_regex *regex)
{
    if (!regex)
        return;
    pcre2_jit_stack_free(regex->jit_stack);
    pcre2_match_context_free(regex->match_context);
    pcre2_match_data_free(regex->match_data);
    pcre2_code_free(regex->code);
    free(regex->translation);
    free(regex);
}
