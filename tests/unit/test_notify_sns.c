/* SNS Publish against the local HTTP receiver, which recomputes each SigV4 signature with
 * Python's hmac/hashlib (and, when Debian's AWS CLI is installed, is itself checked against
 * botocore's signer); the AWS credentials sources and the INI parser. */
#define _XOPEN_SOURCE 700
#include "notify/notify.h"
#include "notify/notify_curl.h"
#include "notify/notify_transport.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../support/receivers.h"
#include "../support/temp_store.h"

#define TOPIC "arn:aws:sns:eu-west-1:111122223333:cis-alarms"
#define KEY_ID "AKIDTRAILHOUNDTEST01"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYTRAILHOUND"

/* libcurl as a command loads it (the group setup), for every delivery */
static struct notify_curl *curl;

static struct receiver receiver;
static char directory[64];

static void use_environment_credentials(void)
{
    setenv("AWS_ACCESS_KEY_ID", KEY_ID, 1);
    setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_SHARED_CREDENTIALS_FILE");
}

static int start_receiver(void **state)
{
    (void)state;
    struct notify_error curl_error; /* as the commands that deliver do */
    if (!(curl = notify_curl_load(&curl_error))) {
        print_error("%s\n", curl_error.message);
        return -1;
    }
    const char *extra[] = {"--aws-secret", SECRET, NULL};
    return temp_directory_make(directory, "th-sns") &&
                   receiver_start(&receiver, "http_receiver.py", extra)
               ? 0
               : -1;
}

static int stop_receiver(void **state)
{
    (void)state;
    receiver_stop(&receiver);
    notify_curl_unload(curl);
    curl = NULL;
    return temp_directory_remove(directory);
}

static char endpoint[256];

static struct notify_result publish(const char *path, const char *region)
{
    snprintf(endpoint, sizeof endpoint, "%s%s", receiver.base_url, path);
    struct notify_delivery delivery = {
        .curl = curl,
        .protocol = NOTIFY_SNS,
        .endpoint = TOPIC,
        .subject = "ALARM: \"root_usage_alarm\" in EU (Ireland)",
        .body = "{\"AlarmName\":\"root & co = 100%+\",\"Region\":\"EU (Z\xc3\xbcrich)\"}",
        .sns_endpoint = endpoint,
        .sns_region = region,
        .timeout_seconds = 10,
    };
    struct notify_result result;
    notify_deliver(&delivery, &result);
    return result;
}

static json_t *last_request(json_t **log)
{
    *log = receiver_log(&receiver);
    size_t count = json_array_size(*log);
    assert_true(count > 0);
    return json_array_get(*log, count - 1);
}

static void assert_signed(json_t *request, const char *key_id, const char *region)
{
    json_t *verdict = json_object_get(request, "sigv4");
    if (!json_is_true(json_object_get(verdict, "valid")))
        fail_msg("SigV4: %s", receiver_string(verdict, "reason"));
    char date[9], prefix[160];
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    strftime(date, sizeof date, "%Y%m%d", &utc);
    const char *amz_date = receiver_header(request, "X-Amz-Date");
    assert_non_null(amz_date);
    snprintf(prefix, sizeof prefix, "AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/sns/aws4_request, ",
             key_id, amz_date, region);
    const char *authorization = receiver_header(request, "Authorization");
    if (strncmp(authorization, prefix, strlen(prefix)) != 0)
        fail_msg("Authorization: %s", authorization);
    assert_true(strncmp(amz_date, date, 8) == 0 || utc.tm_hour == 0); /* today, UTC */
}

static void publish_is_signed_and_form_encoded(void **state)
{
    (void)state;
    use_environment_credentials();
    struct notify_result result = publish("/sns/ok", NULL);
    if (result.outcome != NOTIFY_DELIVERED)
        fail_msg("%s", result.detail);
    assert_int_equal(result.status, 200);
    assert_string_equal(result.detail,
                        "published to " TOPIC ": MessageId 94f20ce6-13c5-43a0-9a9e-ca52d816e90b");
    json_t *log, *request = last_request(&log);
    assert_signed(request, KEY_ID, "eu-west-1");
    assert_string_equal(receiver_header(request, "Content-Type"),
                        "application/x-www-form-urlencoded; charset=utf-8");
    json_t *form = json_object_get(request, "form");
    assert_int_equal(json_object_size(form), 5);
    assert_string_equal(receiver_string(form, "Action"), "Publish");
    assert_string_equal(receiver_string(form, "TopicArn"), TOPIC);
    assert_string_equal(receiver_string(form, "Message"),
                        "{\"AlarmName\":\"root & co = 100%+\",\"Region\":\"EU (Z\xc3\xbcrich)\"}");
    assert_string_equal(receiver_string(form, "Subject"),
                        "ALARM: \"root_usage_alarm\" in EU (Ireland)");
    assert_string_equal(receiver_string(form, "Version"), "2010-03-31");
    assert_true(strncmp(receiver_string(request, "body"), "Action=Publish&TopicArn=", 24) == 0);
    json_decref(log);
}

static void region_override_and_session_token(void **state)
{
    (void)state;
    use_environment_credentials();
    setenv("AWS_SESSION_TOKEN", "FQoGZXIvYXdzEXAMPLETOKEN==", 1);
    struct notify_result result = publish("/sns/ok", "us-east-2");
    unsetenv("AWS_SESSION_TOKEN");
    assert_int_equal(result.outcome, NOTIFY_DELIVERED);
    json_t *log, *request = last_request(&log);
    assert_signed(request, KEY_ID, "us-east-2");
    assert_string_equal(receiver_header(request, "X-Amz-Security-Token"),
                        "FQoGZXIvYXdzEXAMPLETOKEN==");
    json_decref(log);
}

static void answers_as_outcomes(void **state)
{
    (void)state;
    use_environment_credentials();
    struct notify_result result = publish("/sns/throttling", NULL);
    assert_int_equal(result.outcome, NOTIFY_RETRY);
    assert_int_equal(result.status, 400);
    assert_non_null(strstr(result.detail, ": Throttling: Rate exceeded"));
    result = publish("/sns/invalid", NULL);
    assert_int_equal(result.outcome, NOTIFY_PERMANENT);
    assert_non_null(strstr(result.detail, ": InvalidParameter: Invalid parameter: TopicArn"));
    result = publish("/status/503/retry-after/30", NULL);
    assert_int_equal(result.outcome, NOTIFY_RETRY);
    assert_int_equal(result.retry_after_ms, 30000);
    assert_int_equal(publish("/status/403", NULL).outcome, NOTIFY_PERMANENT);
    /* a body that echoes the secret key does not carry it into the detail */
    result = publish("/status/500/body/"
                     "wJalrXUtnFEMI%2FK7MDENG%2BbPxRfiCYTRAILHOUND",
                     NULL);
    assert_int_equal(result.outcome, NOTIFY_RETRY);
    assert_null(strstr(result.detail, SECRET));
}

static void bad_topics_are_permanent(void **state)
{
    (void)state;
    use_environment_credentials();
    struct notify_delivery delivery = {
        .protocol = NOTIFY_SNS, .endpoint = "cis-alarms", .curl = curl};
    struct notify_result result;
    notify_deliver(&delivery, &result);
    assert_int_equal(result.outcome, NOTIFY_PERMANENT);
    assert_string_equal(result.detail, "cis-alarms is not an SNS topic ARN");
    delivery.endpoint = "arn:aws:sqs:eu-west-1:111122223333:queue";
    notify_deliver(&delivery, &result);
    assert_int_equal(result.outcome, NOTIFY_PERMANENT);
    delivery.endpoint = "arn:aws:sns:EU_WEST:111122223333:topic";
    notify_deliver(&delivery, &result);
    assert_int_equal(result.outcome, NOTIFY_PERMANENT);
    assert_string_equal(result.detail,
                        "no valid AWS region for arn:aws:sns:EU_WEST:111122223333:topic");
}

static const char *write_file(const char *name, const char *text)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", directory, name);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs(text, file);
    fclose(file);
    return path;
}

static void credentials_from_profile(void **state)
{
    (void)state;
    use_environment_credentials();
    unsetenv("AWS_ACCESS_KEY_ID");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    const char *path = write_file("credentials", "# shared credentials\n"
                                                 "[default]\n"
                                                 "aws_access_key_id = AKIDDEFAULT\n"
                                                 "aws_secret_access_key = other\n"
                                                 "\n"
                                                 "[ops]\r\n"
                                                 "AWS_ACCESS_KEY_ID=AKIDOPSPROFILE\r\n"
                                                 "; the secret\r\n"
                                                 "aws_secret_access_key: " SECRET "\r\n");
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
    setenv("AWS_PROFILE", "ops", 1);
    struct notify_result result = publish("/sns/ok", NULL);
    if (result.outcome != NOTIFY_DELIVERED)
        fail_msg("%s", result.detail);
    json_t *log, *request = last_request(&log);
    assert_signed(request, "AKIDOPSPROFILE", "eu-west-1");
    json_decref(log);
    unsetenv("AWS_PROFILE"); /* [default] signs with another secret: AWS would say 403 */
    result = publish("/sns/ok", NULL);
    request = last_request(&log);
    assert_false(json_is_true(json_object_get(json_object_get(request, "sigv4"), "valid")));
    json_decref(log);
}

static void missing_credentials_are_permanent(void **state)
{
    (void)state;
    use_environment_credentials();
    unsetenv("AWS_SECRET_ACCESS_KEY");
    struct notify_result result = publish("/sns/ok", NULL);
    assert_int_equal(result.outcome, NOTIFY_PERMANENT);
    assert_string_equal(
        result.detail,
        "AWS credentials: AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    unsetenv("AWS_ACCESS_KEY_ID");
    setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
    result = publish("/sns/ok", NULL);
    assert_int_equal(result.outcome, NOTIFY_PERMANENT);
    assert_string_equal(result.detail, "no AWS credentials: AWS_ACCESS_KEY_ID is not set, and "
                                       "/nonexistent/credentials: No such file or directory");
    const char *path = write_file("partial", "[default]\naws_access_key_id = AKID\n");
    setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
    result = publish("/sns/ok", NULL);
    assert_int_equal(result.outcome, NOTIFY_PERMANENT);
    assert_non_null(strstr(result.detail, ": profile default has no aws_secret_access_key"));
}

static void expect_parse(const char *text, const char *profile, const char *key_id,
                         const char *secret, const char *token)
{
    struct notify_aws_credentials credentials;
    struct notify_error error = {{0}};
    if (!notify_aws_credentials_parse(text, strlen(text), profile, &credentials, &error))
        fail_msg("%s", error.message);
    assert_string_equal(credentials.access_key_id, key_id);
    assert_string_equal(credentials.secret_access_key, secret);
    if (token)
        assert_string_equal(credentials.session_token, token);
    else
        assert_null(credentials.session_token);
    notify_aws_credentials_free(&credentials);
}

static void expect_parse_error(const char *text, const char *profile, const char *message)
{
    struct notify_aws_credentials credentials;
    struct notify_error error = {{0}};
    assert_false(notify_aws_credentials_parse(text, strlen(text), profile, &credentials, &error));
    assert_string_equal(error.message, message);
    assert_null(credentials.access_key_id);
}

static void credentials_file_format(void **state)
{
    (void)state;
    expect_parse("[default]\naws_access_key_id=A\naws_secret_access_key=B", "default", "A", "B",
                 NULL);
    expect_parse("  [ p ]  \n\taws_access_key_id =  A1  \naws_secret_access_key = B=C:D\n"
                 "aws_session_token = T==\n[q]\naws_access_key_id = Q\n",
                 "p", "A1", "B=C:D", "T==");
    expect_parse("[p]\naws_access_key_id = old\naws_secret_access_key = s\n"
                 "aws_access_key_id = new\naws_security_token = legacy\nregion = eu-west-1\n",
                 "p", "new", "s", "legacy");
    expect_parse("[p]\naws_access_key_id = A\n[other]\naws_secret_access_key = X\n[p]\n"
                 "aws_secret_access_key = B\n",
                 "p", "A", "B", NULL);
    expect_parse_error("[default]\naws_access_key_id = A\n", "ops", "no [ops] profile");
    expect_parse_error("[ops]\naws_secret_access_key = s\n", "ops",
                       "profile ops has no aws_access_key_id");
    expect_parse_error("[ops]\naws_access_key_id =\naws_secret_access_key = s\n", "ops",
                       "profile ops has no aws_access_key_id");
    expect_parse_error("aws_access_key_id = A\n", "ops", "line 1: a key before any [section]");
    expect_parse_error("[ops]\naws_access_key_id = A\nsecret value\n", "ops",
                       "line 3: expected 'key = value'");
    expect_parse_error("[ops\n", "ops", "line 1: a section header needs a closing ']'");
    struct notify_aws_credentials credentials;
    struct notify_error error = {{0}};
    assert_false(
        notify_aws_credentials_parse("[ops]\nkey = a\0b\n", 14, "ops", &credentials, &error));
    assert_string_equal(error.message, "line 2: a NUL byte");
}

/* Our verifier accepts botocore's own signature: the check we trust is itself checked. */
static void verifier_agrees_with_aws_cli(void **state)
{
    (void)state;
    if (access("/usr/bin/aws", X_OK) != 0)
        skip();
    char command[1024];
    snprintf(command, sizeof command,
             "env -i PATH=/usr/bin:/bin HOME=%s AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY='%s' "
             "AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent "
             "AWS_EC2_METADATA_DISABLED=true /usr/bin/aws sns publish --no-cli-pager "
             "--endpoint-url %s/sns/ok --region eu-west-1 --topic-arn %s "
             "--message 'from the AWS CLI' --subject s >/dev/null 2>&1",
             directory, KEY_ID, SECRET, receiver.base_url, TOPIC);
    assert_int_equal(system(command), 0);
    json_t *log, *request = last_request(&log);
    assert_non_null(strstr(receiver_header(request, "User-Agent"), "aws-cli/"));
    assert_signed(request, KEY_ID, "eu-west-1");
    assert_string_equal(receiver_string(json_object_get(request, "form"), "Message"),
                        "from the AWS CLI");
    json_decref(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(publish_is_signed_and_form_encoded),
        cmocka_unit_test(region_override_and_session_token),
        cmocka_unit_test(answers_as_outcomes),
        cmocka_unit_test(bad_topics_are_permanent),
        cmocka_unit_test(credentials_from_profile),
        cmocka_unit_test(missing_credentials_are_permanent),
        cmocka_unit_test(credentials_file_format),
        cmocka_unit_test(verifier_agrees_with_aws_cli),
    };
    return cmocka_run_group_tests(tests, start_receiver, stop_receiver);
}
