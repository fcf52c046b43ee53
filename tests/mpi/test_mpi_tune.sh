#!/bin/bash
# tests/mpi/test_mpi_tune.sh CLCNN MPIEXEC: parallel trials over MPI on PoCL. The binary built
# with MPI runs alone as a serial search (no mpirun, no hang); `mpirun -n 3` runs the same random
# search with two training ranks: every trial id appears once, the trials are the serial search's
# (random search asks the same configurations whatever the order of results), every trial folder
# holds the serial run's files, nothing is left pending, best.yaml trains; the whole job killed
# with SIGKILL mid-search resumes with a different N, repeating no finished trial.
set -euo pipefail
CLCNN=$1
MPIEXEC=${2:-mpirun}
export CLCNN_ROUTE=own OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
CFG=$CLCNN_SOURCE_DIR/tests/e2e/data/tune_tiny.yaml
W=$(mktemp -d /tmp/clcnn-mpi-tune-XXXXXX)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
mpi() { local n=$1; shift; timeout 600 "$MPIEXEC" --oversubscribe -n "$n" "$CLCNN" "$@"; }
ids() { tail -n +2 "$1/summary.csv" | cut -d, -f1 | tr '\n' ' '; }
# The hyperparameter columns of a summary: everything between score and seconds.
configs() { tail -n +2 "$1/summary.csv" | awk -F, '{ s = ""; for (i = 4; i < NF; i++) s = s $i ","; print $1 ":" s }'; }
files() { (cd "$1" && for d in trial_*; do echo "$d: $(ls "$d" | tr '\n' ' ')"; done); }

# 1. MPI built in, started without mpirun: the serial search, in bounded time.
timeout 300 "$CLCNN" tune "$CFG" --out "$W/serial" --set tune.max_trials=4 >"$W/serial.log" 2>&1 ||
    { cat "$W/serial.log"; fail "a plain run of the MPI build failed"; }
[ "$(ids "$W/serial")" = "0 1 2 3 " ] || fail "serial trial ids: '$(ids "$W/serial")'"

# 2. `clcnn devices` under mpirun: rank 0 lists which device each rank chose, and PoCL's
# threads are shared among the ranks of the host. A device that does not exist: a clear
# message and the job ends, no hang.
mpi 2 devices >"$W/devices.log" 2>&1 || { cat "$W/devices.log"; fail "mpirun clcnn devices failed"; }
grep -Eq '^0 +[^ ]+ +0 +#' "$W/devices.log" && grep -Eq '^1 +[^ ]+ +1 +#' "$W/devices.log" ||
    { cat "$W/devices.log"; fail "clcnn devices does not list the ranks"; }
rc=0
mpi 2 tune "$CFG" --out "$W/nodev" --device no-such-device >"$W/nodev.log" 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "a missing device did not fail the job"
[ $rc -ne 124 ] || fail "a missing device hung the job"
grep -q "no OpenCL device matches 'no-such-device'" "$W/nodev.log" || { cat "$W/nodev.log"; fail "no clear message"; }

# 3. Three ranks: rank 0 serves, two train.
mpi 3 tune "$CFG" --out "$W/par" --set tune.max_trials=4 >"$W/par.log" 2>&1 ||
    { cat "$W/par.log"; fail "mpirun -n 3 clcnn tune failed"; }
[ "$(ids "$W/par")" = "0 1 2 3 " ] || { cat "$W/par.log"; fail "parallel trial ids: '$(ids "$W/par")'"; }
[ "$(grep -c '^Trial [0-9]*/4 done' "$W/par.log")" -eq 4 ] || fail "rank 0 did not report 4 trials"
diff <(configs "$W/serial") <(configs "$W/par") || fail "the parallel random search asked other trials"
diff <(files "$W/serial") <(files "$W/par") || fail "the trial folders hold other files than a serial run's"
for f in tune.json oracle.json summary.csv best.yaml; do [ -f "$W/par/$f" ] || fail "$f is missing"; done
grep -q '"pending"' "$W/par/oracle.json" && fail "oracle.json still has a pending trial"
ls "$W"/par/trial_*/*.tmp* 2>/dev/null && fail "a temporary file was left behind"
"$CLCNN" train "$W/par/best.yaml" --out "$W/best" >"$W/best.log" 2>&1 ||
    { cat "$W/best.log"; fail "best.yaml does not train"; }
[ -f "$W/best/model.safetensors" ] || fail "training best.yaml wrote no model"

# Hyperband (max_epochs 3): bracket 1's round 0 (3 trials) runs in parallel, its best continues
# from its parent's weights (sent by rank 0) once all three are told, then bracket 0.
mpi 3 tune "$CFG" --out "$W/hb" --set tune.algorithm=hyperband --set tune.max_epochs=3 \
    --set tune.max_trials=0 >"$W/hb.log" 2>&1 || { cat "$W/hb.log"; fail "parallel hyperband failed"; }
[ "$(ids "$W/hb")" = "0 1 2 3 4 5 " ] || { cat "$W/hb.log"; fail "hyperband trial ids: '$(ids "$W/hb")'"; }
grep -Eq '"parent_trial_id":[[:space:]]*[012],' "$W/hb/trial_0003/trial.json" ||
    fail "trial 3 is not a promotion of round 0"
[ -f "$W/hb/trial_0003/model.safetensors" ] || fail "the promoted trial has no model"

# 4. The finished search rerun with 2 ranks: only reported.
mpi 2 tune "$CFG" --out "$W/par" --set tune.max_trials=4 >"$W/again.log" 2>&1 ||
    { cat "$W/again.log"; fail "rerunning a finished parallel search failed"; }
grep -q "Resuming: 4 trials" "$W/again.log" || { cat "$W/again.log"; fail "no resume message"; }

# 5. The whole job killed with SIGKILL mid-search, resumed with another N.
rows() { [ -f "$W/kill/summary.csv" ] && tail -n +2 "$W/kill/summary.csv" | wc -l || echo 0; }
# Trials long enough (3 epochs of 6,000 training images) that the kill lands mid-search: with the
# data read once per process a 750-image trial took 0.05 s, and all 8 could finish between two
# polls.
SETS="--set tune.max_trials=8 --set data.train_limit=8000 --set train.epochs=3"
setsid "$MPIEXEC" --oversubscribe -n 3 "$CLCNN" tune "$CFG" --out "$W/kill" $SETS >"$W/kill1.log" 2>&1 &
pid=$!
for _ in $(seq 3000); do
    [ "$(rows)" -ge 2 ] && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
done
kill -9 -- -$pid 2>/dev/null || true
wait $pid 2>/dev/null || true
k=$(rows)
[ "$k" -ge 2 ] || { cat "$W/kill1.log"; fail "expected 2 finished trials before the kill, got $k"; }
[ "$k" -lt 8 ] || fail "the search finished before it could be killed; make the trials slower"
before=$(configs "$W/kill")
mpi 2 tune "$CFG" --out "$W/kill" $SETS >"$W/kill2.log" 2>&1 ||
    { cat "$W/kill2.log"; fail "resuming with 2 ranks failed"; }
# summary.csv is rewritten after a trial's trial.json, so the kill may land between the two: the
# resumed count is at least what summary.csv showed.
resumed=$(sed -n 's/^Resuming: \([0-9]*\) trial.*/\1/p' "$W/kill2.log" | head -1)
[ -n "$resumed" ] && [ "$resumed" -ge "$k" ] && [ "$resumed" -lt 8 ] ||
    { cat "$W/kill2.log"; fail "no resume message of $k or more trials (got '${resumed}')"; }
[ "$(ids "$W/kill")" = "0 1 2 3 4 5 6 7 " ] || fail "trial ids after the resume: '$(ids "$W/kill")'"
dups=$(configs "$W/kill" | cut -d: -f2 | sort | uniq -d)
[ -z "$dups" ] || fail "a hyperparameter set repeats: $dups"
# Every trial finished before the kill is kept as it was.
diff <(echo "$before") <(configs "$W/kill" | grep -F -x -f <(echo "$before")) ||
    fail "a trial finished before the kill changed"
echo "OK: parallel tune ($k trials finished before the kill)"
