#!/usr/bin/env bash
# Streaming datasets: images/s and peak RSS of one training epoch over a generated image folder
# (bench/gen_image_folder.py: N 64x64 RGB PNGs in 10 classes), streamed from the files with 1, 2
# and 4 decoding threads, and, on a subset that fits, in memory against streamed. The model is a
# single dense layer (flatten + dense 10), so that the figures measure the data path, not the
# convolutions. The folder is generated when missing, and then deleted at the end.
#
#   bench/streaming.sh build/clcnn [N=200000] [DIR=/tmp/clcnn-stream-bench] [SUBSET=20000]
set -euo pipefail
CLCNN="$(realpath "${1:?usage: $0 path/to/clcnn [N] [DIR] [SUBSET]}")"
N="${2:-200000}"
DIR="${3:-/tmp/clcnn-stream-bench}"
SUBSET="${4:-20000}"
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

if [ ! -d "$DIR/train" ]; then # made here, so deleted at the end (a folder given is kept)
    trap 'rm -rf "$WORK" "$DIR"' EXIT
    start=$(date +%s)
    python3 "$HERE/gen_image_folder.py" "$DIR" --train "$N" --test 1000 --classes 10 --size 64
    echo "generated $N + 1000 images in $(($(date +%s) - start)) s ($(du -sh "$DIR" | cut -f1) on disk)"
fi
cat > "$WORK/bench.yaml" <<EOF
data: {format: image_folder, dir: $DIR, classes: 10}
model:
  input_shape: [64, 64, 3]
  layers: [flatten, {dense: {units: 10, activation: softmax}}]
train: {epochs: 1, batch_size: 64}
EOF

# run NAME ARGS...: one epoch; prints a table row: data line, epoch images/s, wall s, peak RSS.
run() {
    local name="$1"
    shift
    python3 - "$name" "$WORK" "$CLCNN" train "$WORK/bench.yaml" "$@" --out "$WORK/$name" <<'EOF'
import re, resource, subprocess, sys, time
name, work, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
t0 = time.time()
r = subprocess.run(cmd, capture_output=True, text=True)
wall = time.time() - t0
if r.returncode:
    sys.exit(f"{name}: {r.stderr}")
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
data = re.search(r"^data: (.*)$", r.stdout, re.M).group(1)
ips = re.search(r"Epoch 1/1 .* - ([0-9]+) img/s", r.stdout).group(1)
print(f"| {name} | {data} | {ips} | {wall:.1f} | {rss:.0f} |")
EOF
}

echo "| run | data path (clcnn's line) | epoch images/s | wall s (load + epoch + test) | peak RSS MiB |"
echo "|---|---|---:|---:|---:|"
run warmup --set data.train_limit=1000 > /dev/null # compiles the kernels once
for t in 1 2 4; do
    run "streamed, $N, $t thread(s)" --set data.streaming=on --set data.cache_mb=256 \
        --set data.decode_threads=$t
done
run "in memory, $SUBSET" --set data.streaming=off --set data.train_limit="$SUBSET" --set data.decode_threads=2
run "streamed, $SUBSET, 2 threads" --set data.streaming=on --set data.cache_mb=64 \
    --set data.train_limit="$SUBSET" --set data.decode_threads=2
