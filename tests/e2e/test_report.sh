#!/usr/bin/env bash
# clcnn report end to end: the HTML reports that a small training run, a small search (random and
# Hyperband) and bench results (CSV and JSON) write, opened by headless Chromium: no script error,
# nothing loaded from the network, each chart drawn with one point per epoch or trial, the
# confusion matrix summing to the test count. A resumed run rewrites its report. Train's report
# takes the run's own test predictions (no second evaluation; the --verbose log says which), and
# a folder without them, or with stale ones, is evaluated to the same test section. Bad input: clear
# errors naming the file, exit 1, and no output file. One screenshot per kind is kept under
# build/report-screenshots/ (a CI artifact).
source "$(dirname "$0")/lib.sh"
HERE="$(cd "$(dirname "$0")" && pwd)"
DATA="$HERE/data"
BENCH="$(dirname "$CLCNN")/clcnn-bench"
SHOTS="${CLCNN_TEST_BIN:-$(dirname "$CLCNN")}/report-screenshots"
mkdir -p "$SHOTS"
command -v chromium > /dev/null || { echo "FAIL: chromium is not installed (ci/install-deps.sh installs it)"; exit 1; }

# chromium_dom HTML OUT: the DOM after the page's scripts ran (a fresh profile per call).
chromium_dom() {
    timeout 180 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$WORK/profile" \
        --virtual-time-budget=10000 --dump-dom "file://$1" > "$2" 2> "$WORK/chromium.err" \
        || { echo "chromium failed:"; tail -5 "$WORK/chromium.err"; }
}
screenshot() {
    timeout 180 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$WORK/profile" \
        --hide-scrollbars --window-size=1280,"$3" --virtual-time-budget=10000 \
        --screenshot="$2" "file://$1" > /dev/null 2>&1
    [ -s "$2" ] && pass "screenshot $2" || fail "no screenshot $2"
}
# check NAME HTML CHECKS...: renders HTML and runs check_report_dom.py on it.
check() {
    local name="$1" html="$2"
    shift 2
    chromium_dom "$html" "$WORK/dom.html"
    if /usr/bin/python3 "$HERE/check_report_dom.py" "$WORK/dom.html" "$@" > "$WORK/check.txt"; then
        pass "$name: $(cat "$WORK/check.txt")"
    else
        fail "$name:"; cat "$WORK/check.txt"
    fi
}

# ---- training: written by train, rewritten by --resume, and by clcnn report -------------------
"$CLCNN" train "$DATA/train_tiny.yaml" --out "$WORK/run" --verbose > "$WORK/train.txt" 2>&1 \
    || { cat "$WORK/train.txt"; fail "train exits 0"; }
grep -q "wrote the training report: $WORK/run/report.html" "$WORK/train.txt" \
    && pass "train says where its report is" || { fail "train does not name its report"; cat "$WORK/train.txt"; }
[ -s "$WORK/run/run.json" ] && pass "train writes run.json" || fail "no run.json"
# The report takes the run's own test predictions: no second evaluation of the test set.
[ -s "$WORK/run/test_predictions.bin" ] && pass "train writes test_predictions.bin" \
    || fail "no test_predictions.bin"
grep -q "report: the test predictions are the run's own" "$WORK/train.txt" \
    && ! grep -q "report: evaluating" "$WORK/train.txt" \
    && pass "train's report does not evaluate the test set again" \
    || fail "train's report evaluated the test set again: $(grep 'report:' "$WORK/train.txt")"
cp "$WORK/run/test_predictions.bin" "$WORK/epoch2_predictions.bin"
n_wrong=$(/usr/bin/python3 -c "
import json, re, sys
t = open(sys.argv[1]).read()
d = json.loads(re.search(r'id=\"report-data\">(.*?)</script>', t, re.S).group(1))
print(d['test']['n_misclassified'])" "$WORK/run/report.html")
thumbs=$((n_wrong < 24 ? n_wrong : 24))
check "training report" "$WORK/run/report.html" kind=training chart:loss=2 chart:accuracy=2 \
    chart:learning_rate=2 chart:throughput=2 chart:per_class_accuracy=10 confusion_cells=100 \
    confusion_total=150 rows:epochs=2 thumbs=$thumbs present=summary present=config
grep -q '"learning_rate":\[0.005,0.0025\]' "$WORK/run/report.html" \
    && pass "the learning rate per epoch follows the step schedule (0.005, 0.0025)" \
    || fail "learning rates: $(grep -o '"learning_rate":\[[^]]*\]' "$WORK/run/report.html")"

"$CLCNN" train --resume "$WORK/run" --set train.epochs=3 > "$WORK/resume.txt" 2>&1 \
    || { cat "$WORK/resume.txt"; fail "train --resume exits 0"; }
check "resumed run's report (3 epochs)" "$WORK/run/report.html" kind=training chart:loss=3 \
    chart:accuracy=3 chart:learning_rate=3 rows:epochs=3 confusion_total=150
/usr/bin/python3 - "$WORK/run/run.json" <<'PY' && pass "run.json keeps the resumed epochs' timings" || fail "run.json after --resume"
import json, sys
e = json.load(open(sys.argv[1]))["epochs"]
assert len(e) == 3 and all(x["seconds"] > 0 and x["learning_rate"] > 0 for x in e), e
PY
screenshot "$WORK/run/report.html" "$SHOTS/training.png" 2600

"$CLCNN" report "$WORK/run" --out "$WORK/again.html" > "$WORK/report.txt" \
    && grep -q "wrote the training report: $WORK/again.html" "$WORK/report.txt" \
    && pass "clcnn report DIR --out FILE" || fail "clcnn report --out: $(cat "$WORK/report.txt")"

# Without the run's predictions (a folder from an older clcnn), or with stale ones (another
# model's: the 2-epoch run's beside the resumed model), the report evaluates, with the same result.
mkdir -p "$WORK/old" "$WORK/stale"
cp "$WORK/run/model.safetensors" "$WORK/run/history.csv" "$WORK/run/run.json" "$WORK/old/"
cp "$WORK/old/"* "$WORK/stale/"
cp "$WORK/epoch2_predictions.bin" "$WORK/stale/test_predictions.bin"
for d in old stale; do
    "$CLCNN" report "$WORK/$d" --verbose > "$WORK/$d.txt" 2>&1 \
        && grep -q "report: evaluating" "$WORK/$d.txt" \
        && ! grep -q "report: the test predictions are the run's own" "$WORK/$d.txt" \
        && pass "report of a folder with $d test predictions evaluates the model" \
        || fail "report ($d): $(cat "$WORK/$d.txt")"
done
/usr/bin/python3 - "$WORK/again.html" "$WORK/old/report.html" "$WORK/stale/report.html" <<'PY' \
    && pass "the run's predictions give the same test section as an evaluation" \
    || fail "the test sections differ"
import json, re, sys
def test(p):
    t = open(p).read()
    return json.loads(re.search(r'id="report-data">(.*?)</script>', t, re.S).group(1))['test']
a, b, c = (test(p) for p in sys.argv[1:])
assert a == b == c, (a['confusion'], b['confusion'])
assert sum(map(sum, a['confusion'])) == a['n'] == 150
PY

# ---- tuning: random search and Hyperband --------------------------------------------------------
"$CLCNN" tune "$DATA/tune_tiny.yaml" --set tune.max_trials=3 --out "$WORK/search" > "$WORK/tune.txt" 2>&1 \
    || { cat "$WORK/tune.txt"; fail "tune exits 0"; }
grep -q "wrote the tuning report: $WORK/search/report.html" "$WORK/tune.txt" \
    && pass "tune says where its report is" || fail "tune does not name its report"
check "tuning report" "$WORK/search/report.html" kind=tuning chart:best_so_far=3 chart:hp:filters=3 \
    chart:hp:kernel=3 chart:hp:units=3 chart:hp:learning_rate=3 chart:best_loss=1 chart:best_accuracy=1 \
    rows:trials=3 present=config
screenshot "$WORK/search/report.html" "$SHOTS/tuning.png" 2400

"$CLCNN" tune "$DATA/tune_tiny.yaml" --set tune.algorithm=hyperband --set tune.max_epochs=3 \
    --set tune.factor=3 --set tune.max_trials=0 --out "$WORK/hb" > "$WORK/hb.txt" 2>&1 \
    || { cat "$WORK/hb.txt"; fail "hyperband tune exits 0"; }
n_hb=$(ls -d "$WORK"/hb/trial_*/ | wc -l)
check "hyperband report ($n_hb trials)" "$WORK/hb/report.html" kind=tuning chart:best_so_far=$n_hb \
    rows:trials=$n_hb present=brackets
screenshot "$WORK/hb/report.html" "$SHOTS/tuning_hyperband.png" 2600

# ---- bench: CSV (two devices, a quoted name) and JSON -------------------------------------------
cp "$DATA/bench_two_devices.csv" "$WORK/bench.csv"
"$CLCNN" report "$WORK/bench.csv" > /dev/null && [ -s "$WORK/bench.html" ] \
    && pass "a bench CSV's report is written beside it" || fail "no bench.html"
check "bench CSV report" "$WORK/bench.html" kind=bench charts=2 "chart:bench:pthread-haswell-AMD EPYC=6" \
    'chart:bench:NVIDIA GeForce RTX 3060, "test" board=5' rows:results=11
screenshot "$WORK/bench.html" "$SHOTS/bench.png" 1500
"$BENCH" --gemm nn:8x9x10x2 --gemm tn:8x9x10x2 --route own --format json --target-ms 10 > "$WORK/k.json" 2> /dev/null \
    || fail "clcnn-bench --format json"
"$CLCNN" report "$WORK/k.json" --out "$WORK/k.html" > /dev/null || fail "report of a bench JSON"
check "bench JSON report" "$WORK/k.html" kind=bench charts=1 rows:results=2

# ---- bad input: an error naming the file, exit 1, no output ----------------------------------
no_output() { # NAME FILE: FILE and temp files beside it must not exist
    if [ -e "$2" ] || ls "$2".tmp.* > /dev/null 2>&1; then fail "$1: left $(ls "$2"*)"; else pass "$1: no output file"; fi
}
mkdir -p "$WORK/nohist"
cp "$WORK/run/model.safetensors" "$WORK/nohist/"
expect_error "folder with no history" "nohist/history.csv' is missing" "$CLCNN" report "$WORK/nohist"
no_output "folder with no history" "$WORK/nohist/report.html"
mkdir -p "$WORK/empty"
expect_error "empty folder" "'$WORK/empty' holds neither a training run .* nor a search" "$CLCNN" report "$WORK/empty"
no_output "empty folder" "$WORK/empty/report.html"
mkdir -p "$WORK/notrials"
cp "$WORK/search/tune.json" "$WORK/notrials/"
expect_error "tuning folder with no trial" "notrials' holds no finished trial" "$CLCNN" report "$WORK/notrials"
no_output "tuning folder with no trial" "$WORK/notrials/report.html"
head -3 "$DATA/bench_two_devices.csv" > "$WORK/corrupt.csv"
echo 'pthread-haswell-AMD EPYC,dense/forward,own,NN M=1,32,0.5,fast,1.0,2.0' >> "$WORK/corrupt.csv"
expect_error "corrupt CSV (a word for a number)" "corrupt.csv:4: gflops is 'fast', not a number" "$CLCNN" report "$WORK/corrupt.csv"
no_output "corrupt CSV" "$WORK/corrupt.html"
printf 'device,kernel,route,shape,batch,ms,gflops,gbps,pct_peak\n"unterminated,k,own,s,1,1,1,1,1\n' > "$WORK/quote.csv"
expect_error "corrupt CSV (an open quote)" "quote.csv:2: a quoted field is never closed" "$CLCNN" report "$WORK/quote.csv"
printf 'a,b\n1,2\n' > "$WORK/other.csv"
expect_error "a CSV that is not clcnn-bench's" "other.csv:1: not a clcnn-bench CSV" "$CLCNN" report "$WORK/other.csv"
cp -r "$WORK/run" "$WORK/badhist"
rm "$WORK/badhist/report.html"
printf 'epoch,accuracy,loss,val_accuracy,val_loss\n1,0.5,1.2,0.4,1.3\n2,0.6,oops,0.5,1.1\n' > "$WORK/badhist/history.csv"
expect_error "corrupt history.csv" "badhist/history.csv:3: not an epoch,accuracy" "$CLCNN" report "$WORK/badhist"
no_output "corrupt history.csv" "$WORK/badhist/report.html"
cp "$WORK/run/report.html" "$WORK/keep.html"
expect_error "missing path" "cannot read '$WORK/nothing'" "$CLCNN" report "$WORK/nothing" --out "$WORK/keep.html"
cmp -s "$WORK/run/report.html" "$WORK/keep.html" && pass "a failed report leaves an existing file as it was" \
    || fail "a failed report changed --out"
finish
