/* Unit tests for aws_regex: the `%...%` regex dialect of CloudWatch Logs filter patterns
 * (spec §4), its validation, its translation to PCRE2 and its search semantics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "patterns/aws_regex.h"

/* ---- helpers ---- */

static struct aws_regex *compile_ok(const char *source)
{
    struct aws_regex_error error;
    struct aws_regex *regex = aws_regex_compile(source, strlen(source), &error);
    if (!regex)
        fail_msg("%%%s%% should compile but failed at %zu: %s", source, error.offset,
                 error.message);
    return regex;
}

/* Compiles `source`, searches `subject` (length given, may hold NULs) and frees. */
static bool search_n(const char *source, const char *subject, size_t length)
{
    struct aws_regex *regex = compile_ok(source);
    bool found = aws_regex_search(regex, subject, length);
    aws_regex_free(regex);
    return found;
}

static bool search(const char *source, const char *subject)
{
    return search_n(source, subject, strlen(subject));
}

static void assert_match(const char *source, const char *subject)
{
    if (!search(source, subject))
        fail_msg("%%%s%% should match \"%s\"", source, subject);
}

static void assert_nomatch(const char *source, const char *subject)
{
    if (search(source, subject))
        fail_msg("%%%s%% should not match \"%s\"", source, subject);
}

/* Asserts that `source` (length given) is refused with a message containing `message`
 * and, unless `offset` is SIZE_MAX, at that byte offset. */
static void assert_error_n(const char *source, size_t length, size_t offset, const char *message)
{
    struct aws_regex_error error = {.offset = 9999, .message = "unset"};
    struct aws_regex *regex = aws_regex_compile(source, length, &error);
    if (regex) {
        aws_regex_free(regex);
        fail_msg("%%%.*s%% should be refused (%s)", (int)length, source, message);
    }
    if (!strstr(error.message, message))
        fail_msg("%%%.*s%%: message \"%s\" lacks \"%s\"", (int)length, source, error.message,
                 message);
    if (offset != SIZE_MAX && error.offset != offset)
        fail_msg("%%%.*s%%: offset %zu, expected %zu", (int)length, source, error.offset, offset);
}

static void assert_error_at(const char *source, size_t offset, const char *message)
{
    assert_error_n(source, strlen(source), offset, message);
}

static void assert_error(const char *source, const char *message)
{
    assert_error_at(source, SIZE_MAX, message);
}

static void assert_translation(const char *source, const char *expected)
{
    struct aws_regex *regex = compile_ok(source);
    const char *translation = aws_regex_translation(regex);
    if (strcmp(translation, expected) != 0) {
        aws_regex_free(regex);
        fail_msg("%%%s%% translated to \"%s\", expected \"%s\"", source, translation, expected);
    }
    aws_regex_free(regex);
}

#define INVALID_CHAR "Invalid character(s) in term"

/* ---- conformance rows (filter-pattern-cases.tsv) ---- */

enum expect { MATCH, NOMATCH, ERROR };

struct row {
    const char *id;
    const char *regex;   /* the text between the % signs */
    const char *subject; /* the message, or the JSON value / field the regex is applied to */
    enum expect expected;
};

/* Standalone rows carry the whole message. Rows FP-145..148, 262 and 280..285 embed the
 * regex in a JSON or space-delimited pattern; the subject here is the value or field that
 * the regex is applied to in that row's event. */
static const struct row ROWS[] = {
    {"FP-073", "AUTHORIZED", "[ERROR 401] UNAUTHORIZED REQUEST", MATCH},
    {"FP-074", "AUTHORIZED", "[SUCCESS 200] AUTHORIZED REQUEST", MATCH},
    {"FP-075", "AUTHORIZED", "[SUCCESS 200] OK", NOMATCH},
    {"FP-076", "^[hc]at", "hat trick", MATCH},
    {"FP-077", "^[hc]at", "cat", MATCH},
    {"FP-078", "^[hc]at", "that", NOMATCH},
    {"FP-079", "[hc]at$", "the cat", MATCH},
    {"FP-080", "[hc]at$", "cats", NOMATCH},
    {"FP-081", "colou?r", "color", MATCH},
    {"FP-082", "colou?r", "colour", MATCH},
    {"FP-083", "[abc]", "xyz", NOMATCH},
    {"FP-084", "[abc]", "b", MATCH},
    {"FP-085", "[a-z]", "123", NOMATCH},
    {"FP-086", "[abcx-z]", "y", MATCH},
    {"FP-087", "[abcx-z]", "w", NOMATCH},
    {"FP-088", "a{3,5}", "aa", NOMATCH},
    {"FP-089", "a{3,5}", "aaaa", MATCH},
    {"FP-090", "gra|ey", "gray", MATCH},
    {"FP-091", "gra|ey", "grey", MATCH},
    {"FP-092", "gra|ey", "gruy", NOMATCH},
    {"FP-093", "^starting|^initializing|^shutting down", "starting the service", MATCH},
    {"FP-094", "^starting|^initializing|^shutting down", "initializing cache", MATCH},
    {"FP-095", "^starting|^initializing|^shutting down", "shutting down", MATCH},
    {"FP-096", "^starting|^initializing|^shutting down", "skipping initializing step", NOMATCH},
    {"FP-097", "\\[.\\]", "[a]", MATCH},
    {"FP-098", "\\[.\\]", "[]]", MATCH},
    {"FP-099", "\\[.\\]", "[ ]", MATCH},
    {"FP-100", "\\[.\\]", "[ab]", NOMATCH},
    {"FP-101", "10\\.10\\.0\\.1", "from 10.10.0.1", MATCH},
    {"FP-102", "10\\.10\\.0\\.1", "10010,051", NOMATCH},
    {"FP-103", "10.10.0.1", "10010,051", MATCH},
    {"FP-104", "ab*c", "ac", MATCH},
    {"FP-105", "ab*c", "abbbc", MATCH},
    {"FP-106", "ab[0-9]*", "ab", MATCH},
    {"FP-107", "ab[0-9]*", "ab129", MATCH},
    {"FP-108", "ab+c", "abbc", MATCH},
    {"FP-109", "ab+c", "ac", NOMATCH},
    {"FP-110", ".at", "#at", MATCH},
    {"FP-111", ".at", " at", MATCH},
    {"FP-112", ".at", "at", NOMATCH},
    {"FP-113", "\\d", "a1", MATCH},
    {"FP-114", "\\d", "abc", NOMATCH},
    {"FP-115", "\\D", "123", NOMATCH},
    {"FP-116", "\\s", "a b", MATCH},
    {"FP-117", "\\s", "ab", NOMATCH},
    {"FP-118", "\\w", "_", MATCH},
    {"FP-119", "\\w", "!!!", NOMATCH},
    {"FP-120", "\\W", "a-b", MATCH},
    {"FP-121", "\\x3A", "key:value", MATCH},
    {"FP-122", "\\x28", "f(x)", MATCH},
    {"FP-123", "\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}", "client=10.0.0.1", MATCH},
    {"FP-124", "[Ee]rror|[Ff]ail", "error while loading", MATCH},
    {"FP-125", "[Ee]rror|[Ff]ail", "FAIL", NOMATCH},
    {"FP-126", "something!", "something!", ERROR},
    {"FP-127", "(ab)+", "abab", ERROR},
    {"FP-128", "\\(x\\)", "f(x)", ERROR},
    {"FP-129", "caf\xc3\xa9", "caf\xc3\xa9", ERROR},
    {"FP-130", "Success", "Successful message", MATCH},
    {"FP-131", "Message", "Successful message", NOMATCH},
    {"FP-132", "[mM]essage", "Successful message", MATCH},
    {"FP-133", "}$", "{\"Message\": Success}", MATCH},
    {"FP-134", "}$", "Error: {'Hello, World'} is not a valid object", NOMATCH},
    {"FP-145", "Trail", "UpdateTrail", MATCH},
    {"FP-146", "trail", "UpdateTrail", NOMATCH},
    {"FP-147", "val.{2}", "value", MATCH},
    {"FP-147b", "val.{2}", "another value", MATCH},
    {"FP-148", "111\\.111\\.111\\.1[0-9]{1,2}", "111.111.111.111", MATCH},
    {"FP-148b", "111\\.111\\.111\\.1[0-9]{1,2}", "UpdateTrail", NOMATCH},
    {"FP-262", "127\\.0\\.0\\.[1-9]", "127.0.0.1", MATCH},
    {"FP-280", "/service/resource/[0-9]+$", "/service/resource/67", MATCH},
    {"FP-281", "/service/resource/[0-9]+$", "/service/resource/67/part/111", NOMATCH},
    {"FP-282", "/service/resource/[0-9]+/part/[0-9]+$", "/service/resource/67/part/111", MATCH},
    {"FP-283", "/service/resource/[0-9]+/part/[0-9]+$", "/service/resource/67", NOMATCH},
    {"FP-284", "WARN", "WARNING", MATCH},
    {"FP-285", "WARN", "INFO", NOMATCH},
};

static void run_row(const struct row *row)
{
    struct aws_regex_error error;
    struct aws_regex *regex = aws_regex_compile(row->regex, strlen(row->regex), &error);
    if (row->expected == ERROR) {
        if (regex) {
            aws_regex_free(regex);
            fail_msg("%s: %%%s%% should be refused", row->id, row->regex);
        }
        return;
    }
    if (!regex)
        fail_msg("%s: %%%s%% refused: %s", row->id, row->regex, error.message);
    bool found = aws_regex_search(regex, row->subject, strlen(row->subject));
    aws_regex_free(regex);
    if (found != (row->expected == MATCH))
        fail_msg("%s: %%%s%% on \"%s\": got %s", row->id, row->regex, row->subject,
                 found ? "match" : "nomatch");
}

static void test_conformance_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++)
        run_row(&ROWS[i]);
}

/* ---- operators ---- */

static void test_search_is_unanchored_and_case_sensitive(void **state)
{
    (void)state;
    assert_match("AUTHORIZED", "UNAUTHORIZED");
    assert_match("a{3,5}", "aaaaaa");
    assert_match("127\\.0\\.0\\.[1-9]", "127.0.0.10");
    assert_nomatch("error", "ERROR");
    assert_nomatch("Error", "error");
}

static void test_caret_anchors_at_start(void **state)
{
    (void)state;
    assert_match("^ab", "abc");
    assert_nomatch("^ab", "cab");
    assert_nomatch("^ab", "x\nab"); /* no multiline: only the very start */
    assert_match("^", "");
    assert_nomatch("a^b", "ab");
}

static void test_dollar_anchors_at_very_end(void **state)
{
    (void)state;
    assert_match("ab$", "cab");
    assert_nomatch("ab$", "abc");
    assert_nomatch("ab$", "ab\n"); /* not before a trailing newline */
    assert_nomatch("ab$", "ab\nx");
    assert_match("^$", "");
    assert_nomatch("^$", "\n");
}

static void test_anchors_with_alternation(void **state)
{
    (void)state;
    assert_match("^starting|^initializing", "initializing now");
    assert_nomatch("^starting|^initializing", "now initializing");
    assert_match("^a|b$", "xxb");
    assert_nomatch("^a|b$", "xaxbx");
    assert_translation("^starting|^initializing", "\\Astarting|\\Ainitializing");
}

static void test_question_mark(void **state)
{
    (void)state;
    assert_match("^ab?c$", "ac");
    assert_match("^ab?c$", "abc");
    assert_nomatch("^ab?c$", "abbc");
}

static void test_star(void **state)
{
    (void)state;
    assert_match("^ab*c$", "ac");
    assert_match("^ab*c$", "abbbbc");
    assert_nomatch("^ab*c$", "abxc");
}

static void test_plus(void **state)
{
    (void)state;
    assert_nomatch("^ab+c$", "ac");
    assert_match("^ab+c$", "abc");
    assert_match("^ab+c$", "abbbc");
}

static void test_braces_range(void **state)
{
    (void)state;
    assert_nomatch("^a{2,3}$", "a");
    assert_match("^a{2,3}$", "aa");
    assert_match("^a{2,3}$", "aaa");
    assert_nomatch("^a{2,3}$", "aaaa");
    assert_match("^a{0,1000}$", "");
    assert_nomatch("^a{1000}$", "");
    char thousand[1001];
    memset(thousand, 'a', 1000);
    thousand[1000] = '\0';
    assert_match("^a{1000}$", thousand);
    assert_nomatch("^a{1000}$", thousand + 1);
}

static void test_braces_at_least(void **state)
{
    (void)state;
    assert_nomatch("^a{2,}$", "a");
    assert_match("^a{2,}$", "aa");
    assert_match("^a{2,}$", "aaaaaaaaaa");
    assert_translation("a{2,}", "a{2,}");
}

static void test_braces_exact(void **state)
{
    (void)state;
    assert_nomatch("^a{3}$", "aa");
    assert_match("^a{3}$", "aaa");
    assert_nomatch("^a{3}$", "aaaa");
    assert_match("^a{003}$", "aaa");
}

static void test_braces_at_most(void **state)
{
    (void)state;
    assert_match("^xa{,2}y$", "xy");
    assert_match("^xa{,2}y$", "xay");
    assert_match("^xa{,2}y$", "xaay");
    assert_nomatch("^xa{,2}y$", "xaaay");
    assert_nomatch("^a{,2}$", "a{,2}"); /* not a literal, as PCRE2 10.42 would read it */
    assert_translation("a{,2}", "a{0,2}");
}

static void test_stacked_quantifiers(void **state)
{
    (void)state;
    assert_match("^a*+b$", "aab"); /* (a*)+, not a possessive a*+ */
    assert_match("^a*+b", "b");
    assert_match("^a*?b$", "aab"); /* (a*)?, not lazy */
    assert_match("^a+*b$", "b");
    assert_match("^a{2}{3}$", "aaaaaa");
    assert_nomatch("^a{2}{3}$", "aaaaa");
    assert_nomatch("^a{2}{3}$", "aaaa");
    assert_match("^a??b$", "b");
    assert_translation("a*+b", "(?:a*)+b");
    assert_translation("a{2}{3}?", "(?:(?:a{2}){3})?");
    assert_translation("[ab]*?", "(?:[ab]*)?");
}

static void test_alternation(void **state)
{
    (void)state;
    assert_match("^cat$|^dog$", "dog");
    assert_nomatch("^cat$|^dog$", "catdog");
    assert_match("ab|cd|ef", "xxefxx");
    assert_nomatch("ab|cd|ef", "acebdf");
    /* alternatives are whole: `ab|cd` is (ab)|(cd), not a(b|c)d */
    assert_match("ab|cd", "cd");
    assert_nomatch("^ab|cd$", "xabd cdx");
}

static void test_dot(void **state)
{
    (void)state;
    assert_match("^a.c$", "abc");
    assert_nomatch("^a.c$", "ac");
    assert_match("^a.c$", "a\nc");   /* newline included */
    assert_match("^.$", "\xc3\xa9"); /* é is one character */
    assert_nomatch("^..$", "\xc3\xa9");
    assert_match("^.$", "\xe2\x82\xac");     /* € */
    assert_match("^.$", "\xf0\x9f\x98\x80"); /* 4-byte code point */
    assert_match("^a.c$", "a.c");
}

static void test_class(void **state)
{
    (void)state;
    assert_match("^[abc]$", "b");
    assert_nomatch("^[abc]$", "d");
    assert_match("^[a-c0-2]+$", "ab2c0");
    assert_nomatch("^[a-c0-2]+$", "ab3");
    assert_match("^[a-a]$", "a");
    assert_match("^[-a]+$", "-a-"); /* leading '-' is literal */
    assert_match("^[a-]+$", "a-");  /* trailing '-' is literal */
    assert_match("^[a^]+$", "^a^"); /* '^' not first is literal */
    assert_match("^[.*+?$|{}]+$", ".*+?$|{}");
    assert_nomatch("^[.]$", "a");
    assert_match("^[ ]$", " ");
    assert_match("^[:_#=@/;,]+$", ":_#=@/;,");
}

static void test_class_brackets_are_literal_not_posix(void **state)
{
    (void)state;
    /* In PCRE2 `[[:alpha:]]` is a POSIX class; here '[' is a member. */
    assert_match("^[[:alph]+$", "[a:h");
    assert_nomatch("^[[:alph]$", "b");
    assert_match("^[[]$", "[");
    assert_match("^[\\]]$", "]");
    assert_match("^[\\[\\]]+$", "[]");
    assert_match("^[\\\\]$", "\\");
    assert_match("^[\\^]$", "^");
    assert_match("^[a\\-z]+$", "-az");
    assert_nomatch("^[a\\-z]$", "b");
}

static void test_negated_class(void **state)
{
    (void)state;
    assert_match("^[^abc]$", "d");
    assert_nomatch("^[^abc]$", "a");
    assert_match("^[^a]$", "\n");
    assert_match("^[^a]$", "\xc3\xa9"); /* one code point */
    assert_match("^[^^]$", "a");
    assert_nomatch("^[^^]$", "^");
    assert_match("ab[^c]$", "abd");
    assert_nomatch("ab[^c]$", "abc");
}

static void test_class_escapes_inside_class(void **state)
{
    (void)state;
    assert_match("^[\\d]+$", "0123456789");
    assert_nomatch("^[\\d]$", "a");
    assert_match("^[\\Da]+$", "xa-");
    assert_nomatch("^[\\D]$", "5");
    assert_match("^[\\s]+$", " \t\n");
    assert_nomatch("^[\\s]$", "\r");
    assert_match("^[\\S]$", "\r");
    assert_nomatch("^[\\S]$", " ");
    assert_match("^[\\w]+$", "aZ09_");
    assert_nomatch("^[\\w]$", "-");
    assert_match("^[\\W]$", "-");
    assert_nomatch("^[\\W]$", "_");
    assert_match("^[^\\d]$", "x");
    assert_nomatch("^[^\\d]$", "7");
    assert_match("^[\\x41-\\x43]+$", "ABC");
    assert_nomatch("^[\\x41-\\x43]$", "D");
    assert_match("^[\\x28\\x29]+$", "()");
    assert_match("^[\\.]$", ".");
    assert_nomatch("^[\\.]$", "a");
}

static void test_escaped_operators_and_symbols(void **state)
{
    (void)state;
    const char *chars = "^$?[]{}|\\*+.:_#=@/;,- ";
    for (const char *c = chars; *c; c++) {
        char source[8];
        char subject[4];
        snprintf(source, sizeof source, "^\\%c$", *c);
        snprintf(subject, sizeof subject, "%c", *c);
        assert_match(source, subject);
        assert_nomatch(source, "a");
    }
    assert_match("a\\.b", "a.b");
    assert_nomatch("a\\.b", "axb");
    assert_match("\\$5", "cost $5");
    assert_match("^\\^", "^x");
    assert_match("a\\|b", "a|b");
    assert_nomatch("a\\|b", "a");
}

static void test_plain_symbols_are_literals(void **state)
{
    (void)state;
    const char *chars = ":_#=@/;,- ";
    for (const char *c = chars; *c; c++) {
        char source[8];
        char subject[8];
        snprintf(source, sizeof source, "^x%cy$", *c);
        snprintf(subject, sizeof subject, "x%cy", *c);
        assert_match(source, subject);
        assert_nomatch(source, "xay");
    }
    assert_match("^shutting down", "shutting down now");
}

static void test_digit_escapes(void **state)
{
    (void)state;
    assert_match("^\\d+$", "0123456789");
    assert_nomatch("\\d", "abc");
    assert_nomatch("\\d", "\xd9\xa3"); /* Arabic-Indic three: not [0-9] */
    assert_match("^\\D+$", "ab-");
    assert_nomatch("\\D", "123");
    assert_match("^\\D$", "\xc3\xa9");
}

static void test_word_escapes(void **state)
{
    (void)state;
    assert_match("^\\w+$", "azAZ09_");
    assert_nomatch("\\w", "-!@ ");
    assert_nomatch("\\w", "\xc3\xa9"); /* é is not a word character here */
    assert_match("^\\W+$", "- @");
    assert_nomatch("\\W", "abc_9");
    assert_match("^\\W$", "\xc3\xa9");
}

static void test_space_escapes(void **state)
{
    (void)state;
    assert_match("a\\sb", "a b");
    assert_match("a\\sb", "a\tb");
    assert_match("a\\sb", "a\nb");
    assert_nomatch("a\\sb", "a\rb");
    assert_nomatch("a\\sb", "a\fb");
    assert_nomatch("a\\sb", "a\vb");
    assert_match("^\\S+$", "ab\r\f\v");
    assert_nomatch("\\S", " \t\n");
    assert_translation("\\s", "[\\t\\n ]");
}

static void test_hex_escapes(void **state)
{
    (void)state;
    assert_match("\\x28", "f(x)");
    assert_nomatch("\\x28", "fx");
    assert_match("f\\x28x\\x29", "f(x)");
    assert_match("\\x3a", "a:b");   /* lower-case hex digits */
    assert_match("^\\x414$", "A4"); /* exactly two digits are read */
    assert_match("\\x25", "100%");
    assert_match("\\x22", "say \"hi\"");
    assert_match("\\x7F", "\x7f");
    assert_match("^\\x2A+$", "***"); /* an escaped '*' is a literal, then repeated */
    assert_nomatch("^\\x2E$", "a");  /* an escaped '.' is a literal dot */
    assert_match("\\x5B", "[");
    assert_match("\\x5C", "\\");
    assert_match("^a\\x0Ab$", "a\nb");
}

static void test_nul_bytes(void **state)
{
    (void)state;
    assert_true(search_n("a\\x00b", "xa\0bx", 5));
    assert_false(search_n("a\\x00b", "xa\0cx", 5));
    assert_true(search_n("b$", "a\0b", 3));
    assert_true(search_n("^a.b$", "a\0b", 3));
    assert_false(search_n("c", "ab\0", 3));
    assert_true(search_n("c", "ab\0c", 4)); /* the length, not strlen, counts */
}

static void test_invalid_utf8_subject(void **state)
{
    (void)state;
    assert_true(search_n("b", "\xff\xfe b \x80", 6));
    assert_false(search_n("z", "\xff\xfe b \x80", 6));
    assert_false(search_n("^.$", "\xc3", 1)); /* a lone lead byte is no character */
    assert_true(search_n("a.c",
                         "a\xe2\x82\xac"
                         "c\xc3",
                         6));
    assert_false(search_n("a.c",
                          "a\xff"
                          "c",
                          3));                         /* an invalid byte matches nothing */
    assert_true(search_n("[^x]", "\xed\xa0\x80y", 4)); /* encoded surrogate, then y */
}

static void test_empty_subject_and_null(void **state)
{
    (void)state;
    struct aws_regex *regex = compile_ok("a*");
    assert_true(aws_regex_search(regex, "", 0));
    assert_true(aws_regex_search(regex, NULL, 0));
    assert_false(aws_regex_search(regex, NULL, 3));
    aws_regex_free(regex);
    assert_false(aws_regex_search(NULL, "a", 1));
    assert_null(aws_regex_translation(NULL));
    aws_regex_free(NULL);
}

static void test_regex_is_reusable(void **state)
{
    (void)state;
    struct aws_regex *regex = compile_ok("^[0-9]+$");
    for (int i = 0; i < 100; i++) {
        char text[16];
        snprintf(text, sizeof text, "%d", i);
        assert_true(aws_regex_search(regex, text, strlen(text)));
        assert_false(aws_regex_search(regex, "12a", 3));
    }
    aws_regex_free(regex);
}

static void test_pathological_subject_terminates(void **state)
{
    (void)state;
    /* Nested repetition and many overlapping repeats backtrack exponentially; the match
     * limits turn that into "no match" instead of a hang. */
    char subject[64];
    memset(subject, 'a', 40);
    subject[40] = '!';
    assert_false(search_n("^a**************************[bc]", subject, 41));
    assert_false(search_n("^a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*[bc]", subject, 41));
    assert_true(search_n("^a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*\\x21", subject, 41));
    /* a?{25}a{25} does match 25 a's, but only after ~2^25 backtracking steps: past the
     * match limit, so by design the search reports no match. */
    char source[128] = "^";
    for (int i = 0; i < 25; i++)
        strcat(source, "a?");
    for (int i = 0; i < 25; i++)
        strcat(source, "a");
    assert_false(search_n(source, subject, 25));
    assert_true(search_n(source + 1, subject, 40)); /* greedy path: no backtracking */
}

static void test_long_subject(void **state)
{
    (void)state;
    size_t length = 256 * 1024;
    char *subject = malloc(length);
    assert_non_null(subject);
    memset(subject, 'x', length);
    memcpy(subject + length - 3, "end", 3);
    assert_true(search_n("^x+end$", subject, length));
    assert_true(search_n("^.*e.d$", subject, length));
    free(subject);
}

/* ---- refused characters ---- */

static bool is_allowed(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c != '\0' && strchr(":_#=@/;,-^$?[]{}|\\*+. ", c));
}

static void test_every_forbidden_byte_is_refused(void **state)
{
    (void)state;
    int refused = 0;
    for (int c = 0; c < 256; c++) {
        if (is_allowed((unsigned char)c))
            continue;
        char source[4] = {'a', 'b', (char)c, 'c'};
        assert_error_n(source, 4, 2, INVALID_CHAR);
        refused++;
    }
    assert_int_equal(refused, 256 - 62 - 22);
}

static void test_named_forbidden_characters(void **state)
{
    (void)state;
    const char *chars = "!\"'()<>&~%\t`";
    for (const char *c = chars; *c; c++) {
        char source[8];
        snprintf(source, sizeof source, "x%cy", *c);
        assert_error_at(source, 1, INVALID_CHAR);
    }
    assert_error_at("something!", 9, INVALID_CHAR);
    assert_error_at("(ab)+", 0, INVALID_CHAR);
    assert_error_at("caf\xc3\xa9", 3, INVALID_CHAR);
    assert_error_at("\xe2\x82\xac", 0, INVALID_CHAR);
    assert_error_at("a\nb", 1, INVALID_CHAR);
    assert_error_at("a\rb", 1, INVALID_CHAR);
    assert_error_n("a\0b", 3, 1, INVALID_CHAR);
}

static void test_escaped_forbidden_characters_are_refused(void **state)
{
    (void)state;
    assert_error_at("\\(x\\)", 1, INVALID_CHAR);
    assert_error_at("ab\\)", 3, INVALID_CHAR);
    assert_error_at("\\!", 1, INVALID_CHAR);
    assert_error_at("\\%", 1, INVALID_CHAR);
    assert_error_at("[\\(]", 2, INVALID_CHAR);
    /* the character check comes first, even after a construct error */
    assert_error_at("a{x}(", 4, INVALID_CHAR);
}

/* ---- refused constructs ---- */

static void test_empty_regex_is_refused(void **state)
{
    (void)state;
    assert_error_n("", 0, 0, "empty regular expression");
    struct aws_regex_error error;
    assert_null(aws_regex_compile(NULL, 0, &error));
    assert_string_equal(error.message, "empty regular expression");
    assert_null(aws_regex_compile("", 0, NULL)); /* error is optional */
}

static void test_unsupported_escapes_are_refused(void **state)
{
    (void)state;
    assert_error_at("ab\\n", 2, "unsupported escape '\\n' in regular expression");
    assert_error("\\t", "unsupported escape '\\t'");
    assert_error("\\b", "unsupported escape '\\b'");
    assert_error("a\\1", "unsupported escape '\\1'");
    assert_error("\\A", "unsupported escape '\\A'");
    assert_error("\\z", "unsupported escape '\\z'");
    assert_error("\\Q", "unsupported escape '\\Q'");
    assert_error("\\p", "unsupported escape '\\p'");
    assert_error("[\\n]", "unsupported escape '\\n'");
    assert_error_at("ab\\", 2, "unsupported escape '\\' at end");
    const char *letters = "abcefghijklmnopqrtuvyzABCEFGHIJKLMNOPQRTUVXYZ0123456789";
    for (const char *c = letters; *c; c++) {
        char source[4] = {'\\', *c, '\0'};
        char message[48];
        snprintf(message, sizeof message, "unsupported escape '\\%c'", *c);
        assert_error_at(source, 0, message);
    }
}

static void test_bad_hex_escapes_are_refused(void **state)
{
    (void)state;
    assert_error_at("a\\x4", 1, "exactly two hex digits");
    assert_error_at("a\\x", 1, "exactly two hex digits");
    assert_error_at("\\xg1", 0, "exactly two hex digits");
    assert_error_at("\\x4g", 0, "exactly two hex digits");
    assert_error("\\x{41}", "exactly two hex digits");
    assert_error_at("ab\\x80", 2, "above \\x7F");
    assert_error("\\xFF", "above \\x7F");
    assert_error("[\\xC3]", "above \\x7F");
}

static void test_bad_braces_are_refused(void **state)
{
    (void)state;
    const char *message = "'{' does not start a valid repetition such as {2,5}";
    assert_error_at("a{", 1, message);
    assert_error_at("a{2", 1, message);
    assert_error_at("a{2,", 1, message);
    assert_error_at("a{}", 1, message);
    assert_error_at("a{,}", 1, message);
    assert_error_at("a{x}", 1, message);
    assert_error_at("a{2,x}", 1, message);
    assert_error_at("a{ 2}", 1, message);
    assert_error_at("a{2 }", 1, message);
    assert_error_at("a{-1}", 1, message);
    assert_error_at("a{2,3,4}", 1, message);
    assert_error_at("{abc", 0, message);
}

static void test_brace_bounds_are_checked(void **state)
{
    (void)state;
    assert_error_at("ab{5,3}", 2, "out of order");
    assert_error_at("a{1001}", 1, "above the maximum of 1000");
    assert_error("a{0,1001}", "above the maximum of 1000");
    assert_error("a{1001,}", "above the maximum of 1000");
    assert_error("a{,99999999999999999999999}", "above the maximum of 1000");
    assert_error("a{99999999999999999999}", "above the maximum of 1000");
}

/* Decision: a '}' or ']' outside a repetition or class is a literal, because the
 * AWS-validated rows FP-133/134 accept %}$%. */
static void test_stray_closers_are_literals(void **state)
{
    (void)state;
    assert_match("}$", "{\"Message\": Success}");
    assert_nomatch("}$", "{x} y");
    assert_match("^a{2}}$", "aa}");
    assert_nomatch("^a{2}}$", "aa");
    assert_match("^}+$", "}}}");
    assert_match("^ab]$", "ab]");
    assert_nomatch("^ab]$", "ab");
    assert_match("^]{2}$", "]]");
    assert_translation("}]", "\\}\\]");
}

static void test_nothing_to_repeat_is_refused(void **state)
{
    (void)state;
    assert_error_at("*a", 0, "nothing to repeat before '*'");
    assert_error_at("+", 0, "nothing to repeat before '+'");
    assert_error_at("?a", 0, "nothing to repeat before '?'");
    assert_error_at("{2}a", 0, "nothing to repeat before '{'");
    assert_error_at("{,2}", 0, "nothing to repeat before '{'");
    assert_error_at("a|*b", 2, "nothing to repeat before '*'");
    assert_error_at("^*a", 1, "nothing to repeat before '*'");
    assert_error_at("a^+", 2, "nothing to repeat before '+'");
    assert_error_at("a$*", 2, "nothing to repeat before '*'");
    assert_error_at("^{2}", 1, "nothing to repeat before '{'");
}

static void test_bad_classes_are_refused(void **state)
{
    (void)state;
    assert_error_at("x[]", 1, "empty character class");
    assert_error_at("[^]", 0, "empty character class");
    assert_error_at("[]a]", 0, "empty character class");
    assert_error_at("ab[abc", 2, "unterminated character class");
    assert_error_at("[", 0, "unterminated character class");
    assert_error_at("[^", 0, "unterminated character class");
    assert_error_at("[a-", 0, "unterminated character class");
    assert_error_at("[a\\]", 0, "unterminated character class");
    assert_error_at("a[z-a]", 2, "character range is out of order");
    assert_error_at("[9-0]", 1, "character range is out of order");
    assert_error_at("[\\d-z]", 1, "a range cannot start at '\\d'");
    assert_error_at("[a-\\w]", 3, "a range cannot end at '\\w'");
}

static void test_empty_alternatives_are_refused(void **state)
{
    (void)state;
    const char *message = "empty alternative";
    assert_error_at("|a", 0, message);
    assert_error_at("a|", 1, message);
    assert_error_at("a||b", 2, message);
    assert_error_at("|", 0, message);
}

static void test_error_message_is_bounded_and_terminated(void **state)
{
    (void)state;
    struct aws_regex_error error;
    memset(&error, 'z', sizeof error);
    assert_null(aws_regex_compile("\\q", 2, &error));
    assert_true(memchr(error.message, '\0', sizeof error.message) != NULL);
    assert_int_equal(error.offset, 0);
}

static void test_translation_escapes_literals(void **state)
{
    (void)state;
    assert_translation("a.b", "a.b");
    assert_translation("a\\.b", "a\\.b");
    assert_translation("x-y_z", "x\\-y\\_z");
    assert_translation("\\x28", "\\(");
    assert_translation("\\x0A", "\\x{A}");
    assert_translation("[[:a]", "[\\[\\:a]");
    assert_translation("[^a-z]", "[^a-z]");
    assert_translation("\\d", "[0-9]");
    assert_translation("a$", "a\\z");
}

static void test_deep_stacking_fails_cleanly(void **state)
{
    (void)state;
    /* Valid dialect, but hundreds of stacked quantifiers nest deeper than PCRE2 allows. */
    size_t count = 600;
    char *source = malloc(count + 2);
    assert_non_null(source);
    source[0] = 'a';
    memset(source + 1, '*', count);
    source[count + 1] = '\0';
    struct aws_regex_error error;
    struct aws_regex *regex = aws_regex_compile(source, count + 1, &error);
    if (regex) {
        assert_true(aws_regex_search(regex, "aaa", 3));
        aws_regex_free(regex);
    } else {
        assert_non_null(strstr(error.message, "too large or complex"));
    }
    free(source);
    assert_error("a{1000}{1000}{1000}", "too large or complex");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conformance_rows),
        cmocka_unit_test(test_search_is_unanchored_and_case_sensitive),
        cmocka_unit_test(test_caret_anchors_at_start),
        cmocka_unit_test(test_dollar_anchors_at_very_end),
        cmocka_unit_test(test_anchors_with_alternation),
        cmocka_unit_test(test_question_mark),
        cmocka_unit_test(test_star),
        cmocka_unit_test(test_plus),
        cmocka_unit_test(test_braces_range),
        cmocka_unit_test(test_braces_at_least),
        cmocka_unit_test(test_braces_exact),
        cmocka_unit_test(test_braces_at_most),
        cmocka_unit_test(test_stacked_quantifiers),
        cmocka_unit_test(test_alternation),
        cmocka_unit_test(test_dot),
        cmocka_unit_test(test_class),
        cmocka_unit_test(test_class_brackets_are_literal_not_posix),
        cmocka_unit_test(test_negated_class),
        cmocka_unit_test(test_class_escapes_inside_class),
        cmocka_unit_test(test_escaped_operators_and_symbols),
        cmocka_unit_test(test_plain_symbols_are_literals),
        cmocka_unit_test(test_digit_escapes),
        cmocka_unit_test(test_word_escapes),
        cmocka_unit_test(test_space_escapes),
        cmocka_unit_test(test_hex_escapes),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_invalid_utf8_subject),
        cmocka_unit_test(test_empty_subject_and_null),
        cmocka_unit_test(test_regex_is_reusable),
        cmocka_unit_test(test_pathological_subject_terminates),
        cmocka_unit_test(test_long_subject),
        cmocka_unit_test(test_every_forbidden_byte_is_refused),
        cmocka_unit_test(test_named_forbidden_characters),
        cmocka_unit_test(test_escaped_forbidden_characters_are_refused),
        cmocka_unit_test(test_empty_regex_is_refused),
        cmocka_unit_test(test_unsupported_escapes_are_refused),
        cmocka_unit_test(test_bad_hex_escapes_are_refused),
        cmocka_unit_test(test_bad_braces_are_refused),
        cmocka_unit_test(test_brace_bounds_are_checked),
        cmocka_unit_test(test_stray_closers_are_literals),
        cmocka_unit_test(test_nothing_to_repeat_is_refused),
        cmocka_unit_test(test_bad_classes_are_refused),
        cmocka_unit_test(test_empty_alternatives_are_refused),
        cmocka_unit_test(test_error_message_is_bounded_and_terminated),
        cmocka_unit_test(test_translation_escapes_literals),
        cmocka_unit_test(test_deep_stacking_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
