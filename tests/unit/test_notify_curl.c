/* libcurl loaded on first use (notify/notify_curl.h): before a command loads it a delivery
 * is a retry that says so; loads and unloads pair up; once loaded the functions are the
 * real libcurl's and deliveries go through it. */
#include "notify/notify.h"
#include "notify/notify_curl.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A loopback URL where nothing listens: a port bound, read back and released. */
static void closed_port_url(char *url, size_t size)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    assert_int_equal(bind(fd, (struct sockaddr *)&address, sizeof address), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&address, &length), 0);
    close(fd);
    snprintf(url, size, "http://127.0.0.1:%d/", ntohs(address.sin_port));
}

static struct notify_result deliver_http(const char *url)
{
    struct notify_delivery delivery = {
        .protocol = NOTIFY_HTTP, .endpoint = url, .body = "{}", .timeout_seconds = 5};
    struct notify_result result;
    notify_deliver(&delivery, &result);
    return result;
}

static void delivery_before_loading_is_a_retry(void **state)
{
    (void)state;
    assert_null(notify_curl_loaded());
    char url[64];
    closed_port_url(url, sizeof url);
    struct notify_result result = deliver_http(url);
    assert_int_equal(result.outcome, NOTIFY_RETRY);
    assert_string_equal(result.detail,
                        "libcurl is not loaded (the command did not load libcurl.so.4)");
}

static void loads_and_unloads_pair_up(void **state)
{
    (void)state;
    struct notify_error error = {{0}};
    assert_true(notify_curl_load(&error));
    assert_true(notify_curl_load(&error));
    const struct notify_curl *library = notify_curl_loaded();
    assert_non_null(library);
    CURL *curl = library->easy_init();
    assert_non_null(curl);
    char *escaped = library->easy_escape(curl, "a b&c", 0);
    assert_string_equal(escaped, "a%20b%26c");
    library->free(escaped);
    library->easy_cleanup(curl);
    notify_curl_unload();
    assert_ptr_equal(notify_curl_loaded(), library); /* one load still holds it */
    notify_curl_unload();
    assert_null(notify_curl_loaded());
    notify_curl_unload(); /* one too many: nothing happens */
    assert_null(notify_curl_loaded());
}

static void delivery_after_loading_goes_through_libcurl(void **state)
{
    (void)state;
    struct notify_error error = {{0}};
    assert_true(notify_curl_load(&error));
    char url[64];
    closed_port_url(url, sizeof url);
    struct notify_result result = deliver_http(url);
    notify_curl_unload();
    assert_int_equal(result.outcome, NOTIFY_RETRY); /* refused: libcurl's own words */
    assert_ptr_equal(strstr(result.detail, "http://127.0.0.1:"), result.detail);
    assert_non_null(strstr(result.detail, "onnect"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(delivery_before_loading_is_a_retry),
        cmocka_unit_test(loads_and_unloads_pair_up),
        cmocka_unit_test(delivery_after_loading_goes_through_libcurl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
