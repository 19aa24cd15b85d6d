#!/usr/bin/env bash
# `serve`'s operations endpoints: /metrics passes `promtool check metrics` (Debian's
# prometheus package) and says what was ingested (events read, malformed inputs, matches
# per filter equal to `scan` over the same events), the alarms' states and the outbox
# depth; it needs no signature while the API does; --no-metrics turns it off (404) and
# --metrics-listen serves it on another port. /healthz answers 503 while a delivery fails
# (an HTTP subscriber on a port where nothing listens) and 200 again once it recovers.
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
. "$REPO_DIR/tests/cli/lib.sh"
PROMTOOL=${PROMTOOL:-/usr/bin/promtool}

# metric NAME_WITH_LABELS: its value in $tmp/metrics ("absent" when not there)
metric() {
    METRIC="$1" awk 'substr($0, 1, length(ENVIRON["METRIC"]) + 1) == ENVIRON["METRIC"] " " {
        print $NF; found = 1 } END { if (!found) print "absent" }' "$tmp/metrics"
}
fetch_metrics() { # fetch_metrics PORT: $tmp/metrics, the HTTP status printed
    curl -s -o "$tmp/metrics" -D "$tmp/metrics.headers" -w '%{http_code}' "http://127.0.0.1:$1/metrics"
}
health() { # health PORT: "STATUS BODY"
    local code
    code=$(curl -s -o "$tmp/health" -w '%{http_code}' "http://127.0.0.1:$1/healthz")
    echo "$code $(head -c 200 "$tmp/health")"
}
promtool_check() { # promtool_check WHAT: promtool check metrics over $tmp/metrics
    if [ ! -x "$PROMTOOL" ]; then
        echo "SKIP: $PROMTOOL is absent (Debian package prometheus): $1 not linted"
        return
    fi
    if "$PROMTOOL" check metrics <"$tmp/metrics" >"$tmp/promtool.out" 2>&1; then
        echo "ok: promtool check metrics ($1)"
    else
        check "promtool check metrics ($1)" "" "$(cat "$tmp/promtool.out")"
    fi
}
start_serve() { # start_serve LOG ARGS...: serve in the background
    local log=$1
    shift
    "$TRAILHOUND" serve "$@" 2>"$log" &
    pids+=($!)
    serve_pid=$!
}
port_of() { # port_of LOG EVENT: the port a listening log line reports
    wait_for_line "$1" " $2 " 10
    sed -nE "s/.* $2 .* port=([0-9]+).*/\\1/p" "$1" | head -1
}

printf '[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n' >"$tmp/credentials"
dead_port=$(free_port) # nothing listens there until the receiver starts
{
    printf 'settings:\n  accountId: "123456789012"\n  region: us-east-1\nmetricFilters:\n'
    live_denied_filter
    cat <<YAML
  - filterName: 'odd "quoted" \\ name'
    filterPattern: '{ \$.eventSource = "s3.amazonaws.com" }'
    metricTransformations:
      - metricName: S3Calls
        metricNamespace: Live
        metricValue: "1"
topics:
  - Name: ops
    Subscriptions:
      - Protocol: http
        Endpoint: http://127.0.0.1:$dead_port/hook
        DeliveryPolicy: '{"healthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":100}}'
YAML
    echo 'alarms:'
    live_denied_alarm denied-now
    echo '    AlarmActions: [arn:aws:sns:us-east-1:123456789012:ops]'
} >"$tmp/config.yaml"
SAMPLES="$REPO_DIR/samples/cloudtrail-events.jsonl"

# --- /metrics on --listen: what was ingested, linted by promtool ---
mkdir "$tmp/watch" "$tmp/scanned"
start_serve "$tmp/serve.log" --config "$tmp/config.yaml" --db "$tmp/store.db" \
    --watch "$tmp/watch=Trail/Main" --listen 127.0.0.1:0 --credentials "$tmp/credentials"
port=$(port_of "$tmp/serve.log" api_listening)
# written aside and moved in, so one chunk holds it all (dot files are not read)
{ cat "$SAMPLES"; echo '{"not": json'; } >"$tmp/watch/.events.jsonl"
mv "$tmp/watch/.events.jsonl" "$tmp/watch/events.jsonl"
wait_for_line "$tmp/serve.log" 'events.jsonl.*events=' 10
cp "$tmp/watch/events.jsonl" "$tmp/scanned/"
"$TRAILHOUND" scan --config "$tmp/config.yaml" --format json "$tmp/scanned" >"$tmp/scan.json" 2>/dev/null
events=$(jq .events "$tmp/scan.json")
check "scan saw the sample events" "$(wc -l <"$SAMPLES")" "$events"

check "GET /metrics without a signature" 200 "$(fetch_metrics "$port")"
check "Content-Type" "text/plain; version=0.0.4; charset=utf-8" \
    "$(sed -nE 's/^Content-Type: (.*)\r$/\1/Ip' "$tmp/metrics.headers")"
promtool_check "after ingestion"
check "events read" "$events" \
    "$(metric 'trailhound_events_read_total{log_group="Trail/Main",source="file"}')"
check "malformed inputs" "$(jq .malformed_count "$tmp/scan.json")" \
    "$(metric 'trailhound_malformed_inputs_total{log_group="Trail/Main",source="file"}')"
check "matches of denied = scan's" "$(jq '.filters[] | select(.name == "denied") | .matches' "$tmp/scan.json")" \
    "$(metric 'trailhound_filter_matches_total{log_group="Trail/Main",filter="denied"}')"
check "matches of the odd name (label escaped) = scan's" \
    "$(jq '.filters[] | select(.name | startswith("odd")) | .matches' "$tmp/scan.json")" \
    "$(metric 'trailhound_filter_matches_total{log_group="Trail/Main",filter="odd \"quoted\" \\ name"}')"
check "the alarm's state gauge: INSUFFICIENT_DATA" 2 "$(metric 'trailhound_alarm_state{alarm="denied-now"}')"
check "alarms in ALARM" 0 "$(metric 'trailhound_alarms{state="ALARM"}')"
check "outbox pending" 0 "$(metric 'trailhound_outbox_messages{state="pending"}')"
check "healthy" "200 ok" "$(health "$port")"
check "trailhound_healthy" 1 "$(metric trailhound_healthy)"

# the API itself still wants a signature
code=$(curl -s -o "$tmp/unsigned" -w '%{http_code}' -d 'Action=ListTopics&Version=2010-03-31' "http://127.0.0.1:$port/")
check "unsigned API call refused" "403 1" "$code $(grep -c MissingAuthenticationToken "$tmp/unsigned")"

# --- a delivery failing: /healthz 503, the outbox and the alarm in the metrics ---
denied_event_now >>"$tmp/watch/events.jsonl"
wait_for_line "$tmp/serve.log" ' delivered .*retried=1' 15
check "the delivery to the dead port was retried" 0 $?
check "unhealthy while the delivery fails" 503 "$(health "$port" | cut -d' ' -f1)"
grep -q "delivery failing" "$tmp/health" ||
    check "the reason names the failing delivery" "delivery failing: …" "$(cat "$tmp/health")"
fetch_metrics "$port" >/dev/null
promtool_check "while a delivery fails"
check "alarm_state ALARM" 1 "$(metric 'trailhound_alarm_state{alarm="denied-now"}')"
check "alarms in ALARM" 1 "$(metric 'trailhound_alarms{state="ALARM"}')"
check "outbox pending" 1 "$(metric 'trailhound_outbox_messages{state="pending"}')"
check "outbox retrying" 1 "$(metric trailhound_outbox_retrying_messages)"
check "trailhound_healthy" 0 "$(metric trailhound_healthy)"
check "events read, one more" "$((events + 1))" \
    "$(metric 'trailhound_events_read_total{log_group="Trail/Main",source="file"}')"

# the receiver comes up on that port: the next retry delivers and /healthz recovers
start_http_receiver "$tmp/http.port" --port "$dead_port"
for _ in $(seq 100); do
    [ "$(health "$port" | cut -d' ' -f1)" = 200 ] && break
    sleep 0.2
done
check "healthy again once delivered" "200 ok" "$(health "$port")"
check "the receiver got the alarm" 1 "$(grep -c 'denied-now' "$tmp/http.log" 2>/dev/null)"
fetch_metrics "$port" >/dev/null
check "outbox pending after delivery" 0 "$(metric 'trailhound_outbox_messages{state="pending"}')"
kill -TERM "$serve_pid"
wait "$serve_pid"
check "serve exits 0" 0 $?

# --- --no-metrics: /metrics 404, /healthz stays ---
start_serve "$tmp/off.log" --config "$tmp/config.yaml" --db "$tmp/off.db" --no-metrics \
    --listen 127.0.0.1:0 --credentials "$tmp/credentials"
port=$(port_of "$tmp/off.log" api_listening)
check "--no-metrics: /metrics" 404 "$(fetch_metrics "$port")"
check "--no-metrics: /healthz" "200 ok" "$(health "$port")"
kill -TERM "$serve_pid"
wait "$serve_pid"
check "serve --no-metrics exits 0" 0 $?

# --- --metrics-listen: operations on their own port, not on --listen ---
start_serve "$tmp/split.log" --config "$tmp/config.yaml" --db "$tmp/split.db" \
    --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --credentials "$tmp/credentials"
port=$(port_of "$tmp/split.log" api_listening)
ops_port=$(port_of "$tmp/split.log" metrics_listening)
check "--metrics-listen: /metrics there" 200 "$(fetch_metrics "$ops_port")"
promtool_check "on --metrics-listen"
check "--metrics-listen: /healthz there" "200 ok" "$(health "$ops_port")"
check "--metrics-listen: not on --listen" 404 "$(fetch_metrics "$port")"
code=$(curl -s -o /dev/null -w '%{http_code}' -d 'Action=ListTopics&Version=2010-03-31' "http://127.0.0.1:$ops_port/")
check "--metrics-listen: no API there" 404 "$code"
kill -TERM "$serve_pid"
wait "$serve_pid"
check "serve --metrics-listen exits 0" 0 $?
# sanitizer builds: nothing reported
check "sanitizer reports" "" "$(grep -l 'Sanitizer\|runtime error' "$tmp"/*.log)"

finish "serve /metrics and /healthz: all checks passed"
