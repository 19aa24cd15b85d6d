/* The report `trailhound scan` prints: a table a person reads at a glance, or one JSON
 * object for programs. Internal to the cli. */
#ifndef TRAILHOUND_CLI_SCAN_REPORT_H
#define TRAILHOUND_CLI_SCAN_REPORT_H

#include "cli/scan_alarms.h"
#include "metrics/metrics.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Malformed-input reports listed in the output; beyond this only the count grows. */
#define SCAN_REPORT_MAX_MALFORMED 10000
/* Entries of each top list. */
#define SCAN_REPORT_TOP 10

enum scan_format { SCAN_FORMAT_TEXT, SCAN_FORMAT_JSON };

struct scan_totals {
    uint64_t files;
    uint64_t files_already_counted; /* --db: skipped, their events are in the store */
    uint64_t events;
    uint64_t bytes_read;
    uint64_t bytes_decoded;
    uint64_t malformed;
    uint64_t unvalidated; /* events the pre-test set aside undecoded */
    double seconds;
};

struct scan_malformed {
    const char *file;
    uint64_t line; /* 0: not line-oriented, see offset */
    uint64_t offset;
    const char *reason;
};

struct scan_report {
    struct scan_totals totals;
    const struct filter_scan *scan;
    const struct metric_filter_list *filters;
    const struct scan_malformed *malformed;
    size_t malformed_listed;
    const struct scan_alarm_replay *alarms; /* NULL: no alarms loaded */
    uint64_t untimed;  /* matches without a readable eventTime (no data point) */
    bool suppressions; /* rules are loaded: show what they suppressed */
};

/* False when writing failed. */
bool scan_report_print(FILE *out, enum scan_format format, const struct scan_report *report);

#endif
