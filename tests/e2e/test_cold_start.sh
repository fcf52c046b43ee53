#!/usr/bin/env bash
# A first run on an empty cache: on a CPU device the automatic route races nothing (clcnn's own
# kernels are the only route a CPU races: CLBlast measured 3-10x slower on PoCL and its first use
# compiles for half a minute), so every layer shape is cached as `own` and training starts
# without compiling CLBlast; a forced route still runs CLBlast. The cold run builds only the
# kernel files its layers use, leaves its builds to PoCL's own cache (no binary of ours, so PoCL
# compiles no kernel for a generic work-group size), and a second run on the same cache decides
# no route again and gives the same weights. The cold run's kernel-build helper process runs only
# on the empty cache. The products' launches use a few fixed local sizes. Times are figures for bench/RESULTS.md
# (bench/cold_start.sh), never asserted here.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
unset CLCNN_ROUTE
SMALL=(--set data.train_limit=300 --set data.test_limit=100 --set model.layers.0.filters=8
       --set model.layers.1.filters=8 --set model.layers.3.units=16 --set train.epochs=1)
# Whole output first: under pipefail, grep -q leaving early can kill the writer with SIGPIPE.
devices=$("$CLCNN" devices)
if ! grep -q 'CPU' <<< "$devices"; then
    echo "no CPU device: the CPU route rule is not what this machine's default device follows"
    fail "this test expects PoCL's CPU device (tests run on PoCL in CI)"
    finish
    exit 1
fi
SHARED_CACHE="${CLCNN_CACHE_DIR:-$WORK/shared}"
export CLCNN_CACHE_DIR="$WORK/cache"
"$CLCNN" train "${SMALL[@]}" --verbose --out run > run.log 2>&1 || { cat run.log; fail "cold train"; }
built=$(sed -n 's|^clcnn: kernels/\([a-z_0-9]*\.cl\): built from source.*|\1|p' run.log | sort | tr '\n' ' ')
echo "built from source: $built"
case " $built " in
    *" conv.cl "*" gemm.cl "*) pass "the cold run built the files its layers use ($built)" ;;
    *) fail "conv.cl or gemm.cl not built: $built" ;;
esac
# The seed model has no batch norm, pooling, augmentation or regularizer.
unused=$(echo "$built" | tr ' ' '\n' | grep -E '^(batchnorm|pool|avgpool|augment|regularize)\.cl$' || true)
[ -z "$unused" ] && pass "no kernel file of an unused layer was built" \
    || fail "built for layers the model lacks: $unused"
pocl_bc=$(find "$CLCNN_CACHE_DIR/pocl" -name program.bc 2> /dev/null | wc -l || true)
ours=$(find "$CLCNN_CACHE_DIR/programs" -name '*.bin' 2> /dev/null | wc -l || true)
generic=$(find "$CLCNN_CACHE_DIR/pocl" -type d -name '0-0-0' 2> /dev/null | wc -l || true)
[ "$pocl_bc" -ge 2 ] && [ "$ours" -eq 0 ] \
    && pass "PoCL's cache holds the $pocl_bc builds, none is a binary of ours" \
    || fail "PoCL cache: $pocl_bc program.bc, our binaries: $ours"
[ "$generic" -eq 0 ] && pass "no kernel was compiled for a generic work-group size" \
    || fail "$generic kernels compiled for a generic work-group size (a binary was asked for)"
# PoCL compiles a kernel again for every local size it meets; on a CPU the products' tile
# kernels run work-groups of one tile (cl/gemm.c), so that new layer shapes reuse compiled
# functions.
sizes=$(find "$CLCNN_CACHE_DIR/pocl" -type d -path '*/gemm_tile/*-*' -o -type d -path '*/gemm_nt/*-*' 2> /dev/null \
    | sed -E 's|.*/(gemm_[a-z]+)/([0-9]+-[0-9]+-[0-9]+).*|\1 \2|' | sort -u || true)
echo "products' work-group sizes compiled: $(echo $sizes)"
[ -n "$sizes" ] && echo "$sizes" | awk '$2 != "1-1-1" { bad = 1 } END { exit bad }' \
    && pass "the products ran only 1x1 work-groups ($(echo "$sizes" | wc -l) compiled)" \
    || fail "a product was compiled for another local size: $sizes"
# The kernels every batch size meets (the last partial batch of 240 training and 60 validation
# images at batch 32, every product's partial sums) take one local size whatever the shape.
for k in gather_batch softmax_xent gemm_sum_groups gemm_sum_groups_t; do
    n=$(find "$CLCNN_CACHE_DIR/pocl" -type d -path "*/$k/*-*-*" 2> /dev/null | wc -l || true)
    [ "$n" -le 1 ] && pass "$k compiled for at most one local size ($n)" \
        || fail "$k compiled for $n local sizes"
done
routes=$(cat "$CLCNN_CACHE_DIR"/routes/*.txt 2> /dev/null || true)
[ -n "$routes" ] && pass "the cold run cached its route choices ($(echo "$routes" | wc -l) shapes)" \
    || fail "no route was cached"
# Route ids are clcnn_route's values: 1 = own. The convolutions' algorithm keys (alg-*: 101 =
# im2col, 102 = direct, both clcnn's own kernels; nn/conv2d.h) are checked apart.
echo "$routes" | awk '$1 !~ /^alg-/ && $2 != 1 { bad = 1 } END { exit bad }' \
    && pass "every product shape's cached route is clcnn's own on a CPU" \
    || fail "a CPU raced another route: $routes"
echo "$routes" | awk '$1 ~ /^alg-/ { n++; if ($2 != 101 && $2 != 102) bad = 1 } END { exit bad || !n }' \
    && pass "every convolution's cached algorithm is im2col or direct" \
    || fail "a convolution algorithm is missing or unknown: $routes"
decided=$(grep -Ec '^clcnn: (route|conv) .* -> ' run.log || true)
[ "$decided" -eq "$(echo "$routes" | wc -l)" ] && pass "each of the $decided route choices was cached" \
    || fail "$decided route choices logged, $(echo "$routes" | wc -l) cached"
# PoCL builds one program at a time per process: on its empty cache a helper process builds the
# files the model's step needs last (host/cl/prefetch.c); a warm cache forks none.
grep -q 'helper process [0-9]* builds' run.log && pass "the cold run forked a kernel-build helper" \
    || fail "no kernel-build helper on an empty PoCL cache"
"$CLCNN" train "${SMALL[@]}" --verbose --out warm > warm.log 2>&1 || { cat warm.log; fail "warm train"; }
grep -q 'helper process' warm.log && fail "a helper was forked on a warm cache" \
    || pass "the warm run forked no helper"
again=$(grep -Ec '^clcnn: (route|conv) .* -> ' warm.log || true)
[ "$again" -eq 0 ] && pass "the warm run decided no route again" || fail "$again routes decided again"
cmp -s run/model.safetensors warm/model.safetensors && pass "cold and warm runs give the same weights" \
    || fail "cold and warm runs differ"
CLCNN_CACHE_DIR="$SHARED_CACHE" CLCNN_ROUTE=clblast "$CLCNN" train "${SMALL[@]}" --out forced > forced.log 2>&1 \
    && pass "CLCNN_ROUTE=clblast still trains on a CPU" || { cat forced.log; fail "forced clblast"; }
finish
