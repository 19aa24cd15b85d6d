#!/usr/bin/env bash
# Suppressions keep CIS intact: `scan --cis` with suppression rules against the same scan
# without them. Worked out by hand:
#
#   tests/data/alarms/denied-events.jsonl, CIS 4.1 (unauthorized API calls) matches 4:
#     10:00:10 alice (Client.UnauthorizedOperation), 10:00:50 bob (AccessDenied),
#     10:02:30 alice (Client.UnauthorizedOperation), 11:00:05 alice (AccessDenied).
#   Rule alice-probes: PrincipalArn arn:aws:iam::*:user/alice, Filters [4.1's filter]
#     -> suppresses the 3 of alice; 4.1 still counts 4 (one-minute Sums 10:00 = 2,
#        10:02 = 1, 11:00 = 1), unauthorized_api_calls_metricTuned counts bob only
#        (10:00 = 1).
#   CIS alarm (Sum >= 1 over 300 s, N = 1, missing data "missing"; range 3 slots of 300 s
#   ending at the minute), the same with or without rules:
#     10:01 [09:56, 10:01) = 2.0 -> ALARM; 10:18 nothing in [10:03, 10:18) -> INSUFFICIENT;
#     11:01 [10:56, 11:01) = 1.0 -> ALARM; 11:16 nothing in [11:01, 11:16) -> INSUFFICIENT.
#   Tuned alarm unauthorized_api_calls_alarm_tuned, same defaults on the tuned metric:
#     10:01 [09:56, 10:01) = 1.0 (bob) -> ALARM; 10:16 nothing in [10:01, 10:16) ->
#     INSUFFICIENT; 11:01 alice's call is suppressed: no transition.
#
#   samples/cloudtrail-events.jsonl: 4.1 matches 4, all from 192.168.10.20 (11:54:42
#   AssumeRole, 11:54:47 GetPasswordData, 12:02:05 LeaveOrganization, 12:02:55
#   DescribeInstanceAttribute); 4.15 matches 1 (12:02:05 LeaveOrganization).
#   Rule leave-org, no Filters (every filter): SourceIp 192.168.10.0/24 AND EventName
#   LeaveOrganization -> suppresses exactly 12:02:05, in 4.1 (tuned 3) and 4.15 (tuned 0).
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
DENIED="$REPO_DIR/tests/data/alarms/denied-events.jsonl"
SAMPLES="$REPO_DIR/samples/cloudtrail-events.jsonl"
. "$REPO_DIR/tests/cli/lib.sh"

scan() { # scan OUT ARGS...
    local out=$1
    shift
    "$TRAILHOUND" scan "$@" >"$out" 2>"$tmp/stderr" || {
        echo "FAIL: scan $* exited $?: $(cat "$tmp/stderr")"
        failures=$((failures + 1))
    }
}

sums() { # sums DB METRIC: "time=sum ..." per minute
    "$TRAILHOUND" metrics --db "$1" --namespace CISBenchmark --metric-name "$2" \
        --start-time 2024-03-01 --end-time 2024-03-02 --period 60 --statistics Sum --format json |
        jq -r '[.Datapoints | sort_by(.Timestamp)[] | "\(.Timestamp[11:16])=\(.Sum)"] | join(" ")'
}

transitions() { # transitions FILE ALARM: "time from>to" per transition
    jq -r --arg name "$2" '[.alarms[] | select(.name == $name) | .transitions[] |
        "\(.time[11:16]) \(.from)>\(.to)"] | join(", ")' "$1"
}

cat >"$tmp/alice.yaml" <<'YAML'
suppressions:
  - Name: alice-probes
    Reason: alice runs the quarterly permission audit
    Filters: [unauthorized_api_calls_metric]
    PrincipalArn: "arn:aws:iam::*:user/alice"
YAML

# --- denied-events: the CIS metric and alarm unchanged, the tuned ones lower ---
scan "$tmp/plain.json" --cis --format json --db "$tmp/plain.db" "$DENIED"
scan "$tmp/tuned.json" --cis --config "$tmp/alice.yaml" --format json --db "$tmp/tuned.db" "$DENIED"
filter='.filters[] | select(.cis == "4.1")'
check "4.1 matches without rules" 4 "$(jq "$filter | .matches" "$tmp/plain.json")"
check "4.1 matches with rules (unchanged)" 4 "$(jq "$filter | .matches" "$tmp/tuned.json")"
check "suppressed without rules" 0 "$(jq "$filter | .suppressed" "$tmp/plain.json")"
check "suppressed with rules" 3 "$(jq "$filter | .suppressed" "$tmp/tuned.json")"
check "tuned metric named" unauthorized_api_calls_metricTuned \
    "$(jq -r "$filter | .tuned_metric" "$tmp/tuned.json")"
check "no tuned metric without rules" null "$(jq -r "$filter | .tuned_metric" "$tmp/plain.json")"
check "4.1 data points without rules" "10:00=2 10:02=1 11:00=1" \
    "$(sums "$tmp/plain.db" unauthorized_api_calls_metric)"
check "4.1 data points with rules (unchanged)" "10:00=2 10:02=1 11:00=1" \
    "$(sums "$tmp/tuned.db" unauthorized_api_calls_metric)"
check "tuned data points: bob only" "10:00=1" \
    "$(sums "$tmp/tuned.db" unauthorized_api_calls_metricTuned)"
check "no tuned metric stored without rules" "" \
    "$(sums "$tmp/plain.db" unauthorized_api_calls_metricTuned)"

cis_alarm='[.alarms[] | select(.name == "unauthorized_api_calls_alarm") | .cis, .metric,
    (.transitions[] | del(.evidence.suppressed))]'
check "CIS alarm verbatim: same transitions, reasons and evidence counts" \
    "$(jq -c "$cis_alarm" "$tmp/plain.json")" "$(jq -c "$cis_alarm" "$tmp/tuned.json")"
check "CIS alarm transitions" \
    "10:01 INSUFFICIENT_DATA>ALARM, 10:18 ALARM>INSUFFICIENT_DATA, 11:01 INSUFFICIENT_DATA>ALARM, 11:16 ALARM>INSUFFICIENT_DATA" \
    "$(transitions "$tmp/tuned.json" unauthorized_api_calls_alarm)"
check "CIS evidence marks the suppressed match" '{"events":2,"suppressed":1}' \
    "$(jq -c '.alarms[] | select(.name == "unauthorized_api_calls_alarm") | .transitions[0].evidence | {events, suppressed}' "$tmp/tuned.json")"
check "tuned alarm transitions" "10:01 INSUFFICIENT_DATA>ALARM, 10:16 ALARM>INSUFFICIENT_DATA" \
    "$(transitions "$tmp/tuned.json" unauthorized_api_calls_alarm_tuned)"
check "tuned alarm reason" "Threshold Crossed: 1 datapoint [1.0 (01/03/24 09:56:00)] was greater than or equal to the threshold (1.0)." \
    "$(jq -r '.alarms[] | select(.name == "unauthorized_api_calls_alarm_tuned") | .transitions[0].reason' "$tmp/tuned.json")"
check "tuned alarm fields" '{"cis":null,"metric":"unauthorized_api_calls_metricTuned","namespace":"CISBenchmark"}' \
    "$(jq -c '.alarms[] | select(.name == "unauthorized_api_calls_alarm_tuned") | {cis, metric, namespace}' "$tmp/tuned.json")"
check "tuned evidence: bob only, nothing suppressed" '{"events":1,"principals":["arn:aws:iam::111122223333:user/bob"],"suppressed":null}' \
    "$(jq -c '.alarms[] | select(.name == "unauthorized_api_calls_alarm_tuned") | .transitions[0].evidence | {events, principals: [.principals[].value], suppressed}' "$tmp/tuned.json")"
check "alarms: 15 CIS + 1 tuned (the rule names one filter)" 16 "$(jq '.alarms | length' "$tmp/tuned.json")"
check "no tuned alarm without rules" 15 "$(jq '.alarms | length' "$tmp/plain.json")"

scan "$tmp/threads.json" --cis --config "$tmp/alice.yaml" --format json --threads 3 "$DENIED"
check "3 threads: the same counts and alarms" \
    "$(jq -c '[.filters[] | {matches, suppressed}], .alarms' "$tmp/tuned.json")" \
    "$(jq -c '[.filters[] | {matches, suppressed}], .alarms' "$tmp/threads.json")"

scan "$tmp/tuned.txt" --cis --config "$tmp/alice.yaml" "$DENIED"
check "text table" "unauthorized_api_calls_metric            4.1            4           3" \
    "$(grep '^unauthorized_api_calls_metric  ' "$tmp/tuned.txt")"
check "text table header" "FILTER                                   CIS      MATCHES  SUPPRESSED" \
    "$(head -1 "$tmp/tuned.txt")"
check "text evidence line" "      2 events (1 suppressed) by arn:aws:iam::111122223333:user/alice (1), arn:aws:iam::111122223333:user/bob (1); from 198.51.100.9 (1), 203.0.113.7 (1): DescribeInstances (2); errors: AccessDenied (1), Client.UnauthorizedOperation (1)" \
    "$(grep -A3 -F 'unauthorized_api_calls_alarm (CIS 4.1):' "$tmp/tuned.txt" | sed -n 4p)"

scan "$tmp/example.json" --cis --config "$REPO_DIR/examples/suppressions.yaml" --format json "$DENIED"
check "examples/suppressions.yaml as the README shows it" "4 3" \
    "$(jq -r "$filter | \"\(.matches) \(.suppressed)\"" "$tmp/example.json")"

# --- the samples: one rule for every filter, two fields that must both hold ---
cat >"$tmp/leave.yaml" <<'YAML'
suppressions:
  - Name: leave-org
    SourceIp: 192.168.10.0/24
    EventName: LeaveOrganization
YAML
scan "$tmp/samples.json" --cis --config "$tmp/leave.yaml" --format json "$SAMPLES"
scan "$tmp/samples-plain.json" --cis --format json "$SAMPLES"
counts='[.filters[] | select(.matches > 0) | "\(.cis) \(.matches) \(.suppressed)"] | join(", ")'
check "AND rule: exactly the LeaveOrganization call" "4.1 4 1, 4.15 1 1" \
    "$(jq -r "$counts" "$tmp/samples.json")"
check "every filter has a tuned metric and alarm" 30 "$(jq '.alarms | length' "$tmp/samples.json")"
check "CIS 4.15 alarm fires as without rules" \
    "$(transitions "$tmp/samples-plain.json" organizations_changes)" \
    "$(transitions "$tmp/samples.json" organizations_changes)"
check "CIS 4.15 alarm fires" "12:03 INSUFFICIENT_DATA>ALARM, 12:18 ALARM>INSUFFICIENT_DATA" \
    "$(transitions "$tmp/samples.json" organizations_changes)"
check "tuned 4.15 alarm stays quiet" "" "$(transitions "$tmp/samples.json" organizations_changes_tuned)"

# --- a rule naming a filter that is not loaded ---
cat >"$tmp/typo.yaml" <<'YAML'
suppressions:
  - Name: typo
    Filters: [unauthorised_api_calls_metric]
    UserAgent: "scanner/*"
YAML
"$TRAILHOUND" scan --cis --config "$tmp/typo.yaml" "$DENIED" >/dev/null 2>"$tmp/typo.err"
check "unknown filter: exit status" 2 "$?"
check "unknown filter: message" "trailhound: $tmp/typo.yaml:2: suppressions[typo].Filters: 'unauthorised_api_calls_metric' is not a metric filter of the configuration (CIS filters are loaded by --cis)" \
    "$(cat "$tmp/typo.err")"

finish "scan suppressions: all checks passed"
