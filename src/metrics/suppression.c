/* Suppression rules: their ownership, their values checked and compiled (globs as they are,
 * SourceIp into an address and prefix or a name), and the matcher a scan asks for each
 * match of a filter some rule applies to. */
#include "metrics/metrics.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- ownership ---- */

void suppression_rule_free(struct suppression_rule *rule)
{
    if (!rule)
        return;
    free(rule->name);
    free(rule->reason);
    for (size_t i = 0; i < rule->filter_count; i++)
        free(rule->filters[i]);
    free(rule->filters);
    for (size_t field = 0; field < SUPPRESSION_FIELD_COUNT; field++)
        free(rule->match[field]);
    free(rule->origin);
    *rule = (struct suppression_rule){0};
}

void suppression_rule_list_free(struct suppression_rule_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        suppression_rule_free(&list->items[i]);
    free(list->items);
    *list = (struct suppression_rule_list){0};
}

static bool copy_text(char **target, const char *source)
{
    *target = source ? strdup(source) : NULL;
    return !source || *target;
}

static bool rule_copy(struct suppression_rule *target, const struct suppression_rule *source)
{
    *target = (struct suppression_rule){0};
    bool copied = copy_text(&target->name, source->name) &&
                  copy_text(&target->reason, source->reason) &&
                  copy_text(&target->origin, source->origin);
    for (size_t field = 0; copied && field < SUPPRESSION_FIELD_COUNT; field++)
        copied = copy_text(&target->match[field], source->match[field]);
    if (copied && source->filter_count > 0)
        copied = (target->filters = calloc(source->filter_count, sizeof *target->filters));
    for (size_t i = 0; copied && i < source->filter_count; i++) {
        copied = copy_text(&target->filters[i], source->filters[i]);
        target->filter_count = i + 1;
    }
    if (!copied)
        suppression_rule_free(target);
    return copied;
}

bool suppression_rule_list_append(struct suppression_rule_list *list,
                                  const struct suppression_rule *rule)
{
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 8;
        struct suppression_rule *grown = realloc(list->items, capacity * sizeof *grown);
        if (!grown)
            return false;
        list->items = grown;
        list->capacity = capacity;
    }
    if (!rule_copy(&list->items[list->count], rule))
        return false;
    list->count++;
    return true;
}

const char *suppression_field_name(enum suppression_field field)
{
    static const char *const names[SUPPRESSION_FIELD_COUNT] = {
        "PrincipalArn", "SourceIp", "EventName", "UserAgent", "ErrorCode", "Account",
    };
    return (size_t)field < SUPPRESSION_FIELD_COUNT ? names[field] : "unknown";
}

bool suppression_rule_applies(const struct suppression_rule *rule, const char *filter_name)
{
    if (rule->filter_count == 0)
        return true;
    for (size_t i = 0; i < rule->filter_count; i++)
        if (strcmp(rule->filters[i], filter_name) == 0)
            return true;
    return false;
}

bool suppression_rules_apply(const struct suppression_rule_list *rules, const char *filter_name)
{
    for (size_t i = 0; rules && i < rules->count; i++)
        if (suppression_rule_applies(&rules->items[i], filter_name))
            return true;
    return false;
}

char *metric_tuned_name(const char *metric_name)
{
    size_t size = strlen(metric_name) + sizeof METRIC_TUNED_SUFFIX;
    char *name = malloc(size);
    if (name)
        snprintf(name, size, "%s%s", metric_name, METRIC_TUNED_SUFFIX);
    return name;
}

/* ---- source addresses ---- */

enum address_kind { ADDRESS_NAME, ADDRESS_V4, ADDRESS_V6 };

/* A SourceIp value: an address block (a single address is a /32 or /128) or a name. */
struct address_block {
    enum address_kind kind;
    unsigned char bytes[16];
    unsigned prefix;
};

/* The event's address as 16 bytes (IPv4 as itself, in the first 4); false when the text is
 * not an address. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) counts as IPv4. */
static bool parse_address(const char *text, size_t length, enum address_kind *kind,
                          unsigned char bytes[16])
{
    char buffer[INET6_ADDRSTRLEN + 1];
    if (length == 0 || length >= sizeof buffer || memchr(text, '\0', length))
        return false;
    memcpy(buffer, text, length);
    buffer[length] = '\0';
    if (inet_pton(AF_INET, buffer, bytes) == 1) {
        *kind = ADDRESS_V4;
        return true;
    }
    if (inet_pton(AF_INET6, buffer, bytes) != 1)
        return false;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    *kind = ADDRESS_V6;
    if (memcmp(bytes, mapped, sizeof mapped) == 0) {
        memmove(bytes, bytes + 12, 4);
        *kind = ADDRESS_V4;
    }
    return true;
}

static bool host_bits_clear(const unsigned char *bytes, unsigned prefix, unsigned bits)
{
    for (unsigned bit = prefix; bit < bits; bit++)
        if (bytes[bit / 8] & (0x80u >> (bit % 8)))
            return false;
    return true;
}

static bool looks_like_address(const char *text)
{
    return strchr(text, ':') || strchr(text, '/') || strspn(text, "0123456789.") == strlen(text);
}

static bool fail(struct metrics_error *error, const char *format, const char *text)
{
    snprintf(error->message, sizeof error->message, format, text);
    return false;
}

static bool parse_prefix(const char *text, unsigned bits, unsigned *prefix)
{
    size_t digits = strspn(text, "0123456789");
    if (digits == 0 || digits > 3 || text[digits] != '\0')
        return false;
    *prefix = (unsigned)atoi(text);
    return *prefix <= bits;
}

/* "10.0.0.0/8", "2001:db8::/32", "203.0.113.7", "::1", or a name. */
static bool parse_block(const char *text, struct address_block *block, struct metrics_error *error)
{
    *block = (struct address_block){.kind = ADDRESS_NAME};
    if (!looks_like_address(text))
        return true; /* a name such as delivery.logs.amazonaws.com or "AWS Internal" */
    const char *slash = strchr(text, '/');
    size_t length = slash ? (size_t)(slash - text) : strlen(text);
    if (!parse_address(text, length, &block->kind, block->bytes))
        return fail(error, "SourceIp: '%.100s' is not an IPv4 or IPv6 address or CIDR block", text);
    /* an IPv4-mapped address is matched as IPv4; its block must be written that way too */
    if (slash && block->kind == ADDRESS_V4 && memchr(text, ':', length))
        return fail(error, "SourceIp: '%.100s': write an IPv4 block as a.b.c.d/N", text);
    unsigned bits = block->kind == ADDRESS_V4 ? 32 : 128;
    block->prefix = bits;
    if (slash && !parse_prefix(slash + 1, bits, &block->prefix))
        return fail(error,
                    "SourceIp: '%.100s': the prefix length must be 0-32 for IPv4, 0-128 for IPv6",
                    text);
    if (!host_bits_clear(block->bytes, block->prefix, bits))
        return fail(error, "SourceIp: '%.100s' has host bits set past its prefix length", text);
    return true;
}

bool suppression_value_check(enum suppression_field field, const char *text,
                             struct metrics_error *error)
{
    struct address_block block;
    return field != SUPPRESSION_SOURCE_IP || parse_block(text, &block, error);
}

static bool block_contains(const struct address_block *block, const char *text, size_t length)
{
    if (block->kind == ADDRESS_NAME)
        return false;
    enum address_kind kind;
    unsigned char bytes[16];
    if (!parse_address(text, length, &kind, bytes) || kind != block->kind)
        return false;
    unsigned whole = block->prefix / 8, rest = block->prefix % 8;
    if (memcmp(bytes, block->bytes, whole) != 0)
        return false;
    unsigned char mask = (unsigned char)(0xff00u >> rest);
    return rest == 0 || (bytes[whole] & mask) == (block->bytes[whole] & mask);
}

/* ---- globs ---- */

/* Bytes of the UTF-8 character starting at `text` (1 for a stray byte). */
static size_t character_length(const char *text, size_t length)
{
    unsigned char lead = (unsigned char)text[0];
    size_t size = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    for (size_t i = 1; i < size; i++)
        if (i >= length || ((unsigned char)text[i] & 0xc0) != 0x80)
            return 1;
    return size;
}

/* `*` matches any run of characters, `?` one character; everything else itself. Linear
 * backtracking to the last star: O(pattern × text) at worst, no recursion. */
static bool glob_matches(const char *glob, const char *text, size_t length)
{
    size_t g = 0, t = 0, star = SIZE_MAX, resume = 0;
    size_t glob_length = strlen(glob);
    while (t < length) {
        if (g < glob_length && glob[g] == '*') {
            star = ++g;
            resume = t;
        } else if (g < glob_length && glob[g] == '?') {
            g++;
            t += character_length(text + t, length - t);
        } else if (g < glob_length && glob[g] == text[t]) {
            g++;
            t++;
        } else if (star != SIZE_MAX) {
            g = star;
            resume += character_length(text + resume, length - resume);
            t = resume;
        } else {
            return false;
        }
    }
    while (g < glob_length && glob[g] == '*')
        g++;
    return g == glob_length;
}

/* ---- the compiled set ---- */

struct compiled_rule {
    const char *match[SUPPRESSION_FIELD_COUNT]; /* the rule's text, borrowed from the copy */
    struct address_block source;
};

struct suppression_set {
    struct suppression_rule_list rules; /* copies the compiled rules point into */
    struct compiled_rule *compiled;
    size_t **applying; /* per filter: indexes of the rules that apply */
    size_t *applying_count;
    size_t filter_count;
};

void suppression_set_free(struct suppression_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; set->applying && i < set->filter_count; i++)
        free(set->applying[i]);
    free(set->applying);
    free(set->applying_count);
    free(set->compiled);
    suppression_rule_list_free(&set->rules);
    free(set);
}

static bool compile_rule(const struct suppression_rule *rule, struct compiled_rule *out,
                         const struct metric_filter_list *filters, struct metrics_error *error)
{
    for (size_t field = 0; field < SUPPRESSION_FIELD_COUNT; field++)
        out->match[field] = rule->match[field];
    if (rule->match[SUPPRESSION_SOURCE_IP] &&
        !parse_block(rule->match[SUPPRESSION_SOURCE_IP], &out->source, error))
        return false;
    for (size_t i = 0; i < rule->filter_count; i++) {
        bool known = false;
        for (size_t f = 0; f < filters->count && !known; f++)
            known = strcmp(filters->items[f].filter_name, rule->filters[i]) == 0;
        if (!known)
            return fail(error, "suppression names filter '%.200s', which is not loaded",
                        rule->filters[i]);
    }
    return true;
}

static bool index_rules(struct suppression_set *set, const struct metric_filter_list *filters)
{
    for (size_t f = 0; f < filters->count; f++) {
        set->applying[f] = calloc(set->rules.count ? set->rules.count : 1, sizeof **set->applying);
        if (!set->applying[f])
            return false;
        for (size_t r = 0; r < set->rules.count; r++)
            if (suppression_rule_applies(&set->rules.items[r], filters->items[f].filter_name))
                set->applying[f][set->applying_count[f]++] = r;
    }
    return true;
}

struct suppression_set *suppression_set_compile(const struct suppression_rule_list *rules,
                                                const struct metric_filter_list *filters,
                                                struct metrics_error *error)
{
    struct suppression_set *set = calloc(1, sizeof *set);
    bool ok = set != NULL;
    if (ok) {
        set->filter_count = filters->count;
        set->compiled = calloc(rules->count ? rules->count : 1, sizeof *set->compiled);
        set->applying = calloc(filters->count ? filters->count : 1, sizeof *set->applying);
        set->applying_count =
            calloc(filters->count ? filters->count : 1, sizeof *set->applying_count);
        ok = set->compiled && set->applying && set->applying_count;
    }
    for (size_t i = 0; ok && i < rules->count; i++)
        ok = suppression_rule_list_append(&set->rules, &rules->items[i]);
    ok = ok && index_rules(set, filters);
    if (!ok)
        fail(error, "out of memory%s", "");
    for (size_t i = 0; ok && i < set->rules.count; i++)
        ok = compile_rule(&set->rules.items[i], &set->compiled[i], filters, error);
    if (!ok) {
        suppression_set_free(set);
        return NULL;
    }
    return set;
}

bool suppression_set_applies(const struct suppression_set *set, size_t filter)
{
    return filter < set->filter_count && set->applying_count[filter] > 0;
}

static bool field_matches(const struct compiled_rule *rule, size_t field,
                          const struct suppression_event *event)
{
    const char *value = event->values[field];
    size_t length = event->lengths[field];
    if (!rule->match[field])
        return true;
    if (!value)
        return false;
    if (field != SUPPRESSION_SOURCE_IP)
        return glob_matches(rule->match[field], value, length);
    if (rule->source.kind != ADDRESS_NAME)
        return block_contains(&rule->source, value, length);
    return strlen(rule->match[field]) == length && memcmp(rule->match[field], value, length) == 0;
}

bool suppression_matches(const struct suppression_set *set, size_t filter,
                         const struct suppression_event *event)
{
    if (filter >= set->filter_count)
        return false;
    for (size_t i = 0; i < set->applying_count[filter]; i++) {
        const struct compiled_rule *rule = &set->compiled[set->applying[filter][i]];
        bool all = true;
        for (size_t field = 0; field < SUPPRESSION_FIELD_COUNT && all; field++)
            all = field_matches(rule, field, event);
        if (all)
            return true;
    }
    return false;
}
