/* trailhound's own failures (daemon/daemon_failures.c): a count survives a transaction that
 * could not be committed and is written with the next one that is, exactly once; a failed
 * delivery of the delivery-failure alarm's own message is not counted (no cascade). */
#include "daemon/daemon_internal.h"
#include "monitor/monitor.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static bool add_bucket(void *context, int64_t start, const struct metric_aggregate *bucket)
{
    (void)start;
    *(double *)context += bucket->sum;
    return true;
}

static double stored(struct store *store, const char *metric_name)
{
    struct metric_identity metric = {.namespace_name = "Trailhound",
                                     .metric_name = (char *)metric_name};
    double sum = 0;
    struct store_error error;
    assert_true(store_datapoints_each(store, &metric, NULL, 60, 0, INT64_MAX / 2, add_bucket, &sum,
                                      &error));
    return sum;
}

static int set_up(void **state)
{
    struct daemon *daemon = calloc(1, sizeof *daemon);
    struct store_error error;
    assert_non_null(daemon);
    assert_non_null(daemon->store = store_open(":memory:", &error));
    *state = daemon;
    return 0;
}

static int tear_down(void **state)
{
    struct daemon *daemon = *state;
    store_close(daemon->store);
    free(daemon);
    return 0;
}

/* What daemon_commit_run does: the counts in the transaction, then settle. */
static bool transaction(struct daemon *daemon, bool commit)
{
    struct store_error error;
    assert_true(store_begin(daemon->store, &error));
    assert_true(daemon_failures_write(daemon, &error));
    bool committed = commit && store_commit(daemon->store, &error);
    if (!commit)
        store_rollback(daemon->store);
    daemon_failures_settle(daemon, committed);
    return committed;
}

static void test_count_waits_for_a_committed_transaction(void **state)
{
    struct daemon *daemon = *state;
    daemon_failure_count(daemon, DAEMON_FAILURE_INGEST);
    daemon_failure_count(daemon, DAEMON_FAILURE_INGEST);
    assert_false(transaction(daemon, false)); /* e.g. the disk is full */
    assert_true(stored(daemon->store, "IngestFailures") == 0);
    daemon_failure_count(daemon, DAEMON_FAILURE_INGEST); /* that commit failed too */
    assert_true(transaction(daemon, true));
    assert_true(stored(daemon->store, "IngestFailures") == 3);
    assert_true(transaction(daemon, true)); /* written once, not again */
    assert_true(stored(daemon->store, "IngestFailures") == 3);
    assert_true(stored(daemon->store, "DeliveryFailures") == 0);
}

static void test_flush_writes_in_its_own_transaction(void **state)
{
    struct daemon *daemon = *state;
    daemon_failure_count(daemon, DAEMON_FAILURE_DELIVERY);
    daemon_failures_flush(daemon);
    assert_true(stored(daemon->store, "DeliveryFailures") == 1);
    daemon_failures_flush(daemon);
    assert_true(stored(daemon->store, "DeliveryFailures") == 1);
}

static void test_own_alarm_failures_are_not_counted(void **state)
{
    struct daemon *daemon = *state;
    struct store_outbox_message own = {.alarm_name = "trailhound-delivery-failures"};
    struct store_outbox_message other = {.alarm_name = "root_usage_alarm"};
    struct store_outbox_message no_alarm = {.alarm_name = NULL, .subject = "published"};
    /* the fallback topic's alert about another failure (silenceTopic may be elsewhere) */
    struct store_outbox_message failure_alert = {.subject = MONITOR_FAILURE_ALERT_SUBJECT};
    daemon_failures_on_failed_attempt(daemon, &own);
    daemon_failures_on_failed_attempt(daemon, &other);
    daemon_failures_on_failed_attempt(daemon, &no_alarm);
    daemon_failures_on_failed_attempt(daemon, &failure_alert);
    daemon_failures_on_failed_attempt(daemon, &own);
    daemon_failures_flush(daemon);
    assert_true(stored(daemon->store, "DeliveryFailures") == 2);
}

static void test_account_and_region_names(void **state)
{
    (void)state;
    assert_true(daemon_silence_valid_account("123456789012", 12));
    assert_false(daemon_silence_valid_account("12345678901", 11));
    assert_false(daemon_silence_valid_account("12345678901a", 12));
    assert_false(daemon_silence_valid_account("1234567890\0"
                                              "12",
                                              12));
    assert_true(daemon_silence_valid_region("us-gov-west-1", 13));
    assert_false(daemon_silence_valid_region("", 0));
    assert_false(daemon_silence_valid_region("US-EAST-1", 9));
    assert_false(daemon_silence_valid_region("us east", 7));
    assert_false(daemon_silence_valid_region("a-region-name-longer-than-32-chars", 34));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_count_waits_for_a_committed_transaction, set_up,
                                        tear_down),
        cmocka_unit_test_setup_teardown(test_flush_writes_in_its_own_transaction, set_up,
                                        tear_down),
        cmocka_unit_test_setup_teardown(test_own_alarm_failures_are_not_counted, set_up, tear_down),
        cmocka_unit_test(test_account_and_region_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
