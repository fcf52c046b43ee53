#!/usr/bin/env bash
# Determinism (same seed and cache: the same weights, bit for bit), Ctrl-C (stops after the
# current step, keeps the last completed epoch's model), --resume (continues with the optimizer
# state) and the best-epoch checkpoint.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
SMALL=(--set data.train_limit=2000 --set data.test_limit=200 --set model.layers.0.filters=8
       --set model.layers.1.filters=8 --set model.layers.3.units=32)

"$CLCNN" train "${SMALL[@]}" --set train.epochs=2 --out a > /dev/null
"$CLCNN" train "${SMALL[@]}" --set train.epochs=2 --out b > /dev/null
cmp -s a/model.safetensors b/model.safetensors && pass "same seed: bit-identical model files" \
    || fail "two runs with the same seed differ"
"$CLCNN" train "${SMALL[@]}" --set train.epochs=2 --set train.seed=7 --out c > /dev/null
cmp -s a/model.safetensors c/model.safetensors && fail "another seed gives the same model" \
    || pass "another seed gives other weights"

# Ctrl-C during epoch 2 of 3: exit 130, the model file is epoch 1's and loads. Sent as soon as
# epoch 1's row is written, with epochs long enough (20000 images, seconds each even on fast
# kernels) that it lands in epoch 2: with 6000 images and a 0.3 s wait, faster kernels let the
# run reach epoch 3's last step first.
"$CLCNN" train "${SMALL[@]}" --set data.train_limit=20000 --set train.epochs=3 --out d > d.log 2>&1 &
pid=$!
for _ in $(seq 1 3000); do
    [ "$(cat d/history.csv 2>/dev/null | wc -l)" -ge 2 ] && break
    sleep 0.02
done
kill -INT "$pid"
code=0
wait "$pid" || code=$?
rows=$(($(wc -l < d/history.csv) - 1))
[ "$code" -eq 130 ] && pass "Ctrl-C exits 130" || fail "Ctrl-C exit code $code"
grep -q "stopping after this step" d.log && pass "Ctrl-C message" || fail "no Ctrl-C message"
[ "$rows" -ge 1 ] && [ "$rows" -le 2 ] && pass "history keeps $rows completed epoch(s)" || fail "history rows: $rows"
"$CLCNN" eval d/model.safetensors --set data.test_limit=200 --json > /dev/null && pass "the kept model loads" \
    || fail "the kept model does not load"

# --resume continues to the configured 3 epochs, from the saved optimizer state.
"$CLCNN" train --resume d > d2.log
[ "$(($(wc -l < d/history.csv) - 1))" -eq 3 ] && pass "--resume completes 3 epochs" || fail "--resume: $(cat d/history.csv)"
grep -q "^Epoch 1/" d2.log && fail "--resume repeated epoch 1" || pass "--resume starts after the completed epochs"

# The best epoch by a monitored metric is kept beside the last one.
"$CLCNN" train "${SMALL[@]}" --set train.epochs=2 --set train.checkpoint_monitor=val_accuracy --out e > /dev/null
[ -s e/best.safetensors ] && pass "checkpoint_monitor writes best.safetensors" || fail "no best.safetensors"
finish
