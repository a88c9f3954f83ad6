# SPDX-License-Identifier: GPL-2.0
# What transfer-bench and jobs-bench share (sourced, not run): the disk,
# nginx, kbitsd and the statistics.  Run as root in the VM.
# shellcheck shell=bash

# bench_disk MNT: an ext4 file system at MNT for the data and the outputs.
# The VM's virtio-blk disk (tests/vm/run --disk IMAGE: /dev/vda), made ext4
# by the first bench and mounted at MNT, kept for the next one; without a
# disk, ext4 on a loop device of SIZE (default 1G) on the VM's tmpfs
# overlay, which is RAM.  Sets bench_fs to words that say which.
# shellcheck disable=SC2034 # bench_fs is the caller's
bench_disk() {
	local mnt=$1 size=${2:-1G}

	mkdir -p "$mnt"
	modprobe -a virtio_blk loop ext4 2>/dev/null || true
	if [ -b /dev/vda ]; then
		bench_fs="ext4 on the VM's virtio-blk disk (/dev/vda, a raw image, cache=none)"
		if ! mountpoint -q "$mnt"; then
			# the inode tables and journal now, not from a kernel thread
			# writing meanwhile
			mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 /dev/vda &&
				mount /dev/vda "$mnt" || return 1
		fi
		return 0
	fi
	bench_fs="ext4 on /dev/loop (a $size image file on the VM's tmpfs overlay: no --disk)"
	mountpoint -q "$mnt" && return 0
	truncate -s "$size" "$mnt.img"
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$mnt.img" &&
		mount -o loop "$mnt.img" "$mnt"
}

# bench_nginx DIR ROOT: nginx (Debian's nginx-light, a config of its own in
# DIR) serving ROOT on a free port of the loopback; sets ng_pid and url.
bench_nginx() {
	local d=$1 root=$2 port

	mkdir -p "$d/tmp"
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat >"$d/nginx.conf" <<EOF
daemon off;
worker_processes 2;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 256; }
http {
	access_log off;
	sendfile on;
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fastcgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	server {
		listen 127.0.0.1:$port;
		root $root;
	}
}
EOF
	/usr/sbin/nginx -c "$d/nginx.conf" -p "$d" 2>>"$d/error.log" &
	ng_pid=$!
	url=http://127.0.0.1:$port
	for _ in $(seq 100); do
		curl -s -o /dev/null "$url/" && return 0
		sleep 0.1
	done
	echo "bench: nginx did not start" >&2
	cat "$d/error.log" >&2
	return 1
}

# bench_kbitsd KBITSD LOG ARGS...: kbitsd in the foreground (its log to
# LOG), attached to /dev/kbits; sets kbitsd_pid.
bench_kbitsd() {
	local kbitsd=$1 log=$2

	shift 2
	"$kbitsd" --foreground "$@" 2>"$log" &
	kbitsd_pid=$!
	for _ in $(seq 100); do
		grep -q 'attached to /dev/kbits' "$log" && return 0
		sleep 0.1
	done
	echo "bench: kbitsd did not start" >&2
	cat "$log" >&2
	return 1
}

now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f", b - a }'; }
# vals V...: one a line, for stats
vals() { printf '%s\n' "$@"; }
# stats: "median min max" of the numbers on stdin, one a line
stats() {
	sort -g | awk '{ v[NR] = $1 }
	END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1], v[NR] }'
}
# ratios A B: A[i] / B[i] for each round (arrays by name)
ratios() {
	local -n a=$1 b=$2
	local i

	for i in "${!a[@]}"; do awk -v x="${a[$i]}" -v y="${b[$i]}" 'BEGIN { print x / y }'; done
}
# rates COUNT V...: COUNT / V for each
rates() {
	local c=$1 v

	shift
	for v in "$@"; do awk -v c="$c" -v x="$v" 'BEGIN { print c / x }'; done
}
list() { printf '%s ' "$@"; }
