# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Helpers of kbitsd's test suites (tests/kbitsd/run-tests, run-sched-tests),
# sourced by both.  They use the caller's T (a temp dir), KBITSD, JOBCTL,
# STATE, LOG, KPID and ALICE.

# --------------------------------------------------------------- TAP

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"
	shift
	for l in "$@"; do echo "# $l"; done
}
# check NAME COMMAND...: one test, ok when COMMAND succeeds
# (not in a subshell: a test may restart kbitsd, i.e. change KPID)
check() {
	local name=$1
	shift
	if "$@" >"$T/out" 2>&1; then ok "$name"; else not_ok "$name" "$(cat "$T/out")"; fi
}

# --------------------------------------------------------------- users

# alice and bob, each with a 0700 home
make_users() {
	local u
	for u in alice bob; do
		id "$u" >/dev/null 2>&1 || useradd -m "$u" || exit 1
		mkdir -p "/home/$u" && chown "$u:$u" "/home/$u" && chmod 700 "/home/$u"
	done
}
as_alice() { setpriv --reuid=alice --regid=alice --init-groups "$@"; }
jc() { as_alice "$JOBCTL" "$@"; }
# jc_umask MASK ARGS...: jc with umask MASK (ADD_FILES records the adder's)
jc_umask() {
	local m=$1
	shift
	as_alice sh -c 'umask "$1"; shift; exec "$@"' sh "$m" "$JOBCTL" "$@"
}
# sha256_of FILE: its SHA-256, 64 hex digits
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# --------------------------------------------------------------- kbitsd

# $KBITSD_WRAP: a command kbitsd runs under (e.g. setpriv), empty by default;
# KBITSD_ARGS: more options for it, none by default
KBITSD_WRAP=''
KBITSD_ARGS=()
# start_kbitsd N: starts kbitsd, true once the log has N "attached" lines
start_kbitsd() {
	local i
	$KBITSD_WRAP "$KBITSD" --foreground --state-dir "$STATE" "${KBITSD_ARGS[@]}" 2>>"$LOG" &
	KPID=$!
	for i in $(seq 200); do
		grep -q "attached to /dev/kbits" "$LOG" 2>/dev/null &&
			[ "$(grep -c 'attached to /dev/kbits' "$LOG")" -ge "$1" ] && return 0
		kill -0 "$KPID" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
starts=0
kbitsd_up() { starts=$((starts + 1)); start_kbitsd "$starts"; }
stop_kbitsd() {
	local rc
	kill -TERM "$KPID"
	wait "$KPID"
	rc=$?
	KPID=''
	return $rc
}

# new_job NAME [REMOTE LOCAL]...: an alice job, min_retry_delay 5 s; prints its GUID
new_job() {
	local g
	g=$(jc create "$1") || return 1
	shift
	jc set "$g" retry 5 || return 1
	while [ $# -ge 2 ]; do
		jc add "$g" "$1" "$2" || return 1
		shift 2
	done
	echo "$g"
}
# wait_state GUID STATES SECONDS
wait_state() { jc wait "$1" "$2" "$3" >/dev/null; }
# wait_for SECONDS COMMAND...: until COMMAND succeeds
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}
# The 32 hex digits of a GUID's bytes, as in the temporaries' names: the
# string's first three groups are little-endian.
guid_hex() {
	local s=${1//[\{\}]/}
	local a=${s:0:8} b=${s:9:4} c=${s:14:4} d=${s:19:4} e=${s:24:12}
	echo "${a:6:2}${a:4:2}${a:2:2}${a:0:2}${b:2:2}${b:0:2}${c:2:2}${c:0:2}$d$e"
}
temps_in() { find "$1" -maxdepth 1 -name '.kbits-*.part' | wc -l; }
# same SRC DST: byte-exact and alice's
same() { cmp "$1" "$2" && [ "$(stat -c %u "$2")" = "$ALICE" ]; }
# complete_ok GUID DIR FILE...: completes; once COMPLETE returns the files
# are there (kbitsd placed them before its PLACED) and no temporary is left
complete_ok() {
	local g=$1 dir=$2 f
	shift 2
	jc complete "$g" >/dev/null || { echo "complete failed"; return 1; }
	for f in "$@"; do
		[ -e "$f" ] || { echo "$f is not there when COMPLETE returns"; return 1; }
	done
	[ "$(temps_in "$dir")" = 0 ] || { echo "temporaries left in $dir"; ls -la "$dir"; return 1; }
}
err_is() {	# err_is GUID CONTEXT CODE [FLAGS]: FLAGS 2 is KBITS_ERROR_HTTP
	local e
	if [ $# -ge 4 ]; then	# one read: a retry may clear the error
		e=$(jc errflags "$1") || return 1
		[ "$e" = "$2 $3 $4" ] || { echo "error (context code flags): $e"; return 1; }
		return 0
	fi
	e=$(jc error "$1") || return 1
	set -- "$2" "$3" $e
	[ "$1" = "$3" ] && [ "$2" = "$4" ] || { echo "error: $e"; return 1; }
}

# The worker of the job being transferred: kbitsd's child (found with
# builtins only: the transfer it works on may be over after a few seconds)
worker_pid() {
	local p c rest ppid
	c=/proc/$KPID/task/$KPID/children
	if [ -r "$c" ]; then
		# one line without a newline: read fails, but sets p
		read -r p rest <"$c"
		[ -n "$p" ] && { echo "$p"; return 0; }
		return 1
	fi
	for p in /proc/[0-9]*; do
		# /proc/PID/stat: pid (comm) state ppid ...
		read -r rest <"$p/stat" 2>/dev/null || continue
		rest=${rest##*) }
		ppid=${rest#* }
		ppid=${ppid%% *}
		[ "$ppid" = "$KPID" ] && { echo "${p#/proc/}"; return 0; }
	done
	return 1
}
