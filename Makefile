# SPDX-License-Identifier: GPL-2.0
#
# layerfs: a thin wrapper around Kbuild (which builds layerfs.ko from
# module/) in the manner of wireguard-linux-compat's src/Makefile, plus
# the layerctl helper, the selftests, the linters and the VM test run.
#
#   make [W=1]             layerfs.ko, helper/layerctl, build/selftests/
#   make lint              sparse (C=2) with W=1, checkpatch.pl --strict
#   make check [T=PATTERN] scripts/setup, build, lint, selftests in a VM,
#                          then the power-cut test (scripts/vm-powercut,
#                          two more boots; T=durability/powercut_test),
#                          on 6.12 and then on 6.1 (scripts/check-kernels)
#   make check KVER=K      the same on kernel K alone
#   make check KERNEL=debug  the same on the debug kernel (scripts/debug-kernel)
#   make check SLOW=1      the same with CPU hogs beside the guest (either kernel)
#   make check-docker      only selftests/docker (a real dockerd in the VM)
#   make demo              scripts/setup, build, the guided tour in a VM
#   make stress            stress-ng, fsx, races, fuzzer in a VM (~45 min)
#   make compat-report     the kernel feature probes' results for KVER
#   make bench [QUICK=1]   layerfs vs overlay vs native in an -icount VM
#   make install           after make: layerfs.ko for KVER (modules_install,
#                          depmod), layerctl, layerctl(8), layerfs(5)
#                          (PREFIX, DESTDIR); make uninstall removes them
#   make dkms-source       the module's source and dkms.conf in
#                          /usr/src/layerfs-VERSION (DESTDIR), for dkms add
#   make deb               out/deb/layerfs-dkms_VERSION_all.deb and
#                          layerctl_VERSION_amd64.deb (dpkg-buildpackage)
#   make clean
#
# KVER is the newest installed Debian 6.12 amd64 kernel that has a build
# directory; never the running kernel, which is not the target. Override
# KVER or KDIR to build for another one: KVER=6.1.0-NN-amd64 is Debian
# 12's default kernel, for every target that builds or boots one (make
# KVER=... check, stress, demo, compat-report). What differs between
# the two is found by feature probes (module/compat/Kbuild.include).

# KVER given (command line or environment): `make check` runs on that
# kernel alone. Otherwise, and without KERNEL=debug, on both series.
KVER_GIVEN := $(filter command line environment,$(origin KVER))

# KERNEL=debug: the reliability lane's debug kernel (KASAN, lockdep,
# kmemleak, fault injection), built once by scripts/debug-kernel and
# cached outside the repository; layerfs.ko is built against it and the
# guest boots it.
KERNEL ?=
ifeq ($(KERNEL),debug)
DEBUG_KDIR := $(shell scripts/debug-kernel)
ifeq ($(DEBUG_KDIR),)
$(error scripts/debug-kernel failed)
endif
KDIR := $(DEBUG_KDIR)
KVER := $(shell cat $(DEBUG_KDIR)/kernel.release)
VM_KERNEL := --kernel $(DEBUG_KDIR)/bzImage
# KASAN and lockdep under TCG: several times slower (the whole suite takes
# about 80 min on 2 idle cores, fault_test alone ~50 min; every harness timeout is
# scaled by 10, selftests/lib/harness.h), and more memory for the shadow.
VM_ARGS_DEBUG := --mem 3G
TIME_SCALE := 10
TEST_TIMEOUT := 7200
VM_TIMEOUT := 14400
else ifneq ($(KERNEL),)
$(error KERNEL=$(KERNEL): only KERNEL=debug is known)
else
# selftests/install lets DKMS build the module in the guest: about 13 min
# of compiling under TCG, 15 for the binary, and the suite about 25.
TIME_SCALE := 1
TEST_TIMEOUT := 2400
VM_TIMEOUT := 3600
endif

# SLOW=1: a slow machine on purpose, to show that no test depends on the
# machine's speed (no sleep stands in for a wait on a condition). One CPU
# hog per host CPU runs beside the guest (scripts/vm-run --hog 0), which
# then gets about half the CPU time; every bound - the harness's timeouts
# and every wait of the tests (LAYERFS_TIMEOUT_SCALE), each binary's
# (LAYERFS_TEST_TIMEOUT), the guest's - grows threefold to match.
SLOW ?= 0
ifeq ($(SLOW),1)
TIME_SCALE := $(shell echo $$(($(TIME_SCALE) * 3)))
TEST_TIMEOUT := $(shell echo $$(($(TEST_TIMEOUT) * 3)))
VM_TIMEOUT := $(shell echo $$(($(VM_TIMEOUT) * 3)))
VM_ARGS_SLOW := --hog 0
else ifneq ($(SLOW),0)
$(error SLOW=$(SLOW): 1 or 0)
endif
TEST_TIMEOUT_ENV := LAYERFS_TEST_TIMEOUT=$(TEST_TIMEOUT) LAYERFS_TIMEOUT_SCALE=$(TIME_SCALE)

# The newest installed Debian amd64 kernel of a series (a glob) that has
# a build directory.
newest_kernel = $(shell for d in /lib/modules/$(1)-amd64/build; do \
	[ -d "$$d" ] && basename "$$(dirname "$$d")"; done | sort -V | tail -n 1)
KVER_612 := $(call newest_kernel,*6.12*)
KVER_61 := $(call newest_kernel,6.1.[0-9]*)
KVER ?= $(KVER_612)
KDIR ?= /lib/modules/$(KVER)/build

# Kernel tree files used at build time, extracted from the Debian kernel
# source package once into build/ksrc/ (never copied into the repository)
# for all of the tree: the kselftest harness for selftests/ and for the
# helper's host tests (helper/Makefile and selftests/Makefile call
# `make -C .. ksrc`), checkpatch.pl and the two files it reads beside it
# for `make checkpatch`. KSRC_DIR=<kernel tree> copies them from a tree
# instead. The stamp records the source and the list: a change of either
# extracts again.
KSRC_TAR ?= /usr/src/linux-source-6.12.tar.xz
KSRC_DIR ?=
KSRC := $(CURDIR)/build/ksrc
KSRC_FILES := tools/testing/selftests/kselftest_harness.h \
	tools/testing/selftests/kselftest.h \
	scripts/checkpatch.pl scripts/spelling.txt \
	scripts/const_structs.checkpatch
KSRC_STAMP := $(or $(KSRC_DIR),$(KSRC_TAR)): $(KSRC_FILES)

# checkpatch.pl --strict --no-tree -f over the module, the uapi header,
# the helper with its host tests and the selftests, in one run (`make
# lint`; `make -C helper checkpatch` is this one too); every ERROR,
# WARNING and CHECK fails. --no-tree because there is no kernel tree
# around the files (spelling.txt and const_structs.checkpatch sit next to
# checkpatch.pl in build/ksrc/scripts/). One type is ignored everywhere,
# as it makes no sense outside the kernel tree:
#   FILE_PATH_CHANGES  "does MAINTAINERS need updating?" (there is none)
# Everything else stays on, SPDX_LICENSE_TAG included. The helper is
# userspace C, but it is clean under the module's rules and keeps them.
CHECKPATCH_IGNORE := FILE_PATH_CHANGES
CHECKPATCH_FILES = $(wildcard module/*.[ch] uapi/linux/*.h helper/*.[ch] helper/tests/*.c)
# The selftests have a pass of their own, for what sets them apart: four
# types of advice that only holds inside the kernel are off,
#   PREFER_KERNEL_TYPES  u32 for uint32_t: no such types in userspace
#   STRCPY               strscpy(): kernel only
#   BIT_MACRO            BIT(): kernel only (<linux/bits.h>)
#   PREFER_DEFINED_ATTRIBUTE_MACRO  __aligned(), __printf(): kernel only
#                        (<linux/compiler_attributes.h>)
# and one false finding dropped from the output: "spaces preferred
# around that '*'" on FIXTURE_DATA(x) *self and FIXTURE_VARIANT(x)
# *variant, which checkpatch reads as a multiplication (it cannot know
# that the harness's macro names a type); SPACING stays on elsewhere.
CHECKPATCH_SELFTESTS = $(wildcard selftests/*/*.[ch])
CHECKPATCH_IGNORE_SELFTESTS := $(CHECKPATCH_IGNORE) PREFER_KERNEL_TYPES STRCPY \
	BIT_MACRO PREFER_DEFINED_ATTRIBUTE_MACRO
CHECKPATCH_HARNESS_FILTER := perl -00 -ne 'print unless \
	/^CHECK:SPACING: spaces preferred around that .\*. \(ctx:WxV\)\n.*\n\+.*\bFIXTURE_(DATA|VARIANT)\(\w+\) \*/'
# TODO (issue 22): the selftests were not under checkpatch before, and
# these types still have findings there (`make checkpatch
# CHECKPATCH_SELFTESTS_TODO=` lists them). They are ignored in the
# selftests only, until fixed; drop each type once its findings are gone.
CHECKPATCH_SELFTESTS_TODO := ARRAY_SIZE ASSIGN_IN_IF BLOCK_COMMENT_STYLE \
	BRACES DEEP_INDENTATION EMBEDDED_FUNCTION_NAME \
	FUNCTION_ARGUMENTS INITIALISED_STATIC LINE_SPACING LONG_LINE \
	LONG_LINE_STRING MACRO_ARG_REUSE MACRO_ARG_UNUSED \
	MACRO_WITH_FLOW_CONTROL MULTIPLE_ASSIGNMENTS \
	MULTISTATEMENT_MACRO_USE_DO_WHILE OPEN_ENDED_LINE PARENTHESIS_ALIGNMENT \
	PREFER_FALLTHROUGH REPEATED_WORD SPLIT_STRING STATIC_CONST_CHAR_ARRAY \
	UNNECESSARY_ELSE VOLATILE

# Selftests to run in `make check` (substring of <dir>/<name>_test).
T ?=
# VM options for `make check` (scripts/vm-run --help).
VM_ARGS ?= --disk ext4 --disk xfs

SHELL := /bin/bash
NPROC := $(shell nproc)

all: module helper selftests

module:
	@if [ -z "$(KVER)" ] || [ ! -d "$(KDIR)" ]; then \
		echo "No build directory for kernel '$(KVER)' ($(KDIR));" \
			"run scripts/setup" >&2; exit 1; fi
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# What the feature probes found in KVER's headers (module/compat.h).
compat-report: module
	@echo "layerfs compat probes for $(KVER):"
	@sed -n 's|^#define \(HAVE_[A-Z0-9_]*\) 1$$|  yes  \1|p; s|^/\* \(HAVE_[A-Z0-9_]*\): no .*|  no   \1|p' \
		module/compat/have.h

# The helper comes with its own Makefile (helper/Makefile).
helper:
	$(if $(wildcard helper/Makefile),$(MAKE) -C helper,@:)

selftests: ksrc
	$(MAKE) -C selftests

# Into a fresh directory beside build/ksrc/ and then in its place, so
# that a reader never sees half a tree.
ksrc:
	@if [ "$$(cat $(KSRC)/.stamp 2>/dev/null)" != "$(KSRC_STAMP)" ]; then \
		mkdir -p $(dir $(KSRC)) && tmp=$$(mktemp -d $(KSRC).XXXXXX) || exit 1; \
		if [ -n "$(KSRC_DIR)" ]; then \
			echo "  COPY    $(KSRC_DIR) -> build/ksrc"; \
			for f in $(KSRC_FILES); do \
				install -D -m 0644 "$(KSRC_DIR)/$$f" "$$tmp/$$f" || \
					{ rm -rf "$$tmp"; exit 1; }; \
			done; \
		else \
			test -r $(KSRC_TAR) || { rm -rf "$$tmp"; \
				echo "$(KSRC_TAR) is missing; run scripts/setup" >&2; exit 1; }; \
			echo "  EXTRACT $(notdir $(KSRC_TAR)) -> build/ksrc"; \
			tar -xJf $(KSRC_TAR) -C "$$tmp" --strip-components=1 \
				--wildcards $(addprefix '*/',$(KSRC_FILES)) || \
				{ rm -rf "$$tmp"; exit 1; }; \
		fi; \
		echo "$(KSRC_STAMP)" > "$$tmp/.stamp"; \
		chmod 755 "$$tmp"; rm -rf $(KSRC); \
		mv -T "$$tmp" $(KSRC) 2>/dev/null || \
			{ rm -rf "$$tmp"; test -f $(KSRC)/.stamp; }; \
	fi

lint: sparse checkpatch uapi-check

# The uapi header stands alone and is C90 (what the kernel's
# headers_check and usr/include demand of uapi headers).
uapi-check:
	@mkdir -p build
	@printf '#include <linux/layerfs.h>\nint main(void) { return 0; }\n' > build/uapi-check.c
	$(CC) -std=c90 -pedantic -Wall -Wextra -Werror -Iuapi -fsyntax-only build/uapi-check.c
	@echo "uapi: C90 clean"

# Sparse and the W=1 compiler warnings in one kernel build: any
# "warning:" or "error:" line fails.
sparse:
	@mkdir -p build
	@set -o pipefail; \
	$(MAKE) --no-print-directory -C $(KDIR) M=$(CURDIR) C=2 W=1 modules 2>&1 | \
		tee build/sparse.log
	@if grep -E ': (warning|error):' build/sparse.log > build/sparse.findings; then \
		echo "sparse/W=1: $$(wc -l < build/sparse.findings) finding(s):"; \
		cat build/sparse.findings; exit 1; \
	fi
	@echo "sparse/W=1: clean"

CHECKPATCH := perl $(KSRC)/scripts/checkpatch.pl --strict --no-tree --no-summary \
	--quiet --show-types

checkpatch: ksrc
	@set -o pipefail; { \
		$(CHECKPATCH) $(addprefix --ignore ,$(CHECKPATCH_IGNORE)) \
			-f $(CHECKPATCH_FILES); \
		$(CHECKPATCH) $(addprefix --ignore ,$(CHECKPATCH_IGNORE_SELFTESTS) \
			$(CHECKPATCH_SELFTESTS_TODO)) -f $(CHECKPATCH_SELFTESTS) | \
			$(CHECKPATCH_HARNESS_FILTER); \
	} 2>&1 | tee build/checkpatch.log || true
	@if grep -E '^(ERROR|WARNING|CHECK):' build/checkpatch.log > build/checkpatch.findings; then \
		echo "checkpatch: $$(grep -c '^ERROR' build/checkpatch.findings) error(s)," \
			"$$(grep -c '^WARNING' build/checkpatch.findings) warning(s)," \
			"$$(grep -c '^CHECK' build/checkpatch.findings) check(s)"; \
		exit 1; \
	fi
	@echo "checkpatch: clean ($(words $(CHECKPATCH_FILES) $(CHECKPATCH_SELFTESTS)) files)"

# The whole test run: what CI runs (.ci/run). The packages are built for
# selftests/install, which installs them in the guest as a user would.
# `make check` without KVER: Debian 12's two series, 6.12 then 6.1, one
# after the other (scripts/check-kernels: the tree is built for one
# kernel at a time), with one last line for both. With KVER, or
# KERNEL=debug: check-one, that kernel alone.
ifeq ($(KVER_GIVEN)$(KERNEL),)
check: setup
	@scripts/check-kernels $(KVER_612) $(KVER_61) -- $(if $(T),T="$(T)") \
		$(if $(filter 1,$(SLOW)),SLOW=1)
else
check: check-one
endif

# VM_LOG: the guest's console log (scripts/vm-run --log), if not
# out/vm-console.log.
VM_LOG ?=
check-one: setup
	@$(MAKE) --no-print-directory -j$(NPROC) all W=1
	@$(MAKE) --no-print-directory lint
	@mkdir -p out
	@echo "  DEB     out/deb/ (log: out/deb.log)"
	@$(MAKE) --no-print-directory deb > out/deb.log 2>&1 || \
		{ tail -n 30 out/deb.log; echo "make deb failed (out/deb.log)" >&2; exit 1; }
	@$(TEST_TIMEOUT_ENV) scripts/vm-selftests --kver $(KVER) $(VM_KERNEL) $(VM_ARGS) \
		$(VM_ARGS_DEBUG) $(VM_ARGS_SLOW) $(if $(VM_LOG),--log $(VM_LOG)) \
		--timeout $(VM_TIMEOUT) -- $(T)

# The guided tour (scripts/demo-guest): a busybox image store, layerctl
# mounts of the image and a container, writes landing in the container's
# diff dir, the same tree as overlayfs.
demo: setup
	@$(MAKE) --no-print-directory -j$(NPROC) all
	@scripts/vm-run --kver $(KVER) --timeout 600 --log out/demo-console.log \
		-- scripts/demo-guest

# Long runs, not part of `make check` (scripts/stress-guest).
STRESS_SECS ?= 150
FSX_OPS ?= 10000
stress: setup
	@$(MAKE) --no-print-directory -j$(NPROC) all
	@LAYERFS_STRESS_SECS=$(STRESS_SECS) LAYERFS_STRESS_FSX=$(FSX_OPS) \
		scripts/vm-run --kver $(KVER) $(VM_KERNEL) --disk ext4 --timeout 7200 \
		--log out/stress-console.log -- scripts/stress-guest 2>&1 | \
		tee out/stress.log; exit $${PIPESTATUS[0]}

# Benchmarks (scripts/bench): results and plots in bench/results/.
QUICK ?= 0
ROUNDS ?= 5
bench: setup
	@$(MAKE) --no-print-directory -j$(NPROC) all
	@scripts/bench --rounds $(ROUNDS) $(if $(filter 1,$(QUICK)),--quick)

# The end-to-end test with dockerd alone (it is part of `make check` too).
check-docker:
	@$(MAKE) --no-print-directory check T=docker/

setup:
	@scripts/setup

# The one version of layerfs: modinfo's (Kbuild reads the file too),
# layerctl --version's and the packages'.
VERSION := $(shell cat scripts/VERSION)

# Install on this machine (as root, after make): the module into
# /lib/modules/KVER/updates/ by Kbuild's modules_install, depmod, and
# layerctl with its man page under PREFIX (helper/Makefile). DESTDIR
# stages it all in a directory instead (no depmod then). Neither builds:
# a root-owned build tree is what `make && sudo make install` avoids.
# The module stays unsigned: Debian's headers have no signing key (Kbuild
# would try and fail), and Debian's kernel loads unsigned modules unless
# Secure Boot is on (then sign it with a MOK, as dkms does). Kbuild's own
# depmod needs System.map, which the headers lack: depmod runs here.
PREFIX ?= /usr/local
MANDIR ?= $(PREFIX)/share/man
INSTALL_MOD_DIR := updates
MOD_DEST = $(DESTDIR)/lib/modules/$(KVER)/$(INSTALL_MOD_DIR)

install:
	@for f in layerfs.ko helper/layerctl; do [ -f $$f ] || \
		{ echo "install: $$f is not built (run make first)" >&2; exit 1; }; done
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_PATH=$(DESTDIR) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) CONFIG_MODULE_SIG_ALL= modules_install
	$(if $(DESTDIR),,depmod -a $(KVER))
	install -D -m 0644 Documentation/layerfs.5 $(DESTDIR)$(MANDIR)/man5/layerfs.5
	$(MAKE) -C helper install PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

uninstall:
	rm -f $(addprefix $(MOD_DEST)/layerfs.ko,'' .xz .zst .gz)
	$(if $(DESTDIR),,depmod -a $(KVER))
	rm -f $(DESTDIR)$(MANDIR)/man5/layerfs.5
	$(MAKE) -C helper uninstall PREFIX=$(PREFIX) DESTDIR=$(DESTDIR)

# What DKMS builds from: /usr/src/layerfs-VERSION (the layerfs-dkms
# package's content). Then `dkms add layerfs/VERSION` and `dkms install
# layerfs/VERSION` (README, "Install on a host").
DKMS_SRC = $(DESTDIR)/usr/src/layerfs-$(VERSION)
DKMS_FILES = Kbuild scripts/VERSION $(wildcard module/*.[ch] uapi/linux/*.h) \
	module/compat/Kbuild.include $(wildcard module/compat/probes/*.c)

dkms-source:
	@for f in $(DKMS_FILES); do \
		install -D -m 0644 $$f $(DKMS_SRC)/$$f || exit 1; done
	sed 's/#MODULE_VERSION#/$(VERSION)/' scripts/packaging/dkms.conf > \
		$(DKMS_SRC)/dkms.conf
	@echo "dkms-source: $(DKMS_SRC)"

# The packages, by dpkg-buildpackage in a tree assembled in out/deb/
# from the files they need and scripts/packaging/debian/ (no debian/ at
# the top: its layout is fixed), with a changelog of VERSION.
DEB_DIR := out/deb
DEB_TREE := $(DEB_DIR)/layerfs-$(VERSION)
DEB_FILES = Makefile $(DKMS_FILES) helper/Makefile $(wildcard helper/*.[ch]) \
	Documentation/layerctl.8 Documentation/layerfs.5 scripts/packaging/dkms.conf

deb:
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_TREE)
	cp --parents $(DEB_FILES) $(DEB_TREE)/
	cp -r scripts/packaging/debian $(DEB_TREE)/debian
	printf 'layerfs (%s) unstable; urgency=medium\n\n  * layerfs %s.\n\n -- %s  %s\n' \
		'$(VERSION)' '$(VERSION)' \
		"$$(sed -n 's/^Maintainer: //p' scripts/packaging/debian/control)" \
		"$$(date -R)" > $(DEB_TREE)/debian/changelog
	cd $(DEB_TREE) && dpkg-buildpackage -b -us -uc
	@ls $(DEB_DIR)/*.deb

clean:
	$(if $(KVER),$(MAKE) -C $(KDIR) M=$(CURDIR) clean)
	$(if $(wildcard helper/Makefile),$(MAKE) -C helper clean)
	rm -rf build out/deb .checkpatch-camelcase.*

.PHONY: all module helper selftests ksrc lint sparse checkpatch check check-one demo \
	compat-report \
	check-docker bench \
	stress setup clean uapi-check install uninstall dkms-source deb
