/* sources: CloudTrail as users have it — files, directories, gzip, standard input — in
 * every layout they come in, framed into one JSON message per CloudTrail event.
 *
 * The layout is detected from the content, never from the file name: S3 delivery files
 * ({"Records":[...]}), the same gzip-compressed (multi-member too), one event per line
 * (NDJSON), a top-level JSON array, concatenated objects, EventBridge envelopes (the event
 * is `detail`), CloudWatch Logs subscription payloads (logEvents[].message), CloudWatch
 * Logs exports (a timestamp before each JSON line) and `aws cloudtrail lookup-events`
 * output (each event a JSON string in Events[].CloudTrailEvent).
 *
 * Bad input is never fatal, and the rule is one rule: a bad line of a line-oriented file is
 * reported and skipped; in a whole-document file the events before the first error count
 * and the rest of that file is reported from the error's byte offset; a truncated or
 * corrupt gzip member is reported and the events decoded before it count. */
#ifndef TRAILHOUND_SOURCES_SOURCE_H
#define TRAILHOUND_SOURCES_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum source_layout {
    SOURCE_LAYOUT_EMPTY, /* nothing but whitespace */
    SOURCE_LAYOUT_RECORDS,
    SOURCE_LAYOUT_NDJSON,
    SOURCE_LAYOUT_ARRAY,
    SOURCE_LAYOUT_CONCATENATED,
    SOURCE_LAYOUT_EVENTBRIDGE,
    SOURCE_LAYOUT_CLOUDWATCH_SUBSCRIPTION,
    SOURCE_LAYOUT_CLOUDWATCH_EXPORT,
    SOURCE_LAYOUT_LOOKUP_EVENTS,
    SOURCE_LAYOUT_UNRECOGNIZED,
};

/* A short stable name for a layout ("records", "ndjson", ...). */
const char *source_layout_name(enum source_layout layout);

/* Where something is: the file ("-" for standard input), the 1-based line for
 * line-oriented layouts (0 otherwise), and the byte offset in the decompressed content. */
struct source_location {
    const char *path;
    uint64_t line;
    uint64_t offset;
};

/* Memory that events' messages live in, reference counted. A consumer that needs a
 * message after the callback returns (say, on another thread) can retain the event's hold
 * instead of copying the message, and release it when done; either may be called from any
 * thread. The reader reuses the memory once every hold is released. */
struct source_hold;
void source_hold_retain(struct source_hold *hold);
void source_hold_release(struct source_hold *hold);

/* One CloudTrail event: its JSON text, exactly as it will be a log event's message. For
 * layouts that carry the event inside a JSON string (subscription payloads, lookup-events)
 * the text is the decoded string. Valid only during the callback that receives it, unless
 * `hold` is retained (then `message` stays valid, `where.path` does not); `hold` is NULL
 * for messages that cannot be kept that way. */
struct source_event {
    const char *message;
    size_t length;
    struct source_location where;
    struct source_hold *hold;
};

struct source_file_summary {
    const char *path;
    enum source_layout layout;
    bool compressed;
    uint64_t bytes_read;    /* from disk or standard input */
    uint64_t bytes_decoded; /* after decompression (== bytes_read when not compressed) */
    uint64_t events;        /* events delivered */
    uint64_t malformed;     /* reports made for this file */
};

/* A regular file about to be read. */
struct source_file_identity {
    const char *path;
    uint64_t device, inode, size;
    int64_t modified_ns; /* last modification, nanoseconds since the epoch */
};

/* A plain (uncompressed) regular file of one event per line (NDJSON), whose lines a
 * consumer may frame in ranges, on several threads, with source_read_line_range. */
struct source_line_file {
    const char *path;
    int fd;                /* read with pread only, so ranges can be read at once */
    uint64_t start;        /* content offset of the first line (past a byte order mark and
                            * leading blank lines) */
    uint64_t lines_before; /* the blank lines before `start` */
    uint64_t size;         /* when opened; the range that reaches it reads to the end */
};

/* What framing a range (or all ranges of a file) gave. */
struct source_range_summary {
    uint64_t lines; /* lines that start in the range, blank and bad ones included */
    uint64_t events;
    uint64_t malformed;
    uint64_t content_end; /* one past the last byte read */
};

/* What the reader calls. Events arrive in batches (at most SOURCE_BATCH_EVENTS per call,
 * in file order) so a consumer can spread one batch over threads; a batch's memory is
 * valid until on_events returns. Any callback may be NULL. */
#define SOURCE_BATCH_EVENTS 4096
struct source_handler {
    void *context;
    void (*on_events)(void *context, const struct source_event *events, size_t count);
    void (*on_malformed)(void *context, const struct source_location *where, const char *reason);
    void (*on_file_done)(void *context, const struct source_file_summary *summary);
    /* Optional: asked before a regular file is read; false skips it (not read, not counted).
     * `scan --db` uses it not to count a file it has already stored. */
    bool (*should_read)(void *context, const struct source_file_identity *file);
    /* Optional: offered a plain regular NDJSON file once its layout is known; true when the
     * consumer framed all of it (source_read_line_range over ranges from file->start to the
     * end, reports in file order) and filled `summary`; false lets the reader frame it.
     * on_file_done follows either way. */
    bool (*read_line_file)(void *context, const struct source_line_file *file,
                           struct source_range_summary *summary);
};

struct source_options {
    /* Largest single event accepted (AWS's own limit for a log event is 256 KiB;
     * CloudTrail events are far smaller). A larger one is reported; in a line-oriented file
     * it is skipped, in a whole-document file it is the error that ends the file, as any
     * other error there (its end cannot be found without reading it whole). */
    size_t max_event_bytes;
    /* Largest gzip member inflated in one piece with libdeflate; larger members, and
     * members of unknown size, are streamed (ISA-L, zlib for diagnosis) so memory stays bounded. 0:
     * always streamed. */
    size_t max_whole_member_bytes;
    /* Initial size of the reused window of decoded content (it grows only to hold one
     * unit: a line or JSON value of about twice max_event_bytes at most). Tests make it
     * tiny so events straddle refills. */
    size_t read_buffer_bytes;
};

/* Defaults: max_event_bytes 1 MiB, max_whole_member_bytes 32 MiB, read_buffer_bytes 2 MiB.
 * A zero max_event_bytes or read_buffer_bytes means the default; max_event_bytes is capped
 * at 256 MiB and read_buffer_bytes at 1 GiB. */
struct source_options source_default_options(void);

/* Reads `path`: a file, a directory (walked recursively in name order, following the S3
 * layout AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/; hidden files skipped), or "-"
 * for standard input. Every problem — unreadable file, malformed content — goes to
 * on_malformed with its location, and reading continues. Returns the number of files that
 * could be opened and read (0 when nothing could be read at all). */
uint64_t source_read_path(const char *path, const struct source_options *options,
                          const struct source_handler *handler);

/* Frames the lines of one range of a source_line_file, for consumers that split a file
 * between threads; each thread uses its own range reader (which keeps a window of about
 * `options->read_buffer_bytes`). The range holds the lines that start at content offsets
 * in [start, stop) (a line that starts before `start` belongs to the range before, and a
 * line that starts in the range is read whole, past `stop` if need be); stop UINT64_MAX
 * reads to the end of the file. Events and reports go to the handler's on_events and
 * on_malformed, in file order, with line numbers counted from 1 at the range's first line
 * (the consumer adds the lines of the ranges before, and file->lines_before). */
struct source_range_reader;
struct source_range_reader *source_range_reader_create(const struct source_options *options,
                                                       const struct source_handler *handler);
void source_range_reader_free(struct source_range_reader *reader);
void source_read_line_range(struct source_range_reader *reader, const struct source_line_file *file,
                            uint64_t start, uint64_t stop, struct source_range_summary *summary);

/* Frames content already in memory (used by the above and by tests and fuzzers); `path`
 * only names it in locations. Handles gzip content too. */
void source_read_buffer(const char *path, const unsigned char *content, size_t length,
                        const struct source_options *options, const struct source_handler *handler);

#endif
