/* gzip content, member after member (multi-member files are concatenated members).
 *
 * A member whose whole compressed form is in memory and whose size is known (the ISIZE
 * trailer of the input's last member; a wrong guess for an earlier member shows as too
 * little space and is retried larger) is inflated in one piece by libdeflate, which is about
 * twice as fast as zlib, into a member buffer of at most max_whole_member_bytes. Every other
 * member streams through ISA-L (igzip, close to libdeflate's speed; it checks the trailer's
 * CRC32 and ISIZE) straight into the caller's buffer. When libdeflate rejects a member, it
 * streams from its start, so the bytes before the damage are delivered.
 *
 * zlib stays the reference for what a damaged member yields. While the compressed bytes
 * ISA-L took from a member are all kept (the first GZIP_REPLAY_BYTES of it), ISA-L's output
 * is handed out in pieces of GZIP_STAGE_BYTES, each only once it is whole; when ISA-L
 * rejects the member or finds it truncated, the piece in progress is dropped and zlib
 * inflates the member again from its start, skips what was already delivered, hands out
 * whatever more it decodes and reports with its own diagnosis. Past that bound ISA-L's
 * verdict is reported in zlib's words where they match. Members with a header CRC or
 * reserved flag bits stream through zlib from the start, as zlib judges those headers. */
#include "sources/source_internal.h"

#include <isa-l/igzip_lib.h>
#include <libdeflate.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum gzip_state {
    GZIP_MEMBER_START,
    GZIP_SERVING_WHOLE, /* handing out a member libdeflate inflated, or ISA-L's staged output */
    GZIP_STREAMING,     /* inside a member ISA-L is inflating */
    GZIP_ZLIB,          /* inside a member zlib is inflating (again, when replaying) */
    GZIP_DONE,
};

/* The smallest possible member: 10 header bytes, an empty deflate block, 8 trailer bytes. */
#define GZIP_MIN_MEMBER_BYTES 20
#define GZIP_FIRST_GUESS_BYTES (64 * 1024)
#define GZIP_FLAG_HEADER_CRC 0x02
#define GZIP_FLAGS_RESERVED 0xe0
/* How much of a member's compressed form is kept for zlib to replay. */
#define GZIP_REPLAY_BYTES ((size_t)1 << 20)
/* While the member can be replayed, ISA-L inflates into the member buffer in pieces of this
 * size, handed out only once whole (or at the member's end): damage found inside a piece
 * discards all of it, so the bytes zlib would not have produced are never delivered, and
 * the pieces do not depend on the caller's buffer or on how the input arrives. */
#define GZIP_STAGE_BYTES ((size_t)1 << 20)

struct gzip_decoder {
    enum gzip_state state;
    size_t max_whole_member_bytes;
    uint64_t member_start; /* input offset of the current member */
    struct inflate_state *isal;
    uint64_t member_produced; /* bytes ISA-L delivered from the current member */
    struct byte_buffer kept;  /* the compressed bytes ISA-L took from the current member */
    size_t kept_length;
    bool kept_all;         /* false once they no longer fit in GZIP_REPLAY_BYTES */
    unsigned char tail[8]; /* the last 8 bytes ISA-L took: the trailer, at its end */
    z_stream stream;
    bool stream_ready;
    struct source_input replay; /* zlib reads the kept bytes again, then the input */
    uint64_t replay_skip;       /* bytes zlib decodes again that were already delivered */
    char isal_failure[SOURCE_REASON_BYTES]; /* the report if zlib accepts what ISA-L did not */
    struct libdeflate_decompressor *whole;
    struct byte_buffer member;
    size_t member_length;
    size_t member_served;
    enum gzip_state after_serving; /* where serving the member buffer leads */
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
    free(decoder->isal);
    byte_buffer_release(&decoder->member);
    byte_buffer_release(&decoder->kept);
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
    input_from_memory(&decoder->replay, NULL, 0);
    decoder->replay_skip = 0;
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

static bool start_zlib(struct gzip_decoder *decoder)
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
    decoder->state = GZIP_ZLIB;
    return true;
}

static void start_streaming(struct gzip_decoder *decoder, struct source_input *input)
{
    input_from_memory(&decoder->replay, NULL, 0);
    decoder->replay_skip = 0;
    /* A header CRC or reserved flags: zlib's rules decide (ISA-L's differ). */
    if (!input_require(input, 4)) {
        fail_read(decoder, input);
        return;
    }
    const unsigned char *header = input->data + input->begin;
    if (input_available(input) >= 4 &&
        (header[3] & (GZIP_FLAG_HEADER_CRC | GZIP_FLAGS_RESERVED)) != 0) {
        start_zlib(decoder);
        return;
    }
    if (!decoder->isal && !(decoder->isal = malloc(sizeof *decoder->isal))) {
        fail(decoder, "out of memory");
        return;
    }
    isal_inflate_init(decoder->isal);
    decoder->isal->crc_flag = ISAL_GZIP;
    decoder->member_produced = 0;
    decoder->kept_length = 0;
    decoder->kept_all = true;
    memset(decoder->tail, 0, sizeof decoder->tail);
    decoder->state = GZIP_STREAMING;
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
    if (inflate_whole_member(decoder, input)) {
        decoder->state = GZIP_SERVING_WHOLE;
        decoder->after_serving = GZIP_MEMBER_START;
    } else
        start_streaming(decoder, input);
}

static size_t serve_whole_member(struct gzip_decoder *decoder, unsigned char *out, size_t capacity)
{
    size_t left = decoder->member_length - decoder->member_served;
    size_t count = left < capacity ? left : capacity;
    memcpy(out, decoder->member.bytes + decoder->member_served, count);
    decoder->member_served += count;
    if (decoder->member_served == decoder->member_length)
        decoder->state = decoder->after_serving;
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

/* Keeps the member's compressed bytes ISA-L took, while they fit, for zlib to replay. */
static void keep(struct gzip_decoder *decoder, const unsigned char *bytes, size_t count)
{
    if (!decoder->kept_all || count == 0)
        return;
    size_t wanted = decoder->kept_length + count;
    if (wanted > GZIP_REPLAY_BYTES) {
        decoder->kept_all = false;
        return;
    }
    if (wanted > decoder->kept.capacity) {
        size_t grown = decoder->kept.capacity < 4096 ? 4096 : decoder->kept.capacity * 2;
        if (grown < wanted)
            grown = wanted;
        if (grown > GZIP_REPLAY_BYTES)
            grown = GZIP_REPLAY_BYTES;
        if (!byte_buffer_reserve(&decoder->kept, grown)) {
            decoder->kept_all = false;
            return;
        }
    }
    memcpy(decoder->kept.bytes + decoder->kept_length, bytes, count);
    decoder->kept_length = wanted;
}

/* ISA-L failed (`reason`, a complete report): zlib decodes the member again from the kept
 * bytes when they are all there, else the report stands. */
static void replay_with_zlib(struct gzip_decoder *decoder, const char *reason)
{
    snprintf(decoder->isal_failure, sizeof decoder->isal_failure, "%s", reason);
    if (!decoder->kept_all) {
        fail(decoder, "%s", reason);
        return;
    }
    if (!start_zlib(decoder))
        return;
    input_from_memory(&decoder->replay, decoder->kept.bytes, decoder->kept_length);
    decoder->replay_skip = decoder->member_produced;
}

static const char *isal_diagnosis(int result)
{
    switch (result) {
    case ISAL_INVALID_BLOCK:
        return "invalid block";
    case ISAL_INVALID_SYMBOL:
        return "invalid literal/length or distance code";
    case ISAL_INVALID_LOOKBACK:
        return "invalid distance too far back";
    case ISAL_INVALID_WRAPPER:
        return "incorrect header check";
    case ISAL_UNSUPPORTED_METHOD:
        return "unknown compression method";
    case ISAL_INCORRECT_CHECKSUM:
        return "incorrect data check";
    case ISAL_NEED_DICT:
        return "needs a preset dictionary";
    default:
        return "inflate failed";
    }
}

static void keep_tail(struct gzip_decoder *decoder, const unsigned char *bytes, size_t count)
{
    size_t size = sizeof decoder->tail;
    if (count >= size) {
        memcpy(decoder->tail, bytes + count - size, size);
    } else if (count > 0) {
        memmove(decoder->tail, decoder->tail + count, size - count);
        memcpy(decoder->tail + size - count, bytes, count);
    }
}

/* One ISA-L call into out[0, capacity); returns the bytes produced. */
static size_t isal_step(struct gzip_decoder *decoder, struct source_input *input,
                        unsigned char *out, size_t capacity)
{
    struct inflate_state *state = decoder->isal;
    size_t available = input_available(input);
    uint32_t input_bytes = available > UINT32_MAX ? UINT32_MAX : (uint32_t)available;
    uint32_t output_bytes = capacity > UINT32_MAX ? UINT32_MAX : (uint32_t)capacity;
    const unsigned char *in = input->data + input->begin;
    state->next_in = (uint8_t *)(uintptr_t)in;
    state->avail_in = input_bytes;
    state->next_out = out;
    state->avail_out = output_bytes;
    int result = isal_inflate(state);
    /* From the pointers: avail_in is not kept up to date on every error. At a member's end
     * ISA-L gives back what it read ahead, never more than this call's input (checked). */
    const unsigned char *next_in = state->next_in;
    bool gave_back_too_much = next_in < in;
    size_t consumed =
        gave_back_too_much || next_in > in + input_bytes ? input_bytes : (size_t)(next_in - in);
    size_t produced = (size_t)(state->next_out - out);
    if (produced > output_bytes)
        produced = output_bytes;
    keep(decoder, in, consumed);
    keep_tail(decoder, in, consumed);
    input_consume(input, consumed);
    decoder->member_produced += produced;
    unsigned long long member = (unsigned long long)decoder->member_start;
    char reason[SOURCE_REASON_BYTES];
    if (result < 0 || result == ISAL_NEED_DICT) {
        /* ISA-L checks CRC32 and ISIZE together; zlib names the first that fails. */
        const char *diagnosis = isal_diagnosis(result);
        if (result == ISAL_INCORRECT_CHECKSUM && read_le32(decoder->tail) == state->crc)
            diagnosis = "incorrect length check";
        snprintf(reason, sizeof reason, "corrupt gzip data at byte %llu: %s", member, diagnosis);
        if (decoder->kept_all) { /* zlib says how much of this call's output stands */
            decoder->member_produced -= produced;
            produced = 0;
        }
        replay_with_zlib(decoder, reason);
    } else if (gave_back_too_much) {
        snprintf(reason, sizeof reason, "corrupt gzip data at byte %llu: inflate failed", member);
        replay_with_zlib(decoder, reason);
    } else if (state->block_state == ISAL_BLOCK_FINISH) {
        decoder->state = GZIP_MEMBER_START;
    } else if (input_bytes > 0 && output_bytes > 0 && consumed == 0 && produced == 0) {
        snprintf(reason, sizeof reason, "corrupt gzip data at byte %llu: inflate makes no progress",
                 member);
        replay_with_zlib(decoder, reason);
    }
    return produced;
}

static bool in_member(const struct gzip_decoder *decoder)
{
    return decoder->state == GZIP_STREAMING || decoder->state == GZIP_ZLIB;
}

/* Streams the current member. An inflater may hold output back (a long match) after taking
 * all the input, so it runs before any wait for input, and a member is truncated only when
 * it has nothing more to give and the input has ended. Returns 0 without waiting when the
 * caller already has bytes to hand out. */
static size_t stream_member(struct gzip_decoder *decoder, struct source_input *input,
                            unsigned char *out, size_t capacity, size_t produced)
{
    enum gzip_state inflater = decoder->state;
    size_t step = inflater == GZIP_STREAMING ? isal_step(decoder, input, out, capacity)
                                             : inflate_step(decoder, input, out, capacity);
    if (step > 0 || decoder->state != inflater || input_available(input) > 0 || produced > 0)
        return step;
    if (!input_require(input, 1)) {
        fail_read(decoder, input);
    } else if (input_available(input) == 0) {
        char reason[SOURCE_REASON_BYTES];
        snprintf(reason, sizeof reason, "gzip member at byte %llu is truncated",
                 (unsigned long long)decoder->member_start);
        if (decoder->state == GZIP_STREAMING)
            replay_with_zlib(decoder, reason);
        else
            fail(decoder, "%s", reason);
    }
    return 0;
}

/* zlib's turn in a member: first the kept bytes of a replay (dropping the output ISA-L
 * already delivered), then the input. */
static size_t zlib_member(struct gzip_decoder *decoder, struct source_input *input,
                          unsigned char *out, size_t capacity, size_t produced)
{
    uint64_t skip = decoder->replay_skip;
    if (skip > 0 && capacity > skip)
        capacity = (size_t)skip;
    size_t step;
    if (input_available(&decoder->replay) > 0) {
        step = inflate_step(decoder, &decoder->replay, out, capacity);
        /* zlib ended the member inside the kept bytes, or before what ISA-L delivered:
         * the bytes after it are gone, so ISA-L's report stands. */
        if (decoder->state == GZIP_MEMBER_START &&
            (input_available(&decoder->replay) > 0 || step < skip))
            fail(decoder, "%s", decoder->isal_failure);
    } else {
        step = stream_member(decoder, input, out, capacity, produced);
        if (decoder->state == GZIP_MEMBER_START && step < skip)
            fail(decoder, "%s", decoder->isal_failure);
    }
    if (skip == 0)
        return step;
    decoder->replay_skip -= step;
    return 0;
}

/* Hands out the `staged` bytes in the member buffer, then goes on to `next`. */
static void serve_staged(struct gzip_decoder *decoder, size_t staged, enum gzip_state next)
{
    if (staged == 0)
        return;
    decoder->member_length = staged;
    decoder->member_served = 0;
    decoder->after_serving = next;
    decoder->state = GZIP_SERVING_WHOLE;
}

/* Inflates the next piece of a member that can still be replayed into the member buffer
 * (see GZIP_STAGE_BYTES), waiting for input as needed. */
static void stage_piece(struct gzip_decoder *decoder, struct source_input *input)
{
    if (!byte_buffer_reserve(&decoder->member, GZIP_STAGE_BYTES)) {
        fail(decoder, "out of memory");
        return;
    }
    size_t staged = 0;
    for (;;) {
        size_t step =
            isal_step(decoder, input, decoder->member.bytes + staged, GZIP_STAGE_BYTES - staged);
        staged += step;
        if (decoder->state == GZIP_ZLIB) { /* damage: zlib replays, this piece is dropped */
            decoder->replay_skip -= staged;
            return;
        }
        if (decoder->state != GZIP_STREAMING) { /* the member's end, or a report */
            serve_staged(decoder, staged, decoder->state);
            return;
        }
        if (staged == GZIP_STAGE_BYTES || !decoder->kept_all) {
            serve_staged(decoder, staged, GZIP_STREAMING);
            return;
        }
        if (step > 0 || input_available(input) > 0)
            continue;
        if (!input_require(input, 1)) {
            fail_read(decoder, input);
            serve_staged(decoder, staged, GZIP_DONE);
            return;
        }
        if (input_available(input) == 0) {
            char reason[SOURCE_REASON_BYTES];
            snprintf(reason, sizeof reason, "gzip member at byte %llu is truncated",
                     (unsigned long long)decoder->member_start);
            replay_with_zlib(decoder, reason);
            decoder->replay_skip -= staged;
            return;
        }
    }
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
            if (decoder->kept_all) {
                if (produced > 0 && input_available(input) == 0)
                    return produced; /* more input could mean waiting for it */
                stage_piece(decoder, input);
                continue;
            }
            /* fall through */
        case GZIP_ZLIB:
            if (decoder->state == GZIP_STREAMING)
                step = stream_member(decoder, input, out + produced, capacity - produced, produced);
            else
                step = zlib_member(decoder, input, out + produced, capacity - produced, produced);
            if (step == 0 && produced > 0 && in_member(decoder) && input_available(input) == 0 &&
                input_available(&decoder->replay) == 0)
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
