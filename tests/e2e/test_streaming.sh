#!/usr/bin/env bash
# Datasets larger than memory (data.streaming, data.cache_mb): a generated image folder larger
# than a 1 MiB cache trains, streamed from the files with 1 and 4 decoding threads, to the same
# bits (weights, optimizer state, history: the same per-epoch sample order, augmentation and
# dropout) as in memory; auto mode picks each path and says so; host memory stays under the cache
# plus a margin where the in-memory path grows with the data; a corrupt image met mid-epoch is an
# error naming it, and no model file is written.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/streaming_lib.sh"
cd "$WORK"
export CLCNN_ROUTE=own # the same route in every run, whatever the timings
GEN="$CLCNN_SOURCE_DIR/bench/gen_image_folder.py"

python3 "$GEN" small --train 600 --test 90 --classes 3 --size 32 # 2.0 MB decoded
small_yaml "  format: image_folder
  dir: small
  classes: 3
  validation_split: 0.1
  augment: {horizontal_flip: true, width_shift: 0.1, fill_mode: nearest}" "[32, 32, 3]"
streamed_like_memory "streamed from the files" 690 1 4

sed 's/^data:$/data:\n  cache_mb: 0/' small.yaml > bad.yaml
expect_error "data.cache_mb: 0 in a file" "bad.yaml:2.*cache_mb.*got '0'" "$CLCNN" train bad.yaml --out bad
expect_error "data.streaming maybe" "streaming" "$CLCNN" train small.yaml --set data.streaming=maybe --out bad

# A corrupt image: the error names it (the run meets it in the middle of epoch 1: the files are
# decoded as their batches come), exit 1, no model file.
bad=$(ls small/train/c1 | sed -n 50p)
echo "not an image" > "small/train/c1/$bad"
expect_error "a corrupt image mid-epoch" "c1/$bad" \
    "$CLCNN" train small.yaml --set data.streaming=on --set data.cache_mb=1 --out corrupt
[ ! -e corrupt/model.safetensors ] && pass "no model file after the error" || fail "a model file was written"

# Host memory: peak RSS of a streamed epoch over 2000 64x64 RGB images (24.6 MB decoded) with a
# 2 MiB cache, against the same run over 64 of them (both after a run that compiled the kernels,
# whose compiler's memory would hide the rest): at most the cache plus an 8 MiB margin more; in
# memory the same set costs over 20 MB more (its host and device copies), which shows the
# measure can tell.
python3 "$GEN" big --train 2000 --test 10 --classes 4 --size 64
cat > big.yaml <<'EOF'
data: {format: image_folder, dir: big, classes: 4}
model:
  input_shape: [64, 64, 3]
  layers: [flatten, {dense: {units: 4, activation: softmax}}]
train: {epochs: 1, batch_size: 32}
EOF
peak_kb() { # OUT ARGS...: the peak RSS (KiB) of clcnn train big.yaml
    local out="$1"
    shift
    python3 -c 'import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=open(sys.argv[-1] + ".log", "w"), stderr=subprocess.STDOUT)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if r.returncode == 0 else -1)' \
        "$CLCNN" train big.yaml "$@" --out "$out"
}
peak_kb rss_warm --set data.streaming=on --set data.train_limit=64 > /dev/null # compiles the kernels
base=$(peak_kb rss_base --set data.streaming=on --set data.cache_mb=2 --set data.train_limit=64)
stream=$(peak_kb rss_stream --set data.streaming=on --set data.cache_mb=2)
mem=$(peak_kb rss_mem --set data.streaming=off)
echo "peak RSS (KiB): 64 images streamed $base, 2000 streamed $stream, 2000 in memory $mem"
[ "$base" -gt 0 ] && [ "$stream" -gt 0 ] && [ "$mem" -gt 0 ] || { cat rss_*.log; fail "an RSS run failed"; }
[ $((stream - base)) -le $(((2 + 8) * 1024)) ] \
    && pass "streamed: peak RSS $((stream - base)) KiB over the 64-image run (limit: 2 MiB cache + 8 MiB)" \
    || fail "streamed peak RSS grew by $((stream - base)) KiB"
[ $((mem - base)) -ge $((20 * 1024)) ] && pass "in memory: $((mem - base)) KiB more (the measure tells)" \
    || fail "the in-memory run grew by only $((mem - base)) KiB: the RSS check proves nothing"

finish
