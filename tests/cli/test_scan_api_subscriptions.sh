#!/usr/bin/env bash
# `scan --notify` delivers to the topics and subscriptions the API keeps in the store as well
# as to the configuration file's: a store topic's confirmed subscription gets every message,
# its pending one gets none, and a confirmed store subscription to a configured topic's ARN
# joins that topic. The rows are written with sqlite3 as the API will write them
# (monitor_subscribe); the fixture is test_scan_notify.sh's: three transitions, each running
# the actions of one topic list, so three messages per confirmed subscription.
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
DATA="$REPO_DIR/tests/data/alarms"
. "$REPO_DIR/tests/cli/lib.sh"

start_http_receiver "$tmp/http.port"
wait_for_port_file "$tmp/http.port"
base="http://127.0.0.1:$(cat "$tmp/http.port")"

account=111122223333
security="arn:aws:sns:eu-west-1:$account:security"
api_topic="arn:aws:sns:eu-west-1:$account:api-alerts"
{
    cat <<YAML
topics:
  - Name: security
    Subscriptions:
      - Protocol: http
        Endpoint: $base/file
settings:
  accountId: "$account"
  region: eu-west-1
  publicBaseUrl: https://trailhound.example.com
YAML
    denied_burst_alarm "[$security, $api_topic]"
} >"$tmp/notify.yaml"
denied_filter_config "$tmp/filter.yaml"

# a database of the current schema, then the API's rows
: >"$tmp/empty.jsonl"
"$TRAILHOUND" scan --cis --db "$tmp/state.db" "$tmp/empty.jsonl" >/dev/null 2>"$tmp/create.err" ||
    { echo "FAIL: cannot create the database"; cat "$tmp/create.err"; exit 1; }
sqlite3 "$tmp/state.db" <<SQL
INSERT INTO topics VALUES ('$api_topic', 'api-alerts', '{}', 1700000000000);
INSERT INTO subscriptions VALUES
  ('$api_topic:c0nf1rmed', '$api_topic', 'http', '$base/api-confirmed', '{}', 'confirmed',
   NULL, NULL, 1700000000000, 1700000000000),
  ('$api_topic:pend1ng', '$api_topic', 'http', '$base/api-pending', '{}', 'pending',
   'ab12', 4102444800000, 1700000000000, NULL),
  ('$security:merged', '$security', 'http', '$base/merged', '{"RawMessageDelivery":"true"}',
   'confirmed', 'cd34', 1700259200000, 1700000000000, 1700000000000);
SQL

"$TRAILHOUND" scan --config "$tmp/filter.yaml" --config "$tmp/notify.yaml" --notify \
    --db "$tmp/state.db" --format json "$DATA/denied-events.jsonl" >"$tmp/scan.json" 2>"$tmp/scan.err"
status=$?
check "scan exit status" 0 "$status"
[ $status -eq 0 ] || cat "$tmp/scan.err"
check "notifications" '{"queued":9,"delivered":9,"failed":0,"pending":0}' \
    "$(jq -c '.notifications | {queued, delivered, failed, pending}' "$tmp/scan.json")"

count() { jq -c --arg path "$1" 'select(.path == $path)' "$tmp/http.log" | wc -l; }
check "the file's subscription" 3 "$(count /file)"
check "the store topic's confirmed subscription" 3 "$(count /api-confirmed)"
check "the store topic's pending subscription" 0 "$(count /api-pending)"
check "the store's subscription to the configured topic" 3 "$(count /merged)"

header() { jq -r --arg name "$1" '.headers[] | select(.[0] | ascii_downcase == $name) | .[1]'; }
first=$(jq -c 'select(.path == "/api-confirmed")' "$tmp/http.log" | head -1)
check "subscription header" "$api_topic:c0nf1rmed" "$(echo "$first" | header x-amz-sns-subscription-arn)"
check "topic header" "$api_topic" "$(echo "$first" | header x-amz-sns-topic-arn)"
merged=$(jq -c 'select(.path == "/merged")' "$tmp/http.log" | head -1)
check "the store's attributes apply (raw delivery)" "true" "$(echo "$merged" | header x-amz-sns-rawdelivery)"
check "raw body is the alarm message" "denied-burst" "$(echo "$merged" | jq -r '.body | fromjson | .AlarmName')"

finish "scan with API subscriptions: all checks passed"
