/* The notification outbox in the store: adding (inside the caller's transaction), the due
 * messages in order per (subscription, alarm), recording attempts, listing, the next due
 * time, and pending messages surviving a reopen. */
#define _XOPEN_SOURCE 700
#include "store/store.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../support/temp_store.h"

#define NOW_MS INT64_C(1700000000000)

static int set_up(void **state)
{
    *state = temp_store_new("test_store_outbox", "trailhound.db", true);
    return 0;
}

static int tear_down(void **state)
{
    return temp_store_free(*state);
}

/* ---- building and collecting messages ------------------------------------------------ */

/* A message for `subscription` about `alarm` (NULL: none), due at `due_ms`. */
static struct store_outbox_message message_of(const char *message_id, const char *subscription,
                                              const char *alarm, int64_t due_ms)
{
    return (struct store_outbox_message){
        .message_id = message_id,
        .alarm_name = alarm,
        .topic_arn = "arn:aws:sns:us-east-1:123456789012:alerts",
        .subscription_arn = subscription,
        .protocol = "https",
        .endpoint = "env:HOOK_URL",
        .subject = "ALARM: \"a\" in US East (N. Virginia)",
        .body = "{\"AlarmName\":\"a\"}",
        .attributes_json = "{\"messageType\":\"Notification\"}",
        .policy = "sns-default",
        .created_ms = due_ms,
        .next_attempt_ms = due_ms,
    };
}

static int64_t add_message(struct store *store, struct store_outbox_message message)
{
    struct store_error error;
    message.id = 0;
    if (!store_outbox_add(store, &message, &error))
        fail_msg("store_outbox_add: %s", error.message);
    assert_true(message.id > 0);
    return message.id;
}

#define MAX_ROWS 16

struct rows {
    char text[MAX_ROWS][512];
    size_t count;
    size_t stop_after; /* 0: never stop */
};

/* Message ids only, the short form most tests compare. */
static bool collect_message_id(void *context, const struct store_outbox_message *message)
{
    struct rows *rows = context;
    assert_true(rows->count < MAX_ROWS);
    snprintf(rows->text[rows->count++], sizeof rows->text[0], "%s", message->message_id);
    return rows->stop_after == 0 || rows->count < rows->stop_after;
}

static const char *or_null(const char *text)
{
    return text ? text : "(null)";
}

/* Every field. */
static bool collect_message(void *context, const struct store_outbox_message *message)
{
    struct rows *rows = context;
    assert_true(rows->count < MAX_ROWS);
    snprintf(rows->text[rows->count++], sizeof rows->text[0],
             "%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%d|%lld|%lld|%lld|%s", message->message_id,
             or_null(message->alarm_name), message->topic_arn, message->subscription_arn,
             message->protocol, message->endpoint, or_null(message->subject), message->body,
             message->attributes_json, message->policy, message->state, message->attempts,
             (long long)message->created_ms, (long long)message->first_attempt_ms,
             (long long)message->next_attempt_ms, or_null(message->last_error));
    return true;
}

static struct rows due(struct store *store, int64_t now_ms, size_t limit)
{
    struct rows rows = {0};
    struct store_error error;
    if (!store_outbox_due(store, now_ms, limit, collect_message_id, &rows, &error))
        fail_msg("store_outbox_due: %s", error.message);
    return rows;
}

static struct rows list(struct store *store, const char *state, size_t limit,
                        bool (*collect)(void *, const struct store_outbox_message *))
{
    struct rows rows = {0};
    struct store_error error;
    if (!store_outbox_list(store, state, limit, collect, &rows, &error))
        fail_msg("store_outbox_list: %s", error.message);
    return rows;
}

static void assert_rows(const struct rows *rows, size_t count, const char *const *expected)
{
    assert_int_equal(rows->count, count);
    for (size_t i = 0; i < count; i++)
        assert_string_equal(rows->text[i], expected[i]);
}

static void record(struct store *store, int64_t id, const char *state, int attempts,
                   int64_t first_ms, int64_t next_ms, const char *last_error)
{
    struct store_error error;
    if (!store_outbox_record(store, id, state, attempts, first_ms, next_ms, last_error, &error))
        fail_msg("store_outbox_record: %s", error.message);
}

#define SUB_A "arn:aws:sns:us-east-1:123456789012:alerts:aaaa"
#define SUB_B "arn:aws:sns:us-east-1:123456789012:alerts:bbbb"

/* ---- tests --------------------------------------------------------------------------- */

static void add_keeps_every_field_and_ignores_the_outcome(void **state)
{
    struct temp_store *fixture = *state;
    struct store_outbox_message message = message_of("m-1", SUB_A, "root-alarm", NOW_MS);
    message.state = "delivered"; /* ignored: a new message is pending */
    message.attempts = 7;
    message.first_attempt_ms = NOW_MS - 5;
    message.last_error = "ignored";
    add_message(fixture->store, message);
    struct store_outbox_message bare = message_of("m-2", SUB_B, NULL, NOW_MS + 1);
    bare.subject = NULL;
    bare.created_ms = NOW_MS;
    add_message(fixture->store, bare);

    struct rows rows = list(fixture->store, NULL, 0, collect_message);
    assert_rows(&rows, 2,
                (const char *const[]){
                    "m-2|(null)|arn:aws:sns:us-east-1:123456789012:alerts|" SUB_B
                    "|https|env:HOOK_URL|(null)|{\"AlarmName\":\"a\"}|{\"messageType\":"
                    "\"Notification\"}|sns-default|pending|0|1700000000000|0|1700000000001|(null)",
                    "m-1|root-alarm|arn:aws:sns:us-east-1:123456789012:alerts|" SUB_A
                    "|https|env:HOOK_URL|ALARM: \"a\" in US East (N. Virginia)|{\"AlarmName\":"
                    "\"a\"}|{\"messageType\":\"Notification\"}|sns-default|pending|0|"
                    "1700000000000|0|1700000000000|(null)",
                });
}

static void add_refuses_incomplete_messages(void **state)
{
    struct temp_store *fixture = *state;
    struct store_error error;
    struct store_outbox_message message = message_of("m-1", SUB_A, "a", NOW_MS);
    message.body = NULL;
    assert_false(store_outbox_add(fixture->store, &message, &error));
    assert_non_null(strstr(error.message, "cannot add the message to the outbox"));
    assert_non_null(strstr(error.message, "outbox.body"));

    message = message_of("m-1", SUB_A, "a", NOW_MS);
    message.attributes_json = "{not json";
    assert_false(store_outbox_add(fixture->store, &message, &error));
    assert_non_null(strstr(error.message, "CHECK constraint failed"));

    /* the message id is the receivers' idempotency key: one row per id */
    add_message(fixture->store, message_of("m-1", SUB_A, "a", NOW_MS));
    message = message_of("m-1", SUB_B, "b", NOW_MS);
    assert_false(store_outbox_add(fixture->store, &message, &error));
    assert_non_null(strstr(error.message, "UNIQUE constraint failed: outbox.message_id"));
    assert_int_equal(list(fixture->store, NULL, 0, collect_message_id).count, 1);
}

/* A second message for the same (subscription, alarm) waits while the first is pending;
 * other alarms, other subscriptions and messages without an alarm have their own lines. */
static void due_keeps_order_per_subscription_and_alarm(void **state)
{
    struct temp_store *fixture = *state;
    struct store *store = fixture->store;
    int64_t trigger = add_message(store, message_of("trigger", SUB_A, "x", NOW_MS));
    add_message(store, message_of("resolve", SUB_A, "x", NOW_MS));
    add_message(store, message_of("other-alarm", SUB_A, "y", NOW_MS));
    add_message(store, message_of("other-subscription", SUB_B, "x", NOW_MS));
    int64_t confirmation = add_message(store, message_of("confirm", SUB_A, NULL, NOW_MS));
    add_message(store, message_of("confirm-again", SUB_A, NULL, NOW_MS));

    struct rows rows = due(store, NOW_MS, 0);
    assert_rows(&rows, 4,
                (const char *const[]){"trigger", "other-alarm", "other-subscription", "confirm"});

    /* a retry scheduled later keeps its line blocked, even when the next is due now */
    record(store, trigger, "pending", 1, NOW_MS, NOW_MS + 20000, "HTTP 503");
    rows = due(store, NOW_MS + 1000, 0);
    assert_rows(&rows, 3, (const char *const[]){"other-alarm", "other-subscription", "confirm"});
    rows = due(store, NOW_MS + 20000, 0);
    assert_rows(&rows, 4,
                (const char *const[]){"trigger", "other-alarm", "other-subscription", "confirm"});

    /* delivered or failed, the next in line becomes due */
    record(store, trigger, "delivered", 2, NOW_MS, NOW_MS + 20000, NULL);
    record(store, confirmation, "failed", 1, NOW_MS, NOW_MS, "gave up");
    rows = due(store, NOW_MS + 20000, 0);
    assert_rows(
        &rows, 4,
        (const char *const[]){"resolve", "other-alarm", "other-subscription", "confirm-again"});
}

static void due_respects_time_limit_and_stop(void **state)
{
    struct temp_store *fixture = *state;
    struct store *store = fixture->store;
    add_message(store, message_of("later", SUB_A, "x", NOW_MS + 60000));
    add_message(store, message_of("now-1", SUB_A, "y", NOW_MS));
    add_message(store, message_of("now-2", SUB_A, "z", NOW_MS - 1));
    add_message(store, message_of("now-3", SUB_B, "z", NOW_MS));

    struct rows rows = due(store, NOW_MS - 2, 0);
    assert_int_equal(rows.count, 0);
    rows = due(store, NOW_MS, 2);
    assert_rows(&rows, 2, (const char *const[]){"now-1", "now-2"});
    rows = due(store, NOW_MS + 60000, 0);
    assert_rows(&rows, 4, (const char *const[]){"later", "now-1", "now-2", "now-3"});

    struct rows stopped = {.stop_after = 1};
    struct store_error error;
    assert_true(store_outbox_due(store, NOW_MS, 0, collect_message_id, &stopped, &error));
    assert_rows(&stopped, 1, (const char *const[]){"now-1"});
}

static void record_moves_a_message_through_its_states(void **state)
{
    struct temp_store *fixture = *state;
    struct store *store = fixture->store;
    int64_t id = add_message(store, message_of("m", SUB_A, "x", NOW_MS));
    record(store, id, "pending", 1, NOW_MS, NOW_MS + 20000, "HTTP 503 Service Unavailable");
    struct rows rows = list(store, NULL, 0, collect_message);
    assert_int_equal(rows.count, 1);
    assert_non_null(strstr(rows.text[0], "|pending|1|1700000000000|1700000000000|1700000020000|"
                                         "HTTP 503 Service Unavailable"));

    record(store, id, "delivered", 2, NOW_MS, NOW_MS + 20000, NULL);
    rows = list(store, NULL, 0, collect_message);
    assert_non_null(
        strstr(rows.text[0], "|delivered|2|1700000000000|1700000000000|1700000020000|(null)"));
    assert_int_equal(due(store, INT64_MAX, 0).count, 0);

    struct store_error error;
    assert_false(store_outbox_record(store, id, "lost", 3, NOW_MS, NOW_MS, NULL, &error));
    assert_non_null(strstr(error.message, "CHECK constraint failed"));
    assert_false(store_outbox_record(store, id + 100, "failed", 1, NOW_MS, NOW_MS, "x", &error));
    assert_string_equal(error.message, "cannot record the delivery attempt: no outbox message 101");
}

static void list_filters_by_state_newest_first(void **state)
{
    struct temp_store *fixture = *state;
    struct store *store = fixture->store;
    int64_t first = add_message(store, message_of("first", SUB_A, "x", NOW_MS));
    add_message(store, message_of("second", SUB_A, "y", NOW_MS));
    int64_t third = add_message(store, message_of("third", SUB_A, "z", NOW_MS));
    add_message(store, message_of("fourth", SUB_B, "z", NOW_MS));
    record(store, first, "failed", 1, NOW_MS, NOW_MS, "HTTP 400");
    record(store, third, "delivered", 1, NOW_MS, NOW_MS, NULL);

    struct rows rows = list(store, NULL, 0, collect_message_id);
    assert_rows(&rows, 4, (const char *const[]){"fourth", "third", "second", "first"});
    rows = list(store, NULL, 3, collect_message_id);
    assert_rows(&rows, 3, (const char *const[]){"fourth", "third", "second"});
    rows = list(store, "pending", 0, collect_message_id);
    assert_rows(&rows, 2, (const char *const[]){"fourth", "second"});
    rows = list(store, "pending", 1, collect_message_id);
    assert_rows(&rows, 1, (const char *const[]){"fourth"});
    rows = list(store, "failed", 0, collect_message_id);
    assert_rows(&rows, 1, (const char *const[]){"first"});
    rows = list(store, "delivered", 0, collect_message_id);
    assert_rows(&rows, 1, (const char *const[]){"third"});
}

static void assert_next_due(struct store *store, bool expected_found, int64_t expected_ms)
{
    bool found = !expected_found;
    int64_t next_ms = -1;
    struct store_error error;
    assert_true(store_outbox_next_due(store, &found, &next_ms, &error));
    assert_int_equal(found, expected_found);
    if (expected_found)
        assert_int_equal(next_ms, expected_ms);
}

static void next_due_is_the_earliest_head_of_line(void **state)
{
    struct temp_store *fixture = *state;
    struct store *store = fixture->store;
    assert_next_due(store, false, 0);

    int64_t trigger = add_message(store, message_of("trigger", SUB_A, "x", NOW_MS + 5000));
    add_message(store, message_of("other", SUB_B, "x", NOW_MS + 9000));
    assert_next_due(store, true, NOW_MS + 5000);

    /* a message waiting behind another does not count, even if its own time is earlier:
     * a daemon sleeping until it would wake to nothing, over and over */
    record(store, trigger, "pending", 1, NOW_MS, NOW_MS + 20000, "HTTP 503");
    add_message(store, message_of("resolve", SUB_A, "x", NOW_MS + 1000));
    assert_next_due(store, true, NOW_MS + 9000);

    record(store, trigger, "delivered", 2, NOW_MS, NOW_MS + 20000, NULL);
    assert_next_due(store, true, NOW_MS + 1000);
}

/* A message added in a transaction that is rolled back is gone with the state change it
 * belonged to; committed, both stay. */
static void message_commits_and_rolls_back_with_its_transaction(void **state)
{
    struct temp_store *fixture = *state;
    struct store *store = fixture->store;
    struct store_error error;
    bool created;
    assert_true(store_alarm_put(store, "x", "{\"AlarmName\":\"x\"}", NOW_MS, &created, &error));

    assert_true(store_begin(store, &error));
    assert_true(
        store_alarm_set_state(store, "x", "ALARM", "crossed", NULL, NOW_MS + 1, true, &error));
    add_message(store, message_of("lost", SUB_A, "x", NOW_MS));
    store_rollback(store);
    assert_int_equal(list(store, NULL, 0, collect_message_id).count, 0);
    struct store_alarm_state alarm_state = {0};
    bool found;
    assert_true(store_alarm_get_state(store, "x", &found, &alarm_state, &error));
    assert_string_equal(alarm_state.state, "INSUFFICIENT_DATA");
    store_alarm_state_free(&alarm_state);

    assert_true(store_begin(store, &error));
    assert_true(
        store_alarm_set_state(store, "x", "ALARM", "crossed", NULL, NOW_MS + 1, true, &error));
    add_message(store, message_of("kept", SUB_A, "x", NOW_MS));
    assert_true(store_commit(store, &error));
    struct rows rows = list(store, NULL, 0, collect_message_id);
    assert_rows(&rows, 1, (const char *const[]){"kept"});
    assert_true(store_alarm_get_state(store, "x", &found, &alarm_state, &error));
    assert_string_equal(alarm_state.state, "ALARM");
    store_alarm_state_free(&alarm_state);
}

/* Pending messages, their attempts and schedule survive a restart. */
static void reopen_resumes_pending_messages(void **state)
{
    struct temp_store *fixture = *state;
    int64_t trigger = add_message(fixture->store, message_of("trigger", SUB_A, "x", NOW_MS));
    add_message(fixture->store, message_of("resolve", SUB_A, "x", NOW_MS));
    record(fixture->store, trigger, "pending", 2, NOW_MS, NOW_MS + 40000, "timeout");
    store_close(fixture->store);

    fixture->store = temp_store_open(fixture->database);
    assert_int_equal(due(fixture->store, NOW_MS + 39999, 0).count, 0);
    assert_next_due(fixture->store, true, NOW_MS + 40000);
    struct rows rows = {0};
    struct store_error error;
    assert_true(
        store_outbox_due(fixture->store, NOW_MS + 40000, 0, collect_message, &rows, &error));
    assert_int_equal(rows.count, 1);
    assert_non_null(strstr(rows.text[0], "trigger|x|"));
    assert_non_null(
        strstr(rows.text[0], "|pending|2|1700000000000|1700000000000|1700000040000|timeout"));
}

/* Retention: settled messages older than the cut go; pending ones stay, however old. */
static void prune_drops_settled_messages_only(void **state)
{
    struct temp_store *fixture = *state;
    struct store *store = fixture->store;
    int64_t old_delivered = add_message(store, message_of("old-delivered", SUB_A, "x", NOW_MS));
    int64_t old_failed = add_message(store, message_of("old-failed", SUB_A, "y", NOW_MS));
    add_message(store, message_of("old-pending", SUB_B, "x", NOW_MS));
    int64_t new_delivered =
        add_message(store, message_of("new-delivered", SUB_B, "y", NOW_MS + 100000));
    record(store, old_delivered, "delivered", 1, NOW_MS, NOW_MS, NULL);
    record(store, old_failed, "failed", 3, NOW_MS, NOW_MS, "HTTP 500");
    record(store, new_delivered, "delivered", 1, NOW_MS, NOW_MS, NULL);
    struct store_error error;
    assert_true(store_prune(store, 0, NOW_MS + 1, &error));
    struct rows rows = list(store, NULL, 0, collect_message_id);
    assert_rows(&rows, 2, (const char *const[]){"new-delivered", "old-pending"});
}

static struct rows held(struct store *store, const char *subscription, const char *alarm,
                        int64_t now_ms)
{
    struct rows rows = {0};
    struct store_error error;
    if (!store_outbox_find_held(store, subscription, alarm, now_ms, collect_message_id, &rows,
                                &error))
        fail_msg("store_outbox_find_held: %s", error.message);
    return rows;
}

/* Grouping: a message held past now, never attempted, of this subscription and alarm is
 * found (the newest of them); one that is due, attempted, or of another line is not. */
static void find_held_sees_only_waiting_messages(void **state)
{
    struct store *store = ((struct temp_store *)*state)->store;
    add_message(store, message_of("due", SUB_A, "a", NOW_MS));
    int64_t attempted = add_message(store, message_of("attempted", SUB_A, "b", NOW_MS + 600000));
    record(store, attempted, "pending", 1, NOW_MS, NOW_MS + 600000, "503");
    add_message(store, message_of("held-old", SUB_A, "c", NOW_MS + 300000));
    add_message(store, message_of("held-new", SUB_A, "c", NOW_MS + 600000));
    add_message(store, message_of("no-alarm", SUB_B, NULL, NOW_MS + 600000));
    assert_int_equal(held(store, SUB_A, "a", NOW_MS).count, 0); /* due now */
    assert_int_equal(held(store, SUB_A, "b", NOW_MS).count, 0); /* attempted */
    struct rows found = held(store, SUB_A, "c", NOW_MS);
    assert_rows(&found, 1, (const char *const[]){"held-new"});
    assert_int_equal(held(store, SUB_B, "c", NOW_MS).count, 0); /* another line */
    found = held(store, SUB_B, NULL, NOW_MS);                   /* NULL alarms too */
    assert_rows(&found, 1, (const char *const[]){"no-alarm"});
    assert_int_equal(held(store, SUB_A, "c", NOW_MS + 600000).count, 0); /* its time came */
}

static void replace_pending_rewrites_a_waiting_message(void **state)
{
    struct store *store = ((struct temp_store *)*state)->store;
    int64_t id = add_message(store, message_of("m1", SUB_A, "a", NOW_MS + 600000));
    struct store_error error;
    bool replaced = false;
    assert_true(store_outbox_replace_pending(store, id, "OK: \"a\"", "{\"grouped\":2}",
                                             "{\"grouped\":2}", NOW_MS + 600000, &replaced,
                                             &error));
    assert_true(replaced);
    struct rows rows = list(store, NULL, 0, collect_message);
    assert_int_equal(rows.count, 1);
    char expected[512];
    snprintf(expected, sizeof expected,
             "m1|a|arn:aws:sns:us-east-1:123456789012:alerts|%s|https|env:HOOK_URL|OK: \"a\"|"
             "{\"grouped\":2}|{\"grouped\":2}|sns-default|pending|0|%lld|0|%lld|(null)",
             SUB_A, (long long)(NOW_MS + 600000), (long long)(NOW_MS + 600000));
    assert_string_equal(rows.text[0], expected);
    /* once attempted (or delivered), it is no longer replaced */
    record(store, id, "pending", 1, NOW_MS + 600000, NOW_MS + 700000, "503");
    assert_true(store_outbox_replace_pending(store, id, "x", "x", "{}", NOW_MS, &replaced, &error));
    assert_false(replaced);
}

int main(void)
{
#define TEST(name) cmocka_unit_test_setup_teardown(name, set_up, tear_down)
    const struct CMUnitTest tests[] = {
        TEST(add_keeps_every_field_and_ignores_the_outcome),
        TEST(add_refuses_incomplete_messages),
        TEST(due_keeps_order_per_subscription_and_alarm),
        TEST(due_respects_time_limit_and_stop),
        TEST(record_moves_a_message_through_its_states),
        TEST(list_filters_by_state_newest_first),
        TEST(next_due_is_the_earliest_head_of_line),
        TEST(message_commits_and_rolls_back_with_its_transaction),
        TEST(reopen_resumes_pending_messages),
        TEST(prune_drops_settled_messages_only),
        TEST(find_held_sees_only_waiting_messages),
        TEST(replace_pending_rewrites_a_waiting_message),
    };
#undef TEST
    return cmocka_run_group_tests(tests, NULL, NULL);
}
