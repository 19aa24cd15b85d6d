/* gzip content, member after member (multi-member files are concatenated members).
 *
 * A member whose whole compressed form is in memory and whose size is known (the ISIZE
 * trailer of the input's last member; a wrong guess for an earlier member shows as too
 * little space and is retried larger) is inflated in one piece by libdeflate, which is about
 * twice as fast as zlib, into a member buffer of at most max_whole_member_bytes. Every other
 * member streams through zlib straight into the caller's buffer. When libdeflate rejects a
 * member, zlib decodes it again so the bytes before the damage are delivered and the report
 * carries zlib's diagnosis. */
#include "sources/source_internal.h"

#include <libdeflate.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum gzip_state {
    GZIP_MEMBER_START,
    GZIP_SERVING_WHOLE, /* handing out a member libdeflate inflated */
    GZIP_STREAMING,     /* inside a member zlib is inflating */
    GZIP_DONE,
};

/* The smallest possible member: 10 header bytes, an empty deflate block, 8 trailer bytes. */
#define GZIP_MIN_MEMBER_BYTES 20
#define GZIP_FIRST_GUESS_BYTES (64 * 1024)
#define GZIP_FLAG_HEADER_CRC 0x02

struct gzip_decoder {
    enum gzip_state state;
    size_t max_whole_member_bytes;
    uint64_t member_start; /* input offset of the current member */
    z_stream stream;
    bool stream_ready;
    struct libdeflate_decompressor *whole;
    struct byte_buffer member;
    size_t member_length;
    size_t member_served;
    char failure[SOURCE_REASON_BYTES];
};

struct gzip_decoder *gzip_decoder_create(void)
{
    struct gzip_decoder *decoder = calloc(1, sizeof *decoder);
    return decoder;
}

void gzip_decoder_free(struct gzip_decoder *decoder)
{
    if (!decoder)
        return;
    if (decoder->stream_ready)
        inflateEnd(&decoder->stream);
    if (decoder->whole)
        libdeflate_free_decompressor(decoder->whole);
    byte_buffer_release(&decoder->member);
    free(decoder);
}

void gzip_decoder_start(struct gzip_decoder *decoder, size_t max_whole_member_bytes)
{
    decoder->state = GZIP_MEMBER_START;
    decoder->max_whole_member_bytes = max_whole_member_bytes;
    decoder->member_start = 0;
    decoder->member_length = 0;
    decoder->member_served = 0;
    decoder->failure[0] = '\0';
}

static void fail(struct gzip_decoder *decoder, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void fail(struct gzip_decoder *decoder, const char *format, ...)
{
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(decoder->failure, sizeof decoder->failure, format, arguments);
    va_end(arguments);
    decoder->state = GZIP_DONE;
}

static void fail_read(struct gzip_decoder *decoder, const struct source_input *input)
{
    char message[128];
    if (strerror_r(input->read_errno, message, sizeof message) != 0)
        snprintf(message, sizeof message, "error %d", input->read_errno);
    fail(decoder, "read error at byte %llu: %s", (unsigned long long)input->offset, message);
}

static uint32_t read_le32(const unsigned char *bytes)
{
    return (uint32_t)bytes[0] | (uint32_t)bytes[1] << 8 | (uint32_t)bytes[2] << 16 |
           (uint32_t)bytes[3] << 24;
}

/* Inflates the member at the input's position with libdeflate when its size is known and
 * small enough. False leaves the input untouched for zlib. */
static bool inflate_whole_member(struct gzip_decoder *decoder, struct source_input *input)
{
    size_t limit = decoder->max_whole_member_bytes;
    size_t available = input_available(input);
    if (limit == 0 || !input->at_eof || available < GZIP_MIN_MEMBER_BYTES)
        return false;
    const unsigned char *compressed = input->data + input->begin;
    if (compressed[3] & GZIP_FLAG_HEADER_CRC)
        return false; /* libdeflate skips the header CRC; zlib checks it */
    size_t capacity = read_le32(compressed + available - 4); /* exact for the last member */
    if (capacity > limit)
        return false;
    size_t first_guess = GZIP_FIRST_GUESS_BYTES < limit ? GZIP_FIRST_GUESS_BYTES : limit;
    if (capacity < first_guess)
        capacity = first_guess;
    if (!decoder->whole && !(decoder->whole = libdeflate_alloc_decompressor()))
        return false;
    for (;;) {
        if (!byte_buffer_reserve(&decoder->member, capacity))
            return false;
        size_t consumed = 0;
        size_t produced = 0;
        enum libdeflate_result result =
            libdeflate_gzip_decompress_ex(decoder->whole, compressed, available,
                                          decoder->member.bytes, capacity, &consumed, &produced);
        if (result == LIBDEFLATE_SUCCESS) {
            input_consume(input, consumed);
            decoder->member_length = produced;
            decoder->member_served = 0;
            return true;
        }
        if (result != LIBDEFLATE_INSUFFICIENT_SPACE || capacity >= limit)
            return false;
        capacity = capacity > limit / 2 ? limit : capacity * 2;
    }
}

static bool start_streaming(struct gzip_decoder *decoder)
{
    if (!decoder->stream_ready) {
        memset(&decoder->stream, 0, sizeof decoder->stream);
        if (inflateInit2(&decoder->stream, 16 + MAX_WBITS) != Z_OK) {
            fail(decoder, "out of memory");
            return false;
        }
        decoder->stream_ready = true;
    } else if (inflateReset(&decoder->stream) != Z_OK) {
        fail(decoder, "out of memory");
        return false;
    }
    decoder->state = GZIP_STREAMING;
    return true;
}

/* At a member boundary: finds out whether another member follows and how to inflate it. */
static void start_member(struct gzip_decoder *decoder, struct source_input *input)
{
    if (!input_require(input, 2)) {
        fail_read(decoder, input);
        return;
    }
    size_t available = input_available(input);
    if (available == 0) {
        decoder->state = GZIP_DONE;
        return;
    }
    const unsigned char *next = input->data + input->begin;
    unsigned long long offset = (unsigned long long)input->offset;
    if (available == 1 && next[0] == 0x1f) {
        fail(decoder, "gzip member at byte %llu is truncated", offset);
        return;
    }
    if (available == 1 || next[0] != 0x1f || next[1] != 0x8b) {
        fail(decoder, "unexpected data after the gzip member ending at byte %llu", offset);
        return;
    }
    decoder->member_start = input->offset;
    if (inflate_whole_member(decoder, input))
        decoder->state = GZIP_SERVING_WHOLE;
    else
        start_streaming(decoder);
}

static size_t serve_whole_member(struct gzip_decoder *decoder, unsigned char *out, size_t capacity)
{
    size_t left = decoder->member_length - decoder->member_served;
    size_t count = left < capacity ? left : capacity;
    memcpy(out, decoder->member.bytes + decoder->member_served, count);
    decoder->member_served += count;
    if (decoder->member_served == decoder->member_length)
        decoder->state = GZIP_MEMBER_START;
    return count;
}

/* One inflate call into out[0, capacity); returns the bytes produced. */
static size_t inflate_step(struct gzip_decoder *decoder, struct source_input *input,
                           unsigned char *out, size_t capacity)
{
    z_stream *stream = &decoder->stream;
    size_t available = input_available(input);
    uInt input_bytes = available > UINT_MAX ? UINT_MAX : (uInt)available;
    uInt output_bytes = capacity > UINT_MAX ? UINT_MAX : (uInt)capacity;
    stream->next_in = (Bytef *)(uintptr_t)(input->data + input->begin);
    stream->avail_in = input_bytes;
    stream->next_out = out;
    stream->avail_out = output_bytes;
    int result = inflate(stream, Z_NO_FLUSH);
    size_t consumed = input_bytes - stream->avail_in;
    input_consume(input, consumed);
    size_t produced = output_bytes - stream->avail_out;
    unsigned long long member = (unsigned long long)decoder->member_start;
    if (result == Z_BUF_ERROR && input_bytes > 0 && consumed == 0 && produced == 0)
        fail(decoder, "corrupt gzip data at byte %llu: inflate makes no progress", member);
    else if (result == Z_STREAM_END)
        decoder->state = GZIP_MEMBER_START;
    else if (result == Z_DATA_ERROR || result == Z_NEED_DICT)
        fail(decoder, "corrupt gzip data at byte %llu: %s", member,
             stream->msg ? stream->msg : "needs a preset dictionary");
    else if (result == Z_MEM_ERROR)
        fail(decoder, "out of memory");
    return produced;
}

/* Streams the current member. zlib may hold output back (a long match) after taking all the
 * input, so inflate runs before any wait for input, and a member is truncated only when
 * inflate has nothing more to give and the input has ended. Returns 0 without waiting when
 * the caller already has bytes to hand out. */
static size_t stream_member(struct gzip_decoder *decoder, struct source_input *input,
                            unsigned char *out, size_t capacity, size_t produced)
{
    size_t step = inflate_step(decoder, input, out, capacity);
    if (step > 0 || decoder->state != GZIP_STREAMING || input_available(input) > 0 || produced > 0)
        return step;
    if (!input_require(input, 1))
        fail_read(decoder, input);
    else if (input_available(input) == 0)
        fail(decoder, "gzip member at byte %llu is truncated",
             (unsigned long long)decoder->member_start);
    return 0;
}

size_t gzip_decode(struct gzip_decoder *decoder, struct source_input *input, unsigned char *out,
                   size_t capacity, char failure[SOURCE_REASON_BYTES])
{
    size_t produced = 0;
    failure[0] = '\0';
    while (produced < capacity && decoder->state != GZIP_DONE) {
        size_t step = 0;
        switch (decoder->state) {
        case GZIP_MEMBER_START:
            start_member(decoder, input);
            continue;
        case GZIP_SERVING_WHOLE:
            step = serve_whole_member(decoder, out + produced, capacity - produced);
            break;
        case GZIP_STREAMING:
            step = stream_member(decoder, input, out + produced, capacity - produced, produced);
            if (step == 0 && produced > 0 && decoder->state == GZIP_STREAMING &&
                input_available(input) == 0)
                return produced; /* more input could mean waiting for it */
            break;
        case GZIP_DONE:
            break;
        }
        produced += step;
    }
    if (produced == 0)
        snprintf(failure, SOURCE_REASON_BYTES, "%s", decoder->failure);
    return produced;
}
