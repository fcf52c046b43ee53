#!/bin/bash
# bench/dp_overlap.sh CLCNN [ROUNDS] [OTHER_CLCNN]: data-parallel step time of the seed model, 31
# steps at global batch 32 (CLCNN_ROUTE=own), interleaved per round: one process (its epoch
# time), 2 ranks with the sums after the backward pass (CLCNN_DP_OVERLAP=0), 2 ranks with the
# sums overlapped (the default), and, when given, OTHER_CLCNN's 2 ranks with CLCNN_DP_OVERLAP=0
# (another build, e.g. an earlier commit). Prints rank 0's per-step split (--verbose).
set -euo pipefail
CLCNN=$1 ROUNDS=${2:-2} OTHER=${3:-}
HERE="$(cd "$(dirname "$0")" && pwd)"
export CLCNN_ROUTE=own OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
SETS=(--set data.train_limit=992 --set data.validation_split=0 --set data.test_limit=10 --verbose)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
ranks() { # NAME BINARY OVERLAP
    CLCNN_DP_OVERLAP=$3 mpirun --oversubscribe -n 2 "$2" train "$HERE/../configs/fashion_mnist.yaml" \
        "${SETS[@]}" --out "$W/dp" >"$W/log" 2>&1 || { cat "$W/log"; exit 1; }
    echo "2 ranks, $1: $(grep -o 'per step.*' "$W/log" | head -1)"
}
for _ in $(seq "$ROUNDS"); do
    "$CLCNN" train "$HERE/../configs/fashion_mnist.yaml" "${SETS[@]}" --out "$W/one" >"$W/log" 2>&1
    echo "1 process: $(grep -o 'Epoch 1/1 - 31/31 - [0-9.]*s' "$W/log" | tail -1) for 31 steps"
    [ -z "$OTHER" ] || ranks "other build, sums after the pass" "$OTHER" 0
    ranks "sums after the pass" "$CLCNN" 0
    ranks "sums overlapped" "$CLCNN" 1
done
