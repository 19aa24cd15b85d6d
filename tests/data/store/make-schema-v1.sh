#!/bin/sh
# Rebuilds schema-v1.sqlite, the version-1 database of the migration test, from
# schema-v1.sql with the sqlite3 command-line shell.
set -eu
cd "$(dirname "$0")"
rm -f schema-v1.sqlite
sqlite3 -bail schema-v1.sqlite < schema-v1.sql
