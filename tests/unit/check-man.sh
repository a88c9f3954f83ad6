#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Checks that every function libkbits exports has a man page: a page of its
# name in the build's man directory that is a ".so man3/libkbits.3" link,
# and libkbits(3) declares it in its SYNOPSIS and describes it (a .BR or .B
# of its name after the SYNOPSIS).  With man(1) given, `man
# kbits_job_complete` in a tree of those pages shows libkbits(3), as it
# will once they are installed.
#   check-man.sh LIBRARY MAN-BUILD-DIR LIBKBITS.3 [MAN]
set -eu
lib=$1 built=$2 page=$3 man=${4:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

nm -D --defined-only "$lib" | awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' |
	sort -u >"$tmp/exports"
sed -n '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/p' "$page" |
	grep -oE '\bkbits_[a-z0-9_]+\(' | tr -d '(' | sort -u >"$tmp/synopsis"
sed -n '/^\.SH DESCRIPTION/,$p' "$page" |
	grep -E '^\.BR? ' | grep -oE '\bkbits_[a-z0-9_]+\b' | sort -u >"$tmp/described"

mkdir "$tmp/man3"
cp "$page" "$tmp/man3/libkbits.3"
status=0 n=0
while read -r f; do
	n=$((n + 1))
	if [ "$(cat "$built/$f.3" 2>/dev/null)" != ".so man3/libkbits.3" ]; then
		echo "$f: no page $built/$f.3 that is \".so man3/libkbits.3\""; status=1
	fi
	grep -qx "$f" "$tmp/synopsis" || { echo "$f: not in libkbits(3)'s SYNOPSIS"; status=1; }
	grep -qx "$f" "$tmp/described" || { echo "$f: not described in libkbits(3)"; status=1; }
	cp "$built/$f.3" "$tmp/man3/" 2>/dev/null || true
done <"$tmp/exports"

# man(1) itself: the link resolves to libkbits(3) (one page: groff takes
# half a second a page).
if [ -n "$man" ] && ! MANWIDTH=80 "$man" -M "$tmp" 3 kbits_job_complete 2>&1 |
	grep -q '^LIBKBITS(3) '; then
	echo "\`man 3 kbits_job_complete\` does not show libkbits(3)"; status=1
fi
echo "$n exported functions checked"
exit $status
