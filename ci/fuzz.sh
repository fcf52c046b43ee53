#!/usr/bin/env bash
# Fuzzing with libFuzzer (clang-15, ASan + UBSan). Usage: ci/fuzz.sh [--parallel] [SECONDS] [HARNESS...]
#   ci/fuzz.sh          builds build-fuzz and replays the corpora and past crashes (ctest -L fuzz)
#   ci/fuzz.sh 600      then fuzzes each harness (or those named: config idx ...) for 600 s,
#                       one after the other, on a copy of its corpus (build-fuzz/campaign/<harness>/)
#   ci/fuzz.sh --parallel 1800
#                       the same, every harness at once (one libFuzzer process each), so that a
#                       campaign of N seconds per harness takes N seconds of wall time.
# The table gives per harness: wall and CPU seconds received (user + system: on a shared or
# small machine the CPU time is what the fuzzer really got), executions, executions per second
# of wall time, coverage (cov: edges, ft: features), corpus size, and the crash, timeout, OOM
# and leak artifacts. Logs: build-fuzz/campaign/<harness>.log.
# New crashes land in build-fuzz/crashes/<harness>/: fix the reader, then copy the input to
# tests/fuzz/crashes/<harness>/ so that every later build replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
parallel=0
if [ "${1:-}" = "--parallel" ]; then parallel=1; shift; fi
seconds="${1:-0}"
shift || true
CC=clang-15 cmake -S . -B build-fuzz -DCLCNN_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
targets=()
for f in tests/fuzz/fuzz_*.c; do targets+=(--target "$(basename "$f" .c)"); done
cmake --build build-fuzz -j"$(nproc)" "${targets[@]}" # the harnesses only: all that runs here
(cd build-fuzz && ctest --output-on-failure -L fuzz)
[ "$seconds" -gt 0 ] || exit 0
harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
    for f in tests/fuzz/fuzz_*.c; do h="$(basename "$f" .c)"; harnesses+=("${h#fuzz_}"); done
fi
export CLCNN_CACHE_DIR="$PWD/build-fuzz/test-cache"

# Runs one harness for $seconds under /usr/bin/time, which records its CPU seconds.
fuzz_one() {
    local h="$1" work="build-fuzz/campaign/$1"
    mkdir -p "$work/corpus" "build-fuzz/crashes/$h"
    cp -n tests/fuzz/corpus/"$h"/* "$work/corpus/" 2>/dev/null || true
    /usr/bin/time -f '%e %U %S' -o "build-fuzz/campaign/$h.time" \
        "build-fuzz/tests/fuzz/fuzz_$h" -max_total_time="$seconds" -timeout=30 \
        -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1 \
        -artifact_prefix="build-fuzz/crashes/$h/" "$work/corpus" \
        > "build-fuzz/campaign/$h.log" 2>&1 || true
}

stat_of() { grep -o "stat::$1: *[0-9]*" "$2" | grep -o '[0-9]*$' || echo '?'; }
artifacts() { find "build-fuzz/crashes/$1" -type f -name "$2-*" | wc -l; }

report() {
    local h="$1" log="build-fuzz/campaign/$1.log" wall=? cpu=? execs rate cov ft corpus
    if [ -s "build-fuzz/campaign/$h.time" ]; then
        read -r wall user sys < <(tail -1 "build-fuzz/campaign/$h.time")
        cpu="$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.0f", u + s }')"
        wall="$(awk -v w="$wall" 'BEGIN { printf "%.0f", w }')"
    fi
    execs="$(stat_of number_of_executed_units "$log")"
    rate="$(stat_of average_exec_per_sec "$log")"
    cov="$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')"
    ft="$(grep -o 'ft: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')"
    corpus="$(find "build-fuzz/campaign/$h/corpus" -type f | wc -l)"
    printf "%-12s %6s %6s %11s %7s %6s %6s %6s %6s %6s %6s %6s\n" "$h" "$wall" "$cpu" "$execs" \
        "$rate" "$cov" "$ft" "$corpus" "$(artifacts "$h" crash)" "$(artifacts "$h" timeout)" \
        "$(artifacts "$h" oom)" "$(artifacts "$h" leak)"
}

mkdir -p build-fuzz/campaign
if [ "$parallel" -eq 1 ]; then
    for h in "${harnesses[@]}"; do fuzz_one "$h" & done
    wait
else
    for h in "${harnesses[@]}"; do fuzz_one "$h"; done
fi
printf "%-12s %6s %6s %11s %7s %6s %6s %6s %6s %6s %6s %6s\n" harness wall_s cpu_s execs \
    exec/s cov ft corpus crash timeout oom leak
for h in "${harnesses[@]}"; do report "$h"; done
