/* Open addressing with linear probing, grown at half load; keys hashed with FNV-1a. */
#include "metrics/datapoint_table.h"
#include "base/hash.h"

#include <stdlib.h>
#include <string.h>

static uint64_t key_hash(const struct datapoint_key *key)
{
    uint64_t hash = fnv1a_64_continue(FNV1A_64_BASIS, &key->filter, sizeof key->filter);
    hash = fnv1a_64_continue(hash, &key->bucket, sizeof key->bucket);
    for (size_t i = 0; i < key->value_count; i++) {
        /* the length first, so ("ab", "c") and ("a", "bc") differ */
        hash = fnv1a_64_continue(hash, &key->lengths[i], sizeof key->lengths[i]);
        hash = fnv1a_64_continue(hash, key->values[i], key->lengths[i]);
    }
    return hash;
}

static bool key_equal(const struct datapoint_key *a, const struct datapoint_key *b)
{
    if (a->filter != b->filter || a->bucket != b->bucket || a->value_count != b->value_count)
        return false;
    for (size_t i = 0; i < a->value_count; i++)
        if (a->lengths[i] != b->lengths[i] || memcmp(a->values[i], b->values[i], a->lengths[i]))
            return false;
    return true;
}

void datapoint_table_init(struct datapoint_table *table)
{
    *table = (struct datapoint_table){0};
}

void datapoint_table_free(struct datapoint_table *table)
{
    for (size_t i = 0; i < table->capacity; i++) {
        if (table->entries[i].used) {
            free(table->entries[i].key_text);
            metric_aggregate_free(&table->entries[i].aggregate);
            evidence_tally_free(table->entries[i].evidence);
        }
    }
    free(table->entries);
    datapoint_table_init(table);
}

/* The entry holding `key`, or the free entry where it belongs. */
static struct datapoint_entry *probe(const struct datapoint_table *table,
                                     const struct datapoint_key *key, uint64_t hash)
{
    size_t mask = table->capacity - 1;
    for (size_t at = hash & mask;; at = (at + 1) & mask) {
        struct datapoint_entry *entry = &table->entries[at];
        if (!entry->used || (entry->hash == hash && key_equal(&entry->key, key)))
            return entry;
    }
}

static bool grow(struct datapoint_table *table)
{
    size_t capacity = table->capacity ? table->capacity * 2 : 64;
    if (capacity > SIZE_MAX / sizeof(struct datapoint_entry))
        return false;
    /* Written, not calloc'ed (nor memset after malloc, which the compiler turns into
     * calloc): calloc leaves fresh pages untouched, the probes read them first, which maps
     * the shared zero page, and the write that follows then has to flush that mapping from
     * every CPU running one of the scan's threads, an IPI each (5 ms of a 2-thread scan). */
    struct datapoint_entry *entries = malloc(capacity * sizeof *entries);
    if (!entries)
        return false;
    for (size_t i = 0; i < capacity; i++)
        entries[i].used = false;
    struct datapoint_table grown = {entries, capacity, table->count,
                                    table->bytes + (capacity - table->capacity) * sizeof *entries};
    for (size_t i = 0; i < table->capacity; i++)
        if (table->entries[i].used)
            *probe(&grown, &table->entries[i].key, table->entries[i].hash) = table->entries[i];
    free(table->entries);
    *table = grown;
    return true;
}

/* Copies the key's values into one owned block the entry's key points into. */
static bool key_copy(struct datapoint_entry *entry, const struct datapoint_key *key)
{
    size_t total = 0;
    for (size_t i = 0; i < key->value_count; i++)
        total += key->lengths[i];
    entry->key = *key;
    entry->key_text = malloc(total ? total : 1);
    if (!entry->key_text)
        return false;
    size_t offset = 0;
    for (size_t i = 0; i < key->value_count; i++) {
        memcpy(entry->key_text + offset, key->values[i], key->lengths[i]);
        entry->key.values[i] = entry->key_text + offset;
        offset += key->lengths[i];
    }
    return true;
}

struct datapoint_entry *datapoint_table_entry(struct datapoint_table *table,
                                              const struct datapoint_key *key)
{
    uint64_t hash = key_hash(key);
    if (table->capacity > 0) {
        struct datapoint_entry *entry = probe(table, key, hash);
        if (entry->used)
            return entry;
    }
    if ((table->count + 1) * 2 > table->capacity && !grow(table))
        return NULL;
    struct datapoint_entry *entry = probe(table, key, hash);
    if (!key_copy(entry, key))
        return NULL;
    entry->used = true;
    entry->hash = hash;
    entry->evidence = NULL;
    metric_aggregate_init(&entry->aggregate);
    table->count++;
    for (size_t i = 0; i < key->value_count; i++)
        table->bytes += key->lengths[i];
    table->bytes += 1; /* key_text is never empty */
    return entry;
}

static bool merge_evidence(struct datapoint_entry *into, const struct datapoint_entry *from)
{
    if (!from->evidence)
        return true;
    if (!into->evidence && !(into->evidence = evidence_tally_create()))
        return false;
    return evidence_tally_merge(into->evidence, from->evidence);
}

size_t datapoint_entry_bytes(const struct datapoint_entry *entry)
{
    return entry->aggregate.value_capacity * sizeof *entry->aggregate.values +
           evidence_tally_bytes(entry->evidence);
}

/* Adds one entry of another table into `target`, an entry of `into`. */
static bool merge_entry(struct datapoint_table *into, struct datapoint_entry *target,
                        const struct datapoint_entry *entry)
{
    size_t before = datapoint_entry_bytes(target);
    bool merged = metric_aggregate_merge(&target->aggregate, &entry->aggregate) &&
                  merge_evidence(target, entry);
    into->bytes += datapoint_entry_bytes(target) - before;
    return merged;
}

bool datapoint_table_merge(struct datapoint_table *into, const struct datapoint_table *from)
{
    for (size_t i = 0; i < from->capacity; i++) {
        const struct datapoint_entry *entry = &from->entries[i];
        if (!entry->used)
            continue;
        struct datapoint_entry *target = datapoint_table_entry(into, &entry->key);
        if (!target || !merge_entry(into, target, entry))
            return false;
    }
    return true;
}

/* The bytes an entry holds with its key (key_text is never empty). */
static size_t entry_bytes_with_key(const struct datapoint_entry *entry)
{
    size_t bytes = datapoint_entry_bytes(entry) + 1;
    for (size_t i = 0; i < entry->key.value_count; i++)
        bytes += entry->key.lengths[i];
    return bytes;
}

bool datapoint_table_merge_take(struct datapoint_table *into, struct datapoint_table *from)
{
    for (size_t i = 0; i < from->capacity; i++) {
        struct datapoint_entry *entry = &from->entries[i];
        if (!entry->used)
            continue;
        /* the hash is the same in both tables: no key is hashed again */
        struct datapoint_entry *target =
            into->capacity > 0 ? probe(into, &entry->key, entry->hash) : NULL;
        if (target && target->used) {
            if (!merge_entry(into, target, entry))
                return false;
            continue;
        }
        if ((into->count + 1) * 2 > into->capacity && !grow(into))
            return false;
        target = probe(into, &entry->key, entry->hash);
        *target = *entry; /* the key's values point into key_text, which moves with it */
        entry->used = false;
        size_t bytes = entry_bytes_with_key(target);
        into->count++;
        into->bytes += bytes;
        from->count--;
        from->bytes -= bytes;
    }
    return true;
}
