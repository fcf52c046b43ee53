#!/bin/bash
# tests/mpi/test_mpi_train.sh CLCNN MPIEXEC: data-parallel training under MPI on PoCL, the seed
# model (no dropout, no augmentation) at global batch 32.
# - The averaging: 2 steps of plain SGD (the weights are linear in the averaged gradient) over 2
#   ranks and over 3 ranks with uneven shares (32 = 11 + 11 + 10, then a batch of 2 that leaves
#   rank 2 none) end with 1 rank's weights within 1e-5 relative, tensor by tensor.
# - 20 steps of the seed's own Adam against one process that splits every batch as the ranks do
#   (CLCNN_DP_SPLIT=N: each part's gradients summed in rank order): 2 ranks give its weights bit
#   for bit (a sum of two floats does not depend on its order), 3 ranks within 1e-5 relative
#   (MPI does not fix the order of a sum of three); neither the overlap of the sums with the
#   backward pass nor the bucket size changes a bit (CLCNN_DP_OVERLAP=0, CLCNN_DP_BUCKET_KB).
# - 20 Adam steps over 2 ranks against 1 rank at batch 32: the loss curve (training and
#   validation) within 1e-3 relative, the weights within 1e-2 relative in the 2-norm. Not 1e-5:
#   the one difference is the order of the sum over the batch (16 + 16 examples, not 32 in one
#   product), which rounds differently (1.6e-9 relative in the weights after an SGD step), and
#   ReLU's kink and Adam turn that into more: a convolution whose output on the blank background
#   is within rounding of zero switches on or off there for every image, and Adam moves a weight
#   whose gradient is a near-cancelling sum by about the learning rate whatever that sum's
#   rounding (docs/architecture.md). How much after 20 steps is chance: any change of a kernel's
#   summation order moves it. Measured with the kernels of 2026-12-01 (late): seed 42 5.8e-3 in
#   the weights and 4.0e-4 in val_loss, seeds 1 and 2 1.7e-4 and 1.9e-4 (weights); earlier kernels
#   gave 2.3e-4 at seed 42. The bounds are those figures with margin; exactness is asserted above,
#   bit for bit, against one process that sums the batch in the ranks' order.
# - Rank 0 alone writes files and decodes the test set, the test metrics are 1 rank's; --resume
#   continues under mpirun; a rank without a device, a rank whose data are not rank 0's and a
#   rank that fails mid-run end the job with a message, no hang.
set -euo pipefail
CLCNN=$1
MPIEXEC=${2:-mpirun}
HERE="$(cd "$(dirname "$0")" && pwd)"
export CLCNN_ROUTE=own OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
W=$(mktemp -d /tmp/clcnn-mpi-train-XXXXXX)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }
# Each rank gets its own --out ($1 with the rank appended): rank 0 must write, the others not.
mpi() {
    local n=$1 out=$2; shift 2
    timeout 600 "$MPIEXEC" --oversubscribe -n "$n" bash -c \
        'exec "$0" "$@" --out "'"$out"'_${OMPI_COMM_WORLD_RANK:-${PMI_RANK:-0}}"' "$CLCNN" "$@"
}
# Two history.csv files agree: the same epochs, losses within 1e-4 relative (or the third
# argument), accuracies within
# one example of the 320 (training) or 36 (validation).
curves() { /usr/bin/python3 -c '
import csv, sys
a, b = (list(csv.DictReader(open(p))) for p in sys.argv[1:3])
tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-4
assert [r["epoch"] for r in a] == [r["epoch"] for r in b], "the epochs differ"
for x, y in zip(a, b):
    for k in ("loss", "val_loss"):
        assert abs(float(x[k]) - float(y[k])) <= tol * abs(float(y[k])), (x["epoch"], k, x[k], y[k])
    for k, n in (("accuracy", 320), ("val_accuracy", 36)):
        assert abs(float(x[k]) - float(y[k])) <= 1.0 / n + 1e-9, (x["epoch"], k, x[k], y[k])
' "$@"; }
weights() { # weights NAME RUN REFERENCE RTOL MODE
    /usr/bin/python3 "$HERE/check_same_weights.py" "$2/model.safetensors" "$3/model.safetensors" "$4" "$5" ||
        fail "$1: the weights differ from 1 rank's"
}
SEED=$CLCNN_SOURCE_DIR/configs/fashion_mnist.yaml

# The averaging, exactly: 2 SGD steps on 34 examples (38 less the validation split).
SGD=(--set data.train_limit=38 --set data.test_limit=10 --set train.optimizer.name=sgd
     --set train.optimizer.learning_rate=0.01)
"$CLCNN" train "$SEED" "${SGD[@]}" --out "$W/sgd" >"$W/sgd.log" 2>&1 || { cat "$W/sgd.log"; fail "1 rank (SGD)"; }
for n in 2 3; do
    mpi $n "$W/sgd$n" train "$SEED" "${SGD[@]}" >"$W/sgd$n.log" 2>&1 ||
        { cat "$W/sgd$n.log"; fail "mpirun -n $n clcnn train (SGD) failed"; }
    weights "$n ranks, 2 SGD steps" "$W/sgd${n}_0" "$W/sgd" 1e-5 max
    ok "$n ranks: 2 SGD steps give 1 rank's weights within 1e-5"
done

# 20 Adam steps: 2 epochs of 10 steps on 320 examples, 36 to validate.
SETS=(--set data.train_limit=356 --set data.test_limit=100 --set train.epochs=2)
"$CLCNN" train "$SEED" "${SETS[@]}" --out "$W/one" >"$W/one.log" 2>&1 || { cat "$W/one.log"; fail "1 rank"; }
mpi 2 "$W/two" train "$SEED" "${SETS[@]}" --verbose >"$W/two.log" 2>&1 ||
    { cat "$W/two.log"; fail "mpirun -n 2 clcnn train failed"; }
grep -q "data-parallel over 2 ranks" "$W/two.log" || { cat "$W/two.log"; fail "no data-parallel line"; }
grep -q "data-parallel rank 1 of 2: 20 steps" "$W/two.log" || { cat "$W/two.log"; fail "rank 1 did not take 20 steps"; }
grep -q "in 2 buckets, overlap on" "$W/two.log" || { cat "$W/two.log"; fail "the sums were not overlapped in 2 buckets"; }
# Rank 0 alone evaluates the test set, so rank 1 does not decode it: 356 images there, 456
# (with the test set's 100) on rank 0.
grep -q "data: in memory (356 images" "$W/two.log" && grep -q "data: in memory (456 images" "$W/two.log" ||
    { cat "$W/two.log"; fail "rank 1 decoded the test set it never evaluates (or rank 0 did not)"; }
# One process splitting each batch in 2 as the ranks do: the same bits.
CLCNN_DP_SPLIT=2 "$CLCNN" train "$SEED" "${SETS[@]}" --out "$W/split2" >"$W/split2.log" 2>&1 ||
    { cat "$W/split2.log"; fail "1 rank with CLCNN_DP_SPLIT=2"; }
cmp "$W/two_0/model.safetensors" "$W/split2/model.safetensors" ||
    fail "2 ranks: the weights are not those of one process that splits each batch in 2"
cmp "$W/two_0/optimizer.safetensors" "$W/split2/optimizer.safetensors" || fail "2 ranks: the optimizer state differs"
ok "2 ranks: 20 Adam steps give, bit for bit, one process's that splits each batch in 2"
rc=0
CLCNN_DP_SPLIT=two "$CLCNN" train "$SEED" "${SETS[@]}" --out "$W/badsplit" >"$W/badsplit.log" 2>&1 || rc=$?
[ $rc -ne 0 ] && grep -q "CLCNN_DP_SPLIT is 'two'; expected a whole number" "$W/badsplit.log" ||
    { cat "$W/badsplit.log"; fail "CLCNN_DP_SPLIT=two: no clear error"; }
# Neither the overlap nor the buckets change a bit: the sums after the whole backward pass, in
# buckets of at most 64 KiB (one per layer with parameters but the small last one).
CLCNN_DP_OVERLAP=0 CLCNN_DP_BUCKET_KB=64 mpi 2 "$W/twooff" train "$SEED" "${SETS[@]}" --verbose >"$W/twooff.log" 2>&1 ||
    { cat "$W/twooff.log"; fail "mpirun -n 2 clcnn train (no overlap) failed"; }
grep -q "in 3 buckets, overlap off" "$W/twooff.log" || { cat "$W/twooff.log"; fail "not 3 buckets without overlap"; }
cmp "$W/two_0/model.safetensors" "$W/twooff_0/model.safetensors" || fail "the overlap or the buckets changed the weights"
ok "2 ranks: the same bits with and without the overlap, in 2 or 3 buckets"
curves "$W/one/history.csv" "$W/two_0/history.csv" 1e-3 || fail "2 ranks: the loss curve differs"
weights "2 ranks, 20 Adam steps" "$W/two_0" "$W/one" 1e-2 norm
ok "2 ranks: 20 Adam steps follow 1 rank's loss curve"
for f in model.safetensors optimizer.safetensors history.csv run.json report.html test_predictions.bin; do
    [ -f "$W/two_0/$f" ] || fail "rank 0 did not write $f"
done
[ -e "$W/two_1" ] && fail "rank 1 wrote $(ls -R "$W/two_1")"
ls "$W"/two_0/*.tmp* 2>/dev/null && fail "a temporary file was left behind"
# (mpirun gives the ranks a terminal: progress lines precede the epoch lines.)
[ "$(grep -o "Epoch [12]/2 - 10/10" "$W/two.log" | wc -l)" -eq 2 ] || fail "the epoch lines are not printed once"
# The test set's metrics, evaluated by rank 0 on the whole test set: those of one process with
# the same weights (the split reference, bit for bit above), the accuracy within one image of
# 100, the loss within 1e-3. (Against one process at batch 32 they drift by chance, as above.)
test_metrics() { sed -n 's/.*test accuracy: \([0-9.]*\) - test loss: \([0-9.]*\).*/\1 \2/p' "$1"; }
read -r a1 l1 <<<"$(test_metrics "$W/split2.log")"
read -r a2 l2 <<<"$(test_metrics "$W/two.log")"
awk -v a1="$a1" -v a2="$a2" -v l1="$l1" -v l2="$l2" 'BEGIN { d = a1 - a2; e = (l1 - l2) / l1;
    exit !(a1 != "" && a2 != "" && d * d <= 0.0001 + 1e-9 && e * e <= 1e-6) }' ||
    fail "the test metrics differ: $a1 $l1 against $a2 $l2"
ok "rank 0 alone wrote files; the test metrics match"

mpi 3 "$W/three" train "$SEED" "${SETS[@]}" >"$W/three.log" 2>&1 ||
    { cat "$W/three.log"; fail "mpirun -n 3 clcnn train failed"; }
if [ -e "$W/three_1" ] || [ -e "$W/three_2" ]; then fail "a rank other than 0 wrote files"; fi
# Against one process that splits each batch in 11 + 11 + 10 (not one process at batch 32: with
# these shares the 20-step difference from it was 5.8e-3 in the 2-norm at this train.seed and
# 1.7e-7, 1.4e-4 at seeds 1 and 2: docs/architecture.md).
CLCNN_DP_SPLIT=3 "$CLCNN" train "$SEED" "${SETS[@]}" --out "$W/split3" >"$W/split3.log" 2>&1 ||
    { cat "$W/split3.log"; fail "1 rank with CLCNN_DP_SPLIT=3"; }
curves "$W/split3/history.csv" "$W/three_0/history.csv" || fail "3 ranks: the loss curve differs"
weights "3 ranks, 20 Adam steps" "$W/three_0" "$W/split3" 1e-5 max
ok "3 ranks (11 + 11 + 10): 20 Adam steps give one process's that splits each batch alike, within 1e-5"

# --resume under mpirun: one more epoch continues rank 0's run (the others read nothing).
mpi 2 "$W/two" train --resume "$W/two_0" --set train.epochs=3 >"$W/resume.log" 2>&1 ||
    { cat "$W/resume.log"; fail "mpirun -n 2 clcnn train --resume failed"; }
[ "$(tail -n +2 "$W/two_0/history.csv" | wc -l)" -eq 3 ] || fail "the resumed run has not 3 epochs"
head -3 "$W/two_0/history.csv" >"$W/first2.csv"
curves "$W/split2/history.csv" "$W/first2.csv" || fail "resuming changed the first epochs"
ok "--resume continues the run under mpirun"

# A rank without a device: a clear message, every rank ends, no hang.
rc=0
timeout 300 "$MPIEXEC" --oversubscribe -n 2 bash -c \
    'if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then set -- "$@" --device no-such-device; fi; exec "$0" "$@"' \
    "$CLCNN" train "$SEED" "${SETS[@]}" --out "$W/nodev" >"$W/nodev.log" 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "a rank without a device did not fail the job"
[ $rc -ne 124 ] || fail "a rank without a device hung the job"
grep -q "no OpenCL device matches 'no-such-device'" "$W/nodev.log" || { cat "$W/nodev.log"; fail "no clear message"; }
ok "a rank without a device ends the job (exit $rc)"

# A rank whose data are not rank 0's (each rank reads data.dir "." in its own folder; rank 1's
# training files are Fashion-MNIST's test set): a message naming the rank, no hang.
FM=/usr/share/datasets/fashion-mnist
mkdir -p "$W/d0" "$W/d1"
for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
    ln -s "$FM/$f" "$W/d0/$f"
    ln -s "$FM/$f" "$W/d1/$f"
done
ln -sf "$FM/t10k-images-idx3-ubyte.gz" "$W/d1/train-images-idx3-ubyte.gz"
ln -sf "$FM/t10k-labels-idx1-ubyte.gz" "$W/d1/train-labels-idx1-ubyte.gz"
rc=0
timeout 300 "$MPIEXEC" --oversubscribe -n 2 bash -c 'cd "$0/d$OMPI_COMM_WORLD_RANK" && exec "$@"' \
    "$W" "$CLCNN" train "$SEED" "${SETS[@]}" --set data.dir=. --out "$W/otherdata" >"$W/otherdata.log" 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "a rank with other data did not fail the job"
[ $rc -ne 124 ] || fail "a rank with other data hung the job"
grep -q "rank 1's training data (320 examples, 36 to validate) are not rank 0's" "$W/otherdata.log" ||
    { cat "$W/otherdata.log"; fail "no clear message"; }
ok "a rank with other data ends the job (exit $rc)"

# Rank 0 fails mid-run (its model file cannot be written: the disk is full): the others,
# waiting for it, end too.
rc=0
timeout 300 env LD_PRELOAD="$CLCNN_FAULT_LIB" CLCNN_FAULT_FSYNC=model.safetensors \
    "$MPIEXEC" --oversubscribe -x LD_PRELOAD -x CLCNN_FAULT_FSYNC -n 2 "$CLCNN" train "$SEED" \
    "${SETS[@]}" --out "$W/full" >"$W/full.log" 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "a failing rank did not fail the job"
[ $rc -ne 124 ] || fail "a failing rank hung the job"
grep -q "No space left on device" "$W/full.log" || { cat "$W/full.log"; fail "no clear message"; }
ok "a rank failing mid-run ends the job (exit $rc)"
