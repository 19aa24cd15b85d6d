/* libFuzzer target: read the input as an eventTime. An accepted time must lie within the
 * years 0000-9999 (give or take a day of offset), and its bucket must hold it. */
#include "metrics/event_time.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t seconds;
    if (!event_time_parse((const char *)data, size, &seconds))
        return 0;
    const int64_t year_0000 = -62167219200, year_10000 = 253402300800;
    if (seconds < year_0000 - 86400 || seconds >= year_10000 + 86400)
        __builtin_trap();
    int64_t bucket = event_time_bucket(seconds, 60);
    if (bucket > seconds || seconds - bucket >= 60 || bucket % 60 != 0)
        __builtin_trap();
    return 0;
}
