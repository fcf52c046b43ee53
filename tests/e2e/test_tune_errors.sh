#!/bin/bash
# tests/e2e/test_tune_errors.sh CLCNN: trials whose loss becomes NaN are recorded as failed and
# the search goes on (a failed trial is never the best); a bad search space is an error naming
# file:line with a non-zero exit, before any device work.
set -euo pipefail
CLCNN=$1
export CLCNN_ROUTE=own
CFG=$CLCNN_SOURCE_DIR/tests/e2e/data/tune_tiny.yaml
W=$(mktemp -d /tmp/clcnn-e2e-tune-XXXXXX)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. learning_rate 1e10 makes this model's loss NaN in its first epoch (1e6 only makes it huge).
# With 2 x 2 configurations and 4 trials, both rates are tried twice.
"$CLCNN" tune "$CFG" --out "$W/nan" \
    --set 'train.optimizer.learning_rate={hp: choice, name: learning_rate, values: [1.0e+10, 1.0e-3]}' \
    --set model.layers.0.filters=4 --set model.layers.0.kernel_size=3 \
    --set 'model.layers.3.units={hp: int, name: units, min: 8, max: 16, step: 8}' \
    --set tune.max_trials=4 --set tune.max_consecutive_failures=0 >"$W/nan.log" 2>&1 ||
    { cat "$W/nan.log"; fail "a NaN trial stopped the search"; }
S=$W/nan/summary.csv
[ "$(tail -n +2 "$S" | wc -l)" -eq 4 ] || { cat "$S"; fail "expected 4 trials"; }
failed=$(grep -c ',failed,' "$S" || true)
[ "$failed" -eq 2 ] || { cat "$S"; fail "expected the 2 trials at 1e10 to fail, got $failed"; }
if grep ',failed,' "$S" | grep -v ',10000000000,'; then fail "a trial failed at a sane learning rate"; fi
grep ',completed,' "$S" | grep '0.001' > /dev/null || fail "no completed trial at 0.001"
grep -q 'FAILED' "$W/nan.log" || fail "the failure is not reported"
for d in "$W"/nan/trial_*; do
    [ -f "$d/trial.json" ] || fail "$d has no trial.json (failed trials get one too)"
done
grep -l '"status":.*"failed"' "$W"/nan/trial_*/trial.json | head -1 | xargs grep -q 'became nan' ||
    fail "a failed trial.json does not say why"
grep -q 'learning_rate: 0.001' "$W/nan/best.yaml" || { cat "$W/nan/best.yaml"; fail "best.yaml is not a completed trial"; }

# 2. tune.max_consecutive_failures ends a search where every trial fails, with a non-zero exit.
if "$CLCNN" tune "$CFG" --out "$W/allnan" --set tune.max_trials=5 --set tune.max_consecutive_failures=2 \
    --set 'train.optimizer.learning_rate={hp: choice, name: learning_rate, values: [1.0e+10, 1.0e+11]}' \
    >"$W/allnan.log" 2>&1; then
    fail "a search of failing trials ended with success"
fi
grep -q "2 trials in a row failed" "$W/allnan.log" || { cat "$W/allnan.log"; fail "no consecutive-failure message"; }
[ "$(tail -n +2 "$W/allnan/summary.csv" | wc -l)" -eq 2 ] || fail "the search went on past 2 failures"
[ ! -e "$W/allnan/best.yaml" ] || fail "a search without a completed trial wrote best.yaml"

# 3. Bad search spaces: file:line and a non-zero exit.
bad() { # name, replacement of the filters declaration, expected message
    sed "s/filters: {hp: int, name: filters, min: 2, max: 6, step: 2}/$2/" "$CFG" >"$W/$1.yaml"
    if "$CLCNN" tune "$W/$1.yaml" --out "$W/$1" >"$W/$1.log" 2>&1; then fail "$1: accepted"; fi
    grep -q "clcnn: error: .*$1.yaml:[0-9]*:[0-9]*: .*$3" "$W/$1.log" || { cat "$W/$1.log"; fail "$1: message"; }
    [ ! -e "$W/$1/oracle.json" ] || fail "$1: a search started"
}
bad min_gt_max "filters: {hp: int, name: filters, min: 6, max: 2}" "min"
bad step_zero "filters: {hp: int, name: filters, min: 2, max: 6, step: 0}" "step"
bad empty_choices "filters: {hp: choice, name: filters, values: []}" "values"
bad huge_range "filters: {hp: int, name: filters, min: 2, max: 1e16}" "2^52"

# 4. A config with nothing to search.
if "$CLCNN" tune "$CLCNN_SOURCE_DIR/configs/fashion_mnist.yaml" --out "$W/none" >"$W/none.log" 2>&1; then
    fail "a config without hyperparameters was searched"
fi
grep -q "no hyperparameters" "$W/none.log" || { cat "$W/none.log"; fail "unclear message for no hyperparameters"; }
echo "PASS"
