/* libFuzzer target for the sources stage: any input is read as a file's content twice, once
 * through a tiny window (1 to 61 bytes, chosen from the input, so events straddle refills)
 * and once through a large one with gzip forced through zlib. Checks that every event lies
 * within the content and within max_event_bytes, that every report has a reason, that the
 * file summary agrees with what was delivered, and that both reads deliver exactly the same
 * events and reports (framing must not depend on the window). */
#include "sources/source.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_PATH "fuzz-input"
#define FUZZ_MAX_EVENT_BYTES 1024

struct fuzz_run {
    const unsigned char *content;
    size_t length;
    bool compressed;
    uint64_t digest;
    uint64_t events;
    uint64_t reports;
    uint64_t files_done;
    uint64_t last_offset;
    uint64_t furthest_end; /* largest offset + length of an event */
    struct source_file_summary summary;
};

static void check(bool condition)
{
    if (!condition)
        abort();
}

static uint64_t mix(uint64_t digest, const void *bytes, size_t length)
{
    const unsigned char *byte = bytes;
    for (size_t i = 0; i < length; i++)
        digest = (digest ^ byte[i]) * 1099511628211u;
    return digest;
}

static uint64_t mix_number(uint64_t digest, uint64_t number)
{
    return mix(digest, &number, sizeof number);
}

static void on_events(void *context, const struct source_event *events, size_t count)
{
    struct fuzz_run *run = context;
    check(count > 0 && count <= SOURCE_BATCH_EVENTS);
    for (size_t i = 0; i < count; i++) {
        const struct source_event *event = &events[i];
        check(event->length <= FUZZ_MAX_EVENT_BYTES);
        check(event->length == 0 || event->message != NULL);
        check(strcmp(event->where.path, FUZZ_PATH) == 0);
        check(event->where.offset >= run->last_offset);
        /* Raw events are the content's bytes; decoded ones are shorter than theirs. */
        if (!run->compressed)
            check(event->where.offset + event->length <= run->length);
        run->last_offset = event->where.offset;
        if (event->where.offset + event->length > run->furthest_end)
            run->furthest_end = event->where.offset + event->length;
        run->digest = mix(run->digest, event->message, event->length); /* reads every byte */
        run->digest = mix_number(run->digest, event->length);
        run->digest = mix_number(run->digest, event->where.line);
        run->digest = mix_number(run->digest, event->where.offset);
        run->events++;
    }
}

static void on_malformed(void *context, const struct source_location *where, const char *reason)
{
    struct fuzz_run *run = context;
    size_t length = strlen(reason);
    check(length > 0 && length < 256);
    check(strcmp(where->path, FUZZ_PATH) == 0);
    run->digest = mix(run->digest, reason, length);
    run->digest = mix_number(run->digest, where->line);
    run->digest = mix_number(run->digest, where->offset);
    run->reports++;
}

static void on_file_done(void *context, const struct source_file_summary *summary)
{
    struct fuzz_run *run = context;
    run->files_done++;
    run->summary = *summary;
}

static struct fuzz_run read_content(const unsigned char *content, size_t length,
                                    const struct source_options *options)
{
    struct fuzz_run run = {.content = content, .length = length, .digest = 1469598103934665603u};
    run.compressed = length >= 2 && content[0] == 0x1f && content[1] == 0x8b;
    struct source_handler handler = {.context = &run,
                                     .on_events = on_events,
                                     .on_malformed = on_malformed,
                                     .on_file_done = on_file_done};
    source_read_buffer(FUZZ_PATH, content, length, options, &handler);
    check(run.files_done == 1);
    check(run.summary.events == run.events);
    check(run.summary.malformed == run.reports);
    check(run.summary.compressed == run.compressed);
    check(run.furthest_end <= run.summary.bytes_decoded);
    if (!run.compressed)
        check(run.summary.bytes_decoded <= length);
    return run;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct source_options options = source_default_options();
    options.max_event_bytes = FUZZ_MAX_EVENT_BYTES;
    options.read_buffer_bytes = 1 + (size * 7 + (size ? data[size / 2] : 0)) % 61;
    struct fuzz_run tiny = read_content(data, size, &options);
    options.read_buffer_bytes = 1 << 20;
    options.max_whole_member_bytes = 0;
    struct fuzz_run large = read_content(data, size, &options);
    check(tiny.digest == large.digest);
    check(tiny.events == large.events && tiny.reports == large.reports);
    check(tiny.summary.layout == large.summary.layout);
    return 0;
}
