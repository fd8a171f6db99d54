# Thin wrapper around CMake, in the manner of neovim's: every real rule lives in CMakeLists.txt.
BUILD_DIR   ?= build
ASAN_DIR    ?= build-asan
CMAKE       ?= cmake
CTEST       ?= ctest
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)
DEMO_ARGS   ?=
BENCH_ARGS  ?=

.PHONY: all deps build build-asan test test-fast bench demo install clean format fuzz soak memcheck stress

FUZZ_SECONDS ?= 300
SOAK_MINUTES ?= 10

all: build

deps:
	@.ci/deps

$(BUILD_DIR)/CMakeCache.txt:
	$(CMAKE) -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKARGOTOP_WERROR=ON

$(ASAN_DIR)/CMakeCache.txt:
	$(CMAKE) -S . -B $(ASAN_DIR) -DCMAKE_BUILD_TYPE=Debug -DKARGOTOP_WERROR=ON -DKARGOTOP_SANITIZE=ON

build: deps $(BUILD_DIR)/CMakeCache.txt
	$(CMAKE) --build $(BUILD_DIR) -j $(JOBS)

build-asan: deps $(ASAN_DIR)/CMakeCache.txt
	$(CMAKE) --build $(ASAN_DIR) -j $(JOBS)

# Every test, then every test again under AddressSanitizer + UndefinedBehaviorSanitizer. The
# benchmarks run here small (label bench: a contents check, never a timing); those that only run
# on the full large scenario are make bench's (HEAVY_BENCH), or make test would take too long.
HEAVY_BENCH ?= ^cli_bench$$
test: build build-asan
	$(CTEST) --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) -E '$(HEAVY_BENCH)'
	$(CTEST) --test-dir $(ASAN_DIR) --output-on-failure -j $(JOBS) -E '$(HEAVY_BENCH)'

# The normal build's tests only, for the edit-compile-test loop.
test-fast: build
	$(CTEST) --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS)

# The performance suite (issue #11, docs/PERFORMANCE.md): the micro-benchmarks, then kargotop
# against kubectl on kargo-sim's large scenario (about 15 minutes); prints the table and writes
# bench-results.json. `make test` runs the suite only once, small, to prove it works.
bench: build
	./$(BUILD_DIR)/tests/model/bench_model_store
	./$(BUILD_DIR)/tests/ui/bench_ui_screen
	$(CTEST) --test-dir $(BUILD_DIR) --output-on-failure -R '$(HEAVY_BENCH)'
	./$(BUILD_DIR)/tests/bench/bench_kargotop $(BENCH_ARGS)

# Each libFuzzer harness of tests/fuzz for FUZZ_SECONDS (the tests run them for seconds only).
fuzz: build
	@for f in $(BUILD_DIR)/fuzz-clang/tests/fuzz/fuzz_*; do \
	  [ -x "$$f" ] || { echo "fuzz: no libFuzzer build (needs clang and libclang-rt-dev)"; exit 1; }; \
	  n=$${f##*/fuzz_}; \
	  tests/fuzz/run_fuzz.sh "$$f" "$$n" $(FUZZ_SECONDS) tests/fuzz $(BUILD_DIR)/tests/fuzz/work || exit 1; \
	done

# The fault soak for SOAK_MINUTES (the tests run it for 32 s).
soak: build
	./$(BUILD_DIR)/tests/soak/soak --seconds $$(( $(SOAK_MINUTES) * 60 ))

# valgrind memcheck on an end-to-end session: no errors, no definite leaks.
memcheck: build
	$(CTEST) --test-dir $(BUILD_DIR) --output-on-failure -L memcheck

# Flake hunting: every test matching STRESS (a ctest regex) STRESS_RUNS times, STRESS_COPIES
# copies at once, in the ASan build (slower, so races show sooner); keeps failed runs' output.
STRESS        ?= ^(ui|e2e|action|config|cli)_
STRESS_RUNS   ?= 6
STRESS_COPIES ?= 3
stress: build-asan
	tests/stress.sh $(ASAN_DIR) '$(STRESS)' $(STRESS_RUNS) $(STRESS_COPIES)

demo: build
	./$(BUILD_DIR)/src/app/kargotop --demo $(DEMO_ARGS)

install: build
	$(CMAKE) --install $(BUILD_DIR)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
