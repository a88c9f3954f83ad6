#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs the TAP tests against the real module.  Inside the test VM, as root,
# from the project directory:
#   tests/vm/run -- tests/selftests/run-in-vm.sh kmod/kbits.ko build-check [--failslab]
# Loads KO (unloading a kbits already there), runs the programs of $programs
# below (kbits_queue_test ... kbits_record_test, then the 32-bit
# kbits_compat_test), with --failslab (a kernel with CONFIG_FAILSLAB: the
# debug lane) kbits_failslab_test, and then the module lifetime test (which
# unloads and reloads it), then unloads it.
# Before the lifetime test: kbits_stress (20 s; 60 s with --failslab) and,
# with --failslab only, kbits_fuzz (120 s), seeded with $KBITS_SEED if set,
# else with the time; the seed is printed, so a failure can be replayed;
# with --failslab, kbits_enum_test leaves out enum_many_jobs (the stock lane
# runs it); each step's time is printed ("# run-in-vm: X took N s");
# then, in the stock lane, the tools' tests: tests/kbitsd/run-tests,
# tests/kbitsd/run-auth-tests (credentials and write-only headers against
# nginx, apache2, tinyproxy and an NTLM server),
# tests/kbitsd/run-upload-tests (uploads to nginx and tests/kbitsd/httpd.py),
# tests/kbitsd/run-sched-tests (scheduling and bandwidth, over a veth pair
# to a network namespace shaped to 8 Mbit/s) and tests/kbitsctl/run-tests.
# With KBITS_GCOV_OUT=DIR in the environment, the module's gcov counters
# (a module built with KBITS_GCOV=y on a CONFIG_GCOV_KERNEL kernel) are
# copied to DIR at the end (tests/coverage/report reads them).  With
# KBITS_KUNIT_KO=PATH (a kernel with CONFIG_KUNIT), kbits_kunit.ko is loaded
# and unloaded first: its KUnit suites run as it loads.  With
# KBITS_KSELFTEST=DIR (the stock lane: tests/kselftest/run --install's
# DIR/install), those programs are the ones a kernel tree built and
# installed there, run by its run_kselftest.sh, which nests each program's
# KTAP under "# " (tests/selftests/ktap-count reads it).
# Prints their (K)TAP; exits non-zero when a step or a test failed.
set -u

if [ $# -lt 2 ] || [ $# -gt 3 ] || { [ $# = 3 ] && [ "$3" != --failslab ]; }; then
	echo "usage: $0 KBITS_KO BUILD_DIR [--failslab]" >&2
	exit 2
fi
ko=$(realpath "$1") || exit 2
here=$(cd "$(dirname "$0")" && pwd)
build=$2
failslab=${3:+1}
# The debug kernel (KASAN, lockdep, kmemleak) is several times slower: the
# selftests' timeouts are doubled there (their 100,000-job walks take ~300 s).
[ -n "$failslab" ] && export KBITS_TIMEOUT_SCALE=2
# In the order tests/selftests/Makefile's TEST_GEN_PROGS runs them.
programs="kbits_queue_test kbits_access_test kbits_limits_test kbits_args_test
	kbits_name_test kbits_lib_test kbits_enum_test kbits_job_test
	kbits_agent_test kbits_perm_test kbits_cred_test kbits_hostile_test
	kbits_record_test kbits_compat_test"
failtest="$build/tests/selftests/kbits_failslab_test"
modtest="$build/tests/selftests/kbits_module_test"
stress="$build/tests/selftests/kbits_stress"
fuzz="$build/tests/selftests/kbits_fuzz"

for f in "$ko" "$failtest" "$modtest" $programs; do
	case $f in kbits_*) f=$build/tests/selftests/$f ;; esac
	if [ ! -e "$f" ]; then
		echo "run-in-vm: $f is missing (make module; meson setup $build -Dcompat_test=enabled; meson compile -C $build)" >&2
		exit 2
	fi
done
for f in "$stress" "$fuzz"; do
	[ -e "$f" ] || { echo "run-in-vm: $f is missing (meson compile -C $build)" >&2; exit 2; }
done
if [ "$(id -u)" != 0 ]; then
	echo "run-in-vm: must run as root (in the VM)" >&2
	exit 2
fi

if [ -d /sys/module/kbits ]; then
	rmmod kbits || { echo "run-in-vm: cannot unload the kbits already loaded" >&2; exit 1; }
fi
insmod "$ko" || { echo "run-in-vm: insmod $ko failed" >&2; exit 1; }

# On a kernel with kmemleak (the debug lane), forget what boot left behind,
# so that the scan at the end reports only what happened since.
kmemleak=/sys/kernel/debug/kmemleak
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
[ -w "$kmemleak" ] && echo clear >"$kmemleak"

rc=0
# timed CMD...: runs CMD and says how long it took, so that a lane's time
# can be accounted for step by step; returns CMD's status.
timed() {
	local t0=$SECONDS r
	"$@"
	r=$?
	echo "# run-in-vm: ${1##*/} took $((SECONDS - t0)) s"
	return $r
}
# KBITS_KUNIT_KO=PATH (the debug lane, whose kernel has CONFIG_KUNIT): the
# KUnit suites of kbits.ko's insides run while kbits_kunit.ko loads, before
# any ioctl test; their KTAP goes to the kernel log, where tests/run-all
# counts each case.  A module that does not load or unload fails the run.
if [ -n "${KBITS_KUNIT_KO:-}" ]; then
	if insmod "$KBITS_KUNIT_KO"; then
		dmesg | sed -nE 's/^(\[[ 0-9.]*\] )? *# (kbits_[a-z0-9_]+: pass:.*)/# kunit: \2/p'
		rmmod kbits_kunit || { echo "run-in-vm: rmmod kbits_kunit failed" >&2; rc=1; }
	else
		echo "run-in-vm: insmod $KBITS_KUNIT_KO failed" >&2
		rc=1
	fi
fi
if [ -n "${KBITS_KSELFTEST:-}" ]; then
	# run_kselftest.sh exits 0 whatever its tests did: its output decides
	ksft_log=$(mktemp)
	timed "$KBITS_KSELFTEST/run_kselftest.sh" | tee "$ksft_log"
	read -r _ ksft_failed _ < <("$here/ktap-count" "$ksft_log")
	ksft_ran=$(grep -cE '^(not )?ok [0-9]+ selftests: ' "$ksft_log")
	ksft_listed=$("$KBITS_KSELFTEST/run_kselftest.sh" --list | wc -l)
	if [ "$ksft_failed" != 0 ] || [ "$ksft_ran" != "$ksft_listed" ]; then
		echo "run-in-vm: run_kselftest.sh: $ksft_failed failed, $ksft_ran of $ksft_listed programs reported" >&2
		rc=1
	fi
	rm -f "$ksft_log"
else
	for p in $programs; do
		# Slow cases run once, in the stock lane: enum_many_jobs makes
		# 10^5 jobs (minutes under KASAN) to test the walk's bound,
		# which the debug lane's other walks cover line for line.
		skip_args=()
		[ -n "$failslab" ] && [ "$p" = kbits_enum_test ] &&
			skip_args=(-x enum_many_jobs)
		timed "$build/tests/selftests/$p" "${skip_args[@]}" || rc=1
	done
fi
if [ -n "$failslab" ]; then
	if [ -d /sys/kernel/debug/failslab ] && [ -e /proc/self/fail-nth ]; then
		timed "$failtest" || rc=1
	else
		echo "run-in-vm: --failslab, but this kernel has no failslab or fail-nth" >&2
		rc=1
	fi
fi
# Bounded, seeded runs: stress in both lanes (races depend on speed), the
# fuzzer once, in the debug lane, where KASAN and UBSAN see what it breaks.
# Replay a failure with KBITS_SEED=<the seed printed>.
seed=${KBITS_SEED:-$(date +%s)}
echo "# run-in-vm: stress and fuzz seed $seed (KBITS_SEED=$seed replays)"
if [ -n "$failslab" ]; then
	timed "$stress" --seed "$seed" --seconds 60 || rc=1
	timed "$fuzz" --seed "$seed" --seconds 120 || rc=1
else
	timed "$stress" --seed "$seed" --seconds 20 || rc=1
fi
# The tools against this module: kbitsd's transfers, then kbitsctl (the
# stock lane only: they take minutes, and the stress run above already
# drives the agent's paths on the debug kernel).
if [ -z "$failslab" ]; then
	timed "$here/../kbitsd/run-tests" "$ko" "$build" || rc=1
	timed "$here/../kbitsd/run-auth-tests" "$ko" "$build" || rc=1
	timed "$here/../kbitsd/run-upload-tests" "$ko" "$build" || rc=1
	timed "$here/../kbitsd/run-sched-tests" "$ko" "$build" || rc=1
	timed "$here/../kbitsctl/run-tests" "$ko" "$build" || rc=1
fi
KBITS_KO="$ko" timed "$modtest" || rc=1

if [ -d /sys/module/kbits ]; then
	rmmod kbits || { echo "run-in-vm: rmmod kbits failed" >&2; rc=1; }
fi

# kmemleak reports an object only once it has stayed unreferenced across
# scans: scan, let it age, scan again.  A report also lands in dmesg, which
# the runner checks; print the details here.
if [ -w "$kmemleak" ]; then
	echo scan >"$kmemleak"
	sleep 6
	echo scan >"$kmemleak"
	if [ -s "$kmemleak" ]; then
		echo "# kmemleak reports:"
		sed 's/^/# /' "$kmemleak"
		rc=1
	fi
fi

# KBITS_GCOV_OUT=DIR (the debug lane, whose module is built with
# KBITS_GCOV=y): copy the module's coverage counters out of debugfs, where
# gcov keeps them after the module is unloaded.  cat, not cp: they are
# seq_files.
if [ -n "${KBITS_GCOV_OUT:-}" ]; then
	gcov=/sys/kernel/debug/gcov$(dirname "$ko")
	mkdir -p "$KBITS_GCOV_OUT"
	n=0
	for f in "$gcov"/*.gcda; do
		[ -e "$f" ] || continue
		cat "$f" >"$KBITS_GCOV_OUT/${f##*/}" && n=$((n + 1))
	done
	echo "# run-in-vm: $n coverage files copied from $gcov"
	[ "$n" -gt 0 ] || rc=1
fi
exit $rc
