#!/usr/bin/env bash
# CloudWatch over JSON 1.0 (query-compatible) through the AWS SDK for JavaScript v3,
# @aws-sdk/client-cloudwatch (tests/js, installed by scripts/setup.sh): the nine operations'
# responses equal section A of aws-captures/newer-cli/ (ids and times normalised), every
# request went out as JSON 1.0 (X-Amz-Target GraniteServiceVersion20100801.*) and was
# answered as such, and a missing alarm raises the query-compatible ResourceNotFound.
JS_DIR="$REPO_DIR/tests/js"
if ! command -v node >/dev/null; then
    echo "SKIP: node is not installed (scripts/setup.sh installs it)"
    exit 0
fi
if [ ! -d "$JS_DIR/node_modules/@aws-sdk/client-cloudwatch" ]; then
    echo "SKIP: $JS_DIR/node_modules is absent (scripts/setup.sh runs npm ci there)"
    exit 0
fi
AWS_CLI=$(command -v node) CAPTURES_SUBDIR=/newer-cli
source "$REPO_DIR/tests/support/api_test_lib.sh"
export AWS_REGION=us-east-1
start_server

if ! TRAILHOUND_ENDPOINT="$endpoint" node "$JS_DIR/cloudwatch_json.mjs" >"$tmp/sdk.jsonl" 2>"$tmp/sdk.err"; then
    echo "FAIL: cloudwatch_json.mjs exited non-zero: $(head -c 2000 "$tmp/sdk.err")"
    failures=$((failures + 1))
fi

# Each line of the script's output against its capture; prints ok/FAIL lines, exits 1 on
# any failure. Dates: the capture's epoch seconds become the SDK's ISO strings, then times
# after 2025-06 (the run's own) become <time>, as normalise does for the CLI.
python3 - "$tmp/sdk.jsonl" "$CAPTURES" <<'PYTHON' || failures=$((failures + 1))
import datetime, json, re, sys

lines_path, captures = sys.argv[1], sys.argv[2]
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
RECENT = datetime.datetime(2025, 6, 15, tzinfo=datetime.timezone.utc)  # epoch 1750000000


def section_a_body(name):
    """The JSON body of the response in section A of capture NAME."""
    text = open(f"{captures}/{name}.txt").read()
    section = text.split("# A.", 1)[1].split("# B.", 1)[0]
    response = section.split("--- response ---", 1)[1].split("--- CLI exit code", 1)[0]
    body = [line for line in response.splitlines() if line.startswith(("{", "["))]
    return json.loads(body[-1])


def iso(seconds):
    moment = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def dates_as_iso(value, key=""):
    """The capture's timestamp members (epoch seconds) as the SDK prints its Dates."""
    if isinstance(value, dict):
        return {k: dates_as_iso(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [dates_as_iso(v, key) for v in value]
    if key.endswith(("Timestamp", "Timestamps")) and isinstance(value, (int, float)):
        return iso(value)
    return value


def normalise(value):
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, str):
        if ISO.fullmatch(value):
            moment = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
            return "<time>" if moment > RECENT else value
        return UUID.sub("<uuid>", value)
    return value


def history_fields(response):
    """DescribeAlarmHistory: the fields the capture's item shares with ours; HistoryData is
    compared by its states, as its JSON spacing and extra fields are not part of the contract."""
    items = []
    for item in response.get("AlarmHistoryItems", []):
        data = json.loads(item.get("HistoryData", "{}"))
        items.append({k: item.get(k) for k in ("AlarmName", "AlarmType", "HistoryItemType",
                                                 "HistorySummary", "Timestamp")}
                     | {"version": data.get("version"),
                        "oldState": data.get("oldState", {}).get("stateValue"),
                        "newState": data.get("newState", {}).get("stateValue"),
                        "newReason": data.get("newState", {}).get("stateReason")})
    return {"AlarmHistoryItems": items}


failures = 0
def fail(message):
    global failures
    failures += 1
    print("FAIL: " + message)


calls = [json.loads(line) for line in open(lines_path)]
operations = ["PutMetricAlarm", "DescribeAlarms", "SetAlarmState", "DescribeAlarmHistory",
              "SetAlarmStateMissing", "DeleteAlarms", "PutMetricData", "GetMetricStatistics",
              "ListMetrics", "GetMetricData"]
if [call["operation"] for call in calls] != operations:
    fail(f"the script ran {[call['operation'] for call in calls]}, expected {operations}")
for call in calls:
    name = call["operation"]
    wire_name = name.removesuffix("Missing")
    request = call.get("request", {})
    if (request.get("target") != "GraniteServiceVersion20100801." + wire_name
            or request.get("contentType") != "application/x-amz-json-1.0"):
        fail(f"{name}: the request was not JSON 1.0: {request}")
    if name == "SetAlarmStateMissing":
        error = call.get("error") or {}
        if error.get("name") != "ResourceNotFound" or error.get("Code") != "ResourceNotFound":
            fail(f"{name}: expected the SDK to throw ResourceNotFound, got {call}")
        else:
            print(f"ok: error ResourceNotFound ({error.get('statusCode')}: {error.get('message')})")
        continue
    if "error" in call:
        fail(f"{name}: the SDK threw {call['error']}")
        continue
    if call.get("responseContentType") != "application/x-amz-json-1.0":
        fail(f"{name}: answered with Content-Type {call.get('responseContentType')}")
    expected = normalise(dates_as_iso(section_a_body("cloudwatch-" + wire_name)))
    actual = normalise(call["response"])
    if name == "DescribeAlarmHistory":
        expected, actual = history_fields(expected), history_fields(actual)
    if expected != actual:
        fail(f"cloudwatch-{wire_name}: the SDK's response differs from the capture's section A\n"
             f"  expected {json.dumps(expected, sort_keys=True)}\n"
             f"  actual   {json.dumps(actual, sort_keys=True)}")
    else:
        print(f"ok: cloudwatch-{wire_name} (JSON 1.0)")
sys.exit(1 if failures else 0)
PYTHON

finish
