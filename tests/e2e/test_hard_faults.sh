#!/usr/bin/env bash
# Hostile state and hard faults (issue 15): a training folder whose files are damaged is refused
# with the file and what is wrong, and nothing in it changes; a write that fails (the file size
# limit stands in for a full disk: writes fail with EFBIG as they would with ENOSPC) names the
# file and leaves the previous version whole; kill -9 at random moments always leaves a model
# and history that eval and --resume accept.
: "${CLCNN_FAULT_LIB:?the fault-injecting library (tests/e2e/fault_inject.c), set by ctest}"
source "$(dirname "$0")/lib.sh"
cd "$WORK"
SMALL=(--set data.train_limit=1000 --set data.test_limit=100 --set model.layers.0.filters=4
       --set model.layers.1.filters=4 --set model.layers.3.units=16)

"$CLCNN" train "${SMALL[@]}" --set train.epochs=1 --out a > /dev/null
sums() { (cd "$1" && sha256sum ./* | sort); }

# ---- damaged folders: refused, named, untouched -----------------------------------------------
damaged() { # NAME FILE PATTERN PYTHON: copies a to NAME, damages FILE with PYTHON, resumes
    local name="$1" file="$2" pattern="$3" edit="$4"
    rm -rf "$name" && cp -r a "$name"
    python3 - "$name/$file" <<<"$edit"
    local before
    before="$(sums "$name")"
    expect_error "resume with $name" "$pattern" "$CLCNN" train --resume "$name"
    grep -q "fresh --out" "$WORK/err.txt" || fail "$name: no advice on what to do"
    [ "$(sums "$name")" = "$before" ] && pass "$name: nothing changed in the folder" \
        || fail "$name: the folder changed"
}
# The metadata of a safetensors file, edited (the header is rewritten with its new length).
SET_META='
import json, struct, sys
p = sys.argv[1]; b = open(p, "rb").read(); n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n]); h["__metadata__"]["clcnn.epoch"] = KEY
t = json.dumps(h).encode(); t += b" " * (-len(t) % 8)
open(p, "wb").write(struct.pack("<Q", len(t)) + t + b[8 + n:])'
damaged neg_epoch optimizer.safetensors "optimizer.safetensors.*clcnn.epoch" \
    "${SET_META/KEY/\"-4\"}"
damaged huge_epoch optimizer.safetensors "optimizer.safetensors.*clcnn.epoch" \
    "${SET_META/KEY/\"99999999999\"}"
damaged empty_epoch history.csv "history.csv:2: .*epoch is empty" '
import sys; p = sys.argv[1]; t = open(p).read().split("\n"); t[1] = "," + t[1].split(",", 1)[1]
open(p, "w").write("\n".join(t))'
damaged nan_epoch history.csv "history.csv:2: .*epoch is" '
import sys; p = sys.argv[1]; t = open(p).read().split("\n"); t[1] = "nan," + t[1].split(",", 1)[1]
open(p, "w").write("\n".join(t))'
damaged torn_model model.safetensors "model.safetensors.*truncated" '
import sys; p = sys.argv[1]; b = open(p, "rb").read(); open(p, "wb").write(b[:len(b) // 2])'
damaged dup_meta model.safetensors "model.safetensors.*appears twice" '
import struct, sys
p = sys.argv[1]; b = open(p, "rb").read(); n = struct.unpack("<Q", b[:8])[0]
h = b[8:8 + n].rstrip(); h = h[:-1] + b",\"__metadata__\":{}}"; h += b" " * (-len(h) % 8)
open(p, "wb").write(struct.pack("<Q", len(h)) + h + b[8 + n:])'

# ---- class names that JSON must escape (image folders are named by their users) ---------------
python3 - <<'PY'
import os
names = ['quo"te', 'back\\slash', 'tab\tand_ctl\x01']
for split, n in (("train", 6), ("test", 2)):
    for k, name in enumerate(names):
        d = os.path.join("images", split, name)
        os.makedirs(d)
        for i in range(n):
            px = bytes(200 if c == k else 30 + i for _ in range(64) for c in range(3))
            open(os.path.join(d, "%d.ppm" % i), "wb").write(b"P6 8 8 255\n" + px)
PY
"$CLCNN" train "$CLCNN_SOURCE_DIR/configs/image_folder.yaml" --set data.dir=images \
    --set data.classes=3 --set train.epochs=1 --out hostile_names > hn.log 2>&1 \
    || { fail "training on hostile class names: $(tail -3 hn.log)"; }
"$CLCNN" eval hostile_names/model.safetensors --json > hn.json 2> hn.err \
    || fail "eval of hostile class names: $(cat hn.err)"
python3 - hn.json <<'PY' && pass "eval --json escapes class names: $(cat hn.json | head -c 120)" \
    || fail "eval --json with hostile class names: $(cat hn.json)"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["classes"] == sorted(['quo"te', 'back\\slash', 'tab\tand_ctl\x01']), d["classes"]
assert len(d["confusion_matrix"]) == 3 and d["n"] == 6
PY

# ---- a write that fails (full disk): named, previous version intact, no temp file left -------
# CLCNN_FAULT_LIB makes fsync fail with ENOSPC for paths holding CLCNN_FAULT_FSYNC.
for file in model.safetensors optimizer.safetensors history.csv; do
    rm -rf f && cp -r a f
    before="$(sums f)"
    code=0
    LD_PRELOAD="$CLCNN_FAULT_LIB" CLCNN_FAULT_FSYNC="f/$file" \
        "$CLCNN" train --resume f --set train.epochs=2 > f.log 2>&1 || code=$?
    [ "$code" -eq 1 ] && pass "$file: a full disk exits 1" || { fail "$file: exit $code"; cat f.log; }
    grep -Eq "cannot write 'f/$file': No space left on device" f.log \
        && pass "$file: the error names the file: $(grep -Eo "cannot write[^(]*" f.log | head -1)" \
        || { fail "$file: the error does not name the file"; cat f.log; }
    cmp -s "a/$file" "f/$file" && ! ls f/*.tmp.* > /dev/null 2>&1 \
        && pass "$file: the previous version is intact, no temp file left" \
        || { fail "$file: changed, or a temp file is left"; ls -la f; }
    if [ "$file" = model.safetensors ]; then # written first: nothing else may have changed
        [ "$(sums f)" = "$before" ] && pass "$file: the whole folder is as it was" \
            || fail "$file: the folder changed"
    fi
    "$CLCNN" eval f/model.safetensors --set data.test_limit=100 --json > /dev/null \
        && pass "$file: the model in the folder loads" || fail "$file: the model does not load"
    "$CLCNN" train --resume f --set train.epochs=2 > f2.log 2>&1 \
        && pass "$file: the folder resumes once the disk has room" \
        || { fail "$file: the folder does not resume"; cat f2.log; }
done

# ---- kill -9 at random moments ---------------------------------------------------------------
# After each kill, eval must load the model and --resume accept the folder (train.epochs=1: the
# folder holds more epochs, so the resume loads and checks every state file and trains nothing).
rm -rf k && cp -r a k
kills=${CLCNN_KILL_TRIALS:-20}
ok=1
for i in $(seq 1 "$kills"); do
    "$CLCNN" train --resume k --set train.epochs=40 > "k$i.log" 2>&1 &
    pid=$!
    sleep "$(awk -v s="$RANDOM" 'BEGIN { srand(s); printf "%.2f", 0.3 + 4 * rand() }')"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if ! "$CLCNN" eval k/model.safetensors --set data.test_limit=100 --json > /dev/null 2>"ke$i.log"; then
        fail "kill $i: eval refuses the model: $(cat "ke$i.log")"; ok=0; break
    fi
    if grep -q "cannot resume" "k$i.log" \
        || ! "$CLCNN" train --resume k --set train.epochs=1 > "kr$i.log" 2>&1; then
        fail "kill $i: --resume refused the folder: $(cat "k$i.log" "kr$i.log")"; ok=0; break
    fi
done
[ "$ok" -eq 1 ] && [ "$(($(wc -l < k/history.csv) - 1))" -ge 1 ] \
    && pass "after each of $kills kills at random moments, eval and --resume accept the folder" \
    || fail "the folder after the kills: $(ls -la k)"
echo "the folder after $kills kills holds $(($(wc -l < k/history.csv) - 1)) epochs"
ls k/*.tmp.* > /dev/null 2>&1 && echo "note: a killed write leaves its temp file (harmless): $(ls k/*.tmp.*)"
finish
