/* What the notify stage adds to the alarms stage's text buffer (alarms/alarm_text.h):
 * UTF-8 counting and cutting for the length limits of SNS subjects (Java characters),
 * PagerDuty and Slack (characters). */
#include "notify/notify_message_internal.h"

#include <string.h>

void notify_text_cut(struct alarm_text *text, size_t keep)
{
    if (text->failed || keep >= text->length)
        return;
    text->length = keep;
    alarm_text_append_string(text, NOTIFY_ELLIPSIS);
}

void notify_text_limit(struct alarm_text *text, size_t limit)
{
    if (text->failed || !text->data || limit == 0)
        return;
    if (notify_utf8_characters(text->data, text->length) > limit)
        notify_text_cut(text, notify_utf8_prefix(text->data, limit - 1));
}

/* ---- UTF-8 ---- */

static bool is_continuation(unsigned char byte)
{
    return (byte & 0xC0) == 0x80;
}

/* Bytes of the sequence starting at `at` (continuations that follow a lead byte, capped
 * by its declared length), and the UTF-16 units it stands for. */
static size_t sequence_length(const unsigned char *at, size_t available, size_t *units)
{
    size_t declared = at[0] >= 0xF0 ? 4 : at[0] >= 0xE0 ? 3 : at[0] >= 0xC0 ? 2 : 1;
    size_t length = 1;
    while (length < declared && length < available && is_continuation(at[length]))
        length++;
    *units = declared == 4 && length == 4 ? 2 : 1;
    return length;
}

static size_t count_characters(const char *bytes, size_t length, bool utf16)
{
    const unsigned char *at = (const unsigned char *)bytes;
    size_t count = 0;
    for (size_t offset = 0; offset < length;) {
        size_t units;
        offset += sequence_length(at + offset, length - offset, &units);
        count += utf16 ? units : 1;
    }
    return count;
}

size_t notify_utf8_characters(const char *bytes, size_t length)
{
    return count_characters(bytes, length, false);
}

size_t notify_utf16_units(const char *bytes, size_t length)
{
    return count_characters(bytes, length, true);
}

static size_t character_prefix(const char *string, size_t max, bool utf16)
{
    const unsigned char *at = (const unsigned char *)string;
    size_t length = strlen(string), offset = 0, count = 0;
    while (offset < length) {
        size_t units;
        size_t bytes = sequence_length(at + offset, length - offset, &units);
        size_t weight = utf16 ? units : 1;
        if (count + weight > max)
            break;
        count += weight;
        offset += bytes;
    }
    return offset;
}

size_t notify_utf8_prefix(const char *string, size_t max)
{
    return character_prefix(string, max, false);
}

size_t notify_utf16_prefix(const char *string, size_t max)
{
    return character_prefix(string, max, true);
}
