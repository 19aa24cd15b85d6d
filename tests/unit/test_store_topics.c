/* Topics and subscriptions in the store (schema 5): topics put, listed and deleted with their
 * subscriptions; subscriptions added, listed by topic, read and deleted; confirmation by
 * (topic, token) — the right token, an unknown one, another topic's, an expired one, and
 * confirming twice; unsubscribe keeps a row only its token can restore; tokens renewed and
 * expired rows purged; a rolled-back transaction leaves nothing; a reopened file keeps all. */
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

#define NOW INT64_C(1795687851290) /* 2026-11-26T10:10:51.290Z */
#define DAY_MS INT64_C(86400000)
#define TOPIC "arn:aws:sns:us-east-1:123456789012:alerts"
#define OTHER_TOPIC "arn:aws:sns:us-east-1:123456789012:audit"
#define TOKEN_A "aa11"
#define TOKEN_B "bb22"

static int set_up(void **state)
{
    *state = temp_store_new("test_store_topics", "trailhound.db", true);
    return 0;
}

static int tear_down(void **state)
{
    return temp_store_free(*state);
}

/* ---- what the walks report ------------------------------------------------------------ */

#define MAX_ROWS 8

struct rows {
    char text[MAX_ROWS][512];
    size_t count;
};

static bool collect_topic(void *context, const struct store_topic *topic)
{
    struct rows *rows = context;
    assert_true(rows->count < MAX_ROWS);
    snprintf(rows->text[rows->count++], sizeof rows->text[0], "%s|%s|%s|%lld", topic->arn,
             topic->name, topic->attributes_json, (long long)topic->created_ms);
    return true;
}

static bool collect_subscription(void *context, const struct store_subscription *subscription)
{
    struct rows *rows = context;
    assert_true(rows->count < MAX_ROWS);
    snprintf(rows->text[rows->count++], sizeof rows->text[0], "%s|%s|%s|%s|%s|%s|%s|%lld|%lld|%lld",
             subscription->arn, subscription->topic_arn, subscription->protocol,
             subscription->endpoint, subscription->attributes_json, subscription->state,
             subscription->token ? subscription->token : "-",
             (long long)subscription->token_expires_ms, (long long)subscription->created_ms,
             (long long)subscription->confirmed_ms);
    return true;
}

static struct rows topics(struct store *store)
{
    struct rows rows = {0};
    struct store_error error;
    if (!store_topic_list(store, collect_topic, &rows, &error))
        fail_msg("store_topic_list: %s", error.message);
    return rows;
}

static struct rows subscriptions(struct store *store, const char *topic_arn)
{
    struct rows rows = {0};
    struct store_error error;
    if (!store_subscription_list(store, topic_arn, collect_subscription, &rows, &error))
        fail_msg("store_subscription_list: %s", error.message);
    return rows;
}

/* The subscription's row as collect_subscription writes it, "" when `get` finds none. */
static const char *get(struct store *store, const char *arn, char out[512])
{
    struct rows rows = {0};
    bool found = true;
    struct store_error error;
    if (!store_subscription_get(store, arn, &found, collect_subscription, &rows, &error))
        fail_msg("store_subscription_get: %s", error.message);
    assert_int_equal(found, rows.count == 1);
    snprintf(out, 512, "%s", found ? rows.text[0] : "");
    return out;
}

static void put_topic(struct store *store, const char *arn, const char *name,
                      const char *attributes, int64_t now, bool expect_created)
{
    struct store_topic topic = {arn, name, attributes, now};
    bool created = !expect_created;
    struct store_error error;
    if (!store_topic_put(store, &topic, &created, &error))
        fail_msg("store_topic_put: %s", error.message);
    assert_int_equal(created, expect_created);
}

static void add_pending(struct store *store, const char *arn, const char *topic_arn,
                        const char *endpoint, const char *token, int64_t now)
{
    struct store_subscription subscription = {
        .arn = arn,
        .topic_arn = topic_arn,
        .protocol = "http",
        .endpoint = endpoint,
        .attributes_json = "{\"RawMessageDelivery\":\"true\"}",
        .state = "pending",
        .token = token,
        .token_expires_ms = now + 3 * DAY_MS,
        .created_ms = now,
    };
    struct store_error error;
    if (!store_subscription_add(store, &subscription, &error))
        fail_msg("store_subscription_add: %s", error.message);
}

static enum store_confirm_outcome confirm(struct store *store, const char *topic_arn,
                                          const char *token, int64_t now, char **arn)
{
    enum store_confirm_outcome outcome;
    struct store_error error;
    if (!store_subscription_confirm(store, topic_arn, token, now, &outcome, arn, &error))
        fail_msg("store_subscription_confirm: %s", error.message);
    return outcome;
}

/* Confirms with `token` at `now`: confirmed, answering `expected_arn`. */
static void assert_confirms(struct store *store, const char *topic_arn, const char *token,
                            int64_t now, const char *expected_arn)
{
    char *arn = NULL;
    assert_int_equal(confirm(store, topic_arn, token, now, &arn), STORE_CONFIRMED);
    assert_string_equal(arn, expected_arn);
    free(arn);
}

/* Unsubscribes a confirmed subscription, `token` restoring it until `expires_ms`. */
static void unsubscribe(struct store *store, const char *arn, const char *token, int64_t expires_ms)
{
    bool found = false;
    struct store_error error;
    if (!store_subscription_unsubscribe(store, arn, token, expires_ms, &found, &error))
        fail_msg("store_subscription_unsubscribe: %s", error.message);
    assert_true(found);
}

/* ---- topics ----------------------------------------------------------------------------- */

static void topics_put_list_delete(void **state)
{
    struct temp_store *f = *state;
    put_topic(f->store, TOPIC, "alerts", "{}", NOW, true);
    put_topic(f->store, OTHER_TOPIC, "audit", "{\"DisplayName\":\"Audit\"}", NOW + 1, true);
    /* a second put replaces the attributes and keeps the creation time */
    put_topic(f->store, TOPIC, "alerts", "{\"DisplayName\":\"Alerts\"}", NOW + 2, false);
    struct rows rows = topics(f->store);
    assert_int_equal(rows.count, 2);
    assert_string_equal(rows.text[0], TOPIC "|alerts|{\"DisplayName\":\"Alerts\"}|1795687851290");
    assert_string_equal(rows.text[1],
                        OTHER_TOPIC "|audit|{\"DisplayName\":\"Audit\"}|1795687851291");

    add_pending(f->store, TOPIC ":1", TOPIC, "http://a.example/", TOKEN_A, NOW);
    add_pending(f->store, OTHER_TOPIC ":2", OTHER_TOPIC, "http://b.example/", TOKEN_B, NOW);
    bool deleted = false;
    struct store_error error;
    assert_true(store_topic_delete(f->store, TOPIC, &deleted, &error));
    assert_true(deleted);
    /* its subscriptions go with it; the other topic's stay */
    assert_int_equal(subscriptions(f->store, NULL).count, 1);
    assert_int_equal(subscriptions(f->store, OTHER_TOPIC).count, 1);
    assert_true(store_topic_delete(f->store, TOPIC, &deleted, &error));
    assert_false(deleted);
    assert_int_equal(topics(f->store).count, 1);
}

static void attributes_must_be_json(void **state)
{
    struct temp_store *f = *state;
    struct store_topic topic = {TOPIC, "alerts", "not json", NOW};
    bool created;
    struct store_error error;
    assert_false(store_topic_put(f->store, &topic, &created, &error));
    assert_non_null(strstr(error.message, "CHECK constraint failed"));
    assert_int_equal(topics(f->store).count, 0);
}

/* ---- subscriptions ------------------------------------------------------------------------ */

static void subscriptions_add_list_get_delete(void **state)
{
    struct temp_store *f = *state;
    add_pending(f->store, TOPIC ":1", TOPIC, "http://a.example/", TOKEN_A, NOW);
    add_pending(f->store, OTHER_TOPIC ":2", OTHER_TOPIC, "env:HOOK", TOKEN_B, NOW + 1);
    struct store_subscription confirmed = {.arn = TOPIC ":3",
                                           .topic_arn = TOPIC,
                                           .protocol = "exec",
                                           .endpoint = "logger -t trailhound",
                                           .attributes_json = "{}",
                                           .state = "confirmed",
                                           .created_ms = NOW + 2,
                                           .confirmed_ms = NOW + 2};
    struct store_error error;
    assert_true(store_subscription_add(f->store, &confirmed, &error));

    struct rows rows = subscriptions(f->store, TOPIC);
    assert_int_equal(rows.count, 2);
    assert_string_equal(rows.text[0], TOPIC ":1|" TOPIC "|http|http://a.example/|"
                                            "{\"RawMessageDelivery\":\"true\"}|pending|aa11|"
                                            "1795947051290|1795687851290|0");
    assert_string_equal(rows.text[1], TOPIC ":3|" TOPIC "|exec|logger -t trailhound|{}|"
                                            "confirmed|-|0|1795687851292|1795687851292");
    assert_int_equal(subscriptions(f->store, NULL).count, 3);
    char row[512];
    /* the endpoint stays a reference */
    assert_non_null(strstr(get(f->store, OTHER_TOPIC ":2", row), "|env:HOOK|"));
    assert_string_equal(get(f->store, TOPIC ":9", row), "");

    bool deleted = false;
    assert_true(store_subscription_delete(f->store, TOPIC ":1", &deleted, &error));
    assert_true(deleted);
    assert_true(store_subscription_delete(f->store, TOPIC ":1", &deleted, &error));
    assert_false(deleted);
    assert_int_equal(subscriptions(f->store, TOPIC).count, 1);
}

static void pending_needs_a_token(void **state)
{
    struct temp_store *f = *state;
    struct store_subscription no_token = {.arn = TOPIC ":1",
                                          .topic_arn = TOPIC,
                                          .protocol = "email",
                                          .endpoint = "ops@example.com",
                                          .attributes_json = "{}",
                                          .state = "pending",
                                          .created_ms = NOW};
    struct store_error error;
    assert_false(store_subscription_add(f->store, &no_token, &error));
    assert_non_null(strstr(error.message, "CHECK constraint failed"));
    no_token.state = "maybe";
    no_token.token = TOKEN_A;
    no_token.token_expires_ms = NOW + 1;
    assert_false(store_subscription_add(f->store, &no_token, &error));
    assert_int_equal(subscriptions(f->store, NULL).count, 0);
}

/* ---- confirmation ------------------------------------------------------------------------- */

static void right_token_confirms(void **state)
{
    struct temp_store *f = *state;
    add_pending(f->store, TOPIC ":1", TOPIC, "http://a.example/", TOKEN_A, NOW);
    add_pending(f->store, TOPIC ":2", TOPIC, "http://b.example/", TOKEN_B, NOW);
    assert_confirms(f->store, TOPIC, TOKEN_A, NOW + 1000, TOPIC ":1");
    char row[512];
    assert_non_null(strstr(get(f->store, TOPIC ":1", row), "|confirmed|aa11|"));
    assert_non_null(strstr(row, "|1795687852290")); /* confirmed_ms */
    assert_non_null(strstr(get(f->store, TOPIC ":2", row), "|pending|"));
    /* again: the same answer (idempotent), even after the token's three days */
    assert_confirms(f->store, TOPIC, TOKEN_A, NOW + 5 * DAY_MS, TOPIC ":1");
    assert_non_null(strstr(get(f->store, TOPIC ":1", row), "|1795687852290"));
}

static void wrong_token_or_topic_confirms_nothing(void **state)
{
    struct temp_store *f = *state;
    add_pending(f->store, TOPIC ":1", TOPIC, "http://a.example/", TOKEN_A, NOW);
    char *arn = (char *)"untouched";
    assert_int_equal(confirm(f->store, TOPIC, "ffff", NOW, &arn), STORE_TOKEN_UNKNOWN);
    assert_null(arn);
    assert_int_equal(confirm(f->store, OTHER_TOPIC, TOKEN_A, NOW, &arn), STORE_TOKEN_UNKNOWN);
    assert_null(arn);
    char row[512];
    assert_non_null(strstr(get(f->store, TOPIC ":1", row), "|pending|"));
}

static void expired_token_confirms_nothing(void **state)
{
    struct temp_store *f = *state;
    add_pending(f->store, TOPIC ":1", TOPIC, "http://a.example/", TOKEN_A, NOW);
    char *arn = NULL;
    /* valid for three days: the last millisecond counts, the next does not */
    assert_int_equal(confirm(f->store, TOPIC, TOKEN_A, NOW + 3 * DAY_MS, &arn),
                     STORE_TOKEN_EXPIRED);
    assert_null(arn);
    char row[512];
    assert_non_null(strstr(get(f->store, TOPIC ":1", row), "|pending|"));
    assert_confirms(f->store, TOPIC, TOKEN_A, NOW + 3 * DAY_MS - 1, TOPIC ":1");
}

static void renewed_token_replaces_the_old(void **state)
{
    struct temp_store *f = *state;
    add_pending(f->store, TOPIC ":1", TOPIC, "http://a.example/", TOKEN_A, NOW);
    bool found = false;
    struct store_error error;
    assert_true(store_subscription_renew_token(f->store, TOPIC ":1", TOKEN_B, NOW + 4 * DAY_MS,
                                               &found, &error));
    assert_true(found);
    char *arn = NULL;
    assert_int_equal(confirm(f->store, TOPIC, TOKEN_A, NOW, &arn), STORE_TOKEN_UNKNOWN);
    assert_confirms(f->store, TOPIC, TOKEN_B, NOW + 3 * DAY_MS + 1, TOPIC ":1");
    /* only a pending subscription's token is renewed */
    assert_true(store_subscription_renew_token(f->store, TOPIC ":1", "cc33", NOW, &found, &error));
    assert_false(found);
}

static void unsubscribed_is_hidden_until_restored(void **state)
{
    struct temp_store *f = *state;
    add_pending(f->store, TOPIC ":1", TOPIC, "http://a.example/", TOKEN_A, NOW);
    assert_confirms(f->store, TOPIC, TOKEN_A, NOW, TOPIC ":1");
    unsubscribe(f->store, TOPIC ":1", TOKEN_B, NOW + 3 * DAY_MS);
    char row[512];
    assert_int_equal(subscriptions(f->store, NULL).count, 0);
    assert_string_equal(get(f->store, TOPIC ":1", row), "");
    /* the old token no longer answers; the unsubscribe's token restores it */
    char *arn = NULL;
    assert_int_equal(confirm(f->store, TOPIC, TOKEN_A, NOW + 1, &arn), STORE_TOKEN_UNKNOWN);
    assert_confirms(f->store, TOPIC, TOKEN_B, NOW + 2, TOPIC ":1");
    assert_non_null(strstr(get(f->store, TOPIC ":1", row), "|confirmed|bb22|"));
    /* a pending subscription cannot be unsubscribed this way */
    add_pending(f->store, TOPIC ":2", TOPIC, "http://b.example/", "dd44", NOW);
    bool found = true;
    struct store_error error;
    assert_true(store_subscription_unsubscribe(f->store, TOPIC ":2", "ee55", NOW, &found, &error));
    assert_false(found);
}

static void resubscribing_supersedes_an_unsubscribed_row(void **state)
{
    struct temp_store *f = *state;
    add_pending(f->store, TOPIC ":1", TOPIC, "http://a.example/", TOKEN_A, NOW);
    assert_confirms(f->store, TOPIC, TOKEN_A, NOW, TOPIC ":1");
    unsubscribe(f->store, TOPIC ":1", TOKEN_B, NOW + DAY_MS);
    add_pending(f->store, TOPIC ":2", TOPIC, "http://a.example/", "cc33", NOW);
    /* the restore token went with the row it would have restored */
    char *arn = NULL;
    assert_int_equal(confirm(f->store, TOPIC, TOKEN_B, NOW, &arn), STORE_TOKEN_UNKNOWN);
    assert_int_equal(subscriptions(f->store, NULL).count, 1);
}

static void purge_drops_what_no_token_can_save(void **state)
{
    struct temp_store *f = *state;
    add_pending(f->store, TOPIC ":1", TOPIC, "http://a.example/", TOKEN_A, NOW);
    add_pending(f->store, TOPIC ":2", TOPIC, "http://b.example/", TOKEN_B, NOW + DAY_MS);
    add_pending(f->store, TOPIC ":3", TOPIC, "http://c.example/", "cc33", NOW);
    assert_confirms(f->store, TOPIC, "cc33", NOW, TOPIC ":3");
    struct store_error error;
    assert_true(store_subscription_purge(f->store, NOW + 3 * DAY_MS, &error));
    struct rows rows = subscriptions(f->store, NULL);
    /* :1 expired; :3 is confirmed; :2 has a day left (listed oldest first) */
    assert_int_equal(rows.count, 2);
    assert_memory_equal(rows.text[0], TOPIC ":3|", strlen(TOPIC ":3|"));
    assert_memory_equal(rows.text[1], TOPIC ":2|", strlen(TOPIC ":2|"));
}

/* ---- transactions and persistence ------------------------------------------------------- */

static void rolled_back_transaction_leaves_nothing(void **state)
{
    struct temp_store *f = *state;
    struct store_error error;
    assert_true(store_begin(f->store, &error));
    put_topic(f->store, TOPIC, "alerts", "{}", NOW, true);
    add_pending(f->store, TOPIC ":1", TOPIC, "http://a.example/", TOKEN_A, NOW);
    store_rollback(f->store);
    assert_int_equal(topics(f->store).count, 0);
    assert_int_equal(subscriptions(f->store, NULL).count, 0);

    /* a failing write inside an open transaction dooms all of it */
    assert_true(store_begin(f->store, &error));
    put_topic(f->store, TOPIC, "alerts", "{}", NOW, true);
    add_pending(f->store, TOPIC ":1", TOPIC, "http://a.example/", TOKEN_A, NOW);
    struct store_subscription duplicate = {.arn = TOPIC ":1",
                                           .topic_arn = TOPIC,
                                           .protocol = "http",
                                           .endpoint = "http://z.example/",
                                           .attributes_json = "{}",
                                           .state = "confirmed",
                                           .created_ms = NOW};
    assert_false(store_subscription_add(f->store, &duplicate, &error));
    assert_false(store_commit(f->store, &error));
    assert_int_equal(topics(f->store).count, 0);
    assert_int_equal(subscriptions(f->store, NULL).count, 0);
}

static void reopen_keeps_topics_subscriptions_and_tokens(void **state)
{
    struct temp_store *f = *state;
    put_topic(f->store, TOPIC, "alerts", "{\"DisplayName\":\"Alerts\"}", NOW, true);
    add_pending(f->store, TOPIC ":1", TOPIC, "http://a.example/", TOKEN_A, NOW);
    store_close(f->store);
    f->store = temp_store_open(f->database);
    assert_int_equal(store_schema_version(f->store), STORE_SCHEMA_VERSION);
    assert_int_equal(topics(f->store).count, 1);
    assert_confirms(f->store, TOPIC, TOKEN_A, NOW, TOPIC ":1");
    store_close(f->store);
    f->store = temp_store_open(f->database);
    char row[512];
    assert_non_null(strstr(get(f->store, TOPIC ":1", row), "|confirmed|"));
}

int main(void)
{
#define TEST(name) cmocka_unit_test_setup_teardown(name, set_up, tear_down)
    const struct CMUnitTest tests[] = {
        TEST(topics_put_list_delete),
        TEST(attributes_must_be_json),
        TEST(subscriptions_add_list_get_delete),
        TEST(pending_needs_a_token),
        TEST(right_token_confirms),
        TEST(wrong_token_or_topic_confirms_nothing),
        TEST(expired_token_confirms_nothing),
        TEST(renewed_token_replaces_the_old),
        TEST(unsubscribed_is_hidden_until_restored),
        TEST(resubscribing_supersedes_an_unsubscribed_row),
        TEST(purge_drops_what_no_token_can_save),
        TEST(rolled_back_transaction_leaves_nothing),
        TEST(reopen_keeps_topics_subscriptions_and_tokens),
    };
#undef TEST
    return cmocka_run_group_tests(tests, NULL, NULL);
}
