#!/bin/sh
# Long fuzzing runs, one harness at a time and niced, so that the machine
# stays usable: each harness named (default: all that are built) runs
# RUNS executions (default 10 million) on its corpus, at niceness NICE
# (default 10).  JOBS=n (default 1) splits them over n processes side by
# side, RUNS/n each, sharing the corpus (libFuzzer reloads it every
# second), for a harness too slow for one core: the logs are
# build/fuzz/long/NAME.log, or NAME.1.log ... NAME.n.log.  A summary line
# per harness goes to stdout: executions done in all, and the first
# finding if libFuzzer made one.
#
#   make fuzz-build && sh tests/fuzz/long.sh [NAME...]
#   make fuzz-build && JOBS=2 sh tests/fuzz/long.sh render
set -u
RUNS=${RUNS:-10000000}
MAXLEN=${MAXLEN:-1024}
JOBS=${JOBS:-1}
cd "$(dirname "$0")/../.."
mkdir -p build/fuzz/long
if [ $# -eq 0 ]; then
	set -- $(ls build/fuzz/ | sed -n 's/^fuzz-\([a-z-]*\)$/\1/p')
fi
for name in "$@"; do
	mkdir -p "build/fuzz/corpus/$name"
	# The seed corpus in the tree is optional: libFuzzer exits when
	# given a directory that does not exist.
	seeds=""
	[ -d "tests/fuzz/corpus/$name" ] && seeds="tests/fuzz/corpus/$name"
	logs=""
	pids=""
	start=$(date +%s)
	j=1
	while [ "$j" -le "$JOBS" ]; do
		if [ "$JOBS" -eq 1 ]; then
			log="build/fuzz/long/$name.log"
		else
			log="build/fuzz/long/$name.$j.log"
		fi
		logs="$logs $log"
		nice -n "${NICE:-10}" "./build/fuzz/fuzz-$name" \
		    -runs=$((RUNS / JOBS)) -max_len="$MAXLEN" \
		    -print_final_stats=1 \
		    -artifact_prefix="build/fuzz/long/$name-" \
		    "build/fuzz/corpus/$name" $seeds \
		    >"$log" 2>&1 &
		pids="$pids $!"
		j=$((j + 1))
	done
	rc=0
	for pid in $pids; do
		wait "$pid" || rc=$?
	done
	done=0
	for log in $logs; do
		n=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
		done=$((done + ${n:-0}))
	done
	# shellcheck disable=SC2086
	echo "$name: rc=$rc runs=$done seconds=$(($(date +%s) - start))" \
	    "$(grep -h -m1 -E '^==[0-9]+== ERROR|property failed' $logs |
	    head -1)"
done
