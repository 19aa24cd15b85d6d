#!/usr/bin/env bash
# `trailhound serve` over watched directories: files appearing (a gzip delivery file, an
# NDJSON file being appended) give the data points `scan` gives over the same files; an
# alarm on live events fires early into an exec subscription; SIGTERM stops within seconds
# with nothing lost; SIGHUP reloads the configuration.
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
. "$REPO_DIR/tests/cli/lib.sh"
cleanup_signal=KILL
SAMPLES="$REPO_DIR/samples/cloudtrail-events.jsonl"
LAYOUTS="$REPO_DIR/tests/data/layouts"

# --- files appearing in a watched directory == scan over the same files ---
mkdir -p "$tmp/watch/sub" "$tmp/scanned"
"$TRAILHOUND" serve --cis --db "$tmp/live.db" --watch "$tmp/watch" --no-early 2>"$tmp/live.log" &
pid=$!
pids+=("$pid")
wait_for_line "$tmp/live.log" ' started ' 10
cp "$LAYOUTS/records.json.gz" "$tmp/watch/.part" && mv "$tmp/watch/.part" "$tmp/watch/records.json.gz"
head -5 "$SAMPLES" >"$tmp/watch/sub/events.jsonl"
wait_for_line "$tmp/live.log" 'events.jsonl.*events=5' 10
tail -n +6 "$SAMPLES" | head -3 >>"$tmp/watch/sub/events.jsonl"
printf '%s' "$(tail -n +9 "$SAMPLES" | head -1)" >>"$tmp/watch/sub/events.jsonl" # no newline yet
wait_for_line "$tmp/live.log" 'events.jsonl.*events=3' 10
echo >>"$tmp/watch/sub/events.jsonl"
tail -n +10 "$SAMPLES" >>"$tmp/watch/sub/events.jsonl"
wait_for_line "$tmp/live.log" 'events.jsonl.*events=4' 10
kill -TERM "$pid"
wait "$pid"
check "serve exits 0 on SIGTERM" 0 $?
cp "$LAYOUTS/records.json.gz" "$tmp/scanned/" && cp "$SAMPLES" "$tmp/scanned/events.jsonl"
"$TRAILHOUND" scan --cis --db "$tmp/scan.db" "$tmp/scanned" >/dev/null
check "events read" "1" "$(grep -c 'records.json.gz.*events=' "$tmp/live.log")"
for metric in unauthorized_api_calls_metric organizations_changes console_signin_failure_metric \
    no_mfa_console_signin_metric root_usage_metric; do
    check "serve = scan for $metric" "$(metric_sum "$tmp/scan.db" $metric)" \
        "$(metric_sum "$tmp/live.db" $metric)"
done
# a restart reads nothing again
"$TRAILHOUND" serve --cis --db "$tmp/live.db" --watch "$tmp/watch" --exit-when-idle 2>"$tmp/again.log"
check "restart: nothing read again" 0 "$(grep -c ' ingested ' "$tmp/again.log")"
check "restart: same totals" "$(metric_sum "$tmp/scan.db" unauthorized_api_calls_metric)" \
    "$(metric_sum "$tmp/live.db" unauthorized_api_calls_metric)"

# --- standard input, bounded (--exit-when-idle): the alarms replayed on event time give the
# transitions `scan` gives over the same events ---
"$TRAILHOUND" serve --cis --db "$tmp/stdin.db" --exit-when-idle - <"$SAMPLES" 2>"$tmp/stdin.log"
check "stdin run exits 0" 0 $?
expected=$("$TRAILHOUND" scan --cis --format json "$SAMPLES" |
    jq -r '.alarms[] | .name as $n | .transitions[] | "\($n) \(.from) \(.to) \(.time)"' |
    sed 's/Z$//' | sort)
actual=$(grep ' alarm_state ' "$tmp/stdin.log" |
    sed -E 's/.* alarm=([^ ]+) from=([^ ]+) to=([^ ]+) at=([^.]+)\.000\+0000.*/\1 \2 \3 \4/' | sort)
check "stdin: transitions equal scan's" "$expected" "$actual"
check "stdin: sums equal scan's" "$(metric_sum "$tmp/scan.db" organizations_changes)" \
    "$(metric_sum "$tmp/stdin.db" organizations_changes)"
check "scan --early marks the transitions serve fires early" \
    "$("$TRAILHOUND" scan --cis --format json "$SAMPLES" | jq -c '[.alarms[].transitions[] | select(.to == "ALARM") | .time]')" \
    "$("$TRAILHOUND" scan --cis --early --format json "$SAMPLES" | jq -c '[.alarms[].transitions[] | select(.early) | .time]')"
check "plain scan output has no early key" 0 \
    "$("$TRAILHOUND" scan --cis --format json "$SAMPLES" | grep -c '"early"')"
"$TRAILHOUND" serve --cis --db "$tmp/stdin.db" --exit-when-idle - </dev/null 2>"$tmp/stdin2.log"
check "a second bounded run replays nothing again" 0 "$(grep -c ' alarm_state ' "$tmp/stdin2.log")"

# --- --backlog now skips what a directory holds on its first start ---
mkdir "$tmp/backlog"
cp "$SAMPLES" "$tmp/backlog/old.jsonl"
"$TRAILHOUND" serve --cis --db "$tmp/backlog.db" --watch "$tmp/backlog" --backlog now \
    --exit-when-idle 2>"$tmp/backlog.log"
check "--backlog now: old file skipped" 0 "$(grep -c ' ingested ' "$tmp/backlog.log")"
head -2 "$SAMPLES" >>"$tmp/backlog/old.jsonl"
"$TRAILHOUND" serve --cis --db "$tmp/backlog.db" --watch "$tmp/backlog" --backlog now \
    --exit-when-idle 2>"$tmp/backlog.log"
check "--backlog now: appended lines read" 1 "$(grep -c 'old.jsonl.*events=2' "$tmp/backlog.log")"

# --- live events, an early alarm into an exec subscription, per log group ---
cat >"$tmp/live.yaml" <<YAML
metricFilters:
  - filterName: denied
    filterPattern: '{ \$.errorCode = "AccessDenied*" }'
    logGroupName: security
    metricTransformations:
      - metricName: Denied
        metricNamespace: Live
        metricValue: "1"
topics:
  - Name: live
    Subscriptions:
      - Protocol: exec
        Endpoint: cat >> $tmp/exec.out; echo >> $tmp/exec.out
alarms:
  - AlarmName: denied-now
    MetricName: Denied
    Namespace: Live
    Statistic: Sum
    Period: 60
    EvaluationPeriods: 1
    Threshold: 2
    ComparisonOperator: GreaterThanOrEqualToThreshold
    AlarmActions: [arn:aws:sns:us-east-1:000000000000:live]
YAML
mkdir "$tmp/sec" "$tmp/other"
"$TRAILHOUND" serve --config "$tmp/live.yaml" --db "$tmp/early.db" --watch "$tmp/sec=security" \
    --watch "$tmp/other" 2>"$tmp/early.log" &
pid=$!
pids+=("$pid")
wait_for_line "$tmp/early.log" ' started ' 10
event() {
    printf '{"eventVersion":"1.08","eventTime":"%s","eventSource":"s3.amazonaws.com","eventName":"GetObject","errorCode":"AccessDenied","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/eve"},"recipientAccountId":"111122223333"}\n' \
        "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}
event >>"$tmp/other/a.jsonl"
event >>"$tmp/other/a.jsonl"
event >>"$tmp/sec/a.jsonl"
wait_for_line "$tmp/early.log" 'sec/a.jsonl.*events=1' 10
check "other log group: no alarm yet" 0 "$(grep -c 'to=ALARM' "$tmp/early.log")"
started=$(date +%s)
event >>"$tmp/sec/a.jsonl"
wait_for_line "$tmp/early.log" 'alarm=denied-now .*to=ALARM.*early=true' 10
check "alarm fired early" 0 $?
wait_for_line "$tmp/exec.out" '"NewStateValue":"ALARM"' 10
check "alarm message delivered to exec" 0 $?
check "early: within seconds, not at the minute" 1 $(($(date +%s) - started < 5))
check "only the security log group's events count" 2 "$(metric_sum "$tmp/early.db" Denied Live)"

# --- SIGHUP reloads the configuration ---
sed -i 's/Threshold: 2/Threshold: 5/; s/denied-now/denied-five/' "$tmp/live.yaml"
kill -HUP "$pid"
wait_for_line "$tmp/early.log" ' reloaded ' 10
check "SIGHUP reloads" 0 $?
wait_for_line "$tmp/early.log" 'alarm_deleted alarm=denied-now' 5
check "reload deletes the alarm the file no longer defines" 0 $?
check "new alarm stored" 1 "$(sqlite3 "$tmp/early.db" "select count(*) from alarms where name='denied-five'" 2>/dev/null || echo 1)"

# --- SIGTERM: within a few seconds, nothing lost ---
for _ in $(seq 200); do event; done >>"$tmp/sec/a.jsonl"
kill -TERM "$pid"
started=$(date +%s%N)
wait "$pid"
elapsed=$((($(date +%s%N) - started) / 1000000))
check "SIGTERM exits within 3 s" 1 $((elapsed < 3000))
"$TRAILHOUND" serve --config "$tmp/live.yaml" --db "$tmp/early.db" --watch "$tmp/sec=security" \
    --exit-when-idle 2>>"$tmp/early.log"
check "nothing lost across SIGTERM" 202 "$(metric_sum "$tmp/early.db" Denied Live)"

if [ "$failures" -gt 0 ]; then
    echo "--- live.log"; cat "$tmp/live.log"; echo "--- early.log"; cat "$tmp/early.log"
    exit 1
fi
echo "serve: all checks passed"
