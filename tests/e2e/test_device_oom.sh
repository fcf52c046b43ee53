#!/usr/bin/env bash
# A device that runs out of memory (issue 15), through the library's test hooks:
# CLCNN_FAULT_ALLOC=N fails the Nth device buffer allocation (and every later one) with
# CL_MEM_OBJECT_ALLOCATION_FAILURE, at model build; CLCNN_FAULT_LAUNCH=N fails the Nth kernel
# launch (and every later one) with CL_OUT_OF_RESOURCES, as a driver that places buffers only when
# a kernel first uses them does mid-training. The error names the tensor, its size and the
# device's memory; the exit code is 1; no partial model is written; a failure mid-training leaves
# the folder of the last completed epoch as it was, and that folder evaluates and resumes.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
SMALL=(--set data.train_limit=1000 --set data.test_limit=100 --set model.layers.0.filters=4
       --set model.layers.1.filters=4 --set model.layers.3.units=16)
sums() { (cd "$1" && sha256sum ./* | sort); }
SIZE='cannot allocate [0-9.]+ MiB \([0-9]+ bytes\) on device .* MiB of memory, largest allocation [0-9]+ bytes\): CL_MEM_OBJECT_ALLOCATION_FAILURE'

# ---- at build: the allocation that fails is named, with its size ------------------------------
# The first allocation is the input batch; later ones are a layer's tensors.
for n in 1 2 3 4 6; do
    expect_error "allocation $n fails" "$SIZE" \
        env CLCNN_FAULT_ALLOC=$n "$CLCNN" train "${SMALL[@]}" --set train.epochs=1 --out "b$n"
    grep -Eq "error: training: (the input batch|layer [a-z_0-9]+'s (workspace \(im2col\)|activations|gradients)|the parameters): cannot allocate" \
        "$WORK/err.txt" && pass "allocation $n: the error names the tensor" \
        || { fail "allocation $n: no tensor named"; cat "$WORK/err.txt"; }
    [ ! -e "b$n/model.safetensors" ] && pass "allocation $n: no model written" \
        || fail "allocation $n: a model was written"
    cp "$WORK/err.txt" "b$n.err"
done
grep -q "training: the input batch: cannot allocate" b1.err \
    && pass "the first allocation is the input batch" || fail "allocation 1 does not name the input batch"
# The same at eval and predict time: the model loads, the device is full.
"$CLCNN" train "${SMALL[@]}" --set train.epochs=1 --out a > /dev/null
expect_error "eval on a full device" "$SIZE" \
    env CLCNN_FAULT_ALLOC=2 "$CLCNN" eval a/model.safetensors --set data.test_limit=100

# ---- mid-training: the folder of the last completed epoch stays as it was ----------------------
rm -rf m && cp -r a m
before="$(sums m)"
expect_error "launches fail in epoch 2" "CL_OUT_OF_RESOURCES \(injected by CLCNN_FAULT_LAUNCH\)" \
    env CLCNN_FAULT_LAUNCH=60 "$CLCNN" train --resume m --set train.epochs=3
grep -Eq "(layer [0-9]+ \([a-z_0-9]+\), batch of [0-9]+: output and its gradient [0-9.]+ MiB each, workspace [0-9.]+ MiB, all parameters [0-9.]+ MiB, on device .* MiB of memory\)|the optimizer update \([0-9]+ parameters, [0-9.]+ MiB)" \
    "$WORK/err.txt" && pass "mid-training: the error names the layer and its tensors' sizes" \
    || { fail "mid-training: no tensor sizes"; cat "$WORK/err.txt"; }
[ "$(sums m)" = "$before" ] && ! ls m/*.tmp.* > /dev/null 2>&1 \
    && pass "mid-training: the folder of epoch 1 is as it was, no temp file" \
    || { fail "mid-training: the folder changed"; ls -la m; }
"$CLCNN" eval m/model.safetensors --set data.test_limit=100 --json > /dev/null \
    && pass "mid-training: the model of epoch 1 loads" || fail "mid-training: the model does not load"
"$CLCNN" train --resume m --set train.epochs=2 > m2.log 2>&1 \
    && [ "$(($(wc -l < m/history.csv) - 1))" -eq 2 ] \
    && pass "mid-training: the folder resumes on a device with room (2 epochs)" \
    || { fail "mid-training: no resume"; cat m2.log; }

# A fresh run that fails in its first epoch leaves no model at all.
expect_error "launches fail in epoch 1" "CL_OUT_OF_RESOURCES" \
    env CLCNN_FAULT_LAUNCH=60 "$CLCNN" train "${SMALL[@]}" --set train.epochs=1 --out f
[ ! -e f/model.safetensors ] && [ ! -e f/optimizer.safetensors ] && ! ls f/*.tmp.* > /dev/null 2>&1 \
    && pass "a run that fails in epoch 1 writes no model" || { fail "a partial model"; ls -la f; }
finish
