#!/usr/bin/env bash
# The promise across routes (docs/architecture.md, "Identical results"): a model trained by one
# GEMM route and the same config trained by another differ in their bits, but their test
# accuracy stays within 1 percentage point. A small model trained for one epoch by clcnn's own
# CPU kernels and by the GPU-shaped tiled kernels (with the GPU-shaped im2col and work-group
# reductions too: what an NVIDIA or AMD device runs), both evaluated on the same 2000 examples.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

train_eval own CLCNN_ROUTE=own
train_eval tiled CLCNN_ROUTE=tiled CLCNN_CONV_LAYOUT=items CLCNN_REDUCE_WG=64
routes_agree own tiled "the own and the tiled routes"
finish
