#!/usr/bin/env bash
# serve: an alarm fired early is not undone by the minute's evaluation of the instant before.
# Started in the first seconds of minute M with --evaluation-offset 40, the daemon's first
# minute round runs at M:40 and evaluates instant M:00, whose range [M-1, M) holds no data.
# An AccessDenied event of minute M fires the alarm early, as at instant M+1:00, seconds
# before that round: the M:00 evaluation must leave it in ALARM. (It moved it back to
# INSUFFICIENT_DATA until the next minute; seen as a failing describe-alarms check in
# test_serve_api.sh when a run started early in a minute.)
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
. "$REPO_DIR/tests/cli/lib.sh"
cleanup_signal=KILL
{
    echo 'metricFilters:'
    live_denied_filter
    echo 'alarms:'
    live_denied_alarm denied-early
} >"$tmp/config.yaml"
mkdir "$tmp/watch"
second() { date -u +%-S; }
# the first seconds of a minute, so that the fire comes before the M:40 round
while [ "$(second)" -lt 1 ] || [ "$(second)" -gt 12 ]; do sleep 1; done
minute=$(date -u +%H:%M)
"$TRAILHOUND" serve --config "$tmp/config.yaml" --db "$tmp/store.db" --watch "$tmp/watch" \
    --evaluation-offset 40 2>"$tmp/serve.log" &
pid=$!
pids+=("$pid")
wait_for_line "$tmp/serve.log" ' started ' 10
denied_event_now >>"$tmp/watch/events.jsonl"
wait_for_line "$tmp/serve.log" 'alarm=denied-early .*to=ALARM.*early=true' 15
check "the alarm fires early" 0 $?
# past the M:40 round, before the next minute's
while [ "$(second)" -lt 46 ] && [ "$(date -u +%H:%M)" = "$minute" ]; do sleep 1; done
if [ "$(date -u +%H:%M)" != "$minute" ]; then
    echo "SKIP: the machine was too slow to stay within one minute; nothing checked"
    exit 0
fi
check "the M:00 evaluation leaves it in ALARM" \
    ALARM "$(sqlite3 "$tmp/store.db" "SELECT state FROM alarm_state WHERE name = 'denied-early'")"
check "no transition back" 0 "$(grep -c 'alarm=denied-early from=ALARM' "$tmp/serve.log")"
kill -TERM "$pid"
wait "$pid"
check "exit status after SIGTERM" 0 $?
[ "$failures" -gt 0 ] && cat "$tmp/serve.log"
finish "serve: an early fire is kept by the minute's evaluation of the instant before"
