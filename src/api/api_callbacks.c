/* SNS's callback URLs (monitor.h lists them), answered unsigned: the tokens and
 * subscription ARNs they carry are unguessable. The query-style ones answer SNS's XML; the
 * .html ones a short page for people following a mail's link; the certificate is the PEM
 * text of monitor_signing_key. */
#include "api/api_internal.h"

#include "monitor/monitor.h"
#include "notify/notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIGNING_CERT_PATH "/SimpleNotificationService-trailhound.pem"

static void html_page(struct api_call *call, const char *title, const char *text)
{
    struct api_buffer buffer = {0};
    api_buffer_append_text(&buffer, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
    api_buffer_append_xml(&buffer, title);
    api_buffer_append_text(&buffer, "</title></head><body><h1>");
    api_buffer_append_xml(&buffer, title);
    api_buffer_append_text(&buffer, "</h1><p>");
    api_buffer_append_xml(&buffer, text);
    api_buffer_append_text(&buffer, "</p></body></html>\n");
    free(call->body);
    call->body = api_buffer_take(&buffer);
    call->status = call->body ? 200 : 500;
    call->content_type = "text/html; charset=utf-8";
}

static void fail_status(struct api_call *call, enum monitor_sns_status status, const char *text)
{
    if (status == MONITOR_SNS_NOT_FOUND)
        api_fail(call, 404, "NotFound", text);
    else if (status == MONITOR_SNS_INVALID_PARAMETER)
        api_fail(call, 400, "InvalidParameter", text);
    else
        api_fail_internal(call, text);
}

static void confirm(struct api_call *call, const struct api_form *query, bool html)
{
    const char *topic = api_form_get(query, "TopicArn");
    const char *token = api_form_get(query, "Token");
    if (!topic || !token)
        return api_fail(call, 400, "InvalidParameter", "TopicArn and Token are required.");
    char *arn = NULL;
    struct monitor_error error;
    enum monitor_sns_status status =
        monitor_confirm_subscription(call->store, topic, token, call->now_ms, &arn, &error);
    if (status != MONITOR_SNS_OK)
        return fail_status(call, status, error.message);
    if (html) {
        char text[1024];
        snprintf(text, sizeof text,
                 "You have subscribed to the topic %s. Your subscription's id is %s.", topic, arn);
        html_page(call, "Subscription confirmed!", text);
    } else {
        api_reply(call, json_pack("{s:s}", "SubscriptionArn", arn));
    }
    free(arn);
}

static void unsubscribe(struct api_call *call, const struct api_form *query, bool html)
{
    const char *arn = api_form_get(query, "SubscriptionArn");
    if (!arn)
        return api_fail(call, 400, "InvalidParameter", "SubscriptionArn is required.");
    struct notify_signing_key key = {0};
    struct monitor_error error;
    if (!monitor_signing_key(call->store, &key, &error))
        return api_fail_internal(call, error.message);
    const struct config *config = call->settings->config;
    struct monitor_subscription_settings settings = {
        .configured = config ? &config->topics : NULL,
        .public_base_url = config && config->settings.public_base_url
                               ? config->settings.public_base_url
                               : "http://127.0.0.1:4566",
        .signing_key = &key,
    };
    enum monitor_sns_status status =
        monitor_unsubscribe(call->store, &settings, arn, call->now_ms, &error);
    notify_signing_key_free(&key);
    if (status != MONITOR_SNS_OK)
        return fail_status(call, status, error.message);
    if (html)
        html_page(call, "Subscription removed", "You will no longer receive these messages.");
    else
        api_reply(call, NULL);
}

static void signing_certificate(struct api_call *call)
{
    struct notify_signing_key key = {0};
    struct monitor_error error;
    if (!monitor_signing_key(call->store, &key, &error))
        return api_fail_internal(call, error.message);
    free(call->body);
    call->body = strdup(key.certificate_pem);
    call->status = call->body ? 200 : 500;
    call->content_type = "application/x-x509-ca-cert";
    notify_signing_key_free(&key);
}

/* Which callback, if any: 1 confirm, 2 confirm page, 3 unsubscribe, 4 unsubscribe page,
 * 5 certificate, 0 none. */
static int callback_kind(const char *path, const struct api_form *query)
{
    const char *action = api_form_get(query, "Action");
    if (strcmp(path, "/") == 0 && action && strcmp(action, "ConfirmSubscription") == 0)
        return 1;
    if (strcmp(path, "/confirmation.html") == 0)
        return 2;
    if (strcmp(path, "/") == 0 && action && strcmp(action, "Unsubscribe") == 0)
        return 3;
    if (strcmp(path, "/unsubscribe.html") == 0)
        return 4;
    return strcmp(path, SIGNING_CERT_PATH) == 0 ? 5 : 0;
}

bool api_callback_answer(struct api_call *call, const char *path, const struct api_form *query)
{
    int kind = callback_kind(path, query);
    if (kind == 0)
        return false;
    call->protocol = API_PROTOCOL_SNS_QUERY;
    call->operation = kind <= 2 ? "ConfirmSubscription" : "Unsubscribe";
    struct store_error error;
    call->store = store_open(call->settings->db_path, &error);
    if (!call->store) {
        api_fail_internal(call, error.message);
        return true;
    }
    if (kind <= 2)
        confirm(call, query, kind == 2);
    else if (kind <= 4)
        unsubscribe(call, query, kind == 4);
    else
        signing_certificate(call);
    store_close(call->store);
    call->store = NULL;
    return true;
}
