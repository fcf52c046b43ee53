#!/usr/bin/env bash
# `clcnn-bench tune-gemm` on a tiny search (one problem, a few configurations of the direct GEMM
# tuner): the tuned parameter file appears where host/cl/clblast_params.c looks, the library
# applies it, and the clblast route still computes the same products as our kernels (and, when
# the test binary is built, passes test_gemm's reference checks on odd shapes).
# A real tuning run takes 30-90 minutes on PoCL; see bench/RESULTS.md.
source "$(dirname "$0")/lib.sh"
BENCH="$(dirname "$CLCNN")/clcnn-bench"
[ -x "$BENCH" ] || { echo "FAIL: no clcnn-bench beside $CLCNN"; exit 1; }
if [ ! -x /usr/bin/clblast_tuner_xgemm_direct ]; then
    echo "skipped: CLBlast's tuners are not installed (apt-get install clblast-utils)"
    exit 0
fi

# A cache of its own, so the tuned parameters never reach the other tests; PoCL's compiled
# kernels are shared with them (keyed by source, so that is safe) to save compile time.
shared="${CLCNN_CACHE_DIR:-$WORK/shared}"
export POCL_CACHE_DIR="${POCL_CACHE_DIR:-$shared/pocl}"
export CLCNN_CACHE_DIR="$WORK/cache"

"$BENCH" tune-gemm --shapes tiny --tuners xgemm_direct --max-shapes 1 --fraction 0.0005 \
    --no-threshold --force --target-ms 10 --time-limit 3 > "$WORK/tune.txt" 2> "$WORK/tune.err" \
    || { cat "$WORK/tune.err"; fail "tune-gemm exits 0"; }
cat "$WORK/tune.txt"
files=$(ls "$CLCNN_CACHE_DIR"/clblast/*/XgemmDirect.json 2> /dev/null | wc -l)
[ "$files" -eq 1 ] && pass "XgemmDirect.json installed in the cache" || fail "no tuned file installed"
grep -q '"best_parameters"' "$CLCNN_CACHE_DIR"/clblast/*/XgemmDirect.json \
    && pass "the file has best_parameters" || fail "the file lacks best_parameters"
ls "$CLCNN_CACHE_DIR"/clblast/*/tuner-runs/*/xgemm_direct-*/clblast_xgemm_direct_*_32.json > /dev/null 2>&1 \
    && pass "the tuner's own JSON is kept" || fail "no tuner JSON in tuner-runs/"
grep -Eq 'applied by the library: [1-9]' "$WORK/tune.txt" \
    && pass "tune-gemm saw the library apply it" || fail "not applied in tune-gemm's check"

"$BENCH" --shapes tiny --route clblast --check --no-peak --target-ms 5 --verbose \
    > /dev/null 2> "$WORK/check.err" \
    && pass "clblast route with tuned parameters agrees with our kernels" \
    || { cat "$WORK/check.err"; fail "--check with tuned parameters"; }
grep -q 'applied tuned XgemmDirect parameters' "$WORK/check.err" \
    && pass "the library applies the tuned XgemmDirect parameters" || fail "tuned file not applied"
! grep -q 'ignoring CLBlast tuning file' "$WORK/check.err" \
    && pass "no tuning file rejected" || fail "a tuning file was rejected"

if [ -n "${CLCNN_TEST_BIN:-}" ] && [ -x "$CLCNN_TEST_BIN/tests/test_gemm" ]; then
    "$CLCNN_TEST_BIN/tests/test_gemm" > "$WORK/test_gemm.txt" 2>&1 \
        && pass "test_gemm passes with the tuned parameters" \
        || { cat "$WORK/test_gemm.txt"; fail "test_gemm with tuned parameters"; }
fi
finish
