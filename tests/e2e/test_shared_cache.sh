#!/usr/bin/env bash
# Several processes started at once on one empty CLCNN_CACHE_DIR (issue 15): 4 `clcnn train` and
# a `clcnn tune` all succeed, and the cache ends valid: every kernel binary a whole entry for its
# key (clcnn-cache header, length and checksum, as the reader checks them: a torn one would be
# rebuilt, never trusted), every route line one this version reads, every CLBlast tuning file
# one that is applied, no temp file. A run on the shared cache afterwards succeeds.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
export CLCNN_CACHE_DIR="$WORK/cache"
unset POCL_CACHE_DIR
# Our own binary cache, which a PoCL device otherwise leaves to PoCL's.
export CLCNN_PROGRAM_BINARIES=1
SMALL=(--set data.train_limit=500 --set data.test_limit=100 --set model.layers.0.filters=4
       --set model.layers.1.filters=4 --set model.layers.3.units=16 --set train.epochs=1)
pids=()
for i in 1 2 3 4; do
    "$CLCNN" train "${SMALL[@]}" --set train.seed=$i --out "t$i" > "t$i.log" 2>&1 &
    pids+=($!)
done
"$CLCNN" tune "$CLCNN_SOURCE_DIR/tests/e2e/data/tune_tiny.yaml" --out tune \
    --set tune.max_trials=2 > tune.log 2>&1 &
pids+=($!)
bad=0
for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
[ "$bad" -eq 0 ] && pass "5 processes on one empty cache all succeed" \
    || { fail "$bad of 5 processes failed"; tail -5 t*.log tune.log; }

n=0; torn=0
for f in cache/programs/*.bin; do
    [ -e "$f" ] || continue
    n=$((n + 1))
    head -c 13 "$f" | grep -q "^clcnn-cache 1" || torn=$((torn + 1))
done
[ "$n" -gt 0 ] && [ "$torn" -eq 0 ] && pass "$n kernel binaries, each a whole cache entry" \
    || fail "kernel cache: $n files, $torn without a header"
[ -z "$(find cache -name '*.tmp.*')" ] && pass "no temp file left in the cache" \
    || fail "temp files left in the cache: $(find cache -name '*.tmp.*')"
# A product's route (1, 2) or a convolution's algorithm under its own keys (alg-*: 101, 102).
routes_bad=$(cat cache/routes/*.txt 2>/dev/null | grep -Evc '^([!-~]+ [12]|alg-[!-~]+ 10[12])$' || true)
[ "$routes_bad" -eq 0 ] && pass "every route line is whole ($(cat cache/routes/*.txt 2>/dev/null | wc -l) lines)" \
    || fail "$routes_bad damaged route lines"

# The cache as its readers see it: a run with the debug log reads every entry it needs and finds
# none damaged or foreign (length and checksum checked), no damaged route line, no tuning file
# ignored, and rewrites no kernel binary (all were there and whole).
before=$(cd cache/programs && sha256sum ./* | sort)
"$CLCNN" train "${SMALL[@]}" --out check --verbose > check.log 2>&1 \
    || fail "the check run: $(tail -5 check.log)"
grep -Eq "damaged or foreign|route cache|ignoring CLBlast tuning file" check.log \
    && fail "the check run found damage: $(grep -E "damaged|route cache|ignoring" check.log)" \
    || pass "every cache entry the check run read is whole (length and checksum)"
[ "$(cd cache/programs && sha256sum ./* | sort)" = "$before" ] \
    && pass "the check run rebuilt no kernel ($(ls cache/programs | wc -l) binaries)" \
    || fail "the check run rebuilt or added kernel binaries"

# A torn and a foreign binary are rebuilt, not trusted.
first=$(ls cache/programs/*.bin | head -1)
second=$(ls cache/programs/*.bin | sed -n 2p)
head -c 300 "$first" > torn && mv torn "$first"
cp "$first" "$second" 2>/dev/null || true
"$CLCNN" train "${SMALL[@]}" --out after > after.log 2>&1 \
    && pass "a run on the shared cache with a torn and a foreign binary succeeds" \
    || { fail "the run after: $(tail -5 after.log)"; }
head -c 13 "$first" | grep -q "^clcnn-cache 1" && [ "$(wc -c < "$first")" -gt 300 ] \
    && pass "the torn binary was rebuilt" || fail "the torn binary is still torn"
finish
