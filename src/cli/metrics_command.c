/* `trailhound metrics`: the data points a store holds, queried like
 * `aws cloudwatch get-metric-statistics`, or listed like `aws cloudwatch list-metrics`. */
#include "cli/commands.h"
#include "cli/scan_alarms.h"
#include "monitor/monitor.h"
#include "store/store.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char metrics_help[] =
    "usage: trailhound metrics [--db PATH] --namespace NS --metric-name NAME\n"
    "                          [--dimensions Name=N,Value=V ...] --start-time TIME\n"
    "                          --end-time TIME --period SECONDS\n"
    "                          [--statistics S ...] [--extended-statistics E ...]\n"
    "                          [--unit UNIT] [--format json|text]\n"
    "       trailhound metrics [--db PATH] --list [--format json|text]\n"
    "\n"
    "Query the data points a store holds, as `aws cloudwatch get-metric-statistics` does:\n"
    "one entry per period of [start, end) that has data, with the statistics asked for\n"
    "(SampleCount, Sum, Average, Minimum, Maximum; extended: p99, tm90, TM(10%:90%),\n"
    "wm90, tc90, ts90, IQM, PR(a:b)). JSON output has the AWS CLI's shape. --list prints\n"
    "every metric (namespace, name, dimensions, unit).\n"
    "\n"
    "  --db PATH       the store (default: $TRAILHOUND_DB, else\n"
    "                  ~/.local/state/trailhound/trailhound.db)\n"
    "  TIME            2024-10-26T18:00:00Z or 2024-10-26 (UTC)\n"
    "\n"
    "Exit status: 0 on success (even when no period has data), 1 when the store cannot be\n"
    "read, 2 on a usage error.\n";

struct metrics_options {
    const char *db_path;
    bool list;
    bool json;
    struct metric_identity metric;
    struct metric_dimension_value dimensions[ALARM_MAX_DIMENSIONS];
    char dimension_text[ALARM_MAX_DIMENSIONS][512];
    struct monitor_statistics_query query;
    bool has_start, has_end;
};

static int usage_error(const char *message, const char *argument)
{
    fprintf(stderr, "trailhound: metrics: %s%s\n", message, argument ? argument : "");
    fprintf(stderr, "Run 'trailhound metrics --help' for usage.\n");
    return 2;
}

/* "Name=N,Value=V" as the AWS CLI's shorthand spells a dimension. */
static bool parse_dimension(const char *text, char storage[512],
                            struct metric_dimension_value *dimension)
{
    if (strncmp(text, "Name=", 5) != 0 || strlen(text) >= 512)
        return false;
    snprintf(storage, 512, "%s", text + 5);
    char *separator = strstr(storage, ",Value=");
    if (!separator || separator == storage)
        return false;
    *separator = '\0';
    dimension->name = storage;
    dimension->value = separator + strlen(",Value=");
    return true;
}

static int add_statistic(struct metrics_options *options, const char *name, bool extended)
{
    struct monitor_statistics_query *query = &options->query;
    if (query->statistic_count == MONITOR_MAX_STATISTICS)
        return usage_error("too many statistics", NULL);
    struct metrics_error error;
    if (!metric_statistic_parse(name, extended, &query->statistics[query->statistic_count], &error))
        return usage_error(error.message, NULL);
    query->statistic_count++;
    return -1;
}

static int parse_time_option(const char *text, int64_t *seconds, bool *given)
{
    int64_t milliseconds;
    if (!scan_parse_time(text, &milliseconds))
        return usage_error("a time must look like 2024-10-26T18:00:00Z or 2024-10-26, not ", text);
    *seconds = milliseconds / 1000;
    *given = true;
    return -1;
}

/* Values of a repeated option: every following argument up to the next option. */
static int parse_list(int argc, char **argv, int *i, struct metrics_options *options, int kind)
{
    int status = -1;
    for (; status < 0 && *i + 1 < argc && argv[*i + 1][0] != '-'; (*i)++) {
        const char *value = argv[*i + 1];
        if (kind == 'd') {
            size_t n = options->metric.dimension_count;
            if (n == ALARM_MAX_DIMENSIONS)
                return usage_error("too many dimensions", NULL);
            if (!parse_dimension(value, options->dimension_text[n], &options->dimensions[n]))
                return usage_error("a dimension must look like Name=N,Value=V, not ", value);
            options->metric.dimension_count++;
        } else {
            status = add_statistic(options, value, kind == 'e');
        }
    }
    return status;
}

static int parse_value_option(const char *argument, const char *value,
                              struct metrics_options *options)
{
    if (strcmp(argument, "--db") == 0)
        options->db_path = value;
    else if (strcmp(argument, "--namespace") == 0)
        options->metric.namespace_name = (char *)value;
    else if (strcmp(argument, "--metric-name") == 0)
        options->metric.metric_name = (char *)value;
    else if (strcmp(argument, "--unit") == 0)
        options->query.unit = value;
    else if (strcmp(argument, "--start-time") == 0)
        return parse_time_option(value, &options->query.start, &options->has_start);
    else if (strcmp(argument, "--end-time") == 0)
        return parse_time_option(value, &options->query.end, &options->has_end);
    else if (strcmp(argument, "--format") == 0 && strcmp(value, "json") == 0)
        options->json = true;
    else if (strcmp(argument, "--format") == 0 && strcmp(value, "text") == 0)
        options->json = false;
    else if (strcmp(argument, "--period") == 0) {
        char *end;
        long period = strtol(value, &end, 10);
        if (*end || period <= 0 || period > 86400 * 455)
            return usage_error("--period must be a number of seconds, not ", value);
        options->query.period = (int)period;
    } else
        return usage_error("unknown option: ", argument);
    return -1;
}

static int check_required(const struct metrics_options *options)
{
    if (options->list)
        return -1;
    if (!options->metric.namespace_name || !options->metric.metric_name)
        return usage_error("give --namespace and --metric-name (or --list)", NULL);
    if (!options->has_start || !options->has_end || options->query.period == 0)
        return usage_error("give --start-time, --end-time and --period", NULL);
    if (options->query.statistic_count == 0)
        return usage_error("give --statistics and/or --extended-statistics", NULL);
    return -1;
}

static int parse_options(int argc, char **argv, struct metrics_options *options)
{
    options->json = true;
    options->metric.dimensions = options->dimensions;
    for (int i = 1; i < argc; i++) {
        const char *argument = argv[i];
        int status = -1;
        if (strcmp(argument, "--help") == 0 || strcmp(argument, "-h") == 0) {
            fputs(metrics_help, stdout);
            return 0;
        } else if (strcmp(argument, "--list") == 0) {
            options->list = true;
        } else if (strcmp(argument, "--dimensions") == 0) {
            status = parse_list(argc, argv, &i, options, 'd');
        } else if (strcmp(argument, "--statistics") == 0) {
            status = parse_list(argc, argv, &i, options, 's');
        } else if (strcmp(argument, "--extended-statistics") == 0) {
            status = parse_list(argc, argv, &i, options, 'e');
        } else if (i + 1 < argc) {
            status = parse_value_option(argument, argv[++i], options);
        } else {
            return usage_error("unknown option or missing value: ", argument);
        }
        if (status >= 0)
            return status;
    }
    metric_identity_sort(&options->metric);
    return check_required(options);
}

/* ---- output ----------------------------------------------------------------------------- */

static void format_timestamp(int64_t seconds, bool json, char out[40])
{
    time_t time = (time_t)seconds;
    struct tm fields;
    /* not strftime's %Y, which writes year 1 as "1": ISO 8601 wants four digits */
    if (!gmtime_r(&time, &fields))
        snprintf(out, 40, "%lld", (long long)seconds);
    else {
        char text[96]; /* room for any int, so the compiler sees no truncation */
        snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d%s", fields.tm_year + 1900,
                 fields.tm_mon + 1, fields.tm_mday, fields.tm_hour, fields.tm_min, fields.tm_sec,
                 json ? "+00:00" : "Z");
        snprintf(out, 40, "%.39s", text);
    }
}

static bool is_simple(const struct metric_statistic *statistic)
{
    return statistic->kind <= METRIC_STATISTIC_MAXIMUM;
}

static json_t *point_json(const struct metrics_options *options,
                          const struct monitor_statistics_point *point, const char *unit)
{
    char time[40];
    format_timestamp(point->timestamp, true, time);
    json_t *object = json_pack("{s:s}", "Timestamp", time);
    json_t *extended = json_object();
    for (size_t s = 0; s < options->query.statistic_count; s++) {
        const struct metric_statistic *statistic = &options->query.statistics[s];
        if (!point->available[s])
            continue;
        json_object_set_new(is_simple(statistic) ? object : extended, statistic->name,
                            json_real(point->values[s]));
    }
    json_object_set_new(object, "Unit", json_string(unit));
    if (json_object_size(extended))
        json_object_set_new(object, "ExtendedStatistics", extended);
    else
        json_decref(extended);
    return object;
}

static bool print_json(const struct metrics_options *options,
                       const struct monitor_statistics_point *points, size_t count,
                       const char *unit)
{
    json_t *list = json_array();
    for (size_t i = 0; i < count; i++)
        json_array_append_new(list, point_json(options, &points[i], unit));
    json_t *root = json_pack("{s:s,s:o}", "Label", options->metric.metric_name, "Datapoints", list);
    int failed = json_dumpf(root, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
    json_decref(root);
    return failed == 0 && putchar('\n') != EOF;
}

static void print_text(const struct metrics_options *options,
                       const struct monitor_statistics_point *points, size_t count,
                       const char *unit)
{
    printf("%-22s", "TIMESTAMP");
    for (size_t s = 0; s < options->query.statistic_count; s++)
        printf(" %14s", options->query.statistics[s].name);
    printf("  UNIT\n");
    for (size_t i = 0; i < count; i++) {
        char time[40];
        format_timestamp(points[i].timestamp, false, time);
        printf("%-22s", time);
        for (size_t s = 0; s < options->query.statistic_count; s++) {
            if (points[i].available[s])
                printf(" %14.10g", points[i].values[s]);
            else
                printf(" %14s", "-");
        }
        printf("  %s\n", unit);
    }
    printf("%zu period%s with data\n", count, count == 1 ? "" : "s");
}

/* ---- list ------------------------------------------------------------------------------- */

static bool list_metric(void *context, const struct metric_identity *metric, const char *unit)
{
    json_t *list = context;
    json_t *dimensions = json_array();
    for (size_t i = 0; i < metric->dimension_count; i++)
        json_array_append_new(dimensions, json_pack("{s:s,s:s}", "Name", metric->dimensions[i].name,
                                                    "Value", metric->dimensions[i].value));
    json_array_append_new(list, json_pack("{s:s,s:s,s:o,s:s}", "Namespace", metric->namespace_name,
                                          "MetricName", metric->metric_name, "Dimensions",
                                          dimensions, "Unit", unit));
    return true;
}

static int list_metrics(struct store *store, bool json)
{
    json_t *list = json_array();
    struct store_error error;
    if (!store_metrics_list(store, list_metric, list, &error)) {
        json_decref(list);
        fprintf(stderr, "trailhound: metrics: %s\n", error.message);
        return 1;
    }
    if (json) {
        json_t *root = json_pack("{s:o}", "Metrics", list);
        json_dumpf(root, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
        putchar('\n');
        json_decref(root);
        return 0;
    }
    size_t index;
    json_t *entry;
    json_array_foreach(list, index, entry)
    {
        printf("%s  %s", json_string_value(json_object_get(entry, "Namespace")),
               json_string_value(json_object_get(entry, "MetricName")));
        size_t d;
        json_t *dimension;
        json_array_foreach(json_object_get(entry, "Dimensions"), d, dimension)
            printf(" %s=%s", json_string_value(json_object_get(dimension, "Name")),
                   json_string_value(json_object_get(dimension, "Value")));
        printf("  (%s)\n", json_string_value(json_object_get(entry, "Unit")));
    }
    json_decref(list);
    return 0;
}

static int query_metrics(struct store *store, struct metrics_options *options)
{
    options->query.metric = &options->metric;
    struct monitor_statistics_point *points;
    size_t count;
    char unit[64];
    struct monitor_error error;
    if (!monitor_metric_statistics(store, &options->query, &points, &count, unit, &error)) {
        fprintf(stderr, "trailhound: metrics: %s\n", error.message);
        return strstr(error.message, "Period") || strstr(error.message, "Time") ||
                       strstr(error.message, "data points requested")
                   ? 2
                   : 1;
    }
    if (options->json)
        print_json(options, points, count, unit);
    else
        print_text(options, points, count, unit);
    free(points);
    return 0;
}

int metrics_command(int argc, char **argv)
{
    struct metrics_options options = {0};
    int status = parse_options(argc, argv, &options);
    if (status >= 0)
        return status;
    char *default_path = options.db_path ? NULL : store_default_path();
    const char *path = options.db_path ? options.db_path : default_path;
    if (path && access(path, F_OK) != 0) {
        fprintf(stderr, "trailhound: metrics: no store at %s (scan --db %s writes one)\n", path,
                path);
        free(default_path);
        return 1;
    }
    struct store_error error;
    struct store *store = path ? store_open(path, &error) : NULL;
    if (!store) {
        fprintf(stderr, "trailhound: metrics: %s\n", path ? error.message : "out of memory");
        free(default_path);
        return 1;
    }
    status = options.list ? list_metrics(store, options.json) : query_metrics(store, &options);
    store_close(store);
    free(default_path);
    return status;
}
