#!/usr/bin/env bash
# bench/peer_torch.sh: clcnn against its peers, side by side in one run on one machine: for each
# batch size, clcnn-bench --model (training step and inference on random data), then the PyTorch
# peer (bench/peers/torch_seed_model.py, Debian's python3-torch) and the Keras original
# (bench/peer_keras.py, TensorFlow from a venv), back to back. Prints images/s and ms per
# training step for each, and clcnn's speed-up over each peer. The build never needs Python.
#
# usage: bench/peer_torch.sh [--build DIR] [--batch "32 128"] [--steps N] [--threads T]
#                            [--device D] [--python PATH] [--model seed|best]
#   --build   the CMake build folder holding clcnn-bench (default: ./build)
#   --batch   the batch sizes, one run of every peer each (default "32 128")
#   --steps   timed training steps (default 40)
#   --threads CPU threads for the peers (default: all cores; PoCL uses all cores too)
#   --device  clcnn's OpenCL device (default: CLCNN_DEVICE or the default device)
#   --python  a python with tensorflow and keras (a venv's bin/python) for the Keras peer
#             (default: python3 on PATH; the Keras peer is skipped when it has no tensorflow)
#   --model   seed: configs/fashion_mnist.yaml, all three; best: configs/fashion_mnist_best.yaml,
#             clcnn and Keras (the PyTorch peer builds the seed model only)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
build="$root/build" batches="32 128" steps=40 threads="$(nproc)" device="" python=python3 model=seed
while [ $# -gt 0 ]; do
    case "$1" in
        --build) build="$2" ;;
        --batch) batches="$2" ;;
        --steps) steps="$2" ;;
        --threads) threads="$2" ;;
        --device) device="$2" ;;
        --python) python="$2" ;;
        --model) model="$2" ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "peer_torch.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
    shift 2
done
case "$model" in
    seed) config="$root/configs/fashion_mnist.yaml" ;;
    best) config="$root/configs/fashion_mnist_best.yaml" ;;
    *) echo "peer_torch.sh: --model must be seed or best, not '$model'" >&2; exit 2 ;;
esac
bench="$build/clcnn-bench"
[ -x "$bench" ] || { echo "peer_torch.sh: no $bench; build first (cmake --build build)" >&2; exit 1; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

field() { sed -nE "s|.*$1=([0-9.]+).*|\1|p" | head -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { print (b > 0 ? a / b : 0) }'; }
ms() { awk -v b="$1" -v r="$2" 'BEGIN { print (r > 0 ? 1000 * b / r : 0) }'; }

keras=1
if ! "$python" -c 'import tensorflow, keras' 2> /dev/null; then
    echo "no tensorflow/keras in '$python' (see --python): the Keras peer is skipped" >&2
    keras=0
fi
torch=0
if [ "$model" = seed ]; then
    if /usr/bin/python3 -c 'import torch' 2> /dev/null; then
        torch=1
    else
        echo "no torch in /usr/bin/python3 (apt-get install python3-torch): the PyTorch peer is skipped" >&2
    fi
fi

printf '%-6s %-8s %-34s %12s %10s %12s %12s %12s\n' batch peer device "train img/s" "ms/step" \
    "infer img/s" "clcnn/peer" "(inference)"
for batch in $batches; do
    echo "clcnn-bench --model $(basename "$config") --batch $batch --steps $steps ..." >&2
    "$bench" --model "$config" --batch "$batch" --steps "$steps" --no-peak --format csv \
        ${device:+--device "$device"} > "$out/clcnn.csv"
    c_train=$(grep ',model/train_step,' "$out/clcnn.csv" | field 'images/s')
    c_infer=$(grep ',model/inference,' "$out/clcnn.csv" | field 'images/s')
    c_device=$(sed -n '2p' "$out/clcnn.csv" | cut -d, -f1)
    printf '%-6s %-8s %-34s %12.1f %10.2f %12.1f %12s %12s\n' "$batch" clcnn "${c_device:0:34}" \
        "$c_train" "$(ms "$batch" "$c_train")" "$c_infer" - -
    runs=()
    [ "$torch" = 1 ] && runs+=("torch:/usr/bin/python3 $here/peers/torch_seed_model.py --steps $((steps + 5))")
    [ "$keras" = 1 ] && runs+=("keras:$python $here/peer_keras.py --model $model --steps $steps")
    for r in "${runs[@]}"; do
        name="${r%%:*}" cmd="${r#*:}"
        echo "$name peer: --batch $batch --threads $threads ..." >&2
        line=$($cmd --batch "$batch" --threads "$threads" --infer-batch "$batch" | tail -1)
        echo "$line" >&2
        train=$(echo "$line" | field train_img_per_s)
        infer=$(echo "$line" | field infer_img_per_s)
        printf '%-6s %-8s %-34s %12.1f %10.2f %12.1f %11.2fx %11.2fx\n' "$batch" "$name" \
            "CPU, $threads threads" "$train" "$(ms "$batch" "$train")" "$infer" \
            "$(ratio "$c_train" "$train")" "$(ratio "$c_infer" "$infer")"
    done
done
