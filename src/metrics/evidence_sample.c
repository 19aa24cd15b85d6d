/* Trimmed sample events, written by hand from the values the scan already extracted (no
 * second parse of the event) into a buffer reused across events. */
#include "events/event.h"
#include "metrics/evidence_internal.h"

#include <stdlib.h>
#include <string.h>

const char *const evidence_sample_references[SAMPLE_FIELD_COUNT] = {
    "$.eventTime",    "$.eventName",          "$.eventSource",       "$.errorCode",
    "$.errorMessage", "$.sourceIPAddress",    "$.userIdentity.type", "$.userIdentity.arn",
    "$.awsRegion",    "$.recipientAccountId",
};

static const char *const sample_keys[SAMPLE_FIELD_COUNT] = {
    "eventTime",       "eventName", "eventSource", "errorCode", "errorMessage",
    "sourceIPAddress", "type",      "arn",         "awsRegion", "recipientAccountId",
};

void evidence_text_free(struct evidence_text *text)
{
    free(text->text);
    *text = (struct evidence_text){0};
}

static bool reserve(struct evidence_text *out, size_t more)
{
    if (out->capacity - out->length > more)
        return true;
    size_t capacity = out->capacity ? out->capacity : 256;
    while (capacity - out->length <= more)
        capacity *= 2;
    char *grown = realloc(out->text, capacity);
    if (!grown)
        return false;
    out->text = grown;
    out->capacity = capacity;
    return true;
}

bool evidence_text_append(struct evidence_text *out, const char *bytes, size_t length)
{
    if (!reserve(out, length))
        return false;
    memcpy(out->text + out->length, bytes, length);
    out->length += length;
    out->text[out->length] = '\0';
    return true;
}

/* jansson's escapes: the two-character forms it knows, \u00XX (upper case) for the other
 * control characters, everything else (DEL, '/', non-ASCII) as it is. */
static bool append_escaped(struct evidence_text *out, unsigned char byte)
{
    static const char hex[] = "0123456789ABCDEF";
    const char *shorthand = NULL;
    switch (byte) {
    case '"':
        shorthand = "\\\"";
        break;
    case '\\':
        shorthand = "\\\\";
        break;
    case '\b':
        shorthand = "\\b";
        break;
    case '\f':
        shorthand = "\\f";
        break;
    case '\n':
        shorthand = "\\n";
        break;
    case '\r':
        shorthand = "\\r";
        break;
    case '\t':
        shorthand = "\\t";
        break;
    default:
        break;
    }
    if (shorthand)
        return evidence_text_append(out, shorthand, 2);
    if (byte >= 0x20)
        return evidence_text_append(out, (const char *)&byte, 1);
    char escape[6] = {'\\', 'u', '0', '0', hex[byte >> 4], hex[byte & 15]};
    return evidence_text_append(out, escape, sizeof escape);
}

/* The length of the well-formed UTF-8 sequence at value[at], 0 when there is none. */
static size_t utf8_sequence(const char *value, size_t length, size_t at)
{
    struct utf8_lead lead = utf8_lead_for((unsigned char)value[at]);
    if (lead.length == 0 || at + lead.length > length)
        return 0;
    unsigned char second = (unsigned char)value[at + 1];
    if (second < lead.second_low || second > lead.second_high)
        return 0;
    for (size_t i = 2; i < lead.length; i++)
        if (((unsigned char)value[at + i] & 0xC0) != 0x80)
            return 0;
    return lead.length;
}

/* Runs of bytes that need no escape are copied whole. */
bool evidence_text_append_string(struct evidence_text *out, const char *value, size_t length)
{
    bool written = evidence_text_append(out, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; written && i < length; i++) {
        unsigned char byte = (unsigned char)value[i];
        if (byte >= 0x80) {
            size_t sequence = utf8_sequence(value, length, i);
            if (sequence == 0)
                return false;
            i += sequence - 1;
            continue;
        }
        if (byte >= 0x20 && byte != '"' && byte != '\\')
            continue;
        written = evidence_text_append(out, value + run, i - run) && append_escaped(out, byte);
        run = i + 1;
    }
    return written && evidence_text_append(out, value + run, length - run) &&
           evidence_text_append(out, "\"", 1);
}

static bool append_member(struct evidence_text *out, const struct evidence_sample *sample,
                          enum evidence_sample_field field, bool *first)
{
    const char *value = sample->values[field];
    if (!value)
        return true;
    size_t length = field == SAMPLE_ERROR_MESSAGE
                        ? evidence_cut_characters(value, sample->lengths[field],
                                                  METRIC_EVIDENCE_MESSAGE_CHARACTERS)
                        : evidence_cut(value, sample->lengths[field], METRIC_EVIDENCE_VALUE_MAX);
    const char *key = sample_keys[field];
    bool written = (*first || evidence_text_append(out, ",", 1)) &&
                   evidence_text_append_string(out, key, strlen(key)) &&
                   evidence_text_append(out, ":", 1) &&
                   evidence_text_append_string(out, value, length);
    *first = false;
    return written;
}

/* "userIdentity":{"type":…,"arn":…}, when either is present. */
static bool append_identity(struct evidence_text *out, const struct evidence_sample *sample,
                            bool *first)
{
    if (!sample->values[SAMPLE_IDENTITY_TYPE] && !sample->values[SAMPLE_IDENTITY_ARN])
        return true;
    bool inner_first = true;
    bool written = (*first || evidence_text_append(out, ",", 1)) &&
                   evidence_text_append(out, "\"userIdentity\":{", 16) &&
                   append_member(out, sample, SAMPLE_IDENTITY_TYPE, &inner_first) &&
                   append_member(out, sample, SAMPLE_IDENTITY_ARN, &inner_first) &&
                   evidence_text_append(out, "}", 1);
    *first = false;
    return written;
}

bool evidence_sample_write(const struct evidence_sample *sample, struct evidence_text *out)
{
    out->length = 0;
    bool first = true;
    bool written = evidence_text_append(out, "{", 1);
    for (int field = 0; written && field < SAMPLE_FIELD_COUNT; field++) {
        if (field == SAMPLE_IDENTITY_TYPE)
            written = append_identity(out, sample, &first);
        else if (field != SAMPLE_IDENTITY_ARN)
            written = append_member(out, sample, field, &first);
    }
    return written && evidence_text_append(out, "}", 1);
}
