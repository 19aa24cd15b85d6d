#!/usr/bin/env bash
# SNS over query/XML with Debian's aws-cli 2.9.19: each operation's output equals section A
# of its capture (ids and times normalised), and the store holds what the calls made.
source "$REPO_DIR/tests/support/api_test_lib.sh"
start_server
TOPIC=arn:aws:sns:us-east-1:123456789012:CISUnauthorizedAPICallAlerts

aws sns create-topic --name CISUnauthorizedAPICallAlerts
expect_capture sns-CreateTopic
aws sns list-topics
expect_capture sns-ListTopics
aws sns subscribe --topic-arn "$TOPIC" --protocol email --notification-endpoint ops@example.com
expect_capture sns-Subscribe
aws sns list-subscriptions-by-topic --topic-arn "$TOPIC"
expect_capture sns-ListSubscriptionsByTopic

token=$(db_query "SELECT token FROM subscriptions WHERE state = 'pending'")
aws sns confirm-subscription --topic-arn "$TOPIC" --token "$token"
expect_capture sns-ConfirmSubscription
arn=$(db_query "SELECT arn FROM subscriptions WHERE state = 'confirmed'")
[ -n "$arn" ] || { echo "FAIL: no confirmed subscription"; failures=$((failures + 1)); }

aws sns confirm-subscription --topic-arn "$TOPIC" --token 00ff
expect_error InvalidParameter 254

aws sns unsubscribe --subscription-arn "$arn"
expect_capture sns-Unsubscribe
[ "$(db_query "SELECT count(*) FROM subscriptions WHERE state = 'confirmed'")" = 0 ] ||
    { echo "FAIL: unsubscribe left the subscription"; failures=$((failures + 1)); }

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
