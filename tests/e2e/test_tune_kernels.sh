#!/usr/bin/env bash
# `clcnn-bench tune-kernels` on the tiny shapes with a small budget: it writes the device's
# kernel-parameter file in the cache, a second process reads it at device open (its debug log
# names the file and the values in force) and still agrees with the reference (selftest, the
# tiled route against ours), and a damaged file is ignored with a debug note.
source "$(dirname "$0")/lib.sh"
BENCH="$(dirname "$CLCNN")/clcnn-bench"
[ -x "$BENCH" ] || { echo "FAIL: no clcnn-bench beside $CLCNN"; exit 1; }

# A cache of its own, so the tuned parameters never reach the other tests; PoCL's compiled
# kernels are shared with them (keyed by source and options, so that is safe).
shared="${CLCNN_CACHE_DIR:-$WORK/shared}"
export POCL_CACHE_DIR="${POCL_CACHE_DIR:-$shared/pocl}"
export CLCNN_CACHE_DIR="$WORK/cache"

expect_error "an unknown option" "unknown option '--tiles'" "$BENCH" tune-kernels --tiles 4
expect_error "a bad budget" "bad or missing value for --budget" "$BENCH" tune-kernels --budget 0

# An override in the environment is ignored while tuning (it would pin the variant measured).
CLCNN_REDUCE_WG=64 "$BENCH" tune-kernels --shapes tiny --budget 20 --target-ms 5 --format json \
    > "$WORK/tune.json" 2> "$WORK/tune.err" || { cat "$WORK/tune.err"; fail "tune-kernels exits 0"; }
cat "$WORK/tune.json"
grep -q 'CLCNN_REDUCE_WG is ignored while tuning' "$WORK/tune.err" \
    && pass "an environment override is ignored while tuning" || fail "no note about CLCNN_REDUCE_WG"
python3 - "$WORK/tune.json" <<'PY' && pass "the JSON report names three measured parameters" || fail "JSON report"
import json, sys
r = json.load(open(sys.argv[1]))
names = [p["name"] for p in r["params"]]
assert names == ["conv_layout", "reduce_wg", "gemm_tile"], names
for p in r["params"]:
    assert p["tried"] >= 1 and p["failed"] == 0, p
    assert p["chosen_ms"] > 0 and p["chosen_ms"] <= p["default_ms"], p
assert r["file"].endswith(".txt"), r
PY
file=$(ls "$CLCNN_CACHE_DIR"/kparams/*.txt 2> /dev/null | head -1)
[ -n "$file" ] && pass "the parameter file is written: ${file#$WORK/}" || { fail "no file"; finish; exit 1; }
head -1 "$file" | grep -Eq '^clcnn-cache 1 [0-9a-f]{32} [0-9]+ [0-9a-f]{32}$' \
    && pass "the file is a checksummed cache entry" || fail "header: $(head -1 "$file")"
tile=$(sed -n 's/^gemm_tile //p' "$file")
wg=$(sed -n 's/^reduce_wg //p' "$file")
layout=$(sed -n 's/^conv_layout //p' "$file")
[ -n "$tile" ] && [ -n "$wg" ] && [ -n "$layout" ] \
    && pass "it holds gemm_tile $tile, reduce_wg $wg, conv_layout $layout" || fail "fields missing"

# A second process reads it at open, and its results agree with the reference.
"$CLCNN" selftest --verbose > "$WORK/selftest.txt" 2> "$WORK/selftest.err" \
    && pass "selftest passes with the tuned parameters" \
    || { tail -20 "$WORK/selftest.txt"; fail "selftest with the tuned parameters"; }
grep -q "kernel parameters for .*tuned: .*kparams/.*: gemm_tile $tile, reduce_wg $wg, conv_layout $layout" \
    "$WORK/selftest.err" && pass "the second process uses the tuned parameters" \
    || { grep 'kernel parameters' "$WORK/selftest.err"; fail "tuned parameters not in force"; }
"$BENCH" --shapes tiny --route tiled --check --no-peak --target-ms 5 > /dev/null 2> "$WORK/check.err" \
    && pass "the tiled route with the tuned tile agrees with our kernels" \
    || { cat "$WORK/check.err"; fail "--check with the tuned tile"; }

# The environment still wins over the file.
CLCNN_GEMM_TILE=16,16,8,2,2 "$BENCH" --shapes tiny --route tiled --no-peak --target-ms 1 --verbose \
    > /dev/null 2> "$WORK/env.err" || true
grep -q "kernel parameters for .*gemm_tile 16,16,8,2,2" "$WORK/env.err" \
    && pass "CLCNN_GEMM_TILE overrides the tuned tile" \
    || { grep 'kernel parameters' "$WORK/env.err"; fail "override not in force"; }

# A damaged file (one byte of the payload changed) is ignored: the class defaults, a debug note.
sed -i '$ s/.$/#/' "$file"
"$BENCH" --shapes tiny --route tiled --no-peak --target-ms 1 --verbose > /dev/null 2> "$WORK/bad.err" \
    && pass "a run with a damaged file succeeds" || { cat "$WORK/bad.err"; fail "run with a damaged file"; }
grep -q "cache entry '.*kparams/.*' is damaged or foreign" "$WORK/bad.err" \
    && pass "the damaged file gets a debug note" || fail "no note for the damaged file"
grep -q "kernel parameters for .*class defaults: the tuned file is damaged or foreign, ignored" \
    "$WORK/bad.err" && pass "the class defaults are in force" || fail "damaged file not ignored"
finish
