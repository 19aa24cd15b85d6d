/* Protocol names, secret references (env:, file: with its ownership and mode rules, inline)
 * and what notify_redact lets be shown of an endpoint. */
#define _XOPEN_SOURCE 700
#include "notify/notify.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../support/temp_store.h"

static char directory[64];

static int make_directory(void **state)
{
    (void)state;
    return temp_directory_make(directory, "th-secret") ? 0 : -1;
}

static int remove_directory(void **state)
{
    (void)state;
    return temp_directory_remove(directory);
}

static void protocol_names(void **state)
{
    (void)state;
    const char *names[] = {"email", "email-json", "http", "https",
                           "slack", "pagerduty",  "exec", "sns"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        enum notify_protocol protocol;
        assert_true(notify_protocol_parse(names[i], &protocol));
        assert_int_equal(protocol, (int)i);
        assert_string_equal(notify_protocol_name(protocol), names[i]);
    }
    enum notify_protocol protocol = NOTIFY_SNS;
    assert_false(notify_protocol_parse("HTTP", &protocol));
    assert_false(notify_protocol_parse("sqs", &protocol));
    assert_false(notify_protocol_parse(NULL, &protocol));
    assert_int_equal(protocol, NOTIFY_SNS);
    assert_string_equal(notify_protocol_name((enum notify_protocol)42), "unknown");
}

static void expect_secret(const char *reference, const char *value)
{
    struct notify_error error = {{0}};
    char *secret = notify_secret_resolve(reference, &error);
    if (!secret)
        fail_msg("%s: %s", reference, error.message);
    assert_string_equal(secret, value);
    free(secret);
}

/* Refused, with an error that contains `expected` and never `secret_text`. */
static void expect_refusal(const char *reference, const char *expected, const char *secret_text)
{
    struct notify_error error = {{0}};
    char *secret = notify_secret_resolve(reference, &error);
    if (secret)
        fail_msg("%s: accepted as \"%s\"", reference, secret);
    if (!strstr(error.message, expected))
        fail_msg("%s: \"%s\" lacks \"%s\"", reference, error.message, expected);
    if (secret_text)
        assert_null(strstr(error.message, secret_text));
}

static void inline_and_environment(void **state)
{
    (void)state;
    expect_secret("hunter2-inline", "hunter2-inline");
    expect_secret("https://hooks.slack.com/services/T0/B0/x",
                  "https://hooks.slack.com/services/T0/B0/x");
    setenv("TH_TEST_SECRET", "from-the-environment", 1);
    expect_secret("env:TH_TEST_SECRET", "from-the-environment");
    setenv("TH_TEST_SECRET", "", 1);
    expect_refusal("env:TH_TEST_SECRET",
                   "secret env:TH_TEST_SECRET: the environment variable is empty", NULL);
    unsetenv("TH_TEST_SECRET");
    expect_refusal("env:TH_TEST_SECRET",
                   "secret env:TH_TEST_SECRET: the environment variable is not set", NULL);
}

static const char *secret_file(const char *name, const char *content, size_t length, mode_t mode)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", directory, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, content, length), (ssize_t)length);
    close(fd);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

static const char *file_reference(const char *path)
{
    static char reference[256];
    snprintf(reference, sizeof reference, "file:%s", path);
    return reference;
}

static void files_owned_and_private(void **state)
{
    (void)state;
    expect_secret(file_reference(secret_file("plain", "s3cret\n", 7, 0600)), "s3cret");
    expect_secret(file_reference(secret_file("crlf", "s3cret\r\n", 8, 0400)), "s3cret");
    expect_secret(file_reference(secret_file("bare", "s3cret", 6, 0600)), "s3cret");
    expect_secret(file_reference(secret_file("two", "s3cret\n\n", 8, 0600)), "s3cret\n");
    const char *target = secret_file("target", "linked\n", 7, 0600);
    char link[160];
    snprintf(link, sizeof link, "%s/link", directory);
    assert_int_equal(symlink(target, link), 0);
    expect_secret(file_reference(link), "linked"); /* the file it names is checked */
}

static void files_refused(void **state)
{
    (void)state;
    expect_refusal(file_reference(secret_file("group", "s3cret\n", 7, 0640)),
                   "mode 0640 lets others read it; make it 0600 or stricter", "s3cret");
    expect_refusal(file_reference(secret_file("other", "s3cret\n", 7, 0604)), "mode 0604",
                   "s3cret");
    expect_refusal(file_reference(secret_file("nul", "s3\0cret", 7, 0600)), "contains a NUL byte",
                   NULL);
    static char big[70000];
    memset(big, 'k', sizeof big);
    expect_refusal(file_reference(secret_file("big", big, sizeof big, 0600)), "larger than 65536",
                   NULL);
    expect_refusal(file_reference(directory), "not a regular file", NULL);
    char fifo[160];
    snprintf(fifo, sizeof fifo, "%s/fifo", directory);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    expect_refusal(file_reference(fifo), "not a regular file", NULL); /* and does not hang */
    char missing[160];
    snprintf(missing, sizeof missing, "file:%s/missing", directory);
    expect_refusal(missing, "No such file or directory", NULL);
    expect_refusal(NULL, "no secret given", NULL);
}

static void files_of_other_users_refused(void **state)
{
    (void)state;
    const char *path = secret_file("foreign", "s3cret\n", 7, 0600);
    if (chown(path, geteuid() + 1, (gid_t)-1) != 0)
        skip(); /* only root can give a file away */
    expect_refusal(file_reference(path), "not by this user", "s3cret");
}

static void expect_redacted(enum notify_protocol protocol, const char *endpoint, const char *shown)
{
    char *text = notify_redact(protocol, endpoint);
    assert_non_null(text);
    assert_string_equal(text, shown);
    free(text);
}

static void redaction(void **state)
{
    (void)state;
    expect_redacted(NOTIFY_SLACK, "https://hooks.slack.com/services/T000/B000/XXXX",
                    "https://hooks.slack.com/…");
    expect_redacted(NOTIFY_HTTPS, "https://user:pass@example.com:8443/hook?token=abc#x",
                    "https://example.com:8443/…");
    expect_redacted(NOTIFY_HTTP, "http://example.com", "http://example.com/…");
    expect_redacted(NOTIFY_HTTP, "not a url", "…");
    expect_redacted(NOTIFY_HTTPS, "user@host://x", "…");
    expect_redacted(NOTIFY_SLACK, "env:SLACK_WEBHOOK", "env:SLACK_WEBHOOK");
    expect_redacted(NOTIFY_PAGERDUTY, "file:/etc/trailhound/pd.key", "file:/etc/trailhound/pd.key");
    expect_redacted(NOTIFY_PAGERDUTY, "0123456789abcdef0123456789abcdef", "0123…");
    expect_redacted(NOTIFY_PAGERDUTY, "short", "…");
    expect_redacted(NOTIFY_EMAIL, "ops@example.com", "ops@example.com");
    expect_redacted(NOTIFY_EMAIL_JSON, "ops@example.com", "ops@example.com");
    expect_redacted(NOTIFY_EXEC, "/usr/local/bin/page --team ops",
                    "/usr/local/bin/page --team ops");
    expect_redacted(NOTIFY_SNS, "arn:aws:sns:eu-west-1:111122223333:cis-alarms",
                    "arn:aws:sns:eu-west-1:111122223333:cis-alarms");
    expect_redacted(NOTIFY_EMAIL, NULL, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(protocol_names),
        cmocka_unit_test(inline_and_environment),
        cmocka_unit_test(files_owned_and_private),
        cmocka_unit_test(files_refused),
        cmocka_unit_test(files_of_other_users_refused),
        cmocka_unit_test(redaction),
    };
    return cmocka_run_group_tests(tests, make_directory, remove_directory);
}
