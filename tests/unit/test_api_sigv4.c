/* SigV4 verification against aws-api.md §8.6–8.7 and every request of the CLI captures
 * (both CLIs): verified ones must verify at their own X-Amz-Date, the wrong-secret ones
 * must mismatch, the skewed ones must expire with the capture server's exact message. */
#include "api/api_internal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../support/text_file.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static const struct api_credential KEYS[] = {{"AKIDEXAMPLE", SECRET}};
static const struct api_credentials CREDENTIALS = {(struct api_credential *)KEYS, 1};

static void test_key_derivation_example_1(void **state)
{
    (void)state;
    const char *string_to_sign =
        "AWS4-HMAC-SHA256\n20261126T153600Z\n20261126/us-east-1/sns/aws4_request\n"
        "ab4ba6a13fa639e6652c8dae1ef3419b059def4a6c05527713d5a2a316fa7307";
    char signature[65];
    assert_true(
        api_sigv4_signature(SECRET, "20261126", "us-east-1", "sns", string_to_sign, signature));
    assert_string_equal(signature,
                        "a0ce906b234af99fb22159020296d763cdb6962694b26ac4fa83cd64359b1e89");
}

static struct api_request example_1(struct api_header *headers)
{
    headers[0] = (struct api_header){"host", "127.0.0.1:4566"};
    headers[1] =
        (struct api_header){"content-type", "application/x-www-form-urlencoded; charset=utf-8"};
    headers[2] = (struct api_header){"x-amz-date", "20261126T153600Z"};
    headers[3] = (struct api_header){
        "authorization",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261126/us-east-1/sns/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, "
        "Signature=a0ce906b234af99fb22159020296d763cdb6962694b26ac4fa83cd64359b1e89"};
    struct api_request request = {.method = "POST",
                                  .path = "/",
                                  .query = "",
                                  .body = "Action=CreateTopic&Version=2010-03-31&Name="
                                          "CISUnauthorizedAPICallAlerts",
                                  .body_length = 71};
    memcpy(request.headers, headers, 4 * sizeof *headers);
    request.header_count = 4;
    return request;
}

static const int64_t EXAMPLE_1_MS = INT64_C(1795707360000); /* 20261126T153600Z */

static void test_example_1_verifies(void **state)
{
    (void)state;
    struct api_header headers[4];
    struct api_request request = example_1(headers);
    char *canonical = NULL;
    assert_true(api_sigv4_canonical_request(&request, "content-type;host;x-amz-date", &canonical));
    char hash[65];
    api_sha256_hex(canonical, strlen(canonical), hash);
    free(canonical);
    assert_string_equal(hash, "ab4ba6a13fa639e6652c8dae1ef3419b059def4a6c05527713d5a2a316fa7307");
    struct api_auth_result result;
    api_sigv4_verify(&request, &CREDENTIALS, EXAMPLE_1_MS, &result);
    assert_int_equal(result.status, API_AUTH_OK);
    assert_string_equal(result.service, "sns");
}

static void test_example_1_failures(void **state)
{
    (void)state;
    struct api_header headers[4];
    struct api_request request = example_1(headers);
    struct api_auth_result result;
    const struct api_credential wrong[] = {{"AKIDEXAMPLE", "not-the-secret"}};
    api_sigv4_verify(&request, &(struct api_credentials){(struct api_credential *)wrong, 1},
                     EXAMPLE_1_MS, &result);
    assert_int_equal(result.status, API_AUTH_MISMATCH);
    const struct api_credential other[] = {{"AKIDOTHER", SECRET}};
    api_sigv4_verify(&request, &(struct api_credentials){(struct api_credential *)other, 1},
                     EXAMPLE_1_MS, &result);
    assert_int_equal(result.status, API_AUTH_UNKNOWN_KEY);
    api_sigv4_verify(&request, &CREDENTIALS, EXAMPLE_1_MS + 20 * 60 * 1000, &result);
    assert_int_equal(result.status, API_AUTH_EXPIRED);
    assert_string_equal(result.message, "Signature expired: 20261126T153600Z is now earlier than "
                                        "20261126T154100Z (20261126T155600Z - 15 min.)");
    api_sigv4_verify(&request, &CREDENTIALS, EXAMPLE_1_MS - 20 * 60 * 1000, &result);
    assert_int_equal(result.status, API_AUTH_EXPIRED);
    request.body = "Action=CreateTopic&Version=2010-03-31&Name=CISUnauthorizedAPICallAlertX";
    api_sigv4_verify(&request, &CREDENTIALS, EXAMPLE_1_MS, &result);
    assert_int_equal(result.status, API_AUTH_MISMATCH);
    request.header_count = 3;
    api_sigv4_verify(&request, &CREDENTIALS, EXAMPLE_1_MS, &result);
    assert_int_equal(result.status, API_AUTH_MISSING);
}

static void test_parse_refuses_malformed(void **state)
{
    (void)state;
    struct api_sigv4_authorization parsed;
    const char *bad[] = {
        "",
        "AWS4-HMAC-SHA256",
        "AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/sns/aws4_request",
        "AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/sns, SignedHeaders=host, "
        "Signature=a0ce906b234af99fb22159020296d763cdb6962694b26ac4fa83cd64359b1e89",
        "AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/sns/aws4_request, SignedHeaders=host, "
        "Signature=zz",
        "AWS4-HMAC-SHA1 Credential=AKID/20261126/us-east-1/sns/aws4_request, SignedHeaders=host, "
        "Signature=a0ce906b234af99fb22159020296d763cdb6962694b26ac4fa83cd64359b1e89",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(api_sigv4_parse(bad[i], &parsed));
    assert_true(api_sigv4_parse(
        "AWS4-HMAC-SHA256 Credential=AKID/20261126/us-east-1/sns/aws4_request,SignedHeaders=host,"
        "  Signature=a0ce906b234af99fb22159020296d763cdb6962694b26ac4fa83cd64359b1e89",
        &parsed));
    assert_string_equal(parsed.access_key, "AKID");
    assert_string_equal(parsed.service, "sns");
}

/* ---- the captures ---- */

static char *read_whole(const char *path)
{
    char *text = text_file_read(path, NULL);
    assert_non_null(text);
    return text;
}

static int64_t amz_date_ms(const char *text)
{
    struct tm parts = {0};
    sscanf(text, "%4d%2d%2dT%2d%2d%2dZ", &parts.tm_year, &parts.tm_mon, &parts.tm_mday,
           &parts.tm_hour, &parts.tm_min, &parts.tm_sec);
    parts.tm_year -= 1900;
    parts.tm_mon -= 1;
    return (int64_t)timegm(&parts) * 1000;
}

/* Reads one captured request at `at` (after "--- request ---...\n") into `request`;
 * returns where its body ends. Header names are lowered in place. */
static const char *read_captured(char *at, struct api_request *request, char **amz_date)
{
    *request = (struct api_request){.method = "POST", .path = "/", .query = ""};
    at = strchr(at, '\n') + 1;
    at = strchr(at, '\n') + 1; /* the request line */
    size_t content_length = 0;
    while (*at != '\n') {
        char *end = strchr(at, '\n');
        *end = '\0';
        char *colon = strchr(at, ':');
        *colon = '\0';
        for (char *c = at; *c; c++)
            *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
        char *value = colon + 1 + (colon[1] == ' ');
        request->headers[request->header_count++] = (struct api_header){at, value};
        if (strcmp(at, "content-length") == 0)
            content_length = (size_t)atol(value);
        if (strcmp(at, "x-amz-date") == 0)
            *amz_date = value;
        at = end + 1;
    }
    request->body = at + 1;
    request->body_length = content_length;
    return at + 1 + content_length;
}

static size_t check_capture_file(const char *path)
{
    char *text = read_whole(path);
    size_t checked = 0;
    char *at = text;
    while ((at = strstr(at, "--- request ---"))) {
        struct api_request request;
        char *amz_date = NULL;
        const char *end = read_captured(at, &request, &amz_date);
        const char *verdict = strstr(end, "--- server-side SigV4 check: ");
        assert_non_null(verdict);
        assert_non_null(amz_date);
        verdict += strlen("--- server-side SigV4 check: ");
        int64_t now = amz_date_ms(amz_date);
        if (strncmp(request.body, "[", 1) == 0 && strstr(request.body, " bytes of gzip")) {
            at = strstr(request.body, "--- server-side");
            continue; /* the compressed bytes are not in the capture */
        }
        struct api_auth_result result;
        if (strncmp(verdict, "OK", 2) == 0) {
            api_sigv4_verify(&request, &CREDENTIALS, now, &result);
            if (result.status != API_AUTH_OK)
                fail_msg("%s: %s", path, result.message);
        } else if (strstr(verdict, "(SignatureDoesNotMatch") == verdict + 7) {
            api_sigv4_verify(&request, &CREDENTIALS, now, &result);
            assert_int_equal(result.status, API_AUTH_MISMATCH);
        } else {
            api_sigv4_verify(&request, &CREDENTIALS, now + 3600 * 1000, &result);
            assert_int_equal(result.status, API_AUTH_EXPIRED);
            const char *message = verdict + strlen("FAILED (SignatureExpired: ");
            assert_memory_equal(result.message, message, strlen(result.message));
        }
        checked++;
        at = (char *)end;
    }
    free(text);
    return checked;
}

static size_t check_capture_directory(const char *directory)
{
    DIR *dir = opendir(directory);
    if (!dir)
        return 0;
    size_t checked = 0;
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        size_t length = strlen(entry->d_name);
        if (length < 5 || strcmp(entry->d_name + length - 4, ".txt") != 0 ||
            strcmp(entry->d_name, "README.md") == 0)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", directory, entry->d_name);
        checked += check_capture_file(path);
    }
    closedir(dir);
    return checked;
}

static void test_every_captured_request(void **state)
{
    (void)state;
    size_t checked = check_capture_directory(TESTS_DATA_DIR "/aws-captures") +
                     check_capture_directory(TESTS_DATA_DIR "/aws-captures/newer-cli");
    assert_true(checked >= 100); /* the captures are copied into tests/data */
}

static void test_form_parse(void **state)
{
    (void)state;
    struct api_form form;
    const char *body = "Action=Publish&Message=a+b%2Bc%C3%A9&Empty=&Bare";
    assert_true(api_form_parse(body, strlen(body), &form));
    assert_int_equal(form.count, 4);
    assert_string_equal(api_form_get(&form, "Message"), "a b+c\xc3\xa9");
    assert_string_equal(api_form_get(&form, "Empty"), "");
    assert_string_equal(api_form_get(&form, "Bare"), "");
    api_form_free(&form);
    assert_false(api_form_parse("a=%2", 4, &form));
    assert_false(api_form_parse("a=%00", 5, &form));
    assert_false(api_form_parse("a=%zz", 5, &form));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_derivation_example_1),
        cmocka_unit_test(test_example_1_verifies),
        cmocka_unit_test(test_example_1_failures),
        cmocka_unit_test(test_parse_refuses_malformed),
        cmocka_unit_test(test_every_captured_request),
        cmocka_unit_test(test_form_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
