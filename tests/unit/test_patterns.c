/* The pattern engine's interface: error columns and messages, limits, selector lists,
 * extracted values, and the cases a TSV row cannot hold (tabs, NUL bytes). */
#include "events/event.h"
#include "patterns/pattern.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static struct pattern *compile(const char *text)
{
    struct pattern_error error;
    struct pattern *pattern = pattern_compile(text, strlen(text), &error);
    if (!pattern)
        print_error("unexpected error at column %zu: %s\n", error.column, error.message);
    return pattern;
}

static void assert_error(const char *text, size_t length, size_t column, const char *message)
{
    struct pattern_error error;
    struct pattern *pattern = pattern_compile(text, length, &error);
    if (pattern)
        print_error("pattern compiled: %s\n", text);
    assert_null(pattern);
    if (error.column != column || !strstr(error.message, message))
        print_error("%s: got column %zu '%s'\n", text, error.column, error.message);
    assert_int_equal(error.column, column);
    assert_non_null(strstr(error.message, message));
}

static void errors_name_the_column(void **state)
{
    (void)state;
    static const struct {
        const char *pattern;
        size_t column;
        const char *message;
    } cases[] = {
        {"{ $.errorCode = }", 17, "expected a value after '='"},
        {"{ $.a = 1", 10, "If a filter pattern starts with '{' it must end with '}'"},
        {"{ status = \"401\" }", 3, "expected a selector starting with '$.'"},
        {"{ $.a IS NOT NULL }", 10, "IS NOT is not supported"},
        {"{ $.a EXISTS }", 7, "EXISTS is not supported"},
        {"{ $.a > high }", 9, "expected a number after '>'"},
        {"{ ($.a = 1 }", 12, "expected ')'"},
        {"{ $.a = 1 ) }", 11, "unbalanced ')'"},
        {"{ $.*.b.* = 1 }", 8, "only one wildcard"},
        {"{ $.a = 'x' }", 9, "single-quoted"},
        {"{ $.a = %x(% }", 11, "Invalid character(s) in term"},
        {"{ $.a = %x% || $.b = %y% || $.c = %z% }", 35, "at most 2 regular expressions"},
        {"{ $.a[*] = 1 || $.b[*] = 1 || $.c[*] = 1 || $.d[*] = 1 }", 45, "at most 3 selectors"},
        {"[a, b", 6, "must end with ']'"},
        {"[a, b c]", 7, "expected ',' or an operator"},
        {"[status = 4* && bytes > 1]", 17, "only test its own field 'status'"},
        {"[a, ..., b, ...]", 13, "only one '...'"},
        {"ERROR -", 7, "expected a term after '-'"},
        {"\"open", 1, "unterminated quoted string"},
        {"%ab\\nc%", 4, "escape"},
        {"café", 4, "must be quoted"},
        {"{ $.a = \"x\" } }", 13, "expected && or || before '}'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_error(cases[i].pattern, strlen(cases[i].pattern), cases[i].column, cases[i].message);
}

static void column_counts_characters_not_bytes(void **state)
{
    (void)state;
    /* "é" is two bytes but one character: the missing value is at column 22, byte 23 */
    assert_error("{ $.a = \"é\" && $.b = }", strlen("{ $.a = \"é\" && $.b = }"), 22,
                 "expected a value after '='");
}

static void length_limit_is_1024_characters(void **state)
{
    (void)state;
    char text[2100];
    memset(text, 'A', 1025);
    struct pattern_error error;
    struct pattern *pattern = pattern_compile(text, 1024, &error);
    assert_non_null(pattern);
    pattern_free(pattern);
    assert_error(text, 1025, 1025, "less than or equal to 1024");
    /* a quoted run of 1022 two-byte characters is 1024 characters: AWS counts characters */
    text[0] = '"';
    for (size_t i = 0; i < 1022; i++)
        memcpy(text + 1 + 2 * i, "\xc3\xa9", 2);
    text[2045] = '"';
    pattern = pattern_compile(text, 2046, &error);
    if (!pattern)
        print_error("column %zu: %s\n", error.column, error.message);
    assert_non_null(pattern);
    pattern_free(pattern);
}

static void bad_bytes_are_refused(void **state)
{
    (void)state;
    assert_error("ERROR \xff", 7, 7, "not valid UTF-8");
    assert_error("ERROR \xc3", 7, 7, "not valid UTF-8");
    assert_error("ERR\x01OR", 6, 4, "control character 0x01");
    assert_error("ERR\0OR", 6, 4, "control character 0x00");
}

/* { (((...$.a=1...))) } with `depth` parentheses */
static size_t nested_pattern(char *text, int depth)
{
    size_t at = 0;
    text[at++] = '{';
    for (int i = 0; i < depth; i++)
        text[at++] = '(';
    at += (size_t)sprintf(text + at, "$.a=1");
    for (int i = 0; i < depth; i++)
        text[at++] = ')';
    text[at++] = '}';
    text[at] = '\0';
    return at;
}

static void nesting_is_limited(void **state)
{
    (void)state;
    char text[400];
    nested_pattern(text, PATTERN_MAX_NESTING);
    struct pattern *pattern = compile(text);
    assert_non_null(pattern);
    pattern_free(pattern);
    size_t length = nested_pattern(text, PATTERN_MAX_NESTING + 1);
    assert_error(text, length, 2 + PATTERN_MAX_NESTING, "nested deeper than 64");
}

static void kinds_are_classified(void **state)
{
    (void)state;
    static const struct {
        const char *pattern;
        enum pattern_kind kind;
    } cases[] = {
        {"", PATTERN_MATCH_ALL},
        {"  ", PATTERN_MATCH_ALL},
        {"\" \"", PATTERN_MATCH_ALL},
        {"ERROR", PATTERN_TERMS},
        {"%ERR%", PATTERN_REGEX},
        {" { $.a = 1 } ", PATTERN_JSON},
        {"[a, b]", PATTERN_SPACE_DELIMITED},
        {"\"[ERROR]\"", PATTERN_TERMS},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct pattern *pattern = compile(cases[i].pattern);
        assert_non_null(pattern);
        assert_int_equal(pattern_kind(pattern), cases[i].kind);
        pattern_free(pattern);
    }
}

static void selectors_are_listed_once(void **state)
{
    (void)state;
    struct pattern *pattern =
        compile("{ $.a.b = 1 || $.['a'].b = 2 || $.c[0] NOT EXISTS || $.a.b != 3 }");
    assert_non_null(pattern);
    size_t count;
    const struct selector *selectors = pattern_selectors(pattern, &count);
    assert_int_equal(count, 2);
    assert_string_equal(selectors[0].text, "$.a.b");
    assert_int_equal(selectors[0].step_count, 2);
    assert_int_equal(selectors[0].steps[0].kind, SELECTOR_STEP_MEMBER);
    assert_memory_equal(selectors[0].steps[1].name, "b", 1);
    assert_string_equal(selectors[1].text, "$.c[0]");
    assert_int_equal(selectors[1].steps[1].kind, SELECTOR_STEP_INDEX);
    assert_int_equal(selectors[1].steps[1].index, 0);
    pattern_free(pattern);
}

/* Evaluates `pattern_text` on `message` and returns the extracted fields as
 * "name=value;" pairs, or NULL when it does not match. */
static char *extracted(const char *pattern_text, const char *message, size_t message_length)
{
    static char buffer[1024];
    struct pattern *pattern = compile(pattern_text);
    assert_non_null(pattern);
    struct pattern_match *match = pattern_match_create();
    struct event event = event_from_text(message, message_length);
    bool matched = pattern_evaluate(pattern, &event, match);
    size_t at = 0;
    buffer[0] = '\0';
    for (size_t i = 0; matched && i < pattern_match_field_count(match); i++) {
        const struct pattern_field *field = pattern_match_field(match, i);
        at += (size_t)snprintf(buffer + at, sizeof buffer - at, "%s=%.*s;", field->name,
                               (int)field->value_length, field->value);
    }
    pattern_match_free(match);
    pattern_free(pattern);
    return matched ? buffer : NULL;
}

static void space_delimited_fields_are_extracted(void **state)
{
    (void)state;
    const char *apache =
        "127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 1534";
    /* the API reference's TestMetricFilter examples */
    assert_string_equal(extracted("[..., size]", apache, strlen(apache)),
                        "$1=127.0.0.1;$2=-;$3=frank;$4=10/Oct/2000:13:25:15 -0700;"
                        "$5=GET /apache_pb.gif HTTP/1.0;$6=200;$size=1534;");
    assert_string_equal(extracted("[]", apache, strlen(apache)),
                        "$1=127.0.0.1;$2=-;$3=frank;$4=10/Oct/2000:13:25:15 -0700;"
                        "$5=GET /apache_pb.gif HTTP/1.0;$6=200;$7=1534;");
    assert_string_equal(extracted("[..., status_code=200, size]", apache, strlen(apache)),
                        "$1=127.0.0.1;$2=-;$3=frank;$4=10/Oct/2000:13:25:15 -0700;"
                        "$5=GET /apache_pb.gif HTTP/1.0;$status_code=200;$size=1534;");
    /* decision D-SD-LAST-FIELD: the last entry takes the rest of the line */
    assert_string_equal(extracted("[w1=ERROR, w2]", "ERROR  disk \"full now\"", 22),
                        "$w1=ERROR;$w2=disk \"full now\";");
    assert_string_equal(extracted("[a, , c]", "x y z", 5), "$a=x;$2=y;$c=z;");
    assert_null(extracted("[a, b, c]", "x y", 3));
}

static void tabs_and_nul_bytes_in_events(void **state)
{
    (void)state;
    /* decision D-SD-SPLIT: tabs separate fields like spaces */
    assert_string_equal(extracted("[a, b=y, c]", "x\ty\tz", 5), "$a=x;$b=y;$c=z;");
    /* a NUL byte is an ordinary byte of the message */
    assert_non_null(extracted("\"b\"", "a\0b", 3));
    assert_null(extracted("\"c\"", "a\0b", 3));
}

static bool json_matches(const char *pattern_text, const char *message, size_t length)
{
    struct pattern *pattern = compile(pattern_text);
    assert_non_null(pattern);
    size_t count;
    const struct selector *selectors = pattern_selectors(pattern, &count);
    struct event_extractor *extractor = event_extractor_create();
    struct event event;
    event_extract_json(extractor, message, length, selectors, count, &event, NULL);
    bool matched = pattern_evaluate(pattern, &event, NULL);
    event_extractor_free(extractor);
    pattern_free(pattern);
    return matched;
}

static void json_strings_are_compared_decoded(void **state)
{
    (void)state;
    const char event[] = "{\"a\":\"x\\u0000y\",\"b\":\"line\\nbreak\"}";
    assert_true(json_matches("{ $.a = %^x.y$% }", event, sizeof event - 1));
    assert_true(json_matches("{ $.b = %\\x0A% }", event, sizeof event - 1));
    assert_false(json_matches("{ $.b = \"line\\nbreak\" }", event, sizeof event - 1));
}

/* The required literals: clauses joined with " & ", literals with "|", or "none". */
static const char *required_literals(const char *pattern_text)
{
    static char buffer[1024];
    struct pattern *pattern = compile(pattern_text);
    assert_non_null(pattern);
    struct pattern_literal_clause *clauses;
    size_t count;
    strcpy(buffer, "none");
    if (pattern_required_literals(pattern, &clauses, &count)) {
        buffer[0] = '\0';
        for (size_t i = 0; i < count; i++)
            for (size_t j = 0; j < clauses[i].count; j++)
                snprintf(buffer + strlen(buffer), sizeof buffer - strlen(buffer), "%s%.*s",
                         j   ? "|"
                         : i ? " & "
                             : "",
                         (int)clauses[i].literals[j].length, clauses[i].literals[j].text);
        pattern_literal_clauses_free(clauses, count);
    }
    pattern_free(pattern);
    return buffer;
}

static void required_literals_follow_the_expression(void **state)
{
    (void)state;
    /* A || (B && C && D): (A|B) & (A|C) & (A|D), C and D being keys that must exist */
    assert_string_equal(
        required_literals("{ ($.errorCode =\"*UnauthorizedOperation\") || ($.errorCode "
                          "=\"AccessDenied*\") && ($.sourceIPAddress!=\"delivery.logs.amazonaws."
                          "com\") && ($.eventName!=\"HeadBucket\") }"),
        "UnauthorizedOperation\"|\"AccessDenied & UnauthorizedOperation\"|\"sourceIPAddress\" "
        "& UnauthorizedOperation\"|\"eventName\"");
    assert_string_equal(required_literals("{ ($.eventSource = kms.amazonaws.com) && "
                                          "(($.eventName=DisableKey)||($.eventName="
                                          "ScheduleKeyDeletion)) }"),
                        "\"kms.amazonaws.com\" & \"DisableKey\"|\"ScheduleKeyDeletion\"");
    assert_string_equal(required_literals("{ $.userIdentity.type = \"Root\" && "
                                          "$.userIdentity.invokedBy NOT EXISTS }"),
                        "\"Root\"");
    assert_string_equal(required_literals("{ $.a = \"*mid*\" }"), "mid");
    /* a text that could be a number's text may match an unquoted number */
    assert_string_equal(required_literals("{ $.code = \"404\" }"), "404");
    /* values that need escaping fall back to the key */
    assert_string_equal(required_literals("{ $.path = \"/a\" }"), "\"path\"");
    assert_string_equal(required_literals("{ $.list[0] > 5 }"), "\"list\"");
    assert_string_equal(required_literals("{ $.a NOT EXISTS }"), "none");
    assert_string_equal(required_literals("{ $.a = 1 || $.b NOT EXISTS }"), "none");
    assert_string_equal(required_literals("{ $.* = \"x\" || $.*.y = 1 }"), "\"x\"|\"y\"");
    assert_string_equal(required_literals("{ $.* > 1 }"), "none");
    assert_string_equal(required_literals("ERROR Exception"), "ERROR & Exception");
    assert_string_equal(required_literals("?ERROR ?WARN"), "ERROR|WARN");
    assert_string_equal(required_literals("-DEBUG"), "none");
    assert_string_equal(required_literals(""), "none");
    assert_string_equal(required_literals("%ERR%"), "none");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(errors_name_the_column),
        cmocka_unit_test(column_counts_characters_not_bytes),
        cmocka_unit_test(length_limit_is_1024_characters),
        cmocka_unit_test(bad_bytes_are_refused),
        cmocka_unit_test(nesting_is_limited),
        cmocka_unit_test(kinds_are_classified),
        cmocka_unit_test(selectors_are_listed_once),
        cmocka_unit_test(space_delimited_fields_are_extracted),
        cmocka_unit_test(tabs_and_nul_bytes_in_events),
        cmocka_unit_test(json_strings_are_compared_decoded),
        cmocka_unit_test(required_literals_follow_the_expression),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
