/* exec deliveries: real /bin/sh commands — the message on standard input, the environment,
 * exit statuses as outcomes, captured output, and the timeout that kills the process
 * group. */
#define _XOPEN_SOURCE 700
#include "notify/notify.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../support/temp_store.h"

static char directory[64];

static int make_directory(void **state)
{
    (void)state;
    return temp_directory_make(directory, "th-exec") ? 0 : -1;
}

static int remove_directory(void **state)
{
    (void)state;
    return temp_directory_remove(directory);
}

static struct notify_result run(const char *command, const char *body, long timeout_seconds)
{
    struct notify_delivery delivery = {
        .protocol = NOTIFY_EXEC,
        .endpoint = command,
        .subject = "ALARM: \"root_usage_alarm\" in EU (Ireland)",
        .body = body,
        .message_id = "5b3e1d52-8c1e-5f0a-b7a4-9d2c6e0f4a11",
        .topic_arn = "arn:aws:sns:eu-west-1:111122223333:cis-alarms",
        .timeout_seconds = timeout_seconds,
    };
    struct notify_result result;
    notify_deliver(&delivery, &result);
    return result;
}

static char *read_file(const char *path)
{
    FILE *file = fopen(path, "rb");
    assert_non_null(file);
    static char text[1 << 21];
    size_t length = fread(text, 1, sizeof text - 1, file);
    text[length] = '\0';
    fclose(file);
    return text;
}

static void message_on_stdin_and_environment(void **state)
{
    (void)state;
    char command[256];
    snprintf(command, sizeof command,
             "cat > %s/message; printf '%%s|%%s|%%s' \"$TRAILHOUND_SUBJECT\" "
             "\"$TRAILHOUND_MESSAGE_ID\" \"$TRAILHOUND_TOPIC_ARN\" > %s/environment",
             directory, directory);
    struct notify_result result = run(command, "{\"AlarmName\":\"x\"}\n", 10);
    assert_int_equal(result.outcome, NOTIFY_DELIVERED);
    assert_string_equal(result.detail, "exit 0");
    char path[128];
    snprintf(path, sizeof path, "%s/message", directory);
    assert_string_equal(read_file(path), "{\"AlarmName\":\"x\"}\n");
    snprintf(path, sizeof path, "%s/environment", directory);
    assert_string_equal(read_file(path), "ALARM: \"root_usage_alarm\" in EU (Ireland)|"
                                         "5b3e1d52-8c1e-5f0a-b7a4-9d2c6e0f4a11|"
                                         "arn:aws:sns:eu-west-1:111122223333:cis-alarms");
}

/* An inherited TRAILHOUND_* value is replaced, not duplicated. */
static void inherited_variables_are_replaced(void **state)
{
    (void)state;
    setenv("TRAILHOUND_MESSAGE_ID", "stale", 1);
    struct notify_result result = run("env | grep -c '^TRAILHOUND_MESSAGE_ID=5b3e'", "", 10);
    unsetenv("TRAILHOUND_MESSAGE_ID");
    assert_int_equal(result.outcome, NOTIFY_DELIVERED);
    assert_string_equal(result.detail, "exit 0: 1 ");
}

static void exit_statuses(void **state)
{
    (void)state;
    struct notify_result result = run("echo busy >&2; exit 75", "", 10);
    assert_int_equal(result.outcome, NOTIFY_RETRY);
    assert_int_equal(result.status, 75);
    assert_string_equal(result.detail, "exit 75 (temporary failure): busy ");
    result = run("echo 'no such channel'; exit 3", "", 10);
    assert_int_equal(result.outcome, NOTIFY_PERMANENT);
    assert_int_equal(result.status, 3);
    assert_string_equal(result.detail, "exit 3: no such channel ");
    result = run("kill -SEGV $$", "", 10);
    assert_int_equal(result.outcome, NOTIFY_PERMANENT);
    assert_string_equal(result.detail, "killed by signal 11");
    result = run("/nonexistent/notifier", "", 10);
    assert_int_equal(result.outcome, NOTIFY_PERMANENT);
    assert_int_equal(result.status, 127);
}

/* Output past the first 400 bytes is read (the command never blocks) but not kept. */
static void output_is_cut_at_400_bytes(void **state)
{
    (void)state;
    struct notify_result result = run("head -c 100000 /dev/zero | tr '\\0' a", "", 10);
    assert_int_equal(result.outcome, NOTIFY_DELIVERED);
    assert_int_equal(strlen(result.detail), strlen("exit 0: ") + 400);
}

/* A large message to a command that reads none of it: no SIGPIPE kills us. */
static void command_may_ignore_its_input(void **state)
{
    (void)state;
    size_t size = 1 << 20;
    char *body = malloc(size + 1);
    memset(body, 'm', size);
    body[size] = '\0';
    struct notify_result result = run("exit 0", body, 10);
    assert_int_equal(result.outcome, NOTIFY_DELIVERED);
    result = run("wc -c", body, 10);
    assert_int_equal(result.outcome, NOTIFY_DELIVERED);
    assert_string_equal(result.detail, "exit 0: 1048576 ");
    free(body);
}

static bool process_gone(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *file = fopen(path, "r");
    if (!file)
        return true;
    char state = '?';
    int scanned = fscanf(file, "%*d %*s %c", &state);
    fclose(file);
    return scanned == 1 && (state == 'Z' || state == 'X'); /* a zombie is dead */
}

/* At the timeout the whole group dies, background children included, and we do not wait
 * for them. */
static void timeout_kills_the_process_group(void **state)
{
    (void)state;
    char command[256];
    snprintf(command, sizeof command, "sleep 30 & echo $! > %s/background; echo started; sleep 30",
             directory);
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    struct notify_result result = run(command, "", 1);
    clock_gettime(CLOCK_MONOTONIC, &end);
    assert_int_equal(result.outcome, NOTIFY_RETRY);
    assert_string_equal(result.detail,
                        "no exit within 1 s; its process group was killed: started ");
    assert_true(end.tv_sec - start.tv_sec < 3);
    char path[128];
    snprintf(path, sizeof path, "%s/background", directory);
    pid_t background = (pid_t)atoi(read_file(path));
    assert_true(background > 0);
    for (int i = 0; i < 100 && !process_gone(background); i++)
        usleep(10000);
    assert_true(process_gone(background));
}

/* A command that leaves a background process holding its output still ends the attempt. */
static void background_holder_does_not_block(void **state)
{
    (void)state;
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    struct notify_result result = run("(sleep 3; echo late) & echo queued", "", 10);
    clock_gettime(CLOCK_MONOTONIC, &end);
    assert_int_equal(result.outcome, NOTIFY_DELIVERED);
    assert_string_equal(result.detail, "exit 0: queued ");
    assert_true(end.tv_sec - start.tv_sec < 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(message_on_stdin_and_environment),
        cmocka_unit_test(inherited_variables_are_replaced),
        cmocka_unit_test(exit_statuses),
        cmocka_unit_test(output_is_cut_at_400_bytes),
        cmocka_unit_test(command_may_ignore_its_input),
        cmocka_unit_test(timeout_kills_the_process_group),
        cmocka_unit_test(background_holder_does_not_block),
    };
    return cmocka_run_group_tests(tests, make_directory, remove_directory);
}
