#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Checks that libkbits exports exactly the functions its public header
# declares, all of them in the version script, each at the version of the
# script's node that lists it: a name listed in two nodes (a call whose
# struct grew, the glibc way: kbits_job_get_error@LIBKBITS_0.1 and
# @@LIBKBITS_0.5) is exported at both, the newest one the default.
#   check-exports.sh LIBRARY VERSION-SCRIPT HEADER
set -eu
lib=$1 sym=$2 header=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Declarations, with the comments taken out.
sed -e 's,/\*.*\*/,,g' -e '/\/\*/,/\*\//d' "$header" |
	grep -oE '\bkbits_[a-z0-9_]+\(' | tr -d '(' | sort -u >"$tmp/header"
# The global: sections of the version script, as NAME@NODE.
sed -e 's,/\*.*\*/,,g' "$sym" | awk '
	/^[A-Za-z0-9_.]+[[:space:]]*\{/ { node = $1; sub(/\{.*/, "", node); next }
	/global:/ { g = 1; next }
	/local:/ || /^\}/ { g = 0; next }
	g && /^[[:space:]]*kbits_[a-z0-9_]+;/ { n = $1; sub(/;.*/, "", n); print n "@" node }' |
	sort -u >"$tmp/sym-versions"
sed 's/@.*//' "$tmp/sym-versions" | sort -u >"$tmp/sym"
# The newest node of each name: what programs link to.
awk -F@ '{ print $1 "@@" $2 }' "$tmp/sym-versions" | sort -t@ -k1,1 -k3,3V |
	awk -F@ '{ last[$1] = $0 } END { for (n in last) print last[n] }' | sort >"$tmp/sym-default"
nm -D --defined-only "$lib" | awk '$2 == "T" { print $3 }' | sort -u >"$tmp/lib-all"
sed 's/@@*/@/' "$tmp/lib-all" | sort -u >"$tmp/lib-versions"
grep '@@' "$tmp/lib-all" | sort >"$tmp/lib-default"
sed 's/@.*//' "$tmp/lib-all" | sort -u >"$tmp/lib"

status=0
if ! diff -u "$tmp/header" "$tmp/sym" >"$tmp/d1"; then
	echo "version script and header differ (- header, + script):"; cat "$tmp/d1"; status=1
fi
if ! diff -u "$tmp/sym" "$tmp/lib" >"$tmp/d2"; then
	echo "library exports differ from the version script (- script, + library):"; cat "$tmp/d2"; status=1
fi
if ! diff -u "$tmp/sym-versions" "$tmp/lib-versions" >"$tmp/d3"; then
	echo "exported versions differ from the script's nodes (- script, + library):"; cat "$tmp/d3"; status=1
fi
if ! diff -u "$tmp/sym-default" "$tmp/lib-default" >"$tmp/d4"; then
	echo "default versions differ from the script's newest nodes (- script, + library):"; cat "$tmp/d4"; status=1
fi
echo "$(wc -l <"$tmp/lib") symbols exported, $(wc -l <"$tmp/lib-versions") versions"
exit $status
