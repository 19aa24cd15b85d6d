/* The configuration file's `suppressions`: rules naming matches that are noise. Each has a
 * Name, an optional Reason, optional Filters (filterNames; default every filter) and at
 * least one of PrincipalArn, SourceIp, EventName, UserAgent, ErrorCode, Account, all of
 * which must match. Filter names are checked once every file is read (config_finish), since
 * a rule may name a filter of another file or of the CIS pack. */
#include "config/config_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUPPRESSION_NAME_MAX_CHARACTERS 256
#define SUPPRESSION_REASON_MAX_CHARACTERS 1024
#define SUPPRESSION_VALUE_MAX_CHARACTERS 2048

/* Account: 12 digits, or a glob of digits, '*' and '?'. */
static bool check_account(struct config_loader *loader, const struct config_node *node,
                          const char *field)
{
    size_t digits = strspn(node->text, "0123456789");
    bool glob = strpbrk(node->text, "*?") != NULL;
    bool valid = glob ? strspn(node->text, "0123456789*?") == node->length
                      : digits == node->length && digits == 12;
    return valid || config_fail(loader, node->line, field,
                                "must be a 12-digit account id, or a glob of digits, '*' and '?'");
}

static bool load_match(struct config_loader *loader, const struct config_node *rule,
                       const char *path, enum suppression_field field, char **out)
{
    const char *key = suppression_field_name(field);
    const struct config_node *node = config_mapping_get_optional(rule, key);
    if (!node)
        return true;
    char path_field[FIELD_PATH_SIZE];
    config_field_path(path_field, path, key);
    if (!config_expect_name(loader, node, path_field, SUPPRESSION_VALUE_MAX_CHARACTERS, ""))
        return false;
    struct metrics_error error;
    if (!suppression_value_check(field, node->text, &error))
        return config_fail(loader, node->line, path_field, "%s",
                           error.message + strlen("SourceIp: "));
    if (field == SUPPRESSION_ACCOUNT && !check_account(loader, node, path_field))
        return false;
    *out = node->text;
    return true;
}

static bool load_matches(struct config_loader *loader, const struct config_node *rule,
                         const char *path, struct suppression_rule *out)
{
    size_t given = 0;
    for (size_t field = 0; field < SUPPRESSION_FIELD_COUNT; field++) {
        if (!load_match(loader, rule, path, (enum suppression_field)field, &out->match[field]))
            return false;
        given += out->match[field] != NULL;
    }
    return given > 0 ||
           config_fail(loader, rule->line, path,
                       "a rule must look at something: give at least one of PrincipalArn, "
                       "SourceIp, EventName, UserAgent, ErrorCode, Account");
}

/* Filters: a list of filterNames (the names are checked by config_finish). */
static bool load_filters(struct config_loader *loader, const struct config_node *rule,
                         const char *path, struct suppression_rule *out)
{
    const struct config_node *list = config_mapping_get_optional(rule, "Filters");
    if (!list)
        return true;
    char field[FIELD_PATH_SIZE];
    config_field_path(field, path, "Filters");
    if (list->kind != NODE_SEQUENCE || list->count == 0)
        return config_fail(loader, list->line, field,
                           "expected a list of filterNames, found %s (leave Filters out to "
                           "apply the rule to every filter)",
                           list->kind == NODE_SEQUENCE ? "an empty list"
                                                       : config_node_kind_name(list));
    out->filters = calloc(list->count, sizeof *out->filters);
    if (!out->filters)
        return config_fail(loader, list->line, field, "out of memory");
    for (size_t i = 0; i < list->count; i++) {
        char item[FIELD_PATH_SIZE];
        config_item_path(item, field, i);
        if (!config_expect_name(loader, &list->children[i], item, FILTER_NAME_MAX_CHARACTERS, ""))
            return false;
        out->filters[out->filter_count++] = list->children[i].text;
    }
    return true;
}

static bool load_rule_fields(struct config_loader *loader, const struct config_node *node,
                             const char *path, struct suppression_rule *out)
{
    static const char *const known[] = {"Name",         "Reason",    "Filters",
                                        "PrincipalArn", "SourceIp",  "EventName",
                                        "UserAgent",    "ErrorCode", "Account"};
    if (node->kind != NODE_MAPPING)
        return config_fail(loader, node->line, path,
                           "expected a mapping with Name and what to match, found %s",
                           config_node_kind_name(node));
    if (!config_mapping_check_keys(loader, node, path, known, sizeof known / sizeof known[0]))
        return false;
    const struct config_node *name = config_required(loader, node, path, "Name");
    char field[FIELD_PATH_SIZE];
    if (!name || !config_expect_name(loader, name, config_field_path(field, path, "Name"),
                                     SUPPRESSION_NAME_MAX_CHARACTERS, "\r\n"))
        return false;
    out->name = name->text;
    const struct config_node *reason = config_mapping_get_optional(node, "Reason");
    if (reason && !config_expect_name(loader, reason, config_field_path(field, path, "Reason"),
                                      SUPPRESSION_REASON_MAX_CHARACTERS, ""))
        return false;
    out->reason = reason ? reason->text : NULL;
    return load_filters(loader, node, path, out) && load_matches(loader, node, path, out);
}

static const struct suppression_rule *find_rule(const struct suppression_rule_list *list,
                                                const char *name)
{
    for (size_t i = 0; i < list->count; i++)
        if (strcmp(list->items[i].name, name) == 0)
            return &list->items[i];
    return NULL;
}

static bool load_rule(struct config_loader *loader, const struct config_node *node, size_t index,
                      struct suppression_rule_list *loaded)
{
    char path[64];
    snprintf(path, sizeof path, "suppressions[%zu]", index);
    struct suppression_rule rule = {0};
    bool ok = load_rule_fields(loader, node, path, &rule);
    const struct suppression_rule *earlier = ok ? find_rule(loaded, rule.name) : NULL;
    if (earlier) {
        char field[FIELD_PATH_SIZE];
        ok = config_fail(
            loader, config_mapping_get(node, "Name")->line, config_field_path(field, path, "Name"),
            "duplicate suppression Name '%s' (first at %s)", rule.name, earlier->origin);
    }
    char origin[FIELD_PATH_SIZE + 32];
    snprintf(origin, sizeof origin, "%s:%zu", loader->name, node->line);
    rule.origin = origin;
    /* the rule borrows the tree's strings; the list keeps deep copies */
    ok = ok && (suppression_rule_list_append(loaded, &rule) ||
                config_fail(loader, node->line, path, "out of memory"));
    free(rule.filters);
    return ok;
}

bool config_load_suppressions(struct config_loader *loader, const struct config_node *list,
                              struct suppression_rule_list *loaded)
{
    if (list->kind != NODE_SEQUENCE)
        return config_fail(loader, list->line, "suppressions", "expected a list, found %s",
                           config_node_kind_name(list));
    for (size_t i = 0; i < list->count; i++)
        if (!load_rule(loader, &list->children[i], i, loaded))
            return false;
    return true;
}

/* ---- once every file is read ---- */

static bool publishes(const struct metric_filter_definition *filter, const char *namespace_name,
                      const char *metric_name)
{
    return strcmp(filter->transformation.metric_namespace, namespace_name) == 0 &&
           strcmp(filter->transformation.metric_name, metric_name) == 0;
}

/* A tuned metric must be a valid metric name and nobody else's metric. */
static bool check_tuned_metric(const struct metric_filter_list *filters,
                               const struct metric_filter_definition *filter,
                               struct config_error *error)
{
    const struct metric_transformation *metric = &filter->transformation;
    if (strlen(metric->metric_name) + strlen(METRIC_TUNED_SUFFIX) > METRIC_NAME_MAX_CHARACTERS) {
        snprintf(error->message, sizeof error->message,
                 "%s: metricName: '%.200s' is too long to add \"%s\" for its tuned metric "
                 "(suppressions apply to filter %.200s)",
                 filter->origin, metric->metric_name, METRIC_TUNED_SUFFIX, filter->filter_name);
        return false;
    }
    char *tuned = metric_tuned_name(metric->metric_name);
    const struct metric_filter_definition *clash = NULL;
    for (size_t i = 0; tuned && i < filters->count && !clash; i++)
        if (publishes(&filters->items[i], metric->metric_namespace, tuned))
            clash = &filters->items[i];
    if (clash)
        snprintf(error->message, sizeof error->message,
                 "%s: metricName: filter %.200s publishes %.200s/%.200s, the tuned metric of "
                 "filter %.200s (suppressions apply to it); rename one of them",
                 clash->origin, clash->filter_name, metric->metric_namespace, tuned,
                 filter->filter_name);
    else if (!tuned)
        snprintf(error->message, sizeof error->message, "out of memory");
    free(tuned);
    return tuned && !clash;
}

static bool filter_loaded(const struct metric_filter_list *filters, const char *name)
{
    for (size_t i = 0; i < filters->count; i++)
        if (strcmp(filters->items[i].filter_name, name) == 0)
            return true;
    return false;
}

bool config_check_suppressions(const struct config *config, struct config_error *error)
{
    for (size_t r = 0; r < config->suppressions.count; r++) {
        const struct suppression_rule *rule = &config->suppressions.items[r];
        for (size_t i = 0; i < rule->filter_count; i++) {
            if (filter_loaded(&config->filters, rule->filters[i]))
                continue;
            snprintf(error->message, sizeof error->message,
                     "%s: suppressions[%.100s].Filters: '%.200s' is not a metric filter of the "
                     "configuration (CIS filters are loaded by --cis)",
                     rule->origin, rule->name, rule->filters[i]);
            return false;
        }
    }
    for (size_t i = 0; i < config->filters.count; i++) {
        const struct metric_filter_definition *filter = &config->filters.items[i];
        if (suppression_rules_apply(&config->suppressions, filter->filter_name) &&
            !check_tuned_metric(&config->filters, filter, error))
            return false;
    }
    return true;
}
