/* The configuration file's `topics` (SNS's model) and the notification settings: every
 * field read, endpoints kept as written (secret references unresolved), ARNs from the
 * account and region, the fallback topic checked, unknown alarm actions reported. */
#include "config/config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define CONFIG_DIR TESTS_DATA_DIR "/config/"

static void valid_topics_fill_every_field(void **state)
{
    (void)state;
    struct config config;
    assert_true(config_init(&config));
    struct config_error error;
    if (!config_load(CONFIG_DIR "valid_topics.yaml", &config, &error))
        fail_msg("%s", error.message);
    char *warnings;
    if (!config_finish(&config, &warnings, &error))
        fail_msg("%s", error.message);
    assert_int_equal(config.topics.count, 2);
    const struct notify_topic *topic = &config.topics.items[0];
    assert_string_equal(topic->name, "cis-alarms");
    assert_string_equal(topic->arn, "arn:aws:sns:eu-west-1:111122223333:cis-alarms");
    assert_string_equal(topic->display_name, "CIS alarms");
    assert_int_equal(topic->subscription_count, 4);
    assert_int_equal(topic->subscriptions[0].protocol, NOTIFY_EMAIL);
    assert_true(topic->subscriptions[0].confirmed); /* configured = confirmed */
    assert_int_equal(topic->subscriptions[1].protocol, NOTIFY_SLACK);
    assert_string_equal(topic->subscriptions[1].endpoint, "env:SLACK_WEBHOOK_URL");
    assert_false(topic->subscriptions[2].resolve_on_insufficient_data);
    assert_true(topic->subscriptions[3].raw_message_delivery);
    assert_string_equal(topic->subscriptions[3].delivery_policy, "sns-default");
    /* subscription ARNs: TOPIC:UUID, the same on every run */
    const char *arn = topic->subscriptions[0].arn;
    assert_int_equal(strlen(arn), strlen(topic->arn) + 37);
    assert_memory_equal(arn, topic->arn, strlen(topic->arn));
    char *again = notify_subscription_arn(topic->arn, NOTIFY_EMAIL, "security@example.com");
    assert_string_equal(arn, again);
    free(again);
    assert_string_not_equal(topic->subscriptions[0].arn, topic->subscriptions[1].arn);

    assert_string_equal(config.settings.public_base_url, "https://trailhound.example.com");
    assert_string_equal(config.settings.fallback_topic, "ops-fallback");
    assert_string_equal(config.settings.smtp_url, "smtp://127.0.0.1:2525");
    assert_string_equal(config.settings.smtp_from, "trailhound@example.com");
    assert_string_equal(config.settings.smtp_password, "env:SMTP_PASSWORD");
    assert_true(config.settings.smtp_starttls);
    /* the OK action names a topic that does not exist (a typo) */
    assert_non_null(warnings);
    assert_string_equal(warnings, "alarm root-use: action arn:aws:sns:eu-west-1:111122223333:"
                                  "cis-alarm names no topic of the configuration; its "
                                  "notifications will fail\n");
    free(warnings);
    config_free(&config);
}

struct invalid_topic {
    const char *yaml;
    const char *message;
};

static const struct invalid_topic invalid_topics[] = {
    {"topics:\n  - Name: a b\n", "inline.yaml:2: topics[0].Name: may hold only letters"},
    {"topics:\n  - DisplayName: x\n", "inline.yaml:2: topics[0].Name: missing (required)"},
    {"topics:\n  - Name: a\n    Subscriptions:\n      - Protocol: sms\n        Endpoint: x\n",
     "inline.yaml:4: topics[0].Subscriptions[0].Protocol: 'sms' is not one of"},
    {"topics:\n  - Name: a\n    Subscriptions:\n      - Protocol: email\n        Endpoint: bob\n",
     "inline.yaml:5: topics[0].Subscriptions[0].Endpoint: must be an e-mail address"},
    {"topics:\n  - Name: a\n    Subscriptions:\n      - Protocol: https\n"
     "        Endpoint: ftp://x\n",
     "topics[0].Subscriptions[0].Endpoint: must be an https:// URL"},
    {"topics:\n  - Name: a\n    DeliveryPolicy: forever\n",
     "inline.yaml:3: topics[0].DeliveryPolicy:"},
    {"topics:\n  - Name: a\n  - Name: a\n",
     "inline.yaml:3: topics[1].Name: duplicate topic Name 'a'"},
    {"settings:\n  smtp:\n    url: http://mail\n",
     "inline.yaml:3: settings.smtp.url: must start with smtp:// or smtps://"},
    {"settings:\n  smtp:\n    starttls: maybe\n", "settings.smtp.starttls: must be true or false"},
    {"topics:\n  - Name: a\n    GroupingWindowSeconds: 1.5\n",
     "inline.yaml:3: topics[0].GroupingWindowSeconds: must be a whole number of seconds from 0 "
     "(no grouping) to 86400"},
    {"topics:\n  - Name: a\n    Subscriptions:\n      - Protocol: exec\n        Endpoint: cat\n"
     "        GroupingWindowSeconds: -1\n",
     "inline.yaml:6: topics[0].Subscriptions[0].GroupingWindowSeconds: must be a whole number"},
    /* Beyond int's range: refused, not converted (fuzz_config found UBSan on 1e300). */
    {"topics:\n  - Name: a\n    GroupingWindowSeconds: 1e300\n",
     "inline.yaml:3: topics[0].GroupingWindowSeconds: must be a whole number"},
    {"topics:\n  - Name: a\n    GroupingWindowSeconds: -.inf\n",
     "inline.yaml:3: topics[0].GroupingWindowSeconds: '-.inf' is not a number"},
};

static void invalid_topics_name_line_and_field(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof invalid_topics / sizeof invalid_topics[0]; i++) {
        struct config config;
        assert_true(config_init(&config));
        struct config_error error;
        const char *yaml = invalid_topics[i].yaml;
        if (config_load_text("inline.yaml", yaml, strlen(yaml), &config, &error))
            fail_msg("case %zu loaded; expected %s", i, invalid_topics[i].message);
        if (!strstr(error.message, invalid_topics[i].message))
            fail_msg("case %zu: got '%s', expected '%s'", i, error.message,
                     invalid_topics[i].message);
        config_free(&config);
    }
}

static void fallback_topic_must_exist(void **state)
{
    (void)state;
    static const char yaml[] = "topics:\n  - Name: a\nsettings:\n  fallbackTopic: b\n";
    struct config config;
    assert_true(config_init(&config));
    struct config_error error;
    assert_true(config_load_text("inline.yaml", yaml, sizeof yaml - 1, &config, &error));
    char *warnings;
    assert_false(config_finish(&config, &warnings, &error));
    assert_string_equal(error.message,
                        "settings.fallbackTopic: 'b' is not a topic of the configuration");
    config_free(&config);
}

/* GroupingWindowSeconds: a topic's applies to its subscriptions, one's own wins, 0 is none. */
static void grouping_windows(void **state)
{
    (void)state;
    static const char yaml[] =
        "topics:\n"
        "  - Name: a\n"
        "    GroupingWindowSeconds: 600\n"
        "    Subscriptions:\n"
        "      - {Protocol: exec, Endpoint: cat}\n"
        "      - {Protocol: exec, Endpoint: wc, GroupingWindowSeconds: 0}\n"
        "      - {Protocol: exec, Endpoint: tee, GroupingWindowSeconds: 60}\n"
        "  - Name: b\n"
        "    Subscriptions:\n"
        "      - {Protocol: exec, Endpoint: cat}\n";
    struct config config;
    assert_true(config_init(&config));
    struct config_error error;
    if (!config_load_text("inline.yaml", yaml, sizeof yaml - 1, &config, &error))
        fail_msg("%s", error.message);
    assert_int_equal(config.topics.items[0].subscriptions[0].grouping_window_seconds, 600);
    assert_int_equal(config.topics.items[0].subscriptions[1].grouping_window_seconds, 0);
    assert_int_equal(config.topics.items[0].subscriptions[2].grouping_window_seconds, 60);
    assert_int_equal(config.topics.items[1].subscriptions[0].grouping_window_seconds, 0);
    config_free(&config);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_topics_fill_every_field),
        cmocka_unit_test(invalid_topics_name_line_and_field),
        cmocka_unit_test(fallback_topic_must_exist),
        cmocka_unit_test(grouping_windows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
