#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kbitsctl's command line, where it needs no module: help, version, every
# command's --help, usage errors and their exit status.  TAP output.  Usage: test-kbitsctl.sh KBITSCTL
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
commands='create add-file list info files error set resume suspend cancel complete take-ownership monitor transfer'

expect 0 '' --help
stdout_has '^Usage: kbitsctl'
stdout_has '^  4  permission denied'
stdout_has '^  5  not allowed in the job'"'"'s state'
stdout_has '^  6  the transfer failed'
stdout_has '^  7  interrupted'
for c in $commands; do
	stdout_has "^  $c( |\$)"
done
expect 0 '' help
stdout_has '^Usage: kbitsctl'
expect 0 '' -h
expect 0 '' --version
stdout_has '^kbitsctl [0-9]+\.[0-9]+\.[0-9]+$'
for c in $commands; do
	expect 0 '' "$c" --help
	stdout_has "^Usage: kbitsctl $c"
	expect 0 '' help "$c"
	stdout_has "^Usage: kbitsctl $c"
	expect 0 '' "$c" -h
done
expect 2 "unknown command 'frob'" help frob
expect 2 '^Usage: kbitsctl'
expect 2 "unknown command 'frob'" frob
expect 2 "unrecognized option '--frob'" --frob
for c in $commands; do
	expect 2 "unrecognized option '--frob'" "$c" --frob
	expect 2 "^Try 'kbitsctl $c --help'\.\$" "$c" --frob
done
# --json where a command prints something, and nowhere else
for c in add-file resume suspend cancel; do
	expect 2 "unrecognized option '--json'" "$c" --json "$guid"
done

# take-ownership: says it shows the files and suspends an active job
expect 0 '' take-ownership --help
stdout_has '^Usage: kbitsctl take-ownership \[--json\] GUID$'
stdout_has "^First shows the job's files"
stdout_has 'SUSPENDED'
stdout_has "resumed it with 'kbitsctl resume GUID'"
stdout_has '^      --json   one JSON object: guid, owner, previous_owner, state,$'
expect 0 '' --help
stdout_has '^  take-ownership \[--json\] GUID$'

# The GUID commands: no GUID, a bad GUID, two GUIDs
for c in info files error resume suspend cancel complete take-ownership; do
	expect 2 "^kbitsctl: $c: missing the job's GUID\$" "$c"
	expect 2 "^kbitsctl: $c: 'xyz' is not a GUID" "$c" xyz
	expect 2 "^kbitsctl: $c: too many arguments\$" "$c" "$guid" "$guid"
done
expect 2 "is not a GUID" info '{03020100-0504-0706-0809-0a0b0c0d0e0f'
expect 2 "'xyz' is not a GUID" monitor xyz
expect 2 'monitor: too many arguments' monitor "$guid" "$guid"
expect 2 '--all-users and a GUID' monitor --all-users "$guid"

# create
expect 2 'create: missing' create
expect 2 'create: too many arguments' create a b
expect 2 "unknown job type 'bogus'" create --type bogus x
expect 2 "unknown priority 'bogus' \(foreground, high, normal or low\)" create --priority bogus x
expect 2 'the name is longer than 256 bytes' create "$(printf '%0257d' 0)"
expect 2 'the description is longer than 1024 bytes' create --description "$(printf '%01025d' 0)" x
expect 2 'the name is not valid UTF-8' create "$(printf 'a\xffb')"
expect 2 "option '--type' requires an argument" create --type

# add-file
expect 2 "add-file: missing the job's GUID" add-file
expect 2 "add-file: 'xyz' is not a GUID" add-file xyz /a /b
expect 2 'add-file: missing REMOTE LOCAL' add-file "$guid"
expect 2 "add-file: '/a' has no LOCAL name" add-file "$guid" /a
expect 2 "add-file: '/c' has no LOCAL name" add-file "$guid" /a /b /c
expect 2 "REMOTE 'ftp://h/x': only http://, https:// and file:// URLs" add-file "$guid" ftp://h/x /y
expect 2 "REMOTE 'file://x/y': a file:// URL needs an absolute path" add-file "$guid" file://x/y /y
expect 2 "LOCAL 'http://h/y': it is not a path" add-file "$guid" /x http://h/y
expect 2 "REMOTE .*: it is longer than 2200 bytes" add-file "$guid" "/$(printf '%02200d' 0)" /y

# list
expect 2 'list: too many arguments' list x

# set
expect 2 "set: missing the job's GUID" set
expect 2 'set: nothing to set' set "$guid"
expect 2 "set: 'xyz' is not a GUID" set xyz --priority low
expect 2 "unknown priority 'urgent'" set "$guid" --priority urgent
expect 2 'the description is longer than 1024 bytes' set "$guid" --description "$(printf '%01025d' 0)"
expect 2 'the display name is longer than 256 bytes' set "$guid" --display-name "$(printf '%0257d' 0)"
expect 2 'the display name is not valid UTF-8' set "$guid" --display-name "$(printf 'a\xffb')"
expect 2 'retry-delay: at least 5 seconds' set "$guid" --retry-delay 4
expect 2 "retry-delay: '-5' is not a number of seconds" set "$guid" --retry-delay -5
expect 2 "retry-delay: '5x' is not a number of seconds" set "$guid" --retry-delay 5x
expect 2 "no-progress-timeout: '99999999999' is not a number of seconds" set "$guid" --no-progress-timeout 99999999999
expect 2 "notify: 'bogus' is not a list" set "$guid" --notify bogus
expect 2 "notify: '0x100' is not a list" set "$guid" --notify 0x100
expect 2 "notify: '' is not a list" set "$guid" --notify ''
expect 2 "unknown proxy usage 'auto'" set "$guid" --proxy-usage auto
expect 2 '--proxy-usage override needs --proxy-list' set "$guid" --proxy-usage override
expect 2 '--proxy-usage override needs --proxy-list' set "$guid" --proxy-bypass localhost
expect 2 '--proxy-list and --proxy-bypass go with --proxy-usage override' set "$guid" --proxy-usage none --proxy-list http://p:3128
expect 2 '--proxy-list: not UTF-8, or longer than 4000 bytes' set "$guid" --proxy-list "$(printf '%04001d' 0)"
expect 2 '--headers: not UTF-8, or longer than 8192 bytes' set "$guid" --headers "$(printf '%08193d' 0)"
expect 0 '' set --help
stdout_has '^      --proxy-usage USAGE'
stdout_has '^      --headers HEADERS'
stdout_has '^      --dynamic-content on.off'
stdout_has '^      --max-download-time SECONDS'
expect 2 "dynamic-content: 'maybe' is not on or off" set "$guid" --dynamic-content maybe
expect 2 "max-download-time: '90x' is not a number of seconds" set "$guid" --max-download-time 90x
expect 2 "max-download-time: '-1' is not a number of seconds" set "$guid" --max-download-time -1
expect 2 "max-download-time: '49711d' is not a number of seconds" set "$guid" --max-download-time 49711d
expect 0 '' info --help
stdout_has 'max_download_time'

# transfer
expect 2 'transfer: missing REMOTE LOCAL' transfer
expect 2 "transfer: '/a' has no LOCAL name" transfer /a
expect 2 "unknown priority 'urgent'" transfer --priority urgent /a /b
expect 2 "REMOTE 'gopher://h/x'" transfer gopher://h/x /b

if [ ! -e /dev/kbits ]; then
	hint="^kbitsctl: kbits module not loaded: cannot open /dev/kbits: .* \(load it with 'modprobe kbits'\)$"
	expect 1 "$hint" create x
	expect 1 "$hint" info "$guid"
	expect 1 "$hint" cancel "${guid:1:36}"
	expect 1 "$hint" list
	expect 1 "$hint" monitor
	expect 1 "$hint" add-file "$guid" /a /b
	expect 1 "$hint" set "$guid" --priority low
	expect 1 "$hint" transfer /a /b
fi

echo "1..$n"
[ $failed = 0 ]
