#!/bin/bash
# tests/e2e/test_tune_hostile.sh CLCNN: a tuning folder whose state files are damaged or edited
# (issue 15) is refused on resume with the file, the field and what to do (--overwrite or another
# --out), and nothing in it changes. An oracle.json whose max_trials differs from the config's is
# refused rather than obeyed (it used to run trials past the config's budget silently).
source "$(dirname "$0")/lib.sh"
export CLCNN_ROUTE=own
CFG=$CLCNN_SOURCE_DIR/tests/e2e/data/tune_tiny.yaml
cd "$WORK"
"$CLCNN" tune "$CFG" --out s --set tune.max_trials=2 > s.log 2>&1 || { cat s.log; fail "the search"; }
sums() { (cd "$1" && find . -type f -exec sha256sum {} + | sort); }

damaged() { # NAME FILE PATTERN PYTHON: a copy of s with FILE edited by PYTHON, then resumed
    local name="$1" file="$2" pattern="$3" edit="$4"
    rm -rf "$name" && cp -r s "$name"
    python3 - "$name/$file" <<<"$edit"
    local before
    before="$(sums "$name")"
    expect_error "$name" "$pattern" "$CLCNN" tune "$CFG" --out "$name" --set tune.max_trials=2
    grep -q -- "--overwrite" "$WORK/err.txt" || fail "$name: no advice on what to do"
    [ "$(sums "$name")" = "$before" ] && pass "$name: nothing changed in the folder" \
        || fail "$name: the folder changed"
}
EDIT='
import json, sys
p = sys.argv[1]; d = json.load(open(p))
CHANGE
open(p, "w").write(json.dumps(d))'
damaged budget oracle.json "oracle.json.*options.max_trials is 11 but the config gives 2" \
    "${EDIT/CHANGE/d[\"options\"][\"max_trials\"] = 11}"
damaged space oracle.json "oracle.json.*space" \
    "${EDIT/CHANGE/d[\"space\"][0][\"max\"] = 60}"
damaged choice oracle.json "oracle.json.*values\[1\] \(kernel\) is 9" \
    "${EDIT/CHANGE/d[\"trials\"][0][\"values\"][1] = 9}"
damaged trial_id trial_0000/trial.json "trial_0000/trial.json.*id is 1[.0-9]*e\+300" \
    "${EDIT/CHANGE/d[\"id\"] = 1e300}"
damaged trial_epochs trial_0001/trial.json "trial_0001/trial.json.*epochs is -4" \
    "${EDIT/CHANGE/d[\"epochs\"] = -4}"
damaged tune_json tune.json "tune.json.*not valid JSON" '
import sys; p = sys.argv[1]; t = open(p).read(); open(p, "w").write(t[: len(t) // 2])'

rm -rf ok && cp -r s ok
"$CLCNN" tune "$CFG" --out ok --set tune.max_trials=2 > ok.log 2>&1 \
    && pass "an undamaged folder still resumes" || { fail "an undamaged folder: $(cat ok.log)"; }
finish
