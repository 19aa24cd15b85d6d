#!/usr/bin/env bash
# Where `serve --listen` finds the access keys its API accepts (issue 6, Authentication):
# with none given, the first start generates one, keeps it in the store and writes it to
# a 0600 shared-credentials file beside the db (the log names the file and key id, never
# the secret); settings.apiAccessKeyId/apiSecretAccessKey (secret as a reference) add one;
# --insecure-no-auth accepts unsigned requests on a loopback address only, loudly.
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
. "$REPO_DIR/tests/cli/lib.sh"
require_debian_aws
export AWS_DEFAULT_REGION=us-east-1 AWS_PAGER="" AWS_CONFIG_FILE=/dev/null AWS_MAX_ATTEMPTS=1
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_PROFILE
printf 'metricFilters:\n  - filterName: denied\n    filterPattern: %s\n    metricTransformations:\n      - {metricName: Denied, metricNamespace: Live, metricValue: "1"}\n' \
    "'{ \$.errorCode = \"AccessDenied*\" }'" >"$tmp/config.yaml"

serve_pid=""
# start_serve LOG ARGS...: serve in the background; its port in $port once listening.
start_serve() {
    local log=$1
    shift
    "$TRAILHOUND" serve --config "$tmp/config.yaml" --listen 127.0.0.1:0 "$@" 2>"$log" &
    serve_pid=$!
    pids+=("$serve_pid")
    for _ in $(seq 100); do
        grep -q ' api_listening ' "$log" 2>/dev/null && break
        sleep 0.1
    done
    port=$(sed -nE 's/.* api_listening .* port=([0-9]+).*/\1/p' "$log")
}
stop_serve() {
    kill -TERM "$serve_pid"
    wait "$serve_pid" 2>/dev/null
}
list_alarms() { # list_alarms [AWS OPTIONS...]: exit status of describe-alarms
    "$AWS_CLI" cloudwatch describe-alarms --endpoint-url "http://127.0.0.1:$port" "$@" \
        >/dev/null 2>"$tmp/aws.err"
}

# 1. No key anywhere: generated, stored, written 0600 beside the db.
mkdir "$tmp/state"
start_serve "$tmp/first.log" --db "$tmp/state/store.db"
file="$tmp/state/api-credentials"
check "the generated credentials file exists" yes "$([ -s "$file" ] && echo yes)"
check "its mode is 0600" 600 "$(stat -c %a "$file")"
key_id=$(sed -nE 's/^aws_access_key_id = //p' "$file")
secret=$(sed -nE 's/^aws_secret_access_key = //p' "$file")
check "a 20-character key id and a 40-character secret" "20 40" "${#key_id} ${#secret}"
check "the log names the file and key id" 1 \
    "$(grep -c " api_credentials_generated access_key_id=$key_id file=$file" "$tmp/first.log")"
check "the log never holds the secret" 0 "$(grep -cF -- "$secret" "$tmp/first.log")"
AWS_SHARED_CREDENTIALS_FILE="$file" list_alarms --profile trailhound
check "the AWS CLI signs with the generated key" 0 $?
AWS_ACCESS_KEY_ID=$key_id AWS_SECRET_ACCESS_KEY=wrong-secret-0000000000000000000000000000 list_alarms
check "a wrong secret for that key is refused (aws: service error)" 254 $?
stop_serve
start_serve "$tmp/second.log" --db "$tmp/state/store.db"
check "a restart generates nothing new" 0 "$(grep -c api_credentials_generated "$tmp/second.log")"
AWS_SHARED_CREDENTIALS_FILE="$file" list_alarms --profile trailhound
check "the stored key is accepted after a restart" 0 $?
stop_serve
rm "$file"
start_serve "$tmp/third.log" --db "$tmp/state/store.db"
check "a lost credentials file is written again, with the stored key" "$key_id" \
    "$(sed -nE 's/^aws_access_key_id = //p' "$file" 2>/dev/null)"
check "... mode 0600" 600 "$(stat -c %a "$file" 2>/dev/null)"
stop_serve

# 2. A key in the configuration, the secret read from the environment: nothing generated.
export TEST_API_SECRET=config-secret-abcdefghijklmnopqrstuvwxyz0123
printf 'settings:\n  apiAccessKeyId: AKIACONFIGKEY0000001\n  apiSecretAccessKey: env:TEST_API_SECRET\n' \
    >"$tmp/keys.yaml"
mkdir "$tmp/configured"
start_serve "$tmp/configured.log" --config "$tmp/keys.yaml" --db "$tmp/configured/store.db"
AWS_ACCESS_KEY_ID=AKIACONFIGKEY0000001 AWS_SECRET_ACCESS_KEY=$TEST_API_SECRET list_alarms
check "the configured key is accepted" 0 $?
check "no key is generated when one is configured" no \
    "$([ -e "$tmp/configured/api-credentials" ] && echo yes || echo no)"
stop_serve
start_serve "$tmp/retired.log" --config "$tmp/keys.yaml" --db "$tmp/state/store.db"
AWS_SHARED_CREDENTIALS_FILE="$file" list_alarms --profile trailhound
check "configuring a key retires the generated one (aws: service error)" 254 $?
check "... and says so" 1 "$(grep -c " api_generated_key_retired access_key_id=$key_id " "$tmp/retired.log")"
AWS_ACCESS_KEY_ID=AKIACONFIGKEY0000001 AWS_SECRET_ACCESS_KEY=$TEST_API_SECRET list_alarms
check "while the configured key works on that store" 0 $?
stop_serve
printf 'settings:\n  apiAccessKeyId: AKIAONLYHALF00000001\n' >"$tmp/half.yaml"
"$TRAILHOUND" serve --config "$tmp/config.yaml" --config "$tmp/half.yaml" --db "$tmp/half.db" \
    --listen 127.0.0.1:0 2>"$tmp/half.err"
check "a key id without its secret is refused" 1 $?
check "... saying so" 1 "$(grep -c 'apiAccessKeyId and apiSecretAccessKey go together' "$tmp/half.err")"

# 3. --insecure-no-auth: loopback only, loud, and unsigned requests pass.
"$TRAILHOUND" serve --config "$tmp/config.yaml" --db "$tmp/open.db" --listen 0.0.0.0:0 \
    --insecure-no-auth 2>"$tmp/open.err"
check "--insecure-no-auth on a public address is refused" 1 $?
check "... saying why" 1 "$(grep -c 'must be a loopback address' "$tmp/open.err")"
mkdir "$tmp/insecure"
start_serve "$tmp/insecure.log" --db "$tmp/insecure/store.db" --insecure-no-auth
check "the log says it loudly" 1 "$(grep -c ' warn api_auth_disabled INSECURE: ' "$tmp/insecure.log")"
list_alarms --no-sign-request
check "an unsigned request passes" 0 $?
check "no key is generated without auth" no \
    "$([ -e "$tmp/insecure/api-credentials" ] && echo yes || echo no)"
stop_serve

if [ "$failures" -gt 0 ]; then
    tail -n 5 "$tmp"/*.log "$tmp/aws.err"
fi
finish "serve credentials: generated, configured, stored, and --insecure-no-auth"
