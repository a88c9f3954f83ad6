# SPDX-License-Identifier: GPL-2.0
# GET_JOB + close latency against queue size, from getjob_bench -o DATAFILE:
#   gnuplot -e "data='latency.dat'; out='latency.png'" tests/bench/latency.gp
set terminal pngcairo size 720,420 font ",10"
set output out
set title "GET_JOB + close against queue size (QEMU TCG guest, 2 vCPUs)" noenhanced
set xlabel "jobs in the queue"
set ylabel "ns per call (best of 5 rounds)"
set logscale x
set format x "10^{%L}"
set xrange [50:2000000]
set yrange [0:*]
set grid
set key off
plot data using 1:2 with linespoints lw 2 pt 7
