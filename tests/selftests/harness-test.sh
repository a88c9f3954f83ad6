#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Checks the harness's KTAP output (harness.h), and ktap-count's reading of
# it, with harness_test: every line it prints, its exit status, the counts.
#   tests/selftests/harness-test.sh HARNESS_TEST KTAP_COUNT
set -u
prog=$1
count=$2
out=$(mktemp)
trap 'rm -f "$out"' EXIT

"$prog" >"$out" 2>&1
rc=$?
# file:line of the failures vary with the build directory
sed -i -E 's|^( *)# [^ ]*harness_test\.c:[0-9]+: |\1# FILE:LINE: |' "$out"
status=0
if ! diff -u - "$out" <<'EXPECTED'; then
KTAP version 1
1..10
# RUN passes
ok 1 passes
# RUN expect_fails_and_goes_on
# FILE:LINE: Expected 1 (1) == 2 (2)
# after the EXPECT
not ok 2 expect_fails_and_goes_on
# RUN skips
ok 3 skips # SKIP not here
# RUN xfails
ok 4 xfails # XFAIL known
# RUN times_out
# times_out: timed out after 1 s
not ok 5 times_out # TIMEOUT 1 seconds
# RUN child_asserts
# FILE:LINE: Expected 1 (1) == 2 (2)
not ok 6 child_asserts
  KTAP version 1
  1..4
  # RUN fx.passes
  # setup passes
  # teardown passes, n 2
  ok 1 passes
  # RUN fx.asserts_then_teardown
  # setup asserts_then_teardown
  # FILE:LINE: Expected 0 (0) == self->n (3)
  # teardown asserts_then_teardown, n 3
  not ok 2 asserts_then_teardown
  # RUN fx.skips
  # setup skips
  # teardown skips, n 1
  ok 3 skips # SKIP no
  # RUN fx.thread_asserts
  # setup thread_asserts
  # FILE:LINE: Expected 1 (1) == 2 (2)
  not ok 4 thread_asserts
not ok 7 fx
# RUN between
ok 8 between
  KTAP version 1
  1..1
  # RUN bad.never_runs
  # FILE:LINE: Expected 0 (0) == 1 (1)
  not ok 1 never_runs
not ok 9 bad
  KTAP version 1
  1..2
  # RUN sk.one
  # sk.one: not run after its setup
  # teardown one
  ok 1 one # SKIP setup skips
  # RUN sk.two
  # sk.two: not run after its setup
  # teardown two
  ok 2 two # SKIP setup skips
ok 10 sk # SKIP all its tests
# Totals: pass:3 fail:6 xfail:1 xpass:0 skip:4 error:0
EXPECTED
	echo "harness-test: the output differs (- expected, + got)"
	status=1
fi
if [ "$rc" != 1 ]; then
	echo "harness-test: exit status $rc, not 1"
	status=1
fi
# leaves: 3 passed, 6 failed, 1 xfail + 4 skipped
got=$("$count" "$out")
if [ "$got" != "3 6 5" ]; then
	echo "harness-test: ktap-count counted \"$got\", not \"3 6 5\""
	status=1
fi
# a selection: a fixture's test by its full name, a plain one by its name
"$prog" fx.passes between >"$out" 2>&1 || status=1
got=$(grep -E '^ *(not )?ok ' "$out" | tr '\n' '|')
if [ "$got" != "  ok 1 passes|ok 1 fx|ok 2 between|" ]; then
	echo "harness-test: the selection ran \"$got\""
	status=1
fi
# -x leaves out: a fixture's test by its full name, a plain one by its name,
# a whole fixture; with a selection, from it
"$prog" -x fx.asserts_then_teardown -x times_out -x bad fx passes between \
	-x fx.thread_asserts >"$out" 2>&1 || status=1
got=$(grep -E '^ *(not )?ok ' "$out" | tr '\n' '|')
if [ "$got" != "ok 1 passes|  ok 1 passes|  ok 2 skips # SKIP no|ok 2 fx|ok 3 between|" ]; then
	echo "harness-test: the selection with -x ran \"$got\""
	status=1
fi
[ "$status" = 0 ] && echo "harness-test: ok"
exit $status
