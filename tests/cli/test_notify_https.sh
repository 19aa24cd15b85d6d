#!/usr/bin/env bash
# HTTPS delivery to a receiver behind a local test CA (made here with openssl): with
# settings.tlsCaFile naming the CA the signed SNS message is delivered; without it the
# certificate is refused (verification is on), and the failure says so.
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
. "$REPO_DIR/tests/cli/lib.sh"

# a test CA and a server certificate for 127.0.0.1 signed by it
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=trailhound test CA" \
    -keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$tmp/server.key" \
    -out "$tmp/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$tmp/san.ext"
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial \
    -days 2 -extfile "$tmp/san.ext" -out "$tmp/server.pem" 2>/dev/null

start_http_receiver "$tmp/port" --tls-cert "$tmp/server.pem" --tls-key "$tmp/server.key"
wait_for_port_file "$tmp/port"
port=$(cat "$tmp/port")

write_config() { # write_config FILE [CA]
    {
        printf 'topics:\n  - Name: secure\n    Subscriptions:\n'
        printf '      - Protocol: https\n        Endpoint: https://127.0.0.1:%s/sns\n' "$port"
        [ -n "${2:-}" ] && printf 'settings:\n  tlsCaFile: %s\n' "$2"
    } >"$1"
}
write_config "$tmp/trusted.yaml" "$tmp/ca.pem"
write_config "$tmp/untrusted.yaml"

"$TRAILHOUND" notify test --config "$tmp/trusted.yaml" --topic secure >"$tmp/trusted.out" 2>&1
check "delivered over HTTPS with the test CA" 0 "$?"
check "one request received over TLS" 1 "$(jq -c 'select(.path == "/sns")' "$tmp/http.log" | wc -l)"
check "it is a signed SNS notification" "Notification 2" \
    "$(jq -r 'select(.path == "/sns") | .body | fromjson | "\(.Type) \(.SignatureVersion)"' "$tmp/http.log")"

"$TRAILHOUND" notify test --config "$tmp/untrusted.yaml" --topic secure >"$tmp/untrusted.out" 2>&1
check "refused without the CA" 4 "$?"
check "the failure names the certificate" yes \
    "$(grep -qi 'certificate' "$tmp/untrusted.out" && echo yes)"
check "nothing more reached the receiver" 1 "$(jq -c 'select(.path == "/sns")' "$tmp/http.log" | wc -l)"

if [ $failures -ne 0 ]; then
    cat "$tmp/trusted.out" "$tmp/untrusted.out"
    echo "$failures failure(s)"
    exit 1
fi
echo "notify https: all checks passed"
