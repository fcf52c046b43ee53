#!/usr/bin/env bash
# End to end on PoCL: one epoch on 5,000 training images reaches >= 75% on 1,000 test images;
# save, load and eval agree; --init continues from saved weights; predict writes its CSV; the
# model file is readable with Python's json/struct and numpy alone, in the layouts
# docs/architecture.md gives.
source "$(dirname "$0")/lib.sh"
HERE="$(cd "$(dirname "$0")" && pwd)"
SETS=(--set data.train_limit=5000 --set data.test_limit=1000)

"$CLCNN" train "${SETS[@]}" --out "$WORK/run1" | tee "$WORK/train1.txt"
acc=$(sed -n 's/^test accuracy: \([0-9.]*\).*/\1/p' "$WORK/train1.txt")
if awk "BEGIN {exit !($acc >= 0.75)}"; then pass "1 epoch on 5000 images: test accuracy $acc >= 0.75"; else fail "test accuracy $acc < 0.75"; fi

for f in model.safetensors history.csv optimizer.safetensors; do
    [ -s "$WORK/run1/$f" ] && pass "wrote $f" || fail "no $f"
done
head -1 "$WORK/run1/history.csv" | grep -qx "epoch,accuracy,loss,val_accuracy,val_loss" \
    && pass "history.csv header" || fail "history.csv header: $(head -1 "$WORK/run1/history.csv")"
[ "$(sed -n 2p "$WORK/run1/history.csv" | cut -d, -f1)" = 1 ] && pass "epochs count from 1" || fail "epoch column"

"$CLCNN" eval "$WORK/run1/model.safetensors" --set data.test_limit=1000 --json > "$WORK/eval.json"
eval_acc=$(/usr/bin/python3 -c "import json,sys; print('%.4f' % json.load(open(sys.argv[1]))['accuracy'])" "$WORK/eval.json")
[ "$eval_acc" = "$acc" ] && pass "eval of the saved model gives the same accuracy ($eval_acc)" \
    || fail "eval accuracy $eval_acc != training's $acc"
/usr/bin/python3 - "$WORK/eval.json" <<'PY' && pass "eval --json has loss, per-class accuracy, confusion matrix" || fail "eval --json fields"
import json, sys
d = json.load(open(sys.argv[1]))
assert set(["accuracy", "loss", "per_class_accuracy", "confusion_matrix"]) <= set(d)
m = d["confusion_matrix"]
assert len(m) == 10 and all(len(r) == 10 for r in m) and sum(map(sum, m)) == 1000
PY

# --init: training continues from the saved weights, so its first epoch starts far lower.
"$CLCNN" train "${SETS[@]}" --init "$WORK/run1/model.safetensors" --out "$WORK/run2" > "$WORK/train2.txt"
l1=$(sed -n 2p "$WORK/run1/history.csv" | cut -d, -f3)
l2=$(sed -n 2p "$WORK/run2/history.csv" | cut -d, -f3)
if awk "BEGIN {exit !($l2 < 0.8 * $l1)}"; then pass "--init continues: epoch-1 loss $l2 < 0.8 x $l1"; else fail "--init: loss $l2 vs fresh $l1"; fi

# predict: the CSV header, one row per image, and layouts checked by an independent numpy forward pass.
"$CLCNN" predict "$WORK/run1/model.safetensors" /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz \
    --probs "$WORK/probs.csv" > "$WORK/pred.txt"
[ "$(wc -l < "$WORK/pred.txt")" -eq 10000 ] && pass "predict prints 10000 lines" || fail "predict lines: $(wc -l < "$WORK/pred.txt")"
head -1 "$WORK/probs.csv" | grep -qx "index,pred,p0,p1,p2,p3,p4,p5,p6,p7,p8,p9" && pass "probs.csv header" || fail "probs.csv header"
/usr/bin/python3 "$HERE/check_safetensors.py" "$WORK/run1/model.safetensors" "$WORK/probs.csv" \
    && pass "model file read by numpy alone; its forward pass matches clcnn's probabilities" || fail "check_safetensors.py"
finish
