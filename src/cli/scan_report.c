/* Printing the scan report: text for people, JSON (jansson) for programs. */
#include "cli/scan_report.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Malformed reports and top values shown in the text report. */
#define TEXT_MALFORMED_SHOWN 20
#define TEXT_TOP_SHOWN 5

static double megabytes_per_second(const struct scan_totals *totals)
{
    return totals->seconds > 0 ? (double)totals->bytes_decoded / 1e6 / totals->seconds : 0;
}

static json_t *top_lists_json(const struct scan_report *report, size_t filter)
{
    json_t *lists = json_object();
    struct top_value top[SCAN_REPORT_TOP];
    for (int field = 0; field < EVIDENCE_FIELD_COUNT; field++) {
        json_t *list = json_array();
        size_t count = filter_scan_top(report->scan, filter, field, top, SCAN_REPORT_TOP);
        for (size_t i = 0; i < count; i++)
            json_array_append_new(list,
                                  json_pack("{s:s%,s:I}", "value", top[i].value, top[i].length,
                                            "count", (json_int_t)top[i].count));
        json_object_set_new(lists, evidence_field_name(field), list);
    }
    return lists;
}

static json_t *filter_json(const struct scan_report *report, size_t filter)
{
    const struct metric_filter_definition *definition = &report->filters->items[filter];
    json_t *object = json_object();
    json_object_set_new(object, "name", json_string(definition->filter_name));
    json_object_set_new(object, "cis",
                        definition->cis_id ? json_string(definition->cis_id) : json_null());
    json_object_set_new(object, "metric", json_string(definition->transformation.metric_name));
    json_object_set_new(object, "namespace",
                        json_string(definition->transformation.metric_namespace));
    json_object_set_new(object, "matches",
                        json_integer((json_int_t)filter_scan_matches(report->scan, filter)));
    json_object_set_new(object, "value_sum",
                        json_real(filter_scan_value_sum(report->scan, filter)));
    json_object_set_new(object, "suppressed",
                        json_integer((json_int_t)filter_scan_suppressed(report->scan, filter)));
    if (filter_scan_is_tuned(report->scan, filter)) {
        char *tuned = metric_tuned_name(definition->transformation.metric_name);
        json_object_set_new(object, "tuned_metric", tuned ? json_string(tuned) : json_null());
        free(tuned);
    }
    json_object_set_new(object, "top", top_lists_json(report, filter));
    return object;
}

static json_t *malformed_json(const struct scan_report *report)
{
    json_t *list = json_array();
    for (size_t i = 0; i < report->malformed_listed; i++) {
        const struct scan_malformed *item = &report->malformed[i];
        json_t *entry = json_object();
        json_object_set_new(entry, "file", json_string(item->file));
        if (item->line)
            json_object_set_new(entry, "line", json_integer((json_int_t)item->line));
        else
            json_object_set_new(entry, "offset", json_integer((json_int_t)item->offset));
        json_object_set_new(entry, "error", json_string(item->reason));
        json_array_append_new(list, entry);
    }
    return list;
}

static void format_time(int64_t milliseconds, char *out, size_t size)
{
    time_t seconds = (time_t)(milliseconds / 1000);
    struct tm fields;
    /* not strftime's %Y, which writes year 1 as "1": ISO 8601 wants four digits */
    if (!gmtime_r(&seconds, &fields))
        snprintf(out, size, "%lld ms", (long long)milliseconds);
    else
        snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", fields.tm_year + 1900,
                 fields.tm_mon + 1, fields.tm_mday, fields.tm_hour, fields.tm_min, fields.tm_sec);
}

/* A transition's evidence as metric_evidence_to_json writes it (the alarm message's
 * Trailhound key): written on the replay's threads already (the JSON report's
 * scan_alarm_options.render_evidence), or now. `owned`: the text is new. */
static char *evidence_text(const struct scan_alarm_transition *transition, bool *owned)
{
    *owned = !transition->evidence_text;
    return transition->evidence_text ? transition->evidence_text
                                     : metric_evidence_to_json(transition->evidence);
}

static json_t *evidence_json(const struct scan_alarm_transition *transition)
{
    bool owned;
    char *text = evidence_text(transition, &owned);
    json_t *object = text ? json_loads(text, 0, NULL) : NULL;
    if (owned)
        free(text);
    return object;
}

/* The report's evidence, spliced in as text (see print_json): each evidence's compact text
 * (or the alarms' list, written by hand), in the order of the placeholders standing for them
 * in the tree. */
#define EVIDENCE_PLACEHOLDER "\001trailhound:evidence\001"
#define EVIDENCE_PLACEHOLDER_DUMPED "\"\\u0001trailhound:evidence\\u0001\""
/* Depth of a transition's evidence in the report: root, alarms, alarm, transitions,
 * transition; of the alarms' list: root. */
#define EVIDENCE_DEPTH 5
#define ALARMS_DEPTH 1

struct evidence_text {
    char *text;
    bool owned; /* else the transition's or print_json's */
    int depth;  /* where it is spliced */
};

struct evidence_texts {
    struct evidence_text *texts; /* owned */
    size_t count, capacity;
    bool failed; /* out of memory: print through jansson alone */
};

static void evidence_texts_free(struct evidence_texts *list)
{
    for (size_t i = 0; i < list->count; i++)
        if (list->texts[i].owned)
            free(list->texts[i].text);
    free(list->texts);
    *list = (struct evidence_texts){0};
}

static bool evidence_texts_add(struct evidence_texts *list, char *text, bool owned, int depth)
{
    if (list->count == list->capacity) {
        size_t capacity = list->capacity ? list->capacity * 2 : 16;
        struct evidence_text *grown = realloc(list->texts, capacity * sizeof *grown);
        if (!grown)
            return false;
        list->texts = grown;
        list->capacity = capacity;
    }
    list->texts[list->count++] = (struct evidence_text){text, owned, depth};
    return true;
}

/* With `texts`, a placeholder for the evidence and its text kept aside; without, the
 * evidence's tree. No evidence key when it cannot be written, as evidence_json. */
static json_t *evidence_value(const struct scan_alarm_transition *transition,
                              struct evidence_texts *texts)
{
    if (!texts)
        return evidence_json(transition);
    bool owned;
    char *text = evidence_text(transition, &owned);
    if (!text)
        return NULL;
    if (!evidence_texts_add(texts, text, owned, EVIDENCE_DEPTH)) {
        if (owned)
            free(text);
        texts->failed = true;
        return NULL;
    }
    return json_string(EVIDENCE_PLACEHOLDER);
}

static json_t *transition_json(const struct scan_alarm_transition *transition,
                               struct evidence_texts *texts)
{
    char time[40];
    format_time(transition->time_ms, time, sizeof time);
    json_t *object =
        json_pack("{s:s,s:s,s:s,s:s}", "time", time, "from", alarm_state_name(transition->from),
                  "to", alarm_state_name(transition->to), "reason", transition->reason);
    if (object && (transition->evidence || transition->evidence_text))
        json_object_set_new(object, "evidence", evidence_value(transition, texts));
    if (object && transition->early)
        json_object_set_new(object, "early", json_true());
    return object;
}

static json_t *alarm_json(const struct scan_alarm_result *result, struct evidence_texts *texts)
{
    const struct alarm_definition *alarm = result->alarm;
    json_t *object = json_object();
    json_object_set_new(object, "name", json_string(alarm->alarm_name));
    json_object_set_new(object, "cis", alarm->cis_id ? json_string(alarm->cis_id) : json_null());
    json_object_set_new(object, "metric", json_string(alarm->metric.metric_name));
    json_object_set_new(object, "namespace", json_string(alarm->metric.namespace_name));
    json_object_set_new(object, "final_state", json_string(alarm_state_name(result->final_state)));
    json_object_set_new(object, "transitions_total",
                        json_integer((json_int_t)result->transitions_total));
    json_t *transitions = json_array();
    for (size_t i = 0; i < result->transition_count; i++)
        json_array_append_new(transitions, transition_json(&result->transitions[i], texts));
    json_object_set_new(object, "transitions", transitions);
    return object;
}

static json_t *alarms_json(const struct scan_report *report, struct evidence_texts *texts)
{
    json_t *list = json_array();
    for (size_t i = 0; report->alarms && i < report->alarms->count; i++)
        json_array_append_new(list, alarm_json(&report->alarms->results[i], texts));
    return list;
}

/* With `texts` and `alarms` (the alarms' list as compact text, written by hand), a
 * placeholder for that list; else the list's tree. */
static json_t *alarms_value(const struct scan_report *report, struct evidence_texts *texts,
                            char *alarms)
{
    if (!texts || !alarms)
        return alarms_json(report, texts);
    if (!evidence_texts_add(texts, alarms, false, ALARMS_DEPTH)) {
        texts->failed = true;
        return NULL;
    }
    return json_string(EVIDENCE_PLACEHOLDER);
}

static json_t *report_json(const struct scan_report *report, struct evidence_texts *texts,
                           char *alarms)
{
    const struct scan_totals *totals = &report->totals;
    json_t *root = json_object();
    json_object_set_new(root, "files", json_integer((json_int_t)totals->files));
    json_object_set_new(root, "files_already_counted",
                        json_integer((json_int_t)totals->files_already_counted));
    json_object_set_new(root, "events", json_integer((json_int_t)totals->events));
    json_object_set_new(root, "bytes", json_integer((json_int_t)totals->bytes_read));
    json_object_set_new(root, "bytes_decoded", json_integer((json_int_t)totals->bytes_decoded));
    json_object_set_new(root, "seconds", json_real(totals->seconds));
    json_object_set_new(root, "mb_per_second", json_real(megabytes_per_second(totals)));
    json_object_set_new(root, "events_not_decoded", json_integer((json_int_t)totals->unvalidated));
    json_object_set_new(root, "malformed_count", json_integer((json_int_t)totals->malformed));
    json_object_set_new(root, "malformed", malformed_json(report));
    json_t *filters = json_array();
    for (size_t i = 0; i < filter_scan_filter_count(report->scan); i++)
        json_array_append_new(filters, filter_json(report, i));
    json_object_set_new(root, "filters", filters);
    json_object_set_new(root, "matches_without_event_time",
                        json_integer((json_int_t)report->untimed));
    json_object_set_new(root, "alarms", alarms_value(report, texts, alarms));
    if (report->alarms && report->alarms->notifications.enabled) {
        const struct scan_notifications *sent = &report->alarms->notifications;
        json_object_set_new(
            root, "notifications",
            json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:s}", "queued", (json_int_t)sent->queued,
                      "delivered", (json_int_t)sent->delivered, "retried",
                      (json_int_t)sent->retried, "failed", (json_int_t)sent->failed,
                      "failure_alerts", (json_int_t)sent->alerts, "pending",
                      (json_int_t)sent->pending, "first_failure", sent->first_failure));
    }
    return root;
}

/* The JSON report in memory, written with one fwrite: it is most of a megabyte, put
 * together from many short runs. */
struct report_text {
    char *bytes;
    size_t length, capacity;
    bool failed; /* out of memory */
};

static bool text_reserve(struct report_text *text, size_t more)
{
    if (text->failed)
        return false;
    if (text->capacity - text->length >= more)
        return true;
    size_t capacity = text->capacity ? text->capacity : 4096;
    while (capacity - text->length < more)
        capacity *= 2;
    char *grown = realloc(text->bytes, capacity);
    if (!grown) {
        text->failed = true;
        return false;
    }
    text->bytes = grown;
    text->capacity = capacity;
    return true;
}

static void text_append(struct report_text *text, const char *bytes, size_t length)
{
    if (text_reserve(text, length)) {
        memcpy(text->bytes + text->length, bytes, length);
        text->length += length;
    }
}

/* A line break and the indentation of `depth`, after `lead` (one byte, or none: 0). */
static void text_break(struct report_text *text, char lead, int depth)
{
    if (!text_reserve(text, 2 + (size_t)depth * 2))
        return;
    if (lead)
        text->bytes[text->length++] = lead;
    text->bytes[text->length++] = '\n';
    memset(text->bytes + text->length, ' ', (size_t)depth * 2);
    text->length += (size_t)depth * 2;
}

/* What write_indented stops at: outside strings, the end and the structural bytes; inside,
 * the end, the closing quote and escapes. Tables: most of the text is long strings. */
enum json_byte { JSON_PLAIN, JSON_END, JSON_QUOTE, JSON_OPEN, JSON_CLOSE, JSON_COMMA, JSON_COLON };
static const unsigned char json_bytes[256] = {
    [0] = JSON_END,     ['"'] = JSON_QUOTE, ['{'] = JSON_OPEN,  ['['] = JSON_OPEN,
    ['}'] = JSON_CLOSE, [']'] = JSON_CLOSE, [','] = JSON_COMMA, [':'] = JSON_COLON};
static const bool string_stops[256] = {[0] = true, ['"'] = true, ['\\'] = true};

/* The closing quote of the string whose opening quote is at `at` (escapes skipped), or the
 * end of the text. */
static const char *string_end(const char *at)
{
    for (at++;; at++) {
        while (!string_stops[(unsigned char)*at])
            at++;
        if (*at != '\\')
            return at;
        if (at[1])
            at++;
    }
}

/* Compact JSON text (no space outside strings) written as jansson's JSON_INDENT(2) dump
 * writes the same value at `depth`: members on lines of their own, ": " after keys, empty
 * objects and arrays as {} and []. */
static void write_indented(struct report_text *out, const char *json, int depth)
{
    const char *run = json; /* bytes not yet written */
    for (const char *at = json;; at++) {
        while (json_bytes[(unsigned char)*at] == JSON_PLAIN)
            at++;
        enum json_byte kind = json_bytes[(unsigned char)*at];
        if (kind == JSON_END)
            break;
        if (kind == JSON_QUOTE) {
            at = string_end(at);
            if (!*at)
                break;
            continue;
        }
        text_append(out, run, (size_t)(at - run));
        run = at + 1;
        if (kind == JSON_OPEN && at[1] == (*at == '{' ? '}' : ']')) {
            text_append(out, at, 2);
            run = ++at + 1;
        } else if (kind == JSON_OPEN) {
            text_break(out, *at, ++depth);
        } else if (kind == JSON_CLOSE) {
            text_break(out, 0, --depth);
            text_append(out, at, 1);
        } else if (kind == JSON_COMMA) {
            text_break(out, ',', depth);
        } else {
            text_append(out, ": ", 2);
        }
    }
    text_append(out, run, strlen(run));
}

static size_t count_placeholders(const char *text)
{
    size_t count = 0;
    for (const char *at = text; (at = strstr(at, EVIDENCE_PLACEHOLDER_DUMPED)); at++)
        count++;
    return count;
}

/* The dump with each placeholder replaced by its evidence's text, into `report`. */
static void splice(struct report_text *report, const char *text, const struct evidence_texts *texts)
{
    const size_t placeholder_length = strlen(EVIDENCE_PLACEHOLDER_DUMPED);
    size_t length = strlen(text) + 2;
    for (size_t i = 0; i < texts->count; i++) /* indented, about twice as long */
        length += strlen(texts->texts[i].text) * 2;
    text_reserve(report, length);
    const char *run = text;
    for (size_t i = 0; i < texts->count; i++) {
        const char *at = strstr(run, EVIDENCE_PLACEHOLDER_DUMPED);
        text_append(report, run, (size_t)(at - run));
        write_indented(report, texts->texts[i].text, texts->texts[i].depth);
        run = at + placeholder_length;
    }
    text_append(report, run, strlen(run));
    text_append(report, "\n", 1);
}

/* The evidence, most of the report, is not put through a jansson tree: its text is written
 * once and spliced, indented, into the dump of the rest in place of placeholders. Should
 * the placeholder's text appear elsewhere (a logged value) or memory run out, the report is
 * dumped through jansson alone, with the same bytes. */
/* A string as jansson's compact dump writes it; false when jansson refuses it (NULL, or
 * not UTF-8: the tree would leave the member out). Plain ASCII is written as it is. */
static bool append_string(struct report_text *text, const char *value)
{
    const char *at = value;
    while (at && *at >= 0x20 && *at < 0x7f && *at != '"' && *at != '\\')
        at++;
    if (at && !*at) {
        text_append(text, "\"", 1);
        text_append(text, value, (size_t)(at - value));
        text_append(text, "\"", 1);
        return true;
    }
    json_t *string = value ? json_string(value) : NULL;
    char *dumped = string ? json_dumps(string, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
    json_decref(string);
    if (dumped)
        text_append(text, dumped, strlen(dumped));
    free(dumped);
    return dumped != NULL;
}

/* A member `"key":` then the string. */
static bool append_member(struct report_text *text, const char *key, const char *value)
{
    text_append(text, key, strlen(key));
    return append_string(text, value);
}

static bool write_transition(struct report_text *text,
                             const struct scan_alarm_transition *transition)
{
    char time[40];
    format_time(transition->time_ms, time, sizeof time);
    if (!append_member(text, "{\"time\":", time) ||
        !append_member(text, ",\"from\":", alarm_state_name(transition->from)) ||
        !append_member(text, ",\"to\":", alarm_state_name(transition->to)) ||
        !append_member(text, ",\"reason\":", transition->reason))
        return false;
    bool owned = false;
    char *evidence = transition->evidence || transition->evidence_text
                         ? evidence_text(transition, &owned)
                         : NULL;
    if (evidence) { /* none: no key, as the tree has none */
        text_append(text, ",\"evidence\":", 12);
        text_append(text, evidence, strlen(evidence));
    }
    if (owned)
        free(evidence);
    if (transition->early)
        text_append(text, ",\"early\":true", 13);
    text_append(text, "}", 1);
    return true;
}

/* The alarms' list as compact text, as alarms_json's tree dumps it once indented (most of
 * the report's members are the transitions': the tree and its dump cost more than the
 * evidence). False when a string is one jansson refuses: then the tree, which leaves it out. */
static bool write_alarms(struct report_text *text, const struct scan_alarm_replay *alarms)
{
    text_append(text, "[", 1);
    for (size_t i = 0; i < alarms->count; i++) {
        const struct scan_alarm_result *result = &alarms->results[i];
        const struct alarm_definition *alarm = result->alarm;
        if (i)
            text_append(text, ",", 1);
        bool written = append_member(text, "{\"name\":", alarm->alarm_name);
        if (written && alarm->cis_id)
            written = append_member(text, ",\"cis\":", alarm->cis_id);
        else if (written)
            text_append(text, ",\"cis\":null", 11);
        if (!written || !append_member(text, ",\"metric\":", alarm->metric.metric_name) ||
            !append_member(text, ",\"namespace\":", alarm->metric.namespace_name) ||
            !append_member(text, ",\"final_state\":", alarm_state_name(result->final_state)))
            return false;
        char total[48];
        int length = snprintf(total, sizeof total, ",\"transitions_total\":%" PRIu64,
                              result->transitions_total);
        text_append(text, total, (size_t)length);
        text_append(text, ",\"transitions\":[", 16);
        for (size_t t = 0; t < result->transition_count; t++) {
            if (t)
                text_append(text, ",", 1);
            if (!write_transition(text, &result->transitions[t]))
                return false;
        }
        text_append(text, "]}", 2);
    }
    text_append(text, "]", 2); /* and the terminating NUL */
    return !text->failed;
}

static bool print_json(FILE *out, const struct scan_report *report)
{
    struct report_text alarms = {0};
    bool by_hand = report->alarms && write_alarms(&alarms, report->alarms);
    struct evidence_texts texts = {0};
    json_t *root = report_json(report, &texts, by_hand ? alarms.bytes : NULL);
    /* into memory, then one write: json_dumpf writes token by token */
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    struct report_text spliced = {0};
    if (text && !texts.failed && count_placeholders(text) == texts.count) {
        splice(&spliced, text, &texts);
        if (!spliced.failed) {
            bool written =
                fwrite(spliced.bytes, 1, spliced.length, out) == spliced.length && !ferror(out);
            free(spliced.bytes);
            free(text);
            evidence_texts_free(&texts);
            free(alarms.bytes);
            return written;
        }
    }
    free(spliced.bytes);
    free(text);
    evidence_texts_free(&texts);
    free(alarms.bytes);
    root = report_json(report, NULL, NULL);
    text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    bool written = text && fputs(text, out) != EOF && fputc('\n', out) != EOF;
    free(text);
    return written;
}

static void print_size(FILE *out, uint64_t bytes)
{
    if (bytes >= 1000000000)
        fprintf(out, "%.2f GB", (double)bytes / 1e9);
    else if (bytes >= 1000000)
        fprintf(out, "%.1f MB", (double)bytes / 1e6);
    else
        fprintf(out, "%.1f KB", (double)bytes / 1e3);
}

/* With suppressions, a SUPPRESSED column: matches a rule named, still in MATCHES (the
 * filter's own metric) and left out of its tuned metric. */
static void print_filter_table(FILE *out, const struct scan_report *report)
{
    fprintf(out, "%-40s %-5s %10s%s\n", "FILTER", "CIS", "MATCHES",
            report->suppressions ? "  SUPPRESSED" : "");
    for (size_t i = 0; i < filter_scan_filter_count(report->scan); i++) {
        const struct metric_filter_definition *definition = &report->filters->items[i];
        fprintf(out, "%-40s %-5s %10llu", definition->filter_name,
                definition->cis_id ? definition->cis_id : "-",
                (unsigned long long)filter_scan_matches(report->scan, i));
        if (filter_scan_is_tuned(report->scan, i))
            fprintf(out, "  %10llu", (unsigned long long)filter_scan_suppressed(report->scan, i));
        else if (report->suppressions)
            fprintf(out, "  %10s", "-");
        fputc('\n', out);
    }
}

static void print_filter_evidence(FILE *out, const struct scan_report *report, size_t filter)
{
    const struct metric_filter_definition *definition = &report->filters->items[filter];
    uint64_t matches = filter_scan_matches(report->scan, filter);
    fprintf(out, "\n%s", definition->filter_name);
    if (definition->cis_id)
        fprintf(out, " (CIS %s)", definition->cis_id);
    fprintf(out, ": %llu match%s", (unsigned long long)matches, matches == 1 ? "" : "es");
    if (filter_scan_is_tuned(report->scan, filter))
        fprintf(out, ", %llu suppressed",
                (unsigned long long)filter_scan_suppressed(report->scan, filter));
    fputc('\n', out);
    struct top_value top[TEXT_TOP_SHOWN];
    for (int field = 0; field < EVIDENCE_FIELD_COUNT; field++) {
        size_t count = filter_scan_top(report->scan, filter, field, top, TEXT_TOP_SHOWN);
        for (size_t i = 0; i < count; i++)
            fprintf(out, "  %-12s %8llu  %.*s\n", i ? "" : evidence_field_name(field),
                    (unsigned long long)top[i].count, (int)top[i].length, top[i].value);
    }
}

static void print_malformed(FILE *out, const struct scan_report *report)
{
    size_t shown = report->malformed_listed < TEXT_MALFORMED_SHOWN ? report->malformed_listed
                                                                   : TEXT_MALFORMED_SHOWN;
    if (shown)
        fputs("\nmalformed input:\n", out);
    for (size_t i = 0; i < shown; i++) {
        const struct scan_malformed *item = &report->malformed[i];
        if (item->line)
            fprintf(out, "  %s:%llu: %s\n", item->file, (unsigned long long)item->line,
                    item->reason);
        else
            fprintf(out, "  %s: byte %llu: %s\n", item->file, (unsigned long long)item->offset,
                    item->reason);
    }
    if (report->totals.malformed > shown)
        fprintf(out, "  ... and %llu more (--format json lists up to %d)\n",
                (unsigned long long)(report->totals.malformed - shown), SCAN_REPORT_MAX_MALFORMED);
}

/* Values of the evidence line: their first few, control characters shown as '?' (they come
 * from the logs and must not drive the terminal). */
#define EVIDENCE_LINE_VALUES 3

static void print_clean(FILE *out, const char *value)
{
    for (const unsigned char *byte = (const unsigned char *)value; *byte; byte++)
        fputc(*byte < 0x20 || *byte == 0x7f ? '?' : *byte, out);
}

static void print_values(FILE *out, const char *lead, const struct metric_evidence *evidence,
                         enum metric_evidence_field field)
{
    size_t count = evidence->top_count[field];
    if (count == 0)
        return;
    fputs(lead, out);
    for (size_t i = 0; i < count && i < EVIDENCE_LINE_VALUES; i++) {
        fputs(i ? ", " : "", out);
        print_clean(out, evidence->top[field][i].value);
        fprintf(out, " (%llu)", (unsigned long long)evidence->top[field][i].count);
    }
    if (count > EVIDENCE_LINE_VALUES)
        fputs(", ...", out);
}

/* One line under a transition into ALARM: "2 events by P (1), P (1); from IP (2): Name (2);
 * errors: Code (2); denied: kind (1)". */
static void print_evidence_line(FILE *out, const struct metric_evidence *evidence)
{
    fprintf(out, "      %llu event%s", (unsigned long long)evidence->events,
            evidence->events == 1 ? "" : "s");
    if (evidence->suppressed)
        fprintf(out, " (%llu suppressed)", (unsigned long long)evidence->suppressed);
    print_values(out, " by ", evidence, METRIC_EVIDENCE_PRINCIPAL);
    print_values(out, "; from ", evidence, METRIC_EVIDENCE_SOURCE_IP);
    print_values(out, ": ", evidence, METRIC_EVIDENCE_EVENT_NAME);
    print_values(out, "; errors: ", evidence, METRIC_EVIDENCE_ERROR_CODE);
    print_values(out, "; denied: ", evidence, METRIC_EVIDENCE_DENIAL);
    fputc('\n', out);
}

static void print_alarm_timeline(FILE *out, const struct scan_alarm_result *result)
{
    const struct alarm_definition *alarm = result->alarm;
    fprintf(out, "\n%s", alarm->alarm_name);
    if (alarm->cis_id)
        fprintf(out, " (CIS %s)", alarm->cis_id);
    fprintf(out, ": %" PRIu64 " transition%s, now %s\n", result->transitions_total,
            result->transitions_total == 1 ? "" : "s", alarm_state_name(result->final_state));
    if (result->transitions_total > result->transition_count)
        fprintf(out, "  (the latest %zu listed)\n", result->transition_count);
    for (size_t i = 0; i < result->transition_count; i++) {
        const struct scan_alarm_transition *transition = &result->transitions[i];
        char time[40];
        format_time(transition->time_ms, time, sizeof time);
        fprintf(out, "  %s  %s -> %s%s\n      %s\n", time, alarm_state_name(transition->from),
                alarm_state_name(transition->to), transition->early ? " (early)" : "",
                transition->reason);
        if (transition->evidence)
            print_evidence_line(out, transition->evidence);
    }
}

/* "When would my alarms have fired": alarms that changed state, with their timelines; the
 * quiet ones on one line. */
static void print_alarms(FILE *out, const struct scan_report *report)
{
    const struct scan_alarm_replay *replay = report->alarms;
    if (!replay)
        return;
    char from[40], until[40];
    format_time(replay->from_ms, from, sizeof from);
    format_time(replay->until_ms, until, sizeof until);
    if (replay->has_data)
        fprintf(out, "\nalarms, replayed on event time from %s to %s:\n", from, until);
    else
        fputs("\nalarms: no data points, nothing to replay\n", out);
    size_t quiet = 0;
    for (size_t i = 0; i < replay->count; i++) {
        if (replay->results[i].transition_count)
            print_alarm_timeline(out, &replay->results[i]);
        else
            quiet++;
    }
    if (quiet)
        fprintf(out, "\n%zu alarm%s never changed state\n", quiet, quiet == 1 ? "" : "s");
    const struct scan_notifications *sent = &replay->notifications;
    if (sent->enabled) {
        fprintf(out, "\nnotifications: %zu queued, %zu delivered, %zu failed, %zu pending\n",
                sent->queued, sent->delivered, sent->failed, sent->pending);
        if (sent->first_failure[0])
            fprintf(out, "  first failure: %s\n", sent->first_failure);
    }
}

static bool print_text(FILE *out, const struct scan_report *report)
{
    const struct scan_totals *totals = &report->totals;
    print_filter_table(out, report);
    for (size_t i = 0; i < filter_scan_filter_count(report->scan); i++)
        if (filter_scan_matches(report->scan, i) > 0)
            print_filter_evidence(out, report, i);
    print_alarms(out, report);
    print_malformed(out, report);
    fprintf(out, "\n%llu file%s, %llu events, ", (unsigned long long)totals->files,
            totals->files == 1 ? "" : "s", (unsigned long long)totals->events);
    print_size(out, totals->bytes_decoded);
    fprintf(out, ", %llu malformed, %.2f s (%.0f MB/s)\n", (unsigned long long)totals->malformed,
            totals->seconds, megabytes_per_second(totals));
    if (totals->files_already_counted)
        fprintf(out, "%llu file%s skipped: already counted in the --db store\n",
                (unsigned long long)totals->files_already_counted,
                totals->files_already_counted == 1 ? "" : "s");
    return !ferror(out);
}

bool scan_report_print(FILE *out, enum scan_format format, const struct scan_report *report)
{
    bool printed = format == SCAN_FORMAT_JSON ? print_json(out, report) : print_text(out, report);
    return printed && fflush(out) == 0;
}
