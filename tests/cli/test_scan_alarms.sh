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
#
# The 10:01 transition into ALARM carries the evidence of its range [09:58, 10:01): only the
# 10:00 bucket matches (09:59:30 has no errorCode), alice at 10:00:10 (Client.Unauthorized-
# Operation) and bob at 10:00:50 (AccessDenied, whose message names no policy type, so no
# denial kind). Ties sort by bytes: alice before bob, 198.51.100.9 before 203.0.113.7.
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
DATA="$REPO_DIR/tests/data/alarms"
. "$REPO_DIR/tests/cli/lib.sh"

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
check "transitions" "$expected" "$(jq -c '.alarms[0].transitions | map(del(.evidence))' "$tmp/scan.json")"
check "evidence only into ALARM" "[false,true,false]" \
    "$(jq -c '[.alarms[0].transitions[] | has("evidence")]' "$tmp/scan.json")"
sample() { # sample TIME USER IP CODE
    printf '{"eventTime":"2024-03-01T10:00:%sZ","eventName":"DescribeInstances","eventSource":"ec2.amazonaws.com","errorCode":"%s","errorMessage":"You are not authorized to perform this operation.","sourceIPAddress":"%s","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/%s"},"awsRegion":"us-east-1","recipientAccountId":"111122223333"}' "$1" "$4" "$3" "$2"
}
evidence='{"events":2,"firstSeen":"2024-03-01T10:00:10Z","lastSeen":"2024-03-01T10:00:50Z",'
evidence+='"principals":[{"value":"arn:aws:iam::111122223333:user/alice","count":1},{"value":"arn:aws:iam::111122223333:user/bob","count":1}],'
evidence+='"sourceIPs":[{"value":"198.51.100.9","count":1},{"value":"203.0.113.7","count":1}],'
evidence+='"eventNames":[{"value":"DescribeInstances","count":2}],'
evidence+='"errorCodes":[{"value":"AccessDenied","count":1},{"value":"Client.UnauthorizedOperation","count":1}],'
evidence+='"accounts":[{"value":"111122223333","count":2}],"regions":[{"value":"us-east-1","count":2}],"denials":[],'
evidence+="\"samples\":[$(sample 10 alice 203.0.113.7 Client.UnauthorizedOperation),$(sample 50 bob 198.51.100.9 AccessDenied)]}"
check "evidence of the 10:01 transition" "$evidence" "$(jq -c '.alarms[0].transitions[1].evidence' "$tmp/scan.json")"
run_scan "$tmp/threads.json" --format json --threads 3
check "evidence with 3 threads" "$evidence" "$(jq -c '.alarms[0].transitions[1].evidence' "$tmp/threads.json")"
check "alarm fields" '{"name":"denied-burst","cis":null,"metric":"DeniedCount","final_state":"OK"}' \
    "$(jq -c '.alarms[0] | {name, cis, metric, final_state}' "$tmp/scan.json")"
check "matches" 4 "$(jq '.filters[0].matches' "$tmp/scan.json")"

# The evidence is written as text and spliced into the report's dump: the report is laid
# out exactly as an indent-2 dump of the whole (the timing reals set aside).
check "the report is one indent-2 dump" \
    "$(sed -E 's/"(seconds|mb_per_second)": [^,]*,$/"\1": 0.0,/' "$tmp/scan.json")" \
    "$(python3 -c 'import json, sys
report = json.load(sys.stdin)
report["seconds"] = report["mb_per_second"] = 0.0
print(json.dumps(report, indent=2, ensure_ascii=False))' <"$tmp/scan.json")"
# The alarms' list is written by hand (jansson's escapes): a name with a quote, a backslash
# and non-ASCII is laid out as the dump of the whole lays it out.
sed 's/AlarmName: denied-burst/AlarmName: "dénied \\"burst\\" \\\\ ⚠"/' "$DATA/denied-burst.yaml" \
    >"$tmp/odd-name.yaml"
"$TRAILHOUND" scan --config "$tmp/odd-name.yaml" --format json "$DATA/denied-events.jsonl" \
    >"$tmp/odd-name.json" 2>"$tmp/stderr"
check "odd alarm name: as written" 'dénied "burst" \ ⚠' "$(jq -r '.alarms[0].name' "$tmp/odd-name.json")"
check "odd alarm name: the report is one indent-2 dump" \
    "$(sed -E 's/"(seconds|mb_per_second)": [^,]*,$/"\1": 0.0,/' "$tmp/odd-name.json")" \
    "$(python3 -c 'import json, sys
report = json.load(sys.stdin)
report["seconds"] = report["mb_per_second"] = 0.0
print(json.dumps(report, indent=2, ensure_ascii=False))' <"$tmp/odd-name.json")"
# A logged value that reads as the splice's placeholder ("\u0001trailhound:evidence\u0001")
# is reported as itself, in the filter's top list and in the evidence.
sed 's|arn:aws:iam::111122223333:user/alice|\\u0001trailhound:evidence\\u0001|' \
    "$DATA/denied-events.jsonl" >"$tmp/placeholder.jsonl"
"$TRAILHOUND" scan --config "$DATA/denied-burst.yaml" --format json "$tmp/placeholder.jsonl" \
    >"$tmp/placeholder.json" 2>"$tmp/stderr"
check "placeholder-like value: in the evidence and the top list" \
    '["\u0001trailhound:evidence\u0001","\u0001trailhound:evidence\u0001"]' \
    "$(jq -c '[.alarms[0].transitions[1].evidence.principals[0].value, .filters[0].top.principals[0].value]' \
        "$tmp/placeholder.json")"

run_scan "$tmp/scan.txt"
check "text timeline" "denied-burst: 3 transitions, now OK" "$(grep '^denied-burst' "$tmp/scan.txt")"
check "text transition" "  2024-03-01T10:01:00Z  OK -> ALARM" \
    "$(grep -F '2024-03-01T10:01:00Z' "$tmp/scan.txt")"
check "text evidence" "      2 events by arn:aws:iam::111122223333:user/alice (1), arn:aws:iam::111122223333:user/bob (1); from 198.51.100.9 (1), 203.0.113.7 (1): DescribeInstances (2); errors: AccessDenied (1), Client.UnauthorizedOperation (1)" \
    "$(grep -A2 -F '2024-03-01T10:01:00Z' "$tmp/scan.txt" | tail -1)"
check "one evidence line: only the transition into ALARM has one" 1 "$(grep -c ' events by ' "$tmp/scan.txt")"

# denials: bob's two AccessDenied calls whose message says no identity-based policy allows them
denied='User: arn:aws:iam::111122223333:user/bob is not authorized to perform: ec2:GetPasswordData on resource: arn:aws:ec2:us-east-1:111122223333:instance/i-0abc because no identity-based policy allows the ec2:GetPasswordData action'
for second in 05 09; do
    printf '{"eventTime":"2024-03-01T12:00:%sZ","eventName":"GetPasswordData","errorCode":"AccessDenied","errorMessage":"%s","sourceIPAddress":"198.51.100.9","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob"}}\n' "$second" "$denied"
done >"$tmp/denied.jsonl"
"$TRAILHOUND" scan --config "$DATA/denied-burst.yaml" "$tmp/denied.jsonl" >"$tmp/denied.txt" 2>"$tmp/err"
check "text evidence with denials" "      2 events by arn:aws:iam::111122223333:user/bob (2); from 198.51.100.9 (2): GetPasswordData (2); errors: AccessDenied (2); denied: no identity-based policy allows the action (2)" \
    "$(grep ' events by ' "$tmp/denied.txt")"

# --until cuts the replay: at 10:02 the alarm is still in ALARM
run_scan "$tmp/until.json" --format json --until 2024-03-01T10:02:00Z
check "--until" "ALARM 2" "$(jq -r '.alarms[0] | "\(.final_state) \(.transitions | length)"' "$tmp/until.json")"

# --- a store kept on disk ---
db="$tmp/state/trailhound.db"
run_scan "$tmp/db1.json" --format json --db "$db"
check "--db replay equals the in-memory one" "$expected" "$(jq -c '.alarms[0].transitions | map(del(.evidence))' "$tmp/db1.json")"
check "--db evidence" "$evidence" "$(jq -c '.alarms[0].transitions[1].evidence' "$tmp/db1.json")"
check "evidence stored per bucket (10:00, 10:02, 11:00)" "1709287200 2, 1709287320 1, 1709290800 1" \
    "$(sqlite3 "$db" "SELECT group_concat(timestamp || ' ' || json_extract(evidence_json, '\$.events'), ', ') FROM (SELECT * FROM bucket_evidence ORDER BY timestamp)")"
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

# --- many alarms: the replay in memory, on threads, equals the replay from the store ---
# Without --db the replay reads the scan's data points and evidence (monitor_replay_in_memory,
# an alarm per thread); with a new --db file it reads what the store was given. Both must
# report the same transitions, reasons, evidence and final states. A metric with a dimension
# and two units (one of them unnamed, "None" to the store) checks the order buckets merge in.
/usr/bin/python3 "$REPO_DIR/bench/generate_cloudtrail.py" --megabytes 8 --seed 3 --quiet \
    -o "$tmp/cis.ndjson"
cat >"$tmp/units.yaml" <<'YAML'
metricFilters:
  - filterName: errors_counted
    filterPattern: '{ $.errorCode = "*" }'
    metricTransformations:
      - {metricName: Errors, metricNamespace: Test, metricValue: "1", unit: Count,
         dimensions: {Region: $.awsRegion}}
  - filterName: errors_unnamed_unit
    filterPattern: '{ $.errorCode = "AccessDenied*" }'
    metricTransformations:
      - {metricName: Errors, metricNamespace: Test, metricValue: "2.5",
         dimensions: {Region: $.awsRegion}}
alarms:
  - {AlarmName: errors-all-units, MetricName: Errors, Namespace: Test,
     Dimensions: [{Name: Region, Value: us-east-1}], Statistic: Sum, Period: 60,
     EvaluationPeriods: 3, DatapointsToAlarm: 2, Threshold: 2,
     ComparisonOperator: GreaterThanOrEqualToThreshold, TreatMissingData: notBreaching}
  - {AlarmName: errors-count-p90, MetricName: Errors, Namespace: Test, Unit: Count,
     Dimensions: [{Name: Region, Value: us-east-1}], ExtendedStatistic: p90, Period: 120,
     EvaluationPeriods: 2, Threshold: 0.5, ComparisonOperator: GreaterThanThreshold}
YAML
"$TRAILHOUND" scan --cis --config "$tmp/units.yaml" --format json --threads 3 "$tmp/cis.ndjson" \
    >"$tmp/cis-memory.json" 2>"$tmp/err"
check "in memory on 3 threads: exit" "0" "$?"
"$TRAILHOUND" scan --cis --config "$tmp/units.yaml" --format json --db "$tmp/cis.db" \
    "$tmp/cis.ndjson" >"$tmp/cis-db.json" 2>"$tmp/err"
check "from the store: exit" "0" "$?"
check "17 alarms replayed, some transitions into ALARM with evidence" "17 true" \
    "$(jq -r '[.alarms | length, ([.[].transitions[] | select(.evidence)] | length > 10)] | join(" ")' \
        "$tmp/cis-memory.json")"
check "the replay in memory on threads equals the store's" \
    "$(jq -c .alarms "$tmp/cis-db.json")" "$(jq -c .alarms "$tmp/cis-memory.json")"
"$TRAILHOUND" scan --cis --config "$tmp/units.yaml" --format json "$tmp/cis.ndjson" \
    >"$tmp/cis-one.json" 2>"$tmp/err"
check "the replay in memory on one thread equals the store's" \
    "$(jq -c .alarms "$tmp/cis-db.json")" "$(jq -c .alarms "$tmp/cis-one.json")"

# --- percentile alarms replay the raw values (a statistic set alone cannot give them) ---
# Ten GetObject events of one minute, bytes 10..100. Nearest rank on the sorted values
# (../shared/spec/alarms.md, "Percentile algorithm"): p90 = the 9th = 90, p80 = the 8th = 80.
for i in 1 2 3 4 5 6 7 8 9 10; do
    printf '{"eventVersion":"1.08","eventTime":"2024-03-01T10:00:%02dZ","eventName":"GetObject","eventSource":"s3.amazonaws.com","awsRegion":"us-east-1","bytes":%d}\n' \
        "$i" $((i * 10))
done >"$tmp/bytes.ndjson"
cat >"$tmp/percentiles.yaml" <<'YAML'
metricFilters:
  - filterName: object_bytes
    filterPattern: '{ $.eventName = "GetObject" }'
    metricTransformations:
      - {metricName: ObjectBytes, metricNamespace: Test, metricValue: $.bytes}
alarms:
  - {AlarmName: bytes-p90, MetricName: ObjectBytes, Namespace: Test, ExtendedStatistic: p90,
     Period: 60, EvaluationPeriods: 1, Threshold: 85, ComparisonOperator: GreaterThanThreshold}
  - {AlarmName: bytes-p80, MetricName: ObjectBytes, Namespace: Test, ExtendedStatistic: p80,
     Period: 60, EvaluationPeriods: 1, Threshold: 85, ComparisonOperator: GreaterThanThreshold}
YAML
for threads in 1 2; do
    "$TRAILHOUND" scan --config "$tmp/percentiles.yaml" --format json --threads "$threads" \
        "$tmp/bytes.ndjson" >"$tmp/percentiles.json" 2>"$tmp/err"
    check "p90 of 10..100 is 90 ($threads thread(s))" \
        "Threshold Crossed: 1 datapoint [90.0 (01/03/24 10:00:00)] was greater than the threshold (85.0)." \
        "$(jq -r '.alarms[] | select(.name == "bytes-p90") | .transitions[0].reason' "$tmp/percentiles.json")"
    check "p80 of 10..100 is 80 ($threads thread(s))" \
        "Threshold Crossed: 1 datapoint [80.0 (01/03/24 10:00:00)] was not greater than the threshold (85.0)." \
        "$(jq -r '.alarms[] | select(.name == "bytes-p80") | .transitions[0].reason' "$tmp/percentiles.json")"
done

# --- a flapping alarm: the report lists the latest SCAN_ALARM_TRANSITIONS_LISTED (500) ---
# 400 AccessDenied events 30 minutes apart: CIS 4.1 goes to ALARM at each (its range of 3
# periods holds it) and back to INSUFFICIENT_DATA once the range holds none, 800 transitions.
# All are counted (transitions_total), the latest 500 listed, so memory stays bounded
# however long the span; the text report says so. Event i (at 00:00:07 + 30 i minutes)
# fires at the next minute and clears 15 minutes later: the 500 latest start with event
# 150's ALARM (2024-03-04T03:01) and end with event 399's clearing (2024-03-09T07:46).
/usr/bin/python3 - "$tmp/flap.ndjson" <<'PY'
import datetime, json, sys
start = datetime.datetime(2024, 3, 1, tzinfo=datetime.timezone.utc)
with open(sys.argv[1], "w") as out:
    for i in range(400):
        when = start + datetime.timedelta(minutes=30 * i, seconds=7)
        out.write(json.dumps({"eventVersion": "1.08", "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
                              "eventSource": "s3.amazonaws.com", "eventName": "GetObject",
                              "errorCode": "AccessDenied", "sourceIPAddress": "192.0.2.1",
                              "awsRegion": "us-east-1",
                              "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/eve"}}) + "\n")
PY
for threads in 1 3; do
    "$TRAILHOUND" scan --cis --format json --threads "$threads" "$tmp/flap.ndjson" \
        >"$tmp/flap.json" 2>"$tmp/err"
    check "flapping: 800 transitions counted, 500 listed ($threads thread(s))" "800 500" \
        "$(jq -r '.alarms[0] | "\(.transitions_total) \(.transitions | length)"' "$tmp/flap.json")"
    check "flapping: the latest listed, the last back to INSUFFICIENT_DATA ($threads thread(s))" \
        "2024-03-04T03:01:00Z 2024-03-09T07:46:00Z INSUFFICIENT_DATA" \
        "$(jq -r '.alarms[0].transitions | "\(.[0].time) \(.[-1].time) \(.[-1].to)"' "$tmp/flap.json")"
done
"$TRAILHOUND" scan --cis --db "$tmp/flap.db" "$tmp/flap.ndjson" >"$tmp/flap.txt" 2>"$tmp/err"
check "flapping: the text report counts all and says how many are listed" \
    "unauthorized_api_calls_alarm (CIS 4.1): 800 transitions, now INSUFFICIENT_DATA|  (the latest 500 listed)" \
    "$(grep -A1 '^unauthorized_api_calls_alarm' "$tmp/flap.txt" | paste -sd '|')"
check "flapping: the --db store's history keeps all 800" 800 \
    "$(sqlite3 "$tmp/flap.db" "SELECT count(*) FROM alarm_history WHERE alarm_name = 'unauthorized_api_calls_alarm' AND type = 'StateUpdate'")"

finish "scan alarms: all checks passed"
