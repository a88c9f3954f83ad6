#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs the benchmarks as root in the test VM: `make bench`.
# Usage: tests/bench/run-in-vm.sh KBITS_KO BUILD_DIR [DATAFILE]
# DATAFILE gets GET_JOB's latency against queue size (for latency.gp).
set -euo pipefail
insmod "$1"
# Root is exempt from the job limits, so the queue can hold 10^6 jobs with
# the parameters as they are.
"$2/tests/bench/getjob_bench" -n 1000000 ${3:+-o "$3"}
rmmod kbits
# Kernel memory per job in the states jobs are left in, on a fresh queue.
insmod "$1"
"$2/tests/bench/memory_bench"
rmmod kbits
# kbitsd against cp and curl, on a fresh queue.
insmod "$1"
"$(dirname "$0")/transfer-bench" "$2"
rmmod kbits
# kbitsd's many jobs against curl --parallel and a loop of curl, on a fresh
# queue.
insmod "$1"
"$(dirname "$0")/jobs-bench" "$2"
rmmod kbits
