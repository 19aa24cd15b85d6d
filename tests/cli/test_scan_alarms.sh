#!/usr/bin/env bash
# `scan` with alarms, `--db` and `trailhound metrics`, on a small fixture whose expected
# transitions were worked out by hand from ../shared/spec/alarms.md:
#
#   events (tests/data/alarms/denied-events.jsonl): denied calls at 10:00:10, 10:00:50,
#   10:02:30 and 11:00:05 on 2024-03-01, so one-minute Sums 10:00 = 2, 10:02 = 1, 11:00 = 1.
#   alarm denied-burst: Sum >= 2 over 60 s, N = 1, M = 1, notBreaching; range 3 slots (§5.2).
#   10:00  nothing in [09:57, 10:00): all missing, notBreaching      INSUFFICIENT_DATA -> OK (§8.2 C)
#   10:01  newest real slot 10:00 = 2.0 >= 2                          OK -> ALARM (§8.2 B)
#   10:02  slots 09:59, 10:00, 10:01: still judges 10:00              stays ALARM (§5.9)
#   10:03  newest real slot 10:02 = 1.0 < 2                           ALARM -> OK
#   11:01  11:00 = 1.0 < 2                                            stays OK
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
DATA="$REPO_DIR/tests/data/alarms"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

check() { # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" != "$3" ]; then
        echo "FAIL: $1"
        echo "  expected: $2"
        echo "  actual:   $3"
        failures=$((failures + 1))
    fi
}

run_scan() { # run_scan OUT ARGS...
    local out=$1
    shift
    "$TRAILHOUND" scan --config "$DATA/denied-burst.yaml" "$@" "$DATA/denied-events.jsonl" \
        >"$out" 2>"$tmp/stderr" || {
        echo "FAIL: scan $* exited $?: $(cat "$tmp/stderr")"
        failures=$((failures + 1))
    }
}

# --- the replay, in memory ---
run_scan "$tmp/scan.json" --format json
expected='[{"time":"2024-03-01T10:00:00Z","from":"INSUFFICIENT_DATA","to":"OK","reason":"Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching]."},{"time":"2024-03-01T10:01:00Z","from":"OK","to":"ALARM","reason":"Threshold Crossed: 1 out of the last 1 datapoints [2.0 (01/03/24 10:00:00)] was greater than or equal to the threshold (2.0) (minimum 1 datapoint for OK -> ALARM transition)."},{"time":"2024-03-01T10:03:00Z","from":"ALARM","to":"OK","reason":"Threshold Crossed: 1 out of the last 1 datapoints [1.0 (01/03/24 10:02:00)] was not greater than or equal to the threshold (2.0) (minimum 1 datapoint for ALARM -> OK transition)."}]'
check "transitions" "$expected" "$(jq -c '.alarms[0].transitions' "$tmp/scan.json")"
check "alarm fields" '{"name":"denied-burst","cis":null,"metric":"DeniedCount","final_state":"OK"}' \
    "$(jq -c '.alarms[0] | {name, cis, metric, final_state}' "$tmp/scan.json")"
check "matches" 4 "$(jq '.filters[0].matches' "$tmp/scan.json")"

run_scan "$tmp/scan.txt"
check "text timeline" "denied-burst: 3 transitions, now OK" "$(grep '^denied-burst' "$tmp/scan.txt")"
check "text transition" "  2024-03-01T10:01:00Z  OK -> ALARM" \
    "$(grep -F '2024-03-01T10:01:00Z' "$tmp/scan.txt")"

# --until cuts the replay: at 10:02 the alarm is still in ALARM
run_scan "$tmp/until.json" --format json --until 2024-03-01T10:02:00Z
check "--until" "ALARM 2" "$(jq -r '.alarms[0] | "\(.final_state) \(.transitions | length)"' "$tmp/until.json")"

# --- a store kept on disk ---
db="$tmp/state/trailhound.db"
run_scan "$tmp/db1.json" --format json --db "$db"
check "--db replay equals the in-memory one" "$expected" "$(jq -c '.alarms[0].transitions' "$tmp/db1.json")"
check "history items" "1 3" "$(sqlite3 "$db" "SELECT count(*) FILTER (WHERE type = 'ConfigurationUpdate'), count(*) FILTER (WHERE type = 'StateUpdate') FROM alarm_history" | tr '|' ' ')"

# the same scan again: the file is already counted, the state and history are kept
run_scan "$tmp/db2.json" --format json --db "$db"
check "second scan reads nothing again" "1 0 0" \
    "$(jq -r '"\(.files_already_counted) \(.events) \(.alarms[0].transitions | length)"' "$tmp/db2.json")"
check "state kept across runs" "OK" "$(jq -r '.alarms[0].final_state' "$tmp/db2.json")"
check "history kept, not repeated" "4" "$(sqlite3 "$db" "SELECT count(*) FROM alarm_history")"
check "stored state" "OK|Threshold Crossed: 1 out of the last 1 datapoints [1.0 (01/03/24 10:02:00)] was not greater than or equal to the threshold (2.0) (minimum 1 datapoint for ALARM -> OK transition)." \
    "$(sqlite3 "$db" "SELECT state, reason FROM alarm_state WHERE name = 'denied-burst'")"

# --- trailhound metrics: the stored data points, like get-metric-statistics ---
"$TRAILHOUND" metrics --db "$db" --namespace Security --metric-name DeniedCount \
    --start-time 2024-03-01T10:00:00Z --end-time 2024-03-01T11:05:00Z --period 60 \
    --statistics Sum SampleCount >"$tmp/minutes.json"
check "metrics per minute" '{"Label":"DeniedCount","Datapoints":[{"Timestamp":"2024-03-01T10:00:00+00:00","Sum":2,"SampleCount":2,"Unit":"Count"},{"Timestamp":"2024-03-01T10:02:00+00:00","Sum":1,"SampleCount":1,"Unit":"Count"},{"Timestamp":"2024-03-01T11:00:00+00:00","Sum":1,"SampleCount":1,"Unit":"Count"}]}' \
    "$(jq -c . "$tmp/minutes.json")"
# numbers as the AWS CLI prints them (jq would print 2.0 as 2)
check "metrics numbers" '            "Sum": 2.0,' "$(grep -m1 '"Sum"' "$tmp/minutes.json")"
"$TRAILHOUND" metrics --db "$db" --namespace Security --metric-name DeniedCount \
    --start-time 2024-03-01T10:00:00Z --end-time 2024-03-01T11:05:00Z --period 300 \
    --statistics Sum Maximum --extended-statistics p50 --format json >"$tmp/five.json"
check "metrics per 5 minutes" '[["2024-03-01T10:00:00+00:00",3,1,{"p50":1}],["2024-03-01T11:00:00+00:00",1,1,{"p50":1}]]' \
    "$(jq -c '[.Datapoints[] | [.Timestamp, .Sum, .Maximum, .ExtendedStatistics]]' "$tmp/five.json")"
"$TRAILHOUND" metrics --db "$db" --namespace Security --metric-name DeniedCount \
    --start-time 2024-03-01T10:00:00Z --end-time 2024-03-01T11:05:00Z --period 300 \
    --statistics Sum --unit Seconds >"$tmp/unit.json"
check "another unit sees no data (alarms.md §1.1)" 0 "$(jq '.Datapoints | length' "$tmp/unit.json")"
"$TRAILHOUND" metrics --db "$db" --list >"$tmp/list.json"
check "list" '[{"Namespace":"Security","MetricName":"DeniedCount","Dimensions":[],"Unit":"Count"}]' \
    "$(jq -c .Metrics "$tmp/list.json")"
"$TRAILHOUND" metrics --db "$db" --namespace Security --metric-name DeniedCount \
    --start-time 2024-03-01T10:00:00Z --end-time 2024-03-01T11:05:00Z --period 45 \
    --statistics Sum >/dev/null 2>"$tmp/err"
check "bad period is a usage error" "2" "$?"
"$TRAILHOUND" metrics --db "$tmp/none.db" --list >/dev/null 2>"$tmp/err"
check "missing store" "1" "$?"
check "missing store message" "trailhound: metrics: no store at $tmp/none.db (scan --db $tmp/none.db writes one)" "$(cat "$tmp/err")"

# --- retention, counted back from the latest data point (event time, not the wall clock) ---
printf '%s\n' '{"eventTime":"2024-02-27T08:00:00Z","eventName":"GetObject","errorCode":"AccessDenied","sourceIPAddress":"203.0.113.7"}' >"$tmp/old.jsonl"
printf 'settings:\n  dataPointRetentionDays: 1\n  alarmHistoryRetentionDays: 1\n' >"$tmp/retention.yaml"
"$TRAILHOUND" scan --config "$DATA/denied-burst.yaml" --config "$tmp/retention.yaml" --db "$tmp/r.db" \
    --format json "$tmp/old.jsonl" "$DATA/denied-events.jsonl" >"$tmp/r.json" 2>"$tmp/err"
check "the replay still reports the old day's transition" "3 2024-02-27T08:00:00Z" \
    "$(jq -r '.alarms[0].transitions | "\(length) \(.[0].time)"' "$tmp/r.json")"
check "old data points pruned, recent kept" "1709287200" "$(sqlite3 "$tmp/r.db" "SELECT min(timestamp) FROM datapoints")"
check "old history pruned" "0" \
    "$(sqlite3 "$tmp/r.db" "SELECT count(*) FROM alarm_history WHERE timestamp_ms < 1709200000000")"

if [ $failures -ne 0 ]; then
    echo "$failures failure(s)"
    exit 1
fi
echo "scan alarms: all checks passed"
