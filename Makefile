# Thin wrapper over CMake. `make` builds into build/; `make test` installs
# dependencies, builds and runs the whole suite (plain and sanitized builds);
# `make demo` runs a coordinator and three workers on loopback.
BUILD ?= build
SAN_BUILD ?= build-san
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all build deps test test-plain test-sanitize demo clean format

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

test-plain: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

test-sanitize: $(SAN_BUILD)/Makefile
	cmake --build $(SAN_BUILD) -j $(JOBS)
	cd $(SAN_BUILD) && ctest --output-on-failure -j $(JOBS) -LE nosan

demo: deps build
	bash deploy/demo.sh $(BUILD)/bin

format:
	clang-format -i common/*.[ch] coordinator/*.[ch] worker/*.[ch] cli/*.[ch] tests/unit/*.c tests/tools/*.c

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
