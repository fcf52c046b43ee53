#!/usr/bin/env bash
# Streamed datasets under data-parallel training: epoch images/s (rank 0's epoch line) and each
# rank's peak RSS, 1 and 2 ranks, in memory and streamed, over a generated image folder
# (bench/gen_image_folder.py: N 64x64 RGB PNGs in 10 classes) and Fashion-MNIST's IDX files
# (gzip, Debian's package). The model is flatten + dense 10 at global batch 64, so that the
# figures measure the data path rather than the convolutions. Two rounds, interleaved. The
# folder is generated when missing, and then deleted at the end.
#
#   bench/dp_streaming.sh build/clcnn [N=10000] [DIR=/tmp/clcnn-dpstream-bench] [MPIEXEC=mpirun]
set -euo pipefail
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 CLCNN_ROUTE=own
CLCNN="$(realpath "${1:?usage: $0 path/to/clcnn [N] [DIR] [MPIEXEC]}")"
N="${2:-10000}" DIR="${3:-/tmp/clcnn-dpstream-bench}" MPIEXEC="${4:-mpirun}"
HERE="$(cd "$(dirname "$0")" && pwd)" WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

if [ ! -d "$DIR/train" ]; then # made here, so deleted at the end (a folder given is kept)
    trap 'rm -rf "$WORK" "$DIR"' EXIT
    python3 "$HERE/gen_image_folder.py" "$DIR" --train "$N" --test 200 --classes 10 --size 64 >/dev/null
fi
# bench_yaml FILE DATA SHAPE: the config, a flat YAML line per section.
bench_yaml() {
    printf 'data: {%s, classes: 10, decode_threads: 1}\nmodel: {input_shape: %s, layers: [flatten, {dense: {units: 10, activation: softmax}}]}\ntrain: {epochs: 1, batch_size: 64}\n' \
        "$2" "$3" >"$1"
}
bench_yaml "$WORK/folder.yaml" "format: image_folder, dir: $DIR" "[64, 64, 3]"
bench_yaml "$WORK/idx.yaml" "format: idx, dir: /usr/share/datasets/fashion-mnist" "[28, 28, 1]"

# run NAME RANKS YAML ARGS...: one epoch under mpirun -n RANKS; a table row: rank 0's epoch
# images/s, wall s, each rank's peak RSS (MiB).
run() {
    local name=$1 ranks=$2 yaml=$3
    shift 3
    local t0 t1
    t0=$(date +%s.%N)
    "$MPIEXEC" --oversubscribe -n "$ranks" bash -c \
        '/usr/bin/time -f "rss rank $OMPI_COMM_WORLD_RANK %M" -o "$0.rss$OMPI_COMM_WORLD_RANK" "$@" --out "$0.out$OMPI_COMM_WORLD_RANK"' \
        "$WORK/$ranks" "$CLCNN" train "$yaml" "$@" >"$WORK/log" 2>&1 || { cat "$WORK/log"; exit 1; }
    t1=$(date +%s.%N)
    local ips rss
    ips=$(grep -o "Epoch 1/1 .* - [0-9]* img/s" "$WORK/log" | tail -1 | grep -o "[0-9]* img/s" | cut -d' ' -f1)
    rss=$(cat "$WORK/$ranks".rss* | awk '{ printf "%s%.0f", (NR > 1 ? " / " : ""), $4 / 1024 }')
    printf '| %s | %s | %s | %.1f | %s |\n' "$name" "$ranks" "$ips" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$rss"
    rm -f "$WORK/$ranks".rss*
}

echo "| run | ranks | epoch images/s | wall s | peak RSS MiB (rank 0 / rank 1) |"
echo "|---|---:|---:|---:|---:|"
run warmup 1 "$WORK/folder.yaml" --set data.train_limit=500 >/dev/null # compiles the kernels
for round in 1 2; do
    for ranks in 1 2; do
        run "folder $N, in memory (round $round)" $ranks "$WORK/folder.yaml" --set data.streaming=off
        run "folder $N, streamed, cache 16 MiB (round $round)" $ranks "$WORK/folder.yaml" \
            --set data.streaming=on --set data.cache_mb=16
        run "Fashion-MNIST IDX, in memory (round $round)" $ranks "$WORK/idx.yaml" --set data.streaming=off
        run "Fashion-MNIST IDX, streamed, cache 16 MiB (round $round)" $ranks "$WORK/idx.yaml" \
            --set data.streaming=on --set data.cache_mb=16
    done
done
