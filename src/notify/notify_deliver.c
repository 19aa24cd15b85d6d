/* One delivery attempt: dispatch to the transport, and the result helpers they share. */
#include "notify/notify_transport.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

long notify_timeout_seconds(const struct notify_delivery *delivery)
{
    return delivery->timeout_seconds > 0 ? delivery->timeout_seconds
                                         : NOTIFY_DEFAULT_TIMEOUT_SECONDS;
}

void notify_result_set(struct notify_result *result, enum notify_outcome outcome, long status,
                       const char *format, ...)
{
    result->outcome = outcome;
    result->status = status;
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(result->detail, sizeof result->detail, format, arguments);
    va_end(arguments);
}

/* The length a UTF-8 lead byte announces (1–4), 0 for a byte that cannot start one. */
static size_t utf8_announced_length(unsigned char lead)
{
    if (lead < 0x80)
        return 1;
    if (lead >= 0xc2 && lead <= 0xdf)
        return 2;
    if (lead >= 0xe0 && lead <= 0xef)
        return 3;
    if (lead >= 0xf0 && lead <= 0xf4)
        return 4;
    return 0;
}

/* Whether the `length` bytes at `text` are one valid UTF-8 character (no overlong form,
 * no surrogate, nothing above U+10FFFF). */
static bool utf8_valid_sequence(const unsigned char *text, size_t length)
{
    unsigned char low = 0x80, high = 0xbf; /* the second byte's range */
    if (text[0] == 0xe0)
        low = 0xa0;
    else if (text[0] == 0xed)
        high = 0x9f;
    else if (text[0] == 0xf0)
        low = 0x90;
    else if (text[0] == 0xf4)
        high = 0x8f;
    if (text[1] < low || text[1] > high)
        return false;
    for (size_t i = 2; i < length; i++)
        if ((text[i] & 0xc0) != 0x80)
            return false;
    return true;
}

void notify_result_append_excerpt(struct notify_result *result, const char *text, size_t length)
{
    const unsigned char *bytes = (const unsigned char *)text;
    size_t used = strlen(result->detail), room = sizeof result->detail - 1 - used;
    for (size_t i = 0; i < length;) {
        size_t sequence = utf8_announced_length(bytes[i]);
        if (sequence > length - i)
            break; /* a character cut by the end of the excerpt */
        if (sequence > 1 && utf8_valid_sequence(bytes + i, sequence)) {
            if (sequence > room)
                break;
            memcpy(result->detail + used, bytes + i, sequence);
        } else {
            if (room == 0)
                break;
            bool printable = sequence == 1 && bytes[i] >= 0x20 && bytes[i] != 0x7f;
            result->detail[used] = printable ? (char)bytes[i] : sequence == 1 ? ' ' : '?';
            sequence = 1;
        }
        used += sequence;
        room -= sequence;
        i += sequence;
    }
    result->detail[used] = '\0';
}

void notify_result_scrub(struct notify_result *result, const char *secret)
{
    static const char replacement[] = "…";
    size_t secret_length = secret ? strlen(secret) : 0;
    if (secret_length < 4)
        return;
    char *found;
    while ((found = strstr(result->detail, secret)) != NULL) {
        size_t tail = strlen(found + secret_length) + 1;
        memmove(found + sizeof replacement - 1, found + secret_length, tail);
        memcpy(found, replacement, sizeof replacement - 1);
    }
}

void notify_result_scrub_url(struct notify_result *result, const char *url)
{
    const char *authority = strstr(url, "://");
    if (!authority)
        return;
    authority += 3;
    size_t authority_length = strcspn(authority, "/?#");
    const char *at = memchr(authority, '@', authority_length);
    char user_information[512];
    if (at && (size_t)(at - authority) < sizeof user_information) {
        memcpy(user_information, authority, (size_t)(at - authority));
        user_information[at - authority] = '\0';
        notify_result_scrub(result, user_information);
        const char *colon = strchr(user_information, ':');
        if (colon)
            notify_result_scrub(result, colon + 1);
    }
    notify_result_scrub(result, authority + authority_length);
}

typedef void curl_transport(const struct notify_curl *library,
                            const struct notify_delivery *delivery, struct notify_result *result);

/* The transport of a protocol that goes through libcurl (all but exec); NULL: none. */
static curl_transport *curl_transport_for(enum notify_protocol protocol)
{
    switch (protocol) {
    case NOTIFY_EMAIL:
    case NOTIFY_EMAIL_JSON:
        return notify_deliver_smtp;
    case NOTIFY_HTTP:
    case NOTIFY_HTTPS:
        return notify_deliver_http;
    case NOTIFY_SLACK:
        return notify_deliver_slack;
    case NOTIFY_PAGERDUTY:
        return notify_deliver_pagerduty;
    case NOTIFY_SNS:
        return notify_deliver_sns;
    case NOTIFY_EXEC:
        break;
    }
    return NULL;
}

void notify_deliver(const struct notify_delivery *delivery, struct notify_result *result)
{
    *result = (struct notify_result){.outcome = NOTIFY_PERMANENT};
    if (!delivery->endpoint || !*delivery->endpoint) {
        notify_result_set(result, NOTIFY_PERMANENT, 0, "no endpoint");
        return;
    }
    if (delivery->protocol == NOTIFY_EXEC) {
        notify_deliver_exec(delivery, result);
        return;
    }
    curl_transport *transport = curl_transport_for(delivery->protocol);
    const struct notify_curl *library = delivery->curl;
    if (!transport)
        notify_result_set(result, NOTIFY_PERMANENT, 0, "unknown protocol %d",
                          (int)delivery->protocol);
    else if (!library) /* a retry: the message waits for a run that loaded libcurl */
        notify_result_set(result, NOTIFY_RETRY, 0,
                          "libcurl is not loaded (the command did not load " NOTIFY_CURL_SONAME
                          ")");
    else
        transport(library, delivery, result);
}
