/* Operations, unsigned: /metrics in the Prometheus text format (0.0.4) and /healthz.
 *
 * The API renders what the store knows (alarm states, the outbox), then the daemon's part
 * through settings->write_metrics (events read, matches, commits: counters only the writer
 * thread sees). /healthz answers 503 with the first reason found:
 *   - a delivery is failing: a pending outbox message whose last attempt failed (it is being
 *     retried), or a message that failed for good within the last HEALTH_FAILED_WINDOW_MS;
 *   - the outbox is stalled: a pending message overdue by more than HEALTH_OVERDUE_MS;
 *   - the daemon says so (settings->check_health: ingestion stuck);
 * else 200 "ok". */
#include "api/api_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEALTH_FAILED_WINDOW_MS (INT64_C(15) * 60 * 1000)
#define HEALTH_OVERDUE_MS (INT64_C(5) * 60 * 1000)
#define SILENCE_ALARM_PREFIX "trailhound-silence"
#define PROMETHEUS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* ---- the text format ---------------------------------------------------------------- */

static void append_label_value(struct api_buffer *buffer, const char *value)
{
    for (const char *at = value; *at; at++) {
        if (*at == '\\')
            api_buffer_append_text(buffer, "\\\\");
        else if (*at == '"')
            api_buffer_append_text(buffer, "\\\"");
        else if (*at == '\n')
            api_buffer_append_text(buffer, "\\n");
        else
            api_buffer_append(buffer, at, 1);
    }
}

/* HELP text escapes backslash and newline only. */
static void append_help(struct api_buffer *buffer, const char *help)
{
    for (const char *at = help; *at; at++) {
        if (*at == '\\')
            api_buffer_append_text(buffer, "\\\\");
        else if (*at == '\n')
            api_buffer_append_text(buffer, "\\n");
        else
            api_buffer_append(buffer, at, 1);
    }
}

static void append_number(struct api_buffer *buffer, double value)
{
    char text[64];
    if (isnan(value))
        snprintf(text, sizeof text, "NaN");
    else if (isinf(value))
        snprintf(text, sizeof text, value > 0 ? "+Inf" : "-Inf");
    else if (value == floor(value) && fabs(value) < 9007199254740992.0)
        snprintf(text, sizeof text, "%.0f", value);
    else if (snprintf(text, sizeof text, "%.15g", value), strtod(text, NULL) != value)
        snprintf(text, sizeof text, "%.17g", value); /* the shortest that reads back exactly */
    api_buffer_append_text(buffer, text);
}

void api_prometheus_family(struct api_buffer *buffer, const char *name, const char *type,
                           const char *help)
{
    api_buffer_append_text(buffer, "# HELP ");
    api_buffer_append_text(buffer, name);
    api_buffer_append_text(buffer, " ");
    append_help(buffer, help);
    api_buffer_append_text(buffer, "\n# TYPE ");
    api_buffer_append_text(buffer, name);
    api_buffer_append_text(buffer, " ");
    api_buffer_append_text(buffer, type);
    api_buffer_append_text(buffer, "\n");
}

void api_prometheus_sample(struct api_buffer *buffer, const char *name, const char *const *labels,
                           size_t label_count, double value)
{
    api_buffer_append_text(buffer, name);
    for (size_t i = 0; i < label_count; i++) {
        api_buffer_append_text(buffer, i == 0 ? "{" : ",");
        api_buffer_append_text(buffer, labels[2 * i]);
        api_buffer_append_text(buffer, "=\"");
        append_label_value(buffer, labels[2 * i + 1]);
        api_buffer_append_text(buffer, "\"");
    }
    api_buffer_append_text(buffer, label_count ? "} " : " ");
    append_number(buffer, value);
    api_buffer_append_text(buffer, "\n");
}

/* ---- what the store knows ------------------------------------------------------------ */

static const char *const ALARM_STATES[] = {"OK", "ALARM", "INSUFFICIENT_DATA"};
#define ALARM_STATE_COUNT 3

struct store_view {
    int64_t now_ms;
    uint64_t alarms[ALARM_STATE_COUNT], silence[ALARM_STATE_COUNT];
    struct api_buffer alarm_samples; /* one trailhound_alarm_state sample per alarm */
    uint64_t pending, retrying, failed, failed_recently;
    int64_t oldest_pending_created_ms; /* 0: none */
    char unhealthy[256];               /* the first reason found, "" when healthy */
};

static int state_index(const char *state)
{
    for (int i = 0; i < ALARM_STATE_COUNT; i++)
        if (strcmp(state, ALARM_STATES[i]) == 0)
            return i;
    return ALARM_STATE_COUNT - 1; /* a state the store should never hold: not OK, not ALARM */
}

static bool view_alarm(void *context, const char *name, const char *definition_json,
                       const struct store_alarm_state *state)
{
    (void)definition_json;
    struct store_view *view = context;
    int index = state_index(state->state);
    view->alarms[index]++;
    if (strncmp(name, SILENCE_ALARM_PREFIX, strlen(SILENCE_ALARM_PREFIX)) == 0)
        view->silence[index]++;
    const char *labels[] = {"alarm", name};
    api_prometheus_sample(&view->alarm_samples, "trailhound_alarm_state", labels, 1, index);
    return true;
}

static void note_unhealthy(struct store_view *view, const char *format, const char *what,
                           long long number)
{
    if (!view->unhealthy[0])
        snprintf(view->unhealthy, sizeof view->unhealthy, format, what, number);
}

static bool view_pending(void *context, const struct store_outbox_message *message)
{
    struct store_view *view = context;
    view->pending++;
    if (!view->oldest_pending_created_ms || message->created_ms < view->oldest_pending_created_ms)
        view->oldest_pending_created_ms = message->created_ms;
    if (message->attempts > 0) {
        view->retrying++;
        note_unhealthy(view, "delivery failing: %s (attempts %lld)", message->subscription_arn,
                       message->attempts);
    }
    int64_t overdue_ms = view->now_ms - message->next_attempt_ms;
    if (overdue_ms > HEALTH_OVERDUE_MS)
        note_unhealthy(view, "outbox stalled: a message to %s is %lld s overdue",
                       message->subscription_arn, (long long)(overdue_ms / 1000));
    return true;
}

/* A settled message's next_attempt_ms is the time of its last attempt. */
static bool view_failed(void *context, const struct store_outbox_message *message)
{
    struct store_view *view = context;
    view->failed++;
    int64_t ago_ms = view->now_ms - message->next_attempt_ms;
    if (ago_ms <= HEALTH_FAILED_WINDOW_MS) {
        view->failed_recently++;
        note_unhealthy(view, "delivery failed: %s (%lld s ago)", message->subscription_arn,
                       (long long)(ago_ms > 0 ? ago_ms / 1000 : 0));
    }
    return true;
}

static bool read_store(const struct api_settings *settings, struct store_view *view,
                       bool with_alarms, char *error_text, size_t size)
{
    struct store_error error = {.message = "out of memory"};
    struct store *store = store_open(settings->db_path, &error);
    bool ok = store && (!with_alarms || store_alarm_list(store, view_alarm, view, &error)) &&
              store_outbox_list(store, "pending", 0, view_pending, view, &error) &&
              store_outbox_list(store, "failed", 0, view_failed, view, &error);
    if (!ok)
        snprintf(error_text, size, "store: %s", error.message);
    store_close(store);
    return ok;
}

/* ---- /metrics ------------------------------------------------------------------------- */

static void gauge(struct api_buffer *out, const char *name, const char *help, double value)
{
    api_prometheus_family(out, name, "gauge", help);
    api_prometheus_sample(out, name, NULL, 0, value);
}

static void per_state(struct api_buffer *out, const char *name, const char *help,
                      const uint64_t *counts)
{
    api_prometheus_family(out, name, "gauge", help);
    for (int i = 0; i < ALARM_STATE_COUNT; i++) {
        const char *labels[] = {"state", ALARM_STATES[i]};
        api_prometheus_sample(out, name, labels, 1, (double)counts[i]);
    }
}

static void write_store_metrics(struct api_buffer *out, struct store_view *view)
{
    per_state(out, "trailhound_alarms", "Alarms per state.", view->alarms);
    api_prometheus_family(out, "trailhound_alarm_state", "gauge",
                          "Each alarm's state: 0 OK, 1 ALARM, 2 INSUFFICIENT_DATA.");
    if (view->alarm_samples.data)
        api_buffer_append(out, view->alarm_samples.data, view->alarm_samples.length);
    per_state(out, "trailhound_silence_alarms",
              "Silence alarms (a source that stopped delivering events) per state.", view->silence);
    api_prometheus_family(out, "trailhound_outbox_messages", "gauge",
                          "Notification outbox messages: pending, or failed for good (kept "
                          "until the history retention).");
    const char *pending[] = {"state", "pending"}, *failed[] = {"state", "failed"};
    api_prometheus_sample(out, "trailhound_outbox_messages", pending, 1, (double)view->pending);
    api_prometheus_sample(out, "trailhound_outbox_messages", failed, 1, (double)view->failed);
    gauge(out, "trailhound_outbox_retrying_messages",
          "Pending messages whose last delivery attempt failed.", (double)view->retrying);
    gauge(out, "trailhound_outbox_recent_failures",
          "Messages that failed for good in the last 15 minutes.", (double)view->failed_recently);
    gauge(out, "trailhound_outbox_oldest_pending_age_seconds",
          "Age of the oldest pending message (0 when none).",
          view->oldest_pending_created_ms
              ? (double)(view->now_ms - view->oldest_pending_created_ms) / 1000.0
              : 0.0);
}

static void answer_text(struct api_call *call, int status, const char *content_type, char *body)
{
    free(call->body);
    call->body = body;
    call->status = body ? status : 500;
    call->content_type = content_type;
}

/* The daemon's verdict after the store's. */
static void daemon_health(const struct api_call *call, struct store_view *view)
{
    const struct api_settings *settings = call->settings;
    char reason[256] = "";
    if (!view->unhealthy[0] && settings->check_health &&
        !settings->check_health(settings->context, call->now_ms, reason, sizeof reason))
        snprintf(view->unhealthy, sizeof view->unhealthy, "%s", reason[0] ? reason : "unhealthy");
}

static void answer_metrics(struct api_call *call)
{
    const struct api_settings *settings = call->settings;
    struct store_view view = {.now_ms = call->now_ms};
    char error[600];
    if (!read_store(settings, &view, true, error, sizeof error)) {
        api_buffer_free(&view.alarm_samples);
        return answer_text(call, 500, "text/plain; charset=utf-8", strdup(error));
    }
    daemon_health(call, &view);
    struct api_buffer out = {0};
    write_store_metrics(&out, &view);
    api_buffer_free(&view.alarm_samples);
    gauge(&out, "trailhound_healthy", "1 when /healthz answers 200, else 0.",
          view.unhealthy[0] ? 0 : 1);
    bool ok =
        !settings->write_metrics || settings->write_metrics(settings->context, call->now_ms, &out);
    if (!ok)
        api_buffer_free(&out);
    answer_text(call, 200, PROMETHEUS_CONTENT_TYPE, ok ? api_buffer_take(&out) : NULL);
}

static void answer_health(struct api_call *call)
{
    struct store_view view = {.now_ms = call->now_ms};
    char error[600];
    if (!read_store(call->settings, &view, false, error, sizeof error))
        snprintf(view.unhealthy, sizeof view.unhealthy, "%.250s", error);
    daemon_health(call, &view);
    char *body = malloc(sizeof view.unhealthy + 16);
    if (body)
        snprintf(body, sizeof view.unhealthy + 16, "%s\n",
                 view.unhealthy[0] ? view.unhealthy : "ok");
    answer_text(call, view.unhealthy[0] ? 503 : 200, "text/plain; charset=utf-8", body);
}

bool api_operations_answer(struct api_call *call, const char *path)
{
    if (strcmp(path, "/healthz") == 0) {
        answer_health(call);
        return true;
    }
    if (strcmp(path, "/metrics") == 0 && !call->settings->metrics_off) {
        answer_metrics(call);
        return true;
    }
    return false;
}
