#!/usr/bin/env bash
# The README's bounded demo (`make demo`): `serve --exit-when-idle` ingests the shipped
# samples with the CIS pack, and settings.cisAlarmTopic sends the CIS alarms' ALARM
# notifications to the demo topic's local sink (an exec subscriber appending to a file).
# Expected from the twelve sample events: CIS 4.1 fires at 11:55 (AssumeRole and
# GetPasswordData denied) and 4.15 at 12:03 (LeaveOrganization), each message carrying the
# events behind it; no other alarm notifies.
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
. "$REPO_DIR/tests/cli/lib.sh"

TRAILHOUND_DEMO_SINK="$tmp/alerts" "$TRAILHOUND" serve --cis \
    --config "$REPO_DIR/samples/demo-serve.yaml" --db "$tmp/demo.db" --exit-when-idle - \
    <"$REPO_DIR/samples/cloudtrail-events.jsonl" >"$tmp/out" 2>"$tmp/log"
check "serve exits 0" 0 $?
check "two alerts reach the sink" 2 "$(jq -s length "$tmp/alerts")"
check "which alarms, in which state, when" \
    "unauthorized_api_calls_alarm ALARM 2023-07-10T11:55:00.000+0000 4.1|organizations_changes ALARM 2023-07-10T12:03:00.000+0000 4.15" \
    "$(jq -r '"\(.AlarmName) \(.NewStateValue) \(.StateChangeTime) \(.Trailhound.cis)"' "$tmp/alerts" | sort -r | paste -sd'|')"
check "the actions are the cisAlarmTopic's" "arn:aws:sns:us-east-1:123837392027:cis-alerts" \
    "$(jq -r '.AlarmActions[]' "$tmp/alerts" | sort -u)"
check "4.1's evidence: who and what" \
    "arn:aws:iam::123837392027:user/bert-jan AssumeRole,GetPasswordData 192.168.10.20:2" \
    "$(jq -r 'select(.AlarmName == "unauthorized_api_calls_alarm") | .Trailhound |
        "\(.principals[0].value) \([.eventNames[].value] | sort | join(",")) \(.sourceIPs[0].value):\(.sourceIPs[0].count)"' "$tmp/alerts")"
check "the shortened form the demo prints" 2 \
    "$(jq -r -f "$REPO_DIR/samples/demo-alert.jq" "$tmp/alerts" | grep -c '^  principals: ')"

# A cisAlarmTopic that names no topic is refused before anything runs.
printf 'settings:\n  cisAlarmTopic: nowhere\n' >"$tmp/bad.yaml"
"$TRAILHOUND" serve --cis --config "$tmp/bad.yaml" --db "$tmp/bad.db" --exit-when-idle - \
    </dev/null >/dev/null 2>"$tmp/bad.err"
check "an unknown cisAlarmTopic: exit status (cannot start)" 1 $?
check "an unknown cisAlarmTopic: message" 1 \
    "$(grep -c "settings.cisAlarmTopic: 'nowhere' is not a topic of the configuration" "$tmp/bad.err")"
finish "serve demo: CIS alarms delivered to the demo sink with their evidence"
