#!/usr/bin/env bash
# CloudWatch Logs over JSON 1.1 with Debian's aws-cli 2.9.19: metric filters and
# TestMetricFilter; each output equals section A of its capture (ids and times normalised).
source "$REPO_DIR/tests/support/api_test_lib.sh"
start_server
GROUP=CloudTrail/DefaultLogGroup
PATTERN='{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }'

aws logs create-log-group --log-group-name "$GROUP"
expect_capture logs-CreateLogGroup
aws logs create-log-group --log-group-name "$GROUP"
expect_error ResourceAlreadyExistsException 254
aws logs create-log-stream --log-group-name "$GROUP" --log-stream-name stream-1
expect_capture logs-CreateLogStream
aws logs create-log-stream --log-group-name Nope --log-stream-name stream-1
expect_error ResourceNotFoundException 254

aws logs put-metric-filter --log-group-name "$GROUP" --filter-name UnauthorizedAPICalls \
    --metric-transformations metricName=UnauthorizedAPICalls,metricNamespace=CISBenchmark,metricValue=1 \
    --filter-pattern "$PATTERN"
expect_capture logs-PutMetricFilter
aws logs describe-metric-filters --log-group-name "$GROUP"
expect_capture logs-DescribeMetricFilters
[ "$(db_query "SELECT count(*) FROM metric_filters")" = 1 ] ||
    { echo "FAIL: filter not stored"; failures=$((failures + 1)); }

aws logs describe-log-groups --log-group-name-prefix CloudTrail
expect_capture logs-DescribeLogGroups

EVENT='{"errorCode":"AccessDenied","eventName":"GetObject","sourceIPAddress":"203.0.113.5"}'
events=$(python3 -c 'import json, sys; print(json.dumps([{"timestamp": 1700000000000, "message": sys.argv[1]}]))' "$EVENT")
aws logs put-log-events --log-group-name "$GROUP" --log-stream-name stream-1 --log-events "$events"
expect_capture logs-PutLogEvents
aws logs put-log-events --log-group-name "$GROUP" --log-stream-name stream-1 --log-events \
    '[{"timestamp": 1700000001000, "message": "{\"errorCode\":\"\",\"eventName\":\"HeadBucket\"}"}]'
aws logs put-log-events --log-group-name "$GROUP" --log-stream-name nope --log-events "$events"
expect_error ResourceNotFoundException 254
[ "$(db_query "SELECT count(*) FROM log_events")" = 2 ] ||
    { echo "FAIL: events not stored"; failures=$((failures + 1)); }
aws logs filter-log-events --log-group-name "$GROUP" --start-time 1699999000000 \
    --filter-pattern '{ $.errorCode = "AccessDenied*" }'
expect_capture logs-FilterLogEvents
aws logs filter-log-events --log-group-name "$GROUP" --query 'length(events)'
[ "$(cat "$tmp/out")" = 2 ] || { echo "FAIL: unfiltered events: $(cat "$tmp/out")"; failures=$((failures + 1)); }
aws logs filter-log-events --log-group-name "$GROUP" --page-size 1 --query 'length(events)'
[ "$(cat "$tmp/out")" = 2 ] || { echo "FAIL: paged events: $(cat "$tmp/out")"; failures=$((failures + 1)); }

aws logs test-metric-filter --filter-pattern "$PATTERN" --log-event-messages \
    '{"errorCode":"AccessDenied","eventName":"GetObject","sourceIPAddress":"203.0.113.5"}' \
    '{"errorCode":"","eventName":"HeadBucket","sourceIPAddress":"delivery.logs.amazonaws.com"}'
expect_capture logs-TestMetricFilter
aws logs test-metric-filter --filter-pattern '[ip, user, status = 4*]' \
    --log-event-messages '10.0.0.1 alice 404' '10.0.0.2 bob 200'
grep -q '"\$status": "404"' "$tmp/out" && [ "$(grep -c eventNumber "$tmp/out")" = 1 ] ||
    { echo "FAIL: space-delimited test: $(cat "$tmp/out")"; failures=$((failures + 1)); }

aws logs put-metric-filter --log-group-name "$GROUP" --filter-name Bad \
    --metric-transformations metricName=M,metricNamespace=N,metricValue=1 --filter-pattern '{ $.a = }'
expect_error InvalidParameterException 254
aws logs test-metric-filter --filter-pattern '{ $.a = ' --log-event-messages x
expect_error InvalidParameterException 254

aws logs delete-metric-filter --log-group-name "$GROUP" --filter-name UnauthorizedAPICalls
expect_capture logs-DeleteMetricFilter
[ "$(db_query "SELECT count(*) FROM metric_filters")" = 0 ] ||
    { echo "FAIL: filter not deleted"; failures=$((failures + 1)); }
aws logs delete-metric-filter --log-group-name "$GROUP" --filter-name UnauthorizedAPICalls
expect_error ResourceNotFoundException 254

finish
