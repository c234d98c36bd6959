# vmemory: build, run and test.
#
#   make          build the DOS programs (build/*.EXE), the C library
#                 (build/VMEMORY.OBJ, build/VMEMORY.LIB) and helpers
#   make run      build and run the demo in headless DOSBox (ENGINE=dosbox-x for DOSBox-X,
#                 ENGINE=qemu CONFIG=emm for FreeDOS + HimemX + Jemm386 in QEMU)
#   make bench    build and run the DOS benchmark (minutes: real-speed emulation);
#                 writes build/bench/OUT.TXT and the chart build/bench/BENCH.SVG,
#                 then the same figures from C through the shim (make bench-c)
#   make test     host tests (cargo test, OMF checks), then the DOS suite under DOSBox,
#                 DOSBox-X and QEMU (FreeDOS with real memory managers; skipped without fixtures)
#   make profile  instructions per call and per function of the C library's
#                 resident-block calls (QEMU instruction log; tools/profile.sh)
#   make size     bytes of code and data per module of the C library image
#                 (make size-check, in make test: the resident bytes against LIB_BUDGET)
#   make doc      the API documentation for the DOS target (target/i386-dos/doc)
#   make test-watcom  the C examples and conformance client built with Open
#                 Watcom in all four models (only when WATCOM is set), and the
#                 examples built from the unpacked release with its MAKEFILE
#   make dist     the release: build/dist/VMEM<version>.ZIP, a FreeDOS package
#                 (library, header, manual, examples, license, sources)
#   make test-dist  the package as users get it: unpacked, checked file by
#                 file, a client linked against its library alone and run
#
# Both `run` and `test` first install what is missing (harness/deps.sh).

SHELL := /bin/bash
BUILD := build
ENGINE ?= dosbox
CONFIG ?= xms+ems
DOS_TARGET := i386-dos
DOS_OUT := target/$(DOS_TARGET)/release

# The DOS target (nightly-only flags on Debian's stable rustc: core is built
# for the custom target), for every cargo command below that builds for DOS.
CARGO_DOS_FLAGS := --release --target $(DOS_TARGET).json -Zbuild-std=core \
	-Zbuild-std-features=compiler-builtins-mem -Zjson-target-spec --features vmemory/dos
# The workspace's DOS packages: vmemory (the demo, the C library image, the
# Rust examples) and dostests (the test programs and the benchmark).
DOS_PACKAGES := -p vmemory -p dostests

# The test programs are whatever cargo finds in dostests/src/bin (NAME.rs or
# NAME/main.rs): a new one needs no line here, only its line in
# harness/tests.list. Cargo bin name -> 8.3 file name in build/.
TEST_BINS := $(sort $(basename $(notdir $(wildcard dostests/src/bin/*.rs))) \
	$(notdir $(patsubst %/main.rs,%,$(wildcard dostests/src/bin/*/main.rs))))
DOS_BINS := demo $(TEST_BINS)
DOS_EXES := $(foreach b,$(DOS_BINS),$(BUILD)/$(shell echo $(b) | tr a-z A-Z).EXE)

.PHONY: all deps dos run bench test test-host test-dos test-runner lint clean

all: dos cabi rust-app $(BUILD)/EXITCODE.COM $(BUILD)/FAULTINJ.COM

deps:
	@harness/deps.sh

# One cargo invocation for both packages (one build of core); cargo decides
# what is stale, and the objcopy step is cheap.
dos:
	@mkdir -p $(BUILD)
	RUSTC_BOOTSTRAP=1 cargo build $(CARGO_DOS_FLAGS) $(DOS_PACKAGES) --bins
	@for b in $(DOS_BINS); do \
		objcopy -O binary $(DOS_OUT)/$$b $(BUILD)/$$(echo $$b | tr a-z A-Z).EXE || exit 1; \
	done
	@ls -l $(DOS_EXES) | awk '{ printf "  %-20s %6d bytes\n", $$9, $$5 }'

# A Rust DOS program in a package of its own (examples/rust-app) that uses
# vmemory as a dependency (src/main.rs, the README's program -> RUSTAPP.EXE;
# src/bin/appcheck.rs, the detailed checks -> APPCHECK.EXE), built as
# README.md ("Using it from Rust") says: its .cargo/config.toml names
# vmemory's target JSON, linker script and build-std flags. Its own target
# directory, so core and alloc are built for it apart from the C library's
# build (which stays free of alloc).
RUST_APP := examples/rust-app
RUST_APP_OUT := target/rust-app/$(DOS_TARGET)/release
.PHONY: rust-app
rust-app:
	@mkdir -p $(BUILD)
	cd $(RUST_APP) && RUSTC_BOOTSTRAP=1 cargo build --release --target-dir $(CURDIR)/target/rust-app
	@objcopy -O binary $(RUST_APP_OUT)/rust-app $(BUILD)/RUSTAPP.EXE
	@objcopy -O binary $(RUST_APP_OUT)/appcheck $(BUILD)/APPCHECK.EXE
	@ls -l $(BUILD)/RUSTAPP.EXE $(BUILD)/APPCHECK.EXE | awk '{ printf "  %-20s %6d bytes\n", $$9, $$5 }'

$(BUILD)/EXITCODE.COM: harness/exitcode.asm
	@mkdir -p $(BUILD)
	nasm -f bin -o $@ $<

# The fault injector of the DOS suite (T_FAULT.EXE's runs load it first).
$(BUILD)/FAULTINJ.COM: harness/faultinj.asm
	@mkdir -p $(BUILD)
	nasm -f bin -o $@ $<

# $(call dos_run,EXE ARGS,ENGINE,CONFIG,DIR,TIMEOUT): runs one program in a
# fresh DIR (with EXITCODE.COM; RUN.BAT from harness/runbat.sh) under ENGINE
# and conf/CONFIG.conf, prints its output, its exit code and the wall time,
# and fails if the emulator did.
define dos_run
	@rm -rf $(4) && mkdir -p $(4)
	@cp $(BUILD)/$(firstword $(1)) $(BUILD)/EXITCODE.COM $(4)/
	@harness/runbat.sh $(4) $(3) "$(1) > OUT.TXT" "EXITCODE.COM > RC.TXT"
	@echo "== $(1) under $(2) (conf/$(3).conf$$(grep -h '^cycles' conf/$(3).conf | sed 's/^/: /')) =="
	@t0=$$(date +%s); harness/dosrun.sh $(2) $(3) $(4) $(5); rc=$$?; \
	 tr -d '\r' < $(4)/OUT.TXT; \
	 echo "== exit code: $$(tr -dc 0-9 < $(4)/RC.TXT) (emulator status $$rc), $$(( $$(date +%s) - t0 )) s wall =="; \
	 exit $$rc
endef

run: deps all
	$(call dos_run,DEMO.EXE,$(ENGINE),$(CONFIG),$(BUILD)/run,300)

# The benchmark (dostests/src/bin/bench) at cycles=fixed 3000 (conf/bench.conf):
# emulated time then runs at real speed, so this takes minutes and is not
# part of `make test` (which runs `BENCH.EXE quick` instead).
BENCH_CONFIG ?= bench
bench: deps all
	$(call dos_run,BENCH.EXE,$(ENGINE),$(BENCH_CONFIG),$(BUILD)/bench,900)
	$(BENCHCHART) draw $(BUILD)/bench/OUT.TXT $(BUILD)/bench/BENCH.SVG
	@$(MAKE) --no-print-directory bench-c

# The same figures as C programs see them (asm/c_bench.asm: far Pascal calls
# through the shim, the per-call costs of issue 14 and the published shapes),
# under the same configuration: build/benchc/OUT.TXT.
.PHONY: bench-c
bench-c: deps all
	$(call dos_run,C_BENCH.EXE,$(ENGINE),$(BENCH_CONFIG),$(BUILD)/benchc,900)
	@[ "$$(tr -dc 0-9 < $(BUILD)/benchc/RC.TXT)" = 0 ]

# An instruction-level profile of the per-call costs from C (tools/profile.sh:
# C_BENCH.EXE profile under QEMU with every instruction logged, attributed to
# the image's functions and the shim's labels). Needs the real-DOS fixtures.
.PHONY: soak
# The fault walk long and the shadow-model random soak (harness/soak.sh):
# a million operations per configuration by default, hours in all;
# SOAK_OPS, SOAK_QEMU_OPS, SOAK_K, SOAK_SEEDS, ENGINES make it shorter.
soak: deps all
	harness/soak.sh $(BUILD)

.PHONY: profile
profile: deps all
	tools/profile.sh $(BUILD) $(DOS_OUT)/vmmimage

# The chart of the benchmark's figures (tools/benchchart, a host tool of its
# own): `make bench` draws build/bench/BENCH.SVG from the FIG lines of
# OUT.TXT (docs/bench.svg is a copy from a full run, shown in README.md).
# `make test` draws one from a quick run and checks its labels and bars.
BENCHCHART := cargo run -q --release --manifest-path tools/benchchart/Cargo.toml --target-dir target/benchchart --
.PHONY: test-chart
test-chart:
	cargo test -q --release --manifest-path tools/benchchart/Cargo.toml --target-dir target/benchchart
	$(call dos_run,BENCH.EXE quick,dosbox,xms+ems,$(BUILD)/benchq,120)
	$(BENCHCHART) draw $(BUILD)/benchq/OUT.TXT $(BUILD)/benchq/BENCH.SVG
	$(BENCHCHART) check $(BUILD)/benchq/BENCH.SVG

test: deps all
	@$(MAKE) --no-print-directory lint
	@$(MAKE) --no-print-directory test-host
	@$(MAKE) --no-print-directory test-omf
	@$(MAKE) --no-print-directory size-check
	@$(MAKE) --no-print-directory test-dist
	@$(MAKE) --no-print-directory test-runner
	@$(MAKE) --no-print-directory test-chart
	@$(MAKE) --no-print-directory test-dos

test-host:
	cargo test --release

test-dos:
	harness/dostest.sh $(BUILD)

# The DOSBox-X runner's own self-test (hang, fault and retry, exit codes, files back).
test-runner:
	tools/dosbox-x/selftest.sh

# Formatting, clippy (DOS target and host, warnings are errors) and rustdoc
# for the DOS target: the crates deny missing docs and unsafe blocks
# without a SAFETY note.
lint:
	cargo fmt --all --check
	RUSTC_BOOTSTRAP=1 cargo clippy -q $(CARGO_DOS_FLAGS) $(DOS_PACKAGES) --lib --bins -- -D warnings
	cargo clippy -q --release --tests --examples -- -D warnings
	RUSTC_BOOTSTRAP=1 RUSTDOCFLAGS="-D warnings" cargo doc -q --no-deps $(CARGO_DOS_FLAGS) --features alloc --lib
	RUSTC_BOOTSTRAP=1 cargo clippy -q $(CARGO_DOS_FLAGS) --features alloc --lib -- -D warnings
	cd $(RUST_APP) && cargo fmt --check && RUSTC_BOOTSTRAP=1 cargo clippy -q --release --bins --target-dir $(CURDIR)/target/rust-app -- -D warnings
	cd tools/benchchart && cargo fmt --check && cargo clippy -q --release --target-dir $(CURDIR)/target/benchchart -- -D warnings
	@awk '/^<!-- examples\/rust-app\/src\/main.rs -->/ { f = 1; next } f && /^```rust/ { p = 1; next } p && /^```/ { exit } p' README.md \
	 | diff -u $(RUST_APP)/src/main.rs - || { echo "lint: README.md's copy of $(RUST_APP)/src/main.rs differs"; exit 1; }
	@echo "lint: clean"

# The API documentation, built for the DOS target with the `alloc` feature
# (so the near heap is documented too).
.PHONY: doc
doc:
	RUSTC_BOOTSTRAP=1 RUSTDOCFLAGS="-D warnings" cargo doc -q --no-deps $(CARGO_DOS_FLAGS) --features alloc --lib
	@echo "  API docs: target/$(DOS_TARGET)/doc/vmemory/index.html"

clean:
	rm -rf $(BUILD) target

# ---- The C ABI (asm/vmemory.asm, src/cabi, include/vmemory.h) -------------
# vmmimage (linked by src/cabi/image.ld) -> VMMIMAGE.BIN, incbin'd by the shim:
#   nasm -f obj -> VMEMORY.OBJ -> tools/omf -> VMEMORY.LIB   (for C programs)
#   nasm -f bin -> T_CABI.EXE  (the CI client: same shim source, no linker)
.PHONY: cabi size size-check test-omf test-watcom
OMF := cargo run -q --release --manifest-path tools/omf/Cargo.toml --target-dir target/omf --
VM_PUBLICS := _VHEAPINIT,_VHEAPTERM,_VMALLOC,_VFREE,_VREALLOC,_VMSIZE,_VLOAD,_VLOCK,_VUNLOCK,_VLOCKCNT,$\
	_cPageDos,_fVmSwapping,_fVmDisableDisk,_fhVm,_fVmDisableEms,_fVmDisableXms,_segVmDos,_cVmPage,_fVmInitialized
# A header word of the image (src/cabi/mod.rs): 6 = stack top, 8 = file size, 12 = end of .bss.
img_word = $$(od -An -tu2 -j$(1) -N2 $(BUILD)/VMMIMAGE.BIN | tr -d ' ')
# The release (Cargo.toml's version): in the library's bytes, the header,
# the manual, the package and its name (make dist).
VERSION := $(shell sed -n 's/^version = "\(.*\)"$$/\1/p' Cargo.toml | head -1)
VM_NASM = -Iasm/ -DVM_IMAGE_FILE='"$(CURDIR)/$(BUILD)/VMMIMAGE.BIN"' -DVM_IMAGE_TOP=$(call img_word,6) \
	-DVM_VERSION='"$(VERSION)"'

cabi: dos
	@objcopy -O binary $(DOS_OUT)/vmmimage $(BUILD)/VMMIMAGE.BIN
	@objcopy -O binary $(DOS_OUT)/vmall $(BUILD)/VMALL.EXE
	@objcopy -O binary $(DOS_OUT)/vmarray $(BUILD)/VMARRAY.EXE
	nasm -f obj $(VM_NASM) -o $(BUILD)/VMEMORY.OBJ asm/vmemory.asm
	nasm -f bin $(VM_NASM) -o $(BUILD)/T_CABI.EXE asm/t_cabi.asm
	nasm -f bin $(VM_NASM) -o $(BUILD)/C_EXITS.EXE asm/c_exits.asm
	nasm -f bin $(VM_NASM) -DVM_MAP=$(CURDIR)/$(BUILD)/C_BENCH.MAP -o $(BUILD)/C_BENCH.EXE asm/c_bench.asm
	$(OMF) lib $(BUILD)/VMEMORY.LIB $(BUILD)/VMEMORY.OBJ
	@top=$(call img_word,6); file=$(call img_word,8); bss=$(call img_word,12); \
	 seg=$$($(OMF) check $(BUILD)/VMEMORY.OBJ | awk '/SEGDEF 1 VMEMORY_TEXT/ { print $$NF }'); \
	 shim=$$(( seg - top )); \
	 echo "  C library: shim $$shim bytes + image $$file bytes (code+data) + $$((bss - file)) bss + $$((top - bss)) stack = $$((shim + top)) bytes resident, 18 bytes in DGROUP"
	@ls -l $(BUILD)/VMEMORY.OBJ $(BUILD)/VMEMORY.LIB $(BUILD)/T_CABI.EXE $(BUILD)/C_EXITS.EXE $(BUILD)/C_BENCH.EXE $(BUILD)/VMALL.EXE $(BUILD)/VMARRAY.EXE | awk '{ printf "  %-20s %6d bytes\n", $$9, $$5 }'

# Bytes of code and data per module of the C library image (and of the demo,
# a Rust program with the VMM linked in), from the ELF symbol tables.
size: cabi
	@tools/size-report.sh $(DOS_OUT)/vmmimage "the C library image (VMMIMAGE.BIN)"
	@tools/size-report.sh $(DOS_OUT)/demo "DEMO.EXE"

# The C library's resident bytes (shim + code + data + bss + private stack)
# against its budget: a check of sizes, not a timing. The budget is where the
# library stands now, so that no change makes it heavier unnoticed; the lean
# issue's goal is 16384 bytes, and the budget comes down as the code does.
LIB_BUDGET ?= 27760
size-check: cabi
	@resident=$$(( $$($(OMF) check $(BUILD)/VMEMORY.OBJ | awk '/SEGDEF 1 VMEMORY_TEXT/ { print $$NF }') )); \
	 if [ "$$resident" -le $(LIB_BUDGET) ]; then \
	   echo "size-check: C library resident $$resident bytes, budget $(LIB_BUDGET)"; echo "1 passed, 0 failed"; \
	 else \
	   echo "size-check: C library resident $$resident bytes is over its budget of $(LIB_BUDGET)"; echo "0 passed, 1 failed"; exit 1; \
	 fi

# The OMF object and library against the OMF spec; the publics are exactly these.
test-omf:
	cargo test -q --release --manifest-path tools/omf/Cargo.toml --target-dir target/omf
	$(OMF) check $(BUILD)/VMEMORY.OBJ $(BUILD)/VMEMORY.LIB --publics $(VM_PUBLICS) --para VMEMORY_TEXT

# Open Watcom is not installable here: this runs only where WATCOM is set.
test-watcom: dist $(BUILD)/EXITCODE.COM
	@if [ -z "$$WATCOM" ]; then echo "test-watcom: skipped (WATCOM is not set; see README, Using it from C)"; \
	 else harness/watcom.sh $(BUILD) && harness/disttest.sh $(BUILD) --watcom; fi

# ---- The release (tools/dist.sh, harness/disttest.sh, docs/vmemory.txt) ----
.PHONY: dist test-dist
dist: cabi
	tools/dist.sh $(BUILD)

test-dist: dist $(BUILD)/EXITCODE.COM
	harness/disttest.sh $(BUILD)
