/* Metric data points: buckets merged on write (an upsert per bucket and per distinct value)
 * and unions of buckets read back into alarm slots with one index range scan. */
#include "store/store.h"
#include "store/store_internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_UNIT "None"

/* ---- canonical dimension text -------------------------------------------------------- */

static int compare_dimension_names(const void *a, const void *b)
{
    const struct metric_dimension_value *const *left = a, *const *right = b;
    return strcmp((*left)->name, (*right)->name);
}

/* Appends `text` as a JSON string. Only '"', '\\' and control characters are escaped, the
 * rest is copied byte for byte: a fixed spelling is what makes the text canonical. */
static char *append_json_string(char *out, const char *text)
{
    static const char hex[] = "0123456789abcdef";
    *out++ = '"';
    for (const unsigned char *byte = (const unsigned char *)text; *byte; byte++) {
        if (*byte == '"' || *byte == '\\') {
            *out++ = '\\';
            *out++ = (char)*byte;
        } else if (*byte < 0x20) {
            memcpy(out, "\\u00", 4);
            out[4] = hex[*byte >> 4];
            out[5] = hex[*byte & 15];
            out += 6;
        } else {
            *out++ = (char)*byte;
        }
    }
    *out++ = '"';
    return out;
}

/* Writes the dimensions as one JSON object with keys sorted by byte value, so equal
 * dimension sets give equal text whatever their order in `identity`. */
static bool write_dimensions(const struct metric_identity *identity,
                             const struct metric_dimension_value **sorted, char *text,
                             struct store_error *error)
{
    for (size_t i = 0; i < identity->dimension_count; i++) {
        sorted[i] = &identity->dimensions[i];
        if (!sorted[i]->name || !sorted[i]->value)
            return store_fail(error, "metric %s has a dimension without a name or value",
                              identity->metric_name);
    }
    qsort(sorted, identity->dimension_count, sizeof *sorted, compare_dimension_names);
    char *out = text;
    *out++ = '{';
    for (size_t i = 0; i < identity->dimension_count; i++) {
        if (i > 0 && strcmp(sorted[i - 1]->name, sorted[i]->name) == 0)
            return store_fail(error, "metric %s has dimension %s twice", identity->metric_name,
                              sorted[i]->name);
        if (i > 0)
            *out++ = ',';
        out = append_json_string(out, sorted[i]->name);
        *out++ = ':';
        out = append_json_string(out, sorted[i]->value);
    }
    memcpy(out, "}", 2);
    return true;
}

char *store_dimensions_json(const struct metric_identity *identity, struct store_error *error)
{
    size_t size = 3; /* braces and the terminator */
    for (size_t i = 0; i < identity->dimension_count; i++) {
        const struct metric_dimension_value *dimension = &identity->dimensions[i];
        /* an escape takes at most 6 bytes; quotes, colon and comma 4 */
        size += 6 * (dimension->name ? strlen(dimension->name) : 0) + 4;
        size += 6 * (dimension->value ? strlen(dimension->value) : 0) + 2;
    }
    char *text = malloc(size);
    const struct metric_dimension_value **sorted =
        malloc((identity->dimension_count + 1) * sizeof *sorted);
    if (!text || !sorted) {
        free(text);
        text = NULL;
        store_fail(error, "out of memory");
    } else if (!write_dimensions(identity, sorted, text, error)) {
        free(text);
        text = NULL;
    }
    free(sorted);
    return text;
}

bool store_bind_metric(sqlite3_stmt *statement, const struct metric_identity *metric,
                       const char *unit, const char *dimensions)
{
    return store_bind_text(statement, 1, metric->namespace_name) &&
           store_bind_text(statement, 2, metric->metric_name) &&
           store_bind_text(statement, 3, dimensions) &&
           (!unit || store_bind_text(statement, 4, unit));
}

/* ---- writing ------------------------------------------------------------------------- */

/* The metrics row of the point being written, kept across points of one call since a batch
 * usually holds few metrics. */
struct metric_row {
    int64_t id;
    const struct metric_identity *identity;
    const char *unit;
    char *dimensions; /* owned */
};

static bool is_same_metric(const struct metric_row *row, const struct metric_identity *identity,
                           const char *unit, const char *dimensions)
{
    return row->dimensions && strcmp(row->dimensions, dimensions) == 0 &&
           strcmp(row->unit, unit) == 0 &&
           strcmp(row->identity->namespace_name, identity->namespace_name) == 0 &&
           strcmp(row->identity->metric_name, identity->metric_name) == 0;
}

static bool bind_metric(sqlite3_stmt *statement, const struct metric_identity *identity,
                        const char *unit, const char *dimensions)
{
    return store_bind_text(statement, 1, identity->namespace_name) &&
           store_bind_text(statement, 2, identity->metric_name) &&
           store_bind_text(statement, 3, dimensions) && store_bind_text(statement, 4, unit);
}

/* The id of the (identity, unit) row; `found` false when there is none. */
static bool find_metric(struct store *store, const struct metric_identity *identity,
                        const char *unit, const char *dimensions, bool *found, int64_t *id,
                        struct store_error *error)
{
    sqlite3_stmt *statement =
        store_statement(store, STATEMENT_METRIC_FIND,
                        "SELECT id FROM metrics WHERE namespace = ?1 AND name = ?2 AND "
                        "dimensions_json = ?3 AND unit = ?4",
                        error);
    if (!statement)
        return false;
    int status =
        bind_metric(statement, identity, unit, dimensions) ? sqlite3_step(statement) : SQLITE_ERROR;
    bool ok = status == SQLITE_ROW || status == SQLITE_DONE;
    if (!ok)
        store_fail_sqlite(store, error, "cannot look the metric up");
    *found = status == SQLITE_ROW;
    if (*found)
        *id = sqlite3_column_int64(statement, 0);
    sqlite3_reset(statement);
    return ok;
}

static bool insert_metric(struct store *store, const struct metric_identity *identity,
                          const char *unit, const char *dimensions, int64_t *id,
                          struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_METRIC_INSERT,
        "INSERT INTO metrics (namespace, name, dimensions_json, unit) VALUES (?1, ?2, ?3, ?4)",
        error);
    if (!statement ||
        !store_run(store, statement, bind_metric(statement, identity, unit, dimensions),
                   "cannot store the metric", error))
        return false;
    *id = sqlite3_last_insert_rowid(store->db);
    return true;
}

/* Points `row` at the metrics row of `point`, creating it when new. */
static bool resolve_metric(struct store *store, const struct metric_datapoint *point,
                           struct metric_row *row, struct store_error *error)
{
    const char *unit = point->unit ? point->unit : DEFAULT_UNIT;
    char *dimensions = store_dimensions_json(&point->identity, error);
    if (!dimensions)
        return false;
    if (is_same_metric(row, &point->identity, unit, dimensions)) {
        free(dimensions);
        return true;
    }
    free(row->dimensions);
    *row =
        (struct metric_row){.identity = &point->identity, .unit = unit, .dimensions = dimensions};
    bool found = false;
    bool ok = find_metric(store, &point->identity, unit, dimensions, &found, &row->id, error);
    if (ok && !found)
        ok = insert_metric(store, &point->identity, unit, dimensions, &row->id, error);
    if (!ok) {
        free(row->dimensions);
        row->dimensions = NULL;
    }
    return ok;
}

static bool bind_bucket_key(sqlite3_stmt *statement, int64_t metric_id,
                            const struct metric_datapoint *point)
{
    return sqlite3_bind_int64(statement, 1, metric_id) == SQLITE_OK &&
           sqlite3_bind_int(statement, 2, point->resolution) == SQLITE_OK &&
           sqlite3_bind_int64(statement, 3, point->timestamp) == SQLITE_OK;
}

static bool merge_statistics(struct store *store, int64_t metric_id,
                             const struct metric_datapoint *point, struct store_error *error)
{
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_DATAPOINT_MERGE,
        "INSERT INTO datapoints (metric_id, resolution, timestamp, sample_count, sum, minimum, "
        "maximum) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
        "ON CONFLICT (metric_id, resolution, timestamp) DO UPDATE SET "
        "sample_count = sample_count + excluded.sample_count, sum = sum + excluded.sum, "
        "minimum = min(minimum, excluded.minimum), maximum = max(maximum, excluded.maximum)",
        error);
    if (!statement)
        return false;
    const struct metric_aggregate *aggregate = &point->aggregate;
    bool bound = bind_bucket_key(statement, metric_id, point) &&
                 sqlite3_bind_double(statement, 4, aggregate->sample_count) == SQLITE_OK &&
                 sqlite3_bind_double(statement, 5, aggregate->sum) == SQLITE_OK &&
                 sqlite3_bind_double(statement, 6, aggregate->minimum) == SQLITE_OK &&
                 sqlite3_bind_double(statement, 7, aggregate->maximum) == SQLITE_OK;
    return store_run(store, statement, bound, "cannot store the data point", error);
}

static bool merge_values(struct store *store, int64_t metric_id,
                         const struct metric_datapoint *point, struct store_error *error)
{
    const struct metric_aggregate *aggregate = &point->aggregate;
    for (size_t i = 0; i < aggregate->value_count; i++) {
        sqlite3_stmt *statement =
            store_statement(store, STATEMENT_DATAPOINT_VALUE_MERGE,
                            "INSERT INTO datapoint_values (metric_id, resolution, timestamp, "
                            "value, count) VALUES (?1, ?2, ?3, ?4, ?5) "
                            "ON CONFLICT (metric_id, resolution, timestamp, value) DO UPDATE SET "
                            "count = count + excluded.count",
                            error);
        if (!statement)
            return false;
        bool bound = bind_bucket_key(statement, metric_id, point) &&
                     sqlite3_bind_double(statement, 4, aggregate->values[i].value) == SQLITE_OK &&
                     sqlite3_bind_double(statement, 5, aggregate->values[i].count) == SQLITE_OK;
        if (!store_run(store, statement, bound, "cannot store the data point's values", error))
            return false;
    }
    return true;
}

static bool check_point(const struct metric_datapoint *point, struct store_error *error)
{
    const struct metric_identity *identity = &point->identity;
    if (!identity->namespace_name || !identity->metric_name)
        return store_fail(error, "a data point has no metric namespace or name");
    if (point->resolution != METRIC_RESOLUTION_STANDARD &&
        point->resolution != METRIC_RESOLUTION_HIGH)
        return store_fail(error, "data point of %s: resolution %d is neither 60 nor 1",
                          identity->metric_name, point->resolution);
    if (point->timestamp % point->resolution != 0)
        return store_fail(error, "data point of %s: start %lld is not a multiple of %d s",
                          identity->metric_name, (long long)point->timestamp, point->resolution);
    return true;
}

static bool add_point(struct store *store, const struct metric_datapoint *point,
                      struct metric_row *row, struct store_error *error)
{
    /* an empty bucket holds nothing to merge, and its minimum and maximum mean nothing */
    if (point->aggregate.sample_count <= 0)
        return check_point(point, error);
    return check_point(point, error) && resolve_metric(store, point, row, error) &&
           merge_statistics(store, row->id, point, error) &&
           merge_values(store, row->id, point, error);
}

bool store_datapoints_add(struct store *store, const struct metric_datapoint *points, size_t count,
                          struct store_error *error)
{
    if (!store_begin(store, error))
        return false;
    struct metric_row row = {0};
    bool ok = true;
    for (size_t i = 0; ok && i < count; i++)
        ok = add_point(store, &points[i], &row, error);
    free(row.dimensions);
    return store_end(store, ok, error);
}

/* ---- reading slots ------------------------------------------------------------------- */

/* Rows come grouped by bucket (unit, then start), a bucket's values ascending; a bucket
 * without raw values has one row whose value is NULL. */
#define READ_SELECT                                                                                \
    "SELECT d.metric_id, d.timestamp, d.sample_count, d.sum, d.minimum, d.maximum, v.value, "      \
    "v.count FROM metrics m JOIN datapoints d ON d.metric_id = m.id "                              \
    "LEFT JOIN datapoint_values v ON v.metric_id = d.metric_id "                                   \
    "AND v.resolution = d.resolution AND v.timestamp = d.timestamp "                               \
    "WHERE m.namespace = ?1 AND m.name = ?2 AND m.dimensions_json = ?3 "
#define READ_RANGE "AND d.resolution = ?5 AND d.timestamp >= ?6 AND d.timestamp < ?7 "
#define READ_ORDER "ORDER BY m.unit, d.timestamp, v.value"

/* The slots being filled and the bucket being rebuilt from its rows. */
struct slot_reader {
    struct metric_aggregate *slots;
    size_t count;
    int64_t first_start;
    int period;
    bool in_bucket;
    int64_t metric_id, timestamp;
    double sample_count, sum, minimum, maximum;
    struct metric_aggregate bucket;
    bool out_of_memory;
    /* store_datapoints_each: each bucket goes to the caller instead of into a slot */
    bool (*each)(void *context, int64_t start, const struct metric_aggregate *bucket);
    void *each_context;
};

/* Merges the bucket rebuilt so far into its slot. Its values went through
 * metric_aggregate_add, which also counted them; the stored statistics replace those, as
 * they include samples that came without raw values. */
static bool flush_bucket(struct slot_reader *reader)
{
    if (!reader->in_bucket)
        return true;
    reader->in_bucket = false;
    struct metric_aggregate *bucket = &reader->bucket;
    bucket->sample_count = reader->sample_count;
    bucket->sum = reader->sum;
    bucket->minimum = reader->minimum;
    bucket->maximum = reader->maximum;
    bool merged;
    if (reader->each) {
        merged = reader->each(reader->each_context, reader->timestamp, bucket);
    } else {
        /* the query's range keeps every bucket inside the slots; the check costs nothing */
        uint64_t slot =
            (uint64_t)(reader->timestamp - reader->first_start) / (uint64_t)reader->period;
        merged = slot >= reader->count || metric_aggregate_merge(&reader->slots[slot], bucket);
    }
    metric_aggregate_free(bucket);
    return merged;
}

static void start_bucket(struct slot_reader *reader, sqlite3_stmt *row)
{
    reader->in_bucket = true;
    reader->metric_id = sqlite3_column_int64(row, 0);
    reader->timestamp = sqlite3_column_int64(row, 1);
    reader->sample_count = sqlite3_column_double(row, 2);
    reader->sum = sqlite3_column_double(row, 3);
    reader->minimum = sqlite3_column_double(row, 4);
    reader->maximum = sqlite3_column_double(row, 5);
    metric_aggregate_init(&reader->bucket);
}

static bool read_slot_row(void *context, sqlite3_stmt *row)
{
    struct slot_reader *reader = context;
    bool same_bucket = reader->in_bucket && reader->metric_id == sqlite3_column_int64(row, 0) &&
                       reader->timestamp == sqlite3_column_int64(row, 1);
    bool ok = same_bucket || flush_bucket(reader);
    if (ok && !same_bucket)
        start_bucket(reader, row);
    if (ok && sqlite3_column_type(row, 6) != SQLITE_NULL)
        ok = metric_aggregate_add(&reader->bucket, sqlite3_column_double(row, 6),
                                  sqlite3_column_double(row, 7));
    reader->out_of_memory = !ok;
    return ok;
}

/* The end of the last slot, clamped where it would overflow. */
static int64_t slots_end(int64_t first_start, int period, size_t count)
{
    int64_t length, end;
    if (count > INT64_MAX || __builtin_mul_overflow((int64_t)count, (int64_t)period, &length) ||
        __builtin_add_overflow(first_start, length, &end))
        return INT64_MAX;
    return end;
}

static bool bind_read(sqlite3_stmt *statement, const struct metric_identity *metric,
                      const char *unit, const char *dimensions, int resolution, int64_t first_start,
                      int64_t end)
{
    return store_bind_metric(statement, metric, unit, dimensions) &&
           sqlite3_bind_int(statement, 5, resolution) == SQLITE_OK &&
           sqlite3_bind_int64(statement, 6, first_start) == SQLITE_OK &&
           sqlite3_bind_int64(statement, 7, end) == SQLITE_OK;
}

static bool read_slots(struct store *store, const struct metric_identity *metric, const char *unit,
                       const char *dimensions, int resolution, struct slot_reader *reader,
                       struct store_error *error)
{
    sqlite3_stmt *statement =
        unit ? store_statement(store, STATEMENT_DATAPOINTS_READ_UNIT,
                               READ_SELECT "AND m.unit = ?4 " READ_RANGE READ_ORDER, error)
             : store_statement(store, STATEMENT_DATAPOINTS_READ_ALL_UNITS,
                               READ_SELECT READ_RANGE READ_ORDER, error);
    if (!statement)
        return false;
    int64_t end = slots_end(reader->first_start, reader->period, reader->count);
    if (!bind_read(statement, metric, unit, dimensions, resolution, reader->first_start, end))
        return store_fail_sqlite(store, error, "cannot read data points");
    bool ok = store_walk(store, statement, read_slot_row, reader, "cannot read data points", error);
    if (ok && !reader->out_of_memory && !flush_bucket(reader))
        reader->out_of_memory = true;
    metric_aggregate_free(&reader->bucket);
    return ok && (!reader->out_of_memory || store_fail(error, "out of memory"));
}

static bool check_read(const struct metric_identity *metric, int resolution, int period,
                       struct store_error *error)
{
    if (!metric->namespace_name || !metric->metric_name)
        return store_fail(error, "cannot read data points: no metric namespace or name");
    if (resolution != METRIC_RESOLUTION_STANDARD && resolution != METRIC_RESOLUTION_HIGH)
        return store_fail(error, "cannot read data points: resolution %d is neither 60 nor 1",
                          resolution);
    if (period <= 0)
        return store_fail(error, "cannot read data points: period %d is not positive", period);
    return true;
}

bool store_datapoints_read(struct store *store, const struct metric_identity *metric,
                           const char *unit, int resolution, int64_t first_start, int period,
                           size_t count, struct metric_aggregate *slots, struct store_error *error)
{
    for (size_t i = 0; i < count; i++)
        metric_aggregate_init(&slots[i]);
    if (!check_read(metric, resolution, period, error))
        return false;
    if (count == 0)
        return true;
    char *dimensions = store_dimensions_json(metric, error);
    if (!dimensions)
        return false;
    struct slot_reader reader = {
        .slots = slots, .count = count, .first_start = first_start, .period = period};
    bool ok = read_slots(store, metric, unit, dimensions, resolution, &reader, error);
    free(dimensions);
    /* on failure the slots are left empty, not half filled */
    for (size_t i = 0; !ok && i < count; i++)
        metric_aggregate_free(&slots[i]);
    return ok;
}

bool store_datapoints_each(struct store *store, const struct metric_identity *metric,
                           const char *unit, int resolution, int64_t from, int64_t to,
                           bool (*each)(void *context, int64_t start,
                                        const struct metric_aggregate *bucket),
                           void *context, struct store_error *error)
{
    if (!check_read(metric, resolution, 1, error))
        return false;
    char *dimensions = store_dimensions_json(metric, error);
    if (!dimensions)
        return false;
    /* slots of one second over [from, to): read_slots computes the query's end from them */
    size_t count = to > from ? (size_t)(to - from) : 0;
    struct slot_reader reader = {
        .count = count, .first_start = from, .period = 1, .each = each, .each_context = context};
    bool ok = count == 0 || read_slots(store, metric, unit, dimensions, resolution, &reader, error);
    free(dimensions);
    return ok;
}

/* ---- what is stored ------------------------------------------------------------------ */

#define NEXT_SELECT                                                                                \
    "SELECT min(d.timestamp) FROM metrics m JOIN datapoints d ON d.metric_id = m.id "              \
    "WHERE m.namespace = ?1 AND m.name = ?2 AND m.dimensions_json = ?3 "
#define NEXT_RANGE "AND d.resolution = ?5 AND d.timestamp >= ?6"

bool store_datapoints_next(struct store *store, const struct metric_identity *metric,
                           const char *unit, int resolution, int64_t from, bool *found,
                           int64_t *start, struct store_error *error)
{
    *found = false;
    if (!check_read(metric, resolution, 1, error))
        return false;
    char *dimensions = store_dimensions_json(metric, error);
    if (!dimensions)
        return false;
    sqlite3_stmt *statement =
        unit ? store_statement(store, STATEMENT_DATAPOINTS_NEXT_UNIT,
                               NEXT_SELECT "AND m.unit = ?4 " NEXT_RANGE, error)
             : store_statement(store, STATEMENT_DATAPOINTS_NEXT_ALL_UNITS, NEXT_SELECT NEXT_RANGE,
                               error);
    bool ok = statement && store_bind_metric(statement, metric, unit, dimensions) &&
              sqlite3_bind_int(statement, 5, resolution) == SQLITE_OK &&
              sqlite3_bind_int64(statement, 6, from) == SQLITE_OK &&
              sqlite3_step(statement) == SQLITE_ROW;
    free(dimensions);
    if (!statement)
        return false;
    if (!ok)
        store_fail_sqlite(store, error, "cannot find the next data point");
    else if (sqlite3_column_type(statement, 0) != SQLITE_NULL) {
        *found = true;
        *start = sqlite3_column_int64(statement, 0);
    }
    sqlite3_reset(statement);
    return ok;
}

bool store_datapoints_span(struct store *store, bool *found, int64_t *first, int64_t *last,
                           struct store_error *error)
{
    /* two subqueries, so each is one step at an end of datapoints_by_time */
    sqlite3_stmt *statement = store_statement(
        store, STATEMENT_DATAPOINTS_SPAN,
        "SELECT (SELECT min(timestamp) FROM datapoints), (SELECT max(timestamp) FROM datapoints)",
        error);
    *found = false;
    if (!statement)
        return false;
    bool ok = sqlite3_step(statement) == SQLITE_ROW;
    if (!ok)
        store_fail_sqlite(store, error, "cannot read the span of the data points");
    else if (sqlite3_column_type(statement, 0) != SQLITE_NULL) {
        *found = true;
        *first = sqlite3_column_int64(statement, 0);
        *last = sqlite3_column_int64(statement, 1);
    }
    sqlite3_reset(statement);
    return ok;
}

struct metric_walk {
    bool (*each)(void *context, const struct metric_identity *metric, const char *unit);
    void *context;
    struct store_error *error;
    bool failed;
};

/* Fills `dimensions` (an array of json_object_size(object) entries) with the object's
 * members, borrowing its strings. */
static bool borrow_dimensions(json_t *object, struct metric_dimension_value *dimensions)
{
    const char *name;
    json_t *value;
    size_t i = 0;
    json_object_foreach(object, name, value)
    {
        if (!json_is_string(value))
            return false;
        dimensions[i++] =
            (struct metric_dimension_value){(char *)name, (char *)json_string_value(value)};
    }
    return true;
}

static bool visit_metric(void *context, sqlite3_stmt *row)
{
    struct metric_walk *walk = context;
    const char *text = store_column_text(row, 2);
    json_t *object = json_loads(text, 0, NULL);
    size_t count = json_is_object(object) ? json_object_size(object) : 0;
    struct metric_dimension_value *dimensions = malloc((count + 1) * sizeof *dimensions);
    bool ok = json_is_object(object) && dimensions && borrow_dimensions(object, dimensions);
    if (ok) {
        struct metric_identity metric = {(char *)store_column_text(row, 0),
                                         (char *)store_column_text(row, 1), dimensions, count};
        metric_identity_sort(&metric);
        ok = walk->each(walk->context, &metric, store_column_text(row, 3));
    } else {
        walk->failed = true;
        store_fail(walk->error, "cannot list metrics: metric %s has unreadable dimensions %s",
                   store_column_text(row, 1), text);
    }
    free(dimensions);
    json_decref(object);
    return ok;
}

bool store_metrics_list(struct store *store,
                        bool (*each)(void *context, const struct metric_identity *metric,
                                     const char *unit),
                        void *context, struct store_error *error)
{
    sqlite3_stmt *statement =
        store_statement(store, STATEMENT_METRICS_LIST,
                        "SELECT namespace, name, dimensions_json, unit FROM metrics "
                        "ORDER BY namespace, name, dimensions_json, unit",
                        error);
    struct metric_walk walk = {each, context, error, false};
    return statement &&
           store_walk(store, statement, visit_metric, &walk, "cannot list metrics", error) &&
           !walk.failed;
}
