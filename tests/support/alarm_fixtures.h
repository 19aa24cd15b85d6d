/* Alarm test fixtures.
 *
 * A slot reader that needs no store: a list of samples (a timestamp in seconds and a value
 * each), aggregated per slot the way the store's reader aggregates its one-minute buckets —
 * a slot [start, start + period) holds every sample whose timestamp falls inside it; no
 * sample means missing. The statistic is the alarm's (SampleCount, Sum, Average, Minimum,
 * Maximum; percentile alarms read Maximum here). A test builds the samples, evaluates, and
 * checks what the reader was asked for.
 *
 * And a builder for alarm definitions from a few numbers, and UTC instants. */
#ifndef TRAILHOUND_TESTS_SUPPORT_ALARM_FIXTURES_H
#define TRAILHOUND_TESTS_SUPPORT_ALARM_FIXTURES_H

#include "alarms/alarms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FAKE_MAX_SAMPLES 256

struct fake_sample {
    int64_t time; /* seconds since the epoch */
    double value;
};

struct fake_reader {
    struct fake_sample samples[FAKE_MAX_SAMPLES];
    size_t sample_count;
    /* percentile alarms: a slot with fewer samples than this is "low sample" */
    double low_sample_below;
    bool fail; /* make the reader fail, as a broken store would */
    /* what the last call asked for */
    size_t calls;
    int64_t first_start;
    size_t count;
};

static inline void fake_add(struct fake_reader *fake, int64_t time, double value)
{
    if (fake->sample_count < FAKE_MAX_SAMPLES)
        fake->samples[fake->sample_count++] = (struct fake_sample){time, value};
}

static inline double fake_statistic(const char *statistic, double count, double sum, double minimum,
                                    double maximum)
{
    if (statistic && strcmp(statistic, "SampleCount") == 0)
        return count;
    if (statistic && strcmp(statistic, "Average") == 0)
        return sum / count;
    if (statistic && strcmp(statistic, "Minimum") == 0)
        return minimum;
    if (statistic && strcmp(statistic, "Sum") == 0)
        return sum;
    return maximum;
}

static inline bool fake_read(void *context, const struct alarm_definition *alarm,
                             int64_t first_start, size_t count, struct alarm_slot *slots,
                             struct alarm_error *error)
{
    struct fake_reader *fake = context;
    fake->calls++;
    fake->first_start = first_start;
    fake->count = count;
    if (fake->fail) {
        snprintf(error->message, sizeof error->message, "fake store failure");
        return false;
    }
    for (size_t i = 0; i < count; i++) {
        int64_t start = first_start + (int64_t)i * alarm->period;
        double samples = 0, sum = 0, minimum = 0, maximum = 0;
        for (size_t s = 0; s < fake->sample_count; s++) {
            const struct fake_sample *sample = &fake->samples[s];
            if (sample->time < start || sample->time >= start + alarm->period)
                continue;
            if (samples == 0 || sample->value < minimum)
                minimum = sample->value;
            if (samples == 0 || sample->value > maximum)
                maximum = sample->value;
            samples++;
            sum += sample->value;
        }
        slots[i] = (struct alarm_slot){.start = start, .has_data = samples > 0};
        if (samples > 0) {
            slots[i].value = fake_statistic(alarm->statistic, samples, sum, minimum, maximum);
            slots[i].sample_count = samples;
            slots[i].low_sample = alarm->extended_statistic && samples < fake->low_sample_below;
        }
    }
    return true;
}

/* Seconds since the epoch of a UTC date and time. */
static inline int64_t utc(int year, int month, int day, int hour, int minute, int second)
{
    struct tm fields = {.tm_year = year - 1900,
                        .tm_mon = month - 1,
                        .tm_mday = day,
                        .tm_hour = hour,
                        .tm_min = minute,
                        .tm_sec = second};
    return (int64_t)timegm(&fields);
}

/* Milliseconds since the epoch of a UTC date and time. */
static inline int64_t utc_ms(int year, int month, int day, int hour, int minute, int second, int ms)
{
    return utc(year, month, day, hour, minute, second) * 1000 + ms;
}

/* The numbers of an alarm on CISBenchmark/UnauthorizedAPICalls. */
struct alarm_spec {
    const char *statistic;
    const char *unit;
    int period, periods, minimum;
    double threshold;
    enum alarm_comparison comparison;
    enum alarm_treat_missing treat_missing;
};

/* A definition the caller frees with alarm_definition_free. */
static inline void alarm_build(struct alarm_definition *alarm, const struct alarm_spec *spec)
{
    alarm_definition_init(alarm);
    alarm->alarm_name = strdup("test-alarm");
    alarm->metric.namespace_name = strdup("CISBenchmark");
    alarm->metric.metric_name = strdup("UnauthorizedAPICalls");
    alarm->statistic = strdup(spec->statistic);
    alarm->unit = spec->unit ? strdup(spec->unit) : NULL;
    alarm->period = spec->period;
    alarm->evaluation_periods = spec->periods;
    alarm->datapoints_to_alarm = spec->minimum;
    alarm->threshold = spec->threshold;
    alarm->comparison = spec->comparison;
    alarm->treat_missing = spec->treat_missing;
}

#endif
