/* JSON text primitives: UTF-8 lead bytes, hex digits, UTF-8 encoding, and unescaping a
 * validated string. */
#include "base/text.h"
#include "events/event.h"

#include <string.h>

struct utf8_lead utf8_lead_for(unsigned char byte)
{
    if (byte >= 0xc2 && byte <= 0xdf)
        return (struct utf8_lead){0x80, 0xbf, 2};
    if (byte == 0xe0)
        return (struct utf8_lead){0xa0, 0xbf, 3};
    if (byte == 0xed)
        return (struct utf8_lead){0x80, 0x9f, 3};
    if (byte >= 0xe1 && byte <= 0xef)
        return (struct utf8_lead){0x80, 0xbf, 3};
    if (byte == 0xf0)
        return (struct utf8_lead){0x90, 0xbf, 4};
    if (byte >= 0xf1 && byte <= 0xf3)
        return (struct utf8_lead){0x80, 0xbf, 4};
    if (byte == 0xf4)
        return (struct utf8_lead){0x80, 0x8f, 4};
    return (struct utf8_lead){0, 0, 0};
}

size_t json_utf8_encode(uint32_t code_point, unsigned char out[4])
{
    if (code_point < 0x80) {
        out[0] = (unsigned char)code_point;
        return 1;
    }
    if (code_point < 0x800) {
        out[0] = (unsigned char)(0xc0 | (code_point >> 6));
        out[1] = (unsigned char)(0x80 | (code_point & 0x3f));
        return 2;
    }
    if (code_point < 0x10000) {
        out[0] = (unsigned char)(0xe0 | (code_point >> 12));
        out[1] = (unsigned char)(0x80 | ((code_point >> 6) & 0x3f));
        out[2] = (unsigned char)(0x80 | (code_point & 0x3f));
        return 3;
    }
    out[0] = (unsigned char)(0xf0 | (code_point >> 18));
    out[1] = (unsigned char)(0x80 | ((code_point >> 12) & 0x3f));
    out[2] = (unsigned char)(0x80 | ((code_point >> 6) & 0x3f));
    out[3] = (unsigned char)(0x80 | (code_point & 0x3f));
    return 4;
}

static uint32_t escape_code_unit(const unsigned char *escape)
{
    uint32_t value = 0;
    for (size_t i = 2; i < 6; i++)
        value = value * 16 + (uint32_t)hex_digit_value(escape[i]);
    return value;
}

/* Decodes the escape at body[*position] (validated) into out; returns the bytes written. */
static size_t unescape_one(const unsigned char *body, size_t *position, unsigned char *out)
{
    static const char simple_escapes[] = "\"\\/bfnrt";
    static const char simple_values[] = "\"\\/\b\f\n\r\t";
    const unsigned char *escape = body + *position;
    const char *found = escape[1] != 'u' ? strchr(simple_escapes, escape[1]) : NULL;
    if (found) {
        *position += 2;
        out[0] = (unsigned char)simple_values[found - simple_escapes];
        return 1;
    }
    uint32_t code_point = escape_code_unit(escape);
    *position += 6;
    if (code_point >= 0xd800 && code_point <= 0xdbff) {
        code_point =
            0x10000 + ((code_point - 0xd800) << 10) + (escape_code_unit(escape + 6) - 0xdc00);
        *position += 6;
    }
    return json_utf8_encode(code_point, out);
}

size_t event_json_unescape(const unsigned char *body, size_t length, unsigned char *out)
{
    size_t written = 0, position = 0;
    while (position < length) {
        const unsigned char *backslash = memchr(body + position, '\\', length - position);
        size_t run_end = backslash ? (size_t)(backslash - body) : length;
        memmove(out + written, body + position, run_end - position);
        written += run_end - position;
        position = run_end;
        if (backslash)
            written += unescape_one(body, &position, out + written);
    }
    return written;
}
