#!/usr/bin/env bash
# bench/peer_torch.sh: clcnn against its peers on the seed model, in one run on one machine:
# clcnn-bench --model (training step and inference throughput on random data), the PyTorch peer
# (bench/peers/torch_seed_model.py) and, when TensorFlow is installed, the Keras original
# (bench/peers/keras_seed_model.py). Prints images/s for each and clcnn's ratio to each peer.
# The build never needs Python; this script does (/usr/bin/python3 with Debian's python3-torch).
#
# usage: bench/peer_torch.sh [--build DIR] [--batch B] [--steps N] [--threads T] [--device D]
#   --build   the CMake build folder holding clcnn-bench (default: ./build)
#   --batch   images per training step and per inference batch (default 32)
#   --steps   timed training steps (default 60)
#   --threads CPU threads for the peers (default: all cores; PoCL uses all cores too)
#   --device  clcnn's OpenCL device (default: CLCNN_DEVICE or the default device)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
build="$root/build" batch=32 steps=60 threads="$(nproc)" device=""
while [ $# -gt 0 ]; do
    case "$1" in
        --build) build="$2" ;;
        --batch) batch="$2" ;;
        --steps) steps="$2" ;;
        --threads) threads="$2" ;;
        --device) device="$2" ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        *) echo "peer_torch.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
    shift 2
done
python=/usr/bin/python3
bench="$build/clcnn-bench"
[ -x "$bench" ] || { echo "peer_torch.sh: no $bench; build first (cmake --build build)" >&2; exit 1; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# images/s from a peer's "train_img_per_s=X infer_img_per_s=Y" line, or clcnn-bench's CSV rows.
field() { sed -nE "s|.*$1=([0-9.]+).*|\1|p" | head -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { print (b > 0 ? a / b : 0) }'; }

echo "clcnn-bench --model configs/fashion_mnist.yaml --batch $batch --steps $steps ..." >&2
"$bench" --model "$root/configs/fashion_mnist.yaml" --batch "$batch" --steps "$steps" --no-peak \
    --format csv ${device:+--device "$device"} > "$out/clcnn.csv"
clcnn_train=$(grep ',model/train_step,' "$out/clcnn.csv" | field 'images/s')
clcnn_infer=$(grep ',model/inference,' "$out/clcnn.csv" | field 'images/s')
clcnn_device=$(sed -n '2p' "$out/clcnn.csv" | cut -d, -f1)

peers=("torch:$here/peers/torch_seed_model.py")
if "$python" -c 'import tensorflow' 2> /dev/null; then
    peers+=("keras:$here/peers/keras_seed_model.py")
else
    echo "TensorFlow is not installed: the Keras peer is skipped" >&2
fi

printf '%-8s %-40s %12s %12s %14s %14s\n' peer device "train img/s" "infer img/s" \
    "clcnn/peer tr" "clcnn/peer inf"
printf '%-8s %-40s %12.1f %12.1f %14s %14s\n' clcnn "${clcnn_device:0:40}" "$clcnn_train" \
    "$clcnn_infer" - -
for p in "${peers[@]}"; do
    name="${p%%:*}" script="${p#*:}"
    echo "$name peer: --batch $batch --steps $steps --threads $threads ..." >&2
    line=$("$python" "$script" --batch "$batch" --steps "$((steps + 5))" --threads "$threads" \
        --infer-batch "$batch" | tail -1)
    echo "$line" >&2
    train=$(echo "$line" | field train_img_per_s)
    infer=$(echo "$line" | field infer_img_per_s)
    printf '%-8s %-40s %12.1f %12.1f %14.2f %14.2f\n' "$name" "CPU, $threads threads" "$train" "$infer" \
        "$(ratio "$clcnn_train" "$train")" "$(ratio "$clcnn_infer" "$infer")"
done
