# SPDX-License-Identifier: GPL-2.0
# Transfer throughput against file size on the VM's disk, from
# transfer-bench -o DATAFILE ("bytes cp curl kbitsctl-file kbitsctl-url"
# lines, MiB/s, the median of the rounds, each timed with the sync after it):
#   gnuplot -e "data='throughput.dat'; out='throughput.png'" tests/bench/throughput.gp
set terminal pngcairo size 720,420 font ",10"
set output out
set title "Throughput against file size, ext4 on virtio-blk (QEMU TCG guest, 2 vCPUs)" noenhanced
set xlabel "file size (bytes)"
set ylabel "MiB/s (median over rounds, to the sync)"
set logscale xy
set format x "10^{%L}"
set grid
set key top left
plot data using 1:2 with linespoints lw 2 pt 7 title "cp, then sync", \
     data using 1:3 with linespoints lw 2 pt 5 title "curl -o, then sync", \
     data using 1:4 with linespoints lw 2 pt 6 title "kbitsctl transfer FILE", \
     data using 1:5 with linespoints lw 2 pt 4 title "kbitsctl transfer URL (kbitsd)"
