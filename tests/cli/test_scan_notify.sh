#!/usr/bin/env bash
# `scan --notify` end to end with real receivers on 127.0.0.1: Debian's aiosmtpd as the SMTP
# server (e-mail), tests/support/http_receiver.py as the HTTP endpoint, the Slack webhook
# and the PagerDuty Events API, and a shell command for exec. The fixture
# (tests/data/alarms/denied-events.jsonl with denied-burst, see test_scan_alarms.sh) goes
# INSUFFICIENT_DATA -> OK at 10:00, OK -> ALARM at 10:01 and ALARM -> OK at 10:03.
# The alarm's AlarmActions and OKActions name one topic with five subscriptions, so each
# subscription gets 2 messages (ALARM and OK); INSUFFICIENT_DATA -> OK at 10:00 also runs
# the OK actions (alarms.md §6: "INSUFFICIENT_DATA -> OK right after creation does run OK
# actions"), so 3 each — except PagerDuty, which sends trigger, resolve, and a resolve for
# the first OK (dropped by PagerDuty when nothing is open, notifications.md §7).
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
DATA="$REPO_DIR/tests/data/alarms"
. "$REPO_DIR/tests/cli/lib.sh"

if ! "$PYTHON" -c 'import aiosmtpd' 2>/dev/null; then
    echo "FAIL: python3-aiosmtpd is not installed (scripts/setup.sh installs it)"
    exit 1
fi

# --- the receivers ---
smtp_port=$(free_port)
mkdir -p "$tmp/mail/tmp" "$tmp/mail/new" "$tmp/mail/cur"
"$PYTHON" -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox "$tmp/mail" \
    >"$tmp/smtp.log" 2>&1 &
pids+=($!)
start_http_receiver "$tmp/http.port"
for _ in $(seq 100); do
    [ -s "$tmp/http.port" ] && "$PYTHON" -c "import socket; socket.create_connection(('127.0.0.1', $smtp_port), 1)" 2>/dev/null && break
    sleep 0.1
done
http_port=$(cat "$tmp/http.port")
base="http://127.0.0.1:$http_port"

export TEST_HOOK_URL="$base/slack"
printf 'routing-key-0123456789abcdef0123\n' >"$tmp/pd-key"
chmod 600 "$tmp/pd-key"
cat >"$tmp/notify.yaml" <<YAML
topics:
  - Name: security
    Subscriptions:
      - Protocol: email
        Endpoint: soc@example.com
      - Protocol: http
        Endpoint: $base/sns
      - Protocol: slack
        Endpoint: env:TEST_HOOK_URL
      - Protocol: pagerduty
        Endpoint: file:$tmp/pd-key
      - Protocol: exec
        Endpoint: cat >> $tmp/exec.out; echo >> $tmp/exec.out
alarms:
  - AlarmName: denied-burst
    AlarmDescription: two denied calls in a minute
    MetricName: DeniedCount
    Namespace: Security
    Statistic: Sum
    Period: 60
    EvaluationPeriods: 1
    DatapointsToAlarm: 1
    Threshold: 2
    ComparisonOperator: GreaterThanOrEqualToThreshold
    TreatMissingData: notBreaching
    AlarmActions: [arn:aws:sns:eu-west-1:111122223333:security]
    OKActions: [arn:aws:sns:eu-west-1:111122223333:security]
settings:
  accountId: "111122223333"
  region: eu-west-1
  publicBaseUrl: http://127.0.0.1:4566
  pagerDutyUrl: $base/pagerduty/status/202
  smtp:
    from: trailhound@example.com
YAML
# the filter of denied-burst.yaml, without its alarm (the file above defines it)
denied_filter_config "$tmp/filter.yaml"

"$TRAILHOUND" scan --config "$tmp/filter.yaml" --config "$tmp/notify.yaml" --notify \
    --smtp "smtp://127.0.0.1:$smtp_port" --db "$tmp/state.db" --format json \
    "$DATA/denied-events.jsonl" >"$tmp/scan.json" 2>"$tmp/scan.err"
status=$?
check "scan exit status" 0 "$status"
[ $status -eq 0 ] || cat "$tmp/scan.err"
check "notifications" '{"queued":15,"delivered":15,"retried":0,"failed":0,"failure_alerts":0,"pending":0,"first_failure":""}' \
    "$(jq -c .notifications "$tmp/scan.json")"

# e-mail: three mails, AWS's subject and body (notifications.md §2.1, §3), then the evidence
mails=$(ls "$tmp/mail/new" 2>/dev/null | wc -l)
check "mails received" 3 "$mails"
alarm_mail=$(grep -l '^Subject: ALARM' "$tmp/mail/new"/* 2>/dev/null | head -1)
check "ALARM subject" 'Subject: ALARM: "denied-burst" in EU (Ireland)' "$(grep '^Subject:' "$alarm_mail" | tr -d '\r')"
check "mail recipient" "To: soc@example.com" "$(grep '^To:' "$alarm_mail" | tr -d '\r')"
check "mail sender" "From: trailhound@example.com" "$(grep '^From:' "$alarm_mail" | tr -d '\r')"
check "mail first line" 'You are receiving this email because your Amazon CloudWatch Alarm "denied-burst" in the EU (Ireland) region has entered the ALARM state, because "Threshold Crossed: 1 out of the last 1 datapoints [2.0 (01/03/24 10:00:00)] was greater than or equal to the threshold (2.0) (minimum 1 datapoint for OK -> ALARM transition)." at "Friday 01 March, 2024 10:01:00 UTC".' \
    "$(grep '^You are receiving' "$alarm_mail" | tr -d '\r')"
check "mail state change line" "- State Change:               OK -> ALARM" \
    "$(grep '^- State Change:' "$alarm_mail" | tr -d '\r')"
check "mail names who did it" yes \
    "$(grep -q 'arn:aws:iam::111122223333:user/bob' "$alarm_mail" && echo yes)"

# http: signed SNS envelopes with SNS's headers (§4.1, §4.3)
jq -c 'select(.path == "/sns")' "$tmp/http.log" >"$tmp/sns.log"
check "http messages" 3 "$(wc -l <"$tmp/sns.log")"
header() { jq -r --arg name "$1" '.headers[] | select(.[0] | ascii_downcase == $name) | .[1]' ; }
first=$(head -1 "$tmp/sns.log")
check "message type header" Notification "$(echo "$first" | header x-amz-sns-message-type)"
check "topic header" arn:aws:sns:eu-west-1:111122223333:security "$(echo "$first" | header x-amz-sns-topic-arn)"
check "user agent" "Amazon Simple Notification Service Agent" "$(echo "$first" | header user-agent)"
alarm_envelope=$(jq -r 'select(.body | fromjson | .Subject | startswith("ALARM")) | .body' "$tmp/sns.log")
check "envelope message is the alarm JSON" "denied-burst ALARM OK 2" \
    "$(echo "$alarm_envelope" | jq -r '.Message | fromjson | "\(.AlarmName) \(.NewStateValue) \(.OldStateValue) \(.Trailhound.events)"')"
# every signature verifies with the certificate kept in the store, using openssl itself;
# a tampered message does not
sqlite3 "$tmp/state.db" "SELECT value FROM settings WHERE name = 'sns.signing_certificate'" >"$tmp/cert.pem"
openssl x509 -in "$tmp/cert.pem" -pubkey -noout >"$tmp/pub.pem"
verify() { # verify ENVELOPE_JSON: openssl's verdict on its SignatureVersion 2 signature
    echo "$1" | jq -j '"Message\n\(.Message)\nMessageId\n\(.MessageId)\nSubject\n\(.Subject)\nTimestamp\n\(.Timestamp)\nTopicArn\n\(.TopicArn)\nType\n\(.Type)\n"' >"$tmp/signed.txt"
    echo "$1" | jq -r .Signature | base64 -d >"$tmp/signature.bin"
    openssl dgst -sha256 -verify "$tmp/pub.pem" -signature "$tmp/signature.bin" "$tmp/signed.txt" 2>&1
}
check "signature version" 2 "$(echo "$alarm_envelope" | jq -r .SignatureVersion)"
verified=0
while IFS= read -r envelope; do
    [ "$(verify "$envelope")" = "Verified OK" ] && verified=$((verified + 1))
done < <(jq -c '.body | fromjson' "$tmp/sns.log")
check "every signature verifies (openssl)" 3 "$verified"
tampered=$(echo "$alarm_envelope" | jq -c '.Message |= sub("denied-burst"; "other-alarm")')
check "a tampered message is rejected (openssl)" "Verification failure" "$(verify "$tampered" | grep -o "Verification failure")"

# Slack: three payloads, the ALARM one red
jq -c 'select(.path == "/slack") | .body | fromjson' "$tmp/http.log" >"$tmp/slack.log"
check "slack messages" 3 "$(wc -l <"$tmp/slack.log")"
check "slack ALARM colour" "#D00000" "$(jq -r 'select(.text | startswith("ALARM")) | .attachments[0].color' "$tmp/slack.log")"

# PagerDuty: trigger then resolve, routing key from the 0600 file, one dedup key
jq -c 'select(.path | startswith("/pagerduty")) | .body | fromjson | [.event_action, .routing_key, .dedup_key]' \
    "$tmp/http.log" >"$tmp/pd.log"
check "pagerduty events" '["resolve","routing-key-0123456789abcdef0123","arn:aws:cloudwatch:eu-west-1:111122223333:alarm:denied-burst"]
["trigger","routing-key-0123456789abcdef0123","arn:aws:cloudwatch:eu-west-1:111122223333:alarm:denied-burst"]
["resolve","routing-key-0123456789abcdef0123","arn:aws:cloudwatch:eu-west-1:111122223333:alarm:denied-burst"]' \
    "$(cat "$tmp/pd.log")"
# the secret never reached the store
check "routing key not stored" 0 "$(sqlite3 "$tmp/state.db" "SELECT count(*) FROM outbox WHERE body LIKE '%routing-key-0123%' OR endpoint LIKE '%routing-key-0123%'")"

# exec: the alarm message JSON on standard input, three times
check "exec messages" 3 "$(grep -c '"AlarmName":"denied-burst"' "$tmp/exec.out")"

# Action history items (alarms.md §7): one per delivered message
check "action history" 15 "$(sqlite3 "$tmp/state.db" "SELECT count(*) FROM alarm_history WHERE type = 'Action' AND summary LIKE 'Successfully executed action %'")"

# --- a delivery that fails for good alerts the fallback topic, and scan says so ---
cat >"$tmp/failing.yaml" <<YAML
topics:
  - Name: security
    Subscriptions:
      - Protocol: http
        Endpoint: $base/status/503
        DeliveryPolicy: '{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":2}}'
  - Name: fallback
    Subscriptions:
      - Protocol: exec
        Endpoint: cat >> $tmp/fallback.out; echo >> $tmp/fallback.out
alarms:
  - AlarmName: denied-burst
    MetricName: DeniedCount
    Namespace: Security
    Statistic: Sum
    Period: 60
    EvaluationPeriods: 1
    Threshold: 2
    ComparisonOperator: GreaterThanOrEqualToThreshold
    AlarmActions: [arn:aws:sns:us-east-1:000000000000:security]
settings:
  fallbackTopic: fallback
YAML
"$TRAILHOUND" scan --config "$tmp/filter.yaml" --config "$tmp/failing.yaml" --notify \
    --notify-wait 10 --db "$tmp/failing.db" --format json "$DATA/denied-events.jsonl" \
    >"$tmp/failing.json" 2>"$tmp/failing.err"
check "scan reports undelivered notifications" 4 "$?"
check "failure counts" '{"queued":1,"delivered":1,"failed":1,"failure_alerts":1,"pending":0}' \
    "$(jq -c '.notifications | {queued, delivered, failed, failure_alerts, pending}' "$tmp/failing.json")"
check "three attempts at the failing endpoint" 3 "$(jq -c 'select(.path == "/status/503")' "$tmp/http.log" | wc -l)"
check "fallback alert names the failure" 1 "$(grep -c 'could not deliver a notification for alarm denied-burst' "$tmp/fallback.out")"

# the outbox as a health check
"$TRAILHOUND" notify status --db "$tmp/failing.db" >"$tmp/status.txt"
check "notify status fails the health check" 4 "$?"
check "notify status counts" "1 delivered, 0 pending, 1 failed" "$(head -1 "$tmp/status.txt")"
check "notify status names the failure" yes \
    "$(grep -q "failed: .* for denied-burst to arn:aws:sns:us-east-1:000000000000:security:.* (http http://127.0.0.1:$http_port/…) after 3 attempt(s): gave up after 3 attempts" "$tmp/status.txt" && echo yes)"
"$TRAILHOUND" notify status --db "$tmp/state.db" >/dev/null
check "a healthy outbox passes" 0 "$?"

# --- `notify test` renders as a real delivery does (the monitor's rendering) ---
# A failure alert to a fallback topic with an http and a PagerDuty subscription, then
# `notify test` of that topic: the UnsubscribeURL (base URL ending in '/', the ARN's ':'
# escaped) and SigningCertURL are the same bytes, and the PagerDuty trigger is the same
# event but for its text and message id (severity, source, dedup key form).
cat >"$tmp/render.yaml" <<YAML
topics:
  - Name: security
    Subscriptions:
      - Protocol: exec
        Endpoint: exit 1
  - Name: fallback
    Subscriptions:
      - Protocol: http
        Endpoint: $base/render-sns
      - Protocol: pagerduty
        Endpoint: file:$tmp/pd-key
alarms:
  - AlarmName: denied-burst
    MetricName: DeniedCount
    Namespace: Security
    Statistic: Sum
    Period: 60
    EvaluationPeriods: 1
    Threshold: 2
    ComparisonOperator: GreaterThanOrEqualToThreshold
    AlarmActions: [arn:aws:sns:us-east-1:000000000000:security]
settings:
  fallbackTopic: fallback
  publicBaseUrl: http://127.0.0.1:4566/trailhound/
  pagerDutyUrl: $base/render-pd/status/202
YAML
"$TRAILHOUND" scan --config "$tmp/filter.yaml" --config "$tmp/render.yaml" --notify \
    --notify-wait 10 --db "$tmp/render.db" --format json "$DATA/denied-events.jsonl" \
    >"$tmp/render.json" 2>"$tmp/render.err"
check "the failure alert reached both fallback subscriptions" "1 1" \
    "$(jq -c 'select(.path == "/render-sns")' "$tmp/http.log" | wc -l) $(jq -c 'select(.path | startswith("/render-pd"))' "$tmp/http.log" | wc -l)"
"$TRAILHOUND" notify test --config "$tmp/render.yaml" --topic fallback >"$tmp/render-test.out" 2>&1
check "notify test delivered" 0 "$?"
jq -c 'select(.path == "/render-sns") | .body | fromjson | [.UnsubscribeURL, .SigningCertURL]' \
    "$tmp/http.log" >"$tmp/render-urls.log"
check "notify test's UnsubscribeURL and SigningCertURL are the monitor's" "2 1" \
    "$(wc -l <"$tmp/render-urls.log") $(sort -u "$tmp/render-urls.log" | wc -l)"
check "the UnsubscribeURL escapes the ARN under the base URL without its '/'" \
    "http://127.0.0.1:4566/trailhound/?Action=Unsubscribe&SubscriptionArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Afallback%3A" \
    "$(head -1 "$tmp/render-urls.log" | jq -r '.[0]' | grep -o '^.*%3Afallback%3A')"
# the PagerDuty events in order: the failure alert's trigger, notify test's trigger and resolve
jq -c 'select(.path | startswith("/render-pd")) | .body | fromjson' "$tmp/http.log" >"$tmp/render-pd.log"
uuid='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
shape() { jq -c --arg uuid "$uuid" 'del(.payload.summary) | .dedup_key |= sub($uuid; "ID")'; }
check "notify test's PagerDuty trigger is the monitor's but for its text" \
    "$(sed -n 1p "$tmp/render-pd.log" | shape)" "$(sed -n 2p "$tmp/render-pd.log" | shape)"
check "the monitor's trigger" \
    '{"routing_key":"routing-key-0123456789abcdef0123","event_action":"trigger","dedup_key":"trailhound-delivery-ID","payload":{"source":"trailhound","severity":"error"}}' \
    "$(sed -n 1p "$tmp/render-pd.log" | shape)"
check "notify test's resolve closes its trigger" \
    "$(sed -n 2p "$tmp/render-pd.log" | jq -c '{routing_key, event_action: "resolve", dedup_key}')" \
    "$(sed -n 3p "$tmp/render-pd.log")"

finish "scan notify: all checks passed"
