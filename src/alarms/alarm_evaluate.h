/* Internal to the alarms stage: one evaluation's range and judgement, shared by the
 * evaluator (alarm_evaluate.c) and the texts it writes (alarm_reason.c). */
#ifndef TRAILHOUND_ALARMS_ALARM_EVALUATE_H
#define TRAILHOUND_ALARMS_ALARM_EVALUATE_H

#include "alarms/alarm_internal.h"

/* Which rule decided, which decides the text (alarms.md §8.2). */
enum alarm_judgement_form {
    ALARM_JUDGEMENT_THRESHOLD,   /* §5.4 rules 1–3: forms (A) and (B) */
    ALARM_JUDGEMENT_ALL_MISSING, /* rule 4: forms (C) and (D) */
    ALARM_JUDGEMENT_PREMATURE,   /* §5.6: form (G) */
};

struct alarm_judgement {
    enum alarm_judgement_form form;
    bool keep; /* the rules say "keep the current state": no texts */
    enum alarm_state state;
    size_t *judged; /* indices into the range's slots, newest first; N of them */
    size_t count;
    size_t filled; /* judged slots that are missing (filled per TreatMissingData) */
};

/* The evaluation range, oldest slot first. */
struct alarm_range {
    int64_t first_start;
    size_t count;
    struct alarm_slot *slots;
    bool *breaching; /* per slot: has data and the comparison holds */
};

/* M: DatapointsToAlarm, or N when it was not given. */
int alarm_datapoints_to_alarm(const struct alarm_definition *alarm);
/* The end of the evaluation range for an evaluation at `now_ms` (§5.1), in seconds. */
int64_t alarm_range_end(int period, int64_t now_ms);
/* Applies §5.3–§5.7 to a read range; `judgement->judged` has room for N indices. */
void alarm_judge(const struct alarm_definition *alarm, const struct alarm_range *range,
                 struct alarm_judgement *judgement);

/* StateReason and StateReasonData for a judgement that is not "keep" (malloc'ed; NULL when
 * memory runs out). */
char *alarm_reason_text(const struct alarm_definition *alarm, const struct alarm_range *range,
                        const struct alarm_judgement *judgement);
char *alarm_reason_data(const struct alarm_definition *alarm, const struct alarm_range *range,
                        const struct alarm_judgement *judgement, int64_t now_ms);

#endif
