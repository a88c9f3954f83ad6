#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs the benchmarks as root in the test VM (tests/bench/run, `make bench`),
# each on a fresh queue, and says how long each took.
# Usage: tests/bench/run-in-vm.sh KBITS_KO BUILD_DIR OUT_DIR [FULL]
# OUT_DIR gets latency.dat (GET_JOB against queue size, for latency.gp) and
# throughput.dat (MiB/s against file size, for throughput.gp). FULL=1 runs
# the issue's full counts; 0 (the default) cuts them to keep `make bench`
# near 16 minutes under TCG:
#   transfers    4 KiB, 1 MiB, 256 MiB in 3 rounds, 1 GiB in 1 (full: 5, 3)
#   jobs         8 x 16 MiB at once in 3 rounds; 200 small jobs, 1 round
#                (full: 5 rounds; 1,000 small jobs, 3 rounds)
#   agent        3 storm rounds of 4 s, 100 RESUMEs idle and 100 in the
#                storm (full: 5 rounds, 200 and 200)
set -euo pipefail
ko=$1 build=$2 out=$3 full=${4:-0}
here=$(cd "$(dirname "$0")" && pwd)

step() {
	local t0=$SECONDS

	insmod "$ko"
	"$@"
	rmmod kbits
	echo "# bench: ${1##*/} took $((SECONDS - t0)) s"
	echo
}

if [ "$full" = 1 ]; then
	xfer=(-r 5 -R 3) jobs=(5 8 16 1000 4 3) agent=(-r 5 -n 200)
else
	xfer=(-r 3 -R 1) jobs=(3 8 16 200 4 1) agent=(-r 3 -n 100)
fi
# Root is exempt from the job limits, so the queue can hold 10^6 jobs with
# the parameters as they are.
step "$build/tests/bench/getjob_bench" -n 1000000 -o "$out/latency.dat"
# Kernel memory per job in the states jobs are left in.
step "$build/tests/bench/memory_bench"
# kbitsd against cp and curl, on the disk.
step "$here/transfer-bench" -o "$out/throughput.dat" "${xfer[@]}" \
	-s "4K 1M 256M 1G" "$build"
# kbitsd's many jobs against curl --parallel and a loop of curl.
step "$here/jobs-bench" "$build" "${jobs[@]}"
# The agent under a create storm of 4 users.
step "$here/agent-bench" "$build" "${agent[@]}"
echo "# bench: all took $((SECONDS / 60)) min"
