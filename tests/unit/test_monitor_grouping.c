/* Grouping in monitor_enqueue_notifications: with a window W, the first message of an
 * alarm waits until W after its change; changes before then replace it (same row, same
 * message id and due time, the count in attributes_json and in the message); a change at
 * or after the due time, or after an attempt, starts a new message. Without a window every
 * change is its own message, due at once. */
#include "monitor/monitor.h"
#include "store/store.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define T0 INT64_C(1709287200000) /* 2024-03-01T10:00:00Z */
#define SUBSCRIPTION "arn:aws:sns:us-east-1:000000000000:security:0000"

struct world {
    struct store *store;
    struct notify_topic_list topics;
    struct alarm_definition alarm;
    struct monitor_notify_settings settings;
};

static void world_open(struct world *world, int window)
{
    struct store_error error;
    world->store = store_open(":memory:", &error);
    assert_non_null(world->store);
    struct notify_subscription subscription = {.protocol = NOTIFY_EXEC,
                                               .endpoint = "cat",
                                               .arn = SUBSCRIPTION,
                                               .confirmed = true,
                                               .grouping_window_seconds = window};
    struct notify_topic topic = {.name = "security",
                                 .arn = "arn:aws:sns:us-east-1:000000000000:security",
                                 .subscriptions = &subscription,
                                 .subscription_count = 1};
    world->topics = (struct notify_topic_list){0};
    assert_true(notify_topic_list_append(&world->topics, &topic));
    alarm_definition_init(&world->alarm);
    world->alarm.alarm_name = strdup("denied-burst");
    world->alarm.metric.namespace_name = strdup("Security");
    world->alarm.metric.metric_name = strdup("DeniedCount");
    world->alarm.statistic = strdup("Sum");
    world->alarm.period = 60;
    world->alarm.evaluation_periods = 1;
    world->alarm.threshold = 2;
    world->alarm.alarm_actions.items[0] = strdup("security");
    world->alarm.alarm_actions.count = 1;
    world->alarm.ok_actions.items[0] = strdup("security");
    world->alarm.ok_actions.count = 1;
    world->settings = (struct monitor_notify_settings){.topics = &world->topics,
                                                       .region = "us-east-1",
                                                       .account_id = "000000000000",
                                                       .public_base_url = "http://127.0.0.1"};
}

static void world_close(struct world *world)
{
    alarm_definition_free(&world->alarm);
    notify_topic_list_free(&world->topics);
    store_close(world->store);
}

static void change(struct world *world, int64_t at_ms, enum alarm_state from, enum alarm_state to)
{
    struct monitor_transition transition = {.alarm_name = world->alarm.alarm_name,
                                            .time_ms = at_ms,
                                            .from = from,
                                            .to = to,
                                            .reason = "because"};
    struct monitor_error error;
    if (!monitor_enqueue_notifications(world->store, &world->alarm, &transition, &world->settings,
                                       T0, &error))
        fail_msg("%s", error.message);
}

#define MAX_ROWS 8

/* "created due grouped NewStateValue message-id" per row, oldest first. */
struct rows {
    char text[MAX_ROWS][160];
    size_t count;
};

static bool collect(void *context, const struct store_outbox_message *message)
{
    struct rows *rows = context;
    assert_true(rows->count < MAX_ROWS);
    json_t *attributes = json_loads(message->attributes_json, 0, NULL);
    json_t *body = json_loads(message->body, 0, NULL);
    json_t *grouped = json_object_get(json_object_get(body, "Trailhound"), "grouped");
    snprintf(rows->text[rows->count++], sizeof rows->text[0], "%lld %lld %lld %lld %s %.8s",
             (long long)((message->created_ms - T0) / 1000),
             (long long)((message->next_attempt_ms - T0) / 1000),
             (long long)json_integer_value(json_object_get(attributes, "grouped")),
             (long long)json_integer_value(grouped),
             json_string_value(json_object_get(body, "NewStateValue")), message->message_id);
    json_decref(attributes);
    json_decref(body);
    return true;
}

/* Rows oldest first (the list is newest first); message ids cut to 8 characters. */
static struct rows rows_of(struct store *store)
{
    struct rows newest = {0}, oldest = {0};
    struct store_error error;
    assert_true(store_outbox_list(store, NULL, 0, collect, &newest, &error));
    for (size_t i = newest.count; i-- > 0;)
        memcpy(oldest.text[oldest.count++], newest.text[i], sizeof newest.text[0]);
    return oldest;
}

static void changes_inside_a_window_share_one_message(void **state)
{
    (void)state;
    struct world world;
    world_open(&world, 600);
    change(&world, T0, ALARM_STATE_INSUFFICIENT_DATA, ALARM_STATE_OK);
    struct rows rows = rows_of(world.store);
    assert_int_equal(rows.count, 1);
    char first_id[9];
    memcpy(first_id, rows.text[0] + strlen(rows.text[0]) - 8, 9);
    /* created at 0 s, due at 600 s, one change: grouped 1 in the attributes, none in the
     * message */
    char expected[160];
    snprintf(expected, sizeof expected, "0 600 1 0 OK %s", first_id);
    assert_string_equal(rows.text[0], expected);

    change(&world, T0 + 60000, ALARM_STATE_OK, ALARM_STATE_ALARM);
    change(&world, T0 + 180000, ALARM_STATE_ALARM, ALARM_STATE_OK);
    rows = rows_of(world.store);
    assert_int_equal(rows.count, 1);
    /* the same row and id, still due at 600 s, the latest change, three in all */
    snprintf(expected, sizeof expected, "0 600 3 3 OK %s", first_id);
    assert_string_equal(rows.text[0], expected);

    /* 600 s: the held message is due, so this change starts a window of its own */
    change(&world, T0 + 600000, ALARM_STATE_OK, ALARM_STATE_ALARM);
    rows = rows_of(world.store);
    assert_int_equal(rows.count, 2);
    assert_memory_equal(rows.text[1], "600 1200 1 0 ALARM ", 19);
    world_close(&world);
}

static void an_attempted_message_is_not_replaced(void **state)
{
    (void)state;
    struct world world;
    world_open(&world, 600);
    change(&world, T0, ALARM_STATE_INSUFFICIENT_DATA, ALARM_STATE_ALARM);
    struct store_error error;
    /* its first attempt failed and is to be retried at 700 s */
    assert_true(
        store_outbox_record(world.store, 1, "pending", 1, T0 + 600000, T0 + 700000, "503", &error));
    change(&world, T0 + 650000, ALARM_STATE_ALARM, ALARM_STATE_OK);
    struct rows rows = rows_of(world.store);
    assert_int_equal(rows.count, 2);
    assert_memory_equal(rows.text[0], "0 700 1 0 ALARM ", 16);
    assert_memory_equal(rows.text[1], "650 1250 1 0 OK ", 16);
    world_close(&world);
}

static void without_a_window_every_change_is_due_at_once(void **state)
{
    (void)state;
    struct world world;
    world_open(&world, 0);
    change(&world, T0, ALARM_STATE_INSUFFICIENT_DATA, ALARM_STATE_OK);
    change(&world, T0 + 60000, ALARM_STATE_OK, ALARM_STATE_ALARM);
    struct rows rows = rows_of(world.store);
    assert_int_equal(rows.count, 2);
    /* no "grouped" anywhere */
    assert_memory_equal(rows.text[0], "0 0 0 0 OK ", 11);
    assert_memory_equal(rows.text[1], "60 60 0 0 ALARM ", 16);
    world_close(&world);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(changes_inside_a_window_share_one_message),
        cmocka_unit_test(an_attempted_message_is_not_replaced),
        cmocka_unit_test(without_a_window_every_change_is_due_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
