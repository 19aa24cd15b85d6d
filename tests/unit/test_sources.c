/* Unit tests for the sources stage (src/sources/): layout detection and framing of every
 * fixture in tests/data/layouts, exact reports for broken input, the sliding window (tiny
 * read buffers, so events straddle refills), size limits, gzip (multi-member, the zlib
 * path, truncated and corrupt members), strict validation of whole documents, directory
 * walks, standard input, and a walk over the shared CloudTrail data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "events/event.h"
#include "sources/source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "../support/text_file.h"

#define LAYOUTS_DIR TESTS_DATA_DIR "/layouts"
#define COUNT_OF(array) (sizeof(array) / sizeof((array)[0]))
/* A document given as a string literal, which may hold NUL bytes. */
#define TEXT(literal) (const unsigned char *)(literal), (sizeof(literal) - 1)

/* ---- Collecting what the reader delivers ------------------------------------------------- */

struct collected_event {
    char *path;
    char *message;
    size_t length;
    uint64_t line;
    uint64_t offset;
};

struct collected_report {
    char *path;
    uint64_t line;
    uint64_t offset;
    char *reason;
};

struct collector {
    struct collected_event *events;
    size_t event_count;
    struct collected_report *reports;
    size_t report_count;
    struct source_file_summary *files;
    char **file_paths;
    size_t file_count;
    size_t batches;
    size_t largest_batch;
};

static void *grow(void *items, size_t count, size_t item_size)
{
    /* One more slot; counts are small, so growing one at a time in powers of two. */
    if (count & (count - 1))
        return items;
    void *grown = realloc(items, (count ? count * 2 : 1) * item_size);
    assert_non_null(grown);
    return grown;
}

static char *copy_bytes(const char *bytes, size_t length)
{
    char *copy = malloc(length + 1);
    assert_non_null(copy);
    memcpy(copy, bytes, length);
    copy[length] = '\0';
    return copy;
}

static void collect_events(void *context, const struct source_event *events, size_t count)
{
    struct collector *collector = context;
    assert_true(count > 0 && count <= SOURCE_BATCH_EVENTS);
    collector->batches++;
    if (count > collector->largest_batch)
        collector->largest_batch = count;
    for (size_t i = 0; i < count; i++) {
        collector->events =
            grow(collector->events, collector->event_count, sizeof *collector->events);
        struct collected_event *event = &collector->events[collector->event_count++];
        event->path = copy_bytes(events[i].where.path, strlen(events[i].where.path));
        event->message = copy_bytes(events[i].message, events[i].length);
        event->length = events[i].length;
        event->line = events[i].where.line;
        event->offset = events[i].where.offset;
    }
}

static void collect_report(void *context, const struct source_location *where, const char *reason)
{
    struct collector *collector = context;
    assert_non_null(reason);
    collector->reports =
        grow(collector->reports, collector->report_count, sizeof *collector->reports);
    struct collected_report *report = &collector->reports[collector->report_count++];
    report->path = copy_bytes(where->path, strlen(where->path));
    report->line = where->line;
    report->offset = where->offset;
    report->reason = copy_bytes(reason, strlen(reason));
}

static void collect_file(void *context, const struct source_file_summary *summary)
{
    struct collector *collector = context;
    collector->files = grow(collector->files, collector->file_count, sizeof *collector->files);
    collector->file_paths =
        grow(collector->file_paths, collector->file_count, sizeof *collector->file_paths);
    collector->file_paths[collector->file_count] = copy_bytes(summary->path, strlen(summary->path));
    collector->files[collector->file_count++] = *summary;
}

static void collector_free(struct collector *collector)
{
    for (size_t i = 0; i < collector->event_count; i++) {
        free(collector->events[i].path);
        free(collector->events[i].message);
    }
    for (size_t i = 0; i < collector->report_count; i++) {
        free(collector->reports[i].path);
        free(collector->reports[i].reason);
    }
    for (size_t i = 0; i < collector->file_count; i++)
        free(collector->file_paths[i]);
    free(collector->events);
    free(collector->reports);
    free(collector->files);
    free(collector->file_paths);
    *collector = (struct collector){0};
}

static struct source_handler handler_for(struct collector *collector)
{
    return (struct source_handler){.context = collector,
                                   .on_events = collect_events,
                                   .on_malformed = collect_report,
                                   .on_file_done = collect_file};
}

static uint64_t read_path(struct collector *collector, const char *path,
                          const struct source_options *options)
{
    *collector = (struct collector){0};
    struct source_handler handler = handler_for(collector);
    return source_read_path(path, options, &handler);
}

static void read_fixture(struct collector *collector, const char *name,
                         const struct source_options *options)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", LAYOUTS_DIR, name);
    assert_int_equal(read_path(collector, path, options), 1);
    assert_int_equal(collector->file_count, 1);
}

static void read_memory(struct collector *collector, const unsigned char *content, size_t length,
                        const struct source_options *options)
{
    *collector = (struct collector){0};
    struct source_handler handler = handler_for(collector);
    source_read_buffer("memory", content, length, options, &handler);
    assert_int_equal(collector->file_count, 1);
}

/* The whole file, NUL-terminated; *length excludes the NUL. */
static unsigned char *load_file(const char *path, size_t *length)
{
    unsigned char *bytes = (unsigned char *)text_file_read(path, length);
    assert_non_null(bytes);
    return bytes;
}

static unsigned char *load_fixture(const char *name, size_t *length)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", LAYOUTS_DIR, name);
    return load_file(path, length);
}

/* The three events most fixtures hold, as compact JSON (lines of ndjson.jsonl). */
struct expected_events {
    char *text[3];
    unsigned char *content;
};

static struct expected_events load_expected_events(void)
{
    struct expected_events expected = {{NULL}, NULL};
    size_t length;
    expected.content = load_fixture("ndjson.jsonl", &length);
    char *line = (char *)expected.content;
    for (size_t i = 0; i < 3; i++) {
        char *newline = strchr(line, '\n');
        assert_non_null(newline);
        *newline = '\0';
        expected.text[i] = line;
        line = newline + 1;
    }
    return expected;
}

static void assert_message(const struct collector *collector, size_t index, const char *expected)
{
    assert_true(index < collector->event_count);
    assert_int_equal(collector->events[index].length, strlen(expected));
    assert_memory_equal(collector->events[index].message, expected, strlen(expected));
}

static void assert_message_contains(const struct collector *collector, size_t index,
                                    const char *needle)
{
    assert_true(index < collector->event_count);
    assert_non_null(strstr(collector->events[index].message, needle));
}

/* The delivered events are the three expected ones, exactly. */
static void assert_expected_events(const struct collector *collector)
{
    struct expected_events expected = load_expected_events();
    assert_int_equal(collector->event_count, 3);
    for (size_t i = 0; i < 3; i++)
        assert_message(collector, i, expected.text[i]);
    free(expected.content);
}

/* Each event's text is found at its offset in the (uncompressed) fixture. */
static void assert_events_at_offsets(const struct collector *collector, const char *name)
{
    size_t length;
    unsigned char *content = load_fixture(name, &length);
    for (size_t i = 0; i < collector->event_count; i++) {
        const struct collected_event *event = &collector->events[i];
        assert_true(event->offset + event->length <= length);
        assert_memory_equal(content + event->offset, event->message, event->length);
    }
    free(content);
}

static void assert_report(const struct collector *collector, size_t index, uint64_t line,
                          uint64_t offset, const char *reason)
{
    assert_true(index < collector->report_count);
    assert_int_equal(collector->reports[index].line, line);
    assert_int_equal(collector->reports[index].offset, offset);
    assert_string_equal(collector->reports[index].reason, reason);
}

static void assert_summary(const struct collector *collector, enum source_layout layout,
                           bool compressed, uint64_t events, uint64_t malformed)
{
    assert_int_equal(collector->file_count, 1);
    const struct source_file_summary *summary = &collector->files[0];
    assert_string_equal(source_layout_name(summary->layout), source_layout_name(layout));
    assert_int_equal(summary->compressed, compressed);
    assert_int_equal(summary->events, events);
    assert_int_equal(summary->malformed, malformed);
    assert_int_equal(collector->event_count, events);
    assert_int_equal(collector->report_count, malformed);
}

/* ---- Fixtures: one per layout -------------------------------------------------------------- */

static void test_records(void **state)
{
    (void)state;
    struct collector collector;
    read_fixture(&collector, "records.json", NULL);
    assert_summary(&collector, SOURCE_LAYOUT_RECORDS, false, 3, 0);
    assert_expected_events(&collector);
    assert_events_at_offsets(&collector, "records.json");
    assert_int_equal(collector.events[0].offset, strlen("{\"Records\":["));
    assert_int_equal(collector.events[0].line, 0);
    assert_int_equal(collector.files[0].bytes_read, 3509);
    assert_int_equal(collector.files[0].bytes_decoded, 3509);
    collector_free(&collector);
}

static void test_records_gzip(void **state)
{
    (void)state;
    struct collector collector;
    read_fixture(&collector, "records.json.gz", NULL);
    assert_summary(&collector, SOURCE_LAYOUT_RECORDS, true, 3, 0);
    assert_expected_events(&collector);
    assert_events_at_offsets(&collector, "records.json"); /* offsets are decompressed ones */
    assert_int_equal(collector.files[0].bytes_read, 1076);
    assert_int_equal(collector.files[0].bytes_decoded, 3509);
    collector_free(&collector);
}

static void test_multi_member_gzip(void **state)
{
    (void)state;
    struct collector collector;
    read_fixture(&collector, "multi-member.json.gz", NULL);
    assert_summary(&collector, SOURCE_LAYOUT_RECORDS, true, 3, 0);
    assert_expected_events(&collector);
    assert_events_at_offsets(&collector, "records.json");
    assert_int_equal(collector.files[0].bytes_decoded, 3509);
    collector_free(&collector);
}

static void test_ndjson(void **state)
{
    (void)state;
    struct collector collector;
    read_fixture(&collector, "ndjson.jsonl", NULL);
    assert_summary(&collector, SOURCE_LAYOUT_NDJSON, false, 3, 0);
    assert_expected_events(&collector);
    assert_events_at_offsets(&collector, "ndjson.jsonl");
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(collector.events[i].line, i + 1);
    assert_int_equal(collector.events[0].offset, 0);
    assert_int_equal(collector.events[1].offset, collector.events[0].length + 1);
    collector_free(&collector);
}

static void test_ndjson_crlf(void **state)
{
    (void)state;
    struct collector collector;
    read_fixture(&collector, "ndjson-crlf.jsonl", NULL);
    assert_summary(&collector, SOURCE_LAYOUT_NDJSON, false, 3, 0);
    assert_expected_events(&collector); /* the carriage returns are not part of events */
    assert_int_equal(collector.events[2].line, 3);
    assert_int_equal(collector.events[1].offset, collector.events[0].length + 2);
    collector_free(&collector);
}

static void test_array(void **state)
{
    (void)state;
    struct collector collector;
    read_fixture(&collector, "array.json", NULL);
    assert_summary(&collector, SOURCE_LAYOUT_ARRAY, false, 3, 0);
    assert_events_at_offsets(&collector, "array.json");
    assert_message_contains(&collector, 0, "\"eventName\": \"GetCallerIdentity\"");
    assert_message_contains(&collector, 2, "\"eventName\": \"AssumeRole\"");
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(collector.events[i].message[0], '{');
        assert_int_equal(collector.events[i].message[collector.events[i].length - 1], '}');
    }
    collector_free(&collector);
}

static void test_concatenated(void **state)
{
    (void)state;
    struct collector collector;
    read_fixture(&collector, "concatenated.json", NULL);
    assert_summary(&collector, SOURCE_LAYOUT_CONCATENATED, false, 3, 0);
    assert_events_at_offsets(&collector, "concatenated.json");
    assert_message_contains(&collector, 0, "\"eventName\": \"GetCallerIdentity\"");
    assert_message_contains(&collector, 1, "\"eventName\": \"PutRolePolicy\"");
    struct expected_events expected = load_expected_events();
    assert_message(&collector, 2, expected.text[2]); /* the compact one after "}" */
    free(expected.content);
    collector_free(&collector);
}

static void test_eventbridge(void **state)
{
    (void)state;
    struct collector collector;
    read_fixture(&collector, "eventbridge.json", NULL);
    assert_summary(&collector, SOURCE_LAYOUT_EVENTBRIDGE, false, 1, 0);
    assert_events_at_offsets(&collector, "eventbridge.json");
    assert_message_contains(&collector, 0, "\"eventName\": \"GetCallerIdentity\"");
    assert_null(strstr(collector.events[0].message, "detail-type"));
    assert_int_equal(collector.events[0].message[0], '{');
    collector_free(&collector);
}

static void test_eventbridge_lines(void **state)
{
    (void)state;
    struct collector collector;
    read_fixture(&collector, "eventbridge-lines.jsonl", NULL);
    assert_summary(&collector, SOURCE_LAYOUT_EVENTBRIDGE, false, 3, 0);
    assert_expected_events(&collector);
    assert_events_at_offsets(&collector, "eventbridge-lines.jsonl");
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(collector.events[i].line, i + 1);
    collector_free(&collector);
}

static void test_subscription(void **state)
{
    (void)state;
    struct collector collector;
    read_fixture(&collector, "subscription.json.gz", NULL);
    assert_summary(&collector, SOURCE_LAYOUT_CLOUDWATCH_SUBSCRIPTION, true, 3, 0);
    assert_expected_events(&collector); /* the decoded message strings */
    assert_int_equal(collector.events[0].line, 0);
    collector_free(&collector);
}

static void test_subscription_control(void **state)
{
    (void)state;
    struct collector collector;
    read_fixture(&collector, "subscription-control.json", NULL);
    assert_summary(&collector, SOURCE_LAYOUT_CLOUDWATCH_SUBSCRIPTION, false, 0, 0);
    collector_free(&collector);
}

static void test_cloudwatch_export(void **state)
{
    (void)state;
    struct collector collector;
    read_fixture(&collector, "cloudwatch-export.txt", NULL);
    assert_summary(&collector, SOURCE_LAYOUT_CLOUDWATCH_EXPORT, false, 3, 0);
    assert_expected_events(&collector);
    assert_events_at_offsets(&collector, "cloudwatch-export.txt");
    assert_int_equal(collector.events[0].offset, strlen("2023-07-10T11:54:38.000Z "));
    assert_int_equal(collector.events[2].line, 3);
    collector_free(&collector);
}

static void test_lookup_events(void **state)
{
    (void)state;
    struct collector collector;
    read_fixture(&collector, "lookup-events.json", NULL);
    assert_summary(&collector, SOURCE_LAYOUT_LOOKUP_EVENTS, false, 3, 0);
    assert_expected_events(&collector); /* the decoded CloudTrailEvent strings */
    /* Located at the string's first character. */
    size_t length;
    unsigned char *content = load_fixture("lookup-events.json", &length);
    assert_memory_equal(content + collector.events[0].offset, "{\\\"eventVersion", 15);
    free(content);
    collector_free(&collector);
}

static void test_empty(void **state)
{
    (void)state;
    struct collector collector;
    read_fixture(&collector, "empty.json", NULL);
    assert_summary(&collector, SOURCE_LAYOUT_EMPTY, false, 0, 0);
    assert_int_equal(collector.files[0].bytes_read, 0);
    collector_free(&collector);
}

/* ---- Fixtures: broken ones --------------------------------------------------------------------
 */

static void test_truncated_gzip(void **state)
{
    (void)state;
    struct collector collector;
    read_fixture(&collector, "truncated.json.gz", NULL);
    assert_summary(&collector, SOURCE_LAYOUT_RECORDS, true, 20, 1);
    assert_report(&collector, 0, 0, 35350, "gzip member at byte 0 is truncated");
    assert_message_contains(&collector, 0, "\"eventName\":\"GetUser\"");
    assert_message_contains(&collector, 19, "\"eventName\":\"GetPasswordData\"");
    assert_int_equal(collector.files[0].bytes_decoded, 35350);
    collector_free(&collector);
}

static void test_corrupt_gzip(void **state)
{
    (void)state;
    struct collector collector;
    read_fixture(&collector, "corrupt.json.gz", NULL);
    assert_summary(&collector, SOURCE_LAYOUT_NDJSON, true, 30, 1);
    assert_report(&collector, 0, 0, 55876,
                  "corrupt gzip data at byte 0: invalid literal/lengths set");
    /* The part of line 31 decoded before the damage is not an event. */
    assert_int_equal(collector.events[29].line, 30);
    assert_message_contains(&collector, 29, "\"eventName\":\"GetPasswordData\"");
    collector_free(&collector);
}

static void test_records_truncated(void **state)
{
    (void)state;
    struct collector collector;
    read_fixture(&collector, "records-truncated.json", NULL);
    assert_summary(&collector, SOURCE_LAYOUT_RECORDS, false, 2, 1);
    struct expected_events expected = load_expected_events();
    assert_message(&collector, 0, expected.text[0]);
    assert_message(&collector, 1, expected.text[1]);
    free(expected.content);
    assert_report(&collector, 0, 0, 2715, "unexpected end of file at byte 2715");
    collector_free(&collector);
}

static void test_records_bad_utf8(void **state)
{
    (void)state;
    struct collector collector;
    read_fixture(&collector, "records-bad-utf8.json", NULL);
    assert_summary(&collector, SOURCE_LAYOUT_RECORDS, false, 2, 1);
    assert_message_contains(&collector, 1, "\"eventName\":\"PutRolePolicy\"");
    assert_report(&collector, 0, 0, 2811, "overlong UTF-8 encoding (byte 0xc0) at byte 2811");
    size_t length;
    unsigned char *content = load_fixture("records-bad-utf8.json", &length);
    assert_int_equal(content[2811], 0xc0);
    free(content);
    collector_free(&collector);
}

static void test_ndjson_bad_lines(void **state)
{
    (void)state;
    struct collector collector;
    read_fixture(&collector, "ndjson-bad-lines.jsonl", NULL);
    assert_summary(&collector, SOURCE_LAYOUT_NDJSON, false, 4, 3);
    struct expected_events expected = load_expected_events();
    assert_message(&collector, 0, expected.text[0]);
    assert_message(&collector, 1, expected.text[1]);
    assert_message(&collector, 2, expected.text[2]); /* blanks around it trimmed */
    free(expected.content);
    /* Starts like an event: the consumer validates it, not the reader. */
    assert_message(&collector, 3, "{\"eventVersion\": \"1.08\", \"eventName\": \"Truncated");
    assert_int_equal(collector.events[0].line, 1);
    assert_int_equal(collector.events[1].line, 3);
    assert_int_equal(collector.events[2].line, 6);
    assert_int_equal(collector.events[3].line, 8);
    assert_events_at_offsets(&collector, "ndjson-bad-lines.jsonl");
    size_t line2 = collector.events[0].length + 1;
    assert_report(&collector, 0, 2, line2, "not a JSON object: the line starts with 't'");
    assert_int_equal(collector.reports[1].line, 5);
    assert_string_equal(collector.reports[1].reason, "not a JSON object: the line starts with '['");
    assert_int_equal(collector.reports[2].line, 7);
    assert_string_equal(collector.reports[2].reason, "not a JSON object: the line starts with '<'");
    collector_free(&collector);
}

static void test_not_cloudtrail(void **state)
{
    (void)state;
    struct collector collector;
    read_fixture(&collector, "not-cloudtrail.txt", NULL);
    assert_summary(&collector, SOURCE_LAYOUT_UNRECOGNIZED, false, 0, 1);
    assert_report(&collector, 0, 0, 0,
                  "unrecognized content: neither JSON nor CloudWatch Logs export lines (first "
                  "non-blank is 'T' at byte 0)");
    collector_free(&collector);
}

/* ---- The sliding window: same results whatever the buffer and gzip path ------------------ */

static const char *const all_fixtures[] = {
    "records.json",
    "records.json.gz",
    "multi-member.json.gz",
    "ndjson.jsonl",
    "ndjson-crlf.jsonl",
    "array.json",
    "concatenated.json",
    "eventbridge.json",
    "eventbridge-lines.jsonl",
    "subscription.json.gz",
    "subscription-control.json",
    "cloudwatch-export.txt",
    "lookup-events.json",
    "truncated.json.gz",
    "corrupt.json.gz",
    "records-truncated.json",
    "records-bad-utf8.json",
    "ndjson-bad-lines.jsonl",
    "not-cloudtrail.txt",
    "empty.json",
};

static void assert_same_results(const struct collector *expected, const struct collector *actual)
{
    assert_int_equal(actual->event_count, expected->event_count);
    for (size_t i = 0; i < expected->event_count; i++) {
        assert_int_equal(actual->events[i].length, expected->events[i].length);
        assert_memory_equal(actual->events[i].message, expected->events[i].message,
                            expected->events[i].length);
        assert_int_equal(actual->events[i].line, expected->events[i].line);
        assert_int_equal(actual->events[i].offset, expected->events[i].offset);
    }
    assert_int_equal(actual->report_count, expected->report_count);
    for (size_t i = 0; i < expected->report_count; i++) {
        assert_int_equal(actual->reports[i].line, expected->reports[i].line);
        assert_int_equal(actual->reports[i].offset, expected->reports[i].offset);
        assert_string_equal(actual->reports[i].reason, expected->reports[i].reason);
    }
    assert_int_equal(actual->files[0].layout, expected->files[0].layout);
    assert_int_equal(actual->files[0].events, expected->files[0].events);
    assert_int_equal(actual->files[0].malformed, expected->files[0].malformed);
}

static void test_tiny_buffers_give_the_same_results(void **state)
{
    (void)state;
    static const size_t buffer_sizes[] = {1, 2, 3, 7, 64, 1000, 4096};
    static const size_t whole_member_limits[] = {32u << 20, 0, 1000};
    for (size_t f = 0; f < COUNT_OF(all_fixtures); f++) {
        struct collector expected;
        read_fixture(&expected, all_fixtures[f], NULL);
        size_t length;
        unsigned char *content = load_fixture(all_fixtures[f], &length);
        for (size_t b = 0; b < COUNT_OF(buffer_sizes); b++) {
            for (size_t w = 0; w < COUNT_OF(whole_member_limits); w++) {
                struct source_options options = source_default_options();
                options.read_buffer_bytes = buffer_sizes[b];
                options.max_whole_member_bytes = whole_member_limits[w];
                struct collector actual;
                read_memory(&actual, content, length, &options);
                assert_same_results(&expected, &actual);
                collector_free(&actual);
                /* The same through a file descriptor (streamed, or read whole). */
                char path[512];
                snprintf(path, sizeof path, "%s/%s", LAYOUTS_DIR, all_fixtures[f]);
                read_path(&actual, path, &options);
                assert_same_results(&expected, &actual);
                collector_free(&actual);
            }
        }
        free(content);
        collector_free(&expected);
    }
}

/* ---- Size limits -------------------------------------------------------------------------------
 */

static void test_ndjson_event_larger_than_limit(void **state)
{
    (void)state;
    struct source_options options = source_default_options();
    options.max_event_bytes = 1200; /* the events are 1093, 1310 and 1089 bytes */
    for (size_t buffer = 1; buffer <= 4096; buffer *= 4) {
        options.read_buffer_bytes = buffer;
        struct collector collector;
        read_fixture(&collector, "ndjson.jsonl", &options);
        assert_summary(&collector, SOURCE_LAYOUT_NDJSON, false, 2, 1);
        assert_message_contains(&collector, 0, "GetCallerIdentity");
        assert_message_contains(&collector, 1, "\"AssumeRole\"");
        assert_int_equal(collector.events[1].line, 3);
        assert_report(&collector, 0, 2, 1094, "event larger than 1200 bytes");
        collector_free(&collector);
    }
}

static void test_line_far_larger_than_limit(void **state)
{
    (void)state;
    /* A 20000-byte line with max_event_bytes 100 is given up on before it ends; the reader
     * skips to its newline without holding it. */
    size_t length = 20000 + 64;
    char *content = malloc(length);
    assert_non_null(content);
    memset(content, 'x', length);
    content[0] = '{';
    content[20000] = '\n';
    const char *next = "{\"eventName\":\"Next\"}\n";
    memcpy(content + 20001, next, strlen(next));
    length = 20001 + strlen(next);
    struct source_options options = source_default_options();
    options.max_event_bytes = 100;
    options.read_buffer_bytes = 256;
    struct collector collector;
    read_memory(&collector, (unsigned char *)content, length, &options);
    assert_summary(&collector, SOURCE_LAYOUT_NDJSON, false, 1, 1);
    assert_report(&collector, 0, 1, 0, "event larger than 100 bytes");
    assert_message(&collector, 0, "{\"eventName\":\"Next\"}");
    assert_int_equal(collector.events[0].line, 2);
    assert_int_equal(collector.events[0].offset, 20001);
    collector_free(&collector);
    free(content);
}

static void test_records_event_larger_than_limit(void **state)
{
    (void)state;
    struct source_options options = source_default_options();
    options.max_event_bytes = 1200;
    struct collector collector;
    read_fixture(&collector, "records.json", &options);
    assert_summary(&collector, SOURCE_LAYOUT_RECORDS, false, 1, 1);
    uint64_t second = strlen("{\"Records\":[") + collector.events[0].length + 1;
    char reason[64];
    snprintf(reason, sizeof reason, "event larger than 1200 bytes at byte %llu",
             (unsigned long long)second);
    assert_report(&collector, 0, 0, second, reason);
    collector_free(&collector);
}

static void test_envelope_value_larger_than_limit(void **state)
{
    (void)state;
    /* A member the envelope skips may be up to 2 * max_event_bytes + 64 KiB long. */
    size_t filler = 70000;
    char *content = malloc(filler + 128);
    assert_non_null(content);
    size_t length = (size_t)sprintf(content, "{\"Records\":[{\"eventName\":\"A\"}],\"x\":\"");
    memset(content + length, 'y', filler);
    length += filler;
    length += (size_t)sprintf(content + length, "\",\"Records\":[{}]}");
    struct source_options options = source_default_options();
    options.max_event_bytes = 100;
    for (size_t buffer = 16; buffer <= 1u << 20; buffer *= 16) {
        options.read_buffer_bytes = buffer;
        struct collector collector;
        read_memory(&collector, (unsigned char *)content, length, &options);
        assert_summary(&collector, SOURCE_LAYOUT_RECORDS, false, 1, 1);
        assert_report(&collector, 0, 0, 35, "JSON value larger than 65736 bytes at byte 35");
        collector_free(&collector);
    }
    options.max_event_bytes = 3000; /* 71536 bytes allowed */
    struct collector collector;
    read_memory(&collector, (unsigned char *)content, length, &options);
    assert_summary(&collector, SOURCE_LAYOUT_RECORDS, false, 2, 0);
    collector_free(&collector);
    free(content);
}

/* ---- gzip
 * ------------------------------------------------------------------------------------------ */

/* Compresses `text` as one gzip member. */
static unsigned char *gzip_member(const char *text, size_t length, size_t *compressed_length)
{
    z_stream stream = {0};
    assert_int_equal(deflateInit2(&stream, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
                     Z_OK);
    size_t capacity = deflateBound(&stream, length);
    unsigned char *out = malloc(capacity);
    assert_non_null(out);
    stream.next_in = (Bytef *)(uintptr_t)text;
    stream.avail_in = (uInt)length;
    stream.next_out = out;
    stream.avail_out = (uInt)capacity;
    assert_int_equal(deflate(&stream, Z_FINISH), Z_STREAM_END);
    *compressed_length = stream.total_out;
    deflateEnd(&stream);
    return out;
}

static void test_gzip_member_boundary_inside_event_on_zlib_path(void **state)
{
    (void)state;
    size_t length;
    unsigned char *content = load_fixture("multi-member.json.gz", &length);
    for (size_t buffer = 1; buffer < 5000; buffer = buffer * 3 + 1) {
        struct source_options options = source_default_options();
        options.read_buffer_bytes = buffer;
        options.max_whole_member_bytes = 0; /* zlib only */
        struct collector collector;
        read_memory(&collector, content, length, &options);
        assert_summary(&collector, SOURCE_LAYOUT_RECORDS, true, 3, 0);
        assert_expected_events(&collector);
        collector_free(&collector);
    }
    free(content);
}

static void test_gzip_over_whole_member_limit_streams(void **state)
{
    (void)state;
    /* records.json.gz decodes to 3509 bytes: over a 1000-byte limit it streams through
     * zlib, from memory and from the file. */
    struct source_options options = source_default_options();
    options.max_whole_member_bytes = 1000;
    struct collector collector;
    read_fixture(&collector, "records.json.gz", &options);
    assert_summary(&collector, SOURCE_LAYOUT_RECORDS, true, 3, 0);
    assert_expected_events(&collector);
    collector_free(&collector);
    size_t length;
    unsigned char *content = load_fixture("records.json.gz", &length);
    read_memory(&collector, content, length, &options);
    assert_summary(&collector, SOURCE_LAYOUT_RECORDS, true, 3, 0);
    assert_expected_events(&collector);
    collector_free(&collector);
    free(content);
}

static void test_gzip_many_members_and_trailing_data(void **state)
{
    (void)state;
    /* Ten members, one NDJSON line each, then garbage after the last member. */
    unsigned char content[4096];
    size_t length = 0;
    for (int i = 0; i < 10; i++) {
        char line[64];
        int line_length = snprintf(line, sizeof line, "{\"eventName\":\"E%d\"}\n", i);
        size_t member_length;
        unsigned char *member = gzip_member(line, (size_t)line_length, &member_length);
        memcpy(content + length, member, member_length);
        length += member_length;
        free(member);
    }
    size_t members_end = length;
    memcpy(content + length, "JUNK", 4);
    length += 4;
    struct collector collector;
    read_memory(&collector, content, length, NULL);
    assert_summary(&collector, SOURCE_LAYOUT_NDJSON, true, 10, 1);
    assert_message(&collector, 9, "{\"eventName\":\"E9\"}");
    assert_int_equal(collector.events[9].line, 10);
    char reason[96];
    snprintf(reason, sizeof reason, "unexpected data after the gzip member ending at byte %zu",
             members_end);
    assert_report(&collector, 0, 0, 10 * strlen("{\"eventName\":\"E0\"}\n"), reason);
    collector_free(&collector);
}

/* NDJSON lines with pseudo-random hex, so the member compresses poorly (about half). */
static char *random_ndjson(size_t lines, size_t *length)
{
    char *text = malloc(lines * 160);
    assert_non_null(text);
    uint32_t seed = 12345;
    size_t used = 0;
    for (size_t i = 0; i < lines; i++) {
        used += (size_t)sprintf(text + used, "{\"eventName\":\"E%zu\",\"x\":\"", i);
        for (int c = 0; c < 100; c++) {
            seed = seed * 1103515245u + 12345u;
            text[used++] = "0123456789abcdef"[(seed >> 16) & 15];
        }
        used += (size_t)sprintf(text + used, "\"}\n");
    }
    *length = used;
    return text;
}

static void test_gzip_streamed_member_checks_its_trailer(void **state)
{
    (void)state;
    /* Members over the whole-member limit stream; the trailer's CRC32 and ISIZE are
     * checked. The big member (1.7 MB compressed) is judged by ISA-L alone, the small one
     * (kept whole for replay) by zlib: both report in zlib's words. */
    static const size_t line_counts[] = {20000, 40};
    for (size_t m = 0; m < COUNT_OF(line_counts); m++) {
        size_t lines = line_counts[m];
        size_t text_length;
        char *text = random_ndjson(lines, &text_length);
        size_t length;
        unsigned char *member = gzip_member(text, text_length, &length);
        struct source_options options = source_default_options();
        options.max_whole_member_bytes = 1000;
        struct collector collector;
        read_memory(&collector, member, length, &options);
        assert_summary(&collector, SOURCE_LAYOUT_NDJSON, true, lines, 0);
        assert_int_equal(collector.files[0].bytes_decoded, text_length);
        collector_free(&collector);
        static const struct {
            size_t from_end;
            const char *reason;
        } flips[] = {
            {8, "corrupt gzip data at byte 0: incorrect data check"},   /* CRC32 */
            {4, "corrupt gzip data at byte 0: incorrect length check"}, /* ISIZE */
        };
        for (size_t f = 0; f < COUNT_OF(flips); f++) {
            member[length - flips[f].from_end] ^= 0x01;
            read_memory(&collector, member, length, &options);
            assert_summary(&collector, SOURCE_LAYOUT_NDJSON, true, lines, 1);
            assert_report(&collector, 0, 0, text_length, flips[f].reason);
            collector_free(&collector);
            member[length - flips[f].from_end] ^= 0x01;
        }
        free(member);
        free(text);
    }
}

static void test_gzip_header_only(void **state)
{
    (void)state;
    struct collector collector;
    read_memory(&collector, TEXT("\x1f\x8b"), NULL);
    assert_summary(&collector, SOURCE_LAYOUT_EMPTY, true, 0, 1);
    assert_report(&collector, 0, 0, 0, "gzip member at byte 0 is truncated");
    collector_free(&collector);
}

/* ---- Whole documents: shapes and strict validation ------------------------------------------- */

struct document_case {
    const char *text;
    enum source_layout layout;
    size_t events;
    const char *reason; /* NULL: no report */
};

static void check_document_case(const struct document_case *test)
{
    struct collector collector;
    read_memory(&collector, (const unsigned char *)test->text, strlen(test->text), NULL);
    if (collector.file_count != 1 || collector.files[0].layout != test->layout ||
        collector.event_count != test->events ||
        collector.report_count != (test->reason ? 1u : 0u) ||
        (test->reason && strcmp(collector.reports[0].reason, test->reason) != 0)) {
        print_error("case %s: layout %s, %zu events, %zu reports (%s)\n", test->text,
                    source_layout_name(collector.files[0].layout), collector.event_count,
                    collector.report_count,
                    collector.report_count ? collector.reports[0].reason : "-");
        fail();
    }
    collector_free(&collector);
}

static void test_document_shapes(void **state)
{
    (void)state;
    static const struct document_case cases[] = {
        {"{\"a\":1,\"Records\":[{\"eventName\":\"X\"}],\"b\":[true,null,-1.5e3]}",
         SOURCE_LAYOUT_RECORDS, 1, NULL},
        {"{\"Records\":[]}", SOURCE_LAYOUT_RECORDS, 0, NULL},
        {"{\"Records\":[{\"eventName\":\"A\"},5]}", SOURCE_LAYOUT_RECORDS, 1,
         "array element is not an object at byte 30"},
        {"{\"Records\":{}}", SOURCE_LAYOUT_RECORDS, 0, "\"Records\" is not an array at byte 11"},
        {"{\"Records\":[{}]}{\"Records\":[{},{}]}", SOURCE_LAYOUT_RECORDS, 3, NULL},
        {"{\"Records\":[{}]}{\"other\":1}", SOURCE_LAYOUT_RECORDS, 1,
         "CloudTrail delivery object without \"Records\" at byte 26"},
        {"{\"Records\":[{}]} x", SOURCE_LAYOUT_RECORDS, 1,
         "top-level value is not an object at byte 17"},
        {"[]", SOURCE_LAYOUT_ARRAY, 0, NULL},
        {"[1]", SOURCE_LAYOUT_ARRAY, 0, "array element is not an object at byte 1"},
        {"[{\"eventName\":\"A\"},\n{\"eventName\":\"B\"}]", SOURCE_LAYOUT_ARRAY, 2, NULL},
        {"[{\"eventName\":\"A\"},]", SOURCE_LAYOUT_ARRAY, 1,
         "trailing comma before ']' at byte 19"},
        {"[{\"detail-type\":\"x\",\"detail\":{\"eventName\":\"A\"}},{\"detail\":{}}]",
         SOURCE_LAYOUT_EVENTBRIDGE, 2, NULL},
        {"[{\"detail-type\":\"x\",\"detail\":[]}]", SOURCE_LAYOUT_EVENTBRIDGE, 0,
         "\"detail\" is not an object at byte 29"},
        {"[{\"detail-type\":\"x\"}]", SOURCE_LAYOUT_EVENTBRIDGE, 0,
         "EventBridge envelope without \"detail\" at byte 19"},
        {"[{\"foo\":1}]", SOURCE_LAYOUT_UNRECOGNIZED, 0,
         "unrecognized content: a JSON array whose first element is not a CloudTrail event"},
        {"{\"eventName\":\"A\"}", SOURCE_LAYOUT_NDJSON, 1, NULL},
        {"{\n  \"eventName\": \"A\"\n}\n", SOURCE_LAYOUT_CONCATENATED, 1, NULL},
        {"{\"eventName\":\"A\"}{\"eventName\":\"B\"} {\"x\":1}", SOURCE_LAYOUT_CONCATENATED, 3,
         NULL},
        {"{\"eventName\":\"A\"}{\"eventName\":\"B\"", SOURCE_LAYOUT_CONCATENATED, 1,
         "unexpected end of file at byte 33"},
        {"{\"foo\":1}", SOURCE_LAYOUT_UNRECOGNIZED, 0,
         "unrecognized content: a JSON object without Records, logEvents, Events, detail, "
         "eventVersion or eventName"},
        {"\"just a string\"", SOURCE_LAYOUT_UNRECOGNIZED, 0,
         "unrecognized content: neither JSON nor CloudWatch Logs export lines (first non-blank "
         "is '\"' at byte 0)"},
        {"\xef\xbb\xbf{\"eventName\":\"A\"}\n{\"eventName\":\"B\"}\n", SOURCE_LAYOUT_NDJSON, 2,
         NULL},
        {"  \n\t\r\n", SOURCE_LAYOUT_EMPTY, 0, NULL},
        {"{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[{\"id\":\"1\",\"message\":\"{}\"},"
         "{\"id\":\"2\",\"message\":{\"eventName\":\"raw\"}}]}",
         SOURCE_LAYOUT_CLOUDWATCH_SUBSCRIPTION, 2, NULL},
        {"{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[{\"id\":\"1\",\"message\":7}]}",
         SOURCE_LAYOUT_CLOUDWATCH_SUBSCRIPTION, 0,
         "\"message\" is not a string or an object at byte 63"},
        {"{\"messageType\":\"DATA_MESSAGE\",\"logEvents\":[{\"id\":\"1\"}]}",
         SOURCE_LAYOUT_CLOUDWATCH_SUBSCRIPTION, 0, "log event without \"message\" at byte 52"},
        {"{\"Events\":[{\"CloudTrailEvent\":\"{}\"}],\"NextToken\":\"t\"}",
         SOURCE_LAYOUT_LOOKUP_EVENTS, 1, NULL},
        {"{\"EventId\":\"1\",\"CloudTrailEvent\":\"{}\"}\n{\"EventId\":\"2\",\"CloudTrailEvent\":"
         "\"[]"
         "\"}\n",
         SOURCE_LAYOUT_LOOKUP_EVENTS, 2, NULL},
    };
    for (size_t i = 0; i < COUNT_OF(cases); i++)
        check_document_case(&cases[i]);
}

static void test_strict_validation(void **state)
{
    (void)state;
    /* Each error inside the second event of a Records file: the first event counts. */
    static const struct {
        const char *event;
        const char *reason;
    } cases[] = {
        {"{\"a\":\"x\x01\"}", "unescaped control character 0x01 in string"},
        {"{\"a\":\"\\x\"}", "invalid escape \\x"},
        {"{\"a\":\"\\u12G4\"}", "invalid \\u escape: expected 4 hex digits"},
        {"{\"a\":\"\\udc00\"}", "lone surrogate \\udc00"},
        {"{\"a\":\"\\ud800x\"}", "lone surrogate \\ud800"},
        {"{\"a\":\"\\ud800\\u0041\"}", "lone surrogate \\ud800"},
        {"{\"a\":\"\xed\xa0\x80\"}", "UTF-8 encoded surrogate (bytes 0xed 0xa0)"},
        {"{\"a\":\"\xe0\x80\xaf\"}", "overlong UTF-8 encoding (bytes 0xe0 0x80)"},
        {"{\"a\":\"\xc1\xbf\"}", "overlong UTF-8 encoding (byte 0xc1)"},
        {"{\"a\":\"\xf4\x90\x80\x80\"}", "UTF-8 code point above U+10FFFF (bytes 0xf4 0x90)"},
        {"{\"a\":\"\xe2\x82\"}", "truncated UTF-8 sequence before byte 0x22"},
        {"{\"a\":\"\xff\"}", "invalid UTF-8 byte 0xff"},
        {"{\"a\":01}", "leading zero in number"},
        {"{\"a\":-}", "'-' must be followed by a digit"},
        {"{\"a\":1.}", "fraction needs digits after '.'"},
        {"{\"a\":1e}", "exponent needs digits"},
        {"{\"a\":tru}", "invalid literal, expected 'true'"},
        {"{\"a\":[1,]}", "trailing comma before ']'"},
        {"{\"a\":1,}", "trailing comma before '}'"},
        {"{\"a\" 1}", "expected ':' after object key"},
        {"{a:1}", "expected string key"},
        {"{\"a\":1 \"b\":2}", "expected ',' or '}' after object member"},
        {"{\"a\":[1 2]}", "expected ',' or ']' after array element"},
        {"{\"a\":}", "unexpected '}', expected a value"},
    };
    const char *first = "{\"eventName\":\"Good\",\"s\":\"\\u00e9\\ud83d\\ude00\xc3\xa9\"}";
    for (size_t i = 0; i < COUNT_OF(cases); i++) {
        char document[256];
        int length =
            snprintf(document, sizeof document, "{\"Records\":[%s,%s]}", first, cases[i].event);
        struct collector collector;
        read_memory(&collector, (unsigned char *)document, (size_t)length, NULL);
        if (collector.event_count != 1 || collector.report_count != 1 ||
            strncmp(collector.reports[0].reason, cases[i].reason, strlen(cases[i].reason)) != 0) {
            print_error("case %s: %zu events, report %s\n", cases[i].event, collector.event_count,
                        collector.report_count ? collector.reports[0].reason : "none");
            fail();
        }
        assert_message(&collector, 0, first);
        collector_free(&collector);
    }
}

static void test_error_offsets(void **state)
{
    (void)state;
    const char *document = "{\"Records\":[{\"a\":1},{\"a\":\"x\x01\"}]}";
    struct collector collector;
    read_memory(&collector, (const unsigned char *)document, strlen(document), NULL);
    assert_report(&collector, 0, 0, 27, "unescaped control character 0x01 in string at byte 27");
    assert_int_equal(collector.events[0].offset, 12);
    collector_free(&collector);
}

/* Nesting `depth` arrays deep inside an event's member. */
static char *nested_event(size_t depth)
{
    size_t length = 32 + 2 * depth;
    char *text = malloc(length);
    assert_non_null(text);
    size_t position = (size_t)snprintf(text, length, "{\"Records\":[{\"a\":");
    memset(text + position, '[', depth);
    position += depth;
    memset(text + position, ']', depth);
    position += depth;
    snprintf(text + position, length - position, "}]}");
    return text;
}

static void test_nesting_limit(void **state)
{
    (void)state;
    /* The event object is level 1, so 63 arrays inside it reach EVENT_JSON_MAX_DEPTH. */
    char *deepest = nested_event(EVENT_JSON_MAX_DEPTH - 1);
    struct collector collector;
    read_memory(&collector, (unsigned char *)deepest, strlen(deepest), NULL);
    assert_summary(&collector, SOURCE_LAYOUT_RECORDS, false, 1, 0);
    collector_free(&collector);
    free(deepest);
    char *too_deep = nested_event(EVENT_JSON_MAX_DEPTH);
    read_memory(&collector, (unsigned char *)too_deep, strlen(too_deep), NULL);
    assert_summary(&collector, SOURCE_LAYOUT_RECORDS, false, 0, 1);
    char reason[64];
    snprintf(reason, sizeof reason, "nesting deeper than %d at byte %d", EVENT_JSON_MAX_DEPTH,
             17 + EVENT_JSON_MAX_DEPTH - 1);
    assert_report(&collector, 0, 0, 17 + EVENT_JSON_MAX_DEPTH - 1, reason);
    collector_free(&collector);
    free(too_deep);
}

static void test_decoded_strings(void **state)
{
    (void)state;
    const char *document =
        "{\"Events\":[{\"CloudTrailEvent\":\"{\\\"n\\\":\\\"\\u00e9\\ud83d\\ude00"
        "\\t\\/\\u0000\\\"}\"}]}";
    struct collector collector;
    read_memory(&collector, (const unsigned char *)document, strlen(document), NULL);
    assert_summary(&collector, SOURCE_LAYOUT_LOOKUP_EVENTS, false, 1, 0);
    static const char expected[] = "{\"n\":\"\xc3\xa9\xf0\x9f\x98\x80\t/\0\"}";
    assert_int_equal(collector.events[0].length, sizeof expected - 1);
    assert_memory_equal(collector.events[0].message, expected, sizeof expected - 1);
    assert_int_equal(collector.events[0].offset, 31);
    collector_free(&collector);
}

/* ---- Line layouts -------------------------------------------------------------------------------
 */

static void test_export_lines(void **state)
{
    (void)state;
    const char *text = "2023-07-10T11:45:00.000Z {\"eventName\":\"A\"}\n"
                       "not a timestamp {\"eventName\":\"B\"}\n"
                       "2023-07-10T11:45:01Z {\"eventName\":\"C\"}\r\n"
                       "2023-07-10T11:45:02.5+02:00 plain text\n"
                       "2023-13-10T11:45:02Z {\"eventName\":\"D\"}\n"
                       "\n"
                       "2023-07-10T11:45:03.123456-0500 {\"eventName\":\"E\"}";
    struct collector collector;
    read_memory(&collector, (const unsigned char *)text, strlen(text), NULL);
    assert_summary(&collector, SOURCE_LAYOUT_CLOUDWATCH_EXPORT, false, 3, 3);
    assert_message(&collector, 0, "{\"eventName\":\"A\"}");
    assert_message(&collector, 1, "{\"eventName\":\"C\"}");
    assert_message(&collector, 2, "{\"eventName\":\"E\"}");
    assert_int_equal(collector.events[2].line, 7);
    const char *no_timestamp =
        "not a CloudWatch Logs export line: no ISO-8601 timestamp and space at its start";
    assert_report(&collector, 0, 2, 43, no_timestamp);
    assert_int_equal(collector.reports[1].line, 4);
    assert_string_equal(collector.reports[1].reason,
                        "not a CloudWatch Logs export line: no JSON object after the timestamp");
    assert_int_equal(collector.reports[2].line, 5);
    assert_string_equal(collector.reports[2].reason, no_timestamp);
    collector_free(&collector);
}

/* Each envelope line is a document of its own: an error costs the rest of its line only. */
static void test_envelope_lines_report_bad_lines(void **state)
{
    (void)state;
    const char *text = "{\"detail-type\":\"x\",\"detail\":{\"eventName\":\"A\"}}\n"
                       "{\"detail-type\":\"x\",\"detail\":{\"eventName\":\"B\"},\"bad\":tru}\n"
                       "garbage\n"
                       "{\"detail-type\":\"x\"}\n"
                       "{\"detail-type\":\"x\",\"detail\":{\"eventName\":\"C\"}} {}\n"
                       "{\"detail-type\":\"x\",\"detail\":{\"eventName\":\"D\"}}";
    struct collector collector;
    read_memory(&collector, (const unsigned char *)text, strlen(text), NULL);
    assert_summary(&collector, SOURCE_LAYOUT_EVENTBRIDGE, false, 4, 4);
    assert_message(&collector, 0, "{\"eventName\":\"A\"}");
    assert_message(&collector, 1, "{\"eventName\":\"B\"}"); /* framed before the error */
    assert_message(&collector, 2, "{\"eventName\":\"C\"}");
    assert_message(&collector, 3, "{\"eventName\":\"D\"}");
    assert_int_equal(collector.events[1].line, 2);
    assert_int_equal(collector.events[3].line, 6);
    assert_report(&collector, 0, 2, 99, "invalid literal, expected 'true' at byte 99");
    assert_int_equal(collector.reports[1].line, 3);
    assert_string_equal(collector.reports[1].reason, "not a JSON object: the line starts with 'g'");
    assert_int_equal(collector.reports[2].line, 4);
    assert_string_equal(collector.reports[2].reason,
                        "EventBridge envelope without \"detail\" at byte 130");
    assert_int_equal(collector.reports[3].line, 5);
    assert_string_equal(collector.reports[3].reason,
                        "unexpected content after the JSON value at byte 179");
    collector_free(&collector);
}

static void test_ndjson_first_line_garbage(void **state)
{
    (void)state;
    const char *text = "garbage first\n{\"eventName\":\"A\"}\n{broken\n";
    struct collector collector;
    read_memory(&collector, (const unsigned char *)text, strlen(text), NULL);
    assert_summary(&collector, SOURCE_LAYOUT_NDJSON, false, 2, 1);
    assert_report(&collector, 0, 1, 0, "not a JSON object: the line starts with 'g'");
    assert_message(&collector, 1, "{broken");
    collector_free(&collector);
}

static void test_leading_blanks(void **state)
{
    (void)state;
    /* Blank lines before the first event still count as lines. */
    const char *text = "\n \r\n\t{\"eventName\":\"A\"}\nnope\n";
    struct collector collector;
    read_memory(&collector, (const unsigned char *)text, strlen(text), NULL);
    assert_summary(&collector, SOURCE_LAYOUT_NDJSON, false, 1, 1);
    assert_int_equal(collector.events[0].line, 3);
    assert_int_equal(collector.events[0].offset, 5);
    assert_int_equal(collector.reports[0].line, 4);
    collector_free(&collector);
    /* Far more blanks than the detection looks at are no part of it. */
    struct source_options options = source_default_options();
    options.max_event_bytes = 100;
    options.read_buffer_bytes = 4096;
    size_t blanks = 200000;
    size_t length = blanks + 64;
    char *content = malloc(length);
    assert_non_null(content);
    memset(content, ' ', blanks);
    length =
        blanks + (size_t)snprintf(content + blanks, 64, "{\"Records\":[{\"eventName\":\"A\"}]}");
    read_memory(&collector, (unsigned char *)content, length, &options);
    assert_summary(&collector, SOURCE_LAYOUT_RECORDS, false, 1, 0);
    assert_int_equal(collector.events[0].offset, blanks + 12);
    collector_free(&collector);
    free(content);
}

static void test_batches(void **state)
{
    (void)state;
    size_t count = 3 * SOURCE_BATCH_EVENTS + 17;
    size_t capacity = count * 32;
    char *text = malloc(capacity);
    assert_non_null(text);
    size_t length = 0;
    for (size_t i = 0; i < count; i++)
        length +=
            (size_t)snprintf(text + length, capacity - length, "{\"eventName\":\"E%zu\"}\n", i);
    struct source_options options = source_default_options();
    options.read_buffer_bytes = 1000; /* batches are flushed before every refill */
    struct collector collector;
    read_memory(&collector, (unsigned char *)text, length, &options);
    assert_summary(&collector, SOURCE_LAYOUT_NDJSON, false, count, 0);
    assert_message(&collector, count - 1, "{\"eventName\":\"E12304\"}");
    collector_free(&collector);
    read_memory(&collector, (unsigned char *)text, length, NULL);
    assert_int_equal(collector.largest_batch, SOURCE_BATCH_EVENTS);
    assert_int_equal(collector.batches, 4);
    collector_free(&collector);
    free(text);
}

static void test_empty_input_and_optional_arguments(void **state)
{
    (void)state;
    struct collector collector;
    read_memory(&collector, NULL, 0, NULL);
    assert_summary(&collector, SOURCE_LAYOUT_EMPTY, false, 0, 0);
    collector_free(&collector);
    /* No handler at all, and a handler with no callbacks: nothing to call, nothing breaks. */
    source_read_buffer("memory", TEXT("{\"eventName\":\"A\"}\ngarbage\n"), NULL, NULL);
    struct source_handler empty = {0};
    assert_int_equal(source_read_path(LAYOUTS_DIR "/records.json", NULL, &empty), 1);
}

/* ---- Files, directories, standard input --------------------------------------------------------
 */

static void test_tree(void **state)
{
    (void)state;
    struct collector collector;
    assert_int_equal(read_path(&collector, LAYOUTS_DIR "/tree", NULL), 2);
    assert_int_equal(collector.file_count, 2);
    assert_int_equal(collector.report_count, 0); /* the hidden file is never read */
    assert_int_equal(collector.event_count, 3);
    const char *day = LAYOUTS_DIR "/tree/AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01/";
    assert_string_equal(collector.file_paths[0],
                        LAYOUTS_DIR "/tree/AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/01/"
                                    "123456789012_CloudTrail_us-east-1_20240501T0000Z_"
                                    "Ab3dE5fG7hI9jK1l.json.gz");
    assert_true(strncmp(collector.file_paths[1], day, strlen(day)) == 0);
    assert_non_null(strstr(collector.file_paths[1], "T0005Z"));
    assert_message_contains(&collector, 0, "\"eventName\":\"DescribeVpcs\"");
    assert_message_contains(&collector, 2, "\"eventName\":\"CreateVpc\"");
    assert_string_equal(collector.events[2].path, collector.file_paths[1]);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(collector.files[i].layout, SOURCE_LAYOUT_RECORDS);
        assert_true(collector.files[i].compressed);
    }
    collector_free(&collector);
}

static void write_text_file(const char *path, const char *text)
{
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    assert_int_equal(fwrite(text, 1, strlen(text), file), strlen(text));
    fclose(file);
}

static void test_directory_walk(void **state)
{
    (void)state;
    char root[] = "/tmp/trailhound-sources-XXXXXX";
    assert_non_null(mkdtemp(root));
    char path[512];
    snprintf(path, sizeof path, "%s/b", root);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/b/2.jsonl", root);
    write_text_file(path, "{\"eventName\":\"B2\"}\n");
    snprintf(path, sizeof path, "%s/a.jsonl", root);
    write_text_file(path, "{\"eventName\":\"A\"}\n");
    snprintf(path, sizeof path, "%s/c.jsonl", root);
    write_text_file(path, "{\"eventName\":\"C\"}\n");
    snprintf(path, sizeof path, "%s/.hidden.jsonl", root);
    write_text_file(path, "garbage");
    snprintf(path, sizeof path, "%s/b/loop", root);
    assert_int_equal(symlink("..", path), 0);
    snprintf(path, sizeof path, "%s/b/dangling", root);
    assert_int_equal(symlink("nowhere", path), 0);
    snprintf(path, sizeof path, "%s/fifo", root);
    assert_int_equal(mkfifo(path, 0644), 0);

    struct collector collector;
    assert_int_equal(read_path(&collector, root, NULL), 3);
    assert_int_equal(collector.event_count, 3);
    assert_message(&collector, 0, "{\"eventName\":\"A\"}");
    assert_message(&collector, 1, "{\"eventName\":\"B2\"}");
    assert_message(&collector, 2, "{\"eventName\":\"C\"}");
    assert_int_equal(collector.report_count, 2);
    snprintf(path, sizeof path, "%s/b/dangling", root);
    assert_string_equal(collector.reports[0].path, path);
    assert_string_equal(collector.reports[0].reason, "cannot read: No such file or directory");
    snprintf(path, sizeof path, "%s/b/loop", root);
    assert_string_equal(collector.reports[1].path, path);
    assert_string_equal(collector.reports[1].reason,
                        "symbolic link loop: the directory is already being read");
    /* Files that could not be read get a summary too; directories do not. */
    assert_int_equal(collector.file_count, 4);
    collector_free(&collector);

    const char *names[] = {"b/2.jsonl", "b/loop",        "b/dangling", "b", "a.jsonl",
                           "c.jsonl",   ".hidden.jsonl", "fifo",       ""};
    for (size_t i = 0; i < COUNT_OF(names); i++) {
        snprintf(path, sizeof path, "%s/%s", root, names[i]);
        assert_int_equal(i == 3 || i == COUNT_OF(names) - 1 ? rmdir(path) : unlink(path), 0);
    }
}

static void test_missing_path(void **state)
{
    (void)state;
    struct collector collector;
    assert_int_equal(read_path(&collector, LAYOUTS_DIR "/no-such-file.json", NULL), 0);
    assert_int_equal(collector.report_count, 1);
    assert_report(&collector, 0, 0, 0, "cannot open: No such file or directory");
    assert_string_equal(collector.reports[0].path, LAYOUTS_DIR "/no-such-file.json");
    collector_free(&collector);
}

static void test_unreadable_file(void **state)
{
    (void)state;
    if (geteuid() == 0)
        skip(); /* root reads anything */
    char path[] = "/tmp/trailhound-unreadable-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(chmod(path, 0), 0);
    struct collector collector;
    assert_int_equal(read_path(&collector, path, NULL), 0);
    assert_report(&collector, 0, 0, 0, "cannot open: Permission denied");
    collector_free(&collector);
    unlink(path);
}

static void test_standard_input(void **state)
{
    (void)state;
    /* Standard input is streamed (never read whole), gzip included. */
    int saved = dup(STDIN_FILENO);
    assert_true(saved >= 0);
    int fd = open(LAYOUTS_DIR "/multi-member.json.gz", O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
    close(fd);
    struct source_options options = source_default_options();
    options.read_buffer_bytes = 100;
    struct collector collector;
    assert_int_equal(read_path(&collector, "-", &options), 1);
    assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
    close(saved);
    assert_summary(&collector, SOURCE_LAYOUT_RECORDS, true, 3, 0);
    assert_expected_events(&collector);
    assert_string_equal(collector.events[0].path, "-");
    assert_int_equal(collector.files[0].bytes_read, 1683);
    collector_free(&collector);
}

static void test_large_file_streams(void **state)
{
    (void)state;
    /* 14 MB of NDJSON through a 64 KiB window, plus the same gzip-compressed and larger
     * than the whole-file size, so streamed from the file through zlib. */
    char path[] = "/tmp/trailhound-large-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *file = fdopen(fd, "wb");
    assert_non_null(file);
    char gz_path[sizeof path + 3];
    snprintf(gz_path, sizeof gz_path, "%s.gz", path);
    gzFile compressed = gzopen(gz_path, "wb1");
    assert_non_null(compressed);
    struct expected_events expected = load_expected_events();
    size_t count = 0;
    for (; count < 12000; count++) {
        const char *line = expected.text[count % 3];
        fprintf(file, "%s\n", line);
        gzprintf(compressed, "%s\n", line);
    }
    fclose(file);
    gzclose(compressed);
    struct source_options options = source_default_options();
    options.read_buffer_bytes = 64 * 1024;
    options.max_whole_member_bytes = 64 * 1024;
    const char *paths[] = {path, gz_path};
    for (size_t p = 0; p < 2; p++) {
        struct collector collector;
        assert_int_equal(read_path(&collector, paths[p], &options), 1);
        assert_summary(&collector, SOURCE_LAYOUT_NDJSON, p == 1, count, 0);
        assert_message(&collector, count - 1, expected.text[(count - 1) % 3]);
        assert_int_equal(collector.events[count - 1].line, count);
        collector_free(&collector);
        unlink(paths[p]);
    }
    free(expected.content);
}

static void test_large_file_with_a_long_first_line(void **state)
{
    (void)state;
    /* A file larger than one read whose first line is long (100 KiB): the line is read
     * whole, the layout told from it, and every event and byte follows. */
    char path[] = "/tmp/trailhound-longfirst-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *file = fdopen(fd, "wb");
    assert_non_null(file);
    struct expected_events expected = load_expected_events();
    size_t padding = 100 * 1024;
    char *first = malloc(strlen(expected.text[0]) + padding + 16);
    assert_non_null(first);
    int at = sprintf(first, "{\"padding\":\"");
    memset(first + at, 'x', padding);
    sprintf(first + at + padding, "\",%s", expected.text[0] + 1);
    fprintf(file, "%s\n", first);
    size_t count = 1;
    for (; ftell(file) < 3 * 1024 * 1024; count++)
        fprintf(file, "%s\n", expected.text[count % 3]);
    long size = ftell(file);
    fclose(file);
    struct collector collector;
    assert_int_equal(read_path(&collector, path, NULL), 1);
    assert_summary(&collector, SOURCE_LAYOUT_NDJSON, false, count, 0);
    assert_message(&collector, 0, first);
    assert_message(&collector, count - 1, expected.text[(count - 1) % 3]);
    assert_int_equal(collector.events[count - 1].line, count);
    assert_int_equal(collector.files[0].bytes_read, (uint64_t)size);
    collector_free(&collector);
    unlink(path);
    free(first);
    free(expected.content);
}

/* ---- Holding the reader's memory past the callback ----------------------------------------- */

struct holder {
    const char **messages; /* not copied: they live in held blocks */
    size_t *lengths;
    size_t count, capacity;
    struct source_hold **holds;
    size_t hold_count, hold_capacity;
    size_t unheld; /* events offered without a hold */
};

static void hold_events(void *context, const struct source_event *events, size_t count)
{
    struct holder *holder = context;
    for (size_t i = 0; i < count; i++) {
        if (!events[i].hold) {
            holder->unheld++;
            continue;
        }
        if (holder->count == holder->capacity) {
            holder->capacity = holder->capacity ? holder->capacity * 2 : 64;
            holder->messages = grow(holder->messages, holder->capacity, sizeof *holder->messages);
            holder->lengths = grow(holder->lengths, holder->capacity, sizeof *holder->lengths);
        }
        if (holder->hold_count == holder->hold_capacity) {
            holder->hold_capacity = holder->hold_capacity ? holder->hold_capacity * 2 : 64;
            holder->holds = grow(holder->holds, holder->hold_capacity, sizeof *holder->holds);
        }
        source_hold_retain(events[i].hold);
        holder->holds[holder->hold_count++] = events[i].hold;
        holder->messages[holder->count] = events[i].message;
        holder->lengths[holder->count++] = events[i].length;
    }
}

static void holder_free(struct holder *holder)
{
    for (size_t i = 0; i < holder->hold_count; i++)
        source_hold_release(holder->holds[i]);
    free(holder->holds);
    free(holder->messages);
    free(holder->lengths);
    *holder = (struct holder){0};
}

/* Events whose memory is held stay intact after the reader has moved on and returned,
 * whatever the window size (the window moves to other blocks, and grows for long lines),
 * plain or gzip; decoded strings are offered without a hold. */
static void test_held_events(void **state)
{
    (void)state;
    enum { COUNT = 3000 };
    size_t capacity = (size_t)COUNT * 700;
    char *text = malloc(capacity);
    assert_non_null(text);
    size_t length = 0;
    for (size_t i = 0; i < COUNT; i++)
        length += (size_t)snprintf(text + length, capacity - length,
                                   "{\"eventName\":\"E%zu\",\"pad\":\"%*s\"}\n", i,
                                   (int)(i * 7919 % (i % 500 == 0 ? 600 : 90)), "");
    uLongf packed_capacity = compressBound((uLong)length) + 64;
    unsigned char *packed = malloc(packed_capacity);
    assert_non_null(packed);
    z_stream stream = {0};
    assert_int_equal(deflateInit2(&stream, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    stream.next_in = (unsigned char *)text;
    stream.avail_in = (uInt)length;
    stream.next_out = packed;
    stream.avail_out = (uInt)packed_capacity;
    assert_int_equal(deflate(&stream, Z_FINISH), Z_STREAM_END);
    size_t packed_length = stream.total_out;
    deflateEnd(&stream);
    static const size_t buffers[] = {64, 1000, 4096, 65536, 0};
    for (size_t b = 0; b < COUNT_OF(buffers); b++) {
        for (int gzip = 0; gzip < 2; gzip++) {
            struct source_options options = source_default_options();
            if (buffers[b])
                options.read_buffer_bytes = buffers[b];
            struct holder holder = {0};
            struct source_handler handler = {.context = &holder, .on_events = hold_events};
            if (gzip)
                source_read_buffer("memory.gz", packed, packed_length, &options, &handler);
            else
                source_read_buffer("memory", (unsigned char *)text, length, &options, &handler);
            assert_int_equal(holder.unheld, 0);
            assert_int_equal(holder.count, COUNT);
            size_t at = 0;
            for (size_t i = 0; i < COUNT; i++) {
                const char *end = memchr(text + at, '\n', length - at);
                assert_non_null(end);
                assert_int_equal(holder.lengths[i], (size_t)(end - (text + at)));
                assert_memory_equal(holder.messages[i], text + at, holder.lengths[i]);
                at = (size_t)(end - text) + 1;
            }
            holder_free(&holder);
        }
    }
    free(packed);
    free(text);
    struct holder holder = {0};
    struct source_handler handler = {.context = &holder, .on_events = hold_events};
    char path[512];
    snprintf(path, sizeof path, "%s/%s", LAYOUTS_DIR, "lookup-events.json");
    assert_int_equal(source_read_path(path, NULL, &handler), 1);
    assert_true(holder.unheld > 0);
    holder_free(&holder);
}

/* ---- The shared CloudTrail data
 * ------------------------------------------------------------------- */

static void test_shared_data(void **state)
{
    (void)state;
    const char *data = SHARED_DIR "/data/cloudtrail";
    struct stat status;
    if (stat(data, &status) != 0 || !S_ISDIR(status.st_mode)) {
        print_message("skipping: %s is absent\n", data);
        skip();
    }
    struct collector collector;
    uint64_t files = read_path(&collector, data, NULL);
    assert_true(files > 600);
    assert_true(collector.event_count > 6000);
    for (size_t i = 0; i < collector.report_count; i++) {
        assert_true(strlen(collector.reports[i].reason) > 0);
        assert_non_null(collector.reports[i].path);
    }
    for (size_t i = 0; i < collector.event_count; i++) {
        assert_true(collector.events[i].length > 0);
        assert_int_equal(collector.events[i].message[0], '{');
    }
    print_message("shared data: %llu files, %zu events, %zu reports\n", (unsigned long long)files,
                  collector.event_count, collector.report_count);
    collector_free(&collector);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records),
        cmocka_unit_test(test_held_events),
        cmocka_unit_test(test_records_gzip),
        cmocka_unit_test(test_multi_member_gzip),
        cmocka_unit_test(test_ndjson),
        cmocka_unit_test(test_ndjson_crlf),
        cmocka_unit_test(test_array),
        cmocka_unit_test(test_concatenated),
        cmocka_unit_test(test_eventbridge),
        cmocka_unit_test(test_eventbridge_lines),
        cmocka_unit_test(test_subscription),
        cmocka_unit_test(test_subscription_control),
        cmocka_unit_test(test_cloudwatch_export),
        cmocka_unit_test(test_lookup_events),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_truncated_gzip),
        cmocka_unit_test(test_corrupt_gzip),
        cmocka_unit_test(test_records_truncated),
        cmocka_unit_test(test_records_bad_utf8),
        cmocka_unit_test(test_ndjson_bad_lines),
        cmocka_unit_test(test_not_cloudtrail),
        cmocka_unit_test(test_tiny_buffers_give_the_same_results),
        cmocka_unit_test(test_ndjson_event_larger_than_limit),
        cmocka_unit_test(test_line_far_larger_than_limit),
        cmocka_unit_test(test_records_event_larger_than_limit),
        cmocka_unit_test(test_envelope_value_larger_than_limit),
        cmocka_unit_test(test_gzip_member_boundary_inside_event_on_zlib_path),
        cmocka_unit_test(test_gzip_over_whole_member_limit_streams),
        cmocka_unit_test(test_gzip_many_members_and_trailing_data),
        cmocka_unit_test(test_gzip_header_only),
        cmocka_unit_test(test_gzip_streamed_member_checks_its_trailer),
        cmocka_unit_test(test_document_shapes),
        cmocka_unit_test(test_strict_validation),
        cmocka_unit_test(test_error_offsets),
        cmocka_unit_test(test_nesting_limit),
        cmocka_unit_test(test_decoded_strings),
        cmocka_unit_test(test_export_lines),
        cmocka_unit_test(test_envelope_lines_report_bad_lines),
        cmocka_unit_test(test_ndjson_first_line_garbage),
        cmocka_unit_test(test_leading_blanks),
        cmocka_unit_test(test_batches),
        cmocka_unit_test(test_empty_input_and_optional_arguments),
        cmocka_unit_test(test_tree),
        cmocka_unit_test(test_directory_walk),
        cmocka_unit_test(test_missing_path),
        cmocka_unit_test(test_unreadable_file),
        cmocka_unit_test(test_standard_input),
        cmocka_unit_test(test_large_file_streams),
        cmocka_unit_test(test_large_file_with_a_long_first_line),
        cmocka_unit_test(test_shared_data),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
