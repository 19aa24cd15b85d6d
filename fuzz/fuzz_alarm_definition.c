/* libFuzzer target: read the input as an alarm definition in PutMetricAlarm's JSON shape.
 * A failure must say why and leave the definition empty; a success must be a valid
 * definition whose JSON reads back to the same text. */
#include "alarms/alarms.h"
#include "fuzz_text.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_round_trip(const struct alarm_definition *alarm)
{
    struct alarm_error error;
    if (!alarm_definition_validate(alarm, &error))
        __builtin_trap(); /* from_json validates what it returns */
    char *text = alarm_definition_to_json(alarm);
    if (!text)
        return; /* out of memory */
    struct alarm_definition again;
    if (!alarm_definition_from_json(text, &again, &error))
        __builtin_trap();
    char *text_again = alarm_definition_to_json(&again);
    if (text_again && strcmp(text, text_again) != 0)
        __builtin_trap();
    free(text_again);
    free(text);
    alarm_definition_free(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    if (!text)
        return 0;
    struct alarm_definition alarm;
    struct alarm_error error = {{0}};
    if (alarm_definition_from_json(text, &alarm, &error)) {
        check_round_trip(&alarm);
    } else if (error.message[0] == '\0' || alarm.alarm_name || alarm.metric.dimensions) {
        __builtin_trap(); /* every failure says why, and hands nothing back */
    }
    alarm_definition_free(&alarm);
    free(text);
    return 0;
}
