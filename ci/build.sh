#!/usr/bin/env bash
# Configures and builds clcnn. Usage: ci/build.sh [BUILD_DIR] [extra cmake args...]
# CLCNN_BUILD_TARGET=clcnn-cli builds only the command-line tool (ci/main.sh), not the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-build}"
shift || true
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" > /dev/null
cmake --build "$dir" -j"$(nproc)" --target "${CLCNN_BUILD_TARGET:-all}"
