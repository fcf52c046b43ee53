#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every test on PoCL, then the
# unit tests, the install test and the fuzz corpora again under AddressSanitizer +
# UndefinedBehaviorSanitizer, and the fuzz corpora and past crashes once more through libFuzzer
# (clang-15, ci/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ci/install-deps.sh
ci/build.sh build
# An OpenCL test that finds no device fails (it never skips), so check the device up front to
# make the reason plain.
clinfo -l || true
(cd build && ctest --output-on-failure -j1 --timeout 1800)
ci/build.sh build-asan -DCLCNN_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
# install: the example built with the sanitizers against the installed sanitized library.
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --output-on-failure -L 'unit|install|fuzz' -j1)
ci/fuzz.sh
