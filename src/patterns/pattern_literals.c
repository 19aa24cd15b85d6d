/* Required literals: which texts a message's raw bytes must contain for a pattern to be
 * able to match it, so a scan can set most events aside without decoding them. The
 * analysis follows the expression and yields a conjunction of clauses (CNF): a condition
 * needs its value's raw text or, failing that, its key; && joins both sides' clauses; ||
 * distributes, and when that would grow past a bound keeps one clause of each side, which
 * is still necessary, only less sharp. */
#include "patterns/pattern_internal.h"

#include <stdlib.h>
#include <string.h>

/* Clauses an || may produce before the analysis settles for a weaker answer. */
#define MAX_CLAUSES 64

struct clause_list {
    struct pattern_literal_clause *items;
    size_t count;
    bool constrained; /* false: nothing is required (or memory ran out) */
};

static void clause_free(struct pattern_literal_clause *clause)
{
    for (size_t i = 0; i < clause->count; i++)
        free(clause->literals[i].text);
    free(clause->literals);
    *clause = (struct pattern_literal_clause){0};
}

static void list_free(struct clause_list *list)
{
    pattern_literal_clauses_free(list->items, list->count);
    *list = (struct clause_list){0};
}

static bool clause_contains(const struct pattern_literal_clause *clause, const char *text,
                            size_t length)
{
    for (size_t i = 0; i < clause->count; i++)
        if (clause->literals[i].length == length &&
            memcmp(clause->literals[i].text, text, length) == 0)
            return true;
    return false;
}

static bool clause_add(struct pattern_literal_clause *clause, const char *text, size_t length,
                       bool key, bool delimited)
{
    if (clause_contains(clause, text, length))
        return true;
    struct pattern_literal *grown = realloc(clause->literals, (clause->count + 1) * sizeof *grown);
    if (!grown)
        return false;
    clause->literals = grown;
    char *copy = malloc(length + 1);
    if (!copy)
        return false;
    memcpy(copy, text, length);
    copy[length] = '\0';
    clause->literals[clause->count++] = (struct pattern_literal){copy, length, key, delimited};
    return true;
}

/* Appends the union of `a` and `b` (either may be NULL) as a new clause. */
static bool list_add_union(struct clause_list *list, const struct pattern_literal_clause *a,
                           const struct pattern_literal_clause *b)
{
    struct pattern_literal_clause *grown = realloc(list->items, (list->count + 1) * sizeof *grown);
    if (!grown)
        return false;
    list->items = grown;
    struct pattern_literal_clause *clause = &list->items[list->count++];
    *clause = (struct pattern_literal_clause){0};
    for (size_t i = 0; a && i < a->count; i++)
        if (!clause_add(clause, a->literals[i].text, a->literals[i].length, a->literals[i].key,
                        a->literals[i].delimited))
            return false;
    for (size_t i = 0; b && i < b->count; i++)
        if (!clause_add(clause, b->literals[i].text, b->literals[i].length, b->literals[i].key,
                        b->literals[i].delimited))
            return false;
    return true;
}

static bool list_single(struct clause_list *list, const char *open, const char *text, size_t length,
                        const char *close, bool key)
{
    size_t open_length = strlen(open), close_length = strlen(close);
    char *joined = malloc(open_length + length + close_length + 1);
    if (!joined)
        return false;
    memcpy(joined, open, open_length);
    memcpy(joined + open_length, text, length);
    memcpy(joined + open_length + length, close, close_length);
    struct pattern_literal literal = {joined, open_length + length + close_length, key, true};
    struct pattern_literal_clause clause = {&literal, 1};
    bool added = list_add_union(list, &clause, NULL);
    free(joined);
    list->constrained = added;
    return added;
}

/* A text is written verbatim inside a JSON string unless it holds a character a writer
 * escapes: '"', '\\', control characters, or '/' (which may be written "\/"). */
static bool written_verbatim(const char *text, size_t length)
{
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '"' || c == '\\' || c == '/' || c < 0x20)
            return false;
    }
    return true;
}

/* A text literal also equals a JSON number written that way (D-TEXT-VS-NUMBER), so its
 * quotes are only required when it cannot be a number's text. */
static bool could_be_number(const char *text, size_t length)
{
    for (size_t i = 0; i < length; i++)
        if (!strchr("0123456789+-.eE", text[i]))
            return false;
    return true;
}

static bool condition_value_literal(const struct condition *condition, struct clause_list *list)
{
    const struct literal *literal = &condition->literal;
    if (condition->comparison != COMPARE_EQUAL || literal->kind != LITERAL_STRING ||
        literal->length == 0 || !written_verbatim(literal->text, literal->length))
        return false;
    bool quotes = !could_be_number(literal->text, literal->length);
    const char *open = quotes && !literal->leading_wildcard ? "\"" : "";
    const char *close = quotes && !literal->trailing_wildcard ? "\"" : "";
    list_single(list, open, literal->text, literal->length, close, false);
    return true;
}

/* The last property name on the selector's path must appear as a key. */
static void condition_key_literal(const struct pattern *pattern, const struct condition *condition,
                                  struct clause_list *list)
{
    const struct selector *selector = &pattern->selectors[condition->selector];
    for (size_t i = selector->step_count; i-- > 0;) {
        const struct selector_step *step = &selector->steps[i];
        if (step->kind == SELECTOR_STEP_ANY_MEMBER)
            return;
        if (step->kind == SELECTOR_STEP_MEMBER) {
            if (written_verbatim(step->name, step->name_length))
                list_single(list, "\"", step->name, step->name_length, "\"", true);
            return;
        }
    }
}

static void condition_literals(const struct pattern *pattern, const struct condition *condition,
                               struct clause_list *list)
{
    if (condition->comparison == COMPARE_NOT_EXISTS)
        return;
    if (!condition_value_literal(condition, list))
        condition_key_literal(pattern, condition, list);
}

static void node_literals(const struct pattern *pattern, size_t index, struct clause_list *list);

/* && : every clause of both sides. */
static void and_literals(const struct pattern *pattern, const struct json_node *node,
                         struct clause_list *list)
{
    struct clause_list right = {0};
    node_literals(pattern, node->left, list);
    node_literals(pattern, node->right, &right);
    if (!list->constrained) {
        *list = right;
        return;
    }
    for (size_t i = 0; right.constrained && i < right.count; i++)
        if (!list_add_union(list, &right.items[i], NULL))
            list->constrained = false;
    list_free(&right);
}

static size_t smallest_clause(const struct clause_list *list)
{
    size_t smallest = 0;
    for (size_t i = 1; i < list->count; i++)
        if (list->items[i].count < list->items[smallest].count)
            smallest = i;
    return smallest;
}

/* || : (a1 && a2) || (b1 && b2) needs (a1|b1) && (a1|b2) && (a2|b1) && (a2|b2). */
static void or_literals(const struct pattern *pattern, const struct json_node *node,
                        struct clause_list *list)
{
    struct clause_list left = {0}, right = {0};
    node_literals(pattern, node->left, &left);
    node_literals(pattern, node->right, &right);
    *list = (struct clause_list){.constrained = left.constrained && right.constrained};
    if (list->constrained && left.count * right.count > MAX_CLAUSES) {
        list->constrained = list_add_union(list, &left.items[smallest_clause(&left)],
                                           &right.items[smallest_clause(&right)]);
    } else {
        for (size_t i = 0; list->constrained && i < left.count; i++)
            for (size_t j = 0; list->constrained && j < right.count; j++)
                list->constrained = list_add_union(list, &left.items[i], &right.items[j]);
    }
    list_free(&left);
    list_free(&right);
}

static void node_literals(const struct pattern *pattern, size_t index, struct clause_list *list)
{
    const struct json_node *node = &pattern->nodes[index];
    *list = (struct clause_list){0};
    if (node->kind == JSON_NODE_CONDITION)
        condition_literals(pattern, &pattern->conditions[node->condition], list);
    else if (node->kind == JSON_NODE_OR)
        or_literals(pattern, node, list);
    else
        and_literals(pattern, node, list);
    if (!list->constrained)
        list_free(list);
}

/* Term patterns: every required term; with only ? terms, one clause of all of them. */
static void term_literals(const struct pattern *pattern, struct clause_list *list)
{
    struct pattern_literal_clause optional = {0};
    list->constrained = true;
    for (size_t i = 0; list->constrained && i < pattern->term_count; i++) {
        const struct term *term = &pattern->terms[i];
        if (term->length == 0)
            continue;
        if (term->kind == TERM_REQUIRED) {
            struct pattern_literal literal = {term->text, term->length, false, false};
            struct pattern_literal_clause clause = {&literal, 1};
            list->constrained = list_add_union(list, &clause, NULL);
        } else if (term->kind == TERM_OPTIONAL && pattern->only_optional_terms) {
            list->constrained = clause_add(&optional, term->text, term->length, false, false);
        }
    }
    bool all_optional_nonempty = optional.count > 0;
    for (size_t i = 0; i < pattern->term_count && pattern->only_optional_terms; i++)
        all_optional_nonempty = all_optional_nonempty && pattern->terms[i].length > 0;
    if (list->constrained && all_optional_nonempty)
        list->constrained = list_add_union(list, &optional, NULL);
    clause_free(&optional);
    list->constrained = list->constrained && list->count > 0;
}

bool pattern_required_literals(const struct pattern *pattern,
                               struct pattern_literal_clause **clauses, size_t *count)
{
    struct clause_list list = {0};
    if (pattern->kind == PATTERN_JSON)
        node_literals(pattern, pattern->root, &list);
    else if (pattern->kind == PATTERN_TERMS)
        term_literals(pattern, &list);
    if (!list.constrained) {
        list_free(&list);
        return false;
    }
    *clauses = list.items;
    *count = list.count;
    return true;
}

void pattern_literal_clauses_free(struct pattern_literal_clause *clauses, size_t count)
{
    for (size_t i = 0; i < count; i++)
        clause_free(&clauses[i]);
    free(clauses);
}
