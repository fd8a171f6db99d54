#!/usr/bin/env bash
# Runs each ctest test matching a regex RUNS times, COPIES of it at once, and keeps the output of
# every failed run. ctest --repeat never runs two copies of one test together; CI's -j runs
# different tests side by side on a loaded machine, and that is where a test reading half a
# frame, a leak at an unlucky exit or two tests sharing /tmp shows. (make stress)
# usage: tests/stress.sh BUILD_DIR REGEX [RUNS] [COPIES]
set -uo pipefail
build=${1:?build directory}
regex=${2:?test name regex}
runs=${3:-6}
copies=${4:-3}
out=$(mktemp -d "${TMPDIR:-/tmp}/kt-stress-XXXXXX")
mapfile -t tests < <(ctest --test-dir "$build" -N -R "$regex" | sed -n 's/^ *Test *#[0-9]*: *//p')
if [ ${#tests[@]} -eq 0 ]; then
    echo "stress: no test in $build matches '$regex'" >&2
    exit 2
fi
bad=0
for t in "${tests[@]}"; do
    mkdir -p "$out/$t"
    seq 1 "$runs" | xargs -P "$copies" -I{} sh -c \
        "ctest --test-dir '$build' -R '^$t\$' --output-on-failure >'$out/$t/{}' 2>&1 && rm '$out/$t/{}'"
    failed=$(find "$out/$t" -type f | wc -l)
    if [ "$failed" -gt 0 ]; then
        echo "$t: $failed of $runs runs failed (their output: $out/$t)"
    else
        echo "$t: $failed of $runs runs failed"
    fi
    bad=$((bad + failed))
done
[ "$bad" -eq 0 ] && rm -rf "$out"
[ "$bad" -eq 0 ]
