#!/usr/bin/env bash
# Runs one libFuzzer harness for a set time over its seed corpus and regression inputs, keeping
# what it learns in a work directory (never in the source tree), and prints its figures.
#   run_fuzz.sh BINARY NAME SECONDS SOURCE_DIR WORK_DIR
# KT_FUZZ_SECONDS in the environment overrides SECONDS (make fuzz). A crash leaves its input in
# WORK_DIR/artifacts/: copy it to tests/fuzz/regress/NAME/ with the fix.
set -euo pipefail
bin=$1 name=$2 seconds=${KT_FUZZ_SECONDS:-$3} src=$4 work=$5
corpus=$work/corpus/$name
mkdir -p "$corpus" "$work/artifacts"
dirs=("$corpus" "$src/corpus/$name")
[ -d "$src/regress/$name" ] && dirs+=("$src/regress/$name")
dict=()
case $name in
  kubeconfig|scenario|theme|config) dict=(-dict="$src/yaml.dict") ;;
  *) dict=(-dict="$src/json.dict") ;;
esac
log=$work/$name.log
# A smaller quarantine than ASan's default 256 MB: two fuzzers run side by side under ctest -j2.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=32"
set +e
"$bin" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$work/artifacts/$name-" "${dict[@]}" "${dirs[@]}" \
  >"$log" 2>&1
rc=$?
set -e
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
echo "fuzz $name: ${execs:-?} executions in ${seconds}s, corpus $(ls "$corpus" | wc -l) learned inputs, exit $rc"
if [ $rc -ne 0 ]; then
  tail -60 "$log"
  exit 1
fi
