# tests/e2e/lib.sh: helpers for the end-to-end tests (sourced). $CLCNN is the binary under test.
set -euo pipefail
CLCNN="${1:?usage: $0 path/to/clcnn}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
fails=0
passes=0

pass() { echo "ok: $1"; passes=$((passes + 1)); }
fail() { echo "FAIL: $1"; fails=$((fails + 1)); }

# expect_error NAME PATTERN CMD...: CMD must exit non-zero and print PATTERN (a grep -E regex) on
# stderr, with no crash (exit code 1 or 2, not a signal).
expect_error() {
    local name="$1" pattern="$2"
    shift 2
    local code=0
    "$@" > "$WORK/out.txt" 2> "$WORK/err.txt" || code=$?
    if [ "$code" -ne 1 ] && [ "$code" -ne 2 ]; then
        fail "$name: exit code $code (want 1 or 2)"; cat "$WORK/err.txt"; return
    fi
    if ! grep -Eq "$pattern" "$WORK/err.txt"; then
        fail "$name: stderr lacks /$pattern/:"; cat "$WORK/err.txt"; return
    fi
    pass "$name: $(head -c 200 "$WORK/err.txt" | head -1)"
}

# accuracy_close A B MARGIN: the test accuracies in A.json and B.json (`clcnn eval --json`) are
# both above 0.5 (both models learned something) and at most MARGIN percentage points apart;
# prints them.
accuracy_close() {
    python3 - "$1" "$2" "$3" <<'PY'
import json, sys
a, b = (json.load(open(f + ".json"))["accuracy"] for f in sys.argv[1:3])
diff = abs(a - b) * 100
print(f"{sys.argv[1]} {a:.4f}, {sys.argv[2]} {b:.4f}: {diff:.2f} points apart")
assert a > 0.5 and b > 0.5, "both models learned something"
assert diff <= float(sys.argv[3])
PY
}

# The promise across routes and algorithms (docs/architecture.md, "Identical results"): a small
# model (3000 images, 8 + 8 filters, 32 units, one epoch at batch 32) trained two ways differs in
# its bits, but its test accuracy on the same 2000 examples stays within ROUTE_MARGIN points.
ROUTE_MARGIN=1.0
ROUTE_MODEL=(--set data.train_limit=3000 --set data.test_limit=2000 --set model.layers.0.filters=8
             --set model.layers.1.filters=8 --set model.layers.3.units=32 --set train.epochs=1
             --set train.batch_size=32)

# train_eval NAME [VAR=VALUE...]: ROUTE_MODEL trained with those variables set into NAME/, then
# evaluated into NAME.json.
train_eval() {
    local name="$1"
    shift
    env "$@" "$CLCNN" train "${ROUTE_MODEL[@]}" --out "$name" > "$name.log" 2>&1 \
        || { cat "$name.log"; fail "train $name ($*)"; }
    "$CLCNN" eval "$name/model.safetensors" --set data.test_limit=2000 --json > "$name.json" \
        2> "$name.err" || { cat "$name.err"; fail "eval $name"; }
}

# routes_agree A B WHAT: the models trained into A/ and B/ (train_eval) differ in their bits (so
# the comparison is not trivial) and their accuracies are within ROUTE_MARGIN points.
routes_agree() {
    ! cmp -s "$1/model.safetensors" "$2/model.safetensors" \
        && pass "$3 give different bits (so the comparison below is not trivial)" \
        || fail "$3 gave the same bits: did both run?"
    accuracy_close "$1" "$2" "$ROUTE_MARGIN" \
        && pass "$3: test accuracy within $ROUTE_MARGIN points" \
        || fail "$3: accuracy differs by more than $ROUTE_MARGIN points"
}

finish() {
    echo "$passes passed, $fails failed"
    [ "$fails" -eq 0 ]
}
