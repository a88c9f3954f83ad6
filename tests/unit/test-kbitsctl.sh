#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# kbitsctl's command line, where it needs no module: help, version, every
# command's --help, usage errors and their exit status.  TAP output.  Usage: test-kbitsctl.sh KBITSCTL
set -u
kbitsctl=$1
n=0
failed=0
out=$(mktemp) err=$(mktemp) dir=$(mktemp -d)
trap 'rm -f "$out" "$err"; rm -rf "$dir"' EXIT

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
commands='create add-file list info files error set set-credentials remove-credentials resume suspend cancel complete take-ownership monitor transfer'

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
stdout_has '^      --json   one JSON object: the job'"'"'s owner and state before and$'
stdout_has "^kbitsctl\\(1\\) says what each member of --json's output means\\.\$"
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

# add-file --sha256 HEX: 64 hex digits, one file, not with --from
zeros=$(printf '%064d' 0)
sha_msg="add-file: --sha256 '%s': a SHA-256 is 64 hex digits \\(0-9, a-f, in either case\\)"
expect 2 "$(printf "$sha_msg" xyz)" add-file --sha256 xyz "$guid" /a /b
expect 2 "$(printf "$sha_msg" "${zeros:1}")" add-file --sha256 "${zeros:1}" "$guid" /a /b
expect 2 "$(printf "$sha_msg" "${zeros}0")" add-file --sha256 "${zeros}0" "$guid" /a /b
expect 2 "$(printf "$sha_msg" "${zeros:1}g")" add-file -s "${zeros:1}g" "$guid" /a /b
expect 2 "$(printf "$sha_msg" '')" add-file --sha256 '' "$guid" /a /b
expect 2 'add-file: --sha256 goes with one REMOTE LOCAL pair, not more' \
	add-file --sha256 "$zeros" "$guid" /a /b /c /d
expect 2 'add-file: --sha256 and --from do not go together' \
	add-file --sha256 "$zeros" "$guid" --from /x
expect 2 'add-file: missing REMOTE LOCAL' add-file --sha256 "$zeros" "$guid"
expect 0 '' add-file --help
stdout_has '^       kbitsctl add-file \[--sha256 HEX\] GUID REMOTE LOCAL$'
stdout_has '^  -s, --sha256 HEX  the file'"'"'s expected SHA-256, 64 hex digits: kbitsd$'

# add-file --from FILE: parsed whole before anything else
printf '/srv/a /tmp/a\n/srv/b\n' >"$dir/bad-line"
expect 2 "^kbitsctl: add-file: $dir/bad-line:2: a REMOTE name without a LOCAL name; no file was added\$" add-file "$guid" --from "$dir/bad-line"
printf '# three\n\n/srv/my file /tmp/x\n' >"$dir/three"
expect 2 "three:3: more than two names \\(write a name with blanks in double quotes\\)" add-file "$guid" --from "$dir/three"
printf '"/srv/a /tmp/a\n' >"$dir/quote"
expect 2 'quote:1: a quoted name has no closing quote' add-file "$guid" -f "$dir/quote"
printf '/srv/a /tmp/a\n\nftp://h/x /tmp/b\n' >"$dir/ftp"
expect 2 "ftp:3: REMOTE 'ftp://h/x': only http://, https:// and file:// URLs" add-file "$guid" --from "$dir/ftp"
printf '/srv/a "/tmp/a"\n"" /tmp/b\n' >"$dir/empty-name"
expect 2 "empty-name:2: REMOTE '': it is empty" add-file "$guid" --from "$dir/empty-name"
printf '# nothing\n\n' >"$dir/none"
expect 2 "add-file: $dir/none: no REMOTE LOCAL pairs in it" add-file "$guid" --from "$dir/none"
expect 1 "add-file: cannot open $dir/missing: No such file or directory" add-file "$guid" --from "$dir/missing"
expect 2 '--from and REMOTE LOCAL pairs do not go together' add-file "$guid" --from "$dir/none" /a /b
expect 2 "option '--from' requires an argument" add-file "$guid" --from
expect 2 "add-file: 'xyz' is not a GUID" add-file xyz --from "$dir/none"
expect 0 '' add-file --help
stdout_has '^       kbitsctl add-file GUID --from FILE$'

# name:NAME wherever a GUID goes
expect 0 '' --help
stdout_has 'name:NAME names the one job of yours'
for c in info files error resume suspend cancel complete take-ownership monitor; do
	expect 2 "^kbitsctl: $c: 'name:': the name is empty\$" "$c" name:
done
expect 2 "set: 'name:': the name is empty" set name: --priority low
expect 2 "add-file: 'name:': the name is empty" add-file name: /a /b
expect 2 "'xyz' is not a GUID \\(\\{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx\\}\\) or name:NAME" info xyz

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
expect 2 '--headers and --headers-file do not go together' set "$guid" --headers 'X: 1' --headers-file "$dir/none"
expect 1 "set: --headers-file: cannot open $dir/missing: No such file or directory" set "$guid" --headers-file "$dir/missing"
printf '%08193d' 0 >"$dir/long-headers"
expect 2 '^kbitsctl: set: --headers-file: not UTF-8, or longer than 8192 bytes$' set "$guid" --headers-file "$dir/long-headers"
# --notify-cmd CMDLINE: words as sh splits them; shell syntax and unclosed quotes refused
nc_syntax="^kbitsctl: set: --notify-cmd: '%s' is shell syntax and no shell runs the command: quote it, or run a shell \\('/bin/sh -c \"\\.\\.\\.\"'\\)\$"
expect 2 "^kbitsctl: set: --notify-cmd: a single quote \\('\\) is not closed\$" set "$guid" --notify-cmd "/bin/echo 'a b"
expect 2 "^kbitsctl: set: --notify-cmd: a single quote \\('\\) is not closed\$" set "$guid" --notify-cmd "/bin/echo \"it's\"'"
expect 2 '^kbitsctl: set: --notify-cmd: a double quote \(") is not closed$' set "$guid" --notify-cmd '/bin/echo "a b'
expect 2 '^kbitsctl: set: --notify-cmd: a double quote \(") is not closed$' set "$guid" --notify-cmd '/bin/echo "a\"'
expect 2 '^Try .kbitsctl set --help.\.$' set "$guid" --notify-cmd "'"
for op in '|' '&' ';' '<' '>' '(' ')'; do
	expect 2 "$(printf "$nc_syntax" "[$op]")" set "$guid" --notify-cmd "/bin/echo a ${op} b"
done
expect 2 "$(printf "$nc_syntax" '#')" set "$guid" --notify-cmd '/bin/echo #comment'
# checked before the GUID's job is looked for, and with the other options
expect 2 "^kbitsctl: set: --notify-cmd: a single quote \\('\\) is not closed\$" set "$guid" --priority low --notify-cmd "'"
expect 2 'set: missing the job' set --notify-cmd /bin/true
expect 0 '' set --help
stdout_has '^      --notify-cmd CMDLINE      the program \(an absolute path\) and its$'
stdout_has "by a shell: nothing is expanded; '' removes it\$"
# transfer does not take it: the job is new, set it with set
expect 2 "unrecognized option '--notify-cmd=/bin/true'" transfer --notify-cmd=/bin/true /a "$dir/b"
expect 0 '' set --help
stdout_has '^      --proxy-usage USAGE'
stdout_has '^      --headers HEADERS'
stdout_has '^      --headers-file FILE'
stdout_has '^      --dynamic-content on.off'
stdout_has '^      --max-download-time SECONDS'
expect 2 "dynamic-content: 'maybe' is not on or off" set "$guid" --dynamic-content maybe
expect 2 "max-download-time: '90x' is not a number of seconds" set "$guid" --max-download-time 90x
expect 2 "max-download-time: '-1' is not a number of seconds" set "$guid" --max-download-time -1
expect 2 "max-download-time: '49711d' is not a number of seconds" set "$guid" --max-download-time 49711d
expect 0 '' info --help
stdout_has '^Shows everything about a job: its name and description, type, state,$'
stdout_has "^kbitsctl\\(1\\) says what each member of --json's output means\\.\$"

# transfer
expect 2 'transfer: missing REMOTE LOCAL' transfer
expect 2 "transfer: '/a' has no LOCAL name" transfer /a
expect 2 "unknown priority 'urgent'" transfer --priority urgent /a /b
expect 2 "REMOTE 'gopher://h/x'" transfer gopher://h/x /b
# the settings, as set takes them; no headers in argv
expect 2 '^kbitsctl: transfer: no --headers: the process list would show them to every user; use --headers-file FILE$' transfer --headers 'Authorization: x' /a "$dir/b"
if grep -q 'Authorization' "$err"; then echo "not ok $((n += 1)) - transfer --headers repeats the value"; failed=$((failed + 1)); else echo "ok $((n += 1)) - transfer --headers does not repeat the value"; fi
expect 2 'retry-delay: at least 5 seconds' transfer --retry-delay 4 /a "$dir/b"
expect 2 '--proxy-usage override needs --proxy-list' transfer --proxy-usage override /a "$dir/b"
expect 2 'the description is longer than 1024 bytes' transfer -d "$(printf '%01025d' 0)" /a "$dir/b"
expect 2 "max-download-time: '90x' is not a number of seconds" transfer --max-download-time 90x /a "$dir/b"
expect 2 '^kbitsctl: transfer: --headers-file: not UTF-8, or longer than 8192 bytes$' transfer --headers-file "$dir/long-headers" /a "$dir/b"
expect 1 "transfer: --headers-file: cannot open $dir/missing" transfer --headers-file "$dir/missing" /a "$dir/b"
# where the files go, checked before any job is made (no module needed)
expect 1 "^kbitsctl: transfer: LOCAL '$dir/missing/b': its directory $dir/missing does not exist; no file was added\$" transfer /a "$dir/missing/b"
expect 1 "^kbitsctl: transfer: LOCAL '$dir/none/b': its directory $dir/none is not a directory; no file was added\$" transfer /a "$dir/none/b"
expect 1 "^kbitsctl: transfer: LOCAL '$dir/': it is a directory; no file was added\$" transfer /a "$dir/"
expect 0 '' transfer --help
stdout_has '^      --async '
stdout_has '^      --headers-file FILE'
stdout_has '^  -t, --no-progress-timeout SECONDS$'

# credentials: never from argv, checked before the job is looked for
cred=(--target server --scheme basic --user alice)
expect 2 '^kbitsctl: set-credentials: give --target, --scheme and --user$' set-credentials "$guid" --target server --scheme basic
expect 2 '^kbitsctl: set-credentials: give --target, --scheme and --user$' set-credentials "$guid" --user alice
expect 2 "^kbitsctl: set-credentials: --target: 'host' is not server or proxy\$" set-credentials "$guid" --target host --scheme basic --user a
expect 2 "^kbitsctl: set-credentials: --scheme: 'passport' is not basic, digest, ntlm or negotiate\$" set-credentials "$guid" --target proxy --scheme passport --user a
expect 2 "^kbitsctl: set-credentials: --user: a Basic user name may not hold ':' \\(RFC 7617\\)\$" set-credentials "$guid" --target server --scheme basic --user a:b --password-file /dev/null
expect 2 '^kbitsctl: set-credentials: --user: the user name has a control character$' set-credentials "$guid" --target server --scheme ntlm --user "$(printf 'a\tb')" --password-file /dev/null
expect 2 'set-credentials: missing the job' set-credentials "${cred[@]}"
# no --password: refused, and the value is never repeated
for form in --password --password=; do
	if [ "$form" = --password ]; then
		expect 2 "^kbitsctl: set-credentials: no --password: the process list shows the command line to every user; use --password-file FILE \\('-': stdin\\), or no option to be asked on the terminal\$" set-credentials "$guid" "${cred[@]}" --password hunter2-argv
	else
		expect 2 '^kbitsctl: set-credentials: no --password' set-credentials "$guid" "${cred[@]}" --password=hunter2-argv
	fi
	if grep -q 'hunter2' "$err"; then echo "not ok $((n += 1)) - set-credentials $form repeats the password"; failed=$((failed + 1)); else echo "ok $((n += 1)) - set-credentials $form does not repeat the password"; fi
done
# an abbreviation is ambiguous, not --password-file with the password for a file name
expect 2 "option '--pass' is ambiguous" set-credentials "$guid" "${cred[@]}" --pass hunter2-argv
if grep -q 'hunter2' "$err"; then echo "not ok $((n += 1)) - --pass repeats the password"; failed=$((failed + 1)); else echo "ok $((n += 1)) - --pass does not repeat the password"; fi
expect 2 "invalid option -- 'p'" set-credentials "$guid" "${cred[@]}" -p hunter2-argv
# no terminal and no file: a usage error that says what to give (setsid: no controlling tty)
if command -v setsid >/dev/null; then
	n=$((n + 1))
	setsid -w "$kbitsctl" set-credentials "$guid" "${cred[@]}" </dev/null >"$out" 2>"$err"
	st=$?
	if [ $st = 2 ] && grep -qE "^kbitsctl: set-credentials: no terminal to ask for the password on: give --password-file FILE \\('-': stdin\\); a password is never taken from the command line\$" "$err"; then
		echo "ok $n - set-credentials without a terminal or a file: a usage error"
	else
		echo "not ok $n - set-credentials without a terminal: status $st"
		sed 's/^/# stderr: /' "$err"
		failed=$((failed + 1))
	fi
fi
expect 1 "^kbitsctl: set-credentials: --password-file: cannot open $dir/no-such-file: No such file or directory\$" set-credentials "$guid" "${cred[@]}" --password-file "$dir/no-such-file"
printf '%01025d\n' 0 >"$dir/long-password"
chmod 600 "$dir/long-password"
expect 2 '^kbitsctl: set-credentials: --password-file: the password is longer than 1024 bytes$' set-credentials "$guid" "${cred[@]}" --password-file "$dir/long-password"
printf 'pass\377word\n' >"$dir/bad-password"
chmod 600 "$dir/bad-password"
expect 2 '^kbitsctl: set-credentials: --password-file: the password is not valid UTF-8$' set-credentials "$guid" "${cred[@]}" --password-file "$dir/bad-password"
expect 2 '^kbitsctl: set-credentials: --password-file: the password is not valid UTF-8$' set-credentials "$guid" "${cred[@]}" --password-file - <"$dir/bad-password"
expect 2 "^kbitsctl: remove-credentials: give --target and --scheme\$" remove-credentials "$guid" --target proxy
expect 2 "unrecognized option '--user'" remove-credentials "$guid" --target proxy --scheme basic --user a
expect 0 '' set-credentials --help
stdout_has '^      --password-file FILE the password: FILE.s first line, without its$'
stdout_has '^The password is never taken from the command line'

# transfer --credentials-file: a bad line named by its number, never quoted
printf '# creds\nserver basic alice hunter2 pw\nproxy digest bob\n' >"$dir/creds-short"
chmod 600 "$dir/creds-short"
expect 2 "^kbitsctl: transfer: --credentials-file $dir/creds-short:3: missing PASSWORD after USER \\(lines are 'TARGET SCHEME USER PASSWORD'\\)\$" transfer --credentials-file "$dir/creds-short" /a "$dir/b"
printf 'server basic alice hunter2 pw\n\nproxy basic bob hunter2\nserver basic carol hunter2\n' >"$dir/creds-dup"
chmod 600 "$dir/creds-dup"
expect 2 "^kbitsctl: transfer: --credentials-file $dir/creds-dup:4: a second line for the same TARGET and SCHEME" transfer --credentials-file "$dir/creds-dup" /a "$dir/b"
printf 'server basic al:ice hunter2\n' >"$dir/creds-colon"
chmod 600 "$dir/creds-colon"
expect 2 "^kbitsctl: transfer: --credentials-file $dir/creds-colon:1: a Basic user name may not hold ':'" transfer --credentials-file "$dir/creds-colon" /a "$dir/b"
# (stdin redirected, not piped: a pipe would run expect in a subshell, its count lost)
expect 2 "^kbitsctl: transfer: --credentials-file stdin:1: TARGET is not server or proxy" transfer --credentials-file - /a "$dir/b" < <(printf 'webserver basic alice hunter2\n')
printf '# nothing\n' >"$dir/creds-empty"
chmod 600 "$dir/creds-empty"
expect 2 "^kbitsctl: transfer: --credentials-file $dir/creds-empty: no credentials in it\$" transfer --credentials-file "$dir/creds-empty" /a "$dir/b"
expect 1 "^kbitsctl: transfer: --credentials-file: cannot open $dir/missing: No such file or directory\$" transfer --credentials-file "$dir/missing" /a "$dir/b"
n=$((n + 1))
if grep -rq hunter2 "$err"; then echo "not ok $n - a credentials file's error quotes a password"; failed=$((failed + 1)); else echo "ok $n - no credentials file's error quotes a password"; fi
# a file others may read: a warning (it is used all the same)
printf 'server basic alice hunter2\n' >"$dir/creds-open"
chmod 644 "$dir/creds-open"
# (the file is read before the LOCAL files are checked: no module needed)
expect 1 "^kbitsctl: transfer: warning: --credentials-file $dir/creds-open is readable by every user \\(mode 0644\\): its passwords are not secret; 'chmod go-rwx' it\$" transfer --credentials-file "$dir/creds-open" /a "$dir/missing/b"
chmod 640 "$dir/creds-open"
expect 1 "warning: --credentials-file $dir/creds-open is readable by its group \\(mode 0640\\)" transfer --credentials-file "$dir/creds-open" /a "$dir/missing/b"
chmod 600 "$dir/creds-open"
expect 1 "^kbitsctl: transfer: LOCAL '$dir/missing/b': its directory" transfer --credentials-file "$dir/creds-open" /a "$dir/missing/b"
n=$((n + 1))
if grep -q warning "$err"; then echo "not ok $n - a 0600 credentials file is warned of"; failed=$((failed + 1)); else echo "ok $n - a 0600 credentials file is not warned of"; fi
expect 0 '' transfer --help
stdout_has '^      --credentials-file FILE   credentials for the server or the proxy$'
stdout_has '^      --headers-write-only      make the custom HTTP headers write-only$'

# set's new options
expect 2 "^kbitsctl: set: --upload-method: 'patch' is not put or post\$" set "$guid" --upload-method patch
expect 2 "^kbitsctl: set: --reply-file 'http://h/r': it is not a path\$" set "$guid" --reply-file http://h/r
expect 2 "unrecognized option '--reply-file'" transfer --reply-file /tmp/r /a "$dir/b"
expect 2 "unrecognized option '--upload-method'" transfer --upload-method post /a "$dir/b"
expect 2 "unrecognized option '--credentials-file'" set "$guid" --credentials-file /dev/null
expect 0 '' set --help
stdout_has '^      --headers-write-only      make the custom HTTP headers write-only$'
stdout_has 'IRREVERSIBLE'
stdout_has '^      --reply-file PATH         an upload-reply job.s reply file, where the$'
stdout_has '^      --upload-method put\|post  how an upload job.s file is sent \(default put\)$'

# Every command that takes --json points to kbitsctl(1) for its members,
# and kbitsctl(1) names every member kbitsctl writes.
for c in create list info files error complete take-ownership monitor transfer; do
	expect 0 '' "$c" --help
	stdout_has "kbitsctl\\(1\\) says what each member of --json's output means"
done
man=$(dirname "$0")/../../man/kbitsctl.1
for m in guid display_name type state owner owner_name priority files_total \
	files_transferred bytes_total bytes_transferred description notify_flags notify \
	min_retry_delay no_progress_timeout error_count dynamic_content max_download_time \
	transfer_time creation_time modification_time transfer_completion_time proxy_usage \
	proxy_list proxy_bypass http_headers notify_cmd error files context code http_status errno \
	file_index remote_name local_name text index completed partial previous_owner \
	previous_state time gone mode sha256 credentials server proxy headers_write_only \
	upload_method reply_file; do
	n=$((n + 1))
	if grep -qE "^\.BR? ${m}( |$)" "$man"; then
		echo "ok $n - kbitsctl(1) names the JSON member $m"
	else
		echo "not ok $n - kbitsctl(1) does not name the JSON member $m"
		failed=$((failed + 1))
	fi
done

if [ ! -e /dev/kbits ]; then
	hint="^kbitsctl: kbits module not loaded: cannot open /dev/kbits: .* \(load it with 'modprobe kbits'\)$"
	expect 1 "$hint" create x
	expect 1 "$hint" info "$guid"
	expect 1 "$hint" cancel "${guid:1:36}"
	expect 1 "$hint" list
	expect 1 "$hint" monitor
	expect 1 "$hint" add-file "$guid" /a /b
	expect 1 "$hint" set "$guid" --priority low
	# quoting that sh takes, and no words (removal): split, then the module is looked for
	for c in "/bin/echo 'a b' \"c \\\"d\\\" \\\$HOME\" e\\ f 'g'\\''h' \"\" ''" '' ' ' \
		"/bin/echo a#b '|' \\; \"<>\" ~ \$x \`y\` *" '/bin/echo trailing\' $'/bin/echo\ta\t'; do
		expect 1 "$hint" set "$guid" --notify-cmd "$c"
	done
	expect 1 "$hint" transfer /a "$dir/b"
	expect 1 "$hint" set "$guid" --headers-write-only
	expect 1 "$hint" set "$guid" --reply-file rel/reply --upload-method POST
	expect 1 "$hint" set "$guid" --reply-file ''
	expect 1 "$hint" remove-credentials "$guid" --target PROXY --scheme Negotiate
	# a password file read (its first line), then the module looked for
	printf 'hunter2 pw\nsecond\n' >"$dir/pw"
	chmod 600 "$dir/pw"
	expect 1 "$hint" set-credentials "$guid" "${cred[@]}" --password-file "$dir/pw"
	expect 1 "$hint" set-credentials "$guid" --target proxy --scheme negotiate --user '' --password-file - < <(printf 'hunter2\n')
	expect 1 "$hint" transfer --credentials-file "$dir/creds-open" /a "$dir/b"
fi

echo "1..$n"
[ $failed = 0 ]
