/* sns deliveries: Publish to a real AWS SNS topic (the endpoint is its ARN) through the
 * Query API, a form-encoded POST signed with Signature Version 4 by libcurl
 * (CURLOPT_AWS_SIGV4). Credentials come from notify_aws_credentials_load. 2xx is
 * delivered; 400 Throttling (and 429) and 5xx are retried; other answers are final. */
#include "notify/notify_transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* arn:PARTITION:sns:REGION:ACCOUNT:NAME, split in place. */
struct topic_arn {
    char text[512];
    const char *partition, *region;
};

static bool parse_topic_arn(const char *arn, struct topic_arn *topic)
{
    if (strlen(arn) >= sizeof topic->text)
        return false;
    strcpy(topic->text, arn);
    char *fields[6] = {0}, *cursor = topic->text;
    for (int i = 0; i < 6; i++) {
        fields[i] = cursor;
        char *colon = i < 5 ? strchr(cursor, ':') : NULL;
        if (i < 5 && !colon)
            return false;
        if (colon) {
            *colon = '\0';
            cursor = colon + 1;
        }
    }
    topic->partition = fields[1];
    topic->region = fields[3];
    return strcmp(fields[0], "arn") == 0 && strcmp(fields[2], "sns") == 0 && *fields[1] &&
           *fields[5] && !strchr(fields[5], ':');
}

static bool valid_region(const char *region)
{
    if (!*region || strlen(region) > 64)
        return false;
    for (const char *p = region; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return false;
    return true;
}

static void append_field(const struct notify_curl *library, struct alarm_text *text, CURL *curl,
                         const char *name, const char *value)
{
    char *escaped = library->easy_escape(curl, value, 0);
    if (!escaped) {
        alarm_text_fail(text);
        return;
    }
    alarm_text_appendf(text, "%s%s=%s", text->length ? "&" : "", name, escaped);
    library->free(escaped);
}

/* Action=Publish&TopicArn=…&Message=…[&Subject=…]&Version=2010-03-31 */
static char *publish_form(const struct notify_curl *library, const struct notify_delivery *delivery)
{
    CURL *curl = library->easy_init(); /* curl_easy_escape wants a handle; it keeps nothing */
    if (!curl)
        return NULL;
    struct alarm_text text = {0};
    append_field(library, &text, curl, "Action", "Publish");
    append_field(library, &text, curl, "TopicArn", delivery->endpoint);
    append_field(library, &text, curl, "Message", delivery->body ? delivery->body : "");
    if (delivery->subject && *delivery->subject)
        append_field(library, &text, curl, "Subject", delivery->subject);
    append_field(library, &text, curl, "Version", "2010-03-31");
    library->easy_cleanup(curl);
    return alarm_text_finish(&text);
}

/* The text of <tag>…</tag> in an SNS XML answer, into `out` ("" when absent). */
static void xml_element(const char *xml, const char *tag, char *out, size_t size)
{
    char open[64], close[64];
    snprintf(open, sizeof open, "<%s>", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    out[0] = '\0';
    const char *start = strstr(xml, open);
    const char *end = start ? strstr(start, close) : NULL;
    if (!end)
        return;
    start += strlen(open);
    size_t length = (size_t)(end - start) < size - 1 ? (size_t)(end - start) : size - 1;
    memcpy(out, start, length);
    out[length] = '\0';
}

static enum notify_outcome classify_publish(const struct notify_http_response *response)
{
    long status = response->status;
    if (status >= 200 && status <= 299)
        return NOTIFY_DELIVERED;
    if (status == 429 || (status >= 500 && status <= 599))
        return NOTIFY_RETRY;
    if (status == 400 && strstr(response->body, "Throttling"))
        return NOTIFY_RETRY;
    return NOTIFY_PERMANENT;
}

static void describe_publish(struct notify_result *result,
                             const struct notify_http_request *request,
                             const struct notify_http_response *response, const char *topic)
{
    enum notify_outcome outcome = classify_publish(response);
    char first[160], second[256];
    if (outcome == NOTIFY_DELIVERED) {
        xml_element(response->body, "MessageId", first, sizeof first);
        notify_result_set(result, outcome, response->status, "published to %s: MessageId ", topic);
        notify_result_append_excerpt(result, first, strlen(first));
        return;
    }
    xml_element(response->body, "Code", first, sizeof first);
    xml_element(response->body, "Message", second, sizeof second);
    notify_result_set(result, outcome, response->status, "HTTP %ld from %s", response->status,
                      request->shown_url);
    if (first[0]) { /* AWS's error: its code and message */
        notify_result_append_excerpt(result, ": ", 2);
        notify_result_append_excerpt(result, first, strlen(first));
        notify_result_append_excerpt(result, ": ", 2);
        notify_result_append_excerpt(result, second, strlen(second));
    } else if (response->body_length > 0) { /* something else answered: what it said */
        notify_result_append_excerpt(result, ": ", 2);
        notify_result_append_excerpt(result, response->body, response->body_length);
    }
    if (outcome == NOTIFY_RETRY)
        result->retry_after_ms = response->retry_after_ms;
}

static struct curl_slist *publish_headers(const struct notify_curl *library,
                                          const struct notify_aws_credentials *credentials,
                                          bool *ok)
{
    struct curl_slist *list = library->slist_append(
        NULL, "Content-Type: application/x-www-form-urlencoded; charset=utf-8");
    struct curl_slist *longer = list ? library->slist_append(list, "User-Agent: trailhound") : NULL;
    if (longer && credentials->session_token) {
        struct alarm_text line = {0};
        alarm_text_appendf(&line, "X-Amz-Security-Token: %s", credentials->session_token);
        char *text = alarm_text_finish(&line);
        longer = text ? library->slist_append(list, text) : NULL;
        free(text);
    }
    *ok = longer != NULL;
    return list;
}

static void post_publish(const struct notify_curl *library, const struct notify_delivery *delivery,
                         const char *url, const char *region,
                         const struct notify_aws_credentials *credentials,
                         struct notify_result *result)
{
    char sigv4[128], *user_password = NULL, *shown = notify_redact(NOTIFY_HTTPS, url);
    snprintf(sigv4, sizeof sigv4, "aws:amz:%s:sns", region);
    struct alarm_text pair = {0};
    alarm_text_appendf(&pair, "%s:%s", credentials->access_key_id, credentials->secret_access_key);
    user_password = alarm_text_finish(&pair);
    char *form = publish_form(library, delivery);
    bool headers_ok;
    struct curl_slist *headers = publish_headers(library, credentials, &headers_ok);
    struct notify_http_request request = {
        .library = library,
        .url = url,
        .shown_url = shown ? shown : "…",
        .body = form,
        .body_length = form ? strlen(form) : 0,
        .headers = headers,
        .timeout_seconds = notify_timeout_seconds(delivery),
        .ca_file = delivery->ca_file,
        .sigv4 = sigv4,
        .user_password = user_password,
    };
    struct notify_http_response response;
    if (!form || !user_password || !headers_ok)
        notify_result_set(result, NOTIFY_RETRY, 0, "out of memory building the Publish request");
    else if (notify_http_post(&request, &response, result)) {
        if (response.status == 0)
            notify_result_transfer_failed(result, &request, &response);
        else
            describe_publish(result, &request, &response, delivery->endpoint);
    }
    library->slist_free_all(headers);
    free(form);
    free(user_password);
    free(shown);
}

static void publish(const struct notify_curl *library, const struct notify_delivery *delivery,
                    const char *url, const char *region, struct notify_result *result)
{
    struct notify_aws_credentials credentials;
    struct notify_error error = {{0}};
    if (!notify_aws_credentials_load(&credentials, &error)) {
        notify_result_set(result, NOTIFY_PERMANENT, 0, "%s", error.message);
        return;
    }
    post_publish(library, delivery, url, region, &credentials, result);
    notify_result_scrub(result, credentials.secret_access_key);
    notify_result_scrub(result, credentials.session_token);
    notify_aws_credentials_free(&credentials);
}

void notify_deliver_sns(const struct notify_curl *library, const struct notify_delivery *delivery,
                        struct notify_result *result)
{
    struct topic_arn topic;
    if (!parse_topic_arn(delivery->endpoint, &topic)) {
        notify_result_set(result, NOTIFY_PERMANENT, 0, "%s is not an SNS topic ARN",
                          delivery->endpoint);
        return;
    }
    const char *region =
        delivery->sns_region && *delivery->sns_region ? delivery->sns_region : topic.region;
    if (!valid_region(region)) {
        notify_result_set(result, NOTIFY_PERMANENT, 0, "no valid AWS region for %s",
                          delivery->endpoint);
        return;
    }
    char default_url[128];
    snprintf(default_url, sizeof default_url, "https://sns.%s.amazonaws.com%s/", region,
             strcmp(topic.partition, "aws-cn") == 0 ? ".cn" : "");
    publish(library, delivery, delivery->sns_endpoint ? delivery->sns_endpoint : default_url,
            region, result);
}
