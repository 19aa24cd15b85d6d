/* The evidence of one bucket while a scan runs. Each field keeps a small array of distinct
 * values with their hashes (most buckets see one to three values per field, so a linear
 * search beats a table and memory follows the data), grown up to EVIDENCE_TALLY_CAPACITY,
 * then Space-Saving: a new value replaces the least counted and inherits its count. A match
 * whose values are all known allocates nothing, and a value shorter than
 * TALLY_INLINE_BYTES (an account, a region, an IPv4 address) is kept in its item, not
 * allocated. Samples are kept with their times, so deciding that a later sample is not
 * wanted costs one comparison. */
#include "base/hash.h"
#include "metrics/evidence_internal.h"

#include <stdlib.h>
#include <string.h>

/* Values shorter than this live in their item: 9 200 of the 27 500 value copies of the
 * 450 MB --cis benchmark, whose reading made 56 000 allocation calls before, 46 800 after.
 * Longer ones (most are ARNs of 40-47 bytes) stay allocated, so that a list's items stay
 * small (a year of buckets is held until the replay). */
#define TALLY_INLINE_BYTES 16

struct tally_value {
    union {
        char *allocated;                      /* length >= TALLY_INLINE_BYTES */
        char inline_text[TALLY_INLINE_BYTES]; /* shorter */
    } text;                                   /* a NUL-terminated copy */
    uint32_t length, hash;
    uint64_t count;
};

struct tally_list {
    struct tally_value *items;
    uint32_t count, capacity;
};

struct tally_sample {
    int64_t time_ms;
    char *text;
};

struct evidence_tally {
    size_t bytes; /* allocated for it: the struct, its lists, values and samples */
    uint64_t events, suppressed;
    int64_t first_ms, last_ms;
    struct tally_list lists[METRIC_EVIDENCE_FIELD_COUNT];
    struct tally_sample samples[METRIC_EVIDENCE_SAMPLES]; /* by (time, text) */
    size_t sample_count;
};

static bool value_allocated(const struct tally_value *item)
{
    return item->length >= TALLY_INLINE_BYTES;
}

static const char *value_text(const struct tally_value *item)
{
    return value_allocated(item) ? item->text.allocated : item->text.inline_text;
}

/* The bytes a value holds allocated beyond its item. */
static size_t value_bytes(const struct tally_value *item)
{
    return value_allocated(item) ? item->length + 1 : 0;
}

static void value_free(struct tally_value *item)
{
    if (value_allocated(item))
        free(item->text.allocated);
}

struct evidence_tally *evidence_tally_create(void)
{
    struct evidence_tally *tally = calloc(1, sizeof *tally);
    if (tally) {
        tally->bytes = sizeof *tally;
        tally->first_ms = INT64_MAX;
        tally->last_ms = INT64_MIN;
    }
    return tally;
}

void evidence_tally_free(struct evidence_tally *tally)
{
    if (!tally)
        return;
    for (size_t field = 0; field < METRIC_EVIDENCE_FIELD_COUNT; field++) {
        for (uint32_t i = 0; i < tally->lists[field].count; i++)
            value_free(&tally->lists[field].items[i]);
        free(tally->lists[field].items);
    }
    for (size_t i = 0; i < tally->sample_count; i++)
        free(tally->samples[i].text);
    free(tally);
}

/* ---- values ---- */

static struct tally_value *find_value(const struct tally_list *list, const char *value,
                                      size_t length, uint32_t hash)
{
    for (uint32_t i = 0; i < list->count; i++) {
        struct tally_value *item = &list->items[i];
        if (item->hash == hash && item->length == length &&
            memcmp(value_text(item), value, length) == 0)
            return item;
    }
    return NULL;
}

/* A slot for a new value: a free one (growing the array), else the least counted's, whose
 * count the new value inherits. */
static struct tally_value *claim_slot(struct tally_list *list, uint64_t *inherited, size_t *bytes)
{
    *inherited = 0;
    if (list->count == list->capacity && list->capacity < EVIDENCE_TALLY_CAPACITY) {
        uint32_t capacity = list->capacity ? list->capacity * 2 : 2;
        struct tally_value *grown = realloc(list->items, capacity * sizeof *grown);
        if (!grown)
            return NULL;
        list->items = grown;
        *bytes += (capacity - list->capacity) * sizeof *grown;
        list->capacity = capacity;
    }
    if (list->count < list->capacity)
        return &list->items[list->count++];
    struct tally_value *smallest = &list->items[0];
    for (uint32_t i = 1; i < list->count; i++)
        if (list->items[i].count < smallest->count)
            smallest = &list->items[i];
    *inherited = smallest->count;
    *bytes -= value_bytes(smallest);
    value_free(smallest);
    return smallest;
}

static bool list_add(struct tally_list *list, const char *value, size_t length, uint64_t count,
                     size_t *bytes)
{
    length = evidence_cut(value, length, METRIC_EVIDENCE_VALUE_MAX);
    uint32_t hash = fnv1a_32(value, length);
    struct tally_value *item = find_value(list, value, length, hash);
    if (item) {
        item->count = item->count > UINT64_MAX - count ? UINT64_MAX : item->count + count;
        return true;
    }
    struct tally_value added = {.length = (uint32_t)length, .hash = hash};
    char *copy = added.text.inline_text;
    if (value_allocated(&added) && !(copy = added.text.allocated = malloc(length + 1)))
        return false;
    memcpy(copy, value, length);
    copy[length] = '\0';
    uint64_t inherited;
    item = claim_slot(list, &inherited, bytes);
    if (!item) {
        value_free(&added);
        return false;
    }
    *bytes += value_bytes(&added);
    added.count = inherited + count;
    *item = added;
    return true;
}

bool evidence_tally_add(struct evidence_tally *tally, const struct evidence_match *match)
{
    tally->events++;
    tally->suppressed += match->suppressed;
    if (match->time_ms < tally->first_ms)
        tally->first_ms = match->time_ms;
    if (match->time_ms > tally->last_ms)
        tally->last_ms = match->time_ms;
    bool added = true;
    for (size_t field = 0; field < METRIC_EVIDENCE_FIELD_COUNT; field++)
        if (match->values[field] && !list_add(&tally->lists[field], match->values[field],
                                              match->lengths[field], 1, &tally->bytes))
            added = false;
    return added;
}

/* ---- samples ---- */

static int sample_order(int64_t time_ms, const char *text, const struct tally_sample *kept)
{
    if (time_ms != kept->time_ms)
        return time_ms < kept->time_ms ? -1 : 1;
    return strcmp(text, kept->text);
}

bool evidence_tally_wants_sample(const struct evidence_tally *tally, int64_t time_ms)
{
    return tally->sample_count < METRIC_EVIDENCE_SAMPLES ||
           time_ms <= tally->samples[tally->sample_count - 1].time_ms;
}

bool evidence_tally_add_sample(struct evidence_tally *tally, int64_t time_ms, const char *text,
                               size_t length)
{
    size_t at = tally->sample_count;
    while (at > 0 && sample_order(time_ms, text, &tally->samples[at - 1]) < 0)
        at--;
    if (at == METRIC_EVIDENCE_SAMPLES)
        return true; /* later than every kept one */
    char *copy = malloc(length + 1);
    if (!copy)
        return false;
    memcpy(copy, text, length);
    copy[length] = '\0';
    if (tally->sample_count == METRIC_EVIDENCE_SAMPLES) {
        char *dropped = tally->samples[--tally->sample_count].text;
        tally->bytes -= strlen(dropped) + 1;
        free(dropped);
    }
    tally->bytes += length + 1;
    memmove(&tally->samples[at + 1], &tally->samples[at],
            (tally->sample_count - at) * sizeof tally->samples[0]);
    tally->samples[at] = (struct tally_sample){time_ms, copy};
    tally->sample_count++;
    return true;
}

/* ---- merging and reporting ---- */

bool evidence_tally_merge(struct evidence_tally *into, const struct evidence_tally *from)
{
    into->events =
        into->events > UINT64_MAX - from->events ? UINT64_MAX : into->events + from->events;
    into->suppressed = into->suppressed > UINT64_MAX - from->suppressed
                           ? UINT64_MAX
                           : into->suppressed + from->suppressed;
    if (from->first_ms < into->first_ms)
        into->first_ms = from->first_ms;
    if (from->last_ms > into->last_ms)
        into->last_ms = from->last_ms;
    bool merged = true;
    for (size_t field = 0; field < METRIC_EVIDENCE_FIELD_COUNT; field++)
        for (uint32_t i = 0; i < from->lists[field].count; i++) {
            const struct tally_value *item = &from->lists[field].items[i];
            merged = list_add(&into->lists[field], value_text(item), item->length, item->count,
                              &into->bytes) &&
                     merged;
        }
    for (size_t i = 0; i < from->sample_count; i++) {
        const struct tally_sample *sample = &from->samples[i];
        merged =
            evidence_tally_add_sample(into, sample->time_ms, sample->text, strlen(sample->text)) &&
            merged;
    }
    return merged;
}

static int compare_reported(const void *left, const void *right)
{
    const struct tally_value *a = left, *b = right;
    if (a->count != b->count)
        return a->count < b->count ? 1 : -1;
    return strcmp(value_text(a), value_text(b));
}

/* The list's heaviest values, sorted in place (the order of a tally list does not matter). */
static bool export_list(struct tally_list *list, struct metric_evidence *out, size_t field)
{
    if (list->count == 0)
        return true; /* items may be NULL, which qsort must not see */
    qsort(list->items, list->count, sizeof *list->items, compare_reported);
    for (uint32_t i = 0; i < list->count && i < METRIC_EVIDENCE_TOP; i++) {
        char *copy = strdup(value_text(&list->items[i]));
        if (!copy)
            return false;
        out->top[field][out->top_count[field]++] =
            (struct metric_evidence_value){copy, list->items[i].count};
    }
    return true;
}

bool evidence_tally_export(struct evidence_tally *tally, struct metric_evidence *out)
{
    out->events = tally->events;
    out->suppressed = tally->suppressed;
    out->first_seen_ms = tally->first_ms;
    out->last_seen_ms = tally->last_ms;
    bool exported = true;
    for (size_t field = 0; exported && field < METRIC_EVIDENCE_FIELD_COUNT; field++)
        exported = export_list(&tally->lists[field], out, field);
    for (size_t i = 0; exported && i < tally->sample_count; i++)
        exported = (out->samples[out->sample_count++] = strdup(tally->samples[i].text)) != NULL;
    if (!exported) {
        if (out->sample_count > 0 && !out->samples[out->sample_count - 1])
            out->sample_count--;
        metric_evidence_free(out);
    }
    return exported;
}

bool evidence_tally_export_copy(const struct evidence_tally *tally, struct metric_evidence *out)
{
    struct evidence_tally copy = *tally;
    bool exported = true;
    for (size_t field = 0; field < METRIC_EVIDENCE_FIELD_COUNT; field++)
        copy.lists[field].items = NULL;
    for (size_t field = 0; exported && field < METRIC_EVIDENCE_FIELD_COUNT; field++) {
        const struct tally_list *list = &tally->lists[field];
        if (list->count == 0)
            continue;
        /* the values are shared, not copied: only the order of the copy changes */
        copy.lists[field].items = malloc(list->count * sizeof *list->items);
        exported = copy.lists[field].items != NULL;
        if (exported)
            memcpy(copy.lists[field].items, list->items, list->count * sizeof *list->items);
    }
    exported = exported && evidence_tally_export(&copy, out);
    for (size_t field = 0; field < METRIC_EVIDENCE_FIELD_COUNT; field++)
        free(copy.lists[field].items);
    return exported;
}

uint64_t evidence_tally_events(const struct evidence_tally *tally)
{
    return tally->events;
}

size_t evidence_tally_bytes(const struct evidence_tally *tally)
{
    return tally ? tally->bytes : 0;
}
