#!/bin/sh
# tests/oclgrind_run.sh: runs an OpenCL test program on Oclgrind's simulated device and fails on
# any report. Oclgrind prints what it finds (invalid reads and writes, data races, API misuse) to
# stderr but keeps the program's exit status, so its output is searched as well.
#   usage: oclgrind_run.sh PROGRAM [ARGS...]   ($OCLGRIND names the oclgrind binary if not on PATH;
#   $OCLGRIND_LIMITS adds device limits, e.g. "--max-wgsize 64 --local-mem-size 32768")
# The program must print the name of its device (test_layers does), so that a run which fell
# back to another OpenCL platform is caught. --uninitialized is left off: Oclgrind 21.10 stops
# with "Unsupported instruction: freeze" on code from current compilers.
set -u
oclgrind=${OCLGRIND:-oclgrind}
log=$(mktemp "${TMPDIR:-/tmp}/oclgrind_run.XXXXXX") || exit 1
# shellcheck disable=SC2086 # OCLGRIND_LIMITS is a list of options
"$oclgrind" --data-races --check-api ${OCLGRIND_LIMITS:-} "$@" >"$log" 2>&1
status=$?
cat "$log"
fail=0
if [ "$status" -ne 0 ]; then
    echo "oclgrind_run: the program exited with status $status"
    fail=1
fi
if grep -Eiq 'invalid (read|write)|data race|error|fatal|uninitiali[sz]ed|unsupported|divergence' "$log"; then
    echo "oclgrind_run: Oclgrind reported problems (see above)"
    fail=1
fi
if ! grep -q 'Oclgrind' "$log"; then
    echo "oclgrind_run: the program did not say it ran on Oclgrind's device"
    fail=1
fi
rm -f "$log"
exit "$fail"
