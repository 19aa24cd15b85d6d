/* The configuration file's metric filters, checked field by field against PutMetricFilter's
 * rules, and the file as a whole. Every message is "FILE:LINE: FIELD: what is wrong", LINE
 * being 1-based. */
#include "config/config_internal.h"

#include "patterns/pattern.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- metric filters ------------------------------------------------------------------ */

static const char *pattern_kind_name(enum pattern_kind kind)
{
    switch (kind) {
    case PATTERN_MATCH_ALL:
        return "an empty (match-everything)";
    case PATTERN_TERMS:
        return "a term";
    case PATTERN_REGEX:
        return "a regex";
    case PATTERN_JSON:
        return "a JSON";
    case PATTERN_SPACE_DELIMITED:
        return "a space-delimited";
    }
    return "this";
}

static bool pattern_has_fields(const struct pattern *pattern)
{
    enum pattern_kind kind = pattern_kind(pattern);
    return kind == PATTERN_JSON || kind == PATTERN_SPACE_DELIMITED;
}

/* Is `text` exactly one JSON selector without wildcards? The pattern engine decides, so
 * references use the same selector syntax as patterns; a wildcard would name several
 * values where a metric needs one. */
static bool is_single_json_selector(const char *text)
{
    struct pattern_error error;
    struct pattern *reference = pattern_compile_reference(text, &error);
    if (!reference)
        return false;
    size_t count;
    const struct selector *selector = pattern_selectors(reference, &count);
    bool single = count == 1;
    for (size_t i = 0; single && i < selector->step_count; i++)
        single = selector->steps[i].kind == SELECTOR_STEP_MEMBER ||
                 selector->steps[i].kind == SELECTOR_STEP_INDEX;
    pattern_free(reference);
    return single;
}

/* $name or $N (N >= 1), as space-delimited patterns name their fields. */
static bool is_field_reference(const char *text)
{
    static const char digits[] = "0123456789";
    const char *name = text + 1;
    size_t length = strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789");
    if (length == 0 || name[length] != '\0')
        return false;
    bool is_position = strspn(name, digits) == length;
    return !is_position || name[0] != '0';
}

/* A '$' reference to a value the pattern extracts, in the form its kind uses. */
static bool check_reference(struct config_loader *loader, const struct config_node *node,
                            const char *path, const struct pattern *pattern)
{
    char text[64];
    config_quoted(text, node->text, node->length);
    switch (pattern_kind(pattern)) {
    case PATTERN_JSON:
        /* the engine would skip trailing blanks, which are not part of a selector */
        if (isspace((unsigned char)node->text[node->length - 1]) ||
            !is_single_json_selector(node->text))
            return config_fail(loader, node->line, path,
                               "'%s' is not a JSON selector without wildcards such as $.bytes",
                               text);
        return true;
    case PATTERN_SPACE_DELIMITED:
        if (!is_field_reference(node->text))
            return config_fail(loader, node->line, path,
                               "'%s' is not a field reference such as $size or $7", text);
        return true;
    default:
        return config_fail(loader, node->line, path,
                           "%s pattern extracts no values to refer to; use a number",
                           pattern_kind_name(pattern_kind(pattern)));
    }
}

static bool check_metric_value(struct config_loader *loader, const struct config_node *node,
                               const char *path, const struct pattern *pattern)
{
    if (!config_expect_text(loader, node, path))
        return false;
    size_t characters = config_utf8_characters(node->text, node->length);
    if (characters == 0 || characters > METRIC_VALUE_MAX_CHARACTERS)
        return config_fail(loader, node->line, path, "must be 1 to %d characters long, is %zu",
                           METRIC_VALUE_MAX_CHARACTERS, characters);
    if (node->text[0] == '$')
        return check_reference(loader, node, path, pattern);
    double value;
    if (!config_is_number_literal(node->text)) {
        char text[64];
        return config_fail(loader, node->line, path,
                           "'%s' is neither a number nor a reference starting with '$'",
                           config_quoted(text, node->text, node->length));
    }
    return config_expect_number(loader, node, path, &value);
}

static bool check_unit(struct config_loader *loader, const struct config_node *node,
                       const char *path)
{
    if (!config_expect_text(loader, node, path))
        return false;
    if (metric_unit_is_valid(node->text))
        return true;
    char text[64];
    config_quoted(text, node->text, node->length);
    const char *suggestion = metric_unit_suggestion(node->text);
    if (suggestion)
        return config_fail(loader, node->line, path,
                           "'%s' is not a CloudWatch unit; did you mean '%s'?", text, suggestion);
    return config_fail(
        loader, node->line, path,
        "'%s' is not a CloudWatch unit (Seconds, Bytes, Count, Count/Second, None, ...)", text);
}

static bool load_dimensions(struct config_loader *loader, const struct config_node *node,
                            const char *path, const struct pattern *pattern,
                            struct metric_transformation *transformation)
{
    if (node->kind != NODE_MAPPING)
        return config_fail(loader, node->line, path,
                           "expected a mapping of name: $reference, found %s",
                           config_node_kind_name(node));
    size_t count = node->count / 2;
    if (count > 0 && !pattern_has_fields(pattern))
        return config_fail(loader, node->line, path,
                           "The specified filter pattern does not support dimensions (%s pattern)",
                           pattern_kind_name(pattern_kind(pattern)));
    if (count > METRIC_FILTER_MAX_DIMENSIONS)
        return config_fail(loader, node->children[2 * METRIC_FILTER_MAX_DIMENSIONS].line, path,
                           "at most %d dimensions are allowed, found %zu",
                           METRIC_FILTER_MAX_DIMENSIONS, count);
    for (size_t i = 0; i < count; i++) {
        const struct config_node *name = &node->children[2 * i];
        const struct config_node *reference = &node->children[2 * i + 1];
        if (!config_expect_name(loader, name, path, DIMENSION_MAX_CHARACTERS, ""))
            return false;
        char field[FIELD_PATH_SIZE], text[64];
        config_field_path(field, path, config_quoted(text, name->text, name->length));
        if (config_mapping_get(node, name->text) != reference)
            return config_fail(loader, name->line, field, "dimension given twice");
        if (!config_expect_name(loader, reference, field, DIMENSION_MAX_CHARACTERS, ""))
            return false;
        if (reference->text[0] != '$')
            return config_fail(loader, reference->line, field,
                               "a dimension's value must be a reference starting with '$'");
        if (!check_reference(loader, reference, field, pattern))
            return false;
        transformation->dimensions[i] = (struct metric_dimension){name->text, reference->text};
    }
    transformation->dimension_count = count;
    return true;
}

static bool load_default_value(struct config_loader *loader,
                               const struct config_node *transformation, const char *path,
                               struct metric_transformation *out)
{
    const struct config_node *node = config_mapping_get_optional(transformation, "defaultValue");
    if (!node)
        return true;
    char field[FIELD_PATH_SIZE];
    config_field_path(field, path, "defaultValue");
    if (out->dimension_count > 0)
        return config_fail(loader, node->line, field,
                           "a metric with dimensions cannot have a defaultValue");
    out->has_default_value = true;
    return config_expect_number(loader, node, field, &out->default_value);
}

static bool load_string_field(struct config_loader *loader, const struct config_node *mapping,
                              const char *path, const char *key, size_t max_characters, char **out)
{
    const struct config_node *node = config_required(loader, mapping, path, key);
    if (!node)
        return false;
    char field[FIELD_PATH_SIZE];
    config_field_path(field, path, key);
    if (!config_expect_name(loader, node, field, max_characters, ":*$"))
        return false;
    *out = node->text;
    return true;
}

static bool load_transformation(struct config_loader *loader, const struct config_node *node,
                                const char *path, const struct pattern *pattern,
                                struct metric_transformation *out)
{
    static const char *const known[] = {"metricName",   "metricNamespace", "metricValue",
                                        "defaultValue", "dimensions",      "unit"};
    if (node->kind != NODE_MAPPING)
        return config_fail(loader, node->line, path,
                           "expected a mapping with metricName, metricNamespace and metricValue, "
                           "found %s",
                           config_node_kind_name(node));
    if (!config_mapping_check_keys(loader, node, path, known, sizeof known / sizeof known[0]) ||
        !load_string_field(loader, node, path, "metricName", METRIC_NAME_MAX_CHARACTERS,
                           &out->metric_name) ||
        !load_string_field(loader, node, path, "metricNamespace", METRIC_NAME_MAX_CHARACTERS,
                           &out->metric_namespace))
        return false;
    char field[FIELD_PATH_SIZE];
    const struct config_node *value = config_required(loader, node, path, "metricValue");
    config_field_path(field, path, "metricValue");
    if (!value || !check_metric_value(loader, value, field, pattern))
        return false;
    out->metric_value = value->text;
    const struct config_node *dimensions = config_mapping_get_optional(node, "dimensions");
    config_field_path(field, path, "dimensions");
    if (dimensions && !load_dimensions(loader, dimensions, field, pattern, out))
        return false;
    if (!load_default_value(loader, node, path, out))
        return false;
    const struct config_node *unit = config_mapping_get_optional(node, "unit");
    config_field_path(field, path, "unit");
    if (unit && !check_unit(loader, unit, field))
        return false;
    out->unit = unit ? unit->text : NULL;
    return true;
}

static bool load_transformations(struct config_loader *loader, const struct config_node *filter,
                                 const char *path, const struct pattern *pattern,
                                 struct metric_transformation *out)
{
    const struct config_node *list = config_required(loader, filter, path, "metricTransformations");
    if (!list)
        return false;
    char field[FIELD_PATH_SIZE];
    config_field_path(field, path, "metricTransformations");
    if (list->kind != NODE_SEQUENCE)
        return config_fail(loader, list->line, field,
                           "expected a list of one transformation, found %s",
                           config_node_kind_name(list));
    if (list->count != 1)
        return config_fail(
            loader, list->count ? list->children[1].line : list->line, field,
            "must hold exactly one transformation (AWS allows one per filter), found %zu",
            list->count);
    config_field_path(field, path, "metricTransformations[0]");
    return load_transformation(loader, &list->children[0], field, pattern, out);
}

static bool load_filter_pattern(struct config_loader *loader, const struct config_node *filter,
                                const char *path, struct pattern **pattern, char **out)
{
    const struct config_node *node = config_required(loader, filter, path, "filterPattern");
    if (!node)
        return false;
    char field[FIELD_PATH_SIZE];
    config_field_path(field, path, "filterPattern");
    if (node->kind != NODE_SCALAR || node->is_null)
        return config_fail(loader, node->line, field,
                           "expected the pattern as text, found %s (quote patterns starting with "
                           "'{' or '[', and write \"\" for an empty pattern)",
                           config_node_kind_name(node));
    struct pattern_error error;
    *pattern = pattern_compile(node->text, node->length, &error);
    if (!*pattern)
        return config_fail(loader, node->line, field, "invalid filter pattern at column %zu: %s",
                           error.column, error.message);
    *out = node->text;
    return true;
}

static bool load_log_group_name(struct config_loader *loader, const struct config_node *filter,
                                const char *path, char **out)
{
    const struct config_node *node = config_mapping_get_optional(filter, "logGroupName");
    if (!node)
        return true;
    char field[FIELD_PATH_SIZE];
    config_field_path(field, path, "logGroupName");
    if (!config_expect_name(loader, node, field, LOG_GROUP_NAME_MAX_CHARACTERS, ""))
        return false;
    static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "0123456789._-/#";
    size_t clean = strspn(node->text, allowed);
    if (clean < node->length)
        return config_fail(loader, node->line, field,
                           "may hold only letters, digits and . _ - / # (found '%c')",
                           node->text[clean] < 0x20 ? '?' : node->text[clean]);
    *out = node->text;
    return true;
}

static bool check_unique_name(struct config_loader *loader, const struct metric_filter_list *loaded,
                              const struct config_node *filter, const char *path)
{
    const struct config_node *name = config_mapping_get(filter, "filterName");
    for (size_t i = 0; i < loaded->count; i++)
        if (strcmp(loaded->items[i].filter_name, name->text) == 0) {
            char field[FIELD_PATH_SIZE], text[64];
            config_field_path(field, path, "filterName");
            return config_fail(loader, name->line, field, "duplicate filterName '%s' (first at %s)",
                               config_quoted(text, name->text, name->length),
                               loaded->items[i].origin);
        }
    return true;
}

static bool load_filter_fields(struct config_loader *loader, const struct config_node *filter,
                               const char *path, struct metric_filter_definition *definition,
                               struct pattern **pattern)
{
    static const char *const known[] = {"filterName", "filterPattern", "logGroupName",
                                        "metricTransformations"};
    if (filter->kind != NODE_MAPPING)
        return config_fail(loader, filter->line, path,
                           "expected a mapping with filterName, filterPattern and "
                           "metricTransformations, found %s",
                           config_node_kind_name(filter));
    if (!config_mapping_check_keys(loader, filter, path, known, sizeof known / sizeof known[0]))
        return false;
    const struct config_node *name = config_required(loader, filter, path, "filterName");
    char field[FIELD_PATH_SIZE];
    config_field_path(field, path, "filterName");
    if (!name || !config_expect_name(loader, name, field, FILTER_NAME_MAX_CHARACTERS, ":*"))
        return false;
    definition->filter_name = name->text;
    return load_filter_pattern(loader, filter, path, pattern, &definition->filter_pattern) &&
           load_log_group_name(loader, filter, path, &definition->log_group_name) &&
           load_transformations(loader, filter, path, *pattern, &definition->transformation);
}

static bool load_filter(struct config_loader *loader, const struct config_node *filter,
                        size_t index, struct metric_filter_list *loaded)
{
    char path[64];
    snprintf(path, sizeof path, "metricFilters[%zu]", index);
    struct metric_filter_definition definition = {0};
    struct pattern *pattern = NULL;
    bool ok = load_filter_fields(loader, filter, path, &definition, &pattern) &&
              check_unique_name(loader, loaded, filter, path);
    pattern_free(pattern);
    if (!ok)
        return false;
    size_t origin_size = strlen(loader->name) + 24;
    definition.origin = malloc(origin_size);
    if (!definition.origin)
        return config_fail(loader, filter->line, path, "out of memory");
    snprintf(definition.origin, origin_size, "%s:%zu", loader->name, filter->line);
    /* the definition borrows the tree's strings; the list keeps its own copies */
    ok = metric_filter_list_append(loaded, &definition);
    free(definition.origin);
    return ok || config_fail(loader, filter->line, path, "out of memory");
}

/* ---- the file ------------------------------------------------------------------------ */

static bool load_metric_filters(struct config_loader *loader, const struct config_node *filters,
                                struct metric_filter_list *loaded)
{
    if (filters->kind != NODE_SEQUENCE)
        return config_fail(loader, filters->line, "metricFilters", "expected a list, found %s",
                           config_node_kind_name(filters));
    for (size_t i = 0; i < filters->count; i++)
        if (!load_filter(loader, &filters->children[i], i, loaded))
            return false;
    return true;
}

/* What one file defines. `loaded` starts empty; its settings borrow the tree's text. */
static bool load_document(struct config_loader *loader, struct config *loaded)
{
    static const char *const known[] = {"metricFilters", "alarms", "topics", "suppressions",
                                        "settings"};
    const struct config_node *root = &loader->root;
    if (!loader->has_root || (root->kind == NODE_SCALAR && root->is_null))
        return config_fail(loader, 1, "metricFilters",
                           "no metricFilters, alarms, topics, suppressions or settings (the file "
                           "is empty)");
    if (root->kind != NODE_MAPPING)
        return config_fail(loader, root->line, "metricFilters",
                           "the top level must be a mapping holding metricFilters, alarms, "
                           "topics, suppressions or settings, found %s",
                           config_node_kind_name(root));
    if (!config_mapping_check_keys(loader, root, "(top level)", known,
                                   sizeof known / sizeof known[0]))
        return false;
    const struct config_node *filters = config_mapping_get(root, "metricFilters");
    const struct config_node *alarms = config_mapping_get(root, "alarms");
    const struct config_node *settings = config_mapping_get(root, "settings");
    const struct config_node *topics = config_mapping_get(root, "topics");
    const struct config_node *suppressions = config_mapping_get(root, "suppressions");
    if (!filters && !alarms && !settings && !topics && !suppressions)
        return config_fail(loader, root->line, "metricFilters",
                           "no metricFilters, alarms, topics, suppressions or settings in the "
                           "file");
    return (!filters || load_metric_filters(loader, filters, &loaded->filters)) &&
           (!alarms || config_load_alarms(loader, alarms, &loaded->alarms)) &&
           (!topics || config_load_topics(loader, topics, &loaded->topics)) &&
           (!suppressions ||
            config_load_suppressions(loader, suppressions, &loaded->suppressions)) &&
           (!settings || config_load_settings(loader, settings, &loaded->settings));
}

static bool from_cis_pack(const char *origin)
{
    return origin && strcmp(origin, "cis") == 0;
}

/* Names defined by earlier files may not be defined again. A file may repeat a name of
 * the built-in CIS pack: its filter is scanned beside the pack's (as before alarms
 * existed), and its alarm replaces the pack's, as a later PutMetricAlarm would. */
static bool check_not_defined(struct config_loader *loader, const struct config *config,
                              const struct config *loaded)
{
    for (size_t i = 0; i < loaded->filters.count; i++)
        for (size_t j = 0; j < config->filters.count; j++)
            if (strcmp(loaded->filters.items[i].filter_name,
                       config->filters.items[j].filter_name) == 0 &&
                !from_cis_pack(config->filters.items[j].origin))
                return config_fail(
                    loader, 1, "metricFilters", "filterName '%s' (%s) is already defined at %s",
                    loaded->filters.items[i].filter_name, loaded->filters.items[i].origin,
                    config->filters.items[j].origin);
    for (size_t i = 0; i < loaded->alarms.count; i++) {
        long found = alarm_list_find(&config->alarms, loaded->alarms.items[i].alarm_name);
        if (found >= 0 && !from_cis_pack(config->alarms.items[found].origin))
            return config_fail(loader, 1, "alarms", "AlarmName '%s' (%s) is already defined at %s",
                               loaded->alarms.items[i].alarm_name, loaded->alarms.items[i].origin,
                               config->alarms.items[found].origin);
    }
    for (size_t i = 0; i < loaded->topics.count; i++) {
        const struct notify_topic *earlier =
            notify_topic_find(&config->topics, loaded->topics.items[i].name);
        if (earlier)
            return config_fail(loader, 1, "topics", "topic '%s' (%s) is already defined at %s",
                               loaded->topics.items[i].name, loaded->topics.items[i].origin,
                               earlier->origin);
    }
    for (size_t i = 0; i < loaded->suppressions.count; i++) {
        const struct suppression_rule *rule = &loaded->suppressions.items[i];
        for (size_t j = 0; j < config->suppressions.count; j++)
            if (strcmp(rule->name, config->suppressions.items[j].name) == 0)
                return config_fail(loader, 1, "suppressions",
                                   "suppression '%s' (%s) is already defined at %s", rule->name,
                                   rule->origin, config->suppressions.items[j].origin);
    }
    return true;
}

static bool replace_text(char **into, const char *from)
{
    if (!from)
        return true;
    char *copy = strdup(from);
    if (!copy)
        return false;
    free(*into);
    *into = copy;
    return true;
}

static void replace_count(int *into, int from)
{
    if (from)
        *into = from;
}

/* Adds all of `loaded` or, when memory runs out, nothing. */
/* Drops the CIS pack's alarms that the file's alarms replace (same name). */
static void drop_replaced_alarms(struct alarm_list *alarms, size_t first_loaded)
{
    for (size_t i = 0; i < first_loaded;) {
        bool replaced = false;
        for (size_t j = first_loaded; j < alarms->count && !replaced; j++)
            replaced = from_cis_pack(alarms->items[i].origin) &&
                       strcmp(alarms->items[i].alarm_name, alarms->items[j].alarm_name) == 0;
        if (!replaced) {
            i++;
            continue;
        }
        alarm_definition_free(&alarms->items[i]);
        memmove(&alarms->items[i], &alarms->items[i + 1],
                (alarms->count - i - 1) * sizeof alarms->items[0]);
        alarms->count--;
        first_loaded--;
    }
}

/* The text settings, by position, so copying and freeing them is one loop. */
static char **settings_text(struct config_settings *settings, size_t index)
{
    char **fields[] = {&settings->account_id,
                       &settings->region,
                       &settings->smtp_url,
                       &settings->smtp_from,
                       &settings->smtp_username,
                       &settings->smtp_password,
                       &settings->public_base_url,
                       &settings->fallback_topic,
                       &settings->pagerduty_url,
                       &settings->sns_endpoint,
                       &settings->tls_ca_file,
                       &settings->silence_topic,
                       &settings->cis_alarm_topic,
                       &settings->api_access_key_id,
                       &settings->api_secret_access_key};
    return index < sizeof fields / sizeof fields[0] ? fields[index] : NULL;
}

static void settings_text_free(struct config_settings *settings)
{
    for (size_t i = 0; settings_text(settings, i); i++) {
        free(*settings_text(settings, i));
        *settings_text(settings, i) = NULL;
    }
}

/* Copies of the text settings `loaded` names (NULL where it names none). */
static bool settings_text_copy(struct config_settings *copy, const struct config_settings *loaded)
{
    struct config_settings *source = (struct config_settings *)loaded;
    for (size_t i = 0; settings_text(copy, i); i++)
        if (!replace_text(settings_text(copy, i), *settings_text(source, i)))
            return false;
    return true;
}

static void settings_apply(struct config_settings *into, struct config_settings *copy,
                           const struct config_settings *loaded)
{
    for (size_t i = 0; settings_text(into, i); i++)
        if (*settings_text(copy, i)) {
            free(*settings_text(into, i));
            *settings_text(into, i) = *settings_text(copy, i);
            *settings_text(copy, i) = NULL;
        }
    if (loaded->smtp_starttls)
        into->smtp_starttls = true;
    replace_count(&into->alarm_evaluation_range, loaded->alarm_evaluation_range);
    replace_count(&into->datapoint_retention_days, loaded->datapoint_retention_days);
    replace_count(&into->history_retention_days, loaded->history_retention_days);
    replace_count(&into->log_event_retention_days, loaded->log_event_retention_days);
    replace_count(&into->silence_after_minutes, loaded->silence_after_minutes);
    replace_count(&into->account_silence_after_minutes, loaded->account_silence_after_minutes);
    replace_count(&into->region_silence_after_minutes, loaded->region_silence_after_minutes);
}

/* Adds all of `loaded` or, when memory runs out, nothing. */
static bool add_loaded(struct config_loader *loader, struct config *config,
                       const struct config *loaded)
{
    size_t filters_before = config->filters.count, alarms_before = config->alarms.count,
           topics_before = config->topics.count, rules_before = config->suppressions.count;
    bool ok = true;
    for (size_t i = 0; ok && i < loaded->filters.count; i++)
        ok = metric_filter_list_append(&config->filters, &loaded->filters.items[i]);
    for (size_t i = 0; ok && i < loaded->alarms.count; i++)
        ok = alarm_list_append(&config->alarms, &loaded->alarms.items[i]);
    for (size_t i = 0; ok && i < loaded->topics.count; i++)
        ok = notify_topic_list_append(&config->topics, &loaded->topics.items[i]);
    for (size_t i = 0; ok && i < loaded->suppressions.count; i++)
        ok = suppression_rule_list_append(&config->suppressions, &loaded->suppressions.items[i]);
    struct config_settings copy = {0};
    ok = ok && settings_text_copy(&copy, &loaded->settings);
    if (!ok) {
        settings_text_free(&copy);
        while (config->filters.count > filters_before)
            metric_filter_definition_free(&config->filters.items[--config->filters.count]);
        while (config->alarms.count > alarms_before)
            alarm_definition_free(&config->alarms.items[--config->alarms.count]);
        notify_topic_list_truncate(&config->topics, topics_before);
        while (config->suppressions.count > rules_before)
            suppression_rule_free(&config->suppressions.items[--config->suppressions.count]);
        return config_fail(loader, 1, NULL, "out of memory");
    }
    settings_apply(&config->settings, &copy, &loaded->settings);
    drop_replaced_alarms(&config->alarms, alarms_before);
    return true;
}

bool config_init(struct config *config)
{
    *config = (struct config){
        .settings = {.account_id = strdup("000000000000"),
                     .region = strdup("us-east-1"),
                     .datapoint_retention_days = 455,
                     .history_retention_days = 14,
                     .log_event_retention_days = 30,
                     .silence_after_minutes = 60},
    };
    if (config->settings.account_id && config->settings.region)
        return true;
    config_free(config);
    return false;
}

void config_free(struct config *config)
{
    metric_filter_list_free(&config->filters);
    alarm_list_free(&config->alarms);
    notify_topic_list_free(&config->topics);
    suppression_rule_list_free(&config->suppressions);
    settings_text_free(&config->settings);
    *config = (struct config){0};
}

bool config_load_text(const char *name, const char *text, size_t length, struct config *config,
                      struct config_error *error)
{
    struct config_loader loader = {.name = name, .text = text, .length = length, .error = error};
    error->message[0] = '\0';
    if (length > CONFIG_MAX_BYTES)
        return config_fail(&loader, 1, NULL, "larger than %u bytes", CONFIG_MAX_BYTES);
    struct config loaded = {0}; /* settings left zero: "not named" */
    bool ok = config_tree_build(&loader) && load_document(&loader, &loaded) &&
              check_not_defined(&loader, config, &loaded) && add_loaded(&loader, config, &loaded);
    metric_filter_list_free(&loaded.filters);
    alarm_list_free(&loaded.alarms);
    notify_topic_list_free(&loaded.topics);
    suppression_rule_list_free(&loaded.suppressions);
    if (loader.has_root)
        config_node_free(&loader.root);
    return ok;
}

bool config_load_buffer(const char *name, const char *text, size_t length,
                        struct metric_filter_list *filters, struct config_error *error)
{
    struct config config = {0};
    bool ok = config_load_text(name, text, length, &config, error);
    size_t count_before = filters->count;
    for (size_t i = 0; ok && i < config.filters.count; i++)
        ok = metric_filter_list_append(filters, &config.filters.items[i]);
    if (!ok && filters->count > count_before) {
        while (filters->count > count_before)
            metric_filter_definition_free(&filters->items[--filters->count]);
        snprintf(error->message, sizeof error->message, "%s: out of memory", name);
    }
    config_free(&config);
    return ok;
}

/* The whole file, at most CONFIG_MAX_BYTES + 1 bytes of it (one more shows it is too big). */
static char *file_read(const char *path, size_t *length, struct config_error *error)
{
    FILE *file = fopen(path, "rb");
    if (!file) {
        snprintf(error->message, sizeof error->message, "%s: cannot open: %s", path,
                 strerror(errno));
        return NULL;
    }
    size_t capacity = 64 * 1024, used = 0;
    char *text = malloc(capacity);
    while (text) {
        used += fread(text + used, 1, capacity - used, file);
        if (used < capacity || capacity > CONFIG_MAX_BYTES)
            break;
        size_t grown_capacity =
            capacity * 2 > CONFIG_MAX_BYTES ? CONFIG_MAX_BYTES + 1 : capacity * 2;
        char *grown = realloc(text, grown_capacity);
        if (!grown)
            free(text);
        text = grown;
        capacity = grown_capacity;
    }
    bool failed = !text || ferror(file);
    int saved_errno = errno;
    fclose(file);
    if (failed) {
        snprintf(error->message, sizeof error->message, "%s: cannot read: %s", path,
                 text ? strerror(saved_errno) : "out of memory");
        free(text);
        return NULL;
    }
    *length = used;
    return text;
}

bool config_load_file(const char *path, struct metric_filter_list *filters,
                      struct config_error *error)
{
    size_t length;
    char *text = file_read(path, &length, error);
    if (!text)
        return false;
    bool ok = config_load_buffer(path, text, length, filters, error);
    free(text);
    return ok;
}

bool config_load(const char *path, struct config *config, struct config_error *error)
{
    size_t length;
    char *text = file_read(path, &length, error);
    if (!text)
        return false;
    bool ok = config_load_text(path, text, length, config, error);
    free(text);
    return ok;
}

/* ---- after every file -------------------------------------------------------------------- */

static char *topic_arn(const struct config_settings *settings, const char *name)
{
    size_t size = strlen(settings->region) + strlen(settings->account_id) + strlen(name) + 16;
    char *arn = malloc(size);
    if (arn)
        snprintf(arn, size, "arn:aws:sns:%s:%s:%s", settings->region, settings->account_id, name);
    return arn;
}

static bool name_topics(struct config *config)
{
    for (size_t i = 0; i < config->topics.count; i++) {
        struct notify_topic *topic = &config->topics.items[i];
        free(topic->arn);
        if (!(topic->arn = topic_arn(&config->settings, topic->name)))
            return false;
        for (size_t s = 0; s < topic->subscription_count; s++) {
            struct notify_subscription *subscription = &topic->subscriptions[s];
            free(subscription->arn);
            subscription->arn =
                notify_subscription_arn(topic->arn, subscription->protocol, subscription->endpoint);
            if (!subscription->arn)
                return false;
        }
    }
    return true;
}

/* Appends "alarm NAME: ACTION names no configured topic" lines for `actions`. */
static void note_unknown_actions(const struct config *config, const struct alarm_definition *alarm,
                                 const struct alarm_action_list *actions, char **warnings,
                                 size_t *length)
{
    for (size_t i = 0; i < actions->count; i++) {
        if (notify_topic_find(&config->topics, actions->items[i]))
            continue;
        char line[1400];
        int written = snprintf(line, sizeof line,
                               "alarm %s: action %s names no topic of the configuration; "
                               "its notifications will fail\n",
                               alarm->alarm_name, actions->items[i]);
        size_t add = written > 0 ? strlen(line) : 0;
        char *grown = realloc(*warnings, *length + add + 1);
        if (!grown)
            return;
        memcpy(grown + *length, line, add + 1);
        *warnings = grown;
        *length += add;
    }
}

bool config_finish(struct config *config, char **warnings, struct config_error *error)
{
    *warnings = NULL;
    if (!name_topics(config)) {
        snprintf(error->message, sizeof error->message, "out of memory");
        return false;
    }
    const char *fallback = config->settings.fallback_topic;
    if (fallback && !notify_topic_find(&config->topics, fallback)) {
        snprintf(error->message, sizeof error->message,
                 "settings.fallbackTopic: '%.200s' is not a topic of the configuration", fallback);
        return false;
    }
    const char *silence = config->settings.silence_topic;
    if (silence && !notify_topic_find(&config->topics, silence)) {
        snprintf(error->message, sizeof error->message,
                 "settings.silenceTopic: '%.200s' is not a topic of the configuration", silence);
        return false;
    }
    if (!config->settings.api_access_key_id != !config->settings.api_secret_access_key) {
        snprintf(error->message, sizeof error->message,
                 "settings: apiAccessKeyId and apiSecretAccessKey go together: give both or "
                 "neither");
        return false;
    }
    const char *cis_topic = config->settings.cis_alarm_topic;
    if (cis_topic && !notify_topic_find(&config->topics, cis_topic)) {
        snprintf(error->message, sizeof error->message,
                 "settings.cisAlarmTopic: '%.200s' is not a topic of the configuration", cis_topic);
        return false;
    }
    if (!config_check_suppressions(config, error))
        return false;
    size_t length = 0;
    for (size_t i = 0; i < config->alarms.count; i++) {
        const struct alarm_definition *alarm = &config->alarms.items[i];
        note_unknown_actions(config, alarm, &alarm->ok_actions, warnings, &length);
        note_unknown_actions(config, alarm, &alarm->alarm_actions, warnings, &length);
        note_unknown_actions(config, alarm, &alarm->insufficient_data_actions, warnings, &length);
    }
    return true;
}

/* cisAlarmTopic: the CIS alarms (and their tuned companions) that name no AlarmActions
 * notify the topic, as the remediation's put-metric-alarm --alarm-actions does. */
static bool apply_cis_alarm_topic(struct config *config)
{
    const struct notify_topic *topic =
        config->settings.cis_alarm_topic
            ? notify_topic_find(&config->topics, config->settings.cis_alarm_topic)
            : NULL;
    for (size_t i = 0; topic && i < config->alarms.count; i++) {
        struct alarm_definition *alarm = &config->alarms.items[i];
        bool from_pack = alarm->origin && (strcmp(alarm->origin, "cis") == 0 ||
                                           strcmp(alarm->origin, "cis-tuned") == 0);
        if (!from_pack || alarm->alarm_actions.count > 0)
            continue;
        if (!(alarm->alarm_actions.items[0] = strdup(topic->arn)))
            return false;
        alarm->alarm_actions.count = 1;
    }
    return true;
}

bool config_load_all(struct config *config, bool cis, const char *const *paths, size_t count,
                     char **warnings, struct config_error *error)
{
    *warnings = NULL;
    snprintf(error->message, sizeof error->message, "out of memory");
    if (cis && (!metrics_cis_pack(&config->filters) ||
                !alarms_cis_pack(&config->filters, &config->alarms)))
        return false;
    for (size_t i = 0; i < count; i++)
        if (!config_load(paths[i], config, error))
            return false;
    if (!config_finish(config, warnings, error))
        return false;
    snprintf(error->message, sizeof error->message, "out of memory");
    /* CIS alarms stay verbatim; filters with suppressions get a tuned companion */
    return (!cis ||
            alarms_cis_tuned_pack(&config->filters, &config->suppressions, &config->alarms)) &&
           apply_cis_alarm_topic(config);
}
