/* prefilter: the scan's cheap pre-test. Each filter contributes what the raw bytes of any
 * event it can match must contain (pattern_required_literals: clauses of literals); the
 * pre-test answers "may this event match any filter?" from the raw bytes, without
 * decoding. Events with a \u escape that could spell part of a literal without writing it
 * (one that decodes to a character some literal holds) always may. Internal to the metrics
 * stage; one per thread (it keeps scratch). */
#ifndef TRAILHOUND_METRICS_PREFILTER_H
#define TRAILHOUND_METRICS_PREFILTER_H

#include "patterns/pattern.h"

#include <stdbool.h>
#include <stddef.h>

struct prefilter;

struct prefilter *prefilter_create(void);
void prefilter_free(struct prefilter *prefilter);

/* Adds one filter's clauses (copied). False when memory runs out. */
bool prefilter_add_filter(struct prefilter *prefilter, const struct pattern_literal_clause *clauses,
                          size_t count);

bool prefilter_may_match(struct prefilter *prefilter, const char *message, size_t length);

/* How literals are found: the bucket method with AVX-512 VBMI or with AVX2, or the portable
 * quote method. prefilter_create picks the first of these the CPU supports. All only set
 * aside events that cannot match (the bucket method finds literals anywhere, so it may let
 * a few more through); tests and fuzz targets run each. */
enum prefilter_method { PREFILTER_QUOTES, PREFILTER_AVX2, PREFILTER_AVX512 };

/* False (and no change) when the CPU cannot run `method`. */
bool prefilter_set_method(struct prefilter *prefilter, enum prefilter_method method);

#endif
