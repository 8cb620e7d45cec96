# Thin wrapper over CMake. `make` builds into build/; `make test` installs
# dependencies, builds and runs the whole suite (plain and sanitized builds);
# `make demo` runs a coordinator and three workers on loopback; `make demo-ha`
# two coordinators on a private PostgreSQL, the leader killed mid-run
# (docs/ha.md); `make fuzz`
# runs the libFuzzer targets for FUZZ_SECONDS each (docs/fuzzing.md).
# `make check-style` (run first by `make test`) is `make format-check`
# (clang-format with .clang-format) and scripts/checksrc (docs/contributing.md).
BUILD ?= build
SAN_BUILD ?= build-san
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 15
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
# The plain pass runs one test a core. One test more than there are cores
# (PLAIN_JOBS=3 on 2) saves about a minute, since integration tests mostly
# wait on their daemons, but fault.coordinator_stop then once recorded a
# step attempt as lost on an idle machine: left at one a core until that is
# understood (docs/contributing.md).
PLAIN_JOBS ?= $(JOBS)

.PHONY: all build deps test test-plain test-sanitize test-fuzz fuzz demo demo-ha bench clean format \
	format-check checksrc check-style

all: build

deps:
	bash deploy/install-deps.sh

$(BUILD)/Makefile:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

$(SAN_BUILD)/Makefile:
	cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DROTA_SANITIZE=ON

# The style checks take seconds and run first: a finding fails the suite
# before the long part starts.
test: deps
	$(MAKE) check-style
	$(MAKE) test-plain
	$(MAKE) test-sanitize
	$(MAKE) test-fuzz

test-plain: build
	cd $(BUILD) && ctest --output-on-failure -j $(PLAIN_JOBS)

test-sanitize: $(SAN_BUILD)/Makefile
	cmake --build $(SAN_BUILD) -j $(JOBS)
	cd $(SAN_BUILD) && ctest --output-on-failure -j $(JOBS) -LE 'nosan|timing'

# libFuzzer needs clang; this build holds only the fuzz targets and the
# libraries they link.
$(FUZZ_BUILD)/Makefile:
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DROTA_FUZZ=ON

test-fuzz: $(FUZZ_BUILD)/Makefile
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz-targets
	cd $(FUZZ_BUILD) && FUZZ_SECONDS=$(FUZZ_SECONDS) ctest --output-on-failure -j $(JOBS) \
	    -L fuzz --timeout $$(( $(FUZZ_SECONDS) + 120 ))

# Ten minutes a target unless FUZZ_SECONDS is given on the command line.
fuzz: FUZZ_SECONDS = 600
fuzz: deps
	$(MAKE) test-fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)

demo: deps build
	KEEP=$(KEEP) bash deploy/demo.sh $(BUILD)/bin

demo-ha: deps build
	bash deploy/demo-ha.sh $(BUILD)/bin

# The benchmarks of docs/benchmarks.md (under 10 minutes); never part of
# `make test`. Prints "name value unit" lines and writes build/bench.json.
bench: build
	bash tests/bench/run.sh $(BUILD)/bin $(BUILD)/bench.json

# Every C file clang-format owns: the programs' folders at any depth, the
# unit tests, the test tools and the fuzz targets.
FORMAT_FILES = $(shell find common coordinator worker cli tests/unit tests/tools tests/fuzz \
	-name '*.[ch]' -type f | LC_ALL=C sort)

format:
	@echo "clang-format -i: $(words $(FORMAT_FILES)) files"
	@clang-format -i $(FORMAT_FILES)

# Changes nothing: names each file that `make format` would change.
format-check:
	@clang-format --dry-run -Werror --ferror-limit=3 $(FORMAT_FILES) || \
	    { echo "format-check: the files above differ from .clang-format; run 'make format'" >&2; \
	      exit 1; }
	@echo "format-check: $(words $(FORMAT_FILES)) files as .clang-format wants them"

checksrc:
	@sh scripts/checksrc

# Both run, so one look shows every finding.
check-style:
	@rc=0; $(MAKE) -s format-check || rc=1; $(MAKE) -s checksrc || rc=1; exit $$rc

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(FUZZ_BUILD)
