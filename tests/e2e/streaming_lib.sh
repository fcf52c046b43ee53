# tests/e2e/streaming_lib.sh: what test_streaming.sh (image folders) and test_streaming_idx.sh
# (IDX files) both check, sourced after lib.sh: a small model trained from small.yaml in memory
# and streamed through a 1 MiB cache must give the same bits; clcnn eval the same results; auto
# picks each path and says so.

# small_yaml DATA_LINES INPUT_SHAPE: writes small.yaml, the data section given, the model fixed
# (a convolution, batch norm, pooling, dropout: every source of per-example order and draws).
small_yaml() {
    { printf 'data:\n%s\n' "$1"; cat <<EOF
model:
  input_shape: $2
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
    } > small.yaml
}

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

# streamed_like_memory STREAMED_LINE IMAGES THREADS...: trains small.yaml in memory (into mem)
# and streamed with each thread count (into s<threads>), each through a 1 MiB cache; checks the
# lines that say which, the bits (weights, optimizer state, history, test accuracy), clcnn eval
# both ways, and auto's choice either side of the cache size.
streamed_like_memory() {
    local line="$1" images="$2" threads
    shift 2
    train mem --set data.streaming=off
    grep -q "^data: in memory ($images images" mem.log && pass "streaming off: in memory, said so" \
        || { cat mem.log; fail "no in-memory line"; }
    for threads in "$@"; do
        train "s$threads" --set data.streaming=on --set data.cache_mb=1 --set data.decode_threads=$threads
        grep -q "^data: $line ($images images" "s$threads.log" \
            || { cat "s$threads.log"; fail "no streaming line"; }
        same_tensors mem/model.safetensors "s$threads/model.safetensors" \
            && same_tensors mem/optimizer.safetensors "s$threads/optimizer.safetensors" \
            && pass "$line with $threads thread(s) through a 1 MiB cache: bit-identical weights and optimizer state" \
            || fail "streamed training ($threads threads) differs from in memory"
        cmp -s mem/history.csv "s$threads/history.csv" && pass "the same history ($threads threads)" \
            || fail "histories differ ($threads threads)"
        grep -q "test accuracy: $(grep -o 'test accuracy: [0-9.]*' mem.log | cut -d' ' -f3)" "s$threads.log" \
            && pass "the same test accuracy ($threads threads)" || fail "test accuracies differ"
    done

    # clcnn eval streams a test set the same way, with the same results.
    "$CLCNN" eval "s$1/model.safetensors" --set data.streaming=off --json > e_mem.json 2> e.err \
        || { cat e.err; fail "eval"; }
    "$CLCNN" eval "s$1/model.safetensors" --set data.streaming=on --set data.cache_mb=1 --json > e_str.json 2> e.err \
        || { cat e.err; fail "eval, streamed"; }
    grep -q '"accuracy"' e_mem.json && cmp -s e_mem.json e_str.json && pass "clcnn eval, streamed: the same results" \
        || fail "streamed evaluation differs: $(cat e_mem.json) vs $(cat e_str.json)"

    # auto: in memory when the set fits the cache, streamed when not.
    train auto1 --set train.epochs=1
    grep -q "^data: in memory (.*fits data.cache_mb" auto1.log && pass "auto, fits: in memory" \
        || { cat auto1.log; fail "auto did not keep a fitting set in memory"; }
    train auto2 --set train.epochs=1 --set data.cache_mb=1
    grep -q "^data: $line (.*more than data.cache_mb" auto2.log \
        && pass "auto, larger than the cache: streamed" || { cat auto2.log; fail "auto did not stream"; }
}
