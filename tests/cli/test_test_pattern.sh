#!/usr/bin/env bash
# `trailhound test-pattern` end to end: the seven TestMetricFilter examples of the AWS API
# reference (compared as JSON, key order aside), the CIS 4.1 pattern over the shipped
# samples, invalid patterns, and unreadable input lines.
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# expect_json NAME EXPECTED_JSON PATTERN EVENT...
expect_json() {
    local name=$1 expected=$2; shift 2
    local actual
    actual=$("$TRAILHOUND" test-pattern "$@") || fail "$name: exit status $?"
    if [ "$(jq -S . <<<"$actual")" != "$(jq -S . <<<"$expected")" ]; then
        fail "$name"; echo " expected: $expected" >&2; echo " actual:   $actual" >&2
    fi
}

A1='127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 200 1534'
A2='127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /apache_pb.gif HTTP/1.0" 500 5324'
A3='127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 200 4355'
m() { jq -cn --argjson n "$1" --arg m "$2" --argjson v "$3" '{eventNumber:$n,eventMessage:$m,extractedValues:$v}'; }
v1() { jq -cn --arg t "$1" --arg s "$2" '{"$1":"127.0.0.1","$2":"-","$3":"frank","$4":$t,"$5":"GET /apache_pb.gif HTTP/1.0","$6":$s}'; }

# API reference example 1: named fields
expect_json "api example 1" "{\"matches\":[$(m 0 "$A1" '{"$ip":"127.0.0.1","$identity":"-","$user_id":"frank","$timestamp":"10/Oct/2000:13:25:15 -0700","$request":"GET /apache_pb.gif HTTP/1.0","$status_code":"200","$size":"1534"}'),$(m 1 "$A2" '{"$ip":"127.0.0.1","$identity":"-","$user_id":"frank","$timestamp":"10/Oct/2000:13:35:22 -0700","$request":"GET /apache_pb.gif HTTP/1.0","$status_code":"500","$size":"5324"}'),$(m 2 "$A3" '{"$ip":"127.0.0.1","$identity":"-","$user_id":"frank","$timestamp":"10/Oct/2000:13:50:35 -0700","$request":"GET /apache_pb.gif HTTP/1.0","$status_code":"200","$size":"4355"}')]}" \
    '[ip, identity, user_id, timestamp, request, status_code, size]' "$A1" "$A2" "$A3"
# example 2: [..., size]
expect_json "api example 2" "{\"matches\":[$(m 0 "$A1" "$(v1 '10/Oct/2000:13:25:15 -0700' 200 | jq -c '. + {"$size":"1534"}')"),$(m 1 "$A2" "$(v1 '10/Oct/2000:13:35:22 -0700' 500 | jq -c '. + {"$size":"5324"}')"),$(m 2 "$A3" "$(v1 '10/Oct/2000:13:50:35 -0700' 200 | jq -c '. + {"$size":"4355"}')")]}" \
    '[..., size]' "$A1" "$A2" "$A3"
# example 3: []
expect_json "api example 3" "{\"matches\":[$(m 0 "$A1" "$(v1 '10/Oct/2000:13:25:15 -0700' 200 | jq -c '. + {"$7":"1534"}')"),$(m 1 "$A2" "$(v1 '10/Oct/2000:13:35:22 -0700' 500 | jq -c '. + {"$7":"5324"}')"),$(m 2 "$A3" "$(v1 '10/Oct/2000:13:50:35 -0700' 200 | jq -c '. + {"$7":"4355"}')")]}" \
    '[]' "$A1" "$A2" "$A3"
# example 4: [..., status_code=200, size]
expect_json "api example 4" "{\"matches\":[$(m 0 "$A1" "$(v1 '10/Oct/2000:13:25:15 -0700' 200 | jq -c 'del(."$6") + {"$status_code":"200","$size":"1534"}')"),$(m 2 "$A3" "$(v1 '10/Oct/2000:13:50:35 -0700' 200 | jq -c 'del(."$6") + {"$status_code":"200","$size":"4355"}')")]}" \
    '[..., status_code=200, size]' "$A1" "$A2" "$A3"
# example 5: [..., request=*.html*, status_code=4*,]
H1='127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534'
H2='127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /about-us/index.html HTTP/1.0" 200 5324'
H3='127.0.0.1 - frank [10/Oct/2000:13:50:35 -0700] "GET /apache_pb.gif HTTP/1.0" 404 4355'
H4='127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /products/index.html HTTP/1.0" 400 1534'
expect_json "api example 5" "{\"matches\":[$(m 0 "$H1" '{"$status_code":"404","$request":"GET /index.html HTTP/1.0","$7":"1534","$4":"10/Oct/2000:13:25:15 -0700","$2":"-","$3":"frank","$1":"127.0.0.1"}'),$(m 3 "$H4" '{"$status_code":"400","$request":"GET /products/index.html HTTP/1.0","$7":"1534","$4":"10/Oct/2000:13:25:15 -0700","$2":"-","$3":"frank","$1":"127.0.0.1"}')]}" \
    '[..., request=*.html*, status_code=4*,]' "$H1" "$H2" "$H3" "$H4"
# examples 6 and 7: "[ERROR]" and "[ERROR]" Exception
E=('02 May 2014 00:34:12,525 [INFO] Starting the application'
   '02 May 2014 00:35:14,245 [DEBUG] Database connection established'
   '02 May 2014 00:34:14,663 [INFO] Executing SQL Query'
   '02 May 2014 00:34:16,142 [ERROR] Unhanded exception: InvalidQueryException'
   '02 May 2014 00:34:16,224 [ERROR] Terminating the application')
expect_json "api example 6" "{\"matches\":[$(m 3 "${E[3]}" '{}'),$(m 4 "${E[4]}" '{}')]}" '"[ERROR]"' "${E[@]}"
expect_json "api example 7" "{\"matches\":[$(m 3 "${E[3]}" '{}')]}" '"[ERROR]" Exception' "${E[@]}"

CIS41='{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && ($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }'
# the request of spec/aws-captures/logs-TestMetricFilter.txt (numbered from 0 here, see
# docs/filter-pattern-decisions.md D-EVENT-NUMBER)
M1='{"errorCode":"AccessDenied","eventName":"GetObject","sourceIPAddress":"203.0.113.5"}'
M2='{"errorCode":"","eventName":"HeadBucket","sourceIPAddress":"delivery.logs.amazonaws.com"}'
expect_json "capture request" "{\"matches\":[$(m 0 "$M1" '{}')]}" "$CIS41" "$M1" "$M2"
expect_json "no match" '{"matches":[]}' "$CIS41" "$M2"

# CIS 4.1 over the shipped samples, from standard input
actual=$("$TRAILHOUND" test-pattern "$CIS41" < "$REPO_DIR/samples/cloudtrail-events.jsonl" |
         jq -c '[.matches[] | [.eventNumber, (.eventMessage | fromjson | .eventName)]]')
[ "$actual" = '[[8,"AssumeRole"],[9,"GetPasswordData"],[10,"LeaveOrganization"],[11,"DescribeInstanceAttribute"]]' ] ||
    fail "samples: $actual"

# an invalid pattern: exit 2, one line naming the column, nothing on stdout
out=$("$TRAILHOUND" test-pattern '{ $.errorCode = }' "$M1" 2>/tmp/th-err.$$); status=$?
[ $status -eq 2 ] || fail "invalid pattern exit status $status"
[ -z "$out" ] || fail "invalid pattern printed: $out"
[ "$(cat /tmp/th-err.$$)" = "trailhound: invalid filter pattern at column 17: expected a value after '='" ] ||
    fail "invalid pattern message: $(cat /tmp/th-err.$$)"

# standard input: blank lines are not events, CRLF is trimmed, a line that is not UTF-8 is
# reported with its line number and skipped (exit 1) while the rest is still tested
out=$(printf 'ERROR one\r\n\nno\n\xff ERROR\nERROR two\n' | "$TRAILHOUND" test-pattern ERROR 2>/tmp/th-err.$$); status=$?
[ $status -eq 1 ] || fail "bad line exit status $status"
[ "$out" = '{"matches":[{"eventNumber":0,"eventMessage":"ERROR one","extractedValues":{}},{"eventNumber":3,"eventMessage":"ERROR two","extractedValues":{}}]}' ] ||
    fail "bad line output: $out"
grep -q '^trailhound: line 4: event is not valid UTF-8; skipped$' /tmp/th-err.$$ || fail "bad line message: $(cat /tmp/th-err.$$)"

# usage
"$TRAILHOUND" test-pattern --help | grep -q 'usage: trailhound test-pattern PATTERN' || fail "--help"
"$TRAILHOUND" test-pattern >/dev/null 2>&1; [ $? -eq 2 ] || fail "missing pattern exit status"
"$TRAILHOUND" no-such-command >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown command exit status"

rm -f /tmp/th-err.$$
[ $failures -eq 0 ] && echo "all test-pattern checks passed"
exit $((failures > 0))
