#!/usr/bin/env bash
# trailhound benchmark: one run over one synthetic CloudTrail file, against its peers.
#
#   bench/run.sh [--megabytes N] [--seed S] [--runs N] [--workdir DIR] [--quick]
#
# Generates (or reuses) an NDJSON file of N MB (default 450) and a gzip -6 copy of it, warms
# the page cache, then times on that same file: trailhound scan --cis (all 15 CIS filters,
# 1 and 2 threads), jq 1.6 and python3 (CIS 4.1 only), and for the gzip copy trailhound,
# libdeflate-gunzip, gzip -dc, and jq / python3 behind zcat. Prints a markdown report on
# standard output (progress goes to standard error). See bench/README.md.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

megabytes=450
seed=1
runs=3
peer_runs=""
workdir=${TRAILHOUND_BENCH_DIR:-/tmp/trailhound-bench}
trailhound=${TRAILHOUND:-$repo/build/trailhound}
quick=0

usage() {
    cat <<EOF
usage: bench/run.sh [options]

  --megabytes N    size of the NDJSON file in MB of 10^6 bytes (default 450)
  --seed S         generator seed (default 1); files are reused per seed and size
  --runs N         timed runs per row, best one reported (default 3)
  --peer-runs N    runs for the jq and python3 rows (default: --runs, cut to 1 when one
                   run takes over 30 s)
  --workdir DIR    where the data files live (default /tmp/trailhound-bench, or
                   \$TRAILHOUND_BENCH_DIR)
  --trailhound P   the binary to measure (default build/trailhound, or \$TRAILHOUND)
  --quick          smoke run: 40 MB (overrides --megabytes)
  -h, --help       this help
EOF
}

while [ $# -gt 0 ]; do
    case "$1" in
        --megabytes) megabytes=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --peer-runs) peer_runs=$2; shift 2 ;;
        --workdir) workdir=$2; shift 2 ;;
        --trailhound) trailhound=$2; shift 2 ;;
        --quick) quick=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
done
[ "$quick" = 1 ] && megabytes=40
case "$megabytes$seed$runs${peer_runs:-1}" in
    *[!0-9]*) echo "run.sh: --megabytes, --seed, --runs and --peer-runs take whole numbers" >&2
              exit 2 ;;
esac
[ "$runs" -ge 1 ] || { echo "run.sh: --runs must be at least 1" >&2; exit 2; }

say() { printf '%s\n' "$*" >&2; }
notes=()
note() { notes+=("$*"); say "note: $*"; }

# ---------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------
python=$(command -v python3 || true)
[ -n "$python" ] || { say "run.sh: python3 is needed (it also generates the data)"; exit 1; }
# the interpreter itself, not a launcher such as a pyenv shim (which costs a process start)
python=$("$python" -c 'import sys; print(sys.executable)')

gnu_time=""
if [ -x /usr/bin/time ] && /usr/bin/time -f '%e %M' true >/dev/null 2>&1; then
    gnu_time=/usr/bin/time
else
    note "GNU time (/usr/bin/time, Debian package 'time') not found: peak RSS not measured; install it with: apt-get install time"
fi

jq_bin=$(command -v jq || true)
if [ -z "$jq_bin" ]; then
    note "jq not found: jq rows skipped (Debian package 'jq', version 1.6 on Debian 12)"
else
    jq_version=$("$jq_bin" --version 2>&1 || true)
    [ "$jq_version" = "jq-1.6" ] || note "jq is $jq_version, not jq-1.6: its figures are not comparable with jq 1.6's"
fi

libdeflate=$(command -v libdeflate-gunzip || true)
[ -n "$libdeflate" ] || note "libdeflate-gunzip not found: install Debian package libdeflate-tools (apt-get install libdeflate-tools); its row is skipped"

scan_ok=0
threads_ok=0
if [ ! -x "$trailhound" ]; then
    note "$trailhound does not exist (run make): trailhound scan not available yet; trailhound rows skipped"
elif "$trailhound" scan --help 2>&1 | grep -q 'usage: trailhound scan'; then
    scan_ok=1
    "$trailhound" scan --help 2>&1 | grep -q -- '--threads' && threads_ok=1
else
    note "trailhound scan not available yet; trailhound rows skipped"
fi

# ---------------------------------------------------------------------------------------
# Data: generate or reuse, keyed by seed and size (and the generator's content)
# ---------------------------------------------------------------------------------------
mkdir -p "$workdir"
base="$workdir/cloudtrail-seed$seed-${megabytes}MB"
file="$base.ndjson"
gz="$file.gz"
meta="$base.meta"
reference="$base.reference.txt"
gen_hash=$("$python" -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest()[:16])' "$here/generate_cloudtrail.py")
peer_hash=$("$python" -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest()[:16])' "$here/peer_python.py")

if [ -s "$file" ] && [ -s "$meta" ] && grep -qx "generator $gen_hash" "$meta"; then
    say "reusing $file"
else
    say "generating $file ($megabytes MB, seed $seed)..."
    rm -f "$file" "$gz" "$reference" "$meta"
    t0=$EPOCHREALTIME
    "$python" "$here/generate_cloudtrail.py" --megabytes "$megabytes" --seed "$seed" \
        --output "$file" --quiet
    say "  generated in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN{printf "%.1f", b-a}') s"
    echo "generator $gen_hash" > "$meta"
fi
if [ ! -s "$gz" ] || [ "$gz" -ot "$file" ]; then
    say "compressing $gz (gzip -6, keeping both)..."
    gzip -6 -c "$file" > "$gz.tmp" && mv "$gz.tmp" "$gz"
fi
if [ ! -s "$reference" ] || ! grep -qx "peer $peer_hash" "$reference"; then
    say "computing the reference CIS counts (peer_python.py --all, not timed)..."
    { "$python" "$here/peer_python.py" --all "$file"; echo "peer $peer_hash"; } > "$reference.tmp"
    mv "$reference.tmp" "$reference"
fi

size=$(stat -c %s "$file")
gz_size=$(stat -c %s "$gz")
mb=$(awk -v s="$size" 'BEGIN{printf "%.1f", s/1e6}')
[ "$megabytes" -ge 400 ] || note "the file is $mb MB, under the benchmark's 400 MB: a smoke test, not figures to publish"

say "warming the page cache..."
cat "$file" "$gz" > /dev/null
# how busy the machine is without us: CPU time used during one idle second
cpu_busy() {
    local a b
    a=$(awk '/^cpu /{print $2+$3+$4+$7+$8, $5+$6}' /proc/stat)
    sleep 1
    b=$(awk '/^cpu /{print $2+$3+$4+$7+$8, $5+$6}' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN{split(a, x, " "); split(b, y, " ");
        busy = y[1] - x[1]; idle = y[2] - x[2];
        total = busy + idle; printf "%.0f", (total > 0 ? 100 * busy / total : 0) }'
}
busy_start=$(cpu_busy)
[ "$busy_start" -lt 10 ] ||
    note "the CPUs were ${busy_start}% busy before measuring: something else is running, expect noisy figures"

# ---------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------
tmp=$(mktemp -d "$workdir/run.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# run_timed RUNS CMD: runs CMD (a bash command line) RUNS times; stdout of the last run in
# $tmp/out. Sets best_wall (seconds), peak_rss (KiB, max over runs, "" if unknown),
# status (exit status of the best run) and done_runs.
run_timed() {
    local n=$1 cmd=$2 i t0 t1 wall rss st
    best_wall="" peak_rss="" status=0 done_runs=0
    for ((i = 1; i <= n; i++)); do
        st=0
        t0=$EPOCHREALTIME
        if [ -n "$gnu_time" ]; then
            "$gnu_time" -f '%e %M' -o "$tmp/time" bash -c "$cmd" > "$tmp/out" 2> "$tmp/err" || st=$?
        else
            bash -c "$cmd" > "$tmp/out" 2> "$tmp/err" || st=$?
        fi
        t1=$EPOCHREALTIME
        wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}')
        done_runs=$i
        if [ -n "$gnu_time" ] && [ -s "$tmp/time" ]; then
            rss=$(awk 'END{print $2}' "$tmp/time")
            if [ -z "$peak_rss" ] || [ "$rss" -gt "$peak_rss" ]; then peak_rss=$rss; fi
        fi
        if [ -z "$best_wall" ] || awk -v a="$wall" -v b="$best_wall" 'BEGIN{exit !(a<b)}'; then
            best_wall=$wall
            status=$st
        fi
        # slow peers: one run is enough to compare orders of magnitude
        if [ "${cut_slow:-0}" = 1 ] && [ "$i" = 1 ] && [ "$n" -gt 1 ] &&
            awk -v a="$wall" 'BEGIN{exit !(a>30)}'; then
            cut_note=1
            break
        fi
    done
}

# scan_count FILE: the CIS 4.1 match count in trailhound's --format json output
scan_count() {
    "$python" - "$1" <<'EOF'
import json, sys
try:
    doc = json.load(open(sys.argv[1]))
except Exception:
    print("?"); sys.exit()
def walk(node):
    if isinstance(node, dict):
        cis = node.get("cis", node.get("cis_id", node.get("id")))
        if cis == "4.1":
            for key in ("matches", "count", "matched", "events"):
                if isinstance(node.get(key), int):
                    return node[key]
        for value in node.values():
            found = walk(value)
            if found is not None:
                return found
    elif isinstance(node, list):
        for value in node:
            found = walk(value)
            if found is not None:
                return found
    return None
found = walk(doc)
print("?" if found is None else found)
EOF
}

# scan_all_counts FILE: "4.1 N" lines for every CIS filter in trailhound's json output
scan_all_counts() {
    "$python" - "$1" <<'EOF'
import json, sys
try:
    doc = json.load(open(sys.argv[1]))
except Exception:
    sys.exit()
for f in doc.get("filters", []) if isinstance(doc, dict) else []:
    if isinstance(f, dict) and f.get("cis") and isinstance(f.get("matches"), int):
        print(f["cis"], f["matches"])
EOF
}

rows=()       # fields separated by $US: tool input runs wall MB/s RSS-MB 4.1-count note
US=$'\x1f'
declare -A wall_of count_of label_of count_factor
order=()

# row KEY TOOL INPUT RUNS CMD COUNTER [NOTE]
#   COUNTER: "lines" (count = lines of output), "number" (output is the count), "scan"
row() {
    local key=$1 tool=$2 input=$3 n=$4 cmd=$5 counter=$6 extra=${7:-} count mbs rss
    say "measuring: $tool ($input)..."
    cut_note=0
    run_timed "$n" "$cmd"
    case "$counter" in
        lines) count=$(wc -l < "$tmp/out") ;;
        number) count=$(tr -d ' \n' < "$tmp/out") ;;
        scan) count=$(scan_count "$tmp/out"); cp "$tmp/out" "$tmp/scan-$key.json" ;;
        *) count="-" ;;
    esac
    [ -n "$count" ] || count="?"
    mbs=$(awk -v s="$size" -v w="$best_wall" 'BEGIN{ if (w > 0) printf "%.0f", s/1e6/w; else print "-" }')
    rss=$([ -n "$peak_rss" ] && awk -v k="$peak_rss" 'BEGIN{printf "%.1f", k/1024}' || echo "n/a")
    [ "$status" = 0 ] || extra="${extra:+$extra; }exit status $status: $(head -c 200 "$tmp/err" | tr '\n' ' ')"
    [ "$cut_note" = 1 ] && extra="${extra:+$extra; }1 run (first took > 30 s)"
    rows+=("$tool$US$input$US$done_runs$US$best_wall$US$mbs$US$rss$US$count$US$extra")
    wall_of[$key]=$best_wall
    count_of[$key]=$count
    label_of[$key]="$tool, $input"
    order+=("$key")
}

q() { printf '%q' "$1"; }

# CIS 4.1 as one jq select, with CloudWatch Logs' semantics: `=`/`!=` hold only on strings
# and numbers, so `!=` on a missing or null field is false (jq's own `!=` would be true).
# The errorCode tests need a string (a number's text can end neither way); for the two `!=`
# a number always differs from the literal.
JQ_41='select((.errorCode | type == "string") and ((.errorCode | endswith("UnauthorizedOperation")) or ((.errorCode | startswith("AccessDenied")) and (.sourceIPAddress | (type == "string" or type == "number") and tostring != "delivery.logs.amazonaws.com") and (.eventName | (type == "string" or type == "number") and tostring != "HeadBucket"))))'

prs=${peer_runs:-$runs}
cut=1                                 # jq and python3: one run when the first is slow,
[ -z "$peer_runs" ] || cut=0          # unless --peer-runs says how many
th=$(q "$trailhound")
F=$(q "$file")
G=$(q "$gz")

ALL15="all 15 CIS filters"
ONLY41="CIS 4.1 only"
if [ "$scan_ok" = 1 ]; then
    row th1 "trailhound scan --cis" "ndjson" "$runs" \
        "$th scan --cis --format json $F" scan "$ALL15"
    [ "$threads_ok" = 1 ] && row th2 "trailhound scan --cis --threads 2" "ndjson" "$runs" \
        "$th scan --cis --threads 2 --format json $F" scan "$ALL15"
fi
if [ -n "$jq_bin" ]; then
    cut_slow=$cut row jq "jq -c 'select(...4.1...)'" "ndjson" "$prs" \
        "$(q "$jq_bin") -c $(q "$JQ_41") $F" lines "$ONLY41"
fi
cut_slow=$cut row py "python3 peer_python.py" "ndjson" "$prs" \
    "$(q "$python") $(q "$here/peer_python.py") $F" number "$ONLY41; json.loads per line"
if [ "$scan_ok" = 1 ]; then
    row thgz1 "trailhound scan --cis" "gzip" "$runs" \
        "$th scan --cis --format json $G" scan "$ALL15"
    [ "$threads_ok" = 1 ] && row thgz2 "trailhound scan --cis --threads 2" "gzip" "$runs" \
        "$th scan --cis --threads 2 --format json $G" scan "$ALL15"
fi
# Thread scaling at scale: the same file four times over (hard links: no more page cache),
# so the fixed costs of a run (process start, the alarm replay, the report) weigh less.
if [ "$scan_ok" = 1 ] && [ "$threads_ok" = 1 ]; then
    x4="$workdir/x4-seed$seed-${megabytes}MB"
    mkdir -p "$x4"
    if ln -f "$file" "$x4/part1.ndjson" && ln -f "$file" "$x4/part2.ndjson" &&
        ln -f "$file" "$x4/part3.ndjson" && ln -f "$file" "$x4/part4.ndjson"; then
        X=$(q "$x4")
        x4_note="$ALL15; the file 4 times (hard links in $x4)"
        size=$((size * 4)) row thx1 "trailhound scan --cis" "ndjson x4" "$runs" \
            "$th scan --cis --format json $X" scan "$x4_note"
        size=$((size * 4)) row thx2 "trailhound scan --cis --threads 2" "ndjson x4" "$runs" \
            "$th scan --cis --threads 2 --format json $X" scan "$x4_note"
        count_factor[thx1]=4
        count_factor[thx2]=4
    else
        note "cannot hard-link $file into $x4: the x4 rows are skipped"
    fi
fi
[ -n "$libdeflate" ] && row libdeflate "libdeflate-gunzip -c > /dev/null" "gzip" "$runs" \
    "$(q "$libdeflate") -c $G > /dev/null" none "decompression only"
row gunzip "gzip -dc > /dev/null" "gzip" "$runs" "gzip -dc $G > /dev/null" none \
    "decompression only"
if [ -n "$jq_bin" ]; then
    cut_slow=$cut row jqgz "zcat | jq -c 'select(...4.1...)'" "gzip" "$prs" \
        "zcat $G | $(q "$jq_bin") -c $(q "$JQ_41")" lines "$ONLY41"
fi
cut_slow=$cut row pygz "zcat | python3 peer_python.py -" "gzip" "$prs" \
    "zcat $G | $(q "$python") $(q "$here/peer_python.py") -" number "$ONLY41"

# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------
ratio() { # throughput ratio a/b = wall b / wall a
    local a=${wall_of[$1]:-} b=${wall_of[$2]:-}
    if [ -n "$a" ] && [ -n "$b" ]; then
        awk -v a="$a" -v b="$b" 'BEGIN{ if (a > 0) printf "%.2f", b/a; else print "-" }'
    else
        echo "n/a"
    fi
}

events=$(sed -n 's/^events \([0-9]*\),.*/\1/p' "$reference")
avg=$(sed -n 's/.*average event \([0-9]*\) bytes.*/\1/p' "$reference")
names=$(sed -n 's/^distinct eventNames \([0-9]*\);.*/\1/p' "$reference")
ref41=$(awk '$1 == "4.1" {print $2}' "$reference")
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1)
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo "?")
thv=$([ -x "$trailhound" ] && "$trailhound" --version 2>/dev/null || echo "not built")

echo "## trailhound benchmark"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); host: ${cpu:-unknown CPU}, $(nproc) CPUs, $(awk '/MemTotal/{printf "%.0f GB", $2/1e6}' /proc/meminfo) RAM"
echo "- trailhound: $thv (commit $commit)"
echo "- peers: ${jq_version:-no jq}; $("$python" --version 2>&1) ($python); ${libdeflate:+libdeflate-gunzip $(dpkg-query -W -f '${Version}' libdeflate-tools 2>/dev/null || echo '?')}; $(gzip --version | head -1)"
echo "- data: \`$file\` (seed $seed): $mb MB, $events events (average $avg bytes), $names distinct eventNames; gzip -6 copy $(awk -v s="$gz_size" 'BEGIN{printf "%.1f", s/1e6}') MB (ratio $(awk -v a="$size" -v b="$gz_size" 'BEGIN{printf "%.1f", a/b}')x); page cache warm"
echo "- CPU use by other work before measuring: ${busy_start}% (after: $(cpu_busy)%)"
echo "- each row: best wall time of its runs; MB/s of the uncompressed size ($mb MB); peak RSS is the largest process (for pipelines, the largest process in the pipeline)"
echo
echo "| tool | input | runs | best wall (s) | MB/s | peak RSS (MB) | CIS 4.1 count | note |"
echo "|---|---|---:|---:|---:|---:|---:|---|"
for r in "${rows[@]}"; do
    r=${r//|/\\|}  # a | inside a cell must be escaped in markdown
    IFS=$US read -r c1 c2 c3 c4 c5 c6 c7 c8 <<< "$r"
    echo "| \`$c1\` | $c2 | $c3 | $c4 | $c5 | $c6 | $c7 | $c8 |"
done
echo
echo "Throughput ratios (higher = trailhound faster; trailhound evaluates all 15 CIS filters, jq and python3 only 4.1):"
echo
echo "| ratio | 1 thread | 2 threads |"
echo "|---|---:|---:|"
echo "| trailhound / jq | $(ratio th1 jq) | $(ratio th2 jq) |"
echo "| trailhound / python3 | $(ratio th1 py) | $(ratio th2 py) |"
echo "| trailhound-gz / libdeflate-gunzip | $(ratio thgz1 libdeflate) | $(ratio thgz2 libdeflate) |"
echo "| trailhound-gz / zcat \\| jq | $(ratio thgz1 jqgz) | $(ratio thgz2 jqgz) |"
echo
echo "trailhound, 2 threads against 1 (end to end, wall):"
echo
echo "| input | 2 threads / 1 thread |"
echo "|---|---:|"
echo "| ndjson | $(ratio th2 th1) |"
echo "| gzip | $(ratio thgz2 thgz1) |"
echo "| ndjson x4 ($(awk -v s="$size" 'BEGIN{printf "%.1f", 4*s/1e9}') GB) | $(ratio thx2 thx1) |"
echo

echo "CIS 4.1 counts (reference: bench/peer_python.py --all, $ref41):"
agree=1
for k in "${order[@]}"; do
    c=${count_of[$k]:-}
    [ "$c" != "-" ] || continue
    factor=${count_factor[$k]:-1}
    expected=$((ref41 * factor))
    if [ "$c" = "$expected" ]; then mark="agrees"; else mark="**differs**"; agree=0; fi
    detail=""
    [ "$factor" = 1 ] || detail=", $factor x $ref41"
    echo "- ${label_of[$k]}: $c ($mark$detail)"
done
[ "$agree" = 1 ] || echo "- **the 4.1 counts disagree: the figures above do not measure the same work**"
echo

if [ "$scan_ok" = 1 ] && [ -s "$tmp/scan-th1.json" ]; then
    echo "All CIS filters, trailhound scan vs the Python reference:"
    echo
    echo "| CIS | trailhound | reference | |"
    echo "|---|---:|---:|---|"
    scan_all_counts "$tmp/scan-th1.json" > "$tmp/th-counts"
    for id in 4.1 4.2 4.3 4.4 4.5 4.6 4.7 4.8 4.9 4.10 4.11 4.12 4.13 4.14 4.15; do
        t=$(awk -v i="$id" '($1 "") == (i "") {print $2}' "$tmp/th-counts")
        rf=$(awk -v i="$id" '($1 "") == (i "") {print $2}' "$reference")
        echo "| $id | ${t:-?} | $rf | $([ "${t:-?}" = "$rf" ] && echo ok || echo '**differs**') |"
    done
    echo
else
    echo "Reference CIS counts in this file (bench/peer_python.py --all; trailhound scan not measured):"
    echo
    echo "| CIS | matches |"
    echo "|---|---:|"
    sed -n 's/^  \(4\.[0-9]*\) *\([0-9]*\)$/| \1 | \2 |/p' "$reference"
    echo
fi

if [ ${#notes[@]} -gt 0 ]; then
    echo "Notes:"
    for n in "${notes[@]}"; do echo "- $n"; done
fi
