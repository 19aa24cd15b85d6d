/* Framers: cut the window's content into events.
 *
 * Line layouts find lines with memchr and look at each line once: NDJSON lines are only
 * checked for a leading '{' (the consumer validates events), export lines for their
 * timestamp, envelope lines are parsed one by one so a bad line costs only itself. Whole
 * documents stream through the envelope parser, and the first error ends the file. */
#include "sources/source_internal.h"

#include <string.h>

/* Room on a line beyond the event: an export timestamp, blanks, a carriage return. */
#define LINE_SLACK_BYTES 4096

struct line_framer {
    struct source_reader *reader;
    struct source_file *file;
    const struct layout_detection *detection;
    size_t line_limit; /* a longer line is too large, however it ends */
};

static bool is_blank(unsigned char byte)
{
    return byte == ' ' || byte == '\t' || byte == '\r';
}

static void report_not_object(struct line_framer *framer, uint64_t line, uint64_t offset,
                              unsigned char first)
{
    char described[16];
    json_describe_byte(first, described);
    report(framer->reader, framer->file, line, offset, "not a JSON object: the line starts with %s",
           described);
}

/* Delivers the event text bytes[start, end) of `line` unless it is too large. */
static void deliver_line_event(struct line_framer *framer, const unsigned char *bytes, size_t start,
                               size_t end, uint64_t line, uint64_t line_offset)
{
    struct source_reader *reader = framer->reader;
    uint64_t base = reader->window.base_offset;
    if (end - start > reader->options.max_event_bytes) {
        report(reader, framer->file, line, line_offset, "event larger than %zu bytes",
               reader->options.max_event_bytes);
        return;
    }
    batch_add(reader, framer->file, bytes + start, end - start, line, base + start);
}

static void frame_export_line(struct line_framer *framer, const unsigned char *bytes, size_t start,
                              size_t end, uint64_t line, uint64_t line_offset)
{
    size_t json_start;
    if (!export_timestamp_prefix(bytes, start, end, &json_start)) {
        report(framer->reader, framer->file, line, line_offset,
               "not a CloudWatch Logs export line: no ISO-8601 timestamp and space at its start");
        return;
    }
    if (json_start >= end || bytes[json_start] != '{') {
        report(framer->reader, framer->file, line, line_offset,
               "not a CloudWatch Logs export line: no JSON object after the timestamp");
        return;
    }
    deliver_line_event(framer, bytes, json_start, end, line, line_offset);
}

/* Parses a line holding one envelope, as a document of its own: the events framed before an
 * error in the line count, the rest of the line is reported. */
static void frame_envelope_line(struct line_framer *framer, const unsigned char *bytes,
                                size_t start, size_t end, uint64_t line)
{
    struct source_reader *reader = framer->reader;
    struct envelope_parser parser;
    envelope_start(&parser, framer->detection->root_role, true, reader->options.max_event_bytes,
                   reader->unit_limit);
    struct event_target target = {reader, framer->file, reader->window.base_offset, line};
    size_t position = start;
    struct json_error error;
    enum envelope_status status =
        envelope_parse(&parser, &target, bytes, &position, end, true, &error);
    if (status == ENVELOPE_END)
        return;
    if (status == ENVELOPE_NEED_MORE)
        json_fail(&error, end, "unexpected end of line");
    uint64_t offset = reader->window.base_offset + error.position;
    report(reader, framer->file, line, offset, "%s at byte %llu", error.reason,
           (unsigned long long)offset);
}

/* One whole line bytes[start, end) (without its newline). */
static void frame_line(struct line_framer *framer, const unsigned char *bytes, size_t start,
                       size_t end, uint64_t line)
{
    uint64_t line_offset = framer->reader->window.base_offset + start;
    if (end - start > framer->line_limit) {
        report(framer->reader, framer->file, line, line_offset, "event larger than %zu bytes",
               framer->reader->options.max_event_bytes);
        return;
    }
    size_t first = start;
    while (first < end && is_blank(bytes[first]))
        first++;
    size_t last = end;
    while (last > first && is_blank(bytes[last - 1]))
        last--;
    if (first == last)
        return;
    switch (framer->detection->mode) {
    case FRAME_EXPORT_LINES:
        frame_export_line(framer, bytes, first, last, line, line_offset);
        return;
    case FRAME_ENVELOPE_LINES:
        if (bytes[first] != '{')
            report_not_object(framer, line, line_offset, bytes[first]);
        else
            frame_envelope_line(framer, bytes, first, last, line);
        return;
    default:
        if (bytes[first] != '{')
            report_not_object(framer, line, line_offset, bytes[first]);
        else
            deliver_line_event(framer, bytes, first, last, line, line_offset);
        return;
    }
}

void frame_lines(struct source_reader *reader, struct source_file *file,
                 const struct layout_detection *detection, struct line_span *span)
{
    struct line_framer framer = {reader, file, detection,
                                 detection->mode == FRAME_ENVELOPE_LINES
                                     ? reader->unit_limit
                                     : reader->options.max_event_bytes + LINE_SLACK_BYTES};
    struct source_window *window = &reader->window;
    uint64_t line = span ? 0 : detection->blank_lines;
    uint64_t stop = span ? span->stop : UINT64_MAX;
    size_t searched = 0;                          /* bytes after begin known to hold no newline */
    bool skipping = false;                        /* inside a line already reported as too large */
    bool before_range = span && span->skip_first; /* inside the range before's last line */
    for (;;) {
        const unsigned char *data = window->data;
        size_t begin = window->begin;
        /* begin is a line start unless skipping; a line starting at stop is the next range's */
        if (!skipping && !before_range && searched == 0 && window->base_offset + begin >= stop)
            break;
        size_t partial = window->end - begin;
        const unsigned char *newline = memchr(data + begin + searched, '\n', partial - searched);
        if (newline) {
            size_t line_end = (size_t)(newline - data);
            if (!before_range) {
                line++;
                if (!skipping)
                    frame_line(&framer, data, begin, line_end, line);
            }
            skipping = before_range = false;
            window->begin = line_end + 1;
            searched = 0;
            continue;
        }
        /* no newline before stop: no line starts in this range (a long line is read whole
         * only by the range it starts in) */
        if (before_range && window->base_offset + window->end >= stop)
            break;
        if (window->exhausted) {
            /* A last line without a newline counts, unless the content was cut short. */
            if (partial > 0 && !skipping && !before_range && !file->content_failed)
                frame_line(&framer, data, begin, window->end, ++line);
            window->begin = window->end;
            break;
        }
        if (!skipping && !before_range && partial > framer.line_limit) {
            report(reader, file, line + 1, window->base_offset + begin,
                   "event larger than %zu bytes", reader->options.max_event_bytes);
            skipping = true;
        }
        if (skipping || before_range) {
            window->begin = window->end;
            partial = 0;
        }
        searched = partial;
        window_fill(reader, file);
    }
    if (span)
        span->lines = line;
}

void frame_documents(struct source_reader *reader, struct source_file *file,
                     const struct layout_detection *detection)
{
    struct source_window *window = &reader->window;
    struct envelope_parser parser;
    envelope_start(&parser, detection->root_role, false, reader->options.max_event_bytes,
                   reader->unit_limit);
    struct event_target target = {reader, file, 0, 0};
    for (;;) {
        target.base_offset = window->base_offset;
        size_t position = window->begin;
        struct json_error error;
        enum envelope_status status = envelope_parse(&parser, &target, window->data, &position,
                                                     window->end, window->exhausted, &error);
        window->begin = position;
        if (status == ENVELOPE_END)
            return;
        if (status == ENVELOPE_ERROR) {
            uint64_t offset = window->base_offset + error.position;
            report(reader, file, 0, offset, "%s at byte %llu", error.reason,
                   (unsigned long long)offset);
            file->ended_early = true;
            return;
        }
        if (window->exhausted) {
            uint64_t offset = window->base_offset + window->end;
            if (!file->content_failed)
                report(reader, file, 0, offset, "unexpected end of file at byte %llu",
                       (unsigned long long)offset);
            return;
        }
        window_fill(reader, file);
    }
}
