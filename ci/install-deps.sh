#!/usr/bin/env bash
# Installs the Debian 12 packages clcnn needs to build, test and run, if any is missing.
# Runs as root (or through sudo when it is available).
set -euo pipefail

packages=(
    build-essential cmake pkg-config
    ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo   # OpenCL loader, headers, PoCL (CPU device)
    libclblast-dev clblast-utils        # CLBlast GEMMs and its tuners (clcnn-bench tune-gemm)
    libyaml-dev                         # configs
    zlib1g-dev                          # gzip'ed IDX files
    libcjson-dev                        # JSON: safetensors headers, trial records, tuning files
    libxxhash-dev                       # cache keys
    libstb-dev                          # PNG/JPEG decoding for predict and image folders
    protobuf-c-compiler libprotobuf-c-dev   # ONNX export: protoc-c compiles onnx.proto at build time
    libcmocka-dev                       # unit tests
    clang-15 libfuzzer-15-dev           # fuzz harnesses (ci/fuzz.sh: libFuzzer, ASan + UBSan)
    oclgrind                            # kernel checks on a simulated device (tests)
    clang-15 llvm-15 libclc-15          # kernel source checks: OpenCL C 1.2 at -O0, nvptx64, amdgcn (tests)
    dataset-fashion-mnist               # the default data set
    python3-numpy                       # the tests that read model files without clcnn, the Python module
    libjs-chart.js                      # Chart.js, inlined into the HTML reports at build time
    chromium                            # the report tests open the reports headless
    strace                              # the install test: the installed clcnn reads nothing of the sources
    python3-venv                        # the ONNX test's own environment (onnx, onnxruntime from PyPI)
    openmpi-bin libopenmpi-dev          # parallel trials over MPI (optional at build time)
)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "ci/install-deps.sh: all packages present"
    exit 0
fi
echo "ci/install-deps.sh: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
