#!/usr/bin/env bash
# Grouping in `scan --notify`: a subscription's GroupingWindowSeconds turns the state
# changes of one alarm inside the window into one message that says how many it stands
# for. The fixture (tests/data/alarms/denied-events.jsonl with denied-burst, see
# test_scan_alarms.sh) flaps: INSUFFICIENT_DATA -> OK at 10:00, OK -> ALARM at 10:01,
# ALARM -> OK at 10:03, and the alarm's OKActions and AlarmActions name the same topic, so
# without grouping an exec subscription gets 3 messages (test_scan_notify.sh).
#   window 600: the 10:00 message is held until 10:10; 10:01 and 10:03 join it -> one
#     message, "grouped":3, describing the latest change (ALARM -> OK at 10:03).
#   window 120: held until 10:02; 10:01 joins (2, latest OK -> ALARM); 10:03 is past the
#     window and starts a message of its own (1) -> two messages.
#   window 60: held until 10:01:00; the 10:01:00 change is not before that -> three
#     messages, none grouped.
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
DATA="$REPO_DIR/tests/data/alarms"
. "$REPO_DIR/tests/cli/lib.sh"

# the filter of denied-burst.yaml, without its alarm (the file below defines it)
denied_filter_config "$tmp/filter.yaml"

run() { # run WINDOW: scan --notify with that window, messages into $tmp/exec-WINDOW.out
    local window=$1
    {
        cat <<YAML
topics:
  - Name: security
    GroupingWindowSeconds: $window
    Subscriptions:
      - Protocol: exec
        Endpoint: cat >> $tmp/exec-$window.out; echo >> $tmp/exec-$window.out
YAML
        denied_burst_alarm "[security]"
    } >"$tmp/notify-$window.yaml"
    "$TRAILHOUND" scan --config "$tmp/filter.yaml" --config "$tmp/notify-$window.yaml" --notify \
        --db "$tmp/state-$window.db" --format json "$DATA/denied-events.jsonl" \
        >"$tmp/scan-$window.json" 2>"$tmp/scan-$window.err"
    check "window $window: exit status" 0 "$?"
}

summary() { # one line per message: states, change time, grouped count
    jq -c '"\(.OldStateValue)>\(.NewStateValue) \(.StateChangeTime[11:16]) \(.Trailhound.grouped)"' \
        "$tmp/exec-$1.out" | tr -d '"'
}

# --- window 600: one message instead of three ---
run 600
check "600: one queued, one delivered" '{"queued":1,"delivered":1,"failed":0,"pending":0}' \
    "$(jq -c '.notifications | {queued, delivered, failed, pending}' "$tmp/scan-600.json")"
check "600: the replay still has its three transitions" 3 \
    "$(jq '.alarms[0].transitions | length' "$tmp/scan-600.json")"
check "600: one message for three changes, the latest described" "ALARM>OK 10:03 3" "$(summary 600)"
check "600: AWS's keys untouched, Trailhound's grouping keys last" \
    '["AlarmName","AlarmDescription","AWSAccountId","AlarmConfigurationUpdatedTimestamp","NewStateValue","NewStateReason","StateChangeTime","Region","AlarmArn","OldStateValue","OKActions","AlarmActions","InsufficientDataActions","Trigger","Trailhound"] [{"grouped":3},{"groupingWindowSeconds":600}]' \
    "$(jq -c 'keys_unsorted' "$tmp/exec-600.out") $(jq -c '.Trailhound | to_entries | .[-2:] | map({(.key): .value})' "$tmp/exec-600.out")"
check "600: the reason is the latest change's" "Threshold Crossed: 1 out of the last 1 datapoints [1.0 (01/03/24 10:02:00)] was not greater than or equal to the threshold (2.0) (minimum 1 datapoint for ALARM -> OK transition)." \
    "$(jq -r .NewStateReason "$tmp/exec-600.out")"
# one row, created at the first change (10:00:00 = 1709287200000 ms); test_monitor_grouping
# checks that it was held until the window's end
check "600: the outbox row" "1709287200000|delivered|3" \
    "$(sqlite3 "$tmp/state-600.db" "SELECT created_ms, state, json_extract(attributes_json, '\$.grouped') FROM outbox")"

# --- window 120: the third change falls past the first window ---
run 120
check "120: two messages" "OK>ALARM 10:01 2
ALARM>OK 10:03 null" "$(summary 120)"
check "120: queued" 2 "$(jq .notifications.queued "$tmp/scan-120.json")"

# --- window 60: no change falls inside another's window ---
run 60
check "60: three messages, none grouped" "INSUFFICIENT_DATA>OK 10:00 null
OK>ALARM 10:01 null
ALARM>OK 10:03 null" "$(summary 60)"

finish "scan grouping: all checks passed"
