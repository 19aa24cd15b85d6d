#!/usr/bin/env bash
# Exactly once across kill -9: `serve` is killed at random moments (25 to 40 times) while a
# writer drops gzip delivery files into the watched directory and appends to NDJSON files,
# and a large NDJSON file is being read; it is restarted each time. At the end the stored
# sums equal the known counts and what `scan` counts over the same files.
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
. "$REPO_DIR/tests/cli/lib.sh"
cleanup_signal=KILL
SAMPLES="$REPO_DIR/samples/cloudtrail-events.jsonl" # 12 events, 4 unauthorized API calls
mkdir -p "$tmp/watch/delivery" "$tmp/staging"
# the samples are from 2023: keep them (serve's retention counts back from now)
printf 'settings:\n  dataPointRetentionDays: 36500\n' >"$tmp/config.yaml"
jq -s '{Records: .}' "$SAMPLES" | gzip >"$tmp/staging/records.json.gz"
# a large file being read when the first kills come: 1500 copies of the samples
for _ in $(seq 1500); do cat "$SAMPLES"; done >"$tmp/watch/big.jsonl"

# a steady stream, so most kills land while chunks are being read and committed
writer() {
    for round in $(seq 600); do
        if [ $((round % 15)) -eq 0 ]; then
            cp "$tmp/staging/records.json.gz" "$tmp/watch/delivery/.$round.tmp"
            mv "$tmp/watch/delivery/.$round.tmp" "$tmp/watch/delivery/file-$round.json.gz"
            sleep 0.05
        fi
        cat "$SAMPLES" >>"$tmp/watch/appended-$((round % 3)).jsonl"
        sleep 0.01
    done
}
writer &
writer_pid=$!
pids+=("$writer_pid")
kills=0
busy_runs() { # killed runs that had committed chunks (an `ingested` line before the next start)
    awk '/ started /{if (s && n) b++; s=1; n=0} / ingested /{n++} END{print b + 0}' "$tmp/serve.log"
}
# 25 kills, more (up to 40) while fewer than 10 landed during ingestion: a loaded machine or a
# sanitizer build can start slowly enough that a kill comes before the first commit
while [ "$kills" -lt 25 ] || { [ "$(busy_runs)" -lt 10 ] && [ "$kills" -lt 40 ]; }; do
    "$TRAILHOUND" serve --cis --config "$tmp/config.yaml" --db "$tmp/serve.db" --watch "$tmp/watch" 2>>"$tmp/serve.log" &
    pid=$!
    # once it has started (sanitizer builds start slowly), a random moment within 0.6 s
    for _ in $(seq 200); do
        [ "$(grep -c ' started ' "$tmp/serve.log")" -gt "$kills" ] && break
        sleep 0.02
    done
    sleep "0.$((RANDOM % 6))$((RANDOM % 10))"
    kill -9 "$pid" && kills=$((kills + 1))
    wait "$pid" 2>/dev/null
done
wait "$writer_pid"
"$TRAILHOUND" serve --cis --config "$tmp/config.yaml" --db "$tmp/serve.db" --watch "$tmp/watch" --exit-when-idle \
    2>>"$tmp/serve.log"
check "killed at least 20 times" 1 $((kills >= 20))
# the kills landed during ingestion: most killed runs had committed chunks
busy=$(busy_runs)
check "at least 10 killed runs were ingesting ($busy)" 1 $((busy >= 10))
copies=$((1500 + 40 + 600)) # big.jsonl, 40 delivery files, 600 appended sample sets
check "exact unauthorized_api_calls total" $((copies * 4)) \
    "$(metric_sum "$tmp/serve.db" unauthorized_api_calls_metric)"
"$TRAILHOUND" scan --cis --db "$tmp/scan.db" "$tmp/watch" >/dev/null
for metric in unauthorized_api_calls_metric organizations_changes console_signin_failure_metric; do
    check "serve = scan for $metric" "$(metric_sum "$tmp/scan.db" $metric)" \
        "$(metric_sum "$tmp/serve.db" $metric)"
done
if [ "$failures" -gt 0 ]; then
    grep -v ' ingested ' "$tmp/serve.log" | tail -40
    exit 1
fi
echo "serve crash: all checks passed ($kills kills)"
