/* HTTP deliveries: SNS's HTTP/S protocol (§4.1, §4.6), Slack incoming webhooks (§6) and
 * PagerDuty Events v2 (§7), over one POST helper that SNS Publish uses too. Redirects are
 * not followed (SNS counts a 3xx as delivered), and only http/https URLs are accepted. */
#include "notify/notify_transport.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAGERDUTY_DEFAULT_URL "https://events.pagerduty.com/v2/enqueue"

static size_t keep_body_start(char *data, size_t size, size_t count, void *context)
{
    struct notify_http_response *response = context;
    size_t length = size * count;
    size_t room = sizeof response->body - 1 - response->body_length;
    size_t kept = length < room ? length : room;
    memcpy(response->body + response->body_length, data, kept);
    response->body_length += kept;
    response->body[response->body_length] = '\0';
    return length; /* the rest is read and dropped */
}

static bool set_post_options(CURL *curl, const struct notify_http_request *request,
                             struct notify_http_response *response)
{
    const struct notify_curl *library = request->library;
    bool ok = library->easy_setopt(curl, CURLOPT_URL, request->url) == CURLE_OK &&
              library->easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
              library->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
              library->easy_setopt(curl, CURLOPT_TIMEOUT, request->timeout_seconds) == CURLE_OK &&
              library->easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                                   (curl_off_t)request->body_length) == CURLE_OK &&
              library->easy_setopt(curl, CURLOPT_POSTFIELDS, request->body) == CURLE_OK &&
              library->easy_setopt(curl, CURLOPT_HTTPHEADER, request->headers) == CURLE_OK &&
              library->easy_setopt(curl, CURLOPT_WRITEFUNCTION, keep_body_start) == CURLE_OK &&
              library->easy_setopt(curl, CURLOPT_WRITEDATA, response) == CURLE_OK &&
              library->easy_setopt(curl, CURLOPT_ERRORBUFFER, response->error) == CURLE_OK;
    if (ok && request->ca_file)
        ok = library->easy_setopt(curl, CURLOPT_CAINFO, request->ca_file) == CURLE_OK;
    if (ok && request->url_credentials)
        ok = library->easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_ANY) == CURLE_OK;
    if (ok && request->sigv4)
        ok = library->easy_setopt(curl, CURLOPT_AWS_SIGV4, request->sigv4) == CURLE_OK &&
             library->easy_setopt(curl, CURLOPT_USERPWD, request->user_password) == CURLE_OK;
    return ok;
}

bool notify_http_post(const struct notify_http_request *request,
                      struct notify_http_response *response, struct notify_result *result)
{
    const struct notify_curl *library = request->library;
    *response = (struct notify_http_response){.code = CURLE_OK};
    CURL *curl = library->easy_init();
    if (!curl || !set_post_options(curl, request, response)) {
        library->easy_cleanup(curl);
        notify_result_set(result, NOTIFY_RETRY, 0, "cannot set up an HTTP request to %s",
                          request->shown_url);
        return false;
    }
    response->code = library->easy_perform(curl);
    library->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response->status);
    curl_off_t retry_after = 0;
    if (library->easy_getinfo(curl, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK &&
        retry_after > 0)
        response->retry_after_ms = (int64_t)retry_after * 1000;
    library->easy_cleanup(curl);
    return true;
}

void notify_result_transfer_failed(struct notify_result *result,
                                   const struct notify_http_request *request,
                                   const struct notify_http_response *response)
{
    const char *reason =
        response->error[0] ? response->error : request->library->easy_strerror(response->code);
    notify_result_set(result, NOTIFY_RETRY, 0, "%s: ", request->shown_url);
    notify_result_append_excerpt(result, reason, strlen(reason));
}

/* How one HTTP transport builds its request and judges the answer. */
struct http_transport {
    struct curl_slist *(*headers)(const struct notify_curl *library,
                                  const struct notify_delivery *delivery, bool *ok);
    enum notify_outcome (*classify)(long status);
    bool url_credentials;    /* Basic/Digest credentials from the URL */
    bool body_on_failure;    /* the answer's text explains a refusal */
    bool endpoint_is_secret; /* PagerDuty: the endpoint is the routing key */
};

/* "HTTP 404 from https://hooks.slack.com/…: channel_not_found" */
static void describe_answer(struct notify_result *result, const struct http_transport *transport,
                            const struct notify_http_request *request,
                            const struct notify_http_response *response)
{
    enum notify_outcome outcome = transport->classify(response->status);
    notify_result_set(result, outcome, response->status, "HTTP %ld from %s", response->status,
                      request->shown_url);
    if (transport->body_on_failure && outcome != NOTIFY_DELIVERED && response->body_length > 0) {
        notify_result_append_excerpt(result, ": ", 2);
        notify_result_append_excerpt(result, response->body, response->body_length);
    }
    if (outcome == NOTIFY_RETRY)
        result->retry_after_ms = response->retry_after_ms;
}

static void post_and_classify(const struct http_transport *transport,
                              const struct notify_http_request *request,
                              struct notify_result *result)
{
    struct notify_http_response response;
    if (!notify_http_post(request, &response, result))
        return;
    if (response.code == CURLE_OPERATION_TIMEDOUT)
        notify_result_set(result, NOTIFY_RETRY, response.status,
                          "%s: no complete answer within %ld s", request->shown_url,
                          request->timeout_seconds);
    else if (response.code != CURLE_OK && response.status == 0)
        notify_result_transfer_failed(result, request, &response);
    else
        describe_answer(result, transport, request, &response);
}

/* One POST of the delivery's body to `url`; what may hide a secret is scrubbed after. */
static void post(const struct notify_curl *library, const struct notify_delivery *delivery,
                 const char *url, const struct http_transport *transport,
                 struct notify_result *result)
{
    char *shown = notify_redact(NOTIFY_HTTPS, url);
    const char *body = delivery->body ? delivery->body : "";
    bool headers_ok = true;
    struct notify_http_request request = {
        .library = library,
        .url = url,
        .shown_url = shown ? shown : "…",
        .body = body,
        .body_length = strlen(body),
        .headers = transport->headers(library, delivery, &headers_ok),
        .timeout_seconds = notify_timeout_seconds(delivery),
        .ca_file = delivery->ca_file,
        .url_credentials = transport->url_credentials,
    };
    if (headers_ok)
        post_and_classify(transport, &request, result);
    else
        notify_result_set(result, NOTIFY_PERMANENT, 0,
                          "cannot build the request headers for %s (a value has a line break "
                          "or is too long, or out of memory)",
                          request.shown_url);
    notify_result_scrub_url(result, url);
    if (transport->endpoint_is_secret)
        notify_result_scrub(result, delivery->endpoint);
    free(shown);
    library->slist_free_all(request.headers);
}

static bool url_has_scheme(const char *url, const char *scheme)
{
    size_t length = strlen(scheme);
    return strncmp(url, scheme, length) == 0 && strncmp(url + length, "://", 3) == 0;
}

/* ---- SNS's HTTP/S protocol ---- */

/* §4.6: any status in 200–499 counts as delivered; 5xx and anything else is retried. */
static enum notify_outcome classify_sns_http(long status)
{
    return status >= 200 && status <= 499 ? NOTIFY_DELIVERED : NOTIFY_RETRY;
}

static struct curl_slist *append_header(const struct notify_curl *library, struct curl_slist *list,
                                        bool *ok, const char *name, const char *value)
{
    if (!*ok || !value)
        return list;
    char line[1024];
    int length = snprintf(line, sizeof line, "%s: %s", name, value);
    if (length < 0 || (size_t)length >= sizeof line || strpbrk(value, "\r\n")) {
        *ok = false;
        return list;
    }
    struct curl_slist *longer = library->slist_append(list, line);
    if (!longer)
        *ok = false;
    return longer ? longer : list;
}

/* §4.1's headers; the subscription ARN is left out of a confirmation (still pending). */
static struct curl_slist *sns_headers(const struct notify_curl *library,
                                      const struct notify_delivery *delivery, bool *ok)
{
    struct curl_slist *list = NULL;
    const char *type = delivery->message_type ? delivery->message_type : "Notification";
    list = append_header(library, list, ok, "Content-Type", "text/plain; charset=UTF-8");
    list =
        append_header(library, list, ok, "User-Agent", "Amazon Simple Notification Service Agent");
    list = append_header(library, list, ok, "x-amz-sns-message-type", type);
    list = append_header(library, list, ok, "x-amz-sns-message-id", delivery->message_id);
    list = append_header(library, list, ok, "x-amz-sns-topic-arn", delivery->topic_arn);
    if (strcmp(type, "SubscriptionConfirmation") != 0)
        list = append_header(library, list, ok, "x-amz-sns-subscription-arn",
                             delivery->subscription_arn);
    if (delivery->raw_delivery)
        list = append_header(library, list, ok, "x-amz-sns-rawdelivery", "true");
    return list;
}

static const struct http_transport sns_http_transport = {
    .headers = sns_headers,
    .classify = classify_sns_http,
    .url_credentials = true,
};

void notify_deliver_http(const struct notify_curl *library, const struct notify_delivery *delivery,
                         struct notify_result *result)
{
    const char *scheme = delivery->protocol == NOTIFY_HTTPS ? "https" : "http";
    if (!url_has_scheme(delivery->endpoint, scheme)) {
        notify_result_set(result, NOTIFY_PERMANENT, 0, "a %s subscription needs a %s:// URL",
                          scheme, scheme);
        return;
    }
    post(library, delivery, delivery->endpoint, &sns_http_transport, result);
}

/* ---- JSON webhooks: Slack and PagerDuty ---- */

static struct curl_slist *json_headers(const struct notify_curl *library,
                                       const struct notify_delivery *delivery, bool *ok)
{
    (void)delivery;
    struct curl_slist *list = NULL;
    list = append_header(library, list, ok, "Content-Type", "application/json");
    list = append_header(library, list, ok, "User-Agent", "trailhound");
    return list;
}

static bool is_web_url(const char *url)
{
    return url_has_scheme(url, "https") || url_has_scheme(url, "http");
}

/* §6: only 200 is success; 429 and 5xx are retried; anything else is the webhook refusing
 * the message (its reason is the body) and retrying would not change it. */
static enum notify_outcome classify_slack(long status)
{
    if (status == 200)
        return NOTIFY_DELIVERED;
    return status == 429 || (status >= 500 && status <= 599) ? NOTIFY_RETRY : NOTIFY_PERMANENT;
}

void notify_deliver_slack(const struct notify_curl *library, const struct notify_delivery *delivery,
                          struct notify_result *result)
{
    if (!is_web_url(delivery->endpoint)) {
        notify_result_set(result, NOTIFY_PERMANENT, 0, "a slack endpoint is a webhook URL");
        return;
    }
    static const struct http_transport slack = {
        .headers = json_headers, .classify = classify_slack, .body_on_failure = true};
    post(library, delivery, delivery->endpoint, &slack, result);
}

/* §7: 202 (and any 2xx) accepted; 429 and 5xx retried; 400 and other answers final. */
static enum notify_outcome classify_pagerduty(long status)
{
    if (status >= 200 && status <= 299)
        return NOTIFY_DELIVERED;
    return status == 429 || (status >= 500 && status <= 599) ? NOTIFY_RETRY : NOTIFY_PERMANENT;
}

/* Outbox bodies are rendered without the routing key (a secret must not be stored): it is
 * put in here, from the endpoint resolved for this attempt. A body that already names a key
 * keeps it. */
static char *with_routing_key(const char *body, const char *routing_key)
{
    json_t *event = json_loads(body ? body : "", 0, NULL);
    json_t *current = json_object_get(event, "routing_key");
    char *text = NULL;
    if (json_is_object(event) &&
        (!current || (json_is_string(current) && json_string_length(current) == 0)))
        if (json_object_set_new(event, "routing_key", json_string(routing_key)) == 0)
            text = json_dumps(event, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(event);
    return text;
}

void notify_deliver_pagerduty(const struct notify_curl *library,
                              const struct notify_delivery *delivery, struct notify_result *result)
{
    const char *url = delivery->pagerduty_url ? delivery->pagerduty_url : PAGERDUTY_DEFAULT_URL;
    if (!is_web_url(url)) {
        notify_result_set(result, NOTIFY_PERMANENT, 0, "the PagerDuty URL must be http(s)");
        return;
    }
    static const struct http_transport pagerduty = {.headers = json_headers,
                                                    .classify = classify_pagerduty,
                                                    .body_on_failure = true,
                                                    .endpoint_is_secret = true};
    /* The routing key travels in the body; the endpoint is the key itself. */
    char *keyed = with_routing_key(delivery->body, delivery->endpoint ? delivery->endpoint : "");
    struct notify_delivery sent = *delivery;
    if (keyed)
        sent.body = keyed;
    post(library, &sent, url, &pagerduty, result);
    free(keyed);
}
