#!/usr/bin/env bash
# tests/data/aws-captures is a copy of ../shared/spec/aws-captures (so a user's clone tests
# itself); when ../shared is there, the copy must equal it.
set -u
: "${REPO_DIR:?repository root}"
shared="$REPO_DIR/../shared/spec/aws-captures"
if [ ! -d "$shared" ]; then
    echo "SKIP: $shared absent (a user's clone has no ../shared); the copy is used as is"
    exit 0
fi
if ! diff -r "$shared" "$REPO_DIR/tests/data/aws-captures" >/dev/null; then
    echo "FAIL: tests/data/aws-captures differs from ../shared/spec/aws-captures"
    diff -rq "$shared" "$REPO_DIR/tests/data/aws-captures" | head -5
    exit 1
fi
echo "aws-captures copy: equal to ../shared"
