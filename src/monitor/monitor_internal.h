/* monitor (internal): what the stage's files share. */
#ifndef TRAILHOUND_MONITOR_MONITOR_INTERNAL_H
#define TRAILHOUND_MONITOR_MONITOR_INTERNAL_H

#include "monitor/monitor.h"

/* The signing certificate's file under the public base URL (SigningCertURL). */
#define MONITOR_SIGNING_CERT_NAME "SimpleNotificationService-trailhound.pem"

/* Fills `error` with the formatted message; returns false. */
bool monitor_fail(struct monitor_error *error, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Adds one history item of the alarm; "out of memory" when `summary` or `data` is NULL
 * (what could not be built). */
bool monitor_history_add(struct store *store, const char *alarm_name, const char *type,
                         int64_t now_ms, const char *summary, const char *data,
                         struct store_error *error);

/* One delivery attempt of an outbox message (monitor_delivery.c): its protocol and
 * attributes read, its secrets resolved for this attempt only and wiped after it, the
 * settings' deliverer called. `result` is always filled: a message that cannot be sent as
 * stored fails permanently, a secret that cannot be read is retried. */
void monitor_attempt_delivery(const struct monitor_delivery_settings *settings,
                              const struct store_outbox_message *message,
                              struct notify_result *result);

#endif
