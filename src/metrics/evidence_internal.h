/* evidence (internal): what metric_evidence.c, its JSON form and the scan's per-bucket
 * tallies share — the orders evidence is kept in, value cutting, and the tally a scan keeps
 * per bucket while it runs. Internal to the metrics stage. */
#ifndef TRAILHOUND_METRICS_EVIDENCE_INTERNAL_H
#define TRAILHOUND_METRICS_EVIDENCE_INTERNAL_H

#include "metrics/metrics.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The eventTime of a sample (a JSON object), INT64_MAX when it has none readable. */
int64_t evidence_sample_time(const char *sample);

/* Puts every top list (count descending, then value bytes) and the samples (eventTime, then
 * text bytes) in their order. */
void evidence_sort(struct metric_evidence *evidence);

/* How many of `length` bytes a value keeps: up to its first NUL byte, and at most `limit`
 * bytes without splitting a UTF-8 sequence. */
size_t evidence_cut(const char *value, size_t length, size_t limit);
/* The same, keeping at most `characters` UTF-8 characters. */
size_t evidence_cut_characters(const char *value, size_t length, size_t characters);

/* ---- trimmed sample events ---- */

/* The fields a sample keeps, in the order it writes them. */
enum evidence_sample_field {
    SAMPLE_EVENT_TIME,
    SAMPLE_EVENT_NAME,
    SAMPLE_EVENT_SOURCE,
    SAMPLE_ERROR_CODE,
    SAMPLE_ERROR_MESSAGE,
    SAMPLE_SOURCE_IP,
    SAMPLE_IDENTITY_TYPE, /* userIdentity.type */
    SAMPLE_IDENTITY_ARN,  /* userIdentity.arn */
    SAMPLE_REGION,
    SAMPLE_ACCOUNT, /* recipientAccountId */
    SAMPLE_FIELD_COUNT,
};

/* Their selectors, "$.eventTime" … "$.recipientAccountId". */
extern const char *const evidence_sample_references[SAMPLE_FIELD_COUNT];

/* One event's values of those fields (NULL: missing), decoded UTF-8. */
struct evidence_sample {
    const char *values[SAMPLE_FIELD_COUNT];
    size_t lengths[SAMPLE_FIELD_COUNT];
};

/* A text buffer reused from sample to sample. */
struct evidence_text {
    char *text; /* NUL-terminated after a successful write */
    size_t length, capacity;
};

void evidence_text_free(struct evidence_text *text);
bool evidence_text_append(struct evidence_text *out, const char *bytes, size_t length);
/* `value` as a JSON string, escaped as jansson's compact dump escapes (the two-character
 * escapes it knows, \u00XX in upper case for other control characters, the rest as it is).
 * False on out of memory or when `value` is not well-formed UTF-8. */
bool evidence_text_append_string(struct evidence_text *out, const char *value, size_t length);

/* Writes the sample as compact JSON, {"eventTime":"…","eventName":"…",…,"userIdentity":
 * {"type":"…","arn":"…"},…}, missing fields left out, the errorMessage cut to
 * METRIC_EVIDENCE_MESSAGE_CHARACTERS characters and every value as evidence_cut does;
 * escaped as jansson's compact dump escapes, so the text survives a trip through
 * metric_evidence_from_json unchanged. False on out of memory. */
bool evidence_sample_write(const struct evidence_sample *sample, struct evidence_text *out);

/* ---- the tally of one bucket while a scan runs ---- */

/* A tally list holds at most this many distinct values (Space-Saving beyond), twice what is
 * reported, so the reported counts stay exact in all but crowded buckets. */
#define EVIDENCE_TALLY_CAPACITY (2 * METRIC_EVIDENCE_TOP)

struct evidence_tally;

/* What one match contributes: its eventTime, and each field's value (NULL: missing). */
struct evidence_match {
    int64_t time_ms;
    bool suppressed; /* a suppression rule matched it (counted in metric_evidence.suppressed) */
    const char *values[METRIC_EVIDENCE_FIELD_COUNT];
    size_t lengths[METRIC_EVIDENCE_FIELD_COUNT];
};

struct evidence_tally *evidence_tally_create(void);
void evidence_tally_free(struct evidence_tally *tally);

/* Counts a match. Allocates only for a value the tally has not seen. False on out of memory
 * (the match is counted in part). */
bool evidence_tally_add(struct evidence_tally *tally, const struct evidence_match *match);
/* Whether a sample at `time_ms` could be kept: fewer than METRIC_EVIDENCE_SAMPLES are, or it
 * is not later than the latest kept. */
bool evidence_tally_wants_sample(const struct evidence_tally *tally, int64_t time_ms);
/* Keeps the sample (copied) when it is among the earliest by (time, text). */
bool evidence_tally_add_sample(struct evidence_tally *tally, int64_t time_ms, const char *text,
                               size_t length);
/* Adds `from` into `into`. False on out of memory. */
bool evidence_tally_merge(struct evidence_tally *into, const struct evidence_tally *from);
/* The tally as reported evidence (the METRIC_EVIDENCE_TOP heaviest of each list), into an
 * initialised `out`; the tally's lists are sorted on the way. False on out of memory (`out`
 * is then freed and initialised). */
bool evidence_tally_export(struct evidence_tally *tally, struct metric_evidence *out);
/* The same, without touching the tally (it sorts copies of its lists). */
bool evidence_tally_export_copy(const struct evidence_tally *tally, struct metric_evidence *out);
uint64_t evidence_tally_events(const struct evidence_tally *tally);
/* The bytes the tally holds allocated (0 for NULL), kept as it grows: a scan bounds its
 * memory by it. */
size_t evidence_tally_bytes(const struct evidence_tally *tally);

#endif
