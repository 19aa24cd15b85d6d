/* Conformance of the pattern engine with AWS's filter-pattern language: every scoreable
 * row of the shared case table (copied into tests/data, spec §11), the rows where the spec
 * is unsure with the behaviour we chose (tests/data/filter-pattern-decisions.tsv, see
 * docs/filter-pattern-decisions.md), and our own extra cases. Each row runs twice: through
 * the pattern engine alone, and through the scan's path (metrics/filter_scan: union of
 * selectors, index maps, the raw-bytes pre-test), so both paths agree. */
#include "events/event.h"
#include "metrics/metrics.h"
#include "patterns/pattern.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../support/text_file.h"

/* Rows of filter-pattern-cases.tsv whose expected value is match, nomatch or error. */
#define SCOREABLE_SHARED_ROWS 331
#define UNKNOWN_SHARED_ROWS 5

struct table_result {
    size_t scored, unknown, failed;
};

static bool evaluate_case(const char *id, const char *pattern_text, const char *message,
                          const char *expected)
{
    struct pattern_error error;
    struct pattern *pattern = pattern_compile(pattern_text, strlen(pattern_text), &error);
    bool expect_error = strcmp(expected, "error") == 0;
    if (!pattern) {
        if (!expect_error)
            print_error("%s: unexpected compile error at column %zu: %s\n", id, error.column,
                        error.message);
        return expect_error;
    }
    if (expect_error) {
        print_error("%s: pattern compiled but AWS rejects it\n", id);
        pattern_free(pattern);
        return false;
    }
    size_t selector_count;
    const struct selector *selectors = pattern_selectors(pattern, &selector_count);
    struct event_extractor *extractor = event_extractor_create();
    struct pattern_match *match = pattern_match_create();
    struct event event = event_from_text(message, strlen(message));
    event_extract_json(extractor, message, strlen(message), selectors, selector_count, &event,
                       NULL);
    bool matched = pattern_evaluate(pattern, &event, match);
    bool passed = matched == (strcmp(expected, "match") == 0);
    if (!passed)
        print_error("%s: expected %s, got %s\n", id, expected, matched ? "match" : "nomatch");
    pattern_match_free(match);
    event_extractor_free(extractor);
    pattern_free(pattern);
    return passed;
}

/* The same row through the scan's path: a metric filter in a filter set whose selectors
 * are read in one union, seen through an index map, behind the literal pre-test. The
 * evidence selectors join the union, so index maps are exercised. */
static bool scan_path_agrees(const char *id, const char *pattern_text, const char *message,
                             bool expected_match)
{
    struct metric_filter_definition definition = {
        .filter_name = (char *)id,
        .filter_pattern = (char *)pattern_text,
        .transformation = {.metric_name = (char *)id,
                           .metric_namespace = "Conformance",
                           .metric_value = "1"},
    };
    struct metric_filter_list list = {0};
    struct metrics_error error;
    metric_filter_list_append(&list, &definition);
    struct filter_scan *scan = filter_scan_create(&list, true, &error);
    bool agrees = false;
    if (scan) {
        struct event_json_error json_error;
        bool is_json = filter_scan_event(scan, message, strlen(message), &json_error);
        /* the scan path only takes JSON events; non-JSON rows must not match there */
        bool matched = is_json && filter_scan_matches(scan, 0) == 1;
        agrees = matched == (expected_match && is_json);
        if (!agrees)
            print_error("%s: the scan path says %s\n", id, matched ? "match" : "nomatch");
    }
    filter_scan_free(scan);
    metric_filter_list_free(&list);
    return agrees;
}

/* Runs a table; rows marked unknown are counted, not scored. */
static struct table_result run_table(const char *path)
{
    struct table_result result = {0};
    size_t length;
    char *text = text_file_read(path, &length);
    if (!text)
        fail_msg("cannot read %s", path);
    char *line = strchr(text, '\n') + 1; /* skip the header */
    while (line && *line) {
        char *end = strchr(line, '\n');
        if (end)
            *end = '\0';
        char *fields[6] = {0};
        size_t count = text_split_tabs(line, fields, 5);
        if (count < 4)
            fail_msg("%s: unparsable row: %s", path, line);
        const char *expected = fields[3];
        if (strcmp(expected, "unknown") == 0) {
            result.unknown++;
        } else if (strcmp(expected, "match") == 0 || strcmp(expected, "nomatch") == 0 ||
                   strcmp(expected, "error") == 0) {
            result.scored++;
            if (!evaluate_case(fields[0], fields[1], fields[2], expected))
                result.failed++;
            else if (strcmp(expected, "error") != 0 &&
                     !scan_path_agrees(fields[0], fields[1], fields[2],
                                       strcmp(expected, "match") == 0))
                result.failed++;
        } else {
            fail_msg("%s: row %s has unknown expectation '%s'", path, fields[0], expected);
        }
        line = end ? end + 1 : NULL;
    }
    free(text);
    return result;
}

static void shared_table_passes(void **state)
{
    (void)state;
    struct table_result result = run_table(TESTS_DATA_DIR "/filter-pattern-cases.tsv");
    assert_int_equal(result.scored, SCOREABLE_SHARED_ROWS);
    assert_int_equal(result.unknown, UNKNOWN_SHARED_ROWS);
    assert_int_equal(result.failed, 0);
}

static void decisions_table_passes(void **state)
{
    (void)state;
    struct table_result result = run_table(TESTS_DATA_DIR "/filter-pattern-decisions.tsv");
    assert_true(result.scored >= UNKNOWN_SHARED_ROWS);
    assert_int_equal(result.unknown, 0);
    assert_int_equal(result.failed, 0);
}

static void own_cases_pass(void **state)
{
    (void)state;
    struct table_result result = run_table(TESTS_DATA_DIR "/filter-pattern-cases-trailhound.tsv");
    assert_true(result.scored > 50);
    assert_int_equal(result.unknown, 0);
    assert_int_equal(result.failed, 0);
}

/* The repo's copy must stay the shared table; skipped in a clone without ../shared. */
static void copy_matches_shared_table(void **state)
{
    (void)state;
    size_t shared_length, copy_length;
    char *shared = text_file_read(SHARED_DIR "/spec/filter-pattern-cases.tsv", &shared_length);
    if (!shared) {
        print_message("skipped: %s/spec is absent (a user's clone has no ../shared)\n", SHARED_DIR);
        skip();
    }
    char *copy = text_file_read(TESTS_DATA_DIR "/filter-pattern-cases.tsv", &copy_length);
    assert_non_null(copy);
    assert_int_equal(shared_length, copy_length);
    assert_memory_equal(shared, copy, copy_length);
    free(shared);
    free(copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shared_table_passes),
        cmocka_unit_test(decisions_table_passes),
        cmocka_unit_test(own_cases_pass),
        cmocka_unit_test(copy_matches_shared_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
