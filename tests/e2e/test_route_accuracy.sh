#!/usr/bin/env bash
# The promise across routes (docs/architecture.md, "Identical results"): a model trained by one
# GEMM route and the same config trained by another differ in their bits, but their test
# accuracy stays within 1 percentage point. A small model trained for one epoch by clcnn's own
# CPU kernels and by the GPU-shaped tiled kernels (with the GPU-shaped im2col and work-group
# reductions too: what an NVIDIA or AMD device runs), both evaluated on the same 2000 examples.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
MARGIN=1.0 # percentage points, as documented
SMALL=(--set data.train_limit=3000 --set data.test_limit=2000 --set model.layers.0.filters=8
       --set model.layers.1.filters=8 --set model.layers.3.units=32 --set train.epochs=1
       --set train.batch_size=32)

CLCNN_ROUTE=own "$CLCNN" train "${SMALL[@]}" --out own > own.log 2>&1 \
    || { cat own.log; fail "train by the own route"; }
CLCNN_ROUTE=tiled CLCNN_CONV_LAYOUT=items CLCNN_REDUCE_WG=64 "$CLCNN" train "${SMALL[@]}" \
    --out tiled > tiled.log 2>&1 || { cat tiled.log; fail "train by the tiled route"; }
for r in own tiled; do
    "$CLCNN" eval $r/model.safetensors --set data.test_limit=2000 --json > $r.json 2> $r.err \
        || { cat $r.err; fail "eval $r"; }
done
! cmp -s own/model.safetensors tiled/model.safetensors \
    && pass "the routes give different bits (so the comparison below is not trivial)" \
    || fail "the routes gave the same bits"
accuracy_close own tiled "$MARGIN" && pass "test accuracy within $MARGIN points across routes" \
    || fail "accuracy differs by more than $MARGIN points across routes"
finish
