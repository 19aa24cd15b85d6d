#!/usr/bin/env bash
# When the disk is full, ingestion stops and resumes rather than dropping events. The store
# lives on a small tmpfs (root only: skipped otherwise); the watched directory, outside it,
# holds more events than fit. The daemon logs commit_failed (SQLITE_FULL), keeps running and
# retrying; once the tmpfs is enlarged (remount), it resumes, and the totals are exact —
# equal to the known count and to `scan` over the same files — with an intact store
# (PRAGMA integrity_check). The failures counted while the disk was full are written once
# it has room, so trailhound-ingest-failures goes to ALARM and its message reaches
# settings.silenceTopic. Takes about 25 s (a retry comes 10 s after a failed commit; the
# test waits for one that fails again before enlarging the tmpfs).
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
if [ "$(id -u)" != 0 ]; then
    echo "SKIP: mounting a tmpfs needs root"
    exit 0
fi
if ! command -v sqlite3 >/dev/null; then
    echo "SKIP: the sqlite3 command-line tool is not installed"
    exit 0
fi
. "$REPO_DIR/tests/cli/lib.sh"
mnt="$tmp/db"
mkdir "$mnt" "$tmp/watch"
if ! mount -t tmpfs -o size=1m tmpfs "$mnt" 2>"$tmp/mount.err"; then
    echo "SKIP: cannot mount a tmpfs: $(cat "$tmp/mount.err")"
    exit 0
fi
unmount_then_cleanup() {
    for pid in "${pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    pids=()
    umount "$mnt" 2>/dev/null || umount -l "$mnt"
    cleanup
}
trap unmount_then_cleanup EXIT

metric_sum() { # metric_sum DB METRIC [NAMESPACE]
    "$TRAILHOUND" metrics --db "$1" --namespace "${3:-CISBenchmark}" --metric-name "$2" \
        --start-time 2000-01-01 --end-time 2100-01-01 --period 2592000 --statistics Sum |
        jq '[.Datapoints[].Sum] | add // 0'
}

# 8 files of 2500 unauthorized calls, each at its own second (so each is its own data
# point): about 2 MB of store, several times what the tmpfs holds
"$PYTHON" - "$tmp/watch" <<'PY'
import json, sys, datetime
start = datetime.datetime(2026, 1, 1)
for file in range(8):
    with open(f"{sys.argv[1]}/part-{file}.jsonl", "w") as out:
        for i in range(file * 2500, (file + 1) * 2500):
            when = (start + datetime.timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
            out.write(json.dumps({
                "eventVersion": "1.08", "eventTime": when, "eventSource": "s3.amazonaws.com",
                "eventName": "GetObject", "errorCode": "AccessDenied", "awsRegion": "us-east-1",
                "sourceIPAddress": f"192.0.2.{i % 250}", "recipientAccountId": "123456789012",
                "userIdentity": {"type": "IAMUser", "accountId": "123456789012",
                                 "arn": f"arn:aws:iam::123456789012:user/u{i % 50}"},
            }, separators=(",", ":")) + "\n")
PY
cat >"$tmp/config.yaml" <<YAML
settings:
  dataPointRetentionDays: 36500
  silenceTopic: ops
topics:
  - Name: ops
    Subscriptions:
      - Protocol: exec
        Endpoint: cat >> $tmp/ops.out; echo >> $tmp/ops.out
YAML

"$TRAILHOUND" serve --cis --config "$tmp/config.yaml" --db "$mnt/store.db" \
    --watch "$tmp/watch" 2>"$tmp/serve.log" &
pids+=($!)
serve_pid=$!
wait_for_line "$tmp/serve.log" ' commit_failed ' 30
check "a full disk makes a commit fail (logged)" 0 $?
grep -q 'commit_failed.*full' "$tmp/serve.log"
check "the failure says the disk is full" 0 $?
for _ in $(seq 300); do
    [ "$(grep -c ' commit_failed ' "$tmp/serve.log")" -ge 2 ] && break
    sleep 0.1
done
check "it retries, and fails again while the disk is still full" 1 \
    $(($(grep -c ' commit_failed ' "$tmp/serve.log") >= 2))
kill -0 "$serve_pid" 2>/dev/null
check "the daemon keeps running while the disk is full" 0 $?
ingested_while_full=$(awk '/ ingested /{for (i = 1; i <= NF; i++) if ($i ~ /^events=/) n += substr($i, 8)} END{print n + 0}' "$tmp/serve.log")
check "ingestion stopped short of the total ($ingested_while_full of 20000)" 1 \
    $((ingested_while_full < 20000))

mount -o remount,size=64m "$mnt"
# the retry reads every file again from its committed offset
for _ in $(seq 300); do
    total=$(awk '/ ingested /{for (i = 1; i <= NF; i++) if ($i ~ /^events=/) n += substr($i, 8)} END{print n + 0}' "$tmp/serve.log")
    [ "$total" -ge 20000 ] && break
    sleep 0.1
done
check "ingestion resumed and took every event exactly once" 20000 "$total"
wait_for_line "$tmp/serve.log" 'alarm=trailhound-ingest-failures .*to=ALARM' 20
check "the failures written after the recovery raise trailhound-ingest-failures" 0 $?
wait_for_line "$tmp/ops.out" '"AlarmName":"trailhound-ingest-failures"' 20
check "its message reaches silenceTopic" 0 $?
kill -TERM "$serve_pid"
wait "$serve_pid"
check "exit status after SIGTERM" 0 $?
pids=()

check "the store is intact" ok "$(sqlite3 "$mnt/store.db" 'PRAGMA integrity_check')"
check "exact unauthorized_api_calls total" 20000 \
    "$(metric_sum "$mnt/store.db" unauthorized_api_calls_metric)"
"$TRAILHOUND" scan --cis --db "$tmp/scan.db" "$tmp/watch" >/dev/null
check "serve = scan" "$(metric_sum "$tmp/scan.db" unauthorized_api_calls_metric)" \
    "$(metric_sum "$mnt/store.db" unauthorized_api_calls_metric)"
failed=$(grep -c ' commit_failed ' "$tmp/serve.log")
stored=$(metric_sum "$mnt/store.db" IngestFailures Trailhound)
check "every failed commit is counted in Trailhound/IngestFailures ($failed commits)" 1 \
    $((stored >= failed && failed > 0))
if [ "$failures" -gt 0 ]; then
    grep -v ' ingested ' "$tmp/serve.log" | tail -30
fi
finish "serve disk full: all checks passed ($ingested_while_full of 20000 events in before the tmpfs grew, $failed failed commits)"
