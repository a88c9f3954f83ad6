# SPDX-License-Identifier: GPL-2.0
# The top-level entry point: builds the module (Kbuild) and userspace (meson)
# and runs things in the test VM.  `make help` lists the targets.

# The kernel to build for and boot in the VM: the newest one with headers.
KVER ?= $(shell scripts/kver)
KDIR ?= /lib/modules/$(KVER)/build
MESON_SANITIZE := -Db_sanitize=address,undefined -Dbuildtype=debug

.PHONY: all deps module userspace check check-debug bench walkthrough shell lint clean help

all: module userspace

help:
	@echo 'make               build kmod/kbits.ko and userspace (build/)'
	@echo 'make walkthrough   set up, then show GetJob at work in the VM'
	@echo 'make check         set up, then run every test (host + VM)'
	@echo 'make check-debug   the VM tests on a KASAN/lockdep/kmemleak kernel (built once, ~25 min)'
	@echo 'make bench         GET_JOB against pidfd_open and open(), at queue sizes (VM)'
	@echo 'make shell         a root shell in the VM, kmod/kbits.ko loaded'
	@echo 'make lint          checkpatch --strict and sparse on the module'
	@echo 'make deps          install missing Debian packages'

deps:
	scripts/install-deps

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

build/build.ninja:
	meson setup build
build-check/build.ninja:
	meson setup build-check $(MESON_SANITIZE)

userspace: build/build.ninja
	meson compile -C build

walkthrough: deps
	$(MAKE) all
	tests/vm/run -- scripts/walkthrough kmod/kbits.ko build

bench: module userspace
	tests/vm/run -- tests/bench/run-in-vm.sh kmod/kbits.ko build

shell: module userspace
	tests/vm/run --shell -- insmod kmod/kbits.ko

check: deps
	tests/run-all

check-debug: deps
	tests/run-all --debug

lint:
	scripts/lint-kernel $(KDIR)

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf build build-check build-debug
