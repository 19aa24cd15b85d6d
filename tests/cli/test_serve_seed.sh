#!/usr/bin/env bash
# The seed, end to end: `serve --listen` with an SMTP server (aiosmtpd) on 127.0.0.1; Debian's
# aws-cli runs the seed's four commands as ../shared/spec/aws-api.md writes them
# (put-metric-filter, put-metric-alarm, create-topic, subscribe; placeholders filled), the
# confirmation mail's link is followed, a CloudTrail AccessDenied event goes in with
# put-log-events, describe-alarms reports ALARM and the alarm mail arrives with its evidence.
# Then: a filter made through the API counts a watched directory's file of its log group at
# once, and text messages (not JSON) are counted by a term pattern at their timestamps.
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
. "$REPO_DIR/tests/cli/lib.sh"
require_debian_aws
if ! "$PYTHON" -c 'import aiosmtpd' 2>/dev/null; then
    echo "FAIL: python3-aiosmtpd is not installed (scripts/setup.sh installs it)"
    exit 1
fi
aws_test_env
unset AWS_MAX_ATTEMPTS # the CLI retries as it does for users

"$PYTHON" "$REPO_DIR/tests/support/smtp_receiver.py" --log "$tmp/mail.log" \
    --port-file "$tmp/smtp.port" >"$tmp/smtp.out" 2>&1 &
pids+=($!)
wait_for_port_file "$tmp/smtp.port"
port=$(free_port)
endpoint="http://127.0.0.1:$port"
cat >"$tmp/config.yaml" <<YAML
settings:
  accountId: "123456789012"
  region: us-east-1
  publicBaseUrl: $endpoint
  smtp:
    url: smtp://127.0.0.1:$(cat "$tmp/smtp.port")
    from: trailhound@example.com
YAML
mkdir "$tmp/watch" # a watched directory: filters made through the API apply to its files
"$TRAILHOUND" serve --config "$tmp/config.yaml" --db "$tmp/store.db" --watch "$tmp/watch=Files/Group" \
    --listen "127.0.0.1:$port" --credentials "$tmp/credentials" 2>"$tmp/serve.log" &
serve_pid=$!
pids+=("$serve_pid")
wait_for_line "$tmp/serve.log" ' api_listening ' 20
check "serve listens" 0 $?
aws() { "$AWS_CLI" "$@" --endpoint-url "$endpoint"; }
mails() { [ -s "$tmp/mail.log" ] && wc -l <"$tmp/mail.log" || echo 0; }
wait_for_mails() { # wait_for_mails COUNT SECONDS
    for _ in $(seq $(($2 * 10))); do
        [ "$(mails)" -ge "$1" ] && return 0
        sleep 0.1
    done
    return 1
}

group=CloudTrail/DefaultLogGroup
topic_arn=arn:aws:sns:us-east-1:123456789012:CISUnauthorizedAPICallAlerts
aws logs create-log-group --log-group-name "$group"
check "create-log-group" 0 $?
aws logs create-log-stream --log-group-name "$group" --log-stream-name stream-1
check "create-log-stream" 0 $?

# the seed's four commands, verbatim but for the placeholders
aws logs put-metric-filter --log-group-name "$group" --filter-name "UnauthorizedAPICalls" --metric-transformations metricName=UnauthorizedAPICalls,metricNamespace=CISBenchmark,metricValue=1 --filter-pattern '{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }'
check "put-metric-filter (seed)" 0 $?
aws cloudwatch put-metric-alarm --alarm-name CISUnauthorizedAPICallsAlarm --metric-name UnauthorizedAPICalls --statistic Sum --period 300 --threshold 1 --comparison-operator GreaterThanOrEqualToThreshold --evaluation-periods 1 --namespace CISBenchmark --alarm-actions "$topic_arn"
check "put-metric-alarm (seed)" 0 $?
check "create-topic (seed) answers the ARN the alarm names" "$topic_arn" \
    "$(aws sns create-topic --name CISUnauthorizedAPICallAlerts --query TopicArn --output text)"
check "subscribe (seed)" "pending confirmation" \
    "$(aws sns subscribe --topic-arn "$topic_arn" --protocol email --notification-endpoint ops@example.com --query SubscriptionArn --output text)"

# the confirmation mail, and its link followed
wait_for_mails 1 90
check "the confirmation mail arrived" 1 "$(mails)"
confirmation=$(head -1 "$tmp/mail.log")
check "confirmation mail recipient" '["ops@example.com"]' "$(echo "$confirmation" | jq -c .rcpt_tos)"
link=$(echo "$confirmation" | jq -r .body | tr -d "\r" | grep -o "$endpoint/[^ \"<>]*Token=[0-9a-f]*[^ \"<>]*" | head -1)
[ -n "$link" ] || { echo "no link in the confirmation mail:"; cat "$tmp/mail.log"; }
check "following the confirmation link" 200 "$(curl -s -o "$tmp/confirmed.html" -w '%{http_code}' "$link")"
check "the subscription is confirmed" 1 \
    "$(aws sns list-subscriptions-by-topic --topic-arn "$topic_arn" \
        --query "length(Subscriptions[?Endpoint=='ops@example.com' && SubscriptionArn!='PendingConfirmation'])" --output text)"

# a CloudTrail AccessDenied event, stamped now
now_ms=$(($(date +%s%N) / 1000000))
event=$(jq -nc --arg time "$(date -u +%Y-%m-%dT%H:%M:%SZ)" '{eventVersion: "1.08",
    userIdentity: {type: "IAMUser", principalId: "AIDAEXAMPLE", arn: "arn:aws:iam::123456789012:user/mallory",
        accountId: "123456789012", userName: "mallory"},
    eventTime: $time, eventSource: "s3.amazonaws.com", eventName: "GetObject", awsRegion: "us-east-1",
    sourceIPAddress: "198.51.100.77", userAgent: "aws-cli/2.9.19", errorCode: "AccessDenied",
    errorMessage: "Access Denied", eventID: "5c6f7b1e-0d1a-4c3b-9f7e-2a8b6c4d1e0f",
    eventType: "AwsApiCall", recipientAccountId: "123456789012"}')
aws logs put-log-events --log-group-name "$group" --log-stream-name stream-1 \
    --log-events "$(jq -nc --argjson ts "$now_ms" --arg message "$event" '[{timestamp: $ts, message: $message}]')" \
    >"$tmp/put.json"
check "put-log-events" 0 $?
check "put-log-events answers a sequence token" true "$(jq 'has("nextSequenceToken")' "$tmp/put.json")"

state=""
for _ in $(seq 90); do
    state=$(aws cloudwatch describe-alarms --alarm-names CISUnauthorizedAPICallsAlarm \
        --query 'MetricAlarms[0].StateValue' --output text)
    [ "$state" = ALARM ] && break
    sleep 1
done
check "describe-alarms reports ALARM" ALARM "$state"
wait_for_mails 2 90
check "the alarm mail arrived" 2 "$(mails)"
alarm_mail=$(sed -n 2p "$tmp/mail.log")
check "alarm mail subject" 'ALARM: "CISUnauthorizedAPICallsAlarm" in US East (N. Virginia)' \
    "$(echo "$alarm_mail" | jq -r .subject)"
body=$(echo "$alarm_mail" | jq -r .body)
for evidence in arn:aws:iam::123456789012:user/mallory GetObject 198.51.100.77; do
    case "$body" in
    *"$evidence"*) ;;
    *) check "the alarm mail's evidence names $evidence" present missing ;;
    esac
done
check "the event is stored once (filter-log-events)" 1 \
    "$(aws logs filter-log-events --log-group-name "$group" --query 'length(events)' --output text)"

# a filter put-metric-filter puts on a watched directory's log group counts its next file
aws logs put-metric-filter --log-group-name Files/Group --filter-name files-denied \
    --metric-transformations metricName=FilesDenied,metricNamespace=Files,metricValue=1 \
    --filter-pattern '{ $.errorCode = "AccessDenied*" }'
echo "$event" | jq -c '.eventID = "second"' >>"$tmp/watch/events.jsonl"
sum=""
for _ in $(seq 150); do
    sum=$(aws cloudwatch get-metric-statistics --namespace Files --metric-name FilesDenied \
        --start-time "$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)" --end-time "$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)" \
        --period 7200 --statistics Sum --query 'Datapoints[0].Sum' --output text)
    [ "$sum" = 1.0 ] && break
    sleep 0.2
done
check "the API's filter counts the watched file's event at once" 1.0 "$sum"

# not CloudTrail: text messages, a term pattern, data points at each log event's timestamp
aws logs create-log-group --log-group-name App/Text &&
    aws logs create-log-stream --log-group-name App/Text --log-stream-name app &&
    aws logs put-metric-filter --log-group-name App/Text --filter-name errors --filter-pattern ERROR \
        --metric-transformations metricName=Errors,metricNamespace=App,metricValue=1
minute=$((($(date +%s) - 3 * 3600) / 60 * 60)) # three hours ago, on a minute
aws logs put-log-events --log-group-name App/Text --log-stream-name app --log-events \
    "[{\"timestamp\":$((minute * 1000 + 5)),\"message\":\"ERROR disk full\"},
      {\"timestamp\":$((minute * 1000 + 65000)),\"message\":\"ERROR again\"},
      {\"timestamp\":$((minute * 1000 + 66000)),\"message\":\"all good\"}]" >/dev/null
check "put-log-events of text messages" 0 $?
at() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%S; }
check "text messages counted at their timestamps' minutes" \
    "$(at $minute)+00:00 1.0 $(at $((minute + 60)))+00:00 1.0" \
    "$(aws cloudwatch get-metric-statistics --namespace App --metric-name Errors \
        --start-time "$(at $minute)Z" --end-time "$(at $((minute + 300)))Z" --period 60 \
        --statistics Sum --query 'Datapoints[].[Timestamp, Sum]' --output text | sort | xargs)"

kill -TERM "$serve_pid"
wait "$serve_pid"
check "exit status after SIGTERM" 0 $?
if [ "$failures" -gt 0 ]; then
    tail -30 "$tmp/serve.log"
fi
finish "serve: the seed end to end: all checks passed"
