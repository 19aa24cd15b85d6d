#!/usr/bin/env bash
# CloudWatch alarms over query/XML with Debian's aws-cli 2.9.19: each operation's output
# equals section A of its capture (ids and times normalised), and the store holds the result.
source "$REPO_DIR/tests/support/api_test_lib.sh"
start_server
TOPIC=arn:aws:sns:us-east-1:123456789012:CISUnauthorizedAPICallAlerts
NAME=CISUnauthorizedAPICallsAlarm

# A confirmed e-mail subscription on the alarm's topic, for the actions of SetAlarmState.
aws sns create-topic --name CISUnauthorizedAPICallAlerts
aws sns subscribe --topic-arn "$TOPIC" --protocol email --notification-endpoint ops@example.com
aws sns confirm-subscription --topic-arn "$TOPIC" \
    --token "$(db_query "SELECT token FROM subscriptions WHERE state = 'pending'")"

aws cloudwatch put-metric-alarm --alarm-name "$NAME" --metric-name UnauthorizedAPICalls \
    --statistic Sum --period 300 --threshold 1 --comparison-operator GreaterThanOrEqualToThreshold \
    --evaluation-periods 1 --namespace CISBenchmark --alarm-actions "$TOPIC"
expect_capture cloudwatch-PutMetricAlarm
aws cloudwatch describe-alarms --alarm-names "$NAME"
expect_capture cloudwatch-DescribeAlarms

# The wire form of timestamps: ISO 8601 with milliseconds and Z, as the capture's.
python3 "$REPO_DIR/tests/support/sigv4_send.py" "$endpoint" monitoring 0 \
    'application/x-www-form-urlencoded; charset=utf-8' \
    "Action=DescribeAlarms&Version=2010-08-01&AlarmNames.member.1=$NAME" >"$tmp/sent"
grep -Eq '<StateUpdatedTimestamp>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z</StateUpdatedTimestamp>' "$tmp/sent" ||
    { echo "FAIL: wire timestamp: $(cat "$tmp/sent")"; failures=$((failures + 1)); }

aws cloudwatch set-alarm-state --alarm-name "$NAME" --state-value ALARM --state-reason testing
expect_capture cloudwatch-SetAlarmState
[ "$(db_query "SELECT count(*) FROM outbox WHERE alarm_name = '$NAME' AND protocol = 'email' AND subject LIKE 'ALARM: %'")" = 1 ] ||
    { echo "FAIL: SetAlarmState queued no action: $(db_query 'SELECT alarm_name, protocol, subject FROM outbox')"; failures=$((failures + 1)); }
aws cloudwatch describe-alarms --alarm-names "$NAME" --query 'MetricAlarms[0].StateValue' --output text
[ "$(cat "$tmp/out")" = ALARM ] || { echo "FAIL: state $(cat "$tmp/out")"; failures=$((failures + 1)); }

# The capture's sample shows the StateUpdate alone (AWS lists the creation's
# ConfigurationUpdate too, as we do): compare that item, HistoryData apart — ours is AWS's
# full text, the capture server's a shortened one — and check the data on its own.
aws cloudwatch describe-alarm-history --alarm-name "$NAME" --history-item-type StateUpdate
python3 - "$tmp/out" <<'PY' || failures=$((failures + 1))
import json, sys
item = json.load(open(sys.argv[1]))["AlarmHistoryItems"][0]
data = json.loads(item["HistoryData"])
assert data["oldState"]["stateValue"] == "INSUFFICIENT_DATA", data
assert data["newState"] == {"stateValue": "ALARM", "stateReason": "testing"} or \
    data["newState"]["stateReason"] == "testing", data
PY
python3 - "$tmp/out" <<'PY' >"$tmp/history.json"
import json, re, sys
doc = json.load(open(sys.argv[1]))
for item in doc["AlarmHistoryItems"]:
    item["HistoryData"] = "<data>"
print(json.dumps(doc, indent=4))
PY
cp "$tmp/history.json" "$tmp/out"
capture_stdout cloudwatch-DescribeAlarmHistory | python3 -c '
import json, sys
doc = json.load(sys.stdin)
for item in doc["AlarmHistoryItems"]:
    item["HistoryData"] = "<data>"
print(json.dumps(doc, indent=4))' >"$tmp/history.expected"
if diff -u <(normalise <"$tmp/history.expected") <(normalise <"$tmp/out"); then
    echo "ok: cloudwatch-DescribeAlarmHistory"
else
    echo "FAIL: cloudwatch-DescribeAlarmHistory"
    failures=$((failures + 1))
fi
aws cloudwatch describe-alarm-history --alarm-name "$NAME" --query 'length(AlarmHistoryItems)'
[ "$(cat "$tmp/out")" = 2 ] || { echo "FAIL: history items $(cat "$tmp/out")"; failures=$((failures + 1)); }

aws cloudwatch set-alarm-state --alarm-name nonexistent --state-value OK --state-reason x
expect_error ResourceNotFound 254
aws cloudwatch set-alarm-state --alarm-name "$NAME" --state-value OK --state-reason x \
    --state-reason-data 'not json'
expect_error InvalidFormat 254
aws cloudwatch put-metric-alarm --alarm-name bad --metric-name M --namespace N --statistic Sum \
    --period 7 --threshold 1 --comparison-operator GreaterThanThreshold --evaluation-periods 1
expect_error InvalidParameterValue 254

# Pages: the CLI follows NextToken (MaxRecords 1) through three alarms (text output prints
# the query's result page by page).
for extra in Extra1 Extra2; do
    aws cloudwatch put-metric-alarm --alarm-name "$extra" --metric-name M --namespace N \
        --statistic Maximum --period 60 --threshold 2.5 --comparison-operator LessThanThreshold \
        --evaluation-periods 3 --datapoints-to-alarm 2 --treat-missing-data breaching \
        --dimensions Name=Ip,Value=203.0.113.5
    [ "$status" = 0 ] || { echo "FAIL: put $extra: $(cat "$tmp/err")"; failures=$((failures + 1)); }
done
aws cloudwatch describe-alarms --page-size 1 --query 'join(`,`, MetricAlarms[].AlarmName)' --output text
[ "$(tr -s '\n' ',' <"$tmp/out")" = "$NAME,Extra1,Extra2," ] ||
    { echo "FAIL: paged describe-alarms: $(cat "$tmp/out") $(cat "$tmp/err")"; failures=$((failures + 1)); }
aws cloudwatch describe-alarms --alarm-name-prefix Extra --state-value INSUFFICIENT_DATA \
    --query 'MetricAlarms[0].[DatapointsToAlarm, TreatMissingData, Threshold, Dimensions[0].Value]' --output text
[ "$(cat "$tmp/out")" = "2	breaching	2.5	203.0.113.5" ] ||
    { echo "FAIL: describe-alarms fields: $(cat "$tmp/out") $(cat "$tmp/err")"; failures=$((failures + 1)); }
aws cloudwatch delete-alarms --alarm-names Extra1 Extra2

aws cloudwatch delete-alarms --alarm-names "$NAME"
expect_capture cloudwatch-DeleteAlarms
aws cloudwatch describe-alarms
[ "$(db_query 'SELECT count(*) FROM alarms')" = 0 ] ||
    { echo "FAIL: alarm not deleted"; failures=$((failures + 1)); }
aws cloudwatch delete-alarms --alarm-names "$NAME"
expect_error ResourceNotFound 254

finish
