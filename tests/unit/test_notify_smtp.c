/* E-mail deliveries against Debian's aiosmtpd (tests/support/smtp_receiver.py): the
 * RFC 5322 message as Python's e-mail parser reads it, dot-stuffing, quoted-printable,
 * RFC 2047 subjects, AUTH, STARTTLS, and SMTP's reply classes as outcomes. */
#include "notify/notify.h"
#include "notify/notify_curl.h"
#include "notify/notify_transport.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "../support/receivers.h"

#define USER "mailer"
#define PASSWORD "s3cret-pass"
#define FROM "Trailhound Alarms <alarms@trailhound.test>"

/* libcurl as a command loads it (the group setup), for every delivery */
static struct notify_curl *curl;

static struct receiver plain_server, auth_server, tls_server;

static int start_servers(void **state)
{
    (void)state;
    struct notify_error curl_error; /* as the commands that deliver do */
    if (!(curl = notify_curl_load(&curl_error))) {
        print_error("%s\n", curl_error.message);
        return -1;
    }
    const char *auth[] = {"--user", USER, "--password", PASSWORD, NULL};
    if (!receiver_start(&plain_server, "smtp_receiver.py", NULL) ||
        !receiver_start(&auth_server, "smtp_receiver.py", auth))
        return -1;
    char tls_dir[160];
    snprintf(tls_dir, sizeof tls_dir, "%s", plain_server.directory);
    const char *tls[] = {"--tls-dir", tls_dir, NULL};
    return receiver_start(&tls_server, "smtp_receiver.py", tls) ? 0 : -1;
}

static int stop_servers(void **state)
{
    (void)state;
    receiver_stop(&tls_server);
    receiver_stop(&auth_server);
    receiver_stop(&plain_server);
    notify_curl_unload(curl);
    curl = NULL;
    return 0;
}

static char url_text[3][64];

static struct notify_smtp_settings settings_for(const struct receiver *server, int slot)
{
    snprintf(url_text[slot], sizeof url_text[slot], "smtp://127.0.0.1:%d", server->port);
    return (struct notify_smtp_settings){.url = url_text[slot], .from = FROM};
}

static struct notify_delivery mail(const struct notify_smtp_settings *smtp, const char *to,
                                   const char *subject, const char *body)
{
    return (struct notify_delivery){
        .curl = curl,
        .protocol = NOTIFY_EMAIL,
        .endpoint = to,
        .subject = subject,
        .body = body,
        .message_id = "5b3e1d52-8c1e-5f0a-b7a4-9d2c6e0f4a11",
        .smtp = smtp,
        .timeout_seconds = 10,
    };
}

static json_t *last_message(const struct receiver *server, json_t **log)
{
    *log = receiver_log(server);
    size_t count = json_array_size(*log);
    assert_true(count > 0);
    return json_array_get(*log, count - 1);
}

/* The exact text, headers in order, for a plain ASCII message. */
static void message_text(void **state)
{
    (void)state;
    struct notify_smtp_settings smtp = {.url = "smtp://relay", .from = FROM};
    struct notify_delivery delivery =
        mail(&smtp, "ops@example.com", "ALARM: \"root_usage_alarm\" in EU (Ireland)",
             "line one\nline two\r\n.dot\n");
    char *text = notify_smtp_message(&delivery, 1795687851, "unused");
    assert_string_equal(text,
                        "From: Trailhound Alarms <alarms@trailhound.test>\r\n"
                        "To: ops@example.com\r\n"
                        "Subject: ALARM: \"root_usage_alarm\" in EU (Ireland)\r\n"
                        "Date: Thu, 26 Nov 2026 10:10:51 +0000\r\n"
                        "Message-ID: <5b3e1d52-8c1e-5f0a-b7a4-9d2c6e0f4a11@trailhound.test>\r\n"
                        "MIME-Version: 1.0\r\n"
                        "Content-Type: text/plain; charset=UTF-8\r\n"
                        "Content-Transfer-Encoding: 7bit\r\n"
                        "Auto-Submitted: auto-generated\r\n"
                        "\r\n"
                        "line one\r\nline two\r\n.dot\r\n");
    free(text);
}

/* Non-ASCII subjects become RFC 2047 encoded words; a line break cannot inject a header. */
static void subject_encoding(void **state)
{
    (void)state;
    struct notify_smtp_settings smtp = {.url = "smtp://relay", .from = "alarms@trailhound.test"};
    struct notify_delivery delivery =
        mail(&smtp, "ops@example.com",
             "ALARM: \"Zugriff verweigert f\xc3\xbcr Wurzel-Konto\" in EU (Ireland)", "x");
    delivery.message_id = NULL;
    char *text = notify_smtp_message(&delivery, 0, "abc123");
    assert_non_null(strstr(text, "From: alarms@trailhound.test\r\n"));
    assert_non_null(strstr(
        text,
        "Subject: =?UTF-8?B?QUxBUk06ICJadWdyaWZmIHZlcndlaWdlcnQgZsO8ciBXdXJ6ZWwtS29udG8i?=\r\n"
        " =?UTF-8?B?IGluIEVVIChJcmVsYW5kKQ==?=\r\n"));
    assert_non_null(strstr(text, "Message-ID: <abc123@trailhound.test>\r\n"));
    free(text);
    delivery.subject = "hello\r\nBcc: everyone@example.com";
    text = notify_smtp_message(&delivery, 0, "abc123");
    assert_non_null(strstr(text, "Subject: hello  Bcc: everyone@example.com\r\n"));
    assert_null(strstr(text, "\nBcc"));
    free(text);
}

static void assert_header(json_t *message, const char *name, const char *value)
{
    const char *found = receiver_header(message, name);
    if (!found || strcmp(found, value) != 0)
        fail_msg("%s: %s, expected %s", name, found ? found : "(absent)", value);
}

static void email_delivered(void **state)
{
    (void)state;
    struct notify_smtp_settings smtp = settings_for(&plain_server, 0);
    const char *subject = "OK: \"caf\xc3\xa9_alarm\" in EU (Ireland)";
    struct notify_delivery delivery =
        mail(&smtp, "ops@example.com", subject, "First line\n.\n..two dots\nlast");
    struct notify_result result;
    notify_deliver(&delivery, &result);
    if (result.outcome != NOTIFY_DELIVERED)
        fail_msg("%s", result.detail);
    assert_int_equal(result.status, 250);
    assert_non_null(strstr(result.detail, "queued as trailhound-test"));
    json_t *log, *message = last_message(&plain_server, &log);
    assert_string_equal(receiver_string(message, "mail_from"), "alarms@trailhound.test");
    assert_string_equal(json_string_value(json_array_get(json_object_get(message, "rcpt_tos"), 0)),
                        "ops@example.com");
    assert_string_equal(receiver_string(message, "subject"), subject);
    assert_string_equal(receiver_string(message, "body"),
                        "First line\r\n.\r\n..two dots\r\nlast\r\n");
    assert_header(message, "From", FROM);
    assert_header(message, "To", "ops@example.com");
    assert_header(message, "MIME-Version", "1.0");
    assert_header(message, "Content-Type", "text/plain; charset=UTF-8");
    assert_header(message, "Message-ID", "<5b3e1d52-8c1e-5f0a-b7a4-9d2c6e0f4a11@trailhound.test>");
    assert_non_null(receiver_header(message, "Date"));
    json_decref(log);
}

/* email-json: the JSON envelope as the body, still text/plain as SNS sends it. */
static void email_json_is_text_plain(void **state)
{
    (void)state;
    struct notify_smtp_settings smtp = settings_for(&plain_server, 0);
    const char *json = "{\"Type\":\"Notification\",\"Message\":\"{\\\"AlarmName\\\":\\\"x\\\"}\"}";
    struct notify_delivery delivery = mail(&smtp, "ops@example.com", "ALARM: x", json);
    delivery.protocol = NOTIFY_EMAIL_JSON;
    struct notify_result result;
    notify_deliver(&delivery, &result);
    assert_int_equal(result.outcome, NOTIFY_DELIVERED);
    json_t *log, *message = last_message(&plain_server, &log);
    assert_header(message, "Content-Type", "text/plain; charset=UTF-8");
    char expected[256];
    snprintf(expected, sizeof expected, "%s\r\n", json);
    assert_string_equal(receiver_string(message, "body"), expected);
    json_decref(log);
}

/* A 1500-character line with non-ASCII text travels quoted-printable, lines ≤ 76. */
static void long_lines_are_quoted_printable(void **state)
{
    (void)state;
    char body[2048];
    size_t length = 0;
    for (int i = 0; i < 200; i++)
        length += (size_t)snprintf(body + length, sizeof body - length, "d\xc3\xa9j\xc3\xa0 ");
    snprintf(body + length, sizeof body - length, "=end\t\nnext");
    struct notify_smtp_settings smtp = settings_for(&plain_server, 0);
    struct notify_delivery delivery = mail(&smtp, "ops@example.com", "long", body);
    struct notify_result result;
    notify_deliver(&delivery, &result);
    assert_int_equal(result.outcome, NOTIFY_DELIVERED);
    json_t *log, *message = last_message(&plain_server, &log);
    assert_header(message, "Content-Transfer-Encoding", "quoted-printable");
    char expected[2100];
    snprintf(expected, sizeof expected, "%.*s=end\t\r\nnext\r\n", (int)length, body);
    assert_string_equal(receiver_string(message, "body"), expected);
    const char *raw = receiver_string(message, "raw");
    for (const char *line = strstr(raw, "\r\n\r\n") + 4; *line;) {
        size_t line_length = strcspn(line, "\r\n");
        assert_true(line_length <= 76);
        line += line_length + strspn(line + line_length, "\r\n");
    }
    json_decref(log);
}

static void refused_recipient_is_permanent(void **state)
{
    (void)state;
    struct notify_smtp_settings smtp = settings_for(&plain_server, 0);
    struct notify_delivery delivery = mail(&smtp, "refused@example.com", "s", "b");
    struct notify_result result;
    notify_deliver(&delivery, &result);
    assert_int_equal(result.outcome, NOTIFY_PERMANENT);
    assert_int_equal(result.status, 550);
    if (!strstr(result.detail, "550 5.1.1 recipient refused"))
        fail_msg("%s", result.detail);
}

static void temporary_refusal_is_retried(void **state)
{
    (void)state;
    struct notify_smtp_settings smtp = settings_for(&plain_server, 0);
    struct notify_delivery delivery = mail(&smtp, "later@example.com", "s", "b");
    struct notify_result result;
    notify_deliver(&delivery, &result);
    assert_int_equal(result.outcome, NOTIFY_RETRY);
    assert_int_equal(result.status, 451);
}

static void authenticated_relay(void **state)
{
    (void)state;
    struct notify_smtp_settings smtp = settings_for(&auth_server, 1);
    smtp.username = USER;
    smtp.password = PASSWORD;
    struct notify_delivery delivery = mail(&smtp, "ops@example.com", "s", "b");
    struct notify_result result;
    notify_deliver(&delivery, &result);
    if (result.outcome != NOTIFY_DELIVERED)
        fail_msg("%s", result.detail);
    json_t *log, *message = last_message(&auth_server, &log);
    assert_string_equal(receiver_string(message, "login"), USER);
    json_decref(log);

    smtp.password = "wrong-password";
    notify_deliver(&delivery, &result);
    if (result.outcome != NOTIFY_PERMANENT)
        fail_msg("%s", result.detail);
    assert_int_equal(result.status, 535);
    assert_null(strstr(result.detail, "wrong-password"));
}

static void starttls_required_but_not_offered(void **state)
{
    (void)state;
    struct notify_smtp_settings smtp = settings_for(&plain_server, 0);
    smtp.starttls = true;
    struct notify_delivery delivery = mail(&smtp, "ops@example.com", "s", "b");
    struct notify_result result;
    notify_deliver(&delivery, &result);
    assert_int_equal(result.outcome, NOTIFY_RETRY);
    if (!strstr(result.detail, "STARTTLS"))
        fail_msg("%s", result.detail);
}

/* STARTTLS is attempted and the certificate checked: a self-signed one is refused. */
static void starttls_checks_the_certificate(void **state)
{
    (void)state;
    struct notify_smtp_settings smtp = settings_for(&tls_server, 2);
    smtp.starttls = true;
    struct notify_delivery delivery = mail(&smtp, "ops@example.com", "s", "b");
    struct notify_result result;
    notify_deliver(&delivery, &result);
    assert_int_equal(result.outcome, NOTIFY_RETRY);
    if (!strstr(result.detail, "certificate"))
        fail_msg("%s", result.detail);
    smtp.starttls = false; /* the same server without TLS accepts plain delivery */
    notify_deliver(&delivery, &result);
    assert_int_equal(result.outcome, NOTIFY_DELIVERED);
}

static void unreachable_relay_is_retried(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t length = sizeof address;
    bind(fd, (struct sockaddr *)&address, sizeof address);
    getsockname(fd, (struct sockaddr *)&address, &length);
    close(fd);
    char url[64];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", ntohs(address.sin_port));
    struct notify_smtp_settings smtp = {.url = url, .from = FROM};
    struct notify_delivery delivery = mail(&smtp, "ops@example.com", "s", "b");
    struct notify_result result;
    notify_deliver(&delivery, &result);
    assert_int_equal(result.outcome, NOTIFY_RETRY);
    assert_int_equal(result.status, 0);
}

static void bad_addresses_are_permanent(void **state)
{
    (void)state;
    struct notify_smtp_settings smtp = settings_for(&plain_server, 0);
    struct notify_result result;
    struct notify_delivery delivery = mail(&smtp, "ops@example.com>\r\nRCPT TO:<x@y>", "s", "b");
    notify_deliver(&delivery, &result);
    assert_int_equal(result.outcome, NOTIFY_PERMANENT);
    smtp.from = "no address here";
    delivery = mail(&smtp, "ops@example.com", "s", "b");
    notify_deliver(&delivery, &result);
    assert_int_equal(result.outcome, NOTIFY_PERMANENT);
    delivery.smtp = NULL;
    notify_deliver(&delivery, &result);
    assert_int_equal(result.outcome, NOTIFY_PERMANENT);
    assert_string_equal(result.detail, "no SMTP relay configured");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(message_text),
        cmocka_unit_test(subject_encoding),
        cmocka_unit_test(email_delivered),
        cmocka_unit_test(email_json_is_text_plain),
        cmocka_unit_test(long_lines_are_quoted_printable),
        cmocka_unit_test(refused_recipient_is_permanent),
        cmocka_unit_test(temporary_refusal_is_retried),
        cmocka_unit_test(authenticated_relay),
        cmocka_unit_test(starttls_required_but_not_offered),
        cmocka_unit_test(starttls_checks_the_certificate),
        cmocka_unit_test(unreachable_relay_is_retried),
        cmocka_unit_test(bad_addresses_are_permanent),
    };
    return cmocka_run_group_tests(tests, start_servers, stop_servers);
}
