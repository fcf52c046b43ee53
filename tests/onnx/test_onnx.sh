#!/usr/bin/env bash
# ONNX export end to end: the seed model, configs/fashion_mnist_best.yaml (batch norm, dropout)
# and tests/onnx/all_layers.yaml (every layer type), each trained briefly, exported, passed
# through onnx.checker and run by onnxruntime on 256 test images in batches of 1 and 37, within
# 1e-5 of `clcnn predict --probs`; the all-layers model also at the lowest opset offered. Then
# bad input: a missing or corrupt model file, a bad opset, an unwritable path: a clear error and
# no output file.
#
# onnx and onnxruntime come from PyPI into a virtual environment of the test's own, cached in the
# build folder ($CLCNN_TEST_BIN/onnx-venv; Debian's python3-onnx is too old to run models). If
# they cannot be installed the test fails: it never skips.
source "$(dirname "$0")/../e2e/lib.sh"
HERE="$(cd "$(dirname "$0")" && pwd)"
SRC="${CLCNN_SOURCE_DIR:-$HERE/../..}"
VENV="${CLCNN_TEST_BIN:-$WORK}/onnx-venv"
T10K=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
N=256

if ! "$VENV/bin/python" -c "import onnx, onnxruntime, numpy" 2> /dev/null; then
    rm -rf "$VENV"
    if ! /usr/bin/python3 -m venv "$VENV" ||
        ! "$VENV/bin/pip" install --disable-pip-version-check -q onnx onnxruntime numpy; then
        echo "FAIL: cannot make the virtual environment with onnx and onnxruntime from PyPI in $VENV"
        echo "      (needs Debian's python3-venv and PyPI: see ci/install-deps.sh)"
        rm -rf "$VENV"
        exit 1
    fi
fi
PY="$VENV/bin/python"
versions="$("$PY" -c 'import onnx, onnxruntime as o; print("onnx", onnx.__version__, "onnxruntime", o.__version__)')"
pass "virtual environment: $versions"
"$PY" "$HERE/check_onnx.py" subset "$T10K" "$N" "$WORK/images.idx"

# export_and_check NAME MODEL [--opset N]: export, predict with clcnn, compare with onnxruntime.
export_and_check() {
    local name="$1" model="$2"
    shift 2
    if ! "$CLCNN" export "$model" --onnx "$WORK/$name.onnx" "$@"; then fail "$name: export"; return; fi
    "$CLCNN" predict "$model" "$WORK/images.idx" --probs "$WORK/$name.csv" > /dev/null
    if "$PY" "$HERE/check_onnx.py" check "$WORK/$name.onnx" "$WORK/images.idx" "$WORK/$name.csv"; then
        pass "$name: onnx.checker, and onnxruntime agrees with clcnn within 1e-5 (batch 1 and 37)"
    else
        fail "$name: see above"
    fi
}

train() { # train NAME CONFIG --set...: briefly
    local name="$1" config="$2"
    shift 2
    "$CLCNN" train "$config" --set data.test_limit=256 "$@" \
        --out "$WORK/$name" --quiet > "$WORK/$name.log"
}

train seed "$SRC/configs/fashion_mnist.yaml" --set data.train_limit=512 --set train.epochs=1
export_and_check seed "$WORK/seed/model.safetensors"
ls -l "$WORK/seed/model.safetensors" "$WORK/seed.onnx" | awk '{print "  " $5 " bytes  " $NF}'

train best "$SRC/configs/fashion_mnist_best.yaml" --set data.train_limit=256 --set train.epochs=1
export_and_check best "$WORK/best/model.safetensors"

train all "$HERE/all_layers.yaml" --set data.train_limit=4096 # its 3 epochs: a few seconds
export_and_check all_layers "$WORK/all/model.safetensors"
export_and_check all_layers_opset11 "$WORK/all/model.safetensors" --opset 11

# ---- bad input: a clear error, no output file (nor a temp file beside it) ----
mkdir -p "$WORK/bad"
expect_error "missing model file" "nope\.safetensors" \
    "$CLCNN" export "$WORK/nope.safetensors" --onnx "$WORK/bad/a.onnx"
head -c 4000 "$WORK/all/model.safetensors" > "$WORK/truncated.safetensors"
expect_error "truncated model file" "truncated\.safetensors" \
    "$CLCNN" export "$WORK/truncated.safetensors" --onnx "$WORK/bad/b.onnx"
printf 'not a model at all, just text\n' > "$WORK/garbage.safetensors"
expect_error "corrupt model file" "garbage\.safetensors" \
    "$CLCNN" export "$WORK/garbage.safetensors" --onnx "$WORK/bad/c.onnx"
expect_error "opset out of range" "opset '99'.*11\.\.21" \
    "$CLCNN" export "$WORK/all/model.safetensors" --onnx "$WORK/bad/d.onnx" --opset 99
expect_error "no --onnx" "usage: clcnn export" "$CLCNN" export "$WORK/all/model.safetensors"
expect_error "output folder missing" "no_such_dir" \
    "$CLCNN" export "$WORK/all/model.safetensors" --onnx "$WORK/no_such_dir/e.onnx"
left="$(ls -A "$WORK/bad")"
[ -z "$left" ] && pass "failed exports left no file" || fail "failed exports left: $left"

finish
