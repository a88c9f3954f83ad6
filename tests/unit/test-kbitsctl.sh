#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kbitsctl's command line, where it needs no module: help, version, usage
# errors and their exit status.  TAP output.  Usage: test-kbitsctl.sh KBITSCTL
set -u
kbitsctl=$1
n=0
failed=0
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

# expect STATUS STDERR-PATTERN ARGS...: runs kbitsctl ARGS, checks its exit
# status and that stderr matches the extended regex (empty: stderr is empty).
expect() {
	local want=$1 pattern=$2 got ok=1
	shift 2
	n=$((n + 1))
	"$kbitsctl" "$@" >"$out" 2>"$err"
	got=$?
	[ "$got" = "$want" ] || ok=0
	if [ -z "$pattern" ]; then
		[ ! -s "$err" ] || ok=0
	else
		grep -qE -- "$pattern" "$err" || ok=0
	fi
	if [ $ok = 1 ]; then
		echo "ok $n - kbitsctl $* -> $want"
	else
		echo "not ok $n - kbitsctl $*: status $got, want $want"
		sed 's/^/# stderr: /' "$err"
		failed=$((failed + 1))
	fi
}

# stdout_has PATTERN: the last command's stdout matches
stdout_has() {
	n=$((n + 1))
	if grep -qE -- "$1" "$out"; then
		echo "ok $n - stdout has '$1'"
	else
		echo "not ok $n - stdout lacks '$1'"
		failed=$((failed + 1))
	fi
}

guid='{03020100-0504-0706-0809-0a0b0c0d0e0f}'

expect 0 '' --help
stdout_has '^Usage: kbitsctl'
stdout_has '^  4  permission denied'
expect 0 '' help
stdout_has '^Usage: kbitsctl'
expect 0 '' -h
expect 0 '' --version
stdout_has '^kbitsctl [0-9]+\.[0-9]+\.[0-9]+$'
expect 0 '' create --help
expect 2 '^Usage: kbitsctl'
expect 2 "unknown command 'frob'" frob
expect 2 "unrecognized option '--frob'" --frob
expect 2 "unrecognized option '--frob'" info --frob "$guid"
expect 2 "'xyz' is not a GUID" info xyz
expect 2 "'xyz' is not a GUID" cancel xyz
expect 2 "is not a GUID" info '{03020100-0504-0706-0809-0a0b0c0d0e0f'
expect 2 'create: missing' create
expect 2 'create: too many arguments' create a b
expect 2 "unknown job type 'bogus'" create --type bogus x
expect 2 'info: missing' info
expect 2 'info: too many arguments' info "$guid" "$guid"
expect 2 'cancel: missing' cancel

if [ ! -e /dev/kbits ]; then
	hint='^kbitsctl: cannot open /dev/kbits: .*\(is the kbits module loaded\?\)$'
	expect 1 "$hint" create x
	expect 1 "$hint" info "$guid"
	expect 1 "$hint" cancel "${guid:1:36}"
fi

echo "1..$n"
[ $failed = 0 ]
