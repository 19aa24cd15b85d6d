/* JSON text primitives shared by the files of the events stage (internal). */
#ifndef TRAILHOUND_EVENTS_JSON_TEXT_H
#define TRAILHOUND_EVENTS_JSON_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* The value of a hex digit, or -1. */
int json_hex_digit_value(unsigned char byte);

/* Writes the UTF-8 encoding of a code point (at most U+10FFFF) to out; returns its length. */
size_t json_utf8_encode(uint32_t code_point, unsigned char out[4]);

#endif
