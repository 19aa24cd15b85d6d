/* Unit tests for the JSON extractor (src/events/event_extract.c): selector resolution,
 * value kinds and decoding, strict validation with exact error offsets, and reuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "events/event.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Building selectors by hand ------------------------------------------------------------ */

#include "../support/selector_builders.h"
#define ROOT_SELECTOR                                                                              \
    {                                                                                              \
        .steps = NULL, .step_count = 0, .text = "$"                                                \
    }
#define COUNT_OF(array) (sizeof(array) / sizeof((array)[0]))
/* A document given as a string literal, which may hold NUL bytes. */
#define DOC(literal) (literal), (sizeof(literal) - 1)

/* ---- Fixture and helpers --------------------------------------------------------------------- */

static int create_extractor(void **state)
{
    *state = event_extractor_create();
    return *state ? 0 : -1;
}

static int free_extractor(void **state)
{
    event_extractor_free(*state);
    return 0;
}

/* Extracts and asserts the document is valid JSON. */
static struct event extract_valid(void **state, const char *json, size_t length,
                                  const struct selector *selectors, size_t selector_count)
{
    struct event event;
    struct event_json_error error = {0};
    bool ok = event_extract_json(*state, json, length, selectors, selector_count, &event, &error);
    if (!ok)
        print_error("unexpected error at %zu: %s\n", error.offset, error.reason);
    assert_true(ok);
    assert_true(event.is_json);
    assert_ptr_equal(event.message, json);
    assert_int_equal(event.message_length, length);
    assert_int_equal(event.selection_count, selector_count);
    return event;
}

static void assert_count(const struct event *event, size_t selector, size_t count)
{
    assert_int_equal(event->selections[selector].count, count);
}

static const struct event_value *value_at(const struct event *event, size_t selector, size_t index)
{
    assert_true(index < event->selections[selector].count);
    return &event->selections[selector].values[index];
}

static void assert_string_bytes(const struct event *event, size_t selector, size_t index,
                                const char *expected, size_t expected_length)
{
    const struct event_value *value = value_at(event, selector, index);
    assert_int_equal(value->kind, EVENT_VALUE_STRING);
    assert_int_equal(value->length, expected_length);
    assert_memory_equal(value->text, expected, expected_length);
}

#define ASSERT_STRING(event, selector, index, literal)                                             \
    assert_string_bytes((event), (selector), (index), (literal), sizeof(literal) - 1)

static void assert_number(const struct event *event, size_t selector, size_t index,
                          const char *text, double number)
{
    const struct event_value *value = value_at(event, selector, index);
    assert_int_equal(value->kind, EVENT_VALUE_NUMBER);
    assert_int_equal(value->length, strlen(text));
    assert_memory_equal(value->text, text, strlen(text));
    assert_true(value->number == number || (isnan(number) && isnan(value->number)));
}

static void assert_kind(const struct event *event, size_t selector, size_t index,
                        enum event_value_kind kind)
{
    const struct event_value *value = value_at(event, selector, index);
    assert_int_equal(value->kind, kind);
    if (kind != EVENT_VALUE_STRING && kind != EVENT_VALUE_NUMBER)
        assert_null(value->text);
}

static bool points_into(const char *pointer, const char *buffer, size_t length)
{
    return (uintptr_t)pointer >= (uintptr_t)buffer &&
           (uintptr_t)pointer <= (uintptr_t)buffer + length;
}

/* ---- Selector steps ----------------------------------------------------------------------------
 */

static const char cloudtrail_record[] =
    "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"principalId\":"
    "\"AIDAEXAMPLE\",\"arn\":\"arn:aws:iam::123456789012:user/alice\",\"accountId\":"
    "\"123456789012\",\"userName\":\"alice\"},\"eventTime\":\"2023-07-10T12:00:00Z\","
    "\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"CreateUser\",\"awsRegion\":"
    "\"us-east-1\",\"sourceIPAddress\":\"198.51.100.7\",\"userAgent\":\"aws-cli/2.0\","
    "\"requestParameters\":{\"userName\":\"bob\"},\"responseElements\":null,\"readOnly\":false,"
    "\"resources\":[{\"ARN\":\"arn:1\",\"type\":\"AWS::IAM::User\"},{\"ARN\":\"arn:2\"}],"
    "\"errorCode\":\"AccessDenied\"}";

static void test_member_steps_on_cloudtrail_record(void **state)
{
    const struct selector selectors[] = {
        SELECTOR("$.userIdentity.type", MEMBER("userIdentity"), MEMBER("type")),
        SELECTOR("$.eventName", MEMBER("eventName")),
        SELECTOR("$.missing", MEMBER("missing")),
        SELECTOR("$.userIdentity.missing", MEMBER("userIdentity"), MEMBER("missing")),
        SELECTOR("$.eventName.sub", MEMBER("eventName"), MEMBER("sub")),
        SELECTOR("$.responseElements", MEMBER("responseElements")),
        SELECTOR("$.readOnly", MEMBER("readOnly")),
        SELECTOR("$.requestParameters.userName", MEMBER("requestParameters"), MEMBER("userName")),
        SELECTOR("$.resources[1].ARN", MEMBER("resources"), INDEX(1), MEMBER("ARN")),
    };
    struct event event =
        extract_valid(state, DOC(cloudtrail_record), selectors, COUNT_OF(selectors));
    assert_count(&event, 0, 1);
    ASSERT_STRING(&event, 0, 0, "IAMUser");
    ASSERT_STRING(&event, 1, 0, "CreateUser");
    assert_count(&event, 2, 0);
    assert_count(&event, 3, 0);
    assert_count(&event, 4, 0);
    assert_kind(&event, 5, 0, EVENT_VALUE_NULL);
    assert_kind(&event, 6, 0, EVENT_VALUE_FALSE);
    ASSERT_STRING(&event, 7, 0, "bob");
    ASSERT_STRING(&event, 8, 0, "arn:2");
    /* Strings without escapes are not copied. */
    assert_true(
        points_into(value_at(&event, 0, 0)->text, cloudtrail_record, sizeof cloudtrail_record - 1));
}

static void test_bracketed_member_with_dot(void **state)
{
    const char json[] = "{\"cluster.name\":\"prod\",\"cluster\":{\"name\":\"dev\"}}";
    const struct selector selectors[] = {
        SELECTOR("$.['cluster.name']", MEMBER("cluster.name")),
        SELECTOR("$.cluster.name", MEMBER("cluster"), MEMBER("name")),
    };
    struct event event = extract_valid(state, DOC(json), selectors, COUNT_OF(selectors));
    assert_count(&event, 0, 1);
    ASSERT_STRING(&event, 0, 0, "prod");
    assert_count(&event, 1, 1);
    ASSERT_STRING(&event, 1, 0, "dev");
}

static void test_index_steps(void **state)
{
    const char json[] = "{\"arrayKey\":[\"a\",\"b\",\"c\"]}";
    const struct selector selectors[] = {
        SELECTOR("$.arrayKey[0]", MEMBER("arrayKey"), INDEX(0)),
        SELECTOR("$.arrayKey[2]", MEMBER("arrayKey"), INDEX(2)),
        SELECTOR("$.arrayKey[3]", MEMBER("arrayKey"), INDEX(3)),
        SELECTOR("$.arrayKey[1000000]", MEMBER("arrayKey"), INDEX(1000000)),
    };
    struct event event = extract_valid(state, DOC(json), selectors, COUNT_OF(selectors));
    ASSERT_STRING(&event, 0, 0, "a");
    ASSERT_STRING(&event, 1, 0, "c");
    assert_count(&event, 0, 1);
    assert_count(&event, 1, 1);
    assert_count(&event, 2, 0);
    assert_count(&event, 3, 0);
}

static void test_nested_arrays(void **state)
{
    const char json[] = "{\"coordinates\":[[0,1,2],[10,11,12,13]]}";
    const struct selector selectors[] = {
        SELECTOR("$.coordinates[1][2]", MEMBER("coordinates"), INDEX(1), INDEX(2)),
        SELECTOR("$.coordinates[0]", MEMBER("coordinates"), INDEX(0)),
        SELECTOR("$.coordinates[0][3]", MEMBER("coordinates"), INDEX(0), INDEX(3)),
        SELECTOR("$.coordinates[*][0]", MEMBER("coordinates"), ANY_INDEX, INDEX(0)),
    };
    struct event event = extract_valid(state, DOC(json), selectors, COUNT_OF(selectors));
    assert_count(&event, 0, 1);
    assert_number(&event, 0, 0, "12", 12);
    assert_count(&event, 1, 1);
    assert_kind(&event, 1, 0, EVENT_VALUE_ARRAY);
    assert_count(&event, 2, 0);
    assert_count(&event, 3, 2);
    assert_number(&event, 3, 0, "0", 0);
    assert_number(&event, 3, 1, "10", 10);
}

static void test_any_index_yields_values_in_document_order(void **state)
{
    const char json[] = "{\"objectList\":[{\"id\":\"x1\"},{\"name\":\"no id\"},"
                        "{\"id\":\"x3\",\"id2\":1},{\"id\":7},[{\"id\":\"nested\"}]]}";
    const struct selector selectors[] = {
        SELECTOR("$.objectList[*].id", MEMBER("objectList"), ANY_INDEX, MEMBER("id")),
        SELECTOR("$.objectList[*]", MEMBER("objectList"), ANY_INDEX),
    };
    struct event event = extract_valid(state, DOC(json), selectors, COUNT_OF(selectors));
    assert_count(&event, 0, 3);
    ASSERT_STRING(&event, 0, 0, "x1");
    ASSERT_STRING(&event, 0, 1, "x3");
    assert_number(&event, 0, 2, "7", 7);
    assert_count(&event, 1, 5);
    for (size_t i = 0; i < 4; i++)
        assert_kind(&event, 1, i, EVENT_VALUE_OBJECT);
    assert_kind(&event, 1, 4, EVENT_VALUE_ARRAY);
}

static void test_any_member(void **state)
{
    const char json[] = "{\"a\":1,\"b\":\"two\",\"c\":{\"d\":3},\"e\":[4]}";
    const struct selector selectors[] = {
        SELECTOR("$.*", ANY_MEMBER),
        SELECTOR("$.*.d", ANY_MEMBER, MEMBER("d")),
        SELECTOR("$.*[0]", ANY_MEMBER, INDEX(0)),
        SELECTOR("$.*.*", ANY_MEMBER, ANY_MEMBER),
    };
    struct event event = extract_valid(state, DOC(json), selectors, COUNT_OF(selectors));
    assert_count(&event, 0, 4);
    assert_number(&event, 0, 0, "1", 1);
    ASSERT_STRING(&event, 0, 1, "two");
    assert_kind(&event, 0, 2, EVENT_VALUE_OBJECT);
    assert_kind(&event, 0, 3, EVENT_VALUE_ARRAY);
    assert_count(&event, 1, 1);
    assert_number(&event, 1, 0, "3", 3);
    assert_count(&event, 2, 1);
    assert_number(&event, 2, 0, "4", 4);
    assert_count(&event, 3, 1);
    assert_number(&event, 3, 0, "3", 3);
}

static void test_root_selector(void **state)
{
    const struct selector selectors[] = {ROOT_SELECTOR};
    struct event event = extract_valid(state, DOC("{\"a\":1}"), selectors, 1);
    assert_count(&event, 0, 1);
    assert_kind(&event, 0, 0, EVENT_VALUE_OBJECT);
    event = extract_valid(state, DOC(" \"hi\" "), selectors, 1);
    ASSERT_STRING(&event, 0, 0, "hi");
    event = extract_valid(state, DOC("42"), selectors, 1);
    assert_number(&event, 0, 0, "42", 42);
    event = extract_valid(state, DOC("null"), selectors, 1);
    assert_kind(&event, 0, 0, EVENT_VALUE_NULL);
}

static void test_member_on_array_and_index_on_object_select_nothing(void **state)
{
    const char json[] = "{\"list\":[1,2],\"obj\":{\"0\":\"zero\"}}";
    const struct selector selectors[] = {
        SELECTOR("$.list.x", MEMBER("list"), MEMBER("x")),
        SELECTOR("$.list.*", MEMBER("list"), ANY_MEMBER),
        SELECTOR("$.obj[0]", MEMBER("obj"), INDEX(0)),
        SELECTOR("$.obj[*]", MEMBER("obj"), ANY_INDEX),
        SELECTOR("$.obj.0", MEMBER("obj"), MEMBER("0")),
        SELECTOR("$.list[1]", MEMBER("list"), INDEX(1)),
    };
    struct event event = extract_valid(state, DOC(json), selectors, COUNT_OF(selectors));
    assert_count(&event, 0, 0);
    assert_count(&event, 1, 0);
    assert_count(&event, 2, 0);
    assert_count(&event, 3, 0);
    assert_count(&event, 4, 1);
    ASSERT_STRING(&event, 4, 0, "zero");
    assert_number(&event, 5, 0, "2", 2);

    const struct selector on_root_array[] = {
        SELECTOR("$.*", ANY_MEMBER),
        SELECTOR("$.a", MEMBER("a")),
        SELECTOR("$[1]", INDEX(1)),
    };
    event = extract_valid(state, DOC("[{\"a\":1},2]"), on_root_array, COUNT_OF(on_root_array));
    assert_count(&event, 0, 0);
    assert_count(&event, 1, 0);
    assert_number(&event, 2, 0, "2", 2);
}

static void test_value_kinds(void **state)
{
    const char json[] = "{\"o\":{},\"a\":[],\"t\":true,\"f\":false,\"n\":null}";
    const struct selector selectors[] = {
        SELECTOR("$.o", MEMBER("o")), SELECTOR("$.a", MEMBER("a")), SELECTOR("$.t", MEMBER("t")),
        SELECTOR("$.f", MEMBER("f")), SELECTOR("$.n", MEMBER("n")),
    };
    struct event event = extract_valid(state, DOC(json), selectors, COUNT_OF(selectors));
    const enum event_value_kind kinds[] = {EVENT_VALUE_OBJECT, EVENT_VALUE_ARRAY, EVENT_VALUE_TRUE,
                                           EVENT_VALUE_FALSE, EVENT_VALUE_NULL};
    for (size_t i = 0; i < COUNT_OF(kinds); i++) {
        assert_count(&event, i, 1);
        assert_kind(&event, i, 0, kinds[i]);
    }
}

static void test_numbers_keep_their_text(void **state)
{
    const char json[] = "[1e+3,-0.5,12345678901234567890,1e400,-1e400,-0,42,3.25,2E-2,"
                        "999999999999999,9007199254740993,0,-7,1.5e-400,"
                        "9999999999999999999,99999999999999999999,-18446744073709551617]";
    const struct selector selectors[] = {SELECTOR("$[*]", ANY_INDEX)};
    struct event event = extract_valid(state, DOC(json), selectors, 1);
    assert_count(&event, 0, 17);
    assert_number(&event, 0, 0, "1e+3", 1000);
    assert_number(&event, 0, 1, "-0.5", -0.5);
    assert_number(&event, 0, 2, "12345678901234567890", 12345678901234567890.0);
    assert_number(&event, 0, 3, "1e400", HUGE_VAL);
    assert_number(&event, 0, 4, "-1e400", -HUGE_VAL);
    assert_number(&event, 0, 5, "-0", 0);
    assert_true(signbit(value_at(&event, 0, 5)->number));
    assert_number(&event, 0, 6, "42", 42);
    assert_number(&event, 0, 7, "3.25", 3.25);
    assert_number(&event, 0, 8, "2E-2", 0.02);
    assert_number(&event, 0, 9, "999999999999999", 999999999999999.0);
    assert_number(&event, 0, 10, "9007199254740993", 9007199254740992.0);
    assert_number(&event, 0, 11, "0", 0);
    assert_false(signbit(value_at(&event, 0, 11)->number));
    assert_number(&event, 0, 12, "-7", -7);
    assert_number(&event, 0, 13, "1.5e-400", 0);
    assert_number(&event, 0, 14, "9999999999999999999", 1e19);
    assert_number(&event, 0, 15, "99999999999999999999", 1e20);
    assert_number(&event, 0, 16, "-18446744073709551617", -18446744073709551616.0);
    /* Number text always points into the message. */
    assert_true(points_into(value_at(&event, 0, 2)->text, json, sizeof json - 1));
}

static void test_long_number_literals(void **state)
{
    char json[600];
    size_t length = 0;
    json[length++] = '[';
    json[length++] = '1';
    memset(json + length, '0', 400); /* 10^400 written out */
    length += 400;
    memcpy(json + length, ",0.1000000000000000055511151231257827]", 38);
    length += 38;
    const struct selector selectors[] = {SELECTOR("$[*]", ANY_INDEX)};
    struct event event = extract_valid(state, json, length, selectors, 1);
    assert_count(&event, 0, 2);
    assert_int_equal(value_at(&event, 0, 0)->length, 401);
    assert_true(isinf(value_at(&event, 0, 0)->number));
    assert_number(&event, 0, 1, "0.1000000000000000055511151231257827", 0.1);
}

static void test_escaped_strings_are_decoded(void **state)
{
    const char json[] =
        "{\"nl\":\"a\\nb\",\"e\":\"caf\\u00e9\",\"E\":\"\\u00C9\","
        "\"emoji\":\"\\ud83d\\ude00\",\"nul\":\"a\\u0000b\","
        "\"all\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\",\"raw\":\"\xc3\xa9\xf0\x9f\x98\x80\","
        "\"mixed\":\"x\xc3\xa9\\ty\",\"empty\":\"\"}";
    const struct selector selectors[] = {
        SELECTOR("$.nl", MEMBER("nl")),       SELECTOR("$.e", MEMBER("e")),
        SELECTOR("$.E", MEMBER("E")),         SELECTOR("$.emoji", MEMBER("emoji")),
        SELECTOR("$.nul", MEMBER("nul")),     SELECTOR("$.all", MEMBER("all")),
        SELECTOR("$.raw", MEMBER("raw")),     SELECTOR("$.mixed", MEMBER("mixed")),
        SELECTOR("$.empty", MEMBER("empty")),
    };
    struct event event = extract_valid(state, DOC(json), selectors, COUNT_OF(selectors));
    ASSERT_STRING(&event, 0, 0, "a\nb");
    ASSERT_STRING(&event, 1, 0, "caf\xc3\xa9");
    ASSERT_STRING(&event, 2, 0, "\xc3\x89");
    ASSERT_STRING(&event, 3, 0, "\xf0\x9f\x98\x80");
    ASSERT_STRING(&event, 4, 0, "a\0b");
    ASSERT_STRING(&event, 5, 0, "\"\\/\b\f\n\r\t");
    ASSERT_STRING(&event, 6, 0, "\xc3\xa9\xf0\x9f\x98\x80");
    ASSERT_STRING(&event, 7, 0, "x\xc3\xa9\ty");
    ASSERT_STRING(&event, 8, 0, "");
    /* Raw UTF-8 without escapes stays in place; escaped text does not. */
    assert_true(points_into(value_at(&event, 6, 0)->text, json, sizeof json - 1));
    assert_false(points_into(value_at(&event, 1, 0)->text, json, sizeof json - 1));
}

static void test_keys_with_escapes_match_decoded_names(void **state)
{
    const char json[] = "{\"user\\u004eame\":\"alice\",\"a\\\"b\":1,\"tab\\tkey\":2,"
                        "\"\\ud83d\\ude00\":\"smile\",\"user\\u004Eam\":\"short\","
                        "\"\\u0000\":\"nul key\"}";
    const struct selector selectors[] = {
        SELECTOR("$.userName", MEMBER("userName")),
        SELECTOR("$.['a\"b']", MEMBER("a\"b")),
        SELECTOR("$.['tab\tkey']", MEMBER("tab\tkey")),
        SELECTOR("$.smile", MEMBER("\xf0\x9f\x98\x80")),
        SELECTOR("$.user\\u004eame (undecoded)", MEMBER("user\\u004eame")),
        SELECTOR("$.nul", MEMBER("\0")),
    };
    struct event event = extract_valid(state, DOC(json), selectors, COUNT_OF(selectors));
    assert_count(&event, 0, 1);
    ASSERT_STRING(&event, 0, 0, "alice");
    assert_number(&event, 1, 0, "1", 1);
    assert_number(&event, 2, 0, "2", 2);
    ASSERT_STRING(&event, 3, 0, "smile");
    assert_count(&event, 4, 0);
    ASSERT_STRING(&event, 5, 0, "nul key");
}

static void test_duplicate_keys_record_every_occurrence(void **state)
{
    const char json[] = "{\"a\":1,\"b\":\"x\",\"a\":2,\"b\":\"y\",\"a\":{\"c\":3},\"a\":{\"c\":4}}";
    const struct selector selectors[] = {
        SELECTOR("$.a", MEMBER("a")),
        SELECTOR("$.b", MEMBER("b")),
        SELECTOR("$.a.c", MEMBER("a"), MEMBER("c")),
        SELECTOR("$.a", MEMBER("a")),
    };
    struct event event = extract_valid(state, DOC(json), selectors, COUNT_OF(selectors));
    assert_count(&event, 0, 4);
    assert_number(&event, 0, 0, "1", 1);
    assert_number(&event, 0, 1, "2", 2);
    assert_kind(&event, 0, 2, EVENT_VALUE_OBJECT);
    assert_kind(&event, 0, 3, EVENT_VALUE_OBJECT);
    assert_count(&event, 1, 2);
    ASSERT_STRING(&event, 1, 0, "x");
    ASSERT_STRING(&event, 1, 1, "y");
    assert_count(&event, 2, 2);
    assert_number(&event, 2, 0, "3", 3);
    assert_number(&event, 2, 1, "4", 4);
    /* The same selector listed twice gets its own, equal, selection. */
    assert_count(&event, 3, 4);
    assert_number(&event, 3, 1, "2", 2);
}

static void test_surrounding_whitespace(void **state)
{
    const char json[] = " \t\r\n{ \"a\" :\t[ 1 ,\n2 ] , \"b\" : \"c\" }\r\n ";
    const struct selector selectors[] = {SELECTOR("$.a[1]", MEMBER("a"), INDEX(1)),
                                         SELECTOR("$.b", MEMBER("b"))};
    struct event event = extract_valid(state, DOC(json), selectors, COUNT_OF(selectors));
    assert_number(&event, 0, 0, "2", 2);
    ASSERT_STRING(&event, 1, 0, "c");
}

static void test_no_selectors_only_validates(void **state)
{
    struct event event;
    struct event_json_error error;
    assert_true(event_extract_json(*state, DOC(cloudtrail_record), NULL, 0, &event, &error));
    assert_true(event.is_json);
    assert_int_equal(event.selection_count, 0);
    assert_false(event_extract_json(*state, DOC("[1,]"), NULL, 0, &event, &error));
    assert_false(event.is_json);
    assert_int_equal(error.offset, 3);
    /* The error report is optional. */
    assert_false(event_extract_json(*state, DOC("[1,]"), NULL, 0, &event, NULL));
}

static void test_event_from_text(void **state)
{
    (void)state;
    const char text[] = "not json at all";
    struct event event = event_from_text(text, sizeof text - 1);
    assert_ptr_equal(event.message, text);
    assert_int_equal(event.message_length, sizeof text - 1);
    assert_false(event.is_json);
    assert_null(event.selections);
    assert_int_equal(event.selection_count, 0);
}

/* ---- Invalid documents --------------------------------------------------------------------- */

struct invalid_document {
    const char *json;
    size_t length;
    size_t offset;
    const char *reason; /* a phrase the reason must contain */
};

static const struct invalid_document invalid_documents[] = {
    {DOC("\"abc"), 4, "unterminated string"},
    {DOC("{\"a\":\"abc"), 9, "unterminated string"},
    {DOC("\"abc\\"), 5, "unterminated string"},
    {DOC("\"\\u00"), 5, "unterminated string"},
    {DOC("\"\\ud800\""), 1, "lone surrogate \\ud800"},
    {DOC("\"\\ud800x\""), 1, "lone surrogate \\ud800"},
    {DOC("\"\\ude00\\ud83d\""), 1, "lone surrogate \\ude00"},
    {DOC("\"\\ud83d\\ud83d\""), 1, "lone surrogate \\ud83d"},
    {DOC("\"\\ud83d\\u0041\""), 1, "lone surrogate \\ud83d"},
    {DOC("\"\\ud83d\\n\""), 1, "lone surrogate \\ud83d"},
    {DOC("[\"ok\",\"\\udc00\"]"), 7, "lone surrogate \\udc00"},
    {DOC("\"\\ud800\\u\""), 7, "invalid \\u escape"},
    {DOC("\"\\q\""), 1, "invalid escape \\q"},
    {DOC("\"\\'\""), 1, "invalid escape \\'"},
    {DOC("\"\\U00e9\""), 1, "invalid escape \\U"},
    {DOC("\"\\u12g4\""), 1, "invalid \\u escape"},
    {DOC("\"\xff\""), 1, "invalid UTF-8 byte 0xff"},
    {DOC("\"\x80\""), 1, "invalid UTF-8 byte 0x80"},
    {DOC("\"\xf5\x80\x80\x80\""), 1, "invalid UTF-8 byte 0xf5"},
    {DOC("\"\xc0\x80\""), 1, "overlong UTF-8 encoding"},
    {DOC("\"\xc1\xbf\""), 1, "overlong UTF-8 encoding"},
    {DOC("\"\xe0\x80\x80\""), 2, "overlong UTF-8 encoding"},
    {DOC("\"\xf0\x80\x80\x80\""), 2, "overlong UTF-8 encoding"},
    {DOC("\"\xed\xa0\x80\""), 2, "UTF-8 encoded surrogate"},
    {DOC("\"\xf4\x90\x80\x80\""), 2, "above U+10FFFF"},
    {DOC("\"\xe2\x82\""), 3, "truncated UTF-8 sequence"},
    {DOC("\"\xf0\x9f\x98"
         "a\""),
     4, "truncated UTF-8 sequence"},
    {DOC("\"\xe2\x82"), 3, "unterminated string"},
    {DOC("\"a\nb\""), 2, "unescaped control character 0x0a"},
    {DOC("\"\t\""), 1, "unescaped control character 0x09"},
    {DOC("\"\0\""), 1, "unescaped control character 0x00"},
    {DOC("[1,]"), 3, "trailing comma"},
    {DOC("{\"a\":1,}"), 7, "trailing comma"},
    {DOC("[1, ]"), 4, "trailing comma"},
    {DOC("[1,,2]"), 3, "unexpected character ','"},
    {DOC("[,1]"), 1, "unexpected character ','"},
    {DOC("{,}"), 1, "expected string key"},
    {DOC("{\"a\" 1}"), 5, "expected ':' after object key"},
    {DOC("{\"a\":1 \"b\":2}"), 7, "expected ',' or '}'"},
    {DOC("[1 2]"), 3, "expected ',' or ']'"},
    {DOC("{'a':1}"), 1, "expected string key"},
    {DOC("['a']"), 1, "unexpected character '''"},
    {DOC("{a:1}"), 1, "expected string key"},
    {DOC("01"), 1, "leading zero"},
    {DOC("-01"), 2, "leading zero"},
    {DOC("[00]"), 2, "leading zero"},
    {DOC("-"), 1, "'-' must be followed by a digit"},
    {DOC("-x"), 1, "'-' must be followed by a digit"},
    {DOC("[-]"), 2, "'-' must be followed by a digit"},
    {DOC("1."), 2, "fraction needs digits"},
    {DOC("1.e5"), 2, "fraction needs digits"},
    {DOC("1e"), 2, "exponent needs digits"},
    {DOC("1e+"), 3, "exponent needs digits"},
    {DOC("1E-x"), 3, "exponent needs digits"},
    {DOC(".5"), 0, "unexpected character '.'"},
    {DOC("+1"), 0, "unexpected character '+'"},
    {DOC("NaN"), 0, "unexpected character 'N'"},
    {DOC("[NaN]"), 1, "unexpected character 'N'"},
    {DOC("-Infinity"), 1, "'-' must be followed by a digit"},
    {DOC("Infinity"), 0, "unexpected character 'I'"},
    {DOC("0x10"), 1, "unexpected character 'x' after the JSON value"},
    {DOC("[1] x"), 4, "unexpected character 'x' after the JSON value"},
    {DOC("{} {}"), 3, "unexpected character '{' after the JSON value"},
    {DOC("1 2"), 2, "unexpected character '2' after the JSON value"},
    {DOC("{\"a\":1}}"), 7, "after the JSON value"},
    {DOC("[1]]"), 3, "after the JSON value"},
    {DOC("\"a\"\0"), 3, "unexpected byte 0x00 after the JSON value"},
    {DOC("tru"), 3, "unexpected end of input"},
    {DOC("trux"), 3, "invalid literal"},
    {DOC("True"), 0, "unexpected character 'T'"},
    {DOC("nul"), 3, "unexpected end of input"},
    {DOC("[nulL]"), 4, "invalid literal"},
    {DOC("["), 1, "unexpected end of input"},
    {DOC("[1"), 2, "unexpected end of input"},
    {DOC("[1,"), 3, "unexpected end of input"},
    {DOC("{"), 1, "unexpected end of input"},
    {DOC("{\"a\""), 4, "unexpected end of input"},
    {DOC("{\"a\":"), 5, "unexpected end of input"},
    {DOC("{\"a\":1"), 6, "unexpected end of input"},
    {DOC(""), 0, "empty message"},
    {DOC("   "), 3, "unexpected end of input"},
    {DOC(" \t\n\r"), 4, "unexpected end of input"},
    {DOC("/* c */ 1"), 0, "unexpected character '/'"},
    {DOC("1 // c"), 2, "unexpected character '/'"},
    {DOC("\xef\xbb\xbf{}"), 0, "unexpected byte 0xef"},
    {DOC("\f1"), 0, "unexpected byte 0x0c"},
    {DOC("1\v"), 1, "unexpected byte 0x0b after the JSON value"},
    {DOC("{\"a\":\"x\",\"b\":}"), 13, "unexpected character '}'"},
};

static void test_invalid_documents_report_the_offending_byte(void **state)
{
    const struct selector selectors[] = {ROOT_SELECTOR, SELECTOR("$.a", MEMBER("a")),
                                         SELECTOR("$[*]", ANY_INDEX)};
    size_t failures = 0;
    for (size_t i = 0; i < COUNT_OF(invalid_documents); i++) {
        const struct invalid_document *document = &invalid_documents[i];
        struct event event;
        struct event_json_error error = {.offset = 12345};
        bool ok = event_extract_json(*state, document->json, document->length, selectors,
                                     COUNT_OF(selectors), &event, &error);
        bool counts_empty = true;
        for (size_t s = 0; s < event.selection_count; s++)
            counts_empty = counts_empty && event.selections[s].count == 0;
        if (ok || event.is_json || !counts_empty || error.offset != document->offset ||
            !strstr(error.reason, document->reason)) {
            print_error("invalid document %zu (%.*s): ok=%d offset %zu (want %zu) reason \"%s\" "
                        "(want \"%s\")\n",
                        i, (int)document->length, document->json, ok, error.offset,
                        document->offset, error.reason, document->reason);
            failures++;
        }
    }
    assert_int_equal(failures, 0);
}

/* A valid prefix matched values before the error; none of them may survive. */
static void test_invalid_document_clears_selections(void **state)
{
    const char json[] = "{\"a\":\"x\\ny\",\"b\":[1,2,}";
    const struct selector selectors[] = {SELECTOR("$.a", MEMBER("a")),
                                         SELECTOR("$.b[0]", MEMBER("b"), INDEX(0))};
    struct event event;
    struct event_json_error error;
    assert_false(
        event_extract_json(*state, DOC(json), selectors, COUNT_OF(selectors), &event, &error));
    assert_false(event.is_json);
    assert_int_equal(event.selection_count, 2);
    assert_int_equal(event.selections[0].count, 0);
    assert_int_equal(event.selections[1].count, 0);
    assert_int_equal(error.offset, 21);
}

/* `levels` nested containers opened with `open` and closed with `close`, around `inner`. */
static char *nested_document(size_t levels, const char *open, const char *close, const char *inner,
                             size_t *length)
{
    size_t open_length = strlen(open), close_length = strlen(close), inner_length = strlen(inner);
    char *json = malloc(levels * (open_length + close_length) + inner_length + 1);
    assert_non_null(json);
    size_t at = 0;
    for (size_t i = 0; i < levels; i++, at += open_length)
        memcpy(json + at, open, open_length);
    memcpy(json + at, inner, inner_length);
    at += inner_length;
    for (size_t i = 0; i < levels; i++, at += close_length)
        memcpy(json + at, close, close_length);
    json[at] = '\0';
    *length = at;
    return json;
}

static void test_nesting_depth_limit(void **state)
{
    struct selector_step steps[EVENT_JSON_MAX_DEPTH];
    for (size_t i = 0; i < EVENT_JSON_MAX_DEPTH; i++)
        steps[i] = (struct selector_step){.kind = SELECTOR_STEP_INDEX, .index = 0};
    const struct selector deepest = {
        .steps = steps, .step_count = EVENT_JSON_MAX_DEPTH, .text = "$[0]...[0]"};
    size_t length;
    char *json = nested_document(EVENT_JSON_MAX_DEPTH, "[", "]", "7", &length);
    struct event event = extract_valid(state, json, length, &deepest, 1);
    assert_number(&event, 0, 0, "7", 7);
    free(json);

    struct event_json_error error;
    json = nested_document(EVENT_JSON_MAX_DEPTH + 1, "[", "]", "7", &length);
    assert_false(event_extract_json(*state, json, length, &deepest, 1, &event, &error));
    assert_int_equal(error.offset, EVENT_JSON_MAX_DEPTH);
    assert_string_equal(error.reason, "nesting deeper than 64");
    assert_int_equal(event.selections[0].count, 0);
    free(json);

    json = nested_document(EVENT_JSON_MAX_DEPTH, "{\"a\":", "}", "1", &length);
    event = extract_valid(state, json, length, NULL, 0);
    free(json);
    json = nested_document(EVENT_JSON_MAX_DEPTH + 1, "{\"a\":", "}", "1", &length);
    assert_false(event_extract_json(*state, json, length, NULL, 0, &event, &error));
    assert_int_equal(error.offset, EVENT_JSON_MAX_DEPTH * 5);
    free(json);

    /* Far deeper input fails cleanly instead of exhausting the stack. */
    json = nested_document(100000, "[", "]", "", &length);
    assert_false(event_extract_json(*state, json, length, NULL, 0, &event, &error));
    assert_int_equal(error.offset, EVENT_JSON_MAX_DEPTH);
    free(json);
}

/* ---- Reuse ---------------------------------------------------------------------------------- */

/* A JSON array of `count` strings, each `escapes` copies of "ab\n" written with the escape
 * and a distinct tail, so decoding fills (and regrows) the scratch buffer. */
static char *escaped_strings_document(size_t count, size_t escapes, size_t *length)
{
    char *json = malloc(count * (escapes * 4 + 16) + 2);
    assert_non_null(json);
    size_t at = 0;
    json[at++] = '[';
    for (size_t i = 0; i < count; i++) {
        if (i)
            json[at++] = ',';
        json[at++] = '"';
        for (size_t e = 0; e < escapes; e++, at += 4)
            memcpy(json + at, "ab\\n", 4);
        at += (size_t)sprintf(json + at, "%zu\"", i);
    }
    json[at++] = ']';
    *length = at;
    return json;
}

static void assert_escaped_strings(const struct event *event, size_t count, size_t escapes)
{
    assert_count(event, 0, count);
    for (size_t i = 0; i < count; i++) {
        const struct event_value *value = value_at(event, 0, i);
        char tail[32];
        int tail_length = sprintf(tail, "%zu", i);
        assert_int_equal(value->kind, EVENT_VALUE_STRING);
        assert_int_equal(value->length, escapes * 3 + (size_t)tail_length);
        for (size_t e = 0; e < escapes; e++)
            assert_memory_equal(value->text + e * 3, "ab\n", 3);
        assert_memory_equal(value->text + escapes * 3, tail, (size_t)tail_length);
    }
}

static void test_extractor_is_reusable(void **state)
{
    const struct selector selectors[] = {SELECTOR("$[*]", ANY_INDEX)};
    size_t length;
    char *json = escaped_strings_document(200, 500, &length);
    struct event event = extract_valid(state, json, length, selectors, 1);
    assert_escaped_strings(&event, 200, 500);
    free(json);

    const char small[] = "[\"caf\\u00e9\",\"plain\",12,\"\\u00e9t\\u00e9\"]";
    event = extract_valid(state, DOC(small), selectors, 1);
    assert_count(&event, 0, 4);
    ASSERT_STRING(&event, 0, 0, "caf\xc3\xa9");
    ASSERT_STRING(&event, 0, 1, "plain");
    assert_number(&event, 0, 2, "12", 12);
    ASSERT_STRING(&event, 0, 3, "\xc3\xa9t\xc3\xa9");

    struct event_json_error error;
    assert_false(event_extract_json(*state, DOC("[\"\\u00e9\",]"), selectors, 1, &event, &error));
    assert_int_equal(event.selections[0].count, 0);

    json = escaped_strings_document(3, 2000, &length);
    event = extract_valid(state, json, length, selectors, 1);
    assert_escaped_strings(&event, 3, 2000);
    free(json);

    /* More selectors than any earlier call. */
    const struct selector many[] = {
        SELECTOR("$.a", MEMBER("a")),
        SELECTOR("$.b", MEMBER("b")),
        SELECTOR("$.c", MEMBER("c")),
        SELECTOR("$.*", ANY_MEMBER),
        ROOT_SELECTOR,
    };
    event = extract_valid(state, DOC("{\"c\":\"\\u0063\",\"a\":1}"), many, COUNT_OF(many));
    assert_number(&event, 0, 0, "1", 1);
    assert_count(&event, 1, 0);
    ASSERT_STRING(&event, 2, 0, "c");
    assert_count(&event, 3, 2);
    ASSERT_STRING(&event, 3, 0, "c");
    assert_number(&event, 3, 1, "1", 1);
    assert_kind(&event, 4, 0, EVENT_VALUE_OBJECT);
}

#define EXTRACTOR_TEST(test) cmocka_unit_test_setup_teardown(test, create_extractor, free_extractor)

int main(void)
{
    const struct CMUnitTest tests[] = {
        EXTRACTOR_TEST(test_member_steps_on_cloudtrail_record),
        EXTRACTOR_TEST(test_bracketed_member_with_dot),
        EXTRACTOR_TEST(test_index_steps),
        EXTRACTOR_TEST(test_nested_arrays),
        EXTRACTOR_TEST(test_any_index_yields_values_in_document_order),
        EXTRACTOR_TEST(test_any_member),
        EXTRACTOR_TEST(test_root_selector),
        EXTRACTOR_TEST(test_member_on_array_and_index_on_object_select_nothing),
        EXTRACTOR_TEST(test_value_kinds),
        EXTRACTOR_TEST(test_numbers_keep_their_text),
        EXTRACTOR_TEST(test_long_number_literals),
        EXTRACTOR_TEST(test_escaped_strings_are_decoded),
        EXTRACTOR_TEST(test_keys_with_escapes_match_decoded_names),
        EXTRACTOR_TEST(test_duplicate_keys_record_every_occurrence),
        EXTRACTOR_TEST(test_surrounding_whitespace),
        EXTRACTOR_TEST(test_no_selectors_only_validates),
        EXTRACTOR_TEST(test_event_from_text),
        EXTRACTOR_TEST(test_invalid_documents_report_the_offending_byte),
        EXTRACTOR_TEST(test_invalid_document_clears_selections),
        EXTRACTOR_TEST(test_nesting_depth_limit),
        EXTRACTOR_TEST(test_extractor_is_reusable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
