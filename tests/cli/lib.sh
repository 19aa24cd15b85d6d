# Shared by the command-line tests (tests/cli/test_*.sh), sourced after `set -u` and the
# check of TRAILHOUND and REPO_DIR:  . "$REPO_DIR/tests/cli/lib.sh"
# It gives each script a scratch directory `$tmp`, removed on exit together with the
# background processes listed in `pids` (killed with `$cleanup_signal`, TERM unless the
# script says otherwise), the `failures` count that check() adds to, and the receivers.

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
    rm -rf "$tmp"
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
