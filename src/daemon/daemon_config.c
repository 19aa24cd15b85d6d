/* The daemon's configuration: the files and the CIS pack, compiled per log group, and put
 * into the store so the API, `metrics` and the minute's evaluation see the same alarms. */
#include "daemon/daemon_internal.h"
#include "monitor/monitor.h"

#include <stdlib.h>
#include <string.h>

/* The setting that remembers which alarms the configuration defined, so a reload (or a
 * restart with an edited file) deletes the ones it no longer defines and leaves the API's. */
#define CONFIG_ALARMS_SETTING "serve.configAlarms"

bool daemon_config_load(const struct daemon_options *options, struct config *config,
                        struct daemon_error *error)
{
    snprintf(error->message, sizeof error->message, "out of memory");
    if (!config_init(config))
        return false;
    char *warnings = NULL;
    struct config_error config_error;
    bool loaded = config_load_all(config, options->cis, options->config_paths,
                                  options->config_count, &warnings, &config_error);
    free(warnings);
    if (!loaded) {
        snprintf(error->message, sizeof error->message, "%s", config_error.message);
        config_free(config);
    }
    return loaded;
}

static void scan_free(struct daemon_scan *scan)
{
    free(scan->log_group);
    metric_filter_list_free(&scan->filters);
    filter_scan_free(scan->scan);
    free(scan->matches_counted);
    free(scan->api_filters);
}

void daemon_scans_free(struct daemon *daemon)
{
    for (size_t i = 0; i < daemon->scan_count; i++)
        scan_free(&daemon->scans[i]);
    free(daemon->scans);
    daemon->scans = NULL;
    daemon->scan_count = 0;
}

static int resolution_of(const struct config *config)
{
    for (size_t i = 0; i < config->alarms.count; i++)
        if (config->alarms.items[i].period < 60)
            return METRIC_RESOLUTION_HIGH;
    return METRIC_RESOLUTION_STANDARD;
}

/* Does a configuration filter named `name` apply to `log_group`? (It wins over the API's.) */
static bool configured_filter(const struct daemon *daemon, const char *log_group, const char *name)
{
    const struct metric_filter_list *all = &daemon->config.filters;
    for (size_t i = 0; i < all->count; i++) {
        const char *group = all->items[i].log_group_name;
        if ((!group || strcmp(group, log_group) == 0) &&
            strcmp(all->items[i].filter_name, name) == 0)
            return true;
    }
    return false;
}

struct api_filter_rows {
    const char *log_group;
    char **names, **definitions;
    size_t count;
    bool failed;
};

static bool collect_api_filter(void *context, const char *log_group, const char *name,
                               const char *definition_json)
{
    struct api_filter_rows *rows = context;
    if (strcmp(log_group, rows->log_group) != 0)
        return true;
    char **names = realloc(rows->names, (rows->count + 1) * sizeof *names);
    if (names)
        rows->names = names;
    char **definitions =
        names ? realloc(rows->definitions, (rows->count + 1) * sizeof *names) : NULL;
    if (definitions)
        rows->definitions = definitions;
    if (!names || !definitions) {
        rows->failed = true;
        return false;
    }
    char *name_copy = strdup(name), *definition_copy = strdup(definition_json);
    rows->names[rows->count] = name_copy;
    rows->definitions[rows->count] = definition_copy;
    rows->count++;
    rows->failed = !name_copy || !definition_copy;
    return !rows->failed;
}

static void api_filter_rows_free(struct api_filter_rows *rows)
{
    for (size_t i = 0; i < rows->count; i++) {
        free(rows->names[i]);
        free(rows->definitions[i]);
    }
    free(rows->names);
    free(rows->definitions);
}

/* Appends the filter PutMetricFilter made (it has a creation time setting; a configuration
 * filter the store still holds has none) and its text to `fingerprint`. */
static bool add_api_filter(struct daemon *daemon, const char *log_group, const char *name,
                           const char *definition_json, struct metric_filter_list *filters,
                           char **fingerprint, struct daemon_error *error)
{
    char key[1200], *created = NULL;
    snprintf(key, sizeof key, "api.metricFilterCreated.%s/%s", log_group, name);
    struct store_error store_error;
    if (!store_setting_get(daemon->store, key, &created, &store_error)) {
        snprintf(error->message, sizeof error->message, "%s", store_error.message);
        return false;
    }
    free(created);
    if (!created || configured_filter(daemon, log_group, name))
        return true;
    struct metric_filter_definition filter;
    struct metrics_error metrics_error;
    if (!metric_filter_from_json(definition_json, &filter, &metrics_error)) {
        daemon_log(daemon, "warn", "filter_unreadable", "log_group=%s filter=%s error=\"%s\"",
                   log_group, name, metrics_error.message);
        return true;
    }
    free(filter.log_group_name);
    filter.log_group_name = strdup(log_group);
    size_t used = *fingerprint ? strlen(*fingerprint) : 0;
    char *grown = realloc(*fingerprint, used + strlen(name) + strlen(definition_json) + 3);
    bool ok = filter.log_group_name && grown && metric_filter_list_append(filters, &filter);
    if (grown) {
        *fingerprint = grown;
        sprintf(grown + used, "%s\n%s\n", name, definition_json);
    }
    metric_filter_definition_free(&filter);
    if (!ok)
        snprintf(error->message, sizeof error->message, "out of memory");
    return ok;
}

/* The filters PutMetricFilter put on `log_group`, and their text ("" when none). */
static bool api_filters_read(struct daemon *daemon, const char *log_group,
                             struct metric_filter_list *filters, char **fingerprint,
                             struct daemon_error *error)
{
    struct api_filter_rows rows = {.log_group = log_group};
    struct store_error store_error = {.message = "out of memory"};
    bool ok = (*fingerprint = strdup("")) &&
              store_metric_filter_list(daemon->store, collect_api_filter, &rows, &store_error) &&
              !rows.failed;
    if (!ok)
        snprintf(error->message, sizeof error->message, "reading the API's filters: %s",
                 rows.failed ? "out of memory" : store_error.message);
    for (size_t i = 0; ok && i < rows.count; i++)
        ok = add_api_filter(daemon, log_group, rows.names[i], rows.definitions[i], filters,
                            fingerprint, error);
    api_filter_rows_free(&rows);
    return ok;
}

static bool scan_build(struct daemon *daemon, struct daemon_scan *scan, const char *log_group,
                       struct daemon_error *error)
{
    const struct metric_filter_list *all = &daemon->config.filters;
    snprintf(error->message, sizeof error->message, "out of memory");
    if (!(scan->log_group = strdup(log_group)))
        return false;
    for (size_t i = 0; i < all->count; i++) {
        const char *group = all->items[i].log_group_name;
        if ((!group || strcmp(group, log_group) == 0) &&
            !metric_filter_list_append(&scan->filters, &all->items[i]))
            return false;
    }
    if (!api_filters_read(daemon, log_group, &scan->filters, &scan->api_filters, error))
        return false;
    struct metrics_error metrics_error;
    bool ok =
        (scan->scan = filter_scan_create(&scan->filters, true, &metrics_error)) &&
        (daemon->config.suppressions.count == 0 ||
         filter_scan_enable_suppressions(scan->scan, &daemon->config.suppressions,
                                         &metrics_error)) &&
        filter_scan_enable_datapoints(scan->scan, resolution_of(&daemon->config), &metrics_error) &&
        filter_scan_enable_evidence(scan->scan, &metrics_error);
    if (!ok)
        snprintf(error->message, sizeof error->message, "log group %s: %s", log_group,
                 metrics_error.message);
    return ok;
}

static bool scan_add(struct daemon *daemon, const char *log_group, struct daemon_error *error)
{
    if (daemon_scan_for(daemon, log_group))
        return true;
    struct daemon_scan *grown =
        realloc(daemon->scans, (daemon->scan_count + 1) * sizeof *daemon->scans);
    if (!grown) {
        snprintf(error->message, sizeof error->message, "out of memory");
        return false;
    }
    daemon->scans = grown;
    struct daemon_scan *scan = &daemon->scans[daemon->scan_count++];
    *scan = (struct daemon_scan){0};
    return scan_build(daemon, scan, log_group, error);
}

bool daemon_scans_build(struct daemon *daemon, struct daemon_error *error)
{
    daemon_scans_free(daemon);
    const struct daemon_options *options = &daemon->options;
    for (size_t i = 0; i < options->watch_count; i++)
        if (!scan_add(daemon, options->watches[i].log_group, error))
            return false;
    return !options->read_stdin || scan_add(daemon, options->stdin_log_group, error);
}

struct daemon_scan *daemon_scan_for(struct daemon *daemon, const char *log_group)
{
    for (size_t i = 0; i < daemon->scan_count; i++)
        if (strcmp(daemon->scans[i].log_group, log_group) == 0)
            return &daemon->scans[i];
    return NULL;
}

struct daemon_scan *daemon_scan_current(struct daemon *daemon, const char *log_group,
                                        struct daemon_error *error)
{
    struct daemon_scan *scan = daemon_scan_for(daemon, log_group);
    struct metric_filter_list ignored = {0};
    char *fingerprint = NULL;
    bool read = api_filters_read(daemon, log_group, &ignored, &fingerprint, error);
    bool fresh = read && scan && strcmp(scan->api_filters, fingerprint) == 0;
    metric_filter_list_free(&ignored);
    free(fingerprint);
    if (!read || fresh)
        return read ? scan : NULL;
    struct daemon_scan built = {0};
    if (!scan_build(daemon, &built, log_group, error)) {
        scan_free(&built);
        return NULL;
    }
    if (scan) { /* between commits a scan holds nothing: replacing it loses nothing */
        scan_free(scan);
        *scan = built;
        return scan;
    }
    struct daemon_scan *grown =
        realloc(daemon->scans, (daemon->scan_count + 1) * sizeof *daemon->scans);
    if (!grown) {
        scan_free(&built);
        snprintf(error->message, sizeof error->message, "out of memory");
        return NULL;
    }
    daemon->scans = grown;
    daemon->scans[daemon->scan_count] = built;
    return &daemon->scans[daemon->scan_count++];
}

struct daemon_scan *daemon_scan_fresh(struct daemon *daemon, const char *log_group)
{
    struct daemon_error error;
    struct daemon_scan *scan = daemon_scan_current(daemon, log_group, &error);
    if (scan)
        return scan;
    daemon_log(daemon, "error", "scan_failed", "log_group=%s error=\"%s\" action=previous_filters",
               log_group, error.message);
    return daemon_scan_for(daemon, log_group);
}

static bool put_filters(struct daemon *daemon, struct daemon_error *error)
{
    const struct metric_filter_list *filters = &daemon->config.filters;
    for (size_t i = 0; i < filters->count; i++) {
        const struct metric_filter_definition *filter = &filters->items[i];
        char *json = metric_filter_to_json(filter);
        struct store_error store_error = {.message = "out of memory"};
        bool ok = json && store_metric_filter_put(
                              daemon->store, filter->log_group_name ? filter->log_group_name : "",
                              filter->filter_name, json, &store_error);
        free(json);
        if (!ok) {
            snprintf(error->message, sizeof error->message, "storing filter %s: %s",
                     filter->filter_name, store_error.message);
            return false;
        }
    }
    return true;
}

/* Deletes the alarms named in the previous configuration's list but not in this one. */
static bool delete_dropped_alarms(struct daemon *daemon, const char *previous,
                                  struct daemon_error *error)
{
    char *names = strdup(previous ? previous : "");
    if (!names)
        return false;
    bool ok = true;
    char *saved = NULL;
    for (char *name = strtok_r(names, "\n", &saved); ok && name;
         name = strtok_r(NULL, "\n", &saved)) {
        if (alarm_list_find(&daemon->config.alarms, name) >= 0)
            continue;
        bool deleted = false;
        struct store_error store_error;
        ok = store_alarm_delete(daemon->store, name, &deleted, &store_error);
        if (!ok)
            snprintf(error->message, sizeof error->message, "%s", store_error.message);
        else if (deleted)
            daemon_log(daemon, "info", "alarm_deleted", "alarm=%s reason=not-in-configuration",
                       name);
    }
    free(names);
    return ok;
}

static char *alarm_names(const struct alarm_list *alarms)
{
    size_t size = 1;
    for (size_t i = 0; i < alarms->count; i++)
        size += strlen(alarms->items[i].alarm_name) + 1;
    char *names = malloc(size);
    if (!names)
        return NULL;
    names[0] = '\0';
    for (size_t i = 0; i < alarms->count; i++) {
        strcat(names, alarms->items[i].alarm_name);
        strcat(names, "\n");
    }
    return names;
}

static bool put_alarms(struct daemon *daemon, struct daemon_error *error)
{
    struct monitor_settings settings = {.region = daemon->config.settings.region,
                                        .account_id = daemon->config.settings.account_id,
                                        .evaluation_range =
                                            daemon->config.settings.alarm_evaluation_range};
    int64_t now = daemon_now_ms();
    for (size_t i = 0; i < daemon->config.alarms.count; i++) {
        struct monitor_error monitor_error;
        if (!monitor_put_alarm(daemon->store, &daemon->config.alarms.items[i], &settings, now,
                               &monitor_error)) {
            snprintf(error->message, sizeof error->message, "%s", monitor_error.message);
            return false;
        }
    }
    return true;
}

bool daemon_config_apply(struct daemon *daemon, struct daemon_error *error)
{
    struct store_error store_error;
    char *previous = NULL, *names = alarm_names(&daemon->config.alarms);
    bool ok = names && store_begin(daemon->store, &store_error) &&
              store_setting_get(daemon->store, CONFIG_ALARMS_SETTING, &previous, &store_error);
    if (!ok)
        snprintf(error->message, sizeof error->message, "%s",
                 names ? store_error.message : "out of memory");
    ok = ok && put_filters(daemon, error) && delete_dropped_alarms(daemon, previous, error) &&
         put_alarms(daemon, error);
    if (ok && !(store_setting_set(daemon->store, CONFIG_ALARMS_SETTING, names, &store_error) &&
                store_commit(daemon->store, &store_error))) {
        snprintf(error->message, sizeof error->message, "%s", store_error.message);
        ok = false;
    }
    if (!ok)
        store_rollback(daemon->store);
    free(previous);
    free(names);
    return ok;
}

/* SIGHUP: the new configuration replaces the old only when it loads whole. */
bool daemon_reload(struct daemon *daemon)
{
    struct config fresh;
    struct daemon_error error;
    if (!daemon_config_load(&daemon->options, &fresh, &error)) {
        daemon_log(daemon, "error", "reload_failed", "error=\"%s\"", error.message);
        return false;
    }
    config_free(&daemon->config);
    daemon->config = fresh;
    if (!daemon_scans_build(daemon, &error) || !daemon_config_apply(daemon, &error)) {
        daemon_log(daemon, "error", "reload_failed", "error=\"%s\"", error.message);
        return false;
    }
    if (!daemon->options.exit_when_idle)
        daemon_silence_reload(daemon);
    daemon_log(daemon, "info", "reloaded", "filters=%zu alarms=%zu", daemon->config.filters.count,
               daemon->config.alarms.count);
    return true;
}
