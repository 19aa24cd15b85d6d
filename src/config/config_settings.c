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

static bool load_count(struct config_loader *loader, const struct config_node *settings,
                       const char *key, int minimum, int maximum, int *out)
{
    const struct config_node *node = config_mapping_get_optional(settings, key);
    if (!node)
        return true;
    char field[FIELD_PATH_SIZE];
    config_field_path(field, "settings", key);
    double value;
    if (!config_expect_number(loader, node, field, &value))
        return false;
    if (value != floor(value) || value < minimum || value > maximum)
        return config_fail(loader, node->line, field, "must be a whole number from %d to %d",
                           minimum, maximum);
    *out = (int)value;
    return true;
}

/* Fills only what the file names; the caller keeps the rest. Text is borrowed from the
 * tree. */
bool config_load_settings(struct config_loader *loader, const struct config_node *settings,
                          struct config_settings *out)
{
    static const char *const known[] = {"accountId", "region", "alarmEvaluationRange",
                                        "dataPointRetentionDays", "alarmHistoryRetentionDays"};
    if (settings->kind != NODE_MAPPING)
        return config_fail(loader, settings->line, "settings", "expected a mapping, found %s",
                           config_node_kind_name(settings));
    return config_mapping_check_keys(loader, settings, "settings", known,
                                     sizeof known / sizeof known[0]) &&
           load_account(loader, settings, out) && load_region(loader, settings, out) &&
           load_count(loader, settings, "alarmEvaluationRange", 1, 10080,
                      &out->alarm_evaluation_range) &&
           load_count(loader, settings, "dataPointRetentionDays", 1, 36500,
                      &out->datapoint_retention_days) &&
           load_count(loader, settings, "alarmHistoryRetentionDays", 1, 36500,
                      &out->history_retention_days);
}
