/* The configuration file's `settings`: the account id and region that ARNs carry, the
 * alarm evaluation range, and how long the store keeps data points and history. */
#include "config/config_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool load_account(struct config_loader *loader, const struct config_node *settings,
                         struct config_settings *out)
{
    const struct config_node *node = config_mapping_get_optional(settings, "accountId");
    if (!node)
        return true;
    if (!config_expect_text(loader, node, "settings.accountId"))
        return false;
    if (node->length != 12 || strspn(node->text, "0123456789") != 12)
        return config_fail(loader, node->line, "settings.accountId",
                           "must be 12 digits, as AWS account ids are");
    out->account_id = node->text;
    return true;
}

static bool load_region(struct config_loader *loader, const struct config_node *settings,
                        struct config_settings *out)
{
    const struct config_node *node = config_mapping_get_optional(settings, "region");
    if (!node)
        return true;
    if (!config_expect_name(loader, node, "settings.region", 32, ""))
        return false;
    size_t clean = strspn(node->text, "abcdefghijklmnopqrstuvwxyz0123456789-");
    if (clean < node->length)
        return config_fail(loader, node->line, "settings.region",
                           "may hold only lower-case letters, digits and '-' (like us-east-1)");
    out->region = node->text;
    return true;
}

/* Text of one line; with `prefixes` ("a\0b\0"), starting with one of them. */
static bool load_line(struct config_loader *loader, const struct config_node *mapping,
                      const char *path, const char *key, const char *prefixes, char **out)
{
    char field[FIELD_PATH_SIZE];
    const struct config_node *node = config_optional_field(mapping, path, key, field);
    if (!node)
        return true;
    if (!config_expect_name(loader, node, field, 2048, "\r\n"))
        return false;
    bool prefixed = !prefixes;
    for (const char *p = prefixes; p && *p && !prefixed; p += strlen(p) + 1)
        prefixed = strncmp(node->text, p, strlen(p)) == 0;
    if (!prefixed) {
        char list[64] = "";
        for (const char *p = prefixes; *p; p += strlen(p) + 1)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", *list ? " or " : "",
                     p);
        return config_fail(loader, node->line, field, "must start with %s", list);
    }
    *out = node->text;
    return true;
}

static bool load_smtp(struct config_loader *loader, const struct config_node *settings,
                      struct config_settings *out)
{
    static const char *const known[] = {"url", "from", "username", "password", "starttls"};
    const struct config_node *smtp = config_mapping_get_optional(settings, "smtp");
    if (!smtp)
        return true;
    if (smtp->kind != NODE_MAPPING)
        return config_fail(loader, smtp->line, "settings.smtp", "expected a mapping, found %s",
                           config_node_kind_name(smtp));
    if (!config_mapping_check_keys(loader, smtp, "settings.smtp", known, 5))
        return false;
    const struct config_node *starttls = config_mapping_get_optional(smtp, "starttls");
    if (starttls && (!config_expect_text(loader, starttls, "settings.smtp.starttls") ||
                     (strcmp(starttls->text, "true") != 0 && strcmp(starttls->text, "false") != 0)))
        return config_fail(loader, starttls->line, "settings.smtp.starttls",
                           "must be true or false");
    if (starttls)
        out->smtp_starttls = strcmp(starttls->text, "true") == 0;
    return load_line(loader, smtp, "settings.smtp", "url", "smtp://\0smtps://\0", &out->smtp_url) &&
           load_line(loader, smtp, "settings.smtp", "from", NULL, &out->smtp_from) &&
           load_line(loader, smtp, "settings.smtp", "username", NULL, &out->smtp_username) &&
           load_line(loader, smtp, "settings.smtp", "password", NULL, &out->smtp_password);
}

/* Fills only what the file names; the caller keeps the rest. Text is borrowed from the
 * tree. */
bool config_load_settings(struct config_loader *loader, const struct config_node *settings,
                          struct config_settings *out)
{
    static const char *const known[] = {"accountId",
                                        "region",
                                        "alarmEvaluationRange",
                                        "dataPointRetentionDays",
                                        "alarmHistoryRetentionDays",
                                        "logEventRetentionDays",
                                        "smtp",
                                        "publicBaseUrl",
                                        "fallbackTopic",
                                        "pagerDutyUrl",
                                        "snsEndpoint",
                                        "tlsCaFile",
                                        "silenceAfterMinutes",
                                        "silenceTopic",
                                        "cisAlarmTopic",
                                        "apiAccessKeyId",
                                        "apiSecretAccessKey",
                                        "accountSilenceAfterMinutes",
                                        "regionSilenceAfterMinutes"};
    if (settings->kind != NODE_MAPPING)
        return config_fail(loader, settings->line, "settings", "expected a mapping, found %s",
                           config_node_kind_name(settings));
    return config_mapping_check_keys(loader, settings, "settings", known,
                                     sizeof known / sizeof known[0]) &&
           load_account(loader, settings, out) && load_region(loader, settings, out) &&
           config_optional_whole_number(loader, settings, "settings", "alarmEvaluationRange", 1,
                                        10080, &out->alarm_evaluation_range) &&
           config_optional_whole_number(loader, settings, "settings", "dataPointRetentionDays", 1,
                                        36500, &out->datapoint_retention_days) &&
           config_optional_whole_number(loader, settings, "settings", "alarmHistoryRetentionDays",
                                        1, 36500, &out->history_retention_days) &&
           config_optional_whole_number(loader, settings, "settings", "logEventRetentionDays", 1,
                                        36500, &out->log_event_retention_days) &&
           load_smtp(loader, settings, out) &&
           load_line(loader, settings, "settings", "publicBaseUrl", "http://\0https://\0",
                     &out->public_base_url) &&
           load_line(loader, settings, "settings", "fallbackTopic", NULL, &out->fallback_topic) &&
           load_line(loader, settings, "settings", "pagerDutyUrl", "http://\0https://\0",
                     &out->pagerduty_url) &&
           load_line(loader, settings, "settings", "snsEndpoint", "http://\0https://\0",
                     &out->sns_endpoint) &&
           load_line(loader, settings, "settings", "tlsCaFile", NULL, &out->tls_ca_file) &&
           config_optional_whole_number(loader, settings, "settings", "silenceAfterMinutes", 1,
                                        10080, &out->silence_after_minutes) &&
           load_line(loader, settings, "settings", "silenceTopic", NULL, &out->silence_topic) &&
           load_line(loader, settings, "settings", "cisAlarmTopic", NULL, &out->cis_alarm_topic) &&
           load_line(loader, settings, "settings", "apiAccessKeyId", NULL,
                     &out->api_access_key_id) &&
           load_line(loader, settings, "settings", "apiSecretAccessKey", NULL,
                     &out->api_secret_access_key) &&
           config_optional_whole_number(loader, settings, "settings", "accountSilenceAfterMinutes",
                                        1, 10080, &out->account_silence_after_minutes) &&
           config_optional_whole_number(loader, settings, "settings", "regionSilenceAfterMinutes",
                                        1, 10080, &out->region_silence_after_minutes);
}
