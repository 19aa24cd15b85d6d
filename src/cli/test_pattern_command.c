/* `trailhound test-pattern`: the offline twin of `aws logs test-metric-filter`. Prints
 * the TestMetricFilter response for a pattern over events given as arguments or read as
 * lines of standard input, streaming so a large file needs little memory. */
#include "cli/commands.h"
#include "patterns/pattern.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Events larger than this are reported and skipped; AWS's own limit is 256 KiB. */
#define TEST_PATTERN_MAX_EVENT_BYTES (1024 * 1024)

static const char test_pattern_help[] =
    "usage: trailhound test-pattern PATTERN [EVENT...]\n"
    "\n"
    "Test a CloudWatch Logs filter pattern against log events, like\n"
    "`aws logs test-metric-filter`. The events are the arguments after PATTERN or, when\n"
    "there are none, the lines of standard input (blank lines are not events).\n"
    "\n"
    "Prints AWS's TestMetricFilter response as one line of JSON:\n"
    "  {\"matches\":[{\"eventNumber\":0,\"eventMessage\":\"...\",\"extractedValues\":{...}}]}\n"
    "eventNumber counts events from 0 in the order given, as the API's examples do;\n"
    "extractedValues holds the fields of space-delimited patterns ($name, or $N by\n"
    "position) and is empty for term, regex and JSON patterns.\n"
    "\n"
    "Exit status: 0 whether or not anything matched; 1 when an event could not be read\n"
    "(too large, not UTF-8: reported on standard error with its line, and skipped);\n"
    "2 when the pattern is invalid, with the column of the problem:\n"
    "  trailhound: invalid filter pattern at column 17: expected a value after '='\n"
    "\n"
    "Example (CIS 4.1, unauthorized API calls):\n"
    "  trailhound test-pattern '{ ($.errorCode =\"*UnauthorizedOperation\") || "
    "($.errorCode =\"AccessDenied*\") && ($.sourceIPAddress!=\"delivery.logs.amazonaws.com\") "
    "&& ($.eventName!=\"HeadBucket\") }' < events.jsonl\n";

struct test_run {
    struct pattern *pattern;
    struct pattern_tester *tester;
    size_t event_number;
    size_t match_count;
    bool input_errors;
};

static bool valid_utf8(const char *text, size_t length)
{
    json_t *probe = json_stringn_nocheck("", 0);
    bool valid = probe && json_string_setn(probe, text, length) == 0;
    json_decref(probe);
    return valid;
}

static void print_match(struct test_run *run, const struct pattern_match *match,
                        const char *message, size_t length)
{
    json_t *record = json_object();
    json_object_set_new(record, "eventNumber", json_integer((json_int_t)run->event_number));
    json_object_set_new(record, "eventMessage", json_stringn(message, length));
    json_object_set_new(record, "extractedValues", pattern_match_extracted_values(match));
    char *text = json_dumps(record, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (text)
        printf("%s%s", run->match_count++ ? "," : "", text);
    free(text);
    json_decref(record);
}

/* Tests one event; `where` names it in error reports (an argument or a line). */
static void test_event(struct test_run *run, const char *message, size_t length,
                       const char *where_kind, size_t where)
{
    if (length > TEST_PATTERN_MAX_EVENT_BYTES || !valid_utf8(message, length)) {
        fprintf(stderr, "trailhound: %s %zu: %s; skipped\n", where_kind, where,
                length > TEST_PATTERN_MAX_EVENT_BYTES ? "event larger than 1048576 bytes"
                                                      : "event is not valid UTF-8");
        run->input_errors = true;
        run->event_number++;
        return;
    }
    const struct pattern_match *match = pattern_tester_test(run->tester, message, length);
    if (match)
        print_match(run, match, message, length);
    run->event_number++;
}

static void test_standard_input(struct test_run *run)
{
    char *line = NULL;
    size_t capacity = 0, line_number = 0;
    ssize_t read;
    while ((read = getline(&line, &capacity, stdin)) >= 0) {
        size_t length = (size_t)read;
        line_number++;
        if (length && line[length - 1] == '\n')
            length--;
        if (length && line[length - 1] == '\r')
            length--;
        if (length == 0)
            continue;
        test_event(run, line, length, "line", line_number);
    }
    if (ferror(stdin)) {
        perror("trailhound: reading standard input");
        run->input_errors = true;
    }
    free(line);
}

static int run_test(const char *pattern_text, int event_count, char **events)
{
    struct pattern_error error;
    struct test_run run = {0};
    run.pattern = pattern_compile(pattern_text, strlen(pattern_text), &error);
    if (!run.pattern) {
        fprintf(stderr, "trailhound: invalid filter pattern at column %zu: %s\n", error.column,
                error.message);
        return 2;
    }
    run.tester = pattern_tester_create(run.pattern);
    if (!run.tester) {
        fprintf(stderr, "trailhound: out of memory\n");
        run.input_errors = true;
    } else {
        printf("{\"matches\":[");
        for (int i = 0; i < event_count; i++)
            test_event(&run, events[i], strlen(events[i]), "event argument", (size_t)i + 1);
        if (event_count == 0)
            test_standard_input(&run);
        printf("]}\n");
    }
    pattern_tester_free(run.tester);
    pattern_free(run.pattern);
    if (fflush(stdout) != 0) {
        perror("trailhound: writing standard output");
        return 1;
    }
    return run.input_errors ? 1 : 0;
}

int test_pattern_command(int argc, char **argv)
{
    int first = 1;
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(test_pattern_help, stdout);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "--") == 0)
        first = 2;
    if (argc <= first) {
        fputs("trailhound: test-pattern needs a PATTERN\n\n", stderr);
        fputs(test_pattern_help, stderr);
        return 2;
    }
    return run_test(argv[first], argc - first - 1, argv + first + 1);
}
