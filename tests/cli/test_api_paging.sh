#!/usr/bin/env bash
# ListTopics (100 per page) and ListMetrics (500 per page) page as AWS does: Debian's
# aws-cli 2.9.19 follows NextToken and prints a listing longer than one page whole; one
# page (--no-paginate, --max-items/--starting-token, a raw signed request) carries the
# NextToken; a token the service never gave is refused.
source "$REPO_DIR/tests/support/api_test_lib.sh"
start_server
SEND="python3 $REPO_DIR/tests/support/sigv4_send.py"
FORM=application/x-www-form-urlencoded

# --- SNS ListTopics: 230 topics, three pages ---
for i in $(seq -w 1 230); do
    echo "Action=CreateTopic&Version=2010-03-31&Name=paged-$i"
done >"$tmp/topics"
# sigv4_send.py run 230 times in one process (a process each is slow)
python3 - "$REPO_DIR/tests/support/sigv4_send.py" "$endpoint" "$tmp/topics" <<'EOF' |
import contextlib, io, runpy, sys
script, endpoint, bodies = sys.argv[1:4]
for body in open(bodies).read().split():
    sys.argv = [script, endpoint, "sns", "0", "application/x-www-form-urlencoded", body]
    answer = io.StringIO()
    with contextlib.redirect_stdout(answer):
        runpy.run_path(script)
    print(answer.getvalue().split("\n")[0])
EOF
    sort | uniq -c | sed 's/^ *//' >"$tmp/statuses"
[ "$(cat "$tmp/statuses")" = "230 200" ] ||
    { echo "FAIL: CreateTopic statuses: $(cat "$tmp/statuses")"; failures=$((failures + 1)); }

aws sns list-topics
expected=$(for i in $(seq -w 1 230); do echo "arn:aws:sns:us-east-1:123456789012:paged-$i"; done)
actual=$(jq -r '.Topics[].TopicArn' "$tmp/out" | sort)
[ "$status" = 0 ] && [ "$actual" = "$expected" ] && ! grep -q NextToken "$tmp/out" &&
    echo "ok: list-topics follows NextToken: 230 topics whole" ||
    { echo "FAIL: list-topics: exit $status, $(jq '.Topics | length' "$tmp/out") topics"; failures=$((failures + 1)); }

aws sns list-topics --no-paginate
[ "$(jq '.Topics | length' "$tmp/out")" = 100 ] && [ "$(jq -r .NextToken "$tmp/out")" = 100 ] &&
    echo "ok: list-topics --no-paginate: one page of 100 and its NextToken" ||
    { echo "FAIL: list-topics --no-paginate: $(head -c 300 "$tmp/out")"; failures=$((failures + 1)); }

aws sns list-topics --max-items 150
first=$(jq -r '.Topics[].TopicArn' "$tmp/out")
token=$(jq -r .NextToken "$tmp/out")
aws sns list-topics --starting-token "$token"
rest=$(jq -r '.Topics[].TopicArn' "$tmp/out")
[ "$(echo "$first" | wc -l)" = 150 ] && [ "$(printf '%s\n%s\n' "$first" "$rest" | sort)" = "$expected" ] &&
    echo "ok: list-topics --max-items 150 then --starting-token: the rest, nothing twice" ||
    { echo "FAIL: --max-items/--starting-token: $(echo "$first" | wc -l) + $(echo "$rest" | wc -l)"; failures=$((failures + 1)); }

$SEND "$endpoint" sns 0 "$FORM" "Action=ListTopics&Version=2010-03-31&NextToken=200" >"$tmp/raw"
[ "$(head -1 "$tmp/raw")" = 200 ] && [ "$(grep -o '<member>' "$tmp/raw" | wc -l)" = 30 ] &&
    ! grep -q '<NextToken>' "$tmp/raw" && echo "ok: raw ListTopics: the last page has no NextToken" ||
    { echo "FAIL: raw ListTopics last page: $(head -c 400 "$tmp/raw")"; failures=$((failures + 1)); }
$SEND "$endpoint" sns 0 "$FORM" "Action=ListTopics&Version=2010-03-31" >"$tmp/raw"
grep -q '<NextToken>100</NextToken></ListTopicsResult>' "$tmp/raw" &&
    echo "ok: raw ListTopics: NextToken inside ListTopicsResult" ||
    { echo "FAIL: raw ListTopics first page: $(tail -c 400 "$tmp/raw")"; failures=$((failures + 1)); }
aws sns list-topics --no-paginate --next-token bogus
expect_error InvalidParameter 254

# --- CloudWatch ListMetrics: 1100 metrics, three pages ---
for batch in 0 1; do
    python3 -c '
import json, sys
batch = int(sys.argv[1])
print(json.dumps([{"MetricName": "paged-%04d" % i, "Value": 1, "Timestamp": "2024-01-01T00:00:00Z"}
                  for i in range(batch * 550, batch * 550 + 550)]))' "$batch" >"$tmp/data.json"
    aws cloudwatch put-metric-data --namespace Paging --metric-data "file://$tmp/data.json"
    [ "$status" = 0 ] || { echo "FAIL: put-metric-data: $(cat "$tmp/err")"; failures=$((failures + 1)); }
done
aws cloudwatch list-metrics --namespace Paging
expected=$(for i in $(seq -w 0 1099); do echo "paged-$i"; done)
[ "$status" = 0 ] && [ "$(jq -r '.Metrics[].MetricName' "$tmp/out" | sort)" = "$expected" ] &&
    echo "ok: list-metrics follows NextToken: 1100 metrics whole" ||
    { echo "FAIL: list-metrics: exit $status, $(jq '.Metrics | length' "$tmp/out") metrics"; failures=$((failures + 1)); }
aws cloudwatch list-metrics --namespace Paging --no-paginate
[ "$(jq '.Metrics | length' "$tmp/out")" = 500 ] && [ "$(jq -r .NextToken "$tmp/out")" = 500 ] &&
    echo "ok: list-metrics --no-paginate: one page of 500 and its NextToken" ||
    { echo "FAIL: list-metrics --no-paginate: $(jq '.Metrics | length' "$tmp/out")"; failures=$((failures + 1)); }
aws cloudwatch list-metrics --namespace Paging --max-items 700
token=$(jq -r .NextToken "$tmp/out")
first=$(jq -r '.Metrics[].MetricName' "$tmp/out")
aws cloudwatch list-metrics --namespace Paging --starting-token "$token"
rest=$(jq -r '.Metrics[].MetricName' "$tmp/out")
[ "$(echo "$first" | wc -l)" = 700 ] && [ "$(printf '%s\n%s\n' "$first" "$rest" | sort)" = "$expected" ] &&
    echo "ok: list-metrics --max-items 700 then --starting-token" ||
    { echo "FAIL: list-metrics --max-items/--starting-token"; failures=$((failures + 1)); }
$SEND "$endpoint" monitoring 0 "$FORM" \
    "Action=ListMetrics&Version=2010-08-01&Namespace=Paging&NextToken=1000" >"$tmp/raw"
[ "$(head -1 "$tmp/raw")" = 200 ] && [ "$(grep -o '<MetricName>' "$tmp/raw" | wc -l)" = 100 ] &&
    ! grep -q '<NextToken>' "$tmp/raw" && echo "ok: raw ListMetrics: the last page" ||
    { echo "FAIL: raw ListMetrics: $(head -c 400 "$tmp/raw")"; failures=$((failures + 1)); }
aws cloudwatch list-metrics --namespace Paging --no-paginate --next-token x500
expect_error InvalidNextToken 254

finish
