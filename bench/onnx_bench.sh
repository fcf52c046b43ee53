#!/usr/bin/env bash
# bench/onnx_bench.sh: the seed model exported to ONNX: the ONNX file's size against the
# safetensors file's, and onnxruntime's inference images/s beside clcnn-bench --model's, in one
# run on one machine. Runs when onnxruntime is installed (the ONNX test's virtual environment
# build/onnx-venv has it; see tests/onnx/test_onnx.sh); says so and stops otherwise. A benchmark,
# never a test.
#
# usage: bench/onnx_bench.sh [--build DIR] [--batch B] [--steps N] [--threads T] [--device D]
#                            [--python PY] [--model FILE]
#   --build   the CMake build folder holding clcnn and clcnn-bench (default: ./build)
#   --batch   images per inference batch (default 32)
#   --steps   timed batches (default 60)
#   --threads onnxruntime's intra-op threads (default: all cores; PoCL uses all cores too)
#   --device  clcnn's OpenCL device (default: CLCNN_DEVICE or the default device)
#   --python  a Python with onnxruntime (default: BUILD/onnx-venv/bin/python, else python3)
#   --model   a seed-model file to export (default: one trained on 64 images, for its shape)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
build="$root/build" batch=32 steps=60 threads="$(nproc)" device="" python="" model=""
while [ $# -gt 0 ]; do # --name value sets $name
    case "$1" in
        --build | --batch | --steps | --threads | --device | --python | --model)
            printf -v "${1#--}" '%s' "${2:?onnx_bench.sh: $1 needs a value}" ;;
        -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "onnx_bench.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
    shift 2
done
if [ -z "$python" ]; then
    python=/usr/bin/python3
    [ -x "$build/onnx-venv/bin/python" ] && python="$build/onnx-venv/bin/python"
fi
if ! "$python" -c 'import onnxruntime' 2> /dev/null; then
    echo "onnx_bench.sh: onnxruntime is not installed for $python; run the ONNX test first" \
        "(ctest -L onnx makes $build/onnx-venv) or pass --python" >&2
    exit 0
fi
for b in clcnn clcnn-bench; do
    [ -x "$build/$b" ] || { echo "onnx_bench.sh: no $build/$b; build first" >&2; exit 1; }
done
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
dev=(${device:+--device "$device"})

if [ -z "$model" ]; then
    echo "training the seed model on 64 images (for a model file; its weights do not matter) ..." >&2
    "$build/clcnn" train "$root/configs/fashion_mnist.yaml" --set data.train_limit=64 \
        --set data.test_limit=64 --out "$out/seed" --quiet "${dev[@]}" > /dev/null
    model="$out/seed/model.safetensors"
fi
"$build/clcnn" export "$model" --onnx "$out/seed.onnx" --quiet
st_bytes=$(stat -c %s "$model")
onnx_bytes=$(stat -c %s "$out/seed.onnx")

echo "clcnn-bench --model configs/fashion_mnist.yaml --batch $batch --steps $steps ..." >&2
"$build/clcnn-bench" --model "$root/configs/fashion_mnist.yaml" --batch "$batch" --steps "$steps" \
    --no-peak --format csv "${dev[@]}" > "$out/clcnn.csv"
clcnn_infer=$(grep ',model/inference,' "$out/clcnn.csv" | sed -nE 's|.*images/s=([0-9.]+).*|\1|p' | head -1)
clcnn_device=$(sed -n '2p' "$out/clcnn.csv" | cut -d, -f1)

echo "onnxruntime: --batch $batch --steps $steps --threads $threads ..." >&2
ort=$("$python" - "$out/seed.onnx" "$batch" "$steps" "$threads" <<'PY'
import statistics, sys, time
import numpy as np
import onnxruntime as ort
path, batch, steps, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
opt = ort.SessionOptions()
opt.intra_op_num_threads = threads
s = ort.InferenceSession(path, opt, providers=["CPUExecutionProvider"])
x = np.random.default_rng(0).integers(0, 256, (batch, 1, 28, 28)).astype(np.float32)
for _ in range(5):
    s.run(None, {"input": x})
# the median of 5 samples of steps/5 batches each: sharing the cores only slows a sample down
per = max(1, steps // 5)
rates = []
for _ in range(5):
    t = time.perf_counter()
    for _ in range(per):
        s.run(None, {"input": x})
    rates.append(per * batch / (time.perf_counter() - t))
print(f"{statistics.median(rates):.1f} {ort.__version__}")
PY
)
read -r ort_infer ort_version <<< "$ort"

printf '%-44s %14s\n' "file" "bytes"
printf '%-44s %14d\n' "model.safetensors" "$st_bytes"
printf '%-44s %14d  (%.4fx)\n' "seed.onnx (clcnn export, opset 17)" "$onnx_bytes" \
    "$(awk -v a="$onnx_bytes" -v b="$st_bytes" 'BEGIN { print a / b }')"
printf '\n%-44s %14s\n' "inference, batch $batch" "images/s"
printf '%-44s %14.1f\n' "clcnn-bench --model (${clcnn_device:0:28})" "$clcnn_infer"
printf '%-44s %14.1f  (clcnn / onnxruntime %.2fx)\n' "onnxruntime $ort_version CPU, $threads threads" \
    "$ort_infer" "$(awk -v a="$clcnn_infer" -v b="$ort_infer" 'BEGIN { print (b > 0 ? a / b : 0) }')"
