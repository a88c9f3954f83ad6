#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Installs the Debian packages of kbits on the stock system of the test VM and
# uses them as a user would.  Inside the VM, as root, from the project
# directory (tests/install/run starts it):
#   tests/vm/run -- tests/install/run-in-vm.sh DEBDIR
# DEBDIR holds kbits-dkms, libkbits0, libkbits-dev and kbits-tools.  The VM's
# root is a tmpfs overlay on the host's: what dpkg and DKMS install here is
# gone when the VM stops.  Prints TAP; exits non-zero when a check failed.
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 DEBDIR" >&2
	exit 2
fi
debdir=$(realpath "$1") || exit 2
if [ "$(id -u)" != 0 ]; then
	echo "run-in-vm: must run as root (in the VM)" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
kver=$(uname -r)
version=0.1.0
modfile=/lib/modules/$kver/updates/dkms/kbits.ko
work=$(mktemp -d)
log=$work/log
n=0
failed=0

# check DESCRIPTION COMMAND...: one TAP line; the output of a failed command
# becomes TAP comments.
check() {
	local desc=$1
	shift
	n=$((n + 1))
	if "$@" >"$log" 2>&1; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc"
		sed 's/^/# /' "$log"
		failed=$((failed + 1))
	fi
}

# The VM's init sets up no /dev/fd (udev's job on a real system); dkms needs
# it for <(...).
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd

# The man-db trigger would rebuild the manual index, slowly under emulation.
rm -f /var/lib/man-db/auto-update

debs=()
for p in kbits-dkms libkbits0 libkbits-dev kbits-tools; do
	debs+=("$(ls "$debdir/${p}_${version}"-*.deb)")
done
echo "# installing ${debs[*]##*/}"
echo "# DKMS builds the module for $kver"
check "dpkg -i the four packages (DKMS builds the module)" \
	env DEBIAN_FRONTEND=noninteractive dpkg -i "${debs[@]}"

dkms_installed() { dkms status kbits | tee /dev/stderr | grep -q "^kbits/$version, $kver, .*: installed"; }
check "dkms status: kbits/$version installed for $kver" dkms_installed

module_in_updates() { [ "$(modinfo -n kbits)" = "$modfile" ]; }
check "modinfo finds the module in updates/dkms (depmod ran)" module_in_updates

[ ! -d /sys/module/kbits ] || rmmod kbits
loaded() { [ -d /sys/module/kbits ]; }
check "modprobe kbits" modprobe kbits
check "the module is loaded" loaded

devmode() { [ "$(stat -c %a /dev/kbits)" = 666 ]; }
check "/dev/kbits exists, mode 0666 (no udev rule needed)" devmode

# kbitsctl from PATH, as a user runs it.
in_path() { [ "$(command -v kbitsctl)" = /usr/bin/kbitsctl ]; }
check "kbitsctl is /usr/bin/kbitsctl" in_path
manpages() {
	[ "$(man -w kbitsctl)" = /usr/share/man/man1/kbitsctl.1.gz ] &&
		[ "$(man -w 3 libkbits)" = /usr/share/man/man3/libkbits.3.gz ]
}
check "man pages kbitsctl(1), libkbits(3) installed" manpages
kbitsd_installed() {
	[ -x /usr/sbin/kbitsd ] && [ -f /lib/systemd/system/kbitsd.service ] &&
		grep -qx 'ExecStart=/usr/sbin/kbitsd --foreground' /lib/systemd/system/kbitsd.service &&
		[ "$(man -w 8 kbitsd)" = /usr/share/man/man8/kbitsd.8.gz ]
}
check "kbitsd in /usr/sbin, its unit in /lib/systemd/system, kbitsd(8)" kbitsd_installed
# The installed kbitsd and kbitsctl move a file, and kbitsd keeps the
# queue in /var/lib/kbits (which purge removes, below).
transfer() {
	local pid rc dir=/tmp/kbits-installed
	mkdir -p "$dir" && chown nobody:nogroup "$dir" || return 1
	echo "installed" >"$dir/source.txt"
	/usr/sbin/kbitsd --foreground 2>"$work/kbitsd.log" &
	pid=$!
	sleep 1
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		kbitsctl transfer "$dir/source.txt" "$dir/copy.txt"
	rc=$?
	kill -TERM "$pid"
	wait "$pid" || rc=1
	cat "$work/kbitsd.log" >&2
	[ $rc = 0 ] && cmp "$dir/source.txt" "$dir/copy.txt" &&
		[ "$(stat -c %U "$dir/copy.txt")" = nobody ] && [ -f /var/lib/kbits/queue.db ]
}
check "kbitsd and kbitsctl transfer a file; the queue is kept in /var/lib/kbits" transfer
guid=
create() { guid=$(kbitsctl create --type upload installed-test) && echo "$guid" &&
	[[ $guid =~ ^\{[0-9a-f-]{36}\}$ ]]; }
check "kbitsctl create" create
show_info() { kbitsctl info "$guid" | tee /dev/stderr | grep -q '^State: *SUSPENDED$'; }
check "kbitsctl info" show_info
check "kbitsctl cancel" kbitsctl cancel "$guid"
gone() { kbitsctl info "$guid"; [ $? = 3 ]; }
check "kbitsctl info after cancel: not in the queue (exit 3)" gone

# A program built against the installed library, which loads the module.
check "rmmod kbits" rmmod kbits
check "pkg-config --modversion libkbits is $version" \
	test "$(pkg-config --modversion libkbits)" = "$version"
build() {
	# shellcheck disable=SC2046 # pkg-config's words are meant to split
	cc -Wall -Werror -o "$work/use-installed" "$here/use-installed.c" \
		$(pkg-config --cflags --libs libkbits) &&
		ldd "$work/use-installed" | tee /dev/stderr |
		grep -qE "libkbits\.so\.0 => (/usr)?/lib/x86_64-linux-gnu/libkbits\.so\.0 "
}
check "cc \$(pkg-config --cflags --libs libkbits) against the installed library" build
check "kbits_new(KBITS_LOAD_MODULE) loads the module; create, get, cancel a job" \
	"$work/use-installed"
check "the module is loaded again" loaded

# Removing the packages removes the module from every kernel.
check "rmmod kbits" rmmod kbits
check "dpkg --purge the four packages" \
	env DEBIAN_FRONTEND=noninteractive dpkg --purge kbits-tools libkbits-dev libkbits0 kbits-dkms
removed() {
	local f rc=0
	for f in "$modfile" /usr/src/kbits-$version /var/lib/dkms/kbits /usr/bin/kbitsctl \
		/usr/sbin/kbitsd /lib/systemd/system/kbitsd.service /var/lib/kbits \
		/usr/include/kbits /usr/lib/x86_64-linux-gnu/libkbits.so.0; do
		if [ -e "$f" ]; then echo "left behind: $f"; rc=1; fi
	done
	if modinfo kbits 2>/dev/null; then echo "modinfo still finds kbits"; rc=1; fi
	return $rc
}
check "nothing left: module, DKMS tree, library, kbitsctl, kbitsd, its queue" removed

rm -rf "$work"
echo "1..$n"
[ "$failed" = 0 ]
