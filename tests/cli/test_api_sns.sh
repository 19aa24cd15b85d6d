#!/usr/bin/env bash
# SNS over query/XML with Debian's aws-cli 2.9.19: each operation's output equals section A
# of its capture (ids and times normalised), and the store holds what the calls made.
source "$REPO_DIR/tests/support/api_test_lib.sh"
start_server
TOPIC=arn:aws:sns:us-east-1:123456789012:CISUnauthorizedAPICallAlerts

expect_topic_captures

token=$(db_query "SELECT token FROM subscriptions WHERE state = 'pending'")
aws sns confirm-subscription --topic-arn "$TOPIC" --token "$token"
expect_capture sns-ConfirmSubscription
arn=$(db_query "SELECT arn FROM subscriptions WHERE state = 'confirmed'")
[ -n "$arn" ] || { echo "FAIL: no confirmed subscription"; failures=$((failures + 1)); }

# Publish: one outbox message per confirmed subscription.
aws sns publish --topic-arn "$TOPIC" --subject 'ALARM: CISUnauthorizedAPICallsAlarm' \
    --message 'Alarm CISUnauthorizedAPICallsAlarm entered ALARM state'
expect_capture sns-Publish
[ "$(db_query "SELECT count(*) FROM outbox WHERE subscription_arn = '$arn' AND subject = 'ALARM: CISUnauthorizedAPICallsAlarm' AND body LIKE 'Alarm CISUnauthorizedAPICallsAlarm entered ALARM state%'")" = 1 ] ||
    { echo "FAIL: publish did not reach the outbox"; failures=$((failures + 1)); }
aws sns publish --topic-arn "$TOPIC:nope" --message x
expect_error NotFound 254

aws sns confirm-subscription --topic-arn "$TOPIC" --token 00ff
expect_error InvalidParameter 254

aws sns unsubscribe --subscription-arn "$arn"
expect_capture sns-Unsubscribe
[ "$(db_query "SELECT count(*) FROM subscriptions WHERE state = 'confirmed'")" = 0 ] ||
    { echo "FAIL: unsubscribe left the subscription"; failures=$((failures + 1)); }

# The callback URLs, unsigned: SubscribeURL, the mail's confirmation page, UnsubscribeURL,
# the unsubscribe page, the signing certificate.
urlencode() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }
get() { curl -s -o "$tmp/body" -w '%{http_code}' "$endpoint$1"; }
expect_get() {
    local code
    code=$(get "$1")
    if [ "$code" != "$2" ] || ! grep -q -- "$3" "$tmp/body"; then
        echo "FAIL: GET $1: $code $(head -c 300 "$tmp/body")"
        failures=$((failures + 1))
    else
        echo "ok: GET ${1%%\?*} $2"
    fi
}
aws sns subscribe --topic-arn "$TOPIC" --protocol email --notification-endpoint c@example.com \
    --return-subscription-arn --query SubscriptionArn --output text
[ "$(cat "$tmp/out")" = "$(db_query "SELECT arn FROM subscriptions WHERE endpoint = 'c@example.com'")" ] ||
    { echo "FAIL: ReturnSubscriptionArn: $(cat "$tmp/out") $(cat "$tmp/err")"; failures=$((failures + 1)); }
for who in a b; do
    aws sns subscribe --topic-arn "$TOPIC" --protocol email --notification-endpoint "$who@example.com"
done
token_a=$(db_query "SELECT token FROM subscriptions WHERE endpoint = 'a@example.com'")
token_b=$(db_query "SELECT token FROM subscriptions WHERE endpoint = 'b@example.com'")
expect_get "/?Action=ConfirmSubscription&TopicArn=$(urlencode "$TOPIC")&Token=$token_a" 200 \
    "<ConfirmSubscriptionResult><SubscriptionArn>$TOPIC:"
expect_get "/confirmation.html?TopicArn=$(urlencode "$TOPIC")&Token=$token_b" 200 "Subscription confirmed!"
expect_get "/?Action=ConfirmSubscription&TopicArn=$(urlencode "$TOPIC")&Token=ffff" 400 "<Code>InvalidParameter</Code>"
arn_a=$(db_query "SELECT arn FROM subscriptions WHERE endpoint = 'a@example.com'")
arn_b=$(db_query "SELECT arn FROM subscriptions WHERE endpoint = 'b@example.com'")
expect_get "/?Action=Unsubscribe&SubscriptionArn=$(urlencode "$arn_a")" 200 "<UnsubscribeResponse"
expect_get "/unsubscribe.html?SubscriptionArn=$(urlencode "$arn_b")&Endpoint=b%40example.com" 200 "Subscription removed"
[ "$(db_query "SELECT count(*) FROM subscriptions WHERE state = 'confirmed'")" = 0 ] ||
    { echo "FAIL: callbacks left subscriptions"; failures=$((failures + 1)); }
expect_get /SimpleNotificationService-trailhound.pem 200 "BEGIN CERTIFICATE"
expect_get /nothing-here 404 NotFound

aws sns list-subscriptions-by-topic --topic-arn "$TOPIC:nope"
expect_error NotFound 254
aws sns create-topic --name 'bad name'
expect_error InvalidParameter 254

aws sns delete-topic --topic-arn "$TOPIC"
expect_capture sns-DeleteTopic
aws sns list-topics
[ "$(cat "$tmp/out")" = '{
    "Topics": []
}' ] || { echo "FAIL: topic not deleted: $(cat "$tmp/out")"; failures=$((failures + 1)); }

finish
