#!/usr/bin/env bash
# `scan --threads N` splits a plain NDJSON file into ranges its threads read and frame
# themselves; the report must be exactly the one-thread report (timing aside) wherever the
# range boundaries fall: inside long lines, next to malformed, blank, CRLF and too-large
# lines, in a file of a few ranges, before a last line without a newline; and a file of
# fewer than two ranges, which the reading thread frames as before.
# TRAILHOUND_SCAN_RANGE_BYTES moves the boundaries.
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
. "$REPO_DIR/tests/cli/lib.sh"
samples=$REPO_DIR/samples/cloudtrail-events.jsonl

# Fixtures built from the sample events, deterministically.
"$PYTHON" - "$samples" "$tmp" <<'PY'
import json, random, sys
samples = [line.rstrip("\n") for line in open(sys.argv[1], encoding="utf-8")]
out = sys.argv[2]
rng = random.Random(3)

def padded(event, size):
    """The event with a long field, so the line is about `size` bytes."""
    record = json.loads(event)
    record["padding"] = "x" * max(0, size - len(event))
    return json.dumps(record, separators=(",", ":"))

bad = [
    "garbage that is no JSON object",
    '{"eventName":"ConsoleLogin","errorMessage":"Failed authentication",',  # cut short
    '{"eventName":"DeleteTrail", "eventSource": nul}',
    "[1,2,3]",
    '   {"eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com"} trailing',
]
lines = ["", "  "]  # leading blank lines are counted
for i in range(400):
    kind = rng.randrange(10)
    event = rng.choice(samples)
    if kind < 5:
        lines.append(event)
    elif kind == 5:
        lines.append(padded(event, rng.choice([3000, 9000, 70000])))
    elif kind == 6:
        lines.append(rng.choice(bad))
    elif kind == 7:
        lines.append(event + "\r")  # CRLF
    elif kind == 8:
        lines.append(rng.choice(["", " \t ", "\r"]))
    else:
        lines.append("  " + event + "  ")
with open(f"{out}/mixed.jsonl", "w", encoding="utf-8") as f:
    f.write("\n".join(lines))  # the last line has no newline

# an event over the 1 MiB limit between good and bad lines, and a long run of bad lines
with open(f"{out}/large.jsonl", "w", encoding="utf-8") as f:
    f.write(samples[0] + "\n" + padded(samples[1], 1100 * 1024) + "\n" + bad[1] + "\n")
    f.write("\n".join(samples) + "\n")
    f.write((bad[0] + "\n") * 3000 + samples[2] + "\n")

# smaller than one range; CRLF throughout, the last line without a newline
with open(f"{out}/small.jsonl", "w", encoding="utf-8", newline="") as f:
    f.write("\r\n".join([samples[3], bad[2], samples[4]]))
PY

# With --strict every event is decoded, so invalid JSON behind the pre-test shows too.
compare() { # compare FILE RANGE_BYTES [SCAN OPTIONS...]
    local file=$1 bytes=$2
    shift 2
    TRAILHOUND_SCAN_RANGE_BYTES=$bytes "$TRAILHOUND" scan --cis --format json "$@" \
        --threads 1 "$file" > "$tmp/one.json" 2>/dev/null
    local expected
    expected=$(jq -c 'del(.seconds, .mb_per_second)' "$tmp/one.json")
    for threads in 2 3; do
        TRAILHOUND_SCAN_RANGE_BYTES=$bytes "$TRAILHOUND" scan --cis --format json "$@" \
            --threads $threads "$file" > "$tmp/many.json" 2>/dev/null
        check "$(basename "$file"), ranges of $bytes bytes, $threads threads $*" "$expected" \
            "$(jq -c 'del(.seconds, .mb_per_second)' "$tmp/many.json")"
    done
}

for bytes in 1 7 100 997 4096 65536 2097152; do
    compare "$tmp/small.jsonl" $bytes --strict
    [ $bytes -eq 1 ] && continue # a job per byte of 1.6 MB takes seconds
    compare "$tmp/mixed.jsonl" $bytes
    compare "$tmp/mixed.jsonl" $bytes --strict
done
for bytes in 4096 300000 2097152; do
    compare "$tmp/large.jsonl" $bytes --strict
done

# The fixtures exercise what they are meant to: reports with line numbers from far into
# the file, CRLF lines counted, a too-large event, more reports than fit in one range.
mixed=$(TRAILHOUND_SCAN_RANGE_BYTES=997 "$TRAILHOUND" scan --cis --format json --strict \
    --threads 2 "$tmp/mixed.jsonl" |
    jq '.events > 150 and (.malformed | length > 20) and (.malformed | map(.line) | max > 380)
        and (.malformed | map(.line) == (map(.line) | sort))')
check "mixed.jsonl: many reports, far into the file, in line order" true "$mixed"
large=$(TRAILHOUND_SCAN_RANGE_BYTES=4096 "$TRAILHOUND" scan --cis --format json --threads 2 \
    "$tmp/large.jsonl" | jq -c '[.events, .malformed_count, .malformed[0].line, .malformed[0].error,
                                 .malformed[1].line, .malformed[-1].line]')
check "large.jsonl: the too-large event, then the bad lines" \
    '[14,3002,2,"event larger than 1048576 bytes",3,3015]' "$large"
small=$(TRAILHOUND_SCAN_RANGE_BYTES=100000 "$TRAILHOUND" scan --cis --format json --strict \
    --threads 2 "$tmp/small.jsonl" | jq -c '[.events, .bytes, (.malformed | map(.line))]')
check "small.jsonl: two events, all bytes, the bad line 2" \
    "[2,$(stat -c %s "$tmp/small.jsonl"),[2]]" "$small"

# Several files, plain and gzip, in one run: line numbers start again in each file.
gzip -c "$tmp/mixed.jsonl" > "$tmp/mixed.jsonl.gz"
mkdir "$tmp/tree"
cp "$tmp/mixed.jsonl" "$tmp/tree/a.jsonl"
cp "$tmp/mixed.jsonl.gz" "$tmp/tree/b.jsonl.gz"
cp "$tmp/small.jsonl" "$tmp/tree/c.jsonl"
compare "$tmp/tree" 997 --strict

finish "scan ranges: --threads 2 and 3 report what one thread does"
