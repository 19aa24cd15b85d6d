/* One evaluation of one alarm at one instant (alarms.md §5): the evaluation range, the
 * classification of its slots, the choice of the N slots to judge, TreatMissingData, the
 * premature-alarm rule and the decision. The texts of the outcome are alarm_reason.c's. */
#include "alarms/alarm_evaluate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* Metric retention for the look-back (alarms.md §1.3): 3 hours of sub-minute data, 15 days
 * of one-minute data. A configured range never reaches further back. */
#define RETENTION_HIGH_RESOLUTION (3 * 3600)
#define RETENTION_STANDARD (15 * 86400)

size_t alarm_range_slots(int evaluation_periods, int configured)
{
    size_t periods = evaluation_periods > 0 ? (size_t)evaluation_periods : 1;
    size_t extra = periods / 3 > 2 ? periods / 3 : 2; /* [inf] §5.2: LocalStack's default */
    size_t slots = periods + extra;
    if (configured > 0 && (size_t)configured > slots)
        slots = (size_t)configured;
    return slots;
}

/* The range for `alarm`, a configured enlargement capped at retention. [inf] §5.2: the
 * cap never shortens the default range, which a 7-day alarm may need whole. */
static size_t range_for(const struct alarm_definition *alarm, int configured)
{
    size_t standard = alarm_range_slots(alarm->evaluation_periods, 0);
    size_t slots = alarm_range_slots(alarm->evaluation_periods, configured);
    int retention = alarm->period < 60 ? RETENTION_HIGH_RESOLUTION : RETENTION_STANDARD;
    size_t cap = (size_t)(retention / alarm->period);
    if (slots > cap)
        slots = cap > standard ? cap : standard;
    return slots;
}

/* The end of the range (§5.1): the evaluation time floored to the minute, or to 10 s for
 * sub-minute periods ([inf] 20 s periods too). Slots are not aligned to the period. */
int64_t alarm_range_end(int period, int64_t now_ms)
{
    int64_t seconds = alarm_floor_div(now_ms, 1000);
    int64_t step = period < 60 ? 10 : 60;
    return alarm_floor_div(seconds, step) * step;
}

static bool slot_breaching(const struct alarm_definition *alarm, double value)
{
    switch (alarm->comparison) {
    case ALARM_GREATER_THAN_OR_EQUAL_TO_THRESHOLD:
        return value >= alarm->threshold;
    case ALARM_GREATER_THAN_THRESHOLD:
        return value > alarm->threshold;
    case ALARM_LESS_THAN_THRESHOLD:
        return value < alarm->threshold;
    case ALARM_LESS_THAN_OR_EQUAL_TO_THRESHOLD:
        return value <= alarm->threshold;
    }
    return false;
}

int alarm_datapoints_to_alarm(const struct alarm_definition *alarm)
{
    return alarm->datapoints_to_alarm > 0 ? alarm->datapoints_to_alarm : alarm->evaluation_periods;
}

static size_t real_count(const struct alarm_range *range)
{
    size_t count = 0;
    for (size_t i = 0; i < range->count; i++)
        count += range->slots[i].has_data;
    return count;
}

/* §5.4: the N slots to judge, newest first. With at least N real slots, the N most recent
 * real ones; otherwise every real slot plus the most recent missing slots as fills. */
static void choose_slots(const struct alarm_range *range, size_t periods, size_t real,
                         struct alarm_judgement *judgement)
{
    size_t fills_wanted = real >= periods ? 0 : periods - real;
    judgement->count = 0;
    for (size_t i = range->count; i-- > 0 && judgement->count < periods;) {
        bool has_data = range->slots[i].has_data;
        if (!has_data && judgement->filled >= fills_wanted)
            continue;
        judgement->judged[judgement->count++] = i;
        judgement->filled += !has_data;
    }
}

/* The N most recent slots, whatever they hold: what an all-missing range reports. */
static void newest_slots(const struct alarm_range *range, size_t periods,
                         struct alarm_judgement *judgement)
{
    judgement->count = 0;
    for (size_t i = range->count; i-- > 0 && judgement->count < periods;)
        judgement->judged[judgement->count++] = i;
    judgement->filled = judgement->count;
}

/* §5.6 as its pseudo-code gives it, ages counted from the newest slot = 1. */
static bool premature_alarm(const struct alarm_range *range, size_t periods, size_t minimum)
{
    if (real_count(range) >= minimum)
        return false;
    size_t newest_window = range->count - periods; /* first index with age <= N */
    size_t oldest = range->count;
    for (size_t i = newest_window; i < range->count && oldest == range->count; i++)
        if (range->slots[i].has_data)
            oldest = i;
    if (oldest == range->count || !range->breaching[oldest])
        return false;
    if (range->count - oldest < minimum)
        return false;
    for (size_t i = 0; i < range->count; i++) {
        if (!range->slots[i].has_data)
            continue;
        if (i < oldest || (i > oldest && !range->breaching[i]))
            return false;
    }
    return true;
}

/* [inf] §5.3: with EvaluateLowSampleCountPercentile = ignore, a judged real slot with too
 * few samples means the round does not count (state kept). Slots outside the judged set
 * cannot sway the decision, so they do not stop it either. */
static bool low_sample_judged(const struct alarm_definition *alarm, const struct alarm_range *range,
                              const struct alarm_judgement *judgement)
{
    if (alarm->evaluate_low_sample_count_percentile)
        return false;
    for (size_t i = 0; i < judgement->count; i++) {
        const struct alarm_slot *slot = &range->slots[judgement->judged[i]];
        if (slot->has_data && slot->low_sample)
            return true;
    }
    return false;
}

static size_t judged_breaching(const struct alarm_definition *alarm,
                               const struct alarm_range *range,
                               const struct alarm_judgement *judgement)
{
    size_t count = 0;
    for (size_t i = 0; i < judgement->count; i++) {
        size_t slot = judgement->judged[i];
        count += range->slots[slot].has_data
                     ? range->breaching[slot]
                     : alarm->treat_missing == ALARM_TREAT_MISSING_BREACHING;
    }
    return count;
}

/* Rule 4 (§5.5): every slot of the range is missing. */
static void decide_all_missing(const struct alarm_definition *alarm,
                               const struct alarm_range *range, struct alarm_judgement *judgement)
{
    newest_slots(range, (size_t)alarm->evaluation_periods, judgement);
    judgement->form = ALARM_JUDGEMENT_ALL_MISSING;
    switch (alarm->treat_missing) {
    case ALARM_TREAT_MISSING_MISSING:
        judgement->state = ALARM_STATE_INSUFFICIENT_DATA;
        break;
    case ALARM_TREAT_MISSING_IGNORE:
        judgement->keep = true;
        break;
    case ALARM_TREAT_MISSING_BREACHING:
        judgement->state = ALARM_STATE_ALARM;
        break;
    case ALARM_TREAT_MISSING_NOT_BREACHING:
        judgement->state = ALARM_STATE_OK;
        break;
    }
}

void alarm_judge(const struct alarm_definition *alarm, const struct alarm_range *range,
                 struct alarm_judgement *judgement)
{
    size_t periods = (size_t)alarm->evaluation_periods;
    size_t minimum = (size_t)alarm_datapoints_to_alarm(alarm);
    size_t real = real_count(range);
    judgement->keep = false;
    judgement->filled = 0;
    if (real == 0) {
        decide_all_missing(alarm, range, judgement);
        return;
    }
    choose_slots(range, periods, real, judgement);
    if (low_sample_judged(alarm, range, judgement)) {
        judgement->keep = true;
        return;
    }
    bool fills_like_missing = alarm->treat_missing == ALARM_TREAT_MISSING_MISSING ||
                              alarm->treat_missing == ALARM_TREAT_MISSING_IGNORE;
    if (fills_like_missing && premature_alarm(range, periods, minimum)) {
        judgement->form = ALARM_JUDGEMENT_PREMATURE;
        judgement->state = ALARM_STATE_ALARM;
        judgement->keep = alarm->treat_missing == ALARM_TREAT_MISSING_IGNORE;
        return;
    }
    judgement->form = ALARM_JUDGEMENT_THRESHOLD;
    judgement->state =
        judged_breaching(alarm, range, judgement) >= minimum ? ALARM_STATE_ALARM : ALARM_STATE_OK;
}

/* What alarm_evaluate needs to hold before it may compute slot bounds without overflow. */
static bool evaluable(const struct alarm_definition *alarm, const struct alarm_status *current,
                      struct alarm_error *error)
{
    const char *problem = NULL;
    if (!current)
        problem = "no current status";
    else if (alarm->period <= 0 || alarm->period > 86400 * 7)
        problem = "Period out of range";
    else if (alarm->evaluation_periods < 1 ||
             (int64_t)alarm->evaluation_periods * alarm->period > 86400 * 7)
        problem = "EvaluationPeriods out of range";
    else if (alarm->datapoints_to_alarm < 0 ||
             alarm->datapoints_to_alarm > alarm->evaluation_periods)
        problem = "DatapointsToAlarm out of range";
    else if ((unsigned)alarm->comparison > ALARM_LESS_THAN_OR_EQUAL_TO_THRESHOLD ||
             (unsigned)alarm->treat_missing > ALARM_TREAT_MISSING_NOT_BREACHING)
        problem = "ComparisonOperator or TreatMissingData out of range";
    if (problem)
        snprintf(error->message, sizeof error->message, "cannot evaluate alarm: %s", problem);
    return !problem;
}

/* Calls the reader for the whole range and checks what it handed back. */
static bool read_range(const struct alarm_definition *alarm, alarm_slot_reader reader,
                       void *context, struct alarm_range *range, struct alarm_error *error)
{
    for (size_t i = 0; i < range->count; i++)
        range->slots[i] =
            (struct alarm_slot){.start = range->first_start + (int64_t)i * alarm->period};
    if (!reader(context, alarm, range->first_start, range->count, range->slots, error))
        return false;
    for (size_t i = 0; i < range->count; i++) {
        struct alarm_slot *slot = &range->slots[i];
        int64_t start = range->first_start + (int64_t)i * alarm->period;
        if (slot->start != start) {
            snprintf(error->message, sizeof error->message,
                     "slot reader: slot %zu starts at %lld, expected %lld", i,
                     (long long)slot->start, (long long)start);
            return false;
        }
        if (slot->has_data && (!isfinite(slot->value) || !isfinite(slot->sample_count))) {
            snprintf(error->message, sizeof error->message,
                     "slot reader: slot %zu holds a value that is not a finite number", i);
            return false;
        }
        range->breaching[i] = slot->has_data && slot_breaching(alarm, slot->value);
    }
    return true;
}

/* Room for a small range on the stack: a replay evaluates tens of thousands of instants,
 * most with a range of a few slots (N + 2 for N < 9). */
#define RANGE_ON_STACK 16
struct range_storage {
    struct alarm_slot slots[RANGE_ON_STACK];
    bool breaching[RANGE_ON_STACK];
    size_t judged[RANGE_ON_STACK];
};

static bool range_allocate(struct alarm_range *range, size_t count,
                           struct alarm_judgement *judgement, size_t periods,
                           struct range_storage *storage)
{
    range->count = count;
    bool small = count <= RANGE_ON_STACK && periods <= RANGE_ON_STACK;
    range->slots = small ? storage->slots : calloc(count, sizeof *range->slots);
    range->breaching = small ? storage->breaching : calloc(count, sizeof *range->breaching);
    judgement->judged = small ? storage->judged : calloc(periods, sizeof *judgement->judged);
    return range->slots && range->breaching && judgement->judged;
}

static void range_free(struct alarm_range *range, struct alarm_judgement *judgement,
                       struct range_storage *storage)
{
    if (range->slots != storage->slots)
        free(range->slots);
    if (range->breaching != storage->breaching)
        free(range->breaching);
    if (judgement->judged != storage->judged)
        free(judgement->judged);
}

/* The outcome's fields from the judgement and its texts. */
static bool fill_result(const struct alarm_definition *alarm, const struct alarm_status *current,
                        const struct alarm_range *range, const struct alarm_judgement *judgement,
                        int64_t now_ms, bool texts_on_change_only, struct alarm_evaluation *result,
                        struct alarm_error *error)
{
    *result = (struct alarm_evaluation){.state = current->state};
    if (judgement->keep)
        return true;
    result->state = judgement->state;
    result->changed = judgement->state != current->state;
    if (texts_on_change_only && !result->changed)
        return true;
    result->reason = alarm_reason_text(alarm, range, judgement);
    result->reason_data = alarm_reason_data(alarm, range, judgement, now_ms);
    if (result->reason && result->reason_data)
        return true;
    alarm_evaluation_free(result);
    snprintf(error->message, sizeof error->message, "out of memory");
    return false;
}

static bool evaluate(const struct alarm_definition *alarm, const struct alarm_status *current,
                     int64_t now_ms, int range_setting, alarm_slot_reader reader, void *context,
                     bool texts_on_change_only, struct alarm_evaluation *result,
                     struct alarm_error *error)
{
    *result = (struct alarm_evaluation){0};
    if (!evaluable(alarm, current, error))
        return false;
    struct alarm_range range = {0};
    struct alarm_judgement judgement = {0};
    struct range_storage storage; /* read_range writes every slot; judge fills `judged` */
    size_t count = range_for(alarm, range_setting);
    /* |end| <= 2^63 / 1000 and the range spans at most 15 days: no overflow */
    int64_t end = alarm_range_end(alarm->period, now_ms);
    range.first_start = end - (int64_t)count * alarm->period;
    bool evaluated = false;
    if (!range_allocate(&range, count, &judgement, (size_t)alarm->evaluation_periods, &storage))
        snprintf(error->message, sizeof error->message, "out of memory");
    else if (read_range(alarm, reader, context, &range, error)) {
        alarm_judge(alarm, &range, &judgement);
        evaluated = fill_result(alarm, current, &range, &judgement, now_ms, texts_on_change_only,
                                result, error);
    }
    range_free(&range, &judgement, &storage);
    return evaluated;
}

bool alarm_evaluate(const struct alarm_definition *alarm, const struct alarm_status *current,
                    int64_t now_ms, int range_setting, alarm_slot_reader reader, void *context,
                    struct alarm_evaluation *result, struct alarm_error *error)
{
    return evaluate(alarm, current, now_ms, range_setting, reader, context, false, result, error);
}

bool alarm_evaluate_transition(const struct alarm_definition *alarm,
                               const struct alarm_status *current, int64_t now_ms,
                               int range_setting, alarm_slot_reader reader, void *context,
                               struct alarm_evaluation *result, struct alarm_error *error)
{
    return evaluate(alarm, current, now_ms, range_setting, reader, context, true, result, error);
}
