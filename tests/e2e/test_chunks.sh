#!/usr/bin/env bash
# Big tensors in chunks: with a forced small largest allocation (CLCNN_MAX_ALLOC, what a GPU's
# CL_DEVICE_MAX_MEM_ALLOC_SIZE would impose) the data set is uploaded in several buffers, and
# training and evaluation give the same bits as with one buffer; a tensor that cannot fit at all
# is an error naming it, its size and the limit.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
export CLCNN_ROUTE=own # the same route in every run, whatever the timings
SMALL=(--set data.train_limit=2000 --set data.test_limit=300 --set model.layers.0.filters=8
       --set model.layers.1.filters=8 --set model.layers.3.units=32 --set train.epochs=1
       --set train.batch_size=4)
AUG=(--set data.augment.horizontal_flip=true --set data.augment.width_shift=0.1)
LIMIT=1000000 # bytes: 2000 examples of 784 bytes (1.57 MB) take two chunks

"$CLCNN" train "${SMALL[@]}" --out whole > whole.log 2>&1 || { cat whole.log; fail "train"; }
CLCNN_MAX_ALLOC=$LIMIT "$CLCNN" train "${SMALL[@]}" --out chunked > chunked.log 2>&1 \
    || { cat chunked.log; fail "train with CLCNN_MAX_ALLOC=$LIMIT"; }
cmp -s whole/model.safetensors chunked/model.safetensors \
    && pass "training on a chunked data set: bit-identical model" \
    || fail "a chunked data set trains another model"
cmp -s whole/history.csv chunked/history.csv && pass "the same history" || fail "histories differ"

"$CLCNN" eval whole/model.safetensors --set data.test_limit=3000 --json > e1.json 2> e1.err \
    || { cat e1.err; fail "eval"; }
CLCNN_MAX_ALLOC=1000000 "$CLCNN" eval whole/model.safetensors --set data.test_limit=3000 --json \
    > e2.json 2> e2.err || { cat e2.err; fail "eval with CLCNN_MAX_ALLOC"; }
grep -q '"accuracy"' e1.json && cmp -s e1.json e2.json && pass "evaluating 3000 examples in 3 chunks: the same results" \
    || fail "chunked evaluation differs: $(cat e1.json) vs $(cat e2.json)"

"$CLCNN" train "${SMALL[@]}" "${AUG[@]}" --out aug1 > aug1.log 2>&1 || { cat aug1.log; fail "train (augmented)"; }
CLCNN_MAX_ALLOC=$LIMIT "$CLCNN" train "${SMALL[@]}" "${AUG[@]}" --out aug2 > aug2.log 2>&1 \
    || { cat aug2.log; fail "train (augmented) with CLCNN_MAX_ALLOC"; }
cmp -s aug1/model.safetensors aug2/model.safetensors \
    && pass "augmented training on a chunked data set: bit-identical model" \
    || fail "augmented training differs when chunked"

# A limit below a layer's buffers: an error with the size and the limit, no crash.
expect_error "a limit below one buffer" "exceeds the largest allocation .*\([0-9]+ bytes\)" \
    env CLCNN_MAX_ALLOC=600 "$CLCNN" train "${SMALL[@]}" --out tiny

finish
