#!/usr/bin/env bash
# `serve --listen`: the API runs inside the daemon. An alarm made with Debian's aws-cli
# (put-metric-alarm) is evaluated by the daemon on events it ingests (fired early), and
# describe-alarms through the same API reports ALARM; SIGHUP keeps API-made alarms.
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
. "$REPO_DIR/tests/cli/lib.sh"
cleanup_signal=KILL
require_debian_aws
aws_test_env
{
    printf 'settings:\n  accountId: "123456789012"\nmetricFilters:\n'
    live_denied_filter
} >"$tmp/config.yaml"
mkdir "$tmp/watch"
"$TRAILHOUND" serve --config "$tmp/config.yaml" --db "$tmp/store.db" --watch "$tmp/watch" \
    --listen 127.0.0.1:0 --credentials "$tmp/credentials" 2>"$tmp/serve.log" &
pid=$!
pids+=("$pid")
wait_for_line "$tmp/serve.log" ' api_listening ' 10
port=$(sed -nE 's/.* api_listening .* port=([0-9]+).*/\1/p' "$tmp/serve.log")
cw() { "$AWS_CLI" cloudwatch "$@" --endpoint-url "http://127.0.0.1:$port"; }
cw put-metric-alarm --alarm-name api-denied --namespace Live --metric-name Denied \
    --statistic Sum --period 60 --evaluation-periods 1 --threshold 1 \
    --comparison-operator GreaterThanOrEqualToThreshold
check "put-metric-alarm through serve" 0 $?
denied_event_now >>"$tmp/watch/events.jsonl"
wait_for_line "$tmp/serve.log" 'alarm=api-denied .*to=ALARM.*early=true' 10
check "the daemon fires the API-made alarm" 0 $?
check "describe-alarms says ALARM" ALARM \
    "$(cw describe-alarms --alarm-names api-denied --query 'MetricAlarms[0].StateValue' --output text)"
kill -HUP "$pid"
wait_for_line "$tmp/serve.log" ' reloaded ' 10
check "SIGHUP keeps the API-made alarm" api-denied \
    "$(cw describe-alarms --alarm-names api-denied --query 'MetricAlarms[].AlarmName' --output text)"
check "the log group's and the region's silence alarms are visible through the API" \
    "$(printf 'trailhound-silence:CloudTrail/DefaultLogGroup\ttrailhound-silence:region:us-east-1')" \
    "$(cw describe-alarms --alarm-name-prefix trailhound-silence --query 'MetricAlarms[].AlarmName' --output text)"
kill -TERM "$pid"
wait "$pid"
check "exit status after SIGTERM" 0 $?
if [ "$failures" -gt 0 ]; then
    cat "$tmp/serve.log"
    exit 1
fi
echo "serve --listen: all checks passed"
