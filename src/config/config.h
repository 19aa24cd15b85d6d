/* config: trailhound's YAML configuration file, read with libyaml. Its top-level lists hold
 * metric filters (`metricFilters`, PutMetricFilter's fields) and alarms (`alarms`,
 * PutMetricAlarm's fields), spelled as AWS spells them, SNS `topics`, `suppressions` (noise
 * rules that feed tuned metrics and leave the CIS ones alone), and `settings` the account,
 * region and retention; every error names the file, the line and the field. */
#ifndef TRAILHOUND_CONFIG_CONFIG_H
#define TRAILHOUND_CONFIG_CONFIG_H

#include "alarms/alarms.h"
#include "metrics/metrics.h"
#include "notify/notify.h"

#include <stdbool.h>
#include <stddef.h>

struct config_error {
    char message[1024]; /* "FILE:LINE: FIELD: what is wrong" */
};

/* Reads `path` and appends its metric filters to `filters`. Returns false with `error`
 * filled on the first problem; `filters` is then left as it was. */
bool config_load_file(const char *path, struct metric_filter_list *filters,
                      struct config_error *error);

/* The same for a configuration already in memory (`length` bytes, not NUL-terminated);
 * `name` stands for the file in messages and origins. */
bool config_load_buffer(const char *name, const char *text, size_t length,
                        struct metric_filter_list *filters, struct config_error *error);

/* `settings:` — what ARNs carry and how long the store keeps things. */
struct config_settings {
    char *account_id; /* accountId: 12 digits; default "000000000000" */
    char *region;     /* region: default "us-east-1" */
    /* alarmEvaluationRange: slots an alarm evaluation reads; 0 = AWS's N + max(2, N/3) */
    int alarm_evaluation_range;
    int datapoint_retention_days; /* dataPointRetentionDays: default 455 (AWS's longest) */
    int history_retention_days;   /* alarmHistoryRetentionDays: default 14 (AWS's) */
    /* logEventRetentionDays: log events PutLogEvents stored, by their timestamp; default 30
     * (AWS keeps them until a retention policy says otherwise; a self-hosted disk needs one) */
    int log_event_retention_days;
    /* smtp: {url, from, username, password, starttls} for email subscriptions; the
     * password may be a secret reference (env:NAME, file:PATH) */
    char *smtp_url, *smtp_from, *smtp_username, *smtp_password;
    bool smtp_starttls;
    /* publicBaseUrl: where subscribers reach trailhound (SubscribeURL, UnsubscribeURL,
     * SigningCertURL); default http://127.0.0.1:4566 */
    char *public_base_url;
    char *fallback_topic; /* fallbackTopic: gets an alert when a delivery fails for good */
    char *pagerduty_url;  /* pagerDutyUrl: default https://events.pagerduty.com/v2/enqueue */
    char *sns_endpoint;   /* snsEndpoint: default https://sns.REGION.amazonaws.com */
    char *tls_ca_file;    /* tlsCaFile: extra CA certificates (PEM) for https/smtps */
    /* silenceAfterMinutes: `serve` raises an alarm when a source that delivered events is
     * quiet this long (default 60); silenceTopic: where (default fallbackTopic) */
    int silence_after_minutes;
    char *silence_topic;
    /* cisAlarmTopic: the topic the CIS pack's alarms notify on ALARM (their AlarmActions, as
     * the benchmark's remediation passes --alarm-actions); default none */
    char *cis_alarm_topic;
    /* apiAccessKeyId, apiSecretAccessKey: one access key `serve --listen` accepts (the
     * secret may be a reference, env:NAME or file:PATH) */
    char *api_access_key_id, *api_secret_access_key;
    /* accountSilenceAfterMinutes, regionSilenceAfterMinutes: the same for an account or a
     * region (a rarely used region is quiet for hours); 0 (absent): silenceAfterMinutes */
    int account_silence_after_minutes, region_silence_after_minutes;
};

/* A whole configuration: what one or more files define. */
struct config {
    struct metric_filter_list filters;
    struct alarm_list alarms;
    struct notify_topic_list topics;
    struct suppression_rule_list suppressions; /* `suppressions:` (metrics/metrics.h) */
    struct config_settings settings;
};

/* Empty lists and the default settings. False on out of memory. */
bool config_init(struct config *config);
void config_free(struct config *config);

/* Reads `path` and adds what it defines to `config` (settings it names replace earlier
 * ones). Returns false with `error` filled on the first problem; `config` is then left as
 * it was. A name defined twice (in one file or across files) is an error. */
bool config_load(const char *path, struct config *config, struct config_error *error);
bool config_load_text(const char *name, const char *text, size_t length, struct config *config,
                      struct config_error *error);

/* Once every file is read: gives topics and subscriptions their ARNs (from the account and
 * region), checks that fallbackTopic names a topic, that every filter a suppression names
 * is loaded, and that each tuned metric (metricName + "Tuned") fits and is no other
 * filter's metric. Alarm actions that name no
 * configured topic are listed in `warnings` (one per line, malloc'ed, NULL when none): AWS
 * does not check them either, but a typo there means no alert. */
bool config_finish(struct config *config, char **warnings, struct config_error *error);

/* The whole sequence `scan` and `serve` share: the CIS pack when `cis`, then each file,
 * config_finish, the CIS alarms' tuned companions, and cisAlarmTopic as the AlarmActions of
 * the CIS alarms that have none. `config` must be config_init'ed; `warnings` as for
 * config_finish. False with `error` (then `config` holds a part: config_free it). */
bool config_load_all(struct config *config, bool cis, const char *const *paths, size_t count,
                     char **warnings, struct config_error *error);

#endif
