/* settings for serve's silence alarms: silenceAfterMinutes, and the account's and region's
 * own accountSilenceAfterMinutes / regionSilenceAfterMinutes (absent: 0, which the daemon
 * reads as silenceAfterMinutes); a later file replaces what it names; bad values name the
 * file, the line and the field. */
#include "config/config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void load(struct config *config, const char *yaml)
{
    struct config_error error = {.message = ""};
    if (!config_load_text("silence.yaml", yaml, strlen(yaml), config, &error))
        fail_msg("unexpected error: %s", error.message);
}

static void defaults(void **state)
{
    (void)state;
    struct config config;
    assert_true(config_init(&config));
    assert_int_equal(config.settings.silence_after_minutes, 60);
    assert_int_equal(config.settings.account_silence_after_minutes, 0);
    assert_int_equal(config.settings.region_silence_after_minutes, 0);
    config_free(&config);
}

static void own_settings_and_later_files(void **state)
{
    (void)state;
    struct config config;
    assert_true(config_init(&config));
    load(&config, "settings:\n  silenceAfterMinutes: 30\n  regionSilenceAfterMinutes: 1440\n");
    assert_int_equal(config.settings.silence_after_minutes, 30);
    assert_int_equal(config.settings.account_silence_after_minutes, 0);
    assert_int_equal(config.settings.region_silence_after_minutes, 1440);
    load(&config, "settings:\n  accountSilenceAfterMinutes: 120\n");
    assert_int_equal(config.settings.silence_after_minutes, 30);
    assert_int_equal(config.settings.account_silence_after_minutes, 120);
    assert_int_equal(config.settings.region_silence_after_minutes, 1440);
    config_free(&config);
}

static void bad_values_are_refused(void **state)
{
    (void)state;
    const char *const bad[] = {
        "settings:\n  accountSilenceAfterMinutes: 0\n",
        "settings:\n  regionSilenceAfterMinutes: 10081\n",
        "settings:\n  regionSilenceAfterMinutes: soon\n",
    };
    const char *const field[] = {"accountSilenceAfterMinutes", "regionSilenceAfterMinutes",
                                 "regionSilenceAfterMinutes"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct config config;
        assert_true(config_init(&config));
        struct config_error error = {.message = ""};
        assert_false(config_load_text("silence.yaml", bad[i], strlen(bad[i]), &config, &error));
        assert_non_null(strstr(error.message, "silence.yaml:2:"));
        assert_non_null(strstr(error.message, field[i]));
        assert_int_equal(config.settings.account_silence_after_minutes, 0);
        assert_int_equal(config.settings.region_silence_after_minutes, 0);
        config_free(&config);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults),
        cmocka_unit_test(own_settings_and_later_files),
        cmocka_unit_test(bad_values_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
