#!/bin/bash
# Runs the content-tree fuzzer (build/fuzz/fuzz_tree) for a while from a
# fresh seed corpus and reports like a host test (tests/run.py counts the
# PASS/FAIL line). A crash, sanitizer report, invariant failure or timeout
# fails it, naming the saved input so it can be replayed:
#     build/fuzz/fuzz_tree build/fuzz/crashes/crash-...
#
# usage: run.sh BUILD_DIR SECONDS
set -u
build=${1:?usage: run.sh BUILD_DIR SECONDS}
seconds=${2:?usage: run.sh BUILD_DIR SECONDS}
here=$(cd "$(dirname "$0")" && pwd)
fuzzer=$build/fuzz/fuzz_tree
corpus=$build/fuzz/corpus
crashes=$build/fuzz/crashes
log=$build/fuzz/last-run.log
name="fuzz_tree:decode_layout_diff"

if [ ! -x "$fuzzer" ]; then
    echo "FAIL $name: $fuzzer is not built"
    exit 1
fi
mkdir -p "$corpus" "$crashes"
if ! python3 "$here/gen_corpus.py" "$corpus"; then
    echo "FAIL $name: could not write the seed corpus"
    exit 1
fi

# New inputs go into the corpus (build output, kept between runs); a crash
# is written under crashes/ with the prefix below.
"$fuzzer" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 -max_len=32768 \
    -artifact_prefix="$crashes/" -print_final_stats=1 "$corpus" >"$log" 2>&1
status=$?

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
if [ "$status" -eq 0 ]; then
    echo "PASS $name"
    echo "fuzz_tree: ${runs:-?} inputs in ${seconds}s, corpus $corpus"
    exit 0
fi
input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
echo "FAIL $name: exit status $status, input ${input:-(none saved)}; log $log"
# The report's head goes to stderr, where the runner looks for sanitizer lines.
grep -m 1 -A 30 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|invariant broken' "$log" >&2 ||
    tail -n 40 "$log" >&2
exit 1
