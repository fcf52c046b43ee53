#!/usr/bin/env bash
# End to end on PoCL: the batch norm + ReLU fusion (host/nn/fuse.c) in a short training run. A
# model shaped like configs/fashion_mnist_best.yaml (conv without bias -> batch_normalization ->
# relu twice, pooling, dropout, dense -> batch_normalization -> relu, augmented batches) trains one
# epoch fused (the default) and with CLCNN_FUSE=0: every tensor of the model file (running
# statistics included) is the same bytes, and so are the epoch's metrics; a bad CLCNN_FUSE is
# refused by name.
source "$(dirname "$0")/lib.sh"
cat > "$WORK/x.yaml" <<'YAML'
data:
  train_limit: 640
  test_limit: 200
  validation_split: 0.0
  augment: {height_shift: 0.08, erasing: 0.3}
model:
  layers:
    - conv2d: {filters: 6, kernel_size: 3, padding: same, use_bias: false}
    - batch_normalization: {momentum: 0.9}
    - relu
    - conv2d: {filters: 8, kernel_size: 3, padding: same, use_bias: false}
    - batch_normalization: {}
    - relu
    - max_pooling2d: {pool_size: 2}
    - dropout: {rate: 0.25}
    - flatten: {}
    - dense: {units: 16, use_bias: false}
    - batch_normalization: {}
    - relu
    - dense: {units: 10, activation: softmax}
train:
  epochs: 1
  batch_size: 64
  optimizer: {name: adam, learning_rate: 0.002, weight_decay: 0.005}
YAML

"$CLCNN" train "$WORK/x.yaml" --out "$WORK/fused" > "$WORK/fused.txt"
CLCNN_FUSE=0 "$CLCNN" train "$WORK/x.yaml" --out "$WORK/unfused" > "$WORK/unfused.txt"
/usr/bin/python3 - "$WORK/fused/model.safetensors" "$WORK/unfused/model.safetensors" <<'PY' \
    && pass "fused and unfused model files: the same tensors, byte for byte" || fail "model files differ"
import json, struct, sys
def tensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    return {k: data[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]] for k, v in header.items()}
a, b = tensors(sys.argv[1]), tensors(sys.argv[2])
assert sorted(a) == sorted(b), (sorted(a), sorted(b))
assert "layers.10.running_var" in a and "layers.11.weight" not in a
for k in a:
    assert a[k] == b[k], k
PY
acc_f=$(grep '^test accuracy' "$WORK/fused.txt" || true)
acc_u=$(grep '^test accuracy' "$WORK/unfused.txt" || true)
[ -n "$acc_f" ] && [ "$acc_f" = "$acc_u" ] && pass "same test metrics: $acc_f" \
    || fail "test metrics: '$acc_f' vs '$acc_u'"
cmp -s "$WORK/fused/history.csv" "$WORK/unfused/history.csv" && pass "same history rows" \
    || { fail "history differs"; cat "$WORK/fused/history.csv" "$WORK/unfused/history.csv"; }
CLCNN_FUSE=yes expect_error "CLCNN_FUSE=yes refused" "CLCNN_FUSE='yes'" \
    "$CLCNN" train "$WORK/x.yaml" --out "$WORK/bad"
finish
