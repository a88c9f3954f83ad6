# SPDX-License-Identifier: GPL-2.0
# GET_JOB + close of a random queued job against queue size, from
# getjob_bench -o DATAFILE ("jobs median p99 lowest highest" lines: the
# median of a size's rounds' medians, of their 99th percentiles, and the
# lowest and highest round median):
#   gnuplot -e "data='latency.dat'; out='latency.png'" tests/bench/latency.gp
set terminal pngcairo size 720,420 font ",10"
set output out
set title "GET_JOB + close of a random job against queue size (QEMU TCG guest, 2 vCPUs)" noenhanced
set xlabel "jobs in the queue"
set ylabel "ns per call"
set logscale x
set format x "10^{%L}"
set xrange [50:2000000]
set yrange [0:*]
set grid
set key top left
plot data using 1:2:4:5 with yerrorlines lw 2 pt 7 title "median (bars: lowest and highest round)", \
     data using 1:3 with linespoints lw 1 pt 6 title "p99"
