#!/usr/bin/env bash
# Alarms against the independent Python oracle (tests/oracle/alarm_oracle.py):
#  1. tests/data/alarm-vectors.tsv (driven through the store by tests/unit/test_alarm_store.c)
#     is what the oracle generates today, so the two cannot drift;
#  2. `scan --cis` replays the 15 CIS alarms (Sum >= 1, 300 s, 1 period, missing) on event
#     time: every alarm's transitions (time, from, to, reason) and final state equal the
#     oracle's, which reads the events with tests/oracle/cis_oracle.py and evaluates
#     alarms.md §5 on its own — on the shipped sample, and on ../shared/data/cloudtrail
#     where 4.1 and at least one other alarm must reach ALARM.
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
ORACLE="$REPO_DIR/tests/oracle/alarm_oracle.py"
SHARED_DATA="$REPO_DIR/../shared/data/cloudtrail"
. "$REPO_DIR/tests/cli/lib.sh"

"$PYTHON" "$ORACLE" vectors >"$tmp/vectors.tsv" || failures=$((failures + 1))
if ! cmp -s "$tmp/vectors.tsv" "$REPO_DIR/tests/data/alarm-vectors.tsv"; then
    echo "FAIL: tests/data/alarm-vectors.tsv differs from 'alarm_oracle.py vectors'"
    diff "$tmp/vectors.tsv" "$REPO_DIR/tests/data/alarm-vectors.tsv" | head -5
    failures=$((failures + 1))
fi

# compare NAME PATH [ALARM=N ...]
compare() {
    local name=$1 path=$2
    shift 2
    "$TRAILHOUND" scan --cis --format json -- "$path" >"$tmp/$name.scan.json" 2>"$tmp/$name.err"
    local status=$?
    if [ $status -ne 0 ]; then
        echo "FAIL: $name: scan exited $status: $(head -3 "$tmp/$name.err")"
        failures=$((failures + 1))
        return
    fi
    "$PYTHON" "$ORACLE" cis-replay "$path" >"$tmp/$name.oracle.json"
    if ! "$PYTHON" "$ORACLE" compare-cis "$tmp/$name.oracle.json" "$tmp/$name.scan.json" "$@"; then
        echo "FAIL: $name: scan and oracle differ"
        failures=$((failures + 1))
    fi
}

compare samples "$REPO_DIR/samples/cloudtrail-events.jsonl" unauthorized_api_calls_alarm=1
if [ -d "$SHARED_DATA" ]; then
    compare shared "$SHARED_DATA" unauthorized_api_calls_alarm=1 iam_changes_alarm=1
else
    echo "SKIP: $SHARED_DATA absent (a user's clone has no ../shared); shipped sample only"
fi

finish "alarm oracle: all agree"
