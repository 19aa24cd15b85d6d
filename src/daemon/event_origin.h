/* event_origin: the account and region a CloudTrail event came from (recipientAccountId,
 * else userIdentity.accountId; awsRegion), read for every ingested event so the daemon can
 * watch each account's and region's silence.
 *
 * Most events are never decoded (the filters' pre-test sets them aside), so decoding each
 * one for this would double the daemon's work. The raw bytes are read first: when the
 * message holds no \u escape and `"recipientAccountId"` and `"awsRegion"` each occur exactly
 * once, followed by `:"` and a value without escapes, those values are taken (a name inside
 * a string value is escaped, so it cannot be mistaken for a key). Anything else — a name
 * missing, repeated (nested objects may hold one; a value may be one), spaced or escaped —
 * is decoded with the project's extractor and selectors, which is exact. One raw read can
 * differ from the decoding: an event whose only such key is nested (not CloudTrail's shape,
 * which has both at the top). A message the raw read answers is not validated (as the
 * filters' pre-test does not validate what it sets aside). */
#ifndef TRAILHOUND_DAEMON_EVENT_ORIGIN_H
#define TRAILHOUND_DAEMON_EVENT_ORIGIN_H

#include <stdbool.h>
#include <stddef.h>

struct event_origin_reader; /* compiled selectors and an extractor; one per thread */

struct event_origin_reader *event_origin_reader_create(void); /* NULL: out of memory */
void event_origin_reader_free(struct event_origin_reader *reader);

/* Values point into the message or the reader's scratch, valid until the next read.
 * NULL: the event does not say. */
struct event_origin {
    const char *account, *region;
    size_t account_length, region_length;
};

/* False when the message had to be decoded and is not valid JSON (both then NULL). */
bool event_origin_read(struct event_origin_reader *reader, const char *message, size_t length,
                       struct event_origin *origin);

/* Only what the exact decoding reads (for tests and checks). */
bool event_origin_decode(struct event_origin_reader *reader, const char *message, size_t length,
                         struct event_origin *origin);

#endif
