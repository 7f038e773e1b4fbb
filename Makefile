# SPDX-License-Identifier: GPL-2.0
#
# Convenience targets around the out-of-tree build. Object lists live in
# Kbuild, which kbuild reads in preference to this file.

ifneq ($(KERNELRELEASE),)
include $(src)/Kbuild
else

REF_KDIR := $(shell $(CURDIR)/scripts/build-ref-kernel.sh --print-dir debug 2>/dev/null)
# The kernel to build for: the running one, as for any external module,
# unless KDIR says otherwise. make check and the VM use the reference
# kernel (make test-modules).
KDIR ?= /lib/modules/$(shell uname -r)/build
KVER = $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)
# W=1 and -Werror (Kbuild) are not optional: a warning is a build failure.
KMAKE = $(MAKE) -C $(KDIR) M=$(CURDIR) W=1
# Where modules_install puts them: depmod searches updates/ before the
# kernel's own directory, so ours replace the in-tree vdpa modules.
INSTALL_MOD_DIR ?= updates/vdpa-stack

.PHONY: all modules modules_install test-modules kdir-check tests ref-kernel sparse \
	check check-long check-e2e bench demo vm clean help

all: modules

# kdir-check: a clear word before kbuild's own errors.
kdir-check: $(if $(filter $(KDIR),$(REF_KDIR)),ref-kernel)
	@test -f $(KDIR)/Makefile || { echo "vdpa-stack: no kernel build tree in $(KDIR)"; \
		echo "  install the headers of the kernel to build for, or pass KDIR=<6.12 build tree>"; \
		exit 1; }
	@case "$(KVER)" in 6.12|6.12.*) ;; *) \
		echo "vdpa-stack: $(KDIR) is Linux $(KVER); this stack is written for 6.12 (pass KDIR=...)"; \
		exit 1 ;; esac

# The stack's modules, and its KUnit suites when the kernel has KUnit; never
# the harness's own (VDPA_HARNESS=1, see Kbuild).
modules: kdir-check
	@echo "vdpa-stack: building for Linux $(KVER) in $(KDIR)$(if $(VDPA_HARNESS), with the harness modules)"
	$(KMAKE) modules
	@echo "vdpa-stack: built $$(sed 's|.*/||; s|\.o$$|.ko|' modules.order | tr '\n' ' ')"

# Installs what the last "make" built for KDIR (kbuild installs what
# modules.order lists), never the harness's modules (all under tests/):
# after make test-modules, run make again first.
modules_install: kdir-check
	@test -s modules.order || { echo "vdpa-stack: nothing built; run make first"; exit 1; }
	@! grep -q '^$(CURDIR)/tests/' modules.order || { \
		echo "vdpa-stack: the last build has the harness's modules; run make first"; exit 1; }
	$(KMAKE) INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) modules_install

# What make check, make vm and make demo load: every module, harness
# included, built against the debug reference kernel.
test-modules:
	$(MAKE) modules KDIR=$(REF_KDIR) VDPA_HARNESS=1

# Userspace test clients run inside the VM (tests/vm/t-*.sh).
TEST_BINS := build/tests/vhost_vdpa_test build/tests/vdpa_bench build/tests/vdpa_fuzz
tests: $(TEST_BINS)

build/tests/%: tests/vhost/%.c tests/vhost/vhost_client.h
	@mkdir -p $(@D)
	$(CC) -O2 -g -Wall -Wextra -Werror -pthread -o $@ $<

# The seeded vhost-vdpa fuzzer (tests/vm/t-fuzz.sh).
build/tests/vdpa_fuzz: tests/fuzz/vdpa_fuzz.c tests/vhost/vhost_client.h
	@mkdir -p $(@D)
	$(CC) -O2 -g -Wall -Wextra -Werror -Itests/vhost -o $@ $<

# The benchmark client (make bench), built with the tests so it stays compiled.
build/tests/vdpa_bench: tests/bench/vdpa_bench.c tests/vhost/vhost_client.h
	@mkdir -p $(@D)
	$(CC) -O2 -g -Wall -Wextra -Werror -Itests/vhost -o $@ $<

# Builds (or reuses from the cache) the debug reference kernel.
ref-kernel:
	@$(CURDIR)/scripts/build-ref-kernel.sh debug

# Rebuilds every object with sparse (C=2 checks files that are up to date).
sparse: ref-kernel
	$(MAKE) -C $(REF_KDIR) M=$(CURDIR) W=1 C=2 VDPA_HARNESS=1 modules

check:
	@$(CURDIR)/scripts/check.sh

# The long repetitions that make check runs a few times, at full count.
check-long:
	@$(CURDIR)/scripts/check.sh --long

# The slow end-to-end tests: QEMU guests nested in the test VM (tests/e2e/).
check-e2e: test-modules tests
	@$(CURDIR)/scripts/check-e2e.sh

# Ours against the upstream 6.12 modules in the bench kernel, side by side
# (Documentation/bench.rst). Prints a markdown table.
bench:
	@$(CURDIR)/scripts/bench.sh

# From a fresh machine: packages, kernel, modules, VM; then vDPA devices used
# by virtio_net, virtio_blk and DPDK testpmd in the VM, and a summary.
demo:
	@$(CURDIR)/scripts/demo.sh

# make vm            a shell in the test VM with our modules installed
# make vm CMD='...'  run one command there and return its exit status
vm: test-modules tests
ifeq ($(CMD),)
	@$(CURDIR)/scripts/vm-run.sh --shell
else
	@$(CURDIR)/scripts/vm-run.sh --out $(CURDIR)/build/vm-cmd -- sh -c '$(CMD)'; \
	status=$$?; cat $(CURDIR)/build/vm-cmd/log; exit $$status
endif

clean:
	$(MAKE) -C $(if $(wildcard $(KDIR)/Makefile),$(KDIR),$(REF_KDIR)) M=$(CURDIR) clean
	rm -rf $(CURDIR)/build

help:
	@echo 'make [KDIR=...]   build the stack for KDIR (default: the running kernel; Linux 6.12)'
	@echo 'make modules_install [KDIR=...]  install it under /lib/modules/KVER/updates/vdpa-stack'
	@echo 'make test-modules every module, the harness'"'"'s too, for the debug reference kernel'
	@echo 'make tests        the userspace test clients (build/tests/)'
	@echo 'make check        static checks + the VM test suite; ends with "N passed, N failed"'
	@echo 'make check-long   the long repetitions (driver switching, rebinds) at full count'
	@echo 'make check-e2e    QEMU 7.2 guests on /dev/vhost-vdpa-N, nested in the VM (slow)'
	@echo 'make bench        ours against the upstream 6.12 stack, side by side (bench kernel)'
	@echo 'make demo         from a fresh machine to vDPA devices used by virtio_net, virtio_blk and testpmd'
	@echo 'make vm [CMD=..]  shell (or one command) in the test VM'
	@echo 'make sparse       sparse C=2 over every source'
	@echo 'make ref-kernel   build the reference kernel into the cache'

endif
