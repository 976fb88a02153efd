#!/bin/sh
# Long fuzzing runs, one harness at a time and niced, so that the machine
# stays usable: each harness named (default: all that are built) runs
# RUNS executions (default 10 million) on its corpus, logging to
# build/fuzz/long/NAME.log, at niceness NICE (default 10).  A summary
# line per harness goes to stdout:
# executions done and whether libFuzzer found anything.
#
#   make fuzz-build && sh tests/fuzz/long.sh [NAME...]
set -u
RUNS=${RUNS:-10000000}
MAXLEN=${MAXLEN:-1024}
cd "$(dirname "$0")/../.."
mkdir -p build/fuzz/long
if [ $# -eq 0 ]; then
	set -- $(ls build/fuzz/ | sed -n 's/^fuzz-\([a-z-]*\)$/\1/p')
fi
for name in "$@"; do
	mkdir -p "build/fuzz/corpus/$name"
	log="build/fuzz/long/$name.log"
	start=$(date +%s)
	nice -n "${NICE:-10}" "./build/fuzz/fuzz-$name" -runs="$RUNS" -max_len="$MAXLEN" \
	    -print_final_stats=1 -artifact_prefix="build/fuzz/long/$name-" \
	    "build/fuzz/corpus/$name" "tests/fuzz/corpus/$name" >"$log" 2>&1
	rc=$?
	done=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
	echo "$name: rc=$rc runs=${done:-?} seconds=$(($(date +%s) - start))" \
	    "$(grep -m1 -E '^==[0-9]+== ERROR|property failed' "$log")"
done
