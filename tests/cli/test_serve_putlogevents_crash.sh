#!/usr/bin/env bash
# Exactly once for PutLogEvents across kill -9: a client sends numbered batches (5 events,
# 2 of them AccessDenied) and retries each until it is acknowledged, as the AWS CLI does,
# while `serve --listen` is killed at random moments (24 times with -9, then SIGTERM once)
# and restarted. While it is down the store holds whole batches only: every acknowledged
# one, plus at most the one in flight, and the metric counts exactly the stored events.
# At the end every acknowledged batch is stored and counted once, a deliberate re-send of an
# acknowledged batch is recognised as a retry, and the filter (made with put-metric-filter)
# survived every restart.
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
. "$REPO_DIR/tests/cli/lib.sh"
cleanup_signal=KILL
require_debian_aws
aws_test_env
unset AWS_MAX_ATTEMPTS # the CLI retries as it does for users
printf 'settings:\n  dataPointRetentionDays: 36500\n' >"$tmp/config.yaml"
port=$(free_port)
endpoint="http://127.0.0.1:$port"
BATCHES=1000000 # at most: it is stopped once the kills are over
EVENTS=5
group=Crash/Group

starts=0
start_serve() {
    "$TRAILHOUND" serve --config "$tmp/config.yaml" --db "$tmp/serve.db" \
        --listen "127.0.0.1:$port" --credentials "$tmp/credentials" 2>>"$tmp/serve.log" &
    pid=$!
    pids+=("$pid")
    starts=$((starts + 1))
    for _ in $(seq 300); do # sanitizer builds start slowly
        [ "$(grep -c ' api_listening ' "$tmp/serve.log" 2>/dev/null)" -ge "$starts" ] && return 0
        sleep 0.02
    done
    return 1
}
stored() { sqlite3 "$tmp/serve.db" "SELECT count(*) FROM log_events WHERE log_group = '$group'"; }
counted() {
    "$TRAILHOUND" metrics --db "$tmp/serve.db" --namespace Crash --metric-name Denied \
        --start-time 2000-01-01 --end-time 2100-01-01 --period 2592000 --statistics Sum |
        jq '[.Datapoints[].Sum] | add // 0'
}
acknowledged() { grep -c '^[0-9]' "$tmp/acks" 2>/dev/null || true; }

start_serve
check "serve starts" 0 $?
aws() { "$AWS_CLI" "$@" --endpoint-url "$endpoint"; }
aws logs create-log-group --log-group-name "$group" &&
    aws logs create-log-stream --log-group-name "$group" --log-stream-name s1 &&
    aws logs put-metric-filter --log-group-name "$group" --filter-name denied \
        --metric-transformations metricName=Denied,metricNamespace=Crash,metricValue=1 \
        --filter-pattern '{ $.errorCode = "AccessDenied*" }'
check "group, stream and filter made" 0 $?
kill -TERM "$pid"
wait "$pid" 2>/dev/null

: >"$tmp/acks"
"$PYTHON" "$REPO_DIR/tests/support/put_log_events_client.py" "$endpoint" "$group" s1 \
    "$BATCHES" "$EVENTS" "$tmp/acks" "$tmp/stop" --again 7 >"$tmp/client.out" 2>&1 &
client=$!
pids+=("$client")

# While it is down: whole batches, the acknowledged ones and at most one more, all counted.
broken=0
check_down() {
    local events acked denied
    events=$(stored)
    acked=$(acknowledged)
    denied=$(counted)
    if [ $((events % EVENTS)) -ne 0 ] || [ "$events" -lt $((acked * EVENTS)) ] ||
        [ "$events" -gt $(((acked + 1) * EVENTS)) ] || [ "$denied" != $((events / EVENTS * 2)) ]; then
        echo "after kill $1: stored=$events acknowledged=$acked counted=$denied"
        broken=$((broken + 1))
    fi
}
kills=0
for round in $(seq 25); do
    start_serve || echo "serve did not start (round $round)"
    sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
    if [ "$round" -lt 25 ]; then
        kill -9 "$pid" && kills=$((kills + 1))
        wait "$pid" 2>/dev/null
    else # SIGTERM while the client is sending: requests waiting are failed, no deadlock
        stop_start=$(date +%s)
        kill -TERM "$pid"
        wait "$pid"
        check "exit status after SIGTERM with requests in flight" 0 $?
        check "stops within 10 s" 1 $(($(date +%s) - stop_start <= 10))
    fi
    check_down "$round"
done
check "killed at least 20 times" 1 $((kills >= 20))
check "every stop kept whole batches, counted once" 0 "$broken"
acked_during=$(acknowledged)
check "batches were acknowledged between the kills ($acked_during)" 1 $((acked_during >= 50))
check "the client was not done before the kills ended" 1 $((acked_during < BATCHES))
busy=$(awk '/ api_listening /{if (s && n) b++; s=1; n=0} / ingested /{n++} END{print b + 0}' "$tmp/serve.log")
check "at least 10 killed runs were ingesting ($busy)" 1 $((busy >= 10))

start_serve
sleep 1
touch "$tmp/stop" # the client ends the batch in hand, re-sends batch 7 and exits
for _ in $(seq 600); do # at most 60 s
    kill -0 "$client" 2>/dev/null || break
    sleep 0.1
done
wait "$client"
check "the client got every batch acknowledged" 0 $?
batches=$(acknowledged)
check "more batches acknowledged after the last restart" 1 $((batches > acked_during))
check "the re-sent batch was acknowledged" "again 7" "$(tail -1 "$tmp/acks")"
check "the re-sent batch was recognised as a retry" 1 \
    $(($(grep -c ' log_events_repeated ' "$tmp/serve.log") >= 1))
kill -TERM "$pid"
wait "$pid"
check "stored events: every acknowledged batch once" $((batches * EVENTS)) "$(stored)"
check "counted AccessDenied events: every acknowledged batch once" $((batches * 2)) "$(counted)"

# A commit that fails (another process holds the write lock past the 5 s busy timeout) is
# answered ServiceUnavailableException and keeps nothing; the same batch sent again once
# the lock is gone is stored and counted once.
start_serve
"$PYTHON" -c 'import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
open(sys.argv[2], "w").write("locked")
time.sleep(10)' "$tmp/serve.db" "$tmp/locked" &
locker=$!
pids+=("$locker")
wait_for_port_file "$tmp/locked"
lone_event='[{"timestamp":1700000000000,"message":"{\"errorCode\":\"AccessDenied\",\"eventID\":\"lone\"}"}]'
AWS_MAX_ATTEMPTS=1 aws logs put-log-events --log-group-name "$group" --log-stream-name s1 \
    --log-events "$lone_event" >/dev/null 2>"$tmp/refused.err"
check "a failed commit: the CLI's exit status" 254 $?
check "a failed commit answers ServiceUnavailableException" 1 \
    "$(grep -c 'ServiceUnavailableException' "$tmp/refused.err")"
wait "$locker"
check "nothing kept of the refused batch" $((batches * EVENTS)) "$(stored)"
AWS_MAX_ATTEMPTS=1 aws logs put-log-events --log-group-name "$group" --log-stream-name s1 \
    --log-events "$lone_event" >/dev/null
check "the same batch, sent again, is acknowledged" 0 $?
check "and stored once" $((batches * EVENTS + 1)) "$(stored)"
check "and counted once" $((batches * 2 + 1)) "$(counted)"
kill -TERM "$pid"
wait "$pid"
if [ "$failures" -gt 0 ]; then
    grep -v ' ingested ' "$tmp/serve.log" | tail -30
    cat "$tmp/client.out"
fi
finish "serve PutLogEvents crash: all checks passed ($kills kills, $acked_during batches acknowledged during them)"
