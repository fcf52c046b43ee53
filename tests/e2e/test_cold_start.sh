#!/usr/bin/env bash
# A first run on an empty cache: on a CPU device the automatic route races nothing (clcnn's own
# kernels are the only route a CPU races: CLBlast measured 3-10x slower on PoCL and its first use
# compiles for half a minute), so every layer shape is cached as `own` and training starts
# without compiling CLBlast; a forced route still runs CLBlast. Times are figures for
# bench/RESULTS.md, never asserted here.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
unset CLCNN_ROUTE
SMALL=(--set data.train_limit=300 --set data.test_limit=100 --set model.layers.0.filters=8
       --set model.layers.1.filters=8 --set model.layers.3.units=16 --set train.epochs=1)
if ! "$CLCNN" devices | grep -q 'CPU'; then
    echo "no CPU device: the CPU route rule is not what this machine's default device follows"
    fail "this test expects PoCL's CPU device (tests run on PoCL in CI)"
    finish
    exit 1
fi
SHARED_CACHE="${CLCNN_CACHE_DIR:-$WORK/shared}"
export CLCNN_CACHE_DIR="$WORK/cache"
"$CLCNN" train "${SMALL[@]}" --out run > run.log 2>&1 || { cat run.log; fail "cold train"; }
routes=$(cat "$CLCNN_CACHE_DIR"/routes/*.txt 2> /dev/null || true)
[ -n "$routes" ] && pass "the cold run cached its route choices ($(echo "$routes" | wc -l) shapes)" \
    || fail "no route was cached"
# Route ids are clcnn_route's values: 1 = own. The convolutions' algorithm keys (conv-a*: 1 =
# im2col, 2 = direct, both clcnn's own kernels; nn/conv2d.h) are checked apart.
echo "$routes" | awk '$1 !~ /^conv-a/ && $2 != 1 { bad = 1 } END { exit bad }' \
    && pass "every product shape's cached route is clcnn's own on a CPU" \
    || fail "a CPU raced another route: $routes"
echo "$routes" | awk '$1 ~ /^conv-a/ { n++; if ($2 != 1 && $2 != 2) bad = 1 } END { exit bad || !n }' \
    && pass "every convolution's cached algorithm is im2col or direct" \
    || fail "a convolution algorithm is missing or unknown: $routes"
CLCNN_CACHE_DIR="$SHARED_CACHE" CLCNN_ROUTE=clblast "$CLCNN" train "${SMALL[@]}" --out forced > forced.log 2>&1 \
    && pass "CLCNN_ROUTE=clblast still trains on a CPU" || { cat forced.log; fail "forced clblast"; }
finish
