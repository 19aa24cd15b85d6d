# Shared by tests/cli/test_api_*.sh: starts the API alone (tests/support/api_server_main.c)
# on 127.0.0.1, runs Debian's aws-cli 2.9.19 (/usr/bin/aws) against it, and compares its
# output with section A of the captures in tests/data/aws-captures/ (a copy of
# ../shared/spec/aws-captures/), ids and times
# normalised. Needs: API_SERVER, REPO_DIR; sets tmp, port, failures. NEWER_CLI=1, set
# before sourcing, runs the other CLI instead, aws-cli 1.x (the first `aws` on PATH that is
# one; a test skips where there is none), against the captures of aws-captures/newer-cli/.
set -u
: "${API_SERVER:?path to the api_server test program}" "${REPO_DIR:?repository root}"
if [ -n "${NEWER_CLI:-}" ]; then
    AWS_CLI=$(type -a -p aws | while read -r cli; do
        "$cli" --version 2>&1 | grep -q '^aws-cli/1\.' && { echo "$cli"; break; }
    done)
    AWS_CLI=${AWS_CLI:-/nonexistent/aws-cli-1}
    CAPTURES_SUBDIR=/newer-cli
fi
AWS_CLI=${AWS_CLI:-/usr/bin/aws}
# a copy of ../shared/spec/aws-captures, so a clone tests itself
CAPTURES="$REPO_DIR/tests/data/aws-captures${CAPTURES_SUBDIR:-}"
tmp=$(mktemp -d)
failures=0
server_pid=""

# Stops the server; it must exit 0 and, in sanitizer builds, report nothing.
stop_server() {
    if [ -n "$server_pid" ]; then
        exec 3>&-
        wait "$server_pid" 2>/dev/null
        local rc=$?
        server_pid=""
        if [ "$rc" -ne 0 ] || grep -q "Sanitizer\|runtime error" "$tmp/server.err"; then
            echo "FAIL: the server exited $rc: $(head -c 2000 "$tmp/server.err")"
            failures=$((failures + 1))
        fi
    fi
}
trap 'stop_server; rm -rf "$tmp"' EXIT

if [ ! -x "$AWS_CLI" ]; then
    echo "SKIP: $AWS_CLI is not installed"
    exit 0
fi

export AWS_ACCESS_KEY_ID=AKIDEXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
export AWS_DEFAULT_REGION=us-east-1
export AWS_PAGER="" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_MAX_ATTEMPTS=1

# start_server: a fresh store, account 123456789012 as in the captures.
start_server() {
    printf '[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = %s\n' \
        "$AWS_SECRET_ACCESS_KEY" >"$tmp/credentials"
    printf 'settings:\n  accountId: "123456789012"\n  region: us-east-1\n' >"$tmp/config.yaml"
    rm -f "$tmp/store.db" "$tmp/in" "$tmp/port"
    mkfifo "$tmp/in"
    "$API_SERVER" --db "$tmp/store.db" --credentials "$tmp/credentials" \
        --config "$tmp/config.yaml" <"$tmp/in" >"$tmp/port" 2>"$tmp/server.err" &
    server_pid=$!
    exec 3>"$tmp/in"
    for _ in $(seq 100); do
        [ -s "$tmp/port" ] && break
        sleep 0.05
    done
    port=$(head -1 "$tmp/port")
    endpoint="http://127.0.0.1:$port"
}

# aws ARGS…: the Debian CLI at our endpoint; output in $tmp/out, $tmp/err, status in $status.
aws() {
    "$AWS_CLI" "$@" --endpoint-url "$endpoint" >"$tmp/out" 2>"$tmp/err"
    status=$?
}

normalise() {
    python3 -c '
import re, sys
text = sys.stdin.read()
text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", text)
text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00", "<time>", text)
text = re.sub(r"\b1[6-9]\d{11}\b", "<ms>", text)
text = re.sub(r"\b(1[7-9]\d{8})(\.\d+)?\b",
              lambda m: "<s>" if int(m.group(1)) > 1750000000 else m.group(0), text)
text = re.sub(r"\"\d{20,}\"", "\"<digits>\"", text)
sys.stdout.write(text.rstrip("\n") + "\n" if text.strip() else "")'
}

# capture_stdout NAME: section A's CLI stdout of capture NAME (e.g. sns-CreateTopic).
capture_stdout() {
    awk '/^# A\./{a=1} /^# B\./{a=0} a && /^--- CLI stderr:/{p=0} a && p{print} a && /^--- CLI stdout:/{p=1}' \
        "$CAPTURES/$1.txt"
}

# expect_capture NAME: the last aws call exited 0 and printed what the capture's CLI printed.
expect_capture() {
    if [ "$status" -ne 0 ]; then
        echo "FAIL: $1: exit $status: $(cat "$tmp/err")"
        failures=$((failures + 1))
        return
    fi
    capture_stdout "$1" | normalise >"$tmp/expected"
    normalise <"$tmp/out" >"$tmp/actual"
    if ! diff -u "$tmp/expected" "$tmp/actual"; then
        echo "FAIL: $1: output differs from the capture's section A"
        failures=$((failures + 1))
    else
        echo "ok: $1"
    fi
}

# expect_error CODE EXIT: the last aws call failed with this AWS error code.
expect_error() {
    if [ "$status" -ne "$2" ] || ! grep -q "($1)" "$tmp/err"; then
        echo "FAIL: expected ($1) and exit $2, got exit $status: $(cat "$tmp/err")"
        failures=$((failures + 1))
    else
        echo "ok: error $1"
    fi
}

# The four metric operations on one data point of CISBenchmark/UnauthorizedAPICalls, each
# output compared with its capture.
expect_metric_captures() {
    aws cloudwatch put-metric-data --namespace CISBenchmark --metric-name UnauthorizedAPICalls \
        --value 1 --unit Count --timestamp 2024-01-01T00:00:00Z
    expect_capture cloudwatch-PutMetricData
    aws cloudwatch get-metric-statistics --namespace CISBenchmark --metric-name UnauthorizedAPICalls \
        --start-time 2024-01-01T00:00:00Z --end-time 2024-01-01T01:00:00Z --period 300 --statistics Sum
    expect_capture cloudwatch-GetMetricStatistics
    aws cloudwatch list-metrics --namespace CISBenchmark
    expect_capture cloudwatch-ListMetrics
    aws cloudwatch get-metric-data --metric-data-queries '[{"Id": "m1", "MetricStat": {"Metric": {"Namespace": "CISBenchmark", "MetricName": "UnauthorizedAPICalls"}, "Period": 300, "Stat": "Sum"}}]' \
        --start-time 2024-01-01T00:00:00Z --end-time 2024-01-01T01:00:00Z
    expect_capture cloudwatch-GetMetricData
}

# A topic made and listed, an e-mail subscription to it ($TOPIC) made and listed, each
# output compared with its capture.
expect_topic_captures() {
    aws sns create-topic --name CISUnauthorizedAPICallAlerts
    expect_capture sns-CreateTopic
    aws sns list-topics
    expect_capture sns-ListTopics
    aws sns subscribe --topic-arn "$TOPIC" --protocol email --notification-endpoint ops@example.com
    expect_capture sns-Subscribe
    aws sns list-subscriptions-by-topic --topic-arn "$TOPIC"
    expect_capture sns-ListSubscriptionsByTopic
}

# db_query SQL: reads the store (sqlite3).
db_query() {
    sqlite3 "$tmp/store.db" "$1"
}

finish() {
    stop_server
    if [ "$failures" -ne 0 ]; then
        echo "$failures failure(s)"
        exit 1
    fi
    echo "all passed"
}
