#!/usr/bin/env bash
# Authentication: a wrong secret, an unknown access key, and a clock 20 minutes off (either
# way) are refused with AWS's codes in each protocol's shape, and change nothing; a correctly
# signed request (same signer) is accepted, so the refusals are about what they claim.
source "$REPO_DIR/tests/support/api_test_lib.sh"
start_server
SEND="python3 $REPO_DIR/tests/support/sigv4_send.py"

store_counts() {
    db_query "SELECT (SELECT count(*) FROM topics), (SELECT count(*) FROM alarms),
        (SELECT count(*) FROM metric_filters), (SELECT count(*) FROM alarm_history)"
}
aws sns list-topics # creates the store
before=$(store_counts)
[ "$before" = "0|0|0|0" ] || { echo "FAIL: store counts '$before'"; failures=$((failures + 1)); }

check_unchanged() {
    if [ "$(store_counts)" != "$before" ]; then
        echo "FAIL: $1 changed the store"
        failures=$((failures + 1))
    fi
}

ALARM_ARGS=(--alarm-name A --metric-name M --namespace N --statistic Sum --period 300
    --threshold 1 --comparison-operator GreaterThanThreshold --evaluation-periods 1)

AWS_SECRET_ACCESS_KEY=wrong aws sns create-topic --name T
expect_error SignatureDoesNotMatch 254
AWS_SECRET_ACCESS_KEY=wrong aws cloudwatch put-metric-alarm "${ALARM_ARGS[@]}"
expect_error SignatureDoesNotMatch 254
AWS_SECRET_ACCESS_KEY=wrong aws logs create-log-group --log-group-name G
expect_error InvalidSignatureException 254
check_unchanged "a wrong secret"

AWS_ACCESS_KEY_ID=AKIDUNKNOWN aws sns create-topic --name T
expect_error InvalidClientTokenId 254
AWS_ACCESS_KEY_ID=AKIDUNKNOWN aws cloudwatch put-metric-alarm "${ALARM_ARGS[@]}"
expect_error InvalidClientTokenId 254
AWS_ACCESS_KEY_ID=AKIDUNKNOWN aws logs create-log-group --log-group-name G
expect_error UnrecognizedClientException 254
check_unchanged "an unknown key"

# expect_send STATUS QUERY_ERROR TEXT: the last $SEND answer.
expect_send() {
    local got_status got_error
    got_status=$(sed -n 1p "$tmp/sent")
    got_error=$(sed -n 2p "$tmp/sent")
    if [ "$got_status" != "$1" ] || [ "$got_error" != "$2" ] || ! grep -q "$3" "$tmp/sent"; then
        echo "FAIL: expected $1 '$2' '$3', got: $(cat "$tmp/sent")"
        failures=$((failures + 1))
    else
        echo "ok: $1 $3"
    fi
}

FORM='application/x-www-form-urlencoded; charset=utf-8'
for offset in -1200 1200; do
    $SEND "$endpoint" sns $offset "$FORM" 'Action=CreateTopic&Version=2010-03-31&Name=T' >"$tmp/sent"
    expect_send 403 "" "<Code>SignatureDoesNotMatch</Code><Message>Signature [a-z ]*"
    $SEND "$endpoint" monitoring $offset application/x-amz-json-1.0 '{"AlarmNames": ["A"]}' \
        GraniteServiceVersion20100801.DeleteAlarms >"$tmp/sent"
    expect_send 400 "InvalidSignatureException;Sender" '"__type":"InvalidSignatureException"'
    $SEND "$endpoint" logs $offset application/x-amz-json-1.1 '{"logGroupName": "G"}' \
        Logs_20140328.CreateLogGroup >"$tmp/sent"
    expect_send 400 "" '"message":"Signature expired\|"message":"Signature not yet current'
done
grep -q 'Signature expired: [0-9T]*Z is now earlier than [0-9T]*Z ([0-9T]*Z - 15 min.)' "$tmp/sent" ||
    grep -q 'Signature not yet current: [0-9T]*Z is still later than [0-9T]*Z ([0-9T]*Z + 15 min.)' "$tmp/sent" ||
    { echo "FAIL: skew message: $(cat "$tmp/sent")"; failures=$((failures + 1)); }
check_unchanged "a skewed clock"

# The same signer within the window is accepted.
$SEND "$endpoint" sns 0 "$FORM" 'Action=CreateTopic&Version=2010-03-31&Name=T' >"$tmp/sent"
expect_send 200 "" "<TopicArn>arn:aws:sns:us-east-1:123456789012:T</TopicArn>"
# A scope naming another service than the request's is refused.
$SEND "$endpoint" logs 0 "$FORM" 'Action=CreateTopic&Version=2010-03-31&Name=U' >"$tmp/sent"
expect_send 403 "" "<Code>IncompleteSignature</Code>"
# Unsigned requests and unknown operations.
curl -s -o "$tmp/body" -w '%{http_code}' -X POST -H "Content-Type: $FORM" \
    --data 'Action=ListTopics&Version=2010-03-31' "$endpoint/" >"$tmp/code"
[ "$(cat "$tmp/code")" = 403 ] && grep -q "<Code>MissingAuthenticationToken</Code>" "$tmp/body" ||
    { echo "FAIL: unsigned: $(cat "$tmp/code") $(cat "$tmp/body")"; failures=$((failures + 1)); }
$SEND "$endpoint" sns 0 "$FORM" 'Action=Nope&Version=2010-03-31' >"$tmp/sent"
expect_send 400 "" "<Code>InvalidAction</Code>"
head -c 3000000 /dev/zero | tr '\0' a >"$tmp/big"
curl -s -o "$tmp/body" -w '%{http_code}' -X POST -H "Content-Type: $FORM" \
    --data-binary @"$tmp/big" "$endpoint/" >"$tmp/code"
[ "$(cat "$tmp/code")" = 413 ] ||
    { echo "FAIL: 3 MB body: $(cat "$tmp/code") $(cat "$tmp/body")"; failures=$((failures + 1)); }

finish
