#!/usr/bin/env bash
# IDX datasets larger than the cache (data.streaming with format: idx): a generated IDX set (RGB
# idx4 images, gzip and raw files mixed) larger than a 1 MiB cache trains, streamed from the
# files with 1 and 3 reading threads, to the same bits (weights, optimizer state, history) as in
# memory; auto picks each path and says so; a gzip file's decompressed copy is made once, in the
# cache folder, and reused; clcnn eval streams a test set to the same results; a truncated or
# corrupt IDX file is an error naming it, exit 1, and no model file is written.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
export CLCNN_ROUTE=own # the same route in every run, whatever the timings
export CLCNN_CACHE_DIR="$WORK/cache"

# 1500 training images of 16x16x3 and 90 test images (1.2 MB together), three classes whose colours
# differ so that training learns something.
python3 - <<'EOF'
import gzip, os, random, struct
rnd = random.Random(5)
os.makedirs("idx")
def images(n):
    labels, data = [], bytearray()
    for _ in range(n):
        k = rnd.randrange(3)
        labels.append(k)
        for _ in range(16 * 16):
            data += bytes(min(255, max(0, (80 * k if c == k else 40) + rnd.randrange(100)))
                          for c in range(3))
    return labels, data
def write(path, dims, payload, gz):
    raw = struct.pack(">BBBB", 0, 0, 8, len(dims)) + b"".join(struct.pack(">I", d) for d in dims)
    (gzip.open if gz else open)(path, "wb").write(raw + bytes(payload))
for name, n, gz in (("train", 1500, True), ("test", 90, False)):
    labels, data = images(n)
    write(f"idx/{name}-images" + (".gz" if gz else ""), (n, 16, 16, 3), data, gz)
    write(f"idx/{name}-labels" + ("" if gz else ".gz"), (n,), labels, not gz)
EOF
cat > small.yaml <<'EOF'
data:
  format: idx
  dir: idx
  train_images: train-images.gz
  train_labels: train-labels
  test_images: test-images
  test_labels: test-labels.gz
  classes: 3
  validation_split: 0.1
  augment: {horizontal_flip: true, width_shift: 0.1, fill_mode: nearest}
model:
  input_shape: [16, 16, 3]
  layers:
    - conv2d: {filters: 4, kernel_size: 3, padding: same, use_bias: false}
    - batch_normalization: {}
    - relu
    - max_pooling2d: {}
    - global_average_pooling2d
    - dropout: {rate: 0.2}
    - dense: {units: 3, activation: softmax}
train: {epochs: 2, batch_size: 16, optimizer: {name: adam, learning_rate: 0.003}}
EOF

# Tensors (names, shapes, bytes) of two safetensors files, the metadata (the config) aside.
same_tensors() {
    python3 - "$1" "$2" <<'EOF'
import json, struct, sys
def load(p):
    b = open(p, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    h.pop("__metadata__", None)
    return h, b[8 + n:]
sys.exit(0 if load(sys.argv[1]) == load(sys.argv[2]) else 1)
EOF
}

train() { # OUT ARGS...: trains small.yaml into OUT, output in OUT.log
    local out="$1"
    shift
    "$CLCNN" train small.yaml "$@" --out "$out" > "$out.log" 2>&1 || { cat "$out.log"; fail "train $out"; }
}

train mem --set data.streaming=off
grep -q "^data: in memory (1590 images" mem.log && pass "streaming off: in memory, said so" \
    || { cat mem.log; fail "no in-memory line"; }
[ ! -d cache/idx ] || [ -z "$(ls cache/idx)" ] && pass "in memory: no decompressed copy" \
    || fail "the in-memory path wrote $(ls cache/idx)"
for threads in 1 3; do
    train "s$threads" --set data.streaming=on --set data.cache_mb=1 --set data.decode_threads=$threads
    grep -q "^data: streamed from the IDX files (1590 images" "s$threads.log" \
        || { cat "s$threads.log"; fail "no streaming line"; }
    same_tensors mem/model.safetensors "s$threads/model.safetensors" \
        && same_tensors mem/optimizer.safetensors "s$threads/optimizer.safetensors" \
        && pass "IDX streamed with $threads thread(s) through a 1 MiB cache: bit-identical weights and optimizer state" \
        || fail "streamed IDX training ($threads threads) differs from in memory"
    cmp -s mem/history.csv "s$threads/history.csv" && pass "the same history ($threads threads)" \
        || fail "histories differ ($threads threads)"
    grep -q "test accuracy: $(grep -o 'test accuracy: [0-9.]*' mem.log | cut -d' ' -f3)" "s$threads.log" \
        && pass "the same test accuracy ($threads threads)" || fail "test accuracies differ"
done
[ "$(ls cache/idx | wc -l)" -eq 1 ] && [ "$(stat -c %s cache/idx/*.raw)" -eq $((1500 * 768)) ] \
    && pass "one decompressed copy of the gzip training images, made once" \
    || fail "cache/idx holds: $(ls -l cache/idx)"

"$CLCNN" eval s1/model.safetensors --set data.streaming=off --json > e_mem.json 2> e.err || { cat e.err; fail "eval"; }
"$CLCNN" eval s1/model.safetensors --set data.streaming=on --set data.cache_mb=1 --json > e_str.json 2> e.err \
    || { cat e.err; fail "eval, streamed"; }
grep -q '"accuracy"' e_mem.json && cmp -s e_mem.json e_str.json && pass "clcnn eval of IDX, streamed: the same results" \
    || fail "streamed evaluation differs: $(cat e_mem.json) vs $(cat e_str.json)"

train auto1 --set train.epochs=1
grep -q "^data: in memory (.*fits data.cache_mb" auto1.log && pass "auto, fits: in memory" \
    || { cat auto1.log; fail "auto did not keep a fitting set in memory"; }
train auto2 --set train.epochs=1 --set data.cache_mb=1
grep -q "^data: streamed from the IDX files (.*more than data.cache_mb" auto2.log \
    && pass "auto, larger than the cache: streamed" || { cat auto2.log; fail "auto did not stream"; }

# Damage: a raw file cut short, a gzip file corrupt in the middle. Each error names the file;
# no model file, no decompressed copy of the corrupt file.
head -c 50000 idx/test-images > cut-images
expect_error "a truncated raw IDX file, streamed" "cut-images.*truncated" "$CLCNN" train small.yaml \
    --set data.streaming=on --set data.cache_mb=1 --set "data.test_images=$WORK/cut-images" --out cut
[ ! -e cut/model.safetensors ] && pass "no model file after the error" || fail "a model file was written"
python3 -c 'import sys; b = bytearray(open("idx/train-images.gz", "rb").read())
for i in range(len(b) // 2, len(b) // 2 + 16): b[i] ^= 0x5A
open("bad-images.gz", "wb").write(b)'
rm -rf cache
expect_error "a corrupt gzip IDX file, streamed" "bad-images.gz" "$CLCNN" train small.yaml \
    --set data.streaming=on --set data.cache_mb=1 --set "data.train_images=$WORK/bad-images.gz" --out bad
[ ! -e bad/model.safetensors ] && pass "no model file after the error" || fail "a model file was written"
[ -z "$(ls cache/idx 2> /dev/null)" ] && pass "no copy of the corrupt file left in the cache" \
    || fail "cache/idx holds: $(ls cache/idx)"
expect_error "streamed IDX of the wrong shape" "train-images.gz.*16x16x3.*input_shape is \[16, 16, 1\]" \
    "$CLCNN" train small.yaml --set data.streaming=on --set 'model.input_shape=[16, 16, 1]' --out shape

finish
