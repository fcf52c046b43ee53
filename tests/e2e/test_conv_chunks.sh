#!/usr/bin/env bash
# Convolutions in batch chunks (nn/conv2d.c): with CLCNN_CONV_CHUNK=3 each conv layer makes its
# im2col columns for 3 images at a time (7 = 3 + 3 + 1 per batch). Forward and the data gradient
# give the whole batch's bits; the weight gradient sums per chunk, so a few SGD steps give weights
# within float rounding of the unchunked run's (relative 1e-5, as data-parallel steps promise),
# and the run logs its chunking decision. A layer whose columns cannot fit one image is an error
# naming the layer, the size and the limit.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
# The same algorithm and route in both runs: a chunked layer always runs im2col.
export CLCNN_ROUTE=own CLCNN_CONV=im2col
SMALL=(--set data.train_limit=70 --set data.validation_split=0 --set data.test_limit=50
       --set model.layers.0.filters=5 --set model.layers.1.filters=6
       --set model.layers.3.units=16 --set train.epochs=1 --set train.batch_size=7
       --set train.optimizer.name=sgd --set train.optimizer.learning_rate=0.05)

"$CLCNN" train "${SMALL[@]}" --out whole > whole.log 2>&1 || { cat whole.log; fail "train"; }
CLCNN_CONV_CHUNK=3 "$CLCNN" train "${SMALL[@]}" --out chunked > chunked.log 2>&1 \
    || { cat chunked.log; fail "train with CLCNN_CONV_CHUNK=3"; }
grep -q "im2col in chunks of 3 of 7 images" chunked.log \
    && pass "the chunking decision is logged: $(grep -m1 'in chunks of' chunked.log)" \
    || { cat chunked.log; fail "no chunking decision in the log"; }
! grep -q "in chunks of" whole.log && pass "no chunks without the setting" \
    || fail "the unchunked run chunked"
python3 - whole/model.safetensors chunked/model.safetensors <<'PY' \
    && pass "10 SGD steps in chunks of 3: weights within 1e-5 relative of the whole batch's" \
    || fail "chunked training drifted from the whole batch's"
import json, struct, sys
def tensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    head = json.loads(raw[8:8 + n])
    out = {}
    for name, t in head.items():
        if name == "__metadata__": continue
        a, b = t["data_offsets"]
        out[name] = struct.unpack("<%df" % ((b - a) // 4), raw[8 + n + a:8 + n + b])
    return out
w, c = (tensors(p) for p in sys.argv[1:3])
assert w.keys() == c.keys() and w, "the same tensors"
worst, moved = 0.0, 0
for name in w:
    for a, b in zip(w[name], c[name]):
        worst = max(worst, abs(a - b) / max(1.0, abs(a)))
        moved += a != b
print(f"{moved} weights differ in their bits; worst relative difference {worst:.3g}")
assert worst <= 1e-5
PY

# A budget below one image's columns: the error names the layer, the size and the limit.
expect_error "a layer whose columns cannot fit one image" \
    "conv2d.*im2col columns of one image \([0-9]+ bytes.*device '.*': [0-9]+ bytes" \
    env CLCNN_MAX_ALLOC=250000 "$CLCNN" train "${SMALL[@]}" --set model.layers.0.filters=3 \
    --set model.layers.1.kernel_size=9 --out tiny
finish
