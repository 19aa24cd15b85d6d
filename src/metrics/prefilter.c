/* The pre-test finds which required literals occur in an event's raw bytes, then checks
 * each filter's clauses against them.
 *
 * The bucket method, where the CPU has AVX-512 VBMI or AVX2 (checked at run time), looks at
 * every byte position in one pass: the literals are sorted into 8 buckets, and for each of
 * a literal's first 5 bytes a table says which buckets have a literal with that byte there
 * (128 entries, looked up 64 positions at a time with vpermi2b; with AVX2, tables by
 * nibble, 32 positions at a time with vpshufb). A position where some bucket accepts all 5
 * bytes is a candidate; the literals with those 5 bytes are found by a hash of them and
 * compared whole. The same pass looks for `\u` escapes. Most events are only searched for
 * triggers, the rarest clause of each filter (chosen from sampled events, see
 * choose_triggers); an event holding one is searched again for every literal. It finds
 * literals wherever they occur.
 *
 * The quote method, elsewhere, relies on most required literals being quoted JSON text:
 * `"ConsoleLogin"`, `"AccessDenied` (a prefix), `UnauthorizedOperation"` (a suffix),
 * `"errorCode"` (a key). It visits only the message's quote characters (found 16 bytes at
 * a time) and, at each, hashes the three bytes after it (literals that start with a quote)
 * and before it (literals that end with one) into 64 Ki-entry tables; only on a hit does it
 * compare whole literals. Literals without a quote at either end are searched with memmem.
 * It finds quoted literals only where a string starts or ends, which is where a value the
 * pattern compares is written, so it may set aside a few more events than the bucket
 * method: both only set aside events that cannot match. */
#define _GNU_SOURCE /* memmem */
#include "metrics/prefilter.h"
#include "base/text.h"
#include "events/event.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_SIMD_PATHS 1
#endif

#define KEY_COUNT 65536
/* Bytes of a literal's start the bucket tables look at, and buckets (one bit each). */
#define HEAD_BYTES 5
#define BUCKET_COUNT 8
/* Slots of the index that finds a candidate's literals by its HEAD_BYTES bytes. */
#define HEAD_INDEX_BITS 10
/* Triggers are first chosen after this many sampled events and again every CHOICE_SAMPLES;
 * after the first, one event in SAMPLE_EVERY is sampled. */
#define FIRST_CHOICE_SAMPLES 256
#define CHOICE_SAMPLES 1024
#define SAMPLE_EVERY 64

struct id_list {
    uint32_t *ids;
    uint32_t count;
};

/* The bucket method's tables (see the top) for a set of literals. bytes[k][byte & 0x7f] has
 * the bit of every bucket with a literal whose byte k is that byte (bytes >= 0x80 share the
 * entry of their low 7 bits, which only admits more candidates); for AVX2, low[k] and
 * high[k] have it by the byte's low and high nibble (a bucket then admits every byte whose
 * nibbles two of its literals have, again only more candidates). */
struct head_tables {
    uint8_t bytes[HEAD_BYTES][128];
    uint8_t low[HEAD_BYTES][16], high[HEAD_BYTES][16];
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
    uint64_t literal_ascii[2]; /* the ASCII bytes literals hold */
    bool literal_beyond_ascii; /* some literal holds a byte >= 0x80 */
    uint64_t *found;           /* scratch: one bit per literal */
    size_t found_words;
    size_t found_count; /* literals found in this event: most events find none */
    enum prefilter_method method;
    bool buckets_stale;            /* literals were added since the tables were built */
    struct head_tables head_table; /* every literal */
    struct id_list head_index[1u << HEAD_INDEX_BITS]; /* by hash_head */
    /* Triggers (see choose_triggers): a first pass looks for them alone, with these
     * tables; only an event that holds one is searched for every literal. Chosen from how
     * often each literal was found in sampled events, which are searched for all. */
    struct head_tables trigger_table;
    uint64_t *triggers; /* one bit per literal */
    uint32_t *hits;     /* per literal: sampled events that held it (decaying) */
    bool triggers_chosen;
    uint64_t sampled, events_seen;
    struct id_list short_literals; /* shorter than HEAD_BYTES: searched with memmem */
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

static bool method_supported(enum prefilter_method method)
{
    switch (method) {
    case PREFILTER_QUOTES:
        return true;
    case PREFILTER_AVX2:
#if defined(HAVE_SIMD_PATHS)
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2");
#else
        return false;
#endif
    case PREFILTER_AVX512:
#if defined(HAVE_SIMD_PATHS)
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vbmi");
#else
        return false;
#endif
    }
    return false;
}

struct prefilter *prefilter_create(void)
{
    struct prefilter *prefilter = calloc(1, sizeof(struct prefilter));
    if (prefilter)
        prefilter->method = method_supported(PREFILTER_AVX512) ? PREFILTER_AVX512
                            : method_supported(PREFILTER_AVX2) ? PREFILTER_AVX2
                                                               : PREFILTER_QUOTES;
    return prefilter;
}

bool prefilter_set_method(struct prefilter *prefilter, enum prefilter_method method)
{
    if (!method_supported(method))
        return false;
    prefilter->method = method;
    return true;
}

void prefilter_free(struct prefilter *prefilter)
{
    if (!prefilter)
        return;
    /* only keys whose bit is set have a list */
    for (size_t word = 0; word < KEY_COUNT / 64; word++) {
        for (uint64_t bits = prefilter->after_quote_keys[word]; bits; bits &= bits - 1)
            free(prefilter->after_quote[word * 64 + (size_t)__builtin_ctzll(bits)].ids);
        for (uint64_t bits = prefilter->before_quote_keys[word]; bits; bits &= bits - 1)
            free(prefilter->before_quote[word * 64 + (size_t)__builtin_ctzll(bits)].ids);
    }
    free(prefilter->unanchored.ids);
    for (size_t i = 0; i < 1u << HEAD_INDEX_BITS; i++)
        free(prefilter->head_index[i].ids);
    free(prefilter->short_literals.ids);
    free(prefilter->triggers);
    free(prefilter->hits);
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
    for (size_t i = 0; i < literal->length; i++) {
        unsigned char byte = (unsigned char)literal->text[i];
        if (byte >= 0x80)
            prefilter->literal_beyond_ascii = true;
        else
            prefilter->literal_ascii[byte / 64] |= (uint64_t)1 << (byte % 64);
    }
    size_t words = (prefilter->literal_count + 63) / 64;
    if (words > prefilter->found_words) {
        uint64_t *found = realloc(prefilter->found, words * sizeof *found);
        if (!found)
            return false;
        prefilter->found = found;
        prefilter->found_words = words;
    }
    prefilter->buckets_stale = true;
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

/* Whether a \u escape could spell part of a literal: one that decodes to a character some
 * literal holds (an ASCII byte of one, or anything beyond ASCII when a literal has such
 * bytes), or that is not four hex digits. Other escapes (\" \\ \/ \b \f \n \r \t) write
 * characters no literal holds (pattern_required_literals only takes text written
 * verbatim), so where no escape can, every literal a decoded value holds is in the raw
 * bytes as written. */
static bool escape_may_hide_literal(const struct prefilter *prefilter, const char *message,
                                    size_t length)
{
    const char *end = message + length;
    for (const char *at = memchr(message, '\\', length); at && at + 1 < end;
         at = memchr(at + 2, '\\', (size_t)(end - at - 2))) {
        if (at[1] != 'u')
            continue;
        if (end - at < 6)
            return true;
        unsigned value = 0;
        for (int i = 2; i < 6; i++) {
            int digit = hex_digit_value(at[i]);
            if (digit < 0)
                return true;
            value = value << 4 | (unsigned)digit;
        }
        if (value >= 0x80 ? prefilter->literal_beyond_ascii
                          : prefilter->literal_ascii[value / 64] >> (value % 64) & 1)
            return true;
    }
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

/* ---- The bucket method ----------------------------------------------------------------- */

/* Literals that share their first bytes, and the bytes they have at each head position. */
struct head_group {
    uint64_t bytes[HEAD_BYTES][2]; /* 128-bit sets of (byte & 0x7f) */
};

/* Initial groups (by a literal's first two bytes) at most; more share groups. */
#define INITIAL_GROUPS 64

/* How common a byte is in JSON text such as CloudTrail's, roughly: in its keys and values
 * lower-case letters are five times as common as capitals, and a quote is common. */
static double byte_weight(unsigned byte)
{
    if (byte >= 'a' && byte <= 'z')
        return 5;
    if (byte >= 'A' && byte <= 'Z')
        return 1;
    if (byte >= '0' && byte <= '9')
        return 4;
    return byte == '"' ? 25 : 2;
}

static double set_weight(const uint64_t set[2])
{
    /* bytes 0-63 hold the digits and the quote, 64-127 the letters */
    static const uint64_t digits = (uint64_t)0x3ff << '0', quote = (uint64_t)1 << '"';
    static const uint64_t capitals = (uint64_t)0x3ffffff << ('A' - 64);
    static const uint64_t small = (uint64_t)0x3ffffff << ('a' - 64);
    int counts[5] = {
        __builtin_popcountll(set[0] & digits),
        __builtin_popcountll(set[0] & quote),
        __builtin_popcountll(set[1] & capitals),
        __builtin_popcountll(set[1] & small),
        __builtin_popcountll(set[0] & ~(digits | quote)) +
            __builtin_popcountll(set[1] & ~(capitals | small)),
    };
    return counts[0] * byte_weight('0') + counts[1] * byte_weight('"') +
           counts[2] * byte_weight('A') + counts[3] * byte_weight('a') +
           counts[4] * byte_weight('#');
}

/* How often a group's buckets would accept a position of typical text, up to a constant:
 * what a merge should keep small. */
static double group_cost(const struct head_group *group)
{
    double cost = 1;
    for (size_t k = 0; k < HEAD_BYTES; k++)
        cost *= set_weight(group->bytes[k]);
    return cost;
}

static struct head_group group_union(const struct head_group *a, const struct head_group *b)
{
    struct head_group merged = {0};
    for (size_t k = 0; k < HEAD_BYTES; k++)
        for (size_t w = 0; w < 2; w++)
            merged.bytes[k][w] = a->bytes[k][w] | b->bytes[k][w];
    return merged;
}

static unsigned head_byte(const struct pattern_literal *literal, size_t k)
{
    return (unsigned char)literal->text[k] & 0x7f;
}

/* The first HEAD_BYTES bytes at `text` as a number. */
static uint64_t head_key(const char *text)
{
    uint64_t key = 0;
    memcpy(&key, text, HEAD_BYTES);
    return key;
}

static unsigned hash_head(uint64_t key)
{
    return (unsigned)((key * 0x9e3779b97f4a7c15u) >> (64 - HEAD_INDEX_BITS));
}

/* Sorts the selected literals (of HEAD_BYTES bytes or more) into buckets, first by their
 * first two bytes, then merging the two groups whose union admits the least typical text
 * until BUCKET_COUNT are left, and fills `table` for them. */
static void fill_table(const struct prefilter *prefilter, const uint64_t *selected,
                       struct head_tables *table, uint8_t *group_of)
{
    struct head_group groups[INITIAL_GROUPS] = {0};
    unsigned keys[INITIAL_GROUPS];
    size_t group_count = 0;
    memset(table, 0, sizeof *table);
    for (size_t id = 0; id < prefilter->literal_count; id++) {
        const struct pattern_literal *literal = &prefilter->literals[id];
        group_of[id] = UINT8_MAX;
        if (literal->length < HEAD_BYTES || !(selected[id / 64] >> (id % 64) & 1))
            continue;
        unsigned key = head_byte(literal, 0) << 7 | head_byte(literal, 1);
        size_t g = 0;
        while (g < group_count && keys[g] != key)
            g++;
        if (g == group_count && group_count == INITIAL_GROUPS)
            g = key % INITIAL_GROUPS;
        else if (g == group_count)
            keys[group_count++] = key;
        for (size_t k = 0; k < HEAD_BYTES; k++)
            groups[g].bytes[k][head_byte(literal, k) / 64] |= (uint64_t)1
                                                              << (head_byte(literal, k) % 64);
        group_of[id] = (uint8_t)g;
    }
    while (group_count > BUCKET_COUNT) {
        size_t best_a = 0, best_b = 1;
        double best = -1;
        for (size_t a = 0; a < group_count; a++) {
            for (size_t b = a + 1; b < group_count; b++) {
                struct head_group merged = group_union(&groups[a], &groups[b]);
                double growth =
                    group_cost(&merged) - group_cost(&groups[a]) - group_cost(&groups[b]);
                if (best < 0 || growth < best) {
                    best = growth;
                    best_a = a;
                    best_b = b;
                }
            }
        }
        groups[best_a] = group_union(&groups[best_a], &groups[best_b]);
        groups[best_b] = groups[--group_count];
        for (size_t id = 0; id < prefilter->literal_count; id++) {
            if (group_of[id] == best_b)
                group_of[id] = (uint8_t)best_a;
            else if (group_of[id] == group_count)
                group_of[id] = (uint8_t)best_b;
        }
    }
    for (size_t id = 0; id < prefilter->literal_count; id++) {
        if (group_of[id] == UINT8_MAX)
            continue;
        uint8_t bit = (uint8_t)(1u << group_of[id]);
        for (size_t k = 0; k < HEAD_BYTES; k++) {
            unsigned byte = (unsigned char)prefilter->literals[id].text[k];
            table->bytes[k][byte & 0x7f] |= bit;
            table->low[k][byte & 15] |= bit;
            table->high[k][byte >> 4] |= bit;
        }
    }
}

/* The index of literals by their heads, the short ones, and the tables for all literals;
 * until triggers are chosen, every literal is one. */
static bool build_buckets(struct prefilter *prefilter)
{
    size_t count = prefilter->literal_count;
    uint8_t *group_of = malloc(count ? count : 1);
    uint64_t *all = calloc(prefilter->found_words ? prefilter->found_words : 1, sizeof *all);
    uint32_t *hits = calloc(count ? count : 1, sizeof *hits);
    uint64_t *triggers =
        calloc(prefilter->found_words ? prefilter->found_words : 1, sizeof *triggers);
    bool built = group_of && all && hits && triggers;
    for (size_t i = 0; i < 1u << HEAD_INDEX_BITS; i++)
        prefilter->head_index[i].count = 0;
    prefilter->short_literals.count = 0;
    for (size_t id = 0; id < count && built; id++) {
        const struct pattern_literal *literal = &prefilter->literals[id];
        all[id / 64] |= (uint64_t)1 << (id % 64);
        if (literal->length < HEAD_BYTES)
            built = id_list_add(&prefilter->short_literals, (uint32_t)id);
        else
            built = id_list_add(&prefilter->head_index[hash_head(head_key(literal->text))],
                                (uint32_t)id);
    }
    if (built) {
        fill_table(prefilter, all, &prefilter->head_table, group_of);
        prefilter->trigger_table = prefilter->head_table;
        free(prefilter->hits);
        free(prefilter->triggers);
        prefilter->hits = hits;
        prefilter->triggers = triggers;
        prefilter->triggers_chosen = false;
        prefilter->sampled = 0;
        prefilter->events_seen = 0;
        hits = NULL;
        triggers = NULL;
    }
    free(group_of);
    free(all);
    free(hits);
    free(triggers);
    prefilter->buckets_stale = !built;
    return built;
}

/* Each filter's triggers are the literals of its clause found in the fewest sampled events
 * (on a tie, the clause with fewer literals). Every clause is required, so an event that
 * holds no trigger can match no filter, and triggers can be the rarest literals. */
static void choose_triggers(struct prefilter *prefilter)
{
    uint8_t *group_of = malloc(prefilter->literal_count ? prefilter->literal_count : 1);
    if (!group_of)
        return; /* keep the triggers there are */
    memset(prefilter->triggers, 0, prefilter->found_words * sizeof *prefilter->triggers);
    for (size_t i = 0; i < prefilter->filter_count; i++) {
        const struct filter_clauses *filter = &prefilter->filters[i];
        size_t best = 0;
        uint64_t best_hits = UINT64_MAX;
        for (size_t j = 0; j < filter->count; j++) {
            uint64_t hits = 0;
            for (size_t l = 0; l < filter->clauses[j].count; l++)
                hits += prefilter->hits[filter->clauses[j].ids[l]];
            if (hits < best_hits ||
                (hits == best_hits && filter->clauses[j].count < filter->clauses[best].count)) {
                best = j;
                best_hits = hits;
            }
        }
        for (size_t l = 0; filter->count > 0 && l < filter->clauses[best].count; l++) {
            uint32_t id = filter->clauses[best].ids[l];
            prefilter->triggers[id / 64] |= (uint64_t)1 << (id % 64);
        }
    }
    fill_table(prefilter, prefilter->triggers, &prefilter->trigger_table, group_of);
    free(group_of);
    prefilter->triggers_chosen = true;
    /* older samples count half at the next choice */
    for (size_t id = 0; id < prefilter->literal_count; id++)
        prefilter->hits[id] /= 2;
}

/* Counts the literals a sampled event holds, and chooses triggers when it is time. */
static void record_sample(struct prefilter *prefilter)
{
    for (size_t w = 0; w < prefilter->found_words; w++)
        for (uint64_t bits = prefilter->found[w]; bits; bits &= bits - 1)
            prefilter->hits[w * 64 + (size_t)__builtin_ctzll(bits)]++;
    prefilter->sampled++;
    if (prefilter->sampled == FIRST_CHOICE_SAMPLES || prefilter->sampled % CHOICE_SAMPLES == 0)
        choose_triggers(prefilter);
}

#if defined(HAVE_SIMD_PATHS)
/* Marks the literals that occur at message[position], a candidate: they are found by the
 * bytes there, whatever bucket admitted them. */
static void visit_candidate(struct prefilter *prefilter, const char *message, size_t length,
                            size_t position)
{
    if (length - position < HEAD_BYTES)
        return;
    const struct id_list *list = &prefilter->head_index[hash_head(head_key(message + position))];
    for (uint32_t i = 0; i < list->count; i++)
        if (literal_occurs(prefilter, list->ids[i], message + position, length - position))
            mark(prefilter, list->ids[i]);
}

#define VBMI_TARGET __attribute__((target("avx512f,avx512bw,avx512vbmi")))

/* Bits 0 .. count-1 (count may exceed 64 or be negative). */
static inline __mmask64 low_bits(ptrdiff_t count)
{
    if (count <= 0)
        return 0;
    return count >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << count) - 1;
}

/* The bucket tables, in registers. */
struct vbmi_tables {
    __m512i low[HEAD_BYTES], high[HEAD_BYTES]; /* entries 0-63 and 64-127 */
};

_Static_assert(HEAD_BYTES == 5, "block_buckets is written out for 5 head bytes");

/* Candidates of the 64 positions from `at`: each byte says which buckets accept the 5
 * bytes from that position. Written out, so the compiler keeps everything in registers. */
VBMI_TARGET static inline __m512i block_buckets(const struct vbmi_tables *tables, __m512i byte0,
                                                __m512i byte1, __m512i byte2, __m512i byte3,
                                                __m512i byte4)
{
    __m512i at0 = _mm512_permutex2var_epi8(tables->low[0], byte0, tables->high[0]);
    __m512i at1 = _mm512_permutex2var_epi8(tables->low[1], byte1, tables->high[1]);
    __m512i at2 = _mm512_permutex2var_epi8(tables->low[2], byte2, tables->high[2]);
    __m512i at3 = _mm512_permutex2var_epi8(tables->low[3], byte3, tables->high[3]);
    __m512i at4 = _mm512_permutex2var_epi8(tables->low[4], byte4, tables->high[4]);
    return _mm512_and_si512(_mm512_and_si512(_mm512_and_si512(at0, at1), at2),
                            _mm512_and_si512(at3, at4));
}

/* Marks the literals of the candidates (bits for the positions from `at`). */
static void visit_candidates(struct prefilter *prefilter, const char *message, size_t length,
                             size_t at, uint64_t candidates)
{
    for (; candidates; candidates &= candidates - 1)
        visit_candidate(prefilter, message, length, at + (size_t)__builtin_ctzll(candidates));
}

/* Marks every literal of a bucket that occurs in the message. Returns true when the
 * message holds a \u escape that may hide a literal (then nothing more is looked at). */
VBMI_TARGET static bool scan_avx512(struct prefilter *prefilter, const struct head_tables *table,
                                    const char *message, size_t length)
{
    struct vbmi_tables tables;
    for (size_t k = 0; k < HEAD_BYTES; k++) {
        tables.low[k] = _mm512_loadu_si512(table->bytes[k]);
        tables.high[k] = _mm512_loadu_si512(table->bytes[k] + 64);
    }
    const __m512i backslash = _mm512_set1_epi8('\\'), letter_u = _mm512_set1_epi8('u');
    bool escapes_known = false;
    size_t at = 0;
    /* whole blocks: positions at .. at+63 read bytes up to at+67 */
    for (; length - at >= 64 + HEAD_BYTES - 1 && at < length; at += 64) {
        const char *block = message + at;
        __m512i byte0 = _mm512_loadu_si512(block), byte1 = _mm512_loadu_si512(block + 1);
        __m512i byte2 = _mm512_loadu_si512(block + 2), byte3 = _mm512_loadu_si512(block + 3);
        __m512i byte4 = _mm512_loadu_si512(block + 4);
        __m512i buckets = block_buckets(&tables, byte0, byte1, byte2, byte3, byte4);
        __mmask64 candidates = _mm512_test_epi8_mask(buckets, buckets);
        __mmask64 escapes =
            _mm512_cmpeq_epi8_mask(byte0, backslash) & _mm512_cmpeq_epi8_mask(byte1, letter_u);
        if (__builtin_expect(escapes != 0, 0) && !escapes_known) {
            /* a backslash then u: the exact test tells an escape from an escaped
             * backslash followed by u */
            if (escape_may_hide_literal(prefilter, message, length))
                return true;
            escapes_known = true;
        }
        if (candidates)
            visit_candidates(prefilter, message, length, at, candidates);
    }
    /* the last positions: read only the message's bytes (the rest read as zero) */
    for (; at < length; at += 64) {
        const char *block = message + at;
        ptrdiff_t left = (ptrdiff_t)(length - at);
        __m512i byte0 = _mm512_maskz_loadu_epi8(low_bits(left), block);
        __m512i byte1 = _mm512_maskz_loadu_epi8(low_bits(left - 1), block + 1);
        __m512i byte2 = _mm512_maskz_loadu_epi8(low_bits(left - 2), block + 2);
        __m512i byte3 = _mm512_maskz_loadu_epi8(low_bits(left - 3), block + 3);
        __m512i byte4 = _mm512_maskz_loadu_epi8(low_bits(left - 4), block + 4);
        __m512i buckets = block_buckets(&tables, byte0, byte1, byte2, byte3, byte4);
        __mmask64 candidates = _mm512_test_epi8_mask(buckets, buckets) & low_bits(left);
        __mmask64 escapes =
            _mm512_cmpeq_epi8_mask(byte0, backslash) & _mm512_cmpeq_epi8_mask(byte1, letter_u);
        if (escapes && !escapes_known && escape_may_hide_literal(prefilter, message, length))
            return true;
        if (candidates)
            visit_candidates(prefilter, message, length, at, candidates);
    }
    return false;
}
#define AVX2_TARGET __attribute__((target("avx2")))

/* The AVX2 form of block_buckets, 32 positions at a time, by nibbles. */
struct avx2_tables {
    __m256i low[HEAD_BYTES], high[HEAD_BYTES]; /* each 16-entry table in both lanes */
};

AVX2_TARGET static inline __m256i nibble_lookup(const struct avx2_tables *tables, size_t k,
                                                __m256i bytes)
{
    const __m256i nibble = _mm256_set1_epi8(0x0f);
    __m256i low = _mm256_shuffle_epi8(tables->low[k], _mm256_and_si256(bytes, nibble));
    __m256i high =
        _mm256_shuffle_epi8(tables->high[k], _mm256_and_si256(_mm256_srli_epi16(bytes, 4), nibble));
    return _mm256_and_si256(low, high);
}

/* Candidates and escapes among the 32 positions from `block` (36 bytes readable). */
AVX2_TARGET static inline uint32_t avx2_block(const struct avx2_tables *tables, const char *block,
                                              uint32_t *escapes)
{
    __m256i byte0 = _mm256_loadu_si256((const __m256i *)(const void *)block);
    __m256i byte1 = _mm256_loadu_si256((const __m256i *)(const void *)(block + 1));
    __m256i buckets =
        _mm256_and_si256(nibble_lookup(tables, 0, byte0), nibble_lookup(tables, 1, byte1));
    for (size_t k = 2; k < HEAD_BYTES; k++)
        buckets = _mm256_and_si256(
            buckets, nibble_lookup(tables, k,
                                   _mm256_loadu_si256((const __m256i *)(const void *)(block + k))));
    __m256i backslash = _mm256_cmpeq_epi8(byte0, _mm256_set1_epi8('\\'));
    __m256i letter_u = _mm256_cmpeq_epi8(byte1, _mm256_set1_epi8('u'));
    *escapes = (uint32_t)_mm256_movemask_epi8(_mm256_and_si256(backslash, letter_u));
    __m256i empty = _mm256_cmpeq_epi8(buckets, _mm256_setzero_si256());
    return ~(uint32_t)_mm256_movemask_epi8(empty);
}

AVX2_TARGET static bool scan_avx2(struct prefilter *prefilter, const struct head_tables *table,
                                  const char *message, size_t length)
{
    struct avx2_tables tables;
    for (size_t k = 0; k < HEAD_BYTES; k++) {
        tables.low[k] = _mm256_broadcastsi128_si256(
            _mm_loadu_si128((const __m128i *)(const void *)table->low[k]));
        tables.high[k] = _mm256_broadcastsi128_si256(
            _mm_loadu_si128((const __m128i *)(const void *)table->high[k]));
    }
    bool escapes_known = false;
    size_t at = 0;
    for (;;) {
        uint32_t escapes, candidates, positions = UINT32_MAX;
        if (length - at >= 32 + HEAD_BYTES - 1 && at < length) {
            candidates = avx2_block(&tables, message + at, &escapes);
        } else if (at < length) {
            /* the last positions, from a copy padded with zeros */
            char tail[32 + 32 + HEAD_BYTES] = {0};
            size_t left = length - at;
            memcpy(tail, message + at, left);
            positions = left >= 32 ? UINT32_MAX : ((uint32_t)1 << left) - 1;
            candidates = avx2_block(&tables, tail, &escapes) & positions;
            escapes &= positions;
        } else {
            return false;
        }
        if (escapes && !escapes_known) {
            if (escape_may_hide_literal(prefilter, message, length))
                return true;
            escapes_known = true;
        }
        if (candidates)
            visit_candidates(prefilter, message, length, at, candidates);
        at += 32;
    }
}
#endif

/* The literals the message holds, by the bucket method with `table`; true when it holds a
 * \u escape that may hide one. */
static bool find_by_buckets(struct prefilter *prefilter, const struct head_tables *table,
                            const char *message, size_t length)
{
    for (uint32_t i = 0; i < prefilter->short_literals.count; i++) {
        uint32_t id = prefilter->short_literals.ids[i];
        const struct pattern_literal *literal = &prefilter->literals[id];
        if (memmem(message, length, literal->text, literal->length))
            mark(prefilter, id);
    }
#if defined(HAVE_SIMD_PATHS)
    if (prefilter->method == PREFILTER_AVX512)
        return scan_avx512(prefilter, table, message, length);
    return scan_avx2(prefilter, table, message, length);
#else
    (void)table;
    return escape_may_hide_literal(prefilter, message, length);
#endif
}

static void clear_found(struct prefilter *prefilter)
{
    memset(prefilter->found, 0, prefilter->found_words * sizeof *prefilter->found);
    prefilter->found_count = 0;
}

/* The bucket method: most events are searched for triggers only. */
static bool find_with_triggers(struct prefilter *prefilter, const char *message, size_t length)
{
    bool sample = !prefilter->triggers_chosen || prefilter->events_seen % SAMPLE_EVERY == 0;
    prefilter->events_seen++;
    if (!sample) {
        if (find_by_buckets(prefilter, &prefilter->trigger_table, message, length))
            return true;
        if (prefilter->found_count == 0)
            return false;
        clear_found(prefilter);
    }
    if (find_by_buckets(prefilter, &prefilter->head_table, message, length))
        return true;
    if (sample)
        record_sample(prefilter);
    return false;
}

/* The literals the message holds, by the quote method; true when it holds a \u escape that
 * may hide one. */
static bool find_by_quotes(struct prefilter *prefilter, const char *message, size_t length)
{
    if (escape_may_hide_literal(prefilter, message, length))
        return true;
    for (uint32_t i = 0; i < prefilter->unanchored.count; i++) {
        const struct pattern_literal *literal = &prefilter->literals[prefilter->unanchored.ids[i]];
        if (memmem(message, length, literal->text, literal->length))
            mark(prefilter, prefilter->unanchored.ids[i]);
    }
    visit_quotes(prefilter, message, length);
    return false;
}

bool prefilter_may_match(struct prefilter *prefilter, const char *message, size_t length)
{
    clear_found(prefilter);
    bool buckets = prefilter->method != PREFILTER_QUOTES;
    if (buckets && prefilter->buckets_stale && !build_buckets(prefilter))
        prefilter->method = PREFILTER_QUOTES; /* out of memory: the quote method needs nothing */
    bool escape = prefilter->method != PREFILTER_QUOTES
                      ? find_with_triggers(prefilter, message, length)
                      : find_by_quotes(prefilter, message, length);
    if (escape)
        return true;
    if (prefilter->found_count == 0)
        return false; /* every filter has at least one clause, and nothing satisfies any */
    for (size_t i = 0; i < prefilter->filter_count; i++)
        if (filter_satisfied(prefilter, &prefilter->filters[i]))
            return true;
    return false;
}
