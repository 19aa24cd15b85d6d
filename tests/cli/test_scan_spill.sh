#!/usr/bin/env bash
# `scan` with its data points spilled to disk (TRAILHOUND_SCAN_SPILL_BYTES small) reports
# exactly what it reports without spilling, and the replay from a store, which reads a chunk
# of 1440 evaluation steps at a time (a day for 1-minute steps, 4 h for 10-s steps), judges
# exactly what the one-go replay from the scan's points does. The fixture, generated below,
# spans four days from 2024-05-01T00:00:00Z (the first data point, so the first evaluation
# instant, and chunk boundaries at every midnight and, for 10-s steps, every 4 h): busy
# minutes, matching and non-matching events by four principals from three addresses, a gap
# of more than a day, and events a minute or two around the chunk boundaries. Alarms: 5-min,
# hourly 2 of 3, breaching, 10-s (1-second points, minute rollups for the others), with a
# dimension, 6-h over 5 periods (a range longer than a chunk), p90. Each evidence list of a
# bucket holds at most four values here: a bucket spilled in parts keeps each part's 16
# heaviest per list only, so beyond 16 values the spilled evidence can differ (known).
# The full-disk part mounts a tmpfs: root only, skipped otherwise.
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
if ! command -v sqlite3 >/dev/null; then
    echo "SKIP: the sqlite3 command-line tool is not installed"
    exit 0
fi
. "$REPO_DIR/tests/cli/lib.sh"

"$PYTHON" - "$tmp" <<'PY'
import datetime, json, random, sys
T0 = datetime.datetime(2024, 5, 1, tzinfo=datetime.timezone.utc)
DAY = 86400
USERS = ["alice", "bob", "carol", "dave"]
IPS = ["203.0.113.7", "198.51.100.9", "192.0.2.44"]
NAMES = ["DescribeInstances", "GetObject", "PutBucketPolicy", "ListUsers"]
CODES = ["AccessDenied", "Client.UnauthorizedOperation"]
events = []

def add(seconds, code=None, region=None):
    i = len(events)
    event = {"eventVersion": "1.08",
             "userIdentity": {"type": "IAMUser", "accountId": "111122223333",
                              "arn": f"arn:aws:iam::111122223333:user/{USERS[i % 4]}"},
             "eventTime": (T0 + datetime.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "eventSource": "ec2.amazonaws.com", "eventName": NAMES[(i // 2) % 4],
             "awsRegion": region or ("us-east-1" if i % 3 else "eu-west-1"),
             "sourceIPAddress": IPS[i % 3], "recipientAccountId": "111122223333"}
    if code:
        event["errorCode"] = code
        event["errorMessage"] = "You are not authorized to perform this operation."
    events.append(event)

def code(i, every=5):  # a denial but every `every`-th event, which has no errorCode
    return None if i % every == 1 else CODES[i % 2]

# day 0: the first ten minutes busy, a few events a minute (the first at 00:00:00)
for s in range(0, 600, 7):
    add(s, code(len(events)))
add(601, "ThrottlingException")
# a few denials in hours 2, 3 and 5 (the hourly alarm: 2 of 3 hours with 3 or more)
for hour in (2, 3, 5):
    for k in range(4):
        add(hour * 3600 + 100 + k * 300, CODES[k % 2])
# bursts in us-west-2 around 04:00 and 08:00, the 10-s alarm's chunk boundaries
for boundary in (4 * 3600, 8 * 3600):
    for offset in (-10, -9, 0, 1, 10, 11, 25):
        add(boundary + offset, "AccessDenied", "us-west-2")
# before midnight, then us-west-2 in the buckets 23:57, 23:59 and 00:01 around it
for offset in range(-3 * 3600, 0, 1200):
    add(DAY + offset, "AccessDenied")
for offset in (-121, -1, 61):
    add(DAY + offset, CODES[offset % 2], "us-west-2")
add(DAY + 30)
# day 1 02:00 for a quarter of an hour, then nothing until just before day 3
for s in range(DAY + 2 * 3600, DAY + 2 * 3600 + 900, 45):
    add(s, code(len(events), 4))
# around midnight of day 3: buckets 23:59, 00:01, 00:02
for offset in (-1, 60, 120):
    add(3 * DAY + offset, CODES[offset % 2], "us-west-2")
for s in range(3 * DAY + 6 * 3600, 3 * DAY + 6 * 3600 + 1800, 13):
    add(s, code(len(events), 3) or "ThrottlingException")
add(4 * DAY - 60, "AccessDenied", "us-west-2")
add(4 * DAY - 30)
# out of time order, in two files (so that threads share the work)
random.Random(7).shuffle(events)
for part in range(2):
    with open(f"{sys.argv[1]}/events-{part}.jsonl", "w") as out:
        for event in events[part::2]:
            out.write(json.dumps(event, separators=(",", ":")) + "\n")
PY
events=("$tmp/events-0.jsonl" "$tmp/events-1.jsonl")

filters='metricFilters:
  - filterName: denied
    filterPattern: '"'"'{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'"'"'
    metricTransformations:
      - {metricName: DeniedCount, metricNamespace: Security, metricValue: "1", unit: Count}
  - filterName: denied_by_region
    filterPattern: '"'"'{ $.errorCode = "AccessDenied*" || $.errorCode = "*UnauthorizedOperation" }'"'"'
    metricTransformations:
      - {metricName: DeniedByRegion, metricNamespace: Security, metricValue: "1",
         dimensions: {Region: $.awsRegion}}
  - filterName: throttled
    filterPattern: '"'"'{ $.errorCode = "ThrottlingException" }'"'"'
    metricTransformations:
      - {metricName: Throttled, metricNamespace: Security, metricValue: "1"}'
minute_alarms='  - {AlarmName: denied-5min, MetricName: DeniedCount, Namespace: Security, Statistic: Sum,
     Period: 300, EvaluationPeriods: 1, Threshold: 1,
     ComparisonOperator: GreaterThanOrEqualToThreshold, TreatMissingData: notBreaching}
  - {AlarmName: denied-hourly, MetricName: DeniedCount, Namespace: Security, Statistic: Sum,
     Period: 3600, EvaluationPeriods: 3, DatapointsToAlarm: 2, Threshold: 3,
     ComparisonOperator: GreaterThanOrEqualToThreshold, TreatMissingData: notBreaching}
  - {AlarmName: denied-breaching, MetricName: DeniedCount, Namespace: Security, Statistic: Sum,
     Period: 60, EvaluationPeriods: 2, DatapointsToAlarm: 2, Threshold: 3,
     ComparisonOperator: GreaterThanOrEqualToThreshold, TreatMissingData: breaching}
  - {AlarmName: west, MetricName: DeniedByRegion, Namespace: Security,
     Dimensions: [{Name: Region, Value: us-west-2}], Statistic: Sum, Period: 60,
     EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: GreaterThanOrEqualToThreshold,
     TreatMissingData: notBreaching}
  - {AlarmName: six-hours, MetricName: DeniedCount, Namespace: Security, Statistic: Sum,
     Period: 21600, EvaluationPeriods: 5, DatapointsToAlarm: 2, Threshold: 20,
     ComparisonOperator: GreaterThanOrEqualToThreshold, TreatMissingData: missing}
  - {AlarmName: east-p90, MetricName: DeniedByRegion, Namespace: Security,
     Dimensions: [{Name: Region, Value: us-east-1}], ExtendedStatistic: p90, Period: 120,
     EvaluationPeriods: 2, Threshold: 0.5, ComparisonOperator: GreaterThanThreshold}'
ten_second_alarm='  - {AlarmName: denied-10s, MetricName: DeniedCount, Namespace: Security, Statistic: Sum,
     Period: 10, EvaluationPeriods: 1, Threshold: 2,
     ComparisonOperator: GreaterThanOrEqualToThreshold, TreatMissingData: notBreaching}'
# all alarms: the 10-s one makes the scan keep 1-second points (rolled up for the others)
printf '%s\nalarms:\n%s\n%s\n' "$filters" "$minute_alarms" "$ten_second_alarm" >"$tmp/all.yaml"
# minute alarms only: without --db and without spilling, replayed from the scan's points
printf '%s\nalarms:\n%s\n' "$filters" "$minute_alarms" >"$tmp/minute.yaml"
printf '%s\nalarms:\n%s\n' "$filters" "$ten_second_alarm" >"$tmp/ten.yaml"

# Two files' contents equal; else their first differences (reports are long).
check_same() { # check_same DESCRIPTION EXPECTED_FILE ACTUAL_FILE
    if ! cmp -s "$2" "$3"; then
        echo "FAIL: $1"
        diff "$2" "$3" | head -20 | cut -c1-200
        failures=$((failures + 1))
    fi
}

# scan_json OUT SPILL_BYTES ARGS...: the JSON report without its timing (SPILL_BYTES "" for
# the default bound)
scan_json() {
    local out=$1 bytes=$2
    shift 2
    if [ -n "$bytes" ]; then
        TRAILHOUND_SCAN_SPILL_BYTES=$bytes "$TRAILHOUND" scan --format json "$@" >"$tmp/raw.json" 2>"$tmp/stderr"
    else
        env -u TRAILHOUND_SCAN_SPILL_BYTES "$TRAILHOUND" scan --format json "$@" >"$tmp/raw.json" 2>"$tmp/stderr"
    fi
    local status=$?
    if [ $status -ne 0 ]; then
        echo "FAIL: scan $* (spill bytes '${bytes}') exited $status: $(head -c 500 "$tmp/stderr")"
        failures=$((failures + 1))
    fi
    jq 'del(.seconds, .mb_per_second)' "$tmp/raw.json" >"$out"
}

# --- a: the same report whatever the bound and the threads ---
for setup in "all:--config $tmp/all.yaml" "minute:--config $tmp/minute.yaml" \
    "cis:--cis --config $tmp/minute.yaml" \
    "window:--config $tmp/all.yaml --early --since 2024-05-01T21:00:00Z --until 2024-05-03T12:00:00Z"; do
    name=${setup%%:*}
    read -r -a args <<<"${setup#*:}"
    scan_json "$tmp/$name-default-1.json" "" "${args[@]}" --threads 1 "${events[@]}"
    for threads in 1 3; do
        for bytes in 1 30000; do
            scan_json "$tmp/$name-$bytes-$threads.json" "$bytes" "${args[@]}" --threads $threads "${events[@]}"
            check_same "$name: spilling every $bytes bytes, $threads thread(s): the default's report" \
                "$tmp/$name-default-1.json" "$tmp/$name-$bytes-$threads.json"
        done
    done
    scan_json "$tmp/$name-default-3.json" "" "${args[@]}" --threads 3 "${events[@]}"
    check_same "$name: 3 threads report what 1 does" \
        "$tmp/$name-default-1.json" "$tmp/$name-default-3.json"
done
# the reports compared have something to differ in
check "every alarm goes into ALARM" "[true,true,true,true,true,true,true]" \
    "$(jq -c '[.alarms[] | any(.transitions[]; .to == "ALARM")]' "$tmp/all-default-1.json")"
check "CIS alarms in the report" "true" "$(jq '[.alarms[] | select(.cis != null)] | length > 0' "$tmp/cis-default-1.json")"

# --- c: --db, spilled into its store in the scan's transaction, stores what it otherwise does ---
# The store's metrics, buckets, values and evidence, by metric rather than by row id.
dump_store() { # dump_store DB
    sqlite3 "$1" "
        SELECT 'point', m.namespace, m.name, m.dimensions_json, m.unit, d.resolution, d.timestamp,
               d.sample_count, d.sum, d.minimum, d.maximum
          FROM datapoints d JOIN metrics m ON m.id = d.metric_id
        UNION ALL
        SELECT 'value', m.namespace, m.name, m.dimensions_json, m.unit, v.resolution, v.timestamp,
               v.value, v.count, NULL, NULL
          FROM datapoint_values v JOIN metrics m ON m.id = v.metric_id
        UNION ALL
        SELECT 'evidence', m.namespace, m.name, m.dimensions_json, m.unit, e.resolution,
               e.timestamp, e.evidence_json, NULL, NULL, NULL
          FROM bucket_evidence e JOIN metrics m ON m.id = e.metric_id
        ORDER BY 1, 2, 3, 4, 5, 6, 7, 8"
}
for bytes in "" 1; do
    name=db-${bytes:-default}
    scan_json "$tmp/$name.json" "$bytes" --config "$tmp/all.yaml" --db "$tmp/$name.sqlite" \
        --threads 3 "${events[@]}"
    dump_store "$tmp/$name.sqlite" >"$tmp/$name.dump"
    scan_json "$tmp/$name-again.json" "$bytes" --config "$tmp/all.yaml" --db "$tmp/$name.sqlite" \
        --threads 3 "${events[@]}"
    check "--db, spill bytes '$bytes': a second scan counts nothing again" "2 0 0" \
        "$(jq -r '"\(.files_already_counted) \(.events) \([.alarms[].transitions[]] | length)"' "$tmp/$name-again.json")"
    dump_store "$tmp/$name.sqlite" >"$tmp/$name-again.dump"
    check_same "--db, spill bytes '$bytes': the second scan stores nothing more" \
        "$tmp/$name.dump" "$tmp/$name-again.dump"
done
check_same "--db: the spilled scan's report is the default's" "$tmp/db-default.json" "$tmp/db-1.json"
check_same "--db: the spilled scan stores the default's points, values and evidence" \
    "$tmp/db-default.dump" "$tmp/db-1.dump"
check "--db: the store holds 1-second and 1-minute points and their evidence" "1 60 evidence point value" \
    "$(cut -d'|' -f1,6 "$tmp/db-1.dump" | tr '|' '\n' | sort -u | tr '\n' ' ' | sed 's/ $//')"
check "--db: the evidence's events add up to the matches (1-second and 1-minute buckets)" \
    "$(jq '2 * ([.filters[].matches] | add)' "$tmp/db-default.json")" \
    "$(sqlite3 "$tmp/db-1.sqlite" "SELECT sum(json_extract(evidence_json, '\$.events')) FROM bucket_evidence")"
# scanned one file at a time into the same store, the second replaying on the first's state
for bytes in "" 1; do
    name=db-files-${bytes:-default}
    for part in 0 1; do
        scan_json "$tmp/$name-$part.json" "$bytes" --config "$tmp/all.yaml" --db "$tmp/$name.sqlite" \
            "$tmp/events-$part.jsonl"
    done
    dump_store "$tmp/$name.sqlite" >"$tmp/$name.dump"
done
for part in 0 1; do
    check_same "--db, a file at a time: the spilled scan of file $part reports the default's" \
        "$tmp/db-files-default-$part.json" "$tmp/db-files-1-$part.json"
done
check_same "--db, a file at a time: the spilled scans store the default's" \
    "$tmp/db-files-default.dump" "$tmp/db-files-1.dump"
check_same "--db, a file at a time: the store holds what one scan of both stores" \
    "$tmp/db-default.dump" "$tmp/db-files-1.dump"
check "--db reports what the scan without it does" \
    "$(jq -c 'del(.files_already_counted)' "$tmp/all-default-1.json")" \
    "$(jq -c 'del(.files_already_counted)' "$tmp/db-1.json")"

# --- d: the replay from a store, a chunk at a time, judges what the one-go replay does ---
# minute alarms alone: without --db and unspilled, replayed in one go from the scan's points
scan_json "$tmp/minute-db.json" "" --config "$tmp/minute.yaml" --db "$tmp/minute.sqlite" "${events[@]}"
for alarm in denied-5min denied-hourly denied-breaching west six-hours east-p90; do
    check "$alarm: the chunked replay from --db's store equals the one from the points" \
        "$(jq -c --arg name "$alarm" '.alarms[] | select(.name == $name)' "$tmp/minute-default-1.json")" \
        "$(jq -c --arg name "$alarm" '.alarms[] | select(.name == $name)' "$tmp/minute-db.json")"
    # with the 10-s alarm, the scan keeps 1-second points: the replay reads their minute
    # rollups from a store, in chunks
    check "$alarm: the chunked replay of minute rollups equals the one from the points" \
        "$(jq -c --arg name "$alarm" '.alarms[] | select(.name == $name)' "$tmp/minute-default-1.json")" \
        "$(jq -c --arg name "$alarm" '.alarms[] | select(.name == $name)' "$tmp/all-default-1.json")"
done
# The chunks start at the first evaluation instant, 2024-05-01T00:00:00Z (the first data
# point's minute, where the earliest transition is); transitions within 2 minutes of
# a later chunk's start (a day for 1-minute steps), and at one exactly.
first=$(jq -r '[.alarms[].transitions[0].time] | min' "$tmp/minute-db.json")
check "the first evaluation instant" "2024-05-01T00:00:00Z" "$first"
near_boundaries() { # near_boundaries REPORT CHUNK_SECONDS WITHIN_SECONDS
    jq -r --argjson chunk "$2" --argjson within "$3" '
        ([.alarms[].transitions[0].time] | min | fromdateiso8601) as $start
        | [.alarms[] | .name as $name | .transitions[] | (.time | fromdateiso8601) - $start
           | select(. >= $chunk) | (. % $chunk) as $offset
           | select($offset <= $within or $offset >= $chunk - $within) | $name] | unique | join(" ")' "$1"
}
check "alarms with transitions within 2 minutes of a day's chunk boundary" \
    "denied-5min denied-breaching six-hours west" "$(near_boundaries "$tmp/minute-db.json" 86400 120)"
check "alarms with a transition at a day's chunk boundary" "denied-5min denied-breaching six-hours west" \
    "$(near_boundaries "$tmp/minute-db.json" 86400 0)"

# The 10-s alarm has no one-go replay (its 1-second points are always replayed from a
# store): its 4-h chunks are moved by 2 h instead, with a throttled call (another metric) at
# 2024-04-30T22:00:00Z that starts the span, so the first evaluation, 2 h earlier. The same
# transitions but the first (INSUFFICIENT_DATA -> OK at the span's start).
printf '%s\n' '{"eventVersion":"1.08","eventTime":"2024-04-30T22:00:00Z","eventName":"ListUsers","errorCode":"ThrottlingException","awsRegion":"us-east-1"}' \
    >"$tmp/early.jsonl"
scan_json "$tmp/ten.json" "" --config "$tmp/ten.yaml" "${events[@]}"
scan_json "$tmp/ten-early.json" "" --config "$tmp/ten.yaml" "$tmp/early.jsonl" "${events[@]}"
check "10-s alarm: the first transitions" \
    '["2024-05-01T00:00:00Z","INSUFFICIENT_DATA","OK"] ["2024-04-30T22:00:00Z","INSUFFICIENT_DATA","OK"]' \
    "$(jq -c '.alarms[0].transitions[0] | [.time, .from, .to]' "$tmp/ten.json" "$tmp/ten-early.json" | tr '\n' ' ' | sed 's/ $//')"
check "10-s alarm: the same transitions whichever 4-h chunks" \
    "$(jq -c '.alarms[0].transitions[1:]' "$tmp/ten.json")" "$(jq -c '.alarms[0].transitions[1:]' "$tmp/ten-early.json")"
check "10-s alarm: transitions within 20 s of a 4-h chunk boundary (04:00, 08:00)" \
    "denied-10s" "$(near_boundaries "$tmp/ten.json" 14400 20)"
check "10-s alarm: transitions as in the report of all alarms" \
    "$(jq -c '.alarms[0]' "$tmp/ten.json")" "$(jq -c '.alarms[] | select(.name == "denied-10s")' "$tmp/all-default-1.json")"

# --- b, e: the spill writes to SQLITE_TMPDIR, and a failed spill is an error ---
# 8000 denied calls at their own minutes, each bucket's evidence about 1 KB: several MB of
# spill, where SQLITE_TMPDIR is a 1 MiB tmpfs (root only). Spilling after every event fails
# with the full disk's reason; with a bound above the scan's needs nothing is spilled and
# the same scan succeeds (so the failure is the spill's writing there).
if [ "$(id -u)" != 0 ]; then
    echo "SKIP (spill failure): mounting a tmpfs needs root"
else
    mkdir "$tmp/small"
    if ! mount -t tmpfs -o size=1m tmpfs "$tmp/small" 2>"$tmp/mount.err"; then
        echo "SKIP (spill failure): cannot mount a tmpfs: $(cat "$tmp/mount.err")"
    else
        unmount_then_cleanup() {
            umount "$tmp/small" 2>/dev/null || umount -l "$tmp/small"
            cleanup
        }
        trap unmount_then_cleanup EXIT
        "$PYTHON" - "$tmp/many.jsonl" <<'PY'
import datetime, json, sys
start = datetime.datetime(2024, 1, 1)
with open(sys.argv[1], "w") as out:
    for i in range(8000):
        out.write(json.dumps({
            "eventVersion": "1.08", "eventSource": "ec2.amazonaws.com",
            "eventTime": (start + datetime.timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventName": "DescribeInstances", "errorCode": "AccessDenied",
            "errorMessage": f"User: arn:aws:iam::111122223333:user/u{i} is not authorized to perform: ec2:DescribeInstances because no identity-based policy allows the ec2:DescribeInstances action",
            "sourceIPAddress": f"192.0.2.{i % 250}", "awsRegion": "us-east-1",
            "userIdentity": {"type": "IAMUser", "arn": f"arn:aws:iam::111122223333:user/u{i}"},
            "recipientAccountId": "111122223333"}, separators=(",", ":")) + "\n")
PY
        printf '%s\nalarms:\n%s\n' "$filters" "$(echo "$minute_alarms" | head -3)" >"$tmp/one.yaml"
        SQLITE_TMPDIR="$tmp/small" TMPDIR="$tmp/small" TRAILHOUND_SCAN_SPILL_BYTES=1 \
            "$TRAILHOUND" scan --config "$tmp/one.yaml" --format json "$tmp/many.jsonl" \
            >/dev/null 2>"$tmp/full.err"
        status=$?
        check "a spill onto a full disk: scan fails (exit 1, not a crash)" 1 "$status"
        check "a spill onto a full disk: the reason, alone" "1 1" \
            "$(grep -c -E 'spilling data points: .*(full|disk)' "$tmp/full.err") $(wc -l <"$tmp/full.err")"
        SQLITE_TMPDIR="$tmp/small" TMPDIR="$tmp/small" TRAILHOUND_SCAN_SPILL_BYTES=1000000000 \
            "$TRAILHOUND" scan --config "$tmp/one.yaml" --format json "$tmp/many.jsonl" \
            >"$tmp/unspilled.json" 2>"$tmp/unspilled.err"
        check "unspilled, the same scan succeeds there" "0 8000" \
            "$?$(jq -r '" \(.filters[0].matches)"' "$tmp/unspilled.json")"

        # --db on the full disk: the spill goes to a temporary store (TMPDIR, with room) and
        # is copied into the --db store in the scan's transaction, so the failed copy leaves
        # the store as it was (no half-counted file); with room, the file is counted whole.
        mkdir "$tmp/small/db"
        "$TRAILHOUND" scan --config "$tmp/one.yaml" --db "$tmp/small/db/trailhound.db" \
            "$REPO_DIR/tests/data/alarms/denied-events.jsonl" >/dev/null 2>"$tmp/before.err" || {
            echo "FAIL: a small scan into the store on the tmpfs: $(cat "$tmp/before.err")"
            failures=$((failures + 1))
        }
        store_counts() { sqlite3 "$tmp/small/db/trailhound.db" "SELECT (SELECT count(*) FROM datapoints) || ' ' || (SELECT count(*) FROM bucket_evidence) || ' ' || (SELECT count(*) FROM sources) || ' ' || (SELECT count(*) FROM alarm_history)"; }
        before=$(store_counts)
        check "the store before: the small scan's buckets (3 per denied metric), evidence, file" "6 6 1" "${before% *}"
        TRAILHOUND_SCAN_SPILL_BYTES=1 "$TRAILHOUND" scan --config "$tmp/one.yaml" \
            --db "$tmp/small/db/trailhound.db" "$tmp/many.jsonl" >/dev/null 2>"$tmp/db-full.err"
        check "--db on a full disk, spilled: scan fails with the reason" "1 1" \
            "$? $(grep -c -E 'copying spilled data points: .*(full|disk)' "$tmp/db-full.err")"
        check "--db on a full disk, spilled: the store as it was" "$before" "$(store_counts)"
        check "--db on a full disk, spilled: the store intact" "ok" \
            "$(sqlite3 "$tmp/small/db/trailhound.db" 'PRAGMA integrity_check')"
        mount -o remount,size=64m "$tmp/small"
        TRAILHOUND_SCAN_SPILL_BYTES=1 "$TRAILHOUND" scan --config "$tmp/one.yaml" --format json \
            --db "$tmp/small/db/trailhound.db" "$tmp/many.jsonl" >"$tmp/db-room.json" 2>"$tmp/db-room.err"
        check "--db with room again: the file counted whole (4 before it)" "0 0 8000 8004" \
            "$? $(jq -r '"\(.files_already_counted) \(.filters[0].matches)"' "$tmp/db-room.json") $(metric_sum "$tmp/small/db/trailhound.db" DeniedCount Security)"
    fi
fi

finish "scan spill ok: reports equal with and without spilling, chunked replay equals one-go"
