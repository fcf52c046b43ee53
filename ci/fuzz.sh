#!/usr/bin/env bash
# Fuzzing with libFuzzer (clang-15, ASan + UBSan). Usage: ci/fuzz.sh [SECONDS] [HARNESS...]
#   ci/fuzz.sh          builds build-fuzz and replays the corpora and past crashes (ctest -L fuzz)
#   ci/fuzz.sh 600      then fuzzes each harness (or those named: config idx ...) for 600 s,
#                       on a copy of its corpus, and prints executions, coverage and crashes.
# New crashes land in build-fuzz/crashes/<harness>/: fix the reader, then copy the input to
# tests/fuzz/crashes/<harness>/ so that every later build replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-0}"
shift || true
CC=clang-15 cmake -S . -B build-fuzz -DCLCNN_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
cmake --build build-fuzz -j"$(nproc)"
(cd build-fuzz && ctest --output-on-failure -L fuzz)
[ "$seconds" -gt 0 ] || exit 0
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
    for f in tests/fuzz/fuzz_*.c; do h="$(basename "$f" .c)"; harnesses+=("${h#fuzz_}"); done
fi
export CLCNN_CACHE_DIR="$PWD/build-fuzz/test-cache"
printf "%-12s %8s %12s %8s %8s %8s\n" harness seconds execs cov ft crashes
for h in "${harnesses[@]}"; do
    work="build-fuzz/campaign/$h"
    mkdir -p "$work/corpus" "build-fuzz/crashes/$h"
    cp -n tests/fuzz/corpus/"$h"/* "$work/corpus/" 2>/dev/null || true
    log="build-fuzz/campaign/$h.log"
    set +e
    "build-fuzz/tests/fuzz/fuzz_$h" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="build-fuzz/crashes/$h/" \
        "$work/corpus" > "$log" 2>&1
    set -e
    execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo ?)"
    cov="$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo ?)"
    ft="$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo ?)"
    crashes="$(find "build-fuzz/crashes/$h" -type f | wc -l)"
    printf "%-12s %8s %12s %8s %8s %8s\n" "$h" "$seconds" "$execs" "$cov" "$ft" "$crashes"
done
