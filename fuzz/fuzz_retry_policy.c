/* libFuzzer target: retry policy texts (names and SNS delivery-policy JSON). A refusal says
 * why; an accepted SNS-style policy yields a schedule that never goes back in time, stops
 * after numRetries, and waits at most 3600 s in all. The last input byte is the jitter. */
#include "fuzz_text.h"
#include "notify/notify.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void walk_schedule(const struct notify_retry_policy *policy, double random)
{
    const int64_t first = 1000000;
    int64_t last = first;
    int limit = policy->num_retries < 200 ? policy->num_retries : 200;
    for (int attempts = 1; attempts <= limit; attempts++) {
        int64_t next;
        if (!notify_retry_next(policy, attempts, first, last, random, &next)) {
            if (policy->give_up_after_ms == 0)
                __builtin_trap(); /* a parsed SNS policy is within bounds: all retries happen */
            return;               /* a time-bounded policy gave up */
        }
        if (next < last || next - last > (int64_t)policy->max_delay_target * 1000)
            __builtin_trap();
        last = next;
    }
    int64_t next;
    if (policy->give_up_after_ms == 0 &&
        (notify_retry_next(policy, limit + 1, first, last, random, &next) ||
         last - first > 3600 * INT64_C(1000)))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    if (!text)
        return 0;
    double random = size ? data[size - 1] / 256.0 : 0;
    struct notify_retry_policy policy;
    struct notify_error error = {{0}};
    if (notify_retry_policy_parse(text, &policy, &error))
        walk_schedule(&policy, random);
    else if (error.message[0] == '\0')
        __builtin_trap();
    free(text);
    return 0;
}
