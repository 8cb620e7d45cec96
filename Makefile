# Thin wrapper over CMake. `make` builds into build/; `make test` installs
# dependencies, builds and runs the whole suite (plain and sanitized builds);
# `make demo` runs a coordinator and three workers on loopback; `make fuzz`
# runs the libFuzzer targets for FUZZ_SECONDS each (docs/fuzzing.md).
BUILD ?= build
SAN_BUILD ?= build-san
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 25
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all build deps test test-plain test-sanitize test-fuzz fuzz demo bench clean format

all: build

deps:
	bash deploy/install-deps.sh

$(BUILD)/Makefile:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: $(BUILD)/Makefile
	cmake --build $(BUILD) -j $(JOBS)

$(SAN_BUILD)/Makefile:
	cmake -S . -B $(SAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DROTA_SANITIZE=ON

test: deps
	$(MAKE) test-plain
	$(MAKE) test-sanitize
	$(MAKE) test-fuzz

test-plain: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-sanitize: $(SAN_BUILD)/Makefile
	cmake --build $(SAN_BUILD) -j $(JOBS)
	cd $(SAN_BUILD) && ctest --output-on-failure -j $(JOBS) -LE nosan

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
	bash deploy/demo.sh $(BUILD)/bin

# The benchmarks of docs/benchmarks.md (under 10 minutes); never part of
# `make test`. Prints "name value unit" lines and writes build/bench.json.
bench: build
	bash tests/bench/run.sh $(BUILD)/bin $(BUILD)/bench.json

format:
	clang-format -i common/*.[ch] coordinator/*.[ch] coordinator/*/*.[ch] worker/*.[ch] cli/*.[ch] tests/unit/*.c tests/tools/*.c \
	    tests/fuzz/*.c

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(FUZZ_BUILD)
