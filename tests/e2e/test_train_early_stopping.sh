#!/usr/bin/env bash
# End to end on PoCL: early stopping and restore_best_weights. A small model with batch norm,
# dropout, an ELU dense layer and augmented batches trains through the CLI; early stopping ends
# the run (Keras' message), restore_best_weights puts the best epoch's weights in the model file
# (eval of the file agrees with the run's test accuracy); the file holds batch norm's running
# statistics; summary counts them as non-trainable.
source "$(dirname "$0")/lib.sh"
cat > "$WORK/x.yaml" <<'YAML'
data:
  train_limit: 1500
  test_limit: 300
  validation_split: 0.2
  augment: {horizontal_flip: true, width_shift: 0.1, erasing: 0.3, fill_mode: constant}
model:
  layers:
    - conv2d: {filters: 8, kernel_size: 3, padding: same, use_bias: false}
    - batch_normalization: {}
    - relu
    - max_pooling2d: {}
    - dropout: {rate: 0.2}
    - flatten
    - dense: {units: 16, activation: elu}
    - dense: {units: 10, activation: softmax}
train:
  epochs: 5
  conv_route: own
  lr_schedule: {name: step, every: 1, drop: 0.5}
  # No later epoch can beat the first by 100: stop after epoch 2, keep epoch 1's weights.
  early_stopping: {monitor: val_loss, patience: 1, min_delta: 100, restore_best_weights: true}
YAML

"$CLCNN" summary "$WORK/x.yaml" > "$WORK/summary.txt" # (not piped into grep -q: SIGPIPE under pipefail)
grep -q "Non-trainable params: 16" "$WORK/summary.txt" \
    && pass "summary: 16 non-trainable (running mean and variance of 8 channels)" || fail "summary non-trainable count"
"$CLCNN" train "$WORK/x.yaml" --out "$WORK/run" | tee "$WORK/train.txt"
grep -q "^Epoch 2: early stopping" "$WORK/train.txt" && pass "early stopping after epoch 2" || fail "no early stop message"
grep -q "restored the weights of the best epoch: 1" "$WORK/train.txt" && pass "restored epoch 1" || fail "no restore message"
[ "$(($(wc -l < "$WORK/run/history.csv") - 1))" -eq 2 ] && pass "history keeps the 2 epochs run" || fail "history: $(cat "$WORK/run/history.csv")"
acc=$(sed -n 's/^test accuracy: \([0-9.]*\).*/\1/p' "$WORK/train.txt")
"$CLCNN" eval "$WORK/run/model.safetensors" --set data.test_limit=300 --json > "$WORK/eval.json"
eval_acc=$(/usr/bin/python3 -c "import json,sys; print('%.4f' % json.load(open(sys.argv[1]))['accuracy'])" "$WORK/eval.json")
[ "$eval_acc" = "$acc" ] && pass "the model file holds the restored weights (eval $eval_acc)" \
    || fail "eval accuracy $eval_acc != the run's $acc"
/usr/bin/python3 - "$WORK/run/model.safetensors" <<'PY' && pass "running_mean/running_var in the model file" || fail "batch norm tensors"
import json, struct, sys
f = open(sys.argv[1], "rb")
header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
for name in ("layers.1.weight", "layers.1.bias", "layers.1.running_mean", "layers.1.running_var"):
    assert header[name]["shape"] == [8] and header[name]["dtype"] == "F32", name
PY
finish
