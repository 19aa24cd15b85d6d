/* The outbox's delivery settings and failure alerts wired from the configuration file's
 * settings, so `scan --notify` and `serve` deliver by one rule. */
#include "config/config.h"
#include "monitor/monitor.h"

static bool enqueue_failure(void *context, struct store *store,
                            const struct store_outbox_message *failed, int64_t now_ms,
                            struct store_error *error)
{
    const struct monitor_fallback *fallback = context;
    return monitor_enqueue_failure_alert(store, failed, fallback->topic, fallback->notify, now_ms,
                                         error);
}

struct monitor_delivery_settings
monitor_configured_delivery(const struct config_settings *settings, const char *smtp_url,
                            const struct monitor_notify_settings *notify,
                            struct monitor_fallback *fallback)
{
    *fallback = (struct monitor_fallback){
        .topic = notify_topic_find(notify->topics, settings->fallback_topic), .notify = notify};
    return (struct monitor_delivery_settings){
        .smtp_url = smtp_url ? smtp_url : settings->smtp_url,
        .smtp_from = settings->smtp_from ? settings->smtp_from : "trailhound@localhost",
        .smtp_username = settings->smtp_username,
        .smtp_password = settings->smtp_password,
        .smtp_starttls = settings->smtp_starttls,
        .pagerduty_url = settings->pagerduty_url,
        .sns_endpoint = settings->sns_endpoint,
        .sns_region = settings->region,
        .ca_file = settings->tls_ca_file,
        .fallback_topic_arn = fallback->topic ? fallback->topic->arn : NULL,
        .enqueue_failure = fallback->topic ? enqueue_failure : NULL,
        .enqueue_context = fallback,
    };
}
