#!/usr/bin/env bash
# IDX datasets larger than the cache (data.streaming with format: idx): a generated IDX set (RGB
# idx4 images, gzip and raw files mixed) larger than a 1 MiB cache trains, streamed from the
# files with 1 and 3 reading threads, to the same bits (weights, optimizer state, history) as in
# memory; auto picks each path and says so; a gzip file's decompressed copy is made once, in the
# cache folder, and reused; clcnn eval streams a test set to the same results; a truncated or
# corrupt IDX file is an error naming it, exit 1, and no model file is written.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/streaming_lib.sh"
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
small_yaml "  format: idx
  dir: idx
  train_images: train-images.gz
  train_labels: train-labels
  test_images: test-images
  test_labels: test-labels.gz
  classes: 3
  validation_split: 0.1
  augment: {horizontal_flip: true, width_shift: 0.1, fill_mode: nearest}" "[16, 16, 3]"
train mem0 --set data.streaming=off --set train.epochs=1
[ ! -d cache/idx ] || [ -z "$(ls cache/idx)" ] && pass "in memory: no decompressed copy" \
    || fail "the in-memory path wrote $(ls cache/idx)"
streamed_like_memory "streamed from the IDX files" 1590 1 3
# (The copy: a 4 KiB header naming its source, then the images.)
[ "$(ls cache/idx | wc -l)" -eq 1 ] && [ "$(stat -c %s cache/idx/*.raw)" -eq $((4096 + 1500 * 768)) ] \
    && pass "one decompressed copy of the gzip training images, made once" \
    || fail "cache/idx holds: $(ls -l cache/idx)"

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
