#!/usr/bin/env bash
# packaging/trailhound.service passes `systemd-analyze verify` (Debian 12's systemd). The
# unit names /usr/local/bin/trailhound, which a test machine has not installed, so the copy
# verified here runs the built binary instead; everything else is the unit as shipped.
set -u
: "${TRAILHOUND:?path to the trailhound binary}" "${REPO_DIR:?repository root}"
if ! command -v systemd-analyze >/dev/null; then
    echo "SKIP: systemd-analyze not installed (apt-get install systemd)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s|/usr/local/bin/trailhound|$TRAILHOUND|" "$REPO_DIR/packaging/trailhound.service" \
    >"$tmp/trailhound.service"
if ! output=$(systemd-analyze verify --man=no "$tmp/trailhound.service" 2>&1) || [ -n "$output" ]; then
    echo "FAIL: systemd-analyze verify: $output"
    exit 1
fi
grep -q '^ExecStart=/usr/local/bin/trailhound serve ' "$REPO_DIR/packaging/trailhound.service" ||
    { echo "FAIL: ExecStart does not run trailhound serve"; exit 1; }
echo "systemd unit: verified"
