/* monitor (internal): what the outbox worker's files share. */
#ifndef TRAILHOUND_MONITOR_MONITOR_INTERNAL_H
#define TRAILHOUND_MONITOR_MONITOR_INTERNAL_H

#include "monitor/monitor.h"

/* The signing certificate's file under the public base URL (SigningCertURL). */
#define MONITOR_SIGNING_CERT_NAME "SimpleNotificationService-trailhound.pem"

/* One delivery attempt of an outbox message (monitor_delivery.c): its protocol and
 * attributes read, its secrets resolved for this attempt only and wiped after it, the
 * settings' deliverer called. `result` is always filled: a message that cannot be sent as
 * stored fails permanently, a secret that cannot be read is retried. */
void monitor_attempt_delivery(const struct monitor_delivery_settings *settings,
                              const struct store_outbox_message *message,
                              struct notify_result *result);

#endif
