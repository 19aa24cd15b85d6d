/* sources: what the files of this stage share; not part of its public interface.
 *
 * The pipeline for one file: raw input (a file descriptor or memory) → content (plain, or
 * gzip decoded by libdeflate, ISA-L or zlib) → a sliding window of decoded bytes → layout
 * detection on the window's first bytes → a framer for that layout (lines, export lines,
 * envelope lines or whole documents) → a batch of events handed to the handler.
 *
 * Every framing decision looks at a bounded unit (a line, a JSON value, the detection
 * prefix) whose size limits do not depend on how much the window happens to hold, so the
 * same content gives the same events and reports whatever the read buffer size. */
#ifndef TRAILHOUND_SOURCES_SOURCE_INTERNAL_H
#define TRAILHOUND_SOURCES_SOURCE_INTERNAL_H

#include "events/event.h"
#include "sources/source.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room for one report's reason. */
#define SOURCE_REASON_BYTES 192

/* ---- JSON scanning (source_json_skip.c) --------------------------------------------------- */

/* Where a scan stopped and why; `position` indexes the scanned bytes. `reached` is one past
 * the last byte the scan had to see to find the error (past `position` for an error that
 * names the start of a construct, such as an invalid literal). */
struct json_error {
    size_t position;
    size_t reached;
    char reason[SOURCE_REASON_BYTES];
};

enum json_scan {
    JSON_SCAN_DONE,
    JSON_SCAN_NEED_MORE, /* the bytes end before the value does */
    JSON_SCAN_ERROR,
};

bool json_fail(struct json_error *error, size_t position, const char *format, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes `byte` readably for messages: 'x' when printable ASCII, else byte 0xNN. */
void json_describe_byte(unsigned char byte, char out[16]);

/* The first index at or after `position` that is not JSON whitespace (or `limit`). */
size_t json_skip_whitespace(const unsigned char *bytes, size_t position, size_t limit);

/* Validates the JSON value starting at bytes[start] (not whitespace) strictly: RFC 8259,
 * UTF-8 (no overlongs, surrogates or code points above U+10FFFF), no control characters in
 * strings, nesting at most EVENT_JSON_MAX_DEPTH. On DONE, *end is just past the value. */
enum json_scan json_skip_value(const unsigned char *bytes, size_t start, size_t limit, size_t *end,
                               struct json_error *error);

/* Validates the string whose opening quote is at bytes[start]; *end is past the closing
 * quote and *has_escapes says whether the body holds a backslash. */
enum json_scan json_skip_string(const unsigned char *bytes, size_t start, size_t limit, size_t *end,
                                bool *has_escapes, struct json_error *error);

/* A string body validated by json_skip_string is decoded with event_json_unescape. */

/* ---- Roles of JSON values inside the envelopes of each layout (source_envelope.c) ------- */

enum frame_role {
    ROLE_SKIP,            /* validated and passed over */
    ROLE_EVENT,           /* an object that is one event, delivered as written */
    ROLE_EVENT_TEXT,      /* a string holding one event (delivered decoded), or an object */
    ROLE_MESSAGE_TYPE,    /* a subscription payload's messageType */
    ROLE_RECORDS_OBJECT,  /* {"Records": [events]} */
    ROLE_SUBSCRIPTION,    /* {"messageType": ..., "logEvents": [log events]} */
    ROLE_LOOKUP_RESPONSE, /* {"Events": [lookup entries]} */
    ROLE_EVENTBRIDGE,     /* {"detail": event, ...} */
    ROLE_LOG_EVENT,       /* {"message": event text, ...} */
    ROLE_LOOKUP_ENTRY,    /* {"CloudTrailEvent": event text, ...} */
    ROLE_EVENT_LIST,      /* [events] */
    ROLE_EVENTBRIDGE_LIST,
    ROLE_LOG_EVENT_LIST,
    ROLE_LOOKUP_LIST,
};

/* ---- Layout detection (source_detect.c) -------------------------------------------------- */

enum frame_mode {
    FRAME_NOTHING,        /* empty content */
    FRAME_UNRECOGNIZED,   /* reported, then skipped */
    FRAME_EVENT_LINES,    /* NDJSON: each line is an event */
    FRAME_EXPORT_LINES,   /* CloudWatch Logs export: timestamp, space, event */
    FRAME_ENVELOPE_LINES, /* each line is one JSON value of root_role, validated alone */
    FRAME_DOCUMENTS,      /* one or more JSON values of root_role, validated as a whole */
};

struct layout_detection {
    enum source_layout layout;
    enum frame_mode mode;
    enum frame_role root_role;
    uint64_t blank_lines;             /* lines before the content, which had only blanks */
    char reason[SOURCE_REASON_BYTES]; /* FRAME_UNRECOGNIZED: why */
};

/* Decides the layout from the first `length` bytes of content (past a byte order mark and
 * leading blanks, which the caller consumed). Returns false when more bytes are needed to
 * decide and `at_end` is false; with `at_end`, always decides. */
bool detect_layout(const unsigned char *bytes, size_t length, bool at_end,
                   struct layout_detection *detection);

/* Whether bytes[start, limit) begins with a CloudWatch Logs export timestamp followed by
 * one space; on success *json_start is the index just past the space. */
bool export_timestamp_prefix(const unsigned char *bytes, size_t start, size_t limit,
                             size_t *json_start);

/* ---- Raw input (source_input.c) ---------------------------------------------------------- */

/* A growable byte buffer owned by the reader and reused across files. */
struct byte_buffer {
    unsigned char *bytes;
    size_t capacity;
};

bool byte_buffer_reserve(struct byte_buffer *buffer, size_t capacity);
void byte_buffer_release(struct byte_buffer *buffer);

/* Bytes from a file descriptor (through `buffer`) or from memory. The unconsumed bytes are
 * data[begin, end); `offset` is the input offset of data[begin]. */
struct source_input {
    int fd; /* -1: all input is in memory */
    const unsigned char *data;
    size_t begin;
    size_t end;
    uint64_t offset;
    uint64_t bytes_read;
    bool at_eof;
    int read_errno; /* non-zero once a read failed */
    struct byte_buffer *buffer;
    size_t chunk_bytes; /* how much one read asks for */
    bool positional;    /* pread at `offset` (a range of a file), never read(2) */
    uint64_t soft_end;  /* positional: reads stop here, then go on in small chunks */
};

void input_from_memory(struct source_input *input, const unsigned char *bytes, size_t length);
void input_from_fd(struct source_input *input, int fd, struct byte_buffer *buffer,
                   size_t chunk_bytes);
size_t input_available(const struct source_input *input);
void input_consume(struct source_input *input, size_t count);
/* Reads until at least `wanted` bytes are available or the input ends. False on a read
 * error or when memory runs out. */
bool input_require(struct source_input *input, size_t wanted);
/* Reads the input into memory up to `limit` bytes and one more, so a whole input of at most
 * `limit` bytes ends up in memory with at_eof set. */
bool input_read_whole(struct source_input *input, size_t limit);
/* Moves up to `capacity` bytes to `out`: buffered bytes first, else one read. */
size_t input_read_into(struct source_input *input, unsigned char *out, size_t capacity);
/* Reads `fd` with pread from `offset`, in reads that end at `soft_end` and beyond it are
 * small (a range's last line), so a range reads little past its end. */
void input_from_fd_range(struct source_input *input, int fd, uint64_t offset, uint64_t soft_end);

/* ---- gzip (source_gzip.c) ---------------------------------------------------------------- */

struct gzip_decoder;

struct gzip_decoder *gzip_decoder_create(void);
void gzip_decoder_free(struct gzip_decoder *decoder);
/* Starts a new gzip stream: members of a known size up to `max_whole_member_bytes` go
 * through libdeflate in one piece, the rest streamed through ISA-L (zlib re-decodes a
 * damaged member to say what is wrong). */
void gzip_decoder_start(struct gzip_decoder *decoder, size_t max_whole_member_bytes);
/* Decodes up to `capacity` bytes into `out`. Returns 0 when the stream is over; then
 * `failure` is empty when it ended cleanly, else says why (truncated, corrupt, ...). */
size_t gzip_decode(struct gzip_decoder *decoder, struct source_input *input, unsigned char *out,
                   size_t capacity, char failure[SOURCE_REASON_BYTES]);

/* ---- The reader, the window and the batch (source_window.c) ------------------------------ */

/* A block of window memory (see source_hold in source.h). The reader holds one reference
 * to each block it keeps; consumers may hold more. */
struct source_hold {
    _Atomic unsigned references;
    size_t capacity;
    unsigned char bytes[];
};

/* Blocks a reader keeps for reuse; a block beyond them is let go when the window leaves it. */
#define SOURCE_KEPT_BLOCKS 16

struct source_window {
    struct source_hold *block; /* holds data; NULL before the first fill */
    unsigned char *data;       /* block->bytes */
    size_t capacity;
    size_t begin;         /* bytes before this are consumed and may be discarded */
    size_t end;           /* decoded bytes available */
    uint64_t base_offset; /* content offset of data[0] */
    bool exhausted;       /* no more content will come */
};

struct source_batch {
    struct source_event *events; /* SOURCE_BATCH_EVENTS of them */
    size_t count;
    struct byte_buffer text; /* decoded event strings of the current batch */
    size_t text_used;
};

struct source_reader {
    struct source_options options; /* zero fields replaced by defaults */
    const struct source_handler *handler;
    size_t unit_limit; /* largest line or JSON value framed whole */
    struct source_window window;
    struct source_hold *blocks[SOURCE_KEPT_BLOCKS]; /* kept for reuse, the window's among them */
    size_t block_count;
    struct source_batch batch;
    struct byte_buffer input_buffer;
    struct gzip_decoder *gzip;
    uint64_t files_read;
};

/* One file's (or buffer's) content as it is read. */
struct source_file {
    const char *path;
    struct source_input input;
    bool compressed;
    bool content_failed; /* reading or decoding failed (reported after framing) */
    bool ended_early;    /* a whole-document error ended the file before its content did */
    bool regular;        /* a regular file, `size` bytes when opened */
    uint64_t size;
    char content_failure[SOURCE_REASON_BYTES];
    struct source_file_summary summary;
};

/* False when memory runs out. */
bool reader_init(struct source_reader *reader, const struct source_options *options,
                 const struct source_handler *handler);
void reader_release(struct source_reader *reader);

/* Frames and delivers the content of a file whose input is set up. */
void reader_read_content(struct source_reader *reader, struct source_file *file);

void report(struct source_reader *reader, struct source_file *file, uint64_t line, uint64_t offset,
            const char *format, ...) __attribute__((format(printf, 5, 6)));

/* Makes more content available at the window's end, keeping data[begin, end) (moved to the
 * front). Flushes the batch first, since events point into the window. Returns false when
 * no more content will come. */
bool window_fill(struct source_reader *reader, struct source_file *file);

void batch_flush(struct source_reader *reader);
/* Appends an event whose text lives in the window (or in batch text). */
void batch_add(struct source_reader *reader, struct source_file *file, const unsigned char *message,
               size_t length, uint64_t line, uint64_t offset);
/* Room for `length` bytes of decoded event text that stays valid until the batch is
 * flushed; may flush the batch. NULL when memory runs out. */
unsigned char *batch_reserve_text(struct source_reader *reader, size_t length);
void batch_commit_text(struct source_reader *reader, size_t length);

/* ---- Envelopes (source_envelope.c) -------------------------------------------------------- */

/* The deepest envelope: a subscription payload, its logEvents list, a log event. */
#define ENVELOPE_MAX_DEPTH 3

struct envelope_frame {
    enum frame_role role;
    bool found_target; /* the member that holds the events was seen */
    bool control;      /* root frame of a CONTROL_MESSAGE payload: its messages are no events */
};

enum envelope_state {
    EXPECT_DOCUMENT,
    EXPECT_VALUE,
    EXPECT_ELEMENT_OR_CLOSE, /* after '[' */
    EXPECT_ELEMENT,          /* after ',' in an array */
    EXPECT_KEY_OR_CLOSE,     /* after '{' */
    EXPECT_KEY,              /* after ',' in an object */
    EXPECT_SEPARATOR,        /* after a value inside a container */
};

/* Where framed events go: the batch of `reader`, with locations in `file`. */
struct event_target {
    struct source_reader *reader;
    struct source_file *file;
    uint64_t base_offset; /* content offset of the scanned bytes' index 0 */
    uint64_t line;        /* for events of envelope lines; 0 in documents */
};

/* A resumable parser over the JSON structure around events: it keeps its place between
 * calls at token boundaries, so a document can stream through the window. Events and other
 * values are each scanned whole. */
struct envelope_parser {
    enum frame_role root_role;
    bool one_document; /* a second top-level value is an error */
    size_t max_event_bytes;
    size_t unit_limit;
    enum envelope_state state;
    enum frame_role pending_role; /* for EXPECT_VALUE */
    const char *pending_name;     /* what the pending value is, for messages */
    struct envelope_frame frames[ENVELOPE_MAX_DEPTH];
    size_t depth;
    uint64_t documents; /* top-level values completed */
};

enum envelope_status {
    ENVELOPE_NEED_MORE, /* *position is where parsing resumes once more bytes are there */
    ENVELOPE_END,       /* all bytes read, between documents, and `at_end` */
    ENVELOPE_ERROR,
};

void envelope_start(struct envelope_parser *parser, enum frame_role root_role, bool one_document,
                    size_t max_event_bytes, size_t unit_limit);
enum envelope_status envelope_parse(struct envelope_parser *parser, struct event_target *target,
                                    const unsigned char *bytes, size_t *position, size_t limit,
                                    bool at_end, struct json_error *error);

/* ---- Framers (source_frame.c) -------------------------------------------------------------- */

/* Which lines frame_lines takes when it reads one range of a file: those that start before
 * `stop`, after skipping to the first line start when the content begins inside a line. */
struct line_span {
    bool skip_first; /* the content begins inside a line of the range before */
    uint64_t stop;   /* content offset; UINT64_MAX: to the end */
    uint64_t lines;  /* out: lines taken, numbered from 1 */
};

/* `span` NULL: all lines, numbered after detection->blank_lines. */
void frame_lines(struct source_reader *reader, struct source_file *file,
                 const struct layout_detection *detection, struct line_span *span);
void frame_documents(struct source_reader *reader, struct source_file *file,
                     const struct layout_detection *detection);

#endif
