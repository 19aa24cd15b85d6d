/* Internal to the notify stage: filling a notify_error with a formatted message. */
#ifndef TRAILHOUND_NOTIFY_FAIL_H
#define TRAILHOUND_NOTIFY_FAIL_H

#include "notify/notify.h"

/* Formats the message into `error` (nothing when it is NULL); returns false, so a failing
 * function can `return notify_fail(...)`. */
bool notify_fail(struct notify_error *error, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

#endif
