#!/usr/bin/env bash
# Silence is an alarm too: a log group that delivered events and then stays quiet for
# settings.silenceAfterMinutes (here 1) raises trailhound-silence:GROUP, whose message goes
# to settings.silenceTopic (an exec subscription here). Takes about two minutes: the alarm
# runs on the wall clock.
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
. "$REPO_DIR/tests/cli/lib.sh"
cleanup_signal=KILL
cat >"$tmp/config.yaml" <<YAML
settings:
  silenceAfterMinutes: 1
  silenceTopic: ops
topics:
  - Name: ops
    Subscriptions:
      - Protocol: exec
        Endpoint: cat >> $tmp/ops.out; echo >> $tmp/ops.out
YAML
mkdir "$tmp/watch" "$tmp/idle"
"$TRAILHOUND" serve --cis --config "$tmp/config.yaml" --db "$tmp/store.db" \
    --watch "$tmp/watch=trail" --watch "$tmp/idle=never" --evaluation-offset 1 \
    2>"$tmp/serve.log" &
pid=$!
pids+=("$pid")
wait_for_line "$tmp/serve.log" ' started ' 10
head -3 "$REPO_DIR/samples/cloudtrail-events.jsonl" >"$tmp/watch/events.jsonl"
wait_for_line "$tmp/serve.log" 'alarm=trailhound-silence:trail .*to=ALARM' 200
check "a quiet log group raises its silence alarm" 0 $?
wait_for_line "$tmp/ops.out" '"AlarmName":"trailhound-silence:trail"' 20
check "the silence alarm's message reaches silenceTopic" 0 $?
grep -q '"NewStateValue":"ALARM"' "$tmp/ops.out"
check "the message says ALARM" 0 $?
check "a log group that never delivered raises nothing" 0 \
    "$(grep -c 'trailhound-silence:never' "$tmp/serve.log")"
kill -TERM "$pid"
wait "$pid"
if [ "$failures" -gt 0 ]; then
    cat "$tmp/serve.log"
    exit 1
fi
echo "serve silence: all checks passed"
