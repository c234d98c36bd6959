# vmemory: build, run and test.
#
#   make          build the DOS programs (build/*.EXE) and helpers
#   make run      build and run the demo in headless DOSBox (ENGINE=dosbox-x for DOSBox-X)
#   make test     host tests (cargo test), then the DOS suite under DOSBox and DOSBox-X
#
# Both `run` and `test` first install what is missing (harness/deps.sh).

SHELL := /bin/bash
BUILD := build
ENGINE ?= dosbox
CONFIG ?= xms+ems
DOS_TARGET := i386-dos
DOS_OUT := target/$(DOS_TARGET)/release

# Nightly-only flags on Debian's stable rustc: build core for the custom target.
CARGO_DOS := RUSTC_BOOTSTRAP=1 cargo build --release --target $(DOS_TARGET).json \
	-Zbuild-std=core -Zbuild-std-features=compiler-builtins-mem -Zjson-target-spec \
	--features dos --bins

# DOS program name (cargo bin) -> 8.3 file name in build/.
DOS_BINS := demo t_far t_file t_exit t_vmm t_xms t_ems
DOS_EXES := $(foreach b,$(DOS_BINS),$(BUILD)/$(shell echo $(b) | tr a-z A-Z).EXE)

.PHONY: all deps dos run test test-host test-dos clean

all: dos $(BUILD)/EXITCODE.COM

deps:
	@harness/deps.sh

# cargo decides what is stale; the objcopy step is cheap.
dos:
	@mkdir -p $(BUILD)
	$(CARGO_DOS)
	@for b in $(DOS_BINS); do \
		objcopy -O binary $(DOS_OUT)/$$b $(BUILD)/$$(echo $$b | tr a-z A-Z).EXE || exit 1; \
	done
	@ls -l $(DOS_EXES) | awk '{ printf "  %-20s %6d bytes\n", $$9, $$5 }'

$(BUILD)/EXITCODE.COM: harness/exitcode.asm
	@mkdir -p $(BUILD)
	nasm -f bin -o $@ $<

run: deps all
	@rm -rf $(BUILD)/run && mkdir -p $(BUILD)/run/TMP
	@cp $(BUILD)/DEMO.EXE $(BUILD)/EXITCODE.COM $(BUILD)/run/
	@printf '@echo off\r\nset TMP=C:\\TMP\r\nDEMO.EXE > OUT.TXT\r\nEXITCODE.COM > RC.TXT\r\n' > $(BUILD)/run/RUN.BAT
	@echo "== DEMO.EXE under $(ENGINE) ($(CONFIG)) =="
	@harness/dosrun.sh $(ENGINE) $(CONFIG) $(BUILD)/run 300; rc=$$?; \
	 tr -d '\r' < $(BUILD)/run/OUT.TXT; \
	 echo "== exit code: $$(tr -dc 0-9 < $(BUILD)/run/RC.TXT) (emulator status $$rc) =="; \
	 exit $$rc

test: deps all
	@$(MAKE) --no-print-directory test-host
	@$(MAKE) --no-print-directory test-dos

test-host:
	cargo test --release

test-dos:
	harness/dostest.sh $(BUILD)

clean:
	rm -rf $(BUILD) target
