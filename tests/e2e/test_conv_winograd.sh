#!/usr/bin/env bash
# Winograd's F(2x2, 3x3) forced (CLCNN_CONV=winograd: the second convolution's forward and data
# gradient; its weight gradient and the first layer, whose one input channel Winograd does not
# take, run direct) against the direct kernels forced (CLCNN_CONV=direct): a small model trained
# for one epoch each way gives different bits (Winograd rounds differently) and test accuracies
# within the 1 point promised across routes (docs/architecture.md, "Identical results"), both
# evaluated on the same 2000 examples. A wrong value of CLCNN_CONV is an error naming it.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
MARGIN=1.0 # percentage points, as for the GEMM routes (test_route_accuracy.sh)
SMALL=(--set data.train_limit=3000 --set data.test_limit=2000 --set model.layers.0.filters=8
       --set model.layers.1.filters=8 --set model.layers.3.units=32 --set train.epochs=1
       --set train.batch_size=32)

for a in direct winograd; do
    CLCNN_CONV=$a "$CLCNN" train "${SMALL[@]}" --out $a > $a.log 2>&1 \
        || { cat $a.log; fail "train with CLCNN_CONV=$a"; }
    "$CLCNN" eval $a/model.safetensors --set data.test_limit=2000 --json > $a.json 2> $a.err \
        || { cat $a.err; fail "eval $a"; }
done
! cmp -s direct/model.safetensors winograd/model.safetensors \
    && pass "Winograd and direct give different bits (so the comparison below is not trivial)" \
    || fail "Winograd gave direct's bits: did it run?"
accuracy_close direct winograd "$MARGIN" \
    && pass "test accuracy within $MARGIN points of direct's with Winograd forced" \
    || fail "accuracy differs by more than $MARGIN points between Winograd and direct"
expect_error "a wrong CLCNN_CONV is named" \
    "CLCNN_CONV='fast': expected auto, im2col, direct or winograd" \
    env CLCNN_CONV=fast "$CLCNN" train "${SMALL[@]}" --out bad
finish
