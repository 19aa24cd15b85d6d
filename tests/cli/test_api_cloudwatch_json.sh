#!/usr/bin/env bash
# CloudWatch over JSON 1.0 (query-compatible) with the other CLI, aws-cli 1.x / botocore
# 1.43 (the pip-installed `aws` first on PATH on this project's machines; skipped where it
# is absent): the nine operations' outputs equal section A of aws-captures/newer-cli/, and
# errors carry x-amzn-query-error so the CLI shows the query codes.
NEWER_CLI=1
source "$REPO_DIR/tests/support/api_test_lib.sh"
start_server
TOPIC=arn:aws:sns:us-east-1:123456789012:CISUnauthorizedAPICallAlerts
NAME=CISUnauthorizedAPICallsAlarm

aws cloudwatch put-metric-alarm --alarm-name "$NAME" --metric-name UnauthorizedAPICalls \
    --statistic Sum --period 300 --threshold 1 --comparison-operator GreaterThanOrEqualToThreshold \
    --evaluation-periods 1 --namespace CISBenchmark --alarm-actions "$TOPIC"
expect_capture cloudwatch-PutMetricAlarm
aws cloudwatch describe-alarms --alarm-names "$NAME"
expect_capture cloudwatch-DescribeAlarms
aws cloudwatch set-alarm-state --alarm-name "$NAME" --state-value ALARM --state-reason testing
expect_capture cloudwatch-SetAlarmState
aws cloudwatch describe-alarm-history --alarm-name "$NAME" --history-item-type StateUpdate \
    --query 'AlarmHistoryItems[0].[AlarmName, HistoryItemType, HistorySummary]' --output text
[ "$(cat "$tmp/out")" = "$NAME	StateUpdate	Alarm updated from INSUFFICIENT_DATA to ALARM" ] ||
    { echo "FAIL: history: $(cat "$tmp/out") $(cat "$tmp/err")"; failures=$((failures + 1)); }
aws cloudwatch set-alarm-state --alarm-name nonexistent --state-value OK --state-reason x
expect_error ResourceNotFound 255
aws cloudwatch delete-alarms --alarm-names "$NAME"
expect_capture cloudwatch-DeleteAlarms

expect_metric_captures

# A batch of 100 data points: the CLI gzips the body (Content-Encoding: gzip, signed).
python3 -c 'import json; print(json.dumps([{"MetricName": "Big", "Value": 1, "Unit": "Count", "Timestamp": "2024-01-01T00:00:00Z", "Dimensions": [{"Name": "Ip", "Value": "203.0.113.%d" % i}]} for i in range(100)]))' >"$tmp/big.json"
aws cloudwatch put-metric-data --namespace CISBenchmark --metric-data "file://$tmp/big.json"
[ "$status" = 0 ] || { echo "FAIL: gzipped put-metric-data: $(cat "$tmp/err")"; failures=$((failures + 1)); }

finish
