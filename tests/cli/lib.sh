# Shared by the command-line tests (tests/cli/test_*.sh), sourced after `set -u` and the
# check of TRAILHOUND and REPO_DIR:  . "$REPO_DIR/tests/cli/lib.sh"
# It gives each script a scratch directory `$tmp`, removed on exit (kept when KEEP is set,
# to look into) together with the background processes listed in `pids` (killed with
# `$cleanup_signal`, TERM unless the script says otherwise), the `failures` count that
# check() adds to, waiting for a log line, the receivers, and the AWS CLI's environment.

PYTHON=/usr/bin/python3
tmp=$(mktemp -d)
pids=()
cleanup_signal=TERM
failures=0

cleanup() {
    for pid in "${pids[@]}"; do
        kill -s "$cleanup_signal" "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    [ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT

check() { # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" != "$3" ]; then
        echo "FAIL: $1"
        echo "  expected: $2"
        echo "  actual:   $3"
        failures=$((failures + 1))
    fi
}

# Exits 1 with the count when a check failed, else prints the script's success line.
finish() { # finish SUCCESS_LINE
    if [ $failures -ne 0 ]; then
        echo "$failures failure(s)"
        exit 1
    fi
    echo "$1"
}

# Waits up to SECONDS for a line of FILE (a log a background process writes) matching the
# grep PATTERN; returns 1 when none came.
wait_for_line() { # wait_for_line FILE PATTERN SECONDS
    for _ in $(seq $(($3 * 10))); do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# The Sum of every data point of NAMESPACE/METRIC (CISBenchmark by default) in a store.
metric_sum() { # metric_sum DB METRIC [NAMESPACE]
    "$TRAILHOUND" metrics --db "$1" --namespace "${3:-CISBenchmark}" --metric-name "$2" \
        --start-time 2000-01-01 --end-time 2100-01-01 --period 2592000 --statistics Sum |
        jq '[.Datapoints[].Sum] | add // 0'
}

# tests/data/alarms/denied-burst.yaml's metric filter alone, as a configuration file FILE
# (the test's own file then defines the alarm and where it notifies).
denied_filter_config() { # denied_filter_config FILE
    sed -n '/^metricFilters:/,/^alarms:/p' "$REPO_DIR/tests/data/alarms/denied-burst.yaml" |
        sed '$d' >"$1"
}

# The metric filter `denied` (AccessDenied* errors into Live/Denied, value 1) as a YAML list
# item, for the serve tests' configurations (after their own `metricFilters:` line).
live_denied_filter() {
    cat <<'YAML'
  - filterName: denied
    filterPattern: '{ $.errorCode = "AccessDenied*" }'
    metricTransformations:
      - metricName: Denied
        metricNamespace: Live
        metricValue: "1"
YAML
}

# An alarm NAME on Live/Denied (Sum over 60 s, 1 period, >= 1) as a YAML list item, for the
# serve tests' configurations (after their own `alarms:` line; actions may follow).
live_denied_alarm() { # live_denied_alarm NAME
    printf '  - AlarmName: %s\n' "$1"
    cat <<'YAML'
    MetricName: Denied
    Namespace: Live
    Statistic: Sum
    Period: 60
    EvaluationPeriods: 1
    Threshold: 1
    ComparisonOperator: GreaterThanOrEqualToThreshold
YAML
}

# One AccessDenied event (eve's GetObject) stamped with the current second, as an NDJSON line.
denied_event_now() {
    printf '{"eventVersion":"1.08","eventTime":"%s","eventName":"GetObject","errorCode":"AccessDenied","eventSource":"s3.amazonaws.com","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/eve"}}\n' \
        "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}

# denied-burst.yaml's alarm as YAML text, its AlarmActions and OKActions both ACTIONS.
denied_burst_alarm() { # denied_burst_alarm ACTIONS (a YAML list: "[security]")
    sed -n '/^alarms:/,$p' "$REPO_DIR/tests/data/alarms/denied-burst.yaml"
    printf '    AlarmActions: %s\n    OKActions: %s\n' "$1" "$1"
}

# The AWS CLI's environment for calls to our API on 127.0.0.1 (the test key pair, us-east-1,
# no pager, no user configuration, one attempt), and $tmp/credentials, the shared
# credentials file with that key for `serve --credentials`.
# Debian's aws-cli 2.9.19 as $AWS_CLI (the `aws` first on PATH may be another); where it
# is absent, the script ends here with a SKIP line.
require_debian_aws() {
    AWS_CLI=/usr/bin/aws
    if [ ! -x "$AWS_CLI" ]; then
        echo "SKIP: $AWS_CLI (Debian's awscli) is not installed"
        exit 0
    fi
}

aws_test_env() {
    export AWS_ACCESS_KEY_ID=AKIDEXAMPLE
    export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
    export AWS_DEFAULT_REGION=us-east-1
    export AWS_PAGER="" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
    export AWS_MAX_ATTEMPTS=1
    printf '[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = %s\n' \
        "$AWS_SECRET_ACCESS_KEY" >"$tmp/credentials"
}

free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Waits up to 10 seconds for a file a server writes its port into once it listens.
wait_for_port_file() { # wait_for_port_file FILE
    for _ in $(seq 100); do
        [ -s "$1" ] && break
        sleep 0.1
    done
}

# tests/support/http_receiver.py in the background, logging the requests it receives to
# $tmp/http.log and writing its port into PORT_FILE; ARGS go to the receiver as well.
start_http_receiver() { # start_http_receiver PORT_FILE [ARGS...]
    local port_file=$1
    shift
    "$PYTHON" "$REPO_DIR/tests/support/http_receiver.py" --log "$tmp/http.log" \
        --port-file "$port_file" "$@" >"$tmp/receiver.out" 2>&1 &
    pids+=($!)
}
