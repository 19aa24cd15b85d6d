#!/usr/bin/env bash
# Durable delivery: the receiver is down for longer than the first retry phase while
# `scan --db --notify` is killed with -9; after a restart, once the receiver is back, every
# notification arrives (receivers tell duplicates apart by x-amz-sns-message-id, which
# stays the same across attempts and restarts). Also: `notify test` reports each delivery.
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
DATA="$REPO_DIR/tests/data/alarms"
. "$REPO_DIR/tests/cli/lib.sh"
cleanup_signal=KILL
port=$(free_port)

cat >"$tmp/notify.yaml" <<YAML
topics:
  - Name: security
    Subscriptions:
      - Protocol: http
        Endpoint: http://127.0.0.1:$port/sns
        DeliveryPolicy: '{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":100}}'
alarms:
  - AlarmName: denied-burst
    MetricName: DeniedCount
    Namespace: Security
    Statistic: Sum
    Period: 60
    EvaluationPeriods: 1
    Threshold: 2
    ComparisonOperator: GreaterThanOrEqualToThreshold
    TreatMissingData: notBreaching
    AlarmActions: [arn:aws:sns:us-east-1:000000000000:security]
    OKActions: [arn:aws:sns:us-east-1:000000000000:security]
YAML
denied_filter_config "$tmp/filter.yaml"
run_scan() { # exec: a background run is the scan itself, so kill -9 reaches it
    exec "$TRAILHOUND" scan --config "$tmp/filter.yaml" --config "$tmp/notify.yaml" --notify \
        --notify-wait "$1" --db "$tmp/state.db" --format json "$DATA/denied-events.jsonl"
}

# 1. the receiver is down: attempts fail and are retried each second; kill -9 mid-way
(run_scan 60) >"$tmp/first.json" 2>"$tmp/first.err" &
scan=$!
pids+=($scan)
for _ in $(seq 100); do
    attempts=$(sqlite3 "$tmp/state.db" "SELECT coalesce(max(attempts), 0) FROM outbox" 2>/dev/null)
    [ "${attempts:-0}" -ge 2 ] && break
    sleep 0.1
done
kill -9 $scan
wait $scan 2>/dev/null
check "three messages pending after the kill" "3 pending" \
    "$(sqlite3 "$tmp/state.db" "SELECT count(*) || ' ' || min(state) FROM outbox WHERE state = 'pending'")"
check "more than the first retry phase was tried" yes \
    "$( [ "$(sqlite3 "$tmp/state.db" "SELECT max(attempts) FROM outbox")" -ge 2 ] && echo yes)"
sqlite3 "$tmp/state.db" "SELECT message_id FROM outbox ORDER BY message_id" >"$tmp/expected-ids"

# 2. the receiver is back; the restarted scan (nothing new to read) delivers what is pending
start_http_receiver "$tmp/http.port" --port "$port"
wait_for_port_file "$tmp/http.port"
(run_scan 30) >"$tmp/second.json" 2>"$tmp/second.err"
check "restarted scan exit status" 0 "$?"
check "nothing read twice" "1 0" "$(jq -r '"\(.files_already_counted) \(.events)"' "$tmp/second.json")"
check "delivered after the restart" '{"delivered":3,"failed":0,"pending":0}' \
    "$(jq -c '.notifications | {delivered, failed, pending}' "$tmp/second.json")"
jq -r '.headers[] | select(.[0] | ascii_downcase == "x-amz-sns-message-id") | .[1]' "$tmp/http.log" |
    sort -u >"$tmp/received-ids"
check "every notification arrived" "$(cat "$tmp/expected-ids")" "$(cat "$tmp/received-ids")"

# 3. notify test: one test message per subscription, with its result
"$TRAILHOUND" notify test --config "$tmp/notify.yaml" --topic security >"$tmp/test.out" 2>&1
check "notify test exit status" 0 "$?"
check "notify test result line names the redacted endpoint" yes \
    "$(grep -q "^http  *http://127.0.0.1:$port/… *delivered: HTTP 200" "$tmp/test.out" && echo yes)"
check "notify test delivered" 1 "$(grep -c 'delivered' "$tmp/test.out")"
check "test message received" 1 \
    "$(jq -r 'select(.body | contains("trailhound test message")) | .path' "$tmp/http.log" | wc -l)"
kill -9 "${pids[-1]}"
"$TRAILHOUND" notify test --config "$tmp/notify.yaml" --topic security >"$tmp/down.out" 2>&1
check "notify test reports a failed delivery" 4 "$?"
"$TRAILHOUND" notify test --config "$tmp/notify.yaml" --topic nope >/dev/null 2>"$tmp/nope.err"
check "unknown topic" 2 "$?"

if [ $failures -ne 0 ]; then
    cat "$tmp/test.out" "$tmp/first.err" "$tmp/second.err" 2>/dev/null | head -20
    echo "$failures failure(s)"
    exit 1
fi
echo "notify restart: all checks passed"
