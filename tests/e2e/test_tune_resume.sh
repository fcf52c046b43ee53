#!/bin/bash
# tests/e2e/test_tune_resume.sh CLCNN: `clcnn tune` killed with SIGKILL in the middle of a search
# resumes it: the budget is met, no trial id or hyperparameter set repeats, and the files of the
# trials finished before the kill are untouched. Then: a different config is refused in the same
# folder (with a hint), --overwrite starts over, and best.yaml trains with `clcnn train`.
set -euo pipefail
CLCNN=$1
export CLCNN_ROUTE=own # no CLBlast route measurement: the tiny model does not need it
CFG=$CLCNN_SOURCE_DIR/tests/e2e/data/tune_tiny.yaml
W=$(mktemp -d /tmp/clcnn-e2e-tune-XXXXXX)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
rows() { [ -f "$W/s/summary.csv" ] && tail -n +2 "$W/s/summary.csv" | wc -l || echo 0; }

# 1. Start a 6-trial search, kill -9 it once two trials are recorded. 3 epochs of 6,000 images
# (train_limit 8,000 less the validation split) make a trial slow enough (0.6 s on 2 AVX-512
# cores) for the kill, 0.1 s after the second row, to land before the search ends; with 1,000
# images, and the data set read once per process, all 6 trials took 0.5 s together.
SETS="--set tune.max_trials=6 --set data.train_limit=8000 --set train.epochs=3"
"$CLCNN" tune "$CFG" --out "$W/s" $SETS >"$W/run1.log" 2>&1 &
pid=$!
for _ in $(seq 1200); do
    [ "$(rows)" -ge 2 ] && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
done
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
k=$(rows)
[ "$k" -ge 2 ] || { cat "$W/run1.log"; fail "expected at least 2 finished trials before the kill, got $k"; }
[ "$k" -lt 6 ] || fail "the search finished before it could be killed; make the trials slower"
echo "killed after $k finished trials"

# Fingerprints of the finished trials' files.
finished_ids=$(tail -n +2 "$W/s/summary.csv" | cut -d, -f1)
fingerprint() {
    for id in $finished_ids; do
        d=$(printf '%s/s/trial_%04d' "$W" "$id")
        sha256sum "$d/trial.json" "$d/model.safetensors"
        stat -c '%n %Y.%y' "$d/trial.json" "$d/model.safetensors"
    done
}
fingerprint >"$W/before"

# 2. Resume.
"$CLCNN" tune "$CFG" --out "$W/s" $SETS >"$W/run2.log" 2>&1 || { cat "$W/run2.log"; fail "resume failed"; }
grep -q "Resuming: $k trial" "$W/run2.log" || { cat "$W/run2.log"; fail "no resume message"; }
[ "$(rows)" -eq 6 ] || fail "expected 6 trials in summary.csv, got $(rows)"
ids=$(tail -n +2 "$W/s/summary.csv" | cut -d, -f1 | tr '\n' ' ')
[ "$ids" = "0 1 2 3 4 5 " ] || fail "trial ids: '$ids'"
# Hyperparameter columns: everything between score and seconds.
dups=$(tail -n +2 "$W/s/summary.csv" | awk -F, '{ s = ""; for (i = 4; i < NF; i++) s = s $i ","; print s }' | sort | uniq -d)
[ -z "$dups" ] || fail "a hyperparameter set repeats: $dups"
for id in 0 1 2 3 4 5; do
    d=$(printf '%s/s/trial_%04d' "$W" "$id")
    [ -f "$d/trial.json" ] || fail "$d/trial.json is missing"
done
fingerprint >"$W/after"
diff "$W/before" "$W/after" || fail "files of trials finished before the kill changed"
"$CLCNN" tune "$CFG" --out "$W/s" $SETS >"$W/run3.log" 2>&1 || fail "rerunning a finished search failed"
grep -q "Resuming: 6 trials" "$W/run3.log" || fail "a finished search should only be reported"
fingerprint >"$W/after3"
diff "$W/before" "$W/after3" || fail "rerunning a finished search changed its files"

# 3. Another config in the same folder is refused, with a hint.
if "$CLCNN" tune "$CFG" --out "$W/s" $SETS --set tune.max_trials=7 >"$W/other.log" 2>&1; then
    fail "a different config was resumed"
fi
grep -q "different config" "$W/other.log" && grep -q -- "--overwrite" "$W/other.log" || { cat "$W/other.log"; fail "unclear refusal"; }

# 4. --overwrite starts over.
"$CLCNN" tune "$CFG" --out "$W/s" $SETS --set tune.max_trials=2 --overwrite >"$W/over.log" 2>&1 || fail "--overwrite failed"
[ "$(rows)" -eq 2 ] || fail "--overwrite kept old trials: $(rows) rows"
[ ! -e "$W/s/trial_0005" ] || fail "--overwrite left trial_0005"

# 5. best.yaml is a config `clcnn train` accepts.
"$CLCNN" train "$W/s/best.yaml" --out "$W/train" >"$W/train.log" 2>&1 || { cat "$W/train.log"; fail "clcnn train best.yaml failed"; }
[ -f "$W/train/model.safetensors" ] || fail "no model from best.yaml"
echo "PASS"
