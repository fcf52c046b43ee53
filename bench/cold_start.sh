#!/usr/bin/env bash
# bench/cold_start.sh: the first trial on a fresh machine (issue 12). Runs `clcnn tune` with the
# embedded quick search (what ci/main.sh runs after its install step) twice on one empty
# CLCNN_CACHE_DIR (PoCL's cache inside it): cold, then warm. For each run it prints the seconds,
# from the process start, to the end of the first training step, the end of trial 1 and of
# trial 2, and the whole run, its CPU seconds (user + system: the figure a loaded machine
# distorts least), how many kernel files were built from source and how many work-group
# functions PoCL compiled (files in its cache).
#
# usage: bench/cold_start.sh [--clcnn BIN] [--trials N] [--keep DIR] [-- clcnn tune options]
#   --clcnn   the clcnn binary (default: ./build/clcnn)
#   --trials  trials per run (default 2: the first and the second trial)
#   --keep    the work folder (default: a temporary one, removed at the end)
# Run it with `nice -n -10` (as root) on a shared machine, and compare binaries side by side.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
clcnn="$(dirname "$here")/build/clcnn" trials=2 keep=""
while [ $# -gt 0 ]; do
    case "$1" in
        --clcnn) clcnn="$2"; shift 2 ;;
        --trials) trials="$2"; shift 2 ;;
        --keep) keep="$2"; shift 2 ;;
        --) shift; break ;;
        *) echo "cold_start.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
done
work="${keep:-$(mktemp -d)}"
mkdir -p "$work"
[ -n "$keep" ] || trap 'rm -rf "$work"' EXIT
export CLCNN_CACHE_DIR="$work/cache"
unset POCL_CACHE_DIR CLCNN_ROUTE CLCNN_NO_CACHE
rm -rf "$CLCNN_CACHE_DIR"

# Each output line with the seconds since the run started, so that phases can be read off.
stamp() {
    local t0="$1" line now
    while IFS= read -r line; do
        now=$(date +%s.%N)
        printf '%8.2f %s\n' "$(echo "$now - $t0" | bc)" "$line"
    done
}

first() { grep -m1 -- "$1" "$2" | awk '{print $1}' || true; }
compiled() { find "$CLCNN_CACHE_DIR/pocl" -name '*.so' 2> /dev/null | wc -l || true; }

printf '%-5s %10s %10s %10s %10s %8s %8s %8s\n' run first_step trial_1 trial_2 total cpu sources \
    wg_funcs
for run in cold warm; do
    log="$work/$run.log"
    before=$(compiled)
    t0=$(date +%s.%N)
    /usr/bin/time -f 'cpu %U %S' -o "$work/$run.cpu" \
        "$clcnn" tune --verbose --set tune.max_trials="$trials" --out "$work/out-$run" "$@" 2>&1 \
        | stamp "$t0" > "$log"
    total=$(echo "$(date +%s.%N) - $t0" | bc)
    after=$(compiled)
    cpu=$(awk '$1 == "cpu" { printf "%.1f", $2 + $3 }' "$work/$run.cpu")
    printf '%-5s %10s %10s %10s %10.2f %8s %8s %8s\n' "$run" "$(first 'first training step' "$log")" \
        "$(first 'Trial 1/.* done' "$log")" "$(first 'Trial 2/.* done' "$log")" "$total" "$cpu" \
        "$(grep -c 'built from source' "$log" || true)" "$((after - before))"
done
