/* Most required literals are quoted JSON text: `"ConsoleLogin"`, `"AccessDenied` (a
 * prefix), `UnauthorizedOperation"` (a suffix), `"errorCode"` (a key). So the pre-test
 * visits only the message's quote characters (found 16 bytes at a time) and, at each,
 * hashes the three bytes after it (literals that start with a quote) and before it
 * (literals that end with one) into 64 Ki-entry tables; only on a hit does it compare
 * whole literals. Literals without a quote at either end are searched with memmem. Then each
 * filter's clauses are checked against the literals found. */
#define _GNU_SOURCE /* memmem */
#include "metrics/prefilter.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define KEY_COUNT 65536

struct id_list {
    uint32_t *ids;
    uint32_t count;
};

/* A literal's first 8 bytes (fewer for short ones) as a word, for a compare that rejects
 * most candidates without calling memcmp. */
struct literal_head {
    uint64_t bytes;
    uint64_t mask;
};

struct id_clause {
    uint32_t *ids;
    size_t count;
};

struct filter_clauses {
    struct id_clause *clauses;
    size_t count;
};

struct prefilter {
    /* one bit per key with literals: the tables below are 1 MiB each, these 8 KiB stay in
     * the L1 cache, and most quotes start and end no literal */
    uint64_t after_quote_keys[KEY_COUNT / 64];
    uint64_t before_quote_keys[KEY_COUNT / 64];
    struct pattern_literal *literals;
    struct literal_head *heads;
    size_t literal_count;
    struct id_list after_quote[KEY_COUNT];  /* keyed by the 2 bytes after '"' */
    struct id_list before_quote[KEY_COUNT]; /* keyed by the 2 bytes before '"' */
    struct id_list unanchored;
    struct filter_clauses *filters;
    size_t filter_count;
    uint64_t *found; /* scratch: one bit per literal */
    size_t found_words;
    size_t found_count; /* literals found in this event: most events find none */
};

static unsigned hash_three(uint32_t bytes)
{
    return (bytes * 2654435761u) >> 16; /* Knuth's multiplicative hash to 16 bits */
}

/* The key of the three bytes after the quote at `quote` (4 bytes are readable there). */
static unsigned key_after(const char *quote)
{
    uint32_t word;
    memcpy(&word, quote, 4);
    return hash_three(word >> 8 & 0xffffff);
}

/* The key of the three bytes before the quote at `quote` (quote - 3 is readable). */
static unsigned key_before(const char *quote)
{
    uint32_t word;
    memcpy(&word, quote - 3, 4);
    return hash_three(word & 0xffffff);
}

struct prefilter *prefilter_create(void)
{
    return calloc(1, sizeof(struct prefilter));
}

void prefilter_free(struct prefilter *prefilter)
{
    if (!prefilter)
        return;
    for (size_t key = 0; key < KEY_COUNT; key++) {
        free(prefilter->after_quote[key].ids);
        free(prefilter->before_quote[key].ids);
    }
    free(prefilter->unanchored.ids);
    for (size_t i = 0; i < prefilter->literal_count; i++)
        free(prefilter->literals[i].text);
    free(prefilter->literals);
    free(prefilter->heads);
    for (size_t i = 0; i < prefilter->filter_count; i++) {
        for (size_t j = 0; j < prefilter->filters[i].count; j++)
            free(prefilter->filters[i].clauses[j].ids);
        free(prefilter->filters[i].clauses);
    }
    free(prefilter->filters);
    free(prefilter->found);
    free(prefilter);
}

static bool id_list_add(struct id_list *list, uint32_t id)
{
    uint32_t *grown = realloc(list->ids, (list->count + 1) * sizeof *grown);
    if (!grown)
        return false;
    grown[list->count++] = id;
    list->ids = grown;
    return true;
}

/* Files a new literal under the table its shape calls for. */
static bool index_literal(struct prefilter *prefilter, uint32_t id)
{
    const char *text = prefilter->literals[id].text;
    size_t length = prefilter->literals[id].length;
    bool delimited = prefilter->literals[id].delimited;
    if (delimited && length >= 4 && text[0] == '"') {
        unsigned key = key_after(text);
        prefilter->after_quote_keys[key / 64] |= (uint64_t)1 << (key % 64);
        return id_list_add(&prefilter->after_quote[key], id);
    }
    if (delimited && length >= 4 && text[length - 1] == '"') {
        unsigned key = key_before(text + length - 1);
        prefilter->before_quote_keys[key / 64] |= (uint64_t)1 << (key % 64);
        return id_list_add(&prefilter->before_quote[key], id);
    }
    return id_list_add(&prefilter->unanchored, id);
}

static struct literal_head head_of(const char *text, size_t length)
{
    struct literal_head head = {0, 0};
    size_t bytes = length < 8 ? length : 8;
    memcpy(&head.bytes, text, bytes);
    memset(&head.mask, 0xff, bytes);
    return head;
}

/* Does the literal `id` occur at `start`? `available` bytes may be read from there. */
static bool literal_occurs(const struct prefilter *prefilter, uint32_t id, const char *start,
                           size_t available)
{
    const struct pattern_literal *literal = &prefilter->literals[id];
    if (available < literal->length)
        return false;
    if (available >= 8) {
        uint64_t word;
        memcpy(&word, start, 8);
        if ((word & prefilter->heads[id].mask) != prefilter->heads[id].bytes)
            return false;
    }
    return memcmp(start, literal->text, literal->length) == 0;
}

/* The id of a literal, adding it when new. */
static bool literal_id(struct prefilter *prefilter, const struct pattern_literal *literal,
                       uint32_t *id)
{
    for (size_t i = 0; i < prefilter->literal_count; i++) {
        if (prefilter->literals[i].length == literal->length &&
            memcmp(prefilter->literals[i].text, literal->text, literal->length) == 0) {
            *id = (uint32_t)i;
            return true;
        }
    }
    struct pattern_literal *grown =
        realloc(prefilter->literals, (prefilter->literal_count + 1) * sizeof *grown);
    if (!grown)
        return false;
    prefilter->literals = grown;
    struct literal_head *heads =
        realloc(prefilter->heads, (prefilter->literal_count + 1) * sizeof *heads);
    if (!heads)
        return false;
    prefilter->heads = heads;
    char *copy = malloc(literal->length + 1);
    if (!copy)
        return false;
    memcpy(copy, literal->text, literal->length);
    copy[literal->length] = '\0';
    *id = (uint32_t)prefilter->literal_count;
    heads[*id] = head_of(copy, literal->length);
    prefilter->literals[prefilter->literal_count++] =
        (struct pattern_literal){copy, literal->length, literal->key, literal->delimited};
    size_t words = (prefilter->literal_count + 63) / 64;
    if (words > prefilter->found_words) {
        uint64_t *found = realloc(prefilter->found, words * sizeof *found);
        if (!found)
            return false;
        prefilter->found = found;
        prefilter->found_words = words;
    }
    return index_literal(prefilter, *id);
}

static bool clause_has_key(const struct pattern_literal_clause *clause)
{
    for (size_t i = 0; i < clause->count; i++)
        if (clause->literals[i].key)
            return true;
    return false;
}

/* A clause satisfied by a mere key ("eventName") holds in nearly every event: testing it
 * costs time and rejects almost nothing. Dropping clauses keeps the test sound (what is
 * left is still required), so keep only the strong ones when there are any. */
static bool keep_clause(const struct pattern_literal_clause *clauses, size_t count, size_t index)
{
    bool any_strong = false;
    for (size_t i = 0; i < count && !any_strong; i++)
        any_strong = !clause_has_key(&clauses[i]);
    return !any_strong || !clause_has_key(&clauses[index]);
}

bool prefilter_add_filter(struct prefilter *prefilter, const struct pattern_literal_clause *clauses,
                          size_t count)
{
    struct filter_clauses *grown =
        realloc(prefilter->filters, (prefilter->filter_count + 1) * sizeof *grown);
    if (!grown)
        return false;
    prefilter->filters = grown;
    struct filter_clauses *filter = &prefilter->filters[prefilter->filter_count++];
    *filter = (struct filter_clauses){calloc(count ? count : 1, sizeof *filter->clauses), 0};
    if (!filter->clauses)
        return false;
    for (size_t i = 0; i < count; i++) {
        if (!keep_clause(clauses, count, i))
            continue;
        struct id_clause *clause = &filter->clauses[filter->count++];
        clause->ids = calloc(clauses[i].count ? clauses[i].count : 1, sizeof *clause->ids);
        if (!clause->ids)
            return false;
        for (size_t j = 0; j < clauses[i].count; j++)
            if (!literal_id(prefilter, &clauses[i].literals[j], &clause->ids[clause->count++]))
                return false;
    }
    return true;
}

static bool has_unicode_escape(const char *message, size_t length)
{
    const char *end = message + length;
    for (const char *at = memchr(message, '\\', length); at && at + 1 < end;
         at = memchr(at + 2, '\\', (size_t)(end - at - 2)))
        if (at[1] == 'u')
            return true;
    return false;
}

static void mark(struct prefilter *prefilter, uint32_t id)
{
    prefilter->found[id / 64] |= (uint64_t)1 << (id % 64);
    prefilter->found_count++;
}

static bool marked(const struct prefilter *prefilter, uint32_t id)
{
    return prefilter->found[id / 64] >> (id % 64) & 1;
}

static bool key_present(const uint64_t *keys, unsigned key)
{
    return keys[key / 64] >> (key % 64) & 1;
}

/* Marks the literals that start at the opening quote at `at`. */
static inline __attribute__((always_inline)) void visit_opening(struct prefilter *prefilter,
                                                                const char *end, const char *at)
{
    if (end - at < 4 || !key_present(prefilter->after_quote_keys, key_after(at)))
        return;
    const struct id_list *after = &prefilter->after_quote[key_after(at)];
    for (uint32_t i = 0; i < after->count; i++)
        if (literal_occurs(prefilter, after->ids[i], at, (size_t)(end - at)))
            mark(prefilter, after->ids[i]);
}

/* Marks the literals that end at the closing quote at `at`. */
static inline __attribute__((always_inline)) void
visit_closing(struct prefilter *prefilter, const char *message, const char *end, const char *at)
{
    if (at - message < 3 || !key_present(prefilter->before_quote_keys, key_before(at)))
        return;
    const struct id_list *before = &prefilter->before_quote[key_before(at)];
    for (uint32_t i = 0; i < before->count; i++) {
        size_t length = prefilter->literals[before->ids[i]].length;
        if ((size_t)(at + 1 - message) >= length &&
            literal_occurs(prefilter, before->ids[i], at + 1 - length,
                           (size_t)(end - (at + 1 - length))))
            mark(prefilter, before->ids[i]);
    }
}

/* Inside a string, a quote after an odd run of backslashes is escaped, not a delimiter. */
static bool escaped(const char *message, const char *quote)
{
    size_t backslashes = 0;
    while (quote - backslashes > message && quote[-1 - (ptrdiff_t)backslashes] == '\\')
        backslashes++;
    return backslashes % 2 == 1;
}

/* Delimiting quotes alternate opening and closing in a valid document, so each quote is
 * looked up in one table only. (An invalid document may be misread; it matches no JSON
 * pattern anyway, and literals of term patterns are never anchored.) */
static inline __attribute__((always_inline)) void visit_quote(struct prefilter *prefilter,
                                                              const char *message, const char *end,
                                                              const char *at, bool *inside)
{
    if (!*inside) {
        visit_opening(prefilter, end, at);
        *inside = true;
    } else if (!escaped(message, at)) {
        visit_closing(prefilter, message, end, at);
        *inside = false;
    }
}

static void visit_quotes(struct prefilter *prefilter, const char *message, size_t length)
{
    const char *end = message + length, *at = message;
    bool inside = false;
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    for (; end - at >= 16; at += 16) {
        __m128i block = _mm_loadu_si128((const __m128i *)(const void *)at);
        unsigned mask = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(block, quote));
        for (; mask; mask &= mask - 1)
            visit_quote(prefilter, message, end, at + __builtin_ctz(mask), &inside);
    }
#endif
    for (; at < end; at++)
        if (*at == '"')
            visit_quote(prefilter, message, end, at, &inside);
}

static bool filter_satisfied(const struct prefilter *prefilter, const struct filter_clauses *filter)
{
    for (size_t i = 0; i < filter->count; i++) {
        const struct id_clause *clause = &filter->clauses[i];
        bool any = false;
        for (size_t j = 0; j < clause->count && !any; j++)
            any = marked(prefilter, clause->ids[j]);
        if (!any)
            return false;
    }
    return true;
}

bool prefilter_may_match(struct prefilter *prefilter, const char *message, size_t length)
{
    if (has_unicode_escape(message, length))
        return true;
    memset(prefilter->found, 0, prefilter->found_words * sizeof *prefilter->found);
    prefilter->found_count = 0;
    for (uint32_t i = 0; i < prefilter->unanchored.count; i++) {
        const struct pattern_literal *literal = &prefilter->literals[prefilter->unanchored.ids[i]];
        if (memmem(message, length, literal->text, literal->length))
            mark(prefilter, prefilter->unanchored.ids[i]);
    }
    visit_quotes(prefilter, message, length);
    if (prefilter->found_count == 0)
        return false; /* every filter has at least one clause, and nothing satisfies any */
    for (size_t i = 0; i < prefilter->filter_count; i++)
        if (filter_satisfied(prefilter, &prefilter->filters[i]))
            return true;
    return false;
}
