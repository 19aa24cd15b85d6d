/* The e-mail SNS renders for an alarm (notifications.md §3), then trailhound's evidence.
 *
 * AWS's part is reproduced as captured: CRLF line ends, values at column 30 under
 * "Alarm Details" and column 39 under "Monitored Metric", the TreatMissingData line left
 * out (its blank lines kept) when the alarm uses the default, the footer's unsubscribe
 * link. Our part follows it, for the person reading the mail:
 *
 *   (two blank lines)
 *   Evidence (trailhound):
 *   - Matching events:            3
 *   - Of which suppressed:        1 (by suppression rules)   (only when some are)
 *   - First seen:                 Thursday 26 November, 2026 10:01:02 UTC
 *   - Last seen:                  Thursday 26 November, 2026 10:04:59 UTC
 *   - By principal:               2 arn:aws:iam::123456789012:user/alice
 *                                 1 arn:aws:iam::123456789012:user/bob
 *   - By source IP:               3 203.0.113.7
 *   … one group per evidence list (event name, error code, account, region, denial kind),
 *   counts right-aligned within a group, groups without values left out …
 *   - Sample events:              2 of 3
 *     {"eventTime":"…",…}
 *     {"eventTime":"…",…}
 *
 * Same value column as "Alarm Details", times in the mail's own form, each sample one line
 * of compact JSON. Evidence values come from CloudTrail, not from the alarm's owner, so
 * their control characters are written as spaces: a value cannot forge a line.
 *
 * A grouped message (several state changes in a grouping window) starts with
 * "3 state changes in 600 s; latest: OK -> ALARM." and a blank line before AWS's text. */
#include "notify/notify_message_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DETAILS_COLUMN 30
#define METRIC_COLUMN 39
#define CRLF "\r\n"

static const char *or_empty(const char *string)
{
    return string ? string : "";
}

static void append_line(struct alarm_text *text, const char *line)
{
    alarm_text_append_string(text, line);
    alarm_text_append_string(text, CRLF);
}

/* `label` padded to `column`, then the value; no line end. */
static void append_label(struct alarm_text *text, const char *label, size_t column)
{
    alarm_text_append_string(text, label);
    size_t length = strlen(label);
    alarm_text_pad(text, length < column ? column - length : 1);
}

static void append_field(struct alarm_text *text, const char *label, size_t column,
                         const char *value)
{
    append_label(text, label, column);
    append_line(text, value);
}

/* Everything but RFC 3986's unreserved characters percent-encoded. */
static void append_url_encoded(struct alarm_text *text, const char *value)
{
    static const char unreserved[] = "-._~";
    for (const unsigned char *at = (const unsigned char *)value; *at; at++) {
        bool plain = (*at >= 'A' && *at <= 'Z') || (*at >= 'a' && *at <= 'z') ||
                     (*at >= '0' && *at <= '9') || (*at && strchr(unreserved, *at));
        if (plain)
            alarm_text_append(text, (const char *)at, 1);
        else
            alarm_text_appendf(text, "%%%02X", *at);
    }
}

static void append_introduction(struct alarm_text *text, const struct notify_alarm_change *change,
                                const char *mail_time)
{
    const char *name = or_empty(change->alarm->alarm_name);
    const char *region = or_empty(change->region);
    alarm_text_appendf(text,
                       "You are receiving this email because your Amazon CloudWatch Alarm "
                       "\"%s\" in the %s region has entered the %s state, because \"%s\" at "
                       "\"%s\"." CRLF CRLF,
                       name, notify_region_long_name(region), alarm_state_name(change->new_state),
                       or_empty(change->reason), mail_time);
    append_line(text, "View this alarm in the AWS Management Console:");
    alarm_text_appendf(text,
                       "https://%s.console.aws.amazon.com/cloudwatch/deeplink.js?region=%s"
                       "#alarmsV2:alarm/",
                       region, region);
    append_url_encoded(text, name);
    alarm_text_append_string(text, CRLF CRLF);
}

static void append_details(struct alarm_text *text, const struct notify_alarm_change *change,
                           const char *mail_time, const char *arn)
{
    const struct alarm_definition *alarm = change->alarm;
    append_line(text, "Alarm Details:");
    append_field(text, "- Name:", DETAILS_COLUMN, or_empty(alarm->alarm_name));
    append_field(text, "- Description:", DETAILS_COLUMN, or_empty(alarm->alarm_description));
    append_label(text, "- State Change:", DETAILS_COLUMN);
    alarm_text_appendf(text, "%s -> %s" CRLF, alarm_state_name(change->old_state),
                       alarm_state_name(change->new_state));
    append_field(text, "- Reason for State Change:", DETAILS_COLUMN, or_empty(change->reason));
    append_field(text, "- Timestamp:", DETAILS_COLUMN, mail_time);
    append_field(text, "- AWS Account:", DETAILS_COLUMN, or_empty(change->account_id));
    append_field(text, "- Alarm Arn:", DETAILS_COLUMN, arn);
    alarm_text_append_string(text, CRLF);
}

static void append_threshold(struct alarm_text *text, const struct alarm_definition *alarm)
{
    char threshold[32];
    alarm_format_number(alarm->threshold, threshold, sizeof threshold);
    append_line(text, "Threshold:");
    alarm_text_appendf(text,
                       "- The alarm is in the ALARM state when the metric is %s %s for at least "
                       "%d of the last %d period(s) of %d seconds." CRLF CRLF,
                       alarm_comparison_name(alarm->comparison), threshold,
                       notify_datapoints_to_alarm(alarm), alarm->evaluation_periods, alarm->period);
}

/* [Name = Value] groups separated by one space. */
static void append_dimensions(struct alarm_text *text, const struct metric_identity *metric)
{
    for (size_t i = 0; i < metric->dimension_count; i++)
        alarm_text_appendf(text, "%s[%s = %s]", i ? " " : "", or_empty(metric->dimensions[i].name),
                           or_empty(metric->dimensions[i].value));
}

static void append_metric(struct alarm_text *text, const struct alarm_definition *alarm)
{
    append_line(text, "Monitored Metric:");
    append_field(text, "- MetricNamespace:", METRIC_COLUMN, or_empty(alarm->metric.namespace_name));
    append_field(text, "- MetricName:", METRIC_COLUMN, or_empty(alarm->metric.metric_name));
    append_label(text, "- Dimensions:", METRIC_COLUMN);
    append_dimensions(text, &alarm->metric);
    alarm_text_append_string(text, CRLF);
    append_label(text, "- Period:", METRIC_COLUMN);
    alarm_text_appendf(text, "%d seconds" CRLF, alarm->period);
    /* an extended statistic (p99, TM(10%:90%)) is shown on the same line [inf] */
    append_field(text, "- Statistic:", METRIC_COLUMN, notify_alarm_statistic(alarm));
    append_field(text, "- Unit:", METRIC_COLUMN, alarm->unit ? alarm->unit : "not specified");
    /* `missing` is the default and reads as "never set" (see notify_message.c) */
    if (alarm->treat_missing != ALARM_TREAT_MISSING_MISSING)
        append_field(text, "- TreatMissingData:", METRIC_COLUMN,
                     alarm_treat_missing_name(alarm->treat_missing));
    alarm_text_append_string(text, CRLF CRLF);
}

/* "[arn]", several as "[arn1, arn2]" [inf], nothing when empty. */
static void append_actions(struct alarm_text *text, const char *label,
                           const struct alarm_action_list *actions)
{
    alarm_text_appendf(text, "- %s: ", label);
    for (size_t i = 0; i < actions->count && i < ALARM_MAX_ACTIONS; i++)
        alarm_text_appendf(text, "%s%s", i ? ", " : "[", or_empty(actions->items[i]));
    if (actions->count > 0)
        alarm_text_append(text, "]", 1);
    alarm_text_append_string(text, CRLF);
}

static void append_footer(struct alarm_text *text, const struct notify_alarm_change *change,
                          const char *subscription_arn, const char *endpoint,
                          const char *unsubscribe_url)
{
    append_line(text, "--");
    append_line(text, "If you wish to stop receiving notifications from this topic, please click "
                      "or visit the link below to unsubscribe:");
    if (unsubscribe_url)
        alarm_text_append_string(text, unsubscribe_url);
    else
        alarm_text_appendf(text, "https://sns.%s.amazonaws.com/unsubscribe.html",
                           or_empty(change->region));
    bool has_query = unsubscribe_url && strchr(unsubscribe_url, '?');
    alarm_text_appendf(text, "%cSubscriptionArn=%s&Endpoint=%s" CRLF CRLF, has_query ? '&' : '?',
                       or_empty(subscription_arn), or_empty(endpoint));
    append_line(text, "Please do not reply directly to this email. If you have any questions or "
                      "comments regarding this email, please contact us at "
                      "https://aws.amazon.com/support");
}

/* ---- the evidence ---- */

static void append_untrusted(struct alarm_text *text, const char *value)
{
    for (const char *at = value; *at; at++) {
        unsigned char byte = (unsigned char)*at;
        alarm_text_append(text, byte < 0x20 || byte == 0x7F ? " " : at, 1);
    }
}

static void append_evidence_group(struct alarm_text *text, const struct metric_evidence *evidence,
                                  enum metric_evidence_field field)
{
    size_t count = evidence->top_count[field];
    if (count > METRIC_EVIDENCE_TOP)
        count = METRIC_EVIDENCE_TOP;
    if (count == 0)
        return;
    char label[48], number[24];
    int width = 1;
    for (size_t i = 0; i < count; i++) {
        int digits = snprintf(number, sizeof number, "%llu",
                              (unsigned long long)evidence->top[field][i].count);
        width = digits > width ? digits : width;
    }
    snprintf(label, sizeof label, "- By %s:", notify_evidence_label(field));
    for (size_t i = 0; i < count; i++) {
        append_label(text, i ? "" : label, DETAILS_COLUMN);
        alarm_text_appendf(text, "%*llu ", width,
                           (unsigned long long)evidence->top[field][i].count);
        append_untrusted(text, or_empty(evidence->top[field][i].value));
        alarm_text_append_string(text, CRLF);
    }
}

static void append_samples(struct alarm_text *text, const struct metric_evidence *evidence)
{
    size_t count = evidence->sample_count;
    if (count > METRIC_EVIDENCE_SAMPLES)
        count = METRIC_EVIDENCE_SAMPLES;
    if (count == 0)
        return;
    append_label(text, "- Sample events:", DETAILS_COLUMN);
    alarm_text_appendf(text, "%zu of %llu" CRLF, count, (unsigned long long)evidence->events);
    for (size_t i = 0; i < count; i++) {
        char *line = notify_sample_line(or_empty(evidence->samples[i]));
        if (!line) {
            text->failed = true;
            return;
        }
        alarm_text_append_string(text, "  ");
        append_untrusted(text, line);
        alarm_text_append_string(text, CRLF);
        free(line);
    }
}

static void append_evidence(struct alarm_text *text, const struct metric_evidence *evidence)
{
    alarm_text_append_string(text, CRLF CRLF);
    append_line(text, "Evidence (trailhound):");
    append_label(text, "- Matching events:", DETAILS_COLUMN);
    alarm_text_appendf(text, "%llu" CRLF, (unsigned long long)evidence->events);
    if (evidence->suppressed > 0) {
        /* the CIS metric counts them; its tuned metric does not */
        append_label(text, "- Of which suppressed:", DETAILS_COLUMN);
        alarm_text_appendf(text, "%llu (by suppression rules)" CRLF,
                           (unsigned long long)evidence->suppressed);
    }
    if (evidence->events > 0) {
        char seen[64];
        notify_format_mail_time(evidence->first_seen_ms, seen);
        append_field(text, "- First seen:", DETAILS_COLUMN, seen);
        notify_format_mail_time(evidence->last_seen_ms, seen);
        append_field(text, "- Last seen:", DETAILS_COLUMN, seen);
    }
    for (int field = 0; field < METRIC_EVIDENCE_FIELD_COUNT; field++)
        append_evidence_group(text, evidence, (enum metric_evidence_field)field);
    append_samples(text, evidence);
}

char *notify_alarm_email(const struct notify_alarm_change *change, const char *subscription_arn,
                         const char *endpoint, const char *unsubscribe_url)
{
    const struct alarm_definition *alarm = change->alarm;
    char *arn = alarm_arn(alarm, or_empty(change->region), or_empty(change->account_id));
    if (!arn)
        return NULL;
    char mail_time[64];
    notify_format_mail_time(change->change_ms, mail_time);
    struct alarm_text text = {0};
    char *grouped = notify_grouped_line(change);
    if (grouped)
        alarm_text_appendf(&text, "%s." CRLF CRLF, grouped);
    free(grouped);
    append_introduction(&text, change, mail_time);
    append_details(&text, change, mail_time, arn);
    append_threshold(&text, alarm);
    append_metric(&text, alarm);
    append_line(&text, "State Change Actions:");
    append_actions(&text, "OK", &alarm->ok_actions);
    append_actions(&text, "ALARM", &alarm->alarm_actions);
    append_actions(&text, "INSUFFICIENT_DATA", &alarm->insufficient_data_actions);
    alarm_text_append_string(&text, CRLF CRLF);
    append_footer(&text, change, subscription_arn, endpoint, unsubscribe_url);
    if (change->evidence)
        append_evidence(&text, change->evidence);
    free(arn);
    return alarm_text_finish(&text);
}

/* SNS's confirmation mail, as real ones read (its text part; SNS sends HTML with the link
 * behind "Confirm subscription"): subject "AWS Notification - Subscription Confirmation",
 * "You have chosen to subscribe to the topic:" and the ARN, then "To confirm this
 * subscription, click or visit the link below (If this was in error no action is
 * necessary):" — wording from the AWS CLI User Guide (awsdocs/aws-cli-user-guide,
 * doc_source/cli-services-sns.md) and from mails SNS sent, quoted in public tests and
 * write-ups. The link is written out because this mail is text/plain. SNS's last sentence
 * (opting out of all SNS confirmation requests by mailing sns-opt-out@amazon.com) names a
 * service we do not run, so only "Please do not reply directly to this email." stays. */
char *notify_subscription_confirmation_email(const char *topic_arn, const char *confirm_url)
{
    struct alarm_text text = {0};
    append_line(&text, "You have chosen to subscribe to the topic:");
    append_line(&text, or_empty(topic_arn));
    append_line(&text, "");
    append_line(&text, "To confirm this subscription, click or visit the link below (If this was "
                       "in error no action is necessary):");
    append_line(&text, or_empty(confirm_url));
    append_line(&text, "");
    append_line(&text, "Please do not reply directly to this email.");
    return alarm_text_finish(&text);
}
