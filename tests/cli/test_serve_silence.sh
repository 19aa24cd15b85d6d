#!/usr/bin/env bash
# Silence is an alarm too: a log group, an account or a region that delivered events and
# then stays quiet for settings.silenceAfterMinutes (here 1) raises
# trailhound-silence:GROUP, trailhound-silence:account:ID or trailhound-silence:region:NAME,
# whose message goes to settings.silenceTopic (an exec subscription here); a log group,
# account and region that keeps delivering (a writer adds an event every 10 s) raises
# nothing. A second daemon, in the same two minutes, checks trailhound's own delivery
# failures: an alarm whose topic always fails (exit 1) raises trailhound-delivery-failures,
# whose own message goes to that same broken topic and fails too — and that failure is not
# counted (no cascade): Trailhound/DeliveryFailures equals the failed attempts of the other
# messages; its regionSilenceAfterMinutes gives regions their own period. Takes about two
# minutes: the alarms run on the wall clock.
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
. "$REPO_DIR/tests/cli/lib.sh"
cleanup_signal=KILL
event() { # event ACCOUNT REGION [ERROR_CODE]: one CloudTrail event, now
    printf '{"eventVersion":"1.08","eventTime":"%s","eventSource":"s3.amazonaws.com","eventName":"GetObject",%s"awsRegion":"%s","recipientAccountId":"%s","userIdentity":{"type":"IAMUser","accountId":"%s","arn":"arn:aws:iam::%s:user/eve"}}\n' \
        "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "${3:+\"errorCode\":\"$3\",}" "$2" "$1" "$1" "$1"
}
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
mkdir -p "$tmp/watch" "$tmp/idle" "$tmp/steady" "$tmp/b/watch"
"$TRAILHOUND" serve --cis --config "$tmp/config.yaml" --db "$tmp/store.db" \
    --watch "$tmp/watch=trail" --watch "$tmp/idle=never" --watch "$tmp/steady=steady" \
    --evaluation-offset 1 2>"$tmp/serve.log" &
pids+=($!)
serve_pid=$!

# the second daemon: its silence topic and an alarm's topic always fail
cat >"$tmp/b/config.yaml" <<YAML
settings:
  silenceTopic: broken
  regionSilenceAfterMinutes: 240
topics:
  - Name: broken
    Subscriptions:
      - Protocol: exec
        Endpoint: grep -o '"AlarmName":"[^"]*"' >> $tmp/b/broken.log; exit 1
alarms:
  - AlarmName: denied
    MetricName: unauthorized_api_calls_metric
    Namespace: CISBenchmark
    Statistic: Sum
    Period: 60
    EvaluationPeriods: 1
    Threshold: 1
    ComparisonOperator: GreaterThanOrEqualToThreshold
    TreatMissingData: notBreaching
    AlarmActions: [arn:aws:sns:us-east-1:000000000000:broken]
YAML
"$TRAILHOUND" serve --cis --config "$tmp/b/config.yaml" --db "$tmp/b/store.db" \
    --watch "$tmp/b/watch" --evaluation-offset 1 2>"$tmp/b/serve.log" &
pids+=($!)
b_pid=$!

wait_for_line "$tmp/serve.log" ' started ' 10
wait_for_line "$tmp/b/serve.log" ' started ' 10
head -3 "$REPO_DIR/samples/cloudtrail-events.jsonl" >"$tmp/watch/events.jsonl"
{ event 111111111111 us-east-1; event 222222222222 eu-west-1; event 12345 'US EAST'; } \
    >>"$tmp/watch/events.jsonl"
# the steady source: an event every 10 s for three minutes (stopped at the end)
"$PYTHON" - "$tmp/steady/events.jsonl" <<'PY' &
import json, sys, time
for _ in range(18):
    with open(sys.argv[1], "a") as out:
        out.write(json.dumps({
            "eventVersion": "1.08", "eventName": "GetObject", "awsRegion": "ap-south-1",
            "eventTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "recipientAccountId": "333333333333"}) + "\n")
    time.sleep(10)
PY
pids+=($!)
event 444444444444 eu-central-1 AccessDenied >"$tmp/b/watch/events.jsonl"

for alarm in trail account:111111111111 account:222222222222 region:us-east-1 region:eu-west-1; do
    wait_for_line "$tmp/serve.log" "alarm=trailhound-silence:$alarm .*to=ALARM" 200
    check "a quiet source raises its silence alarm ($alarm)" 0 $?
done
wait_for_line "$tmp/ops.out" '"AlarmName":"trailhound-silence:trail"' 20
check "the silence alarm's message reaches silenceTopic" 0 $?
grep -q '"NewStateValue":"ALARM"' "$tmp/ops.out"
check "the message says ALARM" 0 $?
wait_for_line "$tmp/ops.out" '"AlarmName":"trailhound-silence:account:222222222222"' 20
check "the account's silence alarm reaches silenceTopic" 0 $?
grep -q '"AlarmDescription":"trailhound: account 222222222222 delivered no events for 1 minute' "$tmp/ops.out"
check "its description says which account went quiet" 0 $?
check "an account that is not 12 digits and a region that is not [a-z0-9-] are not watched" 0 \
    "$(grep -c 'trailhound-silence:account:12345 \|trailhound-silence:region:US' "$tmp/serve.log")"
check "a log group that never delivered raises nothing" 0 \
    "$(grep -c 'trailhound-silence:never' "$tmp/serve.log")"
for alarm in steady account:333333333333 region:ap-south-1; do
    grep -q "alarm=trailhound-silence:$alarm .*to=OK" "$tmp/serve.log"
    check "a source that keeps delivering is watched ($alarm OK)" 0 $?
    check "and raises nothing ($alarm)" 0 \
        "$(grep -c "alarm=trailhound-silence:$alarm .*to=ALARM" "$tmp/serve.log")"
done
check "no delivery failed, so trailhound-delivery-failures stays quiet" 0 \
    "$(grep -c 'alarm=trailhound-delivery-failures .*to=ALARM' "$tmp/serve.log")"

wait_for_line "$tmp/b/serve.log" 'alarm=trailhound-delivery-failures .*to=ALARM' 30
check "a failed delivery raises trailhound-delivery-failures" 0 $?
wait_for_line "$tmp/b/broken.log" '"AlarmName":"trailhound-delivery-failures"' 20
check "its own message went to the broken topic" 0 $?
kill -TERM "$serve_pid" "$b_pid"
wait "$serve_pid"
wait "$b_pid"
check "exit status after SIGTERM" 0 $?
others=$(grep -vc '"AlarmName":"trailhound-delivery-failures"' "$tmp/b/broken.log")
counted=$("$TRAILHOUND" metrics --db "$tmp/b/store.db" --namespace Trailhound \
    --metric-name DeliveryFailures --start-time 2000-01-01 --end-time 2100-01-01 \
    --period 2592000 --statistics Sum | jq '[.Datapoints[].Sum] | add // 0')
check "DeliveryFailures counts the other messages' failures, not its own alarm's" \
    "$others" "$counted"
periods=$("$PYTHON" - "$tmp/b/store.db" <<'PY'
import json, sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute(
    "select definition_json from alarms where name in "
    "('trailhound-silence:account:444444444444', 'trailhound-silence:region:eu-central-1') "
    "order by name")
print(" ".join(str(json.loads(row[0])["Period"]) for row in rows))
PY
)
check "regionSilenceAfterMinutes sets the region's period, the account keeps silenceAfterMinutes" \
    "3600 14400" "$periods"
if [ "$failures" -gt 0 ]; then
    cat "$tmp/serve.log"
    cat "$tmp/b/serve.log" "$tmp/b/broken.log"
fi
own=$(grep -c '"AlarmName":"trailhound-delivery-failures"' "$tmp/b/broken.log")
finish "serve silence: all checks passed ($counted delivery failures counted, $own of the alarm's own not)"
