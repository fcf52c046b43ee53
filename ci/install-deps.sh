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
    libcmocka-dev                       # unit tests
    clang-15 libfuzzer-15-dev           # fuzz harnesses (ci/fuzz.sh: libFuzzer, ASan + UBSan)
    oclgrind                            # kernel checks on a simulated device (tests)
    dataset-fashion-mnist               # the default data set
    python3-numpy                       # the test that reads model files without clcnn
    libjs-chart.js                      # Chart.js, inlined into the HTML reports at build time
    chromium                            # the report tests open the reports headless
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
