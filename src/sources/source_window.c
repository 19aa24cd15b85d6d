/* The reader's per-call state: the sliding window of decoded content, the batch of events
 * handed to the handler, reports, and the per-file driver (detect, frame, summarize). */
#include "sources/source_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Room for the JSON around an event inside a unit (an envelope, a line's prefix). */
#define UNIT_SLACK_BYTES (64 * 1024)
/* Event texts may be escaped inside a JSON string, which lengthens them. */
#define UNIT_EVENTS 2
/* Larger option values are taken as these, so sizes stay far from overflow. */
#define MAX_EVENT_BYTES_CEILING ((size_t)256 * 1024 * 1024)
#define READ_BUFFER_BYTES_CEILING ((size_t)1024 * 1024 * 1024)

bool reader_init(struct source_reader *reader, const struct source_options *options,
                 const struct source_handler *handler)
{
    static const struct source_handler no_handler = {0};
    *reader = (struct source_reader){0};
    struct source_options defaults = source_default_options();
    reader->options = options ? *options : defaults;
    if (reader->options.max_event_bytes == 0)
        reader->options.max_event_bytes = defaults.max_event_bytes;
    if (reader->options.max_event_bytes > MAX_EVENT_BYTES_CEILING)
        reader->options.max_event_bytes = MAX_EVENT_BYTES_CEILING;
    if (reader->options.read_buffer_bytes == 0)
        reader->options.read_buffer_bytes = defaults.read_buffer_bytes;
    if (reader->options.read_buffer_bytes > READ_BUFFER_BYTES_CEILING)
        reader->options.read_buffer_bytes = READ_BUFFER_BYTES_CEILING;
    reader->handler = handler ? handler : &no_handler;
    reader->unit_limit = UNIT_EVENTS * reader->options.max_event_bytes + UNIT_SLACK_BYTES;
    reader->batch.events = malloc(SOURCE_BATCH_EVENTS * sizeof *reader->batch.events);
    return reader->batch.events != NULL;
}

/* True when the reader keeps `block` for reuse. */
static bool block_kept(const struct source_reader *reader, const struct source_hold *block)
{
    for (size_t i = 0; i < reader->block_count; i++)
        if (reader->blocks[i] == block)
            return true;
    return false;
}

void reader_release(struct source_reader *reader)
{
    /* blocks a consumer still holds are freed by its last release */
    if (reader->window.block && !block_kept(reader, reader->window.block))
        source_hold_release(reader->window.block);
    for (size_t i = 0; i < reader->block_count; i++)
        source_hold_release(reader->blocks[i]);
    free(reader->batch.events);
    byte_buffer_release(&reader->batch.text);
    byte_buffer_release(&reader->input_buffer);
    gzip_decoder_free(reader->gzip);
    *reader = (struct source_reader){0};
}

/* ---- Reports and the batch ------------------------------------------------------------------ */

void report(struct source_reader *reader, struct source_file *file, uint64_t line, uint64_t offset,
            const char *format, ...)
{
    /* Events framed before the problem reach the handler before its report. */
    batch_flush(reader);
    char reason[SOURCE_REASON_BYTES];
    va_list arguments;
    va_start(arguments, format);
    vsnprintf(reason, sizeof reason, format, arguments);
    va_end(arguments);
    file->summary.malformed++;
    if (reader->handler->on_malformed) {
        struct source_location where = {file->path, line, offset};
        reader->handler->on_malformed(reader->handler->context, &where, reason);
    }
}

void batch_flush(struct source_reader *reader)
{
    struct source_batch *batch = &reader->batch;
    if (batch->count > 0 && reader->handler->on_events)
        reader->handler->on_events(reader->handler->context, batch->events, batch->count);
    batch->count = 0;
    batch->text_used = 0;
}

void batch_add(struct source_reader *reader, struct source_file *file, const unsigned char *message,
               size_t length, uint64_t line, uint64_t offset)
{
    struct source_batch *batch = &reader->batch;
    if (batch->count == SOURCE_BATCH_EVENTS)
        batch_flush(reader);
    const struct source_window *window = &reader->window;
    bool in_window = window->data && message >= window->data &&
                     message + length <= window->data + window->capacity;
    batch->events[batch->count++] = (struct source_event){
        .message = (const char *)message,
        .length = length,
        .where = {file->path, line, offset},
        .hold = in_window ? window->block : NULL,
    };
    file->summary.events++;
}

unsigned char *batch_reserve_text(struct source_reader *reader, size_t length)
{
    struct source_batch *batch = &reader->batch;
    /* Flushing here, not in the batch_add that follows, keeps the reserved text alive. */
    if (batch->count == SOURCE_BATCH_EVENTS || batch->text.capacity - batch->text_used < length)
        batch_flush(reader);
    if (length > batch->text.capacity) {
        size_t grown = batch->text.capacity * 2 > length ? batch->text.capacity * 2 : length;
        if (!byte_buffer_reserve(&batch->text, grown))
            return NULL;
    }
    return batch->text.bytes + batch->text_used;
}

void batch_commit_text(struct source_reader *reader, size_t length)
{
    reader->batch.text_used += length;
}

/* ---- The window ------------------------------------------------------------------------------ */

static void record_content_failure(struct source_file *file, const char *reason)
{
    file->content_failed = true;
    snprintf(file->content_failure, sizeof file->content_failure, "%s", reason);
}

/* Decoded content into out[0, capacity); 0 when there is no more. */
static size_t read_content(struct source_reader *reader, struct source_file *file,
                           unsigned char *out, size_t capacity)
{
    if (file->compressed) {
        char failure[SOURCE_REASON_BYTES];
        size_t count = gzip_decode(reader->gzip, &file->input, out, capacity, failure);
        if (count == 0 && failure[0])
            record_content_failure(file, failure);
        return count;
    }
    size_t count = input_read_into(&file->input, out, capacity);
    if (count == 0 && file->input.read_errno) {
        char message[128];
        if (strerror_r(file->input.read_errno, message, sizeof message) != 0)
            snprintf(message, sizeof message, "error %d", file->input.read_errno);
        char reason[SOURCE_REASON_BYTES];
        snprintf(reason, sizeof reason, "read error at byte %llu: %s",
                 (unsigned long long)file->input.offset, message);
        record_content_failure(file, reason);
    }
    return count;
}

/* ---- Blocks: the window's memory, which consumers may hold (source.h) -------------------- */

void source_hold_retain(struct source_hold *hold)
{
    atomic_fetch_add_explicit(&hold->references, 1, memory_order_relaxed);
}

void source_hold_release(struct source_hold *hold)
{
    if (atomic_fetch_sub_explicit(&hold->references, 1, memory_order_acq_rel) == 1)
        free(hold);
}

static struct source_hold *block_allocate(size_t capacity)
{
    struct source_hold *block = malloc(sizeof *block + capacity);
    if (block) {
        atomic_init(&block->references, 1);
        block->capacity = capacity;
    }
    return block;
}

/* Only the reader refers to the block (a consumer's last release happens before). */
static bool block_free(struct source_hold *block)
{
    return atomic_load_explicit(&block->references, memory_order_acquire) == 1;
}

/* A block of at least `capacity` bytes that nobody else uses: a kept one, or a new one
 * (kept when there is room). */
static struct source_hold *block_for_window(struct source_reader *reader, size_t capacity)
{
    for (size_t i = 0; i < reader->block_count; i++) {
        struct source_hold *block = reader->blocks[i];
        if (block != reader->window.block && block->capacity >= capacity && block_free(block))
            return block;
    }
    struct source_hold *block = block_allocate(capacity);
    if (block && reader->block_count < SOURCE_KEPT_BLOCKS)
        reader->blocks[reader->block_count++] = block;
    return block;
}

/* Puts the window in `block`, keeping its unconsumed bytes. */
static void window_move(struct source_reader *reader, struct source_hold *block)
{
    struct source_window *window = &reader->window;
    size_t kept = window->end - window->begin;
    if (kept > 0)
        memcpy(block->bytes, window->data + window->begin, kept);
    struct source_hold *left = window->block;
    if (left && block_kept(reader, left) && left->capacity < block->capacity) {
        /* outgrown: no longer kept */
        size_t i = 0;
        while (reader->blocks[i] != left)
            i++;
        reader->blocks[i] = reader->blocks[--reader->block_count];
        source_hold_release(left);
    } else if (left && !block_kept(reader, left)) {
        source_hold_release(left);
    }
    window->block = block;
    window->data = block->bytes;
    window->capacity = block->capacity;
    window->base_offset += window->begin;
    window->begin = 0;
    window->end = kept;
}

/* Drops the consumed bytes and makes sure some room is free at the end. A block a consumer
 * still holds is left as it is: the window moves to another. */
static bool make_room(struct source_reader *reader)
{
    struct source_window *window = &reader->window;
    size_t kept = window->end - window->begin;
    size_t wanted = !window->block             ? reader->options.read_buffer_bytes
                    : kept == window->capacity ? window->capacity * 2
                                               : window->capacity;
    if (window->block && block_free(window->block) && wanted == window->capacity) {
        if (window->begin > 0) {
            memmove(window->data, window->data + window->begin, kept);
            window->base_offset += window->begin;
            window->begin = 0;
            window->end = kept;
        }
        return true;
    }
    struct source_hold *block = block_for_window(reader, wanted);
    if (!block)
        return false;
    window_move(reader, block);
    return true;
}

bool window_fill(struct source_reader *reader, struct source_file *file)
{
    struct source_window *window = &reader->window;
    batch_flush(reader);
    if (window->exhausted)
        return false;
    if (!make_room(reader)) {
        record_content_failure(file, "out of memory");
        window->exhausted = true;
        return false;
    }
    size_t count =
        read_content(reader, file, window->data + window->end, window->capacity - window->end);
    if (count == 0) {
        window->exhausted = true;
        return false;
    }
    window->end += count;
    file->summary.bytes_decoded += count;
    return true;
}

/* ---- One file ----------------------------------------------------------------------------------
 */

/* Consumes a byte order mark at the start of the content (once 3 bytes are there). False
 * until that can be told. */
static bool skip_byte_order_mark(struct source_window *window)
{
    static const unsigned char mark[3] = {0xef, 0xbb, 0xbf};
    size_t available = window->end - window->begin;
    if (available < 3 && !window->exhausted)
        return false;
    if (available >= 3 && memcmp(window->data + window->begin, mark, 3) == 0)
        window->begin += 3;
    return true;
}

/* Consumes blanks before the content, counting the lines they end, so any amount of them
 * is no part of the detection prefix. */
static void skip_leading_whitespace(struct source_window *window, uint64_t *lines)
{
    while (window->begin < window->end) {
        unsigned char byte = window->data[window->begin];
        if (byte != ' ' && byte != '\n' && byte != '\r' && byte != '\t')
            return;
        *lines += byte == '\n';
        window->begin++;
    }
}

/* Fills the window until the layout can be told from the first unit_limit bytes of
 * content after a byte order mark and blanks. */
static void detect(struct source_reader *reader, struct source_file *file,
                   struct layout_detection *detection)
{
    static const unsigned char nothing[1] = {0};
    struct source_window *window = &reader->window;
    bool mark_skipped = false;
    uint64_t blank_lines = 0;
    for (;;) {
        if (!mark_skipped)
            mark_skipped = skip_byte_order_mark(window);
        if (mark_skipped) {
            skip_leading_whitespace(window, &blank_lines);
            size_t available = window->end - window->begin;
            bool enough = available >= reader->unit_limit;
            size_t view = enough ? reader->unit_limit : available;
            const unsigned char *bytes = window->data ? window->data + window->begin : nothing;
            if ((available > 0 || window->exhausted) &&
                detect_layout(bytes, view, enough || window->exhausted, detection))
                break;
        }
        window_fill(reader, file);
    }
    detection->blank_lines = blank_lines;
}

/* Offers a plain regular NDJSON file to the handler to frame in ranges; true when it did. */
static bool handed_over(struct source_reader *reader, struct source_file *file,
                        const struct layout_detection *detection)
{
    const struct source_handler *handler = reader->handler;
    if (!handler->read_line_file || file->compressed || !file->regular || file->content_failed)
        return false;
    struct source_window *window = &reader->window;
    struct source_line_file lines = {
        .path = file->path,
        .fd = file->input.fd,
        .start = window->base_offset + window->begin,
        .lines_before = detection->blank_lines,
        .size = file->size,
    };
    struct source_range_summary summary = {0};
    if (!handler->read_line_file(handler->context, &lines, &summary))
        return false;
    file->summary.events += summary.events;
    file->summary.malformed += summary.malformed;
    file->summary.bytes_decoded =
        summary.content_end > lines.start ? summary.content_end : lines.start;
    file->input.bytes_read = file->summary.bytes_decoded;
    window->begin = window->end;
    return true;
}

void reader_read_content(struct source_reader *reader, struct source_file *file)
{
    struct source_window *window = &reader->window;
    window->begin = window->end = 0;
    window->base_offset = 0;
    window->exhausted = false;
    file->summary =
        (struct source_file_summary){.path = file->path, .compressed = file->compressed};
    if (file->compressed) {
        if (!reader->gzip && !(reader->gzip = gzip_decoder_create())) {
            record_content_failure(file, "out of memory");
            window->exhausted = true;
        } else {
            gzip_decoder_start(reader->gzip, reader->options.max_whole_member_bytes);
        }
    }
    struct layout_detection detection;
    detect(reader, file, &detection);
    file->summary.layout = detection.layout;
    switch (detection.mode) {
    case FRAME_NOTHING:
        break;
    case FRAME_UNRECOGNIZED:
        /* A failure that cut the content short explains it better. */
        if (!file->content_failed)
            report(reader, file, 0, 0, "unrecognized content: %s", detection.reason);
        break;
    case FRAME_EVENT_LINES:
        if (!handed_over(reader, file, &detection))
            frame_lines(reader, file, &detection, NULL);
        break;
    case FRAME_EXPORT_LINES:
    case FRAME_ENVELOPE_LINES:
        frame_lines(reader, file, &detection, NULL);
        break;
    case FRAME_DOCUMENTS:
        frame_documents(reader, file, &detection);
        break;
    }
    batch_flush(reader);
    /* Once an error ended the file, what comes after it is not read, so not reported. */
    if (file->content_failed && !file->ended_early)
        report(reader, file, 0, file->summary.bytes_decoded, "%s", file->content_failure);
    file->summary.bytes_read = file->input.bytes_read;
    if (reader->handler->on_file_done)
        reader->handler->on_file_done(reader->handler->context, &file->summary);
}

/* ---- Ranges of a file, read on several threads (source.h) ----------------------------------- */

struct source_range_reader {
    struct source_reader reader;
};

struct source_range_reader *source_range_reader_create(const struct source_options *options,
                                                       const struct source_handler *handler)
{
    struct source_range_reader *ranges = malloc(sizeof *ranges);
    if (ranges && !reader_init(&ranges->reader, options, handler)) {
        reader_release(&ranges->reader);
        free(ranges);
        return NULL;
    }
    return ranges;
}

void source_range_reader_free(struct source_range_reader *ranges)
{
    if (!ranges)
        return;
    reader_release(&ranges->reader);
    free(ranges);
}

void source_read_line_range(struct source_range_reader *ranges, const struct source_line_file *file,
                            uint64_t start, uint64_t stop, struct source_range_summary *summary)
{
    struct source_reader *reader = &ranges->reader;
    /* From the byte before the range: when it is a newline the range starts with a line. */
    bool inside = start > file->start;
    uint64_t from = inside ? start - 1 : start;
    struct source_file part = {.path = file->path, .regular = true, .size = file->size};
    input_from_fd_range(&part.input, file->fd, from, stop);
    part.summary = (struct source_file_summary){.path = file->path, .layout = SOURCE_LAYOUT_NDJSON};
    struct source_window *window = &reader->window;
    window->begin = window->end = 0;
    window->base_offset = from;
    window->exhausted = false;
    struct layout_detection detection = {.layout = SOURCE_LAYOUT_NDJSON, .mode = FRAME_EVENT_LINES};
    struct line_span span = {.skip_first = inside, .stop = stop};
    window_fill(reader, &part); /* the window has memory, unless that ran out */
    if (window->data)
        frame_lines(reader, &part, &detection, &span);
    batch_flush(reader);
    uint64_t content_end = from + part.summary.bytes_decoded;
    if (part.content_failed)
        report(reader, &part, 0, content_end, "%s", part.content_failure);
    *summary = (struct source_range_summary){span.lines, part.summary.events,
                                             part.summary.malformed, content_end};
}
