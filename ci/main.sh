#!/usr/bin/env bash
# The README's main job: installs what is missing, builds the command-line tool (the tests are
# ci/test.sh's), and runs the seed notebook's Fashion-MNIST hyperparameter search on the
# embedded default (8 one-epoch trials on 2,500 images). Extra arguments go to `clcnn tune`.
set -euo pipefail
cd "$(dirname "$0")/.."
ci/install-deps.sh
CLCNN_BUILD_TARGET=clcnn-cli ci/build.sh build
build/clcnn devices
exec build/clcnn tune --out out/tune "$@"
