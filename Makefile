# SPDX-License-Identifier: GPL-2.0
# The top-level entry point: builds the module (Kbuild) and userspace (meson)
# and runs things in the test VM.  `make help` lists the targets.

# The kernel to build for and boot in the VM: the newest one with headers.
KVER ?= $(shell scripts/kver)
KDIR ?= /lib/modules/$(KVER)/build
# make install: userspace under $(PREFIX), the module under /lib/modules;
# everything below $(DESTDIR) when it is set (then depmod and ldconfig are
# left to whoever installs the staged tree).
PREFIX ?= /usr/local
DESTDIR ?=
MODULE_DEST = $(DESTDIR)/lib/modules/$(KVER)/updates
# meson takes --destdir relative to the build directory: make it absolute.
MESON_DESTDIR = $(if $(DESTDIR),--destdir $(abspath $(DESTDIR)))
MESON_INSTALL_LOG = build/meson-logs/install-log.txt

.PHONY: all deps module userspace install uninstall check check-debug bench walkthrough shell lint clean help

all: module userspace

help:
	@echo 'make               build kmod/kbits.ko and userspace (build/)'
	@echo 'make install       install module, libkbits, headers, kbitsctl, kbitsd and its unit, man pages (PREFIX, DESTDIR, KVER)'
	@echo 'make uninstall     remove what make install installed'
	@echo 'make walkthrough   set up, then show a transfer and GetJob at work in the VM'
	@echo 'make check         set up, then run every test (host + VM)'
	@echo 'make check-debug   KUnit and the VM tests on a KASAN/lockdep/kmemleak kernel (built once, ~25 min), kmod/ coverage'
	@echo 'make bench         GET_JOB against pidfd_open, open() and a socket daemon at 10^2..10^6 jobs; kernel memory per job; kbitsd against cp and curl on a disk; many jobs; the agent under a create storm (VM, ~16 min)'
	@echo 'make shell         a root shell in the VM, kmod/kbits.ko loaded'
	@echo 'make lint          checkpatch --strict and sparse on the module'
	@echo 'make deps          install missing Debian packages'

deps:
	scripts/install-deps

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

build/build.ninja:
	meson setup build

userspace: build/build.ninja
	meson compile -C build

# The module goes to /lib/modules/$(KVER)/updates, which depmod ranks above
# the kernel's own modules; userspace through meson, with the prefix PREFIX.
install: module build/build.ninja
	install -D -m 0644 kmod/kbits.ko $(MODULE_DEST)/kbits.ko
ifeq ($(DESTDIR),)
	depmod -a $(KVER)
endif
	meson configure build -Dprefix=$(PREFIX)
	meson install -C build $(MESON_DESTDIR)
ifeq ($(DESTDIR),)
	ldconfig
endif

# Removes the module, and what meson's last install logged in
# build/meson-logs/install-log.txt: the files, and the directories it had to
# create, if they are empty (reverse order puts contents before their
# directory).  The logged paths include the DESTDIR of that install.
uninstall:
	rm -f $(MODULE_DEST)/kbits.ko
ifeq ($(DESTDIR),)
	[ ! -d $(MODULE_DEST) ] || rmdir --ignore-fail-on-non-empty $(MODULE_DEST)
	depmod -a $(KVER)
else
	[ ! -d $(MODULE_DEST) ] || (cd $(DESTDIR) && rmdir -p --ignore-fail-on-non-empty lib/modules/$(KVER)/updates)
endif
	@if [ ! -f $(MESON_INSTALL_LOG) ]; then \
		echo 'uninstall: no $(MESON_INSTALL_LOG): nothing was installed from build/' >&2; \
		exit 1; \
	fi
	grep -v '^#' $(MESON_INSTALL_LOG) | LC_ALL=C sort -r | while IFS= read -r f; do \
		if [ -d "$$f" ] && [ ! -L "$$f" ]; then \
			rmdir --ignore-fail-on-non-empty "$$f" || exit 1; \
		else \
			rm -f "$$f" || exit 1; \
		fi; \
	done
ifeq ($(DESTDIR),)
	ldconfig
endif

walkthrough: deps
	$(MAKE) all
	tests/vm/run -- scripts/walkthrough kmod/kbits.ko build

# The tables go to the terminal; build/bench/ keeps the VM's output, the
# data and the plots (tests/bench/run says how; BENCH_ARGS=--full for the
# issue's full counts, over an hour).
bench: deps module
	tests/bench/run $(BENCH_ARGS)

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
