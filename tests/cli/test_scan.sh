#!/usr/bin/env bash
# `trailhound scan` end to end: the JSON contract, text summary, exit statuses, --config,
# --threads and --strict agreeing with the plain run, and standard input. Per-file counts
# against an independent oracle are in test_scan_oracle.sh.
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
samples=$REPO_DIR/samples/cloudtrail-events.jsonl
layouts=$REPO_DIR/tests/data/layouts

# the JSON contract
"$TRAILHOUND" scan --cis --format json "$samples" > "$tmp/out.json" || fail "json run exit $?"
jq -e '(.files == 1) and (.events == 12) and (.bytes == 19124) and (.malformed == [])
       and (.filters | length == 15)
       and ([.filters[].cis] == ["4.1","4.2","4.3","4.4","4.5","4.6","4.7","4.8","4.9","4.10","4.11","4.12","4.13","4.14","4.15"])
       and (.filters[0] | .name == "unauthorized_api_calls_metric" and .metric == "unauthorized_api_calls_metric"
            and .matches == 4 and .value_sum == 4
            and (.top | keys == ["accounts","error_codes","event_names","principals","regions","source_ips"])
            and .top.error_codes == [{"value":"AccessDenied","count":2},{"value":"Client.UnauthorizedOperation","count":2}]
            and .top.source_ips == [{"value":"192.168.10.20","count":4}])' "$tmp/out.json" >/dev/null ||
    fail "json contract: $(jq -c '{files,events,bytes,malformed,f0:.filters[0]}' "$tmp/out.json")"

# the text report: the table, the evidence, the summary line
"$TRAILHOUND" scan --cis "$samples" > "$tmp/out.txt" || fail "text run exit $?"
grep -q '^unauthorized_api_calls_metric *4.1 *4$' "$tmp/out.txt" || fail "text table"
grep -q '^  error_codes *2  AccessDenied$' "$tmp/out.txt" || fail "text evidence"
grep -q '^1 file, 12 events, 19.1 KB, 0 malformed, ' "$tmp/out.txt" || fail "text summary: $(tail -1 "$tmp/out.txt")"

# malformed input is reported with file and line or offset, and the scan still succeeds
"$TRAILHOUND" scan --cis --format json "$layouts/records-truncated.json" "$layouts/ndjson-bad-lines.jsonl" > "$tmp/bad.json" ||
    fail "malformed input must not fail the scan"
jq -e '.files == 2 and (.malformed | length == 5) and .malformed[0].offset > 0 and .malformed[1].line == 2
       and (.malformed | all(.file and .error))' "$tmp/bad.json" >/dev/null || fail "malformed list: $(jq -c .malformed "$tmp/bad.json")"

# --threads 3 reports exactly what the plain run reports, in the same order; --strict
# counts the same matches
strip() { jq -c '{files, events, malformed, m: [.filters[] | [.matches, .top]]}' "$1"; }
"$TRAILHOUND" scan --cis --format json "$layouts" "$samples" "$layouts" > "$tmp/plain.json"
"$TRAILHOUND" scan --cis --format json --threads 3 "$layouts" "$samples" "$layouts" > "$tmp/threads.json"
"$TRAILHOUND" scan --cis --format json --strict "$layouts" "$samples" "$layouts" > "$tmp/strict.json"
[ "$(strip "$tmp/plain.json")" = "$(strip "$tmp/threads.json")" ] || fail "--threads 3 differs"
[ "$(jq -c '[.filters[].matches]' "$tmp/plain.json")" = "$(jq -c '[.filters[].matches]' "$tmp/strict.json")" ] || fail "--strict differs"
jq -e '.events_not_decoded == 0' "$tmp/strict.json" >/dev/null || fail "--strict must decode every event"

# standard input, and --cis combined with --config
"$TRAILHOUND" scan --cis --config "$REPO_DIR/examples/trailhound.yaml" --format json - < "$samples" > "$tmp/stdin.json" ||
    fail "stdin run exit $?"
jq -e '.events == 12 and (.filters | length == 16) and .filters[15].cis == null and .filters[15].matches == 4' "$tmp/stdin.json" >/dev/null ||
    fail "stdin/config: $(jq -c '{events, n: (.filters|length), last: .filters[-1].matches}' "$tmp/stdin.json")"

# a config with a metric value from the event
cat > "$tmp/value.yaml" <<'YAML'
metricFilters:
  - filterName: denied_by_region
    filterPattern: '{ $.errorCode = "AccessDenied*" }'
    metricTransformations:
      - metricName: DeniedCount
        metricNamespace: Test
        metricValue: 2
YAML
"$TRAILHOUND" scan --config "$tmp/value.yaml" --format json "$samples" > "$tmp/value.json" || fail "config run"
jq -e '.filters[0].matches == 2 and .filters[0].value_sum == 4 and .filters[0].cis == null' "$tmp/value.json" >/dev/null ||
    fail "config value: $(jq -c .filters[0] "$tmp/value.json")"

# exit statuses: nothing readable 1, usage and configuration errors 2
"$TRAILHOUND" scan --cis "$tmp/does-not-exist" >/dev/null 2>"$tmp/err"; [ $? -eq 1 ] || fail "unreadable path must exit 1"
grep -q 'nothing could be read: .*does-not-exist: cannot open: No such file or directory' "$tmp/err" || fail "unreadable message: $(cat "$tmp/err")"
"$TRAILHOUND" scan "$samples" >/dev/null 2>&1; [ $? -eq 2 ] || fail "no filters must exit 2"
"$TRAILHOUND" scan --cis >/dev/null 2>&1; [ $? -eq 2 ] || fail "no path must exit 2"
"$TRAILHOUND" scan --cis --format xml "$samples" >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad format must exit 2"
"$TRAILHOUND" scan --cis --threads 0 "$samples" >/dev/null 2>&1; [ $? -eq 2 ] || fail "bad threads must exit 2"
printf 'metricFilters:\n  - filterName: x\n    filterPattern: "{ $.a = }"\n' > "$tmp/broken.yaml"
"$TRAILHOUND" scan --config "$tmp/broken.yaml" "$samples" >/dev/null 2>"$tmp/err"; [ $? -eq 2 ] || fail "bad config must exit 2"
grep -q "broken.yaml:3: " "$tmp/err" || fail "config error names file and line: $(cat "$tmp/err")"
"$TRAILHOUND" scan --help | grep -q 'usage: trailhound scan' || fail "--help"

[ $failures -eq 0 ] && echo "all scan checks passed"
exit $((failures > 0))
