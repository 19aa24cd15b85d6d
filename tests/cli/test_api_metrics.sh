#!/usr/bin/env bash
# CloudWatch metrics over query/XML with Debian's aws-cli 2.9.19: PutMetricData,
# GetMetricStatistics, ListMetrics, GetMetricData; outputs equal section A of the captures.
source "$REPO_DIR/tests/support/api_test_lib.sh"
start_server

expect_metric_captures

# More data: dimensions, several statistics, an extended one.
aws cloudwatch put-metric-data --namespace CISBenchmark --metric-data \
    '[{"MetricName": "Calls", "Dimensions": [{"Name": "Ip", "Value": "203.0.113.5"}], "Timestamp": "2024-01-01T00:01:00Z", "Values": [1, 3], "Counts": [1, 2], "Unit": "Count"}]'
[ "$status" = 0 ] || { echo "FAIL: put-metric-data: $(cat "$tmp/err")"; failures=$((failures + 1)); }
aws cloudwatch get-metric-statistics --namespace CISBenchmark --metric-name Calls \
    --dimensions '[{"Name": "Ip", "Value": "203.0.113.5"}]' --start-time 2024-01-01T00:00:00Z \
    --end-time 2024-01-01T01:00:00Z --period 300 --statistics Sum SampleCount Maximum \
    --extended-statistics p50 --output json
[ "$status" = 0 ] || echo "get-metric-statistics: $(cat "$tmp/err")"
python3 - "$tmp/out" <<'PY' || failures=$((failures + 1))
import json, sys
point = json.load(open(sys.argv[1]))["Datapoints"][0]
assert point["Sum"] == 7.0 and point["SampleCount"] == 3.0 and point["Maximum"] == 3.0, point
assert point["ExtendedStatistics"] == {"p50": 3.0}, point
PY
aws cloudwatch list-metrics --namespace CISBenchmark --dimensions '[{"Name": "Ip"}]'
grep -q '"MetricName": "Calls"' "$tmp/out" && ! grep -q UnauthorizedAPICalls "$tmp/out" ||
    { echo "FAIL: list-metrics by dimension: $(cat "$tmp/out")"; failures=$((failures + 1)); }
aws cloudwatch put-metric-data --namespace CISBenchmark --metric-name X --value abc
[ "$status" != 0 ] || { echo "FAIL: a non-number value was accepted"; failures=$((failures + 1)); }

finish
