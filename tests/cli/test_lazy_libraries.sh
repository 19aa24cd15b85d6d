#!/usr/bin/env bash
# libcurl and libmicrohttpd are loaded on first use (docs/design.md, Dependencies): the
# binary does not need them, a scan never maps them, `notify test` does; and when one
# cannot be loaded (TRAILHOUND_LIBCURL / TRAILHOUND_LIBMICROHTTPD name another file, a test
# knob) the commands that need it fail with an error naming it instead of starting.
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
. "$REPO_DIR/tests/cli/lib.sh"
SAMPLE="$REPO_DIR/samples/cloudtrail-events.jsonl"
MISSING_CURL=/nonexistent/libcurl.so.4
MISSING_HTTPD=/nonexistent/libmicrohttpd.so.12

# 1. No DT_NEEDED entry for either library.
needed=$(readelf -d "$TRAILHOUND" | grep NEEDED)
check "the binary links libcrypto (readelf sees NEEDED entries)" 1 \
    "$(grep -c 'libcrypto\.so' <<<"$needed")"
check "no NEEDED libcurl / libmicrohttpd" 0 "$(grep -c 'libcurl\|libmicrohttpd' <<<"$needed")"

# Which libraries a run maps, from the dynamic loader's own trace.
mapped_libraries() { # mapped_libraries NAME COMMAND...: the loader's trace into $tmp/NAME.*
    local name=$1
    shift
    LD_DEBUG=files LD_DEBUG_OUTPUT="$tmp/$name" "$@"
}
loaded_count() { cat "$tmp/$1".* 2>/dev/null | grep -c "file=$2.*\[0\];  generating link map"; }

# 2. A scan maps neither, and works the same when neither could be loaded.
mapped_libraries scan "$TRAILHOUND" scan --cis --format json "$SAMPLE" >"$tmp/scan.json"
check "scan --cis exit status" 0 $?
check "scan maps no libcurl" 0 "$(loaded_count scan libcurl)"
check "scan maps no libmicrohttpd" 0 "$(loaded_count scan libmicrohttpd)"
TRAILHOUND_LIBCURL=$MISSING_CURL TRAILHOUND_LIBMICROHTTPD=$MISSING_HTTPD \
    "$TRAILHOUND" scan --cis --format json "$SAMPLE" >"$tmp/scan-missing.json"
check "scan --cis without the libraries: exit status" 0 $?
check "scan --cis without the libraries: the same report" \
    "$(jq -c 'del(.seconds, .mb_per_second)' "$tmp/scan.json")" \
    "$(jq -c 'del(.seconds, .mb_per_second)' "$tmp/scan-missing.json")"

# 3. notify test loads libcurl (exec delivers without it, the command loads it anyway).
{
    cat <<YAML
topics:
  - Name: security
    Subscriptions:
      - Protocol: exec
        Endpoint: cat > $tmp/exec.out
YAML
    denied_burst_alarm "[security]"
} >"$tmp/notify.yaml"
mapped_libraries notify "$TRAILHOUND" notify test --config "$tmp/notify.yaml" \
    --topic security >"$tmp/notify.out" 2>&1
check "notify test exit status" 0 $?
check "notify test maps libcurl" 1 "$(loaded_count notify libcurl)"
check "notify test delivered" 1 "$(grep -c 'exec .* delivered' "$tmp/notify.out")"

# 4. Without libcurl: notify test, scan --notify and serve refuse to start, naming it.
expect_failure() { # expect_failure NAME EXPECTED_MESSAGE ENVIRONMENT... -- COMMAND...
    local name=$1 message=$2
    shift 2
    local environment=()
    while [ "$1" != -- ]; do
        environment+=("$1")
        shift
    done
    shift
    env "${environment[@]}" timeout 30 "$@" </dev/null >"$tmp/$name.out" 2>"$tmp/$name.err"
    check "$name: exit status" 1 $?
    check "$name: the error names the library" "$message" "$(cat "$tmp/$name.err")"
}
no_curl="cannot load $MISSING_CURL (needed to deliver notifications): $MISSING_CURL: cannot open shared object file: No such file or directory"
rm -f "$tmp/exec.out"
expect_failure notify-test "trailhound: notify: $no_curl" TRAILHOUND_LIBCURL=$MISSING_CURL -- \
    "$TRAILHOUND" notify test --config "$tmp/notify.yaml" --topic security
check "notify test without libcurl: nothing delivered" no "$([ -e "$tmp/exec.out" ] && echo yes || echo no)"
expect_failure scan-notify "trailhound: $no_curl" TRAILHOUND_LIBCURL=$MISSING_CURL -- \
    "$TRAILHOUND" scan --cis --notify "$SAMPLE"
check "scan --notify without libcurl: no report" "" "$(cat "$tmp/scan-notify.out")"
expect_failure serve "trailhound: serve: $no_curl" TRAILHOUND_LIBCURL=$MISSING_CURL -- \
    "$TRAILHOUND" serve --cis --db "$tmp/serve.db" --exit-when-idle -
# a library that is not libcurl: the missing function is named (dlerror gives its path)
TRAILHOUND_LIBCURL=libz.so.1 "$TRAILHOUND" notify test --config "$tmp/notify.yaml" \
    --topic security >/dev/null 2>"$tmp/not-curl.err"
check "not libcurl: exit status" 1 $?
check "not libcurl: the error names the library and the function" 1 "$(grep -c \
    '^trailhound: notify: cannot load libz.so.1 (needed to deliver notifications): .*libz.so.1: undefined symbol: curl_global_init$' \
    "$tmp/not-curl.err")"

# 5. Without libmicrohttpd: serve --listen (or --metrics-listen) refuses to start, naming it.
expect_failure serve-listen \
    "trailhound: serve: --listen 127.0.0.1:0: cannot load $MISSING_HTTPD (needed to serve the API): $MISSING_HTTPD: cannot open shared object file: No such file or directory" \
    TRAILHOUND_LIBMICROHTTPD=$MISSING_HTTPD -- \
    "$TRAILHOUND" serve --cis --db "$tmp/listen.db" --listen 127.0.0.1:0 --insecure-no-auth
# the /metrics listener alone: the error names the flag that was given
expect_failure serve-metrics-listen \
    "trailhound: serve: --metrics-listen 127.0.0.1:0: cannot load $MISSING_HTTPD (needed to serve the API): $MISSING_HTTPD: cannot open shared object file: No such file or directory" \
    TRAILHOUND_LIBMICROHTTPD=$MISSING_HTTPD -- \
    "$TRAILHOUND" serve --cis --db "$tmp/metrics.db" --watch "$tmp" --metrics-listen 127.0.0.1:0

finish "lazy libraries: not needed by the binary, loaded on first use, a clear error when missing"
