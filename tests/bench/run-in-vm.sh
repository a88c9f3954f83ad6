#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs the benchmarks as root in the test VM: `make bench`.
# Usage: tests/bench/run-in-vm.sh KBITS_KO BUILD_DIR
set -euo pipefail
insmod "$1"
# Root is exempt from the job limits; the parameters stay as they are.
"$2/tests/bench/getjob_bench" -n 10000
rmmod kbits
