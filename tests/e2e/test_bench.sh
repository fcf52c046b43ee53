#!/usr/bin/env bash
# clcnn-bench end to end, on small shapes: the CSV document alone on stdout with the header
# docs/architecture.md gives and positive numbers, the three GEMM routes agreeing (--check), the peak
# probe, JSON output, usage errors, and (when the model API is built) --model's per-layer rows
# and images/s.
source "$(dirname "$0")/lib.sh"
BENCH="$(dirname "$CLCNN")/clcnn-bench"
[ -x "$BENCH" ] || { echo "FAIL: no clcnn-bench beside $CLCNN"; exit 1; }

# positive_fields FILE FIRST LAST: every data row's fields FIRST..LAST (counted from the end, so a
# quoted device name with commas does not shift them) are numbers > 0.
positive_fields() {
    awk -F, -v a="$2" -v b="$3" 'NR > 1 { for (i = NF - a; i <= NF - b; i++)
        if ($i !~ /^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/ || $i + 0 <= 0) { print "row " NR ": " $0; bad = 1 } }
        END { exit bad }' "$1"
}

"$BENCH" --shapes tiny --format csv --target-ms 20 --check > "$WORK/kernels.csv" 2> "$WORK/kernels.err" \
    || { cat "$WORK/kernels.err"; fail "kernels --format csv exits 0"; }
header=$(head -1 "$WORK/kernels.csv")
[ "$header" = "device,kernel,route,shape,batch,ms,gflops,gbps,pct_peak" ] \
    && pass "CSV header" || fail "CSV header is '$header'"
rows=$(($(wc -l < "$WORK/kernels.csv") - 1))
[ "$rows" -eq 9 ] && pass "one row per kernel and route (9)" || fail "$rows rows, want 9"
grep -q ',own,' "$WORK/kernels.csv" && grep -q ',clblast,' "$WORK/kernels.csv" \
    && grep -q ',tiled,' "$WORK/kernels.csv" \
    && pass "all three routes present" || fail "a route is missing"
positive_fields "$WORK/kernels.csv" 4 0 && pass "batch, ms, GFLOP/s, GB/s, % of peak all positive" \
    || fail "non-positive or unparsable numbers"

"$BENCH" peak --format csv --target-ms 20 > "$WORK/peak.csv" 2> "$WORK/peak.err" \
    || { cat "$WORK/peak.err"; fail "peak exits 0"; }
[ "$(head -1 "$WORK/peak.csv")" = "device,metric,value,unit" ] && pass "peak CSV header" \
    || fail "peak CSV header"
grep -q ',fma_peak,' "$WORK/peak.csv" && grep -q ',bandwidth_peak,' "$WORK/peak.csv" \
    && pass "peak has FMA and bandwidth" || fail "peak rows missing"
positive_fields "$WORK/peak.csv" 1 1 && pass "peak values positive" || fail "peak values"
"$BENCH" peak --target-ms 20 2> /dev/null | grep -Eq 'peak fp32 FMA [0-9.]+ GFLOP/s' \
    && pass "peak table" || fail "peak table"

"$BENCH" --gemm nn:8x9x10x2 --route own --no-peak --format json --target-ms 10 > "$WORK/k.json" 2> /dev/null \
    && grep -q '"results"' "$WORK/k.json" && grep -q '"shape":[[:space:]]*"NN M=8 N=9 K=10 b=2"' "$WORK/k.json" \
    && pass "JSON output for a --gemm shape" || fail "JSON output"

expect_error "unknown option" "unknown option" "$BENCH" --bogus
expect_error "bad --gemm" "KIND:MxNxK" "$BENCH" --gemm xx:1x2
expect_error "bad format" "bad value" "$BENCH" --format yaml

if "$BENCH" --model "$CLCNN_SOURCE_DIR/configs/fashion_mnist.yaml" --batch 8 --steps 3 --no-peak \
    --format csv --target-ms 10 > "$WORK/model.csv" 2> "$WORK/model.err"; then
    grep -q '^[^,]*,layers.1.conv2d/backward,[^,]*,total,' "$WORK/model.csv" \
        && pass "--model: per-layer rows by profile tag" || fail "--model: no layers.1.conv2d/backward total"
    grep -Eq ',model/train_step,auto,images/s=[0-9.]+,' "$WORK/model.csv" \
        && pass "--model: training images/s" || fail "--model: no training throughput row"
else
    cat "$WORK/model.err"
    fail "--model exits 0"
fi
finish
