#!/usr/bin/env bash
# Logs (JSON 1.1) and SNS (query) with the other CLI, aws-cli 1.x / botocore 1.43 (skipped
# where it is absent): outputs equal section A of aws-captures/newer-cli/.
NEWER_CLI=1
source "$REPO_DIR/tests/support/api_test_lib.sh"
start_server
GROUP=CloudTrail/DefaultLogGroup
TOPIC=arn:aws:sns:us-east-1:123456789012:CISUnauthorizedAPICallAlerts
PATTERN='{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }'
EVENT='{"errorCode":"AccessDenied","eventName":"GetObject","sourceIPAddress":"203.0.113.5"}'

aws logs create-log-group --log-group-name "$GROUP"
expect_capture logs-CreateLogGroup
aws logs create-log-stream --log-group-name "$GROUP" --log-stream-name stream-1
expect_capture logs-CreateLogStream
aws logs put-metric-filter --log-group-name "$GROUP" --filter-name UnauthorizedAPICalls \
    --metric-transformations metricName=UnauthorizedAPICalls,metricNamespace=CISBenchmark,metricValue=1 \
    --filter-pattern "$PATTERN"
expect_capture logs-PutMetricFilter
aws logs describe-metric-filters --log-group-name "$GROUP"
expect_capture logs-DescribeMetricFilters
aws logs describe-log-groups --log-group-name-prefix CloudTrail
expect_capture logs-DescribeLogGroups
events=$(python3 -c 'import json, sys; print(json.dumps([{"timestamp": 1700000000000, "message": sys.argv[1]}]))' "$EVENT")
aws logs put-log-events --log-group-name "$GROUP" --log-stream-name stream-1 --log-events "$events"
expect_capture logs-PutLogEvents
aws logs filter-log-events --log-group-name "$GROUP" --start-time 1699999000000 \
    --filter-pattern '{ $.errorCode = "AccessDenied*" }'
expect_capture logs-FilterLogEvents
aws logs test-metric-filter --filter-pattern "$PATTERN" --log-event-messages "$EVENT" \
    '{"errorCode":"","eventName":"HeadBucket","sourceIPAddress":"delivery.logs.amazonaws.com"}'
expect_capture logs-TestMetricFilter
aws logs delete-metric-filter --log-group-name "$GROUP" --filter-name UnauthorizedAPICalls
expect_capture logs-DeleteMetricFilter

expect_topic_captures
aws sns confirm-subscription --topic-arn "$TOPIC" \
    --token "$(db_query "SELECT token FROM subscriptions WHERE state = 'pending'")"
expect_capture sns-ConfirmSubscription
aws sns publish --topic-arn "$TOPIC" --subject 'ALARM: CISUnauthorizedAPICallsAlarm' \
    --message 'Alarm CISUnauthorizedAPICallsAlarm entered ALARM state'
expect_capture sns-Publish
aws sns unsubscribe --subscription-arn "$(db_query "SELECT arn FROM subscriptions WHERE state = 'confirmed'")"
expect_capture sns-Unsubscribe
aws sns delete-topic --topic-arn "$TOPIC"
expect_capture sns-DeleteTopic

finish
