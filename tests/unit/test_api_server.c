/* The API server in-process: PutLogEvents hands its events to on_log_events before it
 * answers (and a refusal there is a 5xx the CLI retries), requests are signed by libcurl's
 * own SigV4 (a third signer besides botocore's and the tests' Python one), and a server
 * without credentials refuses everything. */
#include "api/api.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <curl/curl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct received {
    int calls;
    size_t count;
    char group[64], stream[64], first[256];
    int64_t first_timestamp;
    bool refuse;
};

static bool on_log_events(void *context, const char *log_group, const char *log_stream,
                          const char *const *messages, const int64_t *timestamps_ms, size_t count,
                          struct api_error *error)
{
    struct received *received = context;
    received->calls++;
    if (received->refuse) {
        snprintf(error->message, sizeof error->message, "disk full");
        return false;
    }
    received->count += count;
    snprintf(received->group, sizeof received->group, "%s", log_group);
    snprintf(received->stream, sizeof received->stream, "%s", log_stream);
    snprintf(received->first, sizeof received->first, "%s", messages[0]);
    received->first_timestamp = timestamps_ms[0];
    return true;
}

struct fixture {
    char directory[64], db[128];
    struct api_credential key;
    struct api_credentials credentials;
    struct received received;
    struct api_server *server;
};

static struct api_server *start(struct fixture *f, const struct api_credentials *credentials)
{
    struct api_settings settings = {.listen = "127.0.0.1:0",
                                    .db_path = f->db,
                                    .credentials = credentials,
                                    .on_log_events = on_log_events,
                                    .context = &f->received};
    struct api_error error;
    struct api_server *server = api_server_start(&settings, &error);
    if (!server)
        fail_msg("%s", error.message);
    return server;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->directory, sizeof f->directory, "/tmp/trailhound-api-XXXXXX");
    if (!mkdtemp(f->directory))
        return -1;
    snprintf(f->db, sizeof f->db, "%s/store.db", f->directory);
    f->key = (struct api_credential){"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};
    f->credentials = (struct api_credentials){&f->key, 1};
    f->server = start(f, &f->credentials);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    api_server_stop(f->server);
    char command[160];
    snprintf(command, sizeof command, "rm -rf '%s'", f->directory);
    if (system(command) != 0)
        return -1;
    free(f);
    return 0;
}

static size_t collect(char *data, size_t size, size_t count, void *context)
{
    char *body = context;
    size_t used = strlen(body), length = size * count;
    if (used + length < 4096) {
        memcpy(body + used, data, length);
        body[used + length] = '\0';
    }
    return length;
}

/* POSTs a Logs JSON 1.1 request signed by libcurl; returns the status, body in `body`. */
static long logs_call(struct api_server *server, const char *operation, const char *json,
                      char body[4096])
{
    CURL *curl = curl_easy_init();
    char url[64], target[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", api_server_port(server));
    snprintf(target, sizeof target, "X-Amz-Target: Logs_20140328.%s", operation);
    struct curl_slist *headers = curl_slist_append(NULL, target);
    headers = curl_slist_append(headers, "Content-Type: application/x-amz-json-1.1");
    body[0] = '\0';
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:logs");
    curl_easy_setopt(curl, CURLOPT_USERPWD, "AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
    long status = 0;
    if (curl_easy_perform(curl) == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return status;
}

static const char EVENTS[] =
    "{\"logGroupName\": \"G\", \"logStreamName\": \"s\", \"logEvents\": ["
    "{\"timestamp\": 1700000000000, \"message\": \"{\\\"errorCode\\\":\\\"AccessDenied\\\"}\"},"
    "{\"timestamp\": 1700000001000, \"message\": \"second\"}]}";

static void test_put_log_events_reaches_ingestion(void **state)
{
    struct fixture *f = *state;
    char body[4096];
    assert_int_equal(logs_call(f->server, "CreateLogGroup", "{\"logGroupName\": \"G\"}", body),
                     200);
    assert_int_equal(logs_call(f->server, "CreateLogStream",
                               "{\"logGroupName\": \"G\", \"logStreamName\": \"s\"}", body),
                     200);
    assert_int_equal(logs_call(f->server, "PutLogEvents", EVENTS, body), 200);
    assert_non_null(strstr(body, "\"nextSequenceToken\""));
    assert_int_equal(f->received.calls, 1);
    assert_int_equal(f->received.count, 2);
    assert_string_equal(f->received.group, "G");
    assert_string_equal(f->received.stream, "s");
    assert_string_equal(f->received.first, "{\"errorCode\":\"AccessDenied\"}");
    assert_int_equal(f->received.first_timestamp, INT64_C(1700000000000));

    f->received.refuse = true;
    assert_int_equal(logs_call(f->server, "PutLogEvents", EVENTS, body), 500);
    assert_non_null(strstr(body, "ServiceUnavailableException"));
    assert_int_equal(f->received.count, 2);
}

static void test_bad_bodies_are_aws_errors(void **state)
{
    struct fixture *f = *state;
    char body[4096];
    const char *bad[] = {
        "", "[]", "{", "{\"logGroupName\": 5}", "\"x\"", "{\"logGroupName\": \"a\\u0000b\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        long status = logs_call(f->server, "CreateLogGroup", bad[i], body);
        assert_true(status == 400);
        assert_non_null(strstr(body, "\"__type\":"));
    }
    assert_int_equal(logs_call(f->server, "NoSuchOperation", "{}", body), 400);
    assert_non_null(strstr(body, "UnknownOperationException"));
}

static void test_no_credentials_refuses_everything(void **state)
{
    struct fixture *f = *state;
    api_server_stop(f->server);
    f->server = start(f, NULL);
    char body[4096];
    assert_int_equal(logs_call(f->server, "CreateLogGroup", "{\"logGroupName\": \"H\"}", body),
                     400);
    assert_non_null(strstr(body, "UnrecognizedClientException"));
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_log_events_reaches_ingestion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_bodies_are_aws_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_credentials_refuses_everything, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
