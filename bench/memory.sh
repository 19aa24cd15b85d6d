#!/usr/bin/env bash
# trailhound memory benchmark: peak RSS of `scan --cis` over a long span of event time.
#
#   bench/memory.sh [--days N] [--workdir DIR]
#
# Every matched minute is a bucket (with its evidence) that a scan with alarms keeps until
# the replay; beyond a memory bound they spill to a temporary store. This generates (or
# reuses) N days (default 365) of one CIS 4.1 match a minute (bench/generate_span.py), a
# gzip copy, and prints wall time and peak RSS of `scan --cis` on 1 and 2 threads, plain and
# gzip, and into a fresh --db, checking that every run reports the same alarms and counts.
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
days=365
workdir=${TRAILHOUND_BENCH_DIR:-/tmp/trailhound-bench}
trailhound=${TRAILHOUND:-$repo/build/trailhound}
while [ $# -gt 0 ]; do
    case "$1" in
        --days) days=$2; shift 2 ;;
        --workdir) workdir=$2; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "memory.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
case "$days" in *[!0-9]*|'') echo "memory.sh: --days takes a whole number" >&2; exit 2 ;; esac
[ -x /usr/bin/time ] || { echo "memory.sh: needs GNU time (apt-get install time)" >&2; exit 2; }
[ -x "$trailhound" ] || { echo "memory.sh: build first (make): $trailhound" >&2; exit 2; }
mkdir -p "$workdir"
data="$workdir/span-${days}d.ndjson"
if [ ! -s "$data" ]; then
    echo "generating $data" >&2
    python3 "$here/generate_span.py" --days "$days" >"$data.tmp" && mv "$data.tmp" "$data"
fi
[ -s "$data.gz" ] || gzip -6 -c "$data" >"$data.gz"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mb=$(awk -v b="$(stat -c %s "$data")" 'BEGIN{printf "%.0f", b/1e6}')
events=$(wc -l <"$data")

echo "## scan --cis over $days days of one match a minute ($events events, $mb MB)"
echo
echo "| input | threads | wall (s) | peak RSS (MB) | same report |"
echo "|---|---|---|---|---|"
reference=""
measure() { # measure LABEL THREADS ARGS...
    local label=$1 threads=$2
    shift 2
    /usr/bin/time -f '%e %M' -o "$tmp/time" "$trailhound" scan --cis --format json \
        --threads "$threads" "$@" >"$tmp/report.json"
    # the same alarms, transitions and counts whatever the input's form and the threads
    jq -S '{events, filters: [.filters[] | {name, matches}], alarms}' "$tmp/report.json" \
        >"$tmp/summary.json"
    [ -n "$reference" ] || { cp "$tmp/summary.json" "$tmp/reference.json"; reference=1; }
    local same=yes
    cmp -s "$tmp/summary.json" "$tmp/reference.json" || same="**no**"
    read -r wall rss <"$tmp/time"
    printf '| %s | %s | %s | %.1f | %s |\n' "$label" "$threads" "$wall" \
        "$(awk -v k="$rss" 'BEGIN{print k/1024}')" "$same"
}
measure "NDJSON" 1 "$data"
measure "NDJSON" 2 "$data"
measure "gzip" 1 "$data.gz"
measure "gzip" 2 "$data.gz"
measure "NDJSON, --db" 1 --db "$tmp/scan.db" "$data"
echo
echo "- transitions of the CIS 4.1 alarm: $(jq '.alarms[0].transitions | length' "$tmp/report.json")"
echo "- $(uname -m), $(nproc) CPUs; trailhound $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')"
