/* Internal to the notify stage's message writers (notify_message.c, notify_email.c,
 * notify_slack.c, notify_pagerduty.c, notify_envelope.c): a growable text buffer with
 * Jackson's JSON escaping, UTF-8 counting and cutting, the time formats of the messages,
 * and the pieces of the alarm message that several renderings share. */
#ifndef TRAILHOUND_NOTIFY_NOTIFY_MESSAGE_INTERNAL_H
#define TRAILHOUND_NOTIFY_NOTIFY_MESSAGE_INTERNAL_H

#include "notify/notify.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alarms/alarm_text.h"

/* "…", which ends every text we cut. */
#define NOTIFY_ELLIPSIS "\xE2\x80\xA6"
/* Keeps the first `keep` bytes and appends "…" (nothing when `keep` is not shorter). */
void notify_text_cut(struct alarm_text *text, size_t keep);
/* Holds the text to `limit` characters (code points, limit >= 1): a longer one is cut to
 * limit - 1 at a character boundary and ends with "…". */
void notify_text_limit(struct alarm_text *text, size_t limit);

/* ---- UTF-8 ---- */

/* Characters in `length` bytes of UTF-8: code points, or UTF-16 code units (Java's
 * String.length(), where a code point above U+FFFF counts two). Bytes that are not a
 * lead byte of a sequence count as one character each. */
size_t notify_utf8_characters(const char *bytes, size_t length);
size_t notify_utf16_units(const char *bytes, size_t length);
/* The longest prefix of `string` with at most `max` code points (or UTF-16 units), in
 * bytes, never cutting a sequence. */
size_t notify_utf8_prefix(const char *string, size_t max);
size_t notify_utf16_prefix(const char *string, size_t max);

/* ---- times (all UTC; instants outside years 1–9999 are clamped to that range) ---- */

/* "2026-11-26T10:10:51.402Z" (SNS envelope Timestamp, §4.3). */
void notify_format_sns_time(int64_t milliseconds, char out[32]);
/* "2026-11-26T10:10:51.290+00:00" (PagerDuty payload.timestamp, §7). */
void notify_format_offset_time(int64_t milliseconds, char out[32]);
/* "2026-11-26T10:10:51Z" (CloudTrail's eventTime form: evidence, Slack). */
void notify_format_second_time(int64_t milliseconds, char out[32]);
/* "Thursday 26 November, 2026 10:10:51 UTC" (the e-mail's EEEE dd MMMM, yyyy HH:mm:ss). */
void notify_format_mail_time(int64_t milliseconds, char out[64]);

/* ---- the alarm message's shared pieces ---- */

/* "SUM", "AVERAGE", "SAMPLE_COUNT": CloudWatch's statistic name in upper snake case. */
void notify_upper_statistic(const char *statistic, char *out, size_t size);
/* M of "M out of N": DatapointsToAlarm, else EvaluationPeriods. */
int notify_datapoints_to_alarm(const struct alarm_definition *alarm);
/* The statistic the alarm reads: Statistic, else ExtendedStatistic. */
const char *notify_alarm_statistic(const struct alarm_definition *alarm);
/* §2.1's subject before any cut: `ALARM: "name" in US East (N. Virginia)`. */
char *notify_full_subject(const struct notify_alarm_change *change);
/* The JSON key of each evidence list inside "Trailhound" ("principals", "sourceIPs", …),
 * and the words the e-mail and Slack use for it ("principal", "source IP", …). */
const char *notify_evidence_key(enum metric_evidence_field field);
const char *notify_evidence_label(enum metric_evidence_field field);
/* Appends one evidence sample as compact JSON: the object's text with the whitespace
 * between tokens removed when it is one valid JSON object, else as a JSON string. */
void notify_append_sample_json(struct alarm_text *text, const char *sample);
/* The sample as one line: what notify_append_sample_json writes. malloc'ed. */
char *notify_sample_line(const char *sample);

/* ---- signatures (notify_signing.c) ---- */

/* RSA PKCS#1 v1.5 over SHA-1 (`version` 1) or SHA-256 (2) of `data` with a PEM private
 * key, as Base64 text. malloc'ed; NULL with `error`. */
char *notify_sign_base64(const char *private_key_pem, int version, const char *data, size_t length,
                         struct notify_error *error);
/* Checks a Base64 signature made that way against the public key of a PEM certificate. */
bool notify_verify_base64(const char *certificate_pem, int version, const char *data, size_t length,
                          const char *signature_base64, size_t signature_length,
                          struct notify_error *error);

#endif
