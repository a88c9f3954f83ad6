#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Checks that libkbits exports exactly the functions its public header
# declares, all of them in the version script.
#   check-exports.sh LIBRARY VERSION-SCRIPT HEADER
set -eu
lib=$1 sym=$2 header=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Declarations, with the comments taken out.
sed -e 's,/\*.*\*/,,g' -e '/\/\*/,/\*\//d' "$header" |
	grep -oE '\bkbits_[a-z0-9_]+\(' | tr -d '(' | sort -u >"$tmp/header"
# The global: section of the version script.
sed -n '/global:/,/local:/p' "$sym" | grep -oE '^[[:space:]]*kbits_[a-z0-9_]+;' |
	tr -d ' \t;' | sort -u >"$tmp/sym"
nm -D --defined-only "$lib" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' |
	sort -u >"$tmp/lib"

status=0
if ! diff -u "$tmp/header" "$tmp/sym" >"$tmp/d1"; then
	echo "version script and header differ (- header, + script):"; cat "$tmp/d1"; status=1
fi
if ! diff -u "$tmp/sym" "$tmp/lib" >"$tmp/d2"; then
	echo "library exports differ from the version script (- script, + library):"; cat "$tmp/d2"; status=1
fi
echo "$(wc -l <"$tmp/lib") symbols exported"
exit $status
