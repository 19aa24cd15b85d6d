/* Evidence: the matches behind a bucket or a window of buckets, bounded so it can be kept per
 * bucket and merged over any window: top lists of METRIC_EVIDENCE_TOP values, the
 * METRIC_EVIDENCE_SAMPLES earliest trimmed events, first and last seen. Merging is the only
 * operation: a window's evidence is its buckets' merged. Both orders are total (ties broken
 * by bytes), so the result does not depend on the order of the merges' inputs as long as no
 * list overflows. */
#include "metrics/event_time.h"
#include "metrics/evidence_internal.h"
#include "metrics/metrics.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void metric_evidence_init(struct metric_evidence *evidence)
{
    *evidence = (struct metric_evidence){.first_seen_ms = INT64_MAX, .last_seen_ms = INT64_MIN};
}

void metric_evidence_free(struct metric_evidence *evidence)
{
    if (!evidence)
        return;
    for (size_t field = 0; field < METRIC_EVIDENCE_FIELD_COUNT; field++)
        for (size_t i = 0; i < evidence->top_count[field]; i++)
            free(evidence->top[field][i].value);
    for (size_t i = 0; i < evidence->sample_count; i++)
        free(evidence->samples[i]);
    metric_evidence_init(evidence);
}

const char *metric_evidence_field_key(enum metric_evidence_field field)
{
    static const char *const keys[METRIC_EVIDENCE_FIELD_COUNT] = {
        "principals", "sourceIPs", "eventNames", "errorCodes", "accounts", "regions", "denials",
    };
    return field < METRIC_EVIDENCE_FIELD_COUNT ? keys[field] : "unknown";
}

/* ---- cutting values ---- */

static size_t utf8_boundary_before(const char *value, size_t at)
{
    while (at > 0 && ((unsigned char)value[at] & 0xC0) == 0x80)
        at--;
    return at;
}

size_t evidence_cut(const char *value, size_t length, size_t limit)
{
    const char *nul = memchr(value, '\0', length);
    if (nul)
        length = (size_t)(nul - value);
    return length <= limit ? length : utf8_boundary_before(value, limit);
}

size_t evidence_cut_characters(const char *value, size_t length, size_t characters)
{
    length = evidence_cut(value, length, length);
    size_t at = 0;
    for (size_t seen = 0; at < length; at++) {
        if (((unsigned char)value[at] & 0xC0) != 0x80 && seen++ == characters)
            break;
    }
    return at;
}

/* ---- orders ---- */

static int compare_values(const void *left, const void *right)
{
    const struct metric_evidence_value *a = left, *b = right;
    if (a->count != b->count)
        return a->count < b->count ? 1 : -1;
    return strcmp(a->value, b->value);
}

/* A sample as sorted: its text and eventTime. */
struct timed_sample {
    const char *text;
    int64_t time_ms;
    bool borrowed; /* still owned by the merge's `from` */
};

static int compare_samples(const void *left, const void *right)
{
    const struct timed_sample *a = left, *b = right;
    if (a->time_ms != b->time_ms)
        return a->time_ms < b->time_ms ? -1 : 1;
    return strcmp(a->text, b->text);
}

/* Samples are written with eventTime first ({"eventTime":"…",…}): read it there without a
 * parse, else parse the object. */
int64_t evidence_sample_time(const char *sample)
{
    static const char prefix[] = "{\"eventTime\":\"";
    int64_t time_ms;
    if (strncmp(sample, prefix, sizeof prefix - 1) == 0) {
        const char *start = sample + sizeof prefix - 1;
        size_t length = strcspn(start, "\"\\");
        if (start[length] == '"' && event_time_parse_ms(start, length, &time_ms))
            return time_ms;
    }
    json_t *object = json_loads(sample, 0, NULL);
    const char *text = json_string_value(json_object_get(object, "eventTime"));
    bool found = text && event_time_parse_ms(text, strlen(text), &time_ms);
    json_decref(object);
    return found ? time_ms : INT64_MAX;
}

void evidence_sort(struct metric_evidence *evidence)
{
    for (size_t field = 0; field < METRIC_EVIDENCE_FIELD_COUNT; field++)
        qsort(evidence->top[field], evidence->top_count[field], sizeof evidence->top[field][0],
              compare_values);
    struct timed_sample samples[METRIC_EVIDENCE_SAMPLES];
    for (size_t i = 0; i < evidence->sample_count; i++)
        samples[i] = (struct timed_sample){evidence->samples[i],
                                           evidence_sample_time(evidence->samples[i]), false};
    qsort(samples, evidence->sample_count, sizeof samples[0], compare_samples);
    for (size_t i = 0; i < evidence->sample_count; i++)
        evidence->samples[i] = (char *)samples[i].text;
}

/* ---- merging ---- */

static uint64_t add_saturating(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* One value of a list being merged. */
struct top_candidate {
    struct metric_evidence_value value; /* value.value owned by `into`, or borrowed */
    bool borrowed;
    char *copy; /* the kept copy of a borrowed value */
};

/* Everything a merge will keep, worked out before anything is allocated or freed, so a merge
 * that runs out of memory leaves `into` as it was. */
struct merge_plan {
    struct top_candidate top[METRIC_EVIDENCE_FIELD_COUNT][2 * METRIC_EVIDENCE_TOP];
    size_t top_count[METRIC_EVIDENCE_FIELD_COUNT];
    struct timed_sample samples[2 * METRIC_EVIDENCE_SAMPLES];
    char *sample_copies[2 * METRIC_EVIDENCE_SAMPLES];
    size_t sample_count;
};

static int compare_candidates(const void *left, const void *right)
{
    const struct top_candidate *a = left, *b = right;
    return compare_values(&a->value, &b->value);
}

static void plan_list(struct merge_plan *plan, size_t field, const struct metric_evidence *into,
                      const struct metric_evidence *from)
{
    struct top_candidate *candidates = plan->top[field];
    size_t count = into->top_count[field], owned = count;
    for (size_t i = 0; i < owned; i++)
        candidates[i] = (struct top_candidate){.value = into->top[field][i]};
    for (size_t i = 0; i < from->top_count[field]; i++) {
        const struct metric_evidence_value *value = &from->top[field][i];
        size_t at = 0;
        while (at < owned && strcmp(candidates[at].value.value, value->value) != 0)
            at++;
        if (at < owned)
            candidates[at].value.count = add_saturating(candidates[at].value.count, value->count);
        else
            candidates[count++] = (struct top_candidate){.value = *value, .borrowed = true};
    }
    qsort(candidates, count, sizeof *candidates, compare_candidates);
    plan->top_count[field] = count;
}

static void plan_samples(struct merge_plan *plan, const struct metric_evidence *into,
                         const struct metric_evidence *from)
{
    size_t count = 0;
    for (size_t i = 0; i < into->sample_count; i++)
        plan->samples[count++] =
            (struct timed_sample){into->samples[i], evidence_sample_time(into->samples[i]), false};
    for (size_t i = 0; i < from->sample_count; i++)
        plan->samples[count++] =
            (struct timed_sample){from->samples[i], evidence_sample_time(from->samples[i]), true};
    qsort(plan->samples, count, sizeof plan->samples[0], compare_samples);
    plan->sample_count = count;
}

static void free_copies(struct merge_plan *plan)
{
    for (size_t field = 0; field < METRIC_EVIDENCE_FIELD_COUNT; field++)
        for (size_t i = 0; i < plan->top_count[field]; i++)
            free(plan->top[field][i].copy);
    for (size_t i = 0; i < plan->sample_count; i++)
        free(plan->sample_copies[i]);
}

/* Copies the borrowed values and samples that are kept. */
static bool copy_kept(struct merge_plan *plan)
{
    bool copied = true;
    for (size_t field = 0; field < METRIC_EVIDENCE_FIELD_COUNT; field++) {
        for (size_t i = 0; i < plan->top_count[field] && i < METRIC_EVIDENCE_TOP; i++) {
            struct top_candidate *candidate = &plan->top[field][i];
            if (candidate->borrowed && copied)
                copied = (candidate->copy = strdup(candidate->value.value)) != NULL;
        }
    }
    for (size_t i = 0; i < plan->sample_count && i < METRIC_EVIDENCE_SAMPLES; i++)
        if (plan->samples[i].borrowed && copied)
            copied = (plan->sample_copies[i] = strdup(plan->samples[i].text)) != NULL;
    if (!copied)
        free_copies(plan);
    return copied;
}

static void commit_list(struct merge_plan *plan, size_t field, struct metric_evidence *into)
{
    size_t kept = 0;
    for (size_t i = 0; i < plan->top_count[field]; i++) {
        struct top_candidate *candidate = &plan->top[field][i];
        if (i >= METRIC_EVIDENCE_TOP) {
            if (!candidate->borrowed)
                free(candidate->value.value);
            continue;
        }
        into->top[field][kept] = candidate->value;
        if (candidate->borrowed)
            into->top[field][kept].value = candidate->copy;
        kept++;
    }
    into->top_count[field] = kept;
}

static void commit_samples(struct merge_plan *plan, struct metric_evidence *into)
{
    size_t kept = 0;
    for (size_t i = 0; i < plan->sample_count; i++) {
        struct timed_sample *sample = &plan->samples[i];
        if (i >= METRIC_EVIDENCE_SAMPLES) {
            if (!sample->borrowed)
                free((char *)sample->text);
            continue;
        }
        into->samples[kept++] = sample->borrowed ? plan->sample_copies[i] : (char *)sample->text;
    }
    into->sample_count = kept;
}

bool metric_evidence_merge(struct metric_evidence *into, const struct metric_evidence *from)
{
    struct merge_plan *plan = calloc(1, sizeof *plan);
    if (!plan)
        return false;
    for (size_t field = 0; field < METRIC_EVIDENCE_FIELD_COUNT; field++)
        plan_list(plan, field, into, from);
    plan_samples(plan, into, from);
    bool copied = copy_kept(plan);
    if (copied) {
        for (size_t field = 0; field < METRIC_EVIDENCE_FIELD_COUNT; field++)
            commit_list(plan, field, into);
        commit_samples(plan, into);
        into->events = add_saturating(into->events, from->events);
        into->suppressed = add_saturating(into->suppressed, from->suppressed);
        if (from->first_seen_ms < into->first_seen_ms)
            into->first_seen_ms = from->first_seen_ms;
        if (from->last_seen_ms > into->last_seen_ms)
            into->last_seen_ms = from->last_seen_ms;
    }
    free(plan);
    return copied;
}

/* ---- denials ---- */

/* The policy types IAM names in access denied messages ("Troubleshoot access denied error
 * messages", IAM User Guide, docs.aws.amazon.com/IAM/latest/UserGuide/
 * troubleshoot_access-denied.html): an explicit deny reads "with an explicit deny in a
 * TYPE policy" ("… in a permissions boundary"), an implicit one "because no TYPE policy
 * allows the ACTION action", e.g. "User: arn:aws:iam::123456789012:user/Matt is not
 * authorized to perform: iam:ListRoles on resource: … with an explicit deny in a service
 * control policy" (AWS Security Blog, "Enhanced access denied error messages with policy
 * ARNs"). The guide also notes "due to an explicit deny in a Service Control Policy", hence
 * the match ignores case. Older messages say "with an explicit deny" and no type. */
struct policy_type {
    const char *phrase;
    const char *explicit_kind, *implicit_kind;
};

static const struct policy_type policy_types[] = {
    {"service control policy", "explicit deny in a service control policy",
     "no service control policy allows the action"},
    {"resource control policy", "explicit deny in a resource control policy",
     "no resource control policy allows the action"},
    {"permissions boundary", "explicit deny in a permissions boundary",
     "no permissions boundary allows the action"},
    {"identity-based policy", "explicit deny in an identity-based policy",
     "no identity-based policy allows the action"},
    {"resource-based policy", "explicit deny in a resource-based policy",
     "no resource-based policy allows the action"},
    {"session policy", "explicit deny in a session policy", "no session policy allows the action"},
    {"VPC endpoint policy", "explicit deny in a VPC endpoint policy",
     "no VPC endpoint policy allows the action"},
};

static char lower(char character)
{
    return character >= 'A' && character <= 'Z' ? (char)(character - 'A' + 'a') : character;
}

/* Does `phrase` start at text[at] (ASCII case ignored)? `end` is where it stops. */
static bool phrase_at(const char *text, size_t length, size_t at, const char *phrase, size_t *end)
{
    for (; *phrase; phrase++, at++)
        if (at >= length || lower(text[at]) != lower(*phrase))
            return false;
    *end = at;
    return true;
}

static const struct policy_type *policy_type_at(const char *text, size_t length, size_t at,
                                                size_t *end)
{
    for (size_t i = 0; i < sizeof policy_types / sizeof policy_types[0]; i++)
        if (phrase_at(text, length, at, policy_types[i].phrase, end))
            return &policy_types[i];
    return NULL;
}

/* "explicit deny in a TYPE" / "explicit deny in an TYPE" at `at`. */
static const char *explicit_kind_at(const char *text, size_t length, size_t at)
{
    size_t end;
    if (!phrase_at(text, length, at, "explicit deny in a", &end))
        return NULL;
    if (end < length && lower(text[end]) == 'n')
        end++;
    const struct policy_type *type =
        end < length && text[end] == ' ' ? policy_type_at(text, length, end + 1, &end) : NULL;
    return type ? type->explicit_kind : NULL;
}

/* "no TYPE allow" at `at`, "no" starting a word. */
static const char *implicit_kind_at(const char *text, size_t length, size_t at)
{
    size_t end;
    if ((at > 0 && text[at - 1] != ' ') || !phrase_at(text, length, at, "no ", &end))
        return NULL;
    const struct policy_type *type = policy_type_at(text, length, end, &end);
    return type && phrase_at(text, length, end, " allow", &end) ? type->implicit_kind : NULL;
}

const char *metric_denial_kind(const char *error_message, size_t length)
{
    bool explicit_deny = false;
    for (size_t at = 0; at < length; at++) {
        char first = lower(error_message[at]);
        if (first != 'e' && first != 'n')
            continue; /* neither "explicit deny" nor "no " starts here */
        const char *kind = explicit_kind_at(error_message, length, at);
        if (!kind)
            kind = implicit_kind_at(error_message, length, at);
        if (kind)
            return kind;
        size_t end;
        explicit_deny =
            explicit_deny || phrase_at(error_message, length, at, "explicit deny", &end);
    }
    return explicit_deny ? "explicit deny" : NULL;
}
