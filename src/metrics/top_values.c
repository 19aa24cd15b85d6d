/* Space-Saving heavy hitters: a table of at most `limit` counted values. A new value
 * arriving at a full table replaces the one with the smallest count and inherits that
 * count, so any value whose true count exceeds the smallest count is guaranteed to be in
 * the table. Chained hashing keeps lookups O(1); the eviction scan is O(limit), paid only
 * once the table is full. The table starts small and doubles up to `limit`: a scan keeps 6
 * lists per filter per thread, and most lists see a few distinct values (at full size
 * from the start, 90 lists took 12 MB and 3 000 page faults a thread). */
#include "metrics/top_values.h"
#include "base/hash.h"

#include <stdlib.h>
#include <string.h>

#define NO_ENTRY SIZE_MAX

/* Entries a table starts with (on its first value: most filters of a scan never match). */
#define TOP_VALUES_FIRST_CAPACITY 32

struct top_entry {
    char *value;
    size_t length;
    uint64_t count;
    size_t next;   /* next entry in the same hash bucket */
    uint64_t hash; /* its bucket is hash & bucket_mask */
};

struct top_values {
    struct top_entry *entries;
    size_t count, capacity, limit;
    size_t *buckets;
    size_t bucket_mask;
    bool evicted;
};

struct top_values *top_values_create(size_t capacity)
{
    struct top_values *top = calloc(1, sizeof *top);
    if (top)
        top->limit = capacity;
    return top;
}

/* Doubles the table (up to the limit) and rehashes its entries; false on out of memory
 * (the table is then as it was). */
static bool grow(struct top_values *top)
{
    size_t capacity = top->capacity ? top->capacity * 2 : TOP_VALUES_FIRST_CAPACITY;
    if (capacity > top->limit)
        capacity = top->limit;
    size_t buckets = 16;
    while (buckets < capacity * 2)
        buckets *= 2;
    struct top_entry *entries = realloc(top->entries, capacity * sizeof *entries);
    if (!entries)
        return false;
    top->entries = entries;
    size_t *table = malloc(buckets * sizeof *table);
    if (!table)
        return false;
    free(top->buckets);
    top->buckets = table;
    top->capacity = capacity;
    top->bucket_mask = buckets - 1;
    for (size_t i = 0; i < buckets; i++)
        table[i] = NO_ENTRY;
    for (size_t i = 0; i < top->count; i++) {
        size_t bucket = (size_t)entries[i].hash & top->bucket_mask;
        entries[i].next = table[bucket];
        table[bucket] = i;
    }
    return true;
}

void top_values_free(struct top_values *top)
{
    if (!top)
        return;
    for (size_t i = 0; i < top->count; i++)
        free(top->entries[i].value);
    free(top->entries);
    free(top->buckets);
    free(top);
}

static size_t find(const struct top_values *top, const char *value, size_t length, size_t bucket)
{
    for (size_t i = top->buckets[bucket]; i != NO_ENTRY; i = top->entries[i].next) {
        const struct top_entry *entry = &top->entries[i];
        if (entry->length == length && memcmp(entry->value, value, length) == 0)
            return i;
    }
    return NO_ENTRY;
}

static void unlink_entry(struct top_values *top, size_t index)
{
    size_t *link = &top->buckets[top->entries[index].hash & top->bucket_mask];
    while (*link != index)
        link = &top->entries[*link].next;
    *link = top->entries[index].next;
}

static size_t smallest_entry(const struct top_values *top)
{
    size_t smallest = 0;
    for (size_t i = 1; i < top->count; i++)
        if (top->entries[i].count < top->entries[smallest].count)
            smallest = i;
    return smallest;
}

/* A slot for a value not in the table: a free one (the table grown first while below its
 * limit), or the smallest entry's. */
static size_t claim_slot(struct top_values *top, uint64_t *inherited)
{
    *inherited = 0;
    if (top->count < top->limit)
        return top->count++;
    size_t slot = smallest_entry(top);
    *inherited = top->entries[slot].count;
    unlink_entry(top, slot);
    free(top->entries[slot].value);
    top->entries[slot].value = NULL;
    top->evicted = true;
    return slot;
}

bool top_values_add(struct top_values *top, const char *value, size_t length, uint64_t count)
{
    if (top->limit == 0)
        return true;
    if (!top->entries && !grow(top))
        return false;
    uint64_t hash = fnv1a_64(value, length);
    size_t found = find(top, value, length, (size_t)hash & top->bucket_mask);
    if (found != NO_ENTRY) {
        top->entries[found].count += count;
        return true;
    }
    if (top->count == top->capacity && top->capacity < top->limit && !grow(top))
        return false;
    char *copy = malloc(length + 1);
    if (!copy)
        return false;
    memcpy(copy, value, length);
    copy[length] = '\0';
    uint64_t inherited;
    size_t slot = claim_slot(top, &inherited);
    size_t bucket = (size_t)hash & top->bucket_mask;
    top->entries[slot] =
        (struct top_entry){copy, length, inherited + count, top->buckets[bucket], hash};
    top->buckets[bucket] = slot;
    return true;
}

bool top_values_merge(struct top_values *into, const struct top_values *from)
{
    into->evicted = into->evicted || from->evicted;
    for (size_t i = 0; i < from->count; i++)
        if (!top_values_add(into, from->entries[i].value, from->entries[i].length,
                            from->entries[i].count))
            return false;
    return true;
}

bool top_values_exact(const struct top_values *top)
{
    return !top->evicted;
}

static int compare_top_values(const void *left, const void *right)
{
    const struct top_value *a = left, *b = right;
    if (a->count != b->count)
        return a->count < b->count ? 1 : -1;
    size_t shorter = a->length < b->length ? a->length : b->length;
    int order = memcmp(a->value, b->value, shorter);
    if (order != 0)
        return order;
    return a->length < b->length ? -1 : a->length > b->length;
}

size_t top_values_list(const struct top_values *top, struct top_value *out, size_t max)
{
    struct top_value *all = malloc((top->count ? top->count : 1) * sizeof *all);
    if (!all)
        return 0;
    for (size_t i = 0; i < top->count; i++)
        all[i] = (struct top_value){top->entries[i].value, top->entries[i].length,
                                    top->entries[i].count};
    qsort(all, top->count, sizeof *all, compare_top_values);
    size_t written = top->count < max ? top->count : max;
    memcpy(out, all, written * sizeof *out);
    free(all);
    return written;
}
