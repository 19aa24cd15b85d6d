/* An event's account and region (daemon/event_origin): the raw read agrees with the exact
 * decoding on real CloudTrail events, and falls back to it whenever the raw bytes could
 * mislead (a key repeated in a nested object, escapes, spaces, a key missing). */
#include "daemon/event_origin.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define SAMPLES TESTS_DATA_DIR "/../../samples/cloudtrail-events.jsonl"

static char *text_of(const char *value, size_t length)
{
    if (!value)
        return strdup("(none)");
    char *text = malloc(length + 1);
    assert_non_null(text);
    memcpy(text, value, length);
    text[length] = '\0';
    return text;
}

/* Reads `message` both ways and checks both against the expected values (NULL: none). */
static void expect_origin(const char *message, const char *account, const char *region)
{
    struct event_origin_reader *reader = event_origin_reader_create();
    assert_non_null(reader);
    struct event_origin read, decoded;
    assert_true(event_origin_read(reader, message, strlen(message), &read));
    char *read_account = text_of(read.account, read.account_length);
    char *read_region = text_of(read.region, read.region_length);
    assert_true(event_origin_decode(reader, message, strlen(message), &decoded));
    char *decoded_account = text_of(decoded.account, decoded.account_length);
    char *decoded_region = text_of(decoded.region, decoded.region_length);
    assert_string_equal(read_account, account ? account : "(none)");
    assert_string_equal(read_region, region ? region : "(none)");
    assert_string_equal(decoded_account, read_account);
    assert_string_equal(decoded_region, read_region);
    free(read_account);
    free(read_region);
    free(decoded_account);
    free(decoded_region);
    event_origin_reader_free(reader);
}

static void test_samples_agree_with_decoding(void **state)
{
    (void)state;
    FILE *file = fopen(SAMPLES, "r");
    assert_non_null(file);
    struct event_origin_reader *reader = event_origin_reader_create();
    assert_non_null(reader);
    char line[65536];
    size_t events = 0;
    while (fgets(line, sizeof line, file)) {
        size_t length = strcspn(line, "\r\n");
        struct event_origin read, decoded;
        assert_true(event_origin_read(reader, line, length, &read));
        char *account = text_of(read.account, read.account_length);
        char *region = text_of(read.region, read.region_length);
        assert_true(event_origin_decode(reader, line, length, &decoded));
        char *decoded_account = text_of(decoded.account, decoded.account_length);
        char *decoded_region = text_of(decoded.region, decoded.region_length);
        assert_string_equal(account, decoded_account);
        assert_string_equal(region, decoded_region);
        assert_int_equal(strlen(account), 12); /* every sample says both */
        assert_true(strlen(region) > 0);
        free(account);
        free(region);
        free(decoded_account);
        free(decoded_region);
        events++;
    }
    fclose(file);
    event_origin_reader_free(reader);
    assert_true(events >= 10);
}

static void test_plain_event(void **state)
{
    (void)state;
    expect_origin("{\"awsRegion\":\"eu-west-1\",\"userIdentity\":{\"accountId\":\"111111111111\"},"
                  "\"recipientAccountId\":\"222222222222\"}",
                  "222222222222", "eu-west-1");
}

static void test_identity_account_when_no_recipient(void **state)
{
    (void)state;
    expect_origin("{\"awsRegion\":\"us-east-2\",\"userIdentity\":{\"accountId\":\"111111111111\"}}",
                  "111111111111", "us-east-2");
}

static void test_nested_key_is_not_taken(void **state)
{
    (void)state;
    /* a nested awsRegion before the top-level one: the raw read must not pick it */
    expect_origin("{\"requestParameters\":{\"awsRegion\":\"ap-south-1\"},"
                  "\"recipientAccountId\":\"222222222222\",\"awsRegion\":\"eu-north-1\"}",
                  "222222222222", "eu-north-1");
    expect_origin("{\"requestParameters\":{\"recipientAccountId\":\"999999999999\"},"
                  "\"recipientAccountId\":\"222222222222\",\"awsRegion\":\"eu-north-1\"}",
                  "222222222222", "eu-north-1");
}

static void test_key_inside_a_string_is_not_a_key(void **state)
{
    (void)state;
    expect_origin("{\"errorMessage\":\"bad \\\"awsRegion\\\":\\\"xx-fake-1\\\"\","
                  "\"recipientAccountId\":\"222222222222\",\"awsRegion\":\"eu-north-1\"}",
                  "222222222222", "eu-north-1");
}

static void test_escapes_and_spaces_are_decoded(void **state)
{
    (void)state;
    expect_origin("{\"recipientAccountId\":\"2222\\u00322222222\",\"awsRegion\":\"eu-north-1\"}",
                  "222222222222", "eu-north-1");
    expect_origin("{\"recipientAccountId\": \"222222222222\", \"awsRegion\": \"sa-east-1\"}",
                  "222222222222", "sa-east-1");
}

static void test_mixed_spacing_and_unicode_escapes(void **state)
{
    (void)state;
    /* the top-level key spaced, a nested one compact: the compact one must not be taken */
    expect_origin("{\"awsRegion\": \"us-east-1\",\"x\":{\"awsRegion\":\"xx-evil-1\"},"
                  "\"recipientAccountId\":\"222222222222\"}",
                  "222222222222", "us-east-1");
    /* the top-level key spelled with \u, a nested one plain */
    expect_origin("{\"aws\\u0052egion\":\"us-east-1\",\"x\":{\"awsRegion\":\"xx-evil-1\"},"
                  "\"recipientAccountId\":\"222222222222\"}",
                  "222222222222", "us-east-1");
    /* the name as a value elsewhere */
    expect_origin("{\"field\":\"awsRegion\",\"awsRegion\":\"eu-west-3\","
                  "\"recipientAccountId\":\"222222222222\"}",
                  "222222222222", "eu-west-3");
}

static void test_missing_and_not_strings(void **state)
{
    (void)state;
    expect_origin("{\"eventName\":\"X\"}", NULL, NULL);
    expect_origin("{\"recipientAccountId\":222222222222,\"awsRegion\":null}", NULL, NULL);
}

static void test_invalid_json_when_decoded(void **state)
{
    (void)state;
    struct event_origin_reader *reader = event_origin_reader_create();
    assert_non_null(reader);
    struct event_origin origin;
    const char *cut = "{\"recipientAccountId\":\"222222222222\",\"awsRe";
    assert_false(event_origin_read(reader, cut, strlen(cut), &origin));
    assert_null(origin.account);
    assert_null(origin.region);
    event_origin_reader_free(reader);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_samples_agree_with_decoding),
        cmocka_unit_test(test_plain_event),
        cmocka_unit_test(test_identity_account_when_no_recipient),
        cmocka_unit_test(test_nested_key_is_not_taken),
        cmocka_unit_test(test_key_inside_a_string_is_not_a_key),
        cmocka_unit_test(test_escapes_and_spaces_are_decoded),
        cmocka_unit_test(test_mixed_spacing_and_unicode_escapes),
        cmocka_unit_test(test_missing_and_not_strings),
        cmocka_unit_test(test_invalid_json_when_decoded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
