#!/bin/bash
# tests/mpi/test_mpi_streaming.sh CLCNN MPIEXEC: streamed datasets under data-parallel training
# (mpirun -n 2 clcnn train with data.streaming: on), on PoCL, a small model with batch norm,
# dropout and augmentation (every source of per-example order and draws), global batch 16.
# - An image folder and an IDX set, each streamed through a 1 MiB cache over 2 ranks, give the
#   bits of the same 2 ranks in memory (weights, optimizer state, history, test accuracy) and,
#   without batch norm (whose running statistics are each rank's own), of one process that
#   streams the set and splits each batch as the ranks do (CLCNN_DP_SPLIT=2).
#   The last batch of an epoch holds 1 example: rank 1 has none of it.
# - Each rank decodes only its share of every batch: rank 1's count of examples decoded and taken
#   from its cache is its share, over the epochs, not the set.
# - Rank 0 alone writes files; --resume continues a streamed run under mpirun to the bits of an
#   uninterrupted run in memory.
# - A corrupt image met mid-epoch: an error naming the file from the rank that decoded it, the
#   other rank ends too (no hang), no model file.
source "$(dirname "$0")/../e2e/lib.sh"
source "$(dirname "$0")/../e2e/streaming_lib.sh"
MPIEXEC=${2:-mpirun}
cd "$WORK"
export CLCNN_ROUTE=own OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export CLCNN_CACHE_DIR="$WORK/cache"
GEN="$CLCNN_SOURCE_DIR/bench/gen_image_folder.py"
# Each rank gets its own --out (OUT_<rank>): rank 0 must write, the others not.
mpi() { # OUT ARGS...: mpirun -n 2 clcnn ARGS, output in OUT.log
    local out=$1
    shift
    timeout 600 "$MPIEXEC" --oversubscribe -n 2 bash -c \
        'exec "$0" "$@" --out "'"$out"'_${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-0}}"' "$CLCNN" "$@" \
        >"$out.log" 2>&1
}
STREAM=(--set data.streaming=on --set data.cache_mb=1 --set data.decode_threads=2)

# The same bits as 2 ranks in memory; rank 1 decoded its share alone. $1: the data line's words,
# $2: training examples (after the validation split), $3: the name of the runs.
streamed_like_memory_dp() {
    local line=$1 n=$2 name=$3
    mpi "${name}_mem" train small.yaml --set data.streaming=off ||
        { cat "${name}_mem.log"; fail "$name: 2 ranks in memory"; return; }
    mpi "${name}_str" train small.yaml "${STREAM[@]}" --verbose ||
        { cat "${name}_str.log"; fail "$name: 2 ranks streamed"; return; }
    grep -q "^data: $line (" "${name}_str.log" || { cat "${name}_str.log"; fail "$name: no streaming line"; }
    grep -q "data-parallel over 2 ranks" "${name}_str.log" || fail "$name: not data-parallel"
    same_tensors "${name}_mem_0/model.safetensors" "${name}_str_0/model.safetensors" &&
        same_tensors "${name}_mem_0/optimizer.safetensors" "${name}_str_0/optimizer.safetensors" &&
        pass "$name: 2 ranks streamed give the weights and optimizer state of 2 ranks in memory, bit for bit" ||
        fail "$name: 2 ranks streamed differ from 2 ranks in memory"
    cmp -s "${name}_mem_0/history.csv" "${name}_str_0/history.csv" && pass "$name: the same history" ||
        fail "$name: the histories differ"
    local acc
    acc=$(grep -o 'test accuracy: [0-9.]*' "${name}_mem.log" | cut -d' ' -f3)
    [ -n "$acc" ] && grep -q "test accuracy: $acc" "${name}_str.log" && pass "$name: the same test accuracy" ||
        fail "$name: the test accuracies differ"
    # One process splitting each batch as the ranks do: the same bits where batch norm's running
    # statistics (each rank's own; one process updates them once per part) are left out.
    grep -v batch_normalization small.yaml >nobn.yaml
    mpi "${name}_nobn" train nobn.yaml "${STREAM[@]}" ||
        { cat "${name}_nobn.log"; fail "$name: 2 ranks streamed, no batch norm"; return; }
    CLCNN_DP_SPLIT=2 "$CLCNN" train nobn.yaml "${STREAM[@]}" --out "${name}_split" >"${name}_split.log" 2>&1 ||
        { cat "${name}_split.log"; fail "$name: CLCNN_DP_SPLIT=2 streamed"; return; }
    same_tensors "${name}_split/model.safetensors" "${name}_nobn_0/model.safetensors" &&
        same_tensors "${name}_split/optimizer.safetensors" "${name}_nobn_0/optimizer.safetensors" &&
        pass "$name: the bits of one process streaming the set and splitting each batch in 2" ||
        fail "$name: 2 ranks streamed differ from CLCNN_DP_SPLIT=2"
    [ ! -e "${name}_str_1" ] && [ -f "${name}_str_0/model.safetensors" ] && pass "$name: rank 0 alone wrote files" ||
        fail "$name: rank 1 wrote $(ls -R "${name}_str_1" 2>&1)"
    # Rank 1's share of each batch of 16 is 8, of the last (n % 16 examples) half of it, rounded
    # down; two epochs.
    local want=$((2 * (n / 16 * 8 + n % 16 / 2))) got
    got=$(sed -n 's/.*training data, rank 1: \([0-9]*\) examples decoded, \([0-9]*\) from the cache.*/\1 \2/p' \
        "${name}_str.log" | awk '{ print $1 + $2 }')
    [ "$got" = "$want" ] && pass "$name: rank 1 read its share alone ($got examples over 2 epochs of $n)" ||
        { grep "training data" "${name}_str.log"; fail "$name: rank 1 read $got examples, not its share $want"; }
}

# An image folder: 144 training images (129 after the validation split: 8 batches of 16 and one
# of 1), 30 to test, 16x16 RGB.
python3 "$GEN" folder --train 144 --test 30 --classes 3 --size 16 >/dev/null
small_yaml "  format: image_folder
  dir: folder
  classes: 3
  validation_split: 0.1
  augment: {horizontal_flip: true, width_shift: 0.1, fill_mode: nearest}" "[16, 16, 3]"
streamed_like_memory_dp "streamed from the files" 129 folder

# --resume of the streamed run for a third epoch: the bits of 3 epochs in memory in one go.
mpi folder_mem3 train small.yaml --set data.streaming=off --set train.epochs=3 ||
    { cat folder_mem3.log; fail "3 epochs in memory"; }
mpi folder_str train --resume folder_str_0 --set train.epochs=3 ||
    { cat folder_str.log; fail "--resume of the streamed run"; }
grep -q "^data: streamed from the files" folder_str.log || { cat folder_str.log; fail "the resumed run did not stream"; }
same_tensors folder_mem3_0/model.safetensors folder_str_0/model.safetensors &&
    same_tensors folder_mem3_0/optimizer.safetensors folder_str_0/optimizer.safetensors &&
    pass "--resume under mpirun, streamed: the bits of an uninterrupted run in memory" ||
    fail "the resumed streamed run differs from 3 epochs in memory"

# An IDX set (gzip images, raw labels): the same.
python3 - <<'EOF'
import gzip, os, random, struct
rnd = random.Random(7)
os.makedirs("idx")
def write(path, dims, payload, gz):
    raw = struct.pack(">BBBB", 0, 0, 8, len(dims)) + b"".join(struct.pack(">I", d) for d in dims)
    (gzip.open if gz else open)(path, "wb").write(raw + bytes(payload))
for name, n in (("train", 144), ("test", 30)):
    labels = [rnd.randrange(3) for _ in range(n)]
    data = bytearray()
    for k in labels:
        for _ in range(16 * 16):
            data += bytes(min(255, (80 * k if c == k else 40) + rnd.randrange(100)) for c in range(3))
    write(f"idx/{name}-images.gz", (n, 16, 16, 3), data, True)
    write(f"idx/{name}-labels", (n,), labels, False)
EOF
small_yaml "  format: idx
  dir: idx
  train_images: train-images.gz
  train_labels: train-labels
  test_images: test-images.gz
  test_labels: test-labels
  classes: 3
  validation_split: 0.1
  augment: {horizontal_flip: true, width_shift: 0.1, fill_mode: nearest}" "[16, 16, 3]"
streamed_like_memory_dp "streamed from the IDX files" 129 idx

# A corrupt image in the training set (no validation split: the training pass meets it): the rank
# whose share holds it names it; the other rank is taken down with it, no hang, no model file.
small_yaml "  format: image_folder
  dir: folder
  classes: 3" "[16, 16, 3]"
bad=$(find folder/train/c1 -type f | sort | sed -n 5p)
echo "not an image" >"$bad"
rc=0
mpi corrupt train small.yaml "${STREAM[@]}" || rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] && pass "a corrupt image ends the job (exit $rc)" ||
    { cat corrupt.log; fail "a corrupt image: exit $rc (124: a hang)"; }
rel=${bad#folder/}
# (A progress line without its newline may precede the message.)
lines=$(grep -o "clcnn: error: training[^:]*: .*$rel" corrupt.log | wc -l)
[ "$lines" = 1 ] && pass "one rank named the file: $(grep -o "clcnn: error: training[^:]*" corrupt.log)" ||
    { cat corrupt.log; fail "the file was named by $lines ranks, not one"; }
[ ! -e corrupt_0/model.safetensors ] && [ ! -e corrupt_1 ] && pass "no model file after the error" ||
    fail "a model file was written"

finish
