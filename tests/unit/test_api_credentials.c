/* The parser of `serve --credentials FILE`: the shared-credentials file as botocore reads it
 * (`key = value` and `key: value`, key names in any case, every profile's pair), and the
 * lines botocore would refuse refusing the file with the line named. */
#include "api/api.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Parses `text`; true when accepted. */
static bool parse(const char *text, struct api_credentials *credentials, struct api_error *error)
{
    *error = (struct api_error){{0}};
    return api_credentials_parse(text, strlen(text), credentials, error);
}

static void assert_pair(const struct api_credentials *credentials, size_t index, const char *key,
                        const char *secret)
{
    assert_true(index < credentials->count);
    assert_string_equal(credentials->items[index].access_key_id, key);
    assert_string_equal(credentials->items[index].secret_access_key, secret);
}

static void test_equals_in_every_profile(void **state)
{
    (void)state;
    struct api_credentials credentials;
    struct api_error error;
    assert_true(parse("# keys\n[default]\naws_access_key_id = AKIAONE\n"
                      "aws_secret_access_key = secret/one+\n\n[other]\n"
                      "aws_access_key_id=AKIATWO\r\naws_secret_access_key=two==\r\n",
                      &credentials, &error));
    assert_int_equal(credentials.count, 2);
    assert_pair(&credentials, 0, "AKIAONE", "secret/one+");
    assert_pair(&credentials, 1, "AKIATWO", "two==");
    api_credentials_free(&credentials);
}

static void test_colon_delimiter(void **state)
{
    (void)state;
    struct api_credentials credentials;
    struct api_error error;
    assert_true(parse("[default]\naws_access_key_id: AKIACOLON\naws_secret_access_key:s3cr=t\n",
                      &credentials, &error));
    assert_int_equal(credentials.count, 1);
    /* the first delimiter splits: an '=' inside the value stays in it */
    assert_pair(&credentials, 0, "AKIACOLON", "s3cr=t");
    api_credentials_free(&credentials);

    assert_true(parse("[default]\naws_access_key_id = AKIA\naws_secret_access_key = a:b\n",
                      &credentials, &error));
    assert_pair(&credentials, 0, "AKIA", "a:b");
    api_credentials_free(&credentials);
}

static void test_key_names_in_any_case(void **state)
{
    (void)state;
    struct api_credentials credentials;
    struct api_error error;
    assert_true(parse("[default]\nAWS_ACCESS_KEY_ID = AKIAUPPER\nAws_Secret_Access_Key: Upper\n",
                      &credentials, &error));
    assert_int_equal(credentials.count, 1);
    assert_pair(&credentials, 0, "AKIAUPPER", "Upper");
    api_credentials_free(&credentials);
}

static void test_last_value_wins_and_half_pairs_dropped(void **state)
{
    (void)state;
    struct api_credentials credentials;
    struct api_error error;
    assert_true(parse("[half]\naws_access_key_id = AKIAHALF\n[full]\naws_access_key_id = OLD\n"
                      "aws_secret_access_key = s\naws_access_key_id = NEW\n; other keys\n"
                      "region = eu-west-1\n",
                      &credentials, &error));
    assert_int_equal(credentials.count, 1);
    assert_pair(&credentials, 0, "NEW", "s");
    api_credentials_free(&credentials);
}

/* Refused with `expected` in the message, and nothing allocated. */
static void assert_refused(const char *text, const char *expected)
{
    struct api_credentials credentials;
    struct api_error error;
    assert_false(parse(text, &credentials, &error));
    assert_int_equal(credentials.count, 0);
    assert_null(credentials.items);
    if (!strstr(error.message, expected))
        fail_msg("'%s' does not say '%s'", error.message, expected);
}

static void test_malformed_lines_refuse_the_file(void **state)
{
    (void)state;
    /* a good pair does not hide a line botocore would refuse */
    assert_refused("[default]\naws_access_key_id = AKIA\naws_secret_access_key = s\n"
                   "aws_session_token\n",
                   "line 4: expected 'key = value' or 'key: value'");
    assert_refused("[default\naws_access_key_id = AKIA\naws_secret_access_key = s\n",
                   "line 1: a section header needs a closing ']'");
    assert_refused("aws_access_key_id = AKIA\n[default]\naws_access_key_id = AKIA\n"
                   "aws_secret_access_key = s\n",
                   "line 1: a key before any [section]");
    /* the refusal names the line, never the value */
    struct api_credentials credentials;
    struct api_error error;
    assert_false(parse("[p]\nAKIASECRETVALUE\n", &credentials, &error));
    assert_null(strstr(error.message, "AKIASECRETVALUE"));
    assert_refused("[default]\n", "no aws_access_key_id/aws_secret_access_key pair");
    assert_refused("[default]\naws_access_key_id =\naws_secret_access_key = s\n",
                   "no aws_access_key_id/aws_secret_access_key pair");
}

static void test_load_names_the_file(void **state)
{
    (void)state;
    char path[] = "/tmp/trailhound-credentials-XXXXXX";
    int descriptor = mkstemp(path);
    assert_true(descriptor >= 0);
    const char text[] = "[default]\naws_access_key_id: AKIAFILE\naws_secret_access_key: f\n";
    assert_int_equal(write(descriptor, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(descriptor);
    struct api_credentials credentials;
    struct api_error error;
    assert_true(api_credentials_load(path, &credentials, &error));
    assert_pair(&credentials, 0, "AKIAFILE", "f");
    api_credentials_free(&credentials);

    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs("[default]\naws_access_key_id AKIAFILE\n", file);
    fclose(file);
    assert_false(api_credentials_load(path, &credentials, &error));
    char expected[128];
    snprintf(expected, sizeof expected, "%s: line 2: expected", path);
    if (!strstr(error.message, expected))
        fail_msg("'%s' does not say '%s'", error.message, expected);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equals_in_every_profile),
        cmocka_unit_test(test_colon_delimiter),
        cmocka_unit_test(test_key_names_in_any_case),
        cmocka_unit_test(test_last_value_wins_and_half_pairs_dropped),
        cmocka_unit_test(test_malformed_lines_refuse_the_file),
        cmocka_unit_test(test_load_names_the_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
