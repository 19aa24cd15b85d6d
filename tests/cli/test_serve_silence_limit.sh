#!/usr/bin/env bash
# How many accounts and regions `serve` watches for silence is bounded: 1000 accounts and 64
# regions. Events from 1010 accounts in 70 regions give exactly 1000 account and 64 region
# silence alarms (and heartbeats), one silence_limit line per kind; a restart remembers the
# ones it watches (from their stored alarms) and still refuses a new one.
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
. "$REPO_DIR/tests/cli/lib.sh"
count_alarms() { # count_alarms DB PREFIX
    "$PYTHON" -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute(
    "select count(*) from alarms where name like ?", (sys.argv[2] + "%",)).fetchone()[0])' "$1" "$2"
}
count_heartbeats() { # count_heartbeats DB DIMENSION
    "$PYTHON" -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute(
    "select count(*) from metrics where namespace = ? and dimensions_json like ?",
    ("Trailhound", "{\"" + sys.argv[2] + "\":%")).fetchone()[0])' "$1" "$2"
}
events() { # events FIRST LAST: one event per account FIRST..LAST, regions r-0..r-69
    "$PYTHON" - "$1" "$2" <<'PY'
import json, sys
for n in range(int(sys.argv[1]), int(sys.argv[2]) + 1):
    print(json.dumps({"eventVersion": "1.08", "eventTime": "2026-01-01T00:00:00Z",
                      "eventName": "GetObject", "awsRegion": f"r-{n % 70}",
                      "recipientAccountId": f"{100000000000 + n}"}, separators=(",", ":")))
PY
}
mkdir "$tmp/watch"
events 1 1010 >"$tmp/watch/events.jsonl"
serve() {
    "$TRAILHOUND" serve --cis --db "$tmp/store.db" --watch "$tmp/watch" 2>>"$tmp/serve.log" &
    pids+=($!)
    serve_pid=$!
}
serve
wait_for_line "$tmp/serve.log" ' ingested ' 60
check "the events are ingested" 1 "$(grep -c ' ingested .*events=1010 ' "$tmp/serve.log")"
check "1000 accounts are watched" 1000 "$(count_alarms "$tmp/store.db" trailhound-silence:account:)"
check "64 regions are watched" 64 "$(count_alarms "$tmp/store.db" trailhound-silence:region:)"
check "1000 account heartbeats" 1000 "$(count_heartbeats "$tmp/store.db" Account)"
check "64 region heartbeats" 64 "$(count_heartbeats "$tmp/store.db" Region)"
check "one silence_limit line per kind" "1 1" \
    "$(grep -c 'silence_limit kind=account limit=1000' "$tmp/serve.log") $(grep -c 'silence_limit kind=region limit=64' "$tmp/serve.log")"
kill -TERM "$serve_pid"
wait "$serve_pid"

serve
wait_for_line "$tmp/serve.log" ' started ' 10
events 2000 2000 >>"$tmp/watch/events.jsonl"
wait_for_line "$tmp/serve.log" ' ingested .*events=1 ' 20
check "after a restart a new account is still refused" 1000 \
    "$(count_alarms "$tmp/store.db" trailhound-silence:account:)"
check "and that is logged by the new run" 2 \
    "$(grep -c 'silence_limit kind=account limit=1000' "$tmp/serve.log")"
kill -TERM "$serve_pid"
wait "$serve_pid"
check "exit status after SIGTERM" 0 $?
[ "$failures" -gt 0 ] && grep -v ' ingested ' "$tmp/serve.log" | tail -20
finish "serve silence limit: all checks passed"
