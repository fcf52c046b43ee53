#!/usr/bin/env bash
# Winograd's F(2x2, 3x3) forced (CLCNN_CONV=winograd: the second convolution's forward and data
# gradient; its weight gradient and the first layer, whose one input channel Winograd does not
# take, run direct) against the direct kernels forced (CLCNN_CONV=direct): a small model trained
# for one epoch each way gives different bits (Winograd rounds differently) and test accuracies
# within the 1 point promised across routes (docs/architecture.md, "Identical results"), both
# evaluated on the same 2000 examples. A wrong value of CLCNN_CONV is an error naming it.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

train_eval direct CLCNN_CONV=direct
train_eval winograd CLCNN_CONV=winograd
routes_agree direct winograd "Winograd forced and direct"
expect_error "a wrong CLCNN_CONV is named" \
    "CLCNN_CONV='fast': expected auto, im2col, direct or winograd" \
    env CLCNN_CONV=fast "$CLCNN" train "${ROUTE_MODEL[@]}" --out bad
finish
