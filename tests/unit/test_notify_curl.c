/* libcurl loaded on first use (notify/notify_curl.h): a delivery without the loaded table
 * is a retry that says so; each load is a table of its own, the real libcurl's functions,
 * and deliveries given one go through it. */
#include "notify/notify.h"
#include "notify/notify_curl.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "../support/closed_port.h"

/* A loopback URL where nothing listens. */
static void closed_port_url(char *url, size_t size)
{
    int port = closed_loopback_port();
    assert_true(port > 0);
    snprintf(url, size, "http://127.0.0.1:%d/", port);
}

static struct notify_result deliver_http(const struct notify_curl *curl, const char *url)
{
    struct notify_delivery delivery = {
        .protocol = NOTIFY_HTTP, .endpoint = url, .body = "{}", .timeout_seconds = 5, .curl = curl};
    struct notify_result result;
    notify_deliver(&delivery, &result);
    return result;
}

static void delivery_without_the_library_is_a_retry(void **state)
{
    (void)state;
    char url[64];
    closed_port_url(url, sizeof url);
    struct notify_result result = deliver_http(NULL, url);
    assert_int_equal(result.outcome, NOTIFY_RETRY);
    assert_string_equal(result.detail,
                        "libcurl is not loaded (the command did not load " NOTIFY_CURL_SONAME ")");
}

static void each_load_is_its_own_table(void **state)
{
    (void)state;
    struct notify_error error = {{0}};
    struct notify_curl *first = notify_curl_load(&error);
    struct notify_curl *second = notify_curl_load(&error);
    assert_non_null(first);
    assert_non_null(second);
    assert_ptr_not_equal(first, second);
    assert_ptr_equal(first->easy_init, second->easy_init); /* the same library */
    notify_curl_unload(first);
    /* the other load still works after one is unloaded */
    CURL *handle = second->easy_init();
    assert_non_null(handle);
    char *escaped = second->easy_escape(handle, "a b&c", 0);
    assert_string_equal(escaped, "a%20b%26c");
    second->free(escaped);
    second->easy_cleanup(handle);
    notify_curl_unload(second);
    notify_curl_unload(NULL); /* nothing loaded: nothing happens */
}

static void delivery_with_the_library_goes_through_libcurl(void **state)
{
    (void)state;
    struct notify_error error = {{0}};
    struct notify_curl *curl = notify_curl_load(&error);
    assert_non_null(curl);
    char url[64];
    closed_port_url(url, sizeof url);
    struct notify_result result = deliver_http(curl, url);
    notify_curl_unload(curl);
    assert_int_equal(result.outcome, NOTIFY_RETRY); /* refused: libcurl's own words */
    assert_ptr_equal(strstr(result.detail, "http://127.0.0.1:"), result.detail);
    assert_non_null(strstr(result.detail, "onnect"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(delivery_without_the_library_is_a_retry),
        cmocka_unit_test(each_load_is_its_own_table),
        cmocka_unit_test(delivery_with_the_library_goes_through_libcurl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
