#!/usr/bin/env bash
# bench/main_cold.sh: `bash ci/main.sh` after its install step, from a fresh clone (issue 12),
# phase by phase: the configure and build ci/build.sh runs for the command-line tool, `clcnn
# devices`, and the embedded default search (`clcnn tune`, here with --verbose so that its log
# shows the first training step and each trial's end), on an empty CLCNN_CACHE_DIR (PoCL's
# cache inside it: cold), then the same commands again on the same clone and cache (warm). For
# each phase: wall seconds and CPU seconds (user + system of the phase's processes: the figure a
# loaded machine distorts least); for the search, the seconds from its start to its first
# training step and the end of each trial, how many kernel files were built from source and how
# many work-group functions PoCL compiled (files in its cache).
#
# usage: bench/main_cold.sh [WORK_DIR [cmake options...]]
#   WORK_DIR  kept at the end (default: a temporary folder, removed); this repository's
#             committed state is cloned into WORK_DIR/src
# The steps mirror ci/main.sh (keep them in step). Run it with `nice -n -10` (as root) on a
# shared machine and read the CPU column first.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
if [ $# -gt 0 ]; then
    work="$1"
    shift
else
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
rm -rf "$work/src" "$work/cache"
git clone --quiet "$repo" "$work/src"
export CLCNN_CACHE_DIR="$work/cache"
unset POCL_CACHE_DIR CLCNN_ROUTE CLCNN_NO_CACHE
cd "$work/src"

# phase NAME CMD...: runs CMD, its output (each line with the seconds since the phase began) in
# $work/NAME.log; prints wall and CPU seconds.
phase() {
    local name="$1" t0
    shift
    t0=$(date +%s.%N)
    /usr/bin/time -f 'cpu %U %S' -o "$work/$name.cpu" "$@" 2>&1 | while IFS= read -r line; do
        printf '%8.2f %s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$line"
    done > "$work/$name.log"
    printf '%-14s %8.1f %8.1f' "$name" "$(echo "$(date +%s.%N) - $t0" | bc)" \
        "$(awk '$1 == "cpu" { print $2 + $3 }' "$work/$name.cpu")"
}

first() { grep -m1 -- "$1" "$2" | awk '{print $1}' || true; }
compiled() { find "$CLCNN_CACHE_DIR/pocl" -name '*.so' 2> /dev/null | wc -l || true; }

printf '%-14s %8s %8s  %s\n' phase wall_s cpu_s \
    "search: first step, trial ends (s from its start); kernel files built; PoCL compiles"
for run in cold warm; do
    before=$(compiled)
    phase "$run-build" env CLCNN_BUILD_TARGET=clcnn-cli ci/build.sh build "$@"
    echo
    phase "$run-devices" build/clcnn devices
    echo
    rm -rf out/tune # a finished search in it would only be resumed
    phase "$run-search" build/clcnn tune --verbose --out out/tune
    log="$work/$run-search.log"
    ends=$(grep -- 'Trial [0-9]*/.* done' "$log" | awk '{printf "%s%s", sep, $1; sep=" "}')
    echo "  $(first 'first training step' "$log"); $ends; $(grep -c 'built from source' "$log" || true);" \
        "$(($(compiled) - before))"
done
